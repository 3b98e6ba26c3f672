"""Indexing cases: basic and advanced Subtensor, IncSubtensor/SetSubtensor in every form.

Indices are graph inputs as well as constants: negative and symbolic steps,
negative indices, integer arrays with repeats, boolean masks. The written-to
arrays are graph inputs (which must stay untouched) and intermediates (which
FAST_RUN updates in place).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from graft.testing._conformance.harness import Case, Graph
from graft.testing._conformance.values import tame, tensor_module

_ROWS, _COLS = 4, 5


def _index_values(rng: np.random.Generator) -> list[Any]:
    """i, j, k (step, negative or positive), idx (repeats, negative), idx2, uidx, m, mv."""
    i = rng.integers(-_ROWS, _ROWS)
    j = rng.integers(-_ROWS, _ROWS + 1)
    k = rng.choice([-2, -1, 1, 2])
    idx = rng.integers(-_ROWS, _ROWS, 6)
    idx[1] = idx[4]  # a repeated index: inc_subtensor accumulates
    idx2 = rng.integers(-_COLS, _COLS, 6)
    uidx = rng.permutation(_ROWS)[:3] - rng.integers(0, 2) * _ROWS
    m = rng.random((_ROWS, _COLS)) < 0.4
    mv = rng.random(_ROWS) < 0.5
    mv[0] = True
    return [
        np.asarray(i, "int64"),
        np.asarray(j, "int64"),
        np.asarray(k, "int64"),
        idx.astype("int64"),
        idx2.astype("int64"),
        uidx.astype("int64"),
        m,
        mv,
    ]


def _index_inputs() -> list[Any]:
    gt = tensor_module()

    return [
        gt.lscalar("i"),
        gt.lscalar("j"),
        gt.lscalar("k"),
        gt.lvector("idx"),
        gt.lvector("idx2"),
        gt.lvector("uidx"),
        gt.tensor("bool", shape=(None, None), name="m"),
        gt.tensor("bool", shape=(None,), name="mv"),
    ]


def _reads(x: Any, t: Any, ix: list[Any]) -> list[tuple[str, Any]]:
    i, j, k, idx, idx2, uidx, m, mv = ix
    return [
        ("x[i]", x[i]),
        ("x[-1]", x[-1]),
        ("x[i, j % 5]", x[i, j % 5]),
        ("x[1:3]", x[1:3]),
        ("x[i:j]", x[i:j]),
        ("x[i:j:k]", x[i:j:k]),
        ("x[::k, ::-1]", x[::k, ::-1]),
        ("x[::-1]", x[::-1]),
        ("x[::-2, 1:]", x[::-2, 1:]),
        ("x[-1, ::-1]", x[-1, ::-1]),
        ("x[3:1:-1, -2:]", x[3:1:-1, -2:]),
        ("x[10:20] (empty)", x[10:20]),
        ("x[None, 1]", x[None, 1]),
        ("t[1, ::-1, i]", t[1, ::-1, i]),
        ("t[..., 1]", t[..., 1]),
        ("x[idx]", x[idx]),
        ("x[[0, -1, 2]]", x[[0, -1, 2]]),
        ("x[:, idx2]", x[:, idx2]),
        ("x[idx, idx2]", x[idx, idx2]),
        ("x[idx, 1:]", x[idx, 1:]),
        ("x[::-1][idx]", x[::-1][idx]),
        ("t[:, idx % 3, idx2 % 4]", t[:, idx % 3, idx2 % 4]),
        ("x[m]", x[m]),
        ("x[mv]", x[mv]),
        ("x[mv, ::-1]", x[mv, ::-1]),
        ("x[uidx]", x[uidx]),
    ]


def _subtensor_graph() -> Graph:
    gt = tensor_module()

    ix = _index_inputs()
    ins = list(ix)
    outs: list[Any] = []
    labels: list[str] = []
    dtypes = ("float64", "int8", "bool")
    for dt in dtypes:
        x = gt.tensor(dt, shape=(None, None), name=f"x_{dt}")
        t = gt.tensor(dt, shape=(None, None, None), name=f"t_{dt}")
        ins += [x, t]
        for label, out in _reads(x, t, ix):
            outs.append(out)
            labels.append(f"{label} on {dt}")

    def values(rng: np.random.Generator) -> list[Any]:
        vals = _index_values(rng)
        for dt in dtypes:
            vals += [tame(rng, dt, (_ROWS, _COLS)), tame(rng, dt, (2, 3, 4))]
        return vals

    return Graph(ins, outs, labels, values)


def _writes(x: Any, y: Any, ix: list[Any]) -> list[tuple[str, Any]]:
    gt = tensor_module()

    i, j, k, idx, idx2, uidx, m, mv = ix
    inter = x * 2  # an intermediate: FAST_RUN may write into it in place
    return [
        ("set_subtensor(x[1:3], y)", gt.set_subtensor(x[1:3], y)),
        ("inc_subtensor(x[::-1], 1)", gt.inc_subtensor(x[::-1], 1)),
        ("set_subtensor(x[i], y)", gt.set_subtensor(x[i], y)),
        ("inc_subtensor(x[i:j:k], y)", gt.inc_subtensor(x[i:j:k], y)),
        ("set_subtensor(x[i, ::-2], 3)", gt.set_subtensor(x[i, ::-2], 3)),
        ("inc_subtensor(x[-1, j % 5], 7)", gt.inc_subtensor(x[-1, j % 5], 7)),
        ("inc_subtensor(x[idx], y) (repeats add up)", gt.inc_subtensor(x[idx], y)),
        ("set_subtensor(x[uidx], y)", gt.set_subtensor(x[uidx], y)),
        ("inc_subtensor(x[:, idx2], 1)", gt.inc_subtensor(x[:, idx2], 1)),
        ("inc_subtensor(x[idx, idx2], 2)", gt.inc_subtensor(x[idx, idx2], 2)),
        ("set_subtensor(x[::-1, idx2], 0)", gt.set_subtensor(x[::-1, idx2], 0)),
        ("set_subtensor(x[m], 5)", gt.set_subtensor(x[m], 5)),
        ("inc_subtensor(x[mv], y)", gt.inc_subtensor(x[mv], y)),
        ("set_subtensor((x * 2)[1:3], y) (intermediate)", gt.set_subtensor(inter[1:3], y)),
        ("inc_subtensor((x * 2)[idx], y) (intermediate)", gt.inc_subtensor(inter[idx], y)),
        ("x * 2 (read next to the writes)", inter),
        ("set_subtensor(x[10:], y) (empty)", gt.set_subtensor(x[10:], y)),
    ]


def _inc_subtensor_graph() -> Graph:
    gt = tensor_module()

    ix = _index_inputs()
    ins = list(ix)
    outs: list[Any] = []
    labels: list[str] = []
    dtypes = ("float64", "float32", "int64", "int8")
    for dt in dtypes:
        x = gt.tensor(dt, shape=(None, None), name=f"x_{dt}")
        y = gt.tensor(dt, shape=(None,), name=f"y_{dt}")  # one row, broadcast
        ins += [x, y]
        for label, out in _writes(x, y, ix):
            outs.append(out)
            labels.append(f"{label} on {dt}")
    b = gt.tensor("bool", shape=(None, None), name="x_bool")
    ins.append(b)
    i, j, k, idx, idx2, uidx, m, mv = ix
    for label, out in [
        ("set_subtensor(b[1:3], True)", gt.set_subtensor(b[1:3], True)),
        ("set_subtensor(b[m], False)", gt.set_subtensor(b[m], False)),
        ("set_subtensor(b[uidx, ::-1], True)", gt.set_subtensor(b[uidx, ::-1], True)),
    ]:
        outs.append(out)
        labels.append(label)

    def values(rng: np.random.Generator) -> list[Any]:
        vals = _index_values(rng)
        for dt in dtypes:
            vals += [tame(rng, dt, (_ROWS, _COLS)), tame(rng, dt, (_COLS,))]
        vals.append(tame(rng, "bool", (_ROWS, _COLS)))
        return vals

    return Graph(ins, outs, labels, values)


def cases() -> list[Case]:
    """The indexing cases."""
    return [
        Case("subtensor", "indexing", _subtensor_graph, "basic and advanced indexing reads"),
        Case("inc_subtensor", "indexing", _inc_subtensor_graph, "set/inc_subtensor in every form"),
    ]
