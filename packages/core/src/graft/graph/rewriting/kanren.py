"""`KanrenRelationSub`: a node rewriter driven by a miniKanren relation."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, cast

from kanren import run
from unification import var

import graft.graph.rewriting.unify  # noqa: F401  (registers graph unification)
from graft.graph.basic import Apply, Variable
from graft.graph.fg import FunctionGraph
from graft.graph.rewriting.basic import NodeRewriter
from graft.graph.rewriting.unify import eval_if_etuple


def _first(results: Iterator[Any]) -> Any:
    return next(iter(results), None)


class KanrenRelationSub(NodeRewriter):
    """Rewrite a node's output ``x`` to the first ``y`` with ``relation(x, y)``.

    ``kanren_relation(in_lv, out_lv)`` is a goal constructor; the node's
    default output is unified as the input and the solutions for the output
    are generated lazily. ``results_filter`` picks one solution from that
    iterator (default: the first); ``node_filter(node)`` can skip nodes.

    Example::

        def double_to_add(x, y):
            a = var()
            return lall(eq(x, etuple(mul, 2, a)), eq(y, etuple(add, a, a)))

        rw = KanrenRelationSub(double_to_add)
    """

    reentrant = True

    def __init__(
        self,
        kanren_relation: Callable[[Any, Any], Any],
        results_filter: Callable[[Iterator[Any]], Any] | None = None,
        node_filter: Callable[[Apply], bool] = lambda node: True,
    ) -> None:
        self.kanren_relation = kanren_relation
        self.results_filter = results_filter or _first
        self.node_filter = node_filter

    def transform(self, fgraph: FunctionGraph | None, node: Apply, *args: Any, **kw: Any) -> Any:
        if not self.node_filter(node):
            return False
        try:
            input_expr = node.default_output()
        except ValueError:
            return False
        q = var()
        # With ``n=None`` kanren returns the lazy solution stream, never a tuple.
        results = cast(Iterator[Any], run(None, q, self.kanren_relation(input_expr, q)))
        chosen = self.results_filter(results)
        if chosen is None or chosen is False:
            return False
        outs = (
            [eval_if_etuple(c) for c in chosen]
            if isinstance(chosen, list)
            else [eval_if_etuple(chosen)]
        )
        if len(outs) != 1 or not isinstance(outs[0], Variable) or outs[0] is input_expr:
            return False
        return {input_expr: outs[0]}

    def __str__(self) -> str:
        return (
            f"KanrenRelationSub({getattr(self.kanren_relation, '__name__', self.kanren_relation)})"
        )
