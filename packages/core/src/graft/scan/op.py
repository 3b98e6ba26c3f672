"""The `Scan` Op: a loop whose body is an inner graph, run ``n_steps`` times.

Layout (all positions are fixed by `ScanInfo`):

- outer inputs: ``n_steps`` (an integer scalar), then the *sequences* (step
  ``t`` reads row ``t`` of each; a tap of the user's sequence is its own,
  pre-shifted, sequence), then one *initial buffer* per recurrent state
  (shape ``(lag, *row)``: the ``lag`` values before step 0, oldest first),
  then the *non-sequences* (loop invariants).
- inner inputs: one row per sequence, then each state's taps (``s[t+tap]``
  for its negative taps, in increasing order), then the non-sequences.
- inner outputs: each state's new value ``s[t]``, then the per-step outputs
  that are not fed back ("nit" outputs).
- outer outputs: per state and per nit output either the whole history
  (``(n_steps, *row)``) or, where `ScanInfo.keep` says so, the last value only
  (what the memory rewrite leaves when nothing reads the history).

Users build it with `graft.scan.scan`; the gradient is another `Scan`
(`graft.scan.grad`), running backwards.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any

import numpy as np

from graft.graph.basic import Apply, Constant, Variable
from graft.graph.fg import FunctionGraph
from graft.graph.op import Op
from graft.graph.utils import Props
from graft.link.cache_key import graph_key
from graft.link.reference import ReferenceLinker
from graft.tensor.basic import as_tensor_variable
from graft.tensor.type import TensorType

__all__ = ["Scan", "ScanInfo"]


class ScanInfo(Props):
    """The static layout of a `Scan` (see the module docstring).

    Example::

        ScanInfo(n_seqs=1, state_taps=((-1,),), n_nit=0, n_nonseqs=0, keep=(True,))
    """

    __props__ = (
        "n_seqs",
        "state_taps",
        "n_nit",
        "n_nonseqs",
        "keep",
        "truncate_gradient",
        "name",
        "rewritten",
    )

    def __init__(
        self,
        n_seqs: int,
        state_taps: Sequence[Sequence[int]],
        n_nit: int,
        n_nonseqs: int,
        keep: Sequence[bool] | None = None,
        truncate_gradient: int = -1,
        name: str | None = None,
        rewritten: bool = False,
    ) -> None:
        self.n_seqs = int(n_seqs)
        self.state_taps = tuple(tuple(sorted(int(t) for t in taps)) for taps in state_taps)
        for taps in self.state_taps:
            if not taps or taps[-1] >= 0 or len(set(taps)) != len(taps):
                raise ValueError(f"scan: state taps must be distinct negative ints, got {taps}")
        self.n_nit = int(n_nit)
        self.n_nonseqs = int(n_nonseqs)
        n_out = len(self.state_taps) + self.n_nit
        self.keep = tuple(bool(k) for k in keep) if keep is not None else (True,) * n_out
        if len(self.keep) != n_out:
            raise ValueError(f"scan: keep has {len(self.keep)} entries for {n_out} outputs")
        self.truncate_gradient = int(truncate_gradient)
        self.name = name
        # The body already went through the fast_run rewrites (see scan_rewrite_inner).
        self.rewritten = bool(rewritten)

    @property
    def n_states(self) -> int:
        return len(self.state_taps)

    @property
    def lags(self) -> tuple[int, ...]:
        """Per state, how many past values it reads (its initial buffer's length)."""
        return tuple(-taps[0] for taps in self.state_taps)

    @property
    def n_tap_inputs(self) -> int:
        return sum(len(t) for t in self.state_taps)

    def replace(self, **changes: Any) -> ScanInfo:
        """A copy with some fields changed."""
        fields = self._props_dict()
        fields.update(changes)
        return ScanInfo(**fields)


class Scan(Op):
    """A loop over an inner `FunctionGraph` (see the module docstring for the layout).

    Build it with `graft.scan.scan`; two Scans with equal inner graphs and
    layouts compare equal (so merging works on them).

    Example::

        s = gt.dscalar("s")                      # the inner graph: s -> s * 2
        op = Scan(FunctionGraph([s], [s * 2]), ScanInfo(0, ((-1,),), 0, 0))
        hist = op(gt.constant(3), gt.as_tensor_variable(np.ones(1)))  # [2., 4., 8.]
    """

    __props__ = ("info", "signature")

    def __init__(self, fgraph: FunctionGraph, info: ScanInfo) -> None:
        self.fgraph = fgraph
        self.info = info
        n_in = info.n_seqs + info.n_tap_inputs + info.n_nonseqs
        if len(fgraph.inputs) != n_in:
            raise ValueError(
                f"scan: the inner graph has {len(fgraph.inputs)} inputs, expected {n_in}"
            )
        if len(fgraph.outputs) != info.n_states + info.n_nit:
            raise ValueError(
                f"scan: the inner graph has {len(fgraph.outputs)} outputs, "
                f"expected {info.n_states + info.n_nit}"
            )
        for k, taps in enumerate(info.state_taps):
            if not isinstance(
                fgraph.inputs[info.n_seqs + sum(map(len, info.state_taps[:k]))].type, TensorType
            ):
                if taps != (-1,) or info.keep[k]:
                    raise ValueError(
                        f"scan: state {k} is not a tensor: it must read only its previous "
                        "value and keep only its last one"
                    )
        # Structural identity of the body; an unstable graph is only equal to itself.
        self.signature = graph_key(fgraph) or f"id{id(fgraph)}"
        self._compiled: Any = None

    # -- layout helpers ------------------------------------------------------

    @property
    def inner_inputs(self) -> list[Variable]:
        """The body's inputs (what `graft.dprint` shows under "Inner graphs")."""
        return list(self.fgraph.inputs)

    @property
    def inner_outputs(self) -> list[Variable]:
        return list(self.fgraph.outputs)

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["_compiled"] = None  # compiled code is rebuilt where it is unpickled
        return state

    def inner_seqs(self) -> list[Variable]:
        return list(self.fgraph.inputs[: self.info.n_seqs])

    def inner_taps(self) -> list[list[Variable]]:
        """Per state, its tap inputs (in the order of ``info.state_taps``)."""
        out, k = [], self.info.n_seqs
        for taps in self.info.state_taps:
            out.append(list(self.fgraph.inputs[k : k + len(taps)]))
            k += len(taps)
        return out

    def inner_nonseqs(self) -> list[Variable]:
        return list(self.fgraph.inputs[len(self.fgraph.inputs) - self.info.n_nonseqs :])

    def is_opaque_state(self, k: int) -> bool:
        """Whether state ``k`` is not a tensor (e.g. a random generator): it reads only its
        previous value, its initial value is that value itself, and only its last value
        is an output."""
        return not isinstance(self.inner_taps()[k][0].type, TensorType)

    def outer_parts(
        self, node: Apply
    ) -> tuple[Variable, list[Variable], list[Variable], list[Variable]]:
        """``(n_steps, sequences, initial buffers, non-sequences)`` of ``node``."""
        i = self.info
        ins = list(node.inputs)
        seqs = ins[1 : 1 + i.n_seqs]
        inits = ins[1 + i.n_seqs : 1 + i.n_seqs + i.n_states]
        return ins[0], seqs, inits, ins[1 + i.n_seqs + i.n_states :]

    def __str__(self) -> str:
        return f"Scan{{{self.info.name}}}" if self.info.name else "Scan"

    # -- graph building ----------------------------------------------------------

    def make_node(self, n_steps: Any, *outer: Any) -> Apply:
        i = self.info
        n: Any = as_tensor_variable(n_steps)
        if n.type.ndim != 0 or np.dtype(n.type.dtype).kind not in "iu":
            raise TypeError(f"{self}: n_steps must be an integer scalar, got {n.type}")
        expected = i.n_seqs + i.n_states + i.n_nonseqs
        if len(outer) != expected:
            raise ValueError(f"{self}: expected {expected} inputs after n_steps, got {len(outer)}")
        outer_vars = [as_tensor_variable(v) if not isinstance(v, Variable) else v for v in outer]
        seqs = outer_vars[: i.n_seqs]
        inits = outer_vars[i.n_seqs : i.n_seqs + i.n_states]
        nonseqs = outer_vars[i.n_seqs + i.n_states :]
        for k, (s, inner) in enumerate(zip(seqs, self.inner_seqs())):
            _check_rows(self, f"sequence {k}", s, inner.type)
        for k, (b, taps) in enumerate(zip(inits, self.inner_taps())):
            if self.is_opaque_state(k):
                if b.type != taps[0].type:
                    raise TypeError(
                        f"{self}: initial value of state {k} has type {b.type}, "
                        f"expected {taps[0].type}"
                    )
                continue
            _check_rows(self, f"initial value of state {k}", b, taps[0].type)
        checked_nonseqs = []
        for k, (v, inner) in enumerate(zip(nonseqs, self.inner_nonseqs())):
            try:
                checked_nonseqs.append(inner.type.filter_variable(v, allow_convert=True))
            except TypeError as e:
                raise TypeError(
                    f"{self}: non-sequence {k} has type {v.type}, expected {inner.type}"
                ) from e
        static_n = int(n.data) if isinstance(n, Constant) else None
        outs = []
        for k, (o, keep) in enumerate(zip(self.fgraph.outputs, i.keep)):
            row = o.type if k >= i.n_states else self.inner_taps()[k][0].type
            if k < i.n_states and self.is_opaque_state(k):
                outs.append(row())
                continue
            assert isinstance(row, TensorType)
            shape = (static_n, *row.shape) if keep else row.shape
            outs.append(TensorType(row.dtype, shape=shape)())
        return Apply(self, [n, *seqs, *inits, *checked_nonseqs], outs)

    def do_constant_folding(self, fgraph: Any, node: Apply) -> bool:
        return False  # a loop may be long or random; computing it at compile time is no gain

    def infer_shape(self, fgraph: Any, node: Apply, input_shapes: list[Any]) -> list[Any]:
        i = self.info
        n = node.inputs[0]
        init_shapes = input_shapes[1 + i.n_seqs : 1 + i.n_seqs + i.n_states]
        out: list[Any] = []
        for k, keep in enumerate(i.keep):
            if k < i.n_states and self.is_opaque_state(k):
                out.append(None)
                continue
            if k < i.n_states:
                row = tuple(init_shapes[k][1:])
            else:
                o = self.fgraph.outputs[k]
                row = tuple(o.type.shape)  # type: ignore[attr-defined]
            out.append((n, *row) if keep else row)
        return out

    # -- running (the reference backend) -------------------------------------

    def _body(self) -> Any:
        if self._compiled is None:
            fg = self.fgraph.clone()
            ifelse = sys.modules.get("graft.ifelse")
            if ifelse is not None:
                ifelse.lower_ifelse(fg)  # an ifelse in the body evaluates one branch per step
            self._compiled = ReferenceLinker().compile(fg).fn
        return self._compiled

    def perform(self, node: Apply, inputs: Sequence[Any], output_storage: list[list[Any]]) -> None:
        i = self.info
        body = self._body()
        n = int(inputs[0])
        if n < 0:
            raise ValueError(f"{self}: n_steps must be >= 0, got {n}")
        seqs = inputs[1 : 1 + i.n_seqs]
        inits = inputs[1 + i.n_seqs : 1 + i.n_seqs + i.n_states]
        nonseqs = list(inputs[1 + i.n_seqs + i.n_states :])
        for k, s in enumerate(seqs):
            if s.shape[0] < n:
                raise ValueError(
                    f"{self}: sequence {k} has {s.shape[0]} rows, fewer than n_steps={n}"
                )
        windows: list[list[Any]] = []
        opaque = [self.is_opaque_state(k) for k in range(i.n_states)]
        for k, (b, lag) in enumerate(zip(inits, i.lags)):
            if opaque[k]:
                windows.append([b])
                continue
            if b.shape[0] != lag:
                raise ValueError(
                    f"{self}: the initial value of state {k} must hold {lag} step(s), got shape {b.shape}"
                )
            windows.append([b[r] for r in range(lag)])
        outs = self.fgraph.outputs
        hist: list[Any] = [None] * len(outs)
        last: list[Any] = [None] * len(outs)
        row_shapes = [() if o else b.shape[1:] for b, o in zip(inits, opaque)]
        for t in range(n):
            args = [s[t] for s in seqs]
            for w, taps, lag in zip(windows, i.state_taps, i.lags):
                args.extend(w[lag + tap] for tap in taps)
            args.extend(nonseqs)
            res = body(*args)
            for k, r in enumerate(res):
                if k < i.n_states and opaque[k]:
                    windows[k] = [r]
                    continue
                r = np.asarray(r)
                if k < i.n_states:
                    if r.shape != row_shapes[k]:
                        raise ValueError(
                            f"{self}: state {k} must keep the shape {row_shapes[k]} of its initial "
                            f"value, but step {t} gave shape {r.shape}"
                        )
                    windows[k] = [*windows[k][1:], r.copy()]
                elif t and r.shape != last[k].shape:
                    raise ValueError(
                        f"{self}: output {k} changed shape from {last[k].shape} to {r.shape} "
                        f"at step {t}; every step must give the same shape"
                    )
                if i.keep[k]:
                    if hist[k] is None:
                        hist[k] = np.empty((n, *r.shape), dtype=outs[k].type.dtype)  # type: ignore[attr-defined]
                    hist[k][t] = r
                last[k] = r
        for k, (o, keep) in enumerate(zip(node.outputs, i.keep)):
            if k < i.n_states and opaque[k]:
                output_storage[k][0] = windows[k][-1]
                continue
            dtype = o.type.dtype  # type: ignore[attr-defined]
            if k < i.n_states:
                value = (
                    (hist[k] if n else np.empty((0, *row_shapes[k]), dtype))
                    if keep
                    else (windows[k][-1])
                )
            elif keep:
                value = hist[k] if n else np.empty(_empty_shape(o), dtype)
            else:
                if not n:
                    raise IndexError(f"{self}: output {k} has no last value: the loop ran 0 steps")
                value = last[k]
            output_storage[k][0] = np.asarray(value, dtype=dtype).copy() if not keep else value

    # -- gradient --------------------------------------------------------------

    def L_op(
        self,
        inputs: Sequence[Variable],
        outputs: Sequence[Variable],
        output_grads: Sequence[Variable],
    ) -> list[Variable]:
        from graft.scan.grad import scan_grad

        return scan_grad(self, list(inputs), list(outputs), list(output_grads))


def _empty_shape(o: Variable) -> tuple[int, ...]:
    """The shape of a 0-step history: unknown row sizes are 0."""
    return (0, *(d or 0 for d in o.type.shape[1:]))  # type: ignore[attr-defined]


def _check_rows(op: Scan, what: str, outer: Any, row_type: Any) -> None:
    """``outer`` must be a tensor of rows of ``row_type`` (one more dimension, same dtype)."""
    t = outer.type
    if not isinstance(t, TensorType) or t.ndim != row_type.ndim + 1 or t.dtype != row_type.dtype:
        raise TypeError(
            f"{op}: {what} must have {row_type.ndim + 1} dimensions of dtype {row_type.dtype} "
            f"(rows of {row_type}), got {t}"
        )
