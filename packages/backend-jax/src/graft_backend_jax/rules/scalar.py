"""graft scalar ops as JAX array functions: what the ``Elemwise`` and reduction rules apply.

`scalar_function(op, in_dtypes, out_dtypes)` returns ``f(*arrays) -> tuple`` that
computes the op elementwise (with broadcasting) with NumPy's semantics for
those dtypes, as the reference backend's ufuncs do:

- arguments are converted to the dtype NumPy computes in (the result type of
  the inputs; for float-returning ops, the output's float dtype) before the
  math, and results are converted to the declared output dtypes, so JAX's own
  type promotion never shows;
- integer ``//`` and ``%`` by zero give 0 (NumPy's result; XLA's differs);
- an integer raised to a negative integer power fails the call (a runtime check:
  NumPy raises ValueError);
- special functions come from ``jax.scipy.special``; the few JAX has no
  equivalent for (``gammaincinv``, ``gammainccinv``, the gradient of
  ``gammainc``) run their SciPy function on the host through
  ``jax.pure_callback`` (`host_scalar`).

A scalar op without an entry in `SCALAR_FUNCTIONS` makes its graph refused at
compile time. ``Composite`` (fused elementwise graphs) is composed from its
inner ops.

Example::

    from graft.scalar import add
    f = scalar_function(add, ["int8", "int8"], ["int8"])
    f(jnp.int8([1, 2]), jnp.int8([3, 4]))   # (Array([4, 6], dtype=int8),)
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from functools import partial
from typing import Any

import numpy as np

import graft.scalar.basic as sb
import graft.scalar.composite as sc
import graft.scalar.math as sm
import graft.scalar.special as ss
from graft.graph.basic import Constant, io_toposort
from graft_backend_jax.linker import runtime_check

sg = importlib.import_module("graft.scalar.gammainc")

__all__ = [
    "SCALAR_FUNCTIONS",
    "convert",
    "has_int_pow",
    "host_scalar",
    "scalar_function",
    "scalar_supported",
]

Builder = Callable[[Any, list[str], list[str]], Callable[..., Any]]

#: Scalar op class -> ``builder(op, in_dtypes, out_dtypes) -> f(*arrays) -> array``.
SCALAR_FUNCTIONS: dict[type, Builder] = {}


def _reg(*classes: type) -> Callable[[Builder], Builder]:
    def deco(fn: Builder) -> Builder:
        for c in classes:
            SCALAR_FUNCTIONS[c] = fn
        return fn

    return deco


def _jnp() -> Any:
    import jax.numpy as jnp

    return jnp


def _jss() -> Any:
    import jax.scipy.special as jss

    return jss


def _common(in_dtypes: Sequence[str]) -> np.dtype[Any]:
    return np.result_type(*[np.dtype(d) for d in in_dtypes])


def _cast(x: Any, dt: Any) -> Any:
    dt = np.dtype(dt)
    return x if x.dtype == dt else x.astype(dt)


def _in(dt: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Wrap ``f`` so that its arguments are first converted to dtype ``dt``."""

    def wrap(f: Callable[..., Any]) -> Callable[..., Any]:
        return lambda *xs: f(*[_cast(_jnp().asarray(x), dt) for x in xs])

    return wrap


# -- arithmetic: computed in the output dtype --------------------------------------------


def _in_out(name: str, bool_name: str | None = None) -> Builder:
    def build(op: Any, ind: list[str], outd: list[str]) -> Callable[..., Any]:
        jnp = _jnp()
        if outd[0] == "bool" and bool_name is not None:
            return _in("bool")(getattr(jnp, bool_name))
        return _in(outd[0])(getattr(jnp, name))

    return build


def _variadic(pair: str, bool_pair: str) -> Builder:
    def build(op: Any, ind: list[str], outd: list[str]) -> Callable[..., Any]:
        f = getattr(_jnp(), bool_pair if outd[0] == "bool" else pair)

        def run(*xs: Any) -> Any:
            acc = xs[0]
            for x in xs[1:]:
                acc = f(acc, x)
            return acc

        return _in(outd[0])(run)

    return build


