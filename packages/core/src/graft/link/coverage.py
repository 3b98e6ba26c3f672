"""Which Ops a backend runs natively: the list of graft-core's Ops, and a backend's coverage.

`core_op_classes` lists the graph-level Op classes graft-core defines (what
its built-in plugin declares through ``graft_register_ops``); `coverage`
splits a list of Op classes into those a code-generating backend has a rule
for and those it runs through the Python fallback. ``python -m graft plugins``
prints the counts; the conformance kit uses the list to check that a battery
covers every family.

Example::

    from graft.link.coverage import core_op_classes, coverage

    native, fallback = coverage(NumbaLinker, core_op_classes())
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ["CORE_OP_MODULES", "core_op_classes", "coverage"]

#: The modules whose Op classes make up graft-core's graph-level Ops.
CORE_OP_MODULES = (
    "graft.tensor",
    "graft.raise_op",
    "graft.gradient",
    "graft.gradient.ops",  # graft.gradient loads its Ops on first use
    "graft.ifelse",
    "graft.compile.builders",
    "graft.scan",
    "graft.tensor.random",
)


def core_op_classes() -> list[type]:
    """graft-core's concrete graph-level Op classes (scalar ops, which run inside
    ``Elemwise``, excluded), sorted by module and name."""
    from graft.graph.op import Op
    from graft.scalar.basic import ScalarOp

    for name in CORE_OP_MODULES:
        importlib.import_module(name)
    found: set[type] = set()
    todo: list[type] = [Op]
    while todo:
        cls = todo.pop()
        sub: type
        for sub in cls.__subclasses__():
            if sub in found:
                continue
            todo.append(sub)
            if issubclass(sub, ScalarOp) or not sub.__module__.startswith("graft."):
                continue
            if sub.__name__.startswith("_") or getattr(sub, "__abstract_op__", False):
                continue
            if sub.perform is Op.perform:
                continue  # an abstract base with no implementation of its own
            found.add(sub)
    return sorted(found, key=lambda c: (c.__module__, c.__qualname__))


def coverage(linker_cls: Any, op_classes: list[type]) -> tuple[list[type], list[type]]:
    """``(native, fallback)``: the Op classes ``linker_cls`` has a rule for, and the rest.

    A backend without a rule table (``rules``) runs every Op its own way:
    all count as native.
    """
    rules = getattr(linker_cls, "rules", None)
    if rules is None:
        return list(op_classes), []
    native, fallback = rules.coverage(op_classes)
    return list(native), list(fallback)
