"""FAST_RUN rewriting time on large graphs, graft beside PyTensor.

The graph (built the same way in both libraries): ``N`` float64 *vector*
inputs ``x_i`` and one float64 *scalar* ``w``; ``cost`` is the sum, over a
balanced tree of adds, of the ``N`` terms

    sum(log(exp(x_i * w) + 1) - (x_i - 1)**2 / 2)

and the graph's outputs are ``cost`` and ``grad(cost, w)``. Each term has its
own input, so merging cannot collapse the terms; ``w`` is shared by all of
them (its DimShuffle, after merging, has N clients). graft builds about 23
nodes per term, PyTensor about 25 (its graphs are counted separately).

Timed: only the graph rewrite that ``function()`` runs, on the graph
``function()`` builds (cloned, inputs protected), with the FAST_RUN mode's
rewrite query built before the clock starts; nothing is linked or compiled.
graft: ``FunctionMaker(collect_graph(...), get_mode("FAST_RUN")).rewrite_time``.
PyTensor: ``get_mode("FAST_RUN").optimizer(fgraph)`` on
``FunctionMaker.create_fgraph``'s graph, under the flags PyTensor's own
``prepare_fgraph`` sets; it runs in a subprocess (``_pytensor_graph.py``,
with ``PYTENSOR_FLAGS`` starting ``cxx=``, so no C compiler is ever invoked)
that is killed after ``--pytensor-timeout`` seconds (reported as ``>T s``).
Each size is the best of ``--repeats`` runs (default 3), one run for graphs
of 50k nodes or more and after any run longer than 60 s.

After rewriting graphs of at most ``--check-max-nodes`` nodes (default 5000)
the script asserts that graft's rewritten graph computes the same values as
the unrewritten one (both evaluated with the reference backend, no further
rewriting) on random inputs, including large ``|x*w|``.

Usage (graft with the graft-rewrites-tensor plugin installed, e.g. in a venv
made with ``pip install -e packages/core -e packages/rewrites-tensor``)::

    python benchmarks/fastrun_rewrite.py                      # ~1k, 4k, 18k, 100k nodes, graft only
    python benchmarks/fastrun_rewrite.py 1000 4000            # chosen sizes (nodes, graft's count)
    python benchmarks/fastrun_rewrite.py --compare-pytensor   # also PyTensor (skipped if not importable)
    python benchmarks/fastrun_rewrite.py --compare-pytensor --pytensor-timeout 600 --markdown
    python benchmarks/fastrun_rewrite.py --profile 18000      # graft's rewriter profile per size

To find graft's hot spots on one size (rewriting only, not graph building)::

    python benchmarks/fastrun_rewrite.py --repeats 1 --no-check --cprofile /tmp/fr.prof 18000
    python -c "import pstats; pstats.Stats('/tmp/fr.prof').sort_stats('tottime').print_stats(25)"
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

import graft
import graft.tensor as gt
from graft.compile.function_module import FunctionMaker
from graft.compile.mode import Mode, get_mode
from graft.compile.rebuild import collect_graph
from graft.graph.basic import Variable, applys_between

sys.setrecursionlimit(max(sys.getrecursionlimit(), 20_000))

HERE = Path(__file__).resolve().parent
PYTENSOR_HELPER = HERE / "_pytensor_graph.py"
DEFAULT_SIZES = [1_000, 4_000, 18_000, 100_000]
ONE_RUN_NODES = 50_000  # at or above this size, one run instead of best-of
ONE_RUN_SECONDS = 60.0  # stop repeating after a run this long


def build_graft(n_terms: int) -> tuple[list[Variable], list[Variable]]:
    """Inputs ``[x_0 .. x_{n-1}, w]`` and outputs ``[cost, grad(cost, w)]``."""
    w = gt.dscalar("w")
    xs = [gt.dvector(f"x{i}") for i in range(n_terms)]
    terms = [gt.sum(gt.log(gt.exp(x * w) + 1) - (x - 1) ** 2 / 2) for x in xs]
    while len(terms) > 1:  # balanced tree of adds: depth log2(N)
        terms = [
            terms[i] + terms[i + 1] if i + 1 < len(terms) else terms[i]
            for i in range(0, len(terms), 2)
        ]
    cost = terms[0]
    return [*xs, w], [cost, graft.grad(cost, w)]


def count_nodes(inputs: list[Variable], outputs: list[Variable]) -> int:
    return len(applys_between(inputs, outputs))


def terms_for(target_nodes: int) -> int:
    """How many terms make a graft graph of about ``target_nodes`` nodes."""
    per_term = count_nodes(*build_graft(64)) / 64
    return max(1, round(target_nodes / per_term))


def graft_rewrite(
    n_terms: int, cprofile: str | None = None
) -> tuple[int, FunctionMaker, list[Variable], list[Variable]]:
    inputs, outputs = build_graft(n_terms)
    before = count_nodes(inputs, outputs)
    collected = collect_graph(inputs, outputs)
    mode = get_mode("FAST_RUN")
    if cprofile is None:
        maker = FunctionMaker(collected, mode)
    else:  # profile the FunctionMaker (clone + rewrite) only, not the graph building
        import cProfile

        prof = cProfile.Profile()
        maker = prof.runcall(FunctionMaker, collected, mode)
        prof.dump_stats(cprofile)
    return before, maker, inputs, outputs


def check_values(maker: FunctionMaker, inputs: list[Variable], outputs: list[Variable]) -> None:
    """The rewritten graph and the unrewritten one agree on random inputs."""
    plain = Mode("py", None)  # reference backend, no rewriting
    unrewritten = graft.function(inputs, outputs, mode=plain)
    fg = maker.fgraph
    rewritten = graft.function(list(fg.inputs), list(fg.outputs), mode=plain, accept_inplace=True)
    rng = np.random.default_rng(42)
    for scale, w in [(1.0, 0.7), (3.0, -1.3), (100.0, 5.0)]:
        args = [rng.normal(scale=scale, size=5) for _ in inputs[:-1]] + [np.float64(w)]
        ref = unrewritten(*args)
        got = rewritten(*args)
        for r, g in zip(ref, got, strict=True):
            if np.all(np.isfinite(r)):
                assert np.all(np.isfinite(g)), (scale, r, g)
                np.testing.assert_allclose(g, r, rtol=1e-9, atol=1e-9)
            else:  # exp overflows in the unrewritten graph; the rewritten one is stable
                assert np.all(np.isfinite(g)), (scale, r, g)


def run_graft(
    n_terms: int,
    repeats: int,
    check: bool,
    check_max: int,
    profile: bool,
    cprofile: str | None = None,
) -> tuple[int, int, float, int]:
    best = float("inf")
    runs = 0
    for _ in range(repeats):
        before, maker, inputs, outputs = graft_rewrite(n_terms, cprofile)
        best = min(best, maker.rewrite_time)
        runs += 1
        if before >= ONE_RUN_NODES or maker.rewrite_time > ONE_RUN_SECONDS:
            break
    after = len(maker.fgraph.apply_nodes)
    if profile and maker.rewriter_profile is not None:
        maker.rewriter.print_profile(sys.stdout, maker.rewriter_profile)
    if check and before <= check_max:
        check_values(maker, inputs, outputs)
    return before, after, best, runs


def run_pytensor(n_terms: int, repeats: int, timeout: float) -> dict | str:
    """The helper's JSON result, or a string saying why there is none."""
    env = dict(os.environ)
    flags = env.get("PYTENSOR_FLAGS", "")
    env["PYTENSOR_FLAGS"] = "cxx=" + ("," + flags if flags else "")
    cmd = [sys.executable, str(PYTENSOR_HELPER), str(n_terms), str(repeats), str(ONE_RUN_SECONDS)]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env)
    except subprocess.TimeoutExpired:
        return f">{timeout:g} s"
    if proc.returncode != 0:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["?"]
        return f"failed: {tail[0]}"
    return json.loads(proc.stdout.strip().splitlines()[-1])


