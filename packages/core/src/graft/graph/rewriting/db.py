"""Rewrite databases: named, tagged collections of rewriters that queries turn into rewriters.

A database holds graph rewriters, node rewriters and other databases, each
under a unique name and with a set of tags. A `RewriteDatabaseQuery` selects
entries by tag (one of ``include``, all of ``require``, none of ``exclude``)
and the database builds one rewriter from the selection: `SequenceDB` a
`SequentialGraphRewriter` ordered by position, `EquilibriumDB` an
`EquilibriumGraphRewriter`, `LocalGroupDB` a `SequentialNodeRewriter`,
`TopoDB` a `WalkingGraphRewriter`. Sub-databases are queried recursively.

Nothing is cached between queries: a query always reflects the current
registrations, and every call returns new rewriter objects.
"""

from __future__ import annotations

import contextlib
import math
import sys
from collections.abc import Iterable, Iterator, Mapping
from operator import itemgetter
from typing import Any, TextIO

from graft.graph.rewriting.basic import (
    GraphRewriter,
    NodeRewriter,
    Rewriter,
    SequentialGraphRewriter,
    SequentialNodeRewriter,
    WalkingGraphRewriter,
    in2out,
)
from graft.graph.rewriting.equilibrium import EquilibriumGraphRewriter

__all__ = [
    "DEFAULT_MAX_USE_RATIO",
    "EquilibriumDB",
    "LocalGroupDB",
    "ProxyDB",
    "RewriteDatabase",
    "RewriteDatabaseQuery",
    "SequenceDB",
    "TopoDB",
]

#: ``max_use_ratio`` of the rewriters `EquilibriumDB.query` builds, unless the
#: database has its own ``max_use_ratio``. Read at query time.
DEFAULT_MAX_USE_RATIO: float = 8.0

_EMPTY: frozenset[str] = frozenset()
_by_position_then_name = itemgetter(0, 1)


def _tag_set(tags: Iterable[str] | str | None, what: str) -> frozenset[str]:
    if tags is None:
        return _EMPTY
    if isinstance(tags, str):  # one tag, not its characters
        return frozenset((tags,))
    out = frozenset(tags)
    for t in out:
        if not isinstance(t, str):
            raise TypeError(f"{what} tags must be str, got {t!r}")
    return out


