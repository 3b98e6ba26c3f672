"""Transcendental scalar ops: exponentials, logarithms, powers and roots,
trigonometric and hyperbolic functions, and rounding.

Each op's ``ufunc`` is the NumPy ufunc of the same meaning. Output dtypes
are NumPy's for float inputs; integer and bool inputs follow
`graft.scalar.type.upgrade_to_float` (``exp(int8)`` is float32, where NumPy
gives float16; ``log(int64)`` is float64). ``floor``, ``ceil`` and ``trunc``
keep integer dtypes, as NumPy does. Special functions (erf, gamma, sigmoid,
...) are defined in `graft.scalar.special` and re-exported here.
"""

from __future__ import annotations

import math as pymath
from collections.abc import Callable
from typing import Any

import numpy as np

from graft.scalar.basic import (
    BinaryScalarOp,
    UnaryScalarOp,
    VecFunc,
    eq,
    neg,
    sqr,
    switch,
)

__all__ = [
    "ArcCos",
    "ArcCosh",
    "ArcSin",
    "ArcSinh",
    "ArcTan",
    "ArcTan2",
    "ArcTanh",
    "Cbrt",
    "Ceil",
    "Cos",
    "Cosh",
    "Deg2Rad",
    "Erf",
    "Erfc",
    "Erfcinv",
    "Erfcx",
    "Erfinv",
    "Exp",
    "Exp2",
    "Expm1",
    "Floor",
    "Gamma",
    "GammaInc",
    "GammaIncC",
    "GammaIncCInv",
    "GammaIncGrad",
    "GammaIncInv",
    "GammaLn",
    "Hypot",
    "Log",
    "Log10",
    "Log1mExp",
    "Log1p",
    "Log2",
    "LogAddExp",
    "PolyGamma",
    "Psi",
    "Rad2Deg",
    "RoundHalfAwayFromZero",
    "RoundHalfToEven",
    "Sigmoid",
    "Sin",
    "Sinh",
    "Softplus",
    "Sqrt",
    "Tan",
    "Tanh",
    "TriGamma",
    "Trunc",
    "XlogX",
    "XlogY0",
    "arccos",
    "arccosh",
    "arcsin",
    "arcsinh",
    "arctan",
    "arctan2",
    "arctanh",
    "cbrt",
    "ceil",
    "cos",
    "cosh",
    "deg2rad",
    "erf",
    "erfc",
    "erfcinv",
    "erfcx",
    "erfinv",
    "exp",
    "exp2",
    "expit",
    "expm1",
    "floor",
    "gamma",
    "gammainc",
    "gammainc_grad",
    "gammaincc",
    "gammainccinv",
    "gammaincinv",
    "gammaln",
    "hypot",
    "log",
    "log10",
    "log1mexp",
    "log1p",
    "log1pexp",
    "log2",
    "logaddexp",
    "polygamma",
    "psi",
    "rad2deg",
    "round_half_away_from_zero",
    "round_half_to_even",
    "sigmoid",
    "sin",
    "sinh",
    "softplus",
    "sqrt",
    "tan",
    "tanh",
    "tri_gamma",
    "trunc",
    "xlogx",
    "xlogy0",
]

_LN2 = pymath.log(2.0)
_LN10 = pymath.log(10.0)


# ---------------------------------------------------------------------------
# Exponentials and logarithms
# ---------------------------------------------------------------------------


class Exp(UnaryScalarOp):
    """``exp(x)``; ``exp(int8)`` is float32 (`upgrade_to_float`). Gradient ``gz * exp(x)``."""

    name = numpy_name = "exp"
    returns_float = True

    def _grad(self, inputs, output, gz):
        return [gz * output]


class Exp2(UnaryScalarOp):
    """``exp2(x) == 2 ** x``. Gradient ``gz * exp2(x) * log(2)``."""

    name = numpy_name = "exp2"
    returns_float = True

    def _grad(self, inputs, output, gz):
        return [gz * output * _LN2]


class Expm1(UnaryScalarOp):
    """``expm1(x) == exp(x) - 1``, accurate near 0. Gradient ``gz * (expm1(x) + 1)``."""

    name = numpy_name = "expm1"
    returns_float = True

    def _grad(self, inputs, output, gz):
        return [gz * (output + 1)]


class Log(UnaryScalarOp):
    """Natural logarithm (``-inf`` at 0, NaN below). Gradient ``gz / x``."""

    name = numpy_name = "log"
    returns_float = True

    def _grad(self, inputs, output, gz):
        return [gz / inputs[0]]


