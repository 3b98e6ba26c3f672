"""ElemwiseReduce (graft.tensor.fused_reduce): a reduction fused with its elementwise map.

The fused node must be indistinguishable from ``CAReduce(Elemwise(map_op)(...))``:
same output type, same values bit for bit (NaN, inf, overflow, empty arrays),
same errors; plus its own shape, gradient, pickling and merging.
"""

from __future__ import annotations

import gc
import pickle
import warnings

import numpy as np
import pytest

import graft.scalar as ps
import graft.tensor as gt
from graft.compile import Mode, function
from graft.gradient import grad
from graft.graph.fg import FunctionGraph
from graft.graph.rewriting.basic import MergeOptimizer
from graft.scalar import Composite
from graft.tensor.elemwise import CAReduce, Elemwise
from graft.tensor.fused_reduce import REDUCE_OPS, ElemwiseReduce
from graft.testing import verify_grad

NO_REWRITES = Mode(optimizer=None)
REDUCERS = {
    "add": ps.add,
    "mul": ps.mul,
    "maximum": ps.maximum,
    "minimum": ps.minimum,
    "and_": ps.and_,
    "or_": ps.or_,
}

NUMPY_REDUCE = {
    "add": np.sum,
    "mul": np.prod,
    "maximum": np.max,
    "minimum": np.min,
    "and_": np.all,
    "or_": np.any,
}


def composite(build, dtypes):
    """A Composite over fresh scalar inputs of ``dtypes``: ``build(*inputs)`` is its output."""
    ins = [ps.get_scalar_type(d)() for d in dtypes]
    return Composite(ins, [build(*ins)])


def run(inputs, outputs, *values):
    """Evaluate without rewrites (errors from NumPy's reductions propagate)."""
    f = function(list(inputs), list(outputs), mode=NO_REWRITES, on_unused_input="ignore")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return f(*values)


def fused_and_unfused(map_op, reduce_op, axis, dtype, inputs):
    fused = ElemwiseReduce(map_op, reduce_op, axis, dtype)(*inputs)
    unfused = CAReduce(reduce_op, axis, dtype)(Elemwise(map_op)(*inputs))
    return fused, unfused


def assert_same(got, want):
    got, want = np.asarray(got), np.asarray(want)
    assert got.dtype == want.dtype, (got.dtype, want.dtype)
    assert got.shape == want.shape, (got.shape, want.shape)
    np.testing.assert_array_equal(got, want)  # NaNs compare equal here


def check_against_unfused(map_op, reduce_op, axis, dtype, types, values):
    """Type, value and (when the unfused graph raises) error of the fused node match."""
    ins = [t() for t in types]
    fused, unfused = fused_and_unfused(map_op, reduce_op, axis, dtype, ins)
    assert fused.type == unfused.type
    try:
        want = run(ins, [unfused], *values)[0]
    except ValueError:
        with pytest.raises(ValueError):
            run(ins, [fused], *values)
        return None
    got = run(ins, [fused], *values)[0]
    assert_same(got, want)
    return got


# ---------------------------------------------------------------------------
# Values against NumPy and against the unfused graph
# ---------------------------------------------------------------------------

F_EDGE = [0.0, -0.0, 1.0, -2.5, 1e308, -1e308, np.inf, -np.inf, np.nan, 3.0, 1e-310, 7.5]
I_EDGE = [0, 1, -1, 2, -3, 127, -128, 100, -100, 5, 64, -7]


def edge_matrix(dtype, rows=3, cols=4, seed=0):
    rng = np.random.default_rng(seed)
    kind = np.dtype(dtype).kind
    if kind == "b":
        return rng.random((rows, cols)) < 0.5
    pool = F_EDGE if kind == "f" else I_EDGE
    vals = np.array(pool, dtype="float64")[rng.integers(len(pool), size=(rows, cols))]
    with np.errstate(all="ignore"):
        return vals.astype(dtype)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_sum_of_exp_times_y_matches_numpy(dtype):
    x, y = gt.matrix("x", dtype=dtype), gt.row("y", dtype=dtype)
    comp = composite(lambda a, b: ps.mul(ps.exp(a), b), [dtype, dtype])
    rng = np.random.default_rng(1)
    xv, yv = rng.normal(size=(5, 7)).astype(dtype), rng.normal(size=(1, 7)).astype(dtype)
    for axis in (None, 0, 1, -1, (0, 1)):
        out = ElemwiseReduce(comp, ps.add, axis)(x, y)
        got = run([x, y], [out], xv, yv)[0]
        want = np.sum(np.exp(xv) * yv, axis=axis)
        assert got.dtype == want.dtype == dtype
        np.testing.assert_allclose(got, want, rtol=1e-5 if dtype == "float32" else 1e-12)


