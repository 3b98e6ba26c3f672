"""The `ScalarOp` base and the basic scalar ops (arithmetic, comparison, logic, casts).

Types, variables and constants are defined in `graft.scalar.type` and
re-exported here, so ``graft.scalar.basic.ScalarType`` works as in PyTensor.

Every scalar op carries a vectorised NumPy callable (``op.ufunc``) so that an
``Elemwise`` can apply it to whole arrays at once. Output dtypes follow two
rules (the scalar layer has no promotion table of its own):

- By default an op's output dtypes are whatever its callable gives NumPy
  arrays of the input dtypes (``add(int8, float32)`` is float32).
- Float-returning ops (``returns_float``: ``true_div``, ``exp``, ``log``,
  ``sqrt``, ``arctan2``, ``sigmoid``, ``erf``, ``gamma``, ... every op whose
  result is real-valued for integer arguments) follow `upgrade_to_float`, as
  Theano/Aesara/PyTensor do: bool and 8/16-bit integer inputs are computed
  in float32, 32/64-bit integer inputs in float64, float inputs keep their
  dtype (float16 stays float16, also for SciPy functions that only have
  float32/float64 loops) and the result has the promoted dtype of those.
  NumPy alone would give float16 for ``exp(int8)`` and float64 for
  ``int8 / int8``; here both are float32. The values are computed in that
  dtype or wider (integer inputs are converted before the NumPy or SciPy
  function sees them, see `FloatUfunc`), never in float16 and cast up.

Python numbers mixed with graph variables (``x * 2.0``, ``add(x, 1)``) are
*weak*, as in NumPy (NEP 50): they take the dtype of the variables they meet
when the value fits, so a float32 graph stays float32.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from typing import Any, ClassVar

import numpy as np

import graft.scalar.type as _scalar_type
from graft._fpe import quietly
from graft.graph.basic import Apply, Constant, Variable
from graft.graph.op import Op
from graft.graph.utils import MethodNotDefined
from graft.scalar.type import *  # noqa: F403
from graft.scalar.type import (
    ScalarConstant,
    ScalarType,
    ScalarVariable,
    _convert_inputs,
    all_dtypes,
    as_scalar,
    bool_,
    complex_dtypes,
    constant,
    discrete_dtypes,
    float_dtypes,
    float_of_discrete,
    get_scalar_type,
    int_dtypes,
    uint_dtypes,
    upgrade_to_float,
)

__all__ = [
    "AND",
    "EQ",
    "GE",
    "GT",
    "LE",
    "LT",
    "NEQ",
    "OR",
    "XOR",
    "Abs",
    "Add",
    "BinaryScalarOp",
    "Cast",
    "FloatUfunc",
    "Identity",
    "IntDiv",
    "Invert",
    "IsInf",
    "IsNan",
    "Maximum",
    "Minimum",
    "Mod",
    "Mul",
    "Neg",
    "Pow",
    "Reciprocal",
    "ScalarOp",
    "Second",
    "Sign",
    "Sqr",
    "Sub",
    "Switch",
    "TrueDiv",
    "UnaryScalarOp",
    "VariadicUfunc",
    "VecFunc",
    "abs_",
    "add",
    "and_",
    "bitwise_and",
    "bitwise_not",
    "bitwise_or",
    "bitwise_xor",
    "cast",
    "convert_to_bool",
    "convert_to_complex64",
    "convert_to_complex128",
    "convert_to_float16",
    "convert_to_float32",
    "convert_to_float64",
    "convert_to_int8",
    "convert_to_int16",
    "convert_to_int32",
    "convert_to_int64",
    "convert_to_uint8",
    "convert_to_uint16",
    "convert_to_uint32",
    "convert_to_uint64",
    "eq",
    "ge",
    "gt",
    "identity",
    "int_div",
    "invert",
    "isinf",
    "isnan",
    "le",
    "lt",
    "maximum",
    "minimum",
    "mod",
    "mul",
    "neg",
    "neq",
    "or_",
    "pow",
    "probe_output_dtypes",
    "reciprocal",
    "second",
    "sign",
    "sqr",
    "sub",
    "switch",
    "true_div",
    "xor",
]
__all__ += _scalar_type.__all__


# ---------------------------------------------------------------------------
# Vectorised implementations
# ---------------------------------------------------------------------------


class VecFunc:
    """A NumPy-vectorised callable for ops that have no single NumPy ufunc.

    Called like a ufunc: arrays (or scalars) in, broadcast result out, 0-d
    results unwrapped to NumPy scalars, optional ``out=`` array.

    Example::

        f = VecFunc(lambda x: np.where(x > 0, x, 0.0), 1, "relu")
        f(np.array([-1.0, 2.0]))        # array([0., 2.])
        f(np.float32(-3.0))             # np.float32(0.0), a NumPy scalar
    """

    def __init__(self, fn: Callable[..., Any], nin: int, name: str) -> None:
        self.fn, self.nin, self.nout, self.__name__ = fn, nin, 1, name

    def __call__(self, *args: Any, out: Any = None) -> Any:
        r = self.fn(*args)
        if out is not None:
            out[...] = r
            return out
        if isinstance(r, np.ndarray) and r.ndim == 0:
            return r[()]
        return r

    def __repr__(self) -> str:
        return f"<VecFunc {self.__name__}>"


class VariadicUfunc:
    """Folds a binary ufunc over any number of inputs (``add(a, b, c)``).

    Inputs are cast to the result dtype first, so ``int8 + int8 + float32``
    does not wrap around in int8. Two inputs call the ufunc directly;
    ``.ufunc`` is the binary ufunc (for reductions).

    Example::

        f = VariadicUfunc(np.add)
        f(np.int8([100]), np.int8([100]), np.float32([0.5]))   # array([200.5], float32)
    """

    def __init__(self, ufunc: np.ufunc) -> None:
        self.ufunc, self.nin, self.nout, self.__name__ = ufunc, -1, 1, ufunc.__name__
        self._dtypes: dict[tuple[np.dtype, ...], np.dtype] = {}

    def result_dtype(self, dtypes: Sequence[np.dtype]) -> np.dtype:
        key = tuple(dtypes)
        dt = self._dtypes.get(key)
        if dt is None:
            acc = np.zeros(0, key[0])
            if len(key) == 1:
                acc = self.ufunc(acc, np.zeros(0, key[0]))
            for d in key[1:]:
                acc = self.ufunc(acc, np.zeros(0, d))
            dt = self._dtypes[key] = acc.dtype
        return dt

    def __call__(self, *args: Any, out: Any = None) -> Any:
        if len(args) == 2:
            return self.ufunc(*args) if out is None else self.ufunc(*args, out=out)
        if not args:
            raise TypeError(f"{self.__name__} needs at least one input")
        arrs = [np.asarray(a) for a in args]
        dt = self.result_dtype([a.dtype for a in arrs])
        if len(arrs) == 1:
            # Identity element of the ufunc; makes a copy with the right dtype.
            r = self.ufunc(arrs[0], np.asarray(self.ufunc.identity, dtype=dt), dtype=dt)
        else:
            r = self.ufunc(arrs[0], arrs[1], dtype=dt)
            for a in arrs[2:]:
                r = self.ufunc(r, a, dtype=dt)
        if out is not None:
            out[...] = r
            return out
        return r

    def __repr__(self) -> str:
        return f"<VariadicUfunc {self.__name__}>"


class FloatUfunc:
    """The vectorised callable of a float-returning op: ``fn`` on inputs converted to floats.

    The inputs at positions ``which`` (all when None) are converted to the
    op's output dtype, `upgrade_to_float` of their dtypes, before ``fn`` sees
    them: ``exp`` of an int8 array is computed in float32 (NumPy alone:
    float16), and a formula like ``x * log(y)`` on (int64, int8) takes the
    logarithm in float64, not float32. Inputs already of that dtype, and all
    inputs when it is complex (then only integers are converted, to their
    `float_of_discrete` dtype), pass through. ``.fn`` is the wrapped NumPy or
    SciPy callable; ``out=`` is passed on.

    Example::

        f = FloatUfunc(np.exp)
        f(np.int8([1, 2])).dtype        # float32
        f(np.float16(1.0)).dtype        # float16
    """

    def __init__(self, fn: Callable[..., Any], which: Sequence[int] | None = None) -> None:
        self.fn = fn
        self.which = None if which is None else tuple(which)
        self.nin = getattr(fn, "nin", -1)
        self.nout = getattr(fn, "nout", 1)
        self.__name__ = getattr(fn, "__name__", type(fn).__name__)
        self._targets: dict[tuple[Any, ...], np.dtype | None] = {}

    def _target(self, key: tuple[Any, ...]) -> np.dtype | None:
        # None: nothing to convert. Cached per tuple of input dtypes.
        if key in self._targets:
            return self._targets[key]
        names = [np.dtype(d).name for d in key]
        target: np.dtype | None = np.dtype(upgrade_to_float(*names))
        if all(n == target.name for n in names):  # type: ignore[union-attr]
            target = None
        self._targets[key] = target
        return target

    def __call__(self, *args: Any, out: Any = None) -> Any:
        fn = self.fn
        idx = range(len(args)) if self.which is None else self.which
        arrs = list(args)
        for i in idx:
            if not isinstance(arrs[i], np.ndarray | np.generic):
                arrs[i] = np.asarray(arrs[i])  # a Python number: its NumPy default dtype
        target = self._target(tuple(arrs[i].dtype for i in idx))
        if target is not None:
            for i in idx:
                a = arrs[i]
                if target.kind == "f" and a.dtype != target:
                    arrs[i] = a.astype(target)
                elif a.dtype.kind in "biu":
                    arrs[i] = a.astype(float_of_discrete[a.dtype.name])
        return fn(*arrs) if out is None else fn(*arrs, out=out)

    def __repr__(self) -> str:
        return f"<FloatUfunc {self.__name__}>"


_ufuncs: dict[Any, Callable[..., Any]] = {}
_out_dtypes: dict[tuple[Any, tuple[str, ...]], tuple[str, ...]] = {}


def probe_output_dtypes(op: ScalarOp, dtypes: Sequence[str]) -> tuple[str, ...]:
    """Output dtypes of ``op.ufunc`` on zero-size arrays of ``dtypes`` (cached)."""
    key = (op, tuple(dtypes))
    res = _out_dtypes.get(key)
    if res is not None:
        return res
    args = [np.zeros(0, dtype=d) for d in dtypes]
    try:
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out = op.ufunc(*args)
    except (TypeError, ValueError) as e:
        raise TypeError(f"{op} is not defined for inputs of dtype {tuple(dtypes)}: {e}") from None
    outs = out if isinstance(out, tuple) else (out,)
    res = tuple(np.asarray(o).dtype.name for o in outs)
    for d in res:
        if d not in all_dtypes:
            raise TypeError(f"{op} on {tuple(dtypes)} gives unsupported dtype {d}")
    _out_dtypes[key] = res
    return res


# ---------------------------------------------------------------------------
# ScalarOp
# ---------------------------------------------------------------------------


class ScalarOp(Op):
    """An op on scalars, with a vectorised NumPy implementation ``ufunc``.

    Subclasses set ``nin`` (``-1``: variadic), ``name``, and either
    ``numpy_name``/``scipy_name`` or `make_ufunc`. Output types come from
    probing ``ufunc`` with zero-size arrays of the input dtypes (override
    `output_types` to change that). Ops that return floats for integer
    arguments set ``returns_float``: their output dtype is `upgrade_to_float`
    of the inputs at ``float_inputs`` (all by default), and ``ufunc`` converts
    integer inputs to float before computing (see the module docstring). Differentiable ops implement
    ``_grad(inputs, output, gz)`` returning one expression (or ``None`` for a
    zero gradient) per input; `L_op` handles discrete inputs and outputs
    (zero gradients) and casts each gradient to its input's dtype.

    Example::

        class Cube(UnaryScalarOp):
            name = "cube"

            def make_ufunc(self):
                return VecFunc(lambda x: x * x * x, 1, "cube")

            def _grad(self, inputs, output, gz):
                (x,) = inputs
                return [gz * 3 * x * x]

        cube = Cube()
        cube(float32("x")).type  # float32
    """

    __props__: ClassVar[tuple[str, ...]] = ()
    nin: ClassVar[int] = -1
    nout: ClassVar[int] = 1
    #: perform quiets NumPy FP errors itself, unless the caller did (graft._fpe).
    ignores_fp_errors: ClassVar[bool] = True
    #: ``op(a, b)`` equals ``op(b, a)`` bit for bit (two inputs only: n-ary sums round in
    #: order), so `MergeOptimizer` may merge the two.
    commutative: ClassVar[bool] = False
    name: str = "scalar_op"
    numpy_name: ClassVar[str | None] = None
    scipy_name: ClassVar[str | None] = None
    # Ops whose gradient formulas also hold for complex inputs.
    grad_complex_ok: ClassVar[bool] = False
    #: Real-valued on integers (exp, log, true_div...): the `upgrade_to_float` dtype rule.
    returns_float: ClassVar[bool] = False
    #: The inputs that rule applies to (None: all); e.g. not polygamma's order ``n``.
    float_inputs: ClassVar[tuple[int, ...] | None] = None

    def make_ufunc(self) -> Callable[..., Any]:
        """Build the vectorised implementation (called once per op, then cached)."""
        if self.numpy_name is not None:
            return getattr(np, self.numpy_name)
        if self.scipy_name is not None:
            import scipy.special  # lazily: scipy is slow to import

            return getattr(scipy.special, self.scipy_name)
        raise MethodNotDefined(f"{type(self).__name__} defines no ufunc")

    @property
    def ufunc(self) -> Callable[..., Any]:
        """Vectorised NumPy-compatible callable computing this op elementwise."""
        f = _ufuncs.get(self)
        if f is None:
            f = self.make_ufunc()
            if self.returns_float:
                f = FloatUfunc(f, self.float_inputs)
            _ufuncs[self] = f
        return f

    def weak_group(self, n: int) -> Sequence[int] | None:
        """Inputs among which weak Python numbers take their dtype (None: all)."""
        return None

    def output_types(self, input_types: Sequence[ScalarType]) -> list[ScalarType]:
        in_dtypes = [t.dtype for t in input_types]
        dtypes = probe_output_dtypes(self, in_dtypes)
        if self.returns_float:
            idx = range(len(in_dtypes)) if self.float_inputs is None else self.float_inputs
            target = upgrade_to_float(*[in_dtypes[i] for i in idx])
            if target in float_dtypes:
                # SciPy computes float16 (and some float32) in float64: cast back down.
                dtypes = tuple(target if d in float_dtypes else d for d in dtypes)
        return [get_scalar_type(d) for d in dtypes]

    def make_node(self, *inputs: Any) -> Apply:
        if self.nin >= 0 and len(inputs) != self.nin:
            raise TypeError(f"{self} takes {self.nin} inputs, got {len(inputs)}")
        if not inputs:
            raise TypeError(f"{self} needs at least one input")
        ins = _convert_inputs(inputs, self.weak_group(len(inputs)))
        outs = self.output_types([i.type for i in ins])  # type: ignore[misc]
        return Apply(self, ins, [t() for t in outs])

    def impl(self, *inputs: Any) -> Any:
        """Compute on NumPy scalars; returns one value (or a tuple for several outputs)."""
        return self.ufunc(*inputs)

    def perform(self, node: Apply, inputs: Sequence[Any], output_storage: list[list[Any]]) -> None:
        # IEEE results (inf, nan) without warnings, as for tensors (see graft._fpe)
        res = quietly(self.impl, *inputs)
        if len(node.outputs) == 1:
            res = (res,)
        for store, r, out in zip(output_storage, res, node.outputs):
            dtype = out.type.numpy_dtype  # type: ignore[attr-defined]
            if not (isinstance(r, np.generic) and r.dtype == dtype):
                r = np.asarray(r).astype(dtype)[()]
            store[0] = r

    def L_op(
        self,
        inputs: Sequence[Variable],
        outputs: Sequence[Variable],
        output_grads: Sequence[Variable],
    ) -> list[Variable]:
        out_dtypes = [_dtype(o) for o in outputs]
        if all(d in discrete_dtypes for d in out_dtypes):
            raw: Sequence[Variable | None] = [None] * len(inputs)
        else:
            if not self.grad_complex_ok and any(
                _dtype(v) in complex_dtypes for v in (*inputs, *outputs)
            ):
                raise MethodNotDefined(f"the gradient of {self} is not defined for complex values")
            raw = self._grad(list(inputs), outputs[0], output_grads[0])
        fdtype = _grad_float_dtype(out_dtypes)
        return [_finish_grad(x, g, fdtype) for x, g in zip(inputs, raw)]

    def grad(self, inputs: Sequence[Variable], output_grads: Sequence[Variable]) -> list[Variable]:
        outputs = self.make_node(*inputs).outputs
        return self.L_op(inputs, outputs, output_grads)

    def _grad(self, inputs: list[Variable], output: Variable, gz: Variable) -> Sequence[Any]:
        raise MethodNotDefined(f"{self} is not differentiable")

    def __str__(self) -> str:
        return self.name


class UnaryScalarOp(ScalarOp):
    """A `ScalarOp` of one input, e.g. ``exp``: ``UnaryScalarOp.nin == 1``."""

    nin: ClassVar[int] = 1


class BinaryScalarOp(ScalarOp):
    """A `ScalarOp` of two inputs, e.g. ``sub``: ``BinaryScalarOp.nin == 2``."""

    nin: ClassVar[int] = 2


# ---------------------------------------------------------------------------
# Gradient helpers
# ---------------------------------------------------------------------------


def _grad_float_dtype(out_dtypes: Sequence[str]) -> str:
    # Discrete inputs get a zero gradient: of the op's float output dtype if
    # it has one (so float32 graphs stay float32), else float64.
    for d in out_dtypes:
        if d in float_dtypes:
            return d
        if d == "complex64":
            return "float32"
    return "float64"


def _dtype(v: Variable) -> str:
    return v.type.dtype  # type: ignore[attr-defined,no-any-return]


def _finish_grad(x: Variable, g: Any, float_dtype: str) -> Variable:
    xd = _dtype(x)
    if xd in discrete_dtypes:
        return constant(0, float_dtype)
    if g is None:
        return constant(0, xd)
    if not isinstance(g, Variable):
        return constant(g, xd)
    if not isinstance(g.type, ScalarType):
        return g  # a NullType (undefined or unimplemented) gradient: raised only if needed
    if _dtype(g) != xd:
        if isinstance(g, Constant):
            return constant(g.data, xd)
        return cast(g, xd)
    return g


def _zero_like(v: Variable) -> ScalarConstant:
    return constant(0, _dtype(v))


# ---------------------------------------------------------------------------
# Arithmetic
# ---------------------------------------------------------------------------


class Add(ScalarOp):
    """Sum of one or more inputs: ``add(x, y, z) == x + y + z`` (NumPy ``add``).

    Example: ``add(float64("x"), 1.0, float64("y"))``; ``add(bool, bool)`` is
    a bool (logical or), as in NumPy.
    """

    name = "add"
    grad_complex_ok = True
    commutative = True

    def make_ufunc(self) -> Callable[..., Any]:
        return VariadicUfunc(np.add)

    def _grad(self, inputs, output, gz):
        return [gz] * len(inputs)


class Mul(ScalarOp):
    """Product of one or more inputs: ``mul(x, y, z) == x * y * z`` (NumPy ``multiply``).

    Example: ``mul(float64("x"), 2.0)``; the gradient w.r.t. each input is
    ``gz`` times the product of the others.
    """

    name = "mul"
    grad_complex_ok = True
    commutative = True

    def make_ufunc(self) -> Callable[..., Any]:
        return VariadicUfunc(np.multiply)

    def _grad(self, inputs, output, gz):
        others = [inputs[:i] + inputs[i + 1 :] for i in range(len(inputs))]
        return [mul(gz, *o) if o else gz for o in others]


class Sub(BinaryScalarOp):
    """``sub(x, y) == x - y`` (NumPy ``subtract``; refuses bool inputs like NumPy)."""

    name = "sub"
    numpy_name = "subtract"
    grad_complex_ok = True

    def _grad(self, inputs, output, gz):
        return [gz, neg(gz)]


class TrueDiv(BinaryScalarOp):
    """``true_div(x, y) == x / y``, a float (`upgrade_to_float`).

    ``int64 / int64`` is float64 and ``int8 / int8`` float32 (NumPy: float64).
    """

    name = "true_div"
    numpy_name = "true_divide"
    grad_complex_ok = True
    returns_float = True

    def _grad(self, inputs, output, gz):
        y = inputs[1]
        return [gz / y, neg(gz * output) / y]


class IntDiv(BinaryScalarOp):
    """``int_div(x, y) == x // y`` (floor division, NumPy ``floor_divide``); zero gradient."""

    name = "int_div"
    numpy_name = "floor_divide"

    def _grad(self, inputs, output, gz):
        return [None, None]


