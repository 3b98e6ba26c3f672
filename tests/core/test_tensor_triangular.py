"""graft.tensor.triangular vs NumPy: diag, diagonal, trace, tri, tril/triu and triangle indices."""

import numpy as np
import pytest
from helpers import HSET, check_all, check_grad, check_infer_shape, check_static, ev, evaluate, sym
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import graft.tensor as gt
from graft.compile import function
from graft.gradient import grad
from graft.tensor.triangular import (
    AllocDiag,
    ExtractDiag,
    TriIndices,
    diag,
    diagonal,
    trace,
    tri,
    tril,
    tril_indices,
    tril_indices_from,
    triu,
    triu_indices,
    triu_indices_from,
)
from graft.testing import verify_grad

RNG = np.random.default_rng(20240611)
DTYPES = ["float64", "float32", "int64", "int8", "uint8", "bool"]


def _sample(shape, dtype, rng=RNG):
    if dtype == "bool":
        return rng.random(shape) < 0.5
    if np.dtype(dtype).kind in "iu":
        info = np.iinfo(dtype)
        return rng.integers(max(info.min, -50), min(info.max, 50), size=shape).astype(dtype)
    return rng.normal(size=shape).astype(dtype)


def _lscalar(name):
    return gt.lscalar(name)


# ---------------------------------------------------------------------------
# diag / diagonal / trace
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("k", [-3, -1, 0, 2])
@pytest.mark.parametrize("n", [0, 1, 4])
def test_diag_of_vector(dtype, k, n):
    v = _sample((n,), dtype)
    for static in (False, True):
        x = sym(v, static=static)
        out = diag(x, k)
        assert isinstance(out.owner.op, AllocDiag)
        check_all(out, {x: v}, np.diag(v, k))
        if static:
            assert out.type.shape == (n + abs(k), n + abs(k))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("k", [-4, -1, 0, 1, 3, 7])
@pytest.mark.parametrize("shape", [(3, 5), (5, 3), (1, 1), (0, 3), (4, 4)])
def test_diag_of_matrix(dtype, k, shape):
    a = _sample(shape, dtype)
    for static in (False, True):
        x = sym(a, static=static)
        out = diag(x, k)
        check_all(out, {x: a}, np.diag(a, k))
        if static:
            assert out.type.shape == np.diag(a, k).shape


def test_diag_keeps_special_values_and_non_contiguous_input():
    v = np.array([np.inf, -np.inf, np.nan, 1e308, -0.0, 0.0])[::2]
    x = sym(v)
    got = check_all(diag(x, 1), {x: v}, np.diag(v, 1))
    # Off the diagonal a true zero, not 0 * inf.
    assert np.count_nonzero(np.isnan(got)) == 1
    a = np.arange(30.0).reshape(5, 6).T  # non-contiguous
    y = sym(a)
    check_all(diag(y, -2), {y: a}, np.diag(a, -2))
    check_all(diagonal(y, 1, 1, 0), {y: a}, np.diagonal(a, 1, 1, 0))


@pytest.mark.parametrize(
    ("shape", "offset", "axis1", "axis2"),
    [
        ((2, 3, 4), 0, 0, 1),
        ((2, 3, 4), 1, 1, 2),
        ((2, 3, 4), -1, 2, 0),
        ((2, 3, 4), 2, -1, -3),
        ((2, 3, 4, 5), -2, 3, 1),
        ((2, 0, 4), 0, 1, 2),
        ((3, 3), 5, 0, 1),
    ],
)
@pytest.mark.parametrize("dtype", ["float64", "int8", "bool"])
def test_diagonal_any_rank(shape, offset, axis1, axis2, dtype):
    a = _sample(shape, dtype)
    for static in (False, True):
        x = sym(a, static=static)
        out = diagonal(x, offset, axis1, axis2)
        expected = np.diagonal(a, offset, axis1, axis2)
        check_all(out, {x: a}, expected)
        if static:
            assert out.type.shape == expected.shape
        assert out.type.dtype == dtype


@given(
    hnp.arrays(np.float64, hnp.array_shapes(min_dims=2, max_dims=4, max_side=4)),
    st.integers(-5, 5),
    st.data(),
)
@HSET
def test_diagonal_property(a, offset, data):
    nd = a.ndim
    axis1 = data.draw(st.integers(-nd, nd - 1))
    axis2 = data.draw(st.integers(-nd, nd - 1).filter(lambda ax: ax % nd != axis1 % nd))
    x = sym(a)
    check_all(diagonal(x, offset, axis1, axis2), {x: a}, np.diagonal(a, offset, axis1, axis2))


