"""C loop nests for the elementwise and reduction rules (source generation only).

A node's loop runs over its broadcast iteration shape. Dimensions whose
static size is 1 broadcast (stride 0); every other size is read from the
operands and compared before any loop runs (ValueError on a mismatch; the
base replays the node through ``perform`` for NumPy's message). Two
variants are emitted:

- a *contiguous* loop, taken when every array operand is C-contiguous with
  the full size (operands of one element are read once before it): one flat
  ``#pragma omp simd`` loop the compiler vectorises (libmvec for exp/log...);
  one that calls vector math is outlined into a function with an AVX2 clone
  (``target_clones``: twice the lanes where the CPU has AVX2);
- a *strided* nest: an odometer over the outer dimensions and an inner loop
  over the last one with byte strides (non-contiguous, negative strides,
  broadcasting).

Example (what `elementwise` makes of ``x * 2.0`` on a float64 vector; abridged)::

    n_[0] = PyArray_DIM(A(v0), 0);
    v1 = PyArray_EMPTY(1, n_, NPY_FLOAT64, 0);
    if (PyArray_IS_C_CONTIGUOUS(A(v0)) && ...) {
        #pragma omp simd
        for (npy_intp i = 0; i < total; i++) { ... q0[i] = ((npy_float64)(a0 * 0x1p+1)); }
    } else { ...strided nest... }
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from graft.graph.basic import Apply, Constant
from graft.link.codegen import Emitter
from graft_backend_c.rules.scalar import CTYPES, ScalarCode, c_literal, typenum

__all__ = ["Operand", "Reduction", "elementwise", "operands", "reduction_loop"]


@dataclass
class Operand:
    """One array input of a nest: C identifier, static shape padded to the nest's rank,
    dtype, how many leading dimensions are padding, and a literal for one-element constants."""

    name: str
    static: tuple[int | None, ...]
    dtype: str
    pad: int = 0
    const: str | None = None

    @property
    def scalar(self) -> bool:
        """One element, read once (a constant, or every dimension of static size 1)."""
        return self.const is not None or all(s == 1 for s in self.static)


def operands(node: Apply, ins: Sequence[str], nd: int) -> list[Operand]:
    """The node's inputs as operands of an ``nd``-d nest (lower ranks padded on the left)."""
    res = []
    for v, name in zip(node.inputs, ins):
        t = v.type
        shape: tuple[int | None, ...] = t.shape  # type: ignore[attr-defined]
        pad = nd - len(shape)
        static = (1,) * pad + tuple(shape)
        const = None
        if isinstance(v, Constant):
            data = np.asarray(v.data)
            if data.size == 1 and all(s == 1 for s in shape):
                const = c_literal(data.reshape(-1)[0], t.dtype)  # type: ignore[attr-defined]
        res.append(Operand(name, static, t.dtype, pad, const))  # type: ignore[attr-defined]
    return res


def _sizes(who: str, ops: Sequence[Operand], nd: int) -> list[str]:
    """Lines filling ``n_`` (the iteration sizes) and checking the operands agree."""
    lines = [f"npy_intp n_[{max(nd, 1)}];"]
    for d in range(nd):
        users = [o for o in ops if o.const is None and o.static[d] != 1]
        if not users:
            lines.append(f"n_[{d}] = 1;")
            continue
        first = users[0]
        lines.append(f"n_[{d}] = PyArray_DIM(A({first.name}), {d - first.pad});")
        for o in users[1:]:
            lines.append(
                f"if (PyArray_DIM(A({o.name}), {d - o.pad}) != n_[{d}]) {{ "
                f'PyErr_SetString(PyExc_ValueError, "{who}: input sizes differ along '
                f'dimension {d}"); goto fail; }}'
            )
    return lines


ElementFn = Callable[[list[str]], "ScalarCode | None"]


def _reads(ops: Sequence[Operand], where: Callable[[int, Operand], str]) -> list[str]:
    """``const T aK = <element of operand K>;`` for each operand."""
    out = []
    for k, o in enumerate(ops):
        t = CTYPES[o.dtype]
        src = o.const if o.const is not None else where(k, o)
        out.append(f"const {t} a{k} = {src};")
    return out


