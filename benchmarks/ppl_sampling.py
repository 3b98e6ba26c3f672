"""Eight schools (non-centered), 4 chains x 1,000 draws after 1,000 tuning steps: ArviZ
bulk ESS of mu and tau per second of wall time, graft-ppl's NUTS beside its peers.

Run: ``/work/benchvenv/bin/python benchmarks/ppl_sampling.py [--repeats 3]``

Rows:

- graft-ppl ``sample``: the numba-compiled NUTS kernel calling the model's
  compiled logp+grad graph (Numba backend) directly; chains in threads.
- nutpie on the same graft logp+grad (``nutpie.compiled_pyfunc.from_pyfunc``,
  the gradient called back through Python), when nutpie is installed: the
  same density under another sampler.
- PyMC's default sampler and nutpie on the PyMC model, when PyMC is
  installed (otherwise the row says so).

Then the cost of one logp+grad evaluation: graft's compiled function called
from Python, the same graph's njit dispatcher called inside numba code (what
the kernel does), and the same density written in PyTensor and compiled by
it (what PyMC compiles), when PyTensor is installed. Finally, where graft's
sampling time goes: total gradient evaluations x in-kernel gradient cost
against the wall time.

Measured in one run (2-core shared machine, best of 3, warm caches) with a venv
holding graft, PyMC 5.28.5 (PyTensor 2.38.3), nutpie 0.16.8 and numba 0.65.1:
``/work/pymcvenv/bin/python benchmarks/ppl_sampling.py --repeats 3``

| sampler | wall s | ESS mu | ESS tau | ESS/s mu | ESS/s tau |
|---|---:|---:|---:|---:|---:|
| graft-ppl NUTS | 0.23 | 4476 | 2028 | 19276 | 8733 |
| nutpie on graft's logp (Python callback) | 1.22 | 5004 | 2047 | 4089 | 1672 |
| PyMC default NUTS (`pm.sample`, compiles per call) | 4.52 | 4202 | 2250 | 929 | 497 |
| PyMC with nutpie (`pm.sample`, compiles per call) | 2.88 | 5411 | 2207 | 1877 | 766 |
| nutpie, PyMC model compiled once, sampling timed | 0.15 | 5411 | 2207 | 36305 | 14810 |

| logp+grad evaluation | µs |
|---|---:|
| graft Function (Python call) | 1.93 |
| graft graph called inside numba (as the kernel does) | 0.93 |
| PyTensor (C backend), the same density | 12.28 |

graft's sampler beats PyMC's by ~20x in ESS/s, but nutpie itself (model compiled
once) is ~1.7-1.9x faster than graft's NUTS: graft's logp+grad is the cheaper
one; the gap is the kernel's own work (~2.5 us per leapfrog step: momenta,
U-turn checks, small allocations) and thread start-up over 4 short chains.
"""

from __future__ import annotations

import argparse
import os
import time
import timeit
import warnings
from typing import Any

import numpy as np

warnings.filterwarnings("ignore", category=FutureWarning)

Y = np.array([28.0, 8.0, -3.0, 7.0, -1.0, 1.0, 18.0, 12.0])
SIGMA = np.array([15.0, 10.0, 16.0, 11.0, 9.0, 11.0, 10.0, 18.0])
DRAWS, TUNE, CHAINS = 1000, 1000, 4


def graft_model() -> Any:
    from graft_ppl import Model
    from graft_ppl.distributions import Deterministic, HalfCauchy, Normal

    with Model(seed=1) as m:
        mu = Normal("mu", 0.0, 5.0)
        tau = HalfCauchy("tau", 5.0)
        tt = Normal("theta_tilde", 0.0, 1.0, shape=8)
        theta = Deterministic("theta", mu + tau * tt)
        Normal("y", theta, SIGMA, observed=Y)
    return m


def ess_mu_tau(idata: Any) -> tuple[float, float]:
    import arviz as az

    ess = az.ess(idata, var_names=["mu", "tau"], method="bulk")
    return float(ess["mu"]), float(ess["tau"])


def row(name: str, wall: float, ess: tuple[float, float], extra: str = "") -> None:
    print(
        f"| {name} | {wall:.2f} | {ess[0]:.0f} | {ess[1]:.0f} | {ess[0] / wall:.0f} | "
        f"{ess[1] / wall:.0f} | {extra} |"
    )


