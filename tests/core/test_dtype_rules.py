"""The output dtype rule of float-returning ops (Theano/PyTensor's upgrade_to_float).

Bool and 8/16-bit integer inputs of an op whose result is a float (exp, log,
true_div, erf, ...) are computed in float32, wider integers in float64, float
inputs keep their dtype; the result is their promotion. Every scalar op of
``graft.scalar`` is classified here (a new op must be added to one of the
tables), and every float-returning one is checked on every discrete dtype,
at the scalar level (perform) and the tensor level (Elemwise, compiled).
"""

import contextlib
import itertools
import warnings

import numpy as np
import pytest
import scipy.special as sps
from helpers import HSET, evaluate
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import graft
import graft.scalar as gs
import graft.tensor as gt
from graft.gradient import grad
from graft.scalar import ScalarOp, get_scalar_type
from graft.tensor.elemwise import CAReduce


@contextlib.contextmanager
def quiet():
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        yield


# The rule, spelled out independently of graft.
FLOAT_OF = {
    "bool": "float32",
    "int8": "float32",
    "uint8": "float32",
    "int16": "float32",
    "uint16": "float32",
    "int32": "float64",
    "uint32": "float64",
    "int64": "float64",
    "uint64": "float64",
}
DISCRETE = list(FLOAT_OF)


def rule(*dtypes):
    return np.result_type(*[FLOAT_OF.get(d, d) for d in dtypes]).name


# Values that tell float16 (11-bit significand) and float32 (24 bits) apart from
# the dtype the rule asks for: 2049 and 30001 are not float16 numbers, 2**24 + 1
# is not a float32 one.
VALUES = {
    "bool": [False, True],
    "int8": [0, 1, -1, 3, -7, 100, 127, -128],
    "uint8": [0, 1, 3, 200, 255],
    "int16": [0, 1, -2, 2049, -30001, 32767],
    "uint16": [0, 2, 2049, 65535],
    "int32": [0, 1, -5, 2**24 + 1, -(2**31)],
    "uint32": [0, 7, 2**24 + 1, 2**32 - 1],
    "int64": [0, 1, -3, 2**40 + 1, 2**53 + 1, -(2**62)],
    "uint64": [0, 5, 2**53 + 1, 2**64 - 1],
}


def _softplus(x):
    return np.logaddexp(0.0, x)


def _round_away(x):
    return np.sign(x) * np.floor(np.abs(x) + 0.5)


def _xlogy0(x, y):
    return np.where(x == 0, 0.0, x * np.log(np.where(x == 0, 1.0, y)))


def _log1mexp(x):
    # log(-expm1(x)) loses digits for x well below 0, where 1 - exp(x) is near 1
    return np.where(x < -0.5, np.log1p(-np.exp(x)), np.log(-np.expm1(x)))


def _gammainc_dk(k, x):
    # central differences of scipy's gammainc, only used where it is well conditioned
    h = 1e-6 * np.maximum(np.abs(k), 1.0)
    return (sps.gammainc(k + h, x) - sps.gammainc(k - h, x)) / (2 * h)