SCALAR_FUNCTIONS[sb.Add] = _variadic("add", "logical_or")
SCALAR_FUNCTIONS[sb.Mul] = _variadic("multiply", "logical_and")
SCALAR_FUNCTIONS[sb.Sub] = _in_out("subtract")
SCALAR_FUNCTIONS[sb.Neg] = _in_out("negative")
SCALAR_FUNCTIONS[sb.Sqr] = _in_out("square", "logical_and")
SCALAR_FUNCTIONS[sb.Abs] = _in_out("abs")
SCALAR_FUNCTIONS[sb.Sign] = _in_out("sign")
SCALAR_FUNCTIONS[sb.Maximum] = _in_out("maximum", "logical_or")
SCALAR_FUNCTIONS[sb.Minimum] = _in_out("minimum", "logical_and")
SCALAR_FUNCTIONS[sb.AND] = _in_out("bitwise_and")
SCALAR_FUNCTIONS[sb.OR] = _in_out("bitwise_or")
SCALAR_FUNCTIONS[sb.XOR] = _in_out("bitwise_xor")
SCALAR_FUNCTIONS[sb.Invert] = _in_out("invert")
SCALAR_FUNCTIONS[sm.Floor] = _in_out("floor")
SCALAR_FUNCTIONS[sm.Ceil] = _in_out("ceil")
SCALAR_FUNCTIONS[sm.Trunc] = _in_out("trunc")


@_reg(sb.Identity)
def _identity(op: Any, ind: list[str], outd: list[str]) -> Callable[..., Any]:
    return lambda x: x


def convert(x: Any, dt: Any) -> Any:
    """``x.astype(dt)`` as NumPy converts floats to integers on x86-64 (XLA saturates).

    A float goes to int64 (int32 for the types of at most 32 bits) by truncation,
    NaN and out-of-range values giving the type's minimum (the CPU's "integer
    indefinite"), then wraps to the target type: ``-1.0`` to uint8 is 255. NumPy
    leaves these cases to the C cast, so other platforms may differ.
    """
    dt = np.dtype(dt)
    if x.dtype.kind != "f" or dt.kind not in "iu":
        return _cast(x, dt)
    jnp = _jnp()
    via = np.dtype(np.int64) if dt.itemsize == 8 or dt == np.uint32 else np.dtype(np.int32)
    info = np.iinfo(via)
    ok = (x >= float(info.min)) & (x < -float(info.min))  # NaN compares false
    wide = jnp.where(ok, x, jnp.zeros((), x.dtype)).astype(via)
    wide = jnp.where(ok, wide, jnp.full((), info.min, via))
    if dt == np.uint64:
        big = x >= 2.0**63
        return jnp.where(big & (x < 2.0**64), x.astype(np.uint64), wide.astype(np.uint64))
    return wide.astype(dt)


@_reg(sb.Cast)
def _cast_op(op: Any, ind: list[str], outd: list[str]) -> Callable[..., Any]:
    return lambda x: convert(_jnp().asarray(x), outd[0])


@_reg(sb.IntDiv, sb.Mod)
def _intdiv_mod(op: Any, ind: list[str], outd: list[str]) -> Callable[..., Any]:
    jnp = _jnp()
    f = jnp.floor_divide if isinstance(op, sb.IntDiv) else jnp.remainder
    dt = np.dtype(outd[0])
    if dt.kind not in "iub":
        return _in(dt)(f)

    def run(a: Any, b: Any) -> Any:
        # NumPy: integer division or remainder by zero is 0 (XLA leaves it to the hardware).
        zero = b == 0
        return jnp.where(zero, jnp.zeros((), dt), f(a, jnp.where(zero, jnp.ones((), dt), b)))

    return _in(dt)(run)


@_reg(sb.Pow)
def _pow(op: Any, ind: list[str], outd: list[str]) -> Callable[..., Any]:
    jnp = _jnp()
    dt = np.dtype(outd[0])
    if dt.kind not in "iu":
        return _in(dt)(jnp.power)

    def run(a: Any, b: Any) -> Any:
        if dt.kind == "i":
            runtime_check(jnp.all(b >= 0), "Integers to negative integer powers are not allowed.")
            # jnp's integer power loops over the exponent's bits: a negative one never ends.
            b = jnp.where(b < 0, jnp.zeros((), dt), b)
        return jnp.power(a, b)

    return _in(dt)(run)


@_reg(sb.Switch)
def _switch(op: Any, ind: list[str], outd: list[str]) -> Callable[..., Any]:
    jnp = _jnp()
    dt = outd[0]
    return lambda c, a, b: jnp.where(_cast(c, "bool"), _cast(a, dt), _cast(b, dt))


