"""The Numba backend's elementwise rules (Elemwise, fused Composites, DimShuffle, casts)
against the reference backend on the same graphs.

Many ops share one compiled graph (one output each) to keep numba compile time low.
Every graph is compiled natively: a fallback to ``perform`` is an error here.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import graft
import graft.scalar as ps
import graft.tensor as gt
from graft.compile import Mode
from graft.link.codegen import BackendFallbackWarning
from graft.tensor.elemwise import DimShuffle, Elemwise

pytest.importorskip("numba")

from graft_backend_numba.linker import RULES
from graft_backend_numba.rules.scalar import (
    SCALAR_EXPRESSIONS,
    scalar_op_classes,
)

RAW_NUMBA = Mode(linker="numba", optimizer=None)
RAW_PY = Mode(linker="py", optimizer=None)

NAN, INF = np.nan, np.inf
FLOAT_VALUES = [
    0.0, -0.0, 0.5, -0.5, 1.0, -1.0, 2.5, -2.5, 3.0, -3.7, 0.999, 1e-8, -1e-300, 1e-300,
    1e300, -1e300, 50.0, -50.0, 700.0, -700.0, 1.4616321449683622, 171.5, -171.5, NAN, INF, -INF,
]  # fmt: skip
INT_VALUES = {
    "int8": [-128, -127, -100, -3, -1, 0, 1, 2, 3, 7, 100, 127],
    "int64": [
        np.iinfo(np.int64).min,
        -(10**12),
        -7,
        -1,
        0,
        1,
        3,
        7,
        10**12,
        np.iinfo(np.int64).max,
    ],
    "uint8": [0, 1, 2, 3, 7, 100, 128, 255],
    "bool": [False, True],
}


def values(dtype):
    if dtype in INT_VALUES:
        return np.array(INT_VALUES[dtype], dtype=dtype)
    with np.errstate(over="ignore"):
        return np.array(FLOAT_VALUES, dtype=dtype)


def tol(dtype):
    return {"float32": (2e-5, 1e-30), "float64": (1e-11, 1e-300)}.get(str(dtype), (0, 0))


def assert_same(got, exp, what=""):
    """Same type, dtype, shape; values equal (floats: to tolerance, NaN where NaN)."""
    assert type(got) is type(exp) is np.ndarray, (what, type(got), type(exp))
    assert got.dtype == exp.dtype, (what, got.dtype, exp.dtype)
    assert got.shape == exp.shape, (what, got.shape, exp.shape)
    if got.dtype.kind in "biu":
        np.testing.assert_array_equal(got, exp, err_msg=str(what))
    else:
        rtol, atol = tol(got.dtype)
        if what == "psi":
            atol = 1e-14  # relative accuracy is lost next to psi's root (1.46163...)
        np.testing.assert_allclose(
            got, exp, rtol=rtol, atol=atol, equal_nan=True, err_msg=str(what)
        )


def compile_both(inputs, outputs, rewrite=False):
    """(numba function, reference function), compiled without any fallback."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", BackendFallbackWarning)
        if rewrite:
            return graft.function(inputs, outputs, mode="NUMBA"), graft.function(
                inputs, outputs, mode="PY"
            )
        return graft.function(inputs, outputs, mode=RAW_NUMBA), graft.function(
            inputs, outputs, mode=RAW_PY
        )


def check(inputs, outputs, args, rewrite=False, labels=None):
    f, ref = compile_both(inputs, outputs, rewrite)
    with np.errstate(all="ignore"):
        got, exp = f(*args), ref(*args)
    for k, (g, e) in enumerate(zip(got, exp)):
        assert_same(g, e, labels[k] if labels else k)
    return f


def build(ops, *xs):
    """Outputs ``Elemwise(op)(*xs)`` for the ops defined on these dtypes (others skipped)."""
    outs, labels = [], []
    for op in ops:
        try:
            outs.append(Elemwise(op)(*xs))
        except TypeError:
            continue
        labels.append(str(op))
    return outs, labels


def node_ops(f):
    return [n.op for n in f.maker.fgraph.toposort()]


# ---------------------------------------------------------------------------
# Coverage
# ---------------------------------------------------------------------------


def test_every_scalar_op_class_has_an_entry():
    classes = scalar_op_classes()
    assert ps.Add in classes and ps.Composite in classes and ps.GammaInc in classes
    assert len(classes) > 80
    missing = [
        c.__name__ for c in classes if c not in SCALAR_EXPRESSIONS and c is not ps.Composite
    ]
    assert not missing


