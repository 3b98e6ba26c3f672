"""ifelse: values, laziness in every mode (the untaken branch is never computed),
shared work, nesting, gradients, shapes, rewrites and bad input."""

from __future__ import annotations

import numpy as np
import pytest

import graft
import graft.tensor as gt
from graft.compile import Mode
from graft.graph.basic import Apply
from graft.graph.fg import FunctionGraph
from graft.graph.op import Op
from graft.ifelse import IfElse, LazyIfElse, ifelse, lower_ifelse
from graft.testing import verify_grad

MODES = ["FAST_RUN", "FAST_COMPILE", "PY", Mode("py", None)]


class Count(Op):
    """Doubles its input and counts its calls (per instance)."""

    __props__ = ("tag",)

    def __init__(self, tag: str) -> None:
        self.tag = tag
        self.calls = [0]

    def make_node(self, x):
        x = gt.as_tensor_variable(x)
        return Apply(self, [x], [x.type()])

    def perform(self, node, inputs, out):
        self.calls[0] += 1
        out[0][0] = inputs[0] * 2

    def do_constant_folding(self, fgraph, node):
        return False


class Boom(Op):
    """Raises when computed."""

    __props__ = ()

    def make_node(self, x):
        x = gt.as_tensor_variable(x)
        return Apply(self, [x], [x.type()])

    def perform(self, node, inputs, out):
        raise RuntimeError("the untaken branch was computed")

    def do_constant_folding(self, fgraph, node):
        return False


def _ops(f):
    return [n.op for n in f.maker.fgraph.toposort()]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("dtype", ["float64", "float32", "int32", "bool"])
@pytest.mark.parametrize("shape", [(), (0,), (1,), (3, 2)])
def test_values_match_numpy(mode, dtype, shape):
    c = gt.scalar("c", dtype="bool")
    x = gt.tensor(dtype=dtype, shape=(None,) * len(shape), name="x")
    y = gt.tensor(dtype=dtype, shape=(None,) * len(shape), name="y")
    out = ifelse(c, x, y)
    assert out.type.dtype == dtype and out.type.ndim == len(shape)
    f = graft.function([c, x, y], out, mode=mode)
    rng = np.random.default_rng(0)
    xv = (rng.normal(size=shape) * 5).astype(dtype)
    yv = (rng.normal(size=shape) * 5 + 1).astype(dtype)
    np.testing.assert_array_equal(f(True, xv, yv), xv)
    np.testing.assert_array_equal(f(False, xv, yv), yv)


@pytest.mark.parametrize("cond_dtype", ["int8", "int64", "float64", "uint8"])
def test_numeric_condition_nonzero_is_true(cond_dtype):
    c = gt.scalar("c", dtype=cond_dtype)
    x = gt.dvector("x")
    f = graft.function([c, x], ifelse(c, gt.exp(x), -x))
    xv = np.array([0.0, 1.0])
    np.testing.assert_allclose(f(np.asarray(3, cond_dtype), xv), np.exp(xv))
    np.testing.assert_allclose(f(np.asarray(0, cond_dtype), xv), -xv)
    if cond_dtype == "float64":
        np.testing.assert_allclose(f(np.nan, xv), np.exp(xv))  # NaN is truthy, as in NumPy


@pytest.mark.parametrize("mode", MODES)
def test_untaken_branch_is_not_computed(mode):
    c = gt.scalar("c", dtype="bool")
    x = gt.dvector("x")
    cnt_then, cnt_else = Count("t"), Count("e")
    out = ifelse(c, cnt_then(gt.exp(x)) + 1, cnt_else(x) - 1)
    f = graft.function([c, x], out, mode=mode)
    xv = np.array([0.0, 1.0])
    np.testing.assert_allclose(f(True, xv), 2 * np.exp(xv) + 1)
    assert (cnt_then.calls[0], cnt_else.calls[0]) == (1, 0)
    np.testing.assert_allclose(f(False, xv), 2 * xv - 1)
    assert (cnt_then.calls[0], cnt_else.calls[0]) == (1, 1)
    assert any(isinstance(op, LazyIfElse) for op in _ops(f))


