"""C rules for shapes, allocation, basic indexing, joining, checks and BLAS products.

These Ops move or reshape data rather than compute elements, so their C
calls NumPy's own C API (``PyArray_Newshape``, ``PyArray_Concatenate``,
``PyObject_GetItem``/``PyObject_SetItem`` with a tuple of slices...): the results, views and
errors are exactly those of the Ops' ``perform``. ``Dot`` of float32/float64
vectors and matrices calls SciPy's BLAS ``sgemm``/``dgemm`` (pointers handed
to the module when it is loaded); other dtypes run through ``perform``.

Example::

    f = graft.function([x, w], gt.dot(x, w).sum(), mode="C")   # dgemm, then one loop
"""

from __future__ import annotations

from typing import Any

from graft.graph.basic import Apply
from graft.link.codegen import Emitter
from graft.raise_op import CheckAndRaise
from graft.tensor.basic import Alloc
from graft.tensor.join import Join, MakeVector
from graft.tensor.math import Dot
from graft.tensor.shape import Reshape, Shape, Shape_i, SpecifyShape
from graft.tensor.subtensor import IncSubtensor, Subtensor
from graft.tensor.subtensor_advanced import AdvancedSubtensor1
from graft.tensor.subtensor_index import SYM
from graft.tensor.type import TensorType
from graft_backend_c.linker import RULES
from graft_backend_c.rules.scalar import CTYPES, typenum

__all__ = [
    "advanced_subtensor1",
    "alloc",
    "check_and_raise",
    "dot",
    "inc_subtensor",
    "join",
    "make_vector",
    "reshape",
    "shape",
    "subtensor",
]

_OWNER = "graft-backend-c"


def _tensors(node: Apply) -> bool:
    return all(
        isinstance(v.type, TensorType) and v.type.dtype in CTYPES
        for v in (*node.inputs, *node.outputs)
    )


def _err(exc: str, msg: str) -> str:
    """A statement raising ``exc`` with the fixed message ``msg`` (no user strings)."""
    return f'{{ PyErr_SetString(PyExc_{exc}, "{msg}"); goto fail; }}'


@RULES.register(Shape, owner=_OWNER)
def shape(node: Apply, ins: list[str], outs: list[str], em: Emitter) -> list[str] | None:
    """The input's shape as a new int64 vector."""
    if not _tensors(node):
        return None
    (x,), (out,) = ins, outs
    return [
        f"npy_intp nd = PyArray_NDIM(A({x}));",
        f"{out} = (PyObject *)PyArray_EMPTY(1, &nd, NPY_INT64, 0);",
        f"if ({out} == NULL) goto fail;",
        f"for (npy_intp d = 0; d < nd; d++) "
        f"((npy_int64 *)PyArray_DATA(A({out})))[d] = PyArray_DIM(A({x}), d);",
    ]


@RULES.register(Shape_i, owner=_OWNER)
def shape_i(node: Apply, ins: list[str], outs: list[str], em: Emitter) -> list[str] | None:
    """One dimension's size as a new 0-d int64 array."""
    if not _tensors(node):
        return None
    (x,), (out,) = ins[:1], outs
    i = int(node.op.i)  # type: ignore[attr-defined]
    return [
        f"{out} = (PyObject *)PyArray_EMPTY(0, NULL, NPY_INT64, 0);",
        f"if ({out} == NULL) goto fail;",
        f"*(npy_int64 *)PyArray_DATA(A({out})) = PyArray_DIM(A({x}), {i});",
    ]


@RULES.register(SpecifyShape, owner=_OWNER)
def specify_shape(node: Apply, ins: list[str], outs: list[str], em: Emitter) -> list[str] | None:
    """The input itself, after checking the sizes the Op declares."""
    if not _tensors(node) or len(ins) != 1:
        return None
    (x,), (out,) = ins, outs
    lines = []
    for d, s in enumerate(node.op.shape):  # type: ignore[attr-defined]
        if s is not None:
            lines.append(
                f"if (PyArray_DIM(A({x}), {d}) != {int(s)}) "
                + _err("AssertionError", "SpecifyShape: shape mismatch")
            )
    lines.append(f"{out} = {x}; Py_INCREF({out});")
    return lines


