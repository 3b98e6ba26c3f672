"""Scalar op gradients: central finite differences, dtypes, discrete inputs/outputs."""

import numpy as np
import pytest
from helpers import evaluate
from hypothesis import given, settings
from hypothesis import strategies as st

import graft.scalar as gs
from graft.gradient.types import NullType
from graft.graph.basic import Constant, io_toposort
from graft.graph.utils import MethodNotDefined
from graft.scalar import ScalarConstant, get_scalar_type


def numeric_grad(op, point, i):
    """Central difference of ``op`` w.r.t. input ``i`` at ``point`` (float64)."""
    h = 1e-6 * max(1.0, abs(point[i]))
    up = list(point)
    down = list(point)
    up[i] += h
    down[i] -= h
    f_up = np.float64(op.impl(*map(np.float64, up)))
    f_down = np.float64(op.impl(*map(np.float64, down)))
    return (f_up - f_down) / (2 * h)


def symbolic_grads(op, point, gz_value=0.7, dtype="float64"):
    ins = [get_scalar_type(dtype)(f"x{i}") for i in range(len(point))]
    out = op(*ins)
    gz = out.type("gz")
    grads = op.L_op(ins, [out], [gz])
    assert len(grads) == len(ins)
    givens = {v: np.dtype(dtype).type(p) for v, p in zip(ins, point)}
    givens[gz] = out.type.numpy_dtype.type(gz_value)
    return ins, grads, evaluate(grads, givens)


GRAD_CASES = [
    (gs.add, [(1.3, -2.0), (0.0, 5.0)]),
    (gs.mul, [(1.3, -2.0), (0.5, 4.0)]),
    (gs.sub, [(1.3, -2.0)]),
    (gs.true_div, [(1.3, -2.0), (-0.7, 0.3)]),
    (gs.int_div, [(5.3, 2.0)]),
    (gs.mod, [(5.3, 2.0), (-5.3, 2.0), (5.3, -1.5)]),
    (gs.pow, [(1.3, 2.5), (0.7, -1.2), (2.0, 3.0)]),
    (gs.maximum, [(1.0, 2.0), (3.0, -1.0)]),
    (gs.minimum, [(1.0, 2.0), (3.0, -1.0)]),
    (gs.arctan2, [(1.0, 2.0), (-0.5, -1.5)]),
    (gs.hypot, [(3.0, 4.0), (-1.0, 0.5)]),
    (gs.logaddexp, [(1.0, 2.0), (-30.0, 0.5)]),
    (gs.second, [(1.0, 2.0)]),
    (gs.lt, [(1.0, 2.0)]),
    (gs.eq, [(1.0, 2.0)]),
    (gs.neg, [(-1.3,), (2.0,)]),
    (gs.identity, [(-1.3,)]),
    (gs.reciprocal, [(0.5,), (-3.0,)]),
    (gs.sqr, [(-1.3,), (2.0,)]),
    (gs.sqrt, [(0.3,), (4.0,)]),
    (gs.cbrt, [(-8.0,), (0.5,)]),
    (gs.abs, [(-1.3,), (2.0,)]),
    (gs.sign, [(-1.3,), (2.0,)]),
    (gs.exp, [(-1.0,), (0.5,), (3.0,)]),
    (gs.exp2, [(-1.0,), (2.5,)]),
    (gs.expm1, [(-1e-3,), (0.5,)]),
    (gs.log, [(0.3,), (5.0,)]),
    (gs.log2, [(0.3,), (5.0,)]),
    (gs.log10, [(0.3,), (5.0,)]),
    (gs.log1p, [(-0.5,), (1e-4,), (3.0,)]),
    (gs.sin, [(-1.0,), (0.3,), (2.0,)]),
    (gs.cos, [(-1.0,), (0.3,), (2.0,)]),
    (gs.tan, [(-1.0,), (0.3,), (1.2,)]),
    (gs.arcsin, [(-0.7,), (0.1,), (0.6,)]),
    (gs.arccos, [(-0.7,), (0.1,), (0.6,)]),
    (gs.arctan, [(-3.0,), (0.5,)]),
    (gs.sinh, [(-2.0,), (0.3,)]),
    (gs.cosh, [(-2.0,), (0.3,)]),
    (gs.tanh, [(-2.0,), (0.3,), (1.5,)]),
    (gs.arcsinh, [(-2.0,), (0.3,)]),
    (gs.arccosh, [(1.3,), (4.0,)]),
    (gs.arctanh, [(-0.5,), (0.2,)]),
    (gs.deg2rad, [(30.0,)]),
    (gs.rad2deg, [(0.5,)]),
    (gs.floor, [(0.3,), (-1.7,)]),
    (gs.ceil, [(0.3,), (-1.7,)]),
    (gs.trunc, [(0.3,), (-1.7,)]),
    (gs.round_half_to_even, [(0.3,), (-1.7,)]),
    (gs.round_half_away_from_zero, [(0.3,), (-1.7,)]),
    (gs.isnan, [(0.3,)]),
    (gs.isinf, [(0.3,)]),
    (gs.sigmoid, [(-3.0,), (0.0,), (2.5,)]),
    (gs.softplus, [(-30.0,), (-1.0,), (0.0,), (2.0,), (30.0,)]),
    (gs.log1mexp, [(-5.0,), (-0.7,), (-0.1,), (-1e-3,)]),
    (gs.erf, [(-1.0,), (0.3,), (2.0,)]),
    (gs.erfc, [(-1.0,), (0.3,), (2.0,)]),
    (gs.erfcx, [(-1.0,), (0.5,), (5.0,)]),
    (gs.erfinv, [(-0.6,), (0.3,), (0.9,)]),
    (gs.erfcinv, [(0.4,), (1.5,)]),
    (gs.gamma, [(0.7,), (2.5,), (-1.5,)]),
    (gs.gammaln, [(0.7,), (2.5,), (10.0,)]),
    (gs.psi, [(0.6,), (3.2,)]),
    (gs.tri_gamma, [(0.6,), (3.2,)]),
    (gs.xlogx, [(0.2,), (3.0,)]),
    (gs.xlogy0, [(0.5, 2.0), (-1.5, 0.3)]),
    (gs.gammainc, [(0.7, 0.4), (2.5, 3.5), (6.0, 2.0)]),
    (gs.gammaincc, [(0.7, 0.4), (2.5, 3.5), (6.0, 2.0)]),
    (gs.gammaincinv, [(0.7, 0.4), (2.5, 0.9)]),
    (gs.gammainccinv, [(0.7, 0.4), (2.5, 0.9)]),
]


