"""`ifelse`: pick one of two branches on a scalar condition, computing only the one taken.

Two Ops:

- `IfElse` (``(cond, *then, *else) -> outputs``) is what graph building,
  gradients and rewrites see: an eager selection between already-computed
  values. Its gradient routes each output gradient to the branch taken
  (``ifelse(c, g, 0)`` / ``ifelse(c, 0, g)``).
- `LazyIfElse` is what runs. Just before linking, in every mode (also
  ``Mode(optimizer=None)``), `lower_ifelse` moves each computation used only by
  one branch of an `IfElse` into that branch's inner graph of a `LazyIfElse`,
  which runs the inner graph of the taken branch only. Work both branches (or
  anything else) use stays in the outer graph and is computed once. Every
  backend therefore gets laziness by running the chosen inner graph; a
  backend without a rule for `LazyIfElse` runs its ``perform`` (the
  reference backend's interpreter on the inner graph).

Rewrites (``canonicalize``, ``fast_run`` and ``fast_compile``):
``ifelse_constant_cond`` (a constant condition picks its branch),
``ifelse_simplify`` (outputs nobody reads, and outputs whose two branches are
the same variable, leave the node) and ``ifelse_lift_elemwise``
(``ifelse(c, f(a), f(b))`` becomes ``f(ifelse(c, a, b))`` when ``f(a)`` and
``f(b)`` are the same Elemwise and are read by the ifelse only, so work the
branches share is written once and fuses with its neighbours).

This module is callable: ``graft.ifelse(c, a, b)`` is ``graft.ifelse.ifelse(c, a, b)``.
"""

from __future__ import annotations

import sys
import types
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from graft.graph.basic import Apply, Constant, Variable, io_toposort
from graft.graph.fg import FunctionGraph
from graft.graph.op import Op
from graft.graph.rewriting.basic import FromFunctionGraphRewriter, node_rewriter
from graft.graph.sharedvalue import copy_value

__all__ = ["IfElse", "LazyIfElse", "ifelse", "lower_ifelse"]


def _merged_type(t: Any, e: Any, pos: int) -> Any:
    """The output type for a (then, else) pair of types, or TypeError naming the pair."""
    from graft.tensor.type import TensorType

    if isinstance(t, TensorType) and isinstance(e, TensorType):
        if t.dtype != e.dtype or t.ndim != e.ndim:
            raise TypeError(
                f"ifelse: then_branch[{pos}] and else_branch[{pos}] must have the same dtype "
                f"and number of dimensions, got {t} and {e}"
            )
        shape = tuple(a if a == b else None for a, b in zip(t.shape, e.shape))
        return TensorType(t.dtype, shape)
    if t != e:
        raise TypeError(
            f"ifelse: then_branch[{pos}] and else_branch[{pos}] must have the same type, "
            f"got {t} and {e}"
        )
    return t