class RewriteDatabaseQuery:
    """Which entries of a database to use: the tags they must and must not have.

    A selected entry has **one** of the ``include`` tags, **all** of the
    ``require`` tags and **none** of the ``exclude`` tags (an entry's name is
    one of its tags). ``subquery`` maps the name of a sub-database to the query
    used for it; other sub-databases get this query again. ``position_cutoff``
    drops `SequenceDB` entries at positions ``>= position_cutoff`` and
    ``extra_rewrites``, ``(rewriter, position)`` pairs, are added to the
    sequence; both apply to the database this query is given to, not to its
    sub-databases (whose positions are on their own scale).

    Queries are immutable; `including`, `requiring`, `excluding` and
    `register` return new ones.

    Example::

        q = RewriteDatabaseQuery(include=["fast_run"]).excluding("inplace")
        rewriter = optdb.query(q)
    """

    def __init__(
        self,
        include: Iterable[str] | str,
        require: Iterable[str] | str | None = None,
        exclude: Iterable[str] | str | None = None,
        subquery: Mapping[str, RewriteDatabaseQuery] | None = None,
        position_cutoff: float = math.inf,
        extra_rewrites: Iterable[tuple[Rewriter, float]] | None = None,
    ) -> None:
        self.include = _tag_set(include, "include")
        self.require = _tag_set(require, "require")
        self.exclude = _tag_set(exclude, "exclude")
        self.subquery: dict[str, RewriteDatabaseQuery] = dict(subquery or {})
        for k, v in self.subquery.items():
            if not isinstance(v, RewriteDatabaseQuery):
                raise TypeError(f"subquery[{k!r}] must be a RewriteDatabaseQuery, got {v!r}")
        self.position_cutoff = float(position_cutoff)
        self.extra_rewrites: tuple[tuple[Rewriter, float], ...] = tuple(extra_rewrites or ())
        for pair in self.extra_rewrites:
            if not (isinstance(pair, tuple) and len(pair) == 2):
                raise TypeError(f"extra_rewrites takes (rewriter, position) pairs, got {pair!r}")
        self._down: RewriteDatabaseQuery | None = None

    def _replace(self, **changes: Any) -> RewriteDatabaseQuery:
        args: dict[str, Any] = {"include": self.include, "require": self.require}
        args.update(exclude=self.exclude, subquery=self.subquery)
        args.update(position_cutoff=self.position_cutoff, extra_rewrites=self.extra_rewrites)
        return RewriteDatabaseQuery(**{**args, **changes})

    def including(self, *tags: str) -> RewriteDatabaseQuery:
        """This query with ``tags`` added to ``include``."""
        return self._replace(include=self.include | _tag_set(tags, "include"))

    def requiring(self, *tags: str) -> RewriteDatabaseQuery:
        """This query with ``tags`` added to ``require``."""
        return self._replace(require=self.require | _tag_set(tags, "require"))

    def excluding(self, *tags: str) -> RewriteDatabaseQuery:
        """This query with ``tags`` added to ``exclude``."""
        return self._replace(exclude=self.exclude | _tag_set(tags, "exclude"))

    def register(self, *rewrites: tuple[Rewriter, float]) -> RewriteDatabaseQuery:
        """This query with ``(rewriter, position)`` pairs added to ``extra_rewrites``."""
        return self._replace(extra_rewrites=self.extra_rewrites + tuple(rewrites))

    def passed_down(self) -> RewriteDatabaseQuery:
        """The query a sub-database gets when ``subquery`` has none for it."""
        down = self._down
        if down is None:
            if self.extra_rewrites or self.position_cutoff != math.inf:
                down = self._replace(position_cutoff=math.inf, extra_rewrites=())
            else:
                down = self
            self._down = down
        return down

    def __str__(self) -> str:
        parts = [f"include={sorted(self.include)}"]
        if self.require:
            parts.append(f"require={sorted(self.require)}")
        if self.exclude:
            parts.append(f"exclude={sorted(self.exclude)}")
        if self.subquery:
            subs = ", ".join(f"{k!r}: {self.subquery[k]}" for k in sorted(self.subquery))
            parts.append(f"subquery={{{subs}}}")
        if self.position_cutoff != math.inf:
            parts.append(f"position_cutoff={self.position_cutoff}")
        if self.extra_rewrites:
            extra = ", ".join(f"({r}, {p})" for r, p in self.extra_rewrites)
            parts.append(f"extra_rewrites=[{extra}]")
        return f"RewriteDatabaseQuery({', '.join(parts)})"

    __repr__ = __str__


def _describe(obj: object) -> str:
    """``Kind 'name' (module.function)``: enough to find where a rewriter came from."""
    if isinstance(obj, RewriteDatabase):
        return obj._label()
    out = f"{type(obj).__name__} {getattr(obj, 'name', None)!r}"
    fn = getattr(obj, "fn", None)  # rewriters made from functions by the decorators
    if callable(fn) and hasattr(fn, "__qualname__"):
        out += f" ({fn.__module__}.{fn.__qualname__})"
    return out


def _parse_query(tags: tuple[Any, ...], kwtags: dict[str, Any]) -> RewriteDatabaseQuery:
    if tags and isinstance(tags[0], RewriteDatabaseQuery):
        if len(tags) > 1 or kwtags:
            raise TypeError("query() takes one RewriteDatabaseQuery or tag strings, not both")
        return tags[0]
    kinds: dict[str, list[str]] = {"+": [], "&": [], "-": []}
    for tag in tags:
        if not isinstance(tag, str):
            raise TypeError(f"query() tags must be str ('+tag', '-tag', '&tag'), got {tag!r}")
        if tag[:1] in kinds:
            kinds[tag[0]].append(tag[1:])
        else:
            kinds["+"].append(tag)  # a bare tag is included
    return RewriteDatabaseQuery(kinds["+"], kinds["&"], kinds["-"], subquery=kwtags)


