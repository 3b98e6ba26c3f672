"""Regularized incomplete gamma functions, their inverses, and the derivative in ``k``.

``gammainc(k, x)`` is ``P(k, x) = 1/Gamma(k) * integral_0^x t**(k-1) exp(-t) dt``
and ``gammaincc(k, x) == 1 - gammainc(k, x)`` is ``Q(k, x)``, as in
`scipy.special`; ``gammaincinv``/``gammainccinv`` invert them in ``x``. All
follow `graft.scalar.type.upgrade_to_float` (``gammainc(int8, int8)`` is
float32; SciPy computes in float64 or float32, float16 is rounded down).

Gradients: w.r.t. ``x`` the closed form ``x**(k-1) exp(-x) / Gamma(k)``;
w.r.t. ``k`` the op `GammaIncGrad` (``dP/dk``), computed by a series where
its terms share one sign (``x < k``) and by quadrature of ``Q``'s integral
otherwise, so that no cancellation costs precision. Its own derivative
w.r.t. ``k`` (a second derivative in ``k``) is not implemented: asking for it
gives a `NullType` gradient, which raises only if a requested gradient needs it.

Re-exported by `graft.scalar.special` and `graft.scalar.math`.

Example::

    from graft.scalar import float64, gammainc
    from graft.gradient import grad

    k, x = float64("k"), float64("x")
    p = gammainc(k, x)
    dk, dx = grad(p, [k, x])
"""

from __future__ import annotations

import math as pymath
from collections.abc import Callable
from typing import Any

import numpy as np

from graft.scalar.basic import BinaryScalarOp, VecFunc, neg

__all__ = [
    "GammaInc",
    "GammaIncC",
    "GammaIncCInv",
    "GammaIncGrad",
    "GammaIncInv",
    "gammainc",
    "gammainc_grad",
    "gammaincc",
    "gammainccinv",
    "gammaincinv",
]


def _dpdx(k: Any, x: Any) -> Any:
    """``d/dx gammainc(k, x) = exp((k-1) log x - x - gammaln(k))`` (``0 * log 0`` is 0)."""
    from graft.scalar.math import exp, xlogy0
    from graft.scalar.special import gammaln

    return exp(xlogy0(k - 1, x) - x - gammaln(k))


def _dpdk_scalar(k: float, x: float) -> float:
    """``d/dk gammainc(k, x)`` for float64 ``k`` and ``x``."""
    from scipy import integrate
    from scipy.special import gammaln, psi

    if not (k > 0.0 and x >= 0.0):
        return pymath.nan  # also NaN inputs; SciPy's gammainc is NaN there too
    if x == 0.0 or x == pymath.inf or k == pymath.inf:
        return 0.0
    if x < k:
        # P = exp(-x) sum_n x**(k+n) / Gamma(k+n+1), differentiated term by term:
        # every term has the sign of log(x) - psi(k+n+1) < 0, and their ratio
        # x / (k+n+1) < 1, so the sum converges without cancellation.
        lx = pymath.log(x)
        a = pymath.exp(k * lx - x - float(gammaln(k + 1.0)))
        d = float(psi(k + 1.0))
        total = 0.0
        for n in range(100_000):
            term = a * (lx - d)
            total += term
            if abs(term) <= 1e-17 * abs(total) or a == 0.0:
                break
            a *= x / (k + n + 1.0)
            d += 1.0 / (k + n + 1.0)
        return total
    # dP/dk = -dQ/dk = -integral_x^inf (log t - psi(k)) t**(k-1) exp(-t) / Gamma(k) dt;
    # for x >= k > exp(psi(k)) the integrand is positive: again no cancellation.
    lg, dg = float(gammaln(k)), float(psi(k))

    def integrand(t: float) -> float:
        lt = pymath.log(t)
        return pymath.exp((k - 1.0) * lt - t - lg) * (lt - dg)

    val, _ = integrate.quad(integrand, x, np.inf, epsabs=0.0, epsrel=1e-13, limit=200)
    return -float(val)


_dpdk = np.vectorize(_dpdk_scalar, otypes=[np.float64])