@pytest.mark.parametrize(
    ("dtype", "expected_dtype"),
    [
        ("float64", "float64"),
        ("float32", "float32"),
        ("int8", "int64"),
        ("uint8", "uint64"),
        ("bool", "int64"),
        ("int64", "int64"),
    ],
)
def test_trace_dtypes_follow_numpy(dtype, expected_dtype):
    a = _sample((3, 4, 5), dtype)
    x = sym(a)
    for offset, axis1, axis2 in [(0, 0, 1), (1, 1, 2), (-2, 2, 0)]:
        out = trace(x, offset, axis1, axis2)
        expected = np.trace(a, offset, axis1, axis2)
        assert expected.dtype == expected_dtype
        check_all(out, {x: a}, expected)
    check_all(trace(x, dtype="float32"), {x: a}, np.trace(a, dtype="float32"))


def test_trace_of_matrix_special_values():
    a = np.array([[np.inf, np.nan], [1.0, -np.inf]])
    x = sym(a)
    check_all(trace(x, 1), {x: a}, np.trace(a, 1))
    assert np.isnan(ev(trace(x), {x: a}))
    e = np.zeros((0, 0))
    y = sym(e)
    check_all(trace(y), {y: e}, np.trace(e))


def test_diag_errors():
    with pytest.raises(ValueError, match=r"diag: expected a 1-d or 2-d input, got 3-d"):
        diag(gt.dtensor3("t"))
    with pytest.raises(ValueError, match="diag: expected a 1-d or 2-d input, got 0-d"):
        diag(gt.dscalar("s"))
    with pytest.raises(TypeError, match="diag: k must be a Python int"):
        diag(gt.dvector("v"), gt.lscalar("k"))
    with pytest.raises(TypeError, match="diag: k must be a Python int"):
        diag(gt.dvector("v"), 1.0)
    with pytest.raises(ValueError, match=r"ExtractDiag.*at least 2 dimensions.*1-d"):
        diagonal(gt.dvector("v"))
    with pytest.raises(ValueError, match=r"ExtractDiag.*axis1 and axis2 are the same axis \(1\)"):
        diagonal(gt.dtensor3("t"), 0, 1, -2)
    with pytest.raises(ValueError, match=r"ExtractDiag.*axis 3 is out of range for 3-d"):
        diagonal(gt.dtensor3("t"), 0, 0, 3)
    with pytest.raises(TypeError, match="ExtractDiag: offset must be a Python int"):
        diagonal(gt.dmatrix("m"), 0.5)
    with pytest.raises(ValueError, match=r"AllocDiag.*at least 1 dimension"):
        AllocDiag(0)(gt.dscalar("s"))


def test_alloc_diag_stacks_and_props():
    v = RNG.normal(size=(2, 3))
    x = sym(v)
    out = AllocDiag(-1)(x)
    expected = np.stack([np.diag(r, -1) for r in v])
    check_all(out, {x: v}, expected)
    assert AllocDiag(1) == AllocDiag(1) and AllocDiag(1) != AllocDiag(-1)
    assert ExtractDiag(1, 0, 2) == ExtractDiag(1, 0, 2)
    assert hash(ExtractDiag(0)) == hash(ExtractDiag(0, 0, 1))
    assert str(ExtractDiag(1, 0, 2)) == "ExtractDiag{offset=1,axis1=0,axis2=2}"
    assert str(AllocDiag(-1)) == "AllocDiag{offset=-1}"


def test_diag_gradients():
    check_grad(lambda v: diag(v, 1), [RNG.normal(size=3)], rng=RNG)
    check_grad(lambda v: diag(v, -2), [RNG.normal(size=3)], rng=RNG)
    check_grad(lambda m: diag(m, 1), [RNG.normal(size=(3, 4))], rng=RNG)
    check_grad(lambda m: diagonal(m, -1, 2, 0), [RNG.normal(size=(3, 2, 4))], rng=RNG)
    check_grad(lambda m: trace(m, 1, 1, 2), [RNG.normal(size=(2, 3, 4))], rng=RNG)
    check_grad(lambda v: AllocDiag(2)(v), [RNG.normal(size=(2, 3))], rng=RNG)
    verify_grad(lambda m: trace(m) * diag(m), [RNG.normal(size=(3, 3))], rng=RNG)


def test_diag_second_derivative():
    # grad of diag(v) is ExtractDiag, whose grad is built from set_subtensor.
    def first(v):
        w = gt.constant(RNG.normal(size=(4, 4)))
        (g,) = grad(gt.sum(diag(v, 1) * w * diag(v, 1)), [v])
        return g

    check_grad(first, [RNG.normal(size=3)], rng=RNG)


def test_diagonal_discrete_input_gets_zero_gradient():
    x = gt.lmatrix("x")
    y = gt.dscalar("y")
    cost = gt.sum(diag(x)) * y + gt.sum(diag(gt.lvector("v")))
    gx, gy = grad(cost, [x, y])
    vals = evaluate([gx, gy], {x: np.eye(2, dtype="int64"), y: np.float64(3.0)})
    assert gx.type.dtype == "float64"
    np.testing.assert_array_equal(vals[0], np.zeros((2, 2)))
    assert vals[1] == 2.0


