"""`optdb`: the database of rewrites that `graft.function` queries to rewrite every graph it compiles.

Skeleton (position, name, tags), the positions PyTensor users know; plugins
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
import warnings
from collections.abc import Iterable
from typing import Any

from graft.graph.fg import FunctionGraph
from graft.graph.rewriting.basic import GraphRewriter, MergeOptimizer
from graft.graph.rewriting.db import (
    EquilibriumDB,
    RewriteDatabase,
    RewriteDatabaseQuery,
    SequenceDB,
)

__all__ = [
    "AddDestroyHandler",
    "MissingRewritesWarning",
    "OptimizationDB",
    "canonicalize",
    "make_optdb",
    "optdb",
    "specialize",
    "stabilize",
    "tensor_rewrites_registered",
    "warn_if_no_tensor_rewrites",
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
    from graft.plugins import ensure_loaded  # lazy: import graft loads no plugin machinery

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


# -- FAST_RUN without the optimizing rewrites -------------------------------------

#: Databases that hold the optimizing rewrites plugins register.
_OPTIMIZING_DBS = ("canonicalize", "stabilize", "specialize")
#: optdb's own entries (see `make_optdb`).
_SKELETON = frozenset(make_optdb(load_plugins=False).names())


class MissingRewritesWarning(UserWarning):
    """``fast_run`` rewriting found only graft-core's op-agnostic rewrites.

    Install graft-rewrites-tensor to get the optimizing tensor rewrites
    (fusion, in-place, algebraic simplification, stabilization); filter this
    warning to silence it.
    """


def tensor_rewrites_registered(
    db: OptimizationDB | None = None, core: Iterable[tuple[str | None, str]] | None = None
) -> bool:
    """Whether ``db`` (default `optdb`) holds rewrites besides graft-core's own.

    ``core`` lists graft-core's registrations as ``(database or None, name)``
    pairs (default: those the plugin registry attributes to graft-core).
    Anything else in the canonicalize/stabilize/specialize databases, or at
    optdb's top level beyond its skeleton, counts, whoever registered it.
    """
    if db is None:
        db = optdb
    if core is None:
        from graft.plugins import rewrites

        core = [(r.db, r.name) for r in rewrites() if r.dist == "graft-core"]
    own = set(core)
    for name in db.names():
        if name not in _SKELETON and (None, name) not in own:
            return True
    for sub in _OPTIMIZING_DBS:
        entry = db[sub] if sub in db else None
        if isinstance(entry, RewriteDatabase) and any((sub, n) not in own for n in entry.names()):
            return True
    return False


# None: not checked yet; True: rewrites found or the warning was given.
_fast_run_checked: list[bool | None] = [None]


def warn_if_no_tensor_rewrites(where: tuple[str, int, str] | None = None) -> bool:
    """Warn once per process (`MissingRewritesWarning`) when no tensor rewrites are registered.

    Called by `graft.function` for modes that run the ``fast_run`` rewrites;
    ``where`` is the user's ``(file, line, function)`` the warning points at.
    Returns whether it warned now. Checks once: registering rewrites later
    does not bring the warning back.
    """
    if _fast_run_checked[0] is not None:
        return False
    _fast_run_checked[0] = True
    if tensor_rewrites_registered():
        return False
    msg = (
        "FAST_RUN is compiling without tensor rewrites: no installed plugin registered any, "
        "so functions run unoptimized (no fusion, in-place updates or algebraic "
        "simplification). Install graft-rewrites-tensor (pip install graft-rewrites-tensor), "
        "or compile with mode='FAST_COMPILE' to ask for no rewriting."
    )
    if where is None:
        warnings.warn(msg, MissingRewritesWarning, stacklevel=2)
    else:
        warnings.warn_explicit(msg, MissingRewritesWarning, where[0], where[1])
    return True
