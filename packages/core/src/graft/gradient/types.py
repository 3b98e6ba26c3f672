"""Special gradient types and errors: `DisconnectedType`, `NullType`, `grad_undefined`."""

from __future__ import annotations

from typing import Any

from graft.graph.basic import Variable
from graft.graph.type import Type
from graft.scalar.type import continuous_dtypes, discrete_dtypes

_DISCRETE = frozenset(discrete_dtypes)
_CONTINUOUS = frozenset(continuous_dtypes)


# ---------------------------------------------------------------------------
# Errors and special gradient types
# ---------------------------------------------------------------------------


class DisconnectedInputError(ValueError):
    """`grad` was asked for the gradient w.r.t. a variable the cost does not depend on.

    Example::

        y = gt.dscalar("y")
        grad(x.sum(), y)   # raises DisconnectedInputError naming y
    """


class NullTypeGradError(TypeError):
    """An undefined (`NullType`) gradient reached a variable that `grad` was asked about.

    The message says which Op's gradient is undefined and why.
    """


class DisconnectedType(Type):
    """Type of gradients meaning "this input does not influence the output".

    An Op's ``L_op`` returns ``disconnected_type()`` for inputs that are not
    connected to its outputs (and its ``connection_pattern`` says so). Such a
    gradient has no value; `grad` treats it as an absent contribution.

    Example::

        def L_op(self, inputs, outputs, output_grads):
            return [output_grads[0], disconnected_type()]
    """

    __props__ = ()

    def filter(self, data: Any, strict: bool = False, allow_downcast: bool | None = None) -> Any:
        raise TypeError("a DisconnectedType gradient has no value; nothing can be assigned to it")

    def __str__(self) -> str:
        return "DisconnectedType"


#: Calling it (``disconnected_type()``) gives a fresh `DisconnectedType` variable.
disconnected_type = DisconnectedType()


class NullType(Type):
    """Type of undefined gradients; ``why_null`` says which Op and why.

    Build one with `grad_undefined` or `grad_not_implemented`. `grad` only
    raises when such a gradient reaches a requested ``wrt`` variable, so a
    graph may contain non-differentiable parts that the gradient never needs.

    Example::

        g = NullType("the gradient of round is undefined")()
        isinstance(g.type, NullType)   # True
    """

    __props__ = ("why_null",)

    def __init__(self, why_null: str = "(no explanation given)") -> None:
        self.why_null = why_null

    def filter(self, data: Any, strict: bool = False, allow_downcast: bool | None = None) -> Any:
        raise TypeError(f"a NullType gradient has no value: {self.why_null}")

    def __str__(self) -> str:
        return "NullType"


def grad_undefined(op: Any, x_pos: int, x: Any, comment: str = "") -> Variable:
    """A `NullType` gradient: input ``x_pos`` (``x``) of ``op`` has no mathematical gradient.

    Use it in ``L_op`` for inputs the gradient is undefined for; `grad`
    raises (naming ``op`` and ``comment``) only if it is actually needed.

    Example::

        def L_op(self, inputs, outputs, output_grads):
            return [grad_undefined(self, 0, inputs[0], "argmax is piecewise constant")]
    """
    why = f"the gradient of {op} w.r.t. its input {x_pos} ({x}) is mathematically undefined" + (
        f": {comment}" if comment else ""
    )
    return NullType(why)()


def grad_not_implemented(op: Any, x_pos: int, x: Any, comment: str = "") -> Variable:
    """A `NullType` gradient: input ``x_pos`` (``x``) of ``op`` has no implemented gradient.

    Like `grad_undefined`, for gradients that exist but that nobody wrote yet.

    Example::

        def L_op(self, inputs, outputs, output_grads):
            return [gz * 2, grad_not_implemented(self, 1, inputs[1])]
    """
    why = f"the gradient of {op} w.r.t. its input {x_pos} ({x}) is not implemented" + (
        f": {comment}" if comment else ""
    )
    return NullType(why)()


def _is_null(v: Variable) -> bool:
    return isinstance(v.type, NullType)


def _is_disconnected(v: Variable) -> bool:
    return isinstance(v.type, DisconnectedType)


def _dtype(v: Variable) -> str | None:
    return getattr(v.type, "dtype", None)


def _is_discrete(v: Variable) -> bool:
    return _dtype(v) in _DISCRETE


def _float_x() -> str:
    from graft.configparser import config

    return str(config.floatX)
