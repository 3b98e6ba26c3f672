"""Floating-point error state for NumPy ``perform``\\ s: one ``np.errstate`` per function call.

graft's ops compute IEEE results (inf, nan) silently, as compiled backends do,
so NumPy-based ``perform``\\ s run under ``np.errstate(all="ignore")``. Entering
an errstate costs about 2 µs, most of a small op's ``perform``; the reference
backend enters one per call (`ignoring_fp_errors`) and marks the context, and a
``perform`` that finds the mark (`fp_errors_ignored`) skips its own. The mark
is a context variable, so threads and async tasks each keep their own.
"""

from __future__ import annotations

from contextvars import ContextVar, Token
from typing import Any

import numpy as np

__all__ = ["fp_errors_ignored", "ignoring_fp_errors"]

_IGNORED: ContextVar[bool] = ContextVar("graft_fp_errors_ignored", default=False)

#: Whether the caller already runs under ``np.errstate(all="ignore")`` (see `ignoring_fp_errors`).
fp_errors_ignored = _IGNORED.get


class ignoring_fp_errors:
    """``np.errstate(all="ignore")`` that also marks the context for `fp_errors_ignored`.

    Example::

        with ignoring_fp_errors():
            for perform, node, ins, outs in steps:
                perform(node, ins, outs)   # their own errstate is skipped
    """

    __slots__ = ("_errstate", "_token")

    def __enter__(self) -> None:
        self._errstate = np.errstate(all="ignore")
        self._errstate.__enter__()
        self._token: Token[bool] = _IGNORED.set(True)

    def __exit__(self, *exc: Any) -> None:
        _IGNORED.reset(self._token)
        self._errstate.__exit__(*exc)
