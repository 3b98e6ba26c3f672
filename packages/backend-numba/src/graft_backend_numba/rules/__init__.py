"""The Numba backend's rules, one module per Op family; importing this package registers them.

Each rule has the signature of `graft.link.codegen` source rules,
``rule(node, ins, outs, em) -> list[str] | None``: Python lines, compiled by
numba in nopython mode, that compute ``outs`` (identifiers) from ``ins``.
Returning None sends the node to the Python fallback.
"""

from graft_backend_numba.rules import (  # registration
    control_flow,
    elemwise,
    indexing,
    linalg,
    ops,
    random,
    scalar,
    scan,
)
