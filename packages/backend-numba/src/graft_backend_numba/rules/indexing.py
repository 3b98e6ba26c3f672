"""Numba rules of the indexing Ops: `Subtensor`, `IncSubtensor` and the advanced ones.

Basic indexing becomes a NumPy slice expression (a view) after every integer
index is normalised and bounds-checked. Advanced indexing (integer arrays,
boolean masks, mixed with slices, ints and new axes) becomes explicit loops
over the output (or, for the Inc ops, over the indexed region) that compute
each element's position in ``x``; every index array is checked against its
dimension first, so nothing is read or written out of bounds. Increments
accumulate over repeated indices like ``np.add.at``; a set keeps the last
write. The layout of the output (where the broadcast block of advanced
indices goes) is the reference's own `_Layout`.

Example: ``x[:, [2, 0]] += y`` on a matrix compiles to a loop over the
``(rows, 2)`` region adding ``y`` (broadcast) at ``x[i, idx[j]]``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from graft.graph.basic import Apply
from graft.tensor.subtensor import (
    AdvancedIncSubtensor,
    AdvancedIncSubtensor1,
    AdvancedSubtensor,
    AdvancedSubtensor1,
    IncSubtensor,
    Subtensor,
)
from graft.tensor.subtensor_advanced import _index_inputs_ndims, _Layout
from graft.tensor.subtensor_index import ARRAY, MASK, SYM
from graft_backend_numba.linker import RULES
from graft_backend_numba.rules._kernels_util import (
    _check_indices,
    _norm_index,
    _slice_norm,
    all_tensors,
    at,
    bcast_write,
    dtype_of,
    kernel,
    ndim,
    nest,
    np_dtype,
    op_of,
    tup,
    use_np,
)

OWNER = "graft-backend-numba"


# ---------------------------------------------------------------------------
# Basic indexing
# ---------------------------------------------------------------------------


def _basic_index(
    node: Apply, x: str, idx_names: Sequence[str], em: Any
) -> tuple[list[str], list[str], int]:
    """Lines normalising the index, the parts of the slice expression, and the result's ndim."""
    lines: list[str] = []
    parts: list[str] = []
    it = iter(idx_names)
    norm = kernel(em, _norm_index)
    out_nd = ndim(node.inputs[0]) - len(op_of(node).idx_list)
    for axis, e in enumerate(op_of(node).idx_list):
        if isinstance(e, tuple):
            out_nd += 1
            vals: list[str] = []
            for p in e:
                if p == SYM:
                    v = em.fresh("sl")
                    lines.append(f"{v} = np.int64({next(it)}[()])")
                    vals.append(v)
                else:
                    vals.append("" if p is None else str(int(p)))
            if e[2] == SYM:
                lines += [
                    f"if {vals[2]} == 0:",
                    "    raise ValueError('slice step cannot be zero')",
                ]
            parts.append(f"{vals[0]}:{vals[1]}" + (f":{vals[2]}" if vals[2] else ""))
        else:
            src = f"{next(it)}[()]" if e == SYM else str(int(e))
            v = em.fresh("ix")
            lines.append(f"{v} = {norm}({src}, {x}.shape[{axis}])")
            parts.append(v)
    return lines, parts, out_nd


@RULES.register(Subtensor, owner=OWNER)
def subtensor(node: Apply, ins: list[str], outs: list[str], em: Any) -> list[str] | None:
    """``x[idx]`` as a NumPy view (a 0-d result is a new 0-d array)."""
    if not all_tensors(node.inputs[:1] + node.outputs):
        return None
    use_np(em)
    x, out = ins[0], outs[0]
    lines, parts, out_nd = _basic_index(node, x, ins[1:], em)
    if not parts:
        return [*lines, f"{out} = {x}"]
    expr = f"{x}[{', '.join(parts)}]"
    if out_nd == 0:
        lines += [f"{out} = np.empty((), {np_dtype(node.outputs[0])})", f"{out}[()] = {expr}"]
    else:
        lines.append(f"{out} = {expr}")
    return lines


