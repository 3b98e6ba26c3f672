"""Printing graphs: `dprint` (indented tree), `pprint` (math-like text), dot export."""

from graft.printing.debug import debugprint, dprint
from graft.printing.dot import render_dot, to_dot
from graft.printing.pretty import (
    FunctionPrinter,
    LeafPrinter,
    OperatorPrinter,
    PatternPrinter,
    PPrinter,
    Printer,
    PrinterState,
    pp,
    pprint,
)

__all__ = [
    "FunctionPrinter",
    "LeafPrinter",
    "OperatorPrinter",
    "PPrinter",
    "PatternPrinter",
    "Printer",
    "PrinterState",
    "debugprint",
    "dprint",
    "pp",
    "pprint",
    "render_dot",
    "to_dot",
]
