"""``config.optimizer_verbose``: print each rewrite applied while a function compiles.

`RewriteReporter` is a graph feature: every replacement the rewriters make
reaches it through ``on_change_input`` with the rewrite as the reason, so it
works for every rewriter (node rewriters, merge, fusion, in-place passes)
without their cooperation. `graft.function` attaches one for the rewriting
phase when ``config.optimizer_verbose`` is on.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any, TextIO

from graft.graph.features import Feature

if TYPE_CHECKING:
    from graft.graph.basic import Variable
    from graft.graph.fg import FunctionGraph

__all__ = ["RewriteReporter", "rewrite_name"]


def rewrite_name(reason: Any) -> str:
    """The name of the rewrite behind a change ``reason`` (a rewriter, a name, or None)."""
    if reason is None:
        return "<unnamed rewrite>"
    if isinstance(reason, str):
        return reason
    for attr in ("name", "__name__"):
        name = getattr(reason, attr, None)
        if isinstance(name, str) and name:
            return name
    return type(reason).__name__


def _describe(v: Variable) -> str:
    # The node that computes the variable says more than its auto-generated name.
    return str(v.owner) if v.owner is not None else str(v)


class RewriteReporter(Feature):
    """Prints ``rewrite <name>: <old node> -> <new node>`` for each replacement.

    One line per replaced variable (not per client that was rewired); a
    change undone because the graph rejected it is printed as reverted.
    ``file`` defaults to ``sys.stdout`` at the time of printing.

    Example::

        with graft.config.change_flags(optimizer_verbose=True):
            graft.function([x], gt.log(gt.exp(x)))
        # rewrite local_log_exp: Elemwise{log,no_inplace}(Elemwise{exp,no_inplace}(x)) -> x
    """

    def __init__(self, file: TextIO | None = None) -> None:
        self.file = file
        self.count = 0
        self._last: tuple[Any, Any, Any] | None = None

    def on_change_input(
        self,
        fgraph: FunctionGraph,
        node: Any,
        i: int,
        r: Variable,
        new_r: Variable,
        reason: Any = None,
    ) -> None:
        key = (r, new_r, reason)
        if key == self._last:
            return
        self._last = key
        if isinstance(reason, tuple) and len(reason) == 2 and reason[0] == "Revert":
            # r is the rewritten value being taken out, new_r the original put back.
            name = rewrite_name(reason[1])
            line = f"rewrite {name} reverted: {_describe(new_r)} -> {_describe(r)}"
        else:
            self.count += 1
            line = f"rewrite {rewrite_name(reason)}: {_describe(r)} -> {_describe(new_r)}"
        print(line, file=self.file or sys.stdout)

    def clone(self) -> RewriteReporter:
        return RewriteReporter(self.file)
