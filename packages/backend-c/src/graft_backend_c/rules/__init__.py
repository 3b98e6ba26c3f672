"""The C backend's rules, one module per Op family; importing this package registers them.

Each rule has the signature of `graft.link.codegen` source rules,
``rule(node, ins, outs, em) -> list[str] | None``: C statements computing the
variables ``outs`` (``PyObject *`` identifiers, each to hold a new reference)
from ``ins`` (borrowed). On failure a rule sets a Python exception and does
``goto fail;``. Returning None sends the node to the Python fallback.

Example (a plugin rule for a unary Op on arrays)::

    def negate(node, ins, outs, em):
        return [f"{outs[0]} = PyNumber_Negative({ins[0]});", f"if (!{outs[0]}) goto fail;"]
"""

from graft_backend_c.rules import (
    axis_ops,
    elemwise,
    ops,
    scalar,
)
