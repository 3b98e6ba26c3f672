"""Inner graphs (loop bodies, branches, subgraph Ops) as njit functions generated code calls.

`compile_inner(fgraph)` turns a `FunctionGraph` every node of which has a
Numba rule into one ``numba.njit`` dispatcher ``f(*inputs) -> tuple(outputs)``
that a rule puts in its generated code as a global (``em.add_global``), so a
``Scan`` runs as one compiled loop calling its compiled body. Its source goes
to graft's disk cache under the inner graph's content key, so numba caches
its machine code like an outer graph's.

Example (inside a rule)::

    body = compile_inner(node.op.fgraph)
    if body is None:
        return None                      # some inner node has no rule: run perform
    f = em.add_global(body, "body")
    lines = [f"r = {f}({', '.join(args)})"]
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from graft.graph.fg import FunctionGraph

__all__ = ["compile_inner"]

# content key -> dispatcher (or None: not natively compilable); graphs are immutable once
# wrapped by an Op, and equal keys mean equal code.
_COMPILED: dict[str, Any] = {}


def compile_inner(fgraph: FunctionGraph) -> Any:
    """An njit dispatcher computing ``fgraph`` (a tuple of its outputs), or None when some
    node of it has no Numba rule."""
    import hashlib

    import numba

    from graft.link.cache_key import graph_key
    from graft.link.codegen import load_python_module
    from graft.link.diskcache import write_entry
    from graft_backend_numba.linker import _FLAGS, NumbaLinker

    linker = NumbaLinker()
    key = graph_key(fgraph, salt=(*linker.cache_salt(), "inner"))
    if key is not None and key in _COMPILED:
        return _COMPILED[key]
    generated = linker.native_source(fgraph, "graft_inner")
    if generated is None:
        if key is not None:
            _COMPILED[key] = None
        return None
    source, seg, em = generated
    digest = key or hashlib.sha256(source.encode()).hexdigest()
    path = write_entry(linker.name, digest, ".py", source) if key is not None else None
    module = load_python_module(path, source, name=f"graft_inner_{digest[:24]}")
    for k, v in em.globals.items():
        setattr(module, k, v)
    cache = path is not None
    for helper in seg.helpers:
        setattr(module, helper, numba.njit(cache=cache, **_FLAGS)(getattr(module, helper)))
    fn = numba.njit(cache=cache, **_FLAGS)(getattr(module, seg.entry))
    if key is not None:
        _COMPILED[key] = fn
    return fn
