"""graft.tensor.nlinalg vs NumPy: eigh, svd, qr, pinv, norm, kron (values, shapes, errors, gradients).

Eigenvectors and singular vectors are only defined up to sign (and QR up to
the signs of R's diagonal), so those are compared through invariants
(reconstruction, orthogonality, sign-fixed columns) and their gradients are
checked on sign-invariant functions of the outputs.
"""

import numpy as np
import pytest
from helpers import HSET, check_all, check_infer_shape, check_static, ev, evaluate, sym
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import graft.tensor as gt
from graft.compile import function
from graft.gradient import NullTypeGradError, grad
from graft.tensor import nlinalg
from graft.tensor.nlinalg import QR, SVD, Eigh, Pinv, eigh, eigvalsh, kron, norm, pinv, qr, svd
from graft.testing import verify_grad

RNG = np.random.default_rng(20240612)
# Input dtype -> the dtype NumPy's linalg computes (and graft returns) in.
OUT_DTYPE = {
    "float64": "float64",
    "float32": "float32",
    "int64": "float64",
    "int8": "float64",
    "uint8": "float64",
    "bool": "float64",
}


def _tol(dtype):
    return 1e-4 if dtype == "float32" else 1e-10


def _sample(shape, dtype, rng=RNG):
    if dtype == "bool":
        return rng.random(shape) < 0.5
    if np.dtype(dtype).kind in "iu":
        return rng.integers(0 if dtype == "uint8" else -9, 10, size=shape).astype(dtype)
    return rng.normal(size=shape).astype(dtype)


def _sym_lower(a):
    """The symmetric matrices that ``eigh(UPLO="L")`` sees: the lower triangle mirrored."""
    return np.tril(a) + np.swapaxes(np.tril(a, -1), -1, -2)


def _sign_fixed(v):
    """Columns scaled so that the largest-magnitude entry of each is positive."""
    if v.size == 0:
        return v
    idx = np.argmax(np.abs(v), axis=-2)[..., None, :]
    return v * np.sign(np.take_along_axis(v, idx, axis=-2))


def _eye_like(x):
    return np.broadcast_to(np.eye(x.shape[-1]), x.shape[:-2] + (x.shape[-1],) * 2)


def _mT(x):
    return np.swapaxes(x, -1, -2)


def _weights(*shape):
    return gt.constant(RNG.normal(size=shape))


# ---------------------------------------------------------------------------
# eigh / eigvalsh
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", list(OUT_DTYPE))
@pytest.mark.parametrize("shape", [(4, 4), (1, 1), (0, 0), (2, 3, 3), (2, 0, 0)])
@pytest.mark.parametrize("uplo", ["L", "U"])
def test_eigh_matches_numpy(dtype, shape, uplo):
    a = _sample(shape, dtype)
    x = sym(a)
    w, v = eigh(x, uplo)
    out_dtype = OUT_DTYPE[dtype]
    assert w.type.dtype == v.type.dtype == out_dtype
    got_w, got_v = evaluate([w, v], {x: a})
    ref_w, ref_v = np.linalg.eigh(a.astype(out_dtype), UPLO=uplo)
    assert got_w.dtype == got_v.dtype == out_dtype
    np.testing.assert_allclose(got_w, ref_w, rtol=_tol(dtype), atol=_tol(dtype))
    np.testing.assert_allclose(
        _sign_fixed(got_v),
        _sign_fixed(ref_v),
        rtol=1e-3,
        atol=1e-3 if dtype == "float32" else 1e-8,
    )
    # Invariants: orthonormal eigenvectors that rebuild the matrix actually read.
    seen = _sym_lower(a if uplo == "L" else _mT(a)).astype("float64")
    np.testing.assert_allclose(_mT(got_v) @ got_v, _eye_like(got_v), atol=1e-5)
    np.testing.assert_allclose((got_v * got_w[..., None, :]) @ _mT(got_v), seen, atol=1e-4)
    check_static(w, got_w)
    check_static(v, got_v)
    check_infer_shape(w, {x: a})
    np.testing.assert_allclose(ev(eigvalsh(x, uplo), {x: a}), ref_w, rtol=1e-4, atol=1e-4)


