"""Tiny ops and types for testing the graph IR in isolation from graft.scalar."""

from __future__ import annotations

from graft.graph.basic import Apply, Variable
from graft.graph.op import Op
from graft.graph.type import Type


class NumType(Type):
    """Python floats (or ints, when ``kind == 'int'``)."""

    __props__ = ("kind",)

    def __init__(self, kind: str = "float") -> None:
        self.kind = kind

    def filter(self, data, strict=False, allow_downcast=None):
        if self.kind == "int":
            if isinstance(data, int) and not isinstance(data, bool):
                return data
            raise TypeError(f"expected an int, got {data!r}")
        if strict and not isinstance(data, float):
            raise TypeError(f"expected a float, got {data!r}")
        return float(data)

    def __str__(self) -> str:
        return self.kind


num = NumType()
inum = NumType("int")


class BinOp(Op):
    __props__ = ("name",)

    def __init__(self, name: str, fn) -> None:
        self.name = name
        self.fn = fn

    def make_node(self, *inputs):
        inputs = [i if isinstance(i, Variable) else num.make_constant(i) for i in inputs]
        return Apply(self, inputs, [num()])

    def perform(self, node, inputs, output_storage):
        output_storage[0][0] = self.fn(*inputs)

    def __str__(self) -> str:
        return self.name


class Divmod(Op):
    """Two outputs."""

    def make_node(self, a, b):
        return Apply(self, [a, b], [num(), num()])

    def perform(self, node, inputs, output_storage):
        q, r = divmod(*inputs)
        output_storage[0][0] = q
        output_storage[1][0] = r

    def __str__(self) -> str:
        return "divmod"


def _add(*a):
    return sum(a)


def _mul(a, b):
    return a * b


def _div(a, b):
    return a / b


def _neg(a):
    return -a


add = BinOp("add", _add)
mul = BinOp("mul", _mul)
div = BinOp("div", _div)
neg = BinOp("neg", _neg)
divmod_ = Divmod()


def evaluate(outputs, givens):
    """Evaluate ``outputs`` with ``perform`` in topological order."""
    from graft.graph.basic import io_toposort

    values = dict(givens)
    for node in io_toposort(list(givens), outputs):
        args = [values[i] if i in values else i.data for i in node.inputs]
        storage = [[None] for _ in node.outputs]
        node.op.perform(node, args, storage)
        for o, s in zip(node.outputs, storage):
            values[o] = s[0]
    return [values[o] if o in values else o.data for o in outputs]
