"""Numba rules of the structural and non-elementwise tensor Ops.

Shapes (`Shape`, `Shape_i`, `SpecifyShape`, `Reshape`, `MakeVector`,
`Alloc`, `BroadcastTo`, scalar/tensor bridges), building and splitting
(`Join`, `Split`, `ARange`, `Eye`, diagonals), products (`Dot`, `MatMul`),
ops along an axis (`CumOp`, `Diff`, `Argmax`, `SortOp`, `ArgSortOp`,
`Softmax`, `LogSoftmax`), `SearchSorted`, `CheckAndRaise` and the gradient
identities. Each rule mirrors the Op's ``perform``: output dtypes exactly the
graph's, NumPy's errors raised as errors (the base then replays the segment
through ``perform`` for the full message), inputs never read out of bounds.

Ops along an axis move that axis last and flatten the others into rows (a
C-contiguous ``(rows, n)`` array), so one kernel of
`graft_backend_numba.rules._kernels_ops` serves every rank.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from graft.gradient.ops import _GradientIdentity, _GradTransform
from graft.graph.basic import Apply
from graft.raise_op import CheckAndRaise
from graft.tensor.axes import BroadcastTo
from graft.tensor.basic import Alloc, ARange, Eye, MakeVector, ScalarFromTensor, TensorFromScalar
from graft.tensor.extra_ops import CumOp, Diff, SearchSorted
from graft.tensor.join import Join, Split
from graft.tensor.math import Argmax, Dot, MatMul
from graft.tensor.shape import Reshape, Shape, Shape_i, SpecifyShape
from graft.tensor.sorting import ArgSortOp, SortOp
from graft.tensor.special import LogSoftmax, Softmax
from graft.tensor.triangular import AllocDiag, ExtractDiag
from graft.tensor.type import TensorType
from graft_backend_numba.linker import RULES
from graft_backend_numba.rules import _kernels_ops as K
from graft_backend_numba.rules._kernels_util import (
    all_tensors,
    at,
    axis_slice,
    bcast_write,
    dtype_of,
    is_tensor,
    kernel,
    ndim,
    nest,
    np_dtype,
    op_of,
    scalar_of,
    tup,
    use_np,
)

OWNER = "graft-backend-numba"
Lines = list[str] | None


def _reg(*classes: type) -> Any:
    return RULES.register(*classes, owner=OWNER)


def _empty0(out: str, dt: str, value: str) -> list[str]:
    """A new 0-d array ``out`` of dtype ``dt`` holding ``value``."""
    return [f"{out} = np.empty((), {dt})", f"{out}[()] = {value}"]


# ---------------------------------------------------------------------------
# Shapes
# ---------------------------------------------------------------------------


@_reg(Shape)
def shape_rule(node: Apply, ins: list[str], outs: list[str], em: Any) -> Lines:
    """``np.asarray(x.shape, int64)``."""
    if not isinstance(node.inputs[0].type, TensorType):
        return None
    use_np(em)
    nd = ndim(node.inputs[0])
    lines = [f"{outs[0]} = np.empty({nd}, np.int64)"]
    lines += [f"{outs[0]}[{d}] = {ins[0]}.shape[{d}]" for d in range(nd)]
    return lines


@_reg(Shape_i)
def shape_i_rule(node: Apply, ins: list[str], outs: list[str], em: Any) -> Lines:
    """``x.shape[i]`` as a 0-d int64 array."""
    if not isinstance(node.inputs[0].type, TensorType):
        return None
    use_np(em)
    return _empty0(outs[0], "np.int64", f"{ins[0]}.shape[{op_of(node).i}]")


@_reg(SpecifyShape)
def specify_shape_rule(node: Apply, ins: list[str], outs: list[str], em: Any) -> Lines:
    """``x`` itself, after checking the sizes that ``shape`` gives (AssertionError otherwise)."""
    if not isinstance(node.inputs[0].type, TensorType):
        return None
    lines: list[str] = []
    for d, s in enumerate(op_of(node).shape):
        if s is not None:
            lines += [
                f"if {ins[0]}.shape[{d}] != {int(s)}:",
                "    raise AssertionError('SpecifyShape: shape mismatch')",
            ]
    return [*lines, f"{outs[0]} = {ins[0]}"]


@_reg(Reshape)
def reshape_rule(node: Apply, ins: list[str], outs: list[str], em: Any) -> Lines:
    """NumPy's reshape (one negative entry inferred); a copy first when ``x`` is not contiguous."""
    if not all_tensors(node.inputs + node.outputs):
        return None
    use_np(em)
    x, shp = ins
    d = em.fresh("dims")
    nd = op_of(node).ndim
    src = f"np.ascontiguousarray({x})" if ndim(node.inputs[0]) > 0 else x
    return [
        f"{d} = {kernel(em, K._reshape_dims)}({x}.size, {shp})",
        f"{outs[0]} = {src}.reshape({tup([f'{d}[{k}]' for k in range(nd)])})",
    ]


