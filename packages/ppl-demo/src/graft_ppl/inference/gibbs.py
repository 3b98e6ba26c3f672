"""Gibbs steps for conjugate variables, found in the model graph by `conjugacy`'s relations.

`find_gibbs_steps(model)` tries the miniKanren relations of
`graft_ppl.inference.conjugacy` on every observed variable (written as
``Observed(draw, data)``), groups the matches by prior, and keeps a prior
when its conditional posterior is exactly the conjugate one: the prior is a
free variable, and nothing but the matched likelihoods' conjugate parameter
depends on it. For each kept prior it builds the posterior draw as a graft
graph (the prior's Op with updated parameters, the sufficient statistics
summed to the prior's shape) of the flat vectors (x, c) the samplers use and
an explicit random generator input, compiled once. `sample` alternates NUTS
on the other variables with these steps, one prior after another.

Example::

    plan = find_gibbs_steps(model)       # None when nothing is conjugate
    plan.samplers                        # {"p": "Gibbs (beta-binomial)"}
"""

from __future__ import annotations

import threading
from typing import Any

import numpy as np

import graft.tensor as gt
import graft.tensor.random as gr
from graft.compile import function
from graft.graph.basic import Variable, ancestors, clone_replace
from graft.tensor.random.type import random_generator_type
from graft_ppl.inference.conjugacy import Conjugate, conjugate_pairs
from graft_ppl.inference.logdensity import LogDensity
from graft_ppl.interventions import observed
from graft_ppl.model import Model
from graft_ppl.value_transforms import default_transform

__all__ = ["GibbsPlan", "GibbsSampler", "find_gibbs_steps"]


def _sum_to(stat: Any, prior: Variable) -> Any:
    """``stat`` summed over the leading axes the prior does not have; None when the
    shapes do not line up (no Gibbs step then)."""
    pn = prior.type.ndim  # type: ignore[attr-defined]
    stat = gt.as_tensor_variable(stat)
    sn = stat.type.ndim
    if pn == 0:
        return gt.sum(stat)
    if sn < pn:
        return None
    ps, ss = prior.type.shape, stat.type.shape[sn - pn :]  # type: ignore[attr-defined]
    if any(a is None or b is None or a != b for a, b in zip(ps, ss)):
        return None
    return gt.sum(stat, axis=tuple(range(sn - pn))) if sn > pn else stat


def _posterior_params(prior: Variable, recs: list[Conjugate]) -> list[Any] | None:
    """The conjugate posterior's parameters (in the prior Op's parameterisation)."""
    assert prior.owner is not None
    params: list[Any] = list(prior.owner.inputs[2:])
    n_stats = len(recs[0].stats)
    totals = []
    for i in range(n_stats):
        parts = [_sum_to(r.stats[i], prior) for r in recs]
        if any(p is None for p in parts):
            return None
        totals.append(parts[0] if len(parts) == 1 else gt.add(*parts))
    op = prior.owner.op
    if isinstance(op, gr.BetaRV):
        return [params[0] + totals[0], params[1] + totals[1]]
    if isinstance(op, gr.GammaRV):
        return [params[0] + totals[0], 1.0 / (1.0 / params[1] + totals[1])]
    if isinstance(op, gr.NormalRV):
        prec = 1.0 / params[1] ** 2 + totals[1]
        mean = (params[0] / params[1] ** 2 + totals[0]) / prec
        return [mean, 1.0 / gt.sqrt(prec)]
    if isinstance(op, gr.DirichletRV):
        if prior.type.ndim != 1:  # type: ignore[attr-defined]
            return None
        return [params[0] + totals[0]]
    return None


class GibbsPlan:
    """The conjugate free variables (in model order) with their matched likelihoods."""

    def __init__(self, model: Model, found: dict[Variable, list[Conjugate]]) -> None:
        self.model = model
        self.rvs = [rv for rv in model.free_rvs if rv in found]
        self.found = found
        self.samplers = {str(rv.name): f"Gibbs ({found[rv][0].kind})" for rv in self.rvs}

    def build(self, ld: LogDensity) -> GibbsSampler:
        """Compile the steps against ``ld``'s flat vectors (built with ``gibbs=self.rvs``)."""
        return GibbsSampler(self, ld)


