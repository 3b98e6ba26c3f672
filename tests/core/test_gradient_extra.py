"""Vectorized jacobian/hessian, grad_clip, grad_scale, subgraph_grad, integer wrt gradients."""

import numpy as np
import pytest

import graft.tensor as gt
from graft.compile import function
from graft.gradient import (
    GradClip,
    GradScale,
    grad,
    grad_clip,
    grad_scale,
    hessian,
    jacobian,
    subgraph_grad,
)
from graft.testing import verify_grad

RNG = np.random.default_rng(42)


def run(outputs, givens, mode=None):
    kw = {} if mode is None else {"mode": mode}
    fn = function(list(givens), outputs, on_unused_input="ignore", **kw)
    return fn(*givens.values())


def fd_jacobian(f, x, eps=1e-6):
    """Central differences of the array function ``f`` w.r.t. ``x``: shape f(x).shape + x.shape."""
    x = np.array(x, dtype="float64")
    y0 = np.asarray(f(x))
    J = np.zeros(y0.shape + x.shape)
    for k in np.ndindex(*x.shape):
        up, down = x.copy(), x.copy()
        up[k] += eps
        down[k] -= eps
        J[(...,) + k] = (np.asarray(f(up)) - np.asarray(f(down))) / (2 * eps)
    return J


# ---------------------------------------------------------------------------
# jacobian / hessian without static shapes
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("mode", [None, "FAST_COMPILE"])
def test_jacobian_dynamic_shapes_vs_finite_differences(mode):
    x = gt.dvector("x")
    W = gt.dmatrix("W")
    f = gt.tanh(gt.dot(W, x)) * gt.sum(x)
    Jx, JW = jacobian(f, [x, W])
    assert Jx.type.ndim == 2 and JW.type.ndim == 3
    xv, Wv = RNG.normal(size=4), RNG.normal(size=(3, 4))
    got = run([Jx, JW], {x: xv, W: Wv}, mode)
    np.testing.assert_allclose(
        got[0], fd_jacobian(lambda a: np.tanh(Wv @ a) * a.sum(), xv), rtol=1e-6, atol=1e-8
    )
    np.testing.assert_allclose(
        got[1], fd_jacobian(lambda m: np.tanh(m @ xv) * xv.sum(), Wv), rtol=1e-6, atol=1e-8
    )


def test_jacobian_of_matrix_expression_through_non_elemwise_ops():
    # matmul, softmax, a reshape and indexing: the batched rows go through several rule kinds.
    x = gt.dmatrix("x")
    y = gt.softmax(x @ x.T, axis=-1)[1:, :].reshape((-1,))
    J = jacobian(y, x)
    xv = RNG.normal(size=(3, 2))

    def f(a):
        m = a @ a.T
        e = np.exp(m - m.max(-1, keepdims=True))
        return (e / e.sum(-1, keepdims=True))[1:, :].reshape(-1)

    np.testing.assert_allclose(run(J, {x: xv}), fd_jacobian(f, xv), rtol=1e-5, atol=1e-8)


def test_jacobian_vectorized_and_unrolled_agree_and_keep_static_shape():
    x = gt.dvector("x", shape=(3,))
    f = gt.exp(x) * x[0] + gt.cumsum(x)
    Jv = jacobian(f, x, vectorize=True)
    Ju = jacobian(f, x, vectorize=False)
    Jd = jacobian(f, x)
    assert Jv.type.shape == Ju.type.shape == Jd.type.shape == (3, 3)
    xv = RNG.normal(size=3)
    a, b, c = run([Jv, Ju, Jd], {x: xv})
    np.testing.assert_allclose(a, b, rtol=1e-12)
    np.testing.assert_allclose(a, c, rtol=1e-12)
    with pytest.raises(TypeError, match="vectorize"):
        jacobian(f, x, vectorize="yes")


def test_jacobian_float32_empty_and_size_one():
    x = gt.fvector("x")
    J = jacobian(x**2, x)
    assert J.type.dtype == "float32"
    xv = np.array([1.5, -2.0], dtype="float32")
    got = run(J, {x: xv})
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, np.diag(2 * xv))
    assert run(J, {x: np.zeros(0, dtype="float32")}).shape == (0, 0)
    np.testing.assert_allclose(run(J, {x: np.array([3.0], dtype="float32")}), [[6.0]])


def test_jacobian_discrete_expression_wrt_and_disconnected():
    x = gt.dvector("x")
    i = gt.lvector("i")
    y = gt.dvector("y")
    # An integer expression: zero Jacobian of shape expr.shape + x.shape.
    Jint = jacobian(gt.cast(x, "int64") * 2, x)
    xv = np.array([0.5, 1.5, 2.5])
    np.testing.assert_array_equal(run(Jint, {x: xv}), np.zeros((3, 3)))
    # An integer wrt inside a float expression: zeros too.
    Ji = jacobian(x * gt.cast(i, "float64"), i)
    np.testing.assert_array_equal(run(Ji, {x: xv, i: np.array([1, 2, 3])}), np.zeros((3, 3)))
    # A disconnected wrt: an error by default, zeros of the right shape when ignored.
    with pytest.raises(ValueError, match="does not depend"):
        jacobian(x * 2, y)
    Jy = jacobian(x * 2, y, disconnected_inputs="ignore")
    np.testing.assert_array_equal(
        run(Jy, {x: xv, y: np.ones(2)}),
        np.zeros((3, 2)),
    )


