"""`DestroyHandler`: keeps in-place Ops (``destroy_map``) from corrupting values still needed.

An Op whose ``destroy_map`` is ``{o: [i]}`` overwrites input ``i`` to produce
output ``o``; one whose ``view_map`` is ``{o: [i]}`` returns an output that
shares memory with input ``i``. Overwriting a variable therefore overwrites
its *alias class*: the variable's *root* (follow ``view_map`` upwards) and
every view of that root, transitively. The output of a destroyer is a new
root: it owns the memory from then on.

The handler accepts a graph when, for every destroyed root ``r``:

(a) exactly one node destroys ``r`` (through any of its views, once);
(b) every other node reading the alias class of ``r`` can run before the
    destroyer: it must not depend on the destroyer's results, directly or
    through other destroyers' orderings (otherwise there is a cycle);
(c) ``r`` is not a constant, and not a protected graph input. A feature with
    a ``protected`` collection of inputs (`graft.compile.ProtectInputs`, which
    `graft.function` attaches; inputs are protected unless
    ``In(..., mutable=True)``) decides which inputs are protected, and reports
    direct overwrites itself; the handler adds overwrites through views.
    Without such a feature every input is protected except those passed as
    ``DestroyHandler(mutable_inputs=...)``;
(d) no graph output is in the alias class (its value would be overwritten);
(e) the destroyer does not also read the alias class through another input
    (unless its Op lists the pair in ``destroyhandler_tolerate_same`` and it
    is the very same variable).

`orderings` makes the readers of a destroyed class run before its destroyer
(`FunctionGraph.toposort` honours it).

Cost: the bookkeeping is updated incrementally by ``on_import``, ``on_prune``
and ``on_change_input``; ``validate`` looks only at what changed since the
last successful validation. Cycles are found with a topological labelling of
the nodes (``level``: every data or ordering edge goes from a lower to a
higher level, with room left between neighbours), kept valid under edge
insertions by raising the labels of the affected region only: a change whose
new edges already respect the labels costs nothing more to validate.

Example::

    x = gt.vector("x")
    y = gt.exp(x)
    z = Elemwise(scalar.log, {0: 0})(y)              # log(y), written into y
    fg = FunctionGraph([x], [z, y * 2], clone=False)
    fg.attach_feature(DestroyHandler())
    fg.attach_feature(ReplaceValidate())
    fg.validate()          # fine: y * 2 runs before the in-place log
    fg.replace_validate(fg.outputs[1], y)
    # InconsistencyError: graph output 1 ('Elemwise{exp,no_inplace}.0') would be
    # overwritten by Elemwise{log,inplace}(...), which destroys ... in place
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from graft.graph.basic import Apply, Constant, Variable, io_toposort
from graft.graph.features import AlreadyThere, Feature
from graft.graph.utils import InconsistencyError

if TYPE_CHECKING:
    from graft.graph.fg import FunctionGraph

__all__ = ["DestroyHandler", "InconsistencyError"]


#: Label spacing given to imported nodes: later in-place edges between
#: neighbours raise a label by one and stop there, instead of pushing every
#: descendant up (a chain of n replacements would otherwise cost n**2).
_GAP = 1 << 16


def _name(v: Any) -> str:
    return repr(str(v))


class DestroyHandler(Feature):
    """Validates in-place Ops and orders the readers of destroyed values first (see the module doc).

    Attaching it adds ``fgraph.destroy_handler`` (this object) and
    ``fgraph.destroyers(var)`` (the nodes overwriting ``var``'s memory).
    Rewriters can ask `can_destroy` / `destroy_obstacle` before trying an
    in-place replacement, which is then validated by ``fgraph.validate()``
    (e.g. through ``replace_all_validate``).

    Example::

        fg.attach_feature(DestroyHandler(mutable_inputs=[x]))   # x may be overwritten
        fg.destroy_handler.can_destroy(node, 0)                 # quick pre-check
    """

    def __init__(self, mutable_inputs: Iterable[Variable] = ()) -> None:
        self.mutable_inputs = set(mutable_inputs)
        self.fgraph: FunctionGraph | None = None
        self._reset()

    def _reset(self) -> None:
        #: Topological labels: level[u] < level[v] for every edge u -> v.
        self.level: dict[Apply, int] = {}
        #: view variable -> the variable it views; var -> its direct views.
        self.view_of: dict[Variable, Variable] = {}
        self.views: dict[Variable, dict[Variable, None]] = {}
        #: view variable -> its root (variables absent here are roots).
        self.root: dict[Variable, Variable] = {}
        #: destroyer -> {destroyed input index: the root it was counted under}.
        self.destroyed: dict[Apply, dict[int, Variable]] = {}
        #: root -> {destroyer: how many of its inputs destroy that root}.
        self.root_destroyers: dict[Variable, dict[Apply, int]] = {}
        # Work left for the next validate: roots whose destroyers, class or
        # outputs changed, and edges (u before v) that may break the labels.
        self._dirty: dict[Variable, None] = {}
        self._pending: dict[tuple[Apply, Apply], None] = {}
        # add_output sends no callback: outputs past this count are new.
        self._n_outputs = 0
        self.stats = {"validate": 0, "raised": 0, "cycles": 0}

    # -- feature protocol -------------------------------------------------

    def on_attach(self, fgraph: FunctionGraph) -> None:
        if hasattr(fgraph, "destroy_handler"):
            raise AlreadyThere("a DestroyHandler is already attached")
        if self.fgraph is not None and self.fgraph is not fgraph:
            raise ValueError("this DestroyHandler is already attached to another graph")
        self.fgraph = fgraph
        self._reset()
        fgraph.destroy_handler = self
        fgraph.destroyers = self.destroyers_of
        for node in io_toposort(fgraph.inputs, fgraph.outputs):
            self.on_import(fgraph, node, "on_attach")

    def on_detach(self, fgraph: FunctionGraph) -> None:
        del fgraph.destroy_handler
        del fgraph.destroyers
        self.fgraph = None
        self._reset()

    def clone(self) -> DestroyHandler:
        # The marks name this graph's variables: a cloned graph gets none, so
        # all its inputs are protected (the safe side).
        return DestroyHandler(self.mutable_inputs)

    def __graft_reduce__(self) -> DestroyHandler:
        return DestroyHandler(self.mutable_inputs)

    def on_import(self, fgraph: FunctionGraph, node: Apply, reason: Any) -> None:
        level = self.level
        lv = 0
        for inp in node.inputs:
            owner = inp.owner
            if owner is not None:
                lo = level.get(owner, 0)
                if lo > lv:
                    lv = lo
        level[node] = lv + _GAP
        op = node.op
        if op.view_map:
            for o, idxs in op.view_map.items():
                if len(idxs) != 1:
                    raise NotImplementedError(
                        f"{op}: output {o} views several inputs {idxs}; the DestroyHandler "
                        "supports views of one input"
                    )
                out, src = node.outputs[o], node.inputs[idxs[0]]
                self.view_of[out] = src
                self.views.setdefault(src, {})[out] = None
                self.root[out] = self.root.get(src, src)
        if op.destroy_map:
            self.destroyed[node] = {}
            for idxs in op.destroy_map.values():
                for i in idxs:
                    if i not in self.destroyed[node]:
                        self._count(node, i, self._root(node.inputs[i]))
        if self.root_destroyers:
            self._note_reader(node, node.inputs)

    def on_prune(self, fgraph: FunctionGraph, node: Apply, reason: Any) -> None:
        self.level.pop(node, None)
        for o in node.op.view_map:
            out = node.outputs[o]
            src = self.view_of.pop(out, None)
            self.root.pop(out, None)
            self.views.pop(out, None)
            if src is not None:
                self._drop_view(src, out)
        if node in self.destroyed:
            for i in list(self.destroyed[node]):
                self._uncount(node, i)
            del self.destroyed[node]

    def on_change_input(
        self,
        fgraph: FunctionGraph,
        node: Any,
        i: int,
        old: Variable,
        new: Variable,
        reason: Any = None,
    ) -> None:
        if node == "output":
            r = self._root(new)
            if r in self.root_destroyers:
                self._dirty[r] = None
            return
        if new.owner is not None:
            self._pending[(new.owner, node)] = None
        op = node.op
        for o, idxs in op.view_map.items():
            if idxs[0] == i:
                out = node.outputs[o]
                self._drop_view(old, out)
                self.view_of[out] = new
                self.views.setdefault(new, {})[out] = None
                self._reroot(fgraph, out, self._root(new))
        d = self.destroyed.get(node)
        if d is not None and i in d:
            self._uncount(node, i)
            self._count(node, i, self._root(new))
        if self.root_destroyers:
            self._note_reader(node, (new,))

    def validate(self, fgraph: FunctionGraph) -> None:
        """Raise `InconsistencyError` if a change since the last validation broke a rule."""
        n_out = len(fgraph.outputs)
        if n_out != self._n_outputs:
            for v in fgraph.outputs[self._n_outputs :]:
                r = self._root(v)
                if r in self.root_destroyers:
                    self._dirty[r] = None
            self._n_outputs = n_out
        if not (self._dirty or self._pending):
            return
        self.stats["validate"] += 1
        edges = list(self._pending)
        variables = fgraph.variables
        for r in self._dirty:
            if r in variables:
                self._check_root(fgraph, r, edges)
        self._check_edges(edges)
        # Only a successful validation consumes the work: after a failure the
        # caller reverts, and whatever remains is checked again next time.
        self._dirty.clear()
        self._pending.clear()

    def orderings(self, fgraph: FunctionGraph) -> dict[Apply, list[Apply]]:
        """``{destroyer: [other readers of what it destroys]}``: the readers run first."""
        ords: dict[Apply, list[Apply]] = {}
        for node, roots in self.destroyed.items():
            readers: dict[Apply, None] = {}
            for r in set(roots.values()):
                for c in self._readers(fgraph, self._alias_class(r)):
                    if c is not node:
                        readers[c] = None
            if readers:
                ords[node] = list(readers)
        return ords

    # -- queries ----------------------------------------------------------

    def destroyers_of(self, var: Variable) -> list[Apply]:
        """The nodes that overwrite ``var``'s memory (through any alias)."""
        return list(self.root_destroyers.get(self._root(var), ()))

    def can_destroy(self, node: Apply, i: int) -> bool:
        """Whether ``node`` could overwrite its input ``i`` (see `destroy_obstacle`)."""
        return self.destroy_obstacle(node, [i]) is None

    def destroy_obstacle(self, node: Apply, indices: Iterable[int]) -> str | None:
        """Why ``node`` may not overwrite its inputs ``indices``, or None if it may.

        A quick check for rewriters, made before building the in-place node
        that would replace ``node`` (same inputs, same clients). It applies
        rules (a)-(e) to the current graph; the reachability test of (b) only
        explores nodes between ``node`` and the readers' levels. Validation
        stays authoritative.
        """
        fgraph = self.fgraph
        assert fgraph is not None, "DestroyHandler is not attached"
        idxs = set(indices)
        targets: set[Apply] = set()
        for i in idxs:
            var = node.inputs[i]
            r = self._root(var)
            others = [d for d in self.root_destroyers.get(r, ()) if d is not node]
            if others:
                return f"{_name(var)} is already destroyed by {others[0]}"
            if isinstance(r, Constant):
                return f"{_name(var)} is (a view of) a constant"
            if r.owner is None and self._protected(fgraph, r):
                return f"{_name(var)} is (a view of) the protected input {_name(r)}"
            for v in self._alias_class(r):
                for c, j in fgraph.clients.get(v, ()):
                    if c == "output":
                        return f"{_name(v)} is graph output {j}"
                    if c is node:
                        if j not in idxs and not self._tolerated(node, idxs, j):
                            return f"{node} also reads {_name(v)} as input {j}"
                    else:
                        targets.add(c)
        lv = self.level.get(node, 0)
        targets = {t for t in targets if self.level.get(t, 0) >= lv}
        if targets:
            hit = self._reaches(node, targets)
            if hit is not None:
                return f"{hit} reads the value and depends on {node}"
        return None

    # -- bookkeeping ------------------------------------------------------

    def _root(self, v: Variable) -> Variable:
        return self.root.get(v, v)

    def _count(self, node: Apply, i: int, r: Variable) -> None:
        self.destroyed[node][i] = r
        rd = self.root_destroyers.setdefault(r, {})
        rd[node] = rd.get(node, 0) + 1
        self._dirty[r] = None

    def _uncount(self, node: Apply, i: int) -> None:
        r = self.destroyed[node].pop(i)
        rd = self.root_destroyers[r]
        rd[node] -= 1
        if not rd[node]:
            del rd[node]
            if not rd:
                del self.root_destroyers[r]

    def _drop_view(self, src: Variable, out: Variable) -> None:
        vs = self.views.get(src)
        if vs is not None:
            vs.pop(out, None)
            if not vs:
                del self.views[src]

    def _note_reader(self, node: Apply, inputs: Iterable[Variable]) -> None:
        # ``node`` reads ``inputs``: it must run before whoever destroys them.
        for inp in inputs:
            r = self.root.get(inp, inp)
            ds = self.root_destroyers.get(r)
            if ds:
                for d in ds:
                    if d is node:
                        self._dirty[r] = None  # rule (e) for the destroyer itself
                    else:
                        self._pending[(node, d)] = None

    def _reroot(self, fgraph: FunctionGraph, out: Variable, new_root: Variable) -> None:
        # ``out`` now views a variable of another class: move it and its views.
        stack = [out]
        while stack:
            v = stack.pop()
            self.root[v] = new_root
            for c, j in fgraph.clients.get(v, ()):
                d = self.destroyed.get(c) if c != "output" else None
                if d is not None and j in d:
                    self._uncount(c, j)
                    self._count(c, j, new_root)
            stack.extend(self.views.get(v, ()))
        self._dirty[new_root] = None

    def _alias_class(self, r: Variable) -> list[Variable]:
        out = [r]
        k = 0
        while k < len(out):
            out.extend(self.views.get(out[k], ()))
            k += 1
        return out

    def _readers(self, fgraph: FunctionGraph, cls: list[Variable]) -> list[Apply]:
        seen: dict[Apply, None] = {}
        for v in cls:
            for c, _ in fgraph.clients.get(v, ()):
                if c != "output":
                    seen[c] = None
        return list(seen)

    def _protected(self, fgraph: FunctionGraph, var: Variable) -> bool:
        guard = self._guard(fgraph)
        if guard is not None:
            return var in guard.protected
        return var not in self.mutable_inputs

    @staticmethod
    def _guard(fgraph: FunctionGraph) -> Any:
        # The input-protection feature (ProtectInputs), found by its protocol.
        for f in fgraph._features:
            if isinstance(getattr(f, "protected", None), set | frozenset):
                return f
        return None

    @staticmethod
    def _tolerated(node: Apply, destroyed: set[int], j: int) -> bool:
        pairs = getattr(node.op, "destroyhandler_tolerate_same", ())
        return any(
            i in destroyed and node.inputs[i] is node.inputs[j] for i, jj in pairs if jj == j
        )

    # -- validation -------------------------------------------------------

    def _check_root(self, fgraph: FunctionGraph, r: Variable, edges: list[Any]) -> None:
        ds = self.root_destroyers.get(r)
        if not ds:
            return
        if len(ds) > 1 or any(n > 1 for n in ds.values()):
            names = " and ".join(str(d) for d in ds)
            raise InconsistencyError(
                f"{_name(r)} is destroyed more than once (by {names}): "
                "a value can be overwritten in place only once"
            )
        (node,) = ds
        mine = {i for i, rr in self.destroyed[node].items() if rr is r}
        direct = all(node.inputs[i] is r for i in mine)
        if isinstance(r, Constant) or r.owner is None:
            guard = self._guard(fgraph)
            protected = isinstance(r, Constant) or self._protected(fgraph, r)
            # A direct overwrite is the guard's to report (it knows the why).
            if protected and not (direct and guard is not None):
                what = "constant" if isinstance(r, Constant) else "input"
                how = "" if direct else " through a view"
                raise InconsistencyError(
                    f"{node} would overwrite the {what} {_name(r)} in place{how} "
                    "(inputs are protected unless marked mutable)"
                )
        cls = self._alias_class(r)
        for v in cls:
            for c, j in fgraph.clients.get(v, ()):
                if c == "output":
                    raise InconsistencyError(
                        f"graph output {j} ({_name(v)}) would be overwritten by {node}, "
                        f"which destroys {_name(r)} in place"
                    )
                if c is node:
                    if j not in mine and not self._tolerated(node, mine, j):
                        raise InconsistencyError(
                            f"{node} destroys {_name(r)} and also reads it (as "
                            f"{_name(v)}, input {j})"
                        )
                else:
                    edges.append((c, node))

    def _check_edges(self, edges: list[tuple[Apply, Apply]]) -> None:
        level = self.level
        bad: list[tuple[Apply, Apply]] = []
        for u, v in edges:
            lu, lv = level.get(u), level.get(v)
            if lu is None or lv is None or lu < lv:
                continue
            if self._edge_exists(u, v):
                bad.append((u, v))
        if not bad:
            return
        # Insert the violated edges one at a time; those not inserted yet are
        # masked so that every edge followed respects the labels.
        masked = set(bad)
        for u, v in bad:
            masked.discard((u, v))
            if level[u] < level[v]:
                continue
            if not self._raise_after(u, v, masked):
                self.stats["cycles"] += 1
                raise InconsistencyError(self._cycle_message(u, v))

    def _edge_exists(self, u: Apply, v: Apply) -> bool:
        if any(inp.owner is u for inp in v.inputs):
            return True
        if v not in self.destroyed:
            return False
        rd = self.root_destroyers
        return any(v in rd.get(self.root.get(inp, inp), ()) for inp in u.inputs)

    def _successors(self, x: Apply) -> Iterator[Apply]:
        assert self.fgraph is not None
        clients = self.fgraph.clients
        for out in x.outputs:
            for c, _ in clients.get(out, ()):
                if c != "output":
                    yield c
        rd = self.root_destroyers
        if rd:
            for inp in x.inputs:
                ds = rd.get(self.root.get(inp, inp))
                if ds:
                    for d in ds:
                        if d is not x:
                            yield d

    def _raise_after(self, u: Apply, v: Apply, masked: set[tuple[Apply, Apply]]) -> bool:
        """Relabel so that ``u`` comes before ``v``; False (labels untouched) if ``v`` reaches ``u``.

        Every other edge respects the labels, so only ``v``'s descendants
        labelled at most ``level[u]`` can need raising, and ``u`` is among
        them exactly when the new edge closes a cycle. They are visited in
        order of their old labels (a topological order of the region).
        """
        level = self.level
        new = {v: level[u] + 1}
        heap = [(level[v], 0, v)]
        tie = 1
        while heap:
            _, _, x = heapq.heappop(heap)
            lx = new[x]
            for s in self._successors(x):
                if masked and (x, s) in masked:
                    continue
                ls = new.get(s)
                if ls is None:
                    ls = level[s]
                    if ls > lx:
                        continue
                    if s is u:
                        return False
                    heapq.heappush(heap, (ls, tie, s))
                    tie += 1
                elif ls > lx:
                    continue
                new[s] = lx + 1
        self.stats["raised"] += len(new)
        level.update(new)
        return True

    def _reaches(self, src: Apply, targets: set[Apply]) -> Apply | None:
        # Labels increase along every path, so nothing above the highest
        # target's label can lead to a target.
        bound = max(self.level.get(t, 0) for t in targets)
        level = self.level
        seen = {src}
        stack = [src]
        while stack:
            x = stack.pop()
            for s in self._successors(x):
                if s in seen:
                    continue
                if s in targets:
                    return s
                seen.add(s)
                if level.get(s, 0) < bound:
                    stack.append(s)
        return None

    def _cycle_message(self, u: Apply, v: Apply) -> str:
        if v in self.destroyed and not any(inp.owner is u for inp in v.inputs):
            roots = set(self.destroyed[v].values())
            shared = [inp for inp in u.inputs if self.root.get(inp, inp) in roots]
            what = _name(shared[0]) if shared else "a value"
            return (
                f"{v} destroys {what} in place, but {u} also reads it and depends on "
                f"{v}'s result: {u} cannot run before the value is overwritten (a cycle)"
            )
        return f"the graph would contain a cycle through {u} and {v}"
