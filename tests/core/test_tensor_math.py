"""graft.tensor.math vs NumPy/SciPy: elementwise ops, reductions, products, shapes, gradients."""

import importlib.util
import warnings
import zlib

import numpy as np
import pytest
import scipy.special as sps
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import graft.tensor as gt
from graft.compile import function
from graft.gradient import DisconnectedInputError, grad
from graft.graph.basic import Variable, graph_inputs, io_toposort
from graft.tensor.shape import shape_i
from graft.testing import verify_grad

# ---------------------------------------------------------------------------
# Helpers (also used by test_tensor_special and test_tensor_linalg).
# ---------------------------------------------------------------------------


def evaluate(outputs, givens):
    """Values of ``outputs`` given ``{input variable: value}``, compiled with `graft.function`."""
    ins = list(givens)
    fn = function(ins, list(outputs), on_unused_input="ignore")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return fn(*[givens[v] for v in ins])


def ev(out, givens):
    """The value of one output."""
    return evaluate([out], givens)[0]


def check_grad(fn, pt, eps=1e-6, rtol=1e-5, atol=1e-7, seed=0):
    """`verify_grad` with tighter default tolerances (every input float64)."""
    pt = [np.array(p, dtype="float64") for p in pt]
    verify_grad(fn, pt, rng=np.random.default_rng(seed), eps=eps, abs_tol=atol, rel_tol=rtol)


def check_infer_shape(outputs, givens):
    """Every node's ``infer_shape`` (fed symbolic input shapes) must match the computed shapes."""
    shapes = {}
    for v in givens:
        shapes[v] = tuple(shape_i(v, d) for d in range(v.type.ndim))
    symbolic = []
    for node in io_toposort(list(givens), outputs):
        in_shapes = []
        for v in node.inputs:
            if v not in shapes:  # a constant
                shapes[v] = tuple(np.shape(v.data))
            in_shapes.append(shapes[v])
        try:
            out_shapes = node.op.infer_shape(None, node, in_shapes)
        except NotImplementedError:
            out_shapes = [tuple(shape_i(o, d) for d in range(o.type.ndim)) for o in node.outputs]
        for o, s in zip(node.outputs, out_shapes):
            assert len(s) == o.type.ndim, f"{node.op}: infer_shape rank {len(s)} != {o.type.ndim}"
            shapes[o] = tuple(s)
            symbolic.append(o)
    entries = [e for o in symbolic for e in shapes[o] if isinstance(e, Variable)]
    entry_vals = dict(zip(entries, evaluate(entries, givens)))
    actual = dict(zip(symbolic, evaluate(symbolic, givens)))
    for o in symbolic:
        inferred = tuple(
            int(entry_vals[e]) if isinstance(e, Variable) else int(e) for e in shapes[o]
        )
        assert inferred == np.shape(actual[o]), (
            f"{o.owner.op}: inferred {inferred}, got {np.shape(actual[o])}"
        )


def var_like(a, name="x", static=False):
    a = np.asarray(a)
    # Size-1 dimensions are declared broadcastable, as graft requires for broadcasting.
    shape = a.shape if static else tuple(1 if s == 1 else None for s in a.shape)
    return gt.tensor(name, dtype=a.dtype.name, shape=shape)


def assert_same(res, expected, rtol=None, atol=0.0):
    """Values and dtype equal NumPy's (NaN equal to NaN; tolerance from the dtype)."""
    res, expected = np.asarray(res), np.asarray(expected)
    assert res.dtype == expected.dtype, f"dtype {res.dtype} != NumPy's {expected.dtype}"
    assert res.shape == expected.shape, f"shape {res.shape} != NumPy's {expected.shape}"
    if expected.dtype.kind in "fc":
        if rtol is None:
            rtol = {2: 1e-3, 4: 1e-5}.get(expected.dtype.itemsize, 1e-10)
        np.testing.assert_allclose(res, expected, rtol=rtol, atol=atol, equal_nan=True)
    else:
        np.testing.assert_array_equal(res, expected)


HAS_JOIN = importlib.util.find_spec("graft.tensor.join") is not None
needs_join = pytest.mark.skipif(
    not HAS_JOIN, reason="tensordot reshapes through graft.tensor.join"
)

# ---------------------------------------------------------------------------
# Elementwise unary ops
# ---------------------------------------------------------------------------


def _round_away(x):
    return np.sign(x) * np.floor(np.abs(x) + 0.5)


def _softplus(x):
    return np.logaddexp(np.zeros((), np.exp(np.zeros(0, x.dtype)).dtype), x)


def _log1mexp(x):
    return np.log(-np.expm1(x))


def _trigamma(x):
    return sps.polygamma(1, x)


# name: (reference, dtypes on which to compare, dtype rule if not the reference's)
FLOAT_INT_BOOL = ("float64", "float32", "int64", "int8", "bool")
FLOATS = ("float64", "float32")
INTS = ("int64", "int8", "uint8", "bool")