@pytest.mark.parametrize("mode", MODES)
def test_a_branch_that_would_raise_is_skipped(mode):
    c = gt.dscalar("c")
    x = gt.dvector("x")
    f = graft.function([c, x], ifelse(gt.gt(c, 0), x * 2, Boom()(x)), mode=mode)
    np.testing.assert_array_equal(f(1.0, [1.0, 2.0]), [2.0, 4.0])
    with pytest.raises(RuntimeError, match="untaken branch"):
        f(-1.0, [1.0, 2.0])


def test_shared_work_is_computed_once_and_outside_the_branches():
    c = gt.scalar("c", dtype="bool")
    x = gt.dvector("x")
    cnt = Count("shared")
    s = cnt(x)
    f = graft.function([c, x], ifelse(c, s + 1, s * 3), mode="PY")
    np.testing.assert_array_equal(f(True, [1.0]), [3.0])
    np.testing.assert_array_equal(f(False, [1.0]), [6.0])
    assert cnt.calls[0] == 2  # once per call, whichever branch runs
    assert any(isinstance(op, LazyIfElse) for op in _ops(f))


def test_in_place_work_after_the_rewrites_stays_correct():
    # Lowered only after the in-place rewrites ran (the optdb lowering excluded): work that
    # overwrites a value the other branch reads must stay in the outer graph.
    c = gt.scalar("c", dtype="bool")
    x = gt.dvector("x")
    for mode in (graft.get_mode("PY").excluding("ifelse"), "PY"):
        cnt = Count("shared")
        s = cnt(x)
        f = graft.function([c, x], ifelse(c, s + 1, s * 3), mode=mode)
        np.testing.assert_array_equal(f(True, [1.0]), [3.0])
        np.testing.assert_array_equal(f(False, [1.0]), [6.0])
        assert cnt.calls[0] == 2
    # Work also read outside the ifelse is not moved into a branch either.
    cnt2 = Count("outside")
    t = cnt2(x)
    g = graft.function([c, x], [ifelse(c, t, x), t.sum()], mode="PY")
    r, total = g(False, [1.0, 2.0])
    np.testing.assert_array_equal(r, [1.0, 2.0])
    assert total == 6.0 and cnt2.calls[0] == 1


@pytest.mark.parametrize("mode", ["FAST_RUN", Mode("py", None)])
def test_nested_ifelse_runs_only_the_chosen_leaf(mode):
    a, b = gt.scalar("a", dtype="bool"), gt.scalar("b", dtype="bool")
    x = gt.dvector("x")
    counts = [Count(str(k)) for k in range(3)]
    inner = ifelse(b, counts[0](x) + 1, counts[1](x) + 2)
    out = ifelse(a, inner * 10, counts[2](x) + 3)
    f = graft.function([a, b, x], out, mode=mode)
    xv = np.array([1.0])
    expected = {(1, 1): 30.0, (1, 0): 40.0, (0, 1): 5.0, (0, 0): 5.0}
    for (av, bv), want in expected.items():
        before = [c.calls[0] for c in counts]
        np.testing.assert_array_equal(f(bool(av), bool(bv), xv), [want])
        ran = [c.calls[0] - b0 for c, b0 in zip(counts, before)]
        assert ran == ([1, 0, 0] if av and bv else [0, 1, 0] if av else [0, 0, 1])


def test_list_branches_and_names():
    c = gt.scalar("c", dtype="bool")
    x, y = gt.dvector("x"), gt.lvector("y")
    o1, o2 = ifelse(c, [x + 1, y * 2], [x - 1, y], name="pick")
    assert (o1.name, o2.name) == ("pick[0]", "pick[1]")
    assert isinstance(o1.owner.op, IfElse) and o1.owner.op.n_outs == 2
    f = graft.function([c, x, y], [o1, o2])
    r1, r2 = f(False, [1.0], [3])
    np.testing.assert_array_equal(r1, [0.0])
    np.testing.assert_array_equal(r2, [3])
    assert r2.dtype == np.int64


def test_literal_branch_takes_the_partner_dtype_and_static_shapes_merge():
    c = gt.scalar("c", dtype="bool")
    x32 = gt.tensor(dtype="float32", shape=(), name="x32")
    assert ifelse(c, x32, 0).type.dtype == "float32"
    a = gt.tensor(dtype="float64", shape=(3, None))
    b = gt.tensor(dtype="float64", shape=(3, 4))
    d = gt.tensor(dtype="float64", shape=(5, 4))
    assert ifelse(c, a, b).type.shape == (3, None)
    assert ifelse(c, b, b * 2).type.shape == (3, 4)
    assert ifelse(c, b, d).type.shape == (None, 4)