class IfElse(Op):
    """``IfElse(n_outs)(cond, *then_values, *else_values)``: the ``n_outs`` then values
    when ``cond`` is true, else the else values.

    Build it with `ifelse`. Evaluated as is, both branches are inputs and so
    both are computed; `lower_ifelse` (run by `graft.function` before linking)
    turns it into a `LazyIfElse` that computes only the taken branch.

    Example::

        op = IfElse(1)
        z = op(gt.lt(a, b), a, b)      # min(a, b)
    """

    __props__ = ("n_outs",)

    def __init__(self, n_outs: int, name: str | None = None) -> None:
        if not isinstance(n_outs, int | np.integer) or n_outs < 1:
            raise ValueError(f"IfElse: n_outs must be a positive int, got {n_outs!r}")
        self.n_outs = int(n_outs)
        self.name = name

    def __str__(self) -> str:
        return f"{self.name or 'IfElse'}{{n_outs={self.n_outs}}}"

    def make_node(self, cond: Any, *branches: Any) -> Apply:
        n = self.n_outs
        if len(branches) != 2 * n:
            raise ValueError(
                f"{self}: expected {n} then and {n} else values ({2 * n} after cond), "
                f"got {len(branches)}"
            )
        c = _as_condition(cond)
        vals = [
            _as_branch(b, "then_branch" if k < n else "else_branch", k % n)
            for k, b in enumerate(branches)
        ]
        thens, elses = vals[:n], vals[n:]
        out_types = [_merged_type(t.type, e.type, k) for k, (t, e) in enumerate(zip(thens, elses))]
        return Apply(self, [c, *thens, *elses], [t() for t in out_types])

    def perform(self, node: Apply, inputs: Sequence[Any], output_storage: list[list[Any]]) -> None:
        n = self.n_outs
        start = 1 if inputs[0] else 1 + n
        for k in range(n):
            # A copy: the output must not alias an input (no view_map is declared).
            output_storage[k][0] = copy_value(inputs[start + k])

    def infer_shape(
        self, fgraph: FunctionGraph | None, node: Apply, input_shapes: list[Any]
    ) -> list[Any]:
        from graft.tensor.basic import as_tensor_variable

        n = self.n_outs
        ts, es = input_shapes[1 : 1 + n], input_shapes[1 + n :]
        out: list[Any] = []
        differ: list[tuple[int, int]] = []
        for k, (t, e, o) in enumerate(zip(ts, es, node.outputs)):
            if t is None or e is None:
                out.append(None)
                continue
            sizes: list[Any] = []
            for d, (a, b) in enumerate(zip(t, e)):
                static = getattr(o.type, "shape", (None,) * len(t))[d]
                if static is not None:
                    sizes.append(static)
                elif a is b or (
                    isinstance(a, int | np.integer) and isinstance(b, int | np.integer) and a == b
                ):
                    sizes.append(a)
                else:
                    sizes.append(None)
                    differ.append((k, d))
            out.append(sizes)
        if differ:
            # One IfElse over the sizes that differ picks those of the taken branch.
            picked = IfElse(len(differ))(
                node.inputs[0],
                *[as_tensor_variable(ts[k][d], dtype="int64") for k, d in differ],
                *[as_tensor_variable(es[k][d], dtype="int64") for k, d in differ],
                return_list=True,
            )
            for (k, d), p in zip(differ, picked):
                out[k][d] = p
        return [None if s is None else tuple(s) for s in out]

    def connection_pattern(self, node: Apply) -> list[list[bool]]:
        n = self.n_outs
        rows = [[True] * n]  # the condition: a zero gradient, as piecewise constant
        rows += [[j == k for j in range(n)] for k in range(n)]
        rows += [[j == k for j in range(n)] for k in range(n)]
        return rows

    def L_op(
        self,
        inputs: Sequence[Variable],
        outputs: Sequence[Variable],
        output_grads: Sequence[Variable],
    ) -> list[Variable]:
        from graft.gradient.types import _is_discrete
        from graft.tensor.basic import zeros_like

        n = self.n_outs
        cond = inputs[0]
        grads = list(output_grads)
        zeros = [zeros_like(g) for g in grads]
        then_g = _as_list(IfElse(n)(cond, *grads, *zeros))
        else_g = _as_list(IfElse(n)(cond, *zeros, *grads))
        res: list[Variable] = [zeros_like(cond, dtype=_grad_dtype(cond))]
        for k in range(n):
            v = inputs[1 + k]
            res.append(zeros_like(v, dtype="float64") if _is_discrete(v) else then_g[k])
        for k in range(n):
            v = inputs[1 + n + k]
            res.append(zeros_like(v, dtype="float64") if _is_discrete(v) else else_g[k])
        return res

    def R_op(self, inputs: Sequence[Variable], eval_points: Sequence[Variable]) -> list[Variable]:
        from graft.tensor.basic import zeros_like

        n = self.n_outs
        evs = [e if e is not None else zeros_like(v) for v, e in zip(inputs[1:], eval_points[1:])]
        return _as_list(IfElse(n)(inputs[0], *evs))


def _grad_dtype(v: Variable) -> str:
    from graft.configparser import config

    dt = str(getattr(v.type, "dtype", ""))
    return dt if dt.startswith("float") else str(config.floatX)


def _as_list(x: Any) -> list[Variable]:
    return list(x) if isinstance(x, list | tuple) else [x]


def _as_condition(cond: Any) -> Variable:
    from graft.tensor.basic import as_tensor_variable

    try:
        c = as_tensor_variable(cond)
    except (TypeError, ValueError) as e:
        raise TypeError(
            f"ifelse: argument 'cond' must be a scalar (0-d) tensor, got {cond!r}: {e}"
        ) from None
    ctype: Any = c.type
    if ctype.ndim != 0:
        raise TypeError(
            f"ifelse: argument 'cond' must be a scalar (0-d) tensor, got {c} of type {ctype} "
            f"({ctype.ndim} dimensions)"
        )
    if np.dtype(ctype.dtype).kind not in "biuf":
        raise TypeError(
            f"ifelse: argument 'cond' must be boolean or numeric, got dtype {ctype.dtype}"
        )
    return c


