"""Helpers shared by the Numba rules of the non-elementwise Ops.

Two kinds of things live here:

* small Python functions that the rules use to write source (dtype names,
  index tuples, nested loops, broadcast copies), and
* ``numba.njit`` kernels that the generated code calls (bounds checks, slice
  normalisation, shape resolution), importable so compiled graphs cache.

Example (inside a rule)::

    np_ = use_np(em)
    dt = np_dtype(node.outputs[0])            # "np.float32"
    lines = bcast_write(em, outs[0], 2, ins[0], 1, "set")
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numba
import numpy as np

from graft.graph.basic import Variable
from graft.tensor.type import TensorType

#: dtypes the rules of this package compile (others run through ``perform``).
SUPPORTED_DTYPES = frozenset(
    ["bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64"]
    + ["float32", "float64"]
)


def is_tensor(v: Variable, dtypes: Sequence[str] | frozenset[str] = SUPPORTED_DTYPES) -> bool:
    """Whether ``v`` is a tensor of one of ``dtypes``."""
    t = v.type
    return isinstance(t, TensorType) and t.dtype in dtypes


def all_tensors(vs: Sequence[Variable]) -> bool:
    """Whether every variable of ``vs`` is a tensor of a supported dtype."""
    return all(is_tensor(v) for v in vs)


def ndim(v: Variable) -> int:
    """The number of dimensions of tensor ``v``."""
    t = v.type
    assert isinstance(t, TensorType)
    return t.ndim


def dtype_of(v: Variable) -> str:
    """The dtype name of tensor ``v``."""
    t = v.type
    assert isinstance(t, TensorType)
    return t.dtype


def np_dtype(v: Variable | str) -> str:
    """Source text naming the NumPy scalar type of ``v`` (a variable or a dtype name)."""
    name = v if isinstance(v, str) else dtype_of(v)
    # Names come from TensorType (validated dtypes), never from users.
    return "np.bool_" if name == "bool" else f"np.{np.dtype(name).name}"


def use_np(em: Any) -> str:
    """Make ``np`` available in the generated module."""
    em.add_import("import numpy as np")
    return "np"


def tup(parts: Sequence[str]) -> str:
    """Source of a tuple of the given expressions (``()``, ``(a,)``, ``(a, b)``)."""
    if not parts:
        return "()"
    if len(parts) == 1:
        return f"({parts[0]},)"
    return "(" + ", ".join(parts) + ")"


def at(arr: str, idx: Sequence[str]) -> str:
    """Source of ``arr`` indexed by the integer expressions ``idx`` (``arr[()]`` for none)."""
    return f"{arr}[{', '.join(idx)}]" if idx else f"{arr}[()]"


def scalar_of(name: str, v: Variable) -> str:
    """Source of the value of a 0-d tensor input (or of a scalar-typed input)."""
    return f"{name}[()]" if isinstance(v.type, TensorType) else name


def nest(idx: Sequence[str], bounds: Sequence[str], body: Sequence[str]) -> list[str]:
    """``for idx[0] in range(bounds[0]): for idx[1] ...: body`` as indented lines."""
    out: list[str] = []
    for d, (i, b) in enumerate(zip(idx, bounds)):
        out.append("    " * d + f"for {i} in range({b}):")
    pad = "    " * len(idx)
    out.extend(pad + line for line in body)
    return out


def bcast_write(
    em: Any,
    dst: str,
    dst_nd: int,
    src: str,
    src_nd: int,
    mode: str = "set",
    cast: str | None = None,
    bool_dst: bool = False,
) -> list[str]:
    """Lines writing ``src`` (NumPy-broadcast, trailing dims aligned) into the array ``dst``.

    ``mode`` is ``"set"`` (``dst[...] = src``) or ``"inc"`` (``dst[...] += src``,
    a logical or for a bool ``dst``); ``cast`` wraps each source value (a
    scalar type's source, e.g. ``"np.float32"``). A source dimension neither
    equal to ``dst``'s nor 1 raises ValueError before anything is written.
    """
    lines: list[str] = []
    off = dst_nd - src_nd
    if off < 0:
        raise ValueError("bcast_write: the source has more dimensions than the target")
    mult: list[str] = []
    for k in range(src_nd):
        m = em.fresh("m")
        lines += [
            f"if {src}.shape[{k}] != {dst}.shape[{off + k}] and {src}.shape[{k}] != 1:",
            "    raise ValueError('value cannot be broadcast to the target shape')",
            f"{m} = 0 if {src}.shape[{k}] == 1 else 1",
        ]
        mult.append(m)
    idx = [em.fresh("i") for _ in range(dst_nd)]
    sidx = [f"{idx[off + k]} * {mult[k]}" for k in range(src_nd)]
    val = at(src, sidx)
    if cast:
        val = f"{cast}({val})"
    target = at(dst, idx)
    if mode == "set":
        body = [f"{target} = {val}"]
    elif bool_dst:
        body = [f"{target} = {target} or {val}"]
    else:
        body = [f"{target} = {target} + {val}"]
    lines += nest(idx, [f"{dst}.shape[{d}]" for d in range(dst_nd)], body)
    return lines


def axis_slice(arr: str, nd: int, axis: int, lo: str, hi: str) -> str:
    """Source of ``arr[:, ..., lo:hi, ...]`` (the slice on ``axis``)."""
    parts = [":"] * nd
    parts[axis] = f"{lo}:{hi}"
    return f"{arr}[{', '.join(parts)}]"


def kernel(em: Any, fn: Any) -> str:
    """The global name under which the njit kernel ``fn`` is reachable from generated code."""
    return str(em.add_global(fn, fn.__name__.lstrip("_")))


# ---------------------------------------------------------------------------
# Kernels
# ---------------------------------------------------------------------------


@numba.njit(cache=True)
def _norm_index(i: Any, n: Any) -> Any:  # pragma: no cover - compiled
    """``i`` (may be negative) as an index into a dimension of size ``n``; IndexError outside."""
    j = np.int64(i)
    if j < 0:
        j += n
    if j < 0 or j >= n:
        raise IndexError("index out of bounds")
    return j


@numba.njit(cache=True)
def _check_indices(arr: Any, n: Any) -> None:  # pragma: no cover - compiled
    """IndexError unless every entry of the integer array ``arr`` is in ``[-n, n)``."""
    for v in arr.flat:
        j = np.int64(v)
        if j < -n or j >= n:
            raise IndexError("index out of bounds")


@numba.njit(cache=True)
def _slice_norm(
    n: Any, start: Any, has_start: Any, stop: Any, has_stop: Any, step: Any
) -> Any:  # pragma: no cover - compiled
    """``(start, step, length)`` of ``range(n)[start:stop:step]`` (Python's slice rules)."""
    st = np.int64(step)
    if st == 0:
        raise ValueError("slice step cannot be zero")
    if st > 0:
        lower = np.int64(0)
        upper = np.int64(n)
    else:
        lower = np.int64(-1)
        upper = np.int64(n) - 1
    if has_start:
        a = np.int64(start)
        if a < 0:
            a += n
            if a < lower:
                a = lower
        elif a > upper:
            a = upper
    else:
        a = upper if st < 0 else lower
    if has_stop:
        b = np.int64(stop)
        if b < 0:
            b += n
            if b < lower:
                b = lower
        elif b > upper:
            b = upper
    else:
        b = lower if st < 0 else upper
    if st > 0:
        length = (b - a + st - 1) // st if b > a else np.int64(0)
    else:
        length = (a - b - st - 1) // (-st) if a > b else np.int64(0)
    return a, st, length


@numba.njit(cache=True)
def _shape_prod(shape: Any) -> Any:  # pragma: no cover - compiled
    """The product of a shape tuple, as int64."""
    p = np.int64(1)
    for s in shape:
        p *= s
    return p


def op_of(node: Any) -> Any:
    """``node.op`` typed loosely: rules read the props of the concrete Op class."""
    return node.op
