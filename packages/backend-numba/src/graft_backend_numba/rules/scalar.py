"""Scalar ops as numba expressions: the element-level code of the elementwise rules.

`scalar_code` turns one graft scalar op, applied to argument expressions of
known dtypes, into Python source that numba compiles in nopython mode. It is
what the ``Elemwise``, ``CAReduce`` and ``ElemwiseReduce`` rules
(`graft_backend_numba.rules.elemwise`) put inside their loops.

Semantics are those of the op's NumPy ``ufunc`` (what the reference backend
runs), for the node's declared dtypes:

- Every result is converted to its declared output dtype (numba computes
  ``int8 + int8`` in int64; the conversion wraps as NumPy does).
- Arguments are converted to the dtype NumPy computes in: the output dtype
  for arithmetic, and for float-returning ops (``returns_float``) the
  `upgrade_to_float` dtype, before the math, as `graft.scalar.FloatUfunc`
  does (``exp(int8)`` is computed in float32).
- Integer ``//`` and ``%`` by zero give 0, integers to negative powers raise
  ValueError, ``maximum``/``minimum`` propagate NaN, ``sign(-0.0)`` is 0.0:
  see `graft_backend_numba.rules.kernels_scalar` for the helpers.
- Special functions numba has (``math.erf``, ``math.lgamma``,
  ``math.gamma``) are computed in float64 and rounded to the output dtype;
  ``psi`` has its own helper. Ops without a numba equivalent of SciPy's
  accuracy (``erfinv``, ``erfcx``, ``polygamma``, ``gammainc``...) give
  None: their nodes run through ``perform``.
- float16 and complex values give None (numba has no float16 arithmetic on
  the CPU; complex ops are left to ``perform``).

Example::

    from graft.scalar import add
    code = scalar_code(add, ["a", "b"], ["int8", "int8"], ["int8"], em)
    code.exprs   # ['np.int8(a + b)']
"""

from __future__ import annotations

import hashlib
import importlib
import math
from collections.abc import Callable, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any, NamedTuple

import numpy as np

import graft.scalar.basic as sb
import graft.scalar.composite as sc
import graft.scalar.math as sm
import graft.scalar.special as ss
from graft.graph.basic import Constant, Variable, io_toposort
from graft.link.codegen import Emitter
from graft.scalar.basic import ScalarOp

# ``graft.scalar.gammainc`` is also the name of an op there: take the module itself.
sg = importlib.import_module("graft.scalar.gammainc")

__all__ = [
    "SCALAR_EXPRESSIONS",
    "ScalarCode",
    "convert",
    "literal",
    "np_type",
    "scalar_code",
    "scalar_op_classes",
    "supported_dtype",
]

_UNSUPPORTED_DTYPES = frozenset({"float16", "complex64", "complex128"})
_INTS = frozenset({"int8", "int16", "int32", "int64"})
_UINTS = frozenset({"uint8", "uint16", "uint32", "uint64"})
_FLOATS = frozenset({"float32", "float64"})


class ScalarCode(NamedTuple):
    """Statements to run first (temporaries) and one expression per output."""

    lines: list[str]
    exprs: list[str]


ExprFn = Callable[[Any, list[str], list[str], str, Emitter], "str | None"]

#: Op class -> expression builder ``fn(op, args, in_dtypes, out_dtype, em)``
#: (None from it: not expressible for those dtypes). Every concrete scalar op
#: class of graft.scalar has an entry (`scalar_op_classes`); those numba cannot
#: compute map to a builder that always returns None.
SCALAR_EXPRESSIONS: dict[type, ExprFn] = {}


def supported_dtype(dtype: str) -> bool:
    """Whether generated code handles values of ``dtype`` (not float16 or complex)."""
    return dtype not in _UNSUPPORTED_DTYPES


def np_type(dtype: str) -> str:
    """The numba-visible NumPy scalar type for ``dtype``: ``np.float64``, ``np.bool_``."""
    return "np.bool_" if dtype == "bool" else f"np.{np.dtype(dtype).name}"


def literal(value: Any, dtype: str) -> str:
    """A numba expression for the constant ``value`` as a scalar of ``dtype``."""
    v = np.asarray(value).astype(dtype)[()]
    kind = np.dtype(dtype).kind
    if kind == "b":
        return "True" if v else "False"
    if kind in "iu":
        return f"np.{dtype}({int(v)})"
    f = float(v)
    if math.isnan(f):
        text = "np.nan"
    elif math.isinf(f):
        text = "np.inf" if f > 0 else "-np.inf"
    else:
        text = repr(f)
    return f"np.{dtype}({text})"


