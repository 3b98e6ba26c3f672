"""Inference for graft-ppl models: NUTS with Gibbs steps, Laplace, ADVI, predictive draws.

- `sample`: NUTS (compiled by numba with the model's compiled log-density),
  Stan-like warm-up, several chains; conjugate variables get Gibbs steps
  found by miniKanren relations (`graft_ppl.inference.conjugacy`).
- `fit_laplace`: Gaussian at the mode with the graft Hessian.
- `fit_advi`: mean-field or full-rank ADVI on a graft ELBO graph.
- `sample_prior_predictive`, `sample_posterior_predictive`: forward draws.

Every result is an `arviz.InferenceData`.

Example::

    from graft_ppl.inference import sample
    idata = sample(model, draws=1000, tune=1000, chains=4, seed=1)
"""

from graft_ppl.inference.advi import ADVIResult, fit_advi
from graft_ppl.inference.gibbs import find_gibbs_steps
from graft_ppl.inference.laplace import LaplaceResult, fit_laplace, laplace_approximation
from graft_ppl.inference.predictive import sample_posterior_predictive, sample_prior_predictive
from graft_ppl.inference.sampling import SamplingWarning, sample

__all__ = [
    "ADVIResult",
    "LaplaceResult",
    "SamplingWarning",
    "find_gibbs_steps",
    "fit_advi",
    "fit_laplace",
    "laplace_approximation",
    "sample",
    "sample_posterior_predictive",
    "sample_prior_predictive",
]
