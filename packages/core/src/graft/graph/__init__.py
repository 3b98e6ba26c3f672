"""Graph IR: variables, nodes, ops, types, function graphs and their features."""

from graft.graph.basic import (
    Apply,
    Constant,
    Variable,
    ancestors,
    clone,
    clone_get_equiv,
    clone_replace,
    equal_computations,
    graph_inputs,
    io_toposort,
)
from graft.graph.op import Op
from graft.graph.type import Type

__all__ = [
    "Apply",
    "Constant",
    "Op",
    "Type",
    "Variable",
    "ancestors",
    "clone",
    "clone_get_equiv",
    "clone_replace",
    "equal_computations",
    "graph_inputs",
    "io_toposort",
]