class RewriteDatabase:
    """A set of rewriters and sub-databases, each with a unique name and tags.

    `register` stores a `GraphRewriter`, `NodeRewriter` or `RewriteDatabase`
    under ``name``, tagged with ``tags``, its own name and (when
    ``use_db_name_as_tag``) this database's name, so that selecting a
    sub-database by name in a parent selects all of its content. Registering a
    rewriter sets its ``name``; registering a database names it. `query`
    returns the selected rewriters (sub-databases replaced by their own query
    results) in registration order; subclasses build one rewriter instead.

    Example::

        db = RewriteDatabase()
        db.register("local_double_neg", local_double_neg, "fast_run", "stable")
        db.query("+fast_run", "-unstable")   # [local_double_neg]
    """

    def __init__(self) -> None:
        self._name: str | None = None
        self._entries: dict[str, Rewriter | RewriteDatabase] = {}
        self._tags: dict[str, set[str]] = {}  # entry name -> its tags (including the name)
        self._index: dict[str, set[str]] = {}  # tag -> names of the entries that have it
        self._order: dict[str, int] = {}  # entry name -> registration counter
        self._counter = 0
        self._db_tagged: set[str] = set()  # entries that carry this database's name as a tag

    # -- naming ------------------------------------------------------------

    @property
    def name(self) -> str | None:
        """The name this database is registered under (None until registered)."""
        return self._name

    @name.setter
    def name(self, new: str | None) -> None:
        self._set_name(new)

    def _set_name(self, new: str | None) -> None:
        old, self._name = self._name, new
        if old == new:
            return
        for entry in self._db_tagged:
            if old is not None and old != entry:
                self._drop_tag(entry, old)
            if new is not None:
                self._add_tag(entry, new)

    def _label(self) -> str:
        return f"{type(self).__name__} {self._name!r}" if self._name else type(self).__name__

    # -- registration ------------------------------------------------------

    def _accepts(self, obj: object) -> bool:
        return isinstance(obj, GraphRewriter | NodeRewriter | RewriteDatabase)

    def register(
        self,
        name: str,
        rewriter: Rewriter | RewriteDatabase,
        *tags: str,
        use_db_name_as_tag: bool = True,
        **kwargs: Any,
    ) -> None:
        """Store ``rewriter`` under ``name`` with ``tags``.

        Raises TypeError for a non-str name, a non-str tag, an object that is
        not a rewriter or database, or an unknown keyword argument; ValueError
        for a name already registered or already used as a tag here.
        """
        if kwargs:
            raise TypeError(
                f"{type(self).__name__}.register() got unexpected keyword argument(s) "
                f"{', '.join(map(repr, kwargs))} (registering {name!r} in {self._label()})"
            )
        if not isinstance(name, str):
            raise TypeError(f"rewrite names must be str, got {name!r}")
        if not name:
            raise ValueError(f"rewrite names must be non-empty (registering in {self._label()})")
        if not self._accepts(rewriter):
            raise TypeError(
                f"{self._label()} cannot store {name!r}: {rewriter!r} (a "
                f"{type(rewriter).__name__}) is not a {self._accepted_kinds()}"
            )
        if name in self._entries:
            raise ValueError(
                f"cannot register {_describe(rewriter)} as {name!r} in {self._label()}: "
                f"{name!r} is already registered there as {_describe(self._entries[name])}"
            )
        if name in self._index:
            raise ValueError(
                f"cannot register {name!r} in {self._label()}: it is already a tag of "
                f"{', '.join(map(repr, sorted(self._index[name])))}"
            )
        self._check_tags(name, tags)
        if isinstance(rewriter, RewriteDatabase):
            if rewriter.name is not None and rewriter.name != name:
                raise ValueError(
                    f"cannot register {rewriter._label()} as {name!r} in {self._label()}: "
                    f"it is already named {rewriter.name!r}; register ProxyDB(db) instead"
                )
            rewriter.name = name
        else:
            with contextlib.suppress(AttributeError, TypeError):  # a read-only name stays
                rewriter.name = name  # profiles and printouts show the registered name
        self._entries[name] = rewriter
        self._tags[name] = set()
        self._order[name] = self._counter
        self._counter += 1
        for t in (name, *tags):
            self._add_tag(name, t)
        if use_db_name_as_tag:
            self._db_tagged.add(name)
            if self._name is not None:
                self._add_tag(name, self._name)

    def _accepted_kinds(self) -> str:
        return "GraphRewriter, NodeRewriter or RewriteDatabase"

    def unregister(self, name: str) -> None:
        """Remove the entry ``name`` (KeyError if there is none)."""
        self._get(name)
        for t in self._tags.pop(name):
            self._index[t].discard(name)
            if not self._index[t]:
                del self._index[t]
        del self._entries[name]
        del self._order[name]
        self._db_tagged.discard(name)

    def add_tags(self, name: str, *tags: str) -> None:
        """Add ``tags`` to the entry ``name``; a tag may not be another entry's name."""
        self._get(name)
        self._check_tags(name, tags)
        for t in tags:
            self._add_tag(name, t)

    def remove_tags(self, name: str, *tags: str) -> None:
        """Remove ``tags`` from the entry ``name`` (its own name stays a tag)."""
        self._get(name)
        if name in tags:
            raise ValueError(f"cannot remove the tag {name!r}: it is the entry's own name")
        for t in tags:
            self._drop_tag(name, t)

    def _check_tags(self, name: str, tags: tuple[Any, ...]) -> None:
        for t in tags:
            if not isinstance(t, str):
                raise TypeError(f"tags of {name!r} must be str, got {t!r}")
            if t in self._entries and t != name:  # else selecting entry t selects this too
                raise ValueError(f"cannot tag {name!r} with {t!r}: that is another entry's name")

    def _add_tag(self, name: str, tag: str) -> None:
        self._tags[name].add(tag)
        self._index.setdefault(tag, set()).add(name)

    def _drop_tag(self, name: str, tag: str) -> None:
        self._tags[name].discard(tag)
        names = self._index.get(tag)
        if names is not None:
            names.discard(name)
            if not names:
                del self._index[tag]

    # -- lookup ------------------------------------------------------------

    def _get(self, name: str) -> Rewriter | RewriteDatabase:
        try:
            return self._entries[name]
        except KeyError:
            pass
        import difflib  # error path only

        known = sorted(self._entries)
        close = difflib.get_close_matches(name, known, n=3) if isinstance(name, str) else []
        hint = f"; did you mean {' or '.join(map(repr, close))}?" if close else ""
        more = f", ... ({len(known) - 30} more)" if len(known) > 30 else ""
        shown = ", ".join(known[:30]) + more
        raise KeyError(f"no entry {name!r} in {self._label()}{hint} (known: {shown or 'none'})")

    def __getitem__(self, name: str) -> Rewriter | RewriteDatabase:
        return self._get(name)

    def __contains__(self, name: object) -> bool:
        return name in self._entries

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._entries))

    def __len__(self) -> int:
        return len(self._entries)

    def names(self) -> list[str]:
        """The entry names, in registration order."""
        return list(self._entries)

    # -- querying ----------------------------------------------------------

    def query(self, *tags: Any, **kwtags: RewriteDatabaseQuery) -> Any:
        """Build what the selected entries give, from one `RewriteDatabaseQuery` or tags.

        Tags: ``"+tag"`` or ``"tag"`` include, ``"-tag"`` exclude, ``"&tag"``
        require; keyword arguments map sub-database names to sub-queries.
        """
        return self.__query__(_parse_query(tags, kwtags))

    def __query__(self, q: RewriteDatabaseQuery) -> Any:
        """The selected rewriters, in registration order (subclasses build one rewriter)."""
        return [rw for _, rw in self._selected(q)]

    def _selected(self, q: RewriteDatabaseQuery) -> Iterator[tuple[str, Any]]:
        """``(name, rewriter)`` of the selection in registration order, sub-databases queried."""
        for name in sorted(self._matches(q), key=self._order.__getitem__):
            res = self._resolve(name, q)
            for rw in res if isinstance(res, list) else (res,):
                yield name, rw

    def _matches(self, q: RewriteDatabaseQuery) -> set[str]:
        """Names of the entries with one ``include``, all ``require``, no ``exclude`` tag."""
        index = self._index
        found: set[str] = set()
        for t in q.include:
            names = index.get(t)
            if names:
                found |= names
        if found:
            for t in q.require:
                found &= index.get(t, _EMPTY)
            for t in q.exclude:
                names = index.get(t)
                if names:
                    found -= names
        return found

    def _resolve(self, name: str, q: RewriteDatabaseQuery) -> Any:
        """The entry ``name``: a rewriter as is, a sub-database queried."""
        obj = self._entries[name]
        if isinstance(obj, RewriteDatabase):
            sub = q.subquery.get(name) if q.subquery else None
            return obj.__query__(sub if sub is not None else q.passed_down())
        return obj

    # -- printing ----------------------------------------------------------

    def _entry_line(self, name: str) -> str:
        obj = self._entries[name]
        hidden = {name, self._name} if name in self._db_tagged else {name}
        tags = " ".join(sorted(self._tags[name] - hidden))
        return f"{name:<28} {type(obj).__name__:<26} {tags}"

    def _ordered_names(self) -> list[str]:
        return list(self._entries)

    def print_summary(self, stream: TextIO = sys.stdout, level: int = 0) -> None:
        """Print the entries (name, kind, tags), sub-databases indented below theirs."""
        pad = "  " * level
        print(f"{pad}{self._label()} ({len(self._entries)} entries)", file=stream)
        for name in self._ordered_names():
            print(f"{pad}  {self._entry_line(name)}", file=stream)
            obj = self._entries[name]
            if isinstance(obj, RewriteDatabase):
                obj.print_summary(stream, level + 2)

    def __repr__(self) -> str:
        return f"<{self._label()} with {len(self._entries)} entries>"


