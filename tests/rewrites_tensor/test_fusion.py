"""Elemwise fusion: what fuses, what must not, values against unfused graphs, scale."""

from __future__ import annotations

import io
import time

import numpy as np
import pytest
from graft_rewrites_tensor.fusion import FusionOptimizer
from rt_helpers import NO_REWRITES, STRICT_WARNINGS

import graft
import graft.tensor as gt
from graft.compile import get_mode
from graft.compile.optdb import optdb
from graft.graph.basic import io_toposort
from graft.graph.fg import FunctionGraph
from graft.graph.rewriting.db import RewriteDatabaseQuery
from graft.scalar import Composite
from graft.tensor.elemwise import Elemwise

pytestmark = STRICT_WARNINGS

FAST_RUN = get_mode("FAST_RUN")
NO_FUSION = FAST_RUN.excluding("fusion")


def fused_nodes(f):
    return [
        n
        for n in f.maker.fgraph.toposort()
        if isinstance(n.op, Elemwise) and isinstance(n.op.scalar_op, Composite)
    ]


def elemwise_nodes(f):
    return [n for n in f.maker.fgraph.toposort() if isinstance(n.op, Elemwise)]


def fuse(inputs, outputs):
    """A FunctionGraph of ``outputs`` after `FusionOptimizer` alone, and its profile."""
    fg = FunctionGraph(inputs, outputs)
    prof = FusionOptimizer().rewrite(fg)
    return fg, prof


def run_fg(fg, *values):
    f = graft.function(fg.inputs, fg.outputs, mode=NO_REWRITES)
    return f(*values)


# ---------------------------------------------------------------------------
# What fuses
# ---------------------------------------------------------------------------


def test_chain_fuses_into_one_node():
    x = gt.dvector("x")
    out = gt.tanh(gt.exp(gt.sin(x) * 2.0 + 1.0) - x)
    f = graft.function([x], out)
    (node,) = f.maker.fgraph.toposort()
    assert isinstance(node.op.scalar_op, Composite)
    assert node.inputs == [f.maker.fgraph.inputs[0]]  # scalar constants folded in
    xv = np.linspace(-3, 3, 7)
    np.testing.assert_allclose(f(xv), np.tanh(np.exp(np.sin(xv) * 2 + 1) - xv))


def test_tree_fuses_into_one_node():
    x, y, z = (gt.dvector(n) for n in "xyz")
    out = (x + y) * (x - y) + gt.exp(z) / (z * z + 1.0)
    f = graft.function([x, y, z], out)
    assert len(f.maker.fgraph.apply_nodes) == 1
    (node,) = fused_nodes(f)
    assert node.op.scalar_op.nin == 3 and node.op.scalar_op.nout == 1


def test_multi_client_intermediate_becomes_an_extra_output():
    x, y = (gt.dvector(n) for n in "xy")
    t = gt.exp(x) * y
    out = [t + 1.0, t.sum()]
    fg, prof = fuse([x, y], out)
    (node,) = [n for n in fg.apply_nodes if isinstance(n.op, Elemwise)]
    assert len(node.outputs) == 2  # t (for the sum) and t + 1
    assert prof[2] == 1  # one replacement
    xv, yv = np.array([0.0, 1.0, -2.0]), np.array([1.0, -3.0, 0.5])
    r = run_fg(fg, xv, yv)
    np.testing.assert_allclose(r[0], np.exp(xv) * yv + 1)
    np.testing.assert_allclose(r[1], np.sum(np.exp(xv) * yv))


def test_graph_output_inside_a_group_is_exported():
    x = gt.dvector("x")
    a = gt.exp(x)
    b = a * 2.0
    fg, _ = fuse([x], [a, b])
    (node,) = fg.apply_nodes
    assert fg.outputs == node.outputs


def test_sibling_groups_sharing_a_producer_merge():
    x, w = gt.dvector("x"), gt.dvector("w")
    e = x * w
    outs = [gt.sum(gt.softplus(e) - x), gt.sum(x * gt.sigmoid(e)), gt.sum(gt.exp(e) + 1.0)]
    fg, prof = fuse([x, w], outs)
    fused = [n for n in fg.apply_nodes if isinstance(n.op, Elemwise)]
    assert len(fused) == 1 and len(fused[0].outputs) == 3
    assert prof[1] == 1  # one pass finds the whole group


