"""`plain_function`: the traceable JAX function behind `graft_backend_jax.to_jax`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from graft.graph.fg import FunctionGraph
from graft_backend_jax.linker import JaxLinker, graph_function

__all__ = ["plain_function"]


def _fgraph_of(obj: Any) -> FunctionGraph:
    if isinstance(obj, FunctionGraph):
        return obj
    maker = getattr(obj, "maker", None)
    fgraph = getattr(maker, "fgraph", None)
    if isinstance(fgraph, FunctionGraph):
        return fgraph
    raise TypeError(
        "to_jax takes a graft Function (from graft.function) or a FunctionGraph, "
        f"got {type(obj).__name__}"
    )


def _needs_x64(fgraph: FunctionGraph) -> bool:
    for v in [*fgraph.inputs, *fgraph.outputs]:
        dt = getattr(v.type, "dtype", None)
        if dt is not None and np.dtype(str(dt)).itemsize == 8:
            return True
    return False


def plain_function(obj: Any, *, checks: bool = False) -> Callable[..., tuple[Any, ...]]:
    """See `graft_backend_jax.to_jax`."""
    import jax

    fgraph = _fgraph_of(obj)
    JaxLinker().check_supported(fgraph)
    body, _ = graph_function(fgraph, checks=checks)
    wide = _needs_x64(fgraph)

    def fn(*args: Any) -> tuple[Any, ...]:
        if wide and not jax.config.read("jax_enable_x64"):
            raise TypeError(
                "this graft graph has 64-bit values (float64/int64) but JAX's x64 mode is "
                "off: call it inside `with jax.enable_x64(True):` so it does not compute "
                "in 32 bits"
            )
        return body(*args)

    fn.__doc__ = f"JAX function of a graft graph with {len(fgraph.inputs)} inputs."
    return fn
