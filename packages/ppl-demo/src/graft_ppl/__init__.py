"""graft-ppl: log-densities of graft graphs with random variables, derived by rewriting.

A model is an ordinary graft graph of `graft.tensor.random` draws. graft-ppl
derives its log-density by rewriting (`logp`, `conditional_logp`,
`joint_logp`), including for deterministic functions of draws (transforms,
censoring by ``clip``, mixtures by ``switch``/indexing, random walks by
``cumsum``, ``stack``/``concatenate``); maps constrained values to
unconstrained ones (`graft_ppl.value_transforms`); intervenes on graphs
(`observe`, `do`); and offers a small `Model` front end whose compiled
log-density and gradient take one flat vector (for samplers).

Example::

    import numpy as np
    import graft.tensor as gt
    import graft.tensor.random as gr
    from graft_ppl import joint_logp

    mu = gr.normal(0.0, 1.0)
    y = gr.normal(mu, 1.0, size=(3,))
    lp = joint_logp({mu: gt.dscalar("mu"), y: gt.dvector("y")})
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

# Public name -> defining module, imported on first access: importing the plugin module
# (graft_ppl.plugin, named by the entry point) stays cheap.
_LAZY: dict[str, str] = {
    "LOGCDF": "graft_ppl.abstract",
    "LOGP": "graft_ppl.abstract",
    "MissingValueError": "graft_ppl.abstract",
    "NotMeasurableError": "graft_ppl.abstract",
    "Observed": "graft_ppl.interventions",
    "do": "graft_ppl.interventions",
    "observe": "graft_ppl.interventions",
    "conditional_logp": "graft_ppl.joint",
    "joint_logp": "graft_ppl.joint",
    "logcdf": "graft_ppl.joint",
    "logp": "graft_ppl.joint",
    "value_type": "graft_ppl.joint",
    "Model": "graft_ppl.model",
    "best_mode": "graft_ppl.model",
    "modelcontext": "graft_ppl.model",
    "Interval": "graft_ppl.value_transforms",
    "Log": "graft_ppl.value_transforms",
    "LogOdds": "graft_ppl.value_transforms",
    "LowerBound": "graft_ppl.value_transforms",
    "Ordered": "graft_ppl.value_transforms",
    "Simplex": "graft_ppl.value_transforms",
    "Transform": "graft_ppl.value_transforms",
    "default_transform": "graft_ppl.value_transforms",
    "fit_advi": "graft_ppl.inference",
    "fit_laplace": "graft_ppl.inference",
    "sample": "graft_ppl.inference",
    "sample_posterior_predictive": "graft_ppl.inference",
    "sample_prior_predictive": "graft_ppl.inference",
}

if TYPE_CHECKING:
    from graft_ppl.abstract import LOGCDF, LOGP, MissingValueError, NotMeasurableError
    from graft_ppl.inference import (
        fit_advi,
        fit_laplace,
        sample,
        sample_posterior_predictive,
        sample_prior_predictive,
    )
    from graft_ppl.interventions import Observed, do, observe
    from graft_ppl.joint import conditional_logp, joint_logp, logcdf, logp, value_type
    from graft_ppl.model import Model, best_mode, modelcontext
    from graft_ppl.value_transforms import (
        Interval,
        Log,
        LogOdds,
        LowerBound,
        Ordered,
        Simplex,
        Transform,
        default_transform,
    )


def __getattr__(name: str) -> Any:
    from importlib import import_module

    if name in _LAZY:
        value = getattr(import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    if name == "distributions":
        return import_module("graft_ppl.distributions")
    raise AttributeError(f"module 'graft_ppl' has no attribute {name!r}")


__version__ = "0.1.0"

__all__ = [
    "LOGCDF",
    "LOGP",
    "Interval",
    "Log",
    "LogOdds",
    "LowerBound",
    "MissingValueError",
    "Model",
    "NotMeasurableError",
    "Observed",
    "Ordered",
    "Simplex",
    "Transform",
    "best_mode",
    "conditional_logp",
    "default_transform",
    "distributions",
    "do",
    "fit_advi",
    "fit_laplace",
    "joint_logp",
    "logcdf",
    "logp",
    "modelcontext",
    "observe",
    "sample",
    "sample_posterior_predictive",
    "sample_prior_predictive",
    "value_type",
]
