"""Every scalar op against NumPy/SciPy: values, output dtypes, ufuncs, identity."""

import contextlib
import itertools
import math
import re
import warnings

import numpy as np
import pytest
import scipy.special as sps
from helpers import evaluate
from hypothesis import given, settings
from hypothesis import strategies as st

import graft.scalar as gs
from graft.scalar import Cast, ScalarOp, get_scalar_type, probe_output_dtypes


@contextlib.contextmanager
def quiet():
    """Suppress NumPy's floating-point warnings (edge values) for both sides."""
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        yield


DTYPES = ["float64", "float32", "int64", "int8", "bool"]
VALUES = {
    "float64": [0.0, -0.0, 0.5, -1.5, 2.0, 3.7, -7.25, 0.999, 1e-10, 1e300, -1e300]
    + [np.inf, -np.inf, np.nan],
    "float32": [0.0, 0.5, -1.5, 2.0, 3.7, -7.25, 0.999, 1e-10, 3e38, np.inf, -np.inf, np.nan],
    "float16": [0.0, 0.5, -1.5, 2.0, 60000.0, np.inf, np.nan],
    "int64": [0, 1, -1, 3, -7, 2**40, -(2**62)],
    "int8": [0, 1, -1, 3, -7, 127, -128],
    "uint8": [0, 1, 3, 255],
    "bool": [False, True],
}
BINARY_VALUES = {
    "float64": [0.0, 0.5, -1.5, 2.0, -7.25, 1e300, np.inf, np.nan],
    "float32": [0.0, 0.5, -1.5, 2.0, -7.25, np.inf, np.nan],
    "int64": [0, 1, -1, 3, -7, 2**40],
    "int8": [0, 1, -1, 3, -7, 127, -128],
    "uint8": [0, 1, 3, 255],
    "bool": [False, True],
}
RTOL = {"float64": 1e-12, "float32": 1e-5, "float16": 2e-3, "complex128": 1e-12}


# Independent references for ops that are not a single NumPy/SciPy ufunc.
def _f64(x):
    return np.float64(x)


def _dtype_of(fn, *dtypes):
    return np.asarray(fn(*[np.zeros(0, d) for d in dtypes])).dtype


def ref_identity(x):
    return x


def ref_reciprocal(x):
    return np.true_divide(1, x)


def ref_second(a, b):
    return b


def ref_sigmoid(x):
    dt = _dtype_of(sps.expit, x.dtype)
    return dt.type(1.0 / (1.0 + np.exp(-_f64(x))))


def ref_softplus(x):
    dt = _dtype_of(np.exp, x.dtype)
    v = _f64(x)
    return dt.type(np.maximum(v, 0.0) + np.log1p(np.exp(-np.abs(v))))


def ref_log1mexp(x):
    dt = _dtype_of(np.exp, x.dtype)
    return dt.type(np.log(-np.expm1(_f64(x))))


def ref_tri_gamma(x):
    dt = _dtype_of(lambda a: sps.zeta(2.0, a), x.dtype)
    return dt.type(sps.polygamma(1, _f64(x)))


def ref_round_away(x):
    dt = _dtype_of(np.rint, x.dtype)
    v = _f64(x)
    return dt.type(np.sign(v) * np.floor(np.abs(v) + 0.5))


def ref_xlogy0(x, y):
    with quiet():
        prod = np.asarray(x * np.log(y))
    return np.where(x == 0, np.zeros((), prod.dtype), prod)[()]


def ref_xlogx(x):
    return ref_xlogy0(x, x)


