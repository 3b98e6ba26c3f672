"""Scan, ifelse and OpFromGraph under the JAX backend: lax.scan / lax.cond / inlined
graphs, equal to the reference backend (values, dtypes, shapes) and lazy where it should be."""

from __future__ import annotations

import numpy as np
import pytest

import graft
import graft.tensor as gt
from graft.compile.builders import OpFromGraph
from graft.link.basic import UnsupportedOpError
from graft.scan import Scan, scan

RNG = np.random.default_rng(11)


def same(inputs, outputs, *cases):
    fj = graft.function(inputs, outputs, mode="JAX")
    fp = graft.function(inputs, outputs, mode="PY")
    for args in cases:
        for g, w in zip(fj(*args), fp(*args)):
            g, w = np.asarray(g), np.asarray(w)
            assert g.dtype == w.dtype and g.shape == w.shape, (g.dtype, w.dtype, g.shape, w.shape)
            np.testing.assert_allclose(g, w, rtol=1e-10, atol=1e-12)
    return fj


def test_loops_and_gradients():
    y, x = gt.dvector("y"), gt.dmatrix("x")
    rho = gt.dscalar("rho")
    a0 = gt.dvector("a0")
    terms, _ = scan(
        lambda yp, yt, r: -0.5 * (yt - r * yp) ** 2,
        sequences=dict(input=y, taps=[-1, 0]),
        non_sequences=rho,
    )
    fib, _ = scan(
        lambda a2, a1, r: a2 * r + a1,
        outputs_info=dict(initial=a0, taps=[-2, -1]),
        non_sequences=rho,
        n_steps=5,
    )
    rows, _ = scan(
        lambda row, acc: acc * 0.5 + gt.tanh(row), sequences=x, outputs_info=gt.zeros((3,))
    )
    lp = terms.sum() + fib[-1] + rows.sum()
    outs = [terms, fib, rows, rows[-1], *gt.grad(lp, [rho, a0, x])]
    f = same(
        [y, x, rho, a0],
        outs,
        (RNG.normal(size=6), RNG.normal(size=(4, 3)), 0.8, RNG.normal(size=2)),
        (RNG.normal(size=2), RNG.normal(size=(1, 3)), -0.3, RNG.normal(size=2)),
    )
    assert any(isinstance(n.op, Scan) for n in f.maker.fgraph.toposort())


def test_zero_steps():
    x, s = gt.dvector("x"), gt.dvector("s")
    out, _ = scan(lambda xt, acc: acc + xt, sequences=x, outputs_info=s)
    same([x, s], [out], (np.array([]), np.ones(1)))
    f = graft.function([x, s], out[-1], mode="JAX")
    with pytest.raises(IndexError):
        f(np.array([]), np.ones(1))


def test_ifelse_and_opfromgraph():
    x, y = gt.dvector("x"), gt.dvector("y")
    a, b = gt.dvector("a"), gt.dvector("b")
    dense = OpFromGraph([a, b], [gt.tanh(a * b) + 1], name="dense")
    out = graft.ifelse(x.sum() > 0, gt.exp(x) * 2, y - 1)
    same(
        [x, y],
        [out, dense(x, y), gt.grad(dense(x, y).sum(), x)],
        (RNG.normal(size=3) + 2, RNG.normal(size=3)),
        (RNG.normal(size=3) - 2, RNG.normal(size=3)),
    )


def test_random_loops_are_refused_with_the_op_named():
    from graft.tensor.random import RandomStream

    srng = RandomStream(seed=1)
    steps, upd = scan(
        lambda prev: prev + srng.normal(0, 1), outputs_info=gt.constant(0.0), n_steps=3
    )
    with pytest.raises(UnsupportedOpError, match="Scan"):
        graft.function([], steps, updates=upd, mode="JAX")
