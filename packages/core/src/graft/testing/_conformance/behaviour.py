"""Calling-convention cases: in-place rewrites, shared updates, aliasing, run-time shape errors."""

from __future__ import annotations

from typing import Any

import numpy as np

from graft.testing._conformance.harness import Case, ErrorCall, Graph
from graft.testing._conformance.values import tame, tensor_module


def _inplace_graph() -> Graph:
    """Chains FAST_RUN turns into in-place Elemwise/IncSubtensor; outputs that must survive."""
    gt = tensor_module()

    x = gt.dmatrix("x")
    y = gt.dmatrix("y")
    v = gt.fvector("v")
    i8 = gt.tensor("int8", shape=(None, None), name="i8")
    a = x + 1
    b = gt.exp(a)  # must not overwrite `a`, which is an output too
    c = (x * y + 2) * (x - y)
    d = gt.set_subtensor((x * 3)[0], y[1])
    e = gt.inc_subtensor(d[:, ::-1], 1.0)
    f = gt.sqrt(abs(v * 2 - 1)) + v
    g = (i8 + 3) * i8 - 1
    h = gt.tanh(gt.sum(c * 2, axis=0)) + gt.sum(x, axis=0)
    outs = [a, b, c, d, e, f, g, h, x * 0 + y]
    labels = [
        "x + 1",
        "exp(x + 1)",
        "(x * y + 2) * (x - y)",
        "set_subtensor((x * 3)[0], y[1])",
        "inc_subtensor(that[:, ::-1], 1)",
        "sqrt(abs(v * 2 - 1)) + v",
        "(i8 + 3) * i8 - 1",
        "tanh(sum(c * 2, axis=0)) + sum(x, axis=0)",
        "x * 0 + y",
    ]

    def values(rng: np.random.Generator) -> list[Any]:
        return [
            tame(rng, "float64", (3, 4)),
            tame(rng, "float64", (3, 4)),
            tame(rng, "float32", (5,)),
            tame(rng, "int8", (2, 3)),
        ]

    return Graph([x, y, v, i8], outs, labels, values)


def _shared_graph() -> Graph:
    """Shared variables: updated (element-wise, by inc_subtensor, a counter), and read-only."""
    from graft.compile import shared

    gt = tensor_module()
    x = gt.dmatrix("x")
    idx = gt.lvector("idx")
    s: Any = shared(np.arange(6.0).reshape(2, 3), name="s")
    count: Any = shared(np.int64(0), name="count")
    acc: Any = shared(np.zeros(4, dtype="float32"), name="acc")
    const = shared(np.array([1.0, -2.0, 3.0]), name="const")
    outs = [s + x, count * 2, gt.sum(acc), x * const]
    labels = ["s + x (s before the update)", "count * 2", "sum(acc)", "x * const"]
    updates = [
        (s, s * 0.5 + x),
        (count, count + 1),
        (acc, gt.inc_subtensor(acc[idx], gt.cast(1.5, "float32"))),
    ]

    def values(rng: np.random.Generator) -> list[Any]:
        return [tame(rng, "float64", (2, 3)), rng.integers(-4, 4, 5).astype("int64")]

    return Graph([x, idx], outs, labels, values, updates=updates)


def _io_graph() -> Graph:
    """Outputs that are inputs, constants or views of inputs; zero-size and 0-d values."""
    gt = tensor_module()

    x = gt.dmatrix("x")
    y = gt.tensor("int8", shape=(None,), name="y")
    z = gt.tensor("float32", shape=(None, None), name="z")  # (0, 3)
    s = gt.dscalar("s")
    k = gt.constant(np.array([[1.0, 2.0], [3.0, 4.0]]))
    outs = [x, x, x.T, y[::-1], k, gt.constant(7, dtype="int8"), x + 1, z * 2 + 1, s, s * x]
    labels = [
        "x (an input)",
        "x again",
        "x.T (a view)",
        "y[::-1] (a view)",
        "a constant matrix",
        "a constant int8",
        "x + 1",
        "z * 2 + 1 (zero-size)",
        "s (a 0-d input)",
        "s * x",
    ]

    def values(rng: np.random.Generator) -> list[Any]:
        return [
            tame(rng, "float64", (2, 3)),
            tame(rng, "int8", (5,)),
            np.zeros((0, 3), "float32"),
            tame(rng, "float64", ()),
        ]

    return Graph([x, y, z, s], outs, labels, values)


def _same_argument_graph() -> Graph:
    """The same array object passed as two different inputs (which may be written in place)."""
    gt = tensor_module()

    x = gt.dmatrix("x")
    y = gt.dmatrix("y")
    w = gt.dmatrix("w")
    outs = [
        x * 2 + y,
        x[::-1] - y,
        gt.set_subtensor(x[0], y[1]),
        gt.inc_subtensor(y[:, 0], x[:, 1]),
        gt.dot(x, y.T),
        gt.exp(x) * gt.log1p(abs(y)) + w,
    ]
    labels = [
        "x * 2 + y",
        "x[::-1] - y",
        "set_subtensor(x[0], y[1])",
        "inc_subtensor(y[:, 0], x[:, 1])",
        "dot(x, y.T)",
        "exp(x) * log1p(abs(y)) + w",
    ]

    def values(rng: np.random.Generator) -> list[Any]:
        a = tame(rng, "float64", (3, 3))
        return [a, a, tame(rng, "float64", (3, 3))]

    return Graph([x, y, w], outs, labels, values, alias=[(0, 1), (0, 2)])


