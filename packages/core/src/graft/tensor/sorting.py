"""Sorting: `SortOp` (``np.sort``) and `ArgSortOp` (``np.argsort``).

Both sort along one axis, or over the flattened array when ``axis=None``.
NaNs sort last, as in NumPy. The gradient of ``sort`` scatters the output
gradient back to where each element came from; ``argsort`` gives int64
indices and a zero gradient.

Example::

    import graft.tensor as gt

    x = gt.dmatrix("x")
    gt.sort(x)                          # each row sorted
    gt.sort(x, axis=None)               # the flattened array, sorted (a vector)
    gt.argsort(x, axis=0, stable=True)  # int64 indices, ties kept in order
"""

from __future__ import annotations

import typing
from collections.abc import Sequence
from typing import Any

import numpy as np

from graft.graph.basic import Apply, Variable
from graft.graph.op import Op
from graft.tensor._helpers import (
    _as_tensor,
    _check_axis,
    _discrete_grad,
    _is_discrete_dtype,
    _np_dtype,
)
from graft.tensor.basic import arange, cast, zeros_like
from graft.tensor.type import TensorType
from graft.tensor.variable import TensorVariable

__all__ = ["ArgSortOp", "SortOp", "argsort", "sort"]

_KINDS = ("quicksort", "mergesort", "heapsort", "stable")


def _check_kind(fn: str, kind: Any, stable: Any = None) -> str:
    """NumPy's ``kind``/``stable`` pair as one kind name (``stable=True`` is ``"stable"``)."""
    if stable is not None:
        if kind is not None:
            raise ValueError(f"{fn}: kind and stable cannot be given together")
        return "stable" if stable else "quicksort"
    if kind is None:
        return "quicksort"
    if kind not in _KINDS:
        raise ValueError(f"{fn}: kind must be one of {', '.join(_KINDS)}, got {kind!r}")
    return str(kind)


class _SortBase(Op):
    """Shared make_node/infer_shape of the two sorting ops (props ``axis``, ``kind``)."""

    __props__ = ("axis", "kind")

    def __init__(self, axis: int | None = -1, kind: str = "quicksort") -> None:
        self.axis = _check_axis(axis, type(self).__name__)
        self.kind = _check_kind(type(self).__name__, kind)

    def _out_dtype(self, x: Any) -> str:
        raise NotImplementedError

    def make_node(self, x: Any) -> Apply:
        x = _as_tensor(x)
        nd = x.type.ndim
        dtype = self._out_dtype(x)
        if self.axis is None:
            known = x.type.shape
            size = int(np.prod(known)) if all(s is not None for s in known) else None
            return Apply(self, [x], [TensorType(dtype, (size,))()])
        if not -nd <= self.axis < nd:
            raise np.exceptions.AxisError(
                f"{type(self).__name__}: axis {self.axis} is out of bounds for {nd}-d input {x}"
            )
        if self.axis < 0:
            return type(self)(self.axis % nd, self.kind).make_node(x)
        return Apply(self, [x], [TensorType(dtype, x.type.shape)()])

    def infer_shape(self, fgraph: Any, node: Apply, input_shapes: list[Any]) -> list[Any]:
        if self.axis is None:
            from graft.tensor.math import prod_static

            out_type: Any = node.outputs[0].type
            static = out_type.shape[0]
            return [(static if static is not None else prod_static(list(input_shapes[0])),)]
        return [input_shapes[0]]

    def __str__(self) -> str:
        return f"{type(self).__name__}{{axis={self.axis},{self.kind}}}"


