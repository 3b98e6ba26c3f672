"""`fit_advi`: automatic differentiation variational inference, mean-field or full-rank.

The approximation is a Gaussian on the unconstrained space, ``z = mu + L eps``
with ``eps ~ N(0, I)``: ``L = diag(exp(omega))`` (mean-field) or a lower
triangular ``L`` with a positive diagonal (full-rank). The ELBO is one graft
graph of (mu, L's parameters, eps): the model's log-density at the
reparameterised draw plus the Gaussian's entropy; its gradient comes from
`graft.grad` and the pair is compiled once, then averaged over ``obj_n_mc``
noise draws per step. The optimiser is Adam, fed fresh
noise ``eps`` from a seeded NumPy generator each step, with a rate decaying
as ``learning_rate / sqrt(1 + t / 1000)``; every
``check_every`` steps the parameters averaged over the last window are
compared with the previous window's, and the fit stops when the relative
change falls below ``tol`` or when the ELBO stops improving (the last
window's mean ELBO within two standard errors of the previous one's, after
at least four windows); the last window's averaged parameters are the
result.

Example::

    idata = fit_advi(model, method="fullrank", n=20_000, seed=1)
    idata.posterior["mu"].std()
"""

from __future__ import annotations

from typing import Any

import numpy as np

import graft.tensor as gt
from graft.compile import function
from graft.gradient import grad
from graft.graph.basic import clone_replace
from graft_ppl.inference.laplace import draws_to_inference_data
from graft_ppl.inference.logdensity import LogDensity, fmatrix, fvector
from graft_ppl.model import Model, best_mode, modelcontext

__all__ = ["ADVIResult", "fit_advi"]


class ADVIResult:
    """The fitted Gaussian (``mean``, ``cov`` on the flat unconstrained space), the ELBO
    trace (one value per step) and whether the convergence check passed."""

    def __init__(
        self, mean: np.ndarray, cov: np.ndarray, hist: np.ndarray, converged: bool
    ) -> None:
        self.mean = mean
        self.cov = cov
        self.hist = hist
        self.converged = converged


def _elbo_function(ld: LogDensity, method: str) -> Any:
    """``f(mu, rho, eps, c) -> (elbo, d/dmu, d/drho)`` at one noise vector ``eps``."""
    assert ld.graph is not None
    x, c, lp = ld.graph
    d = ld.ndim
    mu = fvector("mu")
    rho = fmatrix("rho") if method == "fullrank" else fvector("rho")
    eps = fvector("eps")
    if method == "fullrank":
        # Strictly lower part as is, diagonal through exp: a positive-diagonal Cholesky factor.
        strict = np.tril(np.ones((d, d)), -1)
        chol = rho * strict + gt.exp(rho) * np.eye(d)
        z = mu + gt.dot(chol, eps)
        entropy = gt.sum(rho * np.eye(d))
    else:
        z = mu + eps * gt.exp(rho)
        entropy = gt.sum(rho)
    elbo = clone_replace(lp, {x: z}) + entropy
    g_mu, g_rho = grad(elbo, [mu, rho])
    return function(
        [mu, rho, eps, c], [elbo, g_mu, g_rho], mode=best_mode(), on_unused_input="ignore"
    )


def _mc_average(fn: Any, n_mc: int) -> Any:
    """The ELBO and its gradient averaged over the rows of the noise matrix."""

    def avg(mu: np.ndarray, rho: np.ndarray, eps: np.ndarray, c: np.ndarray) -> list[Any]:
        outs = [fn(mu, rho, e, c) for e in eps]
        if n_mc == 1:
            return outs[0]
        return [sum(np.asarray(o[i]) for o in outs) / n_mc for i in range(3)]

    return avg