class Log2(UnaryScalarOp):
    """Base-2 logarithm. Gradient ``gz / (x * log(2))``."""

    name = numpy_name = "log2"
    returns_float = True

    def _grad(self, inputs, output, gz):
        return [gz / (inputs[0] * _LN2)]


class Log10(UnaryScalarOp):
    """Base-10 logarithm. Gradient ``gz / (x * log(10))``."""

    name = numpy_name = "log10"
    returns_float = True

    def _grad(self, inputs, output, gz):
        return [gz / (inputs[0] * _LN10)]


class Log1p(UnaryScalarOp):
    """``log1p(x) == log(1 + x)``, accurate near 0. Gradient ``gz / (1 + x)``."""

    name = numpy_name = "log1p"
    returns_float = True

    def _grad(self, inputs, output, gz):
        return [gz / (inputs[0] + 1)]


class LogAddExp(BinaryScalarOp):
    """``logaddexp(x, y) == log(exp(x) + exp(y))`` without overflow (NumPy ``logaddexp``).

    Gradient: ``gz * exp(x - z)`` and ``gz * exp(y - z)``.
    """

    name = numpy_name = "logaddexp"
    returns_float = True

    def _grad(self, inputs, output, gz):
        x, y = inputs
        return [gz * exp(x - output), gz * exp(y - output)]


def _xlogy0(x: Any, y: Any) -> Any:
    x, y = np.asarray(x), np.asarray(y)
    # 0 where x == 0 whatever y is (also 0, inf or NaN); the zero has the product's dtype.
    prod = x * np.log(y)
    return np.where(x == 0, np.zeros((), prod.dtype), prod)


class XlogX(UnaryScalarOp):
    """``xlogx(x) == x * log(x)``, with ``xlogx(0) == 0`` (its limit); NaN for ``x < 0``.

    Gradient ``gz * (1 + log(x))`` (``-inf`` at 0).

    Example: ``xlogx(float64("p"))``, the terms of an entropy ``-sum(p log p)``.
    """

    name = "xlogx"
    returns_float = True

    def make_ufunc(self) -> Callable[..., Any]:
        return VecFunc(lambda x: _xlogy0(x, x), 1, self.name)

    def _grad(self, inputs, output, gz):
        return [gz * (log(inputs[0]) + 1)]


class XlogY0(BinaryScalarOp):
    """``xlogy0(x, y) == x * log(y)``, and 0 wherever ``x == 0`` (even for ``y`` 0, inf or NaN).

    Gradients: ``gz * log(y)`` w.r.t. ``x``; ``gz * x / y`` w.r.t. ``y`` (0 where ``x == 0``).

    Example: ``xlogy0(k, p)``, the terms of a log-likelihood ``sum(k log p)``.
    """

    name = "xlogy0"
    returns_float = True

    def make_ufunc(self) -> Callable[..., Any]:
        return VecFunc(_xlogy0, 2, self.name)

    def _grad(self, inputs, output, gz):
        x, y = inputs
        return [gz * log(y), switch(eq(x, 0), 0, gz * x / y)]


# ---------------------------------------------------------------------------
# Roots
# ---------------------------------------------------------------------------


class Sqrt(UnaryScalarOp):
    """Square root (NaN for negative reals). Gradient ``gz / (2 * sqrt(x))``."""

    name = numpy_name = "sqrt"
    returns_float = True

    def _grad(self, inputs, output, gz):
        return [gz / (output * 2)]


class Cbrt(UnaryScalarOp):
    """Real cube root (``cbrt(-8) == -2``). Gradient ``gz / (3 * cbrt(x) ** 2)``."""

    name = numpy_name = "cbrt"
    returns_float = True

    def _grad(self, inputs, output, gz):
        return [gz / (sqr(output) * 3)]


class Hypot(BinaryScalarOp):
    """``hypot(x, y) == sqrt(x*x + y*y)`` without overflow. Gradient ``gz * x / z``, ``gz * y / z``."""

    name = numpy_name = "hypot"
    returns_float = True

    def _grad(self, inputs, output, gz):
        x, y = inputs
        return [gz * x / output, gz * y / output]


# ---------------------------------------------------------------------------
# Trigonometric
# ---------------------------------------------------------------------------


