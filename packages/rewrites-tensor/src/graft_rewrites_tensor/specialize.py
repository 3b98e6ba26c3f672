"""Specialization: replace general ops by cheaper special cases.

- ``x**2`` → ``sqr(x)``, ``x**0.5`` → ``sqrt(x)``, ``x**-1`` → ``reciprocal(x)``
  (the last two for float results only), ``x**1`` → ``x``, ``x**0`` → ones.
  ``x**-0.5`` is left alone: ``(-inf)**-0.5`` is 0, but ``1/sqrt(-inf)`` is NaN.
- ``log(sqrt(x))`` → ``0.5 * log(x)``.
- Scalar factors leave reductions: ``sum(c * x)`` → ``c * sum(x)``,
  ``sum(x / c)`` → ``sum(x) / c``, ``sum(-x)`` → ``-sum(x)``, where ``c``
  has size 1 in every dimension. One multiplication instead of one per element.
- Scalar factors leave products: ``dot(c * A, B)`` → ``c * dot(A, B)``.
- Division by a power of two is multiplication by its reciprocal: ``x / 2`` →
  ``x * 0.5``. Bit for bit the same (both round the same exact quotient), and
  a multiplication is cheaper than a division.

Factoring changes rounding (and, for extreme values, where the sum overflows:
``sum(1e-300 * [1e308, 1e308])`` is finite while ``1e-300 * sum([1e308, 1e308])``
is not), as in PyTensor. Only factors of the mul's own dtype are moved, so
integer results, which wrap, stay exact.
"""

from __future__ import annotations

from typing import Any

import numpy as np

import graft.tensor as gt
from graft.graph.basic import Apply, Variable
from graft.graph.fg import FunctionGraph
from graft.graph.rewriting.basic import NodeRewriter, node_rewriter
from graft.graph.rewriting.pattern import Rule
from graft.tensor.elemwise import CAReduce, DimShuffle
from graft.tensor.math import Dot
from graft_rewrites_tensor.utils import (
    dtype_of,
    fit,
    is_scalar_like,
    make_constant,
    n_clients,
    ndim_of,
    to_dtype,
    uniform_value,
)

__all__ = ["REWRITES"]


@node_rewriter([gt.pow])
def local_pow_specialize(fgraph: FunctionGraph | None, node: Apply) -> Any:
    """``x**c`` for a constant ``c`` in {2, 1, 0, 0.5, -1} by a cheaper op.

    Example: ``x**2`` becomes ``sqr(x)``; ``x**-1`` (float) becomes ``reciprocal(x)``.
    """
    x, e = node.inputs
    out = node.outputs[0]
    v = uniform_value(e)
    if v is None:
        return False
    dtype = dtype_of(out)
    is_float = np.dtype(dtype).kind == "f"
    xd = to_dtype(x, dtype)
    if v == 2:
        new = gt.sqr(xd)
    elif v == 1:
        new = xd
    elif v == 0:
        new = gt.second(xd, make_constant(1, dtype))
    elif v == 0.5 and is_float:
        new = gt.sqrt(xd)
    elif v == -1 and is_float:
        new = gt.reciprocal(xd)
    else:
        return False
    if dtype_of(new) != dtype:
        return False
    new = fit(new, out, [e])
    return False if new is None else [new]


local_log_sqrt = Rule(
    "local_log_sqrt",
    (gt.log, (gt.sqrt, "x")),
    lambda m, out: gt.mul(make_constant(0.5, dtype_of(out)), gt.log(to_dtype(m.x, dtype_of(out)))),
    "``log(sqrt(x))`` is ``0.5 * log(x)`` (the 0.5 in the result's float dtype, also for integer ``x``).",
    adapt=fit,
    allow_multiple_clients=True,
)


def _drop_axes(c: Variable, axes: tuple[int, ...]) -> Variable:
    """``c`` (size 1 everywhere) without the dimensions ``axes``."""
    keep = [d for d in range(ndim_of(c)) if d not in axes]
    return c if len(keep) == ndim_of(c) else DimShuffle(ndim_of(c), keep)(c)


def _split_scalars(v: Variable) -> tuple[list[Variable], list[Variable]] | None:
    """``(scalar-like factors, other factors)`` of the mul computing ``v``, all of ``v``'s dtype."""
    o = v.owner
    if o is None or o.op != gt.mul:
        return None
    dtype = dtype_of(v)
    if any(dtype_of(i) != dtype for i in o.inputs):
        return None
    scalars = [i for i in o.inputs if is_scalar_like(i)]
    others = [i for i in o.inputs if not is_scalar_like(i)]
    if not scalars or not others:
        return None
    return scalars, others


