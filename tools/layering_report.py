"""Layering report for graft-core and graft-rewrites-tensor (static, reproducible).

Counts what the core's layering rules are about, from the package sources
alone (``ast``/``tokenize``; nothing is imported except for the timing):

- import cycles: strongly connected components (size > 1) of the module-level
  import graph of ``graft``. An edge ``a -> b`` is an import statement at
  module level of ``a`` (``if TYPE_CHECKING:`` blocks excluded) that names
  module ``b`` (``from pkg import name`` names ``pkg.name`` when that is a
  module, else ``pkg``). Parent packages run first on import but are not
  counted as edges: they are what the package ``__init__`` re-exports.
- upward imports: module-level imports from a lower layer to a higher one
  (see ``LAYERS``); in-function imports are listed separately.
- in-function imports: import statements inside a function body, of graft
  modules (deliberately lazy third-party imports are counted on their own).
- ``Any``: uses of the name ``Any`` (``typing.Any``) in code and annotations.
- ``type: ignore``: comments carrying it.
- ``import graft``: best-of-N wall time in a fresh interpreter, and whether it
  imported any module that must stay lazy.

Example::

    python tools/layering_report.py            # table
    python tools/layering_report.py --json     # machine-readable
    python tools/layering_report.py --verbose  # plus the cycles and edges
"""

from __future__ import annotations

import argparse
import ast
import io
import json
import subprocess
import sys
import time
import tokenize
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORE = ROOT / "packages" / "core" / "src"
PLUGIN = ROOT / "packages" / "rewrites-tensor" / "src"

# Layer of each top-level part of graft, bottom (0) to top; a module-level
# import may only point to the same or a lower layer.
LAYERS: dict[str, int] = {
    "graft.errors": 0,
    "graft.configparser": 0,
    "graft._fpe": 0,
    "graft._gc": 0,
    "graft._version": 0,
    "graft.graph": 1,
    "graft.scalar": 2,
    # the gradient's marker types: Ops of every layer above return them
    "graft.gradient.types": 2,
    "graft.raise_op": 3,
    "graft.tensor": 3,
    "graft.gradient": 3,
    "graft.link": 4,
    "graft.plugins": 4,
    # printing builds on graph and scalar; tensor registers its printers into it
    "graft.printing": 2,
    "graft.compile": 5,
    "graft.ifelse": 5,
    "graft.scan": 5,
    "graft.testing": 6,
    "graft._post_import": 7,
    # the built-in plugin registers pieces of every layer, as any plugin may
    "graft.plugins.builtin": 7,
    "graft.__main__": 7,
    "graft": 7,
}

# Imported lazily on purpose: ``import graft`` must not import these.
MUST_STAY_LAZY = ("importlib.metadata", "pluggy", "numba", "jax")


def layer_of(module: str) -> int:
    """The layer of ``module``: that of its longest prefix in ``LAYERS``."""
    parts = module.split(".")
    for end in range(len(parts), 0, -1):
        key = ".".join(parts[:end])
        if key in LAYERS:
            return LAYERS[key]
    return LAYERS["graft"]


def module_files(src: Path, package: str) -> dict[str, Path]:
    """Map dotted module name -> file for every module of ``package``."""
    out: dict[str, Path] = {}
    for path in sorted((src / package).rglob("*.py")):
        rel = path.relative_to(src).with_suffix("")
        parts = list(rel.parts)
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path
    return out


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


@dataclass
class ImportSite:
    """One import statement: where, what, and whether it sits in a function."""

    module: str
    line: int
    targets: list[str]
    in_function: bool


def _resolve(node: ast.Import | ast.ImportFrom, module: str, is_pkg: bool) -> list[str]:
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    base = node.module or ""
    if node.level:
        parts = module.split(".")
        keep = len(parts) - node.level + (1 if is_pkg else 0)
        base = ".".join(parts[:keep] + ([base] if base else []))
    return [base] + [f"{base}.{alias.name}" for alias in node.names]


