"""`sample`: NUTS (with Gibbs steps for conjugate variables) on several chains.

Each chain runs the compiled kernel of `graft_ppl.inference.nuts` in blocks
(between blocks: metric updates at the ends of the slow warm-up windows,
progress, Gibbs updates); the kernel calls the model's compiled log-density
directly and releases the GIL, so the chains run in parallel threads without
compiling the model again in other processes. Each chain draws from its own
seed spawned from ``seed``: the result does not depend on ``cores``.

Example::

    with Model(seed=1) as m:
        mu = Normal("mu", 0.0, 5.0)
        Normal("y", mu, 1.0, observed=np.array([0.3, -0.1, 0.8]))
    idata = sample(m, draws=500, tune=500, chains=2, seed=1, progressbar=False)
    idata.posterior["mu"].mean()
"""

from __future__ import annotations

import copy
import os
import warnings
import weakref
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np

from graft_ppl.inference.adaptation import estimate_metric, warmup_plan
from graft_ppl.inference.kernel import kernels
from graft_ppl.inference.logdensity import LogDensity
from graft_ppl.inference.nuts import N_STATS, STAT_NAMES
from graft_ppl.inference.progress import ChainProgress
from graft_ppl.inference.results import to_inference_data
from graft_ppl.model import Model, modelcontext

__all__ = ["SamplingWarning", "sample"]

_INT_STATS = {"tree_depth", "n_steps"}
_BOOL_STATS = {"diverging", "reached_max_treedepth"}


_CACHE: weakref.WeakKeyDictionary[Model, tuple[Any, LogDensity, Any]] = weakref.WeakKeyDictionary()


class SamplingWarning(UserWarning):
    """Divergences, maximum tree depth reached, or other signs of a poor fit."""


@dataclass
class _Config:
    draws: int
    tune: int
    target_accept: float
    dense_mass: bool
    max_treedepth: int
    max_energy_error: float
    jitter: bool
    chunk: int


