"""graft's Numba backend on elementwise work: fused loops against NumPy and hand-written numba.

Run: ``python benchmarks/numba_elemwise.py`` (graft-core, graft-rewrites-tensor and
graft-backend-numba installed; ``--quick`` for smaller arrays).

Four cases, each timed in one interleaved run (every repetition times every
variant once, in turn, so machine load hits them alike; the best and the
median of the repetitions are printed):

1. ``exp(x)*y + log1p(z)**2 - tanh(x*y)`` on 1e6 float64 (transcendental-bound);
2. ``2*x + y*z - x*x`` on 1e7 float64 (memory-bound);
3. ``sum(exp(x) * w)`` on 1e6 float64 (a map fused with its reduction);
4. the call overhead of ``f(a, b) = a*b + 1`` on float64 0-d arrays.

Variants: graft with mode ``"NUMBA"`` (FAST_RUN rewrites, one fused loop),
graft's reference backend (mode ``"PY"``: the same rewrites, NumPy per node),
hand-written NumPy, and a hand-written ``numba.njit`` loop (no fastmath, like
the generated code). For the call overhead also ``trust_input=True``, the
backend's compiled callable alone (``f.maker.compiled.fn``: the generated
segment behind the driver) and the bare jitted segment, which show where the
time of a call goes.
"""

from __future__ import annotations

import argparse
import math
import statistics
import time
from collections.abc import Callable

import numba
import numpy as np

import graft
import graft.tensor as gt

jit = numba.njit(cache=True, error_model="numpy", nogil=True)


@jit
def nb_expr1(x, y, z):  # type: ignore[no-untyped-def]
    out = np.empty_like(x)
    for i in range(x.shape[0]):
        a, b, c = x[i], y[i], z[i]
        out[i] = math.exp(a) * b + math.log1p(c) ** 2 - math.tanh(a * b)
    return out


@jit
def nb_expr2(x, y, z):  # type: ignore[no-untyped-def]
    out = np.empty_like(x)
    for i in range(x.shape[0]):
        a = x[i]
        out[i] = 2.0 * a + y[i] * z[i] - a * a
    return out


@jit
def nb_sum_exp(x, w):  # type: ignore[no-untyped-def]
    acc = 0.0
    for i in range(x.shape[0]):
        acc += math.exp(x[i]) * w[i]
    return acc


@jit
def nb_scalar(a, b):  # type: ignore[no-untyped-def]
    out = np.empty((), np.float64)
    out[()] = a[()] * b[()] + 1.0
    return out


def interleaved(
    variants: dict[str, Callable[[], object]], repeat: int, number: int
) -> dict[str, list[float]]:
    """Seconds per call of each variant, ``repeat`` samples, the variants taking turns."""
    times: dict[str, list[float]] = {k: [] for k in variants}
    for fn in variants.values():
        fn()  # compile / warm up
    for _ in range(repeat):
        for k, fn in variants.items():
            t0 = time.perf_counter()
            for _ in range(number):
                fn()
            times[k].append((time.perf_counter() - t0) / number)
    return times


def report(title: str, times: dict[str, list[float]], base: str, unit: str = "ms") -> None:
    scale = {"ms": 1e3, "us": 1e6}[unit]
    b = min(times[base])
    print(f"\n{title}")
    print(f"  {'variant':<42} {'best ' + unit:>10} {'median ' + unit:>10} {'best/' + base:>14}")
    for k, ts in times.items():
        best, med = min(ts), statistics.median(ts)
        print(f"  {k:<42} {best * scale:10.3f} {med * scale:10.3f} {best / b:14.2f}")