def test_outputs_never_alias_inputs():
    c = gt.scalar("c", dtype="bool")
    x = gt.dvector("x")
    for mode in MODES:
        f = graft.function([c, x], ifelse(c, x, gt.exp(x)), mode=mode)
        xv = np.array([1.0, 2.0])
        r = f(True, xv)
        r[0] = 50.0
        assert xv[0] == 1.0


def test_infer_shape_follows_the_taken_branch():
    c = gt.scalar("c", dtype="bool")
    x, y = gt.dvector("x"), gt.dmatrix("y")
    out = ifelse(c, x, y.sum(axis=1))
    f = graft.function([c, x, y], out.shape, mode="FAST_RUN")
    assert tuple(f(True, np.zeros(3), np.zeros((5, 2)))) == (3,)
    assert tuple(f(False, np.zeros(3), np.zeros((5, 2)))) == (5,)


def _fd_check(fn, values, conds):
    rng = np.random.default_rng(0)
    for cv in conds:
        verify_grad(lambda *xs, cv=cv: fn(gt.constant(cv), *xs), values, rng=rng)


def test_gradient_against_finite_differences():
    def fn(c, x, y):
        return ifelse(gt.gt(c, 0), gt.exp(x) * y, x**2 - y)

    # The condition is an input of the graph (not folded away): check graft.grad directly.
    c = gt.dscalar("c")
    x, y = gt.dvectors("x", "y")
    out = fn(c, x, y)
    gx, gy, gc = graft.grad(out.sum(), [x, y, c])
    f = graft.function([c, x, y], [gx, gy, gc])
    xv, yv = np.array([0.5, -1.0]), np.array([2.0, 3.0])
    r = f(1.0, xv, yv)
    np.testing.assert_allclose(r[0], np.exp(xv) * yv)
    np.testing.assert_allclose(r[1], np.exp(xv))
    assert r[2] == 0.0
    r = f(-1.0, xv, yv)
    np.testing.assert_allclose(r[0], 2 * xv)
    np.testing.assert_allclose(r[1], -np.ones(2))
    rng = np.random.default_rng(1)
    for cv in (1.0, -1.0):
        cs = graft.shared(np.float64(cv))
        verify_grad(lambda u, v, cs=cs: fn(cs, u, v), [xv, yv], rng=rng)


def test_gradient_of_list_ifelse_and_nested():
    rng = np.random.default_rng(2)
    for av, bv in [(1.0, 1.0), (1.0, -1.0), (-1.0, 1.0)]:
        a, b = graft.shared(np.float64(av)), graft.shared(np.float64(bv))

        def fn(x, y, a=a, b=b):
            p, q = ifelse(gt.gt(a, 0), [x * y, gt.sin(x)], [y, x * 3])
            inner = ifelse(gt.gt(b, 0), p * q, p + q)
            return inner * ifelse(gt.gt(a, 0), y, x)

        verify_grad(fn, [rng.normal(size=3), rng.normal(size=3)], rng=rng)


def test_gradient_with_integer_branch():
    c = gt.dscalar("c")
    x = gt.dvector("x")
    k = gt.lvector("k")
    o, i = ifelse(gt.gt(c, 0), [x * 2, k], [x, k + 1])
    g = graft.function([c, x, k], graft.grad((o * i).sum(), x))
    np.testing.assert_allclose(g(1.0, [1.0, 2.0], [3, 4]), [6.0, 8.0])
    np.testing.assert_allclose(g(-1.0, [1.0, 2.0], [3, 4]), [4.0, 5.0])


def test_rewrite_constant_condition_removes_the_ifelse():
    x = gt.dvector("x")
    for cond, want in ((True, np.exp), (0, np.negative)):
        f = graft.function([x], ifelse(gt.constant(cond), gt.exp(x), -x), mode="FAST_COMPILE")
        assert not any(isinstance(op, IfElse | LazyIfElse) for op in _ops(f))
        np.testing.assert_allclose(f([1.0, 2.0]), want([1.0, 2.0]))


