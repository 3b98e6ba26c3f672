"""Invertible elementwise functions of a random variable: change of variables.

``exp(x)``, ``log(x)``, ``a + x``, ``b * x``, ``x - a``, ``a - x``, ``-x``,
``x / b``, ``b / x`` and ``1 / x`` of an unvalued continuous random variable
``x`` (the other operands free of unvalued random variables) become a
`MeasurableTransform`. Its density at ``v`` is the density of ``x`` at the
inverse ``g^-1(v)`` plus ``log |d g^-1 / dv|``.

Example::

    import graft.tensor as gt
    import graft.tensor.random as gr
    from graft_ppl import logp

    y = gt.exp(gr.normal(0.0, 1.0))
    v = gt.dscalar("v")
    logp(y, v).eval({v: 2.0})     # scipy.stats.lognorm(1.0).logpdf(2.0)
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

import graft.tensor as gt
from graft.graph.basic import Apply, Variable
from graft.graph.op import Op
from graft.graph.rewriting.basic import node_rewriter
from graft.tensor.elemwise import Elemwise
from graft_ppl.abstract import LOGP, MeasurableOp, is_measurable, measurable_logp

__all__ = ["MeasurableTransform", "measurable_transform"]

_SUPPORTED = frozenset(["Exp", "Log", "Add", "Mul", "Neg", "Sub", "TrueDiv", "Reciprocal"])


def _scalar_name(op: Any) -> str:
    return type(getattr(op, "scalar_op", None)).__name__


class MeasurableTransform(MeasurableOp):
    """An invertible Elemwise (``base_op``) of the measurable input ``measurable_idx``."""

    __props__: ClassVar[tuple[str, ...]] = ("base_op", "measurable_idx")

    def __init__(self, base_op: Op, measurable_idx: int) -> None:
        super().__init__(base_op)
        self.measurable_idx = int(measurable_idx)


def _same_shape(x: Variable, out: Variable) -> bool:
    """``out`` has ``x``'s dimensions: no broadcasting of one draw over many entries."""
    xs, os_ = x.type.shape, out.type.shape  # type: ignore[attr-defined]
    if len(xs) != len(os_):
        return False
    return all(not (a == 1 and b != 1) for a, b in zip(xs, os_))


@node_rewriter([Elemwise])
def measurable_transform(fgraph: Any, node: Apply) -> list[Variable] | None:
    """Elemwise(exp/log/add/mul/neg/sub/true_div/reciprocal) of one unvalued continuous
    random variable -> `MeasurableTransform`."""
    if _scalar_name(node.op) not in _SUPPORTED:
        return None
    valued = set(fgraph.outputs)
    idx = [i for i, inp in enumerate(node.inputs) if inp not in valued and is_measurable(inp)]
    if len(idx) != 1:
        return None
    (i,) = idx
    x, out = node.inputs[i], node.outputs[0]
    if np.dtype(x.type.dtype).kind != "f" or np.dtype(out.type.dtype).kind != "f":  # type: ignore[attr-defined]
        return None
    if not _same_shape(x, out):
        return None
    new = MeasurableTransform(node.op, i)(*node.inputs)
    return [new]


def _prod(vs: list[Variable]) -> Any:
    out: Any = vs[0]
    for v in vs[1:]:
        out = out * v
    return out


def _sum(vs: list[Variable]) -> Any:
    out: Any = vs[0]
    for v in vs[1:]:
        out = out + v
    return out


@LOGP.register(MeasurableTransform)
def transform_logp(op: Op, value: Any, node: Apply) -> Any:
    assert isinstance(op, MeasurableTransform)
    i = op.measurable_idx
    x = node.inputs[i]
    others = [v for k, v in enumerate(node.inputs) if k != i]
    name = _scalar_name(op.base_op)
    v: Any = value
    if name == "Exp":
        safe = gt.switch(gt.gt(v, 0), v, 1.0)
        lv = gt.log(safe)
        return gt.switch(gt.gt(v, 0), measurable_logp(x, lv) - lv, -np.inf)
    if name == "Log":
        return measurable_logp(x, gt.exp(v)) + v
    if name == "Neg":
        return measurable_logp(x, -v)
    if name == "Add":
        return measurable_logp(x, v - _sum(others))
    if name == "Sub":
        (c,) = others
        return measurable_logp(x, v + c if i == 0 else c - v)
    if name == "Mul":
        c = _prod(others)
        return measurable_logp(x, v / c) - gt.log(gt.abs(c))
    if name == "TrueDiv":
        (c,) = others
        if i == 0:
            return measurable_logp(x, v * c) + gt.log(gt.abs(c))
        return measurable_logp(x, c / v) + gt.log(gt.abs(c)) - 2 * gt.log(gt.abs(v))
    if name == "Reciprocal":
        return measurable_logp(x, 1 / v) - 2 * gt.log(gt.abs(v))
    raise AssertionError(name)  # the rewrite only builds the names above


REWRITES = [("measurable_transform", measurable_transform)]
