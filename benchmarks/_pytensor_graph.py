"""PyTensor side of ``fastrun_rewrite.py``: the same graph, rewritten by PyTensor's FAST_RUN.

Not a benchmark on its own; ``fastrun_rewrite.py --compare-pytensor`` runs it
in a subprocess (so that a run can be cut off after a time limit):

    python benchmarks/_pytensor_graph.py N_TERMS REPEATS [MAX_REPEAT_SECONDS]

and reads the one JSON line it prints last: ``nodes_before``, ``nodes_after``,
``seconds`` (best of the runs), ``runs`` and ``pytensor`` (its version).
``build_grad.py --compare-pytensor`` runs

    python benchmarks/_pytensor_graph.py build N_TERMS REPEATS

which prints ``build_seconds`` and ``grad_seconds`` (each the best of the runs)
for building the cost and taking its gradient.

The graph is the one `fastrun_rewrite.build_graft` builds: ``N_TERMS`` float64
vector inputs ``x_i`` and one float64 scalar ``w``; ``cost`` is the sum,
over a balanced tree of adds, of ``sum(log(exp(x_i * w) + 1) - (x_i - 1)**2 / 2)``;
the outputs are ``cost`` and ``grad(cost, w)``.

What is timed is what ``pytensor.function`` does between building its
`FunctionGraph` (``FunctionMaker.create_fgraph``: cloned graph, protected
inputs) and linking: ``mode.optimizer(fgraph)`` for ``get_mode("FAST_RUN")``
(PyTensor's default FAST_RUN mode and its rewrite query), under the flags
``FunctionMaker.prepare_fgraph`` sets (``traceback__limit`` =
``traceback__compile_limit``). The rewrite query is built before the clock
starts; nothing is linked or compiled.
"""

from __future__ import annotations

import json
import sys
import time

sys.setrecursionlimit(max(sys.getrecursionlimit(), 20_000))

import pytensor  # noqa: E402
import pytensor.tensor as pt  # noqa: E402
from pytensor import config  # noqa: E402
from pytensor.compile.io import In, Out  # noqa: E402
from pytensor.compile.maker import FunctionMaker  # noqa: E402
from pytensor.compile.mode import get_mode  # noqa: E402

try:  # PyTensor >= 2.31 moved graph walks to pytensor.graph.traversal
    from pytensor.graph.traversal import applys_between
except ImportError:  # pragma: no cover - older PyTensor
    from pytensor.graph.basic import applys_between


def forward(n_terms: int) -> tuple[list, object, object]:
    """Inputs ``[x_0 .. x_{n-1}, w]``, ``cost`` and ``w``."""
    w = pt.dscalar("w")
    xs = [pt.dvector(f"x{i}") for i in range(n_terms)]
    terms = [pt.sum(pt.log(pt.exp(x * w) + 1) - (x - 1) ** 2 / 2) for x in xs]
    while len(terms) > 1:  # balanced tree of adds: depth log2(N)
        terms = [
            terms[i] + terms[i + 1] if i + 1 < len(terms) else terms[i]
            for i in range(0, len(terms), 2)
        ]
    return [*xs, w], terms[0], w


def build(n_terms: int) -> tuple[list, list]:
    """Inputs ``[x_0 .. x_{n-1}, w]`` and outputs ``[cost, grad(cost, w)]``."""
    inputs, cost, w = forward(n_terms)
    return inputs, [cost, pytensor.grad(cost, w)]


def build_times(n_terms: int, repeats: int) -> None:
    """Print the JSON line with the best build and gradient times of ``repeats`` runs."""
    forward(2)
    best_build = best_grad = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        _, cost, w = forward(n_terms)
        t1 = time.perf_counter()
        pytensor.grad(cost, w)
        t2 = time.perf_counter()
        best_build, best_grad = min(best_build, t1 - t0), min(best_grad, t2 - t1)
    print(
        json.dumps(
            {
                "build_seconds": best_build,
                "grad_seconds": best_grad,
                "pytensor": pytensor.__version__,
            }
        ),
        flush=True,
    )


def rewrite_once(n_terms: int) -> tuple[int, int, float]:
    inputs, outputs = build(n_terms)
    before = sum(1 for _ in applys_between(inputs, outputs))
    mode = get_mode("FAST_RUN")
    fgraph, _ = FunctionMaker.create_fgraph(
        [In(v) for v in inputs], [Out(o) for o in outputs], force_clone=True
    )
    rewriter = mode.optimizer  # a fresh optdb query: built before timing
    with config.change_flags(mode=mode, traceback__limit=config.traceback__compile_limit):
        t0 = time.perf_counter()
        rewriter(fgraph)
        dt = time.perf_counter() - t0
    return before, len(fgraph.apply_nodes), dt


def main(argv: list[str]) -> None:
    if argv and argv[0] == "build":
        build_times(int(argv[1]), int(argv[2]) if len(argv) > 2 else 1)
        return
    n_terms = int(argv[0])
    repeats = int(argv[1]) if len(argv) > 1 else 1
    max_repeat_s = float(argv[2]) if len(argv) > 2 else 60.0
    rewrite_once(2)  # warm-up: first-use imports and caches
    best = float("inf")
    runs = 0
    before = after = 0
    for _ in range(repeats):
        before, after, dt = rewrite_once(n_terms)
        best = min(best, dt)
        runs += 1
        print(f"run {runs}: {dt:.3f} s", file=sys.stderr, flush=True)
        if dt > max_repeat_s:
            break
    print(
        json.dumps(
            {
                "nodes_before": before,
                "nodes_after": after,
                "seconds": best,
                "runs": runs,
                "pytensor": pytensor.__version__,
            }
        ),
        flush=True,
    )


if __name__ == "__main__":
    main(sys.argv[1:])
