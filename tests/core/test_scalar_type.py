"""ScalarType, ScalarVariable, ScalarConstant and the conversion helpers."""

import copy
import pickle
import re

import numpy as np
import pytest
from helpers import evaluate
from hypothesis import given
from hypothesis import strategies as st

import graft.scalar as gs
from graft.graph.basic import Constant, Variable
from graft.scalar import (
    ScalarConstant,
    ScalarType,
    ScalarVariable,
    add,
    as_scalar,
    constant,
    float32,
    float64,
    get_scalar_type,
    int8,
    int64,
    mul,
    true_div,
    uint64,
    upcast,
)

ALL = [
    "float64",
    "float32",
    "float16",
    "int64",
    "int32",
    "int16",
    "int8",
    "uint64",
    "uint32",
    "uint16",
    "uint8",
    "bool",
    "complex64",
    "complex128",
]


# ---------------------------------------------------------------------------
# Types
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", ALL)
def test_instances(dtype):
    name = "bool_" if dtype == "bool" else dtype
    t = getattr(gs, name)
    assert isinstance(t, ScalarType)
    assert t.dtype == dtype and str(t) == dtype and repr(t) == dtype
    assert t == ScalarType(dtype) and hash(t) == hash(ScalarType(dtype))
    assert get_scalar_type(dtype) is t
    assert get_scalar_type(np.dtype(dtype)) is t
    assert get_scalar_type(np.dtype(dtype).type) is t
    assert get_scalar_type(t) is t
    v = t("v")
    assert isinstance(v, ScalarVariable) and v.name == "v" and v.type is t
    assert str(v) == "v"


def test_bool_and_abs_exported_like_aesara():
    assert gs.bool is gs.bool_ and gs.bool.dtype == "bool"
    assert gs.abs is gs.abs_
    assert gs.basic.bool is gs.bool_ and gs.basic.abs is gs.abs_
    assert "bool" not in gs.__all__ and "abs" not in gs.__all__
    ns = {}
    exec("from graft.scalar import *", ns)
    assert "float64" in ns and "add" in ns and "bool" not in ns


def test_type_props_and_errors():
    assert ScalarType("float") == float64
    assert ScalarType(np.int8) == int8
    assert float64 != float32
    assert float64.clone(dtype="float32") == float32
    for bad in ["float128", "str", None, "foo", object]:
        with pytest.raises(TypeError, match="unsupported scalar dtype"):
            ScalarType(bad)
    assert float64.ndim == 0 and float64.shape == () and float64.broadcastable == ()


def test_type_pickle_copy():
    assert pickle.loads(pickle.dumps(float32)) is float32
    assert copy.deepcopy(int8) == int8


def test_filter_exact_dtype():
    for dtype in ALL:
        t = get_scalar_type(dtype)
        v = np.dtype(dtype).type(1)
        out = t.filter(v, strict=True)
        assert type(out) is np.dtype(dtype).type and out == 1
        out0d = t.filter(np.array(1, dtype=dtype))
        assert type(out0d) is np.dtype(dtype).type


@pytest.mark.parametrize(
    "value, dtype, expected",
    [
        (1, "int8", np.int8(1)),
        (-128, "int8", np.int8(-128)),
        (255, "uint8", np.uint8(255)),
        (2**64 - 1, "uint64", np.uint64(2**64 - 1)),
        (3.0, "int64", np.int64(3)),
        (True, "float32", np.float32(1)),
        (True, "int8", np.int8(1)),
        (1, "bool", np.True_),
        (0, "bool", np.False_),
        (0.1, "float32", np.float32(0.1)),
        (3, "float16", np.float16(3)),
        (2.5, "float64", np.float64(2.5)),
        (1 + 2j, "complex64", np.complex64(1 + 2j)),
        (float("nan"), "float32", np.float32("nan")),
        (float("inf"), "float16", np.float16("inf")),
        (np.int8(5), "int64", np.int64(5)),
        (np.float32(0.5), "float64", np.float64(0.5)),
        (np.bool_(True), "uint8", np.uint8(1)),
        (np.int32(7), "float64", np.float64(7)),
    ],
)
def test_filter_accepts(value, dtype, expected):
    out = get_scalar_type(dtype).filter(value)
    assert type(out) is type(expected)
    np.testing.assert_equal(out, expected)


