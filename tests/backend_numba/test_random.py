"""Random variables on the Numba backend.

Guaranteed (and checked here): for the distributions with a native rule, the
compiled draws and the advanced rng are bit for bit those of the reference
backend (``perform``) for the same Generator state, on every parameter shape
the rule handles; the compiled code raises exactly when ``perform`` does
(NumPy's parameter checks); the Generator given is never advanced in place.
The one documented difference: a NaN shape parameter of gamma/beta/invgamma/t
gives NaN without drawing, so the stream may differ from NumPy's after it.
Distributions without a native rule run through ``perform`` (same results).
"""

from __future__ import annotations

import itertools
import warnings

import numpy as np
import pytest

pytest.importorskip("numba")

from nb_helpers import NUMBA, PY
from scipy import stats

import graft
import graft.tensor as gt
import graft.tensor.random as gr
from graft.link.codegen import BackendFallbackWarning
from graft.tensor.type import TensorType

# name -> (draw, parameter dtypes, valid parameter values)
DISTS = {
    "normal": (gr.normal, ("float64", "float64"), (1.5, 2.0)),
    "halfnormal": (gr.halfnormal, ("float64", "float64"), (0.5, 2.0)),
    "cauchy": (gr.cauchy, ("float64", "float64"), (1.0, 0.5)),
    "halfcauchy": (gr.halfcauchy, ("float64", "float64"), (0.0, 2.0)),
    "t": (gr.t, ("float64", "float64", "float64"), (5.0, 1.0, 2.0)),
    "uniform": (gr.uniform, ("float64", "float64"), (-1.0, 3.0)),
    "beta": (gr.beta, ("float64", "float64"), (0.3, 5.0)),
    "gamma": (gr.basic._gamma, ("float64", "float64"), (0.4, 2.0)),
    "invgamma": (gr.invgamma, ("float64", "float64"), (3.0, 2.0)),
    "exponential": (gr.exponential, ("float64",), (2.0,)),
    "lognormal": (gr.lognormal, ("float64", "float64"), (0.5, 0.75)),
    "laplace": (gr.laplace, ("float64", "float64"), (1.0, 2.0)),
    "logistic": (gr.logistic, ("float64", "float64"), (1.0, 2.0)),
    "bernoulli": (gr.bernoulli, ("float64",), (0.3,)),
    "binomial": (gr.binomial, ("int64", "float64"), (10, 0.3)),
    "poisson": (gr.poisson, ("float64",), (3.5,)),
    "negative_binomial": (gr.negative_binomial, ("float64", "float64"), (5.0, 0.4)),
    "geometric": (gr.geometric, ("float64",), (0.3,)),
}
#: Parameters whose NaN makes the draw NaN without drawing (see the module docstring).
NAN_SHAPES = {"t": (0,), "beta": (0, 1), "gamma": (0,), "invgamma": (0,)}
EDGES = [-1.0, 0.0, 0.5, 1.0, 3.0, np.nan, np.inf, -np.inf]


def _graph(op, dtypes):
    """rng -> draws of ``op`` on 0-d params, on a (1, ?) x (?) broadcast, and with a size
    (empty draws: `test_empty_draws_still_check_parameters`)."""
    rng = gr.random_generator_type("rng")
    scalars = [gt.tensor(dtype=d, shape=()) for d in dtypes]
    mats = [
        gt.tensor(dtype=d, shape=(1, None) if k == 0 else (None,)) for k, d in enumerate(dtypes)
    ]
    r1, a = op(*scalars, rng=rng, return_list=True)
    r2, b = op(*mats, rng=r1, return_list=True)
    r3, c = op(*scalars, size=(2, 3), rng=r2, return_list=True)
    return [rng, *scalars, *mats], [r3, a, b, c]


_COMPILED: dict[str, tuple] = {}


def _fns(name):
    if name not in _COMPILED:
        op, dtypes, _ = DISTS[name]
        ins, outs = _graph(op, dtypes)
        with graft.change_flags(backend_fallback="raise"):
            f = graft.function(ins, outs, mode=NUMBA)
        _COMPILED[name] = (f, graft.function(ins, outs, mode=PY), dtypes)
    return _COMPILED[name]


def _args(seed, dtypes, scalars, mats):
    vals = [np.asarray(v, dtype=d) for v, d in zip(scalars, dtypes)]
    mvals = [np.asarray(m, dtype=d) for m, d in zip(mats, dtypes)]
    return [np.random.default_rng(seed), *vals, *mvals]


