"""Transcendental scalar ops: exponentials, logarithms, powers and roots,
trigonometric and hyperbolic functions, and rounding.

Each op's ``ufunc`` is the NumPy ufunc of the same meaning, so output dtypes
are NumPy's (``exp(int8)`` is float16, ``log(int64)`` is float64). Special
functions (erf, gamma, sigmoid, ...) are defined in `graft.scalar.special`
and re-exported here.
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
    neg,
    sqr,
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
    "GammaLn",
    "Hypot",
    "Log",
    "Log1mExp",
    "Log1p",
    "Log2",
    "Log10",
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
    "expm1",
    "floor",
    "gamma",
    "gammaln",
    "hypot",
    "log",
    "log1mexp",
    "log1p",
    "log2",
    "log10",
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
]

_LN2 = pymath.log(2.0)
_LN10 = pymath.log(10.0)


# ---------------------------------------------------------------------------
# Exponentials and logarithms
# ---------------------------------------------------------------------------


class Exp(UnaryScalarOp):
    """``exp(x)``; ``exp(int8)`` is float16 as in NumPy. Gradient ``gz * exp(x)``."""

    name = numpy_name = "exp"

    def _grad(self, inputs, output, gz):
        return [gz * output]


class Exp2(UnaryScalarOp):
    """``exp2(x) == 2 ** x``. Gradient ``gz * exp2(x) * log(2)``."""

    name = numpy_name = "exp2"

    def _grad(self, inputs, output, gz):
        return [gz * output * _LN2]


class Expm1(UnaryScalarOp):
    """``expm1(x) == exp(x) - 1``, accurate near 0. Gradient ``gz * (expm1(x) + 1)``."""

    name = numpy_name = "expm1"

    def _grad(self, inputs, output, gz):
        return [gz * (output + 1)]


class Log(UnaryScalarOp):
    """Natural logarithm (``-inf`` at 0, NaN below). Gradient ``gz / x``."""

    name = numpy_name = "log"

    def _grad(self, inputs, output, gz):
        return [gz / inputs[0]]


class Log2(UnaryScalarOp):
    """Base-2 logarithm. Gradient ``gz / (x * log(2))``."""

    name = numpy_name = "log2"

    def _grad(self, inputs, output, gz):
        return [gz / (inputs[0] * _LN2)]


class Log10(UnaryScalarOp):
    """Base-10 logarithm. Gradient ``gz / (x * log(10))``."""

    name = numpy_name = "log10"

    def _grad(self, inputs, output, gz):
        return [gz / (inputs[0] * _LN10)]


class Log1p(UnaryScalarOp):
    """``log1p(x) == log(1 + x)``, accurate near 0. Gradient ``gz / (1 + x)``."""

    name = numpy_name = "log1p"

    def _grad(self, inputs, output, gz):
        return [gz / (inputs[0] + 1)]


class LogAddExp(BinaryScalarOp):
    """``logaddexp(x, y) == log(exp(x) + exp(y))`` without overflow (NumPy ``logaddexp``).

    Gradient: ``gz * exp(x - z)`` and ``gz * exp(y - z)``.
    """

    name = numpy_name = "logaddexp"

    def _grad(self, inputs, output, gz):
        x, y = inputs
        return [gz * exp(x - output), gz * exp(y - output)]


# ---------------------------------------------------------------------------
# Roots
# ---------------------------------------------------------------------------


class Sqrt(UnaryScalarOp):
    """Square root (NaN for negative reals). Gradient ``gz / (2 * sqrt(x))``."""

    name = numpy_name = "sqrt"

    def _grad(self, inputs, output, gz):
        return [gz / (output * 2)]


class Cbrt(UnaryScalarOp):
    """Real cube root (``cbrt(-8) == -2``). Gradient ``gz / (3 * cbrt(x) ** 2)``."""

    name = numpy_name = "cbrt"

    def _grad(self, inputs, output, gz):
        return [gz / (sqr(output) * 3)]


class Hypot(BinaryScalarOp):
    """``hypot(x, y) == sqrt(x*x + y*y)`` without overflow. Gradient ``gz * x / z``, ``gz * y / z``."""

    name = numpy_name = "hypot"

    def _grad(self, inputs, output, gz):
        x, y = inputs
        return [gz * x / output, gz * y / output]


# ---------------------------------------------------------------------------
# Trigonometric
# ---------------------------------------------------------------------------


class Sin(UnaryScalarOp):
    """Sine (radians). Gradient ``gz * cos(x)``."""

    name = numpy_name = "sin"

    def _grad(self, inputs, output, gz):
        return [gz * cos(inputs[0])]


class Cos(UnaryScalarOp):
    """Cosine (radians). Gradient ``-gz * sin(x)``."""

    name = numpy_name = "cos"

    def _grad(self, inputs, output, gz):
        return [neg(gz) * sin(inputs[0])]


class Tan(UnaryScalarOp):
    """Tangent (radians). Gradient ``gz * (1 + tan(x) ** 2)``."""

    name = numpy_name = "tan"

    def _grad(self, inputs, output, gz):
        return [gz * (sqr(output) + 1)]


class ArcSin(UnaryScalarOp):
    """Inverse sine, in [-pi/2, pi/2]. Gradient ``gz / sqrt(1 - x*x)``."""

    name = numpy_name = "arcsin"

    def _grad(self, inputs, output, gz):
        return [gz / sqrt(1 - sqr(inputs[0]))]


class ArcCos(UnaryScalarOp):
    """Inverse cosine, in [0, pi]. Gradient ``-gz / sqrt(1 - x*x)``."""

    name = numpy_name = "arccos"

    def _grad(self, inputs, output, gz):
        return [neg(gz) / sqrt(1 - sqr(inputs[0]))]


class ArcTan(UnaryScalarOp):
    """Inverse tangent. Gradient ``gz / (1 + x*x)``."""

    name = numpy_name = "arctan"

    def _grad(self, inputs, output, gz):
        return [gz / (sqr(inputs[0]) + 1)]


class ArcTan2(BinaryScalarOp):
    """``arctan2(y, x)``: the angle of the point (x, y), in [-pi, pi].

    Gradient: ``gz * x / (x*x + y*y)`` w.r.t. ``y`` and ``-gz * y / (x*x + y*y)`` w.r.t. ``x``.
    """

    name = numpy_name = "arctan2"

    def _grad(self, inputs, output, gz):
        y, x = inputs
        r2 = sqr(x) + sqr(y)
        return [gz * x / r2, neg(gz) * y / r2]


class Deg2Rad(UnaryScalarOp):
    """Degrees to radians: ``deg2rad(x) == x * pi / 180``."""

    name = numpy_name = "deg2rad"

    def _grad(self, inputs, output, gz):
        return [gz * (pymath.pi / 180)]


class Rad2Deg(UnaryScalarOp):
    """Radians to degrees: ``rad2deg(x) == x * 180 / pi``."""

    name = numpy_name = "rad2deg"

    def _grad(self, inputs, output, gz):
        return [gz * (180 / pymath.pi)]


# ---------------------------------------------------------------------------
# Hyperbolic
# ---------------------------------------------------------------------------


class Sinh(UnaryScalarOp):
    """Hyperbolic sine. Gradient ``gz * cosh(x)``."""

    name = numpy_name = "sinh"

    def _grad(self, inputs, output, gz):
        return [gz * cosh(inputs[0])]


class Cosh(UnaryScalarOp):
    """Hyperbolic cosine. Gradient ``gz * sinh(x)``."""

    name = numpy_name = "cosh"

    def _grad(self, inputs, output, gz):
        return [gz * sinh(inputs[0])]


class Tanh(UnaryScalarOp):
    """Hyperbolic tangent. Gradient ``gz * (1 - tanh(x) ** 2)``."""

    name = numpy_name = "tanh"

    def _grad(self, inputs, output, gz):
        return [gz * (1 - sqr(output))]


class ArcSinh(UnaryScalarOp):
    """Inverse hyperbolic sine. Gradient ``gz / sqrt(x*x + 1)``."""

    name = numpy_name = "arcsinh"

    def _grad(self, inputs, output, gz):
        return [gz / sqrt(sqr(inputs[0]) + 1)]


class ArcCosh(UnaryScalarOp):
    """Inverse hyperbolic cosine (x >= 1). Gradient ``gz / sqrt(x*x - 1)``."""

    name = numpy_name = "arccosh"

    def _grad(self, inputs, output, gz):
        return [gz / sqrt(sqr(inputs[0]) - 1)]


class ArcTanh(UnaryScalarOp):
    """Inverse hyperbolic tangent (|x| < 1). Gradient ``gz / (1 - x*x)``."""

    name = numpy_name = "arctanh"

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
    """Round to the nearest integer, ties to even (NumPy ``rint``: ``2.5 -> 2.0``)."""

    name = "round_half_to_even"
    numpy_name = "rint"

    def _grad(self, inputs, output, gz):
        return [None]


class RoundHalfAwayFromZero(UnaryScalarOp):
    """Round to the nearest integer, ties away from zero (``2.5 -> 3.0``, ``-2.5 -> -3.0``).

    Same dtype as ``round_half_to_even``.
    """

    name = "round_half_away_from_zero"

    def make_ufunc(self) -> Callable[..., Any]:
        def impl(x: Any) -> Any:
            x = np.asarray(x)
            dtype = np.rint(np.zeros(0, x.dtype)).dtype
            if x.dtype.kind in "biu":
                return x.astype(dtype)
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
    gamma,
    gammaln,
    log1mexp,
    polygamma,
    psi,
    sigmoid,
    softplus,
    tri_gamma,
)