def test_rules_registered():
    from graft.tensor.elemwise import CAReduce
    from graft.tensor.fused_reduce import ElemwiseReduce

    for cls in (Elemwise, DimShuffle, CAReduce, ElemwiseReduce):
        assert RULES.lookup(cls) is not None
        assert RULES.owner(cls) == "graft-backend-numba"


# ---------------------------------------------------------------------------
# Unary ops, one graph per dtype
# ---------------------------------------------------------------------------

UNARY = [
    ps.exp, ps.exp2, ps.expm1, ps.log, ps.log2, ps.log10, ps.log1p, ps.sqrt, ps.cbrt,
    ps.sin, ps.cos, ps.tan, ps.arcsin, ps.arccos, ps.arctan, ps.sinh, ps.cosh, ps.tanh,
    ps.arcsinh, ps.arccosh, ps.arctanh, ps.deg2rad, ps.rad2deg, ps.floor, ps.ceil, ps.trunc,
    ps.round_half_to_even, ps.round_half_away_from_zero, ps.sigmoid, ps.softplus,
    ps.log1mexp, ps.erf, ps.erfc, ps.gamma, ps.gammaln, ps.psi, ps.isnan, ps.isinf, ps.abs,
    ps.sign, ps.neg, ps.sqr, ps.reciprocal, ps.xlogx, ps.identity, ps.invert,
]  # fmt: skip


@pytest.mark.parametrize("dtype", ["float64", "float32", "int8", "int64", "uint8", "bool"])
def test_unary_ops(dtype):
    x = gt.vector("x", dtype=dtype)
    outs, labels = build(UNARY, x)
    assert len(outs) >= 30 if dtype != "bool" else len(outs) >= 25
    v = values(dtype)
    check([x], outs, [v], labels=labels)
    # Non-contiguous, reversed input.
    check([x], outs, [np.repeat(v, 2)[::-2]], labels=labels)


def test_unary_ops_fused_float32_and_psi_values():
    # FAST_RUN fuses all outputs into one multi-output Composite loop.
    x = gt.fvector("x")
    outs, labels = build(UNARY, x)
    check([x], outs, [values("float32")], rewrite=True, labels=labels)
    # psi over a wide range (its own helper in the backend), against SciPy.
    import scipy.special as sp

    y = gt.dvector("y")
    g = graft.function([y], Elemwise(ps.psi)(y), mode=RAW_NUMBA)
    pts = np.concatenate([np.linspace(-20.3, 30.7, 997), [1e-5, 1e5, 1e15, -1e-5]])
    np.testing.assert_allclose(g(pts), sp.psi(pts), rtol=1e-10, atol=1e-12)


# ---------------------------------------------------------------------------
# Binary ops: every pair of edge values (a column against a row)
# ---------------------------------------------------------------------------

BINARY = [
    ps.add, ps.sub, ps.mul, ps.true_div, ps.int_div, ps.mod, ps.maximum, ps.minimum,
    ps.lt, ps.gt, ps.le, ps.ge, ps.eq, ps.neq, ps.arctan2, ps.hypot, ps.logaddexp,
    ps.xlogy0, ps.and_, ps.or_, ps.xor, ps.second,
]  # fmt: skip


@pytest.mark.parametrize(
    "dx,dy",
    [
        ("float64", "float64"),
        ("float32", "float32"),
        ("int8", "int8"),
        ("int64", "int64"),
        ("uint8", "uint8"),
        ("bool", "bool"),
        ("int8", "float32"),
        ("uint8", "int8"),
        ("int64", "float64"),
    ],
)
def test_binary_ops(dx, dy):
    x = gt.tensor(dtype=dx, shape=(None, 1), name="x")
    y = gt.tensor(dtype=dy, shape=(1, None), name="y")
    outs, labels = build([*BINARY, ps.pow], x, y)
    vx, vy = values(dx), values(dy)
    if np.dtype(dy).kind in "iub":
        # Integers to negative powers raise (tested separately): only here drop the pow.
        keep = [k for k, o in enumerate(outs) if labels[k] != "pow"]
        outs, labels = [outs[k] for k in keep], [labels[k] for k in keep]
        outs.append(
            Elemwise(ps.pow)(x, gt.maximum(y, 0)) if dy != "bool" else Elemwise(ps.pow)(x, y)
        )
        labels.append("pow(x, max(y, 0))")
    check([x, y], outs, [vx[:, None], vy[None, :]], labels=labels)


