"""Scalar helpers that generated elementwise code calls, jitted with ``cache=True``.

Each helper computes one graft scalar op on numba scalars with NumPy's (or
SciPy's) semantics where a plain numba expression would differ: integer
floor division and remainder by zero or by -1, integer powers, NaN-aware
``sign``, stable logistic and log-sum formulas, poles of the gamma family.
The generated code converts arguments to the op's computation dtype before
the call and the result to the output dtype after it, so helpers may be
generic in their argument types.

Example (what the ``Elemwise`` rule emits for ``x // y`` on int8)::

    v2[i0] = np.int8(g_int_floordiv1(np.int8(a3), np.int8(b4)))
"""

from __future__ import annotations

import math
from typing import Any

import numba
import numpy as np

_LN2 = math.log(2.0)
_PI = math.pi

jit = numba.njit(cache=True, error_model="numpy", nogil=True)


@jit
def int_floordiv(a: Any, b: Any) -> Any:
    """``a // b`` on integers as NumPy: 0 for a zero divisor, wrapping for ``MIN // -1``."""
    if b == 0:
        return a - a
    if b == -1:
        return -a  # numba's own ``//`` gives 0 for int64 MIN // -1
    return a // b


@jit
def uint_floordiv(a: Any, b: Any) -> Any:
    """``a // b`` on unsigned integers as NumPy: 0 for a zero divisor."""
    if b == 0:
        return a - a
    return a // b


@jit
def uint_mod(a: Any, b: Any) -> Any:
    """``a % b`` on unsigned integers as NumPy: 0 for a zero divisor."""
    if b == 0:
        return a - a
    return a % b


@jit
def int_mod(a: Any, b: Any) -> Any:
    """``a % b`` on integers as NumPy: sign of ``b``, 0 for a zero divisor."""
    if b == 0 or b == -1:
        return a - a
    return a % b


@jit
def int_pow(a: Any, b: Any) -> Any:
    """``a ** b`` on integers (wrapping); a negative exponent raises as NumPy does."""
    if b < 0:
        raise ValueError("Integers to negative integer powers are not allowed.")
    result = a - a + 1
    base = a
    e = b
    while e > 0:
        if e & 1:
            result = result * base
        e = e >> 1
        if e > 0:
            base = base * base
    return result


@jit
def fsign(x: Any) -> Any:
    """NumPy ``sign`` of a float: -1, 0 (+0.0 also for -0.0), 1, or NaN."""
    if x > 0:
        return 1.0
    if x < 0:
        return -1.0
    if x == 0:
        return 0.0  # also for -0.0
    return x


@jit
def logaddexp(x: Any, y: Any) -> Any:
    """``log(exp(x) + exp(y))`` without overflow; equal infinities give that infinity."""
    if x == y:
        return x + _LN2  # also inf/-inf, where x - y would be NaN
    d = x - y
    if d > 0:
        return x + math.log1p(math.exp(-d))
    if d <= 0:
        return y + math.log1p(math.exp(d))
    return d  # NaN


@jit
def sigmoid(x: Any) -> Any:
    """Logistic function; no overflow for large ``|x|``."""
    if x >= 0:
        return 1 / (1 + math.exp(-x))
    e = math.exp(x)
    return e / (1 + e)


@jit
def log1mexp(x: Any) -> Any:
    """``log(1 - exp(x))``: ``log1p(-exp(x))`` below ``-log 2``, ``log(-expm1(x))`` above."""
    if x < -_LN2:
        return math.log1p(-math.exp(x))
    return math.log(-math.expm1(x))


@jit
def round_half_away(x: Any) -> Any:
    """Round to nearest, ties away from zero (NaN and infinities unchanged)."""
    t = np.trunc(x)
    if abs(x - t) >= 0.5:
        return t + math.copysign(1.0, x)
    return t


@jit
def gammaln(x: float) -> float:
    """``log|gamma(x)|`` in float64, with SciPy's values at the poles and at ``-inf``."""
    if x == -np.inf:
        return -np.inf
    return math.lgamma(x)


@jit
def gamma(x: float) -> float:
    """``gamma(x)`` in float64 (SciPy's values: ``inf`` at +0, ``-inf`` at -0, NaN at -n)."""
    return math.gamma(x)


@jit
def digamma(x: float) -> float:
    """``psi(x)`` in float64: reflection below 0, recurrence up to 10, asymptotic series.

    Poles as SciPy: ``psi(+0) = -inf``, ``psi(-0) = inf``, NaN at negative integers.
    """
    if math.isnan(x):
        return x
    if x == np.inf:
        return x
    if x == 0.0:
        return -math.copysign(np.inf, x)
    if x < 0.0:
        if x == np.floor(x):
            return np.nan  # also -inf and every float beyond 2**52
        # psi(x) = psi(1 - x) - pi / tan(pi x); tan(pi x) has period 1, and x minus its
        # nearest integer is exact, so reduce first.
        r = x - np.rint(x)  # in [-0.5, 0.5]
        acc = -_PI / math.tan(_PI * r)
        x = 1.0 - x
    else:
        acc = 0.0
    while x < 10.0:
        acc -= 1.0 / x
        x += 1.0
    f = 1.0 / (x * x)
    series = f * (
        -1.0 / 12
        + f
        * (
            1.0 / 120
            + f * (-1.0 / 252 + f * (1.0 / 240 + f * (-1.0 / 132 + f * (691.0 / 32760 - f / 12))))
        )
    )
    return acc + math.log(x) - 0.5 / x + series


@jit
def xlogy0(x: Any, y: Any) -> Any:
    """``x * log(y)``, 0 where ``x == 0`` (whatever ``y`` is)."""
    if x == 0:
        return x - x  # +0.0
    return x * math.log(y)