def check(a: object, b: object, rtol: float = 1e-10) -> None:
    np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=rtol)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=9)
    parser.add_argument("--quick", action="store_true", help="arrays 10x smaller")
    args = parser.parse_args()
    n1, n2 = (10**5, 10**6) if args.quick else (10**6, 10**7)
    rng = np.random.default_rng(0)
    print(f"numba {numba.__version__}, numpy {np.__version__}; n1={n1:,}, n2={n2:,}")

    # 1. transcendental-bound fused expression
    x, y, z = gt.dvector("x"), gt.dvector("y"), gt.dvector("z")
    e1 = gt.exp(x) * y + gt.log1p(z) ** 2 - gt.tanh(x * y)
    t0 = time.perf_counter()
    f1 = graft.function([x, y, z], e1, mode="NUMBA")
    vx, vy, vz = rng.normal(size=n1), rng.normal(size=n1), rng.random(n1)
    f1(vx, vy, vz)
    print(f"compile+first call of case 1 (NUMBA): {time.perf_counter() - t0:.2f} s")
    p1 = graft.function([x, y, z], e1, mode="PY")

    def np1() -> object:
        return np.exp(vx) * vy + np.log1p(vz) ** 2 - np.tanh(vx * vy)

    check(f1(vx, vy, vz), np1())
    check(nb_expr1(vx, vy, vz), np1())
    times = interleaved(
        {
            "graft NUMBA": lambda: f1(vx, vy, vz),
            "graft PY (reference)": lambda: p1(vx, vy, vz),
            "NumPy": np1,
            "numba loop (hand-written)": lambda: nb_expr1(vx, vy, vz),
        },
        args.repeat,
        1,
    )
    report(f"1. exp(x)*y + log1p(z)**2 - tanh(x*y), {n1:,} float64", times, "NumPy")

    # 2. memory-bound fused expression
    e2 = 2 * x + y * z - x * x
    f2 = graft.function([x, y, z], e2, mode="NUMBA")
    p2 = graft.function([x, y, z], e2, mode="PY")
    ux, uy, uz = rng.normal(size=n2), rng.normal(size=n2), rng.normal(size=n2)

    def np2() -> object:
        return 2 * ux + uy * uz - ux * ux

    check(f2(ux, uy, uz), np2())
    times = interleaved(
        {
            "graft NUMBA": lambda: f2(ux, uy, uz),
            "graft PY (reference)": lambda: p2(ux, uy, uz),
            "NumPy": np2,
            "numba loop (hand-written)": lambda: nb_expr2(ux, uy, uz),
        },
        args.repeat,
        1,
    )
    report(f"2. 2*x + y*z - x*x, {n2:,} float64", times, "NumPy")

    # 3. a map fused with its reduction
    w = gt.dvector("w")
    e3 = gt.sum(gt.exp(x) * w)
    f3 = graft.function([x, w], e3, mode="NUMBA")
    kinds = [type(n.op).__name__ for n in f3.maker.fgraph.toposort()]
    p3 = graft.function([x, w], e3, mode="PY")
    vw = rng.normal(size=n1)

    def np3() -> object:
        return np.sum(np.exp(vx) * vw)

    check(f3(vx, vw), np3(), rtol=1e-9)
    times = interleaved(
        {
            "graft NUMBA": lambda: f3(vx, vw),
            "graft PY (reference)": lambda: p3(vx, vw),
            "NumPy": np3,
            "numba loop (hand-written)": lambda: nb_sum_exp(vx, vw),
        },
        args.repeat,
        1,
    )
    report(f"3. sum(exp(x) * w), {n1:,} float64 (NUMBA graph: {kinds})", times, "NumPy")

    # 4. call overhead on 0-d arrays
    a, b = gt.dscalar("a"), gt.dscalar("b")
    e4 = a * b + 1
    f4 = graft.function([a, b], e4, mode="NUMBA")
    f4t = graft.function([a, b], e4, mode="NUMBA", trust_input=True)
    p4 = graft.function([a, b], e4, mode="PY")
    compiled = f4.maker.compiled
    assert compiled is not None
    raw = compiled.fn
    va, vb = np.array(2.0), np.array(3.0)
    assert f4(va, vb) == p4(va, vb) == 7.0
    times = interleaved(
        {
            "graft NUMBA f(a, b) (inputs checked)": lambda: f4(va, vb),
            "graft NUMBA trust_input=True": lambda: f4t(va, vb),
            "graft NUMBA compiled.fn (driver + segment)": lambda: raw(va, vb),
            "graft PY (reference)": lambda: p4(va, vb),
            "NumPy a * b + 1": lambda: va * vb + 1,
            "numba njit (hand-written, 0-d out)": lambda: nb_scalar(va, vb),
        },
        args.repeat,
        20_000,
    )
    report("4. call overhead of a*b + 1 on float64 0-d arrays", times, "NumPy a * b + 1", "us")


if __name__ == "__main__":
    main()
