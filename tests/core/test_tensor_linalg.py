"""graft.tensor.linalg vs NumPy/SciPy: values, dtypes, static shapes, errors, gradients."""

import numpy as np
import pytest
import scipy.linalg as sla
from test_tensor_math import assert_same, check_grad, check_infer_shape, ev, evaluate, var_like

import graft.tensor as gt
from graft.gradient import grad
from graft.tensor.linalg import (
    Cholesky,
    Det,
    MatrixInverse,
    SlogDet,
    Solve,
    SolveTriangular,
    Tri,
    cholesky,
    det,
    inv,
    slogdet,
    solve,
    solve_triangular,
    tril,
    triu,
)

RNG = np.random.default_rng(20240601)


def _general(n, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, n)) + n * np.eye(n)


def _spd(n, seed=0):
    a = np.random.default_rng(seed).normal(size=(n, n))
    return a @ a.T + n * np.eye(n)


def _garbage_triangle(a, lower_kept, seed=1):
    """``a`` with the triangle that should never be read overwritten by noise."""
    noise = np.random.default_rng(seed).normal(size=a.shape) * 100
    out = a.copy()
    mask = (
        np.triu(np.ones(a.shape, bool), 1) if lower_kept else np.tril(np.ones(a.shape, bool), -1)
    )
    out[mask] = noise[mask]
    return out


def _tol(dtype):
    return 2e-4 if dtype == "float32" else 1e-10


# ---------------------------------------------------------------------------
# Values and dtypes
# ---------------------------------------------------------------------------

DTYPES = ["float64", "float32", "int64"]
NP_DTYPE = {"float64": "float64", "float32": "float32", "int64": "float64"}


@pytest.mark.parametrize("dtype", DTYPES)
def test_inv_det_slogdet_match_numpy(dtype):
    a = np.array([[4, 1, 2], [0, 3, -1], [2, -2, 5]], dtype=dtype)
    x = var_like(a)
    ai, d, (s, ld) = inv(x), det(x), slogdet(x)
    vals = evaluate([ai, d, s, ld], {x: a})
    ref = np.asarray(a, dtype=NP_DTYPE[dtype])
    assert [v.type.dtype for v in (ai, d, s, ld)] == [NP_DTYPE[dtype]] * 4
    assert_same(vals[0], np.linalg.inv(ref), rtol=_tol(dtype))
    assert_same(vals[1], np.asarray(np.linalg.det(ref)), rtol=_tol(dtype))
    sign, logabsdet = np.linalg.slogdet(ref)
    assert_same(vals[2], np.asarray(sign))
    assert_same(vals[3], np.asarray(logabsdet), rtol=_tol(dtype))


def test_slogdet_negative_and_huge_determinants():
    a = np.diag([-1e200, 1e200, 1e200, 2.0])
    x = var_like(a)
    sign, ld = evaluate(list(slogdet(x)), {x: a})
    assert sign == -1.0
    assert ld == pytest.approx(600 * np.log(10) + np.log(2), rel=1e-14)
    assert np.isinf(ev(det(x), {x: a}))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("lower", [True, False])
def test_cholesky_matches_scipy_and_reads_one_triangle(dtype, lower):
    a = _spd(4).round(0).astype(dtype) if dtype == "int64" else _spd(4).astype(dtype)
    x = var_like(a)
    out = cholesky(x, lower=lower)
    expected = sla.cholesky(np.asarray(a, NP_DTYPE[dtype]), lower=lower)
    assert out.type.dtype == NP_DTYPE[dtype]
    assert_same(ev(out, {x: a}), expected, rtol=_tol(dtype))
    if dtype != "int64":
        noisy = _garbage_triangle(a, lower_kept=lower)
        assert_same(ev(out, {x: noisy}), expected, rtol=_tol(dtype))
    f = ev(out, {x: a})
    recon = f @ f.T if lower else f.T @ f
    np.testing.assert_allclose(recon, a, rtol=1e-5 if dtype == "float32" else 1e-12)


def test_cholesky_errors_on_non_positive_definite():
    a = np.array([[1.0, 2.0], [2.0, 1.0]])
    x = var_like(a)
    with pytest.raises(np.linalg.LinAlgError):
        ev(cholesky(x), {x: a})
    assert np.isnan(ev(cholesky(x, on_error="nan"), {x: a})).all()
    with pytest.raises(ValueError, match="on_error"):
        Cholesky(on_error="ignore")