@pytest.mark.parametrize("op, points", GRAD_CASES, ids=[str(o) for o, _ in GRAD_CASES])
def test_grad_matches_finite_differences(op, points):
    for point in points:
        _, grads, values = symbolic_grads(op, point)
        for i, (g, val) in enumerate(zip(grads, values)):
            assert g.type == gs.float64, (op, i, g.type)
            assert type(val) is np.float64
            expected = 0.7 * numeric_grad(op, point, i)
            np.testing.assert_allclose(
                val, expected, rtol=1e-6, atol=1e-8, err_msg=f"d{op}/dx{i} at {point}"
            )


@pytest.mark.parametrize("n", [1, 2])
def test_polygamma_grad(n):
    x = gs.float64("x")
    out = gs.polygamma(n, x)
    gz = gs.constant(1.0)
    gn, gx = gs.polygamma.L_op(out.owner.inputs, [out], [gz])
    assert isinstance(gn, Constant) and gn.data == 0 and gn.type == gs.float64
    for p in (0.8, 2.5):
        (val,) = evaluate([gx], {x: np.float64(p)})
        h = 1e-5
        fd = (gs.polygamma.impl(n, p + h) - gs.polygamma.impl(n, p - h)) / (2 * h)
        np.testing.assert_allclose(val, fd, rtol=1e-6)


@pytest.mark.parametrize("n", [1, 3, 4])
def test_variadic_grads(n):
    pts = (1.5, -2.0, 0.25, 3.0)[:n]
    for op in (gs.add, gs.mul):
        _, _, values = symbolic_grads(op, pts, gz_value=1.0)
        for i, val in enumerate(values):
            expected = 1.0 if op == gs.add else np.prod([p for j, p in enumerate(pts) if j != i])
            assert val == pytest.approx(expected, rel=1e-15)