@_reg(MakeVector)
def make_vector_rule(node: Apply, ins: list[str], outs: list[str], em: Any) -> Lines:
    """A vector of the 0-d inputs, in the op's dtype."""
    if not all_tensors(node.inputs + node.outputs):
        return None
    use_np(em)
    out = outs[0]
    lines = [f"{out} = np.empty({len(ins)}, {np_dtype(node.outputs[0])})"]
    lines += [f"{out}[{k}] = {v}[()]" for k, v in enumerate(ins)]
    return lines


@_reg(TensorFromScalar)
def tensor_from_scalar_rule(node: Apply, ins: list[str], outs: list[str], em: Any) -> Lines:
    """A 0-d array holding the scalar."""
    if not is_tensor(node.outputs[0]):
        return None
    use_np(em)
    return _empty0(outs[0], np_dtype(node.outputs[0]), scalar_of(ins[0], node.inputs[0]))


@_reg(ScalarFromTensor)
def scalar_from_tensor_rule(node: Apply, ins: list[str], outs: list[str], em: Any) -> Lines:
    """The element of a 0-d array."""
    if not is_tensor(node.inputs[0]):
        return None
    return [f"{outs[0]} = {ins[0]}[()]"]


def _target_shape(ins: list[str], em: Any) -> tuple[list[str], list[str]]:
    """Lines reading the 0-d int64 size inputs ``ins``, and the names they are read into."""
    names = [em.fresh("sz") for _ in ins]
    return [f"{n} = np.int64({s}[()])" for n, s in zip(names, ins)], names


@_reg(Alloc)
def alloc_rule(node: Apply, ins: list[str], outs: list[str], em: Any) -> Lines:
    """``value`` broadcast into a new array; only dimensions of static size 1 broadcast."""
    if not all_tensors(node.inputs + node.outputs):
        return None
    use_np(em)
    v, out = ins[0], outs[0]
    vt = node.inputs[0].type
    assert isinstance(vt, TensorType)
    lines, sizes = _target_shape(ins[1:], em)
    pad = len(sizes) - vt.ndim
    lines.append(f"{out} = np.empty({tup(sizes)}, {np_dtype(node.outputs[0])})")
    for k, st in enumerate(vt.shape):
        if st != 1:
            lines += [
                f"if {v}.shape[{k}] != {sizes[pad + k]}:",
                "    raise ValueError('Alloc: value shape does not fit the target shape')",
            ]
    return lines + bcast_write(em, out, len(sizes), v, vt.ndim)


