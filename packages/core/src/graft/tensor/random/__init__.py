"""Random variables: `RandomVariable` Ops, the distributions, `RandomStream`, rng types.

A draw is a node ``(rng, size, *params) -> (next_rng, draw)``. Without an
explicit ``rng`` a draw reads a new shared rng; shared rngs get the advanced
rng as their ``default_update``, so `graft.function` moves the state on each
call (fresh draws) and a fixed seed repeats the same sequence.

Example::

    import numpy as np
    import graft
    import graft.tensor.random as gr

    srng = gr.RandomStream(seed=1)
    x = srng.normal(0.0, 1.0, size=(3,))
    rng = graft.shared(np.random.default_rng(2))
    y = gr.gamma(2.0, scale=1.0, rng=rng)
    f = graft.function([], [x, y])
    f()     # fresh draws on every call
"""

from graft.tensor.random import basic, op, type, utils
from graft.tensor.random.basic import *
from graft.tensor.random.basic import __all__ as _basic_all
from graft.tensor.random.op import RandomVariable, default_rng_variable
from graft.tensor.random.type import (
    RandomGeneratorSharedVariable,
    RandomGeneratorType,
    random_generator_type,
)
from graft.tensor.random.utils import RandomStream

__all__ = [
    *_basic_all,
    "RandomGeneratorSharedVariable",
    "RandomGeneratorType",
    "RandomStream",
    "RandomVariable",
    "default_rng_variable",
    "random_generator_type",
]