@pytest.mark.parametrize("assume_a", ["gen", "sym", "pos"])
@pytest.mark.parametrize("lower", [True, False])
@pytest.mark.parametrize("bshape", [(4,), (4, 3)])
@pytest.mark.parametrize(
    ("da", "db"),
    [("float64", "float64"), ("float32", "float32"), ("float32", "float64"), ("int64", "float32")],
)
def test_solve_matches_scipy(assume_a, lower, bshape, da, db):
    a = _spd(4, seed=2)
    a = a.round(0) if da == "int64" else a
    a, b = a.astype(da), RNG.normal(size=bshape).astype(db)
    if assume_a != "gen" and da != "int64":
        a = _garbage_triangle(a, lower_kept=lower)
    x, y = var_like(a, "a"), var_like(b, "b")
    out = solve(x, y, assume_a=assume_a, lower=lower)
    dtype = "float32" if da == db == "float32" else "float64"
    assert out.type.dtype == dtype
    expected = sla.solve(a.astype(dtype), b.astype(dtype), assume_a=assume_a, lower=lower)
    assert_same(evaluate([out], {x: a, y: b})[0], expected, rtol=_tol(dtype))


@pytest.mark.parametrize("lower", [True, False])
@pytest.mark.parametrize("trans", [0, 1, "N", "T", "C"])
@pytest.mark.parametrize("unit_diagonal", [False, True])
@pytest.mark.parametrize("bshape", [(4,), (4, 2)])
def test_solve_triangular_matches_scipy(lower, trans, unit_diagonal, bshape):
    a = _garbage_triangle(_general(4, seed=3), lower_kept=lower)
    if unit_diagonal:
        a[np.diag_indices(4)] = 1e6  # never read
    b = RNG.normal(size=bshape)
    x, y = var_like(a, "a"), var_like(b, "b")
    out = solve_triangular(x, y, lower=lower, trans=trans, unit_diagonal=unit_diagonal)
    expected = sla.solve_triangular(a, b, lower=lower, trans=trans, unit_diagonal=unit_diagonal)
    assert_same(evaluate([out], {x: a, y: b})[0], expected)


def test_float32_solves_stay_float32():
    a, b = _spd(3).astype("float32"), np.ones(3, "float32")
    x, y = var_like(a, "a"), var_like(b, "b")
    for out in (solve(x, y), solve_triangular(x, y, lower=True), cholesky(x), inv(x), det(x)):
        assert out.type.dtype == "float32"
        assert evaluate([out], {x: a, y: b})[0].dtype == np.float32


def test_empty_matrices():
    a, b = np.zeros((0, 0)), np.zeros((0, 2))
    x, y = var_like(a, "a"), var_like(b, "b")
    assert_same(ev(det(x), {x: a}), np.asarray(np.linalg.det(a)))
    assert_same(ev(inv(x), {x: a}), np.zeros((0, 0)))
    assert_same(ev(cholesky(x), {x: a}), np.zeros((0, 0)))
    assert_same(evaluate([solve(x, y)], {x: a, y: b})[0], np.zeros((0, 2)))
    assert_same(evaluate([solve_triangular(x, y)], {x: a, y: b})[0], np.zeros((0, 2)))
    assert_same(evaluate(list(slogdet(x)), {x: a})[1], np.asarray(0.0))


def test_singular_matrix_raises():
    a = np.array([[1.0, 2.0], [2.0, 4.0]])
    x = var_like(a)
    with pytest.raises(np.linalg.LinAlgError):
        ev(inv(x), {x: a})
    assert ev(det(x), {x: a}) == pytest.approx(0.0)
    assert evaluate(list(slogdet(x)), {x: a})[1] == -np.inf


def test_tril_triu():
    a = np.arange(20.0).reshape(4, 5)
    t = np.arange(24.0).reshape(2, 3, 4)
    x, xt = var_like(a), var_like(t)
    for k in (-1, 0, 2):
        assert_same(ev(tril(x, k), {x: a}), np.tril(a, k))
        assert_same(ev(triu(x, k), {x: a}), np.triu(a, k))
        assert_same(ev(tril(xt, k), {xt: t}), np.tril(t, k))
    assert Tri(True, 0) == tril(x).owner.op
    with pytest.raises(TypeError, match="2 dimensions"):
        tril(gt.dvector("v"))
    check_grad(lambda m: tril(m, -1) * 2 + triu(m, 1), [a])


