"""Indexing: basic/advanced getitem, set/inc_subtensor, take — against NumPy.

Each case checks values, static shapes against actual shapes, ``infer_shape``
(with int and with symbolic input shapes), and gradients by central finite
differences.
"""

from __future__ import annotations

from functools import partial

import helpers
import numpy as np
import pytest
from helpers import HSET, check_all, ev, sym
from hypothesis import given
from hypothesis import strategies as st

import graft.tensor as gt
from graft.graph.basic import Constant
from graft.tensor.subtensor import (
    AdvancedIncSubtensor,
    AdvancedIncSubtensor1,
    AdvancedSubtensor,
    AdvancedSubtensor1,
    IncSubtensor,
    Subtensor,
    getitem,
    inc_subtensor,
    set_subtensor,
    take,
)
from graft.tensor.subtensor_index import slice_length

RNG = np.random.default_rng(42)

# Shared checks (helpers.py); the gradient check draws its weights from this module's RNG.
check_grad = partial(helpers.check_grad, rng=RNG)


DTYPES = ["float64", "float32", "int64", "int8", "bool"]


def arange_of(shape, dtype):
    a = np.arange(int(np.prod(shape))).reshape(shape)
    if dtype == "bool":
        return np.asarray(a % 3 == 0)
    return np.asarray(a % 100).astype(dtype)


# ---------------------------------------------------------------------------
# Basic indexing
# ---------------------------------------------------------------------------

