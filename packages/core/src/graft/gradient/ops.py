"""Identity ops with special gradients.

`consider_constant`, `zero_grad`, `disconnected_grad` cut or zero the
gradient; `grad_clip` and `grad_scale` clip or scale it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from graft.gradient.core import _zeros_like
from graft.gradient.types import _CONTINUOUS, _dtype, disconnected_type
from graft.graph.basic import Apply, Variable
from graft.graph.op import Op
from graft.tensor.basic import (
    NotScalarConstantError,
    as_tensor_variable,
    cast,
    get_underlying_scalar_constant_value,
)
from graft.tensor.math import clip
from graft.tensor.type import TensorType

# ---------------------------------------------------------------------------
# Identity ops with special gradients
# ---------------------------------------------------------------------------


def _as_variable(x: Any) -> Variable:
    if isinstance(x, Variable):
        return x

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
        return [_zeros_like(inputs[0]) if eval_points[0] is not None else None]


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
    return _consider_constant(x)


def zero_grad(x: Any) -> Variable:
    """``x`` unchanged, with a zero gradient and a zero R_op.

    Example::

        grad((zero_grad(x) * x).sum(), x)   # x
    """
    return _zero_grad(x)


def disconnected_grad(x: Any) -> Variable:
    """``x`` unchanged, but disconnected for gradients: `grad` w.r.t. ``x`` through it sees no path.

    Example::

        y = disconnected_grad(x) * x
        grad(y.sum(), x)    # x; grad((disconnected_grad(x) * 2).sum(), x) raises
    """
    return _disconnected_grad(x)


# ---------------------------------------------------------------------------
# Identity ops that transform the gradient: grad_clip, grad_scale
# ---------------------------------------------------------------------------


def _bound(op: Any, what: str, v: Any) -> Variable:
    """A 0-d real tensor for a bound or factor of ``op``; TypeError naming it otherwise."""

    try:
        t = as_tensor_variable(v)
    except TypeError as e:
        raise TypeError(f"{op}: {what} must be a real number or a 0-d tensor: {e}") from None
    tt = t.type
    if not isinstance(tt, TensorType) or tt.ndim != 0 or tt.numpy_dtype.kind not in "biuf":
        raise TypeError(f"{op}: {what} must be a real 0-d tensor, got {t} of type {t.type}")
    return t


def _const_value(v: Variable) -> float | None:
    try:
        return float(get_underlying_scalar_constant_value(v))
    except NotScalarConstantError:
        return None


def _like_grad(g: Any, gz: Variable) -> Variable:
    """``g`` with the dtype of the output gradient ``gz`` (bounds must not upcast it)."""
    dt = _dtype(gz)
    if dt in _CONTINUOUS and _dtype(g) != dt:
        return cast(g, dt)
    return g


class _GradTransform(Op):
    """Identity on its first input; the other (0-d) inputs only parametrize the gradient."""

    __props__ = ()
    view_map = {0: [0]}
    _params: tuple[str, ...] = ()

    def make_node(self, x: Any, *params: Any) -> Apply:
        if len(params) != len(self._params):
            raise TypeError(f"{self} takes {1 + len(self._params)} inputs, got {1 + len(params)}")
        x = as_tensor_variable(x)
        ps = [_bound(self, what, p) for what, p in zip(self._params, params)]
        return Apply(self, [x, *ps], [x.type()])

    def perform(self, node: Apply, inputs: Sequence[Any], output_storage: list[list[Any]]) -> None:
        output_storage[0][0] = inputs[0]

    def infer_shape(self, fgraph: Any, node: Apply, input_shapes: list[Any]) -> list[Any]:
        return [input_shapes[0]]

    def connection_pattern(self, node: Apply) -> list[list[bool]]:
        return [[True]] + [[False] for _ in node.inputs[1:]]

    def R_op(self, inputs: Sequence[Variable], eval_points: Sequence[Variable]) -> list[Variable]:
        # The forward map is the identity.
        return [eval_points[0]]


class GradClip(_GradTransform):
    """Identity whose gradient is clipped elementwise to ``[lower, upper]``; see `grad_clip`.

    Inputs: ``x``, ``lower``, ``upper`` (0-d; the bounds are not differentiated).

    Example::

        y = GradClip()(x, -1.0, 1.0)
    """

    _params = ("lower", "upper")

    def L_op(
        self,
        inputs: Sequence[Variable],
        outputs: Sequence[Variable],
        output_grads: Sequence[Variable],
    ) -> list[Variable]:
        _, lower, upper = inputs
        (gz,) = output_grads
        return [_like_grad(clip(gz, lower, upper), gz), disconnected_type(), disconnected_type()]

    def __str__(self) -> str:
        return "GradClip"


class GradScale(_GradTransform):
    """Identity whose gradient is multiplied by ``multiplier``; see `grad_scale`.

    Inputs: ``x`` and ``multiplier`` (0-d; not differentiated).

    Example::

        y = GradScale()(x, 0.5)
    """

    _params = ("multiplier",)

    def L_op(
        self,
        inputs: Sequence[Variable],
        outputs: Sequence[Variable],
        output_grads: Sequence[Variable],
    ) -> list[Variable]:
        _, m = inputs
        (gz,) = output_grads
        return [_like_grad(gz * m, gz), disconnected_type()]  # type: ignore[operator]

    def __str__(self) -> str:
        return "GradScale"


_grad_clip = GradClip()
_grad_scale = GradScale()


def grad_clip(x: Any, lower: Any, upper: Any) -> Variable:
    """``x`` unchanged, but the gradient flowing back through it is clipped to ``[lower, upper]``.

    ``lower`` and ``upper`` are numbers or 0-d tensors; constant bounds with
    ``lower > upper`` are a ValueError.

    Example::

        x = gt.dvector("x")
        g = grad((grad_clip(x, -1.0, 1.0) ** 3).sum(), x)   # clip(3 * x**2, -1, 1)
    """
    lo, hi = _bound(_grad_clip, "lower", lower), _bound(_grad_clip, "upper", upper)
    lv, hv = _const_value(lo), _const_value(hi)
    if lv is not None and hv is not None and lv > hv:
        raise ValueError(f"grad_clip: lower bound {lv} is greater than upper bound {hv}")
    return _grad_clip(x, lo, hi)


def grad_scale(x: Any, multiplier: Any) -> Variable:
    """``x`` unchanged, but the gradient flowing back through it is multiplied by ``multiplier``.

    ``multiplier`` is a number or a 0-d tensor (symbolic values are fine).

    Example::

        x = gt.dscalar("x")
        g = grad(grad_scale(x, 2.0) ** 2, x)   # 2 * (2 * x)
    """
    return _grad_scale(x, multiplier)
