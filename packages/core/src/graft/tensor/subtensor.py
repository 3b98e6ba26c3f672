"""NumPy indexing on tensors: `getitem`, basic `Subtensor`/`IncSubtensor`, `set_subtensor`.

``x[idx]`` calls `getitem`, which follows NumPy's indexing rules:

* basic indexing (ints, slices, ``None``, ``...``, symbolic integer scalars
  and symbolic slice bounds) builds a `Subtensor`, a view of ``x``; ``None``
  entries become a `DimShuffle` on top of it;
* any integer array or boolean mask makes it advanced indexing
  (`graft.tensor.subtensor_advanced`, re-exported here): `AdvancedSubtensor1`
  for one integer vector on axis 0, `AdvancedSubtensor` otherwise.

Index parsing and shape arithmetic live in `graft.tensor.subtensor_index`.

An op stores its index structure in ``idx_list`` (a hashable tuple, part of
``__props__``), so equal indexing of the same variable merges. Entries:

========================  ==============================================
``int``                   a constant integer index
``"?"``                   a symbolic integer scalar (the next node input)
``(start, stop, step)``   a slice; each part None, an int or ``"?"``
``None``                  ``numpy.newaxis`` (advanced ops only)
``"..."``                 ``Ellipsis`` (advanced ops only)
``"a"`` / ``"b"``         an integer array / boolean mask input (advanced)
========================  ==============================================

`set_subtensor` and `inc_subtensor` take the *result* of indexing and read
its owner to find what was indexed and how.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from graft.graph.basic import Apply, Variable
from graft.graph.op import Op
from graft.tensor.basic import as_tensor_variable, constant
from graft.tensor.elemwise import DimShuffle
from graft.tensor.subtensor_advanced import (
    AdvancedIncSubtensor,
    AdvancedIncSubtensor1,
    AdvancedSubtensor,
    AdvancedSubtensor1,
    advanced_getitem,
)
from graft.tensor.subtensor_index import (
    ARRAY,
    ELLIPSIS,
    FULL,
    MASK,
    SYM,
    Dim,
    IdxEntry,
    IncIndexingOp,
    IndexingOp,
    build_idx_list,
    check_idx_list,
    check_inc_value,
    check_index_scalar,
    check_int_index,
    consumed_dims,
    contains_variable,
    format_idx_list,
    materialize,
    n_idx_inputs,
    parse_index,
    slice_length,
    static_slice_length,
    ttype,
)

__all__ = [
    "ARRAY",
    "ELLIPSIS",
    "MASK",
    "SYM",
    "AdvancedIncSubtensor",
    "AdvancedIncSubtensor1",
    "AdvancedSubtensor",
    "AdvancedSubtensor1",
    "IncSubtensor",
    "Subtensor",
    "getitem",
    "inc_subtensor",
    "set_subtensor",
    "take",
]


# ---------------------------------------------------------------------------
# Basic indexing ops
# ---------------------------------------------------------------------------


def _basic_static_shape(
    op: Any, idx_list: Sequence[IdxEntry], xs: Sequence[int | None]
) -> tuple[int | None, ...]:
    out: list[int | None] = []
    for axis, e in enumerate(idx_list):
        if isinstance(e, tuple):
            try:
                out.append(static_slice_length(xs[axis], e))
            except ValueError as err:
                raise ValueError(f"{op}: {err}") from None
        elif isinstance(e, int):
            check_int_index(op, e, axis, xs[axis])
    out.extend(xs[len(idx_list) :])
    return tuple(out)


def _basic_entry(e: Any) -> IdxEntry:
    if e == SYM or (isinstance(e, int | np.integer) and not isinstance(e, bool)):
        return e if e == SYM else int(e)
    raise TypeError(f"bad entry {e!r} in a basic index list (ints, '?' and slices only)")


def _check_basic_idx_list(idx_list: Any) -> tuple[IdxEntry, ...]:
    return tuple(check_idx_list(idx_list, "a basic", _basic_entry))


def _check_basic_inputs(
    op: Any, x: Any, idx_inputs: Sequence[Any]
) -> tuple[list[Variable], tuple[int | None, ...]]:
    """`IndexingOp._check_index` for the basic ops (``op.idx_list`` of ints, slices, ``"?"``)."""
    if len(op.idx_list) > x.type.ndim:
        raise IndexError(
            f"{op}: too many indices for a {x.type.ndim}-d tensor {x} ({len(op.idx_list)})"
        )
    if len(idx_inputs) != n_idx_inputs(op.idx_list):
        raise TypeError(
            f"{op} takes {n_idx_inputs(op.idx_list)} index inputs, got {len(idx_inputs)}"
        )
    ins = [check_index_scalar(op, v) for v in idx_inputs]
    return ins, _basic_static_shape(op, op.idx_list, x.type.shape)


class Subtensor(IndexingOp):
    """Basic indexing ``x[idx]`` by ints, slices and symbolic integer scalars: a view of ``x``.

    ``idx_list`` holds one entry per leading dimension indexed (see the
    module docstring); the node inputs are ``x`` then each ``"?"`` scalar in
    order. Integers drop their dimension, slices keep it.

    Example::

        x = gt.matrix("x")
        i = gt.lscalar("i")
        y = Subtensor((SYM, (1, None, -1)))(x, i)   # x[i, 1::-1]
    """

    __props__ = ("idx_list",)
    view_map = {0: [0]}

    def __init__(self, idx_list: Sequence[IdxEntry]) -> None:
        self.idx_list = _check_basic_idx_list(idx_list)

    _check_index = _check_basic_inputs

    def perform(self, node: Apply, inputs: Sequence[Any], output_storage: list[list[Any]]) -> None:
        x = inputs[0]
        idx = materialize(self.idx_list, inputs[1:])
        try:
            # The trailing Ellipsis makes a 0-d result a view, not a NumPy scalar.
            output_storage[0][0] = x[(*idx, Ellipsis)]
        except (IndexError, ValueError) as e:
            raise type(e)(f"{self}: {e} (input shape {x.shape})") from None

    def infer_shape(self, fgraph: Any, node: Apply, input_shapes: list[Any]) -> list[Any]:
        xshp = input_shapes[0]
        static = ttype(node.outputs[0]).shape
        syms = iter(node.inputs[1:])
        out: list[Dim] = []

        def part(p: Any) -> Any:
            return next(syms) if p == SYM else p

        for axis, e in enumerate(self.idx_list):
            if isinstance(e, tuple):
                a, b, c = (part(p) for p in e)
                known = static[len(out)]
                out.append(known if known is not None else slice_length(xshp[axis], a, b, c))
            elif e == SYM:
                next(syms)
        out.extend(xshp[len(self.idx_list) :])
        return [tuple(out)]

    def _write_op(self, set_instead_of_inc: bool) -> Op:
        return IncSubtensor(self.idx_list, set_instead_of_inc)

    def __str__(self) -> str:
        return f"Subtensor{{{format_idx_list(self.idx_list)}}}"


class IncSubtensor(IncIndexingOp):
    """``x`` with ``x[idx]`` replaced by ``y`` (``set_instead_of_inc``) or incremented by it.

    Inputs are ``x``, ``y`` (broadcast onto the indexed region), then the
    ``"?"`` scalars of ``idx_list`` as in `Subtensor`. ``y`` must cast to
    ``x``'s dtype within its kind (NumPy's rule for ``+=``). With
    ``inplace=True`` the output overwrites ``x`` (``destroy_map``).

    Example::

        z = IncSubtensor(((1, None, None),), set_instead_of_inc=True)(x, 0.0)   # x[1:] = 0
    """

    __props__ = ("idx_list", "set_instead_of_inc", "inplace")

    def __init__(
        self, idx_list: Sequence[IdxEntry], set_instead_of_inc: bool = False, inplace: bool = False
    ) -> None:
        self.idx_list = _check_basic_idx_list(idx_list)
        super().__init__(set_instead_of_inc, inplace)

    _check_index = _check_basic_inputs

    def perform(self, node: Apply, inputs: Sequence[Any], output_storage: list[list[Any]]) -> None:
        x, y = inputs[0], inputs[1]
        out = x if self.inplace else x.copy()
        idx = materialize(self.idx_list, inputs[2:])
        try:
            view = out[(*idx, Ellipsis)]
            if self.set_instead_of_inc:
                view[...] = y
            else:
                np.add(view, y, out=view, casting="same_kind")
        except (IndexError, ValueError) as e:
            raise type(e)(f"{self}: {e} (x shape {x.shape}, y shape {np.shape(y)})") from None
        output_storage[0][0] = out

    def _read_op(self) -> Op:
        return Subtensor(self.idx_list)

    def _write_op(self, set_instead_of_inc: bool) -> Op:
        return IncSubtensor(self.idx_list, set_instead_of_inc)

    def __str__(self) -> str:
        kind = "Set" if self.set_instead_of_inc else "Inc"
        ip = ";inplace" if self.inplace else ""
        return f"{kind}Subtensor{{{format_idx_list(self.idx_list)}{ip}}}"


# ---------------------------------------------------------------------------
# User-facing functions
# ---------------------------------------------------------------------------


def getitem(x: Any, idx: Any) -> Variable:
    """``x[idx]`` with NumPy semantics (basic, advanced, mixed; see the module docstring).

    Example::

        x = gt.tensor3("x")
        i = gt.lscalar("i")
        x[i, ::-1, None]          # Subtensor then DimShuffle
        x[:, [0, 2], 1:]          # AdvancedSubtensor
        x[x > 0]                  # boolean mask
    """
    x = as_tensor_variable(x)
    parsed = parse_index(x, idx)
    if any(k in ("array", "mask") for k, _ in parsed):
        return advanced_getitem(x, parsed)
    return _basic_getitem(x, parsed)


def _basic_getitem(x: Variable, parsed: list[tuple[str, Any]]) -> Variable:
    ndim = x.type.ndim  # type: ignore[attr-defined]
    consumed = sum(consumed_dims(k, v) for k, v in parsed)
    # Expand the ellipsis into full slices; record where new axes go.
    entries: list[tuple[str, Any]] = []
    for k, v in parsed:
        if k == "ellipsis":
            entries.extend([("slice", FULL)] * (ndim - consumed))
        else:
            entries.append((k, v))
    shape_idx = _shape_shortcut(x, entries)
    if shape_idx is not None:
        return shape_idx
    indexing = [(k, v) for k, v in entries if k != "new"]
    idx_list, inputs = build_idx_list(indexing)
    # Trailing full slices are implicit; keep one so x[:] still has an owner to set into.
    keep = len(idx_list)
    while keep > 1 and idx_list[keep - 1] == FULL:
        keep -= 1
    idx_list = idx_list[:keep]
    if not idx_list and ndim > 0:
        idx_list = (FULL,)
    out = Subtensor(idx_list)(x, *inputs)
    if any(k == "new" for k, _ in entries):
        order: list[int | str] = []
        j = 0
        for k, _ in entries:
            if k == "new":
                order.append("x")
            elif k == "slice":
                order.append(j)
                j += 1
        order.extend(range(j, out.type.ndim))
        out = DimShuffle(out.type.ndim, order)(out)
    return out


def _shape_shortcut(x: Variable, entries: list[tuple[str, Any]]) -> Variable | None:
    """``x.shape[i]`` with a constant ``i`` is ``shape_i``: a constant when the size is static."""
    from graft.tensor.shape import Shape, shape_i

    if x.owner is None or not isinstance(x.owner.op, Shape) or len(entries) != 1:
        return None
    kind, v = entries[0]
    if kind != "int":
        return None
    inner = x.owner.inputs[0]
    nd = inner.type.ndim  # type: ignore[attr-defined]
    if not -nd <= v < nd:
        raise IndexError(f"Subtensor: index {v} is out of bounds for axis 0 with size {nd}")
    return shape_i(inner, v % nd)


def _unwrap_index_result(x_sub: Variable, y: Variable, fn: str) -> tuple[Variable, Variable]:
    """Walk down through DimShuffles on top of an indexing op, moving ``y`` along."""
    while x_sub.owner is not None and isinstance(x_sub.owner.op, DimShuffle):
        ds = x_sub.owner.op
        out_nd = len(ds.new_order)
        if y.type.ndim > out_nd:  # type: ignore[attr-defined]
            raise ValueError(f"{fn}: value {y} has more dimensions than the indexed region")
        from graft.tensor.basic import pad_left
        from graft.tensor.shape import specify_broadcastable

        y = pad_left(y, out_nd)
        added = [d for d in ds.augment if y.type.shape[d] != 1]  # type: ignore[attr-defined]
        if added:
            y = specify_broadcastable(y, *added)
        order: list[int | str] = [
            "x" if d in ds.drop else ds.new_order.index(d) for d in range(ds.input_ndim)
        ]
        y = DimShuffle(out_nd, order)(y)
        x_sub = x_sub.owner.inputs[0]
    return x_sub, y


def _inc_or_set(x_sub: Any, y: Any, set_instead_of_inc: bool, fn: str) -> Variable:
    x_sub = as_tensor_variable(x_sub)
    y_t = y if isinstance(y, Variable) else None
    if y_t is None:
        y_t = check_inc_value(fn, x_sub, y)
    y_t = as_tensor_variable(y_t)
    inner, y_t = _unwrap_index_result(x_sub, y_t, fn)
    owner = inner.owner
    op = owner.op if owner is not None else None
    if isinstance(op, Subtensor):
        new_op: Op = IncSubtensor(op.idx_list, set_instead_of_inc)
    elif isinstance(op, AdvancedSubtensor1):
        new_op = AdvancedIncSubtensor1(set_instead_of_inc)
    elif isinstance(op, AdvancedSubtensor):
        new_op = AdvancedIncSubtensor(op.idx_list, set_instead_of_inc)
    else:
        raise TypeError(
            f"{fn}: the first argument must be the result of indexing a tensor (x[...]), "
            f"got {x_sub}"
        )
    assert owner is not None
    x, *idx_inputs = owner.inputs
    return new_op(x, y_t, *idx_inputs)


def set_subtensor(x_sub: Any, y: Any) -> Variable:
    """A copy of the indexed tensor with the region ``x_sub`` replaced by ``y`` (broadcast).

    ``x_sub`` must be the result of indexing, ``x[idx]``; the result is ``x``
    after NumPy's ``x[idx] = y``. With repeated advanced indices the last
    write wins.

    Example::

        z = set_subtensor(x[1:, 0], 0.0)     # like x2 = x.copy(); x2[1:, 0] = 0
    """
    return _inc_or_set(x_sub, y, True, "set_subtensor")


def inc_subtensor(x_sub: Any, y: Any) -> Variable:
    """A copy of the indexed tensor with ``y`` added to the region ``x_sub``.

    Repeated advanced indices accumulate, like ``np.add.at``.

    Example::

        z = inc_subtensor(x[[0, 0, 2]], 1.0)   # x[0] += 2, x[2] += 1
    """
    return _inc_or_set(x_sub, y, False, "inc_subtensor")


def take(x: Any, indices: Any, axis: int | None = None) -> Variable:
    """``np.take(x, indices, axis)``: elements along ``axis`` (of the flattened ``x`` when None).

    Negative indices count from the end; out-of-range indices raise.

    Example::

        take(x_matrix, [2, 0], axis=1)   # x[:, [2, 0]]
    """
    x = as_tensor_variable(x)
    if isinstance(indices, list | tuple) and contains_variable(indices):
        indices = as_tensor_variable(indices)
    if not isinstance(indices, Variable):
        arr = np.asarray(indices)
        if arr.size == 0 and arr.dtype.kind == "f":
            arr = arr.astype("int64")
        indices = constant(arr)
    indices = as_tensor_variable(indices)
    if indices.type.dtype[0] not in "iu":
        raise TypeError(f"take: indices must be integers, got {indices.type}")
    if axis is None:
        from graft.tensor.shape import flatten

        x = flatten(x) if x.type.ndim != 1 else x
        axis = 0
    nd = x.type.ndim
    if not -nd <= axis < nd:
        raise ValueError(f"take: axis {axis} is out of range for a {nd}-d tensor {x}")
    axis %= nd
    return getitem(x, (slice(None),) * axis + (indices,))
