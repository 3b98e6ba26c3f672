"""Index machinery shared by the indexing ops of `graft.tensor.subtensor`.

* the ``idx_list`` encoding (see `graft.tensor.subtensor`) and its helpers:
  `parse_index` (a NumPy index to classified entries), `build_idx_list`,
  `materialize` (back to a NumPy index at run time), `format_idx_list`;
* shape arithmetic on "dims" that are Python ints or symbolic int64 scalars
  (`d_add`, `d_where`, ..., `slice_length`): ints stay ints, so shapes that
  are known statically never turn into graphs;
* checks and gradient helpers common to the ops, and their base classes
  `IndexingOp` (reads ``x[idx]``) and `IncIndexingOp` (writes into it).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from graft.graph.basic import Apply, Variable
from graft.graph.op import Op

# The shape arithmetic and gradient helpers live in graft.tensor.basic (the
# constructor Ops there use them too); the indexing Ops import them from here.
from graft.tensor.basic import (
    Dim,
    _dim,
    _m,
    as_tensor_variable,
    const_int,
    constant,
    d_add,
    d_floordiv,
    d_max,
    d_min,
    d_sub,
    disconnected,
    discrete_zero_grad,
    is_disconnected,
    is_discrete,
    sum_to_shape_of,
    ttype,
    zeros_like,
)
from graft.tensor.basic import d_mul as d_mul
from graft.tensor.type import TensorType

SYM = "?"
ELLIPSIS = "..."
ARRAY = "a"
MASK = "b"

IdxEntry = Any  # int | str | tuple[int | str | None, int | str | None, int | str | None] | None


def d_where(cond: Any, a: Dim, b: Dim) -> Dim:
    """``a if cond else b`` for a Python bool or a symbolic boolean scalar."""
    if isinstance(cond, bool | np.bool_):
        return _dim(a) if cond else _dim(b)
    a, b = _dim(a), _dim(b)
    if isinstance(a, int) and isinstance(b, int) and a == b:
        return a
    return _m().switch(cond, a, b)


def d_lt(a: Dim, b: Dim) -> Any:
    a, b = _dim(a), _dim(b)
    if isinstance(a, int) and isinstance(b, int):
        return a < b
    return _m().lt(a, b)


def d_eq(a: Dim, b: Dim) -> Any:
    a, b = _dim(a), _dim(b)
    if isinstance(a, int) and isinstance(b, int):
        return a == b
    return _m().eq(a, b)


def d_broadcast(a: Dim, b: Dim) -> Dim:
    """The broadcast of two sizes, assuming they are compatible (1 stretches; 0 wins over 1)."""
    a, b = _dim(a), _dim(b)
    if isinstance(a, int) and a == 1:
        return b
    if isinstance(b, int) and b == 1:
        return a
    if isinstance(a, int) and isinstance(b, int):
        return max(a, b) if min(a, b) != 0 else 0
    return d_where(d_eq(a, 1), b, a)


def _norm_bound(b: Dim | None, n: Dim, default: Dim, lo: Dim, hi: Dim) -> Dim:
    """A slice bound resolved like ``slice.indices``: negative counts from the end, then clipped."""
    if b is None:
        return default
    b = d_where(d_lt(b, 0), d_add(b, n), b)
    return d_min(d_max(b, lo), hi)


def slice_length(n: Dim, start: Dim | None, stop: Dim | None, step: Dim | None) -> Dim:
    """``len(range(*slice(start, stop, step).indices(n)))`` for ints or symbolic scalars."""
    ints = [const_int(v) if v is not None else None for v in (n, start, stop, step)]
    if all(i is not None or v is None for i, v in zip(ints, (n, start, stop, step))):
        nn, a, b, c = ints
        assert nn is not None
        if c == 0:
            raise ValueError("slice step cannot be zero")
        return len(range(*slice(a, b, c).indices(nn)))

    def positive(s: Dim) -> Dim:
        lo = _norm_bound(start, n, 0, 0, n)
        hi = _norm_bound(stop, n, n, 0, n)
        return d_max(0, d_floordiv(d_add(d_sub(hi, lo), d_sub(s, 1)), s))

    def negative(s: Dim) -> Dim:
        last = d_sub(n, 1)
        hi = _norm_bound(start, n, last, -1, last)
        lo = _norm_bound(stop, n, -1, -1, last)
        neg_s = d_sub(0, s)
        return d_max(0, d_floordiv(d_add(d_sub(hi, lo), d_sub(neg_s, 1)), neg_s))

    if step is None:
        return positive(1)
    c = const_int(step)
    if c is not None:
        if c == 0:
            raise ValueError("slice step cannot be zero")
        return positive(c) if c > 0 else negative(c)
    s = _dim(step)
    # A zero step fails at run time; guard the division so the shape graph never divides by 0.
    safe_pos = d_max(s, 1)
    safe_neg = d_min(s, -1)
    return d_where(d_lt(0, s), positive(safe_pos), negative(safe_neg))


def static_slice_length(n: int | None, part: tuple[Any, Any, Any]) -> int | None:
    """Static length of a slice entry (parts None/int/``"?"``) of a dim of static size ``n``."""
    a, b, c = part
    if c == 0:
        raise ValueError("slice step cannot be zero")
    if SYM in (a, b, c):
        return None
    if n is not None:
        return len(range(*slice(a, b, c).indices(n)))
    # Unknown size: an empty range is empty for every n when both bounds have one sign.
    step = 1 if c is None else c
    same_sign = a is not None and b is not None and (a < 0) == (b < 0)
    if same_sign and ((step > 0 and b <= a) or (step < 0 and b >= a)):
        return 0
    return None


# ---------------------------------------------------------------------------
# Index parsing
# ---------------------------------------------------------------------------


def _valid_index_msg(e: Any) -> str:
    return (
        "only integers, slices (`:`), ellipsis (`...`), numpy.newaxis (`None`) and integer or "
        f"boolean arrays are valid indices; got {e!r}"
    )


def _slice_part(p: Any) -> Any:
    """A slice bound: None, a Python int, or an integer 0-d tensor."""
    if p is None:
        return None
    c = const_int(p)
    if c is not None:
        return c
    if isinstance(p, Variable):
        v = as_tensor_variable(p)
        if ttype(v).ndim == 0 and ttype(v).dtype[0] in "iu":
            return v
    raise IndexError(f"slice indices must be integers or None, got {p!r}")


def parse_index(x: Variable, idx: Any) -> list[tuple[str, Any]]:
    """Classify each entry of ``idx`` (a NumPy index) for tensor ``x``.

    Returns ``(kind, value)`` pairs, kind one of ``int`` (Python int), ``sym``
    (int 0-d tensor), ``slice`` (a 3-tuple of None/int/tensor), ``new``,
    ``ellipsis``, ``array`` (integer tensor, ndim >= 1) and ``mask`` (bool
    tensor). Raises IndexError for invalid entries or too many indices.
    """
    if not isinstance(idx, tuple):
        idx = (idx,)
    out: list[tuple[str, Any]] = []
    for e in idx:
        if e is None:
            out.append(("new", None))
        elif e is Ellipsis:
            out.append(("ellipsis", None))
        elif isinstance(e, bool | np.bool_):
            out.append(("mask", constant(np.asarray(e, dtype=bool))))
        elif isinstance(e, int | np.integer):
            out.append(("int", int(e)))
        elif isinstance(e, slice):
            out.append(("slice", (_slice_part(e.start), _slice_part(e.stop), _slice_part(e.step))))
        else:
            out.append(_classify_array(e))
    n_ell = sum(k == "ellipsis" for k, _ in out)
    if n_ell > 1:
        raise IndexError("an index can only have a single ellipsis ('...')")
    consumed = sum(consumed_dims(k, v) for k, v in out)
    ndim = x.type.ndim  # type: ignore[attr-defined]
    if consumed > ndim:
        raise IndexError(
            f"too many indices for tensor {x}: it is {ndim}-dimensional, but {consumed} were indexed"
        )
    return out


def consumed_dims(kind: str, v: Any) -> int:
    if kind in ("int", "sym", "slice", "array"):
        return 1
    if kind == "mask":
        return int(v.type.ndim)
    return 0


def _classify_array(e: Any) -> tuple[str, Any]:
    v: Variable
    if isinstance(e, Variable):
        try:
            v = as_tensor_variable(e)
        except TypeError:
            raise IndexError(_valid_index_msg(e)) from None
    elif isinstance(e, list | tuple | np.ndarray) or np.isscalar(e):
        has_var = isinstance(e, list | tuple) and contains_variable(e)
        if has_var:
            v = as_tensor_variable(e)
        else:
            arr = np.asarray(e)
            if arr.size == 0 and arr.dtype.kind == "f":
                arr = arr.astype("int64")  # NumPy reads an empty list as an integer index
            if arr.dtype.kind not in "biu":
                raise IndexError(_valid_index_msg(e))
            v = constant(arr)
    else:
        raise IndexError(_valid_index_msg(e))
    dt = ttype(v).dtype
    if dt == "bool":
        return ("mask", v)
    if dt[0] not in "iu":
        raise IndexError(_valid_index_msg(e) + f" (dtype {dt})")
    if ttype(v).ndim == 0:
        c = const_int(v)
        return ("int", c) if c is not None else ("sym", v)
    return ("array", v)


def contains_variable(e: Any) -> bool:
    """Whether a (nested) list/tuple holds a graph variable."""
    stack = [e]
    while stack:
        item = stack.pop()
        if isinstance(item, Variable):
            return True
        if isinstance(item, list | tuple):
            stack.extend(item)
    return False


def build_idx_list(
    parsed: Sequence[tuple[str, Any]],
) -> tuple[tuple[IdxEntry, ...], list[Variable]]:
    """Split parsed entries into a hashable ``idx_list`` and the list of symbolic inputs."""
    entries: list[IdxEntry] = []
    inputs: list[Variable] = []

    def part(p: Any) -> Any:
        if isinstance(p, Variable):
            inputs.append(p)
            return SYM
        return p

    for kind, v in parsed:
        if kind == "int":
            entries.append(int(v))
        elif kind == "sym":
            inputs.append(v)
            entries.append(SYM)
        elif kind == "slice":
            entries.append(_canon_slice(tuple(part(p) for p in v)))
        elif kind == "new":
            entries.append(None)
        elif kind == "ellipsis":
            entries.append(ELLIPSIS)
        elif kind == "array":
            inputs.append(v)
            entries.append(ARRAY)
        elif kind == "mask":
            inputs.append(v)
            entries.append(MASK)
    return tuple(entries), inputs


def _canon_slice(p: tuple[Any, Any, Any]) -> tuple[Any, Any, Any]:
    a, b, c = p
    if c == 1:
        c = None
    if a == 0 and c is None:
        a = None
    return (a, b, c)


FULL = (None, None, None)


def check_idx_list(
    idx_list: Any, list_name: str, entry: Callable[[Any], IdxEntry]
) -> list[IdxEntry]:
    """An op's ``idx_list`` with slices as 3-tuples of None/int/``"?"``; ``entry`` checks the rest.

    ``list_name`` (``"a basic"``, ``"an advanced"``) names the list in the
    TypeError for a bad slice; ``entry`` returns a non-slice entry in
    canonical form or raises TypeError.
    """
    out: list[IdxEntry] = []
    for e in idx_list:
        if isinstance(e, slice):
            e = (e.start, e.stop, e.step)
        if isinstance(e, tuple):
            if len(e) != 3 or not all(p is None or p == SYM or isinstance(p, int) for p in e):
                raise TypeError(f"bad slice entry {e!r} in {list_name} index list")
            out.append(tuple(None if p is None else p if p == SYM else int(p) for p in e))
        else:
            out.append(entry(e))
    return out


def materialize(idx_list: Sequence[IdxEntry], values: Sequence[Any]) -> tuple[Any, ...]:
    """The NumPy index for ``idx_list`` given the runtime values of the symbolic inputs."""
    it = iter(values)
    out: list[Any] = []

    def part(p: Any) -> Any:
        return int(next(it)) if p == SYM else p

    for e in idx_list:
        if isinstance(e, tuple):
            out.append(slice(part(e[0]), part(e[1]), part(e[2])))
        elif e == SYM:
            out.append(int(next(it)))
        elif e == ARRAY:
            out.append(np.asarray(next(it)))
        elif e == MASK:
            out.append(np.asarray(next(it), dtype=bool))
        elif e == ELLIPSIS:
            out.append(Ellipsis)
        else:
            out.append(e)
    return tuple(out)


def n_idx_inputs(idx_list: Sequence[IdxEntry]) -> int:
    """How many node inputs (after ``x``, and ``y`` for inc ops) ``idx_list`` reads."""
    n = 0
    for e in idx_list:
        if isinstance(e, tuple):
            n += sum(p == SYM for p in e)
        elif e in (SYM, ARRAY, MASK):
            n += 1
    return n


def format_idx_list(idx_list: Sequence[IdxEntry]) -> str:
    """NumPy-like text for an index structure: ``0, 1:?, ::-1, None, a``."""

    def fmt_part(p: Any) -> str:
        return "" if p is None else str(p)

    parts = []
    for e in idx_list:
        if isinstance(e, tuple):
            s = f"{fmt_part(e[0])}:{fmt_part(e[1])}"
            if e[2] is not None:
                s += f":{e[2]}"
            parts.append(s)
        else:
            parts.append(str(e))
    return ", ".join(parts)


def check_int_index(op: Any, i: int, axis: int, size: int | None) -> None:
    """IndexError at build time for a constant index outside a dim of known size."""
    if size is not None and not -size <= i < size:
        raise IndexError(f"{op}: index {i} is out of bounds for axis {axis} with size {size}")


def check_index_scalar(op: Any, v: Variable) -> Variable:
    v = as_tensor_variable(v)
    if ttype(v).ndim != 0 or ttype(v).dtype[0] not in "iu":
        raise TypeError(f"{op}: a symbolic index must be an integer scalar, got {v} ({v.type})")
    return v


def check_inc_value(op: Any, x: Variable, y: Any) -> Variable:
    """``y`` as a tensor that may be written into ``x`` (same-kind cast, NumPy's ``+=`` rule)."""
    if not isinstance(y, Variable):
        try:
            return constant(y, dtype=x.type.dtype)  # type: ignore[attr-defined]
        except TypeError:
            arr = np.asarray(y)
            raise TypeError(
                f"{op}: cannot write {arr.dtype} value {y!r} into a tensor of dtype "
                f"{x.type.dtype} without loss"  # type: ignore[attr-defined]
            ) from None
    y = as_tensor_variable(y)
    xd, yd = x.type.dtype, y.type.dtype  # type: ignore[attr-defined]
    if not np.can_cast(yd, xd, "same_kind"):
        raise TypeError(
            f"{op}: cannot write values of dtype {yd} into a tensor of dtype {xd} "
            "(cast y explicitly)"
        )
    return y


def check_value_shape(op: Any, target: Sequence[int | None], y: Variable) -> None:
    """``y``'s static shape must broadcast onto ``target`` (the indexed region's shape)."""
    ys = y.type.shape  # type: ignore[attr-defined]
    if len(ys) > len(target):
        raise ValueError(
            f"{op}: value of {len(ys)} dims {_fmt(ys)} cannot be written into a region of "
            f"{len(target)} dims {_fmt(target)}"
        )
    for d, (t, s) in enumerate(zip(target[len(target) - len(ys) :], ys)):
        if t is not None and s is not None and s != 1 and s != t:
            raise ValueError(
                f"{op}: value of shape {_fmt(ys)} cannot be broadcast to the indexed region "
                f"of shape {_fmt(target)} (dimension {d} of the value)"
            )


def _fmt(shape: Sequence[int | None]) -> str:
    inner = ", ".join("?" if s is None else str(s) for s in shape)
    return f"({inner},)" if len(shape) == 1 else f"({inner})"


# ---------------------------------------------------------------------------
# Base classes: what the read ops and the write ops each have in common
# ---------------------------------------------------------------------------


class IndexingOp(Op):
    """Base of the ops reading ``x[idx]``: inputs ``x`` then the index inputs.

    A subclass gives `_check_index` and `_write_op`, the matching
    `IncIndexingOp`, through which the gradient of ``x`` (the only
    differentiable input) writes the output gradient into zeros.
    """

    def make_node(self, x: Any, *idx_inputs: Any) -> Apply:
        x = as_tensor_variable(x)
        ins, shape = self._check_index(x, idx_inputs)
        return Apply(self, [x, *ins], [TensorType(ttype(x).dtype, shape)()])

    def _check_index(
        self, x: Variable, idx_inputs: Sequence[Any]
    ) -> tuple[list[Variable], tuple[int | None, ...]]:
        """The checked index inputs and the static shape of the region of ``x`` they select."""
        raise NotImplementedError

    def _write_op(self, set_instead_of_inc: bool) -> Op:
        raise NotImplementedError

    def L_op(
        self,
        inputs: Sequence[Variable],
        outputs: Sequence[Variable],
        output_grads: Sequence[Variable],
    ) -> list[Variable]:
        x, *rest = inputs
        (gz,) = output_grads
        if is_discrete(x):
            gx = discrete_zero_grad(x, gz)
        elif is_disconnected(gz):
            gx = zeros_like(x)
        else:
            gx = self._write_op(False)(zeros_like(x), gz, *rest)
        return [gx] + [disconnected() for _ in rest]

    def connection_pattern(self, node: Apply) -> list[list[bool]]:
        return [[True]] + [[False] for _ in node.inputs[1:]]


class IncIndexingOp(Op):
    """Base of the ops writing ``y`` into ``x[idx]``: inputs ``x``, ``y``, then the index inputs.

    ``set_instead_of_inc`` replaces the region instead of adding to it;
    ``inplace`` overwrites ``x`` (``destroy_map``). A subclass gives
    `_check_index` (as in `IndexingOp`), and for the gradient `_read_op`
    (the matching `IndexingOp`) and `_write_op` (this kind of op for the
    same index, not in place).
    """

    def __init__(self, set_instead_of_inc: bool = False, inplace: bool = False) -> None:
        self.set_instead_of_inc = bool(set_instead_of_inc)
        self.inplace = bool(inplace)
        self.destroy_map = {0: [0]} if inplace else {}

    def make_node(self, x: Any, y: Any, *idx_inputs: Any) -> Apply:
        x = as_tensor_variable(x)
        y = check_inc_value(self, x, y)
        ins, region = self._check_index(x, idx_inputs)
        check_value_shape(self, region, y)
        return Apply(self, [x, y, *ins], [x.type()])

    def _check_index(
        self, x: Variable, idx_inputs: Sequence[Any]
    ) -> tuple[list[Variable], tuple[int | None, ...]]:
        """The checked index inputs and the static shape of the region of ``x`` they select."""
        raise NotImplementedError

    def _read_op(self) -> Op:
        raise NotImplementedError

    def _write_op(self, set_instead_of_inc: bool) -> Op:
        raise NotImplementedError

    def infer_shape(self, fgraph: Any, node: Apply, input_shapes: list[Any]) -> list[Any]:
        return [input_shapes[0]]

    def L_op(
        self,
        inputs: Sequence[Variable],
        outputs: Sequence[Variable],
        output_grads: Sequence[Variable],
    ) -> list[Variable]:
        x, y, *rest = inputs
        (gz,) = output_grads
        if is_disconnected(gz):
            return [disconnected() for _ in inputs]
        if is_discrete(x):
            gx = discrete_zero_grad(x, gz)
        elif self.set_instead_of_inc:
            gx = self._write_op(True)(gz, 0, *rest)
        else:
            gx = gz
        if is_discrete(y):
            gy = discrete_zero_grad(y, gz)
        else:
            # With repeated advanced indices in a set, every copy gets the
            # gradient of the last write (documented limitation, as in PyTensor).
            gy = sum_to_shape_of(self._read_op()(gz, *rest), y)
        return [gx, gy] + [disconnected() for _ in rest]

    def connection_pattern(self, node: Apply) -> list[list[bool]]:
        return [[True], [True]] + [[False] for _ in node.inputs[2:]]
