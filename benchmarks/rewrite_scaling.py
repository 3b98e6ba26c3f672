"""How rewriting time grows with graph size.

Builds graphs of N terms ``-(-((x + c_i) * y) / y)`` summed by a chain of adds
(about 5 nodes per term) and rewrites them to equilibrium with two node
rewriters (a pattern ``a*b/b -> a`` and ``neg(neg(a)) -> a``) and constant
folding, then merges. Prints seconds and microseconds per node for each size;
linear growth means a flat per-node column.

    python benchmarks/rewrite_scaling.py            # 1k, 10k, 100k nodes
    python benchmarks/rewrite_scaling.py 1000 4000  # chosen sizes (nodes)
"""

from __future__ import annotations

import sys
import time

from graft.graph.fg import FunctionGraph
from graft.graph.rewriting.basic import (
    EquilibriumGraphRewriter,
    MergeOptimizer,
    PatternNodeRewriter,
    node_rewriter,
)
from graft.graph.rewriting.core_rewrites import constant_folding
from graft.scalar import add, float64, mul, neg, true_div

local_div_mul = PatternNodeRewriter((true_div, (mul, "a", "b"), "b"), "a")


@node_rewriter([neg])
def local_neg_neg(fgraph, node):
    x = node.inputs[0]
    if x.owner is not None and x.owner.op == neg:
        return [x.owner.inputs[0]]
    return False


def build(n_terms: int) -> FunctionGraph:
    x, y = float64("x"), float64("y")
    total = None
    for i in range(n_terms):
        term = neg(neg(true_div(mul(add(x, float(i % 97)), y), y)))
        total = term if total is None else add(total, term)
    return FunctionGraph([x, y], [total], clone=False)


def run(n_nodes: int) -> tuple[int, int, float]:
    fg = build(max(1, n_nodes // 6))
    start = len(fg.apply_nodes)
    rw = EquilibriumGraphRewriter(
        [local_div_mul, local_neg_neg, constant_folding], max_use_ratio=10
    )
    t0 = time.perf_counter()
    rw.rewrite(fg)
    MergeOptimizer().rewrite(fg)
    dt = time.perf_counter() - t0
    return start, len(fg.apply_nodes), dt


def main(argv: list[str]) -> None:
    sizes = [int(a) for a in argv] or [1_000, 10_000, 100_000]
    print(f"{'nodes before':>12} {'nodes after':>12} {'seconds':>9} {'us/node':>9}")
    for n in sizes:
        before, after, dt = run(n)
        print(f"{before:>12} {after:>12} {dt:>9.3f} {1e6 * dt / before:>9.2f}")


if __name__ == "__main__":
    main(sys.argv[1:])
