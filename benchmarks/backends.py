"""graft's backends beside PyTensor, JAX and NumPy on the same workloads, interleaved.

Each workload is written once against a NumPy-like tensor namespace and built
with graft (``graft.tensor``) and with PyTensor (``pytensor.tensor``) where it
is installed; hand-written NumPy (and a hand-written numba loop where it is
the natural yardstick) run beside them. Every round times each contender once
(a batch of calls sized to ~20 ms) in turn, so that machine noise hits all of
them alike; the best round counts. Ratios are printed against graft-NUMBA.

    python benchmarks/backends.py                 # every workload
    python benchmarks/backends.py overhead logreg # some of them
    python benchmarks/backends.py --compile       # also cold/warm compile times

Contenders that are not installed are skipped (PyTensor, JAX, numba).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable
from typing import Any

import numpy as np

Fn = Callable[[], Any]


def _have(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


# ---------------------------------------------------------------------------
# Workloads: build(ns, grad) -> (inputs, outputs); values() -> input arrays
# ---------------------------------------------------------------------------


def _overhead(ns: Any, grad: Any) -> tuple[list[Any], list[Any]]:
    a, b = ns.dscalar("a"), ns.dscalar("b")
    return [a, b], [a * b + 1]


def _chain(ns: Any, grad: Any) -> tuple[list[Any], list[Any]]:
    x, y, z = ns.dvector("x"), ns.dvector("y"), ns.dvector("z")
    return [x, y, z], [ns.exp(x) * y + ns.log1p(z) ** 2 - ns.tanh(x * y)]


def _membound(ns: Any, grad: Any) -> tuple[list[Any], list[Any]]:
    x, y, z = ns.dvector("x"), ns.dvector("y"), ns.dvector("z")
    return [x, y, z], [2 * x + y * z - x * x]


def _sumexp(ns: Any, grad: Any) -> tuple[list[Any], list[Any]]:
    x, w = ns.dvector("x"), ns.dvector("w")
    return [x, w], [ns.sum(ns.exp(x) * w)]


def _logreg(ns: Any, grad: Any) -> tuple[list[Any], list[Any]]:
    X, y, w = ns.dmatrix("X"), ns.dvector("y"), ns.dvector("w")
    eta = ns.dot(X, w)
    # log sigmoid(eta) = -softplus(-eta); written the way a model author would.
    logp = ns.sum(y * -ns.log1p(ns.exp(-eta)) + (1 - y) * -ns.log1p(ns.exp(eta)))
    logp = logp - 0.5 * ns.sum(w**2)
    return [X, y, w], [logp, grad(logp, w)]


EIGHT_Y = np.array([28.0, 8.0, -3.0, 7.0, -1.0, 1.0, 18.0, 12.0])
EIGHT_SIGMA = np.array([15.0, 10.0, 16.0, 11.0, 9.0, 11.0, 10.0, 18.0])


def _eight_schools(ns: Any, grad: Any) -> tuple[list[Any], list[Any]]:
    q = ns.dvector("q")  # (mu, log_tau, theta_tilde[8]), the sampler's flat vector
    mu, log_tau, tt = q[0], q[1], q[2:]
    tau = ns.exp(log_tau)
    theta = mu + tau * tt
    y = ns.constant(EIGHT_Y)
    sigma = ns.constant(EIGHT_SIGMA)
    half_log_2pi = 0.5 * np.log(2 * np.pi)
    logp = -0.5 * (mu / 5.0) ** 2 - np.log(5.0) - half_log_2pi
    logp = logp + np.log(2 / (np.pi * 5.0)) - ns.log1p((tau / 5.0) ** 2) + log_tau
    logp = logp + ns.sum(-0.5 * tt**2 - half_log_2pi)
    logp = logp + ns.sum(-0.5 * ((y - theta) / sigma) ** 2 - ns.log(sigma) - half_log_2pi)
    return [q], [logp, grad(logp, q)]


def _softmax(ns: Any, grad: Any) -> tuple[list[Any], list[Any]]:
    x = ns.dmatrix("x")
    soft = ns.softmax if hasattr(ns, "softmax") else ns.special.softmax
    return [x], [soft(x, axis=-1)]


def _ar1(ns: Any, grad: Any) -> tuple[list[Any], list[Any]]:
    """AR(1) log-likelihood as a scan over 1,000 steps, plus its gradient."""
    if ns.__name__.startswith("graft"):
        from graft import scan
    else:
        from pytensor import scan
    y, rho, sigma = ns.dvector("y"), ns.dscalar("rho"), ns.dscalar("sigma")
    half_log_2pi = 0.5 * np.log(2 * np.pi)
    terms, _ = scan(
        lambda y_prev, y_t, r, s: -0.5 * ((y_t - r * y_prev) / s) ** 2 - ns.log(s) - half_log_2pi,
        sequences=dict(input=y, taps=[-1, 0]),
        non_sequences=[rho, sigma],
    )
    logp = terms.sum()
    return [y, rho, sigma], [logp, *grad(logp, [rho, sigma])]


def _values(name: str, rng: np.random.Generator) -> list[np.ndarray]:
    if name == "overhead":
        return [np.array(1.5), np.array(2.0)]
    if name in ("chain",):
        return [rng.normal(size=10**6), rng.normal(size=10**6), rng.uniform(0, 1, 10**6)]
    if name == "membound":
        return [rng.normal(size=10**7) for _ in range(3)]
    if name == "sumexp":
        return [rng.normal(size=10**6), rng.normal(size=10**6)]
    if name == "logreg":
        X = rng.normal(size=(1000, 20))
        return [X, (rng.uniform(size=1000) < 0.5).astype(float), rng.normal(size=20) * 0.1]
    if name == "eight":
        return [rng.normal(size=10)]
    if name == "softmax":
        return [rng.normal(size=(1000, 1000))]
    if name == "ar1":
        return [rng.normal(size=1001).cumsum() * 0.1, np.array(0.8), np.array(0.6)]
    raise KeyError(name)


def _numpy(name: str) -> Fn | None:
    def chain(x: Any, y: Any, z: Any) -> Any:
        return np.exp(x) * y + np.log1p(z) ** 2 - np.tanh(x * y)

    def softmax(x: Any) -> Any:
        e = np.exp(x - x.max(axis=-1, keepdims=True))
        return e / e.sum(axis=-1, keepdims=True)

    def ar1(y: Any, rho: Any, sigma: Any) -> Any:
        # Vectorised by hand (the loop has no recurrence in its state).
        r = (y[1:] - rho * y[:-1]) / sigma
        logp = np.sum(-0.5 * r**2) - r.size * (np.log(sigma) + 0.5 * np.log(2 * np.pi))
        return logp, np.sum(r * y[:-1]) / sigma, np.sum(r**2) / sigma - r.size / sigma

    table: dict[str, Any] = {
        "overhead": lambda a, b: a * b + 1,
        "chain": chain,
        "membound": lambda x, y, z: 2 * x + y * z - x * x,
        "sumexp": lambda x, w: np.sum(np.exp(x) * w),
        "softmax": softmax,
        "ar1": ar1,
    }
    return table.get(name)


def _numba_loop(name: str) -> Any:
    if not _have("numba"):
        return None
    import numba

    if name == "membound":

        @numba.njit(fastmath=False)
        def membound(x: Any, y: Any, z: Any) -> Any:
            out = np.empty_like(x)
            for i in range(x.shape[0]):
                out[i] = 2 * x[i] + y[i] * z[i] - x[i] * x[i]
            return out

        return membound
    if name == "sumexp":

        @numba.njit(fastmath=False)
        def sumexp(x: Any, w: Any) -> Any:
            acc = 0.0
            for i in range(x.shape[0]):
                acc += np.exp(x[i]) * w[i]
            return acc

        return sumexp
    return None


WORKLOADS: dict[str, tuple[str, Callable[..., Any]]] = {
    "overhead": ("f(a, b) = a*b + 1, float64 scalars, inputs checked", _overhead),
    "chain": ("exp(x)*y + log1p(z)**2 - tanh(x*y), 1e6 float64", _chain),
    "membound": ("2*x + y*z - x*x, 1e7 float64", _membound),
    "sumexp": ("sum(exp(x) * w), 1e6", _sumexp),
    "logreg": ("logistic regression logp + grad, X 1000x20", _logreg),
    "eight": ("eight schools (non-centered) logp + grad", _eight_schools),
    "softmax": ("row softmax, 1000x1000", _softmax),
    "ar1": ("AR(1) log-likelihood + gradient as a 1,000-step scan", _ar1),
}


# ---------------------------------------------------------------------------
# Contenders
# ---------------------------------------------------------------------------


def _graft(name: str, mode: str) -> Fn:
    import graft
    import graft.tensor as gt

    ins, outs = WORKLOADS[name][1](gt, graft.grad)
    f = graft.function(ins, outs if len(outs) > 1 else outs[0], mode=mode)
    vals = _values(name, np.random.default_rng(0))
    f(*vals)
    return lambda: f(*vals)


def _pytensor(name: str, mode: str) -> Fn:
    import pytensor
    import pytensor.tensor as pt

    ins, outs = WORKLOADS[name][1](pt, pytensor.grad)
    f = pytensor.function(ins, outs if len(outs) > 1 else outs[0], mode=mode)
    vals = _values(name, np.random.default_rng(0))
    f(*vals)
    return lambda: f(*vals)


def contenders(name: str) -> dict[str, Fn]:
    """Every available way to run workload ``name``, ready to call."""
    out: dict[str, Fn] = {}
    if _have("graft_backend_numba"):
        out["graft NUMBA"] = _graft(name, "NUMBA")
    out["graft PY"] = _graft(name, "PY")
    if _have("pytensor"):
        for mode, label in (("FAST_RUN", "PyTensor C"), ("NUMBA", "PyTensor NUMBA")):
            try:
                out[label] = _pytensor(name, mode)
            except Exception as e:  # e.g. no C compiler
                print(f"  ({label} unavailable: {type(e).__name__}: {e})", file=sys.stderr)
    ref = _numpy(name)
    if ref is not None:
        vals = _values(name, np.random.default_rng(0))
        out["NumPy"] = lambda: ref(*vals)
    loop = _numba_loop(name)
    if loop is not None:
        vals = _values(name, np.random.default_rng(0))
        loop(*vals)
        out["numba loop"] = lambda: loop(*vals)
    return out


def _batch(fn: Fn, target: float = 0.02) -> int:
    n = 1
    while True:
        t0 = time.perf_counter()
        for _ in range(n):
            fn()
        if time.perf_counter() - t0 > target or n > 1 << 20:
            return n
        n *= 4


def measure(fns: dict[str, Fn], rounds: int = 7) -> dict[str, float]:
    """Seconds per call, best round, all contenders interleaved within each round."""
    sizes = {k: _batch(f) for k, f in fns.items()}
    best = dict.fromkeys(fns, float("inf"))
    for _ in range(rounds):
        for k, f in fns.items():
            n = sizes[k]
            t0 = time.perf_counter()
            for _ in range(n):
                f()
            best[k] = min(best[k], (time.perf_counter() - t0) / n)
    return best


def _fmt(seconds: float) -> str:
    if seconds < 1e-3:
        return f"{seconds * 1e6:.2f} µs"
    return f"{seconds * 1e3:.2f} ms"


# ---------------------------------------------------------------------------
# Compile times in fresh processes
# ---------------------------------------------------------------------------

COMPILE = textwrap.dedent(
    """
    import time, json, sys
    t0 = time.perf_counter()
    {pre}
    t1 = time.perf_counter()
    sys.path.insert(0, {bench!r})
    import backends as b
    {build}
    t2 = time.perf_counter()
    print(json.dumps({{"import": t1 - t0, "compile": t2 - t1}}))
    """
)


def compile_times() -> list[tuple[str, float]]:
    """Cold (empty caches) and warm (caches filled, numba already imported) compile times
    of the logistic regression logp + grad, each in a new process."""
    bench = os.path.dirname(os.path.abspath(__file__))
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, GRAFT_CACHE_DIR=os.path.join(tmp, "graft"))
        env["PYTENSOR_FLAGS"] = f"base_compiledir={os.path.join(tmp, 'pytensor')}"
        env["NUMBA_CACHE_DIR"] = os.path.join(tmp, "numba")
        cases = [("graft NUMBA", "b._graft('logreg', 'NUMBA')")]
        if _have("pytensor"):
            cases += [
                ("PyTensor NUMBA", "b._pytensor('logreg', 'NUMBA')"),
                ("PyTensor C", "b._pytensor('logreg', 'FAST_RUN')"),
            ]
        for label, build in cases:
            for state in ("cold", "warm"):
                code = COMPILE.format(pre="import numba", bench=bench, build=build)
                out = subprocess.run(
                    [sys.executable, "-c", code], env=env, capture_output=True, text=True
                )
                if out.returncode:
                    print(out.stderr[-2000:], file=sys.stderr)
                    continue
                rows.append((f"{label}, {state}", json.loads(out.stdout)["compile"]))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("workloads", nargs="*", default=list(WORKLOADS))
    parser.add_argument("--compile", action="store_true", help="also time compilation")
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    for name in args.workloads:
        title = WORKLOADS[name][0]
        fns = contenders(name)
        times = measure(fns, args.rounds)
        base = times.get("graft NUMBA")
        print(f"\n{title}")
        for k, t in sorted(times.items(), key=lambda kv: kv[1]):
            ratio = f"{t / base:6.2f}x graft NUMBA" if base else ""
            print(f"  {k:16s} {_fmt(t):>10s}  {ratio}")
    if args.compile:
        print("\ncompile logistic logp + grad in a new process")
        for label, t in compile_times():
            print(f"  {label:24s} {t:7.2f} s")


if __name__ == "__main__":
    main()
