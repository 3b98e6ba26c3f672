"""Numba rules for `Elemwise`, `DimShuffle`, `CAReduce` and `ElemwiseReduce`.

Each node becomes one explicit loop nest (`graft_backend_numba.rules._loops_nest`)
whose body is the scalar op's numba expression
(`graft_backend_numba.rules.scalar`): a fused ``Elemwise(Composite)`` is one
loop computing all its outputs, an ``ElemwiseReduce`` maps and reduces in one
loop without storing the mapped array. Values, dtypes and errors are those of
the Ops' ``perform``:

- only dimensions of static size 1 broadcast; other sizes must be equal at
  run time (ValueError, which the base replays through ``perform`` to name
  the Op);
- outputs are new arrays (``DimShuffle``, a view in graft, returns a view);
- reductions accumulate as ``CAReduce`` does: ``sum``/``prod`` in the output
  dtype, ``max``/``min`` in the input dtype with NaN propagating, ``all`` and
  ``any`` on ``x != 0``; max/min over an empty axis raise ValueError.

A node with a dtype or scalar op numba cannot handle (float16, complex,
``erfinv``...) gets None and runs through ``perform``.

Example::

    f = graft.function([x, y], gt.exp(x) * y + 1, mode="NUMBA")   # one loop
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

import graft.scalar.basic as sb
from graft.graph.basic import Apply
from graft.link.codegen import Emitter
from graft.scalar.type import get_scalar_type
from graft.tensor.elemwise import CAReduce, DimShuffle, Elemwise
from graft.tensor.fused_reduce import ElemwiseReduce
from graft_backend_numba.linker import RULES
from graft_backend_numba.rules._loops_nest import (
    Reduction,
    broadcast_sizes,
    elementwise_nest,
    operands,
    read_element,
    reduction_nest,
)
from graft_backend_numba.rules.scalar import (
    ScalarCode,
    convert,
    literal,
    scalar_code,
    supported_dtype,
)

__all__ = ["careduce", "dimshuffle", "elemwise", "elemwise_reduce", "reduction"]

_OWNER = "graft-backend-numba"


def _dtype(v: Any) -> str:
    return v.type.dtype  # type: ignore[no-any-return]


def _ndim(v: Any) -> int:
    return v.type.ndim  # type: ignore[no-any-return]


def _imports(em: Emitter) -> None:
    em.add_import("import math")
    em.add_import("import numpy as np")


@RULES.register(Elemwise, owner=_OWNER)
def elemwise(node: Apply, ins: list[str], outs: list[str], em: Emitter) -> list[str] | None:
    """One loop nest over the broadcast shape computing every output of the scalar op."""
    op = node.op
    assert isinstance(op, Elemwise)
    in_dtypes = [_dtype(v) for v in node.inputs]
    out_dtypes = [_dtype(v) for v in node.outputs]
    if not all(supported_dtype(d) for d in (*in_dtypes, *out_dtypes)):
        return None
    _imports(em)
    nd = _ndim(node.outputs[0])
    ops = operands(node, ins)
    size_lines, sizes = broadcast_sizes("Elemwise", ops, nd, em)

    def body(args: list[str]) -> ScalarCode | None:
        return scalar_code(op.scalar_op, args, in_dtypes, out_dtypes, em)

    loop = elementwise_nest(sizes, read_element(ops, body, em), outs, out_dtypes, em)
    if loop is None:
        return None
    return size_lines + loop


@RULES.register(DimShuffle, owner=_OWNER)
def dimshuffle(node: Apply, ins: list[str], outs: list[str], em: Emitter) -> list[str] | None:
    """A view (graft's ``view_map`` allows it): strides permuted, 0 for new axes.

    Dropped dimensions have size 1, so leaving them out of the strides is exact.
    """
    op = node.op
    assert isinstance(op, DimShuffle)
    (x,), (out,) = ins, outs
    _imports(em)
    if list(op.new_order) == list(range(op.input_ndim)):
        return [f"{out} = {x}"]
    shape, strides = [], []
    for o in op.new_order:
        if o == "x":
            shape.append("1")
            strides.append("0")
        else:
            shape.append(f"{x}.shape[{o}]")
            strides.append(f"{x}.strides[{o}]")

    def tup(items: Sequence[str]) -> str:
        return "(" + ", ".join(items) + ("," if len(items) == 1 else "") + ")"

    return [f"{out} = np.lib.stride_tricks.as_strided({x}, {tup(shape)}, {tup(strides)})"]


def reduction(scalar_op: Any, x_dtype: str, out_dtype: str, em: Emitter) -> Reduction | None:
    """How `CAReduce` reduces with ``scalar_op`` elements of ``x_dtype`` into ``out_dtype``.

    None for an op or dtype this backend does not reduce (the node then runs
    through ``perform``).
    """
    if not (supported_dtype(x_dtype) and supported_dtype(out_dtype)):
        return None
    name = str(scalar_op)
    xk = np.dtype(x_dtype).kind
    if name in ("add", "mul"):
        # np.sum/np.prod(x, dtype=out): elements converted to out, accumulated there.
        combine = _combiner(scalar_op, out_dtype, em)
        if combine is None:
            return None
        return Reduction(
            out_dtype,
            literal(0 if name == "add" else 1, out_dtype),
            combine,
            lambda e: convert(e, x_dtype, out_dtype),
            lambda a: a,
        )
    if name in ("maximum", "minimum"):
        # np.max/np.min in the input dtype (NaN wins), then cast to the output dtype.
        is_max = name == "maximum"
        if xk == "f":
            init = literal(-np.inf if is_max else np.inf, x_dtype)
        elif xk in "iu":
            info = np.iinfo(x_dtype)
            init = literal(info.min if is_max else info.max, x_dtype)
        elif xk == "b":
            init = literal(not is_max, x_dtype)
        else:
            return None
        combine = _combiner(scalar_op, x_dtype, em, swap=True)
        if combine is None:
            return None
        return Reduction(
            x_dtype,
            init,
            combine,
            lambda e: e,
            lambda a: convert(a, x_dtype, out_dtype),
            no_identity="maximum" if is_max else "minimum",
        )
    if name in ("and_", "or_"):
        # np.all/np.any: truth of each element, then the result cast to the output dtype.
        conj = name == "and_"
        return Reduction(
            "bool",
            literal(conj, "bool"),
            lambda acc, v: f"({acc} {'and' if conj else 'or'} {v})",
            lambda e: convert(e, x_dtype, "bool"),
            lambda a: convert(a, "bool", out_dtype),
        )
    if isinstance(scalar_op, sb.XOR) and xk in "biu":
        # A fold of the ufunc in its own result dtype; 0 is xor's identity, but graft
        # (no NumPy reduction) raises on an empty axis, like max.
        acc_dtype = scalar_op.output_types([get_scalar_type(x_dtype)] * 2)[0].dtype
        combine = _combiner(scalar_op, acc_dtype, em)
        if combine is None:
            return None
        return Reduction(
            acc_dtype,
            literal(0, acc_dtype),
            combine,
            lambda e: convert(e, x_dtype, acc_dtype),
            lambda a: convert(a, acc_dtype, out_dtype),
            no_identity="bitwise_xor",
        )
    return None


def _combiner(
    scalar_op: Any, dtype: str, em: Emitter, swap: bool = False
) -> Callable[[str, str], str] | None:
    """``combine(acc, v)``: the scalar op on two values of ``dtype`` (``op(v, acc)`` when
    ``swap``: max/min keep the accumulator on ties and NaN that way)."""
    probe = scalar_code(scalar_op, ["acc", "v"], [dtype] * 2, [dtype], em)
    if probe is None or probe.lines:
        return None

    def combine(acc: str, v: str) -> str:
        args = [v, acc] if swap else [acc, v]
        code = scalar_code(scalar_op, args, [dtype] * 2, [dtype], em)
        assert code is not None
        return code.exprs[0]

    return combine


def _axes(axis: tuple[int, ...] | None, nd: int) -> list[int]:
    return list(range(nd)) if axis is None else list(axis)


@RULES.register(CAReduce, owner=_OWNER)
def careduce(node: Apply, ins: list[str], outs: list[str], em: Emitter) -> list[str] | None:
    """One loop nest over the input, accumulating into the output (see `reduction`)."""
    op = node.op
    assert isinstance(op, CAReduce)
    x = node.inputs[0]
    red = reduction(op.scalar_op, _dtype(x), _dtype(node.outputs[0]), em)
    if red is None:
        return None
    _imports(em)
    nd = _ndim(x)
    ops = operands(node, ins)
    size_lines, sizes = broadcast_sizes("CAReduce", ops, nd, em)

    def body(args: list[str]) -> ScalarCode:
        return ScalarCode([], [args[0]])

    loop = reduction_nest(
        sizes,
        _axes(op.axis, nd),
        read_element(ops, body, em),
        red,
        outs[0],
        _dtype(node.outputs[0]),
        em,
    )
    return None if loop is None else size_lines + loop


@RULES.register(ElemwiseReduce, owner=_OWNER)
def elemwise_reduce(node: Apply, ins: list[str], outs: list[str], em: Emitter) -> list[str] | None:
    """The map and the reduction in one loop nest: no mapped array is stored."""
    op = node.op
    assert isinstance(op, ElemwiseReduce)
    in_dtypes = [_dtype(v) for v in node.inputs]
    if not all(supported_dtype(d) for d in in_dtypes):
        return None
    mapped = op.map_op.output_types([get_scalar_type(d) for d in in_dtypes])[0].dtype
    out_dtype = _dtype(node.outputs[0])
    red = reduction(op.reduce_op, mapped, out_dtype, em)
    if red is None:
        return None
    _imports(em)
    nd = max((_ndim(v) for v in node.inputs), default=0)
    ops = operands(node, ins)
    size_lines, sizes = broadcast_sizes("ElemwiseReduce", ops, nd, em)

    def body(args: list[str]) -> ScalarCode | None:
        return scalar_code(op.map_op, args, in_dtypes, [mapped], em)

    loop = reduction_nest(
        sizes, _axes(op.axis, nd), read_element(ops, body, em), red, outs[0], out_dtype, em
    )
    return None if loop is None else size_lines + loop
