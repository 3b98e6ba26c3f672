"""unique, nonzero/flatnonzero, bincount, roll, linspace and nan_to_num against NumPy."""

from __future__ import annotations

import itertools
from functools import partial

import helpers
import numpy as np
import pytest
from helpers import HSET, ev, sym
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import graft
import graft.tensor as gt
from graft.gradient import grad
from graft.tensor.extra_ops import Bincount, Nonzero, Unique
from graft.testing import verify_grad

RNG = np.random.default_rng(3)
# roll/linspace/nan_to_num may return their input (no node to check infer_shape on).
check_all = partial(helpers.check_all, allow_no_node=True)
check_grad = partial(helpers.check_grad, rng=RNG)

DTYPES = ["float64", "float32", "int64", "int8", "uint8", "bool"]


def values_of(shape, dtype, special=True):
    """Values of ``dtype`` with repeats; floats include nan, +-inf, -0.0 and huge values."""
    n = int(np.prod(shape))
    if dtype == "bool":
        return RNG.random(shape) < 0.5
    if np.dtype(dtype).kind in "iu":
        info = np.iinfo(dtype)
        pool = np.array([info.min, info.max, 0, 0, 1, 3, 3], dtype=dtype)
        return RNG.choice(pool, size=shape).astype(dtype)
    pool = [0.0, -0.0, 1.5, 1.5, -2.0, 1e300] + ([np.nan, np.inf, -np.inf] if special else [])
    with np.errstate(over="ignore"):
        return RNG.choice(np.array(pool), size=n).reshape(shape).astype(dtype)


# ---------------------------------------------------------------------------
# unique
# ---------------------------------------------------------------------------

FLAGS = list(itertools.product([False, True], repeat=3))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(), (0,), (1,), (9,), (3, 4), (2, 0)])
def test_unique_flattened_matches_numpy(shape, dtype):
    v = values_of(shape, dtype)
    x = sym(v)
    for flags in FLAGS:
        outs = gt.unique(x, *flags)
        exp = np.unique(v, *flags)
        if not any(flags):
            outs, exp = (outs,), (exp,)
        assert len(outs) == len(exp)
        for o, e in zip(outs, exp):
            check_all(o, {x: v}, e)


@pytest.mark.parametrize("dtype", ["float64", "int8", "bool"])
@pytest.mark.parametrize("shape, axis", [((4, 3), 0), ((4, 3), 1), ((3, 4, 2), -2), ((0, 3), 0)])
def test_unique_along_axis_matches_numpy(shape, axis, dtype):
    v = values_of(shape, dtype, special=False)
    if v.size:
        v[1] = v[0]  # a repeated slice along axis 0
    x = sym(v)
    outs = gt.unique(x, True, True, True, axis=axis)
    exp = np.unique(v, True, True, True, axis=axis)
    for o, e in zip(outs, exp):
        check_all(o, {x: v}, e)
    xs = gt.tensor(dtype=dtype, shape=shape)
    vals = gt.unique(xs, axis=axis)
    ax = axis % len(shape)
    assert vals.type.shape[:ax] == shape[:ax] and vals.type.shape[ax + 1 :] == shape[ax + 1 :]


def test_unique_nans_collapse_and_static_shapes():
    x = gt.dvector("x")
    v = np.array([np.nan, 2.0, np.nan, -0.0, 0.0])
    values, counts = gt.unique(x, return_counts=True)
    check_all(values, {x: v}, np.unique(v))
    check_all(counts, {x: v}, np.unique(v, return_counts=True)[1])
    one = gt.tensor(dtype="int8", shape=(1, 1))
    assert gt.unique(one).type.shape == (1,)
    assert gt.unique(gt.tensor(dtype="float32", shape=(0, 3))).type.shape == (0,)
    assert gt.unique(x, return_inverse=True)[1].type.shape == (None,)
    assert gt.unique(gt.dmatrix(), return_inverse=True)[1].type.ndim == 2


def test_unique_op_props_errors_and_gradient():
    assert Unique(True, axis=-1).make_node(gt.dmatrix()).op == Unique(True, False, False, 1)
    assert Unique() != Unique(return_counts=True)
    assert "counts" in str(Unique(return_counts=True))
    with pytest.raises(np.exceptions.AxisError, match="axis 2 is out of bounds"):
        gt.unique(gt.dmatrix(), axis=2)
    with pytest.raises(TypeError, match="axis must be an int or None"):
        gt.unique(gt.dmatrix(), axis=(0, 1))
    x = gt.dvector("x")
    with pytest.raises(Exception, match="unique is not differentiable"):
        grad(gt.unique(x).sum(), x)
    i = gt.lvector("i")
    gi = ev(grad(gt.unique(i).sum(), i), {i: np.array([2, 2, 1])})
    assert gi.dtype == np.float64 and not gi.any()