def test_grad_expressions_are_scalar_graphs():
    x, gz = gs.float64("x"), gs.float64("gz")
    (g,) = gs.log.L_op([x], [gs.log(x)], [gz])
    assert g.owner.op == gs.true_div and g.owner.inputs == [gz, x]
    s = gs.sigmoid(x)
    (g,) = gs.sigmoid.L_op([x], [s], [gz])
    nodes = io_toposort([x, gz, s], [g])
    assert {str(n.op) for n in nodes} == {"mul", "sub"}  # gz * s * (1 - s)
    assert s in [v for n in nodes for v in n.inputs]
    (g,) = gs.softplus.L_op([x], [gs.softplus(x)], [gz])
    assert any(n.op == gs.sigmoid for n in io_toposort([x, gz], [g]))
    # grad() without the outputs builds them
    (g2,) = gs.exp.grad([x], [gz])
    assert evaluate([g2], {x: np.float64(1.0), gz: np.float64(2.0)}) == [2 * np.exp(1.0)]


def test_switch_grad():
    c, a, b, gz = gs.bool_("c"), gs.float64("a"), gs.float32("b"), gs.float64("gz")
    out = gs.switch(c, a, b)
    gc, ga, gb = gs.switch.L_op([c, a, b], [out], [gz])
    assert isinstance(gc, ScalarConstant) and gc.data == 0 and gc.type == gs.float64
    assert ga.type == gs.float64 and gb.type == gs.float32
    for cond, exp_a, exp_b in [(True, 2.0, 0.0), (False, 0.0, 2.0)]:
        va, vb = evaluate([ga, gb], {c: np.bool_(cond), a: 1.0, b: np.float32(3), gz: 2.0})
        assert va == exp_a and vb == exp_b and type(vb) is np.float32


def test_cast_grad():
    x32, gz = gs.float32("x"), gs.float64("gz")
    out = gs.cast(x32, "float64")
    (g,) = out.owner.op.L_op([x32], [out], [gz])
    assert g.type == gs.float32
    assert evaluate([g], {x32: np.float32(1), gz: np.float64(0.5)}) == [np.float32(0.5)]
    x = gs.float64("x")
    out = gs.cast(x, "int64")
    (g,) = out.owner.op.L_op([x], [out], [gs.constant(1.0)])
    assert isinstance(g, Constant) and g.data == 0 and g.type == gs.float64
    i = gs.int8("i")
    out = gs.cast(i, "float32")
    (g,) = out.owner.op.L_op([i], [out], [gs.float32("gz")])
    assert isinstance(g, Constant) and g.data == 0 and g.type == gs.float32


UNARY_FLOAT_OPS = [
    op for op, pts in GRAD_CASES if len(pts[0]) == 1 and op not in (gs.isnan, gs.isinf)
]


@pytest.mark.parametrize("op", UNARY_FLOAT_OPS, ids=[str(o) for o in UNARY_FLOAT_OPS])
def test_float32_grads_keep_dtype(op):
    point = dict(GRAD_CASES)[op][0]
    _, _, vals64 = symbolic_grads(op, point)
    _, grads32, vals32 = symbolic_grads(op, point, dtype="float32")
    (g,) = grads32
    assert g.type == gs.float32
    assert type(vals32[0]) is np.float32
    np.testing.assert_allclose(vals32[0], vals64[0], rtol=2e-3, atol=1e-6)


@pytest.mark.parametrize("dtype", ["int8", "int64", "bool", "uint8"])
@pytest.mark.parametrize(
    "op", [gs.exp, gs.log, gs.sqrt, gs.sigmoid, gs.erf, gs.neg, gs.sqr, gs.abs, gs.identity]
)
def test_discrete_inputs_get_float_zero_grads(op, dtype):
    x = get_scalar_type(dtype)("x")
    if op == gs.neg and dtype == "bool":
        with pytest.raises(TypeError, match="neg"):  # as in NumPy
            op(x)
        return
    out = op(x)
    gz = out.type("gz")
    (g,) = op.L_op([x], [out], [gz])
    assert isinstance(g, Constant) and g.data == 0
    out_dtype = out.type.dtype
    expected = out_dtype if out_dtype in gs.float_dtypes else "float64"
    assert g.type.dtype == expected


