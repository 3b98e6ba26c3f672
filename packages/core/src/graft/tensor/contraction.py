"""Tensor contractions: `einsum` and `batched_dot`.

Both are compositions of existing ops (transposes, diagonal indexing, sums,
reshapes and matrix products), so they have gradients and shape inference
for free.

Example::

    import graft.tensor as gt

    a = gt.dmatrix("a"); b = gt.dmatrix("b")
    c = gt.einsum("ij,jk->ik", a, b)      # a @ b
    t = gt.einsum("ii", a)                # trace
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from graft.tensor.basic import _ttype, arange, as_tensor_variable, cast
from graft.tensor.elemwise import DimShuffle
from graft.tensor.variable import TensorVariable

__all__ = ["batched_dot", "einsum"]

#: A label: a subscript letter, or the position (from the right) of an ellipsis dimension.
Label = str | int


# ---------------------------------------------------------------------------
# Parsing
# ---------------------------------------------------------------------------


def _parse_term(term: str, ndim: int, where: str) -> list[Label]:
    """Labels of one operand's subscripts; ``...`` expands to ints (distance from the right)."""
    if term.count("...") > 1 or term.replace("...", "").count(".") > 0:
        raise ValueError(f"einsum: bad ellipsis in subscripts {term!r} of {where}")
    head, sep, tail = term.partition("...")
    for ch in head + tail:
        if not ch.isalpha() or not ch.isascii():
            raise ValueError(
                f"einsum: subscripts must be ASCII letters or '...'; got {ch!r} in {where}"
            )
    if not sep:
        if len(term) != ndim:
            raise ValueError(
                f"einsum: {where} has {ndim} dimensions but subscripts {term!r} name {len(term)}"
            )
        return list(term)
    n_ell = ndim - len(head) - len(tail)
    if n_ell < 0:
        raise ValueError(
            f"einsum: {where} has {ndim} dimensions but subscripts {term!r} name "
            f"{len(head) + len(tail)}"
        )
    return [*head, *range(n_ell - 1, -1, -1), *tail]


def _parse(subscripts: str, ndims: Sequence[int]) -> tuple[list[list[Label]], list[Label]]:
    if not isinstance(subscripts, str):
        raise TypeError(f"einsum: subscripts must be a str, got {type(subscripts).__name__}")
    s = subscripts.replace(" ", "")
    if s.count("->") > 1:
        raise ValueError(f"einsum: subscripts {subscripts!r} have more than one '->'")
    lhs, arrow, rhs = s.partition("->")
    terms = lhs.split(",")
    if len(terms) != len(ndims):
        raise ValueError(
            f"einsum: subscripts {subscripts!r} name {len(terms)} operands, got {len(ndims)}"
        )
    ins = [_parse_term(t, nd, f"operand {k}") for k, (t, nd) in enumerate(zip(terms, ndims))]
    n_ell = max(max((lab for lab in ls if isinstance(lab, int)), default=-1) + 1 for ls in ins)
    ell: list[Label] = list(range(n_ell - 1, -1, -1))
    if not arrow:
        counts: dict[str, int] = {}
        for ls in ins:
            for lab in ls:
                if isinstance(lab, str):
                    counts[lab] = counts.get(lab, 0) + 1
        return ins, [*ell, *sorted(lab for lab, c in counts.items() if c == 1)]
    if "," in rhs:
        raise ValueError(f"einsum: the output of {subscripts!r} must be one term")
    if rhs.count("...") > 1 or rhs.replace("...", "").count(".") > 0:
        raise ValueError(f"einsum: bad ellipsis in the output of {subscripts!r}")
    head, sep, tail = rhs.partition("...")
    if not sep and n_ell:
        raise ValueError(
            f"einsum: the operands of {subscripts!r} have dimensions under '...', so the "
            "output must name '...' too"
        )
    known = {lab for ls in ins for lab in ls if isinstance(lab, str)}
    seen: set[str] = set()
    for ch in head + tail:
        if not ch.isalpha() or not ch.isascii():
            raise ValueError(f"einsum: bad output subscript {ch!r} in {subscripts!r}")
        if ch in seen:
            raise ValueError(f"einsum: output subscript {ch!r} repeated in {subscripts!r}")
        if ch not in known:
            raise ValueError(
                f"einsum: output subscript {ch!r} of {subscripts!r} appears in no operand"
            )
        seen.add(ch)
    return ins, [*head, *ell, *tail]