UNARY = {
    "abs": (np.abs, FLOAT_INT_BOOL[:-1]),
    "neg": (np.negative, FLOAT_INT_BOOL[:-1]),
    "sign": (np.sign, FLOAT_INT_BOOL[:-1]),
    "sqr": (np.square, FLOAT_INT_BOOL),
    "invert": (np.invert, INTS),
    "isnan": (np.isnan, FLOAT_INT_BOOL),
    "isinf": (np.isinf, FLOAT_INT_BOOL),
    # reciprocal is true division (PyTensor's rule), not NumPy's integer reciprocal.
    "reciprocal": (lambda x: np.true_divide(1, x), FLOAT_INT_BOOL),
    "ceil": (np.ceil, FLOAT_INT_BOOL),
    "floor": (np.floor, FLOAT_INT_BOOL),
    "trunc": (np.trunc, FLOAT_INT_BOOL),
    "round_half_to_even": (np.rint, FLOAT_INT_BOOL),
    "round_half_away_from_zero": (_round_away, FLOATS),
    "exp": (np.exp, FLOAT_INT_BOOL),
    "exp2": (np.exp2, FLOAT_INT_BOOL),
    "expm1": (np.expm1, FLOAT_INT_BOOL),
    "log": (np.log, FLOAT_INT_BOOL),
    "log2": (np.log2, FLOAT_INT_BOOL),
    "log10": (np.log10, FLOAT_INT_BOOL),
    "log1p": (np.log1p, FLOAT_INT_BOOL),
    "sqrt": (np.sqrt, FLOAT_INT_BOOL),
    "cbrt": (np.cbrt, FLOAT_INT_BOOL),
    "sin": (np.sin, FLOAT_INT_BOOL),
    "cos": (np.cos, FLOAT_INT_BOOL),
    "tan": (np.tan, FLOAT_INT_BOOL),
    "arcsin": (np.arcsin, FLOAT_INT_BOOL),
    "arccos": (np.arccos, FLOAT_INT_BOOL),
    "arctan": (np.arctan, FLOAT_INT_BOOL),
    "sinh": (np.sinh, FLOAT_INT_BOOL),
    "cosh": (np.cosh, FLOAT_INT_BOOL),
    "tanh": (np.tanh, FLOAT_INT_BOOL),
    "arcsinh": (np.arcsinh, FLOAT_INT_BOOL),
    "arccosh": (np.arccosh, FLOAT_INT_BOOL),
    "arctanh": (np.arctanh, FLOAT_INT_BOOL),
    "deg2rad": (np.deg2rad, FLOAT_INT_BOOL),
    "rad2deg": (np.rad2deg, FLOAT_INT_BOOL),
    "erf": (sps.erf, FLOAT_INT_BOOL),
    "erfc": (sps.erfc, FLOAT_INT_BOOL),
    "erfcx": (sps.erfcx, FLOAT_INT_BOOL),
    "erfinv": (sps.erfinv, FLOAT_INT_BOOL),
    "erfcinv": (sps.erfcinv, FLOAT_INT_BOOL),
    "gamma": (sps.gamma, FLOAT_INT_BOOL),
    "gammaln": (sps.gammaln, FLOAT_INT_BOOL),
    "psi": (sps.psi, FLOAT_INT_BOOL),
    "tri_gamma": (_trigamma, ("float64", "int64", "int8")),
    "sigmoid": (sps.expit, FLOAT_INT_BOOL),
    "softplus": (_softplus, FLOAT_INT_BOOL),
    "log1mexp": (_log1mexp, FLOATS + ("int64",)),
}

# Ops that return floats for integer arguments: integer/bool inputs are computed
# in float32 (8/16 bits) or float64 (wider), as in Theano/PyTensor, where NumPy
# would use float16 for 8-bit inputs and float64 for int8 / int8.
NOT_FLOAT_RETURNING = {"abs", "neg", "sign", "sqr", "invert", "isnan", "isinf"}
NOT_FLOAT_RETURNING |= {"ceil", "floor", "trunc"}
FLOAT_RETURNING = (set(UNARY) - NOT_FLOAT_RETURNING) | {"true_div", "arctan2", "hypot"}
FLOAT_RETURNING |= {"logaddexp"}
FLOAT_OF = {"bool": "float32", "int8": "float32", "uint8": "float32", "int16": "float32"}
FLOAT_OF |= {"uint16": "float32", "int32": "float64", "int64": "float64", "uint64": "float64"}


def rule_ref(name, ref):
    """``ref`` under the dtype rule of op ``name``: integers converted to the rule's float
    dtype, then computed in it (as graft does; an ill-conditioned float32 result, such as
    logaddexp near 0, may differ from the float64 one by more than float32's tolerance)."""
    if name not in FLOAT_RETURNING:
        return ref

    def f(*arrays):
        arrays = [np.asarray(a) for a in arrays]
        dt = np.result_type(*[FLOAT_OF.get(a.dtype.name, a.dtype) for a in arrays])
        conv = [a.astype(dt) if a.dtype.kind in "biu" else a for a in arrays]
        return np.asarray(ref(*conv)).astype(dt)

    return f


# fmt: off
EDGE = {
    "float64": [0.0, -0.0, 1.0, -1.0, 0.5, -2.5, 2.5, 0.3, -0.7, 1e-300, 1e300, -1e300, 710.0,
                -745.0, np.nan, np.inf, -np.inf],
    "float32": [0.0, -0.0, 1.0, -1.0, 0.5, -2.5, 2.5, 0.3, -0.7, 1e-38, 3e38, -3e38, 89.0,
                -104.0, np.nan, np.inf, -np.inf],
    "int64": [0, 1, -1, 2, -3, 7, 40, -(2**62), 2**62],
    "int8": [0, 1, -1, 2, -3, 7, 127, -128],
    "uint8": [0, 1, 2, 200, 255],
    "bool": [True, False],
}
# fmt: on


def _unary_cases():
    for name, (ref, dtypes) in UNARY.items():
        for dt in dtypes:
            yield pytest.param(name, ref, dt, id=f"{name}-{dt}")


@pytest.mark.parametrize(("name", "ref", "dtype"), list(_unary_cases()))
def test_unary_matches_numpy_on_edge_values(name, ref, dtype):
    a = np.array(EDGE[dtype], dtype=dtype)
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = np.asarray(rule_ref(name, ref)(a))
    x = var_like(a)
    out = getattr(gt, name)(x)
    assert out.type.dtype == expected.dtype.name
    # log1mexp(-745) is -5e-324, where NumPy's log(-expm1(x)) rounds to 0.
    assert_same(
        ev(out, {x: a}),
        expected,
        atol=float(np.finfo(expected.dtype).tiny) if expected.dtype.kind == "f" else 0,
    )


@pytest.mark.parametrize("name", ["exp", "sin", "sqrt", "sigmoid", "isnan", "neg", "floor"])
@pytest.mark.parametrize("shape", [(), (0,), (2, 0, 3), (1, 1)])
def test_unary_odd_shapes(name, shape):
    ref = UNARY[name][0]
    a = np.linspace(0.1, 2.0, int(np.prod(shape))).reshape(shape)
    x = var_like(a, static=True)
    out = getattr(gt, name)(x)
    assert out.type.shape == shape
    assert_same(ev(out, {x: a}), ref(a))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    hnp.arrays(
        dtype=st.sampled_from([np.float64, np.float32]),
        shape=hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=4),
        elements={"allow_nan": True, "allow_infinity": True, "allow_subnormal": False},
    )
)
def test_unary_random_floats(a):
    x = var_like(a)
    names = [
        "abs",
        "exp",
        "log1p",
        "tanh",
        "sigmoid",
        "softplus",
        "erf",
        "floor",
        "sqrt",
        "arctan",
    ]
    outs = [getattr(gt, n)(x) for n in names]
    results = evaluate(outs, {x: a})
    for n, r in zip(names, results):
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            expected = np.asarray(UNARY[n][0](a))
        # Composite formulas may differ from NumPy's in the last few ulps.
        assert_same(r, expected, rtol=1e-13 if a.dtype == np.float64 else 2e-6)


