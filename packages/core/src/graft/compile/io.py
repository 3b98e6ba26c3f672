"""`In` and `Out`: how `graft.function` treats each of its inputs and outputs."""

from __future__ import annotations

from typing import Any

from graft.graph.basic import Variable

__all__ = ["In", "Out"]


class _NoValue:
    """The "no default" marker of `In`; pickles as itself."""

    __slots__ = ()

    def __reduce__(self) -> str:
        return "_NO_VALUE"

    def __repr__(self) -> str:
        return "<no value>"


_NO_VALUE: Any = _NoValue()


class In:
    """An input of `graft.function`, with a name, a default value and options.

    - ``name``: the keyword to pass it by (default: the variable's name).
    - ``value``: a default used when the call does not give the input; with
      ``update``, the default is a state replaced after each call by the value
      of the ``update`` expression (computed from this call's inputs).
    - ``mutable``: the compiled function may overwrite the value passed in
      (in-place rewrites); default False (True when ``update`` is given).
    - ``strict``: refuse any conversion of the value (exact type only);
      ``allow_downcast`` allows lossy conversions for this input (default:
      the function's ``allow_input_downcast``).
    - ``borrow``: the caller promises not to reuse the value it passes, so
      an ``Out(..., borrow=True)`` output or an update may alias it (default
      False: results that would alias it are copied).

    Example::

        x, y = float64("x"), float64("y")
        f = function([x, In(y, value=1.0)], x + y)
        f(2.0), f(2.0, 3.0), f(x=2.0, y=4.0)     # 3.0, 5.0, 6.0

        acc = float64("acc")
        g = function([x, In(acc, value=0.0, update=acc + x)], acc + x)
        g(1.0), g(2.0)                             # 1.0, 3.0  (acc is kept)
    """

    __slots__ = (
        "allow_downcast",
        "borrow",
        "implicit",
        "mutable",
        "name",
        "strict",
        "update",
        "value",
        "variable",
    )

    def __init__(
        self,
        variable: Variable,
        name: str | None = None,
        value: Any = _NO_VALUE,
        update: Variable | None = None,
        mutable: bool | None = None,
        strict: bool = False,
        allow_downcast: bool | None = None,
        autoname: bool = True,
        implicit: bool = False,
        borrow: bool = False,
    ) -> None:
        if not isinstance(variable, Variable):
            raise TypeError(
                f"In() takes a graph Variable, got {type(variable).__name__}: {variable!r}"
            )
        if name is None and autoname:
            name = variable.name
        if name is not None and not isinstance(name, str):
            raise TypeError(f"In(): name must be a str, got {name!r}")
        if update is not None and not isinstance(update, Variable):
            raise TypeError(f"In({name or variable}): update must be a Variable, got {update!r}")
        if update is not None and value is _NO_VALUE:
            raise ValueError(
                f"In({name or variable}): an update needs a value (the initial state)"
            )
        self.variable = variable
        self.name = name
        self.value = value
        self.update = update
        self.mutable = bool(update is not None) if mutable is None else bool(mutable)
        self.strict = strict
        self.allow_downcast = allow_downcast
        self.implicit = implicit
        self.borrow = borrow

    @property
    def has_value(self) -> bool:
        """Whether this input has a default value."""
        return self.value is not _NO_VALUE

    def __repr__(self) -> str:
        extra = ", value=..." if self.has_value else ""
        return f"In({self.name or self.variable}{extra})"


class Out:
    """An output of `graft.function`.

    ``borrow=True`` lets the function return a value that may alias a
    constant, a shared variable's storage, another borrowed output or an
    input passed as ``In(..., borrow=True)`` without copying it; by default
    such outputs are copied, so changing a returned array never changes the
    function's state, the caller's inputs or other returned arrays (see
    `graft.compile.aliasing`).

    Example::

        f = function([x], Out(x * 2, borrow=True))
    """

    __slots__ = ("borrow", "variable")

    def __init__(self, variable: Variable, borrow: bool = False) -> None:
        if not isinstance(variable, Variable):
            raise TypeError(
                f"Out() takes a graph Variable, got {type(variable).__name__}: {variable!r}"
            )
        self.variable = variable
        self.borrow = borrow

    def __repr__(self) -> str:
        return f"Out({self.variable}, borrow={self.borrow})"
