"""einsum and batched_dot (graft.tensor.contraction) against NumPy."""

import numpy as np
import pytest
from helpers import HSET, check_static, ev
from hypothesis import given
from hypothesis import strategies as st

import graft.tensor as gt
from graft.compile import function
from graft.testing import verify_grad

RNG = np.random.default_rng(3)

CASES = [
    ("ij,jk->ik", [(2, 3), (3, 4)]),
    ("ij,jk", [(2, 3), (3, 4)]),
    ("ii", [(3, 3)]),
    ("ii->i", [(3, 3)]),
    ("ij->ji", [(2, 3)]),
    ("ji", [(2, 3)]),
    ("ij->", [(2, 3)]),
    ("i", [(4,)]),
    ("", [()]),
    ("...", [()]),
    ("...ii->...i", [(2, 3, 3)]),
    ("iji", [(2, 3, 2)]),
    ("bij,bjk->bik", [(2, 3, 4), (2, 4, 5)]),
    ("...i,...i", [(2, 3), (3,)]),
    ("...ij,...jk->...ik", [(2, 1, 2, 3), (4, 3, 2)]),
    ("i,j->ij", [(2,), (3,)]),
    ("i,i->i", [(3,), (3,)]),
    ("i,i", [(1,), (3,)]),
    ("ijk,kjl->il", [(2, 3, 4), (4, 3, 5)]),
    ("iij,jk,k", [(2, 2, 3), (3, 4), (4,)]),
    ("ab,bc,cd->ad", [(2, 3), (3, 4), (4, 5)]),
    ("Ba,aB", [(2, 3), (3, 2)]),
    ("ijk,ikl->ijl", [(0, 2, 3), (0, 3, 4)]),
    ("ij,jk", [(2, 0), (0, 3)]),
    ("i,j,k->kji", [(2,), (1,), (3,)]),
    (" ij , jk -> ki ", [(2, 3), (3, 4)]),
]


def sym(shape, dtype, static):
    return gt.tensor(
        dtype=dtype, shape=shape if static else tuple(1 if s == 1 else None for s in shape)
    )


def values(shapes, dtype):
    out = []
    for s in shapes:
        a = RNG.normal(size=s) * 3
        out.append((a > 0) if dtype == "bool" else a.astype(dtype))
    return out


@pytest.mark.parametrize(("subscripts", "shapes"), CASES)
@pytest.mark.parametrize("static", [False, True])
def test_einsum_float64_vs_numpy(subscripts, shapes, static):
    xs = [sym(s, "float64", static) for s in shapes]
    vals = values(shapes, "float64")
    out = gt.einsum(subscripts, *xs)
    want = np.einsum(subscripts, *vals)
    got = ev(out, dict(zip(xs, vals)))
    assert got.dtype == want.dtype
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)
    check_static(out, want)
    if static:
        assert out.type.shape == want.shape


@pytest.mark.parametrize("dtype", ["float32", "int64", "int8", "uint8", "bool"])
@pytest.mark.parametrize(
    ("subscripts", "shapes"),
    [
        ("ij,jk->ik", [(2, 3), (3, 4)]),
        ("ii->i", [(3, 3)]),
        ("ij->", [(4, 5)]),
        ("i,i->i", [(3,), (3,)]),
        ("bij,bj->bi", [(2, 3, 4), (2, 4)]),
    ],
)
def test_einsum_dtypes_vs_numpy(dtype, subscripts, shapes):
    xs = [sym(s, dtype, False) for s in shapes]
    vals = values(shapes, dtype)
    if dtype == "int8":
        vals = [(v.astype("int64") * 40).astype("int8") for v in vals]  # overflow wraps
    out = gt.einsum(subscripts, *xs)
    want = np.einsum(subscripts, *vals)
    assert out.type.dtype == want.dtype
    got = function(xs, out)(*vals)
    assert got.dtype == want.dtype
    np.testing.assert_allclose(got, want, rtol=1e-5)


