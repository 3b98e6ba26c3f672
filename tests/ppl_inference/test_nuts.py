"""NUTS through `graft_ppl.inference.sample`: posteriors against known answers within
Monte Carlo error, divergences, determinism, the InferenceData layout, bad input."""

from __future__ import annotations

import arviz as az
import numpy as np
import pytest
from conftest import eight_schools, mc_close
from graft_ppl import Model
from graft_ppl.distributions import Bernoulli, Normal, Poisson
from graft_ppl.inference import SamplingWarning, sample
from graft_ppl.inference.adaptation import estimate_metric, warmup_plan


def _gauss(mean: np.ndarray, cov: np.ndarray):
    prec = np.linalg.inv(cov)

    def logp_dlogp(x: np.ndarray):
        d = x - mean
        return -0.5 * d @ prec @ d, -(prec @ d)

    return logp_dlogp


@pytest.mark.slow
def test_eight_schools_noncentered_posterior():
    idata = sample(eight_schools(False), draws=1000, tune=1000, chains=4, seed=11,
                   progressbar=False)  # fmt: skip
    post = idata.posterior
    # Reference posterior means (long runs of the same model): mu 4.4, tau 3.6.
    assert mc_close(post["mu"].values, 4.4)
    assert mc_close(post["tau"].values, 3.6)
    rhat = az.rhat(idata, var_names=["mu", "tau", "theta_tilde"])
    assert float(rhat.to_array().max()) < 1.01
    assert int(idata.sample_stats["diverging"].sum()) <= 10
    assert post["theta"].shape == (4, 1000, 8)
    np.testing.assert_allclose(
        post["theta"].values,
        post["mu"].values[..., None] + post["tau"].values[..., None] * post["theta_tilde"].values,
    )


def test_eight_schools_centered_reports_divergences():
    with pytest.warns(SamplingWarning, match="divergent"):
        idata = sample(eight_schools(True), draws=300, tune=300, chains=2, seed=3,
                       progressbar=False)  # fmt: skip
    assert int(idata.sample_stats["diverging"].sum()) > 0


@pytest.mark.parametrize("dense", [False, True])
def test_correlated_gaussian_callable(dense):
    mean = np.array([1.0, -2.0, 0.5])
    cov = np.array([[1.0, 0.9, 0.0], [0.9, 2.0, 0.3], [0.0, 0.3, 0.5]])
    idata = sample(_gauss(mean, cov), draws=1000, tune=600, chains=2, seed=4,
                   initial_point=np.zeros(3), dense_mass=dense, progressbar=False)  # fmt: skip
    x = idata.posterior["x"].values
    for i in range(3):
        assert mc_close(x[..., i], mean[i])
    est = np.cov(x.reshape(-1, 3), rowvar=False)
    np.testing.assert_allclose(est, cov, atol=0.25)
    assert not idata.sample_stats["diverging"].values.any()


def test_deterministic_given_seed_whatever_cores():
    f = _gauss(np.zeros(2), np.eye(2))
    kw = dict(draws=50, tune=50, chains=3, seed=9, initial_point=np.zeros(2), progressbar=False)
    a = sample(f, cores=1, **kw)
    b = sample(f, cores=3, **kw)
    np.testing.assert_array_equal(a.posterior["x"].values, b.posterior["x"].values)
    c = sample(f, cores=1, **{**kw, "seed": 10})
    assert not np.array_equal(a.posterior["x"].values, c.posterior["x"].values)


def test_inference_data_layout():
    y = np.array([0.3, -0.1, 0.8, 1.2])
    with Model(seed=0) as m:
        mu = Normal("mu", 0.0, 5.0, shape=2)
        Normal("y", mu.sum(), 1.0, observed=y)
    idata = sample(m, draws=20, tune=30, chains=2, seed=1, progressbar=False)
    assert set(idata.groups()) >= {"posterior", "sample_stats", "observed_data"}
    assert idata.posterior["mu"].shape == (2, 20, 2)
    np.testing.assert_array_equal(idata.observed_data["y"].values, y)
    st = idata.sample_stats
    for name in ("diverging", "energy", "tree_depth", "step_size", "n_steps", "lp"):
        assert st[name].shape == (2, 20), name
    assert st["diverging"].dtype == bool
    assert st["tree_depth"].dtype.kind == "i"
    assert (st["n_steps"].values >= 1).all()
    assert np.isfinite(st["lp"].values).all()
    # one step size per chain after tuning
    assert (st["step_size"].values == st["step_size"].values[:, :1]).all()
    assert idata.posterior.attrs["samplers"] == "mu: NUTS"


