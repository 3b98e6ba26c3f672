"""Helpers shared by the core tests: a ``perform``-only evaluator and tensor-op checks.

The evaluator runs each node's ``perform`` in topological order (no rewrites, no
backend), so the scalar and tensor op tests check an op's own Python implementation.
The ``check_*`` helpers compare a tensor op's values, static shapes, ``infer_shape``
and gradients against what NumPy computes. They import ``graft.tensor`` when called,
so that the scalar tests, which use only ``evaluate``, do not load it. ``HSET`` is the
Hypothesis profile of the tensor property tests.
"""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, settings

from graft.graph.basic import Constant, Variable, io_toposort

#: Hypothesis settings for the tensor op property tests: no deadline, slow generation allowed.
HSET = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def evaluate(outputs, givens):
    """A tiny evaluator: toposort and call each node's perform."""
    values = dict(givens)
    for node in io_toposort(list(givens), outputs):
        ins = [v.data if isinstance(v, Constant) else values[v] for v in node.inputs]
        storage = [[None] for _ in node.outputs]
        node.op.perform(node, ins, storage)
        for o, s in zip(node.outputs, storage):
            values[o] = s[0]
    return [o.data if isinstance(o, Constant) else values[o] for o in outputs]


def ev(out, givens=None):
    """The value of one output."""
    return evaluate([out], givens or {})[0]


def sym(value, static=False, name=None):
    """A symbolic tensor for ``value``: unknown sizes (but size-1 dims) unless ``static``."""
    import graft.tensor as gt

    value = np.asarray(value)
    shape = value.shape if static else tuple(1 if s == 1 else None for s in value.shape)
    return gt.tensor(dtype=value.dtype, shape=shape, name=name)


def check_static(var, value):
    """``var``'s static shape has ``value``'s rank and agrees with it where it is known."""
    shape = var.type.shape
    assert len(shape) == np.ndim(value), (shape, np.shape(value))
    for s, a in zip(shape, np.shape(value)):
        assert s is None or s == a, (shape, np.shape(value))


def check_infer_shape(out, givens):
    """``infer_shape`` of ``out``'s node, with int and with symbolic input shapes."""
    import graft.tensor as gt

    node = out.owner
    in_vals = evaluate(node.inputs, givens)
    actual = [np.shape(v) for v in evaluate(node.outputs, givens)]
    int_shapes = [tuple(int(s) for s in np.shape(v)) for v in in_vals]
    _compare_shapes(node.op.infer_shape(None, node, int_shapes), actual, givens)
    syms = [tuple(gt.lscalar() for _ in s) for s in int_shapes]
    g2 = dict(givens)
    for ss, vs in zip(syms, int_shapes):
        g2.update({s: np.int64(v) for s, v in zip(ss, vs)})
    _compare_shapes(node.op.infer_shape(None, node, syms), actual, g2)


def _compare_shapes(shapes, actual, givens):
    assert len(shapes) == len(actual), (shapes, actual)
    for shp, a in zip(shapes, actual):
        got = tuple(int(ev(s, givens)) if isinstance(s, Variable) else int(s) for s in shp)
        assert got == a, (got, a)


def check_all(out, givens, expected, *, allow_no_node=False):
    """Value and dtype of ``out`` against ``expected``, its static shape, its ``infer_shape``.

    ``out`` must be the output of a node (whose ``infer_shape`` is checked) unless
    ``allow_no_node``: then an ``out`` without one (e.g. an input returned as is)
    skips the ``infer_shape`` check.
    """
    got = ev(out, givens)
    expected = np.asarray(expected)
    assert got.dtype == expected.dtype, (got.dtype, expected.dtype)
    np.testing.assert_array_equal(got, expected)
    check_static(out, got)
    if out.owner is None:
        assert allow_no_node, f"{out} is not the output of a node"
    else:
        check_infer_shape(out, givens)
    return got


def check_grad(build, values, eps=1e-6, tol=1e-6, *, rng):
    """Symbolic gradients of ``sum(w * build(*inputs))`` vs central differences.

    ``w`` is drawn from ``rng`` (a ``numpy.random.Generator``).
    """
    import graft.tensor as gt
    from graft.gradient import grad

    values = [np.asarray(v, dtype="float64") for v in values]
    xs = [sym(v) for v in values]
    out = build(*xs)
    givens = dict(zip(xs, values))
    w = rng.standard_normal(np.shape(ev(out, givens)))
    cost = (out * gt.constant(w)).sum()
    grads = evaluate(grad(cost, xs), givens)

    def f(*vals):
        return float(ev(cost, dict(zip(xs, vals))))

    for i, v in enumerate(values):
        num = np.zeros_like(v)
        for k in range(v.size):
            up, down = [a.copy() for a in values], [a.copy() for a in values]
            up[i].flat[k] += eps
            down[i].flat[k] -= eps
            num.flat[k] = (f(*up) - f(*down)) / (2 * eps)
        np.testing.assert_allclose(grads[i], num, rtol=tol, atol=tol)
