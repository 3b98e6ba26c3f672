"""JAX rules of the shape, building and bookkeeping Ops.

Shapes (`Shape`, `Shape_i`, `SpecifyShape`, `Reshape`, `Alloc`, `BroadcastTo`,
`SumToShape`), building (`MakeVector`, `Join`, `Split`, `ARange`, `Eye`, `Tri`,
`TriIndices`, `AllocDiag`, `ExtractDiag`), the scalar/tensor bridges, the
gradient identities and `CheckAndRaise`.

Input shapes are static under ``jax.jit``: `Shape` and `Shape_i` give NumPy
values, so the shape arithmetic built on them is computed while tracing (see
`graft_backend_jax.linker`), and sizes the Ops need (reshape targets, alloc
shapes, arange bounds, split sizes) come out as Python ints through
`static_ints`, or a `StaticValueError` naming the Op.

``CheckAndRaise`` cannot raise inside a jitted function: its condition goes
through ``jax.experimental.checkify`` (`runtime_check`), and a failed check
replays the call on the reference backend, which raises the Op's exception
with its message. In `graft_backend_jax.to_jax` callables checks are dropped.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from graft.gradient.ops import ConsiderConstant, DisconnectedGrad, GradClip, GradScale, ZeroGrad
from graft.raise_op import CheckAndRaise
from graft.tensor.axes import BroadcastTo, SumToShape
from graft.tensor.basic import Alloc, ScalarFromTensor, TensorFromScalar
from graft.tensor.join import ARange, Eye, Join, MakeVector, Split
from graft.tensor.linalg import Tri
from graft.tensor.shape import Reshape, Shape, Shape_i, SpecifyShape
from graft.tensor.triangular import AllocDiag, ExtractDiag, TriIndices
from graft_backend_jax.linker import (
    RULES,
    depends_on_data,
    is_static,
    runtime_check,
    static_int,
    static_ints,
)

OWNER = "graft-backend-jax"
Impl = Callable[..., Sequence[Any]]


def _jnp() -> Any:
    import jax.numpy as jnp

    return jnp


def _reg(*classes: type, supports: Callable[[Any], bool] | None = None) -> Any:
    def deco(rule: Any) -> Any:
        if supports is not None:
            rule.supports = supports
        RULES.register(*classes, rule=rule, owner=OWNER)
        return rule

    return deco


def _dt(v: Any) -> np.dtype[Any]:
    return np.dtype(str(v.type.dtype))


@_reg(Shape)
def shape_rule(node: Any) -> Impl:
    """The static shape as a NumPy int64 vector (known while tracing)."""
    return lambda x: (np.asarray(np.shape(x), dtype=np.int64),)


@_reg(Shape_i)
def shape_i_rule(node: Any) -> Impl:
    """One static dimension as a NumPy int64 scalar."""
    i = node.op.i
    return lambda x: (np.asarray(np.shape(x)[i], dtype=np.int64),)


@_reg(SpecifyShape)
def specify_shape_rule(node: Any) -> Impl:
    """``x``, after checking the known sizes while tracing (AssertionError otherwise)."""
    want = node.op.shape

    def run(x: Any) -> Sequence[Any]:
        shape = np.shape(x)
        if len(shape) != len(want) or any(s is not None and s != a for s, a in zip(want, shape)):
            raise AssertionError(f"SpecifyShape: expected shape {want}, got {shape}")
        return (x,)

    return run


@_reg(Reshape)
def reshape_rule(node: Any) -> Impl:
    """``jnp.reshape`` to a target known while tracing (one -1 inferred as NumPy does)."""
    jnp = _jnp()

    def run(x: Any, shp: Any) -> Sequence[Any]:
        target = static_ints(node, shp, "the target shape")
        return (jnp.reshape(jnp.asarray(x), target),)

    return run


def _check_fill(node: Any, vshape: tuple[int, ...], shape: tuple[int, ...]) -> None:
    static = node.inputs[0].type.shape
    pad = len(shape) - len(vshape)
    for k, n in enumerate(vshape):
        if static[k] != 1 and n != shape[pad + k]:
            raise ValueError(f"Alloc: value of shape {vshape} cannot fill shape {shape}")


@_reg(Alloc)
def alloc_rule(node: Any) -> Impl:
    """``jnp.broadcast_to`` the value to a shape known while tracing."""
    jnp = _jnp()
    dt = _dt(node.outputs[0])

    def run(v: Any, *sh: Any) -> Sequence[Any]:
        shape = tuple(static_int(node, s, "the shape") for s in sh)
        v = jnp.asarray(v).astype(dt)
        _check_fill(node, tuple(v.shape), shape)
        return (jnp.broadcast_to(v, shape),)

    return run


@_reg(BroadcastTo)
def broadcast_to_rule(node: Any) -> Impl:
    """``jnp.broadcast_to`` a shape known while tracing (NumPy's rules)."""
    jnp = _jnp()
    dt = _dt(node.outputs[0])

    def run(x: Any, *sh: Any) -> Sequence[Any]:
        shape = tuple(static_int(node, s, "the shape") for s in sh)
        x = jnp.asarray(x).astype(dt)
        off = len(shape) - x.ndim
        for d, n in enumerate(x.shape):
            if shape[off + d] < 0 or (n != shape[off + d] and n != 1):
                raise ValueError(f"BroadcastTo: input of shape {x.shape} cannot go to {shape}")
        return (jnp.broadcast_to(x, shape),)

    return run


@_reg(SumToShape)
def sum_to_shape_rule(node: Any) -> Impl:
    """Sum the leading and broadcast dimensions of ``g`` away to ``like``'s shape."""
    jnp = _jnp()
    dt = _dt(node.outputs[0])

    def run(g: Any, like: Any) -> Sequence[Any]:
        g = jnp.asarray(g)
        target = tuple(np.shape(like))
        lead = g.ndim - len(target)
        if lead > 0:
            g = g.sum(axis=tuple(range(lead)))
        axes = tuple(d for d, (s, t) in enumerate(zip(target, g.shape)) if s == 1 and t != 1)
        if axes:
            g = g.sum(axis=axes, keepdims=True)
        if tuple(g.shape) != target:
            raise ValueError(f"SumToShape: cannot sum shape {g.shape} to {target}")
        return (g.astype(dt),)

    return run


@_reg(ScalarFromTensor, TensorFromScalar)
def bridge_rule(node: Any) -> Impl:
    """Scalars are 0-d arrays here: both bridges only convert the dtype."""
    return lambda x: (x,)


@_reg(ConsiderConstant, DisconnectedGrad, GradClip, GradScale, ZeroGrad)
def gradient_identity_rule(node: Any) -> Impl:
    """Identities in the forward graph (they act only on gradients, already taken)."""
    return lambda x: (x,)


def _check_rule(node: Any) -> Impl:
    jnp = _jnp()
    msg = str(node.op.msg)

    def run(value: Any, *conds: Any) -> Sequence[Any]:
        for c in conds:
            # A condition known while tracing (shape checks) is checked right here.
            ok = np.all(np.asarray(c) != 0) if is_static(c) else jnp.all(jnp.asarray(c) != 0)
            runtime_check(ok, msg)
        return (value,)

    return run


# Only conditions computed from input values need checkify (shape checks run while tracing).
_check_rule.checks = lambda node: depends_on_data(node.inputs[1:])  # type: ignore[attr-defined]
RULES.register(CheckAndRaise, rule=_check_rule, owner=OWNER)


# -- building --------------------------------------------------------------------------------


@_reg(MakeVector)
def make_vector_rule(node: Any) -> Impl:
    """``jnp.stack`` of the scalars in the op's dtype."""
    jnp = _jnp()
    dt = _dt(node.outputs[0])

    def run(*xs: Any) -> Sequence[Any]:
        if not xs:
            return (jnp.zeros((0,), dt),)
        return (jnp.stack([jnp.asarray(x).astype(dt).reshape(()) for x in xs]),)

    return run


@_reg(Join)
def join_rule(node: Any) -> Impl:
    """``jnp.concatenate`` along the op's axis, in the output dtype."""
    jnp = _jnp()
    dt = _dt(node.outputs[0])
    axis = node.op.axis

    def run(*xs: Any) -> Sequence[Any]:
        arrs = [jnp.asarray(x).astype(dt) for x in xs]
        nd = arrs[0].ndim
        for a in arrs:
            if a.ndim != nd or any(
                s != t for d, (s, t) in enumerate(zip(a.shape, arrs[0].shape)) if d != axis % nd
            ):
                raise ValueError(f"{node.op}: input shapes {[x.shape for x in arrs]} differ")
        return (jnp.concatenate(arrs, axis=axis),)

    return run


@_reg(Split)
def split_rule(node: Any) -> Impl:
    """Slices of ``x`` of sizes known while tracing (they must sum to the axis' size)."""
    import jax

    jnp = _jnp()
    op = node.op

    def run(x: Any, sizes: Any) -> Sequence[Any]:
        x = jnp.asarray(x)
        ss = static_ints(node, sizes, "the split sizes")
        n = x.shape[op.axis]
        if len(ss) != op.len_splits or any(s < 0 for s in ss) or sum(ss) != n:
            raise ValueError(f"{op}: split sizes {list(ss)} do not fit axis size {n}")
        axis = op.axis % x.ndim
        out, start = [], 0
        for size in ss:
            shape = (*x.shape[:axis], size, *x.shape[axis + 1 :])
            if size == 0:  # an empty piece as a new array (XLA mis-compiles empty slices here)
                out.append(jnp.zeros(shape, x.dtype))
            else:
                out.append(jax.lax.slice_in_dim(x, start, start + size, axis=axis))
            start += size
        return tuple(out)

    return run


@_reg(ARange)
def arange_rule(node: Any) -> Impl:
    """``jnp.arange`` of bounds known while tracing, in the op's dtype."""
    jnp = _jnp()
    dt = np.dtype(node.op.dtype)

    def run(start: Any, stop: Any, step: Any) -> Sequence[Any]:
        for v, what in ((start, "start"), (stop, "stop"), (step, "step")):
            if not is_static(v):
                static_ints(node, v, f"the {what}")  # raises StaticValueError
        a, b, c = (np.asarray(v)[()].item() for v in (start, stop, step))
        if c == 0:
            raise ValueError(f"{node.op}: step must not be zero")
        n = len(np.arange(a, b, c, dtype=dt)) if dt.kind != "f" else None
        if n is not None and n <= 0:
            return (jnp.zeros((0,), dt),)
        return (jnp.asarray(np.arange(a, b, c, dtype=dt)),)

    return run


@_reg(Eye)
def eye_rule(node: Any) -> Impl:
    """``jnp.eye(n, m, k)`` of sizes known while tracing."""
    jnp = _jnp()
    dt = np.dtype(node.op.dtype)

    def run(n: Any, m: Any, k: Any) -> Sequence[Any]:
        nn, mm, kk = (static_int(node, v, "its size") for v in (n, m, k))
        return (jnp.eye(nn, mm, kk, dtype=dt),)

    return run


@_reg(Tri)
def tri_rule(node: Any) -> Impl:
    """``jnp.tril``/``triu`` with the op's diagonal offset."""
    jnp = _jnp()
    f = jnp.tril if node.op.lower else jnp.triu
    k = node.op.k
    return lambda x: (f(jnp.asarray(x), k),)


@_reg(TriIndices)
def tri_indices_rule(node: Any) -> Impl:
    """The (row, column) indices of a triangle of sizes known while tracing."""
    f = np.tril_indices if node.op.lower else np.triu_indices

    def run(n: Any, k: Any, m: Any) -> Sequence[Any]:
        nn, kk, mm = (static_int(node, v, "its size") for v in (n, k, m))
        rows, cols = f(nn, kk, mm)
        return (rows.astype(np.int64), cols.astype(np.int64))

    return run


@_reg(AllocDiag)
def alloc_diag_rule(node: Any) -> Impl:
    """Square matrices with ``v`` (last axis) on diagonal ``offset``, zeros elsewhere."""
    jnp = _jnp()
    off = node.op.offset

    def run(v: Any) -> Sequence[Any]:
        v = jnp.asarray(v)
        length = v.shape[-1]
        n = length + abs(off)
        out = jnp.zeros((*v.shape[:-1], n, n), v.dtype)
        idx = np.arange(length)
        return (out.at[..., idx + max(-off, 0), idx + max(off, 0)].set(v),)

    return run


@_reg(ExtractDiag)
def extract_diag_rule(node: Any) -> Impl:
    """``jnp.diagonal`` with the op's offset and axes."""
    jnp = _jnp()
    op = node.op
    return lambda x: (jnp.diagonal(jnp.asarray(x), op.offset, op.axis1, op.axis2),)


# Inputs JAX needs while tracing (see `graft_backend_jax.linker.static_inputs`).
reshape_rule.static_inputs = lambda node: [1]
alloc_rule.static_inputs = lambda node: range(1, len(node.inputs))
broadcast_to_rule.static_inputs = lambda node: range(1, len(node.inputs))
split_rule.static_inputs = lambda node: [1]
arange_rule.static_inputs = lambda node: [0, 1, 2]
eye_rule.static_inputs = lambda node: [0, 1, 2]
tri_indices_rule.static_inputs = lambda node: [0, 1, 2]
