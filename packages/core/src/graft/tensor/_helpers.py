"""Small helpers shared by the tensor op modules (special, linalg, extra_ops)."""

from __future__ import annotations

from typing import Any

from graft.graph.basic import Apply
from graft.tensor.basic import as_tensor_variable


def _as_tensor(x: Any) -> Any:
    # Typed Any: tensor variables carry NumPy-like operators mypy cannot see.
    return as_tensor_variable(x)


def _np_dtype(node: Apply, i: int = 0) -> Any:
    """The NumPy dtype of output ``i`` of ``node``."""
    t: Any = node.outputs[i].type
    return t.numpy_dtype


def _tm() -> Any:
    # graft.tensor.math defines its elementwise ops dynamically; import lazily.
    from graft.tensor import math

    return math
