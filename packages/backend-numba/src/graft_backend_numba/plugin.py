"""The plugin module named by graft-backend-numba's ``graft`` entry point.

Cheap to import: it registers the backend's descriptor; `graft_backend_numba.linker`
(and numba) are imported only when the backend is first used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from graft.plugins.registry import BackendRegistry

GRAFT_PLUGIN_API = "1.0"


def graft_register_backends(registry: BackendRegistry) -> None:
    """Register backend ``numba`` (mode ``"NUMBA"``), available where numba is installed."""
    registry.register(
        "numba",
        linker="graft_backend_numba.linker:NumbaLinker",
        priority=-10,
        available="numba",
        description="whole-graph code generation under numba.njit, cached on disk",
    )
