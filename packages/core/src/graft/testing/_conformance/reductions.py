"""Reduction cases: CAReduce and ElemwiseReduce over every axis set, cumulative ops, softmax."""

from __future__ import annotations

from itertools import combinations
from typing import Any

import numpy as np

from graft.testing._conformance.harness import Case, Graph
from graft.testing._conformance.values import DTYPES, edge, positive, tame, tensor_module

_SHAPE3 = (2, 3, 4)
_REDUCERS = ("sum", "prod", "max", "min", "all", "any", "mean")


def _axis_sets(ndim: int) -> list[Any]:
    """None, (), every non-empty subset of the axes, and a negative axis."""
    sets: list[Any] = [None, ()]
    for k in range(1, ndim + 1):
        sets.extend(combinations(range(ndim), k))
    if ndim:
        sets.append((-1,))
    return sets


def _reduce(name: str, x: Any, axis: Any, keepdims: bool) -> Any:
    gt = tensor_module()

    return getattr(gt, name)(x, axis=axis, keepdims=keepdims)


def _fused(reducer: str, map_op: Any, ins: list[Any], axis: Any) -> Any:
    import graft.scalar as gs
    from graft.tensor.fused_reduce import ElemwiseReduce

    red = {
        "sum": gs.add,
        "prod": gs.mul,
        "max": gs.maximum,
        "min": gs.minimum,
        "all": gs.and_,
        "any": gs.or_,
    }[reducer]
    return ElemwiseReduce(map_op, red, axis)(*ins)


def _map_op(dtype: str) -> Any:
    """A two-input Composite to fuse into reductions."""
    import graft.scalar as gs
    from graft.scalar.type import get_scalar_type

    st = get_scalar_type(dtype)
    a, b = st(), st()
    kind = np.dtype(dtype).kind
    if kind == "f":
        return gs.Composite([a, b], [gs.add(gs.mul(a, b), gs.exp(gs.neg(gs.sqr(a))))])
    if kind == "b":
        return gs.Composite([a, b], [gs.xor(a, b)])
    return gs.Composite([a, b], [gs.sub(gs.mul(a, 2), b)])


def _reductions_graph(dtype: str) -> Graph:
    gt = tensor_module()

    x = gt.tensor(dtype, shape=(None, None, None), name="x")
    y = gt.tensor(dtype, shape=(None, None, None), name="y")
    e = gt.tensor(dtype, shape=(None, None), name="e")  # edge values (NaN, inf, extremes)
    z = gt.tensor(dtype, shape=(None, None), name="z")  # zero-size: (0, 3)
    s = gt.tensor(dtype, shape=(), name="s")
    v = gt.tensor(dtype, shape=(None,), name="v")
    outs: list[Any] = []
    labels: list[str] = []

    def add(label: str, out: Any) -> None:
        outs.append(out)
        labels.append(label)

    for r in _REDUCERS:
        for axis in _axis_sets(3):
            for keep in (False, True):
                add(f"{r}(x, axis={axis}, keepdims={keep})", _reduce(r, x, axis, keep))
        for axis in (None, 1):
            add(f"{r}(e, axis={axis})", _reduce(r, e, axis, False))
        for axis in (None, -1):
            add(f"{r}(v, axis={axis})", _reduce(r, v, axis, False))
        add(f"{r}(s)", _reduce(r, s, None, False))
        add(f"{r}(s, keepdims=True)", _reduce(r, s, None, True))
        # A zero-size input: every reduction over the empty axis has an identity but max/min
        for axis in [None, 0, 1, (0, 1)] if r not in ("max", "min") else [1]:
            add(f"{r}(z[0x3], axis={axis})", _reduce(r, z, axis, False))
    add("sum(x, dtype=float32)", gt.sum(x, axis=1, dtype="float32"))
    add("sum(x, acc_dtype=float64)", gt.sum(x, axis=(0, 2), acc_dtype="float64"))
    if dtype != "bool":
        add("argmax(x, axis=1)", gt.argmax(x, axis=1))
        add("argmin(e, axis=None)", gt.argmin(e, axis=None))
    # The same reductions fused with an elementwise map (ElemwiseReduce), and unfused:
    # FAST_RUN turns the unfused form into ElemwiseReduce when graft-rewrites-tensor is there.
    mop = _map_op(dtype)
    reducers = ("all", "any") if dtype == "bool" else ("sum", "prod", "max", "min")
    for r in reducers:
        for axis in _axis_sets(3):
            add(f"ElemwiseReduce({mop}, {r}, axis={axis})(x, y)", _fused(r, mop, [x, y], axis))
        add(f"ElemwiseReduce({mop}, {r})(x, v)", _fused(r, mop, [x, v], (0, 2)))
    if dtype != "bool":
        add("sum(x * y + x, axis=1)", gt.sum(x * y + x, axis=1))
        add("max(abs(x - y), axis=(0, 2))", gt.max(abs(x - y), axis=(0, 2)))
        add("prod(x * 2, axis=None)", gt.prod(x * 2))
    else:
        add("any(x & ~y, axis=1)", gt.any(x & ~y, axis=1))
        add("all(x | y)", gt.all(x | y))

    def values(rng: np.random.Generator) -> list[Any]:
        return [
            tame(rng, dtype, _SHAPE3),
            positive(rng, dtype, _SHAPE3) if dtype != "bool" else tame(rng, dtype, _SHAPE3),
            edge(rng, dtype, (4, 6), for_sums=True),
            np.zeros((0, 3), dtype),
            tame(rng, dtype, ()),
            tame(rng, dtype, (4,)),
        ]

    return Graph([x, y, e, z, s, v], outs, labels, values, tolerance=10.0)