def _strided(
    nd: int,
    arrays: Sequence[tuple[str, str, str]],
    body: Callable[[Callable[[int], str]], list[str]],
) -> list[str]:
    """The strided nest over ``n_``. ``arrays`` are (label, C identifier, stride lines)
    where stride lines fill ``s_<label>[d]``; ``body(ptr)`` gives the inner statements,
    with ``ptr(k)`` the address of array k's element."""
    out: list[str] = []
    for label, name, strides in arrays:
        out.append(f"char *b_{label} = PyArray_BYTES(A({name}));")
        out.append(f"npy_intp s_{label}[{max(nd, 1)}];")
        out.append(strides)
    if nd == 0:
        out.append("{")
        out.extend(body(lambda k: f"b_{arrays[k][0]}"))
        out.append("}")
        return out
    out.append("if (total > 0) {")
    out.append(f"npy_intp ix[{max(nd - 1, 1)}] = {{0}};")
    out.append(f"const npy_intp inner = n_[{nd - 1}];")
    out.append("for (;;) {")
    for label, _, _ in arrays:
        out.append(f"char *c_{label} = b_{label};")
        out.append(f"const npy_intp is_{label} = s_{label}[{nd - 1}];")
    if nd > 1:
        out.append(f"for (int d = 0; d < {nd - 1}; d++) {{")
        out.extend(f"c_{label} += ix[d] * s_{label}[d];" for label, _, _ in arrays)
        out.append("}")
    out.append("for (npy_intp i = 0; i < inner; i++) {")
    out.extend(body(lambda k: f"(c_{arrays[k][0]} + i * is_{arrays[k][0]})"))
    out.append("}")
    if nd > 1:
        out.append(f"int d = {nd - 2};")
        out.append("for (; d >= 0; d--) { if (++ix[d] < n_[d]) break; ix[d] = 0; }")
        out.append("if (d < 0) break;")
    else:
        out.append("break;")
    out.append("}")
    out.append("}")
    return out


def _in_strides(o: Operand, label: str, nd: int) -> str:
    parts = []
    for d in range(nd):
        if d < o.pad or o.static[d] == 1:
            parts.append(f"s_{label}[{d}] = 0;")
        else:
            parts.append(f"s_{label}[{d}] = PyArray_STRIDE(A({o.name}), {d - o.pad});")
    return " ".join(parts)


def _flag_check(code: ScalarCode) -> list[str]:
    if not code.flags:
        return []
    return [
        "if (graft_errflag) { graft_errflag = 0; PyErr_SetString(PyExc_ValueError, "
        '"Integers to negative integer powers are not allowed."); goto fail; }'
    ]


def _fast_condition(ops: Sequence[Operand]) -> str:
    conds = [
        f"PyArray_IS_C_CONTIGUOUS(A({o.name})) && PyArray_SIZE(A({o.name})) == total"
        for o in ops
        if not o.scalar
    ]
    return " && ".join(conds) or "1"


#: Calls that vector math (libmvec) speeds up: loops with one get an AVX2 clone.
_VECTOR_CALL = re.compile(
    r"\b(?:exp|exp2|expm1|log|log2|log10|log1p|sin|cos|tan|sinh|cosh|tanh|asin|acos|atan|"
    r"asinh|acosh|atanh|cbrt|erf|erfc|pow)f?\(|graft_(?:sigmoid|softplus|logaddexp|log1mexp|xlog)"
)


def _inputs(ops: Sequence[Operand]) -> list[tuple[str, str, str]]:
    """(parameter type, name, value at the call site) of each operand a flat loop reads."""
    out = []
    for k, op in enumerate(ops):
        t = CTYPES[op.dtype]
        if op.const is not None:
            continue
        if op.scalar:
            out.append((f"const {t}", f"e{k}", f"*(const {t} *)PyArray_DATA(A({op.name}))"))
        else:
            out.append(
                (f"const {t} *restrict", f"p{k}", f"(const {t} *)PyArray_DATA(A({op.name}))")
            )
    return out