class Mod(BinaryScalarOp):
    """``mod(x, y) == x % y`` with the sign of ``y`` (NumPy ``remainder``)."""

    name = "mod"
    numpy_name = "remainder"

    def _grad(self, inputs, output, gz):
        x, y = inputs
        return [gz, neg(gz) * int_div(x, y)]


class Neg(UnaryScalarOp):
    """``neg(x) == -x`` (NumPy ``negative``; refuses bool like NumPy)."""

    name = "neg"
    numpy_name = "negative"
    grad_complex_ok = True

    def _grad(self, inputs, output, gz):
        return [neg(gz)]


class Identity(UnaryScalarOp):
    """``identity(x)`` is a copy of ``x``, for every dtype."""

    name = "identity"
    grad_complex_ok = True

    def make_ufunc(self) -> Callable[..., Any]:
        return VecFunc(lambda x: np.array(x, copy=True), 1, "identity")

    def _grad(self, inputs, output, gz):
        return [gz]


class Reciprocal(UnaryScalarOp):
    """``reciprocal(x) == 1 / x`` by true division.

    Unlike ``np.reciprocal`` (integer division on integers), integer inputs
    give floats by `upgrade_to_float`: ``reciprocal(int8)`` is float32,
    ``reciprocal(int64)`` float64.
    """

    name = "reciprocal"
    returns_float = True

    def make_ufunc(self) -> Callable[..., Any]:
        return VecFunc(lambda x: np.true_divide(1, x), 1, "reciprocal")

    def _grad(self, inputs, output, gz):
        return [neg(gz) * output * output]


