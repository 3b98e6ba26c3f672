"""Blockwise, vectorize and vectorize_graph (graft.tensor.blockwise)."""

import numpy as np
import pytest
from helpers import HSET, check_infer_shape, ev
from hypothesis import given
from hypothesis import strategies as st

import graft.tensor as gt
from graft.compile import function
from graft.gradient import grad
from graft.graph.basic import io_toposort
from graft.tensor.blockwise import Blockwise, vectorize, vectorize_graph, vectorize_node
from graft.tensor.linalg import MatrixInverse
from graft.tensor.math import Dot
from graft.testing import verify_grad

RNG = np.random.default_rng(7)


def ops_of(out):
    outs = out if isinstance(out, list) else [out]
    return [type(n.op).__name__ for n in io_toposort([], outs)]


# ---------------------------------------------------------------------------
# Blockwise
# ---------------------------------------------------------------------------

MATVEC = Blockwise(Dot(), "(m,k),(k)->(m)")


@pytest.mark.parametrize(
    ("a_shape", "b_shape", "a_static", "b_static"),
    [
        ((4, 2, 3), (4, 3), None, None),  # same batch
        ((2, 3), (5, 3), None, None),  # a unbatched
        ((1, 2, 3), (4, 3), (1, None, None), None),  # a broadcast along a size-1 batch dim
        ((2, 4, 2, 3), (4, 3), None, None),  # two batch dims vs one
        ((0, 2, 3), (0, 3), None, None),  # empty batch
        ((3, 0, 3), (3, 3), None, None),  # empty core output
    ],
)
@pytest.mark.parametrize("dtype", ["float64", "float32", "int64"])
def test_blockwise_matvec_vs_numpy(a_shape, b_shape, a_static, b_static, dtype):
    a = gt.tensor(dtype=dtype, shape=a_static or (None,) * len(a_shape), name="a")
    b = gt.tensor(dtype=dtype, shape=b_static or (None,) * len(b_shape), name="b")
    out = MATVEC(a, b)
    av = (RNG.normal(size=a_shape) * 3).astype(dtype)
    bv = (RNG.normal(size=b_shape) * 3).astype(dtype)
    want = np.matmul(av, bv[..., None])[..., 0]
    got = ev(out, {a: av, b: bv})
    assert got.dtype == want.dtype and got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=1e-5)
    assert out.type.ndim == want.ndim
    check_infer_shape(out, {a: av, b: bv})
    # Through a compiled function (FAST_RUN rewrites) too.
    np.testing.assert_allclose(function([a, b], out)(av, bv), want, rtol=1e-5)


def test_blockwise_static_shapes_and_non_contiguous_input():
    a = gt.dtensor3("a", shape=(4, 2, 3))
    b = gt.dmatrix("b", shape=(1, 3))
    out = MATVEC(a, b)
    assert out.type.shape == (4, 2)
    av = RNG.normal(size=(3, 4, 2)).transpose(1, 2, 0)  # non-contiguous (4, 2, 3)
    bv = RNG.normal(size=(1, 3))
    np.testing.assert_allclose(ev(out, {a: av, b: bv}), av @ bv[0])
    # A core size fixed by a static input shape reaches the output type.
    inv = Blockwise(MatrixInverse(), "(m,m)->(m,m)")
    assert inv(gt.dtensor3("x", shape=(None, 3, None))).type.shape == (None, 3, 3)


def test_blockwise_inverse_gradient_with_broadcast_batch():
    inv = Blockwise(MatrixInverse(), "(m,m)->(m,m)")
    x = RNG.normal(size=(2, 3, 3)) + 3 * np.eye(3)
    verify_grad(lambda t: inv(t), [x], rng=RNG)
    # Broadcast batch dims: the gradient of the size-1 side is summed over the batch.
    a = RNG.normal(size=(1, 2, 3))
    b = RNG.normal(size=(4, 3))
    verify_grad(lambda p, q: MATVEC(p, q), [a, b], rng=RNG)
    pa = gt.dtensor3("pa", shape=(1, None, None))
    qb = gt.dmatrix("qb")
    ga, gb = grad(MATVEC(pa, qb).sum(), [pa, qb])
    assert ga.type.shape[0] == 1
    got = ev(ga, {pa: a, qb: b})
    np.testing.assert_allclose(got, np.broadcast_to(b.sum(0), (1, 2, 3)))


