"""graft's C backend beside PyTensor C, NumPy and hand-written C kernels, interleaved.

The workloads are those of the C-backend issue (the graphs of ``backends.py``):
call overhead of ``a*b + 1`` on scalars, the fused chain
``exp(x)*y + log1p(z)**2 - tanh(x*y)`` at 1e6, ``2*x + y*z - x*x`` at 1e7,
``sum(exp(x) * w)`` at 1e6, logistic-regression logp + grad (1000 x 20), and
cold/warm compile times of that logp + grad in new processes. The hand kernels
are C loops built with the backend's own compiler and flags (its libmvec
declarations, and the AVX2 clone it gives loops that call vector math), called
through ctypes on arrays allocated per call, as graft's outputs are. Every round times each contender once, in turn; the best round
counts. Ratios are against the hand kernel where there is one, else graft C.

    python benchmarks/backend_c.py                   # every workload
    python benchmarks/backend_c.py chain membound    # some of them
    python benchmarks/backend_c.py --compile         # also compile times

Run it with an interpreter that has pytensor for the PyTensor C column.
"""

from __future__ import annotations

import argparse
import ctypes
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import backends as b  # the shared workloads and timing loop

WORKLOADS = ["overhead", "chain", "membound", "sumexp", "logreg"]
TITLES = {
    "overhead": "a*b + 1 on scalars (call overhead)",
    "chain": "exp(x)*y + log1p(z)**2 - tanh(x*y), 1e6 float64",
    "membound": "2*x + y*z - x*x, 1e7 float64",
    "sumexp": "sum(exp(x) * w), 1e6 float64",
    "logreg": "logistic regression logp + grad, 1000 x 20",
}

HAND = r"""
#include <math.h>
#include <stddef.h>
void chain(const double *restrict x, const double *restrict y, const double *restrict z,
           double *restrict out, ptrdiff_t n) {
    #pragma omp simd
    for (ptrdiff_t i = 0; i < n; i++) {
        double l = log1p(z[i]);
        out[i] = exp(x[i]) * y[i] + l * l - tanh(x[i] * y[i]);
    }
}
void membound(const double *restrict x, const double *restrict y, const double *restrict z,
              double *restrict out, ptrdiff_t n) {
    #pragma omp simd
    for (ptrdiff_t i = 0; i < n; i++) out[i] = 2 * x[i] + y[i] * z[i] - x[i] * x[i];
}
double sumexp(const double *restrict x, const double *restrict w, ptrdiff_t n) {
    double acc = 0;
    #pragma omp simd reduction(+:acc)
    for (ptrdiff_t i = 0; i < n; i++) acc += exp(x[i]) * w[i];
    return acc;
}
"""


def _hand_library(tmp: Path) -> ctypes.CDLL | None:
    """The hand kernels built with the C backend's compiler, flags and libmvec declarations."""
    try:
        from graft_backend_c.runtime import _MVEC_222, _MVEC_235
        from graft_backend_c.toolchain import toolchain

        tc = toolchain()
    except Exception as e:
        print(f"  (hand kernels unavailable: {e})", file=sys.stderr)
        return None
    names = list(_MVEC_222) + (list(_MVEC_235) if tc.mvec == "glibc-2.35" else [])
    decl = "".join(f"#pragma omp declare simd notinbranch\ndouble {n}(double);\n" for n in names)
    # The loops that call vector math get the AVX2 clone the backend gives such loops.
    clones = '__attribute__((target_clones("avx2", "default")))\n' if tc.mvec else ""
    text = HAND.replace("#include <stddef.h>", "#include <stddef.h>\n" + decl)
    text = text.replace("void chain(", clones + "void chain(")
    text = text.replace("double sumexp(", clones + "double sumexp(")
    src = tmp / "hand.c"
    src.write_text(text)
    so = tmp / "hand.so"
    flags = [f for f in tc.flags if f != "-w"]
    libs = ["-lmvec", "-lm"] if tc.mvec else ["-lm"]
    subprocess.run([tc.cc, *flags, str(src), "-o", str(so), *libs], check=True)
    lib = ctypes.CDLL(str(so))
    dp = ctypes.c_void_p
    for name in ("chain", "membound"):
        getattr(lib, name).argtypes = [dp, dp, dp, dp, ctypes.c_ssize_t]
    lib.sumexp.argtypes = [dp, dp, ctypes.c_ssize_t]
    lib.sumexp.restype = ctypes.c_double
    return lib


