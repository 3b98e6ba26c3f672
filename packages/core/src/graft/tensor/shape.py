"""Shapes: `Shape`, `Shape_i`, `SpecifyShape`, `Reshape`, and the helpers built on them."""

from __future__ import annotations

import typing
from collections.abc import Sequence
from typing import Any

import numpy as np

from graft.gradient.types import disconnected_type
from graft.graph.basic import Apply, Variable
from graft.graph.op import Op
from graft.tensor.basic import (
    MakeVector,
    _as_shape_entries,
    _ttype,
    as_tensor_variable,
    cast,
    constant,
    get_underlying_scalar_constant_value,
    get_vector_length,
    make_vector,
)
from graft.tensor.type import TensorType


class Shape(Op):
    """The shape of a tensor, as an int64 vector of static length ``ndim``."""

    __props__ = ()

    def make_node(self, x: Any) -> Apply:
        x = as_tensor_variable(x)
        return Apply(self, [x], [TensorType("int64", (x.type.ndim,))()])

    def perform(self, node: Apply, inputs: Sequence[Any], output_storage: list[list[Any]]) -> None:
        output_storage[0][0] = np.asarray(inputs[0].shape, dtype="int64")

    def infer_shape(self, fgraph: Any, node: Apply, input_shapes: list[Any]) -> list[Any]:
        return [(_ttype(node.inputs[0]).ndim,)]

    def L_op(
        self,
        inputs: Sequence[Variable],
        outputs: Sequence[Variable],
        output_grads: Sequence[Variable],
    ) -> list[Variable]:
        return [disconnected_type()]

    def connection_pattern(self, node: Apply) -> list[list[bool]]:
        return [[False]]

    def __str__(self) -> str:
        return "Shape"


_shape = Shape()


def shape(x: Any) -> Variable:
    """Symbolic shape of ``x`` (an int64 vector); static sizes come out as constants when indexed."""
    return _shape(as_tensor_variable(x))


class Shape_i(Op):
    """The size of dimension ``i`` of a tensor (an int64 scalar tensor)."""

    __props__ = ("i",)

    def __init__(self, i: int) -> None:
        self.i = int(i)

    def make_node(self, x: Any) -> Apply:
        x = as_tensor_variable(x)
        if not 0 <= self.i < x.type.ndim:
            raise ValueError(f"Shape_i({self.i}) of {x.type.ndim}-d {x}")
        return Apply(self, [x], [TensorType("int64", ())()])

    def perform(self, node: Apply, inputs: Sequence[Any], output_storage: list[list[Any]]) -> None:
        output_storage[0][0] = np.asarray(inputs[0].shape[self.i], dtype="int64")

    def infer_shape(self, fgraph: Any, node: Apply, input_shapes: list[Any]) -> list[Any]:
        return [()]

    def L_op(
        self,
        inputs: Sequence[Variable],
        outputs: Sequence[Variable],
        output_grads: Sequence[Variable],
    ) -> list[Variable]:
        return [disconnected_type()]

    def connection_pattern(self, node: Apply) -> list[list[bool]]:
        return [[False]]


def shape_i(x: Any, i: int) -> Variable:
    """Size of dimension ``i`` of ``x``: a constant when it is known statically."""
    x = as_tensor_variable(x)
    s = x.type.shape[i]
    if s is not None:
        return constant(s, dtype="int64")
    return Shape_i(i % x.type.ndim)(x)


