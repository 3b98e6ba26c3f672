"""FunctionGraph features: listeners that validate, undo and index graph changes."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from graft.graph.basic import Apply, Variable
from graft.graph.utils import InconsistencyError

if TYPE_CHECKING:
    from graft.graph.fg import FunctionGraph

__all__ = [
    "AlreadyThere",
    "Bookkeeper",
    "Feature",
    "History",
    "InconsistencyError",
    "NodeFinder",
    "PrintListener",
    "ReplaceValidate",
    "Validator",
]


class AlreadyThere(Exception):
    """Raised by ``on_attach`` when an equivalent feature is already attached (not an error)."""


class Feature:
    """Base class for objects that listen to changes of a `FunctionGraph`.

    Every callback is optional; the graph calls those a feature defines:

    - ``on_attach(fgraph)`` / ``on_detach(fgraph)``: the feature is added/removed.
      Raise `AlreadyThere` from ``on_attach`` to decline a duplicate.
    - ``on_import(fgraph, node, reason)``: ``node`` entered the graph.
    - ``on_prune(fgraph, node, reason)``: ``node`` left the graph.
    - ``on_change_input(fgraph, node, i, old_var, new_var, reason)``: input ``i``
      of ``node`` (or output ``i`` when ``node == "output"``) changed.
    - ``validate(fgraph)``: raise `InconsistencyError` to reject the current graph.
    - ``orderings(fgraph)``: return ``{node: [nodes that must run before it]}``.

    Example::

        class CountImports(Feature):
            def on_attach(self, fgraph):
                self.n = 0

            def on_import(self, fgraph, node, reason):
                self.n += 1

        fg.attach_feature(counter := CountImports())
    """

    def clone(self) -> Feature:
        """A fresh feature of the same kind, for a cloned graph."""
        return type(self)()


class Bookkeeper(Feature):
    """A feature that replays ``on_import``/``on_prune`` for the existing nodes on attach/detach."""

    def on_attach(self, fgraph: FunctionGraph) -> None:
        for node in fgraph.toposort():
            self.on_import(fgraph, node, "on_attach")

    def on_detach(self, fgraph: FunctionGraph) -> None:
        for node in fgraph.toposort():
            self.on_prune(fgraph, node, "Bookkeeper.detach")

    def on_import(self, fgraph: FunctionGraph, node: Apply, reason: Any) -> None:
        pass

    def on_prune(self, fgraph: FunctionGraph, node: Apply, reason: Any) -> None:
        pass


class History(Feature):
    """Records input changes so they can be undone: adds ``fgraph.checkpoint()`` and ``fgraph.revert(chk)``."""

    def __init__(self) -> None:
        self.history: dict[FunctionGraph, list[tuple[Any, int, Variable, Any]] | None] = {}

    def on_attach(self, fgraph: FunctionGraph) -> None:
        if hasattr(fgraph, "checkpoint") or hasattr(fgraph, "revert"):
            raise AlreadyThere("a History is already attached")
        self.history[fgraph] = []
        fgraph.checkpoint = lambda: len(self.history[fgraph] or ())
        fgraph.revert = lambda chk: self.revert(fgraph, chk)

    def on_detach(self, fgraph: FunctionGraph) -> None:
        del fgraph.checkpoint
        del fgraph.revert
        del self.history[fgraph]

    def on_change_input(
        self,
        fgraph: FunctionGraph,
        node: Any,
        i: int,
        r: Variable,
        new_r: Variable,
        reason: Any = None,
    ) -> None:
        h = self.history.get(fgraph)
        if h is not None:
            h.append((node, i, r, reason))

    def revert(self, fgraph: FunctionGraph, checkpoint: int) -> None:
        """Undo every change made since ``checkpoint`` (newest first)."""
        h = self.history[fgraph]
        assert h is not None
        self.history[fgraph] = None  # don't record the undo itself
        try:
            while len(h) > checkpoint:
                node, i, r, reason = h.pop()
                # Callbacks see ("Revert", original_reason): deliberately not a plain str.
                revert_reason: Any = ("Revert", reason)
                fgraph.change_node_input(node, i, r, reason=revert_reason, check=False)
        finally:
            self.history[fgraph] = h

    def __graft_reduce__(self) -> History:
        return type(self)()


class Validator(Feature):
    """Adds ``fgraph.validate()`` (run every feature's ``validate``) and ``fgraph.consistent()``."""

    def on_attach(self, fgraph: FunctionGraph) -> None:
        for attr in ("validate", "consistent", "validate_time"):
            if hasattr(fgraph, attr):
                raise AlreadyThere("a Validator is already attached")
        fgraph.validate = lambda: self.validate_(fgraph)
        fgraph.consistent = lambda: self.consistent_(fgraph)
        fgraph.validate_time = 0.0

    def on_detach(self, fgraph: FunctionGraph) -> None:
        del fgraph.validate
        del fgraph.consistent
        del fgraph.validate_time

    def validate_(self, fgraph: FunctionGraph) -> bool:
        t0 = time.perf_counter()
        try:
            fgraph.execute_callbacks("validate")
        finally:
            fgraph.validate_time += time.perf_counter() - t0
        return True

    def consistent_(self, fgraph: FunctionGraph) -> bool:
        try:
            self.validate_(fgraph)
            return True
        except InconsistencyError:
            return False


class ReplaceValidate(History, Validator):
    """Adds ``fgraph.replace_validate`` and ``fgraph.replace_all_validate``.

    They replace like `FunctionGraph.replace`, then validate the graph; if a
    replacement or the validation fails, every change is undone before the
    error propagates, so the graph is never left half-rewritten.
    """

    def on_attach(self, fgraph: FunctionGraph) -> None:
        for attr in ("replace_validate", "replace_all_validate", "replace_all_validate_remove"):
            if hasattr(fgraph, attr):
                raise AlreadyThere("a ReplaceValidate is already attached")
        History.on_attach(self, fgraph)
        try:
            Validator.on_attach(self, fgraph)
        except AlreadyThere:
            self._own_validator = False
        else:
            self._own_validator = True
        fgraph.replace_validate = lambda r, new_r, reason=None, **kw: self.replace_validate(
            fgraph, r, new_r, reason, **kw
        )
        fgraph.replace_all_validate = lambda repls, reason=None, **kw: self.replace_all_validate(
            fgraph, repls, reason, **kw
        )
        fgraph.replace_all_validate_remove = lambda repls, remove, reason=None, **kw: (
            self.replace_all_validate_remove(fgraph, repls, remove, reason, **kw)
        )

    def on_detach(self, fgraph: FunctionGraph) -> None:
        History.on_detach(self, fgraph)
        if self._own_validator:
            Validator.on_detach(self, fgraph)
        del fgraph.replace_validate
        del fgraph.replace_all_validate
        del fgraph.replace_all_validate_remove

    def replace_validate(
        self,
        fgraph: FunctionGraph,
        r: Variable,
        new_r: Variable,
        reason: Any = None,
        **kwargs: Any,
    ) -> None:
        self.replace_all_validate(fgraph, [(r, new_r)], reason=reason, **kwargs)

    def replace_all_validate(
        self,
        fgraph: FunctionGraph,
        replacements: Sequence[tuple[Variable, Variable]],
        reason: Any = None,
        verbose: bool | None = None,
        **kwargs: Any,
    ) -> int:
        chk = fgraph.checkpoint()
        try:
            for r, new_r in replacements:
                fgraph.replace(r, new_r, reason=reason, verbose=verbose, **kwargs)
            fgraph.validate()
        except Exception:
            fgraph.revert(chk)
            raise
        return chk

    def replace_all_validate_remove(
        self,
        fgraph: FunctionGraph,
        replacements: Sequence[tuple[Variable, Variable]],
        remove: Sequence[Apply],
        reason: Any = None,
        warn: bool = True,
        **kwargs: Any,
    ) -> int:
        """Like `replace_all_validate`, and also require that ``remove`` left the graph."""
        chk = self.replace_all_validate(fgraph, replacements, reason=reason, **kwargs)
        for rm in remove:
            if rm in fgraph.apply_nodes or rm in fgraph.variables:
                fgraph.revert(chk)
                raise InconsistencyError(f"replacement did not remove {rm} ({reason})")
        return chk


class NodeFinder(Bookkeeper):
    """Indexes nodes by op: adds ``fgraph.get_nodes(op)``."""

    def __init__(self) -> None:
        self.d: dict[Any, dict[Apply, None]] = {}

    def on_attach(self, fgraph: FunctionGraph) -> None:
        if hasattr(fgraph, "get_nodes"):
            raise AlreadyThere("a NodeFinder is already attached")
        self.d = {}
        fgraph.get_nodes = self.query
        Bookkeeper.on_attach(self, fgraph)

    def on_detach(self, fgraph: FunctionGraph) -> None:
        del fgraph.get_nodes
        self.d = {}

    def on_import(self, fgraph: FunctionGraph, node: Apply, reason: Any) -> None:
        self.d.setdefault(node.op, {})[node] = None

    def on_prune(self, fgraph: FunctionGraph, node: Apply, reason: Any) -> None:
        nodes = self.d.get(node.op)
        if nodes is not None:
            nodes.pop(node, None)
            if not nodes:
                del self.d[node.op]

    def query(self, op: Any) -> list[Apply]:
        """The graph's nodes whose op equals ``op``, in the order they were imported."""
        return list(self.d.get(op, ()))


class PrintListener(Feature):
    """Prints every graph change (for debugging rewrites)."""

    def __init__(self, active: bool = True) -> None:
        self.active = active

    def on_attach(self, fgraph: FunctionGraph) -> None:
        if self.active:
            print("-- attaching to:", fgraph)

    def on_import(self, fgraph: FunctionGraph, node: Apply, reason: Any) -> None:
        if self.active:
            print(f"-- importing: {node}, reason: {reason}")

    def on_prune(self, fgraph: FunctionGraph, node: Apply, reason: Any) -> None:
        if self.active:
            print(f"-- pruning: {node}, reason: {reason}")

    def on_change_input(
        self,
        fgraph: FunctionGraph,
        node: Any,
        i: int,
        r: Variable,
        new_r: Variable,
        reason: Any = None,
    ) -> None:
        if self.active:
            print(f"-- changing ({node}.inputs[{i}]) from {r} to {new_r}")
