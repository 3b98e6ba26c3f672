"""Scalar types and ops: the element-level layer under ``graft.tensor``.

``graft.scalar`` re-exports `graft.scalar.basic` (types, variables,
constants, `ScalarOp`, arithmetic, comparison, logic, casts) and
`graft.scalar.math` (exponentials, logarithms, trigonometry, rounding and the
special functions of `graft.scalar.special`). As in Aesara, ``bool`` and
``abs`` are attributes of this module (``graft.scalar.bool`` is the bool
`ScalarType`); they are left out of ``__all__`` so that ``import *`` does not
shadow the builtins.

Output dtypes are NumPy's, with one exception, the rule of Theano, Aesara and
PyTensor for float-returning ops (``true_div``, ``reciprocal``, ``exp``,
``log``, ``sqrt``, trigonometric and hyperbolic functions, rounding to
nearest, ``sigmoid``, ``erf``, ``gamma``, ``gammainc``, ... every op with
``returns_float``): bool and 8/16-bit integer inputs are computed in float32,
32/64-bit integer inputs in float64, float inputs keep their dtype (float16
stays float16), and the result has the promoted dtype of those
(`upgrade_to_float`). So ``exp(int8)`` and ``int8 / int8`` are float32 (NumPy:
float16 and float64) and ``log(int64)`` is float64. Ops that keep integers
integral (``add``, ``floor``, ``maximum``...) and mixed integer/float inputs
of other ops (``int8 * float16`` is float16) follow NumPy.

Example::

    from graft.scalar import float64, int8, add, mul, true_div, exp

    x, y = float64("x"), float64("y")
    z = add(x, mul(x, y))
    str(z)          # 'add.0'
    exp(int8("i")).type   # float32
"""

from graft.scalar import basic as _basic
from graft.scalar import math as _math
from graft.scalar.basic import *
from graft.scalar.basic import abs_ as abs
from graft.scalar.basic import bool_ as bool
from graft.scalar.math import *
from graft.scalar.composite import Composite

__all__ = [*_basic.__all__, *_math.__all__, "Composite"]
