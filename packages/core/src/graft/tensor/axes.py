"""Axis manipulation: moving, swapping and padding dimensions, and ``broadcast_to``.

All but ``broadcast_to`` are views built on `DimShuffle`; ``broadcast_to`` is an
`Alloc` when the input's static shape already settles every dimension, else a
`BroadcastTo` that checks the sizes when run.

Example::

    import graft.tensor as gt

    x = gt.tensor3("x")
    gt.moveaxis(x, 0, -1)                    # np.moveaxis: shape (b, c, a)
    gt.swapaxes(x, 1, 2)                     # shape (a, c, b)
    gt.shape_padleft(gt.dvector("v"), 2)     # shape (1, 1, n)
    gt.broadcast_to(gt.dvector("v"), (3, gt.lscalar("n")))
"""

from __future__ import annotations

import typing
from collections.abc import Sequence
from typing import Any

import numpy as np

from graft.gradient.types import disconnected_type
from graft.graph.basic import Apply, Variable
from graft.graph.op import Op
from graft.tensor._helpers import _as_tensor, _discrete_grad, _is_discrete_dtype, _np_dtype
from graft.tensor.basic import _as_shape_entries, alloc, cast, get_underlying_scalar_constant_value
from graft.tensor.elemwise import DimShuffle
from graft.tensor.type import TensorType
from graft.tensor.variable import TensorVariable

__all__ = [
    "BroadcastTo",
    "broadcast_to",
    "moveaxis",
    "shape_padaxis",
    "shape_padleft",
    "shape_padright",
    "swapaxes",
]

AxisError = np.exceptions.AxisError


def _norm_axis(fn: str, axis: Any, ndim: int, what: str = "axis") -> int:
    """``axis`` in ``[0, ndim)``; AxisError (a ValueError and IndexError) naming ``fn`` otherwise."""
    if isinstance(axis, bool) or not isinstance(axis, int | np.integer):
        raise TypeError(f"{fn}: {what} must be an int, got {axis!r}")
    if not -ndim <= axis < ndim:
        raise AxisError(f"{fn}: {what} {axis} is out of bounds for an array of dimension {ndim}")
    return int(axis) % ndim


def _norm_axes(fn: str, axes: Any, ndim: int, what: str) -> list[int]:
    seq = list(axes) if isinstance(axes, Sequence) else [axes]
    out = [_norm_axis(fn, a, ndim, what) for a in seq]
    if len(set(out)) != len(out):
        raise ValueError(f"{fn}: repeated axis in {what} {axes!r}")
    return out


def _shuffle(x: Any, order: Sequence[int | str]) -> TensorVariable:
    if list(order) == list(range(x.type.ndim)):
        return typing.cast(TensorVariable, x)
    return typing.cast(TensorVariable, DimShuffle(x.type.ndim, list(order))(x))


def moveaxis(
    a: Any, source: int | Sequence[int], destination: int | Sequence[int]
) -> TensorVariable:
    """``np.moveaxis``: move axes ``source`` to positions ``destination``, keeping the others' order.

    Example::

        moveaxis(gt.tensor3("x"), [0, 1], [-1, -2])   # shape (c, b, a)
    """
    x = _as_tensor(a)
    nd = x.type.ndim
    src = _norm_axes("moveaxis", source, nd, "source")
    dst = _norm_axes("moveaxis", destination, nd, "destination")
    if len(src) != len(dst):
        raise ValueError(
            f"moveaxis: source {source!r} and destination {destination!r} must have the "
            "same number of elements"
        )
    order: list[int | str] = [d for d in range(nd) if d not in src]
    for d, s in sorted(zip(dst, src)):
        order.insert(d, s)
    return _shuffle(x, order)


def swapaxes(x: Any, axis1: int, axis2: int) -> TensorVariable:
    """``np.swapaxes``: exchange two axes.

    Example::

        swapaxes(gt.tensor3("x"), 0, -1)   # shape (c, b, a)
    """
    x = _as_tensor(x)
    nd = x.type.ndim
    a1 = _norm_axis("swapaxes", axis1, nd, "axis1")
    a2 = _norm_axis("swapaxes", axis2, nd, "axis2")
    order: list[int | str] = list(range(nd))
    order[a1], order[a2] = a2, a1
    return _shuffle(x, order)


def _check_n_ones(fn: str, n_ones: Any) -> int:
    if isinstance(n_ones, bool) or not isinstance(n_ones, int | np.integer) or n_ones < 0:
        raise ValueError(f"{fn}: n_ones must be a non-negative int, got {n_ones!r}")
    return int(n_ones)


