"""What the loader reports about each plugin, and the plugin API version check."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from graft._version import __version__
from graft.plugins.backend_registry import BackendSpec
from graft.plugins.errors import Origin

#: The plugin API this graft-core provides; see :mod:`graft.plugins.hookspecs`.
PLUGIN_API_VERSION = "1.0"


Status = Literal["active", "failed", "disabled"]


@dataclass
class Registered:
    """What one plugin registered."""

    backends: list[BackendSpec] = field(default_factory=list)
    rewrites: dict[str, list[str]] = field(default_factory=dict)  # database -> names
    ops: list[type] = field(default_factory=list)
    config: list[str] = field(default_factory=list)


@dataclass
class PluginInfo:
    """A plugin as listed by :func:`plugins`.

    ``error`` says why a ``"failed"`` plugin failed, ``reason`` why a
    ``"disabled"`` one was not loaded; ``issues`` collects problems after
    loading (a ``graft_extend_backend`` that raised).
    """

    name: str
    dist: str
    version: str
    value: str
    status: Status = "failed"
    error: str | None = None
    reason: str | None = None
    api: str | None = None
    registered: Registered = field(default_factory=Registered)
    issues: list[str] = field(default_factory=list)

    @property
    def origin(self) -> Origin:
        """This plugin as the origin of what it registered."""
        return Origin(self.name, self.dist, self.version)


def core_version() -> str:
    """graft-core's version."""
    return __version__


def api_mismatch(declared: object) -> str | None:
    """``None`` if a plugin declaring API ``declared`` works with this core, else why not."""
    core = f"graft-core {core_version()} provides plugin API {PLUGIN_API_VERSION}"
    parts = declared.split(".") if isinstance(declared, str) else []
    if len(parts) != 2 or not all(p.isdigit() for p in parts):
        return f"GRAFT_PLUGIN_API must be a string 'MAJOR.MINOR', got {declared!r} ({core})"
    major, minor = map(int, parts)
    core_major, core_minor = map(int, PLUGIN_API_VERSION.split("."))
    if major != core_major or minor > core_minor:
        return f"requires graft plugin API {declared}, but {core}"
    return None
