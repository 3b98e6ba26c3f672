"""Canonicalization: put graphs in one normal form and drop work that does nothing.

Algebra (``local_add_canonical``, ``local_mul_canonical``) flattens a region
of ``add``/``sub``/``neg`` (or ``mul``/``true_div``/``reciprocal``) nodes of
one dtype, each used only inside the region, into signed terms (factors) and
rewrites the region when it can be simplified: constants folded into one,
neutral constants dropped (``x + 0``, ``x * 1``, ``x / 1``), terms that cancel
removed (``x - x``, ``x * y / y``), double negations and nested divisions
undone. ``local_mul_distribute`` distributes a product over a sum when
every term then cancels a factor. A constant fill ``second(a, c)`` (``ones_like(a)``, what gradients
seed with) counts as the constant ``c``. Integer arithmetic wraps, and
wrapping arithmetic is associative, so folding integer constants is exact.

Caveats, as in PyTensor: cancelling ``x - x`` to ``0`` and ``x / x`` to ``1``
gives 0 and 1 where ``x`` is ``inf`` or ``nan`` (and ``x / x`` gives 1 where
``x`` is 0); the rewritten graph is finite wherever the original was. The
result still broadcasts like the original: a cancelled operand that might
have enlarged the shape is kept as ``second(operand, result)``.

Useless ops: identity `DimShuffle`, casts to the same dtype, `Reshape` to the
input's own shape, `SpecifyShape` of an already-known shape, `Alloc` of a
value that already has the shape, ``second(a, b)`` where ``a`` cannot
broadcast ``b``, ``switch`` on a constant condition or between equal
branches. Layout: nested DimShuffles merged, DimShuffles lifted through
Elemwise, nested reductions merged, reductions of a DimShuffle reduce the
input directly.
"""

from __future__ import annotations

from typing import Any

import numpy as np

import graft.tensor as gt
from graft.graph.basic import Apply, Variable
from graft.graph.fg import FunctionGraph
from graft.graph.rewriting.basic import FromFunctionNodeRewriter, node_rewriter
from graft.scalar.basic import Cast
from graft.scalar.type import all_dtypes
from graft.tensor.basic import Alloc
from graft.tensor.elemwise import CAReduce, DimShuffle, Elemwise
from graft.tensor.shape import Reshape, Shape, SpecifyShape
from graft_rewrites_tensor.utils import (
    ADD_OPS,
    MUL_OPS,
    REAL_KINDS,
    add_terms,
    combine,
    const_data,
    dtype_of,
    expand_add,
    expand_mul,
    fit,
    flatten,
    is_dim_of,
    make_constant,
    may_broadcast,
    mul_factors,
    n_clients,
    ndim_of,
    product,
    region_root,
    shape_of,
    sum_terms,
    to_dtype,
    uniform_value,
)

__all__ = ["REWRITES"]

_NEG_SUB = frozenset({gt.neg, gt.sub})
_DIV = frozenset({gt.true_div, gt.reciprocal})


def _net(
    leaves: list[tuple[Variable, int]],
) -> tuple[list[Variable], list[Variable], list[Variable]]:
    """Non-constant leaves netted by identity: (positive, negative, cancelled)."""
    order: dict[int, Variable] = {}
    count: dict[int, int] = {}
    signs: dict[int, set[int]] = {}
    for v, s in leaves:
        k = id(v)
        order.setdefault(k, v)
        count[k] = count.get(k, 0) + s
        signs.setdefault(k, set()).add(s)
    pos: list[Variable] = []
    neg: list[Variable] = []
    cancelled: list[Variable] = []
    for k, v in order.items():
        c = count[k]
        if len(signs[k]) > 1:
            cancelled.append(v)
        if c > 0:
            pos.extend([v] * c)
        elif c < 0:
            neg.extend([v] * -c)
    return pos, neg, cancelled


_SECOND_HASH = hash(gt.second)


def _const(v: Variable) -> np.ndarray:
    """The value of ``v``, already known to be a constant (see `const_data`).

    Example::

        _const(gt.constant(2.0))   # array(2.)
    """
    data = const_data(v)
    assert data is not None
    return data


