"""Typed registries: backends, rewrites and Op classes, each entry attributed to a plugin.

Each registry object is a *view* on a table shared by all views of that kind.
The loader creates one view per plugin with ``bind(origin)``, so whatever a
plugin registers records its :class:`~graft.plugins.errors.Origin`, conflicts
name both plugins, and a failed plugin's entries can be rolled back.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from graft.plugins._view import View, import_path
from graft.plugins.backend_registry import Availability, BackendRegistry, BackendSpec
from graft.plugins.errors import RUNTIME, ConflictError, Origin
from graft.plugins.rewrite_registry import RewriteRecord, RewriteRegistry

__all__ = [
    "Availability",
    "BackendRegistry",
    "BackendSpec",
    "OpRecord",
    "OpRegistry",
    "RewriteRecord",
    "RewriteRegistry",
    "import_path",
]


@dataclass(frozen=True)
class OpRecord:
    """An Op class and the plugin that declared it."""

    op: type
    plugin: str
    dist: str
    version: str


@dataclass
class _OpTable:
    records: dict[type, OpRecord] = field(default_factory=dict)


class OpRegistry(View):
    """The Op classes each plugin provides; what ``graft_register_ops`` receives."""

    def __init__(self, origin: Origin = RUNTIME) -> None:
        super().__init__(origin)
        self._table = _OpTable()
        self._init_view()

    def _init_view(self) -> None:
        self.added: list[type] = []

    def register(self, *op_classes: type) -> None:
        """Declare ``op_classes`` as provided by this plugin."""
        o = self.origin
        for cls in op_classes:
            if not isinstance(cls, type):
                raise TypeError(f"register() takes Op classes, got {cls!r} from {o}")
            old = self._table.records.get(cls)
            if old is not None:
                raise ConflictError(
                    f"Op {cls.__module__}.{cls.__qualname__} registered by {o} conflicts "
                    f"with the same Op registered by {Origin(old.plugin, old.dist, old.version)}"
                )
            self._table.records[cls] = OpRecord(cls, o.plugin, o.dist, o.version)
            self.added.append(cls)

    def rollback(self) -> None:
        """Remove everything this view registered."""
        for cls in self.added:
            self._table.records.pop(cls, None)
        self.added = []

    def records(self) -> list[OpRecord]:
        """Every registered Op class with its plugin, in registration order."""
        return list(self._table.records.values())

    def owner(self, op_class: type) -> Origin | None:
        """The plugin that declared ``op_class``, if any."""
        r = self._table.records.get(op_class)
        return None if r is None else Origin(r.plugin, r.dist, r.version)