# ---------------------------------------------------------------------------
# Building blocks
# ---------------------------------------------------------------------------


def _size(x: Any, d: int) -> Any:
    """Size of dimension ``d``: an int when static, else a symbolic scalar."""
    from graft.tensor.shape import shape_i

    s = _ttype(x).shape[d]
    return s if s is not None else shape_i(x, d)


def _prod(sizes: Sequence[Any]) -> Any:
    static = 1
    sym: Any = None
    for s in sizes:
        if isinstance(s, int):
            static *= s
        else:
            sym = s if sym is None else sym * s
    if sym is None:
        return static
    return sym if static == 1 else sym * static


def _permute(x: Any, labels: list[Label], order: list[Label]) -> Any:
    perm = [labels.index(lab) for lab in order]
    if perm == list(range(len(perm))):
        return x
    return DimShuffle(len(perm), perm)(x)


def _diagonal(x: Any, p: int, q: int) -> Any:
    """The diagonal of axes ``p`` and ``q`` of ``x``, moved to the last axis."""

    nd = _ttype(x).ndim
    sp, sq = _ttype(x).shape[p], _ttype(x).shape[q]
    if sp is not None and sq is not None and sp != sq:
        raise ValueError(
            f"einsum: a repeated subscript takes a diagonal of dimensions of sizes {sp} and {sq}"
        )
    rest = [d for d in range(nd) if d not in (p, q)]
    xt = DimShuffle(nd, [*rest, p, q])(x) if [*rest, p, q] != list(range(nd)) else x
    n = sp if sp is not None else sq if sq is not None else _size(x, p)
    idx = arange(n)
    return xt[(Ellipsis, idx, idx)]


def _sum(x: Any, axes: list[int], dtype: str) -> Any:
    from graft.tensor.math import sum as tsum

    if not axes:
        return x
    return tsum(x, axis=tuple(axes), dtype=dtype)


def _merge(x: Any, start: int, count: int) -> Any:
    """Axes ``start .. start+count-1`` of ``x`` as one axis (a new size-1 axis if ``count == 0``)."""
    from graft.tensor.shape import reshape

    nd = _ttype(x).ndim
    if count == 1:
        return x
    if count == 0:
        return DimShuffle(nd, [*range(start), "x", *range(start, nd)])(x)
    sizes = [_size(x, d) for d in range(nd)]
    new = [*sizes[:start], _prod(sizes[start : start + count]), *sizes[start + count :]]
    return reshape(x, new)


def _split(x: Any, axis: int, sizes: list[Any]) -> Any:
    """Axis ``axis`` of ``x`` as ``len(sizes)`` axes of the given sizes (dropped if none)."""
    from graft.tensor.shape import reshape

    nd = _ttype(x).ndim
    if len(sizes) == 1:
        return x
    if not sizes:
        return DimShuffle(nd, [d for d in range(nd) if d != axis])(x)
    cur = [_size(x, d) for d in range(nd)]
    return reshape(x, [*cur[:axis], *sizes, *cur[axis + 1 :]])


class _Term:
    """An operand during contraction: the tensor and one label per dimension."""

    def __init__(self, x: Any, labels: list[Label]) -> None:
        self.x = x
        self.labels = labels

    def static(self, lab: Label) -> int | None:
        return _ttype(self.x).shape[self.labels.index(lab)]

    def take_diagonals(self) -> None:
        while True:
            dup = next((lab for lab in self.labels if self.labels.count(lab) > 1), None)
            if dup is None:
                return
            p = self.labels.index(dup)
            q = self.labels.index(dup, p + 1)
            self.x = _diagonal(self.x, p, q)
            self.labels = [lab for d, lab in enumerate(self.labels) if d not in (p, q)] + [dup]

    def drop(self, lab: Label) -> None:
        """Remove the (statically size-1) axis of ``lab``."""
        d = self.labels.index(lab)
        nd = len(self.labels)
        self.x = DimShuffle(nd, [k for k in range(nd) if k != d])(self.x)
        self.labels.pop(d)

    def sum_out(self, labels: set[Label], dtype: str) -> None:
        axes = [d for d, lab in enumerate(self.labels) if lab in labels]
        self.x = _sum(self.x, axes, dtype)
        self.labels = [lab for lab in self.labels if lab not in labels]


