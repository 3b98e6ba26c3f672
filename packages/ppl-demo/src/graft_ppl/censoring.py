"""Censoring: ``clip``, ``maximum`` and ``minimum`` of a random variable and constant bounds.

``clip(x, lower, upper)`` (graft builds it as ``maximum(minimum(x, upper),
lower)``) of an unvalued random variable with a log-CDF rule becomes a
`MeasurableClip`. Its density is a mixed one: ``P(x <= lower)`` at
``lower``, ``P(x >= upper)`` at ``upper``, the density of ``x`` strictly
between and ``-inf`` outside.

Example::

    y = gt.clip(gr.normal(0.0, 1.0, size=(3,)), -1.0, 1.0)
    logp(y, np.array([-1.0, 0.0, 1.0])).eval()   # [log Phi(-1), log phi(0), log Phi(-1)]
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np

import graft.tensor as gt
from graft.graph.basic import Apply, Variable
from graft.graph.op import Op
from graft.graph.rewriting.basic import node_rewriter
from graft.tensor.elemwise import Elemwise
from graft_ppl.abstract import (
    LOGP,
    MeasurableOp,
    is_measurable,
    measurable_logcdf,
    measurable_logp,
)

__all__ = ["MeasurableClip", "measurable_clip"]


class MeasurableClip(MeasurableOp):
    """``clip(x, lower, upper)`` of a measurable ``x`` (inputs ``x, lower, upper``)."""

    __props__: ClassVar[tuple[str, ...]] = ("base_op",)

    def __init__(self, base_op: str = "clip") -> None:
        super().__init__(base_op)  # type: ignore[arg-type]

    def make_node(self, *inputs: Any) -> Apply:
        x, lower, upper = (gt.as_tensor_variable(i) for i in inputs)
        return Apply(self, [x, lower, upper], [x.type()])

    def perform(self, node: Apply, inputs: Sequence[Any], output_storage: Any) -> None:
        x, lo, hi = inputs
        out = np.minimum(np.maximum(x, lo), hi)
        output_storage[0][0] = np.asarray(out, dtype=node.outputs[0].type.dtype)  # type: ignore[attr-defined]

    def infer_shape(self, fgraph: Any, node: Apply, input_shapes: Any) -> Any:
        return [input_shapes[0]]

    def __str__(self) -> str:
        return "MeasurableClip"


def _const(v: Variable) -> float | None:
    try:
        return float(gt.get_underlying_scalar_constant_value(v))
    except Exception:
        return None


def _bound_ok(x: Variable, bound: Variable) -> bool:
    return not is_measurable(bound) and bound.type.ndim <= x.type.ndim  # type: ignore[attr-defined]


@node_rewriter([Elemwise])
def measurable_clip(fgraph: Any, node: Apply) -> list[Variable] | None:
    """maximum/minimum of one unvalued random variable (or of a MeasurableClip) and a bound
    -> `MeasurableClip`."""
    name = type(getattr(node.op, "scalar_op", None)).__name__
    if name not in ("Maximum", "Minimum") or len(node.inputs) != 2:
        return None
    valued = set(fgraph.outputs)
    a, b = node.inputs
    if is_measurable(a) and a not in valued and not is_measurable(b):
        x, bound = a, b
    elif is_measurable(b) and b not in valued and not is_measurable(a):
        x, bound = b, a
    else:
        return None
    if not _bound_ok(x, bound) or x.type.shape != node.outputs[0].type.shape:  # type: ignore[attr-defined]
        return None
    if x.owner is not None and isinstance(x.owner.op, MeasurableClip):
        base, lo, hi = x.owner.inputs
        if name == "Maximum" and _const(lo) == -np.inf:
            return [MeasurableClip()(base, bound, hi)]
        if name == "Minimum" and _const(hi) == np.inf:
            return [MeasurableClip()(base, lo, bound)]
        return None
    inf = np.asarray(np.inf)  # float even for integer draws: the bound is open
    if name == "Maximum":
        return [MeasurableClip()(x, bound, gt.constant(inf))]
    return [MeasurableClip()(x, gt.constant(-inf), bound)]


@LOGP.register(MeasurableClip)
def clip_logp(op: Op, value: Any, node: Apply) -> Any:
    x: Any
    lo: Any
    hi: Any
    x, lo, hi = node.inputs
    v: Any = value
    discrete = np.dtype(x.type.dtype).kind in "iub"  # type: ignore[attr-defined]
    lp = measurable_logp(x, v)
    if _const(lo) != -np.inf:
        at_lo = measurable_logcdf(x, lo)
        lp = gt.switch(gt.eq(v, lo), at_lo, lp)
        lp = gt.switch(gt.lt(v, lo), -np.inf, lp)
    if _const(hi) != np.inf:
        # P(x >= hi) = 1 - P(x <= hi) (continuous) or 1 - P(x <= hi - 1) (integers).
        below = measurable_logcdf(x, hi - 1 if discrete else hi)
        lp = gt.switch(gt.eq(v, hi), gt.log1mexp(below), lp)
        lp = gt.switch(gt.gt(v, hi), -np.inf, lp)
    return lp


REWRITES = [("measurable_clip", measurable_clip)]
