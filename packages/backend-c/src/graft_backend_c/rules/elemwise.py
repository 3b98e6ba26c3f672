"""C rules for `Elemwise` (fused `Composite` included), `DimShuffle`, `CAReduce` and
`ElemwiseReduce`.

Each elementwise or reduction node is one loop nest (`graft_backend_c.rules.loops`)
whose body is the scalar op's C (`graft_backend_c.rules.scalar`): a fused
``Elemwise(Composite)`` computes all its outputs in one pass, an
``ElemwiseReduce`` maps and reduces in one pass without storing the mapped
array. Values, dtypes and errors are those of the Ops' ``perform``:

- only dimensions of static size 1 broadcast; other sizes must be equal;
- reductions accumulate as ``CAReduce`` does: ``sum``/``prod`` in the output
  dtype, ``max``/``min`` in the input dtype with NaN propagating, then cast
  to the output dtype; ``all``/``any`` on ``x != 0``; max/min over an empty
  axis raise ValueError;
- ``DimShuffle`` returns a view, as in graft.

Example::

    f = graft.function([x, y], gt.exp(x) * y + 1, mode="C")   # one loop
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

import graft.scalar.basic as sb
from graft.graph.basic import Apply
from graft.link.codegen import Emitter
from graft.scalar.type import get_scalar_type
from graft.tensor.elemwise import CAReduce, DimShuffle, Elemwise
from graft.tensor.fused_reduce import ElemwiseReduce
from graft_backend_c.linker import RULES
from graft_backend_c.rules.loops import Reduction, elementwise, operands, reduction_loop
from graft_backend_c.rules.scalar import CTYPES, ScalarCode, c_literal, convert, scalar_code

__all__ = ["careduce", "dimshuffle", "elemwise", "elemwise_reduce", "reduction"]

_OWNER = "graft-backend-c"


def _dtype(v: Any) -> str:
    return v.type.dtype  # type: ignore[no-any-return]


def _ndim(v: Any) -> int:
    return v.type.ndim  # type: ignore[no-any-return]


def _tensors(node: Apply) -> bool:
    from graft.tensor.type import TensorType

    return all(isinstance(v.type, TensorType) for v in (*node.inputs, *node.outputs))


@RULES.register(Elemwise, owner=_OWNER)
def elemwise(node: Apply, ins: list[str], outs: list[str], em: Emitter) -> list[str] | None:
    """One loop over the broadcast shape computing every output of the scalar op."""
    op = node.op
    assert isinstance(op, Elemwise)
    if not _tensors(node):
        return None
    in_dtypes = [_dtype(v) for v in node.inputs]
    out_dtypes = [_dtype(v) for v in node.outputs]
    if not all(d in CTYPES for d in (*in_dtypes, *out_dtypes)):
        return None
    nd = _ndim(node.outputs[0])
    ops = operands(node, ins, nd)

    def body(args: list[str]) -> ScalarCode | None:
        return scalar_code(op.scalar_op, args, in_dtypes, out_dtypes)

    return elementwise(em, "Elemwise", ops, nd, body, outs, out_dtypes)


@RULES.register(DimShuffle, owner=_OWNER)
def dimshuffle(node: Apply, ins: list[str], outs: list[str], em: Emitter) -> list[str] | None:
    """A view: strides permuted, 0 for new axes (dropped axes have size 1)."""
    op = node.op
    assert isinstance(op, DimShuffle)
    (x,), (out,) = ins, outs
    if not _tensors(node) or _dtype(node.inputs[0]) not in CTYPES:
        return None
    nd = len(op.new_order)
    lines = [f"npy_intp dims[{max(nd, 1)}], strides[{max(nd, 1)}];"]
    for k, o in enumerate(op.new_order):
        if o == "x":
            lines.append(f"dims[{k}] = 1; strides[{k}] = 0;")
        else:
            lines.append(
                f"dims[{k}] = PyArray_DIM(A({x}), {o}); strides[{k}] = PyArray_STRIDE(A({x}), {o});"
            )
    for d in op.drop:
        lines.append(
            f"if (PyArray_DIM(A({x}), {d}) != 1) {{ PyErr_SetString(PyExc_ValueError, "
            f'"DimShuffle: dropped dimension {d} is not of size 1"); goto fail; }}'
        )
    lines.append(f"PyArray_Descr *descr = PyArray_DESCR(A({x})); Py_INCREF(descr);")
    lines.append(
        f"{out} = PyArray_NewFromDescr(&PyArray_Type, descr, {nd}, dims, strides, "
        f"PyArray_DATA(A({x})), PyArray_FLAGS(A({x})) & NPY_ARRAY_WRITEABLE, NULL);"
    )
    lines.append(f"if ({out} == NULL) goto fail;")
    lines.append(f"Py_INCREF({x});")
    lines.append(f"if (PyArray_SetBaseObject(A({out}), {x}) < 0) goto fail;")
    return lines


def reduction(scalar_op: Any, x_dtype: str, out_dtype: str) -> Reduction | None:
    """How `CAReduce` reduces with ``scalar_op`` elements of ``x_dtype`` into ``out_dtype``
    (None: not in C; the node runs through ``perform``)."""
    if x_dtype not in CTYPES or out_dtype not in CTYPES:
        return None
    name = str(scalar_op)
    xk = np.dtype(x_dtype).kind
    if name in ("add", "mul"):
        # np.sum/np.prod(x, dtype=out): elements converted to out, accumulated there.
        combine = _combiner(scalar_op, out_dtype)
        if combine is None:
            return None
        simd = ("+" if name == "add" else "*") if out_dtype != "bool" else ""
        return Reduction(
            out_dtype,
            c_literal(0 if name == "add" else 1, out_dtype),
            combine,
            lambda e: convert(e, x_dtype, out_dtype),
            simd=simd,
        )
    if name in ("maximum", "minimum"):
        is_max = name == "maximum"
        if xk == "f":
            init = c_literal(-np.inf if is_max else np.inf, x_dtype)
        elif xk in "iu":
            info = np.iinfo(x_dtype)
            init = c_literal(info.min if is_max else info.max, x_dtype)
        elif xk == "b":
            init = c_literal(not is_max, x_dtype)
        else:
            return None
        combine = _combiner(scalar_op, x_dtype, swap=True)
        if combine is None:
            return None
        return Reduction(
            x_dtype, init, combine, lambda e: e, no_identity="maximum" if is_max else "minimum"
        )
    if name in ("and_", "or_"):
        conj = name == "and_"
        return Reduction(
            "bool",
            c_literal(conj, "bool"),
            lambda acc, v: f"((npy_bool)({acc} {'&&' if conj else '||'} {v}))",
            lambda e: convert(e, x_dtype, "bool"),
        )
    if isinstance(scalar_op, sb.XOR) and xk in "biu":
        acc_dtype = scalar_op.output_types([get_scalar_type(x_dtype)] * 2)[0].dtype
        combine = _combiner(scalar_op, acc_dtype)
        if combine is None:
            return None
        return Reduction(
            acc_dtype,
            c_literal(0, acc_dtype),
            combine,
            lambda e: convert(e, x_dtype, acc_dtype),
            no_identity="bitwise_xor",
        )
    return None


def _combiner(scalar_op: Any, dtype: str, swap: bool = False) -> Callable[[str, str], str] | None:
    """``combine(acc, v)``: the scalar op on two values of ``dtype`` (``op(v, acc)`` when
    ``swap``: max/min keep NaN and ties that way)."""
    probe = scalar_code(scalar_op, ["acc", "v"], [dtype] * 2, [dtype])
    if probe is None or probe.lines or probe.flags:
        return None

    def combine(acc: str, v: str) -> str:
        args = [v, acc] if swap else [acc, v]
        code = scalar_code(scalar_op, args, [dtype] * 2, [dtype])
        assert code is not None
        return code.exprs[0]

    return combine


def _axes(axis: tuple[int, ...] | None, nd: int) -> list[int]:
    return list(range(nd)) if axis is None else list(axis)


@RULES.register(CAReduce, owner=_OWNER)
def careduce(node: Apply, ins: list[str], outs: list[str], em: Emitter) -> list[str] | None:
    """One loop nest over the input accumulating into the output (see `reduction`)."""
    op = node.op
    assert isinstance(op, CAReduce)
    if not _tensors(node):
        return None
    x = node.inputs[0]
    red = reduction(op.scalar_op, _dtype(x), _dtype(node.outputs[0]))
    if red is None:
        return None
    nd = _ndim(x)
    ops = operands(node, ins, nd)

    def body(args: list[str]) -> ScalarCode:
        return ScalarCode([], [args[0]])

    return reduction_loop(
        em, "CAReduce", ops, nd, _axes(op.axis, nd), body, red, outs[0], _dtype(node.outputs[0])
    )


@RULES.register(ElemwiseReduce, owner=_OWNER)
def elemwise_reduce(node: Apply, ins: list[str], outs: list[str], em: Emitter) -> list[str] | None:
    """The map and the reduction in one loop: no mapped array is stored."""
    op = node.op
    assert isinstance(op, ElemwiseReduce)
    if not _tensors(node):
        return None
    in_dtypes = [_dtype(v) for v in node.inputs]
    if not all(d in CTYPES for d in in_dtypes):
        return None
    mapped = op.map_op.output_types([get_scalar_type(d) for d in in_dtypes])[0].dtype
    out_dtype = _dtype(node.outputs[0])
    red = reduction(op.reduce_op, mapped, out_dtype)
    if red is None:
        return None
    nd = max((_ndim(v) for v in node.inputs), default=0)
    ops = operands(node, ins, nd)

    def body(args: list[str]) -> ScalarCode | None:
        return scalar_code(op.map_op, args, in_dtypes, [mapped])

    return reduction_loop(
        em, "ElemwiseReduce", ops, nd, _axes(op.axis, nd), body, red, outs[0], out_dtype
    )
