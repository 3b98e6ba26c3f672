"""The Numba rules of the linear-algebra Ops against the reference backend.

Graphs are batched and compiled unrewritten with the Numba linker under
``backend_fallback="raise"`` (every node native) and with the FAST_RUN
rewrites; values must equal the reference's to tolerance, dtypes and shapes
exactly, and a singular matrix must raise the reference's exception type.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

pytest.importorskip("numba")

from nb_helpers import NUMBA, check

import graft
import graft.tensor as gt
from graft.tensor.linalg import (
    Cholesky,
    Det,
    MatrixInverse,
    SlogDet,
    Solve,
    SolveTriangular,
    Tri,
)
from graft.tensor.nlinalg import QR, SVD, Eigh


def check_linalg(*args: Any, **kw: Any) -> None:
    check(*args, tol=(2e-4, 1e-9), **kw)


RNG = np.random.default_rng(7)


def _spd(n: int, dtype: str) -> np.ndarray:
    m = RNG.standard_normal((n, n))
    return (m @ m.T + n * np.eye(n)).astype(dtype)


def test_tri_any_rank() -> None:
    ins, outs = [], []
    for dt in ("float64", "int8", "bool", "uint8"):
        x = gt.tensor(dtype=dt, shape=(None, None, None))
        m = gt.tensor(dtype=dt, shape=(None, None))
        ins += [x, m]
        outs += [Tri(True, 0)(x), Tri(False, 1)(x), Tri(True, -2)(m), Tri(False, -1)(m)]
    cases = []
    for s in ((2, 3, 4), (0, 2, 2), (1, 4, 1)):
        vals: list[Any] = []
        for dt in ("float64", "int8", "bool", "uint8"):
            x = (RNG.standard_normal((s[0], s[1], 2 * s[2])) * 5).astype(dt)[..., ::-2]
            vals += [x, (RNG.standard_normal(s[1:]) * 5).astype(dt)]
        cases.append(vals)
    check_linalg(ins, outs, cases)


def test_matrix_ops() -> None:
    ins, outs = [], []
    for dt in ("float64", "float32", "int64"):
        a = gt.tensor(dtype=dt, shape=(None, None))
        b = gt.tensor(dtype=dt, shape=(None,))
        bm = gt.tensor(dtype=dt, shape=(None, None))
        ins += [a, b, bm]
        outs += [MatrixInverse()(a), Det()(a), *SlogDet()(a)]
        outs += [Cholesky(True)(a), Cholesky(False)(a), Cholesky(True, "nan")(a)]
        outs += [Solve()(a, b), Solve()(a, bm)]
        for lower in (True, False):
            for trans in (0, 1):
                outs.append(SolveTriangular(lower, trans)(a, b))
        outs += [SolveTriangular(True, 0, True)(a, bm)]
    cases = []
    for n in (3, 1, 0):
        vals: list[Any] = []
        for dt in ("float64", "float32", "int64"):
            a = _spd(n, "float64")
            if dt == "int64":
                a = np.round(a)
            # A non-contiguous view of the same matrix.
            big = np.zeros((n, 2 * n), dt)
            big[:, ::2] = a
            vals += [big[:, ::2], RNG.standard_normal(n).astype(dt), np.ones((n, 2), dt)]
        cases.append(vals)
    check_linalg(ins, outs, cases)


def test_decompositions() -> None:
    ins, outs = [], []
    for dt in ("float64", "float32"):
        a = gt.tensor(dtype=dt, shape=(None, None))
        s = gt.tensor(dtype=dt, shape=(None, None))
        ins += [a, s]
        outs += [*Eigh()(s), *SVD(False, True)(a), SVD(False, False)(a), *QR("reduced")(a)]
        outs += [*SVD(True, True)(s)]
    cases = []
    for m, n in ((4, 3), (2, 5)):
        vals: list[Any] = []
        for dt in ("float64", "float32"):
            vals += [RNG.standard_normal((m, n)).astype(dt), _spd(m, dt)]
        cases.append(vals)
    check_linalg(ins, outs, cases)


def test_singular_matrices_raise_the_reference_error() -> None:
    a = gt.dmatrix("a")
    b = gt.dvector("b")
    with graft.change_flags(backend_fallback="raise"):
        f = graft.function(
            [a, b],
            [MatrixInverse()(a), Solve()(a, b), SolveTriangular(True)(a, b), Cholesky()(a)],
            mode=NUMBA,
        )
        nan_chol = graft.function([a], Cholesky(on_error="nan")(a), mode=NUMBA)
        det = graft.function([a], [Det()(a), *SlogDet()(a)], mode=NUMBA)
    sing = np.array([[1.0, 2.0], [2.0, 4.0]])
    with pytest.raises(np.linalg.LinAlgError):
        f(sing, np.ones(2))
    with pytest.raises(np.linalg.LinAlgError):
        f(np.array([[0.0, 0.0], [1.0, 1.0]]) + np.eye(2) * [0, 1], np.ones(2))
    assert np.isnan(nan_chol(-np.eye(2))).all()
    d, sign, logdet = det(sing)
    assert d == 0 and sign == 0 and logdet == -np.inf