def test_mixed_discrete_continuous_inputs():
    i, f = gs.int8("i"), gs.float32("f")
    out = gs.mul(i, f)
    assert out.type == gs.float32
    gi, gf = gs.mul.L_op([i, f], [out], [gs.float32("gz")])
    assert isinstance(gi, Constant) and gi.type == gs.float32 and gi.data == 0
    assert gf.type == gs.float32
    a, b = gs.int64("a"), gs.int64("b")
    out = gs.true_div(a, b)
    ga, gb = gs.true_div.L_op([a, b], [out], [gs.float64("gz")])
    assert ga.type == gs.float64 and gb.type == gs.float64
    assert ga.data == 0 and gb.data == 0
    # mixed precision: the gradient has the input's dtype
    x32, y64 = gs.float32("x"), gs.float64("y")
    out = gs.mul(x32, y64)
    gz = gs.float64("gz")
    gx, gy = gs.mul.L_op([x32, y64], [out], [gz])
    assert gx.type == gs.float32 and gy.type == gs.float64
    vx, vy = evaluate([gx, gy], {x32: np.float32(2), y64: np.float64(3), gz: np.float64(1)})
    assert vx == np.float32(3) and type(vx) is np.float32 and vy == 2.0


@pytest.mark.parametrize(
    "op, dtypes",
    [
        (gs.lt, ("float64", "float64")),
        (gs.int_div, ("int64", "int64")),
        (gs.floor, ("float32",)),
        (gs.isnan, ("float32",)),
        (gs.add, ("int64", "int8")),
        (gs.and_, ("bool", "bool")),
        (gs.invert, ("int8",)),
        (gs.maximum, ("int64", "int64")),
        (gs.switch, ("bool", "int8", "int8")),
    ],
)
def test_discrete_outputs_zero_grads(op, dtypes):
    ins = [get_scalar_type(d)() for d in dtypes]
    out = op(*ins)
    grads = op.L_op(ins, [out], [gs.float64("gz")])
    for x, g in zip(ins, grads):
        assert isinstance(g, Constant) and g.data == 0
        assert g.type.dtype == (x.type.dtype if x.type.dtype in gs.float_dtypes else "float64")


def test_complex_grads():
    z = gs.complex128("z")
    with pytest.raises(NotImplementedError):
        gs.exp.L_op([z], [gs.exp(z)], [gs.complex128("gz")])
    with pytest.raises(MethodNotDefined):
        gs.log.L_op([z], [gs.log(z)], [gs.complex128("gz")])
    gz = gs.complex128("gz")
    (g1, g2) = gs.add.L_op([z, z], [gs.add(z, z)], [gz])
    assert g1 is gz and g2 is gz


@settings(max_examples=40, deadline=None)
@given(
    st.sampled_from([gs.exp, gs.tanh, gs.sigmoid, gs.softplus, gs.sin, gs.arctan, gs.erf]),
    st.floats(-5, 5),
)
def test_grad_property(op, x):
    _, _, (val,) = symbolic_grads(op, (x,), gz_value=1.0)
    np.testing.assert_allclose(val, numeric_grad(op, (x,), 0), rtol=1e-6, atol=1e-9)


def test_gammainc_grad_second_derivatives():
    k, x, gz = gs.float64("k"), gs.float64("x"), gs.float64("gz")
    out = gs.gammainc_grad(k, x)
    gk, gx = gs.gammainc_grad.L_op([k, x], [out], [gz])
    # d/dk of dP/dk is not implemented: a NullType gradient, not an error here
    assert isinstance(gk.type, NullType) and "not implemented" in gk.type.why_null
    assert gx.type == gs.float64
    (val,) = evaluate([gx], {k: np.float64(2.5), x: np.float64(1.5), gz: np.float64(1.0)})
    np.testing.assert_allclose(val, numeric_grad(gs.gammainc_grad, (2.5, 1.5), 1), rtol=1e-6)
    # an integer k still gets a zero gradient
    i = gs.int8("i")
    gi, _ = gs.gammainc_grad.L_op([i, x], [gs.gammainc_grad(i, x)], [gz])
    assert isinstance(gi, Constant) and gi.data == 0


def test_softplus_grad_extremes():
    x = gs.float64("x")
    (g,) = gs.softplus.L_op([x], [gs.softplus(x)], [gs.constant(1.0)])
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        lo, hi = (
            evaluate([g], {x: np.float64(-1000.0)})[0],
            evaluate([g], {x: np.float64(1000.0)})[0],
        )
    assert lo == 0.0 and hi == 1.0
    (g,) = gs.log1mexp.L_op([x], [gs.log1mexp(x)], [gs.constant(1.0)])
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        (v,) = evaluate([g], {x: np.float64(-1000.0)})
    assert v == 0.0
