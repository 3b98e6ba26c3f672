"""Op-agnostic rewrites that ship with graft-core.

- ``constant_folding``: a node whose inputs are all constants is computed
  once at compile time (with the op's own ``perform``) and replaced by
  constants, unless the op opts out through ``do_constant_folding``.
- Merging (``merge1``/``merge2``/``merge3``) is part of the ``optdb`` skeleton.
- Dead code needs no rewrite: a `FunctionGraph` prunes every node that stops
  being used as soon as a replacement orphans it, so graphs never carry
  unreachable nodes between rewrites.

They reach ``optdb`` through core's built-in plugin (`graft.plugins.builtin`).
"""

from __future__ import annotations

from typing import Any

from graft.graph.basic import Apply, Constant
from graft.graph.fg import FunctionGraph
from graft.graph.rewriting.basic import node_rewriter


@node_rewriter(None)
def constant_folding(fgraph: FunctionGraph | None, node: Apply) -> Any:
    """Replace a node whose inputs are all constants by constant outputs."""
    consts = [i for i in node.inputs if isinstance(i, Constant)]
    if not node.inputs or len(consts) != len(node.inputs):
        return False
    op = node.op
    # An in-place op would overwrite the constants' data, which users may share.
    if op.destroy_map or not op.do_constant_folding(fgraph, node):
        return False
    storage: list[list[Any]] = [[None] for _ in node.outputs]
    try:
        op.perform(node, [c.data for c in consts], storage)
    except NotImplementedError:
        return False
    out: list[Constant | None] = []
    for var, (value,) in zip(node.outputs, storage):
        if fgraph is not None and not fgraph.clients.get(var):
            out.append(None)
            continue
        out.append(var.type.make_constant(value))
    return out


def register(registry: Any) -> None:
    """Register core's rewrites through a plugin ``RewriteRegistry``."""
    for db in ("canonicalize", "stabilize", "specialize"):
        registry.register("constant_folding", constant_folding, "fast_run", "fast_compile", db=db)