def test_eigh_reads_one_triangle_and_non_contiguous_input():
    a = RNG.normal(size=(4, 4))
    noisy = a + np.triu(RNG.normal(size=(4, 4)) * 100, 1)
    x = sym(a)
    w = eigvalsh(x)
    np.testing.assert_allclose(ev(w, {x: noisy}), ev(w, {x: a}), rtol=1e-12)
    t = np.asfortranarray(RNG.normal(size=(3, 3)))[::-1]
    np.testing.assert_allclose(ev(w, {x: t}), np.linalg.eigvalsh(t), rtol=1e-12)


def test_eigh_static_shapes_and_special_values():
    x = gt.tensor("x", dtype="float64", shape=(2, None, 5))
    w, v = eigh(x)
    assert w.type.shape == (2, 5) and v.type.shape == (2, 5, 5)
    big = np.diag([1e300, -1e300, 0.0])
    y = sym(big)
    np.testing.assert_array_equal(ev(eigvalsh(y), {y: big}), np.linalg.eigvalsh(big))
    inf = np.diag([np.inf, 1.0])
    np.testing.assert_array_equal(
        np.isnan(ev(eigvalsh(y), {y: inf})), np.isnan(np.linalg.eigvalsh(inf))
    )


def test_eigh_errors():
    with pytest.raises(
        ValueError, match=r"Eigh: expected a square matrix .*\(\.\.\., m, n\).*1-d"
    ):
        eigh(gt.dvector("v"))
    with pytest.raises(ValueError, match=r"Eigh: expected square matrices.*\(2, 3\)"):
        eigh(gt.tensor("a", dtype="float64", shape=(2, 3)))
    with pytest.raises(TypeError, match="Eigh: complex input"):
        eigh(gt.zmatrix("z"))
    with pytest.raises(ValueError, match="UPLO"):
        eigh(gt.dmatrix("a"), UPLO="X")
    assert Eigh("L") == Eigh() != Eigh("U")
    assert str(Eigh("U")) == "Eigh{U}"


@pytest.mark.parametrize("uplo", ["L", "U"])
def test_eigh_gradients(uplo):
    a = RNG.normal(size=(4, 4))
    ww, wv = _weights(4), _weights(4, 4)
    verify_grad(lambda m: eigh(m, uplo)[0] * ww, [a], rng=RNG)
    # Squared eigenvector entries do not depend on the sign choice.
    verify_grad(lambda m: eigh(m, uplo)[1] ** 2 * wv, [a], rng=RNG)
    verify_grad(lambda m: (lambda w, v: (v * w) @ v.T)(*eigh(m, uplo)), [a], rng=RNG)
    stack = RNG.normal(size=(2, 3, 3))
    verify_grad(
        lambda m: eigh(m, uplo)[1] ** 2 + gt.expand_dims(eigh(m, uplo)[0], -1), [stack], rng=RNG
    )


def test_eigh_gradient_exact_values():
    # d sum(w) / d a is the identity (the trace); the unread triangle gets zero.
    a = RNG.normal(size=(3, 3))
    x = gt.dmatrix("x")
    (g,) = grad(gt.sum(eigvalsh(x)), [x])
    np.testing.assert_allclose(ev(g, {x: a}), np.eye(3), atol=1e-12)
    # d w_max / d a = v v^T for the symmetric matrix, folded onto the lower triangle.
    (g,) = grad(eigvalsh(x)[-1], [x])
    v = np.linalg.eigh(a)[1][:, -1]
    full = np.outer(v, v)
    np.testing.assert_allclose(ev(g, {x: a}), np.tril(full) + np.tril(full, -1), atol=1e-12)


def test_eigh_float32_and_discrete_gradients():
    a = RNG.normal(size=(3, 3)).astype("float32")
    verify_grad(lambda m: eigvalsh(m), [a], rng=RNG)
    x, y = gt.lmatrix("x"), gt.dscalar("y")
    gx, gy = grad(gt.sum(eigvalsh(x)) * y, [x, y])
    vals = evaluate([gx, gy], {x: np.eye(2, dtype="int64") * 3, y: np.float64(1.0)})
    assert gx.type.dtype == "float64"
    np.testing.assert_array_equal(vals[0], np.zeros((2, 2)))
    assert vals[1] == pytest.approx(6.0)


