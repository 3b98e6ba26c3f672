"""Conjugate Gibbs steps: recognised by the miniKanren relations, posteriors equal to the
closed form (mean and variance within Monte Carlo error), mixed with NUTS."""

from __future__ import annotations

import numpy as np
import scipy.stats as st
from conftest import mc_close
from graft_ppl import Model
from graft_ppl.distributions import (
    Bernoulli,
    Beta,
    Binomial,
    Categorical,
    Dirichlet,
    Gamma,
    HalfNormal,
    Normal,
    Poisson,
)
from graft_ppl.inference import find_gibbs_steps, sample

KW = dict(draws=1500, tune=100, chains=2, seed=5, progressbar=False)


def _check(draws: np.ndarray, dist) -> None:
    assert mc_close(draws, dist.mean())
    # The variance: within 15% (its Monte Carlo error at ~3000 near-independent draws).
    assert abs(np.var(draws) / dist.var() - 1) < 0.15


def test_beta_binomial():
    y = np.array([3, 7, 5, 0])
    with Model(seed=0) as m:
        p = Beta("p", 2.0, 3.0)
        Binomial("y", 10, p, observed=y)
    plan = find_gibbs_steps(m)
    assert plan is not None and plan.samplers == {"p": "Gibbs (beta-binomial)"}
    idata = sample(m, **KW)
    _check(idata.posterior["p"].values, st.beta(2 + y.sum(), 3 + (10 * 4 - y.sum())))
    assert "p: Gibbs (beta-binomial)" in idata.posterior.attrs["samplers"]


def test_beta_bernoulli_vector_prior():
    y = np.array([[1, 0, 1], [1, 1, 1]])  # two draws of three coins
    with Model(seed=0) as m:
        p = Beta("p", 1.0, 1.0, shape=3)
        Bernoulli("y", p, observed=y)
    idata = sample(m, **KW)
    heads = y.sum(axis=0)
    for i in range(3):
        _check(idata.posterior["p"].values[..., i], st.beta(1 + heads[i], 1 + 2 - heads[i]))


def test_gamma_poisson():
    y = np.array([2, 4, 1, 0, 3])
    with Model(seed=0) as m:
        lam = Gamma("lam", 2.0, 0.5)  # rate 0.5
        Poisson("y", lam, observed=y)
    idata = sample(m, **KW)
    _check(idata.posterior["lam"].values, st.gamma(2 + y.sum(), scale=1 / (0.5 + len(y))))


def test_normal_normal_known_sigma():
    y = np.array([1.2, 0.4, 2.2, -0.3])
    with Model(seed=0) as m:
        mu = Normal("mu", 1.0, 2.0)
        Normal("y", mu, 0.7, observed=y)
    idata = sample(m, **KW)
    prec = 1 / 4 + len(y) / 0.49
    mean = (1.0 / 4 + y.sum() / 0.49) / prec
    _check(idata.posterior["mu"].values, st.norm(mean, prec**-0.5))


def test_dirichlet_categorical():
    y = np.array([0, 2, 2, 1, 2, 0, 2])
    a = np.array([1.0, 2.0, 0.5])
    with Model(seed=0) as m:
        w = Dirichlet("w", a)
        Categorical("y", w, observed=y)
    idata = sample(m, **KW)
    post = a + np.bincount(y, minlength=3)
    w_draws = idata.posterior["w"].values
    np.testing.assert_allclose(w_draws.sum(-1), 1.0, rtol=1e-12)
    dist = st.dirichlet(post)
    for i in range(3):
        assert mc_close(w_draws[..., i], dist.mean()[i])
        assert abs(np.var(w_draws[..., i]) / dist.var()[i] - 1) < 0.15


def test_gibbs_mixed_with_nuts():
    # mu is conjugate given sigma; sigma (half-normal scale) goes to NUTS.
    y = np.random.default_rng(3).normal(2.0, 1.5, size=30)
    with Model(seed=0) as m:
        mu = Normal("mu", 0.0, 10.0)
        sigma = HalfNormal("sigma", 5.0)
        Normal("y", mu, sigma, observed=y)
    idata = sample(m, draws=1000, tune=300, chains=2, seed=1, progressbar=False)
    assert idata.posterior.attrs["samplers"] == "sigma: NUTS; mu: Gibbs (normal-normal)"
    # Against NUTS alone on the same model (prior on mu made non-conjugate by a shift).
    assert mc_close(idata.posterior["mu"].values, y.mean(), k=5)
    assert 1.0 < float(idata.posterior["sigma"].mean()) < 2.2


def test_not_conjugate_when_the_prior_is_used_elsewhere():
    with Model(seed=0) as m:
        p = Beta("p", 2.0, 2.0)
        Binomial("y", 10, p, observed=np.array([3]))
        Normal("z", p, 1.0, observed=np.array([0.2]))  # p also enters a normal mean
    assert find_gibbs_steps(m) is None
    idata = sample(m, draws=20, tune=20, chains=1, seed=0, progressbar=False)
    assert idata.posterior.attrs["samplers"] == "p: NUTS"


def test_not_conjugate_when_a_function_of_the_prior_is_the_parameter():
    with Model(seed=0) as m:
        mu = Normal("mu", 0.0, 1.0)
        Normal("y", 2.0 * mu, 1.0, observed=np.array([0.5]))
    assert find_gibbs_steps(m) is None


def test_sampler_summary_is_printed_with_the_progress_bar(capsys):
    with Model(seed=0) as m:
        p = Beta("p", 2.0, 3.0)
        Binomial("y", 5, p, observed=np.array([2]))
        Normal("z", 0.0, 1.0)
    idata = sample(m, draws=20, tune=20, chains=2, seed=0, progressbar=True)
    out = capsys.readouterr().out
    assert "z: NUTS" in out and "p: Gibbs (beta-binomial)" in out
    assert "Sampling chain 1" in out
    assert idata.posterior["p"].shape == (2, 20)
