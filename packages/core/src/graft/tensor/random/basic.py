"""The distributions: one `RandomVariable` subclass each, and the PyTensor-named draws.

Each name (``normal``, ``gamma``, ...) is an Op instance (or, where the
signature needs more than positional parameters, a function) called as
``normal(mu, sigma, size=None, rng=None, dtype=None, name=None)``; see
`graft.tensor.random.op.RandomVariable` for ``size``/``rng`` semantics.
Continuous draws are ``floatX``, discrete ones int64. Vector-valued draws
(``dirichlet``, ``multinomial``, ``multivariate_normal``) have one support
dimension last; their parameters may carry batch dimensions.

Example::

    import graft.tensor as gt
    from graft.tensor.random import normal, dirichlet

    x = normal(0.0, gt.dvector("sigma"))          # one draw per sigma
    w = dirichlet([1.0, 2.0, 3.0], size=(5,))      # shape (5, 3)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from graft.tensor.random.op import RandomVariable

__all__ = [
    "BernoulliRV",
    "BetaBinomialRV",
    "BetaRV",
    "BinomialRV",
    "CategoricalRV",
    "CauchyRV",
    "DirichletRV",
    "ExponentialRV",
    "GammaRV",
    "GeometricRV",
    "HalfCauchyRV",
    "HalfNormalRV",
    "InvGammaRV",
    "LaplaceRV",
    "LogNormalRV",
    "LogisticRV",
    "MultinomialRV",
    "MvNormalRV",
    "NegBinomialRV",
    "NormalRV",
    "PoissonRV",
    "StudentTRV",
    "UniformRV",
    "bernoulli",
    "beta",
    "betabinomial",
    "binomial",
    "categorical",
    "cauchy",
    "dirichlet",
    "exponential",
    "gamma",
    "geometric",
    "halfcauchy",
    "halfnormal",
    "invgamma",
    "laplace",
    "logistic",
    "lognormal",
    "multinomial",
    "multivariate_normal",
    "mvnormal",
    "nbinom",
    "negative_binomial",
    "normal",
    "poisson",
    "studentt",
    "t",
    "uniform",
]

Size = tuple[int, ...]


# ---------------------------------------------------------------------------
# Continuous, scalar support
# ---------------------------------------------------------------------------


class NormalRV(RandomVariable):
    """``normal(mu=0, sigma=1)``: N(mu, sigma**2) (``Generator.normal``)."""

    name = "normal"
    ndims_params = (0, 0)
    param_names = ("mu", "sigma")

    def __call__(self, mu: Any = 0.0, sigma: Any = 1.0, **kwargs: Any) -> Any:  # type: ignore[override]
        return super().__call__(mu, sigma, **kwargs)


class HalfNormalRV(RandomVariable):
    """``halfnormal(loc=0, scale=1)``: ``loc + scale * |N(0, 1)|``."""

    name = "halfnormal"
    ndims_params = (0, 0)
    param_names = ("loc", "scale")

    def __call__(self, loc: Any = 0.0, scale: Any = 1.0, **kwargs: Any) -> Any:  # type: ignore[override]
        return super().__call__(loc, scale, **kwargs)

    def rng_fn(self, rng: np.random.Generator, *args: Any) -> Any:
        loc, scale, size = args
        _check_nonneg(self, "scale", scale)
        return loc + scale * np.abs(rng.standard_normal(size))


class CauchyRV(RandomVariable):
    """``cauchy(alpha=0, beta=1)``: Cauchy with location ``alpha`` and scale ``beta``."""

    name = "cauchy"
    ndims_params = (0, 0)
    param_names = ("alpha", "beta")

    def __call__(self, alpha: Any = 0.0, beta: Any = 1.0, **kwargs: Any) -> Any:  # type: ignore[override]
        return super().__call__(alpha, beta, **kwargs)

    def rng_fn(self, rng: np.random.Generator, *args: Any) -> Any:
        alpha, beta, size = args
        _check_nonneg(self, "beta", beta)
        return alpha + beta * rng.standard_cauchy(size)


class HalfCauchyRV(RandomVariable):
    """``halfcauchy(alpha=0, beta=1)``: ``alpha + beta * |Cauchy(0, 1)|``."""

    name = "halfcauchy"
    ndims_params = (0, 0)
    param_names = ("alpha", "beta")

    def __call__(self, alpha: Any = 0.0, beta: Any = 1.0, **kwargs: Any) -> Any:  # type: ignore[override]
        return super().__call__(alpha, beta, **kwargs)

    def rng_fn(self, rng: np.random.Generator, *args: Any) -> Any:
        alpha, beta, size = args
        _check_nonneg(self, "beta", beta)
        return alpha + beta * np.abs(rng.standard_cauchy(size))


class StudentTRV(RandomVariable):
    """``t(df, loc=0, scale=1)``: Student's t, ``loc + scale * T(df)``."""

    name = "t"
    ndims_params = (0, 0, 0)
    param_names = ("df", "loc", "scale")

    def __call__(self, df: Any, loc: Any = 0.0, scale: Any = 1.0, **kwargs: Any) -> Any:  # type: ignore[override]
        return super().__call__(df, loc, scale, **kwargs)

    def rng_fn(self, rng: np.random.Generator, *args: Any) -> Any:
        df, loc, scale, size = args
        _check_nonneg(self, "scale", scale)
        return loc + scale * rng.standard_t(df, size)


