"""MakeVector, join/concatenate/stack, split, arange, eye, tile/repeat — against NumPy."""

from __future__ import annotations

from functools import partial

import helpers
import numpy as np
import pytest
from helpers import HSET, check_infer_shape, check_static, ev, evaluate, sym
from hypothesis import given
from hypothesis import strategies as st

import graft.tensor as gt
from graft.tensor.basic import (
    ARange,
    Eye,
    MakeVector,
    arange,
    as_tensor_variable,
    eye,
    make_vector,
)
from graft.tensor.join import (
    Join,
    Split,
    concatenate,
    join,
    repeat,
    split,
    stack,
    tile,
)

RNG = np.random.default_rng(7)

# Shared checks (helpers.py). Some outputs here are an input returned as is (no node to
# check ``infer_shape`` on); the gradient check draws its weights from this module's RNG.
check_all = partial(helpers.check_all, allow_no_node=True)
check_grad = partial(helpers.check_grad, rng=RNG)


def values_of(shape, dtype, offset=0):
    a = np.arange(offset, offset + int(np.prod(shape))).reshape(shape)
    if dtype == "bool":
        return np.asarray(a % 2 == 0)
    return np.asarray(a % 100).astype(dtype)


# ---------------------------------------------------------------------------
# MakeVector
# ---------------------------------------------------------------------------


def test_make_vector_values_dtypes_and_shape():
    a, b = gt.dscalar("a"), gt.iscalar("b")
    v = make_vector(a, b, 2)
    assert isinstance(v.owner.op, MakeVector) and v.type.dtype == "float64"
    assert v.type.shape == (3,)
    check_all(v, {a: np.float64(1.5), b: np.int32(-3)}, np.array([1.5, -3.0, 2.0]))
    i8 = gt.bscalar("i8")
    w = make_vector(i8, 3)  # a Python int adapts to the symbolic dtype
    assert w.type.dtype == "int8"
    check_all(w, {i8: np.int8(4)}, np.array([4, 3], dtype="int8"))
    assert make_vector(i8, 1000).type.dtype == "int64"  # does not fit int8: default dtype
    assert make_vector().type.shape == (0,) and make_vector().type.dtype == "int64"
    check_all(make_vector(), {}, np.zeros(0, "int64"))
    f = gt.fscalar("f")
    assert make_vector(f, 0.5).type.dtype == "float32"
    assert MakeVector("int64") == MakeVector("int64")
    assert MakeVector("int64") != MakeVector("int32")


def test_make_vector_errors():
    with pytest.raises(TypeError, match="must be 0-d"):
        MakeVector("float64")(gt.dvector("v"))
    with pytest.raises(TypeError, match="does not fit int8"):
        MakeVector("int8")(gt.lscalar("l"))
    with pytest.raises(TypeError, match="does not fit int64"):
        MakeVector("int64")(gt.dscalar("d"))
    MakeVector("int8")(gt.constant(5))  # a constant that fits is fine


def test_make_vector_gradient():
    check_grad(lambda a, b: make_vector(a, b) * make_vector(b, a), [1.5, -0.25])
    from graft.gradient import grad

    i = gt.lscalar("i")
    d = gt.dscalar("d")
    gi, gd = grad(make_vector(i, d).sum(), [i, d], disconnected_inputs="ignore")
    assert float(ev(gd, {i: np.int64(1), d: 2.0})) == 1.0
    assert float(ev(gi, {i: np.int64(1), d: 2.0})) == 0.0


def test_as_tensor_variable_of_lists_builds_vectors_and_stacks():
    a, b = gt.dscalar("a"), gt.dscalar("b")
    v = as_tensor_variable([a, 1.0, b])
    assert isinstance(v.owner.op, MakeVector)
    check_all(v, {a: 2.0, b: 3.0}, [2.0, 1.0, 3.0])
    m = as_tensor_variable([[a, 1.0], [2.0, b]])
    assert m.type.shape == (2, 2)
    check_all(m, {a: 2.0, b: 3.0}, [[2.0, 1.0], [2.0, 3.0]])


# ---------------------------------------------------------------------------
# Join / concatenate / stack
# ---------------------------------------------------------------------------

JOIN_CASES = [
    ([(2, 3), (4, 3)], 0),
    ([(2, 3), (2, 1), (2, 0)], 1),
    ([(2, 3), (2, 5)], -1),
    ([(0, 3), (1, 3)], 0),
    ([(3,), (2,), (1,)], 0),
    ([(2, 1, 4), (2, 3, 4)], 1),
]


