"""Densities derived by rewriting: transforms of random variables, censoring, mixtures,
random walks, stack/concatenate; closed forms from scipy.stats; unsupported graphs and
missing values raise clear errors."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.stats as st
from graft_ppl import (
    MissingValueError,
    NotMeasurableError,
    conditional_logp,
    joint_logp,
    logp,
)

import graft
import graft.tensor as gt
import graft.tensor.random as gr
from graft.testing import verify_grad

X = np.array([-2.0, -0.3, 0.0, 0.7, 3.0])
POS = np.array([0.0, 0.2, 1.0, 4.5])


def test_exp_of_normal_is_lognormal():
    y = gt.exp(gr.normal(0.5, 2.0, size=(4,)))
    with np.errstate(divide="ignore"):
        want = st.lognorm(2.0, scale=np.exp(0.5)).logpdf(POS)
    np.testing.assert_allclose(logp(y, POS).eval(), want)
    assert logp(gt.exp(gr.normal(0.0, 1.0)), -1.0).eval() == -np.inf


def test_log_of_lognormal_is_normal():
    y = gt.log(gr.lognormal(0.5, 2.0, size=(5,)))
    np.testing.assert_allclose(logp(y, X).eval(), st.norm(0.5, 2.0).logpdf(X))


@pytest.mark.parametrize(
    "build, ref",
    [
        (lambda x: 1.0 + 3.0 * x, st.norm(1.0 + 1.5, 6.0)),
        (lambda x: x * -2.0 - 1.0, st.norm(-2.0, 4.0)),
        (lambda x: -x, st.norm(-0.5, 2.0)),
        (lambda x: 3.0 - x, st.norm(2.5, 2.0)),
        (lambda x: x / 4.0, st.norm(0.125, 0.5)),
        (lambda x: (x + 1.0) * 2.0 + 0.5, st.norm(3.5, 4.0)),
    ],
)
def test_affine_transforms(build, ref):
    y = build(gr.normal(0.5, 2.0, size=(5,)))
    np.testing.assert_allclose(logp(y, X).eval(), ref.logpdf(X))


def test_reciprocal_of_gamma_is_invgamma():
    y = 1.0 / gr.gamma(2.0, scale=0.5, size=(3,))
    v = POS[1:]
    np.testing.assert_allclose(logp(y, v).eval(), st.invgamma(2.0, scale=2.0).logpdf(v))
    y2 = gt.reciprocal(gr.gamma(2.0, scale=0.5, size=(3,)))
    np.testing.assert_allclose(logp(y2, v).eval(), st.invgamma(2.0, scale=2.0).logpdf(v))
    y3 = 6.0 / gr.gamma(2.0, scale=0.5, size=(3,))
    np.testing.assert_allclose(logp(y3, v).eval(), st.invgamma(2.0, scale=12.0).logpdf(v))


def test_negated_exponential_support():
    y = -gr.exponential(2.0, size=(3,))
    v = np.array([-1.0, 0.0, 1.0])
    np.testing.assert_allclose(logp(y, v).eval(), st.expon(scale=2.0).logpdf(-v))


def test_transform_with_valued_scale_and_gradient():
    mu = gr.normal(0.0, 1.0)
    y = mu + 2.0 * gr.normal(0.0, 1.0, size=(3,))
    mv, yv = gt.dscalar("mu"), gt.dvector("y")
    terms = conditional_logp({mu: mv, y: yv})
    f = graft.function([mv, yv], terms[y])
    np.testing.assert_allclose(f(0.3, X[:3]), st.norm(0.3, 2.0).logpdf(X[:3]))

    def fun(m, s, v):
        return logp(gt.exp(gr.normal(m, s)), v)

    verify_grad(fun, [np.array(0.2), np.array(1.3), np.array(1.7)], rng=np.random.default_rng(0))


def test_censored_normal():
    y = gt.clip(gr.normal(0.5, 2.0, size=(5,)), -1.0, 2.0)
    v = np.array([-1.5, -1.0, 0.3, 2.0, 2.5])
    ref = st.norm(0.5, 2.0)
    want = [-np.inf, ref.logcdf(-1.0), ref.logpdf(0.3), ref.logsf(2.0), -np.inf]
    np.testing.assert_allclose(logp(y, v).eval(), want)


def test_one_sided_censoring():
    ref = st.norm(0.0, 1.0)
    v = np.array([-1.0, 0.0, 0.5])
    lo = gt.maximum(gr.normal(0.0, 1.0, size=(3,)), 0.0)
    np.testing.assert_allclose(logp(lo, v).eval(), [-np.inf, ref.logcdf(0.0), ref.logpdf(0.5)])
    hi = gt.minimum(gr.normal(0.0, 1.0, size=(3,)), 0.0)
    np.testing.assert_allclose(logp(hi, v).eval(), [ref.logpdf(-1.0), ref.logsf(0.0), -np.inf])


def test_censored_poisson():
    y = gt.clip(gr.poisson(3.0, size=(4,)), 1, 5)
    k = np.array([0, 1, 3, 5])
    ref = st.poisson(3.0)
    want = [-np.inf, ref.logcdf(1), ref.logpmf(3), ref.logsf(4)]
    np.testing.assert_allclose(logp(y, k).eval(), want)


def test_censoring_without_logcdf_is_an_error():
    y = gt.clip(gr.beta(2.0, 2.0), 0.1, 0.9)
    with pytest.raises(NotMeasurableError, match="log-CDF"):
        logp(y, 0.5)


def test_two_component_normal_mixture():
    w = gr.bernoulli(0.3, size=(5,))
    y = gt.switch(w, gr.normal(-2.0, 1.0, size=(5,)), gr.normal(2.0, 1.5, size=(5,)))
    want = np.log(0.3 * st.norm(-2, 1).pdf(X) + 0.7 * st.norm(2, 1.5).pdf(X))
    np.testing.assert_allclose(logp(y, X).eval(), want)


def test_categorical_index_mixture_marginal_and_valued():
    p = np.array([0.2, 0.5, 0.3])
    comps = [gr.normal(-2.0, 1.0), gr.normal(0.0, 1.0), gr.normal(3.0, 0.5)]
    refs = [st.norm(-2, 1), st.norm(0, 1), st.norm(3, 0.5)]
    i = gr.categorical(p)
    y = gt.stack(comps)[i]
    want = np.log(sum(pk * r.pdf(0.7) for pk, r in zip(p, refs)))
    np.testing.assert_allclose(logp(y, 0.7).eval(), want)
    # with the index valued: the chosen component's density plus log p(index)
    iv, yv = gt.lscalar("i"), gt.dscalar("y")
    f = graft.function([iv, yv], joint_logp({i: iv, y: yv}))
    for k in range(3):
        np.testing.assert_allclose(f(k, 0.7), np.log(p[k]) + refs[k].logpdf(0.7))


def test_vector_components_index_mixture():
    i = gr.categorical(np.array([0.4, 0.6]))
    y = gt.stack([gr.normal(0.0, 1.0, size=(2,)), gr.normal(5.0, 1.0, size=(2,))])[i]
    v = np.array([0.3, 4.0])
    a, b = st.norm(0, 1).logpdf(v).sum(), st.norm(5, 1).logpdf(v).sum()
    np.testing.assert_allclose(logp(y, v).eval(), np.logaddexp(np.log(0.4) + a, np.log(0.6) + b))


def test_switch_with_valued_index():
    w = gr.bernoulli(0.3, size=(3,))
    y = gt.switch(w, gr.normal(-2.0, 1.0, size=(3,)), gr.normal(2.0, 1.0, size=(3,)))
    wv, yv = gt.lvector("w"), gt.dvector("y")
    terms = conditional_logp({w: wv, y: yv})
    f = graft.function([wv, yv], [terms[w], terms[y]])
    lw, ly = f(np.array([1, 0, 1]), X[:3])
    np.testing.assert_allclose(lw, np.log([0.3, 0.7, 0.3]))
    np.testing.assert_allclose(
        ly, [st.norm(-2, 1).logpdf(X[0]), st.norm(2, 1).logpdf(X[1]), st.norm(-2, 1).logpdf(X[2])]
    )


def test_gaussian_random_walk():
    steps = gr.normal(0.1, 2.0, size=(6,))
    walk = gt.cumsum(steps)
    v = np.array([0.5, 1.0, -1.0, 0.0, 0.0, 3.0])
    want = st.norm(0.1, 2.0).logpdf(np.diff(v, prepend=0.0))
    np.testing.assert_allclose(logp(walk, v).eval(), want)
    # a walk along axis 1 of a matrix, starting from a valued initial point
    init = gr.normal(0.0, 1.0)
    w2 = init + gt.cumsum(gr.normal(0.0, 1.0, size=(2, 3)), axis=1)
    iv, wv = gt.dscalar("init"), gt.dmatrix("w")
    m = np.array([[1.0, 2.0, 0.0], [0.5, 0.5, 1.5]])
    got = graft.function([iv, wv], conditional_logp({init: iv, w2: wv})[w2])(0.5, m)
    inc = np.diff(m - 0.5, axis=1, prepend=0.0)
    np.testing.assert_allclose(got, st.norm.logpdf(inc))


def test_stack_and_concatenate():
    a, b = gr.normal(0.0, 1.0, size=(2,)), gr.exponential(2.0, size=(3,))
    v = np.array([0.1, -0.4, 0.3, 0.0, 1.2])
    want = np.concatenate([st.norm.logpdf(v[:2]), st.expon(scale=2.0).logpdf(v[2:])])
    np.testing.assert_allclose(logp(gt.concatenate([a, b]), v).eval(), want)
    c, d = gr.normal(0.0, 1.0, size=(2,)), gr.normal(1.0, 2.0, size=(2,))
    m = np.array([[0.1, 0.2], [0.3, 0.4]])
    want = np.stack([st.norm.logpdf(m[0]), st.norm(1, 2).logpdf(m[1])])
    np.testing.assert_allclose(logp(gt.stack([c, d]), m).eval(), want)
    np.testing.assert_allclose(logp(gt.stack([c, d], axis=1), m.T).eval(), want.T)
    s = gt.stack([gr.normal(0.0, 1.0), gr.gamma(2.0, scale=1.0)])
    want = [st.norm.logpdf(0.5), st.gamma(2.0).logpdf(0.5)]
    np.testing.assert_allclose(logp(s, np.array([0.5, 0.5])).eval(), want)


def test_unsupported_graph_names_the_subgraph():
    x = gr.normal(0.0, 1.0, size=(3,))
    with pytest.raises(NotMeasurableError, match="sin"):
        logp(gt.sin(x), np.zeros(3))
    with pytest.raises(NotMeasurableError, match="cannot derive"):
        logp(x + gr.normal(0.0, 1.0, size=(3,)), np.zeros(3))
    with pytest.raises(NotMeasurableError):
        conditional_logp({gt.dvector("not_random"): np.zeros(3)})


def test_missing_value_is_an_error():
    mu = gr.normal(0.0, 1.0, name="mu")
    y = gr.normal(mu, 1.0, name="y")
    with pytest.raises(MissingValueError, match="mu"):
        conditional_logp({y: gt.dscalar("y")})
    with pytest.raises(MissingValueError, match="no value"):
        conditional_logp({y: None})


def test_valued_inputs_of_a_transform_are_not_rewritten():
    x = gr.normal(0.0, 1.0)
    y = gt.exp(x)
    # x valued: exp(x) is a deterministic function, no density of its own
    with pytest.raises(NotMeasurableError):
        conditional_logp({x: gt.dscalar("x"), y: gt.dscalar("y")})


def test_original_graph_is_untouched():
    x = gr.normal(0.0, 1.0, size=(3,))
    y = gt.exp(x)
    node = y.owner
    logp(y, np.ones(3))
    assert y.owner is node and type(node.op).__name__ == "Elemwise"
    assert node.inputs[0] is x


def test_elementwise_categorical_mixture():
    p = np.array([[0.2, 0.8], [0.5, 0.5], [0.9, 0.1]])
    i = gr.categorical(p)
    y = gt.stack([gr.normal(0.0, 1.0, size=(3,)), gr.normal(5.0, 1.0, size=(3,))])[i, gt.arange(3)]
    v = np.array([0.3, 4.0, 2.5])
    want = np.log(p[:, 0] * st.norm(0, 1).pdf(v) + p[:, 1] * st.norm(5, 1).pdf(v))
    np.testing.assert_allclose(logp(y, v).eval(), want)
    iv, yv = gt.lvector("i"), gt.dvector("y")
    got = joint_logp({i: iv, y: yv}).eval({iv: np.array([0, 1, 1]), yv: v})
    want = np.log([0.2, 0.5, 0.1]).sum() + st.norm.logpdf(0.3) + st.norm(5, 1).logpdf(v[1:]).sum()
    assert got == pytest.approx(want)


@pytest.mark.parametrize(
    "build",
    [
        lambda: gt.exp(gr.normal(0.0, 1.0, size=(3,))),
        lambda: 2.0 - 3.0 / gr.gamma(2.0, scale=1.0, size=(3,)),
        lambda: gt.clip(gr.normal(0.0, 1.0, size=(4,)), -0.5, 0.5),
        lambda: gt.switch(
            gr.bernoulli(0.5, size=(3,)),
            gr.normal(0.0, 1.0, size=(3,)),
            gr.exponential(1.0, size=(3,)),
        ),
        lambda: gt.stack([gr.normal(0.0, 1.0), gr.normal(2.0, 1.0)])[
            gr.categorical(np.ones(2) / 2)
        ],
        lambda: gt.stack([gr.normal(0.0, 1.0, size=(3,)), gr.normal(9.0, 1.0, size=(3,))])[
            gr.categorical(np.ones(2) / 2, size=(3,)), gt.arange(3)
        ],
        lambda: gt.cumsum(gr.normal(0.0, 1.0, size=(2, 3)), axis=1),
        lambda: gt.concatenate(
            [gr.normal(0.0, 1.0, size=(2,)), gr.gamma(1.0, scale=1.0, size=(1,))]
        ),
    ],
)
def test_measurable_graph_computes_what_the_original_does(build):
    from graft_ppl.abstract import MeasurableOp
    from graft_ppl.rewriting import measurable_ir

    from graft.tensor.random import RandomGeneratorSharedVariable

    y = build()
    fg = measurable_ir([y])
    assert isinstance(fg.outputs[0].owner.op, MeasurableOp)
    rngs = [
        v
        for v in graft.graph.basic.graph_inputs([y])
        if isinstance(v, RandomGeneratorSharedVariable)
    ]
    results = []
    for out in (y, fg.outputs[0]):
        for k, r in enumerate(rngs):
            r.set_value(np.random.default_rng(k), borrow=False)
        results.append(graft.function([], out, mode="FAST_COMPILE")())
    np.testing.assert_array_equal(results[0], results[1])
