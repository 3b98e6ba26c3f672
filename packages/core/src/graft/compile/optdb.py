"""`optdb`: the database of rewrites that `graft.function` queries to rewrite every graph it compiles.

Skeleton (position, name, tags), as in the spec's "optdb structure"; plugins
fill the sub-databases (``canonicalize``, ``stabilize``, ``specialize``) and
add their own entries:

=====  ===================  =============================================
0      merge1               fast_run, fast_compile, merge
1      canonicalize         fast_run, fast_compile, canonicalize_db
1.5    stabilize            fast_run
2      specialize           fast_run, specialize_db
49     merge2               fast_run, merge
49.5   add_destroy_handler  fast_run, inplace
100    merge3               fast_run, merge
=====  ===================  =============================================

Rewrites that insert in-place Ops must come after ``add_destroy_handler``
(position >= 50). Querying `optdb` first loads the plugins (once).
"""

from __future__ import annotations

import threading
from typing import Any

from graft.graph.fg import FunctionGraph
from graft.graph.rewriting.basic import GraphRewriter, MergeOptimizer
from graft.graph.rewriting.db import EquilibriumDB, RewriteDatabaseQuery, SequenceDB

__all__ = [
    "AddDestroyHandler",
    "OptimizationDB",
    "canonicalize",
    "make_optdb",
    "optdb",
    "specialize",
    "stabilize",
]


class AddDestroyHandler(GraphRewriter):
    """Attaches a `DestroyHandler` to the graph, so in-place rewrites after it are safe.

    Not a rewrite but a marker in `optdb` (position 49.5): the destroy handler
    is costly to maintain, so it is attached only once the rewrites that need
    no in-place bookkeeping have run. Does nothing when graft has no
    ``graft.graph.destroyhandler`` module.

    Example::

        AddDestroyHandler().rewrite(fgraph)   # fgraph now rejects unsafe in-place Ops
    """

    def apply(self, fgraph: FunctionGraph, *args: Any, **kwargs: Any) -> None:
        # Imported here: most compilations never reach the in-place stage.
        from graft.graph.destroyhandler import DestroyHandler

        fgraph.attach_feature(DestroyHandler())  # a second one declines itself (AlreadyThere)


_loading = threading.local()


def _ensure_plugins_loaded() -> None:
    # Plugins register into optdb while loading; a query from inside that (or
    # from ensure_loaded itself) must not start loading again.
    if getattr(_loading, "active", False):
        return
    try:
        from graft.plugins import ensure_loaded
    except ModuleNotFoundError as e:
        if e.name != "graft.plugins":
            raise
        return
    _loading.active = True
    try:
        ensure_loaded()
    finally:
        _loading.active = False


class OptimizationDB(SequenceDB):
    """A `SequenceDB` that loads graft's plugins before answering a query.

    With ``load_plugins=False`` it is a plain `SequenceDB` (for tests that
    must not touch the plugin system).

    Example::

        fast_run = optdb.query(RewriteDatabaseQuery(include=["fast_run"]))
    """

    def __init__(self, failure_callback: Any = None, load_plugins: bool = True) -> None:
        super().__init__(failure_callback)
        self.load_plugins = load_plugins

    def __query__(self, q: RewriteDatabaseQuery) -> Any:
        if self.load_plugins:
            _ensure_plugins_loaded()
        return super().__query__(q)


def make_optdb(*, load_plugins: bool = True) -> OptimizationDB:
    """A new database with `optdb`'s skeleton (see the module docstring) and nothing else.

    Example::

        db = make_optdb(load_plugins=False)
        db.register("simplify", simplify, "fast_run", position=0.5)
    """
    db = OptimizationDB(load_plugins=load_plugins)
    db.name = "optdb"
    db.register("merge1", MergeOptimizer(), "fast_run", "fast_compile", "merge", position=0)
    db.register(
        "canonicalize",
        EquilibriumDB(),
        "fast_run",
        "fast_compile",
        "canonicalize_db",
        position=1,
    )
    db.register("stabilize", EquilibriumDB(), "fast_run", position=1.5)
    db.register("specialize", EquilibriumDB(), "fast_run", "specialize_db", position=2)
    db.register("merge2", MergeOptimizer(), "fast_run", "merge", position=49)
    db.register("add_destroy_handler", AddDestroyHandler(), "fast_run", "inplace", position=49.5)
    db.register("merge3", MergeOptimizer(), "fast_run", "merge", position=100)
    return db


def _equilibrium(db: OptimizationDB, name: str) -> EquilibriumDB:
    sub = db[name]
    assert isinstance(sub, EquilibriumDB)
    return sub


optdb: OptimizationDB = make_optdb()
canonicalize: EquilibriumDB = _equilibrium(optdb, "canonicalize")
stabilize: EquilibriumDB = _equilibrium(optdb, "stabilize")
specialize: EquilibriumDB = _equilibrium(optdb, "specialize")
