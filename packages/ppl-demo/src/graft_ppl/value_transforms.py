"""Value transforms: map a constrained value to an unconstrained one, with the log-Jacobian.

A transform has ``forward(x)`` (constrained -> unconstrained, for initial
points), ``backward(u)`` (unconstrained -> constrained) and
``log_jac_det(u)`` = ``log |d backward / du|`` summed over the support
dimensions, so ``logp(backward(u)) + log_jac_det(u)`` is the density of
``u``. `conditional_logp` applies them (``transforms="default"`` picks
`default_transform` for every valued variable): the user works on the
unconstrained space without writing any of this.

Example::

    t = Interval(0.0, 10.0)
    u = gt.dvector("u")
    x = t.backward(u)            # in (0, 10)
    j = t.log_jac_det(u)         # elementwise log-Jacobian
"""

from __future__ import annotations

from typing import Any

import graft.tensor as gt
import graft.tensor.random as gr
from graft.graph.basic import Apply
from graft.tensor.type import TensorType

__all__ = [
    "Interval",
    "Log",
    "LogOdds",
    "LowerBound",
    "Ordered",
    "Simplex",
    "Transform",
    "default_transform",
    "interval",
    "log",
    "logodds",
    "ordered",
    "simplex",
]


class Transform:
    """Base class: subclasses define `forward`, `backward` and `log_jac_det`."""

    name = "transform"
    #: Dimensions of the support (1: the last axis is transformed as a whole).
    ndim_supp = 0

    def forward(self, x: Any) -> Any:
        """Constrained -> unconstrained."""
        raise NotImplementedError

    def backward(self, u: Any) -> Any:
        """Unconstrained -> constrained."""
        raise NotImplementedError

    def log_jac_det(self, u: Any) -> Any:
        """``log |d backward(u) / du|`` (summed over the last axis when ``ndim_supp`` is 1)."""
        raise NotImplementedError

    def unconstrained_type(self, rv_type: Any) -> TensorType:
        """The type of the unconstrained value of a variable of type ``rv_type``."""
        return TensorType(rv_type.dtype, rv_type.shape)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class Log(Transform):
    """Positive values: ``u = log(x)``."""

    name = "log"

    def forward(self, x: Any) -> Any:
        return gt.log(x)

    def backward(self, u: Any) -> Any:
        return gt.exp(u)

    def log_jac_det(self, u: Any) -> Any:
        return gt.as_tensor_variable(u)


class LowerBound(Transform):
    """Values above ``lower``: ``u = log(x - lower)``."""

    name = "lowerbound"

    def __init__(self, lower: Any) -> None:
        self.lower = lower

    def forward(self, x: Any) -> Any:
        return gt.log(x - self.lower)

    def backward(self, u: Any) -> Any:
        return gt.exp(u) + self.lower

    def log_jac_det(self, u: Any) -> Any:
        return gt.as_tensor_variable(u)


class LogOdds(Transform):
    """Values in (0, 1): ``u = log(x / (1 - x))``."""

    name = "logodds"

    def forward(self, x: Any) -> Any:
        return gt.log(x) - gt.log1p(-x)

    def backward(self, u: Any) -> Any:
        return gt.sigmoid(u)

    def log_jac_det(self, u: Any) -> Any:
        return -gt.softplus(-u) - gt.softplus(u)


class Interval(Transform):
    """Values in (lower, upper): ``x = lower + (upper - lower) * sigmoid(u)``."""

    name = "interval"

    def __init__(self, lower: Any, upper: Any) -> None:
        self.lower = lower
        self.upper = upper

    def forward(self, x: Any) -> Any:
        return gt.log(x - self.lower) - gt.log(self.upper - x)

    def backward(self, u: Any) -> Any:
        return self.lower + (self.upper - self.lower) * gt.sigmoid(u)

    def log_jac_det(self, u: Any) -> Any:
        return gt.log(self.upper - self.lower) - gt.softplus(-u) - gt.softplus(u)


