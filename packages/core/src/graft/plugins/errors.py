"""The ``Origin`` of registered things, and the plugin system's errors (from `graft.errors`)."""

from __future__ import annotations

from dataclasses import dataclass

from graft.errors import ConflictError, PluginError, PluginWarning, warn

__all__ = ["RUNTIME", "ConflictError", "Origin", "PluginError", "PluginWarning", "warn"]


@dataclass(frozen=True)
class Origin:
    """Who registered something: a plugin (entry point name) and its distribution.

    >>> str(Origin("numba", "graft-backend-numba", "0.1.0"))
    "plugin 'numba' (graft-backend-numba 0.1.0)"
    """

    plugin: str
    dist: str
    version: str = ""

    def __str__(self) -> str:
        dist = f"{self.dist} {self.version}" if self.version else self.dist
        return f"plugin {self.plugin!r} ({dist})"


#: Origin of things registered by code that is not running inside a plugin hook.
RUNTIME = Origin("<runtime>", "registered outside any plugin")
