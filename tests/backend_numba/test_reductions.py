"""The Numba backend's reductions (CAReduce, ElemwiseReduce) against the reference backend.

Every axis combination, with and without keepdims, for 0-d to 3-d inputs of each
dtype, batched into one compiled graph per dtype; empty axes, NaN propagation, the
output/accumulator dtypes of CAReduce, and ElemwiseReduce nodes made by FAST_RUN.
"""

from __future__ import annotations

import itertools
import warnings

import numpy as np
import pytest

import graft
import graft.scalar as ps
import graft.tensor as gt
from graft.compile import Mode
from graft.link.codegen import BackendFallbackWarning
from graft.tensor.elemwise import CAReduce, Elemwise
from graft.tensor.fused_reduce import ElemwiseReduce

pytest.importorskip("numba")

RAW_NUMBA = Mode(linker="numba", optimizer=None)
RAW_PY = Mode(linker="py", optimizer=None)
NAN, INF = np.nan, np.inf


def assert_same(got, exp, what="", rtol=None):
    assert type(got) is type(exp) is np.ndarray, (what, type(got), type(exp))
    assert got.dtype == exp.dtype, (what, got.dtype, exp.dtype)
    assert got.shape == exp.shape, (what, got.shape, exp.shape)
    if got.dtype.kind in "biu":
        np.testing.assert_array_equal(got, exp, err_msg=str(what))
    else:
        if rtol is None:
            rtol = 1e-4 if got.dtype == np.float32 else 1e-12
        np.testing.assert_allclose(got, exp, rtol=rtol, atol=0, equal_nan=True, err_msg=str(what))


def compile_both(inputs, outputs, rewrite=False):
    with warnings.catch_warnings():
        warnings.simplefilter("error", BackendFallbackWarning)
        modes = ("NUMBA", "PY") if rewrite else (RAW_NUMBA, RAW_PY)
        return [graft.function(inputs, outputs, mode=m) for m in modes]


def check(inputs, outputs, args, rewrite=False, labels=None, rtol=None):
    f, ref = compile_both(inputs, outputs, rewrite)
    with np.errstate(all="ignore"):
        got, exp = f(*args), ref(*args)
    for k, (g, e) in enumerate(zip(got, exp)):
        assert_same(g, e, labels[k] if labels else k, rtol)
    return f


def axis_choices(nd):
    """None, (), and every non-empty subset of the axes (one of them with a negative axis)."""
    res = [None, ()]
    for r in range(1, nd + 1):
        res.extend(itertools.combinations(range(nd), r))
    if nd:
        res.append((-1,))
    return res


REDUCERS = {
    "sum": gt.sum,
    "prod": gt.prod,
    "max": gt.max,
    "min": gt.min,
    "all": gt.all,
    "any": gt.any,
}
SHAPES = {0: (), 1: (5,), 2: (3, 4), 3: (2, 3, 4)}


def sample(dtype, shape, rng):
    if dtype == "bool":
        return rng.random(shape) < 0.7
    if np.dtype(dtype).kind in "iu":
        lo = 0 if dtype.startswith("u") else -3
        return rng.integers(lo, 4, size=shape).astype(dtype)
    v = rng.normal(size=shape).astype(dtype)
    return v


DTYPES = ["float64", "float32", "int8", "uint8", "int64", "bool"]


@pytest.mark.parametrize("dtype", DTYPES)
def test_every_axis_combination(dtype):
    # One graph per dtype: every axis choice of 0-d..3-d inputs, the reducer rotating
    # with the dtype so that across the dtypes every (reducer, axis) pair is compiled.
    rng = np.random.default_rng(0)
    xs = [gt.tensor(dtype=dtype, shape=(None,) * nd, name=f"x{nd}") for nd in range(4)]
    names = list(REDUCERS)
    outs, labels = [], []
    k = DTYPES.index(dtype)
    for nd, x in enumerate(xs):
        for axis in axis_choices(nd):
            name = names[k % len(names)]
            keep = k % 4 < 2
            k += 1
            outs.append(REDUCERS[name](x, axis=axis, keepdims=keep))
            labels.append(f"{name} nd={nd} axis={axis} keepdims={keep}")
    args = [sample(dtype, SHAPES[nd], rng) for nd in range(4)]
    f = check(xs, outs, args, labels=labels)
    # Non-contiguous inputs (reversed, strided, transposed) through the same function.
    ref = graft.function(xs, outs, mode=RAW_PY)
    big = [sample(dtype, tuple(2 * s for s in SHAPES[nd]), rng) for nd in range(4)]
    views = [big[0], big[1][::-2], big[2][::2, ::-2], big[3][::2, ::-2, 1::2]]
    with np.errstate(all="ignore"):
        for j, (g, e) in enumerate(zip(f(*views), ref(*views))):
            assert_same(g, e, labels[j])