class Sqr(UnaryScalarOp):
    """``sqr(x) == x * x`` (NumPy ``square``)."""

    name = "sqr"
    numpy_name = "square"

    def _grad(self, inputs, output, gz):
        return [gz * 2 * inputs[0]]


class Pow(BinaryScalarOp):
    """``pow(x, y) == x ** y`` (NumPy ``power``; integers to negative powers raise)."""

    name = "pow"
    numpy_name = "power"

    def _grad(self, inputs, output, gz):
        from graft.scalar.math import log

        x, y = inputs
        gx = gz * y * pow(x, y - 1)
        gy = gz * output * log(x) if y.type.dtype not in discrete_dtypes else None
        return [gx, gy]


class Abs(UnaryScalarOp):
    """``abs(x)`` (NumPy ``absolute``); the gradient is ``gz * sign(x)``."""

    name = "abs"
    numpy_name = "absolute"

    def _grad(self, inputs, output, gz):
        return [gz * sign(inputs[0])]


class Sign(UnaryScalarOp):
    """``sign(x)`` in {-1, 0, 1} (NaN for NaN), NumPy ``sign``; zero gradient."""

    name = "sign"
    numpy_name = "sign"

    def _grad(self, inputs, output, gz):
        return [None]


class Maximum(BinaryScalarOp):
    """Larger of two inputs, propagating NaN (NumPy ``maximum``); ties send the gradient to x."""

    name = "maximum"
    numpy_name = "maximum"

    def _grad(self, inputs, output, gz):
        x, y = inputs
        return [gz * ge(x, y), gz * lt(x, y)]


