"""`TensorType`: n-dimensional arrays of one dtype with optionally known dimensions."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from graft.graph.basic import Variable
from graft.graph.type import Type

_DTYPE_ALIASES = {"floatX": None, "float": "float64", "int": "int64", "bool": "bool"}


# dtype spec (str, np.dtype, scalar type) -> its name; NumPy's ``dtype.name`` is slow and
# every TensorType built (thousands per gradient) asks for one.
_DTYPE_NAMES: dict[Any, str] = {}


def _norm_dtype(dtype: Any) -> str:
    if dtype is None or dtype == "floatX":
        from graft.configparser import config

        return str(config.floatX)
    try:
        return _DTYPE_NAMES[dtype]
    except (KeyError, TypeError):  # TypeError: an unhashable spec
        pass
    if isinstance(dtype, str) and dtype in _DTYPE_ALIASES and _DTYPE_ALIASES[dtype]:
        return _DTYPE_ALIASES[dtype]  # type: ignore[return-value]
    try:
        name = np.dtype(dtype).name
    except TypeError:
        raise TypeError(f"{dtype!r} is not a dtype") from None
    try:
        _DTYPE_NAMES[dtype] = name
    except TypeError:
        pass
    return name


def _norm_shape(shape: Iterable[Any]) -> tuple[int | None, ...]:
    out: list[int | None] = []
    for s in shape:
        if s is None:
            out.append(None)
            continue
        if isinstance(s, bool) or not isinstance(s, int | np.integer):
            raise TypeError(f"static shape entries must be ints or None, got {s!r}")
        if s < 0:
            raise ValueError(f"static shape entries must be >= 0, got {s}")
        out.append(int(s))
    return tuple(out)


def _check_numeric(src: np.ndarray, dtype: str) -> None:
    """TypeError for an array of strings, bytes, dates or records given for a tensor of ``dtype``."""
    if src.dtype.kind not in "biufc":
        what = {"U": "strings", "S": "bytes", "M": "datetimes", "m": "timedeltas"}.get(
            src.dtype.kind, "non-numeric values"
        )
        raise TypeError(
            f"expected an array of {dtype}, got an array of {what} (dtype {src.dtype}); "
            "convert the data to numbers first"
        )


class TensorType(Type):
    """Arrays of ``dtype`` with ``len(shape)`` dimensions; ``shape[i]`` is a size or None (unknown).

    A dimension of static size 1 is *broadcastable*. A value is accepted by
    `filter` if it has the right number of dimensions, fits the known sizes,
    and converts to ``dtype`` without loss (NumPy's safe casting; Python
    numbers may take any dtype they fit exactly, and Python floats may go to
    any float dtype).

    Example::

        x = TensorType("float32", shape=(None, 3))("x")
        x.type.broadcastable   # (False, False)
        x.type.filter(np.zeros((2, 3), "float32"))
    """

    __props__ = ("dtype", "shape")

    def __init__(
        self,
        dtype: Any,
        shape: Sequence[int | None] | None = None,
        name: str | None = None,
        broadcastable: Sequence[bool] | None = None,
    ) -> None:
        if shape is None and broadcastable is not None:
            shape = tuple(1 if b else None for b in broadcastable)
        elif shape is None:
            raise TypeError("TensorType needs a shape (a tuple of ints or None)")
        self.dtype = _norm_dtype(dtype)
        self.shape = _norm_shape(shape)
        self.name = name
        self.numpy_dtype = np.dtype(self.dtype)
        self._ndim = len(self.shape)
        self._all_unknown = all(s is None for s in self.shape)

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def broadcastable(self) -> tuple[bool, ...]:
        return tuple(s == 1 for s in self.shape)

    def clone(
        self, dtype: Any = None, shape: Sequence[int | None] | None = None, **kw: Any
    ) -> TensorType:
        return TensorType(
            self.dtype if dtype is None else dtype, self.shape if shape is None else shape
        )

    def filter(
        self, data: Any, strict: bool = False, allow_downcast: bool | None = None
    ) -> np.ndarray:
        dtype = self.numpy_dtype
        if type(data) is np.ndarray and data.dtype == dtype:
            # The common case, kept short: it is on every call of a compiled function.
            if data.ndim == self._ndim and (
                self._all_unknown
                or all(s is None or s == a for s, a in zip(self.shape, data.shape))
            ):
                return data
            arr = data
        elif strict:
            if not isinstance(data, np.ndarray):
                raise TypeError(
                    f"expected a numpy.ndarray of {self.dtype}, got {type(data).__name__}"
                )
            raise TypeError(f"expected dtype {self.dtype}, got {data.dtype}")
        else:
            arr = self._convert(data, allow_downcast)
        if arr.ndim != len(self.shape):
            raise TypeError(
                f"expected a {len(self.shape)}-d array, got {arr.ndim}-d with shape {arr.shape}"
            )
        for i, (s, a) in enumerate(zip(self.shape, arr.shape)):
            if s is not None and s != a:
                raise ValueError(
                    f"expected shape {_fmt_shape(self.shape)}, got {arr.shape} (dimension {i} "
                    f"must be {s})"
                )
        return arr

    def _convert(self, data: Any, allow_downcast: bool | None) -> np.ndarray:
        dtype = self.numpy_dtype
        if isinstance(data, Variable):
            raise TypeError(
                f"expected a value, got the symbolic variable {data}; pass it to the graph as an "
                "input or use givens"
            )
        if isinstance(data, np.ndarray | np.generic):
            src = np.asarray(data)
            _check_numeric(src, self.dtype)
            if allow_downcast or np.can_cast(src.dtype, dtype, "safe"):
                return np.asarray(src, dtype=dtype)
            raise TypeError(
                f"cannot safely convert an array of dtype {src.dtype} to {self.dtype} "
                "(would lose precision); cast it explicitly or pass allow_input_downcast=True"
            )
        # Python numbers and nested lists: accept when the values survive the conversion.
        try:
            src = np.asarray(data)
        except Exception as e:
            raise TypeError(
                f"cannot convert {type(data).__name__} to an array of {self.dtype}: {e}"
            ) from None
        if src.dtype == object:
            raise TypeError(f"cannot convert {data!r} to an array of {self.dtype}")
        _check_numeric(src, self.dtype)
        if allow_downcast or np.can_cast(src.dtype, dtype, "safe"):
            return np.asarray(src, dtype=dtype)
        if src.dtype.kind == "f" and dtype.kind == "f":
            # A Python float is untyped: storing it in float32 is the usual intent.
            return np.asarray(src, dtype=dtype)
        with np.errstate(all="ignore"):
            conv = src.astype(dtype)
        if src.dtype.kind in "biuf" and dtype.kind in "biuf" and np.array_equal(conv, src):
            return conv
        raise TypeError(
            f"cannot convert {_short(data)} to {self.dtype} without loss; cast it explicitly "
            "or pass allow_input_downcast=True"
        )

    def is_super(self, otype: Type) -> bool:
        if not isinstance(otype, TensorType):
            return False
        if otype.dtype != self.dtype or len(otype.shape) != len(self.shape):
            return False
        return all(s is None or s == o for s, o in zip(self.shape, otype.shape))

    def in_same_class(self, otype: Type) -> bool:
        return (
            isinstance(otype, TensorType) and otype.dtype == self.dtype and otype.ndim == self.ndim
        )

    def convert_variable(self, var: Variable) -> Variable | None:
        vt = var.type
        if self.is_super(vt):
            return var
        if isinstance(vt, TensorType) and vt.is_super(self):
            # Same values, less static knowledge: assert the shape instead.
            from graft.tensor.shape import specify_shape

            return specify_shape(var, self.shape)
        return None

    def values_eq(self, a: Any, b: Any, force_same_dtype: bool = True) -> bool:
        a, b = np.asarray(a), np.asarray(b)
        if a.shape != b.shape or (force_same_dtype and a.dtype != b.dtype):
            return False
        return bool(np.array_equal(a, b, equal_nan=a.dtype.kind in "fc"))

    def values_eq_approx(
        self,
        a: Any,
        b: Any,
        allow_remove_inf: bool = False,
        allow_remove_nan: bool = False,
        rtol: float | None = None,
        atol: float | None = None,
    ) -> bool:
        a, b = np.asarray(a), np.asarray(b)
        if a.shape != b.shape:
            return False
        if a.dtype.kind not in "fc" and b.dtype.kind not in "fc":
            return bool(np.array_equal(a, b))
        default_rtol, default_atol = _tolerance(np.result_type(a.dtype, b.dtype))
        return bool(
            np.allclose(
                a,
                b,
                rtol=default_rtol if rtol is None else rtol,
                atol=default_atol if atol is None else atol,
                equal_nan=True,
            )
        )

    def make_variable(self, name: str | None = None) -> Variable:
        from graft.tensor.variable import TensorVariable

        return TensorVariable(self, None, name=name)

    def make_constant(self, value: Any, name: str | None = None) -> Any:
        from graft.tensor.variable import TensorConstant

        return TensorConstant(self, value, name=name)

    def __str__(self) -> str:
        if self.name:
            return self.name
        return f"TensorType({self.dtype}, shape={_fmt_shape(self.shape)})"

    def __repr__(self) -> str:
        return str(self)


def _tolerance(dtype: np.dtype) -> tuple[float, float]:
    if dtype.itemsize <= 2 and dtype.kind == "f":
        return 1e-3, 1e-3
    if dtype in (np.float32, np.complex64):
        return 1e-5, 1e-6
    return 1e-8, 1e-10


def _fmt_shape(shape: Sequence[int | None]) -> str:
    inner = ", ".join("?" if s is None else str(s) for s in shape)
    return f"({inner},)" if len(shape) == 1 else f"({inner})"


def _short(data: Any) -> str:
    r = repr(data)
    return r if len(r) < 40 else r[:37] + "..."


# ---------------------------------------------------------------------------
# Constructors
# ---------------------------------------------------------------------------


_KNOWN_DTYPES = frozenset(
    {"floatX", "float", "int"}
    | {
        np.dtype(t).name
        for t in [
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
            "complex64",
            "complex128",
        ]
    }
)


def _is_dtype_name(s: Any) -> bool:
    return isinstance(s, str) and s in _KNOWN_DTYPES


def tensor(
    *args: Any,
    dtype: Any = None,
    shape: Sequence[int | None] | None = None,
    name: str | None = None,
    **kw: Any,
) -> Variable:
    """A tensor variable: ``tensor(dtype, shape, name=...)`` or ``tensor("x", dtype=..., shape=...)``.

    A first positional string that is not a dtype name is taken as the name
    (PyTensor's order); otherwise positionals are ``dtype, shape``.
    """
    args_l = list(args)
    if args_l and isinstance(args_l[0], str) and not _is_dtype_name(args_l[0]):
        name = args_l.pop(0)
    if args_l:
        dtype = args_l.pop(0)
    if args_l:
        shape = args_l.pop(0)
    if args_l:
        raise TypeError(f"tensor() got unexpected positional arguments {args_l!r}")
    if shape is None:
        bc = kw.pop("broadcastable", None)
        if bc is not None:
            shape = tuple(1 if b else None for b in bc)
        elif "ndim" in kw:
            shape = (None,) * kw.pop("ndim")
        else:
            raise TypeError("tensor() needs shape= (or ndim=)")
    if kw:
        raise TypeError(f"tensor() got unexpected keyword arguments {sorted(kw)}")
    return TensorType(dtype, shape)(name)


def _maker(ndim: int, default_shape: tuple[int | None, ...] | None = None) -> Any:
    def make(
        name: str | None = None, dtype: Any = None, shape: Sequence[int | None] | None = None
    ) -> Variable:
        if shape is None:
            shape = default_shape if default_shape is not None else (None,) * ndim
        if len(shape) != ndim:
            raise ValueError(f"shape {tuple(shape)} has {len(shape)} dimensions, expected {ndim}")
        return TensorType(dtype, shape)(name)

    return make


scalar = _maker(0)
vector = _maker(1)
matrix = _maker(2)
row = _maker(2, (1, None))
col = _maker(2, (None, 1))
tensor3 = _maker(3)
tensor4 = _maker(4)
tensor5 = _maker(5)
tensor6 = _maker(6)
tensor7 = _maker(7)


def _typed(ndim: int, dtype: str, default_shape: tuple[int | None, ...] | None = None) -> Any:
    base = _maker(ndim, default_shape)

    def make(name: str | None = None, shape: Sequence[int | None] | None = None) -> Variable:
        return base(name, dtype, shape)

    return make


_PREFIX = {
    "b": "int8",
    "w": "int16",
    "i": "int32",
    "l": "int64",
    "f": "float32",
    "d": "float64",
    "c": "complex64",
    "z": "complex128",
}
_KINDS = {
    "scalar": 0,
    "vector": 1,
    "matrix": 2,
    "row": 2,
    "col": 2,
    "tensor3": 3,
    "tensor4": 4,
    "tensor5": 5,
}
_DEFAULTS = {"row": (1, None), "col": (None, 1)}

for _p, _dt in _PREFIX.items():
    for _k, _nd in _KINDS.items():
        globals()[f"{_p}{_k}"] = _typed(_nd, _dt, _DEFAULTS.get(_k))


def _names(names: tuple[Any, ...]) -> list[str | None] | str:
    """PyTensor's plural-constructor arguments: a count, names, or one string of names.

    ``(3,)`` is three unnamed variables; ``("x", "y")``, ``(["x", "y"],)`` and
    ``("xy",)`` name two, one per character of a single string (``"x,y"``
    splits at commas instead); a single one-character name (``("x",)``) gives
    one variable, not a list (returned as the plain name).
    """
    if (
        len(names) == 1
        and isinstance(names[0], int | np.integer)
        and not isinstance(names[0], bool)
    ):
        return [None] * int(names[0])
    if len(names) == 1 and isinstance(names[0], str):
        text = names[0]
        if "," in text:
            return [n.strip() for n in text.split(",")]
        return text if len(text) == 1 else list(text)
    if len(names) == 1 and isinstance(names[0], list | tuple):
        names = tuple(names[0])
    if not names or not all(isinstance(n, str) for n in names):
        raise TypeError(f"expected a count, variable names, or one string of names, got {names!r}")
    return list(names)


def _plural(maker: Any) -> Any:
    def make(*names: Any, dtype: Any = None) -> Any:
        got = _names(names)
        if isinstance(got, str):
            return maker(got, dtype)
        return [maker(n, dtype) for n in got]

    return make


def _typed_plural(kind: str, prefix: str) -> Any:
    maker = globals()[f"{prefix}{kind}"]

    def make(*names: Any) -> Any:
        got = _names(names)
        if isinstance(got, str):
            return maker(got)
        return [maker(n) for n in got]

    return make


for _p in _PREFIX:
    for _k, _plural_name in (
        ("scalar", "scalars"),
        ("vector", "vectors"),
        ("matrix", "matrices"),
        ("tensor3", "tensor3s"),
        ("tensor4", "tensor4s"),
    ):
        globals()[f"{_p}{_plural_name}"] = _typed_plural(_k, _p)

scalars = _plural(scalar)
vectors = _plural(vector)
matrices = _plural(matrix)
tensor3s = _plural(tensor3)
tensor4s = _plural(tensor4)

# Shared singletons for common types.
float64_scalar_t = TensorType("float64", ())
int64_scalar_t = TensorType("int64", ())
