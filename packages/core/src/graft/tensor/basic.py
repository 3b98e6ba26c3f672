"""Tensor basics: conversion to tensors, constants, casts, allocation, scalar/tensor bridges,
and the constructor Ops `MakeVector`, `ARange` and `Eye`.

``arange`` and ``eye`` give static lengths when their arguments are constants.
The shape arithmetic these Ops and the indexing Ops share (``d_add``,
``const_int``, ...) is here too.

Example::

    from graft.tensor.basic import arange, as_tensor_variable, eye, make_vector

    make_vector(n, 3)      # an int64 vector of length 2
    arange(0.0, 1.0, 0.25).type.shape   # (4,)
"""

from __future__ import annotations

import math
import typing
from collections.abc import Sequence
from typing import Any

import numpy as np

from graft.gradient.types import disconnected_type
from graft.graph.basic import Apply, Constant, Variable
from graft.graph.op import Op
from graft.scalar.type import ScalarType, get_scalar_type
from graft.tensor.type import TensorType, _norm_dtype
from graft.tensor.variable import TensorConstant, TensorVariable


def _ttype(v: Variable) -> TensorType:
    """``v.type`` seen as a `TensorType` (for variables known to be tensors)."""
    return typing.cast(TensorType, v.type)


#: What an array of a non-numeric dtype kind holds, for error messages.
_KIND_NAMES = {"U": "strings", "S": "bytes", "M": "datetimes", "m": "timedeltas", "V": "records"}


def _short_repr(x: Any, limit: int = 60) -> str:
    text = repr(x)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def constant(
    x: Any, name: str | None = None, ndim: int | None = None, dtype: Any = None
) -> TensorConstant:
    """A `TensorConstant` holding ``x`` (as a NumPy array of ``dtype``, else NumPy's default)."""
    if isinstance(x, TensorConstant) and dtype is None:
        return x
    if isinstance(x, Constant):
        x = x.data
    if dtype is not None:
        arr = np.asarray(x)
        with np.errstate(all="ignore"):
            conv = arr.astype(dtype)
        if (
            arr.dtype != conv.dtype
            and arr.dtype.kind in "biufc"
            and not np.array_equal(conv, arr, equal_nan=arr.dtype.kind in "fc")
        ):
            if not (arr.dtype.kind == "f" and conv.dtype.kind == "f"):
                raise TypeError(f"constant {x!r} does not fit dtype {np.dtype(dtype).name}")
        arr = conv
    else:
        arr = np.asarray(x)
        if arr.dtype == object:
            raise TypeError(f"cannot make a tensor constant from {type(x).__name__} {x!r}")
    if arr.dtype.kind not in "biufc":
        raise TypeError(
            f"cannot convert {_short_repr(x)} to a tensor: tensors hold booleans and "
            f"numbers, not {_KIND_NAMES.get(arr.dtype.kind, 'values')} (dtype {arr.dtype})"
        )
    if ndim is not None and arr.ndim != ndim:
        if arr.ndim > ndim:
            raise ValueError(f"constant of shape {arr.shape} has more than {ndim} dimensions")
        arr = arr.reshape((1,) * (ndim - arr.ndim) + arr.shape)
    ttype = TensorType(arr.dtype, arr.shape)
    return TensorConstant(ttype, arr, name=name)


def as_tensor_variable(
    x: Any, name: str | None = None, ndim: int | None = None, dtype: Any = None
) -> TensorVariable:
    """Convert ``x`` (a tensor variable, scalar variable, number, list or array) to a tensor variable."""
    if isinstance(x, TensorVariable | TensorConstant):
        v: Any = x
    elif isinstance(x, Apply):
        v = x.default_output()
    elif isinstance(x, Variable):
        if isinstance(x.type, ScalarType):
            v = tensor_from_scalar(x)
        elif isinstance(x.type, TensorType):
            v = x
        else:
            raise TypeError(f"cannot convert {x} of type {x.type} to a tensor")
    elif isinstance(x, list | tuple) and any(isinstance(e, Variable) for e in _flatten(x)):
        v = stack_python(x)
    else:
        try:
            v = constant(x, name=name, dtype=dtype)
        except TypeError as e:
            if str(e).startswith("cannot convert"):
                raise
            raise TypeError(f"cannot convert {x!r} to a tensor: {e}") from None
        dtype = None
    if dtype is not None and v.type.dtype != np.dtype(dtype).name:
        v = cast(v, dtype)
    if ndim is not None and v.type.ndim != ndim:
        if v.type.ndim < ndim:
            v = pad_left(v, ndim)
        else:
            raise ValueError(f"{v} has {v.type.ndim} dimensions, expected {ndim}")
    return v


