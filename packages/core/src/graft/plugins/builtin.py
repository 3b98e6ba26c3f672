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
    """Merge, constant folding and dead-code removal, from graft.graph.rewriting.core_rewrites."""
    from graft.graph.rewriting.core_rewrites import register
    from graft.scan.rewrites import register as register_scan

    register(registry)
    register_scan(registry)


def graft_register_ops(registry: OpRegistry) -> None:
    """Every graph-level Op class of graft-core (see `graft.link.coverage.core_op_classes`)."""
    from graft.link.coverage import core_op_classes

    registry.register(*core_op_classes())
