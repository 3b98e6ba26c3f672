"""C rules for Ops that work along one axis: `Softmax`, `LogSoftmax` and `Argmax`.

The input is taken as a C-contiguous array (a copy only when it is not one,
cast to the dtype the Op computes in), seen as ``(outer, n, inner)`` around
the axis (``axis=None``: one line of every element); each line is one pass
over ``n`` elements with stride ``inner``. Semantics are those of the Ops'
``perform``:

- softmax/log-softmax shift each line by its maximum (by 0 where that is
  not finite, so an all ``-inf`` line stays ``-inf``), in the output dtype;
- argmax/argmin give the first extreme element, a NaN counting as the
  extreme (NumPy's rule), and raise ValueError on an empty line.

Example::

    f = graft.function([x], gt.special.softmax(x, axis=-1), mode="C")
"""

from __future__ import annotations

from graft.graph.basic import Apply
from graft.link.codegen import Emitter
from graft.tensor.math import Argmax
from graft.tensor.special import LogSoftmax, Softmax
from graft.tensor.type import TensorType
from graft_backend_c.linker import RULES
from graft_backend_c.rules.scalar import CTYPES, typenum

__all__ = ["argmax", "softmax"]

_OWNER = "graft-backend-c"


def _lines_view(x: str, tn: str, axis: int | None, nd: int) -> list[str]:
    """Lines making ``xc`` (contiguous, of typenum ``tn``) and ``outer``/``n``/``inner``."""
    lines = [
        f"PyObject *xc = PyArray_FROM_OTF({x}, {tn}, NPY_ARRAY_IN_ARRAY);",
        "if (xc == NULL) goto fail;",
        "npy_intp outer = 1, n = PyArray_SIZE(A(xc)), inner = 1;",
    ]
    if axis is not None:
        lines.append(f"n = PyArray_DIM(A(xc), {axis});")
        lines.append(f"for (int d = 0; d < {axis}; d++) outer *= PyArray_DIM(A(xc), d);")
        lines.append(f"for (int d = {axis + 1}; d < {nd}; d++) inner *= PyArray_DIM(A(xc), d);")
    return lines


@RULES.register(Softmax, LogSoftmax, owner=_OWNER)
def softmax(node: Apply, ins: list[str], outs: list[str], em: Emitter) -> list[str] | None:
    """Softmax or log-softmax along the axis: a max pass, a sum pass, a write pass."""
    out_t = node.outputs[0].type
    if not isinstance(out_t, TensorType) or out_t.dtype not in ("float32", "float64"):
        return None
    dtype = out_t.dtype
    t, tn = CTYPES[dtype], typenum(dtype)
    f = "f" if dtype == "float32" else ""
    (x,), (out,) = ins, outs
    axis = node.op.axis  # type: ignore[attr-defined]
    log = isinstance(node.op, LogSoftmax)
    lines = _lines_view(x, tn, axis, out_t.ndim)
    lines += [
        f"{out} = (PyObject *)PyArray_EMPTY(PyArray_NDIM(A(xc)), PyArray_DIMS(A(xc)), {tn}, 0);",
        f"if ({out} == NULL) {{ Py_DECREF(xc); goto fail; }}",
        f"const {t} *src = (const {t} *)PyArray_DATA(A(xc));",
        f"{t} *dst = ({t} *)PyArray_DATA(A({out}));",
        "for (npy_intp o = 0; o < outer; o++) for (npy_intp i = 0; i < inner; i++) {",
        "const npy_intp base = o * n * inner + i;",
        f"{t} m = -INFINITY; int nan = 0;",
        "for (npy_intp j = 0; j < n; j++) {",
        f"const {t} v = src[base + j * inner];",
        "if (v != v) nan = 1; else if (v > m) m = v;",
        "}",
        "if (nan || !isfinite(m)) m = 0;",
        f"{t} s = 0;",
        "for (npy_intp j = 0; j < n; j++) {",
        f"const {t} e = exp{f}(src[base + j * inner] - m);",
        "s += e;" if log else "s += e; dst[base + j * inner] = e;",
        "}",
    ]
    if log:
        lines += [
            f"const {t} ls = log{f}(s);",
            "for (npy_intp j = 0; j < n; j++) dst[base + j * inner] = "
            "(src[base + j * inner] - m) - ls;",
        ]
    else:
        lines.append("for (npy_intp j = 0; j < n; j++) dst[base + j * inner] /= s;")
    lines += ["}", "Py_DECREF(xc);"]
    return lines


@RULES.register(Argmax, owner=_OWNER)
def argmax(node: Apply, ins: list[str], outs: list[str], em: Emitter) -> list[str] | None:
    """Index of the first maximum (minimum) along the axis; NaN wins, as in NumPy."""
    x_t = node.inputs[0].type
    if not isinstance(x_t, TensorType) or x_t.dtype not in CTYPES:
        return None
    op = node.op
    t, tn = CTYPES[x_t.dtype], typenum(x_t.dtype)
    (x,), (out,) = ins, outs
    axis = op.axis  # type: ignore[attr-defined]
    better = ">" if op.kind == "max" else "<"  # type: ignore[attr-defined]
    is_float = x_t.dtype.startswith("float")
    nd = x_t.ndim
    kept = [] if axis is None else [d for d in range(nd) if d != axis]
    lines = _lines_view(x, tn, axis, nd)
    lines += [
        "if (n == 0) { Py_DECREF(xc); PyErr_SetString(PyExc_ValueError, "
        '"attempt to get argmax of an empty sequence"); goto fail; }',
        f"npy_intp od[{max(len(kept), 1)}];",
    ]
    lines += [f"od[{j}] = PyArray_DIM(A(xc), {d});" for j, d in enumerate(kept)]
    lines += [
        f"{out} = (PyObject *)PyArray_EMPTY({len(kept)}, od, NPY_INT64, 0);",
        f"if ({out} == NULL) {{ Py_DECREF(xc); goto fail; }}",
        f"const {t} *src = (const {t} *)PyArray_DATA(A(xc));",
        f"npy_int64 *dst = (npy_int64 *)PyArray_DATA(A({out}));",
        "for (npy_intp o = 0; o < outer; o++) for (npy_intp i = 0; i < inner; i++) {",
        "const npy_intp base = o * n * inner + i;",
        f"{t} best = src[base]; npy_int64 at = 0;",
    ]
    if is_float:
        lines.append("if (best == best) for (npy_intp j = 1; j < n; j++) {")
        lines.append(f"const {t} v = src[base + j * inner];")
        lines.append(
            f"if (v != v) {{ at = j; break; }} if (v {better} best) {{ best = v; at = j; }}"
        )
        lines.append("}")
    else:
        lines.append("for (npy_intp j = 1; j < n; j++) {")
        lines.append(f"const {t} v = src[base + j * inner];")
        lines.append(f"if (v {better} best) {{ best = v; at = j; }}")
        lines.append("}")
    lines += ["dst[o * inner + i] = at;", "}", "Py_DECREF(xc);"]
    return lines