def test_float_special_values_and_nan_propagation():
    x = gt.dmatrix("x")
    v = np.array([[1.0, NAN, 3.0], [-INF, 2.0, 0.5], [INF, -INF, -0.0], [NAN, NAN, 1.0]])
    outs = []
    for fn in REDUCERS.values():
        for axis in (None, 0, 1):
            outs.append(fn(x, axis=axis))
    f = check([x], outs, [v])
    mx = f(v)[REDUCERS.__len__() and 7]  # max over axis 0
    np.testing.assert_array_equal(np.isnan(mx), [True, True, False])
    check([x], outs, [v], rewrite=True)


def test_empty_reductions():
    x = gt.dmatrix("x")
    i = gt.bmatrix("i")
    outs = [
        gt.sum(x),
        gt.prod(x),
        gt.sum(x, axis=0),
        gt.prod(x, axis=1),
        gt.all(x, axis=0),
        gt.any(x),
        gt.max(x, axis=0),
        gt.sum(i, axis=0),
        gt.prod(i),
        gt.max(x, axis=()),
    ]
    f = check([x, i], outs, [np.zeros((3, 0)), np.zeros((3, 0), "int8")])
    r = f(np.zeros((3, 0)), np.zeros((3, 0), "int8"))
    assert r[0] == 0 and r[1] == 1 and r[6].shape == (0,)
    # max/min over an empty axis: ValueError, as NumPy; the replay names the Op.
    for red, axis in [(gt.max, 1), (gt.min, None), (gt.max, (0, 1))]:
        g = graft.function([x], red(x, axis=axis), mode=RAW_NUMBA)
        assert g(np.ones((2, 3))).size >= 1
        with pytest.raises(ValueError, match="zero-size array") as info:
            g(np.zeros((2, 0)))
        assert "Max" in str(info.value) or "Min" in str(info.value)
    # Empty output with a non-empty reduced axis: no error.
    g = graft.function([x], gt.max(x, axis=1), mode=RAW_NUMBA)
    assert g(np.zeros((0, 3))).shape == (0,)


def test_output_and_accumulator_dtypes():
    rng = np.random.default_rng(3)
    b = gt.bmatrix("b")
    u = gt.matrix("u", dtype="uint8")
    f32 = gt.fmatrix("f")
    t = gt.matrix("t", dtype="bool")
    outs = [
        gt.sum(b),  # int64
        gt.sum(b, axis=0, dtype="int8"),  # wraps in int8
        gt.sum(b, dtype="float32"),
        gt.prod(b, axis=1),
        gt.sum(u, axis=1),  # uint64
        gt.prod(u, axis=0, dtype="uint8"),
        gt.sum(f32, axis=0, dtype="float64"),
        gt.sum(f32, axis=1, dtype="int32"),
        gt.max(b, axis=0),
        gt.min(u),
        gt.sum(t),
        gt.sum(t, axis=0, dtype="bool"),
        gt.prod(t, axis=1),
        gt.max(t, axis=0),
        gt.all(b, axis=1),
        gt.any(f32, axis=0),
        CAReduce(ps.add, axis=(0,), dtype="float64")(b),
        CAReduce(ps.maximum, axis=(1,), dtype="float32")(b),
        CAReduce(ps.and_, axis=(0,), dtype="int16")(t),
        CAReduce(ps.or_, axis=None)(b),
    ]
    vb = rng.integers(-128, 128, size=(40, 6)).astype("int8")
    vu = rng.integers(0, 256, size=(40, 6)).astype("uint8")
    vf = (rng.normal(size=(40, 6)) * 10).astype("float32")
    vt = rng.random((40, 6)) < 0.5
    f = check([b, u, f32, t], outs, [vb, vu, vf, vt])
    assert [o.dtype for o in f(vb, vu, vf, vt)][:5] == [
        "int64",
        "int8",
        "float32",
        "int64",
        "uint64",
    ]


@pytest.mark.parametrize("dtype", ["int8", "uint8", "bool"])
def test_xor_reduction(dtype):
    x = gt.tensor(dtype=dtype, shape=(None, None, None), name="x")
    outs = [CAReduce(ps.xor, axis=a)(x) for a in [None, (0,), (1,), (2,), (0, 2), (1, 2), ()]]
    rng = np.random.default_rng(4)
    check([x], outs, [sample(dtype, (3, 4, 5), rng)])
    g = graft.function([x], outs[2], mode=RAW_NUMBA)
    with pytest.raises(ValueError):
        g(np.zeros((2, 0, 3), dtype))