@pytest.mark.parametrize("dtype", ["int8", "int64"])
def test_round_keeps_integer_dtype_like_numpy(dtype):
    x = gt.vector("x", dtype=dtype)
    assert gt.round(x).type.dtype == np.round(np.zeros(1, dtype)).dtype.name


def test_round_modes():
    a = np.array([-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 0.4999])
    x = var_like(a)
    assert_same(ev(gt.round(x), {x: a}), np.round(a))
    assert_same(ev(gt.round(x, mode="half_away_from_zero"), {x: a}), _round_away(a))
    with pytest.raises(ValueError, match="round mode"):
        gt.round(x, mode="up")


# ---------------------------------------------------------------------------
# Elementwise binary ops
# ---------------------------------------------------------------------------

BINARY = {
    "add": np.add,
    "sub": np.subtract,
    "mul": np.multiply,
    "true_div": np.true_divide,
    "int_div": np.floor_divide,
    "mod": np.remainder,
    "pow": np.power,
    "maximum": np.maximum,
    "minimum": np.minimum,
    "arctan2": np.arctan2,
    "hypot": np.hypot,
    "logaddexp": np.logaddexp,
    "lt": np.less,
    "gt": np.greater,
    "le": np.less_equal,
    "ge": np.greater_equal,
    "eq": np.equal,
    "neq": np.not_equal,
    "and_": np.bitwise_and,
    "or_": np.bitwise_or,
    "xor": np.bitwise_xor,
}
BITWISE = {"and_", "or_", "xor"}
DTYPE_PAIRS = [
    ("float64", "float64"),
    ("float32", "float32"),
    ("float32", "float64"),
    ("int64", "int64"),
    ("int8", "int8"),
    ("int8", "int64"),
    ("uint8", "int8"),
    ("int8", "float32"),
    ("int64", "float32"),
    ("bool", "bool"),
    ("bool", "int8"),
    ("bool", "float64"),
]


def _sample(rng, dtype, shape):
    if dtype == "bool":
        return rng.random(shape) < 0.5
    if np.dtype(dtype).kind == "u":
        return rng.integers(0, 7, size=shape).astype(dtype)
    if np.dtype(dtype).kind == "i":
        return rng.integers(-6, 7, size=shape).astype(dtype)
    v = rng.normal(size=shape) * 3
    if v.size:
        v.flat[0] = 0.0
    return v.astype(dtype)


def _binary_cases():
    for name in BINARY:
        for d1, d2 in DTYPE_PAIRS:
            kinds = np.dtype(d1).kind + np.dtype(d2).kind
            if name in BITWISE and "f" in kinds:
                continue
            yield pytest.param(name, d1, d2, id=f"{name}-{d1}-{d2}")


@pytest.mark.parametrize(("name", "d1", "d2"), list(_binary_cases()))
def test_binary_broadcast_matches_numpy(name, d1, d2):
    rng = np.random.default_rng(zlib.crc32(f"{name}-{d1}-{d2}".encode()))
    ref = rule_ref(name, BINARY[name])
    for sa, sb in [
        ((3, 1), (1, 4)),
        ((), (3,)),
        ((2, 3), ()),
        ((0, 3), (1, 3)),
        ((2, 1, 3), (4, 1)),
    ]:
        a, b = _sample(rng, d1, sa), _sample(rng, d2, sb)
        if name == "pow" and np.dtype(d2).kind in "iu":
            b = np.abs(b)  # NumPy refuses negative integer powers at run time
        x = gt.tensor("x", dtype=d1, shape=tuple(1 if s == 1 else None for s in sa))
        y = gt.tensor("y", dtype=d2, shape=tuple(1 if s == 1 else None for s in sb))
        with np.errstate(all="ignore"):
            try:
                expected = np.asarray(ref(a, b))
            except TypeError:  # e.g. bool - bool: refused when the graph is built
                with pytest.raises(TypeError, match=name):
                    getattr(gt, name)(x, y)
                return
        out = getattr(gt, name)(x, y)
        assert out.type.dtype == expected.dtype.name, (sa, sb)
        assert out.type.ndim == expected.ndim
        assert_same(evaluate([out], {x: a, y: b})[0], expected)


@pytest.mark.parametrize(
    "name", ["true_div", "int_div", "mod", "pow", "maximum", "minimum", "logaddexp", "arctan2"]
)
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_binary_special_values(name, dtype):
    vals = np.array([0.0, -0.0, 1.0, -1.0, 2.5, np.inf, -np.inf, np.nan], dtype=dtype)
    a, b = np.meshgrid(vals, vals)
    x, y = var_like(a, "x"), var_like(b, "y")
    with np.errstate(all="ignore"):
        expected = BINARY[name](a, b)
    assert_same(evaluate([getattr(gt, name)(x, y)], {x: a, y: b})[0], expected)


@pytest.mark.parametrize("dtype", ["int64", "int8", "uint8"])
def test_integer_division_by_zero_like_numpy(dtype):
    a = np.array([5, 0, 3], dtype=dtype)
    b = np.array([0, 0, 2], dtype=dtype)
    x, y = var_like(a, "x"), var_like(b, "y")
    with np.errstate(all="ignore"):
        for name in ["int_div", "mod", "true_div"]:
            expected = rule_ref(name, BINARY[name])(a, b)
            assert_same(evaluate([getattr(gt, name)(x, y)], {x: a, y: b})[0], expected)


