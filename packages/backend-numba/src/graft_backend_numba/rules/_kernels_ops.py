"""``numba.njit`` kernels that the generated code of `graft_backend_numba.rules.ops` calls.

Kernels that work "along an axis" take a C-contiguous 2-d array ``(rows, n)``
(the rule moves the axis last and flattens the others) and fill an output of
the same layout, so one compiled kernel serves every rank.

Example (generated code)::

    d = g_reshape_dims(x.size, shp)       # NumPy's reshape rules, one -1 allowed
    out = np.ascontiguousarray(x).reshape((d[0], d[1]))
"""

from __future__ import annotations

from typing import Any

import numba
import numpy as np

# pragma: no cover - every function here is compiled by numba.


@numba.njit(cache=True)
def _reshape_dims(size: Any, shp: Any) -> Any:
    """The target shape of a reshape of ``size`` elements to ``shp`` (a negative entry: inferred)."""
    n = shp.shape[0]
    out = np.empty(n, np.int64)
    unknown = -1
    known = np.int64(1)
    for i in range(n):
        s = np.int64(shp[i])
        if s < 0:
            if unknown >= 0:
                raise ValueError("can only specify one unknown dimension")
            unknown = i
        else:
            known *= s
        out[i] = s
    if unknown >= 0:
        if known == 0 or size % known != 0:
            raise ValueError("cannot reshape array into the requested shape")
        out[unknown] = size // known
    elif known != size:
        raise ValueError("cannot reshape array into the requested shape")
    return out


@numba.njit(cache=True)
def _matmul_int(a: Any, b: Any, out: Any) -> None:
    """``out = a @ b`` for 2-d integer/bool arrays: int64 sums, cast to ``out``'s dtype (wraps)."""
    m, k = a.shape
    n = b.shape[1]
    for i in range(m):
        for j in range(n):
            acc = np.int64(0)
            for t in range(k):
                acc += np.int64(a[i, t]) * np.int64(b[t, j])
            out[i, j] = acc


@numba.njit(cache=True)
def _matmul_bool(a: Any, b: Any, out: Any) -> None:
    """``out = a @ b`` for 2-d bool arrays (a logical or of ands)."""
    m, k = a.shape
    n = b.shape[1]
    for i in range(m):
        for j in range(n):
            acc = False
            for t in range(k):
                if a[i, t] and b[t, j]:
                    acc = True
                    break
            out[i, j] = acc


@numba.njit(cache=True)
def _matmul_float(a: Any, b: Any, out: Any) -> None:
    """``out = a @ b`` for 2-d float arrays of ``out``'s dtype (BLAS through np.dot)."""
    if a.shape[1] == 0:
        out[:, :] = 0
    elif out.size:
        out[:, :] = np.dot(np.ascontiguousarray(a), np.ascontiguousarray(b))


@numba.njit(cache=True)
def _cum_rows(x: Any, out: Any, reverse: Any, prod: Any) -> None:
    """Running sums (products) along each row, from the end when ``reverse``.

    ``out``'s dtype is at least as wide as ``x``'s (NumPy's cumsum dtype), so
    each step adds in ``out``'s dtype, as ``np.cumsum(x, dtype=...)`` does.
    """
    rows, n = x.shape
    for r in range(rows):
        for j in range(n):
            jj = n - 1 - j if reverse else j
            if j == 0:
                out[r, jj] = x[r, jj]
            else:
                pj = jj + 1 if reverse else jj - 1
                if prod:
                    out[r, jj] = out[r, pj] * x[r, jj]
                else:
                    out[r, jj] = out[r, pj] + x[r, jj]


@numba.njit(cache=True)
def _diff_rows(x: Any, n: Any, out: Any) -> None:
    """``np.diff(x, n, axis=-1)`` of a 2-d array into ``out`` (its dtype; bool: not-equal)."""
    rows, m = x.shape
    if n >= m:
        return
    tmp = np.empty(m, out.dtype)
    for r in range(rows):
        for j in range(m):
            tmp[j] = x[r, j]
        for k in range(n):
            for j in range(m - 1 - k):
                tmp[j] = tmp[j + 1] - tmp[j]
        for j in range(m - n):
            out[r, j] = tmp[j]


