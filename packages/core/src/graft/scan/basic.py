"""`scan`: loops over sequences and recurrences, built as one `Scan` node.

``fn`` is called once, on symbolic placeholders, in this argument order:
every tap of every sequence, then every tap of every recurrent output, then
the non-sequences. It returns the outputs (one per ``outputs_info`` entry),
optionally with a dict of shared-variable updates, as ``(outputs, updates)``.

Variables ``fn`` uses without receiving them (shared variables, outer
expressions) become non-sequences automatically; sub-expressions that do not
depend on the loop are computed once, outside it. Shared variables with a
``default_update`` used inside (random streams) are updated once per step.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from graft.graph.basic import (
    Constant,
    Variable,
    ancestors,
    clone_replace,
    graph_inputs,
    io_toposort,
)
from graft.graph.fg import FunctionGraph
from graft.graph.sharedvalue import SharedVariable
from graft.scan.op import Scan, ScanInfo
from graft.tensor.basic import as_tensor_variable, cast
from graft.tensor.math import minimum
from graft.tensor.type import TensorType

__all__ = ["build_scan", "foldl", "foldr", "map", "reduce", "scan"]


def _as_list(x: Any) -> list[Any]:
    if x is None:
        return []
    return list(x) if isinstance(x, list | tuple) else [x]


def _row_var(v: Any, name: str | None) -> Any:
    """A placeholder for one row of ``v``."""
    t = v.type
    assert isinstance(t, TensorType)
    return TensorType(t.dtype, shape=t.shape[1:])(name=name)


def scan(
    fn: Callable[..., Any],
    sequences: Any = None,
    outputs_info: Any = None,
    non_sequences: Any = None,
    n_steps: Any = None,
    truncate_gradient: int = -1,
    go_backwards: bool = False,
    name: str | None = None,
    return_updates: bool = True,
    strict: bool = False,
) -> Any:
    """Apply ``fn`` over steps ``t = 0 .. n_steps-1``, feeding back recurrent outputs.

    - ``sequences``: tensors iterated over their first axis, or dicts
      ``{"input": x, "taps": [-1, 0, 1]}`` (``fn`` gets ``x[t-1], x[t], x[t+1]``).
    - ``outputs_info``: one entry per output of ``fn``: None (not fed back),
      an initial value (fed back as ``s[t-1]``), or ``{"initial": x0,
      "taps": [-2, -1]}`` (``x0`` holds the two values before step 0, oldest
      first).
    - ``non_sequences``: passed unchanged to every step.
    - ``n_steps``: the number of steps; by default the length of the shortest
      sequence (less its taps' span). With sequences, a larger ``n_steps``
      raises at run time.
    - ``truncate_gradient``: backpropagate through at most this many steps
      (-1: all).
    - ``go_backwards``: iterate the sequences from their end.
    - ``strict``: every variable ``fn`` uses must be passed to it (no
      automatic non-sequences).

    Returns ``(outputs, updates)``: the outputs' histories (shape
    ``(n_steps, ...)``; one variable or a list) and a dict of shared-variable
    updates for `graft.function`; only ``outputs`` when ``return_updates`` is
    False (an error if there are updates to lose).

    Example::

        x = gt.dvector("x")
        s0 = gt.dscalar("s0")
        cums, _ = scan(lambda xt, acc: acc + xt, sequences=x, outputs_info=s0)
    """
    seq_specs = [_seq_spec(s, k) for k, s in enumerate(_as_list(sequences))]
    info_list = _as_list(outputs_info)
    out_specs = [_out_spec(o, k) for k, o in enumerate(info_list)]
    nonseqs = [
        as_tensor_variable(v) if not isinstance(v, Variable) else v
        for v in _as_list(non_sequences)
    ]

    # Sequences: one pre-shifted outer sequence and one placeholder per tap.
    outer_seqs: list[Any] = []
    inner_seqs: list[Any] = []
    lengths: list[Any] = []
    for k, (x, taps) in enumerate(seq_specs):
        if go_backwards:
            x = x[::-1]
        lo, hi = taps[0], taps[-1]
        lengths.append(x.shape[0] - (hi - lo) if hi != lo else x.shape[0])
        for tap in taps:
            outer_seqs.append(x[tap - lo :] if tap != lo else x)
            inner_seqs.append(_row_var(x, _tap_name(x, tap, "sequence", k)))
    if n_steps is None:
        if not lengths:
            raise ValueError("scan: give n_steps or at least one sequence to iterate over")
        n: Any = lengths[0]
        for m in lengths[1:]:
            n = minimum(n, m)
    else:
        n = as_tensor_variable(n_steps)
        if n.type.ndim != 0 or np.dtype(n.type.dtype).kind not in "iu":
            raise TypeError(f"scan: n_steps must be an integer scalar, got {n.type}")
        if isinstance(n, Constant) and int(n.data) < 0:
            raise ValueError(f"scan: n_steps must be >= 0, got {int(n.data)}")
    n = cast(n, "int64") if n.type.dtype != "int64" else n

    # Recurrent outputs: an initial buffer (lag rows) and one placeholder per tap.
    inner_taps: list[list[Variable]] = []
    inits: list[Any] = []
    for k, spec in enumerate(out_specs):
        if spec is None:
            continue
        init, taps = spec
        lag = -taps[0]
        if taps == (-1,):
            row = init
            buf = init[None]
        else:
            if init.type.ndim < 1:
                raise ValueError(
                    f"scan: outputs_info[{k}] with taps {list(taps)} needs an initial value "
                    f"holding {lag} steps (a leading axis of length {lag}), got {init.type}"
                )
            static = init.type.shape[0]
            if static is not None and static != lag:
                raise ValueError(
                    f"scan: outputs_info[{k}] with taps {list(taps)} needs an initial value with "
                    f"{lag} rows, got shape {init.type.shape}"
                )
            row = init[0]
            buf = init
        inits.append(buf)
        inner_taps.append([_row_like(row, f"outputs_info[{k}][t{tap}]") for tap in taps])

    args = [*inner_seqs, *(v for taps in inner_taps for v in taps), *nonseqs]
    result = fn(*args)
    outputs, updates = _split_result(result)
    if info_list and len(outputs) != len(info_list):
        raise ValueError(
            f"scan: fn returned {len(outputs)} output(s) but outputs_info has {len(info_list)} entries"
        )
    if not info_list:
        out_specs = [None] * len(outputs)
    outputs = [as_tensor_variable(o) for o in outputs]

    state_outs = [o for o, s in zip(outputs, out_specs) if s is not None]
    nit_outs = [o for o, s in zip(outputs, out_specs) if s is None]
    state_taps = [s[1] for s in out_specs if s is not None]
    state_pos = [k for k, s in enumerate(out_specs) if s is not None]
    for o, tap_vars, k in zip(state_outs, inner_taps, state_pos):
        _check_state(o, tap_vars[0], k)

    # Shared-variable updates (explicit, then default updates reached inside): last-value states.
    updates = dict(updates)
    inside = list(ancestors([*outputs, *updates.values()], blockers=args))
    drawn_inside: list[Any] = []
    inside_nodes = {v.owner for v in inside if v.owner is not None}
    for v in inside:
        if isinstance(v, SharedVariable) and v not in updates and v.default_update is not None:
            # e.g. a random stream's rng: its draw is made in the loop, so it advances per step.
            upd_nodes = {a.owner for a in ancestors([v.default_update]) if a.owner is not None}
            if upd_nodes & inside_nodes:
                updates[v] = v.default_update
                drawn_inside.append(v)
    upd_targets = list(updates)
    upd_inner: list[Variable] = []
    upd_outs: list[Variable] = []
    for target in upd_targets:
        ph = target.type(name=f"{target.name or 'shared'}[t-1]")
        upd_inner.append(ph)
        upd_outs.append(target.type.filter_variable(updates[target], allow_convert=True))
    if upd_targets:
        # The loop reads each updated shared variable's current value, not its pre-loop one.
        repl = dict(zip(upd_targets, upd_inner))
        rebuilt = clone_replace([*state_outs, *nit_outs, *upd_outs], repl)
        state_outs = rebuilt[: len(state_outs)]
        nit_outs = rebuilt[len(state_outs) : len(state_outs) + len(nit_outs)]
        upd_outs = rebuilt[len(state_outs) + len(nit_outs) :]

    # A tensor's initial buffer holds one row; other values (random generators) are their own.
    all_inits = [*inits, *(t[None] if isinstance(t.type, TensorType) else t for t in upd_targets)]
    all_taps = [*state_taps, *(((-1,),) * len(upd_targets))]
    all_tap_inner = [*inner_taps, *([p] for p in upd_inner)]
    keep = [True] * len(state_outs) + [False] * len(upd_targets) + [True] * len(nit_outs)
    node_outs = build_scan(
        n,
        outer_seqs,
        inner_seqs,
        all_inits,
        all_tap_inner,
        all_taps,
        [*state_outs, *upd_outs],
        nit_outs,
        nonseqs,
        keep=keep,
        truncate_gradient=truncate_gradient,
        name=name,
        strict=strict,
    )
    n_user_states = len(state_outs)
    states_res = node_outs[:n_user_states]
    upd_res = node_outs[n_user_states : n_user_states + len(upd_targets)]
    nit_res = node_outs[n_user_states + len(upd_targets) :]
    it_s, it_n = iter(states_res), iter(nit_res)
    results = [next(it_s) if s is not None else next(it_n) for s in out_specs]
    for r in results:
        if name:
            r.name = name
    new_updates = dict(zip(upd_targets, upd_res))
    for v in drawn_inside:
        # Its default update pointed into the loop body; outside, it is the loop's last value.
        v.default_update = new_updates[v]
    out: Any = results[0] if len(results) == 1 else results
    if return_updates:
        return out, new_updates
    if new_updates:
        raise ValueError(
            "scan: the loop updates shared variables "
            f"({', '.join(str(t) for t in upd_targets)}); call it with return_updates=True "
            "and pass the updates to graft.function"
        )
    return out


def build_scan(
    n_steps: Variable,
    outer_seqs: Sequence[Variable],
    inner_seqs: Sequence[Variable],
    inits: Sequence[Variable],
    inner_taps: Sequence[Sequence[Variable]],
    state_taps: Sequence[Sequence[int]],
    state_outs: Sequence[Variable],
    nit_outs: Sequence[Variable],
    nonseqs: Sequence[Variable],
    *,
    inner_nonseqs: Sequence[Variable] | None = None,
    keep: Sequence[bool] | None = None,
    truncate_gradient: int = -1,
    name: str | None = None,
    strict: bool = False,
) -> list[Any]:
    """Make the `Scan` node of an inner graph given by placeholders and outputs.

    ``nonseqs`` are used by the body as they are (or through ``inner_nonseqs``
    placeholders); every other variable the body reads that is not a
    placeholder is hoisted: computed once outside and passed in.
    """
    outs = [*state_outs, *nit_outs]
    if inner_nonseqs is None:
        # fn read the non-sequences themselves: give each its placeholder.
        nonseqs = list(dict.fromkeys(nonseqs))
        inner_ns = [v.type(name=v.name) for v in nonseqs]
        outs = clone_replace(outs, dict(zip(nonseqs, inner_ns))) if nonseqs else outs
    else:
        inner_ns = list(inner_nonseqs)
    placeholders = [*inner_seqs, *(v for taps in inner_taps for v in taps), *inner_ns]
    # Cut the body at the highest sub-expressions that do not depend on a placeholder.
    outer_ns = list(nonseqs)
    replace: dict[Variable, Variable] = {}
    for v in _free_variables(outs, placeholders):
        if strict and v.owner is None:
            raise ValueError(
                f"scan: fn uses {v} without receiving it (strict=True): pass it in non_sequences"
            )
        ph = v.type(name=v.name)
        replace[v] = ph
        outer_ns.append(v)
    if replace:
        outs = clone_replace(outs, replace)
    inner_ns = [*inner_ns, *replace.values()]
    fg = FunctionGraph([*placeholders, *replace.values()], outs, clone=True)
    info = ScanInfo(
        n_seqs=len(inner_seqs),
        state_taps=state_taps,
        n_nit=len(nit_outs),
        n_nonseqs=len(inner_ns),
        keep=keep,
        truncate_gradient=truncate_gradient,
        name=name,
    )
    op = Scan(fg, info)
    res = op(n_steps, *outer_seqs, *inits, *outer_ns, return_list=True)
    return list(res)


def _free_variables(outs: Sequence[Variable], placeholders: Sequence[Variable]) -> list[Variable]:
    """Variables the body reads that do not depend on ``placeholders`` (constants
    excepted), highest first: each becomes a non-sequence."""
    ph = set(placeholders)
    depends: dict[Variable, bool] = {p: True for p in ph}
    nodes = io_toposort([v for v in graph_inputs(outs) if v not in ph] + list(ph), outs)
    for node in nodes:
        dep = any(depends.get(i, False) for i in node.inputs)
        for o in node.outputs:
            depends[o] = dep
    free: dict[Variable, None] = {}
    for node in nodes:
        if any(depends.get(o, False) for o in node.outputs):
            for i in node.inputs:
                if not depends.get(i, False) and not isinstance(i, Constant):
                    free[i] = None
    for o in outs:
        if not depends.get(o, False) and not isinstance(o, Constant):
            free[o] = None
    return list(free)


def _seq_spec(s: Any, k: int) -> tuple[Any, tuple[int, ...]]:
    if isinstance(s, Mapping):
        if "input" not in s:
            raise ValueError(f"scan: sequences[{k}] is a dict without 'input'")
        x: Any = as_tensor_variable(s["input"])
        taps = tuple(sorted(int(t) for t in _as_list(s.get("taps", [0])))) or (0,)
    else:
        x = as_tensor_variable(s)
        taps = (0,)
    if x.type.ndim < 1:
        raise ValueError(f"scan: sequences[{k}] must have at least one dimension, got {x.type}")
    return x, taps


def _out_spec(o: Any, k: int) -> tuple[Any, tuple[int, ...]] | None:
    if o is None:
        return None
    if isinstance(o, Mapping):
        init = o.get("initial")
        if init is None:
            return None
        taps = tuple(sorted(int(t) for t in _as_list(o.get("taps", [-1]))))
        if not taps:
            return None
        if any(t >= 0 for t in taps):
            raise ValueError(f"scan: outputs_info[{k}] taps must be negative, got {list(taps)}")
        return as_tensor_variable(init), taps
    return as_tensor_variable(o), (-1,)


def _tap_name(x: Variable, tap: int, what: str, k: int) -> str:
    base = x.name or f"{what}[{k}]"
    return f"{base}[t{tap:+d}]" if tap else f"{base}[t]"


def _row_like(row: Any, name: str) -> Any:
    t = row.type
    assert isinstance(t, TensorType)
    return TensorType(t.dtype, shape=t.shape)(name=name)


def _check_state(out: Any, tap: Any, k: int) -> None:
    """A recurrent output must have its initial value's dtype and rank."""
    ot, tt = out.type, tap.type
    assert isinstance(tt, TensorType)
    if not isinstance(ot, TensorType) or ot.dtype != tt.dtype or ot.ndim != tt.ndim:
        raise TypeError(
            f"scan: outputs_info[{k}] is {tt} but fn returns {ot} for that output; "
            "the initial value must have the dtype and number of dimensions of what fn returns "
            "(cast one of them)"
        )
    for d, (a, b) in enumerate(zip(ot.shape, tt.shape)):
        if a is not None and b is not None and a != b:
            raise ValueError(
                f"scan: outputs_info[{k}] has shape {tt.shape} but fn returns shape {ot.shape} "
                f"(axis {d}) for that output"
            )