def test_unique_compiled_fast_run():
    x = gt.dmatrix("x")
    values, inverse, counts = gt.unique(x, return_inverse=True, return_counts=True)
    f = graft.function([x], [values, inverse, counts, values.shape[0] * 2], mode="FAST_RUN")
    v = values_of((5, 3), "float64")
    got = f(v)
    exp = np.unique(v, return_inverse=True, return_counts=True)
    for g, e in zip(got[:3], exp):
        np.testing.assert_array_equal(g, e)
    assert got[3] == 2 * exp[0].shape[0]
    # The inverse rebuilds x (NaNs compare unequal, so compare with equal_nan).
    np.testing.assert_array_equal(got[0][got[1]], v)


# ---------------------------------------------------------------------------
# nonzero / flatnonzero
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(0,), (1,), (7,), (3, 4), (2, 0, 3), (1, 1), (2, 3, 2)])
def test_nonzero_matches_numpy(shape, dtype):
    v = values_of(shape, dtype)
    x = sym(v)
    outs = gt.nonzero(x)
    assert isinstance(outs, tuple) and len(outs) == len(shape)
    for o, e in zip(outs, np.nonzero(v)):
        check_all(o, {x: v}, e)
    mat = gt.nonzero(x, return_matrix=True)
    check_all(mat, {x: v}, np.array(np.nonzero(v)).reshape(len(shape), -1))
    check_all(gt.flatnonzero(x), {x: v}, np.flatnonzero(v))
    # Non-contiguous input.
    if v.ndim >= 2:
        vt = np.swapaxes(v, 0, 1)
        xt = sym(vt)
        for o, e in zip(gt.nonzero(xt), np.nonzero(vt)):
            check_all(o, {xt: vt}, e)


def test_nonzero_edge_cases_and_errors():
    with pytest.raises(ValueError, match=r"Nonzero: input .* is 0-d"):
        gt.nonzero(gt.dscalar("s"))
    s = gt.dscalar("s")
    check_all(gt.flatnonzero(s), {s: np.float64(2.0)}, np.flatnonzero(np.float64(2.0)))
    check_all(gt.flatnonzero(s), {s: np.float64(0.0)}, np.flatnonzero(np.float64(0.0)))
    assert gt.nonzero(gt.tensor(dtype="int8", shape=(3, 0)))[0].type.shape == (0,)
    assert Nonzero() == Nonzero()


def test_nonzero_indices_in_a_differentiable_graph():
    x = gt.dvector("x")
    (idx,) = gt.nonzero(gt.gt(x, 0))
    y = (x[idx] ** 2).sum()
    v = np.array([1.0, -2.0, 3.0, 0.0])
    np.testing.assert_array_equal(ev(grad(y, x), {x: v}), [2.0, 0.0, 6.0, 0.0])
    f = graft.function([x], [y, idx.shape[0]], mode="FAST_RUN")
    total, count = f(v)
    assert total == 10.0 and count == 2


# ---------------------------------------------------------------------------
# bincount
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("xdtype", ["int64", "int32", "int8", "uint8", "bool"])
@pytest.mark.parametrize("wdtype", [None, "float64", "float32", "int64"])
@pytest.mark.parametrize("n, minlength", [(0, 0), (0, 4), (1, 0), (12, 0), (12, 30)])
def test_bincount_matches_numpy(n, minlength, xdtype, wdtype):
    xv = (RNG.integers(0, 2 if xdtype == "bool" else 9, size=n)).astype(xdtype)
    x = sym(xv)
    if wdtype is None:
        out = gt.bincount(x, minlength=minlength)
        check_all(out, {x: xv}, np.bincount(xv, minlength=minlength))
    else:
        wv = RNG.integers(-5, 5, size=n).astype(wdtype)
        w = sym(wv)
        out = gt.bincount(x, w, minlength)
        # NumPy gives int64 zeros for an empty x even with weights; graft's type says float64.
        expected = np.bincount(xv, wv, minlength).astype("float64")
        check_all(out, {x: xv, w: wv}, expected)
    assert out.type.dtype == ("int64" if wdtype is None else "float64")


