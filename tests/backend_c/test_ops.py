"""The C backend's rules against the reference backend: elementwise maps (plain and fused),
reductions, DimShuffle, shapes, Alloc, Reshape, Subtensor, Join, CheckAndRaise and Dot.

Each test batches many outputs into one graph (one gcc build per compiled function)."""

from __future__ import annotations

import numpy as np
import pytest
from c_helpers import C_RAW, PY, check, needs_c

import graft
import graft.tensor as gt

pytestmark = needs_c

RNG = np.random.default_rng(12)
EDGE = np.array([0.0, -0.0, 1.5, -2.5, np.nan, np.inf, -np.inf, 1e300, -1e-310, 7.0])


def _values(dtype: str, shape: tuple[int, ...], positive: bool = False) -> np.ndarray:
    kind = np.dtype(dtype).kind
    if kind == "f":
        v = RNG.normal(size=shape) * 3
        return np.abs(v).astype(dtype) + 0.1 if positive else v.astype(dtype)
    if kind == "b":
        return RNG.integers(0, 2, size=shape).astype(bool)
    info = np.iinfo(dtype)
    lo = 1 if positive else max(info.min, -100)
    return RNG.integers(lo, min(info.max, 100), size=shape, endpoint=True).astype(dtype)


@pytest.mark.parametrize("dtype", ["float64", "float32", "int64", "int8", "uint16"])
def test_arithmetic_and_comparisons(dtype):
    x, y = gt.matrix("x", dtype=dtype), gt.matrix("y", dtype=dtype)
    outs = [
        x + y,
        x - y,
        x * y,
        x // y,
        x % y,
        -x,
        abs(x),
        gt.sign(x),
        gt.maximum(x, y),
        gt.minimum(x, y),
        x < y,
        gt.eq(x, y),
        x >= y,
        gt.switch(x > y, x, y),
        x / y,
        x**2,
    ]
    kind = np.dtype(dtype).kind
    if kind in "iu":
        outs += [x & y, x | y, x ^ y, ~x]
    labels = [str(k) for k in range(len(outs))]
    a, b = _values(dtype, (3, 4)), _values(dtype, (3, 4))
    b[0, :2] = 0  # division and remainder by zero
    cases = [(a, b), (a[::-1, ::2].copy()[:, :2], b[::-1, ::2][:, :2]), (a[:0], b[:0])]
    check([x, y], outs, cases, labels)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_float_math_on_edge_values(dtype):
    x = gt.vector("x", dtype=dtype)
    fns = [
        gt.exp,
        gt.log,
        gt.log1p,
        gt.expm1,
        gt.tanh,
        gt.sqrt,
        gt.sigmoid,
        gt.softplus,
        gt.sin,
        gt.cos,
        gt.arctan,
        gt.floor,
        gt.ceil,
        gt.round,
        gt.erf,
        gt.gammaln,
        gt.log2,
        gt.isnan,
        gt.isinf,
        gt.cosh,
        gt.arcsinh,
        gt.exp2,
    ]
    outs = [f(x) for f in fns] + [gt.log1mexp(-gt.abs(x)), gt.logaddexp(x, x[::-1])]
    labels = [str(f) for f in fns] + ["log1mexp", "logaddexp"]
    with np.errstate(over="ignore"):
        v = EDGE.astype(dtype)
    check([x], outs, [(v,), (v[::-2],), (v[:0],)], labels, tol=(2e-5, 1e-12))


def test_integer_power_negative_exponent_raises():
    x, y = gt.lvector("x"), gt.lvector("y")
    f = graft.function([x, y], x**y, mode=C_RAW)
    np.testing.assert_array_equal(f(np.array([2, 3]), np.array([3, 0])), [8, 1])
    with pytest.raises(ValueError, match="negative"):
        f(np.array([2, 3]), np.array([3, -1]))
    np.testing.assert_array_equal(f(np.array([2]), np.array([10])), [1024])


@pytest.mark.parametrize("src", ["float64", "float32", "int64", "bool", "uint8"])
def test_casts_to_every_dtype(src):
    x = gt.vector("x", dtype=src)
    targets = [
        "float64",
        "float32",
        "int64",
        "int32",
        "int16",
        "int8",
        "uint64",
        "uint32",
        "uint8",
        "bool",
    ]
    outs = [gt.cast(x, t) for t in targets]
    if src.startswith("float"):
        # In range of int64 (NaN and larger values cast to integers are undefined in NumPy,
        # which warns; its results there depend on the array's length and layout).
        v = np.array([0.0, -2.0, 2.7, -2.7, 300.0, -70000.5, 65535.9, 0.5], dtype=src)
    else:
        v = _values(src, (7,))
    check([x], outs, [(v,), (v[::-1],)], targets)


