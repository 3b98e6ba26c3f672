"""The measurable rewrites as one rewriter, from the ``optdb`` sub-database the plugin fills.

`measurable_ir` clones the graphs of the valued variables into a
FunctionGraph whose outputs are exactly those variables, and runs the
measurable rewrites on it; a rewrite leaves a valued variable's *inputs*
alone when they are valued too (``exp(x)`` with ``x`` valued is not a new
random variable).

Example::

    fg = measurable_ir([gt.exp(gr.normal(0.0, 1.0))])
    fg.outputs[0].owner.op      # MeasurableTransform{exp}
"""

from __future__ import annotations

from collections.abc import Sequence
from importlib import import_module
from typing import Any

from graft.graph.basic import Variable
from graft.graph.fg import FunctionGraph
from graft.graph.rewriting.basic import MergeOptimizer
from graft_ppl.abstract import MeasurableOp
from graft_ppl.plugin import MEASURABLE_DB, REWRITE_MODULES, TAG

__all__ = ["measurable_ir", "measurable_op_classes", "measurable_rewriter"]


def measurable_op_classes() -> list[type]:
    """Every `MeasurableOp` subclass defined by graft-ppl's rewrite modules."""
    out: list[type] = []
    for name in REWRITE_MODULES:
        mod = import_module(name)
        for obj in vars(mod).values():
            if isinstance(obj, type) and issubclass(obj, MeasurableOp) and obj.__module__ == name:
                out.append(obj)
    return out


def measurable_rewriter() -> Any:
    """The rewriter the ``ppl_measurable`` database of ``optdb`` builds (plugins loaded first)."""
    import graft.plugins
    from graft.compile.optdb import optdb
    from graft.graph.rewriting.db import RewriteDatabaseQuery

    graft.plugins.load()
    try:
        db: Any = optdb[MEASURABLE_DB]
    except (KeyError, AttributeError):
        raise RuntimeError(
            f"graft-ppl: optdb has no {MEASURABLE_DB!r} database: the graft-ppl plugin is "
            "not active (see `python -m graft plugins`; check GRAFT_PLUGINS and "
            "GRAFT_DISABLED_PLUGINS)"
        ) from None
    return db.query(RewriteDatabaseQuery(include=[TAG]))


def measurable_ir(outputs: Sequence[Variable]) -> FunctionGraph:
    """A cloned FunctionGraph of ``outputs`` with the measurable rewrites applied."""
    # Inputs are shared with the given graphs, so the terms read the caller's variables.
    fgraph = FunctionGraph(
        outputs=list(outputs), clone=True, copy_inputs=False, copy_orphans=False
    )
    # Merge first: equal draws (same rng, size and parameters: the same value) become one
    # variable, so a copy of a valued draw (as a loop body's invariant, say) is valued too.
    MergeOptimizer().rewrite(fgraph)
    measurable_rewriter().rewrite(fgraph)
    return fgraph
