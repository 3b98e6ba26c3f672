"""specialize: powers by special ops, scalar factors out of reductions and products."""

from __future__ import annotations

import numpy as np
import pytest
from graft_rewrites_tensor import specialize as spec
from rt_helpers import (
    STRICT_WARNINGS,
    assert_agree,
    check_rewrite,
    compile_pair,
    graph_nodes,
    sample,
    uses,
)

import graft.tensor as gt
from graft.tensor.elemwise import CAReduce
from graft.tensor.math import Dot

pytestmark = STRICT_WARNINGS

POSITIVE = [0.0, 1e-3, 0.5, 1.0, 2.0, 9.0, 100.0]


@pytest.mark.parametrize(
    ("build", "present", "values", "dtypes"),
    [
        (lambda x: x**2, [gt.sqr], None, ("float64", "float32", "int64", "int8")),
        (lambda x: x**2.0, [gt.sqr], None, ("float64", "float32", "int64")),
        (lambda x: x**1, [], None, ("float64", "float32", "int64")),
        (lambda x: x**0, [gt.second], None, ("float64", "float32", "int64")),
        (lambda x: x**0.5, [gt.sqrt], POSITIVE, ("float64", "float32", "int64")),
        (lambda x: x**-1, [gt.reciprocal], [1.0, -2.0, 0.5, 3.0, 0.0], ("float64", "float32")),
        (lambda x: x**-1.0, [gt.reciprocal], [1.0, -2.0, 4.0], ("float64", "float32", "int64")),
    ],
    ids=["sqr", "sqr_float_exp", "one", "zero", "sqrt", "reciprocal", "reciprocal_int"],
)
def test_pow_specialized(build, present, values, dtypes):
    check_rewrite(build, present=present, absent=[gt.pow], values=values, dtypes=dtypes)


def test_int_pow_minus_one_is_left_alone():
    x = gt.lvector("x")
    fast, _ = compile_pair([x], x ** np.int64(-1))
    assert uses(fast, gt.pow) and not uses(fast, gt.reciprocal)


def test_pow_with_other_exponents_stays():
    check_rewrite(lambda x: x**3, present=[gt.pow], dtypes=("float64", "int64"))
    # (-inf) ** -0.5 == 0, 1 / sqrt(-inf) is NaN
    check_rewrite(
        lambda x: x**-0.5, present=[gt.pow], values=[-np.inf, 0.5, 4.0], dtypes=("float64",)
    )


def test_pow_broadcast_by_its_exponent_keeps_the_shape():
    x = gt.dvector("x")
    out = x ** gt.constant(np.full((2, 1), 2.0))
    fast, ref = compile_pair([x], out)
    data = np.array([1.0, -2.0, 3.0])
    assert fast(data).shape == (2, 3)
    assert_agree(ref(data), fast(data))


def test_log_sqrt_keeps_the_float_half():
    # log(sqrt(x)) on integers must never become 0 * log(x).
    for dtype in ("int64", "int8", "float32"):
        x = gt.vector("x", dtype=dtype)
        fast, ref = compile_pair([x], gt.log(gt.sqrt(x)))
        assert not uses(fast, gt.sqrt)
        data = np.array([1, 2, 4, 100, 7], dtype=dtype)
        np.testing.assert_allclose(fast(data), 0.5 * np.log(data.astype("float64")), rtol=1e-3)
        assert_agree(ref(data), fast(data))


def n_muls_under_sum(f):
    return sum(
        1
        for n in graph_nodes(f)
        if isinstance(n.op, CAReduce)
        and n.inputs[0].owner is not None
        and n.inputs[0].owner.op == gt.mul
    )


