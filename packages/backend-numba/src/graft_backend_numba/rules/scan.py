"""`Scan` as one compiled loop: the body is an njit function (`graft_backend_numba.inner`)
called from a loop in the generated code, over preallocated state buffers.

Each state keeps ``lag + n_steps`` rows when its history is an output, else a
ring of ``lag`` rows; per-step outputs are allocated once the first step
gives their shape. Shape changes between steps raise (the base then replays
the node through ``Scan.perform`` for the full message).
"""

from __future__ import annotations

from typing import Any

from graft.graph.basic import Apply
from graft.scan.op import Scan
from graft_backend_numba.inner import compile_inner
from graft_backend_numba.linker import RULES


def _row(buf: str, idx: str, ndim: int) -> str:
    """Row ``idx`` of ``buf`` as an array (a 0-d array for rows of scalars)."""
    return f"{buf}[{idx}:{idx} + 1].reshape(())" if ndim == 0 else f"{buf}[{idx}]"


def _store(buf: str, idx: str, value: str, ndim: int) -> str:
    return f"{buf}[{idx}] = {value}[()]" if ndim == 0 else f"{buf}[{idx}] = {value}"


@RULES.register(Scan)
def scan_rule(node: Apply, ins: list[str], outs: list[str], em: Any) -> list[str] | None:
    op: Scan = node.op  # type: ignore[assignment]
    info = op.info
    body = compile_inner(op.fgraph)
    if body is None:
        return None
    em.add_import("import numpy as np")
    f = em.add_global(body, "scan_body")
    ns, nseq = info.n_states, info.n_seqs
    n_in, seqs = ins[0], ins[1 : 1 + nseq]
    inits = ins[1 + nseq : 1 + nseq + ns]
    nonseqs = ins[1 + nseq + ns :]
    inner_out = op.fgraph.outputs
    n = em.fresh("n")
    t = em.fresh("t")
    res = em.fresh("r")
    lines = [
        f"{n} = np.int64({n_in}[()])",
        f"if {n} < 0:",
        "    raise ValueError('scan: n_steps must be >= 0')",
    ]
    contiguous = []
    for k, s in enumerate(seqs):
        c = em.fresh("seq")
        contiguous.append(c)
        lines += [
            f"if {s}.shape[0] < {n}:",
            f"    raise ValueError('scan: sequence {k} is shorter than n_steps')",
            # Rows of a contiguous array are views (reshape needs contiguity): no copy per step.
            f"{c} = np.ascontiguousarray({s})",
        ]
    seqs = contiguous
    bufs = []
    for j, (init, lag, keep) in enumerate(zip(inits, info.lags, info.keep)):
        dtype = node.outputs[j].type.dtype  # type: ignore[attr-defined]
        buf = em.fresh("state")
        bufs.append(buf)
        rows = f"{lag} + {n}" if keep else f"{lag}"
        lines += [
            f"if {init}.shape[0] != {lag}:",
            f"    raise ValueError('scan: the initial value of state {j} must hold {lag} step(s)')",
            f"{buf} = np.empty(({rows},) + {init}.shape[1:], np.{dtype})",
            f"{buf}[:{lag}] = {init}",
        ]
    hists, lasts = [], []
    for m in range(info.n_nit):
        k = ns + m
        o = inner_out[k].type
        dtype, ndim = o.dtype, o.ndim  # type: ignore[attr-defined]
        static = ", ".join(str(d or 0) for d in o.shape)  # type: ignore[attr-defined]
        h = em.fresh("hist")
        hists.append(h)
        lines.append(f"{h} = np.empty((0, {static}), np.{dtype})")
        last = em.fresh("last")
        lasts.append(last)
        lines.append(f"{last} = np.empty(({static}{',' if ndim == 1 else ''}), np.{dtype})")
    lines.append(f"for {t} in range({n}):")
    args = [_row(s, t, node.inputs[1 + k].type.ndim - 1) for k, s in enumerate(seqs)]  # type: ignore[attr-defined]
    for j, (buf, taps, lag, keep) in enumerate(zip(bufs, info.state_taps, info.lags, info.keep)):
        ndim = node.inputs[1 + nseq + j].type.ndim - 1  # type: ignore[attr-defined]
        for tap in taps:
            idx = f"{lag} + {t} + ({tap})" if keep else f"({t} + ({tap}) + {lag}) % {lag}"
            args.append(_row(buf, idx, ndim))
    args += nonseqs
    body_lines = [f"{res} = {f}({', '.join(args)})"]
    for j, (buf, lag, keep) in enumerate(zip(bufs, info.lags, info.keep)):
        ndim = node.inputs[1 + nseq + j].type.ndim - 1  # type: ignore[attr-defined]
        idx = f"{lag} + {t}" if keep else f"{t} % {lag}"
        body_lines += [
            f"if {res}[{j}].shape != {buf}.shape[1:]:",
            f"    raise ValueError('scan: state {j} changed shape between steps')",
            _store(buf, idx, f"{res}[{j}]", ndim),
        ]
    for m, (h, last) in enumerate(zip(hists, lasts)):
        k = ns + m
        ndim = inner_out[k].type.ndim  # type: ignore[attr-defined]
        dtype = inner_out[k].type.dtype  # type: ignore[attr-defined]
        body_lines += [
            f"if {t} == 0:",
            f"    {h} = np.empty(({n},) + {res}[{k}].shape, np.{dtype})",
            f"elif {res}[{k}].shape != {h}.shape[1:]:",
            f"    raise ValueError('scan: output {k} changed shape between steps')",
            _store(h, t, f"{res}[{k}]", ndim),
            f"{last} = {res}[{k}].copy()",
        ]
    lines += [f"    {line}" for line in body_lines]
    for j, (buf, lag, keep) in enumerate(zip(bufs, info.lags, info.keep)):
        ndim = node.inputs[1 + nseq + j].type.ndim - 1  # type: ignore[attr-defined]
        if keep:
            lines.append(f"{outs[j]} = {buf}[{lag}:]")
        else:
            lines.append(f"{outs[j]} = {_row(buf, f'({n} - 1 + {lag}) % {lag}', ndim)}.copy()")
    for m, (h, last) in enumerate(zip(hists, lasts)):
        k = ns + m
        if info.keep[k]:
            lines.append(f"{outs[k]} = {h}")
        else:
            lines += [
                f"if {n} == 0:",
                f"    raise IndexError('scan: output {k} has no last value: the loop ran 0 steps')",
                f"{outs[k]} = {last}",
            ]
    return lines