BASIC = [
    ((5,), 0),
    ((5,), -1),
    ((5,), slice(1, 4)),
    ((5,), slice(None, None, -1)),
    ((5,), slice(-2, None, -2)),
    ((5,), slice(3, 1)),  # empty
    ((5,), slice(10, 20)),  # empty, past the end
    ((0,), slice(None)),
    ((0,), slice(None, None, -1)),
    ((3, 4), (1, slice(None, None, -1))),
    ((3, 4), (slice(None), 2)),
    ((3, 4), (Ellipsis, -1)),
    ((3, 4), (None, 1)),
    ((3, 4), (slice(1, None), None, slice(None, 2))),
    ((2, 3, 4), (0, Ellipsis, None)),
    ((2, 3, 4), (Ellipsis,)),
    ((2, 3, 4), (-1, -1, -1)),
    ((2, 3, 4), (None, Ellipsis, None)),
    ((2, 3, 4), (slice(None, None, 2), slice(-1, -4, -1), slice(0, 0))),
    ((), ()),
    ((), (None,)),
    ((), Ellipsis),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape, idx", BASIC)
def test_basic_indexing_matches_numpy(shape, idx, dtype):
    xv = arange_of(shape, dtype)
    for static in (False, True):
        x = sym(xv, static=static)
        out = x[idx]
        check_all(out, {x: xv}, xv[idx])


def test_basic_index_is_a_view_and_merges():
    x = gt.matrix("x")
    a, b = x[1:3, 0], x[1:3, 0]
    assert isinstance(a.owner.op, Subtensor)
    assert a.owner.op == b.owner.op and hash(a.owner.op) == hash(b.owner.op)
    assert a.owner.op.view_map == {0: [0]}
    # Equivalent spellings give equal ops.
    assert x[0:3:1].owner.op == x[:3].owner.op
    assert x[1, :].owner.op == x[1].owner.op
    assert x[1:].owner.op != x[:1].owner.op
    xv = np.arange(12.0).reshape(3, 4)
    out = ev(a, {x: xv})
    assert np.shares_memory(out, xv)


def test_static_shapes_from_constant_slices():
    x = gt.tensor(dtype="float64", shape=(5, None, 3))
    assert x[1:4].type.shape == (3, None, 3)
    assert x[::-2, 1:, 0].type.shape == (3, None)
    assert x[:, 2:2].type.shape == (5, 0, 3)
    assert x[:, -1:-3].type.shape == (5, 0, 3)
    assert x[None, ..., None].type.shape == (1, 5, None, 3, 1)
    i = gt.lscalar("i")
    assert x[i:].type.shape == (None, None, 3)
    assert x[i].type.shape == (None, 3)


def test_symbolic_indices_and_bounds():
    xv = np.arange(60.0).reshape(3, 4, 5)
    x = sym(xv)
    i, j, k = gt.lscalar("i"), gt.iscalar("j"), gt.bscalar("k")
    cases = [
        (x[i], lambda a, b, c: xv[a]),
        (x[i, j:], lambda a, b, c: xv[a, b:]),
        (x[:, i:j, ::k], lambda a, b, c: xv[:, a:b, ::c]),
        (x[..., j::-1], lambda a, b, c: xv[..., b::-1]),
        (x[i, None, ::k, -j], lambda a, b, c: xv[a, None, ::c, -b]),
    ]
    for a, b, c in [(0, 1, 1), (-1, 3, -1), (2, -2, 2), (1, 0, -3)]:
        g = {i: np.int64(a), j: np.int32(b), k: np.int8(c)}
        g[x] = xv
        for out, ref in cases:
            check_all(out, g, ref(a, b, c))


def test_shape_indexing_gives_shape_i_or_constants():
    x = gt.tensor(dtype="float64", shape=(3, None))
    s0 = x.shape[0]
    assert isinstance(s0, Constant) and int(s0.data) == 3
    s1 = x.shape[-1]
    assert ev(s1, {x: np.zeros((3, 7))}) == 7
    with pytest.raises(IndexError, match="index 2 is out of bounds"):
        x.shape[2]


@st.composite
def basic_cases(draw, symbolic=False):
    shape = tuple(draw(st.lists(st.integers(0, 4), min_size=0, max_size=4)))
    entries = []
    for n in shape:
        kind = draw(st.sampled_from(["int", "slice", "slice", "full"] if n else ["slice", "full"]))
        if kind == "int":
            entries.append(draw(st.integers(-n, n - 1)))
        elif kind == "slice":
            bound = st.one_of(st.none(), st.integers(-n - 2, n + 2))
            step = st.one_of(st.none(), st.integers(-3, 3).filter(bool))
            entries.append(slice(draw(bound), draw(bound), draw(step)))
        else:
            entries.append(slice(None))
    cut = draw(st.integers(0, len(entries)))
    entries = entries[:cut]
    if draw(st.booleans()):
        p = draw(st.integers(0, len(entries)))
        q = draw(st.integers(p, len(entries)))
        if all(e == slice(None) for e in entries[p:q]):
            entries = entries[:p] + [Ellipsis] + entries[q:]
    for _ in range(draw(st.integers(0, 2))):
        entries.insert(draw(st.integers(0, len(entries))), None)
    return shape, tuple(entries)


def _symbolize(idx):
    """Replace ints and slice bounds by symbolic scalars; return (index, givens)."""
    givens = {}

    def s(v):
        if v is None:
            return None
        var = gt.lscalar()
        givens[var] = np.int64(v)
        return var

    out = []
    for e in idx:
        if isinstance(e, int):
            out.append(s(e))
        elif isinstance(e, slice):
            out.append(slice(s(e.start), s(e.stop), s(e.step)))
        else:
            out.append(e)
    return tuple(out), givens


@HSET
@given(basic_cases(), st.sampled_from(["float64", "int8"]), st.booleans())
def test_basic_indexing_property(case, dtype, symbolic):
    shape, idx = case
    xv = arange_of(shape, dtype)
    x = sym(xv, static=not symbolic)
    gidx, givens = _symbolize(idx) if symbolic else (idx, {})
    givens[x] = xv
    try:
        ref = xv[idx]
    except IndexError:
        with pytest.raises(IndexError):  # at build time, or when run
            ev(x[gidx], givens)
        return
    expected = check_all(x[gidx], givens, ref)
    yv = (np.arange(expected.size).reshape(expected.shape) % 5).astype(dtype)
    y = sym(yv)
    givens[y] = yv
    ref = xv.copy()
    ref[idx] = yv
    check_all(set_subtensor(x[gidx], y), givens, ref)
    ref = xv.copy()
    ref[idx] += yv
    check_all(inc_subtensor(x[gidx], y), givens, ref)


@HSET
@given(
    st.integers(0, 6),
    st.one_of(st.none(), st.integers(-9, 9)),
    st.one_of(st.none(), st.integers(-9, 9)),
    st.one_of(st.none(), st.integers(-4, 4).filter(bool)),
)
def test_symbolic_slice_length_matches_python(n, a, b, c):
    expected = len(range(*slice(a, b, c).indices(n)))
    assert slice_length(n, a, b, c) == expected
    vs = [gt.lscalar() for _ in range(4)]
    givens = {v: np.int64(val) for v, val in zip(vs, (n, a, b, c)) if val is not None}
    parts = [v if val is not None else None for v, val in zip(vs, (n, a, b, c))]
    assert int(ev(slice_length(*parts), givens)) == expected


# ---------------------------------------------------------------------------
# Advanced indexing
# ---------------------------------------------------------------------------

ADVANCED = [
    ((5,), [0, 4, -1, 0]),
    ((5,), []),
    ((5,), np.array([[1, 2], [3, -5]])),
    ((5,), np.array([True, False, True, True, False])),
    ((3, 4), ([0, 2], slice(None, None, -1))),
    ((3, 4), (slice(1, None), [3, 0, 0])),
    ((3, 4), ([0, 2], [1, 3])),
    ((3, 4), ([[0], [2]], [1, 3])),
    ((3, 4), (np.array([True, False, True]), 1)),
    ((3, 4), arange_of((3, 4), "bool")),
    ((3, 4), (None, [1, 0])),
    ((3, 4), ([1, 0], None)),
    ((3, 4), (Ellipsis, [1, 0])),
    ((3, 4), True),
    ((3, 4), (1, np.array(False))),
    ((2, 3, 4), (slice(None), [0, 2], [1, 1])),  # adjacent: stays in place
    ((2, 3, 4), ([0, 1], slice(None), [1, 2])),  # separated: goes first
    ((2, 3, 4), (0, slice(None), [1, 2])),  # an int counts as advanced
    ((2, 3, 4), (slice(None), 0, [1, 2])),
    ((2, 3, 4), ([0], None, [0])),  # None separates
    ((2, 3, 4), (slice(None), [0], Ellipsis, [1])),  # an empty ellipsis separates
    ((2, 3, 4), ([1, 0], Ellipsis)),
    ((2, 3, 4), (arange_of((2, 3), "bool"), slice(1, 3))),
    ((2, 3, 4), (slice(None), arange_of((3, 4), "bool"))),
    ((2, 3, 4), (np.array([[0, 1]]), np.array([[0], [2]]), slice(None, None, -2))),
    ((0, 3), ([], slice(None))),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape, idx", ADVANCED)
def test_advanced_indexing_matches_numpy(shape, idx, dtype):
    xv = arange_of(shape, dtype)
    expected = xv[idx]
    for static in (False, True):
        x = sym(xv, static=static)
        out = x[idx]
        assert isinstance(out.owner.op, AdvancedSubtensor | AdvancedSubtensor1)
        check_all(out, {x: xv}, expected)


def test_advanced_with_symbolic_index_arrays():
    xv = np.arange(24.0).reshape(2, 3, 4)
    x = sym(xv)
    iv, mv, s = gt.lvector("i"), gt.bmatrix("m"), gt.lscalar("s")
    m = gt.tensor(dtype="bool", shape=(None, None), name="mask")
    cases = [
        (x[iv], lambda i, mask, s_: xv[i]),
        (x[:, iv, s], lambda i, mask, s_: xv[:, i, s_]),
        (x[s:, :, iv], lambda i, mask, s_: xv[s_:, :, i]),
        (x[m], lambda i, mask, s_: xv[mask]),
        (x[m, iv[:1]], lambda i, mask, s_: xv[mask, i[:1]]),
        (x[iv, ..., None], lambda i, mask, s_: xv[i, ..., None]),
        (x[x > 10], lambda i, mask, s_: xv[xv > 10]),
    ]
    del mv
    mask = np.array([[True, False, True], [False, False, True]])
    for i, s_ in [(np.array([1, 0, -1]), 0), (np.array([1, 1]), 1)]:
        g = {x: xv, iv: i, m: mask, s: np.int64(s_)}
        for out, ref in cases:
            check_all(out, g, ref(i, mask, s_))
    empty = np.array([], dtype="int64")
    for out, ref in cases[:3]:
        check_all(out, {x: xv, iv: empty, s: np.int64(1)}, ref(empty, mask, 1))


def test_single_vector_uses_advanced_subtensor1():
    x = gt.matrix("x")
    i = gt.lvector("i")
    assert isinstance(x[i].owner.op, AdvancedSubtensor1)
    assert isinstance(x[i, :].owner.op, AdvancedSubtensor1)
    assert isinstance(x[i, ...].owner.op, AdvancedSubtensor1)
    assert isinstance(x[:, i].owner.op, AdvancedSubtensor)
    assert isinstance(x[gt.lmatrix("j")].owner.op, AdvancedSubtensor)
    assert x[[1, 2]].type.shape == (2, None)
    assert x[i, 0].owner.op == x[i, 0].owner.op
    assert AdvancedSubtensor1().view_map == {}


def test_advanced_static_shapes():
    x = gt.tensor(dtype="float64", shape=(4, None, 3))
    assert x[[0, 1, 2]].type.shape == (3, None, 3)
    assert x[:, [[0, 1]], [2]].type.shape == (4, 1, 2)
    assert x[[0, 1], :, [2, 0]].type.shape == (2, None)
    assert x[np.array([True, False, True, True])].type.shape == (3, None, 3)
    assert x[gt.tensor(dtype="bool", shape=(4, None))].type.shape == (None, 3)
    assert x[True].type.shape == (1, 4, None, 3)
    assert x[None, [1], ..., 0].type.shape == (1, 1, None)


@st.composite
def advanced_cases(draw):
    ndim = draw(st.integers(1, 3))
    shape = tuple(draw(st.lists(st.integers(1, 4), min_size=ndim, max_size=ndim)))
    bshape = tuple(draw(st.lists(st.integers(1, 3), min_size=0, max_size=2)))
    entries = []
    d = 0
    has_adv = False
    while d < ndim:
        n = shape[d]
        kind = draw(st.sampled_from(["int", "slice", "array", "array", "mask", "stop"]))
        if kind == "stop" and has_adv:
            break
        if kind == "int":
            entries.append(draw(st.integers(-n, n - 1)))
        elif kind == "slice":
            bound = st.one_of(st.none(), st.integers(-n - 1, n + 1))
            step = st.one_of(st.none(), st.integers(-2, 2).filter(bool))
            entries.append(slice(draw(bound), draw(bound), draw(step)))
        elif kind == "mask":
            k = draw(st.integers(1, ndim - d))
            seed = draw(st.integers(0, 2**16))
            entries.append(np.random.default_rng(seed).random(shape[d : d + k]) < 0.5)
            # Every mask must select the same count to broadcast; keep one mask only.
            has_adv = True
            d += k
            continue
        else:
            sub = tuple(1 if draw(st.booleans()) else b for b in bshape)
            seed = draw(st.integers(0, 2**16))
            entries.append(np.random.default_rng(seed).integers(-n, n, size=sub))
            has_adv = True
        d += 1
    if not has_adv:
        entries[0] = np.array([0, -1])
    for _ in range(draw(st.integers(0, 1))):
        entries.insert(draw(st.integers(0, len(entries))), None)
    if draw(st.booleans()):
        entries.insert(draw(st.integers(0, len(entries))), Ellipsis)
    return shape, tuple(entries)


def _symbolize_adv(idx, which):
    """Index arrays and ints become symbolic inputs where ``which`` says so."""
    givens = {}
    out = []
    for k, e in enumerate(idx):
        if which[k % len(which)] and isinstance(e, np.ndarray | int):
            v = np.asarray(e, dtype=np.asarray(e).dtype)
            var = gt.tensor(dtype=v.dtype, shape=tuple(1 if n == 1 else None for n in v.shape))
            givens[var] = v
            out.append(var)
        else:
            out.append(e)
    return tuple(out), givens


def _valid_numpy(xv, idx):
    try:
        return xv[idx]
    except (IndexError, ValueError):
        return None


@HSET
@given(
    advanced_cases(),
    st.sampled_from(["float64", "int64"]),
    st.lists(st.booleans(), min_size=1, max_size=4),
)
def test_advanced_indexing_property(case, dtype, which):
    shape, idx = case
    xv = arange_of(shape, dtype)
    expected = _valid_numpy(xv, idx)
    if expected is None:  # e.g. two masks with different counts
        return
    x = sym(xv)
    gidx, g = _symbolize_adv(idx, which)
    g[x] = xv
    out = x[gidx]
    check_all(out, g, expected)
    # inc accumulates like np.add.at; set assigns like NumPy (last write wins).
    yv = (np.arange(expected.size).reshape(expected.shape) % 7).astype(dtype)
    y = sym(yv)
    g[y] = yv
    ref = xv.copy()
    np.add.at(ref, idx, yv)
    check_all(inc_subtensor(x[gidx], y), g, ref)
    ref = xv.copy()
    ref[idx] = yv
    check_all(set_subtensor(x[gidx], y), g, ref)


# ---------------------------------------------------------------------------
# set_subtensor / inc_subtensor
# ---------------------------------------------------------------------------

SET_INC = [
    ((5,), slice(1, 4), (3,)),
    ((5,), slice(None, None, -2), ()),
    ((5,), 2, ()),
    ((5,), slice(3, 1), (0,)),
    ((3, 4), (1, slice(None, None, -1)), (4,)),
    ((3, 4), (slice(None), 0), (1,)),
    ((3, 4), (slice(1, None), slice(None, 2)), (1, 2)),  # broadcast y
    ((3, 4), (None, 1), (1, 4)),
    ((3, 4), (slice(None), None, -1), (3, 1)),
    ((2, 3, 4), (Ellipsis, 1), (3,)),
    ((), (), ()),
    ((5,), [0, 2, 0, 0], (4,)),  # repeated indices
    ((5,), np.array([True, False, True, True, False]), ()),
    ((3, 4), ([0, 2, 0], slice(None)), (3, 4)),
    ((3, 4), ([0, 2, 0], slice(None)), (4,)),
    ((3, 4), (slice(None), [1, 1]), (3, 1)),
    ((3, 4), ([0, 0], [1, 1]), (2,)),
    ((2, 3, 4), ([0, 1], slice(None), [1, 2]), (2, 3)),
    ((2, 3, 4), (None, [1], 0), ()),
    ((2, 3, 4), (arange_of((2, 3), "bool"),), (4,)),
    ((3, 4), True, (1, 3, 4)),
    ((3, 4), (1, np.array(False)), ()),
]


@pytest.mark.parametrize("dtype", ["float64", "float32", "int64", "int8"])
@pytest.mark.parametrize("shape, idx, yshape", SET_INC)
def test_set_and_inc_match_numpy(shape, idx, yshape, dtype):
    xv = arange_of(shape, dtype)
    yv = (np.arange(int(np.prod(yshape))).reshape(yshape) + 3).astype(dtype)
    x, y = sym(xv), sym(yv)
    g = {x: xv, y: yv}
    ref = xv.copy()
    ref[idx] = yv
    out = set_subtensor(x[idx], y)
    check_all(out, g, ref)
    ref = xv.copy()
    np.add.at(ref, idx, yv)
    out = inc_subtensor(x[idx], y)
    check_all(out, g, ref)
    assert not np.shares_memory(ev(out, g), xv)
    np.testing.assert_array_equal(xv, arange_of(shape, dtype))  # x untouched


def test_set_inc_op_types_and_python_values():
    x = gt.vector("x")
    i = gt.lvector("i")
    assert isinstance(set_subtensor(x[1:], 0).owner.op, IncSubtensor)
    assert set_subtensor(x[1:], 0).owner.op.set_instead_of_inc
    assert isinstance(inc_subtensor(x[i], 1.0).owner.op, AdvancedIncSubtensor1)
    assert isinstance(inc_subtensor(x[i, None], 1.0).owner.op, AdvancedIncSubtensor)
    xv = np.zeros(4)
    np.testing.assert_array_equal(ev(set_subtensor(x[1:], 2), {x: xv}), [0, 2, 2, 2])
    np.testing.assert_array_equal(
        ev(inc_subtensor(x[i], 1.5), {x: xv, i: np.array([3, 3, 0])}), [1.5, 0, 0, 3.0]
    )
    f32 = gt.fvector("f")
    out = inc_subtensor(f32[0], gt.dscalar("d"))  # same kind: float64 into float32 is allowed
    assert out.type.dtype == "float32"
    assert IncSubtensor((0,), inplace=True).destroy_map == {0: [0]}


def test_set_inc_errors():
    x = gt.lvector("x")
    with pytest.raises(TypeError, match=r"IncSubtensor.*float64.*int64"):
        inc_subtensor(x[1:], gt.dvector("y"))
    with pytest.raises(TypeError, match="without loss"):
        set_subtensor(x[0], 1.5)
    with pytest.raises(TypeError, match="result of indexing"):
        set_subtensor(x, 1)
    m = gt.tensor(dtype="float64", shape=(3, 4))
    with pytest.raises(ValueError, match=r"cannot be broadcast.*\(3, 2\)"):
        set_subtensor(m[:, 2:], gt.tensor(dtype="float64", shape=(3,)))
    with pytest.raises(ValueError, match="3 dims"):
        inc_subtensor(m[0], gt.tensor3("y"))
    with pytest.raises(ValueError, match="AdvancedIncSubtensor1"):
        inc_subtensor(m[[0, 1]], gt.tensor(dtype="float64", shape=(3, 4)))
    # Run-time broadcast failures name the op and the shapes.
    v = gt.dvector("v")
    mm = gt.dmatrix("mm")
    out = set_subtensor(mm[1:], v)
    with pytest.raises(ValueError, match=r"SetSubtensor\{1:\}.*y shape \(5,\)"):
        ev(out, {mm: np.zeros((3, 4)), v: np.zeros(5)})


def test_set_through_newaxis_checks_size_one():
    x = gt.dmatrix("x")
    y = gt.dmatrix("y")
    out = set_subtensor(x[None, 1], y)
    xv = np.zeros((3, 4))
    np.testing.assert_array_equal(ev(out, {x: xv, y: np.ones((1, 4))})[1], np.ones(4))
    with pytest.raises(AssertionError):
        ev(out, {x: xv, y: np.ones((2, 4))})


# ---------------------------------------------------------------------------
# Build-time errors
# ---------------------------------------------------------------------------


def test_out_of_range_constant_indices_raise_at_build_time():
    x = gt.tensor(dtype="float64", shape=(3, None))
    with pytest.raises(
        IndexError, match=r"Subtensor.*index 3 is out of bounds for axis 0 with size 3"
    ):
        x[3]
    with pytest.raises(IndexError, match="index -4 is out of bounds for axis 0 with size 3"):
        x[-4, 0]
    with pytest.raises(
        IndexError, match=r"AdvancedSubtensor1.*index 5 is out of bounds for axis 0"
    ):
        x[[0, 5]]
    with pytest.raises(
        IndexError, match=r"AdvancedSubtensor.*index 7 is out of bounds for axis 0"
    ):
        x[[0, 7], 1]
    with pytest.raises(
        IndexError, match=r"AdvancedSubtensor.*index 3 is out of bounds for axis 0"
    ):
        x[3, [1]]
    x[0, 100]  # unknown size: checked when run
    with pytest.raises(
        IndexError, match=r"boolean index did not match.*axis 0.*size of axis is 3"
    ):
        x[np.array([True, False])]
    with pytest.raises(IndexError, match="could not be broadcast"):
        x[[0, 1], [0, 1, 2]]


def test_invalid_indices():
    x = gt.matrix("x")
    with pytest.raises(IndexError, match="too many indices"):
        x[0, 0, 0]
    with pytest.raises(IndexError, match="too many indices"):
        x[np.ones((2, 2, 2), bool)]
    with pytest.raises(IndexError, match="single ellipsis"):
        x[..., 0, ...]
    with pytest.raises(IndexError, match="valid indices"):
        x[1.5]
    with pytest.raises(IndexError, match="valid indices"):
        x[gt.dscalar("f")]
    with pytest.raises(IndexError, match="valid indices"):
        x["a"]
    with pytest.raises(IndexError, match="slice indices must be integers"):
        x[1.0:]
    with pytest.raises(ValueError, match="slice step cannot be zero"):
        x[::0]
    with pytest.raises(TypeError, match="must be an integer scalar"):
        Subtensor(("?",))(x, gt.dscalar())


def test_runtime_index_errors_name_the_op():
    x = gt.dmatrix("x")
    i = gt.lscalar("i")
    with pytest.raises(IndexError, match=r"Subtensor\{\?\}.*out of bounds.*input shape \(3, 4\)"):
        ev(x[i], {x: np.zeros((3, 4)), i: np.int64(5)})
    iv = gt.lvector("iv")
    with pytest.raises(IndexError, match=r"AdvancedSubtensor1.*out of bounds"):
        ev(x[iv], {x: np.zeros((3, 4)), iv: np.array([0, 9])})


# ---------------------------------------------------------------------------
# take
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "shape, indices, axis",
    [
        ((5,), [1, -1, 0], None),
        ((3, 4), [[0, 2], [1, 1]], None),
        ((3, 4), [2, 0], 0),
        ((3, 4), [3, -4, 1], 1),
        ((3, 4), 2, 1),
        ((3, 4), [[1], [2]], -1),
        ((2, 3, 4), [], 1),
    ],
)
def test_take_matches_numpy(shape, indices, axis):
    xv = arange_of(shape, "float32")
    x = sym(xv)
    check_all(take(x, indices, axis), {x: xv}, np.take(xv, indices, axis))
    iv = np.asarray(indices, dtype="int64")
    i = sym(iv)
    check_all(take(x, i, axis), {x: xv, i: iv}, np.take(xv, indices, axis))


def test_take_errors():
    x = gt.matrix("x")
    with pytest.raises(TypeError, match="integers"):
        take(x, gt.dvector(), 0)
    with pytest.raises(ValueError, match="axis 2 is out of range"):
        take(x, [0], 2)


# ---------------------------------------------------------------------------
# Gradients
# ---------------------------------------------------------------------------

GRAD_INDICES = [
    ((5,), slice(1, 4)),
    ((5,), -2),
    ((3, 4), (slice(None, None, -1), None, 1)),
    ((3, 4), [2, 0, 2]),  # repeated rows accumulate
    ((3, 4), (slice(None), [1, 1, 3])),
    ((3, 4), ([0, 2], [1, 3])),
    ((3, 4), arange_of((3, 4), "bool")),
    ((2, 3, 4), ([0, 1], slice(1, None), [1, 2])),
]


@pytest.mark.parametrize("shape, idx", GRAD_INDICES)
def test_getitem_gradient(shape, idx):
    xv = RNG.standard_normal(shape)
    check_grad(lambda x: x[idx] ** 2, [xv])


def test_getitem_gradient_symbolic_indices():
    from graft.gradient import grad

    x = gt.dmatrix("x")
    i = gt.lscalar("i")
    iv = gt.lvector("iv")
    cost = (x[i, 1:] ** 2).sum() + (x[iv] * 3).sum()
    g = grad(cost, x)
    xv = RNG.standard_normal((3, 4))
    got = ev(g, {x: xv, i: np.int64(-1), iv: np.array([0, 0, 2])})
    expected = np.zeros((3, 4))
    expected[-1, 1:] += 2 * xv[-1, 1:]
    np.add.at(expected, [0, 0, 2], 3.0)
    np.testing.assert_allclose(got, expected)


SET_INC_GRAD = [
    ((5,), slice(1, 4), (3,)),
    ((5,), slice(1, 4), ()),  # broadcast y: its gradient sums
    ((3, 4), (slice(None), 1), (1,)),
    ((3, 4), (None, slice(1, None)), (1, 4)),
    ((3, 4), [2, 0], (4,)),
    ((3, 4), ([0, 1, 1], [1, 0, 3]), (3,)),
    ((3, 4), (slice(None), [1, 3]), (1, 2)),
    ((2, 3, 4), (arange_of((2, 3), "bool"), 0), ()),
]


@pytest.mark.parametrize("set_", [True, False])
@pytest.mark.parametrize("shape, idx, yshape", SET_INC_GRAD)
def test_set_inc_gradient(shape, idx, yshape, set_):
    fn = set_subtensor if set_ else inc_subtensor
    xv = RNG.standard_normal(shape)
    yv = RNG.standard_normal(yshape)
    check_grad(lambda x, y: fn(x[idx], y) ** 2, [xv, yv])


def test_inc_gradient_with_repeated_indices():
    # inc with repeats: every copy of y adds to the output, so each gets the gradient.
    xv = RNG.standard_normal(4)
    yv = RNG.standard_normal(3)
    check_grad(lambda x, y: inc_subtensor(x[[1, 1, 2]], y) ** 2, [xv, yv])


def test_gradient_of_discrete_input_is_zero_float():
    x = gt.lvector("x")
    f = gt.dvector("f")
    out = Subtensor(((1, None, None),))(x)
    gx, *_ = out.owner.op.L_op([x], [out], [f])
    assert gx.type.dtype == "float64"
    np.testing.assert_array_equal(ev(gx, {x: np.arange(4)}), np.zeros(4))


def test_connection_patterns():
    x = gt.dmatrix("x")
    i = gt.lscalar("i")
    iv = gt.lvector("iv")
    n = x[i, iv].owner
    assert n.op.connection_pattern(n) == [[True], [False], [False]]
    n = inc_subtensor(x[i:], 1.0).owner
    assert n.op.connection_pattern(n) == [[True], [True], [False]]


# ---------------------------------------------------------------------------
# End to end through graft's compiler, when available
# ---------------------------------------------------------------------------


def _function():
    import graft

    fn = getattr(graft, "function", None)
    if fn is None:
        try:
            from graft.compile import function as fn
        except ImportError:
            pytest.skip("graft.function is not available")
    return fn


def test_compiled_indexing_and_gradient():
    from graft.gradient import grad

    function = _function()
    x = gt.dmatrix("x")
    i = gt.lscalar("i")
    y = set_subtensor(x[i, ::-1], 0.0)
    cost = (x[[0, 0], 1:] ** 2).sum() + (y * x).sum()
    f = function([x, i], [y, grad(cost, x)])
    xv = RNG.standard_normal((3, 4))
    yv, gv = f(xv, 1)
    ref = xv.copy()
    ref[1] = 0
    np.testing.assert_allclose(yv, ref)
    expected = 2 * ref
    expected[0, 1:] += 2 * 2 * xv[0, 1:]
    np.testing.assert_allclose(gv, expected)


def test_getitem_function_direct():
    x = gt.dvector("x")
    assert getitem(x, slice(None)).owner.op == x[:].owner.op


def test_constant_indices_fold_with_their_own_dtype():
    x = gt.dvector("x")
    i = gt.cast(gt.constant(300), "int8")  # wraps to 44 when run
    out = gt.tensor(dtype="float64", shape=(50,))[i]
    assert out.owner.op.idx_list == (44,)
    assert x[gt.constant(2)].owner.op.idx_list == (2,)


def test_ops_pickle_and_compare_by_props():
    import pickle

    x = gt.dmatrix("x")
    i = gt.lscalar("i")
    outs = [x[i, ::-1], x[[0, 1], None, 1:], set_subtensor(x[1:, [0]], 0.0), x[[2, 0]]]
    for out in outs:
        op = out.owner.op
        clone = pickle.loads(pickle.dumps(op))
        assert clone == op and hash(clone) == hash(op)
        assert str(clone) == str(op)
