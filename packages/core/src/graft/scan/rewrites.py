"""Rewrites of `Scan` nodes, as a rule table (``REWRITES``) registered by `register`.

- ``scan_remove_unused``: outputs nobody reads leave the loop, with the
  states, sequences and non-sequences only they needed.
- ``scan_push_out_invariant``: body computations that read only
  non-sequences run once, before the loop.
- ``scan_save_mem``: an output read only at its last step (``out[-1]``)
  keeps no history.
- ``scan_merge``: two independent loops over the same number of steps
  become one loop.
- ``scan_rewrite_inner``: the body gets the ``fast_run`` rewrites (without
  in-place ones), so the backend compiles a rewritten loop body.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

import graft.tensor as gt
from graft.compile.mode import get_mode
from graft.graph.basic import Apply, Constant, Variable, ancestors, clone_replace
from graft.graph.fg import FunctionGraph
from graft.graph.rewriting.basic import GraphRewriter, node_rewriter
from graft.raise_op import CheckAndRaise
from graft.scan.op import Scan, ScanInfo
from graft.tensor.subtensor import Subtensor

if TYPE_CHECKING:
    from graft.plugins.registry import RewriteRegistry

__all__ = ["REWRITES", "register"]


def _inner_deps(fg: FunctionGraph, outs: list[Variable]) -> set[Variable]:
    return set(ancestors(outs)) & set(fg.inputs)


def _rebuild(
    op: Scan,
    node: Apply,
    *,
    seqs: list[int],
    states: list[int],
    nits: list[int],
    nonseqs: list[int],
    keep: tuple[bool, ...] | None = None,
    extra_nonseqs: list[tuple[Variable, Variable]] = (),  # type: ignore[assignment]
    out_replace: dict[Variable, Variable] | None = None,
    info_changes: dict[str, Any] | None = None,
) -> list[Variable]:
    """A new Scan node keeping the given sequences/states/nit outputs/non-sequences (by
    index); its outputs, in the kept order (states then nits)."""
    i = op.info
    n_steps, o_seqs, o_inits, o_ns = op.outer_parts(node)
    in_seqs = op.inner_seqs()
    in_taps = op.inner_taps()
    in_ns = op.inner_nonseqs()
    outs = list(op.fgraph.outputs)
    inner_outs = [outs[j] for j in states] + [outs[i.n_states + m] for m in nits]
    if out_replace:
        inner_outs = clone_replace(inner_outs, out_replace)
    inputs = (
        [in_seqs[k] for k in seqs]
        + [v for j in states for v in in_taps[j]]
        + [in_ns[k] for k in nonseqs]
        + [ph for ph, _ in extra_nonseqs]
    )
    fg = FunctionGraph(inputs, inner_outs, clone=True)
    old_keep = i.keep
    new_keep = keep or tuple(
        [old_keep[j] for j in states] + [old_keep[i.n_states + m] for m in nits]
    )
    info = i.replace(
        n_seqs=len(seqs),
        state_taps=[i.state_taps[j] for j in states],
        n_nit=len(nits),
        n_nonseqs=len(nonseqs) + len(extra_nonseqs),
        keep=new_keep,
        **(info_changes or {}),
    )
    new = Scan(fg, info)
    return list(
        new(
            n_steps,
            *[o_seqs[k] for k in seqs],
            *[o_inits[j] for j in states],
            *[o_ns[k] for k in nonseqs],
            *[v for _, v in extra_nonseqs],
            return_list=True,
        )
    )


@node_rewriter([Scan])
def scan_remove_unused(fgraph: FunctionGraph, node: Apply) -> Any:
    """Drop outputs without clients, and whatever only they needed."""
    op = cast(Scan, node.op)
    i = op.info
    used = [bool(fgraph.clients.get(o)) for o in node.outputs]
    in_taps = op.inner_taps()
    outs = list(op.fgraph.outputs)
    states = [j for j in range(i.n_states) if used[j]]
    nits = [m for m in range(i.n_nit) if used[i.n_states + m]]
    # A state read by a kept output stays, even when nobody outside reads it.
    while True:
        deps = _inner_deps(
            op.fgraph, [outs[j] for j in states] + [outs[i.n_states + m] for m in nits]
        )
        more = [j for j in range(i.n_states) if j not in states and set(in_taps[j]) & deps]
        if not more:
            break
        states = sorted(states + more)
    deps = _inner_deps(op.fgraph, [outs[j] for j in states] + [outs[i.n_states + m] for m in nits])
    seqs = [k for k, v in enumerate(op.inner_seqs()) if v in deps]
    nonseqs = [k for k, v in enumerate(op.inner_nonseqs()) if v in deps]
    if (
        len(states) == i.n_states
        and len(nits) == i.n_nit
        and len(seqs) == i.n_seqs
        and len(nonseqs) == i.n_nonseqs
    ):
        return False
    if not states and not nits:
        return False  # nothing read: the graph drops the node by itself
    new_outs = _rebuild(op, node, seqs=seqs, states=states, nits=nits, nonseqs=nonseqs)
    old = [node.outputs[j] for j in states] + [node.outputs[i.n_states + m] for m in nits]
    return dict(zip(old, new_outs))


@node_rewriter([Scan])
def scan_constant_nonseqs(fgraph: FunctionGraph, node: Apply) -> Any:
    """Non-sequences that are constants become constants of the body (so its rewrites
    see them, e.g. ``x ** 1.0``)."""
    op = cast(Scan, node.op)
    _, _, _, o_ns = op.outer_parts(node)
    consts = {k for k, v in enumerate(o_ns) if isinstance(v, Constant)}
    if not consts:
        return False
    i = op.info
    in_ns = op.inner_nonseqs()
    return _rebuild(
        op,
        node,
        seqs=list(range(i.n_seqs)),
        states=list(range(i.n_states)),
        nits=list(range(i.n_nit)),
        nonseqs=[k for k in range(i.n_nonseqs) if k not in consts],
        out_replace={in_ns[k]: o_ns[k] for k in consts},
        info_changes={"rewritten": False},
    )


def _is_pure(node: Apply) -> bool:
    """A node whose value is the same at every step and may be computed even if the loop
    runs 0 times (no run-time checks, no random state)."""
    if isinstance(node.op, CheckAndRaise | Scan):
        return False
    return not any(not hasattr(o.type, "ndim") for o in [*node.inputs, *node.outputs])


@node_rewriter([Scan])
def scan_push_out_invariant(fgraph: FunctionGraph, node: Apply) -> Any:
    """Compute body expressions that read only non-sequences once, outside the loop."""
    op = cast(Scan, node.op)
    in_ns = op.inner_nonseqs()
    _, _, _, o_ns = op.outer_parts(node)
    invariant: set[Variable] = set(in_ns)
    hoist: list[Variable] = []
    for n in op.fgraph.toposort():
        if not _is_pure(n):
            continue
        if all(v in invariant or isinstance(v, Constant) for v in n.inputs) and any(
            v in invariant for v in n.inputs
        ):
            invariant.update(n.outputs)
    if len(invariant) == len(in_ns):
        return False
    # Hoist the invariant values that variant nodes (or the outputs) read.
    for n in op.fgraph.toposort():
        if any(o in invariant for o in n.outputs):
            continue
        hoist.extend(v for v in n.inputs if v in invariant and v not in in_ns and v not in hoist)
    hoist.extend(
        o for o in op.fgraph.outputs if o in invariant and o not in in_ns and o not in hoist
    )
    if not hoist:
        return False
    outer = clone_replace(hoist, dict(zip(in_ns, o_ns)))
    extra = [(v.type(name=v.name), o) for v, o in zip(hoist, outer)]
    i = op.info
    new_outs = _rebuild(
        op,
        node,
        seqs=list(range(i.n_seqs)),
        states=list(range(i.n_states)),
        nits=list(range(i.n_nit)),
        nonseqs=list(range(i.n_nonseqs)),
        extra_nonseqs=extra,
        out_replace={v: ph for v, (ph, _) in zip(hoist, extra)},
    )
    return new_outs


_LAST_OF_EMPTY = CheckAndRaise(IndexError, "index -1 is out of bounds: the scan ran 0 steps")


def _reads_last_only(fgraph: FunctionGraph, v: Variable) -> bool:
    clients: list[Any] = fgraph.clients.get(v) or []
    if not clients:
        return False
    for client, _ in clients:
        if client == "output" or not isinstance(getattr(client, "op", None), Subtensor):
            return False
        if tuple(client.op.idx_list) != (-1,):
            return False
    return True


@node_rewriter([Scan])
def scan_save_mem(fgraph: FunctionGraph, node: Apply) -> Any:
    """Outputs read only as ``out[-1]`` keep their last value, not their history."""
    op = cast(Scan, node.op)
    i = op.info
    last = [k for k, o in enumerate(node.outputs) if i.keep[k] and _reads_last_only(fgraph, o)]
    if not last:
        return False
    keep = tuple(False if k in last else kp for k, kp in enumerate(i.keep))
    new = Scan(op.fgraph, i.replace(keep=keep))(*node.inputs, return_list=True)
    repl: dict[Variable, Variable] = {}
    for k, (old, nv) in enumerate(zip(node.outputs, new)):
        if k in last:
            if k < i.n_states:
                # A kept-last state is its initial value after 0 steps; out[-1] raised there.
                nv = _LAST_OF_EMPTY(nv, gt.gt(node.inputs[0], 0))
            for client, _ in fgraph.clients[old]:
                repl[client.outputs[0]] = nv
        else:
            repl[old] = nv
    return repl


class ScanMerge(GraphRewriter):
    """Merge independent Scans that run the same number of steps into one loop."""

    def apply(self, fgraph: FunctionGraph, *args: Any, **kwargs: Any) -> Any:
        while True:
            scans = [n for n in fgraph.toposort() if isinstance(n.op, Scan)]
            pair = self._find_pair(scans)
            if pair is None:
                return
            a, b = pair
            fgraph.replace_all(self._merged(a, b), reason="scan_merge")

    @staticmethod
    def _find_pair(scans: list[Apply]) -> tuple[Apply, Apply] | None:
        for x in range(len(scans)):
            for y in range(x + 1, len(scans)):
                a, b = scans[x], scans[y]
                ia, ib = a.op.info, b.op.info  # type: ignore[attr-defined]
                if a.inputs[0] is not b.inputs[0] or ia.truncate_gradient != ib.truncate_gradient:
                    continue
                if b in {v.owner for v in ancestors(a.inputs)} or a in {
                    v.owner for v in ancestors(b.inputs)
                }:
                    continue
                return a, b
        return None

    @staticmethod
    def _merged(a: Apply, b: Apply) -> list[tuple[Variable, Variable]]:
        oa = cast(Scan, a.op)
        ob = cast(Scan, b.op)
        ia, ib = oa.info, ob.info
        fa, fb = oa.fgraph.clone(), ob.fgraph.clone()
        sa, sb = Scan(fa, ia), Scan(fb, ib)

        def taps(op: Scan) -> list[Variable]:
            return [v for t in op.inner_taps() for v in t]

        inputs = [
            *sa.inner_seqs(),
            *sb.inner_seqs(),
            *taps(sa),
            *taps(sb),
            *sa.inner_nonseqs(),
            *sb.inner_nonseqs(),
        ]
        outs = [
            *fa.outputs[: ia.n_states],
            *fb.outputs[: ib.n_states],
            *fa.outputs[ia.n_states :],
            *fb.outputs[ib.n_states :],
        ]
        keep = (
            ia.keep[: ia.n_states]
            + ib.keep[: ib.n_states]
            + ia.keep[ia.n_states :]
            + ib.keep[ib.n_states :]
        )
        name = "+".join(x for x in (ia.name, ib.name) if x) or None
        info = ScanInfo(
            ia.n_seqs + ib.n_seqs,
            ia.state_taps + ib.state_taps,
            ia.n_nit + ib.n_nit,
            ia.n_nonseqs + ib.n_nonseqs,
            keep,
            ia.truncate_gradient,
            name,
            ia.rewritten and ib.rewritten,
        )
        op = Scan(FunctionGraph(inputs, outs, clone=True), info)
        n, sq_a, in_a, ns_a = oa.outer_parts(a)
        _, sq_b, in_b, ns_b = ob.outer_parts(b)
        new = op(n, *sq_a, *sq_b, *in_a, *in_b, *ns_a, *ns_b, return_list=True)
        old = [
            *a.outputs[: ia.n_states],
            *b.outputs[: ib.n_states],
            *a.outputs[ia.n_states :],
            *b.outputs[ib.n_states :],
        ]
        return list(zip(old, new))


class ScanRewriteInner(GraphRewriter):
    """Rewrite every loop body with the ``fast_run`` rewrites (in-place ones excluded)."""

    def apply(self, fgraph: FunctionGraph, *args: Any, **kwargs: Any) -> Any:
        for node in list(fgraph.toposort()):
            op = node.op
            if not isinstance(op, Scan) or op.info.rewritten or node not in fgraph.apply_nodes:
                continue
            inner = op.fgraph.clone()
            rewriter = get_mode("FAST_RUN").excluding("inplace").rewriter
            if rewriter is not None:
                rewriter.rewrite(inner)
            new = Scan(inner, op.info.replace(rewritten=True))
            outs = new(*node.inputs, return_list=True)
            fgraph.replace_all(list(zip(node.outputs, outs)), reason="scan_rewrite_inner")


REWRITES = [
    ("scan_remove_unused", scan_remove_unused, ("fast_run", "scan")),
    ("scan_push_out_invariant", scan_push_out_invariant, ("fast_run", "scan")),
    ("scan_constant_nonseqs", scan_constant_nonseqs, ("fast_run", "scan")),
]


def register(registry: RewriteRegistry) -> None:
    """Register the scan rewrites: node rules in canonicalize, save-mem in specialize, then
    merging (position 1.8) and the body's own rewriting (position 48.5) in optdb."""
    for name, rewriter, tags in REWRITES:
        registry.register(name, rewriter, *tags, db="canonicalize")
    registry.register("scan_save_mem", scan_save_mem, "fast_run", "scan", db="specialize")
    registry.register("scan_merge", ScanMerge(), "fast_run", "scan", position=1.8)
    registry.register("scan_rewrite_inner", ScanRewriteInner(), "fast_run", "scan", position=48.5)
