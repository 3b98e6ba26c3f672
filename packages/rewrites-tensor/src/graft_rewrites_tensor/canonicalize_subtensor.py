"""Canonicalization of basic indexing, fills and allocs, like terms and negations.

* ``local_useless_subtensor``: ``x[:]``, ``x[0:n]`` (``n`` the static length
  or ``x.shape[i]``) on every dimension indexed is ``x``.
* ``local_subtensor_merge``: ``x[a:b:c][d:e:f]`` is one `Subtensor`. Positive
  constant steps merge with any (constant or symbolic) bounds; negative steps
  merge only where the sliced dimension has a static size (the composition is
  then computed with Python ranges, exactly). An int applied to a slice merges
  only where the sliced length is static and the int is in range.
* ``local_subtensor_of_alloc``: ``alloc(v, *shape)[idx]`` with a 0-d ``v`` is
  ``alloc(v, *indexed shape)``; ``second(x, c)[idx]`` with a scalar constant
  ``c`` is ``second(x[idx], c)``.
* ``local_fill_sink``: ``f(second(x, c), y)`` for an Elemwise ``f`` is
  ``second(x, f(c, y))``; ``local_elemwise_alloc``: ``f(alloc(v, *s), y)``
  is ``f(v, y)`` where ``y`` already has the shape ``s`` gives;
  ``local_dimshuffle_alloc``: ``alloc(v, n).dimshuffle("x", 0)`` is
  ``alloc(v, 1, n)``;
  ``local_alloc_alloc``: ``alloc(alloc(v, *s1), *s2)`` is ``alloc(v, *s2)``.
* ``local_add_like_terms``: in a float add region, ``a*x + b*x`` and
  ``a*x + x`` (constants ``a``, ``b``) are ``(a + b) * x``, ``(a + 1) * x``.
  ``x + x`` is left alone (one add, as cheap as ``2 * x``, and the form the
  add canonical rewrite produces).
* ``local_neg_lift_mul``: ``neg(a) * b`` is ``neg(a * b)`` (also through
  ``true_div`` and ``reciprocal``), so that the mul canonical form sees every
  factor; ``-reciprocal(1 - s) * s * (1 - s)`` becomes ``-s``.

As everywhere in this package, each result goes through `fit`: it keeps the
dtype and static shape of what it replaces. An out-of-range index that the
original graph would have rejected is only merged where it is known in range.
"""

from __future__ import annotations

from typing import Any

import numpy as np

import graft.tensor as gt
from graft.graph.basic import Apply, Variable
from graft.graph.fg import FunctionGraph
from graft.graph.rewriting.basic import FromFunctionNodeRewriter, node_rewriter
from graft.raise_op import shape_checks
from graft.tensor.basic import Alloc, alloc, pad_left
from graft.tensor.elemwise import DimShuffle, Elemwise
from graft.tensor.shape import Shape_i, shape_i
from graft.tensor.subtensor import Subtensor
from graft.tensor.subtensor_index import (
    SYM,
    const_int,
    d_add,
    d_floordiv,
    d_lt,
    d_max,
    d_min,
    d_mul,
    d_sub,
    d_where,
    slice_length,
)
from graft_rewrites_tensor.utils import (
    ADD_OPS,
    MUL_OPS,
    const_data,
    dtype_of,
    expand_add,
    fit,
    flatten,
    is_dim_of,
    make_constant,
    may_broadcast,
    n_clients,
    ndim_of,
    region_root,
    shape_of,
    strict_broadcasting,
    sum_terms,
    uniform_value,
)

__all__ = ["REWRITES"]

Dim = Any  # an int or a symbolic int64 scalar


def subtensor_entries(node: Apply) -> list[Any]:
    """The index entries of a Subtensor node with each ``"?"`` replaced by its input (an int
    where it is a constant).

    Example::

        subtensor_entries(x[1:n].owner)   # [(1, n, None)]
    """
    syms = iter(node.inputs[1:])

    def part(p: Any) -> Any:
        if p == SYM:
            v = next(syms)
            c = const_int(v)
            return v if c is None else c
        return p

    out: list[Any] = []
    for e in node.op.idx_list:  # type: ignore[attr-defined]
        if isinstance(e, tuple):
            out.append(tuple(part(p) for p in e))
        else:
            out.append(part(e))
    return out