# ---------------------------------------------------------------------------
# ElemwiseReduce
# ---------------------------------------------------------------------------


def test_fast_run_makes_one_elemwise_reduce_loop():
    x, w = gt.dvector("x"), gt.dvector("w")
    out = gt.sum(gt.exp(x) * w)
    with warnings.catch_warnings():
        warnings.simplefilter("error", BackendFallbackWarning)
        f = graft.function([x, w], out, mode="NUMBA")
    ops = [n.op for n in f.maker.fgraph.toposort()]
    assert [type(op) for op in ops] == [ElemwiseReduce]
    assert not any(isinstance(op, Elemwise) for op in ops)
    rng = np.random.default_rng(5)
    vx, vw = rng.normal(size=1000), rng.normal(size=1000)
    r = f(vx, vw)
    assert type(r) is np.ndarray and r.shape == () and r.dtype == np.float64
    np.testing.assert_allclose(r, np.sum(np.exp(vx) * vw), rtol=1e-12)
    assert f(vx[:0], vw[:0]) == 0
    with pytest.raises(ValueError, match="ElemwiseReduce"):
        f(vx, vw[:5])


@pytest.mark.parametrize("dtype", ["float64", "float32", "int8"])
def test_fused_reductions_axes_and_broadcasting(dtype):
    x = gt.tensor(dtype=dtype, shape=(None, None, None), name="x")
    w = gt.tensor(dtype=dtype, shape=(1, None, 1), name="w")
    outs, labels = [], []
    names = list(REDUCERS)
    for k, axis in enumerate(axis_choices(3)):
        name, keep = names[k % len(names)], k % 3 == 1
        # A different map per output: a mapped value read twice is not fused.
        expr = gt.sqr(x - k) * w if name not in ("all", "any") else gt.gt(x * (w + k), 0)
        outs.append(REDUCERS[name](expr, axis=axis, keepdims=keep))
        labels.append(f"{name} axis={axis} keepdims={keep}")
    rng = np.random.default_rng(6)
    vx = sample(dtype, (3, 4, 5), rng)
    vw = sample(dtype, (1, 4, 1), rng)
    f = check([x, w], outs, [vx, vw], rewrite=True, labels=labels)
    fused = [n for n in f.maker.fgraph.toposort() if isinstance(n.op, ElemwiseReduce)]
    assert len(fused) >= len(axis_choices(3)) - 2  # all but axis=(): nothing to fuse
    # Reversed, strided inputs through the same compiled function.
    big = sample(dtype, (6, 8, 10), rng)
    ref = graft.function([x, w], outs, mode="PY")
    with np.errstate(all="ignore"):
        for k, (g, e) in enumerate(
            zip(f(big[::2, ::-2, 1::2], vw), ref(big[::2, ::-2, 1::2], vw))
        ):
            assert_same(g, e, labels[k])


def test_elemwise_reduce_direct():
    a, b = ps.float32("a"), ps.int8("b")
    comp = ps.Composite([a, b], [ps.mul(ps.exp(a), b)])
    x = gt.tensor(dtype="float32", shape=(None, None), name="x")
    i = gt.tensor(dtype="int8", shape=(1, None), name="i")
    outs = [
        ElemwiseReduce(comp, ps.add)(x, i),
        ElemwiseReduce(comp, ps.add, axis=0, dtype="float64")(x, i),
        ElemwiseReduce(comp, ps.maximum, axis=1)(x, i),
        ElemwiseReduce(ps.add, ps.mul, axis=(0, 1))(i, i),
        ElemwiseReduce(ps.gt, ps.or_, axis=0)(x, i),
        ElemwiseReduce(ps.exp, ps.minimum, axis=())(x),
        ElemwiseReduce(ps.int_div, ps.add, axis=1)(i, i),
    ]
    rng = np.random.default_rng(7)
    vx = rng.normal(size=(5, 3)).astype("float32")
    vi = np.array([[-2, 0, 3]], "int8")
    # The map is computed in float32 (numba's expf may differ from NumPy's by an ulp).
    check([x, i], outs, [vx, vi], rtol=1e-6)
    g = graft.function([x, i], outs[2], mode=RAW_NUMBA)
    with pytest.raises(ValueError, match="zero-size"):
        g(vx[:, :0], vi[:, :0])
    with pytest.raises(ValueError, match="ElemwiseReduce"):
        g(vx, np.zeros((1, 4), "int8"))