def _outcome(fn, args):
    try:
        with np.errstate(all="ignore"):
            return fn(*args)
    except (ValueError, OverflowError) as e:
        return e


def _same_draws(got, exp, states=True):
    assert got[0].bit_generator.state == exp[0].bit_generator.state or not states
    for g, e in zip(got[1:], exp[1:]):
        assert g.dtype == e.dtype and g.shape == e.shape
        np.testing.assert_array_equal(g, e)


@pytest.mark.parametrize("name", sorted(DISTS))
def test_native_draws_equal_the_reference(name):
    f, ref, dtypes = _fns(name)
    valid = DISTS[name][2]
    k = len(dtypes)
    # A (1, 3) first parameter against length-3 others; then non-contiguous arrays.
    mats = [np.full((1, 3), valid[0])] + [np.full(3, v) for v in valid[1:]]
    big = [np.full((1, 6), valid[0])[:, ::-2]] + [np.full(6, v)[::2] for v in valid[1:]]
    for seed, ms in ((1, mats), (2, big)):
        args = _args(seed, dtypes, valid, ms)
        gen_state = args[0].bit_generator.state
        got, exp = f(*args), ref(*_args(seed, dtypes, valid, ms))
        _same_draws(got, exp)
        assert args[0].bit_generator.state == gen_state  # the input Generator is untouched
        assert got[1].shape == () and got[2].shape == (1, 3) and got[3].shape == (2, 3)
    # Parameters of other shapes: the broadcast (1, ?) x (?) with lengths 1 and 1.
    one = [np.full((1, 1), valid[0])] + [np.full(1, v) for v in valid[1:]]
    _same_draws(f(*_args(3, dtypes, valid, one)), ref(*_args(3, dtypes, valid, one)))
    assert k == len(valid)


@pytest.mark.parametrize("name", sorted(DISTS))
def test_parameter_checks_match_numpy(name):
    f, ref, dtypes = _fns(name)
    valid = DISTS[name][2]
    nan_shapes = NAN_SHAPES.get(name, ())
    for combo in itertools.product(EDGES, repeat=len(dtypes)):
        if any(d == "int64" and not np.isfinite(v) for v, d in zip(combo, dtypes)):
            continue
        scal = [np.asarray(v).astype(d) for v, d in zip(combo, dtypes)]
        # The matrix parameters stay valid: each check is exercised through the 0-d ones
        # and again through the vectors (below).
        mats = [np.full((1, 2), valid[0])] + [np.full(2, v) for v in valid[1:]]
        got = _outcome(f, _args(0, dtypes, scal, mats))
        exp = _outcome(ref, _args(0, dtypes, scal, mats))
        if isinstance(exp, Exception):
            assert isinstance(got, type(exp)), (combo, got, exp)
            assert str(got).splitlines()[0] == str(exp).splitlines()[0], (combo, got, exp)
            continue
        assert not isinstance(got, Exception), (combo, got)
        if any(np.isnan(combo[i]) for i in nan_shapes):
            assert np.isnan(got[1]) and np.isnan(exp[1]), combo
            continue
        _same_draws(got, exp)
    # An invalid entry among valid ones, in a vector parameter and in an empty draw.
    for k in range(len(dtypes)):
        bad = [v for v in EDGES if v in (-1.0, 0.0, 3.0, np.inf)]
        for b in bad:
            if dtypes[k] == "int64" and not np.isfinite(b):
                continue
            mats = [np.full((1, 2), valid[0])] + [np.full(2, v) for v in valid[1:]]
            mats[k] = mats[k].copy().astype(dtypes[k])
            mats[k].flat[-1] = b
            got = _outcome(f, _args(0, dtypes, valid, mats))
            exp = _outcome(ref, _args(0, dtypes, valid, mats))
            assert isinstance(got, Exception) == isinstance(exp, Exception), (k, b, got, exp)