@RULES.register(Reshape, owner=_OWNER)
def reshape(node: Apply, ins: list[str], outs: list[str], em: Emitter) -> list[str] | None:
    """``np.reshape`` through ``PyArray_Newshape`` (a view when NumPy gives one)."""
    if not _tensors(node):
        return None
    (x, shp), (out,) = ins, outs
    nd = node.outputs[0].type.ndim  # type: ignore[attr-defined]
    return [
        f"PyObject *s = PyArray_FROM_OTF({shp}, NPY_INT64, NPY_ARRAY_IN_ARRAY);",
        "if (s == NULL) goto fail;",
        f"if (PyArray_SIZE(A(s)) != {nd}) {{ Py_DECREF(s); "
        + _err("ValueError", "Reshape: wrong number of shape entries")
        + " }",
        f"npy_intp dims[{max(nd, 1)}];",
        f"for (int d = 0; d < {nd}; d++) dims[d] = (npy_intp)((npy_int64 *)PyArray_DATA(A(s)))[d];",
        "Py_DECREF(s);",
        f"PyArray_Dims newshape = {{dims, {nd}}};",
        f"{out} = PyArray_Newshape(A({x}), &newshape, NPY_CORDER);",
        f"if ({out} == NULL) goto fail;",
    ]


@RULES.register(Alloc, owner=_OWNER)
def alloc(node: Apply, ins: list[str], outs: list[str], em: Emitter) -> list[str] | None:
    """A new array of the given shape filled with the value (static-1 dimensions broadcast)."""
    if not _tensors(node):
        return None
    v, *sh = ins
    (out,) = outs
    nd = len(sh)
    vt = node.inputs[0].type
    pad = nd - vt.ndim  # type: ignore[attr-defined]
    lines = [f"npy_intp dims[{max(nd, 1)}]; npy_int64 t;"]
    for d, s in enumerate(sh):
        lines.append(f"if (graft_int_of({s}, &t) < 0) goto fail;")
        lines.append(f"dims[{d}] = (npy_intp)t;")
    for k, st in enumerate(vt.shape):  # type: ignore[attr-defined]
        if st != 1:
            lines.append(
                f"if (PyArray_DIM(A({v}), {k}) != dims[{pad + k}]) "
                + _err("ValueError", "Alloc: the value does not fill the shape")
            )
    dtype = node.outputs[0].type.dtype  # type: ignore[attr-defined]
    lines.append(f"{out} = (PyObject *)PyArray_EMPTY({nd}, dims, {typenum(dtype)}, 0);")
    lines.append(f"if ({out} == NULL) goto fail;")
    lines.append(f"if (PyArray_CopyInto(A({out}), A({v})) < 0) goto fail;")
    return lines


def _index_item(p: Any, syms: list[str]) -> str:
    """C building one index component (a new reference): None, an int, or a symbolic int."""
    if p is None:
        return "Py_NewRef(Py_None)"
    if p == SYM:
        s = syms.pop(0)
        return f"(graft_int_of({s}, &t) < 0 ? NULL : PyLong_FromLongLong(t))"
    return f"PyLong_FromLongLong({int(p)}LL)"


def _index_key(idx: Any, syms: list[str]) -> list[str]:
    """Lines building ``key``, the tuple ``(*index, Ellipsis)`` of a basic index list (the
    trailing Ellipsis keeps a 0-d result an array view); on failure they jump to ``fail``."""
    n = len(idx)
    lines = [
        "npy_int64 t; PyObject *item = NULL;",
        f"PyObject *key = PyTuple_New({n + 1});",
        "if (key == NULL) goto fail;",
    ]
    for k, e in enumerate(idx):
        if isinstance(e, tuple):
            parts = [_index_item(p, syms) for p in e]
            lines.append("{")
            lines.append(f"PyObject *a = {parts[0]};")
            lines.append(f"PyObject *b = a ? {parts[1]} : NULL;")
            lines.append(f"PyObject *c = b ? {parts[2]} : NULL;")
            lines.append("item = c ? PySlice_New(a, b, c) : NULL;")
            lines.append("Py_XDECREF(a); Py_XDECREF(b); Py_XDECREF(c);")
            lines.append("}")
        else:
            lines.append(f"item = {_index_item(e, syms)};")
        lines.append("if (item == NULL) { Py_DECREF(key); goto fail; }")
        lines.append(f"PyTuple_SET_ITEM(key, {k}, item);")
    lines.append(f"PyTuple_SET_ITEM(key, {n}, Py_NewRef(Py_Ellipsis));")
    return lines


