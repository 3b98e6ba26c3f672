"""moveaxis, swapaxes, shape_padleft/right/axis and broadcast_to against NumPy."""

from __future__ import annotations

from functools import partial

import helpers
import numpy as np
import pytest
from helpers import HSET, check_static, ev, sym
from hypothesis import given
from hypothesis import strategies as st

import graft
import graft.tensor as gt
from graft.gradient import grad
from graft.tensor.axes import BroadcastTo, SumToShape
from graft.testing import verify_grad

RNG = np.random.default_rng(5)
# Some results are the input itself (a no-op move): no node to check infer_shape on.
check_all = partial(helpers.check_all, allow_no_node=True)
check_grad = partial(helpers.check_grad, rng=RNG)

DTYPES = ["float64", "float32", "int64", "int8", "uint8", "bool"]


def values_of(shape, dtype):
    v = RNG.integers(-100, 100, size=shape)
    if dtype == "bool":
        return v > 0
    return v.astype(dtype)


# ---------------------------------------------------------------------------
# moveaxis / swapaxes
# ---------------------------------------------------------------------------

MOVE_CASES = [
    ((2, 3, 4), 0, -1),
    ((2, 3, 4), -1, 0),
    ((2, 3, 4), [0, 1], [-1, -2]),
    ((2, 3, 4), (0, 2), (2, 0)),
    ((2, 3, 4, 5), [3, 0], [1, 2]),
    ((2, 3), 0, 0),
    ((5,), 0, -1),
    ((0, 3), 1, 0),
    ((1, 3, 1), [], []),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape, src, dst", MOVE_CASES)
def test_moveaxis_matches_numpy(shape, src, dst, dtype):
    v = values_of(shape, dtype)
    x = sym(v)
    check_all(gt.moveaxis(x, src, dst), {x: v}, np.moveaxis(v, src, dst))
    xs = gt.tensor(dtype=dtype, shape=shape)  # static sizes move with their axes
    assert gt.moveaxis(xs, src, dst).type.shape == np.moveaxis(v, src, dst).shape


@pytest.mark.parametrize("dtype", ["float64", "int8", "bool"])
@pytest.mark.parametrize("shape, a1, a2", [((2, 3, 4), 0, 2), ((2, 3, 4), -1, 1), ((3, 4), 1, 1)])
def test_swapaxes_matches_numpy(shape, a1, a2, dtype):
    v = values_of(shape, dtype)
    x = gt.tensor(dtype=dtype, shape=shape)
    out = check_all(gt.swapaxes(x, a1, a2), {x: v}, np.swapaxes(v, a1, a2))
    check_static(gt.swapaxes(x, a1, a2), out)
    # A non-contiguous input array.
    vt = np.swapaxes(v, 0, -1).copy().swapaxes(0, -1)
    assert not vt.flags.c_contiguous
    check_all(gt.swapaxes(x, a1, a2), {x: vt}, np.swapaxes(vt, a1, a2))


def test_moveaxis_and_swapaxes_errors():
    x = gt.dtensor3("x")
    with pytest.raises(np.exceptions.AxisError, match="moveaxis: source 3 is out of bounds"):
        gt.moveaxis(x, 3, 0)
    with pytest.raises(ValueError, match="moveaxis: destination -4 is out of bounds"):
        gt.moveaxis(x, 0, -4)
    with pytest.raises(ValueError, match="repeated axis in source"):
        gt.moveaxis(x, [0, -3], [1, 2])
    with pytest.raises(ValueError, match="same number of elements"):
        gt.moveaxis(x, [0, 1], [1])
    with pytest.raises(TypeError, match="source must be an int"):
        gt.moveaxis(x, 0.5, 1)
    with pytest.raises(IndexError, match="swapaxes: axis2 5 is out of bounds"):
        gt.swapaxes(x, 0, 5)


def test_moveaxis_gradient():
    check_grad(lambda t: gt.moveaxis(t, [0, 2], [2, 1]) ** 2, [RNG.standard_normal((2, 3, 4))])
    check_grad(lambda t: gt.swapaxes(t, 0, 1) * 3.0, [RNG.standard_normal((2, 3))])


# ---------------------------------------------------------------------------
# shape_padleft / shape_padright / shape_padaxis
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(), (3,), (2, 0), (1, 4)])
@pytest.mark.parametrize("n", [0, 1, 3])
def test_shape_padleft_and_padright(shape, n, dtype):
    v = values_of(shape, dtype)
    x = sym(v)
    left = gt.shape_padleft(x, n)
    check_all(left, {x: v}, v.reshape((1,) * n + v.shape))
    assert left.type.shape[:n] == (1,) * n and left.type.broadcastable[:n] == (True,) * n
    right = gt.shape_padright(x, n)
    check_all(right, {x: v}, v.reshape(v.shape + (1,) * n))
    assert right.type.shape[len(shape) :] == (1,) * n


