"""Profiles of compiled functions: compile phases, calls, per-Op times.

`graft.function` fills a `ProfileStats` when ``config.profile`` is on or
``profile=True`` (or a `ProfileStats`) is passed. The profiles it creates
(``profile=True`` or ``config.profile``) are printed at interpreter exit (to
stderr); a `ProfileStats` passed in is printed at exit when it was created
with ``atexit_print=True``. ``grad_time`` accumulates the seconds spent in
``graft.grad``.
"""

from __future__ import annotations

import atexit
import sys
from collections import defaultdict
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from graft.graph.basic import Apply
    from graft.link.basic import CompiledGraph

__all__ = ["ProfileStats", "atexit_profiles", "grad_time", "print_atexit_profiles"]  # noqa: F822


def _grad_time() -> float:
    # the counter lives with grad; no gradient module loaded means no grad ran
    core = sys.modules.get("graft.gradient.core")
    return 0.0 if core is None else float(core.grad_time)


def __getattr__(name: str) -> object:
    # ``grad_time``: seconds spent in all calls to ``graft.grad`` (read-only here)
    if name == "grad_time":
        return _grad_time()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


#: Profiles printed at exit (functions compiled with ``config.profile`` on).
atexit_profiles: list[ProfileStats] = []
_atexit_registered = False