@pytest.mark.parametrize("reducer", sorted(REDUCERS))
@pytest.mark.parametrize("dtype", ["float64", "float32", "int64", "int8", "bool"])
@pytest.mark.parametrize("axis", [None, 0, 1, -1, (0, 1), ()])
def test_every_reducer_dtype_and_axis_equals_unfused(reducer, dtype, axis):
    if dtype == "bool":
        map_op = ps.xor
        types = [gt.TensorType("bool", (None, None)), gt.TensorType("bool", (1, None))]
    elif dtype.startswith("float"):
        map_op = composite(lambda a, b: ps.sub(ps.mul(a, b), ps.abs(a)), [dtype, dtype])
        types = [gt.TensorType(dtype, (None, None)), gt.TensorType(dtype, (1, None))]
    else:
        # int8 * int8 wraps; the sum of int8 accumulates in int64.
        map_op = composite(lambda a, b: ps.add(ps.mul(a, b), a), [dtype, dtype])
        types = [gt.TensorType(dtype, (None, None)), gt.TensorType(dtype, (1, None))]
    values = [edge_matrix(dtype, 3, 4, seed=2), edge_matrix(dtype, 1, 4, seed=3)]
    got = check_against_unfused(map_op, REDUCERS[reducer], axis, None, types, values)
    # And NumPy itself: the map in the inputs' dtype, then NumPy's reduction.
    a, b = values
    with np.errstate(all="ignore"):
        if dtype == "bool":
            mapped = a ^ b
        elif dtype.startswith("float"):
            mapped = a * b - np.abs(a)
        else:
            mapped = a * b + a
        want = NUMPY_REDUCE[reducer](mapped, axis=axis)
    assert_same(got, want)


@pytest.mark.parametrize("reducer", sorted(REDUCERS))
@pytest.mark.parametrize(
    "shape,axis", [((0,), None), ((0,), 0), ((2, 0), 1), ((2, 0), 0), ((0, 3), None)]
)
def test_empty_inputs_behave_like_unfused(reducer, shape, axis):
    # Sums give 0, products 1, all True, any False; max/min of nothing raise.
    x = gt.TensorType("float64", (None,) * len(shape))
    got = check_against_unfused(ps.exp, REDUCERS[reducer], axis, None, [x], [np.zeros(shape)])
    if reducer in ("maximum", "minimum") and (axis is None or shape[axis] == 0):
        assert got is None  # raised, as the unfused graph does


@pytest.mark.parametrize("reducer", sorted(REDUCERS))
def test_zero_dimensional_inputs(reducer):
    x, y = gt.dscalar("x"), gt.dscalar("y")
    for axis in (None, ()):
        fused, unfused = fused_and_unfused(ps.add, REDUCERS[reducer], axis, None, [x, y])
        assert fused.type == unfused.type and fused.type.ndim == 0
        got, want = run([x, y], [fused, unfused], np.array(2.0), np.array(-0.5))
        assert_same(got, want)


def test_nan_and_inf_propagate_like_numpy():
    x = gt.dvector("x")
    xv = np.array([1.0, np.nan, 3.0, np.inf, -np.inf])
    for reducer, fn in [("add", np.sum), ("mul", np.prod), ("maximum", np.max)]:
        out = ElemwiseReduce(ps.neg, REDUCERS[reducer])(x)
        with np.errstate(all="ignore"):
            assert_same(run([x], [out], xv)[0], fn(-xv))
    big = np.array([1e308, 1e308])
    assert run([x], [ElemwiseReduce(ps.abs, ps.add)(x)], big)[0] == np.inf