class SpecifyShape(Op):
    """Asserts at run time that ``x`` has ``shape`` (entries None are unchecked); refines the static type."""

    __props__ = ("shape",)
    view_map = {0: [0]}

    def __init__(self, shape: Sequence[int | None]) -> None:
        self.shape = tuple(None if s is None else int(s) for s in shape)

    def make_node(self, x: Any) -> Apply:
        x = as_tensor_variable(x)
        if x.type.ndim != len(self.shape):
            raise ValueError(
                f"{x} has {x.type.ndim} dimensions, specify_shape gave {len(self.shape)}"
            )
        out_shape = []
        for d, (known, spec) in enumerate(zip(x.type.shape, self.shape)):
            if known is not None and spec is not None and known != spec:
                raise ValueError(f"{x} has static size {known} in dimension {d}, not {spec}")
            out_shape.append(spec if spec is not None else known)
        return Apply(self, [x], [TensorType(x.type.dtype, out_shape)()])

    def perform(self, node: Apply, inputs: Sequence[Any], output_storage: list[list[Any]]) -> None:
        (x,) = inputs
        if x.ndim != len(self.shape) or any(
            s is not None and s != a for s, a in zip(self.shape, x.shape)
        ):
            raise AssertionError(f"SpecifyShape: expected shape {self.shape}, got {x.shape}")
        output_storage[0][0] = x

    def infer_shape(self, fgraph: Any, node: Apply, input_shapes: list[Any]) -> list[Any]:
        return [tuple(s if s is not None else i for s, i in zip(self.shape, input_shapes[0]))]

    def L_op(
        self,
        inputs: Sequence[Variable],
        outputs: Sequence[Variable],
        output_grads: Sequence[Variable],
    ) -> list[Variable]:
        return [output_grads[0]]

    def __str__(self) -> str:
        return f"SpecifyShape{{{self.shape}}}"


def specify_shape(x: Any, shape: Sequence[int | None]) -> Variable:
    """``x`` with its static shape refined to ``shape`` (checked when run)."""
    x = as_tensor_variable(x)
    shape = tuple(shape)
    if all(s is None or s == k for s, k in zip(shape, x.type.shape)) and len(shape) == x.type.ndim:
        if (
            all(s is None for s in shape)
            or tuple(k if s is None else s for s, k in zip(shape, x.type.shape)) == x.type.shape
        ):
            return x
    return SpecifyShape(shape)(x)


def specify_broadcastable(x: Any, *axes: int) -> Variable:
    """``x`` with the given dimensions asserted to have size 1."""
    x = as_tensor_variable(x)
    shape = list(x.type.shape)
    for a in axes:
        shape[a] = 1
    return specify_shape(x, [s if d in axes else None for d, s in enumerate(shape)])