def test_broadcasting_fused_composite_and_mixed_dtypes():
    x = gt.matrix("x")
    r = gt.row("r", dtype="float32")
    c = gt.col("c", dtype="int32")
    s = gt.scalar("s")
    outs = [
        gt.exp(x) * r + gt.log1p(gt.abs(x)) ** 2 - gt.tanh(x * c),
        (x + s) * 2 - c,
        gt.switch(x > 0, r, c),
        x * r * 3.5,
    ]
    a = RNG.normal(size=(4, 5))
    cases = [
        (a, RNG.normal(size=(1, 5)).astype("float32"), np.arange(4, dtype="int32")[:, None], 0.5),
        (
            a.T[::-1],
            RNG.normal(size=(1, 4)).astype("float32"),
            np.arange(5, dtype="int32")[:, None],
            -1.0,
        ),
        (np.zeros((0, 5)), np.ones((1, 5), "float32"), np.zeros((0, 1), "int32"), 2.0),
    ]
    check([x, r, c, s], outs, cases)


def test_runtime_broadcast_of_a_non_static_dimension_raises():
    x, y = gt.matrix("x"), gt.matrix("y")
    f = graft.function([x, y], x + y, mode=C_RAW)
    with pytest.raises(ValueError, match=r"Elemwise|add"):
        f(np.ones((3, 4)), np.ones((1, 4)))
    np.testing.assert_array_equal(f(np.ones((2, 2)), np.ones((2, 2))), 2 * np.ones((2, 2)))


@pytest.mark.parametrize("dtype", ["float64", "float32", "int8", "bool"])
def test_reductions_every_axis_set(dtype):
    x = gt.tensor3("x", dtype=dtype)
    outs, labels = [], []
    for axis in [None, 0, 1, 2, (0, 2), (1, 2)]:
        for name in ["sum", "prod", "max", "min", "all", "any"]:
            outs.append(getattr(gt, name)(x, axis=axis))
            labels.append(f"{name}{axis}")
    outs.append(gt.sum(x, axis=1, keepdims=True))
    labels.append("sum-keepdims")
    a = _values(dtype, (3, 4, 5))
    if dtype.startswith("float"):
        a[1, 2, 3] = np.nan
    check([x], outs, [(a,), (a[::-1, :, ::2],)], labels, tol=(1e-4, 1e-12))


def test_reductions_of_empty_axes():
    x = gt.matrix("x")
    f = graft.function([x], [gt.sum(x, axis=0), gt.prod(x, axis=1), gt.any(x)], mode=C_RAW)
    ref = graft.function([x], [gt.sum(x, axis=0), gt.prod(x, axis=1), gt.any(x)], mode=PY)
    for shape in [(0, 3), (3, 0), (0, 0)]:
        for g, e in zip(f(np.zeros(shape)), ref(np.zeros(shape))):
            np.testing.assert_array_equal(g, e)
    m = graft.function([x], gt.max(x, axis=1), mode=C_RAW)
    np.testing.assert_array_equal(m(np.zeros((0, 3))), np.zeros(0))
    with pytest.raises(ValueError, match=r"zero-size|identity"):
        m(np.zeros((3, 0)))


def test_fused_map_reduce_from_fast_run():
    x, w = gt.vector("x"), gt.vector("w")
    m = gt.matrix("m")
    outs = [
        gt.sum(gt.exp(x) * w),
        gt.max(gt.log1p(gt.abs(m)) * 2, axis=0),
        gt.sum(m * m, axis=1),
        gt.mean(gt.tanh(m)),
    ]
    a = RNG.normal(size=(6, 7))
    cases = [
        (RNG.normal(size=50), RNG.normal(size=50), a),
        (RNG.normal(size=100)[::2], RNG.normal(size=50), a.T[::-1]),
    ]
    check([x, w, m], outs, cases, rewrite=True)


