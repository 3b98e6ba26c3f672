"""The log-density (and log-CDF) of every distribution of `graft.tensor.random`.

Conventions, checked against ``scipy.stats`` by the tests:

- A value outside the support has log-density ``-inf`` (the support is
  closed where SciPy's is: ``uniform`` includes both ends, ``gamma`` and
  ``exponential`` include 0, ``lognormal``/``invgamma`` do not).
- A parameter outside its domain (``sigma <= 0``, ``p`` outside [0, 1],
  ``df <= 0``, ``high <= low``, ...) also gives ``-inf``: the point has no
  density under that model, which is what a sampler needs to reject it.
  The gradient there is 0, never nan. ``multivariate_normal`` with a
  covariance that is not positive definite raises a LinAlgError from its
  Cholesky factorisation instead.

Example::

    import graft.tensor as gt
    import graft.tensor.random as gr
    from graft_ppl import logp

    x = gr.gamma(2.0, scale=3.0)
    v = gt.dscalar("v")
    logp(x, v).eval({v: 1.5})     # scipy.stats.gamma(2, scale=3).logpdf(1.5)
"""

from __future__ import annotations

from typing import Any

import numpy as np

import graft.tensor as gt
import graft.tensor.random as gr
from graft.graph.basic import Apply
from graft.graph.op import Op
from graft_ppl.abstract import LOGCDF, LOGP

__all__ = ["check_parameters", "in_support"]

_LOG_2PI = float(np.log(2 * np.pi))
_LOG_PI = float(np.log(np.pi))


def _all(conds: tuple[Any, ...]) -> Any:
    out = conds[0]
    for c in conds[1:]:
        out = gt.and_(out, c)
    return out


def in_support(logp: Any, *conds: Any) -> Any:
    """``logp`` where all ``conds`` hold (the value is in the support), else ``-inf``."""
    return gt.switch(_all(conds), logp, -np.inf)


def check_parameters(logp: Any, *conds: Any) -> Any:
    """``logp`` where all ``conds`` hold (the parameters are in their domain), else ``-inf``."""
    return gt.switch(_all(conds), logp, -np.inf)


def _params(node: Apply) -> list[Any]:
    return list(node.inputs[2:])


def _betaln(a: Any, b: Any) -> Any:
    return gt.gammaln(a) + gt.gammaln(b) - gt.gammaln(a + b)


def _log_binom(n: Any, k: Any) -> Any:
    return gt.gammaln(n + 1) - gt.gammaln(k + 1) - gt.gammaln(n - k + 1)


def _is_int(v: Any) -> Any:
    return gt.eq(v, gt.floor(v))


# ---------------------------------------------------------------------------
# Continuous
# ---------------------------------------------------------------------------


@LOGP.register(gr.NormalRV)
def normal_logp(op: Op, value: Any, node: Apply) -> Any:
    mu, sigma = _params(node)
    z = (value - mu) / sigma
    return check_parameters(-0.5 * z * z - gt.log(sigma) - 0.5 * _LOG_2PI, gt.gt(sigma, 0))


@LOGCDF.register(gr.NormalRV)
def normal_logcdf(op: Op, value: Any, node: Apply) -> Any:
    mu, sigma = _params(node)
    z = (value - mu) / sigma
    return check_parameters(gt.log(0.5 * gt.erfc(-z / np.sqrt(2.0))), gt.gt(sigma, 0))


@LOGP.register(gr.HalfNormalRV)
def halfnormal_logp(op: Op, value: Any, node: Apply) -> Any:
    loc, scale = _params(node)
    z = (value - loc) / scale
    lp = 0.5 * float(np.log(2 / np.pi)) - gt.log(scale) - 0.5 * z * z
    return check_parameters(in_support(lp, gt.ge(value, loc)), gt.gt(scale, 0))


@LOGCDF.register(gr.HalfNormalRV)
def halfnormal_logcdf(op: Op, value: Any, node: Apply) -> Any:
    loc, scale = _params(node)
    z = (value - loc) / scale
    lc = gt.log(gt.erf(z / np.sqrt(2.0)))
    return check_parameters(in_support(lc, gt.ge(value, loc)), gt.gt(scale, 0))