def test_broadcast_inputs_of_lower_rank_and_static_ones():
    m, v, c = gt.dmatrix("m"), gt.dvector("v"), gt.dcol("c")
    comp = composite(lambda a, b, d: ps.add(ps.mul(a, b), d), ["float64"] * 3)
    fused, unfused = fused_and_unfused(comp, ps.add, 0, None, [m, v, c])
    assert fused.type == unfused.type
    assert fused.owner.inputs[1].type.ndim == 2  # padded like Elemwise pads
    vals = [np.arange(6.0).reshape(2, 3), np.array([1.0, -1.0, 2.0]), np.array([[0.5], [2.0]])]
    got, want = run([m, v, c], [fused, unfused], *vals)
    assert_same(got, want)
    np.testing.assert_allclose(got, np.sum(vals[0] * vals[1] + vals[2], axis=0))
    # Python numbers take the tensor's dtype (NEP 50), as in Elemwise.
    f32 = gt.fvector("f")
    assert ElemwiseReduce(ps.mul, ps.add)(f32, 2.0).dtype == "float32"


def test_a_dimension_not_known_to_be_one_does_not_broadcast():
    x, y = gt.dmatrix("x"), gt.dmatrix("y")
    out = ElemwiseReduce(ps.mul, ps.add)(x, y)
    f = function([x, y], out, mode=NO_REWRITES)
    with pytest.raises(ValueError, match="ElemwiseReduce"):
        f(np.ones((2, 3)), np.ones((1, 3)))


# ---------------------------------------------------------------------------
# Types
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "in_dtype,reducer,dtype,want",
    [
        ("int8", "add", None, "int64"),
        ("int8", "mul", None, "int64"),
        ("uint8", "add", None, "uint64"),
        ("bool", "add", None, "int64"),
        ("int8", "maximum", None, "int8"),
        ("float32", "add", None, "float32"),
        ("float64", "add", "float32", "float32"),
        ("int16", "add", "int16", "int16"),
        ("float64", "and_", None, "bool"),
        ("int64", "or_", None, "bool"),
    ],
)
def test_output_dtype_is_careduce_dtype(in_dtype, reducer, dtype, want):
    x = gt.vector("x", dtype=in_dtype)
    fused, unfused = fused_and_unfused(ps.identity, REDUCERS[reducer], None, dtype, [x])
    assert fused.dtype == unfused.dtype == want
    xv = (np.arange(1, 40) % 7).astype(in_dtype)
    assert_same(*run([x], [fused, unfused], xv))


def test_map_dtype_then_reduce_dtype():
    # int8 > int8 is bool; the sum of bools is int64; an explicit dtype wins.
    x, y = gt.vector("x", dtype="int8"), gt.vector("y", dtype="int8")
    for dtype, want in [(None, "int64"), ("int32", "int32"), ("float64", "float64")]:
        fused, unfused = fused_and_unfused(ps.gt, ps.add, None, dtype, [x, y])
        assert fused.dtype == unfused.dtype == want
        vals = np.array([1, -5, 127], "int8"), np.array([0, -5, -128], "int8")
        assert_same(*run([x, y], [fused, unfused], *vals))


def test_static_shape_is_the_unfused_one():
    x = gt.TensorType("float64", (2, None, 5))("x")
    y = gt.TensorType("float64", (1, 3, 1))("y")
    for axis in (None, 0, 1, (0, 2), -1):
        fused, unfused = fused_and_unfused(ps.add, ps.maximum, axis, None, [x, y])
        assert fused.type == unfused.type, axis


def test_negative_axes_are_normalised_in_the_node():
    x = gt.dtensor3("x")
    op = ElemwiseReduce(ps.exp, ps.add, (-1, 0))
    assert op.axis == (-1, 0)
    node = op(x).owner
    assert node.op.axis == (0, 2)
    assert node.op == ElemwiseReduce(ps.exp, ps.add, (2, 0))


# ---------------------------------------------------------------------------
# Errors
# ---------------------------------------------------------------------------


def test_bad_axis_is_an_error_naming_the_op():
    x, y = gt.dmatrix("x"), gt.dvector("y")
    for axis in (2, -3, (0, 5)):
        with pytest.raises(ValueError, match=r"ElemwiseReduce .*axis .* out of range for the 2-d"):
            ElemwiseReduce(ps.add, ps.add, axis)(x, y)
        # The same error class as the unfused graph.
        with pytest.raises(ValueError, match="out of range"):
            CAReduce(ps.add, axis)(Elemwise(ps.add)(x, y))
    with pytest.raises(ValueError, match="out of range for the 0-d"):
        ElemwiseReduce(ps.exp, ps.add, 0)(gt.dscalar("s"))