def _as_branch(value: Any, which: str, pos: int) -> Variable:
    if isinstance(value, Variable):
        return value
    from graft.tensor.basic import as_tensor_variable

    try:
        return as_tensor_variable(value)
    except (TypeError, ValueError) as e:
        raise TypeError(
            f"ifelse: {which}[{pos}] must be a graft variable or a tensor-like value, got {value!r}: {e}"
        ) from None


def ifelse(
    cond: Any,
    then_branch: Any,
    else_branch: Any,
    name: str | None = None,
) -> Any:
    """``then_branch`` when the scalar ``cond`` is true, else ``else_branch``; only the taken
    branch is computed.

    ``then_branch`` and ``else_branch`` are each a variable, or lists of equal
    length; the result has the same structure. Each pair must have the same
    dtype and number of dimensions (a Python number or array takes the dtype
    of its partner variable when it fits exactly); an output's static size is
    kept where both branches agree. ``cond`` is a 0-d boolean or numeric tensor
    (nonzero is true).

    Example::

        a, b = gt.dscalars("a", "b")
        z = ifelse(gt.lt(a, b), gt.exp(a), gt.log(b))     # exp or log, never both
        f = graft.function([a, b], z)
    """
    single = not isinstance(then_branch, list | tuple)
    if single != (not isinstance(else_branch, list | tuple)):
        raise TypeError(
            "ifelse: then_branch and else_branch must both be variables or both be lists, got "
            f"{type(then_branch).__name__} and {type(else_branch).__name__}"
        )
    thens = [then_branch] if single else list(then_branch)
    elses = [else_branch] if single else list(else_branch)
    if len(thens) != len(elses):
        raise ValueError(
            f"ifelse: then_branch has {len(thens)} values but else_branch has {len(elses)}; "
            "they must have the same length"
        )
    if not thens:
        raise ValueError("ifelse: then_branch and else_branch are empty")
    c = _as_condition(cond)
    ts: list[Variable] = []
    es: list[Variable] = []
    for k, (t, e) in enumerate(zip(thens, elses)):
        t, e = _literal_like(t, e, "then_branch", k), _literal_like(e, t, "else_branch", k)
        ts.append(_as_branch(t, "then_branch", k))
        es.append(_as_branch(e, "else_branch", k))
    outs = IfElse(len(ts), name=name)(c, *ts, *es, return_list=True)
    if name is not None:
        for k, o in enumerate(outs):
            o.name = name if single else f"{name}[{k}]"
    return outs[0] if single else outs


def _literal_like(value: Any, partner: Any, which: str, pos: int) -> Any:
    # A literal beside a tensor variable takes that variable's dtype, when exact.
    if isinstance(value, Variable) or not isinstance(partner, Variable):
        return value
    dtype = getattr(partner.type, "dtype", None)
    if dtype is None:
        return value
    from graft.tensor.basic import constant

    try:
        return constant(value, dtype=dtype)
    except (TypeError, ValueError):
        return value  # left to the type check, which names the pair


# ---------------------------------------------------------------------------
# The lazy form and the lowering pass
# ---------------------------------------------------------------------------


def _may_alias_inputs(fgraph: FunctionGraph) -> tuple[bool, ...]:
    """Per output of ``fgraph``: whether it may share memory with an input or a constant."""
    aliased: set[Variable] = set(fgraph.inputs)
    for node in io_toposort(fgraph.inputs, fgraph.outputs):
        for j, o in enumerate(node.outputs):
            srcs = [*node.op.view_map.get(j, ()), *node.op.destroy_map.get(j, ())]
            if any(
                node.inputs[i] in aliased or isinstance(node.inputs[i], Constant) for i in srcs
            ):
                aliased.add(o)
    return tuple(o in aliased or isinstance(o, Constant) for o in fgraph.outputs)


