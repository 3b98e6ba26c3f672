"""Canonicalization of run-time checks (`graft.raise_op.CheckAndRaise`).

Rewrites that stop computing a value keep the size checks it made as
``CheckAndRaise`` nodes over ``eq`` of sizes (see `fit` and the shape lift).
``local_simplify_check`` keeps those small:

* a condition that is a true constant, or ``eq(a, a)`` of an integer ``a``, is dropped;
* a check of the same kind inside a condition's operand or around the checked
  value is merged into this one (``eq(check(s, c1), t)`` is ``eq(s, t)`` with
  ``c1`` kept);
* repeated conditions are kept once; a check with no condition left is its value.

Example: ``check(x, eq(check(m, eq(m, n)), m))`` (what lifting
``(x * y).shape[0]`` against ``x`` gives) becomes ``check(x, eq(m, n))``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

import graft.tensor as gt
from graft.graph.basic import Apply, Variable
from graft.graph.fg import FunctionGraph
from graft.graph.rewriting.basic import FromFunctionNodeRewriter, node_rewriter
from graft.raise_op import CheckAndRaise
from graft_rewrites_tensor.utils import const_data

__all__ = ["REWRITES"]


def _strip(v: Variable, op: CheckAndRaise, conds: list[Variable]) -> Variable:
    """``v`` without the checks of kind ``op`` around it; their conditions go to ``conds``."""
    while v.owner is not None and v.owner.op == op:
        conds.extend(v.owner.inputs[1:])
        v = v.owner.inputs[0]
    return v


def _same(a: Variable, b: Variable) -> bool:
    """Whether ``a`` and ``b`` are one value: the same variable, equal constants, or one op
    on the same inputs (two ``x.shape[0]`` nodes not yet merged)."""
    if a is b:
        return True
    da, db = const_data(a), const_data(b)
    if da is not None and db is not None:
        return bool(da.shape == db.shape and np.array_equal(da, db))
    oa, ob = a.owner, b.owner
    return (
        oa is not None
        and ob is not None
        and len(oa.outputs) == 1
        and oa.op == ob.op
        and oa.inputs == ob.inputs
    )


@node_rewriter([CheckAndRaise])
def local_simplify_check(fgraph: FunctionGraph | None, node: Apply) -> Any:
    """Drop true conditions, merge nested checks of one kind, and drop a check left without any."""
    op = node.op
    assert isinstance(op, CheckAndRaise)
    todo: list[Variable] = []
    value = _strip(node.inputs[0], op, todo)
    changed = value is not node.inputs[0]
    todo.extend(node.inputs[1:])
    kept: list[Variable] = []
    seen: set[Variable] = set()
    while todo:
        c = todo.pop(0)
        data = const_data(c)
        if data is not None and np.all(data):
            changed = True
            continue
        o = c.owner
        if o is not None and o.op == gt.eq:
            a, b = o.inputs
            inner: list[Variable] = []
            a2, b2 = _strip(a, op, inner), _strip(b, op, inner)
            if np.dtype(a2.type.dtype).kind in "biu" and _same(a2, b2):  # type: ignore[attr-defined]
                todo.extend(inner)
                changed = True
                continue
            if inner:
                todo.extend(inner)
                c = gt.eq(a2, b2)
                changed = True
        if c in seen:
            changed = True
            continue
        seen.add(c)
        kept.append(c)
    if not changed:
        return False
    new = op(value, *kept) if kept else value
    if new.type != node.outputs[0].type:
        return False
    return [new]


#: ``(name, rewriter, tags)`` for `graft_register_rewrites`, in the order they are tried.
REWRITES: list[tuple[str, FromFunctionNodeRewriter, tuple[str, ...]]] = [
    ("local_simplify_check", local_simplify_check, ("fast_run", "fast_compile", "shape")),
]