# ---------------------------------------------------------------------------
# svd
# ---------------------------------------------------------------------------

SVD_SHAPES = [(4, 3), (3, 4), (3, 3), (1, 1), (0, 3), (3, 0), (2, 4, 3)]


@pytest.mark.parametrize("dtype", ["float64", "float32", "int64", "int8", "bool"])
@pytest.mark.parametrize("shape", SVD_SHAPES)
@pytest.mark.parametrize("full", [True, False])
def test_svd_matches_numpy(dtype, shape, full):
    a = _sample(shape, dtype)
    x = sym(a)
    u, s, vh = svd(x, full_matrices=full)
    s_only = svd(x, compute_uv=False)
    out_dtype = OUT_DTYPE[dtype]
    assert {o.type.dtype for o in (u, s, vh, s_only)} == {out_dtype}
    got = evaluate([u, s, vh, s_only], {x: a})
    ref_u, ref_s, ref_vh = np.linalg.svd(a.astype(out_dtype), full_matrices=full)
    assert [g.shape for g in got] == [ref_u.shape, ref_s.shape, ref_vh.shape, ref_s.shape]
    assert all(g.dtype == out_dtype for g in got)
    tol = _tol(dtype)
    np.testing.assert_allclose(got[1], ref_s, rtol=tol, atol=tol)
    np.testing.assert_allclose(got[3], ref_s, rtol=tol, atol=tol)
    k = min(shape[-2:])
    gu, gs, gvh = got[:3]
    np.testing.assert_allclose((gu[..., :k] * gs[..., None, :]) @ gvh[..., :k, :], a, atol=1e-4)
    np.testing.assert_allclose(_mT(gu) @ gu, _eye_like(_mT(gu) @ gu), atol=1e-5)
    np.testing.assert_allclose(gvh @ _mT(gvh), _eye_like(gvh @ _mT(gvh)), atol=1e-5)
    for out, val in zip((u, s, vh, s_only), got):
        check_static(out, val)
    check_infer_shape(u, {x: a})
    check_infer_shape(s_only, {x: a})


def test_svd_static_shapes_and_props():
    x = gt.tensor("x", dtype="float64", shape=(5, 4, 3))
    assert [o.type.shape for o in svd(x)] == [(5, 4, 4), (5, 3), (5, 3, 3)]
    assert [o.type.shape for o in svd(x, False)] == [(5, 4, 3), (5, 3), (5, 3, 3)]
    assert svd(x, compute_uv=False).type.shape == (5, 3)
    y = gt.tensor("y", dtype="float64", shape=(None, 0))
    assert svd(y, compute_uv=False).type.shape == (0,)
    assert SVD(False, True) == SVD(False) != SVD(True)
    assert str(SVD(False, False)) == "SVD{full_matrices=False,compute_uv=False}"


def test_svd_errors_and_non_convergence():
    with pytest.raises(ValueError, match=r"SVD: expected a matrix .*\(\.\.\., m, n\).*1-d"):
        svd(gt.dvector("v"))
    with pytest.raises(TypeError, match="SVD: complex input"):
        svd(gt.zmatrix("z"))
    x = gt.dmatrix("x")
    bad = np.array([[np.nan, 1.0], [1.0, 2.0]])
    with pytest.raises(np.linalg.LinAlgError):
        np.linalg.svd(bad)
    with pytest.raises(np.linalg.LinAlgError):
        ev(svd(x, compute_uv=False), {x: bad})


def _recon(m, full=False):
    u, s, vh = svd(m, full_matrices=full)
    if full:
        return u @ (gt.expand_dims(s, -1) * vh)
    return (u * gt.expand_dims(s, -2)) @ vh


@pytest.mark.parametrize("shape", [(4, 3), (3, 4), (3, 3), (2, 3, 4)])
def test_svd_gradients(shape):
    a = RNG.normal(size=shape)
    k = min(shape[-2:])
    ws = _weights(k)
    verify_grad(lambda m: svd(m, compute_uv=False) * ws, [a], rng=RNG)
    verify_grad(lambda m: svd(m)[1] * ws, [a], rng=RNG)  # S of a full SVD
    verify_grad(_recon, [a], rng=RNG)
    verify_grad(lambda m: svd(m, False)[0] ** 2, [a], rng=RNG)
    verify_grad(lambda m: svd(m, False)[2] ** 2, [a], rng=RNG)
    verify_grad(
        lambda m: (lambda u, s, vh: (u * u).sum(-1) * s.sum())(*svd(m, False)), [a], rng=RNG
    )


