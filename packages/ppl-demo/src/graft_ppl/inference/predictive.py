"""Forward sampling of a model's graph: prior and posterior predictive draws.

Both compile the model's random variables themselves (one graft function):
`sample_prior_predictive` draws every variable forwards;
`sample_posterior_predictive` replaces the free variables by inputs and
feeds them each posterior draw, so the observed variables are drawn from
the likelihood at the posterior's values. An intervened model
(``model.do({...})``) is sampled the same way. ``seed`` reseeds the
model's random generators for the call only (their state is restored).

Example::

    prior = sample_prior_predictive(model, draws=500, seed=1)
    idata = sample(model, seed=1)
    ppc = sample_posterior_predictive(idata, model, seed=2)
    ppc.posterior_predictive["y"]
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np

from graft.compile import function
from graft.graph.basic import Variable, ancestors, clone_replace
from graft.tensor.random.type import RandomGeneratorSharedVariable
from graft_ppl.inference.results import to_inference_data
from graft_ppl.model import Model, modelcontext

__all__ = ["sample_posterior_predictive", "sample_prior_predictive"]


@contextmanager
def _seeded(outputs: Sequence[Variable], seed: int | None) -> Iterator[None]:
    """The shared generators ``outputs`` read, reseeded from ``seed`` for the block."""
    rngs = [a for a in ancestors(list(outputs)) if isinstance(a, RandomGeneratorSharedVariable)]
    saved = [r.get_value(borrow=True) for r in rngs]
    for r, s in zip(rngs, np.random.SeedSequence(seed).spawn(len(rngs))):
        r.set_value(np.random.default_rng(s), borrow=True)
    try:
        yield
    finally:
        for r, v in zip(rngs, saved):
            r.set_value(v, borrow=True)


def _pick(what: str, names: list[str], var_names: Sequence[str] | None) -> list[str]:
    if var_names is None:
        return names
    unknown = sorted(set(var_names) - set(names))
    if unknown:
        raise KeyError(f"{what}: var_names {unknown} are not variables of the model ({names})")
    return [n for n in names if n in var_names]


def _check_draws(what: str, draws: Any) -> None:
    if isinstance(draws, bool) or not isinstance(draws, int | np.integer) or draws < 1:
        raise ValueError(f"{what}: draws must be a positive integer, got {draws!r}")


def _run(fn: Callable[..., Any], args: Iterator[tuple[Any, ...]]) -> list[list[np.ndarray]]:
    return [[np.asarray(v) for v in fn(*a)] for a in args]


def sample_prior_predictive(
    model: Model | None = None,
    draws: int = 500,
    seed: int | None = None,
    var_names: Sequence[str] | None = None,
) -> Any:
    """Draws of every variable from the prior: an `arviz.InferenceData` with groups
    ``prior`` (free variables and deterministics), ``prior_predictive`` (observed
    variables) and ``observed_data``.

    Example::

        idata = sample_prior_predictive(model, draws=200, seed=0)
        idata.prior_predictive["y"].shape     # (1, 200, *y.shape)
    """
    model = modelcontext(model)
    _check_draws("sample_prior_predictive", draws)
    free = list(model.free_rvs) + list(model.deterministics)
    obs = list(model.observed_rvs)
    outs = free + obs
    if not outs:
        raise ValueError("sample_prior_predictive: the model has no variables")
    names = _pick("sample_prior_predictive", [str(v.name) for v in outs], var_names)
    fn = function([], outs, mode="FAST_RUN")
    with _seeded(outs, seed):
        rows = _run(fn, iter([()] * draws))
    cols = {str(v.name): np.stack([r[i] for r in rows])[None] for i, v in enumerate(outs)}
    prior = {str(v.name): cols[str(v.name)] for v in free if str(v.name) in names}
    pred = {str(v.name): cols[str(v.name)] for v in obs if str(v.name) in names}
    observed = {str(rv.name): np.asarray(d.eval()) for rv, d in model.rvs_to_data.items()}
    idata = to_inference_data(prior, None, observed, {"method": "prior_predictive"}, group="prior")
    if pred:
        idata.add_groups(
            prior_predictive=to_inference_data(pred, group="prior_predictive").prior_predictive
        )
    return idata


def sample_posterior_predictive(
    trace: Any,
    model: Model | None = None,
    var_names: Sequence[str] | None = None,
    seed: int | None = None,
    extend_inferencedata: bool = False,
) -> Any:
    """Draws of the observed variables at each posterior draw of ``trace`` (an
    InferenceData from `sample`, `fit_laplace` or `fit_advi`): an InferenceData with
    ``posterior_predictive`` and ``observed_data`` (or ``trace`` extended by them).

    Example::

        ppc = sample_posterior_predictive(idata, model, seed=1)
    """
    model = modelcontext(model)
    post = getattr(trace, "posterior", None)
    if post is None:
        raise TypeError(
            "sample_posterior_predictive: trace must be an InferenceData with a posterior "
            f"group, got {type(trace).__name__}"
        )
    targets = list(model.observed_rvs)
    if not targets:
        raise ValueError("sample_posterior_predictive: the model has no observed variables")
    names = _pick("sample_posterior_predictive", [str(v.name) for v in targets], var_names)
    targets = [v for v in targets if str(v.name) in names]
    free = list(model.free_rvs)
    for rv in free:
        if str(rv.name) not in post:
            raise KeyError(
                f"sample_posterior_predictive: the posterior has no variable {rv.name!r} "
                f"(it has {sorted(post.data_vars)}); was it sampled from this model?"
            )
    inputs = [rv.type(name=str(rv.name)) for rv in free]
    outs = list(clone_replace(targets, dict(zip(free, inputs))))
    fn = function(inputs, outs, mode="FAST_RUN", on_unused_input="ignore")
    arrays = [np.asarray(post[str(rv.name)].values) for rv in free]
    n_chain, n_draw = (arrays[0].shape[:2]) if arrays else (1, 1)
    dtypes = [rv.type.dtype for rv in free]  # type: ignore[attr-defined]
    args = (
        tuple(a[ch, d].astype(dt) for a, dt in zip(arrays, dtypes))
        for ch in range(n_chain)
        for d in range(n_draw)
    )
    with _seeded(outs, seed):
        rows = _run(fn, args)
    pred = {
        str(v.name): np.stack([r[i] for r in rows]).reshape(n_chain, n_draw, *rows[0][i].shape)
        for i, v in enumerate(targets)
    }
    observed = {str(rv.name): np.asarray(d.eval()) for rv, d in model.rvs_to_data.items()}
    new = to_inference_data(pred, None, observed, {"method": "posterior_predictive"},
                            group="posterior_predictive")  # fmt: skip
    if extend_inferencedata:
        trace.add_groups(posterior_predictive=new.posterior_predictive)
        if "observed_data" not in trace.groups():
            trace.add_groups(observed_data=new.observed_data)
        return trace
    return new