def shape_padleft(t: Any, n_ones: int = 1) -> TensorVariable:
    """``t`` with ``n_ones`` broadcastable (size-1) dimensions added on the left.

    Example::

        shape_padleft(gt.dmatrix("m"))   # shape (1, r, c)
    """
    x = _as_tensor(t)
    n = _check_n_ones("shape_padleft", n_ones)
    return _shuffle(x, ["x"] * n + list(range(x.type.ndim)))


def shape_padright(t: Any, n_ones: int = 1) -> TensorVariable:
    """``t`` with ``n_ones`` broadcastable (size-1) dimensions added on the right.

    Example::

        shape_padright(gt.dvector("v"), 2)   # shape (n, 1, 1)
    """
    x = _as_tensor(t)
    n = _check_n_ones("shape_padright", n_ones)
    return _shuffle(x, list(range(x.type.ndim)) + ["x"] * n)


def shape_padaxis(t: Any, axis: int) -> TensorVariable:
    """``t`` with a broadcastable dimension inserted at position ``axis`` of the result.

    ``axis`` may be in ``[-ndim - 1, ndim]`` (like ``np.expand_dims`` with one axis).

    Example::

        shape_padaxis(gt.dmatrix("m"), 1)   # shape (r, 1, c)
    """
    x = _as_tensor(t)
    nd = x.type.ndim
    pos = _norm_axis("shape_padaxis", axis, nd + 1)
    order: list[int | str] = list(range(nd))
    order.insert(pos, "x")
    return _shuffle(x, order)


# ---------------------------------------------------------------------------
# broadcast_to
# ---------------------------------------------------------------------------


def _const_dim(v: Variable) -> int | None:
    try:
        return int(get_underlying_scalar_constant_value(v))
    except ValueError:
        return None


def _fmt(shape: Sequence[Any]) -> str:
    return (
        "("
        + ", ".join("?" if s is None else str(s) for s in shape)
        + ("," if len(shape) == 1 else "")
        + ")"
    )


def _static_target(fn: str, x: Any, entries: Sequence[Variable]) -> tuple[list[int | None], bool]:
    """The static output shape, and whether ``x``'s static shape settles every dimension.

    Raises at graph-build time for a negative constant size or a static clash.
    """
    xshape = x.type.shape
    n, nd = len(entries), len(xshape)
    if nd > n:
        raise ValueError(
            f"{fn}: input {x} has {nd} dimensions, more than the {n} of the target shape"
        )
    consts = [_const_dim(e) for e in entries]
    for d, c in enumerate(consts):
        if c is not None and c < 0:
            raise ValueError(f"{fn}: target size {c} in dimension {d} is negative")
    static: list[int | None] = list(consts)
    settled = True
    for d, xs in enumerate(xshape):
        od = n - nd + d
        t = consts[od]
        if xs == 1:
            continue
        if xs is not None and t is not None:
            if xs != t:
                raise ValueError(
                    f"{fn}: input {x} of static shape {_fmt(xshape)} cannot be broadcast to "
                    f"{_fmt(consts)} (dimension {od}: size {xs} is neither 1 nor {t})"
                )
            continue
        settled = False
        if xs is not None:
            static[od] = xs  # the run-time check makes the sizes equal
    return static, settled


class BroadcastTo(Op):
    """``np.broadcast_to(x, shape)`` with the sizes checked when run.

    Used by `broadcast_to` when ``x``'s static shape does not settle every
    dimension (else it builds an `Alloc`). Each input dimension must be 1 or
    equal the target size, as in NumPy, else ValueError. The result is a
    fresh array (not a read-only view). The gradient sums the output gradient
    back to ``x``'s run-time shape.

    Example::

        BroadcastTo()(gt.dvector("v"), 3, gt.lscalar("n"))   # shape (3, n)
    """

    __props__ = ()

    def make_node(self, x: Any, *shape: Any) -> Apply:
        x = _as_tensor(x)
        entries = _as_shape_entries(shape)
        static, _ = _static_target("BroadcastTo", x, entries)
        return Apply(self, [x, *entries], [TensorType(x.type.dtype, static)()])

    def perform(self, node: Apply, inputs: Sequence[Any], output_storage: list[list[Any]]) -> None:
        x, *sh = inputs
        shape = tuple(int(s) for s in sh)
        off = len(shape) - x.ndim
        for d, t in enumerate(shape):
            if t < 0:
                raise ValueError(f"BroadcastTo: target size {t} in dimension {d} is negative")
        for d, xs in enumerate(x.shape):
            t = shape[off + d]
            if xs != t and xs != 1:
                raise ValueError(
                    f"BroadcastTo: input of shape {x.shape} cannot be broadcast to {shape} "
                    f"(dimension {off + d}: size {xs} is neither 1 nor {t})"
                )
        out = np.empty(shape, dtype=_np_dtype(node))
        out[...] = x
        output_storage[0][0] = out

    def infer_shape(self, fgraph: Any, node: Apply, input_shapes: list[Any]) -> list[Any]:
        out_type: Any = node.outputs[0].type
        return [tuple(s if s is not None else e for s, e in zip(out_type.shape, node.inputs[1:]))]

    def L_op(
        self,
        inputs: Sequence[Any],
        outputs: Sequence[Any],
        output_grads: Sequence[Any],
    ) -> list[Variable]:
        x = inputs[0]
        rest = [disconnected_type() for _ in inputs[1:]]
        if _is_discrete_dtype(x.type.dtype):
            return [_discrete_grad(x), *rest]
        return [cast(SumToShape()(output_grads[0], x), x.type.dtype), *rest]

    def connection_pattern(self, node: Apply) -> list[list[bool]]:
        return [[True]] + [[False] for _ in node.inputs[1:]]

    def do_constant_folding(self, fgraph: Any, node: Apply) -> bool:
        # Folding would store a possibly huge array in the graph.
        return False

    def __str__(self) -> str:
        return "BroadcastTo"