# Float-returning ops: reference computed in float64 (name: (function, arity)).
FLOAT_OPS = {
    "true_div": (np.true_divide, 2),
    "reciprocal": (lambda x: 1.0 / x, 1),
    "exp": (np.exp, 1),
    "exp2": (np.exp2, 1),
    "expm1": (np.expm1, 1),
    "log": (np.log, 1),
    "log2": (np.log2, 1),
    "log10": (np.log10, 1),
    "log1p": (np.log1p, 1),
    "logaddexp": (np.logaddexp, 2),
    "xlogx": (lambda x: _xlogy0(x, x), 1),
    "xlogy0": (_xlogy0, 2),
    "sqrt": (np.sqrt, 1),
    "cbrt": (np.cbrt, 1),
    "hypot": (np.hypot, 2),
    "sin": (np.sin, 1),
    "cos": (np.cos, 1),
    "tan": (np.tan, 1),
    "arcsin": (np.arcsin, 1),
    "arccos": (np.arccos, 1),
    "arctan": (np.arctan, 1),
    "arctan2": (np.arctan2, 2),
    "deg2rad": (np.deg2rad, 1),
    "rad2deg": (np.rad2deg, 1),
    "sinh": (np.sinh, 1),
    "cosh": (np.cosh, 1),
    "tanh": (np.tanh, 1),
    "arcsinh": (np.arcsinh, 1),
    "arccosh": (np.arccosh, 1),
    "arctanh": (np.arctanh, 1),
    "round_half_to_even": (np.rint, 1),
    "round_half_away_from_zero": (_round_away, 1),
    "sigmoid": (lambda x: 1.0 / (1.0 + np.exp(-x)), 1),
    "softplus": (_softplus, 1),
    "log1mexp": (_log1mexp, 1),
    "erf": (sps.erf, 1),
    "erfc": (sps.erfc, 1),
    "erfcx": (sps.erfcx, 1),
    "erfinv": (sps.erfinv, 1),
    "erfcinv": (sps.erfcinv, 1),
    "gamma": (sps.gamma, 1),
    "gammaln": (sps.gammaln, 1),
    "psi": (sps.psi, 1),
    "tri_gamma": (lambda x: sps.polygamma(1, x), 1),
    "polygamma": (sps.polygamma, 2),
    "gammainc": (sps.gammainc, 2),
    "gammaincc": (sps.gammaincc, 2),
    "gammaincinv": (sps.gammaincinv, 2),
    "gammainccinv": (sps.gammainccinv, 2),
    "gammainc_grad": (_gammainc_dk, 2),
}
# Ops whose integer results stay integers (or bools), as in NumPy.
NOT_FLOAT_OPS = {
    "add",
    "mul",
    "sub",
    "int_div",
    "mod",
    "neg",
    "identity",
    "sqr",
    "pow",
    "abs_",
    "sign",
    "maximum",
    "minimum",
    "switch",
    "second",
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
    "floor",
    "ceil",
    "trunc",
}
ALIASES = {"bitwise_and", "bitwise_or", "bitwise_xor", "bitwise_not", "expit", "log1pexp"}


def _scalar_ops():
    return {
        n: getattr(gs, n)
        for n in gs.__all__
        if isinstance(getattr(gs, n), ScalarOp) and not n.startswith("convert_to")
    }


def test_every_scalar_op_is_classified():
    names = set(_scalar_ops())
    assert names - set(FLOAT_OPS) - NOT_FLOAT_OPS - ALIASES == set()
    assert set(FLOAT_OPS) | NOT_FLOAT_OPS | ALIASES <= names
    for n in FLOAT_OPS:
        assert getattr(gs, n).returns_float, n
    for n in NOT_FLOAT_OPS:
        assert not getattr(gs, n).returns_float, n


@pytest.mark.parametrize("name", sorted(NOT_FLOAT_OPS))
@pytest.mark.parametrize("dtype", ["int8", "uint16", "int64", "bool"])
def test_other_ops_keep_numpy_dtypes_on_integers(name, dtype):
    op = getattr(gs, name)
    nin = 3 if name == "switch" else (op.nin if op.nin > 0 else 2)
    ins = [get_scalar_type(dtype)() for _ in range(nin)]
    try:
        out = op(*ins)
    except TypeError:
        return  # NumPy refuses too (neg of bool, sub of bools)
    assert np.dtype(out.type.dtype).kind in "biu", (name, dtype, out.type)


def _arg_dtypes(name, dtype):
    if name == "polygamma":
        return ["int64", dtype]  # the order n is not a value the rule applies to
    return [dtype] * FLOAT_OPS[name][1]


def _arg_values(name, dtype):
    vals = VALUES[dtype]
    if name == "polygamma":
        return [[0, 1, 3], vals]
    if name == "gammainc_grad":
        pos = [v for v in vals if 0 < v < 40]  # finite differences need a tame domain
        return [pos, pos]
    return [vals] * FLOAT_OPS[name][1]