def test_broadcasting_group_fuses():
    m, r, c = gt.dmatrix("m"), gt.drow("r"), gt.dcol("c")
    out = gt.exp(m * r) + gt.log1p(gt.sqr(m - c))
    f = graft.function([m, r, c], out)
    assert len(fused_nodes(f)) == 1
    assert len(elemwise_nodes(f)) == 1
    mv, rv, cv = np.ones((3, 4)), np.full((1, 4), 0.5), np.arange(3.0).reshape(3, 1)
    np.testing.assert_allclose(f(mv, rv, cv), np.exp(mv * rv) + np.log1p((mv - cv) ** 2))


def test_no_fusion_across_different_broadcast_patterns():
    m, c = gt.dmatrix("m"), gt.dcol("c")
    small = gt.exp(gt.sin(c))  # shape (n, 1)
    out = gt.cos(m + small)  # shape (n, m)
    fg, _ = fuse([m, c], [out])
    fused = [n for n in fg.apply_nodes if isinstance(n.op, Elemwise)]
    assert len(fused) == 2
    assert {n.outputs[0].type.shape for n in fused} == {(None, 1), (None, None)}
    mv, cv = np.ones((2, 3)), np.array([[0.5], [-1.0]])
    np.testing.assert_allclose(run_fg(fg, mv, cv)[0], np.cos(mv + np.exp(np.sin(cv))))


def test_single_nodes_and_inplace_elemwise_are_left_alone():
    x = gt.dvector("x")
    fg, prof = fuse([x], [gt.exp(x).sum()])
    assert prof[2] == 0
    assert any(n.op == gt.exp for n in fg.apply_nodes)
    inplace_exp = Elemwise(gt.exp.scalar_op, {0: 0})
    y = gt.dvector("y")
    fg, prof = fuse([y], [inplace_exp(y + 1.0) * 2.0])
    assert prof[2] == 0


# ---------------------------------------------------------------------------
# What must not fuse: cycles
# ---------------------------------------------------------------------------


def test_no_cycle_through_a_reduction():
    # exp(x) feeds mul directly and through sum: fusing exp into mul's group
    # would make the fused node feed its own input.
    x = gt.dvector("x")
    a = gt.exp(x)
    out = gt.sin(a * a.sum()) + 1.0
    fg, prof = fuse([x], [out])
    io_toposort(fg.inputs, fg.outputs)  # raises on a cycle
    assert prof[9] >= 1  # a refused join
    xv = np.array([0.1, -0.2, 0.3])
    ev = np.exp(xv)
    np.testing.assert_allclose(run_fg(fg, xv)[0], np.sin(ev * ev.sum()) + 1)


def test_no_cycle_when_merging_sibling_groups():
    # Two consumer groups of p: g1 = {a, b}, g2 = {c, d}; a path g1 -> sum -> g2
    # outside both forbids merging them.
    x = gt.dvector("x")
    p = gt.exp(x)
    b = gt.sin(p) * 2.0
    d = gt.cos(p) + b.sum()
    fg, _ = fuse([x], [b, d])
    io_toposort(fg.inputs, fg.outputs)
    xv = np.array([0.5, 1.5])
    r = run_fg(fg, xv)
    np.testing.assert_allclose(r[0], np.sin(np.exp(xv)) * 2)
    np.testing.assert_allclose(r[1], np.cos(np.exp(xv)) + np.sum(np.sin(np.exp(xv)) * 2))


