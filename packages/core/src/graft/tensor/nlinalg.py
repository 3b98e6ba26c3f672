"""NumPy's ``np.linalg`` decompositions and matrix functions, with gradients.

`Eigh`, `SVD`, `QR` and `Pinv` are Ops computed with NumPy; `eigvalsh`,
`norm` and `kron` are built from existing graft ops, so their gradients come
with them. Inputs are real: integers are computed in float64, float16 and
float32 in float32 (NumPy's linalg has no float16), complex is refused.
`Eigh`, `SVD` and `Pinv` accept stacks of matrices (``(..., m, n)``) and are
differentiated stack-wise; `QR` computes stacks but differentiates single
matrices only.

Gradients, and where they stop:

- ``eigh``: both outputs, for the symmetric matrix made of the triangle
  that ``UPLO`` names (the other triangle is never read, and gets zero).
  Repeated eigenvalues make the eigenvector gradient infinite.
- ``svd``: the singular values always; ``U`` and ``Vh`` for the reduced
  factorization (``full_matrices=False``, or a statically square input).
  With ``full_matrices=True`` on a non-square (or not statically square)
  input only the singular values are differentiable, since the extra
  columns of ``U`` (rows of ``Vh``) are an arbitrary basis: asking for more
  raises `graft.gradient.NullTypeGradError` naming the op. Zero or repeated
  singular values make the ``U``/``Vh`` gradient infinite.
- ``qr``: modes ``"reduced"`` and ``"r"`` (any shape, full rank), and
  ``"complete"`` where it equals the reduced one (``m <= n``) or only ``R``
  is used; mode ``"raw"`` and stacked input have none (NullTypeGradError).
- ``pinv``: the gradient of the pseudo-inverse at constant rank.

Example::

    import graft.tensor as gt
    from graft.tensor.nlinalg import eigh, kron, norm, pinv, qr, svd

    a = gt.dmatrix("a")
    w, v = eigh(a @ a.T)
    u, s, vh = svd(a, full_matrices=False)
    q, r = qr(a)
    norm(a, "nuc"), norm(a[0], ord=1), pinv(a), kron(a, gt.eye(2))
"""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from typing import Any

import numpy as np

from graft.gradient.types import grad_not_implemented
from graft.graph.basic import Apply, Variable
from graft.graph.op import Op
from graft.tensor._helpers import _as_tensor, _discrete_grad, _is_discrete_dtype, _np_dtype, _tm
from graft.tensor.basic import (
    NotScalarConstantError,
    cast,
    constant,
    expand_dims,
    eye,
    get_underlying_scalar_constant_value,
    pad_left,
)
from graft.tensor.elemwise import DimShuffle
from graft.tensor.type import TensorType
from graft.tensor.variable import TensorVariable