class Minimum(BinaryScalarOp):
    """Smaller of two inputs, propagating NaN (NumPy ``minimum``); ties send the gradient to x."""

    name = "minimum"
    numpy_name = "minimum"

    def _grad(self, inputs, output, gz):
        x, y = inputs
        return [gz * le(x, y), gz * gt(x, y)]


class Switch(ScalarOp):
    """``switch(cond, a, b)`` is ``a`` where ``cond`` is true, else ``b`` (``np.where``).

    The output dtype is that of ``np.where`` (promotion of ``a`` and ``b``);
    the gradient goes to the chosen branch, zero to the condition.
    """

    name = "switch"
    nin = 3
    grad_complex_ok = True

    def make_ufunc(self) -> Callable[..., Any]:
        return VecFunc(np.where, 3, "switch")

    def weak_group(self, n: int) -> Sequence[int]:
        return (1, 2)

    def _grad(self, inputs, output, gz):
        c = inputs[0]
        zero = _zero_like(gz)
        return [None, switch(c, gz, zero), switch(c, zero, gz)]


class Second(BinaryScalarOp):
    """``second(a, b)`` is ``b`` (broadcast against ``a``); ``Elemwise(second)`` is ``fill``."""

    name = "second"
    grad_complex_ok = True

    def make_ufunc(self) -> Callable[..., Any]:
        def second_impl(a: Any, b: Any) -> Any:
            return np.broadcast_arrays(a, b)[1].copy()

        return VecFunc(second_impl, 2, "second")

    def _grad(self, inputs, output, gz):
        return [None, gz]


