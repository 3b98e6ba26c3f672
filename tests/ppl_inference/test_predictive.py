"""Prior and posterior predictive draws from the model's own graph."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import mc_close
from graft_ppl import Model
from graft_ppl.distributions import Deterministic, HalfNormal, Normal
from graft_ppl.inference import sample, sample_posterior_predictive, sample_prior_predictive

Y = np.array([0.5, 1.5, 1.0])


def _model() -> Model:
    with Model(seed=0) as m:
        mu = Normal("mu", 1.0, 2.0)
        s = HalfNormal("s", 0.5)
        Deterministic("twice", 2 * mu)
        Normal("y", mu, s, observed=Y)
    return m


def test_prior_predictive_moments_and_seed():
    m = _model()
    a = sample_prior_predictive(m, draws=2000, seed=1)
    assert set(a.groups()) >= {"prior", "prior_predictive", "observed_data"}
    mu = a.prior["mu"].values
    assert mu.shape == (1, 2000)
    assert mc_close(mu, 1.0)
    assert abs(mu.std() / 2.0 - 1) < 0.1
    np.testing.assert_allclose(a.prior["twice"].values, 2 * mu)
    assert (a.prior["s"].values > 0).all()
    y = a.prior_predictive["y"].values
    assert y.shape == (1, 2000, 3)
    # y = mu + s * noise: its variance is var(mu) + E[s^2] = 4 + 0.25
    assert abs(y.var() / 4.25 - 1) < 0.1
    b = sample_prior_predictive(m, draws=2000, seed=1)
    np.testing.assert_array_equal(a.prior_predictive["y"].values, b.prior_predictive["y"].values)
    c = sample_prior_predictive(m, draws=2000, seed=2)
    assert not np.array_equal(a.prior["mu"].values, c.prior["mu"].values)


def test_prior_predictive_of_an_intervened_model():
    with Model(seed=0) as m:
        mu = Normal("mu", 1.0, 2.0)
        Normal("y", mu, 0.5, shape=2)
    pr = sample_prior_predictive(m.do({"mu": 3.0}), draws=1000, seed=0)
    assert "mu" not in pr.prior
    assert mc_close(pr.prior["y"].values, 3.0)
    assert abs(pr.prior["y"].values.std() / 0.5 - 1) < 0.1


def test_posterior_predictive():
    m = _model()
    idata = sample(m, draws=300, tune=300, chains=2, seed=2, progressbar=False)
    ppc = sample_posterior_predictive(idata, m, seed=3)
    y = ppc.posterior_predictive["y"].values
    assert y.shape == (2, 300, 3)
    # E[y_rep] = E[mu | data]
    assert abs(y.mean() - float(idata.posterior["mu"].mean())) < 0.1
    again = sample_posterior_predictive(idata, m, seed=3)
    np.testing.assert_array_equal(y, again.posterior_predictive["y"].values)
    out = sample_posterior_predictive(idata, m, seed=3, extend_inferencedata=True)
    assert out is idata and "posterior_predictive" in idata.groups()


def test_predictive_bad_input():
    m = _model()
    with pytest.raises(ValueError, match="draws"):
        sample_prior_predictive(m, draws=0)
    with pytest.raises(KeyError, match="nope"):
        sample_prior_predictive(m, draws=5, var_names=["nope"])
    with pytest.raises(TypeError, match="InferenceData"):
        sample_posterior_predictive(np.zeros(3), m)
    pr = sample_prior_predictive(m, draws=5, seed=0)
    with pytest.raises(KeyError, match="no variable 'mu'"):
        # a prior predictive has no posterior group... but an idata whose posterior lacks mu
        from graft_ppl.inference.results import to_inference_data

        sample_posterior_predictive(to_inference_data({"s": pr.prior["s"].values}), m)
