"""`graft.tensor.random`: static shapes, broadcasting, size, dtypes, infer_shape, bad input,
gradients, and how the rewrites (merge, constant folding) treat draws."""

from __future__ import annotations

import numpy as np
import pytest

import graft
import graft.tensor as gt
import graft.tensor.random as gr
from graft.compile import Mode
from graft.gradient import NullType, NullTypeGradError
from graft.tensor.random import RandomVariable

NO_REWRITES = Mode(optimizer=None)
MODES = [NO_REWRITES, "FAST_COMPILE", "FAST_RUN"]


def _rng(seed=0):
    return graft.shared(np.random.default_rng(seed))


def _run(outs, inputs=(), values=(), mode=NO_REWRITES):
    f = graft.function(list(inputs), outs, mode=mode)
    return f(*values)


def _check_infer_shape(draw, inputs=(), values=()):
    """``infer_shape`` of the draw's node, evaluated, equals the drawn value's shape."""
    node = draw.owner
    in_shapes = [
        tuple(v.shape[d] for d in range(v.type.ndim)) if hasattr(v.type, "ndim") else None
        for v in node.inputs
    ]
    rng_shape, shape = node.op.infer_shape(None, node, in_shapes)
    assert rng_shape is None
    entries = [gt.as_tensor_variable(s) for s in shape]
    f = graft.function(list(inputs), [draw, *entries], mode=NO_REWRITES, on_unused_input="ignore")
    value, *sizes = f(*values)
    assert tuple(int(s) for s in sizes) == value.shape
    for s, a in zip(draw.type.shape, value.shape):
        assert s is None or s == a, (draw.type.shape, value.shape)
    return value


# ---------------------------------------------------------------------------
# Shapes, size and broadcasting
# ---------------------------------------------------------------------------

SHAPE_CASES = [
    # (build(rng) -> draw, expected static shape, value shape)
    (lambda r: gr.normal(rng=r), (), ()),
    (lambda r: gr.normal(np.zeros(3), 1.0, rng=r), (3,), (3,)),
    (lambda r: gr.normal(np.zeros((3, 1)), np.ones(4), rng=r), (3, 4), (3, 4)),
    (lambda r: gr.normal(0.0, 1.0, size=(2, 3), rng=r), (2, 3), (2, 3)),
    (lambda r: gr.normal(np.zeros(3), 1.0, size=(2, 3), rng=r), (2, 3), (2, 3)),
    (lambda r: gr.normal(0.0, 1.0, size=4, rng=r), (4,), (4,)),
    (lambda r: gr.normal(0.0, 1.0, size=(0,), rng=r), (0,), (0,)),
    (lambda r: gr.normal(np.zeros((0, 2)), 1.0, rng=r), (0, 2), (0, 2)),
    (lambda r: gr.normal(0.0, 1.0, size=(), rng=r), (), ()),
    (lambda r: gr.poisson(np.full((2, 1), 3.0), size=(5, 2, 4), rng=r), (5, 2, 4), (5, 2, 4)),
    (lambda r: gr.categorical(np.full((4, 3), 1 / 3), rng=r), (4,), (4,)),
    (lambda r: gr.categorical([0.5, 0.5], size=(2, 5), rng=r), (2, 5), (2, 5)),
    (lambda r: gr.dirichlet(np.ones(3), rng=r), (3,), (3,)),
    (lambda r: gr.dirichlet(np.ones((4, 3)), rng=r), (4, 3), (4, 3)),
    (lambda r: gr.dirichlet(np.ones(3), size=(5,), rng=r), (5, 3), (5, 3)),
    (lambda r: gr.multinomial(np.array([5, 10]), [0.2, 0.8], rng=r), (2, 2), (2, 2)),
    (lambda r: gr.multinomial(7, np.full((3, 4), 0.25), size=(2, 3), rng=r), (2, 3, 4), (2, 3, 4)),
    (lambda r: gr.multivariate_normal(np.zeros(2), np.eye(2), rng=r), (2,), (2,)),
    (
        lambda r: gr.multivariate_normal(np.zeros((3, 2)), np.eye(2), size=(4, 3), rng=r),
        (4, 3, 2),
        (4, 3, 2),
    ),
    (lambda r: gr.mvnormal(np.zeros(2), np.stack([np.eye(2)] * 5), rng=r), (5, 2), (5, 2)),
]


@pytest.mark.parametrize("case", range(len(SHAPE_CASES)))
def test_static_shape_value_shape_and_infer_shape(case):
    build, static, shape = SHAPE_CASES[case]
    draw = build(_rng(case))
    assert draw.type.shape == static
    value = _check_infer_shape(draw)
    assert value.shape == shape