# ---------------------------------------------------------------------------
# tri / tril / triu
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", ["float64", "float32", "int8", "bool"])
@pytest.mark.parametrize(
    ("n", "m", "k"), [(3, None, 0), (3, 5, 1), (4, 2, -1), (0, 3, 0), (2, 2, 9)]
)
def test_tri_matches_numpy(dtype, n, m, k):
    out = tri(n, m, k, dtype=dtype)
    expected = np.tri(n, m, k, dtype=dtype)
    assert out.type.shape == expected.shape
    check_all(out, {}, expected)
    ns, ms, ks = _lscalar("n"), _lscalar("m"), _lscalar("k")
    out = tri(ns, ms, ks, dtype=dtype)
    assert out.type.shape == (None, None)
    givens = {ns: np.int64(n), ms: np.int64(n if m is None else m), ks: np.int64(k)}
    got = ev(out, givens)
    assert got.dtype == expected.dtype
    np.testing.assert_array_equal(got, expected)


def test_tri_default_dtype_and_negative_size():
    assert tri(2).type.dtype == "float64"
    check_all(tri(-1), {}, np.tri(-1))
    with pytest.raises(TypeError, match="tri: N must be an integer scalar"):
        tri(2.5)
    with pytest.raises(TypeError, match="tri: k must be an integer scalar"):
        tri(2, 2, gt.dscalar("k"))
    with pytest.raises(TypeError, match="tri: M must be an integer scalar"):
        tri(2, gt.lvector("m"))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(4, 5), (2, 3, 4), (1, 1), (0, 3), (3, 0, 2)])
@pytest.mark.parametrize("k", [-2, 0, 1, 6])
def test_tril_triu_match_numpy(dtype, shape, k):
    a = _sample(shape, dtype)
    x = sym(a)
    check_all(tril(x, k), {x: a}, np.tril(a, k))
    check_all(triu(x, k), {x: a}, np.triu(a, k))
    ks = _lscalar("k")
    lo, up = tril(x, ks), triu(x, ks)
    vals = evaluate([lo, up], {x: a, ks: np.int64(k)})
    np.testing.assert_array_equal(vals[0], np.tril(a, k))
    np.testing.assert_array_equal(vals[1], np.triu(a, k))
    assert lo.type.dtype == up.type.dtype == dtype
    check_static(lo, vals[0])


def test_tril_triu_of_vector_broadcast_like_numpy():
    v = np.array([1.0, np.nan, np.inf])
    x = sym(v)
    for k in (-1, 0, 2):
        for f, ref in ((tril, np.tril), (triu, np.triu)):
            check_all(f(x, k), {x: v}, ref(v, k))


def test_tril_triu_special_values_and_non_contiguous():
    a = np.array([[np.nan, np.inf], [-np.inf, 1e308], [0.0, -0.0]]).T  # (2, 3), F-order
    x = sym(a)
    ks = _lscalar("k")
    for k in (-1, 0, 1):
        check_all(tril(x, k), {x: a}, np.tril(a, k))
        got = ev(triu(x, ks), {x: a, ks: np.int64(k)})
        np.testing.assert_array_equal(got, np.triu(a, k))


def test_tril_errors():
    with pytest.raises(ValueError, match="tril: expected an input of at least 1 dimension"):
        tril(gt.dscalar("s"))
    with pytest.raises(ValueError, match="triu: expected an input of at least 1 dimension"):
        triu(gt.dscalar("s"), gt.lscalar("k"))
    with pytest.raises(TypeError, match="triu: k must be an integer scalar"):
        triu(gt.dmatrix("m"), gt.dscalar("k"))


def test_tril_triu_gradients():
    a = RNG.normal(size=(2, 3, 4))
    ks = gt.constant(np.int64(1))
    check_grad(lambda m: tril(m, ks) + triu(m, 2), [a], rng=RNG)
    check_grad(lambda m: triu(m, ks - 2) * tril(m), [a], rng=RNG)
    check_grad(lambda v: tril(v, -1), [RNG.normal(size=3)], rng=RNG)


def test_tril_symbolic_k_infer_shape():
    a = RNG.normal(size=(3, 4))
    x, ks = sym(a), _lscalar("k")
    check_infer_shape(triu(x, ks), {x: a, ks: np.int64(1)})
    check_infer_shape(tril(x, 1), {x: a})