def convert(expr: str, src: str, dst: str) -> str:
    """``expr`` (a value of dtype ``src``) as a value of dtype ``dst`` (NumPy's ``astype``)."""
    if src == dst:
        return expr
    if dst == "bool":
        return f"({expr} != 0)"
    if src in _FLOATS and dst != "int64" and (dst in _INTS or dst in _UINTS):
        # NumPy's C casts truncate through a wide signed integer (-2.0 -> uint16 65534);
        # numba's direct conversion leaves out-of-range values undefined.
        if dst == "uint64":
            return f"(np.uint64({expr}) if {expr} >= 0 else np.uint64(np.int64({expr})))"
        return f"np.{dst}(np.int64({expr}))"
    return f"np.{dst}({expr})"


def _wrap(expr: str, dtype: str) -> str:
    # numba promotes small integers (and mixes) to wider types: come back to ``dtype``.
    return "bool(" + expr + ")" if dtype == "bool" else f"np.{dtype}({expr})"


def _kernel(em: Emitter, name: str) -> str:
    """The identifier of helper ``name`` of `kernels_scalar` in the generated module.

    The identifier carries a digest of the helpers' source: numba caches a compiled
    graph by the source of its module, which must change when a helper does.
    """
    global _KERNEL_DIGEST
    from graft_backend_numba.rules import kernels_scalar

    if _KERNEL_DIGEST is None:
        src = Path(kernels_scalar.__file__ or "").read_bytes()
        _KERNEL_DIGEST = hashlib.sha256(src).hexdigest()[:12]
    return em.add_global(getattr(kernels_scalar, name), f"{name}_{_KERNEL_DIGEST}")


_KERNEL_DIGEST: str | None = None


def _imports(em: Emitter) -> None:
    em.add_import("import math")
    em.add_import("import numpy as np")


def _register(*classes: type) -> Callable[[ExprFn], ExprFn]:
    def deco(fn: ExprFn) -> ExprFn:
        for c in classes:
            SCALAR_EXPRESSIONS[c] = fn
        return fn

    return deco


def _conv_all(args: list[str], in_dtypes: list[str], dtype: str) -> list[str]:
    return [convert(a, d, dtype) for a, d in zip(args, in_dtypes)]


# ---------------------------------------------------------------------------
# Arithmetic
# ---------------------------------------------------------------------------


@_register(sb.Add, sb.Mul)
def _add_mul(op: Any, args: list[str], ind: list[str], out: str, em: Emitter) -> str | None:
    xs = _conv_all(args, ind, out)
    if len(xs) == 1:
        return xs[0]
    if out == "bool":  # NumPy: logical or / and
        return "(" + (" or " if isinstance(op, sb.Add) else " and ").join(xs) + ")"
    return _wrap((" + " if isinstance(op, sb.Add) else " * ").join(xs), out)


@_register(sb.Sub)
def _sub(op: Any, args: list[str], ind: list[str], out: str, em: Emitter) -> str | None:
    if out == "bool":
        return None  # NumPy refuses boolean subtraction
    a, b = _conv_all(args, ind, out)
    return _wrap(f"{a} - {b}", out)


@_register(sb.Neg)
def _neg(op: Any, args: list[str], ind: list[str], out: str, em: Emitter) -> str | None:
    if out == "bool":
        return None
    return _wrap(f"-{convert(args[0], ind[0], out)}", out)


@_register(sb.Identity)
def _identity(op: Any, args: list[str], ind: list[str], out: str, em: Emitter) -> str | None:
    return convert(args[0], ind[0], out)


@_register(sb.Cast)
def _cast(op: Any, args: list[str], ind: list[str], out: str, em: Emitter) -> str | None:
    return convert(args[0], ind[0], out)


@_register(sb.Second)
def _second(op: Any, args: list[str], ind: list[str], out: str, em: Emitter) -> str | None:
    return convert(args[1], ind[1], out)


@_register(sb.TrueDiv)
def _true_div(op: Any, args: list[str], ind: list[str], out: str, em: Emitter) -> str | None:
    if out not in _FLOATS:
        return None
    a, b = _conv_all(args, ind, out)
    return _wrap(f"{a} / {b}", out)


@_register(sb.Reciprocal)
def _reciprocal(op: Any, args: list[str], ind: list[str], out: str, em: Emitter) -> str | None:
    if out not in _FLOATS:
        return None
    return _wrap(f"{literal(1, out)} / {convert(args[0], ind[0], out)}", out)