def _flat(
    em: Emitter,
    params: list[tuple[str, str, str]],
    loop: list[str],
    result: tuple[str, str] | None = None,
) -> list[str]:
    """A flat loop over ``total`` reading ``params`` (type, name, value): inline, or, when
    it calls vector math and glibc's ifunc is there, outlined into a function with an AVX2
    clone (``target_clones``: the CPU picks at load; the module stays portable).
    ``result`` (type, name): a scalar the loop computes, returned by the outlined function.
    """
    from graft_backend_c.toolchain import toolchain

    body = "\n".join(loop)
    if not (toolchain().mvec and _VECTOR_CALL.search(body)):
        lines = [f"{t} {n} = {v};" for t, n, v in params]
        return lines + loop
    fn = em.fresh("graft_loop")
    args = ", ".join([f"{t} {n}" for t, n, _ in params] + ["const npy_intp total"])
    ret = result[0] if result else "void"
    funcs: list[str] = em.__dict__.setdefault("c_functions", [])
    funcs.append('__attribute__((target_clones("avx2", "default")))')
    funcs.append(f"static {ret} {fn}({args}) {{")
    funcs.extend(loop)
    if result:
        funcs.append(f"return {result[1]};")
    funcs.append("}")
    call = f"{fn}({', '.join([v for _, _, v in params] + ['total'])})"
    return [f"{result[0]} {result[1]} = {call};" if result else f"{call};"]


def _flat_loop(
    em: Emitter,
    ops: Sequence[Operand],
    code: ScalarCode,
    outs: Sequence[str],
    out_dtypes: Sequence[str],
) -> list[str]:
    """The contiguous variant: one ``#pragma omp simd`` loop over flat indices."""
    params = _inputs(ops)
    for j, (out, dt) in enumerate(zip(outs, out_dtypes)):
        t = CTYPES[dt]
        params.append((f"{t} *restrict", f"q{j}", f"({t} *)PyArray_DATA(A({out}))"))
    loop = ["#pragma omp simd", "for (npy_intp i = 0; i < total; i++) {"]
    loop.extend(_reads(ops, lambda k, o: f"e{k}" if o.scalar else f"p{k}[i]"))
    loop.extend(code.lines)
    loop.extend(f"q{j}[i] = {e};" for j, e in enumerate(code.exprs))
    loop.append("}")
    return _flat(em, params, loop)


def elementwise(
    em: Emitter,
    who: str,
    ops: Sequence[Operand],
    nd: int,
    element: ElementFn,
    outs: Sequence[str],
    out_dtypes: Sequence[str],
) -> list[str] | None:
    """The lines computing ``outs`` (new C-contiguous arrays) element by element."""
    code = element([f"a{k}" for k in range(len(ops))])
    if code is None:
        return None
    lines = _sizes(who, ops, nd)
    for o, dt in zip(outs, out_dtypes):
        lines.append(f"{o} = (PyObject *)PyArray_EMPTY({nd}, n_, {typenum(dt)}, 0);")
        lines.append(f"if ({o} == NULL) goto fail;")
    lines.append(f"const npy_intp total = PyArray_SIZE(A({outs[0]}));")
    # Contiguous: one flat loop (0-d: the one evaluation of the strided code is all).
    if nd:
        lines.append(f"if ({_fast_condition(ops)}) {{")
        lines.extend(_flat_loop(em, ops, code, outs, out_dtypes))
        lines.append("} else {")
    else:
        lines.append("{")
    arrays = [
        (f"i{k}", o.name, _in_strides(o, f"i{k}", nd))
        for k, o in enumerate(ops)
        if o.const is None
    ]
    index = {k: n for n, k in enumerate(k for k, o in enumerate(ops) if o.const is None)}
    for j, o in enumerate(outs):
        strides = " ".join(f"s_o{j}[{d}] = PyArray_STRIDE(A({o}), {d});" for d in range(nd))
        arrays.append((f"o{j}", o, strides))

    def body(ptr: Callable[[int], str]) -> list[str]:
        res = _reads(ops, lambda k, o: f"*(const {CTYPES[o.dtype]} *){ptr(index[k])}")
        res.extend(code.lines)
        for j, (e, dt) in enumerate(zip(code.exprs, out_dtypes)):
            res.append(f"*({CTYPES[dt]} *){ptr(len(index) + j)} = {e};")
        return res

    lines.extend(_strided(nd, arrays, body))
    lines.append("}")
    lines.extend(_flag_check(code))
    return lines


@dataclass
class Reduction:
    """How values are accumulated: accumulator dtype and initial literal, ``combine(acc, v)``,
    ``value(e)`` (an element as an accumulator value), and whether an empty reduced axis
    raises (max/min/xor have no identity). ``simd``: an OpenMP reduction operator."""

    acc_dtype: str
    init: str
    combine: Callable[[str, str], str]
    value: Callable[[str], str]
    no_identity: str = ""
    simd: str = ""


