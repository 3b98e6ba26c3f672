"""Special scalar functions: logistic family, error functions, gamma family.

Re-exported by `graft.scalar.math` (where PyTensor users look for them).

Most ``ufunc``\\ s are `scipy.special` ufuncs, imported on first use; their
output dtypes are SciPy's. SciPy has no float16 loops and lists its float64
loop first, so float16 and integer inputs give float64 here
(``sigmoid(float16)`` is float64, ``sigmoid(float32)`` float32) where the
NumPy ufuncs of `graft.scalar.math` would give float16. ``softplus`` and
``log1mexp`` are computed with NumPy and follow ``exp``'s dtype.
"""

from __future__ import annotations

import math as pymath
from collections.abc import Callable
from typing import Any

import numpy as np

from graft.scalar.basic import BinaryScalarOp, UnaryScalarOp, VecFunc, neg, sqr

__all__ = [
    "Erf",
    "Erfc",
    "Erfcinv",
    "Erfcx",
    "Erfinv",
    "Gamma",
    "GammaLn",
    "Log1mExp",
    "PolyGamma",
    "Psi",
    "Sigmoid",
    "Softplus",
    "TriGamma",
    "erf",
    "erfc",
    "erfcinv",
    "erfcx",
    "erfinv",
    "gamma",
    "gammaln",
    "log1mexp",
    "polygamma",
    "psi",
    "sigmoid",
    "softplus",
    "tri_gamma",
]

_2_OVER_SQRT_PI = 2.0 / pymath.sqrt(pymath.pi)
_SQRT_PI_OVER_2 = pymath.sqrt(pymath.pi) / 2.0
_LN2 = pymath.log(2.0)


# ---------------------------------------------------------------------------
# Logistic family
# ---------------------------------------------------------------------------


class Sigmoid(UnaryScalarOp):
    """Logistic function ``1 / (1 + exp(-x))`` (``scipy.special.expit``; no overflow).

    Gradient ``gz * s * (1 - s)`` with ``s = sigmoid(x)``.
    """

    name = "sigmoid"
    scipy_name = "expit"

    def _grad(self, inputs, output, gz):
        return [gz * output * (1 - output)]


def _softplus(x: Any) -> Any:
    x = np.asarray(x)
    # logaddexp(0, x) = max(x, 0) + log1p(exp(-|x|)): no overflow for large
    # x, and log1p keeps full precision for very negative x. The zero has x's
    # dtype so that the result dtype is exp's.
    return np.logaddexp(np.zeros((), x.dtype), x)


class Softplus(UnaryScalarOp):
    """``softplus(x) == log(1 + exp(x))``, stable for large and very negative ``x``.

    ``softplus(1000.0) == 1000.0`` and ``softplus(-50.0) == exp(-50.0)`` to
    full precision. Gradient ``gz * sigmoid(x)``.
    """

    name = "softplus"

    def make_ufunc(self) -> Callable[..., Any]:
        return VecFunc(_softplus, 1, self.name)

    def _grad(self, inputs, output, gz):
        return [gz * sigmoid(inputs[0])]


def _log1mexp(x: Any) -> Any:
    x = np.asarray(x)
    dtype = np.exp(np.zeros(0, x.dtype)).dtype
    out = np.empty(x.shape, dtype)
    # log1p(-exp(x)) is accurate for x < -log 2, log(-expm1(x)) above
    # (Maechler 2012). Each branch only sees its own inputs, so the only
    # warnings are NumPy's domain warnings (x > 0: NaN, x == 0: -inf).
    lo = x < -_LN2
    hi = ~lo
    out[lo] = np.log1p(-np.exp(x[lo]))
    out[hi] = np.log(-np.expm1(x[hi]))
    return out


class Log1mExp(UnaryScalarOp):
    """``log1mexp(x) == log(1 - exp(x))`` for ``x <= 0``, accurate over the whole range.

    Gradient ``-gz * exp(x - log1mexp(x))`` (``= -gz * exp(x) / (1 - exp(x))``,
    without overflow).
    """

    name = "log1mexp"

    def make_ufunc(self) -> Callable[..., Any]:
        return VecFunc(_log1mexp, 1, self.name)

    def _grad(self, inputs, output, gz):
        from graft.scalar.math import exp

        return [neg(gz) * exp(inputs[0] - output)]


# ---------------------------------------------------------------------------
# Error functions
# ---------------------------------------------------------------------------


