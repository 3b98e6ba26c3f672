"""Declarative node rewriters: substitute an op, remove an op, or rewrite a pattern.

Patterns are tuples ``(op, arg, ...)`` whose strings are logic variables (the
same string binds the same variable everywhere in both patterns); a dict
``{"pattern": p, "constraint": fn}`` adds a check on what ``p`` matched; any
other value matches a constant equal to it. Matching is a direct structural
walk (patterns are a few levels deep), which is much cheaper than general
unification on the rewriting hot path; results are the same as unifying the
pattern's etuple form with the node.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from graft.graph.basic import Apply, Constant, Variable
from graft.graph.fg import FunctionGraph
from graft.graph.op import Op
from graft.graph.rewriting.basic import NodeRewriter


class SubstitutionNodeRewriter(NodeRewriter):
    """Replace every application of ``op1`` by an application of ``op2`` to the same inputs.

    Example::

        add_to_mul = SubstitutionNodeRewriter(add, mul)
    """

    def __init__(self, op1: Op, op2: Op, transfer_tags: bool = True) -> None:
        self.op1 = op1
        self.op2 = op2
        self.transfer_tags = transfer_tags

    def tracks(self) -> list[Op]:
        return [self.op1]

    def transform(self, fgraph: FunctionGraph | None, node: Apply, *args: Any, **kw: Any) -> Any:
        if node.op != self.op1:
            return False
        repl = self.op2.make_node(*node.inputs)
        if self.transfer_tags and node._tag is not None:
            repl.tag.update(node._tag)
        return repl.outputs

    def __str__(self) -> str:
        return f"{self.op1} -> {self.op2}"


class RemovalNodeRewriter(NodeRewriter):
    """Remove ``op``: ``y = op(x)`` is replaced by ``x`` (output i by input i).

    Example::

        remove_identity = RemovalNodeRewriter(identity)
    """

    def __init__(self, op: Op) -> None:
        self.op = op

    def tracks(self) -> list[Op]:
        return [self.op]

    def transform(self, fgraph: FunctionGraph | None, node: Apply, *args: Any, **kw: Any) -> Any:
        if node.op != self.op:
            return False
        if len(node.inputs) != len(node.outputs):
            raise ValueError(
                f"RemovalNodeRewriter({self.op}): {node} has {len(node.inputs)} inputs but "
                f"{len(node.outputs)} outputs"
            )
        return list(node.inputs)

    def __str__(self) -> str:
        return f"{self.op}(x) -> x"


class _LVar:
    """A pattern variable (one per distinct string)."""

    __slots__ = ("constraint", "name")

    def __init__(self, name: str) -> None:
        self.name = name
        self.constraint: Callable[[Variable], bool] | None = None

    def __repr__(self) -> str:
        return self.name


class _ConstPattern:
    """Matches a constant whose value equals ``value``."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value

    def matches(self, v: Variable) -> bool:
        if not isinstance(v, Constant):
            return False
        try:
            data = np.asarray(v.data)
            return bool(np.all(data == self.value))
        except Exception:
            return False

    def __repr__(self) -> str:
        return repr(self.value)


def _compile_pattern(p: Any, lvars: dict[str, _LVar], is_input: bool) -> Any:
    # Iterative over the tuple structure would be overkill: patterns are shallow.
    if isinstance(p, str):
        return lvars.setdefault(p, _LVar(p))
    if isinstance(p, dict):
        sub = _compile_pattern(p["pattern"], lvars, is_input)
        constraint = p.get("constraint")
        if constraint is not None:
            if not isinstance(sub, _LVar):
                raise TypeError("a pattern constraint needs a string pattern variable")
            sub.constraint = constraint
        return sub
    if isinstance(p, list | tuple):
        if not p:
            raise ValueError("empty pattern")
        return tuple(_compile_pattern(x, lvars, is_input) if i else x for i, x in enumerate(p))
    if isinstance(p, Variable | Op) or callable(p):
        return p
    return _ConstPattern(p) if is_input else p