class UniformRV(RandomVariable):
    """``uniform(low=0, high=1)``: uniform on ``[low, high)`` (``Generator.uniform``)."""

    name = "uniform"
    ndims_params = (0, 0)
    param_names = ("low", "high")

    def __call__(self, low: Any = 0.0, high: Any = 1.0, **kwargs: Any) -> Any:  # type: ignore[override]
        return super().__call__(low, high, **kwargs)


class BetaRV(RandomVariable):
    """``beta(alpha, beta)`` (``Generator.beta``)."""

    name = "beta"
    ndims_params = (0, 0)
    param_names = ("alpha", "beta")


class GammaRV(RandomVariable):
    """The gamma draw with parameters ``(shape, scale)``; build it with `gamma`."""

    name = "gamma"
    ndims_params = (0, 0)
    param_names = ("shape", "scale")


class InvGammaRV(RandomVariable):
    """``invgamma(alpha, beta)``: ``beta / Gamma(alpha, 1)`` (SciPy's ``invgamma(alpha,
    scale=beta)``)."""

    name = "invgamma"
    ndims_params = (0, 0)
    param_names = ("alpha", "beta")

    def rng_fn(self, rng: np.random.Generator, *args: Any) -> Any:
        alpha, beta, size = args
        _check_nonneg(self, "beta", beta)
        with np.errstate(divide="ignore"):
            return beta / rng.standard_gamma(alpha, size)


class ExponentialRV(RandomVariable):
    """``exponential(scale=1)``: mean ``scale`` (``Generator.exponential``)."""

    name = "exponential"
    ndims_params = (0,)
    param_names = ("scale",)

    def __call__(self, scale: Any = 1.0, **kwargs: Any) -> Any:  # type: ignore[override]
        return super().__call__(scale, **kwargs)


class LogNormalRV(RandomVariable):
    """``lognormal(mean=0, sigma=1)``: ``exp(N(mean, sigma**2))``."""

    name = "lognormal"
    ndims_params = (0, 0)
    param_names = ("mean", "sigma")

    def __call__(self, mean: Any = 0.0, sigma: Any = 1.0, **kwargs: Any) -> Any:  # type: ignore[override]
        return super().__call__(mean, sigma, **kwargs)


class LaplaceRV(RandomVariable):
    """``laplace(loc=0, scale=1)`` (``Generator.laplace``)."""

    name = "laplace"
    ndims_params = (0, 0)
    param_names = ("loc", "scale")

    def __call__(self, loc: Any = 0.0, scale: Any = 1.0, **kwargs: Any) -> Any:  # type: ignore[override]
        return super().__call__(loc, scale, **kwargs)


class LogisticRV(RandomVariable):
    """``logistic(loc=0, scale=1)`` (``Generator.logistic``)."""

    name = "logistic"
    ndims_params = (0, 0)
    param_names = ("loc", "scale")

    def __call__(self, loc: Any = 0.0, scale: Any = 1.0, **kwargs: Any) -> Any:  # type: ignore[override]
        return super().__call__(loc, scale, **kwargs)


# ---------------------------------------------------------------------------
# Discrete, scalar support
# ---------------------------------------------------------------------------


class BernoulliRV(RandomVariable):
    """``bernoulli(p)``: 1 with probability ``p``, else 0 (int64)."""

    name = "bernoulli"
    ndims_params = (0,)
    dtype = "int64"
    param_names = ("p",)

    def rng_fn(self, rng: np.random.Generator, *args: Any) -> Any:
        p, size = args
        _check_prob(self, "p", p)
        return rng.random(size) < p


class BinomialRV(RandomVariable):
    """``binomial(n, p)`` (``Generator.binomial``; int64)."""

    name = "binomial"
    ndims_params = (0, 0)
    dtype = "int64"
    integer_params = (0,)
    param_names = ("n", "p")


class BetaBinomialRV(RandomVariable):
    """``betabinomial(n, a, b)``: ``Binomial(n, Beta(a, b))`` (int64)."""

    name = "betabinomial"
    ndims_params = (0, 0, 0)
    dtype = "int64"
    integer_params = (0,)
    param_names = ("n", "a", "b")

    def rng_fn(self, rng: np.random.Generator, *args: Any) -> Any:
        n, a, b, size = args
        return rng.binomial(n, rng.beta(a, b, size), size)