def _expected(name, arg_dtypes, args):
    ref = FLOAT_OPS[name][0]
    fi = [1] if name == "polygamma" else range(len(args))
    dt = rule(*[arg_dtypes[i] for i in fi])
    with quiet():
        conv = [np.float64(a) if i in fi else a for i, a in enumerate(args)]
        return dt, np.asarray(ref(*conv)).astype(dt)


def _close(got, expected, dtype, name):
    rtol = {"float32": 2e-5, "float64": 1e-12}[dtype]
    if name == "gammainc_grad":
        rtol = max(rtol, 1e-6)  # the reference is a finite difference
    tiny = float(np.finfo(dtype).tiny)
    np.testing.assert_allclose(got, expected, rtol=rtol, atol=tiny, equal_nan=True)


@pytest.mark.parametrize("dtype", DISCRETE)
@pytest.mark.parametrize("name", sorted(FLOAT_OPS))
def test_scalar_float_ops_on_discrete_inputs(name, dtype):
    op = getattr(gs, name)
    dts = _arg_dtypes(name, dtype)
    ins = [get_scalar_type(d)() for d in dts]
    out = op(*ins)
    want, _ = _expected(name, dts, [np.zeros((), d)[()] for d in dts])
    assert out.type.dtype == want
    for vals in itertools.product(*_arg_values(name, dtype)):
        args = [np.dtype(d).type(v) for d, v in zip(dts, vals)]
        with quiet():
            (got,) = evaluate([out], dict(zip(ins, args)))
        dt, exp = _expected(name, dts, args)
        assert type(got) is np.dtype(dt).type
        _close(got, exp, dt, name)


@pytest.mark.parametrize("dtype", ["bool", "int8", "uint8", "int16", "uint16", "int32", "int64"])
@pytest.mark.parametrize("name", sorted(FLOAT_OPS))
def test_tensor_float_ops_on_discrete_inputs(name, dtype):
    dts = _arg_dtypes(name, dtype)
    columns = list(zip(*itertools.product(*_arg_values(name, dtype))))
    arrays = [np.array(c, dtype=d) for c, d in zip(columns, dts)]
    xs = [gt.vector(f"x{i}", dtype=d) for i, d in enumerate(dts)]
    out = getattr(gt, name)(*xs)
    dt, exp = _expected(name, dts, arrays)
    assert out.type.dtype == dt
    fn = graft.function(xs, out)
    with quiet():
        got = fn(*arrays)
    assert got.dtype == dt
    _close(got, exp, dt, name)


UNARY_FLOAT = sorted(n for n, (_, arity) in FLOAT_OPS.items() if arity == 1)


@HSET
@given(
    st.sampled_from(UNARY_FLOAT),
    st.sampled_from(["bool", "int8", "uint8", "int16", "uint16", "int32", "int64"]).flatmap(
        lambda d: hnp.arrays(d, hnp.array_shapes(min_dims=0, max_dims=2, min_side=0, max_side=3))
    ),
)
def test_unary_float_ops_on_random_integer_arrays(name, a):
    x = gt.tensor(dtype=a.dtype.name, shape=(None,) * a.ndim)
    out = getattr(gt, name)(x)
    dt, exp = _expected(name, [a.dtype.name], [a])
    assert out.type.dtype == dt
    with quiet():
        got = graft.function([x], out)(a)
    assert got.dtype == dt and got.shape == a.shape
    _close(got, exp, dt, name)


def test_the_reported_case():
    b = gt.bscalar()
    r = graft.function([b], gt.exp(b))(10)
    assert r.dtype == np.float32
    # float16 would give 22032 (2.203e+04), 3e-4 off
    assert r == pytest.approx(np.exp(10.0), rel=1e-7)


