"""``infer_shape`` agrees with the computed shape: reshape with -1 (constant,
symbolic and make_vector shapes) in every mode, and the reshape error text."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import HSET
from hypothesis import given
from hypothesis import strategies as st

import graft
import graft.tensor as gt

MODES = ["FAST_RUN", "FAST_COMPILE"]


def _shape_fn(x, out, mode, extra=()):
    return graft.function([x, *extra], out.shape, mode=mode)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    "newshape", [[-1], [-1, 5], [5, -1, 3], [30, -1], [-1, 1], [2, 3, 5, -1], [6, 5]]
)
def test_reshape_constant_shape_with_minus_one(mode, newshape):
    x = gt.tensor(dtype="float64", shape=(None, None, None))
    value = np.zeros((5, 2, 3))
    got = _shape_fn(x, x.reshape(newshape), mode)(value)
    np.testing.assert_array_equal(got, value.reshape(newshape).shape)


@pytest.mark.parametrize("mode", MODES)
def test_reshape_static_input_shape_with_minus_one(mode):
    x = gt.tensor(dtype="float64", shape=(5, 2, 3))
    out = x.reshape([-1, 5])
    assert out.type.shape == (6, 5)
    np.testing.assert_array_equal(_shape_fn(x, out, mode)(np.zeros((5, 2, 3))), (6, 5))


@pytest.mark.parametrize("mode", MODES)
def test_reshape_symbolic_entries(mode):
    x = gt.dmatrix("x")
    a = gt.lscalar("a")
    b = gt.lscalar("b")
    f = _shape_fn(x, x.reshape((a, b)), mode, (a, b))
    value = np.zeros((4, 6))
    for sa, sb in [(-1, 3), (8, -1), (2, 12), (-1, 24), (24, -1)]:
        np.testing.assert_array_equal(f(value, sa, sb), value.reshape(sa, sb).shape)


@pytest.mark.parametrize("mode", MODES)
def test_reshape_symbolic_shape_vector(mode):
    x = gt.dtensor3("x")
    s = gt.lvector("s")
    out = gt.reshape(x, s, ndim=2)
    f = _shape_fn(x, out, mode, (s,))
    value = np.zeros((2, 3, 4))
    for shp in [(-1, 4), (6, -1), (24, 1), (-1, 1)]:
        np.testing.assert_array_equal(f(value, np.array(shp)), value.reshape(shp).shape)


@HSET
@given(
    dims=st.lists(st.integers(0, 4), min_size=1, max_size=4),
    data=st.data(),
)
def test_reshape_shape_matches_numpy_property(dims, data):
    value = np.zeros(dims)
    size = value.size
    # A target shape of the same size, with one entry replaced by -1 when unambiguous.
    target = data.draw(st.permutations(dims))
    target = list(target)
    if size and data.draw(st.booleans()):
        target[data.draw(st.integers(0, len(target) - 1))] = -1
    x = gt.tensor(dtype="float64", shape=(None,) * len(dims))
    for mode in MODES:
        got = _shape_fn(x, x.reshape(target), mode)(value)
        np.testing.assert_array_equal(got, value.reshape(target).shape)


def test_reshape_error_prints_plain_ints():
    x = gt.dvector("x")
    s = gt.lvector("s")
    f = graft.function([x, s], gt.reshape(x, s, ndim=2))
    with pytest.raises(ValueError) as info:
        f(np.zeros(5), np.array([2, 2]))
    assert "(2, 2)" in str(info.value)
    assert "np.int64" not in str(info.value)