def test_shapes_indexing_join_alloc_and_checks():
    x = gt.tensor3("x")
    v = gt.vector("v")
    i = gt.lscalar("i")
    n = gt.lscalar("n")
    from graft.raise_op import Assert

    outs = [
        x.shape,
        x.shape[1],
        x.transpose(2, 0, 1),
        x.dimshuffle(0, "x", 1, 2),
        x.reshape((x.shape[0], -1)),
        x[1],
        x[i, ::-1, 1:],
        x[:, i:, ::2],
        x[-1, -2:, i],
        gt.concatenate([v, v * 2, v[:1]]),
        gt.stack([v, v]),
        gt.alloc(v, n, v.shape[0]),
        gt.zeros((n, 2)),
        gt.set_subtensor(x[i, 1:], 0.5),
        gt.inc_subtensor(x[:, ::-2, i], 1.5),
        gt.inc_subtensor(x[i], x[0] * 2),
        Assert("positive")(v, gt.all(gt.ge(n, 0))),
        x.flatten(),
    ]
    a = RNG.normal(size=(3, 4, 5))
    cases = [(a, RNG.normal(size=4), 1, 2), (a[::-1, :, ::-1], RNG.normal(size=0), 0, 0)]
    check([x, v, i, n], outs, cases)


def test_integer_vector_indexing():
    x = gt.matrix("x")
    idx = gt.lvector("idx")
    outs = [x[idx], x[idx[::-1]] * 2, x.T[idx]]
    a = RNG.normal(size=(5, 3))
    cases = [
        (a, np.array([0, 2, 2, -1])),
        (a[::-1], np.array([1, 0, 1])),
        (a, np.zeros(0, "int64")),
    ]
    check([x, idx], outs, cases)
    f = graft.function([x, idx], x[idx], mode=C_RAW)
    with pytest.raises(IndexError, match="AdvancedSubtensor1"):
        f(a, np.array([7]))


def test_indexing_and_assert_errors_are_the_reference_ones():
    x = gt.vector("x")
    i = gt.lscalar("i")
    from graft.raise_op import Assert

    f = graft.function([x, i], [x[i], Assert("i is small")(x, gt.lt(i, 3))], mode=C_RAW)
    np.testing.assert_array_equal(f(np.arange(5.0), 2)[0], 2.0)
    with pytest.raises(IndexError, match="Subtensor"):
        f(np.arange(5.0), 7)
    with pytest.raises(AssertionError, match="i is small"):
        f(np.arange(5.0), 4)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_dot_through_blas(dtype):
    a, b = gt.matrix("a", dtype=dtype), gt.matrix("b", dtype=dtype)
    u = gt.vector("u", dtype=dtype)
    outs = [gt.dot(a, b), gt.dot(a, u), gt.dot(u, a.T), gt.dot(u, u), gt.dot(a.T, a)]
    m1, m2 = RNG.normal(size=(4, 3)).astype(dtype), RNG.normal(size=(3, 5)).astype(dtype)
    u1 = RNG.normal(size=3).astype(dtype)
    m1[0, 0] = np.nan
    cases = [
        (m1, m2, u1),
        (m1[::-1], m2[:, ::-1], u1[::-1]),
        (np.zeros((4, 0), dtype), np.zeros((0, 5), dtype), np.zeros(0, dtype)),
    ]
    labels = ["mm", "mv", "vm", "vv", "ata"]
    check([a, b, u], outs, cases[:2] + [cases[2]], labels, tol=(1e-4, 1e-12))


def test_dot_shape_mismatch_names_the_op():
    a, b = gt.matrix("a"), gt.matrix("b")
    f = graft.function([a, b], gt.dot(a, b), mode=C_RAW)
    with pytest.raises(ValueError, match=r"(?is)dot.*\(2, 3\)"):
        f(np.ones((2, 3)), np.ones((4, 2)))


@pytest.mark.parametrize("dtype", ["float64", "float32", "int16"])
def test_softmax_log_softmax_and_argmax_along_axes(dtype):
    x = gt.tensor3("x", dtype=dtype)
    outs, labels = [], []
    for axis in [0, 1, -1, None]:
        outs += [gt.softmax(x, axis=axis), gt.log_softmax(x, axis=axis)]
        outs += [gt.argmax(x, axis=axis), gt.argmin(x, axis=axis)]
        labels += [f"softmax{axis}", f"log_softmax{axis}", f"argmax{axis}", f"argmin{axis}"]
    a = _values(dtype, (3, 4, 5))
    b = a.copy()
    if dtype.startswith("float"):
        b[0, 1, :] = -np.inf
        b[1, 2, 3] = np.nan
        b[2, 0, 1] = np.inf
    check([x], outs, [(a,), (b[::-1, :, ::2],)], labels, tol=(1e-4, 1e-12))


def test_argmax_of_an_empty_axis_raises():
    x = gt.matrix("x")
    f = graft.function([x], gt.argmax(x, axis=1), mode=C_RAW)
    np.testing.assert_array_equal(f(np.zeros((0, 3))), np.zeros(0, "int64"))
    with pytest.raises(ValueError, match="empty"):
        f(np.zeros((3, 0)))
