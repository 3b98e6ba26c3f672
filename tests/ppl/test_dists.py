"""Each distribution's log-density (graft_ppl.logp) against scipy.stats: values inside and
outside the support, support edges, parameters outside their domain, dtypes, shapes and
gradients against finite differences."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.stats as st
from graft_ppl import logcdf, logp

import graft
import graft.tensor as gt
import graft.tensor.random as gr
from graft.testing import verify_grad


def _gamma(k, theta, **kw):
    return gr.gamma(k, scale=theta, **kw)


# name, draw(params), scipy(params), params, values (edges and outside the support included)
CONTINUOUS = [
    ("normal", gr.normal, lambda m, s: st.norm(m, s), (1.0, 2.0), [-1e3, -1.0, 0.0, 3.0]),
    (
        "halfnormal",
        gr.halfnormal,
        lambda loc, s: st.halfnorm(loc, s),
        (0.5, 2.0),
        [-1.0, 0.5, 3.0],
    ),
    ("cauchy", gr.cauchy, lambda a, b: st.cauchy(a, b), (1.0, 2.0), [-50.0, 0.0, 3.0]),
    ("halfcauchy", gr.halfcauchy, lambda a, b: st.halfcauchy(a, b), (0.0, 2.0), [-1.0, 0.0, 3.0]),
    ("t", gr.t, lambda d, loc, s: st.t(d, loc, s), (3.0, 1.0, 2.0), [-10.0, 0.0, 3.0]),
    ("uniform", gr.uniform, lambda a, b: st.uniform(a, b - a), (-1.0, 2.0), [-2, -1, 0, 2, 3]),
    ("beta", gr.beta, lambda a, b: st.beta(a, b), (2.0, 3.0), [-1.0, 0.0, 0.3, 1.0, 2.0]),
    ("beta_a1", gr.beta, lambda a, b: st.beta(a, b), (1.0, 3.0), [-1.0, 0.0, 0.3, 1.0]),
    ("gamma", _gamma, lambda k, t: st.gamma(k, scale=t), (2.0, 3.0), [-1.0, 0.0, 0.3, 20.0]),
    ("gamma_k1", _gamma, lambda k, t: st.gamma(k, scale=t), (1.0, 3.0), [-1.0, 0.0, 0.3]),
    ("invgamma", gr.invgamma, lambda a, b: st.invgamma(a, scale=b), (2.0, 3.0), [-1, 0, 0.3, 5]),
    ("exponential", gr.exponential, lambda s: st.expon(scale=s), (3.0,), [-1.0, 0.0, 0.3, 9.0]),
    (
        "lognormal",
        gr.lognormal,
        lambda m, s: st.lognorm(s, scale=np.exp(m)),
        (0.5, 2.0),
        [-1.0, 0.0, 0.3, 4.0],
    ),
    ("laplace", gr.laplace, lambda loc, s: st.laplace(loc, s), (0.5, 2.0), [-1.0, 0.5, 3.0]),
    ("logistic", gr.logistic, lambda loc, s: st.logistic(loc, s), (0.5, 2.0), [-80.0, 0.5, 3.0]),
]

DISCRETE = [
    ("bernoulli", gr.bernoulli, lambda p: st.bernoulli(p), (0.3,), [-1, 0, 1, 2]),
    ("bernoulli_p0", gr.bernoulli, lambda p: st.bernoulli(p), (0.0,), [0, 1]),
    ("binomial", gr.binomial, lambda n, p: st.binom(n, p), (5, 0.3), [-1, 0, 2, 5, 6]),
    (
        "betabinomial",
        gr.betabinomial,
        lambda n, a, b: st.betabinom(n, a, b),
        (5, 2.0, 3.0),
        [-1, 0, 2, 5, 6],
    ),
    ("poisson", gr.poisson, lambda m: st.poisson(m), (2.5,), [-1, 0, 3, 40]),
    ("poisson_0", gr.poisson, lambda m: st.poisson(m), (0.0,), [0, 1]),
    ("nbinom", gr.negative_binomial, lambda n, p: st.nbinom(n, p), (3, 0.4), [-1, 0, 2, 30]),
    ("geometric", gr.geometric, lambda p: st.geom(p), (0.4,), [-1, 0, 1, 5]),
]


def _values(rv, vals):
    dtype = "int64" if rv.type.dtype.startswith("int") else "float64"
    return np.asarray(vals, dtype=dtype)


@pytest.mark.parametrize(
    "name, draw, ref, params, vals", CONTINUOUS, ids=[c[0] for c in CONTINUOUS]
)
def test_continuous_logp_matches_scipy(name, draw, ref, params, vals):
    rv = draw(*params)
    x = np.asarray(vals, dtype="float64")
    got = logp(rv, x).eval()
    np.testing.assert_allclose(got, ref(*params).logpdf(x), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name, draw, ref, params, vals", DISCRETE, ids=[c[0] for c in DISCRETE])
def test_discrete_logp_matches_scipy(name, draw, ref, params, vals):
    rv = draw(*params)
    k = np.asarray(vals, dtype="int64")
    with np.errstate(divide="ignore"):
        want = ref(*params).logpmf(k)
    np.testing.assert_allclose(logp(rv, k).eval(), want, rtol=1e-10, atol=1e-12)


def test_categorical_logp():
    p = np.array([0.2, 0.5, 0.3])
    k = np.array([-1, 0, 1, 2, 3])
    want = np.array([-np.inf, *np.log(p), -np.inf])
    np.testing.assert_allclose(logp(gr.categorical(p), k).eval(), want)
    # batched probabilities: one row per value
    pb = np.array([[0.1, 0.9], [0.6, 0.4]])
    got = logp(gr.categorical(pb), np.array([1, 0])).eval()
    np.testing.assert_allclose(got, np.log([0.9, 0.6]))


def test_dirichlet_multinomial_mvnormal_logp():
    a = np.array([1.0, 2.0, 3.0])
    w = np.array([[0.2, 0.3, 0.5], [0.6, 0.1, 0.3]])
    np.testing.assert_allclose(
        logp(gr.dirichlet(a), w).eval(), [st.dirichlet(a).logpdf(r) for r in w]
    )
    assert logp(gr.dirichlet(a), np.array([0.5, 0.6, -0.1])).eval() == -np.inf
    p = np.array([0.2, 0.3, 0.5])
    c = np.array([[1, 1, 3], [0, 0, 5], [1, 1, 1]])
    want = [st.multinomial(5, p).logpmf(r) for r in c]
    np.testing.assert_allclose(logp(gr.multinomial(5, p), c).eval(), want)
    mean, cov = np.array([1.0, -1.0]), np.array([[2.0, 0.5], [0.5, 1.0]])
    x = np.array([[0.3, 0.2], [1.0, 1.0], [-4.0, 2.0]])
    np.testing.assert_allclose(
        logp(gr.multivariate_normal(mean, cov), x).eval(),
        st.multivariate_normal(mean, cov).logpdf(x),
    )


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("shape", [(), (0,), (1,), (2, 3)])
def test_shapes_and_dtypes(dtype, shape):
    rng = np.random.default_rng(0)
    x = rng.normal(size=shape).astype(dtype)
    v = gt.tensor(dtype, shape=(None,) * len(shape), name="v")
    rv = gr.normal(0.5, 2.0, size=shape or None, dtype=dtype)
    f = graft.function([v], logp(rv, v))
    got = f(x)
    assert got.shape == shape
    tol = 1e-5 if dtype == "float32" else 1e-12
    np.testing.assert_allclose(got, st.norm(0.5, 2.0).logpdf(x), rtol=tol, atol=tol)


def test_non_contiguous_values_and_batch_of_values():
    x = np.linspace(-2, 2, 12).reshape(3, 4)[:, ::2]
    assert not x.flags.c_contiguous
    v = gt.dmatrix("v")
    f = graft.function([v], logp(gr.gamma(2.0, scale=1.5, size=(3, 2)), v))
    np.testing.assert_allclose(f(x), st.gamma(2.0, scale=1.5).logpdf(x))
    # a scalar variable evaluated on a batch of values
    np.testing.assert_allclose(logp(gr.normal(0.0, 1.0), x).eval(), st.norm.logpdf(x))


def test_parameters_outside_their_domain_give_minus_inf():
    # Documented: an invalid parameter has no density (-inf), it does not raise.
    cases = [
        (gr.normal(0.0, -1.0), 0.5),
        (gr.normal(0.0, 0.0), 0.5),
        (gr.gamma(-1.0, scale=1.0), 0.5),
        (gr.gamma(1.0, scale=-1.0), 0.5),
        (gr.beta(2.0, 0.0), 0.5),
        (gr.uniform(2.0, 1.0), 1.5),
        (gr.t(-1.0, 0.0, 1.0), 0.5),
        (gr.exponential(-2.0), 0.5),
    ]
    for rv, val in cases:
        assert logp(rv, val).eval() == -np.inf, rv.owner.op.name
    assert logp(gr.bernoulli(1.5), np.int64(1)).eval() == -np.inf
    assert logp(gr.poisson(-1.0), np.int64(1)).eval() == -np.inf
    sigma = gt.dscalar("sigma")
    g = graft.function([sigma], graft.grad(logp(gr.normal(0.0, sigma), 0.5), sigma))
    assert g(-1.0) == 0.0  # no nan leaks into the gradient


def test_nan_and_infinite_values():
    # nan stays nan (never a silent number); infinite values have no density
    assert np.isnan(logp(gr.normal(0.0, 1.0), np.nan).eval())
    got = logp(gr.normal(0.0, 1.0), np.array([np.inf, -np.inf])).eval()
    assert np.all(got == -np.inf)
    assert logp(gr.exponential(1.0), np.inf).eval() == -np.inf


@pytest.mark.parametrize(
    "draw, params, value",
    [
        (gr.normal, (0.3, 1.5), 0.7),
        (_gamma, (2.0, 1.5), 0.7),
        (gr.beta, (2.0, 3.0), 0.4),
        (gr.t, (3.0, 0.5, 2.0), -0.7),
        (gr.lognormal, (0.2, 0.8), 1.3),
        (gr.invgamma, (2.5, 1.5), 0.9),
        (gr.logistic, (0.2, 1.3), -0.4),
        (gr.halfcauchy, (0.0, 1.3), 0.4),
    ],
)
def test_gradients_match_finite_differences(draw, params, value):
    def fun(*args):
        *ps, v = args
        return logp(draw(*ps), v)

    verify_grad(
        fun, [np.asarray(p) for p in params] + [np.asarray(value)], rng=np.random.default_rng(1)
    )


def test_mvnormal_gradient():
    cov = np.array([[2.0, 0.5], [0.5, 1.0]])

    def fun(mean, x):
        return logp(gr.multivariate_normal(mean, cov), x)

    verify_grad(fun, [np.array([0.1, -0.3]), np.array([0.5, 0.2])], rng=np.random.default_rng(2))


def test_logcdf_matches_scipy():
    x = np.array([-1.0, 0.0, 0.5, 2.0])
    cases = [
        (gr.normal(0.5, 2.0), st.norm(0.5, 2.0)),
        (gr.exponential(2.0), st.expon(scale=2.0)),
        (gr.laplace(0.5, 2.0), st.laplace(0.5, 2.0)),
        (gr.logistic(0.5, 2.0), st.logistic(0.5, 2.0)),
        (gr.cauchy(0.5, 2.0), st.cauchy(0.5, 2.0)),
        (gr.gamma(2.0, scale=1.5), st.gamma(2.0, scale=1.5)),
        (gr.uniform(-0.5, 1.0), st.uniform(-0.5, 1.5)),
        (gr.halfnormal(0.0, 1.5), st.halfnorm(0.0, 1.5)),
    ]
    for rv, ref in cases:
        with np.errstate(divide="ignore"):
            want = ref.logcdf(x)
        np.testing.assert_allclose(logcdf(rv, x).eval(), want, rtol=1e-9, err_msg=rv.owner.op.name)
    k = np.array([0, 2, 5])
    np.testing.assert_allclose(logcdf(gr.poisson(2.5), k).eval(), st.poisson(2.5).logcdf(k))


def test_bad_values():
    x = gr.normal(0.0, 1.0, size=(3,))
    with pytest.raises(ValueError, match="shape"):
        logp(x, np.zeros(4))
    with pytest.raises(ValueError, match="dimensions"):
        logp(x, 0.0)
    with pytest.raises(TypeError, match="integer dtype"):
        logp(gr.poisson(1.0), np.array(1.5))
    with pytest.raises(TypeError, match="numeric tensor"):
        logp(x, "a")
    with pytest.raises(TypeError, match="random variable"):
        logp(3.0, 1.0)
