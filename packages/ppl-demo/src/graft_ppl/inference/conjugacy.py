"""Conjugate prior/likelihood pairs recognised in model graphs by miniKanren relations.

Each relation ``rel(obs, out)`` unifies an observed draw, written as
``Observed(likelihood_draw, data)`` (`graft_ppl.observe`'s Op), with the
pattern of a likelihood whose parameter is itself a draw of the conjugate
prior, and binds ``out`` to an etuple that builds a `Conjugate` record: the
prior draw and the sufficient statistics this observation contributes
(graft graphs of the data and the likelihood's other parameters). Pairs:

- beta - binomial (and bernoulli): ``p ~ Beta(a, b)``, ``y ~ Binomial(n, p)``
- gamma - poisson: ``lam ~ Gamma(alpha, scale)``, ``y ~ Poisson(lam)``
- normal - normal with known sigma: ``mu ~ N(m, s)``, ``y ~ N(mu, sigma)``
- dirichlet - categorical: ``p ~ Dir(a)``, ``y ~ Categorical(p)``

Example::

    found = conjugate_pairs(Observed()(y_rv, data))   # [Conjugate(prior=p, kind=...)]
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import graft.tensor as gt
import graft.tensor.random as gr
from graft.graph.basic import Variable
from graft_ppl.interventions import Observed

__all__ = ["RELATIONS", "Conjugate", "conjugate_pairs"]


class Conjugate:
    """One observation's contribution to the posterior of the conjugate ``prior`` draw.

    ``stats``: graft graphs of sufficient statistics, shaped like the likelihood draw
    (summed later to the prior's shape); ``params``: the graphs of the likelihood's
    other parameters (they must not depend on the prior).
    """

    def __init__(
        self, kind: str, prior: Variable, child: Variable, stats: list[Any], params: list[Any]
    ) -> None:
        self.kind = kind
        self.prior = prior
        self.child = child
        self.stats = stats
        self.params = params

    def __repr__(self) -> str:
        return f"Conjugate({self.kind}, prior={self.prior.name}, child={self.child.name})"


def _opo(lv: Any, cls: type | tuple[type, ...]) -> Callable[[Any], Iterator[Any]]:
    """A goal: ``lv`` is bound to an Op of class ``cls``."""
    from unification import reify

    def goal(s: Any) -> Iterator[Any]:
        if isinstance(reify(lv, s), cls):
            yield s

    return goal


def _binomial_stats(child: Any, prior: Any, n: Any, data: Any) -> Conjugate:
    y = gt.cast(data, "float64")
    return Conjugate("beta-binomial", prior, child, [y, n - y], [n])


def _bernoulli_stats(child: Any, prior: Any, data: Any) -> Conjugate:
    y = gt.cast(data, "float64")
    return Conjugate("beta-bernoulli", prior, child, [y, 1.0 - y], [])


def _poisson_stats(child: Any, prior: Any, data: Any) -> Conjugate:
    y = gt.cast(data, "float64")
    return Conjugate("gamma-poisson", prior, child, [y, gt.ones_like(y)], [])


def _normal_stats(child: Any, prior: Any, sigma: Any, data: Any) -> Conjugate:
    y = gt.cast(data, "float64")
    prec = 1.0 / sigma**2 * gt.ones_like(y)
    return Conjugate("normal-normal", prior, child, [y * prec, prec], [sigma])


def _categorical_stats(child: Any, prior: Any, data: Any) -> Conjugate:
    k = prior.shape[-1]
    y: Any = gt.flatten(data)
    cats: Any = gt.arange(k)
    counts = gt.sum(gt.cast(gt.eq(y[:, None], cats[None, :]), "float64"), axis=0)
    return Conjugate("dirichlet-categorical", prior, child, [counts], [])


def _relation(
    lik_cls: type,
    n_lik_params: int,
    prior_cls: type,
    n_prior_params: int,
    conj_at: int,
    build: Callable[..., Conjugate],
) -> Callable[[Any, Any], Any]:
    """``rel(obs, out)``: ``obs`` is Observed(lik(rng, size, *params), data) whose parameter
    ``conj_at`` is a draw of ``prior_cls``; ``out`` builds the `Conjugate` record."""
    from etuples import etuple
    from kanren import eq, lall
    from unification import var

    observed_op = Observed()

    def rel(obs: Any, out: Any) -> Any:
        lik_op, rng, size, data, prior_op, p_rng, p_size = (var() for _ in range(7))
        child = var()
        params = [var() for _ in range(n_lik_params)]
        prior_params = [var() for _ in range(n_prior_params)]
        others = [p for i, p in enumerate(params) if i != conj_at]
        return lall(
            eq(obs, etuple(observed_op, child, data)),
            eq(child, etuple(lik_op, rng, size, *params)),
            _opo(lik_op, lik_cls),
            eq(params[conj_at], etuple(prior_op, p_rng, p_size, *prior_params)),
            _opo(prior_op, prior_cls),
            eq(out, etuple(build, child, params[conj_at], *others, data)),
        )

    rel.__name__ = f"{prior_cls.__name__}_{lik_cls.__name__}"
    return rel


#: The relations tried on every observed variable, in order.
RELATIONS = [
    _relation(gr.BinomialRV, 2, gr.BetaRV, 2, 1, _binomial_stats),
    _relation(gr.BernoulliRV, 1, gr.BetaRV, 2, 0, _bernoulli_stats),
    _relation(gr.PoissonRV, 1, gr.GammaRV, 2, 0, _poisson_stats),
    _relation(gr.NormalRV, 2, gr.NormalRV, 2, 0, _normal_stats),
    _relation(gr.CategoricalRV, 1, gr.DirichletRV, 1, 0, _categorical_stats),
]


def conjugate_pairs(obs: Variable) -> list[Conjugate]:
    """Every `Conjugate` record the relations find for the observed draw ``obs``."""
    from kanren import run
    from unification import var

    from graft.graph.rewriting.unify import eval_if_etuple

    out = []
    for rel in RELATIONS:
        q = var()
        for found in run(0, q, rel(obs, q)):
            rec = eval_if_etuple(found)
            if isinstance(rec, Conjugate):
                out.append(rec)
    return out
