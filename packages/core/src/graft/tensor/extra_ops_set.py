"""Ops whose output size depends on the input values: `Unique`, `Nonzero`, `Bincount`.

Their static output lengths are unknown (``None``) unless an empty or size-1
input settles them; ``infer_shape`` gives the run-time lengths. Re-exported by
`graft.tensor.extra_ops`.

Example::

    import graft.tensor as gt

    x = gt.lvector("x")
    values, counts = gt.unique(x, return_counts=True)
    (idx,) = gt.nonzero(x)                # int64 positions of the non-zero entries
    gt.bincount(x, minlength=10)          # occurrences of 0, 1, ...
"""

from __future__ import annotations

import typing
from collections.abc import Sequence
from typing import Any

import numpy as np

from graft.gradient.types import disconnected_type, grad_undefined
from graft.graph.basic import Apply, Variable
from graft.graph.op import Op
from graft.tensor._helpers import (
    _as_tensor,
    _check_axis,
    _discrete_grad,
    _is_discrete_dtype,
    _np_dtype,
    _tm,
)
from graft.tensor.basic import cast
from graft.tensor.type import TensorType
from graft.tensor.variable import TensorVariable

__all__ = [
    "Bincount",
    "Nonzero",
    "Unique",
    "bincount",
    "flatnonzero",
    "nonzero",
    "unique",
]


class Unique(Op):
    """``np.unique``: the sorted distinct values of ``x``, and optionally index, inverse, counts.

    Outputs, in NumPy's order, those requested: the values (``x``'s dtype; a
    vector when ``axis`` is None, else ``x`` with the distinct slices along
    ``axis``), ``index`` (int64, first occurrences), ``inverse`` (int64; shaped
    like ``x`` when ``axis`` is None, else a vector) and ``counts`` (int64).
    NaNs count as equal, as in NumPy. Not differentiable.

    Example::

        values, inverse = Unique(return_inverse=True)(gt.dvector("x"))
    """

    __props__ = ("return_index", "return_inverse", "return_counts", "axis")

    def __init__(
        self,
        return_index: bool = False,
        return_inverse: bool = False,
        return_counts: bool = False,
        axis: int | None = None,
    ) -> None:
        self.return_index = bool(return_index)
        self.return_inverse = bool(return_inverse)
        self.return_counts = bool(return_counts)
        self.axis = _check_axis(axis, "Unique")

    def make_node(self, x: Any) -> Apply:
        x = _as_tensor(x)
        shape = x.type.shape
        if self.axis is None:
            known = int(np.prod(shape)) if all(s is not None for s in shape) else None
            n = known if known in (0, 1) else None
            vshape: tuple[int | None, ...] = (n,)
            inv_shape = shape
        else:
            nd = x.type.ndim
            if not -nd <= self.axis < nd:
                raise np.exceptions.AxisError(
                    f"{self}: axis {self.axis} is out of bounds for {nd}-d input {x}"
                )
            if self.axis < 0:
                return Unique(
                    self.return_index, self.return_inverse, self.return_counts, self.axis % nd
                ).make_node(x)
            k = shape[self.axis]
            n = k if k in (0, 1) else None
            vshape = shape[: self.axis] + (n,) + shape[self.axis + 1 :]
            inv_shape = (k,)
        outs = [TensorType(x.type.dtype, vshape)()]
        if self.return_index:
            outs.append(TensorType("int64", (n,))())
        if self.return_inverse:
            outs.append(TensorType("int64", inv_shape)())
        if self.return_counts:
            outs.append(TensorType("int64", (n,))())
        return Apply(self, [x], outs)

    def perform(self, node: Apply, inputs: Sequence[Any], output_storage: list[list[Any]]) -> None:
        (x,) = inputs
        res = np.unique(  # type: ignore[call-overload]
            x,
            return_index=self.return_index,
            return_inverse=self.return_inverse,
            return_counts=self.return_counts,
            axis=self.axis,
        )
        if not isinstance(res, tuple):
            res = (res,)
        for k, (store, r) in enumerate(zip(output_storage, res)):
            out = np.asarray(r, dtype=_np_dtype(node, k))
            if k == self._inverse_pos() and self.axis is None:
                out = out.reshape(np.shape(x))  # NumPy 2.0.0 returned the flat inverse
            elif k == self._inverse_pos():
                out = out.reshape(-1)
            store[0] = out

    def _inverse_pos(self) -> int:
        return 1 + int(self.return_index) if self.return_inverse else -1

    def infer_shape(self, fgraph: Any, node: Apply, input_shapes: list[Any]) -> list[Any]:
        from graft.tensor.shape import shape_i

        (xs,) = input_shapes
        # The number of distinct values is known only once computed.
        ax = 0 if self.axis is None else self.axis
        n = shape_i(node.outputs[0], ax)
        values = (n,) if self.axis is None else tuple(xs[:ax] + (n,) + xs[ax + 1 :])
        out: list[Any] = [values]
        if self.return_index:
            out.append((n,))
        if self.return_inverse:
            out.append(tuple(xs) if self.axis is None else (xs[ax],))
        if self.return_counts:
            out.append((n,))
        return out

    def L_op(
        self,
        inputs: Sequence[Any],
        outputs: Sequence[Any],
        output_grads: Sequence[Any],
    ) -> list[Variable]:
        (x,) = inputs
        if _is_discrete_dtype(x.type.dtype):
            return [_discrete_grad(x)]
        return [grad_undefined(self, 0, x, "unique is not differentiable where values tie")]

    def connection_pattern(self, node: Apply) -> list[list[bool]]:
        return [[True] + [False] * (len(node.outputs) - 1)]

    def __str__(self) -> str:
        flags = "".join(
            f",{n}"
            for n, on in (
                ("index", self.return_index),
                ("inverse", self.return_inverse),
                ("counts", self.return_counts),
            )
            if on
        )
        return f"Unique{{axis={self.axis}{flags}}}"