@_register(sb.Sqr)
def _sqr(op: Any, args: list[str], ind: list[str], out: str, em: Emitter) -> str | None:
    a = convert(args[0], ind[0], out)
    return a if out == "bool" else _wrap(f"{a} * {a}", out)


@_register(sb.IntDiv, sb.Mod)
def _int_div_mod(op: Any, args: list[str], ind: list[str], out: str, em: Emitter) -> str | None:
    a, b = _conv_all(args, ind, out)
    div = isinstance(op, sb.IntDiv)
    if out in _FLOATS:
        # numba's float // and % are NumPy's (floor semantics, inf/nan for a zero divisor).
        return _wrap(f"{a} {'//' if div else '%'} {b}", out)
    if out in _INTS:
        return _wrap(f"{_kernel(em, 'int_floordiv' if div else 'int_mod')}({a}, {b})", out)
    if out in _UINTS:
        return _wrap(f"{_kernel(em, 'uint_floordiv' if div else 'uint_mod')}({a}, {b})", out)
    return None


@_register(sb.Pow)
def _pow(op: Any, args: list[str], ind: list[str], out: str, em: Emitter) -> str | None:
    a, b = _conv_all(args, ind, out)
    if out in _FLOATS:
        return _wrap(f"{a} ** {b}", out)
    if out in _INTS or out in _UINTS:
        return _wrap(f"{_kernel(em, 'int_pow')}({a}, {b})", out)
    return None


@_register(sb.Abs)
def _abs(op: Any, args: list[str], ind: list[str], out: str, em: Emitter) -> str | None:
    a = convert(args[0], ind[0], out)
    if out == "bool" or out in _UINTS:
        return a
    return _wrap(f"abs({a})", out)


@_register(sb.Sign)
def _sign(op: Any, args: list[str], ind: list[str], out: str, em: Emitter) -> str | None:
    a = convert(args[0], ind[0], out)
    if out in _FLOATS:
        return _wrap(f"{_kernel(em, 'fsign')}({a})", out)
    one, zero = literal(1, out), literal(0, out)
    if out in _UINTS:
        return f"({one} if {a} > 0 else {zero})"
    if out in _INTS:
        return f"({one} if {a} > 0 else ({literal(-1, out)} if {a} < 0 else {zero}))"
    return None


@_register(sb.Maximum, sb.Minimum)
def _max_min(op: Any, args: list[str], ind: list[str], out: str, em: Emitter) -> str | None:
    a, b = _conv_all(args, ind, out)
    is_max = isinstance(op, sb.Maximum)
    if out == "bool":
        return f"({a} {'or' if is_max else 'and'} {b})"
    cmp = ">" if is_max else "<"
    if out in _FLOATS:
        # NumPy: NaN if either is NaN; on ties (-0.0 vs 0.0) the second argument.
        return f"({a} if ({a} {cmp} {b} or {a} != {a}) else {b})"
    return f"({a} if {a} {cmp} {b} else {b})"


@_register(sb.Switch)
def _switch(op: Any, args: list[str], ind: list[str], out: str, em: Emitter) -> str | None:
    c = convert(args[0], ind[0], "bool")
    a, b = convert(args[1], ind[1], out), convert(args[2], ind[2], out)
    return f"({a} if {c} else {b})"


# ---------------------------------------------------------------------------
# Comparisons and logic
# ---------------------------------------------------------------------------

_CMP = {sb.LT: "<", sb.GT: ">", sb.LE: "<=", sb.GE: ">=", sb.EQ: "==", sb.NEQ: "!="}


@_register(*_CMP)
def _compare(op: Any, args: list[str], ind: list[str], out: str, em: Emitter) -> str | None:
    if out != "bool":
        return None
    common = np.result_type(*ind).name
    if {ind[0], ind[1]} & _INTS and {ind[0], ind[1]} & _UINTS and common not in _INTS:
        return None  # e.g. int64 vs uint64: NumPy compares exactly, a float64 cast would not
    if common == "bool":
        common = "int8"
    a, b = _conv_all(args, ind, common)
    return f"({a} {_CMP[type(op)]} {b})"


@_register(sb.IsNan, sb.IsInf)
def _isnan_isinf(op: Any, args: list[str], ind: list[str], out: str, em: Emitter) -> str | None:
    if ind[0] not in _FLOATS:
        return "False"
    return f"math.{'isnan' if isinstance(op, sb.IsNan) else 'isinf'}({args[0]})"


_BITS = {sb.AND: ("&", "and"), sb.OR: ("|", "or"), sb.XOR: ("^", "!=")}


