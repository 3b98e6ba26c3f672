"""`GenericType`: the type of arbitrary Python objects (the fallback of `graft.shared`)."""

from __future__ import annotations

from typing import Any

from graft.graph.type import Type

__all__ = ["GenericType", "generic"]


class GenericType(Type):
    """Any Python object; ``filter`` returns the value unchanged.

    Used for shared variables holding values no typed constructor claims
    (lists, dicts, random generators, ...). Two generic values are equal
    when ``==`` says so.

    Example::

        s = shared({"step": 0})      # a SharedVariable of type `generic`
        s.type is generic            # True
    """

    def filter(self, data: Any, strict: bool = False, allow_downcast: bool | None = None) -> Any:
        return data

    def is_valid_value(self, data: Any, strict: bool = True) -> bool:
        return True

    def __str__(self) -> str:
        return "generic"


generic = GenericType()