def test_python_operators():
    x, y = gt.dvector("x"), gt.dvector("y")
    a, b = np.array([1.5, 2.0, 3.0]), np.array([2.0, 0.5, -4.0])
    cases = [
        (x + y, a + b),
        (x - y, a - b),
        (x * y, a * b),
        (x / y, a / b),
        (x // y, a // b),
        (x % y, a % b),
        (x**y, a**b),
        (-x, -a),
        (abs(y), np.abs(b)),
        (x < y, a < b),
        (x <= y, a <= b),
        (x > y, a > b),
        (x >= y, a >= b),
        (2.0 - x, 2.0 - a),
        (1 / x, 1 / a),
    ]
    for out, expected in cases:
        assert_same(ev(out, {x: a, y: b}), expected)


def test_python_scalars_are_weak():
    xf, x8 = gt.fvector("xf"), gt.bvector("x8")
    assert (xf * 2.0).type.dtype == "float32"
    assert (xf + 1).type.dtype == "float32"
    assert (x8 + 1).type.dtype == "int8"
    assert (x8 + 1.5).type.dtype == np.result_type(np.zeros(1, "int8"), 1.5).name
    assert (x8 * True).type.dtype == "int8"


def test_switch_where_clip_second():
    rng = np.random.default_rng(3)
    c = rng.random((3, 1)) < 0.5
    a, b = rng.normal(size=(1, 4)), rng.normal(size=(3, 4)).astype("float32")
    xc, xa, xb = var_like(c, "c"), var_like(a, "a"), var_like(b, "b")
    g = {xc: c, xa: a, xb: b}
    assert_same(evaluate([gt.switch(xc, xa, xb)], g)[0], np.where(c, a, b))
    assert_same(evaluate([gt.where(xc, xa, xb)], g)[0], np.where(c, a, b))
    assert_same(evaluate([gt.clip(xa, -0.5, 0.5)], g)[0], np.clip(a, -0.5, 0.5))
    sec = gt.second(xb, xa)
    assert_same(evaluate([sec], g)[0], np.broadcast_to(a, (3, 4)).astype(np.result_type(a)))
    with pytest.raises(TypeError):
        gt.where(xc)


def test_broadcast_static_error_names_shapes():
    x = gt.tensor("x", dtype="float64", shape=(2, 3))
    y = gt.tensor("y", dtype="float64", shape=(4, 3))
    with pytest.raises(ValueError, match=r"\(2, 3\).*\(4, 3\)"):
        x + y


# ---------------------------------------------------------------------------
# Reductions
# ---------------------------------------------------------------------------

RED_DTYPES = ["float64", "float32", "int64", "int32", "int8", "uint8", "uint32", "bool"]
REDUCTIONS = {
    "sum": np.sum,
    "prod": np.prod,
    "max": np.max,
    "min": np.min,
    "all": np.all,
    "any": np.any,
    "mean": np.mean,
}


@st.composite
def array_and_axis(draw):
    dtype = draw(st.sampled_from(RED_DTYPES))
    shape = draw(hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=4))
    nd = len(shape)
    axis_kind = draw(st.sampled_from(["none", "int", "tuple"]))
    if axis_kind == "none" or nd == 0:
        axis = None
    elif axis_kind == "int":
        axis = draw(st.integers(-nd, nd - 1))
    else:
        axes = draw(st.lists(st.integers(0, nd - 1), unique=True, min_size=1, max_size=nd))
        axis = tuple(a - nd if draw(st.booleans()) else a for a in axes)
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    return _sample(rng, dtype, shape), axis, draw(st.booleans())


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(array_and_axis())
def test_reductions_match_numpy(case):
    a, axis, keepdims = case
    x = var_like(a)
    for name, ref in REDUCTIONS.items():
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                expected = np.asarray(ref(a, axis=axis, keepdims=keepdims))
            except ValueError:  # e.g. max of an empty axis
                out = getattr(gt, name)(x, axis=axis, keepdims=keepdims)
                with pytest.raises(ValueError):
                    evaluate([out], {x: a})
                continue
        out = getattr(gt, name)(x, axis=axis, keepdims=keepdims)
        assert out.type.dtype == expected.dtype.name, name
        assert out.type.ndim == expected.ndim, name
        assert_same(
            evaluate([out], {x: a})[0], expected, rtol=1e-5 if a.dtype == np.float32 else None
        )


ALL_REAL = [
    "bool",
    "int8",
    "int16",
    "int32",
    "int64",
    "uint8",
    "uint16",
    "uint32",
    "uint64",
    "float16",
    "float32",
    "float64",
]


@pytest.mark.parametrize("dtype", ALL_REAL)
def test_sum_and_prod_dtype_rules(dtype):
    x = gt.matrix("x", dtype=dtype)
    a = np.ones((2, 3), dtype=dtype)
    for name in ("sum", "prod"):
        expected = getattr(np, name)(a, axis=0)
        out = getattr(gt, name)(x, axis=0)
        assert out.type.dtype == expected.dtype.name
        assert_same(evaluate([out], {x: a})[0], expected)
    out = gt.sum(x, dtype="float32")
    assert_same(evaluate([out], {x: a})[0], np.sum(a, dtype="float32"))


def test_integer_sum_does_not_overflow_small_dtype():
    a = np.full(300, 100, dtype="int8")
    x = var_like(a)
    assert_same(evaluate([gt.sum(x)], {x: a})[0], np.sum(a))
    assert int(evaluate([gt.sum(x)], {x: a})[0]) == 30000


@pytest.mark.parametrize("name", ["var", "std"])
@pytest.mark.parametrize("dtype", ["float64", "float32", "int64", "int8", "bool"])
@pytest.mark.parametrize("axis", [None, 0, -1, (0, 2)])
@pytest.mark.parametrize("ddof", [0, 1])
def test_var_std_match_numpy(name, dtype, axis, ddof):
    rng = np.random.default_rng(5)
    a = _sample(rng, dtype, (3, 4, 2))
    x = var_like(a)
    for keepdims in (False, True):
        expected = np.asarray(getattr(np, name)(a, axis=axis, ddof=ddof, keepdims=keepdims))
        out = getattr(gt, name)(x, axis=axis, ddof=ddof, keepdims=keepdims)
        assert out.type.dtype == expected.dtype.name
        assert_same(
            evaluate([out], {x: a})[0], expected, rtol=1e-5 if dtype == "float32" else 1e-12
        )


@pytest.mark.parametrize("dtype", ["float64", "float32", "int8", "int64", "bool"])
def test_mean_dtype_and_dtype_argument(dtype):
    a = np.arange(6).reshape(2, 3).astype(dtype)
    x = var_like(a)
    assert_same(evaluate([gt.mean(x, axis=1)], {x: a})[0], np.mean(a, axis=1))
    assert_same(evaluate([gt.mean(x, dtype="float32")], {x: a})[0], np.mean(a, dtype="float32"))


def test_var_ddof_larger_than_n_like_numpy():
    a = np.array([[1.0, 3.0], [2.0, 2.0]])
    x = var_like(a)
    # NumPy's own warning about its reference value (graft's result comes without one)
    with np.errstate(all="ignore"), pytest.warns(RuntimeWarning, match="Degrees of freedom"):
        expected = np.var(a, axis=1, ddof=3)
    assert_same(evaluate([gt.var(x, axis=1, ddof=3)], {x: a})[0], expected)