UNARY = [
    (gs.neg, np.negative),
    (gs.identity, ref_identity),
    (gs.reciprocal, ref_reciprocal),
    (gs.sqr, np.square),
    (gs.sqrt, np.sqrt),
    (gs.cbrt, np.cbrt),
    (gs.abs, np.absolute),
    (gs.sign, np.sign),
    (gs.exp, np.exp),
    (gs.exp2, np.exp2),
    (gs.expm1, np.expm1),
    (gs.log, np.log),
    (gs.log2, np.log2),
    (gs.log10, np.log10),
    (gs.log1p, np.log1p),
    (gs.sin, np.sin),
    (gs.cos, np.cos),
    (gs.tan, np.tan),
    (gs.arcsin, np.arcsin),
    (gs.arccos, np.arccos),
    (gs.arctan, np.arctan),
    (gs.sinh, np.sinh),
    (gs.cosh, np.cosh),
    (gs.tanh, np.tanh),
    (gs.arcsinh, np.arcsinh),
    (gs.arccosh, np.arccosh),
    (gs.arctanh, np.arctanh),
    (gs.deg2rad, np.deg2rad),
    (gs.rad2deg, np.rad2deg),
    (gs.floor, np.floor),
    (gs.ceil, np.ceil),
    (gs.trunc, np.trunc),
    (gs.round_half_to_even, np.rint),
    (gs.round_half_away_from_zero, ref_round_away),
    (gs.isnan, np.isnan),
    (gs.isinf, np.isinf),
    (gs.invert, np.invert),
    (gs.sigmoid, ref_sigmoid),
    (gs.softplus, ref_softplus),
    (gs.log1mexp, ref_log1mexp),
    (gs.erf, sps.erf),
    (gs.erfc, sps.erfc),
    (gs.erfcx, sps.erfcx),
    (gs.erfinv, sps.erfinv),
    (gs.erfcinv, sps.erfcinv),
    (gs.gamma, sps.gamma),
    (gs.gammaln, sps.gammaln),
    (gs.psi, sps.psi),
    (gs.tri_gamma, ref_tri_gamma),
    (gs.xlogx, ref_xlogx),
]
BINARY = [
    (gs.add, np.add),
    (gs.mul, np.multiply),
    (gs.sub, np.subtract),
    (gs.true_div, np.true_divide),
    (gs.int_div, np.floor_divide),
    (gs.mod, np.remainder),
    (gs.pow, np.power),
    (gs.maximum, np.maximum),
    (gs.minimum, np.minimum),
    (gs.arctan2, np.arctan2),
    (gs.hypot, np.hypot),
    (gs.logaddexp, np.logaddexp),
    (gs.lt, np.less),
    (gs.gt, np.greater),
    (gs.le, np.less_equal),
    (gs.ge, np.greater_equal),
    (gs.eq, np.equal),
    (gs.neq, np.not_equal),
    (gs.and_, np.bitwise_and),
    (gs.or_, np.bitwise_or),
    (gs.xor, np.bitwise_xor),
    (gs.second, ref_second),
    (gs.xlogy0, ref_xlogy0),
    (gs.gammainc, sps.gammainc),
    (gs.gammaincc, sps.gammaincc),
    (gs.gammaincinv, sps.gammaincinv),
    (gs.gammainccinv, sps.gammainccinv),
]
# Tolerances for references that are independent formulas, not the same ufunc.
EXTRA_ATOL = {"log1mexp": 1e-15, "softplus": 1e-300}


# The float dtype integer/bool inputs of float-returning ops are computed in
# (Theano/PyTensor's upgrade_to_float), spelled out independently of graft.
FLOAT_OF = {"bool": "float32", "int8": "float32", "uint8": "float32", "int16": "float32"}
FLOAT_OF |= {"uint16": "float32", "int32": "float64", "int64": "float64", "uint64": "float64"}


def rule_dtype(dtypes):
    """The dtype of a float-returning op on ``dtypes``."""
    return np.result_type(*[FLOAT_OF.get(d, d) for d in dtypes])


def float_ref(ref, dtype, float_inputs=None):
    """``ref`` on integer/bool arguments converted to float64, the result cast to ``dtype``."""

    def f(*args):
        conv = [
            np.float64(a) if np.asarray(a).dtype.kind in "biu" and i in float_inputs else a
            for i, a in enumerate(args)
        ]
        return np.asarray(ref(*conv)).astype(dtype)[()]

    float_inputs = range(8) if float_inputs is None else float_inputs
    return f


