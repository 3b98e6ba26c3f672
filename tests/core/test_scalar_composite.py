"""`Composite`: values against composing the inner ops, dtypes, outputs, identity, gradients, pickling."""

from __future__ import annotations

import copy
import pickle
import warnings

import numpy as np
import pytest

import graft.scalar as gs
import graft.tensor as gt
from graft.compile import Mode, function
from graft.gradient import grad
from graft.graph.basic import Constant, io_toposort
from graft.graph.fg import FunctionGraph
from graft.graph.rewriting.basic import MergeOptimizer
from graft.scalar import Composite
from graft.tensor.elemwise import Elemwise
from graft.testing import verify_grad

NO_REWRITES = Mode(linker="py", optimizer=None)


def evaluate(inputs, outputs, values):
    """Reference: each inner op's ufunc in turn (no buffer reuse), outputs broadcast."""
    env = dict(zip(inputs, values))
    for node in io_toposort(inputs, outputs):
        args = [v.data if isinstance(v, Constant) else env[v] for v in node.inputs]
        with np.errstate(all="ignore"):
            res = node.op.ufunc(*args)
        for o, r in zip(node.outputs, res if len(node.outputs) > 1 else (res,)):
            env[o] = np.asarray(r).astype(o.type.dtype)
    shape = np.broadcast_shapes(*(np.shape(v) for v in values))
    return [
        np.broadcast_to(np.asarray(o.data if isinstance(o, Constant) else env[o]), shape)
        for o in outputs
    ]


def rand(dtype, shape, seed=0):
    rng = np.random.default_rng(seed)
    if np.dtype(dtype).kind == "f":
        return (rng.normal(0, 2, shape)).astype(dtype)
    return rng.integers(-20, 20, shape).astype(dtype)


def chain_graph(dtype="float64"):
    x, y, z = (gs.get_scalar_type(dtype)(n) for n in "xyz")
    t = gs.mul(x, y)
    out = gs.add(gs.sub(t, gs.exp(z)), gs.true_div(t, gs.add(gs.sqr(z), 1.0)))
    return [x, y, z], [out]


# ---------------------------------------------------------------------------
# Values
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_values_match_composing_the_ops(dtype):
    ins, outs = chain_graph(dtype)
    c = Composite(ins, outs)
    vals = [rand(dtype, (5, 4), seed=k) for k in range(3)]
    got = c.ufunc(*vals)
    (want,) = evaluate(ins, outs, vals)
    assert got.dtype == np.dtype(dtype)
    np.testing.assert_array_equal(got, want)
    x, y, z = vals
    np.testing.assert_allclose(got, x * y - np.exp(z) + x * y / (z * z + 1), rtol=1e-5)


def test_inputs_are_not_modified_and_temporaries_are_reused_safely():
    x, y = gs.float64("x"), gs.float64("y")
    a = gs.exp(x)
    b = gs.mul(a, y)
    c = gs.add(b, x)  # a, b dead here: their buffers are reused below
    d = gs.sub(gs.mul(c, c), gs.sqr(a))
    comp = Composite([x, y], [d, gs.neg(c)])
    # Large enough for temporaries to be reused (small ones are just allocated).
    xv, yv = rand("float64", (5000,)), rand("float64", (5000,), seed=1)
    xc, yc = xv.copy(), yv.copy()
    r1, r2 = comp.ufunc(xv, yv)
    np.testing.assert_array_equal(xv, xc)
    np.testing.assert_array_equal(yv, yc)
    w1, w2 = evaluate([x, y], [d, gs.neg(c)], [xc, yc])
    np.testing.assert_array_equal(r1, w1)
    np.testing.assert_array_equal(r2, w2)
    assert not np.shares_memory(r1, r2)
    # A second call gives the same (no state is kept between calls).
    s1, _ = comp.ufunc(xv, yv)
    np.testing.assert_array_equal(s1, r1)
    assert s1 is not r1


