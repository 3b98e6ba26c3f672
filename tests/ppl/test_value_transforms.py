"""Value transforms: round trips, log-Jacobians against finite-difference Jacobians,
densities on the unconstrained space that integrate to 1, and the eight schools model on
the unconstrained space (graph API)."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.stats as st
from graft_ppl import conditional_logp, joint_logp, value_type
from graft_ppl.value_transforms import (
    Interval,
    LowerBound,
    default_transform,
    log,
    logodds,
    ordered,
    simplex,
)

import graft
import graft.tensor as gt
import graft.tensor.random as gr
from graft.testing import verify_grad


def _fn(build, ndim):
    u = gt.tensor("float64", shape=(None,) * ndim)
    return graft.function([u], build(u))


def _num_jac(f, u, eps=1e-6):
    cols = []
    for i in range(u.size):
        d = np.zeros_like(u)
        d[i] = eps
        cols.append((f(u + d) - f(u - d)) / (2 * eps))
    return np.stack(cols, axis=-1)


ELEMENTWISE = [log, logodds, Interval(-1.0, 3.0), LowerBound(2.0)]


@pytest.mark.parametrize("tr", ELEMENTWISE, ids=lambda t: t.name)
def test_elementwise_transforms(tr):
    u = np.array([-3.0, -0.5, 0.0, 1.2, 4.0])
    back = _fn(tr.backward, 1)
    fwd = _fn(tr.forward, 1)
    jac = _fn(tr.log_jac_det, 1)
    x = back(u)
    np.testing.assert_allclose(fwd(x), u, atol=1e-9)
    np.testing.assert_allclose(jac(u), np.log(np.abs(np.diag(_num_jac(back, u)))), atol=1e-6)


@pytest.mark.parametrize("tr, u", [(ordered, [0.3, -1.0, 0.5, 2.0]), (simplex, [0.0, 1.5, -2.0])])
def test_vector_transforms(tr, u):
    u = np.array(u)
    back, fwd, jac = _fn(tr.backward, 1), _fn(tr.forward, 1), _fn(tr.log_jac_det, 1)
    x = back(u)
    np.testing.assert_allclose(fwd(x), u, atol=1e-9)
    if tr is simplex:
        assert x.shape == (4,) and np.all(x > 0) and np.isclose(x.sum(), 1.0)
        j = _num_jac(lambda v: back(v)[:-1], u)
    else:
        assert np.all(np.diff(x) > 0)
        j = _num_jac(back, u)
    np.testing.assert_allclose(jac(u), np.linalg.slogdet(j)[1], atol=1e-6)


def test_simplex_zero_is_the_uniform_point_and_batches():
    back = _fn(simplex.backward, 2)
    x = back(np.zeros((2, 3)))
    np.testing.assert_allclose(x, np.full((2, 4), 0.25))


def _integral_1d(f, lo=-40.0, hi=40.0, n=40001):
    u = np.linspace(lo, hi, n)
    return np.trapezoid(np.exp(f(u)), u)


@pytest.mark.parametrize(
    "rv",
    [
        gr.beta(2.0, 3.0, size=(1,)),
        gr.gamma(2.0, scale=1.5, size=(1,)),
        gr.uniform(-1.0, 2.0, size=(1,)),
        gr.halfnormal(1.0, 2.0, size=(1,)),
        gr.exponential(0.5, size=(1,)),
        gr.lognormal(0.2, 0.5, size=(1,)),
    ],
    ids=lambda r: r.owner.op.name,
)
def test_unconstrained_density_integrates_to_one(rv):
    u = gt.dvector("u")
    lp = conditional_logp({rv: u}, transforms="default")[rv]
    f = graft.function([u], lp)
    assert _integral_1d(f) == pytest.approx(1.0, abs=1e-6)


def test_dirichlet_on_simplex_space_integrates_to_one():
    g = np.linspace(-15, 15, 301)
    w = gr.dirichlet(np.array([2.0, 1.5, 3.0]), size=(g.size**2,))
    u = gt.dmatrix("u")
    lp = conditional_logp({w: u}, transforms="default")[w]
    f = graft.function([u], lp)
    a, b = np.meshgrid(g, g, indexing="ij")
    vals = np.exp(f(np.stack([a.ravel(), b.ravel()], axis=1))).reshape(a.shape)
    assert np.trapezoid(np.trapezoid(vals, g), g) == pytest.approx(1.0, abs=1e-4)


def test_user_transform_ordered():
    x = gr.normal(0.0, 1.0, size=(3,))
    u = gt.dvector("u")
    lp = conditional_logp({x: u}, transforms={x: ordered})[x]
    uv = np.array([0.1, -0.5, 0.3])
    xv = np.cumsum([0.1, np.exp(-0.5), np.exp(0.3)])
    want = st.norm.logpdf(xv) + np.array([0.0, -0.5, 0.3]).sum()
    np.testing.assert_allclose(lp.eval({u: uv}).sum(), want.sum())


def test_default_transforms_table():
    assert default_transform(gr.normal(0.0, 1.0).owner) is None
    assert default_transform(gr.gamma(1.0, scale=1.0).owner) is log
    assert isinstance(default_transform(gr.halfnormal(1.0, 1.0).owner), LowerBound)
    assert default_transform(gr.beta(1.0, 1.0).owner) is logodds
    assert isinstance(default_transform(gr.uniform(0.0, 1.0).owner), Interval)
    assert default_transform(gr.dirichlet(np.ones(3)).owner) is simplex
    assert value_type(gr.dirichlet(np.ones(3)), simplex).shape == (2,)


Y = np.array([28, 8, -3, 7, -1, 1, 18, 12.0])
SIGMA = np.array([15, 10, 16, 11, 9, 11, 10, 18.0])


def _eight_schools():
    mu = gr.normal(0.0, 5.0)
    tau = gr.halfcauchy(0.0, 5.0)
    theta_tilde = gr.normal(0.0, 1.0, size=(8,))
    y = gr.normal(mu + tau * theta_tilde, SIGMA)
    return mu, tau, theta_tilde, y


def _eight_schools_scipy(mu, log_tau, tt):
    tau = np.exp(log_tau)
    return (
        st.norm(0, 5).logpdf(mu)
        + st.halfcauchy(0, 5).logpdf(tau)
        + log_tau
        + st.norm.logpdf(tt).sum()
        + st.norm(mu + tau * tt, SIGMA).logpdf(Y).sum()
    )


def test_eight_schools_unconstrained_logp_and_gradient():
    mu, tau, tt, y = _eight_schools()
    mv, lt, tv = gt.dscalar("mu"), gt.dscalar("log_tau"), gt.dvector("theta_tilde")
    lp = joint_logp({mu: mv, tau: lt, tt: tv, y: Y}, transforms="default")
    f = graft.function([mv, lt, tv], lp)
    assert f(0.0, 0.0, np.zeros(8)) == pytest.approx(-43.435637, abs=1e-6)
    assert _eight_schools_scipy(0.0, 0.0, np.zeros(8)) == pytest.approx(-43.435637, abs=1e-6)
    rng = np.random.default_rng(0)
    for _ in range(3):
        p = rng.normal(size=10)
        assert f(p[0], p[1], p[2:]) == pytest.approx(_eight_schools_scipy(p[0], p[1], p[2:]))

    def fun(m, t, th):
        mu, tau, tt, y = _eight_schools()
        return joint_logp({mu: m, tau: t, tt: th, y: Y}, transforms="default")

    verify_grad(fun, [np.array(0.3), np.array(-0.2), rng.normal(size=8)], rng=rng)


def test_transformed_value_of_wrong_type():
    w = gr.dirichlet(np.ones(3))
    with pytest.raises(ValueError, match="simplex"):
        conditional_logp({w: gt.dvector("u3", shape=(3,))}, transforms="default")
    with pytest.raises(TypeError, match="transforms"):
        conditional_logp({w: gt.dvector("u")}, transforms="log")