@RULES.register(IncSubtensor, owner=OWNER)
def inc_subtensor(node: Apply, ins: list[str], outs: list[str], em: Any) -> list[str] | None:
    """A copy of ``x`` with ``y`` written into (or added to) the region ``x[idx]``."""
    if not all_tensors(node.inputs[:2] + node.outputs):
        return None
    use_np(em)
    x, y, out = ins[0], ins[1], outs[0]
    xv, yv = node.inputs[0], node.inputs[1]
    lines, parts, out_nd = _basic_index(node, x, ins[2:], em)
    lines.append(f"{out} = {x}.copy()")
    mode = "set" if op_of(node).set_instead_of_inc else "inc"
    is_bool = dtype_of(xv) == "bool"
    if out_nd == 0:
        target = f"{out}[{', '.join(parts)}]" if parts else f"{out}[()]"
        val = at(y, [])
        if mode == "set":
            lines.append(f"{target} = {val}")
        elif is_bool:
            lines.append(f"{target} = {target} or {val}")
        else:
            lines.append(f"{target} = {target} + {val}")
        return lines
    view = em.fresh("view")
    lines.append(f"{view} = {out}[{', '.join(parts)}]" if parts else f"{view} = {out}")
    lines += bcast_write(em, view, out_nd, y, ndim(yv), mode, bool_dst=is_bool)
    return lines


# ---------------------------------------------------------------------------
# Advanced indexing
# ---------------------------------------------------------------------------


def _advanced(
    node: Apply,
    idx_list: Sequence[Any],
    x: str,
    idx_names: Sequence[str],
    idx_vars: Sequence[Any],
    em: Any,
) -> tuple[list[str], list[str], list[str], list[str]] | None:
    """Plan ``x[idx]``: (setup lines, output dims, loop variables, x's index expressions).

    The caller loops the variables over the dims and reads or writes
    ``x[index expressions]``. None when the index has a 0-d mask.
    """
    x_nd = ndim(node.inputs[0])
    nds = _index_inputs_ndims(idx_list, idx_vars)
    lay = _Layout(idx_list, x_nd, nds)
    norm = kernel(em, _norm_index)
    check = kernel(em, _check_indices)
    sl = kernel(em, _slice_norm)
    lines: list[str] = []
    # Per x axis: how it is indexed. Block members: (array source name, ndim).
    x_expr: dict[int, str] = {}
    block_members: list[tuple[list[tuple[int, str]], int]] = []  # ([(axis, arr)], nd)
    for _pos, e, axes, k in lay.adv:
        if isinstance(e, int) or e == SYM:
            src = str(int(e)) if isinstance(e, int) else f"{idx_names[k]}[()]"  # type: ignore[index]
            v = em.fresh("ix")
            lines.append(f"{v} = {norm}({src}, {x}.shape[{axes[0]}])")
            x_expr[axes[0]] = v
        elif e == ARRAY:
            arr = idx_names[k]  # type: ignore[index]
            lines.append(f"{check}({arr}, {x}.shape[{axes[0]}])")
            block_members.append(([(axes[0], arr)], ndim(idx_vars[k])))  # type: ignore[index]
        else:
            assert e == MASK
            mask = idx_names[k]  # type: ignore[index]
            m_nd = ndim(idx_vars[k])  # type: ignore[index]
            if m_nd == 0:
                return None
            for j, a in enumerate(axes):
                lines += [
                    f"if {mask}.shape[{j}] != {x}.shape[{a}]:",
                    "    raise IndexError('boolean index did not match indexed array')",
                ]
            nz = em.fresh("nz")
            lines.append(f"{nz} = np.nonzero({mask})")
            block_members.append(([(a, f"{nz}[{j}]") for j, a in enumerate(axes)], 1))
    nb = max((nd for _, nd in block_members), default=0)
    block = [em.fresh("b") for _ in range(nb)]
    lines += [f"{b} = 1" for b in block]
    # Broadcast the block; remember each member's broadcasting multipliers.
    mults: list[list[str]] = []
    for members, nd in block_members:
        arr = members[0][1]
        ms: list[str] = []
        for t in range(nd):
            b = block[nb - nd + t]
            m = em.fresh("m")
            lines += [
                f"if {arr}.shape[{t}] != 1:",
                f"    if {b} == 1:",
                f"        {b} = {arr}.shape[{t}]",
                f"    elif {b} != {arr}.shape[{t}]:",
                "        raise IndexError('shape mismatch: indexing arrays could not be broadcast')",
                f"{m} = 0 if {arr}.shape[{t}] == 1 else 1",
            ]
            ms.append(m)
        mults.append(ms)
    dims: list[str] = []
    loop: list[str] = []
    block_loop: list[str] = []
    for item in lay.items:
        if item[0] == "x":
            i = em.fresh("o")
            dims.append(f"{x}.shape[{item[1]}]")
            loop.append(i)
            x_expr[item[1]] = i
        elif item[0] == "new":
            dims.append("1")
            loop.append(em.fresh("o"))
        elif item[0] == "slice":
            axis, pos = item[1], item[2]
            ins_of = iter(lay.inputs_of.get(pos, []))
            vals: list[Any] = []
            for p in idx_list[pos]:
                vals.append(f"{idx_names[next(ins_of)]}[()]" if p == SYM else p)
            sa, sb, sc = vals
            st, sp, ln = em.fresh("st"), em.fresh("sp"), em.fresh("ln")
            lines.append(
                f"{st}, {sp}, {ln} = {sl}({x}.shape[{axis}], "
                f"{0 if sa is None else sa}, {sa is not None}, "
                f"{0 if sb is None else sb}, {sb is not None}, {1 if sc is None else sc})"
            )
            i = em.fresh("o")
            dims.append(ln)
            loop.append(i)
            x_expr[axis] = f"{st} + {i} * {sp}"
        else:
            for b in block:
                i = em.fresh("o")
                dims.append(b)
                loop.append(i)
                block_loop.append(i)
    for (members, nd), ms in zip(block_members, mults):
        bidx = [f"{block_loop[nb - nd + t]} * {ms[t]}" for t in range(nd)]
        for axis, arr in members:
            x_expr[axis] = f"{norm}({at(arr, bidx)}, {x}.shape[{axis}])"
    return lines, dims, loop, [x_expr[a] for a in range(x_nd)]