as_tensor = as_tensor_variable


def _flatten(x: Any) -> list[Any]:
    out: list[Any] = []
    stack = [x]
    while stack:
        e = stack.pop()
        if isinstance(e, list | tuple):
            stack.extend(e)
        else:
            out.append(e)
    return out


def stack_python(x: Sequence[Any]) -> TensorVariable:
    """Stack a (nested) list mixing variables and numbers along a new first axis."""
    from graft.tensor.join import stack

    return typing.cast(TensorVariable, stack([as_tensor_variable(e) for e in x]))


def pad_left(x: Any, ndim: int) -> TensorVariable:
    """Add broadcastable leading dimensions to reach ``ndim``."""
    from graft.tensor.elemwise import DimShuffle

    x = as_tensor_variable(x)
    k = ndim - x.type.ndim
    if k <= 0:
        return x
    return DimShuffle(x.type.ndim, ["x"] * k + list(range(x.type.ndim)))(x)


def sum_to_shape_of(g: Any, x: Variable) -> TensorVariable:
    """Sum ``g`` over the dimensions along which ``x`` was broadcast to match it (gradient helper)."""
    from graft.tensor.math import sum as tsum

    g = as_tensor_variable(g)
    xt = x.type
    assert isinstance(xt, TensorType)
    if g.type.ndim > xt.ndim:
        g = tsum(g, axis=tuple(range(g.type.ndim - xt.ndim)))
    elif g.type.ndim < xt.ndim:
        g = pad_left(g, xt.ndim)
    axes = tuple(
        d for d, (sx, sg) in enumerate(zip(xt.shape, g.type.shape)) if sx == 1 and sg != 1
    )
    if axes:
        g = tsum(g, axis=axes, keepdims=True)
    # Gradients w.r.t. discrete inputs stay floating point (they are zero anyway).
    if g.type.dtype != xt.dtype and xt.numpy_dtype.kind not in "biu":
        g = cast(g, xt.dtype)
    if g.type != xt:
        conv = xt.convert_variable(g)
        if conv is not None:
            g = conv
    return g


# ---------------------------------------------------------------------------
# Casts and scalar <-> tensor
# ---------------------------------------------------------------------------


def cast(x: Any, dtype: Any) -> TensorVariable:
    """``x`` converted to ``dtype`` (an Elemwise cast; a no-op when already that dtype)."""
    from graft.scalar.basic import Cast
    from graft.tensor.elemwise import Elemwise

    x = as_tensor_variable(x)
    from graft.tensor.type import _norm_dtype

    dt = _norm_dtype(dtype)
    if x.type.dtype == dt:
        return x
    return Elemwise(Cast(dt))(x)


class TensorFromScalar(Op):
    """A 0-d tensor from a scalar variable."""

    __props__ = ()

    def make_node(self, s: Any) -> Apply:
        if not isinstance(getattr(s, "type", None), ScalarType):
            raise TypeError(f"TensorFromScalar expects a scalar variable, got {s!r}")
        return Apply(self, [s], [TensorType(s.type.dtype, ())()])

    def perform(self, node: Apply, inputs: Sequence[Any], output_storage: list[list[Any]]) -> None:
        output_storage[0][0] = np.asarray(inputs[0], dtype=_ttype(node.outputs[0]).numpy_dtype)

    def infer_shape(self, fgraph: Any, node: Apply, input_shapes: list[Any]) -> list[Any]:
        return [()]

    def L_op(
        self,
        inputs: Sequence[Variable],
        outputs: Sequence[Variable],
        output_grads: Sequence[Variable],
    ) -> list[Variable]:
        return [scalar_from_tensor(output_grads[0])]


class ScalarFromTensor(Op):
    """A scalar variable from a 0-d tensor."""

    __props__ = ()

    def make_node(self, t: Any) -> Apply:
        t = as_tensor_variable(t)
        if t.type.ndim != 0:
            raise TypeError(f"ScalarFromTensor expects a 0-d tensor, got {t.type.ndim}-d {t}")
        return Apply(self, [t], [get_scalar_type(t.type.dtype)()])

    def perform(self, node: Apply, inputs: Sequence[Any], output_storage: list[list[Any]]) -> None:
        output_storage[0][0] = inputs[0][()]

    def L_op(
        self,
        inputs: Sequence[Variable],
        outputs: Sequence[Variable],
        output_grads: Sequence[Variable],
    ) -> list[Variable]:
        return [tensor_from_scalar(output_grads[0])]