def test_svd_full_matrices_gradients():
    # A statically square input: the full SVD is the reduced one.
    sq = RNG.normal(size=(3, 3))
    wu = _weights(3, 3)

    def f(m):
        u, s, vh = svd(gt.specify_shape(m, (3, 3)))
        return u**2 * wu + vh**2 * s

    verify_grad(f, [sq], rng=RNG)
    tall = gt.dmatrix("t")
    u, s, vh = svd(tall)
    with pytest.raises(NullTypeGradError, match=r"SVD.*full_matrices=False"):
        grad(gt.sum(u**2), [tall])
    # Only the singular values of a full SVD: fine for any shape.
    (g,) = grad(gt.sum(s), [tall])
    a = RNG.normal(size=(4, 2))
    ref_u, _, ref_vh = np.linalg.svd(a, full_matrices=False)
    np.testing.assert_allclose(ev(g, {tall: a}), ref_u @ ref_vh, atol=1e-12)


def test_nuclear_norm_gradient_of_rank_deficient_matrix():
    # S-only gradients need no 1/s: a rank-1 matrix is fine.
    a = np.outer([1.0, 2.0, 3.0], [1.0, -1.0])
    x = gt.dmatrix("x")
    (g,) = grad(gt.sum(svd(x, compute_uv=False)), [x])
    got = ev(g, {x: a})
    assert np.all(np.isfinite(got))
    u, _, vh = np.linalg.svd(a, full_matrices=False)
    np.testing.assert_allclose(got, u @ vh, atol=1e-12)


# ---------------------------------------------------------------------------
# qr
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", ["float64", "float32", "int64", "uint8"])
@pytest.mark.parametrize("shape", [(4, 3), (3, 4), (3, 3), (1, 1), (0, 3), (3, 0), (2, 4, 3)])
@pytest.mark.parametrize("mode", ["reduced", "complete", "r", "raw"])
def test_qr_matches_numpy(dtype, shape, mode):
    a = _sample(shape, dtype)
    x = sym(a)
    out = qr(x, mode)
    outs = [out] if mode == "r" else list(out)
    out_dtype = OUT_DTYPE[dtype]
    refs = np.linalg.qr(a.astype(out_dtype), mode=mode)
    refs = [refs] if mode == "r" else list(refs)
    got = evaluate(outs, {x: a})
    for o, g, r in zip(outs, got, refs):
        assert o.type.dtype == g.dtype == out_dtype
        assert g.shape == r.shape
        # Same LAPACK routine on the same data.
        np.testing.assert_allclose(g, r, rtol=_tol(dtype), atol=_tol(dtype))
        check_static(o, g)
    check_infer_shape(outs[0], {x: a})
    if mode in ("reduced", "complete"):
        q, r = got
        np.testing.assert_allclose(q @ r, a, atol=1e-4)
        np.testing.assert_allclose(_mT(q) @ q, _eye_like(_mT(q) @ q), atol=1e-5)
        np.testing.assert_array_equal(r, np.triu(r))


def test_qr_static_shapes_and_errors():
    x = gt.tensor("x", dtype="float64", shape=(5, 2))
    assert [o.type.shape for o in qr(x)] == [(5, 2), (2, 2)]
    assert [o.type.shape for o in qr(x, "complete")] == [(5, 5), (5, 2)]
    assert qr(x, "r").type.shape == (2, 2)
    assert [o.type.shape for o in qr(x, "raw")] == [(2, 5), (2,)]
    with pytest.raises(ValueError, match="QR: mode must be one of"):
        qr(x, "economic")
    with pytest.raises(ValueError, match=r"QR: expected a matrix .*0-d"):
        qr(gt.dscalar("s"))
    with pytest.raises(TypeError, match="QR: complex input"):
        qr(gt.zmatrix("z"))
    assert QR() == QR("reduced") != QR("r")
    assert str(QR("raw")) == "QR{raw}"


