"""The Numba rules of the indexing Ops (basic, advanced, set and inc) against the reference backend.

Graphs are batched (many outputs each) and compiled unrewritten with the
Numba linker under ``backend_fallback="raise"`` and with the FAST_RUN
rewrites; dtype, shape and values must equal the reference backend's, and
out-of-range indices must raise IndexError naming the Op.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pytest

pytest.importorskip("numba")

from nb_helpers import NUMBA, check, raises, strided

import graft
import graft.tensor as gt
from graft.tensor.subtensor import (
    AdvancedIncSubtensor,
    AdvancedIncSubtensor1,
    AdvancedSubtensor,
    AdvancedSubtensor1,
    IncSubtensor,
    Subtensor,
)

DTYPES = ["float64", "float32", "int64", "int8", "uint8", "bool"]
RNG = np.random.default_rng(99)


def _arr(shape: Sequence[int], dtype: str) -> np.ndarray:
    if dtype == "bool":
        return RNG.random(shape) > 0.5
    if dtype.startswith("float"):
        return (RNG.standard_normal(shape) * 3).astype(dtype)
    return RNG.integers(0, 50, shape).astype(dtype)


def _strided(shape: Sequence[int], dtype: str) -> np.ndarray:
    return strided(_arr([2 * s for s in shape], dtype))


# ---------------------------------------------------------------------------


def test_basic_subtensor_and_inc() -> None:
    i, j = gt.lscalar("i"), gt.lscalar("j")
    ins: list[Any] = [i, j]
    outs: list[Any] = []
    for dt in DTYPES:
        x = gt.tensor(dtype=dt, shape=(None, None, None))
        y = gt.tensor(dtype=dt, shape=(None,))
        s = gt.tensor(dtype=dt, shape=())
        ins += [x, y, s]
        outs += [x[1:, ::-1], x[i, j], x[-1, ::-2, i], x[:, i:j:-1], x[j::i], x[0, 1, 2], x[i]]
        outs += [
            gt.set_subtensor(x[1:, ::-1, 0], s),
            gt.inc_subtensor(x[i, :, ::-2], y[:3]),
            gt.set_subtensor(x[-1, 1, 2], s),
            gt.inc_subtensor(x[i, j], y),
        ]
    cases = []
    for iv, jv in ((1, 2), (-2, -1), (2, 0)):
        vals: list[Any] = [iv, jv]
        for dt in DTYPES:
            vals += [_strided((3, 4, 5), dt), _arr((5,), dt), _arr((), dt)]
        cases.append(vals)
    check(ins, outs, cases)


def test_basic_errors() -> None:
    x = gt.dmatrix("x")
    i = gt.lscalar("i")
    with graft.change_flags(backend_fallback="raise"):
        f = graft.function([x, i], x[i, 1:], mode=NUMBA)
        g = graft.function([x, i], x[::i], mode=NUMBA)
        h = graft.function([x, i], gt.inc_subtensor(x[i], 1.0), mode=NUMBA)
    xv = np.ones((3, 4))
    for bad in (3, -4, 100):
        raises(f, (xv, bad), IndexError, "Subtensor")
        raises(h, (xv, bad), IndexError, "IncSubtensor")
    raises(g, (xv, 0), ValueError, "Subtensor")


def test_advanced_subtensor() -> None:
    v, w = gt.lvector("v"), gt.bvector("w")
    m = gt.lmatrix("m")
    i = gt.lscalar("i")
    ins: list[Any] = [v, w, m, i]
    outs: list[Any] = []
    for dt in DTYPES:
        x = gt.tensor(dtype=dt, shape=(None, None, None))
        b = gt.tensor(dtype="bool", shape=(None, None))
        ins += [x, b]
        outs += [x[v], x[b]]
        if dt in ("float64", "int8", "bool"):
            # Every index form on a few dtypes (numba compile time grows with the graph).
            outs += [x[:, v], x[v, :, w], x[m], x[:, m, i], x[1:, v, ::-1], x[i, :, v]]
            outs += [x[:, b[0]], x[None, v, 0], x[..., v], x[v, ..., w]]
    cases = []
    for vv, ww in (([0, -1, 2, 0], [1, -2, 0, 3]), ([], [])):
        mv = np.array([[0, 1], [2, -1]], "int64")
        vals: list[Any] = [np.array(vv, "int64"), np.array(ww, "int8"), mv, 1]
        for dt in DTYPES:
            vals += [_strided((3, 4, 5), dt), RNG.random((3, 4)) > 0.4]
        cases.append(vals)
    check(ins, outs, cases)


def test_advanced_inc_and_set() -> None:
    v = gt.lvector("v")
    m = gt.lmatrix("m")
    ins: list[Any] = [v, m]
    outs: list[Any] = []
    for dt in DTYPES:
        x = gt.tensor(dtype=dt, shape=(None, None))
        y = gt.tensor(dtype=dt, shape=(None,))
        s = gt.tensor(dtype=dt, shape=())
        b = gt.tensor(dtype="bool", shape=(None, None))
        ins += [x, y, s, b]
        outs += [
            gt.inc_subtensor(x[v], y),
            gt.set_subtensor(x[v], s),
            gt.inc_subtensor(x[:, v], s),
            gt.set_subtensor(x[m, 1], s),
            gt.inc_subtensor(x[b], s),
            gt.set_subtensor(x[b], s),
            gt.inc_subtensor(x[v, v], s),
        ]
    f64 = gt.dmatrix("f64")
    f32v = gt.fvector("f32v")
    ins += [f64, f32v]
    outs.append(gt.inc_subtensor(f64[v], f32v))
    cases = []
    for vv in ([0, 0, 2, -1, 0], [1]):
        mv = np.array([[0, 0], [2, -3]], "int64")
        vals: list[Any] = [np.array(vv, "int64"), mv]
        for dt in DTYPES:
            vals += [_strided((3, 5), dt), _arr((5,), dt), _arr((), dt), RNG.random((3, 5)) > 0.5]
        vals += [_arr((3, 5), "float64"), _arr((5,), "float32")]
        cases.append(vals)
    check(ins, outs, cases)


def test_advanced_ops_direct() -> None:
    """The ops themselves (as rewrites may build them), incl. AdvancedSubtensor1 on uint8 indices."""
    x = gt.dmatrix("x")
    y = gt.dvector("y")
    u = gt.tensor(dtype="uint8", shape=(None,))
    ins = [x, y, u]
    outs = [
        AdvancedSubtensor1()(x, u),
        AdvancedIncSubtensor1()(x, y, u),
        AdvancedIncSubtensor1(set_instead_of_inc=True)(x, y, u),
        AdvancedSubtensor(((None, None, None), "a"))(x, u),
        AdvancedIncSubtensor(("a", (None, None, -1)), set_instead_of_inc=True)(x, y, u),
        Subtensor(((None, None, -1),))(x),
        IncSubtensor(((1, None, None),))(x, y),
    ]
    cases = [
        [_strided((4, 4), "float64"), _arr((4,), "float64"), np.array(v, "uint8")]
        for v in ([3, 0, 3], [])
    ]
    check(ins, outs, cases)


def test_advanced_errors() -> None:
    x = gt.dmatrix("x")
    v = gt.lvector("v")
    y = gt.dvector("y")
    b = gt.tensor(dtype="bool", shape=(None, None))
    with graft.change_flags(backend_fallback="raise"):
        f1 = graft.function([x, v], x[v], mode=NUMBA)
        f2 = graft.function([x, v], x[:, v], mode=NUMBA)
        f3 = graft.function([x, v, y], gt.inc_subtensor(x[v], y), mode=NUMBA)
        f4 = graft.function([x, v, y], gt.set_subtensor(x[1:, v], y), mode=NUMBA)
        f5 = graft.function([x, b], x[b], mode=NUMBA)
        f6 = graft.function([x, v], x[v, v[:2]], mode=NUMBA)
    xv = np.zeros((3, 4))
    raises(f1, (xv, np.array([0, 3])), IndexError, "AdvancedSubtensor1")
    raises(f1, (xv, np.array([-4])), IndexError, "AdvancedSubtensor1")
    raises(f2, (xv, np.array([4])), IndexError, "AdvancedSubtensor")
    raises(f3, (xv, np.array([7]), np.ones(4)), IndexError, "AdvancedIncSubtensor1")
    raises(f3, (xv, np.array([0, 1]), np.ones(3)), ValueError, "AdvancedIncSubtensor1")
    raises(f4, (xv, np.array([0, 9]), np.ones(2)), IndexError, "AdvancedSetSubtensor")
    raises(f5, (xv, np.ones((3, 3), bool)), IndexError, "AdvancedSubtensor")
    raises(f6, (xv, np.array([0, 1, 2])), IndexError, "AdvancedSubtensor")
    # Nothing written out of place: the input is untouched, the result fresh.
    yv = np.arange(4.0)
    out = f3(xv, np.array([1, 1]), yv)
    np.testing.assert_array_equal(out[1], 2 * yv)
    assert not xv.any()
