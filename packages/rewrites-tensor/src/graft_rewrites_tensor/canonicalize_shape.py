"""Shape canonicalization: sizes are read from the inputs, not from computed values.

* ``local_shape_to_shape_i``: ``Shape(x)`` is ``make_vector(x.shape[0], ...,
  x.shape[n-1])`` (statically known sizes as constants), so that each size can
  be lifted on its own.
* ``local_shape_i_lift``: ``Shape_i{d}(v)`` for ``v`` computed by a node is
  entry ``d`` of that node's ``infer_shape`` on its inputs' sizes:
  ``exp(x).shape[0]`` is ``x.shape[0]``, ``sum(m, axis=0).shape[0]`` is
  ``m.shape[1]``, a statically known size is a constant. Repeated, sizes reach
  the graph's inputs, and a value is no longer computed only to learn its
  shape (``mean`` counts elements, gradients size their fills that way).
* ``local_subtensor_make_vector``: ``make_vector(a, b, c)[1]`` is ``b`` and
  ``make_vector(a, b, c)[1:]`` is ``make_vector(b, c)`` (constant indices).

Every Op's ``infer_shape`` is the contract used here (it is checked against
computed shapes op by op in graft-core's tests); an Op without one, or whose
answer would depend on its own outputs, is left alone.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from graft.graph.basic import Apply, Variable, ancestors
from graft.graph.fg import FunctionGraph
from graft.graph.rewriting.basic import FromFunctionNodeRewriter, node_rewriter
from graft.graph.utils import MethodNotDefined
from graft.raise_op import CheckAndRaise, shape_checks
from graft.tensor.basic import MakeVector, make_vector
from graft.tensor.elemwise import Elemwise
from graft.tensor.shape import Shape, Shape_i, shape_i
from graft.tensor.subtensor import Subtensor
from graft.tensor.type import TensorType
from graft_rewrites_tensor.canonicalize_subtensor import subtensor_entries
from graft_rewrites_tensor.utils import (
    dtype_of,
    fit,
    make_constant,
    ndim_of,
    strict_broadcasting,
)

__all__ = ["REWRITES"]


@node_rewriter([Shape])
def local_shape_to_shape_i(fgraph: FunctionGraph | None, node: Apply) -> Any:
    """``Shape(x)`` is ``make_vector(x.shape[0], ..., x.shape[n-1])`` (constants where static)."""
    x = node.inputs[0]
    if not isinstance(x.type, TensorType):
        return False
    n = ndim_of(x)
    if n == 0:
        new: Variable = make_constant(np.zeros(0, dtype="int64"), "int64")
    else:
        new = make_vector(*(shape_i(x, d) for d in range(n)), dtype="int64")
    res = fit(new, node.outputs[0])
    return False if res is None else [res]


def _input_shapes(node: Apply) -> list[Any]:
    """The symbolic sizes of ``node``'s tensor inputs (None for other inputs), as ``infer_shape`` takes."""
    return [
        tuple(shape_i(v, d) for d in range(v.type.ndim))
        if isinstance(v.type, TensorType)
        else None
        for v in node.inputs
    ]


@node_rewriter([Shape_i])
def local_shape_i_lift(fgraph: FunctionGraph | None, node: Apply) -> Any:
    """``Shape_i{d}(op(*xs))`` is entry ``d`` of ``op.infer_shape`` on the sizes of ``xs``.

    A statically known size becomes a constant. Example: ``Shape_i{0}(exp(x))``
    becomes ``Shape_i{0}(x)``.
    """
    (v,) = node.inputs
    d: int = node.op.i  # type: ignore[attr-defined]
    out = node.outputs[0]
    owner = v.owner
    if owner is not None and isinstance(owner.op, CheckAndRaise):
        # The size of a checked value is its value's size, still checked: not computing
        # the value must not drop the check.
        new_size = owner.op(shape_i(owner.inputs[0], d), *owner.inputs[1:])
        res = fit(new_size, out)
        return False if res is None else [res]
    if owner is not None and isinstance(owner.op, Elemwise):
        new_size = _elemwise_size(owner, d)
        if new_size is None:
            return False
        res = fit(new_size, out)
        return False if res is None else [res]
    static = v.type.shape[d]  # type: ignore[attr-defined]
    if static is not None:
        res = fit(make_constant(static, "int64"), out)
        return False if res is None else [res]
    if owner is None:
        return False
    try:
        shapes = owner.op.infer_shape(fgraph, owner, _input_shapes(owner))
    except (MethodNotDefined, NotImplementedError, TypeError, ValueError, IndexError):
        return False  # no (usable) shape inference for this op
    k = owner.outputs.index(v)
    if shapes is None or len(shapes) <= k or shapes[k] is None or len(shapes[k]) <= d:
        return False
    entry = shapes[k][d]
    if isinstance(entry, int | np.integer):
        new: Variable = make_constant(int(entry), "int64")
    elif isinstance(entry, Variable) and isinstance(entry.type, TensorType):
        if entry.type.ndim != 0 or np.dtype(entry.type.dtype).kind not in "iu":
            return False
        # An answer read off the node's own outputs would only move the question.
        if any(a in owner.outputs for a in ancestors([entry], blockers=owner.inputs)):
            return False
        new = entry
    else:
        return False
    res = fit(new, out)
    return False if res is None else [res]


