"""Scalar ops as C expressions: the element-level code of the elementwise and reduction loops.

`scalar_code` turns one graft scalar op applied to C argument expressions of
known dtypes into C statements and one expression per output, with the
semantics of the op's NumPy ufunc (what the reference backend runs):

- every result is converted to its declared dtype; arguments are first
  converted to the dtype NumPy computes in (the output dtype for arithmetic
  and float-returning math, as `graft.scalar.FloatUfunc` does);
- signed overflow wraps (the module is built with ``-fwrapv``);
- float-to-integer conversions go through ``npy_int32`` (8 and 16 bits) or
  ``npy_int64`` (uint32), as NumPy's casts do on this platform;
- integer ``//`` and ``%`` by zero give 0; integers to negative powers set
  the module's error flag (the loop then raises ValueError, and the base
  replays the node through ``perform`` for NumPy's message); ``maximum`` and
  ``minimum`` propagate NaN; ``sign(NaN)`` is NaN.

Ops without a C equivalent of SciPy's accuracy (``erfinv``, ``psi``, the
incomplete gammas...), float16 and complex values give None: their nodes
run through ``perform``.

Example::

    from graft.scalar import add
    scalar_code(add, ["a", "b"], ["int8", "int8"], ["int8"])
    # ScalarCode(lines=[], exprs=['((npy_int8)(a + b))'], flags=False)
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

import graft.scalar.basic as sb
import graft.scalar.composite as sc
import graft.scalar.math as sm
import graft.scalar.special as ss
from graft.graph.basic import Constant, Variable, io_toposort
from graft.scalar.basic import ScalarOp

__all__ = ["CTYPES", "ScalarCode", "c_literal", "convert", "scalar_code", "typenum"]

CTYPES: dict[str, str] = {
    "bool": "npy_bool",
    "int8": "npy_int8",
    "int16": "npy_int16",
    "int32": "npy_int32",
    "int64": "npy_int64",
    "uint8": "npy_uint8",
    "uint16": "npy_uint16",
    "uint32": "npy_uint32",
    "uint64": "npy_uint64",
    "float32": "npy_float32",
    "float64": "npy_float64",
}
_INTS = frozenset({"int8", "int16", "int32", "int64"})
_UINTS = frozenset({"uint8", "uint16", "uint32", "uint64"})
_FLOATS = frozenset({"float32", "float64"})


def typenum(dtype: str) -> str:
    """The NumPy C type number macro of ``dtype``: ``NPY_FLOAT64``, ``NPY_BOOL``."""
    return f"NPY_{dtype.upper()}"


@dataclass
class ScalarCode:
    """Statements to run first, one expression per output; ``flags``: may set the error flag."""

    lines: list[str]
    exprs: list[str]
    flags: bool = False
    temps: list[str] = field(default_factory=list)


def c_literal(value: Any, dtype: str) -> str:
    """An exact C expression for ``value`` as a scalar of ``dtype``."""
    v = np.asarray(value).astype(dtype)[()]
    t = CTYPES[dtype]
    kind = np.dtype(dtype).kind
    if kind == "b":
        return "((npy_bool)1)" if v else "((npy_bool)0)"
    if kind == "i":
        i = int(v)
        if i == np.iinfo(np.int64).min:
            return f"(({t})(-9223372036854775807LL - 1))"
        return f"(({t}){i}LL)"
    if kind == "u":
        return f"(({t}){int(v)}ULL)"
    f = float(v)
    if math.isnan(f):
        return f"(({t})NAN)"
    if math.isinf(f):
        return f"(({t})INFINITY)" if f > 0 else f"(({t})-INFINITY)"
    return f"(({t}){f.hex()})"


def convert(expr: str, src: str, dst: str) -> str:
    """``expr`` (a value of dtype ``src``) as a value of dtype ``dst`` (NumPy's ``astype``)."""
    if src == dst:
        return expr
    if dst == "bool":
        return f"((npy_bool)(({expr}) != 0))"
    t = CTYPES[dst]
    if src in _FLOATS:
        if dst == "uint64":
            return f"graft_f2u64((double)({expr}))"
        if dst in ("int8", "int16", "uint8", "uint16"):
            return f"(({t})(npy_int32)({expr}))"
        if dst == "uint32":
            return f"(({t})(npy_int64)({expr}))"
    return f"(({t})({expr}))"


def _wrap(expr: str, dtype: str) -> str:
    # C promotes small integers to int: come back to ``dtype``.
    return f"(({CTYPES[dtype]})({expr}))"


def _conv_all(args: list[str], ind: list[str], dtype: str) -> list[str]:
    return [convert(a, d, dtype) for a, d in zip(args, ind)]


ExprFn = Callable[[Any, list[str], list[str], str], "str | None"]
#: Op class -> ``fn(op, args, in_dtypes, out_dtype)`` giving a C expression or None.
SCALAR_EXPRESSIONS: dict[type, ExprFn] = {}
#: Ops whose expression may set the module's error flag.
_FLAGGING: set[type] = {sb.Pow}


def _register(*classes: type) -> Callable[[ExprFn], ExprFn]:
    def deco(fn: ExprFn) -> ExprFn:
        for c in classes:
            SCALAR_EXPRESSIONS[c] = fn
        return fn

    return deco


def _fn(name: str, dtype: str) -> str:
    """The libm function ``name`` for ``dtype`` (``expf`` for float32)."""
    return name + ("f" if dtype == "float32" else "")


# -- arithmetic ---------------------------------------------------------------


@_register(sb.Add, sb.Mul)
def _add_mul(op: Any, args: list[str], ind: list[str], out: str) -> str | None:
    xs = _conv_all(args, ind, out)
    if len(xs) == 1:
        return xs[0]
    if out == "bool":
        return "((npy_bool)(" + (" || " if isinstance(op, sb.Add) else " && ").join(xs) + "))"
    return _wrap((" + " if isinstance(op, sb.Add) else " * ").join(xs), out)


@_register(sb.Sub)
def _sub(op: Any, args: list[str], ind: list[str], out: str) -> str | None:
    if out == "bool":
        return None
    a, b = _conv_all(args, ind, out)
    return _wrap(f"{a} - {b}", out)


@_register(sb.Neg)
def _neg(op: Any, args: list[str], ind: list[str], out: str) -> str | None:
    if out == "bool":
        return None
    return _wrap(f"-{convert(args[0], ind[0], out)}", out)


@_register(sb.Identity, sb.Cast)
def _identity(op: Any, args: list[str], ind: list[str], out: str) -> str | None:
    return convert(args[0], ind[0], out)


@_register(sb.Second)
def _second(op: Any, args: list[str], ind: list[str], out: str) -> str | None:
    return convert(args[1], ind[1], out)


@_register(sb.TrueDiv)
def _true_div(op: Any, args: list[str], ind: list[str], out: str) -> str | None:
    if out not in _FLOATS:
        return None
    a, b = _conv_all(args, ind, out)
    return _wrap(f"{a} / {b}", out)


@_register(sb.Reciprocal)
def _reciprocal(op: Any, args: list[str], ind: list[str], out: str) -> str | None:
    if out not in _FLOATS:
        return None
    return _wrap(f"{c_literal(1, out)} / {convert(args[0], ind[0], out)}", out)


@_register(sb.Sqr)
def _sqr(op: Any, args: list[str], ind: list[str], out: str) -> str | None:
    a = convert(args[0], ind[0], out)
    return a if out == "bool" else _wrap(f"{a} * {a}", out)


@_register(sb.IntDiv, sb.Mod)
def _int_div_mod(op: Any, args: list[str], ind: list[str], out: str) -> str | None:
    a, b = _conv_all(args, ind, out)
    name = "floordiv" if isinstance(op, sb.IntDiv) else "mod"
    if out in _FLOATS:
        kind = "d" if out == "float64" else "f"
        return f"graft_f{name}_{kind}({a}, {b})"
    if out in _INTS:
        return _wrap(f"graft_i{name}((npy_int64){a}, (npy_int64){b})", out)
    if out in _UINTS:
        return _wrap(f"graft_u{name}((npy_uint64){a}, (npy_uint64){b})", out)
    return None


@_register(sb.Pow)
def _pow(op: Any, args: list[str], ind: list[str], out: str) -> str | None:
    a, b = _conv_all(args, ind, out)
    if out in _FLOATS:
        return _wrap(f"{_fn('pow', out)}({a}, {b})", out)
    if out in _INTS:
        return _wrap(f"graft_ipow((npy_int64){a}, (npy_int64){b})", out)
    if out in _UINTS:
        return _wrap(f"graft_upow((npy_uint64){a}, (npy_uint64){b})", out)
    return None


@_register(sb.Abs)
def _abs(op: Any, args: list[str], ind: list[str], out: str) -> str | None:
    a = convert(args[0], ind[0], out)
    if out == "bool" or out in _UINTS:
        return a
    if out in _FLOATS:
        return _wrap(f"{_fn('fabs', out)}({a})", out)
    return _wrap(f"({a} < 0 ? -{a} : {a})", out)


@_register(sb.Sign)
def _sign(op: Any, args: list[str], ind: list[str], out: str) -> str | None:
    a = convert(args[0], ind[0], out)
    if out in _FLOATS:
        return f"graft_fsign_{'d' if out == 'float64' else 'f'}({a})"
    if out in _UINTS:
        return _wrap(f"{a} > 0", out)
    if out in _INTS:
        return _wrap(f"({a} > 0) - ({a} < 0)", out)
    return None


@_register(sb.Maximum, sb.Minimum)
def _max_min(op: Any, args: list[str], ind: list[str], out: str) -> str | None:
    a, b = _conv_all(args, ind, out)
    is_max = isinstance(op, sb.Maximum)
    if out == "bool":
        return f"((npy_bool)({a} {'||' if is_max else '&&'} {b}))"
    cmp = ">" if is_max else "<"
    if out in _FLOATS:
        # NumPy: NaN if either is NaN; on ties (-0.0 vs 0.0) the second argument.
        return f"(({a} {cmp} {b} || {a} != {a}) ? {a} : {b})"
    return f"(({a} {cmp} {b}) ? {a} : {b})"


@_register(sb.Switch)
def _switch(op: Any, args: list[str], ind: list[str], out: str) -> str | None:
    c = convert(args[0], ind[0], "bool")
    a, b = convert(args[1], ind[1], out), convert(args[2], ind[2], out)
    return f"({c} ? {a} : {b})"


# -- comparisons and logic -------------------------------------------------------

_CMP = {sb.LT: "<", sb.GT: ">", sb.LE: "<=", sb.GE: ">=", sb.EQ: "==", sb.NEQ: "!="}


@_register(*_CMP)
def _compare(op: Any, args: list[str], ind: list[str], out: str) -> str | None:
    if out != "bool":
        return None
    common = np.result_type(*ind).name
    if {ind[0], ind[1]} & _INTS and {ind[0], ind[1]} & _UINTS and common not in _INTS:
        return None  # int64 vs uint64: NumPy compares exactly, a float64 cast would not
    if common == "bool":
        common = "int8"
    if common not in CTYPES:
        return None
    a, b = _conv_all(args, ind, common)
    return f"((npy_bool)({a} {_CMP[type(op)]} {b}))"


@_register(sb.IsNan, sb.IsInf)
def _isnan_isinf(op: Any, args: list[str], ind: list[str], out: str) -> str | None:
    if ind[0] not in _FLOATS:
        return "((npy_bool)0)"
    return f"((npy_bool)({'isnan' if isinstance(op, sb.IsNan) else 'isinf'}({args[0]}) != 0))"


_BITS = {sb.AND: ("&", "&&"), sb.OR: ("|", "||"), sb.XOR: ("^", "!=")}


@_register(*_BITS)
def _bitwise(op: Any, args: list[str], ind: list[str], out: str) -> str | None:
    xs = _conv_all(args, ind, out)
    sym, logical = _BITS[type(op)]
    if out == "bool":
        return "((npy_bool)(" + f" {logical} ".join(xs) + "))"
    if out in _INTS or out in _UINTS:
        return _wrap(f" {sym} ".join(xs), out)
    return None


@_register(sb.Invert)
def _invert(op: Any, args: list[str], ind: list[str], out: str) -> str | None:
    a = convert(args[0], ind[0], out)
    if out == "bool":
        return f"((npy_bool)!{a})"
    if out in _INTS or out in _UINTS:
        return _wrap(f"~{a}", out)
    return None


# -- float-returning math --------------------------------------------------------

_UNARY_LIBM: dict[type, str] = {
    sm.Exp: "exp",
    sm.Exp2: "exp2",
    sm.Expm1: "expm1",
    sm.Log: "log",
    sm.Log2: "log2",
    sm.Log10: "log10",
    sm.Log1p: "log1p",
    sm.Sqrt: "sqrt",
    sm.Cbrt: "cbrt",
    sm.Sin: "sin",
    sm.Cos: "cos",
    sm.Tan: "tan",
    sm.ArcSin: "asin",
    sm.ArcCos: "acos",
    sm.ArcTan: "atan",
    sm.Sinh: "sinh",
    sm.Cosh: "cosh",
    sm.Tanh: "tanh",
    sm.ArcSinh: "asinh",
    sm.ArcCosh: "acosh",
    sm.ArcTanh: "atanh",
    sm.RoundHalfToEven: "rint",
    sm.RoundHalfAwayFromZero: "round",
    ss.Erf: "erf",
    ss.Erfc: "erfc",
}
#: Helpers of the module prelude (suffix ``_d``/``_f`` by dtype).
_UNARY_HELPER: dict[type, str] = {
    ss.Sigmoid: "graft_sigmoid",
    ss.Softplus: "graft_softplus",
    ss.Log1mExp: "graft_log1mexp",
    sm.XlogX: "graft_xlogx",
}
_BINARY_LIBM: dict[type, str] = {sm.ArcTan2: "atan2", sm.Hypot: "hypot"}
_BINARY_HELPER: dict[type, str] = {sm.LogAddExp: "graft_logaddexp", sm.XlogY0: "graft_xlogy0"}


@_register(*_UNARY_LIBM, *_UNARY_HELPER, sm.Deg2Rad, sm.Rad2Deg)
def _float_unary(op: Any, args: list[str], ind: list[str], out: str) -> str | None:
    if out not in _FLOATS:
        return None
    a = convert(args[0], ind[0], out)
    cls = type(op)
    if cls in _UNARY_LIBM:
        return _wrap(f"{_fn(_UNARY_LIBM[cls], out)}({a})", out)
    if cls in _UNARY_HELPER:
        return f"{_UNARY_HELPER[cls]}_{'d' if out == 'float64' else 'f'}({a})"
    factor = math.pi / 180 if cls is sm.Deg2Rad else 180 / math.pi
    return _wrap(f"{a} * {c_literal(factor, out)}", out)


@_register(*_BINARY_LIBM, *_BINARY_HELPER)
def _float_binary(op: Any, args: list[str], ind: list[str], out: str) -> str | None:
    if out not in _FLOATS:
        return None
    a, b = _conv_all(args, ind, out)
    cls = type(op)
    if cls in _BINARY_LIBM:
        return _wrap(f"{_fn(_BINARY_LIBM[cls], out)}({a}, {b})", out)
    return f"{_BINARY_HELPER[cls]}_{'d' if out == 'float64' else 'f'}({a}, {b})"


@_register(ss.GammaLn)
def _gammaln(op: Any, args: list[str], ind: list[str], out: str) -> str | None:
    if out not in _FLOATS:
        return None
    # Computed in float64 (as SciPy does for float32 too), rounded to the output dtype.
    a = convert(convert(args[0], ind[0], out), out, "float64")
    # SciPy: gammaln(-inf) is -inf (C's lgamma gives +inf).
    return _wrap(f"({a} == -INFINITY ? -INFINITY : lgamma({a}))", out)


@_register(sm.Floor, sm.Ceil, sm.Trunc)
def _rounding(op: Any, args: list[str], ind: list[str], out: str) -> str | None:
    if out in _FLOATS:
        fn = {sm.Floor: "floor", sm.Ceil: "ceil", sm.Trunc: "trunc"}[type(op)]
        return _wrap(f"{_fn(fn, out)}({convert(args[0], ind[0], out)})", out)
    if ind[0] == out:
        return args[0]
    return None


# -- entry point -------------------------------------------------------------------


def scalar_code(
    op: ScalarOp,
    args: Sequence[str],
    in_dtypes: Sequence[str],
    out_dtypes: Sequence[str],
    prefix: str = "t",
) -> ScalarCode | None:
    """C computing ``op`` on ``args`` (identifiers or literals, usable more than once) of
    ``in_dtypes``, giving values of exactly ``out_dtypes``; None when not expressible.

    Example::

        scalar_code(graft.scalar.exp, ["x"], ["float64"], ["float64"])
        # ScalarCode(lines=[], exprs=['((npy_float64)(exp(x)))'], flags=False)
    """
    if not all(d in CTYPES for d in (*in_dtypes, *out_dtypes)):
        return None
    if isinstance(op, sc.Composite):
        return _composite(op, list(args), list(in_dtypes), prefix)
    fn = SCALAR_EXPRESSIONS.get(type(op))
    if fn is None or len(out_dtypes) != 1:
        return None
    expr = fn(op, list(args), list(in_dtypes), out_dtypes[0])
    if expr is None:
        return None
    return ScalarCode([], [expr], flags=type(op) in _FLAGGING and out_dtypes[0] not in _FLOATS)


def _composite(
    op: sc.Composite, args: list[str], in_dtypes: list[str], prefix: str
) -> ScalarCode | None:
    """The inner graph inlined: one C temporary per inner node output, in graph order."""
    try:
        ins, outs = op._retyped(in_dtypes)
    except TypeError:
        return None
    names: dict[Variable, str] = dict(zip(ins, args))

    def ref(v: Variable) -> str:
        if v in names:
            return names[v]
        assert isinstance(v, Constant)
        return c_literal(sc._const_value(v), _dtype(v))

    lines: list[str] = []
    flags = False
    temps: list[str] = []
    for k, node in enumerate(io_toposort(ins, outs)):
        node_in = [_dtype(v) for v in node.inputs]
        node_out = [_dtype(v) for v in node.outputs]
        sub = scalar_code(
            node.op,  # type: ignore[arg-type]
            [ref(v) for v in node.inputs],
            node_in,
            node_out,
            f"{prefix}{k}_",
        )
        if sub is None:
            return None
        flags = flags or sub.flags
        lines.extend(sub.lines)
        temps.extend(sub.temps)
        for j, (o, e) in enumerate(zip(node.outputs, sub.exprs)):
            t = f"{prefix}{k}_{j}"
            lines.append(f"const {CTYPES[_dtype(o)]} {t} = {e};")
            names[o] = t
    if not all(_dtype(v) in CTYPES for v in outs):
        return None
    return ScalarCode(lines, [ref(v) for v in outs], flags, temps)


def _dtype(v: Variable) -> str:
    return v.type.dtype  # type: ignore[attr-defined,no-any-return]
