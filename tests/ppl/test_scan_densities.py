"""Log-densities of scans of random variables (AR processes) against closed forms, with
gradients, valued loop invariants, sequences, and both backends."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.stats as st
from graft_ppl import MissingValueError, NotMeasurableError, conditional_logp, logp
from graft_ppl.model import best_mode

import graft
import graft.tensor as gt
import graft.tensor.random as gr
from graft.scan import scan
from graft.testing import verify_grad

V = np.array([0.1, -0.3, 1.0, 2.0, 0.0])


def test_ar1_matches_closed_form():
    srng = gr.RandomStream(0)
    x0 = gt.constant(np.array(0.5))
    xs, _ = scan(lambda x: srng.normal(0.8 * x, 1.5), outputs_info=[x0], n_steps=5)
    prev = np.concatenate([[0.5], V[:-1]])
    np.testing.assert_allclose(logp(xs, V).eval(), st.norm(0.8 * prev, 1.5).logpdf(V))


@pytest.mark.parametrize(
    "mode",
    [
        "FAST_COMPILE",
        pytest.param("NUMBA", marks=pytest.mark.skipif(best_mode() != "NUMBA", reason="no numba")),
    ],
)
def test_ar2_with_valued_coefficient_and_sequence(mode):
    srng = gr.RandomStream(1)
    rho = gr.normal(0.0, 1.0)
    u = gt.dvector("u")
    init = gt.constant(np.array([0.2, 0.4]))

    def step(u_t, x2, x1, r):
        return srng.normal(r * x1 + 0.1 * x2 + u_t, 1.0)

    ys, _ = scan(
        step,
        sequences=[u],
        outputs_info=[{"initial": init, "taps": [-2, -1]}],
        non_sequences=[rho],
    )
    rv, yv = gt.dscalar("rho"), gt.dvector("y")
    terms = conditional_logp({rho: rv, ys: yv})
    f = graft.function([rv, yv, u], [terms[ys], terms[rho]], mode=mode)
    uu, vv = np.array([0.0, 1.0, -1.0]), np.array([0.3, 0.1, 0.7])
    full = np.concatenate([[0.2, 0.4], vv])
    ly, lr = f(0.7, vv, uu)
    np.testing.assert_allclose(ly, st.norm(0.7 * full[1:4] + 0.1 * full[0:3] + uu).logpdf(vv))
    np.testing.assert_allclose(lr, st.norm.logpdf(0.7))


def test_scan_logp_gradient():
    def fun(sigma, v):
        srng = gr.RandomStream(2)
        x0 = gt.constant(np.array(0.0))
        xs, _ = scan(
            lambda x, s: srng.normal(0.5 * x, s),
            outputs_info=[x0],
            non_sequences=[sigma],
            n_steps=4,
        )
        return logp(xs, v)

    verify_grad(fun, [np.array(1.3), V[:4]], rng=np.random.default_rng(0))


def test_scan_with_unvalued_inner_randomness_is_an_error():
    srng = gr.RandomStream(3)
    x0 = gt.constant(np.array(0.0))
    # the mean of each step is itself random: no density for the history alone
    xs, _ = scan(
        lambda x: srng.normal(x + srng.normal(0.0, 1.0), 1.0), outputs_info=[x0], n_steps=3
    )
    with pytest.raises((MissingValueError, NotMeasurableError)):
        logp(xs, V[:3]).eval()


def test_deterministic_scan_has_no_density():
    x0 = gt.dscalar("x0")
    xs, _ = scan(lambda x: 2 * x, outputs_info=[x0], n_steps=3)
    with pytest.raises(NotMeasurableError, match="Scan"):
        logp(xs, V[:3])
