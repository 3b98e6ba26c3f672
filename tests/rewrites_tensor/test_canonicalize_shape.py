"""canonicalize_shape: sizes come from the inputs (Shape -> Shape_i, Shape_i lifted through infer_shape)."""

from __future__ import annotations

import numpy as np
import pytest
from graft_rewrites_tensor import canonicalize_shape as cshape
from rt_helpers import STRICT_WARNINGS, assert_agree, compile_pair, graph_nodes, sample

import graft
import graft.tensor as gt
from graft.compile.optdb import optdb
from graft.graph.basic import Apply
from graft.graph.op import Op
from graft.tensor.shape import Shape, Shape_i
from graft.tensor.type import TensorType

pytestmark = STRICT_WARNINGS

DTYPES = ["float64", "float32", "int64"]


def computed(f) -> set[str]:
    """The ops the rewritten graph of ``f`` runs."""
    return {str(n.op) for n in graph_nodes(f)}


def test_registered_in_canonicalize():
    x = gt.dvector("x")
    compile_pair([x], x.shape)
    names = set(optdb["canonicalize"].names())
    for name, _, tags in cshape.REWRITES:
        assert name in names and "fast_run" in tags


@pytest.mark.parametrize("dtype", DTYPES)
def test_shape_of_an_elemwise_is_read_from_the_input(dtype):
    x = TensorType(dtype, (None, None))("x")
    f, ref = compile_pair([x], gt.exp(x * 2).shape if dtype != "int64" else (x * 2 + 1).shape)
    # nothing elementwise is computed to learn the shape
    assert not any(n.op.__class__.__name__ == "Elemwise" for n in graph_nodes(f))
    assert not any(isinstance(n.op, Shape) for n in graph_nodes(f))
    for shape in [(0, 3), (1, 1), (4, 2)]:
        xd = np.resize(sample(dtype), shape).astype(dtype)
        r, g = ref(xd), f(xd)
        assert g.dtype == r.dtype == np.int64
        np.testing.assert_array_equal(g, r)


def test_sizes_lift_through_reductions_dimshuffles_and_subtensors():
    m = gt.dmatrix("m")
    s = gt.sum(gt.exp(m), axis=0)  # length m.shape[1]
    t = gt.exp(m).T[1:]  # (m.shape[1] - 1, m.shape[0]) for m.shape[1] >= 1
    out = gt.stack([gt.cast(s.shape[0], "float64"), gt.cast(t.shape[0] * t.shape[1], "float64")])
    f, ref = compile_pair([m], out)
    assert "Sum{axis=[0]}" not in computed(f)
    assert not any(str(n.op).startswith("Elemwise{exp") for n in graph_nodes(f))
    for shape in [(2, 3), (1, 1), (4, 5), (3, 0)]:
        md = np.ones(shape)
        np.testing.assert_array_equal(f(md), ref(md))


def test_static_sizes_become_constants():
    x = TensorType("float64", (3, None))("x")
    f, ref = compile_pair([x], gt.exp(x).shape[0] + x.shape[1])
    assert not any(isinstance(n.op, Shape_i) and n.op.i == 0 for n in graph_nodes(f))
    xd = np.ones((3, 4))
    assert f(xd) == ref(xd) == 7


def test_mean_of_an_elemwise_counts_from_the_input():
    x = gt.dmatrix("x")
    f, ref = compile_pair([x], gt.mean(gt.exp(x), axis=1))
    # the count comes from x itself: the Shape_i nodes read x, not exp(x)
    for n in graph_nodes(f):
        if isinstance(n.op, Shape_i):
            assert n.inputs[0] is f.maker.fgraph.inputs[0]
    xd = np.arange(6.0).reshape(2, 3) / 5
    assert_agree(ref(xd), f(xd))


class NoInfer(Op):
    """An op without infer_shape (identity)."""

    __props__ = ()

    def make_node(self, x):
        return Apply(self, [x], [x.type()])

    def perform(self, node, inputs, out):
        out[0][0] = inputs[0]


class SelfSized(Op):
    """An op whose infer_shape answers with its own output's size (must not be lifted)."""

    __props__ = ()

    def make_node(self, x):
        return Apply(self, [x], [x.type()])

    def perform(self, node, inputs, out):
        out[0][0] = inputs[0] * 2

    def infer_shape(self, fgraph, node, input_shapes):
        return [(gt.shape_i(node.outputs[0], 0),)]


def test_ops_without_usable_infer_shape_are_left_alone():
    x = gt.dvector("x")
    for op in (NoInfer(), SelfSized()):
        node = gt.shape_i(op(x), 0).owner
        assert not cshape.local_shape_i_lift.transform(None, node)
        f = graft.function([x], op(x).shape[0])
        assert f(np.ones(4)) == 4


def test_shape_i_of_an_input_stays():
    x = gt.dvector("x")
    node = gt.shape_i(x, 0).owner
    assert not cshape.local_shape_i_lift.transform(None, node)
    f, _ = compile_pair([x], x.shape[0])
    assert f(np.ones(5)) == 5
    (out,) = f.maker.fgraph.outputs
    assert isinstance(out.owner.op, Shape_i) and out.owner.inputs[0] is f.maker.fgraph.inputs[0]


def test_gradient_graph_no_longer_computes_values_for_their_shapes():
    x = gt.dmatrix("x")
    y = gt.exp(x) * 3
    cost = gt.sum(y, axis=0).mean() + y.shape[0] * 1.0
    g = graft.grad(cost, x)
    f, ref = compile_pair([x], [cost, g])
    for n in graph_nodes(f):
        if isinstance(n.op, Shape_i):
            assert n.inputs[0].owner is None  # sizes of the input x only
    xd = np.arange(6.0).reshape(2, 3) / 7
    for r, v in zip(ref(xd), f(xd), strict=True):
        assert_agree(r, v)


def test_subtensor_of_make_vector_picks_the_entries():
    x = gt.dtensor3("x")
    cases = [x.shape[1:], x.shape[::-1], x.shape[5:], gt.exp(x).shape[-1]]
    for out in cases:
        f, ref = compile_pair([x], out)
        # the sizes are picked when building, not indexed at run time
        assert not any(type(n.op).__name__ in ("Subtensor", "Shape") for n in graph_nodes(f))
        for shape in [(2, 3, 4), (1, 0, 5)]:
            xd = np.ones(shape)
            r, g = ref(xd), f(xd)
            assert np.asarray(g).dtype == np.asarray(r).dtype
            np.testing.assert_array_equal(g, r)


def test_subtensor_of_make_vector_negative_index_and_range():
    from graft.tensor.basic import make_vector

    a, b = gt.lscalar("a"), gt.lscalar("b")
    v = make_vector(a, b)
    f, ref = compile_pair([a, b], v[1])
    assert f(3, 4) == ref(3, 4) == 4
    res = cshape.local_subtensor_make_vector.transform(None, v[-1].owner)
    assert res and res[0] is b
    with pytest.raises(IndexError, match="out of bounds"):
        v[2]  # a make_vector has a static length: refused when built
    f, ref = compile_pair([a, b], v[-2:][::-1])
    np.testing.assert_array_equal(f(3, 4), ref(3, 4))
