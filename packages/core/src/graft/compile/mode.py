"""Compilation modes: which rewrites run (an optdb query) and which backend links.

Predefined modes: ``FAST_RUN`` (the ``fast_run`` rewrites, best available
backend, or ``config.linker`` when it names one), ``FAST_COMPILE`` (the
``fast_compile`` rewrites, reference backend) and one mode per registered
backend, named by its upper-cased name: ``PY`` for the reference backend, and
``C``, ``NUMBA``, ``JAX``... when plugins register those backends. Backends
are resolved at first use, so importing this module loads no plugin.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from graft.configparser import config
from graft.graph.rewriting.basic import GraphRewriter
from graft.graph.rewriting.db import RewriteDatabaseQuery
from graft.link.basic import Linker

if TYPE_CHECKING:
    from graft.plugins.registry import BackendRegistry

__all__ = [
    "FAST_COMPILE",
    "FAST_RUN",
    "PY",
    "Mode",
    "get_default_mode",
    "get_mode",
    "predefined_modes",
    "predefined_optimizers",
]

#: Optimizer names accepted by `Mode` (``None``: no rewriting).
predefined_optimizers: dict[str, RewriteDatabaseQuery | None] = {
    "default": RewriteDatabaseQuery(include=["fast_run"]),
    "fast_run": RewriteDatabaseQuery(include=["fast_run"]),
    "fast_compile": RewriteDatabaseQuery(include=["fast_compile"]),
    "merge": RewriteDatabaseQuery(include=["merge"]),
    "None": None,
}

# backend name -> (linker class, its shared instance); the class is checked on
# each use, so a backend registered again under the same name is picked up.
_linkers: dict[str, tuple[Any, Linker]] = {}


def _backends() -> BackendRegistry:
    from graft.plugins import backends

    return backends()


def _load_linker(name: str) -> Linker:
    registry = _backends()
    cached = _linkers.get(name)
    if cached is not None and name in registry and registry.load_linker(name) is cached[0]:
        return cached[1]
    if name not in registry:
        raise ValueError(f"unknown backend {name!r}; registered backends: {registry.names()}")
    why = registry.unavailable_reason(name)
    if why is not None:
        spec = registry.get(name)
        raise RuntimeError(f"backend {name!r} (from {spec.origin}) is not available: {why}")
    cls = registry.load_linker(name)
    linker = cls() if isinstance(cls, type) else cls
    if not isinstance(linker, Linker):
        raise TypeError(f"backend {name!r}: {cls!r} does not give a graft.link.basic.Linker")
    _linkers[name] = (cls, linker)
    return linker


class Mode:
    """How `graft.function` compiles: a rewrite query plus a backend.

    ``linker`` is a backend name (``"py"``, ``"numba"``...), a `Linker`
    (instance or class), or None for ``config.linker`` (``"auto"``: the best
    available backend). ``optimizer`` is ``"default"``/``"fast_run"``,
    ``"fast_compile"``, ``"merge"``, a `RewriteDatabaseQuery` on
    ``graft.compile.optdb``, a `GraphRewriter` used as is, or None (no
    rewriting). The backend's ``required_rewrite_tags`` are added to the
    query's ``include`` (and run even without an optimizer), its
    ``excluded_rewrite_tags`` to ``exclude``. `including`, `excluding` and
    `requiring` return new modes.

    Example::

        mode = Mode(linker="py", optimizer="fast_run").excluding("inplace")
        f = function([x], x * 2, mode=mode)
        get_mode("FAST_COMPILE").including("canonicalize")
    """

    def __init__(
        self,
        linker: str | Linker | type[Linker] | None = None,
        optimizer: str | RewriteDatabaseQuery | GraphRewriter | None = "default",
        name: str | None = None,
    ) -> None:
        if isinstance(linker, type) and issubclass(linker, Linker):
            linker = linker()
        if not (linker is None or isinstance(linker, str | Linker)):
            raise TypeError(
                f"Mode(linker=...) takes a backend name, a Linker or None, got {linker!r}"
            )
        self.provided_linker = linker
        self._rewriter: GraphRewriter | None = None
        self._query: RewriteDatabaseQuery | None = None
        if isinstance(optimizer, str):
            if optimizer not in predefined_optimizers:
                raise ValueError(
                    f"unknown optimizer {optimizer!r}; known: {sorted(predefined_optimizers)}, "
                    "a RewriteDatabaseQuery, a GraphRewriter or None"
                )
            self._query = predefined_optimizers[optimizer]
        elif isinstance(optimizer, RewriteDatabaseQuery):
            self._query = optimizer
        elif isinstance(optimizer, GraphRewriter):
            self._rewriter = optimizer
        elif optimizer is not None:
            raise TypeError(
                "Mode(optimizer=...) takes a name, a RewriteDatabaseQuery, a GraphRewriter "
                f"or None, got {optimizer!r}"
            )
        self.provided_optimizer = optimizer
        self.name = name

    # -- backend ------------------------------------------------------------

    @property
    def backend(self) -> str:
        """The backend name this mode compiles with (resolves ``config.linker``)."""
        linker = self.provided_linker
        if isinstance(linker, Linker):
            return linker.name or type(linker).__name__
        if linker is None:
            linker = config.linker
            if linker == "auto":
                return _backends().best().name
        return linker

    @property
    def linker(self) -> Linker:
        """The `Linker` instance (loads plugins and imports the backend on first use)."""
        if isinstance(self.provided_linker, Linker):
            return self.provided_linker
        return _load_linker(self.backend)

    # -- rewriting ----------------------------------------------------------

    @property
    def base_query(self) -> RewriteDatabaseQuery | None:
        """The query as given, without the backend's tags (None: no rewriting)."""
        return self._query

    @property
    def query(self) -> RewriteDatabaseQuery | None:
        """The optdb query with the backend's required/excluded tags applied."""
        linker = self.linker
        required = tuple(linker.required_rewrite_tags)
        excluded = tuple(linker.excluded_rewrite_tags)
        q = self._query
        if q is None:
            if not required or self._rewriter is not None:
                return None
            return RewriteDatabaseQuery(include=required, exclude=excluded)
        if required:
            q = q.including(*required)
        if excluded:
            q = q.excluding(*excluded)
        return q

    @property
    def rewriter(self) -> GraphRewriter | None:
        """The graph rewriter to run (a fresh optdb query each time), or None."""
        if self._rewriter is not None:
            return self._rewriter
        q = self.query
        if q is None:
            return None
        from graft.compile.optdb import optdb

        rw: GraphRewriter = optdb.query(q)
        return rw

    optimizer = rewriter

    def _with_query(self, change: str, tags: tuple[str, ...]) -> Mode:
        if self._rewriter is not None:
            raise TypeError(
                f"Mode.{change}() needs a query-based optimizer; this mode was given "
                f"the rewriter {self._rewriter} directly"
            )
        q = self._query
        if q is None:
            q = RewriteDatabaseQuery(include=tags if change == "including" else ())
            if change != "including":
                q = getattr(q, change)(*tags)
        else:
            q = getattr(q, change)(*tags)
        return Mode(self.provided_linker, q, name=self.name)

    def including(self, *tags: str) -> Mode:
        """This mode with rewrites tagged with any of ``tags`` added."""
        return self._with_query("including", tags)

    def excluding(self, *tags: str) -> Mode:
        """This mode without rewrites tagged with any of ``tags``."""
        return self._with_query("excluding", tags)

    def requiring(self, *tags: str) -> Mode:
        """This mode keeping only rewrites that have all of ``tags``."""
        return self._with_query("requiring", tags)

    def clone(
        self,
        linker: Any = ...,
        optimizer: Any = ...,
        name: Any = ...,
    ) -> Mode:
        """A copy with some of ``linker``, ``optimizer`` and ``name`` changed."""
        opt = self._rewriter if self._rewriter is not None else self._query
        return Mode(
            self.provided_linker if linker is ... else linker,
            opt if optimizer is ... else optimizer,
            self.name if name is ... else name,
        )

    def __reduce__(self) -> tuple[Any, ...]:
        # Predefined modes pickle by name, so unpickling gives this process's mode.
        opt = self._rewriter if self._rewriter is not None else self._query
        predefined = self.name is not None and predefined_modes.get(self.name) is self
        return (_restore_mode, (predefined, self.provided_linker, opt, self.name))

    def __repr__(self) -> str:
        linker = self.provided_linker
        lk = "config.linker" if linker is None else repr(linker)
        opt = self._rewriter if self._rewriter is not None else self._query
        label = f"{self.name} " if self.name else ""
        return f"<Mode {label}linker={lk} optimizer={opt}>"


