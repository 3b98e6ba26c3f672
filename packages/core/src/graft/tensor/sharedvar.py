"""Shared tensors: ``graft.shared(np.array(...))`` gives a `TensorSharedVariable`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from graft.graph.sharedvalue import SharedVariable, shared_constructor
from graft.tensor.type import TensorType
from graft.tensor.variable import _tensor_py_operators


class TensorSharedVariable(_tensor_py_operators, SharedVariable):
    """A shared variable holding an array, usable like any tensor variable.

    Its static shape is unknown unless ``shape=`` was given, so `set_value`
    may change the size (but not the number of dimensions or the dtype).

    Example::

        w = graft.shared(np.zeros(3), name="w")
        f = graft.function([x], (w * x).sum(), updates={w: w + x})
    """


@shared_constructor
def tensor_constructor(
    value: Any,
    name: str | None = None,
    strict: bool = False,
    allow_downcast: bool | None = None,
    shape: Sequence[int | None] | None = None,
    broadcastable: Sequence[bool] | None = None,
) -> TensorSharedVariable:
    """Shared arrays and NumPy/Python numbers (0-d tensors)."""
    if not isinstance(value, np.ndarray | np.generic | int | float | complex | bool):
        raise TypeError(f"not an array or a number: {type(value).__name__}")
    arr = np.asarray(value)
    if arr.dtype == object:
        raise TypeError("object arrays cannot be shared tensors")
    if shape is None:
        shape = (
            tuple(1 if b else None for b in broadcastable) if broadcastable else (None,) * arr.ndim
        )
    ttype = TensorType(arr.dtype, shape)
    return TensorSharedVariable(
        ttype, arr, strict=strict, allow_downcast=allow_downcast, name=name
    )


@shared_constructor
def _generator_constructor(value: Any, **kwargs: Any) -> SharedVariable:
    """NumPy Generators: the random-generator shared variable of `graft.tensor.random`
    (imported here, on first use, so that ``import graft.tensor`` stays light)."""
    if not isinstance(value, np.random.Generator):
        raise TypeError(f"not a numpy Generator: {type(value).__name__}")
    from graft.tensor.random.type import random_generator_constructor

    return random_generator_constructor(value, **kwargs)
