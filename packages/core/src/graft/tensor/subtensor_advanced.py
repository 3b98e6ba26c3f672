"""Advanced (integer-array and boolean-mask) indexing: `AdvancedSubtensor` and friends.

NumPy's rules, which the static shapes and ``infer_shape`` here follow:

* a boolean mask with ``k`` dimensions indexes ``k`` dimensions of ``x`` and
  acts like the ``k`` integer arrays of its ``nonzero()``; a 0-d mask indexes
  none and adds a dimension of size 1 (True) or 0 (False);
* all integer arrays, masks and integer scalars are broadcast together;
  their broadcast dimensions replace the indexed dimensions in place when
  these advanced entries are adjacent in the index, and go first otherwise
  (a slice, ``None`` or ``...`` between them separates them);
* the result is a copy, not a view.

`AdvancedSubtensor1` is the common case ``x[ivector]`` (one integer vector on
axis 0). The ``Inc`` variants write ``y`` into the indexed region: ``set``
keeps the last write for repeated indices, ``inc`` accumulates like
``np.add.at``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from graft.graph.basic import Apply, Constant, Variable
from graft.graph.op import Op
from graft.tensor.basic import as_tensor_variable, cast
from graft.tensor.elemwise import broadcast_static_shape
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
    check_int_index,
    consumed_dims,
    d_broadcast,
    format_idx_list,
    materialize,
    n_idx_inputs,
    slice_length,
    static_slice_length,
    ttype,
)

# ---------------------------------------------------------------------------
# Layout: where each output dimension comes from
# ---------------------------------------------------------------------------


class _Layout:
    """The output dimensions of an advanced index, as descriptors.

    ``items`` lists, in output order: ``("x", axis)`` (an unindexed dim of
    ``x``), ``("slice", axis, pos)``, ``("new",)`` and one ``("adv",)`` where
    the broadcast block of advanced indices goes. ``adv`` lists each advanced
    entry as ``(pos, entry, axes, input_index)`` (``input_index`` is None for
    a constant int). ``inputs_of[pos]`` are the indices, among the index
    inputs, that the entry at ``pos`` reads.
    """

    def __init__(
        self, idx_list: Sequence[IdxEntry], x_ndim: int, index_ndims: Sequence[int]
    ) -> None:
        self.items: list[tuple[Any, ...]] = []
        self.adv: list[tuple[int, IdxEntry, tuple[int, ...], int | None]] = []
        self.inputs_of: dict[int, list[int]] = {}
        ndims = iter(index_ndims)
        widths: list[int] = []
        k_in = 0
        for pos, e in enumerate(idx_list):
            if isinstance(e, tuple):
                widths.append(1)
                n = sum(p == SYM for p in e)
                self.inputs_of[pos] = list(range(k_in, k_in + n))
                k_in += n
            elif e is None or e == ELLIPSIS:
                widths.append(0)
            elif e in (SYM, ARRAY, MASK):
                nd = next(ndims) if e != SYM else 0
                widths.append(nd if e == MASK else 1)
                self.inputs_of[pos] = [k_in]
                k_in += 1
            else:
                widths.append(1)
        used = sum(widths)
        if used > x_ndim:
            raise IndexError(f"too many indices: {used} for a {x_ndim}-d tensor")
        axis = 0
        adv_pos: list[int] = []
        block_at: int | None = None
        for pos, e in enumerate(idx_list):
            if isinstance(e, tuple):
                self.items.append(("slice", axis, pos))
                axis += 1
            elif e is None:
                self.items.append(("new",))
            elif e == ELLIPSIS:
                for _ in range(x_ndim - used):
                    self.items.append(("x", axis))
                    axis += 1
            else:
                w = widths[pos]
                ins = self.inputs_of.get(pos)
                self.adv.append((pos, e, tuple(range(axis, axis + w)), ins[0] if ins else None))
                axis += w
                adv_pos.append(pos)
                if block_at is None:
                    block_at = len(self.items)
                    self.items.append(("adv",))
        while axis < x_ndim:
            self.items.append(("x", axis))
            axis += 1
        self.adjacent = bool(adv_pos) and adv_pos[-1] - adv_pos[0] + 1 == len(adv_pos)
        if adv_pos and not self.adjacent:
            # Separated advanced indices: NumPy puts the broadcast block first.
            self.items.remove(("adv",))
            self.items.insert(0, ("adv",))

    def output_dims(
        self, x_dims: Sequence[Dim], block: Sequence[Dim], slice_len: Callable[[int, int], Dim]
    ) -> list[Dim]:
        """The output's dims in order (static or symbolic, as the arguments are).

        ``x_dims`` are ``x``'s dims, ``block`` those of the broadcast advanced
        indices, and ``slice_len(axis, pos)`` the length of the slice at
        ``idx_list[pos]`` on ``axis``.
        """
        out: list[Dim] = []
        for item in self.items:
            if item[0] == "x":
                out.append(x_dims[item[1]])
            elif item[0] == "new":
                out.append(1)
            elif item[0] == "slice":
                out.append(slice_len(item[1], item[2]))
            else:
                out.extend(block)
        return out


def _index_inputs_ndims(idx_list: Sequence[IdxEntry], idx_inputs: Sequence[Variable]) -> list[int]:
    """The ndims of the array/mask inputs, in order (what `_Layout` needs)."""
    out = []
    it = iter(idx_inputs)
    for e in idx_list:
        if isinstance(e, tuple):
            for p in e:
                if p == SYM:
                    next(it)
        elif e == SYM:
            next(it)
        elif e in (ARRAY, MASK):
            out.append(next(it).type.ndim)  # type: ignore[attr-defined]
    return out


def _adv_entry(e: Any) -> IdxEntry:
    if e is None or e in (SYM, ARRAY, MASK, ELLIPSIS):
        return e
    if isinstance(e, int | np.integer) and not isinstance(e, bool):
        return int(e)
    raise TypeError(f"bad entry {e!r} in an advanced index list")


def _check_adv_idx_list(idx_list: Any) -> tuple[IdxEntry, ...]:
    out = check_idx_list(idx_list, "an advanced", _adv_entry)
    if sum(e == ELLIPSIS for e in out) > 1:
        raise IndexError("an index can only have a single ellipsis ('...')")
    return tuple(out)


def _check_index_inputs(
    op: Any, idx_list: Sequence[IdxEntry], idx_inputs: Sequence[Any]
) -> list[Variable]:
    if len(idx_inputs) != n_idx_inputs(idx_list):
        raise TypeError(f"{op} takes {n_idx_inputs(idx_list)} index inputs, got {len(idx_inputs)}")
    kinds: list[str] = []
    for e in idx_list:
        if isinstance(e, tuple):
            kinds.extend(SYM for p in e if p == SYM)
        elif e in (SYM, ARRAY, MASK):
            kinds.append(e)
    out: list[Variable] = []
    for kind, raw in zip(kinds, idx_inputs):
        v = as_tensor_variable(raw)
        dt = ttype(v).dtype
        if kind == MASK:
            if dt != "bool":
                raise TypeError(f"{op}: a mask index must be boolean, got {v} ({v.type})")
        elif dt[0] not in "iu":
            raise TypeError(f"{op}: an index must be integer, got {v} ({v.type})")
        elif kind == SYM and ttype(v).ndim != 0:
            raise TypeError(f"{op}: a scalar index must be 0-d, got {v} ({v.type})")
        out.append(v)
    return out


def _check_const_indices(op: Any, v: Variable, axis: int, size: int | None) -> None:
    """IndexError at build time when a constant index array ``v`` leaves a dim of known size."""
    if not isinstance(v, Constant) or size is None:
        return
    data = np.asarray(v.data)
    if data.size:
        bad = data[(data < -size) | (data >= size)]
        if bad.size:
            raise IndexError(
                f"{op}: index {int(bad.flat[0])} is out of bounds for axis {axis} with size {size}"
            )


def _adv_static_shape(
    op: Any, idx_list: Sequence[IdxEntry], x: Variable, idx_inputs: Sequence[Variable]
) -> tuple[int | None, ...]:
    """Static output shape, with build-time checks of constant indices against known sizes."""
    xs = x.type.shape  # type: ignore[attr-defined]
    lay = _Layout(idx_list, len(xs), _index_inputs_ndims(idx_list, idx_inputs))
    shapes: list[tuple[int | None, ...]] = []
    for _pos, e, axes, k in lay.adv:
        if isinstance(e, int):
            check_int_index(op, e, axes[0], xs[axes[0]])
            shapes.append(())
        elif e == SYM:
            shapes.append(())
        elif e == ARRAY:
            v = idx_inputs[k]  # type: ignore[index]
            _check_const_indices(op, v, axes[0], xs[axes[0]])
            shapes.append(v.type.shape)  # type: ignore[attr-defined]
        else:
            v = idx_inputs[k]  # type: ignore[index]
            ms = v.type.shape  # type: ignore[attr-defined]
            for j, a in enumerate(axes):
                if ms[j] is not None and xs[a] is not None and ms[j] != xs[a]:
                    raise IndexError(
                        f"{op}: boolean index did not match indexed tensor along axis {a}; "
                        f"size of axis is {xs[a]} but size of corresponding boolean axis is {ms[j]}"
                    )
            count: int | None = None
            if isinstance(v, Constant):
                count = int(np.count_nonzero(v.data))
            elif any(s == 0 for s in ms):
                count = 0
            shapes.append((count,))
    nd = max((len(s) for s in shapes), default=0)
    padded = [(1,) * (nd - len(s)) + tuple(s) for s in shapes]
    try:
        block = broadcast_static_shape(op, padded) if padded and nd else ()
    except ValueError:
        raise IndexError(
            f"{op}: shape mismatch: indexing arrays could not be broadcast together with shapes "
            + " ".join(str(s) for s in shapes)
        ) from None

    def slice_len(axis: int, pos: int) -> int | None:
        try:
            return static_slice_length(xs[axis], idx_list[pos])
        except ValueError as err:
            raise ValueError(f"{op}: {err}") from None

    return tuple(lay.output_dims(xs, block, slice_len))


def _adv_infer_shape(
    idx_list: Sequence[IdxEntry],
    node: Apply,
    xshp: Sequence[Dim],
    idx_shapes: Sequence[Any],
    first: int,
) -> tuple[Dim, ...]:
    """Symbolic output shape; ``first`` is the position of the first index input in ``node.inputs``."""
    from graft.tensor.math import sum as tsum

    idx_inputs = node.inputs[first:]
    lay = _Layout(idx_list, len(xshp), _index_inputs_ndims(idx_list, idx_inputs))
    static = node.outputs[0].type.shape  # type: ignore[attr-defined]
    shapes: list[tuple[Dim, ...]] = []
    for _pos, e, _axes, k in lay.adv:
        if isinstance(e, int) or e == SYM:
            shapes.append(())
        elif e == ARRAY:
            assert k is not None
            st = idx_inputs[k].type.shape  # type: ignore[attr-defined]
            shapes.append(tuple(s if s is not None else d for s, d in zip(st, idx_shapes[k])))
        else:
            assert k is not None
            m = idx_inputs[k]
            if isinstance(m, Constant):
                shapes.append((int(np.count_nonzero(m.data)),))
            else:
                shapes.append((cast(tsum(m, dtype="int64"), "int64"),))
    nd = max((len(s) for s in shapes), default=0)
    block: list[Dim] = [1] * nd
    for s in shapes:
        for j, d in enumerate(s):
            at = nd - len(s) + j
            block[at] = d_broadcast(block[at], d)

    def slice_len(axis: int, pos: int) -> Dim:
        e = idx_list[pos]
        ins = iter(lay.inputs_of.get(pos, []))
        a, b, c = (idx_inputs[next(ins)] if p == SYM else p for p in e)
        return slice_length(xshp[axis], a, b, c)

    out = lay.output_dims(xshp, block, slice_len)
    return tuple(s if s is not None else d for s, d in zip(static, out))


# ---------------------------------------------------------------------------
# Ops
# ---------------------------------------------------------------------------


class AdvancedSubtensor(IndexingOp):
    """General NumPy indexing with integer arrays and/or boolean masks (a copy of ``x``).

    ``idx_list`` uses the entries of `graft.tensor.subtensor` (``"a"``:
    integer array input, ``"b"``: mask input, ``None``, ``"..."``, ints,
    ``"?"`` scalars, slices). Inputs are ``x`` then the index inputs in order.

    Example::

        x = gt.tensor3("x"); i = gt.lvector("i")
        AdvancedSubtensor(((None, None, None), "a"))(x, i)   # x[:, i]
    """

    __props__ = ("idx_list",)

    def __init__(self, idx_list: Sequence[IdxEntry]) -> None:
        self.idx_list = _check_adv_idx_list(idx_list)

    def _check_index(
        self, x: Variable, idx_inputs: Sequence[Any]
    ) -> tuple[list[Variable], tuple[int | None, ...]]:
        ins = _check_index_inputs(self, self.idx_list, idx_inputs)
        try:
            return ins, _adv_static_shape(self, self.idx_list, x, ins)
        except IndexError as e:
            msg = str(e)
            raise IndexError(
                msg if msg.startswith(str(self)) else f"{self}: {msg} ({x})"
            ) from None

    def perform(self, node: Apply, inputs: Sequence[Any], output_storage: list[list[Any]]) -> None:
        x = inputs[0]
        idx = materialize(self.idx_list, inputs[1:])
        try:
            output_storage[0][0] = np.asarray(x[idx])
        except (IndexError, ValueError) as e:
            shapes = [np.shape(i) for i in inputs[1:]]
            raise type(e)(f"{self}: {e} (x shape {x.shape}, index shapes {shapes})") from None

    def infer_shape(self, fgraph: Any, node: Apply, input_shapes: list[Any]) -> list[Any]:
        return [_adv_infer_shape(self.idx_list, node, input_shapes[0], input_shapes[1:], 1)]

    def _write_op(self, set_instead_of_inc: bool) -> Op:
        return AdvancedIncSubtensor(self.idx_list, set_instead_of_inc)

    def __str__(self) -> str:
        return f"AdvancedSubtensor{{{format_idx_list(self.idx_list)}}}"


class AdvancedIncSubtensor(IncIndexingOp):
    """``x`` with the advanced-indexed region set to, or incremented by, ``y``.

    Inputs: ``x``, ``y``, then the index inputs of ``idx_list``. Increments
    accumulate over repeated indices (``np.add.at``); a set keeps the last
    write. ``y`` broadcasts onto the region and must cast to ``x``'s dtype
    within its kind.

    Example::

        AdvancedIncSubtensor(("a",))(x, 1.0, [0, 0, 2])   # x[0] += 2, x[2] += 1
    """

    __props__ = ("idx_list", "set_instead_of_inc", "inplace")

    def __init__(
        self, idx_list: Sequence[IdxEntry], set_instead_of_inc: bool = False, inplace: bool = False
    ) -> None:
        self.idx_list = _check_adv_idx_list(idx_list)
        super().__init__(set_instead_of_inc, inplace)

    def _check_index(
        self, x: Variable, idx_inputs: Sequence[Any]
    ) -> tuple[list[Variable], tuple[int | None, ...]]:
        ins = _check_index_inputs(self, self.idx_list, idx_inputs)
        return ins, _adv_static_shape(self, self.idx_list, x, ins)

    def perform(self, node: Apply, inputs: Sequence[Any], output_storage: list[list[Any]]) -> None:
        x, y = inputs[0], inputs[1]
        out = x if self.inplace else x.copy()
        idx = materialize(self.idx_list, inputs[2:])
        try:
            _scatter(self, out, idx, y)
        except (IndexError, ValueError) as e:
            shapes = [np.shape(i) for i in inputs[2:]]
            raise type(e)(
                f"{self}: {e} (x shape {x.shape}, y shape {np.shape(y)}, index shapes {shapes})"
            ) from None
        output_storage[0][0] = out

    def _read_op(self) -> Op:
        return AdvancedSubtensor(self.idx_list)

    def _write_op(self, set_instead_of_inc: bool) -> Op:
        return AdvancedIncSubtensor(self.idx_list, set_instead_of_inc)

    def __str__(self) -> str:
        kind = "Set" if self.set_instead_of_inc else "Inc"
        ip = ";inplace" if self.inplace else ""
        return f"Advanced{kind}Subtensor{{{format_idx_list(self.idx_list)}{ip}}}"


def _scatter(op: IncIndexingOp, out: np.ndarray, idx: Any, y: Any) -> None:
    """Write ``y`` into ``out[idx]``: the last write wins for a set, an inc accumulates."""
    if op.set_instead_of_inc:
        out[idx] = y
    else:
        np.add.at(out, idx, np.asarray(y, dtype=out.dtype))


def _check_ilist(
    op: Any, x: Variable, idx_inputs: Sequence[Any]
) -> tuple[list[Variable], tuple[int | None, ...]]:
    """`IndexingOp._check_index` for one integer vector (``idx_inputs``) on axis 0 of ``x``."""
    (raw,) = idx_inputs
    ilist: Any = as_tensor_variable(raw)
    if ilist.type.ndim != 1 or ilist.type.dtype[0] not in "iu":
        raise TypeError(f"{op}: the index must be an integer vector, got {ilist} ({ilist.type})")
    if x.type.ndim == 0:  # type: ignore[attr-defined]
        raise IndexError(f"{op}: cannot index the 0-d tensor {x} with a vector")
    xs = ttype(x).shape
    _check_const_indices(op, ilist, 0, xs[0])
    return [ilist], (ilist.type.shape[0], *xs[1:])


class AdvancedSubtensor1(IndexingOp):
    """``x[ilist]`` for one integer vector on axis 0 (``np.take(x, ilist, axis=0)``).

    Example::

        AdvancedSubtensor1()(x_matrix, [2, 0, 2])   # rows 2, 0, 2
    """

    __props__ = ()

    def make_node(self, x: Any, ilist: Any) -> Apply:
        # Only to keep the public signature's named ``ilist``.
        return super().make_node(x, ilist)

    _check_index = _check_ilist

    def perform(self, node: Apply, inputs: Sequence[Any], output_storage: list[list[Any]]) -> None:
        x, i = inputs
        try:
            output_storage[0][0] = x[i]
        except IndexError as e:
            raise IndexError(f"{self}: {e} (x shape {x.shape})") from None

    def infer_shape(self, fgraph: Any, node: Apply, input_shapes: list[Any]) -> list[Any]:
        xs, ishp = input_shapes
        n = node.outputs[0].type.shape[0]  # type: ignore[attr-defined]
        return [(n if n is not None else ishp[0], *xs[1:])]

    def _write_op(self, set_instead_of_inc: bool) -> Op:
        return AdvancedIncSubtensor1(set_instead_of_inc)

    def __str__(self) -> str:
        return "AdvancedSubtensor1"


class AdvancedIncSubtensor1(IncIndexingOp):
    """``x`` with rows ``ilist`` set to / incremented by ``y`` (increments accumulate on repeats).

    Example::

        AdvancedIncSubtensor1()(x_vector, 1.0, [0, 0])   # x[0] += 2
    """

    __props__ = ("set_instead_of_inc", "inplace")

    def make_node(self, x: Any, y: Any, ilist: Any) -> Apply:
        # Only to keep the public signature's named ``ilist``.
        return super().make_node(x, y, ilist)

    _check_index = _check_ilist

    def perform(self, node: Apply, inputs: Sequence[Any], output_storage: list[list[Any]]) -> None:
        x, y, i = inputs
        out = x if self.inplace else x.copy()
        try:
            _scatter(self, out, i, y)
        except (IndexError, ValueError) as e:
            raise type(e)(
                f"{self}: {e} (x shape {x.shape}, y shape {np.shape(y)}, index shape {np.shape(i)})"
            ) from None
        output_storage[0][0] = out

    def _read_op(self) -> Op:
        return AdvancedSubtensor1()

    def _write_op(self, set_instead_of_inc: bool) -> Op:
        return AdvancedIncSubtensor1(set_instead_of_inc)

    def __str__(self) -> str:
        kind = "Set" if self.set_instead_of_inc else "Inc"
        ip = "{inplace}" if self.inplace else ""
        return f"Advanced{kind}Subtensor1{ip}"


def advanced_getitem(x: Variable, parsed: list[tuple[str, Any]]) -> Variable:
    """Build the advanced-indexing node for already-parsed entries (see `getitem`).

    The index is canonicalised so equal indexing merges: the ellipsis becomes
    full slices, and trailing full slices are dropped. An ellipsis standing
    for no dimension still separates advanced indices in NumPy, so it stays
    when it sits between two of them (and then nothing is dropped after it).
    """
    ndim = ttype(x).ndim
    used = sum(consumed_dims(k, v) for k, v in parsed)
    adv = [i for i, (k, _) in enumerate(parsed) if k in ("int", "sym", "array", "mask")]
    canon: list[tuple[str, Any]] = []
    for i, (k, v) in enumerate(parsed):
        if k != "ellipsis":
            canon.append((k, v))
        elif ndim > used:
            canon.extend([("slice", FULL)] * (ndim - used))
        elif adv and adv[0] < i < adv[-1]:
            canon.append((k, v))
    idx_list, inputs = build_idx_list(canon)
    entries = list(idx_list)
    if ELLIPSIS not in entries:
        while entries and entries[-1] == FULL:
            entries.pop()
    if entries == [ARRAY] and ttype(inputs[0]).ndim == 1:
        return AdvancedSubtensor1()(x, inputs[0])
    return AdvancedSubtensor(tuple(entries))(x, *inputs)