tensor_from_scalar = TensorFromScalar()
scalar_from_tensor = ScalarFromTensor()


# ---------------------------------------------------------------------------
# Allocation
# ---------------------------------------------------------------------------


def _as_shape_entries(shape: Any) -> list[TensorVariable]:
    from graft.tensor.shape import Shape

    if isinstance(shape, Variable):
        sv = as_tensor_variable(shape)
        st = _ttype(sv)
        if st.ndim == 0:
            return [sv]
        if st.ndim != 1:
            raise TypeError(f"a shape must be a vector or a list of scalars, got {st.ndim}-d {sv}")
        n = st.shape[0]
        if n is None:
            if sv.owner is not None and isinstance(sv.owner.op, Shape):
                n = _ttype(sv.owner.inputs[0]).ndim
            else:
                raise ValueError(f"the length of shape vector {sv} must be known statically")
        return [sv[i] for i in range(n)]
    if isinstance(shape, int | np.integer):
        shape = (shape,)
    out = []
    for i, s in enumerate(shape):
        v = as_tensor_variable(s)
        vt = _ttype(v)
        if vt.ndim != 0 or vt.dtype not in (
            "int8",
            "int16",
            "int32",
            "int64",
            "uint8",
            "uint16",
            "uint32",
            "uint64",
        ):
            raise TypeError(f"shape entry {i} must be an integer scalar, got {s!r} ({v.type})")
        out.append(v if vt.dtype == "int64" else cast(v, "int64"))
    return out


def _static_dim(v: Variable) -> int | None:
    if isinstance(v, TensorConstant):
        return int(v.data)
    return None


class Alloc(Op):
    """``alloc(value, *shape)``: an array of ``shape`` filled with ``value`` (broadcast)."""

    __props__ = ()

    def make_node(self, value: Any, *shape: Any) -> Apply:
        v = as_tensor_variable(value)
        vt = _ttype(v)
        sh = _as_shape_entries(shape)
        if vt.ndim > len(sh):
            raise ValueError(
                f"Alloc: value with {vt.ndim} dims cannot fill shape of {len(sh)} dims"
            )
        static = tuple(_static_dim(s) for s in sh)
        for vs, ss in zip(reversed(vt.shape), reversed(static)):
            if vs is not None and vs != 1 and ss is not None and vs != ss:
                raise ValueError(f"Alloc: value of static shape {vt.shape} cannot fill {static}")
        return Apply(self, [v, *sh], [TensorType(vt.dtype, static)()])

    def perform(self, node: Apply, inputs: Sequence[Any], output_storage: list[list[Any]]) -> None:
        v, *sh = inputs
        shape = tuple(int(s) for s in sh)
        v = np.asarray(v)
        # Only dimensions of static size 1 broadcast (graft's rule, as in Elemwise): the
        # gradient sums over exactly those, so a run-time 1 elsewhere would be wrong.
        static = _ttype(node.inputs[0]).shape
        pad = len(shape) - v.ndim
        for k, (n, st) in enumerate(zip(v.shape, static)):
            if st != 1 and n != shape[pad + k]:
                raise ValueError(
                    f"Alloc: value of shape {v.shape} cannot fill shape {shape}: its dimension "
                    f"{k} has size {n}, not {shape[pad + k]} (only dimensions declared of "
                    "size 1 broadcast)"
                )
        out = np.empty(shape, dtype=_ttype(node.outputs[0]).numpy_dtype)
        out[...] = v
        output_storage[0][0] = out

    def infer_shape(self, fgraph: Any, node: Apply, input_shapes: list[Any]) -> list[Any]:
        return [tuple(node.inputs[1:])]

    def L_op(
        self,
        inputs: Sequence[Variable],
        outputs: Sequence[Variable],
        output_grads: Sequence[Variable],
    ) -> list[Variable]:
        v = inputs[0]
        g = sum_to_shape_of(output_grads[0], v)
        return [g] + [disconnected_type() for _ in inputs[1:]]

    def connection_pattern(self, node: Apply) -> list[list[bool]]:
        return [[True]] + [[False] for _ in node.inputs[1:]]

    def do_constant_folding(self, fgraph: Any, node: Apply) -> bool:
        # Folding would store a possibly huge array in the graph.
        return False

    def __str__(self) -> str:
        return "Alloc"


