"""Strings, bytes and dates are not numbers: building a graph from them, or passing
them to a compiled function, fails with a TypeError that says so."""

from __future__ import annotations

import numpy as np
import pytest

import graft
import graft.tensor as gt

NON_NUMERIC = [
    ("hello", "strings"),
    (b"x", "bytes"),
    (["a", "b"], "strings"),
    (np.array(["a"]), "strings"),
    (np.datetime64("2020-01-01"), "datetimes"),
    (np.array([1, 2], dtype="timedelta64[s]"), "timedeltas"),
]


@pytest.mark.parametrize("value,what", NON_NUMERIC)
@pytest.mark.parametrize(
    "build", [gt.exp, gt.as_tensor_variable, gt.constant, lambda v: gt.dscalar() + v]
)
def test_graph_from_non_numbers(value, what, build):
    with pytest.raises(TypeError, match=f"not {what}") as info:
        build(value)
    assert "not understood" not in str(info.value)


@pytest.mark.parametrize("value,what", NON_NUMERIC)
@pytest.mark.parametrize("dtype", ["float64", "int64", "bool"])
def test_call_with_non_numbers_names_the_input(value, what, dtype):
    x = gt.tensor(dtype=dtype, shape=(None,) * np.ndim(value), name="weights")
    f = graft.function([x], x)
    with pytest.raises(TypeError, match=what) as info:
        f(value)
    text = str(info.value)
    assert "weights" in text and dtype in text


def test_numbers_still_convert():
    assert gt.constant(np.array([1, 2])).type.dtype == "int64"
    x = gt.dvector("x")
    np.testing.assert_array_equal(graft.function([x], x * 2)([1, 2]), [2.0, 4.0])
