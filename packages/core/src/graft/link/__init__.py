"""Backends: the `Linker` protocol and the reference backend.

`graft.link.basic` holds the contract every backend implements (`Linker`,
`CompiledGraph`, `raise_node_error`); `graft.link.reference` the reference
backend ``"py"`` (`ReferenceLinker`). Other backends live in plugins and are
found through `graft.plugins.backends`.
"""

from graft.link.basic import (
    CompiledGraph,
    Linker,
    UnsupportedOpError,
    describe_node,
    node_error,
    raise_node_error,
)
from graft.link.reference import ReferenceLinker

__all__ = [
    "CompiledGraph",
    "Linker",
    "ReferenceLinker",
    "UnsupportedOpError",
    "describe_node",
    "node_error",
    "raise_node_error",
]
