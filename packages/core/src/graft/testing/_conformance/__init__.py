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
from graft.testing._conformance.harness import Case, ErrorCall, Graph, check_case, compile_count

__all__ = ["CASES", "Case", "ErrorCall", "Graph", "check_case", "compile_count"]

#: Every case of the battery, in a stable order (one compiled function each).
CASES: tuple[Case, ...] = tuple(
    case
    for module in (elemwise, reductions, products, indexing, shapes, behaviour)
    for case in module.cases()
)
