"""Reverse-mode differentiation of graphs: `grad`, `Lop`, `Rop`, `jacobian`, `hessian`.

`subgraph_grad` differentiates a graph piece by piece; `grad_clip`,
`grad_scale`, `consider_constant`, `zero_grad` and `disconnected_grad` are
identities with special gradients.

`grad` walks the graph between a scalar cost and the variables asked for in
reverse topological order, calling each node's ``op.L_op(inputs, outputs,
output_grads)`` once, and sums the contributions that reach each variable.
The walk is iterative: graphs of any depth can be differentiated.

Two special types mark gradients that are not ordinary values:

- `DisconnectedType` (variables from ``disconnected_type()``): an Op returns
  one for an input that its outputs do not depend on (``Shape``'s input, the
  shape inputs of ``Alloc``); it is not a zero, it is "no path".
- `NullType` (from `grad_undefined` / `grad_not_implemented`): the gradient
  exists as a path but has no value; `grad` raises `NullTypeGradError`
  (naming the Op and the reason) only if one reaches a requested variable.

Example::

    import graft.tensor as gt
    from graft.gradient import grad

    x = gt.dvector("x")
    cost = (x ** 2).sum()
    gx = grad(cost, x)          # 2 * x, as a graph
"""

from typing import TYPE_CHECKING

# The marker types load with the package: Ops of every layer return them from
# their gradients. The differentiation itself builds on graft.tensor, which
# imports this package, so it loads on first use.
from graft.gradient.types import (
    DisconnectedInputError,
    DisconnectedType,
    NullType,
    NullTypeGradError,
    disconnected_type,
    grad_not_implemented,
    grad_undefined,
)

if TYPE_CHECKING:
    from graft.gradient.core import grad
    from graft.gradient.derived import Lop, Rop, hessian, jacobian, subgraph_grad
    from graft.gradient.ops import (
        ConsiderConstant,
        DisconnectedGrad,
        GradClip,
        GradScale,
        ZeroGrad,
        consider_constant,
        disconnected_grad,
        grad_clip,
        grad_scale,
        zero_grad,
    )

_LAZY = {
    "grad": "graft.gradient.core",
    **dict.fromkeys(
        ("Lop", "Rop", "hessian", "jacobian", "subgraph_grad"), "graft.gradient.derived"
    ),
    **dict.fromkeys(
        (
            "ConsiderConstant",
            "DisconnectedGrad",
            "GradClip",
            "GradScale",
            "ZeroGrad",
            "consider_constant",
            "disconnected_grad",
            "grad_clip",
            "grad_scale",
            "zero_grad",
        ),
        "graft.gradient.ops",
    ),
}


def __getattr__(name: str) -> object:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'graft.gradient' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


__all__ = [
    "ConsiderConstant",
    "DisconnectedGrad",
    "DisconnectedInputError",
    "DisconnectedType",
    "GradClip",
    "GradScale",
    "Lop",
    "NullType",
    "NullTypeGradError",
    "Rop",
    "ZeroGrad",
    "consider_constant",
    "disconnected_grad",
    "disconnected_type",
    "grad",
    "grad_clip",
    "grad_not_implemented",
    "grad_scale",
    "grad_undefined",
    "hessian",
    "jacobian",
    "subgraph_grad",
    "zero_grad",
]
