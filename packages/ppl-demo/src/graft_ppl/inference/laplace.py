"""`fit_laplace`: a Gaussian at the posterior mode of the unconstrained space.

The mode comes from L-BFGS (``scipy.optimize.minimize``) on the compiled
log-density and gradient, polished by Newton steps with the Hessian; the covariance is the inverse of minus the graft
Hessian of the unconstrained log-density (``graft.gradient.hessian``,
compiled once) at the mode. Draws from that Gaussian are mapped back to the
constrained space (transforms and deterministics), so the result looks like
`sample`'s.

Example::

    idata = fit_laplace(model, draws=1000, seed=1)
    idata.posterior["mu"].mean(), idata.posterior.attrs["mode"]
"""

from __future__ import annotations

from typing import Any

import numpy as np

from graft.compile import function
from graft_ppl.inference.logdensity import LogDensity
from graft_ppl.inference.results import to_inference_data
from graft_ppl.model import Model, best_mode, modelcontext

__all__ = ["LaplaceResult", "fit_laplace", "laplace_approximation"]


class LaplaceResult:
    """The mode (flat, unconstrained), the covariance there, and the optimiser's result."""

    def __init__(self, mode: np.ndarray, cov: np.ndarray, opt: Any, ld: LogDensity) -> None:
        self.mode = mode
        self.cov = cov
        self.opt = opt
        self.ld = ld


def laplace_approximation(
    model: Model, maxiter: int = 10_000, what: str = "fit_laplace"
) -> LaplaceResult:
    """The mode and covariance of the Laplace approximation of ``model`` (no draws).

    Example::

        res = laplace_approximation(model)
        res.mode, res.cov
    """
    from scipy import optimize

    from graft.gradient import hessian

    ld = LogDensity.from_model(model, what=what)
    if ld.ndim == 0:
        raise ValueError(f"{what}: the model has no free variables")
    assert ld.graph is not None
    x, c, lp = ld.graph
    c0 = ld.empty_c

    def neg(xv: np.ndarray) -> tuple[float, np.ndarray]:
        v, g = ld.py_fn(np.ascontiguousarray(xv, dtype=np.float64), c0)
        if not np.isfinite(v):
            return np.inf, np.zeros_like(xv)
        return -v, -g

    opt = optimize.minimize(
        neg, ld.initial, jac=True, method="L-BFGS-B", options={"maxiter": maxiter}
    )
    if not np.all(np.isfinite(opt.x)) or not np.isfinite(opt.fun):
        raise ValueError(f"{what}: the optimiser found no finite mode ({opt.message})")
    h_fn = function([x, c], hessian(lp, x), mode=best_mode(), on_unused_input="ignore")
    mode = np.asarray(opt.x, dtype=np.float64)
    h = np.asarray(h_fn(mode, c0))
    # Newton steps polish the quasi-Newton mode (exact for a Gaussian posterior).
    for _ in range(3):
        f0, g0 = neg(mode)
        try:
            step = np.linalg.solve(h, g0)  # h is the Hessian of logp: minus neg's
        except np.linalg.LinAlgError:
            break
        cand = mode + step
        f1, _ = neg(cand)
        if not f1 <= f0:
            break
        mode = cand
        h = np.asarray(h_fn(mode, c0))
    prec = -(h + h.T) / 2
    try:
        chol = np.linalg.cholesky(prec)
    except np.linalg.LinAlgError:
        raise ValueError(
            f"{what}: minus the Hessian at the mode is not positive definite (the mode "
            f"is a saddle or the posterior is improper there; optimiser: {opt.message})"
        ) from None
    inv_chol = np.linalg.inv(chol)
    cov = inv_chol.T @ inv_chol
    return LaplaceResult(mode, cov, opt, ld)


def fit_laplace(
    model: Model | None = None,
    draws: int = 1000,
    chains: int = 1,
    seed: int | None = None,
    maxiter: int = 10_000,
) -> Any:
    """The Laplace approximation of ``model``'s posterior, as draws in an
    `arviz.InferenceData` (constrained space; ``posterior.attrs`` holds the mode and the
    covariance of the unconstrained space).

    Example::

        idata = fit_laplace(model, draws=2000, seed=0)
    """
    model = modelcontext(model)
    for name, v, lo in (("draws", draws, 1), ("chains", chains, 1)):
        if isinstance(v, bool) or not isinstance(v, int | np.integer) or v < lo:
            raise ValueError(f"fit_laplace: {name} must be an integer >= {lo}, got {v!r}")
    res = laplace_approximation(model, maxiter=maxiter)
    rng = np.random.default_rng(seed)
    flat = rng.multivariate_normal(res.mode, res.cov, size=(chains, draws), method="cholesky")
    return draws_to_inference_data(
        res.ld,
        flat,
        {"method": "laplace", "mode": res.mode.tolist(), "cov": res.cov.tolist()},
    )


def draws_to_inference_data(ld: LogDensity, flat: np.ndarray, attrs: dict[str, Any]) -> Any:
    """InferenceData of flat unconstrained draws (chain, draw, ndim) mapped through the
    model's transforms and deterministics."""
    c0 = ld.empty_c
    per = [[ld.constrained(np.ascontiguousarray(x), c0) for x in chain] for chain in flat]
    names = list(per[0][0])
    post = {k: np.stack([np.stack([d[k] for d in ch]) for ch in per]) for k in names}
    return to_inference_data(post, None, ld.observed, attrs)