@pytest.mark.parametrize(
    "value, dtype, words",
    [
        (1.5, "int64", ["1.5", "int64"]),
        (300, "int8", ["300", "int8"]),
        (-1, "uint8", ["-1", "uint8"]),
        (2, "bool", ["2", "bool"]),
        (2**64, "uint64", ["18446744073709551616", "uint64"]),
        (1e300, "float32", ["1e+300", "float32"]),
        (1e300, "complex64", ["1e+300", "complex64"]),
        (10**400, "float64", ["float64"]),
        (1j, "float64", ["1j", "float64"]),
        (np.float64(0.5), "float32", ["0.5", "float32", "allow_downcast"]),
        (np.array(0.5), "float32", ["0.5", "float32"]),
        (np.int64(3), "int8", ["3", "int8"]),
        (np.float64(1.0), "int64", ["1.0", "int64"]),
        (np.int64(1), "bool", ["1", "bool"]),
        (np.uint64(1), "int64", ["1", "int64"]),
        (np.complex128(1), "float64", ["float64"]),
        ("1", "float64", ["'1'", "float64"]),
        (None, "int64", ["None", "int64"]),
        ([1], "int64", ["[1]", "int64"]),
        (np.arange(3), "int64", ["shape (3,)", "int64"]),
    ],
)
def test_filter_refuses(value, dtype, words):
    with pytest.raises(TypeError) as info:
        get_scalar_type(dtype).filter(value)
    msg = str(info.value)
    for w in words:
        assert w in msg, (w, msg)


def test_filter_strict():
    assert float64.filter(np.float64(2.0), strict=True) == 2.0
    with pytest.raises(TypeError, match="float64"):
        float64.filter(2.0, strict=True)
    with pytest.raises(TypeError, match="float32"):
        float64.filter(np.float32(2.0), strict=True)


def test_filter_allow_downcast():
    assert float32.filter(np.float64(0.1), allow_downcast=True) == np.float32(0.1)
    assert type(float32.filter(np.array(0.1), allow_downcast=True)) is np.float32
    assert int64.filter(1.5, allow_downcast=True) == 1
    assert int8.filter(np.int64(3), allow_downcast=True) == np.int8(3)
    with pytest.raises(TypeError, match="int64"):
        int64.filter(2**70, allow_downcast=True)


@given(st.integers(min_value=-(2**70), max_value=2**70), st.sampled_from(ALL[3:11]))
def test_filter_python_ints_property(value, dtype):
    info = np.iinfo(dtype)
    t = get_scalar_type(dtype)
    if info.min <= value <= info.max:
        out = t.filter(value)
        assert type(out) is np.dtype(dtype).type and int(out) == value
    else:
        with pytest.raises(TypeError, match=dtype):
            t.filter(value)


@given(st.floats(allow_nan=True, allow_infinity=True))
def test_filter_python_floats_property(value):
    with np.errstate(over="ignore"):
        rounded = np.float32(value)
    if np.isfinite(value) and not np.isfinite(rounded):
        with pytest.raises(TypeError, match="overflow"):
            float32.filter(value)
    else:
        np.testing.assert_equal(float32.filter(value), rounded)
    if np.isfinite(value) and value.is_integer() and abs(value) < 2**62:
        assert int64.filter(value) == int(value)
    elif not (np.isfinite(value) and value.is_integer()):
        with pytest.raises(TypeError, match="int64"):
            int64.filter(value)


def test_is_valid_value_and_values_eq():
    assert float64.is_valid_value(np.float64(1.0))
    assert not float64.is_valid_value(1.0)  # strict by default
    assert float64.values_eq(np.float64("nan"), np.float64("nan"))
    assert not float64.values_eq(1.0, 1.0 + 1e-12)
    assert float64.values_eq_approx(1.0, 1.0 + 1e-12)
    assert float64.values_eq_approx(np.nan, np.nan)
    assert float64.values_eq_approx(np.inf, np.inf)
    assert not float64.values_eq_approx(np.inf, -np.inf)
    assert not float64.values_eq_approx(np.nan, 1.0)
    assert float32.values_eq_approx(np.float32(1.0), np.float32(1.0 + 1e-6))
    assert not float32.values_eq_approx(np.float32(1.0), np.float32(1.001))
    assert gs.float16.values_eq_approx(np.float16(1.0), np.float16(1.001))
    assert not int64.values_eq_approx(1, 2)
    assert int64.values_eq_approx(2, 2)


def test_convert_and_filter_variable():
    x = float64("x")
    assert float64.filter_variable(x) is x
    assert float64.convert_variable(x) is x
    assert float32.convert_variable(x) is None
    with pytest.raises(TypeError, match="float32"):
        float32.filter_variable(x)
    c = float32.filter_variable(0.5)
    assert isinstance(c, ScalarConstant) and c.type == float32