@pytest.mark.parametrize("dtype", ["float64", "float32", "int64", "int8", "bool"])
@pytest.mark.parametrize("shapes, axis", JOIN_CASES)
def test_concatenate_matches_numpy(shapes, axis, dtype):
    vals = [values_of(s, dtype, 10 * k) for k, s in enumerate(shapes)]
    expected = np.concatenate(vals, axis=axis)
    for static in (False, True):
        xs = [sym(v, static) for v in vals]
        out = concatenate(xs, axis=axis)
        assert isinstance(out.owner.op, Join)
        got = check_all(out, dict(zip(xs, vals)), expected)
        if static:
            assert out.type.shape == got.shape
        check_all(join(axis, *xs), dict(zip(xs, vals)), expected)


def test_join_promotes_dtypes_like_numpy():
    a, b = gt.bvector("a"), gt.fvector("b")
    out = concatenate([a, b])
    av, bv = np.array([1, 2], "int8"), np.array([0.5], "float32")
    assert out.type.dtype == np.concatenate([av, bv]).dtype.name
    check_all(out, {a: av, b: bv}, np.concatenate([av, bv]))
    c = gt.lvector("c")
    assert concatenate([c, b]).type.dtype == "float64"


def test_join_static_shapes_and_errors():
    x = gt.tensor(dtype="float64", shape=(2, None))
    y = gt.tensor(dtype="float64", shape=(None, 3))
    assert concatenate([x, y], axis=0).type.shape == (None, 3)
    assert concatenate([x, x], axis=0).type.shape == (4, None)
    assert concatenate([x, y], axis=1).type.shape == (2, None)
    assert join(0, x) is x
    z = gt.tensor(dtype="float64", shape=(5, 4))
    with pytest.raises(ValueError, match=r"Join\{axis=0\}.*\(5, 4\).*dimension 1"):
        concatenate([y, z], axis=0)
    with pytest.raises(ValueError, match="same number of dimensions"):
        concatenate([x, gt.dvector()])
    with pytest.raises(ValueError, match="zero-dimensional"):
        concatenate([gt.dscalar(), gt.dscalar()])
    with pytest.raises(ValueError, match="axis 2 is out of bounds"):
        concatenate([x, x], axis=2)
    with pytest.raises(TypeError, match="constant integer"):
        join(gt.lscalar("ax"), x, x)
    with pytest.raises(TypeError, match="list of tensors"):
        concatenate(x)
    a, b = gt.dmatrix("a"), gt.dmatrix("b")
    with pytest.raises(ValueError, match=r"Join\{axis=0\}.*input shapes \(2, 3\), \(2, 4\)"):
        ev(concatenate([a, b]), {a: np.zeros((2, 3)), b: np.zeros((2, 4))})


@pytest.mark.parametrize("axis", [0, 1, -1, 2])
def test_stack_matches_numpy(axis):
    vals = [values_of((2, 3), "float32", k) for k in range(3)]
    xs = [sym(v) for v in vals]
    check_all(stack(xs, axis=axis), dict(zip(xs, vals)), np.stack(vals, axis=axis))


def test_stack_scalars_and_errors():
    a, b = gt.lscalar("a"), gt.lscalar("b")
    v = stack([a, b])
    assert isinstance(v.owner.op, MakeVector)
    check_all(v, {a: np.int64(1), b: np.int64(2)}, [1, 2])
    with pytest.raises(ValueError, match="same shape"):
        stack([gt.dvector(), gt.dmatrix()])
    with pytest.raises(ValueError, match="axis 3 is out of bounds"):
        stack([gt.dvector(), gt.dvector()], axis=3)
    with pytest.raises(ValueError, match="at least one"):
        stack([])


@pytest.mark.parametrize("axis", [0, 1])
def test_join_and_stack_gradients(axis):
    a, b = RNG.standard_normal((2, 3)), RNG.standard_normal((2, 3))
    check_grad(lambda x, y: concatenate([x, y, x], axis=axis) ** 2, [a, b])
    check_grad(lambda x, y: stack([x, y], axis=axis) ** 2, [a, b])


@HSET
@given(
    st.lists(st.integers(0, 3), min_size=1, max_size=3),
    st.lists(st.integers(0, 3), min_size=1, max_size=4),
    st.data(),
)
def test_join_property(base, sizes, data):
    axis = data.draw(st.integers(0, len(base) - 1))
    shapes = [tuple(n if d == axis else s for d, s in enumerate(base)) for n in sizes]
    vals = [values_of(s, "int64", 7 * k) for k, s in enumerate(shapes)]
    xs = [sym(v) for v in vals]
    check_all(concatenate(xs, axis=axis), dict(zip(xs, vals)), np.concatenate(vals, axis))