@_reg(sb.Second)
def _second(op: Any, ind: list[str], outd: list[str]) -> Callable[..., Any]:
    jnp = _jnp()
    dt = outd[0]
    return lambda a, b: jnp.broadcast_to(_cast(b, dt), jnp.broadcast_shapes(a.shape, b.shape))


def _compare(name: str) -> Builder:
    def build(op: Any, ind: list[str], outd: list[str]) -> Callable[..., Any]:
        return _in(_common(ind))(getattr(_jnp(), name))

    return build


for _cls, _name in [
    (sb.LT, "less"),
    (sb.GT, "greater"),
    (sb.LE, "less_equal"),
    (sb.GE, "greater_equal"),
    (sb.EQ, "equal"),
    (sb.NEQ, "not_equal"),
    (sb.IsNan, "isnan"),
    (sb.IsInf, "isinf"),
]:
    SCALAR_FUNCTIONS[_cls] = _compare(_name)


# -- float-returning ops: computed in the output's float dtype -----------------------------


def _float(get: Callable[[], Callable[..., Any]]) -> Builder:
    def build(op: Any, ind: list[str], outd: list[str]) -> Callable[..., Any]:
        return _in(outd[0])(get())

    return build


def _np_float(name: str) -> Builder:
    return _float(lambda: getattr(_jnp(), name))


for _cls, _name in [
    (sb.TrueDiv, "true_divide"),
    (sb.Reciprocal, "reciprocal"),
    (sm.Exp, "exp"),
    (sm.Exp2, "exp2"),
    (sm.Expm1, "expm1"),
    (sm.Log, "log"),
    (sm.Log2, "log2"),
    (sm.Log10, "log10"),
    (sm.Log1p, "log1p"),
    (sm.LogAddExp, "logaddexp"),
    (sm.Sqrt, "sqrt"),
    (sm.Cbrt, "cbrt"),
    (sm.Hypot, "hypot"),
    (sm.Sin, "sin"),
    (sm.Cos, "cos"),
    (sm.Tan, "tan"),
    (sm.ArcSin, "arcsin"),
    (sm.ArcCos, "arccos"),
    (sm.ArcTan, "arctan"),
    (sm.ArcTan2, "arctan2"),
    (sm.Deg2Rad, "deg2rad"),
    (sm.Rad2Deg, "rad2deg"),
    (sm.Sinh, "sinh"),
    (sm.Cosh, "cosh"),
    (sm.Tanh, "tanh"),
    (sm.ArcSinh, "arcsinh"),
    (sm.ArcCosh, "arccosh"),
    (sm.ArcTanh, "arctanh"),
    (sm.RoundHalfToEven, "round"),
]:
    SCALAR_FUNCTIONS[_cls] = _np_float(_name)

for _cls, _name in [
    (ss.Sigmoid, "expit"),
    (ss.Erf, "erf"),
    (ss.Erfc, "erfc"),
    (ss.Erfcx, "erfcx"),
    (ss.Erfinv, "erfinv"),
    (ss.Gamma, "gamma"),
]:
    SCALAR_FUNCTIONS[_cls] = _float(partial(lambda n: getattr(_jss(), n), _name))


def _round_away(x: Any) -> Any:
    jnp = _jnp()
    t = jnp.trunc(x)
    return jnp.where(jnp.abs(x - t) >= 0.5, t + jnp.sign(x), t)


def _xlogy0(x: Any, y: Any) -> Any:
    # 0 wherever x == 0, whatever y is (NaN included), as graft defines it.
    jnp = _jnp()
    return jnp.where(x == 0, jnp.zeros((), x.dtype), x * jnp.log(y))


def _xlogx(x: Any) -> Any:
    return _xlogy0(x, x)