# ---------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------


def test_upcast():
    assert upcast("int8", "float32") == "float32"
    assert upcast("int64", "uint64") == "float64"
    assert upcast("bool", "bool") == "bool"
    assert upcast(float32, np.int16) == "float32"
    assert upcast("float16") == "float16"
    with pytest.raises(TypeError):
        upcast()


@pytest.mark.parametrize(
    "value, dtype",
    [
        (1, "int64"),
        (2**63, "uint64"),
        (1.5, "float64"),
        (True, "bool"),
        (1j, "complex128"),
        (np.float32(1), "float32"),
        (np.int8(3), "int8"),
        (np.array(2, dtype="uint16"), "uint16"),
    ],
)
def test_as_scalar_numbers(value, dtype):
    c = as_scalar(value, name="c")
    assert isinstance(c, ScalarConstant) and c.type.dtype == dtype and c.name == "c"
    assert type(c.data) is np.dtype(dtype).type


def test_as_scalar_variables_and_errors():
    x = float64("x")
    assert as_scalar(x) is x
    node = add(x, x).owner
    assert as_scalar(node) is node.outputs[0]
    for bad in ["a", None, np.arange(2), 2**64, np.float128(1), object()]:
        with pytest.raises(TypeError):
            as_scalar(bad)
    from graft.graph.type import Type

    class Other(Type):
        def filter(self, data, strict=False, allow_downcast=None):
            return data

    with pytest.raises(TypeError, match="as a scalar"):
        as_scalar(Other()("o"))


def test_as_scalar_hook():
    from graft.graph.type import Type

    class ZeroD(Type):
        def filter(self, data, strict=False, allow_downcast=None):
            return data

    class ZeroDVariable(Variable):
        __slots__ = ()

        def _as_scalar_variable(self):
            return float64("converted")

    v = ZeroDVariable(ZeroD())
    assert str(as_scalar(v)) == "converted"


def test_constant():
    c = constant(1.5, "float32")
    assert c.type == float32 and type(c.data) is np.float32
    assert constant(3).type == int64
    assert constant(2, dtype="float64").data == 2.0
    assert constant(np.float64(1.0), "float32").data == np.float32(1.0)  # lossless
    assert np.isnan(constant(np.float64("nan"), "float16").data)
    with pytest.raises(TypeError, match="int64"):
        constant(0.5, "int64")
    with pytest.raises(TypeError, match="float32"):
        constant(np.float64(0.1), "float32")
    with pytest.raises(TypeError, match="int8"):
        constant(300, "int8")
    with pytest.raises(TypeError):
        constant(float64("x"))


def test_constant_signature_and_merge_equality():
    assert constant(np.nan).equals(constant(float("nan")))
    assert hash(constant(np.nan).signature()) == hash(constant(np.nan).signature())
    assert constant(1.0).equals(constant(1.0))
    assert not constant(1.0).equals(constant(1.0, "float32"))
    assert not constant(0.0).equals(constant(-0.0))
    assert not constant(1).equals(constant(2))
    assert constant(complex(np.nan, 1)).equals(constant(complex(np.nan, 1)))
    assert not constant(complex(np.nan, 1)).equals(constant(complex(np.nan, 2)))
    c = constant(2.0, name="two")
    assert str(c) == "two" and str(constant(2.5)) == "2.5"
    assert constant(2.0) != constant(2.0)  # identity, not value


def test_constant_clone_and_pickle():
    c = constant(np.float32(2.5))
    cc = c.clone()
    assert isinstance(cc, ScalarConstant) and cc.equals(c) and cc is not c
    p = pickle.loads(pickle.dumps(c))
    assert isinstance(p, ScalarConstant) and p.equals(c)
    x = float64("x")
    xc = x.clone()
    assert isinstance(xc, ScalarVariable) and xc.name == "x" and xc.type == float64


# ---------------------------------------------------------------------------
# Variables: operators, identity, printing
# ---------------------------------------------------------------------------


def test_variables_compare_by_identity():
    x, y = float64("x"), float64("y")
    assert x == x and x != y
    assert {x: 1}[x] == 1 and len({x, y, x}) == 2
    assert isinstance(x < y, ScalarVariable)
    assert isinstance(constant(1.0), Constant)


