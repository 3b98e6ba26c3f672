"""The generated argument check of a compiled function: arrays already right pass
untouched, everything else goes through the input type's filter (same values, same errors)."""

from __future__ import annotations

import numpy as np
import pytest

import graft
import graft.tensor as gt
from graft.compile import In


def test_matching_arrays_pass_untouched():
    x, s = gt.dvector("x"), gt.lscalar("s")
    f = graft.function([x, s], [x, s], on_unused_input="ignore")
    a, b = np.arange(3.0), np.array(4)
    got_a, got_b = f(a, b)
    np.testing.assert_array_equal(got_a, a)
    assert got_b == 4


@pytest.mark.parametrize(
    "value,expected",
    [
        ([1, 2], [1.0, 2.0]),  # a list
        (np.array([1, 2], dtype="int32"), [1.0, 2.0]),  # a safe cast
        (np.array([1.0, 2.0], dtype=">f8"), [1.0, 2.0]),  # non-native byte order
        (np.arange(4.0)[::2], [0.0, 2.0]),  # non-contiguous: still a float64 array
        (np.ma.masked_array([1.0, 2.0]), [1.0, 2.0]),  # a subclass goes through the filter
    ],
)
def test_other_values_go_through_the_filter(value, expected):
    x = gt.dvector("x")
    f = graft.function([x], x * 1)
    got = f(value)
    assert got.dtype == np.float64
    np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize(
    "value,error,text",
    [
        (np.zeros((2, 2)), TypeError, "1-d"),
        (np.array([1.5]).astype("float32")[None], TypeError, "1-d"),
        (np.array(["a"]), TypeError, "strings"),
        (np.array([1.0 + 1j]), TypeError, "x"),
    ],
)
def test_wrong_arguments_still_name_the_input(value, error, text):
    x = gt.dvector("x")
    f = graft.function([x], x * 1)
    with pytest.raises(error, match=text) as info:
        f(value)
    assert "'x'" in str(info.value)


def test_static_shapes_strict_and_downcast_inputs_are_checked_by_their_filter():
    s = gt.tensor(dtype="float64", shape=(2,), name="s")
    f = graft.function([s], s + 1)
    with pytest.raises(ValueError, match="shape"):
        f(np.zeros(3))
    x = gt.fvector("x")
    g = graft.function([In(x, allow_downcast=True)], x * 1)
    assert g(np.array([1.5])).dtype == np.float32
    h = graft.function([In(x, strict=True)], x * 1)
    with pytest.raises(TypeError):
        h(np.array([1.5]))
