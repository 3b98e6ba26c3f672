"""Small helpers shared by the tensor op modules (special, linalg, extra_ops)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from graft.graph.basic import Apply
from graft.tensor.basic import as_tensor_variable


def _as_tensor(x: Any) -> Any:
    # Typed Any: tensor variables carry NumPy-like operators mypy cannot see.
    return as_tensor_variable(x)


def _np_dtype(node: Apply, i: int = 0) -> Any:
    """The NumPy dtype of output ``i`` of ``node``."""
    t: Any = node.outputs[i].type
    return t.numpy_dtype


def _tm() -> Any:
    # graft.tensor.math defines its elementwise ops dynamically; import lazily.
    from graft.tensor import math

    return math


def _check_axis(axis: Any, name: str = "") -> int | None:
    """``axis`` as an int or None; TypeError (prefixed ``name: `` if given) for anything else."""
    if axis is None:
        return None
    if isinstance(axis, bool) or not isinstance(axis, int | np.integer):
        prefix = f"{name}: " if name else ""
        raise TypeError(f"{prefix}axis must be an int or None, got {axis!r}")
    return int(axis)


def _axis_in_range(op: Any, axis: int, nd: int, x: Any) -> int:
    """``axis`` normalised into ``[0, nd)``; ValueError naming ``op`` when out of range."""
    if not -nd <= axis < nd:
        raise ValueError(f"{op}: axis {axis} is out of range for {nd}-d input {x}")
    return axis % nd


def _is_discrete_dtype(dtype: str) -> bool:
    return np.dtype(dtype).kind in "biu"


def _discrete_grad(x: Any) -> Any:
    """The gradient of a discrete input: a float64 zero (the reductions' convention)."""
    from graft.tensor.basic import zeros_like

    return zeros_like(x, dtype="float64")


def _unary_perform(
    node: Apply,
    inputs: Sequence[Any],
    output_storage: list[list[Any]],
    fn: Callable[[np.ndarray], Any],
) -> None:
    """``perform`` of a one-input op: ``fn`` of the input cast to the output dtype.

    An empty input is returned as it is (a copy), without calling ``fn``.
    """
    dtype = _np_dtype(node)
    x = np.asarray(inputs[0], dtype=dtype)
    if x.size == 0:
        output_storage[0][0] = x.copy()
        return
    output_storage[0][0] = np.asarray(fn(x), dtype=dtype)
