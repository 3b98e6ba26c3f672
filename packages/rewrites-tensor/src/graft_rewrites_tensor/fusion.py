"""Elemwise fusion: trees and chains of ``Elemwise`` nodes become one ``Elemwise(Composite)``.

`FusionOptimizer` (registered in ``optdb`` as ``elemwise_fusion``, position
49, tags ``fast_run`` and ``fusion``) finds groups of ``Elemwise`` nodes that
compute arrays of one shape and replaces each group of two or more nodes by a
single node over a `graft.scalar.Composite`. Every value of the group that is
used outside it (by another node, or as a graph output) becomes an output of
the fused node, so intermediates with several clients do not stop fusion
(multi-output fusion). Scalar-like tensor constants are folded into the
Composite as scalar constants.

Which nodes go together:

- Only ``Elemwise`` nodes without an in-place pattern, and only nodes whose
  outputs have the same rank and the same dimensions known to be 1 (the same
  broadcast pattern). Since only dimensions known to be 1 broadcast at run
  time, connected nodes of one pattern compute arrays of one shape, and the
  fused node checks its inputs exactly as the separate nodes did.
- Nodes are visited from the outputs towards the inputs (reverse
  topological order). A node joins the group of one of its clients when
  every other client of it cannot reach that group: otherwise the fused node
  would feed a node it depends on (a cycle). Because the visit order is
  topological, a node found not to reach a group never will, which bounds
  the search; it is also cut off after ``reach_budget`` nodes (then the node
  does not join). The pass is therefore close to linear in the graph size;
  it is repeated while a pass fuses something after refusing a join (a
  later pass can join already fused nodes).

Reductions are fused with their elementwise input by a separate rewrite,
`graft_rewrites_tensor.reduce_fusion.local_reduce_fusion` (position 49.1,
tags ``fast_run``, ``fusion``, ``reduce_fusion``), which `register` adds
too: once this pass has made each elementwise tree one node, a reduction
whose input is such a node's only output, read by nothing else, becomes one
`graft.tensor.fused_reduce.ElemwiseReduce`. On the reference backend that
op computes the mapped array with the Composite evaluator and reduces it
with NumPy's reduction, exactly as the two nodes did; a compiling backend
can generate one loop for it, or exclude ``reduce_fusion``.

Example::

    import graft, graft.tensor as gt

    x, y = gt.dvector("x"), gt.dvector("y")
    f = graft.function([x, y], gt.exp(x * y) + gt.log(y) ** 2)
    [str(n.op) for n in f.maker.fgraph.toposort()]
    # ['Elemwise{Composite{add(exp(mul(i0, i1)), sqr(log(i1)))},no_inplace}']
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, TextIO

import numpy as np

from graft.graph.basic import Apply, Constant, Variable, clone_get_equiv
from graft.graph.features import ReplaceValidate
from graft.graph.fg import FunctionGraph
from graft.graph.rewriting.basic import GraphRewriter
from graft.graph.utils import InconsistencyError
from graft.scalar import Composite, ScalarOp
from graft.scalar.type import constant as scalar_constant
from graft.scalar.type import get_scalar_type
from graft.tensor.elemwise import DimShuffle, Elemwise
from graft.tensor.type import TensorType
from graft_rewrites_tensor import reduce_fusion

if TYPE_CHECKING:
    from graft.plugins.registry import RewriteRegistry

__all__ = ["FusionOptimizer", "register"]


def _fusable(node: Apply) -> bool:
    op = node.op
    return (
        isinstance(op, Elemwise)
        and not op.inplace_pattern
        and isinstance(op.scalar_op, ScalarOp)
        and all(isinstance(o.type, TensorType) for o in node.outputs)
    )


def _pattern(node: Apply) -> tuple[bool, ...]:
    # Rank and the dimensions known to be 1: equal patterns mean equal run-time shapes.
    return tuple(s == 1 for s in node.outputs[0].type.shape)  # type: ignore[attr-defined]


def _scalar_value(v: Variable) -> Any:
    """The value of a one-element constant input (possibly behind a broadcasting
    DimShuffle, as ``x * 2.0`` builds before constant folding), else None."""
    if not all(s == 1 for s in v.type.shape):  # type: ignore[attr-defined]
        return None
    if v.owner is not None and isinstance(v.owner.op, DimShuffle):
        v = v.owner.inputs[0]
    if isinstance(v, Constant):
        data = np.asarray(v.data)
        if data.size == 1:
            return data.reshape(())[()]
    return None


class _Group:
    """A set of nodes being grown into one fused node."""

    __slots__ = ("bottom", "entries", "exits", "members", "pattern", "top", "unreaching")

    def __init__(self, pattern: tuple[bool, ...], index: int) -> None:
        self.pattern = pattern
        self.members: list[Apply] = []
        self.top = self.bottom = index  # largest / smallest topological index
        # Outside clients and outside producers of members (may list nodes
        # that joined later: filtered when read).
        self.exits: list[Apply] = []
        self.entries: list[Apply] = []
        # Nodes known never to reach this group (see `_Grouper._reaches`).
        self.unreaching: set[Apply] = set()


class _Grouper:
    """Assigns fusable nodes to groups: one pass in reverse topological order.

    A node joins the group of one of its clients when no other client of it
    reaches that group; then the groups of its other clients are merged in
    when no path leads from one to the other outside them. Groups are kept
    in a union-find forest; reachability searches are cut at ``budget`` nodes
    (an unfinished search refuses the join).
    """

    def __init__(self, fgraph: FunctionGraph, reach_budget: int) -> None:
        self.fgraph = fgraph
        self.budget = reach_budget
        self.nodes = fgraph.toposort()
        self.index = {n: k for k, n in enumerate(self.nodes)}
        self.group_of: dict[Apply, int] = {}
        self.groups: list[_Group] = []
        self.parent: list[int] = []
        self.nb_budget_hit = 0
        self.nb_cycle_refused = 0

    def find(self, g: int) -> int:
        parent = self.parent
        root = g
        while parent[root] != root:
            root = parent[root]
        while parent[g] != root:
            parent[g], g = root, parent[g]
        return root

    def gid(self, node: Any) -> int | None:
        g = self.group_of.get(node)
        return None if g is None else self.find(g)

    def run(self) -> list[list[Apply]]:
        clients = self.fgraph.clients
        for node in reversed(self.nodes):
            if not _fusable(node):
                continue
            pat = _pattern(node)
            # Candidate groups: those of this node's clients, most-used first.
            counts: dict[int, int] = {}
            for out in node.outputs:
                for c, _ in clients[out]:
                    g = self.gid(c)
                    if g is not None and self.groups[g].pattern == pat:
                        counts[g] = counts.get(g, 0) + 1
            cands = sorted(counts, key=lambda g: -counts[g])
            chosen = None
            for g in cands:
                if self._may_join(node, g):
                    chosen = g
                    break
                self.nb_cycle_refused += 1
            if chosen is None:
                chosen = len(self.groups)
                self.groups.append(_Group(pat, self.index[node]))
                self.parent.append(chosen)
            self._add(node, chosen)
            for h in cands:
                if h == chosen or self.find(h) == self.find(chosen):
                    continue
                chosen = self._try_merge(self.find(chosen), h)
        roots: dict[int, list[Apply]] = {}
        for g in range(len(self.groups)):
            r = self.find(g)
            if r == g and len(self.groups[g].members) > 1:
                roots[g] = self.groups[g].members
        # Members in topological order.
        index = self.index
        groups = [sorted(m, key=index.__getitem__) for m in roots.values()]
        return self._acyclic(groups)

    def _acyclic(self, groups: list[list[Apply]]) -> list[list[Apply]]:
        """``groups`` less those that would close a cycle once each group is one node.

        The join checks above look at paths between nodes; two groups can still
        each feed the other through outside nodes (one group's member feeds the
        other, which feeds back into an unrelated member of the first). Such a
        pair is found on the graph of groups, and the smaller group on the
        cycle is left unfused; repeated until no cycle is left (dissolving a
        group never makes one).
        """
        while True:
            cycle = _group_cycle(self.fgraph, self.nodes, groups)
            if cycle is None:
                return groups
            drop = min(cycle, key=lambda g: len(groups[g]))
            self.nb_cycle_refused += 1
            groups = [m for k, m in enumerate(groups) if k != drop]

    def _add(self, node: Apply, g: int) -> None:
        grp = self.groups[g]
        self.group_of[node] = g
        grp.members.append(node)
        k = self.index[node]
        grp.bottom = min(grp.bottom, k)
        grp.top = max(grp.top, k)
        for out in node.outputs:
            for c, _ in self.fgraph.clients[out]:
                if c != "output" and self.gid(c) != g:
                    grp.exits.append(c)
        for v in node.inputs:
            if v.owner is not None:
                grp.entries.append(v.owner)

    def _may_join(self, node: Apply, g: int) -> bool:
        """Whether no client of ``node`` outside group ``g`` reaches ``g``."""
        for out in node.outputs:
            for c, _ in self.fgraph.clients[out]:
                if c != "output" and self.gid(c) != g and self._reaches(c, g):
                    return False
        return True

    def _try_merge(self, a: int, b: int) -> int:
        """Merge groups ``a`` and ``b`` unless a path leads from one to the other outside them."""
        ga, gb = self.groups[a], self.groups[b]
        # Search from the smaller boundary (small-to-large keeps this near linear).
        if len(ga.exits) + len(ga.entries) > len(gb.exits) + len(gb.entries):
            a, b, ga, gb = b, a, gb, ga
        for c in ga.exits:
            g = self.gid(c)
            if g != a and g != b and self._reaches(c, b):
                self.nb_cycle_refused += 1
                return self.find(a)
        if self._descends_from(a, b):
            self.nb_cycle_refused += 1
            return self.find(a)
        # Merge a (smaller) into b.
        self.parent[a] = b
        gb.members.extend(ga.members)
        gb.exits.extend(ga.exits)
        gb.entries.extend(ga.entries)
        gb.top, gb.bottom = max(ga.top, gb.top), min(ga.bottom, gb.bottom)
        small, large = sorted((ga.unreaching, gb.unreaching), key=len)
        gb.unreaching = {n for n in small if n in large}
        ga.members, ga.exits, ga.entries, ga.unreaching = [], [], [], set()
        return b

    def _descends_from(self, a: int, b: int) -> bool:
        """Whether an outside producer of group ``a`` depends on group ``b`` (bounded search)."""
        index, bottom = self.index, self.groups[b].bottom
        seen: set[Apply] = set()
        stack = []
        for e in self.groups[a].entries:
            g = self.gid(e)
            if g == b:
                # Only a direct edge b -> a would be fine, and it is inside the
                # merged group; but e was recorded as outside of a, so it is
                # a producer through which b feeds a: no outside path here.
                continue
            if g != a and index[e] >= bottom and e not in seen:
                seen.add(e)
                stack.append(e)
        while stack:
            n = stack.pop()
            for v in n.inputs:
                p = v.owner
                if p is None or p in seen or index[p] < bottom:
                    continue
                if self.gid(p) == b:
                    return True
                if len(seen) >= self.budget:
                    self.nb_budget_hit += 1
                    return True
                seen.add(p)
                stack.append(p)
        return False

    def _reaches(self, start: Apply, g: int) -> bool:
        """Whether ``start`` (outside group ``g``) leads to a member of ``g`` (bounded search).

        Only nodes before the group's last node can lead into it. Nodes found
        not to reach it are remembered: the nodes that can still join come
        before them in topological order, so they never will (merging groups
        keeps only what is known of both).
        """
        grp = self.groups[g]
        index, top, no = self.index, grp.top, grp.unreaching
        if index[start] > top or start in no:
            return False
        clients = self.fgraph.clients
        seen = {start}
        stack = [start]
        while stack:
            n = stack.pop()
            for out in n.outputs:
                for c, _ in clients[out]:
                    if c == "output" or c in seen or c in no:
                        continue
                    if self.gid(c) == g:
                        return True
                    if index[c] > top:
                        continue
                    if len(seen) >= self.budget:
                        self.nb_budget_hit += 1
                        return True  # unsure: refuse
                    seen.add(c)
                    stack.append(c)
        no.update(seen)
        return False


def _group_cycle(
    fgraph: FunctionGraph, nodes: list[Apply], groups: list[list[Apply]]
) -> list[int] | None:
    """The indices of the groups on one cycle of the graph where each group is one node, or None.

    Iterative depth-first search (colours) over groups and ungrouped nodes:
    linear in the graph size.
    """
    qid: dict[Apply, int] = {}
    for k, members in enumerate(groups):
        for n in members:
            qid[n] = k
    n_groups = len(groups)
    for k, n in enumerate(nodes):
        qid.setdefault(n, n_groups + k)
    members_of = groups + [[n] for n in nodes]
    clients = fgraph.clients

    def successors(q: int) -> list[int]:
        out: list[int] = []
        for n in members_of[q]:
            for o in n.outputs:
                for c, _ in clients[o]:
                    if c != "output":
                        t = qid[c]
                        if t != q:
                            out.append(t)
        return out

    colour = [0] * len(members_of)  # 0 new, 1 on the current path, 2 done
    for start in range(len(members_of)):
        if colour[start]:
            continue
        path = [start]
        iters = [iter(successors(start))]
        colour[start] = 1
        while iters:
            nxt = next(iters[-1], None)
            if nxt is None:
                colour[path.pop()] = 2
                iters.pop()
            elif colour[nxt] == 1:
                cycle = path[path.index(nxt) :]
                return [q for q in cycle if q < n_groups]
            elif colour[nxt] == 0:
                colour[nxt] = 1
                path.append(nxt)
                iters.append(iter(successors(nxt)))
    return None


def _fuse(
    fgraph: FunctionGraph, members: Sequence[Apply]
) -> tuple[list[Variable], list[Variable]] | None:
    """The group's externally used values and their replacements (None: cannot fuse)."""
    inside = set(members)
    clients = fgraph.clients
    ext: list[Variable] = []
    seen: set[Variable] = set()
    for node in members:
        for v in node.inputs:
            if (v.owner is None or v.owner not in inside) and v not in seen:
                seen.add(v)
                ext.append(v)
    # Fold one-element constants into the Composite, unless nothing else is left.
    inline = {v: c for v in ext if (c := _scalar_value(v)) is not None}
    if len(inline) == len(ext):
        inline = {}
    inner: dict[Variable, Variable] = {}
    inputs: list[Variable] = []
    s_inputs: list[Variable] = []
    for v in ext:
        dtype = v.type.dtype  # type: ignore[attr-defined]
        if v in inline:
            inner[v] = scalar_constant(inline[v], dtype)
        else:
            s = get_scalar_type(dtype)()
            inner[v] = s
            inputs.append(v)
            s_inputs.append(s)
    exported: list[Variable] = []
    for node in members:
        sop = node.op.scalar_op  # type: ignore[attr-defined]
        args = [inner[v] for v in node.inputs]
        if isinstance(sop, Composite):
            # Fused before: splice its graph in.
            memo: dict[Any, Any] = dict(zip(sop.inputs, args))
            equiv = clone_get_equiv(
                sop.inputs, sop.outputs, copy_inputs=False, copy_orphans=False, memo=memo
            )
            outs = [equiv[o] for o in sop.outputs]
        else:
            outs = sop.make_node(*args).outputs
        for o, so in zip(node.outputs, outs):
            if so.type.dtype != o.type.dtype:  # type: ignore[attr-defined]
                return None
            inner[o] = so
            if any(c == "output" or c not in inside for c, _ in clients.get(o, ())):
                exported.append(o)
    if not exported or not inputs:
        return None
    try:
        comp = Composite(s_inputs, [inner[o] for o in exported], clone=False)
        new = Elemwise(comp)(*inputs, return_list=True)
    except (TypeError, ValueError):
        return None
    for old, nv in zip(exported, new):
        if not old.type.is_super(nv.type):
            return None
        if nv.name is None:
            nv.name = old.name
    # Runtime errors name the user code that built the group's last node.
    trace = getattr(members[-1].tag, "trace", None)
    new_node = new[0].owner
    if trace is not None and new_node is not None:
        new_node.tag.trace = trace
    return exported, new


