"""Op-agnostic rewrites that ship with graft-core (merge, constant folding, dead code)."""

from __future__ import annotations

from typing import Any


def register(registry: Any) -> None:
    """Register core's rewrites through a plugin ``RewriteRegistry``."""
