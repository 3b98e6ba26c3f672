"""Scalar types, variables and constants: `ScalarType`, `ScalarVariable`, `ScalarConstant`.

Everything here is re-exported by `graft.scalar.basic` and `graft.scalar`.
``filter`` follows NumPy's casting rules: NumPy values must be safely
castable, Python numbers are *weak* (NEP 50) and accepted when they fit.
"""

from __future__ import annotations

import builtins
import warnings
from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np

from graft.graph.basic import Apply, Constant, Variable
from graft.graph.type import Type

__all__ = [
    "ScalarConstant",
    "ScalarType",
    "ScalarVariable",
    "all_dtypes",
    "all_types",
    "as_scalar",
    "bool_",
    "complex64",
    "complex128",
    "complex_dtypes",
    "complex_types",
    "constant",
    "continuous_dtypes",
    "continuous_types",
    "discrete_dtypes",
    "discrete_types",
    "float16",
    "float32",
    "float64",
    "float_dtypes",
    "float_of_discrete",
    "float_types",
    "get_scalar_type",
    "int8",
    "int16",
    "int32",
    "int64",
    "int_dtypes",
    "int_types",
    "integer_dtypes",
    "uint8",
    "uint16",
    "uint32",
    "uint64",
    "uint_dtypes",
    "uint_types",
    "upcast",
    "upgrade_to_float",
]

# ---------------------------------------------------------------------------
# dtypes
# ---------------------------------------------------------------------------

float_dtypes: tuple[str, ...] = ("float16", "float32", "float64")
complex_dtypes: tuple[str, ...] = ("complex64", "complex128")
int_dtypes: tuple[str, ...] = ("int8", "int16", "int32", "int64")
uint_dtypes: tuple[str, ...] = ("uint8", "uint16", "uint32", "uint64")
integer_dtypes: tuple[str, ...] = int_dtypes + uint_dtypes
discrete_dtypes: tuple[str, ...] = ("bool",) + integer_dtypes
continuous_dtypes: tuple[str, ...] = float_dtypes + complex_dtypes
all_dtypes: tuple[str, ...] = discrete_dtypes + continuous_dtypes

_PY_NUMBER_TYPES = (builtins.bool, int, float, complex)


def _dtype_name(dtype: Any) -> str:
    if isinstance(dtype, ScalarType):
        return dtype.dtype
    if not isinstance(dtype, str | np.dtype | type) and hasattr(dtype, "dtype"):
        dtype = dtype.dtype  # e.g. an array, or another graph type
    return np.dtype(dtype).name


def upcast(*dtypes: Any) -> str:
    """The dtype NumPy promotes ``dtypes`` to, e.g. ``upcast("int8", "float32") == "float32"``."""
    if not dtypes:
        raise TypeError("upcast needs at least one dtype")
    return np.result_type(*[np.dtype(_dtype_name(d)) for d in dtypes]).name


