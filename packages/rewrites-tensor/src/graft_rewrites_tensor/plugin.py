"""The plugin module named by the ``graft`` entry point of graft-rewrites-tensor.

Cheap to import: the rewrite modules (and graft.tensor) are imported only by
`graft_register_rewrites`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from graft.plugins.registry import RewriteRegistry

GRAFT_PLUGIN_API = "1.0"

#: optdb sub-database -> the modules holding its ``REWRITES`` tables (registered in order).
DATABASES: dict[str, tuple[str, ...]] = {
    "canonicalize": (
        "graft_rewrites_tensor.canonicalize",
        "graft_rewrites_tensor.canonicalize_subtensor",
        "graft_rewrites_tensor.canonicalize_shape",
        "graft_rewrites_tensor.canonicalize_checks",
    ),
    "stabilize": ("graft_rewrites_tensor.stabilize",),
    "specialize": ("graft_rewrites_tensor.specialize",),
}


def graft_register_rewrites(registry: RewriteRegistry) -> None:
    """Register every rewrite of the package into optdb's canonicalize, stabilize and specialize.

    Each entry of a module's ``REWRITES`` table ``(name, rewriter, tags)`` is
    registered under its name and tags in the matching database.

    Example (what graft's loader does, here into a fresh optdb)::

        from graft.compile.optdb import make_optdb
        from graft.plugins import RewriteRegistry

        db = make_optdb(load_plugins=False)
        graft_register_rewrites(RewriteRegistry(db=db))
        sorted(db["stabilize"].names())[:2]   # ['local_exp_log', 'local_expm1']
    """
    from importlib import import_module

    for db, modules in DATABASES.items():
        for module in modules:
            for name, rewriter, tags in import_module(module).REWRITES:
                registry.register(name, rewriter, *tags, db=db)
    import_module("graft_rewrites_tensor.fusion").register(registry)
    import_module("graft_rewrites_tensor.inplace").register(registry)
