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

from graft_ppl import dists as _dists
from graft_ppl.abstract import LOGCDF, LOGP, MissingValueError, NotMeasurableError
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
    "joint_logp",
    "logcdf",
    "logp",
    "modelcontext",
    "observe",
    "value_type",
]
