"""Dense linear algebra on matrices: factorizations, solves, inverse and determinants.

Every op takes 2-d real inputs (a vector right-hand side is allowed for the
solves), checks ranks and known sizes when the node is built, computes with
NumPy/SciPy, and has a gradient. Integer inputs are computed in float64;
float32 (and float16) inputs in float32.

Ops that read only one triangle of their matrix argument (`Cholesky`,
`SolveTriangular`, `Solve` with ``assume_a="sym"`` or ``"pos"``), like the
LAPACK routines behind them, have gradients that are exact for that: zero on
the triangle that is never read, and the symmetric contributions folded onto
the one that is. Chained through a symmetric construction such as ``x @ x.T``
this gives the same result as the textbook symmetric formula.

Example::

    import graft.tensor as gt
    from graft.tensor.linalg import cholesky, det, inv, slogdet, solve

    a = gt.dmatrix("a")
    b = gt.dvector("b")
    x = solve(a, b)                      # a @ x == b
    chol = cholesky(a @ a.T)             # lower-triangular factor
    sign, logabsdet = slogdet(a)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from graft.gradient.types import DisconnectedType, disconnected_type
from graft.graph.basic import Apply, Variable
from graft.graph.op import Op
from graft.tensor._helpers import (
    _as_tensor,
    _discrete_grad,
    _is_discrete_dtype,
    _np_dtype,
    _unary_perform,
)
from graft.tensor.basic import cast
from graft.tensor.type import TensorType
from graft.tensor.variable import TensorVariable

__all__ = [
    "Cholesky",
    "Det",
    "MatrixInverse",
    "SlogDet",
    "Solve",
    "SolveTriangular",
    "Tri",
    "cholesky",
    "det",
    "inv",
    "matrix_inverse",
    "slogdet",
    "solve",
    "solve_triangular",
    "tril",
    "triu",
    # From graft.tensor.nlinalg (imported at the end of this module).
    "QR",
    "SVD",
    "Eigh",
    "Pinv",
    "eigh",
    "eigvalsh",
    "kron",
    "norm",
    "pinv",
    "qr",
    "svd",
]


# ---------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------


def _out_dtype(name: str, *vs: Any) -> str:
    """float32 when every input is float16/float32, else float64; complex is refused."""
    kinds = [np.dtype(v.type.dtype) for v in vs]
    for v, dt in zip(vs, kinds):
        if dt.kind == "c":
            raise TypeError(f"{name}: complex input {v} ({dt.name}) is not supported")
        if dt.kind not in "biuf":
            raise TypeError(f"{name}: input {v} has non-numeric dtype {dt.name}")
    if all(dt.name in ("float16", "float32") for dt in kinds):
        return "float32"
    return "float64"


def _square(name: str, a: Any) -> int | None:
    """Check that ``a`` is a (possibly) square matrix; return its static size if known."""
    if a.type.ndim != 2:
        raise TypeError(f"{name}: expected a matrix (2-d), got {a.type.ndim}-d {a}")
    r, c = a.type.shape
    if r is not None and c is not None and r != c:
        raise ValueError(f"{name}: expected a square matrix, got {a} of static shape ({r}, {c})")
    return r if r is not None else c


def _mm(x: Any, y: Any) -> Any:
    from graft.tensor.math import _dot

    return _dot(x, y)


def _vjp_outer(gb: Any, x: Any) -> Any:
    """``gb @ x.T`` for matrices, ``outer(gb, x)`` for vectors."""
    from graft.tensor.math import outer

    if gb.type.ndim == 1:
        return outer(gb, x)
    return _mm(gb, x.T)


def _fold(g: Any, lower: bool) -> Any:
    """Gradient w.r.t. a matrix of which only one triangle is read (the other mirrors it).

    An entry off the diagonal stands for itself and its mirror, so it
    collects both contributions; the unread triangle gets zero.
    """
    if lower:
        return tril(g) + tril(g.T, -1)
    return triu(g) + triu(g.T, 1)


def _is_disconnected(v: Variable) -> bool:
    return isinstance(v.type, DisconnectedType)


def _scipy_linalg() -> Any:
    import scipy.linalg  # lazily: scipy is slow to import

    return scipy.linalg


class _MatrixOp(Op):
    """Base of the ops from one square matrix to one output: `Cholesky`, `MatrixInverse`, `Det`.

    ``_name`` heads the messages; ``_matrix_out`` says whether the output is
    ``(n, n)`` like ``a`` (else 0-d). A subclass gives `_compute` (NumPy/SciPy,
    on ``a`` cast to the output dtype) and `_grad` (the gradient w.r.t. ``a``,
    before it is cast to ``a``'s dtype).
    """

    _name = ""
    _matrix_out = True

    def make_node(self, a: Any) -> Apply:
        a = _as_tensor(a)
        n = _square(self._name, a)
        shape = (n, n) if self._matrix_out else ()
        return Apply(self, [a], [TensorType(_out_dtype(self._name, a), shape)()])

    def perform(self, node: Apply, inputs: Sequence[Any], output_storage: list[list[Any]]) -> None:
        dtype = _np_dtype(node)
        output_storage[0][0] = np.asarray(
            self._compute(np.asarray(inputs[0], dtype=dtype)), dtype=dtype
        )

    def _compute(self, a: np.ndarray) -> Any:
        raise NotImplementedError

    def infer_shape(self, fgraph: Any, node: Apply, input_shapes: list[Any]) -> list[Any]:
        return [input_shapes[0] if self._matrix_out else ()]

    def L_op(
        self,
        inputs: Sequence[Any],
        outputs: Sequence[Any],
        output_grads: Sequence[Any],
    ) -> list[Variable]:
        (a,) = inputs
        (out,) = outputs
        (g,) = output_grads
        return [_like(self._grad(a, out, g), a)]

    def _grad(self, a: Any, out: Any, g: Any) -> Any:
        raise NotImplementedError


# ---------------------------------------------------------------------------
# Triangles
# ---------------------------------------------------------------------------


class Tri(Op):
    """``np.tril(x, k)`` (``lower=True``) or ``np.triu(x, k)``: zero one side of the ``k``-th diagonal.

    Acts on the last two dimensions. It is a mask, so its gradient is itself.

    Example::

        Tri(lower=True, k=-1)(gt.dmatrix("a"))   # strictly lower part
    """

    __props__ = ("lower", "k")

    def __init__(self, lower: bool = True, k: int = 0) -> None:
        self.lower = bool(lower)
        self.k = int(k)

    def make_node(self, x: Any) -> Apply:
        x = _as_tensor(x)
        if x.type.ndim < 2:
            raise TypeError(f"{self}: expected at least 2 dimensions, got {x.type.ndim}-d {x}")
        return Apply(self, [x], [x.type()])

    def perform(self, node: Apply, inputs: Sequence[Any], output_storage: list[list[Any]]) -> None:
        f = np.tril if self.lower else np.triu
        output_storage[0][0] = f(inputs[0], self.k)

    def infer_shape(self, fgraph: Any, node: Apply, input_shapes: list[Any]) -> list[Any]:
        return [input_shapes[0]]

    def L_op(
        self,
        inputs: Sequence[Any],
        outputs: Sequence[Any],
        output_grads: Sequence[Any],
    ) -> list[Variable]:
        return [self(output_grads[0])]

    def __str__(self) -> str:
        return f"{'tril' if self.lower else 'triu'}{{k={self.k}}}"


def tril(x: Any, k: int = 0) -> TensorVariable:
    """Lower triangle of ``x`` (entries above the ``k``-th diagonal zeroed), like ``np.tril``.

    Example::

        tril(gt.dmatrix("a"), -1)
    """
    return Tri(True, k)(_as_tensor(x))


def triu(x: Any, k: int = 0) -> TensorVariable:
    """Upper triangle of ``x`` (entries below the ``k``-th diagonal zeroed), like ``np.triu``.

    Example::

        triu(gt.dmatrix("a"), 1)
    """
    return Tri(False, k)(_as_tensor(x))


# ---------------------------------------------------------------------------
# Cholesky
# ---------------------------------------------------------------------------


class Cholesky(_MatrixOp):
    """Cholesky factor of a symmetric positive-definite matrix.

    ``lower=True`` gives ``L`` with ``a == L @ L.T`` and reads only the lower
    triangle of ``a``; ``lower=False`` gives ``U`` with ``a == U.T @ U`` and
    reads only the upper one. A matrix that is not positive definite raises
    ``numpy.linalg.LinAlgError`` (``on_error="raise"``) or gives all-NaN
    (``on_error="nan"``).

    Example::

        Cholesky(lower=True)(gt.dmatrix("a"))
    """

    __props__ = ("lower", "on_error")
    _name = "cholesky"

    def __init__(self, lower: bool = True, on_error: str = "raise") -> None:
        if on_error not in ("raise", "nan"):
            raise ValueError(f"Cholesky: on_error must be 'raise' or 'nan', got {on_error!r}")
        self.lower = bool(lower)
        self.on_error = on_error

    def perform(self, node: Apply, inputs: Sequence[Any], output_storage: list[list[Any]]) -> None:
        # Unlike the base, an empty matrix passes through unfactored.
        _unary_perform(node, inputs, output_storage, self._compute)

    def _compute(self, a: np.ndarray) -> Any:
        try:
            return _scipy_linalg().cholesky(a, lower=self.lower, check_finite=False)
        except np.linalg.LinAlgError:
            if self.on_error == "raise":
                raise
            return np.full_like(a, np.nan)

    def _grad(self, a: Any, out: Any, g: Any) -> Any:
        # Work with the lower factor: for lower=False, U = L.T of a.T's lower triangle.
        chol = out if self.lower else out.T
        gl = tril(g if self.lower else g.T)
        # With A = L L^T: dL = L phi(L^-1 dA L^-T), phi = lower triangle with halved
        # diagonal, so the gradient is L^-T phi(L^T gL) L^-1 (a self-adjoint phi).
        m = tril(_mm(chol.T, gl))
        phi = (m + tril(m, -1)) * 0.5
        left = solve_triangular(chol, phi, lower=True, trans=1)  # L^-T phi
        ga = solve_triangular(chol, left.T, lower=True, trans=1).T  # (L^-T phi) L^-1
        ga = _fold(ga, lower=True)
        return ga if self.lower else ga.T

    def __str__(self) -> str:
        return f"Cholesky{{lower={self.lower}}}"


def cholesky(a: Any, lower: bool = True, on_error: str = "raise") -> TensorVariable:
    """Cholesky factor of ``a``: lower ``L`` with ``a = L @ L.T`` (or upper ``U`` with ``a = U.T @ U``).

    Example::

        L = cholesky(cov)
        z = L @ eps          # samples with covariance ``cov``
    """
    return Cholesky(lower, on_error)(_as_tensor(a))


# ---------------------------------------------------------------------------
# Solves
# ---------------------------------------------------------------------------


def _check_rhs(name: str, n: int | None, b: Any) -> tuple[int | None, ...]:
    """Validate the right-hand side against an ``(n, n)`` matrix; return the result's static shape."""
    if b.type.ndim not in (1, 2):
        raise TypeError(f"{name}: b must be a vector or a matrix, got {b.type.ndim}-d {b}")
    nb = b.type.shape[0]
    if n is not None and nb is not None and n != nb:
        raise ValueError(
            f"{name}: a is ({n}, {n}) but b has static shape {b.type.shape}; "
            f"b's first dimension must be {n}"
        )
    rows = n if n is not None else nb
    return (rows, *b.type.shape[1:])


class _SolveBase(Op):
    """Base of `Solve` and `SolveTriangular`: checks, the empty case, shapes, gradient plumbing.

    A subclass names itself in ``_name`` (the prefix of its messages) and
    gives `_solve` (NumPy/SciPy, on inputs cast to the output dtype) and
    `_grads` (the gradients w.r.t. ``a`` and ``b``, before casting to their dtypes).
    """

    _name = ""

    def make_node(self, a: Any, b: Any) -> Apply:
        a, b = _as_tensor(a), _as_tensor(b)
        n = _square(self._name, a)
        shape = _check_rhs(self._name, n, b)
        return Apply(self, [a, b], [TensorType(_out_dtype(self._name, a, b), shape)()])

    def perform(self, node: Apply, inputs: Sequence[Any], output_storage: list[list[Any]]) -> None:
        a, b = inputs
        dtype = _np_dtype(node)
        a, b = np.asarray(a, dtype=dtype), np.asarray(b, dtype=dtype)
        if b.shape[0] != a.shape[0]:
            raise ValueError(f"{self._name}: a has shape {a.shape}, b has shape {b.shape}")
        if a.size == 0:
            output_storage[0][0] = np.zeros(b.shape, dtype=dtype)
            return
        output_storage[0][0] = np.asarray(self._solve(a, b), dtype=dtype)

    def _solve(self, a: np.ndarray, b: np.ndarray) -> Any:
        raise NotImplementedError

    def infer_shape(self, fgraph: Any, node: Apply, input_shapes: list[Any]) -> list[Any]:
        return [input_shapes[1]]

    def L_op(
        self,
        inputs: Sequence[Any],
        outputs: Sequence[Any],
        output_grads: Sequence[Any],
    ) -> list[Variable]:
        a, b = inputs
        (x,) = outputs
        (g,) = output_grads
        ga, gb = self._grads(a, x, g)
        return [_like(ga, a), _like(gb, b)]

    def _grads(self, a: Any, x: Any, g: Any) -> tuple[Any, Any]:
        raise NotImplementedError


class Solve(_SolveBase):
    """Solve ``a @ x == b`` for ``x`` (SciPy's ``solve``).

    ``assume_a`` is ``"gen"`` (general, LU), ``"sym"`` (symmetric) or
    ``"pos"`` (symmetric positive definite, Cholesky); the last two read only
    the triangle that ``lower`` names. ``b`` is a vector or a matrix.

    Example::

        Solve(assume_a="pos")(cov, gt.dvector("r"))
    """

    __props__ = ("assume_a", "lower")
    _name = "solve"

    def __init__(self, assume_a: str = "gen", lower: bool = False) -> None:
        if assume_a not in ("gen", "sym", "pos"):
            raise ValueError(f"solve: assume_a must be 'gen', 'sym' or 'pos', got {assume_a!r}")
        self.assume_a = assume_a
        self.lower = bool(lower)

    def _solve(self, a: np.ndarray, b: np.ndarray) -> Any:
        return _scipy_linalg().solve(
            a, b, assume_a=self.assume_a, lower=self.lower, check_finite=False
        )

    def _grads(self, a: Any, x: Any, g: Any) -> tuple[Any, Any]:
        if self.assume_a == "gen":
            gb = Solve("gen")(a.T, g)
            return -_vjp_outer(gb, x), gb
        # The matrix actually used is symmetric, so its transpose solve is itself.
        gb = self(a, g)
        return _fold(-_vjp_outer(gb, x), self.lower), gb

    def __str__(self) -> str:
        return f"Solve{{{self.assume_a},lower={self.lower}}}"


def _like(g: Any, x: Any) -> Any:
    if _is_discrete_dtype(x.type.dtype):
        return _discrete_grad(x)
    return cast(g, x.type.dtype) if g.type.dtype != x.type.dtype else g


def solve(a: Any, b: Any, assume_a: str = "gen", lower: bool = False) -> TensorVariable:
    """``x`` with ``a @ x == b``; ``b`` is a vector or a matrix of right-hand sides.

    Example::

        x = solve(gt.dmatrix("a"), gt.dvector("b"))
    """
    return Solve(assume_a, lower)(a, b)


def _norm_trans(trans: Any) -> int:
    # For real matrices the conjugate transpose is the transpose.
    table = {0: 0, 1: 1, 2: 1, "N": 0, "T": 1, "C": 1}
    if isinstance(trans, bool) or trans not in table:
        raise ValueError(
            f"solve_triangular: trans must be 0, 1, 2, 'N', 'T' or 'C', got {trans!r}"
        )
    return table[trans]


class SolveTriangular(_SolveBase):
    """Solve ``t @ x == b`` (``trans=0``) or ``t.T @ x == b`` (``trans=1``) for triangular ``t``.

    ``t`` is the lower (``lower=True``) or upper triangle of ``a``; the other
    triangle is never read. With ``unit_diagonal`` the diagonal is taken to
    be ones and not read either.

    Example::

        SolveTriangular(lower=True)(chol, gt.dvector("b"))
    """

    __props__ = ("lower", "trans", "unit_diagonal")
    _name = "solve_triangular"

    def __init__(self, lower: bool = False, trans: Any = 0, unit_diagonal: bool = False) -> None:
        self.lower = bool(lower)
        self.trans = _norm_trans(trans)
        self.unit_diagonal = bool(unit_diagonal)

    def _solve(self, a: np.ndarray, b: np.ndarray) -> Any:
        return _scipy_linalg().solve_triangular(
            a,
            b,
            trans=self.trans,
            lower=self.lower,
            unit_diagonal=self.unit_diagonal,
            check_finite=False,
        )

    def _grads(self, a: Any, x: Any, g: Any) -> tuple[Any, Any]:
        gb = SolveTriangular(self.lower, 1 - self.trans, self.unit_diagonal)(a, g)
        gt_ = -_vjp_outer(gb, x)  # gradient w.r.t. the matrix actually applied, op(t)
        if self.trans:
            gt_ = gt_.T
        k = (-1 if self.lower else 1) if self.unit_diagonal else 0
        return (tril(gt_, k) if self.lower else triu(gt_, k)), gb

    def __str__(self) -> str:
        return (
            f"SolveTriangular{{lower={self.lower},trans={self.trans},unit={self.unit_diagonal}}}"
        )


def solve_triangular(
    a: Any, b: Any, lower: bool = False, trans: Any = 0, unit_diagonal: bool = False
) -> TensorVariable:
    """Solve a triangular system (SciPy's ``solve_triangular``): only one triangle of ``a`` is used.

    Example::

        y = solve_triangular(L, b, lower=True)          # L @ y == b
        x = solve_triangular(L, y, lower=True, trans=1)  # L.T @ x == y
    """
    return SolveTriangular(lower, trans, unit_diagonal)(a, b)


# ---------------------------------------------------------------------------
# Inverse and determinants
# ---------------------------------------------------------------------------


class MatrixInverse(_MatrixOp):
    """``np.linalg.inv``: the inverse of a square matrix (a singular one raises ``LinAlgError``).

    Example::

        MatrixInverse()(gt.dmatrix("a"))
    """

    __props__ = ()
    _name = "inv"

    def _compute(self, a: np.ndarray) -> Any:
        return np.linalg.inv(a)

    def _grad(self, a: Any, ainv: Any, g: Any) -> Any:
        # d(A^-1) = -A^-1 dA A^-1, so the gradient is -A^-T g A^-T.
        return -_mm(_mm(ainv.T, g), ainv.T)

    def __str__(self) -> str:
        return "MatrixInverse"


matrix_inverse = MatrixInverse()


def inv(a: Any) -> TensorVariable:
    """Inverse of the square matrix ``a``.

    Example::

        inv(gt.dmatrix("a")) @ b
    """
    return matrix_inverse(_as_tensor(a))


class Det(_MatrixOp):
    """``np.linalg.det``: the determinant of a square matrix (a 0-d tensor).

    The gradient ``g * det * inv(a).T`` needs ``a`` to be invertible.

    Example::

        Det()(gt.dmatrix("a"))
    """

    __props__ = ()
    _name = "det"
    _matrix_out = False

    def _compute(self, a: np.ndarray) -> Any:
        return np.linalg.det(a)

    def _grad(self, a: Any, d: Any, g: Any) -> Any:
        return (g * d) * inv(a).T

    def __str__(self) -> str:
        return "Det"


def det(a: Any) -> TensorVariable:
    """Determinant of the square matrix ``a``.

    Example::

        det(gt.dmatrix("a"))
    """
    return Det()(_as_tensor(a))


class SlogDet(Op):
    """``np.linalg.slogdet``: two 0-d outputs, the sign of the determinant and ``log|det|``.

    Only ``log|det|`` is differentiable (the sign is piecewise constant); its
    gradient is ``inv(a).T``.

    Example::

        sign, logabsdet = SlogDet()(gt.dmatrix("a"))
    """

    __props__ = ()

    def make_node(self, a: Any) -> Apply:
        a = _as_tensor(a)
        _square("slogdet", a)
        dtype = _out_dtype("slogdet", a)
        return Apply(self, [a], [TensorType(dtype, ())(), TensorType(dtype, ())()])

    def perform(self, node: Apply, inputs: Sequence[Any], output_storage: list[list[Any]]) -> None:
        dtype = _np_dtype(node)
        sign, logabsdet = np.linalg.slogdet(np.asarray(inputs[0], dtype=dtype))
        output_storage[0][0] = np.asarray(sign, dtype=dtype)
        output_storage[1][0] = np.asarray(logabsdet, dtype=dtype)

    def infer_shape(self, fgraph: Any, node: Apply, input_shapes: list[Any]) -> list[Any]:
        return [(), ()]

    def connection_pattern(self, node: Apply) -> list[list[bool]]:
        return [[False, True]]

    def L_op(
        self,
        inputs: Sequence[Any],
        outputs: Sequence[Any],
        output_grads: Sequence[Any],
    ) -> list[Variable]:
        (a,) = inputs
        g = output_grads[1]
        if _is_disconnected(g):
            return [disconnected_type()]
        return [_like(g * inv(a).T, a)]

    def __str__(self) -> str:
        return "SlogDet"


def slogdet(a: Any) -> tuple[TensorVariable, TensorVariable]:
    """``(sign, log|det|)`` of the square matrix ``a``, stable where ``det`` would over/underflow.

    Example::

        sign, logabsdet = slogdet(gt.dmatrix("a"))
    """
    sign, logabsdet = SlogDet()(_as_tensor(a))
    return sign, logabsdet


# NumPy's linalg names live in graft.tensor.nlinalg, which imports nothing from
# this module at import time; they are re-exported here last.
from graft.tensor.nlinalg import (  # noqa: E402
    QR,
    SVD,
    Eigh,
    Pinv,
    eigh,
    eigvalsh,
    kron,
    norm,
    pinv,
    qr,
    svd,
)
