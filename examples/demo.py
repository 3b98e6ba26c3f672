"""A tour of graft's core: graphs, rewrites, merging, profiles, and a small model.

Run with ``nox -s demo`` (or ``python examples/demo.py`` with graft-core installed).
"""

from __future__ import annotations

import io

import numpy as np

import graft
import graft.tensor as gt
from graft.graph.fg import FunctionGraph
from graft.graph.rewriting.basic import (
    EquilibriumGraphRewriter,
    MergeOptimizer,
    PatternNodeRewriter,
    SequentialGraphRewriter,
    node_rewriter,
)
from graft.graph.rewriting.profile import print_profile
from graft.scalar import add, float64, log, log1p, mul, neg, true_div


def section(title: str) -> None:
    print(f"\n== {title} " + "=" * max(0, 66 - len(title)))


def rewriting_tour() -> None:
    section("1. Build a graph and print it")
    x, y, z = float64("x"), float64("y"), float64("z")
    # x*(y+z)/(y+z) once y+z is merged, log(1 + z) is inaccurate near z = 0, and -(-a).
    out = add(
        true_div(mul(x, add(y, z)), add(y, z)),
        neg(neg(log(add(1.0, z)))),
    )
    fg = FunctionGraph([x, y, z], [out])
    print(fg)
    graft.dprint(fg)

    section("2. A node rewriter and a pattern rewriter")

    @node_rewriter([neg])
    def local_neg_neg(fgraph, node):
        """-(-a) -> a"""
        inner = node.inputs[0]
        if inner.owner is not None and inner.owner.op == neg:
            return [inner.owner.inputs[0]]
        return False

    local_div_mul = PatternNodeRewriter((true_div, (mul, "a", "b"), "b"), "a", name="a*b/b -> a")
    local_log1p = PatternNodeRewriter(
        (log, (add, 1.0, "a")), (log1p, "a"), name="log(1+a) -> log1p(a)"
    )
    print("before:", fg)

    section("3. Merge duplicates, then rewrite to equilibrium")
    pipeline = SequentialGraphRewriter(
        MergeOptimizer(),
        EquilibriumGraphRewriter(
            [local_neg_neg, local_div_mul, local_log1p], max_use_ratio=10, name="simplify"
        ),
        MergeOptimizer(),
        name="demo_pipeline",
    )
    prof = pipeline.rewrite(fg)
    print("after: ", fg)

    section("4. The rewriter profile")
    buf = io.StringIO()
    print_profile(buf, pipeline, prof)
    print(buf.getvalue().rstrip())


def model_tour() -> None:
    section("5. A model: logistic regression log-likelihood and its gradient")
    X = gt.matrix("X")
    yv = gt.vector("y")
    w = gt.vector("w")
    b = gt.scalar("b")
    logits = X @ w + b
    loglik = (yv * gt.log(gt.sigmoid(logits)) + (1 - yv) * gt.log(1 - gt.sigmoid(logits))).sum()
    gw, gb = graft.grad(loglik, [w, b])
    print(graft.pprint(loglik))

    f = graft.function([X, yv, w, b], [loglik, gw, gb])
    rng = np.random.default_rng(0)
    Xv = rng.normal(size=(100, 3))
    true_w = np.array([1.5, -2.0, 0.5])
    yv_ = (rng.uniform(size=100) < 1 / (1 + np.exp(-(Xv @ true_w)))).astype("float64")
    wv, bv = np.zeros(3), np.array(0.0)
    for step in range(201):
        ll, g_w, g_b = f(Xv, yv_, wv, bv)
        wv = wv + 0.05 * g_w
        bv = bv + 0.05 * g_b
        if step % 50 == 0:
            print(f"step {step:3d}: log-likelihood {float(ll):9.4f}  w = {np.round(wv, 3)}")
    print(
        f"compiled graph has {len(f.maker.fgraph.apply_nodes)} nodes; the log-likelihood output:"
    )
    graft.dprint(f.maker.fgraph.outputs[0])
    plugins = [p.dist for p in graft.plugins.plugins() if p.status == "active"]
    print(f"active plugins: {', '.join(plugins)}")
    with np.errstate(all="ignore"):
        naive = graft.function([X, yv, w, b], loglik, mode="FAST_COMPILE")(Xv * 300, yv_, wv, bv)
    print(
        f"with 300x larger inputs: FAST_RUN gives {float(f(Xv * 300, yv_, wv, bv)[0]):.4f}, "
        f"the unrewritten graph gives {float(naive)}"
    )


if __name__ == "__main__":
    rewriting_tour()
    try:
        model_tour()
    except ImportError as e:  # pragma: no cover - while parts of the tensor layer are missing
        print(f"(model tour unavailable: {e})")
