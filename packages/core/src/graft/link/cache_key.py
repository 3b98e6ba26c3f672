"""A stable, versioned content key for a rewritten graph, for on-disk caches.

`graph_key` hashes what a compiled graph depends on and nothing else: each
node's Op (class path, its class's ``cache_version``, its ``__props__``
serialised field by field), the node's wiring (inputs by position in the
graph, not by identity), input and output types, constants' dtypes, shapes
and bytes, graft's version, and a backend-supplied salt (compiler and library
versions, flags). Nothing depends on ``id()``, ``hash()`` or the order of a
set, so the key is identical across processes and machines with the same
versions. Variable names are not part of it (they do not change the code).

Bump an Op class's ``cache_version`` when its backend implementations change
meaning; a backend's own code changes are covered by its salt (its version).

A value the serialiser does not know (an arbitrary object in an Op's props)
makes the key ``None``: such a graph is compiled but not cached, rather than
risking two different graphs sharing an entry.

Example::

    import graft.tensor as gt
    from graft.graph.fg import FunctionGraph
    from graft.link.cache_key import graph_key

    x = gt.dvector("x")
    key = graph_key(FunctionGraph([x], [gt.exp(x) + 1]), salt=("numba", "0.61"))
    # a 64-character hex string; the same in every process
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import numpy as np

from graft._version import __version__
from graft.graph.basic import Constant, Variable

if TYPE_CHECKING:
    from graft.graph.fg import FunctionGraph

__all__ = ["UnstableKeyError", "graph_key", "stable_repr"]


class UnstableKeyError(TypeError):
    """A value has no process-independent serialisation (see `stable_repr`)."""


def _qualname(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


def stable_repr(value: Any) -> str:
    """A text for ``value`` that is the same in every process, or `UnstableKeyError`.

    Handles None, bools, numbers, strings, bytes, NumPy scalars, dtypes and
    arrays, classes, tuples/lists/frozensets/dicts of those, and objects with
    ``__props__`` (Ops and Types: class path, ``cache_version``, props).

    Example::

        stable_repr((1, "a", np.dtype("float32")))   # "(1,'a',dtype:float32)"
    """
    if value is None or isinstance(value, bool | int | float | complex | str):
        return repr(value)
    if isinstance(value, bytes):
        return "b:" + hashlib.sha256(value).hexdigest()
    if isinstance(value, np.generic):
        return f"{value.dtype}:{value.item()!r}"
    if isinstance(value, np.dtype):
        return f"dtype:{value.str}"
    if isinstance(value, np.ndarray):
        data = np.ascontiguousarray(value)
        digest = hashlib.sha256(data.tobytes()).hexdigest()
        return f"array:{data.dtype.str}:{data.shape}:{digest}"
    if isinstance(value, type):
        return "class:" + _qualname(value)
    if isinstance(value, tuple | list):
        inner = ",".join(stable_repr(v) for v in value)
        return f"({inner})" if isinstance(value, tuple) else f"[{inner}]"
    if isinstance(value, frozenset | set):
        return "{" + ",".join(sorted(stable_repr(v) for v in value)) + "}"
    if isinstance(value, dict):
        items = sorted((stable_repr(k), stable_repr(v)) for k, v in value.items())
        return "{" + ",".join(f"{k}:{v}" for k, v in items) + "}"
    if isinstance(value, Constant):
        return f"const:{stable_repr(value.type)}:{stable_repr(np.asarray(value.data))}"
    props = getattr(type(value), "__props__", None)
    if props is not None:
        version = getattr(type(value), "cache_version", 0)
        fields = ",".join(f"{p}={stable_repr(getattr(value, p))}" for p in props)
        return f"{_qualname(type(value))}@{stable_repr(version)}{{{fields}}}"
    raise UnstableKeyError(
        f"no stable serialisation for {type(value).__name__} {value!r}: give its class "
        "__props__, or keep it out of Op props"
    )


def _graph_text(fgraph: FunctionGraph) -> Iterable[str]:
    """The lines the key hashes: inputs, nodes (op, inputs by index, output types), outputs."""
    index: dict[Variable, str] = {}
    for k, v in enumerate(fgraph.inputs):
        index[v] = f"i{k}"
        yield f"in {k} {stable_repr(v.type)}"

    def ref(v: Variable) -> str:
        if v in index:
            return index[v]
        if isinstance(v, Constant):
            return stable_repr(v)
        raise UnstableKeyError(f"{v} is neither an input, a constant nor computed before use")

    for n, node in enumerate(fgraph.toposort()):
        ins = " ".join(ref(v) for v in node.inputs)
        outs = " ".join(stable_repr(o.type) for o in node.outputs)
        yield f"node {n} {stable_repr(node.op)} ({ins}) -> ({outs})"
        for j, o in enumerate(node.outputs):
            index[o] = f"n{n}.{j}"
    yield "out " + " ".join(ref(v) for v in fgraph.outputs)


def graph_key(fgraph: FunctionGraph, *, salt: Iterable[str] = ()) -> str | None:
    """The content key of ``fgraph`` (hex SHA-256), or None when some part is not stable.

    ``salt`` adds what else the compiled result depends on (backend name and
    version, compiler flags); graft's own version is always included.
    """
    h = hashlib.sha256()
    try:
        for line in [f"graft {__version__}", *(f"salt {s}" for s in salt), *_graph_text(fgraph)]:
            h.update(line.encode())
            h.update(b"\n")
    except UnstableKeyError:
        return None
    return h.hexdigest()