def test_einsum_mixed_dtypes_promote_like_numpy():
    a = gt.vector(dtype="int8")
    b = gt.vector(dtype="uint8")
    c = gt.fvector()
    assert (
        gt.einsum("i,i", a, b).type.dtype
        == np.einsum("i,i", np.ones(2, "int8"), np.ones(2, "uint8")).dtype
    )
    assert gt.einsum("i,i", a, c).type.dtype == "float32"
    av = np.array([-3, 5], dtype="int8")
    bv = np.array([200, 7], dtype="uint8")
    np.testing.assert_array_equal(
        ev(gt.einsum("i,i->i", a, b), {a: av, b: bv}), np.einsum("i,i->i", av, bv)
    )


def test_einsum_non_contiguous_and_edge_values():
    x = gt.dmatrix("x")
    y = gt.dmatrix("y")
    xv = RNG.normal(size=(4, 3)).T  # non-contiguous (3, 4)
    yv = RNG.normal(size=(5, 4))[::2, :].T  # strided (4, 3)
    np.testing.assert_allclose(
        ev(gt.einsum("ij,jk->ik", x, y), {x: xv, y: yv}), np.einsum("ij,jk->ik", xv, yv)
    )
    # The diagonal is read by indexing: an inf or nan off the diagonal does not leak in.
    m = np.array([[1.0, np.inf], [np.nan, -2.0]])
    np.testing.assert_array_equal(ev(gt.einsum("ii->i", x), {x: m}), [1.0, -2.0])
    np.testing.assert_array_equal(ev(gt.einsum("ii", x), {x: m}), -1.0)
    # inf and nan propagate like NumPy's.
    v = gt.dvector("v")
    vv = np.array([np.inf, 0.0, 1e308, -1e308])
    with np.errstate(all="ignore"):
        want = np.einsum("i,i->i", vv, vv)
    np.testing.assert_array_equal(ev(gt.einsum("i,i->i", v, v), {v: vv}), want)


@pytest.mark.parametrize(
    ("subscripts", "shapes"),
    [
        ("ij,jk->ik", [(2, 3), (3, 4)]),
        ("ii->i", [(3, 3)]),
        ("ii", [(3, 3)]),
        ("bij,bjk->bik", [(2, 2, 3), (2, 3, 2)]),
        ("...i,...i", [(2, 3), (3,)]),
        ("ijk,kjl->il", [(2, 3, 2), (2, 3, 2)]),
        ("i,j->ij", [(2,), (3,)]),
        ("iij,jk,k", [(2, 2, 3), (3, 2), (2,)]),
    ],
)
def test_einsum_gradients(subscripts, shapes):
    vals = [RNG.normal(size=s) for s in shapes]
    verify_grad(lambda *xs: gt.einsum(subscripts, *xs), vals, rng=RNG)


def test_einsum_fast_run_keeps_values():
    a, b, c = gt.dtensor3("a"), gt.dtensor3("b"), gt.dvector("c")
    out = gt.einsum("bij,bjk,k->bi", a, b, c) + gt.einsum("bii->b", a)[:, None]
    av, bv, cv = RNG.normal(size=(2, 3, 3)), RNG.normal(size=(2, 3, 4)), RNG.normal(size=4)
    want = np.einsum("bij,bjk,k->bi", av, bv, cv) + np.einsum("bii->b", av)[:, None]
    for mode in ("FAST_RUN", "FAST_COMPILE"):
        np.testing.assert_allclose(function([a, b, c], out, mode=mode)(av, bv, cv), want)


