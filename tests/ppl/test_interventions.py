"""Interventions: observe and do return new graphs, leave the originals untouched, and
differ as causal theory says on a confounded model (checked against the closed forms)."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.stats as st
from graft_ppl import Observed, conditional_logp, do, joint_logp, observe

import graft
import graft.tensor as gt
import graft.tensor.random as gr
from graft.graph.basic import ancestors

X_VALUE = 1.2
Z_GRID = np.linspace(-10.0, 10.0, 2001)


def _confounded(seed=0):
    """z -> x, z -> y, x -> y: z confounds the effect of x on y."""
    srng = gr.RandomStream(seed)
    z = srng.normal(0.0, 1.0, name="z")
    x = srng.normal(z, 1.0, name="x")
    y = srng.normal(x + z, 1.0, name="y")
    return z, x, y


def _integrate_z(f, *args):
    return np.trapezoid([np.exp(f(zv, *args)) for zv in Z_GRID], Z_GRID)


def test_do_and_conditioning_differ_as_in_closed_form():
    z, x, y = _confounded()
    zv, yv = gt.dscalar("z"), gt.dscalar("y")

    # p(y | do(x)): z keeps its prior, so y ~ N(x, 2)
    z_do, y_do = do([z, y], {x: X_VALUE})
    f_do = graft.function([zv, yv], joint_logp({z_do: zv, y_do: yv}))
    # p(y | x): z | x ~ N(x / 2, 1 / 2), so y ~ N(1.5 x, 1.5)
    z_ob, y_ob, x_ob = observe([z, y, x], {x: X_VALUE})
    f_joint = graft.function([zv, yv], joint_logp({z_ob: zv, y_ob: yv, x_ob: None}))
    f_evidence = graft.function([zv], joint_logp({z_ob: zv, x_ob: None}))
    evidence = _integrate_z(f_evidence)
    for y_value in (-1.0, 0.5, 2.5):
        p_do = _integrate_z(f_do, y_value)
        p_cond = _integrate_z(f_joint, y_value) / evidence
        assert p_do == pytest.approx(st.norm(X_VALUE, np.sqrt(2.0)).pdf(y_value), rel=1e-6)
        assert p_cond == pytest.approx(st.norm(1.5 * X_VALUE, np.sqrt(1.5)).pdf(y_value), rel=1e-6)
        assert abs(p_do - p_cond) > 1e-3


def test_do_forward_samples_follow_the_intervened_model():
    z, x, y = _confounded(seed=3)
    (y_do,) = do([y], {x: X_VALUE})
    f = graft.function([], y_do)
    draws = np.array([f() for _ in range(2000)])
    # y = x + z + e with x fixed: mean x, variance 2
    assert draws.mean() == pytest.approx(X_VALUE, abs=0.1)
    assert draws.var() == pytest.approx(2.0, rel=0.1)


def test_originals_untouched():
    z, x, y = _confounded()
    before = set(ancestors([y]))
    z2, y2 = do([z, y], {x: 0.0})
    z3, y3, x3 = observe([z, y, x], {x: 0.0})
    assert set(ancestors([y])) == before and x in before
    assert x not in set(ancestors([y2]))  # graph surgery: x is gone
    assert isinstance(x3.owner.op, Observed)
    assert x3 in set(ancestors([y3]))  # y now reads the observed x
    assert z2 is not z and z3 is not z


def test_observed_terms_are_found_in_the_graph():
    mu = gr.normal(0.0, 1.0)
    y = gr.normal(mu, 1.0, size=(3,))
    data = np.array([0.3, -0.1, 0.8])
    mu2, y2 = observe([mu, y], {y: data})
    mv = gt.dscalar("mu")
    # y2 is not an ancestor of mu2: give it as a key with no value
    terms = conditional_logp({mu2: mv, y2: None})
    f = graft.function([mv], terms[y2])
    np.testing.assert_allclose(f(0.4), st.norm(0.4, 1.0).logpdf(data))
    # an observed variable takes its data as value, not another one
    with pytest.raises(ValueError, match="observed"):
        conditional_logp({mu2: mv, y2: data})


def test_observed_parent_is_included_automatically():
    mu = gr.normal(0.0, 1.0)
    y = gr.normal(mu, 1.0)
    (y2,) = observe([y], {mu: 0.5})
    yv = gt.dscalar("y")
    terms = conditional_logp({y2: yv})
    assert len(terms) == 2
    total = joint_logp({y2: yv})
    assert total.eval({yv: 1.0}) == pytest.approx(st.norm.logpdf(0.5) + st.norm(0.5).logpdf(1.0))


def test_bad_interventions():
    z, x, y = _confounded()
    with pytest.raises(TypeError, match="not a random variable"):
        do([y], {x + 1.0: 0.0})
    with pytest.raises(ValueError, match="dimensions"):
        do([y], {x: np.zeros(3)})
    with pytest.raises(TypeError, match="list"):
        observe(y, {x: 0.0})
    k = gr.poisson(2.0)
    with pytest.raises(TypeError, match="integer"):
        observe([k], {k: 1.5})