@_reg(BroadcastTo)
def broadcast_to_rule(node: Apply, ins: list[str], outs: list[str], em: Any) -> Lines:
    """A new array: ``x`` broadcast (NumPy's rule, run-time 1s too) to the target shape."""
    if not all_tensors(node.inputs + node.outputs):
        return None
    use_np(em)
    lines, sizes = _target_shape(ins[1:], em)
    for s in sizes:
        lines += [f"if {s} < 0:", "    raise ValueError('BroadcastTo: negative size')"]
    lines.append(f"{outs[0]} = np.empty({tup(sizes)}, {np_dtype(node.outputs[0])})")
    return lines + bcast_write(em, outs[0], len(sizes), ins[0], ndim(node.inputs[0]))


# ---------------------------------------------------------------------------
# Building and splitting
# ---------------------------------------------------------------------------


@_reg(Join)
def join_rule(node: Apply, ins: list[str], outs: list[str], em: Any) -> Lines:
    """``np.concatenate`` along the static axis (sizes off the axis must agree)."""
    if not all_tensors(node.inputs + node.outputs):
        return None
    use_np(em)
    a = op_of(node).axis
    nd = ndim(node.outputs[0])
    first = ins[0]
    lines: list[str] = []
    for x in ins[1:]:
        for d in range(nd):
            if d != a:
                lines += [
                    f"if {x}.shape[{d}] != {first}.shape[{d}]:",
                    "    raise ValueError('Join: input sizes differ off the join axis')",
                ]
    total = " + ".join(f"{x}.shape[{a}]" for x in ins)
    dims = [f"{first}.shape[{d}]" if d != a else f"({total})" for d in range(nd)]
    out = outs[0]
    lines.append(f"{out} = np.empty({tup(dims)}, {np_dtype(node.outputs[0])})")
    off = em.fresh("off")
    lines.append(f"{off} = 0")
    for x in ins:
        view = em.fresh("part")
        lines.append(f"{view} = {axis_slice(out, nd, a, off, f'{off} + {x}.shape[{a}]')}")
        lines += bcast_write(em, view, nd, x, nd)
        lines.append(f"{off} += {x}.shape[{a}]")
    return lines


@_reg(Split)
def split_rule(node: Apply, ins: list[str], outs: list[str], em: Any) -> Lines:
    """Views of ``x`` along the axis, after checking the sizes (non-negative, summing to it)."""
    if not all_tensors(node.inputs + node.outputs):
        return None
    use_np(em)
    x, sizes = ins
    a, nd = op_of(node).axis, ndim(node.inputs[0])
    lines = [
        f"if {sizes}.shape[0] != {len(outs)}:",
        "    raise ValueError('Split: wrong number of split sizes')",
        f"{kernel(em, K._split_check)}({sizes}, {x}.shape[{a}])",
    ]
    off = em.fresh("off")
    lines.append(f"{off} = 0")
    for k, out in enumerate(outs):
        end = f"{off} + np.int64({sizes}[{k}])"
        lines.append(f"{out} = {axis_slice(x, nd, a, off, end)}")
        lines.append(f"{off} = {end}")
    return lines


def _div_dtype(a: str, b: str) -> str:
    """The dtype NumPy's true division of scalars of dtypes ``a`` and ``b`` gives."""
    return np.true_divide(np.zeros((), a), np.ones((), b)).dtype.name