@LOGP.register(gr.CauchyRV)
def cauchy_logp(op: Op, value: Any, node: Apply) -> Any:
    alpha, beta = _params(node)
    z = (value - alpha) / beta
    return check_parameters(-_LOG_PI - gt.log(beta) - gt.log1p(z * z), gt.gt(beta, 0))


@LOGCDF.register(gr.CauchyRV)
def cauchy_logcdf(op: Op, value: Any, node: Apply) -> Any:
    alpha, beta = _params(node)
    z = (value - alpha) / beta
    return check_parameters(gt.log(0.5 + gt.arctan(z) / np.pi), gt.gt(beta, 0))


@LOGP.register(gr.HalfCauchyRV)
def halfcauchy_logp(op: Op, value: Any, node: Apply) -> Any:
    alpha, beta = _params(node)
    z = (value - alpha) / beta
    lp = float(np.log(2 / np.pi)) - gt.log(beta) - gt.log1p(z * z)
    return check_parameters(in_support(lp, gt.ge(value, alpha)), gt.gt(beta, 0))


@LOGP.register(gr.StudentTRV)
def studentt_logp(op: Op, value: Any, node: Apply) -> Any:
    df, loc, scale = _params(node)
    z = (value - loc) / scale
    lp = (
        gt.gammaln((df + 1) / 2)
        - gt.gammaln(df / 2)
        - 0.5 * gt.log(df * np.pi)
        - gt.log(scale)
        - (df + 1) / 2 * gt.log1p(z * z / df)
    )
    return check_parameters(lp, gt.gt(df, 0), gt.gt(scale, 0))


@LOGP.register(gr.UniformRV)
def uniform_logp(op: Op, value: Any, node: Apply) -> Any:
    low, high = _params(node)
    lp = in_support(-gt.log(high - low) + 0 * value, gt.ge(value, low), gt.le(value, high))
    return check_parameters(lp, gt.gt(high, low))


@LOGCDF.register(gr.UniformRV)
def uniform_logcdf(op: Op, value: Any, node: Apply) -> Any:
    low, high = _params(node)
    frac = gt.clip((value - low) / (high - low), 0.0, 1.0)
    return check_parameters(gt.log(frac), gt.gt(high, low))


@LOGP.register(gr.BetaRV)
def beta_logp(op: Op, value: Any, node: Apply) -> Any:
    a, b = _params(node)
    lp = gt.xlogy0(a - 1, value) + gt.xlogy0(b - 1, 1 - value) - _betaln(a, b)
    lp = in_support(lp, gt.ge(value, 0), gt.le(value, 1))
    return check_parameters(lp, gt.gt(a, 0), gt.gt(b, 0))


@LOGP.register(gr.GammaRV)
def gamma_logp(op: Op, value: Any, node: Apply) -> Any:
    k, theta = _params(node)
    lp = gt.xlogy0(k - 1, value) - value / theta - gt.gammaln(k) - k * gt.log(theta)
    return check_parameters(in_support(lp, gt.ge(value, 0)), gt.gt(k, 0), gt.gt(theta, 0))


@LOGCDF.register(gr.GammaRV)
def gamma_logcdf(op: Op, value: Any, node: Apply) -> Any:
    k, theta = _params(node)
    lc = gt.log(gt.gammainc(k, gt.maximum(value, 0) / theta))
    return check_parameters(lc, gt.gt(k, 0), gt.gt(theta, 0))


@LOGP.register(gr.InvGammaRV)
def invgamma_logp(op: Op, value: Any, node: Apply) -> Any:
    alpha, beta = _params(node)
    # Keep the log away from 0 off the support (the switch discards that branch).
    safe = gt.switch(gt.gt(value, 0), value, 1.0)
    lp = alpha * gt.log(beta) - gt.gammaln(alpha) - (alpha + 1) * gt.log(safe) - beta / safe
    return check_parameters(in_support(lp, gt.gt(value, 0)), gt.gt(alpha, 0), gt.gt(beta, 0))


@LOGP.register(gr.ExponentialRV)
def exponential_logp(op: Op, value: Any, node: Apply) -> Any:
    (scale,) = _params(node)
    lp = -gt.log(scale) - value / scale
    return check_parameters(in_support(lp, gt.ge(value, 0)), gt.gt(scale, 0))