def _build(x: Variable, entries: list[Any]) -> Variable:
    """``Subtensor`` of ``x`` from entries whose parts are None, ints or symbolic scalars."""
    idx: list[Any] = []
    inputs: list[Variable] = []

    def part(p: Any) -> Any:
        if p is None or isinstance(p, int):
            return p
        inputs.append(p)
        return SYM

    for e in entries:
        if isinstance(e, tuple):
            a, b, c = e
            positive = c is None or (isinstance(c, int) and c > 0)
            a = None if positive and isinstance(a, int) and a == 0 else a
            e = (a, b, None if isinstance(c, int) and c == 1 else c)
            idx.append(tuple(part(p) for p in e))
        else:
            idx.append(part(e))
    while len(idx) > 1 and idx[-1] == (None, None, None):
        idx.pop()
    return Subtensor(idx)(x, *inputs)


def _dim(x: Variable, i: int) -> Dim:
    s = shape_of(x)[i]
    return s if s is not None else shape_i(x, i)


def _is_len_of(v: Any, x: Variable, i: int) -> bool:
    """Whether the stop bound ``v`` reaches the end of ``x``'s dimension ``i``."""
    if v is None:
        return True
    if isinstance(v, int):
        return shape_of(x)[i] is not None and v >= shape_of(x)[i]  # type: ignore[operator]
    o = v.owner
    return o is not None and isinstance(o.op, Shape_i) and o.op.i == i and o.inputs[0] is x


# ---------------------------------------------------------------------------
# Useless subtensor
# ---------------------------------------------------------------------------


@node_rewriter([Subtensor])
def local_useless_subtensor(fgraph: FunctionGraph | None, node: Apply) -> Any:
    """``x[:]``, ``x[0:n]``, ``x[::1]`` on every indexed dimension (``n`` its length) is ``x``."""
    x = node.inputs[0]
    for i, e in enumerate(subtensor_entries(node)):
        if not isinstance(e, tuple):
            return False
        a, b, c = e
        if a not in (None, 0) or c not in (None, 1) or not _is_len_of(b, x, i):
            return False
    new = fit(x, node.outputs[0])
    return False if new is None else [new]


# ---------------------------------------------------------------------------
# Subtensor merging
# ---------------------------------------------------------------------------


def _norm(b: Any, n: Dim, default: Dim) -> Dim:
    """A bound of a positive-step slice resolved like ``slice.indices(n)``."""
    if b is None:
        return default
    if isinstance(b, int) and b >= 0:
        return d_min(b, n)
    b = d_where(d_lt(b, 0), d_add(b, n), b)
    return d_min(d_max(b, 0), n)


def _range_slice(r: range) -> tuple[Any, Any, Any]:
    """A slice selecting exactly the indices of ``r`` (all in ``[0, n)``)."""
    if len(r) == 0:
        return (0, 0, 1)
    stop = r.start + r.step * len(r)
    return (r.start, None if stop < 0 else stop, r.step)


def _merge_slices(n: Dim, s1: tuple[Any, Any, Any], s2: tuple[Any, Any, Any]) -> Any:
    """The slice equal to slicing with ``s1`` then ``s2`` a dimension of size ``n``, or None."""
    if isinstance(n, int) and all(p is None or isinstance(p, int) for p in (*s1, *s2)):
        return _range_slice(range(n)[slice(*s1)][slice(*s2)])
    c1 = 1 if s1[2] is None else s1[2]
    c2 = 1 if s2[2] is None else s2[2]
    if not (isinstance(c1, int) and isinstance(c2, int) and c1 > 0 and c2 > 0):
        return None
    if all(p is None or (isinstance(p, int) and p >= 0) for p in (*s1[:2], *s2[:2])):
        # Every bound counts from the start: index i = a1 + c1*j is kept while
        # i < b1, j < b2 (and i < n, which slicing itself enforces).
        a1 = s1[0] or 0
        stops = [b for b in (s1[1], None if s2[1] is None else a1 + c1 * s2[1]) if b is not None]
        return (a1 + c1 * (s2[0] or 0), min(stops) if stops else None, c1 * c2)
    lo1 = _norm(s1[0], n, 0)
    hi1 = _norm(s1[1], n, n)
    n1 = d_max(0, d_floordiv(d_add(d_sub(hi1, lo1), c1 - 1), c1))
    lo2 = _norm(s2[0], n1, 0)
    hi2 = _norm(s2[1], n1, n1)
    start = d_add(lo1, d_mul(c1, lo2))
    stop = d_add(lo1, d_mul(c1, d_max(lo2, hi2)))
    return (start, stop, c1 * c2)