@_reg(ARange)
def arange_rule(node: Apply, ins: list[str], outs: list[str], em: Any) -> Lines:
    """``np.arange(start, stop, step, dtype)`` with NumPy's length and fill arithmetic.

    NumPy takes the length from ``ceil((stop - start) / step)`` in the scalars'
    own dtypes, stores ``start`` and ``start + step`` in the output dtype and
    fills ``out[i] = out[0] + i * (out[1] - out[0])`` in that dtype; so does
    this code.
    """
    if not all_tensors(node.inputs + node.outputs):
        return None
    out_dt = dtype_of(node.outputs[0])
    if out_dt in ("bool", "uint64"):
        return None
    use_np(em)
    start_t, stop_t, step_t = (dtype_of(v) for v in node.inputs)
    span_dt = np.result_type(stop_t, start_t).name
    sum_dt = np.result_type(start_t, step_t).name
    q_dt = _div_dtype(span_dt, step_t)
    s0, s1, s2 = (f"{v}[()]" for v in ins)
    st, sp, q, n, b0, b1, dl, i = (
        em.fresh(h) for h in ("a0", "a1", "q", "n", "b0", "b1", "dl", "i")
    )
    dt = np_dtype(out_dt)
    return [
        f"if {s2} == 0:",
        "    raise ValueError('ARange: step must not be zero')",
        f"{sp} = {np_dtype(span_dt)}({np_dtype(span_dt)}({s1}) - {np_dtype(span_dt)}({s0}))",
        f"{q} = {np_dtype(q_dt)}({sp}) / {np_dtype(q_dt)}({s2})",
        f"if not np.isfinite({q}):",
        "    raise ValueError('ARange: cannot compute length')",
        f"{n} = max(np.int64(np.ceil({q})), 0)",
        f"{outs[0]} = np.empty({n}, {dt})",
        f"if {n} > 0:",
        f"    {b0} = {dt}({s0})",
        f"    {outs[0]}[0] = {b0}",
        f"if {n} > 1:",
        f"    {st} = {np_dtype(sum_dt)}({np_dtype(sum_dt)}({s0}) + {np_dtype(sum_dt)}({s2}))",
        f"    {b1} = {dt}({st})",
        f"    {dl} = {dt}({b1} - {b0})",
        f"    for {i} in range(1, {n}):",
        f"        {outs[0]}[{i}] = {dt}({b0} + {dt}({i}) * {dl})",
    ]


@_reg(Eye)
def eye_rule(node: Apply, ins: list[str], outs: list[str], em: Any) -> Lines:
    """``np.eye(n, m, k, dtype)``."""
    if not all_tensors(node.inputs + node.outputs):
        return None
    use_np(em)
    lines, (n, m, k) = _target_shape(ins, em)
    return [
        *lines,
        f"{outs[0]} = np.zeros(({n}, {m}), {np_dtype(node.outputs[0])})",
        f"{kernel(em, K._eye)}({n}, {m}, {k}, {outs[0]})",
    ]


@_reg(ExtractDiag)
def extract_diag_rule(node: Apply, ins: list[str], outs: list[str], em: Any) -> Lines:
    """A new array holding ``np.diagonal(x, offset, axis1, axis2)``."""
    if not all_tensors(node.inputs + node.outputs):
        return None
    use_np(em)
    x = node.inputs[0]
    nd = ndim(x)
    a1, a2 = op_of(node)._axes(x)
    off = op_of(node).offset
    rest = [d for d in range(nd) if d not in (a1, a2)]
    xn, out = ins[0], outs[0]
    ln = em.fresh("ln")
    # Diagonal length: rows from max(0, -off), columns from max(0, off).
    r0, c0 = max(0, -off), max(0, off)
    lines = [
        f"{ln} = max(0, min({xn}.shape[{a1}] - {r0}, {xn}.shape[{a2}] - {c0}))",
        f"{out} = np.empty({tup([f'{xn}.shape[{d}]' for d in rest] + [ln])}, "
        f"{np_dtype(node.outputs[0])})",
    ]
    idx = [em.fresh("i") for _ in range(len(rest) + 1)]
    src = [""] * nd
    for j, d in enumerate(rest):
        src[d] = idx[j]
    src[a1] = f"{idx[-1]} + {r0}"
    src[a2] = f"{idx[-1]} + {c0}"
    bounds = [f"{out}.shape[{d}]" for d in range(len(idx))]
    return lines + nest(idx, bounds, [f"{at(out, idx)} = {at(xn, src)}"])