class EquilibriumDB(RewriteDatabase):
    """Node (and graph) rewriters applied together until the graph stops changing.

    `query` returns an `EquilibriumGraphRewriter` named after the database,
    with ``max_use_ratio`` from the database's ``max_use_ratio`` attribute or
    else the module's `DEFAULT_MAX_USE_RATIO`. Entries registered with
    ``final_rewriter=True`` run at the end of each pass; ``cleanup=True`` ones
    on the nodes a successful rewrite created.

    Example::

        canonicalize = EquilibriumDB()
        canonicalize.register("local_double_neg", local_double_neg, "fast_run")
        canonicalize.register("local_fold", local_fold, "fast_run", final_rewriter=True)
        canonicalize.query("+fast_run").rewrite(fgraph)
    """

    def __init__(
        self, ignore_newtrees: bool = True, tracks_on_change_inputs: bool = False
    ) -> None:
        super().__init__()
        self.ignore_newtrees = ignore_newtrees
        self.tracks_on_change_inputs = tracks_on_change_inputs
        self.max_use_ratio: float | None = None
        self._role: dict[str, str] = {}  # name -> "final" | "cleanup"

    def register(
        self,
        name: str,
        rewriter: Rewriter | RewriteDatabase,
        *tags: str,
        final_rewriter: bool = False,
        cleanup: bool = False,
        **kwargs: Any,
    ) -> None:
        """Like `RewriteDatabase.register`; ``final_rewriter``/``cleanup`` pick the role."""
        if final_rewriter and cleanup:
            raise ValueError(f"{name!r} cannot be both a final and a cleanup rewriter")
        if (final_rewriter or cleanup) and not isinstance(
            rewriter, NodeRewriter | RewriteDatabase
        ):
            role = "final" if final_rewriter else "cleanup"
            raise TypeError(f"{role} rewriter {name!r} must be a NodeRewriter, got {rewriter!r}")
        super().register(name, rewriter, *tags, **kwargs)
        if final_rewriter or cleanup:
            self._role[name] = "final" if final_rewriter else "cleanup"

    def unregister(self, name: str) -> None:
        super().unregister(name)
        self._role.pop(name, None)

    def __query__(self, q: RewriteDatabaseQuery) -> EquilibriumGraphRewriter:
        groups: dict[str | None, list[Any]] = {None: [], "final": [], "cleanup": []}
        for name, rw in self._selected(q):
            role = self._role.get(name)
            if role is not None and not isinstance(rw, NodeRewriter):
                raise TypeError(f"{role} rewriter {name!r} gave {rw!r}, not a NodeRewriter")
            groups[role].append(rw)
        ratio = self.max_use_ratio
        return EquilibriumGraphRewriter(
            groups[None],
            ignore_newtrees=self.ignore_newtrees,
            tracks_on_change_inputs=self.tracks_on_change_inputs,
            max_use_ratio=DEFAULT_MAX_USE_RATIO if ratio is None else ratio,
            final_rewriters=groups["final"],
            cleanup_rewriters=groups["cleanup"],
            name=self._name,
        )

    def _entry_line(self, name: str) -> str:
        role = self._role.get(name)
        return super()._entry_line(name) + (f" [{role}]" if role else "")