alloc = Alloc()


def full(shape: Any, fill_value: Any, dtype: Any = None) -> TensorVariable:
    """An array of ``shape`` filled with ``fill_value``."""
    v: TensorVariable | TensorConstant
    if dtype is None:
        v = as_tensor_variable(fill_value)
    elif isinstance(fill_value, Variable):
        v = cast(fill_value, dtype)
    else:
        v = constant(fill_value, dtype=dtype)
    return alloc(v, *_as_shape_entries(shape))


def zeros(shape: Any, dtype: Any = None) -> TensorVariable:
    """An array of zeros (``floatX`` by default)."""
    from graft.tensor.type import _norm_dtype

    return full(shape, 0, _norm_dtype(dtype))


def ones(shape: Any, dtype: Any = None) -> TensorVariable:
    """An array of ones (``floatX`` by default)."""
    from graft.tensor.type import _norm_dtype

    return full(shape, 1, _norm_dtype(dtype))


def full_like(x: Any, fill_value: Any, dtype: Any = None) -> TensorVariable:
    from graft.tensor.math import second

    x = as_tensor_variable(x)
    dt = x.type.dtype if dtype is None else np.dtype(dtype).name
    return second(x, constant(fill_value, dtype=dt))


def zeros_like(x: Any, dtype: Any = None) -> TensorVariable:
    return full_like(x, 0, dtype)


def ones_like(x: Any, dtype: Any = None) -> TensorVariable:
    return full_like(x, 1, dtype)


def fill(model: Any, value: Any) -> TensorVariable:
    """``value`` broadcast to the shape of ``model``."""
    from graft.tensor.math import second

    return second(model, value)


# ---------------------------------------------------------------------------
# Axis helpers
# ---------------------------------------------------------------------------


def transpose(x: Any, axes: Sequence[int] | None = None) -> TensorVariable:
    """Permute dimensions (reverse them by default)."""
    from graft.tensor.elemwise import DimShuffle

    x = as_tensor_variable(x)
    nd = x.type.ndim
    if axes is None:
        axes = tuple(reversed(range(nd)))
    axes = tuple(int(a) % nd if nd else int(a) for a in axes)
    if sorted(axes) != list(range(nd)):
        raise ValueError(f"transpose axes {tuple(axes)} are not a permutation of {nd} dimensions")
    if axes == tuple(range(nd)):
        return x
    return DimShuffle(nd, axes)(x)


def squeeze(x: Any, axis: int | Sequence[int] | None = None) -> TensorVariable:
    """Drop dimensions of (statically known) size 1."""
    from graft.tensor.elemwise import DimShuffle

    x = as_tensor_variable(x)
    nd = x.type.ndim
    if axis is None:
        drop = [d for d, s in enumerate(x.type.shape) if s == 1]
    else:
        drop = [int(a) % nd for a in ((axis,) if isinstance(axis, int) else axis)]
    for d in drop:
        if x.type.shape[d] != 1:
            from graft.tensor.shape import specify_broadcastable

            x = specify_broadcastable(x, d)
    return DimShuffle(nd, [d for d in range(nd) if d not in drop])(x)


def expand_dims(x: Any, axis: int | Sequence[int]) -> TensorVariable:
    """Insert size-1 dimensions at ``axis``."""
    from graft.tensor.elemwise import DimShuffle

    x = as_tensor_variable(x)
    axes = [axis] if isinstance(axis, int) else list(axis)
    out_nd = x.type.ndim + len(axes)
    axes = sorted(a % out_nd for a in axes)
    order: list[int | str] = []
    j = 0
    for d in range(out_nd):
        if d in axes:
            order.append("x")
        else:
            order.append(j)
            j += 1
    return DimShuffle(x.type.ndim, order)(x)


def get_vector_length(v: Any) -> int:
    """The static length of a vector, or ValueError."""
    v = as_tensor_variable(v)
    if v.type.ndim != 1:
        raise TypeError(f"{v} is not a vector")
    if v.type.shape[0] is not None:
        return int(v.type.shape[0])
    from graft.tensor.shape import Shape

    if v.owner is not None and isinstance(v.owner.op, Shape):
        return int(v.owner.inputs[0].type.ndim)
    raise ValueError(f"the length of {v} is not known statically")