def _qr_recon(m):
    q, r = qr(m)
    return q @ r


@pytest.mark.parametrize("shape", [(4, 3), (3, 4), (3, 3), (5, 2)])
@pytest.mark.parametrize("static", [False, True])
def test_qr_gradients(shape, static):
    a = RNG.normal(size=shape)

    def fix(m):
        return gt.specify_shape(m, shape) if static else m

    k = min(shape)
    wq, wr = _weights(shape[0], k), _weights(k, shape[1])
    verify_grad(lambda m: _qr_recon(fix(m)), [a], rng=RNG)
    # Q * sign and R * sign flip together; q**2 and r**2 do not care.
    verify_grad(lambda m: qr(fix(m))[0] ** 2 * wq, [a], rng=RNG)
    verify_grad(lambda m: qr(fix(m))[1] ** 2 * wr, [a], rng=RNG)
    verify_grad(lambda m: qr(fix(m), "r") ** 2 * wr, [a], rng=RNG)


def test_qr_complete_mode_gradients():
    wide = RNG.normal(size=(2, 4))
    verify_grad(lambda m: qr(gt.specify_shape(m, (2, 4)), "complete")[0] ** 2, [wide], rng=RNG)
    tall = RNG.normal(size=(4, 2))
    # R alone is fine (its extra rows are zero); Q's extra columns are arbitrary.
    verify_grad(lambda m: qr(m, "complete")[1] ** 2, [tall], rng=RNG)
    x = gt.dmatrix("x")
    with pytest.raises(NullTypeGradError, match=r"QR.*mode='reduced'"):
        grad(gt.sum(qr(x, "complete")[0] ** 2), [x])
    with pytest.raises(NullTypeGradError, match=r"QR.*raw"):
        grad(gt.sum(qr(x, "raw")[1]), [x])
    t = gt.dtensor3("t")
    with pytest.raises(NullTypeGradError, match=r"QR.*2-d input only"):
        grad(gt.sum(qr(t)[1] ** 2), [t])


# ---------------------------------------------------------------------------
# pinv
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", ["float64", "float32", "int64", "int8", "bool"])
@pytest.mark.parametrize("shape", [(4, 3), (3, 4), (3, 3), (1, 1), (0, 3), (2, 4, 3)])
def test_pinv_matches_numpy(dtype, shape):
    a = _sample(shape, dtype)
    x = sym(a)
    out = pinv(x)
    out_dtype = OUT_DTYPE[dtype]
    expected = np.linalg.pinv(a.astype(out_dtype))
    got = ev(out, {x: a})
    assert out.type.dtype == got.dtype == out_dtype
    np.testing.assert_allclose(got, expected, rtol=_tol(dtype), atol=_tol(dtype))
    check_static(out, got)
    check_infer_shape(out, {x: a})


def test_pinv_rank_deficient_hermitian_and_static_shapes():
    a = np.outer([1.0, 2.0, 3.0], [1.0, 0.0, -1.0])
    x = sym(a)
    np.testing.assert_allclose(ev(pinv(x), {x: a}), np.linalg.pinv(a), atol=1e-12)
    s = _sym_lower(RNG.normal(size=(3, 3)))
    noisy = s + np.triu(RNG.normal(size=(3, 3)), 1)  # the upper triangle is never read
    y = sym(s)
    np.testing.assert_allclose(
        ev(pinv(y, hermitian=True), {y: noisy}), np.linalg.pinv(s, hermitian=True), atol=1e-10
    )
    assert pinv(gt.tensor("z", dtype="float64", shape=(2, 5, 3))).type.shape == (2, 3, 5)
    with pytest.raises(ValueError, match=r"Pinv: expected square matrices"):
        pinv(gt.tensor("z", dtype="float64", shape=(2, 3)), hermitian=True)
    with pytest.raises(ValueError, match=r"Pinv: expected a matrix .*1-d"):
        pinv(gt.dvector("v"))
    assert Pinv(True) != Pinv() and str(Pinv()) == "Pinv{hermitian=False}"


@pytest.mark.parametrize("shape", [(4, 3), (3, 4), (3, 3), (2, 3, 2)])
def test_pinv_gradients(shape):
    verify_grad(pinv, [RNG.normal(size=shape)], rng=RNG)