def _split_fills(
    leaves: list[tuple[Variable, int]],
) -> tuple[list[tuple[Variable, int]], list[Variable]]:
    """Leaves with each constant fill ``second(a, c)`` replaced by ``c``, and the ``a``\\ s.

    ``a`` only gives the fill its shape: the caller keeps that shape through
    `fit` (a dropped operand).
    """
    out: list[tuple[Variable, int]] = []
    shapes: list[Variable] = []
    for v, s in leaves:
        o = v.owner
        if (
            o is not None
            and hash(o.op) == _SECOND_HASH
            and o.op == gt.second
            and const_data(o.inputs[1]) is not None
        ):
            out.append((o.inputs[1], s))
            shapes.append(o.inputs[0])
        else:
            out.append((v, s))
    return out, shapes


# ---------------------------------------------------------------------------
# Algebra
# ---------------------------------------------------------------------------


@node_rewriter(list(ADD_OPS))
def local_add_canonical(fgraph: FunctionGraph | None, node: Apply) -> Any:
    """Normalise an add/sub/neg region: fold constants, drop ``+ 0``, cancel ``x - x``, undo ``--x``.

    A constant fill ``second(a, c)`` counts as the constant ``c`` (``a`` only
    keeps the shape). The result is ``add(pos...) - add(neg...)`` (or ``-add(neg...)``) with at
    most one constant term. Example: ``(x + 1) - (2 - -y)`` becomes
    ``(x + -1) - y``; ``x - x`` becomes ``second(x, 0)``.
    """
    out = node.outputs[0]
    dtype = dtype_of(out)
    if len(node.outputs) != 1 or np.dtype(dtype).kind not in REAL_KINDS:
        return False
    if not region_root(fgraph, out, ADD_OPS):
        return False
    leaves, n_neg = flatten(fgraph, node, ADD_OPS, expand_add, _NEG_SUB)
    leaves, shapes = _split_fills(leaves)
    consts = [(v, s) for v, s in leaves if const_data(v) is not None]
    pos, neg, cancelled = _net([(v, s) for v, s in leaves if const_data(v) is None])
    dropped: list[Variable] = [*cancelled, *shapes]
    const_term: tuple[Variable, int] | None = None
    folded = len(consts) >= 2 or bool(shapes)
    if consts:
        with np.errstate(all="ignore"):
            if all(s < 0 for _, s in consts):
                total = sum((_const(v).astype(dtype) for v, _ in consts), np.zeros((), dtype))
                sign = -1
            else:
                total = np.zeros((), dtype)
                for v, s in consts:
                    d = _const(v).astype(dtype)
                    total = total + d if s > 0 else total - d
                sign = 1
            total = np.asarray(total).astype(dtype)
        if total.size and np.all(total == 0):
            dropped.extend(v for v, _ in consts)
            folded = True
        elif len(consts) == 1:
            const_term = consts[0]
        else:
            const_term = (make_constant(total, dtype), sign)
    # The normal form negates once at most: ``a - b`` or ``-b``.
    needed_neg = 1 if neg or (const_term is not None and const_term[1] < 0) else 0
    if not (folded or cancelled or n_neg > needed_neg):
        return False
    pos = [to_dtype(v, dtype) for v in pos]
    neg = [to_dtype(v, dtype) for v in neg]
    if const_term is not None:
        (pos if const_term[1] > 0 else neg).append(to_dtype(const_term[0], dtype))
    if pos and neg:
        new = gt.sub(combine(gt.add, pos), combine(gt.add, neg))
    elif pos:
        new = combine(gt.add, pos)
    elif neg:
        new = gt.neg(combine(gt.add, neg))
    else:
        new = make_constant(0, dtype)
    new = fit(new, out, dropped)
    return False if new is None else [new]