def check_op(op, ref, dtypes, value_lists):
    """Build ``op`` on variables of ``dtypes``; compare every value combination with ``ref``.

    Float-returning ops follow the upgrade_to_float dtype rule; their reference
    is computed in float64 (for integer inputs) and cast to that dtype.
    """
    try:
        with quiet():
            expected_dtype = _dtype_of(ref, *dtypes)
            if op.returns_float and expected_dtype.kind == "f":
                fi = op.float_inputs
                expected_dtype = rule_dtype(
                    [d for i, d in enumerate(dtypes) if fi is None or i in fi]
                )
                ref = float_ref(ref, expected_dtype, fi)
    except TypeError:
        # NumPy refuses these dtypes: so must the op, naming itself and the dtypes.
        with pytest.raises(TypeError) as info:
            op(*[get_scalar_type(d)() for d in dtypes])
        assert str(op) in str(info.value) and dtypes[0] in str(info.value)
        return
    ins = [get_scalar_type(d)(f"x{i}") for i, d in enumerate(dtypes)]
    out = op(*ins)
    assert out.type.dtype == expected_dtype.name, (op, dtypes)
    for vals in itertools.product(*value_lists):
        args = [np.dtype(d).type(v) for d, v in zip(dtypes, vals)]
        with quiet():
            try:
                exp = ref(*args)
            except (ValueError, ZeroDivisionError) as e:
                with pytest.raises(type(e)):
                    evaluate([out], dict(zip(ins, args)))
                continue
            (got,) = evaluate([out], dict(zip(ins, args)))
        assert isinstance(got, np.generic), (op, dtypes, vals, got)
        assert got.dtype == expected_dtype, (op, dtypes, vals, got.dtype)
        exp = np.asarray(exp)
        assert exp.dtype == expected_dtype, (op, dtypes, vals, exp.dtype)
        rtol = RTOL.get(expected_dtype.name, 0)
        np.testing.assert_allclose(
            got,
            exp,
            rtol=rtol,
            atol=EXTRA_ATOL.get(str(op), 0),
            equal_nan=True,
            err_msg=f"{op}{tuple(vals)} on {dtypes}",
        )


@pytest.mark.parametrize("dtype", [*DTYPES, "float16", "uint8"])
@pytest.mark.parametrize("op, ref", UNARY, ids=[str(o) for o, _ in UNARY])
def test_unary_against_numpy(op, ref, dtype):
    check_op(op, ref, [dtype], [VALUES[dtype]])


BINARY_DTYPES = [(d, d) for d in DTYPES] + [
    ("int8", "float32"),
    ("bool", "float64"),
    ("int64", "int8"),
    ("float32", "float64"),
    ("uint8", "int8"),
    ("int8", "bool"),
]


@pytest.mark.parametrize("dtypes", BINARY_DTYPES, ids=["-".join(d) for d in BINARY_DTYPES])
@pytest.mark.parametrize("op, ref", BINARY, ids=[str(o) for o, _ in BINARY])
def test_binary_against_numpy(op, ref, dtypes):
    check_op(op, ref, list(dtypes), [BINARY_VALUES[d] for d in dtypes])


@pytest.mark.parametrize("dtypes", [("bool", "float64", "int8"), ("float32", "int64", "float64")])
def test_switch(dtypes):
    def ref(c, a, b):
        return np.where(c, a, b)[()]

    vals = [[0, 1, np.nan] if dtypes[0] != "bool" else [False, True], [2.5, -1], [0, 3]]
    if dtypes[0] == "float32":
        vals[0] = [0.0, 1.0, np.nan]
    check_op(gs.switch, ref, list(dtypes), vals)
    c, a = gs.bool_("c"), gs.float32("a")
    assert gs.switch(c, a, 0).type == gs.float32  # weak 0 joins the branches only
    assert gs.switch(gs.float64("c"), a, 0.5).type == gs.float32


@pytest.mark.parametrize("dtypes", [("int64", "float64"), ("int64", "float32"), ("int8", "int64")])
def test_polygamma(dtypes):
    check_op(gs.polygamma, sps.polygamma, list(dtypes), [[0, 1, 2, 3], [0.5, 1.0, 3.5, -1.5]])
    x = gs.float32("x")
    node = gs.polygamma(1, x).owner
    assert node.inputs[0].type == gs.int64  # n stays an integer


@pytest.mark.parametrize("src", [*DTYPES, "float16", "uint8", "complex128"])
@pytest.mark.parametrize(
    "dst", ["float64", "float32", "float16", "int64", "int8", "uint8", "bool"]
)
def test_cast(src, dst):
    vals = VALUES.get(src, [0, 1 + 2j, -3.5j])

    def ref(x):
        return np.asarray(x).astype(dst)[()]

    check_op(gs.Cast(dst), ref, [src], [vals])