@pytest.mark.parametrize("n", [3, 5000])
def test_buffer_reuse_with_broadcast_temporaries(n):
    x, y = gs.float64("x"), gs.float64("y")
    a = gs.exp(x)  # shape (n, 1)
    b = gs.sin(a)  # (n, 1): may reuse nothing yet
    c = gs.add(b, y)  # (n, 2)
    d = gs.mul(gs.cos(a), c)  # a dies here; its (n, 1) buffer must not take a (n, 2) result
    e = gs.sub(d, gs.sqr(c))
    comp = Composite([x, y], [e, gs.neg(b)])
    xv, yv = rand("float64", (n, 1)), rand("float64", (1, 2), seed=1)
    got = comp.ufunc(xv, yv)
    want = evaluate([x, y], [e, gs.neg(b)], [xv, yv])
    for g, w in zip(got, want):
        assert g.shape == (n, 2)
        np.testing.assert_array_equal(g, w)


def test_broadcasting_inputs_give_full_shape_outputs():
    x, y = gs.float64("x"), gs.float64("y")
    comp = Composite([x, y], [gs.exp(x), gs.add(x, y)])
    col, row = rand("float64", (3, 1)), rand("float64", (1, 4), seed=1)
    e, s = comp.ufunc(col, row)
    assert e.shape == s.shape == (3, 4)
    np.testing.assert_array_equal(e, np.broadcast_to(np.exp(col), (3, 4)))
    np.testing.assert_array_equal(s, col + row)
    e[0, 0] = 123.0  # a real array, not a read-only broadcast view
    assert e[1, 0] != 123.0


def test_outputs_that_are_inputs_or_constants_are_fresh_arrays():
    x, y = gs.float32("x"), gs.float32("y")
    c2 = gs.constant(2.0, "float32")
    comp = Composite([x, y], [x, c2, gs.mul(x, y), gs.mul(x, y)])
    xv, yv = rand("float32", (4,)), rand("float32", (4,), seed=1)
    ox, oc, m1, m2 = comp.ufunc(xv, yv)
    assert ox is not xv and not np.shares_memory(ox, xv)
    np.testing.assert_array_equal(ox, xv)
    assert oc.shape == (4,) and oc.dtype == np.float32 and np.all(oc == 2)
    assert m1.dtype == np.float32 and m2.dtype == np.float32


def test_repeated_output_variable_is_not_aliased():
    x = gs.float64("x")
    e = gs.exp(x)
    comp = Composite([x], [e, e])
    a, b = comp.ufunc(np.zeros(3))
    assert a is not b and not np.shares_memory(a, b)
    assert str(comp) == "Composite{exp(i0), o0}"


def test_numpy_scalars_in_scalars_out():
    ins, outs = chain_graph("float32")
    c = Composite(ins, outs)
    r = c.ufunc(np.float32(1.5), np.float32(-2.0), np.float32(0.25))
    assert isinstance(r, np.float32)
    (want,) = evaluate(ins, outs, [np.float32(1.5), np.float32(-2.0), np.float32(0.25)])
    assert r == want
    assert c.impl(np.float32(1.5), np.float32(-2.0), np.float32(0.25)) == r


def test_out_argument_single_and_multiple_outputs():
    ins, outs = chain_graph()
    c = Composite(ins, outs)
    vals = [rand("float64", (6000,), seed=k) for k in range(3)]
    (want,) = evaluate(ins, outs, vals)
    buf = np.empty(6000)
    assert c.ufunc(*vals, out=buf) is buf
    np.testing.assert_array_equal(buf, want)
    # In place over an input (what an in-place Elemwise does).
    x0 = vals[0].copy()
    res = c.ufunc(x0, vals[1], vals[2], out=x0)
    assert res is x0
    np.testing.assert_array_equal(x0, want)
    x = gs.float64("x")
    multi = Composite([x], [gs.exp(x), gs.neg(x)])
    o1, o2 = np.empty(3), np.empty(3)
    got = multi.ufunc(np.arange(3.0), out=(o1, o2))
    assert got[0] is o1 and got[1] is o2
    np.testing.assert_array_equal(o2, -np.arange(3.0))