@RULES.register(Subtensor, owner=_OWNER)
def subtensor(node: Apply, ins: list[str], outs: list[str], em: Emitter) -> list[str] | None:
    """Basic indexing, a view: ``x[(*index, ...)]`` through ``PyObject_GetItem``."""
    if not _tensors(node):
        return None
    x, *rest = ins
    (out,) = outs
    lines = _index_key(node.op.idx_list, list(rest))  # type: ignore[attr-defined]
    lines.append(f"{out} = PyObject_GetItem({x}, key);")
    lines.append("Py_DECREF(key);")
    lines.append(f"if ({out} == NULL) goto fail;")
    return lines


@RULES.register(AdvancedSubtensor1, owner=_OWNER)
def advanced_subtensor1(
    node: Apply, ins: list[str], outs: list[str], em: Emitter
) -> list[str] | None:
    """``x[i]`` for an integer vector ``i`` (a new array) through ``PyObject_GetItem``."""
    if not _tensors(node):
        return None
    (x, i), (out,) = ins, outs
    return [f"{out} = PyObject_GetItem({x}, {i});", f"if ({out} == NULL) goto fail;"]


@RULES.register(IncSubtensor, owner=_OWNER)
def inc_subtensor(node: Apply, ins: list[str], outs: list[str], em: Emitter) -> list[str] | None:
    """A copy of ``x`` whose indexed region is set to ``y`` (``view[...] = y``) or
    incremented by it in place (NumPy's ``same_kind`` casting, as ``perform``)."""
    if not _tensors(node):
        return None
    x, y, *rest = ins
    (out,) = outs
    lines = _index_key(node.op.idx_list, list(rest))  # type: ignore[attr-defined]
    lines.append(f"{out} = (PyObject *)PyArray_NewCopy(A({x}), NPY_CORDER);")
    lines.append(f"PyObject *view = {out} ? PyObject_GetItem({out}, key) : NULL;")
    lines.append("Py_DECREF(key);")
    lines.append("if (view == NULL) goto fail;")
    if node.op.set_instead_of_inc:  # type: ignore[attr-defined]
        lines.append(f"int bad = PyObject_SetItem(view, Py_Ellipsis, {y});")
    else:
        lines.append(f"PyObject *sum = PyNumber_InPlaceAdd(view, {y});")
        lines.append("int bad = sum == NULL;")
        lines.append("Py_XDECREF(sum);")
    lines.append("Py_DECREF(view);")
    lines.append("if (bad) goto fail;")
    return lines


@RULES.register(Join, owner=_OWNER)
def join(node: Apply, ins: list[str], outs: list[str], em: Emitter) -> list[str] | None:
    """``np.concatenate`` through ``PyArray_Concatenate``, cast to the output dtype."""
    if not _tensors(node):
        return None
    (out,) = outs
    axis = int(node.op.axis)  # type: ignore[attr-defined]
    dtype = node.outputs[0].type.dtype  # type: ignore[attr-defined]
    lines = [
        f"PyObject *seq = PyTuple_Pack({len(ins)}, {', '.join(ins)});",
        "if (seq == NULL) goto fail;",
        f"PyObject *cat = PyArray_Concatenate(seq, {axis});",
        "Py_DECREF(seq);",
        "if (cat == NULL) goto fail;",
        f"if (PyArray_TYPE(A(cat)) == {typenum(dtype)}) {{ {out} = cat; }} else {{",
        f"{out} = (PyObject *)PyArray_CastToType(A(cat), "
        f"PyArray_DescrFromType({typenum(dtype)}), 0);",
        "Py_DECREF(cat);",
        f"if ({out} == NULL) goto fail;",
        "}",
    ]
    return lines


@RULES.register(MakeVector, owner=_OWNER)
def make_vector(node: Apply, ins: list[str], outs: list[str], em: Emitter) -> list[str] | None:
    """A new vector of the 0-d inputs, each cast (as ``np.array(..., dtype)``) in place."""
    if not _tensors(node):
        return None
    (out,) = outs
    dtype = node.outputs[0].type.dtype  # type: ignore[attr-defined]
    tn = typenum(dtype)
    lines = [
        f"npy_intp n = {len(ins)};",
        f"{out} = (PyObject *)PyArray_EMPTY(1, &n, {tn}, 0);",
        f"if ({out} == NULL) goto fail;",
        f"char *dst = PyArray_BYTES(A({out}));",
        f"const npy_intp size = PyArray_ITEMSIZE(A({out}));",
    ]
    for k, v in enumerate(ins):
        lines.append("{")
        lines.append(
            f"PyObject *e = PyArray_FROM_OTF({v}, {tn}, NPY_ARRAY_IN_ARRAY | NPY_ARRAY_FORCECAST);"
        )
        lines.append("if (e == NULL) goto fail;")
        lines.append(f"memcpy(dst + {k} * size, PyArray_DATA(A(e)), size);")
        lines.append("Py_DECREF(e);")
        lines.append("}")
    return lines