@pytest.mark.parametrize("shape", [(), (3,), (2, 4)])
def test_shape_padaxis_matches_expand_dims(shape):
    v = values_of(shape, "float32")
    x = sym(v)
    for axis in range(-len(shape) - 1, len(shape) + 1):
        out = gt.shape_padaxis(x, axis)
        check_all(out, {x: v}, np.expand_dims(v, axis))
        assert out.type.shape[axis] == 1


def test_padding_errors_and_gradient():
    x = gt.dmatrix("x")
    with pytest.raises(IndexError, match="shape_padaxis: axis 3 is out of bounds"):
        gt.shape_padaxis(x, 3)
    with pytest.raises(ValueError, match="axis -4 is out of bounds"):
        gt.shape_padaxis(x, -4)
    with pytest.raises(ValueError, match="shape_padleft: n_ones must be a non-negative int"):
        gt.shape_padleft(x, -1)
    with pytest.raises(ValueError, match="shape_padright: n_ones"):
        gt.shape_padright(x, 1.5)
    check_grad(lambda t: gt.shape_padaxis(t, 1) * gt.shape_padleft(t), [RNG.random((2, 2))])


# ---------------------------------------------------------------------------
# broadcast_to
# ---------------------------------------------------------------------------

BROADCAST_CASES = [
    ((3,), (2, 3)),
    ((1,), (4,)),
    ((), (2, 3)),
    ((), (0,)),
    ((1, 3), (0, 3)),
    ((2, 1), (2, 5)),
    ((2, 1, 3), (4, 2, 2, 3)),
    ((0,), (3, 0)),
    ((3,), (3,)),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("xshape, target", BROADCAST_CASES)
def test_broadcast_to_matches_numpy(xshape, target, dtype):
    v = values_of(xshape, dtype)
    expected = np.broadcast_to(v, target)
    # Unknown sizes (size-1 dimensions known): the run-time checked op.
    x = sym(v)
    out = check_all(gt.broadcast_to(x, target), {x: v}, expected)
    assert out.flags.writeable  # a fresh array, not NumPy's read-only view
    assert gt.broadcast_to(x, target).type.shape == target  # static from constant entries
    # Fully static input: an Alloc.
    xs = gt.tensor(dtype=dtype, shape=xshape)
    b = gt.broadcast_to(xs, target)
    assert isinstance(b.owner.op, gt.Alloc)
    check_all(b, {xs: v}, expected)
    # Symbolic target sizes.
    ns = [gt.lscalar(f"n{i}") for i in range(len(target))]
    givens = {x: v, **{n: np.int64(t) for n, t in zip(ns, target)}}
    check_all(gt.broadcast_to(x, ns), givens, expected)


def test_broadcast_to_runtime_size_one_and_its_gradient():
    x, n = gt.dvector("x"), gt.lscalar("n")
    b = gt.broadcast_to(x, (3, n))
    assert isinstance(b.owner.op, BroadcastTo) and b.type.shape == (3, None)
    g = grad((b * gt.constant(np.arange(12.0).reshape(3, 4))).sum(), x)
    # Size 1 at run time broadcasts, as np.broadcast_to does; the gradient sums over it.
    one = np.array([2.0])
    check_all(b, {x: one, n: np.int64(4)}, np.broadcast_to(one, (3, 4)))
    np.testing.assert_array_equal(ev(g, {x: one, n: np.int64(4)}), [66.0])
    full = np.arange(4.0)
    np.testing.assert_array_equal(
        ev(g, {x: full, n: np.int64(4)}), np.arange(12.0).reshape(3, 4).sum(0)
    )


@pytest.mark.parametrize("xshape, target", [((3,), (2, 3)), ((1, 3), (2, 4, 3)), ((2, 1), (2, 3))])
def test_broadcast_to_gradient(xshape, target):
    v = RNG.standard_normal(xshape)
    check_grad(lambda t: gt.broadcast_to(t, target) ** 2, [v])
    verify_grad(lambda t: gt.broadcast_to(t, target), [v.astype("float32")])


def test_broadcast_to_size_mismatch_raises_at_run_time():
    x, n = gt.dvector("x"), gt.lscalar("n")
    f = ev
    with pytest.raises(
        ValueError, match=r"BroadcastTo: input of shape \(3,\) cannot be broadcast"
    ):
        f(gt.broadcast_to(x, (2, n)), {x: np.zeros(3), n: np.int64(4)})
    with pytest.raises(ValueError, match="neither 1 nor 5"):
        f(gt.broadcast_to(x, (5,)), {x: np.zeros(2)})
    with pytest.raises(ValueError, match="target size -1 in dimension 0 is negative"):
        f(gt.broadcast_to(x, (n, 2)), {x: np.zeros(2), n: np.int64(-1)})
    # Also through a compiled FAST_RUN function (rewrites must keep the check).
    fn = graft.function([x, n], gt.broadcast_to(x, (2, n)) * 2.0, mode="FAST_RUN")
    np.testing.assert_array_equal(fn(np.ones(3), 3), np.full((2, 3), 2.0))
    with pytest.raises(ValueError, match="cannot be broadcast"):
        fn(np.ones(3), 4)


def test_broadcast_to_build_time_errors():
    x = gt.tensor(dtype="float64", shape=(3,))
    with pytest.raises(
        ValueError, match=r"broadcast_to: input .* cannot be broadcast to \(2, 4\)"
    ):
        gt.broadcast_to(x, (2, 4))
    with pytest.raises(ValueError, match="more than the 0 of the target shape"):
        gt.broadcast_to(x, ())
    with pytest.raises(ValueError, match="target size -2 in dimension 0 is negative"):
        gt.broadcast_to(gt.dvector("v"), (-2, 3))
    with pytest.raises(TypeError, match="shape entry 0 must be an integer scalar"):
        gt.broadcast_to(x, (gt.dscalar("d"), 3))


def test_broadcast_to_shape_of_another_tensor():
    x, y = gt.dcol("x"), gt.dmatrix("y")
    b = gt.broadcast_to(x, y.shape)
    vx, vy = np.arange(3.0).reshape(3, 1), np.zeros((3, 5))
    check_all(b, {x: vx, y: vy}, np.broadcast_to(vx, (3, 5)))
    ys = gt.tensor(dtype="float64", shape=(3, 5))
    assert gt.broadcast_to(x, ys.shape).type.shape == (3, 5)
    # The static size of x decides a symbolic target size too (they must be equal).
    assert gt.broadcast_to(gt.tensor(dtype="int8", shape=(4,)), (2, gt.lscalar())).type.shape == (
        2,
        4,
    )


def test_sum_to_shape_and_second_order_gradient():
    g, like = gt.dtensor3("g"), gt.dmatrix("like")
    s = SumToShape()(g, like)
    vg = RNG.standard_normal((2, 3, 4))
    for lshape in [(3, 4), (1, 4), (3, 1), (1, 1)]:
        vl = np.zeros(lshape)
        exp = vg.sum(0).sum(axis=tuple(d for d in range(2) if lshape[d] == 1), keepdims=True)
        exp = exp.reshape(lshape)
        helpers.check_all(s, {g: vg, like: vl}, exp)
    with pytest.raises(ValueError, match="SumToShape: cannot sum shape"):
        ev(s, {g: vg, like: np.zeros((2, 4))})
    verify_grad(lambda t: SumToShape()(t, gt.constant(np.zeros((1, 4)))), [vg])
    # Second order through the run-time op.
    x, n = gt.dvector("x"), gt.lscalar("n")
    gx = grad((gt.broadcast_to(x, (n, 3)) ** 3).sum(), x)
    hx = grad(gx.sum(), x)
    np.testing.assert_allclose(
        ev(hx, {x: np.array([1.0, 2.0, 3.0]), n: np.int64(2)}), [12, 24, 36]
    )


def test_compiled_fast_run_broadcast_to():
    x, n = gt.dvector("x"), gt.lscalar("n")
    b = gt.broadcast_to(x, (n, 3))
    f = graft.function([x, n], [b, grad((b * b).sum(), x)], mode="FAST_RUN")
    out, g = f(np.array([1.0, -2.0, 3.0]), 4)
    np.testing.assert_array_equal(out, np.broadcast_to([1.0, -2.0, 3.0], (4, 3)))
    np.testing.assert_array_equal(g, [8.0, -16.0, 24.0])
    xs = gt.tensor(dtype="float32", shape=(1, 3))
    f2 = graft.function([xs], gt.broadcast_to(xs, (2, 3)) + 1, mode="FAST_RUN")
    np.testing.assert_array_equal(f2(np.ones((1, 3), "float32")), np.full((2, 3), 2, "float32"))


@HSET
@given(
    st.lists(st.integers(0, 3), min_size=0, max_size=3),
    st.lists(st.booleans(), min_size=3, max_size=3),
    st.integers(0, 2),
)
def test_broadcast_to_property(target, ones, extra):
    target = tuple(target)
    xshape = tuple(1 if o else t for t, o in zip(target, ones))[: len(target)]
    xshape = xshape[min(extra, len(xshape)) :]
    v = RNG.standard_normal(xshape)
    x = sym(v)
    ns = [gt.lscalar() for _ in target]
    got = ev(gt.broadcast_to(x, ns), {x: v, **{n: np.int64(t) for n, t in zip(ns, target)}})
    np.testing.assert_array_equal(got, np.broadcast_to(v, target))