# ---------------------------------------------------------------------------
# Static shapes and build-time errors
# ---------------------------------------------------------------------------


def test_static_shapes():
    a = gt.tensor("a", dtype="float64", shape=(None, 3))
    b = gt.tensor("b", dtype="float64", shape=(None, 2))
    v = gt.tensor("v", dtype="float64", shape=(3,))
    assert cholesky(a).type.shape == (3, 3)
    assert inv(a).type.shape == (3, 3)
    assert det(a).type.shape == ()
    assert [o.type.shape for o in slogdet(a)] == [(), ()]
    assert solve(a, b).type.shape == (3, 2)
    assert solve(gt.dmatrix("m"), v).type.shape == (3,)
    assert solve_triangular(gt.dmatrix("m"), b).type.shape == (None, 2)


@pytest.mark.parametrize("fn", [cholesky, inv, det, lambda a: slogdet(a)[0]])
def test_square_and_rank_errors(fn):
    with pytest.raises(ValueError, match=r"square.*\(2, 3\)"):
        fn(gt.tensor("a", dtype="float64", shape=(2, 3)))
    with pytest.raises(TypeError, match="2-d"):
        fn(gt.dvector("v"))
    with pytest.raises(TypeError, match="2-d"):
        fn(gt.dtensor3("t"))
    with pytest.raises(TypeError, match="complex"):
        fn(gt.zmatrix("z"))


@pytest.mark.parametrize("fn", [solve, solve_triangular])
def test_solve_build_errors(fn):
    a3 = gt.tensor("a", dtype="float64", shape=(3, 3))
    with pytest.raises(ValueError, match=r"\(4, 2\)"):
        fn(a3, gt.tensor("b", dtype="float64", shape=(4, 2)))
    with pytest.raises(TypeError, match="vector or a matrix"):
        fn(a3, gt.dtensor3("b"))
    with pytest.raises(ValueError, match="square"):
        fn(gt.tensor("a", dtype="float64", shape=(3, 2)), gt.dvector("b"))
    with pytest.raises(TypeError, match="2-d"):
        fn(gt.dvector("a"), gt.dvector("b"))


def test_solve_option_errors_and_runtime_mismatch():
    with pytest.raises(ValueError, match="assume_a"):
        solve(gt.dmatrix("a"), gt.dvector("b"), assume_a="banded")
    with pytest.raises(ValueError, match="trans"):
        solve_triangular(gt.dmatrix("a"), gt.dvector("b"), trans="X")
    x, y = gt.dmatrix("a"), gt.dvector("b")
    with pytest.raises(ValueError, match="shape"):
        evaluate([solve(x, y)], {x: np.eye(3), y: np.ones(4)})


def test_props_and_printing():
    assert SolveTriangular(trans="T") == SolveTriangular(trans=1)
    assert Solve("pos", True) != Solve("pos", False)
    assert str(Cholesky(lower=False)) == "Cholesky{lower=False}"
    assert MatrixInverse() == MatrixInverse() and Det() == Det() and SlogDet() == SlogDet()
    assert cholesky(gt.dmatrix()).owner.op == Cholesky()


def test_infer_shape():
    a, b, v = gt.dmatrix("a"), gt.dmatrix("b"), gt.dvector("v")
    outs = [
        cholesky(a),
        inv(a),
        det(a),
        *slogdet(a),
        solve(a, b),
        solve(a, v),
        solve_triangular(a, b, lower=True),
        tril(b),
    ]
    check_infer_shape(outs, {a: _spd(3), b: np.ones((3, 2)), v: np.ones(3)})


# ---------------------------------------------------------------------------
# Gradients
# ---------------------------------------------------------------------------


def test_inv_det_gradients():
    a = _general(3, seed=5)
    check_grad(inv, [a])
    check_grad(det, [a])
    check_grad(det, [-a])


@pytest.mark.parametrize("sign", [1.0, -1.0])
def test_slogdet_gradient(sign):
    a = _general(3, seed=6) * np.array([[sign], [1.0], [1.0]])
    check_grad(lambda m: slogdet(m)[1], [a])
    x = var_like(a)
    (g,) = grad(slogdet(x)[1], [x])
    np.testing.assert_allclose(ev(g, {x: a}), np.linalg.inv(a).T, rtol=1e-12)


