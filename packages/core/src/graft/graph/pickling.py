"""Flat pickling of graphs, and the slot state of graph objects (internals of `graft.graph.basic`).

Pickling follows object references recursively, so a deep graph would blow
the stack. Before the first owned variable or node of a graph is pickled, a
"prelude" pickles all of its not-yet-covered ancestor nodes in topological
order; every later reference is then a memo hit and the pickle stack stays
shallow. The same mechanism serves `copy.deepcopy`.

Example (what ``Apply.__reduce_ex__`` returns for the first node of a graph)::

    (_second, (_Prelude(node.outputs, io_toposort), node, _PreludeEnd()))
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from graft.graph.basic import Apply, Variable

    #: ``io_toposort(inputs, outputs, stop=...)`` (passed in: this module sits below basic)
    Toposort = Callable[..., Iterable[Apply]]

__all__ = [
    "_CONSTANT_SLOTS",
    "_Prelude",
    "_PreludeEnd",
    "_SlotState",
    "_all_slots",
    "_covered",
    "_has_extra_state",
    "_new_object",
    "_noop",
    "_second",
]

_pickling = threading.local()


def _covered() -> set[Apply] | None:
    return getattr(_pickling, "covered", None)


class _Prelude:
    __slots__ = ("roots", "toposort")

    def __init__(self, roots: Sequence[Variable], toposort: Toposort) -> None:
        self.roots = roots
        self.toposort = toposort

    def __reduce_ex__(self, protocol: Any) -> Any:
        covered = _covered()
        if covered is None:
            covered = _pickling.covered = set()
            _pickling.depth = 0
        _pickling.depth += 1
        nodes = [n for n in self.toposort((), self.roots, stop=covered) if n not in covered]
        covered.update(nodes)
        return (_noop, (tuple(nodes),))


class _PreludeEnd:
    __slots__ = ()

    def __reduce_ex__(self, protocol: Any) -> Any:
        _pickling.depth -= 1
        if _pickling.depth <= 0:
            _pickling.covered = None
        return (_noop, ())


def _noop(*args: Any) -> None:
    return None


def _second(prelude: Any, obj: Any, end: Any = None) -> Any:
    return obj


def _new_object(cls: type[object]) -> Any:
    return cls.__new__(cls)


_slot_cache: dict[type, tuple[str, ...]] = {}


def _all_slots(cls: type) -> tuple[str, ...]:
    try:
        return _slot_cache[cls]
    except KeyError:
        names: list[str] = []
        for klass in reversed(cls.__mro__):
            for s in getattr(klass, "__slots__", ()):
                if s not in ("__weakref__", "__dict__") and s not in names:
                    names.append(s)
        _slot_cache[cls] = tuple(names)
        return _slot_cache[cls]


_BASE_VARIABLE_SLOTS = ("type", "owner", "index", "name", "_tag")
_CONSTANT_SLOTS = (*_BASE_VARIABLE_SLOTS, "data")
_extra_state_cache: dict[type, bool] = {}


def _has_extra_state(cls: type) -> bool:
    """Whether a Variable subclass carries state beyond the base slots."""
    try:
        return _extra_state_cache[cls]
    except KeyError:
        # Compared as sets: _all_slots lists a class's slots in its own order.
        extra = set(_all_slots(cls)) != set(_BASE_VARIABLE_SLOTS) or "__dict__" in dir(cls)
        _extra_state_cache[cls] = extra
        return extra


class _SlotState:
    """Pickle/copy helpers for slotted graph objects (subclasses may add a __dict__)."""

    __slots__ = ()

    def __getstate__(self) -> dict[str, Any]:
        state = {}
        for name in _all_slots(type(self)):
            try:
                state[name] = object.__getattribute__(self, name)
            except AttributeError:
                pass
        d = getattr(self, "__dict__", None)
        if d:
            state.update(d)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        for k, v in state.items():
            object.__setattr__(self, k, v)
