"""OpFromGraph: a subgraph as an Op (values, shapes, gradients, equality, inlining,
printing, subclass-targeted rewrites, bad input)."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

import graft
import graft.tensor as gt
from graft.compile import Mode
from graft.compile.builders import OpFromGraph, inline_ofg, inline_op_from_graph
from graft.graph.basic import io_toposort
from graft.graph.fg import FunctionGraph
from graft.graph.rewriting.basic import in2out, node_rewriter
from graft.graph.utils import MissingInputError
from graft.testing import verify_grad

MODES = ["FAST_RUN", "FAST_COMPILE", Mode("py", None)]


def _ops(f):
    return [n.op for n in f.maker.fgraph.toposort()]


def _axpy(dtype="float64", **kw):
    x = gt.tensor(dtype=dtype, shape=(None,), name="x")
    y = gt.tensor(dtype=dtype, shape=(None,), name="y")
    return OpFromGraph([x, y], [x + x * y, gt.exp(x) - y], **kw)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("dtype", ["float64", "float32", "int64"])
@pytest.mark.parametrize("n", [0, 1, 5])
def test_values_match_numpy(mode, dtype, n):
    op = _axpy(dtype)
    a = gt.tensor(dtype=dtype, shape=(None,), name="a")
    b = gt.tensor(dtype=dtype, shape=(None,), name="b")
    o1, o2 = op(a, b)
    assert o1.type.dtype == (a + a * b).type.dtype
    assert o2.type.dtype == (gt.exp(a) - b).type.dtype
    f = graft.function([a, b], [o1, o2], mode=mode)
    rng = np.random.default_rng(n)
    av = (rng.normal(size=n) * 3).astype(dtype)
    bv = (rng.normal(size=n) * 3).astype(dtype)
    r1, r2 = f(av, bv)
    np.testing.assert_allclose(r1, av + av * bv, rtol=1e-6)
    np.testing.assert_allclose(r2, np.exp(av) - bv, rtol=1e-5)
    assert r1.dtype == np.dtype(o1.type.dtype)


def test_non_contiguous_and_edge_values():
    op = _axpy()
    a, b = gt.dvectors("a", "b")
    f = graft.function([a, b], op(a, b))
    base = np.array([0.0, -1.0, np.inf, np.nan, 1e300, -0.0])
    av, bv = base[::2], base[1::2][::-1]
    with np.errstate(all="ignore"):
        r1, r2 = f(av, bv)
        np.testing.assert_array_equal(r1, av + av * bv)
        np.testing.assert_array_equal(r2, np.exp(av) - bv)


def test_zero_d_and_matrix_inputs():
    s = gt.dscalar("s")
    m = gt.dmatrix("m")
    op = OpFromGraph([s, m], [m * s + 1])
    u, v = gt.dscalar("u"), gt.dmatrix("v")
    f = graft.function([u, v], op(u, v))
    mv = np.arange(6.0).reshape(2, 3).T  # non-contiguous
    np.testing.assert_allclose(f(2.0, mv), mv * 2 + 1)
    np.testing.assert_allclose(f(-3.0, np.zeros((0, 4))), np.zeros((0, 4)))


def test_user_graph_untouched_and_inner_cloned():
    x, y = gt.dvectors("x", "y")
    out = x * y
    op = OpFromGraph([x, y], [out])
    assert out.owner.inputs == [x, y]
    assert op.inner_inputs[0] is not x and op.inner_outputs[0] is not out
    assert op.inner_inputs[0].name == "x"


def test_output_that_is_an_input_and_constant_capture():
    x = gt.dvector("x")
    c = gt.constant(np.array([1.0, 2.0]))
    op = OpFromGraph([x], [x, x + c])
    a = gt.dvector("a")
    o1, o2 = op(a)
    f = graft.function([a], [o1, o2], mode="FAST_COMPILE")
    av = np.array([3.0, 4.0])
    r1, r2 = f(av)
    np.testing.assert_array_equal(r2, av + [1.0, 2.0])
    np.testing.assert_array_equal(r1, av)
    r1[0] = 100.0  # the output is a fresh buffer: the caller's array is untouched
    assert av[0] == 3.0


def test_shared_variables_become_implicit_inputs():
    w = graft.shared(np.array([1.0, 2.0]), name="w")
    x = gt.dvector("x")
    op = OpFromGraph([x], [x * w])
    assert op.shared_inputs == [w]
    a = gt.dvector("a")
    out = op(a)
    assert out.owner.inputs[-1] is w
    f = graft.function([a], out)
    np.testing.assert_array_equal(f([3.0, 4.0]), [3.0, 8.0])
    w.set_value(np.array([-1.0, 0.5]))
    np.testing.assert_array_equal(f([3.0, 4.0]), [-3.0, 2.0])
    gw = graft.function([a], graft.grad(out.sum(), w))
    np.testing.assert_array_equal(gw([3.0, 4.0]), [3.0, 4.0])
    with pytest.raises(ValueError, match="strict"):
        OpFromGraph([x], [x * w], strict=True)


def test_equal_inner_graphs_compare_equal_and_merge():
    op1, op2 = _axpy(), _axpy()
    assert op1 == op2 and hash(op1) == hash(op2)
    assert op1 != _axpy(name="other")
    assert op1 != _axpy(inline=True)
    x, y = gt.dvectors("x", "y")
    assert op1 != OpFromGraph([x, y], [x - x * y, gt.exp(x) - y])
    assert op1 != OpFromGraph([x, y], [x + x * y, gt.exp(y) - x])  # wiring differs
    c1 = OpFromGraph([x], [x + gt.constant(np.array([1.0]))])
    c2 = OpFromGraph([x], [x + gt.constant(np.array([2.0]))])
    assert c1 != c2
    a, b = gt.dvectors("a", "b")
    f = graft.function([a, b], op1(a, b)[0] + op2(a, b)[0], mode="FAST_RUN")
    assert sum(isinstance(op, OpFromGraph) for op in _ops(f)) == 1
    np.testing.assert_allclose(f([1.0], [2.0]), [6.0])


@pytest.mark.parametrize("inline", [False, True])
def test_gradient_against_finite_differences(inline):
    x, y = gt.dvectors("x", "y")
    op = OpFromGraph([x, y], [gt.exp(x) * y + x**2], inline=inline)
    rng = np.random.default_rng(0)
    verify_grad(lambda a, b: op(a, b), [rng.normal(size=4), rng.normal(size=4)], rng=rng)


def test_gradient_multiple_outputs_one_unused_and_backward_is_an_ofg():
    op = _axpy()
    a, b = gt.dvectors("a", "b")
    o1, o2 = op(a, b)
    ga, gb = graft.grad(o1.sum(), [a, b])
    assert isinstance(ga.owner.op, OpFromGraph) or any(
        isinstance(n.op, OpFromGraph) for n in io_toposort([a, b], [ga])
    )
    f = graft.function([a, b], [ga, gb], mode="FAST_COMPILE")
    av, bv = np.array([1.0, 2.0]), np.array([3.0, -1.0])
    r_a, r_b = f(av, bv)
    np.testing.assert_allclose(r_a, 1 + bv)
    np.testing.assert_allclose(r_b, av)
    rng = np.random.default_rng(1)
    verify_grad(
        lambda u, v: op(u, v)[0] * op(u, v)[1], [rng.normal(size=3), rng.normal(size=3)], rng=rng
    )


def test_gradient_disconnected_input_and_nested_ofg():
    x, y = gt.dvectors("x", "y")
    inner = OpFromGraph([x], [gt.sin(x)])
    op = OpFromGraph([x, y], [inner(x) * 2])  # y does not reach the output
    assert op.connection_pattern(None) == [[True], [False]]
    a, b = gt.dvectors("a", "b")
    out = op(a, b).sum()
    with pytest.raises(Exception, match="b"):
        graft.grad(out, b)
    ga = graft.function([a, b], graft.grad(out, a))
    np.testing.assert_allclose(ga([0.0, 1.0], [5.0, 6.0]), 2 * np.cos([0.0, 1.0]))
    bwd = op.backward_op()  # reads x and the output gradient only
    assert [op.fgraph.inputs[k] if k < 2 else "g" for k in op.backward_args()] == [
        op.fgraph.inputs[0],
        "g",
    ]
    assert len(bwd.inner_outputs) == 1
    rng = np.random.default_rng(2)
    verify_grad(lambda u: OpFromGraph([x], [inner(x) ** 2])(u), [rng.normal(size=3)], rng=rng)


def test_gradient_overrides():
    x = gt.dvector("x")
    straight = OpFromGraph(
        [x], [gt.round(x)], grad_overrides=lambda inputs, grads: [grads[0]]
    )  # a straight-through estimator
    a = gt.dvector("a")
    g = graft.function([a], graft.grad((straight(a) * 3).sum(), a))
    np.testing.assert_array_equal(g([0.2, 1.7]), [3.0, 3.0])
    seen = {}

    def lop(inputs, outputs, grads):
        seen["outputs"] = outputs
        return [grads[0] * 10]

    tenfold = OpFromGraph([x], [x * 1.0], lop_overrides=lop)
    g2 = graft.function([a], graft.grad(tenfold(a).sum(), a))
    np.testing.assert_array_equal(g2([1.0, 2.0]), [10.0, 10.0])
    assert seen["outputs"][0].owner.op is tenfold
    bad = OpFromGraph([x], [x * 1.0], grad_overrides=lambda i, g: [g[0], g[0]])
    with pytest.raises(ValueError, match="returned 2 gradients for 1 inputs"):
        graft.grad(bad(a).sum(), a)


def test_r_op():
    x = gt.dvector("x")
    op = OpFromGraph([x], [x**3])
    a, v = gt.dvectors("a", "v")
    f = graft.function([a, v], graft.Rop(op(a), a, v))
    np.testing.assert_allclose(f([1.0, 2.0], [1.0, -1.0]), [3.0, -12.0])


def test_inline_rewrite_expands_in_fast_run_only_when_asked():
    a, b = gt.dvectors("a", "b")
    kept = graft.function([a, b], _axpy()(a, b)[0], mode="FAST_RUN")
    assert any(isinstance(op, OpFromGraph) for op in _ops(kept))
    for mode in ("FAST_RUN", "FAST_COMPILE"):
        inl = graft.function([a, b], _axpy(inline=True)(a, b)[0], mode=mode)
        assert not any(isinstance(op, OpFromGraph) for op in _ops(inl))
        np.testing.assert_allclose(inl([1.0, 2.0], [3.0, 4.0]), [4.0, 10.0])
    # The tag lets a backend (or a user) expand every block.
    every = graft.function(
        [a, b], _axpy()(a, b)[0], mode=graft.get_mode("FAST_RUN").including("inline_all_ofg")
    )
    assert not any(isinstance(op, OpFromGraph) for op in _ops(every))
    np.testing.assert_allclose(every([1.0, 2.0], [3.0, 4.0]), [4.0, 10.0])


def test_inline_op_from_graph_on_a_function_graph():
    op = _axpy(inline=True)
    a, b = gt.dvectors("a", "b")
    fg = FunctionGraph([a, b], op(a, b), clone=False)
    in2out(inline_ofg).rewrite(fg)
    assert not any(isinstance(n.op, OpFromGraph) for n in fg.apply_nodes)
    with pytest.raises(TypeError, match="OpFromGraph node"):
        inline_op_from_graph((a + b).owner)


class Dense(OpFromGraph):
    """A layer type: ``relu(x @ W + b)``."""


def _dense():
    x, W, b = gt.dmatrix("x"), gt.dmatrix("W"), gt.dvector("b")
    return Dense([x, W, b], [gt.maximum(x @ W + b, 0.0)], name="dense")


def test_subclass_rewrite_targets_dense_nodes():
    calls = []

    @node_rewriter([Dense])
    def dense_as_tanh(fgraph, node):  # a rewrite that matches the layer type by class
        calls.append(node.op.name)
        x, W, b = node.inputs
        return [gt.tanh(x @ W + b)]

    x, W, b = gt.dmatrix("x"), gt.dmatrix("W"), gt.dvector("b")
    out = _dense()(x, W, b) + 1
    fg = FunctionGraph([x, W, b], [out], clone=False)
    in2out(dense_as_tanh).rewrite(fg)
    assert calls == ["dense"]
    assert not any(isinstance(n.op, Dense) for n in fg.apply_nodes)
    f = graft.function([x, W, b], fg.outputs[0])
    xv, Wv, bv = np.ones((2, 3)), np.full((3, 2), -0.5), np.array([0.1, 0.2])
    np.testing.assert_allclose(f(xv, Wv, bv), np.tanh(xv @ Wv + bv) + 1)
    # A plain OpFromGraph is not a Dense: the rewrite leaves it.
    plain = OpFromGraph([x], [x * 2])(x)
    fg2 = FunctionGraph([x], [plain])
    in2out(dense_as_tanh).rewrite(fg2)
    assert calls == ["dense"]


def test_dense_runs_and_differentiates():
    layer = _dense()
    assert str(layer) == "dense{inline=False}" and layer == _dense()
    x, W, b = gt.dmatrix("x"), gt.dmatrix("W"), gt.dvector("b")
    f = graft.function([x, W, b], layer(x, W, b))
    rng = np.random.default_rng(3)
    xv, Wv, bv = rng.normal(size=(4, 3)), rng.normal(size=(3, 2)), rng.normal(size=2)
    np.testing.assert_allclose(f(xv, Wv, bv), np.maximum(xv @ Wv + bv, 0))
    verify_grad(lambda w, c: layer(gt.constant(xv), w, c), [Wv, bv], rng=rng)


def test_dprint_shows_inner_graphs():
    op = _axpy(name="axpy")
    a, b = gt.dvectors("a", "b")
    text = graft.dprint(op(a, b)[0] * 2, file="str")
    head, _, inner = text.partition("Inner graphs:")
    assert "axpy{inline=False}.0" in head and "Elemwise{exp" not in head
    lines = inner.strip().splitlines()
    assert lines[0].startswith("axpy{inline=False} [id ")
    assert any(line.startswith(" >Elemwise{add") for line in lines)
    assert any("*0-<x>" in line for line in lines) and any("*1-<y>" in line for line in lines)
    assert "Inner graphs" not in graft.dprint(op(a, b)[0], file="str", print_inner_graphs=False)


def test_pickle_roundtrip():
    op = _axpy()
    a, b = gt.dvectors("a", "b")
    f = graft.function([a, b], op(a, b)[1], mode="PY")
    f([1.0], [1.0])  # compiles the inner graph, which is not pickled
    g = pickle.loads(pickle.dumps(f))
    np.testing.assert_allclose(g([0.0], [1.0]), [0.0])
    op2 = pickle.loads(pickle.dumps(op))
    assert op2 == op


def test_bad_input_messages():
    x, y = gt.dvectors("x", "y")
    with pytest.raises(TypeError, match="input 0 must be a graft Variable"):
        OpFromGraph([np.zeros(2)], [x])
    with pytest.raises(TypeError, match="is a Constant"):
        OpFromGraph([gt.constant(1.0)], [x])
    with pytest.raises(ValueError, match="more than once"):
        OpFromGraph([x, x], [x * 2])
    with pytest.raises(MissingInputError, match="y"):
        OpFromGraph([x], [x * y])
    with pytest.raises(ValueError, match="not both"):
        OpFromGraph([x], [x], lop_overrides=lambda *a: a, grad_overrides=lambda *a: a)
    op = OpFromGraph([x, y], [x * y], name="mul2")
    with pytest.raises(TypeError, match=r"mul2.*takes 2 inputs, got 1"):
        op(x)
    with pytest.raises(TypeError, match=r"mul2.*input 1 \(y\).*float64.*got.*int64"):
        op(x, gt.lvector("k"))
    with pytest.raises(TypeError, match=r"input 0 \(x\)"):
        op(gt.dmatrix("m"), y)
    # A value converts like an ordinary Op input.
    f = graft.function([y], op(np.array([2.0, 3.0]), y))
    np.testing.assert_array_equal(f([1.0, 2.0]), [2.0, 6.0])


def test_cache_key_tells_blocks_apart():
    from graft.link.cache_key import graph_key

    x = gt.dvector("x")
    a = gt.dvector("a")
    k1 = graph_key(FunctionGraph([a], [OpFromGraph([x], [x * 2])(a)]))
    k2 = graph_key(FunctionGraph([a], [OpFromGraph([x], [x * 3])(a)]))
    k3 = graph_key(FunctionGraph([a], [OpFromGraph([x], [x * 2])(a)]))
    assert k1 is not None and k1 != k2 and k1 == k3
