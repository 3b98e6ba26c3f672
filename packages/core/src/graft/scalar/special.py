"""Special scalar functions: logistic family, error functions, gamma family.

Re-exported by `graft.scalar.math` (where PyTensor users look for them).

Most ``ufunc``\\ s are `scipy.special` ufuncs, imported on first use. Every
op here returns floats and follows `graft.scalar.type.upgrade_to_float`:
``sigmoid(int8)`` is float32, ``erf(int64)`` float64, ``gamma(float16)``
float16. SciPy has no float16 loops, so float16 inputs are computed in
float64 and the result rounded to float16. ``softplus``, ``log1mexp`` and
the ``xlogx`` family are computed with NumPy.
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
    "GammaInc",
    "GammaIncC",
    "GammaIncCInv",
    "GammaIncGrad",
    "GammaIncInv",
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
    "expit",
    "gamma",
    "gammainc",
    "gammainc_grad",
    "gammaincc",
    "gammainccinv",
    "gammaincinv",
    "gammaln",
    "log1mexp",
    "log1pexp",
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
    returns_float = True
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
    returns_float = True

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
    returns_float = True

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
    returns_float = True

    def _grad(self, inputs, output, gz):
        from graft.scalar.math import exp

        return [gz * _2_OVER_SQRT_PI * exp(neg(sqr(inputs[0])))]


class Erfc(UnaryScalarOp):
    """Complementary error function ``1 - erf(x)``. Gradient ``-gz * 2 / sqrt(pi) * exp(-x*x)``."""

    name = scipy_name = "erfc"
    returns_float = True

    def _grad(self, inputs, output, gz):
        from graft.scalar.math import exp

        return [neg(gz) * _2_OVER_SQRT_PI * exp(neg(sqr(inputs[0])))]


class Erfcx(UnaryScalarOp):
    """Scaled complementary error function ``exp(x*x) * erfc(x)``.

    Gradient ``gz * (2 * x * erfcx(x) - 2 / sqrt(pi))``.
    """

    name = scipy_name = "erfcx"
    returns_float = True

    def _grad(self, inputs, output, gz):
        return [gz * (inputs[0] * output * 2 - _2_OVER_SQRT_PI)]


class Erfinv(UnaryScalarOp):
    """Inverse error function on (-1, 1). Gradient ``gz * sqrt(pi) / 2 * exp(erfinv(x)**2)``."""

    name = scipy_name = "erfinv"
    returns_float = True

    def _grad(self, inputs, output, gz):
        from graft.scalar.math import exp

        return [gz * _SQRT_PI_OVER_2 * exp(sqr(output))]


class Erfcinv(UnaryScalarOp):
    """Inverse of ``erfc`` on (0, 2). Gradient ``-gz * sqrt(pi) / 2 * exp(erfcinv(x)**2)``."""

    name = scipy_name = "erfcinv"
    returns_float = True

    def _grad(self, inputs, output, gz):
        from graft.scalar.math import exp

        return [neg(gz) * _SQRT_PI_OVER_2 * exp(sqr(output))]


# ---------------------------------------------------------------------------
# Gamma family
# ---------------------------------------------------------------------------


class Gamma(UnaryScalarOp):
    """Gamma function. Gradient ``gz * gamma(x) * psi(x)``."""

    name = scipy_name = "gamma"
    returns_float = True

    def _grad(self, inputs, output, gz):
        return [gz * output * psi(inputs[0])]


class GammaLn(UnaryScalarOp):
    """``log(|gamma(x)|)`` (``scipy.special.gammaln``). Gradient ``gz * psi(x)``.

    For subnormal ``x`` SciPy returns inf (it overflows computing ``1/x``);
    graft returns the finite ``-log|x|`` there (``gamma(x) ~ 1/x`` near 0),
    as C's ``lgamma`` does.
    """

    name = scipy_name = "gammaln"
    returns_float = True

    def make_ufunc(self) -> Callable[..., Any]:
        import scipy.special

        def gammaln(x: Any) -> Any:
            out = np.asarray(scipy.special.gammaln(x))
            ax = np.abs(x)
            tiny = (ax > 0) & (ax < np.finfo(out.dtype).tiny)
            if np.any(tiny):
                with np.errstate(all="ignore"):
                    out = np.where(tiny, -np.log(ax), out).astype(out.dtype)
            return out[()] if out.ndim == 0 else out

        return VecFunc(gammaln, 1, "gammaln")

    def _grad(self, inputs, output, gz):
        return [gz * psi(inputs[0])]


class Psi(UnaryScalarOp):
    """Digamma function ``d/dx log(gamma(x))`` (``scipy.special.psi``). Gradient ``gz * tri_gamma(x)``."""

    name = scipy_name = "psi"
    returns_float = True

    def _grad(self, inputs, output, gz):
        return [gz * tri_gamma(inputs[0])]


class TriGamma(UnaryScalarOp):
    """Trigamma function ``d/dx psi(x)``, computed as Hurwitz ``zeta(2, x)``.

    Gradient ``gz * polygamma(2, x)``.
    """

    name = "tri_gamma"
    returns_float = True

    def make_ufunc(self) -> Callable[..., Any]:
        from scipy.special import zeta

        return VecFunc(lambda x: zeta(2.0, x), 1, self.name)

    def _grad(self, inputs, output, gz):
        return [gz * polygamma(2, inputs[0])]


class PolyGamma(BinaryScalarOp):
    """``polygamma(n, x)``, the n-th derivative of ``psi`` (``scipy.special.polygamma``).

    ``n`` is a non-negative integer; the dtype is `upgrade_to_float` of ``x``
    alone (``polygamma(1, float32)`` is float32; SciPy computes in float64).
    Gradient w.r.t. ``x``: ``gz * polygamma(n + 1, x)``.
    """

    name = "polygamma"
    returns_float = True
    float_inputs = (1,)

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
# SciPy's and PyTensor's other names for them.
expit = sigmoid
log1pexp = softplus
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

# Incomplete gamma functions: their own module (size), listed here with the gamma family.
from graft.scalar.gammainc import (  # noqa: E402
    GammaInc,
    GammaIncC,
    GammaIncCInv,
    GammaIncGrad,
    GammaIncInv,
    gammainc,
    gammainc_grad,
    gammaincc,
    gammainccinv,
    gammaincinv,
)