def _metric(n: int, dense: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    if dense:
        return np.ones(n), np.eye(n), np.eye(n)
    return np.ones(n), np.zeros((1, 1)), np.zeros((1, 1))


def _initial(ld: LogDensity, rng: np.random.Generator, c: np.ndarray, jitter: bool) -> Any:
    """A jittered start with a finite log-density and gradient (10 tries)."""
    last = None
    for _ in range(10):
        x = ld.initial + (rng.uniform(-1, 1, ld.ndim) if jitter else 0.0)
        lp, g = ld.py_fn(x, c)
        if np.isfinite(lp) and np.all(np.isfinite(g)):
            return x, np.ascontiguousarray(g, dtype=np.float64), float(lp)
        last = (lp, g)
        if not jitter:
            break
    raise ValueError(
        "sample: no finite log-density/gradient at the initial point "
        f"(logp={last[0] if last else '?'}); check the data, the priors' parameters and "
        "initial_point"
    )


class _Chain:
    """One chain's state and loop (runs in a worker thread)."""

    def __init__(
        self, ld: LogDensity, cfg: _Config, index: int, seed: np.random.SeedSequence, gibbs: Any
    ) -> None:
        self.ld, self.cfg, self.index, self.gibbs = ld, cfg, index, gibbs
        self.rng = np.random.default_rng(seed)

    def _seed(self) -> int:
        return int(self.rng.integers(2**31 - 1))

    def run(self, progress: ChainProgress) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        ld, cfg = self.ld, self.cfg
        fn = ld.jit_fn
        kern = kernels()
        find_reasonable_step_size, nuts_block = kern.find_reasonable_step_size, kern.nuts_block
        n = ld.ndim
        c = self.gibbs.initial(self.rng) if self.gibbs is not None else ld.empty_c
        x, g, lp = _initial(ld, self.rng, c, cfg.jitter) if n else (ld.initial, ld.initial, 0.0)
        minv, minv_dense, chol = _metric(n, cfg.dense_mass)
        eps = (
            find_reasonable_step_size(
                fn, c, x, g, lp, 1.0, minv, minv_dense, chol, cfg.dense_mass, self._seed()
            )
            if n
            else 1.0
        )
        da = np.array([eps, np.log(10 * eps), 0.0, 0.0, 0.0])
        total = cfg.tune + cfg.draws
        xs = np.zeros((total, n))
        cs = np.zeros((total, c.size))
        stats = np.zeros((total, N_STATS))
        segments: list[tuple[int, int, bool | None]] = list(warmup_plan(cfg.tune))
        segments.append((cfg.tune, total, None))
        for start, stop, slow in segments:
            adapt = slow is not None
            if start == cfg.tune:
                da[0] = np.exp(da[2]) if cfg.tune > 0 and da[4] > 0 else da[0]
            pos = start
            while pos < stop:
                k = 1 if self.gibbs is not None else min(cfg.chunk, stop - pos)
                if n:
                    x, g, lp = nuts_block(
                        fn, c, x, g, lp, k, self._seed(), da, minv, minv_dense, chol,
                        cfg.dense_mass, cfg.max_treedepth, cfg.max_energy_error, adapt,
                        cfg.target_accept, xs[pos : pos + k], stats[pos : pos + k],
                    )  # fmt: skip
                if self.gibbs is not None:
                    c = self.gibbs.step(x, c, self.rng)
                    cs[pos] = c
                    # The density changed with c: refresh the state's lp and gradient.
                    lp, g = ld.py_fn(x, c)
                    g = np.ascontiguousarray(g, dtype=np.float64)
                    stats[pos, 6] = lp
                pos += k
                div = int(stats[pos - k : pos, 0].sum()) if pos > cfg.tune else 0
                progress.advance(self.index, k, div)
            if slow and n:
                minv_new = estimate_metric(xs[start:stop], cfg.dense_mass)
                if cfg.dense_mass:
                    minv_dense = np.ascontiguousarray(minv_new)
                    chol = np.ascontiguousarray(np.linalg.cholesky(np.linalg.inv(minv_dense)))
                else:
                    minv = np.ascontiguousarray(minv_new)
                eps = find_reasonable_step_size(
                    fn, c, x, g, lp, da[0], minv, minv_dense, chol, cfg.dense_mass, self._seed()
                )
                da[:] = [eps, np.log(10 * eps), 0.0, 0.0, 0.0]
        t = cfg.tune
        return xs[t:], cs[t:], stats[t:]


def _resolve(model_or_logp: Any, initial_point: Any, what: str) -> tuple[LogDensity, Any]:
    from graft_ppl.inference.gibbs import find_gibbs_steps

    if model_or_logp is None:
        model_or_logp = modelcontext(None)
    if isinstance(model_or_logp, Model):
        model = model_or_logp
        # A model's compiled pieces are reused by later calls while its variables stay
        # the same (compiling is most of a small model's first call).
        key = (tuple(model.named_vars), tuple(map(id, model.named_vars.values())))
        cached = _CACHE.get(model)
        if cached is None or cached[0] != key:
            steps = find_gibbs_steps(model)
            ld = LogDensity.from_model(model, gibbs=steps.rvs if steps else (), what=what)
            cached = (key, ld, steps.build(ld) if steps else None)
            _CACHE[model] = cached
        _, ld, gibbs = cached
        if initial_point is not None:
            ld = copy.copy(ld)
            ld.initial = _initial_from_user(ld, initial_point)
        return ld, gibbs
    if callable(model_or_logp):
        return LogDensity.from_callable(model_or_logp, initial_point), None
    raise TypeError(
        f"{what}: expected a graft_ppl.Model or a callable logp_dlogp(x) -> (logp, grad), got "
        f"{type(model_or_logp).__name__}"
    )


def _initial_from_user(ld: LogDensity, point: Any) -> np.ndarray:
    """A flat start from ``{value variable name: unconstrained value}`` or a flat vector."""
    x = ld.initial.copy()
    if isinstance(point, dict):
        known = {name: (shape, a, b) for name, shape, a, b in ld.layout}
        for name, val in point.items():
            if name not in known:
                raise KeyError(
                    f"sample: initial_point names {name!r}, which is not a sampled value "
                    f"variable (known: {sorted(known)})"
                )
            shape, a, b = known[name]
            arr = np.asarray(val, dtype=np.float64)
            if arr.shape != shape:
                raise ValueError(
                    f"sample: initial_point[{name!r}] has shape {arr.shape}, expected {shape}"
                )
            x[a:b] = arr.ravel()
        return x
    arr = np.asarray(point, dtype=np.float64)
    if arr.shape != x.shape:
        raise ValueError(f"sample: initial_point has shape {arr.shape}, expected {x.shape}")
    return arr


def _check_args(draws: int, tune: int, chains: int, target_accept: float) -> None:
    for name, v, lo in (("draws", draws, 1), ("tune", tune, 0), ("chains", chains, 1)):
        if isinstance(v, bool) or not isinstance(v, int | np.integer) or v < lo:
            raise ValueError(f"sample: {name} must be an integer >= {lo}, got {v!r}")
    if not 0.0 < float(target_accept) < 1.0:
        raise ValueError(f"sample: target_accept must be in (0, 1), got {target_accept!r}")


def sample(
    model_or_logp: Model | Callable[[np.ndarray], Any] | None = None,
    draws: int = 1000,
    tune: int = 1000,
    chains: int = 4,
    seed: int | None = None,
    progressbar: bool = True,
    target_accept: float = 0.8,
    dense_mass: bool = False,
    cores: int | None = None,
    *,
    initial_point: Any = None,
    max_treedepth: int = 10,
    max_energy_error: float = 1000.0,
    jitter: bool = True,
    var_names: Sequence[str] | None = None,
) -> Any:
    """Draw from a model's posterior with NUTS; an `arviz.InferenceData`.

    ``model_or_logp``: a `graft_ppl.Model` (default: the one of the enclosing
    ``with``), or a callable ``logp_dlogp(x) -> (logp, grad)`` of a flat float
    vector with ``initial_point=`` (a model's default start is its unconstrained
    zero point, jittered by U(-1, 1) unless ``jitter=False``). Conjugate
    variables get Gibbs steps (`graft_ppl.inference.gibbs`), the others NUTS;
    ``idata.posterior.attrs["samplers"]`` says which. The posterior holds the
    free variables on their constrained space and the deterministics;
    sample_stats holds diverging, energy, energy_error, tree_depth, n_steps,
    step_size, lp, acceptance_rate and reached_max_treedepth; observed_data
    the model's data. ``seed`` fixes every chain (whatever ``cores``).

    Example::

        idata = sample(model, draws=1000, tune=1000, chains=4, seed=3)
        import arviz as az; az.summary(idata)
    """
    _check_args(draws, tune, chains, target_accept)
    if not isinstance(max_treedepth, int) or max_treedepth < 1:
        raise ValueError(
            f"sample: max_treedepth must be a positive integer, got {max_treedepth!r}"
        )
    ld, gibbs = _resolve(model_or_logp, initial_point, "sample")
    cfg = _Config(
        draws=int(draws),
        tune=int(tune),
        target_accept=float(target_accept),
        dense_mass=bool(dense_mass),
        max_treedepth=max_treedepth,
        max_energy_error=float(max_energy_error),
        jitter=jitter,
        chunk=50,
    )
    samplers = {name: "NUTS" for name in ld.var_names}
    if gibbs is not None:
        samplers.update(gibbs.samplers)
        if progressbar:
            print("Samplers: " + ", ".join(f"{k}: {v}" for k, v in samplers.items()))
    seeds = np.random.SeedSequence(seed).spawn(chains)
    runners = [_Chain(ld, cfg, i, s, gibbs) for i, s in enumerate(seeds)]
    workers = max(1, min(chains, cores if cores else (os.cpu_count() or 1)))
    if not kernels().compiled:
        workers = 1  # the pure-Python kernel seeds NumPy's global generator
    with ChainProgress(chains, cfg.tune + cfg.draws, progressbar) as bar:
        if workers == 1:
            results = [r.run(bar) for r in runners]
        else:
            with ThreadPoolExecutor(max_workers=workers) as pool:
                results = list(pool.map(lambda r: r.run(bar), runners))
    return _assemble(ld, results, samplers, var_names, cfg)


def _assemble(
    ld: LogDensity,
    results: list[tuple[np.ndarray, np.ndarray, np.ndarray]],
    samplers: dict[str, str],
    var_names: Sequence[str] | None,
    cfg: _Config,
) -> Any:
    chains = len(results)
    per_draw = [[ld.constrained(x, c) for x, c in zip(xs, cs)] for xs, cs, _ in results]
    names = list(per_draw[0][0]) if per_draw and per_draw[0] else []
    if var_names is not None:
        unknown = sorted(set(var_names) - set(names))
        if unknown:
            raise KeyError(f"sample: var_names {unknown} are not variables of the model ({names})")
        names = [n for n in names if n in var_names]
    posterior = {
        k: np.stack([np.stack([d[k] for d in chain]) for chain in per_draw]) for k in names
    }
    stats_arr = np.stack([s for _, _, s in results])  # (chain, draw, N_STATS)
    stats: dict[str, np.ndarray] = {}
    for i, name in enumerate(STAT_NAMES):
        col = stats_arr[..., i]
        if name in _BOOL_STATS:
            stats[name] = col.astype(bool)
        elif name in _INT_STATS:
            stats[name] = col.astype(np.int64)
        else:
            stats[name] = col
    if ld.ndim == 0:
        stats = {"lp": stats["lp"]}
    n_div = int(stats_arr[..., 0].sum()) if ld.ndim else 0
    if n_div:
        warnings.warn(
            f"sample: {n_div} divergent transition(s) after tuning ({chains} chains x "
            f"{cfg.draws} draws); the posterior may be biased: raise target_accept or "
            "reparameterise (e.g. non-centered)",
            SamplingWarning,
            stacklevel=3,
        )
    attrs = {
        "samplers": "; ".join(f"{k}: {v}" for k, v in samplers.items()),
        "tuning_steps": cfg.tune,
        "sampler": "graft_ppl NUTS",
    }
    return to_inference_data(posterior, stats, ld.observed, attrs)