# ---------------------------------------------------------------------------
# Comparisons and logic (bool or integer outputs: zero gradients)
# ---------------------------------------------------------------------------


class LT(BinaryScalarOp):
    """``lt(x, y) == (x < y)``, a bool."""

    name, numpy_name = "lt", "less"


class GT(BinaryScalarOp):
    """``gt(x, y) == (x > y)``, a bool."""

    name, numpy_name = "gt", "greater"


class LE(BinaryScalarOp):
    """``le(x, y) == (x <= y)``, a bool."""

    name, numpy_name = "le", "less_equal"


class GE(BinaryScalarOp):
    """``ge(x, y) == (x >= y)``, a bool."""

    name, numpy_name = "ge", "greater_equal"


class EQ(BinaryScalarOp):
    """``eq(x, y) == (x == y)`` as a graph node (Variables themselves compare by identity)."""

    name, numpy_name = "eq", "equal"
    commutative = True


class NEQ(BinaryScalarOp):
    """``neq(x, y) == (x != y)``, a bool."""

    name, numpy_name = "neq", "not_equal"
    commutative = True


class IsNan(UnaryScalarOp):
    """``isnan(x)``, a bool (False for integers)."""

    name, numpy_name = "isnan", "isnan"


class IsInf(UnaryScalarOp):
    """``isinf(x)``, a bool (False for integers)."""

    name, numpy_name = "isinf", "isinf"