@numba.njit(cache=True)
def _diff_rows_bool(x: Any, n: Any, out: Any) -> None:
    """`_diff_rows` for bool arrays: NumPy's diff of booleans is ``!=``."""
    rows, m = x.shape
    if n >= m:
        return
    tmp = np.empty(m, np.bool_)
    for r in range(rows):
        for j in range(m):
            tmp[j] = x[r, j]
        for k in range(n):
            for j in range(m - 1 - k):
                tmp[j] = tmp[j + 1] != tmp[j]
        for j in range(m - n):
            out[r, j] = tmp[j]


@numba.njit(cache=True)
def _lt_nan(a: Any, b: Any) -> Any:
    """``a < b`` with NaN sorted last (NumPy's order)."""
    return a < b or (b != b and a == a)


@numba.njit(cache=True)
def _searchsorted(a: Any, v: Any, right: Any, out: Any) -> None:
    """``np.searchsorted(a, v, side)`` for every element of ``v`` (flattened) into ``out``."""
    n = a.shape[0]
    flat_out = out.reshape(out.size)
    k = 0
    for val in v.flat:
        lo = 0
        hi = n
        while lo < hi:
            mid = (lo + hi) >> 1
            if right:
                go_right = not _lt_nan(val, a[mid])
            else:
                go_right = _lt_nan(a[mid], val)
            if go_right:
                lo = mid + 1
            else:
                hi = mid
        flat_out[k] = lo
        k += 1  # noqa: SIM113 (numba has no enumerate over .flat)


@numba.njit(cache=True)
def _argmax_rows(x: Any, out: Any, want_max: Any) -> None:
    """Index of the first maximum (minimum) of each row; the first NaN wins, as in NumPy."""
    rows, n = x.shape
    if n == 0 and rows > 0:
        raise ValueError("attempt to get argmax of an empty sequence")
    for r in range(rows):
        best = x[r, 0]
        bi = 0
        if best == best:
            for j in range(1, n):
                v = x[r, j]
                if v != v:
                    bi = j
                    break
                if (v > best) if want_max else (v < best):
                    best = v
                    bi = j
        out[r] = bi


@numba.njit(cache=True)
def _sort_rows(x: Any, out: Any) -> None:
    """Each row sorted ascending (NaN last)."""
    for r in range(x.shape[0]):
        out[r, :] = np.sort(x[r, :])


@numba.njit(cache=True)
def _argsort_rows_stable(x: Any, out: Any) -> None:
    """A stable argsort of each row (NaN last)."""
    for r in range(x.shape[0]):
        out[r, :] = np.argsort(x[r, :], kind="mergesort")


@numba.njit(cache=True)
def _softmax_rows(x: Any, out: Any, log: Any, zero: Any) -> None:
    """(Log-)softmax of each row of ``x`` (already in ``out``'s dtype, as ``zero``), shifted by a finite max."""
    rows, n = x.shape
    for r in range(rows):
        if n == 0:
            continue
        m = x[r, 0]
        for j in range(1, n):
            v = x[r, j]
            if v != v or m != m:
                m = v if v != v else m
            elif v > m:
                m = v
        if not np.isfinite(m):
            m = zero
        s = zero
        for j in range(n):
            e = np.exp(x[r, j] - m)
            s += e
            if not log:
                out[r, j] = e
        if log:
            ls = np.log(s)
            for j in range(n):
                out[r, j] = (x[r, j] - m) - ls
        else:
            for j in range(n):
                out[r, j] = out[r, j] / s


@numba.njit(cache=True)
def _eye(n: Any, m: Any, k: Any, out: Any) -> None:
    """Ones on diagonal ``k`` of the zeroed ``(n, m)`` array ``out``."""
    for i in range(n):
        j = i + k
        if 0 <= j < m:
            out[i, j] = 1


@numba.njit(cache=True)
def _tri3(x: Any, k: Any, lower: Any, out: Any) -> None:
    """``np.tril``/``np.triu`` of each matrix of a ``(batch, r, c)`` array."""
    b, r, c = x.shape
    for t in range(b):
        for i in range(r):
            for j in range(c):
                keep = (j - i <= k) if lower else (j - i >= k)
                out[t, i, j] = x[t, i, j] if keep else 0


@numba.njit(cache=True)
def _split_check(sizes: Any, n: Any) -> None:
    """ValueError unless the split sizes are non-negative and sum to ``n``."""
    total = np.int64(0)
    for s in sizes:
        if s < 0:
            raise ValueError("split sizes must be non-negative")
        total += np.int64(s)
    if total != n:
        raise ValueError("split sizes must sum to the size of the axis")
