"""The reference backend ``"py"``: runs each node's `Op.perform` in topological order.

It is the semantics every other backend is checked against, so it stays
simple; it is also the fallback that is always available.
"""

from __future__ import annotations

from collections.abc import Callable
from time import perf_counter
from typing import TYPE_CHECKING, Any

from graft._fpe import ignoring_fp_errors, quiets_fp_errors
from graft.graph.basic import Constant
from graft.graph.op import Op
from graft.link.basic import CompiledGraph, Linker, raise_node_error

if TYPE_CHECKING:
    from graft.compile.profiling import ProfileStats
    from graft.graph.basic import Apply, Variable
    from graft.graph.fg import FunctionGraph

__all__ = ["ReferenceLinker"]

Cell = list[Any]
# (perform, node, number of inputs, input cells, output cells, cells to free after it or None)
Step = tuple[Callable[..., None], "Apply", int, list[Cell], list[Cell], "list[Cell] | None"]


class ReferenceLinker(Linker):
    """Backend ``"py"``: calls ``op.perform(node, inputs, output_storage)`` node by node.

    Each variable gets one storage cell (a one-element list); constants are
    filled once, at compile time. The call loop walks a precomputed list of
    ``(perform, node, n_inputs, input_cells, output_cells, dead_cells)``. With
    ``allow_gc`` (default) an intermediate value is dropped as soon as its last
    user has run, and no value is kept between calls (only constants are).
    A compiled graph is not re-entrant: do not call it from two threads at once.

    Example::

        x, y = float64("x"), float64("y")
        fg = FunctionGraph([x, y], [x * y + 1])
        ReferenceLinker().compile(fg)(2.0, 3.0)   # [np.float64(7.0)]
    """

    name = "py"

    def __init__(self, allow_gc: bool = True) -> None:
        self.allow_gc = allow_gc

    def supports(self, op: Op) -> bool:
        return type(op).perform is not Op.perform

    def compile(
        self, fgraph: FunctionGraph, *, profile: ProfileStats | None = None
    ) -> CompiledGraph:
        self.check_supported(fgraph)
        nodes = fgraph.toposort()
        # One pass: a cell per variable, and the last node reading each one.
        cells: dict[Variable, Cell] = {v: [None] for v in fgraph.inputs}
        last_use: dict[Variable, int] = {}
        for k, node in enumerate(nodes):
            for v in node.inputs:
                if v not in cells:  # a constant (or an orphan the graph allowed)
                    cells[v] = [v.data] if isinstance(v, Constant) else [None]
                last_use[v] = k
            for v in node.outputs:
                cells[v] = [None]
        for v in fgraph.outputs:
            if v not in cells:
                cells[v] = [v.data] if isinstance(v, Constant) else [None]
        input_cells = [cells[v] for v in fgraph.inputs]
        output_cells = [cells[v] for v in fgraph.outputs]
        # Free each intermediate right after its last reader has run.
        dead: list[list[Cell]] = [[] for _ in nodes]
        freed: set[int] = set()
        if self.allow_gc:
            keep = set(fgraph.outputs)
            for v, k in last_use.items():
                if v not in keep and not isinstance(v, Constant):
                    c = cells[v]
                    dead[k].append(c)
                    freed.add(id(c))
        steps: list[Step] = [
            (
                node.op.perform,
                node,
                len(node.inputs),
                [cells[v] for v in node.inputs],
                [cells[v] for v in node.outputs],
                dead[k] or None,
            )
            for k, node in enumerate(nodes)
        ]
        # Reset after each call whatever the run did not free, constants aside, so
        # no value outlives the call and no perform() sees a stale output.
        variable = [c for v, c in cells.items() if not isinstance(v, Constant)]
        leftover = [c for c in variable if id(c) not in freed]
        if profile is None:
            fn = _make_runner(input_cells, steps, output_cells, leftover, variable)
            return CompiledGraph(fn, fgraph, nodes=nodes, linker=self)
        node_times = [0.0] * len(nodes)
        node_calls = [0] * len(nodes)
        fn = _make_profiled_runner(
            input_cells, steps, output_cells, leftover, variable, node_times, node_calls
        )
        return CompiledGraph(
            fn, fgraph, nodes=nodes, node_times=node_times, node_calls=node_calls, linker=self
        )


def _fail(exc: Exception, node: Apply, ins: list[Cell], cells: list[Cell]) -> None:
    values = [c[0] for c in ins]
    for c in cells:
        c[0] = None
    raise_node_error(exc, node, values)


def _make_runner(
    input_cells: list[Cell],
    steps: list[Step],
    output_cells: list[Cell],
    leftover: list[Cell],
    everything: list[Cell],
) -> Callable[..., list[Any]]:
    single_out = output_cells[0] if len(output_cells) == 1 else None

    def execute() -> None:
        try:
            # Arity-specialised input gathering: a list display is much cheaper
            # than a comprehension for the common one- and two-input nodes.
            for perform, node, n, ins, outs, dead in steps:
                if n == 1:
                    perform(node, [ins[0][0]], outs)
                elif n == 2:
                    perform(node, [ins[0][0], ins[1][0]], outs)
                else:
                    perform(node, [c[0] for c in ins], outs)
                if dead:
                    for c in dead:
                        c[0] = None
        except Exception as exc:
            _fail(exc, node, ins, everything)

    # One errstate for the whole call instead of one per perform (see graft._fpe), where
    # two or more performs would enter one.
    quiet = sum(quiets_fp_errors(step[1].op) for step in steps) > 1

    def run(*args: Any) -> list[Any]:
        for c, a in zip(input_cells, args):
            c[0] = a
        if quiet:
            with ignoring_fp_errors():
                execute()
        else:
            execute()
        res = [single_out[0]] if single_out is not None else [c[0] for c in output_cells]
        for c in leftover:
            c[0] = None
        return res

    return run


def _make_profiled_runner(
    input_cells: list[Cell],
    steps: list[Step],
    output_cells: list[Cell],
    leftover: list[Cell],
    everything: list[Cell],
    node_times: list[float],
    node_calls: list[int],
) -> Callable[..., list[Any]]:
    indexed = list(enumerate(steps))

    def run(*args: Any) -> list[Any]:
        for c, a in zip(input_cells, args):
            c[0] = a
        try:
            with ignoring_fp_errors():
                for k, (perform, node, _, ins, outs, dead) in indexed:
                    values = [c[0] for c in ins]
                    t0 = perf_counter()
                    perform(node, values, outs)
                    node_times[k] += perf_counter() - t0
                    node_calls[k] += 1
                    if dead:
                        for c in dead:
                            c[0] = None
        except Exception as exc:
            _fail(exc, node, ins, everything)
        res = [c[0] for c in output_cells]
        for c in leftover:
            c[0] = None
        return res

    return run