class PatternNodeRewriter(NodeRewriter):
    """Replace what matches ``in_pattern`` by ``out_pattern`` (see module docstring).

    Unless ``allow_multiple_clients`` is true, the inner nodes of a match must
    have no other clients, so the rewrite never duplicates work.

    Example::

        # x * y / y -> x
        local_simplify = PatternNodeRewriter((true_div, (mul, "x", "y"), "y"), "x")
        # log(1 + x) -> log1p(x), for any x
        local_log1p = PatternNodeRewriter((log, (add, 1, "x")), (log1p, "x"))
    """

    def __init__(
        self,
        in_pattern: Any,
        out_pattern: Any,
        allow_multiple_clients: bool = False,
        name: str | None = None,
        tracks: Sequence[Any] = (),
        get_nodes: Callable[..., Any] | None = None,
        values_eq_approx: Callable[..., Any] | None = None,
    ) -> None:
        self._in_src = in_pattern
        self._out_src = out_pattern
        lvars: dict[str, _LVar] = {}
        self.in_pattern = _compile_pattern(in_pattern, lvars, True)
        self.out_pattern = _compile_pattern(out_pattern, lvars, False)
        if isinstance(self.in_pattern, tuple):
            self.op = self.in_pattern[0]
        elif isinstance(in_pattern, dict | str) or not isinstance(self.in_pattern, tuple):
            raise TypeError(f"in_pattern must be a tuple (op, args...), got {in_pattern!r}")
        self.allow_multiple_clients = allow_multiple_clients
        self.name = name
        self._tracks = list(tracks)
        self.get_nodes = get_nodes
        self.values_eq_approx = values_eq_approx

    def tracks(self) -> list[Any]:
        if self._tracks:
            return self._tracks
        return [self.op]

    def _match(
        self,
        fgraph: FunctionGraph | None,
        pattern: Any,
        var: Variable,
        subst: dict[_LVar, Variable],
        top: bool,
    ) -> bool:
        if isinstance(pattern, _LVar):
            bound = subst.get(pattern)
            if bound is not None:
                return bound is var or (
                    isinstance(bound, Constant) and isinstance(var, Constant) and bound.equals(var)
                )
            if pattern.constraint is not None and not pattern.constraint(var):
                return False
            subst[pattern] = var
            return True
        if isinstance(pattern, tuple):
            node = var.owner
            if node is None or len(node.inputs) != len(pattern) - 1:
                return False
            head = pattern[0]
            if isinstance(head, type) and issubclass(head, Op):
                if not isinstance(node.op, head):
                    return False
            elif node.op != head:
                return False
            if (
                not top
                and not self.allow_multiple_clients
                and fgraph is not None
                and len(fgraph.clients.get(var, ())) > 1
            ):
                return False
            for sub, inp in zip(pattern[1:], node.inputs):
                if not self._match(fgraph, sub, inp, subst, False):
                    return False
            return True
        if isinstance(pattern, _ConstPattern):
            return pattern.matches(var)
        if isinstance(pattern, Variable):
            return pattern is var or (
                isinstance(pattern, Constant) and isinstance(var, Constant) and pattern.equals(var)
            )
        return False

    def _build(self, pattern: Any, subst: dict[_LVar, Variable]) -> Any:
        if isinstance(pattern, _LVar):
            return subst[pattern]
        if isinstance(pattern, tuple):
            args = [self._build(p, subst) for p in pattern[1:]]
            return pattern[0](*args)
        return pattern

    def transform(self, fgraph: FunctionGraph | None, node: Apply, *args: Any, **kw: Any) -> Any:
        if len(node.outputs) != 1:
            return False
        subst: dict[_LVar, Variable] = {}
        if not self._match(fgraph, self.in_pattern, node.outputs[0], subst, True):
            return False
        out = self._build(self.out_pattern, subst)
        if not isinstance(out, Variable):
            out = node.outputs[0].type.filter_variable(out)
        if self.values_eq_approx is not None:
            out.tag.values_eq_approx = self.values_eq_approx
        return [out]

    def __str__(self) -> str:
        if self.name:
            return self.name

        def fmt(p: Any) -> str:
            if isinstance(p, tuple | list):
                return f"{p[0]}({', '.join(fmt(x) for x in p[1:])})"
            if isinstance(p, dict):
                return f"{fmt(p['pattern'])} subject to {p.get('constraint')}"
            return str(p)

        return f"{fmt(self._in_src)} -> {fmt(self._out_src)}"

    __repr__ = __str__