def bench_graft(repeats: int) -> tuple[float, Any]:
    from graft_ppl.inference import sample

    m = graft_model()
    t0 = time.perf_counter()
    sample(m, draws=10, tune=10, chains=1, seed=0, progressbar=False)  # compile
    print(f"graft-ppl: model + kernel ready in {time.perf_counter() - t0:.2f} s (first call)")
    best, idata = np.inf, None
    for r in range(repeats):
        t0 = time.perf_counter()
        out = sample(m, draws=DRAWS, tune=TUNE, chains=CHAINS, seed=r, progressbar=False)
        wall = time.perf_counter() - t0
        if wall < best:
            best, idata = wall, out
    return best, idata


def bench_nutpie_on_graft(repeats: int) -> tuple[float, Any] | None:
    try:
        import nutpie
        from nutpie.compiled_pyfunc import from_pyfunc
    except ImportError:
        return None
    from graft_ppl.inference.logdensity import LogDensity

    ld = LogDensity.from_model(graft_model())
    c0 = ld.empty_c

    def make_logp() -> Any:
        fn = ld.graft_fn

        def logp(x: np.ndarray) -> tuple[float, np.ndarray]:
            lp, g = fn(x, c0)
            return float(lp), np.asarray(g)

        return logp

    def make_expand(seed1: int, seed2: int, chain: int) -> Any:
        def expand(x: np.ndarray) -> dict[str, np.ndarray]:
            return {"mu": x[0:1].copy()[0:1].reshape(()), "tau": np.exp(x[1:2]).reshape(())}

        return expand

    model = from_pyfunc(
        ld.ndim,
        make_logp,
        make_expand,
        [np.dtype("float64"), np.dtype("float64")],
        [(), ()],
        ["mu", "tau"],
        make_initial_point_fn=lambda seed: np.random.default_rng(seed).uniform(-1, 1, ld.ndim),
    )
    best, idata = np.inf, None
    for r in range(repeats):
        t0 = time.perf_counter()
        out = nutpie.sample(model, draws=DRAWS, tune=TUNE, chains=CHAINS, seed=r,
                            progress_bar=False)  # fmt: skip
        wall = time.perf_counter() - t0
        if wall < best:
            best, idata = wall, out
    return best, idata


def bench_pymc(repeats: int) -> list[tuple[str, float, Any]] | None:
    try:
        import pymc as pm
    except ImportError:
        return None
    with pm.Model() as m:
        mu = pm.Normal("mu", 0.0, 5.0)
        tau = pm.HalfCauchy("tau", 5.0)
        tt = pm.Normal("theta_tilde", 0.0, 1.0, shape=8)
        pm.Normal("y", mu + tau * tt, SIGMA, observed=Y)
    rows = []
    for sampler in ("pymc", "nutpie"):
        best, idata = np.inf, None
        for r in range(repeats):
            t0 = time.perf_counter()
            try:
                out = pm.sample(draws=DRAWS, tune=TUNE, chains=CHAINS, random_seed=r, model=m,
                                progressbar=False, nuts_sampler=sampler)  # fmt: skip
            except Exception as e:  # nutpie missing for PyMC, ...
                print(f"PyMC with nuts_sampler={sampler!r} failed: {e}")
                break
            wall = time.perf_counter() - t0
            if wall < best:
                best, idata = wall, out
        if idata is not None:
            rows.append((f"PyMC ({sampler}), compiling per call", best, idata))
    try:
        import nutpie
    except ImportError:
        return rows
    # nutpie's own timing: the PyMC model compiled once, sampling timed alone.
    compiled = nutpie.compile_pymc_model(m)
    best, idata = np.inf, None
    for r in range(repeats):
        t0 = time.perf_counter()
        out = nutpie.sample(compiled, draws=DRAWS, tune=TUNE, chains=CHAINS, seed=r,
                            progress_bar=False)  # fmt: skip
        wall = time.perf_counter() - t0
        if wall < best:
            best, idata = wall, out
    rows.append(("nutpie, PyMC model compiled once", best, idata))
    return rows