class Sin(UnaryScalarOp):
    """Sine (radians). Gradient ``gz * cos(x)``."""

    name = numpy_name = "sin"
    returns_float = True

    def _grad(self, inputs, output, gz):
        return [gz * cos(inputs[0])]


class Cos(UnaryScalarOp):
    """Cosine (radians). Gradient ``-gz * sin(x)``."""

    name = numpy_name = "cos"
    returns_float = True

    def _grad(self, inputs, output, gz):
        return [neg(gz) * sin(inputs[0])]


class Tan(UnaryScalarOp):
    """Tangent (radians). Gradient ``gz * (1 + tan(x) ** 2)``."""

    name = numpy_name = "tan"
    returns_float = True

    def _grad(self, inputs, output, gz):
        return [gz * (sqr(output) + 1)]


class ArcSin(UnaryScalarOp):
    """Inverse sine, in [-pi/2, pi/2]. Gradient ``gz / sqrt(1 - x*x)``."""

    name = numpy_name = "arcsin"
    returns_float = True

    def _grad(self, inputs, output, gz):
        return [gz / sqrt(1 - sqr(inputs[0]))]


class ArcCos(UnaryScalarOp):
    """Inverse cosine, in [0, pi]. Gradient ``-gz / sqrt(1 - x*x)``."""

    name = numpy_name = "arccos"
    returns_float = True

    def _grad(self, inputs, output, gz):
        return [neg(gz) / sqrt(1 - sqr(inputs[0]))]


class ArcTan(UnaryScalarOp):
    """Inverse tangent. Gradient ``gz / (1 + x*x)``."""

    name = numpy_name = "arctan"
    returns_float = True

    def _grad(self, inputs, output, gz):
        return [gz / (sqr(inputs[0]) + 1)]


class ArcTan2(BinaryScalarOp):
    """``arctan2(y, x)``: the angle of the point (x, y), in [-pi, pi].

    Gradient: ``gz * x / (x*x + y*y)`` w.r.t. ``y`` and ``-gz * y / (x*x + y*y)`` w.r.t. ``x``.
    """

    name = numpy_name = "arctan2"
    returns_float = True

    def _grad(self, inputs, output, gz):
        y, x = inputs
        r2 = sqr(x) + sqr(y)
        return [gz * x / r2, neg(gz) * y / r2]


class Deg2Rad(UnaryScalarOp):
    """Degrees to radians: ``deg2rad(x) == x * pi / 180``."""

    name = numpy_name = "deg2rad"
    returns_float = True

    def _grad(self, inputs, output, gz):
        return [gz * (pymath.pi / 180)]


class Rad2Deg(UnaryScalarOp):
    """Radians to degrees: ``rad2deg(x) == x * 180 / pi``."""

    name = numpy_name = "rad2deg"
    returns_float = True

    def _grad(self, inputs, output, gz):
        return [gz * (180 / pymath.pi)]


# ---------------------------------------------------------------------------
# Hyperbolic
# ---------------------------------------------------------------------------


class Sinh(UnaryScalarOp):
    """Hyperbolic sine. Gradient ``gz * cosh(x)``."""

    name = numpy_name = "sinh"
    returns_float = True

    def _grad(self, inputs, output, gz):
        return [gz * cosh(inputs[0])]


class Cosh(UnaryScalarOp):
    """Hyperbolic cosine. Gradient ``gz * sinh(x)``."""

    name = numpy_name = "cosh"
    returns_float = True

    def _grad(self, inputs, output, gz):
        return [gz * sinh(inputs[0])]


class Tanh(UnaryScalarOp):
    """Hyperbolic tangent. Gradient ``gz * (1 - tanh(x) ** 2)``."""

    name = numpy_name = "tanh"
    returns_float = True

    def _grad(self, inputs, output, gz):
        return [gz * (1 - sqr(output))]


class ArcSinh(UnaryScalarOp):
    """Inverse hyperbolic sine. Gradient ``gz / sqrt(x*x + 1)``."""

    name = numpy_name = "arcsinh"
    returns_float = True

    def _grad(self, inputs, output, gz):
        return [gz / sqrt(sqr(inputs[0]) + 1)]


class ArcCosh(UnaryScalarOp):
    """Inverse hyperbolic cosine (x >= 1). Gradient ``gz / sqrt(x*x - 1)``."""

    name = numpy_name = "arccosh"
    returns_float = True

    def _grad(self, inputs, output, gz):
        return [gz / sqrt(sqr(inputs[0]) - 1)]