def _errors_graph() -> Graph:
    """Independent parts; each error call gives one part inputs of mismatched shapes."""
    gt = tensor_module()

    a, b = gt.dmatrix("a"), gt.dmatrix("b")  # (2, 5), (2, 5)
    p, q = gt.dmatrix("p"), gt.dmatrix("q")  # (2, 5), (5, 3)
    r = gt.dvector("r")  # (6,)
    t = gt.dmatrix("t")  # (3, 4)
    c1, c2 = gt.dmatrix("c1"), gt.dmatrix("c2")  # (2, 3), (2, 3)
    xs, ys = gt.dmatrix("xs"), gt.dmatrix("ys")  # (4, 4), (2, 4)
    i = gt.lscalar("i")  # in [-4, 3]
    idx = gt.lvector("idx")  # in [-4, 3]
    u, w = gt.fvector("u"), gt.fvector("w")  # (3,), (3,)
    v = gt.dvector("v")  # (3,)
    ins = [a, b, p, q, r, t, c1, c2, xs, ys, i, idx, u, w, v]
    outs = [
        gt.exp(a) + b * 2,
        gt.dot(p, q),
        gt.reshape(r, (2, 3)),
        gt.specify_shape(t, (None, 4)),
        gt.concatenate([c1, c2]),
        gt.set_subtensor(xs[1:3], ys),
        xs[i],
        xs[idx],
        gt.sum(u * w + 1, axis=0),
        gt.alloc(v, 2, 3),
    ]
    labels = [
        "exp(a) + b * 2",
        "dot(p, q)",
        "reshape(r, (2, 3))",
        "specify_shape(t, (None, 4))",
        "concatenate([c1, c2])",
        "set_subtensor(xs[1:3], ys)",
        "xs[i]",
        "xs[idx]",
        "sum(u * w + 1, axis=0)",
        "alloc(v, 2, 3)",
    ]

    def good(rng: np.random.Generator) -> list[Any]:
        return [
            tame(rng, "float64", (2, 5)),
            tame(rng, "float64", (2, 5)),
            tame(rng, "float64", (2, 5)),
            tame(rng, "float64", (5, 3)),
            tame(rng, "float64", (6,)),
            tame(rng, "float64", (3, 4)),
            tame(rng, "float64", (2, 3)),
            tame(rng, "float64", (2, 3)),
            tame(rng, "float64", (4, 4)),
            tame(rng, "float64", (2, 4)),
            np.asarray(rng.integers(-4, 4), "int64"),
            rng.integers(-4, 4, 3).astype("int64"),
            tame(rng, "float32", (3,)),
            tame(rng, "float32", (3,)),
            tame(rng, "float64", (3,)),
        ]

    base = good(np.random.default_rng(3))

    def bad(pos: int, value: Any) -> list[Any]:
        vals = list(base)
        vals[pos] = value
        return vals

    z = np.zeros
    errors = [
        ErrorCall(
            "elemwise (2, 5) + (2, 7)",
            bad(1, z((2, 7))),
            [(2, 5), (2, 7)],
            ["Elemwise", "Composite"],
        ),
        ErrorCall("dot (2, 5) x (7, 3)", bad(3, z((7, 3))), [(2, 5), (7, 3)], ["Dot", "MatMul"]),
        ErrorCall("reshape (7,) to (2, 3)", bad(4, z(7)), [(7,)], ["Reshape"]),
        ErrorCall(
            "specify_shape (3, 5) as (None, 4)", bad(5, z((3, 5))), [(3, 5)], ["SpecifyShape"]
        ),
        ErrorCall("concatenate (2, 3) and (2, 4)", bad(7, z((2, 4))), [(2, 3), (2, 4)], ["Join"]),
        ErrorCall(
            "set_subtensor (2, 4) slice from (3, 4)",
            bad(9, z((3, 4))),
            [(3, 4)],
            ["IncSubtensor", "SetSubtensor"],
        ),
        ErrorCall("index 9 of (4, 4)", bad(10, np.asarray(9, "int64")), [(4, 4)], ["Subtensor"]),
        ErrorCall(
            "indices [0, 9] of (4, 4)",
            bad(11, np.array([0, 9], "int64")),
            [(4, 4)],
            ["AdvancedSubtensor"],
        ),
        ErrorCall(
            "fused sum (3,) * (4,)",
            bad(13, z(4, "float32")),
            [(3,), (4,)],
            ["Elemwise", "ElemwiseReduce", "Composite"],
        ),
        ErrorCall("alloc (4,) to (2, 3)", bad(14, z(4)), [(4,)], ["Alloc"]),
    ]
    return Graph(ins, outs, labels, good, errors=errors)


def cases() -> list[Case]:
    """The calling-convention cases."""
    return [
        Case("inplace", "behaviour", _inplace_graph, "in-place rewrites; inputs untouched"),
        Case("shared-updates", "behaviour", _shared_graph, "shared variables and updates"),
        Case("io-aliasing", "behaviour", _io_graph, "outputs that are inputs/constants/views"),
        Case("same-argument", "behaviour", _same_argument_graph, "one array passed as 3 inputs"),
        Case("shape-errors", "behaviour", _errors_graph, "run-time shape mismatches raise"),
    ]
