"""Printing: pprint, dprint and dot export of tensor and scalar graphs."""

from __future__ import annotations

import graft
import graft.tensor as gt
from graft.printing import OperatorPrinter, PPrinter, to_dot


def test_pprint_operators_and_functions():
    x, y = gt.vector("x"), gt.vector("y")
    assert graft.pprint(x + y * 2.0) == "(x + (y * 2.0))"
    assert graft.pprint(-x) == "-x"
    assert graft.pprint(gt.exp(x - y)) == "exp((x - y))"
    assert graft.pprint(gt.matrix("A") @ x) == "(A @ x)"


def test_pprint_custom_printer_does_not_leak():
    x = gt.vector("x")
    p = PPrinter()
    p.assign(gt.exp, OperatorPrinter("E", 0))
    assert p.process(gt.exp(x)) == "Ex"
    assert graft.pprint(gt.exp(x)) == "exp(x)"


def test_pprint_deep_graph_is_iterative():
    x = gt.scalar("x")
    e = x
    for _ in range(5000):
        e = gt.exp(e)
    assert graft.pprint(e).count("exp(") == 5000


def test_dprint_shared_nodes_and_types():
    x = gt.vector("x")
    s = gt.exp(x)
    text = graft.dprint(s + s, file="str", print_type=True)
    lines = text.splitlines()
    assert lines[0].startswith("Elemwise{add,no_inplace} [id A] ''")
    assert lines[1] == " |Elemwise{exp,no_inplace} [id B] '' <TensorType(float64, shape=(?,))>"
    assert lines[3] == " |Elemwise{exp,no_inplace} [id B] '' <TensorType(float64, shape=(?,))>"
    assert len(lines) == 4  # the second use is not expanded again


def test_to_dot_escapes_names_and_marks_roles():
    x = gt.vector('x"; evil')
    out = gt.exp(x) + 1
    src = to_dot(out)
    assert src.startswith('digraph "graft" {') and src.rstrip().endswith("}")
    assert 'label="x\\"; evil' in src
    assert src.count("shape=box") == 3  # exp, dimshuffle of the constant, add
    assert "#c8dcf0" in src  # the output is highlighted
