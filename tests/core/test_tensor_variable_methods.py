"""Array methods PyTensor users reach for on variables: they equal the functions (and NumPy)."""

from __future__ import annotations

import numpy as np
import pytest

import graft
import graft.tensor as gt

RNG = np.random.default_rng(3)


@pytest.mark.parametrize(
    "method,numpy",
    [
        (lambda x: x.sort(), lambda v: np.sort(v, axis=-1)),
        (lambda x: x.sort(axis=0), lambda v: np.sort(v, axis=0)),
        (lambda x: x.sort(axis=None), lambda v: np.sort(v, axis=None)),
        (lambda x: x.argsort(kind="stable"), lambda v: np.argsort(v, kind="stable")),
        (lambda x: x.swapaxes(0, 1), lambda v: np.swapaxes(v, 0, 1)),
        (lambda x: x.diagonal(), lambda v: np.diagonal(v)),
        (lambda x: x.diagonal(1), lambda v: np.diagonal(v, 1)),
        (lambda x: x.trace(), lambda v: np.trace(v)),
    ],
)
def test_methods_match_numpy(method, numpy):
    x = gt.dmatrix("x")
    f = graft.function([x], method(x))
    v = RNG.normal(size=(3, 4))
    got = f(v)
    np.testing.assert_allclose(got, numpy(v))
    assert got.dtype == numpy(v).dtype


def test_nonzero_method():
    x = gt.lmatrix("x")
    f = graft.function([x], list(x.nonzero()))
    v = np.array([[0, 1, 0], [2, 0, 3]])
    for got, exp in zip(f(v), np.nonzero(v)):
        np.testing.assert_array_equal(got, exp)
