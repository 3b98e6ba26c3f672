"""Explicit loop nests for the elementwise and reduction rules (source generation only).

An elementwise node becomes one nest over its broadcast output shape, the
innermost loop over the last axis so that LLVM can vectorise contiguous
inputs. Dimensions whose static size is 1 are indexed at 0 and get no loop;
the other sizes are read from the inputs and compared before any loop runs
(numba does no bounds checking), raising ValueError on a mismatch. A
reduction walks its input in the same order: the reduced dimensions after
the last kept one accumulate in a scalar, the others into the output array.

Example (what `elementwise_nest` makes of ``exp(x) * y`` on (n, m) and (1, m))::

    n1 = v0.shape[0]
    n2 = v0.shape[1]
    if v1.shape[1] != n2:
        raise ValueError("Elemwise: input sizes differ along dimension 1")
    v2 = np.empty((n1, n2), np.float64)
    for i3 in range(n1):
        for i4 in range(n2):
            a5 = v0[i3, i4]
            a6 = v1[0, i4]
            v2[i3, i4] = np.float64(math.exp(a5) * a6)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from graft.graph.basic import Apply, Constant
from graft.link.codegen import Emitter
from graft_backend_numba.rules.scalar import ScalarCode, literal, np_type

__all__ = [
    "Operand",
    "Reduction",
    "broadcast_sizes",
    "elementwise_nest",
    "operands",
    "reduction_nest",
]

IND = "    "


@dataclass
class Operand:
    """One array input of a loop nest: its identifier, static shape and dtype.

    ``const`` is a literal standing for every element (a constant of size 1),
    read once instead of indexed.
    """

    name: str
    static: tuple[int | None, ...]
    dtype: str
    const: str | None = None

    def read(self, idx: Sequence[str]) -> str:
        """The element at loop indices ``idx`` (0 along statically size-1 dimensions)."""
        if self.const is not None:
            return self.const
        if not idx:
            return f"{self.name}[()]"
        sub = ", ".join("0" if s == 1 else i for s, i in zip(self.static, idx))
        return f"{self.name}[{sub}]"


def operands(node: Apply, ins: Sequence[str]) -> list[Operand]:
    """The node's inputs as operands; constants of one element become literals."""
    res = []
    for v, name in zip(node.inputs, ins):
        t = v.type
        dtype: str = t.dtype  # type: ignore[attr-defined]
        static: tuple[int | None, ...] = t.shape  # type: ignore[attr-defined]
        const = None
        if isinstance(v, Constant):
            data = np.asarray(v.data)
            if data.size == 1 and all(s == 1 for s in static):
                const = literal(data.reshape(-1)[0], dtype)
        res.append(Operand(name, static, dtype, const))
    return res


def broadcast_sizes(
    who: str, ops: Sequence[Operand], nd: int, em: Emitter
) -> tuple[list[str], list[str]]:
    """Lines that read and check the loop sizes, and the size expression per dimension.

    A dimension takes its size from the first operand not statically 1 there;
    every other such operand must match (only static 1s broadcast, as graft's
    Elemwise), else ValueError naming ``who`` (a plain class name).
    """
    lines: list[str] = []
    sizes: list[str] = []
    for d in range(nd):
        users = [o for o in ops if o.const is None and o.static[d] != 1]
        if not users:
            sizes.append("1")
            continue
        n = em.fresh("n")
        lines.append(f"{n} = {users[0].name}.shape[{d}]")
        for o in users[1:]:
            lines.append(f"if {o.name}.shape[{d}] != {n}:")
            lines.append(f'{IND}raise ValueError("{who}: input sizes differ along dimension {d}")')
        sizes.append(n)
    return lines, sizes


def _shape_tuple(sizes: Sequence[str]) -> str:
    if not sizes:
        return "()"
    return "(" + ", ".join(sizes) + ("," if len(sizes) == 1 else "") + ")"


#: Element code: given the index expression per dimension, the lines to run
#: (reads, temporaries) and the value expressions.
ElementFn = Callable[[list[str]], ScalarCode]