class AND(BinaryScalarOp):
    """Bitwise and (logical for bools): ``and_(x, y) == x & y`` (NumPy ``bitwise_and``).

    Integer and bool inputs only; ``bitwise_and`` is the same op.
    """

    name, numpy_name = "and_", "bitwise_and"
    commutative = True


class OR(BinaryScalarOp):
    """Bitwise or (logical for bools): ``or_(x, y) == x | y`` (NumPy ``bitwise_or``).

    Integer and bool inputs only; ``bitwise_or`` is the same op.
    """

    name, numpy_name = "or_", "bitwise_or"
    commutative = True


class XOR(BinaryScalarOp):
    """Bitwise xor (logical for bools): ``xor(x, y) == x ^ y`` (NumPy ``bitwise_xor``).

    Integer and bool inputs only; ``bitwise_xor`` is the same op.
    """

    name, numpy_name = "xor", "bitwise_xor"
    commutative = True


class Invert(UnaryScalarOp):
    """Bitwise not (logical not for bools): ``invert(x) == ~x`` (NumPy ``invert``).

    Integer and bool inputs only; ``bitwise_not`` is the same op.
    """

    name, numpy_name = "invert", "invert"


# ---------------------------------------------------------------------------
# Casts
# ---------------------------------------------------------------------------