@node_rewriter(list(MUL_OPS))
def local_mul_canonical(fgraph: FunctionGraph | None, node: Apply) -> Any:
    """Normalise a mul/true_div/reciprocal region: fold constants, drop ``* 1``, cancel ``x * y / y``.

    A constant fill ``second(a, c)`` counts as the constant ``c`` (``a`` only
    keeps the shape: ``ones_like(a) * g`` becomes ``g``). The result is ``mul(nums...) / mul(dens...)`` (``reciprocal`` when there
    is no numerator) with at most one constant factor; a factor ``-1`` becomes
    a ``neg``. Cancelling needs a float dtype. Example: ``2 * x / (y * 4) * y``
    becomes ``x * 0.5``; ``x / x`` becomes ``second(x, 1.0)``.
    """
    out = node.outputs[0]
    dtype = dtype_of(out)
    kind = np.dtype(dtype).kind
    if len(node.outputs) != 1 or kind not in REAL_KINDS:
        return False
    if not region_root(fgraph, out, MUL_OPS):
        return False
    leaves, n_div = flatten(fgraph, node, MUL_OPS, expand_mul, _DIV)
    leaves, shapes = _split_fills(leaves)
    consts = [(v, s) for v, s in leaves if const_data(v) is not None]
    others = [(v, s) for v, s in leaves if const_data(v) is None]
    if kind == "f":
        nums, dens, cancelled = _net(others)
    else:
        if any(s < 0 for _, s in leaves):
            return False
        nums, dens, cancelled = [v for v, _ in others], [], []
    dropped: list[Variable] = [*cancelled, *shapes]
    const_term: tuple[Variable, int] | None = None
    negate = False
    changed = bool(cancelled) or bool(shapes) or len(consts) >= 2
    if consts:
        with np.errstate(all="ignore"):
            num = np.ones((), dtype)
            den = np.ones((), dtype)
            for v, s in consts:
                d = _const(v).astype(dtype)
                if s > 0:
                    num = num * d
                else:
                    den = den * d
            only_den = all(s < 0 for _, s in consts)
            total = np.asarray(den if only_den else (num / den if kind == "f" else num)).astype(
                dtype
            )
        uniform = total.size > 0 and np.all(total == total.flat[0])
        value = total.flat[0].item() if uniform else None
        if value == 1:
            dropped.extend(v for v, _ in consts)
            changed = True
        elif value == -1 and (nums or dens):
            dropped.extend(v for v, _ in consts)
            negate = changed = True
        elif len(consts) == 1:
            const_term = consts[0]
        else:
            const_term = (make_constant(total, dtype), -1 if only_den else 1)
    if not changed:
        if n_div <= (1 if dens or (const_term is not None and const_term[1] < 0) else 0):
            return False
    nums = [to_dtype(v, dtype) for v in nums]
    dens = [to_dtype(v, dtype) for v in dens]
    if const_term is not None:
        (nums if const_term[1] > 0 else dens).append(to_dtype(const_term[0], dtype))
    if nums and dens:
        new = gt.true_div(combine(gt.mul, nums), combine(gt.mul, dens))
    elif nums:
        new = combine(gt.mul, nums)
    elif dens:
        new = gt.reciprocal(combine(gt.mul, dens))
    else:
        new = make_constant(-1 if negate else 1, dtype)
        negate = False
    if negate:
        new = gt.neg(new)
    new = fit(new, out, dropped)
    return False if new is None else [new]


def _cancel(
    factors: list[tuple[Variable, int]],
) -> tuple[list[tuple[Variable, int]], list[Variable]]:
    """Factors with each numerator/denominator pair of one variable removed, and those variables."""
    pos, neg, cancelled = _net(factors)
    return [(v, 1) for v in pos] + [(v, -1) for v in neg], cancelled


#: Sums with more terms are not distributed over (each term becomes a product).
MAX_DISTRIBUTED_TERMS = 8


@node_rewriter(list(MUL_OPS))
def local_mul_distribute(fgraph: FunctionGraph | None, node: Apply) -> Any:
    """``(a / x - b / y) * x * y`` is ``a * y - b * x``: distribute a product over a sum when
    every term of the sum then cancels a factor.

    This is what makes gradients through ``log(p)`` and ``log(1 - p)`` stable:
    ``(y / p - (1 - y) / (1 - p)) * p * (1 - p)`` (0/0 where ``p`` is 0 or 1)
    becomes ``y * (1 - p) - (1 - y) * p``. Float results only; the sum must
    have no other user. Same caveat as cancelling ``x / x``.
    """
    out = node.outputs[0]
    dtype = dtype_of(out)
    if (
        len(node.outputs) != 1
        or np.dtype(dtype).kind != "f"
        or not region_root(fgraph, out, MUL_OPS)
    ):
        return False
    leaves, _ = flatten(fgraph, node, MUL_OPS, expand_mul)
    for k, (a, s) in enumerate(leaves):
        o = a.owner
        if s < 0 or o is None or o.op not in ADD_OPS or dtype_of(a) != dtype:
            continue
        if n_clients(fgraph, a) != 1:
            continue
        terms = add_terms(fgraph, a)
        if not 2 <= len(terms) <= MAX_DISTRIBUTED_TERMS:
            continue
        others = leaves[:k] + leaves[k + 1 :]
        new_terms: list[tuple[Variable, int]] = []
        dropped: list[Variable] = []
        for t, ts in terms:
            merged, cancelled = _cancel(mul_factors(fgraph, t) + others)
            if not cancelled:
                break
            new_terms.append((product(merged, dtype), ts))
            dropped.extend(cancelled)
        else:
            res = fit(sum_terms(new_terms, dtype), out, dropped)
            return False if res is None else [res]
    return False