@_reg(AllocDiag)
def alloc_diag_rule(node: Apply, ins: list[str], outs: list[str], em: Any) -> Lines:
    """Zeros of shape ``(..., n, n)`` with ``v``'s last axis on diagonal ``offset``."""
    if not all_tensors(node.inputs + node.outputs):
        return None
    use_np(em)
    v, out = ins[0], outs[0]
    nd = ndim(node.inputs[0])
    off = op_of(node).offset
    n = em.fresh("n")
    lead = [f"{v}.shape[{d}]" for d in range(nd - 1)]
    lines = [
        f"{n} = {v}.shape[{nd - 1}] + {abs(off)}",
        f"{out} = np.zeros({tup([*lead, n, n])}, {np_dtype(node.outputs[0])})",
    ]
    idx = [em.fresh("i") for _ in range(nd)]
    dst = [*idx[:-1], f"{idx[-1]} + {max(-off, 0)}", f"{idx[-1]} + {max(off, 0)}"]
    bounds = [f"{v}.shape[{d}]" for d in range(nd)]
    return lines + nest(idx, bounds, [f"{at(out, dst)} = {at(v, idx)}"])


# ---------------------------------------------------------------------------
# Products
# ---------------------------------------------------------------------------


def _mm_kernel(em: Any, dt: str) -> str | None:
    if dt in ("float32", "float64"):
        return kernel(em, K._matmul_float)
    if dt == "bool":
        return kernel(em, K._matmul_bool)
    if dt == "uint64":
        return None  # int64 sums would not wrap like uint64 arithmetic in every case
    return kernel(em, K._matmul_int)


def _cast_in(x: str, xdt: str, dt: str) -> str:
    """Source of ``x`` in dtype ``dt`` (unchanged when it already is)."""
    return x if xdt == dt else f"{x}.astype({np_dtype(dt)})"


@_reg(Dot)
def dot_rule(node: Apply, ins: list[str], outs: list[str], em: Any) -> Lines:
    """``np.dot`` of 1-d/2-d inputs in the output dtype (BLAS for floats, loops otherwise)."""
    if not all_tensors(node.inputs + node.outputs):
        return None
    use_np(em)
    dt = dtype_of(node.outputs[0])
    mm = _mm_kernel(em, dt)
    if mm is None:
        return None
    xv, yv = node.inputs
    xn, yn = ndim(xv), ndim(yv)
    x = _cast_in(ins[0], dtype_of(xv), dt)
    y = _cast_in(ins[1], dtype_of(yv), dt)
    a, b, r = em.fresh("a"), em.fresh("b"), em.fresh("r")
    lines = [
        f"{a} = {x}" if xn == 2 else f"{a} = {x}.reshape((1, {ins[0]}.shape[0]))",
        f"{b} = {y}" if yn == 2 else f"{b} = {y}.reshape(({ins[1]}.shape[0], 1))",
    ]
    if xn == 1 and dtype_of(xv) == dt:
        lines[0] = f"{a} = np.ascontiguousarray({x}).reshape((1, {ins[0]}.shape[0]))"
    if yn == 1 and dtype_of(yv) == dt:
        lines[1] = f"{b} = np.ascontiguousarray({y}).reshape(({ins[1]}.shape[0], 1))"
    lines += [
        f"if {a}.shape[1] != {b}.shape[0]:",
        "    raise ValueError('Dot: shapes not aligned')",
        f"{r} = np.empty(({a}.shape[0], {b}.shape[1]), {np_dtype(dt)})",
        f"{mm}({a}, {b}, {r})",
    ]
    out = outs[0]
    if xn == 2 and yn == 2:
        lines.append(f"{out} = {r}")
    elif xn == 2:
        lines.append(f"{out} = {r}.reshape(({r}.shape[0],))")
    elif yn == 2:
        lines.append(f"{out} = {r}.reshape(({r}.shape[1],))")
    else:
        lines.append(f"{out} = {r}.reshape(())")
    return lines


