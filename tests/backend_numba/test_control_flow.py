"""Numba backend: OpFromGraph, IfElse and LazyIfElse run natively (inner graphs as njit
functions) and agree with the reference backend; the untaken branch is not computed."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from nb_helpers import NUMBA, PY, check, strided

import graft
import graft.tensor as gt
from graft.compile.builders import OpFromGraph
from graft.graph.basic import Apply
from graft.graph.op import Op
from graft.ifelse import IfElse, LazyIfElse, ifelse
from graft.link.codegen import BackendFallbackWarning

pytest.importorskip("numba")


def _nodes(f):
    return f.maker.fgraph.toposort()


@pytest.mark.parametrize("dtype", ["float64", "float32", "int64"])
def test_op_from_graph_values(dtype):
    x = gt.tensor(dtype=dtype, shape=(None,), name="x")
    y = gt.tensor(dtype=dtype, shape=(None,), name="y")
    op = OpFromGraph([x, y], [x * y + x, (x - y).sum(), x])
    a = gt.tensor(dtype=dtype, shape=(None,), name="a")
    b = gt.tensor(dtype=dtype, shape=(None,), name="b")
    rng = np.random.default_rng(0)
    big = (rng.normal(size=8) * 4).astype(dtype)
    cases = [
        (big[:3], big[3:6]),
        (np.zeros(0, dtype), np.zeros(0, dtype)),
        (big[:1], big[1:2]),
        (strided(big), strided(big[::-1].copy())),
    ]
    check([a, b], op(a, b), cases)


def test_op_from_graph_zero_d_matrix_and_output_is_not_an_input():
    s, m = gt.dscalar("s"), gt.dmatrix("m")
    op = OpFromGraph([s, m], [gt.exp(m) * s, m, s])
    u, v = gt.dscalar("u"), gt.dmatrix("v")
    vals = np.arange(6.0).reshape(2, 3)
    check([u, v], op(u, v), [(2.0, vals), (-1.5, vals.T), (0.0, np.zeros((0, 2)))])
    with graft.change_flags(backend_fallback="raise"):
        f = graft.function([u, v], op(u, v)[1], mode=NUMBA)
    got = f(1.0, vals)
    got[0, 0] = 99.0
    assert vals[0, 0] == 0.0  # the output was a copy


def test_nested_blocks_and_a_dense_subclass():
    class Dense(OpFromGraph):
        pass

    x, W, b = gt.dmatrix("x"), gt.dmatrix("W"), gt.dvector("b")
    act = OpFromGraph([x], [gt.maximum(x, 0.0)], name="relu")
    dense = Dense([x, W, b], [act(x @ W + b)], name="dense")
    xs, Ws, bs = gt.dmatrix("xs"), gt.dmatrix("Ws"), gt.dvector("bs")
    rng = np.random.default_rng(1)
    cases = [(rng.normal(size=(4, 3)), rng.normal(size=(3, 2)), rng.normal(size=2))]
    check([xs, Ws, bs], [dense(xs, Ws, bs)], cases)
    with graft.change_flags(backend_fallback="raise"):
        f = graft.function([xs, Ws, bs], dense(xs, Ws, bs), mode=NUMBA)
    assert any(isinstance(n.op, Dense) for n in _nodes(f))


def test_op_from_graph_gradient():
    x, y = gt.dvectors("x", "y")
    op = OpFromGraph([x, y], [gt.exp(x) * y + x**2])
    a, b = gt.dvectors("a", "b")
    ga, gb = graft.grad(op(a, b).sum(), [a, b])
    rng = np.random.default_rng(2)
    check([a, b], [ga, gb], [(rng.normal(size=3), rng.normal(size=3))])


@pytest.mark.parametrize("dtype", ["float64", "float32", "int32", "bool"])
def test_lazy_ifelse_values(dtype):
    c = gt.scalar("c", dtype="bool")
    x = gt.tensor(dtype=dtype, shape=(None, None), name="x")
    y = gt.tensor(dtype=dtype, shape=(None, None), name="y")
    o1, o2 = ifelse(c, [x * y, x.T], [y, x + y])
    rng = np.random.default_rng(3)
    big = (rng.normal(size=(4, 4)) * 3).astype(dtype)
    cases = [(cv, big[:2, :2], big[2:, 2:]) for cv in (True, False)]
    cases += [(True, np.zeros((0, 0), dtype), np.zeros((0, 0), dtype))]
    cases += [(False, strided(big), strided(big.T.copy()))]
    check([c, x, y], [o1, o2], cases)
    with graft.change_flags(backend_fallback="raise"):
        f = graft.function([c, x, y], [o1, o2], mode=NUMBA)
    assert any(isinstance(n.op, LazyIfElse) for n in _nodes(f))
    # x.T is a view of an input: returned as a copy.
    xv = big[:2, :2].copy()
    r = f(True, xv, xv)[1]
    r[0, 0] = 1
    np.testing.assert_array_equal(xv, big[:2, :2])


def test_eager_ifelse_and_numeric_condition():
    c = gt.dscalar("c")
    x, y = gt.dvectors("x", "y")
    out = ifelse(c, x, y)  # nothing branch-only: the eager IfElse runs
    with graft.change_flags(backend_fallback="raise"):
        f = graft.function([c, x, y], out, mode=NUMBA)
    assert any(type(n.op) is IfElse for n in _nodes(f))
    check(
        [c, x, y],
        [out],
        [(1.0, [1.0, 2.0], [3.0, 4.0]), (0.0, [1.0], [2.0]), (np.nan, [1.0], [2.0])],
    )
    xv = np.array([1.0, 2.0])
    r = f(1.0, xv, xv)
    r[0] = 7.0
    assert xv[0] == 1.0


def test_nested_ifelse_and_gradient():
    a, b = gt.dscalar("a"), gt.dscalar("b")
    x = gt.dvector("x")
    inner = ifelse(gt.gt(b, 0), gt.exp(x), gt.sin(x))
    out = ifelse(gt.gt(a, 0), inner * 2, x**2)
    gx = graft.grad(out.sum(), x)
    cases = [(av, bv, np.array([0.5, -1.0])) for av in (1.0, -1.0) for bv in (1.0, -1.0)]
    check([a, b, x], [out, gx], cases)


def test_untaken_branch_is_not_computed_natively():
    c = gt.scalar("c", dtype="bool")
    x = gt.dvector("x")
    # The else branch fails on any x that is not of length 3.
    out = ifelse(c, x * 2, gt.specify_shape(x, (3,)) + 1)
    with graft.change_flags(backend_fallback="raise"):
        f = graft.function([c, x], out, mode=NUMBA)
    np.testing.assert_array_equal(f(True, np.ones(5)), np.full(5, 2.0))
    np.testing.assert_array_equal(f(False, np.ones(3)), np.full(3, 2.0))
    with pytest.raises(AssertionError):
        f(False, np.ones(5))


class Count(Op):
    """Doubles its input, counts its calls; no Numba rule (runs its perform)."""

    __props__ = ()

    def __init__(self) -> None:
        self.calls = [0]

    def __eq__(self, other):
        return self is other

    def __hash__(self):
        return id(self)

    def make_node(self, x):
        return Apply(self, [x], [x.type()])

    def perform(self, node, inputs, out):
        self.calls[0] += 1
        out[0][0] = inputs[0] * 2


def test_fallback_keeps_values_and_laziness():
    c = gt.scalar("c", dtype="bool")
    x = gt.dvector("x")
    cnt = Count()
    out = ifelse(c, cnt(x) + 1, x - 1)
    blk = OpFromGraph([x], [Count()(x) * 3])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", BackendFallbackWarning)
        f = graft.function([c, x], [out, blk(x)], mode=NUMBA)
    r, s = f(False, [1.0])
    np.testing.assert_array_equal(r, [0.0])
    np.testing.assert_array_equal(s, [6.0])
    assert cnt.calls[0] == 0
    r, _ = f(True, [1.0])
    np.testing.assert_array_equal(r, [3.0])
    assert cnt.calls[0] == 1
    ref = graft.function([c, x], out, mode=PY)
    np.testing.assert_array_equal(ref(True, [1.0]), [3.0])
