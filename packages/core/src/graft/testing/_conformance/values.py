"""Argument values for the conformance cases: tame, edge (NaN, inf, -0, extremes) and special."""

from __future__ import annotations

from typing import Any

import numpy as np

FLOATS = ("float64", "float32")
INTS = ("int64", "int8")
DTYPES = ("float64", "float32", "int64", "int8", "bool")


def tame(rng: np.random.Generator, dtype: str, shape: tuple[int, ...]) -> np.ndarray:
    """Ordinary values: floats in [-3, 3] with some exact 0, ±0.5, ±1; ints in [-20, 20]."""
    n = int(np.prod(shape))
    if dtype == "bool":
        return rng.random(n).reshape(shape) < 0.5
    if np.dtype(dtype).kind in "iu":
        lo = 0 if np.dtype(dtype).kind == "u" else -20
        return rng.integers(lo, 21, n).astype(dtype).reshape(shape)
    v = rng.uniform(-3.0, 3.0, n)
    exact = np.array([0.0, 0.5, -0.5, 1.0, -1.0])
    k = min(n, len(exact))
    v[rng.permutation(n)[:k]] = exact[:k]
    return v.astype(dtype).reshape(shape)


def positive(rng: np.random.Generator, dtype: str, shape: tuple[int, ...]) -> np.ndarray:
    """Strictly positive values: floats in [0.25, 3], ints in [1, 4]."""
    n = int(np.prod(shape))
    if dtype == "bool":
        return np.ones(shape, bool)
    if np.dtype(dtype).kind in "iu":
        return rng.integers(1, 5, n).astype(dtype).reshape(shape)
    return rng.uniform(0.25, 3.0, n).astype(dtype).reshape(shape)


_FLOAT_EDGE = [0.0, -0.0, np.nan, np.inf, -np.inf, 1.0, -1.0, 0.5, -0.5, 1e-300, -1e-300]
_FLOAT_EDGE += [5e-324, 1e300, -1e300, 1e10, -1e10, 3.0, -3.0, 700.0, -700.0, 2.0]


def edge(
    rng: np.random.Generator, dtype: str, shape: tuple[int, ...], *, for_sums: bool = False
) -> np.ndarray:
    """Edge values in a random order: NaN, ±inf, ±0, subnormals, huge; integer extremes and 0.

    ``for_sums``: only values whose sums and products do not depend on the
    order of the terms (NaN, ±inf, ±0, small numbers), for reductions.
    """
    n = int(np.prod(shape))
    dt = np.dtype(dtype)
    if for_sums and dt.kind != "b":
        base = np.array([0.0, -0.0, 1.0, -1.0, 0.5, 2.0, -3.0, 7.0])
        if dt.kind == "f":
            base = np.concatenate([base, [np.nan, np.inf, -np.inf]])
        base = base.astype(dt)
    elif dt.kind == "b":
        base = np.array([True, False])
    elif dt.kind in "iu":
        info = np.iinfo(dt)
        # info.min is left out: INT_MIN // -1 traps (SIGFPE) in C, NumPy special-cases it
        base = np.array([0, 1, -1, 2, -2, 7, -7, info.max, info.max - 1, info.min + 1])
        base = base[(base >= info.min) & (base <= info.max)].astype(dt)
    else:
        with np.errstate(over="ignore", under="ignore"):
            base = np.array(_FLOAT_EDGE, dtype=np.float64).astype(dt)
    reps = -(-n // len(base))
    v = np.tile(base, reps)[:n]
    return rng.permutation(v).reshape(shape)


def spd(rng: np.random.Generator, dtype: str, n: int) -> np.ndarray:
    """A well-conditioned symmetric positive definite matrix."""
    a = rng.uniform(-1.0, 1.0, (n, n))
    return (a @ a.T + n * np.eye(n)).astype(dtype)


def scalar(value: Any, dtype: str) -> np.ndarray:
    """A 0-d array."""
    return np.asarray(value, dtype=dtype)


def tensor_module() -> Any:
    """``graft.tensor``, typed loosely: the cases build graphs with its operator overloads."""
    import graft.tensor

    return graft.tensor