def test_bincount_errors():
    x = gt.lvector("x")
    with pytest.raises(ValueError, match="Bincount: input x must hold non-negative integers"):
        ev(gt.bincount(x), {x: np.array([1, -3, 2])})
    with pytest.raises(TypeError, match=r"Bincount: input x \(d\) must have an integer dtype"):
        gt.bincount(gt.dvector("d"))
    with pytest.raises(ValueError, match=r"Bincount: input x .* must be a vector"):
        gt.bincount(gt.lmatrix("m"))
    with pytest.raises(ValueError, match=r"weights .* must be a vector"):
        gt.bincount(x, gt.dmatrix("wm"))
    with pytest.raises(TypeError, match=r"weights .* must be real"):
        gt.bincount(x, gt.zvector("wc"))
    w = gt.dvector("w")
    with pytest.raises(ValueError, match="weights have length 2, but x has length 3"):
        ev(gt.bincount(x, w), {x: np.array([0, 1, 2]), w: np.ones(2)})
    with pytest.raises(ValueError, match=r"have length 2, but x .* has length 3"):
        gt.bincount(gt.tensor(dtype="int64", shape=(3,)), gt.tensor(dtype="float64", shape=(2,)))
    with pytest.raises(ValueError, match="minlength must not be negative"):
        gt.bincount(x, minlength=-1)
    with pytest.raises(TypeError, match="minlength must be an int"):
        gt.bincount(x, minlength=2.0)


def test_bincount_gradients():
    xv = np.array([0, 3, 3, 1, 5])
    for wdtype in ["float64", "float32"]:
        verify_grad(
            lambda w: gt.bincount(gt.constant(xv), w, minlength=8), [RNG.random(5).astype(wdtype)]
        )
    x, w = gt.lvector("x"), gt.fvector("w")
    gx, gw = grad((gt.bincount(x, w) ** 2).sum(), [x, w])
    assert gw.type.dtype == "float32"
    wv = np.array([1, 2, 3, 4, 5], dtype="float32")
    sums = np.bincount(xv, wv)
    np.testing.assert_allclose(ev(gw, {x: xv, w: wv}), 2 * sums[xv])
    gxv = ev(gx, {x: xv, w: wv})
    assert gxv.dtype == np.float64 and not gxv.any()


def test_bincount_compiled_fast_run_and_infer_shape_of_empty():
    x, w = gt.lvector("x"), gt.dvector("w")
    b = gt.bincount(x, w, minlength=3)
    f = graft.function([x, w], [b, b.shape[0]], mode="FAST_RUN")
    for xv in [np.array([4, 0, 4]), np.zeros(0, "int64")]:
        wv = RNG.random(xv.size)
        out, n = f(xv, wv)
        np.testing.assert_allclose(out, np.bincount(xv, wv, minlength=3))
        assert n == len(out)
    assert gt.bincount(gt.tensor(dtype="int8", shape=(0,)), minlength=5).type.shape == (5,)
    assert Bincount(2) == Bincount(2) and Bincount(2) != Bincount(3)


# ---------------------------------------------------------------------------
# roll
# ---------------------------------------------------------------------------