# ---------------------------------------------------------------------------
# Useless ops
# ---------------------------------------------------------------------------


@node_rewriter([DimShuffle])
def local_useless_dimshuffle(fgraph: FunctionGraph | None, node: Apply) -> Any:
    """``x.dimshuffle(0, 1, ..., n-1)`` is ``x``."""
    op: Any = node.op
    if op.new_order == tuple(range(op.input_ndim)):
        return [node.inputs[0]]
    return False


CAST_OPS = [Elemwise(Cast(d)) for d in all_dtypes]


@node_rewriter(CAST_OPS)
def local_useless_cast(fgraph: FunctionGraph | None, node: Apply) -> Any:
    """``cast(x, x.dtype)`` is ``x``."""
    x = node.inputs[0]
    if dtype_of(x) == dtype_of(node.outputs[0]):
        new = fit(x, node.outputs[0])
        return False if new is None else [new]
    return False


def _same_shape_entries(x: Variable, entries: list[Variable]) -> bool:
    """Whether ``entries`` (one per dimension, at most one -1) give exactly the shape of ``x``."""
    if len(entries) != ndim_of(x):
        return False
    unknown = [i for i, e in enumerate(entries) if not is_dim_of(e, x, i)]
    if not unknown:
        return True
    return len(unknown) == 1 and uniform_value(entries[unknown[0]]) == -1


@node_rewriter([Reshape])
def local_useless_reshape(fgraph: FunctionGraph | None, node: Apply) -> Any:
    """``reshape(x, shape)`` is ``x`` when ``shape`` is ``x``'s own (or ``x`` and the result are vectors).

    Example: ``reshape(x, x.shape)``, ``reshape(m, (m.shape[0], -1))``.
    """
    x, shp = node.inputs
    out = node.outputs[0]
    same = ndim_of(x) == ndim_of(out) == 1
    if not same and ndim_of(x) == ndim_of(out):
        so = shp.owner
        if so is not None and isinstance(so.op, Shape) and so.inputs[0] is x:
            same = True
        elif so is not None and type(so.op).__name__ == "MakeVector":
            same = _same_shape_entries(x, list(so.inputs))
        else:
            data = const_data(shp)
            if data is not None:
                same = _same_shape_entries(x, [make_constant(v, "int64") for v in data.tolist()])
    if not same:
        return False
    new = fit(x, out)
    return False if new is None else [new]


@node_rewriter([Reshape])
def local_reshape_reshape(fgraph: FunctionGraph | None, node: Apply) -> Any:
    """``reshape(reshape(x, s1), s2)`` is ``reshape(x, s2)``."""
    inner, shp = node.inputs
    o = inner.owner
    if o is None or not isinstance(o.op, Reshape):
        return False
    res = fit(node.op.make_node(o.inputs[0], shp).outputs[0], node.outputs[0])
    return False if res is None else [res]


@node_rewriter([SpecifyShape])
def local_useless_specify_shape(fgraph: FunctionGraph | None, node: Apply) -> Any:
    """``specify_shape(x, shape)`` is ``x`` when ``x``'s static shape already says so."""
    x = node.inputs[0]
    op: Any = node.op
    if all(s is None or s == k for s, k in zip(op.shape, shape_of(x))):
        return [x]
    return False


@node_rewriter([Alloc])
def local_useless_alloc(fgraph: FunctionGraph | None, node: Apply) -> Any:
    """``alloc(v, *shape)`` is ``v`` when ``v`` already has that shape (entries ``v.shape[i]`` or its static sizes)."""
    v, *shape = node.inputs
    if ndim_of(v) != len(shape) or not all(is_dim_of(s, v, i) for i, s in enumerate(shape)):
        return False
    new = fit(v, node.outputs[0])
    return False if new is None else [new]