def test_bad_ops_and_inputs_are_errors():
    x = gt.dvector("x")
    with pytest.raises(TypeError, match="reduce_op must be one of"):
        ElemwiseReduce(ps.exp, ps.sub)
    with pytest.raises(TypeError, match="map_op must be a ScalarOp"):
        ElemwiseReduce(gt.exp, ps.add)  # the Elemwise, not its scalar op
    a = ps.float64()
    two = Composite([a], [ps.exp(a), ps.neg(a)])
    with pytest.raises(TypeError, match="2 outputs"):
        ElemwiseReduce(two, ps.add)
    with pytest.raises(TypeError, match=r"ElemwiseReduce .*needs at least one input"):
        ElemwiseReduce(ps.add, ps.add)()
    with pytest.raises(TypeError, match="ElemwiseReduce"):
        ElemwiseReduce(ps.exp, ps.add)(x, x)  # exp takes one input
    with pytest.raises(ValueError, match=r"ElemwiseReduce .*cannot be broadcast"):
        ElemwiseReduce(ps.add, ps.add)(
            gt.TensorType("float64", (3,))(), gt.TensorType("float64", (4,))()
        )


# ---------------------------------------------------------------------------
# Shape, gradient, unfused form
# ---------------------------------------------------------------------------


def test_infer_shape_matches_computed_shapes():
    x = gt.TensorType("float64", (None, None, 4))("x")
    y = gt.TensorType("float64", (1, None, 1))("y")
    xv, yv = np.ones((2, 3, 4)), np.ones((1, 3, 1))
    for axis in (None, 0, 1, 2, (0, 2), ()):
        out = ElemwiseReduce(ps.mul, ps.add, axis)(x, y)
        node = out.owner
        (shape,) = node.op.infer_shape(None, node, [xv.shape, yv.shape])
        got = run([x, y], [out], xv, yv)[0]
        assert tuple(int(s) for s in shape) == got.shape, axis
        # Symbolic input shapes too.
        (sym,) = node.op.infer_shape(
            None, node, [tuple(x.shape[i] for i in range(3)), tuple(y.shape[i] for i in range(3))]
        )
        vals = run([x, y], [gt.as_tensor_variable(s) for s in sym], xv, yv) if sym else []
        assert tuple(int(v) for v in vals) == got.shape, axis


@pytest.mark.parametrize("reducer", ["add", "mul", "maximum", "minimum"])
def test_gradient_matches_finite_differences(reducer):
    comp = composite(
        lambda a, b: ps.mul(ps.sin(a), ps.add(b, ps.constant(1.5, "float64"))),
        ["float64", "float64"],
    )
    rng = np.random.default_rng(4)
    xv, yv = rng.uniform(0.2, 1.4, size=(3, 4)), rng.uniform(-1.0, 1.0, size=(1, 4))
    for axis in (None, 1, (0,)):
        verify_grad(
            lambda a, b, axis=axis: ElemwiseReduce(comp, REDUCERS[reducer], axis)(a, b),
            [xv, yv],
            rng=np.random.default_rng(0),
        )


def test_gradient_equals_unfused_gradient_and_handles_repeated_inputs():
    x = gt.dvector("x")
    fused = ElemwiseReduce(ps.mul, ps.add)(x, x)  # sum(x * x)
    unfused = gt.sum(x * x)
    gf, gu = grad(fused, x), grad(unfused, x)
    xv = np.array([0.5, -2.0, 3.0])
    got, want = run([x], [gf, gu], xv)
    np.testing.assert_allclose(got, 2 * xv)
    np.testing.assert_allclose(got, want)


def test_integer_and_comparison_maps_have_zero_gradients():
    x, y = gt.dvector("x"), gt.dvector("y")
    out = ElemwiseReduce(ps.gt, ps.add, dtype="float64")(x, y)  # count of x > y
    gx = grad(out, x)
    np.testing.assert_array_equal(run([x, y], [gx], np.ones(3), np.zeros(3))[0], np.zeros(3))