def test_elemwise_of_composite_equals_the_unfused_elemwise_graph():
    ins, outs = chain_graph()
    comp = Composite(ins, outs)
    x, y = gt.dmatrix("x"), gt.dmatrix("y")
    z = gt.drow("z")
    fused = Elemwise(comp)(x, y, z)
    t = x * y
    unfused = t - gt.exp(z) + t / (gt.sqr(z) + 1.0)
    f = function([x, y, z], [fused, unfused], mode=NO_REWRITES)
    a, b, cz = rand("float64", (3, 4)), rand("float64", (3, 4), 1), rand("float64", (1, 4), 2)
    r_fused, r_unfused = f(a, b, cz)
    np.testing.assert_array_equal(r_fused, r_unfused)
    assert fused.type.shape == (None, None)


def test_nested_composite():
    x, y = gs.float64("x"), gs.float64("y")
    inner = Composite([x, y], [gs.mul(gs.exp(x), y)])
    a, b = gs.float64("a"), gs.float64("b")
    outer = Composite([a, b], [gs.add(inner(a, b), inner(b, a))])
    av, bv = rand("float64", (5,)), rand("float64", (5,), 1)
    np.testing.assert_allclose(outer.ufunc(av, bv), np.exp(av) * bv + np.exp(bv) * av)
    assert "Composite{mul(exp(i0), i1)}" in str(outer)