# ---------------------------------------------------------------------------
# Split
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", ["float64", "int8", "bool"])
@pytest.mark.parametrize(
    "shape, sizes, axis",
    [((5,), [2, 3], 0), ((4, 3), [1, 0, 3], 0), ((2, 6), [6], 1), ((2, 6), [1, 2, 3], -1)],
)
def test_split_matches_numpy(shape, sizes, axis, dtype):
    xv = values_of(shape, dtype)
    expected = np.split(xv, np.cumsum(sizes)[:-1], axis=axis)
    x = sym(xv)
    sv = np.asarray(sizes, dtype="int64")
    s = gt.lvector("s")
    for splits, g in [(sizes, {x: xv}), (s, {x: xv, s: sv})]:
        outs = split(x, splits, len(sizes), axis=axis)
        assert len(outs) == len(sizes)
        got = evaluate(outs, g)
        for o, gv, e in zip(outs, got, expected):
            np.testing.assert_array_equal(gv, e)
            assert gv.dtype == e.dtype
            check_static(o, gv)
        check_infer_shape(outs[0], g)
        if splits is sizes:
            ax = axis % len(shape)
            assert [o.type.shape[ax] for o in outs] == sizes
    assert Split(2, 0).view_map == {0: [0], 1: [0]}


def test_split_errors():
    x = gt.tensor(dtype="float64", shape=(5, None))
    with pytest.raises(ValueError, match=r"Split\{2, axis=0\}.*sum to 4.*size 5"):
        split(x, [1, 3], 2)
    with pytest.raises(ValueError, match="non-negative"):
        split(x, [-1, 6], 2)
    with pytest.raises(ValueError, match="3 split sizes given for 2 splits"):
        split(x, [1, 2, 2], 2)
    with pytest.raises(TypeError, match="integer vector"):
        split(x, gt.dvector(), 2)
    y = gt.dvector("y")
    s = gt.lvector("s")
    outs = split(y, s, 2)
    with pytest.raises(ValueError, match=r"Split\{2, axis=0\}.*sum to the size 4"):
        evaluate(outs, {y: np.zeros(4), s: np.array([1, 2])})


def test_split_gradient_with_unused_pieces():
    xv = RNG.standard_normal((5, 2))
    check_grad(lambda x: split(x, [2, 3], 2)[1] ** 2, [xv])
    check_grad(lambda x: split(x, [2, 1, 2], 3, axis=0)[0] * split(x, [2, 1, 2], 3)[2], [xv])


# ---------------------------------------------------------------------------
# ARange
# ---------------------------------------------------------------------------

ARANGE_CASES = [
    (5,),
    (0,),
    (-3,),
    (2, 9),
    (2, 9, 3),
    (9, 2, -2),
    (9, 2, 2),
    (0.0, 1.0, 0.25),
    (1, 2.5),
    (-1.5, -4.0, -0.7),
    (np.int32(3), np.int32(8)),
    (np.uint8(1), np.uint8(4)),
    (np.float32(0.5), 3),
]


@pytest.mark.parametrize("args", ARANGE_CASES)
def test_arange_matches_numpy(args):
    expected = np.arange(*args)
    out = arange(*args)
    got = check_all(out, {}, expected)
    assert out.type.shape == got.shape  # constant arguments: static length
    # The same with symbolic arguments of the same dtypes.
    full = list(args) + [None] * (3 - len(args))
    if len(args) == 1:
        full = [0, args[0], 1]
    elif len(args) == 2:
        full = [args[0], args[1], 1]
    vals = [np.asarray(a) for a in full]
    syms = [gt.tensor(dtype=v.dtype, shape=()) for v in vals]
    sym_expected = np.arange(*[v[()] for v in vals])
    out = arange(*syms)
    assert out.type.shape == (None,)
    check_all(out, dict(zip(syms, vals)), sym_expected)


def test_arange_dtype_argument_and_errors():
    check_all(arange(5, dtype="float32"), {}, np.arange(5, dtype="float32"))
    check_all(arange(1, 3, 0.5, dtype="float64"), {}, np.arange(1, 3, 0.5))
    with pytest.raises(ValueError, match="step must not be zero"):
        arange(0, 5, 0)
    s = gt.lscalar("s")
    out = arange(0, 5, s)
    with pytest.raises(ValueError, match="step must not be zero"):
        ev(out, {s: np.int64(0)})
    with pytest.raises(TypeError, match="must be a scalar"):
        arange(gt.lvector())
    with pytest.raises(TypeError, match="real number"):
        arange(gt.constant(True))
    assert ARange("int64") == ARange("int64")