@node_rewriter([Subtensor])
def local_subtensor_merge(fgraph: FunctionGraph | None, node: Apply) -> Any:
    """``x[s1][s2]`` (basic indexing both) is one ``x[s]``."""
    inner = node.inputs[0]
    o = inner.owner
    if o is None or not isinstance(o.op, Subtensor):
        return False
    x = o.inputs[0]
    e1 = subtensor_entries(o)
    e2 = subtensor_entries(node)
    merged: list[Any] = []
    k = 0  # next entry of e2, applying to the next kept dimension of the inner result
    for axis in range(ndim_of(x)):
        a = e1[axis] if axis < len(e1) else (None, None, None)
        if not isinstance(a, tuple):
            merged.append(a)
            continue
        b = e2[k] if k < len(e2) else (None, None, None)
        out_axis = k
        k += 1
        n = _dim(x, axis)
        if isinstance(b, tuple):
            s = _merge_slices(n, a, b)
            if s is None:
                return False
            merged.append(s)
            continue
        # An int on the slice: only when the sliced length is static and the int in range.
        length = shape_of(inner)[out_axis]
        if not isinstance(b, int) or length is None or not -length <= b < length:
            return False
        j = b % length
        if isinstance(n, int) and all(p is None or isinstance(p, int) for p in a):
            merged.append(range(n)[slice(*a)][j])
            continue
        c1 = 1 if a[2] is None else a[2]
        if not (isinstance(c1, int) and c1 > 0):
            return False
        merged.append(d_add(_norm(a[0], n, 0), c1 * j))
    if k < len(e2):
        return False
    new = fit(_build(x, merged), node.outputs[0])
    return False if new is None else [new]


# ---------------------------------------------------------------------------
# Subtensor of alloc / fill
# ---------------------------------------------------------------------------


def _scalar_const(v: Variable) -> Variable | None:
    """A 0-d constant of ``v``'s dtype when ``v`` is a constant of one value, else None."""
    if const_data(v) is None or not all(s == 1 for s in shape_of(v)):
        return None
    val = uniform_value(v)
    return None if val is None else make_constant(val, dtype_of(v))


@node_rewriter([Subtensor])
def local_subtensor_of_alloc(fgraph: FunctionGraph | None, node: Apply) -> Any:
    """``alloc(v, *shape)[idx]`` (``v`` 0-d) is ``alloc(v, *shape')``; ``second(x, c)[idx]`` is
    ``second(x[idx], c)`` for a scalar constant ``c``."""
    src = node.inputs[0]
    o = src.owner
    out = node.outputs[0]
    if o is None:
        return False
    if isinstance(o.op, Alloc):
        v, *shape = o.inputs
        if ndim_of(v) != 0:
            return False
        new_shape: list[Dim] = []
        for axis, size in enumerate(shape):
            e = (
                subtensor_entries(node)[axis]
                if axis < len(subtensor_entries(node))
                else (None, None, None)
            )
            if isinstance(e, tuple):
                n = const_int(size)
                new_shape.append(slice_length(size if n is None else n, *e))
            else:
                n = shape_of(src)[axis]
                if not isinstance(e, int) or n is None or not -n <= e < n:
                    return False
        new = fit(alloc(v, *new_shape), out)
        return False if new is None else [new]
    if o.op == gt.second:
        x, c = o.inputs
        c0 = _scalar_const(c)
        if c0 is None or may_broadcast(c, x, ndim_of(src)) or ndim_of(x) != ndim_of(src):
            return False
        new = fit(gt.second(node.op.make_node(x, *node.inputs[1:]).outputs[0], c0), out)
        return False if new is None else [new]
    return False