@pytest.mark.parametrize(
    ("build", "dtypes", "expected"),
    [
        # Not float-returning: NumPy's promotion (PyTensor agrees).
        (gs.mul, ("int8", "float16"), "float16"),
        (gs.add, ("uint8", "float16"), "float16"),
        (gs.pow, ("int8", "float16"), "float16"),
        (gs.maximum, ("int16", "float16"), "float32"),
        # Float-returning: integers first become floats, then promotion.
        (gs.true_div, ("int8", "float16"), "float32"),
        (gs.true_div, ("int8", "int8"), "float32"),
        (gs.true_div, ("int8", "int64"), "float64"),
        (gs.true_div, ("int32", "float32"), "float64"),
        (gs.true_div, ("bool", "float16"), "float32"),
        (gs.arctan2, ("int16", "float16"), "float32"),
        (gs.hypot, ("uint8", "float64"), "float64"),
        (gs.xlogy0, ("float16", "int8"), "float32"),
        (gs.gammainc, ("float16", "float16"), "float16"),
        (gs.gammainc, ("int16", "float32"), "float32"),
        (gs.polygamma, ("int64", "float32"), "float32"),
        (gs.polygamma, ("int8", "float16"), "float16"),
        # float16 stays float16, also where SciPy computes in float64.
        (gs.exp, ("float16",), "float16"),
        (gs.sigmoid, ("float16",), "float16"),
        (gs.erf, ("float16",), "float16"),
        # complex inputs: NumPy's dtype
        (gs.exp, ("complex64",), "complex64"),
        (gs.true_div, ("int8", "complex64"), "complex64"),
    ],
)
def test_mixed_inputs(build, dtypes, expected):
    ins = [get_scalar_type(d)() for d in dtypes]
    out = build(*ins)
    assert out.type.dtype == expected
    xs = [gt.tensor(dtype=d, shape=(None,)) for d in dtypes]
    assert getattr(gt, str(build))(*xs).type.dtype == expected


def test_mixed_values_are_computed_in_the_output_dtype():
    # log(y) of an int8 y next to an int64 x is taken in float64, not float32
    x, y = gt.lvector("x"), gt.bvector("y")
    a, b = np.array([3, 2**40 + 1]), np.array([3, 7], dtype="int8")
    got = graft.function([x, y], gt.xlogy0(x, y))(a, b)
    np.testing.assert_allclose(got, a * np.log(b.astype(float)), rtol=1e-15)
    # float16 next to int8 in a float32 op: float16 values are exact in float32
    h, i = gt.tensor(dtype="float16", shape=(None,)), gt.tensor(dtype="int8", shape=(None,))
    hv, iv = np.array([0.1, 3.0, 1000.0], np.float16), np.array([3, 7, -128], np.int8)
    got = graft.function([h, i], h / i)(hv, iv)
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, hv.astype(np.float32) / iv.astype(np.float32), rtol=0)


@pytest.mark.parametrize("dtype", ["float16"])
def test_scipy_ops_on_float16_round_a_wider_result(dtype):
    a = np.array([-3.0, -0.5, 0.0, 0.25, 2.0, 7.5], dtype=dtype)
    x = gt.vector("x", dtype=dtype)
    for name, ref in [("sigmoid", sps.expit), ("erf", sps.erf), ("gammaln", sps.gammaln)]:
        with quiet():
            got = graft.function([x], getattr(gt, name)(x))(a)
        assert got.dtype == dtype
        np.testing.assert_array_equal(got, ref(a.astype(np.float64)).astype(dtype))


def test_fused_graph_keeps_the_rule():
    # exp, sin and true_div of int8 inputs fused into one Composite (FAST_RUN).
    x, y = gt.bvector("x"), gt.bvector("y")
    out = gt.exp(x) + gt.sin(x) * (x / y) - gt.sqrt(gt.abs(y))
    assert out.type.dtype == "float32"
    a = np.array([1, 100, -128, 127, 3], dtype=np.int8)
    b = np.array([3, -7, 2, 127, 1], dtype=np.int8)
    fa, fb = a.astype(np.float64), b.astype(np.float64)
    with quiet():  # exp(127) overflows float32
        expected = (np.exp(fa) + np.sin(fa) * (fa / fb) - np.sqrt(np.abs(fb))).astype(np.float32)
    for mode in ("FAST_RUN", "FAST_COMPILE"):
        fn = graft.function([x, y], out, mode=mode)
        with quiet():
            got = fn(a, b)
        assert got.dtype == np.float32
        np.testing.assert_allclose(got, expected, rtol=2e-6)