def test_empty_draws_still_check_parameters():
    # NumPy checks the parameters even when nothing is drawn.
    rng = gr.random_generator_type("rng")
    ins, outs, valid = [rng], [], []
    for name in sorted(DISTS):
        op, dtypes, vals = DISTS[name]
        ps = [gt.tensor(dtype=d, shape=(None,)) for d in dtypes]
        ins += ps
        outs.append(op(*ps, size=(0, 2), rng=rng))
        valid += [np.full(2, v, dtype=d) for v, d in zip(vals, dtypes)]
    with graft.change_flags(backend_fallback="raise"):
        f = graft.function(ins, outs, mode=NUMBA)
    gen = np.random.default_rng(0)
    assert all(o.shape == (0, 2) for o in f(gen, *valid))
    for k, v in enumerate(valid):
        bad = list(valid)
        bad[k] = v.copy()
        bad[k][-1] = -1
        exp = _outcome(graft.function(ins, outs, mode=PY), [gen, *bad])
        got = _outcome(f, [gen, *bad])
        assert isinstance(got, Exception) == isinstance(exp, Exception), (k, got, exp)


@pytest.mark.parametrize("mode", [NUMBA, "NUMBA"])
def test_fresh_and_reproducible_draws_across_calls(mode):
    def sequence(seed, m):
        srng = gr.RandomStream(seed)
        x = srng.normal(0.0, 1.0, size=(3,))
        y = srng.normal(0.0, 1.0, size=(3,))
        k = srng.poisson(4.0, size=(2,))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", BackendFallbackWarning)
            f = graft.function([], [x, y, k], mode=m)
        return [f() for _ in range(3)]

    a, b, ref = sequence(5, mode), sequence(5, mode), sequence(5, PY)
    for ca, cb, cr in zip(a, b, ref):
        for va, vb, vr in zip(ca, cb, cr):
            np.testing.assert_array_equal(va, vb)
            np.testing.assert_array_equal(va, vr)  # the reference's sequence too
    assert not np.array_equal(a[0][0], a[1][0])  # fresh across calls
    assert not np.array_equal(a[0][0], a[0][1])  # independent draws
    assert not np.array_equal(sequence(6, mode)[0][0], a[0][0])


def test_shared_rng_state_advances_like_the_reference():
    gen = np.random.default_rng(9)
    rng_n, rng_p = graft.shared(gen), graft.shared(gen)
    x = gr.gamma(2.0, scale=1.5, size=(4,), rng=rng_n)
    y = gr.gamma(2.0, scale=1.5, size=(4,), rng=rng_p)
    f = graft.function([], x, mode=NUMBA)
    g = graft.function([], y, mode=PY)
    for _ in range(3):
        np.testing.assert_array_equal(f(), g())
        assert rng_n.get_value().bit_generator.state == rng_p.get_value().bit_generator.state
    assert gen.bit_generator.state == np.random.default_rng(9).bit_generator.state


def test_distributions_without_a_rule_run_through_perform():
    rng = gr.random_generator_type("rng")
    p = gt.dvector("p")
    r1, c = gr.categorical(p, size=(5,), rng=rng, return_list=True)  # native
    r2, w = gr.dirichlet(gt.ones(3), size=(2,), rng=r1, return_list=True)
    r3, m = gr.multivariate_normal(gt.zeros(2), gt.eye(2), rng=r2, return_list=True)
    r4, bb = gr.betabinomial(5, 2.0, 3.0, size=(3,), rng=r3, return_list=True)
    outs = [r4, c, w, m, bb]
    with graft.change_flags(backend_fallback="ignore"):
        f = graft.function([rng, p], outs, mode=NUMBA)
    ref = graft.function([rng, p], outs, mode=PY)
    pv = np.array([0.2, 0.3, 0.5])
    _same_draws(f(np.random.default_rng(4), pv), ref(np.random.default_rng(4), pv))


def test_rewritten_graphs_keep_independent_draws():
    a = gr.normal(0.0, 1.0, size=(4,))
    b = gr.normal(0.0, 1.0, size=(4,))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", BackendFallbackWarning)
        f = graft.function([], [a, b, a - a], mode="NUMBA")
    va, vb, zero = f()
    assert not np.array_equal(va, vb)
    np.testing.assert_array_equal(zero, 0.0)