class GibbsSampler:
    """Compiled conjugate updates: ``step(x, c, rng)`` redraws every Gibbs variable in
    turn from its conditional posterior and returns the new ``c``."""

    def __init__(self, plan: GibbsPlan, ld: LogDensity) -> None:
        assert ld.graph is not None
        x, c, _ = ld.graph
        self.samplers = plan.samplers
        self._lock = threading.Lock()
        self.slices = [(a, b) for _, _, a, b in ld.c_layout]
        model = plan.model
        subst: dict[Variable, Any] = {rv: ld.rv_graphs[rv] for rv in model.free_rvs}
        subst.update(model.rvs_to_data)
        rvs = set(model.free_rvs) | set(model.observed_rvs)
        self.fns = []
        self.init = []
        for rv in plan.rvs:
            post = _posterior_params(rv, plan.found[rv])
            assert post is not None and rv.owner is not None
            rng = random_generator_type()
            node = rv.owner.op.make_node(rng, rv.owner.inputs[1], *post)
            outs = [node.outputs[1], node.outputs[0]]
            for _ in range(len(rvs) + 1):
                if not any(a in rvs for a in ancestors(outs)):
                    break
                outs = list(clone_replace(outs, subst))
            outs[0] = gt.cast(gt.flatten(outs[0]), "float64")
            self.fns.append(function([x, c, rng], outs, mode="FAST_RUN", on_unused_input="ignore"))
            tr = default_transform(rv.owner)
            shape = rv.type.shape  # type: ignore[attr-defined]
            if tr is None:
                start = np.zeros(shape)
            else:
                u = tr.unconstrained_type(rv.type)  # type: ignore[arg-type]
                start = np.asarray(tr.backward(np.zeros(u.shape)).eval())
            self.init.append(np.broadcast_to(start, shape).ravel().astype(np.float64))

    def initial(self, rng: np.random.Generator) -> np.ndarray:
        """A start for ``c``: each variable's transform of the unconstrained zero point."""
        return np.concatenate(self.init) if self.init else np.zeros(0)

    def step(self, x: np.ndarray, c: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """One sweep of conjugate updates given the other variables ``x``."""
        c = c.copy()
        for fn, (a, b) in zip(self.fns, self.slices):
            gen = np.random.default_rng(int(rng.integers(2**63 - 1)))
            with self._lock:  # chains run in threads; a graft Function is not re-entrant
                draw, _ = fn(x, c, gen)
            c[a:b] = draw
        return c


def _depends_on(graphs: list[Any], rv: Variable) -> bool:
    return any(a is rv for a in ancestors([gt.as_tensor_variable(g) for g in graphs]))


def find_gibbs_steps(model: Model) -> GibbsPlan | None:
    """The conjugate free variables of ``model`` and their likelihoods, or None."""
    found: dict[Variable, list[Conjugate]] = {}
    for rv in model.observed_rvs:
        obs = observed(rv, model.rvs_to_data[rv])
        for rec in conjugate_pairs(obs):
            found.setdefault(rec.prior, []).append(rec)
    keep: dict[Variable, list[Conjugate]] = {}
    for prior, recs in found.items():
        if prior not in model.rvs_to_values:
            continue
        kinds = {r.kind.split("-")[0] for r in recs}
        children = {r.child for r in recs}
        if len(kinds) != 1 or len(children) != len(recs):
            continue
        # Nothing else may depend on the prior: other variables, or the likelihoods'
        # other parameters.
        others = [v for v in model.free_rvs + model.observed_rvs if v is not prior]
        others = [v for v in others if v not in children]
        if _depends_on(others, prior) or any(_depends_on(r.params, prior) for r in recs):
            continue
        if len({len(r.stats) for r in recs}) != 1 or _posterior_params(prior, recs) is None:
            continue
        keep[prior] = recs
    return GibbsPlan(model, keep) if keep else None