class SequenceDB(RewriteDatabase):
    """Graph rewriters run one after the other, in order of position.

    ``register(..., position=p)`` places an entry (default ``"last"``: one
    after the current highest position). `query` returns a
    `SequentialGraphRewriter` named after the database with the selected
    entries sorted by ``(position, name)``; a `NodeRewriter` entry is wrapped
    in `in2out`, a sub-database replaced by its query result. Entries at
    positions ``>= q.position_cutoff`` are left out.

    Example::

        db = SequenceDB()
        db.register("merge1", MergeOptimizer(), "fast_run", position=0)
        db.register("canonicalize", EquilibriumDB(), "fast_run", position=1)
        db.query(RewriteDatabaseQuery(include=["fast_run"])).rewrite(fgraph)
    """

    def __init__(self, failure_callback: Any = None) -> None:
        super().__init__()
        self.failure_callback = failure_callback
        self.__position__: dict[str, float] = {}

    def register(
        self,
        name: str,
        rewriter: Rewriter | RewriteDatabase,
        *tags: str,
        position: float | str = "last",
        **kwargs: Any,
    ) -> None:
        """Like `RewriteDatabase.register`, at ``position`` (a number or ``"last"``)."""
        if position == "last":
            pos = max(self.__position__.values(), default=-1.0) + 1
        elif isinstance(position, int | float) and not isinstance(position, bool):
            if math.isnan(position):
                raise ValueError(f"position of {name!r} must not be NaN")
            pos = position
        else:
            raise TypeError(f"position of {name!r} must be a number or 'last', got {position!r}")
        super().register(name, rewriter, *tags, **kwargs)
        self.__position__[name] = pos

    def unregister(self, name: str) -> None:
        super().unregister(name)
        del self.__position__[name]

    def _positioned(self, q: RewriteDatabaseQuery) -> list[tuple[float, str, Any]]:
        """``(position, name, rewriter)`` of the selection, cut off and sorted."""
        cutoff = q.position_cutoff
        position = self.__position__
        items: list[tuple[float, str, Any]] = []
        for name in self._matches(q):
            pos = position[name]
            if pos >= cutoff:
                continue  # before resolving: a cut sub-database is not queried
            res = self._resolve(name, q)
            if isinstance(res, list):
                items.extend((pos, name, r) for r in res)
            else:
                items.append((pos, name, res))
        for rw, pos in q.extra_rewrites:
            if pos < cutoff:
                items.append((pos, getattr(rw, "name", None) or type(rw).__name__, rw))
        items.sort(key=_by_position_then_name)
        return items

    def __query__(self, q: RewriteDatabaseQuery) -> Any:
        rewriters: list[GraphRewriter] = []
        for _, name, rw in self._positioned(q):
            if isinstance(rw, NodeRewriter):
                rw = in2out(rw, name=name)
            rewriters.append(rw)
        return SequentialGraphRewriter(
            *rewriters, failure_callback=self.failure_callback, name=self._name
        )

    def _ordered_names(self) -> list[str]:
        pos = self.__position__
        return sorted(self._entries, key=lambda n: (pos[n], n))

    def _entry_line(self, name: str) -> str:
        return f"{self.__position__[name]:<8g} {super()._entry_line(name)}"