def test_int_corner_cases_and_negative_power_error():
    a, b = gt.bvector("a"), gt.bvector("b")
    va = np.array([127, -128, -128, 100, -7, 7, -7, 0, 5], "int8")
    vb = np.array([1, -1, 1, 100, 2, -2, -2, 0, 0], "int8")
    outs = [a + b, a * b, -a, abs(a), a // b, a % b, a - b, a**2, gt.sqr(a)]
    f = check([a, b], outs, [va, vb])
    assert f(va, vb)[0][0] == -128  # 127 + 1 wraps
    i, j = gt.lvector("i"), gt.lvector("j")
    mn = np.iinfo(np.int64).min
    check([i, j], [i // j, i % j], [np.array([mn, mn, 5, -3]), np.array([-1, 0, 0, 2])])
    check([i, j], [i**j], [np.array([mn, -3, 5, 3, 0]), np.array([2, 41, 0, 40, 0])])
    # Integers to negative powers: ValueError, as NumPy; the message names the Op.
    g = graft.function([i, j], i**j, mode=RAW_NUMBA)
    with pytest.raises(ValueError, match="negative") as info:
        g(np.array([2, 3]), np.array([1, -1]))
    assert "pow" in str(info.value) or "Elemwise" in str(info.value)
    u, w = gt.vector("u", dtype="uint8"), gt.vector("w", dtype="uint8")
    check(
        [u, w],
        [u // w, u % w, u - w, -u],
        [np.array([3, 0, 255], "uint8"), np.array([0, 0, 2], "uint8")],
    )


def test_switch_clip_and_casts():
    c = gt.bvector("c")
    x, y = gt.dvector("x"), gt.fvector("y")
    vc = np.array([0, 1, -1, 0, 2, 0], "int8")
    vx = np.array([0.5, -2.0, NAN, INF, 3.7, -0.0])
    vy = np.array([1.5, NAN, -1.0, 2.0, -INF, 7.0], "float32")
    outs = [
        gt.switch(c, x, y),
        gt.switch(gt.gt(x, 0), y, 1),
        gt.switch(x, c, y),
        gt.clip(x, -1.0, 2.0),
        gt.clip(y, y - 1, 0.5),
        gt.clip(c, -1, 1),
    ]
    labels = ["switch", "switch gt", "switch float cond", "clip", "clip float32", "clip int8"]
    for d in [
        "bool",
        "int8",
        "uint8",
        "int16",
        "int32",
        "int64",
        "uint16",
        "uint32",
        "float32",
        "float64",
    ]:
        outs.append(gt.cast(c, d))
        outs.append(gt.cast(gt.clip(x, -100.0, 100.0), d) if d != "bool" else gt.cast(x, d))
        outs.append(gt.cast(gt.lt(x, 1), d))
        labels += [f"int8->{d}", f"float64->{d}", f"bool->{d}"]
    check([c, x, y], outs, [vc, np.nan_to_num(vx, nan=0.25, posinf=9.0), vy], labels=labels)
    check([c, x, y], outs[:6], [vc, vx, vy], rewrite=True)


def test_maximum_minimum_nan_and_signed_zero():
    x, y = gt.dvector("x"), gt.dvector("y")
    vx = np.array([NAN, 1.0, NAN, -0.0, 0.0, INF, -INF, 2.0])
    vy = np.array([1.0, NAN, NAN, 0.0, -0.0, NAN, 1.0, 2.0])
    f = check([x, y], [gt.maximum(x, y), gt.minimum(x, y)], [vx, vy])
    mx, mn = f(vx, vy)
    np.testing.assert_array_equal(np.signbit(mx), np.signbit(np.maximum(vx, vy)))
    np.testing.assert_array_equal(np.signbit(mn), np.signbit(np.minimum(vx, vy)))
    s = graft.function([x], gt.sign(x), mode=RAW_NUMBA)(np.array([-0.0, NAN, -3.0]))
    assert not np.signbit(s[0]) and np.isnan(s[1]) and s[2] == -1


# ---------------------------------------------------------------------------
# Composites, broadcasting, shapes, layouts
# ---------------------------------------------------------------------------


def test_fused_composite_values_and_one_loop():
    x, y, z = gt.dmatrix("x"), gt.dvector("y"), gt.dscalar("z")
    e = gt.exp(x) * y
    outs = [e + gt.log1p(z) ** 2 - gt.tanh(x * y), e * 2, gt.switch(x > 0, e, -e) / (1 + z)]
    rng = np.random.default_rng(0)
    args = [rng.normal(size=(3, 4)), rng.normal(size=4), np.array(0.7)]
    f = check([x, y, z], outs, args, rewrite=True)
    # One loop computes the three matrix outputs (only scalar work is left outside it).
    fx = f.maker.fgraph.inputs[0]
    (big,) = [n for n in f.maker.fgraph.toposort() if fx in n.inputs]
    assert isinstance(big.op.scalar_op, ps.Composite) and big.op.scalar_op.nout == 3
    # Outputs are new arrays, even when one output is another's value.
    r = f(*args)
    assert not any(np.shares_memory(r[i], r[j]) for i in range(3) for j in range(i))


def test_composite_with_int_and_float_constants_direct():
    a, b = ps.int8("a"), ps.float32("b")
    t = ps.mul(a, ps.constant(3, "int8"))
    comp = ps.Composite([a, b], [ps.add(t, t), ps.true_div(t, b), ps.exp(ps.cast(t, "float32"))])
    x, y = gt.bvector("x"), gt.fvector("y")
    outs = Elemwise(comp)(x, y, return_list=True)
    vx = np.array([1, 50, -60, 0], "int8")
    vy = np.array([2, 0, -0.0, NAN], "float32")
    check([x, y], outs, [vx, vy])


@pytest.mark.parametrize("rewrite", [False, True])
def test_broadcasting_empty_zero_d_and_layouts(rewrite):
    x = gt.tensor(dtype="float64", shape=(None, 1, None), name="x")
    y = gt.tensor(dtype="float32", shape=(1, None, None), name="y")
    s = gt.dscalar("s")
    outs = [x * y + s, gt.exp(s), s * 2, gt.sqrt(x) - y]
    rng = np.random.default_rng(1)
    for shape_x, shape_y in [
        ((2, 1, 3), (1, 4, 3)),
        ((0, 1, 3), (1, 4, 3)),
        ((2, 1, 0), (1, 4, 0)),
    ]:
        vx = rng.normal(size=shape_x)
        vy = rng.normal(size=shape_y).astype("float32")
        check([x, y, s], outs, [vx, vy, np.array(1.5)], rewrite=rewrite)
    # Negative strides and transposed views.
    big = rng.normal(size=(4, 1, 6))
    vy = np.asfortranarray(rng.normal(size=(1, 5, 3)).astype("float32"))
    check([x, y, s], outs, [big[::-2, :, ::2], vy, np.array(-0.0)], rewrite=rewrite)


def test_runtime_size_mismatch_names_the_op():
    x, y = gt.dvector("x"), gt.dvector("y")
    f = graft.function([x, y], gt.exp(x) + y, mode=RAW_NUMBA)
    with pytest.raises(ValueError, match="Elemwise") as info:
        f(np.ones(3), np.ones(4))
    assert "(3,)" in str(info.value) or "(4,)" in str(info.value)
    g = graft.function([x, y], gt.exp(x) + y, mode="NUMBA")
    with pytest.raises(ValueError, match=r"Elemwise|Composite"):
        g(np.ones(3), np.ones(4))
    # A size-1 input along a dimension not known to be 1 does not broadcast either.
    with pytest.raises(ValueError):
        f(np.ones(3), np.ones(1))


def test_dimshuffle_views():
    x = gt.tensor(dtype="int16", shape=(None, 1, None), name="x")
    s = gt.wscalar("s")
    outs = [
        x.dimshuffle(2, 0),
        x.dimshuffle("x", 2, "x", 0, 1),
        x.dimshuffle(0, 1, 2),
        x.dimshuffle(2, 1, 0),
        s.dimshuffle("x", "x"),
        x.dimshuffle(0, 2) * 2,
    ]
    rng = np.random.default_rng(2)
    v = rng.integers(-50, 50, size=(3, 1, 5)).astype("int16")
    f = check([x, s], outs, [v, np.array(7, "int16")])
    check([x, s], outs, [v[::-1, :, ::2], np.array(7, "int16")])
    check([x, s], outs, [v[:0], np.array(7, "int16")])
    r = f(v, np.array(7, "int16"))
    assert r[0].base is not None or np.shares_memory(r[0], v) or r[0].flags.owndata
    t = gt.tensor(dtype="float64", shape=(1, 1), name="t")
    check([t], [t.dimshuffle(), t.dimshuffle("x")], [np.full((1, 1), 3.0)])