def test_cast_helpers():
    x = gs.float64("x")
    assert gs.cast(x, "float64") is x
    y = gs.cast(x, "int8")
    assert y.type == gs.int8 and y.owner.op == gs.convert_to_int8
    assert gs.Cast("float32") == gs.convert_to_float32
    assert hash(gs.Cast("float32")) == hash(gs.convert_to_float32)
    assert gs.Cast("float32") != gs.Cast("float64")
    assert gs.Cast(gs.float32) == gs.convert_to_float32
    assert str(gs.convert_to_float32) == "convert_to_float32"
    assert re.fullmatch(r"<graft\.scalar\.basic\.Cast at 0x[0-9a-f]+>", repr(gs.convert_to_int64))
    c = gs.cast(2.7, "int64")
    assert evaluate([c], {}) == [np.int64(2)]


# ---------------------------------------------------------------------------
# Variadic add/mul
# ---------------------------------------------------------------------------


def test_variadic_add_mul():
    xs = [gs.float64(f"x{i}") for i in range(4)]
    vals = [np.float64(v) for v in (1.5, -2.0, 3.25, 0.5)]
    for n in range(1, 5):
        s = gs.add(*xs[:n])
        p = gs.mul(*xs[:n])
        assert len(s.owner.inputs) == n
        got_s, got_p = evaluate([s, p], dict(zip(xs[:n], vals[:n])))
        assert got_s == sum(vals[:n]) and got_p == math.prod(vals[:n])
        assert type(got_s) is np.float64
    assert gs.add.nin == -1 and gs.mul.nin == -1
    with pytest.raises(TypeError):
        gs.add()


def test_variadic_dtypes_and_no_intermediate_overflow():
    a, b, c = gs.int8("a"), gs.int8("b"), gs.float32("c")
    s = gs.add(a, b, c)
    assert s.type == gs.float32
    (got,) = evaluate([s], {a: np.int8(100), b: np.int8(100), c: np.float32(0.5)})
    assert got == np.float32(200.5)
    assert gs.add(gs.bool_(), gs.bool_(), gs.bool_()).type == gs.bool_
    assert gs.mul(gs.int8()).type == gs.int8
    (one,) = evaluate([gs.mul(a)], {a: np.int8(-3)})
    assert one == np.int8(-3) and type(one) is np.int8
    assert gs.add(gs.int8(), 1.5, 2).type == gs.float64


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["int8", "int64", "float32", "float64", "bool"]), st.integers(-5, 5)
        ),
        min_size=1,
        max_size=5,
    )
)
def test_variadic_add_property(items):
    ins = [get_scalar_type(d)() for d, _ in items]
    vals = [np.dtype(d).type(v) for d, v in items]
    s = gs.add(*ins)
    p = gs.mul(*ins)
    got_s, got_p = evaluate([s, p], dict(zip(ins, vals)))
    # Each result has the dtype of folding the binary ufunc, and the value of
    # computing in that dtype.
    acc_s, acc_p = vals[0], vals[0]
    if len(vals) == 1:
        acc_s, acc_p = np.add(vals[0], np.zeros((), vals[0].dtype)), vals[0]
    with np.errstate(over="ignore"):
        for v in vals[1:]:
            acc_s, acc_p = np.add(acc_s, v), np.multiply(acc_p, v)
    assert got_s.dtype == np.asarray(acc_s).dtype and got_p.dtype == np.asarray(acc_p).dtype
    if got_s.dtype != np.bool_:
        assert got_s == sum(int(v) for v in vals)
        # Variadic ops compute in the result dtype, so small integers wrap only there.
        with np.errstate(over="ignore"):
            expected_p = np.multiply.reduce(np.asarray(vals, dtype=got_p.dtype), dtype=got_p.dtype)
        assert got_p == expected_p


# ---------------------------------------------------------------------------
# ufuncs on arrays
# ---------------------------------------------------------------------------

ARR = np.array([-3.0, -1.5, -0.5, 0.0, 0.25, 0.5, 0.9, 1.5, 3.0, 40.0, np.nan])