@LOGCDF.register(gr.ExponentialRV)
def exponential_logcdf(op: Op, value: Any, node: Apply) -> Any:
    (scale,) = _params(node)
    lc = gt.log1mexp(-gt.maximum(value, 0) / scale)
    return check_parameters(in_support(lc, gt.ge(value, 0)), gt.gt(scale, 0))


@LOGP.register(gr.LogNormalRV)
def lognormal_logp(op: Op, value: Any, node: Apply) -> Any:
    mean, sigma = _params(node)
    safe = gt.switch(gt.gt(value, 0), value, 1.0)
    lv = gt.log(safe)
    z = (lv - mean) / sigma
    lp = -lv - gt.log(sigma) - 0.5 * _LOG_2PI - 0.5 * z * z
    return check_parameters(in_support(lp, gt.gt(value, 0)), gt.gt(sigma, 0))


@LOGP.register(gr.LaplaceRV)
def laplace_logp(op: Op, value: Any, node: Apply) -> Any:
    loc, scale = _params(node)
    lp = -gt.log(2 * scale) - gt.abs(value - loc) / scale
    return check_parameters(lp, gt.gt(scale, 0))


@LOGCDF.register(gr.LaplaceRV)
def laplace_logcdf(op: Op, value: Any, node: Apply) -> Any:
    loc, scale = _params(node)
    z = (value - loc) / scale
    lc = gt.switch(gt.le(z, 0), z - np.log(2.0), gt.log1p(-0.5 * gt.exp(-z)))
    return check_parameters(lc, gt.gt(scale, 0))


@LOGP.register(gr.LogisticRV)
def logistic_logp(op: Op, value: Any, node: Apply) -> Any:
    loc, scale = _params(node)
    z = (value - loc) / scale
    return check_parameters(-z - gt.log(scale) - 2 * gt.softplus(-z), gt.gt(scale, 0))


@LOGCDF.register(gr.LogisticRV)
def logistic_logcdf(op: Op, value: Any, node: Apply) -> Any:
    loc, scale = _params(node)
    z = (value - loc) / scale
    return check_parameters(-gt.softplus(-z), gt.gt(scale, 0))


# ---------------------------------------------------------------------------
# Discrete
# ---------------------------------------------------------------------------


def _prob(p: Any) -> tuple[Any, Any]:
    return gt.ge(p, 0), gt.le(p, 1)


@LOGP.register(gr.BernoulliRV)
def bernoulli_logp(op: Op, value: Any, node: Apply) -> Any:
    (p,) = _params(node)
    lp = gt.switch(gt.eq(value, 1), gt.log(p), gt.log1p(-p))
    lp = in_support(lp, gt.or_(gt.eq(value, 0), gt.eq(value, 1)))
    return check_parameters(lp, *_prob(p))


@LOGP.register(gr.BinomialRV)
def binomial_logp(op: Op, value: Any, node: Apply) -> Any:
    n, p = _params(node)
    lp = _log_binom(n, value) + gt.xlogy0(value, p) + gt.xlogy0(n - value, 1 - p)
    lp = in_support(lp, gt.ge(value, 0), gt.le(value, n), _is_int(value))
    return check_parameters(lp, gt.ge(n, 0), _is_int(n), *_prob(p))


@LOGCDF.register(gr.PoissonRV)
def poisson_logcdf(op: Op, value: Any, node: Apply) -> Any:
    (lam,) = _params(node)
    k = gt.floor(value)
    lc = gt.log(gt.gammaincc(k + 1, lam))
    return check_parameters(in_support(lc, gt.ge(value, 0)), gt.ge(lam, 0))


@LOGP.register(gr.BetaBinomialRV)
def betabinomial_logp(op: Op, value: Any, node: Apply) -> Any:
    n, a, b = _params(node)
    lp = _log_binom(n, value) + _betaln(value + a, n - value + b) - _betaln(a, b)
    lp = in_support(lp, gt.ge(value, 0), gt.le(value, n), _is_int(value))
    return check_parameters(lp, gt.ge(n, 0), _is_int(n), gt.gt(a, 0), gt.gt(b, 0))


@LOGP.register(gr.PoissonRV)
def poisson_logp(op: Op, value: Any, node: Apply) -> Any:
    (lam,) = _params(node)
    lp = gt.xlogy0(value, lam) - lam - gt.gammaln(value + 1)
    lp = in_support(lp, gt.ge(value, 0), _is_int(value))
    return check_parameters(lp, gt.ge(lam, 0))