def test_float16_mean_accumulates_in_float32():
    a = np.full(10000, 10, dtype="float16")  # the float16 sum overflows
    x = var_like(a)
    assert_same(evaluate([gt.mean(x)], {x: a})[0], np.mean(a))


def test_reduction_axis_errors():
    x = gt.dmatrix("x")
    with pytest.raises(ValueError, match="out of range"):
        gt.sum(x, axis=2)
    with pytest.raises(ValueError, match="out of range"):
        gt.max(x, axis=-3)
    with pytest.raises(ValueError, match="repeated"):
        gt.sum(x, axis=(0, -2))


@pytest.mark.parametrize("name", ["argmax", "argmin"])
@pytest.mark.parametrize("dtype", ["float64", "float32", "int64", "int8", "uint8", "bool"])
@pytest.mark.parametrize("axis", [None, 0, 1, -1])
@pytest.mark.parametrize("keepdims", [False, True])
def test_argmax_argmin(name, dtype, axis, keepdims):
    rng = np.random.default_rng(7)
    a = _sample(rng, dtype, (3, 4))
    x = var_like(a)
    expected = np.asarray(getattr(np, name)(a, axis=axis, keepdims=keepdims))
    out = getattr(gt, name)(x, axis=axis, keepdims=keepdims)
    assert out.type.dtype == "int64"
    assert_same(evaluate([out], {x: a})[0], expected)


def test_argmax_ties_nan_and_errors():
    a = np.array([[1.0, 3.0, 3.0], [np.nan, 0.0, np.nan]])
    x = var_like(a)
    assert_same(evaluate([gt.argmax(x, axis=1)], {x: a})[0], np.argmax(a, axis=1))
    assert_same(evaluate([gt.argmin(x, axis=1)], {x: a})[0], np.argmin(a, axis=1))
    with pytest.raises(TypeError):
        gt.argmax(x, axis=(0, 1))
    with pytest.raises(ValueError):
        gt.argmax(x, axis=2)
    with pytest.raises(ValueError):
        evaluate([gt.argmax(x, axis=1)], {x: np.zeros((2, 0))})


def _ref_max_and_argmax(a, axis, keepdims):
    """NumPy: max, and argmax over ``axis`` (several axes merged in C order after the others)."""
    axis = tuple(axis) if isinstance(axis, list) else axis
    m = np.max(a, axis=axis, keepdims=keepdims)
    if axis is None or isinstance(axis, int):
        return m, np.argmax(a, axis=axis, keepdims=keepdims)
    ax = sorted(d % a.ndim for d in axis)
    kept = [d for d in range(a.ndim) if d not in ax]
    moved = np.transpose(a, kept + ax).reshape([a.shape[d] for d in kept] + [-1])
    am = np.argmax(moved, axis=-1)
    if keepdims:
        am = np.expand_dims(am, tuple(ax))
    return m, am


@pytest.mark.parametrize("dtype", ["float64", "float32", "int64", "int8", "uint8", "bool"])
@pytest.mark.parametrize("axis", [None, 0, -1, (0, 2), (1, 2), (0, 1, 2), [2, 0]])
@pytest.mark.parametrize("keepdims", [False, True])
def test_max_and_argmax(dtype, axis, keepdims):
    rng = np.random.default_rng(3)
    a = _sample(rng, dtype, (2, 3, 4))
    a = np.asfortranarray(a)  # non-contiguous in C order
    x = var_like(a)
    m, am = gt.max_and_argmax(x, axis=axis, keepdims=keepdims)
    em, eam = _ref_max_and_argmax(a, axis, keepdims)
    assert m.type.dtype == em.dtype.name and am.type.dtype == "int64"
    assert m.type.ndim == em.ndim and am.type.ndim == eam.ndim
    got_m, got_am = evaluate([m, am], {x: a})
    assert_same(got_m, em)
    assert_same(got_am, eam)
    check_infer_shape([m, am], {x: a})


def test_max_and_argmax_static_shapes_nan_and_errors():
    x = gt.tensor("x", dtype="float64", shape=(2, 3, 4))
    m, am = gt.max_and_argmax(x, axis=(0, 2))
    assert m.type.shape == (3,) and am.type.shape == (3,)
    m, am = gt.max_and_argmax(x, axis=1, keepdims=True)
    assert m.type.shape == (2, 1, 4) and am.type.shape == (2, 1, 4)
    s = gt.dscalar("s")
    m, am = gt.max_and_argmax(s)
    assert evaluate([m, am], {s: np.float64(-2.5)}) == [-2.5, 0]
    a = np.array([[1.0, np.nan, 3.0], [-np.inf, -np.inf, 2.0], [np.inf, 5.0, np.inf]])
    y = var_like(a)
    m, am = gt.max_and_argmax(y, axis=1)
    with np.errstate(invalid="ignore"):
        assert_same(evaluate([m], {y: a})[0], np.max(a, axis=1))
    assert_same(evaluate([am], {y: a})[0], np.argmax(a, axis=1))
    with pytest.raises(ValueError, match="out of range"):
        gt.max_and_argmax(y, axis=2)
    with pytest.raises(ValueError, match="repeated"):
        gt.max_and_argmax(y, axis=(0, -2))
    for bad in (1.0, (0, 0.5), "1"):
        with pytest.raises(TypeError, match="axis must be"):
            gt.max_and_argmax(y, axis=bad)
    with pytest.raises(ValueError):
        evaluate(gt.max_and_argmax(y, axis=1), {y: np.zeros((2, 0))})


def test_max_and_argmax_gradients():
    rng = np.random.default_rng(5)
    a = rng.permutation(24).reshape(2, 3, 4).astype("float64")  # no ties
    for axis in (None, 1, (0, 2)):
        check_grad(lambda t, axis=axis: gt.max_and_argmax(t, axis=axis)[0], [a])
    x = gt.dmatrix("x")
    m, am = gt.max_and_argmax(x, axis=0)
    # the argmax is piecewise constant: not connected to x for gradients
    with pytest.raises(DisconnectedInputError):
        grad(gt.sum(am * 1.0), [x])
    (g,) = grad(gt.sum(m) + gt.sum(am * 2.0), [x])
    b = np.array([[1.0, 5.0], [3.0, 2.0]])
    np.testing.assert_array_equal(evaluate([g], {x: b})[0], [[0.0, 1.0], [1.0, 0.0]])
    m32, _ = gt.max_and_argmax(gt.fmatrix("f"), axis=1)
    assert m32.type.dtype == "float32"