def test_rewrite_same_branch_and_unused_outputs():
    c = gt.scalar("c", dtype="bool")
    x, y = gt.dvectors("x", "y")
    f = graft.function([c, x], ifelse(c, x * 2, x * 2), mode="FAST_RUN")
    assert not any(isinstance(op, IfElse | LazyIfElse) for op in _ops(f))
    o1, o2, o3 = ifelse(c, [gt.exp(x), y * 2, x], [gt.log(y), y, x])
    g = graft.function([c, x, y], [o1, o3], mode="FAST_COMPILE")
    (node,) = [n for n in g.maker.fgraph.toposort() if isinstance(n.op, IfElse | LazyIfElse)]
    assert node.op.n_outs == 1  # o2 unused, o3 the same either way
    r1, r3 = g(False, [1.0], [np.e])
    np.testing.assert_allclose(r1, [1.0])
    np.testing.assert_array_equal(r3, [1.0])


def test_rewrite_lifts_shared_elemwise_work():
    c = gt.scalar("c", dtype="bool")
    a, b = gt.dvectors("a", "b")
    out = ifelse(c, gt.exp(a) * 2.0, gt.exp(b) * 2.0)
    f = graft.function([c, a, b], out, mode="FAST_RUN")
    nodes = f.maker.fgraph.toposort()
    (sel,) = [n for n in nodes if isinstance(n.op, IfElse | LazyIfElse)]
    assert isinstance(sel.op, IfElse)  # nothing is left inside the branches to make lazy
    assert set(sel.inputs[1:]) == set(f.maker.fgraph.inputs[1:])
    np.testing.assert_allclose(f(True, [0.0], [1.0]), [2.0])
    np.testing.assert_allclose(f(False, [0.0], [1.0]), [2 * np.e])
    # Not lifted when a branch value is read elsewhere too.
    e = gt.exp(a) * 2.0
    g = graft.function([c, a, b], [ifelse(c, e, gt.exp(b) * 2.0), e], mode="FAST_RUN")
    r, ev = g(False, [0.0], [1.0])
    np.testing.assert_allclose(r, [2 * np.e])
    np.testing.assert_allclose(ev, [2.0])


def test_lower_ifelse_on_a_function_graph_and_dprint():
    c = gt.scalar("c", dtype="bool")
    x = gt.dvector("x")
    fg = FunctionGraph([c, x], [ifelse(c, gt.exp(x), x)], clone=False)
    assert lower_ifelse(fg) == 1
    (node,) = fg.toposort()
    assert isinstance(node.op, LazyIfElse)
    assert node.inputs == [c, x, x]
    text = graft.dprint(fg, file="str")
    assert "LazyIfElse{n_outs=1}" in text and "Inner graphs:" in text
    assert " >Elemwise{exp" in text
    # Nothing branch-only: the eager IfElse stays.
    fg2 = FunctionGraph([c, x], [ifelse(c, x, x * 2)], clone=False)
    fg2_nodes = len(fg2.apply_nodes)
    assert lower_ifelse(FunctionGraph([c, x], [ifelse(c, x, -x)], clone=False)) == 1
    assert len(fg2.apply_nodes) == fg2_nodes


def test_graft_ifelse_is_callable_module():
    c = gt.scalar("c", dtype="bool")
    x = gt.dvector("x")
    out = graft.ifelse(c, x, -x)
    assert isinstance(out.owner.op, IfElse)
    assert graft.ifelse.IfElse is IfElse


def test_bad_input_messages():
    c = gt.scalar("c", dtype="bool")
    x, y = gt.dvector("x"), gt.dvector("y")
    with pytest.raises(TypeError, match=r"'cond' must be a scalar \(0-d\).*1 dimensions"):
        ifelse(gt.dvector("v"), x, y)
    with pytest.raises(TypeError, match="'cond'"):
        ifelse("yes", x, y)
    with pytest.raises(TypeError, match=r"then_branch\[0\] and else_branch\[0\].*dtype"):
        ifelse(c, x, gt.fvector("f"))
    with pytest.raises(TypeError, match=r"then_branch\[1\] and else_branch\[1\].*dimensions"):
        ifelse(c, [x, x], [y, gt.dmatrix("m")])
    with pytest.raises(ValueError, match="then_branch has 2 values but else_branch has 1"):
        ifelse(c, [x, x], [y])
    with pytest.raises(TypeError, match="both be variables or both be lists"):
        ifelse(c, [x], y)
    with pytest.raises(ValueError, match="empty"):
        ifelse(c, [], [])
    with pytest.raises(ValueError, match="n_outs"):
        IfElse(0)
    with pytest.raises(ValueError, match="expected 1 then and 1 else"):
        IfElse(1)(c, x)