@_reg(MatMul)
def matmul_rule(node: Apply, ins: list[str], outs: list[str], em: Any) -> Lines:
    """``np.matmul`` of inputs of rank >= 2, broadcasting the batch dimensions."""
    if not all_tensors(node.inputs + node.outputs):
        return None
    use_np(em)
    dt = dtype_of(node.outputs[0])
    mm = _mm_kernel(em, dt)
    if mm is None:
        return None
    xv, yv = node.inputs
    xn, yn, on = ndim(xv), ndim(yv), ndim(node.outputs[0])
    x = em.fresh("x")
    y = em.fresh("y")
    lines = [
        f"{x} = {_cast_in(ins[0], dtype_of(xv), dt)}",
        f"{y} = {_cast_in(ins[1], dtype_of(yv), dt)}",
        f"if {x}.shape[{xn - 1}] != {y}.shape[{yn - 2}]:",
        "    raise ValueError('matmul: shapes not aligned')",
    ]
    nb = on - 2
    dims: list[str] = []
    mx: list[str | None] = []
    my: list[str | None] = []
    for d in range(nb):
        b = em.fresh("bd")
        kx, ky = d - (nb - (xn - 2)), d - (nb - (yn - 2))
        sx = f"{x}.shape[{kx}]" if kx >= 0 else "1"
        sy = f"{y}.shape[{ky}]" if ky >= 0 else "1"
        lines += [
            f"{b} = {sx} if {sy} == 1 else {sy}",
            f"if {sx} != {b} and {sx} != 1:",
            "    raise ValueError('matmul: batch shapes do not broadcast')",
        ]
        dims.append(b)
        for k, s, ms in ((kx, sx, mx), (ky, sy, my)):
            if k >= 0:
                m = em.fresh("m")
                lines.append(f"{m} = 0 if {s} == 1 else 1")
                ms.append(m)
            else:
                ms.append(None)
    out = outs[0]
    dims += [f"{x}.shape[{xn - 2}]", f"{y}.shape[{yn - 1}]"]
    lines.append(f"{out} = np.empty({tup(dims)}, {np_dtype(dt)})")
    idx = [em.fresh("i") for _ in range(nb)]

    def sub(arr: str, n: int, ms: list[str | None]) -> str:
        parts = [f"{i} * {m}" for i, m in zip(idx, ms) if m is not None]
        return f"{arr}[{', '.join([*parts, ':', ':'])}]" if parts else arr

    o = f"{out}[{', '.join([*idx, ':', ':'])}]" if idx else out
    body = [f"{mm}({sub(x, xn, mx)}, {sub(y, yn, my)}, {o})"]
    return lines + nest(idx, dims[:nb], body)


# ---------------------------------------------------------------------------
# Along an axis
# ---------------------------------------------------------------------------


def _rows(em: Any, x: str, nd: int, axis: int | None) -> tuple[list[str], str, str, list[int]]:
    """Lines making ``x`` a C-contiguous ``(rows, n)`` array with ``axis`` last.

    Returns (lines, the 2-d name, the moved array's name, the permutation).
    ``axis`` None flattens ``x`` into one row.
    """
    x2 = em.fresh("x2")
    xt = em.fresh("xt")
    if axis is None:
        if nd == 0:
            return [f"{xt} = {x}", f"{x2} = {x}.reshape((1, 1))"], x2, xt, []
        return (
            [f"{xt} = np.ascontiguousarray({x})", f"{x2} = {xt}.reshape((1, {xt}.size))"],
            x2,
            xt,
            [],
        )
    perm = [d for d in range(nd) if d != axis] + [axis]
    moved = x if perm == list(range(nd)) else f"{x}.transpose({tup([str(p) for p in perm])})"
    rows = " * ".join([f"{xt}.shape[{d}]" for d in range(nd - 1)]) or "1"
    return (
        [
            f"{xt} = np.ascontiguousarray({moved})",
            f"{x2} = {xt}.reshape(({rows}, {xt}.shape[{nd - 1}]))",
        ],
        x2,
        xt,
        perm,
    )