def test_symbolic_parameters_and_size():
    mu = gt.dmatrix("mu")
    sigma = gt.tensor(dtype="float64", shape=(1, None), name="sigma")
    x = gr.normal(mu, sigma, rng=_rng())
    assert x.type.shape == (None, None)
    _check_infer_shape(x, [mu, sigma], [np.zeros((2, 3)), np.ones((1, 3))])

    n = gt.lscalar("n")
    y = gr.uniform(0.0, 1.0, size=(n, 3), rng=_rng())
    assert y.type.shape == (None, 3)
    assert _check_infer_shape(y, [n], [5]).shape == (5, 3)

    sz = gt.lvector("sz", shape=(2,))
    z = gr.gamma(2.0, scale=1.0, size=sz, rng=_rng())
    assert z.type.shape == (None, None)
    assert _check_infer_shape(z, [sz], [np.array([2, 4])]).shape == (2, 4)

    alphas = gt.dmatrix("alphas")
    w = gr.dirichlet(alphas, rng=_rng())
    assert w.type.shape == (None, None)
    value = _check_infer_shape(w, [alphas], [np.ones((2, 5))])
    np.testing.assert_allclose(value.sum(axis=-1), 1.0)


def test_parameters_broadcast_elementwise():
    # Each element uses its own parameters: huge separation makes the pairing visible.
    mu = np.array([[-1e6], [0.0], [1e6]])
    x = _run(gr.normal(mu, np.array([1e-3, 1.0]), rng=_rng()))
    assert x.shape == (3, 2)
    np.testing.assert_allclose(x[:, 0], mu[:, 0], atol=0.1)
    p = np.array([0.0, 1.0, 0.0, 1.0])
    np.testing.assert_array_equal(_run(gr.bernoulli(p, size=(2, 4), rng=_rng())), [p, p])


def test_only_static_size_one_dimensions_broadcast_at_run_time():
    a, b = gt.dvector("a"), gt.dvector("b")
    f = graft.function([a, b], gr.normal(a, b, rng=_rng()), mode=NO_REWRITES)
    assert f(np.zeros(3), np.ones(3)).shape == (3,)
    with pytest.raises(ValueError, match="normal"):
        f(np.zeros(3), np.ones(1))
    with pytest.raises(ValueError, match="normal"):
        f(np.zeros(3), np.ones(2))
    # With an explicit size, NumPy's broadcasting to that size applies.
    g = graft.function([a], gr.normal(a, 1.0, size=(2, 3), rng=_rng()), mode=NO_REWRITES)
    assert g(np.zeros(1)).shape == (2, 3)


@pytest.mark.parametrize(
    ("build", "dtype"),
    [
        (lambda: gr.normal(np.float32(0), np.float32(1)), "float64"),
        (lambda: gr.normal(0, 1, dtype="float32"), "float32"),
        (lambda: gr.uniform(np.int8(0), np.int8(2)), "float64"),
        (lambda: gr.poisson(2.0), "int64"),
        (lambda: gr.bernoulli(np.float32(0.5)), "int64"),
        (lambda: gr.binomial(np.int32(5), 0.5, dtype="int32"), "int32"),
        (lambda: gr.categorical([0.1, 0.9], dtype="int16"), "int16"),
        (lambda: gr.dirichlet(np.ones(2, dtype="float32")), "float64"),
        (lambda: gr.multinomial(3, [0.5, 0.5]), "int64"),
    ],
)
def test_output_dtypes(build, dtype):
    x = build()
    assert x.type.dtype == dtype
    assert _run(x).dtype == dtype


def test_float_draws_follow_floatx():
    with graft.change_flags(floatX="float32"):
        x = gr.normal(0.0, 1.0, size=(3,))
        y = gr.gamma(2.0, size=(3,))
    assert x.type.dtype == y.type.dtype == "float32"
    assert _run(x).dtype == "float32"
    assert gr.poisson(1.0).type.dtype == "int64"


def test_op_identity_and_outputs():
    assert gr.normal == gr.NormalRV()
    assert gr.normal != gr.NormalRV(inplace=True)
    assert gr.mvnormal != gr.MvNormalRV(method="eigh")
    assert hash(gr.normal) == hash(gr.NormalRV())
    x = gr.normal(0, 1, name="x")
    assert x.name == "x"
    next_rng, draw = x.owner.outputs
    assert draw is x
    assert isinstance(next_rng.type, gr.RandomGeneratorType)
    assert isinstance(x.owner.op, RandomVariable)
    outs = gr.poisson(3.0, return_list=True)
    assert len(outs) == 2 and outs[1].owner is outs[0].owner
    assert gr.t is gr.studentt and gr.nbinom is gr.negative_binomial
    rng = _rng()
    y = gr.gamma(2.0, scale=3.0, size=(2,), rng=rng)
    node = y.owner
    assert node.op.rng_param(node) is rng
    assert list(node.op.size_param(node).data) == [2]
    assert [float(p.data) for p in node.op.dist_params(node)] == [2.0, 3.0]
    assert "normal" in str(gr.normal)


