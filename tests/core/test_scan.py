"""graft.scan: the usual loops against NumPy, their gradients against finite differences."""

from __future__ import annotations

import numpy as np
import pytest

import graft
import graft.tensor as gt
from graft.compile.mode import Mode
from graft.scan import Scan, scan
from graft.testing import verify_grad

RNG = np.random.default_rng(42)
MODES = ["FAST_RUN", "FAST_COMPILE", Mode(linker="py", optimizer=None)]


def fn(inputs, outputs, mode="FAST_RUN", **kw):
    return graft.function(inputs, outputs, mode=mode, **kw)


# -- the usual examples -------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("dtype", ["float64", "float32", "int64"])
def test_cumulative_sum(mode, dtype):
    x = gt.vector("x", dtype=dtype)
    s0 = gt.scalar("s0", dtype=dtype)
    out, upd = scan(lambda xt, acc: acc + xt, sequences=x, outputs_info=s0)
    assert upd == {}
    f = fn([x, s0], out, mode)
    for xv in [np.arange(7).astype(dtype), np.array([], dtype), np.arange(10).astype(dtype)[::3]]:
        res = f(xv, np.asarray(2, dtype))
        np.testing.assert_allclose(res, 2 + np.cumsum(xv), rtol=1e-6)
        assert res.dtype == dtype and res.shape == xv.shape


def test_cumulative_sum_grad():
    verify_grad(
        lambda x, s: scan(lambda xt, acc: acc + xt * acc, sequences=x, outputs_info=s)[0],
        [RNG.uniform(-1, 1, 6), np.asarray(0.7)],
        rng=RNG,
    )


@pytest.mark.parametrize("mode", MODES[:2])
def test_matrix_power(mode):
    A = gt.dmatrix("A")
    k = gt.lscalar("k")
    powers, _ = scan(lambda P, A: gt.dot(P, A), outputs_info=gt.eye(3), non_sequences=A, n_steps=k)
    f = fn([A, k], powers[-1], mode)
    Av = RNG.normal(size=(3, 3))
    np.testing.assert_allclose(f(Av, 5), np.linalg.matrix_power(Av, 5), rtol=1e-10)
    verify_grad(
        lambda A: scan(lambda P, A: gt.dot(P, A), outputs_info=A, non_sequences=A, n_steps=4)[0][
            -1
        ],
        [Av],
        rng=RNG,
    )


def test_polynomial():
    coeffs = gt.dvector("c")
    x = gt.dscalar("x")
    terms, _ = scan(
        lambda c, p, x: c * x**p,
        sequences=[coeffs, gt.arange(1000, dtype="float64")],
        non_sequences=x,
    )
    poly = terms.sum()
    cv = RNG.normal(size=5)
    np.testing.assert_allclose(fn([coeffs, x], poly)(cv, 1.3), np.polyval(cv[::-1], 1.3))
    verify_grad(
        lambda c, x: scan(
            lambda c, p, x: c * x**p,
            sequences=[c, gt.arange(1000, dtype="float64")],
            non_sequences=x,
        )[0].sum(),
        [cv, np.asarray(1.3)],
        rng=RNG,
    )


def _rnn(X, W, U, b, h0):
    out, _ = scan(
        lambda x, h, W, U, b: gt.tanh(gt.dot(W, h) + gt.dot(U, x) + b),
        sequences=X,
        outputs_info=h0,
        non_sequences=[W, U, b],
    )
    return out


def test_rnn_forward_and_grad():
    X = RNG.normal(size=(7, 3))
    W, U = RNG.normal(size=(4, 4)) * 0.5, RNG.normal(size=(4, 3)) * 0.5
    b, h0 = RNG.normal(size=4), RNG.normal(size=4)
    syms = [gt.dmatrix(), gt.dmatrix(), gt.dmatrix(), gt.dvector(), gt.dvector()]
    res = fn(syms, _rnn(*syms))(X, W, U, b, h0)
    h, expect = h0, []
    for x in X:
        h = np.tanh(W @ h + U @ x + b)
        expect.append(h)
    np.testing.assert_allclose(res, np.array(expect), rtol=1e-12)
    verify_grad(_rnn, [X, W, U, b, h0], rng=RNG)


def test_newton_sqrt():
    a = gt.dscalar("a")
    xs, _ = scan(lambda x, a: 0.5 * (x + a / x), outputs_info=a, non_sequences=a, n_steps=8)
    root = xs[-1]
    f = fn([a], [root, gt.grad(root, a)])
    r, g = f(2.5)
    np.testing.assert_allclose(r, np.sqrt(2.5))
    np.testing.assert_allclose(g, 0.5 / np.sqrt(2.5), rtol=1e-8)


