"""JAX rules of basic and advanced indexing: reads (``x[idx]``) and writes (``x.at[idx]``).

An Op's ``idx_list`` is turned into a NumPy-style index while tracing. Slice
bounds must be known then (XLA slices have static sizes): constants, or
values computed from input shapes. Integer indices and index arrays may be
data: JAX clamps an out-of-range index where NumPy raises IndexError, so
each one gets a bounds check (`runtime_check`, through checkify in compiled
graphs), and a failed check replays the call on the reference backend for
graft's error. Boolean masks give data-dependent shapes: a mask known while
tracing becomes integer indices; a mask computed from data can only *set*
a broadcast value (``x[m] = v`` as ``where``), anything else raises
`StaticValueError` naming the Op.

Writes accumulate over repeated indices (``np.add.at``); a *set* with repeated
indices keeps one of the values, in XLA's order (NumPy keeps the last).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from graft.graph.basic import Apply, Constant
from graft.tensor.subtensor import IncSubtensor, Subtensor
from graft.tensor.subtensor_advanced import (
    AdvancedIncSubtensor,
    AdvancedIncSubtensor1,
    AdvancedSubtensor,
    AdvancedSubtensor1,
)
from graft_backend_jax.linker import (
    RULES,
    StaticValueError,
    is_static,
    runtime_check,
    static_int,
)

OWNER = "graft-backend-jax"
Impl = Callable[..., Sequence[Any]]

_SYM, _ELLIPSIS, _ARRAY, _MASK = "?", "...", "a", "b"


def _jnp() -> Any:
    import jax.numpy as jnp

    return jnp


def _has_data_index(node: Any) -> bool:
    """Whether an integer index or index array is a computed value (constants are checked
    while tracing; slice bounds are static)."""
    op = node.op
    idx_list = getattr(op, "idx_list", (_ARRAY,))
    k = 2 if hasattr(op, "set_instead_of_inc") else 1
    for e in idx_list:
        if isinstance(e, tuple):
            k += sum(p == _SYM for p in e)
        elif e in (_SYM, _ARRAY, _MASK):
            if e != _MASK and not isinstance(node.inputs[k], Constant):
                return True
            k += 1
    return False


def _static_positions(node: Any) -> list[int]:
    """Input positions of slice bounds (and of masks, for reads): needed while tracing."""
    op = node.op
    idx_list = getattr(op, "idx_list", (_ARRAY,))
    first = 2 if hasattr(op, "set_instead_of_inc") else 1
    out, k = [], first
    for e in idx_list:
        if isinstance(e, tuple):
            for p in e:
                if p == _SYM:
                    out.append(k)
                    k += 1
        elif e in (_SYM, _ARRAY, _MASK):
            if e == _MASK and (first == 1 or list(idx_list) != [_MASK]):
                out.append(k)
            k += 1
    return out


def _reg(*classes: type) -> Any:
    def deco(rule: Any) -> Any:
        rule.checks = _has_data_index
        rule.static_inputs = _static_positions
        RULES.register(*classes, rule=rule, owner=OWNER)
        return rule

    return deco


def _consumed(e: Any, value: Any) -> int:
    if e is None:
        return 0
    if e == _MASK:
        return int(np.ndim(value))
    return 1


def _check_int(op: Any, i: Any, n: int, axis: int) -> Any:
    """``i`` (an index along an axis of size ``n``) after a bounds check."""
    if is_static(i):
        iv = int(np.asarray(i))
        if not -n <= iv < n:
            raise IndexError(f"{op}: index {iv} is out of bounds for axis {axis} with size {n}")
        return iv
    jnp = _jnp()
    runtime_check(
        jnp.all((i >= -n) & (i < n)), f"{op}: index out of bounds for axis {axis} with size {n}"
    )
    return i


def _check_array(op: Any, a: Any, n: int, axis: int) -> Any:
    if is_static(a):
        arr = np.asarray(a)
        if arr.size and not (np.all(arr >= -n) and np.all(arr < n)):
            raise IndexError(f"{op}: index out of bounds for axis {axis} with size {n}")
        return arr
    jnp = _jnp()
    a = jnp.asarray(a)
    runtime_check(
        jnp.all((a >= -n) & (a < n)), f"{op}: index out of bounds for axis {axis} with size {n}"
    )
    return a


def make_index(
    node: Apply, idx_list: Sequence[Any], values: Sequence[Any], shape: tuple[int, ...]
) -> tuple[Any, ...]:
    """The NumPy-style index for ``idx_list`` on an array of ``shape``, with bounds checks.

    ``values`` are the index inputs (in ``idx_list`` order). Raises
    `StaticValueError` for a slice bound or mask that is data.
    """
    op = node.op
    it = iter(values)
    entries: list[tuple[Any, Any]] = []
    for e in idx_list:
        if isinstance(e, tuple):
            parts = []
            for p in e:
                parts.append(static_int(node, next(it), "its slice bounds") if p == _SYM else p)
            entries.append((e, slice(*parts)))
        elif e in (_SYM, _ARRAY, _MASK):
            entries.append((e, next(it)))
        else:
            entries.append((e, e))
    used = sum(_consumed(e, v) for e, v in entries if e != _ELLIPSIS)
    out: list[Any] = []
    axis = 0
    for e, v in entries:
        if e == _ELLIPSIS:
            out.append(Ellipsis)
            axis += len(shape) - used
        elif e is None:
            out.append(None)
        elif isinstance(e, tuple):
            out.append(v)
            axis += 1
        elif e == _MASK:
            if not is_static(v):
                raise StaticValueError(
                    f"backend 'jax': {op} indexes with a boolean mask computed from input "
                    "values; the result's shape would depend on data (JAX needs it static)"
                )
            m = np.asarray(v, dtype=bool)
            if m.shape != shape[axis : axis + m.ndim]:
                raise IndexError(f"{op}: mask of shape {m.shape} does not match {shape}")
            out.extend(np.nonzero(m))
            axis += m.ndim
        elif e == _ARRAY:
            if axis >= len(shape):
                raise IndexError(f"{op}: too many indices for an array of shape {shape}")
            out.append(_check_array(op, v, shape[axis], axis))
            axis += 1
        else:  # an integer, constant or symbolic
            if axis >= len(shape):
                raise IndexError(f"{op}: too many indices for an array of shape {shape}")
            out.append(_check_int(op, v, shape[axis], axis))
            axis += 1
    return tuple(out) if any(o is Ellipsis for o in out) else (*out, Ellipsis)


def _read(idx_list_of: Callable[[Any], Sequence[Any]]) -> Callable[[Apply], Impl]:
    def rule(node: Any) -> Impl:
        jnp = _jnp()
        idx_list = idx_list_of(node.op)

        def run(x: Any, *idx: Any) -> Sequence[Any]:
            x = jnp.asarray(x)
            return (x[make_index(node, idx_list, idx, tuple(x.shape))],)

        return run

    return rule


def _mask_set(node: Any, x: Any, y: Any, idx_list: Sequence[Any], idx: Sequence[Any]) -> Any:
    """``x[m] = y`` for a data mask ``m`` covering the leading axes and a broadcast ``y``."""
    jnp = _jnp()
    (m,) = idx
    m = jnp.asarray(m, dtype=bool)
    if m.shape != x.shape[: m.ndim]:
        raise IndexError(f"{node.op}: mask of shape {m.shape} does not match {x.shape}")
    y = jnp.asarray(y).astype(x.dtype)
    if y.size != 1 and y.shape != x.shape[m.ndim :]:
        raise StaticValueError(
            f"backend 'jax': {node.op} writes an array through a mask computed from input "
            "values; only a broadcast value can be set that way under JAX"
        )
    mm = m.reshape(m.shape + (1,) * (x.ndim - m.ndim))
    if node.op.set_instead_of_inc:
        return jnp.where(mm, y.reshape(y.shape if y.size != 1 else ()), x)
    return x + jnp.where(mm, y.reshape(y.shape if y.size != 1 else ()), jnp.zeros((), x.dtype))


def _write(idx_list_of: Callable[[Any], Sequence[Any]]) -> Callable[[Apply], Impl]:
    def rule(node: Any) -> Impl:
        jnp = _jnp()
        idx_list = list(idx_list_of(node.op))
        set_ = node.op.set_instead_of_inc

        def run(x: Any, y: Any, *idx: Any) -> Sequence[Any]:
            x = jnp.asarray(x)
            if idx_list == [_MASK] and not is_static(idx[0]):
                return (_mask_set(node, x, y, idx_list, idx),)
            index = make_index(node, idx_list, idx, tuple(x.shape))
            y = jnp.asarray(y).astype(x.dtype)
            region = jnp.shape(x[index])
            try:
                np.broadcast_shapes(tuple(y.shape), region)
            except ValueError:
                raise ValueError(
                    f"{node.op}: y of shape {y.shape} does not broadcast to {region}"
                ) from None
            at = x.at[index]
            return (at.set(y) if set_ else at.add(y),)

        return run

    return rule


_reg(Subtensor)(_read(lambda op: op.idx_list))
_reg(AdvancedSubtensor)(_read(lambda op: op.idx_list))
_reg(AdvancedSubtensor1)(_read(lambda op: (_ARRAY,)))
_reg(IncSubtensor)(_write(lambda op: op.idx_list))
_reg(AdvancedIncSubtensor)(_write(lambda op: op.idx_list))
_reg(AdvancedIncSubtensor1)(_write(lambda op: (_ARRAY,)))