def test_hessian_dynamic_shape_vs_finite_differences():
    x = gt.dvector("x")
    A = gt.dmatrix("A")
    cost = gt.sum(gt.exp(gt.dot(A, x))) + gt.sum(x**3)
    H = hessian(cost, x)
    xv, Av = RNG.normal(size=3) * 0.5, RNG.normal(size=(2, 3)) * 0.5

    def g(a):
        return Av.T @ np.exp(Av @ a) + 3 * a**2

    got = run(H, {x: xv, A: Av})
    np.testing.assert_allclose(got, fd_jacobian(g, xv), rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(got, got.T, rtol=1e-10)
    # A matrix wrt: shape wrt.shape + wrt.shape.
    HA = hessian(cost, A)
    assert HA.type.ndim == 4
    assert run(HA, {x: xv, A: Av}).shape == (2, 3, 2, 3)


# ---------------------------------------------------------------------------
# grad_clip, grad_scale
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_grad_clip_values_and_dtype(dtype):
    x = gt.vector("x", dtype=dtype)
    y = grad_clip(x, -1.0, 2.0)
    assert y.type == x.type
    g = grad((y**3).sum(), x)
    assert g.type.dtype == dtype
    xv = np.array([-2.0, -0.1, 0.0, 0.5, 1.0, 3.0, np.inf], dtype=dtype)
    yv, gv = run([y, g], {x: xv})
    np.testing.assert_array_equal(yv, xv)
    with np.errstate(invalid="ignore"):
        np.testing.assert_allclose(gv, np.clip(3 * xv**2, -1.0, 2.0).astype(dtype))
    assert gv.dtype == dtype


def test_grad_clip_symbolic_bounds_and_errors():
    x = gt.dvector("x")
    lo, hi = gt.dscalar("lo"), gt.dscalar("hi")
    g = grad((grad_clip(x, lo, hi) * gt.constant([1.0, -5.0, 10.0])).sum(), x)
    np.testing.assert_allclose(
        run(g, {x: np.zeros(3), lo: -2.0, hi: 3.0}),
        [1.0, -2.0, 3.0],
    )
    # The bounds are not differentiated.
    with pytest.raises(ValueError, match="does not depend"):
        grad(grad_clip(x, lo, hi).sum(), lo)
    with pytest.raises(ValueError, match="lower bound"):
        grad_clip(x, 1.0, -1.0)
    with pytest.raises(TypeError, match="0-d"):
        grad_clip(x, gt.dvector("v"), 1.0)
    with pytest.raises(TypeError, match="lower"):
        grad_clip(x, "a", 1.0)


def test_grad_scale_values_symbolic_multiplier_and_rop():
    x = gt.dvector("x")
    m = gt.dscalar("m")
    y = grad_scale(x, 0.5)
    g = grad((y**2).sum(), x)
    xv = np.array([1.0, -2.0, 0.0])
    yv, gv = run([y, g], {x: xv})
    np.testing.assert_array_equal(yv, xv)
    np.testing.assert_allclose(gv, 0.5 * 2 * xv)
    gm = grad((grad_scale(x, m) * x).sum(), x)
    # d/dx [s(x) * x] = m * x (through the scaled path) + x.
    np.testing.assert_allclose(run(gm, {x: xv, m: 3.0}), 3.0 * xv + xv)
    # Forward-mode: the identity's R_op passes the tangent through.
    v = gt.dvector("v")
    node = grad_scale(x, 4.0).owner
    (r,) = node.op.R_op(node.inputs, [v, None])
    assert r is v
    # A negative multiplier reverses the gradient (a gradient-reversal layer).
    g2 = grad(grad_scale(x, -1.0).sum(), x)
    np.testing.assert_array_equal(run(g2, {x: xv}), -np.ones(3))
    with pytest.raises(TypeError, match="multiplier"):
        grad_scale(x, gt.dvector("w"))


def test_grad_ops_props_infer_shape_and_compile():
    assert GradClip() == GradClip() and GradScale() == GradScale()
    x = gt.dmatrix("x")
    y = grad_clip(grad_scale(x, 2.0), -1.0, 1.0)
    node = y.owner
    shapes = node.op.infer_shape(None, node, [(2, 3), (), ()])
    assert tuple(shapes[0]) == (2, 3)
    g = grad((y * 10.0).sum(), x)
    xv = RNG.normal(size=(2, 3))
    for mode in (None, "FAST_COMPILE"):
        yv, gv = run([y, g], {x: xv}, mode)
        np.testing.assert_array_equal(yv, xv)
        # clip(10, -1, 1) = 1, then scaled by 2.
        np.testing.assert_allclose(gv, np.full((2, 3), 2.0))


# ---------------------------------------------------------------------------
# subgraph_grad
# ---------------------------------------------------------------------------


def test_subgraph_grad_chained_equals_full_grad():
    x = gt.dvector("x")
    w1 = gt.dmatrix("w1")
    w2 = gt.dmatrix("w2")
    h = gt.tanh(gt.dot(w1, x))
    out = gt.sigmoid(gt.dot(w2, h))
    cost2 = (out**2).sum()
    cost1 = (h**2).sum() * 0.1  # a cost on the lower piece too
    full = grad(cost2 + cost1, [w1, w2])
    # Upper piece: wrt w2, down to h.
    (gw2,), (gh,) = subgraph_grad([w2], [h], cost=cost2)
    # Lower piece: from h's gradient, plus its own cost.
    (gw1,), _ = subgraph_grad([w1], [x], start={h: gh}, cost=cost1)
    vals = {x: RNG.normal(size=3), w1: RNG.normal(size=(4, 3)), w2: RNG.normal(size=(2, 4))}
    a, b, c, d = run([*full, gw1, gw2], vals)
    np.testing.assert_allclose(c, a, rtol=1e-12)
    np.testing.assert_allclose(d, b, rtol=1e-12)


def test_subgraph_grad_details_and_errors():
    x = gt.dvector("x")
    h = x * 3.0
    cost = (h**2).sum()
    wg, eg, sg, cg = subgraph_grad([x], [h], start={h: gt.ones_like(h)}, cost=cost, details=True)
    xv = np.array([1.0, 2.0])
    got = run([*wg, *eg, *sg, *cg], {x: xv})
    # Gradients stop at h: x gets nothing through it (zero).
    np.testing.assert_array_equal(got[0], np.zeros(2))
    np.testing.assert_allclose(got[1], 1.0 + 2 * 3 * xv)  # start + cost contributions
    np.testing.assert_allclose(got[3], np.ones(2))  # start only (aligned with wrt + end)
    np.testing.assert_allclose(got[5], 2 * 3 * xv)  # cost only
    wg2, eg2, sg2, cg2 = subgraph_grad([x], [h], cost=cost, details=True)
    assert sg2 is None and len(cg2) == 2
    with pytest.raises(ValueError, match="cost"):
        subgraph_grad([x], [h])
    with pytest.raises(TypeError, match="start"):
        subgraph_grad([x], [h], start=[(h, 1.0)])


# ---------------------------------------------------------------------------
# Gradients w.r.t. integer variables
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", ["int64", "int8", "uint8", "bool"])
def test_known_grads_of_integer_input_needs_only_the_gradient(dtype):
    xi = gt.vector("xi", dtype=dtype)
    g = gt.dvector("g")
    r = grad(None, known_grads={xi: g}, wrt=xi)
    assert r.type.dtype == "float64" and r.type.ndim == 1
    fn = function([g], r)  # xi is not needed
    got = fn(np.ones(4))
    assert got.dtype == np.float64
    np.testing.assert_array_equal(got, np.zeros(4))
    # Also with xi in consider_constant and in a list of wrt.
    r2, rx = grad(
        None,
        known_grads={xi: g},
        wrt=[xi, g],
        consider_constant=[xi],
        disconnected_inputs="ignore",
    )
    np.testing.assert_array_equal(function([g], r2)(np.ones(2)), np.zeros(2))


def test_integer_wrt_static_shape_zero_needs_no_input():
    xi = gt.lmatrix("xi", shape=(2, 3))
    y = gt.dscalar("y")
    cost = gt.sum(gt.cast(xi, "float64")) * y
    gi = grad(cost, xi)
    assert gi.type.shape == (2, 3)
    # The zero is built from the static shape: a function of no input computes it.
    np.testing.assert_array_equal(function([], gi)(), np.zeros((2, 3)))
    # Disconnected integer wrt with a static shape: same.
    z = grad(y * 2.0, xi, disconnected_inputs="ignore")
    np.testing.assert_array_equal(function([], z)(), np.zeros((2, 3)))


def test_integer_wrt_with_dynamic_shape_in_cost_graph():
    xi = gt.lvector("xi")
    x = gt.dvector("x")
    k = xi * 2  # an integer intermediate
    cost = gt.sum(gt.cast(k, "float64") * x)
    gi, gx = grad(cost, [xi, x])
    vals = {xi: np.array([1, 2, 3]), x: np.array([0.5, 1.0, 2.0])}
    a, b = run([gi, gx], vals)
    np.testing.assert_array_equal(a, np.zeros(3))
    np.testing.assert_allclose(b, [2.0, 4.0, 6.0])
    # known_grads on the integer intermediate: the zero has xi's shape (it needs xi).
    gk = gt.dvector("gk")
    r = grad(None, known_grads={k: gk}, wrt=xi)
    np.testing.assert_array_equal(
        function([xi, gk], r, on_unused_input="ignore")(np.array([1, 2]), np.ones(2)),
        np.zeros(2),
    )


def test_verify_grad_through_grad_scale():
    verify_grad(lambda a: grad_scale(a, 1.0) ** 2, [RNG.normal(size=(2, 3))], rng=RNG)
