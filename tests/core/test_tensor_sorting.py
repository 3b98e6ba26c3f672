"""sort / argsort (SortOp, ArgSortOp) against NumPy: values, dtypes, shapes, NaN order, gradients."""

from __future__ import annotations

from functools import partial

import helpers
import numpy as np
import pytest
from helpers import HSET, check_all, ev, sym
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import graft
import graft.tensor as gt
from graft.gradient import grad
from graft.tensor.sorting import ArgSortOp, SortOp

RNG = np.random.default_rng(11)
check_grad = partial(helpers.check_grad, rng=RNG)

DTYPES = ["float64", "float32", "int64", "int8", "uint8", "bool"]
SHAPES = [(), (0,), (1,), (6,), (3, 4), (2, 0, 3), (2, 3, 4)]


def values_of(shape, dtype):
    """Random values of ``dtype`` with ties; floats include -0.0, inf, -inf, nan and huge values."""
    n = int(np.prod(shape))
    if dtype == "bool":
        return RNG.random(shape) < 0.5
    if np.dtype(dtype).kind in "iu":
        info = np.iinfo(dtype)
        pool = np.array([info.min, info.max, 0, 1, 2, 2, info.max // 2], dtype=dtype)
        return RNG.choice(pool, size=shape).astype(dtype)
    pool = np.array([-0.0, 0.0, 1.5, -2.0, np.inf, -np.inf, np.nan, 1e300, -1e-300, 3.25])
    vals = np.where(RNG.random(n) < 0.5, RNG.choice(pool, n), RNG.standard_normal(n))
    with np.errstate(over="ignore"):  # 1e300 is inf in float32
        return vals.reshape(shape).astype(dtype)


def axes_for(shape):
    return [None] + sorted({a for d in range(len(shape)) for a in (d, d - len(shape))})


CASES = [(s, a) for s in SHAPES for a in axes_for(s)]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape, axis", CASES)
def test_sort_and_argsort_match_numpy(shape, axis, dtype):
    v = values_of(shape, dtype)
    x = sym(v)
    out = check_all(gt.sort(x, axis=axis), {x: v}, np.sort(v, axis=axis))
    assert out.dtype == v.dtype
    # A stable argsort is unique even with ties (and NaNs, which go last).
    idx = gt.argsort(x, axis=axis, stable=True)
    assert idx.type.dtype == "int64"
    check_all(idx, {x: v}, np.argsort(v, axis=axis, stable=True))


@pytest.mark.parametrize("shape, axis", [((3, 4), 0), ((3, 4), None), ((2, 3, 4), 1)])
def test_static_shape_is_kept_and_noncontiguous_input(shape, axis):
    v = values_of(shape, "float64")
    x = gt.tensor(dtype="float64", shape=shape)
    s = gt.sort(x, axis=axis)
    assert s.type.shape == ((int(np.prod(shape)),) if axis is None else shape)
    # A transposed (non-contiguous) input array.
    vt = np.ascontiguousarray(v.T).T
    assert not vt.flags.c_contiguous or vt.ndim < 2
    check_all(s, {x: vt}, np.sort(vt, axis=axis))
    check_all(
        gt.argsort(x, axis=axis, kind="mergesort"), {x: vt}, np.argsort(vt, axis, "mergesort")
    )


def test_nan_and_inf_order_as_numpy():
    v = np.array([np.nan, 1.0, -np.inf, np.inf, np.nan, -0.0, 0.0, -1.0])
    x = gt.dvector("x")
    got = ev(gt.sort(x), {x: v})
    np.testing.assert_array_equal(got, np.sort(v))
    assert np.isnan(got[-2:]).all() and got[0] == -np.inf
    check_all(gt.argsort(x, stable=True), {x: v}, np.argsort(v, stable=True))


@pytest.mark.parametrize("kind", ["quicksort", "mergesort", "heapsort", "stable"])
def test_every_kind_sorts_the_same_values(kind):
    v = values_of((4, 7), "float32")
    x = gt.fmatrix("x")
    check_all(gt.sort(x, kind=kind), {x: v}, np.sort(v, kind=kind))
    check_all(gt.argsort(x, 0, kind=kind), {x: v}, np.argsort(v, 0, kind=kind))


def test_op_props_and_axis_normalisation():
    x = gt.dmatrix("x")
    assert gt.sort(x).owner.op == SortOp(1, "quicksort")
    assert gt.sort(x, stable=True).owner.op == SortOp(1, "stable")
    assert gt.argsort(x, axis=-2).owner.op == ArgSortOp(0)
    assert SortOp(0) != ArgSortOp(0) and SortOp(0) != SortOp(0, "heapsort")
    assert gt.sort(x, stable=False).owner.op.kind == "quicksort"
    assert "SortOp" in str(gt.sort(x).owner.op)


def test_errors():
    x = gt.dmatrix("x")
    with pytest.raises(np.exceptions.AxisError, match="SortOp: axis 2 is out of bounds"):
        gt.sort(x, axis=2)
    with pytest.raises(ValueError, match="ArgSortOp: axis -3 is out of bounds"):
        gt.argsort(x, axis=-3)
    with pytest.raises(ValueError, match="out of bounds for 0-d"):
        gt.sort(gt.dscalar("s"))
    with pytest.raises(TypeError, match="axis must be an int or None"):
        gt.sort(x, axis=1.0)
    with pytest.raises(ValueError, match="kind must be one of"):
        gt.argsort(x, kind="bogo")
    with pytest.raises(ValueError, match="kind and stable cannot be given together"):
        gt.sort(x, kind="mergesort", stable=True)
    with pytest.raises(ValueError, match="order"):
        gt.sort(x, order="f0")


@pytest.mark.parametrize(
    "shape, axis",
    [((7,), 0), ((3, 4), 1), ((3, 4), 0), ((2, 3, 4), 1), ((3, 4), None), ((), None)],
)
def test_sort_gradient_matches_finite_differences(shape, axis):
    v = RNG.permutation(max(int(np.prod(shape)), 1))[: int(np.prod(shape))] + RNG.random(
        int(np.prod(shape))
    )
    check_grad(lambda t: gt.sort(t, axis=axis) ** 2, [v.reshape(shape)])


@pytest.mark.parametrize("axis", [0, 1, 2, None])
def test_sort_gradient_of_empty_input(axis):
    x = gt.dtensor3("x")
    g = ev(grad(gt.sort(x, axis=axis).sum(), x), {x: np.zeros((2, 0, 3))})
    assert g.shape == (2, 0, 3) and g.dtype == np.float64


def test_sort_gradient_is_the_inverse_permutation():
    x = gt.dvector("x")
    v = np.array([3.0, -1.0, 2.0, 0.5])
    w = np.array([10.0, 20.0, 30.0, 40.0])
    g = ev(grad((gt.sort(x) * w).sum(), x), {x: v})
    # Sorted order is [-1, 0.5, 2, 3]: element k of x gets the weight of its rank.
    np.testing.assert_array_equal(g, w[np.argsort(np.argsort(v))])


def test_gradients_of_argsort_and_integer_sort_are_zero():
    x = gt.dmatrix("x")
    v = RNG.standard_normal((3, 4))
    g = ev(grad(gt.argsort(x).sum(), x), {x: v})
    assert g.dtype == np.float64 and g.shape == v.shape and not g.any()
    i = gt.lvector("i")
    gi = ev(grad(gt.sort(i).sum(), i), {i: np.array([3, 1, 2])})
    assert gi.dtype == np.float64 and not gi.any()


def test_float32_gradient_keeps_dtype():
    x = gt.fmatrix("x")
    g = grad((gt.sort(x, axis=0) * gt.constant(np.float32(2))).sum(), x)
    assert g.type.dtype == "float32"
    v = RNG.standard_normal((3, 2)).astype("float32")
    np.testing.assert_array_equal(ev(g, {x: v}), np.full((3, 2), 2, "float32"))


def test_compiled_fast_run_keeps_values_and_gradients():
    x = gt.dtensor3("x")
    w = RNG.standard_normal((2, 3, 4))
    s = gt.sort(x, axis=1)
    cost = (s * w).sum() + gt.sort(x, axis=None)[-1]
    f = graft.function([x], [s, gt.argsort(x, axis=None), grad(cost, x)], mode="FAST_RUN")
    v = RNG.standard_normal((2, 3, 4))
    got_s, got_i, got_g = f(v)
    np.testing.assert_array_equal(got_s, np.sort(v, axis=1))
    np.testing.assert_array_equal(got_i, np.argsort(v, axis=None))
    ref = np.zeros_like(v)
    np.put_along_axis(ref, np.argsort(v, axis=1), w, axis=1)
    ref.flat[np.argmax(v)] += 1.0
    np.testing.assert_allclose(got_g, ref)


@HSET
@given(
    hnp.arrays(
        dtype=st.sampled_from([np.float64, np.float32, np.int16]),
        shape=hnp.array_shapes(min_dims=1, max_dims=3, min_side=0, max_side=5),
        elements={"allow_nan": True, "allow_infinity": True},
    ),
    st.integers(-3, 2),
)
def test_sort_property(v, axis):
    axis = axis % v.ndim
    x = sym(v)
    np.testing.assert_array_equal(ev(gt.sort(x, axis=axis), {x: v}), np.sort(v, axis=axis))
    np.testing.assert_array_equal(
        ev(gt.argsort(x, axis=axis, stable=True), {x: v}), np.argsort(v, axis=axis, stable=True)
    )
