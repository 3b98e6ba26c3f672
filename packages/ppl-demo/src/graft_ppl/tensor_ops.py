"""Shape-level functions of random variables: ``cumsum`` (random walks), ``stack`` and
``concatenate``.

- ``cumsum(x, axis)`` of an unvalued random variable with an elementwise
  density: the increments ``v - shift(v)`` are ``x``'s values (Jacobian 1).
- ``concatenate([x0, x1, ...], axis)`` and ``stack([x0, x1, ...], axis)`` of
  unvalued random variables: the value is split back into the parts, and
  the parts' terms are joined along ``axis``.

Example::

    steps = gr.normal(0.0, 1.0, size=(10,))
    walk = gt.cumsum(steps)
    logp(walk, v)   # sum of N(v[t] - v[t-1] | 0, 1), with v[-1] = 0
"""

from __future__ import annotations

from typing import Any

import graft.tensor as gt
from graft.graph.basic import Apply, Variable
from graft.graph.op import Op
from graft.graph.rewriting.basic import node_rewriter
from graft.tensor.basic import MakeVector
from graft.tensor.elemwise import DimShuffle
from graft.tensor.extra_ops import CumOp
from graft.tensor.join import Join
from graft_ppl.abstract import LOGP, MeasurableOp, is_measurable, measurable_logp

__all__ = [
    "MeasurableCumsum",
    "MeasurableJoin",
    "MeasurableMakeVector",
    "measurable_cumsum",
    "measurable_join",
    "measurable_make_vector",
]


class MeasurableCumsum(MeasurableOp):
    """``cumsum`` of a measurable variable with an elementwise density."""


class MeasurableJoin(MeasurableOp):
    """``concatenate``/``stack`` of measurable variables (stack's parts are ``x[None]``)."""


class MeasurableMakeVector(MeasurableOp):
    """``stack`` of measurable scalars."""


def _unvalued(fgraph: Any, v: Variable) -> bool:
    return is_measurable(v) and v not in set(fgraph.outputs)


def _scalar_support(v: Variable) -> bool:
    node = v.owner
    return node is not None and getattr(node.op, "ndim_supp", 0) == 0


@node_rewriter([CumOp])
def measurable_cumsum(fgraph: Any, node: Apply) -> list[Variable] | None:
    """cumsum of an unvalued random variable -> `MeasurableCumsum`."""
    op: Any = node.op
    if op.mode != "add" or getattr(op, "reverse", False):
        return None
    (x,) = node.inputs
    if not _unvalued(fgraph, x) or not _scalar_support(x):
        return None
    if op.axis is None and x.type.ndim != 1:  # type: ignore[attr-defined]
        return None
    return [MeasurableCumsum(op)(x)]


def _expanded(v: Variable, axis: int) -> Variable | None:
    """``x`` when ``v`` is ``x`` with a new axis inserted at ``axis`` (what stack adds)."""
    node = v.owner
    if node is None or not isinstance(node.op, DimShuffle):
        return None
    n = node.inputs[0].type.ndim  # type: ignore[attr-defined]
    order = tuple(node.op.new_order)
    if order != (*range(axis), "x", *range(axis, n)):
        return None
    return node.inputs[0]


def _join_part(fgraph: Any, v: Variable, axis: int) -> bool:
    if _unvalued(fgraph, v):
        return True
    base = _expanded(v, axis)
    return base is not None and _unvalued(fgraph, base)


@node_rewriter([Join])
def measurable_join(fgraph: Any, node: Apply) -> list[Variable] | None:
    """Join of unvalued random variables (or of them with a new axis) -> `MeasurableJoin`."""
    axis = node.op.axis  # type: ignore[attr-defined]
    if not node.inputs or not all(_join_part(fgraph, p, axis) for p in node.inputs):
        return None
    return [MeasurableJoin(node.op)(*node.inputs)]


@node_rewriter([MakeVector])
def measurable_make_vector(fgraph: Any, node: Apply) -> list[Variable] | None:
    """stack of unvalued scalar random variables -> `MeasurableMakeVector`."""
    if not node.inputs or not all(_unvalued(fgraph, p) for p in node.inputs):
        return None
    return [MeasurableMakeVector(node.op)(*node.inputs)]


def _index(ndim: int, axis: int, item: Any) -> tuple[Any, ...]:
    idx: list[Any] = [slice(None)] * ndim
    idx[axis] = item
    return tuple(idx)


@LOGP.register(MeasurableCumsum)
def cumsum_logp(op: Op, value: Any, node: Apply) -> Any:
    assert isinstance(op, MeasurableCumsum)
    (x,) = node.inputs
    v: Any = gt.as_tensor_variable(value)
    axis = op.base_op.axis or 0  # type: ignore[attr-defined]
    nd = v.type.ndim
    axis = axis % nd
    first = v[_index(nd, axis, slice(None, 1))]
    prev = gt.concatenate([gt.zeros_like(first), v[_index(nd, axis, slice(None, -1))]], axis=axis)
    return measurable_logp(x, v - prev)


@LOGP.register(MeasurableJoin)
def join_logp(op: Op, value: Any, node: Apply) -> Any:
    assert isinstance(op, MeasurableJoin)
    axis = op.base_op.axis  # type: ignore[attr-defined]
    v: Any = gt.as_tensor_variable(value)
    nd = v.type.ndim
    terms = []
    start: Any = 0
    part: Any
    for part in node.inputs:
        base = None if is_measurable(part) else _expanded(part, axis)
        if base is not None:
            piece = v[_index(nd, axis, start)]
            lp = measurable_logp(base, piece)
            if lp.type.ndim < axis:
                raise ValueError(
                    f"stack along axis {axis} of variables with vector support is not supported"
                )
            lp = gt.expand_dims(lp, axis)
            start = start + 1
        else:
            stop = start + part.shape[axis]
            lp = measurable_logp(part, v[_index(nd, axis, slice(start, stop))])
            if lp.type.ndim <= axis:
                raise ValueError(
                    f"concatenate along axis {axis} of variables with vector support is not "
                    "supported"
                )
            start = stop
        terms.append(lp)
    return gt.concatenate(terms, axis=axis)


@LOGP.register(MeasurableMakeVector)
def make_vector_logp(op: Op, value: Any, node: Apply) -> Any:
    v: Any = gt.as_tensor_variable(value)
    return gt.stack([measurable_logp(p, v[..., k]) for k, p in enumerate(node.inputs)], axis=-1)


REWRITES = [
    ("measurable_cumsum", measurable_cumsum),
    ("measurable_join", measurable_join),
    ("measurable_make_vector", measurable_make_vector),
]
