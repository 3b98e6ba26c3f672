"""JAX rules of the elementwise Ops, the reductions and the Ops along one axis.

``Elemwise`` (fused ``Composite``\\ s included; XLA fuses the rest), ``CAReduce``
and ``ElemwiseReduce`` (NumPy's reduction dtypes), ``DimShuffle``, ``Softmax``
and ``LogSoftmax`` (shifted by the max as graft does), ``CumOp``, ``Diff``,
``Argmax``, ``SortOp``/``ArgSortOp`` (stable, NaN last as NumPy) and
``SearchSorted``. Shape errors that NumPy raises are raised while tracing,
so the call is replayed on the reference backend for graft's message.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from graft.graph.basic import Apply
from graft.tensor.elemwise import CAReduce, DimShuffle, Elemwise
from graft.tensor.extra_ops import CumOp, Diff, SearchSorted
from graft.tensor.fused_reduce import ElemwiseReduce
from graft.tensor.math import Argmax
from graft.tensor.sorting import ArgSortOp, SortOp
from graft.tensor.special import LogSoftmax, Softmax
from graft_backend_jax.linker import RULES
from graft_backend_jax.rules.scalar import has_int_pow, scalar_function, scalar_supported

OWNER = "graft-backend-jax"
Impl = Callable[..., Sequence[Any]]


def _jnp() -> Any:
    import jax.numpy as jnp

    return jnp


def _reg(
    *classes: type,
    supports: Callable[[Any], bool] | None = None,
    checks: Callable[[Apply], bool] | None = None,
) -> Any:
    def deco(rule: Any) -> Any:
        if supports is not None:
            rule.supports = supports
        if checks is not None:
            rule.checks = checks
        RULES.register(*classes, rule=rule, owner=OWNER)
        return rule

    return deco


def _dtypes(vs: Sequence[Any]) -> list[str]:
    return [str(v.type.dtype) for v in vs]


def _static_shape(v: Any) -> tuple[int | None, ...]:
    return tuple(v.type.shape)


def _broadcast_shape(node: Any, shapes: list[tuple[int, ...]]) -> tuple[int, ...]:
    """The output shape; raises ValueError where graft's Elemwise does (sizes known while tracing)."""
    nd = max((len(s) for s in shapes), default=0)
    out = []
    for d in range(nd):
        sizes = {s[d] for s in shapes if len(s) == nd}
        big = sizes - {1}
        if len(big) > 1:
            raise ValueError(f"{node.op}: shapes {shapes} do not broadcast")
        out.append(big.pop() if big else 1)
    for k, (s, v) in enumerate(zip(shapes, node.inputs)):
        static = _static_shape(v)
        if len(s) != nd:
            continue
        for d in range(nd):
            if s[d] != out[d] and static[d] != 1:
                raise ValueError(f"{node.op}: input {k} of shape {s} does not broadcast to {out}")
    return tuple(out)


def _elemwise_checks(node: Any) -> bool:
    return has_int_pow(node.op.scalar_op, str(node.outputs[0].type.dtype))


def _fused_checks(node: Any) -> bool:
    reduced = node.op.unfused(*node.inputs).owner
    return _elemwise_checks(reduced.inputs[0].owner)


@_reg(Elemwise, supports=lambda op: scalar_supported(op.scalar_op), checks=_elemwise_checks)
def elemwise_rule(node: Any) -> Impl:
    """The scalar op's JAX function on the (broadcast) arrays."""
    f = scalar_function(node.op.scalar_op, _dtypes(node.inputs), _dtypes(node.outputs))
    assert f is not None
    jnp = _jnp()

    def run(*xs: Any) -> Sequence[Any]:
        xs = tuple(jnp.asarray(x) for x in xs)
        shape = _broadcast_shape(node, [tuple(x.shape) for x in xs])
        outs = f(*xs)
        return [o if o.shape == shape else jnp.broadcast_to(o, shape) for o in outs]

    return run


# -- reductions ------------------------------------------------------------------------------

