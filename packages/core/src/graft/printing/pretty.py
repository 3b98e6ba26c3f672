"""`pprint`: print graphs as readable math, with per-op printers.

Printers are chosen by `PPrinter.assign` (latest assignment wins). Binary
operators print fully parenthesised, e.g. ``(A @ (x + y))``, so the text is
unambiguous without precedence rules. Printing is iterative: inputs are
formatted bottom-up before the node that uses them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from graft import scalar as ps
from graft.graph.basic import Apply, Constant, Variable
from graft.graph.fg import FunctionGraph
from graft.graph.op import Op


class PrinterState:
    """What a printer can see: the pretty printer and memoised strings of variables."""

    def __init__(self, pprinter: PPrinter, memo: dict[Variable, str] | None = None) -> None:
        self.pprinter = pprinter
        self.memo: dict[Variable, str] = memo if memo is not None else {}

    def clone(self, **kwargs: Any) -> PrinterState:
        new = PrinterState(self.pprinter, self.memo)
        new.__dict__.update(kwargs)
        return new


class Printer:
    """Formats a variable computed by some op.

    ``process(output, pstate)`` returns the text for ``output``; the text of
    an input is ``pstate.pprinter.process(input, pstate)`` (already memoised,
    so it is cheap and never recursive).

    Example::

        class CallPrinter(Printer):
            def process(self, output, pstate):
                args = [pstate.pprinter.process(i, pstate) for i in output.owner.inputs]
                return f"call({', '.join(args)})"
    """

    def process(self, output: Variable, pstate: PrinterState) -> str:
        raise NotImplementedError


class OperatorPrinter(Printer):
    """Prints ``op(a, b, ...)`` as ``(a <operator> b ...)``, or ``<operator>a`` for one input.

    ``precedence`` and ``assoc`` are accepted for compatibility; output is
    always fully parenthesised.
    """

    def __init__(self, operator: str, precedence: float, assoc: str = "either") -> None:
        self.operator = operator
        self.precedence = precedence
        self.assoc = assoc

    def process(self, output: Variable, pstate: PrinterState) -> str:
        node = output.owner
        assert node is not None
        args = [pstate.pprinter.process(i, pstate) for i in node.inputs]
        if len(args) == 1:
            return f"{self.operator}{args[0]}"
        return "(" + f" {self.operator} ".join(args) + ")"


class PatternPrinter(Printer):
    """Prints with a format string per input count, e.g. ``"%(0)s[%(1)s]"``."""

    def __init__(self, *patterns: tuple[str, Any]) -> None:
        self.patterns = [p[0] if isinstance(p, tuple) else p for p in patterns]

    def process(self, output: Variable, pstate: PrinterState) -> str:
        node = output.owner
        assert node is not None
        args = [pstate.pprinter.process(i, pstate) for i in node.inputs]
        pattern = self.patterns[min(len(self.patterns) - 1, max(len(args) - 1, 0))]
        return pattern % {str(i): a for i, a in enumerate(args)}


class FunctionPrinter(Printer):
    """Prints ``name(a, b, ...)`` (the op's name when none is given)."""

    def __init__(
        self, names: Sequence[str] | None = None, keywords: Sequence[str] | None = None
    ) -> None:
        self.names = list(names) if names else None
        self.keywords = list(keywords or ())

    def process(self, output: Variable, pstate: PrinterState) -> str:
        node = output.owner
        assert node is not None
        args = [pstate.pprinter.process(i, pstate) for i in node.inputs]
        for kw in self.keywords:
            args.append(f"{kw}={getattr(node.op, kw)}")
        name = self.names[0] if self.names else str(node.op)
        if len(node.outputs) > 1:
            name = f"{name}.{output.index}"
        return f"{name}({', '.join(args)})"


class LeafPrinter(Printer):
    """Prints an input or constant: its name, else its value or type."""

    def process(self, output: Variable, pstate: PrinterState) -> str:
        if output.name is not None:
            return output.name
        if isinstance(output, Constant):
            return str(output.data)
        return f"<{output.type}>"


_leaf = LeafPrinter()
_default = FunctionPrinter()


class PPrinter(Printer):
    """Chooses a printer per variable: the latest `assign`-ed one whose condition holds.

    A condition is an `Op` (matches nodes with an equal op), an `Op` subclass,
    or a function ``(pstate, variable) -> bool``.

    Example::

        pprint.assign(_dot, OperatorPrinter("@", -1, "left"))
        print(pprint(A.dot(x + y)))   # (A @ (x + y))
    """

    def __init__(self) -> None:
        self.printers: list[tuple[Any, Printer]] = []
        self._by_op: dict[Any, Printer] = {}

    def assign(self, condition: Any, printer: Printer) -> None:
        if isinstance(condition, Op):
            self._by_op[condition] = printer
        self.printers.insert(0, (condition, printer))

    def clone(self) -> PPrinter:
        cp = PPrinter()
        cp.printers = list(self.printers)
        cp._by_op = dict(self._by_op)
        return cp

    def clone_assign(self, condition: Any, printer: Printer) -> PPrinter:
        cp = self.clone()
        cp.assign(condition, printer)
        return cp

    def _printer_for(self, pstate: PrinterState, var: Variable) -> Printer:
        node = var.owner
        if node is None:
            return _leaf
        for cond, printer in self.printers:
            if isinstance(cond, Op):
                if node.op == cond:
                    return printer
            elif isinstance(cond, type):
                if isinstance(node.op, cond):
                    return printer
            elif callable(cond) and cond(pstate, var):
                return printer
        return _default

    def process(self, output: Variable, pstate: PrinterState | None = None) -> str:
        if pstate is None:
            pstate = PrinterState(self)
        memo = pstate.memo
        s = memo.get(output)
        if s is not None:
            return s
        # Format ancestors bottom-up so every printer's input lookups hit the memo.
        stack: list[tuple[Variable, bool]] = [(output, False)]
        while stack:
            var, ready = stack.pop()
            if var in memo:
                continue
            node: Apply | None = var.owner
            if node is None:
                memo[var] = _leaf.process(var, pstate)
                continue
            if not ready:
                stack.append((var, True))
                for inp in node.inputs:
                    if inp not in memo:
                        stack.append((inp, False))
                continue
            memo[var] = self._printer_for(pstate, var).process(var, pstate)
        return memo[output]

    def __call__(self, *args: Any, file: Any = None) -> str:
        if len(args) == 1 and isinstance(args[0], FunctionGraph):
            fg = args[0]
            pstate = PrinterState(self)
            return "\n".join(self.process(o, pstate) for o in fg.outputs)
        if len(args) == 1 and isinstance(args[0], list | tuple):
            pstate = PrinterState(self)
            return "\n".join(self.process(o, pstate) for o in args[0])
        if len(args) == 1 and isinstance(args[0], Variable):
            return self.process(args[0])
        if len(args) == 1 and hasattr(args[0], "maker"):
            return self(args[0].maker.fgraph)
        raise TypeError(
            f"pprint expects a Variable, a list of them or a FunctionGraph, got {args!r}"
        )


pprint = PPrinter()
pp = pprint


def _register_scalar_printers() -> None:
    table: list[tuple[str, str, float, str]] = [
        ("add", "+", -2, "either"),
        ("mul", "*", -1, "either"),
        ("sub", "-", -2, "left"),
        ("true_div", "/", -1, "left"),
        ("int_div", "//", -1, "left"),
        ("mod", "%", -1, "left"),
        ("pow", "**", 1, "right"),
        ("neg", "-", 0, "either"),
        ("lt", "<", -3, "left"),
        ("gt", ">", -3, "left"),
        ("le", "<=", -3, "left"),
        ("ge", ">=", -3, "left"),
        ("eq", "==", -3, "left"),
        ("neq", "!=", -3, "left"),
        ("and_", "&", -4, "either"),
        ("or_", "|", -5, "either"),
        ("xor", "^", -4, "either"),
        ("invert", "~", 0, "either"),
    ]
    for name, sym, prec, assoc in table:
        op = getattr(ps, name, None)
        if op is not None:
            pprint.assign(op, OperatorPrinter(sym, prec, assoc))


_register_scalar_printers()