def get_underlying_scalar_constant_value(v: Any) -> Any:
    """The value of ``v`` if it is (a cast/broadcast of) a constant, else raise `NotScalarConstantError`."""
    seen = v
    casts: list[str] = []
    while True:
        if isinstance(seen, Constant):
            data = np.asarray(seen.data)
            if not (data.size == 1 or (data.size and np.all(data == data.flat[0]))):
                raise NotScalarConstantError(f"{v} is not a scalar constant")
            value = data.flat[0]
            # Apply the casts we looked through, innermost first.
            for dtype in reversed(casts):
                with np.errstate(all="ignore"):
                    value = np.asarray(value).astype(dtype)[()]
            return value
        owner = getattr(seen, "owner", None)
        if owner is None:
            raise NotScalarConstantError(f"{v} is not a constant")
        from graft.tensor.elemwise import DimShuffle, Elemwise

        op = owner.op
        if isinstance(op, DimShuffle | TensorFromScalar | ScalarFromTensor):
            seen = owner.inputs[0]
            continue
        if isinstance(op, Elemwise) and type(op.scalar_op).__name__ == "Cast":
            casts.append(owner.outputs[0].type.dtype)
            seen = owner.inputs[0]
            continue
        if isinstance(op, Elemwise) and str(op.scalar_op) == "second":
            casts.append(owner.outputs[0].type.dtype)
            seen = owner.inputs[1]
            continue
        raise NotScalarConstantError(f"{v} is not a constant")


class NotScalarConstantError(ValueError):
    """The variable is not a constant (or not a scalar-valued one)."""


# ---------------------------------------------------------------------------
# Helpers of the constructor and indexing Ops: shape arithmetic on ints or
# symbolic int64 scalars (ints stay ints), and their gradients.
# ---------------------------------------------------------------------------

#: A size: an int, or an int64 0-d tensor.
Dim = Any
_INT_KINDS = "iu"


def ttype(v: Variable) -> TensorType:
    """``v.type`` seen as a `TensorType` (the variables here are tensors)."""
    return v.type  # type: ignore[return-value]


def const_int(v: Any) -> int | None:
    """The value of ``v`` if it is a Python/NumPy integer or a constant integer scalar, else None."""
    if isinstance(v, bool | np.bool_):
        return int(v)
    if isinstance(v, int | np.integer):
        return int(v)
    if isinstance(v, Variable):
        if isinstance(v, Constant):
            data = np.asarray(v.data)
            if data.ndim == 0 and data.dtype.kind in _INT_KINDS + "b":
                return int(data)
            return None
        dtype = getattr(v.type, "dtype", "")
        if (
            v.owner is not None
            and getattr(v.type, "ndim", None) == 0
            and dtype[:1] in ("i", "u", "b")
        ):
            try:
                val = np.asarray(get_underlying_scalar_constant_value(v))
            except NotScalarConstantError:
                return None
            # The lookup sees through casts: apply this variable's own dtype.
            with np.errstate(all="ignore"):
                return int(val.astype(dtype))
    return None


def _dim(v: Any) -> Dim:
    c = const_int(v)
    if c is not None:
        return c
    v = as_tensor_variable(v)
    return v if v.type.dtype == "int64" else cast(v, "int64")


def _m() -> Any:
    from graft.tensor import math

    return math


def d_add(a: Dim, b: Dim) -> Dim:
    a, b = _dim(a), _dim(b)
    if isinstance(a, int) and isinstance(b, int):
        return a + b
    if isinstance(b, int) and b == 0:
        return a
    if isinstance(a, int) and a == 0:
        return b
    return _m().add(a, b)


def d_sub(a: Dim, b: Dim) -> Dim:
    a, b = _dim(a), _dim(b)
    if isinstance(a, int) and isinstance(b, int):
        return a - b
    if isinstance(b, int) and b == 0:
        return a
    return _m().sub(a, b)


def d_mul(a: Dim, b: Dim) -> Dim:
    a, b = _dim(a), _dim(b)
    if isinstance(a, int) and isinstance(b, int):
        return a * b
    if isinstance(b, int) and b == 1:
        return a
    if isinstance(a, int) and a == 1:
        return b
    return _m().mul(a, b)


def d_floordiv(a: Dim, b: Dim) -> Dim:
    a, b = _dim(a), _dim(b)
    if isinstance(a, int) and isinstance(b, int):
        return a // b
    if isinstance(b, int) and b == 1:
        return a
    return _m().int_div(a, b)