@node_rewriter([gt.second])
def local_useless_fill(fgraph: FunctionGraph | None, node: Apply) -> Any:
    """``second(a, b)`` (``fill``) is ``b`` when ``a`` cannot broadcast ``b`` to a larger shape.

    ``a``'s sizes must still match ``b``'s: that check stays (see `fit`).
    """
    a, b = node.inputs
    out = node.outputs[0]
    if may_broadcast(a, b, ndim_of(out)):
        return False
    new = fit(b, out, [a])
    return False if new is None else [new]


def _is_switch(node: Apply) -> bool:
    op = node.op
    return isinstance(op, Elemwise) and type(op.scalar_op).__name__ == "Switch"


@node_rewriter([Elemwise])
def local_useless_switch(fgraph: FunctionGraph | None, node: Apply) -> Any:
    """``switch(c, a, b)`` is ``a`` (``b``) when ``c`` is a constant that is everywhere true
    (false), and ``a`` when ``a`` and ``b`` are the same variable.

    The result keeps the shape ``c`` and the dropped branch would have given it.
    """
    if not _is_switch(node) or node.op.inplace_pattern:  # type: ignore[attr-defined]
        return False
    c, a, b = node.inputs
    out = node.outputs[0]
    if a is b:
        new = fit(a, out, [c])
        return False if new is None else [new]
    data = const_data(c)
    if data is None or data.size == 0:
        return False
    if np.all(data):
        new = fit(a, out, [c, b])
    elif not np.any(data):
        new = fit(b, out, [c, a])
    else:
        return False
    return False if new is None else [new]


# ---------------------------------------------------------------------------
# DimShuffle merging and lifting
# ---------------------------------------------------------------------------


def _compose(inner: tuple[Any, ...], outer: tuple[Any, ...]) -> list[Any]:
    return ["x" if o == "x" else inner[o] for o in outer]


@node_rewriter([DimShuffle])
def local_dimshuffle_dimshuffle(fgraph: FunctionGraph | None, node: Apply) -> Any:
    """``x.dimshuffle(a).dimshuffle(b)`` is one dimshuffle of ``x`` (or ``x`` itself).

    Example: ``x.T.T`` becomes ``x``.
    """
    inner = node.inputs[0].owner
    if (
        inner is None
        or not isinstance(inner.op, DimShuffle)
        or not isinstance(node.op, DimShuffle)
    ):
        return False
    x = inner.inputs[0]
    order = _compose(inner.op.new_order, node.op.new_order)
    if order == list(range(ndim_of(x))):
        return [x]
    return [DimShuffle(ndim_of(x), order)(x)]


@node_rewriter([DimShuffle])
def local_dimshuffle_lift(fgraph: FunctionGraph | None, node: Apply) -> Any:
    """``elemwise(x, y).dimshuffle(o)`` becomes ``elemwise(x.dimshuffle(o), y.dimshuffle(o))``.

    Only when the elemwise result is used by this dimshuffle alone, so no work
    is repeated. Pushing dimshuffles to the inputs lets them merge and vanish.
    """
    inner = node.inputs[0]
    e = inner.owner
    if (
        e is None
        or not isinstance(e.op, Elemwise)
        or e.op.inplace_pattern
        or len(e.outputs) != 1
        or n_clients(fgraph, inner) != 1
    ):
        return False
    op: Any = node.op
    ins = [DimShuffle(ndim_of(i), op.new_order)(i) for i in e.inputs]
    res = fit(e.op.make_node(*ins).outputs[0], node.outputs[0])
    return False if res is None else [res]


# ---------------------------------------------------------------------------
# Reductions
# ---------------------------------------------------------------------------

_REORDERABLE = frozenset({"add", "mul", "maximum", "minimum", "and_", "or_"})


def _axes(op: Any, ndim: int) -> tuple[int, ...]:
    """The axes a `CAReduce` op reduces, for an input of rank ``ndim``."""
    return tuple(range(ndim)) if op.axis is None else tuple(op.axis)


