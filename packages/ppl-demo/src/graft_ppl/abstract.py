"""Measurable Ops, the log-density rule tables and the errors of graft-ppl.

A variable is *measurable* when its owner's Op has a log-density rule: every
`RandomVariable` of `graft.tensor.random` has one (`graft_ppl.dists`), and the
measurable rewrites (`graft_ppl.rewriting`) turn deterministic functions of
random variables (``exp(x)``, ``clip(x, a, b)``, ``switch(i, x, y)``, ...)
into `MeasurableOp` nodes whose rules derive their densities.

Rules are keyed by Op class (looked up along the MRO) and called as
``rule(op, value, node)``; they return the elementwise log-density over the
batch dimensions of ``value``.

Example (a rule for a new distribution)::

    from graft_ppl.abstract import LOGP
    from my_dists import FlatRV

    @LOGP.register(FlatRV)
    def flat_logp(op, value, node):
        return gt.zeros_like(value)
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from typing import Any, ClassVar

from graft.graph.basic import Apply, Variable
from graft.graph.op import Op

__all__ = [
    "LOGCDF",
    "LOGP",
    "MeasurableOp",
    "MissingValueError",
    "NotMeasurableError",
    "RuleTable",
    "describe",
    "is_measurable",
    "measurable_logcdf",
    "measurable_logp",
]

Rule = Callable[[Op, Any, Apply], Any]


class NotMeasurableError(ValueError):
    """A graph has no log-density graft-ppl can derive (the message shows the sub-graph)."""


class MissingValueError(ValueError):
    """A log-density depends on a random variable that was given no value."""


class RuleTable:
    """Log-density rules keyed by Op class; `lookup` walks the Op's MRO.

    Example::

        table = RuleTable("logp")

        @table.register(NormalRV)
        def normal_logp(op, value, node): ...

        table.lookup(NormalRV)    # normal_logp
    """

    def __init__(self, what: str) -> None:
        self.what = what
        self._rules: dict[type, Rule] = {}

    def register(self, *op_classes: type) -> Callable[[Rule], Rule]:
        """Decorator registering a rule for ``op_classes`` (a later one replaces an earlier)."""

        def deco(fn: Rule) -> Rule:
            for cls in op_classes:
                self._rules[cls] = fn
            return fn

        return deco

    def lookup(self, op_class: type) -> Rule | None:
        """The rule for ``op_class`` or its nearest base class, or None."""
        for cls in op_class.__mro__:
            rule = self._rules.get(cls)
            if rule is not None:
                return rule
        return None

    def classes(self) -> list[type]:
        """The Op classes with a rule of their own."""
        return list(self._rules)


#: Log-density rules: ``rule(op, value, node) -> elementwise log p(value)``.
LOGP = RuleTable("logp")
#: Log-CDF rules: ``rule(op, value, node) -> log P(X <= value)`` (used for censoring).
LOGCDF = RuleTable("logcdf")


class MeasurableOp(Op):
    """Base of the Ops the measurable rewrites introduce.

    A measurable Op computes what the Op it replaced computed (``base_op``,
    kept so the graph stays evaluable) and carries the facts its log-density
    rule needs in its other props. Only the log-density derivation sees these
    Ops: the graphs graft-ppl returns never contain them.
    """

    __props__: ClassVar[tuple[str, ...]] = ("base_op",)

    def __init__(self, base_op: Op) -> None:
        self.base_op = base_op

    def make_node(self, *inputs: Any) -> Apply:
        node = self.base_op.make_node(*inputs)
        return Apply(self, list(node.inputs), [o.type() for o in node.outputs])

    def perform(self, node: Apply, inputs: Sequence[Any], output_storage: Any) -> None:
        base = self.base_op.make_node(*node.inputs)
        self.base_op.perform(base, inputs, output_storage)

    def infer_shape(self, fgraph: Any, node: Apply, input_shapes: Any) -> Any:
        base = self.base_op.make_node(*node.inputs)
        return self.base_op.infer_shape(fgraph, base, input_shapes)  # type: ignore[attr-defined]

    def do_constant_folding(self, fgraph: Any, node: Apply) -> bool:
        return False

    def __str__(self) -> str:
        return f"Measurable{type(self).__name__.removeprefix('Measurable')}{{{self.base_op}}}"


def describe(var: Variable, depth: int = 4) -> str:
    """The graph of ``var`` printed to ``depth`` levels, for error messages."""
    from graft.printing import dprint

    buf = io.StringIO()
    try:
        dprint(var, depth=depth, file=buf)
    except Exception:  # printing is best effort inside an error message
        return str(var)
    return buf.getvalue().rstrip()


def _rv_class() -> type:
    from graft.tensor.random import RandomVariable

    return RandomVariable


def is_measurable(var: Variable) -> bool:
    """Whether ``var`` has a log-density rule (a draw or a measurable Op's output)."""
    node = var.owner
    if node is None:
        return False
    if isinstance(node.op, _rv_class()) and var is not node.outputs[1]:
        return False  # the advanced rng
    return LOGP.lookup(type(node.op)) is not None


def measurable_logp(var: Variable, value: Any) -> Any:
    """The elementwise log-density of the measurable ``var`` at ``value``."""
    if not is_measurable(var):
        raise NotMeasurableError(
            f"graft-ppl cannot derive a log-density for this sub-graph:\n{describe(var)}"
        )
    node = var.owner
    assert node is not None
    rule = LOGP.lookup(type(node.op))
    assert rule is not None
    return rule(node.op, value, node)


def measurable_logcdf(var: Variable, value: Any) -> Any:
    """``log P(var <= value)`` for a measurable ``var`` whose Op has a log-CDF rule."""
    node = var.owner
    rule = LOGCDF.lookup(type(node.op)) if node is not None else None
    if node is None or rule is None:
        raise NotMeasurableError(
            f"graft-ppl has no log-CDF (needed for censoring) for this sub-graph:\n{describe(var)}"
        )
    return rule(node.op, value, node)