# ---------------------------------------------------------------------------
# Fill / alloc sinking
# ---------------------------------------------------------------------------


@node_rewriter([Elemwise])
def local_fill_sink(fgraph: FunctionGraph | None, node: Apply) -> Any:
    """``f(second(a, b), second(c, d), e)`` is ``second(a, second(c, f(b, d, e)))``.

    A fill only gives its value a shape; computing ``f`` on the values and
    filling once at the end lets the fills meet (and merge, or vanish where
    the result already has the shape) and lets the arithmetic see the values,
    e.g. ``ones_like(x) * g`` in gradients. The result has the same shape and
    dtype: ``second(a, b)`` has ``b``'s dtype and the broadcast shape of ``a``
    and ``b``.
    """
    if node.op == gt.second or len(node.outputs) != 1:
        return False
    shapes: list[Variable] = []
    ins: list[Variable] = []
    for inp in node.inputs:
        o = inp.owner
        if o is not None and o.op == gt.second:
            shapes.append(o.inputs[0])
            ins.append(o.inputs[1])
        else:
            ins.append(inp)
    if not shapes:
        return False
    new = fit(node.op.make_node(*ins).outputs[0], node.outputs[0], shapes)
    return False if new is None else [new]


def _dropping_alloc_keeps_shape(node: Apply, k: int, v: Variable, alloc_node: Apply) -> bool:
    """Whether input ``k`` of ``node`` (the output of ``alloc_node = alloc(v, *shape)``) can be
    replaced by ``v``.

    Every dimension the alloc widens must be one that another input of
    ``node`` has, with the alloc's size entry known to equal that input's size
    (``y.shape[d]`` of that input ``y``, or a constant equal to its static
    size): the result then keeps its shape, and no size check is lost.
    """
    ndim = ndim_of(node.outputs[0])
    out = alloc_node.outputs[0]
    entries = alloc_node.inputs[1:]
    pad_a = ndim - ndim_of(out)
    a = (1,) * pad_a + tuple(shape_of(out))
    vs = (1,) * (ndim - ndim_of(v)) + tuple(shape_of(v))
    others = [i for j, i in enumerate(node.inputs) if j != k]
    for d in range(ndim):
        if a[d] == 1 or (vs[d] is not None and vs[d] == a[d]):
            continue  # not widened here, or ``v`` has the size itself
        if vs[d] != 1:
            return False  # ``v`` may be broadcast by the alloc at run time
        entry = entries[d - pad_a]
        if not any(
            d >= ndim - ndim_of(y) and _sized_by(entry, y, d - (ndim - ndim_of(y))) for y in others
        ):
            return False
    return True


def _sized_by(entry: Variable, y: Variable, j: int, depth: int = 8) -> bool:
    """Whether ``entry`` is known to equal ``y.shape[j]``, looking through Elemwise producers.

    With strict broadcasting an Elemwise output's dimension equals that of
    each input whose dimension is not statically 1, so ``x.shape[0]`` also
    sizes ``exp(x) * z``.
    """
    if is_dim_of(entry, y, j):
        return True
    o = y.owner
    if depth == 0 or o is None or not isinstance(o.op, Elemwise) or shape_of(y)[j] == 1:
        return False
    for z in o.inputs:
        jz = j - (ndim_of(y) - ndim_of(z))
        if jz >= 0 and shape_of(z)[jz] != 1 and _sized_by(entry, z, jz, depth - 1):
            return True
    return False


