"""Exceptions and warnings of the plugin system, and the ``Origin`` of registered things."""

from __future__ import annotations

import os
import sys
import warnings
from dataclasses import dataclass

_GRAFT_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep


class PluginError(Exception):
    """A plugin could not be loaded or registered something invalid.

    Raised instead of a :class:`PluginWarning` when ``GRAFT_STRICT_PLUGINS=1``.
    """


class ConflictError(PluginError):
    """Two plugins registered the same thing (backend name, rewrite name in one
    database, Op class, config flag); the message names both sides."""


class PluginWarning(UserWarning):
    """A plugin failed and was skipped; everything else keeps working."""


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


def warn(message: str, category: type[Warning]) -> None:
    """``warnings.warn`` pointing at the first caller outside the graft package."""
    level, frame = 2, sys._getframe(1)
    while frame is not None and frame.f_code.co_filename.startswith(_GRAFT_DIR):
        frame, level = frame.f_back, level + 1  # type: ignore[assignment]
    warnings.warn(message, category, stacklevel=level)