class GammaInc(BinaryScalarOp):
    """Regularized lower incomplete gamma ``P(k, x)`` (``scipy.special.gammainc``).

    ``k > 0``, ``x >= 0``; NaN outside. Gradients: ``gz * gammainc_grad(k, x)``
    w.r.t. ``k`` and ``gz * x**(k-1) * exp(-x) / gamma(k)`` w.r.t. ``x``.

    Example: ``gammainc(2.0, 1.0) == 1 - 2 / e``.
    """

    name = scipy_name = "gammainc"
    returns_float = True

    def _grad(self, inputs, output, gz):
        k, x = inputs
        return [gz * gammainc_grad(k, x), gz * _dpdx(k, x)]


class GammaIncC(BinaryScalarOp):
    """Regularized upper incomplete gamma ``Q(k, x) = 1 - P(k, x)`` (``scipy.special.gammaincc``).

    Gradients: the negatives of `GammaInc`'s.

    Example: ``gammaincc(1.0, x) == exp(-x)``.
    """

    name = scipy_name = "gammaincc"
    returns_float = True

    def _grad(self, inputs, output, gz):
        k, x = inputs
        return [neg(gz) * gammainc_grad(k, x), neg(gz) * _dpdx(k, x)]


class GammaIncInv(BinaryScalarOp):
    """``x`` with ``gammainc(k, x) == y`` (``scipy.special.gammaincinv``), for ``0 <= y <= 1``.

    Gradients (implicit function): ``dx/dy = 1 / dP/dx`` and
    ``dx/dk = -(dP/dk) / (dP/dx)`` at ``x = gammaincinv(k, y)``.

    Example: ``gammaincinv(1.0, y) == -log(1 - y)``.
    """

    name = scipy_name = "gammaincinv"
    returns_float = True

    def _grad(self, inputs, output, gz):
        k, _ = inputs
        dxdy = 1 / _dpdx(k, output)
        return [neg(gz) * gammainc_grad(k, output) * dxdy, gz * dxdy]


class GammaIncCInv(BinaryScalarOp):
    """``x`` with ``gammaincc(k, x) == y`` (``scipy.special.gammainccinv``), for ``0 <= y <= 1``.

    Gradients: ``dx/dy = -1 / dP/dx``, ``dx/dk = -(dP/dk) / (dP/dx)``.

    Example: ``gammainccinv(1.0, y) == -log(y)``.
    """

    name = scipy_name = "gammainccinv"
    returns_float = True

    def _grad(self, inputs, output, gz):
        k, _ = inputs
        dxdy = 1 / _dpdx(k, output)
        return [neg(gz) * gammainc_grad(k, output) * dxdy, neg(gz) * dxdy]


class GammaIncGrad(BinaryScalarOp):
    """``d/dk gammainc(k, x)``: the gradient of `GammaInc` w.r.t. its shape ``k``.

    Computed in float64 element by element (a series for ``x < k``, SciPy's
    ``quad`` of the upper integral otherwise), so it is slow on large arrays.
    0 at ``x == 0`` and ``x == inf``; NaN for ``k <= 0``, ``x < 0`` or NaN.
    Its gradient w.r.t. ``x`` is ``dP/dx * (log(x) - psi(k))``; w.r.t. ``k``
    it is not implemented (a `NullType` gradient).

    Example: ``gammainc_grad(k, x)`` is ``grad(gammainc(k, x), k)``.
    """

    name = "gammainc_grad"
    returns_float = True

    def make_ufunc(self) -> Callable[..., Any]:
        return VecFunc(_dpdk, 2, self.name)

    def _grad(self, inputs, output, gz):
        from graft.gradient.types import grad_not_implemented
        from graft.scalar.math import log
        from graft.scalar.special import psi

        k, x = inputs
        dk = grad_not_implemented(self, 0, k, "the second derivative in k")
        return [dk, gz * _dpdx(k, x) * (log(x) - psi(k))]


gammainc = GammaInc()
gammaincc = GammaIncC()
gammaincinv = GammaIncInv()
gammainccinv = GammaIncCInv()
gammainc_grad = GammaIncGrad()