def d_max(a: Dim, b: Dim) -> Dim:
    a, b = _dim(a), _dim(b)
    if isinstance(a, int) and isinstance(b, int):
        return max(a, b)
    return _m().maximum(a, b)


def d_min(a: Dim, b: Dim) -> Dim:
    a, b = _dim(a), _dim(b)
    if isinstance(a, int) and isinstance(b, int):
        return min(a, b)
    return _m().minimum(a, b)


def is_discrete(v: Variable) -> bool:
    return v.type.dtype == "bool" or v.type.dtype[0] in "iu"  # type: ignore[attr-defined,no-any-return]


def is_disconnected(g: Any) -> bool:
    """Whether an output gradient is missing (None or of the gradient module's DisconnectedType)."""
    return g is None or type(getattr(g, "type", None)).__name__ == "DisconnectedType"


def disconnected() -> Variable:
    return disconnected_type()


def discrete_zero_grad(x: Variable, gz: Variable) -> Variable:
    """The zero gradient of a discrete input: float, of ``gz``'s dtype when that is a float."""
    dt = gz.type.dtype if gz.type.dtype.startswith("float") else "float64"  # type: ignore[attr-defined]
    return zeros_like(x, dtype=dt)


# ---------------------------------------------------------------------------
# Constructor Ops: MakeVector, ARange, Eye
# ---------------------------------------------------------------------------


def _fits(v: Variable, dtype: str) -> bool:
    """Whether ``v``'s values go into ``dtype`` without loss (safe cast, or a fitting constant)."""
    vd = v.type.dtype  # type: ignore[attr-defined]
    if np.can_cast(vd, dtype, "safe"):
        return True
    if isinstance(v, Constant):
        data = np.asarray(v.data)
        with np.errstate(all="ignore"):
            conv = data.astype(dtype)
        return bool(np.array_equal(conv, data))
    return False


# ---------------------------------------------------------------------------
# MakeVector
# ---------------------------------------------------------------------------


class MakeVector(Op):
    """A vector of ``dtype`` from 0-d tensors: ``MakeVector("int64")(a, b, c)``.

    Each input must cast to ``dtype`` without loss. Shape code relies on it:
    a `Reshape` to ``make_vector(n, 3)`` knows its second size statically.

    Example::

        v = MakeVector("float64")(x_scalar, 2.0)   # [x, 2.0]
    """

    __props__ = ("dtype",)

    def __init__(self, dtype: Any = "int64") -> None:
        self.dtype = _norm_dtype(dtype)

    def make_node(self, *inputs: Any) -> Apply:
        ins = []
        for i, v in enumerate(inputs):
            if not isinstance(v, Variable):
                v = constant(v, dtype=self.dtype)
            v = as_tensor_variable(v)
            if ttype(v).ndim != 0:
                raise TypeError(f"{self}: input {i} ({v}) must be 0-d, got {ttype(v).ndim}-d")
            if not _fits(v, self.dtype):
                raise TypeError(
                    f"{self}: input {i} ({v}) of dtype {ttype(v).dtype} does not fit {self.dtype}"
                )
            ins.append(v)
        return Apply(self, ins, [TensorType(self.dtype, (len(ins),))()])

    def perform(self, node: Apply, inputs: Sequence[Any], output_storage: list[list[Any]]) -> None:
        output_storage[0][0] = np.array(inputs, dtype=self.dtype).reshape(len(inputs))

    def infer_shape(self, fgraph: Any, node: Apply, input_shapes: list[Any]) -> list[Any]:
        return [(len(node.inputs),)]

    def L_op(
        self,
        inputs: Sequence[Variable],
        outputs: Sequence[Variable],
        output_grads: Sequence[Variable],
    ) -> list[Variable]:
        (gz,) = output_grads
        out = []
        for i, x in enumerate(inputs):
            if is_discrete(x):
                out.append(discrete_zero_grad(x, gz))
            elif is_disconnected(gz):
                out.append(disconnected())
            else:
                out.append(cast(gz[i], x.type.dtype))  # type: ignore[attr-defined,index]
        return out

    def __str__(self) -> str:
        return f"MakeVector{{dtype={self.dtype}}}"