def _cumulative_graph() -> Graph:
    gt = tensor_module()

    ins, outs, labels = [], [], []
    for dt in DTYPES:
        m = gt.tensor(dt, shape=(None, None), name=f"m_{dt}")
        w = gt.tensor(dt, shape=(None,), name=f"w_{dt}")
        ins += [m, w]
        for fn in ("cumsum", "cumprod"):
            for axis in (None, 0, 1, -1):
                outs.append(getattr(gt, fn)(m, axis=axis))
                labels.append(f"{fn}({m}, axis={axis})")
            outs.append(getattr(gt, fn)(w))
            labels.append(f"{fn}({w})")

    def values(rng: np.random.Generator) -> list[Any]:
        vals: list[Any] = []
        for dt in DTYPES:
            vals += [tame(rng, dt, (3, 5)), tame(rng, dt, (0,))]
        return vals

    return Graph(ins, outs, labels, values, tolerance=10.0)


def _softmax_graph() -> Graph:
    gt = tensor_module()

    ins, outs, labels = [], [], []
    for dt in ("float64", "float32"):
        m = gt.tensor(dt, shape=(None, None), name=f"m_{dt}")
        big = gt.tensor(dt, shape=(None, None), name=f"big_{dt}")
        t = gt.tensor(dt, shape=(None, None, None), name=f"t_{dt}")
        ins += [m, big, t]
        for src in (m, big):
            for axis in (-1, 0, None):
                outs += [gt.softmax(src, axis=axis), gt.log_softmax(src, axis=axis)]
                labels += [f"softmax({src}, axis={axis})", f"log_softmax({src}, axis={axis})"]
            lse_axes: list[tuple[Any, bool]] = [
                (None, False),
                (0, False),
                (1, True),
                ((0, 1), True),
            ]
            for axis, keep in lse_axes:
                outs.append(gt.logsumexp(src, axis=axis, keepdims=keep))
                labels.append(f"logsumexp({src}, axis={axis}, keepdims={keep})")
        outs += [gt.softmax(t, axis=1), gt.log_softmax(t, axis=-1), gt.logsumexp(t, axis=(0, 2))]
        labels += [f"softmax({t}, axis=1)", f"log_softmax({t})", f"logsumexp({t}, axis=(0, 2))"]
        # the textbook forms, which FAST_RUN rewrites into the stable ops
        ex = gt.exp(m)
        outs += [ex / gt.sum(ex, axis=1, keepdims=True), gt.log(gt.sum(gt.exp(m), axis=0))]
        labels += [f"exp({m}) / sum(exp({m}), axis=1)", f"log(sum(exp({m}), axis=0))"]

    def values(rng: np.random.Generator) -> list[Any]:
        vals: list[Any] = []
        for dt in ("float64", "float32"):
            big = tame(rng, dt, (4, 5)) * 300
            big[0, 1] = -np.inf
            big[2, :] = -np.inf  # a row of -inf: NaN softmax, -inf logsumexp
            vals += [tame(rng, dt, (4, 5)), big.astype(dt), tame(rng, dt, (2, 3, 4))]
        return vals

    return Graph(ins, outs, labels, values, tolerance=10.0)


def cases() -> list[Case]:
    """The reduction cases."""
    out = [
        Case(
            f"reductions-{dt}",
            "reductions",
            lambda dt=dt: _reductions_graph(dt),  # type: ignore[misc]
            f"sum/prod/max/min/all/any/mean and ElemwiseReduce on {dt}: every axis set, "
            "keepdims, 0-d to 3-d, zero-size and edge values",
        )
        for dt in DTYPES
    ]
    out.append(Case("cumulative", "reductions", _cumulative_graph, "cumsum/cumprod, all dtypes"))
    out.append(Case("softmax", "reductions", _softmax_graph, "softmax/log_softmax/logsumexp"))
    return out