# ---------------------------------------------------------------------------
# Bitwise ops (NumPy's names are the same Elemwise as and_, or_, xor, invert)
# ---------------------------------------------------------------------------

BITWISE_NP = {
    "bitwise_and": np.bitwise_and,
    "bitwise_or": np.bitwise_or,
    "bitwise_xor": np.bitwise_xor,
}


def test_bitwise_names_alias_the_logic_ops():
    assert gt.bitwise_and is gt.and_ and gt.bitwise_or is gt.or_ and gt.bitwise_xor is gt.xor
    assert gt.bitwise_not is gt.invert
    assert gt.expit is gt.sigmoid and gt.log1pexp is gt.softplus


@pytest.mark.parametrize("name", sorted(BITWISE_NP))
@pytest.mark.parametrize(
    "dtypes",
    [
        ("int8", "int8"),
        ("uint8", "uint8"),
        ("int64", "int8"),
        ("bool", "bool"),
        ("bool", "uint8"),
        ("uint64", "uint64"),
    ],
)
def test_bitwise_binary_match_numpy(name, dtypes):
    vals = {
        "int8": np.array([0, 1, -1, 85, -128, 127], "int8"),
        "uint8": np.array([0, 1, 170, 255], "uint8"),
        "int64": np.array([0, -1, 2**62 + 5, -(2**63)], "int64"),
        "uint64": np.array([0, 2**64 - 1, 2**63], "uint64"),
        "bool": np.array([False, True]),
    }
    a, b = np.meshgrid(vals[dtypes[0]], vals[dtypes[1]])
    x, y = var_like(a, "x"), var_like(b, "y")
    out = getattr(gt, name)(x, y)
    expected = BITWISE_NP[name](a, b)
    assert out.type.dtype == expected.dtype.name
    assert_same(ev(out, {x: a, y: b}), expected)
    # also 0-d and empty inputs
    z = gt.tensor("z", dtype=dtypes[0], shape=(None,))
    assert_same(
        ev(getattr(gt, name)(z, y[0, 0]), {z: a[0, :0], y: b}), BITWISE_NP[name](a[0, :0], b[0, 0])
    )


@pytest.mark.parametrize("dtype", ["int8", "uint8", "int64", "uint64", "bool"])
def test_bitwise_not_matches_numpy(dtype):
    a = np.array([0, 1, 2, 100], dtype=dtype) if dtype != "bool" else np.array([True, False])
    x = var_like(a)
    assert_same(ev(gt.bitwise_not(x), {x: a}), np.bitwise_not(a))
    assert_same(ev(~x, {x: a}), ~a)


def test_bitwise_errors_and_gradients():
    f, i = gt.dvector("f"), gt.bvector("i")
    for name in (*BITWISE_NP, "bitwise_not"):
        args = (f,) if name == "bitwise_not" else (f, i)
        with pytest.raises(TypeError, match=r"float64"):
            getattr(gt, name)(*args)
    # discrete: zero gradients, never an error
    j = gt.bvector("j")
    cost = gt.sum(gt.bitwise_and(i, j) * f)
    gi, gf = grad(cost, [i, f])
    iv, jv, fv = np.array([3, 5], "int8"), np.array([6, 7], "int8"), np.array([1.0, 2.0])
    vi, vf = evaluate([gi, gf], {i: iv, j: jv, f: fv})
    np.testing.assert_array_equal(vi, [0, 0])
    np.testing.assert_array_equal(vf, iv & jv)


# ---------------------------------------------------------------------------
# Products
# ---------------------------------------------------------------------------

PRODUCT_SHAPES = [
    ((3,), (3,)),
    ((2, 3), (3,)),
    ((3,), (3, 4)),
    ((2, 3), (3, 4)),
    ((0, 3), (3, 2)),
    ((2, 0), (0, 3)),
    ((), (3,)),
    ((2, 3), ()),
]
MATMUL_SHAPES = [
    ((2, 2, 3), (3, 4)),
    ((2, 3), (5, 3, 4)),
    ((2, 2, 3), (2, 3, 4)),
    ((1, 2, 3), (5, 3, 4)),
    ((3,), (2, 3, 4)),
    ((2, 3, 4), (4,)),
    ((2, 1, 2, 3), (4, 3, 5)),
]
PRODUCT_DTYPES = [
    ("float64", "float64"),
    ("float32", "float32"),
    ("float32", "float64"),
    ("int8", "int8"),
    ("int8", "int64"),
    ("bool", "bool"),
    ("float32", "int64"),
]


@pytest.mark.parametrize(("sa", "sb"), PRODUCT_SHAPES)
@pytest.mark.parametrize(("d1", "d2"), PRODUCT_DTYPES)
@pytest.mark.parametrize("static", [False, True])
def test_dot_matches_numpy(sa, sb, d1, d2, static):
    rng = np.random.default_rng(11)
    a, b = _sample(rng, d1, sa), _sample(rng, d2, sb)
    x, y = var_like(a, "x", static), var_like(b, "y", static)
    expected = np.asarray(np.dot(a, b))
    out = gt.dot(x, y)
    assert out.type.dtype == expected.dtype.name
    if static:
        assert out.type.shape == expected.shape
    assert_same(evaluate([out], {x: a, y: b})[0], expected)


@pytest.mark.parametrize(("sa", "sb"), PRODUCT_SHAPES[:6] + MATMUL_SHAPES)
@pytest.mark.parametrize(("d1", "d2"), PRODUCT_DTYPES[:5])
@pytest.mark.parametrize("static", [False, True])
def test_matmul_matches_numpy(sa, sb, d1, d2, static):
    rng = np.random.default_rng(12)
    a, b = _sample(rng, d1, sa), _sample(rng, d2, sb)
    x, y = var_like(a, "x", static), var_like(b, "y", static)
    expected = np.matmul(a, b)
    for out in (gt.matmul(x, y), x @ y):
        assert out.type.dtype == expected.dtype.name
        if static:
            assert out.type.shape == expected.shape
        assert_same(evaluate([out], {x: a, y: b})[0], expected)


@pytest.mark.parametrize(("sa", "sb"), [((2, 2, 3), (3, 4)), ((2, 3, 4), (4,))])
def test_dot_of_higher_rank_with_matrix_or_vector(sa, sb):
    rng = np.random.default_rng(13)
    a, b = rng.normal(size=sa), rng.normal(size=sb)
    x, y = var_like(a, "x"), var_like(b, "y")
    assert_same(evaluate([gt.dot(x, y)], {x: a, y: b})[0], np.dot(a, b))


