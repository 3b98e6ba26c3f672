"""Reverse-mode differentiation (graft.gradient) and verify_grad (graft.testing)."""

import time
import warnings

import numpy as np
import pytest

import graft.scalar as gs
import graft.tensor as gt
from graft.compile import function
from graft.gradient import (
    DisconnectedInputError,
    DisconnectedType,
    Lop,
    NullType,
    NullTypeGradError,
    Rop,
    consider_constant,
    disconnected_grad,
    disconnected_type,
    grad,
    grad_not_implemented,
    grad_undefined,
    hessian,
    jacobian,
    zero_grad,
)
from graft.graph.basic import Apply, Constant, io_toposort
from graft.graph.op import Op
from graft.testing import GradientError, numeric_grad, verify_grad

RNG = np.random.default_rng(1234)


def evaluate(outputs, givens):
    """Compile ``givens``' keys → ``outputs`` with graft.function and run it on the values."""
    fn = function(list(givens), outputs, on_unused_input="ignore")
    return fn(*givens.values())


def fd(f, *args, eps=1e-6):
    """Central finite differences of the scalar NumPy function ``f`` w.r.t. each argument."""
    args = [np.array(a, dtype="float64") for a in args]
    out = []
    for a in args:
        g = np.zeros_like(a)
        for k in range(a.size):
            orig = a.flat[k]
            a.flat[k] = orig + eps
            up = f(*args)
            a.flat[k] = orig - eps
            down = f(*args)
            a.flat[k] = orig
            g.flat[k] = (up - down) / (2 * eps)
        out.append(g)
    return out


# ---------------------------------------------------------------------------
# Tensor expressions vs analytic results and finite differences
# ---------------------------------------------------------------------------


