"""Building a large graph and taking its gradient, graft beside PyTensor.

The graph is the one ``fastrun_rewrite.py`` rewrites: ``N`` float64 vector
inputs ``x_i`` and a scalar ``w``; ``cost`` sums, over a balanced tree of
adds, the ``N`` terms ``sum(log(exp(x_i * w) + 1) - (x_i - 1)**2 / 2)``.
Timed separately, each the best of ``--repeats`` runs: building ``cost``
(the user's NumPy-style code) and ``grad(cost, w)``. PyTensor runs in a
subprocess (``_pytensor_graph.py build``), with no C compiler.

Usage::

    python benchmarks/build_grad.py                        # 782 and 4342 terms (18k, 100k nodes)
    python benchmarks/build_grad.py --compare-pytensor 782
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import graft
import graft.tensor as gt

HERE = Path(__file__).resolve().parent


def forward(n_terms: int) -> tuple[object, object]:
    w = gt.dscalar("w")
    xs = [gt.dvector(f"x{i}") for i in range(n_terms)]
    terms = [gt.sum(gt.log(gt.exp(x * w) + 1) - (x - 1) ** 2 / 2) for x in xs]
    while len(terms) > 1:
        terms = [
            terms[i] + terms[i + 1] if i + 1 < len(terms) else terms[i]
            for i in range(0, len(terms), 2)
        ]
    return terms[0], w


def graft_times(n_terms: int, repeats: int) -> tuple[float, float]:
    forward(2)
    best_build = best_grad = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        cost, w = forward(n_terms)
        t1 = time.perf_counter()
        graft.grad(cost, w)
        t2 = time.perf_counter()
        best_build, best_grad = min(best_build, t1 - t0), min(best_grad, t2 - t1)
    return best_build, best_grad


def pytensor_times(n_terms: int, repeats: int) -> dict:
    env = dict(os.environ)
    env["PYTENSOR_FLAGS"] = "cxx=" + (
        "," + env["PYTENSOR_FLAGS"] if env.get("PYTENSOR_FLAGS") else ""
    )
    cmd = [sys.executable, str(HERE / "_pytensor_graph.py"), "build", str(n_terms), str(repeats)]
    out = subprocess.run(cmd, capture_output=True, text=True, env=env, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("terms", nargs="*", type=int, default=[782, 4342])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--compare-pytensor", action="store_true")
    args = parser.parse_args(argv)
    print(
        f"{'terms':>6s} {'graft build s':>14s} {'graft grad s':>13s} {'PT build s':>11s} {'PT grad s':>10s}"
    )
    for n in args.terms:
        b, g = graft_times(n, args.repeats)
        pt_b = pt_g = ""
        if args.compare_pytensor:
            r = pytensor_times(n, args.repeats)
            pt_b, pt_g = f"{r['build_seconds']:.2f}", f"{r['grad_seconds']:.2f}"
        print(f"{n:6d} {b:14.2f} {g:13.2f} {pt_b:>11s} {pt_g:>10s}", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
