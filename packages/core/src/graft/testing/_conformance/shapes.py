"""Shape cases: Shape, Shape_i, SpecifyShape, Reshape, DimShuffle, Alloc, Join, Split, arange, eye."""

from __future__ import annotations

from typing import Any

import numpy as np

from graft.testing._conformance.harness import Case, Graph
from graft.testing._conformance.values import DTYPES, tame, tensor_module


def _shape_graph() -> Graph:
    gt = tensor_module()

    n = gt.lscalar("n")  # 3
    ins: list[Any] = [n]
    pairs: list[tuple[str, Any]] = []
    for dt in DTYPES:
        x = gt.tensor(dt, shape=(None, None, None), name=f"x_{dt}")  # (2, 3, 4)
        s = gt.tensor(dt, shape=(), name=f"s_{dt}")
        z = gt.tensor(dt, shape=(None, None), name=f"z_{dt}")  # (0, 3)
        c = gt.tensor(dt, shape=(None, 1, None), name=f"c_{dt}")  # (2, 1, 4)
        ins += [x, s, z, c]
        pairs += [
            (f"shape({x})", x.shape),
            (f"shape({s})", s.shape),
            (f"shape_i({x}, 2)", gt.shape_i(x, 2)),
            (f"specify_shape({x}, (2, None, 4))", gt.specify_shape(x, (2, None, 4))),
            (f"reshape({x}, (6, 4))", gt.reshape(x, (6, 4))),
            (f"reshape({x}, (-1,))", gt.reshape(x, (-1,))),
            (f"reshape({x}, (4, -1, n))", gt.reshape(x, (4, -1, n))),
            (f"reshape({x}[:, ::-1], (n, 8))", gt.reshape(x[:, ::-1], (n, 8))),
            (f"reshape({s}, (1, 1))", gt.reshape(s, (1, 1))),
            (f"reshape({z}, (-1, 3))", gt.reshape(z, (-1, 3))),
            (f"reshape({z}, (3, 0, 5))", gt.reshape(z, (3, 0, 5))),
            (f"flatten({x}, 2)", gt.flatten(x, 2)),
            (f"{x}.T", x.T),
            (f"{x}.dimshuffle(2, 'x', 0, 1)", x.dimshuffle(2, "x", 0, 1)),
            (f"{c}.dimshuffle(0, 2)", c.dimshuffle(0, 2)),
            (f"{c}.dimshuffle('x', 2, 1, 0)", c.dimshuffle("x", 2, 1, 0)),
            (f"{s}.dimshuffle('x', 'x')", s.dimshuffle("x", "x")),
            (f"squeeze({c})", gt.squeeze(c)),
            (f"expand_dims({x}, -1)", gt.expand_dims(x, -1)),
            (f"{z}.T", z.T),
            (f"transpose({x}, (1, 2, 0))[::-1]", gt.transpose(x, (1, 2, 0))[::-1]),
        ]

    def values(rng: np.random.Generator) -> list[Any]:
        vals: list[Any] = [np.asarray(3, "int64")]
        for dt in DTYPES:
            vals += [
                tame(rng, dt, (2, 3, 4)),
                tame(rng, dt, ()),
                np.zeros((0, 3), dt),
                tame(rng, dt, (2, 1, 4)),
            ]
        return vals

    labels, outs = zip(*pairs)
    return Graph(ins, list(outs), list(labels), values)


