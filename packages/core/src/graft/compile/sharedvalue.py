"""Shared variables, where PyTensor users import them (defined in `graft.graph.sharedvalue`).

Example::

    from graft.compile.sharedvalue import SharedVariable, shared
"""

from graft.graph.sharedvalue import (
    Container,
    SharedVariable,
    copy_value,
    generic_constructor,
    shared,
    shared_constructor,
)

__all__ = [
    "Container",
    "SharedVariable",
    "copy_value",
    "generic_constructor",
    "shared",
    "shared_constructor",
]
