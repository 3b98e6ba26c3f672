"""Reduction fusion on the reference backend: FAST_RUN beside FAST_RUN without ``reduce_fusion``.

With graft-rewrites-tensor installed, FAST_RUN folds an elementwise tree read
only by a reduction into one `graft.tensor.fused_reduce.ElemwiseReduce` node.
On the reference backend that node runs the same NumPy code as the two nodes
it replaces, so the point of this script is that it is *not slower* (a
compiling backend is where one loop pays off). Each case asserts that the
fused graph has fewer nodes and gives bit-for-bit the same result.

Usage (graft-core and graft-rewrites-tensor installed)::

    python benchmarks/reduce_fusion.py            # 1e6 elements
    python benchmarks/reduce_fusion.py 1e3 1e6    # several sizes
"""

from __future__ import annotations

import sys
import timeit

import numpy as np

import graft
import graft.tensor as gt
from graft.compile import get_mode

ROUNDS = 15  # fused and unfused timed alternately, so both see the same machine load


def cases(n: int) -> dict[str, tuple[list, object, list[np.ndarray]]]:
    rng = np.random.default_rng(0)
    x, y, m = gt.dvector("x"), gt.dvector("y"), gt.dmatrix("m")
    xv, yv = rng.normal(size=n), rng.normal(size=n)
    cols = 1000 if n % 1000 == 0 else 1
    return {
        "sum(exp(x) * y)": ([x, y], gt.sum(gt.exp(x) * y), [xv, yv]),
        "max(exp(x) * y)": ([x, y], gt.max(gt.exp(x) * y), [xv, yv]),
        "any(x > y)": ([x, y], gt.any(x > y), [xv, yv]),
        "sum(sqr(m - 1), axis=1)": (
            [m],
            gt.sum(gt.sqr(m - 1.0), axis=1),
            [xv.reshape(-1, cols)],
        ),
    }


def main(argv: list[str]) -> None:
    sizes = [int(float(a)) for a in argv] or [10**6]
    fused_mode = get_mode("FAST_RUN")
    unfused_mode = fused_mode.excluding("reduce_fusion")
    print(f"{'case':26s} {'n':>9s} {'fused ms':>10s} {'unfused ms':>11s} {'ratio':>6s}")
    for n in sizes:
        number = max(1, 20_000_000 // (n * 100))
        for name, (ins, out, vals) in cases(n).items():
            f = graft.function(ins, out, mode=fused_mode)
            g = graft.function(ins, out, mode=unfused_mode)
            assert len(f.maker.fgraph.apply_nodes) < len(g.maker.fgraph.apply_nodes), name
            assert np.array_equal(f(*vals), g(*vals)), name
            best = {"fused": float("inf"), "unfused": float("inf")}
            for _ in range(ROUNDS):
                for key, fn in (("fused", f), ("unfused", g)):
                    t = min(
                        timeit.repeat(lambda fn=fn, vals=vals: fn(*vals), number=number, repeat=3)
                    )
                    best[key] = min(best[key], t / number)
            ratio = best["fused"] / best["unfused"]
            print(
                f"{name:26s} {n:9.0e} {best['fused'] * 1e3:10.3f} "
                f"{best['unfused'] * 1e3:11.3f} {ratio:6.3f}"
            )


if __name__ == "__main__":
    main(sys.argv[1:])