def test_goodness_of_fit_on_numba():
    srng = gr.RandomStream(21)
    n = 3000
    outs = [
        srng.normal(1.0, 2.0, size=(n,)),
        srng.gamma(0.5, scale=2.0, size=(n,)),
        srng.beta(2.0, 3.0, size=(n,)),
        srng.poisson(6.0, size=(n,)),
    ]
    with graft.change_flags(backend_fallback="raise"):
        f = graft.function([], outs, mode=NUMBA)
    for _ in range(2):
        x, g, b, k = f()
        assert stats.kstest(x, stats.norm(1.0, 2.0).cdf).pvalue > 1e-3
        assert stats.kstest(g, stats.gamma(0.5, scale=2.0).cdf).pvalue > 1e-3
        assert stats.kstest(b, stats.beta(2.0, 3.0).cdf).pvalue > 1e-3
        kk = np.minimum(k, 14)
        counts = np.bincount(kk, minlength=15)
        probs = stats.poisson(6.0).pmf(np.arange(15))
        probs[-1] = 1 - probs[:-1].sum()
        assert stats.chisquare(counts, probs * n).pvalue > 1e-3


def test_float32_and_integer_outputs():
    rng = gr.random_generator_type("rng")
    r1, x = gr.normal(
        np.float32(0), np.float32(1), size=(3,), dtype="float32", rng=rng, return_list=True
    )
    r2, k = gr.binomial(np.int8(7), 0.5, size=(3,), dtype="int16", rng=r1, return_list=True)
    _, u = gr.uniform(np.uint8(1), np.int32(4), size=(2,), rng=r2, return_list=True)
    with graft.change_flags(backend_fallback="raise"):
        f = graft.function([rng], [x, k, u], mode=NUMBA)
    ref = graft.function([rng], [x, k, u], mode=PY)
    for got, exp in zip(f(np.random.default_rng(2)), ref(np.random.default_rng(2))):
        assert got.dtype == exp.dtype
        np.testing.assert_array_equal(got, exp)
    assert isinstance(x.type, TensorType) and x.type.dtype == "float32"


def test_constant_generator_runs_through_perform():
    gen = np.random.default_rng(12)
    x = gr.normal(0.0, 1.0, size=(3,), rng=gen)
    with graft.change_flags(backend_fallback="ignore"):
        f = graft.function([], x, mode=NUMBA)
    # A constant rng is copied before each draw: the same draw each call.
    np.testing.assert_array_equal(f(), np.random.default_rng(12).normal(size=3))
    np.testing.assert_array_equal(f(), f())
    assert gen.bit_generator.state == np.random.default_rng(12).bit_generator.state


def test_categorical_native_equals_the_reference():
    rng = gr.random_generator_type("rng")
    p = gt.dmatrix("p")
    q = gt.tensor(dtype="float32", shape=(None,), name="q")
    r1, a = gr.categorical(p, rng=rng, return_list=True)
    r2, b = gr.categorical(p, size=(2, 3), rng=r1, return_list=True)
    r3, c = gr.categorical(q, size=(4,), dtype="int8", rng=r2, return_list=True)
    outs = [r3, a, b, c]
    with graft.change_flags(backend_fallback="raise"):
        f = graft.function([rng, p, q], outs, mode=NUMBA)
    ref = graft.function([rng, p, q], outs, mode=PY)
    rows = np.array([[0.2, 0.0, 0.8], [1 / 3, 1 / 3, 1 / 3], [0.0, 0.0, 1.0]])
    cases = [
        (rows, np.array([0.5, 0.5], dtype="float32")),
        (np.tile(rows, (1, 2))[:, ::2], np.array([1.0], dtype="float32")),  # strided
        (rows[:1], np.array([0.1, 0.2, 0.3, 0.4], dtype="float32")),  # broadcast row
    ]
    for seed, (pv, qv) in enumerate(cases):
        got = _outcome(f, [np.random.default_rng(seed), pv, qv])
        exp = _outcome(ref, [np.random.default_rng(seed), pv, qv])
        if isinstance(exp, Exception):
            assert isinstance(got, type(exp)), (seed, got, exp)
            continue
        _same_draws(got, exp)
    # Invalid probabilities, no categories, and rows that do not broadcast to size.
    for pv, qv in [
        (np.array([[0.5, 1.5]] * 3), np.array([1.0], dtype="float32")),
        (np.array([[np.nan, 1.0]] * 3), np.array([1.0], dtype="float32")),
        (rows, np.zeros(0, dtype="float32")),
        (np.vstack([rows, rows]), np.array([1.0], dtype="float32")),
    ]:
        got = _outcome(f, [np.random.default_rng(0), pv, qv])
        exp = _outcome(ref, [np.random.default_rng(0), pv, qv])
        assert isinstance(exp, ValueError) and isinstance(got, ValueError), (pv, got, exp)
