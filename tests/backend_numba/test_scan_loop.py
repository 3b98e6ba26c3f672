"""Scan on the Numba backend: one compiled loop calling the compiled body, equal to the
reference backend (values, dtypes, shapes), gradients included."""

from __future__ import annotations

import numpy as np
import pytest
from nb_helpers import NUMBA, check

import graft
import graft.tensor as gt
from graft.scan import Scan, scan

RNG = np.random.default_rng(3)


def test_loops_and_their_gradients():
    y, x = gt.dvector("y"), gt.dmatrix("x")
    rho, sigma = gt.dscalar("rho"), gt.dscalar("sigma")
    a0 = gt.dvector("a0")
    i = gt.lvector("i")
    # AR(1) terms (sequence taps, non-sequences), a mit-sot recurrence, rows of a matrix,
    # an integer loop, and an output read only at its last step.
    terms, _ = scan(
        lambda yp, yt, r, s: -0.5 * ((yt - r * yp) / s) ** 2 - gt.log(s),
        sequences=dict(input=y, taps=[-1, 0]),
        non_sequences=[rho, sigma],
    )
    fib, _ = scan(
        lambda a2, a1, r: a2 * r + a1,
        outputs_info=dict(initial=a0, taps=[-2, -1]),
        non_sequences=rho,
        n_steps=y.shape[0],
    )
    rows, _ = scan(
        lambda row, acc: acc * 0.5 + gt.tanh(row), sequences=x, outputs_info=gt.zeros((3,))
    )
    ints, _ = scan(
        lambda it, acc: acc * 3 + it, sequences=i, outputs_info=gt.constant(np.int64(1))
    )
    lp = terms.sum()
    outs = [
        terms,
        lp,
        fib,
        rows,
        rows[-1],
        ints,
        *gt.grad(lp + fib[-1] + rows.sum(), [rho, sigma, a0, x]),
    ]
    cases = [
        (RNG.normal(size=6), RNG.normal(size=(4, 3)), 0.8, 0.6, RNG.normal(size=2), np.arange(5)),
        (RNG.normal(size=2), RNG.normal(size=(1, 3)), -0.3, 2.0, RNG.normal(size=2), np.arange(0)),
        (
            RNG.normal(size=9)[::2],
            RNG.normal(size=(6, 3))[::2],
            0.1,
            1.0,
            RNG.normal(size=2),
            np.arange(3)[::-1],
        ),
    ]
    check([y, x, rho, sigma, a0, i], outs, cases)


def test_zero_steps_and_errors():
    x = gt.dvector("x")
    s = gt.dvector("s")
    out, _ = scan(lambda xt, acc: acc + xt, sequences=x, outputs_info=s)
    nit, _ = scan(lambda xt: gt.stack([xt, xt]), sequences=x)
    check([x, s], [out, nit], [(np.array([]), np.zeros(1)), (np.ones(4), np.ones(1))])
    check([x, s], [out[-1]], [(np.ones(4), np.ones(1))])
    state_last = graft.function([x, s], out[-1], mode="NUMBA")
    with pytest.raises(IndexError):
        state_last(np.array([]), np.ones(1))
    grow, _ = scan(lambda acc: gt.concatenate([acc, acc]), outputs_info=s, n_steps=2)
    with graft.change_flags(backend_fallback="raise"):
        f = graft.function([s], grow, mode=NUMBA)
    with pytest.raises(ValueError, match="state 0 must keep the shape"):
        f(np.ones(2))
    last, _ = scan(lambda xt: xt * 2, sequences=x)
    g = graft.function([x], last[-1], mode="NUMBA")
    with pytest.raises(IndexError):
        g(np.array([]))


def test_the_loop_is_compiled_not_interpreted():
    x = gt.dvector("x")
    out, _ = scan(lambda xt, acc: 0.99 * acc + xt, sequences=x, outputs_info=gt.constant(0.0))
    with graft.change_flags(backend_fallback="raise"):
        f = graft.function([x], [out[-1], gt.grad(out[-1], x)], mode="NUMBA")
    assert any(isinstance(n.op, Scan) for n in f.maker.fgraph.toposort())
    xv = RNG.normal(size=10_000)
    last, g = f(xv)
    np.testing.assert_allclose(g, 0.99 ** np.arange(9999, -1, -1), rtol=1e-10)
    np.testing.assert_allclose(last, np.sum(xv * g), rtol=1e-9)