def test_pinv_hermitian_gradient_reads_lower_triangle():
    a = RNG.normal(size=(3, 3))
    verify_grad(lambda m: pinv(m, hermitian=True), [a], rng=RNG)
    x = gt.dmatrix("x")
    (g,) = grad(gt.sum(pinv(x, hermitian=True) * _weights(3, 3)), [x])
    np.testing.assert_array_equal(np.triu(ev(g, {x: a}), 1), np.zeros((3, 3)))


# ---------------------------------------------------------------------------
# norm
# ---------------------------------------------------------------------------

VECTOR_ORDS = [None, 1, 2, np.inf, -np.inf, 0, 3, -1, 0.5]
MATRIX_ORDS = [None, "fro", "nuc", 1, -1, 2, -2, np.inf, -np.inf]


@pytest.mark.parametrize("ord", VECTOR_ORDS)
@pytest.mark.parametrize("dtype", ["float64", "float32", "int64", "int8", "uint8", "bool"])
def test_vector_norms_match_numpy(ord, dtype):
    a = _sample((2, 3, 4), dtype)
    x = sym(a)
    for axis in (0, -1, 1):
        for keepdims in (False, True):
            out = norm(x, ord, axis, keepdims)
            with np.errstate(divide="ignore"):  # 0 ** -1 in the reference
                expected = np.linalg.norm(a, ord, axis, keepdims)
            got = ev(out, {x: a})
            assert out.type.dtype == got.dtype == expected.dtype
            np.testing.assert_allclose(got, expected, rtol=_tol(dtype))
            check_static(out, got)
    v = a.reshape(-1)[::3]
    y = sym(v)
    with np.errstate(divide="ignore"):
        expected = np.linalg.norm(v, ord)
    np.testing.assert_allclose(ev(norm(y, ord), {y: v}), expected, rtol=_tol(dtype))


@pytest.mark.parametrize("ord", MATRIX_ORDS)
@pytest.mark.parametrize("dtype", ["float64", "float32", "int8"])
def test_matrix_norms_match_numpy(ord, dtype):
    a = _sample((2, 3, 4), dtype)
    x = sym(a)
    for axis in ((0, 1), (2, 0), (-1, -2)):
        for keepdims in (False, True):
            out = norm(x, ord, axis, keepdims)
            expected = np.linalg.norm(a, ord, axis, keepdims)
            got = ev(out, {x: a})
            assert out.type.dtype == got.dtype == expected.dtype
            np.testing.assert_allclose(got, expected, rtol=_tol(dtype))
            check_static(out, got)
    m = a[1].T  # non-contiguous
    y = sym(m)
    np.testing.assert_allclose(ev(norm(y, ord), {y: m}), np.linalg.norm(m, ord), rtol=_tol(dtype))
    np.testing.assert_allclose(
        ev(norm(y, ord, keepdims=True), {y: m}), np.linalg.norm(m, ord, keepdims=True), rtol=1e-4
    )


@given(
    hnp.arrays(
        np.float64,
        hnp.array_shapes(min_dims=1, max_dims=3, max_side=4),
        elements=st.floats(-1e3, 1e3),
    ),
    st.sampled_from(VECTOR_ORDS),
    st.booleans(),
)
@HSET
def test_vector_norm_property(a, ord, keepdims):
    x = sym(a)
    axis = a.ndim - 1
    if a.shape[axis] == 0 and ord in (np.inf, -np.inf):
        return  # NumPy raises on the max of nothing; so does graft (checked below)
    with np.errstate(divide="ignore"):
        expected = np.linalg.norm(a, ord, axis, keepdims)
    np.testing.assert_allclose(ev(norm(x, ord, axis, keepdims), {x: a}), expected, rtol=1e-10)


