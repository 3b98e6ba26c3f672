"""The pattern language of graft's rewrites, and the declarative node rewriters built on it.

A pattern describes a small expression tree:

- a tuple ``(op, arg, ...)`` matches a node applying ``op`` (an ``Op``
  instance, compared with ``==``; or an ``Op`` subclass, matched with
  ``isinstance``) to inputs matching the ``arg`` patterns, in order;
  ``(Commutative(op), a, b)`` also matches the two inputs swapped;
- a string is a logic variable: it captures what it meets, and the same string
  must meet the same variable (or an equal constant) everywhere it occurs;
- ``{"pattern": p, "constraint": fn}`` adds a check on what variable ``p``
  captured;
- a ``Variable`` matches itself (a ``Constant``, an equal constant);
- any other value (``1``, ``0.5``) matches a non-empty constant all of whose
  elements equal it, also seen through a view of a constant (a broadcast
  ``DimShuffle``, for instance). NaN never matches.

Matching is a direct structural walk (patterns are a few levels deep), much
cheaper than general unification on the rewriting hot path; results are the
same as unifying the pattern's etuple form with the node. Unless
``allow_multiple_clients`` is true, the inner nodes of a match must have no
other clients, so a rewrite never duplicates work.

Two ways to turn a pattern into a node rewriter:

- `PatternNodeRewriter(in_pattern, out_pattern)`: the replacement is itself a
  pattern over the same variables (``x * y / y`` to ``x``);
- `Rule(name, pattern, build)`: the replacement is computed by
  ``build(match, out)`` from the `Match` (captured variables, readable as
  attributes, and the constants the value patterns met) and the replaced
  output; ``adapt(new, out, match.consts)`` may fix it up (a rewrite set's
  dtype/broadcasting contract) or refuse it with None.

A rewrite module keeps its rules as data: small named values in one table,
which its plugin registers in order and tests can exercise one by one::

    local_log_exp = Rule("local_log_exp", (gt.log, (gt.exp, "x")), lambda m, out: m.x)
    local_log1p = PatternNodeRewriter((gt.log, (gt.add, 1, "x")), (gt.log1p, "x"))
    REWRITES = [("local_log_exp", local_log_exp, ("fast_run",)),
                ("local_log1p", local_log1p, ("fast_run",))]

    local_log_exp.match(gt.log(gt.exp(x)))   # {'x': x}
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
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


class Commutative:
    """A pattern head: ``op`` with its two inputs in either order.

    Example::

        (Commutative(mul), "x", 2)   # matches x * 2 and 2 * x
    """

    __slots__ = ("op",)

    def __init__(self, op: Op | type[Op]) -> None:
        self.op = op

    def __repr__(self) -> str:
        return f"Commutative({self.op})"


class Match(dict[str, Variable]):
    """What a pattern captured: variables by name (also as attributes), and ``consts``.

    ``consts`` lists the constants that value patterns (``1``, ``0.5``) met, in
    matching order: operands a rewrite drops.

    Example::

        m = Rule("r", (mul, "x", 1), lambda m, out: m.x).match(x * 1)
        m.x, m.consts   # x, [the constant 1]
    """

    def __init__(
        self, captures: Iterable[tuple[str, Variable]] = (), consts: Iterable[Variable] = ()
    ) -> None:
        super().__init__(captures)
        self.consts: list[Variable] = list(consts)

    def __getattr__(self, name: str) -> Variable:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None


class _LVar:
    """A pattern variable (one per distinct string)."""

    __slots__ = ("constraint", "name")

    def __init__(self, name: str) -> None:
        self.name = name
        self.constraint: Callable[[Variable], bool] | None = None

    def __repr__(self) -> str:
        return self.name


def constant_value(var: Variable) -> np.ndarray | None:
    """The value of ``var`` when it is a constant or a view of one (its op's ``view_map``).

    Example::

        constant_value(gt.constant(2.0).dimshuffle("x"))   # array([2.])
    """
    if isinstance(var, Constant):
        return np.asarray(var.data)
    node = var.owner
    if (
        node is None
        or len(node.inputs) != 1
        or len(node.outputs) != 1
        or not isinstance(node.inputs[0], Constant)
        or getattr(node.op, "view_map", None) != {0: [0]}
    ):
        return None
    # a view of a constant: its elements are the constant's, so running it is exact and cheap
    store: list[list[Any]] = [[None]]
    try:
        node.op.perform(node, [np.asarray(node.inputs[0].data)], store)
    except Exception:
        return None
    return np.asarray(store[0][0])


class _ConstPattern:
    """Matches a non-empty constant (or view of one) whose elements all equal ``value``."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value

    def matches(self, v: Variable) -> bool:
        data = constant_value(v)
        if data is None or data.size == 0:
            return False
        try:
            return bool(np.all(data == self.value))
        except Exception:
            return False

    def __repr__(self) -> str:
        return repr(self.value)


def _compile_pattern(p: Any, lvars: dict[str, _LVar], is_input: bool) -> Any:
    # Recursion is bounded by the pattern's depth (a few levels), not the graph's.
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


def _head_matches(head: Any, op: Op) -> bool:
    if isinstance(head, Commutative):
        head = head.op
    if isinstance(head, type) and issubclass(head, Op):
        return isinstance(op, head)
    return bool(op == head)


def _match(
    fgraph: FunctionGraph | None,
    pattern: Any,
    var: Variable,
    subst: dict[_LVar, Variable],
    consts: list[Variable],
    top: bool,
    allow_multiple_clients: bool,
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
        if not _head_matches(pattern[0], node.op):
            return False
        if (
            not top
            and not allow_multiple_clients
            and fgraph is not None
            and len(fgraph.clients.get(var, ())) > 1
        ):
            return False
        orders: list[Sequence[Variable]] = [node.inputs]
        if isinstance(pattern[0], Commutative) and len(node.inputs) == 2:
            orders.append(node.inputs[::-1])
        for inputs in orders:
            # a failed order must leave no bindings behind
            trial, trial_consts = dict(subst), list(consts)
            if all(
                _match(fgraph, sub, inp, trial, trial_consts, False, allow_multiple_clients)
                for sub, inp in zip(pattern[1:], inputs)
            ):
                subst.update(trial)
                consts[:] = trial_consts
                return True
        return False
    if isinstance(pattern, _ConstPattern):
        if pattern.matches(var):
            consts.append(var)
            return True
        return False
    if isinstance(pattern, Variable):
        return pattern is var or (
            isinstance(pattern, Constant) and isinstance(var, Constant) and pattern.equals(var)
        )
    return False


def _root_op(pattern: Any) -> Any:
    head = pattern[0]
    return head.op if isinstance(head, Commutative) else head


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
        if not isinstance(self.in_pattern, tuple):
            raise TypeError(f"in_pattern must be a tuple (op, args...), got {in_pattern!r}")
        self.op = _root_op(self.in_pattern)
        self.allow_multiple_clients = allow_multiple_clients
        self.name = name
        self._tracks = list(tracks)
        self.get_nodes = get_nodes
        self.values_eq_approx = values_eq_approx

    def tracks(self) -> list[Any]:
        if self._tracks:
            return self._tracks
        return [self.op]

    def match(self, var: Variable, fgraph: FunctionGraph | None = None) -> Match | None:
        """The captures of matching ``var`` against the input pattern, or None.

        Example::

            PatternNodeRewriter((log, (exp, "x")), "x").match(log(exp(y)))   # {'x': y}
        """
        subst: dict[_LVar, Variable] = {}
        consts: list[Variable] = []
        if not _match(
            fgraph, self.in_pattern, var, subst, consts, True, self.allow_multiple_clients
        ):
            return None
        return Match(((lv.name, v) for lv, v in subst.items()), consts)

    def _build(self, pattern: Any, subst: Match) -> Any:
        if isinstance(pattern, _LVar):
            return subst[pattern.name]
        if isinstance(pattern, tuple):
            args = [self._build(p, subst) for p in pattern[1:]]
            return pattern[0](*args)
        return pattern

    def transform(self, fgraph: FunctionGraph | None, node: Apply, *args: Any, **kw: Any) -> Any:
        if len(node.outputs) != 1:
            return False
        m = self.match(node.outputs[0], fgraph)
        if m is None:
            return False
        out = self._build(self.out_pattern, m)
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


#: ``build(match, out)``: the replacement of ``out``, or None to leave it.
Builder = Callable[[Match, Variable], Variable | None]
#: ``adapt(new, out, dropped)``: ``new`` made to stand for ``out``, or None to refuse.
Adapter = Callable[[Variable, Variable, list[Variable]], Variable | None]


class Rule(PatternNodeRewriter):
    """A named rewrite rule: where ``pattern`` matches, ``build(match, out)`` the replacement.

    ``build`` gets the `Match` and the replaced output and returns the new
    variable or None (no change). ``adapt(new, out, match.consts)``, when
    given, fixes the replacement up for the rewrite set's contract (the
    constants a value pattern met are the operands the rule drops) or returns
    None to refuse. The rule tracks the pattern's root op.

    Example::

        local_log_exp = Rule("local_log_exp", (log, (exp, "x")), lambda m, out: m.x,
                             "log(exp(x)) is x")
        local_log_exp.match(log(exp(y)))   # {'x': y}
    """

    def __init__(
        self,
        name: str,
        pattern: Any,
        build: Builder,
        doc: str = "",
        *,
        adapt: Adapter | None = None,
        allow_multiple_clients: bool = False,
    ) -> None:
        super().__init__(pattern, None, allow_multiple_clients=allow_multiple_clients, name=name)
        self.build = build
        self.adapt = adapt
        self.__name__ = name
        self.__doc__ = doc or f"{pattern!r} -> replacement ({name})"

    def transform(self, fgraph: FunctionGraph | None, node: Apply, *args: Any, **kw: Any) -> Any:
        if len(node.outputs) != 1:
            return False
        out = node.outputs[0]
        m = self.match(out, fgraph)
        if m is None:
            return False
        new = self.build(m, out)
        if new is not None and self.adapt is not None:
            new = self.adapt(new, out, m.consts)
        return False if new is None else [new]