def test_no_cycle_between_two_groups_feeding_each_other():
    # Group A = {n, s*3/n + m} and group B = {e, (3/n) * e}: A feeds B through n's
    # dimshuffle, B feeds A through sum(e). No single join closes a path between
    # nodes, but fusing both groups would make two nodes that feed each other.
    x = gt.dmatrix("x")
    e = gt.exp(x)
    n = gt.cast(gt.shape_i(x, 1), "float64")
    m = gt.cast(gt.shape_i(x, 0), "float64")
    a = gt.sum(e) * 3.0 / n + m
    g = (3.0 / n.dimshuffle("x", "x")) * e
    fg, prof = fuse([x], [a, g])
    io_toposort(fg.inputs, fg.outputs)  # raises on a cycle
    assert prof[9] >= 1  # a refused group
    assert any(
        isinstance(nd.op.scalar_op, Composite)
        for nd in fg.apply_nodes
        if isinstance(nd.op, Elemwise)
    )  # the other group still fuses
    xv = np.arange(6.0).reshape(2, 3) / 7
    ra, rg = run_fg(fg, xv)
    np.testing.assert_allclose(ra, np.exp(xv).sum() * 3 / 3 + 2)
    np.testing.assert_allclose(rg, np.exp(xv))


def test_budget_exhaustion_refuses_instead_of_guessing():
    x = gt.dvector("x")
    a = gt.exp(x)
    s = a.sum()
    for _ in range(30):
        s = gt.sqrt(gt.sqr(s) + 1.0)  # a long scalar path back into the group
    out = gt.sin(a * s)
    fg = FunctionGraph([x], [out])
    prof = FusionOptimizer(reach_budget=4).rewrite(fg)
    io_toposort(fg.inputs, fg.outputs)
    assert prof[10] >= 1
    buf = io.StringIO()
    FusionOptimizer.print_profile(buf, prof)
    assert "nb_reach_budget_hit" in buf.getvalue()


# ---------------------------------------------------------------------------
# Registration and profile
# ---------------------------------------------------------------------------


def test_registered_in_fast_run_only():
    def names(*exclude):
        q = RewriteDatabaseQuery(include=["fast_run"], exclude=list(exclude))
        return [type(rw).__name__ for rw in optdb.query(q).data]

    assert "FusionOptimizer" in names()
    assert optdb.__position__["elemwise_fusion"] == 49
    assert "FusionOptimizer" not in names("fusion")
    fast_compile = optdb.query(RewriteDatabaseQuery(include=["fast_compile"]))
    assert not any(isinstance(rw, FusionOptimizer) for rw in fast_compile.data)
    # Fusion runs before merge2, so equal fused nodes merge.
    seq = optdb.query(RewriteDatabaseQuery(include=["fast_run"])).data
    k = next(i for i, rw in enumerate(seq) if isinstance(rw, FusionOptimizer))
    assert type(seq[k + 1]).__name__ == "MergeOptimizer"
    x = gt.dvector("x")
    f = graft.function([x], gt.exp(x) * 2.0 + 1.0, mode="FAST_COMPILE")
    assert not fused_nodes(f)


def test_profile_printout():
    x, y = (gt.dvector(n) for n in "xy")
    _, prof = fuse([x, y], [gt.exp(x) * y + 1.0])
    buf = io.StringIO()
    FusionOptimizer.print_profile(buf, prof, level=1)
    text = buf.getvalue()
    for key in (
        "FusionOptimizer",
        "nb_iter",
        "nb_replacement 1",
        "nb_inconsistency_replace 0",
        "validate_time",
        "callback_time",
        "time_toposort",
    ):
        assert key in text, text


# ---------------------------------------------------------------------------
# Values: FAST_RUN against FAST_RUN without fusion, on random DAGs
# ---------------------------------------------------------------------------

UNARY_F = [gt.exp, gt.sin, gt.tanh, gt.sigmoid, gt.neg, gt.sqr, gt.abs, gt.log1p, gt.softplus]
BINARY_F = [gt.add, gt.sub, gt.mul, gt.true_div, gt.maximum, gt.minimum]
UNARY_I = [gt.neg, gt.abs, gt.sqr, gt.sign]
BINARY_I = [gt.add, gt.sub, gt.mul, gt.maximum, gt.minimum]