class Ordered(Transform):
    """Increasing vectors (last axis): ``x[0] = u[0]``, ``x[i] = x[i-1] + exp(u[i])``."""

    name = "ordered"
    ndim_supp = 1

    def forward(self, x: Any) -> Any:
        return gt.concatenate([x[..., :1], gt.log(x[..., 1:] - x[..., :-1])], axis=-1)

    def backward(self, u: Any) -> Any:
        steps = gt.concatenate([u[..., :1], gt.exp(u[..., 1:])], axis=-1)
        return gt.cumsum(steps, axis=-1)

    def log_jac_det(self, u: Any) -> Any:
        return gt.sum(u[..., 1:], axis=-1)


class Simplex(Transform):
    """Points of the simplex (last axis, length k) from R^(k-1), by stick-breaking.

    ``z_i = sigmoid(u_i - log(k - 1 - i))`` is the fraction of the remaining
    stick given to ``x_i``; the offsets make ``u = 0`` the uniform point.
    """

    name = "simplex"
    ndim_supp = 1

    def _offsets(self, km1: Any) -> Any:
        return gt.log(gt.cast(km1 - gt.arange(km1), "float64"))

    def forward(self, x: Any) -> Any:
        x = gt.as_tensor_variable(x)
        head = x[..., :-1]
        km1 = head.shape[-1]
        used = gt.cumsum(head, axis=-1) - head
        z = head / (1 - used)
        return gt.log(z) - gt.log1p(-z) + self._offsets(km1)

    def backward(self, u: Any) -> Any:
        u = gt.as_tensor_variable(u)
        t = u - self._offsets(u.shape[-1])
        log_z = -gt.softplus(-t)
        log_1mz = -gt.softplus(t)
        log_rest = gt.cumsum(log_1mz, axis=-1) - log_1mz  # stick left before step i
        last = gt.sum(log_1mz, axis=-1, keepdims=True)
        return gt.exp(gt.concatenate([log_z + log_rest, last], axis=-1))

    def log_jac_det(self, u: Any) -> Any:
        u = gt.as_tensor_variable(u)
        t = u - self._offsets(u.shape[-1])
        log_z = -gt.softplus(-t)
        log_1mz = -gt.softplus(t)
        log_rest = gt.cumsum(log_1mz, axis=-1) - log_1mz
        return gt.sum(log_z + log_1mz + log_rest, axis=-1)

    def unconstrained_type(self, rv_type: Any) -> TensorType:
        k = rv_type.shape[-1]
        return TensorType(rv_type.dtype, (*rv_type.shape[:-1], None if k is None else k - 1))


log = Log()
logodds = LogOdds()
simplex = Simplex()
ordered = Ordered()


def interval(lower: Any, upper: Any) -> Interval:
    """An `Interval` transform onto (lower, upper)."""
    return Interval(lower, upper)


def _is_zero(v: Any) -> bool:
    try:
        return float(gt.get_underlying_scalar_constant_value(v)) == 0.0
    except Exception:
        return False


def default_transform(node: Apply) -> Transform | None:
    """The transform `conditional_logp` uses for a draw of ``node`` under
    ``transforms="default"`` (None: the support is already unconstrained).

    Positive support -> `Log` (`LowerBound` at ``loc`` for the half
    distributions), (0, 1) -> `LogOdds`, uniform -> `Interval` on its bounds,
    dirichlet -> `Simplex`.
    """
    op = node.op
    params = node.inputs[2:]
    if isinstance(op, gr.HalfNormalRV | gr.HalfCauchyRV):
        return log if _is_zero(params[0]) else LowerBound(params[0])
    if isinstance(op, gr.GammaRV | gr.ExponentialRV | gr.InvGammaRV | gr.LogNormalRV):
        return log
    if isinstance(op, gr.BetaRV):
        return logodds
    if isinstance(op, gr.UniformRV):
        return Interval(params[0], params[1])
    if isinstance(op, gr.DirichletRV):
        return simplex
    return None