@node_rewriter([Elemwise])
def local_elemwise_alloc(fgraph: FunctionGraph | None, node: Apply) -> Any:
    """``f(alloc(v, *shape), y)`` is ``f(v, y)`` where ``y`` already gives the result its shape.

    Only under strict broadcasting (only dimensions of static size 1
    broadcast), and only where each size the alloc widens to is known to be
    that of another input (``alloc(v, y.shape[0]) * y``): the alloc's only
    effect was then a copy. An alloc to a size not tied to the other inputs
    stays, so a run-time size mismatch still raises. Example:
    ``alloc(0.5, x.shape[0]) * x`` becomes ``0.5 * x``.
    """
    if len(node.outputs) != 1 or not strict_broadcasting():
        return False
    ins = list(node.inputs)
    changed = False
    for k, inp in enumerate(node.inputs):
        o = inp.owner
        if o is None or not isinstance(o.op, Alloc):
            continue
        v = o.inputs[0]
        if dtype_of(v) != dtype_of(inp) or not _dropping_alloc_keeps_shape(node, k, v, o):
            continue
        ins[k] = v
        changed = True
    if not changed:
        return False
    new = fit(node.op.make_node(*ins).outputs[0], node.outputs[0])
    return False if new is None else [new]


@node_rewriter([DimShuffle])
def local_dimshuffle_alloc(fgraph: FunctionGraph | None, node: Apply) -> Any:
    """``alloc(v, *s).dimshuffle(...)`` that only inserts broadcast dims is one ``alloc``.

    Example: ``alloc(v, n).dimshuffle("x", 0)`` becomes ``alloc(v, 1, n)``, so
    that an elementwise user sees the alloc (see `local_elemwise_alloc`).
    """
    op: Any = node.op
    inner = node.inputs[0]
    o = inner.owner
    if o is None or not isinstance(o.op, Alloc) or op.drop or not op.augment:
        return False
    kept = [d for d in op.new_order if d != "x"]
    if kept != sorted(kept):
        return False  # a transposition: leave it to the dimshuffle rewrites
    v, *shape = o.inputs
    one = make_constant(1, "int64")
    new_shape = [one if d == "x" else shape[d] for d in op.new_order]
    v_full = pad_left(v, len(shape))
    new_v = DimShuffle(len(shape), list(op.new_order))(v_full)
    new = fit(alloc(new_v, *new_shape), node.outputs[0])
    return False if new is None else [new]


@node_rewriter([Alloc])
def local_alloc_alloc(fgraph: FunctionGraph | None, node: Apply) -> Any:
    """``alloc(alloc(v, *s1), *s2)`` is ``alloc(v, *s2)``, checked against ``s1``.

    The inner alloc required ``v`` to fit ``s1`` and the outer one ``s1`` to
    fit ``s2`` wherever ``s1`` is not statically 1: the sizes ``s1`` and
    ``s2`` must agree there (`shape_checks`). Where ``s1`` is statically 1
    and ``v``'s size is not, ``v`` had to be 1 there and may not fill ``s2``:
    left alone.
    """
    inner, *shape = node.inputs
    o = inner.owner
    if o is None or not isinstance(o.op, Alloc):
        return False
    v, *s1 = o.inputs
    pad_v = len(s1) - ndim_of(v)
    pad_1 = len(shape) - len(s1)
    pairs = []
    for k, (size, static) in enumerate(zip(s1, shape_of(inner))):
        if static == 1:
            if k >= pad_v and shape_of(v)[k - pad_v] != 1:
                return False
            continue
        pairs.append((size, shape[pad_1 + k]))
    new = fit(shape_checks(alloc(v, *shape), *pairs), node.outputs[0])
    return False if new is None else [new]


# ---------------------------------------------------------------------------
# Like terms and negations
# ---------------------------------------------------------------------------


def _coef_term(fgraph: FunctionGraph | None, v: Variable) -> tuple[Variable, Any]:
    """``(x, a)`` for a leaf ``a * x`` (constant 0-d-like ``a``, single-use product), else ``(v, 1)``."""
    o = v.owner
    if (
        o is not None
        and o.op == gt.mul
        and len(o.inputs) == 2
        and n_clients(fgraph, v) == 1
        and dtype_of(v) == dtype_of(o.inputs[0]) == dtype_of(o.inputs[1])
    ):
        for i in (0, 1):
            a = o.inputs[i]
            if const_data(a) is not None and all(s == 1 for s in shape_of(a)):
                val = uniform_value(a)
                other = o.inputs[1 - i]
                if val is not None and const_data(other) is None:
                    return other, val
    return v, 1


