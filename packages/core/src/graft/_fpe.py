"""Floating-point error state for NumPy ``perform``\\ s: one ``np.errstate`` per function call.

graft's ops compute IEEE results (inf, nan) silently, as compiled backends do,
so NumPy-based ``perform``\\ s run under ``np.errstate(all="ignore")``. An Op
that does so says it with the class attribute ``ignores_fp_errors = True``.
Entering an errstate costs over a microsecond, as much as a small op's own
work; so when a compiled function runs two or more such ops, the reference
backend enters one errstate for the whole call (`ignoring_fp_errors`) and
marks the thread, and each ``perform`` that finds the mark
(`fp_errors_ignored`) skips its own. The mark is per thread and restored on
exit, so nested function calls and other threads see the right state (a
``perform`` never suspends, so no other code runs in between on this thread).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import numpy as np

__all__ = ["fp_errors_ignored", "ignoring_fp_errors", "quietly", "quiets_fp_errors"]

_state = threading.local()


def fp_errors_ignored() -> bool:
    """Whether this thread runs inside `ignoring_fp_errors` (a ``perform`` may skip its errstate).

    Example::

        if fp_errors_ignored():
            res = ufunc(*inputs)
        else:
            with np.errstate(all="ignore"):
                res = ufunc(*inputs)
    """
    return getattr(_state, "on", False)


def quietly(fn: Callable[..., Any], *args: Any) -> Any:
    """``fn(*args)`` under ``np.errstate(all="ignore")``, entered only if the caller has not.

    What a ``perform`` of an op with ``ignores_fp_errors`` calls.

    Example::

        res = quietly(ufunc, *inputs)
    """
    if getattr(_state, "on", False):
        return fn(*args)
    with np.errstate(all="ignore"):
        return fn(*args)


def quiets_fp_errors(op: Any) -> bool:
    """Whether ``op``'s ``perform`` enters ``np.errstate`` itself (``ignores_fp_errors``).

    Example::

        quiets_fp_errors(Elemwise(graft.scalar.exp))   # True
    """
    return bool(getattr(op, "ignores_fp_errors", False))


class ignoring_fp_errors:
    """``np.errstate(all="ignore")`` that also marks the thread for `fp_errors_ignored`.

    Example::

        with ignoring_fp_errors():
            for perform, node, ins, outs in steps:
                perform(node, ins, outs)   # their own errstate is skipped
    """

    __slots__ = ("_errstate", "_previous")

    def __enter__(self) -> None:
        self._errstate = np.errstate(all="ignore")
        self._errstate.__enter__()
        self._previous = getattr(_state, "on", False)
        _state.on = True

    def __exit__(self, *exc: Any) -> None:
        _state.on = self._previous
        self._errstate.__exit__(*exc)
