"""The plugin module named by graft-backend-jax's ``graft`` entry point.

Cheap to import: it registers the backend's descriptor; `graft_backend_jax.linker`
(and jax) are imported only when the backend is first used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from graft.plugins.registry import BackendRegistry

GRAFT_PLUGIN_API = "1.0"


def graft_register_backends(registry: BackendRegistry) -> None:
    """Register backend ``jax`` (mode ``"JAX"``), available where jax is installed.

    Its priority is below the reference backend's, so FAST_RUN never picks it
    on its own: users ask for it with ``mode="JAX"``.
    """
    registry.register(
        "jax",
        linker="graft_backend_jax.linker:JaxLinker",
        priority=-20,
        available="jax",
        description="whole graph as one jax.jit function (CPU, GPU), x64 enabled for graft",
    )