def unique(
    x: Any,
    return_index: bool = False,
    return_inverse: bool = False,
    return_counts: bool = False,
    axis: int | None = None,
) -> Any:
    """``np.unique``: the sorted distinct values of ``x`` (over the flattened array when ``axis`` is None).

    Returns one tensor, or a tuple ``(values, [index], [inverse], [counts])``
    when any ``return_*`` flag is set. ``inverse`` has ``x``'s shape when
    ``axis`` is None (NumPy 2's rule).

    Example::

        values, counts = unique(gt.lvector("x"), return_counts=True)
    """
    outs = Unique(return_index, return_inverse, return_counts, axis)(x, return_list=True)
    return outs[0] if len(outs) == 1 else tuple(outs)


class Nonzero(Op):
    """``np.nonzero(a)``: one int64 index vector per dimension of ``a`` (row-major order).

    ``a`` must have at least one dimension (NumPy's rule). Not differentiable
    (the outputs are indices).

    Example::

        rows, cols = Nonzero()(gt.dmatrix("m"))
    """

    __props__ = ()

    def make_node(self, a: Any) -> Apply:
        a = _as_tensor(a)
        if a.type.ndim == 0:
            raise ValueError(
                f"Nonzero: input {a} is 0-d; nonzero needs at least one dimension "
                "(use shape_padleft or flatnonzero)"
            )
        known = a.type.shape
        n = 0 if any(s == 0 for s in known) else None
        return Apply(self, [a], [TensorType("int64", (n,))() for _ in range(a.type.ndim)])

    def perform(self, node: Apply, inputs: Sequence[Any], output_storage: list[list[Any]]) -> None:
        for store, r in zip(output_storage, np.nonzero(inputs[0])):
            store[0] = np.asarray(r, dtype="int64")

    def infer_shape(self, fgraph: Any, node: Apply, input_shapes: list[Any]) -> list[Any]:
        tm = _tm()
        count = cast(tm.sum(tm.neq(node.inputs[0], 0)), "int64")
        return [(count,)] * len(node.outputs)

    def L_op(
        self,
        inputs: Sequence[Any],
        outputs: Sequence[Any],
        output_grads: Sequence[Any],
    ) -> list[Variable]:
        return [disconnected_type()]

    def connection_pattern(self, node: Apply) -> list[list[bool]]:
        return [[False] * len(node.outputs)]

    def __str__(self) -> str:
        return "Nonzero"


def nonzero(a: Any, return_matrix: bool = False) -> Any:
    """``np.nonzero(a)``: a tuple of int64 index vectors, one per dimension of ``a``.

    With ``return_matrix=True``, one int64 matrix of shape ``(a.ndim, count)``.

    Example::

        rows, cols = nonzero(gt.dmatrix("m"))
    """
    outs = Nonzero()(a, return_list=True)
    if return_matrix:
        from graft.tensor.join import stack

        return stack(outs)
    return tuple(outs)


def flatnonzero(a: Any) -> TensorVariable:
    """``np.flatnonzero(a)``: int64 indices of the non-zero entries of the flattened ``a``.

    Example::

        flatnonzero(gt.dmatrix("m"))
    """
    from graft.tensor.shape import reshape

    return typing.cast(TensorVariable, Nonzero()(reshape(_as_tensor(a), (-1,))))