def _on_host_when_big(name: str, f: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
    """``f(a, x)`` in JAX, but SciPy's ``name`` (on the host) where ``|a|`` or ``|x|`` >= 1e8.

    JAX's incomplete gamma iterates until convergence, which takes practically
    forever for huge arguments; SciPy switches to asymptotic expansions there.
    The host is called only when such values occur.
    """

    def run(a: Any, x: Any) -> Any:
        import jax
        import scipy.special

        jnp = _jnp()
        a, x = jnp.broadcast_arrays(a, x)
        big = (jnp.abs(a) >= 1e8) | (jnp.abs(x) >= 1e8)
        one = jnp.ones((), a.dtype)
        res = f(jnp.where(big, one, a), jnp.where(big, one, x))
        out = jax.ShapeDtypeStruct(a.shape, a.dtype)

        def host(a: Any, x: Any) -> Any:
            with np.errstate(all="ignore"):
                return np.asarray(getattr(scipy.special, name)(a, x), dtype=a.dtype)

        far = jax.lax.cond(
            jnp.any(big),
            lambda: jax.pure_callback(host, out, a, x, vmap_method="broadcast_all"),
            lambda: jnp.zeros(a.shape, a.dtype),
        )
        return jnp.where(big, far, res)

    return run


def _gammainc_near(a: Any, x: Any) -> Any:
    # SciPy: P(0, x > 0) = 1 (JAX gives NaN there).
    jnp = _jnp()
    res = _jss().gammainc(a, x)
    return jnp.where((a == 0) & (x > 0), jnp.ones((), res.dtype), res)


_gammainc = _on_host_when_big("gammainc", _gammainc_near)
_gammaincc = _on_host_when_big("gammaincc", lambda a, x: _jss().gammaincc(a, x))


def _softplus(x: Any) -> Any:
    jnp = _jnp()
    return jnp.logaddexp(jnp.zeros((), x.dtype), x)


def _log1mexp(x: Any) -> Any:
    # log(1 - exp(x)) for x <= 0: log(-expm1(x)) near 0, log1p(-exp(x)) far from it.
    jnp = _jnp()
    near = x > -0.6931471805599453
    return jnp.where(near, jnp.log(-jnp.expm1(x)), jnp.log1p(-jnp.exp(x)))


def _erfcinv(y: Any) -> Any:
    # erfc(x) = 2 ndtr(-x sqrt 2), so erfcinv(y) = -ndtri(y / 2) / sqrt 2.
    return -_jss().ndtri(y / 2) / np.sqrt(np.asarray(2, y.dtype))


def _gammaln(x: Any) -> Any:
    jnp = _jnp()
    return jnp.where(x == -jnp.inf, x, _jss().gammaln(x))  # SciPy: gammaln(-inf) = -inf


def _digamma(x: Any) -> Any:
    # SciPy: psi(+0) = -inf, psi(-0) = +inf (JAX gives NaN at the pole).
    jnp = _jnp()
    return jnp.where(x == 0, jnp.copysign(jnp.inf, -x), _jss().digamma(x))


def _trigamma(x: Any) -> Any:
    jnp = _jnp()
    return jnp.where(x == jnp.inf, jnp.zeros((), x.dtype), _jss().polygamma(1, x))


SCALAR_FUNCTIONS[sm.RoundHalfAwayFromZero] = _float(lambda: _round_away)
SCALAR_FUNCTIONS[sm.XlogX] = _float(lambda: _xlogx)
SCALAR_FUNCTIONS[sm.XlogY0] = _float(lambda: _xlogy0)
SCALAR_FUNCTIONS[sg.GammaInc] = _float(lambda: _gammainc)
SCALAR_FUNCTIONS[sg.GammaIncC] = _float(lambda: _gammaincc)
SCALAR_FUNCTIONS[ss.Softplus] = _float(lambda: _softplus)
SCALAR_FUNCTIONS[ss.Log1mExp] = _float(lambda: _log1mexp)
SCALAR_FUNCTIONS[ss.Erfcinv] = _float(lambda: _erfcinv)
SCALAR_FUNCTIONS[ss.TriGamma] = _float(lambda: _trigamma)
SCALAR_FUNCTIONS[ss.GammaLn] = _float(lambda: _gammaln)
SCALAR_FUNCTIONS[ss.Psi] = _float(lambda: _digamma)


@_reg(ss.PolyGamma)
def _polygamma(op: Any, ind: list[str], outd: list[str]) -> Callable[..., Any]:
    dt = outd[0]

    def run(n: Any, x: Any) -> Any:
        # JAX takes an integer order; SciPy gives NaN for a fractional or negative one.
        jnp = _jnp()
        n = jnp.asarray(n)
        k = n.astype(np.int64)
        ok = (k == n) & (k >= 0)
        x = _cast(jnp.asarray(x), dt)
        res = _jss().polygamma(jnp.where(ok, k, 0), x)
        # SciPy at the poles (x a non-positive integer, and -inf): (-1)**(n + 1) * inf.
        pole = (x <= 0) & (x > -1e15) & (jnp.floor(x) == x)
        signed_inf = jnp.where(k % 2 == 1, jnp.inf, -jnp.inf).astype(dt)
        res = jnp.where(pole & (k >= 1), signed_inf, res)
        res = jnp.where(k == 0, _digamma(x), jnp.where(x == jnp.inf, jnp.zeros((), dt), res))
        return jnp.where(ok, res, jnp.full((), np.nan, dt))

    return run


def host_scalar(op: Any, ind: list[str], outd: list[str]) -> Callable[..., Any]:
    """A builder that runs ``op.ufunc`` (NumPy/SciPy) on the host through ``jax.pure_callback``.

    For scalar ops with no JAX equivalent: the values go to the host and back
    (on a GPU, a transfer each way), and JAX cannot differentiate through it.
    Plugins can register it for their own scalar ops:
    ``SCALAR_FUNCTIONS[MyScalarOp] = host_scalar``.
    """
    import jax

    dt = np.dtype(outd[0])
    ufunc = op.ufunc

    def on_host(*xs: Any) -> Any:
        with np.errstate(all="ignore"):
            return np.asarray(ufunc(*xs), dtype=dt)

    def run(*xs: Any) -> Any:
        jnp = _jnp()
        xs = tuple(jnp.asarray(x) for x in xs)
        shape = jnp.broadcast_shapes(*[x.shape for x in xs])
        out = jax.ShapeDtypeStruct(shape, dt)
        return jax.pure_callback(on_host, out, *xs, vmap_method="broadcast_all")

    return run


for _cls in (sg.GammaIncInv, sg.GammaIncCInv, sg.GammaIncGrad):
    SCALAR_FUNCTIONS[_cls] = host_scalar


def has_int_pow(op: Any, out_dtype: str) -> bool:
    """Whether the scalar op (or a fused graph) raises integers to powers (a runtime check)."""
    if isinstance(op, sc.Composite):
        inner = io_toposort(list(op.inputs), list(op.outputs))
        return any(has_int_pow(n.op, _dtype_of(n.outputs[0])) for n in inner)
    return isinstance(op, sb.Pow) and np.dtype(out_dtype).kind == "i"


# -- Composite: the fused graph, op by op ----------------------------------------------------


@_reg(sc.Composite)
def _composite(op: Any, ind: list[str], outd: list[str]) -> Callable[..., Any]:
    jnp = _jnp()
    inner_in = list(op.inputs)
    inner_out = list(op.outputs)
    plan = []
    for node in io_toposort(inner_in, inner_out):
        f = scalar_function(
            node.op,
            [_dtype_of(v) for v in node.inputs],
            [_dtype_of(v) for v in node.outputs],
        )
        if f is None:
            raise NotImplementedError(f"no JAX function for scalar op {node.op}")
        plan.append((node, f))

    def run(*xs: Any) -> Any:
        env: dict[Any, Any] = dict(zip(inner_in, xs))
        for node, f in plan:
            args = [
                jnp.asarray(v.data, dtype=_dtype_of(v)) if isinstance(v, Constant) else env[v]
                for v in node.inputs
            ]
            env.update(zip(node.outputs, f(*args)))
        res = []
        for v in inner_out:
            val = jnp.asarray(v.data, dtype=_dtype_of(v)) if isinstance(v, Constant) else env[v]
            res.append(val)
        return tuple(res)

    run.multi = True  # type: ignore[attr-defined]
    return run


def _dtype_of(v: Any) -> str:
    return str(v.type.dtype)


def scalar_supported(op: Any) -> bool:
    """Whether ``op`` (a scalar op, fused ``Composite``\\ s included) has a JAX function."""
    if isinstance(op, sc.Composite):
        inner = io_toposort(list(op.inputs), list(op.outputs))
        return all(scalar_supported(n.op) for n in inner)
    return type(op) in SCALAR_FUNCTIONS


def scalar_function(
    op: Any, in_dtypes: Sequence[str], out_dtypes: Sequence[str]
) -> Callable[..., tuple[Any, ...]] | None:
    """``f(*arrays) -> tuple of arrays`` computing ``op`` elementwise, or None (no JAX function)."""
    build = SCALAR_FUNCTIONS.get(type(op))
    if build is None or not scalar_supported(op):
        return None
    f = build(op, list(in_dtypes), list(out_dtypes))
    if getattr(f, "multi", False):
        return f  # type: ignore[return-value]
    dts = list(out_dtypes)
    return lambda *xs: (_cast(_jnp().asarray(f(*xs)), dts[0]),)
