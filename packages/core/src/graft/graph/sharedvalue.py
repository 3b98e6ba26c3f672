"""Shared variables: graph inputs whose value lives between calls of compiled functions.

A `SharedVariable` holds its value in a `Container`. `graft.function` feeds
every shared variable a graph uses from its container (no argument needed)
and writes ``updates`` back after each call. `shared` builds one from a value
with the newest registered constructor that accepts it (`shared_constructor`);
the tensor layer registers one for NumPy arrays and numbers, and anything else
falls back to the `generic` type.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any, TypeVar

import numpy as np

from graft.graph.basic import AtomicVariable, Variable
from graft.graph.generic import generic
from graft.graph.type import Type

__all__ = ["Container", "SharedVariable", "copy_value", "shared", "shared_constructor"]

_IMMUTABLE = (type(None), bool, int, float, complex, str, bytes, np.generic, frozenset)


def copy_value(value: Any) -> Any:
    """A copy of ``value`` that shares no mutable memory with it (immutables as they are)."""
    if isinstance(value, np.ndarray):
        return value.copy()
    if isinstance(value, _IMMUTABLE):
        return value
    return copy.deepcopy(value)


class Container:
    """The storage of a shared value: ``storage`` is a one-element list.

    Compiled functions read and write ``storage[0]`` directly; assigning
    ``value`` filters through the type first (``strict``/``allow_downcast`` as
    given at creation).

    Example::

        c = Container(int64, 0, name="n")
        c.value = 3          # filtered: np.int64(3)
        c.storage            # [np.int64(3)]
    """

    __slots__ = ("allow_downcast", "name", "storage", "strict", "type")

    def __init__(
        self,
        type: Type,
        value: Any,
        name: str | None = None,
        strict: bool = False,
        allow_downcast: bool | None = None,
    ) -> None:
        self.type = type
        self.name = name
        self.strict = strict
        self.allow_downcast = allow_downcast
        self.storage: list[Any] = [self.filter(value)]

    def filter(self, value: Any) -> Any:
        """``value`` filtered by the type; errors name this container."""
        try:
            return self.type.filter(value, strict=self.strict, allow_downcast=self.allow_downcast)
        except (TypeError, ValueError) as e:
            what = f"shared variable {self.name!r}" if self.name else "a shared variable"
            raise type(e)(
                f"cannot store {_short(value)} in {what} of type {self.type}: {e}"
            ) from None

    @property
    def value(self) -> Any:
        return self.storage[0]

    @value.setter
    def value(self, value: Any) -> None:
        self.storage[0] = self.filter(value)

    def __repr__(self) -> str:
        return f"<Container {self.name or ''} {self.type}: {_short(self.storage[0])}>"


def _short(value: Any) -> str:
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape} and dtype {value.dtype}"
    if isinstance(value, np.generic):
        return f"{value.item()!r} ({value.dtype})"  # not NumPy 2's np.int64(3)
    s = " ".join(repr(value).split())
    return s if len(s) <= 60 else s[:45] + "..." + s[-10:]


class SharedVariable(AtomicVariable):
    """A graph input whose value is stored with it and shared by compiled functions.

    ``get_value``/``set_value`` read and replace the value (filtered by the
    type). ``default_update``, when set to an expression, is used as the
    variable's update by every `graft.function` that uses it and gives no
    explicit update (unless ``no_default_updates``). Clones share the
    container, so a compiled function sees later ``set_value`` calls.

    Example::

        count = SharedVariable(int64, 0, name="count")
        step = function([], count, updates={count: count + 1})
        step(), step(), count.get_value()     # 0, 1, 2
    """

    default_update: Variable | None = None

    def __init__(
        self,
        type: Type,
        value: Any,
        strict: bool = False,
        allow_downcast: bool | None = None,
        container: Container | None = None,
        name: str | None = None,
    ) -> None:
        super().__init__(type, None, None, name)
        if container is None:
            container = Container(type, value, name, strict, allow_downcast)
        elif container.type != type:
            raise TypeError(
                f"SharedVariable {name or ''}: container type {container.type} differs "
                f"from the variable's type {type}"
            )
        self.container = container

    def get_value(self, borrow: bool = False, return_internal_type: bool = False) -> Any:
        """The current value; a copy unless ``borrow`` (then do not modify it).

        ``return_internal_type`` is accepted for compatibility: core types
        store values in their user-facing form.
        """
        value = self.container.storage[0]
        return value if borrow else copy_value(value)

    def set_value(self, value: Any, borrow: bool = False) -> None:
        """Replace the value (filtered by the type; `TypeError`/`ValueError` name this variable).

        Without ``borrow`` the value is copied, so later changes to the
        caller's object do not leak into the shared state.
        """
        new = self.container.filter(value)
        if not borrow and new is value:
            new = copy_value(new)
        self.container.storage[0] = new

    @property
    def value(self) -> Any:
        """The stored value itself (no copy); prefer `get_value`."""
        return self.container.storage[0]

    def __str__(self) -> str:
        return self.name if self.name is not None else f"<shared {self.type}>"


# ---------------------------------------------------------------------------
# Constructors
# ---------------------------------------------------------------------------

F = TypeVar("F", bound=Callable[..., SharedVariable])
_constructors: list[Callable[..., SharedVariable]] = []


def shared_constructor(ctor: F, remove: bool = False) -> F:
    """Register (or with ``remove=True`` unregister) a constructor used by `shared`.

    A constructor is called as ``ctor(value, name=..., strict=...,
    allow_downcast=..., **kwargs)`` and returns a `SharedVariable`, or raises
    `TypeError` to let older constructors try. The newest registered is
    tried first.

    Example::

        @shared_constructor
        def scalar_shared(value, name=None, strict=False, allow_downcast=None):
            if not isinstance(value, (int, np.integer)):
                raise TypeError("not an integer")
            return SharedVariable(int64, value, strict, allow_downcast, name=name)
    """
    if remove:
        if ctor in _constructors:
            _constructors.remove(ctor)
    elif ctor not in _constructors:
        _constructors.append(ctor)
    return ctor


@shared_constructor
def generic_constructor(
    value: Any,
    name: str | None = None,
    strict: bool = False,
    allow_downcast: bool | None = None,
    **kwargs: Any,
) -> SharedVariable:
    """The fallback: any Python object, as a `generic` shared variable (no options)."""
    if kwargs:
        raise TypeError(f"the generic shared constructor takes no options, got {sorted(kwargs)}")
    return SharedVariable(generic, value, strict, allow_downcast, name=name)


def shared(
    value: Any,
    name: str | None = None,
    strict: bool = False,
    allow_downcast: bool | None = None,
    **kwargs: Any,
) -> SharedVariable:
    """A `SharedVariable` holding ``value``, built by the newest constructor that accepts it.

    ``strict=True`` makes the type's filter refuse any conversion (now and in
    later ``set_value`` calls); ``allow_downcast`` allows lossy ones. The value
    is copied unless ``borrow=True``, so the shared variable does not alias the
    caller's object; constructors receive it already copied. Other keyword
    arguments go to the constructors (e.g. ``shape=`` for tensors).

    Example::

        w = shared(np.zeros(3), name="w")          # with graft.tensor imported
        state = shared({"seen": 0}, name="state")  # generic type
    """
    if isinstance(value, Variable):
        raise TypeError(
            f"shared() takes a value, not a graph Variable ({value}); "
            "use the variable directly, or `givens` to substitute it"
        )
    if not kwargs.pop("borrow", False):
        value = copy_value(value)
    refusals: list[str] = []
    for ctor in reversed(_constructors):
        try:
            return ctor(value, name=name, strict=strict, allow_downcast=allow_downcast, **kwargs)
        except TypeError as e:
            refusals.append(f"{getattr(ctor, '__qualname__', ctor)}: {e}")
    raise TypeError(
        f"no shared variable constructor accepts {_short(value)} "
        f"({type(value).__name__}) with options {sorted(kwargs)}:\n  " + "\n  ".join(refusals)
    )
