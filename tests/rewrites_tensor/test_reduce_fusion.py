"""Reduction fusion: FAST_RUN folds an elementwise input into its reduction (ElemwiseReduce)."""

from __future__ import annotations

import numpy as np
import pytest
from graft_rewrites_tensor.fusion import FusionOptimizer
from graft_rewrites_tensor.reduce_fusion import local_reduce_fusion
from rt_helpers import NO_REWRITES, STRICT_WARNINGS, assert_agree, graph_nodes, sample

import graft
import graft.scalar as ps
import graft.tensor as gt
from graft.compile import get_mode
from graft.compile.optdb import optdb
from graft.graph.fg import FunctionGraph
from graft.graph.rewriting.db import RewriteDatabaseQuery
from graft.scalar import Composite
from graft.tensor.elemwise import CAReduce, Elemwise
from graft.tensor.fused_reduce import ElemwiseReduce

pytestmark = STRICT_WARNINGS

FAST_RUN = get_mode("FAST_RUN")
NO_REDUCE_FUSION = FAST_RUN.excluding("reduce_fusion")


def kinds(f):
    """Op classes of the compiled graph, in order (DimShuffles dropped)."""
    return [type(n.op).__name__ for n in graph_nodes(f) if type(n.op).__name__ != "DimShuffle"]


def compile3(inputs, out):
    """FAST_RUN, FAST_RUN without reduction fusion, and no rewrites at all."""
    kw = {"on_unused_input": "ignore"}
    return (
        graft.function(inputs, out, mode=FAST_RUN, **kw),
        graft.function(inputs, out, mode=NO_REDUCE_FUSION, **kw),
        graft.function(inputs, out, mode=NO_REWRITES, **kw),
    )


def check_fused(inputs, out, values, *, n_fused=1):
    """The graph fuses into ``n_fused`` ElemwiseReduce nodes and agrees with the other modes.

    Against FAST_RUN without reduction fusion the values are equal bit for
    bit (the same map, the same NumPy reduction); against the unrewritten
    graph they agree to the dtype's tolerance.
    """
    fast, unfused, plain = compile3(inputs, out)
    fused = [n for n in graph_nodes(fast) if isinstance(n.op, ElemwiseReduce)]
    assert len(fused) == n_fused, graph_nodes(fast)
    assert not any(isinstance(n.op, ElemwiseReduce) for n in graph_nodes(unfused))
    with np.errstate(all="ignore"):
        got, same, ref = fast(*values), unfused(*values), plain(*values)
    got, same, ref = (np.asarray(v) for v in (got, same, ref))
    assert got.dtype == same.dtype == ref.dtype
    np.testing.assert_array_equal(got, same)
    flat = np.abs(np.concatenate([np.ravel(v) for v in values]).astype("float64"))
    assert_agree(ref, got, scale=float(np.max(flat[np.isfinite(flat)], initial=1.0)) ** 2)
    return fast


# ---------------------------------------------------------------------------
# What fuses
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_sum_of_exp_times_y_is_one_node(dtype):
    x, y = gt.vector("x", dtype=dtype), gt.vector("y", dtype=dtype)
    vals = [sample(dtype, seed=0) / 4, sample(dtype, seed=1)]
    fast = check_fused([x, y], gt.sum(gt.exp(x) * y), vals)
    (node,) = graph_nodes(fast)
    assert isinstance(node.op.map_op, Composite) and str(node.op.reduce_op) == "add"
    assert str(node.op) == "Sum{Composite{mul(exp(i0), i1)}}"
    assert node.outputs[0].type == fast.maker.fgraph.outputs[0].type


@pytest.mark.parametrize(
    "build",
    [
        lambda x, y: gt.max(gt.exp(x) * y),
        lambda x, y: gt.min(gt.tanh(x) - y),
        lambda x, y: gt.prod(x * 0.5 + y),
        lambda x, y: gt.any(gt.gt(x, y)),
        lambda x, y: gt.all(gt.le(x * 2.0, y + 1.0)),
        lambda x, y: gt.sum(gt.sqr(x - y)),
        lambda x, y: gt.mean(gt.abs(x) * y),  # mean: a fused sum, then a division
    ],
    ids=["max", "min", "prod", "any", "all", "sum_sqr", "mean"],
)
def test_reductions_of_elementwise_trees(build):
    x, y = gt.dvector("x"), gt.dvector("y")
    check_fused([x, y], build(x, y), [sample("float64", seed=2), sample("float64", seed=3)])