class SumToShape(Op):
    """``g`` summed back to the run-time shape of ``like`` (the adjoint of broadcasting ``like``).

    Sums over ``g``'s leading extra dimensions and over each dimension where
    ``like`` has size 1 and ``g`` does not. ``like`` gives only its shape.

    Example::

        SumToShape()(gt.dmatrix("g"), gt.dvector("v"))   # g.sum(0), or g.sum(0, keepdims) when len(v) == 1
    """

    __props__ = ()

    def make_node(self, g: Any, like: Any) -> Apply:
        g, like = _as_tensor(g), _as_tensor(like)
        if like.type.ndim > g.type.ndim:
            raise ValueError(
                f"SumToShape: {g} has {g.type.ndim} dimensions, fewer than the "
                f"{like.type.ndim} of {like}"
            )
        return Apply(self, [g, like], [TensorType(g.type.dtype, like.type.shape)()])

    def perform(self, node: Apply, inputs: Sequence[Any], output_storage: list[list[Any]]) -> None:
        g, like = inputs
        g = np.asarray(g)
        lead = g.ndim - like.ndim
        if lead:
            g = g.sum(axis=tuple(range(lead)))
        axes = tuple(d for d, (s, t) in enumerate(zip(like.shape, g.shape)) if s == 1 and t != 1)
        if axes:
            g = g.sum(axis=axes, keepdims=True)
        if g.shape != like.shape:
            raise ValueError(f"SumToShape: cannot sum shape {g.shape} to {like.shape}")
        output_storage[0][0] = np.asarray(g, dtype=_np_dtype(node))

    def infer_shape(self, fgraph: Any, node: Apply, input_shapes: list[Any]) -> list[Any]:
        return [input_shapes[1]]

    def L_op(
        self,
        inputs: Sequence[Any],
        outputs: Sequence[Any],
        output_grads: Sequence[Any],
    ) -> list[Variable]:
        from graft.tensor.shape import shape_i

        g = inputs[0]
        sizes = [shape_i(g, d) for d in range(g.type.ndim)]
        return [BroadcastTo()(output_grads[0], *sizes), disconnected_type()]

    def connection_pattern(self, node: Apply) -> list[list[bool]]:
        return [[True], [False]]

    def __str__(self) -> str:
        return "SumToShape"


def broadcast_to(x: Any, shape: Any) -> TensorVariable:
    """``np.broadcast_to(x, shape)``: ``x`` repeated along new leading and size-1 dimensions.

    ``shape`` is a sequence of ints and/or integer scalar variables, or an
    integer vector of static length. A size that is neither 1 nor the target
    raises ValueError: at build time when both are known, else when run. The
    gradient sums back to ``x``'s shape. The result is a fresh array.

    Example::

        broadcast_to(gt.dvector("v"), (4, gt.lscalar("n")))   # shape (4, n)
    """
    x = _as_tensor(x)
    entries = _as_shape_entries(shape)
    _, settled = _static_target("broadcast_to", x, entries)
    if settled:
        # Every input dimension is statically 1 or equal to the target: an Alloc
        # broadcasts it the same way, and rewrites know Alloc.
        return typing.cast(TensorVariable, alloc(x, *entries))
    return typing.cast(TensorVariable, BroadcastTo()(x, *entries))