def logp_call_times() -> dict[str, float]:
    """Microseconds per logp+grad evaluation at a fixed point."""
    import numba
    from graft_backend_numba.inner import compile_inner
    from graft_ppl.inference.logdensity import LogDensity

    ld = LogDensity.from_model(graft_model())
    x = np.linspace(-0.5, 0.5, ld.ndim)
    c0 = ld.empty_c
    n = 20_000
    out: dict[str, float] = {}
    fn = ld.graft_fn
    out["graft Function (Python call)"] = (
        min(timeit.repeat(lambda: fn(x, c0), number=n, repeat=5)) / n * 1e6
    )
    d = compile_inner(fn.maker.fgraph)

    @numba.njit
    def loop(x: np.ndarray, c: np.ndarray, k: int) -> float:
        s = 0.0
        for _ in range(k):
            lp, g = d(x, c)
            s += lp.item() + g[0]
        return s

    loop(x, c0, 1)
    out["graft graph called inside numba (as the kernel does)"] = (
        min(timeit.repeat(lambda: loop(x, c0, n), number=1, repeat=5)) / n * 1e6
    )
    try:
        import pytensor
        import pytensor.tensor as pt
    except ImportError:
        return out
    xv = pt.dvector("x")
    mu, ltau, tt = xv[0], xv[1], xv[2:]
    tau = pt.exp(ltau)

    def norm_lp(v: Any, m: Any, s: Any) -> Any:
        return -0.5 * ((v - m) / s) ** 2 - pt.log(s) - 0.5 * np.log(2 * np.pi)

    lp = (
        norm_lp(mu, 0.0, 5.0)
        + (np.log(2 / np.pi) - np.log(5.0) - pt.log1p((tau / 5.0) ** 2) + ltau)
        + norm_lp(tt, 0.0, 1.0).sum()
        + norm_lp(Y, mu + tau * tt, SIGMA).sum()
    )
    f_pt = pytensor.function([xv], [lp, pytensor.grad(lp, xv)])
    out["PyTensor (C backend), the same density"] = (
        min(timeit.repeat(lambda: f_pt(x), number=n, repeat=5)) / n * 1e6
    )
    f_pt.trust_input = True
    out["PyTensor, trust_input"] = (
        min(timeit.repeat(lambda: f_pt(x), number=n, repeat=5)) / n * 1e6
    )
    lp_g, _ = fn(x, c0)
    np.testing.assert_allclose(float(f_pt(x)[0]), float(lp_g), rtol=1e-8)
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--repeats", type=int, default=3, help="best of this many runs per row")
    args = p.parse_args()
    print(f"eight schools non-centered, {CHAINS} chains x {DRAWS} draws, {TUNE} tuning steps; "
          f"{os.cpu_count()} CPUs; best of {args.repeats}")  # fmt: skip
    wall, idata = bench_graft(args.repeats)
    print()
    print("| sampler | wall s | ESS mu | ESS tau | ESS/s mu | ESS/s tau | notes |")
    print("|---|---:|---:|---:|---:|---:|---|")
    g_ess = ess_mu_tau(idata)
    div = int(idata.sample_stats["diverging"].sum())
    row("graft-ppl NUTS", wall, g_ess, f"{div} divergences")
    peers: list[tuple[str, float, Any]] = []
    nut = bench_nutpie_on_graft(args.repeats)
    if nut is None:
        print("| nutpie on graft's logp | - | - | - | - | - | nutpie not installed |")
    else:
        peers.append(("nutpie on graft's logp", *nut))
    pymc_rows = bench_pymc(args.repeats)
    if pymc_rows is None:
        print("| PyMC / nutpie on PyMC | - | - | - | - | - | PyMC not installed |")
    else:
        peers.extend(pymc_rows)
    for name, w, idata_p in peers:
        e = ess_mu_tau(idata_p)
        ratio = (g_ess[0] / wall) / (e[0] / w), (g_ess[1] / wall) / (e[1] / w)
        row(name, w, e, f"graft / this, ESS/s: mu {ratio[0]:.2f}x, tau {ratio[1]:.2f}x")
    print()
    times = logp_call_times()
    print("| logp+grad evaluation | µs |")
    print("|---|---:|")
    for k, v in times.items():
        print(f"| {k} | {v:.2f} |")
    steps = int(idata.sample_stats["n_steps"].sum())
    # The tuning steps are not in sample_stats: count them as the draws' mean.
    total = steps * (DRAWS + TUNE) / DRAWS
    inner = times["graft graph called inside numba (as the kernel does)"] * total / 1e6
    print()
    print(f"graft-ppl: ~{total:,.0f} gradient evaluations in {wall:.2f} s wall over {CHAINS} "
          f"chains; at {times['graft graph called inside numba (as the kernel does)']:.2f} µs each that "
          f"is {inner:.2f} s of logp+grad (CPU time summed over chains); the rest is the "
          "kernel's own work (momenta, U-turn checks, allocation), thread start-up, the "
          "warm-up's metric updates and building the InferenceData.")  # fmt: skip


if __name__ == "__main__":
    main()