@_register(*_BITS)
def _bitwise(op: Any, args: list[str], ind: list[str], out: str, em: Emitter) -> str | None:
    a, b = _conv_all(args, ind, out)
    sym, logical = _BITS[type(op)]
    if out == "bool":
        return f"({a} {logical} {b})"
    if out in _INTS or out in _UINTS:
        return _wrap(f"{a} {sym} {b}", out)
    return None


@_register(sb.Invert)
def _invert(op: Any, args: list[str], ind: list[str], out: str, em: Emitter) -> str | None:
    a = convert(args[0], ind[0], out)
    if out == "bool":
        return f"(not {a})"
    if out in _INTS or out in _UINTS:
        return _wrap(f"~{a}", out)
    return None


# ---------------------------------------------------------------------------
# Float-returning math: arguments converted to the output dtype first
# ---------------------------------------------------------------------------

_UNARY_MATH: dict[type, str] = {
    sm.Exp: "math.exp",
    sm.Exp2: "np.exp2",
    sm.Expm1: "math.expm1",
    sm.Log: "math.log",
    sm.Log2: "math.log2",
    sm.Log10: "math.log10",
    sm.Log1p: "math.log1p",
    sm.Sqrt: "math.sqrt",
    sm.Cbrt: "np.cbrt",
    sm.Sin: "math.sin",
    sm.Cos: "math.cos",
    sm.Tan: "math.tan",
    sm.ArcSin: "math.asin",
    sm.ArcCos: "math.acos",
    sm.ArcTan: "math.atan",
    sm.Sinh: "math.sinh",
    sm.Cosh: "math.cosh",
    sm.Tanh: "math.tanh",
    sm.ArcSinh: "math.asinh",
    sm.ArcCosh: "math.acosh",
    sm.ArcTanh: "math.atanh",
    sm.RoundHalfToEven: "np.rint",
}
#: Computed by a helper of kernels_scalar in the output dtype.
_UNARY_KERNEL: dict[type, str] = {
    sm.RoundHalfAwayFromZero: "round_half_away",
    ss.Sigmoid: "sigmoid",
    ss.Log1mExp: "log1mexp",
}
#: Computed in float64 (numba's math module or a helper), rounded to the output dtype.
_UNARY_F64: dict[type, str] = {
    ss.Erf: "math.erf",
    ss.Erfc: "math.erfc",
    ss.Gamma: "gamma",
    ss.GammaLn: "gammaln",
    ss.Psi: "digamma",
}
_BINARY_MATH: dict[type, str] = {
    sm.ArcTan2: "math.atan2",
    sm.Hypot: "math.hypot",
    sm.LogAddExp: "logaddexp",
    sm.XlogY0: "xlogy0",
}


@_register(*_UNARY_MATH, *_UNARY_KERNEL, *_UNARY_F64, sm.Deg2Rad, sm.Rad2Deg)
def _float_unary(op: Any, args: list[str], ind: list[str], out: str, em: Emitter) -> str | None:
    if out not in _FLOATS:
        return None
    a = convert(args[0], ind[0], out)
    cls = type(op)
    if cls in _UNARY_MATH:
        return _wrap(f"{_UNARY_MATH[cls]}({a})", out)
    if cls in _UNARY_KERNEL:
        return _wrap(f"{_kernel(em, _UNARY_KERNEL[cls])}({a})", out)
    if cls in _UNARY_F64:
        fn = _UNARY_F64[cls]
        fn = fn if fn.startswith("math.") else _kernel(em, fn)
        return _wrap(f"{fn}({convert(a, out, 'float64')})", out)
    factor = math.pi / 180 if cls is sm.Deg2Rad else 180 / math.pi
    return _wrap(f"{a} * {literal(factor, out)}", out)


@_register(*_BINARY_MATH)
def _float_binary(op: Any, args: list[str], ind: list[str], out: str, em: Emitter) -> str | None:
    if out not in _FLOATS:
        return None
    a, b = _conv_all(args, ind, out)
    fn = _BINARY_MATH[type(op)]
    fn = fn if fn.startswith("math.") else _kernel(em, fn)
    return _wrap(f"{fn}({a}, {b})", out)


@_register(sm.XlogX)
def _xlogx(op: Any, args: list[str], ind: list[str], out: str, em: Emitter) -> str | None:
    if out not in _FLOATS:
        return None
    a = convert(args[0], ind[0], out)
    return _wrap(f"{_kernel(em, 'xlogy0')}({a}, {a})", out)