class PoissonRV(RandomVariable):
    """``poisson(lam=1)`` (``Generator.poisson``; int64)."""

    name = "poisson"
    ndims_params = (0,)
    dtype = "int64"
    param_names = ("lam",)

    def __call__(self, lam: Any = 1.0, **kwargs: Any) -> Any:  # type: ignore[override]
        return super().__call__(lam, **kwargs)


class NegBinomialRV(RandomVariable):
    """``negative_binomial(n, p)``: failures before the ``n``-th success (int64)."""

    name = "negative_binomial"
    ndims_params = (0, 0)
    dtype = "int64"
    param_names = ("n", "p")


class GeometricRV(RandomVariable):
    """``geometric(p)``: trials up to and including the first success, >= 1 (int64)."""

    name = "geometric"
    ndims_params = (0,)
    dtype = "int64"
    param_names = ("p",)


class CategoricalRV(RandomVariable):
    """``categorical(p)``: index ``k`` with probability ``p[..., k]`` (int64).

    ``p``'s last axis holds the probabilities (they should sum to 1); the
    draw has ``p``'s batch shape (or ``size``).
    """

    name = "categorical"
    ndims_params = (1,)
    dtype = "int64"
    param_names = ("p",)

    def rng_fn(self, rng: np.random.Generator, *args: Any) -> Any:
        p, size = args
        p = np.asarray(p, dtype="float64")
        _check_prob(self, "p", p)
        k = p.shape[-1]
        if k == 0:
            raise ValueError("categorical: p must have at least one category")
        cdf = np.cumsum(np.broadcast_to(p, tuple(size) + (k,)), axis=-1)
        u = rng.random(size)
        # Inverse CDF: the number of cumulative sums at or below u.
        idx = (cdf <= np.asarray(u)[..., None]).sum(axis=-1)
        return np.minimum(idx, k - 1)


# ---------------------------------------------------------------------------
# Vector support
# ---------------------------------------------------------------------------


def _per_batch(
    op: RandomVariable,
    params: Sequence[Any],
    size: Size,
    draw_one: Callable[..., Any],
    supp: int,
    dtype: Any,
) -> np.ndarray:
    """Draw ``draw_one(*core_params)`` for every batch index of ``size`` (C order)."""
    cores = []
    for p, nd in zip(params, op.ndims_params):
        p = np.asarray(p)
        cores.append(np.broadcast_to(p, tuple(size) + p.shape[p.ndim - nd :]))
    out = np.empty(tuple(size) + (supp,), dtype=dtype)
    for idx in np.ndindex(*size):
        out[idx] = draw_one(*(c[idx] for c in cores))
    return out