class LazyIfElse(Op):
    """``(cond, *then_inputs, *else_inputs) -> outputs``: runs ``then_fgraph`` on the then
    inputs when ``cond`` is true, else ``else_fgraph`` on the else inputs.

    Made by `lower_ifelse` from an `IfElse` and the computations only one of
    its branches uses; not meant to be built by hand. ``perform`` compiles
    each branch once with the reference backend (the graphs are already
    rewritten) and copies an output that could alias an inner input, so no
    output aliases an input. ``then_fgraph``/``else_fgraph`` are the inner
    graphs; ``inner_inputs``/``inner_outputs`` list both (then first), for
    printing.

    Example::

        lower_ifelse(fgraph)    # IfElse nodes with branch-only work become LazyIfElse
    """

    __props__ = ("n_outs", "then_key", "else_key")

    def __init__(self, then_fgraph: FunctionGraph, else_fgraph: FunctionGraph) -> None:
        if len(then_fgraph.outputs) != len(else_fgraph.outputs):
            raise ValueError("LazyIfElse: the branches must have the same number of outputs")
        self.then_fgraph = then_fgraph
        self.else_fgraph = else_fgraph
        self.n_outs = len(then_fgraph.outputs)
        self.n_then = len(then_fgraph.inputs)
        self.then_alias = _may_alias_inputs(then_fgraph)
        self.else_alias = _may_alias_inputs(else_fgraph)

    @property
    def then_key(self) -> Any:
        return _content_key(self.then_fgraph)

    @property
    def else_key(self) -> Any:
        return _content_key(self.else_fgraph)

    # Identity: each lowered node owns its graphs (lowering comes after merging).
    def __eq__(self, other: object) -> bool:
        return self is other

    def __hash__(self) -> int:
        return id(self)

    def __str__(self) -> str:
        return f"LazyIfElse{{n_outs={self.n_outs}}}"

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state.pop("_fns", None)
        state.pop("_props_hash", None)
        return state

    @property
    def inner_inputs(self) -> list[Variable]:
        return [*self.then_fgraph.inputs, *self.else_fgraph.inputs]

    @property
    def inner_outputs(self) -> list[Variable]:
        return [*self.then_fgraph.outputs, *self.else_fgraph.outputs]

    def make_node(self, cond: Variable, *inputs: Variable) -> Apply:
        raise TypeError("LazyIfElse nodes are made by lower_ifelse, not called directly")

    def _runners(self) -> tuple[Callable[..., list[Any]], Callable[..., list[Any]]]:
        fns = self.__dict__.get("_fns")
        if fns is None:
            from graft.link.reference import ReferenceLinker

            linker = ReferenceLinker()
            fns = self.__dict__["_fns"] = (
                linker.compile(self.then_fgraph).fn,
                linker.compile(self.else_fgraph).fn,
            )
        return fns  # type: ignore[no-any-return]

    def perform(self, node: Apply, inputs: Sequence[Any], output_storage: list[list[Any]]) -> None:
        then_fn, else_fn = self._runners()
        if inputs[0]:
            values, alias = then_fn(*inputs[1 : 1 + self.n_then]), self.then_alias
        else:
            values, alias = else_fn(*inputs[1 + self.n_then :]), self.else_alias
        for cell, v, a in zip(output_storage, values, alias):
            cell[0] = copy_value(v) if a else v

    def do_constant_folding(self, fgraph: FunctionGraph | None, node: Apply) -> bool:
        return False


def _content_key(fgraph: FunctionGraph) -> Any:
    from graft.link.cache_key import graph_key

    key = graph_key(fgraph)
    # An unserialisable marker keeps a graph without a stable key out of disk caches.
    return key if key is not None else _Unstable()


class _Unstable:
    def __repr__(self) -> str:
        return "<no stable key>"


def _destroyers(fgraph: FunctionGraph) -> dict[Variable, list[Apply]]:
    """Each variable some node of ``fgraph`` overwrites in place, with those nodes."""
    found: dict[Variable, list[Apply]] = {}
    for n in fgraph.apply_nodes:
        for idxs in n.op.destroy_map.values():
            for i in idxs:
                found.setdefault(n.inputs[i], []).append(n)
    return found