@pytest.mark.parametrize("op", [o for o, _ in UNARY], ids=[str(o) for o, _ in UNARY])
def test_unary_ufunc_on_arrays(op):
    data = ARR if op != gs.invert else np.array([-3, 0, 5, 127], dtype=np.int64)
    x = get_scalar_type(data.dtype)("x")
    out = op(x)
    with quiet():
        arr = op.ufunc(data)
        elementwise = [evaluate([out], {x: v})[0] for v in data]
        res2d = op.ufunc(data.reshape(1, -1).repeat(2, 0))
    assert isinstance(arr, np.ndarray) and arr.shape == data.shape
    assert arr.dtype == out.type.numpy_dtype
    np.testing.assert_array_equal(arr, np.array(elementwise), strict=False)
    assert res2d.shape == (2, data.size)
    out_arr = np.empty_like(arr)
    with quiet():
        r = op.ufunc(data, out=out_arr)
    assert r is out_arr
    np.testing.assert_array_equal(out_arr, arr)


@pytest.mark.parametrize("op", [o for o, _ in BINARY], ids=[str(o) for o, _ in BINARY])
def test_binary_ufunc_broadcasts(op):
    a = np.array([[-2], [0], [3]], dtype=np.int64)
    b = np.array([1, 2, 5, 4 if op == gs.pow else -1], dtype=np.int64)
    x, y = gs.int64("x"), gs.int64("y")
    out = op(x, y)
    with quiet():
        res = op.ufunc(a, b)
        for i, j in itertools.product(range(3), range(4)):
            (v,) = evaluate([out], {x: a[i, 0], y: b[j]})
            np.testing.assert_equal(res[i, j], v)
    assert res.shape == (3, 4) and res.dtype == out.type.numpy_dtype


def test_variadic_ufunc_on_arrays():
    a, b, c = np.arange(3, dtype=np.int8), np.ones((2, 1), np.float32), np.float64(2)
    r = gs.add.ufunc(a, b, c)
    assert r.shape == (2, 3) and r.dtype == np.float64
    np.testing.assert_array_equal(r, a + b + c)
    assert gs.add.ufunc.ufunc is np.add and gs.mul.ufunc.ufunc is np.multiply
    out = np.empty((2, 3))
    assert gs.mul.ufunc(a, b, c, out=out) is out
    np.testing.assert_array_equal(out, a * b * c)
    assert gs.add.ufunc(a, a).dtype == np.int8
    np.testing.assert_array_equal(gs.add.ufunc(a), a)


def test_ufunc_kinds():
    # Float-returning ops wrap their NumPy/SciPy ufunc (integers converted first).
    assert isinstance(gs.exp.ufunc, gs.FloatUfunc) and gs.exp.ufunc.fn is np.exp
    assert gs.true_div.ufunc.fn is np.true_divide
    assert gs.erf.ufunc.fn is sps.erf and gs.sigmoid.ufunc.fn is sps.expit
    assert gs.add.ufunc.ufunc is np.add and gs.maximum.ufunc is np.maximum
    assert gs.Add().ufunc is gs.add.ufunc  # cached per op, shared by equal ops
    assert gs.Exp().ufunc is gs.exp.ufunc


# ---------------------------------------------------------------------------
# Stability and edge values
# ---------------------------------------------------------------------------


