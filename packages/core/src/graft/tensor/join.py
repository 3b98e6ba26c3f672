"""Joining and splitting tensors: `Join`, `Split`, ``tile``, ``repeat``.

``concatenate``/``stack``/``split`` follow NumPy (and PyTensor's ``split``
signature). The constructor Ops `MakeVector`, `ARange` and `Eye` live in
`graft.tensor.basic` and are importable from here too.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from graft.graph.basic import Apply, Constant, Variable
from graft.graph.op import Op

# ARange and Eye live in graft.tensor.basic (with MakeVector); importable from here too.
from graft.tensor.basic import ARange as ARange
from graft.tensor.basic import (
    Dim,
    MakeVector,
    as_tensor_variable,
    cast,
    const_int,
    constant,
    d_add,
    d_mul,
    disconnected,
    discrete_zero_grad,
    is_disconnected,
    is_discrete,
    make_vector,
    ttype,
    zeros_like,
)
from graft.tensor.basic import Eye as Eye
from graft.tensor.basic import arange as arange
from graft.tensor.basic import eye as eye
from graft.tensor.type import TensorType

# ---------------------------------------------------------------------------
# Join and Split
# ---------------------------------------------------------------------------


def _fmt(shape: Sequence[int | None]) -> str:
    inner = ", ".join("?" if s is None else str(s) for s in shape)
    return f"({inner},)" if len(shape) == 1 else f"({inner})"


def _norm_axis(op: Any, axis: Any, ndim: int) -> int:
    a = const_int(axis)
    if a is None or isinstance(axis, bool):
        raise TypeError(f"{op}: axis must be a constant integer, got {axis!r}")
    if not -ndim <= a < ndim:
        raise ValueError(f"{op}: axis {a} is out of bounds for {ndim}-d inputs")
    return a % ndim


class Join(Op):
    """Concatenate tensors of equal rank along a static ``axis`` (``np.concatenate``).

    The output dtype is NumPy's promotion of the input dtypes. Sizes off the
    axis must agree; a static mismatch is an error at build time.

    Example::

        Join(0)(x, y)   # rows of x then rows of y
    """

    __props__ = ("axis",)

    def __init__(self, axis: int) -> None:
        self.axis = int(axis)

    def make_node(self, *tensors: Any) -> Apply:
        if not tensors:
            raise ValueError(f"{self}: needs at least one tensor")
        ts = [as_tensor_variable(t) for t in tensors]
        nd = ttype(ts[0]).ndim
        if nd == 0:
            raise ValueError(f"{self}: zero-dimensional tensors cannot be concatenated")
        for i, t in enumerate(ts):
            if ttype(t).ndim != nd:
                raise ValueError(
                    f"{self}: all inputs must have the same number of dimensions; input 0 has "
                    f"{nd} and input {i} has {ttype(t).ndim}"
                )
        if not 0 <= self.axis < nd:
            raise ValueError(f"{self}: axis {self.axis} is out of bounds for {nd}-d inputs")
        shape: list[int | None] = []
        for d in range(nd):
            sizes = [ttype(t).shape[d] for t in ts]
            if d == self.axis:
                shape.append(None if None in sizes else sum(sizes))  # type: ignore[arg-type]
                continue
            known = {s for s in sizes if s is not None}
            if len(known) > 1:
                raise ValueError(
                    f"{self}: input shapes {', '.join(_fmt(ttype(t).shape) for t in ts)} differ "
                    f"in dimension {d} (off the join axis {self.axis})"
                )
            shape.append(known.pop() if known else None)
        dtype = np.result_type(*[ttype(t).dtype for t in ts]).name
        return Apply(self, ts, [TensorType(dtype, shape)()])

    def perform(self, node: Apply, inputs: Sequence[Any], output_storage: list[list[Any]]) -> None:
        dtype = node.outputs[0].type.numpy_dtype  # type: ignore[attr-defined]
        try:
            out = np.concatenate(inputs, axis=self.axis)
        except ValueError as e:
            shapes = ", ".join(str(np.shape(i)) for i in inputs)
            raise ValueError(f"{self}: {e} (input shapes {shapes})") from None
        output_storage[0][0] = out if out.dtype == dtype else out.astype(dtype)

    def infer_shape(self, fgraph: Any, node: Apply, input_shapes: list[Any]) -> list[Any]:
        static = node.outputs[0].type.shape  # type: ignore[attr-defined]
        out: list[Dim] = []
        for d, s in enumerate(static):
            if s is not None:
                out.append(s)
            elif d == self.axis:
                total: Dim = 0
                for shp in input_shapes:
                    total = d_add(total, shp[d])
                out.append(total)
            else:
                out.append(input_shapes[0][d])
        return [tuple(out)]

    def L_op(
        self,
        inputs: Sequence[Variable],
        outputs: Sequence[Variable],
        output_grads: Sequence[Variable],
    ) -> list[Variable]:
        (gz,) = output_grads
        if is_disconnected(gz):
            return [disconnected() for _ in inputs]
        from graft.tensor.shape import shape_i

        sizes = [shape_i(x, self.axis) for x in inputs]
        parts = split(gz, sizes, len(inputs), self.axis) if len(inputs) > 1 else [gz]
        out = []
        for x, g in zip(inputs, parts):
            if is_discrete(x):
                out.append(discrete_zero_grad(x, gz))
            else:
                out.append(cast(g, x.type.dtype))  # type: ignore[attr-defined]
        return out

    def __str__(self) -> str:
        return f"Join{{axis={self.axis}}}"


def join(axis: Any, *tensors: Any) -> Variable:
    """Concatenate ``tensors`` along ``axis`` (a constant int, may be negative); PyTensor's order.

    Example::

        join(0, x, y)   # == concatenate([x, y], axis=0)
    """
    ts = [as_tensor_variable(t) for t in tensors]
    if not ts:
        raise ValueError("join: needs at least one tensor")
    nd = ttype(ts[0]).ndim
    a = _norm_axis("join", axis, max(nd, 1))
    if len(ts) == 1:
        if nd == 0:
            raise ValueError("join: zero-dimensional tensors cannot be concatenated")
        return ts[0]
    return Join(a)(*ts)


def concatenate(tensors: Sequence[Any], axis: int = 0) -> Variable:
    """``np.concatenate(tensors, axis)``.

    Example::

        concatenate([x, y], axis=1)
    """
    if isinstance(tensors, Variable):
        raise TypeError("concatenate takes a list of tensors, not a single tensor")
    return join(axis, *tensors)


def stack(tensors: Sequence[Any], axis: int = 0) -> Variable:
    """``np.stack``: join tensors of equal shape along a new ``axis``.

    0-d inputs stacked on axis 0 become a `MakeVector`.

    Example::

        stack([x, y], axis=1)   # shape (n, 2) for vectors x, y
    """
    if isinstance(tensors, Variable):
        raise TypeError("stack takes a list of tensors, not a single tensor")
    if not tensors:
        raise ValueError("stack: needs at least one tensor")
    ts = [as_tensor_variable(t) for t in tensors]
    nd = ttype(ts[0]).ndim
    for i, t in enumerate(ts):
        if ttype(t).ndim != nd:
            raise ValueError(
                f"stack: all inputs must have the same shape; input 0 is {nd}-d and "
                f"input {i} is {ttype(t).ndim}-d"
            )
    if not -(nd + 1) <= int(axis) < nd + 1:
        raise ValueError(f"stack: axis {axis} is out of bounds for {nd + 1}-d output")
    a = int(axis) % (nd + 1)
    if nd == 0:
        return make_vector(*tensors)
    from graft.tensor.basic import expand_dims

    return join(a, *[expand_dims(t, a) for t in ts])


class Split(Op):
    """Split ``x`` along ``axis`` into ``len_splits`` pieces of the given sizes (views of ``x``).

    Inputs: ``x`` and an integer vector of sizes that must sum to the axis
    size (checked when run). Each piece's size is static when the sizes are
    constants.

    Example::

        a, b = Split(2, axis=0)(x, [1, 3])   # x[:1], x[1:4] for len(x) == 4
    """

    __props__ = ("len_splits", "axis")

    def __init__(self, len_splits: int, axis: int = 0) -> None:
        self.len_splits = int(len_splits)
        self.axis = int(axis)
        self.view_map = {i: [0] for i in range(self.len_splits)}

    def make_node(self, x: Any, splits: Any) -> Apply:
        x = as_tensor_variable(x)
        if isinstance(splits, list | tuple):
            splits = (
                make_vector(*splits, dtype="int64") if splits else constant(np.zeros(0, "int64"))
            )
        splits = as_tensor_variable(splits)
        if splits.type.ndim != 1 or splits.type.dtype[0] not in "iu":
            raise TypeError(f"{self}: split sizes must be an integer vector, got {splits.type}")
        if splits.type.shape[0] is not None and splits.type.shape[0] != self.len_splits:
            raise ValueError(
                f"{self}: {splits.type.shape[0]} split sizes given for {self.len_splits} splits"
            )
        nd = x.type.ndim
        if not 0 <= self.axis < nd:
            raise ValueError(f"{self}: axis {self.axis} is out of bounds for {nd}-d input {x}")
        sizes = _static_splits(splits, self.len_splits)
        n = x.type.shape[self.axis]
        if sizes is not None and None not in sizes:
            if any(s < 0 for s in sizes):  # type: ignore[operator]
                raise ValueError(f"{self}: split sizes {sizes} must be non-negative")
            if n is not None and sum(sizes) != n:  # type: ignore[arg-type]
                raise ValueError(
                    f"{self}: split sizes {sizes} sum to {sum(sizes)}, but axis {self.axis} "  # type: ignore[arg-type]
                    f"of {x} has size {n}"
                )
        outs = []
        for i in range(self.len_splits):
            shape = list(x.type.shape)
            shape[self.axis] = sizes[i] if sizes is not None else None
            outs.append(TensorType(x.type.dtype, shape)())
        return Apply(self, [x, splits], outs)

    def perform(self, node: Apply, inputs: Sequence[Any], output_storage: list[list[Any]]) -> None:
        x, sizes = inputs
        sizes = np.asarray(sizes)
        n = x.shape[self.axis]
        if len(sizes) != self.len_splits:
            raise ValueError(f"{self}: got {len(sizes)} split sizes for {self.len_splits} splits")
        if np.any(sizes < 0) or int(sizes.sum()) != n:
            raise ValueError(
                f"{self}: split sizes {sizes.tolist()} must be non-negative and sum to the size "
                f"{n} of axis {self.axis} (input shape {x.shape})"
            )
        pieces = np.split(x, np.cumsum(sizes[:-1]), axis=self.axis) if len(sizes) else []
        for store, p in zip(output_storage, pieces):
            store[0] = p

    def infer_shape(self, fgraph: Any, node: Apply, input_shapes: list[Any]) -> list[Any]:
        xshp = input_shapes[0]
        splits = node.inputs[1]
        out = []
        for i, o in enumerate(node.outputs):
            s = o.type.shape[self.axis]  # type: ignore[attr-defined]
            shp = list(xshp)
            shp[self.axis] = s if s is not None else splits[i]  # type: ignore[index]
            out.append(tuple(shp))
        return out

    def L_op(
        self,
        inputs: Sequence[Variable],
        outputs: Sequence[Variable],
        output_grads: Sequence[Variable],
    ) -> list[Variable]:
        x, _ = inputs
        if all(is_disconnected(g) for g in output_grads):
            return [disconnected(), disconnected()]
        if is_discrete(x):
            g0 = next(g for g in output_grads if not is_disconnected(g))
            return [discrete_zero_grad(x, g0), disconnected()]
        gs = [zeros_like(o) if is_disconnected(g) else g for o, g in zip(outputs, output_grads)]
        return [cast(join(self.axis, *gs), x.type.dtype), disconnected()]  # type: ignore[attr-defined]

    def connection_pattern(self, node: Apply) -> list[list[bool]]:
        return [[True] * self.len_splits, [False] * self.len_splits]

    def __str__(self) -> str:
        return f"Split{{{self.len_splits}, axis={self.axis}}}"


def _static_splits(splits: Variable, n: int) -> list[int | None] | None:
    if isinstance(splits, Constant):
        return [int(s) for s in np.asarray(splits.data)]
    if splits.owner is not None and isinstance(splits.owner.op, MakeVector):
        return [const_int(e) for e in splits.owner.inputs]
    return None


def split(x: Any, splits_size: Any, n_splits: int, axis: int = 0) -> list[Variable]:
    """Split ``x`` along ``axis`` into ``n_splits`` pieces of sizes ``splits_size`` (PyTensor's API).

    Example::

        a, b, c = split(x, [2, 0, 3], 3, axis=0)
    """
    x = as_tensor_variable(x)
    a = _norm_axis("split", axis, max(x.type.ndim, 1))
    out = Split(n_splits, a)(x, splits_size, return_list=True)
    return out


def _const_rep(r: Any) -> int:
    if isinstance(r, Constant):
        r = r.data
    if isinstance(r, Variable):
        raise TypeError(f"tile: reps must be constant integers, got the symbolic {r}")
    is_int_array = isinstance(r, np.ndarray) and r.ndim == 0 and r.dtype.kind in "iu"
    if isinstance(r, bool) or not (isinstance(r, int | np.integer) or is_int_array):
        raise TypeError(f"tile: reps must be integers, got {r!r}")
    return int(r)


def tile(x: Any, reps: int | Sequence[int]) -> Variable:
    """``np.tile`` for constant integer ``reps`` (an int or a sequence; built from joins).

    Example::

        tile(v, (2, 3))   # a (2, 3 * len(v)) matrix
        tile(v, 2)        # v twice, end to end
    """
    x = as_tensor_variable(x)
    if isinstance(reps, int | np.integer | Variable):
        reps = [reps]
    reps = [_const_rep(r) for r in reps]
    if any(r < 0 for r in reps):
        raise ValueError(f"tile: reps {tuple(reps)} must be non-negative")
    nd = max(len(reps), x.type.ndim)
    reps = [1] * (nd - len(reps)) + reps
    if x.type.ndim < nd:
        from graft.tensor.basic import pad_left

        x = pad_left(x, nd)
    out = x
    for axis, r in enumerate(reps):
        if r == 1:
            continue
        if r == 0:
            # An empty result along this axis: take an empty slice.
            sl = [slice(None)] * nd
            sl[axis] = slice(0, 0)
            out = out[tuple(sl)]
            continue
        out = join(axis, *([out] * r))
    return out


def repeat(x: Any, repeats: int, axis: int | None = None) -> Variable:
    """``np.repeat`` for a constant integer ``repeats`` (each element ``repeats`` times in a row).

    Example::

        repeat(v, 2)   # [v0, v0, v1, v1, ...]
    """
    from graft.tensor.basic import expand_dims
    from graft.tensor.shape import reshape, shape_i

    x = as_tensor_variable(x)
    r = int(repeats)
    if r < 0:
        raise ValueError(f"repeat: repeats must be non-negative, got {r}")
    if axis is None:
        from graft.tensor.shape import flatten

        x = flatten(x) if x.type.ndim != 1 else x
        axis = 0
    nd = x.type.ndim
    a = _norm_axis("repeat", axis, max(nd, 1))
    e = expand_dims(x, a + 1)
    t = join(a + 1, *([e] * r)) if r > 0 else e[(slice(None),) * (a + 1) + (slice(0, 0),)]
    dims: list[Any] = [shape_i(x, d) for d in range(nd)]
    dims[a] = d_mul(dims[a], r)
    return reshape(t, dims)
