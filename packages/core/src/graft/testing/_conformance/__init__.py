"""The conformance battery behind `graft.testing.backend` (private: import from there).

One module per op family; each has ``cases()``. `harness` runs a case on a
backend and compares with the reference backend.
"""

from __future__ import annotations

from graft.testing._conformance import (
    behaviour,
    elemwise,
    indexing,
    products,
    reductions,
    shapes,
)
from typing import Any

from graft.testing._conformance.harness import (
    Case,
    ErrorCall,
    Graph,
    check_case,
    compile_count,
    split,
)

__all__ = ["CASES", "Case", "ErrorCall", "Graph", "check_case", "compile_count"]

_CASES: list[tuple[Case, ...]] = []


def _cases() -> tuple[Case, ...]:
    # Built on first use (about a second): splitting big graphs needs their output counts.
    if not _CASES:
        modules = (elemwise, reductions, products, indexing, shapes, behaviour)
        _CASES.append(tuple(split([c for m in modules for c in m.cases()])))
    return _CASES[0]


def __getattr__(name: str) -> Any:
    # CASES: every case of the battery, in a stable order (one compiled function each).
    if name == "CASES":
        return _cases()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
