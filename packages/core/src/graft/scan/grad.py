"""The gradient of a `Scan`: another `Scan`, running over the steps backwards.

At backward step ``t`` (from ``n-1`` down to 0) the body takes the forward
step's inputs (sequence rows, the state values it read, the non-sequences)
and the adjoints accumulated so far, and returns, by the inner graph's own
gradient (a vector-Jacobian product):

- per state and lag ``q``, the adjoint of ``s[t-1-q]`` gathered so far
  (recurrent, one state per lag: ``a_q <- a_{q+1} + (contribution of tap -(q+1))``);
- per non-sequence, the running sum of its gradient (recurrent);
- per sequence row, its gradient (one per step).

After the loop the lag adjoints are the gradients of the initial values.
Everything is a `Scan`, so gradients of gradients work the same way; memory
is one forward history per state (no recomputation), time linear in steps.
"""

from __future__ import annotations

from typing import Any

import numpy as np

import graft.tensor as gt
from graft.gradient import DisconnectedType, disconnected_type, grad
from graft.graph.basic import clone_replace
from graft.scan.basic import build_scan
from graft.scan.op import Scan

__all__ = ["scan_grad"]


def _is_float(v: Any) -> bool:
    return np.dtype(v.type.dtype).kind in "fc"


def scan_grad(
    op: Scan, inputs: list[Any], outputs: list[Any], output_grads: list[Any]
) -> list[Any]:
    info = op.info
    if any(op.is_opaque_state(k) for k in range(info.n_states)):
        raise NotImplementedError(
            f"{op}: no gradient through a loop that draws random numbers (or carries other "
            "non-tensor state): the backward pass cannot replay the draws"
        )
    ns = info.n_states
    n = inputs[0]
    seqs = inputs[1 : 1 + info.n_seqs]
    inits = inputs[1 + info.n_seqs : 1 + info.n_seqs + ns]
    nonseqs = inputs[1 + info.n_seqs + ns :]
    lags = info.lags

    def g_or_zero(g: Any, like: Any) -> Any:
        if isinstance(g.type, DisconnectedType) or not _is_float(like):
            return gt.zeros_like(like, dtype=like.type.dtype if _is_float(like) else "float64")
        return g

    last_only = [k for k, keep in enumerate(info.keep) if not keep]
    g_final: dict[int, Any] = {}
    if last_only:
        # The backward pass reads the forward histories: recompute them once.
        full_op = Scan(op.fgraph, info.replace(keep=(True,) * len(info.keep)))
        hists = full_op(*inputs, return_list=True)
        g_hist = []
        for k, (g, h) in enumerate(zip(output_grads, hists)):
            g = g_or_zero(g, outputs[k])
            if k in last_only:
                g_final[k] = g
                g = gt.inc_subtensor(gt.zeros_like(h)[n - 1 : n], g[None])
            g_hist.append(g)
        outputs = list(hists)
    else:
        g_hist = [g_or_zero(g, o) for g, o in zip(output_grads, outputs)]

    nb = n if info.truncate_gradient < 0 else gt.minimum(n, info.truncate_gradient)
    start = n - nb  # first forward step the backward pass reaches

    def window(x: Any) -> Any:
        """Rows ``start .. n-1`` of ``x`` (indexed by forward step), last first."""
        return x[start:n][::-1]

    # Outer sequences of the backward loop, and their placeholders.
    b_outer: list[Any] = []
    b_inner: list[Any] = []

    def add_seq(x: Any, name: str) -> Any:
        b_outer.append(window(x))
        ph = x.type.clone(shape=x.type.shape[1:])(name=name)
        b_inner.append(ph)
        return ph

    f_inner_seqs = [add_seq(s, f"seq{k}[t]") for k, s in enumerate(seqs)]
    f_inner_taps: list[list[Any]] = []
    for j, (init, hist, taps, lag) in enumerate(zip(inits, outputs[:ns], info.state_taps, lags)):
        full: Any = gt.concatenate([init, hist], axis=0)
        f_inner_taps.append([add_seq(full[lag + tap :], f"state{j}[t{tap}]") for tap in taps])
    g_out_ph = [add_seq(g, f"g_out{k}[t]") for k, g in enumerate(g_hist)]

    # Recurrent adjoints: per state and lag; per float non-sequence, its sum.
    f_nonseq_ph = [v.type(name=v.name) for v in nonseqs]
    adj_ph = [
        [s.type.clone(shape=s.type.shape[1:])(name=f"adj{j}_{q}") for q in range(lag)]
        for j, (s, lag) in enumerate(zip(inits, lags))
    ]
    acc_idx = [k for k, v in enumerate(nonseqs) if _is_float(v)]
    acc_ph = [nonseqs[k].type(name=f"acc{k}") for k in acc_idx]

    # The forward body on these placeholders, and its vector-Jacobian product.
    f_inputs = [*f_inner_seqs, *(v for taps in f_inner_taps for v in taps), *f_nonseq_ph]
    body_outs = clone_replace(list(op.fgraph.outputs), dict(zip(op.fgraph.inputs, f_inputs)))
    cot: dict[Any, Any] = {}
    for k, o in enumerate(body_outs):
        if not _is_float(o):
            continue
        c = g_out_ph[k]
        if k < ns:
            c = c + adj_ph[k][0]
        cot[o] = cot[o] + c if o in cot else c
    wrt = [v for v in f_inputs if _is_float(v)]
    if cot and wrt:
        grads = grad(
            None,
            wrt,
            known_grads=cot,
            disconnected_inputs="ignore",
            return_disconnected="zero",
        )
    else:
        grads = [gt.zeros_like(v) for v in wrt]
    gmap = dict(zip(wrt, grads))

    def g_of(v: Any) -> Any:
        return gmap[v] if v in gmap else gt.zeros_like(v, dtype="float64")

    new_adj: list[Any] = []
    adj_taps: list[list[Any]] = []
    adj_inits: list[Any] = []
    for j, (taps, lag) in enumerate(zip(info.state_taps, lags)):
        contrib = {-tap - 1: g_of(ph) for tap, ph in zip(taps, f_inner_taps[j])}
        for q in range(lag):
            a = adj_ph[j][q + 1] if q + 1 < lag else None
            c = contrib.get(q)
            term = a if c is None else (c if a is None else a + c)
            if term is None:
                term = gt.zeros_like(adj_ph[j][q])
            new_adj.append(gt.cast(term, adj_ph[j][q].type.dtype))
            adj_taps.append([adj_ph[j][q]])
            row = inits[j][0]
            adj_inits.append(gt.zeros_like(row)[None])
    new_acc = [gt.cast(a + g_of(f_nonseq_ph[k]), a.type.dtype) for a, k in zip(acc_ph, acc_idx)]
    acc_inits = [gt.zeros_like(nonseqs[k])[None] for k in acc_idx]
    seq_grads = [g_of(ph) for ph in f_inner_seqs]

    n_adj, n_acc = len(new_adj), len(new_acc)
    res = build_scan(
        nb,
        b_outer,
        b_inner,
        [*adj_inits, *acc_inits],
        [*adj_taps, *([p] for p in acc_ph)],
        [(-1,)] * (n_adj + n_acc),
        [*new_adj, *new_acc],
        seq_grads,
        nonseqs,
        inner_nonseqs=f_nonseq_ph,
        keep=[False] * (n_adj + n_acc) + [True] * len(seq_grads),
        name=f"grad_of_{info.name}" if info.name else "grad_of_scan",
    )
    adj_final, acc_final, seq_hist = res[:n_adj], res[n_adj : n_adj + n_acc], res[n_adj + n_acc :]

    out: list[Any] = [disconnected_type()]
    for s, h in zip(seqs, seq_hist):
        if not _is_float(s):
            out.append(gt.zeros_like(s, dtype="float64"))
            continue
        z = gt.zeros_like(s)
        out.append(gt.set_subtensor(z[start:n], gt.cast(h[::-1], s.type.dtype)))
    k = 0
    reached_start = gt.eq(start, 0)
    for j, (init, lag) in enumerate(zip(inits, lags)):
        rows = adj_final[k : k + lag]
        k += lag
        if not _is_float(init):
            out.append(gt.zeros_like(init, dtype="float64"))
            continue
        # adjoint of s[-1-q] is rows[q]; the buffer holds s[-lag] .. s[-1].
        g = gt.stack(rows[::-1], axis=0)
        if info.truncate_gradient >= 0:
            g = g * reached_start
        if j in g_final:
            # After 0 steps the last value is the initial one.
            g = gt.inc_subtensor(g[lag - 1], g_final[j] * gt.eq(n, 0))
        out.append(gt.cast(g, init.type.dtype))
    acc_of = dict(zip(acc_idx, acc_final))
    for k2, v in enumerate(nonseqs):
        out.append(acc_of[k2] if k2 in acc_of else gt.zeros_like(v, dtype="float64"))
    return out