class FusionOptimizer(GraphRewriter):
    """Fuses groups of ``Elemwise`` nodes into single ``Elemwise(Composite)`` nodes.

    ``reach_budget`` bounds the nodes one cycle check may visit (past it the
    node is left out of the group); ``max_iter`` bounds the passes. `rewrite`
    returns the profile ``(self, nb_iter, nb_replacement,
    nb_inconsistency_replace, validate_time, callback_time, callbacks_time,
    time_toposort, nb_nodes_fused, nb_cycle_refused, nb_budget_hit)``.

    Example::

        from graft.graph.fg import FunctionGraph

        x = gt.dvector("x")
        fg = FunctionGraph([x], [gt.exp(x) * 2 + x])
        FusionOptimizer().rewrite(fg)
        len(fg.apply_nodes)          # 1
    """

    def __init__(self, reach_budget: int = 512, max_iter: int = 8) -> None:
        self.reach_budget = reach_budget
        self.max_iter = max_iter
        self.name = "elemwise_fusion"

    def add_requirements(self, fgraph: FunctionGraph) -> None:
        fgraph.attach_feature(ReplaceValidate())

    def apply(self, fgraph: FunctionGraph, *args: Any, **kwargs: Any) -> Any:
        nb_iter = nb_replacement = nb_inconsistency = nb_fused = 0
        nb_refused = nb_budget = 0
        time_toposort = 0.0
        validate_before = getattr(fgraph, "validate_time", 0.0)
        callback_before = fgraph.execute_callbacks_time
        callbacks_before = dict(fgraph.execute_callbacks_times)
        while nb_iter < self.max_iter:
            nb_iter += 1
            t0 = time.perf_counter()
            grouper = _Grouper(fgraph, self.reach_budget)
            time_toposort += time.perf_counter() - t0
            groups = grouper.run()
            nb_refused += grouper.nb_cycle_refused
            nb_budget += grouper.nb_budget_hit
            changed = False
            for members in groups:
                if any(n not in fgraph.apply_nodes for n in members):
                    continue  # pragma: no cover - groups are disjoint
                built = _fuse(fgraph, members)
                if built is None:
                    continue
                old, new = built
                try:
                    fgraph.replace_all_validate(list(zip(old, new)), reason="elemwise_fusion")
                except (InconsistencyError, TypeError, ValueError):
                    nb_inconsistency += 1
                    continue
                nb_replacement += 1
                nb_fused += len(members)
                changed = True
            # Without a refused join, the groups were maximal: another pass
            # over the fused nodes would find nothing.
            if not changed or not (grouper.nb_cycle_refused or grouper.nb_budget_hit):
                break
        callbacks_time = {
            k: t - callbacks_before.get(k, 0.0)
            for k, t in fgraph.execute_callbacks_times.items()
            if t - callbacks_before.get(k, 0.0) > 0
        }
        return (
            self,
            nb_iter,
            nb_replacement,
            nb_inconsistency,
            getattr(fgraph, "validate_time", 0.0) - validate_before,
            fgraph.execute_callbacks_time - callback_before,
            callbacks_time,
            time_toposort,
            nb_fused,
            nb_refused,
            nb_budget,
        )

    @classmethod
    def print_profile(cls, stream: TextIO, prof: Any, level: int = 0) -> None:
        blanc = "    " * level
        (
            _,
            nb_iter,
            nb_replacement,
            nb_inconsistency,
            validate_time,
            callback_time,
            callbacks_time,
            time_toposort,
            nb_fused,
            nb_refused,
            nb_budget,
        ) = prof
        print(f"{blanc} FusionOptimizer", file=stream)
        print(f"{blanc}  nb_iter {nb_iter}", file=stream)
        print(f"{blanc}  nb_replacement {nb_replacement}", file=stream)
        print(f"{blanc}  nb_inconsistency_replace {nb_inconsistency}", file=stream)
        print(f"{blanc}  nb_nodes_fused {nb_fused}", file=stream)
        print(f"{blanc}  nb_cycle_refused {nb_refused}", file=stream)
        print(f"{blanc}  nb_reach_budget_hit {nb_budget}", file=stream)
        print(f"{blanc}  validate_time {validate_time}", file=stream)
        print(f"{blanc}  callback_time {callback_time}", file=stream)
        if callbacks_time:
            for k, t in sorted(callbacks_time.items(), key=lambda kv: -kv[1]):
                print(f"{blanc}    {t:.6f}s {k}", file=stream)
        print(f"{blanc}  time_toposort {time_toposort}", file=stream)

    def __str__(self) -> str:
        return self.name or type(self).__name__


def register(registry: RewriteRegistry) -> None:
    """Register `FusionOptimizer` as ``elemwise_fusion`` in ``optdb`` (position 49), then reduction fusion.

    Reduction fusion is `graft_rewrites_tensor.reduce_fusion.register`
    (``local_reduce_fusion``, position 49.1).

    Example::

        from graft.compile.optdb import make_optdb
        from graft.plugins import RewriteRegistry

        db = make_optdb(load_plugins=False)
        register(RewriteRegistry(db=db))
        "elemwise_fusion" in db, "local_reduce_fusion" in db   # (True, True)
    """
    registry.register("elemwise_fusion", FusionOptimizer(), "fast_run", "fusion", position=49)
    reduce_fusion.register(registry)