def random_dag(rng, dtype, n_nodes=14):
    """Random elementwise DAG over a matrix, a row and a column, with shared intermediates.

    Some nodes go through reductions or casts (not fusable), and several
    nodes are outputs, so groups have several clients and several outputs.
    """
    m = gt.matrix("m", dtype=dtype)
    r = gt.row("r", dtype=dtype)
    c = gt.col("c", dtype=dtype)
    pool = [m, r, c]
    kind = "f" if dtype.startswith("float") else "i"
    unary, binary = (UNARY_F, BINARY_F) if kind == "f" else (UNARY_I, BINARY_I)
    for _ in range(n_nodes):
        k = rng.integers(10)
        a = pool[rng.integers(len(pool))]
        if k < 4:
            v = unary[rng.integers(len(unary))](a)
        elif k < 8:
            b = pool[rng.integers(len(pool))]
            v = binary[rng.integers(len(binary))](a, b)
        elif k == 8:
            v = a + (1.5 if kind == "f" else 3)
        else:  # through a reduction: broadcasts back over the matrix
            v = m * gt.sum(a, axis=1, keepdims=True) if kind == "f" else a - gt.max(a)
        if kind == "f" and v.dtype != dtype:
            v = gt.cast(v, dtype)
        pool.append(v)
    outs = [pool[-1], pool[-2], pool[len(pool) // 2]]
    return [m, r, c], [o for i, o in enumerate(outs) if o not in outs[:i]]


def sample_inputs(rng, dtype):
    if dtype.startswith("float"):
        special = np.array([0.0, -0.0, 1.0, -1.0, 30.0, -30.0, 1e3, -1e3, 0.5, 2.0, -7.0, 1e-3])
        mat = rng.choice(special, (4, 3)) * np.where(rng.random((4, 3)) < 0.5, 1, 0)
        mat = mat + rng.normal(0, 3, (4, 3))
        col = special[:4, None].astype(dtype)
        return [mat.astype(dtype), rng.normal(0, 2, (1, 3)).astype(dtype), col]
    return [
        rng.integers(-1000, 1000, (4, 3)).astype(dtype),
        np.array([[0, -1, 7]], dtype),
        np.array([[0], [1], [-2], [10**4]], dtype),
    ]


@pytest.mark.parametrize("dtype", ["float64", "float32", "int64"])
@pytest.mark.parametrize("seed", range(8))
def test_fused_values_equal_unfused(dtype, seed):
    rng = np.random.default_rng(seed)
    ins, outs = random_dag(rng, dtype)
    fast = graft.function(ins, outs, mode=FAST_RUN, on_unused_input="ignore")
    ref = graft.function(ins, outs, mode=NO_FUSION, on_unused_input="ignore")
    plain = graft.function(ins, outs, mode=NO_REWRITES, on_unused_input="ignore")
    vals = sample_inputs(rng, dtype)
    with np.errstate(all="ignore"):
        got, want, base = fast(*vals), ref(*vals), plain(*vals)
    for g, w, b in zip(got, want, base):
        assert g.dtype == w.dtype == b.dtype and g.shape == w.shape
        # Same ufuncs on the same values: the fused node computes bit for bit
        # what the separate nodes computed.
        np.testing.assert_array_equal(g, w)
    assert len(elemwise_nodes(fast)) <= len(elemwise_nodes(ref))


def test_values_equal_on_a_fused_dag_with_many_outputs():
    rng = np.random.default_rng(42)
    for dtype in ("float64", "float32"):
        ins, outs = random_dag(rng, dtype, n_nodes=40)
        fast = graft.function(ins, outs, mode=FAST_RUN, on_unused_input="ignore")
        ref = graft.function(ins, outs, mode=NO_FUSION, on_unused_input="ignore")
        vals = sample_inputs(rng, dtype)
        with np.errstate(all="ignore"):
            for g, w in zip(fast(*vals), ref(*vals)):
                np.testing.assert_array_equal(g, w)


def test_broadcast_errors_are_still_raised():
    x, y = (gt.dvector(n) for n in "xy")
    f = graft.function([x, y], gt.exp(x) * y + 1.0)
    assert fused_nodes(f)
    with pytest.raises(ValueError):
        f(np.ones(3), np.ones(1))


# ---------------------------------------------------------------------------
# Models
# ---------------------------------------------------------------------------


def test_logistic_regression_logp_and_gradient_are_fused():
    X, t = gt.dmatrix("X"), gt.dvector("t")
    w, b = gt.dvector("w"), gt.dscalar("b")
    p = gt.sigmoid(gt.dot(X, w) + b)
    logp = gt.sum(t * gt.log(p) + (1 - t) * gt.log(1 - p))
    gw, gb = graft.grad(logp, [w, b])
    fast = graft.function([X, t, w, b], [logp, gw, gb])
    ref = graft.function([X, t, w, b], [logp, gw, gb], mode="FAST_COMPILE")
    unfused = graft.function([X, t, w, b], [logp, gw, gb], mode=NO_FUSION)
    fused = fused_nodes(fast)
    assert fused
    inner = {type(n.op).__name__ for node in fused for n in node.op.scalar_op.fgraph.apply_nodes}
    assert "Softplus" in inner  # stabilized, then fused
    assert not any(n.op == gt.log for n in fast.maker.fgraph.apply_nodes)
    rng = np.random.default_rng(0)
    Xv = rng.normal(size=(20, 3))
    tv = (rng.random(20) < 0.5).astype("float64")
    wv, bv = rng.normal(size=3), 1.0
    for got, want in zip(fast(Xv, tv, wv, bv), ref(Xv, tv, wv, bv)):
        np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-9)
    # Saturated: the naive logp is NaN, the stabilized one stays finite, fused or not.
    wv = wv * 100
    got, want = fast(Xv, tv, wv, bv), unfused(Xv, tv, wv, bv)
    assert np.isfinite(got[0])
    for g, w_ in zip(got, want):
        np.testing.assert_array_equal(g, w_)


def test_fused_graph_gradient_matches_finite_differences():
    x = gt.dvector("x")
    y = gt.sum(gt.exp(gt.sin(x) * 2.0) / (1.0 + x * x))
    g = graft.grad(y, x)
    f = graft.function([x], [y, g])
    assert fused_nodes(f)
    xv = np.array([0.3, -1.2, 2.0])
    fy, fg = f(xv)
    h = 1e-6
    num = [(f(xv + h * np.eye(3)[k])[0] - f(xv - h * np.eye(3)[k])[0]) / (2 * h) for k in range(3)]
    np.testing.assert_allclose(fg, num, rtol=1e-6)


# ---------------------------------------------------------------------------
# Scale
# ---------------------------------------------------------------------------


def chain_graph(n):
    x, y = (gt.dvector(n) for n in "xy")
    z = x
    for i in range(n):
        z = gt.exp(-z) * y + 0.5 if i % 2 else gt.sin(z) - y
    return [x, y], [z]


def model_graph(n):
    """N terms of log(exp(x*w)+1) - (x-1)**2/2 and the gradient: the issue's benchmark graph."""
    x = gt.dvector("x")
    ws = [gt.dscalar(f"w{i}") for i in range(n)]
    cost = 0
    for w in ws:
        cost = cost + (gt.log(gt.exp(x * w) + 1) - (x - 1) ** 2 / 2).sum()
    return [x, *ws], [cost, *graft.grad(cost, ws)]


def prepared(inputs, outputs):
    """The graph as FAST_RUN hands it to fusion (every rewrite before position 49)."""
    fg = FunctionGraph(inputs, outputs)
    q = RewriteDatabaseQuery(include=["fast_run"], exclude=["fusion"], position_cutoff=49)
    optdb.query(q).rewrite(fg)
    return fg


@pytest.mark.parametrize("maker,n", [(chain_graph, 4000), (model_graph, 1250)])
def test_fusion_of_a_10k_node_graph(maker, n, capsys):
    ins, outs = maker(n)
    fg = prepared(ins, outs)
    n_before = len(fg.apply_nodes)
    assert n_before >= 10_000
    t0 = time.perf_counter()
    prof = FusionOptimizer().rewrite(fg)
    elapsed = time.perf_counter() - t0
    n_after = len(fg.apply_nodes)
    with capsys.disabled():
        print(
            f"\n[fusion] {maker.__name__}({n}): {n_before} -> {n_after} nodes in {elapsed:.2f}s "
            f"({prof[1]} passes, {prof[2]} fused nodes)"
        )
    if maker is chain_graph:
        assert n_after == 1
    else:
        # Per term: two sums and a dimshuffle; everything elementwise is one node.
        assert n_after <= 3 * n + 5
    io_toposort(fg.inputs, fg.outputs)