class ArcTanh(UnaryScalarOp):
    """Inverse hyperbolic tangent (|x| < 1). Gradient ``gz / (1 - x*x)``."""

    name = numpy_name = "arctanh"
    returns_float = True

    def _grad(self, inputs, output, gz):
        return [gz / (1 - sqr(inputs[0]))]


# ---------------------------------------------------------------------------
# Rounding (piecewise constant: zero gradient)
# ---------------------------------------------------------------------------


class Floor(UnaryScalarOp):
    """Largest integer <= x (NumPy ``floor``: integer inputs keep their dtype)."""

    name = numpy_name = "floor"

    def _grad(self, inputs, output, gz):
        return [None]


class Ceil(UnaryScalarOp):
    """Smallest integer >= x (NumPy ``ceil``: integer inputs keep their dtype)."""

    name = numpy_name = "ceil"

    def _grad(self, inputs, output, gz):
        return [None]


class Trunc(UnaryScalarOp):
    """Round towards zero (NumPy ``trunc``)."""

    name = numpy_name = "trunc"

    def _grad(self, inputs, output, gz):
        return [None]


class RoundHalfToEven(UnaryScalarOp):
    """Round to the nearest integer, ties to even (NumPy ``rint``: ``2.5 -> 2.0``).

    A float: integer inputs give float32 or float64 (`upgrade_to_float`).
    """

    name = "round_half_to_even"
    returns_float = True
    numpy_name = "rint"

    def _grad(self, inputs, output, gz):
        return [None]


class RoundHalfAwayFromZero(UnaryScalarOp):
    """Round to the nearest integer, ties away from zero (``2.5 -> 3.0``, ``-2.5 -> -3.0``).

    Same dtype as ``round_half_to_even``: integer inputs give floats (`upgrade_to_float`).
    """

    name = "round_half_away_from_zero"
    returns_float = True

    def make_ufunc(self) -> Callable[..., Any]:
        def impl(x: Any) -> Any:
            # Integer inputs arrive as floats (FloatUfunc): only float or complex here.
            x = np.asarray(x)
            dtype = np.rint(np.zeros(0, x.dtype)).dtype
            t = np.trunc(x)
            frac = np.abs(x - t)
            # Exact: |x - trunc(x)| is computed without rounding error.
            r = np.where(frac >= 0.5, t + np.copysign(np.ones_like(t), x), t)
            return r.astype(dtype)

        return VecFunc(impl, 1, self.name)

    def _grad(self, inputs, output, gz):
        return [None]


exp = Exp()
exp2 = Exp2()
expm1 = Expm1()
log = Log()
log2 = Log2()
log10 = Log10()
log1p = Log1p()
logaddexp = LogAddExp()
xlogx = XlogX()
xlogy0 = XlogY0()
sqrt = Sqrt()
cbrt = Cbrt()
hypot = Hypot()
sin = Sin()
cos = Cos()
tan = Tan()
arcsin = ArcSin()
arccos = ArcCos()
arctan = ArcTan()
arctan2 = ArcTan2()
deg2rad = Deg2Rad()
rad2deg = Rad2Deg()
sinh = Sinh()
cosh = Cosh()
tanh = Tanh()
arcsinh = ArcSinh()
arccosh = ArcCosh()
arctanh = ArcTanh()
floor = Floor()
ceil = Ceil()
trunc = Trunc()
round_half_to_even = RoundHalfToEven()
round_half_away_from_zero = RoundHalfAwayFromZero()

# Special functions live in their own module (size); PyTensor users look for
# them in ``scalar.math``. special.py imports this module only lazily.
from graft.scalar.special import (  # noqa: E402
    Erf,
    Erfc,
    Erfcinv,
    Erfcx,
    Erfinv,
    Gamma,
    GammaInc,
    GammaIncC,
    GammaIncCInv,
    GammaIncGrad,
    GammaIncInv,
    GammaLn,
    Log1mExp,
    PolyGamma,
    Psi,
    Sigmoid,
    Softplus,
    TriGamma,
    erf,
    erfc,
    erfcinv,
    erfcx,
    erfinv,
    expit,
    gamma,
    gammainc,
    gammainc_grad,
    gammaincc,
    gammainccinv,
    gammaincinv,
    gammaln,
    log1mexp,
    log1pexp,
    polygamma,
    psi,
    sigmoid,
    softplus,
    tri_gamma,
)
