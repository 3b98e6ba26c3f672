"""Elemwise cases: every scalar op of `graft.scalar`, alone and inside a `Composite`.

The ops are enumerated from ``graft.scalar.__all__``, so a new scalar op is
covered without editing the kit. Each op is applied to every dtype for which
graft builds it (a build-time TypeError means "not defined for this dtype")
and the reference can run it; per dtype, one graph holds all unary, binary
and ternary ops on tame values (with broadcasting) and on edge values (NaN,
±inf, ±0, subnormals, integer extremes).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from functools import cache
from typing import Any

import numpy as np

from graft.graph.basic import Variable
from graft.testing._conformance.harness import Case, Graph
from graft.testing._conformance.values import DTYPES, edge, positive, tame, tensor_module

_SHAPE = (3, 7)


@cache
def scalar_ops() -> tuple[tuple[str, Any], ...]:
    """``(name, op)`` for every distinct `ScalarOp` exported by `graft.scalar` (Composite aside)."""
    import graft.scalar as gs
    from graft.scalar.basic import ScalarOp

    found: dict[Any, str] = {}
    for name in gs.__all__:
        op = getattr(gs, name, None)
        if isinstance(op, ScalarOp) and not isinstance(op, gs.Composite) and op not in found:
            found[op] = name
    return tuple((name, op) for op, name in found.items())


def _arity(op: Any) -> tuple[int, ...]:
    """The input counts to exercise: variadic ops (nin -1) with 2 and 3 inputs."""
    return (2, 3) if op.nin < 0 else (op.nin,)


def _runs(node_out: Any, values: Sequence[np.ndarray]) -> bool:
    """Whether the reference perform accepts ``values`` (a run-time refusal means skip)."""
    node = node_out.owner
    assert node is not None
    storage: list[list[Any]] = [[None] for _ in node.outputs]
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            node.op.perform(node, [np.array(v) for v in values], storage)
    except Exception:
        return False
    return True


def _try(make: Callable[..., Any], args: Sequence[Variable], samples: Sequence[np.ndarray]) -> Any:
    try:
        out = make(*args)
    except (TypeError, ValueError, NotImplementedError):
        return None
    return out if _runs(out, samples) else None


def _as_composite(op: Any) -> Callable[..., Any]:
    """``Elemwise(Composite([a...], [op(a...)]))`` applied to tensors."""

    def make(*args: Any) -> Any:
        from graft.scalar import Composite
        from graft.scalar.type import get_scalar_type
        from graft.tensor.elemwise import Elemwise

        sins = [get_scalar_type(a.type.dtype)() for a in args]
        return Elemwise(Composite(sins, [op(*sins)]))(*args)

    return make


def _plain(op: Any) -> Callable[..., Any]:
    from graft.tensor.elemwise import Elemwise

    return Elemwise(op)


def _is_int_cast(op: Any) -> bool:
    from graft.scalar.basic import Cast

    return isinstance(op, Cast) and np.dtype(op.o_type.dtype).kind in "iu"


def _ops_graph(dtype: str, composite: bool) -> Graph:
    gt = tensor_module()

    wrap = _as_composite if composite else _plain
    x = gt.tensor(dtype, shape=(None, None), name="x")
    y = gt.tensor(dtype, shape=(None,), name="y")  # broadcasts along rows
    e1 = gt.tensor(dtype, shape=(None, None), name="e1")
    e2 = gt.tensor(dtype, shape=(None, None), name="e2")
    c = gt.tensor("bool", shape=(None, None), name="c")
    rng = np.random.default_rng(0)
    sx, sy = tame(rng, dtype, _SHAPE), positive(rng, dtype, _SHAPE[1:])
    s1, s2 = edge(rng, dtype, _SHAPE), edge(rng, dtype, _SHAPE)
    sc = tame(rng, "bool", _SHAPE)
    is_float = np.dtype(dtype).kind == "f"
    outs: list[Any] = []
    labels: list[str] = []

    def add(label: str, make: Callable[..., Any], args: list, samples: list) -> None:
        out = _try(make, args, samples)
        if out is not None:
            outs.append(out)
            labels.append(label)

    for name, op in scalar_ops():
        make = wrap(op)
        for n in _arity(op):
            if n == 1:
                add(f"{name}(x)", make, [x], [sx])
                if not (is_float and _is_int_cast(op)):  # float->int of NaN/inf is undefined
                    add(f"{name}(e1)", make, [e1], [s1])
            elif n == 2:
                add(f"{name}(x, y)", make, [x, y], [sx, sy])
                add(f"{name}(e1, e2)", make, [e1, e2], [s1, s2])
            elif n == 3:
                if _try(make, [c, x, y], [sc, sx, sy]) is not None:
                    add(f"{name}(c, x, y)", make, [c, x, y], [sc, sx, sy])
                    add(f"{name}(c, e1, e2)", make, [c, e1, e2], [sc, s1, s2])
                else:
                    add(f"{name}(x, y, e1)", make, [x, y, e1], [sx, sy, s1])
    if composite:
        for label, out in _handmade(dtype, x, y, e1):
            outs.append(out)
            labels.append(label)

    def values(rng: np.random.Generator) -> list[Any]:
        return [
            tame(rng, dtype, _SHAPE),
            positive(rng, dtype, _SHAPE[1:]),
            edge(rng, dtype, _SHAPE),
            edge(rng, dtype, _SHAPE),
            tame(rng, "bool", _SHAPE),
        ]

    return Graph([x, y, e1, e2, c], outs, labels, values)


def _handmade(dtype: str, x: Any, y: Any, e: Any) -> list[tuple[str, Any]]:
    """Composites of several ops: constants, shared subexpressions, several outputs, casts."""
    import graft.scalar as gs
    from graft.scalar.type import get_scalar_type
    from graft.tensor.elemwise import Elemwise

    st = get_scalar_type(dtype)
    a, b = st(), st()
    kind = np.dtype(dtype).kind
    if kind == "f":
        t = gs.mul(a, b)
        outs = [
            gs.add(gs.mul(t, 0.5), gs.exp(gs.neg(gs.sqr(a)))),
            gs.switch(gs.lt(a, b), gs.true_div(t, gs.add(gs.abs_(b), 1.0)), gs.log1p(gs.sqr(a))),
            gs.convert_to_int64(gs.floor(gs.mul(a, 2.0))),
            gs.maximum(t, gs.minimum(a, 0.25)),
        ]
    elif kind in "iu":
        t = gs.add(gs.mul(a, 3), b)
        outs = [
            t,
            gs.int_div(t, b),
            gs.switch(gs.gt(a, 0), gs.mod(a, b), gs.neg(t)),
            gs.true_div(gs.convert_to_float64(a), gs.add(gs.sqr(b), 1.0)),
        ]
    else:
        outs = [gs.and_(a, gs.invert(b)), gs.xor(a, b), gs.switch(a, gs.convert_to_int8(b), 3)]
    comp = gs.Composite([a, b], outs)
    res: list[Any] = []
    res.extend(Elemwise(comp)(x, y, return_list=True))
    res.extend(Elemwise(comp)(e, x, return_list=True))
    return [(f"composite[{k}] of {comp}", r) for k, r in enumerate(res)]


_PAIRS = (
    ("int8", "float32"),
    ("bool", "int64"),
    ("int64", "float64"),
    ("float32", "float64"),
    ("int8", "int64"),
    ("bool", "float32"),
)


def _mixed_graph() -> Graph:
    """Binary ops on inputs of two dtypes: the output dtype rules and upcasts."""
    gt = tensor_module()

    ins = []
    for k, (d1, d2) in enumerate(_PAIRS):
        ins.append(gt.tensor(d1, shape=(None, None), name=f"a{k}"))
        ins.append(gt.tensor(d2, shape=(None,), name=f"b{k}"))
    rng = np.random.default_rng(0)
    samples = []
    for d1, d2 in _PAIRS:
        samples += [tame(rng, d1, _SHAPE), positive(rng, d2, _SHAPE[1:])]
    outs: list[Any] = []
    labels: list[str] = []
    for name, op in scalar_ops():
        if 2 not in _arity(op):
            continue
        for k in range(len(_PAIRS)):
            args, smp = ins[2 * k : 2 * k + 2], samples[2 * k : 2 * k + 2]
            for order in (1, -1):
                out = _try(_plain(op), args[::order], smp[::order])
                if out is not None:
                    outs.append(out)
                    labels.append(f"{name}({args[::order][0]}, {args[::order][1]})")

    def values(rng: np.random.Generator) -> list[Any]:
        vals = []
        for d1, d2 in _PAIRS:
            vals += [tame(rng, d1, _SHAPE), positive(rng, d2, _SHAPE[1:])]
        return vals

    return Graph(ins, outs, labels, values)


def cases() -> list[Case]:
    """The elemwise cases."""
    out = []
    for dt in DTYPES:
        out.append(
            Case(
                f"elemwise-{dt}",
                "elemwise",
                lambda dt=dt: _ops_graph(dt, False),  # type: ignore[misc]
                f"every scalar op as Elemwise on {dt}: tame (broadcast) and edge values",
            )
        )
        out.append(
            Case(
                f"composite-{dt}",
                "composite",
                lambda dt=dt: _ops_graph(dt, True),  # type: ignore[misc]
                f"every scalar op inside a Composite on {dt}, plus multi-op multi-output ones",
            )
        )
    out.append(Case("elemwise-mixed-dtypes", "elemwise", _mixed_graph, "binary ops on two dtypes"))
    return out