def test_unfused_rebuilds_the_two_nodes():
    x, y = gt.dmatrix("x"), gt.drow("y")
    comp = composite(lambda a, b: ps.true_div(a, b), ["float64", "float64"])
    op = ElemwiseReduce(comp, ps.minimum, 1)
    out = op(x, y)
    two = op.unfused(*out.owner.inputs)
    assert isinstance(two.owner.op, CAReduce)
    assert isinstance(two.owner.inputs[0].owner.op, Elemwise)
    assert two.type == out.type
    vals = np.arange(1.0, 7.0).reshape(2, 3), np.array([[2.0, -1.0, 4.0]])
    assert_same(*run([x, y], [out, two], *vals))


# ---------------------------------------------------------------------------
# Identity: props, printing, pickling, merging
# ---------------------------------------------------------------------------


def test_props_and_str():
    comp = composite(lambda a, b: ps.mul(ps.exp(a), b), ["float64", "float64"])
    op = ElemwiseReduce(comp, ps.add, 0)
    assert op.__props__ == ("map_op", "reduce_op", "axis", "dtype")
    assert (op.map_op, op.reduce_op, op.axis, op.dtype) == (comp, ps.add, (0,), None)
    assert str(op) == "Sum{axis=[0]}{Composite{mul(exp(i0), i1)}}"
    assert str(ElemwiseReduce(ps.gt, ps.or_)) == "Any{gt}"
    assert ElemwiseReduce(ps.exp, ps.add, dtype=np.float32).dtype == "float32"
    assert ElemwiseReduce(ps.exp, ps.add, [1, 0]) == ElemwiseReduce(ps.exp, ps.add, (0, 1))
    assert ElemwiseReduce(ps.exp, ps.add) != ElemwiseReduce(ps.exp, ps.mul)
    assert ElemwiseReduce(ps.exp, ps.add) != ElemwiseReduce(ps.exp, ps.add, dtype="float32")
    assert {"add", "mul", "maximum", "minimum", "and_", "or_"} == REDUCE_OPS


def test_pickling_round_trips_the_op_and_a_graph():
    comp = composite(lambda a, b: ps.mul(ps.exp(a), b), ["float64", "float64"])
    op = ElemwiseReduce(comp, ps.maximum, (1,), "float64")
    x, y = gt.dmatrix("x"), gt.drow("y")
    out = op(x, y)
    xv, yv = np.arange(6.0).reshape(2, 3), np.array([[1.0, -1.0, 0.5]])
    run([x, y], [out], xv, yv)  # fill the op's caches first: they must not be pickled
    op2 = pickle.loads(pickle.dumps(op))
    assert op2 == op and hash(op2) == hash(op) and str(op2) == str(op)
    fg = FunctionGraph([x, y], [out])
    fg2 = pickle.loads(pickle.dumps(fg))
    f = function(fg2.inputs, fg2.outputs, mode=NO_REWRITES)
    assert_same(f(xv, yv)[0], np.max(np.exp(xv) * yv, axis=1))


def test_equal_fused_nodes_merge():
    x, y = gt.dvector("x"), gt.dvector("y")
    # Two Composites built separately with equal graphs: equal ops.
    c1 = composite(lambda a, b: ps.mul(ps.exp(a), b), ["float64", "float64"])
    c2 = composite(lambda a, b: ps.mul(ps.exp(a), b), ["float64", "float64"])
    o1 = ElemwiseReduce(c1, ps.add)(x, y)
    o2 = ElemwiseReduce(c2, ps.add)(x, y)
    o3 = ElemwiseReduce(c2, ps.mul)(x, y)
    fg = FunctionGraph([x, y], [o1 + o2, o3])
    MergeOptimizer().rewrite(fg)
    fused = [n for n in fg.apply_nodes if isinstance(n.op, ElemwiseReduce)]
    assert len(fused) == 2  # the sums merged; the product is another op


def test_per_node_cache_forgets_dead_nodes():
    op = ElemwiseReduce(ps.exp, ps.add)
    x = gt.dvector("x")
    f = function([x], op(x), mode=NO_REWRITES)
    assert f(np.zeros(2)) == 2.0
    assert op._node_parts
    del f
    gc.collect()
    assert not op._node_parts


def test_elemwise_rejects_extra_inputs_instead_of_writing_into_them():
    # NumPy takes a surplus argument as ``out=``: exp(x, y) would overwrite y.
    x, y = gt.dvector("x"), gt.dvector("y")
    with pytest.raises(TypeError, match="exp takes 1 inputs, got 2"):
        Elemwise(ps.exp)(x, y)