class Cast(UnaryScalarOp):
    """Convert to ``dtype`` with NumPy's ``astype`` (unsafe: truncates, wraps).

    ``Cast("float32") == convert_to_float32``; the gradient is cast back to the
    input dtype (zero when either side is discrete).

    Example: ``cast(float64("x"), "int64")`` → ``convert_to_int64(x)``.
    """

    __props__ = ("dtype",)

    def __init__(self, dtype: Any) -> None:
        self.o_type = get_scalar_type(dtype)
        self.dtype = self.o_type.dtype
        self.name = f"convert_to_{self.dtype}"

    def make_ufunc(self) -> Callable[..., Any]:
        dtype = self.o_type.numpy_dtype
        return VecFunc(lambda x: np.asarray(x).astype(dtype), 1, self.name)

    def output_types(self, input_types: Sequence[ScalarType]) -> list[ScalarType]:
        return [self.o_type]

    def _grad(self, inputs, output, gz):
        return [gz]


_casts = {d: Cast(d) for d in all_dtypes}
convert_to_bool = _casts["bool"]
convert_to_int8, convert_to_int16, convert_to_int32, convert_to_int64 = (
    _casts[d] for d in int_dtypes
)
convert_to_uint8, convert_to_uint16, convert_to_uint32, convert_to_uint64 = (
    _casts[d] for d in uint_dtypes
)
convert_to_float16, convert_to_float32, convert_to_float64 = (_casts[d] for d in float_dtypes)
convert_to_complex64, convert_to_complex128 = (_casts[d] for d in complex_dtypes)