@LOGP.register(gr.NegBinomialRV)
def negative_binomial_logp(op: Op, value: Any, node: Apply) -> Any:
    n, p = _params(node)
    lp = (
        gt.gammaln(value + n)
        - gt.gammaln(n)
        - gt.gammaln(value + 1)
        + n * gt.log(p)
        + gt.xlogy0(value, 1 - p)
    )
    lp = in_support(lp, gt.ge(value, 0), _is_int(value))
    return check_parameters(lp, gt.gt(n, 0), gt.gt(p, 0), gt.le(p, 1))


@LOGP.register(gr.GeometricRV)
def geometric_logp(op: Op, value: Any, node: Apply) -> Any:
    (p,) = _params(node)
    lp = gt.xlogy0(value - 1, 1 - p) + gt.log(p)
    lp = in_support(lp, gt.ge(value, 1), _is_int(value))
    return check_parameters(lp, gt.gt(p, 0), gt.le(p, 1))


def _last_axis_all(cond: Any) -> Any:
    return gt.all(cond, axis=-1)


@LOGP.register(gr.CategoricalRV)
def categorical_logp(op: Op, value: Any, node: Apply) -> Any:
    (p,) = _params(node)
    k = p.shape[-1]
    hit = gt.eq(gt.arange(k), gt.expand_dims(value, -1))
    lp = gt.sum(gt.switch(hit, gt.log(p), 0.0), axis=-1)
    lp = in_support(lp, gt.ge(value, 0), gt.lt(value, k))
    sums_to_one = gt.lt(gt.abs(gt.sum(p, axis=-1) - 1), 1e-6)
    return check_parameters(lp, _last_axis_all(gt.ge(p, 0)), sums_to_one)


# ---------------------------------------------------------------------------
# Vector support
# ---------------------------------------------------------------------------


@LOGP.register(gr.DirichletRV)
def dirichlet_logp(op: Op, value: Any, node: Apply) -> Any:
    (alphas,) = _params(node)
    lp = (
        gt.sum(gt.xlogy0(alphas - 1, value), axis=-1)
        + gt.gammaln(gt.sum(alphas, axis=-1))
        - gt.sum(gt.gammaln(alphas), axis=-1)
    )
    on_simplex = gt.and_(
        _last_axis_all(gt.ge(value, 0)), gt.lt(gt.abs(gt.sum(value, axis=-1) - 1), 1e-8)
    )
    return check_parameters(in_support(lp, on_simplex), _last_axis_all(gt.gt(alphas, 0)))


@LOGP.register(gr.MultinomialRV)
def multinomial_logp(op: Op, value: Any, node: Apply) -> Any:
    n, p = _params(node)
    lp = (
        gt.gammaln(n + 1)
        - gt.sum(gt.gammaln(value + 1), axis=-1)
        + gt.sum(gt.xlogy0(value, p), axis=-1)
    )
    ok = gt.and_(_last_axis_all(gt.ge(value, 0)), gt.eq(gt.sum(value, axis=-1), n))
    sums_to_one = gt.lt(gt.abs(gt.sum(p, axis=-1) - 1), 1e-6)
    return check_parameters(
        in_support(lp, ok), gt.ge(n, 0), _last_axis_all(gt.ge(p, 0)), sums_to_one
    )


@LOGP.register(gr.MvNormalRV)
def mvnormal_logp(op: Op, value: Any, node: Apply) -> Any:
    mean, cov = _params(node)
    if cov.type.ndim != 2:  # type: ignore[attr-defined]
        raise NotImplementedError(
            "multivariate_normal logp: a batch of covariance matrices is not supported "
            f"(cov has {cov.type.ndim} dimensions)"  # type: ignore[attr-defined]
        )
    chol = gt.linalg.cholesky(cov)
    k: Any = cov.shape[-1]
    delta: Any = value - mean
    batch = delta.shape[:-1]
    flat = gt.reshape(delta, (-1, k)).T  # type: ignore[attr-defined]
    z = gt.linalg.solve_triangular(chol, flat, lower=True)
    quad: Any = gt.reshape(gt.sum(z * z, axis=0), batch, ndim=delta.ndim - 1)
    logdet = gt.sum(gt.log(gt.diagonal(chol)))
    return -0.5 * quad - logdet - 0.5 * k * _LOG_2PI