_REDUCERS = {
    "add": "sum",
    "mul": "prod",
    "maximum": "max",
    "minimum": "min",
    "and_": "all",
    "or_": "any",
}
_BITWISE = {"xor": "bitwise_xor", "bitwise_and": "bitwise_and", "bitwise_or": "bitwise_or"}


def _reduce_supported(op: Any) -> bool:
    return str(op.scalar_op) in _REDUCERS or str(op.scalar_op) in _BITWISE


def _reducer(op: CAReduce, in_dtype: str, out_dtype: str) -> Callable[[Any], Any]:
    jnp = _jnp()
    name = str(op.scalar_op)
    out_dt = np.dtype(out_dtype)

    def run(x: Any) -> Any:
        x = jnp.asarray(x)
        axis = tuple(range(x.ndim)) if op.axis is None else tuple(op.axis)
        if name in ("maximum", "minimum") or name in _BITWISE:
            if any(x.shape[a] == 0 for a in axis):
                raise ValueError(f"{op}: zero-size array to a reduction with no identity")
        if name in _BITWISE:
            f = getattr(jnp, _BITWISE[name])
            res = x
            for a in sorted(axis, reverse=True):
                res = f.reduce(res, axis=a)
            return res.astype(out_dt)
        f = getattr(jnp, _REDUCERS[name])
        if name in ("add", "mul"):
            return f(x, axis=axis, dtype=out_dt)
        return f(x, axis=axis).astype(out_dt)

    return run


@_reg(CAReduce, supports=_reduce_supported)
def careduce_rule(node: Any) -> Impl:
    """``jnp.sum``/``prod``/``max``/``min``/``all``/``any`` (or a bitwise fold) over the axes."""
    f = _reducer(node.op, str(node.inputs[0].type.dtype), str(node.outputs[0].type.dtype))
    return lambda x: (f(x),)


def _fused_supported(op: Any) -> bool:
    return scalar_supported(op.map_op) and str(op.reduce_op) in _REDUCERS


@_reg(ElemwiseReduce, supports=_fused_supported, checks=_fused_checks)
def elemwise_reduce_rule(node: Any) -> Impl:
    """The unfused Elemwise and CAReduce in one function (XLA fuses them again)."""
    reduced = node.op.unfused(*node.inputs).owner
    mapped = reduced.inputs[0].owner
    m = elemwise_rule(mapped)
    r = careduce_rule(reduced)
    return lambda *xs: r(m(*xs)[0])


@_reg(DimShuffle)
def dimshuffle_rule(node: Any) -> Impl:
    """Transpose, then reshape to add and drop the size-1 dimensions."""
    jnp = _jnp()
    op = node.op
    perm = tuple(op.shuffle) + tuple(op.drop)

    def run(x: Any) -> Sequence[Any]:
        x = jnp.asarray(x)
        for d in op.drop:
            if x.shape[d] != 1:
                raise ValueError(f"{op}: dimension {d} of shape {x.shape} is not 1")
        y = jnp.transpose(x, perm) if perm != tuple(range(x.ndim)) else x
        shape = tuple(1 if o == "x" else x.shape[int(o)] for o in op.new_order)
        return (y.reshape(shape) if y.shape != shape else y,)

    return run


# -- along an axis ---------------------------------------------------------------------------


def _shift(x: Any, axis: int | None) -> Any:
    jnp = _jnp()
    m = jnp.max(x, axis=axis, keepdims=True)
    return x - jnp.where(jnp.isfinite(m), m, jnp.zeros((), x.dtype))


def _cast_in(node: Any, x: Any) -> Any:
    return _jnp().asarray(x).astype(np.dtype(str(node.outputs[0].type.dtype)))


@_reg(Softmax)
def softmax_rule(node: Any) -> Impl:
    """``exp(x - max) / sum``, NaN and infinities as graft's reference."""
    jnp = _jnp()
    axis = node.op.axis

    def run(x: Any) -> Sequence[Any]:
        x = _cast_in(node, x)
        if x.size == 0:
            return (x,)
        e = jnp.exp(_shift(x, axis))
        return (e / jnp.sum(e, axis=axis, keepdims=True),)

    return run