def make_vector(*scalars: Any, dtype: Any = None) -> Variable:
    """A vector of the given 0-d values; the dtype defaults to NumPy's promotion of theirs.

    Example::

        make_vector(x.shape[0], 3)   # an int64 vector of length 2
    """
    vals = [v if isinstance(v, Variable) else constant(v) for v in scalars]
    vals = [as_tensor_variable(v) for v in vals]
    if dtype is None:
        if not vals:
            dtype = "int64"
        else:
            dtype = _promote_weak(scalars, vals)
    dt = _norm_dtype(dtype)
    conv: list[Variable] = []
    for raw, v in zip(scalars, vals):
        if not isinstance(raw, Variable):
            conv.append(constant(raw, dtype=dt))
        elif ttype(v).dtype != dt and not np.can_cast(ttype(v).dtype, dt, "safe"):
            conv.append(cast(v, dt))
        else:
            conv.append(v)
    return MakeVector(dt)(*conv)


def _promote_weak(raw: Sequence[Any], vals: Sequence[Variable]) -> str:
    # Python numbers adapt to the symbolic dtypes (NEP 50) when they fit, else
    # promote with their default dtype, as in `Elemwise`.
    strong = [v.type.dtype for r, v in zip(raw, vals) if isinstance(r, Variable)]  # type: ignore[attr-defined]
    if not strong:
        return np.result_type(*[np.asarray(r) for r in raw]).name
    dt = np.result_type(*strong)
    for r in raw:
        if isinstance(r, Variable):
            continue
        cand = np.result_type(dt, r)
        with np.errstate(all="ignore"):
            fits = bool(np.asarray(r).astype(cand) == r)
        dt = cand if fits else np.result_type(dt, np.asarray(r).dtype)
    return dt.name