def test_reductions():
    a = np.array([[1, -128, 127], [5, 0, -3]], dtype=np.int8)
    x = gt.tensor(dtype="int8", shape=(None, None))
    # mean and var of integers are float64 (NumPy and PyTensor agree); sums stay integers.
    cases = [
        (gt.mean(x), np.mean(a)),
        (gt.mean(x, axis=0), np.mean(a, axis=0)),
        (gt.var(x, axis=1), np.var(a, axis=1)),
        (gt.sum(x), np.sum(a)),
        (gt.prod(x, axis=1), np.prod(a, axis=1)),
        (gt.max(x), np.max(a)),
    ]
    fn = graft.function([x], [c for c, _ in cases])
    for (out, exp), got in zip(cases, fn(a)):
        assert out.type.dtype == exp.dtype.name
        assert got.dtype == exp.dtype
        np.testing.assert_allclose(got, exp, rtol=1e-15)
    h = np.array([1000.0, 2000.0, 3000.0], np.float16)
    xh = gt.vector(dtype="float16")
    got = graft.function([xh], gt.mean(xh))(h)
    assert got.dtype == np.float16 and got == np.mean(h)
    # A reduction with a float-returning op follows that op's rule.
    red = CAReduce(gs.logaddexp, axis=(0,))(x)
    assert red.type.dtype == "float32"
    with quiet():
        got = graft.function([x], red, mode="FAST_COMPILE")(a)
    exp = np.logaddexp.reduce(a.astype(np.float64), axis=0).astype(np.float32)
    np.testing.assert_allclose(got, exp, rtol=1e-6)


def test_gradients_of_integer_inputs_are_unaffected():
    i, f = gt.bvector("i"), gt.fvector("f")
    cost = gt.sum(gt.exp(i) * f + f / i + gt.sigmoid(i))
    gi, gf = grad(cost, [i, f])
    assert gf.type.dtype == "float32"
    iv, fv = np.array([1, -2, 3], np.int8), np.array([0.5, 1.5, -2.0], np.float32)
    vi, vf = graft.function([i, f], [gi, gf])(iv, fv)
    np.testing.assert_array_equal(vi, np.zeros(3))
    np.testing.assert_allclose(vf, np.exp(iv.astype(np.float32)) + 1 / iv, rtol=1e-6)
    # scalar level: the zero gradient of an integer input has the output's float dtype
    x = gs.int16("x")
    out = gs.exp(x)
    (g,) = gs.exp.L_op([x], [out], [out.type()])
    assert g.type == gs.float32 and g.data == 0


# ---------------------------------------------------------------------------
# Python numbers are weak (NEP 50): they take the tensor's dtype
# ---------------------------------------------------------------------------

WEAK_FLOATS = [0.1, 1 / 3, 2.0, -0.0, 5e-324, float("inf"), float("nan"), 3]


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
@pytest.mark.parametrize("number", WEAK_FLOATS, ids=repr)
@pytest.mark.parametrize(
    "build",
    [lambda x, c: x * c, lambda x, c: c - x, lambda x, c: x**c],
    ids=["mul", "rsub", "pow"],
)
def test_python_numbers_take_the_float_dtype_like_numpy(dtype, number, build):
    import graft

    x = gt.vector("x", dtype=dtype)
    out = build(x, number)
    value = np.array([0.5, 2.0, 3.0], dtype=dtype)
    with np.errstate(all="ignore"):
        expected = build(value, number)
        got = graft.function([x], out)(value)
    assert out.type.dtype == expected.dtype.name == dtype
    np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize(
    "dtype,number,result",
    [
        ("float32", 1e300, "float64"),  # would overflow: keeps the number's own precision
        ("float16", 1e10, "float64"),
        ("int8", 1000, "int64"),  # does not fit
        ("int8", 0.5, "float64"),  # a float meeting integers: NumPy's float64
        ("int8", 100, "int8"),
        ("float32", 1j, "complex64"),
    ],
)
def test_python_numbers_that_do_not_fit(dtype, number, result):
    x = gt.vector("x", dtype=dtype)
    assert (x + number).type.dtype == result
