"""What every registry view shares: an origin, and a table shared between views."""

from __future__ import annotations

from importlib import import_module
from typing import Any, Self

from graft.plugins.errors import Origin


def import_path(path: str) -> Any:
    """Import ``"package.module:attr.sub"`` and return the attribute."""
    module, sep, attr = path.partition(":")
    if not sep or not module or not attr:
        raise ValueError(f"expected an import path 'module:attr', got {path!r}")
    obj: Any = import_module(module)
    for part in attr.split("."):
        obj = getattr(obj, part)
    return obj


class View:
    """Common part of the registries: an origin plus a table shared between views."""

    _table: Any

    def __init__(self, origin: Origin) -> None:
        self.origin = origin

    def bind(self, origin: Origin) -> Self:
        """A view on the same table whose registrations are attributed to ``origin``."""
        view = object.__new__(type(self))
        View.__init__(view, origin)
        view._table = self._table
        view._init_view()
        return view

    def _init_view(self) -> None:
        """Per-view state; subclasses extend."""