def test_blockwise_errors():
    with pytest.raises(ValueError, match="signature"):
        Blockwise(Dot(), "(m,k),(k)->")
    with pytest.raises(ValueError, match="signature"):
        Blockwise(Dot(), "(m,k)(k)->(m)")
    with pytest.raises(TypeError, match="gufunc_signature"):
        Blockwise(Dot())
    with pytest.raises(TypeError, match="must be an Op"):
        Blockwise(np.dot, "(m),(m)->()")
    with pytest.raises(TypeError, match="already a Blockwise"):
        Blockwise(MATVEC, "(m,k),(k)->(m)")
    with pytest.raises(TypeError, match="takes 2 inputs"):
        MATVEC(gt.dmatrix())
    with pytest.raises(TypeError, match=r"input 1 .* 1 core dimensions"):
        MATVEC(gt.dmatrix(), gt.dscalar())
    with pytest.raises(ValueError, match="core dimension 'k'"):
        MATVEC(gt.dmatrix(shape=(2, 3)), gt.dvector(shape=(4,)))
    with pytest.raises(ValueError, match="cannot be broadcast"):
        MATVEC(gt.dtensor3(shape=(2, None, None)), gt.dmatrix(shape=(3, None)))
    with pytest.raises(ValueError, match="outputs"):
        Blockwise(Dot(), "(m,k),(k)->(m),(k)")(gt.dmatrix(), gt.dvector())
    with pytest.raises(ValueError, match="dimensions"):
        Blockwise(Dot(), "(m,k),(k)->(m,k)")(gt.dmatrix(), gt.dvector())


def test_blockwise_runtime_errors_name_op_and_shapes():
    a, b = gt.dtensor3("a"), gt.dmatrix("b")
    out = MATVEC(a, b)
    with pytest.raises(ValueError, match=r"Blockwise\{dot.*cannot be broadcast.*\(2, 2, 3\)"):
        ev(out, {a: np.ones((2, 2, 3)), b: np.ones((5, 3))})
    # A size-1 batch dim not declared as such does not broadcast (the gradient would be wrong).
    with pytest.raises(ValueError, match="not known to have size 1"):
        ev(out, {a: np.ones((1, 2, 3)), b: np.ones((5, 3))})
    with pytest.raises(ValueError, match="core dimension 'k'"):
        ev(out, {a: np.ones((2, 2, 3)), b: np.ones((2, 4))})


def test_blockwise_props_and_str():
    assert Blockwise(Dot(), "(m,k),(k)->(m)") == MATVEC
    assert hash(Blockwise(Dot(), "(m, k), (k) -> (m)")) == hash(MATVEC)
    assert Blockwise(Dot(), "(m,k),(k)->(m)") != Blockwise(Dot(), "(m,k),(k)->(n)")
    assert "dot" in str(MATVEC) and "(m,k),(k)->(m)" in str(MATVEC)


# ---------------------------------------------------------------------------
# vectorize_graph
# ---------------------------------------------------------------------------


def loop(fn, *batched):
    """``fn`` applied to each row of the batched NumPy arrays, stacked."""
    return np.stack([fn(*rows) for rows in zip(*batched)])


def test_vectorize_graph_native_rules():
    x = gt.dmatrix("x")
    y = gt.dvector("y")  # stays unbatched
    out = (gt.exp(x).sum(axis=0) * y).dimshuffle("x", 0) + x.T.shape[0]
    xs = gt.dtensor3("xs")
    outs = vectorize_graph(out, replace={x: xs})
    assert outs.type.ndim == 3
    assert "Blockwise" not in ops_of(outs)
    xv = RNG.normal(size=(4, 2, 3))
    yv = RNG.normal(size=3)
    want = loop(lambda m: (np.exp(m).sum(0) * yv)[None, :] + m.T.shape[0], xv)
    np.testing.assert_allclose(function([xs, y], outs)(xv, yv), want)


def test_vectorize_graph_products_reshape_indexing_alloc():
    x = gt.dmatrix("x")
    v = gt.dvector("v")
    u = gt.dvector("u")  # stays unbatched
    w = gt.dmatrix("w")
    outs = [
        gt.dot(x, v),
        gt.dot(u, x),
        gt.dot(x, x.T),
        gt.dot(v, v),
        gt.matmul(x, w),
        x.reshape((-1,)),
        x[1:, 0],
        gt.alloc(v, 2, v.shape[0]),
        gt.specify_shape(x, (None, 3)),
    ]
    xs, vs = gt.dtensor3("xs"), gt.dmatrix("vs")
    batched = vectorize_graph(outs, replace={x: xs, v: vs})
    assert isinstance(batched, list) and len(batched) == len(outs)
    assert "Blockwise" not in ops_of(batched)
    xv, vv = RNG.normal(size=(5, 2, 3)), RNG.normal(size=(5, 3))
    uv, wv = RNG.normal(size=2), RNG.normal(size=(3, 4))
    fn_core = function([x, v, u, w], outs)
    got = function([xs, vs, u, w], batched)(xv, vv, uv, wv)
    for k in range(len(outs)):
        want = loop(lambda a, b, k=k: fn_core(a, b, uv, wv)[k], xv, vv)
        np.testing.assert_allclose(got[k], want, err_msg=str(k))


