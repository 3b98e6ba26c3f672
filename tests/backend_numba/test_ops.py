"""The Numba rules of shape, building, product and along-an-axis Ops against the reference backend.

Each test compiles a few graphs with many outputs (numba compiles each graph
once): unrewritten with the Numba linker under ``backend_fallback="raise"``
(so every node must have a native rule) and with the FAST_RUN rewrites
(``mode="NUMBA"``), and compares dtype, shape and values with the reference
(``linker="py"``).
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
from graft.raise_op import CheckAndRaise
from graft.tensor.axes import BroadcastTo
from graft.tensor.basic import ARange, Eye, MakeVector, ScalarFromTensor, TensorFromScalar
from graft.tensor.extra_ops import Diff
from graft.tensor.join import Join
from graft.tensor.math import Argmax, Dot, MatMul
from graft.tensor.shape import Reshape, Shape, Shape_i, SpecifyShape
from graft.tensor.sorting import ArgSortOp, SortOp
from graft.tensor.triangular import AllocDiag, ExtractDiag

DTYPES = ["float64", "float32", "int64", "int8", "uint8", "bool"]
RNG = np.random.default_rng(1234)


def _arr(shape: Sequence[int], dtype: str) -> np.ndarray:
    if dtype == "bool":
        return RNG.random(shape) > 0.5
    if dtype.startswith("float"):
        return (RNG.standard_normal(shape) * 3).astype(dtype)
    info = np.iinfo(dtype)
    return RNG.integers(max(info.min, -50), min(info.max, 50), shape, endpoint=True).astype(dtype)


def _strided(shape: Sequence[int], dtype: str) -> np.ndarray:
    return strided(_arr([2 * s for s in shape], dtype))


# ---------------------------------------------------------------------------


def test_shape_ops_and_reshape() -> None:
    ins, outs = [], []
    for dt in DTYPES:
        x = gt.tensor(dtype=dt, shape=(None, None, None))
        ins.append(x)
        shp = Shape()(x)
        outs += [shp, Shape_i(2)(x), SpecifyShape((None, 3, None))(x)]
        outs += [Reshape(2)(x, gt.as_tensor([-1, 4]))]
        outs += [Reshape(1)(x, gt.as_tensor([-1])), Reshape(3)(x, shp)]
    n = gt.lscalar("n")
    x0 = gt.dscalar("x0")
    ins += [n, x0]
    outs += [
        Reshape(0)(x0, gt.as_tensor(np.zeros(0, "int64"))),
        Reshape(2)(ins[0], MakeVector()(n, -1)),
    ]
    shapes = [(2, 3, 4), (0, 3, 4)]
    cases = []
    for s in shapes:
        vals = [_arr(s, dt) for dt in DTYPES]
        vals[1] = _strided(s, "float32")
        cases.append([*vals, 2 if s[0] else 3, 1.5])
    check(ins, outs, cases)


def test_reshape_and_specify_shape_errors() -> None:
    x = gt.dmatrix("x")
    s = gt.lvector("s")
    with graft.change_flags(backend_fallback="raise"):
        f = graft.function([x, s], Reshape(2)(x, s), mode=NUMBA)
        h = graft.function([x], SpecifyShape((2, None))(x), mode=NUMBA)
    xv = np.ones((3, 4))
    for bad in ([5, -1], [-1, -1], [0, -1], [2, 5]):
        raises(f, (xv, np.array(bad)), ValueError, "Reshape")
    np.testing.assert_array_equal(f(xv, np.array([-3, 6])), xv.reshape(2, 6))
    raises(h, (xv,), AssertionError, "SpecifyShape")


def test_alloc_broadcast_and_bridges() -> None:
    ins, outs = [], []
    n, m = gt.lscalar("n"), gt.lscalar("m")
    ins += [n, m]
    for dt in DTYPES:
        v = gt.tensor(dtype=dt, shape=(1, None))
        s = gt.tensor(dtype=dt, shape=())
        ins += [v, s]
        outs += [gt.alloc(v, n, m), gt.alloc(s, m, n), gt.alloc(v, 2, n, m)]
        outs += [BroadcastTo()(v, n, m), BroadcastTo()(s, m)]
    cases = []
    for nv, mv in ((3, 4), (0, 4), (2, 0)):
        vals: list[Any] = [nv, mv]
        for dt in DTYPES:
            vals += [_arr((1, mv), dt), _arr((), dt)]
        cases.append(vals)
    check(ins, outs, cases)


def test_scalar_bridges() -> None:
    ins = [gt.tensor(dtype=dt, shape=()) for dt in DTYPES]
    outs = [TensorFromScalar()(ScalarFromTensor()(s)) for s in ins]
    check(ins, outs, [[_arr((), dt) for dt in DTYPES]], rewrite=False)


def test_alloc_refuses_runtime_broadcast() -> None:
    v = gt.dvector("v")
    n = gt.lscalar("n")
    with graft.change_flags(backend_fallback="raise"):
        f = graft.function([v, n], gt.alloc(v, 2, n), mode=NUMBA)
        b = graft.function([v, n], BroadcastTo()(v, 2, n), mode=NUMBA)
    np.testing.assert_array_equal(f(np.arange(3.0), 3), np.tile(np.arange(3.0), (2, 1)))
    # v has size 1 at run time, but its static size is unknown: no broadcasting.
    raises(f, (np.ones(1), 3), ValueError, "Alloc")
    raises(f, (np.ones(2), 3), ValueError, "Alloc")
    # BroadcastTo follows NumPy: a run-time 1 broadcasts.
    np.testing.assert_array_equal(b(np.ones(1), 3), np.ones((2, 3)))
    raises(b, (np.ones(2), 3), ValueError, "BroadcastTo")


def test_join_split_stack() -> None:
    ins, outs = [], []
    for dt in DTYPES:
        x = gt.tensor(dtype=dt, shape=(None, None))
        y = gt.tensor(dtype=dt, shape=(None, None))
        ins += [x, y]
        outs += [Join(0)(x, y), Join(1)(x, y, x)]
        a, b, c = gt.split(x, [1, 0, 1], 3, axis=0)
        d, e = gt.split(y, gt.as_tensor([2, 1]), 2, axis=1)
        outs += [a, b, c, d, e]
    i8 = gt.bvector("i8")
    f32 = gt.fvector("f32")
    u8 = gt.tensor(dtype="uint8", shape=(None,))
    ins += [i8, f32, u8]
    outs += [Join(0)(i8, f32), Join(0)(i8, u8), gt.stack([f32, f32], axis=1)]
    s0 = gt.dscalar("s0")
    ins.append(s0)
    outs.append(gt.stack([s0, s0, s0]))
    cases = []
    for k in (0, 1):
        vals: list[Any] = []
        for dt in DTYPES:
            x = _arr((2, 3), dt) if k == 0 else _strided((2, 3), dt)
            vals += [x, _arr((2, 3), dt)]
        vals += [_arr((3,), "int8"), _strided((2,), "float32"), _arr((4,), "uint8"), 2.5]
        cases.append(vals)
    check(ins, outs, cases)


def test_join_split_errors() -> None:
    x, y = gt.dmatrix("x"), gt.dmatrix("y")
    s = gt.lvector("s")
    with graft.change_flags(backend_fallback="raise"):
        j = graft.function([x, y], Join(0)(x, y), mode=NUMBA)
        sp = graft.function([x, s], gt.split(x, s, 2, axis=1), mode=NUMBA)
    raises(j, (np.ones((2, 3)), np.ones((2, 4))), ValueError, "Join")
    for bad in ([1, 1], [4, -1], [1, 1, 1]):
        raises(sp, (np.ones((2, 3)), np.array(bad)), ValueError, "Split")


def test_arange_and_eye() -> None:
    ins, outs = [], []
    for dts in (("int64",) * 3, ("float64",) * 3, ("float32",) * 3, ("int8", "int8", "int8")):
        a, b, c = (gt.tensor(dtype=d, shape=()) for d in dts)
        ins += [a, b, c]
        outs.append(gt.arange(a, b, c))
    a, b, c = ins[-3:]
    outs += [ARange("float32")(a, b, c), ARange("int16")(a, b, c)]
    fa, fb, fc = ins[3:6]
    outs.append(ARange("float32")(fa, fb, fc))
    n, m, k = gt.lscalar("n"), gt.lscalar("m"), gt.lscalar("k")
    ins += [n, m, k]
    for dt in DTYPES:
        outs.append(Eye(dt)(n, m, k))
    cases = []
    for (s, e, st), (nv, mv, kv) in zip(
        ((0, 10, 3), (5, -7, -2), (1, 1, 1), (0.5, 3.1, 1.3), (2, -3, 1)),
        ((3, 4, 1), (0, 3, 0), (4, 2, -1), (3, 3, 5), (2, 5, -4)),
    ):
        vals: list[Any] = []
        for conv in (int, float, np.float32, int):
            vals += [conv(s), conv(e), conv(st)]
        cases.append([*vals, nv, mv, kv])
    check(ins, outs, cases)
    with graft.change_flags(backend_fallback="raise"):
        f = graft.function(ins[:3], outs[0], mode=NUMBA)
    raises(f, (0, 3, 0), ValueError, "ARange")


def test_diagonals() -> None:
    ins, outs = [], []
    for dt in DTYPES:
        x = gt.tensor(dtype=dt, shape=(None, None, None))
        v = gt.tensor(dtype=dt, shape=(None, None))
        ins += [x, v]
        outs += [ExtractDiag(0, 0, 1)(x), ExtractDiag(1, 2, 0)(x), ExtractDiag(-2, 1, 2)(x)]
        outs += [AllocDiag(0)(v), AllocDiag(-1)(v), AllocDiag(2)(v)]
    cases = []
    for s in ((3, 4, 5), (0, 2, 2)):
        vals: list[Any] = []
        for dt in DTYPES:
            vals += [_strided(s, dt) if s[0] else _arr(s, dt), _arr(s[1:], dt)]
        cases.append(vals)
    check(ins, outs, cases)


def test_dot_and_matmul_dtypes() -> None:
    ins, outs = [], []
    for dt in DTYPES:
        a = gt.tensor(dtype=dt, shape=(None, None))
        b = gt.tensor(dtype=dt, shape=(None, None))
        u = gt.tensor(dtype=dt, shape=(None,))
        w = gt.tensor(dtype=dt, shape=(None,))
        ins += [a, b, u, w]
        outs += [Dot()(a, b), Dot()(a, u), Dot()(w, a), Dot()(u, u)]
    f32m, f64v = gt.fmatrix("f32m"), gt.dvector("f64v")
    t3 = gt.tensor(dtype="float64", shape=(None, None, None))
    t4 = gt.tensor(dtype="float64", shape=(None, 1, None, None))
    i3 = gt.tensor(dtype="int8", shape=(None, None, None))
    ins += [f32m, f64v, t3, t4, i3]
    outs += [Dot()(f32m, f64v), MatMul()(t3, t4), MatMul()(t4, ins[1]), MatMul()(i3, i3)]
    cases = []
    for m, k in ((2, 3), (3, 0), (1, 1)):
        vals: list[Any] = []
        for dt in DTYPES:
            a = _arr((m, k), dt) if m != 2 else _strided((m, k), dt)
            vals += [a, _arr((k, k), dt), _arr((k,), dt), _arr((m,), dt)]
        vals += [_arr((m, k), "float32"), _arr((k,), "float64")]
        vals += [_arr((4, k, k), "float64"), _strided((2, 1, k, k), "float64")]
        vals += [_arr((2, k, k), "int8") * 20]
        cases.append(vals)
    check(ins, outs, cases)
    with graft.change_flags(backend_fallback="raise"):
        f = graft.function(ins[:2], outs[0], mode=NUMBA)
    raises(f, (np.ones((2, 3)), np.ones((2, 3))), ValueError, "Dot")


def test_along_axis_ops() -> None:
    ins, outs = [], []
    for dt in DTYPES:
        x = gt.tensor(dtype=dt, shape=(None, None, None))
        ins.append(x)
        outs += [gt.cumsum(x, axis=1), Diff(1, 2)(x), SortOp(1)(x), ArgSortOp(2, "stable")(x)]
        if dt in ("float64", "float32", "int8", "bool"):
            # More axes on a few dtypes (numba compile time grows with the graph).
            outs += [gt.cumprod(x, axis=0), gt.cumsum(x), Diff(2, 0)(x)]
            outs += [SortOp(None)(x), ArgSortOp(0, "mergesort")(x)]
        if dt != "bool":
            outs += [gt.softmax(x, axis=1), gt.log_softmax(x, axis=-1), gt.softmax(x, axis=None)]
    cases = []
    for s in ((2, 3, 4), (0, 3, 2), (2, 1, 5)):
        vals = [_strided(s, dt) if s[0] else _arr(s, dt) for dt in DTYPES]
        vals[0] = vals[0].copy()
        vals[0].flat[::3] = np.nan
        vals[0].flat[1::7] = np.inf
        vals[0].flat[2::11] = -np.inf
        cases.append(vals)
    check(ins, outs, cases)


def test_reverse_cumop_and_argmax() -> None:
    from graft.tensor.extra_ops import CumOp

    ins, outs = [], []
    for dt in DTYPES:
        x = gt.tensor(dtype=dt, shape=(None, None))
        ins.append(x)
        outs += [CumOp(0, "add", True)(x), CumOp(None, "mul", True)(x), CumOp(1, "mul", False)(x)]
        outs += [Argmax(0, "max")(x), Argmax(1, "min")(x), Argmax(None, "max")(x)]
    cases = []
    for s in ((3, 4), (1, 1)):
        vals = [_strided(s, dt) for dt in DTYPES]
        vals[0] = vals[0].copy()
        vals[0][0, 0] = np.nan
        cases.append(vals)
    check(ins, outs, cases)
    x = gt.dmatrix("x")
    with graft.change_flags(backend_fallback="raise"):
        f = graft.function([x], Argmax(1, "max")(x), mode=NUMBA)
    raises(f, (np.ones((2, 0)),), ValueError, "Argmax")


def test_searchsorted() -> None:
    ins, outs = [], []
    for dt in ("float64", "int64", "uint8", "float32"):
        a = gt.tensor(dtype=dt, shape=(None,))
        v = gt.tensor(dtype=dt, shape=(None, None))
        ins += [a, v]
        outs += [gt.searchsorted(a, v), gt.searchsorted(a, v, side="right")]
    cases = []
    for n in (7, 0, 1):
        vals: list[Any] = []
        for dt in ("float64", "int64", "uint8", "float32"):
            a = np.sort(_arr((n,), dt))
            v = _arr((3, 4), dt)
            if dt.startswith("float") and n:
                a[-1] = np.nan
                v[0, 0] = np.nan
                v[1, 1] = a[0]
            vals += [a, v]
        cases.append(vals)
    check(ins, outs, cases)


def test_check_and_raise_and_gradient_identities() -> None:
    class MyError(ValueError):
        pass

    x = gt.dvector("x")
    c = gt.tensor(dtype="bool", shape=())
    k = gt.lscalar("k")
    out = CheckAndRaise(MyError, "x must be 'positive'")(x, c, k)
    ident = (
        graft.gradient.consider_constant(x) if hasattr(graft.gradient, "consider_constant") else x
    )
    with graft.change_flags(backend_fallback="raise"):
        f = graft.function([x, c, k], [out, ident], mode=NUMBA)
    got = f(np.arange(3.0), True, 1)
    np.testing.assert_array_equal(got[0], np.arange(3.0))
    np.testing.assert_array_equal(got[1], np.arange(3.0))
    for cv, kv in ((False, 1), (True, 0)):
        with pytest.raises(MyError, match="x must be 'positive'"):
            f(np.arange(3.0), cv, kv)