def _exclusive_nodes(
    fgraph: FunctionGraph,
    node: Apply,
    positions: set[int],
    destroyed: dict[Variable, list[Apply]],
) -> list[Apply]:
    """The nodes whose every use leads only to ``node``'s inputs at ``positions``, in order.

    In-place work stays outside when moving it would hide it from the outer graph:
    a node that overwrites a value computed outside the branch, and a node that
    reads a value some outer node overwrites (it would then run after that node).
    """
    roots = [node.inputs[p] for p in positions]
    order = io_toposort(fgraph.inputs, roots)
    forced: set[Apply] = set()
    while True:
        excl: set[Apply] = set()
        for n in reversed(order):
            if n in forced:
                continue
            ok = True
            for o in n.outputs:
                for client, i in fgraph.clients[o]:
                    if client is node:
                        ok = i in positions
                    else:
                        ok = client != "output" and client in excl
                    if not ok:
                        break
                if not ok:
                    break
            if ok:
                excl.add(n)
        bad = []
        for n in excl:
            outside = [v for v in n.inputs if v.owner not in excl]
            overwrites_outer = any(
                n.inputs[i] in outside for idxs in n.op.destroy_map.values() for i in idxs
            )
            reads_overwritten = any(d not in excl for v in outside for d in destroyed.get(v, ()))
            if overwrites_outer or reads_overwritten:
                bad.append(n)
        if not bad:
            return [n for n in order if n in excl]
        forced.update(bad)


def _branch_graph(
    fgraph: FunctionGraph, nodes: list[Apply], outs: list[Variable]
) -> tuple[FunctionGraph, list[Variable]]:
    """The inner graph computing ``outs`` with ``nodes``, and the outer variables it reads."""
    inside = set(nodes)
    boundary: list[Variable] = []
    seen: set[Variable] = set()

    def need(v: Variable) -> None:
        if v in seen or isinstance(v, Constant) or (v.owner is not None and v.owner in inside):
            return
        seen.add(v)
        boundary.append(v)

    for n in nodes:
        for v in n.inputs:
            need(v)
    for v in outs:
        need(v)
    return FunctionGraph(boundary, outs, clone=True), boundary


def lower_ifelse(fgraph: FunctionGraph) -> int:
    """Turn each `IfElse` of ``fgraph`` that has branch-only work into a `LazyIfElse`.

    Run by `graft.function` on every graph just before linking, whatever the
    mode. Nested ifelses are lowered inner first, so an inner one becomes
    part of its outer branch. Returns how many nodes were lowered.

    Example::

        fg = FunctionGraph([c, x], [ifelse(c, gt.exp(x), x)])
        lower_ifelse(fg)        # 1: exp now runs only when c is true
    """
    nodes = [n for n in fgraph.toposort() if type(n.op) is IfElse]
    if not nodes:
        return 0
    has_destroyers = any(n.op.destroy_map for n in fgraph.apply_nodes)
    count = 0
    for node in nodes:
        if node not in fgraph.apply_nodes:
            continue
        n = node.op.n_outs  # type: ignore[attr-defined]
        then_pos, else_pos = set(range(1, 1 + n)), set(range(1 + n, 1 + 2 * n))
        destroyed = _destroyers(fgraph) if has_destroyers else {}
        then_nodes = _exclusive_nodes(fgraph, node, then_pos, destroyed)
        else_nodes = _exclusive_nodes(fgraph, node, else_pos, destroyed)
        if not then_nodes and not else_nodes:
            continue
        then_fg, then_in = _branch_graph(fgraph, then_nodes, node.inputs[1 : 1 + n])
        else_fg, else_in = _branch_graph(fgraph, else_nodes, node.inputs[1 + n :])
        op = LazyIfElse(then_fg, else_fg)
        new = Apply(op, [node.inputs[0], *then_in, *else_in], [o.type() for o in node.outputs])
        new.tag.trace = getattr(node.tag, "trace", None)
        for old, nv in zip(node.outputs, new.outputs):
            nv.name = old.name
        fgraph.replace_all(list(zip(node.outputs, new.outputs)), reason="lower_ifelse")
        count += 1
    return count


# ---------------------------------------------------------------------------
# Rewrites
# ---------------------------------------------------------------------------


@node_rewriter([IfElse])
def ifelse_constant_cond(fgraph: FunctionGraph | None, node: Apply) -> Any:
    """A constant condition picks its branch."""
    cond = node.inputs[0]
    if not isinstance(cond, Constant):
        return False
    n = node.op.n_outs  # type: ignore[attr-defined]
    start = 1 if bool(np.asarray(cond.data)) else 1 + n
    return list(node.inputs[start : start + n])