def import_sites(modules: dict[str, Path]) -> Iterator[ImportSite]:
    """Every import statement of every module, with its function context."""
    for module, path in modules.items():
        tree = ast.parse(path.read_text(), str(path))
        is_pkg = path.name == "__init__.py"
        stack: list[tuple[ast.AST, bool]] = [(tree, False)]
        while stack:
            node, in_fn = stack.pop()
            if isinstance(node, ast.If) and _is_type_checking(node.test):
                stack.extend((child, in_fn) for child in node.orelse)
                continue
            if isinstance(node, ast.Import | ast.ImportFrom):
                yield ImportSite(module, node.lineno, _resolve(node, module, is_pkg), in_fn)
                continue
            fn = in_fn or isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda)
            stack.extend((child, fn) for child in ast.iter_child_nodes(node))


def edges_of(site: ImportSite, known: set[str]) -> set[str]:
    """The modules of ``known`` that an import statement names."""
    found: set[str] = set()
    if not site.targets:
        return found
    head, *names = site.targets
    if not names:  # ``import a.b.c``
        for target in site.targets:
            if target in known:
                found.add(target)
        return found
    for name in names:
        if name in known:
            found.add(name)
        elif head in known:
            found.add(head)
    return found


def strongly_connected(graph: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's algorithm, iteratively; components of more than one module."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    components: list[list[str]] = []
    counter = 0
    for root in sorted(graph):
        if root in index:
            continue
        work: list[tuple[str, Iterator[str]]] = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            advanced = False
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                    advanced = True
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            if advanced:
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                comp: list[str] = []
                while True:
                    top = stack.pop()
                    on_stack.discard(top)
                    comp.append(top)
                    if top == node:
                        break
                if len(comp) > 1:
                    components.append(sorted(comp))
    return sorted(components, key=len, reverse=True)


def count_any_and_ignores(files: list[Path]) -> tuple[int, int]:
    """Uses of ``Any`` and ``type: ignore`` comments in ``files``."""
    n_any = n_ignore = 0
    for path in files:
        source = path.read_text()
        for node in ast.walk(ast.parse(source)):
            if (isinstance(node, ast.Name) and node.id == "Any") or (
                isinstance(node, ast.Attribute) and node.attr == "Any"
            ):
                n_any += 1
        for tok in tokenize.generate_tokens(io.StringIO(source).readline):
            if tok.type == tokenize.COMMENT and "type: ignore" in tok.string:
                n_ignore += 1
    return n_any, n_ignore


@dataclass
class Report:
    """The counts, and the details behind them."""

    cycles: list[list[str]] = field(default_factory=list)
    cycles_with_lazy: list[list[str]] = field(default_factory=list)
    upward: list[str] = field(default_factory=list)
    upward_lazy: list[str] = field(default_factory=list)
    in_function_graft: int = 0
    in_function_other: int = 0
    core_any: int = 0
    core_ignores: int = 0
    plugin_any: int = 0
    plugin_ignores: int = 0
    plugin_in_function_graft: int = 0
    import_seconds: float = 0.0
    lazy_imported: list[str] = field(default_factory=list)
    in_function_sites: list[str] = field(default_factory=list)


def time_import(repeat: int) -> tuple[float, list[str]]:
    """Best-of-``repeat`` wall time of ``import graft`` in a fresh interpreter."""
    probe = (
        "import sys, time; t = time.perf_counter(); import graft; "
        "d = time.perf_counter() - t; "
        f"bad = [m for m in {MUST_STAY_LAZY!r} if m in sys.modules]; print(d, *bad)"
    )
    best = float("inf")
    bad: list[str] = []
    for _ in range(repeat):
        out = subprocess.run(
            [sys.executable, "-c", probe], check=True, capture_output=True, text=True
        ).stdout.split()
        best = min(best, float(out[0]))
        bad = out[1:]
    return best, bad


def _excluded(module: str, exclude: tuple[str, ...]) -> bool:
    return any(module == e or module.startswith(e + ".") for e in exclude)


def build_report(repeat: int, exclude: tuple[str, ...] = ()) -> Report:
    """Compute every count of the report (modules under ``exclude`` left out)."""
    report = Report()
    core = {m: p for m, p in module_files(CORE, "graft").items() if not _excluded(m, exclude)}
    known = set(core)
    graph: dict[str, set[str]] = {m: set() for m in core}
    # the same graph plus in-function imports: the dependencies a lazy import hides
    full: dict[str, set[str]] = {m: set() for m in core}
    for site in import_sites(core):
        targets = edges_of(site, known)
        if site.in_function:
            if targets:
                report.in_function_graft += 1
                report.in_function_sites.append(f"{site.module}:{site.line} -> {sorted(targets)}")
            else:
                report.in_function_other += 1
        for target in targets - {site.module}:
            full[site.module].add(target)
            upward = layer_of(target) > layer_of(site.module)
            if site.in_function:
                if upward:
                    report.upward_lazy.append(f"{site.module}:{site.line} -> {target}")
                continue
            graph[site.module].add(target)
            if upward:
                report.upward.append(f"{site.module}:{site.line} -> {target}")
    report.cycles = strongly_connected(graph)
    report.cycles_with_lazy = strongly_connected(full)
    report.core_any, report.core_ignores = count_any_and_ignores(list(core.values()))
    plugin = module_files(PLUGIN, "graft_rewrites_tensor")
    report.plugin_any, report.plugin_ignores = count_any_and_ignores(list(plugin.values()))
    known_all = known | set(plugin)
    report.plugin_in_function_graft = sum(
        1 for s in import_sites(plugin) if s.in_function and edges_of(s, known_all)
    )
    if repeat:
        report.import_seconds, report.lazy_imported = time_import(repeat)
    return report


def main(argv: list[str] | None = None) -> int:
    """Print the report; ``--json`` for a machine-readable one."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--verbose", action="store_true")
    parser.add_argument("--repeat", type=int, default=15, help="import timings (0: skip)")
    parser.add_argument(
        "--exclude",
        default="",
        help="comma-separated module prefixes to leave out (e.g. modules added since a baseline)",
    )
    args = parser.parse_args(argv)
    start = time.perf_counter()
    exclude = tuple(e.strip() for e in args.exclude.split(",") if e.strip())
    report = build_report(args.repeat, exclude)
    if args.json:
        print(json.dumps(report.__dict__, indent=1))
        return 0
    rows = [
        ("import cycles (sizes)", f"{len(report.cycles)} {[len(c) for c in report.cycles]}"),
        (
            "import cycles, in-function imports included (sizes)",
            f"{len(report.cycles_with_lazy)} {[len(c) for c in report.cycles_with_lazy]}",
        ),
        ("upward module-level imports", str(len(report.upward))),
        ("upward in-function imports", str(len(report.upward_lazy))),
        ("in-function imports of graft modules (core)", str(report.in_function_graft)),
        ("in-function imports of other modules (core)", str(report.in_function_other)),
        (
            "in-function imports of graft modules (rewrites-tensor)",
            str(report.plugin_in_function_graft),
        ),
        ("Any (core)", str(report.core_any)),
        ("type: ignore (core)", str(report.core_ignores)),
        ("Any (rewrites-tensor)", str(report.plugin_any)),
        ("type: ignore (rewrites-tensor)", str(report.plugin_ignores)),
    ]
    if args.repeat:
        rows.append(
            (f"import graft, best of {args.repeat} (ms)", f"{report.import_seconds * 1e3:.1f}")
        )
        rows.append(
            ("import graft imports (must stay lazy)", ", ".join(report.lazy_imported) or "none")
        )
    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        print(f"{name:<{width}}  {value}")
    if args.verbose:
        for comp in report.cycles:
            print(f"\ncycle of {len(comp)}:", *comp, sep="\n  ")
        for comp in report.cycles_with_lazy:
            print(f"\ncycle of {len(comp)}, in-function imports included:", *comp, sep="\n  ")
        print("\nupward imports:", *report.upward, sep="\n  ")
        print("\nupward in-function imports:", *report.upward_lazy, sep="\n  ")
        print("\nin-function imports of graft modules:", *report.in_function_sites, sep="\n  ")
    print(f"\n({time.perf_counter() - start:.1f} s)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