class LocalGroupDB(SequenceDB):
    """Node rewriters tried in turn on each node, in order of position.

    `query` returns a `SequentialNodeRewriter` (itself a node rewriter, so
    the result fits in an `EquilibriumDB`, a `TopoDB` or a `SequenceDB`).

    Example::

        group = LocalGroupDB()
        group.register("local_a", local_a, "fast_run", position=1)
        group.register("local_b", local_b, "fast_run", position=2)
        canonicalize.register("group", group, "fast_run")
    """

    def __init__(self, apply_all_rewrites: bool = False) -> None:
        super().__init__()
        self.apply_all_rewrites = apply_all_rewrites

    def _accepts(self, obj: object) -> bool:
        return isinstance(obj, NodeRewriter | RewriteDatabase)

    def _accepted_kinds(self) -> str:
        return "NodeRewriter or RewriteDatabase"

    def __query__(self, q: RewriteDatabaseQuery) -> SequentialNodeRewriter:
        rewriters: list[NodeRewriter] = []
        for _, name, rw in self._positioned(q):
            if not isinstance(rw, NodeRewriter):
                raise TypeError(f"{name!r} in {self._label()} gave {rw!r}, not a NodeRewriter")
            rewriters.append(rw)
        return SequentialNodeRewriter(
            *rewriters, apply_all_rewrites=self.apply_all_rewrites, name=self._name
        )


