"""The backend protocol (graft.link.basic) and the reference backend "py"."""

from __future__ import annotations

import gc
import weakref

import numpy as np
import pytest

from graft.compile.generic import generic
from graft.graph.basic import Apply, Constant
from graft.graph.fg import FunctionGraph
from graft.graph.op import Op
from graft.link.basic import CompiledGraph, Linker, UnsupportedOpError, node_error
from graft.link.reference import ReferenceLinker
from graft.scalar import add, exp, float64, int64, log, mul, true_div


class Boom(Op):
    """Raises ``exc_type(message)`` when run."""

    __props__ = ("exc_type",)

    def __init__(self, exc_type: type[Exception] = ValueError) -> None:
        self.exc_type = exc_type

    def make_node(self, *inputs):
        return Apply(self, list(inputs), [inputs[0].type()])

    def perform(self, node, inputs, output_storage):
        raise self.exc_type("operands could not be broadcast together")


class NeedsTwoArgs(Exception):
    def __init__(self, a, b):
        super().__init__(a, b)


class RaiseCustom(Op):
    __props__ = ()

    def make_node(self, x):
        return Apply(self, [x], [x.type()])

    def perform(self, node, inputs, output_storage):
        raise NeedsTwoArgs("first", "second")


class DivMod(Op):
    """Two outputs."""

    __props__ = ()

    def make_node(self, a, b):
        return Apply(self, [a, b], [a.type(), a.type()])

    def perform(self, node, inputs, output_storage):
        q, r = divmod(*inputs)
        output_storage[0][0] = q
        output_storage[1][0] = r


class NoPerform(Op):
    __props__ = ()

    def make_node(self, x):
        return Apply(self, [x], [x.type()])


class Box:
    """A weak-referenceable value."""

    def __init__(self, v: float) -> None:
        self.v = v


class BoxAdd(Op):
    __props__ = ()

    def make_node(self, a, b):
        return Apply(self, [a, b], [generic()])

    def perform(self, node, inputs, output_storage):
        output_storage[0][0] = Box(inputs[0].v + inputs[1].v)


def compile_(inputs, outputs, **kw):
    return ReferenceLinker(**kw).compile(FunctionGraph(inputs, outputs))


def test_runs_nodes_in_order_with_constants():
    x, y = float64("x"), float64("y")
    z = log(exp(x) * y + 1.5) / 2.0
    c = compile_([x, y], [z, x * y])
    assert isinstance(c, CompiledGraph)
    out = c(0.5, 3.0)
    assert out[0] == pytest.approx(np.log(np.exp(0.5) * 3.0 + 1.5) / 2.0)
    assert out[1] == 1.5
    # calling the object and its ``fn`` are the same
    assert c.fn(0.5, 3.0) == out
    assert c.nodes == c.fgraph.toposort()
    assert c.node_times is None


def test_outputs_that_are_inputs_or_constants():
    x = float64("x")
    two = Constant(float64, 2.0)
    c = compile_([x], [x, two, add(x, two)])
    assert c(np.float64(1.0)) == [1.0, 2.0, 3.0]
    assert c(np.float64(5.0)) == [5.0, 2.0, 7.0]


def test_no_nodes_and_no_outputs():
    x = float64("x")
    assert compile_([x], [])(1.0) == []
    assert compile_([x], [x])(4.0) == [4.0]


def test_multiple_outputs_and_reuse():
    a, b = int64("a"), int64("b")
    q, r = DivMod()(a, b)
    c = compile_([a, b], [q, r, mul(q, b) + r])
    assert c(17, 5) == [3, 2, 17]
    assert c(9, 4) == [2, 1, 9]


def test_nothing_is_kept_alive_between_calls():
    a, b = generic("a"), generic("b")
    mid = BoxAdd()(a, b)
    out = BoxAdd()(mid, mid)
    c = compile_([a, b], [out])
    ba, bb = Box(1.0), Box(2.0)
    (res,) = c(ba, bb)
    assert res.v == 6.0
    refs = [weakref.ref(ba), weakref.ref(bb), weakref.ref(res)]
    del ba, bb, res
    gc.collect()
    assert all(r() is None for r in refs)


def test_allow_gc_false_gives_the_same_results():
    x, y = float64("x"), float64("y")
    z = (x + y) * (x - y)
    assert compile_([x, y], [z], allow_gc=False)(3.0, 1.0) == [8.0]


