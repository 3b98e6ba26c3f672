"""Diagonals and triangles of arrays, NumPy style: ``diag``, ``diagonal``, ``trace``, ``tri``...

`ExtractDiag` (``np.diagonal``) and `AllocDiag` (a vector on the diagonal of
a new square matrix) are Ops, each the other's gradient; `TriIndices` gives
the index pairs of ``np.tril_indices`` / ``np.triu_indices``. Everything else
is built from existing ops, so gradients come with it. Sizes and offsets of
`tri`, `tril`/`triu` and the ``*_indices`` functions may be Python ints or
symbolic integer scalars.

Example::

    import graft.tensor as gt

    a = gt.dmatrix("a")
    gt.diag(a)                  # its main diagonal, a vector
    gt.trace(a, offset=1)       # sum of the first superdiagonal
    gt.tril(a, -1)              # strictly lower part
    rows, cols = gt.triu_indices(4, k=1)
    a[rows, cols]               # the strictly upper entries, row by row
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from graft.gradient.types import disconnected_type
from graft.graph.basic import Apply, Constant, Variable
from graft.graph.op import Op
from graft.tensor._helpers import _as_tensor, _discrete_grad, _is_discrete_dtype, _tm
from graft.tensor.basic import arange, cast, constant, transpose, zeros_like
from graft.tensor.type import TensorType
from graft.tensor.variable import TensorVariable

__all__ = [
    "AllocDiag",
    "ExtractDiag",
    "TriIndices",
    "diag",
    "diagonal",
    "trace",
    "tri",
    "tril",
    "tril_indices",
    "tril_indices_from",
    "triu",
    "triu_indices",
    "triu_indices_from",
]


# ---------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------


def _int_param(name: str, what: str, v: Any) -> int:
    """A Python int option (offset, axis); TypeError naming ``name`` otherwise."""
    if isinstance(v, bool) or not isinstance(v, int | np.integer):
        raise TypeError(f"{name}: {what} must be a Python int, got {v!r}")
    return int(v)


def _diag_len(n1: Any, n2: Any, offset: int) -> Any:
    """Length of diagonal ``offset`` of an ``n1`` x ``n2`` matrix (ints or int64 scalars)."""
    a, b = (n1, n2 - offset) if offset >= 0 else (n1 + offset, n2)
    if isinstance(a, int) and isinstance(b, int):
        return max(0, min(a, b))
    tm = _tm()
    return tm.maximum(tm.minimum(a, b), 0)


def _int_scalar(name: str, what: str, v: Any) -> Any:
    """``v`` as an int64 0-d tensor; TypeError naming ``name`` unless it is an integer scalar."""
    if isinstance(v, bool | np.bool_):
        raise TypeError(f"{name}: {what} must be an integer scalar, got {v!r}")
    if isinstance(v, int | np.integer):
        return constant(int(v), dtype="int64")
    t = _as_tensor(v)
    if t.type.ndim != 0 or np.dtype(t.type.dtype).kind not in "iu":
        raise TypeError(f"{name}: {what} must be an integer scalar, got {v} ({t.type})")
    return cast(t, "int64")


def _const_int(v: Variable) -> int | None:
    return int(v.data) if isinstance(v, Constant) else None


# ---------------------------------------------------------------------------
# Diagonals
# ---------------------------------------------------------------------------


class ExtractDiag(Op):
    """``np.diagonal(x, offset, axis1, axis2)``: a diagonal of the 2-d slices on two axes.

    The two axes are removed and the diagonal becomes the last axis. The
    gradient puts the output gradient back on that diagonal of zeros.

    Example::

        ExtractDiag(offset=1)(gt.dmatrix("a"))          # the first superdiagonal
        ExtractDiag(0, 1, 2)(gt.dtensor3("t"))          # diagonals of each t[i]
    """

    __props__ = ("offset", "axis1", "axis2")

    def __init__(self, offset: int = 0, axis1: int = 0, axis2: int = 1) -> None:
        self.offset = _int_param("ExtractDiag", "offset", offset)
        self.axis1 = _int_param("ExtractDiag", "axis1", axis1)
        self.axis2 = _int_param("ExtractDiag", "axis2", axis2)

    def _axes(self, x: Any) -> tuple[int, int]:
        nd = x.type.ndim
        if nd < 2:
            raise ValueError(f"{self}: expected an input of at least 2 dimensions, got {nd}-d {x}")
        for a in (self.axis1, self.axis2):
            if not -nd <= a < nd:
                raise ValueError(f"{self}: axis {a} is out of range for {nd}-d input {x}")
        a1, a2 = self.axis1 % nd, self.axis2 % nd
        if a1 == a2:
            raise ValueError(f"{self}: axis1 and axis2 are the same axis ({a1}) of {x}")
        return a1, a2

    def make_node(self, x: Any) -> Apply:
        x = _as_tensor(x)
        a1, a2 = self._axes(x)
        s = x.type.shape
        n1, n2 = s[a1], s[a2]
        length = _diag_len(n1, n2, self.offset) if n1 is not None and n2 is not None else None
        if length is None and (n1 == 0 or n2 == 0):
            length = 0
        rest = [d for i, d in enumerate(s) if i not in (a1, a2)]
        return Apply(self, [x], [TensorType(x.type.dtype, (*rest, length))()])

    def perform(self, node: Apply, inputs: Sequence[Any], output_storage: list[list[Any]]) -> None:
        x = np.asarray(inputs[0])
        # np.diagonal gives a read-only view; the output owns its data.
        output_storage[0][0] = np.diagonal(x, self.offset, self.axis1, self.axis2).copy()

    def infer_shape(self, fgraph: Any, node: Apply, input_shapes: list[Any]) -> list[Any]:
        a1, a2 = self._axes(node.inputs[0])
        s = input_shapes[0]
        rest = [d for i, d in enumerate(s) if i not in (a1, a2)]
        return [(*rest, _diag_len(s[a1], s[a2], self.offset))]

    def L_op(
        self,
        inputs: Sequence[Any],
        outputs: Sequence[Any],
        output_grads: Sequence[Any],
    ) -> list[Variable]:
        from graft.tensor.shape import shape_i
        from graft.tensor.subtensor import set_subtensor

        (x,) = inputs
        (g,) = output_grads
        if _is_discrete_dtype(x.type.dtype):
            return [_discrete_grad(x)]
        nd = x.type.ndim
        a1, a2 = self._axes(x)
        perm = [i for i in range(nd) if i not in (a1, a2)] + [a1, a2]
        zt = transpose(zeros_like(x), perm)
        idx: Any = arange(shape_i(g, -1))
        rows = idx + max(-self.offset, 0)
        cols = idx + max(self.offset, 0)
        gt_ = set_subtensor(zt[(Ellipsis, rows, cols)], cast(g, x.type.dtype))
        return [transpose(gt_, list(np.argsort(perm)))]

    def __str__(self) -> str:
        return f"ExtractDiag{{offset={self.offset},axis1={self.axis1},axis2={self.axis2}}}"


class AllocDiag(Op):
    """A square matrix with the last axis of ``v`` on diagonal ``offset`` and zeros elsewhere.

    ``v`` of shape ``(..., L)`` gives ``(..., n, n)`` with ``n = L + |offset|``
    (``np.diag(v, offset)`` for a vector). Its gradient is `ExtractDiag` on
    the last two axes.

    Example::

        AllocDiag(offset=-1)(gt.dvector("v"))     # v on the first subdiagonal
    """

    __props__ = ("offset",)

    def __init__(self, offset: int = 0) -> None:
        self.offset = _int_param("AllocDiag", "offset", offset)

    def make_node(self, v: Any) -> Apply:
        v = _as_tensor(v)
        if v.type.ndim < 1:
            raise ValueError(f"{self}: expected an input of at least 1 dimension, got 0-d {v}")
        n = v.type.shape[-1]
        n = None if n is None else n + abs(self.offset)
        return Apply(self, [v], [TensorType(v.type.dtype, (*v.type.shape[:-1], n, n))()])

    def perform(self, node: Apply, inputs: Sequence[Any], output_storage: list[list[Any]]) -> None:
        v = np.asarray(inputs[0])
        length = v.shape[-1]
        n = length + abs(self.offset)
        out = np.zeros((*v.shape[:-1], n, n), dtype=v.dtype)
        idx = np.arange(length)
        out[..., idx + max(-self.offset, 0), idx + max(self.offset, 0)] = v
        output_storage[0][0] = out

    def infer_shape(self, fgraph: Any, node: Apply, input_shapes: list[Any]) -> list[Any]:
        s = input_shapes[0]
        n = s[-1] + abs(self.offset)
        return [(*s[:-1], n, n)]

    def L_op(
        self,
        inputs: Sequence[Any],
        outputs: Sequence[Any],
        output_grads: Sequence[Any],
    ) -> list[Variable]:
        (v,) = inputs
        if _is_discrete_dtype(v.type.dtype):
            return [_discrete_grad(v)]
        return [ExtractDiag(self.offset, -2, -1)(output_grads[0])]

    def __str__(self) -> str:
        return f"AllocDiag{{offset={self.offset}}}"


def diagonal(a: Any, offset: int = 0, axis1: int = 0, axis2: int = 1) -> TensorVariable:
    """``np.diagonal``: diagonal ``offset`` of the 2-d slices on ``axis1``, ``axis2`` (last axis of the result).

    Example::

        diagonal(gt.dtensor3("t"), axis1=1, axis2=2)   # (n, min(p, q))
    """
    return ExtractDiag(offset, axis1, axis2)(_as_tensor(a))


def diag(v: Any, k: int = 0) -> TensorVariable:
    """``np.diag``: a vector's square matrix with it on diagonal ``k``, or a matrix's ``k``-th diagonal.

    Example::

        diag(gt.dvector("v"))        # diagonal matrix
        diag(gt.dmatrix("a"), 1)     # first superdiagonal of a
    """
    v = _as_tensor(v)
    k = _int_param("diag", "k", k)
    if v.type.ndim == 1:
        return AllocDiag(k)(v)
    if v.type.ndim == 2:
        return ExtractDiag(k, 0, 1)(v)
    raise ValueError(f"diag: expected a 1-d or 2-d input, got {v.type.ndim}-d {v}")


def trace(
    a: Any, offset: int = 0, axis1: int = 0, axis2: int = 1, dtype: Any = None
) -> TensorVariable:
    """``np.trace``: the sum along a diagonal (small integers accumulate in int64, like NumPy).

    Example::

        trace(gt.dmatrix("a"))
        trace(gt.dtensor3("t"), axis1=1, axis2=2)     # one trace per t[i]
    """
    from graft.tensor.math import sum as tsum

    return tsum(diagonal(a, offset, axis1, axis2), axis=-1, dtype=dtype)


# ---------------------------------------------------------------------------
# Triangles
# ---------------------------------------------------------------------------


def _tri_mask(name: str, n: Any, m: Any, k: Any) -> Any:
    """Boolean ``(n, m)`` mask of ``j <= i + k``."""

    n = _int_scalar(name, "N", n)
    m = n if m is None else _int_scalar(name, "M", m)
    k = _int_scalar(name, "k", k)
    rows: Any = arange(_const_int(n) if _const_int(n) is not None else n, dtype="int64")
    cols: Any = arange(_const_int(m) if _const_int(m) is not None else m, dtype="int64")
    return _tm().ge(rows.dimshuffle(0, "x") + k, cols.dimshuffle("x", 0))


def tri(N: Any, M: Any = None, k: Any = 0, dtype: Any = "float64") -> TensorVariable:
    """``np.tri``: an ``N`` x ``M`` array with ones at and below diagonal ``k``, zeros above.

    Example::

        tri(3, k=-1, dtype="int8")
        tri(gt.lscalar("n"))            # symbolic size
    """
    return cast(_tri_mask("tri", N, M, k), dtype)


def _tri_part(name: str, m: Any, k: Any, lower: bool) -> TensorVariable:
    m = _as_tensor(m)
    nd = m.type.ndim
    if nd == 0:
        raise ValueError(f"{name}: expected an input of at least 1 dimension, got 0-d {m}")
    if nd >= 2 and isinstance(k, int | np.integer) and not isinstance(k, bool):
        from graft.tensor.linalg import Tri

        return Tri(lower, int(k))(m)
    from graft.tensor.shape import shape_i

    # A vector is taken as every row of a square matrix, as NumPy broadcasts it.
    rows, cols = shape_i(m, -2 if nd >= 2 else -1), shape_i(m, -1)
    k = _int_scalar(name, "k", k)
    keep = _tri_mask(name, rows, cols, k if lower else k - 1)
    if not lower:
        keep = _tm().invert(keep)
    zero = constant(np.zeros((), dtype=m.type.dtype))
    return _tm().switch(keep, m, zero)


def tril(m: Any, k: Any = 0) -> TensorVariable:
    """``np.tril``: zero the entries above diagonal ``k`` of the last two axes.

    ``k`` may be symbolic. A vector is broadcast to a square matrix first,
    like NumPy does.

    Example::

        tril(gt.dtensor3("stack"), -1)   # strictly lower part of each matrix
    """
    return _tri_part("tril", m, k, lower=True)


def triu(m: Any, k: Any = 0) -> TensorVariable:
    """``np.triu``: zero the entries below diagonal ``k`` of the last two axes.

    Example::

        triu(gt.dmatrix("a"), 1)
    """
    return _tri_part("triu", m, k, lower=False)


# ---------------------------------------------------------------------------
# Triangle indices
# ---------------------------------------------------------------------------


def _tri_count(lower: bool, n: Any, k: Any, m: Any) -> Any:
    """How many entries the lower (``j <= i + k``) or upper (``j >= i + k``) triangle holds."""
    if all(isinstance(v, int | np.integer) for v in (n, k, m)):
        i = np.arange(max(int(n), 0))
        per_row = i + k + 1 if lower else m - i - k
        return int(np.clip(per_row, 0, max(int(m), 0)).sum())
    from graft.tensor.math import sum as tsum

    tm = _tm()
    si: Any = arange(tm.maximum(n, 0), dtype="int64")
    per_row = si + k + 1 if lower else m - si - k
    return tsum(tm.clip(per_row, 0, tm.maximum(m, 0)))


class TriIndices(Op):
    """``np.tril_indices(n, k, m)`` (``lower=True``) or ``np.triu_indices``: two int64 vectors.

    The inputs are three integer scalars ``n``, ``k``, ``m``; the outputs are
    the row and the column indices of the triangle, in row-major order.

    Example::

        rows, cols = TriIndices(lower=True)(4, 0, 4)
    """

    __props__ = ("lower",)

    def __init__(self, lower: bool = True) -> None:
        self.lower = bool(lower)

    def make_node(self, n: Any, k: Any, m: Any) -> Apply:
        ins = [_int_scalar(str(self), what, v) for what, v in (("n", n), ("k", k), ("m", m))]
        consts = [_const_int(v) for v in ins]
        count = None if None in consts else _tri_count(self.lower, *consts)
        outs = [TensorType("int64", (count,))() for _ in range(2)]
        return Apply(self, ins, outs)

    def perform(self, node: Apply, inputs: Sequence[Any], output_storage: list[list[Any]]) -> None:
        n, k, m = (int(v) for v in inputs)
        f = np.tril_indices if self.lower else np.triu_indices
        rows, cols = f(n, k, m)
        output_storage[0][0] = rows.astype("int64")
        output_storage[1][0] = cols.astype("int64")

    def infer_shape(self, fgraph: Any, node: Apply, input_shapes: list[Any]) -> list[Any]:
        static = node.outputs[0].type.shape[0]  # type: ignore[attr-defined]
        count = static if static is not None else _tri_count(self.lower, *node.inputs)
        return [(count,), (count,)]

    def connection_pattern(self, node: Apply) -> list[list[bool]]:
        return [[False, False] for _ in node.inputs]

    def L_op(
        self,
        inputs: Sequence[Any],
        outputs: Sequence[Any],
        output_grads: Sequence[Any],
    ) -> list[Variable]:
        return [disconnected_type() for _ in inputs]

    def __str__(self) -> str:
        return "TrilIndices" if self.lower else "TriuIndices"


def tril_indices(n: Any, k: Any = 0, m: Any = None) -> tuple[TensorVariable, TensorVariable]:
    """``np.tril_indices``: row and column indices of the lower triangle of an ``n`` x ``m`` array.

    Example::

        rows, cols = tril_indices(3, -1)     # ([1, 2, 2], [0, 0, 1])
    """
    rows, cols = TriIndices(True)(n, k, n if m is None else m)
    return rows, cols


def triu_indices(n: Any, k: Any = 0, m: Any = None) -> tuple[TensorVariable, TensorVariable]:
    """``np.triu_indices``: row and column indices of the upper triangle of an ``n`` x ``m`` array.

    Example::

        rows, cols = triu_indices(gt.lscalar("n"), 1)
    """
    rows, cols = TriIndices(False)(n, k, n if m is None else m)
    return rows, cols


def _from(name: str, a: Any) -> tuple[Any, Any]:
    from graft.tensor.shape import shape_i

    a = _as_tensor(a)
    if a.type.ndim != 2:
        raise ValueError(f"{name}: expected a 2-d input, got {a.type.ndim}-d {a}")
    return shape_i(a, 0), shape_i(a, 1)


def tril_indices_from(a: Any, k: Any = 0) -> tuple[TensorVariable, TensorVariable]:
    """``np.tril_indices_from``: `tril_indices` for the shape of the matrix ``a``.

    Example::

        a[tril_indices_from(a)]
    """
    n, m = _from("tril_indices_from", a)
    return tril_indices(n, k, m)


def triu_indices_from(a: Any, k: Any = 0) -> tuple[TensorVariable, TensorVariable]:
    """``np.triu_indices_from``: `triu_indices` for the shape of the matrix ``a``.

    Example::

        a[triu_indices_from(a, 1)]
    """
    n, m = _from("triu_indices_from", a)
    return triu_indices(n, k, m)