@_register(ss.Softplus)
def _softplus(op: Any, args: list[str], ind: list[str], out: str, em: Emitter) -> str | None:
    if out not in _FLOATS:
        return None
    a = convert(args[0], ind[0], out)
    return _wrap(f"{_kernel(em, 'logaddexp')}({literal(0, out)}, {a})", out)


@_register(sm.Floor, sm.Ceil, sm.Trunc)
def _rounding(op: Any, args: list[str], ind: list[str], out: str, em: Emitter) -> str | None:
    if out in _FLOATS:
        fn = {sm.Floor: "np.floor", sm.Ceil: "np.ceil", sm.Trunc: "np.trunc"}[type(op)]
        return _wrap(f"{fn}({convert(args[0], ind[0], out)})", out)
    if ind[0] == out:
        return args[0]  # integers and bools are their own floor (NumPy keeps the dtype)
    return None


@_register(
    ss.Erfcx,
    ss.Erfinv,
    ss.Erfcinv,
    ss.TriGamma,
    ss.PolyGamma,
    sg.GammaInc,
    sg.GammaIncC,
    sg.GammaIncInv,
    sg.GammaIncCInv,
    sg.GammaIncGrad,
)
def _not_in_numba(op: Any, args: list[str], ind: list[str], out: str, em: Emitter) -> str | None:
    # SciPy-only functions (no numba equivalent of the same accuracy): run via perform.
    return None


# ---------------------------------------------------------------------------
# Entry points
# ---------------------------------------------------------------------------


def scalar_op_classes() -> list[type]:
    """Every concrete `ScalarOp` class defined in graft.scalar (basic, math, special,
    gammainc, composite), found by walking those modules."""
    mods: list[ModuleType] = [sb, sm, ss, sg, sc]
    abstract = {sb.ScalarOp, sb.UnaryScalarOp, sb.BinaryScalarOp}
    found: dict[type, None] = {}
    for mod in mods:
        for value in vars(mod).values():
            if (
                isinstance(value, type)
                and issubclass(value, ScalarOp)
                and value not in abstract
                and value.__module__ == mod.__name__
            ):
                found[value] = None
    return list(found)


def scalar_code(
    op: ScalarOp,
    args: Sequence[str],
    in_dtypes: Sequence[str],
    out_dtypes: Sequence[str],
    em: Emitter,
) -> ScalarCode | None:
    """Source computing ``op`` on ``args`` (identifiers or literals, which may be used
    more than once) of ``in_dtypes``, giving values of exactly ``out_dtypes``; None when
    the op or a dtype has no numba implementation.

    Example::

        scalar_code(graft.scalar.exp, ["x"], ["int8"], ["float32"], em)
        # ScalarCode(lines=[], exprs=['np.float32(math.exp(np.float32(x)))'])
    """
    if not all(supported_dtype(d) for d in (*in_dtypes, *out_dtypes)):
        return None
    _imports(em)
    if isinstance(op, sc.Composite):
        return _composite(op, list(args), list(in_dtypes), em)
    fn = SCALAR_EXPRESSIONS.get(type(op))
    if fn is None or len(out_dtypes) != 1:
        return None
    expr = fn(op, list(args), list(in_dtypes), out_dtypes[0], em)
    return None if expr is None else ScalarCode([], [expr])


def _composite(
    op: sc.Composite, args: list[str], in_dtypes: list[str], em: Emitter
) -> ScalarCode | None:
    """The inner graph inlined: one temporary per inner node output, in graph order."""
    try:
        ins, outs = op._retyped(in_dtypes)
    except TypeError:
        return None
    names: dict[Variable, str] = dict(zip(ins, args))

    def ref(v: Variable) -> str:
        if v in names:
            return names[v]
        assert isinstance(v, Constant)
        return literal(sc._const_value(v), _dtype(v))

    lines: list[str] = []
    for node in io_toposort(ins, outs):
        node_in = [_dtype(v) for v in node.inputs]
        node_out = [_dtype(v) for v in node.outputs]
        if not all(supported_dtype(d) for d in (*node_in, *node_out)):
            return None
        sub = scalar_code(node.op, [ref(v) for v in node.inputs], node_in, node_out, em)  # type: ignore[arg-type]
        if sub is None:
            return None
        lines.extend(sub.lines)
        for o, e in zip(node.outputs, sub.exprs):
            t = em.fresh("t")
            lines.append(f"{t} = {e}")
            names[o] = t
    if not all(supported_dtype(_dtype(v)) for v in outs):
        return None
    return ScalarCode(lines, [ref(v) for v in outs])


def _dtype(v: Variable) -> str:
    return v.type.dtype  # type: ignore[attr-defined,no-any-return]
