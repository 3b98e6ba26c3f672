"""The Model front end (named variables, observed data, compiled logp and flat-vector
logp/dlogp), the same log-densities on the reference and Numba backends, and the plugin
registration."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
import scipy.stats as st
from graft_ppl import Model, joint_logp, logp
from graft_ppl.distributions import (
    Beta,
    Dirichlet,
    Gamma,
    HalfCauchy,
    Normal,
    Poisson,
)
from graft_ppl.model import best_mode
from graft_ppl.value_transforms import simplex

import graft
import graft.tensor as gt
import graft.tensor.random as gr

Y = np.array([28, 8, -3, 7, -1, 1, 18, 12.0])
SIGMA = np.array([15, 10, 16, 11, 9, 11, 10, 18.0])

HAS_NUMBA = best_mode() == "NUMBA"


def eight_schools():
    with Model(seed=1) as m:
        mu = Normal("mu", 0.0, 5.0)
        tau = HalfCauchy("tau", 5.0)
        theta_tilde = Normal("theta_tilde", 0.0, 1.0, shape=8)
        Normal("y", mu + tau * theta_tilde, SIGMA, observed=Y)
    return m


def _scipy_eight_schools(x):
    mu, log_tau, tt = x[0], x[1], x[2:]
    tau = np.exp(log_tau)
    return (
        st.norm(0, 5).logpdf(mu)
        + st.halfcauchy(0, 5).logpdf(tau)
        + log_tau
        + st.norm.logpdf(tt).sum()
        + st.norm(mu + tau * tt, SIGMA).logpdf(Y).sum()
    )


def _fd_grad(f, x, eps=1e-6):
    g = np.zeros_like(x)
    for i in range(x.size):
        d = np.zeros_like(x)
        d[i] = eps
        g[i] = (f(x + d) - f(x - d)) / (2 * eps)
    return g


def test_eight_schools_model():
    m = eight_schools()
    assert [v.name for v in m.value_vars] == ["mu", "tau_log__", "theta_tilde"]
    assert list(m.named_vars) == ["mu", "tau", "theta_tilde", "y"]
    f = m.compile_logp(mode="FAST_COMPILE")
    assert f(0.0, 0.0, np.zeros(8)) == pytest.approx(-43.435637, abs=1e-6)
    fg = m.logp_dlogp_function()
    assert fg.ndim == 10
    lp, g = fg(np.zeros(10))
    assert lp == pytest.approx(-43.435637, abs=1e-6)
    x = np.random.default_rng(0).normal(size=10)
    lp, g = fg(x)
    assert lp == pytest.approx(_scipy_eight_schools(x))
    np.testing.assert_allclose(g, _fd_grad(_scipy_eight_schools, x), rtol=1e-5, atol=1e-7)
    assert set(fg.unravel(x)) == {"mu", "tau_log__", "theta_tilde"}
    with pytest.raises(ValueError, match="length 10"):
        fg(np.zeros(3))


MODES = [
    "FAST_RUN",
    "FAST_COMPILE",
    pytest.param("NUMBA", marks=pytest.mark.skipif(not HAS_NUMBA, reason="no numba")),
]


def _mixture_censored_model():
    w = gr.bernoulli(0.3, size=(5,))
    y = gt.switch(w, gr.normal(-2.0, 1.0, size=(5,)), gr.normal(2.0, 1.5, size=(5,)))
    c = gt.clip(gr.normal(0.5, 2.0, size=(5,)), -1.0, 2.0)
    walk = gt.cumsum(gr.normal(0.0, 1.0, size=(4,)))
    b, d = gr.beta(2.0, 3.0), gr.dirichlet(np.ones(3))
    v, cv, wv = gt.dvector("v"), gt.dvector("c"), gt.dvector("w")
    bv, dv = gt.dscalar("b"), gt.dvector("d")
    lp = joint_logp({y: v, c: cv, walk: wv, b: bv, d: dv}, transforms="default")
    return [v, cv, wv, bv, dv], lp


@pytest.mark.parametrize("mode", MODES)
def test_backends_agree_with_the_reference(mode):
    ins, lp = _mixture_censored_model()
    args = [
        np.linspace(-1, 2, 5),
        np.array([-1.0, 0.0, 2.0, 1.0, 1.9]),
        np.arange(4.0),
        0.3,
        np.array([0.2, -0.4]),
    ]
    ref = graft.function(ins, [lp, graft.grad(lp, ins[0])], mode="PY")(*args)
    got = graft.function(ins, [lp, graft.grad(lp, ins[0])], mode=mode)(*args)
    assert np.isfinite(ref[0])
    np.testing.assert_allclose(got[0], ref[0], rtol=1e-12)
    np.testing.assert_allclose(got[1], ref[1], rtol=1e-10)


@pytest.mark.parametrize("mode", MODES)
def test_eight_schools_on_backends(mode):
    m = eight_schools()
    fg = m.logp_dlogp_function(mode=mode)
    x = np.random.default_rng(1).normal(size=10)
    lp, g = fg(x)
    assert lp == pytest.approx(_scipy_eight_schools(x))
    np.testing.assert_allclose(g, _fd_grad(_scipy_eight_schools, x), rtol=1e-5, atol=1e-7)


def test_model_with_constrained_and_discrete_variables():
    counts = np.array([3, 0, 2, 5])
    with Model() as m:
        rate = Gamma("rate", 2.0, 1.0)  # rate parametrisation, as in PyMC
        p = Beta("p", 2.0, 2.0)
        Dirichlet("w", np.ones(3))
        Poisson("k", rate * p, observed=counts.astype(float))  # integral floats accepted
    assert [v.name for v in m.value_vars] == ["rate_log__", "p_logodds__", "w_simplex__"]
    f = m.logp_dlogp_function()
    assert f.ndim == 4
    x = np.array([0.3, -0.2, 0.1, 0.4])

    u = gt.dvector("u")
    stick = graft.function([u], [simplex.backward(u), simplex.log_jac_det(u)])

    def ref(x):
        r, pp = np.exp(x[0]), 1 / (1 + np.exp(-x[1]))
        wv, jac = stick(x[2:])
        return (
            st.gamma(2.0, scale=1.0).logpdf(r)
            + x[0]
            + st.beta(2, 2).logpdf(pp)
            + np.log(pp)
            + np.log1p(-pp)
            + st.dirichlet(np.ones(3)).logpdf(wv)
            + jac
            + st.poisson(r * pp).logpmf(counts).sum()
        )

    lp, g = f(x)
    assert lp == pytest.approx(ref(x))
    np.testing.assert_allclose(g, _fd_grad(ref, x), rtol=1e-5, atol=1e-7)


def test_model_do():
    with Model() as m:
        z = Normal("z", 0.0, 1.0)
        x = Normal("x", z, 1.0)
        Normal("y", x + z, 1.0)
    m2 = m.do({"x": 1.5})
    assert list(m2.named_vars) == ["z", "y"]
    assert [v.name for v in m.value_vars] == ["z", "x", "y"]  # the original is unchanged
    f = m2.compile_logp()
    want = st.norm.logpdf(0.2) + st.norm(1.7, 1.0).logpdf(0.4)
    assert f(0.2, 0.4) == pytest.approx(want)


def test_model_do_keeps_observed_data():
    data = np.array([0.3, -1.2, 2.0])
    with Model() as m:
        z = Normal("z", 0.0, 1.0)
        x = Normal("x", z, 1.0)
        Normal("y", x + z, 1.0, shape=3, observed=data)
    m2 = m.do({"x": 1.5})
    assert list(m2.named_vars) == ["z", "y"]
    f = m2.compile_logp()
    want = st.norm.logpdf(0.2) + st.norm(1.7, 1.0).logpdf(data).sum()
    assert f(0.2) == pytest.approx(want)


def test_model_errors():
    with pytest.raises(TypeError, match="Model"):
        Normal("x", 0.0, 1.0)
    with Model():
        Normal("x", 0.0, 1.0)
        with pytest.raises(ValueError, match="exists"):
            Normal("x", 0.0, 1.0)
        with pytest.raises(TypeError, match="missing parameter"):
            HalfCauchy("t")
        with pytest.raises(TypeError, match="integer"):
            Poisson("k", 1.0, observed=np.array([1.5]))
        with pytest.raises(ValueError, match="shape"):
            Normal("y", 0.0, 1.0, shape=3, observed=np.zeros(4))
        with pytest.raises(TypeError, match="transform"):
            Normal("z", 0.0, 1.0, transform="exp")
    with Model() as empty:
        pass
    with pytest.raises(ValueError, match="no random variables"):
        empty.logp()


def test_model_forward_sampling_is_seeded():
    def draws(seed):
        with Model(seed=seed) as m:
            mu = Normal("mu", 0.0, 1.0)
            Normal("y", mu, 1.0, shape=3)
        return graft.function([], [m["mu"], m["y"]])()

    a, b, c = draws(4), draws(4), draws(5)
    np.testing.assert_array_equal(a[1], b[1])
    assert not np.array_equal(a[1], c[1])


def test_logp_of_named_model_variable():
    with Model():
        x = Normal("x", 1.0, 2.0)
    assert logp(x, 0.0).eval() == pytest.approx(st.norm(1, 2).logpdf(0.0))


def test_plugin_lists_graft_ppl():
    out = subprocess.run(
        [sys.executable, "-m", "graft", "plugins"], capture_output=True, text=True, check=True
    ).stdout
    line = next(ln for ln in out.splitlines() if "graft-ppl" in ln)
    assert "active" in line
    assert "ppl_measurable" in out and "MeasurableTransform" in out


def test_disabled_plugin_gives_a_clear_error():
    code = (
        "import graft.tensor.random as gr\n"
        "from graft_ppl import logp\n"
        "try:\n"
        "    logp(gr.normal(0.0, 1.0), 0.0)\n"
        "except RuntimeError as e:\n"
        "    print('ERR', e)\n"
    )
    env = {**__import__("os").environ, "GRAFT_DISABLED_PLUGINS": "ppl"}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
    ).stdout
    assert out.startswith("ERR") and "not active" in out