class SortOp(_SortBase):
    """``np.sort(x, axis, kind)``; ``axis=None`` sorts the flattened array.

    The output has ``x``'s dtype. Its gradient puts each output gradient back
    at the position its element was taken from (via `ArgSortOp`).

    Example::

        SortOp(axis=0)(gt.dmatrix("x"))   # each column sorted
    """

    def _out_dtype(self, x: Any) -> str:
        return str(x.type.dtype)

    def perform(self, node: Apply, inputs: Sequence[Any], output_storage: list[list[Any]]) -> None:
        out = np.sort(inputs[0], axis=self.axis, kind=self.kind)  # type: ignore[call-overload]
        output_storage[0][0] = np.asarray(out, dtype=_np_dtype(node))

    def L_op(
        self,
        inputs: Sequence[Any],
        outputs: Sequence[Any],
        output_grads: Sequence[Any],
    ) -> list[Variable]:
        from graft.tensor.shape import reshape, shape, specify_shape
        from graft.tensor.subtensor import set_subtensor

        (x,) = inputs
        (g,) = output_grads
        if _is_discrete_dtype(x.type.dtype):
            return [_discrete_grad(x)]
        # sort(x) == x[where each output element came from]: a permutation, so
        # the gradient writes g back through the same indices.
        idx = ArgSortOp(self.axis, self.kind)(x)
        if self.axis is None:
            xf = reshape(x, (-1,))
            gf = set_subtensor(zeros_like(xf)[idx], g)
            gx = specify_shape(reshape(gf, shape(x), ndim=x.type.ndim), x.type.shape)
        else:
            gx = set_subtensor(zeros_like(x)[_along_axis(x, idx, self.axis)], g)
        return [cast(gx, x.type.dtype)]


class ArgSortOp(_SortBase):
    """``np.argsort(x, axis, kind)`` as int64 indices; ``axis=None`` indexes the flattened array.

    Use ``kind="stable"`` (or ``mergesort``) to keep equal elements in order.
    The gradient is zero (the output is piecewise constant in ``x``).

    Example::

        ArgSortOp(axis=-1, kind="stable")(gt.dvector("x"))
    """

    def _out_dtype(self, x: Any) -> str:
        return "int64"

    def perform(self, node: Apply, inputs: Sequence[Any], output_storage: list[list[Any]]) -> None:
        out = np.argsort(inputs[0], axis=self.axis, kind=self.kind)  # type: ignore[arg-type]
        output_storage[0][0] = np.asarray(out, dtype="int64")

    def L_op(
        self,
        inputs: Sequence[Any],
        outputs: Sequence[Any],
        output_grads: Sequence[Any],
    ) -> list[Variable]:
        (x,) = inputs
        if _is_discrete_dtype(x.type.dtype):
            return [_discrete_grad(x)]
        return [zeros_like(x)]


def _along_axis(x: Any, idx: Any, axis: int) -> tuple[Any, ...]:
    """The advanced index for which ``x[index]`` is ``np.take_along_axis(x, idx, axis)``.

    ``idx`` has ``x``'s shape; every other dimension is indexed by a broadcast ``arange``.
    """
    from graft.tensor.elemwise import DimShuffle
    from graft.tensor.shape import shape_i

    nd = x.type.ndim
    index: list[Any] = []
    for d in range(nd):
        if d == axis:
            index.append(idx)
            continue
        r = arange(shape_i(x, d), dtype="int64")
        index.append(DimShuffle(1, ["x"] * d + [0] + ["x"] * (nd - d - 1))(r))
    return tuple(index)


def sort(
    a: Any,
    axis: int | None = -1,
    kind: str | None = None,
    order: None = None,
    *,
    stable: bool | None = None,
) -> TensorVariable:
    """A sorted copy of ``a`` along ``axis`` (``np.sort``); ``axis=None`` flattens first.

    NaNs sort to the end. ``kind`` is one of NumPy's sorting algorithms
    (``quicksort`` by default); ``stable=True`` is ``kind="stable"``. ``order``
    (for structured arrays) is not supported.

    Example::

        sort(gt.dvector("x"))              # ascending
        sort(gt.dmatrix("m"), axis=None)   # all elements, as a vector
    """
    if order is not None:
        raise ValueError("sort: order (structured arrays) is not supported")
    return typing.cast(
        TensorVariable, SortOp(_check_axis(axis, "sort"), _check_kind("sort", kind, stable))(a)
    )


def argsort(
    a: Any,
    axis: int | None = -1,
    kind: str | None = None,
    order: None = None,
    *,
    stable: bool | None = None,
) -> TensorVariable:
    """int64 indices that sort ``a`` along ``axis`` (``np.argsort``); ``axis=None`` flattens first.

    Equal elements keep their order only with a stable ``kind``
    (``stable=True``). The gradient w.r.t. ``a`` is zero.

    Example::

        argsort(gt.dvector("x"), stable=True)
    """
    if order is not None:
        raise ValueError("argsort: order (structured arrays) is not supported")
    return typing.cast(
        TensorVariable,
        ArgSortOp(_check_axis(axis, "argsort"), _check_kind("argsort", kind, stable))(a),
    )