def _unrows(out: str, r2: str, xt: str, nd: int, perm: list[int], last: str) -> list[str]:
    """Lines turning the ``(rows, last)`` result back into ``out`` (``perm`` undone)."""
    if not perm:
        return [f"{out} = {r2}.reshape(({last},))"]
    shape = tup([f"{xt}.shape[{d}]" for d in range(nd - 1)] + [last])
    inv = [perm.index(d) for d in range(nd)]
    if inv == list(range(nd)):
        return [f"{out} = {r2}.reshape({shape})"]
    return [
        f"{out} = np.ascontiguousarray({r2}.reshape({shape}).transpose({tup([str(i) for i in inv])}))"
    ]


@_reg(CumOp)
def cumop_rule(node: Apply, ins: list[str], outs: list[str], em: Any) -> Lines:
    """``np.cumsum``/``np.cumprod`` in the output dtype, reversed along the axis when asked."""
    if not all_tensors(node.inputs + node.outputs):
        return None
    op = op_of(node)
    return _along_rows(node, ins, outs, em, K._cum_rows, op.reverse, op.mode == "mul")


@_reg(Diff)
def diff_rule(node: Apply, ins: list[str], outs: list[str], em: Any) -> Lines:
    """``np.diff(x, n, axis)`` (the forward op; its transpose runs through ``perform``)."""
    op = op_of(node)
    if op.transpose or not all_tensors(node.inputs + node.outputs):
        return None
    use_np(em)
    nd = ndim(node.inputs[0])
    lines, x2, xt, perm = _rows(em, ins[0], nd, op.axis)
    r2, m = em.fresh("r2"), em.fresh("m")
    fn = K._diff_rows_bool if dtype_of(node.outputs[0]) == "bool" else K._diff_rows
    lines += [
        f"{m} = max({x2}.shape[1] - {op.n}, 0)",
        f"{r2} = np.empty(({x2}.shape[0], {m}), {np_dtype(node.outputs[0])})",
        f"{kernel(em, fn)}({x2}, {op.n}, {r2})",
    ]
    return lines + _unrows(outs[0], r2, xt, nd, perm, m)


@_reg(SearchSorted)
def searchsorted_rule(node: Apply, ins: list[str], outs: list[str], em: Any) -> Lines:
    """``np.searchsorted(a, v, side)`` by binary search (NaN sorts last)."""
    if not all_tensors(node.inputs + node.outputs):
        return None
    use_np(em)
    a, v = ins
    vn = ndim(node.inputs[1])
    out = outs[0]
    return [
        f"{out} = np.empty({tup([f'{v}.shape[{d}]' for d in range(vn)])}, np.int64)",
        f"{kernel(em, K._searchsorted)}({a}, {v}, {op_of(node).side == 'right'}, {out})",
    ]


@_reg(Argmax)
def argmax_rule(node: Apply, ins: list[str], outs: list[str], em: Any) -> Lines:
    """``np.argmax``/``np.argmin`` along an axis or over the flattened array."""
    if not all_tensors(node.inputs + node.outputs):
        return None
    use_np(em)
    op = op_of(node)
    nd = ndim(node.inputs[0])
    lines, x2, xt, perm = _rows(em, ins[0], nd, op.axis)
    r = em.fresh("r")
    lines += [
        f"{r} = np.empty({x2}.shape[0], np.int64)",
        f"{kernel(em, K._argmax_rows)}({x2}, {r}, {op.kind == 'max'})",
    ]
    out = outs[0]
    if op.axis is None:
        return lines + [f"{out} = {r}.reshape(())"]
    shape = tup([f"{xt}.shape[{d}]" for d in range(nd - 1)])
    return lines + [f"{out} = {r}.reshape({shape})"]


