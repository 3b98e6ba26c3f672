"""Fit eight schools (non-centred) three ways with graft-ppl and print ArviZ summaries.

NUTS, the Laplace approximation and full-rank ADVI on the same model; the
posterior of mu and tau from each, side by side. Run with
``python examples/ppl_fit.py`` (graft-core, graft-rewrites-tensor, graft-ppl;
graft-backend-numba makes the sampler compiled).
"""

from __future__ import annotations

import arviz as az
import numpy as np
from graft_ppl import Model, fit_advi, fit_laplace, sample
from graft_ppl.distributions import Deterministic, HalfCauchy, Normal

Y = np.array([28.0, 8.0, -3.0, 7.0, -1.0, 1.0, 18.0, 12.0])
SIGMA = np.array([15.0, 10.0, 16.0, 11.0, 9.0, 11.0, 10.0, 18.0])


def eight_schools() -> Model:
    with Model(seed=1) as m:
        mu = Normal("mu", 0.0, 5.0)
        tau = HalfCauchy("tau", 5.0)
        theta_tilde = Normal("theta_tilde", 0.0, 1.0, shape=8)
        Deterministic("theta", mu + tau * theta_tilde)
        Normal("y", mu + tau * theta_tilde, SIGMA, observed=Y)
    return m


def main() -> None:
    model = eight_schools()
    fits = {
        "NUTS": sample(model, draws=1000, tune=1000, chains=4, seed=0, progressbar=False),
        "Laplace": fit_laplace(model, draws=4000, seed=0),
        "ADVI (full rank)": fit_advi(model, method="fullrank", draws=4000, seed=0),
    }
    for name, idata in fits.items():
        print(f"\n== {name} " + "=" * (60 - len(name)))
        print(
            az.summary(idata, var_names=["mu", "tau"], kind="stats" if name != "NUTS" else "all")
        )
    divergences = int(fits["NUTS"].sample_stats["diverging"].sum())
    print(
        f"\nNUTS divergences: {divergences}; samplers: {fits['NUTS'].posterior.attrs.get('samplers')}"
    )


if __name__ == "__main__":
    main()
