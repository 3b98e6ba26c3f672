"""Per-backend rule tables: how each Op class is implemented in one backend.

A compiled backend keeps one `RuleTable`; a rule is looked up by the Op's
class, walking its MRO, so a rule for `Elemwise` also serves a subclass that
has none of its own. Plugins add rules for their own Ops through the
``graft_extend_backend`` hook, which receives the backend's linker class; its
``rules`` attribute is the table. Every registration records who made it, so
``python -m graft plugins`` can show a backend's coverage and a conflict names
both sides.

What a rule *is* depends on the backend (a function emitting source lines for
a code-generating backend, a callable for a tracing one); the table only maps
Op classes to rules.

Example (a plugin adding its Op to the Numba backend)::

    def graft_extend_backend(backend, name):
        if name != "numba":
            return
        from my_plugin.ops import Double

        @backend.rules.register(Double)
        def double(node, ins, outs, em):
            return [f"{outs[0]} = 2 * {ins[0]}"]
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, Generic, TypeVar

from graft.graph.op import Op

__all__ = ["RuleConflictError", "RuleTable"]

R = TypeVar("R")


class RuleConflictError(ValueError):
    """Two registrations of a rule for the same Op class in one table."""


class RuleTable(Generic[R]):
    """Rules of one backend keyed by Op class; lookups follow the MRO and are cached.

    Example::

        table: RuleTable[Callable[..., list[str]]] = RuleTable("numba")
        table.register(Elemwise, elemwise_rule)
        table.lookup(some_elemwise_op)     # elemwise_rule
    """

    def __init__(self, backend: str) -> None:
        self.backend = backend
        self._rules: dict[type, R] = {}
        self._owners: dict[type, str] = {}
        self._cache: dict[type, R | None] = {}

    def register(
        self, *op_classes: type, rule: R | None = None, owner: str = "", replace: bool = False
    ) -> Any:
        """Register ``rule`` for each of ``op_classes``; without ``rule``, a decorator.

        A class that already has a rule raises `RuleConflictError` naming both
        owners, unless ``replace``.
        """
        if not op_classes or not all(
            isinstance(c, type) and issubclass(c, Op) for c in op_classes
        ):
            raise TypeError(f"RuleTable.register takes Op classes, got {op_classes!r}")

        def add(r: R) -> R:
            for cls in op_classes:
                if cls in self._rules and not replace:
                    raise RuleConflictError(
                        f"backend {self.backend!r}: {cls.__qualname__} already has a rule from "
                        f"{self._owners[cls] or 'an unnamed owner'}; "
                        f"{owner or 'an unnamed owner'} registers another"
                    )
                self._rules[cls] = r
                self._owners[cls] = owner
            self._cache.clear()
            return r

        if rule is not None:
            return add(rule)
        return add

    def lookup(self, op: Op | type) -> R | None:
        """The rule for ``op`` (an Op or an Op class): its class's, else the nearest base's."""
        cls = op if isinstance(op, type) else type(op)
        try:
            return self._cache[cls]
        except KeyError:
            pass
        found: R | None = None
        for base in cls.__mro__:
            if base in self._rules:
                found = self._rules[base]
                break
        self._cache[cls] = found
        return found

    def owner(self, op_class: type) -> str | None:
        """Who registered the rule ``lookup(op_class)`` finds (None: no rule)."""
        for base in op_class.__mro__:
            if base in self._rules:
                return self._owners[base]
        return None

    def coverage(self, op_classes: Iterable[type]) -> tuple[list[type], list[type]]:
        """``(covered, missing)``: which of ``op_classes`` have a rule."""
        covered: list[type] = []
        missing: list[type] = []
        for cls in op_classes:
            (covered if self.lookup(cls) is not None else missing).append(cls)
        return covered, missing

    def __contains__(self, op_class: object) -> bool:
        return isinstance(op_class, type) and self.lookup(op_class) is not None

    def __len__(self) -> int:
        return len(self._rules)

    def __repr__(self) -> str:
        return f"<RuleTable {self.backend!r}: {len(self._rules)} rules>"


#: What a code-generating rule looks like (see `graft.link.codegen`).
SourceRule = Callable[..., "list[str] | None"]
