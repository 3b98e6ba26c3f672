"""`RandomGeneratorType`: the type of NumPy ``Generator`` values, and shared rng variables.

A random variable's node reads an rng and returns the advanced rng beside
its draw. ``graft.shared(np.random.default_rng(seed))`` gives a
`RandomGeneratorSharedVariable` (once this module is imported, which
``graft.tensor.random`` does).
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np

from graft.graph.basic import Constant, Variable
from graft.graph.sharedvalue import SharedVariable, shared_constructor
from graft.graph.type import Type

__all__ = [
    "RandomGeneratorConstant",
    "copy_generator",
    "RandomGeneratorSharedVariable",
    "RandomGeneratorType",
    "RandomGeneratorVariable",
    "random_generator_type",
]


class RandomGeneratorVariable(Variable):
    """A symbolic ``numpy.random.Generator`` (the rng input or output of a random variable)."""

    __slots__ = ()


class RandomGeneratorConstant(Constant):
    """A fixed ``numpy.random.Generator``; random variables copy it before drawing.

    Two such constants are one only when they hold the same Generator object
    (states are not compared: a Generator is mutable).
    """

    __slots__ = ()

    def signature(self) -> Any:
        return (self.type, id(self.data))


class RandomGeneratorType(Type):
    """Values are ``numpy.random.Generator`` objects (any bit generator).

    ``filter`` accepts only Generators (no conversion from seeds: a seed is not
    a state, and silently seeding would hide a bug). Two values are equal when
    their bit generators are of the same kind and in the same state.

    Example::

        rng = random_generator_type("rng")
        random_generator_type.filter(np.random.default_rng(0))   # the Generator itself
    """

    __props__ = ()

    def filter(self, data: Any, strict: bool = False, allow_downcast: bool | None = None) -> Any:
        if isinstance(data, np.random.Generator):
            return data
        hint = ""
        if isinstance(data, np.random.RandomState):
            hint = " (legacy RandomState objects are not supported; use np.random.default_rng)"
        elif isinstance(data, int | np.integer):
            hint = " (wrap a seed as np.random.default_rng(seed))"
        raise TypeError(f"expected a numpy.random.Generator, got {type(data).__name__}{hint}")

    def values_eq(self, a: Any, b: Any) -> bool:
        if not (isinstance(a, np.random.Generator) and isinstance(b, np.random.Generator)):
            return False
        return _state_eq(a.bit_generator.state, b.bit_generator.state)

    def make_variable(self, name: str | None = None) -> Variable:
        return RandomGeneratorVariable(self, None, name=name)

    def make_constant(self, value: Any, name: str | None = None) -> Constant:
        return RandomGeneratorConstant(self, value, name=name)

    def __str__(self) -> str:
        return "RandomGeneratorType"


def _state_eq(a: Any, b: Any) -> bool:
    """Deep equality of two bit-generator state dicts (arrays compared by value)."""
    stack = [(a, b)]
    while stack:
        x, y = stack.pop()
        if isinstance(x, dict):
            if not isinstance(y, dict) or x.keys() != y.keys():
                return False
            stack.extend((x[k], y[k]) for k in x)
        elif isinstance(x, np.ndarray) or isinstance(y, np.ndarray):
            if not np.array_equal(x, y):
                return False
        elif x != y:
            return False
    return True


#: Bit generators whose state is all of them (besides the seed sequence): `copy_generator`
#: rebuilds those directly, several times faster than ``copy.deepcopy``.
_PLAIN_BIT_GENERATORS = tuple(
    getattr(np.random, n)
    for n in ("PCG64", "PCG64DXSM", "MT19937", "Philox", "SFC64")
    if hasattr(np.random, n)
)


def copy_generator(gen: np.random.Generator) -> np.random.Generator:
    """An independent copy of ``gen``: same state, same seed sequence (spawn counter included).

    Example::

        g = np.random.default_rng(0)
        h = copy_generator(g)
        assert h.normal() == g.normal()
    """
    bg = gen.bit_generator
    ss = getattr(bg, "seed_seq", None)
    if (
        type(gen) is np.random.Generator
        and type(bg) in _PLAIN_BIT_GENERATORS
        and (type(ss) is np.random.SeedSequence)
    ):
        ss2 = np.random.SeedSequence(
            ss.entropy,
            spawn_key=ss.spawn_key,
            pool_size=ss.pool_size,
            n_children_spawned=ss.n_children_spawned,
        )
        new = type(bg)(ss2)
        new.state = bg.state
        return np.random.Generator(new)
    return copy.deepcopy(gen)


#: The rng type; call it (``random_generator_type("rng")``) for a symbolic rng.
random_generator_type = RandomGeneratorType()


class RandomGeneratorSharedVariable(SharedVariable):
    """A shared ``numpy.random.Generator``: the state a compiled function advances.

    Random variables built on it (through `RandomStream`, the module-level
    distributions, or ``rng=`` explicitly) set its ``default_update`` to the
    advanced rng of the first draw that reads it, so every `graft.function`
    using it moves the state on and repeated calls give fresh draws. Pass
    ``no_default_updates=True`` to `graft.function` to keep the state fixed.

    Example::

        rng = graft.shared(np.random.default_rng(42))
        x = gt.random.normal(0, 1, size=3, rng=rng)
        f = graft.function([], x)
        f(), f()          # two different draws, the same pair for seed 42
    """

    def __str__(self) -> str:
        return self.name if self.name is not None else "RNG(<Generator>)"


@shared_constructor
def random_generator_constructor(
    value: Any,
    name: str | None = None,
    strict: bool = False,
    allow_downcast: bool | None = None,
) -> RandomGeneratorSharedVariable:
    """``graft.shared`` of a ``numpy.random.Generator`` (already copied unless ``borrow``)."""
    if not isinstance(value, np.random.Generator):
        raise TypeError(f"not a numpy.random.Generator: {type(value).__name__}")
    return RandomGeneratorSharedVariable(
        random_generator_type, value, strict=strict, allow_downcast=allow_downcast, name=name
    )