@HSET
@given(
    st.integers(-20, 20),
    st.integers(-20, 20),
    st.integers(-5, 5).filter(bool),
    st.booleans(),
)
def test_arange_symbolic_length_property(start, stop, step, as_float):
    args = [float(v) / 2 if as_float else v for v in (start, stop, step)]
    expected = np.arange(*args)
    syms = [gt.dscalar() if as_float else gt.lscalar() for _ in args]
    g = {s: np.asarray(v, dtype=s.type.dtype) for s, v in zip(syms, args)}
    out = arange(*syms)
    check_all(out, g, expected)
    assert arange(*args).type.shape == expected.shape


def test_arange_gradient():
    from graft.gradient import grad

    start, step = gt.dscalar("start"), gt.dscalar("step")
    out = arange(start, 5.0, step)
    w = np.arange(1.0, 100.0)
    n = gt.constant(5)
    cost = (out * gt.constant(w)[: out.shape[0]]).sum()
    del n
    g_start, g_step = grad(cost, [start, step])
    vals = {start: np.float64(0.5), step: np.float64(1.5)}
    length = len(np.arange(0.5, 5.0, 1.5))
    assert float(ev(g_start, vals)) == pytest.approx(w[:length].sum())
    assert float(ev(g_step, vals)) == pytest.approx((w[:length] * np.arange(length)).sum())


# ---------------------------------------------------------------------------
# Eye, tile, repeat
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "n, m, k", [(3, None, 0), (2, 4, 1), (4, 2, -1), (3, 3, 5), (0, 2, 0), (3, 3, -3)]
)
@pytest.mark.parametrize("dtype", ["float64", "int8", "bool"])
def test_eye_matches_numpy(n, m, k, dtype):
    expected = np.eye(n, m, k, dtype=dtype)
    out = eye(n, m, k, dtype=dtype)
    got = check_all(out, {}, expected)
    assert out.type.shape == got.shape
    sn, sm, sk = gt.lscalar(), gt.iscalar(), gt.lscalar()
    g = {sn: np.int64(n), sm: np.int32(n if m is None else m), sk: np.int64(k)}
    check_all(eye(sn, sm, sk, dtype=dtype), g, expected)


def test_eye_defaults_and_errors():
    assert eye(2).type.dtype == "float64"
    assert Eye("float32") == Eye("float32")
    with pytest.raises(TypeError, match="integer scalar"):
        eye(2.5)
    with pytest.raises(ValueError, match="non-negative"):
        eye(-1)


@pytest.mark.parametrize(
    "shape, reps",
    [
        ((3,), (2,)),
        ((2, 3), (2, 1)),
        ((2, 3), (3,)),
        ((3,), (2, 2)),
        ((2,), (0,)),
        ((3,), 1),
        ((2, 3), 2),
        ((3,), np.int64(3)),
        ((), 3),
    ],
)
def test_tile_matches_numpy(shape, reps):
    xv = values_of(shape, "float64")
    x = sym(xv)
    check_all(tile(x, reps), {x: xv}, np.tile(xv, reps))


def test_tile_rejects_symbolic_or_non_integer_reps():
    x = sym(values_of((3,), "float64"))
    with pytest.raises(TypeError, match="symbolic"):
        tile(x, gt.iscalar("r"))
    with pytest.raises(TypeError, match=r"integers, got 1\.5"):
        tile(x, (1.5,))
    with pytest.raises(ValueError, match="non-negative"):
        tile(x, -1)


@pytest.mark.parametrize(
    "shape, r, axis",
    [((3,), 2, None), ((2, 3), 3, 0), ((2, 3), 2, 1), ((2, 3), 2, None), ((2,), 0, 0)],
)
def test_repeat_matches_numpy(shape, r, axis):
    xv = values_of(shape, "int64")
    x = sym(xv)
    check_all(repeat(x, r, axis), {x: xv}, np.repeat(xv, r, axis))


def test_compiled_join_split_and_grad():
    import graft

    function = getattr(graft, "function", None)
    if function is None:
        try:
            from graft.compile import function
        except ImportError:
            pytest.skip("graft.function is not available")
    from graft.gradient import grad

    x = gt.dmatrix("x")
    a, b = split(x, [1, 2], 2)
    y = concatenate([b, a * 2.0], axis=0)
    f = function([x], [y, grad((y**2).sum(), x)])
    xv = RNG.standard_normal((3, 2))
    yv, gv = f(xv)
    np.testing.assert_allclose(yv, np.concatenate([xv[1:], xv[:1] * 2]))
    np.testing.assert_allclose(gv, np.concatenate([8 * xv[:1], 2 * xv[1:]]))