@needs_join
@pytest.mark.parametrize(("sa", "sb"), [((2, 3), (5, 3, 4)), ((2, 2, 3), (4, 3, 5))])
def test_dot_with_higher_rank_right_operand(sa, sb):
    rng = np.random.default_rng(14)
    a, b = rng.normal(size=sa), rng.normal(size=sb)
    x, y = var_like(a, "x"), var_like(b, "y")
    assert_same(evaluate([gt.dot(x, y)], {x: a, y: b})[0], np.dot(a, b))


@needs_join
@pytest.mark.parametrize(
    ("sa", "sb", "axes"),
    [
        ((2, 3, 4), (3, 4, 5), 2),
        ((2, 3, 4), (4, 3, 5), [[1, 2], [1, 0]]),
        ((2, 3), (3, 2), 1),
        ((2, 3), (2, 3), 0),
        ((3, 4), (4,), [[1], [0]]),
        ((2, 3, 4), (4, 5), [-1, 0]),
    ],
)
def test_tensordot_matches_numpy(sa, sb, axes):
    rng = np.random.default_rng(15)
    a, b = rng.normal(size=sa), rng.normal(size=sb)
    x, y = var_like(a, "x"), var_like(b, "y")
    assert_same(evaluate([gt.tensordot(x, y, axes)], {x: a, y: b})[0], np.tensordot(a, b, axes))


def test_outer():
    rng = np.random.default_rng(16)
    a, b, m = rng.normal(size=3), rng.normal(size=4).astype("float32"), rng.normal(size=(2, 2))
    x, y, z = var_like(a, "x"), var_like(b, "y"), var_like(m, "z")
    assert_same(evaluate([gt.outer(x, y)], {x: a, y: b})[0], np.outer(a, b))
    assert_same(evaluate([gt.outer(z, x)], {z: m, x: a})[0], np.outer(m, a))


@pytest.mark.parametrize(
    ("sa", "sb"),
    [((2, 3), (4, 5)), ((3,), (4,)), ((2, 3), (4,)), ((4,), (3, 2)), ((2, 3, 4), (5, 6))],
)
def test_product_static_shape_errors_name_the_shapes(sa, sb):
    x, y = gt.constant(np.zeros(sa)), gt.constant(np.zeros(sb))
    for fn in (gt.dot, gt.matmul):
        with pytest.raises(ValueError) as info:
            fn(x, y)
        msg = str(info.value)
        assert str(sa) in msg and str(sb) in msg, msg


def test_product_rank_errors():
    x3, s = gt.dtensor3("x3"), gt.dscalar("s")
    with pytest.raises(TypeError):
        gt.matmul(s, gt.dvector("v"))
    with pytest.raises(TypeError):
        gt.Dot()(x3, gt.dmatrix("m"))
    with pytest.raises(ValueError, match="broadcast"):
        gt.matmul(
            gt.tensor("a", dtype="float64", shape=(2, 3, 4)),
            gt.tensor("b", dtype="float64", shape=(3, 4, 5)),
        )


# ---------------------------------------------------------------------------
# infer_shape
# ---------------------------------------------------------------------------


def _shape_graphs():
    x = gt.dmatrix("x")
    y = gt.tensor("y", dtype="float64", shape=(1, None))
    c = gt.tensor("c", dtype="float64", shape=(None, 1))
    v = gt.dvector("v")
    t = gt.dtensor3("t")
    xv = np.arange(12.0).reshape(3, 4) + 1
    yv = np.arange(4.0).reshape(1, 4)
    cv = np.arange(3.0).reshape(3, 1)
    vv = np.arange(4.0)
    tv = np.arange(24.0).reshape(2, 3, 4)
    g = {x: xv, y: yv, c: cv, v: vv, t: tv}
    return [
        ("elemwise", [gt.exp(x) + y, c * y, gt.switch(gt.gt(c, 1), y, c), x + 1.0], g),
        (
            "reductions",
            [
                gt.sum(x, axis=0),
                gt.max(t, axis=(0, 2)),
                gt.prod(t),
                gt.all(x, axis=-1, keepdims=True),
            ],
            g,
        ),
        ("stats", [gt.mean(t, axis=1), gt.var(x, axis=0, ddof=1), gt.std(t, keepdims=True)], g),
        ("arg", [gt.argmax(t, axis=1), gt.argmin(x), gt.argmax(x, axis=0, keepdims=True)], g),
        (
            "products",
            [
                gt.dot(x, v),
                gt.dot(v, x.T),
                gt.dot(x.T, x),
                gt.dot(v, v),
                gt.matmul(t, x.T),
                gt.outer(v, v),
            ],
            g,
        ),
        ("dimshuffle", [x.T, t.dimshuffle(2, "x", 0, 1), gt.squeeze(y)], g),
    ]


@pytest.mark.parametrize(
    ("name", "outs", "givens"), _shape_graphs(), ids=lambda p: p if isinstance(p, str) else ""
)
def test_infer_shape_matches_computed(name, outs, givens):
    check_infer_shape(
        outs, {k: v for k, v in givens.items() if any(k in graph_inputs([o]) for o in outs)}
    )


def test_infer_shape_with_empty_and_broadcast_inputs():
    x = gt.dmatrix("x")
    y = gt.tensor("y", dtype="float64", shape=(1, None))
    outs = [x * y, gt.sum(x, axis=1), gt.dot(x, x.T)]
    check_infer_shape(outs, {x: np.zeros((0, 3)), y: np.ones((1, 3))})


# ---------------------------------------------------------------------------
# Gradients vs finite differences
# ---------------------------------------------------------------------------

# name: (low, high) of a domain where the op is smooth.
# fmt: off
UNARY_GRAD_DOMAINS = {
    "neg": (-2, 2), "sqr": (-2, 2), "reciprocal": (0.5, 2), "exp": (-2, 2), "exp2": (-2, 2),
    "expm1": (-2, 2), "log": (0.2, 3), "log2": (0.2, 3), "log10": (0.2, 3), "log1p": (-0.5, 3),
    "sqrt": (0.2, 3), "cbrt": (0.2, 3), "sin": (-3, 3), "cos": (-3, 3), "tan": (-1.2, 1.2),
    "arcsin": (-0.9, 0.9), "arccos": (-0.9, 0.9), "arctan": (-3, 3), "sinh": (-2, 2),
    "cosh": (-2, 2), "tanh": (-2, 2), "arcsinh": (-3, 3), "arccosh": (1.2, 3),
    "arctanh": (-0.9, 0.9), "deg2rad": (-3, 3), "rad2deg": (-3, 3), "erf": (-2, 2),
    "erfc": (-2, 2), "erfcx": (-2, 2), "erfinv": (-0.9, 0.9), "erfcinv": (0.2, 1.8),
    "gamma": (0.5, 3), "gammaln": (0.5, 3), "psi": (0.5, 3), "tri_gamma": (0.5, 3),
    "sigmoid": (-4, 4), "softplus": (-4, 4), "log1mexp": (-3, -0.1), "abs": (0.2, 2),
    "sign": (0.2, 2), "identity": (-2, 2),
}
# fmt: on


