"""The `Type` protocol: what values a `Variable` may hold."""

from __future__ import annotations

from typing import Any, ClassVar

from graft.graph.basic import Constant, Variable
from graft.graph.utils import Props


class Type(Props):
    """Describes the set of values a variable may take, and how to coerce to it.

    Types compare by ``__props__``. Subclasses implement `filter`; the rest has
    sensible defaults.

    Example::

        class NonNegativeInt(Type):
            def filter(self, data, strict=False, allow_downcast=None):
                if isinstance(data, int) and data >= 0:
                    return data
                raise TypeError(f"expected an int >= 0, got {data!r}")

        n = NonNegativeInt()("n")      # a Variable of that type
        assert NonNegativeInt().is_valid_value(3)
    """

    variable_type: ClassVar[type[Variable]] = Variable
    constant_type: ClassVar[type[Constant]] = Constant

    def filter(self, data: Any, strict: bool = False, allow_downcast: bool | None = None) -> Any:
        """Return ``data`` coerced to this type, or raise `TypeError` saying why not.

        With ``strict=True`` no conversion at all is done; ``allow_downcast``
        permits lossy conversions (e.g. float64 → float32).
        """
        raise NotImplementedError(f"{type(self).__name__}.filter")

    def filter_inplace(self, value: Any, storage: Any, strict: bool = False) -> Any:
        return self.filter(value, strict)

    def is_valid_value(self, data: Any, strict: bool = True) -> bool:
        """True if ``data`` is a value of this type (without conversion when strict)."""
        try:
            self.filter(data, strict=strict)
            return True
        except (TypeError, ValueError):
            return False

    def is_super(self, otype: Type) -> bool:
        """True if every value of ``otype`` is a value of this type."""
        return self == otype

    def in_same_class(self, otype: Type) -> bool:
        return self == otype

    def convert_variable(self, var: Variable) -> Variable | None:
        """Return ``var`` (or a conversion of it) as a variable of this type, or None."""
        if self.is_super(var.type):
            return var
        return None

    def filter_variable(self, other: Any, allow_convert: bool = True) -> Variable:
        """Turn ``other`` (a variable or a value) into a variable of this type, or raise TypeError."""
        if not isinstance(other, Variable):
            return self.make_constant(self.filter(other))
        if other.type == self:
            return other
        if allow_convert:
            conv = self.convert_variable(other)
            if conv is not None:
                return conv
        raise TypeError(f"cannot use {other} of type {other.type} where type {self} is expected")

    def make_variable(self, name: str | None = None) -> Variable:
        return self.variable_type(self, None, name=name)

    def make_constant(self, value: Any, name: str | None = None) -> Constant:
        return self.constant_type(self, value, name=name)

    def __call__(self, name: str | None = None) -> Variable:
        return self.make_variable(name)

    def values_eq(self, a: Any, b: Any) -> bool:
        return bool(a == b)

    def values_eq_approx(self, a: Any, b: Any) -> bool:
        return self.values_eq(a, b)

    def clone(self, **kwargs: Any) -> Type:
        props = self._props_dict()
        props.update(kwargs)
        return type(self)(**props)

    def __repr__(self) -> str:
        return str(self)
