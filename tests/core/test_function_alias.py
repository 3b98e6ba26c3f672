"""Returned arrays and new shared values never alias anything the caller or the function keeps.

After each call, writing into any returned array must change no shared
value, no input array, no other returned array; a later call must not
overwrite arrays returned earlier. Copies are planned at compile time
(`graft.compile.aliasing`) and made only where aliasing is possible.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import graft
import graft.tensor as gt
from graft.compile import In, Out, function
from graft.compile.aliasing import output_roots, plan_copies

MODES = ["FAST_RUN", "FAST_COMPILE", "PY"]


def _arrays(values: Any) -> list[np.ndarray]:
    return [v for v in values if isinstance(v, np.ndarray)]


def check_no_aliasing(
    f: graft.compile.Function,
    args: list[np.ndarray],
    shared: list[graft.compile.SharedVariable],
) -> tuple[list[Any], list[Any]]:
    """Call ``f(*args)``, check that its results alias nothing.

    Returns the results (overwritten by the check) and copies of their values.
    """
    args_before = [a.copy() for a in args]
    outs = f(*args)
    outs = outs if isinstance(outs, list) else [outs]
    values = [np.array(o, copy=True) for o in outs]
    for a, b in zip(args, args_before):
        np.testing.assert_array_equal(a, b, err_msg="the call changed an input array")
    for k, r in enumerate(outs):
        if not (isinstance(r, np.ndarray) and r.flags.writeable and r.size):
            continue
        shared_before = [s.get_value() for s in shared]
        others = [
            (m, o.copy()) for m, o in enumerate(outs) if m != k and isinstance(o, np.ndarray)
        ]
        r[...] = 1e6 + k
        for s, before in zip(shared, shared_before):
            np.testing.assert_array_equal(
                s.get_value(borrow=True), before, err_msg=f"output {k} aliases {s}"
            )
        for a, before in zip(args, args_before):
            np.testing.assert_array_equal(a, before, err_msg=f"output {k} aliases an input")
        for m, before in others:
            np.testing.assert_array_equal(
                outs[m], before, err_msg=f"output {k} aliases output {m}"
            )
    # Shared variables hold no buffer in common either.
    stored = [s.get_value(borrow=True) for s in shared]
    for i in range(len(stored)):
        for j in range(i):
            assert not np.shares_memory(stored[i], stored[j]), (shared[i], shared[j])
    return outs, values


# -- the report's example and each member of the family -----------------------


@pytest.mark.parametrize("mode", MODES)
def test_output_aliasing_updated_shared_values(mode):
    a = graft.shared(np.zeros((2, 2)), name="A")
    b = graft.shared(np.zeros((2, 2)), name="B")
    d = gt.dmatrix("D")
    dd = d + 5
    f = function([d], dd, updates=[(a, dd[:1]), (b, dd)], mode=mode)
    r = f(np.zeros((2, 2)))
    r[0, 0] = 100
    np.testing.assert_array_equal(a.get_value(), np.full((1, 2), 5.0))
    np.testing.assert_array_equal(b.get_value(), np.full((2, 2), 5.0))
    check_no_aliasing(f, [np.ones((2, 2))], [a, b])


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    "build",
    [
        lambda x: x,
        lambda x: x[1:],
        lambda x: x.T,
        lambda x: x.reshape((6,)),
        lambda x: x.dimshuffle(1, "x", 0),
        lambda x: gt.specify_shape(x, (2, 3)),
        lambda x: x[::-1, 1:],
    ],
    ids=["identity", "slice", "transpose", "reshape", "dimshuffle", "specify_shape", "steps"],
)
def test_views_of_inputs_are_copied_unless_borrowed(mode, build):
    x = gt.dmatrix("x")
    a = np.arange(6.0).reshape(2, 3)
    f = function([x], build(x), mode=mode)
    check_no_aliasing(f, [a], [])
    # Borrowed on both sides: returned as the view itself.
    g = function([In(x, borrow=True)], Out(build(x), borrow=True), mode=mode)
    assert np.shares_memory(g(a), a)
    # Borrowing only one side is not enough.
    assert not np.shares_memory(function([x], Out(build(x), borrow=True), mode=mode)(a), a)
    assert not np.shares_memory(function([In(x, borrow=True)], build(x), mode=mode)(a), a)


@pytest.mark.parametrize("mode", MODES)
def test_outputs_that_are_the_same_variable_or_views_of_each_other(mode):
    x = gt.dvector("x")
    y = gt.exp(x)
    f = function([x], [y, y, y[1:], y[::-1], Out(y, borrow=True)], mode=mode)
    outs = check_no_aliasing(f, [np.arange(4.0)], [])[1]
    np.testing.assert_allclose(outs[2], np.exp(np.arange(4.0))[1:])


@pytest.mark.parametrize("mode", MODES)
def test_updates_aliasing_each_other_inputs_or_outputs(mode):
    a, b, c = (graft.shared(np.full(3, float(k)), name=n) for k, n in enumerate("abc"))
    x = gt.dvector("x")
    y = x * 2
    f = function([x], [y, a], updates=[(a, y), (b, y[::-1]), (c, x)], mode=mode)
    outs = check_no_aliasing(f, [np.arange(3.0)], [a, b, c])[1]
    np.testing.assert_array_equal(outs[1], [0.0, 0.0, 0.0])  # a's value before the call
    np.testing.assert_array_equal(c.get_value(), np.arange(3.0))
    # An update taking a shared value the function does not update.
    g = function([], [], updates=[(a, b)], mode=mode)
    check_no_aliasing(g, [], [a, b])


@pytest.mark.parametrize("mode", MODES)
def test_swapping_and_returning_the_old_value_need_no_copy(mode):
    a = graft.shared(np.zeros(3), name="a")
    b = graft.shared(np.ones(3), name="b")
    f = function([], a, updates=[(a, b), (b, a)], mode=mode)
    # Both old buffers are let go: the returned value takes a's, b takes a copy of it.
    assert f.maker.copy_indices() == ([], [2])
    old_a, old_b = a.get_value(borrow=True), b.get_value(borrow=True)
    out = f()
    assert out is old_a and a.get_value(borrow=True) is old_b
    np.testing.assert_array_equal(b.get_value(borrow=True), np.zeros(3))
    check_no_aliasing(f, [], [a, b])


def test_copies_are_planned_only_where_aliasing_is_possible():
    a = graft.shared(np.zeros(3), name="a")
    x = gt.dvector("x")
    y = x + 1
    f = function([x], [y, gt.exp(x)], updates={a: a * 2}, mode="FAST_COMPILE")
    assert f.maker.copy_indices() == ([], [])  # all fresh buffers
    f = function([x], y, updates={a: y}, mode="FAST_COMPILE")
    assert f.maker.copy_indices() == ([], [1])  # the update would share the output
    # An updated shared variable's old value is returned without a copy.
    f = function([], a, updates={a: a + 1}, mode="FAST_COMPILE")
    assert f.maker.copy_indices() == ([], [])
    old = a.get_value(borrow=True)
    assert f() is old and not np.shares_memory(a.get_value(borrow=True), old)
    # Not updated: its value stays in use, so the output is copied.
    g = function([], a[1:], mode="FAST_COMPILE")
    assert g.maker.copy_indices() == ([0], [])


def test_plan_copies_on_a_graph():
    x = gt.dvector("x")
    y = x + 1
    fg = graft.graph.fg.FunctionGraph([x], [x[1:], y, y], clone=False)
    assert plan_copies(fg, ["held"], [False, False, False]) == [0, 2]
    assert plan_copies(fg, ["free"], [False, False, False]) == [2]
    assert plan_copies(fg, ["lent"], [True, False, True]) == [2]  # y taken by a plain output
    assert plan_copies(fg, ["held"], [True, True, True]) == [0]
    assert plan_copies(fg, ["kept"], [True, True, True]) == []
    fg2 = graft.graph.fg.FunctionGraph([x], [y, x[1:]], clone=False)  # then an update
    assert plan_copies(fg2, ["lent"], [False]) == []
    assert plan_copies(fg2, ["held"], [False]) == [1]
    with pytest.raises(ValueError, match="input status"):
        plan_copies(fg, ["mine"], [False, False, False])
    assert output_roots(fg) == [frozenset([x]), frozenset([y]), frozenset([y])]


@pytest.mark.parametrize("mode", ["FAST_RUN", "PY"])
def test_in_place_rewrites_never_write_into_held_arrays(mode):
    a = graft.shared(np.arange(4.0), name="a")
    b = graft.shared(np.arange(4.0), name="b")  # read, not updated
    x = gt.dvector("x")
    y = gt.exp(x) + b
    outs_expr = [y * 2, gt.set_subtensor(x[1:], 0.0), gt.inc_subtensor(b[:2], 1.0), a]
    f = function([x], outs_expr, updates={a: (a + 1) * y}, mode=mode)
    arg = np.linspace(0, 1, 4)
    first, _ = check_no_aliasing(f, [arg], [a, b])
    kept = [o.copy() for o in first]
    _, second = check_no_aliasing(f, [arg], [a, b])
    for o, k in zip(first, kept):
        np.testing.assert_array_equal(o, k)  # the second call wrote elsewhere
    np.testing.assert_array_equal(b.get_value(), np.arange(4.0))
    y_val = np.exp(arg) + np.arange(4.0)
    np.testing.assert_allclose(second[0], 2 * y_val)
    np.testing.assert_array_equal(second[1], [0.0, 0.0, 0.0, 0.0][:1] + [0.0] * 3)
    np.testing.assert_array_equal(second[2], [1.0, 2.0, 2.0, 3.0])
    np.testing.assert_allclose(second[3], (np.arange(4.0) + 1) * y_val)  # a after one call


def test_stateful_input_defaults_are_not_returned_aliased():
    acc = gt.dvector("acc")
    x = gt.dvector("x")
    f = function([x, In(acc, value=np.zeros(3), update=acc + x)], [acc, acc[1:]])
    first = f(np.ones(3))
    first[0][...] = 50.0
    first[1][...] = 60.0
    second = f(np.ones(3))
    np.testing.assert_array_equal(second[0], np.ones(3))
    np.testing.assert_array_equal(first[0], np.full(3, 50.0))


def test_mutable_input_default_is_not_overwritten():
    x = gt.dvector("x")
    default = np.arange(3.0)
    f = function([In(x, value=default, mutable=True)], gt.exp(x) + 1, mode="FAST_RUN")
    expected = np.exp(np.arange(3.0)) + 1
    np.testing.assert_allclose(f(), expected)
    np.testing.assert_allclose(f(), expected)  # the default was not destroyed by the first call


# -- the whole family, generated -----------------------------------------------

SIZE = 4
# Views that keep a length-SIZE vector (usable as update values) and others.
SAME_SHAPE_VIEWS = [
    lambda v: v,
    lambda v: v[::-1],
    lambda v: v[:],
    lambda v: v.reshape((SIZE,)),
    lambda v: v.dimshuffle(0),
    lambda v: gt.specify_shape(v, (SIZE,)),
]
OTHER_VIEWS = [
    lambda v: v[1:],
    lambda v: v.reshape((2, 2)),
    lambda v: v.dimshuffle("x", 0),
    lambda v: v[::2],
]
COMPUTE = [
    lambda v, w: v + 1,
    lambda v, w: gt.exp(v) * w,
    lambda v, w: v - w,
    lambda v, w: gt.set_subtensor(v[1:], w[:-1]),
    lambda v, w: gt.inc_subtensor(v[:2], 1.0),
]


@st.composite
def graphs(draw: Any) -> tuple[Any, ...]:
    x = gt.dvector("x")
    y = gt.dvector("y")
    shared = [
        graft.shared(np.arange(SIZE, dtype="float64") * (k + 1), name=f"s{k}") for k in range(3)
    ]
    pool: list[Any] = [x, y, *shared]
    for _ in range(draw(st.integers(1, 5))):
        # Mostly build on the newest value: chains of views of computed values.
        v = pool[-1] if draw(st.booleans()) else draw(st.sampled_from(pool))
        if draw(st.booleans()):
            pool.append(draw(st.sampled_from(SAME_SHAPE_VIEWS))(v))
        else:
            pool.append(draw(st.sampled_from(COMPUTE))(v, draw(st.sampled_from(pool))))
    recent = st.sampled_from(pool[-3:])
    anything = st.sampled_from(pool)
    outs = []
    for _ in range(draw(st.integers(0, 3))):
        v = draw(st.one_of(recent, anything))
        if draw(st.booleans()):
            v = draw(st.sampled_from(OTHER_VIEWS))(v)
        outs.append(v)
    updated = draw(st.lists(st.sampled_from(shared), unique=True, max_size=3))
    updates = [(s, draw(st.one_of(recent, anything))) for s in updated]
    mode = draw(st.sampled_from(MODES))
    return x, y, shared, outs, updates, mode


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(graphs(), st.integers(0, 2**32 - 1))
def test_no_result_aliases_anything_kept(graph, seed):
    x, y, shared, outs, updates, mode = graph
    f = function([x, y], outs, updates=updates, mode=mode, on_unused_input="ignore")
    # Reference values from an unrewritten function without updates.
    ref = function(
        [x, y], [*outs, *(e for _, e in updates)], mode="FAST_COMPILE", on_unused_input="ignore"
    )
    rng = np.random.default_rng(seed)
    for _ in range(2):
        args = [rng.normal(size=SIZE), rng.normal(size=SIZE)]
        expected = [np.array(v, copy=True) for v in ref(*args)]
        got, values = check_no_aliasing(f, args, shared)
        for v, e in zip(values, expected):
            np.testing.assert_allclose(v, e)
        for (s, _), e in zip(updates, expected[len(outs) :]):
            np.testing.assert_allclose(s.get_value(borrow=True), e)
        kept = [np.array(v, copy=True) for v in got]
        check_no_aliasing(f, args, shared)
        for g, k in zip(got, kept):
            np.testing.assert_array_equal(g, k, err_msg="a later call overwrote a result")