def _construct_graph() -> Graph:
    gt = tensor_module()

    n = gt.lscalar("n")  # 3
    m = gt.lscalar("m")  # 4
    k = gt.lscalar("k")  # -1 or 1
    start = gt.dscalar("start")
    step = gt.dscalar("step")
    ins: list[Any] = [n, m, k, start, step]
    pairs: list[tuple[str, Any]] = [
        ("arange(n)", gt.arange(n)),
        ("arange(m, n)", gt.arange(m, n)),
        ("arange(n, -m, -1)", gt.arange(n, -m, -1)),
        ("arange(start, n, step)", gt.arange(start, n, step)),
        ("arange(n, dtype=float32)", gt.arange(n, dtype="float32")),
        ("arange(0.5, 3.0, 0.25)", gt.arange(0.5, 3.0, 0.25)),
        ("eye(n)", gt.eye(n)),
        ("eye(n, m, k)", gt.eye(n, m, k)),
        ("eye(m, n, -2, dtype=int8)", gt.eye(m, n, -2, dtype="int8")),
        ("eye(n, dtype=bool)", gt.eye(n, dtype="bool")),
        ("zeros((n, m))", gt.zeros((n, m))),
        ("ones((m,), dtype=int8)", gt.ones((m,), dtype="int8")),
        ("full((n, 0), 2.5)", gt.full((n, 0), 2.5)),
    ]
    for dt in DTYPES:
        v = gt.tensor(dt, shape=(None,), name=f"v_{dt}")  # (4,)
        s = gt.tensor(dt, shape=(), name=f"s_{dt}")
        w = gt.tensor(dt, shape=(1, None), name=f"w_{dt}")  # (1, 4)
        ins += [v, s, w]
        pairs += [
            (f"alloc({v}, n, m)", gt.alloc(v, n, m)),
            (f"alloc({s}, n)", gt.alloc(s, n)),
            (f"alloc({w}, 2, n, m)", gt.alloc(w, 2, n, m)),
            (f"alloc({s}, 0, m)", gt.alloc(s, 0, m)),
            (f"full((n, 2), {s})", gt.full((n, 2), s)),
            (f"fill({w}, {s})", gt.fill(w, s)),
            (f"zeros_like({v})", gt.zeros_like(v)),
            (f"ones_like({w})", gt.ones_like(w)),
            (f"alloc({v}, n, m) * 2", gt.alloc(v, n, m) * 2),
            (f"make_vector({s}, {s}, 1)", gt.make_vector(s, s, 1)),
        ]

    def values(rng: np.random.Generator) -> list[Any]:
        vals: list[Any] = [
            np.asarray(3, "int64"),
            np.asarray(4, "int64"),
            np.asarray(rng.choice([-1, 1]), "int64"),
            np.asarray(rng.uniform(-2, 0), "float64"),
            np.asarray(rng.choice([0.5, 0.75]), "float64"),
        ]
        for dt in DTYPES:
            vals += [tame(rng, dt, (4,)), tame(rng, dt, ()), tame(rng, dt, (1, 4))]
        return vals

    labels, outs = zip(*pairs)
    return Graph(ins, list(outs), list(labels), values)


def _join_graph() -> Graph:
    gt = tensor_module()

    ins: list[Any] = []
    pairs: list[tuple[str, Any]] = []
    for dt in DTYPES:
        a = gt.tensor(dt, shape=(None, None), name=f"a_{dt}")  # (2, 3)
        b = gt.tensor(dt, shape=(None, None), name=f"b_{dt}")  # (2, 3)
        e = gt.tensor(dt, shape=(None, None), name=f"e_{dt}")  # (0, 3)
        v = gt.tensor(dt, shape=(None,), name=f"v_{dt}")  # (6,)
        ins += [a, b, e, v]
        parts = gt.split(v, [1, 3, 2], 3)
        parts0 = gt.split(gt.concatenate([a, b, e]), [1, 3, 0], 3, axis=0)
        pairs += [
            (f"concatenate([{a}, {b}])", gt.concatenate([a, b])),
            (f"concatenate([{a}, {b}[::-1]], axis=1)", gt.concatenate([a, b[::-1]], axis=1)),
            (f"concatenate([{a}, {e}, {b}], axis=-2)", gt.concatenate([a, e, b], axis=-2)),
            (f"join(1, {a}, {b})", gt.join(1, a, b)),
            (f"stack([{a}, {b}])", gt.stack([a, b])),
            (f"stack([{a}, {b}, {a}], axis=2)", gt.stack([a, b, a], axis=2)),
            (f"stack([{v}, {v}], axis=-1)", gt.stack([v, v], axis=-1)),
            (f"split({v}, [1, 3, 2], 3)[0]", parts[0]),
            (f"split({v}, [1, 3, 2], 3)[1]", parts[1]),
            (f"split({v}, [1, 3, 2], 3)[2]", parts[2]),
            (f"split(concat_{dt}, [1, 3, 0], axis=0)[1]", parts0[1]),
            (f"split(concat_{dt}, [1, 3, 0], axis=0)[2] (empty)", parts0[2]),
            (f"repeat({v}, 2)", gt.repeat(v, 2)),
            (f"tile({a}, (2, 1))", gt.tile(a, (2, 1))),
        ]

    def values(rng: np.random.Generator) -> list[Any]:
        vals: list[Any] = []
        for dt in DTYPES:
            vals += [
                tame(rng, dt, (2, 3)),
                tame(rng, dt, (2, 3)),
                np.zeros((0, 3), dt),
                tame(rng, dt, (6,)),
            ]
        return vals

    labels, outs = zip(*pairs)
    return Graph(ins, list(outs), list(labels), values)


def cases() -> list[Case]:
    """The shape cases."""
    return [
        Case("shape", "shape", _shape_graph, "Shape, Shape_i, SpecifyShape, Reshape, DimShuffle"),
        Case("construct", "shape", _construct_graph, "Alloc, fill, MakeVector, arange, eye"),
        Case("join-split", "shape", _join_graph, "Join, concatenate, stack, Split, repeat, tile"),
    ]
