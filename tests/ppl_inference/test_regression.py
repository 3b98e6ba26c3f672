"""Linear regression, 10 predictors and 1,000 rows, known noise: NUTS, Laplace and ADVI
against the closed-form Gaussian posterior."""

from __future__ import annotations

import numpy as np
import pytest
from graft_ppl import Model
from graft_ppl.distributions import Normal
from graft_ppl.inference import fit_advi, fit_laplace, laplace_approximation, sample

import graft.tensor as gt

N, K, SIGMA, PRIOR_SD = 1000, 10, 1.5, 10.0


@pytest.fixture(scope="module")
def problem():
    rng = np.random.default_rng(42)
    X = rng.normal(size=(N, K))
    beta = rng.normal(0.0, 1.0, size=K)
    y = X @ beta + rng.normal(0.0, SIGMA, size=N)
    with Model(seed=0) as m:
        b = Normal("beta", 0.0, PRIOR_SD, shape=K)
        Normal("y", gt.dot(X, b), SIGMA, observed=y)
    prec = np.eye(K) / PRIOR_SD**2 + X.T @ X / SIGMA**2
    cov = np.linalg.inv(prec)
    mean = cov @ (X.T @ y) / SIGMA**2
    return m, mean, cov


def test_laplace_is_exact(problem):
    m, mean, cov = problem
    res = laplace_approximation(m)
    np.testing.assert_allclose(res.mode, mean, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(res.cov, cov, rtol=1e-6, atol=1e-12)
    draws = fit_laplace(m, draws=2000, seed=1).posterior["beta"].values.reshape(-1, K)
    sd = np.sqrt(np.diag(cov))
    assert np.all(np.abs(draws.mean(0) - mean) < 4 * sd / np.sqrt(2000))


def test_nuts_agrees(problem):
    import arviz as az

    m, mean, cov = problem
    idata = sample(m, draws=500, tune=500, chains=2, seed=3, progressbar=False)
    b = idata.posterior["beta"].values
    sd = np.sqrt(np.diag(cov))
    ess = az.ess(idata, var_names=["beta"])["beta"].values
    assert np.all(np.abs(b.mean((0, 1)) - mean) < 4 * sd / np.sqrt(ess))
    np.testing.assert_allclose(b.reshape(-1, K).std(0), sd, rtol=0.15)
    assert float(az.rhat(idata)["beta"].max()) < 1.02


def test_advi_agrees(problem):
    m, mean, cov = problem
    _, res = fit_advi(m, method="meanfield", n=8000, seed=5, learning_rate=0.05,
                      obj_n_mc=2, return_approximation=True)  # fmt: skip
    sd = np.sqrt(np.diag(cov))
    # The predictors are independent: the posterior is nearly uncorrelated, so the
    # mean-field fit is close to exact.
    assert np.all(np.abs(res.mean - mean) < 0.5 * sd)
    np.testing.assert_allclose(np.sqrt(np.diag(res.cov)), sd, rtol=0.2)