@pytest.mark.parametrize("name", sorted(UNARY_GRAD_DOMAINS))
def test_unary_gradient(name):
    lo, hi = UNARY_GRAD_DOMAINS[name]
    rng = np.random.default_rng(abs(hash(name)) % 2**32)
    a = rng.uniform(lo, hi, size=(2, 3))
    if name in ("abs", "sign"):
        a *= rng.choice([-1, 1], size=a.shape)
    check_grad(getattr(gt, name), [a], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize(
    "name", ["floor", "ceil", "trunc", "round_half_to_even", "round_half_away_from_zero"]
)
def test_piecewise_constant_ops_have_zero_gradient(name):
    a = np.array([0.3, -1.7, 2.2])
    check_grad(getattr(gt, name), [a])


BINARY_GRAD = {
    "add": ((-2, 2), (-2, 2)),
    "sub": ((-2, 2), (-2, 2)),
    "mul": ((-2, 2), (-2, 2)),
    "true_div": ((-2, 2), (0.5, 2)),
    "pow": ((0.5, 2), (-2, 2)),
    "mod": ((0.1, 0.9), (1.2, 2)),
    "int_div": ((0.1, 0.9), (1.2, 2)),
    "maximum": ((-2, -1), (1, 2)),
    "minimum": ((-2, -1), (1, 2)),
    "arctan2": ((-2, 2), (0.5, 2)),
    "hypot": ((0.5, 2), (-2, -0.5)),
    "logaddexp": ((-3, 3), (-3, 3)),
    "second": ((-2, 2), (-2, 2)),
}


@pytest.mark.parametrize("name", sorted(BINARY_GRAD))
@pytest.mark.parametrize(("sa", "sb"), [((3, 1), (1, 4)), ((2, 3), (2, 3)), ((), (3,))])
def test_binary_gradient_with_broadcasting(name, sa, sb):
    (la, ha), (lb, hb) = BINARY_GRAD[name]
    rng = np.random.default_rng(abs(hash((name, sa))) % 2**32)
    a, b = rng.uniform(la, ha, size=sa), rng.uniform(lb, hb, size=sb)
    check_grad(getattr(gt, name), [a, b])


def test_switch_and_polygamma_gradients():
    rng = np.random.default_rng(17)
    cond = gt.constant(np.array([[True], [False], [True]]))
    check_grad(
        lambda a, b: gt.switch(cond, a, b), [rng.normal(size=(1, 4)), rng.normal(size=(3, 4))]
    )
    check_grad(lambda x: gt.polygamma(1, x), [rng.uniform(0.5, 3, size=4)])
    check_grad(lambda x: gt.clip(x, -0.5, 0.5), [np.array([-1.0, -0.2, 0.3, 0.9])])


def test_gradient_keeps_float32():
    x = gt.fmatrix("x")
    for out in (gt.exp(x) * 2.0, gt.sum(x, axis=0), gt.dot(x, x.T), gt.sigmoid(x) / (x + 3)):
        (g,) = grad(gt.sum(out), [x])
        assert g.type.dtype == "float32", out


@pytest.mark.parametrize("name", ["sum", "prod", "max", "min", "mean"])
@pytest.mark.parametrize("axis", [None, 0, -1, (0, 2)])
@pytest.mark.parametrize("keepdims", [False, True])
def test_reduction_gradients(name, axis, keepdims):
    rng = np.random.default_rng(19)
    a = rng.uniform(0.5, 2.0, size=(2, 3, 2)) * rng.choice([-1, 1], size=(2, 3, 2))
    check_grad(lambda x: getattr(gt, name)(x, axis=axis, keepdims=keepdims), [a])


def test_prod_gradient_with_zeros():
    a = np.array([[0.0, 2.0, 3.0], [0.0, 0.0, 4.0], [1.5, -2.0, 0.5]])
    for axis in (None, 0, 1):
        check_grad(lambda x, axis=axis: gt.prod(x, axis=axis), [a])


@pytest.mark.parametrize("name", ["var", "std"])
@pytest.mark.parametrize("axis", [None, 1, (0, 1)])
@pytest.mark.parametrize("ddof", [0, 1])
def test_var_std_gradients(name, axis, ddof):
    rng = np.random.default_rng(23)
    check_grad(lambda x: getattr(gt, name)(x, axis=axis, ddof=ddof), [rng.normal(size=(3, 4))])


@pytest.mark.parametrize(("sa", "sb"), PRODUCT_SHAPES[:4] + [((), (3,))])
def test_dot_gradients(sa, sb):
    rng = np.random.default_rng(29)
    check_grad(gt.dot, [rng.normal(size=sa), rng.normal(size=sb)])


@pytest.mark.parametrize(("sa", "sb"), MATMUL_SHAPES)
def test_matmul_gradients(sa, sb):
    rng = np.random.default_rng(31)
    check_grad(gt.matmul, [rng.normal(size=sa), rng.normal(size=sb)])


def test_outer_gradient():
    rng = np.random.default_rng(37)
    check_grad(gt.outer, [rng.normal(size=3), rng.normal(size=4)])


@needs_join
def test_tensordot_gradient():
    rng = np.random.default_rng(41)
    check_grad(
        lambda a, b: gt.tensordot(a, b, [[1, 2], [1, 0]]),
        [rng.normal(size=(2, 3, 4)), rng.normal(size=(4, 3, 2))],
    )


def test_every_elementwise_op_is_covered():
    from graft.tensor.math import _elemwise_names

    covered = set(UNARY) | set(BINARY) | {"abs_", "identity", "second", "switch", "polygamma"}
    # tested in test_tensor_special
    covered |= {"xlogx", "xlogy0", "gammainc", "gammaincc", "gammaincinv", "gammainccinv"}
    covered |= {"gammainc_grad"}
    assert set(_elemwise_names) - covered == set()