#: The float dtype each discrete dtype is computed in by float-returning ops:
#: float32 holds every 8- and 16-bit integer exactly, float64 the rest (it
#: rounds integers above 2**53, as NumPy does).
float_of_discrete: dict[str, str] = {
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


def upgrade_to_float(*dtypes: Any) -> str:
    """The output dtype of a float-returning op (``exp``, ``true_div``, ``erf``...) on ``dtypes``.

    Bool and 8/16-bit integer dtypes become float32, wider integers float64;
    float and complex dtypes are kept; the results are then promoted together
    (`upcast`). This is the rule of Theano/Aesara/PyTensor; NumPy alone would
    compute ``exp(int8)`` in float16.

    Example::

        upgrade_to_float("int8") == "float32"
        upgrade_to_float("int8", "int8") == "float32"      # true_div(int8, int8)
        upgrade_to_float("uint32") == "float64"
        upgrade_to_float("int16", "float16") == "float32"
        upgrade_to_float("float16") == "float16"
    """
    if not dtypes:
        raise TypeError("upgrade_to_float needs at least one dtype")
    names = [_dtype_name(d) for d in dtypes]
    return upcast(*[float_of_discrete.get(n, n) for n in names])


def _is_weak(x: Any) -> bool:
    # np.float64 subclasses float, but NumPy scalars are strongly typed.
    return type(x) in _PY_NUMBER_TYPES


# ---------------------------------------------------------------------------
# Variables and constants
# ---------------------------------------------------------------------------


def _op(name: str) -> Any:
    # Ops live in graft.scalar.basic, which imports this module.
    import graft.scalar.basic as basic

    return getattr(basic, name)


def _binop(name: str, a: Any, b: Any) -> Any:
    for v in (a, b):
        if isinstance(v, Variable):
            if not isinstance(v.type, ScalarType):
                return NotImplemented  # let e.g. a tensor's reflected operator answer
        elif (isinstance(v, np.ndarray) and v.ndim != 0) or not isinstance(
            v, (*_PY_NUMBER_TYPES, np.generic, np.ndarray)
        ):
            return NotImplemented
    return _op(name)(a, b)


class _ScalarOperators:
    """Python operators that build scalar graph nodes (``==`` stays identity)."""

    __slots__ = ()
    # Make NumPy scalars defer to our reflected operators instead of
    # wrapping the variable in an object array.
    __array_ufunc__ = None

    @property
    def dtype(self) -> str:
        return self.type.dtype  # type: ignore[attr-defined]

    def astype(self, dtype: Any) -> ScalarVariable:
        return _op("cast")(self, dtype)

    def __add__(self, other: Any) -> Any:
        return _binop("add", self, other)

    def __radd__(self, other: Any) -> Any:
        return _binop("add", other, self)

    def __sub__(self, other: Any) -> Any:
        return _binop("sub", self, other)

    def __rsub__(self, other: Any) -> Any:
        return _binop("sub", other, self)

    def __mul__(self, other: Any) -> Any:
        return _binop("mul", self, other)

    def __rmul__(self, other: Any) -> Any:
        return _binop("mul", other, self)

    def __truediv__(self, other: Any) -> Any:
        return _binop("true_div", self, other)

    def __rtruediv__(self, other: Any) -> Any:
        return _binop("true_div", other, self)

    def __floordiv__(self, other: Any) -> Any:
        return _binop("int_div", self, other)

    def __rfloordiv__(self, other: Any) -> Any:
        return _binop("int_div", other, self)

    def __mod__(self, other: Any) -> Any:
        return _binop("mod", self, other)

    def __rmod__(self, other: Any) -> Any:
        return _binop("mod", other, self)

    def __pow__(self, other: Any, modulo: Any = None) -> Any:
        if modulo is not None:
            return NotImplemented
        return _binop("pow", self, other)

    def __rpow__(self, other: Any) -> Any:
        return _binop("pow", other, self)

    def __and__(self, other: Any) -> Any:
        return _binop("and_", self, other)

    def __rand__(self, other: Any) -> Any:
        return _binop("and_", other, self)

    def __or__(self, other: Any) -> Any:
        return _binop("or_", self, other)

    def __ror__(self, other: Any) -> Any:
        return _binop("or_", other, self)

    def __xor__(self, other: Any) -> Any:
        return _binop("xor", self, other)

    def __rxor__(self, other: Any) -> Any:
        return _binop("xor", other, self)

    def __lt__(self, other: Any) -> Any:
        return _binop("lt", self, other)

    def __le__(self, other: Any) -> Any:
        return _binop("le", self, other)

    def __gt__(self, other: Any) -> Any:
        return _binop("gt", self, other)

    def __ge__(self, other: Any) -> Any:
        return _binop("ge", self, other)

    def __neg__(self) -> Any:
        return _op("neg")(self)

    def __pos__(self) -> Any:
        return self

    def __abs__(self) -> Any:
        return _op("abs_")(self)

    def __invert__(self) -> Any:
        return _op("invert")(self)


class ScalarVariable(_ScalarOperators, Variable):
    """A `Variable` of a `ScalarType`, with arithmetic and comparison operators.

    Operators build graph nodes; ``==`` and ``hash`` keep identity semantics.

    Example::

        x, y = float64("x"), float64("y")
        z = (x + 2) * y        # mul(add(x, 2.0), y)
        c = x < y              # a bool ScalarVariable
    """

    __slots__ = ()


def _value_key(data: np.generic) -> Any:
    """A hashable key equal for equal values, with NaN == NaN and -0.0 != 0.0."""
    kind = data.dtype.kind
    if kind == "c":
        return (_value_key(data.real), _value_key(data.imag))
    if kind == "f":
        if np.isnan(data):
            return "nan"
        return (data.item(), builtins.bool(np.signbit(data)))
    return data.item()


class ScalarConstant(_ScalarOperators, Constant):
    """A `Constant` of a `ScalarType`; ``data`` is a NumPy scalar of exactly its dtype.

    ``signature()`` is ``(type, value key)`` where NaN equals NaN (and -0.0
    differs from 0.0), so equal constants merge.

    Example::

        c = constant(1.5, "float32")
        assert c.data == np.float32(1.5) and c.equals(constant(1.5, "float32"))
    """

    __slots__ = ()

    def signature(self) -> Any:
        return (self.type, _value_key(self.data))


# ---------------------------------------------------------------------------
# ScalarType
# ---------------------------------------------------------------------------


def _refuse(data: Any, dtype: str, why: str) -> TypeError:
    return TypeError(f"cannot store {data!r} ({type(data).__name__}) as {dtype}: {why}")


class ScalarType(Type):
    """The type of 0-d values of one NumPy dtype; ``__props__ = ("dtype",)``.

    ``filter`` returns a NumPy scalar of exactly ``dtype`` and refuses lossy
    conversions unless ``allow_downcast``: NumPy values must be safely
    castable (``np.can_cast``); Python numbers are weak, as in NumPy, and are
    accepted when their value fits (no overflow, integers in range, floats
    into integer dtypes only when integral).

    Example::

        float32 = ScalarType("float32")
        x = float32("x")                       # a ScalarVariable named "x"
        assert float32.filter(0.5) == np.float32(0.5)
        float32.filter(np.float64(0.5))        # TypeError: ... float32 ...
    """

    __props__ = ("dtype",)
    ndim: ClassVar[int] = 0
    shape: ClassVar[tuple[()]] = ()
    broadcastable: ClassVar[tuple[()]] = ()

    def __init__(self, dtype: Any) -> None:
        try:
            name = None if dtype is None else _dtype_name(dtype)
        except TypeError:
            name = None
        if name not in all_dtypes:
            raise TypeError(f"unsupported scalar dtype {dtype!r}; expected one of {all_dtypes}")
        self.dtype: str = name
        self.numpy_dtype: np.dtype = np.dtype(name)

    def __str__(self) -> str:
        return self.dtype

    def filter(self, data: Any, strict: bool = False, allow_downcast: bool | None = None) -> Any:
        dtype = self.numpy_dtype
        if isinstance(data, np.ndarray):
            if data.ndim != 0:
                raise TypeError(
                    f"cannot store an array of shape {data.shape} as a {self.dtype} scalar"
                )
            data = data[()]
        if isinstance(data, np.generic):
            if data.dtype == dtype:
                return data
            if strict:
                raise _refuse(data, self.dtype, f"strict filter needs dtype {self.dtype} exactly")
            if allow_downcast:
                return self._force(data)
            if data.dtype.kind in "biufc" and np.can_cast(data.dtype, dtype, "safe"):
                return data.astype(dtype)
            raise _refuse(
                data,
                self.dtype,
                f"casting from {data.dtype} may lose precision; cast it explicitly "
                "or pass allow_downcast=True",
            )
        if strict:
            raise _refuse(data, self.dtype, f"strict filter needs a NumPy {self.dtype} scalar")
        if not isinstance(data, _PY_NUMBER_TYPES):
            raise _refuse(data, self.dtype, "not a number")
        if allow_downcast:
            return self._force(data)
        return self._filter_python_number(data)

    def _force(self, data: Any) -> Any:
        # Explicitly allowed lossy conversion: NumPy's unsafe cast, but a
        # Python integer that no NumPy integer can hold is still refused.
        try:
            with np.errstate(all="ignore"), warnings.catch_warnings():
                warnings.simplefilter("ignore", np.exceptions.ComplexWarning)
                arr = np.asarray(data)
                if arr.dtype == object:
                    raise OverflowError("value too large")
                return arr.astype(self.numpy_dtype)[()]
        except (OverflowError, ValueError, TypeError) as e:
            raise _refuse(data, self.dtype, str(e)) from None

    def _filter_python_number(self, data: Any) -> Any:
        dtype, kind = self.numpy_dtype, self.numpy_dtype.kind
        if isinstance(data, builtins.bool):
            return dtype.type(data)
        if isinstance(data, complex):
            if kind != "c":
                raise _refuse(data, self.dtype, "complex values need a complex dtype")
            with np.errstate(over="ignore"):
                out = dtype.type(data)
            if np.isfinite(complex(data)) and not np.isfinite(out):
                raise _refuse(data, self.dtype, "overflow")
            return out
        if kind in "iub":
            if isinstance(data, float) and not data.is_integer():
                raise _refuse(data, self.dtype, "not an integer")
            value = int(data)
            lo, hi = (0, 1) if kind == "b" else (np.iinfo(dtype).min, np.iinfo(dtype).max)
            if not lo <= value <= hi:
                raise _refuse(data, self.dtype, f"out of range [{lo}, {hi}]")
            return dtype.type(value)
        # float or complex dtype: weak Python numbers round, but must not overflow.
        if type(data) is float and dtype.char in "dD":
            return dtype.type(data)  # float64/complex128 hold every Python float
        try:
            with np.errstate(over="ignore"):
                out = dtype.type(data)
        except OverflowError:
            raise _refuse(data, self.dtype, "overflow") from None
        if np.isfinite(data) and not np.isfinite(out):
            raise _refuse(data, self.dtype, "overflow")
        return out

    def values_eq(self, a: Any, b: Any) -> bool:
        """Exact equality; NaN equals NaN."""
        a, b = np.asarray(a), np.asarray(b)
        return builtins.bool(np.array_equal(a, b, equal_nan=self.numpy_dtype.kind in "fc"))

    def values_eq_approx(
        self, a: Any, b: Any, rtol: float | None = None, atol: float | None = None
    ) -> bool:
        """Equality up to a dtype-dependent tolerance; NaN equals NaN, inf equals inf."""
        if self.numpy_dtype.kind not in "fc":
            return self.values_eq(a, b)
        prec = np.finfo(self.numpy_dtype).resolution
        rtol = builtins.max(float(prec) * 10, 1e-8) if rtol is None else rtol
        atol = builtins.max(float(prec), 1e-8) if atol is None else atol
        return builtins.bool(np.allclose(a, b, rtol=rtol, atol=atol, equal_nan=True))

    def make_constant(self, value: Any, name: str | None = None) -> ScalarConstant:
        return ScalarConstant(self, value, name=name)

    def __call__(self, name: str | None = None) -> ScalarVariable:
        return ScalarVariable(self, None, None, name)

    def __reduce__(self) -> Any:
        return (get_scalar_type, (self.dtype,))


ScalarType.variable_type = ScalarVariable
ScalarType.constant_type = ScalarConstant

_scalar_types: dict[Any, ScalarType] = {}


def get_scalar_type(dtype: Any) -> ScalarType:
    """The (cached, shared) `ScalarType` of ``dtype`` (a name, NumPy dtype or scalar class)."""
    try:
        return _scalar_types[dtype]
    except (KeyError, TypeError):  # TypeError: unhashable
        pass
    t = ScalarType(dtype)
    t = _scalar_types.setdefault(t.dtype, t)
    if isinstance(dtype, str | np.dtype | type):
        _scalar_types[dtype] = t
    return t


float16, float32, float64 = (get_scalar_type(d) for d in float_dtypes)
int8, int16, int32, int64 = (get_scalar_type(d) for d in int_dtypes)
uint8, uint16, uint32, uint64 = (get_scalar_type(d) for d in uint_dtypes)
complex64, complex128 = (get_scalar_type(d) for d in complex_dtypes)
bool_ = get_scalar_type("bool")

float_types = [float16, float32, float64]
complex_types = [complex64, complex128]
int_types = [int8, int16, int32, int64]
uint_types = [uint8, uint16, uint32, uint64]
discrete_types = [bool_, *int_types, *uint_types]
continuous_types = float_types + complex_types
all_types = discrete_types + continuous_types


def as_scalar(x: Any, name: str | None = None) -> ScalarVariable | ScalarConstant:
    """``x`` as a scalar graph variable.

    Scalar variables pass through. Numbers become a `ScalarConstant` with the
    dtype NumPy gives them: Python bool → bool, int → int64 (uint64 above
    its range), float → float64, complex → complex128; NumPy scalars and
    0-d arrays keep theirs. An object whose variable defines
    ``_as_scalar_variable()`` (e.g. a 0-d tensor) is converted by it.
    """
    if isinstance(x, Apply):
        x = x.default_output()
    if isinstance(x, Variable):
        if isinstance(x.type, ScalarType):
            return x  # type: ignore[return-value]
        hook = getattr(x, "_as_scalar_variable", None)
        if hook is not None:
            return hook()
        raise TypeError(f"cannot use {x} of type {x.type} as a scalar")
    if isinstance(x, builtins.bool):
        dtype = "bool"
    elif type(x) is int:
        dtype = "int64" if -(2**63) <= x < 2**63 else "uint64"
    elif type(x) is float:
        dtype = "float64"
    elif type(x) is complex:
        dtype = "complex128"
    elif isinstance(x, np.generic | np.ndarray):
        if x.ndim != 0:
            raise TypeError(f"cannot use an array of shape {x.shape} as a scalar")
        dtype = x.dtype.name
    else:
        raise TypeError(f"cannot convert {x!r} ({type(x).__name__}) to a scalar")
    return ScalarConstant(get_scalar_type(dtype), x, name=name)


def constant(x: Any, dtype: Any = None, name: str | None = None) -> ScalarConstant:
    """A `ScalarConstant` holding ``x``, of ``dtype`` (default: as `as_scalar`).

    The value must fit ``dtype`` exactly (``constant(0.5, "int64")`` raises)
    so that rewrites cannot change results by building constants; NumPy
    values of another dtype are accepted when they convert without loss.
    """
    if dtype is None:
        if isinstance(x, Variable):
            raise TypeError(f"constant() needs a value, got the variable {x}")
        return as_scalar(x, name)  # type: ignore[return-value]  # a number gives a constant
    t = get_scalar_type(dtype)
    try:
        return ScalarConstant(t, x, name=name)
    except TypeError:
        data = np.asarray(x)
        if data.ndim == 0 and data.dtype.kind in "biufc":
            with np.errstate(all="ignore"), warnings.catch_warnings():
                warnings.simplefilter("ignore")
                conv = data.astype(t.numpy_dtype)
            if conv.astype(data.dtype) == data or (np.isnan(data) and np.isnan(conv)):
                return ScalarConstant(t, conv[()], name=name)
        raise


def _weak_dtype(base: np.dtype, x: Any) -> np.dtype:
    """NumPy's (NEP 50) dtype for the weak Python number ``x`` next to ``base``."""
    kind = base.kind
    # Fast paths for the common cases; np.result_type is the reference.
    if type(x) is float and kind in "fc":
        return base
    if type(x) is int and kind in "iufc":
        return base
    return np.result_type(base, x)


def _convert_inputs(inputs: Sequence[Any], group: Sequence[int] | None) -> list[Variable]:
    """Variables for ``inputs``; weak Python numbers in ``group`` adopt the group's dtype."""
    out: list[Any] = [None if _is_weak(x) else as_scalar(x) for x in inputs]
    if all(o is not None for o in out):
        return out
    idx = range(len(inputs)) if group is None else group
    strong = [out[i].type.numpy_dtype for i in idx if out[i] is not None]
    base = None
    if strong:
        base = strong[0] if len(strong) == 1 else np.result_type(*strong)
    for i, x in enumerate(inputs):
        if out[i] is not None:
            continue
        if base is not None and i in idx:
            try:
                out[i] = constant(x, _weak_dtype(base, x))
                continue
            except TypeError:
                pass  # does not fit: fall back to the strong default dtype
        out[i] = as_scalar(x)
    return out