def _arange_len(start: Any, stop: Any, step: Any) -> int:
    if all(isinstance(v, int | np.integer) for v in (start, stop, step)):
        return max(0, -((int(start) - int(stop)) // int(step)))
    return max(0, math.ceil((float(stop) - float(start)) / float(step)))


def _const_scalar(v: Variable) -> Any:
    if isinstance(v, Constant):
        return np.asarray(v.data)[()]
    return None


class ARange(Op):
    """``np.arange(start, stop, step)`` of ``dtype`` from three 0-d inputs.

    The length is static when all three are constants; a constant zero step
    is an error at build time.

    Example::

        ARange("int64")(0, n, 2)
    """

    __props__ = ("dtype",)

    def __init__(self, dtype: Any) -> None:
        self.dtype = _norm_dtype(dtype)

    def make_node(self, start: Any, stop: Any, step: Any) -> Apply:
        ins = [as_tensor_variable(v) for v in (start, stop, step)]
        for name, v in zip(("start", "stop", "step"), ins):
            if ttype(v).ndim != 0:
                raise TypeError(f"{self}: {name} must be a scalar, got {ttype(v).ndim}-d {v}")
            if ttype(v).dtype == "bool" or ttype(v).dtype[0] not in "iuf":
                raise TypeError(f"{self}: {name} must be a real number, got {ttype(v).dtype}")
        consts = [_const_scalar(v) for v in ins]
        length: int | None = None
        if consts[2] is not None and consts[2] == 0:
            raise ValueError(f"{self}: step must not be zero")
        if all(c is not None for c in consts):
            length = _arange_len(*consts)
        return Apply(self, ins, [TensorType(self.dtype, (length,))()])

    def perform(self, node: Apply, inputs: Sequence[Any], output_storage: list[list[Any]]) -> None:
        start, stop, step = (np.asarray(v)[()] for v in inputs)
        if step == 0:
            raise ValueError(f"{self}: step must not be zero")
        output_storage[0][0] = np.arange(start, stop, step, dtype=self.dtype)  # type: ignore[call-overload]

    def infer_shape(self, fgraph: Any, node: Apply, input_shapes: list[Any]) -> list[Any]:
        n = node.outputs[0].type.shape[0]  # type: ignore[attr-defined]
        if n is not None:
            return [(n,)]
        start, stop, step = node.inputs
        if all(v.type.dtype[0] in "iu" for v in node.inputs):  # type: ignore[attr-defined]
            return [(d_max(0, d_sub(0, d_floordiv(d_sub(start, stop), step))),)]
        from graft.tensor import math as tm

        fstart, fstop, fstep = (cast(v, "float64") for v in (start, stop, step))
        span = tm.true_div(tm.sub(fstop, fstart), fstep)
        return [(d_max(0, cast(tm.ceil(span), "int64")),)]

    def L_op(
        self,
        inputs: Sequence[Variable],
        outputs: Sequence[Variable],
        output_grads: Sequence[Variable],
    ) -> list[Variable]:
        start, _stop, step = inputs
        (gz,) = output_grads
        (out,) = outputs
        if is_disconnected(gz) or is_discrete(out):
            return [
                discrete_zero_grad(start, gz) if is_discrete(start) else disconnected(),
                disconnected(),
                discrete_zero_grad(step, gz) if is_discrete(step) else disconnected(),
            ]
        from graft.tensor import math as tm
        from graft.tensor.shape import shape_i

        # out[k] = start + k * step
        k = arange(0, shape_i(out, 0), 1, dtype=gz.type.dtype)  # type: ignore[attr-defined]
        g_start = tm.sum(gz)
        g_step = tm.sum(tm.mul(gz, k))
        res = []
        for v, g in ((start, g_start), (step, g_step)):
            res.append(discrete_zero_grad(v, gz) if is_discrete(v) else cast(g, v.type.dtype))  # type: ignore[attr-defined]
        return [res[0], disconnected(), res[1]]

    def connection_pattern(self, node: Apply) -> list[list[bool]]:
        return [[True], [False], [True]]

    def __str__(self) -> str:
        return f"ARange{{{self.dtype}}}"


def arange(start: Any, stop: Any = None, step: Any = 1, dtype: Any = None) -> Variable:
    """``np.arange``: ``arange(stop)`` or ``arange(start, stop, step)``.

    Without ``dtype``, integers give int64 and any float gives float64, as in
    NumPy (``np.result_type(int64, ...)`` of the argument dtypes).

    Example::

        arange(n)            # 0, 1, ..., n - 1
        arange(0.0, 1.0, 0.25)
    """
    if stop is None:
        start, stop = 0, start
    vals = [as_tensor_variable(v) for v in (start, stop, step)]
    if dtype is None:
        dt = np.result_type("int64", *[ttype(v).dtype for v in vals]).name
    else:
        dt = _norm_dtype(dtype)
    return ARange(dt)(*vals)


class Eye(Op):
    """``np.eye(n, m, k)`` of ``dtype`` from three integer scalars.

    Example::

        Eye("float64")(3, 4, 1)
    """

    __props__ = ("dtype",)

    def __init__(self, dtype: Any = None) -> None:
        self.dtype = _norm_dtype(dtype)

    def make_node(self, n: Any, m: Any, k: Any) -> Apply:
        ins = [as_tensor_variable(v) for v in (n, m, k)]
        for name, v in zip(("n", "m", "k"), ins):
            if ttype(v).ndim != 0 or ttype(v).dtype == "bool" or ttype(v).dtype[0] not in "iu":
                raise TypeError(f"{self}: {name} must be an integer scalar, got {v} ({v.type})")
        shape = []
        for name, v in zip(("n", "m"), ins[:2]):
            c = const_int(v)
            if c is not None and c < 0:
                raise ValueError(f"{self}: {name} must be non-negative, got {c}")
            shape.append(c)
        return Apply(self, ins, [TensorType(self.dtype, shape)()])

    def perform(self, node: Apply, inputs: Sequence[Any], output_storage: list[list[Any]]) -> None:
        n, m, k = (int(v) for v in inputs)
        output_storage[0][0] = np.eye(n, m, k, dtype=self.dtype)

    def infer_shape(self, fgraph: Any, node: Apply, input_shapes: list[Any]) -> list[Any]:
        st = node.outputs[0].type.shape  # type: ignore[attr-defined]
        n, m = node.inputs[:2]
        return [
            (
                st[0] if st[0] is not None else cast(n, "int64"),
                st[1] if st[1] is not None else cast(m, "int64"),
            )
        ]

    def L_op(
        self,
        inputs: Sequence[Variable],
        outputs: Sequence[Variable],
        output_grads: Sequence[Variable],
    ) -> list[Variable]:
        return [disconnected() for _ in inputs]

    def connection_pattern(self, node: Apply) -> list[list[bool]]:
        return [[False], [False], [False]]

    def __str__(self) -> str:
        return f"Eye{{{self.dtype}}}"


def eye(n: Any, m: Any = None, k: Any = 0, dtype: Any = None) -> Variable:
    """``np.eye``: an ``n`` x ``m`` matrix with ones on diagonal ``k`` (``floatX`` by default).

    Example::

        eye(3)            # 3x3 identity
        eye(2, 4, k=1, dtype="int8")
    """
    if m is None:
        m = n
    return Eye(dtype)(n, m, k)
