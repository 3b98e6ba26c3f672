"""graft-core's own plugin: the reference backend and the op-agnostic core rewrites.

Loaded first, as an ordinary plugin (distribution ``graft-core``), even when
entry-point autoloading is disabled.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from graft.plugins.registry import BackendRegistry, OpRegistry, RewriteRegistry

GRAFT_PLUGIN_API = "1.0"


def graft_register_backends(registry: BackendRegistry) -> None:
    """The reference backend ``py``: pure NumPy, always available, lowest priority."""
    registry.register(
        "py",
        linker="graft.link.reference:ReferenceLinker",
        priority=0,
        description="reference backend: each Op's NumPy perform()",
    )


def graft_register_rewrites(registry: RewriteRegistry) -> None:
    """Constant folding (graft.graph.rewriting.core_rewrites), then the rewrites the
    subgraph and control-flow Ops keep beside them (OpFromGraph, ifelse, scan)."""
    # imported here: a plugin module stays cheap to import (these load the compile layer)
    from graft.compile.builders import register_rewrites as register_ofg
    from graft.graph.rewriting.core_rewrites import register
    from graft.ifelse import register_rewrites as register_ifelse
    from graft.scan.rewrites import register as register_scan

    register(registry)
    register_ofg(registry)
    register_ifelse(registry)
    register_scan(registry)


def graft_register_ops(registry: OpRegistry) -> None:
    """Every graph-level Op class of graft-core (see `graft.link.coverage.core_op_classes`)."""
    from graft.link.coverage import core_op_classes

    registry.register(*core_op_classes())