def _contract(a: _Term, b: _Term, keep: set[Label], dtype: str) -> _Term:
    """The product of two terms, summed over their shared labels that are not in ``keep``."""
    from graft.tensor.math import _dot, _matmul

    shared = [lab for lab in a.labels if lab in b.labels]
    # A contracted label of size 1 on one side: sum the other side alone.
    for lab in shared:
        if lab in keep:
            continue
        if a.static(lab) == 1 and b.static(lab) != 1:
            a.drop(lab)
        elif b.static(lab) == 1 and a.static(lab) != 1:
            b.drop(lab)
    a.sum_out({lab for lab in a.labels if lab not in keep and lab not in b.labels}, dtype)
    b.sum_out({lab for lab in b.labels if lab not in keep and lab not in a.labels}, dtype)
    batch = [lab for lab in a.labels if lab in b.labels and lab in keep]
    con = [lab for lab in a.labels if lab in b.labels and lab not in keep]
    free_a = [lab for lab in a.labels if lab not in b.labels]
    free_b = [lab for lab in b.labels if lab not in a.labels]
    nb = len(batch)
    if not con:
        # No summation: a broadcast product.
        xa = _permute(a.x, a.labels, batch + free_a)
        xb = _permute(b.x, b.labels, batch + free_b)
        na, nfb = len(free_a), len(free_b)
        xa = DimShuffle(nb + na, [*range(nb + na), *(["x"] * nfb)])(xa) if nfb else xa
        xb = DimShuffle(nb + nfb, [*range(nb), *(["x"] * na), *range(nb, nb + nfb)])(xb)
        return _Term(xa * xb, batch + free_a + free_b)
    xa = _permute(a.x, a.labels, batch + free_a + con)
    xb = _permute(b.x, b.labels, batch + con + free_b)
    sizes_a = [_size(xa, nb + k) for k in range(len(free_a))]
    sizes_b = [_size(xb, nb + len(con) + k) for k in range(len(free_b))]
    xa = _merge(_merge(xa, nb + len(free_a), len(con)), nb, len(free_a))
    xb = _merge(_merge(xb, nb + len(con), len(free_b)), nb, len(con))
    out = _matmul(xa, xb) if nb else _dot(xa, xb)
    out = _split(out, nb + 1, sizes_b)
    out = _split(out, nb, sizes_a)
    if _ttype(out).dtype != dtype:
        out = cast(out, dtype)
    return _Term(out, batch + free_a + free_b)


# ---------------------------------------------------------------------------
# einsum, batched_dot
# ---------------------------------------------------------------------------


def einsum(subscripts: str, *operands: Any) -> TensorVariable:
    """Einstein summation over ``operands``, with ``numpy.einsum``'s semantics.

    ``subscripts`` names each operand's dimensions with letters, separated
    by commas, optionally followed by ``->`` and the output's letters.
    Without ``->`` the output has the letters used exactly once, sorted
    (``...`` first). A letter shared by operands multiplies them along it;
    a letter missing from the output is summed; a letter repeated within
    one operand takes its diagonal (``"ii->i"``, the trace ``"ii"``).
    ``...`` stands for the remaining leading dimensions, broadcast across
    operands (size-1 dimensions broadcast where they are known statically).
    The output dtype is NumPy's promotion of the operands' dtypes.

    Built from transposes, diagonal indexing, sums and matrix products
    (contracting the operands left to right), so gradients come for free.

    Example::

        a = gt.dtensor3("a"); b = gt.dtensor3("b")
        gt.einsum("bij,bjk->bik", a, b)    # batched matrix product
        gt.einsum("...i,...i", a, b)      # batched inner products
    """
    if not operands:
        raise ValueError("einsum: needs at least one operand")
    ops: list[Any] = []
    for k, o in enumerate(operands):
        v = as_tensor_variable(o)
        dt = np.dtype(_ttype(v).dtype)
        if dt.kind not in "biufc":
            raise TypeError(f"einsum: operand {k} ({v}) has non-numeric dtype {dt.name}")
        ops.append(v)
    in_labels, out_labels = _parse(subscripts, [_ttype(v).ndim for v in ops])
    dtype = np.result_type(*[_ttype(v).numpy_dtype for v in ops]).name
    _check_sizes(subscripts, ops, in_labels)
    terms = [_Term(cast(v, dtype), list(ls)) for v, ls in zip(ops, in_labels)]
    for t in terms:
        t.take_diagonals()
    out_set: set[Label] = set(out_labels)
    acc = terms[0]
    for k in range(1, len(terms)):
        keep = out_set.union(*(t.labels for t in terms[k + 1 :]))
        acc = _contract(acc, terms[k], keep, dtype)
    acc.sum_out({lab for lab in acc.labels if lab not in out_set}, dtype)
    res: Any = _permute(acc.x, acc.labels, out_labels)
    if _ttype(res).dtype != dtype:
        res = cast(res, dtype)
    return _with_static_shape(res, ops, in_labels, out_labels)