@RULES.register(CheckAndRaise, owner=_OWNER)
def check_and_raise(node: Apply, ins: list[str], outs: list[str], em: Emitter) -> list[str] | None:
    """The value itself when every condition holds; otherwise an error (the replay through
    ``perform`` then raises the Op's own exception and message)."""
    if not _tensors(node):
        return None
    v, *conds = ins
    (out,) = outs
    lines = []
    for c in conds:
        lines.append("{")
        lines.append(f"int ok = graft_truth({c});")
        lines.append("if (ok < 0) goto fail;")
        lines.append("if (!ok) " + _err("AssertionError", "CheckAndRaise: a condition is false"))
        lines.append("}")
    lines.append(f"{out} = {v}; Py_INCREF({out});")
    return lines


@RULES.register(Dot, owner=_OWNER)
def dot(node: Apply, ins: list[str], outs: list[str], em: Emitter) -> list[str] | None:
    """Vector/matrix products of float32/float64 through BLAS ``gemm``.

    Row-major ``C (m, n) = X (m, k) Y (k, n)`` is column-major ``C^T = Y^T X^T``:
    one ``gemm('N', 'N', n, m, k)`` on C-contiguous copies (or the inputs themselves).
    """
    if not _tensors(node):
        return None
    dtype = node.outputs[0].type.dtype  # type: ignore[attr-defined]
    if dtype not in ("float32", "float64"):
        return None
    (x, y), (out,) = ins, outs
    xn = node.inputs[0].type.ndim  # type: ignore[attr-defined]
    yn = node.inputs[1].type.ndim  # type: ignore[attr-defined]
    t, tn = CTYPES[dtype], typenum(dtype)
    gemm = "graft_dgemm" if dtype == "float64" else "graft_sgemm"
    out_dims = (["m"] if xn == 2 else []) + (["n"] if yn == 2 else [])
    lines = [
        f"if ({gemm} == NULL) " + _err("RuntimeError", "Dot: no BLAS gemm was found"),
        f"PyObject *xc = PyArray_FROM_OTF({x}, {tn}, NPY_ARRAY_IN_ARRAY);",
        "if (xc == NULL) goto fail;",
        f"PyObject *yc = PyArray_FROM_OTF({y}, {tn}, NPY_ARRAY_IN_ARRAY);",
        "if (yc == NULL) { Py_DECREF(xc); goto fail; }",
        f"npy_intp m = {'PyArray_DIM(A(xc), 0)' if xn == 2 else '1'};",
        f"npy_intp k = PyArray_DIM(A(xc), {xn - 1});",
        f"npy_intp n = {'PyArray_DIM(A(yc), 1)' if yn == 2 else '1'};",
        "if (PyArray_DIM(A(yc), 0) != k) { Py_DECREF(xc); Py_DECREF(yc); "
        + _err("ValueError", "Dot: shapes are not aligned")
        + " }",
        "if (m > INT_MAX || n > INT_MAX || k > INT_MAX) { Py_DECREF(xc); Py_DECREF(yc); "
        + _err("ValueError", "Dot: sizes exceed the BLAS integer range")
        + " }",
        f"npy_intp od[2] = {{{', '.join(out_dims) or '0'}}};",
        f"{out} = (PyObject *)PyArray_ZEROS({len(out_dims)}, od, {tn}, 0);",
        f"if ({out} == NULL) {{ Py_DECREF(xc); Py_DECREF(yc); goto fail; }}",
        "if (m > 0 && n > 0 && k > 0) {",
        "char tr = 'N'; int im = (int)m, in = (int)n, ik = (int)k;",
        "int ldy = in, ldx = ik, ldc = in;",
        f"{t} one = 1, zero = 0;",
        f"{gemm}(&tr, &tr, &in, &im, &ik, &one, ({t} *)PyArray_DATA(A(yc)), &ldy, "
        f"({t} *)PyArray_DATA(A(xc)), &ldx, &zero, ({t} *)PyArray_DATA(A({out})), &ldc);",
        "}",
        "Py_DECREF(xc); Py_DECREF(yc);",
    ]
    return lines
