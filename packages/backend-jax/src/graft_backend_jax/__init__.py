"""graft-backend-jax: a whole rewritten graft graph as one ``jax.jit`` function.

Use it with ``graft.function(..., mode="JAX")``; `to_jax` gives the plain JAX
function of a compiled graft function or a `FunctionGraph`, for ``jax.vmap``,
``jax.grad`` and sharding. The plugin module (`graft_backend_jax.plugin`) only
registers a descriptor; jax is imported when the backend is first used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable

__version__ = "0.1.0"
__all__ = ["__version__", "to_jax"]


def to_jax(fn_or_fgraph: Any, *, checks: bool = False) -> Callable[..., Any]:
    """The plain JAX function of a graft function (any mode) or a `FunctionGraph`.

    ``f = to_jax(graft_fn)`` takes one JAX or NumPy array per graph input
    (shared variables of a `graft.function` included, after the explicit
    inputs, in the function's input order) and returns the tuple of the
    graph's outputs (user outputs, then update values). It is traceable:
    ``jax.jit``, ``jax.vmap``, ``jax.grad`` and ``jax.sharding`` apply to it.
    It runs under the caller's JAX configuration: for float64 graphs call it
    inside ``with jax.enable_x64(True):`` (it raises otherwise rather than
    compute in float32).

    Runtime checks (index bounds, ``CheckAndRaise``, singular matrices) are
    left out, as JAX cannot raise inside a trace; with ``checks=True`` they are
    kept, and the function must run under ``jax.experimental.checkify``.

    Example::

        import jax, numpy as np
        x = gt.dvector("x")
        f = graft.function([x], (x**2).sum(), mode="JAX")
        g = to_jax(f)
        with jax.enable_x64(True):
            jax.grad(lambda v: g(v)[0])(np.arange(3.0))   # [0., 2., 4.]
    """
    from graft_backend_jax.api import plain_function

    return plain_function(fn_or_fgraph, checks=checks)
