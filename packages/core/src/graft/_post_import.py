"""Run graft's registrations for the unification libraries when a user imports them.

``import graft`` followed by ``from unification import unify`` must unify graft
graphs, yet importing `unification`, `cons` and `etuples` up front would add
about half of ``import graft``'s time for users who never unify. Instead
``import graft`` installs a finder that waits for the first of those packages
to be imported (by anyone) and, once that outermost import has finished,
imports `graft.graph.rewriting.unify`, which registers the dispatch rules.
If one of them was imported before graft, the rules are registered at once.

Example::

    import graft
    from unification import unify     # graft's rules are registered here
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Sequence
from importlib.machinery import ModuleSpec, PathFinder
from types import ModuleType
from typing import Any

WATCHED = ("unification", "cons", "etuples")
_TARGET = "graft.graph.rewriting.unify"


class _Loader:
    """Wraps a watched package's loader; fires once its outermost import is done."""

    def __init__(self, finder: _Finder, loader: Any) -> None:
        self._finder = finder
        self._loader = loader

    def create_module(self, spec: ModuleSpec) -> ModuleType | None:
        create = getattr(self._loader, "create_module", None)
        return None if create is None else create(spec)

    def exec_module(self, module: ModuleType) -> None:
        # Nested watched imports (etuples imports cons imports unification)
        # fire only after the outermost one, when every package is complete.
        self._finder.depth += 1
        try:
            self._loader.exec_module(module)
        finally:
            self._finder.depth -= 1
        if self._finder.depth == 0:
            self._finder.fire()


class _Finder:
    """A `sys.meta_path` finder that only wraps the loaders of `WATCHED` packages."""

    def __init__(self) -> None:
        self.depth = 0
        self.fired = False

    def find_spec(
        self, name: str, path: Sequence[str] | None = None, target: ModuleType | None = None
    ) -> ModuleSpec | None:
        if name not in WATCHED or self.fired:
            return None
        spec = PathFinder.find_spec(name, path, target)
        if spec is None or spec.loader is None:
            return None
        spec.loader = _Loader(self, spec.loader)  # type: ignore[assignment]
        return spec

    def fire(self) -> None:
        if self.fired:
            return
        self.fired = True
        if self in sys.meta_path:
            sys.meta_path.remove(self)
        importlib.import_module(_TARGET)


def install() -> None:
    """Register the unification rules now if a watched package is loaded, else on its import."""
    if _TARGET in sys.modules:
        return
    if any(name in sys.modules for name in WATCHED):
        importlib.import_module(_TARGET)
        return
    if not any(isinstance(f, _Finder) for f in sys.meta_path):
        sys.meta_path.insert(0, _Finder())