def read_element(
    ops: Sequence[Operand], body: Callable[[list[str]], ScalarCode | None], em: Emitter
) -> Callable[[list[str]], ScalarCode | None]:
    """Element code that binds each operand's element to a local, then runs ``body(args)``."""

    def element(idx: list[str]) -> ScalarCode | None:
        lines: list[str] = []
        args: list[str] = []
        for o in ops:
            if o.const is not None:
                args.append(o.const)
                continue
            a = em.fresh("a")
            lines.append(f"{a} = {o.read(idx)}")
            args.append(a)
        code = body(args)
        if code is None:
            return None
        return ScalarCode(lines + code.lines, code.exprs)

    return element


def elementwise_nest(
    sizes: Sequence[str],
    element: Callable[[list[str]], ScalarCode | None],
    outs: Sequence[str],
    out_dtypes: Sequence[str],
    em: Emitter,
) -> list[str] | None:
    """Allocate ``outs`` (new arrays of the loop shape) and fill them in one nest."""
    lines = [
        f"{o} = np.empty({_shape_tuple(sizes)}, {np_type(d)})" for o, d in zip(outs, out_dtypes)
    ]
    idx: list[str] = []
    depth = 0
    for n in sizes:
        if n == "1":
            idx.append("0")
            continue
        i = em.fresh("i")
        lines.append(IND * depth + f"for {i} in range({n}):")
        idx.append(i)
        depth += 1
    code = element(idx)
    if code is None:
        return None
    at = "[" + ", ".join(idx) + "]" if idx else "[()]"
    body = [*code.lines, *(f"{o}{at} = {e}" for o, e in zip(outs, code.exprs))]
    lines.extend(IND * depth + b for b in body)
    return lines


@dataclass
class Reduction:
    """How to reduce: accumulator dtype, its start value, the combine step, the result.

    ``combine(acc, v)`` is an expression (``acc`` and ``v`` are identifiers) of
    dtype ``acc_dtype``; ``value(e)`` converts an element to what ``combine``
    takes; ``final(acc)`` converts the accumulator to the output dtype.
    ``no_identity`` names the operation for the error that an empty reduction
    raises (max, min: NumPy's ValueError).
    """

    acc_dtype: str
    init: str
    combine: Callable[[str, str], str]
    value: Callable[[str], str]
    final: Callable[[str], str]
    no_identity: str | None = None