def test_runtime_error_names_op_shapes_dtypes_and_user_line():
    x = float64("x")
    y = Boom()(mul(x, 2.0))  # the line the error must point at
    c = compile_([x], [y])
    with pytest.raises(ValueError) as info:
        c(np.float64(1.0))
    msg = str(info.value)
    assert "operands could not be broadcast together" in msg
    assert "Op: Boom" in msg
    assert "Input shapes: [()]" in msg
    assert "Input dtypes: ['float64']" in msg
    assert __file__ in msg
    assert "y = Boom()(mul(x, 2.0))  # the line the error must point at" in msg
    assert "test_runtime_error_names_op_shapes_dtypes_and_user_line" in msg
    # the storage was reset, so the graph still works afterwards
    with pytest.raises(ValueError):
        c(np.float64(1.0))


def test_runtime_error_with_array_inputs():
    x = generic("x")
    c = compile_([x], [Boom(IndexError)(x)])
    with pytest.raises(IndexError, match=r"Input shapes: \[\(2, 3\)\].*\n.*int32"):
        c(np.zeros((2, 3), dtype="int32"))


def test_runtime_error_fallback_is_runtime_error_chained():
    x = float64("x")
    c = compile_([x], [RaiseCustom()(x)])
    with pytest.raises(RuntimeError, match="NeedsTwoArgs") as info:
        c(1.0)
    assert isinstance(info.value.__cause__, NeedsTwoArgs)
    assert "Op: RaiseCustom" in str(info.value)


def test_key_error_becomes_runtime_error():
    x = float64("x")
    c = compile_([x], [Boom(KeyError)(x)])
    with pytest.raises(RuntimeError, match="KeyError") as info:
        c(1.0)
    assert isinstance(info.value.__cause__, KeyError)


def test_node_without_trace_says_so():
    x = float64("x")
    node = Boom().make_node(x)  # no Op.__call__: no recorded user line
    err = node_error(ValueError("bad"), node, [np.float64(1.0)])
    assert isinstance(err, ValueError)
    assert "without a recorded user line" in str(err)


def test_unsupported_ops_are_refused_clearly():
    x = float64("x")
    assert not ReferenceLinker().supports(NoPerform())
    assert ReferenceLinker().supports(add)
    fg = FunctionGraph([x], [NoPerform()(x)])
    with pytest.raises(UnsupportedOpError, match=r"(?s)backend .py. cannot run 1 Op.*NoPerform"):
        ReferenceLinker().compile(fg)


def test_profiled_compile_times_each_node():
    x, y = float64("x"), float64("y")
    fg = FunctionGraph([x, y], [true_div(x * y, x + y)])
    c = ReferenceLinker().compile(fg, profile=object())
    for _ in range(3):
        assert c(2.0, 2.0) == [1.0]
    assert c.node_times is not None and c.node_calls == [3, 3, 3]
    assert len(c.node_times) == len(c.nodes) == 3
    assert all(t > 0 for t in c.node_times)
    bad = ReferenceLinker().compile(FunctionGraph([x], [Boom()(x)]), profile=object())
    with pytest.raises(ValueError, match="Op: Boom"):
        bad(1.0)


def test_linker_protocol_example_backend():
    """The docstring's example backend, written against the protocol only."""
    from graft.link.basic import raise_node_error

    class UfuncLinker(Linker):
        name = "ufunc"
        excluded_rewrite_tags = ("inplace",)
        UFUNCS = {"add": np.add, "mul": np.multiply}

        def supports(self, op):
            return getattr(op, "name", None) in self.UFUNCS

        def compile(self, fgraph, *, profile=None):
            self.check_supported(fgraph)
            slot = {v: i for i, v in enumerate(fgraph.inputs)}
            env0 = [None] * len(slot)
            program = []
            for node in fgraph.toposort():
                for v in node.inputs:
                    if v not in slot:
                        slot[v] = len(env0)
                        env0.append(v.data)
                (out,) = node.outputs
                slot[out] = len(env0)
                env0.append(None)
                program.append(
                    (self.UFUNCS[node.op.name], node, [slot[v] for v in node.inputs], slot[out])
                )
            n_in = len(fgraph.inputs)
            out_slots = [slot[v] for v in fgraph.outputs]

            def fn(*args):
                env = list(env0)
                env[:n_in] = args
                for ufunc, node, ins, out in program:
                    values = [env[i] for i in ins]
                    try:
                        env[out] = ufunc(*values)
                    except Exception as exc:
                        raise_node_error(exc, node, values)
                return [env[i] for i in out_slots]

            return CompiledGraph(fn, fgraph, linker=self)

    x, y = float64("x"), float64("y")
    fg = FunctionGraph([x, y], [add(mul(x, y), 1.0)])
    c = UfuncLinker().compile(fg)
    assert c(2.0, 3.0) == [7.0]
    assert repr(c) == "<CompiledGraph backend='ufunc' nodes=2>"
    with pytest.raises(UnsupportedOpError, match="exp"):
        UfuncLinker().compile(FunctionGraph([x], [exp(x)]))
    with pytest.raises(NotImplementedError):
        Linker().compile(fg)