def test_einsum_errors():
    x, y = gt.dmatrix("x"), gt.dvector("y")
    with pytest.raises(ValueError, match="at least one operand"):
        gt.einsum("ij")
    with pytest.raises(ValueError, match="name 2 operands, got 1"):
        gt.einsum("ij,j", x)
    with pytest.raises(ValueError, match="2 dimensions but subscripts 'i'"):
        gt.einsum("i", x)
    with pytest.raises(ValueError, match="ASCII letters"):
        gt.einsum("i1", x)
    with pytest.raises(ValueError, match="appears in no operand"):
        gt.einsum("ij->k", x)
    with pytest.raises(ValueError, match="repeated"):
        gt.einsum("ij->ii", x)
    with pytest.raises(ValueError, match="more than one"):
        gt.einsum("ij->i->j", x)
    with pytest.raises(ValueError, match="output must name"):
        gt.einsum("...j->j", gt.dtensor3())
    with pytest.raises(ValueError, match="bad ellipsis"):
        gt.einsum("......", x)
    with pytest.raises(ValueError, match="sizes"):
        gt.einsum("ij,j", gt.dmatrix(shape=(2, 3)), gt.dvector(shape=(4,)))
    with pytest.raises(ValueError, match="sizes"):
        gt.einsum("ii", gt.dmatrix(shape=(2, 3)))
    with pytest.raises(TypeError, match="str"):
        gt.einsum(3, y)
    with pytest.raises(TypeError, match="cannot"):
        gt.einsum("i", np.array([object()], dtype=object))


@HSET
@given(
    n=st.integers(0, 3),
    m=st.integers(0, 3),
    k=st.integers(1, 3),
    batch=st.integers(1, 2),
)
def test_einsum_batched_chain_property(n, m, k, batch):
    a, b, c = gt.dtensor3("a"), gt.dtensor3("b"), gt.dmatrix("c")
    out = gt.einsum("zij,zjk,kl->zil", a, b, c)
    av = RNG.normal(size=(batch, n, k))
    bv = RNG.normal(size=(batch, k, m))
    cv = RNG.normal(size=(m, 2))
    got = ev(out, {a: av, b: bv, c: cv})
    np.testing.assert_allclose(got, np.einsum("zij,zjk,kl->zil", av, bv, cv), atol=1e-12)


# ---------------------------------------------------------------------------
# batched_dot
# ---------------------------------------------------------------------------


def np_batched_dot(a, b):
    if a.ndim == 1 or b.ndim == 1:
        a2 = a.reshape(a.shape + (1,) * (b.ndim - 1))
        b2 = b.reshape(b.shape + (1,) * (a.ndim - 1)) if a.ndim > 1 else b
        return a2 * b2
    if len(a) == 0:
        return np.matmul(a, b)
    kb = max(1, b.ndim - 2)
    return np.stack(
        [np.tensordot(a[i], b[i], axes=[[a.ndim - 2], [kb - 1]]) for i in range(len(a))]
    )


@pytest.mark.parametrize(
    ("sa", "sb"),
    [
        ((4, 2, 3), (4, 3, 5)),
        ((4, 3), (4, 3)),
        ((4, 2, 3), (4, 3)),
        ((4, 3), (4, 3, 2)),
        ((4,), (4, 3)),
        ((4, 3), (4,)),
        ((4,), (4,)),
        ((3, 2, 2, 3), (3, 2, 3, 4)),
        ((0, 2, 3), (0, 3, 2)),
    ],
)
@pytest.mark.parametrize("dtype", ["float64", "float32", "int64"])
def test_batched_dot_vs_numpy(sa, sb, dtype):
    a, b = sym(sa, dtype, False), sym(sb, dtype, False)
    av, bv = values([sa, sb], dtype)
    out = gt.batched_dot(a, b)
    want = np_batched_dot(av, bv).astype(dtype)
    got = function([a, b], out)(av, bv)
    assert got.dtype == want.dtype and got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=1e-5)
    check_static(out, want)


def test_batched_dot_gradient_and_errors():
    verify_grad(gt.batched_dot, [RNG.normal(size=(3, 2, 4)), RNG.normal(size=(3, 4, 2))], rng=RNG)
    verify_grad(gt.batched_dot, [RNG.normal(size=(3, 4)), RNG.normal(size=(3, 4))], rng=RNG)
    with pytest.raises(TypeError, match="batch axis"):
        gt.batched_dot(gt.dscalar(), gt.dvector())
    with pytest.raises(ValueError, match="batch sizes differ"):
        gt.batched_dot(gt.dmatrix(shape=(2, 3)), gt.dmatrix(shape=(4, 3)))
    with pytest.raises(ValueError, match="sizes"):
        gt.batched_dot(gt.dmatrix(shape=(2, 3)), gt.dmatrix(shape=(2, 4)))