def test_elemwise_chain_with_broadcasting():
    x = gt.dmatrix("x")
    b = gt.dvector("b")
    cost = gt.sum(gt.tanh(x * b + 1.0) ** 2 / (1.0 + gt.exp(-x)))
    gx, gb = grad(cost, [x, b])
    assert gx.type == x.type and gb.type == b.type

    xv, bv = RNG.normal(size=(3, 4)), RNG.normal(size=4)

    def f(x, b):
        return np.sum(np.tanh(x * b + 1) ** 2 / (1 + np.exp(-x)))

    got = evaluate([gx, gb], {x: xv, b: bv})
    want = fd(f, xv, bv)
    np.testing.assert_allclose(got[0], want[0], rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(got[1], want[1], rtol=1e-6, atol=1e-8)


def test_gradient_keeps_static_shape_of_broadcast_input():
    x = gt.TensorType("float64", (1, None))("x")
    y = gt.dmatrix("y")
    s = gt.TensorType("float64", (3,))("s")
    cost = gt.sum(x * y) + gt.sum(s * 2.0)
    gx, gs_ = grad(cost, [x, s])
    assert gx.type.shape == (1, None)
    assert gs_.type.shape == (3,)
    yv = RNG.normal(size=(5, 4))
    got = evaluate(gx, {x: np.ones((1, 4)), y: yv, s: np.zeros(3)})
    np.testing.assert_allclose(got, yv.sum(axis=0, keepdims=True))


def test_reductions():
    x = gt.dmatrix("x")
    xv = RNG.normal(size=(3, 4)) + 0.1
    cases = [
        (lambda x: gt.sum(gt.sum(x, axis=0) ** 2), lambda x: np.sum(np.sum(x, axis=0) ** 2)),
        (lambda x: gt.sum(gt.mean(x, axis=1) ** 3), lambda x: np.sum(np.mean(x, axis=1) ** 3)),
        (lambda x: gt.sum(gt.max(x, axis=1) * 2.0), lambda x: np.sum(np.max(x, axis=1) * 2)),
        (lambda x: gt.sum(gt.prod(x, axis=0)), lambda x: np.sum(np.prod(x, axis=0))),
        (lambda x: gt.sum(x, axis=(0, 1)) * gt.min(x), lambda x: np.sum(x) * np.min(x)),
    ]
    for build, ref in cases:
        g = grad(build(x), x)
        np.testing.assert_allclose(evaluate(g, {x: xv}), fd(ref, xv)[0], rtol=1e-6, atol=1e-8)


def test_prod_gradient_with_a_zero():
    x = gt.dvector("x")
    g = grad(gt.prod(x), x)
    xv = np.array([2.0, 0.0, 3.0])
    np.testing.assert_allclose(evaluate(g, {x: xv}), [0.0, 6.0, 0.0])


def test_dot_and_matmul():
    A = gt.dmatrix("A")
    B = gt.dmatrix("B")
    v = gt.dvector("v")
    Av, Bv, vv = RNG.normal(size=(3, 4)), RNG.normal(size=(4, 2)), RNG.normal(size=4)

    cost = gt.sum(gt.dot(A, B) ** 2) + gt.sum(gt.dot(A, v))
    gA, gB, gv = grad(cost, [A, B, v])
    got = evaluate([gA, gB, gv], {A: Av, B: Bv, v: vv})
    C = Av @ Bv
    np.testing.assert_allclose(got[0], 2 * C @ Bv.T + np.outer(np.ones(3), vv))
    np.testing.assert_allclose(got[1], 2 * Av.T @ C)
    np.testing.assert_allclose(got[2], Av.sum(axis=0))

    X = gt.dtensor3("X")
    W = gt.dmatrix("W")
    Xv, Wv = RNG.normal(size=(2, 3, 4)), RNG.normal(size=(4, 5))
    gX, gW = grad(gt.sum(gt.sin(gt.matmul(X, W))), [X, W])
    want = fd(lambda X, W: np.sum(np.sin(np.matmul(X, W))), Xv, Wv)
    got = evaluate([gX, gW], {X: Xv, W: Wv})
    np.testing.assert_allclose(got[0], want[0], rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(got[1], want[1], rtol=1e-6, atol=1e-8)


def test_dimshuffle_transpose_reshape():
    x = gt.dmatrix("x")
    w = gt.dvector("w")
    xv, wv = RNG.normal(size=(2, 3)), RNG.normal(size=6)
    y = x.T.dimshuffle(0, "x", 1) * gt.reshape(w, (3, 1, 2))
    cost = gt.sum(gt.exp(gt.reshape(y, (6,))) * w)
    gx, gw = grad(cost, [x, w])
    # Static shapes may be more precise than the inputs' (reshape to constants).
    assert x.type.is_super(gx.type) and w.type.is_super(gw.type)

    def f(x, w):
        yy = x.T[:, None, :] * w.reshape(3, 1, 2)
        return np.sum(np.exp(yy.reshape(6)) * w)

    want = fd(f, xv, wv)
    got = evaluate([gx, gw], {x: xv, w: wv})
    np.testing.assert_allclose(got[0], want[0], rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(got[1], want[1], rtol=1e-6, atol=1e-8)


def test_logistic_regression_log_likelihood():
    X = gt.dmatrix("X")
    y = gt.dvector("y")
    w = gt.dvector("w")
    b = gt.dscalar("b")
    p = gt.sigmoid(gt.dot(X, w) + b)
    ll = gt.sum(y * gt.log(p) + (1 - y) * gt.log(1 - p))
    ll.name = "ll"
    w.name, b.name = "w", "b"
    gw, gb = grad(ll, [w, b])
    assert gw.name == "(dll/dw)" and gb.name == "(dll/db)"
    Xv = RNG.normal(size=(20, 3))
    yv = (RNG.random(20) > 0.5).astype("float64")
    wv, bv = RNG.normal(size=3), np.array(0.3)
    got_w, got_b = evaluate([gw, gb], {X: Xv, y: yv, w: wv, b: bv})
    pv = 1 / (1 + np.exp(-(Xv @ wv + bv)))
    np.testing.assert_allclose(got_w, Xv.T @ (yv - pv), rtol=1e-8)
    np.testing.assert_allclose(got_b, np.sum(yv - pv), rtol=1e-8)
    assert np.asarray(got_b).shape == ()


def test_float32_gradients_stay_float32():
    x = gt.fvector("x")
    g = grad(gt.sum(gt.exp(x) * 2.0), x)
    assert g.type.dtype == "float32"
    xv = np.array([0.0, 1.0], dtype="float32")
    out = evaluate(g, {x: xv})
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, 2 * np.exp(xv), rtol=1e-6)


def test_result_structure_follows_wrt():
    x, y = gt.dscalar("x"), gt.dscalar("y")
    cost = x * y
    assert isinstance(grad(cost, [x, y]), list)
    assert isinstance(grad(cost, (x, y)), tuple)
    single = grad(cost, x)
    assert single.type == x.type
    assert grad(cost, []) == []
    gx, gy = grad(cost, [x, y])
    assert evaluate([gx, gy], {x: np.array(2.0), y: np.array(5.0)}) == [5.0, 2.0]


def test_same_variable_used_many_times_sums_contributions():
    x = gt.dvector("x")
    cost = gt.sum(x * x * x + x)
    g = grad(cost, x)
    xv = np.array([1.0, -2.0])
    np.testing.assert_allclose(evaluate(g, {x: xv}), 3 * xv**2 + 1)


def test_wrt_an_intermediate_variable():
    x = gt.dvector("x")
    h = gt.exp(x)
    cost = gt.sum(h * h)
    gh, gx = grad(cost, [h, x])
    xv = np.array([0.5, 1.0])
    got = evaluate([gh, gx], {x: xv})
    np.testing.assert_allclose(got[0], 2 * np.exp(xv))
    np.testing.assert_allclose(got[1], 2 * np.exp(2 * xv))


def test_cost_must_be_scalar():
    x = gt.dvector("x")
    with pytest.raises(TypeError, match=r"cost must be a scalar.*1 dimensions"):
        grad(x * 2, x)
    with pytest.raises(TypeError, match="wrt"):
        grad(gt.sum(x), "x")
    with pytest.raises(ValueError, match="known_grads"):
        grad(None, x)
    with pytest.raises(ValueError, match="disconnected_inputs"):
        grad(gt.sum(x), x, disconnected_inputs="loud")
    with pytest.raises(TypeError, match="consider_constant must be a list"):
        grad(gt.sum(x), x, consider_constant=x)


# ---------------------------------------------------------------------------
# known_grads, Lop, Rop
# ---------------------------------------------------------------------------


def test_known_grads_without_cost():
    x = gt.dvector("x")
    y = gt.exp(x) * 3.0
    gy = gt.dvector("gy")
    gx = grad(None, x, known_grads={y: gy})
    xv, gyv = np.array([0.1, 0.2]), np.array([1.0, -2.0])
    np.testing.assert_allclose(evaluate(gx, {x: xv, gy: gyv}), gyv * 3 * np.exp(xv))


def test_known_grads_override_cost_contributions():
    x = gt.dvector("x")
    y = x * 2.0
    cost = gt.sum(y * y)
    # The given gradient of y replaces what flows back from the cost.
    gx = grad(cost, x, known_grads={y: np.array([1.0, 1.0])})
    np.testing.assert_allclose(evaluate(gx, {x: np.array([3.0, 4.0])}), [2.0, 2.0])


def test_known_grads_checks_types():
    x = gt.dvector("x")
    y = x * 2.0
    with pytest.raises(ValueError, match="must be a 1-d tensor"):
        grad(None, x, known_grads={y: gt.dmatrix()})
    with pytest.raises(TypeError, match="floating point"):
        grad(None, x, known_grads={y: gt.lvector()})


def test_lop_and_rop():
    x = gt.dvector("x")
    v = gt.dvector("v")
    A = gt.dmatrix("A")
    f = gt.dot(A, gt.sin(x))
    u = gt.dvector("u")
    xv, vv, Av, uv = (
        RNG.normal(size=3),
        RNG.normal(size=3),
        RNG.normal(size=(2, 3)),
        RNG.normal(size=2),
    )
    J = Av * np.cos(xv)
    np.testing.assert_allclose(evaluate(Lop(f, x, u), {x: xv, A: Av, u: uv}), uv @ J)
    jvp = Rop(f, x, v)
    assert jvp.type.ndim == 1
    np.testing.assert_allclose(evaluate(jvp, {x: xv, A: Av, v: vv}), J @ vv)


def test_rop_several_outputs_and_inputs():
    x, y = gt.dvector("x"), gt.dvector("y")
    vx, vy = gt.dvector("vx"), gt.dvector("vy")
    f1 = x * y
    f2 = gt.exp(x) + y
    r1, r2 = Rop([f1, f2], [x, y], [vx, vy])
    xv, yv, a, b = (RNG.normal(size=2) for _ in range(4))
    got = evaluate([r1, r2], {x: xv, y: yv, vx: a, vy: b})
    np.testing.assert_allclose(got[0], yv * a + xv * b)
    np.testing.assert_allclose(got[1], np.exp(xv) * a + b)


def test_rop_disconnected_and_op_implementation():
    x, y = gt.dvector("x"), gt.dvector("y")
    v = gt.dvector("v")
    with pytest.raises(DisconnectedInputError):
        Rop(y * 2.0, x, v)
    z = Rop(y * 2.0, x, v, disconnected_outputs="ignore")
    np.testing.assert_allclose(evaluate(z, {y: np.ones(2)}), [0.0, 0.0])
    with pytest.raises(NotImplementedError, match="R_op"):
        Rop(gt.exp(x), x, v, use_op_rop_implementation=True)


# ---------------------------------------------------------------------------
# Disconnected inputs, integers, NullType
# ---------------------------------------------------------------------------


def test_disconnected_inputs_modes():
    x, y = gt.dvector("x"), gt.dvector("y")
    cost = gt.sum(x**2)
    with pytest.raises(DisconnectedInputError, match="y"):
        grad(cost, [x, y])
    with pytest.warns(UserWarning, match="does not depend on y"):
        gy = grad(cost, y, disconnected_inputs="warn")
    np.testing.assert_allclose(evaluate(gy, {y: np.ones(3)}), np.zeros(3))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _, gy = grad(cost, [x, y], disconnected_inputs="ignore")
    assert gy.type == y.type
    assert grad(cost, y, disconnected_inputs="ignore", return_disconnected="None") is None
    d = grad(cost, y, disconnected_inputs="ignore", return_disconnected="Disconnected")
    assert isinstance(d.type, DisconnectedType)
    with pytest.raises(ValueError, match="return_disconnected"):
        grad(cost, y, return_disconnected="nothing")


def test_disconnected_through_shape_and_argmax():
    x = gt.dmatrix("x")
    via_shape = gt.cast(gt.sum(x.shape), "float64")
    with pytest.raises(DisconnectedInputError):
        grad(via_shape, x)
    via_argmax = gt.cast(gt.argmax(x), "float64")
    with pytest.raises(DisconnectedInputError):
        grad(via_argmax, x)
    # Connected through one path, disconnected through another: only the first counts.
    g = grad(gt.sum(x) * gt.cast(gt.sum(x.shape), "float64"), x)
    xv = np.ones((2, 3))
    np.testing.assert_allclose(evaluate(g, {x: xv}), np.full((2, 3), 5.0))


def test_integer_inputs_get_zero_gradients():
    i = gt.lvector("i")
    x = gt.dvector("x")
    cost = gt.sum(gt.cast(i, "float64") * x) + gt.sum(i * 2)
    gi, gx = grad(cost, [i, x])
    assert gi.type.dtype == "float64" and gi.type.ndim == 1
    got = evaluate([gi, gx], {i: np.array([1, 2, 3]), x: np.array([0.5, 1.0, 2.0])})
    np.testing.assert_allclose(got[0], np.zeros(3))
    np.testing.assert_allclose(got[1], [1.0, 2.0, 3.0])
    # Rounding to an integer cuts the gradient (zero, not disconnected).
    g = grad(gt.sum(gt.cast(gt.cast(x, "int64"), "float64")), x)
    np.testing.assert_allclose(evaluate(g, {x: np.array([0.5, 1.5, 2.0])}), np.zeros(3))


class NoGradOp(Op):
    """Test op: y = 2 * x with an undefined gradient (or a not-implemented one)."""

    __props__ = ("implemented",)

    def __init__(self, implemented=False):
        self.implemented = implemented

    def make_node(self, x):
        x = gt.as_tensor_variable(x)
        return Apply(self, [x], [x.type()])

    def perform(self, node, inputs, output_storage):
        output_storage[0][0] = inputs[0] * 2

    def L_op(self, inputs, outputs, output_grads):
        if self.implemented:
            return [grad_not_implemented(self, 0, inputs[0])]
        return [grad_undefined(self, 0, inputs[0], "it jumps")]

    def __str__(self):
        return "NoGradOp"


def test_null_gradient_raises_only_when_it_reaches_wrt():
    x, y = gt.dvector("x"), gt.dvector("y")
    cost = gt.sum(NoGradOp()(x) * y)
    with pytest.raises(NullTypeGradError, match=r"NoGradOp.*undefined.*it jumps"):
        grad(cost, x)
    with pytest.raises(NullTypeGradError, match="not implemented"):
        grad(gt.sum(NoGradOp(True)(x)), x)
    # y's gradient does not need the undefined one.
    gy = grad(cost, y)
    np.testing.assert_allclose(evaluate(gy, {x: np.array([1.0, 2.0]), y: np.zeros(2)}), [2, 4])
    gx = grad(cost, x, null_gradients="return")
    assert isinstance(gx.type, NullType)
    # Undefined propagates through later ops to an ancestor wrt.
    z = gt.dvector("z")
    with pytest.raises(NullTypeGradError):
        grad(gt.sum(NoGradOp()(gt.exp(z))), z)


def test_special_types():
    d = disconnected_type()
    assert isinstance(d.type, DisconnectedType)
    assert d is not disconnected_type()
    n = grad_undefined("op", 0, "x")
    assert isinstance(n.type, NullType) and "op" in n.type.why_null
    with pytest.raises(TypeError):
        d.type.filter(1.0)
    with pytest.raises(TypeError):
        n.type.filter(1.0)


class BadLOp(Op):
    __props__ = ()

    def make_node(self, x):
        x = gt.as_tensor_variable(x)
        return Apply(self, [x], [x.type()])

    def perform(self, node, inputs, output_storage):
        output_storage[0][0] = inputs[0]

    def L_op(self, inputs, outputs, output_grads):
        return [output_grads[0], output_grads[0]]


def test_bad_l_op_is_reported():
    x = gt.dvector("x")
    with pytest.raises(ValueError, match="returned 2 gradients for 1 inputs"):
        grad(gt.sum(BadLOp()(x)), x)


# ---------------------------------------------------------------------------
# consider_constant, zero_grad, disconnected_grad
# ---------------------------------------------------------------------------


def test_consider_constant_argument_and_op():
    x = gt.dvector("x")
    h = x * x
    cost = gt.sum(h * x)
    xv = np.array([1.0, 2.0])
    g = grad(cost, x, consider_constant=[h])
    np.testing.assert_allclose(evaluate(g, {x: xv}), xv**2)
    g2 = grad(gt.sum(consider_constant(x * x) * x), x)
    np.testing.assert_allclose(evaluate(g2, {x: xv}), xv**2)
    # The op is an identity for values.
    np.testing.assert_allclose(evaluate(consider_constant(x), {x: xv}), xv)


def test_zero_grad_and_disconnected_grad():
    x = gt.dvector("x")
    xv = np.array([1.0, 3.0])
    g = grad(gt.sum(zero_grad(x) ** 2), x)
    np.testing.assert_allclose(evaluate(g, {x: xv}), [0.0, 0.0])
    g = grad(gt.sum(disconnected_grad(x) * x), x)
    np.testing.assert_allclose(evaluate(g, {x: xv}), xv)
    with pytest.raises(DisconnectedInputError):
        grad(gt.sum(disconnected_grad(x) * 2.0), x)
    np.testing.assert_allclose(evaluate(zero_grad(x) + disconnected_grad(x), {x: xv}), 2 * xv)


# ---------------------------------------------------------------------------
# jacobian, hessian
# ---------------------------------------------------------------------------


def test_jacobian_vs_finite_differences():
    x = gt.dvector("x", shape=(3,))
    W = gt.dmatrix("W", shape=(2, 3))
    f = gt.tanh(gt.dot(W, x)) * gt.sum(x)
    Jx, JW = jacobian(f, [x, W])
    assert Jx.type.shape == (2, 3) and JW.type.shape == (2, 2, 3)
    xv, Wv = RNG.normal(size=3), RNG.normal(size=(2, 3))

    def fnp(k):
        return lambda x, W: (np.tanh(W @ x) * np.sum(x))[k]

    got = evaluate([Jx, JW], {x: xv, W: Wv})
    for k in range(2):
        want = fd(fnp(k), xv, Wv)
        np.testing.assert_allclose(got[0][k], want[0], rtol=1e-6, atol=1e-8)
        np.testing.assert_allclose(got[1][k], want[1], rtol=1e-6, atol=1e-8)


def test_jacobian_of_matrix_expression_and_scalar():
    x = gt.dvector("x", shape=(2,))
    f = gt.outer(x, x)
    J = jacobian(f, x)
    assert J.type.shape == (2, 2, 2)
    xv = np.array([1.5, -2.0])
    got = evaluate(J, {x: xv})
    want = np.zeros((2, 2, 2))
    for i in range(2):
        for j in range(2):
            want[i, j, i] += xv[j]
            want[i, j, j] += xv[i]
    np.testing.assert_allclose(got, want)
    g = jacobian(gt.sum(x**2), x)
    np.testing.assert_allclose(evaluate(g, {x: xv}), 2 * xv)


def test_jacobian_without_static_shape():
    x = gt.dvector("x")
    J = jacobian(x**2, x)
    xv = np.array([1.0, -2.0, 0.5])
    np.testing.assert_allclose(evaluate(J, {x: xv}), np.diag(2 * xv))
    # The unrolled form builds one pass per element: it needs the static shape.
    with pytest.raises(ValueError, match=r"static shape.*specify_shape"):
        jacobian(x**2, x, vectorize=False)


def test_hessian_vs_finite_differences():
    x = gt.dvector("x", shape=(3,))
    cost = gt.sum(x**3) + x.dot(gt.exp(x)) * 0.5
    H = hessian(cost, x)
    assert H.type.shape == (3, 3)
    xv = RNG.normal(size=3)

    def gnp(k):
        return lambda x: 3 * x[k] ** 2 + 0.5 * (np.exp(x[k]) + x[k] * np.exp(x[k]))

    got = evaluate(H, {x: xv})
    for k in range(3):
        np.testing.assert_allclose(got[k], fd(gnp(k), xv)[0], rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(got, got.T, rtol=1e-12)
    # A cost linear in x has a zero Hessian, not a disconnected one.
    H0 = hessian(gt.sum(x * 2.0), x)
    np.testing.assert_allclose(evaluate(H0, {x: xv}), np.zeros((3, 3)))
    v = gt.dvector("v")
    with pytest.raises(ValueError, match="static shape"):
        hessian(gt.sum(v**2), v, vectorize=False)
    np.testing.assert_allclose(evaluate(hessian(gt.sum(v**2), v), {v: xv}), 2 * np.eye(3))


# ---------------------------------------------------------------------------
# Scalar layer, deep graphs, profiling
# ---------------------------------------------------------------------------


def test_scalar_layer_gradients():
    x, y = gs.float64("x"), gs.float64("y")
    cost = gs.exp(x) * y + x / y
    gx, gy = grad(cost, [x, y])
    assert gx.type == x.type
    xv, yv = np.float64(0.3), np.float64(2.0)
    got = evaluate([gx, gy], {x: xv, y: yv})
    np.testing.assert_allclose(got, [np.exp(xv) * yv + 1 / yv, np.exp(xv) - xv / yv**2])
    # float32 and integer scalars
    f = gs.float32("f")
    i = gs.int64("i")
    gf, gi = grad(f * f * i, [f, i])
    assert gf.type.dtype == "float32"
    got = evaluate([gf, gi], {f: np.float32(1.5), i: np.int64(3)})
    np.testing.assert_allclose(got, [9.0, 0.0])


def test_tensor_scalar_bridge():
    s = gs.float64("s")
    t = gt.as_tensor_variable(s)
    x = gt.dvector("x")
    cost = gt.sum(x * t)
    gs_ = grad(cost, s)
    assert gs_.type == s.type
    np.testing.assert_allclose(evaluate(gs_, {s: np.float64(2.0), x: np.array([1.0, 4.0])}), 5.0)


def test_deep_chain_has_no_recursion_limit():
    x = gt.dscalar("x")
    y = x
    n = 20_000
    for k in range(n):
        y = y * 0.9999 if k % 2 else gt.sin(y)
    t0 = time.perf_counter()
    g = grad(y, x)
    elapsed = time.perf_counter() - t0
    xv = np.array(0.3)
    # Reference derivative by the chain rule in NumPy.
    v, d = 0.3, 1.0
    for k in range(n):
        if k % 2:
            v, d = v * 0.9999, d * 0.9999
        else:
            v, d = np.sin(v), d * np.cos(v)
    # Run the nodes' perform directly: compiling the 80k-node gradient graph
    # is graft.function's business (and its own tests), not this test's.
    values = {x: xv}
    for node in io_toposort([x], [g]):
        storage = [[None] for _ in node.outputs]
        ins = [values[v] if v in values else v.data for v in node.inputs]
        node.op.perform(node, ins, storage)
        values.update(zip(node.outputs, (s[0] for s in storage)))
    np.testing.assert_allclose(values[g], d, rtol=1e-9)
    assert elapsed < 30


def test_grad_time_is_accumulated():
    profiling = pytest.importorskip("graft.compile.profiling")
    before = profiling.grad_time
    x = gt.dvector("x")
    grad(gt.sum(x**2), x)
    assert profiling.grad_time > before


# ---------------------------------------------------------------------------
# verify_grad
# ---------------------------------------------------------------------------


class ScaleOp(Op):
    """Test op: y = 3 * x; its gradient is 3 * gz, or (when ``wrong``) 2 * gz."""

    __props__ = ("wrong",)

    def __init__(self, wrong=False):
        self.wrong = wrong

    def make_node(self, x):
        x = gt.as_tensor_variable(x)
        return Apply(self, [x], [x.type()])

    def perform(self, node, inputs, output_storage):
        output_storage[0][0] = inputs[0] * 3

    def infer_shape(self, fgraph, node, input_shapes):
        return input_shapes

    def grad(self, inputs, output_grads):
        return [output_grads[0] * (2.0 if self.wrong else 3.0)]


def test_verify_grad_passes_a_right_gradient():
    verify_grad(ScaleOp(), [RNG.normal(size=(2, 3))], rng=np.random.default_rng(0))
    verify_grad(
        lambda a, b: gt.tanh(gt.dot(a, b)) * 2.0,
        [RNG.normal(size=(3, 4)), RNG.normal(size=4)],
        rng=np.random.default_rng(1),
    )
    verify_grad(lambda x: gt.sum(gt.exp(x) ** 2), [RNG.normal(size=3)])
    verify_grad(lambda x: gt.sigmoid(x) * x, [RNG.normal(size=5).astype("float32")], n_tests=1)


def test_verify_grad_float32_output_of_float64_input():
    # A float32 output cannot resolve a 1e-7 step: the step follows the output's dtype.
    verify_grad(lambda x: gt.cast(x, "float32") * 2.0, [RNG.normal(size=(3, 4))])


def test_verify_grad_catches_a_wrong_gradient():
    with pytest.raises(GradientError) as info:
        verify_grad(ScaleOp(wrong=True), [RNG.normal(size=(2, 3))], rng=np.random.default_rng(0))
    err = info.value
    assert isinstance(err, ValueError)
    assert err.arg == 0 and err.shape == (2, 3)
    assert err.abs_err > err.abs_tol and err.rel_err > err.rel_tol
    assert "input 0" in str(err)
    # The error names the offending input among several.
    with pytest.raises(GradientError) as info:
        verify_grad(lambda a, b: a * 2.0 + ScaleOp(True)(b), [np.ones(2), np.ones(2)])
    assert info.value.arg == 1


def test_verify_grad_rejects_bad_arguments():
    with pytest.raises(TypeError, match="floating-point"):
        verify_grad(lambda i: i * 2, [np.array([1, 2])])
    with pytest.raises(TypeError, match="single tensor"):
        verify_grad(lambda x: [x, x], [np.ones(2)])


def test_numeric_grad():
    (g,) = numeric_grad(lambda x: np.sum(x**2), [np.array([1.0, -2.0])])
    np.testing.assert_allclose(g, [2.0, -4.0], rtol=1e-6)
    # the point itself is not modified
    p = np.array([1.0, 2.0])
    numeric_grad(lambda x: np.sum(x), [p])
    np.testing.assert_array_equal(p, [1.0, 2.0])


def test_constant_only_graph_gradient_names_untouched():
    x = gt.dscalar("x")
    x.name = "x"
    cost = x * 1.0
    cost.name = "c"
    g = grad(cost, x)
    assert not isinstance(g, Constant) or g.name is None


def test_lop_and_rop_when_one_output_feeds_another():
    x, y = gt.dvector("x"), gt.dvector("y")
    a, b = gt.dvector("a"), gt.dvector("b")
    f1 = gt.exp(x)
    f2 = f1 * 2.0
    xv, av, bv = np.array([0.0, 0.5]), np.array([1.0, 2.0]), np.array([10.0, 20.0])
    # Both products are added, even though f1 is an ancestor of f2.
    lop = Lop([f1, f2], x, [a, b])
    np.testing.assert_allclose(evaluate(lop, {x: xv, a: av, b: bv}), np.exp(xv) * (av + 2 * bv))
    # y's VJP is the dummy cotangent itself, an ancestor of x's.
    rop = Rop(gt.exp(x) + y, [x, y], [a, b])
    got = evaluate(rop, {x: xv, y: np.zeros(2), a: av, b: bv})
    np.testing.assert_allclose(got, np.exp(xv) * av + bv)
    r1, r2 = Rop([f1, f2], x, a)
    got = evaluate([r1, r2], {x: xv, a: av})
    np.testing.assert_allclose(got[0], np.exp(xv) * av)
    np.testing.assert_allclose(got[1], 2 * np.exp(xv) * av)
