"""Helpers shared by the Numba backend's op tests: compile a graph natively (no
fallback allowed) and after FAST_RUN, and compare every output with the reference."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import pytest

import graft
from graft.compile import Mode
from graft.link.codegen import BackendFallbackWarning

NUMBA = Mode(linker="numba", optimizer=None)
PY = Mode(linker="py", optimizer=None)
#: (float32, float64) tolerance of values, relative and absolute.
TOL = (2e-5, 1e-12)


def same(got: Any, exp: Any, what: str, tol: tuple[float, float] = TOL) -> None:
    """``got`` is ``exp``: both arrays or not, same dtype and shape, values to tolerance."""
    assert isinstance(got, np.ndarray) == isinstance(exp, np.ndarray), what
    got, exp = np.asarray(got), np.asarray(exp)
    assert got.dtype == exp.dtype, f"{what}: dtype {got.dtype} != {exp.dtype}"
    assert got.shape == exp.shape, f"{what}: shape {got.shape} != {exp.shape}"
    if exp.dtype.kind == "f":
        t = tol[0] if exp.dtype == np.float32 else tol[1]
        np.testing.assert_allclose(got, exp, rtol=t, atol=t, equal_nan=True, err_msg=what)
    else:
        np.testing.assert_array_equal(got, exp, err_msg=what)


def check(
    inputs: Sequence[Any],
    outputs: Sequence[Any],
    cases: Sequence[Sequence[Any]],
    rewrite: bool = True,
    tol: tuple[float, float] = TOL,
) -> None:
    """Every output of the native (unrewritten) Numba graph, and of the rewritten one
    unless ``rewrite`` is False, equals the reference's on each of ``cases``."""
    with graft.change_flags(backend_fallback="raise"):
        f = graft.function(inputs, list(outputs), mode=NUMBA)
    ref = graft.function(inputs, list(outputs), mode=PY)
    fns = [(f, "")]
    if rewrite:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", BackendFallbackWarning)
            fns.append((graft.function(inputs, list(outputs), mode="NUMBA"), "rewritten "))
    for n, values in enumerate(cases):
        exp = ref(*values)
        for fn, tag in fns:
            for k, (got, e) in enumerate(zip(fn(*values), exp)):
                same(got, e, f"{tag}case {n} output {k} ({outputs[k]})", tol)


def raises(fn: Any, args: Sequence[Any], exc: type[BaseException], op_name: str) -> None:
    """``fn(*args)`` raises ``exc`` with a message naming ``op_name``."""
    with pytest.raises(exc) as info:
        fn(*args)
    assert op_name in str(info.value), str(info.value)


def strided(big: np.ndarray) -> np.ndarray:
    """A non-contiguous view of ``big`` (every other entry, the last axis reversed)."""
    nd = big.ndim
    return big[tuple(slice(None, None, 2) for _ in range(nd - 1)) + (slice(None, None, -2),)]