class Bincount(Op):
    """``np.bincount(x, weights, minlength)``: occurrences (or summed weights) of each value of ``x``.

    ``x`` is a vector of non-negative integers (checked when run: ValueError
    otherwise). Without weights the output is int64, with weights float64
    (as NumPy, except that NumPy gives int64 zeros for an empty ``x``). The gradient w.r.t. the weights is the output gradient read
    at each ``x``; ``x`` gets a zero gradient.

    Example::

        Bincount(minlength=5)(gt.lvector("x"), gt.dvector("w"))
    """

    __props__ = ("minlength",)

    def __init__(self, minlength: int = 0) -> None:
        if isinstance(minlength, bool) or not isinstance(minlength, int | np.integer):
            raise TypeError(f"bincount: minlength must be an int, got {minlength!r}")
        if minlength < 0:
            raise ValueError(f"bincount: minlength must not be negative, got {minlength}")
        self.minlength = int(minlength)

    def make_node(self, x: Any, weights: Any = None) -> Apply:
        x = _as_tensor(x)
        if not _is_discrete_dtype(x.type.dtype):
            raise TypeError(
                f"Bincount: input x ({x}) must have an integer dtype, got {x.type.dtype}"
            )
        if x.type.ndim != 1:
            raise ValueError(f"Bincount: input x ({x}) must be a vector, got {x.type.ndim}-d")
        n = self.minlength if x.type.shape[0] == 0 else None
        ins = [x]
        dtype = "int64"
        if weights is not None:
            w = _as_tensor(weights)
            if w.type.ndim != 1:
                raise ValueError(f"Bincount: weights ({w}) must be a vector, got {w.type.ndim}-d")
            if np.dtype(w.type.dtype).kind not in "biuf":
                raise TypeError(f"Bincount: weights ({w}) must be real, got {w.type.dtype}")
            lx, lw = x.type.shape[0], w.type.shape[0]
            if lx is not None and lw is not None and lx != lw:
                raise ValueError(
                    f"Bincount: weights ({w}) have length {lw}, but x ({x}) has length {lx}"
                )
            ins.append(w)
            dtype = "float64"
        return Apply(self, ins, [TensorType(dtype, (n,))()])

    def perform(self, node: Apply, inputs: Sequence[Any], output_storage: list[list[Any]]) -> None:
        x = inputs[0]
        w = inputs[1] if len(inputs) > 1 else None
        if x.size and x.min() < 0:
            raise ValueError(
                f"Bincount: input x must hold non-negative integers, got minimum {x.min()}"
            )
        if w is not None and w.shape != x.shape:
            raise ValueError(
                f"Bincount: weights have length {w.shape[0]}, but x has length {x.shape[0]}"
            )
        out = np.bincount(x, weights=w, minlength=self.minlength)
        output_storage[0][0] = np.asarray(out, dtype=_np_dtype(node))

    def infer_shape(self, fgraph: Any, node: Apply, input_shapes: list[Any]) -> list[Any]:
        from graft.tensor.basic import constant
        from graft.tensor.join import concatenate

        out_type: Any = node.outputs[0].type
        if out_type.shape[0] is not None:
            return [(out_type.shape[0],)]
        tm = _tm()
        # max(x) + 1, with -1 appended so that an empty x gives 0.
        x = concatenate([cast(node.inputs[0], "int64"), constant(np.array([-1], dtype="int64"))])
        return [(tm.maximum(tm.max(x) + 1, self.minlength),)]

    def L_op(
        self,
        inputs: Sequence[Any],
        outputs: Sequence[Any],
        output_grads: Sequence[Any],
    ) -> list[Variable]:
        x = inputs[0]
        res = [_discrete_grad(x)]
        if len(inputs) > 1:
            w = inputs[1]
            if _is_discrete_dtype(w.type.dtype):
                res.append(_discrete_grad(w))
            else:
                res.append(cast(output_grads[0][cast(x, "int64")], w.type.dtype))
        return res

    def __str__(self) -> str:
        return f"Bincount{{minlength={self.minlength}}}"


def bincount(x: Any, weights: Any = None, minlength: int = 0) -> TensorVariable:
    """``np.bincount``: how often each value ``0 .. max(x)`` occurs in the int vector ``x``.

    With ``weights``, the sum of the weights at each value (float64). The
    output has at least ``minlength`` entries. Negative values in ``x`` raise
    ValueError when run.

    Example::

        bincount(gt.lvector("x"), weights=gt.dvector("w"), minlength=4)
    """
    if weights is None:
        return typing.cast(TensorVariable, Bincount(minlength)(x))
    return typing.cast(TensorVariable, Bincount(minlength)(x, weights))