def test_norm_special_values():
    x = gt.dvector("x")
    for v in (
        np.array([1e200, 1e200]),  # the 2-norm overflows in NumPy too
        np.array([np.inf, 1.0]),
        np.array([np.nan, 1.0]),
        np.zeros(3),
        np.zeros(0),
        np.array([-0.0, -5.0]),
    ):
        for ord in (None, 1, np.inf, 0, -1, 3):
            if v.size == 0 and ord in (np.inf,):
                continue
            with np.errstate(all="ignore"):
                expected = np.linalg.norm(v, ord)
            np.testing.assert_allclose(ev(norm(x, ord), {x: v}), expected)
    with pytest.raises(ValueError):
        ev(norm(x, np.inf), {x: np.zeros(0)})
    s = gt.dscalar("s")
    check_all(norm(s), {s: np.float64(-3.0)}, np.linalg.norm(np.float64(-3.0)))
    e = gt.dmatrix("e")
    np.testing.assert_array_equal(ev(norm(e, axis=1), {e: np.zeros((0, 3))}), np.zeros(0))
    np.testing.assert_array_equal(ev(norm(e, "fro"), {e: np.zeros((2, 0))}), 0.0)
    f16 = gt.tensor("h", dtype="float16", shape=(None,))
    out = norm(f16)
    hv = np.array([1, 2], dtype="float16")
    assert out.type.dtype == np.linalg.norm(hv).dtype
    np.testing.assert_allclose(ev(out, {f16: hv}), np.linalg.norm(hv), rtol=1e-3)


def test_norm_flattening_and_static_shapes():
    t = RNG.normal(size=(2, 3, 4))
    x = gt.tensor("x", dtype="float64", shape=(2, 3, 4))
    check_all(norm(x), {x: t}, np.linalg.norm(t))
    check_all(norm(x, keepdims=True), {x: t}, np.linalg.norm(t, keepdims=True))
    assert norm(x, keepdims=True).type.shape == (1, 1, 1)
    assert norm(x, 1, axis=1, keepdims=True).type.shape == (2, 1, 4)
    assert norm(x, "nuc", axis=(2, 0)).type.shape == (3,)
    m = gt.dmatrix("m")
    a = RNG.normal(size=(3, 2))
    for ord in ("fro", "f"):
        check_all(norm(m, ord), {m: a}, np.linalg.norm(a, ord))


def test_norm_errors():
    x3, m, v = gt.dtensor3("t"), gt.dmatrix("m"), gt.dvector("v")
    with pytest.raises(ValueError, match=r"norm: expected a vector or a matrix.*3-d"):
        norm(x3, ord=1)
    with pytest.raises(ValueError, match=r"norm: expected a vector or a matrix.*0-d"):
        norm(gt.dscalar("s"), ord=1)
    with pytest.raises(ValueError, match="invalid norm order 'fro' for vectors"):
        norm(v, "fro")
    with pytest.raises(ValueError, match="invalid norm order 3 for matrices"):
        norm(m, 3)
    with pytest.raises(ValueError, match="invalid norm order 'abc' for matrices"):
        norm(m, "abc")
    with pytest.raises(ValueError, match="duplicate axes"):
        norm(m, axis=(1, -1))
    with pytest.raises(ValueError, match="axis 2 is out of range"):
        norm(m, axis=2)
    with pytest.raises(TypeError, match="axis must be"):
        norm(m, axis=1.0)
    with pytest.raises(TypeError, match="norm: complex input"):
        norm(gt.zvector("z"))
    with pytest.raises(ValueError, match="expected a vector or a matrix"):
        norm(x3, axis=(0, 1, 2))


@pytest.mark.parametrize("ord", [None, 1, 2, np.inf, -np.inf, 3, -1, 0.5])
def test_vector_norm_gradients(ord):
    # Distinct magnitudes away from zero: max/min and |x| are differentiable there.
    a = np.array([[0.7, -1.9, 1.3], [2.6, -0.4, 1.1]])
    verify_grad(lambda m: norm(m, ord, axis=1), [a], rng=RNG)
    verify_grad(lambda m: norm(m, ord, axis=0, keepdims=True), [a], rng=RNG)


@pytest.mark.parametrize("ord", MATRIX_ORDS)
def test_matrix_norm_gradients(ord):
    a = np.array([[0.7, -1.9, 1.3], [2.6, -0.4, 1.1], [0.2, 0.9, -3.1]])
    verify_grad(lambda m: norm(m, ord), [a], rng=RNG)
    verify_grad(lambda m: norm(m, ord, axis=(2, 0)), [np.stack([a, a.T * 1.5])], rng=RNG)