def pytensor_available() -> bool:
    return importlib.util.find_spec("pytensor") is not None


def main(argv: list[str]) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("sizes", nargs="*", type=int, help="graph sizes in nodes (graft's count)")
    ap.add_argument("--repeats", type=int, default=3, help="best of this many runs (default 3)")
    ap.add_argument("--compare-pytensor", action="store_true", help="also time PyTensor")
    ap.add_argument("--pytensor-timeout", type=float, default=600.0, help="seconds per size")
    ap.add_argument("--no-check", action="store_true", help="skip the value check")
    ap.add_argument("--check-max-nodes", type=int, default=5_000)
    ap.add_argument("--profile", action="store_true", help="print graft's rewriter profile")
    ap.add_argument("--markdown", action="store_true", help="print a Markdown table")
    ap.add_argument(
        "--cprofile",
        metavar="FILE",
        help="cProfile graft's rewriting (FunctionMaker only) into FILE (last size wins)",
    )
    args = ap.parse_args(argv)
    sizes = args.sizes or DEFAULT_SIZES

    compare = args.compare_pytensor
    if compare and not pytensor_available():
        print("PyTensor is not importable: skipping the comparison", file=sys.stderr)
        compare = False

    backend = get_mode("FAST_RUN").backend
    print(
        f"# graft FAST_RUN (backend {backend!r}), Python {platform.python_version()}, "
        f"NumPy {np.__version__}, {os.cpu_count()} CPUs",
        flush=True,
    )
    graft_rewrite(2)  # warm-up: plugin loading, first-use imports

    rows = []
    hdr = ["nodes", "terms", "graft s", "graft us/node", "graft after",
           "PT nodes", "PT s", "PT us/node", "PT after"]  # fmt: skip
    if args.markdown:
        print("| " + " | ".join(hdr) + " |")
        print("|" + "---:|" * len(hdr))
    else:
        print(" ".join(f"{h:>13}" for h in hdr))
    for target in sizes:
        n_terms = terms_for(target)
        reps = 1 if target >= ONE_RUN_NODES else args.repeats
        check = not args.no_check
        before, after, secs, runs = run_graft(
            n_terms, reps, check, args.check_max_nodes, args.profile, args.cprofile
        )
        print(
            f"# graft: {before:,} nodes -> {after:,} in {secs:.3f} s (best of {runs})",
            file=sys.stderr,
            flush=True,
        )
        row = [f"{before:,}", f"{n_terms:,}", f"{secs:.3f}", f"{1e6 * secs / before:.0f}",
               f"{after:,}"]  # fmt: skip
        if compare:
            res = run_pytensor(n_terms, reps, args.pytensor_timeout)
            if isinstance(res, dict):
                pn, ps = res["nodes_before"], res["seconds"]
                row += [f"{pn:,}", f"{ps:.3f}", f"{1e6 * ps / pn:.0f}", f"{res['nodes_after']:,}"]
            else:
                row += ["", res, "", ""]
        else:
            row += ["", "-", "", ""]
        rows.append(row)
        if args.markdown:
            print("| " + " | ".join(row) + " |", flush=True)
        else:
            print(" ".join(f"{c:>13}" for c in row), flush=True)
    if not args.no_check:
        print(f"# values checked against the unrewritten graph up to {args.check_max_nodes} nodes")


if __name__ == "__main__":
    t0 = time.perf_counter()
    main(sys.argv[1:])
    print(f"# total {time.perf_counter() - t0:.0f} s", file=sys.stderr)
