"""graft-ppl in one page: build a model, derive its log-density, intervene, evaluate.

Run with ``python examples/ppl_model.py`` (graft-core, graft-rewrites-tensor and
graft-ppl installed; graft-backend-numba is used when present).
"""

from __future__ import annotations

import numpy as np
import scipy.stats as st
from graft_ppl import Model, do, joint_logp, logp, observe
from graft_ppl.distributions import HalfCauchy, Normal
from graft_ppl.model import best_mode

import graft
import graft.tensor as gt
import graft.tensor.random as gr


def section(title: str) -> None:
    print(f"\n== {title} " + "=" * max(0, 66 - len(title)))


def eight_schools() -> None:
    section("eight schools (non-centred), Model front end")
    y = np.array([28, 8, -3, 7, -1, 1, 18, 12.0])
    sigma = np.array([15, 10, 16, 11, 9, 11, 10, 18.0])
    with Model(seed=0) as m:
        mu = Normal("mu", 0.0, 5.0)
        tau = HalfCauchy("tau", 5.0)
        theta_tilde = Normal("theta_tilde", 0.0, 1.0, shape=8)
        Normal("y", mu + tau * theta_tilde, sigma, observed=y)
    print("value variables:", [v.name for v in m.value_vars])
    f = m.logp_dlogp_function()
    lp, grad = f(np.zeros(f.ndim))
    print(f"logp at mu=0, log tau=0, theta_tilde=0 ({best_mode()}): {lp:.6f}  (-43.435637)")
    print("gradient:", np.round(grad, 4))


def derived_densities() -> None:
    section("densities derived by rewriting")
    v = np.array([0.5, 1.0, 2.0])
    y = gt.exp(gr.normal(0.0, 1.0, size=(3,)))
    print("exp(normal) :", logp(y, v).eval(), "lognorm:", st.lognorm(1.0).logpdf(v))
    w = gr.bernoulli(0.3, size=(3,))
    mix = gt.switch(w, gr.normal(-2.0, 1.0, size=(3,)), gr.normal(2.0, 1.0, size=(3,)))
    closed = np.log(0.3 * st.norm(-2, 1).pdf(v) + 0.7 * st.norm(2, 1).pdf(v))
    print("mixture     :", logp(mix, v).eval(), "closed form:", closed)
    cens = gt.clip(gr.normal(0.0, 1.0, size=(3,)), -1.0, 1.0)
    print("censored    :", logp(cens, np.array([-1.0, 0.0, 1.0])).eval())


def interventions() -> None:
    section("do(x) versus observing x on a confounded model")
    srng = gr.RandomStream(1)
    z = srng.normal(0.0, 1.0, name="z")
    x = srng.normal(z, 1.0, name="x")
    y = srng.normal(x + z, 1.0, name="y")
    x_value, y_value = 1.0, 2.0
    zv, yv = gt.dscalar("z"), gt.dscalar("y")
    grid = np.linspace(-10, 10, 2001)

    z_do, y_do = do([z, y], {x: x_value})
    f_do = graft.function([zv, yv], joint_logp({z_do: zv, y_do: yv}))
    p_do = np.trapezoid([np.exp(f_do(g, y_value)) for g in grid], grid)

    z_ob, y_ob, x_ob = observe([z, y, x], {x: x_value})
    f_joint = graft.function([zv, yv], joint_logp({z_ob: zv, y_ob: yv, x_ob: None}))
    f_ev = graft.function([zv], joint_logp({z_ob: zv, x_ob: None}))
    p_cond = np.trapezoid([np.exp(f_joint(g, y_value)) for g in grid], grid) / np.trapezoid(
        [np.exp(f_ev(g)) for g in grid], grid
    )
    print(
        f"p(y=2 | do(x=1)) = {p_do:.6f}   closed form N(1, 2):   {st.norm(1, 2**0.5).pdf(2):.6f}"
    )
    print(
        f"p(y=2 | x=1)     = {p_cond:.6f}   closed form N(1.5, 1.5): {st.norm(1.5, 1.5**0.5).pdf(2):.6f}"
    )
    draws = graft.function([], y_do)
    print("forward draws of y under do(x=1):", np.round([draws() for _ in range(5)], 3))


if __name__ == "__main__":
    eight_schools()
    derived_densities()
    interventions()
