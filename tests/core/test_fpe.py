"""Floating-point errors: IEEE results without warnings, one errstate per function call."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import graft
import graft.tensor as gt
from graft._fpe import fp_errors_ignored, ignoring_fp_errors
from graft.compile.generic import generic
from graft.graph.basic import Apply
from graft.graph.op import Op
from graft.tensor.elemwise import CAReduce, Elemwise


class Probe(Op):
    """Records whether it ran inside `ignoring_fp_errors`; says it quiets FP errors itself."""

    __props__ = ()
    ignores_fp_errors = True
    seen: list[bool] = []

    def make_node(self, x):
        return Apply(self, [x], [x.type()])

    def perform(self, node, inputs, output_storage):
        Probe.seen.append(fp_errors_ignored())
        output_storage[0][0] = inputs[0]


@pytest.fixture
def raise_on_fp_errors():
    old = np.seterr(all="raise")
    yield
    np.seterr(**old)


def test_multi_node_function_gives_ieee_results_without_warnings(raise_on_fp_errors):
    x = gt.dvector("x")
    f = graft.function([x], [gt.log(x) / x, gt.sum(gt.exp(x * 1000.0))], mode="PY")
    assert len(f.maker.fgraph.apply_nodes) > 1
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        a, s = f(np.array([0.0, -1.0, 1.0]))
    assert np.isneginf(a[0]) or np.isnan(a[0])
    assert np.isnan(a[1]) and a[2] == 0.0
    assert np.isinf(s)


def test_single_node_function_and_direct_perform_ignore_errors_too(raise_on_fp_errors):
    x = gt.dvector("x")
    f = graft.function([x], gt.log(x), mode="PY")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert np.isneginf(f(np.array([0.0]))[0])
        node = gt.log(x).owner
        store = [[None]]
        assert isinstance(node.op, Elemwise)
        node.op.perform(node, [np.array([0.0])], store)
        assert np.isneginf(store[0][0][0])
        red = CAReduce(graft.scalar.mul)(x).owner
        red.op.perform(red, [np.array([1e300, 1e300])], store)
        assert np.isinf(store[0][0])


class PlainProbe(Probe):
    """The same, for an op that does not touch FP error state."""

    ignores_fp_errors = False


def test_the_mark_is_set_inside_a_call_and_cleared_after():
    Probe.seen.clear()
    v = generic("v")
    f = graft.function([v], Probe()(Probe()(v)), mode="PY")
    assert not fp_errors_ignored()
    f(1.0)
    assert Probe.seen == [True, True]
    assert not fp_errors_ignored()


def test_no_call_wide_errstate_unless_two_performs_would_enter_one():
    v = generic("v")
    for out, expected in [
        (Probe()(v), [False]),  # one: it enters its own
        (PlainProbe()(PlainProbe()(Probe()(v))), [False, False, False]),
    ]:
        Probe.seen.clear()
        graft.function([v], out, mode="PY")(1.0)
        assert Probe.seen == expected


def test_mark_and_errstate_restored_after_an_error():
    class Boom(Op):
        __props__ = ()

        def make_node(self, x):
            return Apply(self, [x], [x.type()])

        def perform(self, node, inputs, output_storage):
            raise ValueError("boom")

    v = generic("v")
    f = graft.function([v], Boom()(Probe()(v)), mode="PY")
    before = np.geterr()
    with pytest.raises(ValueError, match="boom"):
        f(1.0)
    assert not fp_errors_ignored()
    assert np.geterr() == before


def test_ignoring_fp_errors_nests_and_restores():
    before = np.geterr()
    with ignoring_fp_errors():
        assert fp_errors_ignored() and np.geterr()["divide"] == "ignore"
        with ignoring_fp_errors():
            assert fp_errors_ignored()
        assert fp_errors_ignored()
    assert not fp_errors_ignored() and np.geterr() == before


def test_scalar_ops_ignore_fp_errors_alone_and_in_functions(raise_on_fp_errors):
    from graft.scalar import float64, log, true_div

    x = float64("x")
    f1 = graft.function([x], log(x), mode="PY")  # one node: its own errstate
    f2 = graft.function([x], true_div(log(x), x), mode="PY")  # two: the call's
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert np.isneginf(f1(0.0))
        assert np.isnan(f2(0.0)) or np.isinf(f2(0.0))