class Erf(UnaryScalarOp):
    """Error function. Gradient ``gz * 2 / sqrt(pi) * exp(-x*x)``."""

    name = scipy_name = "erf"

    def _grad(self, inputs, output, gz):
        from graft.scalar.math import exp

        return [gz * _2_OVER_SQRT_PI * exp(neg(sqr(inputs[0])))]


class Erfc(UnaryScalarOp):
    """Complementary error function ``1 - erf(x)``. Gradient ``-gz * 2 / sqrt(pi) * exp(-x*x)``."""

    name = scipy_name = "erfc"

    def _grad(self, inputs, output, gz):
        from graft.scalar.math import exp

        return [neg(gz) * _2_OVER_SQRT_PI * exp(neg(sqr(inputs[0])))]


class Erfcx(UnaryScalarOp):
    """Scaled complementary error function ``exp(x*x) * erfc(x)``.

    Gradient ``gz * (2 * x * erfcx(x) - 2 / sqrt(pi))``.
    """

    name = scipy_name = "erfcx"

    def _grad(self, inputs, output, gz):
        return [gz * (inputs[0] * output * 2 - _2_OVER_SQRT_PI)]


class Erfinv(UnaryScalarOp):
    """Inverse error function on (-1, 1). Gradient ``gz * sqrt(pi) / 2 * exp(erfinv(x)**2)``."""

    name = scipy_name = "erfinv"

    def _grad(self, inputs, output, gz):
        from graft.scalar.math import exp

        return [gz * _SQRT_PI_OVER_2 * exp(sqr(output))]


class Erfcinv(UnaryScalarOp):
    """Inverse of ``erfc`` on (0, 2). Gradient ``-gz * sqrt(pi) / 2 * exp(erfcinv(x)**2)``."""

    name = scipy_name = "erfcinv"

    def _grad(self, inputs, output, gz):
        from graft.scalar.math import exp

        return [neg(gz) * _SQRT_PI_OVER_2 * exp(sqr(output))]


# ---------------------------------------------------------------------------
# Gamma family
# ---------------------------------------------------------------------------


class Gamma(UnaryScalarOp):
    """Gamma function. Gradient ``gz * gamma(x) * psi(x)``."""

    name = scipy_name = "gamma"

    def _grad(self, inputs, output, gz):
        return [gz * output * psi(inputs[0])]


class GammaLn(UnaryScalarOp):
    """``log(|gamma(x)|)`` (``scipy.special.gammaln``). Gradient ``gz * psi(x)``."""

    name = scipy_name = "gammaln"

    def _grad(self, inputs, output, gz):
        return [gz * psi(inputs[0])]


class Psi(UnaryScalarOp):
    """Digamma function ``d/dx log(gamma(x))`` (``scipy.special.psi``). Gradient ``gz * tri_gamma(x)``."""

    name = scipy_name = "psi"

    def _grad(self, inputs, output, gz):
        return [gz * tri_gamma(inputs[0])]


class TriGamma(UnaryScalarOp):
    """Trigamma function ``d/dx psi(x)``, computed as Hurwitz ``zeta(2, x)``.

    Gradient ``gz * polygamma(2, x)``.
    """

    name = "tri_gamma"

    def make_ufunc(self) -> Callable[..., Any]:
        from scipy.special import zeta

        return VecFunc(lambda x: zeta(2.0, x), 1, self.name)

    def _grad(self, inputs, output, gz):
        return [gz * polygamma(2, inputs[0])]


class PolyGamma(BinaryScalarOp):
    """``polygamma(n, x)``, the n-th derivative of ``psi`` (``scipy.special.polygamma``).

    ``n`` is a non-negative integer; the result is float64 (SciPy computes it
    through ``gamma(n + 1)``). Gradient w.r.t. ``x``: ``gz * polygamma(n + 1, x)``.
    """

    name = "polygamma"

    def make_ufunc(self) -> Callable[..., Any]:
        from scipy.special import polygamma as sp_polygamma

        return VecFunc(sp_polygamma, 2, self.name)

    def weak_group(self, n: int) -> tuple[int, ...]:
        # A Python int ``n`` stays int64 instead of taking x's float dtype.
        return (1,)

    def _grad(self, inputs, output, gz):
        n, x = inputs
        return [None, gz * polygamma(n + 1, x)]


sigmoid = Sigmoid()
softplus = Softplus()
log1mexp = Log1mExp()
erf = Erf()
erfc = Erfc()
erfcx = Erfcx()
erfinv = Erfinv()
erfcinv = Erfcinv()
gamma = Gamma()
gammaln = GammaLn()
psi = Psi()
tri_gamma = TriGamma()
polygamma = PolyGamma()