ROLL_CASES = [
    ((7,), 2, None),
    ((7,), -9, 0),
    ((3, 4), 5, None),
    ((3, 4), 1, 1),
    ((3, 4), -1, -2),
    ((3, 4), (1, 2), (0, 1)),
    ((3, 4), (1, 2), 1),
    ((3, 4), 2, (0, 1)),
    ((2, 3, 4), (1, -1, 5), (2, 0, 2)),
    ((0, 3), 2, 0),
    ((2, 0), 3, None),
    ((), 3, None),
    ((4,), 0, 0),
    ((4,), 4, 0),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape, shift, axis", ROLL_CASES)
def test_roll_matches_numpy(shape, shift, axis, dtype):
    v = values_of(shape, dtype)
    expected = np.roll(v, shift, axis)
    x = sym(v)
    check_all(gt.roll(x, shift, axis), {x: v}, expected)
    xs = gt.tensor(dtype=dtype, shape=shape)
    out = gt.roll(xs, shift, axis)
    assert out.type.shape == shape
    check_all(out, {xs: v}, expected)
    # Symbolic shifts.
    shifts = shift if isinstance(shift, tuple) else (shift,)
    ks = [gt.lscalar(f"k{i}") for i in range(len(shifts))]
    sym_shift = tuple(ks) if isinstance(shift, tuple) else ks[0]
    givens = {x: v, **{k: np.int64(s) for k, s in zip(ks, shifts)}}
    check_all(gt.roll(x, sym_shift, axis), givens, expected)


def test_roll_noncontiguous_int8_shift_and_gradient():
    v = np.arange(24.0).reshape(4, 6)[:, ::2]
    x = gt.dmatrix("x")
    k = gt.bscalar("k")
    check_all(gt.roll(x, k, 1), {x: v, k: np.int8(-4)}, np.roll(v, -4, 1))
    check_grad(
        lambda t: gt.roll(t, 2, 1) * gt.constant(np.arange(12.0).reshape(3, 4)),
        [RNG.random((3, 4))],
    )
    check_grad(lambda t: gt.roll(t, -5) ** 2, [RNG.random((3, 4))])
    f = graft.function(
        [x, k], grad((gt.roll(x, k, 0) * gt.constant(np.arange(12.0).reshape(4, 3))).sum(), x)
    )
    np.testing.assert_array_equal(f(v, 1), np.roll(np.arange(12.0).reshape(4, 3), -1, 0))


def test_roll_errors():
    x = gt.dmatrix("x")
    with pytest.raises(TypeError, match="roll: shift must be an int or an integer scalar"):
        gt.roll(x, 1.5)
    with pytest.raises(TypeError, match="roll: shift must be"):
        gt.roll(x, gt.dscalar("d"))
    with pytest.raises(ValueError, match="roll: axis 2 is out of range"):
        gt.roll(x, 1, 2)
    with pytest.raises(ValueError, match="do not broadcast"):
        gt.roll(x, (1, 2, 3), (0, 1))
    with pytest.raises(TypeError, match="axis must be an int"):
        gt.roll(x, 1, 0.5)


# ---------------------------------------------------------------------------
# linspace
# ---------------------------------------------------------------------------

LINSPACE_CASES = [
    (0, 1, 5, True, None),
    (0, 1, 5, False, None),
    (-3, 7.5, 1, True, None),
    (-3, 7.5, 1, False, None),
    (2.0, -1.0, 2, True, None),
    (0, 1, 0, True, None),
    (0, 1, 0, False, None),
    (0, 1e-320, 4, True, None),
    (1e300, -1e300, 7, True, None),
    (0, np.inf, 3, True, None),
    (2, 10, 7, True, "int64"),
    (-1, -10, 6, False, "int8"),
    (0.1, 0.9, 50, True, "float32"),
    (0, 3, 4, True, "bool"),
]


@pytest.mark.parametrize("start, stop, num, endpoint, dtype", LINSPACE_CASES)
def test_linspace_constant_ends_match_numpy(start, stop, num, endpoint, dtype):
    with np.errstate(invalid="ignore"):
        expected = np.linspace(start, stop, num, endpoint, dtype=dtype)
    out = gt.linspace(start, stop, num, endpoint, dtype)
    assert out.type.shape == (num,)
    with np.errstate(invalid="ignore"):
        check_all(out, {}, expected)


@pytest.mark.parametrize("dtype", ["float64", "float32", "int64", "int8"])
@pytest.mark.parametrize("num, endpoint", [(6, True), (6, False), (1, True), (2, False)])
def test_linspace_symbolic_ends(dtype, num, endpoint):
    s, e = gt.scalar("s", dtype=dtype), gt.scalar("e", dtype=dtype)
    sv, ev_ = np.asarray(-3, dtype), np.asarray(11, dtype)
    out = gt.linspace(s, e, num, endpoint)
    assert out.type.shape == (num,)
    check_all(out, {s: sv, e: ev_}, np.linspace(sv, ev_, num, endpoint))
    mixed = gt.linspace(s, 2.5, num, endpoint)
    check_all(mixed, {s: sv}, np.linspace(sv, 2.5, num, endpoint))


def test_linspace_gradient_and_fast_run():
    check_grad(lambda a, b: gt.linspace(a, b, 5) ** 2, [0.5, 3.0])
    check_grad(lambda a, b: gt.linspace(a, b, 4, endpoint=False), [-1.0, 2.0])
    a, b = gt.dscalar("a"), gt.dscalar("b")
    y = gt.linspace(a, b, 7)
    f = graft.function([a, b], [y, grad(y.sum(), [a, b])[0]], mode="FAST_RUN")
    out, ga = f(0.3, 2.9)
    np.testing.assert_array_equal(out, np.linspace(0.3, 2.9, 7))
    assert ga == pytest.approx(3.5)


def test_linspace_errors():
    with pytest.raises(ValueError, match="num must be non-negative"):
        gt.linspace(0, 1, -1)
    with pytest.raises(TypeError, match="num must be an int"):
        gt.linspace(0, 1, 2.5)
    with pytest.raises(TypeError, match="num must be an int"):
        gt.linspace(0, 1, True)
    with pytest.raises(ValueError, match="linspace: start must be a scalar"):
        gt.linspace(gt.dvector("v"), 1, 3)
    with pytest.raises(ValueError, match="linspace: stop must be a scalar"):
        gt.linspace(0, [1, 2], 3)


@HSET
@given(
    st.floats(-1e6, 1e6),
    st.floats(-1e6, 1e6),
    st.integers(0, 40),
    st.booleans(),
)
def test_linspace_property(start, stop, num, endpoint):
    a, b = gt.dscalar("a"), gt.dscalar("b")
    got = ev(gt.linspace(a, b, num, endpoint), {a: np.float64(start), b: np.float64(stop)})
    np.testing.assert_array_equal(got, np.linspace(start, stop, num, endpoint))


# ---------------------------------------------------------------------------
# nan_to_num
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", ["float64", "float32", "float16"])
@pytest.mark.parametrize("shape", [(), (0,), (1,), (9,), (3, 5)])
@pytest.mark.parametrize(
    "kwargs",
    [{}, {"nan": -1.0}, {"posinf": 7.0, "neginf": -7}, {"nan": 1e300, "posinf": -1e300}],
)
def test_nan_to_num_matches_numpy(shape, dtype, kwargs):
    v = values_of(shape, dtype)
    x = sym(v)
    with np.errstate(over="ignore"):
        expected = np.nan_to_num(v, **kwargs)
    check_all(gt.nan_to_num(x, **kwargs), {x: v}, expected)


@pytest.mark.parametrize("dtype", ["int64", "int8", "uint8", "bool"])
def test_nan_to_num_integers_unchanged(dtype):
    v = values_of((4,), dtype)
    x = sym(v)
    out = gt.nan_to_num(x)
    assert out is x
    check_all(out, {x: v}, np.nan_to_num(v))


def test_nan_to_num_noncontiguous_gradient_fast_run_and_errors():
    v = np.array([[1.0, np.nan, 2.0, np.inf], [-np.inf, 3.0, -0.5, 0.0]])[:, ::2]
    x = gt.dmatrix("x")
    check_all(gt.nan_to_num(x, nan=5.0), {x: v}, np.nan_to_num(v, nan=5.0))
    check_grad(lambda t: gt.nan_to_num(t) ** 2, [RNG.standard_normal((2, 3))])
    w = np.array([[1.0, np.nan, np.inf, -np.inf, 2.0]])
    xr = gt.drow("xr")
    g = grad((gt.nan_to_num(xr) * gt.constant(np.arange(1.0, 6.0)[None])).sum(), xr)
    np.testing.assert_array_equal(ev(g, {xr: w}), [[1.0, 0.0, 0.0, 0.0, 5.0]])
    f = graft.function([xr], [gt.nan_to_num(xr, neginf=-3.0), g], mode="FAST_RUN")
    out, gv = f(w)
    np.testing.assert_array_equal(out, np.nan_to_num(w, neginf=-3.0))
    np.testing.assert_array_equal(gv, [[1.0, 0.0, 0.0, 0.0, 5.0]])
    with pytest.raises(TypeError, match=r"nan_to_num: input .* complex128"):
        gt.nan_to_num(gt.zvector("z"))
    with pytest.raises(TypeError, match="nan_to_num: nan must be a real number"):
        gt.nan_to_num(x, nan="0")
    with pytest.raises(TypeError, match="posinf must be a real number"):
        gt.nan_to_num(x, posinf=gt.dscalar())


@HSET
@given(
    hnp.arrays(
        dtype=st.sampled_from([np.float64, np.float32]),
        shape=hnp.array_shapes(min_dims=0, max_dims=2, min_side=0, max_side=4),
        elements={"allow_nan": True, "allow_infinity": True},
    )
)
def test_nan_to_num_property(v):
    x = sym(v)
    np.testing.assert_array_equal(ev(gt.nan_to_num(x), {x: v}), np.nan_to_num(v))