def _prod(vs: list[Variable]) -> Variable:
    return vs[0] if len(vs) == 1 else gt.mul(*vs)


@node_rewriter([CAReduce])
def local_reduce_scalar_factor(fgraph: FunctionGraph | None, node: Apply) -> Any:
    """``sum(c * x)`` is ``c * sum(x)``, ``sum(x / c)`` is ``sum(x) / c``, ``sum(-x)`` is ``-sum(x)``.

    ``c`` must have static size 1 in every dimension; the mul must be used by
    the sum alone and compute in the sum's dtype.
    """
    op: Any = node.op
    if str(op.scalar_op) != "add":
        return False
    v = node.inputs[0]
    out = node.outputs[0]
    dtype = dtype_of(out)
    if dtype_of(v) != dtype or n_clients(fgraph, v) != 1 or v.owner is None:
        return False
    axes = tuple(range(ndim_of(v))) if op.axis is None else tuple(op.axis)

    def reduce(x: Variable) -> Variable:
        return CAReduce(op.scalar_op, op.axis, dtype)(x)

    inner = v.owner
    if inner.op == gt.neg:
        new = gt.neg(reduce(inner.inputs[0]))
    elif inner.op == gt.true_div:
        a, c = inner.inputs
        if not is_scalar_like(c) or dtype_of(a) != dtype or dtype_of(c) != dtype:
            return False
        new = gt.true_div(reduce(a), _drop_axes(c, axes))
    else:
        split = _split_scalars(v)
        if split is None:
            return False
        scalars, others = split
        new = gt.mul(_drop_axes(_prod(scalars), axes), reduce(_prod(others)))
    new = fit(new, out)
    return False if new is None or dtype_of(new) != dtype else [new]


@node_rewriter([Dot])
def local_dot_scalar(fgraph: FunctionGraph | None, node: Apply) -> Any:
    """``dot(c * A, B)`` is ``c * dot(A, B)`` (either side), ``c`` of static size 1 everywhere."""
    out = node.outputs[0]
    for i, v in enumerate(node.inputs):
        split = _split_scalars(v)
        if split is None or n_clients(fgraph, v) != 1:
            continue
        scalars, others = split
        ins = list(node.inputs)
        ins[i] = _prod(others)
        c = _prod(scalars)
        c = DimShuffle(ndim_of(c), [])(c)
        new = gt.mul(c, node.op(*ins))
        if dtype_of(new) != dtype_of(out):
            continue
        new = fit(new, out)
        if new is not None:
            return [new]
    return False


@node_rewriter([gt.true_div])
def local_div_by_power_of_two(fgraph: FunctionGraph | None, node: Apply) -> Any:
    """``x / c`` is ``x * (1 / c)`` for a float constant ``c = ±2**k`` whose reciprocal is a
    normal number of the result's dtype (so ``1 / c`` is exact, and so is every product).

    Example: ``x / 2.0`` becomes ``x * 0.5``; ``x / 3.0`` stays.
    """
    x, c = node.inputs
    out = node.outputs[0]
    dtype = dtype_of(out)
    if np.dtype(dtype).kind != "f" or dtype_of(c) != dtype:
        return False
    v = uniform_value(c)
    if v is None or v == 0 or not np.isfinite(v):
        return False
    mantissa, _ = np.frexp(np.asarray(v, dtype=dtype))
    if abs(float(mantissa)) != 0.5:
        return False  # not a power of two: 1 / c would round
    with np.errstate(all="ignore"):
        inv = np.asarray(1, dtype=dtype) / np.asarray(v, dtype=dtype)
    if not np.isfinite(inv) or abs(float(inv)) < np.finfo(dtype).tiny:
        return False  # 1 / c overflows or is subnormal: not exact
    res = fit(gt.mul(x, make_constant(inv, dtype)), out, [c])
    return False if res is None else [res]


#: ``(name, rewriter, tags)`` for `graft_register_rewrites`, in the order they are tried.
REWRITES: list[tuple[str, NodeRewriter, tuple[str, ...]]] = [
    ("local_pow_specialize", local_pow_specialize, ("fast_run",)),
    ("local_log_sqrt", local_log_sqrt, ("fast_run",)),
    ("local_reduce_scalar_factor", local_reduce_scalar_factor, ("fast_run",)),
    ("local_dot_scalar", local_dot_scalar, ("fast_run",)),
    ("local_div_by_power_of_two", local_div_by_power_of_two, ("fast_run",)),
]
