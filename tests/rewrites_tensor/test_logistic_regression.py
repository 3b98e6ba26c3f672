"""FAST_RUN on a logistic-regression log-likelihood and its gradient: stable, fused, correct."""

from __future__ import annotations

import io

import numpy as np
import pytest

import graft
import graft.tensor as gt
from graft.compile.profiling import ProfileStats
from graft.scalar import Composite
from graft.tensor.elemwise import Elemwise


def model():
    X = gt.matrix("X")
    y = gt.vector("y")
    w = gt.vector("w")
    b = gt.scalar("b")
    p = gt.sigmoid(X @ w + b)
    loglik = (y * gt.log(p) + (1 - y) * gt.log(1 - p)).sum()
    gw, gb = graft.grad(loglik, [w, b])
    return [X, y, w, b], [loglik, gw, gb]


def data(scale):
    rng = np.random.default_rng(42)
    X = rng.normal(size=(64, 3)) * scale
    y = (rng.uniform(size=64) < 0.5).astype("float64")
    return X, y, rng.normal(size=3), np.array(0.25)


def scalar_ops(f):
    """Scalar ops applied by the compiled graph, looking inside fused Composites."""
    names = set()
    for node in f.maker.fgraph.apply_nodes:
        if isinstance(node.op, Elemwise):
            sop = node.op.scalar_op
            if isinstance(sop, Composite):
                names.update(str(n.op) for n in sop.fgraph.apply_nodes)
            else:
                names.add(str(sop))
    return names


def test_fast_run_is_stable_fused_and_agrees_with_fast_compile():
    inputs, outputs = model()
    fast_run = graft.function(inputs, outputs, mode="FAST_RUN")
    fast_compile = graft.function(inputs, outputs, mode="FAST_COMPILE")

    ops = scalar_ops(fast_run)
    assert "softplus" in ops, ops
    assert "log" not in ops, ops  # every log(sigmoid(.)) / log(1 - sigmoid(.)) became softplus
    fused = [
        n
        for n in fast_run.maker.fgraph.apply_nodes
        if isinstance(getattr(n.op, "scalar_op", None), Composite)
    ]
    assert fused, "no fused elemwise node"
    assert len(fast_run.maker.fgraph.apply_nodes) < len(fast_compile.maker.fgraph.apply_nodes)

    # Moderate inputs: both modes are finite and agree.
    for got, want in zip(fast_run(*data(1.0)), fast_compile(*data(1.0))):
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)

    # Large logits: the unrewritten graph overflows to -inf/nan; FAST_RUN stays finite.
    with np.errstate(all="ignore"):
        naive = fast_compile(*data(300.0))
    stable = fast_run(*data(300.0))
    assert not np.isfinite(naive[0]) or np.isnan(naive[1]).any()
    assert all(np.all(np.isfinite(v)) for v in stable)


def test_rewriter_profile_shows_the_rewrite_sets():
    inputs, outputs = model()
    stats = ProfileStats(message="logreg")
    with graft.change_flags(profile_optimizer=True):
        graft.function(inputs, outputs, mode="FAST_RUN", profile=stats)
        buf = io.StringIO()
        stats.summary(buf)
    text = buf.getvalue()
    assert "Rewriter Profile" in text
    for stage in ("canonicalize", "stabilize", "specialize", "elemwise_fusion"):
        assert stage in text, stage
    assert "local_log_sigmoid" in text or "softplus" in text


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_float32_stays_float32(dtype):
    X = gt.matrix("X", dtype=dtype)
    w = gt.vector("w", dtype=dtype)
    out = gt.log(gt.sigmoid(X @ w)).sum()
    f = graft.function([X, w], out, mode="FAST_RUN")
    assert f.maker.fgraph.outputs[0].type.dtype == dtype
    rng = np.random.default_rng(0)
    res = f(rng.normal(size=(5, 2)).astype(dtype), rng.normal(size=2).astype(dtype))
    assert np.asarray(res).dtype == dtype
