"""``numba.njit`` kernels of `graft_backend_numba.rules.linalg` (2-d float matrices).

numba's ``np.linalg`` calls LAPACK through SciPy; these wrappers add what the
reference ops do around it: empty matrices, the lower/upper choice of
`Cholesky` and its ``on_error="nan"``, triangular solves.

Example (generated code)::

    out = g_cholesky(a.astype(np.float64), True, True)   # lower, raise on error
"""

from __future__ import annotations

from typing import Any

import numba
import numpy as np


@numba.njit(cache=True)
def _inv(a: Any) -> Any:  # pragma: no cover - compiled
    """``np.linalg.inv`` (a 0x0 matrix gives 0x0)."""
    if a.shape[0] == 0:
        return np.empty((0, 0), a.dtype)
    return np.linalg.inv(np.ascontiguousarray(a))


@numba.njit(cache=True)
def _det(a: Any) -> Any:  # pragma: no cover - compiled
    """``np.linalg.det`` as a 0-d array (a 0x0 matrix gives 1)."""
    out = np.empty((), a.dtype)
    out[()] = 1 if a.shape[0] == 0 else np.linalg.det(np.ascontiguousarray(a))
    return out


@numba.njit(cache=True)
def _slogdet(a: Any) -> Any:  # pragma: no cover - compiled
    """``np.linalg.slogdet`` as two 0-d arrays."""
    s = np.empty((), a.dtype)
    ld = np.empty((), a.dtype)
    if a.shape[0] == 0:
        s[()] = 1
        ld[()] = 0
    else:
        sv, lv = np.linalg.slogdet(np.ascontiguousarray(a))
        s[()] = sv
        ld[()] = lv
    return s, ld


@numba.njit(cache=True)
def _cholesky(a: Any, lower: Any, on_error_raise: Any) -> Any:  # pragma: no cover - compiled
    """The lower (upper) Cholesky factor, reading only that triangle of ``a``."""
    n = a.shape[0]
    if n == 0:
        return np.empty((0, 0), a.dtype)
    # Mirror the triangle that is read, so the other one cannot matter.
    sym = np.empty((n, n), a.dtype)
    for i in range(n):
        for j in range(n):
            if lower:
                sym[i, j] = a[i, j] if j <= i else a[j, i]
            else:
                sym[i, j] = a[j, i] if j <= i else a[i, j]
    ok = True
    low = sym
    try:
        low = np.linalg.cholesky(sym)
    except Exception:
        ok = False
    if not ok:
        if on_error_raise:
            raise np.linalg.LinAlgError("Matrix is not positive definite")
        return np.full((n, n), np.nan, a.dtype)
    return low if lower else np.ascontiguousarray(low.T)


@numba.njit(cache=True)
def _solve(a: Any, b: Any) -> Any:  # pragma: no cover - compiled
    """``np.linalg.solve`` of a square ``a`` (an empty system gives zeros shaped like ``b``)."""
    if a.shape[0] != b.shape[0]:
        raise ValueError("solve: a and b do not match")
    if a.size == 0:
        return np.zeros(b.shape, a.dtype)
    return np.linalg.solve(np.ascontiguousarray(a), np.ascontiguousarray(b))


@numba.njit(cache=True)
def _solve_triangular(
    a: Any, b: Any, lower: Any, trans: Any, unit: Any
) -> Any:  # pragma: no cover - compiled
    """Solve ``t @ x = b`` (``trans``: ``t.T @ x = b``) for the triangle ``t`` of ``a``; 2-d ``b``."""
    n = a.shape[0]
    if b.shape[0] != n:
        raise ValueError("solve_triangular: a and b do not match")
    x = np.empty(b.shape, a.dtype)
    x[:, :] = b
    if n == 0:
        return x
    if not unit:
        for i in range(n):
            if a[i, i] == 0:
                raise np.linalg.LinAlgError("singular matrix")
    # Solving with t.T swaps which triangle is used and the direction.
    forward = lower != trans
    for c in range(x.shape[1]):
        for s in range(n):
            i = s if forward else n - 1 - s
            acc = x[i, c]
            if forward:
                for j in range(i):
                    t = a[j, i] if trans else a[i, j]
                    acc -= t * x[j, c]
            else:
                for j in range(i + 1, n):
                    t = a[j, i] if trans else a[i, j]
                    acc -= t * x[j, c]
            x[i, c] = acc if unit else acc / a[i, i]
    return x