def test_norm_integer_input_gradient_is_zero():
    x, y = gt.lvector("x"), gt.dscalar("y")
    gx, gy = grad(norm(x, 1) * y, [x, y])
    vals = evaluate([gx, gy], {x: np.array([3, -4]), y: np.float64(2.0)})
    np.testing.assert_array_equal(vals[0], np.zeros(2))
    assert vals[1] == 7.0


# ---------------------------------------------------------------------------
# kron
# ---------------------------------------------------------------------------

KRON_SHAPES = [
    ((2, 3), (4, 5)),
    ((3,), (2, 2)),
    ((2, 1, 3), (2,)),
    ((), (3,)),
    ((), ()),
    ((0, 2), (3, 1)),
    ((1, 1), (1,)),
]


@pytest.mark.parametrize(("sa", "sb"), KRON_SHAPES)
@pytest.mark.parametrize(
    ("da", "db"),
    [
        ("float64", "float64"),
        ("float32", "float32"),
        ("float32", "int64"),
        ("int8", "uint8"),
        ("bool", "bool"),
        ("int64", "bool"),
    ],
)
def test_kron_matches_numpy(sa, sb, da, db):
    a, b = _sample(sa, da), _sample(sb, db)
    expected = np.kron(a, b)
    for static in (False, True):
        xa, xb = sym(a, static=static, name="a"), sym(b, static=static, name="b")
        out = kron(xa, xb)
        if out.owner is not None and out.type.ndim:
            check_all(out, {xa: a, xb: b}, expected)
        else:
            got = ev(out, {xa: a, xb: b})
            assert got.dtype == expected.dtype
            np.testing.assert_array_equal(got, expected)
        if static:
            assert out.type.shape == expected.shape


def test_kron_special_values_and_non_contiguous():
    a = np.array([[np.inf, 0.0], [np.nan, -1.0]]).T
    b = np.arange(6.0).reshape(2, 3)[:, ::2]
    xa, xb = sym(a), sym(b)
    with np.errstate(invalid="ignore"):
        expected = np.kron(a, b)
    check_all(kron(xa, xb), {xa: a, xb: b}, expected)


@pytest.mark.parametrize(("sa", "sb"), [((2, 3), (2, 2)), ((3,), (2, 2)), ((2, 1, 2), (3,))])
def test_kron_gradients(sa, sb):
    verify_grad(kron, [RNG.normal(size=sa), RNG.normal(size=sb)], rng=RNG)


# ---------------------------------------------------------------------------
# Re-exports and compiled functions
# ---------------------------------------------------------------------------


def test_reexported_from_linalg():
    for name in nlinalg.__all__:
        assert getattr(gt.linalg, name) is getattr(nlinalg, name)
        assert name in gt.linalg.__all__
    assert gt.nlinalg is nlinalg


def test_compiled_fast_run_keeps_values():
    x = gt.dmatrix("x")
    a = RNG.normal(size=(4, 3))
    sq = a.T @ a
    w, v = eigh(gt.dot(x.T, x))
    u, s, vh = svd(x, full_matrices=False)
    q, r = qr(x)
    outs = [
        w,
        (v * w) @ v.T,
        (u * s) @ vh,
        q @ r,
        pinv(x),
        norm(x, "nuc"),
        norm(x, 1, axis=0),
        kron(x, gt.eye(2)),
        grad(gt.sum(svd(x, compute_uv=False)), [x])[0],
        grad(norm(x, "fro") + gt.sum(eigvalsh(gt.dot(x.T, x))), [x])[0],
    ]
    got = function([x], outs, mode="FAST_RUN")(a)
    ref_u, ref_s, ref_vh = np.linalg.svd(a, full_matrices=False)
    expected = [
        np.linalg.eigvalsh(sq),
        sq,
        a,
        a,
        np.linalg.pinv(a),
        ref_s.sum(),
        np.abs(a).sum(0),
        np.kron(a, np.eye(2)),
        ref_u @ ref_vh,
        a / np.linalg.norm(a) + 2 * a,
    ]
    for g, e in zip(got, expected):
        np.testing.assert_allclose(g, e, rtol=1e-10, atol=1e-10)