@pytest.mark.parametrize("dtype", ["int64", "int8", "int32", "uint8"])
def test_integer_dtypes(dtype):
    x, y = gt.vector("x", dtype=dtype), gt.vector("y", dtype=dtype)
    rng = np.random.default_rng(5)
    info = np.iinfo(dtype)
    vals = [
        rng.integers(max(info.min, -100), min(info.max, 100), 40).astype(dtype) for _ in range(2)
    ]
    vals[0][:3] = [info.max, info.min, 0]  # products wrap, in the map's dtype
    for out in [gt.sum(x * y + x), gt.max(x - y), gt.prod(x + y), gt.any(gt.eq(x, y))]:
        check_fused([x, y], out, vals)
    # A small-integer sum accumulates in int64 (or uint64): the fused node keeps that.
    f = check_fused([x, y], gt.sum(x * y), vals)
    assert f.maker.fgraph.outputs[0].dtype == ("uint64" if dtype[0] == "u" else "int64")


def test_bool_inputs():
    a, b = gt.vector("a", dtype="bool"), gt.vector("b", dtype="bool")
    vals = [np.array([True, False, True, True]), np.array([False, False, True, True])]
    for out in [gt.sum(gt.xor(a, b)), gt.all(gt.or_(a, b)), gt.any(gt.and_(a, gt.invert(b)))]:
        check_fused([a, b], out, vals)


@pytest.mark.parametrize("axis", [0, 1, -1, (0, 1), None])
@pytest.mark.parametrize("keepdims", [False, True])
@pytest.mark.parametrize("reduce", [gt.sum, gt.mean, gt.max])
def test_axes_keepdims_and_broadcast_inputs(axis, keepdims, reduce):
    # mean counts elements with Shape_i of the mapped value: read from the inputs instead.
    m, r = gt.dmatrix("m"), gt.drow("r")
    out = reduce(gt.exp(m) * r + m, axis=axis, keepdims=keepdims)
    rng = np.random.default_rng(6)
    check_fused([m, r], out, [rng.normal(size=(4, 5)), rng.normal(size=(1, 5))])


def test_nan_inf_and_empty_inputs():
    x, y = gt.dvector("x"), gt.dvector("y")
    vals = [np.array([1.0, np.nan, np.inf, -np.inf, 0.0]), np.array([1.0, 2.0, 0.0, 1.0, -0.0])]
    check_fused([x, y], gt.sum(gt.exp(x) * y), vals)
    check_fused([x, y], gt.max(x * y + 1.0), vals)
    empty = [np.zeros(0), np.zeros(0)]
    f = check_fused([x, y], gt.sum(gt.exp(x) * y), empty)
    assert f(*empty) == 0.0
    fast, unfused, _ = compile3([x, y], gt.max(gt.exp(x) * y))
    for fn in (fast, unfused):  # the max of nothing: an error in both
        with pytest.raises(ValueError):
            fn(*empty)


def test_several_reductions_of_several_trees():
    x, y = gt.dvector("x"), gt.dvector("y")
    outs = gt.sum(gt.exp(x) * y) + gt.max(gt.sin(x) - y)
    rng = np.random.default_rng(7)
    check_fused([x, y], outs, [rng.normal(size=9), rng.normal(size=9)], n_fused=2)


def test_gradient_graph_agrees():
    x, y = gt.dvector("x"), gt.dvector("y")
    # The forward sum's map is not needed by the gradient (cos(x) * y): it fuses.
    # (Where the gradient reuses the mapped value, elemwise fusion makes it an
    # output of a multi-output node and the reduction stays separate.)
    cost = gt.sum(gt.sin(x) * y) + gt.max(gt.tanh(y))
    gx = graft.grad(cost, x)
    fast = graft.function([x, y], [cost, gx])
    ref = graft.function([x, y], [cost, gx], mode=NO_REWRITES)
    assert len([n for n in graph_nodes(fast) if isinstance(n.op, ElemwiseReduce)]) == 2
    rng = np.random.default_rng(8)
    xv, yv = rng.normal(size=6), rng.normal(size=6)
    for got, want in zip(fast(xv, yv), ref(xv, yv)):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


def test_runtime_errors_name_the_fused_op_and_the_user_line():
    x, y = gt.dvector("x"), gt.dvector("y")
    f = graft.function([x, y], gt.sum(gt.exp(x) * y))
    with pytest.raises(ValueError, match=r"ElemwiseReduce(.|\n)*test_reduce_fusion\.py"):
        f(np.ones(3), np.ones(2))


# ---------------------------------------------------------------------------
# What must not fuse
# ---------------------------------------------------------------------------


