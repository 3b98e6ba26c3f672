"""Call overhead of `graft.function`: calls per second of a small scalar function.

Run: ``PYTHONPATH=packages/core/src python benchmarks/call_overhead.py``

Prints, for ``f(x, y) = x * y + 1`` on float64 scalars compiled with the
reference backend: calls/second and microseconds per call with argument
checking, with ``trust_input``, by keyword, and the bare compiled graph
(``fn.maker.compiled.fn``); then graphs that isolate the overheads (no node,
ten no-op nodes, a shared-variable update), two small tensor graphs run
without rewriting (one ``perform`` per Elemwise), and plain Python for
reference. Most of ``f``'s time is the two scalar Ops' own ``perform``.
"""

from __future__ import annotations

import argparse
import timeit
from collections.abc import Callable

import numpy as np

import graft.tensor as gt
from graft.compile import Mode, function
from graft.compile.sharedvalue import SharedVariable
from graft.graph.basic import Apply
from graft.graph.op import Op
from graft.scalar import add, float64, int64


class Ident(Op):
    """A do-nothing Op: chains of it measure the backend's per-node overhead."""

    __props__ = ()

    def make_node(self, x):  # type: ignore[no-untyped-def]
        return Apply(self, [x], [x.type()])

    def perform(self, node, inputs, output_storage):  # type: ignore[no-untyped-def]
        output_storage[0][0] = inputs[0]


def bench(label: str, stmt: Callable[[], object], number: int, repeat: int) -> None:
    best = min(timeit.repeat(stmt, number=number, repeat=repeat)) / number
    print(f"{label:<44} {1 / best:12,.0f} calls/s  {best * 1e6:8.2f} us/call")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--number", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    n, r = args.number, args.repeat

    x, y = float64("x"), float64("y")
    f = function([x, y], x * y + 1, mode="PY")
    ft = function([x, y], x * y + 1, mode="PY", trust_input=True)
    a, b = np.float64(2.0), np.float64(3.0)
    assert f(a, b) == ft(a, b) == 7.0

    count = SharedVariable(int64, 0, name="count")
    tick = function([], count, updates={count: add(count, 1)}, mode="PY")
    ident = function([x], x, mode="PY")
    chain = x
    for _ in range(10):
        chain = Ident()(chain)
    ident10 = function([x], chain, mode="PY", trust_input=True)
    raw = f.maker.compiled
    assert raw is not None
    # Tensor graphs run as built (no rewriting, so no fusion): one perform per Elemwise.
    plain = Mode("py", None)
    tx, ty = gt.dscalar("tx"), gt.dscalar("ty")
    t7 = function(
        [tx, ty], gt.exp(tx * ty + 1) - gt.log(ty) * tx / 3, mode=plain, trust_input=True
    )
    tv = gt.dvector("tv")
    tsum = function([tv], gt.sum(gt.exp(tv) * 2 + tv), mode=plain, trust_input=True)
    v100 = np.arange(100.0)

    def py(u: float, v: float) -> float:
        return u * v + 1

    print(f"graft call overhead (number={n}, best of {r})")
    bench("f(a, b)  checked, NumPy scalars", lambda: f(a, b), n, r)
    bench("f(2.0, 3.0)  checked, Python floats", lambda: f(2.0, 3.0), n, r)
    bench("f(x=a, y=b)  by keyword", lambda: f(x=a, y=b), n, r)
    bench("ft(a, b)  trust_input=True", lambda: ft(a, b), n, r)
    bench("compiled.fn(a, b)  backend only", lambda: raw.fn(a, b), n, r)
    bench("ident(a)  no nodes, checked", lambda: ident(a), n, r)
    bench("ident10(a)  10 no-op nodes, trust_input", lambda: ident10(a), n, r)
    bench("tick()  shared variable + update", tick, n, r)
    bench("t7(a, b)  7 tensor nodes on 0-d, trust_input", lambda: t7(a, b), n, r)
    bench("tsum(v)  4 tensor nodes on 100 floats", lambda: tsum(v100), n, r)
    bench("plain Python a * b + 1", lambda: py(a, b), n, r)


if __name__ == "__main__":
    main()