def test_slogdet_sign_is_not_differentiable():
    from graft.gradient import DisconnectedInputError

    x = gt.dmatrix("x")
    sign, _ = slogdet(x)
    with pytest.raises(DisconnectedInputError):
        grad(sign, [x])
    (g,) = grad(sign, [x], disconnected_inputs="ignore")
    assert_same(ev(g, {x: np.eye(2)}), np.zeros((2, 2)))


@pytest.mark.parametrize("lower", [True, False])
def test_cholesky_gradient_exact_for_the_read_triangle(lower):
    # Every entry is perturbed on its own, so this checks that the unread
    # triangle gets zero and the read one collects both symmetric terms.
    check_grad(lambda m: cholesky(m, lower=lower), [_spd(4, seed=7)])


@pytest.mark.parametrize("lower", [True, False])
def test_cholesky_gradient_through_symmetric_construction(lower):
    def f(m):
        return cholesky(gt.dot(m, m.T) + gt.constant(np.eye(3)), lower=lower)

    check_grad(f, [_general(3, seed=8)])


@pytest.mark.parametrize("assume_a", ["gen", "sym", "pos"])
@pytest.mark.parametrize("lower", [True, False])
@pytest.mark.parametrize("bshape", [(3,), (3, 2)])
def test_solve_gradient(assume_a, lower, bshape):
    a = _spd(3, seed=9)
    check_grad(
        lambda m, r: solve(m, r, assume_a=assume_a, lower=lower), [a, RNG.normal(size=bshape)]
    )


@pytest.mark.parametrize("lower", [True, False])
@pytest.mark.parametrize("trans", [0, 1])
@pytest.mark.parametrize("unit_diagonal", [False, True])
@pytest.mark.parametrize("bshape", [(3,), (3, 2)])
def test_solve_triangular_gradient(lower, trans, unit_diagonal, bshape):
    a = _general(3, seed=10)
    f = lambda m, r: solve_triangular(m, r, lower=lower, trans=trans, unit_diagonal=unit_diagonal)  # noqa: E731
    check_grad(f, [a, RNG.normal(size=bshape)])


def test_second_derivatives():
    a = _spd(3, seed=11)

    def grad_of(fn):
        def first(m):
            (g,) = grad(gt.sum(fn(m) * gt.constant(np.arange(1.0, 10.0).reshape(3, 3))), [m])
            return g

        return first

    check_grad(grad_of(cholesky), [a], rtol=1e-4, atol=1e-6)
    check_grad(grad_of(inv), [a], rtol=1e-4, atol=1e-6)
    check_grad(lambda m: grad(slogdet(m)[1], [m])[0], [a], rtol=1e-4, atol=1e-6)


def test_discrete_inputs_get_zero_gradient():
    x = gt.lmatrix("x")
    b = gt.dvector("b")
    gx, gb = grad(gt.sum(solve(x, b)), [x, b])
    assert gx.type.dtype == "float64"
    vals = evaluate([gx, gb], {x: np.array([[2, 0], [0, 4]]), b: np.ones(2)})
    assert_same(vals[0], np.zeros((2, 2)))
    np.testing.assert_allclose(vals[1], [0.5, 0.25])


def test_verify_grad_and_compiled_function():
    from graft.compile import function
    from graft.testing import verify_grad

    a = _spd(3, seed=12)
    verify_grad(lambda m: cholesky(m), [a], rng=np.random.default_rng(0))
    verify_grad(
        lambda m, r: solve(m, r, assume_a="pos"), [a, np.ones(3)], rng=np.random.default_rng(1)
    )
    verify_grad(lambda m: slogdet(m)[1], [a], rng=np.random.default_rng(2))

    m, r = gt.dmatrix("m"), gt.dvector("r")
    chol = cholesky(m)
    z = solve_triangular(chol, r, lower=True)
    f = function([m, r], [z, det(m), gt.sum(grad(gt.sum(z**2), [m])[0])])
    zv, dv, gv = f(a, np.arange(3.0))
    np.testing.assert_allclose(
        zv, sla.solve_triangular(np.linalg.cholesky(a), np.arange(3.0), lower=True)
    )
    np.testing.assert_allclose(dv, np.linalg.det(a))
    # z.z = r^T a^-1 r, whose gradient w.r.t. a is -(a^-1 r)(a^-1 r)^T on the lower triangle
    # with the off-diagonal terms doubled.
    w = np.linalg.solve(a, np.arange(3.0))
    full = -np.outer(w, w)
    np.testing.assert_allclose(gv, np.tril(full).sum() + np.tril(full, -1).sum(), rtol=1e-10)