def test_context_model_and_tune_zero():
    with Model(seed=0):
        Normal("a", 1.0, 2.0)
        idata = sample(draws=30, tune=0, chains=1, seed=2, progressbar=False)
    assert idata.posterior["a"].shape == (1, 30)


def test_warmup_plan_windows():
    plan = warmup_plan(1000)
    assert plan[0] == (0, 75, False) and plan[-1] == (950, 1000, False)
    slow = [(a, b) for a, b, s in plan if s]
    assert [b - a for a, b in slow] == [25, 50, 100, 200, 500]
    for n in (0, 5, 30, 100, 149, 150, 333, 2000):
        p = warmup_plan(n)
        covered = [i for a, b, _ in p for i in range(a, b)]
        assert covered == list(range(n)), n


def test_estimate_metric_regularised():
    rng = np.random.default_rng(0)
    d = rng.normal(size=(400, 2)) * [1.0, 3.0]
    var = estimate_metric(d, dense=False)
    np.testing.assert_allclose(var, [1.0, 9.0], rtol=0.2)
    cov = estimate_metric(d, dense=True)
    assert cov.shape == (2, 2) and np.all(np.linalg.eigvalsh(cov) > 0)


def test_bad_input():
    f = _gauss(np.zeros(2), np.eye(2))
    with pytest.raises(TypeError, match="initial_point"):
        sample(f, progressbar=False)
    with pytest.raises(ValueError, match="gradient of shape"):
        sample(lambda x: (0.0, np.zeros(3)), initial_point=np.zeros(2), progressbar=False)
    for kw, msg in (({"draws": 0}, "draws"), ({"chains": 0}, "chains"),
                    ({"target_accept": 1.5}, "target_accept"), ({"tune": -1}, "tune")):  # fmt: skip
        with pytest.raises(ValueError, match=msg):
            sample(f, initial_point=np.zeros(2), progressbar=False, **kw)
    with pytest.raises(TypeError, match="Model or a callable"):
        sample(42, progressbar=False)


def test_discrete_free_variable_is_refused_by_name():
    with Model(seed=0) as m:
        k = Poisson("k", 3.0)
        Normal("y", k, 1.0, observed=np.array([2.0]))
    with pytest.raises(TypeError, match="'k' is discrete"):
        sample(m, progressbar=False)
    with Model(seed=0) as m2:
        Bernoulli("z", 0.3)
    with pytest.raises(TypeError, match="'z'"):
        sample(m2, progressbar=False)


def test_nan_in_observed_data_is_reported():
    with Model(seed=0) as m:
        mu = Normal("mu", 0.0, 1.0)
        Normal("y", mu, 1.0, observed=np.array([0.1, np.nan, 0.3]))
    with pytest.raises(ValueError, match="observed data of 'y' contains 1 NaN"):
        sample(m, progressbar=False)


def test_non_finite_start_is_reported():
    with pytest.raises(ValueError, match="no finite log-density"):
        sample(lambda x: (-np.inf, np.zeros(1)), initial_point=np.zeros(1), progressbar=False)


@pytest.mark.parametrize("dense", [False, True])
def test_compiled_kernel_equals_plain_python_kernel(dense):
    # Without numba the kernel runs as plain Python: same code, same random streams.
    from graft_ppl.inference import nuts
    from graft_ppl.inference.kernel import as_kernel_fn, kernels

    prec = np.array([[2.0, 0.5], [0.5, 1.0]])

    def f(x, c):
        return float(-0.5 * x @ prec @ x), -(prec @ x)

    def run(mod, fn):
        x = np.array([0.3, -0.2])
        lp, g = f(x, None)
        minv_dense = np.linalg.inv(prec) if dense else np.zeros((1, 1))
        chol = np.linalg.cholesky(prec) if dense else np.zeros((1, 1))
        da = np.array([0.5, np.log(5.0), 0.0, 0.0, 0.0])
        draws, stats = np.zeros((40, 2)), np.zeros((40, len(nuts.STAT_NAMES)))
        mod.nuts_block(fn, np.zeros(0), x, g, lp, 40, 7, da, np.ones(2), minv_dense, chol,
                       dense, 10, 1000.0, True, 0.8, draws, stats)  # fmt: skip
        return draws, stats, da

    plain = run(nuts, f)
    compiled = run(kernels(), as_kernel_fn(None, f))
    for a, b in zip(plain, compiled):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)
    assert plain[1][:, 4].sum() > 40  # several leapfrog steps per draw
