"""`EquilibriumGraphRewriter`: apply node rewriters until none applies anywhere.

The rewriter runs in passes. A pass first runs the graph rewriters, then
visits every node once in topological order through a worklist; when a
rewrite changes the graph, only the nodes it created or whose inputs changed
are queued again, so cascades resolve within the pass. Node rewriters are
looked up by the op they track. Another pass runs only if the previous one
changed something, so the last pass is a check that nothing applies; the total
cost grows with the graph size times the (small) number of passes.
"""

from __future__ import annotations

import time
import warnings
from collections import deque
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple, TextIO

from graft.graph.basic import Apply
from graft.graph.fg import FunctionGraph
from graft.graph.rewriting.basic import (
    DEFAULT_MAX_USE_RATIO,
    GraphRewriter,
    NodeProcessingGraphRewriter,
    NodeRewriter,
    OpToRewriterTracker,
    _Updater,
    _warn_failure,
)
from graft.graph.rewriting.profile import print_equilibrium_profile


class EquilibriumProfile(NamedTuple):
    """What an `EquilibriumGraphRewriter` run did (see `print_profile`)."""

    rewriter: Any
    loop_timing: list[float]
    loop_process_count: list[dict[Any, int]]
    nb_nodes_start_end_max: tuple[int, int, int]
    global_rewriter_timing: list[float]
    nb_nodes: list[int]
    time_rewriters: dict[Any, float]
    io_toposort_timing: list[float]
    node_created: dict[Any, int]
    global_sub_profs: list[Any]
    final_rewriter_timing: list[float]
    cleanup_rewriter_timing: list[float]
    process_count: dict[Any, int]


