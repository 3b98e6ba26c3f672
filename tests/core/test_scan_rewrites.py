"""Rewrites of Scan nodes: each keeps values (checked against the unrewritten graph) and
does what it promises to the compiled graph."""

from __future__ import annotations

import numpy as np
import pytest

import graft
import graft.tensor as gt
from graft.compile.mode import Mode
from graft.scan import Scan, scan

RNG = np.random.default_rng(7)
RAW = Mode(linker="py", optimizer=None)


def scans(f):
    return [n for n in f.maker.fgraph.toposort() if isinstance(n.op, Scan)]


def same_values(inputs, outputs, *values):
    fast = graft.function(inputs, outputs, mode="FAST_RUN")
    raw = graft.function(inputs, outputs, mode=RAW)
    for a, b in zip(fast(*values), raw(*values)):
        np.testing.assert_allclose(a, b, rtol=1e-12)
    return fast


def test_unused_outputs_and_what_only_they_read_are_removed():
    x, y = gt.dvector("x"), gt.dvector("y")
    (a, b, c), _ = scan(
        lambda xt, yt, s, w: (s + xt, w * yt, xt * 2),
        sequences=[x, y],
        outputs_info=[gt.constant(0.0), gt.constant(1.0), None],
    )
    f = same_values([x, y], [a * 1.0], RNG.normal(size=5), RNG.normal(size=5))
    (node,) = scans(f)
    assert node.op.info.n_states == 1 and node.op.info.n_nit == 0 and node.op.info.n_seqs == 1


def test_a_state_read_by_a_kept_output_stays():
    x = gt.dvector("x")
    (s, t), _ = scan(
        lambda xt, s, t: (s + xt, t + s),
        sequences=x,
        outputs_info=[gt.constant(0.0), gt.constant(0.0)],
    )
    f = same_values([x], [t], RNG.normal(size=6))
    (node,) = scans(f)
    assert node.op.info.n_states == 2


def test_loop_invariants_are_computed_once_outside():
    x, w = gt.dvector("x"), gt.dvector("w")
    out, _ = scan(lambda xt, w: xt * gt.exp(w).sum(), sequences=x, non_sequences=w)
    f = same_values([x, w], [out], RNG.normal(size=4), RNG.normal(size=3))
    (node,) = scans(f)
    inner_ops = {type(n.op).__name__ for n in node.op.fgraph.toposort()}
    assert not any("Sum" in name or "Reduce" in name for name in inner_ops), inner_ops


def test_last_value_only_keeps_no_history():
    x = gt.dvector("x")
    out, _ = scan(lambda xt, acc: acc * 0.5 + xt, sequences=x, outputs_info=gt.constant(0.0))
    f = same_values([x], [out[-1]], RNG.normal(size=7))
    (node,) = scans(f)
    assert node.op.info.keep == (False,)
    assert node.outputs[0].type.ndim == 0
    with pytest.raises(IndexError):
        graft.function([x], scan(lambda xt: xt * 2, sequences=x)[0][-1])(np.array([]))
    with pytest.raises(IndexError):  # as out[-1] of an empty history does without the rewrite
        f(np.array([]))


def test_history_read_elsewhere_is_kept():
    x = gt.dvector("x")
    out, _ = scan(lambda xt, acc: acc + xt, sequences=x, outputs_info=gt.constant(0.0))
    f = same_values([x], [out[-1], out.sum()], RNG.normal(size=4))
    (node,) = scans(f)
    assert node.op.info.keep == (True,)


def test_independent_scans_over_the_same_steps_merge():
    x = gt.dvector("x")
    a, _ = scan(lambda xt, s: s + xt, sequences=x, outputs_info=gt.constant(0.0))
    b, _ = scan(lambda xt, p: p * xt, sequences=x, outputs_info=gt.constant(1.0))
    f = same_values([x], [a, b], RNG.normal(size=5))
    assert len(scans(f)) == 1


def test_dependent_scans_do_not_merge():
    x = gt.dvector("x")
    a, _ = scan(lambda xt, s: s + xt, sequences=x, outputs_info=gt.constant(0.0))
    b, _ = scan(lambda at, p: p * at, sequences=a, outputs_info=gt.constant(1.0))
    f = same_values([x], [b], RNG.normal(size=5))
    assert len(scans(f)) == 2


def test_gradient_graphs_keep_values_under_rewrites():
    x, w = gt.dvector("x"), gt.dscalar("w")
    out, _ = scan(
        lambda xt, s, w: gt.tanh(s * w + xt),
        sequences=x,
        outputs_info=gt.constant(0.1),
        non_sequences=w,
    )
    cost = out[-1] + out.sum()
    same_values([x, w], gt.grad(cost, [x, w]), RNG.normal(size=6), 0.7)


def test_integer_loops_keep_values():
    x = gt.lvector("x")
    out, _ = scan(lambda xt, acc: acc * 3 + xt, sequences=x, outputs_info=gt.constant(np.int64(1)))
    same_values([x], [out, out[-1]], np.arange(5))
