"""Numba rules of the control-flow and subgraph Ops: `OpFromGraph`, `IfElse`, `LazyIfElse`.

- `OpFromGraph` (and its subclasses): the inner graph, rewritten once with the
  Numba mode's rewrites and with its ifelses lowered, becomes one njit function
  (`graft_backend_numba.inner.compile_inner`) that the generated code calls.
- `LazyIfElse`: each branch's inner graph is an njit function; the generated
  code tests the condition and calls only the taken branch's.
- `IfElse` (an eager selection, left when no work is branch-only): the taken
  values, copied.

An output that may be an inner input or constant (or a view of one) is copied,
so no output aliases an input, as the Ops' ``perform`` guarantee. A rule
returns None (the node runs its ``perform``) when some inner node has no Numba
rule or a value is not a tensor of a supported dtype.
"""

from __future__ import annotations

from typing import Any

from graft.compile.builders import OpFromGraph
from graft.graph.basic import Apply
from graft.graph.fg import FunctionGraph
from graft.ifelse import IfElse, LazyIfElse, _may_alias_inputs, lower_ifelse
from graft_backend_numba.inner import compile_inner
from graft_backend_numba.linker import RULES
from graft_backend_numba.rules._kernels_util import all_tensors, tup

OWNER = "graft-backend-numba"
Lines = list[str] | None

# OpFromGraph (compared by structure) -> its inner graph rewritten for this backend.
_REWRITTEN: dict[Any, FunctionGraph] = {}


def _reg(*classes: type) -> Any:
    return RULES.register(*classes, owner=OWNER)


def _rewritten(op: OpFromGraph) -> FunctionGraph:
    """``op``'s inner graph rewritten with the ``NUMBA`` mode's rewrites, ifelses lowered."""
    found = _REWRITTEN.get(op)
    if found is None:
        from graft.compile.mode import get_mode

        fg = op.fgraph.clone()
        rewriter = get_mode("NUMBA").rewriter
        if rewriter is not None:
            rewriter.rewrite(fg)
        lower_ifelse(fg)
        found = _REWRITTEN[op] = fg
    return found


def _call(
    fn: str, args: list[str], outs: list[str], alias: tuple[bool, ...], em: Any
) -> list[str]:
    r = em.fresh("r")
    lines = [f"{r} = {fn}({', '.join(args)})"]
    for k, (o, a) in enumerate(zip(outs, alias)):
        lines.append(f"{o} = {r}[{k}].copy()" if a else f"{o} = {r}[{k}]")
    return lines


@_reg(OpFromGraph)
def op_from_graph_rule(node: Apply, ins: list[str], outs: list[str], em: Any) -> Lines:
    """One call of the inner graph's njit function."""
    if not all_tensors(node.inputs + node.outputs):
        return None
    op = node.op
    assert isinstance(op, OpFromGraph)
    fg = _rewritten(op)
    body = compile_inner(fg)
    if body is None:
        return None
    return _call(em.add_global(body, "ofg"), ins, outs, _may_alias_inputs(fg), em)


@_reg(LazyIfElse)
def lazy_ifelse_rule(node: Apply, ins: list[str], outs: list[str], em: Any) -> Lines:
    """Test the condition, call the taken branch's njit function only."""
    if not all_tensors(node.inputs + node.outputs):
        return None
    op = node.op
    assert isinstance(op, LazyIfElse)
    then_fn, else_fn = compile_inner(op.then_fgraph), compile_inner(op.else_fgraph)
    if then_fn is None or else_fn is None:
        return None
    cond, rest = ins[0], ins[1:]
    then_lines = _call(em.add_global(then_fn, "then"), rest[: op.n_then], outs, op.then_alias, em)
    else_lines = _call(em.add_global(else_fn, "else"), rest[op.n_then :], outs, op.else_alias, em)
    return [
        f"if {cond}[()]:",
        *(f"    {line}" for line in then_lines),
        "else:",
        *(f"    {line}" for line in else_lines),
    ]


@_reg(IfElse)
def ifelse_rule(node: Apply, ins: list[str], outs: list[str], em: Any) -> Lines:
    """Copies of the taken branch's values (both are computed already)."""
    if not all_tensors(node.inputs + node.outputs):
        return None
    n = len(outs)
    cond, thens, elses = ins[0], ins[1 : 1 + n], ins[1 + n :]
    then_vals = tup([f"{v}.copy()" for v in thens])
    else_vals = tup([f"{v}.copy()" for v in elses])
    return [
        f"if {cond}[()]:",
        f"    {tup(outs)} = {then_vals}",
        "else:",
        f"    {tup(outs)} = {else_vals}",
    ]