class EquilibriumGraphRewriter(NodeProcessingGraphRewriter):
    """Applies node and graph rewriters repeatedly until the graph stops changing.

    ``rewriters`` mixes `NodeRewriter`\\ s and `GraphRewriter`\\ s.
    ``max_use_ratio`` bounds how often one rewriter may apply (times the graph
    size) so that rewriters undoing each other cannot loop forever.
    ``final_rewriters`` run over the whole graph at the end of each pass;
    ``cleanup_rewriters`` run on the nodes a successful rewrite created.

    Example::

        eq = EquilibriumGraphRewriter([local_simplify, local_double_neg], max_use_ratio=10)
        eq.rewrite(fgraph)
    """

    def __init__(
        self,
        rewriters: Sequence[NodeRewriter | GraphRewriter],
        failure_callback: Callable[..., Any] | None = _warn_failure,
        ignore_newtrees: bool = True,
        tracks_on_change_inputs: bool = False,
        max_use_ratio: float | None = None,
        final_rewriters: Sequence[NodeRewriter] | None = None,
        cleanup_rewriters: Sequence[NodeRewriter] | None = None,
        name: str | None = None,
    ) -> None:
        super().__init__(failure_callback)
        self.node_rewriters: list[NodeRewriter] = []
        self.global_rewriters: list[GraphRewriter] = []
        for rw in rewriters:
            if isinstance(rw, NodeRewriter):
                self.node_rewriters.append(rw)
            elif isinstance(rw, GraphRewriter):
                self.global_rewriters.append(rw)
            else:
                raise TypeError(
                    f"EquilibriumGraphRewriter takes node or graph rewriters, got {rw!r}"
                )
        self.final_rewriters = list(final_rewriters or ())
        self.cleanup_rewriters = list(cleanup_rewriters or ())
        self.max_use_ratio = DEFAULT_MAX_USE_RATIO if max_use_ratio is None else max_use_ratio
        self.ignore_newtrees = ignore_newtrees
        self.tracks_on_change_inputs = tracks_on_change_inputs
        self.name = name
        self.tracker = OpToRewriterTracker()
        for rw in self.node_rewriters:
            self.tracker.add_tracker(rw)
        self.cleanup_tracker = OpToRewriterTracker()
        for rw in self.cleanup_rewriters:
            self.cleanup_tracker.add_tracker(rw)

    def get_node_rewriters(self) -> list[NodeRewriter]:
        return list(self.node_rewriters)

    def add_requirements(self, fgraph: FunctionGraph) -> None:
        super().add_requirements(fgraph)
        for rw in (
            *self.node_rewriters,
            *self.global_rewriters,
            *self.final_rewriters,
            *self.cleanup_rewriters,
        ):
            rw.add_requirements(fgraph)

    def apply(self, fgraph: FunctionGraph, start_from: Any = None) -> EquilibriumProfile:
        apply_nodes = fgraph.apply_nodes
        nb_start = len(apply_nodes)
        max_nb = nb_start
        max_use = max(self.max_use_ratio * nb_start, 1.0)
        process_count: dict[Any, int] = {}
        time_rw: dict[Any, float] = {}
        node_created: dict[Any, int] = {}
        loop_timing: list[float] = []
        loop_counts: list[dict[Any, int]] = []
        global_timing: list[float] = []
        io_timing: list[float] = []
        nb_nodes: list[int] = []
        global_sub_profs: list[Any] = []
        final_timing: list[float] = []
        cleanup_timing: list[float] = []

        # A node queued again before its turn is visited once, at its latest position: a
        # node whose many inputs are rewritten one after another (the root of a large sum)
        # is then looked at after those rewrites, not after each of them.
        queue: deque[Apply] = deque()
        pending: dict[Apply, int] = {}
        # [changes, imported nodes]: counters bumped by graph callbacks.
        counters = [0, 0]
        created: list[Apply] = []

        def push(node: Apply) -> None:
            queue.append(node)
            pending[node] = pending.get(node, 0) + 1

        def on_import(node: Apply) -> None:
            counters[0] += 1
            counters[1] += 1
            push(node)
            if track_created:
                created.append(node)

        def on_change(node: Any, i: int, r: Any, new_r: Any) -> None:
            counters[0] += 1
            if node != "output":
                push(node)

        def on_prune(node: Apply) -> None:
            counters[0] += 1

        track_created = bool(self.cleanup_rewriters)
        updater = _Updater(on_import, on_prune, on_change)
        fgraph.attach_feature(updater)
        get_trackers = self.tracker.get_trackers
        process_node = self.process_node
        perf = time.perf_counter
        max_use_abort = False
        try:
            changed = True
            while changed and not max_use_abort:
                changed = False
                t_pass = perf()
                pass_counts: dict[Any, int] = {}
                nb_nodes.append(len(apply_nodes))

                t0 = perf()
                for grw in self.global_rewriters:
                    before = counters[0]
                    gt0 = perf()
                    sub = grw.rewrite(fgraph)
                    time_rw[grw] = time_rw.get(grw, 0.0) + perf() - gt0
                    global_sub_profs.append((grw, sub))
                    if counters[0] != before:
                        changed = True
                        process_count[grw] = process_count.get(grw, 0) + 1
                        pass_counts[grw] = pass_counts.get(grw, 0) + 1
                global_timing.append(perf() - t0)

                t0 = perf()
                queue.clear()
                pending.clear()
                for node in fgraph.toposort():
                    push(node)
                io_timing.append(perf() - t0)

                while queue:
                    node = queue.popleft()
                    left = pending[node] - 1
                    if left:
                        pending[node] = left
                        continue
                    del pending[node]
                    if node not in apply_nodes:
                        continue
                    for rw in get_trackers(node.op):
                        created_before = counters[1]
                        created.clear()
                        t0 = perf()
                        applied = process_node(fgraph, node, rw)
                        time_rw[rw] = time_rw.get(rw, 0.0) + perf() - t0
                        if not applied:
                            continue
                        changed = True
                        n_applied = process_count.get(rw, 0) + 1
                        process_count[rw] = n_applied
                        pass_counts[rw] = pass_counts.get(rw, 0) + 1
                        node_created[rw] = node_created.get(rw, 0) + counters[1] - created_before
                        if len(apply_nodes) > max_nb:
                            max_nb = len(apply_nodes)
                            max_use = max(max_use, self.max_use_ratio * max_nb)
                        if n_applied > max_use:
                            max_use_abort = True
                        if self.cleanup_rewriters:
                            t0 = perf()
                            self._cleanup(fgraph, created)
                            cleanup_timing.append(perf() - t0)
                        if node in apply_nodes:
                            # Outputs other than this node's were replaced; look again.
                            push(node)
                        break
                    if max_use_abort:
                        break

                if self.final_rewriters and not max_use_abort:
                    t0 = perf()
                    for node in fgraph.toposort():
                        for rw in self.final_rewriters:
                            if node in apply_nodes and process_node(fgraph, node, rw):
                                changed = True
                                process_count[rw] = process_count.get(rw, 0) + 1
                                pass_counts[rw] = pass_counts.get(rw, 0) + 1
                    final_timing.append(perf() - t0)

                loop_counts.append(pass_counts)
                loop_timing.append(perf() - t_pass)
        finally:
            fgraph.remove_feature(updater)

        if max_use_abort:
            worst = max(process_count, key=lambda k: process_count[k])
            warnings.warn(
                f"EquilibriumGraphRewriter {self.name or ''} stopped: rewrite {worst} applied "
                f"{process_count[worst]} times, over max_use_ratio={self.max_use_ratio} times the "
                "graph size; rewrites may be undoing each other",
                RuntimeWarning,
                stacklevel=2,
            )
        return EquilibriumProfile(
            self,
            loop_timing,
            loop_counts,
            (nb_start, len(apply_nodes), max_nb),
            global_timing,
            nb_nodes,
            time_rw,
            io_timing,
            node_created,
            global_sub_profs,
            final_timing,
            cleanup_timing,
            process_count,
        )

    def _cleanup(self, fgraph: FunctionGraph, created: list[Apply]) -> None:
        for node in list(created):
            for rw in self.cleanup_tracker.get_trackers(node.op):
                if node in fgraph.apply_nodes and self.process_node(fgraph, node, rw):
                    break

    @classmethod
    def print_profile(cls, stream: TextIO, prof: Any, level: int = 0) -> None:
        print_equilibrium_profile(stream, prof, level)

    def __str__(self) -> str:
        return self.name or "EquilibriumGraphRewriter"
