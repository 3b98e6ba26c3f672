"""The plugin module named by graft-backend-c's ``graft`` entry point.

Cheap to import: it registers the backend's descriptor. The availability check
(`graft_backend_c.toolchain.check_available`) looks for a C compiler, Python's
headers and NumPy's headers, and says which is missing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from graft.plugins.registry import BackendRegistry

GRAFT_PLUGIN_API = "1.0"


def graft_register_backends(registry: BackendRegistry) -> None:
    """Register backend ``c`` (mode ``"C"``), available where gcc and Python headers exist.

    Its priority is below the reference backend's, so ``FAST_RUN`` keeps the
    reference backend unless ``mode="C"`` is asked for.
    """
    from graft_backend_c.toolchain import vector_math

    registry.register(
        "c",
        linker="graft_backend_c.linker:CLinker",
        priority=-20,
        available="graft_backend_c.toolchain:check_available",
        description=(
            "whole-graph C: one extension module per graph, built with gcc, cached on disk; "
            + vector_math()
        ),
    )
