"""Printing rewriter profiles (the "Rewriter Profile" report).

Each graph rewriter's ``rewrite`` returns a profile; `print_profile` prints it
with the rewriter class's own format, nesting sub-profiles by indentation.
"""

from __future__ import annotations

import sys
from typing import Any, TextIO, TypeAlias

#: What a graph rewriter's ``rewrite`` returns and its ``print_profile`` reads: a
#: record of the rewriter's own (a tuple, a NamedTuple, a dataclass), or None.
RewriteProfile: TypeAlias = object


def _name(rw: Any) -> str:
    return getattr(rw, "name", None) or getattr(rw, "__name__", None) or str(rw)


def print_profile(stream: TextIO | None, rewriter: Any, prof: Any, level: int = 0) -> None:
    """Print ``prof`` (what ``rewriter.rewrite`` returned) using the rewriter's format."""
    stream = stream or sys.stdout
    printer = getattr(type(rewriter), "print_profile", None)
    if printer is None or prof is None:
        print(
            f"{'    ' * level} {type(rewriter).__name__} {_name(rewriter)}: no profile",
            file=stream,
        )
        return
    printer(stream, prof, level)


def print_sequential_profile(stream: TextIO, prof: Any, level: int = 0) -> None:
    rw, l_t, validate_time, callback_time, _nb_nodes, sub_profs, sub_validate, sizes, total = prof
    blanc = "    " * level
    name = getattr(rw, "name", None) or ""
    print(
        f"{blanc} SequentialGraphRewriter  {name}  time {total:.3f}s for "
        f"{sizes[0]}/{sizes[1]} nodes before/after rewriting",
        file=stream,
    )
    print(f"{blanc}   {validate_time:.3f}s for fgraph.validate()", file=stream)
    print(f"{blanc}   {callback_time:.3f}s for callback", file=stream)
    print(f"{blanc}   time      - (name, class, index) - validate time", file=stream)
    order = sorted(range(len(l_t)), key=lambda i: -l_t[i])
    for i in order:
        sub_rw = rw.data[i]
        print(
            f"{blanc}   {l_t[i]:.6f}s - ('{_name(sub_rw)}', '{type(sub_rw).__name__}', {i}) - "
            f"{sub_validate[i]:.3f}s",
            file=stream,
        )
        if sub_profs[i] is not None:
            print_profile(stream, sub_rw, sub_profs[i], level + 1)


def print_equilibrium_profile(stream: TextIO, prof: Any, level: int = 0) -> None:
    blanc = "    " * level
    rw = prof.rewriter
    n_start, n_end, n_max = prof.nb_nodes_start_end_max
    passes = len(prof.loop_timing)
    total = sum(prof.loop_timing)
    node_time = sum(t for r, t in prof.time_rewriters.items() if r not in rw.global_rewriters)
    print(f"{blanc} EquilibriumGraphRewriter      {getattr(rw, 'name', None) or ''}", file=stream)
    print(f"{blanc}   time {total:.3f}s for {passes} passes", file=stream)
    print(f"{blanc}   nb nodes (start, end,  max) {n_start} {n_end} {n_max}", file=stream)
    print(f"{blanc}   time io_toposort {sum(prof.io_toposort_timing):.3f}s", file=stream)
    print(f"{blanc}   time in node rewriters {node_time:.3f}s", file=stream)
    print(
        f"{blanc}   time in graph rewriters {sum(prof.global_rewriter_timing):.3f}s", file=stream
    )
    if prof.final_rewriter_timing:
        print(
            f"{blanc}   time in final rewriters {sum(prof.final_rewriter_timing):.3f}s",
            file=stream,
        )
    if prof.cleanup_rewriter_timing:
        print(
            f"{blanc}   time in cleanup rewriters {sum(prof.cleanup_rewriter_timing):.3f}s",
            file=stream,
        )
    for i in range(passes):
        counts = prof.loop_process_count[i]
        top = sorted(counts.items(), key=lambda kv: -kv[1])
        shown = " ".join(f"('{_name(r)}', {c})" for r, c in top[:5])
        if len(top) > 5:
            shown += " ..."
        print(
            f"{blanc}   {i:2d} - {prof.loop_timing[i]:.3f}s {sum(counts.values())} "
            f"({prof.global_rewriter_timing[i]:.3f}s in global rewrites, "
            f"{prof.io_toposort_timing[i]:.3f}s io_toposort) - {prof.nb_nodes[i]} nodes - {shown}",
            file=stream,
        )
    print(f"{blanc}   times - times applied - nb node created - name:", file=stream)
    used = [(t, r) for r, t in prof.time_rewriters.items() if prof.process_count.get(r, 0) > 0]
    unused = [(t, r) for r, t in prof.time_rewriters.items() if prof.process_count.get(r, 0) == 0]
    for r in rw.node_rewriters + rw.global_rewriters:
        if r not in prof.time_rewriters:
            unused.append((0.0, r))
    for t, r in sorted(used, key=lambda x: -x[0]):
        print(
            f"{blanc}   {t:.3f}s - {prof.process_count[r]} - {prof.node_created.get(r, 0)} - {_name(r)}",
            file=stream,
        )
    print(
        f"{blanc}   {sum(t for t, _ in unused):.3f}s - in {len(unused)} rewrite(s) that where not "
        "used (display only those with a runtime > 0)",
        file=stream,
    )
    for t, r in sorted(unused, key=lambda x: -x[0]):
        if t > 0:
            print(f"{blanc}     {t:.3f}s - {_name(r)}", file=stream)
    for grw, sub in prof.global_sub_profs:
        if sub is not None and prof.process_count.get(grw):
            print_profile(stream, grw, sub, level + 1)
