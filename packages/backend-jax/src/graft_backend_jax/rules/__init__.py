"""The JAX backend's rules, one module per Op family; importing this package registers them.

Each rule has the signature ``rule(node) -> impl``; ``impl(*input_values)``
returns the sequence of the node's output values, computed with ``jax.numpy``
(see `graft_backend_jax.linker`).
"""

from graft_backend_jax.rules import (  # registration
    control_flow,
    elemwise,
    indexing,
    linalg,
    shapes,
)