@node_rewriter([IfElse])
def ifelse_simplify(fgraph: FunctionGraph | None, node: Apply) -> Any:
    """Drop outputs nobody reads and outputs whose two branches are the same variable."""
    n = node.op.n_outs  # type: ignore[attr-defined]
    cond, thens, elses = node.inputs[0], node.inputs[1 : 1 + n], node.inputs[1 + n :]
    keep = []
    for k in range(n):
        unused = fgraph is not None and not fgraph.clients.get(node.outputs[k])
        if not unused and thens[k] is not elses[k]:
            keep.append(k)
    if len(keep) == n:
        return False
    res: list[Variable | None] = [
        None if (fgraph is not None and not fgraph.clients.get(node.outputs[k])) else thens[k]
        for k in range(n)
    ]
    if keep:
        outs = IfElse(len(keep))(
            cond, *[thens[k] for k in keep], *[elses[k] for k in keep], return_list=True
        )
        for k, o in zip(keep, outs):
            res[k] = o
    return res


def _liftable(fgraph: FunctionGraph | None, node: Apply, t: Variable, e: Variable) -> bool:
    from graft.tensor.elemwise import Elemwise
    from graft.tensor.type import TensorType

    a, b = t.owner, e.owner
    if a is None or b is None or a is b or not isinstance(a.op, Elemwise) or a.op != b.op:
        return False
    if len(a.outputs) != 1 or a.op.destroy_map or len(a.inputs) != len(b.inputs):
        return False
    if fgraph is not None:
        for v in (t, e):
            clients: list[Any] = fgraph.clients.get(v, [])
            if len(clients) != 1 or clients[0][0] is not node:
                return False
    for x, y in zip(a.inputs, b.inputs):
        if x is y:
            continue
        tx, ty = x.type, y.type
        if not (isinstance(tx, TensorType) and isinstance(ty, TensorType)):
            return False
        # Same dtype and rank, and the same dims known to be 1 (broadcasting must not change).
        if tx.dtype != ty.dtype or tx.ndim != ty.ndim:
            return False
        if any((p == 1) != (q == 1) for p, q in zip(tx.shape, ty.shape)):
            return False
    return True


@node_rewriter([IfElse])
def ifelse_lift_elemwise(fgraph: FunctionGraph | None, node: Apply) -> Any:
    """``ifelse(c, f(a, x), f(b, x))`` → ``f(ifelse(c, a, b), x)`` for the same Elemwise ``f``
    read by the ifelse only."""
    n = node.op.n_outs  # type: ignore[attr-defined]
    cond, thens, elses = node.inputs[0], node.inputs[1 : 1 + n], node.inputs[1 + n :]
    lift = [k for k in range(n) if _liftable(fgraph, node, thens[k], elses[k])]
    if not lift:
        return False
    # One IfElse for the pairs kept as they are and the differing inputs of lifted ones.
    pairs: list[tuple[Variable, Variable]] = []
    slots: dict[int, Any] = {}
    for k in range(n):
        if k not in lift:
            slots[k] = len(pairs)
            pairs.append((thens[k], elses[k]))
            continue
        a, b = thens[k].owner, elses[k].owner
        assert a is not None and b is not None
        args: list[Any] = []
        for x, y in zip(a.inputs, b.inputs):
            if x is y:
                args.append(x)
            else:
                args.append(len(pairs))
                pairs.append((x, y))
        slots[k] = (a.op, args)
    picked = IfElse(len(pairs))(
        cond, *[p[0] for p in pairs], *[p[1] for p in pairs], return_list=True
    )
    res: list[Variable] = []
    for k in range(n):
        s = slots[k]
        if isinstance(s, int):
            res.append(picked[s])
        else:
            op, args = s
            res.append(op(*[picked[x] if isinstance(x, int) else x for x in args]))
    return res


def register_rewrites(registry: Any) -> None:
    """Register the IfElse rewrites in ``canonicalize``, and the ``fast_run`` lowering at
    optdb position 49.3, through a plugin ``RewriteRegistry``.

    Lowering there, after fusion and before in-place rewriting, lets the outer
    graph's in-place rewrites see the lazy node's real inputs; `graft.function`
    lowers whatever is left (other modes) just before linking.
    """
    for name, rw in (
        ("ifelse_constant_cond", ifelse_constant_cond),
        ("ifelse_simplify", ifelse_simplify),
        ("ifelse_lift_elemwise", ifelse_lift_elemwise),
    ):
        registry.register(name, rw, "fast_run", "fast_compile", "ifelse", db="canonicalize")
    registry.register(
        "lower_ifelse",
        FromFunctionGraphRewriter(lower_ifelse, name="lower_ifelse"),
        "fast_run",
        "ifelse",
        position=49.3,
    )


class _CallableModule(types.ModuleType):
    """Lets ``graft.ifelse`` be both this module and the `ifelse` function."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return ifelse(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