def _ar1_logp(y, rho, sigma):
    terms, _ = scan(
        lambda y_prev, y_t, rho, sigma: (
            -0.5 * ((y_t - rho * y_prev) / sigma) ** 2 - gt.log(sigma) - 0.5 * np.log(2 * np.pi)
        ),
        sequences=dict(input=y, taps=[-1, 0]),
        non_sequences=[rho, sigma],
    )
    return terms.sum()


def test_ar1_log_likelihood():
    y = RNG.normal(size=50).cumsum() * 0.1
    rho, sigma = 0.8, 0.6
    ys, r, s = gt.dvector(), gt.dscalar(), gt.dscalar()
    lp = fn([ys, r, s], _ar1_logp(ys, r, s))(y, rho, sigma)
    resid = y[1:] - rho * y[:-1]
    expect = np.sum(-0.5 * (resid / sigma) ** 2 - np.log(sigma) - 0.5 * np.log(2 * np.pi))
    np.testing.assert_allclose(lp, expect, rtol=1e-12)
    verify_grad(_ar1_logp, [y, np.asarray(rho), np.asarray(sigma)], rng=RNG)


# -- taps, several outputs, directions, updates -----------------------------


def test_taps_and_several_outputs():
    x = gt.dvector("x")
    a = gt.dvector("a")

    def step(xm1, xp1, s2, s1):
        return s2 + s1 + xm1, xp1 * 2

    (fib, doubled), _ = scan(
        step,
        sequences=dict(input=x, taps=[-1, 1]),
        outputs_info=[dict(initial=a, taps=[-2, -1]), None],
    )
    xv, av = RNG.normal(size=8), np.array([0.5, 1.5])
    f_res, d_res = fn([x, a], [fib, doubled])(xv, av)
    s = list(av)
    for t in range(6):
        s.append(s[-2] + s[-1] + xv[t])
    np.testing.assert_allclose(f_res, s[2:])
    np.testing.assert_allclose(d_res, 2 * xv[2:])
    verify_grad(
        lambda x, a: scan(
            step,
            sequences=dict(input=x, taps=[-1, 1]),
            outputs_info=[dict(initial=a, taps=[-2, -1]), None],
        )[0][0],
        [xv, av],
        rng=RNG,
    )


def test_go_backwards_and_truncate():
    x = gt.dvector("x")
    out, _ = scan(
        lambda xt, acc: acc * 0.5 + xt,
        sequences=x,
        outputs_info=gt.constant(0.0),
        go_backwards=True,
    )
    xv = RNG.normal(size=5)
    acc, expect = 0.0, []
    for v in xv[::-1]:
        acc = acc * 0.5 + v
        expect.append(acc)
    np.testing.assert_allclose(fn([x], out)(xv), expect)
    # truncate_gradient=2: only the last two steps pass gradients back.
    tr, _ = scan(
        lambda xt, acc: acc * 0.5 + xt,
        sequences=x,
        outputs_info=gt.constant(0.0),
        truncate_gradient=2,
    )
    g = fn([x], gt.grad(tr[-1], x))(xv)
    np.testing.assert_allclose(g, [0, 0, 0, 0.5, 1.0])


def test_shared_updates_inside_the_loop():
    count = graft.shared(np.float64(0.0), name="count")
    x = gt.dvector("x")
    out, upd = scan(lambda xt: (xt + count, {count: count + 1}), sequences=x)
    assert list(upd) == [count]
    f = fn([x], out, updates=upd)
    np.testing.assert_allclose(f(np.zeros(3)), [0, 1, 2])
    np.testing.assert_allclose(f(np.zeros(2)), [3, 4])
    assert count.get_value() == 5
    with pytest.raises(ValueError, match="return_updates=True"):
        scan(lambda xt: (xt + count, {count: count + 1}), sequences=x, return_updates=False)


def test_free_variables_become_non_sequences():
    x = gt.dvector("x")
    w = gt.dscalar("w")
    outer = gt.exp(w)  # computed outside the loop, read inside
    out, _ = scan(lambda xt: xt * outer + w, sequences=x)
    node = out.owner
    assert isinstance(node.op, Scan) and node.op.info.n_nonseqs == 2
    np.testing.assert_allclose(
        fn([x, w], out)(np.arange(3.0), 0.5), np.arange(3) * np.exp(0.5) + 0.5
    )
    with pytest.raises(ValueError, match="strict=True"):
        scan(lambda xt: xt * w, sequences=x, strict=True)


def test_zero_steps():
    x = gt.dvector("x")
    s0 = gt.dscalar("s0")
    out, _ = scan(lambda xt, acc: acc + xt, sequences=x, outputs_info=s0)
    f = fn([x, s0], [out, gt.grad(out.sum(), s0)])
    h, g = f(np.array([]), 1.0)
    assert h.shape == (0,) and g == 0


