"""Helpers of the C backend's tests: compile natively (no Python fallback allowed) and
after FAST_RUN, and compare every output with the reference backend."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import pytest

import graft
from graft.compile import Mode
from graft.link.codegen import BackendFallbackWarning
from graft.plugins import backends

_WHY = backends().unavailable_reason("c") if "c" in backends() else "backend 'c' not registered"
#: Marks a test module that needs the C backend; skipped with the registry's reason.
needs_c = pytest.mark.skipif(_WHY is not None, reason=f"C backend unavailable: {_WHY}")

C_RAW = Mode(linker="c", optimizer=None)
PY = Mode(linker="py", optimizer=None)
#: (float32, float64) relative/absolute tolerance.
TOL = (2e-5, 1e-12)


def same(got: Any, exp: Any, what: str, tol: tuple[float, float] = TOL) -> None:
    """``got`` is ``exp``: same dtype and shape, values within tolerance, NaN alike."""
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
    labels: Sequence[str] | None = None,
    rewrite: bool = True,
    tol: tuple[float, float] = TOL,
) -> None:
    """Compile ``outputs`` with the C backend (raw, and after FAST_RUN when ``rewrite``),
    requiring every node to be compiled, and compare each case with the reference."""
    labels = labels or [str(k) for k in range(len(outputs))]
    ref = graft.function(inputs, list(outputs), mode=PY)
    modes = [C_RAW] + ([Mode(linker="c", optimizer="fast_run")] if rewrite else [])
    with warnings.catch_warnings():
        warnings.simplefilter("error", BackendFallbackWarning)
        fns = [graft.function(inputs, list(outputs), mode=m) for m in modes]
    for args in cases:
        with np.errstate(all="ignore"):
            exp = ref(*[np.copy(a) for a in args])
        for fn, m in zip(fns, modes):
            got = fn(*args)
            for g, e, lab in zip(got, exp, labels):
                same(g, e, f"{lab} (optimizer={m.optimizer is not None})", tol)
