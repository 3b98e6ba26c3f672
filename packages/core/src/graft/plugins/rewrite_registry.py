"""The rewrite registry: rewrites into ``optdb`` and its sub-databases, attributed."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Self, TypeVar

from graft.graph.rewriting.utils import default_database
from graft.plugins._view import View
from graft.plugins.errors import RUNTIME, ConflictError, Origin, PluginError

if TYPE_CHECKING:
    from graft.graph.rewriting.basic import Rewriter
    from graft.graph.rewriting.db import RewriteDatabase

    #: What a registry registers: a rewriter or a (sub-)database of them.
    R = TypeVar("R", bound=Rewriter | RewriteDatabase)


@dataclass(frozen=True)
class RewriteRecord:
    """One rewrite registered through a plugin: where it went and who gave it."""

    name: str
    db: str | None  # None: the top-level optdb
    tags: tuple[str, ...]
    plugin: str
    dist: str
    version: str

    @property
    def db_name(self) -> str:
        """The database's name for listings: ``"optdb"`` for the top level."""
        return self.db or "optdb"


@dataclass
class _Pending:
    name: str
    obj: Rewriter | RewriteDatabase
    tags: tuple[str, ...]
    db: str | None
    kwargs: dict[str, Any]
    target: RewriteDatabase


@dataclass
class _RewriteTable:
    # the root database, a factory for it, or None for the default one (graft.compile.optdb)
    source: RewriteDatabase | Callable[[], RewriteDatabase] | None = None
    owners: dict[tuple[str | None, str], Origin] = field(default_factory=dict)
    records: list[RewriteRecord] = field(default_factory=list)


class RewriteRegistry(View):
    """Registers rewrites into ``optdb`` (or a given root database) with attribution.

    An unbound registry registers at once. A view made with :meth:`bind` stages
    its registrations, checking names and databases immediately, and hands
    them to the databases on :meth:`commit`; the loader commits after all of
    the plugin's hooks returned, so a failing plugin never touches ``optdb``::

        reg = RewriteRegistry(db=my_db).bind(Origin("myplug", "myplug-dist", "1.0"))
        reg.register("double_to_add", double_to_add, "fast_run", db="canonicalize")
        reg.commit()
    """

    def __init__(
        self,
        db: RewriteDatabase | Callable[[], RewriteDatabase] | None = None,
        origin: Origin = RUNTIME,
    ) -> None:
        super().__init__(origin)
        self._table = _RewriteTable(source=db)
        self._init_view()
        self._staged = False

    def bind(self, origin: Origin) -> Self:
        view = super().bind(origin)
        view._staged = True
        return view

    def _init_view(self) -> None:
        self._pending: list[_Pending] = []
        self._pending_objs: dict[tuple[str | None, str], Rewriter | RewriteDatabase] = {}
        self.committed: list[RewriteRecord] = []
        self._targets: list[RewriteDatabase] = []

    @property
    def root(self) -> RewriteDatabase:
        """The top-level database (imported on first use)."""
        table = self._table
        if table.source is None:
            table.source = default_database()  # graft.compile.optdb, handed down by import graft
        elif callable(table.source) and not hasattr(table.source, "register"):
            table.source = table.source()
        return table.source

    @property
    def records(self) -> list[RewriteRecord]:
        """Every rewrite registered through any view, in order."""
        return list(self._table.records)

    def _resolve(self, db: str | None) -> RewriteDatabase:
        target: Any = self.root  # walked by name; checked to be a database at the end
        if db is None:
            return target
        path: str | None = None
        for seg in db.split("."):
            staged = self._pending_objs.get((path, seg))
            if staged is not None:
                target = staged
            elif seg in target:
                target = target[seg]
            else:
                raise PluginError(f"no rewrite database {db!r} in optdb ({seg!r} not found)")
            path = seg if path is None else f"{path}.{seg}"
        if not callable(getattr(target, "register", None)):
            raise PluginError(f"optdb entry {db!r} is not a rewrite database")
        return target

    def register(
        self,
        name: str,
        rewriter: R,
        *tags: str,
        db: str | None = None,
        position: float | None = None,
        **kwargs: Any,
    ) -> R:
        """Register ``rewriter`` as ``name`` in ``optdb`` (``db=None``) or ``optdb[db]``.

        Forwards ``tags``, ``position`` (when given) and ``kwargs`` to the
        database's ``register``. Returns ``rewriter``.
        """
        if not isinstance(name, str) or not name:
            raise ValueError(f"rewrite name must be a non-empty str, got {name!r}")
        where = db or "optdb"
        target = self._resolve(db)
        key = (db, name)
        owner = self._table.owners.get(key)
        if owner is not None or key in self._pending_objs:
            other = owner or self.origin
            raise ConflictError(
                f"rewrite {name!r} in {where} registered by {self.origin} conflicts with "
                f"the rewrite {name!r} already registered there by {other}"
            )
        if name in target:
            raise ConflictError(
                f"rewrite {name!r} in {where} registered by {self.origin} conflicts with "
                f"{name!r} already registered there outside the plugin system "
                "(by graft-core or user code)"
            )
        if position is not None:
            kwargs["position"] = position
        pending = _Pending(name, rewriter, tuple(tags), db, kwargs, target)
        self._pending.append(pending)
        self._pending_objs[key] = rewriter
        if not self._staged:
            self.commit()
        return rewriter

    def commit(self) -> None:
        """Hand the staged registrations to their databases."""
        o = self.origin
        try:
            for p in self._pending:
                p.target.register(p.name, p.obj, *p.tags, **p.kwargs)
                record = RewriteRecord(p.name, p.db, p.tags, o.plugin, o.dist, o.version)
                self._table.owners[(p.db, p.name)] = o
                self._table.records.append(record)
                self.committed.append(record)
                self._targets.append(p.target)
        finally:
            self._pending = []
            self._pending_objs = {}

    def rollback(self) -> list[str]:
        """Drop staged registrations and remove committed ones.

        Removal needs the database to have ``unregister(name)``; returns the
        names that stayed because it has not.
        """
        self._pending, self._pending_objs = [], {}
        stayed = []
        for record, target in zip(reversed(self.committed), reversed(self._targets)):
            self._table.owners.pop((record.db, record.name), None)
            self._table.records.remove(record)
            unregister = getattr(target, "unregister", None)
            if unregister is None:
                stayed.append(record.name)
            else:
                unregister(record.name)
        self.committed, self._targets = [], []
        return stayed

    def by_database(self) -> dict[str, list[str]]:
        """What this view committed: database name (``"optdb"`` for the top) -> rewrite names."""
        out: dict[str, list[str]] = {}
        for r in self.committed:
            out.setdefault(r.db_name, []).append(r.name)
        return out