def test_elemwise_with_another_client_is_not_fused_and_runs_once():
    x, y = gt.dvector("x"), gt.dvector("y")
    t = gt.exp(x) * y
    rng = np.random.default_rng(9)
    vals = [rng.normal(size=5), rng.normal(size=5)]
    for outs in ([gt.sum(t), t], [gt.sum(t), gt.max(t)], [gt.sum(t), gt.dot(t, y)]):
        fast, unfused, plain = compile3([x, y], outs)
        nodes = graph_nodes(fast)
        assert not any(isinstance(n.op, ElemwiseReduce) for n in nodes), nodes
        # t is computed by one fused Elemwise node, read by every client.
        assert len([n for n in nodes if isinstance(n.op, Elemwise)]) == 1, nodes
        for g, w in zip(fast(*vals), plain(*vals)):
            np.testing.assert_allclose(g, w, rtol=1e-12)


def test_multi_output_elemwise_is_not_fused():
    # t feeds the sum and u (a graph output): fusion makes one node with two outputs.
    x = gt.dvector("x")
    t = gt.exp(x) * 2.0
    u = t + 1.0
    f = graft.function([x], [gt.sum(t), u])
    assert sorted(kinds(f)) == ["CAReduce", "Elemwise"]
    (ew,) = [n for n in graph_nodes(f) if isinstance(n.op, Elemwise)]
    assert len(ew.outputs) == 2


def test_excluding_reduce_fusion_leaves_two_nodes():
    x, y = gt.dvector("x"), gt.dvector("y")
    out = gt.sum(gt.exp(x) * y)
    f = graft.function([x, y], out, mode=NO_REDUCE_FUSION)
    assert kinds(f) == ["Elemwise", "CAReduce"]
    assert kinds(graft.function([x, y], out, mode=FAST_RUN.excluding("fusion"))) == [
        "Elemwise",
        "Elemwise",
        "CAReduce",
    ]
    assert kinds(graft.function([x, y], out, mode="FAST_COMPILE")) == [
        "Elemwise",
        "Elemwise",
        "CAReduce",
    ]


def test_node_rewriter_refuses_what_it_cannot_fuse():
    x = gt.dvector("x")

    def transform(out):
        fg = FunctionGraph([x], [out], clone=False)
        return local_reduce_fusion.transform(fg, out.owner)

    # In-place Elemwise, a reduce op without a NumPy reduction, a graph input,
    # a multi-output scalar op.
    assert transform(gt.sum(Elemwise(ps.exp, {0: 0})(x))) is False
    assert transform(CAReduce(ps.logaddexp)(gt.exp(x))) is False
    assert transform(gt.sum(x)) is False
    a = ps.float64()
    two = Elemwise(Composite([a], [ps.exp(a), ps.neg(a)]))(x, return_list=True)
    assert transform(gt.sum(two[0])) is False
    assert local_reduce_fusion.transform(None, gt.sum(gt.exp(x)).owner) is False
    # And what it builds: the same type, named like the reduction.
    out = gt.sum(gt.exp(x))
    out.name = "s"
    (new,) = transform(out)
    assert isinstance(new.owner.op, ElemwiseReduce) and new.type == out.type and new.name == "s"


# ---------------------------------------------------------------------------
# Registration
# ---------------------------------------------------------------------------


def test_registered_after_elemwise_fusion_and_before_the_destroy_handler():
    assert optdb.__position__["local_reduce_fusion"] == 49.1
    q = RewriteDatabaseQuery(include=["fast_run"])
    names = [getattr(rw, "name", None) or type(rw).__name__ for rw in optdb.query(q).data]
    k = names.index("local_reduce_fusion")
    assert names[k - 2 : k + 1] == ["elemwise_fusion", "merge2", "local_reduce_fusion"]
    # other entries (core's lower_ifelse) may sit between it and the destroy handler
    assert k < names.index("add_destroy_handler")
    for tag in ("reduce_fusion", "fusion"):
        q = RewriteDatabaseQuery(include=["fast_run"], exclude=[tag])
        assert "local_reduce_fusion" not in [
            getattr(rw, "name", None) for rw in optdb.query(q).data
        ]
    fast_compile = optdb.query(RewriteDatabaseQuery(include=["fast_compile"]))
    assert "local_reduce_fusion" not in [getattr(rw, "name", None) for rw in fast_compile.data]
    # FusionOptimizer is still followed by merge2 (equal fused nodes merge).
    seq = optdb.query(RewriteDatabaseQuery(include=["fast_run"])).data
    k = next(i for i, rw in enumerate(seq) if isinstance(rw, FusionOptimizer))
    assert type(seq[k + 1]).__name__ == "MergeOptimizer"
