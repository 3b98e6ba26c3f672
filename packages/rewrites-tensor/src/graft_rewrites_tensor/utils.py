"""Helpers shared by the rewrite sets: constants, `fit`, regions of add/mul.

Every rewrite in this package follows one contract: the variable it returns
has the dtype, the rank and (at least) the static shape of the variable it
replaces, and it never changes how the result broadcasts. `fit` enforces this
for a candidate replacement; a rewrite returns False when `fit` gives None.

Rules written as patterns use core's pattern language
(`graft.graph.rewriting.pattern`: tuple patterns and `Rule`), with `fit` as
the rule's ``adapt``::

    Rule("local_log_exp", (gt.log, (gt.exp, "x")), lambda m, out: m.x, adapt=fit)

A *region* is a tree of ``add``/``sub``/``neg`` (or ``mul``/``true_div``/
``reciprocal``) nodes of one dtype, each used only inside the tree: `flatten`
gives its signed leaves, `sum_terms` and `product` build a region back.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

import graft.tensor as gt
from graft.graph.basic import Apply, Variable
from graft.graph.fg import FunctionGraph
from graft.graph.rewriting.pattern import constant_value
from graft.raise_op import check_same_shape
from graft.tensor.basic import cast, constant, pad_left
from graft.tensor.elemwise import Elemwise
from graft.tensor.math import second
from graft.tensor.shape import Shape_i

__all__ = [
    "ADD_OPS",
    "MUL_OPS",
    "REAL_KINDS",
    "add_terms",
    "combine",
    "const_data",
    "dtype_of",
    "expand_add",
    "expand_mul",
    "fit",
    "flatten",
    "is_dim_of",
    "is_scalar_like",
    "make_constant",
    "may_broadcast",
    "mul_factors",
    "n_clients",
    "ndim_of",
    "owner_op",
    "product",
    "region_root",
    "shape_of",
    "strict_broadcasting",
    "sum_terms",
    "to_dtype",
    "uniform_value",
]

#: Dtype kinds the algebraic rewrites handle (bool and complex are left alone).
REAL_KINDS = "iuf"


def dtype_of(var: Variable) -> str:
    """The dtype of a tensor variable (``var.type.dtype``).

    Example::

        dtype_of(gt.fvector("x"))   # 'float32'
    """
    return var.type.dtype  # type: ignore[attr-defined,no-any-return]


def ndim_of(var: Variable) -> int:
    """The number of dimensions of a tensor variable (``var.type.ndim``).

    Example::

        ndim_of(gt.dmatrix("x"))   # 2
    """
    return var.type.ndim  # type: ignore[attr-defined,no-any-return]


def shape_of(var: Variable) -> tuple[int | None, ...]:
    """The static shape of a tensor variable (``var.type.shape``; None where unknown).

    Example::

        shape_of(gt.row("r"))   # (1, None)
    """
    return var.type.shape  # type: ignore[attr-defined,no-any-return]


def n_clients(fgraph: FunctionGraph | None, var: Variable) -> int:
    """How many nodes (or graph outputs) use ``var``; 0 when there is no graph.

    Example::

        if n_clients(fgraph, node.inputs[0]) == 1: ...   # only this node uses it
    """
    if fgraph is None:
        return 0
    return len(fgraph.clients.get(var, ()))


def owner_op(var: Variable, *ops: Any) -> Apply | None:
    """``var.owner`` when its op equals one of ``ops`` (Op instances), else None.

    Example::

        node = owner_op(v, gt.exp, gt.expm1)   # the exp/expm1 node computing v, or None
    """
    node = var.owner
    if node is None:
        return None
    op = node.op
    h = hash(op)
    for o in ops:
        if h == hash(o) and op == o:
            return node
    return None


def const_data(var: Variable) -> np.ndarray | None:
    """The value of ``var`` if it is a constant, or a view of one (a `DimShuffle`); else None.

    The same test as the pattern language's value patterns (`constant_value`).

    Example::

        const_data(gt.constant(2.0))   # array(2.)
    """
    return constant_value(var)


def uniform_value(var: Variable) -> Any:
    """The single value a constant ``var`` repeats (a Python number), else None.

    NaN never counts as uniform, so a rewrite never treats it as a neutral element.

    Example::

        uniform_value(gt.constant([2.0, 2.0]))   # 2.0
        uniform_value(gt.constant([1.0, 2.0]))   # None
    """
    data = const_data(var)
    if data is None or data.size == 0 or data.dtype.kind not in "biuf":
        return None
    first = data.flat[0]
    if data.size > 1 and not np.all(data == first):
        return None
    value = first.item()
    if value != value:  # NaN
        return None
    return value


def is_dim_of(entry: Variable, x: Variable, i: int) -> bool:
    """Whether the 0-d ``entry`` is known to equal ``x.shape[i]``: it is ``Shape_i{i}(x)``, or
    a constant equal to ``x``'s static size ``i``.

    Example::

        is_dim_of(x.shape[0], x, 0)   # True
    """
    o = entry.owner
    if o is not None and isinstance(o.op, Shape_i) and o.op.i == i and o.inputs[0] is x:
        return True
    v = uniform_value(entry)
    return v is not None and shape_of(x)[i] is not None and v == shape_of(x)[i]


def is_scalar_like(var: Variable) -> bool:
    """Whether every dimension of ``var`` has static size 1 (it can only broadcast).

    Example::

        is_scalar_like(gt.dscalar("c").dimshuffle("x", "x"))   # True
    """
    return all(s == 1 for s in shape_of(var))


_strict: list[bool] = []


def strict_broadcasting() -> bool:
    """Whether graft's ``Elemwise`` broadcasts only dimensions of static size 1 (PyTensor's rule).

    Probed once: an ``add`` of two vectors of unknown length is run on lengths
    1 and 3. NumPy's rule (any size 1 at run time broadcasts) is the fallback.

    Example::

        strict_broadcasting()   # True when (?,) + (?,) refuses to broadcast (1,) to (3,)
    """
    if not _strict:
        from graft.scalar import add
        from graft.tensor.type import TensorType

        a, b = TensorType("float64", (None,))(), TensorType("float64", (None,))()
        node = Elemwise(add).make_node(a, b)
        try:
            node.op.perform(node, [np.zeros(1), np.zeros(3)], [[None]])
        except ValueError:
            _strict.append(True)
        else:
            _strict.append(False)
    return _strict[0]


def may_broadcast(operand: Variable, onto: Variable, ndim: int) -> bool:
    """Whether broadcasting ``operand`` with ``onto`` might enlarge ``onto`` (rank ``ndim``).

    Both are left-padded to ``ndim`` with dimensions of size 1. Under strict
    broadcasting (`strict_broadcasting`) only a dimension of static size 1 in
    ``onto`` can grow, and only where ``operand``'s is not 1. Under NumPy's
    rule an unknown size may be 1 at run time, so ``operand`` is harmless only
    where its size is 1 or equals ``onto``'s known size.

    Example::

        may_broadcast(gt.constant(1.0), x_matrix, 2)   # False
        may_broadcast(y_matrix, x_row, 2)              # True: x has one row
    """
    a = (1,) * (ndim - ndim_of(operand)) + tuple(shape_of(operand))
    b = (1,) * (ndim - ndim_of(onto)) + tuple(shape_of(onto))
    if strict_broadcasting():
        return any(sa != 1 and sb == 1 for sa, sb in zip(a, b))
    return any(sa != 1 and (sa is None or sa != sb) for sa, sb in zip(a, b))


def to_dtype(var: Variable, dtype: str) -> Variable:
    """``var`` cast to ``dtype`` (itself when it already has it).

    Example::

        to_dtype(x_int8, "float64")   # Elemwise{Cast{float64}}(x_int8)
    """
    return var if dtype_of(var) == dtype else cast(var, dtype)


def _cast_ok(src: str, dst: str) -> bool:
    s, d = np.dtype(src), np.dtype(dst)
    if d.kind == "f":
        return s.kind in "biuf"
    return bool(np.can_cast(s, d, "safe"))


def fit(new: Variable, old: Variable, dropped: Iterable[Variable] = ()) -> Variable | None:
    """Adapt the replacement ``new`` to stand for ``old``, or None when it cannot.

    ``dropped`` are operands of the replaced expression that ``new`` no longer
    uses (a neutral constant, cancelled terms). Where one of them might have
    broadcast the result to a larger shape, ``new`` is broadcast against it
    with ``second`` (``fill``), so the result keeps ``old``'s shape whatever
    the run-time sizes are. Then ``new`` is cast to ``old``'s dtype (only
    widening casts and casts to a float dtype: the replaced expression would
    have promoted the same way) and padded to ``old``'s rank. None when the
    dtype or rank cannot be matched or a static size contradicts ``old``'s.
    A dropped operand that cannot broadcast the result still had to have its
    sizes, or the original raised: `check_same_shape` keeps that check (on the
    operand's sizes, not its values).

    Example::

        fit(x_int, x_int * 1.0)            # cast(x_int, "float64")
        fit(x_vec, x_vec * y, dropped=[y])  # second(y, x_vec): keeps y's broadcasting
        fit(x_mat, x_mat * y_mat / y_mat, dropped=[y_mat])   # x_mat, checked against y's sizes
    """
    ndim = ndim_of(old)
    checked: list[Variable] = []
    for d in dropped:
        if ndim_of(d) > ndim:
            return None
        if may_broadcast(d, new, ndim):
            new = second(d, new)
        else:
            checked.append(d)
    if dtype_of(new) != dtype_of(old):
        if not _cast_ok(dtype_of(new), dtype_of(old)):
            return None
        new = cast(new, dtype_of(old))
    if ndim_of(new) < ndim:
        new = pad_left(new, ndim)
    if ndim_of(new) != ndim:
        return None
    for so, sn in zip(shape_of(old), shape_of(new)):
        if so is not None and sn is not None and so != sn:
            return None
    # A dropped operand that cannot enlarge the result still had to match its
    # sizes (or the original raised): keep that check, on sizes only.
    for d in checked:
        new = check_same_shape(new, d)
    return new


# ---------------------------------------------------------------------------
# Regions of one associative operation
# ---------------------------------------------------------------------------

#: The ops of the additive and multiplicative families (sets: membership is one hash lookup).
ADD_OPS = frozenset({gt.add, gt.sub, gt.neg})
MUL_OPS = frozenset({gt.mul, gt.true_div, gt.reciprocal})


# ---------------------------------------------------------------------------
# Flattening regions of one associative operation
# ---------------------------------------------------------------------------


def region_root(fgraph: FunctionGraph | None, out: Variable, ops: frozenset[Any]) -> bool:
    """Whether ``out`` starts a region: its only user is not an op of the same family and dtype."""
    if fgraph is None:
        return True
    clients = fgraph.clients.get(out, ())
    if len(clients) != 1:
        return True
    user = clients[0][0]
    if isinstance(user, str):
        return True
    return not (user.op in ops and dtype_of(user.outputs[0]) == dtype_of(out))


def flatten(
    fgraph: FunctionGraph | None,
    root: Apply,
    ops: frozenset[Any],
    expand: Callable[[Apply, int], list[tuple[Variable, int]]],
    count: frozenset[Any] = frozenset(),
) -> tuple[list[tuple[Variable, int]], int]:
    """The signed leaves of the region under ``root`` (left to right), and how many of its
    nodes apply an op of ``count``.

    A child is expanded when its op is in ``ops``, it has the root's dtype, and
    this region is its only user.
    """
    dtype = dtype_of(root.outputs[0])
    leaves: list[tuple[Variable, int]] = []
    n_counted = 1 if root.op in count else 0
    stack: list[tuple[Variable, int]] = list(reversed(expand(root, 1)))
    while stack:
        v, s = stack.pop()
        o = v.owner
        if (
            o is not None
            and o.op in ops
            and len(o.outputs) == 1
            and dtype_of(v) == dtype
            and n_clients(fgraph, v) == 1
        ):
            if o.op in count:
                n_counted += 1
            stack.extend(reversed(expand(o, s)))
        else:
            leaves.append((v, s))
    return leaves, n_counted


def expand_add(node: Apply, s: int) -> list[tuple[Variable, int]]:
    """The signed inputs of an add/sub/neg ``node`` whose output has sign ``s``.

    Example::

        expand_add((x - y).owner, -1)   # [(x, -1), (y, 1)]
    """
    op = node.op
    if op == gt.neg:
        return [(node.inputs[0], -s)]
    if op == gt.sub:
        return [(node.inputs[0], s), (node.inputs[1], -s)]
    return [(i, s) for i in node.inputs]


def expand_mul(node: Apply, s: int) -> list[tuple[Variable, int]]:
    """The inputs of a mul/true_div/reciprocal ``node`` with exponents, its output's being ``s``.

    Example::

        expand_mul((x / y).owner, 1)   # [(x, 1), (y, -1)]
    """
    op = node.op
    if op == gt.reciprocal:
        return [(node.inputs[0], -s)]
    if op == gt.true_div:
        return [(node.inputs[0], s), (node.inputs[1], -s)]
    return [(i, s) for i in node.inputs]


def add_terms(fgraph: FunctionGraph | None, var: Variable) -> list[tuple[Variable, int]]:
    """The signed terms of ``var``: the leaves of the add/sub/neg region it heads, or ``[(var, 1)]``.

    Example::

        add_terms(fgraph, 1 - x)   # [(1, 1), (x, -1)]
    """
    o = var.owner
    if o is None or o.op not in ADD_OPS or len(o.outputs) != 1:
        return [(var, 1)]
    return flatten(fgraph, o, ADD_OPS, expand_add)[0]


def mul_factors(fgraph: FunctionGraph | None, var: Variable) -> list[tuple[Variable, int]]:
    """The factors of ``var`` (exponent +1 or -1): the leaves of the mul/div region it heads.

    Example::

        mul_factors(fgraph, x * y / z)   # [(x, 1), (y, 1), (z, -1)]
    """
    o = var.owner
    if o is None or o.op not in MUL_OPS or len(o.outputs) != 1:
        return [(var, 1)]
    return flatten(fgraph, o, MUL_OPS, expand_mul)[0]


def product(factors: list[tuple[Variable, int]], dtype: str) -> Variable:
    """``mul(numerators) / mul(denominators)`` in ``dtype`` (each factor cast to it first).

    Example::

        product([(x, 1), (z, -1)], "float64")   # x / z
    """
    nums = [to_dtype(v, dtype) for v, s in factors if s > 0]
    dens = [to_dtype(v, dtype) for v, s in factors if s < 0]
    if nums and dens:
        return gt.true_div(combine(gt.mul, nums), combine(gt.mul, dens))
    if nums:
        return combine(gt.mul, nums)
    if dens:
        return gt.reciprocal(combine(gt.mul, dens))
    return make_constant(1, dtype)


def sum_terms(terms: list[tuple[Variable, int]], dtype: str) -> Variable:
    """``add(positive terms) - add(negative terms)`` in ``dtype`` (each term cast to it first).

    Example::

        sum_terms([(x, 1), (y, -1)], "float64")   # x - y
    """
    pos = [to_dtype(v, dtype) for v, s in terms if s > 0]
    neg = [to_dtype(v, dtype) for v, s in terms if s < 0]
    if pos and neg:
        return gt.sub(combine(gt.add, pos), combine(gt.add, neg))
    if pos:
        return combine(gt.add, pos)
    if neg:
        return gt.neg(combine(gt.add, neg))
    return make_constant(0, dtype)


def combine(op: Any, terms: list[Variable]) -> Variable:
    """``terms[0]`` alone, or ``op`` (an n-ary Elemwise) applied to all ``terms``.

    Example::

        combine(gt.add, [x, y, z])   # add(x, y, z)
    """
    return terms[0] if len(terms) == 1 else op(*terms)


def make_constant(value: Any, dtype: str) -> Variable:
    """A constant of ``dtype`` holding ``value`` (an array keeps its shape).

    Example::

        make_constant(0, "float32")   # TensorConstant(float32, shape=())
    """
    with np.errstate(all="ignore"):
        arr = np.asarray(value).astype(dtype)
    return constant(arr, dtype=dtype)