def test_stable_impls_do_not_warn():
    xs = np.array([-1000.0, -50.0, -1e-20, 0.0, 1e-20, 50.0, 1000.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        sp = gs.softplus.ufunc(xs)
        sg = gs.sigmoid.ufunc(xs)
        sp32 = gs.softplus.ufunc(xs.astype(np.float32))
        lm = gs.log1mexp.ufunc(np.array([-1000.0, -50.0, -1.0, -0.5, -1e-20]))
        for v in (-1000.0, 1000.0):
            gs.sigmoid.impl(np.float64(v))
            gs.softplus.impl(np.float64(v))
    np.testing.assert_allclose(
        sp, [0.0, np.exp(-50.0), np.log(2), np.log(2), np.log(2), 50.0, 1000.0], rtol=1e-15
    )
    assert sp[1] == pytest.approx(1.9287498479639178e-22, rel=1e-15)
    assert sp32.dtype == np.float32 and sp32[-1] == 1000.0
    np.testing.assert_array_equal(sg[[0, -1]], [0.0, 1.0])
    assert sg[3] == 0.5
    np.testing.assert_allclose(
        lm,
        [
            -np.exp(-1000.0),
            -np.exp(-50.0),
            np.log(1 - np.exp(-1.0)),
            np.log(1 - np.exp(-0.5)),
            np.log(1e-20),
        ],
        rtol=1e-14,
    )
    assert lm[1] == pytest.approx(-1.9287498479639178e-22, rel=1e-14)


def test_log1mexp_domain():
    with quiet():
        r = gs.log1mexp.ufunc(np.array([0.0, 1.0, np.nan, -np.inf]))
    assert r[0] == -np.inf and np.isnan(r[1]) and np.isnan(r[2]) and r[3] == 0.0
    assert isinstance(gs.log1mexp.ufunc(-1.0), np.float64)


def test_rounding_ties():
    vals = np.array([0.5, 1.5, 2.5, -0.5, -2.5, 0.49999999999999994, -1.4])
    np.testing.assert_array_equal(gs.round_half_to_even.ufunc(vals), [0, 2, 2, -0, -2, 0, -1])
    np.testing.assert_array_equal(
        gs.round_half_away_from_zero.ufunc(vals), [1, 2, 3, -1, -3, 0, -1]
    )


def test_spot_values_against_math():
    for v in (-2.0, -0.3, 0.0, 0.7, 3.0):
        assert gs.erf.impl(np.float64(v)) == pytest.approx(math.erf(v), rel=1e-14)
        assert gs.erfc.impl(np.float64(v)) == pytest.approx(math.erfc(v), rel=1e-13)
    for v in (0.3, 1.0, 2.5, 7.0, -1.5):
        assert gs.gamma.impl(np.float64(v)) == pytest.approx(math.gamma(v), rel=1e-13)
        assert gs.gammaln.impl(np.float64(v)) == pytest.approx(
            math.lgamma(v), rel=1e-13, abs=1e-15
        )
    assert gs.psi.impl(np.float64(1.0)) == pytest.approx(-0.5772156649015329, rel=1e-14)
    assert gs.tri_gamma.impl(np.float64(1.0)) == pytest.approx(math.pi**2 / 6, rel=1e-14)
    assert gs.tri_gamma.impl(np.float64(-0.5)) == pytest.approx(math.pi**2 / 2 + 4, rel=1e-12)
    assert gs.erfinv.impl(np.float64(math.erf(0.4))) == pytest.approx(0.4, rel=1e-14)


# ---------------------------------------------------------------------------
# Op identity, names, construction errors
# ---------------------------------------------------------------------------

ALL_OPS = [o for o, _ in UNARY] + [o for o, _ in BINARY] + [gs.switch, gs.polygamma]


@pytest.mark.parametrize("op", ALL_OPS, ids=[str(o) for o in ALL_OPS])
def test_op_identity_and_names(op):
    assert isinstance(op, ScalarOp)
    fresh = type(op)()
    assert fresh == op and hash(fresh) == hash(op) and fresh is not op
    assert str(fresh) == str(op)
    cls = type(op).__name__
    assert re.fullmatch(rf"<graft\.scalar\.\w+\.{cls} at 0x[0-9a-f]+>", repr(op))
    name = str(op)
    exported = "abs" if name == "abs" else name
    assert getattr(gs, exported) == op
    others = [o for o in ALL_OPS if o is not op]
    assert all(o != op for o in others)


def test_spec_names():
    expected = [
        "add",
        "mul",
        "sub",
        "true_div",
        "int_div",
        "mod",
        "neg",
        "identity",
        "reciprocal",
        "sqr",
        "sqrt",
        "pow",
        "abs",
        "sign",
        "exp",
        "exp2",
        "expm1",
        "log",
        "log2",
        "log10",
        "log1p",
        "sin",
        "cos",
        "tan",
        "arcsin",
        "arccos",
        "arctan",
        "arctan2",
        "sinh",
        "cosh",
        "tanh",
        "arcsinh",
        "arccosh",
        "arctanh",
        "sigmoid",
        "softplus",
        "log1mexp",
        "erf",
        "erfc",
        "erfcx",
        "erfinv",
        "gamma",
        "gammaln",
        "psi",
        "floor",
        "ceil",
        "round_half_to_even",
        "trunc",
        "maximum",
        "minimum",
        "switch",
        "lt",
        "gt",
        "le",
        "ge",
        "eq",
        "neq",
        "isnan",
        "isinf",
        "and_",
        "or_",
        "xor",
        "invert",
        "second",
    ]
    for name in expected:
        op = getattr(gs, name)
        assert str(op) == name
    assert gs.abs_ is gs.abs
    assert repr(gs.add).startswith("<graft.scalar.basic.Add at 0x")
    assert repr(gs.mul).startswith("<graft.scalar.basic.Mul at 0x")
    assert gs.Add() == gs.add and gs.Mul() == gs.mul and gs.add != gs.mul


def test_arity_errors():
    x = gs.float64("x")
    with pytest.raises(TypeError, match="sub takes 2 inputs, got 1"):
        gs.sub(x)
    with pytest.raises(TypeError, match="exp takes 1 inputs, got 2"):
        gs.exp(x, x)
    with pytest.raises(TypeError, match="switch takes 3"):
        gs.switch(x, x)


def test_unsupported_dtype_errors_name_op_and_dtype():
    with pytest.raises(TypeError, match=r"neg .*\('bool',\)"):
        gs.neg(gs.bool_())
    with pytest.raises(TypeError, match=r"sub .*\('bool', 'bool'\)"):
        gs.sub(gs.bool_(), gs.bool_())
    with pytest.raises(TypeError, match="invert"):
        gs.invert(gs.float64())
    with pytest.raises(TypeError):
        gs.add(gs.float64(), "a")


def test_numpy_and_scipy_names_are_the_same_ops():
    assert gs.bitwise_and is gs.and_ and gs.bitwise_or is gs.or_ and gs.bitwise_xor is gs.xor
    assert gs.bitwise_not is gs.invert
    assert gs.expit is gs.sigmoid and gs.log1pexp is gs.softplus
    for op in (gs.bitwise_and, gs.bitwise_or, gs.bitwise_xor):
        with pytest.raises(TypeError, match=rf"{op}.*float64"):
            op(gs.float64(), gs.int8())
    with pytest.raises(TypeError, match=r"invert.*float32"):
        gs.bitwise_not(gs.float32())


@pytest.mark.parametrize("dtype", ["int8", "uint8", "int64", "uint64", "bool"])
def test_bitwise_ops_on_extreme_values(dtype):
    info = np.iinfo(dtype) if dtype != "bool" else None
    vals = [False, True] if info is None else [0, 1, -1 % (info.max + 1) if info.min == 0 else -1]
    vals += [] if info is None else [info.min, info.max, info.max // 3]
    for op, ref in [
        (gs.bitwise_and, np.bitwise_and),
        (gs.bitwise_or, np.bitwise_or),
        (gs.bitwise_xor, np.bitwise_xor),
    ]:
        check_op(op, ref, [dtype, dtype], [vals, vals])
    check_op(gs.bitwise_not, np.invert, [dtype], [vals])


def test_xlogx_xlogy0_edge_values():
    with quiet():
        assert gs.xlogx.impl(np.float64(0.0)) == 0.0
        assert gs.xlogx.impl(np.float64(-0.0)) == 0.0
        assert np.isnan(gs.xlogx.impl(np.float64(-1.0)))
        assert gs.xlogx.impl(np.float64(np.inf)) == np.inf
        assert np.isnan(gs.xlogx.impl(np.float64(np.nan)))
        assert gs.xlogx.impl(np.float64(1e-300)) == pytest.approx(1e-300 * np.log(1e-300))
        # x == 0 wins over any y, also 0, inf, negative and NaN
        for y in (0.0, np.inf, -1.0, np.nan):
            r = gs.xlogy0.impl(np.float64(0.0), np.float64(y))
            assert r == 0.0 and type(r) is np.float64
        assert gs.xlogy0.impl(np.float64(2.0), np.float64(0.0)) == -np.inf
        assert np.isnan(gs.xlogy0.impl(np.float64(np.nan), np.float64(1.0)))
    assert gs.xlogy0(gs.int8(), gs.float16()).type == gs.float32
    assert gs.xlogx(gs.int64()).type == gs.float64


def test_incomplete_gamma_identities():
    k = np.array([0.5, 1.0, 2.5, 7.0, 40.0])
    x = np.array([0.0, 0.1, 1.0, 3.0, 50.0])
    with quiet():
        p = np.array([gs.gammainc.impl(a, b) for a, b in zip(k, x)])
        q = np.array([gs.gammaincc.impl(a, b) for a, b in zip(k, x)])
        np.testing.assert_allclose(p + q, 1.0, rtol=1e-14)
        # closed forms: P(1, x) = 1 - exp(-x), P(1/2, x) = erf(sqrt(x))
        for v in (0.0, 0.3, 2.0, 30.0):
            assert gs.gammainc.impl(1.0, v) == pytest.approx(-math.expm1(-v), rel=1e-14)
            assert gs.gammainc.impl(0.5, v) == pytest.approx(math.erf(math.sqrt(v)), rel=1e-14)
        for kk, y in [(0.5, 0.3), (2.5, 0.01), (7.0, 0.9), (40.0, 0.5)]:
            xi = gs.gammaincinv.impl(kk, y)
            assert gs.gammainc.impl(kk, xi) == pytest.approx(y, rel=1e-12)
            xc = gs.gammainccinv.impl(kk, y)
            assert gs.gammaincc.impl(kk, xc) == pytest.approx(y, rel=1e-12)
        assert np.isnan(gs.gammainc.impl(-1.0, 1.0)) and np.isnan(gs.gammainc.impl(1.0, -1.0))
        assert gs.gammainc.impl(3.0, np.inf) == 1.0 and gs.gammaincc.impl(3.0, np.inf) == 0.0
        assert np.isnan(gs.gammainc.impl(np.nan, 1.0))
        assert gs.gammaincinv.impl(2.0, 0.0) == 0.0 and gs.gammaincinv.impl(2.0, 1.0) == np.inf


def test_probe_cache():
    assert probe_output_dtypes(gs.add, ("int8", "float32")) == ("float32",)
    assert probe_output_dtypes(gs.true_div, ("int64", "int64")) == ("float64",)
    # What the callable computes in: int8 converted to float32 first.
    assert probe_output_dtypes(gs.exp, ("int8",)) == ("float32",)
    assert probe_output_dtypes(gs.add, ("bool", "bool")) == ("bool",)
    assert probe_output_dtypes(gs.sigmoid, ("float16",)) == ("float64",)  # SciPy loops
    assert probe_output_dtypes(gs.sigmoid, ("float32",)) == ("float32",)
    # ... while the declared dtype is the rule's (computed wider, rounded down).
    assert gs.sigmoid(gs.float16()).type == gs.float16


def test_perform_stores_numpy_scalars_of_output_dtype():
    x = gs.float32("x")
    out = gs.exp(x)
    storage = [[None]]
    # Even a Python float input is stored as the declared output dtype.
    out.owner.op.perform(out.owner, [0.5], storage)
    assert type(storage[0][0]) is np.float32


def test_custom_scalar_op():
    class Cube(gs.UnaryScalarOp):
        """x ** 3."""

        name = "cube"

        def make_ufunc(self):
            return gs.VecFunc(lambda x: x * x * x, 1, "cube")

        def _grad(self, inputs, output, gz):
            return [gz * 3 * inputs[0] * inputs[0]]

    cube = Cube()
    x = gs.float32("x")
    y = cube(x)
    assert y.type == gs.float32 and str(y) == "cube.0"
    assert evaluate([y], {x: np.float32(2)}) == [np.float32(8)]
    (g,) = cube.L_op([x], [y], [gs.constant(1.0, "float32")])
    assert g.type == gs.float32
    assert evaluate([g], {x: np.float32(2)}) == [np.float32(12)]
    np.testing.assert_array_equal(cube.ufunc(np.arange(3)), [0, 1, 8])
    assert Cast("int8") is not gs.convert_to_int8 and Cast("int8") == gs.convert_to_int8
