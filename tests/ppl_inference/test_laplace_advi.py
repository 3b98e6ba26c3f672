"""Laplace (exact on a Gaussian posterior) and ADVI (mean-field and full-rank on Gaussian
targets): modes, covariances and draws against closed forms."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import mc_close
from graft_ppl import Model
from graft_ppl.distributions import HalfNormal, MvNormal, Normal
from graft_ppl.inference import fit_advi, fit_laplace, laplace_approximation

Y = np.array([1.3, 0.2, 2.1, 0.9, 1.7])


def _normal_model() -> Model:
    with Model(seed=0) as m:
        mu = Normal("mu", 0.5, 2.0)
        Normal("y", mu, 0.8, observed=Y)
    return m


def _closed_form():
    prec = 1 / 4 + len(Y) / 0.64
    return (0.5 / 4 + Y.sum() / 0.64) / prec, 1 / prec


def test_laplace_exact_on_gaussian_posterior():
    mean, var = _closed_form()
    res = laplace_approximation(_normal_model())
    np.testing.assert_allclose(res.mode, [mean], rtol=1e-6)
    np.testing.assert_allclose(res.cov, [[var]], rtol=1e-8)
    idata = fit_laplace(_normal_model(), draws=2000, chains=2, seed=1)
    mu = idata.posterior["mu"].values
    assert mu.shape == (2, 2000)
    assert mc_close(mu, mean)
    assert abs(mu.var() / var - 1) < 0.1
    np.testing.assert_array_equal(idata.observed_data["y"].values, Y)


def test_laplace_maps_draws_to_the_constrained_space():
    with Model(seed=0) as m:
        s = HalfNormal("s", 1.0)
        Normal("y", 0.0, s, observed=Y - Y.mean())
    res = laplace_approximation(m)
    idata = fit_laplace(m, draws=500, seed=2)
    s_draws = idata.posterior["s"].values
    assert (s_draws > 0).all()
    # the median of exp(N(mode, var)) is exp(mode)
    np.testing.assert_allclose(np.median(s_draws), np.exp(res.mode[0]), rtol=0.1)


def test_laplace_bad_input():
    with pytest.raises(ValueError, match="draws"):
        fit_laplace(_normal_model(), draws=0)
    with Model(seed=0) as m:
        Normal("y", 0.0, 1.0, observed=np.array([0.1]))
    with pytest.raises(ValueError, match="no free variables"):
        fit_laplace(m)


CORR = np.array([[1.0, 0.8, 0.1], [0.8, 2.0, -0.3], [0.1, -0.3, 0.5]])
MEAN = np.array([1.0, -1.0, 0.5])


def _mvn() -> Model:
    with Model(seed=0) as m:
        MvNormal("x", MEAN, CORR)
    return m


def test_advi_fullrank_recovers_the_covariance():
    idata, res = fit_advi(_mvn(), method="fullrank", n=6000, obj_n_mc=8, seed=3,
                          learning_rate=0.02, return_approximation=True)  # fmt: skip
    np.testing.assert_allclose(res.mean, MEAN, atol=0.08)
    np.testing.assert_allclose(res.cov, CORR, atol=0.12)
    x = idata.posterior["x"].values
    assert x.shape == (1, 1000, 3)
    assert res.hist[-200:].mean() > res.hist[:200].mean()
    assert res.converged


def test_advi_meanfield_matches_the_conditional_variances():
    _, res = fit_advi(_mvn(), method="meanfield", n=6000, obj_n_mc=8, seed=4,
                      learning_rate=0.02, return_approximation=True)  # fmt: skip
    # The KL(q || p) optimum of a factorised Gaussian: variances 1 / diag(precision).
    np.testing.assert_allclose(np.diag(res.cov), 1 / np.diag(np.linalg.inv(CORR)), rtol=0.12)
    np.testing.assert_allclose(res.mean, MEAN, atol=0.08)
    assert np.count_nonzero(res.cov - np.diag(np.diag(res.cov))) == 0


def test_advi_bad_input():
    with pytest.raises(ValueError, match="method"):
        fit_advi(_mvn(), method="fancy")
    with pytest.raises(ValueError, match="learning_rate"):
        fit_advi(_mvn(), learning_rate=-1.0)
    with pytest.raises(ValueError, match="n must be"):
        fit_advi(_mvn(), n=0)
