"""Property tests: random expression trees, FAST_RUN against the unrewritten graph.

Trees are built from the tensor API (add, sub, mul, div, neg, exp, log, log1p,
sigmoid, sqr, sqrt, pow by constants, sums, dimshuffles, reshapes, casts, fills,
allocs, switches) over two 3x3 matrices and a 1x3 row of one dtype. Both
graphs run on the same random inputs
(zeros, negatives and large values included); where the unrewritten result
is finite, the rewritten one must be finite and agree with it.

"Agree" takes the accuracy of the unrewritten graph into account: a stable
rewrite may legitimately differ from a naive formula by the naive formula's
error. That error is estimated with the same tree in other precisions: the
distance of the unrewritten result from the float64 tree (for float32 work),
or the float32 tree's distance from the float64 tree scaled by the ratio of
the unit roundoffs (to first order, errors grow linearly with the roundoff).
The tolerance on top follows the coarsest float dtype the computation went
through. Integer results must be equal (trees whose integer values could wrap
are skipped).
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from rt_helpers import NO_REWRITES, STRICT_WARNINGS

import graft
import graft.tensor as gt
from graft.graph.basic import io_toposort

pytestmark = STRICT_WARNINGS

UNARY = {
    "neg": lambda a: -a,
    "exp": gt.exp,
    "log": gt.log,
    "log1p": gt.log1p,
    "sigmoid": gt.sigmoid,
    "sqr": gt.sqr,
    "sqrt": gt.sqrt,
    "one_minus": lambda a: 1 - a,
    "plus_one": lambda a: a + 1,
    "minus_one": lambda a: a - 1,
    "T": lambda a: a.T,
    "sum0": lambda a: gt.sum(a, axis=0, keepdims=True) if a.type.ndim == 2 else gt.sum(a),
    "sum_all": lambda a: gt.sum(gt.sum(a, axis=0), axis=0) if a.type.ndim == 2 else gt.sum(a),
    "sum_ds": lambda a: gt.sum(a.dimshuffle("x", *range(a.type.ndim)), axis=0),
    "reshape_same": lambda a: gt.reshape(a, a.shape) if a.type.ndim else a,
    "cast32": lambda a: gt.cast(a, "float32"),
    "cast64": lambda a: gt.cast(a, "float64"),
    "alloc": lambda a: gt.alloc(a, *(a.shape[i] for i in range(a.type.ndim))),
    "alloc_sum": lambda a: gt.alloc(gt.sum(a), *(a.shape[i] for i in range(a.type.ndim))),
    "ones_like_mul": lambda a: gt.ones_like(a) * a,
}
BINARY = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / b,
    "fill": gt.second,
    "switch_pos": lambda a, b: gt.switch(a > 0, a, b),
    "switch_const": lambda a, b: gt.switch(1, a, b),
}
CONSTANTS = [0, 1, -1, 2, 0.5]
EXPONENTS = [2.0, 0.5, -1.0, 1.0, 0.0, 3.0, -0.5]
SPECIAL_FLOATS = [0.0, -0.0, 1.0, -1.0, 1e-6, 30.0, -30.0, 300.0, -300.0]
SPECIAL_INTS = [0, 1, -1, 100, -100]
INT_LIMIT = 2**31  # integer intermediates below this cannot wrap in int64 at the next op

leaf = st.one_of(
    st.sampled_from([("leaf", "x"), ("leaf", "y"), ("leaf", "r")]),
    st.sampled_from(CONSTANTS).map(lambda c: ("const", c)),
)
trees = st.recursive(
    leaf,
    lambda kids: st.one_of(
        st.tuples(st.just("u"), st.sampled_from(sorted(UNARY)), kids),
        st.tuples(st.just("b"), st.sampled_from(sorted(BINARY)), kids, kids),
        st.tuples(st.just("pow"), kids, st.sampled_from(EXPONENTS)),
    ),
    max_leaves=7,
)


def build(tree: Any, env: dict[str, Any], dtype: str) -> Any:
    """The graft expression of ``tree`` with leaves ``env`` (constants in ``dtype`` where they fit)."""
    kind = tree[0]
    if kind == "leaf":
        return env[tree[1]]
    if kind == "const":
        c = tree[1]
        fits = np.dtype(dtype).kind == "f" or float(c).is_integer()
        return gt.constant(c, dtype=dtype if fits else "float64")
    if kind == "u":
        return UNARY[tree[1]](build(tree[2], env, dtype))
    if kind == "b":
        return BINARY[tree[1]](build(tree[2], env, dtype), build(tree[3], env, dtype))
    base = build(tree[1], env, dtype)
    exp_dtype = dtype if np.dtype(dtype).kind == "f" else "float64"
    return base ** gt.constant(tree[2], dtype=exp_dtype)


def graph(tree: Any, dtype: str) -> tuple[list[Any], Any]:
    x, y = gt.matrix("x", dtype=dtype), gt.matrix("y", dtype=dtype)
    r = gt.row("r", dtype=dtype)  # broadcasts along its first dimension
    return [x, y, r], build(tree, {"x": x, "y": y, "r": r}, dtype)


def run_unrewritten(
    tree: Any, dtype: str, data: list[np.ndarray]
) -> tuple[np.ndarray, list[np.ndarray]]:
    """The unrewritten result and every intermediate value."""
    ins, out = graph(tree, dtype)
    inter = [v for n in io_toposort(ins, [out]) for v in n.outputs if v is not out]
    f = graft.function(ins, [out, *inter], mode=NO_REWRITES, on_unused_input="ignore")
    res = f(*[d.astype(dtype) for d in data])
    return np.asarray(res[0]), [np.asarray(r) for r in res[1:]]


def magnitude(values: list[np.ndarray]) -> float:
    finite = [
        np.abs(v[np.isfinite(v)]).max()
        for v in values
        if v.dtype.kind in "fiu" and np.isfinite(v).any()
    ]
    return float(max(finite, default=1.0))


RTOL = {"float64": 1e-9, "float32": 2e-5}
ATOL = {"float64": 1e-12, "float32": 1e-6}
EPS_RATIO = np.finfo(np.float64).eps / np.finfo(np.float32).eps


def require(condition: bool) -> None:
    """Outside hypothesis: an example that cannot be checked is an error in the test."""
    assert condition, "example outside the checked domain"


def check(tree: Any, dtype: str, data: list[np.ndarray], usable: Any = require) -> None:
    """Compare FAST_RUN with the unrewritten graph of ``tree`` on ``data`` (see the module docstring).

    ``usable(condition)`` rejects an example the unrewritten graph cannot run or whose
    integer values could wrap.
    """
    try:
        ref, inter = run_unrewritten(tree, dtype, data)
    except ValueError:  # e.g. a run-time broadcast the static shapes do not allow
        usable(False)
        raise
    if dtype.startswith("int"):
        ints = [v for v in [ref, *inter] if v.dtype.kind in "iu"]
        usable(all(np.all(np.abs(v) < INT_LIMIT) for v in ints))
    ins, out = graph(tree, dtype)
    fast = graft.function(ins, out, mode="FAST_RUN", on_unused_input="ignore")
    new = np.asarray(fast(*[d.astype(dtype) for d in data]))
    assert new.dtype == ref.dtype and new.shape == ref.shape, (
        new.dtype,
        ref.dtype,
        new.shape,
        ref.shape,
    )
    if ref.dtype.kind in "biu":
        np.testing.assert_array_equal(new, ref)
        return
    finite = np.isfinite(ref)
    assert np.all(np.isfinite(new[finite])), f"finite {ref[finite]} became {new[finite]}"
    # The coarsest float dtype the computation went through sets the tolerance.
    coarse = max(
        (v.dtype for v in [ref, *inter] if v.dtype.kind == "f"), key=lambda d: np.finfo(d).eps
    ).name
    assert coarse in RTOL, coarse
    scale = magnitude([ref, *inter])
    ref64, _ = run_unrewritten(tree, "float64", data)
    ref32, _ = run_unrewritten(tree, "float32", data)
    with np.errstate(all="ignore"):
        r, t = ref.astype("float64"), ref64.astype("float64")
        # the error of the unrewritten result: its distance from the float64 tree, or the
        # float32 tree's distance scaled down to float64's roundoff
        err = np.maximum(np.abs(r - t), np.abs(ref32.astype("float64") - t) * EPS_RATIO)
        got = np.abs(new.astype("float64") - r)
        known = finite & np.isfinite(err)
        bound = 16 * err + RTOL[coarse] * np.abs(r) + ATOL[coarse] * scale
    bad = known & ~(got <= bound)
    assert not bad.any(), (
        f"rewritten {new[bad]} vs unrewritten {ref[bad]} (float64 tree {ref64[bad]}, "
        f"error estimate {err[bad]}) for inputs {data}"
    )


def matrices(dtype: str, shape: tuple[int, int] = (3, 3)) -> st.SearchStrategy[np.ndarray]:
    if dtype.startswith("float"):
        elements = st.one_of(
            st.floats(-4, 4, allow_nan=False, width=32), st.sampled_from(SPECIAL_FLOATS)
        )
    else:
        elements = st.one_of(st.integers(-5, 5), st.sampled_from(SPECIAL_INTS))
    return hnp.arrays(
        "float64" if dtype.startswith("float") else "int64", shape, elements=elements
    )


#: ``RT_EXAMPLES=n`` runs n fresh random examples per dtype (a longer search) instead of
#: the fixed, reproducible default set.
EXAMPLES = os.environ.get("RT_EXAMPLES")

SETTINGS = settings(
    max_examples=int(EXAMPLES) if EXAMPLES else 60,
    deadline=None,
    derandomize=EXAMPLES is None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


@pytest.mark.parametrize("dtype", ["float64", "float32", "int64"])
@SETTINGS
@given(data=st.data())
def test_fast_run_agrees_with_unrewritten(dtype, data):
    tree = data.draw(trees, label="tree")
    x = data.draw(matrices(dtype), label="x")
    y = data.draw(matrices(dtype), label="y")
    r = data.draw(matrices(dtype, (1, 3)), label="r")
    try:
        graph(tree, dtype)
    except (TypeError, ValueError):
        assume(False)  # not a valid graph (e.g. an op that refuses the dtype)
    check(tree, dtype, [x, y, r], usable=assume)


@pytest.mark.parametrize(
    "tree",
    [
        ("u", "log", ("u", "sigmoid", ("leaf", "x"))),
        ("u", "log", ("u", "one_minus", ("u", "sigmoid", ("leaf", "x")))),
        ("u", "log", ("u", "plus_one", ("u", "exp", ("leaf", "x")))),
        ("u", "minus_one", ("u", "exp", ("b", "mul", ("leaf", "x"), ("leaf", "y")))),
        ("b", "div", ("b", "mul", ("leaf", "x"), ("leaf", "y")), ("leaf", "y")),
        ("u", "sum_all", ("b", "mul", ("const", 2), ("u", "T", ("leaf", "x")))),
        ("b", "div", ("b", "mul", ("leaf", "r"), ("leaf", "y")), ("leaf", "y")),
        ("b", "sub", ("b", "add", ("leaf", "r"), ("leaf", "x")), ("leaf", "x")),
        ("u", "sqrt", ("pow", ("leaf", "x"), 2.0)),
        ("u", "log", ("u", "log1p", ("u", "neg", ("u", "sigmoid", ("leaf", "y"))))),
    ],
)
@pytest.mark.parametrize("dtype", ["float64", "float32", "int64"])
def test_known_trees(tree, dtype):
    """Trees that hit the stabilize and canonicalize rewrites, on fixed inputs with extremes."""
    if dtype.startswith("float"):
        x = np.array([[0.0, -1.0, 2.5], [30.0, -30.0, 300.0], [-300.0, 1e-6, 4.0]])
    else:
        x = np.array([[0, -1, 2], [5, -5, 100], [-100, 1, 4]])
    check(tree, dtype, [x, x.T[::-1].copy(), x[1:2]])


# ---------------------------------------------------------------------------
# Errors are kept, FAST_COMPILE keeps IEEE results
# ---------------------------------------------------------------------------

MODES = ["FAST_RUN", "FAST_COMPILE"]


def _raises(fn: Any, data: list[np.ndarray]) -> type[BaseException] | None:
    try:
        fn(*data)
    except Exception as e:  # the error type is what the rewritten graph must repeat
        return type(e)
    return None


@pytest.mark.parametrize("dtype", ["float64", "int64"])
@pytest.mark.parametrize("bad", ["y_wide", "y_tall", "r_wide"])
@SETTINGS
@given(data=st.data())
def test_rewrites_keep_shape_errors(dtype, bad, data):
    """Inputs whose sizes do not match raise in the unrewritten graph: they raise the same
    error after rewriting, in every mode (no rewrite may drop the only size check)."""
    tree = data.draw(trees, label="tree")
    shapes = {"y_wide": ((3, 3), (3, 4), (1, 3)), "y_tall": ((3, 3), (2, 3), (1, 3))}
    xs, ys, rs = shapes.get(bad, ((3, 3), (3, 3), (1, 4)))
    values = [
        data.draw(matrices(dtype, xs), label="x").astype(dtype),
        data.draw(matrices(dtype, ys), label="y").astype(dtype),
        data.draw(matrices(dtype, rs), label="r").astype(dtype),
    ]
    try:
        ins, out = graph(tree, dtype)
    except (TypeError, ValueError):
        assume(False)
    with np.errstate(all="ignore"):
        ref = graft.function(ins, out, mode=NO_REWRITES, on_unused_input="ignore")
        expected = _raises(ref, values)
        assume(expected is not None)
        for mode in MODES:
            ins, out = graph(tree, dtype)
            f = graft.function(ins, out, mode=mode, on_unused_input="ignore")
            assert _raises(f, values) is expected, (mode, tree)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@SETTINGS
@given(data=st.data())
def test_fast_compile_keeps_ieee_results(dtype, data):
    """FAST_COMPILE (the debugging mode) gives the unrewritten graph's values bit for bit,
    NaN and inf included: no algebraic cancellation or reassociation."""
    tree = data.draw(trees, label="tree")
    specials = st.sampled_from([np.nan, np.inf, -np.inf, 0.0, -0.0, 1.0, -2.5])
    values = [
        data.draw(hnp.arrays("float64", s, elements=specials), label=n).astype(dtype)
        for n, s in (("x", (3, 3)), ("y", (3, 3)), ("r", (1, 3)))
    ]
    try:
        ins, out = graph(tree, dtype)
    except (TypeError, ValueError):
        assume(False)
    with np.errstate(all="ignore"):
        ref = graft.function(ins, out, mode=NO_REWRITES, on_unused_input="ignore")
        expected = np.asarray(ref(*values))
        ins, out = graph(tree, dtype)
        f = graft.function(ins, out, mode="FAST_COMPILE", on_unused_input="ignore")
        got = np.asarray(f(*values))
    assert got.dtype == expected.dtype and got.shape == expected.shape
    np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize(
    "build",
    [
        lambda x, y: x - x,
        lambda x, y: x / x,
        lambda x, y: (x + 1.0) - 1.0,
        lambda x, y: x * y / y,
        lambda x, y: (x + y) - y,
        lambda x, y: 0 * x,
    ],
    ids=["x-x", "x/x", "x+1-1", "x*y/y", "x+y-y", "0*x"],
)
def test_fast_compile_cancellation_keeps_nan_inf(build):
    x, y = gt.dvectors("x", "y")
    values = [
        np.array([0.0, np.inf, -np.inf, np.nan, 1e308]),
        np.array([np.inf, 0.0, 1.0, 2.0, 1e308]),
    ]
    with np.errstate(all="ignore"):
        ref = graft.function([x, y], build(x, y), mode=NO_REWRITES, on_unused_input="ignore")
        f = graft.function([x, y], build(x, y), mode="FAST_COMPILE", on_unused_input="ignore")
        np.testing.assert_array_equal(f(*values), ref(*values))
