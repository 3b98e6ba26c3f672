"""Stabilization: replace expressions that lose precision or overflow by stable equivalents.

Each rewrite keeps results finite wherever the mathematical value is finite:

==============================  ==================================
``log(1 + x)``                  ``log1p(x)``
``exp(x) - 1``                  ``expm1(x)``
``1 - sigmoid(x)``              ``sigmoid(-x)``
``exp(x) / (1 + exp(x))``       ``sigmoid(x)`` (``1 / (1 + exp(x))``: ``sigmoid(-x)``)
``log(1 + exp(x))``             ``softplus(x)``
``log(sigmoid(x))``             ``-softplus(-x)``
``log(1 - sigmoid(x))``         ``-softplus(x)``
``log(1 - exp(x))``             ``log1mexp(x)`` (also ``log(-expm1(x))``)
``log(exp(x))``                 ``x``
``exp(log(x))``                 ``switch(x >= 0, x, nan)``
``sqrt(x**2)``, ``sqrt(x*x)``   ``abs(x)``
``log(sum(exp(x), axis))``      ``logsumexp(x, axis)``
``exp(x) / sum(exp(x), a)``     ``softmax(x, a)`` (one axis or all)
``log(softmax(x))``             ``log_softmax(x)``
==============================  ==================================

Where ``x`` is an integer, it is first cast to the float dtype the original
expression computes in, so the result keeps the original dtype. Complex
results are left alone (their logarithms have branches: ``log(exp(z))`` is
not ``z``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

import graft.tensor as gt
from graft.graph.basic import Apply, Variable
from graft.graph.fg import FunctionGraph
from graft.graph.rewriting.basic import NodeRewriter, node_rewriter
from graft.graph.rewriting.pattern import Builder, Match, Rule
from graft.tensor.elemwise import CAReduce, DimShuffle
from graft.tensor.special import LogSoftmax, Softmax, logsumexp
from graft_rewrites_tensor.utils import (
    ADD_OPS,
    MUL_OPS,
    add_terms,
    dtype_of,
    fit,
    make_constant,
    mul_factors,
    ndim_of,
    owner_op,
    product,
    region_root,
    sum_terms,
    to_dtype,
    uniform_value,
)

__all__ = ["REWRITES"]


def _real(out: Variable) -> bool:
    """Whether ``out`` is a real float: complex values have other branches (``log(exp(z)) != z``)."""
    return np.dtype(dtype_of(out)).kind == "f"


def real_rule(name: str, pattern: Any, build: Builder, doc: str) -> Rule:
    """A `Rule` under the package's `fit` contract, applied only where the replaced
    output is a real float.

    Example::

        real_rule("local_log_exp", (gt.log, (gt.exp, "x")), lambda m, out: m.x, "...")
    """

    def guarded(m: Match, out: Variable) -> Variable | None:
        return build(m, out) if _real(out) else None

    # stabilizing is worth recomputing a shared inner node: no single-client restriction
    return Rule(name, pattern, guarded, doc, adapt=fit, allow_multiple_clients=True)


def _negate(x: Variable) -> Variable:
    """``-x``, or ``y`` when ``x`` is ``-y`` (stabilize runs after canonicalize has cancelled ``--y``)."""
    node = owner_op(x, gt.neg)
    return node.inputs[0] if node is not None else gt.neg(x)


def _like(x: Variable, ref: Variable) -> Variable:
    """``x`` in the dtype of ``ref`` (the float dtype the original op computed in)."""
    return to_dtype(x, dtype_of(ref))


# ---------------------------------------------------------------------------
# Rules written as patterns (graft.graph.rewriting.pattern)
# ---------------------------------------------------------------------------


local_log_sigmoid = real_rule(
    "local_log_sigmoid",
    (gt.log, (gt.sigmoid, "x")),
    lambda m, out: gt.neg(gt.softplus(_negate(_like(m.x, out)))),
    "``log(sigmoid(x))`` is ``-softplus(-x)``: ``log(sigmoid(-800.0)) == -800.0``.",
)

local_log_neg_expm1 = real_rule(
    "local_log_neg_expm1",
    (gt.log, (gt.neg, (gt.expm1, "x"))),
    lambda m, out: gt.log1mexp(_like(m.x, out)),
    "``log(-expm1(x))`` is ``log1mexp(x)``, accurate for ``x`` near 0 and very negative ``x``.",
)

local_log_exp = real_rule(
    "local_log_exp",
    (gt.log, (gt.exp, "x")),
    lambda m, out: m.x,
    "``log(exp(x))`` is ``x`` (finite even where ``exp(x)`` overflows).",
)


def _exp_log(m: Match, out: Variable) -> Variable:
    x = _like(m.x, out)
    nan = make_constant(np.nan, dtype_of(out))
    return gt.where_op(gt.ge(x, make_constant(0, dtype_of(out))), x, nan)


local_exp_log = real_rule(
    "local_exp_log",
    (gt.exp, (gt.log, "x")),
    _exp_log,
    "``exp(log(x))`` is ``x`` where ``x >= 0`` and NaN elsewhere, as the original.",
)

_sqrt_abs_doc = (
    "``sqrt(x**2)`` is ``abs(x)`` for float ``x`` (finite where ``x**2`` overflows; integer "
    "squares wrap, so integer ``x`` is left alone)."
)


def _abs_of_float(m: Match, out: Variable) -> Variable | None:
    return gt.abs(m.x) if dtype_of(m.x) == dtype_of(out) else None  # float x only


local_sqrt_sqr = real_rule(
    "local_sqrt_sqr", (gt.sqrt, (gt.sqr, "x")), _abs_of_float, _sqrt_abs_doc
)
local_sqrt_pow2 = real_rule(
    "local_sqrt_pow2", (gt.sqrt, (gt.pow, "x", 2)), _abs_of_float, _sqrt_abs_doc
)
local_sqrt_mul_self = real_rule(
    "local_sqrt_mul_self", (gt.sqrt, (gt.mul, "x", "x")), _abs_of_float, _sqrt_abs_doc
)


# ---------------------------------------------------------------------------
# log(1 + ...), log1p(...), exp(x) - 1
# ---------------------------------------------------------------------------


def _one_minus_or_plus(t: Variable, s: int, out: Variable) -> Variable | None:
    """``log(1 + s*t)`` for the special single terms ``t``; None for the generic ``log1p``."""
    sig = owner_op(t, gt.sigmoid)
    if s < 0 and sig is not None:
        return gt.neg(gt.softplus(_like(sig.inputs[0], t)))
    e = owner_op(t, gt.exp)
    if e is not None:
        x = _like(e.inputs[0], t)
        return gt.log1mexp(x) if s < 0 else gt.softplus(x)
    return None


@node_rewriter([gt.log])
def local_log1p(fgraph: FunctionGraph | None, node: Apply) -> Any:
    """``log(1 + x)`` is ``log1p(x)``; ``log(1 - sigmoid(x))`` is ``-softplus(x)``, ``log(1 - exp(x))``
    is ``log1mexp(x)``, ``log(1 + exp(x))`` is ``softplus(x)``.

    The argument may be any add/sub/neg expression with a constant term 1:
    ``log(x + 1 - y)`` becomes ``log1p(x - y)``.
    """
    if not _real(node.outputs[0]):
        return False
    arg = node.inputs[0]
    out = node.outputs[0]
    terms = add_terms(fgraph, arg)
    if len(terms) < 2:
        return False
    k = next((i for i, (v, s) in enumerate(terms) if uniform_value(v) == s), None)
    if k is None:
        return False
    one = terms[k][0]
    rest = terms[:k] + terms[k + 1 :]
    new = None
    if len(rest) == 1:
        new = _one_minus_or_plus(rest[0][0], rest[0][1], out)
    if new is None:
        new = gt.log1p(sum_terms(rest, dtype_of(arg)))
    new = fit(new, out, [one])
    return False if new is None else [new]


@node_rewriter([gt.log1p])
def local_log1p_special(fgraph: FunctionGraph | None, node: Apply) -> Any:
    """``log1p(-sigmoid(x))`` is ``-softplus(x)``, ``log1p(-exp(x))`` is ``log1mexp(x)``,
    ``log1p(exp(x))`` is ``softplus(x)``."""
    if not _real(node.outputs[0]):
        return False
    terms = add_terms(fgraph, node.inputs[0])
    if len(terms) != 1:
        return False
    out = node.outputs[0]
    new = _one_minus_or_plus(terms[0][0], terms[0][1], out)
    if new is None:
        return False
    new = fit(new, out)
    return False if new is None else [new]


@node_rewriter(list(ADD_OPS))
def local_expm1(fgraph: FunctionGraph | None, node: Apply) -> Any:
    """``exp(x) - 1`` is ``expm1(x)`` (and ``1 - exp(x)`` is ``-expm1(x)``), inside any sum of terms.

    Example: ``y + exp(x) - 1`` becomes ``y + expm1(x)``.
    """
    if not _real(node.outputs[0]):
        return False
    out = node.outputs[0]
    if len(node.outputs) != 1:
        return False
    clients = fgraph.clients.get(out, ()) if fgraph is not None else ()
    if len(clients) == 1 and not isinstance(clients[0][0], str):
        user = clients[0][0]
        if user.op in ADD_OPS and dtype_of(user.outputs[0]) == dtype_of(out):
            return False  # the enclosing sum handles it
    terms = add_terms(fgraph, out)
    dtype = dtype_of(out)
    for i, (t, s) in enumerate(terms):
        e = owner_op(t, gt.exp)
        if e is None or dtype_of(t) != dtype:
            continue
        j = next(
            (
                j
                for j, (c, cs) in enumerate(terms)
                if uniform_value(c) is not None and uniform_value(c) * cs == -s
            ),
            None,
        )
        if j is None:
            return False
        const = terms[j][0]
        new_terms = [(v, vs) for k, (v, vs) in enumerate(terms) if k not in (i, j)]
        new_terms.insert(min(i, j), (gt.expm1(_like(e.inputs[0], t)), s))
        new = fit(sum_terms(new_terms, dtype), out, [const])
        return False if new is None else [new]
    return False


@node_rewriter(list(ADD_OPS))
def local_one_minus_sigmoid(fgraph: FunctionGraph | None, node: Apply) -> Any:
    """``1 - sigmoid(x)`` is ``sigmoid(-x)`` (exact where ``sigmoid(x)`` rounds to 1), inside any sum.

    Example: ``y + 1 - sigmoid(x)`` becomes ``y + sigmoid(-x)``.
    """
    out = node.outputs[0]
    dtype = dtype_of(out)
    if len(node.outputs) != 1 or not _real(out) or not region_root(fgraph, out, ADD_OPS):
        return False
    terms = add_terms(fgraph, out)
    for i, (t, s) in enumerate(terms):
        sig = owner_op(t, gt.sigmoid)
        if sig is None or s > 0 or dtype_of(t) != dtype:
            continue
        j = next((j for j, (c, cs) in enumerate(terms) if uniform_value(c) == cs), None)
        if j is None:
            return False
        const = terms[j][0]
        rest = [(v, vs) for k, (v, vs) in enumerate(terms) if k not in (i, j)]
        rest.insert(min(i, j), (gt.sigmoid(_negate(_like(sig.inputs[0], t))), 1))
        res = fit(sum_terms(rest, dtype), out, [const])
        return False if res is None else [res]
    return False


def _one_plus_exp(
    fgraph: FunctionGraph | None, v: Variable, dtype: str
) -> tuple[Apply, Variable] | None:
    """``(exp node, constant 1)`` when ``v`` is ``1 + exp(y)`` computed in ``dtype``."""
    terms = add_terms(fgraph, v)
    if len(terms) != 2:
        return None
    for (c, cs), (t, ts) in (terms, terms[::-1]):
        e = owner_op(t, gt.exp)
        if ts > 0 and e is not None and dtype_of(t) == dtype and uniform_value(c) == cs:
            return e, c
    return None


@node_rewriter(list(MUL_OPS))
def local_sigmoid_from_exp(fgraph: FunctionGraph | None, node: Apply) -> Any:
    """``1 - sigmoid(x)``              ``sigmoid(-x)``
    ``exp(x) / (1 + exp(x))`` is ``sigmoid(x)``; ``1 / (1 + exp(x))`` is ``sigmoid(-x)``.

        Anywhere in a product: ``g * exp(x) / (exp(x) + 1)`` becomes
        ``g * sigmoid(x)``. Finite where ``exp(x)`` overflows.
    """
    out = node.outputs[0]
    dtype = dtype_of(out)
    if (
        len(node.outputs) != 1
        or np.dtype(dtype).kind != "f"
        or not region_root(fgraph, out, MUL_OPS)
    ):
        return False
    factors = mul_factors(fgraph, out)
    dropped: list[Variable] = []
    consumed: set[int] = set()
    sigmoids: list[tuple[Variable, int]] = []
    for k, (v, s) in enumerate(factors):
        found = _one_plus_exp(fgraph, v, dtype) if s < 0 else None
        if found is None:
            continue
        e, one = found
        dropped.append(one)
        consumed.add(k)
        y = _like(e.inputs[0], e.outputs[0])
        j = next(
            (
                j
                for j, (w, ws) in enumerate(factors)
                if ws > 0 and w is e.outputs[0] and j not in consumed
            ),
            None,
        )
        if j is None:
            sigmoids.append((gt.sigmoid(gt.neg(y)), 1))
        else:
            consumed.add(j)
            sigmoids.append((gt.sigmoid(y), 1))
    if not dropped:
        return False
    rest = [f for k, f in enumerate(factors) if k not in consumed]
    new = fit(product(rest + sigmoids, dtype), out, dropped)
    return False if new is None else [new]


# ---------------------------------------------------------------------------
# Softmax family
# ---------------------------------------------------------------------------


@node_rewriter([gt.log])
def local_log_softmax(fgraph: FunctionGraph | None, node: Apply) -> Any:
    """``log(softmax(x, axis))`` is ``log_softmax(x, axis)``: no ``log(0)`` where softmax underflows."""
    if not _real(node.outputs[0]):
        return False
    sm = node.inputs[0].owner
    if sm is None or not isinstance(sm.op, Softmax):
        return False
    new = fit(LogSoftmax(sm.op.axis)(sm.inputs[0]), node.outputs[0])
    return False if new is None else [new]


def _max_shifted(arg: Variable) -> bool:
    """Whether ``arg`` is ``x - f(max(x))``: already shifted for stability (as logsumexp builds it)."""
    node = owner_op(arg, gt.sub)
    if node is None:
        return False
    stack = [(node.inputs[1], 0)]
    while stack:
        v, depth = stack.pop()
        o = v.owner
        if o is None or depth > 6:
            continue
        if isinstance(o.op, CAReduce) and str(o.op.scalar_op) == "maximum":
            return True
        stack.extend((i, depth + 1) for i in o.inputs)
    return False


def _sum_of_exp(v: Variable) -> tuple[Any, Any, Any]:
    """``(dimshuffle or None, sum node, exp node)`` when ``v`` is ``[ds](sum(exp(x)))``."""
    ds = None
    o = v.owner
    if o is not None and isinstance(o.op, DimShuffle):
        ds, o = o, o.inputs[0].owner
    if o is None or not isinstance(o.op, CAReduce) or str(o.op.scalar_op) != "add":
        return None, None, None
    e = owner_op(o.inputs[0], gt.exp)
    if e is None or dtype_of(e.outputs[0]) != dtype_of(o.outputs[0]):
        return None, None, None
    return ds, o, e


@node_rewriter([gt.log])
def local_logsumexp(fgraph: FunctionGraph | None, node: Apply) -> Any:
    """``log(sum(exp(x), axis))`` is ``logsumexp(x, axis)`` (a dimshuffle in between is kept).

    Finite where ``exp`` overflows or every term underflows.
    """
    if not _real(node.outputs[0]):
        return False
    ds, s, e = _sum_of_exp(node.inputs[0])
    if s is None or e is None or _max_shifted(e.inputs[0]):
        return False
    x = _like(e.inputs[0], e.outputs[0])
    new: Variable = logsumexp(x, axis=s.op.axis)
    if ds is not None:
        new = ds.op(new)
    res = fit(new, node.outputs[0])
    return False if res is None else [res]


@node_rewriter([gt.true_div])
def local_softmax(fgraph: FunctionGraph | None, node: Apply) -> Any:
    """``exp(x) / sum(exp(x), axis, keepdims=True)`` is ``softmax(x, axis)`` (one axis or all).

    Finite where ``exp(x)`` overflows.
    """
    if not _real(node.outputs[0]):
        return False
    num, den = node.inputs
    e = owner_op(num, gt.exp)
    ds, s, e2 = _sum_of_exp(den)
    if e is None or s is None or e2 is not e or ds is None or _max_shifted(e.inputs[0]):
        return False
    nd = ndim_of(num)
    axes = tuple(range(nd)) if s.op.axis is None else s.op.axis
    kept = iter(range(nd - len(axes)))
    if list(ds.op.new_order) != ["x" if d in axes else next(kept) for d in range(nd)]:
        return False
    if len(axes) == 1:
        axis: int | None = axes[0]
    elif len(axes) == nd:
        axis = None
    else:
        return False
    new = fit(Softmax(axis)(_like(e.inputs[0], num)), node.outputs[0])
    return False if new is None else [new]


_STABLE = ("fast_run", "stable")

#: ``(name, rewriter, tags)`` for `graft_register_rewrites`, in the order they are tried.
REWRITES: list[tuple[str, NodeRewriter, tuple[str, ...]]] = [
    ("local_log_sigmoid", local_log_sigmoid, _STABLE),
    ("local_log1p", local_log1p, _STABLE),
    ("local_log1p_special", local_log1p_special, _STABLE),
    ("local_log_neg_expm1", local_log_neg_expm1, _STABLE),
    ("local_expm1", local_expm1, _STABLE),
    ("local_one_minus_sigmoid", local_one_minus_sigmoid, _STABLE),
    ("local_sigmoid_from_exp", local_sigmoid_from_exp, _STABLE),
    ("local_log_exp", local_log_exp, _STABLE),
    ("local_exp_log", local_exp_log, _STABLE),
    ("local_sqrt_sqr", local_sqrt_sqr, _STABLE),
    ("local_sqrt_pow2", local_sqrt_pow2, _STABLE),
    ("local_sqrt_mul_self", local_sqrt_mul_self, _STABLE),
    ("local_softmax", local_softmax, _STABLE),
    ("local_log_softmax", local_log_softmax, _STABLE),
    ("local_logsumexp", local_logsumexp, _STABLE),
]
