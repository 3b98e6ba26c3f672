"""A `Scan` whose recurrent state is drawn from a distribution at every step.

``scan(lambda x_prev: normal(rho * x_prev, sigma), outputs_info=x0, n_steps=n)``
(an AR(1) process; any taps, sequences and non-sequences) becomes a
`MeasurableScan` when its one tensor state is a random draw of the body and
its other states are the rngs the draws advance. The density of a history
``v`` is another Scan, over the steps, of the body's log-density of ``v[t]``
with the past values ``s[t + tap]`` read from ``concatenate([init, v])``:
``log p(v) = sum_t log p(v[t] | v[t-1], ...)``.

Example::

    srng = gr.RandomStream(0)
    xs, updates = scan(lambda x: srng.normal(0.8 * x, 1.0), outputs_info=x0, n_steps=10)
    logp(xs, v)      # the 10 one-step log-densities N(v[t] | 0.8 v[t-1], 1)
"""

from __future__ import annotations

from typing import Any, ClassVar

import graft.tensor as gt
from graft.graph.basic import Apply, Variable, ancestors, clone_replace
from graft.graph.op import Op
from graft.graph.rewriting.basic import node_rewriter
from graft.scan import Scan
from graft.tensor.random import RandomVariable
from graft.tensor.type import TensorType
from graft_ppl.abstract import (
    LOGP,
    MeasurableOp,
    MissingValueError,
    describe,
    is_measurable,
    measurable_logp,
)

__all__ = ["MeasurableScan", "measurable_scan"]


class MeasurableScan(MeasurableOp):
    """A `Scan` (``base_op``) whose state ``state`` is a draw at every step."""

    __props__: ClassVar[tuple[str, ...]] = ("base_op", "state")

    def __init__(self, base_op: Op, state: int) -> None:
        super().__init__(base_op)
        self.state = int(state)


def _drawn_state(op: Scan) -> int | None:
    """The one tensor state whose new value is a draw of the body (the others must be
    rngs), or None."""
    info = op.info
    if info.n_nit:
        return None
    tensor_states = [k for k in range(info.n_states) if not op.is_opaque_state(k)]
    if len(tensor_states) != 1 or not info.keep[tensor_states[0]]:
        return None
    (k,) = tensor_states
    return k if is_measurable(op.inner_outputs[k]) else None


@node_rewriter([Scan])
def measurable_scan(fgraph: Any, node: Apply) -> list[Variable] | None:
    """Scan whose one tensor state is drawn at every step -> `MeasurableScan`."""
    op: Any = node.op
    k = _drawn_state(op)
    if k is None:
        return None
    new = MeasurableScan(op, k).make_node(*node.inputs)
    return list(new.outputs)


@LOGP.register(MeasurableScan)
def scan_logp(op: Op, value: Any, node: Apply) -> Any:
    assert isinstance(op, MeasurableScan)
    base: Any = op.base_op
    info = base.info
    k = op.state
    n_steps, seqs, inits, nonseqs = base.outer_parts(node)
    v: Any = gt.as_tensor_variable(value)
    init: Any = inits[k]
    lag = info.lags[k]
    series: Any = gt.concatenate([gt.cast(init, v.type.dtype), v], axis=0)
    taps = info.state_taps[k]
    # Per tap, the sequence whose row t is s[t + tap].
    tap_seqs = [series[lag + tap : lag + tap + n_steps] for tap in taps]

    inner_seq_in = base.inner_seqs()
    inner_taps = base.inner_taps()[k]
    inner_nonseq_in = base.inner_nonseqs()
    row_type: Any = base.inner_outputs[k].type
    value_row = TensorType(row_type.dtype, row_type.shape)(name="value_t")
    step_logp = measurable_logp(base.inner_outputs[k], value_row)
    for a in ancestors([step_logp]):
        owner = a.owner
        if owner is not None and isinstance(owner.op, MeasurableOp | RandomVariable):
            raise MissingValueError(
                "scan: the density of a step depends on a random variable of the loop body "
                f"that has no value:\n{describe(a, depth=3)}"
            )

    def step(*args: Any) -> Any:
        i = 0
        reps: dict[Variable, Any] = {}
        for inner in inner_seq_in:
            reps[inner] = args[i]
            i += 1
        reps[value_row] = args[i]
        i += 1
        for inner in inner_taps:
            reps[inner] = args[i]
            i += 1
        for inner in inner_nonseq_in:
            reps[inner] = args[i]
            i += 1
        return clone_replace(step_logp, reps)

    from graft.scan import scan

    outer_nonseqs = [
        x for x, inner in zip(nonseqs, inner_nonseq_in) if isinstance(inner.type, TensorType)
    ]
    if len(outer_nonseqs) != len(nonseqs):
        raise MissingValueError("scan: a non-tensor loop invariant reaches a step's density")
    logps = scan(
        step,
        sequences=[*seqs, v, *tap_seqs],
        non_sequences=list(nonseqs),
        n_steps=n_steps,
        return_updates=False,
        strict=True,
    )
    return logps


REWRITES = [("measurable_scan", measurable_scan)]
