"""`RandomStream`: draws from seeded shared rngs whose updates `graft.function` applies."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from graft.graph.basic import Variable
from graft.tensor.random import basic
from graft.tensor.random.op import RandomVariable
from graft.tensor.random.type import RandomGeneratorSharedVariable

__all__ = ["RandomStream"]


class RandomStream:
    """A source of random draws: each draw reads its own shared rng, seeded from ``seed``.

    Every method named like a distribution of `graft.tensor.random`
    (``normal``, ``gamma``, ``dirichlet``, ...) takes that distribution's
    parameters and ``size``/``dtype``/``name``, makes a new shared rng seeded
    from this stream's seed sequence, and sets its ``default_update`` to the
    advanced rng, so each call of a compiled function gives fresh draws and the
    same ``seed`` gives the same draws. ``seed(s)`` reseeds every rng made so
    far; ``state_updates`` lists ``(shared rng, advanced rng)`` pairs.

    Example::

        srng = RandomStream(seed=42)
        x = srng.normal(0, 1, size=(3,))
        f = graft.function([], x)
        a, b = f(), f()          # different draws; the same a, b again for seed 42
    """

    def __init__(
        self,
        seed: int | np.random.SeedSequence | None = None,
        namespace: Any = None,
        rng_ctor: Callable[[Any], np.random.Generator] = np.random.default_rng,
    ) -> None:
        self.namespace = basic if namespace is None else namespace
        self.rng_ctor = rng_ctor
        self.state_updates: list[tuple[RandomGeneratorSharedVariable, Variable]] = []
        self.seed(seed)

    def seed(self, seed: int | np.random.SeedSequence | None = None) -> None:
        """Restart the seed sequence from ``seed`` and reseed every rng made so far (in the
        order they were made, so the draws repeat those of a fresh stream)."""
        self._seeds = (
            seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
        )
        for rng, _ in self.state_updates:
            rng.set_value(self._new_generator(), borrow=True)

    def _new_generator(self) -> np.random.Generator:
        (child,) = self._seeds.spawn(1)
        return self.rng_ctor(child)

    def updates(self) -> list[tuple[RandomGeneratorSharedVariable, Variable]]:
        """The ``(shared rng, advanced rng)`` pairs, e.g. for ``graft.function(updates=...)``."""
        return list(self.state_updates)

    def gen(self, op: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Draw ``op(*args, **kwargs)`` with a new shared rng of this stream."""
        if "rng" in kwargs:
            raise TypeError("RandomStream draws make their own rng; do not pass rng=")
        from graft.graph.sharedvalue import shared

        rng = shared(self._new_generator(), borrow=True)
        assert isinstance(rng, RandomGeneratorSharedVariable)
        out = op(*args, rng=rng, **kwargs)
        owner = out.owner
        if owner is None or not isinstance(owner.op, RandomVariable):
            raise TypeError(f"RandomStream.gen: {op} did not build a random variable")
        next_rng = owner.outputs[0]
        rng.default_update = next_rng
        self.state_updates.append((rng, next_rng))
        return out

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        allowed = getattr(self.namespace, "__all__", None)
        op = getattr(self.namespace, name, None)
        if (
            (allowed is not None and name not in allowed)
            or not callable(op)
            or isinstance(op, type)
        ):
            raise AttributeError(f"RandomStream has no distribution {name!r}")

        def draw(*args: Any, **kwargs: Any) -> Any:
            return self.gen(op, *args, **kwargs)

        draw.__name__ = name
        draw.__doc__ = getattr(op, "__doc__", None)
        return draw