class Reshape(Op):
    """``reshape(x, shape)`` with NumPy semantics (one entry may be -1); ``ndim`` is static."""

    __props__ = ("ndim",)
    view_map = {0: [0]}

    def __init__(self, ndim: int) -> None:
        self.ndim = int(ndim)

    def make_node(self, x: Any, shp: Any) -> Apply:
        x = as_tensor_variable(x)
        shp = as_tensor_variable(shp)
        if shp.type.ndim != 1 or shp.type.dtype not in ("int64", "int32", "int16", "int8"):
            raise TypeError(f"Reshape: the shape must be an integer vector, got {shp.type}")
        static: list[int | None] = [None] * self.ndim
        from graft.graph.basic import Constant

        if isinstance(shp, Constant):
            vals = [int(v) for v in np.asarray(shp.data)]
            if len(vals) != self.ndim:
                raise ValueError(
                    f"Reshape: shape {vals} has {len(vals)} entries, expected {self.ndim}"
                )
            static = [v if v >= 0 else None for v in vals]
            known_in = [s for s in x.type.shape]
            if all(s is not None for s in known_in) and -1 not in vals:
                if int(np.prod(known_in)) != int(np.prod(vals)):
                    raise ValueError(
                        f"Reshape: cannot reshape {x} of static shape {tuple(known_in)} into {tuple(vals)}"
                    )
            if all(s is not None for s in known_in) and vals.count(-1) == 1:
                rest = int(np.prod([v for v in vals if v != -1]))
                total = int(np.prod(known_in))
                if rest and total % rest == 0:
                    static[vals.index(-1)] = total // rest
        elif shp.owner is not None:
            if isinstance(shp.owner.op, Shape):
                # reshape(x, y.shape): the result has y's known sizes.
                static = list(shp.owner.inputs[0].type.shape)

            if isinstance(shp.owner.op, MakeVector):
                for i, e in enumerate(shp.owner.inputs):
                    try:
                        v = int(get_underlying_scalar_constant_value(e))
                        static[i] = v if v >= 0 else None
                    except ValueError:
                        pass
        return Apply(self, [x, shp], [TensorType(x.type.dtype, static)()])

    def perform(self, node: Apply, inputs: Sequence[Any], output_storage: list[list[Any]]) -> None:
        x, shp = inputs
        try:
            output_storage[0][0] = np.reshape(x, tuple(int(s) for s in shp))
        except ValueError as e:
            raise ValueError(
                f"cannot reshape array of shape {x.shape} into {tuple(int(v) for v in shp)}: {e}"
            ) from None

    def infer_shape(self, fgraph: Any, node: Apply, input_shapes: list[Any]) -> list[Any]:
        # An entry of ``shp`` may be -1: it then stands for the input's size
        # divided by the product of the other entries (NumPy's rule).
        from graft.graph.basic import Constant
        from graft.tensor import math as tm

        x, shp = typing.cast("Sequence[Any]", node.inputs)
        static = _ttype(node.outputs[0]).shape
        if isinstance(shp, Constant):
            entries: list[Any] = [int(v) for v in np.asarray(shp.data)]
        elif shp.owner is not None and type(shp.owner.op).__name__ == "MakeVector":
            entries = list(shp.owner.inputs)
        else:
            entries = [shp[i] for i in range(self.ndim)]
        out: list[Any] = []
        for i, s in enumerate(static):
            if s is not None:
                out.append(s)
                continue
            e = entries[i]
            if isinstance(e, int) and e >= 0:
                out.append(e)
                continue
            others = tm.prod_static(entries[:i] + entries[i + 1 :])
            inferred = tm.int_div(tm.prod_static(list(input_shapes[0])), tm.maximum(others, 1))
            out.append(inferred if isinstance(e, int) else tm.switch(tm.eq(e, -1), inferred, e))
        return [tuple(out)]

    def L_op(
        self,
        inputs: Sequence[Variable],
        outputs: Sequence[Variable],
        output_grads: Sequence[Variable],
    ) -> list[Variable]:
        x = inputs[0]
        xt = _ttype(x)
        g = reshape(output_grads[0], shape(x), ndim=xt.ndim)
        return [specify_shape(g, xt.shape), disconnected_type()]

    def connection_pattern(self, node: Apply) -> list[list[bool]]:
        return [[True], [False]]

    def __str__(self) -> str:
        return f"Reshape{{{self.ndim}}}"


def reshape(x: Any, newshape: Any, ndim: int | None = None) -> Variable:
    """``x`` reshaped to ``newshape`` (a tuple of ints/scalars or an int vector)."""
    x = as_tensor_variable(x)
    if isinstance(newshape, int | np.integer):
        newshape = (int(newshape),)
    shp: Variable
    if isinstance(newshape, list | tuple):
        if all(isinstance(s, int | np.integer) for s in newshape):
            shp = constant(np.asarray(newshape, dtype="int64"))
        else:
            shp = make_vector(*_as_shape_entries_allow_neg(newshape))
        nd = len(newshape)
    else:
        shp = as_tensor_variable(newshape)
        if ndim is None:
            ndim = get_vector_length(shp)
        nd = ndim
        if _ttype(shp).dtype != "int64":
            shp = cast(shp, "int64")
    return Reshape(nd)(x, shp)


def _as_shape_entries_allow_neg(shape: Sequence[Any]) -> list[Variable]:
    out: list[Variable] = []
    for s in shape:
        if isinstance(s, int | np.integer):
            out.append(constant(int(s), dtype="int64"))
        else:
            out.extend(_as_shape_entries([s]))
    return out


def flatten(x: Any, ndim: int = 1) -> Variable:
    """Collapse the trailing dimensions so the result has ``ndim`` dimensions."""
    x = as_tensor_variable(x)
    if not 1 <= ndim <= max(x.type.ndim, 1):
        raise ValueError(f"flatten: ndim={ndim} is invalid for {x.type.ndim}-d {x}")
    if ndim == 1:
        return reshape(x, (-1,))
    dims = [shape_i(x, i) for i in range(ndim - 1)]
    return reshape(x, (*dims, -1))
