"""Helpers to run rewrites on plain graphs."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from graft.graph.basic import Variable, equal_computations
from graft.graph.fg import FunctionGraph

if TYPE_CHECKING:
    from graft.graph.rewriting.db import RewriteDatabase

#: The database `rewrite_graph` queries (``graft.compile.optdb``, given by ``import graft``:
#: the graph layer imports nothing above it).
_default_database: Callable[[], RewriteDatabase] | None = None


def set_default_database(provider: Callable[[], RewriteDatabase]) -> None:
    """Make ``provider()`` the database `rewrite_graph` queries by default.

    Example::

        set_default_database(lambda: graft.compile.optdb)   # what ``import graft`` does
    """
    global _default_database
    _default_database = provider


def default_database() -> RewriteDatabase:
    """The database `rewrite_graph` queries and plugins register into (``graft.compile.optdb``).

    Example::

        default_database().query(RewriteDatabaseQuery(include=["canonicalize"]))
    """
    if _default_database is None:
        raise RuntimeError("no default rewrite database: import graft first")
    return _default_database()


def rewrite_graph(
    graph: Variable | Sequence[Variable] | FunctionGraph,
    include: Sequence[str] = ("canonicalize",),
    custom_rewrite: Any = None,
    clone: bool = False,
    **kwargs: Any,
) -> Any:
    """Rewrite ``graph`` with the ``optdb`` rewrites tagged ``include``, then ``custom_rewrite``.

    ``graph`` is a variable, a list of variables or a `FunctionGraph`; the
    result has the same form. With ``clone=False`` the given graph is edited
    in place. Extra keyword arguments go to `RewriteDatabaseQuery`.

    Example::

        res = rewrite_graph(A.dot(x + y), include=[], custom_rewrite=dot_distribute, clone=False)
    """
    if isinstance(graph, FunctionGraph):
        fgraph = graph
        return_fgraph = True
    else:
        outputs = [graph] if isinstance(graph, Variable) else list(graph)
        fgraph = FunctionGraph(outputs=outputs, clone=clone)
        return_fgraph = False
    if include:
        # lazy: ``import graft`` imports this module but not the databases
        from graft.graph.rewriting.db import RewriteDatabaseQuery

        query = RewriteDatabaseQuery(include=list(include), **kwargs)
        default_database().query(query).rewrite(fgraph)
    if custom_rewrite is not None:
        custom_rewrite.rewrite(fgraph)
    if return_fgraph:
        return fgraph
    if isinstance(graph, Variable):
        return fgraph.outputs[0]
    return list(fgraph.outputs)


def is_same_graph(
    var1: Variable, var2: Variable, givens: dict[Variable, Variable] | None = None
) -> bool:
    """True if ``var1`` and ``var2`` compute the same thing (with ``givens`` pairing leaves)."""
    givens = givens or {}
    return equal_computations([var1], [var2], list(givens.keys()), list(givens.values()))


def get_clients_at_depth(fgraph: FunctionGraph, node: Any, depth: int) -> Any:
    """Yield the nodes that use ``node``'s outputs, ``depth`` levels down."""
    frontier = [node]
    for _ in range(depth):
        nxt = []
        for n in frontier:
            for out in n.outputs:
                for client, _ in fgraph.clients.get(out, ()):
                    if client != "output":
                        nxt.append(client)
        frontier = nxt
    yield from frontier
