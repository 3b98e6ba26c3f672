"""The pattern language (graft.graph.rewriting.pattern): value patterns, Commutative, Rule."""

from __future__ import annotations

import numpy as np
import pytest

import graft
import graft.tensor as gt
from graft.graph.fg import FunctionGraph
from graft.graph.rewriting.basic import PatternNodeRewriter, WalkingGraphRewriter
from graft.graph.rewriting.pattern import Commutative, Match, Rule, constant_value
from graft.tensor.elemwise import Elemwise


def _rewrite(rewriter, outputs, inputs):
    fg = FunctionGraph(inputs, outputs, clone=False)
    WalkingGraphRewriter(rewriter).rewrite(fg)
    return fg


def _drop_identity(m: Match, out):
    return m.x


ONE_TIMES = Rule("one_times", (gt.mul, 1, "x"), _drop_identity, "1 * x is x")


@pytest.mark.parametrize("dtype", ["float64", "float32", "int32"])
def test_rule_replaces_and_evaluates_like_numpy(dtype):
    x = gt.vector("x", dtype=dtype)
    out = gt.mul(gt.constant(np.array(1, dtype=dtype)), x)
    fg = _rewrite(ONE_TIMES, [out], [x])
    assert fg.outputs[0] is x
    f = graft.function([x], out)
    v = np.array([-3, 0, 7], dtype=dtype)
    np.testing.assert_array_equal(f(v), np.array(1, dtype=dtype) * v)


def test_match_exposes_captures_and_dropped_constants():
    x = gt.dvector("x")
    out = gt.mul(gt.constant(1.0), x)
    one = out.owner.inputs[0]  # the constant as the node sees it (broadcast to x's rank)
    m = ONE_TIMES.match(out)
    assert m is not None
    assert m.x is x and m["x"] is x
    assert m.consts == [one]
    assert ONE_TIMES.match(gt.mul(gt.constant(2.0), x)) is None
    with pytest.raises(AttributeError):
        _ = m.y


def test_value_pattern_sees_through_a_broadcast_view_of_a_constant():
    x = gt.dmatrix("x")
    c = gt.constant(np.array([1.0, 1.0])).dimshuffle("x", 0)
    assert np.array_equal(constant_value(c), np.ones((1, 2)))
    assert ONE_TIMES.match(gt.mul(c, x)) is not None


@pytest.mark.parametrize(
    "value",
    [np.array([1.0, 2.0]), np.array([], dtype="float64"), np.array(np.nan)],
    ids=["non-uniform", "empty", "nan"],
)
def test_value_pattern_needs_a_non_empty_uniform_equal_constant(value):
    x = gt.dvector("x")
    assert ONE_TIMES.match(gt.mul(gt.constant(value), x)) is None
    nan_rule = Rule("nan", (gt.mul, float("nan"), "x"), _drop_identity)
    assert nan_rule.match(gt.mul(gt.constant(np.nan), x)) is None


def test_a_symbolic_input_is_not_a_constant():
    x, y = gt.dvector("x"), gt.dvector("y")
    assert constant_value(y) is None
    assert ONE_TIMES.match(gt.mul(y, x)) is None


def test_commutative_head_matches_both_orders_without_leftover_bindings():
    x = gt.dvector("x")
    r = Rule("two_x", (Commutative(gt.mul), 2, "x"), _drop_identity)
    two = gt.constant(2.0)
    assert r.match(gt.mul(two, x)).x is x
    swapped = gt.mul(x, two)
    # the first order binds nothing that survives when only the second matches
    m = r.match(swapped)
    assert m.x is x and list(m) == ["x"] and m.consts == [swapped.owner.inputs[1]]
    plain = Rule("two_x_ordered", (gt.mul, 2, "x"), _drop_identity)
    assert plain.match(swapped) is None


def test_repeated_variable_must_meet_the_same_variable():
    x, y = gt.dvector("x"), gt.dvector("y")
    square = Rule("square", (gt.mul, "x", "x"), lambda m, out: gt.sqr(m.x))
    assert square.match(gt.mul(x, x)) is not None
    assert square.match(gt.mul(x, y)) is None


def test_op_class_head_matches_any_instance():
    x = gt.dvector("x")
    r = Rule("any_elemwise_exp", (Elemwise, "x"), _drop_identity)
    assert r.match(gt.exp(x)).x is x
    assert r.match(gt.sum(x)) is None


def test_inner_nodes_with_other_clients_block_a_rule_unless_allowed():
    x = gt.dvector("x")
    e = gt.exp(x)
    out = gt.log(e)
    fg = FunctionGraph([x], [out, e], clone=False)
    strict = Rule("log_exp", (gt.log, (gt.exp, "x")), _drop_identity)
    loose = Rule("log_exp", (gt.log, (gt.exp, "x")), _drop_identity, allow_multiple_clients=True)
    assert strict.transform(fg, out.owner) is False
    assert loose.transform(fg, out.owner) == [x]


def test_adapt_gets_the_dropped_constants_and_may_refuse():
    x = gt.dvector("x")
    seen = []

    def refuse(new, out, dropped):
        seen.append((new, out, list(dropped)))
        return None

    r = Rule("one_times", (gt.mul, 1, "x"), _drop_identity, adapt=refuse)
    out = gt.mul(gt.constant(1.0), x)
    one = out.owner.inputs[0]
    assert r.transform(None, out.owner) is False
    assert seen == [(x, out, [one])]
    keep = Rule("one_times", (gt.mul, 1, "x"), _drop_identity, adapt=lambda n, o, d: gt.neg(n))
    (new,) = keep.transform(None, out.owner)
    assert new.owner.op == gt.neg


def test_builder_returning_none_leaves_the_node():
    x = gt.dvector("x")
    r = Rule("never", (gt.exp, "x"), lambda m, out: None)
    assert r.transform(None, gt.exp(x).owner) is False


def test_rule_is_a_named_value_tracking_its_root_op():
    assert str(ONE_TIMES) == "one_times"
    assert ONE_TIMES.__doc__ == "1 * x is x"
    assert ONE_TIMES.tracks() == [gt.mul]
    r = Rule("c", (Commutative(gt.add), "x", 0), _drop_identity)
    assert r.tracks() == [gt.add]


def test_pattern_rewriter_rejects_a_non_tuple_pattern():
    with pytest.raises(TypeError, match="in_pattern must be a tuple"):
        PatternNodeRewriter("x", "x")