@pytest.mark.parametrize(
    "build, opname",
    [
        (lambda x, y: x + y, "add"),
        (lambda x, y: x - y, "sub"),
        (lambda x, y: x * y, "mul"),
        (lambda x, y: x / y, "true_div"),
        (lambda x, y: x // y, "int_div"),
        (lambda x, y: x % y, "mod"),
        (lambda x, y: x**y, "pow"),
        (lambda x, y: x < y, "lt"),
        (lambda x, y: x <= y, "le"),
        (lambda x, y: x > y, "gt"),
        (lambda x, y: x >= y, "ge"),
        (lambda x, y: -x, "neg"),
        (lambda x, y: abs(x), "abs"),
    ],
)
def test_operators(build, opname):
    x, y = float64("x"), float64("y")
    out = build(x, y)
    assert isinstance(out, ScalarVariable)
    assert str(out.owner.op) == opname
    assert out.owner.inputs[0] is x


def test_reflected_operators_and_weak_python_numbers():
    x = float32("x")
    for out, opname in [
        (2 + x, "add"),
        (2 - x, "sub"),
        (2 * x, "mul"),
        (2 / x, "true_div"),
        (2 // x, "int_div"),
        (2 % x, "mod"),
        (2**x, "pow"),
    ]:
        assert str(out.owner.op) == opname
        assert isinstance(out.owner.inputs[0], ScalarConstant)
        assert out.owner.inputs[1] is x
        assert out.type == float32  # a Python number takes x's dtype, as in NumPy
    assert (x > 1).owner.op == gs.gt  # reflected comparison
    i = int8("i")
    assert (i + 1).type == int8
    assert (i + 1.5).type == float64  # np.int8 + 1.5 is float64
    assert (i + 300).type == int64  # does not fit int8: strong default
    assert (gs.bool_("b") + 1).type == int64


def test_numpy_scalars_are_strong_and_defer():
    x = float32("x")
    out = np.float64(2.0) * x
    assert isinstance(out, ScalarVariable) and out.type == float64
    out = np.float32(2.0) + x
    assert out.type == float32 and out.owner.inputs[1] is x


def test_bitwise_operators():
    a, b = gs.bool_("a"), gs.bool_("b")
    for out, op in [(a & b, gs.and_), (a | b, gs.or_), (a ^ b, gs.xor), (~a, gs.invert)]:
        assert out.owner.op == op and out.type == gs.bool_
    assert (True & a).owner.op == gs.and_


def test_operator_with_foreign_objects():
    x = float64("x")
    with pytest.raises(TypeError):
        x + "a"
    with pytest.raises(TypeError):
        x + np.arange(3)
    assert x.__add__(object()) is NotImplemented


def test_astype_and_dtype():
    x = float64("x")
    assert x.dtype == "float64"
    y = x.astype("int32")
    assert y.type == gs.int32 and str(y.owner.op) == "convert_to_int32"
    assert x.astype("float64") is x


def test_printing():
    x, y = float64("x"), float64("y")
    out = add(x, mul(x, y))
    assert str(out) == "add.0"
    assert str(out.owner) == "add(x, mul.0)"
    assert str(add) == "add" and str(true_div) == "true_div"
    assert re.fullmatch(r"<graft\.scalar\.basic\.Add at 0x[0-9a-f]+>", repr(add))
    assert re.fullmatch(r"<graft\.scalar\.basic\.Mul at 0x[0-9a-f]+>", repr(mul))
    assert str(float64()) == "<float64>"


def test_evaluate_expression():
    x, y = float64("x"), float64("y")
    out = (x + 2) * y / (x - y) ** 2
    (val,) = evaluate([out], {x: np.float64(3.0), y: np.float64(0.5)})
    assert type(val) is np.float64
    assert val == (3.0 + 2) * 0.5 / (3.0 - 0.5) ** 2


def test_graph_pickles():
    x, y = float64("x"), float64("y")
    out = add(x, mul(x, y, 2.0))
    p = pickle.loads(pickle.dumps(out))
    assert str(p.owner) == "add(x, mul.0)"
    assert p.owner.op == add and p.owner.inputs[1].owner.op == mul
    xs = p.owner.inputs[0]
    ys = p.owner.inputs[1].owner.inputs[1]
    (val,) = evaluate([p], {xs: np.float64(2.0), ys: np.float64(3.0)})
    assert val == 14.0


def test_uint64_constant_from_large_int():
    c = as_scalar(2**64 - 1)
    assert c.type == uint64 and c.data == np.uint64(2**64 - 1)
