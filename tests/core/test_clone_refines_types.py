"""``Apply.clone_with_new_inputs`` re-derives output types from more precise inputs
(as ``clone_replace`` does), keeps them when inputs are only as precise, and
never loosens them."""

from __future__ import annotations

import pytest

import graft.tensor as gt
from graft.graph.basic import clone_replace

BUILDERS = {
    "exp": (lambda x: gt.exp(x), (None, None)),
    "add_row": (lambda x: x + gt.ones((1, 4)), (None, None)),
    "transpose": (lambda x: x.T, (None, None)),
    "sum0": (lambda x: gt.sum(x, axis=0), (None, None)),
    "dot": (lambda x: gt.dot(x, gt.ones((4, 2))), (None, None)),
    "reshape": (lambda x: x.reshape((-1,)), (None, None)),
    "index": (lambda x: x[1:], (None, None)),
    "join": (lambda x: gt.concatenate([x, x], axis=1), (None, None)),
}


@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_more_precise_input_refines_output_type(name):
    build, shape = BUILDERS[name]
    x = gt.tensor(dtype="float64", shape=shape, name="x")
    out = build(x)
    node = out.owner
    precise = gt.tensor(dtype="float64", shape=(3, 4), name="p")
    new_inputs = [precise if i is x else i for i in node.inputs]
    cloned = node.clone_with_new_inputs(new_inputs)
    expected = clone_replace(out, {x: precise}).type
    assert cloned.outputs[0].type == expected
    # Never looser than before, and as precise as the op can tell.
    assert out.type.is_super(cloned.outputs[0].type)
    assert cloned.outputs[0].type == node.op.make_node(*new_inputs).outputs[0].type


def test_exp_of_static_input_gets_static_shape():
    x = gt.dvector("x")
    node = gt.exp(x).owner
    cloned = node.clone_with_new_inputs([gt.tensor(dtype="float64", shape=(3,))])
    assert cloned.outputs[0].type.shape == (3,)


def test_same_precision_keeps_op_and_types():
    x = gt.dmatrix("x")
    out = gt.exp(x)
    cloned = out.owner.clone_with_new_inputs([gt.dmatrix("y")])
    assert cloned.op is out.owner.op
    assert cloned.outputs[0].type == out.type


def test_less_precise_input_is_asserted_and_keeps_type():
    x = gt.tensor(dtype="float64", shape=(3,))
    out = gt.exp(x)
    cloned = out.owner.clone_with_new_inputs([gt.dvector("v")])
    assert cloned.outputs[0].type == out.type  # (3,): the input went through specify_shape
    assert cloned.inputs[0].type.shape == (3,)


def test_incompatible_input_raises_naming_the_op():
    x = gt.dvector("x")
    out = gt.exp(x)
    with pytest.raises(TypeError, match="exp"):
        out.owner.clone_with_new_inputs([gt.lvector("i")])
    with pytest.raises(TypeError):
        out.owner.clone_with_new_inputs([gt.dmatrix("m")])
