"""In-place rewrites: FAST_RUN overwrites intermediates where safe, never the caller's arrays."""

from __future__ import annotations

import io
import random

import numpy as np
import pytest
from graft_rewrites_tensor.inplace import (
    InplaceElemwiseRewriter,
    InplaceIncSubtensorRewriter,
    InplaceProfile,
)
from rt_helpers import STRICT_WARNINGS

import graft
import graft.tensor as gt
from graft.compile import In, Mode
from graft.compile.optdb import optdb
from graft.graph.destroyhandler import DestroyHandler
from graft.graph.fg import FunctionGraph
from graft.graph.rewriting.db import RewriteDatabaseQuery
from graft.graph.utils import InconsistencyError
from graft.tensor.elemwise import Elemwise
from graft.tensor.subtensor import IncSubtensor
from graft.tensor.subtensor_advanced import AdvancedIncSubtensor, AdvancedIncSubtensor1

pytestmark = STRICT_WARNINGS

FAST_RUN = Mode("py", "fast_run")
NO_INPLACE = Mode("py", "fast_run").excluding("inplace")
NO_FUSION = Mode("py", "fast_run").excluding("fusion")  # more, smaller Elemwise nodes
DTYPES = ("float64", "float32", "int64")


def destroyers(f) -> list:
    return [n for n in f.maker.fgraph.toposort() if n.op.destroy_map]


def inplace_elemwise(f) -> list:
    return [n for n in destroyers(f) if isinstance(n.op, Elemwise)]


