"""Small shared pieces of the graph layer: props-based identity, scratchpads, errors."""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, Any, ClassVar

# the graph layer's errors live in graft.errors; re-exported where users import them
from graft.errors import InconsistencyError as InconsistencyError
from graft.errors import MethodNotDefined as MethodNotDefined
from graft.errors import MissingInputError as MissingInputError

_GRAFT_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class Scratchpad:
    """A free-form attribute bag (``node.tag``, ``var.tag``) for rewriters and debuggers."""

    def __repr__(self) -> str:
        return f"scratchpad{self.__dict__}"

    def __copy__(self) -> Scratchpad:
        cp = Scratchpad()
        cp.__dict__.update(self.__dict__)
        return cp

    def update(self, other: Scratchpad) -> None:
        self.__dict__.update(other.__dict__)

    if TYPE_CHECKING:
        # Free-form attributes (``tag.trace``, ``tag.values_eq_approx``, ...):
        # declared for the type checker only, so runtime lookup is unchanged and
        # a missing attribute still raises AttributeError.
        def __getattr__(self, name: str) -> Any: ...

        def __setattr__(self, name: str, value: Any) -> None: ...


class Props:
    """Value identity from ``__props__``.

    A subclass lists the attribute names that define it in ``__props__``; two
    instances are equal (and hash alike) when they have the same class and the
    same values for those attributes. Instances are treated as immutable.

    Example::

        class Scale(Op):
            __props__ = ("factor",)

            def __init__(self, factor):
                self.factor = factor

        assert Scale(2) == Scale(2) and hash(Scale(2)) == hash(Scale(2))
    """

    __props__: ClassVar[tuple[str, ...]] = ()

    def _props(self) -> tuple[Any, ...]:
        return tuple(getattr(self, a) for a in self.__props__)

    def _props_dict(self) -> dict[str, Any]:
        return {a: getattr(self, a) for a in self.__props__}

    def __eq__(self, other: object) -> bool:
        if self is other:
            return True
        # The cached hashes settle almost every unequal pair without building props tuples.
        return (
            type(self) is type(other)
            and hash(self) == hash(other)
            and self._props() == other._props()
        )

    def __ne__(self, other: object) -> bool:
        return not self.__eq__(other)

    def __hash__(self) -> int:
        # Ops and types are immutable, and dispatch hashes them constantly: cache it.
        d = getattr(self, "__dict__", None)
        if d is not None:
            h = d.get("_props_hash")
            if h is not None:
                return h
        h = hash((type(self), self._props())) if self.__props__ else hash(type(self))
        if d is not None:
            d["_props_hash"] = h
        return h

    def __getstate__(self) -> dict[str, Any]:
        # The cached hash depends on this process's type ids: never pickle it.
        state = dict(getattr(self, "__dict__", {}))
        state.pop("_props_hash", None)
        return state

    def __str__(self) -> str:
        name = getattr(self, "name", None) or type(self).__name__
        if not self.__props__:
            return name
        # A lone prop prints bare, as in ``Elemwise{add}``.
        if len(self.__props__) == 1:
            return f"{name}{{{getattr(self, self.__props__[0])}}}"
        inner = ", ".join(f"{a}={getattr(self, a)!r}" for a in self.__props__)
        return f"{name}{{{inner}}}"


def user_frame(skip_graft: bool = True) -> tuple[str, int, str] | None:
    """Return ``(filename, lineno, function)`` of the innermost frame outside graft.

    Cheap enough to call for every new node: it walks frames without building a
    traceback, so runtime errors can name the user's line that built a node.
    """
    frame = sys._getframe(1)
    while frame is not None:
        fn = frame.f_code.co_filename
        if not (skip_graft and fn.startswith(_GRAFT_DIR)):
            return (fn, frame.f_lineno, frame.f_code.co_name)
        frame = frame.f_back  # type: ignore[assignment]
    return None