def test_long_scan_and_gradient():
    x = gt.dvector("x")
    out, _ = scan(lambda xt, acc: 0.999 * acc + xt, sequences=x, outputs_info=gt.constant(0.0))
    f = fn([x], [out[-1], gt.grad(out[-1], x)])
    xv = RNG.normal(size=10_000)
    last, g = f(xv)
    np.testing.assert_allclose(g, 0.999 ** np.arange(9999, -1, -1), rtol=1e-10)
    np.testing.assert_allclose(last, np.sum(xv * g), rtol=1e-9)


def test_second_derivative():
    a = gt.dscalar("a")
    xs, _ = scan(lambda x, a: x * a, outputs_info=gt.constant(1.0), non_sequences=a, n_steps=4)
    g = gt.grad(xs[-1], a)
    h = gt.grad(g, a)
    np.testing.assert_allclose(fn([a], [g, h])(1.5), [4 * 1.5**3, 12 * 1.5**2])


# -- bad input ---------------------------------------------------------------


def test_state_that_changes_shape_raises():
    x = gt.dvector("x")
    out, _ = scan(lambda acc: gt.concatenate([acc, acc]), outputs_info=x, n_steps=3)
    with pytest.raises(ValueError, match="state 0 must keep the shape"):
        fn([x], out)(np.ones(2))


def test_outputs_info_dtype_mismatch():
    x = gt.dvector("x")
    with pytest.raises(TypeError, match=r"outputs_info\[0\]"):
        scan(lambda xt, acc: acc + xt, sequences=x, outputs_info=gt.fscalar())


def test_bad_arguments():
    x = gt.dvector("x")
    with pytest.raises(ValueError, match="2 output"):
        scan(lambda xt, acc: (acc, acc), sequences=x, outputs_info=[gt.dscalar()])
    with pytest.raises(TypeError, match="n_steps must be an integer"):
        scan(lambda acc: acc, outputs_info=gt.dscalar(), n_steps=gt.dscalar())
    with pytest.raises(ValueError, match="at least one dimension"):
        scan(lambda xt: xt, sequences=gt.dscalar())
    with pytest.raises(ValueError, match="give n_steps"):
        scan(lambda acc: acc, outputs_info=gt.dscalar())
    out, _ = scan(lambda xt: xt * 2, sequences=x, n_steps=5)
    with pytest.raises(ValueError, match="fewer than n_steps"):
        fn([x], out)(np.ones(3))


def test_dprint_shows_the_body():
    import io

    x = gt.dvector("x")
    out, _ = scan(lambda xt: gt.exp(xt) * 2, sequences=x, name="doubler")
    buf = io.StringIO()
    graft.dprint(out, file=buf)
    text = buf.getvalue()
    assert "Scan{doubler}" in text and "Inner graphs" in text and "exp" in text


def test_compiled_scan_pickles():
    import pickle

    x = gt.dvector("x")
    out, _ = scan(lambda xt, acc: acc + xt, sequences=x, outputs_info=gt.constant(0.0))
    f = graft.function([x], out)
    g = pickle.loads(pickle.dumps(f))
    np.testing.assert_allclose(g(np.arange(4.0)), np.cumsum(np.arange(4.0)))


def test_random_streams_inside_the_loop():
    from graft.tensor.random import RandomStream

    def walk(seed):
        srng = RandomStream(seed=seed)
        mu = gt.dscalar("mu")
        steps, upd = scan(
            lambda prev, mu: prev + srng.normal(mu, 1.0),
            outputs_info=gt.constant(0.0),
            non_sequences=mu,
            n_steps=2000,
        )
        return graft.function([mu], steps, updates=upd), steps, mu

    f, steps, mu = walk(5)
    a, b = f(0.5), f(0.5)
    inc = np.diff(a, prepend=0.0)
    assert len(np.unique(inc)) == inc.size  # a fresh draw every step
    assert not np.allclose(a, b)  # and on every call
    assert abs(inc.mean() - 0.5) < 4 / np.sqrt(inc.size) and abs(inc.std() - 1) < 0.1
    np.testing.assert_array_equal(walk(5)[0](0.5), a)  # a seed reproduces the draws
    with pytest.raises(NotImplementedError, match="random"):
        gt.grad(steps[-1], mu)
    # Without the updates passed, the stream's default update still advances it.
    _, steps2, mu2 = walk(5)
    g = graft.function([mu2], steps2)
    c, d = g(0.5), g(0.5)
    np.testing.assert_array_equal(c, a)
    assert not np.allclose(c, d)


def test_ifelse_in_the_body_is_lazy_per_step():
    from graft.raise_op import CheckAndRaise

    x = gt.dvector("x")
    # The untaken branch would raise: it must not run on the steps that do not take it.
    boom = CheckAndRaise(RuntimeError, "evaluated the untaken branch")
    out, _ = scan(
        lambda xt: graft.ifelse(xt > 0, xt * 2, boom(xt, gt.lt(xt, -100))),
        sequences=x,
    )
    for mode in MODES:
        np.testing.assert_allclose(fn([x], out, mode)(np.array([1.0, 2.0])), [2.0, 4.0])
