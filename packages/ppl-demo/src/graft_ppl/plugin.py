"""The plugin module named by graft-ppl's ``graft`` entry point.

Cheap to import: the rewrite and Op modules load inside the hooks.
graft-ppl adds the sub-database ``ppl_measurable`` to ``optdb`` (tagged
``ppl`` only, so no compilation mode runs it) and registers its measurable
rewrites there; `graft_ppl.logp` and friends query it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from graft.plugins.registry import OpRegistry, RewriteRegistry

GRAFT_PLUGIN_API = "1.0"

#: Name of the optdb sub-database holding the measurable rewrites.
MEASURABLE_DB = "ppl_measurable"
#: The tag that selects them.
TAG = "ppl"

#: Modules whose ``REWRITES`` tables ``(name, rewriter)`` go into `MEASURABLE_DB`.
REWRITE_MODULES = (
    "graft_ppl.transformed",
    "graft_ppl.censoring",
    "graft_ppl.mixture",
    "graft_ppl.tensor_ops",
    "graft_ppl.scan_ops",
)


def graft_register_ops(registry: OpRegistry) -> None:
    """Declare the measurable Ops and `Observed`.

    Example::

        from graft.plugins import OpRegistry
        reg = OpRegistry()
        graft_register_ops(reg)
    """
    from graft_ppl.abstract import MeasurableOp
    from graft_ppl.interventions import Observed
    from graft_ppl.rewriting import measurable_op_classes

    registry.register(*[c for c in measurable_op_classes() if c is not MeasurableOp], Observed)


def graft_register_rewrites(registry: RewriteRegistry) -> None:
    """Register ``optdb.ppl_measurable`` and the measurable rewrites in it.

    Example (what graft's loader does, here into a fresh optdb)::

        from graft.compile.optdb import make_optdb
        from graft.plugins import RewriteRegistry

        db = make_optdb(load_plugins=False)
        graft_register_rewrites(RewriteRegistry(db=db))
        sorted(db["ppl_measurable"].names())[:1]   # ['measurable_clip']
    """
    from importlib import import_module

    from graft.graph.rewriting.db import EquilibriumDB

    registry.register(MEASURABLE_DB, EquilibriumDB(), TAG, position=1000)
    for module in REWRITE_MODULES:
        for name, rewriter in import_module(module).REWRITES:
            registry.register(name, rewriter, TAG, "basic", db=MEASURABLE_DB)