def _along_rows(
    node: Apply, ins: list[str], outs: list[str], em: Any, fn: Any, *args: Any
) -> Lines:
    """``fn(rows, out_rows, *args)`` on the input seen as rows along the op's axis; the
    output has the input's shape (cumulative ops, sort, argsort)."""
    use_np(em)
    nd = ndim(node.inputs[0])
    lines, x2, xt, perm = _rows(em, ins[0], nd, op_of(node).axis)
    r2 = em.fresh("r2")
    extra = "".join(f", {a}" for a in args)
    lines += [
        f"{r2} = np.empty({x2}.shape, {np_dtype(node.outputs[0])})",
        f"{kernel(em, fn)}({x2}, {r2}{extra})",
    ]
    return lines + _unrows(outs[0], r2, xt, nd, perm, f"{x2}.shape[1]")


@_reg(SortOp)
def sort_rule(node: Apply, ins: list[str], outs: list[str], em: Any) -> Lines:
    """``np.sort`` along the axis (the sorted values do not depend on ``kind``)."""
    if not all_tensors(node.inputs + node.outputs):
        return None
    if dtype_of(node.inputs[0]) != dtype_of(node.outputs[0]):
        return None
    return _along_rows(node, ins, outs, em, K._sort_rows)


@_reg(ArgSortOp)
def argsort_rule(node: Apply, ins: list[str], outs: list[str], em: Any) -> Lines:
    """``np.argsort`` for the stable kinds; the order of ties of the others is NumPy's own."""
    if not all_tensors(node.inputs + node.outputs):
        return None
    if op_of(node).kind not in ("stable", "mergesort"):
        return None
    return _along_rows(node, ins, outs, em, K._argsort_rows_stable)


@_reg(Softmax, LogSoftmax)
def softmax_rule(node: Apply, ins: list[str], outs: list[str], em: Any) -> Lines:
    """Softmax / log-softmax along the axis (None: all), in the output's float dtype."""
    if not all_tensors(node.inputs + node.outputs):
        return None
    use_np(em)
    op = op_of(node)
    nd = ndim(node.inputs[0])
    dt = dtype_of(node.outputs[0])
    x = em.fresh("xf")
    lines = [f"{x} = {_cast_in(ins[0], dtype_of(node.inputs[0]), dt)}"]
    more, x2, xt, perm = _rows(em, x, nd, op.axis)
    lines += more
    r2 = em.fresh("r2")
    log = isinstance(op, LogSoftmax)
    lines += [
        f"{r2} = np.empty({x2}.shape, {np_dtype(dt)})",
        f"{kernel(em, K._softmax_rows)}({x2}, {r2}, {log}, {np_dtype(dt)}(0))",
    ]
    if op.axis is None:
        shape = tup([f"{x}.shape[{d}]" for d in range(nd)])
        return lines + [f"{outs[0]} = {r2}.reshape({shape})"]
    return lines + _unrows(outs[0], r2, xt, nd, perm, f"{x2}.shape[1]")


# ---------------------------------------------------------------------------
# Checks and identities
# ---------------------------------------------------------------------------


@_reg(CheckAndRaise)
def check_and_raise_rule(node: Apply, ins: list[str], outs: list[str], em: Any) -> Lines:
    """The value itself, or the op's exception (with its message) when a condition is false."""
    if not all_tensors(node.inputs):
        return None
    exc = em.add_global(op_of(node).exc_type, "exc")
    msg = em.add_global(op_of(node).msg, "msg")
    lines: list[str] = []
    for c in ins[1:]:
        lines += [f"if not {c}[()]:", f"    raise {exc}({msg})"]
    return [*lines, f"{outs[0]} = {ins[0]}"]


@_reg(_GradientIdentity, _GradTransform)
def gradient_identity_rule(node: Apply, ins: list[str], outs: list[str], em: Any) -> Lines:
    """The identity (these ops only change gradients)."""
    if not all_tensors(node.inputs[:1]):
        return None
    return [f"{outs[0]} = {ins[0]}"]