def _split_result(result: Any) -> tuple[list[Any], dict[Any, Any]]:
    """``fn``'s return value as (outputs, updates)."""
    if isinstance(result, Mapping):
        return [], dict(result)
    if isinstance(result, tuple) and len(result) == 2 and isinstance(result[1], Mapping):
        return _as_list(result[0]), dict(result[1])
    if isinstance(result, tuple | list):
        if any(isinstance(r, Mapping) for r in result):
            raise TypeError("scan: fn must return (outputs, updates) with the updates dict last")
        return list(result), {}
    return [result], {}


def map(fn: Callable[..., Any], sequences: Any, non_sequences: Any = None, **kwargs: Any) -> Any:
    """``fn`` applied to every row of the sequences (a scan without recurrence).

    Example::

        squares, _ = map(lambda v: v ** 2, sequences=x)
    """
    return scan(fn, sequences=sequences, non_sequences=non_sequences, **kwargs)


def reduce(
    fn: Callable[..., Any],
    sequences: Any,
    outputs_info: Any,
    non_sequences: Any = None,
    **kwargs: Any,
) -> Any:
    """Like `scan`, returning only the last value of each output.

    Example::

        total, _ = reduce(lambda v, acc: acc + v, sequences=x, outputs_info=gt.constant(0.0))
    """
    outs, upd = scan(
        fn, sequences=sequences, outputs_info=outputs_info, non_sequences=non_sequences, **kwargs
    )
    last = [o[-1] for o in outs] if isinstance(outs, list) else outs[-1]
    return last, upd


def foldl(
    fn: Callable[..., Any], sequences: Any, outputs_info: Any, non_sequences: Any = None, **kw: Any
) -> Any:
    """`reduce` from the first row to the last."""
    return reduce(fn, sequences, outputs_info, non_sequences, **kw)


def foldr(
    fn: Callable[..., Any], sequences: Any, outputs_info: Any, non_sequences: Any = None, **kw: Any
) -> Any:
    """`reduce` from the last row to the first."""
    return reduce(fn, sequences, outputs_info, non_sequences, go_backwards=True, **kw)