def _label_sizes(
    ops: Sequence[Any], in_labels: Sequence[Sequence[Label]]
) -> dict[Label, set[int | None]]:
    sizes: dict[Label, set[int | None]] = {}
    for v, ls in zip(ops, in_labels):
        for lab, s in zip(ls, _ttype(v).shape):
            sizes.setdefault(lab, set()).add(s)
    return sizes


def _check_sizes(
    subscripts: str, ops: Sequence[Any], in_labels: Sequence[Sequence[Label]]
) -> None:
    for lab, ss in _label_sizes(ops, in_labels).items():
        known = {s for s in ss if s is not None and s != 1}
        if len(known) > 1:
            name = repr(lab) if isinstance(lab, str) else "'...'"
            raise ValueError(
                f"einsum: subscript {name} of {subscripts!r} has sizes {sorted(known)} in the "
                f"operands (static shapes {', '.join(str(_ttype(v).shape) for v in ops)})"
            )


def _with_static_shape(
    res: Any, ops: Sequence[Any], in_labels: Sequence[Sequence[Label]], out_labels: list[Label]
) -> Any:
    from graft.tensor.shape import specify_shape

    sizes = _label_sizes(ops, in_labels)
    static: list[int | None] = []
    for lab in out_labels:
        ss = sizes.get(lab, {1})
        known = {s for s in ss if s is not None and s != 1}
        static.append(known.pop() if known else 1 if ss == {1} else None)
    cur = _ttype(res).shape
    if all(c is not None or s is None for c, s in zip(cur, static)):
        return res
    return specify_shape(res, static)


def batched_dot(a: Any, b: Any) -> TensorVariable:
    """Products over the first (batch) axis: ``out[i] = dot(a[i], b[i])``.

    For 2-d and 3-d inputs this is a batch of vector/matrix products
    (``(B, n), (B, n) -> (B,)``, ``(B, m, n), (B, n) -> (B, m)``, ...); a 1-d
    input is a batch of scalars (an elementwise product). Higher ranks
    contract the last axis of ``a`` with the second-to-last of ``b`` (its
    second axis when ``b`` is 3-d or less). The batch sizes must match.

    Example::

        a = gt.dtensor3("a"); b = gt.dtensor3("b")
        batched_dot(a, b)        # a[i] @ b[i] for each i
    """
    av, bv = as_tensor_variable(a), as_tensor_variable(b)
    na, nbd = _ttype(av).ndim, _ttype(bv).ndim
    if na == 0 or nbd == 0:
        raise TypeError(f"batched_dot: inputs need a batch axis; got {na}-d {av} and {nbd}-d {bv}")
    sa, sb = _ttype(av).shape[0], _ttype(bv).shape[0]
    if sa is not None and sb is not None and sa != sb:
        raise ValueError(f"batched_dot: batch sizes differ: {sa} for {av} and {sb} for {bv}")
    letters = "abcdefghijklmnopqrstuvwxyz"
    if na + nbd - 1 > len(letters):
        raise ValueError("batched_dot: too many dimensions")
    la = ["z"] + list(letters[: na - 1])
    if na == 1 or nbd == 1:
        # A batch of scalars on one side: broadcast product (no summation).
        lb = ["z"] + list(letters[na - 1 : na + nbd - 2])
        return einsum(f"{''.join(la)},{''.join(lb)}->{''.join(la + lb[1:])}", av, bv)
    rest = iter(letters[na - 1 :])
    kb = max(1, nbd - 2)
    lb = ["z"] + [la[-1] if d == kb else next(rest) for d in range(1, nbd)]
    out = ["z"] + la[1:-1] + [lab for d, lab in enumerate(lb) if d and d != kb]
    return einsum(f"{''.join(la)},{''.join(lb)}->{''.join(out)}", av, bv)
