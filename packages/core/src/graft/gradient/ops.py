"""Identity ops with special gradients: `consider_constant`, `zero_grad`, `disconnected_grad`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from graft.gradient.core import _zeros_like
from graft.gradient.types import _dtype, disconnected_type
from graft.graph.basic import Apply, Variable
from graft.graph.op import Op

# ---------------------------------------------------------------------------
# Identity ops with special gradients
# ---------------------------------------------------------------------------


def _as_variable(x: Any) -> Variable:
    if isinstance(x, Variable):
        return x
    from graft.tensor.basic import as_tensor_variable

    return as_tensor_variable(x)


class _GradientIdentity(Op):
    """An identity (a view of its input) whose gradient is special."""

    __props__ = ()
    view_map = {0: [0]}

    def make_node(self, x: Any) -> Apply:
        x = _as_variable(x)
        return Apply(self, [x], [x.type()])

    def perform(self, node: Apply, inputs: Sequence[Any], output_storage: list[list[Any]]) -> None:
        output_storage[0][0] = inputs[0]

    def infer_shape(self, fgraph: Any, node: Apply, input_shapes: list[Any]) -> list[Any]:
        return list(input_shapes)

    def R_op(self, inputs: Sequence[Variable], eval_points: Sequence[Variable]) -> list[Variable]:
        return [_zeros_like(inputs[0]) if eval_points[0] is not None else None]  # type: ignore[list-item]


class ConsiderConstant(_GradientIdentity):
    """Identity whose gradient is zero: ``consider_constant(x)`` is ``x`` treated as a constant.

    Example::

        y = consider_constant(x) * x
        grad(y.sum(), x)    # x (only the second factor is differentiated)
    """

    def L_op(
        self,
        inputs: Sequence[Variable],
        outputs: Sequence[Variable],
        output_grads: Sequence[Variable],
    ) -> list[Variable]:
        return [_zeros_like(inputs[0], _dtype(output_grads[0]))]

    def __str__(self) -> str:
        return "ConsiderConstant"


class ZeroGrad(_GradientIdentity):
    """Identity whose gradient (and R_op) is zero; see `zero_grad`.

    Example::

        grad((zero_grad(x) ** 2).sum(), x)   # zeros
    """

    def L_op(
        self,
        inputs: Sequence[Variable],
        outputs: Sequence[Variable],
        output_grads: Sequence[Variable],
    ) -> list[Variable]:
        return [_zeros_like(inputs[0], _dtype(output_grads[0]))]

    def __str__(self) -> str:
        return "ZeroGrad"


class DisconnectedGrad(_GradientIdentity):
    """Identity that cuts the gradient path: its input counts as disconnected; see `disconnected_grad`.

    Example::

        grad((disconnected_grad(x) * y).sum(), x)   # raises DisconnectedInputError
    """

    def L_op(
        self,
        inputs: Sequence[Variable],
        outputs: Sequence[Variable],
        output_grads: Sequence[Variable],
    ) -> list[Variable]:
        return [disconnected_type()]

    def connection_pattern(self, node: Apply) -> list[list[bool]]:
        return [[False]]

    def R_op(self, inputs: Sequence[Variable], eval_points: Sequence[Variable]) -> list[Variable]:
        return [None]  # type: ignore[list-item]

    def __str__(self) -> str:
        return "DisconnectedGrad"


_consider_constant = ConsiderConstant()
_zero_grad = ZeroGrad()
_disconnected_grad = DisconnectedGrad()


def consider_constant(x: Any) -> Variable:
    """``x`` unchanged, but with a zero gradient (gradients do not flow into ``x``'s graph).

    Example::

        y = consider_constant(x) * x
        grad(y.sum(), x)    # x, not 2 * x
    """
    return _consider_constant(x)  # type: ignore[no-any-return]


def zero_grad(x: Any) -> Variable:
    """``x`` unchanged, with a zero gradient and a zero R_op.

    Example::

        grad((zero_grad(x) * x).sum(), x)   # x
    """
    return _zero_grad(x)  # type: ignore[no-any-return]


def disconnected_grad(x: Any) -> Variable:
    """``x`` unchanged, but disconnected for gradients: `grad` w.r.t. ``x`` through it sees no path.

    Example::

        y = disconnected_grad(x) * x
        grad(y.sum(), x)    # x; grad((disconnected_grad(x) * 2).sum(), x) raises
    """
    return _disconnected_grad(x)  # type: ignore[no-any-return]