def test_gt_random_namespace():
    import graft.tensor.random

    assert gt.random is graft.tensor.random
    assert gt.random.normal is gr.normal


# ---------------------------------------------------------------------------
# Bad input
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("build", "exc", "match"),
    [
        (lambda: gr.normal("a", 1.0), TypeError, r"normal: parameter 'mu'"),
        (lambda: gr.normal(0.0, np.array([1j])), TypeError, r"normal: parameter 'sigma'.*complex"),
        (
            lambda: gr.normal.make_node(None, None, 0.0, 1.0, 2.0),
            TypeError,
            r"normal: expected 2 parameters",
        ),
        (lambda: gr.beta(1.0), TypeError, r"beta: expected 2 parameters \(alpha, beta\)"),
        (lambda: gr.dirichlet(1.0), ValueError, r"dirichlet: parameter 'alphas'.*at least 1"),
        (lambda: gr.multinomial(3, 0.5), ValueError, r"multinomial: parameter 'p'"),
        (lambda: gr.categorical(gt.dscalar()), ValueError, r"categorical: parameter 'p'"),
        (lambda: gr.mvnormal(np.zeros(2), np.eye(3)), ValueError, r"multivariate_normal"),
        (lambda: gr.mvnormal(np.zeros(2), np.ones(2)), ValueError, r"parameter 'cov'"),
        (lambda: gr.normal(size=(-1,)), ValueError, r"normal: size entries must be >= 0"),
        (lambda: gr.normal(size=(2.5,)), TypeError, r"normal: size"),
        (lambda: gr.normal(size=gt.dvector()), TypeError, r"normal: size must have an integer"),
        (lambda: gr.normal(size=gt.lmatrix()), ValueError, r"normal: size must be a vector"),
        (lambda: gr.normal(size=gt.lvector()), ValueError, r"length .* known statically"),
        (lambda: gr.normal(size=(True,)), TypeError, r"normal: size"),
        (lambda: gr.normal(np.zeros(3), size=(2,)), ValueError, r"does not broadcast to size"),
        (lambda: gr.normal(np.zeros((2, 3)), size=(3,)), ValueError, r"fewer dimensions"),
        (lambda: gr.normal(np.zeros(3), np.ones(2)), ValueError, r"normal: the parameters'"),
        (lambda: gr.normal(rng=gt.dscalar()), TypeError, r"normal: rng must be a random"),
        (lambda: gr.normal(rng=5), TypeError, r"normal: rng.*default_rng\(seed\)"),
        (
            lambda: gr.normal(rng=np.random.RandomState(0)),
            TypeError,
            r"RandomState objects are not supported",
        ),
        (lambda: gr.gamma(1.0, rate=2.0, scale=0.5), ValueError, r"either rate or scale"),
        (
            lambda: gr.binomial(10.0, 0.5),
            TypeError,
            r"binomial: parameter 'n' must have an integer",
        ),
        (
            lambda: gr.betabinomial(np.uint64(3), 1.0, 1.0),
            TypeError,
            r"betabinomial: parameter 'n'",
        ),
        (
            lambda: gr.multinomial(gt.dscalar(), [0.5, 0.5]),
            TypeError,
            r"multinomial: parameter 'n'",
        ),
        (lambda: gr.gamma(1.0, rate="x"), TypeError, r"gamma: parameter 'rate'"),
        (lambda: gr.multivariate_normal([0.0], [[1.0]], method="qr"), ValueError, r"method"),
        (lambda: gr.RandomStream(0).normal(rng=_rng()), TypeError, r"do not pass rng"),
    ],
)
def test_bad_input_errors_at_build_time(build, exc, match):
    with pytest.raises(exc, match=match):
        build()


def test_random_stream_unknown_distribution():
    srng = gr.RandomStream(0)
    for name in ("no_such_distribution", "np", "NormalRV", "_gamma"):
        with pytest.raises(AttributeError):
            getattr(srng, name)


