"""graft's plugin system: hook specs, loading, and the registries plugins fill.

Plugins load on first need (``graft.function``, ``optdb.query``) or an
explicit :func:`load`; importing this package imports neither pluggy nor
``importlib.metadata``. The contract for plugin authors is
:mod:`graft.plugins.hookspecs`; ``python -m graft plugins`` lists what loaded.

Environment: ``GRAFT_DISABLE_PLUGIN_AUTOLOAD=1`` (built-in plugin only),
``GRAFT_PLUGINS=a,b`` (load only these, by entry point or distribution name),
``GRAFT_DISABLED_PLUGINS=a,b``, ``GRAFT_STRICT_PLUGINS=1`` (a broken plugin
raises :class:`PluginError` instead of warning). Read at the first load. The
built-in plugin (graft-core's reference backend and core rewrites) always loads.
"""

from __future__ import annotations

from typing import Any

from graft.plugins.errors import ConflictError, Origin, PluginError, PluginWarning
from graft.plugins.info import PLUGIN_API_VERSION, PluginInfo, Registered
from graft.plugins.manager import (
    backends,
    ensure_loaded,
    extend_backend,
    load,
    ops,
    plugins,
    reset,
    rewrites,
)
from graft.plugins.registry import (
    BackendRegistry,
    BackendSpec,
    OpRecord,
    OpRegistry,
    RewriteRecord,
    RewriteRegistry,
)

__all__ = [
    "PLUGIN_API_VERSION",
    "BackendRegistry",
    "BackendSpec",
    "ConflictError",
    "OpRecord",
    "OpRegistry",
    "Origin",
    "PluginError",
    "PluginInfo",
    "PluginWarning",
    "Registered",
    "RewriteRecord",
    "RewriteRegistry",
    "backends",
    "ensure_loaded",
    "extend_backend",
    "hookimpl",
    "load",
    "ops",
    "plugins",
    "reset",
    "rewrites",
]


def __getattr__(name: str) -> Any:
    # the optional marker lives with pluggy, which is imported only when asked for
    if name == "hookimpl":
        from graft.plugins.hookspecs import hookimpl

        return hookimpl
    raise AttributeError(f"module 'graft.plugins' has no attribute {name!r}")