def test_vectorize_graph_falls_back_to_blockwise_and_keeps_unbatched_nodes():
    x = gt.dvector("x")
    c = gt.dvector("c")
    unb = gt.exp(c)
    out = gt.cumsum(x) * unb.sum()
    xs = gt.dmatrix("xs")
    outs = vectorize_graph(out, replace={x: xs})
    kinds = ops_of(outs)
    assert "Blockwise" in kinds
    # The node that depends on no replaced variable is kept as it is.
    assert unb in [i for n in io_toposort([], [outs]) for i in n.inputs]
    xv, cv = RNG.normal(size=(3, 4)), RNG.normal(size=4)
    want = loop(lambda r: np.cumsum(r) * np.exp(cv).sum(), xv)
    np.testing.assert_allclose(function([xs, c], outs)(xv, cv), want)
    # Nothing replaced: the outputs come back unchanged.
    assert vectorize_graph(out, replace={}) is out
    assert vectorize_graph((out, x), replace={}) == (out, x)


def test_vectorize_graph_gradient_of_blockwise_fallback():
    x = gt.dvector("x")
    xs = gt.dmatrix("xs")
    outs = vectorize_graph(gt.cumsum(x) ** 2, replace={x: xs})
    g = grad(outs.sum(), xs)
    xv = RNG.normal(size=(2, 3))
    want = loop(lambda r: np.cumsum((2 * np.cumsum(r))[::-1])[::-1], xv)
    np.testing.assert_allclose(function([xs], g)(xv), want)


def test_vectorize_graph_errors():
    x = gt.dmatrix("x")
    out = gt.exp(x)
    with pytest.raises(TypeError, match="at least 2 dimensions"):
        vectorize_graph(out, replace={x: gt.dvector()})
    with pytest.raises(TypeError, match="Variables"):
        vectorize_graph(out, replace={x: np.ones((2, 2, 2))})
    with pytest.raises(TypeError, match="has 1 inputs"):
        vectorize_node(out.owner, x, x)


@HSET
@given(
    batch=st.lists(st.integers(0, 3), min_size=0, max_size=2),
    n=st.integers(1, 3),
    dtype=st.sampled_from(["float64", "float32", "int64"]),
)
def test_vectorize_graph_matches_a_python_loop(batch, n, dtype):
    x = gt.vector("x", dtype=dtype)
    m = gt.matrix("m", dtype=dtype)
    out = gt.dot(m, x) + (x * 2).max() - m.sum(axis=1)
    xs = gt.tensor(dtype=dtype, shape=(None,) * (len(batch) + 1))
    ms = gt.tensor(dtype=dtype, shape=(None,) * (len(batch) + 2))
    outs = vectorize_graph(out, replace={x: xs, m: ms})
    xv = (RNG.normal(size=(*batch, n)) * 3).astype(dtype)
    mv = (RNG.normal(size=(*batch, 2, n)) * 3).astype(dtype)
    core = function([x, m], out)
    want = np.zeros((*batch, 2), dtype=out.type.dtype)
    for idx in np.ndindex(*batch):
        want[idx] = core(xv[idx], mv[idx])
    got = ev(outs, {xs: xv, ms: mv})
    assert got.dtype == want.dtype
    np.testing.assert_allclose(got, want, rtol=1e-5)


# ---------------------------------------------------------------------------
# vectorize
# ---------------------------------------------------------------------------


def test_vectorize_function_with_signature():
    def norm(v):
        return gt.sqrt((v**2).sum())

    bnorm = vectorize(norm, "(n)->()")
    m = gt.dmatrix("m")
    out = bnorm(m)
    assert out.type.ndim == 1
    mv = RNG.normal(size=(4, 3))
    np.testing.assert_allclose(function([m], out)(mv), np.linalg.norm(mv, axis=1))
    with pytest.raises(ValueError, match="returned 1 outputs"):
        vectorize(norm, "(n)->(),()")(m)
    with pytest.raises(ValueError, match="dimensions"):
        vectorize(norm, "(n)->(n)")(m)
    with pytest.raises(TypeError, match="core dimensions"):
        vectorize(norm, "(n,k)->()")(gt.dvector())


def test_vectorize_function_without_signature_is_elementwise_and_multi_output():
    def f(a, b):
        return [a * b, a - b]

    g = vectorize(f)
    x, y = gt.dmatrix("x"), gt.dvector("y")
    p, q = g(x, y)
    xv, yv = RNG.normal(size=(2, 3)), RNG.normal(size=3)
    got = function([x, y], [p, q])(xv, yv)
    np.testing.assert_allclose(got[0], xv * yv)
    np.testing.assert_allclose(got[1], xv - yv)


def test_vectorize_ops():
    assert vectorize(gt.exp(gt.dvector()).owner.op) is gt.exp(gt.dvector()).owner.op
    assert vectorize(MATVEC) is MATVEC
    inv = vectorize(MatrixInverse(), "(m,m)->(m,m)")
    assert isinstance(inv, Blockwise)
    xv = RNG.normal(size=(2, 3, 3)) + 3 * np.eye(3)
    x = gt.dtensor3("x")
    np.testing.assert_allclose(function([x], inv(x))(xv), np.linalg.inv(xv))
    with pytest.raises(TypeError, match="Op or a callable"):
        vectorize(3)