@node_rewriter(list(ADD_OPS))
def local_add_like_terms(fgraph: FunctionGraph | None, node: Apply) -> Any:
    """In a float add region: ``a*x - b*x`` is ``(a - b) * x``, ``a*x + x`` is ``(a + 1) * x``."""
    out = node.outputs[0]
    dtype = dtype_of(out)
    if len(node.outputs) != 1 or np.dtype(dtype).kind != "f":
        return False
    if not region_root(fgraph, out, ADD_OPS):
        return False
    leaves, _ = flatten(fgraph, node, ADD_OPS, expand_add)
    resolved: list[tuple[Variable, Any, Variable, int]] = []
    coef: dict[int, Any] = {}
    count: dict[int, int] = {}
    for v, s in leaves:
        t, a = (v, 1) if const_data(v) is not None else _coef_term(fgraph, v)
        resolved.append((t, a, v, s))
        coef[id(t)] = coef.get(id(t), 0) + s * a
        count[id(t)] = count.get(id(t), 0) + (2 if t is not v else 1)
    # Only groups with a constant coefficient are collected: ``x + x`` (one add, as cheap as
    # ``2 * x``) stays as the add canonical form leaves it.
    groups = {id(t) for t, _, v, _ in resolved if t is not v}
    if not any(
        count[id(t)] > 2 and id(t) in groups and const_data(t) is None for t, _, _, _ in resolved
    ):
        return False
    terms: list[tuple[Variable, int]] = []
    dropped: list[Variable] = []
    done: set[int] = set()
    for t, _, v, s in resolved:
        k = id(t)
        if count[k] <= 2 or k not in groups or const_data(t) is not None:
            terms.append((v, s))
            continue
        if v is not t:
            dropped.extend(i for i in v.owner.inputs if i is not t)  # type: ignore[union-attr]
        if k in done:
            continue
        done.add(k)
        a = coef[k]
        if a == 0:
            dropped.append(t)
        elif a in (1, -1):
            terms.append((t, int(a)))
        else:
            terms.append((gt.mul(make_constant(a, dtype), t), 1))
    new = fit(sum_terms(terms, dtype), out, dropped)
    return False if new is None else [new]


@node_rewriter(list(MUL_OPS))
def local_neg_lift_mul(fgraph: FunctionGraph | None, node: Apply) -> Any:
    """``neg(a) * b`` is ``neg(a * b)``; likewise ``neg(a) / b``, ``a / neg(b)``, ``1 / neg(a)``.

    Exact in IEEE and wrapping integer arithmetic; the ``neg`` must have the
    product's dtype and no other user.
    """
    out = node.outputs[0]
    dtype = dtype_of(out)
    if len(node.outputs) != 1 or np.dtype(dtype).kind not in "iuf":
        return False
    for k, inp in enumerate(node.inputs):
        o = inp.owner
        if o is None or o.op != gt.neg or dtype_of(inp) != dtype or n_clients(fgraph, inp) != 1:
            continue
        ins = list(node.inputs)
        ins[k] = o.inputs[0]
        new = fit(gt.neg(node.op.make_node(*ins).outputs[0]), out)
        if new is not None:
            return [new]
    return False


#: ``(name, rewriter, tags)`` for `graft_register_rewrites`, in the order they are tried.
REWRITES: list[tuple[str, FromFunctionNodeRewriter, tuple[str, ...]]] = [
    (
        "local_useless_subtensor",
        local_useless_subtensor,
        ("fast_run", "fast_compile", "useless"),
    ),
    ("local_subtensor_merge", local_subtensor_merge, ("fast_run", "shape")),
    ("local_subtensor_of_alloc", local_subtensor_of_alloc, ("fast_run", "shape")),
    ("local_fill_sink", local_fill_sink, ("fast_run", "fill")),
    ("local_elemwise_alloc", local_elemwise_alloc, ("fast_run", "fill")),
    ("local_dimshuffle_alloc", local_dimshuffle_alloc, ("fast_run", "fill")),
    ("local_alloc_alloc", local_alloc_alloc, ("fast_run", "fast_compile", "useless")),
    ("local_add_like_terms", local_add_like_terms, ("fast_run", "algebra", "like_terms")),
    ("local_neg_lift_mul", local_neg_lift_mul, ("fast_run", "algebra")),
]