class ProxyDB(RewriteDatabase):
    """Another database, registered under a second name without renaming or copying it.

    Registering, tagging and lookups go to the wrapped database; a query is
    answered by it. Selecting the proxy by its name selects everything the
    wrapped database's own name would.

    Example::

        optdb.register("canonicalize_again", ProxyDB(canonicalize), "fast_run", position=3)
    """

    def __init__(self, db: RewriteDatabase) -> None:
        if not isinstance(db, RewriteDatabase):
            raise TypeError(f"{type(self).__name__} wraps a RewriteDatabase, got {db!r}")
        super().__init__()
        self.db = db

    def register(self, name: str, rewriter: Any, *tags: str, **kwargs: Any) -> None:
        self.db.register(name, rewriter, *tags, **kwargs)

    def unregister(self, name: str) -> None:
        self.db.unregister(name)

    def add_tags(self, name: str, *tags: str) -> None:
        self.db.add_tags(name, *tags)

    def remove_tags(self, name: str, *tags: str) -> None:
        self.db.remove_tags(name, *tags)

    def __getitem__(self, name: str) -> Rewriter | RewriteDatabase:
        return self.db[name]

    def __contains__(self, name: object) -> bool:
        return name in self.db

    def __iter__(self) -> Iterator[str]:
        return iter(self.db)

    def __len__(self) -> int:
        return len(self.db)

    def names(self) -> list[str]:
        return self.db.names()

    def _inner_query(self, q: RewriteDatabaseQuery) -> RewriteDatabaseQuery:
        # The wrapped entries carry the wrapped database's name as a tag, not ours.
        mine, theirs = self._name, self.db.name
        if mine is not None and theirs is not None and mine != theirs and mine in q.include:
            return q.including(theirs)
        return q

    def __query__(self, q: RewriteDatabaseQuery) -> Any:
        return self.db.__query__(self._inner_query(q))

    def print_summary(self, stream: TextIO = sys.stdout, level: int = 0) -> None:
        print(f"{'  ' * level}{self._label()} of:", file=stream)
        self.db.print_summary(stream, level + 1)


_DEFAULT = object()


class TopoDB(ProxyDB):
    """Walks the graph once in topological order, applying what a node-rewriter database gives.

    ``db`` (typically a `LocalGroupDB`) must answer a query with a
    `NodeRewriter`; `query` returns a `WalkingGraphRewriter` of it, named
    after this database. An unnamed ``db`` takes this database's name.

    Example::

        group = LocalGroupDB()
        group.register("local_a", local_a, "fast_run")
        optdb.register("walk_a", TopoDB(group, order="out_to_in"), "fast_run", position=3)
    """

    def __init__(
        self,
        db: RewriteDatabase,
        order: str = "in_to_out",
        ignore_newtrees: bool = False,
        failure_callback: Any = _DEFAULT,
    ) -> None:
        if order not in ("in_to_out", "out_to_in"):
            raise ValueError(f"order must be 'in_to_out' or 'out_to_in', got {order!r}")
        super().__init__(db)
        self.order = order
        self.ignore_newtrees = ignore_newtrees
        self.failure_callback = failure_callback

    def _set_name(self, new: str | None) -> None:
        if self.db.name is None or self.db.name == self._name:
            self.db.name = new
        self._name = new

    def __query__(self, q: RewriteDatabaseQuery) -> WalkingGraphRewriter:
        rw = self.db.__query__(self._inner_query(q))
        if not isinstance(rw, NodeRewriter):
            raise TypeError(f"{self._label()} needs a node rewriter from its db, got {rw!r}")
        kw: dict[str, Any] = {}
        if self.failure_callback is not _DEFAULT:
            kw["failure_callback"] = self.failure_callback
        walker = WalkingGraphRewriter(
            rw, order=self.order, ignore_newtrees=self.ignore_newtrees, **kw
        )
        if self._name:
            walker.name = self._name
        return walker