# ---------------------------------------------------------------------------
# Triangle indices
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("n", "k", "m"),
    [(4, 0, None), (3, 1, 5), (5, -2, 3), (3, 10, None), (3, -10, 4), (0, 0, None), (2, 0, 0)],
)
def test_tri_indices_match_numpy(n, k, m):
    for f, ref in ((tril_indices, np.tril_indices), (triu_indices, np.triu_indices)):
        rows, cols = f(n, k, m)
        exp_r, exp_c = ref(n, k, m)
        assert rows.type.shape == cols.type.shape == exp_r.shape
        assert rows.type.dtype == cols.type.dtype == "int64"
        check_all(rows, {}, exp_r.astype("int64"))
        check_all(cols, {}, exp_c.astype("int64"))
        # The same from symbolic sizes: unknown static length, infer_shape still right.
        ns, ks, ms = _lscalar("n"), _lscalar("k"), _lscalar("m")
        r2, c2 = f(ns, ks, ms)
        assert r2.type.shape == (None,)
        givens = {ns: np.int64(n), ks: np.int64(k), ms: np.int64(n if m is None else m)}
        got_r, got_c = evaluate([r2, c2], givens)
        np.testing.assert_array_equal(got_r, exp_r)
        np.testing.assert_array_equal(got_c, exp_c)
        check_infer_shape(r2, givens)


@given(st.integers(0, 6), st.integers(-7, 7), st.integers(0, 6))
@HSET
def test_tri_indices_property(n, k, m):
    ns, ks, ms = _lscalar("n"), _lscalar("k"), _lscalar("m")
    for f, ref in ((tril_indices, np.tril_indices), (triu_indices, np.triu_indices)):
        r, c = f(ns, ks, ms)
        got = evaluate([r, c], {ns: np.int64(n), ks: np.int64(k), ms: np.int64(m)})
        exp = ref(n, k, m)
        np.testing.assert_array_equal(got[0], exp[0])
        np.testing.assert_array_equal(got[1], exp[1])
        assert f(n, k, m)[0].type.shape == exp[0].shape


def test_tri_indices_from_and_indexing_gradient():
    a = RNG.normal(size=(3, 4))
    for static in (False, True):
        x = sym(a, static=static)
        for f, ref in (
            (tril_indices_from, np.tril_indices_from),
            (triu_indices_from, np.triu_indices_from),
        ):
            for k in (-1, 0, 2):
                r, c = f(x, k)
                exp = ref(a, k)
                got = evaluate([r, c, x[r, c]], {x: a})
                np.testing.assert_array_equal(got[0], exp[0])
                np.testing.assert_array_equal(got[1], exp[1])
                np.testing.assert_array_equal(got[2], a[exp])
                if static:
                    assert r.type.shape == exp[0].shape
    check_grad(lambda m: m[triu_indices_from(m, 1)], [a], rng=RNG)
    with pytest.raises(ValueError, match="tril_indices_from: expected a 2-d input, got 3-d"):
        tril_indices_from(gt.dtensor3("t"))
    with pytest.raises(TypeError, match="TrilIndices: n must be an integer scalar"):
        tril_indices(gt.dscalar("n"))
    with pytest.raises(TypeError, match="TriuIndices: k must be an integer scalar"):
        triu_indices(3, True)


def test_tri_indices_op_props_and_no_gradient():
    assert TriIndices(True) == TriIndices(True) != TriIndices(False)
    n = _lscalar("n")
    r, c = tril_indices(n)
    # Indices are integer-valued: the sizes get no gradient path.
    from graft.gradient import DisconnectedInputError

    with pytest.raises(DisconnectedInputError):
        grad(gt.sum(r + c), [n])


# ---------------------------------------------------------------------------
# Compiled through FAST_RUN and the star export
# ---------------------------------------------------------------------------


def test_compiled_fast_run_keeps_values():
    x, k = gt.dmatrix("x"), _lscalar("k")
    a = RNG.normal(size=(4, 5))
    outs = [
        diag(x, 1),
        diag(diag(x)),
        trace(x),
        tril(x, k),
        triu(x, -1) * 2,
        x[tril_indices_from(x, k)],
        tri(4, 5, k) * x,
        grad(gt.sum(trace(x) * diag(x)), [x])[0],
    ]
    f = function([x, k], outs, mode="FAST_RUN")
    got = f(a, np.int64(1))
    lo = np.tril_indices_from(a, 1)
    expected = [
        np.diag(a, 1),
        np.diag(np.diag(a)),
        np.trace(a),
        np.tril(a, 1),
        np.triu(a, -1) * 2,
        a[lo],
        np.tri(4, 5, 1) * a,
        np.eye(4, 5) * (np.diag(a).sum() + np.trace(a)),
    ]
    for g, e in zip(got, expected):
        np.testing.assert_allclose(g, e, rtol=1e-12)


def test_exported_from_graft_tensor():
    for name in (
        "diag",
        "diagonal",
        "trace",
        "tri",
        "tril",
        "triu",
        "tril_indices",
        "triu_indices",
    ):
        assert getattr(gt, name) is globals()[name]