class DirichletRV(RandomVariable):
    """``dirichlet(alphas)``: a point of the simplex (last axis), concentrations ``alphas``."""

    name = "dirichlet"
    ndim_supp = 1
    ndims_params = (1,)
    param_names = ("alphas",)

    def __call__(self, alphas: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        return super().__call__(alphas, **kwargs)

    def rng_fn(self, rng: np.random.Generator, *args: Any) -> Any:
        alphas, size = args
        alphas = np.asarray(alphas, dtype="float64")
        if alphas.ndim == 1:
            return rng.dirichlet(alphas, size)
        return _per_batch(self, [alphas], size, rng.dirichlet, alphas.shape[-1], "float64")


class MultinomialRV(RandomVariable):
    """``multinomial(n, p)``: counts of ``n`` trials over the categories of ``p`` (int64)."""

    name = "multinomial"
    ndim_supp = 1
    ndims_params = (0, 1)
    dtype = "int64"
    integer_params = (0,)
    param_names = ("n", "p")
    supp_shape_param = (1, -1)

    def rng_fn(self, rng: np.random.Generator, *args: Any) -> Any:
        n, p, size = args
        p = np.asarray(p, dtype="float64")
        _check_prob(self, "p", p)
        if p.ndim == 1 and np.ndim(n) == 0:
            return rng.multinomial(n, p, size)
        return _per_batch(self, [n, p], size, rng.multinomial, p.shape[-1], "int64")


class MvNormalRV(RandomVariable):
    """``multivariate_normal(mean, cov, method="cholesky")``: ``mean + A @ z`` with
    ``A @ A.T == cov`` (``method``: "cholesky", "eigh" or "svd") and z ~ N(0, I)."""

    __props__ = (*RandomVariable.__props__, "method")
    name = "multivariate_normal"
    ndim_supp = 1
    ndims_params = (1, 2)
    param_names = ("mean", "cov")

    def __init__(self, *args: Any, method: str = "cholesky", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if method not in ("cholesky", "eigh", "svd"):
            raise ValueError(
                f"multivariate_normal: method must be 'cholesky', 'eigh' or 'svd', got {method!r}"
            )
        self.method = method

    def __call__(self, mean: Any, cov: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        return super().__call__(mean, cov, **kwargs)

    def make_node(self, rng: Any, size: Any, *params: Any) -> Any:
        node = super().make_node(rng, size, *params)
        mean_t: Any = node.inputs[2].type
        cov_t: Any = node.inputs[3].type
        k, r, c = mean_t.shape[-1], cov_t.shape[-2], cov_t.shape[-1]
        known = [s for s in (k, r, c) if s is not None]
        if len(set(known)) > 1:
            raise ValueError(
                f"multivariate_normal: mean of shape {mean_t.shape} and cov of shape "
                f"{cov_t.shape} disagree (cov must be k x k for a mean of length k)"
            )
        return node

    def rng_fn(self, rng: np.random.Generator, *args: Any) -> Any:
        mean, cov, size = args
        mean = np.asarray(mean, dtype="float64")
        cov = np.asarray(cov, dtype="float64")
        k = mean.shape[-1]
        if cov.shape[-2:] != (k, k):
            raise ValueError(
                f"multivariate_normal: cov of shape {cov.shape} does not match mean of shape "
                f"{mean.shape}"
            )
        if self.method == "cholesky":
            a = np.linalg.cholesky(cov)
        elif self.method == "eigh":
            w, v = np.linalg.eigh(cov)
            a = v * np.sqrt(np.clip(w, 0, None))[..., None, :]
        else:
            u, s, _ = np.linalg.svd(cov)
            a = u * np.sqrt(s)[..., None, :]
        z = rng.standard_normal(tuple(size) + (k,))
        return mean + np.einsum("...ij,...j->...i", a, z)


# ---------------------------------------------------------------------------
# Parameter checks that NumPy does not make for the derived draws
# ---------------------------------------------------------------------------


def _check_nonneg(op: RandomVariable, what: str, value: Any) -> None:
    if np.any(np.asarray(value) < 0):
        raise ValueError(f"{op.name}: {what} < 0")


def _check_prob(op: RandomVariable, what: str, value: Any) -> None:
    v = np.asarray(value)
    if np.any((v < 0) | (v > 1)) or np.any(np.isnan(v)):
        raise ValueError(f"{op.name}: {what} must be in [0, 1]")


# ---------------------------------------------------------------------------
# The PyTensor-named draws
# ---------------------------------------------------------------------------

normal = NormalRV()
halfnormal = HalfNormalRV()
cauchy = CauchyRV()
halfcauchy = HalfCauchyRV()
t = StudentTRV()
studentt = t
uniform = UniformRV()
beta = BetaRV()
_gamma = GammaRV()
invgamma = InvGammaRV()
exponential = ExponentialRV()
lognormal = LogNormalRV()
laplace = LaplaceRV()
logistic = LogisticRV()
bernoulli = BernoulliRV()
binomial = BinomialRV()
betabinomial = BetaBinomialRV()
poisson = PoissonRV()
negative_binomial = NegBinomialRV()
nbinom = negative_binomial
geometric = GeometricRV()
categorical = CategoricalRV()
dirichlet = DirichletRV()
multinomial = MultinomialRV()
mvnormal = MvNormalRV()


def gamma(shape: Any, rate: Any = None, scale: Any = None, **kwargs: Any) -> Any:
    """A gamma draw with ``shape`` and either ``scale`` or ``rate`` (= 1 / scale).

    Neither given means ``scale=1``; giving both is a ValueError.

    Example::

        x = gamma(2.0, scale=3.0, size=(4,))    # mean 6
        y = gamma(2.0, rate=0.5)                # the same distribution
    """
    if rate is not None and scale is not None:
        raise ValueError("gamma: give either rate or scale, not both")
    if rate is not None:
        from graft.tensor.basic import as_tensor_variable

        try:
            r = as_tensor_variable(rate)
        except (TypeError, ValueError) as e:
            raise TypeError(f"gamma: parameter 'rate' must be a numeric tensor: {e}") from None
        scale = 1.0 / r
    elif scale is None:
        scale = 1.0
    return _gamma(shape, scale, **kwargs)


def multivariate_normal(mean: Any, cov: Any, *, method: str = "cholesky", **kwargs: Any) -> Any:
    """A multivariate normal draw (the last axis is the support; ``cov`` is ``k x k``).

    Example::

        x = multivariate_normal(np.zeros(2), np.eye(2), size=(10,))   # shape (10, 2)
    """
    op = mvnormal if method == "cholesky" else MvNormalRV(method=method)
    return op(mean, cov, **kwargs)
