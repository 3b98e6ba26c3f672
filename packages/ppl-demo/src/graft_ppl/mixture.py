"""Mixtures: ``switch(i, x, y)`` and ``stack([x0, x1, ...])[i]`` of random variables.

The components are unvalued random variables. The index ``i`` is either

- valued (or a known tensor): the density is the chosen component's,
  ``switch(i, logp(x, v), logp(y, v))`` / ``stack(logps)[i]``; the index's
  own term comes from its own value; or
- an unvalued ``bernoulli`` (switch) or scalar ``categorical`` (stack and
  index) draw: it is summed out, giving the mixture density
  ``logsumexp_k(log w_k + logp_k(v))``.

Example::

    w = gr.bernoulli(0.3, size=(5,))
    y = gt.switch(w, gr.normal(-2.0, 1.0, size=(5,)), gr.normal(2.0, 1.0, size=(5,)))
    logp(y, v)   # log(0.3 N(v | -2, 1) + 0.7 N(v | 2, 1)) elementwise
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np

import graft.tensor as gt
import graft.tensor.random as gr
from graft.graph.basic import Apply, Variable
from graft.graph.op import Op
from graft.graph.rewriting.basic import node_rewriter
from graft.tensor.basic import MakeVector
from graft.tensor.elemwise import DimShuffle, Elemwise
from graft.tensor.join import Join
from graft.tensor.subtensor import Subtensor
from graft.tensor.subtensor_advanced import AdvancedSubtensor
from graft_ppl.abstract import LOGP, MeasurableOp, is_measurable, measurable_logp

__all__ = [
    "MeasurableIndexMixture",
    "MeasurableSwitchMixture",
    "measurable_index_mixture",
    "measurable_switch_mixture",
]


class MeasurableSwitchMixture(MeasurableOp):
    """``switch(cond, a, b)`` of measurable ``a`` and ``b``; ``marginal``: ``cond`` is an
    unvalued bernoulli draw, summed out."""

    __props__: ClassVar[tuple[str, ...]] = ("base_op", "marginal")

    def __init__(self, base_op: Op, marginal: bool) -> None:
        super().__init__(base_op)
        self.marginal = bool(marginal)


class MeasurableIndexMixture(MeasurableOp):
    """``stack(components)[index]`` (inputs ``index, *components``); ``marginal``: the index
    is an unvalued categorical draw, summed out; ``elementwise``: the components are vectors
    and entry ``j`` comes from component ``index[j]`` (``stack(cs)[index, arange(n)]``)."""

    __props__: ClassVar[tuple[str, ...]] = ("base_op", "marginal", "elementwise")

    def __init__(self, marginal: bool, elementwise: bool = False) -> None:
        super().__init__("index_mixture")  # type: ignore[arg-type]
        self.marginal = bool(marginal)
        self.elementwise = bool(elementwise)

    def make_node(self, *inputs: Any) -> Apply:
        idx, *comps = (gt.as_tensor_variable(i) for i in inputs)
        return Apply(self, [idx, *comps], [comps[0].type()])

    def perform(self, node: Apply, inputs: Sequence[Any], output_storage: Any) -> None:
        idx, *comps = inputs
        if self.elementwise:
            output_storage[0][0] = np.stack(comps)[idx, np.arange(len(idx))]
        else:
            output_storage[0][0] = np.asarray(comps[int(idx)])

    def infer_shape(self, fgraph: Any, node: Apply, input_shapes: Any) -> Any:
        return [input_shapes[1]]

    def __str__(self) -> str:
        return (
            f"MeasurableIndexMixture{{marginal={self.marginal}, elementwise={self.elementwise}}}"
        )


def _unvalued(fgraph: Any, v: Variable) -> bool:
    return is_measurable(v) and v not in set(fgraph.outputs)


def _draw_of(v: Variable, cls: type) -> bool:
    return v.owner is not None and isinstance(v.owner.op, cls)


@node_rewriter([Elemwise])
def measurable_switch_mixture(fgraph: Any, node: Apply) -> list[Variable] | None:
    """switch(cond, a, b) of unvalued random variables a, b -> `MeasurableSwitchMixture`."""
    if type(getattr(node.op, "scalar_op", None)).__name__ != "Switch":
        return None
    cond, a, b = node.inputs
    out = node.outputs[0]
    if not (_unvalued(fgraph, a) and _unvalued(fgraph, b)):
        return None
    if a.type.shape != out.type.shape or b.type.shape != out.type.shape:  # type: ignore[attr-defined]
        return None
    marginal = False
    if _unvalued(fgraph, cond):
        if not _draw_of(cond, gr.BernoulliRV):
            return None
        marginal = True
    return [MeasurableSwitchMixture(node.op, marginal)(cond, a, b)]


def _expanded_component(v: Variable) -> Variable | None:
    """``x`` when ``v`` is ``x[None]`` (the DimShuffle `stack` adds), else None."""
    node = v.owner
    if node is None or not isinstance(node.op, DimShuffle):
        return None
    order = tuple(node.op.new_order)
    if order != ("x", *range(node.inputs[0].type.ndim)):  # type: ignore[attr-defined]
        return None
    return node.inputs[0]


@node_rewriter([Subtensor])
def measurable_index_mixture(fgraph: Any, node: Apply) -> list[Variable] | None:
    """stack([x0, x1, ...])[i] with a scalar index i -> `MeasurableIndexMixture`."""
    if len(node.inputs) != 2 or len(node.op.idx_list) != 1:  # type: ignore[attr-defined]
        return None
    stacked, idx = node.inputs
    if idx.type.ndim != 0 or stacked.owner is None:  # type: ignore[attr-defined]
        return None
    join = stacked.owner
    # The stack may already be a MeasurableJoin/MakeVector (the base_op is the original).
    jop = getattr(join.op, "base_op", join.op)
    if isinstance(jop, MakeVector):  # stack of scalars
        comps: list[Variable | None] = list(join.inputs)
    elif isinstance(jop, Join) and jop.axis == 0:
        comps = [_expanded_component(p) for p in join.inputs]
    else:
        return None
    if any(c is None or not _unvalued(fgraph, c) for c in comps):
        return None
    marginal = False
    if _unvalued(fgraph, idx):
        if not _draw_of(idx, gr.CategoricalRV):
            return None
        if idx.owner.inputs[2].type.ndim != 1:  # type: ignore[union-attr, attr-defined]
            return None
        marginal = True
    return [MeasurableIndexMixture(marginal)(idx, *comps)]  # type: ignore[arg-type]


def _const_int(v: Variable) -> int | None:
    try:
        return int(gt.get_underlying_scalar_constant_value(v))
    except Exception:
        return None


def _is_arange_of(v: Variable, n: int | None) -> bool:
    """``v`` is ``arange(n)`` (n the components' static length)."""
    node = v.owner
    if node is None or type(node.op).__name__ != "ARange" or n is None:
        return False
    start, stop, step = (_const_int(i) for i in node.inputs)
    return (start, stop, step) == (0, n, 1)


@node_rewriter([AdvancedSubtensor])
def measurable_elementwise_mixture(fgraph: Any, node: Apply) -> list[Variable] | None:
    """stack([x0, x1, ...])[i, arange(n)] of vector components -> elementwise
    `MeasurableIndexMixture`."""
    if len(node.inputs) != 3:
        return None
    stacked, idx, ar = node.inputs
    join = stacked.owner
    if join is None or idx.type.ndim != 1:  # type: ignore[attr-defined]
        return None
    jop = getattr(join.op, "base_op", join.op)
    if not isinstance(jop, Join) or jop.axis != 0:
        return None
    comps = [_expanded_component(p) for p in join.inputs]
    if any(c is None or not _unvalued(fgraph, c) or c.type.ndim != 1 for c in comps):  # type: ignore[attr-defined]
        return None
    n = comps[0].type.shape[0]  # type: ignore[union-attr, attr-defined]
    if not _is_arange_of(ar, n):
        return None
    marginal = False
    if _unvalued(fgraph, idx):
        if not _draw_of(idx, gr.CategoricalRV):
            return None
        marginal = True
    return [MeasurableIndexMixture(marginal, elementwise=True)(idx, *comps)]  # type: ignore[arg-type]


@LOGP.register(MeasurableSwitchMixture)
def switch_mixture_logp(op: Op, value: Any, node: Apply) -> Any:
    assert isinstance(op, MeasurableSwitchMixture)
    cond, a, b = node.inputs
    lpa, lpb = measurable_logp(a, value), measurable_logp(b, value)
    if not op.marginal:
        return gt.switch(cond, lpa, lpb)
    assert cond.owner is not None
    p: Any = cond.owner.inputs[2]
    return gt.logaddexp(gt.log(p) + lpa, gt.log1p(-p) + lpb)


@LOGP.register(MeasurableIndexMixture)
def index_mixture_logp(op: Op, value: Any, node: Apply) -> Any:
    assert isinstance(op, MeasurableIndexMixture)
    idx: Any
    idx, *comps = node.inputs
    lps = [measurable_logp(c, value) for c in comps]
    if op.elementwise:
        if not op.marginal:
            by_comp: Any = gt.stack(lps)
            return by_comp[idx, gt.arange(idx.shape[0])]
        assert idx.owner is not None
        w: Any = idx.owner.inputs[2]
        return gt.logsumexp(gt.log(w) + gt.stack(lps, axis=-1), axis=-1)
    if not op.marginal:
        stacked: Any = gt.stack(lps)
        return stacked[idx]
    assert idx.owner is not None
    p = idx.owner.inputs[2]
    totals = gt.stack([gt.sum(lp) for lp in lps])
    return gt.logsumexp(gt.log(p) + totals)


REWRITES = [
    ("measurable_switch_mixture", measurable_switch_mixture),
    ("measurable_index_mixture", measurable_index_mixture),
    ("measurable_elementwise_mixture", measurable_elementwise_mixture),
]