def reduction_loop(
    em: Emitter,
    who: str,
    ops: Sequence[Operand],
    nd: int,
    axes: Sequence[int],
    element: ElementFn,
    red: Reduction,
    out: str,
    out_dtype: str,
) -> list[str] | None:
    """The lines reducing the mapped elements over ``axes`` into the new array ``out``."""
    code = element([f"a{k}" for k in range(len(ops))])
    if code is None or len(code.exprs) != 1:
        return None
    lines = _sizes(who, ops, nd)
    kept = [d for d in range(nd) if d not in axes]
    if red.no_identity:
        for d in axes:
            lines.append(
                f"if (n_[{d}] == 0) {{ PyErr_SetString(PyExc_ValueError, "
                f'"zero-size array to reduction operation {red.no_identity} which has no '
                f'identity"); goto fail; }}'
            )
    acc_t = CTYPES[red.acc_dtype]
    lines.append(f"npy_intp m_[{max(len(kept), 1)}];")
    lines.extend(f"m_[{j}] = n_[{d}];" for j, d in enumerate(kept))
    lines.append(
        f"PyObject *acc = (PyObject *)PyArray_EMPTY({len(kept)}, m_, {typenum(red.acc_dtype)}, 0);"
    )
    lines.append("if (acc == NULL) goto fail;")
    lines.append("{")
    lines.append(f"{acc_t} *q = ({acc_t} *)PyArray_DATA(A(acc));")
    lines.append("const npy_intp m = PyArray_SIZE(A(acc));")
    lines.append(f"for (npy_intp i = 0; i < m; i++) q[i] = {red.init};")
    lines.append("}")
    lines.append("npy_intp total = 1;")
    lines.append(f"for (int d = 0; d < {nd}; d++) total *= n_[d];")
    value = red.value(code.exprs[0])
    if not kept:
        # Everything reduced: a scalar accumulator; a flat loop when contiguous.
        lines.append(f"if ({_fast_condition(ops)}) {{")
        loop = [f"{acc_t} r = {red.init};"]
        if red.simd:
            loop.append(f"#pragma omp simd reduction({red.simd}:r)")
        loop.append("for (npy_intp i = 0; i < total; i++) {")
        loop.extend(_reads(ops, lambda k, o: f"e{k}" if o.scalar else f"p{k}[i]"))
        loop.extend(code.lines)
        loop.append(f"r = {red.combine('r', value)};")
        loop.append("}")
        lines.extend(_flat(em, _inputs(ops), loop, (acc_t, "r")))
        lines.append(f"*({acc_t} *)PyArray_DATA(A(acc)) = r;")
        lines.append("} else {")
    arrays = [
        (f"i{k}", o.name, _in_strides(o, f"i{k}", nd))
        for k, o in enumerate(ops)
        if o.const is None
    ]
    index = {k: n for n, k in enumerate(k for k, o in enumerate(ops) if o.const is None)}
    acc_strides = []
    for d in range(nd):
        if d in kept:
            acc_strides.append(f"s_acc[{d}] = PyArray_STRIDE(A(acc), {kept.index(d)});")
        else:
            acc_strides.append(f"s_acc[{d}] = 0;")
    arrays.append(("acc", "acc", " ".join(acc_strides)))

    def body(ptr: Callable[[int], str]) -> list[str]:
        res = _reads(ops, lambda k, o: f"*(const {CTYPES[o.dtype]} *){ptr(index[k])}")
        res.extend(code.lines)
        cell = f"*({acc_t} *){ptr(len(index))}"
        res.append(f"{cell} = {red.combine(cell, value)};")
        return res

    lines.extend(_strided(nd, arrays, body))
    if not kept:
        lines.append("}")
    if red.acc_dtype == out_dtype:
        lines.append(f"{out} = acc;")
    else:
        lines.append(
            f"{out} = (PyObject *)PyArray_CastToType(A(acc), "
            f"PyArray_DescrFromType({typenum(out_dtype)}), 0);"
        )
        lines.append("Py_DECREF(acc);")
        lines.append(f"if ({out} == NULL) goto fail;")
    lines.extend(_flag_check(code))
    return lines
