"""The No-U-Turn sampler's transition kernel, written for numba to compile as one loop.

`nuts_block` runs ``n`` NUTS transitions of one chain: momentum draw,
trajectory doubling in a random direction (iteratively, with checkpoints of
the momenta so every aligned sub-trajectory is checked for a U-turn),
multinomial sampling of the next point (uniform within a new subtree,
biased towards the new subtree when it is merged), divergence detection
(an energy error above ``max_energy_error`` stops the trajectory) and,
when ``adapt`` is set, dual-averaging updates of the step size. The
log-density is any callable ``logp_fn(x, c) -> (logp, grad)`` numba can call
(``c``: values the density is conditioned on, e.g. by Gibbs steps):
the njit dispatcher of a compiled graft graph, so the whole loop, gradient
evaluations included, runs without the interpreter.

The functions here are plain Python in the subset numba compiles;
`graft_ppl.inference.kernel` compiles them once per process (and caches the
machine code on disk) for a log-density given as a first-class function, so
a new model costs no kernel compile. Without numba they run as they are.

The metric is diagonal (``inv_mass``) or dense (``inv_mass_dense`` with
``chol_mass``, the Cholesky factor of its inverse, for momentum draws).

Example::

    stats = np.zeros((n, N_STATS)); draws = np.zeros((n, dim))
    state = np.array([step_size, mu, log_eps_bar, h_bar, count])
    q, g, lp = nuts_block(logp_fn, c, q, grad, lp, n, seed, state, inv_mass, dense_minv,
                    chol, False, 10, 1000.0, True, 0.8, draws, stats)
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

__all__ = [
    "HELPERS",
    "N_STATS",
    "STAT_NAMES",
    "dual_averaging_update",
    "find_reasonable_step_size",
    "nuts_block",
]

#: Columns of the statistics array `nuts_block` fills, in order.
STAT_NAMES = (
    "diverging",
    "energy",
    "energy_error",
    "tree_depth",
    "n_steps",
    "step_size",
    "lp",
    "acceptance_rate",
    "reached_max_treedepth",
)
N_STATS = len(STAT_NAMES)

#: The functions the entry points (`nuts_block`, `find_reasonable_step_size`) call.
HELPERS = (
    "_velocity",
    "_kinetic",
    "_momentum",
    "_logp",
    "_leapfrog",
    "_logaddexp",
    "_popcount",
    "_trailing_ones",
    "_turning",
    "_subtree",
    "_transition",
    "dual_averaging_update",
)

# Dual averaging constants (Hoffman & Gelman 2014): shrinkage, iteration offset, decay.
_DA_GAMMA = 0.05
_DA_T0 = 10.0
_DA_KAPPA = 0.75


def _velocity(p: Any, minv: Any, minv_dense: Any, dense: bool) -> Any:
    if dense:
        return minv_dense @ p
    return minv * p


def _kinetic(p: Any, minv: Any, minv_dense: Any, dense: bool) -> float:
    return 0.5 * float(np.dot(p, _velocity(p, minv, minv_dense, dense)))


def _momentum(n: int, minv: Any, chol: Any, dense: bool) -> Any:
    z = np.random.standard_normal(n)
    if dense:
        return chol @ z
    return z / np.sqrt(minv)


def _logp(logp_fn: Any, q: Any, c: Any) -> Any:
    lp, g = logp_fn(q, c)
    lpf = float(lp)
    if not math.isfinite(lpf):
        lpf = -math.inf
    return lpf, g


def _leapfrog(
    logp_fn: Any,
    c: Any,
    q: Any,
    p: Any,
    g: Any,
    eps: float,
    minv: Any,
    minv_dense: Any,
    dense: bool,
) -> Any:
    p_half = p + 0.5 * eps * g
    q_new = q + eps * _velocity(p_half, minv, minv_dense, dense)
    lp, g_new = _logp(logp_fn, q_new, c)
    p_new = p_half + 0.5 * eps * g_new
    return q_new, p_new, g_new, lp


def _logaddexp(a: float, b: float) -> float:
    if a == -math.inf:
        return b
    if b == -math.inf:
        return a
    m = max(a, b)
    return m + math.log(math.exp(a - m) + math.exp(b - m))


def _popcount(n: int) -> int:
    c = 0
    while n:
        c += n & 1
        n >>= 1
    return c


def _trailing_ones(n: int) -> int:
    c = 0
    while n & 1:
        c += 1
        n >>= 1
    return c


def _turning(ps_a: Any, ps_b: Any, rho: Any) -> bool:
    # The generalised criterion: the trajectory turns when either end's velocity
    # points against the summed momentum.
    return float(np.dot(ps_a, rho)) <= 0.0 or float(np.dot(ps_b, rho)) <= 0.0


def _subtree(
    logp_fn: Any,
    c: Any,
    q0: Any,
    p0: Any,
    g0: Any,
    depth: int,
    eps: float,
    h0: float,
    minv: Any,
    minv_dense: Any,
    dense: bool,
    max_energy_error: float,
    r_ckpt: Any,
    rsum_ckpt: Any,
) -> Any:
    """Build ``2**depth`` leapfrog steps from (q0, p0, g0) with signed step ``eps``.

    Returns (status, end q, end p, end g, rho, log weight, proposal q, g, lp, energy,
    n_steps, sum of acceptance probabilities); status 0 valid, 1 U-turn, 2 divergence.
    """
    n_leaves = 1 << depth
    q, p, g = q0, p0, g0
    rsum = np.zeros_like(p0)
    log_w = -math.inf
    prop_q, prop_g, prop_lp, prop_h = q0, g0, -math.inf, math.inf
    accept_sum = 0.0
    for i in range(n_leaves):
        q, p, g, lp = _leapfrog(logp_fn, c, q, p, g, eps, minv, minv_dense, dense)
        h = -lp + _kinetic(p, minv, minv_dense, dense)
        if not math.isfinite(h):
            h = math.inf
        delta = h - h0
        accept_sum += 1.0 if delta <= 0.0 else math.exp(-delta)
        if delta > max_energy_error:
            return 2, q, p, g, rsum, log_w, prop_q, prop_g, prop_lp, prop_h, i + 1, accept_sum
        leaf_w = -delta
        new_log_w = _logaddexp(log_w, leaf_w)
        if math.log(np.random.random()) < leaf_w - new_log_w:
            prop_q, prop_g, prop_lp, prop_h = q, g, lp, h
        log_w = new_log_w
        rsum = rsum + p
        if i % 2 == 0:
            # Even leaves open the aligned blocks later leaves close.
            k = _popcount(i)
            r_ckpt[k, :] = p
            rsum_ckpt[k, :] = rsum
        else:
            k_max = _popcount(i >> 1)
            k_min = k_max - _trailing_ones(i) + 1
            ps_end = _velocity(p, minv, minv_dense, dense)
            for k in range(k_max, k_min - 1, -1):
                rho = rsum - rsum_ckpt[k] + r_ckpt[k]
                ps_start = _velocity(r_ckpt[k], minv, minv_dense, dense)
                if _turning(ps_start, ps_end, rho):
                    return (
                        1, q, p, g, rsum, log_w, prop_q, prop_g, prop_lp, prop_h, i + 1,
                        accept_sum,
                    )  # fmt: skip
    return 0, q, p, g, rsum, log_w, prop_q, prop_g, prop_lp, prop_h, n_leaves, accept_sum


def _transition(
    logp_fn: Any,
    c: Any,
    q: Any,
    g: Any,
    lp: float,
    eps: float,
    minv: Any,
    minv_dense: Any,
    chol: Any,
    dense: bool,
    max_depth: int,
    max_energy_error: float,
) -> Any:
    """One NUTS transition: (q, g, lp, energy, energy error, depth, n_steps,
    acceptance rate, diverging)."""
    n = q.shape[0]
    p0 = _momentum(n, minv, chol, dense)
    h0 = -lp + _kinetic(p0, minv, minv_dense, dense)
    q_l, p_l, g_l = q, p0, g
    q_r, p_r, g_r = q, p0, g
    rho = p0.copy()
    log_w = 0.0
    prop_q, prop_g, prop_lp, prop_h = q, g, lp, h0
    r_ckpt = np.empty((max(max_depth, 1), n))
    rsum_ckpt = np.empty((max(max_depth, 1), n))
    depth = 0
    n_steps = 0
    accept_sum = 0.0
    diverging = False
    while depth < max_depth:
        forward = np.random.random() < 0.5
        if forward:
            out = _subtree(
                logp_fn, c, q_r, p_r, g_r, depth, eps, h0, minv, minv_dense, dense,
                max_energy_error, r_ckpt, rsum_ckpt,
            )  # fmt: skip
        else:
            out = _subtree(
                logp_fn, c, q_l, p_l, g_l, depth, -eps, h0, minv, minv_dense, dense,
                max_energy_error, r_ckpt, rsum_ckpt,
            )  # fmt: skip
        status, e_q, e_p, e_g, s_rho, s_log_w, s_q, s_g, s_lp, s_h, s_n, s_acc = out
        depth += 1
        n_steps += s_n
        accept_sum += s_acc
        if status == 2:
            diverging = True
            break
        if status == 1:
            break
        # Biased progressive sampling: prefer the new subtree by its total weight.
        if math.log(np.random.random()) < s_log_w - log_w:
            prop_q, prop_g, prop_lp, prop_h = s_q, s_g, s_lp, s_h
        log_w = _logaddexp(log_w, s_log_w)
        if forward:
            q_r, p_r, g_r = e_q, e_p, e_g
        else:
            q_l, p_l, g_l = e_q, e_p, e_g
        rho = rho + s_rho
        ps_l = _velocity(p_l, minv, minv_dense, dense)
        ps_r = _velocity(p_r, minv, minv_dense, dense)
        if _turning(ps_l, ps_r, rho):
            break
    acc = accept_sum / max(n_steps, 1)
    return prop_q, prop_g, prop_lp, prop_h, prop_h - h0, depth, n_steps, acc, diverging


def dual_averaging_update(state: Any, accept: float, target: float) -> None:
    """One dual-averaging step on ``state`` = [step, mu, log_eps_bar, h_bar, count]."""
    state[4] += 1.0
    m = state[4]
    w = 1.0 / (m + _DA_T0)
    state[3] = (1.0 - w) * state[3] + w * (target - accept)
    log_eps = state[1] - math.sqrt(m) / _DA_GAMMA * state[3]
    eta = m**-_DA_KAPPA
    state[2] = eta * log_eps + (1.0 - eta) * state[2]
    state[0] = math.exp(log_eps)


def find_reasonable_step_size(
    logp_fn: Any,
    c: Any,
    q: Any,
    g: Any,
    lp: float,
    eps: float,
    minv: Any,
    minv_dense: Any,
    chol: Any,
    dense: bool,
    seed: int,
) -> float:
    """Double or halve ``eps`` until one leapfrog step's acceptance crosses 0.8."""
    np.random.seed(seed)
    n = q.shape[0]
    direction = 0
    for _ in range(100):
        p = _momentum(n, minv, chol, dense)
        h0 = -lp + _kinetic(p, minv, minv_dense, dense)
        _, p1, _, lp1 = _leapfrog(logp_fn, c, q, p, g, eps, minv, minv_dense, dense)
        h1 = -lp1 + _kinetic(p1, minv, minv_dense, dense)
        delta = h0 - h1 if math.isfinite(h1) else -math.inf
        up = delta > math.log(0.8)
        if direction == 0:
            direction = 1 if up else -1
        if (direction == 1 and not up) or (direction == -1 and up):
            break
        eps = eps * 2.0 if direction == 1 else eps * 0.5
        if eps < 1e-10 or eps > 1e7:
            break
    return eps