@_reg(LogSoftmax)
def log_softmax_rule(node: Any) -> Impl:
    """``(x - max) - log(sum(exp(x - max)))``."""
    jnp = _jnp()
    axis = node.op.axis

    def run(x: Any) -> Sequence[Any]:
        x = _cast_in(node, x)
        if x.size == 0:
            return (x,)
        s = _shift(x, axis)
        return (s - jnp.log(jnp.sum(jnp.exp(s), axis=axis, keepdims=True)),)

    return run


@_reg(CumOp)
def cumop_rule(node: Any) -> Impl:
    """``jnp.cumsum``/``cumprod`` in the output dtype (flattened for axis None), reversed if asked."""
    jnp = _jnp()
    op = node.op
    dt = np.dtype(str(node.outputs[0].type.dtype))
    f = jnp.cumsum if op.mode == "add" else jnp.cumprod

    def run(x: Any) -> Sequence[Any]:
        x = jnp.asarray(x)
        axis = op.axis
        if axis is None:
            x, axis = x.ravel(), 0
        if op.reverse:
            return (jnp.flip(f(jnp.flip(x, axis), axis=axis, dtype=dt), axis),)
        return (f(x, axis=axis, dtype=dt),)

    return run


@_reg(Diff)
def diff_rule(node: Any) -> Impl:
    """``jnp.diff`` (its transpose, for the gradient, as the adjoint of the difference)."""
    jnp = _jnp()
    op = node.op
    dt = np.dtype(str(node.outputs[0].type.dtype))
    if not op.transpose:
        return lambda x: (jnp.diff(jnp.asarray(x), n=op.n, axis=op.axis).astype(dt),)

    def run(g: Any, like: Any) -> Sequence[Any]:
        shape = jnp.shape(like)
        if shape[op.axis] <= op.n:
            return (jnp.zeros(shape, dt),)
        r = jnp.asarray(g).astype(dt)
        for _ in range(op.n):
            pad = [(0, 0)] * r.ndim
            pad[op.axis] = (1, 1)
            r = -jnp.diff(jnp.pad(r, pad), axis=op.axis)
        return (r,)

    return run


@_reg(Argmax)
def argmax_rule(node: Any) -> Impl:
    """``jnp.argmax``/``argmin`` (first NaN wins, as NumPy), int64; empty axes raise."""
    jnp = _jnp()
    op = node.op
    f = jnp.argmax if op.kind == "max" else jnp.argmin

    def run(x: Any) -> Sequence[Any]:
        x = jnp.asarray(x)
        axis = op.axis
        if (x.size == 0 and axis is None) or (axis is not None and x.shape[axis] == 0):
            raise ValueError(f"{op}: attempt to get argmax of an empty sequence")
        return (f(x, axis=axis).astype(np.int64),)

    return run


@_reg(SortOp)
def sort_rule(node: Any) -> Impl:
    """``jnp.sort`` (NaN last, as NumPy); axis None sorts the flattened array."""
    jnp = _jnp()
    axis = node.op.axis
    return lambda x: (jnp.sort(jnp.asarray(x), axis=axis, stable=True),)


@_reg(ArgSortOp)
def argsort_rule(node: Any) -> Impl:
    """``jnp.argsort``, stable (ties keep their order, as NumPy's stable kinds), int64."""
    jnp = _jnp()
    axis = node.op.axis
    return lambda x: (jnp.argsort(jnp.asarray(x), axis=axis, stable=True).astype(np.int64),)


@_reg(SearchSorted)
def searchsorted_rule(node: Any) -> Impl:
    """``jnp.searchsorted`` with the op's side, int64."""
    jnp = _jnp()
    side = "left" if node.op.side == "left" else "right"

    def run(a: Any, v: Any) -> Sequence[Any]:
        a, v = jnp.asarray(a), jnp.asarray(v)
        dt = jnp.result_type(a.dtype, v.dtype)
        return (jnp.searchsorted(a.astype(dt), v.astype(dt), side=side).astype(np.int64),)

    return run