def _elemwise_sizes(
    node: Apply, d: int
) -> tuple[Variable, list[tuple[Variable, Variable]]] | None:
    """Size ``d`` of an Elemwise ``node``'s output read off one input, and the pairs of input
    sizes (along ``d``) that the node required to be equal. None under NumPy's rule, where
    any size may be 1 at run time (the size is then not any one input's)."""
    sizes: list[Variable] = []
    seen: set[Variable] = set()
    static: int | None = None
    for inp in node.inputs:
        s = inp.type.shape[d]  # type: ignore[attr-defined]
        if s == 1 or inp in seen:
            continue
        seen.add(inp)
        if s is not None:
            static = s
            sizes.append(make_constant(s, "int64"))
        else:
            sizes.append(shape_i(inp, d))
    if not sizes:
        return make_constant(1, "int64"), []
    if len(sizes) > 1 and not strict_broadcasting():
        return None
    first = make_constant(static, "int64") if static is not None else sizes[0]
    return first, [(first, s) for s in sizes if s is not first]


def _elemwise_size(node: Apply, d: int) -> Variable | None:
    """Size ``d`` of an Elemwise ``node``'s output, from its inputs' sizes, checked.

    Every input whose size along any axis is not statically 1 must have the
    output's size there, or the Elemwise raises; the size is read off one
    input and the node's other size checks are kept (`shape_checks`), so that
    no longer computing the node does not turn a mismatch into a value.
    """
    pairs: list[tuple[Variable, Variable]] = []
    entry: Variable | None = None
    for k in range(node.outputs[0].type.ndim):  # type: ignore[attr-defined]
        got = _elemwise_sizes(node, k)
        if got is None:
            return None
        pairs.extend(got[1])
        if k == d:
            entry = got[0]
    assert entry is not None
    return shape_checks(entry, *pairs)


@node_rewriter([Subtensor])
def local_subtensor_make_vector(fgraph: FunctionGraph | None, node: Apply) -> Any:
    """``make_vector(a, b, c)[1]`` is ``b``; ``make_vector(a, b, c)[1:]`` is ``make_vector(b, c)``.

    Constant indices only, and only in range; what shape code builds
    (``x.shape[1:]`` once ``Shape`` is a ``make_vector``).
    """
    x = node.inputs[0]
    mv = x.owner
    if mv is None or not isinstance(mv.op, MakeVector):
        return False
    entries = subtensor_entries(node)
    if len(entries) != 1:
        return False
    (e,) = entries
    items = list(mv.inputs)
    out = node.outputs[0]
    if isinstance(e, int):
        if not -len(items) <= e < len(items):
            return False  # the original raises at run time: keep it
        res = fit(items[e], out)
        return False if res is None else [res]
    if isinstance(e, tuple) and all(p is None or isinstance(p, int) for p in e):
        if e[2] == 0:
            return False
        picked = items[slice(*e)]
        dtype = dtype_of(out)
        new = (
            make_vector(*picked, dtype=dtype)
            if picked
            else make_constant(np.zeros(0, dtype=dtype), dtype)
        )
        res = fit(new, out)
        return False if res is None else [res]
    return False


#: ``(name, rewriter, tags)`` for `graft_register_rewrites`, in the order they are tried.
REWRITES: list[tuple[str, FromFunctionNodeRewriter, tuple[str, ...]]] = [
    ("local_shape_to_shape_i", local_shape_to_shape_i, ("fast_run", "fast_compile", "shape")),
    ("local_shape_i_lift", local_shape_i_lift, ("fast_run", "fast_compile", "shape")),
    (
        "local_subtensor_make_vector",
        local_subtensor_make_vector,
        ("fast_run", "fast_compile", "shape"),
    ),
]