def nuts_block(
    logp_fn: Any,
    c: Any,
    q: Any,
    g: Any,
    lp: float,
    n_iter: int,
    seed: int,
    da_state: Any,
    minv: Any,
    minv_dense: Any,
    chol: Any,
    dense: bool,
    max_depth: int,
    max_energy_error: float,
    adapt: bool,
    target_accept: float,
    draws: Any,
    stats: Any,
) -> Any:
    """``n_iter`` transitions from (q, g, lp); fills ``draws`` and ``stats`` row by row
    and returns the final (q, g, lp). With ``adapt``, ``da_state`` is updated after each
    transition and its step size used for the next."""
    np.random.seed(seed)
    for it in range(n_iter):
        eps = da_state[0]
        q, g, lp, h, err, depth, n_steps, acc, div = _transition(
            logp_fn, c, q, g, lp, eps, minv, minv_dense, chol, dense, max_depth, max_energy_error
        )
        if adapt:
            dual_averaging_update(da_state, acc, target_accept)
        draws[it, :] = q
        stats[it, 0] = 1.0 if div else 0.0
        stats[it, 1] = h
        stats[it, 2] = err
        stats[it, 3] = depth
        stats[it, 4] = n_steps
        stats[it, 5] = eps
        stats[it, 6] = lp
        stats[it, 7] = acc
        stats[it, 8] = 1.0 if (depth >= max_depth and not div) else 0.0
    return q, g, lp