def data(dtype: str, shape: tuple[int, ...], seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    if np.dtype(dtype).kind == "f":
        return rng.normal(0.0, 1.5, shape).astype(dtype)
    return rng.integers(-5, 6, shape).astype(dtype)


def check_same(inputs, outputs, values, modes=(FAST_RUN, NO_FUSION)) -> list:
    """Compile with each mode and without in-place rewrites; equal results, inputs untouched."""
    ref = graft.function(inputs, outputs, mode=NO_INPLACE, on_unused_input="ignore")
    assert not destroyers(ref)
    expect = ref(*[v.copy() for v in values])
    fns = []
    for mode in modes:
        fn = graft.function(inputs, outputs, mode=mode, on_unused_input="ignore")
        for _ in range(2):  # a second call sees no leftovers of the first
            args = [v.copy() for v in values]
            got = fn(*args)
            for a, v in zip(args, values):
                np.testing.assert_array_equal(a, v)  # the caller's arrays are unchanged
            for e, g in zip(
                expect if isinstance(outputs, list) else [expect],
                got if isinstance(outputs, list) else [got],
            ):
                assert np.asarray(g).dtype == np.asarray(e).dtype
                np.testing.assert_allclose(g, e, rtol=1e-5 if "32" in str(g.dtype) else 1e-12)
        fns.append(fn)
    return fns


# -- what FAST_RUN makes in place -------------------------------------------------


def test_fast_run_overwrites_intermediates():
    A, v = gt.dmatrix("A"), gt.dvector("v")
    out = gt.exp(gt.dot(A, v)) * 2.0 + 1.0
    fast, no_fusion = check_same(
        [A, v], out, [data("float64", (3, 3), 0), data("float64", (3,), 1)]
    )
    assert inplace_elemwise(fast) and inplace_elemwise(no_fusion)
    # the overwritten values are intermediates, never the inputs
    for f in (fast, no_fusion):
        fg = f.maker.fgraph
        for node in destroyers(f):
            for idxs in node.op.destroy_map.values():
                assert all(node.inputs[i].owner is not None for i in idxs)
        assert all(fg.destroyers(i) == [] for i in fg.inputs)


def test_chain_without_fusion_is_in_place_throughout():
    x = gt.dvector("x")
    y = gt.cumsum(x)  # not an Elemwise: an intermediate the chain may overwrite
    out = gt.sqrt(gt.abs(gt.sin(gt.exp(y) + 1.0) * 3.0))
    (f,) = check_same([x], out, [data("float64", (5,), 2)], modes=(NO_FUSION,))
    nodes = [n for n in f.maker.fgraph.toposort() if isinstance(n.op, Elemwise)]
    big = [n for n in nodes if n.outputs[0].type.ndim == 1]
    assert big and all(n.op.destroy_map for n in big)


@pytest.mark.parametrize("dtype", DTYPES)
def test_inputs_are_never_overwritten(dtype):
    x, y = gt.vector("x", dtype=dtype), gt.vector("y", dtype=dtype)
    exprs = [
        x + y,
        -x,
        gt.maximum(x, y) * x,
        (x + y) * (x - y),
        x[::-1] + 1,  # a view of an input
        gt.set_subtensor(x[1:], y[:-1]),
        gt.inc_subtensor(x[[0, 0, 2]], 1),
    ]
    vals = [data(dtype, (4,), 3), data(dtype, (4,), 4)]
    check_same([x, y], exprs, vals)


def test_value_used_twice_is_not_destroyed_early():
    A, v = gt.dmatrix("A"), gt.dvector("v")
    y = gt.dot(A, v)
    z = gt.exp(y)  # exp must not overwrite y: y is read again below
    outs = [z + y, gt.sin(y) * z, y * 2.0]
    vals = [data("float64", (3, 3), 5), data("float64", (3,), 6)]
    for f in check_same([A, v], outs, vals):
        fg = f.maker.fgraph
        (dot,) = [n for n in fg.apply_nodes if n.op == y.owner.op]
        y_ = dot.outputs[0]
        # at most its last reader (``y * 2``, which nothing else needs) overwrites y
        order = fg.toposort()
        for d in fg.destroyers(y_):
            assert str(d.op.scalar_op) == "mul"
            readers = [c for c, _ in fg.clients[y_] if c is not d]
            assert all(order.index(r) < order.index(d) for r in readers)
        exps = [n for n in fg.apply_nodes if str(getattr(n.op, "scalar_op", "")) == "exp"]
        assert all(not n.op.destroy_map for n in exps if n.inputs[0] is y_)


def test_value_used_twice_may_be_destroyed_by_its_last_reader():
    A, v = gt.dmatrix("A"), gt.dvector("v")
    y = gt.dot(A, v)
    s = gt.sum(y)  # read first (a reduction: no Elemwise to fuse with)
    out = gt.exp(y) + s
    f, g = check_same([A, v], out, [data("float64", (3, 3), 7), data("float64", (3,), 8)])
    for fn in (f, g):
        fg = fn.maker.fgraph
        (dot,) = [n for n in fg.apply_nodes if n.op == y.owner.op]
        (d,) = fg.destroyers(dot.outputs[0])
        order = fg.toposort()
        (red,) = [n for n in fg.apply_nodes if n.op == s.owner.op]
        assert order.index(red) < order.index(d)


def test_no_inplace_query_has_no_inplace_ops():
    x = gt.dvector("x")
    y = gt.cumsum(x)
    out = gt.inc_subtensor(gt.exp(y)[1:], 1.0) * 2
    q = RewriteDatabaseQuery(include=["fast_run"], exclude=["inplace"])
    f = graft.function([x], out, mode=Mode("py", q))
    assert not destroyers(f)
    assert not hasattr(f.maker.fgraph, "destroy_handler")
    names = [getattr(r, "name", None) for r in optdb.query(q).data]
    assert "inplace_elemwise" not in names and "add_destroy_handler" not in names
    full = optdb.query(RewriteDatabaseQuery(include=["fast_run"]))
    names = [getattr(r, "name", None) for r in full.data]
    assert names.index("add_destroy_handler") < names.index("inplace_incsubtensor")
    assert names.index("inplace_incsubtensor") < names.index("inplace_elemwise")
    assert "inplace_elemwise" in names
    f2 = graft.function([x], out, mode=FAST_RUN)
    assert destroyers(f2)


# -- inc/set subtensor ------------------------------------------------------------


@pytest.mark.parametrize(
    "build, op",
    [
        (lambda y, i: gt.inc_subtensor(y[1:3], 1.0), IncSubtensor),
        (lambda y, i: gt.set_subtensor(y[i], 0.0), IncSubtensor),
        (lambda y, i: gt.inc_subtensor(y[[0, 0, 2]], 1.0), AdvancedIncSubtensor1),
        (lambda y, i: gt.set_subtensor(y[y > 0], 0.0), AdvancedIncSubtensor),
    ],
)
def test_inc_subtensor_in_place(build, op):
    x = gt.dvector("x")
    i = gt.lscalar("i")
    y = gt.cumsum(x)
    out = build(y, i) * 2.0
    (f,) = check_same(
        [x, i], out, [data("float64", (5,), 9), np.asarray(3, dtype="int64")], modes=(FAST_RUN,)
    )
    incs = [n for n in f.maker.fgraph.apply_nodes if isinstance(n.op, op)]
    assert incs and all(n.op.inplace for n in incs)


def test_inc_subtensor_of_an_input_copies():
    x = gt.dvector("x")
    out = gt.inc_subtensor(x[1:3], 1.0)
    (f,) = check_same([x], out, [data("float64", (5,), 10)], modes=(FAST_RUN,))
    (node,) = [n for n in f.maker.fgraph.apply_nodes if isinstance(n.op, IncSubtensor)]
    assert not node.op.inplace
    fm = graft.function([In(x, mutable=True)], out, mode=FAST_RUN)
    xv = np.zeros(5)
    fm(xv)
    np.testing.assert_array_equal(xv, [0, 1, 1, 0, 0])  # the caller allowed it


def test_gradient_graphs_agree():
    x = gt.dvector("x")
    W = gt.dmatrix("W")
    h = gt.tanh(gt.dot(W, x))
    cost = gt.sum(gt.sqr(h[1:] - 0.5)) + gt.sum(gt.exp(h) * h)
    gW, gx = graft.grad(cost, [W, x])
    vals = [data("float64", (4,), 11), data("float64", (4, 4), 12)]
    fast, _ = check_same([x, W], [cost, gW, gx], vals)
    assert destroyers(fast)


def test_shared_updates():
    s = graft.shared(np.arange(4.0), name="s")
    keep = graft.shared(np.ones(4), name="keep")
    x = gt.dvector("x")
    f = graft.function([x], gt.sum(s * keep), updates={s: gt.exp(s) * 2 + x}, mode=FAST_RUN)
    r = f(np.ones(4))
    assert r == pytest.approx(6.0)
    np.testing.assert_allclose(s.get_value(), np.exp(np.arange(4.0)) * 2 + 1)
    np.testing.assert_array_equal(keep.get_value(), np.ones(4))
    r = f(np.zeros(4))
    assert r == pytest.approx(float(np.sum(np.exp(np.arange(4.0)) * 2 + 1)))


# -- the rewriters themselves ---------------------------------------------------


def test_rewriter_profile_and_requirements():
    x = gt.dvector("x")
    y = gt.cumsum(x)
    z = gt.exp(y) + gt.inc_subtensor(y[1:], 1.0)  # both want y: only one may have it
    fg = FunctionGraph([x], [z])
    rw = InplaceIncSubtensorRewriter()
    prof = rw.rewrite(fg)
    assert isinstance(fg.destroy_handler, DestroyHandler)
    assert isinstance(prof, InplaceProfile) and prof.nodes == 1
    prof2 = InplaceElemwiseRewriter().rewrite(fg)
    # exp reads y too: the in-place inc must wait for it, so exp cannot take y
    assert prof.inplace + prof2.inplace >= 2
    buf = io.StringIO()
    InplaceElemwiseRewriter.print_profile(buf, prof2)
    text = buf.getvalue()
    assert "inplace_elemwise" in text and "made in place=" in text
    fg.validate()
    assert sum(1 for n in fg.apply_nodes if n.op.destroy_map) == prof.inplace + prof2.inplace


class VetoLog:
    """A feature that rejects graphs where ``log`` overwrites its input."""

    def validate(self, fgraph):
        for node in fgraph.apply_nodes:
            if node.op.destroy_map and str(getattr(node.op, "scalar_op", "")) == "log":
                raise InconsistencyError("no in-place log here")


@pytest.mark.parametrize("batch_size", [None, 1, 2])
def test_a_batch_another_feature_rejects_is_redone_node_by_node(batch_size):
    x = gt.dvector("x")
    y = gt.cumsum(x)
    out = gt.sin(gt.log(gt.exp(y) + 1.0) * 2.0)
    fg = FunctionGraph([x], [out])
    fg.attach_feature(VetoLog())
    rw = InplaceElemwiseRewriter(batch_size=batch_size)
    prof = rw.rewrite(fg)
    fg.validate()
    ops = {
        str(n.op.scalar_op): bool(n.op.destroy_map)
        for n in fg.apply_nodes
        if isinstance(n.op, Elemwise)
    }
    assert ops["log"] is False
    assert all(v for k, v in ops.items() if k in ("exp", "add", "mul", "sin"))
    assert prof.redone == 1 and prof.inplace == 4 and prof.rejected == 1
    buf = io.StringIO()
    InplaceElemwiseRewriter.print_profile(buf, prof)
    assert "redone=1" in buf.getvalue()


def test_profile_printout_lists_the_inplace_stage():
    from graft.compile.profiling import ProfileStats

    x = gt.dvector("x")
    prof = ProfileStats(message="t", print_rewriter_profile=True)
    graft.function([x], gt.exp(gt.cumsum(x)) + 1, mode=FAST_RUN, profile=prof)
    buf = io.StringIO()
    prof.summary(file=buf)
    assert "inplace_elemwise" in buf.getvalue()


# -- random graphs with shared intermediates ------------------------------------


FLOAT_UNARY = [gt.exp, gt.sin, gt.tanh, lambda a: -a, gt.sqr, lambda a: a * 0.5]
INT_UNARY = [lambda a: -a, gt.sqr, lambda a: a + 1, gt.abs]
BINARY = [
    lambda a, b: a + b,
    lambda a, b: a - b,
    lambda a, b: a * b,
    gt.maximum,
]
NON_ELEMWISE = [gt.cumsum, lambda a: a[::-1], lambda a: gt.inc_subtensor(a[1:3], a[:2])]


def random_graph(rng: random.Random, dtype: str) -> tuple[list, list]:
    ins = [gt.vector(f"x{i}", dtype=dtype) for i in range(3)]
    pool = list(ins)
    unary = FLOAT_UNARY if dtype != "int64" else INT_UNARY
    for _ in range(14):
        k = rng.random()
        # Recent values are picked more often: intermediates get several readers.
        pick = lambda: pool[-1 - min(int(rng.expovariate(0.5)), len(pool) - 1)]  # noqa: E731
        if k < 0.35:
            v = rng.choice(unary)(pick())
        elif k < 0.8:
            v = rng.choice(BINARY)(pick(), pick())
        else:
            v = rng.choice(NON_ELEMWISE)(pick())
        if dtype == "int64":
            v = gt.maximum(gt.minimum(v, 1000), -1000)  # no wrapping
        pool.append(v)
    outs = rng.sample(pool[3:], 3)
    return ins, outs


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("seed", range(8))
def test_random_graphs_agree_with_no_inplace(dtype, seed):
    rng = random.Random(seed * 31 + len(dtype))
    ins, outs = random_graph(rng, dtype)
    vals = [data(dtype, (5,), seed * 10 + i) for i in range(3)]
    check_same(ins, outs, vals)