@pytest.mark.parametrize("axis", [None, 0, 1, (0, 1)])
def test_scalar_factor_leaves_sum(axis):
    x = gt.dmatrix("x")
    c = gt.dscalar("c")
    for out in (
        gt.sum(c * x, axis=axis),
        gt.sum(x * 3.0 * c, axis=axis),
        gt.sum(x / c, axis=axis),
        gt.sum(-x, axis=axis),
    ):
        fast, ref = compile_pair([x, c], out)
        assert n_muls_under_sum(fast) == 0
        for n in graph_nodes(fast):
            if isinstance(n.op, CAReduce):
                assert n.inputs[0] is fast.maker.fgraph.inputs[0]
        data = np.arange(6.0).reshape(2, 3) - 2
        assert_agree(ref(data, 1.5), fast(data, 1.5), scale=10)


def test_scalar_factor_stays_in_when_dtypes_differ():
    x = gt.bmatrix("x")
    c = gt.bscalar("c")
    out = gt.sum(c * x)  # int8 products wrap before the int64 sum
    fast, ref = compile_pair([x, c], out)
    data = np.full((2, 3), 100, dtype="int8")
    assert_agree(ref(data, np.int8(3)), fast(data, np.int8(3)))
    x64, c64 = gt.lmatrix("y"), gt.lscalar("d")
    fast, ref = compile_pair([x64, c64], gt.sum(c64 * x64))
    assert n_muls_under_sum(fast) == 0
    big = np.full((2, 3), 2**61, dtype="int64")
    assert_agree(ref(big, 7), fast(big, 7))  # wrapping arithmetic: both wrap alike


def test_non_scalar_factor_stays_in_sum():
    x, y = gt.dmatrix("x"), gt.drow("y")
    fast, _ = compile_pair([x, y], gt.sum(x * y))
    assert n_muls_under_sum(fast) == 1


def test_scalar_factor_leaves_dot():
    a, b = gt.dmatrix("a"), gt.dmatrix("b")
    c = gt.dscalar("c")
    v = gt.dvector("v")
    for out in (gt.dot(c * a, b), gt.dot(a, b * 2.0), gt.dot(c * a, 3.0 * v), gt.dot(v * c, b)):
        ins = [a, b, c, v]
        fast, ref = compile_pair(ins, out)
        for n in graph_nodes(fast):
            if isinstance(n.op, Dot):
                assert all(i.owner is None or i.owner.op != gt.mul for i in n.inputs), graph_nodes(
                    fast
                )
        rng = np.random.default_rng(1)
        data = [rng.normal(size=(3, 3)), rng.normal(size=(3, 3)), 2.5, rng.normal(size=3)]
        assert_agree(ref(*data), fast(*data), scale=10)


def test_tables():
    names = [n for n, _, _ in spec.REWRITES]
    assert len(names) == len(set(names))
    for _, rw, tags in spec.REWRITES:
        assert tags == ("fast_run",)
        assert rw.__doc__


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("c", [2.0, 0.5, -4.0, 1024.0, 2.0**-20])
def test_division_by_a_power_of_two_is_an_exact_multiplication(dtype, c):
    x = gt.tensor("x", dtype=dtype, shape=(None,))
    fast, ref = compile_pair([x], x / np.asarray(c, dtype=dtype))
    ops = [str(n.op) for n in graph_nodes(fast)]
    assert not any("true_div" in o for o in ops), ops
    info = np.finfo(dtype)
    data = np.concatenate(
        [sample(dtype), np.array([info.tiny, info.tiny * 3, info.max, -info.max, np.inf, np.nan])]
    ).astype(dtype)
    with np.errstate(all="ignore"):
        r, g = ref(data), fast(data)
    # bit for bit, subnormal and overflowing results included
    np.testing.assert_array_equal(g.view(f"u{data.itemsize}"), r.view(f"u{data.itemsize}"))


@pytest.mark.parametrize("c", [3.0, 0.1, 2.0**-1030, 2.0**1023])
def test_division_by_other_constants_stays(c):
    x = gt.dvector("x")
    node = (x / c).owner
    assert not spec.local_div_by_power_of_two.transform(None, node)
    i = gt.lvector("i")  # integer / integer is a float division of another dtype: left alone
    assert not spec.local_div_by_power_of_two.transform(None, (i / 2).owner)