def _hand(name: str, lib: ctypes.CDLL | None) -> Callable[[], Any] | None:
    if lib is None or name not in ("chain", "membound", "sumexp"):
        return None
    vals = b._values(name, np.random.default_rng(0))
    ptrs = [v.ctypes.data for v in vals]
    n = vals[0].size
    if name == "sumexp":
        # ``vals`` stays referenced by the closure: the kernel reads its memory.
        return lambda: lib.sumexp(*ptrs, n) if vals else None
    fn = getattr(lib, name)

    def run() -> np.ndarray:
        out = np.empty(n)
        fn(*ptrs, out.ctypes.data, n)
        assert vals  # keeps the input arrays alive
        return out

    return run


def contenders(name: str, lib: ctypes.CDLL | None) -> dict[str, Callable[[], Any]]:
    """graft C, PyTensor C, NumPy and the hand kernel for workload ``name``."""
    out: dict[str, Callable[[], Any]] = {"graft C": b._graft(name, "C")}
    hand = _hand(name, lib)
    if hand is not None:
        out["hand C kernel"] = hand
    if importlib.util.find_spec("pytensor") is not None:
        try:
            out["PyTensor C"] = b._pytensor(name, "FAST_RUN")
        except Exception as e:
            print(f"  (PyTensor C unavailable: {type(e).__name__}: {e})", file=sys.stderr)
    ref = b._numpy(name)
    if ref is not None:
        vals = b._values(name, np.random.default_rng(0))
        out["NumPy"] = lambda: ref(*vals)
    return out


COMPILE = textwrap.dedent(
    """
    import json, sys, time
    sys.path.insert(0, {bench!r})
    import backends as b
    t0 = time.perf_counter()
    {build}
    print(json.dumps({{"compile": time.perf_counter() - t0}}))
    """
)


def compile_times() -> list[tuple[str, float]]:
    """Cold (empty caches) then warm (cache filled) compile of logreg logp + grad, each in
    a new process, for graft C and PyTensor C."""
    bench = os.path.dirname(os.path.abspath(__file__))
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, GRAFT_CACHE_DIR=os.path.join(tmp, "graft"))
        env["PYTENSOR_FLAGS"] = f"base_compiledir={os.path.join(tmp, 'pytensor')}"
        cases = [("graft C", "b._graft('logreg', 'C')")]
        if importlib.util.find_spec("pytensor") is not None:
            cases.append(("PyTensor C", "b._pytensor('logreg', 'FAST_RUN')"))
        for label, build in cases:
            for state in ("cold", "warm"):
                code = COMPILE.format(bench=bench, build=build)
                proc = subprocess.run(
                    [sys.executable, "-c", code], env=env, capture_output=True, text=True
                )
                if proc.returncode:
                    print(proc.stderr[-2000:], file=sys.stderr)
                    continue
                rows.append((f"{label}, {state}", json.loads(proc.stdout)["compile"]))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("workloads", nargs="*", default=WORKLOADS)
    parser.add_argument("--compile", action="store_true", help="also time compilation")
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        lib = _hand_library(Path(tmp))
        for name in args.workloads:
            fns = contenders(name, lib)
            times = b.measure(fns, args.rounds)
            base_label = "hand C kernel" if "hand C kernel" in times else "graft C"
            base = times[base_label]
            print(f"\n{TITLES[name]}")
            for label, t in times.items():
                print(f"  {label:<16} {b._fmt(t):>12}   {t / base:6.2f} x {base_label}")
    if args.compile:
        print("\nlogistic regression logp + grad, compile in a new process")
        for label, t in compile_times():
            print(f"  {label:<22} {t:8.3f} s")


if __name__ == "__main__":
    main()