class ProfileStats:
    """Timings of one compiled function: compilation phases, calls and nodes.

    `graft.function` fills ``compile_time``, ``rewriter_time``,
    ``validate_time``, ``linker_time``, ``import_time``, ``nb_nodes`` and the
    rewriter's own profile; each call adds to ``fct_callcount`` and
    ``fct_call_time``; backends that time nodes (the reference backend does)
    give the per-Op tables. `summary` prints it all.

    Example::

        f = function([x, y], x * y + 1, profile=True)
        f(1.0, 2.0)
        f.profile.summary()     # "Function profiling" ... to stdout
    """

    def __init__(
        self,
        message: str = "",
        atexit_print: bool = False,
        print_rewriter_profile: bool = False,
    ) -> None:
        self.message = message
        self.compile_time = 0.0
        self.fct_callcount = 0
        self.fct_call_time = 0.0
        self.nb_nodes = 0
        self.rewriter_time = 0.0
        self.validate_time = 0.0
        self.linker_time = 0.0
        self.import_time = 0.0
        self.rewriter: Any = None
        self.rewriter_profile: Any = None
        self.print_rewriter_profile = print_rewriter_profile
        self.compiled: CompiledGraph | None = None
        if atexit_print:
            register_atexit(self)

    def backend_label(self) -> str:
        """``backend 'py'`` (the backend of the last function compiled with this profile)."""
        compiled = self.compiled
        linker = compiled.linker if compiled is not None else None
        if linker is None:
            return "backend unknown"
        return f"backend {linker.name or type(linker).__name__!r}"

    # -- per-node data from the backend ---------------------------------------

    def apply_times(self) -> dict[Apply, tuple[float, int]]:
        """``{node: (seconds, calls)}`` as timed by the backend (empty if it did not)."""
        compiled = self.compiled
        if compiled is None or compiled.node_times is None:
            return {}
        calls = compiled.node_calls or [self.fct_callcount] * len(compiled.nodes)
        return {node: (t, c) for node, t, c in zip(compiled.nodes, compiled.node_times, calls)}

    # -- printing -------------------------------------------------------------

    def summary(self, file: TextIO | None = None, n_ops_to_print: int = 20) -> None:
        """Print the function summary, the rewriter profile (if asked) and per-Op tables."""
        file = file or sys.stdout
        self.summary_function(file)
        from graft.configparser import config

        # Shown when profile_optimizer was on at compile time or is on now.
        show_rw = self.print_rewriter_profile or bool(config.profile_optimizer)
        if show_rw and self.rewriter is not None:
            self.summary_rewriter(file)
        times = self.apply_times()
        if times:
            self.summary_class(file, times, n_ops_to_print)
            self.summary_ops(file, times, n_ops_to_print)
            self.summary_nodes(file, times, n_ops_to_print)

    def summary_function(self, file: TextIO) -> None:
        """The "Function profiling" block (PyTensor's layout, graft's labels)."""
        p = print
        p("Function profiling", file=file)
        p("==================", file=file)
        p(f"  Message: {self.message}", file=file)
        p(
            f"  Time in {self.fct_callcount} calls to Function.__call__: {self.fct_call_time:e}s",
            file=file,
        )
        p(f"  Total compile time: {self.compile_time:e}s", file=file)
        p(f"    Number of Apply nodes: {self.nb_nodes}", file=file)
        p(f"    Graft rewriter time: {self.rewriter_time:e}s", file=file)
        p(f"       Graft validate time: {self.validate_time:e}s", file=file)
        p(f"    Graft linker time ({self.backend_label()}): {self.linker_time:e}s", file=file)
        if self.import_time:
            p(f"       Import time of generated code: {self.import_time:e}s", file=file)
        p(f"  Time in all call to graft.grad() {_grad_time():e}s", file=file)
        p("", file=file)

    def summary_rewriter(self, file: TextIO) -> None:
        """The "Rewriter Profile" block, printed by the rewriter's own format."""
        from graft.graph.rewriting.profile import print_profile

        print("Rewriter Profile", file=file)
        print("----------------", file=file)
        print_profile(file, self.rewriter, self.rewriter_profile)
        print("", file=file)

    def _table(
        self,
        file: TextIO,
        title: str,
        rows: list[tuple[float, int, int, str]],
        last: str,
        n: int,
        count_label: str = "#apply",
    ) -> None:
        total = sum(r[0] for r in rows) or 1.0
        print(title, file=file)
        print("-" * len(title), file=file)
        print(
            f"  <% time> <sum %> <apply time> <time per call> <#call> <{count_label}> <{last}>",
            file=file,
        )
        cum = 0.0
        rows = sorted(rows, key=lambda r: -r[0])
        for t, calls, napply, label in rows[:n]:
            cum += t
            per = t / calls if calls else 0.0
            print(
                f"  {100 * t / total:6.1f}%  {100 * cum / total:6.1f}%  {t:10.6f}s  "
                f"{per:12.6e}s  {calls:7d}  {napply:6d}  {label}",
                file=file,
            )
        if len(rows) > n:
            rest = sum(r[0] for r in rows[n:])
            print(
                f"   ... ({len(rows) - n} more, {100 * rest / total:.1f}% of the time)", file=file
            )
        print("", file=file)

    def summary_class(
        self, file: TextIO, times: dict[Apply, tuple[float, int]], n: int = 20
    ) -> None:
        """Time per Op class."""
        agg: dict[str, list[Any]] = defaultdict(lambda: [0.0, 0, 0])
        for node, (t, c) in times.items():
            key = f"{type(node.op).__module__}.{type(node.op).__qualname__}"
            agg[key][0] += t
            agg[key][1] += c
            agg[key][2] += 1
        self._table(
            file, "Class", [(a[0], a[1], a[2], k) for k, a in agg.items()], "Class name", n
        )

    def summary_ops(
        self, file: TextIO, times: dict[Apply, tuple[float, int]], n: int = 20
    ) -> None:
        """Time per Op (equal Ops aggregated)."""
        agg: dict[Any, list[Any]] = {}
        for node, (t, c) in times.items():
            a = agg.setdefault(node.op, [0.0, 0, 0])
            a[0] += t
            a[1] += c
            a[2] += 1
        self._table(
            file, "Ops", [(a[0], a[1], a[2], str(op)) for op, a in agg.items()], "Op name", n
        )

    def summary_nodes(
        self, file: TextIO, times: dict[Apply, tuple[float, int]], n: int = 20
    ) -> None:
        """Time per Apply node."""
        order = {node: i for i, node in enumerate(times)}
        rows = [(t, c, order[node], str(node)) for node, (t, c) in times.items()]
        self._table(file, "Apply", rows, "Apply name", n, count_label="id")


def register_atexit(profile: ProfileStats) -> None:
    """Print ``profile`` when the interpreter exits."""
    global _atexit_registered
    atexit_profiles.append(profile)
    if not _atexit_registered:
        atexit.register(print_atexit_profiles)
        _atexit_registered = True


def print_atexit_profiles(file: TextIO | None = None) -> None:
    """Print (and forget) every profile registered for printing at exit."""
    file = file or sys.stderr
    profiles = list(atexit_profiles)
    atexit_profiles.clear()
    for prof in profiles:
        prof.summary(file)
