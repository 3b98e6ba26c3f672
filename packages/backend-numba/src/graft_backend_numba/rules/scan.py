"""`Scan` as one compiled loop: the body is an njit function (`graft_backend_numba.inner`)
called from a loop in the generated code, over preallocated state buffers.

Each state keeps ``lag + n_steps`` rows when its history is an output, else a
ring of ``lag`` rows; per-step outputs are allocated once the first step
gives their shape. Shape changes between steps raise (the base then replays
the node through ``Scan.perform`` for the full message).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from graft.graph.basic import Apply
from graft.scan.op import Scan
from graft.tensor.elemwise import Elemwise
from graft_backend_numba.inner import compile_inner
from graft_backend_numba.linker import RULES
from graft_backend_numba.rules.scalar import literal, scalar_code


def _row(buf: str, idx: str, ndim: int) -> str:
    """Row ``idx`` of ``buf`` as an array (a 0-d array for rows of scalars)."""
    return f"{buf}[{idx}:{idx} + 1].reshape(())" if ndim == 0 else f"{buf}[{idx}]"


def _store(buf: str, idx: str, value: str, ndim: int) -> str:
    return f"{buf}[{idx}] = {value}[()]" if ndim == 0 else f"{buf}[{idx}] = {value}"


ScalarBody = Callable[[list[str]], "tuple[list[str], list[str]] | None"]


def _scalar_body(op: Scan, em: Any) -> ScalarBody | None:
    """For a body of elementwise nodes on 0-d values only (scalar recurrences: AR
    likelihoods, Newton steps...), a function emitting it inline as scalar code, so
    the loop allocates nothing per step; None otherwise."""
    fg = op.fgraph
    nodes = fg.toposort()
    values = [*fg.inputs, *fg.outputs, *(v for n in nodes for v in (*n.inputs, *n.outputs))]
    if any(getattr(v.type, "ndim", None) != 0 for v in values):
        return None
    if not all(isinstance(n.op, Elemwise) for n in nodes):
        return None

    def emit(args: list[str]) -> tuple[list[str], list[str]] | None:
        names: dict[Any, str] = dict(zip(fg.inputs, args))

        def ref(v: Any) -> str:
            return names[v] if v in names else literal(v.data, v.type.dtype)

        lines: list[str] = []
        for n in nodes:
            code = scalar_code(
                n.op.scalar_op,
                [ref(v) for v in n.inputs],
                [v.type.dtype for v in n.inputs],
                [v.type.dtype for v in n.outputs],
                em,
            )
            if code is None:
                return None
            lines += code.lines
            for o, e in zip(n.outputs, code.exprs):
                names[o] = em.fresh("s")
                lines.append(f"{names[o]} = {e}")
        return lines, [ref(o) for o in fg.outputs]

    return emit if emit([em.fresh("probe") for _ in fg.inputs]) is not None else None


def _scalar_loop(
    node: Apply, ins: list[str], outs: list[str], em: Any, body: ScalarBody
) -> list[str] | None:
    """The loop of a scalar body: states in scalars (or a buffer when their history or
    several past values are kept), sequences read element by element."""
    op = cast(Scan, node.op)
    info = op.info
    ns, nseq = info.n_states, info.n_seqs
    n_in, seqs = ins[0], ins[1 : 1 + nseq]
    inits = ins[1 + nseq : 1 + nseq + ns]
    nonseqs = ins[1 + nseq + ns :]
    dtypes = [o.type.dtype for o in node.outputs]  # type: ignore[attr-defined]
    n, t = em.fresh("n"), em.fresh("t")
    lines = [
        f"{n} = np.int64({n_in}[()])",
        f"if {n} < 0:",
        "    raise ValueError('scan: n_steps must be >= 0')",
    ]
    for k, s in enumerate(seqs):
        lines += [
            f"if {s}.shape[0] < {n}:",
            f"    raise ValueError('scan: sequence {k} is shorter than n_steps')",
        ]
    ns_vals = []
    for v in nonseqs:
        name = em.fresh("c")
        ns_vals.append(name)
        lines.append(f"{name} = {v}[()]")
    args = [f"{s}[{t}]" for s in seqs]
    state_vars: list[str] = []
    after: list[str] = []
    for j, (init, lag, keep, taps) in enumerate(zip(inits, info.lags, info.keep, info.state_taps)):
        lines += [
            f"if {init}.shape[0] != {lag}:",
            f"    raise ValueError('scan: the initial value of state {j} must hold {lag} step(s)')",
        ]
        if lag == 1 and not keep:
            var = em.fresh("st")
            lines.append(f"{var} = {init}[0]")
            state_vars.append(var)
            args.append(var)
            continue
        buf = em.fresh("state")
        rows = f"{lag} + {n}" if keep else f"{lag}"
        lines += [f"{buf} = np.empty(({rows},), np.{dtypes[j]})", f"{buf}[:{lag}] = {init}"]
        state_vars.append(buf)
        for tap in taps:
            idx = f"{lag} + {t} + ({tap})" if keep else f"({t} + ({tap}) + {lag}) % {lag}"
            args.append(f"{buf}[{idx}]")
    hists = []
    for m in range(info.n_nit):
        k = ns + m
        h = em.fresh("hist" if info.keep[k] else "last")
        hists.append(h)
        if info.keep[k]:
            lines.append(f"{h} = np.empty(({n},), np.{dtypes[k]})")
        else:
            lines.append(f"{h} = np.{dtypes[k]}(0)")
    args += ns_vals
    emitted = body(args)
    if emitted is None:
        return None
    step, results = emitted
    # Results go to temporaries first: a state's new value must not change what a later
    # store of the same step reads.
    tmp = [em.fresh("new") for _ in results]
    lines.append(f"for {t} in range({n}):")
    lines += [f"    {line}" for line in step]
    lines += [f"    {name} = {r}" for name, r in zip(tmp, results)]
    for j, (var, lag, keep) in enumerate(zip(state_vars, info.lags, info.keep)):
        if lag == 1 and not keep:
            lines.append(f"    {var} = {tmp[j]}")
        else:
            idx = f"{lag} + {t}" if keep else f"{t} % {lag}"
            lines.append(f"    {var}[{idx}] = {tmp[j]}")
    for m, h in enumerate(hists):
        k = ns + m
        lines.append(f"    {h}[{t}] = {tmp[k]}" if info.keep[k] else f"    {h} = {tmp[k]}")
    for j, (var, lag, keep) in enumerate(zip(state_vars, info.lags, info.keep)):
        if keep:
            after.append(f"{outs[j]} = {var}[{lag}:]")
        else:
            value = var if lag == 1 else f"{var}[({n} - 1 + {lag}) % {lag}]"
            after += [f"{outs[j]} = np.empty((), np.{dtypes[j]})", f"{outs[j]}[()] = {value}"]
    for m, h in enumerate(hists):
        k = ns + m
        if info.keep[k]:
            after.append(f"{outs[k]} = {h}")
        else:
            after += [
                f"if {n} == 0:",
                f"    raise IndexError('scan: output {k} has no last value: the loop ran 0 steps')",
                f"{outs[k]} = np.empty((), np.{dtypes[k]})",
                f"{outs[k]}[()] = {h}",
            ]
    return lines + after


@RULES.register(Scan)
def scan_rule(node: Apply, ins: list[str], outs: list[str], em: Any) -> list[str] | None:
    op = cast(Scan, node.op)
    info = op.info
    if any(op.is_opaque_state(k) for k in range(info.n_states)):
        return None  # random generators and other non-tensor states run through perform
    em.add_import("import numpy as np")
    em.add_import("import math")
    scalar = _scalar_body(op, em)
    if scalar is not None:
        lines = _scalar_loop(node, ins, outs, em, scalar)
        if lines is not None:
            return lines
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