FAST_RUN = Mode(None, "fast_run", name="FAST_RUN")
FAST_COMPILE = Mode("py", "fast_compile", name="FAST_COMPILE")
PY = Mode("py", "fast_run", name="PY")

#: Modes by name; backend modes (``NUMBA``...) are added when first asked for.
predefined_modes: dict[str, Mode] = {"FAST_RUN": FAST_RUN, "FAST_COMPILE": FAST_COMPILE, "PY": PY}


def _backend_mode(name: str) -> Mode | None:
    known = predefined_modes.get(name)
    if known is not None:
        return known
    backend = name.lower()
    if not backend.isidentifier() or name != backend.upper():
        return None
    if backend not in _backends():
        return None
    mode = predefined_modes[name] = Mode(backend, "fast_run", name=name)
    return mode


def _restore_mode(predefined: bool, linker: Any, optimizer: Any, name: str | None) -> Mode:
    # A predefined mode is this process's mode of that name, when there is one (a
    # backend's mode needs its plugin); otherwise an equal Mode.
    if predefined and name is not None:
        try:
            found = _backend_mode(name)
        except Exception:
            found = None
        if found is not None:
            return found
    return Mode(linker, optimizer, name)


def get_mode(mode: str | Mode | None = None) -> Mode:
    """The `Mode` for ``mode``: a Mode, a mode name, or None for ``config.mode``.

    Names are the predefined modes (``FAST_RUN``, ``FAST_COMPILE``, ``PY``)
    and the upper-cased name of any registered backend (``NUMBA``...); case
    does not matter. Unknown names raise `ValueError` listing the known ones.

    Example::

        get_mode("FAST_COMPILE").backend     # 'py'
        get_mode(None) is get_mode(config.mode)
    """
    if mode is None:
        mode = config.mode
    if isinstance(mode, Mode):
        return mode
    if not isinstance(mode, str):
        raise TypeError(f"mode must be a Mode, a mode name or None, got {mode!r}")
    key = mode.upper()
    found = _backend_mode(key)
    if found is None:
        known = sorted({*predefined_modes, *(n.upper() for n in _backends().names())})
        raise ValueError(f"unknown mode {mode!r}; known modes: {', '.join(known)}")
    return found


def get_default_mode() -> Mode:
    """The mode named by ``config.mode``."""
    return get_mode(None)


def __getattr__(name: str) -> Mode:
    # Backend modes (NUMBA, JAX, C...) exist only once plugins say so.
    if name.isupper():
        mode = _backend_mode(name)
        if mode is not None:
            return mode
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