def _adv_parts(node: Apply, first: int) -> tuple[Sequence[Any], list[Any]]:
    op = op_of(node)
    idx_list = (
        (ARRAY,) if isinstance(op, AdvancedSubtensor1 | AdvancedIncSubtensor1) else op.idx_list
    )
    return idx_list, list(node.inputs[first:])


@RULES.register(AdvancedSubtensor, AdvancedSubtensor1, owner=OWNER)
def advanced_subtensor(node: Apply, ins: list[str], outs: list[str], em: Any) -> list[str] | None:
    """``x[idx]`` with integer arrays / boolean masks: a loop over the output."""
    if not all_tensors(node.inputs + node.outputs):
        return None
    use_np(em)
    idx_list, idx_vars = _adv_parts(node, 1)
    plan = _advanced(node, idx_list, ins[0], ins[1:], idx_vars, em)
    if plan is None:
        return None
    lines, dims, loop, xidx = plan
    out = outs[0]
    lines.append(f"{out} = np.empty({tup(dims)}, {np_dtype(node.outputs[0])})")
    lines += nest(
        loop,
        [f"{out}.shape[{d}]" for d in range(len(dims))],
        [f"{at(out, loop)} = {at(ins[0], xidx)}"],
    )
    return lines


@RULES.register(AdvancedIncSubtensor, AdvancedIncSubtensor1, owner=OWNER)
def advanced_inc_subtensor(
    node: Apply, ins: list[str], outs: list[str], em: Any
) -> list[str] | None:
    """A copy of ``x`` with ``y`` set into / added to ``x[idx]`` (adds accumulate on repeats)."""
    if not all_tensors(node.inputs + node.outputs):
        return None
    use_np(em)
    idx_list, idx_vars = _adv_parts(node, 2)
    x, y, out = ins[0], ins[1], outs[0]
    plan = _advanced(node, idx_list, out, ins[2:], idx_vars, em)
    if plan is None:
        return None
    lines, dims, loop, xidx = plan
    region_nd = len(dims)
    y_nd = ndim(node.inputs[1])
    off = region_nd - y_nd
    if off < 0:
        return None
    lines = [f"{out} = {x}.copy()", *lines]
    mults = []
    for k in range(y_nd):
        m = em.fresh("m")
        lines += [
            f"if {y}.shape[{k}] != {dims[off + k]} and {y}.shape[{k}] != 1:",
            "    raise ValueError('shape mismatch: value array cannot be broadcast')",
            f"{m} = 0 if {y}.shape[{k}] == 1 else 1",
        ]
        mults.append(m)
    target = at(out, xidx)
    val = at(y, [f"{loop[off + k]} * {mults[k]}" for k in range(y_nd)])
    if op_of(node).set_instead_of_inc:
        body = [f"{target} = {val}"]
    elif dtype_of(node.inputs[0]) == "bool":
        body = [f"{target} = {target} or {val}"]
    else:
        # np.add.at casts the value to x's dtype before adding.
        body = [f"{target} = {target} + {np_dtype(node.inputs[0])}({val})"]
    lines += nest(loop, dims, body)
    return lines