__all__ = [
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


def _float_dtype(name: str, a: Any) -> str:
    """float32 for float16/float32 input, float64 for other real input; TypeError otherwise."""
    dt = np.dtype(a.type.dtype)
    if dt.kind == "c":
        raise TypeError(f"{name}: complex input {a} ({dt.name}) is not supported")
    if dt.kind not in "biuf":
        raise TypeError(f"{name}: input {a} has non-numeric dtype {dt.name}")
    return "float32" if dt.name in ("float16", "float32") else "float64"


def _matrices(name: str, a: Any, square: bool = False) -> Any:
    """``a`` as a tensor of rank >= 2 (a matrix or a stack of them), square if asked."""
    a = _as_tensor(a)
    if a.type.ndim < 2:
        what = "a square matrix" if square else "a matrix"
        raise ValueError(
            f"{name}: expected {what} (or a stack of them, shape (..., m, n)), "
            f"got {a.type.ndim}-d {a}"
        )
    if square:
        m, n = a.type.shape[-2:]
        if m is not None and n is not None and m != n:
            raise ValueError(
                f"{name}: expected square matrices, got {a} of static shape {a.type.shape}"
            )
    return a


def _min(a: Any, b: Any) -> Any:
    if isinstance(a, int | np.integer) and isinstance(b, int | np.integer):
        return builtins.min(int(a), int(b))
    return _tm().minimum(a, b)


def _static_min(a: int | None, b: int | None) -> int | None:
    if a is not None and b is not None:
        return builtins.min(a, b)
    return 0 if 0 in (a, b) else None


def _mT(x: Any) -> Any:
    """Swap the last two axes."""
    nd = x.type.ndim
    return DimShuffle(nd, (*range(nd - 2), nd - 1, nd - 2))(x)


def _mm(x: Any, y: Any) -> Any:
    from graft.tensor.math import matmul

    return matmul(x, y)


def _is_zero(g: Any) -> bool:
    """Whether ``g`` is a constant zero (what `grad` passes for an unused output)."""

    try:
        return bool(get_underlying_scalar_constant_value(g) == 0)
    except NotScalarConstantError:
        return False


def _like(g: Any, a: Any) -> Any:
    """``g`` as the gradient of ``a``: its dtype, or the discrete-input zero."""
    if _is_discrete_dtype(a.type.dtype):
        return _discrete_grad(a)
    return cast(g, a.type.dtype)


def _eye(n: Any, dtype: str) -> Any:
    return eye(n, dtype=dtype)


def _alloc_diag(v: Any) -> Any:
    from graft.tensor.triangular import AllocDiag

    return AllocDiag(0)(v)


def _fold(g: Any, lower: bool) -> Any:
    """Gradient w.r.t. a matrix of which one triangle is read and mirrored (the other gets 0)."""
    from graft.tensor.linalg import Tri

    if lower:
        return Tri(True, 0)(g) + Tri(True, -1)(_mT(g))
    return Tri(False, 0)(g) + Tri(False, 1)(_mT(g))


def _gap_inverse(x: Any) -> Any:
    """``F[..., i, j] = 1 / (x_j - x_i)`` off the diagonal, 0 on it."""
    from graft.tensor.shape import shape_i

    eye = _eye(shape_i(x, -1), x.type.dtype)
    diff = expand_dims(x, -2) - expand_dims(x, -1)
    return (1 - eye) / (diff + eye)


def _nullgrad(op: Op, a: Any, why: str) -> Variable:
    return grad_not_implemented(op, 0, a, why)


# ---------------------------------------------------------------------------
# Symmetric eigendecomposition
# ---------------------------------------------------------------------------


class Eigh(Op):
    """``np.linalg.eigh``: ascending eigenvalues ``w`` and unit eigenvectors ``v`` (columns).

    Only the triangle that ``UPLO`` names ("L" lower, "U" upper) is read.
    Works on stacks of square matrices. Both outputs are differentiable (the
    usual formula for a symmetric matrix, restricted to the read triangle).

    Example::

        w, v = Eigh("L")(gt.dmatrix("a"))
    """

    __props__ = ("UPLO",)

    def __init__(self, UPLO: str = "L") -> None:
        if UPLO not in ("L", "U"):
            raise ValueError(f"Eigh: UPLO must be 'L' or 'U', got {UPLO!r}")
        self.UPLO = UPLO

    def make_node(self, a: Any) -> Apply:
        a = _matrices("Eigh", a, square=True)
        dtype = _float_dtype("Eigh", a)
        *batch, m, n = a.type.shape
        n = n if n is not None else m
        w = TensorType(dtype, (*batch, n))()
        v = TensorType(dtype, (*batch, n, n))()
        return Apply(self, [a], [w, v])

    def perform(self, node: Apply, inputs: Sequence[Any], output_storage: list[list[Any]]) -> None:
        dtype = _np_dtype(node)
        uplo: Any = self.UPLO
        w, v = np.linalg.eigh(np.asarray(inputs[0], dtype=dtype), UPLO=uplo)
        output_storage[0][0] = np.asarray(w, dtype=dtype)
        output_storage[1][0] = np.asarray(v, dtype=dtype)

    def infer_shape(self, fgraph: Any, node: Apply, input_shapes: list[Any]) -> list[Any]:
        s = tuple(input_shapes[0])
        return [s[:-1], s]

    def L_op(
        self,
        inputs: Sequence[Any],
        outputs: Sequence[Any],
        output_grads: Sequence[Any],
    ) -> list[Variable]:
        (a,) = inputs
        w, v = outputs
        gw, gv = output_grads
        if _is_discrete_dtype(a.type.dtype):
            return [_discrete_grad(a)]
        # With S = V diag(w) V^T: dw = diag(V^T dS V), dV = V (F o (V^T dS V)).
        inner = _alloc_diag(gw)
        if not _is_zero(gv):
            inner = inner + _gap_inverse(w) * _mm(_mT(v), gv)
        g = _mm(_mm(v, inner), _mT(v))
        return [_like(_fold(g, self.UPLO == "L"), a)]

    def __str__(self) -> str:
        return f"Eigh{{{self.UPLO}}}"


def eigh(a: Any, UPLO: str = "L") -> tuple[TensorVariable, TensorVariable]:
    """``np.linalg.eigh``: ``(w, v)`` with ``a @ v[:, i] == w[i] * v[:, i]``, ``w`` ascending.

    ``a`` is a real symmetric matrix (or a stack of them); only its lower
    (``UPLO="L"``) or upper (``"U"``) triangle is read.

    Example::

        w, v = eigh(gt.dmatrix("a"))
        recon = (v * w) @ v.T
    """
    w, v = Eigh(UPLO)(a)
    return w, v


def eigvalsh(a: Any, UPLO: str = "L") -> TensorVariable:
    """``np.linalg.eigvalsh``: the ascending eigenvalues of a real symmetric matrix.

    Example::

        eigvalsh(gt.dmatrix("a")).sum()     # the trace, differentiably
    """
    return eigh(a, UPLO)[0]


# ---------------------------------------------------------------------------
# Singular value decomposition
# ---------------------------------------------------------------------------


class SVD(Op):
    """``np.linalg.svd``: ``U, S, Vh`` with ``a == U[..., :k] * S @ Vh[..., :k, :]`` (S descending).

    ``compute_uv=False`` gives ``S`` alone; ``full_matrices=False`` gives the
    reduced ``U`` ``(m, k)`` and ``Vh`` ``(k, n)`` with ``k = min(m, n)``.
    Works on stacks. See the module docstring for which gradients exist.

    Example::

        u, s, vh = SVD(full_matrices=False)(gt.dmatrix("a"))
        s = SVD(compute_uv=False)(gt.dmatrix("a"))
    """

    __props__ = ("full_matrices", "compute_uv")

    def __init__(self, full_matrices: bool = True, compute_uv: bool = True) -> None:
        self.full_matrices = bool(full_matrices)
        self.compute_uv = bool(compute_uv)

    def make_node(self, a: Any) -> Apply:
        a = _matrices("SVD", a)
        dtype = _float_dtype("SVD", a)
        *batch, m, n = a.type.shape
        k = _static_min(m, n)
        s = TensorType(dtype, (*batch, k))()
        if not self.compute_uv:
            return Apply(self, [a], [s])
        u_cols, vh_rows = (m, n) if self.full_matrices else (k, k)
        u = TensorType(dtype, (*batch, m, u_cols))()
        vh = TensorType(dtype, (*batch, vh_rows, n))()
        return Apply(self, [a], [u, s, vh])

    def perform(self, node: Apply, inputs: Sequence[Any], output_storage: list[list[Any]]) -> None:
        dtype = _np_dtype(node)
        svd_fn: Any = np.linalg.svd
        out = svd_fn(
            np.asarray(inputs[0], dtype=dtype),
            full_matrices=self.full_matrices,
            compute_uv=self.compute_uv,
        )
        outs = out if self.compute_uv else (out,)
        for storage, value in zip(output_storage, outs):
            storage[0] = np.asarray(value, dtype=dtype)

    def infer_shape(self, fgraph: Any, node: Apply, input_shapes: list[Any]) -> list[Any]:
        *batch, m, n = input_shapes[0]
        k = _min(m, n)
        s = (*batch, k)
        if not self.compute_uv:
            return [s]
        if self.full_matrices:
            return [(*batch, m, m), s, (*batch, n, n)]
        return [(*batch, m, k), s, (*batch, k, n)]

    def L_op(
        self,
        inputs: Sequence[Any],
        outputs: Sequence[Any],
        output_grads: Sequence[Any],
    ) -> list[Variable]:
        (a,) = inputs
        if _is_discrete_dtype(a.type.dtype):
            return [_discrete_grad(a)]
        if not self.compute_uv:
            u, _, vh = SVD(False, True)(a)
            return [_like(_svd_grad(u, outputs[0], vh, None, output_grads[0], None), a)]
        u, s, vh = outputs
        gu, gs, gvh = output_grads
        gu = None if _is_zero(gu) else gu
        gvh = None if _is_zero(gvh) else gvh
        m, n = a.type.shape[-2:]
        if self.full_matrices and not (m is not None and m == n):
            if gu is not None or gvh is not None:
                return [
                    _nullgrad(
                        self,
                        a,
                        "with full_matrices=True only the singular values are differentiable "
                        "unless the input is statically square; use full_matrices=False",
                    )
                ]
            from graft.tensor.shape import shape_i

            k = shape_i(s, -1)
            u, vh = u[..., :, :k], vh[..., :k, :]
        return [_like(_svd_grad(u, s, vh, gu, gs, gvh), a)]

    def __str__(self) -> str:
        return f"SVD{{full_matrices={self.full_matrices},compute_uv={self.compute_uv}}}"


def _svd_grad(u: Any, s: Any, vh: Any, gu: Any, gs: Any, gvh: Any) -> Any:
    """Gradient of the reduced SVD ``a = u diag(s) vh`` (``gu``/``gvh`` None when unused)."""
    core = _alloc_diag(gs)
    extra = []
    if gu is not None or gvh is not None:
        f = _gap_inverse(s * s)
        inv_s = 1 / s
    if gu is not None:
        utgu = _mm(_mT(u), gu)
        core = core + f * (utgu - _mT(utgu)) * expand_dims(s, -2)
        # The part of gu outside the span of u.
        extra.append(_mm((gu - _mm(u, utgu)) * expand_dims(inv_s, -2), vh))
    if gvh is not None:
        vtgv = _mm(vh, _mT(gvh))
        core = core + expand_dims(s, -1) * (f * (vtgv - _mT(vtgv)))
        extra.append(_mm(u, expand_dims(inv_s, -1) * (gvh - _mm(_mT(vtgv), vh))))
    g = _mm(_mm(u, core), vh)
    for e in extra:
        g = g + e
    return g


def svd(a: Any, full_matrices: bool = True, compute_uv: bool = True) -> Any:
    """``np.linalg.svd``: ``(U, S, Vh)``, or ``S`` alone with ``compute_uv=False``.

    Example::

        u, s, vh = svd(gt.dmatrix("a"), full_matrices=False)
        recon = (u * s) @ vh
        nuclear = svd(gt.dmatrix("a"), compute_uv=False).sum()
    """
    out = SVD(full_matrices, compute_uv)(a)
    return tuple(out) if compute_uv else out


# ---------------------------------------------------------------------------
# QR decomposition
# ---------------------------------------------------------------------------

_QR_MODES = ("reduced", "complete", "r", "raw")


class QR(Op):
    """``np.linalg.qr``: ``a == Q @ R`` with orthonormal ``Q`` and upper-triangular ``R``.

    ``mode``: ``"reduced"`` (``Q`` ``(m, k)``, ``R`` ``(k, n)``, ``k = min(m, n)``),
    ``"complete"`` (``Q`` ``(m, m)``, ``R`` ``(m, n)``), ``"r"`` (``R`` alone)
    or ``"raw"`` (LAPACK's ``(h, tau)``). Works on stacks; gradients are for
    single matrices (see the module docstring).

    Example::

        q, r = QR("reduced")(gt.dmatrix("a"))
    """

    __props__ = ("mode",)

    def __init__(self, mode: str = "reduced") -> None:
        if mode not in _QR_MODES:
            raise ValueError(f"QR: mode must be one of {_QR_MODES}, got {mode!r}")
        self.mode = mode

    def make_node(self, a: Any) -> Apply:
        a = _matrices("QR", a)
        dtype = _float_dtype("QR", a)
        *batch, m, n = a.type.shape
        k = _static_min(m, n)
        shapes: list[tuple[int | None, ...]] = {
            "reduced": [(m, k), (k, n)],
            "complete": [(m, m), (m, n)],
            "r": [(k, n)],
            "raw": [(n, m), (k,)],
        }[self.mode]
        return Apply(self, [a], [TensorType(dtype, (*batch, *s))() for s in shapes])

    def perform(self, node: Apply, inputs: Sequence[Any], output_storage: list[list[Any]]) -> None:
        dtype = _np_dtype(node)
        out = np.linalg.qr(np.asarray(inputs[0], dtype=dtype), mode=self.mode)  # type: ignore[call-overload]
        outs = (out,) if self.mode == "r" else tuple(out)
        for storage, value in zip(output_storage, outs):
            storage[0] = np.asarray(value, dtype=dtype)

    def infer_shape(self, fgraph: Any, node: Apply, input_shapes: list[Any]) -> list[Any]:
        *batch, m, n = input_shapes[0]
        k = _min(m, n)
        shapes = {
            "reduced": [(m, k), (k, n)],
            "complete": [(m, m), (m, n)],
            "r": [(k, n)],
            "raw": [(n, m), (k,)],
        }[self.mode]
        return [(*batch, *s) for s in shapes]

    def L_op(
        self,
        inputs: Sequence[Any],
        outputs: Sequence[Any],
        output_grads: Sequence[Any],
    ) -> list[Variable]:
        (a,) = inputs
        if _is_discrete_dtype(a.type.dtype):
            return [_discrete_grad(a)]
        if self.mode == "raw":
            return [_nullgrad(self, a, "mode='raw' has no gradient")]
        if a.type.ndim != 2:
            return [_nullgrad(self, a, "the gradient is for 2-d input only, not stacks")]
        m, n = a.type.shape
        if self.mode == "r":
            q = QR("reduced")(a)[0]
            (r,), (gr,), gq = outputs, output_grads, None
        else:
            q, r = outputs
            gq, gr = output_grads
            gq = None if _is_zero(gq) else gq
            if self.mode == "complete" and not (m is not None and n is not None and m <= n):
                if gq is not None:
                    return [
                        _nullgrad(
                            self,
                            a,
                            "with mode='complete' Q is differentiable only for input of static "
                            "shape (m, n) with m <= n; use mode='reduced'",
                        )
                    ]
                from graft.tensor.shape import shape_i

                k = _min(shape_i(a, 0), shape_i(a, 1))
                q, r, gr = q[:, :k], r[:k], gr[:k]
        tall = m is not None and n is not None and m >= n
        return [_like(_qr_grad(a, q, r, gq, gr, tall), a)]

    def __str__(self) -> str:
        return f"QR{{{self.mode}}}"


def _qr_grad(a: Any, q: Any, r: Any, gq: Any, gr: Any, tall: bool) -> Any:
    """Gradient of the reduced QR ``a = q r`` of a full-rank 2-d ``a`` (``gq`` None when unused).

    For ``m < n`` the columns split as ``a = [x | y]``, ``r = [u | v]``:
    ``x = q u`` is a square QR and ``v = q^T y``; with ``m >= n`` there is
    no ``y`` (built anyway, empty, when the shape is not known statically).
    """
    from graft.tensor.join import join
    from graft.tensor.linalg import Tri, solve_triangular

    if tall:
        u, gu, y, gv = r, gr, None, None
    else:
        from graft.tensor.shape import shape_i

        k = shape_i(q, 1)
        u, gu, gv, y = r[:, :k], gr[:, :k], gr[:, k:], a[:, k:]
        yv = _mm(y, gv.T)
        gq = yv if gq is None else gq + yv
    m = _mm(u, gu.T)
    if gq is not None:
        m = m - _mm(gq.T, q)
    # The symmetric matrix with m's lower triangle.
    sym = Tri(True, 0)(m) + Tri(True, -1)(m).T
    b = _mm(q, sym) if gq is None else gq + _mm(q, sym)
    gx = solve_triangular(u, b.T, lower=False).T  # b @ u^-T
    if y is None:
        return gx
    return join(1, gx, _mm(q, gv))


def qr(a: Any, mode: str = "reduced") -> Any:
    """``np.linalg.qr``: ``(Q, R)`` (modes "reduced", "complete"), ``R`` ("r") or ``(h, tau)`` ("raw").

    Example::

        q, r = qr(gt.dmatrix("a"))
        r_only = qr(gt.dmatrix("a"), mode="r")
    """
    out = QR(mode)(a)
    return out if mode == "r" else tuple(out)


# ---------------------------------------------------------------------------
# Pseudo-inverse
# ---------------------------------------------------------------------------


class Pinv(Op):
    """``np.linalg.pinv``: the Moore-Penrose pseudo-inverse, ``(..., n, m)`` for ``(..., m, n)``.

    With ``hermitian=True`` the input must be square and only its lower
    triangle is read (NumPy goes through ``eigh``). The gradient is that of
    the pseudo-inverse at constant rank.

    Example::

        Pinv()(gt.dmatrix("a"))
    """

    __props__ = ("hermitian",)

    def __init__(self, hermitian: bool = False) -> None:
        self.hermitian = bool(hermitian)

    def make_node(self, a: Any) -> Apply:
        a = _matrices("Pinv", a, square=self.hermitian)
        dtype = _float_dtype("Pinv", a)
        *batch, m, n = a.type.shape
        return Apply(self, [a], [TensorType(dtype, (*batch, n, m))()])

    def perform(self, node: Apply, inputs: Sequence[Any], output_storage: list[list[Any]]) -> None:
        dtype = _np_dtype(node)
        out = np.linalg.pinv(np.asarray(inputs[0], dtype=dtype), hermitian=self.hermitian)
        output_storage[0][0] = np.asarray(out, dtype=dtype)

    def infer_shape(self, fgraph: Any, node: Apply, input_shapes: list[Any]) -> list[Any]:
        *batch, m, n = input_shapes[0]
        return [(*batch, n, m)]

    def L_op(
        self,
        inputs: Sequence[Any],
        outputs: Sequence[Any],
        output_grads: Sequence[Any],
    ) -> list[Variable]:
        (a,) = inputs
        (p,) = outputs
        (g,) = output_grads
        if _is_discrete_dtype(a.type.dtype):
            return [_discrete_grad(a)]
        from graft.tensor.linalg import Tri

        if self.hermitian:
            # The matrix actually inverted is the symmetric one built from the lower triangle.
            a = Tri(True, 0)(a) + _mT(Tri(True, -1)(a))
        a = cast(a, p.type.dtype)
        pt, gt_ = _mT(p), _mT(g)
        # dP = -P dA P + P P^T dA^T (I - A P) + (I - P A) dA^T P^T P
        t1 = -_mm(_mm(pt, g), pt)
        t2 = _mm(_mm(gt_, p), pt)
        t2 = t2 - _mm(a, _mm(p, t2))
        t3 = _mm(_mm(pt, p), gt_)
        t3 = t3 - _mm(_mm(t3, p), a)
        ga = t1 + t2 + t3
        if self.hermitian:
            ga = _fold(ga, lower=True)
        return [_like(ga, inputs[0])]

    def __str__(self) -> str:
        return f"Pinv{{hermitian={self.hermitian}}}"


def pinv(a: Any, hermitian: bool = False) -> TensorVariable:
    """``np.linalg.pinv``: the Moore-Penrose pseudo-inverse of ``a`` (or of each matrix in a stack).

    Example::

        x = pinv(gt.dmatrix("a")) @ gt.dvector("b")     # least-squares solution
    """
    return Pinv(hermitian)(a)


# ---------------------------------------------------------------------------
# Norms
# ---------------------------------------------------------------------------


def _norm_axes(x: Any, axis: Any) -> tuple[int, ...]:
    nd = x.type.ndim
    if isinstance(axis, int | np.integer) and not isinstance(axis, bool):
        axes: tuple[Any, ...] = (axis,)
    elif isinstance(axis, tuple | list):
        axes = tuple(axis)
    else:
        raise TypeError(f"norm: axis must be None, an int or a tuple of ints, got {axis!r}")
    out = []
    for a in axes:
        if isinstance(a, bool) or not isinstance(a, int | np.integer):
            raise TypeError(f"norm: axis must be None, an int or a tuple of ints, got {axis!r}")
        if not -nd <= a < nd:
            raise ValueError(f"norm: axis {a} is out of range for {nd}-d input {x}")
        out.append(int(a) % nd)
    if len(set(out)) != len(out):
        raise ValueError(f"norm: duplicate axes in {axis!r}")
    return tuple(out)


def _sv(x: Any, row: int, col: int) -> Any:
    """Singular values of the matrices on axes (``row``, ``col``) of ``x``."""
    nd = x.type.ndim
    perm = [d for d in range(nd) if d not in (row, col)] + [row, col]
    return SVD(False, False)(x.transpose(perm))


def _vector_norm(x: Any, ord: Any, axis: int) -> Any:
    tm = _tm()
    if ord is None or (not isinstance(ord, str) and ord == 2):
        return tm.sqrt(tm.sum(x * x, axis=axis))
    if isinstance(ord, str):
        raise ValueError(f"norm: invalid norm order {ord!r} for vectors")
    if ord == np.inf:
        return tm.max(tm.abs(x), axis=axis)
    if ord == -np.inf:
        return tm.min(tm.abs(x), axis=axis)
    if ord == 0:
        return tm.sum(cast(tm.neq(x, 0), x.type.dtype), axis=axis)
    if ord == 1:
        return tm.sum(tm.abs(x), axis=axis)
    # Exponents in x's dtype: a float32 norm stays float32 for any p, as in NumPy.

    p, inv_p = (constant(np.asarray(e, dtype=x.type.dtype)) for e in (ord, 1.0 / ord))
    return tm.sum(tm.abs(x) ** p, axis=axis) ** inv_p


def _matrix_norm(x: Any, ord: Any, row: int, col: int) -> Any:
    tm = _tm()
    if ord is None or ord in ("fro", "f"):
        return tm.sqrt(tm.sum(x * x, axis=(row, col)))
    if ord == "nuc":
        return tm.sum(_sv(x, row, col), axis=-1)
    if isinstance(ord, str):
        raise ValueError(f"norm: invalid norm order {ord!r} for matrices")
    if ord in (2, -2):
        reduce = tm.max if ord == 2 else tm.min
        return reduce(_sv(x, row, col), axis=-1)
    if ord in (1, -1, np.inf, -np.inf):
        reduce = tm.max if ord > 0 else tm.min
        # Column sums for 1, row sums for inf; the axis left shifts once the other is gone.
        summed, other = (row, col) if ord in (1, -1) else (col, row)
        if other > summed:
            other -= 1
        return reduce(tm.sum(tm.abs(x), axis=summed), axis=other)
    raise ValueError(f"norm: invalid norm order {ord!r} for matrices")


def norm(x: Any, ord: Any = None, axis: Any = None, keepdims: bool = False) -> TensorVariable:
    """``np.linalg.norm``: vector norms (``ord`` None/2, 1, inf, -inf, 0, any p) and matrix norms.

    Matrix norms (2-d input, or a 2-tuple ``axis``): ``"fro"``, ``"nuc"``,
    1, -1, 2, -2, inf, -inf. Integer input is computed in float64. Built
    from elementwise ops, reductions and the singular values, so it is
    differentiable (except where the norm itself is not, e.g. at zero).

    Example::

        norm(gt.dvector("v"))              # Euclidean length
        norm(gt.dmatrix("a"), "nuc")       # sum of singular values
        norm(gt.dtensor3("t"), 1, axis=2)  # L1 norm of each row of each t[i]
    """
    x = _as_tensor(x)
    dt = np.dtype(x.type.dtype)
    if dt.kind == "c":
        raise TypeError(f"norm: complex input {x} ({dt.name}) is not supported")
    if dt.kind not in "biuf":
        raise TypeError(f"norm: input {x} has non-numeric dtype {dt.name}")
    if dt.kind != "f":
        x = cast(x, "float64")
    nd = x.type.ndim
    tm = _tm()
    if axis is None:
        flat_2 = (
            ord is None
            or (isinstance(ord, str) and ord in ("f", "fro") and nd == 2)
            or (not isinstance(ord, str) and ord == 2 and nd == 1)
        )
        if flat_2:
            out = tm.sqrt(tm.sum(x * x))
            return expand_dims(out, list(range(nd))) if keepdims and nd else out
        axes = tuple(range(nd))
    else:
        axes = _norm_axes(x, axis)
    if len(axes) == 1:
        out = _vector_norm(x, ord, axes[0])
    elif len(axes) == 2:
        out = _matrix_norm(x, ord, *axes)
    else:
        raise ValueError(
            f"norm: expected a vector or a matrix (one or two axes), got {nd}-d {x} "
            f"with axis={axis!r}"
        )
    if keepdims:
        out = expand_dims(out, sorted(axes))
    return out


# ---------------------------------------------------------------------------
# Kronecker product
# ---------------------------------------------------------------------------


def kron(a: Any, b: Any) -> TensorVariable:
    """``np.kron``: the Kronecker product; the input of lower rank gets leading 1s first.

    The result has shape ``a.shape * b.shape`` (elementwise) and the dtype of
    ``a * b``. Built from a broadcast product and a reshape.

    Example::

        kron(gt.dmatrix("a"), gt.eye(2))     # each a[i, j] becomes a[i, j] * I
    """
    from graft.tensor.shape import reshape, shape_i

    a, b = _as_tensor(a), _as_tensor(b)
    nd = builtins.max(a.type.ndim, b.type.ndim)
    a, b = pad_left(a, nd), pad_left(b, nd)
    if nd == 0:
        return a * b
    pa: list[Any] = []
    pb: list[Any] = []
    for d in range(nd):
        pa += [d, "x"]
        pb += ["x", d]
    prod = DimShuffle(nd, pa)(a) * DimShuffle(nd, pb)(b)
    dims: list[Any] = []
    for d in range(nd):
        sa, sb = a.type.shape[d], b.type.shape[d]
        if sa is not None and sb is not None:
            dims.append(sa * sb)
        else:
            dims.append(_tm().mul(shape_i(a, d), shape_i(b, d)))
    return reshape(prod, dims)  # type: ignore[return-value]