@pytest.mark.parametrize(
    ("build", "match"),
    [
        (lambda s: gr.normal(0.0, s), "scale < 0"),
        (lambda s: gr.halfnormal(0.0, s), "halfnormal: scale < 0"),
        (lambda s: gr.halfcauchy(0.0, s), "halfcauchy: beta < 0"),
        (lambda s: gr.bernoulli(1.0 - s), r"bernoulli: p must be in \[0, 1\]"),
        (lambda s: gr.categorical(gt.stack([s, 1.0 - s])), "categorical: p must be"),
    ],
)
def test_parameters_outside_the_domain_raise_when_called(build, match):
    s = gt.dscalar("s")
    f = graft.function([s], build(s), mode=NO_REWRITES)
    f(0.5)
    with pytest.raises(ValueError, match=match):
        f(-1.0)


def test_shared_rng_rejects_non_generators():
    rng = _rng()
    with pytest.raises(TypeError, match=r"numpy\.random\.Generator"):
        rng.set_value(3)
    assert isinstance(rng.type, gr.RandomGeneratorType)
    t = gr.random_generator_type
    assert t.values_eq(np.random.default_rng(3), np.random.default_rng(3))
    assert not t.values_eq(np.random.default_rng(3), np.random.default_rng(4))
    assert not t.values_eq(np.random.default_rng(3), 3)


# ---------------------------------------------------------------------------
# Gradients
# ---------------------------------------------------------------------------


def test_no_gradient_through_draws():
    mu = gt.dscalar("mu")
    x = gr.normal(mu, 1.0, size=(3,))
    with pytest.raises(NullTypeGradError, match=r"normal.*random draws have no gradient"):
        gt.grad(x.sum(), mu)
    g = gt.grad(x.sum(), mu, null_gradients="return")
    assert isinstance(g.type, NullType)
    # Only the draw has no gradient: a cost that also uses mu directly still fails (the
    # draw's contribution is undefined), while one that does not use the draw works.
    with pytest.raises(NullTypeGradError):
        gt.grad(x.sum() + mu**2, mu)
    g2 = graft.function([mu], gt.grad(mu**2, mu), mode=NO_REWRITES)
    assert g2(3.0) == 6.0


# ---------------------------------------------------------------------------
# Rewrites: no merging of independent draws, no folding
# ---------------------------------------------------------------------------


def _rv_nodes(f):
    return [n for n in f.maker.fgraph.apply_nodes if isinstance(n.op, RandomVariable)]


@pytest.mark.parametrize("mode", MODES)
def test_independent_draws_stay_distinct(mode):
    a = gr.normal(0.0, 1.0, size=(5,))
    b = gr.normal(0.0, 1.0, size=(5,))
    srng = gr.RandomStream(3)
    c, d = srng.normal(0.0, 1.0, size=(5,)), srng.normal(0.0, 1.0, size=(5,))
    f = graft.function([], [a, b, c, d, a - a], mode=mode)
    va, vb, vc, vd, zero = f()
    assert len(_rv_nodes(f)) == 4
    assert not np.allclose(va, vb)
    assert not np.allclose(vc, vd)
    np.testing.assert_array_equal(zero, np.zeros(5))


@pytest.mark.parametrize("mode", MODES)
def test_constant_draws_are_not_folded(mode):
    gen = np.random.default_rng(11)
    state = gen.bit_generator.state
    x = gr.normal(np.float64(2.0), np.float64(3.0), size=(4,), rng=gen)  # every input constant
    f = graft.function([], x, mode=mode)
    assert len(_rv_nodes(f)) == 1
    v1, v2 = f(), f()
    # A constant rng is copied before each draw: the same draw each call, and the
    # Generator given is never advanced.
    np.testing.assert_array_equal(v1, v2)
    np.testing.assert_array_equal(v1, np.random.default_rng(11).normal(2.0, 3.0, 4))
    assert gen.bit_generator.state == state


@pytest.mark.parametrize("mode", MODES)
def test_draws_of_one_rng_state_merge_and_agree(mode):
    # Two nodes reading the same rng, size and parameters give the same draw: merging
    # them is exact.
    rng = _rng(5)
    a = gr.normal(0.0, 1.0, size=(3,), rng=rng)
    b = gr.normal(0.0, 1.0, size=(3,), rng=rng)
    va, vb = graft.function([], [a, b], mode=mode)()
    np.testing.assert_array_equal(va, vb)


@pytest.mark.parametrize("mode", MODES)
def test_shape_of_a_draw_does_not_need_a_new_draw(mode):
    n = gt.lscalar("n")
    x = gr.normal(0.0, 1.0, size=(n, 2))
    f = graft.function([n], [x.shape, x], mode=mode)
    shp, v = f(3)
    np.testing.assert_array_equal(shp, [3, 2])
    assert v.shape == (3, 2)
