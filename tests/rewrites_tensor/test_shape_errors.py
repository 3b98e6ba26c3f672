"""Rewrites never turn an input that raises into one that returns a value.

Each graph below has a rewrite that stops computing a value (a cancelled
operand, a useless fill, a size read from the inputs instead of a computed
value, a gradient's fill); with sizes that do not match, the unrewritten graph
raises, and so must FAST_RUN and FAST_COMPILE. With matching sizes the values
agree. The kept checks are on sizes only: no cancelled value is computed.
"""

from __future__ import annotations

import numpy as np
import pytest
from rt_helpers import NO_REWRITES, STRICT_WARNINGS

import graft
import graft.tensor as gt
from graft.raise_op import CheckAndRaise

pytestmark = STRICT_WARNINGS
MODES = ["FAST_RUN", "FAST_COMPILE"]


def _grad_sum_mb(m, b):
    return graft.grad(gt.sum(m * b), b)


CASES = {
    # name: (build(x, y) with x, y matrices of unknown sizes)
    "mul_div_cancel": lambda x, y: x * y / y,
    "add_sub_cancel": lambda x, y: (x + y) - y,
    "sub_self_fill": lambda x, y: (x - x) + (y - y),
    "fill": lambda x, y: gt.second(y, x),
    "ones_like_mul": lambda x, y: gt.ones_like(y) * x,
    "zeros_like_add": lambda x, y: gt.zeros_like(y) + x,
    "switch_const": lambda x, y: gt.switch(1, x, y),
    "switch_same": lambda x, y: gt.switch(y > 0, x, x),
    "div_self_in_switch": lambda x, y: gt.switch(x > 0, x, y / y),
    "shape_of_sum": lambda x, y: gt.cast((x + y).shape, "float64"),
    "size_of_product": lambda x, y: gt.cast((x * y).shape[1], "float64"),
    "mean_of_product": lambda x, y: gt.mean(x * y) * 0 + gt.sum(x),
    "grad_of_product": lambda x, y: graft.grad(gt.sum(x * y), x),
    "grad_broadcast_row": lambda x, y: _grad_sum_mb(x, y[0]),
    "alloc_alloc": lambda x, y: gt.alloc(gt.alloc(x, x.shape[0], x.shape[1]), *y.shape),
    "alloc_alloc_row": lambda x, y: gt.alloc(gt.alloc(x[0], 1, x.shape[1]), *y.shape),
    "alloc_in_mul": lambda x, y: gt.alloc(1.0, *x.shape) * y,
}

MISMATCHED = [((3, 4), (3, 5)), ((3, 4), (2, 4)), ((3, 1), (3, 4)), ((0, 4), (3, 4))]


def _outcome(f, *args):
    try:
        return np.asarray(f(*args))
    except Exception as e:  # the rewritten graph must raise the same kind of error
        return e


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("name", sorted(CASES))
def test_mismatched_sizes_still_raise(name, mode):
    x, y = gt.dmatrix("x"), gt.dmatrix("y")
    out = CASES[name](x, y)
    ref = graft.function([x, y], out, mode=NO_REWRITES, on_unused_input="ignore")
    f = graft.function([x, y], out, mode=mode, on_unused_input="ignore")
    rng = np.random.default_rng(0)
    for xs, ys in MISMATCHED:
        args = (rng.normal(size=xs), rng.normal(size=ys))
        expected = _outcome(ref, *args)
        got = _outcome(f, *args)
        if isinstance(expected, Exception):
            assert isinstance(got, type(expected)), (name, mode, xs, ys, got)
        else:
            np.testing.assert_allclose(got, expected)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("name", sorted(CASES))
def test_matching_sizes_agree(name, mode):
    x, y = gt.dmatrix("x"), gt.dmatrix("y")
    out = CASES[name](x, y)
    ref = graft.function([x, y], out, mode=NO_REWRITES, on_unused_input="ignore")
    f = graft.function([x, y], out, mode=mode, on_unused_input="ignore")
    rng = np.random.default_rng(1)
    for shape in [(3, 4), (1, 1), (2, 0)]:
        args = (rng.normal(size=shape), rng.uniform(0.5, 2, size=shape))
        with np.errstate(all="ignore"):
            np.testing.assert_allclose(f(*args), ref(*args), rtol=1e-12)


def test_reported_gradient_shape_bug():
    """grad(sum(M * b), b) with M (3, 1) and b (4,): the forward product raises, so must the gradient."""
    m, b = gt.dmatrix("M"), gt.dvector("b")
    f = graft.function([m, b], graft.grad(gt.sum(m * b), b))
    with pytest.raises(ValueError):
        f(np.ones((3, 1)), np.ones(4))
    np.testing.assert_allclose(f(np.ones((3, 4)), np.ones(4)), np.full(4, 3.0))


def test_kept_checks_read_sizes_not_values():
    """The cancelled operand's value is not computed: only its size is read."""
    x, y = gt.dmatrix("x"), gt.dmatrix("y")
    f = graft.function([x, y], x * gt.exp(y) / gt.exp(y))
    ops = [n.op for n in f.maker.fgraph.toposort()]
    assert any(isinstance(op, CheckAndRaise) for op in ops)
    assert not any("exp" in str(op) for op in ops), ops


def test_checks_vanish_when_sizes_are_provably_equal():
    """``x * x / x`` and ``(x + 1) - x`` need no check: every size is x's own."""
    x = gt.dmatrix("x")
    for out in (x * x / x, gt.second(x, x + 1.0)):
        f = graft.function([x], out)
        assert not any(isinstance(n.op, CheckAndRaise) for n in f.maker.fgraph.toposort())


def test_alloc_of_alloc_keeps_a_run_time_one():
    """``alloc(alloc(v, 1), n)`` needs ``v`` of size 1, not ``n``: rewriting must not change that."""
    v, n = gt.dvector("v"), gt.lscalar("n")
    out = gt.alloc(gt.alloc(v, 1), 2, n)
    ref = graft.function([v, n], out, mode=NO_REWRITES)
    for mode in MODES:
        f = graft.function([v, n], out, mode=mode)
        np.testing.assert_array_equal(f(np.array([7.0]), 3), ref(np.array([7.0]), 3))
        with pytest.raises(ValueError):
            f(np.ones(3), 3)


def test_constant_true_conditions_are_removed_by_rewrites():
    from graft.raise_op import assert_op

    x = gt.dvector("x")
    f = graft.function([x], assert_op(x + 1, gt.constant(True), gt.constant(1)))
    assert not any(isinstance(n.op, CheckAndRaise) for n in f.maker.fgraph.toposort())


def test_sizes_of_checked_values_keep_the_check():
    """switch(1, y, switch(1, y, x)): the inner check of x against y survives the outer one."""
    x, y = gt.dmatrix("x"), gt.dmatrix("y")
    out = gt.switch(1, y, gt.switch(1, y, x))
    for mode in MODES:
        f = graft.function([x, y], out, mode=mode)
        with pytest.raises(ValueError):
            f(np.zeros((3, 3)), np.zeros((3, 4)))
        np.testing.assert_array_equal(f(np.zeros((2, 2)), np.ones((2, 2))), np.ones((2, 2)))
