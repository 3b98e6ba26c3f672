"""graft's JAX backend beside a hand-written ``jax.jit`` of the same math, interleaved.

The workloads are those of `backends.py` (the graft graph is built by the same
code). Each is also written by hand in ``jax.numpy`` (gradients by
``jax.grad``) and jitted; both are called with the same NumPy arrays. Three
contenders per workload, timed in turn in every round (the best round
counts, as in `backends.py`):

- ``graft JAX``: ``graft.function(..., mode="JAX")``, NumPy arrays out;
- ``jax.jit``: the hand-written jitted function, JAX arrays out (what a JAX
  user calls; the target is graft JAX <= 1.1x this, <= 1.2x for ``overhead``);
- ``jax.jit+np``: the same, outputs converted to NumPy arrays (``np.asarray``),
  for the part of the difference that is graft returning NumPy arrays.

    python benchmarks/backend_jax.py                  # every workload
    python benchmarks/backend_jax.py overhead logreg  # some of them

x64 is enabled globally for the hand-written functions (graft enables it per
call, without touching the global setting).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from typing import Any

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import backends as b

Fn = Callable[[], Any]


def _hand_written(name: str) -> Callable[..., Any] | None:
    """The workload's math in jax.numpy (None: not written)."""
    import jax
    import jax.numpy as jnp

    def logreg(X: Any, y: Any, w: Any) -> Any:
        def logp(w: Any) -> Any:
            eta = X @ w
            lp = jnp.sum(y * -jnp.log1p(jnp.exp(-eta)) + (1 - y) * -jnp.log1p(jnp.exp(eta)))
            return lp - 0.5 * jnp.sum(w**2)

        return jax.value_and_grad(logp)(w)

    def eight(q: Any) -> Any:
        y, sigma = jnp.asarray(b.EIGHT_Y), jnp.asarray(b.EIGHT_SIGMA)
        half_log_2pi = 0.5 * np.log(2 * np.pi)

        def logp(q: Any) -> Any:
            mu, log_tau, tt = q[0], q[1], q[2:]
            tau = jnp.exp(log_tau)
            theta = mu + tau * tt
            lp = -0.5 * (mu / 5.0) ** 2 - np.log(5.0) - half_log_2pi
            lp = lp + np.log(2 / (np.pi * 5.0)) - jnp.log1p((tau / 5.0) ** 2) + log_tau
            lp = lp + jnp.sum(-0.5 * tt**2 - half_log_2pi)
            return lp + jnp.sum(-0.5 * ((y - theta) / sigma) ** 2 - jnp.log(sigma) - half_log_2pi)

        return jax.value_and_grad(logp)(q)

    def softmax(x: Any) -> Any:
        e = jnp.exp(x - x.max(axis=-1, keepdims=True))
        return e / e.sum(axis=-1, keepdims=True)

    def ar1(y: Any, rho: Any, sigma: Any) -> Any:
        def logp(rho: Any, sigma: Any) -> Any:
            def step(acc: Any, pair: Any) -> Any:
                prev, cur = pair
                t = -0.5 * ((cur - rho * prev) / sigma) ** 2 - jnp.log(sigma)
                return acc + t - 0.5 * np.log(2 * np.pi), None

            total, _ = jax.lax.scan(step, jnp.zeros(()), (y[:-1], y[1:]))
            return total

        lp, (gr, gs) = jax.value_and_grad(logp, argnums=(0, 1))(rho, sigma)
        return lp, gr, gs

    table: dict[str, Callable[..., Any]] = {
        "overhead": lambda a, b_: a * b_ + 1,
        "chain": lambda x, y, z: jnp.exp(x) * y + jnp.log1p(z) ** 2 - jnp.tanh(x * y),
        "membound": lambda x, y, z: 2 * x + y * z - x * x,
        "sumexp": lambda x, w: jnp.sum(jnp.exp(x) * w),
        "logreg": logreg,
        "eight": eight,
        "softmax": softmax,
        "ar1": ar1,
    }
    return table.get(name)


def contenders(name: str) -> dict[str, Fn]:
    """graft JAX and the hand-written jax.jit function (raw, and with NumPy outputs)."""
    import jax

    out: dict[str, Fn] = {}
    vals = b._values(name, np.random.default_rng(0))
    try:
        out["graft JAX"] = b._graft(name, "JAX")
    except Exception as e:  # e.g. an Op the backend lacks (scan before it exists)
        print(f"  (graft JAX unavailable: {type(e).__name__}: {str(e)[:200]})", file=sys.stderr)
    hand = _hand_written(name)
    if hand is not None:
        jitted = jax.jit(hand)
        jax.block_until_ready(jitted(*vals))
        leaves = jax.tree_util.tree_leaves

        def raw() -> Any:
            return jitted(*vals)

        def to_numpy() -> Any:
            return [np.asarray(v) for v in leaves(jitted(*vals))]

        out["jax.jit"] = lambda: jax.block_until_ready(raw())
        out["jax.jit+np"] = to_numpy
    return out


def main() -> None:
    import jax

    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("workloads", nargs="*", default=list(b.WORKLOADS))
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    jax.config.update("jax_enable_x64", True)
    print(f"jax {jax.__version__} on {jax.devices()[0].device_kind}")
    for name in args.workloads:
        fns = contenders(name)
        times = b.measure(fns, args.rounds)
        base = times.get("jax.jit")
        print(f"\n{b.WORKLOADS[name][0]}")
        for k, t in sorted(times.items(), key=lambda kv: kv[1]):
            ratio = f"{t / base:6.2f}x jax.jit" if base else ""
            print(f"  {k:12s} {b._fmt(t):>10s}  {ratio}")


if __name__ == "__main__":
    main()