def reduction_nest(
    sizes: Sequence[str],
    axes: Sequence[int],
    element: Callable[[list[str]], ScalarCode | None],
    red: Reduction,
    out: str,
    out_dtype: str,
    em: Emitter,
) -> list[str] | None:
    """Reduce the element values over ``axes`` of the loop shape ``sizes`` into ``out``.

    Loops run in dimension order (the last innermost). Reduced dimensions after
    the last kept one accumulate in a local scalar; when a reduced dimension
    comes before a kept one, the accumulators live in an array initialised to
    ``red.init``.
    """
    nd = len(sizes)
    red_axes = sorted(set(axes))
    kept = [d for d in range(nd) if d not in red_axes]
    lines: list[str] = []
    if red.no_identity is not None and red_axes:
        cond = " or ".join(f"{sizes[d]} == 0" for d in red_axes)
        lines.append(f"if {cond}:")
        lines.append(
            f'{IND}raise ValueError("zero-size array to reduction operation {red.no_identity} '
            'which has no identity")'
        )
    out_shape = _shape_tuple([sizes[d] for d in kept])
    last_kept = kept[-1] if kept else -1
    trailing = [d for d in red_axes if d > last_kept]
    inner_first = any(d < last_kept for d in red_axes)
    idx: list[str] = ["0" if n == "1" else em.fresh("i") for n in sizes]
    kidx = "[" + ", ".join(idx[d] for d in kept) + "]" if kept else "[()]"

    def loop(d: int, depth: int) -> None:
        if sizes[d] != "1":
            lines.append(IND * depth + f"for {idx[d]} in range({sizes[d]}):")

    def step(d: int) -> int:
        return 0 if sizes[d] == "1" else 1

    if not red_axes:
        # Nothing reduced: each element converted as a one-element reduction would be.
        return _plain(lines, sizes, idx, element, red, out, out_dtype, out_shape)

    if inner_first:
        # Accumulators in an array: reduced dimensions before a kept one.
        acc_arr = out if red.acc_dtype == out_dtype else em.fresh("accs")
        lines.append(f"{acc_arr} = np.full({out_shape}, {red.init}, {np_type(red.acc_dtype)})")
        depth = 0
        for d in range(last_kept + 1):
            loop(d, depth)
            depth += step(d)
        code = element(idx)
        if code is None:
            return None
        if trailing:
            acc = em.fresh("acc")
            lines.append(IND * depth + f"{acc} = {acc_arr}{kidx}")
            inner = depth
            for d in trailing:
                loop(d, inner)
                inner += step(d)
            v = em.fresh("el")
            body = [
                *code.lines,
                f"{v} = {red.value(code.exprs[0])}",
                f"{acc} = {red.combine(acc, v)}",
            ]
            lines.extend(IND * inner + b for b in body)
            lines.append(IND * depth + f"{acc_arr}{kidx} = {acc}")
        else:
            v = em.fresh("el")
            cur = em.fresh("c")
            body = [
                *code.lines,
                f"{v} = {red.value(code.exprs[0])}",
                f"{cur} = {acc_arr}{kidx}",
                f"{acc_arr}{kidx} = {red.combine(cur, v)}",
            ]
            lines.extend(IND * depth + b for b in body)
        if acc_arr != out:
            lines.append(f"{out} = np.empty({out_shape}, {np_type(out_dtype)})")
            lines.extend(_copy_final(acc_arr, out, [sizes[d] for d in kept], red, em))
        return lines

    # Every reduced dimension after the kept ones: a scalar accumulator per output element.
    lines.append(f"{out} = np.empty({out_shape}, {np_type(out_dtype)})")
    depth = 0
    for d in kept:
        loop(d, depth)
        depth += step(d)
    acc = em.fresh("acc")
    lines.append(IND * depth + f"{acc} = {red.init}")
    code = element(idx)
    if code is None:
        return None
    inner = depth
    for d in trailing:
        loop(d, inner)
        inner += step(d)
    v = em.fresh("el")
    body = [*code.lines, f"{v} = {red.value(code.exprs[0])}", f"{acc} = {red.combine(acc, v)}"]
    lines.extend(IND * inner + b for b in body)
    lines.append(IND * depth + f"{out}{kidx} = {red.final(acc)}")
    return lines


def _plain(
    lines: list[str],
    sizes: Sequence[str],
    idx: list[str],
    element: Callable[[list[str]], ScalarCode | None],
    red: Reduction,
    out: str,
    out_dtype: str,
    out_shape: str,
) -> list[str] | None:
    lines.append(f"{out} = np.empty({out_shape}, {np_type(out_dtype)})")
    depth = 0
    for d, n in enumerate(sizes):
        if n != "1":
            lines.append(IND * depth + f"for {idx[d]} in range({n}):")
            depth += 1
    code = element(idx)
    if code is None:
        return None
    at = "[" + ", ".join(idx) + "]" if idx else "[()]"
    body = [*code.lines, f"{out}{at} = {red.final(red.value(code.exprs[0]))}"]
    lines.extend(IND * depth + b for b in body)
    return lines


def _copy_final(
    src: str, dst: str, sizes: Sequence[str], red: Reduction, em: Emitter
) -> list[str]:
    """``dst[...] = final(src[...])`` elementwise over ``sizes``."""
    lines: list[str] = []
    idx = []
    depth = 0
    for n in sizes:
        i = em.fresh("i")
        idx.append(i)
        lines.append(IND * depth + f"for {i} in range({n}):")
        depth += 1
    at = "[" + ", ".join(idx) + "]" if idx else "[()]"
    lines.append(IND * depth + f"{dst}{at} = {red.final(src + at)}")
    return lines
