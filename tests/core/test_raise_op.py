"""`graft.raise_op`: checks pass values through or raise, never fold; Alloc broadcasts
only statically-1 dimensions at run time."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

import graft
import graft.tensor as gt
from graft.compile import Mode
from graft.raise_op import Assert, CheckAndRaise, assert_op, check_same_shape, shape_checks
from graft.testing import verify_grad

NO_REWRITES = Mode(optimizer=None)


@pytest.mark.parametrize("mode", [NO_REWRITES, "FAST_COMPILE", "FAST_RUN"])
def test_assert_passes_or_raises(mode):
    x = gt.dvector("x")
    f = graft.function([x], assert_op(x * 2, gt.all(x > 0), msg="x must be positive"), mode=mode)
    np.testing.assert_array_equal(f(np.array([1.0, 2.0])), [2.0, 4.0])
    with pytest.raises(AssertionError, match="x must be positive"):
        f(np.array([1.0, -2.0]))


@pytest.mark.parametrize("mode", [NO_REWRITES, "FAST_COMPILE", "FAST_RUN"])
def test_constant_false_condition_raises_when_called_not_when_compiled(mode):
    x = gt.dvector("x")
    f = graft.function([x], assert_op(x, gt.constant(False)), mode=mode)
    with pytest.raises(AssertionError):
        f(np.ones(2))


@pytest.mark.parametrize("mode", [NO_REWRITES, "FAST_RUN"])
def test_check_same_shape(mode):
    x, y = gt.dmatrix("x"), gt.dmatrix("y")
    f = graft.function([x, y], check_same_shape(x, y), mode=mode)
    np.testing.assert_array_equal(f(np.ones((2, 3)), np.zeros((2, 3))), np.ones((2, 3)))
    for bad in [(3, 2), (2, 1), (0, 3)]:
        with pytest.raises(ValueError, match="shape mismatch"):
            f(np.ones((2, 3)), np.zeros(bad))


def test_check_same_shape_static_sizes_and_rank():
    x = gt.tensor(dtype="float64", shape=(2, None))
    row = gt.tensor(dtype="float64", shape=(1, None))
    same = gt.tensor(dtype="float64", shape=(2, None))
    assert check_same_shape(x, gt.constant(np.ones((1, 1)))) is x  # broadcast dims: no check
    out = check_same_shape(x, row)
    f = graft.function([x, row], out)
    with pytest.raises(ValueError):
        f(np.ones((2, 3)), np.ones((1, 4)))
    g = graft.function([x, same], check_same_shape(x, same))
    g(np.ones((2, 3)), np.ones((2, 3)))
    with pytest.raises(ValueError, match="more dimensions"):
        check_same_shape(gt.dvector("v"), x)


def test_shape_checks_skips_identical_pairs():
    x = gt.dvector("x")
    s = x.shape[0]
    assert shape_checks(x, (s, s)) is x
    assert shape_checks(x, (gt.constant(3), gt.constant(3))) is x
    assert shape_checks(x, (s, gt.constant(3))) is not x


def test_errors_and_gradient_and_pickle():
    with pytest.raises(TypeError, match="exception class"):
        CheckAndRaise("not a class")
    x = gt.dvector("x")
    with pytest.raises(TypeError, match="condition 0"):
        assert_op(x, gt.dvector("c"))
    with pytest.raises(TypeError, match="condition 0"):
        assert_op(x, gt.dscalar("c"))
    rng = np.random.default_rng(0)
    verify_grad(lambda v: assert_op(v * v, gt.all(v > -10)), [rng.normal(size=4)], rng=rng)
    op = Assert("boom")
    assert pickle.loads(pickle.dumps(op)) == op
    assert op != Assert("other") and Assert("boom") == op
    node = assert_op(x, gt.all(x > 0)).owner
    s = x.shape[0]
    assert node.op.infer_shape(None, node, [(s,), ()]) == [(s,)]


@pytest.mark.parametrize("mode", [NO_REWRITES, "FAST_RUN"])
def test_alloc_broadcasts_only_static_ones(mode):
    v, n = gt.dvector("v"), gt.lscalar("n")
    f = graft.function([v, n], gt.alloc(v, 3, n), mode=mode)
    np.testing.assert_array_equal(f(np.arange(4.0), 4), np.broadcast_to(np.arange(4.0), (3, 4)))
    with pytest.raises(ValueError, match="size 1"):
        f(np.ones(1), 4)
    with pytest.raises(ValueError):
        f(np.ones(2), 4)
    r = gt.tensor(dtype="float64", shape=(1,))
    g = graft.function([r, n], gt.alloc(r, 3, n), mode=mode)
    np.testing.assert_array_equal(g(np.array([5.0]), 2), np.full((3, 2), 5.0))