def cast(x: Any, dtype: Any) -> ScalarVariable | ScalarConstant:
    """``x`` converted to ``dtype``; returns ``x`` itself when it already has it."""
    d = get_scalar_type(dtype).dtype
    x = as_scalar(x)
    if x.type.dtype == d:
        return x
    return _casts[d](x)


# ---------------------------------------------------------------------------
# Instances
# ---------------------------------------------------------------------------

add = Add()
mul = Mul()
sub = Sub()
true_div = TrueDiv()
int_div = IntDiv()
mod = Mod()
neg = Neg()
identity = Identity()
reciprocal = Reciprocal()
sqr = Sqr()
pow = Pow()
abs_ = Abs()
sign = Sign()
maximum = Maximum()
minimum = Minimum()
switch = Switch()
second = Second()
lt = LT()
gt = GT()
le = LE()
ge = GE()
eq = EQ()
neq = NEQ()
isnan = IsNan()
isinf = IsInf()
and_ = AND()
or_ = OR()
xor = XOR()
invert = Invert()
# NumPy's names for the same ops.
bitwise_and = and_
bitwise_or = or_
bitwise_xor = xor
bitwise_not = invert


def __getattr__(name: str) -> Any:
    # ``graft.scalar.basic.bool``/``.abs`` without shadowing the builtins here.
    if name == "bool":
        return bool_
    if name == "abs":
        return abs_
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