def _adam(
    fn: Any,
    params: list[np.ndarray],
    noise: Any,
    c0: np.ndarray,
    n: int,
    lr: float,
    tol: float,
    check_every: int,
) -> tuple[list[np.ndarray], np.ndarray, bool]:
    b1, b2, small = 0.9, 0.999, 1e-8
    m = [np.zeros_like(p) for p in params]
    v = [np.zeros_like(p) for p in params]
    hist = np.empty(n)
    window = [np.zeros_like(p) for p in params]
    prev: list[np.ndarray] | None = None
    converged = False
    k = 0
    for t in range(1, n + 1):
        # A slowly decaying rate: the iterates settle instead of jittering at lr's scale.
        rate = lr / np.sqrt(1.0 + t / 1000.0)
        elbo, *grads = fn(*params, noise(), c0)
        hist[t - 1] = elbo
        for i, g in enumerate(grads):
            g = np.nan_to_num(np.asarray(g), nan=0.0, posinf=0.0, neginf=0.0)
            m[i] = b1 * m[i] + (1 - b1) * g
            v[i] = b2 * v[i] + (1 - b2) * g * g
            step = rate * (m[i] / (1 - b1**t)) / (np.sqrt(v[i] / (1 - b2**t)) + small)
            params[i] = params[i] + step  # ascent on the ELBO
            window[i] += params[i]
        k += 1
        if t % check_every == 0:
            avg = [w / k for w in window]
            if prev is not None:
                num = sum(float(np.sum((a - b) ** 2)) for a, b in zip(avg, prev))
                den = sum(float(np.sum(b**2)) for b in prev)
                settled = np.sqrt(num) <= tol * max(np.sqrt(den), 1.0)
                # Or the ELBO stopped improving: the last window's mean is within two
                # standard errors of the one before (noise, not progress).
                w1, w0 = hist[t - check_every : t], hist[t - 2 * check_every : t - check_every]
                se = np.sqrt((w1.var() + w0.var()) / check_every)
                flat = t >= 4 * check_every and w1.mean() - w0.mean() < 2 * se
                if settled or flat:
                    converged = True
                    return avg, hist[:t], converged
            prev = avg
            window = [np.zeros_like(p) for p in params]
            k = 0
    final = prev if prev is not None else params
    return final, hist, converged


def fit_advi(
    model: Model | None = None,
    method: str = "meanfield",
    n: int = 10_000,
    draws: int = 1000,
    seed: int | None = None,
    learning_rate: float = 0.01,
    obj_n_mc: int = 1,
    tol: float = 1e-3,
    check_every: int = 1000,
    return_approximation: bool = False,
) -> Any:
    """Fit a Gaussian to ``model``'s posterior (unconstrained space) by maximising the
    ELBO; draws from it as an `arviz.InferenceData` (``posterior.attrs``: method, steps
    and whether the fit converged), or with ``return_approximation`` the pair
    (InferenceData, `ADVIResult`).

    Example::

        idata = fit_advi(model, method="meanfield", n=5000, seed=0)
    """
    if method not in ("meanfield", "fullrank"):
        raise ValueError(f"fit_advi: method must be 'meanfield' or 'fullrank', got {method!r}")
    for name, v in (
        ("n", n),
        ("draws", draws),
        ("obj_n_mc", obj_n_mc),
        ("check_every", check_every),
    ):
        if isinstance(v, bool) or not isinstance(v, int | np.integer) or v < 1:
            raise ValueError(f"fit_advi: {name} must be a positive integer, got {v!r}")
    if not learning_rate > 0:
        raise ValueError(f"fit_advi: learning_rate must be > 0, got {learning_rate!r}")
    model = modelcontext(model)
    ld = LogDensity.from_model(model, what="fit_advi")
    d = ld.ndim
    if d == 0:
        raise ValueError("fit_advi: the model has no free variables")
    fn = _mc_average(_elbo_function(ld, method), obj_n_mc)
    rng = np.random.default_rng(seed)
    mu0 = ld.initial.copy()
    rho0 = np.zeros((d, d)) if method == "fullrank" else np.zeros(d)
    (mu, rho), hist, converged = _adam(
        fn,
        [mu0, rho0],
        lambda: rng.standard_normal((obj_n_mc, d)),
        ld.empty_c,
        n,
        learning_rate,
        tol,
        check_every,
    )
    if method == "fullrank":
        chol = np.tril(rho, -1) + np.diag(np.exp(np.diag(rho)))
    else:
        chol = np.diag(np.exp(rho))
    cov = chol @ chol.T
    if not converged:
        import warnings

        from graft_ppl.inference.sampling import SamplingWarning

        warnings.warn(
            f"fit_advi: the parameters did not settle within n={n} steps (relative change "
            f"above tol={tol}); increase n or learning_rate",
            SamplingWarning,
            stacklevel=2,
        )
    flat = mu + rng.standard_normal((1, draws, d)) @ chol.T
    attrs = {"method": f"advi-{method}", "steps": len(hist), "converged": int(converged)}
    idata = draws_to_inference_data(ld, flat, attrs)
    if return_approximation:
        return idata, ADVIResult(mu, cov, hist, converged)
    return idata
