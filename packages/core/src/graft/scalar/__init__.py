"""Scalar types and ops: the element-level layer under ``graft.tensor``.

``graft.scalar`` re-exports `graft.scalar.basic` (types, variables,
constants, `ScalarOp`, arithmetic, comparison, logic, casts) and
`graft.scalar.math` (exponentials, logarithms, trigonometry, rounding and the
special functions of `graft.scalar.special`). As in Aesara, ``bool`` and
``abs`` are attributes of this module (``graft.scalar.bool`` is the bool
`ScalarType`); they are left out of ``__all__`` so that ``import *`` does not
shadow the builtins.

Example::

    from graft.scalar import float64, add, mul, true_div

    x, y = float64("x"), float64("y")
    z = add(x, mul(x, y))
    str(z)          # 'add.0'
"""

from graft.scalar import basic as _basic
from graft.scalar import math as _math
from graft.scalar.basic import *
from graft.scalar.basic import abs_ as abs
from graft.scalar.basic import bool_ as bool
from graft.scalar.math import *
from graft.scalar.composite import Composite

__all__ = [*_basic.__all__, *_math.__all__, "Composite"]