@node_rewriter([CAReduce])
def local_reduce_reduce(fgraph: FunctionGraph | None, node: Apply) -> Any:
    """``sum(sum(x, a), b)`` is one ``sum`` of ``x`` over both sets of axes (also prod, max, min, all, any).

    Only when both reductions have the same op and output dtype, and the inner
    one has no other user.
    """
    inner = node.inputs[0]
    o = inner.owner
    out = node.outputs[0]
    op: Any = node.op
    if (
        o is None
        or not isinstance(o.op, CAReduce)
        or o.op.scalar_op != op.scalar_op
        or str(op.scalar_op) not in _REORDERABLE
        or dtype_of(inner) != dtype_of(out)
        or n_clients(fgraph, inner) != 1
    ):
        return False
    x = o.inputs[0]
    first = _axes(o.op, ndim_of(x))
    rest = [d for d in range(ndim_of(x)) if d not in first]
    second_axes = [rest[j] for j in _axes(op, ndim_of(inner))]
    axes = tuple(sorted({*first, *second_axes}))
    axis = None if len(axes) == ndim_of(x) else axes
    res = fit(CAReduce(op.scalar_op, axis, dtype_of(out))(x), out)
    return False if res is None else [res]


@node_rewriter([CAReduce])
def local_reduce_dimshuffle(fgraph: FunctionGraph | None, node: Apply) -> Any:
    """``sum(x.dimshuffle(o), a)`` is ``sum(x, a')`` (then a dimshuffle of the result).

    Reducing over a permuted (or padded) array reduces the matching axes of
    the array itself; reducing a padded axis of size 1 is the identity.
    Example: ``sum(x.T, axis=0)`` becomes ``sum(x, axis=1)``.
    """
    ds = node.inputs[0].owner
    op: Any = node.op
    if ds is None or not isinstance(ds.op, DimShuffle) or str(op.scalar_op) not in _REORDERABLE:
        return False
    x = ds.inputs[0]
    order: tuple[Any, ...] = ds.op.new_order
    red = set(_axes(op, len(order)))
    in_axes: set[int] = {int(o) for p, o in enumerate(order) if p in red and o != "x"}
    in_axes |= set(ds.op.drop)
    kept_in = [d for d in range(ndim_of(x)) if d not in in_axes]
    after: list[Any] = [
        "x" if order[p] == "x" else kept_in.index(int(order[p]))
        for p in range(len(order))
        if p not in red
    ]
    out = node.outputs[0]
    if in_axes:
        axis = None if len(in_axes) == ndim_of(x) else tuple(sorted(in_axes))
        reduced: Variable = CAReduce(op.scalar_op, axis, dtype_of(out))(x)
    else:
        reduced = to_dtype(x, dtype_of(out)) if str(op.scalar_op) in ("add", "mul") else x
        if dtype_of(reduced) != dtype_of(out):
            return False
    if after != list(range(ndim_of(reduced))):
        reduced = DimShuffle(ndim_of(reduced), after)(reduced)
    res = fit(reduced, out)
    return False if res is None else [res]


#: ``(name, rewriter, tags)`` for `graft_register_rewrites`, in the order they are tried.
REWRITES: list[tuple[str, FromFunctionNodeRewriter, tuple[str, ...]]] = [
    (
        "local_useless_dimshuffle",
        local_useless_dimshuffle,
        ("fast_run", "fast_compile", "useless"),
    ),
    (
        "local_dimshuffle_dimshuffle",
        local_dimshuffle_dimshuffle,
        ("fast_run", "fast_compile", "shape"),
    ),
    ("local_useless_cast", local_useless_cast, ("fast_run", "fast_compile", "useless")),
    ("local_useless_reshape", local_useless_reshape, ("fast_run", "fast_compile", "useless")),
    ("local_reshape_reshape", local_reshape_reshape, ("fast_run", "fast_compile", "shape")),
    (
        "local_useless_specify_shape",
        local_useless_specify_shape,
        ("fast_run", "fast_compile", "useless"),
    ),
    ("local_useless_alloc", local_useless_alloc, ("fast_run", "fast_compile", "useless")),
    ("local_useless_fill", local_useless_fill, ("fast_run", "fast_compile", "useless")),
    ("local_useless_switch", local_useless_switch, ("fast_run", "fast_compile", "useless")),
    ("local_add_canonical", local_add_canonical, ("fast_run", "algebra")),
    ("local_mul_canonical", local_mul_canonical, ("fast_run", "algebra")),
    ("local_mul_distribute", local_mul_distribute, ("fast_run", "algebra")),
    ("local_dimshuffle_lift", local_dimshuffle_lift, ("fast_run", "shape")),
    ("local_reduce_reduce", local_reduce_reduce, ("fast_run", "reduce")),
    ("local_reduce_dimshuffle", local_reduce_dimshuffle, ("fast_run", "reduce")),
]
