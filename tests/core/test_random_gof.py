"""Goodness of fit of every distribution of `graft.tensor.random` against scipy.stats.

Continuous draws: Kolmogorov-Smirnov against the SciPy cdf; discrete draws: a
chi-square test on the SciPy pmf (tail bins merged until each expects >= 5).
Seeds are fixed, so each test is deterministic; a correct sampler fails one
with probability about 1e-3 over the choice of seed.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

import graft
import graft.tensor.random as gr
from graft.compile import Mode

N = 3000
ALPHA = 1e-3
NO_REWRITES = Mode(optimizer=None)


def draw(build, seed, mode=NO_REWRITES):
    rng = graft.shared(np.random.default_rng(seed))
    return graft.function([], build(rng), mode=mode)()


def ks_ok(sample, cdf):
    res = stats.kstest(np.ravel(sample).astype("float64"), cdf)
    assert res.pvalue > ALPHA, res


def chi2_ok(sample, pmf, lo=0):
    """Chi-square of the counts of ``sample`` against ``pmf`` on ``lo, lo+1, ...``."""
    sample = np.ravel(sample)
    assert sample.min() >= lo, sample.min()
    hi = int(sample.max())
    ks = np.arange(lo, hi + 1)
    probs = pmf(ks)
    observed = np.array([(sample == k).sum() for k in ks], dtype="float64")
    # The last bin takes the whole upper tail.
    probs = np.append(probs[:-1], 1.0 - probs[:-1].sum())
    expected = probs * sample.size
    obs_b, exp_b = [], []
    acc_o = acc_e = 0.0
    for o, e in zip(observed, expected):
        acc_o += o
        acc_e += e
        if acc_e >= 5:
            obs_b.append(acc_o)
            exp_b.append(acc_e)
            acc_o = acc_e = 0.0
    if acc_e > 0 and exp_b:
        obs_b[-1] += acc_o
        exp_b[-1] += acc_e
    assert len(exp_b) >= 2, "too few bins"
    res = stats.chisquare(obs_b, exp_b)
    assert res.pvalue > ALPHA, res


CONTINUOUS = {
    "normal": (lambda r: gr.normal(1.5, 2.0, size=(N,), rng=r), stats.norm(1.5, 2.0)),
    "normal_negative_mu": (
        lambda r: gr.normal(-1e3, 1e-2, size=(N,), rng=r),
        stats.norm(-1e3, 1e-2),
    ),
    "halfnormal": (lambda r: gr.halfnormal(0.5, 2.0, size=(N,), rng=r), stats.halfnorm(0.5, 2.0)),
    "cauchy": (lambda r: gr.cauchy(1.0, 0.5, size=(N,), rng=r), stats.cauchy(1.0, 0.5)),
    "halfcauchy": (lambda r: gr.halfcauchy(0.0, 2.0, size=(N,), rng=r), stats.halfcauchy(0, 2)),
    "t": (lambda r: gr.t(5.0, 1.0, 2.0, size=(N,), rng=r), stats.t(5.0, 1.0, 2.0)),
    "studentt_df1": (lambda r: gr.studentt(1.0, size=(N,), rng=r), stats.t(1.0)),
    "uniform": (lambda r: gr.uniform(-1.0, 3.0, size=(N,), rng=r), stats.uniform(-1.0, 4.0)),
    "beta": (lambda r: gr.beta(2.0, 5.0, size=(N,), rng=r), stats.beta(2.0, 5.0)),
    "beta_small": (lambda r: gr.beta(0.3, 0.4, size=(N,), rng=r), stats.beta(0.3, 0.4)),
    "gamma_scale": (
        lambda r: gr.gamma(3.0, scale=2.0, size=(N,), rng=r),
        stats.gamma(3.0, scale=2.0),
    ),
    "gamma_rate": (
        lambda r: gr.gamma(3.0, rate=2.0, size=(N,), rng=r),
        stats.gamma(3.0, scale=0.5),
    ),
    "gamma_small_shape": (lambda r: gr.gamma(0.4, size=(N,), rng=r), stats.gamma(0.4)),
    "invgamma": (
        lambda r: gr.invgamma(3.0, 2.0, size=(N,), rng=r),
        stats.invgamma(3.0, scale=2.0),
    ),
    "exponential": (lambda r: gr.exponential(2.0, size=(N,), rng=r), stats.expon(scale=2.0)),
    "lognormal": (
        lambda r: gr.lognormal(0.5, 0.75, size=(N,), rng=r),
        stats.lognorm(s=0.75, scale=np.exp(0.5)),
    ),
    "laplace": (lambda r: gr.laplace(1.0, 2.0, size=(N,), rng=r), stats.laplace(1.0, 2.0)),
    "logistic": (lambda r: gr.logistic(1.0, 2.0, size=(N,), rng=r), stats.logistic(1.0, 2.0)),
    "normal_float32": (
        lambda r: gr.normal(np.float32(1.0), np.float32(3.0), size=(N,), rng=r, dtype="float32"),
        stats.norm(1.0, 3.0),
    ),
}


@pytest.mark.parametrize("name", sorted(CONTINUOUS))
def test_continuous(name):
    build, dist = CONTINUOUS[name]
    ks_ok(draw(build, seed=sorted(CONTINUOUS).index(name)), dist.cdf)


DISCRETE = {
    "bernoulli": (lambda r: gr.bernoulli(0.3, size=(N,), rng=r), stats.bernoulli(0.3)),
    "binomial": (lambda r: gr.binomial(10, 0.3, size=(N,), rng=r), stats.binom(10, 0.3)),
    "binomial_large_n": (
        lambda r: gr.binomial(1000, 0.4, size=(N,), rng=r),
        stats.binom(1000, 0.4),
    ),
    "betabinomial": (
        lambda r: gr.betabinomial(10, 2.0, 3.0, size=(N,), rng=r),
        stats.betabinom(10, 2.0, 3.0),
    ),
    "poisson": (lambda r: gr.poisson(3.5, size=(N,), rng=r), stats.poisson(3.5)),
    "poisson_large": (lambda r: gr.poisson(200.0, size=(N,), rng=r), stats.poisson(200.0)),
    "negative_binomial": (
        lambda r: gr.negative_binomial(5, 0.4, size=(N,), rng=r),
        stats.nbinom(5, 0.4),
    ),
    "geometric": (lambda r: gr.geometric(0.3, size=(N,), rng=r), stats.geom(0.3)),
}


@pytest.mark.parametrize("name", sorted(DISCRETE))
def test_discrete(name):
    build, dist = DISCRETE[name]
    sample = draw(build, seed=100 + sorted(DISCRETE).index(name))
    chi2_ok(sample, dist.pmf, lo=int(dist.support()[0]))


def test_categorical():
    p = np.array([0.1, 0.0, 0.45, 0.3, 0.15])
    sample = draw(lambda r: gr.categorical(p, size=(N,), rng=r), seed=7)
    assert not (sample == 1).any()  # zero-probability categories never drawn
    sub = p[p > 0]
    counts = np.array([(sample == k).sum() for k in np.flatnonzero(p)])
    assert stats.chisquare(counts, sub * N).pvalue > ALPHA


def test_categorical_batched_rows_use_their_own_probabilities():
    p = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0], [0.25, 0.5, 0.25]])
    sample = draw(lambda r: gr.categorical(p, size=(N, 3), rng=r), seed=8)
    assert (sample[:, 0] == 0).all() and (sample[:, 1] == 2).all()
    counts = np.bincount(sample[:, 2], minlength=3)
    assert stats.chisquare(counts, p[2] * N).pvalue > ALPHA


def test_batched_parameters_each_column_fits():
    mu = np.array([-5.0, 0.0, 10.0])
    sigma = np.array([0.5, 1.0, 3.0])
    sample = draw(lambda r: gr.normal(mu, sigma, size=(N, 3), rng=r), seed=9)
    for j in range(3):
        ks_ok(sample[:, j], stats.norm(mu[j], sigma[j]).cdf)
    lam = np.array([[0.5], [20.0]])
    counts = draw(lambda r: gr.poisson(lam, size=(N // 2, 2, 2), rng=r), seed=10)
    for i in range(2):
        chi2_ok(counts[:, i, :], stats.poisson(lam[i, 0]).pmf)


def test_dirichlet_marginals_are_beta():
    alphas = np.array([2.0, 3.0, 5.0])
    sample = draw(lambda r: gr.dirichlet(alphas, size=(N,), rng=r), seed=11)
    np.testing.assert_allclose(sample.sum(axis=1), 1.0)
    for j, a in enumerate(alphas):
        ks_ok(sample[:, j], stats.beta(a, alphas.sum() - a).cdf)


def test_dirichlet_batched_alphas():
    alphas = np.array([[1.0, 1.0], [0.5, 4.0]])
    sample = draw(lambda r: gr.dirichlet(alphas, size=(N // 2, 2), rng=r), seed=12)
    assert sample.shape == (N // 2, 2, 2)
    for i in range(2):
        ks_ok(sample[:, i, 0], stats.beta(alphas[i, 0], alphas[i, 1]).cdf)


def test_multinomial_marginals_are_binomial():
    p = np.array([0.2, 0.5, 0.3])
    sample = draw(lambda r: gr.multinomial(12, p, size=(N,), rng=r), seed=13)
    np.testing.assert_array_equal(sample.sum(axis=1), 12)
    for j in range(3):
        chi2_ok(sample[:, j], stats.binom(12, p[j]).pmf)


def test_multinomial_batched():
    n = np.array([4, 30])
    p = np.array([[0.5, 0.5], [0.9, 0.1]])
    sample = draw(lambda r: gr.multinomial(n, p, size=(N // 2, 2), rng=r), seed=14)
    np.testing.assert_array_equal(sample.sum(axis=-1), np.broadcast_to(n, (N // 2, 2)))
    for i in range(2):
        chi2_ok(sample[:, i, 0], stats.binom(n[i], p[i, 0]).pmf)


@pytest.mark.parametrize("method", ["cholesky", "eigh", "svd"])
def test_multivariate_normal(method):
    mean = np.array([1.0, -2.0, 0.5])
    a = np.array([[2.0, 0.0, 0.0], [0.5, 1.0, 0.0], [-0.3, 0.2, 0.7]])
    cov = a @ a.T
    sample = draw(
        lambda r: gr.multivariate_normal(mean, cov, size=(N,), method=method, rng=r), seed=15
    )
    # Squared Mahalanobis distances are chi-square with k degrees of freedom...
    d = sample - mean
    m2 = np.einsum("ni,ij,nj->n", d, np.linalg.inv(cov), d)
    ks_ok(m2, stats.chi2(3).cdf)
    # ...and each projection is normal with the projected variance.
    for w in (np.array([1.0, 0.0, 0.0]), np.array([0.3, -1.0, 2.0])):
        ks_ok(d @ w, stats.norm(0.0, np.sqrt(w @ cov @ w)).cdf)


def test_multivariate_normal_batched_covariances():
    covs = np.stack([np.eye(2), np.array([[4.0, 1.0], [1.0, 1.0]])])
    sample = draw(lambda r: gr.mvnormal(np.zeros(2), covs, size=(N // 2, 2), rng=r), seed=16)
    for i in range(2):
        ks_ok(sample[:, i, 0], stats.norm(0.0, np.sqrt(covs[i, 0, 0])).cdf)


def test_random_stream_draws_fit():
    srng = gr.RandomStream(17)
    x = srng.gamma(2.0, scale=1.5, size=(N,))
    k = srng.poisson(4.0, size=(N,))
    f = graft.function([], [x, k], mode="FAST_RUN")
    for _ in range(2):  # fresh draws each call, each a sample of the distribution
        vx, vk = f()
        ks_ok(vx, stats.gamma(2.0, scale=1.5).cdf)
        chi2_ok(vk, stats.poisson(4.0).pmf)