def test_casts_and_integer_inputs():
    i, j = gs.int64("i"), gs.int64("j")
    q = gs.true_div(i, j)  # int64 / int64 is float64, as in NumPy
    comp = Composite([i, j], [gs.add(q, gs.cast(i, "float32")), gs.int_div(i, j)])
    assert [t.dtype for t in comp.output_types([gs.int64, gs.int64])] == ["float64", "int64"]
    iv = np.array([0, 7, -9, 10**6], dtype="int64")
    jv = np.array([1, 2, 4, -3], dtype="int64")
    r, d = comp.ufunc(iv, jv)
    assert r.dtype == np.float64 and d.dtype == np.int64
    np.testing.assert_array_equal(r, iv / jv + iv.astype("float32"))
    np.testing.assert_array_equal(d, iv // jv)


# ---------------------------------------------------------------------------
# Types and structure
# ---------------------------------------------------------------------------


def test_nin_nout_and_output_types():
    x, y = gs.float32("x"), gs.float32("y")
    e = gs.exp(x)
    c = Composite([x, y], [e, gs.add(e, y)])
    assert (c.nin, c.nout) == (2, 2)
    assert str(c) == "Composite{exp(i0), add(o0, i1)}"
    assert [t.dtype for t in c.output_types([gs.float32, gs.float32])] == ["float32"] * 2
    # Other input dtypes: the inner graph is rebuilt on them.
    assert [t.dtype for t in c.output_types([gs.float64, gs.float32])] == ["float64"] * 2
    out64 = c.ufunc(np.ones(2), np.ones(2, "float32"))
    assert [o.dtype for o in out64] == [np.float64, np.float64]
    with pytest.raises(TypeError, match="takes 2 inputs"):
        c.output_types([gs.float32])
    with pytest.raises(TypeError, match="takes 2 inputs"):
        c.ufunc(np.ones(2))


def test_apply_to_scalar_variables_and_str_forms():
    ins, outs = chain_graph()
    c = Composite(ins, outs)
    assert str(c) == (
        "Composite{t0=mul(i0, i1); add(sub(t0, exp(i2)), true_div(t0, add(sqr(i2), 1.0)))}"
    )
    a, b, d = gs.float64("a"), gs.float64("b"), gs.float64("d")
    node = c.make_node(a, b, d)
    assert node.outputs[0].type == gs.float64
    assert str(Elemwise(c)).startswith("Elemwise{Composite{t0=mul(i0, i1); ")


def test_str_is_truncated_for_large_graphs():
    x = gs.float64("x")
    v = x
    for _ in range(500):
        v = gs.add(gs.sin(v), x)
    c = Composite([x], [v])
    s = str(c)
    assert s.startswith("Composite{add(sin(add(sin(") and s.endswith("...}")
    assert len(s) < 200


def test_inner_graph_is_a_copy_and_fgraph_views_it():
    ins, outs = chain_graph()
    c = Composite(ins, outs)
    assert all(a is not b for a, b in zip(c.inputs, ins))
    assert all(v.owner is None for v in c.inputs)
    fg = c.fgraph
    assert fg is c.fgraph  # built once
    assert fg.inputs == c.inputs and fg.outputs == c.outputs
    assert len(fg.apply_nodes) == 7
    assert {type(n.op).__name__ for n in fg.apply_nodes} >= {"Mul", "Exp", "TrueDiv"}


def test_connection_pattern():
    x, y, z = gs.float64("x"), gs.float64("y"), gs.float64("z")
    c = Composite([x, y, z], [gs.exp(x), gs.add(x, y), gs.constant(1.0, "float64")])
    assert c.connection_pattern(None) == [
        [True, True, False],
        [False, True, False],
        [False, False, False],
    ]


def test_invalid_graphs_are_refused():
    x, y = gs.float64("x"), gs.float64("y")
    with pytest.raises(ValueError, match="not one of its inputs"):
        Composite([x], [gs.add(x, y)])
    with pytest.raises(ValueError, match="owner-less"):
        Composite([gs.exp(x)], [gs.exp(x)])
    with pytest.raises(TypeError, match="not a scalar variable"):
        Composite([gt.dvector("v")], [x])
    with pytest.raises(ValueError, match="distinct"):
        Composite([x, x], [x])
    with pytest.raises(ValueError, match="at least one output"):
        Composite([x], [])


# ---------------------------------------------------------------------------
# Identity: equality, hashing, merging, pickling
# ---------------------------------------------------------------------------


def test_equal_graphs_give_equal_ops():
    c1 = Composite(*chain_graph())
    c2 = Composite(*chain_graph())
    assert c1 == c2 and hash(c1) == hash(c2)
    assert Elemwise(c1) == Elemwise(c2)
    assert c1 != Composite(*chain_graph("float32"))  # input dtypes differ
    x, y = gs.float64("x"), gs.float64("y")
    assert Composite([x, y], [gs.add(x, y)]) != Composite([x, y], [gs.add(y, x)])
    assert Composite([x], [gs.add(x, 1.0)]) != Composite([x], [gs.add(x, 2.0)])
    assert Composite([x], [gs.add(x, 1.0)]) != Composite([x], [gs.mul(x, 1.0)])
    nan = gs.constant(np.nan, "float64")
    assert Composite([x], [gs.add(x, nan)]) == Composite([x], [gs.add(x, nan.clone())])
    # Shared versus recomputed subexpressions are different graphs.
    t = gs.mul(x, y)
    shared = Composite([x, y], [gs.add(t, gs.exp(t))])
    recomputed = Composite([x, y], [gs.add(gs.mul(x, y), gs.exp(gs.mul(x, y)))])
    assert shared != recomputed


def test_merge_optimizer_merges_equal_fused_nodes():
    x, y = gt.dvector("x"), gt.dvector("y")
    a = Elemwise(Composite(*chain_graph()))(x, y, x)
    b = Elemwise(Composite(*chain_graph()))(x, y, x)
    fg = FunctionGraph([x, y], [a, b], clone=False)
    MergeOptimizer().rewrite(fg)
    assert len(fg.apply_nodes) == 1
    assert fg.outputs[0] is fg.outputs[1]


def test_pickle_and_copy_round_trip():
    ins, outs = chain_graph("float32")
    c = Composite(ins, outs)
    c.ufunc(*[np.ones(2, "float32")] * 3)  # caches built: must not be pickled
    for other in (pickle.loads(pickle.dumps(c)), copy.deepcopy(c), copy.copy(c)):
        assert other == c and hash(other) == hash(c) and str(other) == str(c)
        vals = [rand("float32", (3,), k) for k in range(3)]
        np.testing.assert_array_equal(other.ufunc(*vals), c.ufunc(*vals))
    e = Elemwise(c)
    assert pickle.loads(pickle.dumps(e)) == e
    x, y, z = (gt.fvector(n) for n in "xyz")
    out = e(x, y, z)
    f = function([x, y, z], out, mode=NO_REWRITES)
    ins2, out2 = pickle.loads(pickle.dumps(([x, y, z], out)))  # a graph holding the op
    g = function(ins2, out2, mode=NO_REWRITES)
    vals = [rand("float32", (3,), k) for k in range(3)]
    np.testing.assert_array_equal(g(*vals), f(*vals))


# ---------------------------------------------------------------------------
# Gradients
# ---------------------------------------------------------------------------


def test_gradient_single_output():
    comp = Composite(*chain_graph())
    pts = [rand("float64", (3, 2), k) for k in range(3)]
    pts[2] = np.abs(pts[2]) + 0.5
    verify_grad(lambda x, y, z: Elemwise(comp)(x, y, z), pts, rng=1)


def test_gradient_multi_output_and_broadcast_input():
    x, y = gs.float64("x"), gs.float64("y")
    e = gs.exp(gs.mul(x, 0.5))
    comp = Composite([x, y], [e, gs.mul(e, gs.sin(y)), gs.neg(y)])
    op = Elemwise(comp)

    def fn(a, b):
        o1, o2, o3 = op(a, b)
        return o1 * 2.0 + o2 - o3 * 3.0

    verify_grad(fn, [rand("float64", (3, 4)), rand("float64", (1, 4), 1)], rng=2)
    # Only one output used: the others get zero output gradients.
    verify_grad(lambda a, b: op(a, b)[1], [rand("float64", (3,)), rand("float64", (3,), 1)])


def test_gradient_float32_and_integer_inputs():
    x, i = gs.float32("x"), gs.int64("i")
    comp = Composite([x, i], [gs.mul(gs.sqr(x), i)])
    xv, iv = gt.fvector("x"), gt.lvector("i")
    out = Elemwise(comp)(xv, iv)
    assert out.dtype == "float64"  # float32 * int64 promotes, as in NumPy
    gx, gi = grad(out.sum(), [xv, iv])
    assert gx.dtype == "float32"
    f = function([xv, iv], [gx, gi], mode=NO_REWRITES)
    rx, ri = f(np.array([1.0, -2.0], "float32"), np.array([3, 4]))
    np.testing.assert_allclose(rx, [6.0, -16.0])
    assert np.all(ri == 0)


def test_scalar_l_op_matches_the_unfused_scalar_gradient():
    ins, outs = chain_graph()
    comp = Composite(ins, outs)
    a, b, d = gs.float64("a"), gs.float64("b"), gs.float64("d")
    (out,) = comp.make_node(a, b, d).outputs
    gz = gs.float64("gz")
    grads = comp.L_op([a, b, d], [out], [gz])
    assert all(g.type == gs.float64 for g in grads)
    vals = {a: np.float64(1.5), b: np.float64(-0.5), d: np.float64(0.75), gz: np.float64(2.0)}

    def run(v):
        env = dict(vals)
        for node in io_toposort(list(vals), [v]):
            args = [x.data if isinstance(x, Constant) else env[x] for x in node.inputs]
            res = node.op.impl(*args)
            env[node.outputs[0]] = res if len(node.outputs) == 1 else res[0]
        return env[v]

    x, y, z = 1.5, -0.5, 0.75
    h = 1e-6

    def f(x, y, z):
        return x * y - np.exp(z) + x * y / (z * z + 1)

    num = [
        (f(x + h, y, z) - f(x - h, y, z)) / (2 * h),
        (f(x, y + h, z) - f(x, y - h, z)) / (2 * h),
        (f(x, y, z + h) - f(x, y, z - h)) / (2 * h),
    ]
    for g, n in zip(grads, num):
        np.testing.assert_allclose(run(g), 2.0 * n, rtol=1e-6)


def test_no_warnings_from_plain_evaluation():
    comp = Composite(*chain_graph())
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        comp.ufunc(np.ones(3), np.ones(3), np.ones(3))
