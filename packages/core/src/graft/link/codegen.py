"""The whole-graph base that code-generating backends share: graph → source → compile → callable.

A `CodegenLinker` subclass supplies a `RuleTable` of *source rules* and two
hooks; the base does the rest, identically for every backend:

1. **Plan.** Walk the rewritten graph in run order. Each node's rule is
   called as ``rule(node, ins, outs, em)`` with the identifiers of its input
   and output variables and an `Emitter`; it returns the lines that compute
   the outputs, or None when it cannot handle this node. Consecutive handled
   nodes form one compiled *segment*; a node without a rule runs in a Python
   fallback step (its own ``perform``) between segments, with one warning per
   Op class (``config.backend_fallback``: ``"warn"``, ``"ignore"`` or
   ``"raise"``). A graph every node of which has a rule is one segment.
2. **Source.** Identifiers are derived (``v0, v1, ...`` for variables,
   ``g0, ...`` for globals such as constants); user strings (variable names)
   never enter the source except escaped in comments (`comment`).
3. **Cache and compile.** The source is written to the private disk cache
   under the graph's content key (`graft.link.cache_key.graph_key` with the
   backend's `cache_salt`), then `load` turns it into callables (importing
   the file as a module and jitting, building an extension...).
4. **Call.** `prepare_input` / `finish_output` convert values at the edge
   (a device-array backend keeps its arrays on the device). A compiled
   segment that raises is replayed node by node with the Ops' own
   ``perform`` to find the failing node, so the error names the Op, the
   input shapes and the user's line, as on the reference backend.

Example (a complete toy backend that generates Python and runs it as is)::

    from graft.link.codegen import CodegenLinker, load_python_module
    from graft.link.dispatch import RuleTable
    from graft.tensor.elemwise import Elemwise

    class PyGen(CodegenLinker):
        name = "pygen"
        rules = RuleTable("pygen")

        def load(self, path, source, segments, em):
            module = load_python_module(path, source)
            for name, value in em.globals.items():
                setattr(module, name, value)
            return [getattr(module, seg.entry) for seg in segments]

    @PyGen.rules.register(Elemwise)
    def elemwise(node, ins, outs, em):
        if len(outs) != 1:
            return None                       # this node runs through perform instead
        np_name = em.add_global(np, "np")
        f = em.add_global(node.op.scalar_op.ufunc, "ufunc")
        dtype = node.outputs[0].type.dtype   # a dtype name: safe to paste as a literal
        return [f"{outs[0]} = {np_name}.asarray({f}({', '.join(ins)}), dtype={dtype!r})"]
"""

from __future__ import annotations

import hashlib
import importlib.util
import sys
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from time import perf_counter
from types import ModuleType
from typing import TYPE_CHECKING, Any, ClassVar

from graft.graph.basic import Apply, Constant, Variable
from graft.link.basic import CompiledGraph, Linker, raise_node_error
from graft.link.cache_key import graph_key
from graft.link.dispatch import RuleTable

if TYPE_CHECKING:
    from graft.graph.fg import FunctionGraph
    from graft.graph.op import Op

__all__ = [
    "BackendFallbackWarning",
    "CodegenLinker",
    "Emitter",
    "Segment",
    "comment",
    "load_python_module",
    "perform_segment",
]


class BackendFallbackWarning(UserWarning):
    """A backend runs some Op through its Python ``perform`` (no rule for it)."""


def comment(text: object, limit: int = 120) -> str:
    """``text`` made safe for a one-line comment in any generated language.

    Only printable ASCII is kept (everything else escaped as by ``repr``), comment
    terminators are broken up, and the result is cut to ``limit`` characters.

    Example::

        comment("x\\n*/ evil")   # "'x\\\\n* / evil'"
    """
    safe = ascii(str(text))
    safe = safe.replace("*/", "* /").replace("/*", "/ *").replace("\\", "\\\\")
    return safe if len(safe) <= limit else safe[: limit - 3] + "..."


class Emitter:
    """Per-graph generation state handed to every rule: fresh names, globals, imports.

    Example (inside a rule)::

        acc = em.fresh("acc")                 # "acc3"
        c = em.add_global(np.eye(3), "eye")   # "g_eye0", bound in the module at load
        em.add_import("import numpy as np")
    """

    def __init__(self) -> None:
        self.globals: dict[str, Any] = {}
        self.imports: list[str] = []
        self._ids: dict[int, str] = {}
        self._n = 0

    def fresh(self, hint: str = "t") -> str:
        """A new identifier, ``hint`` (an identifier the rule chose) plus a number."""
        if not hint.isidentifier():
            raise ValueError(f"Emitter.fresh: hint {hint!r} is not an identifier")
        self._n += 1
        return f"{hint}{self._n}"

    def add_global(self, value: Any, hint: str = "g") -> str:
        """The identifier under which ``value`` is a module global (one per object)."""
        key = id(value)
        if key not in self._ids:
            name = self.fresh(f"g_{hint}")
            self._ids[key] = name
            self.globals[name] = value
        return self._ids[key]

    def add_import(self, line: str, name: str = "") -> str:
        """Add a module-level import line (once); returns ``name`` for convenience."""
        if line not in self.imports:
            self.imports.append(line)
        return name


@dataclass
class Segment:
    """Consecutive nodes compiled into one function ``entry(*params) -> results``.

    ``params``/``results`` are variables (read from/written to the driver's
    slots); ``node_lines`` the lines each node's rule produced. When a
    segment is outlined (see `CodegenLinker.outline_after`), each node's
    lines form a module-level function named in ``helpers``, which the
    segment calls; a backend compiles the helpers before the segment.
    """

    entry: str
    nodes: list[Apply] = field(default_factory=list)
    node_lines: list[list[str]] = field(default_factory=list)
    params: list[Variable] = field(default_factory=list)
    results: list[Variable] = field(default_factory=list)
    helpers: list[str] = field(default_factory=list)


Step = tuple[Any, ...]


class CodegenLinker(Linker):
    """Base of the code-generating backends (see the module docstring).

    Subclasses set ``name`` and ``rules`` and implement `load`; they may
    override `assemble` (the source of a whole module, Python by default),
    `cache_salt`, `prepare_input`, `finish_output` and `source_suffix`.
    """

    rules: ClassVar[RuleTable[Any]]
    source_suffix: ClassVar[str] = ".py"
    #: Segments with more nodes than this put each node in its own function, so that a
    #: compiler whose cost grows faster than the function's size compiles many small
    #: functions instead of one large one (None: never).
    outline_after: ClassVar[int | None] = None

    # -- hooks -------------------------------------------------------------

    def cache_salt(self) -> tuple[str, ...]:
        """Everything besides the graph that the compiled code depends on (versions, flags)."""
        return (self.name,)

    def load(
        self, path: Path | None, source: str, segments: list[Segment], em: Emitter
    ) -> list[Any]:
        """Compile ``source`` (written at ``path`` when the cache is usable) into one callable
        per segment (its function is named ``segment.entry``; ``segment.params`` are the
        variables it is called with, so their types give its signature)."""
        raise NotImplementedError(f"{type(self).__name__}.load")

    def prepare_input(self, value: Any) -> Any:
        """Convert one input value (already filtered by its type) for compiled code."""
        return value

    def finish_output(self, value: Any) -> Any:
        """Convert one value that compiled code returned into what the user gets."""
        return value

    def assemble(self, segments: list[Segment], em: Emitter, names: dict[Variable, str]) -> str:
        """The module source: imports, then one Python function per segment."""
        out = ["# Generated by graft; do not edit.", *em.imports, ""]
        for seg in segments:
            body: list[str] = []
            outline = self.outline_after is not None and len(seg.nodes) > self.outline_after
            for k, (node, lines) in enumerate(zip(seg.nodes, seg.node_lines)):
                if not outline:
                    body.append(f"# {comment(node.op)}")
                    body.extend(lines)
                    continue
                helper = f"{seg.entry}_n{k}"
                seg.helpers.append(helper)
                args = list(
                    dict.fromkeys(names[v] for v in node.inputs if not isinstance(v, Constant))
                )
                outs = [names[v] for v in node.outputs]
                out.append(f"def {helper}({', '.join(args)}):")
                out.append(f"    # {comment(node.op)}")
                out.extend(f"    {line}" for line in lines)
                out.append(f"    return ({', '.join(outs)},)")
                out.append("")
                body.append(f"{', '.join(outs)}, = {helper}({', '.join(args)})")
            params = ", ".join(names[v] for v in seg.params)
            out.append(f"def {seg.entry}({params}):")
            out.extend(f"    {line}" for line in body or ["pass"])
            results = ", ".join(names[v] for v in seg.results)
            out.append(f"    return ({results}{',' if len(seg.results) == 1 else ''})")
            out.append("")
        return "\n".join(out)

    # -- the shared part ---------------------------------------------------

    def supports(self, op: Op) -> bool:
        return self.rules.lookup(op) is not None or type(op).perform is not _op_perform()

    def compile(self, fgraph: FunctionGraph, *, profile: Any = None) -> CompiledGraph:
        self.check_supported(fgraph)
        em = Emitter()
        names: dict[Variable, str] = {}
        for k, v in enumerate(fgraph.inputs):
            names[v] = f"v{k}"

        def name(v: Variable) -> str:
            if v not in names:
                if isinstance(v, Constant):
                    names[v] = em.add_global(v.data, "const")
                else:
                    names[v] = f"v{len(names)}"
            return names[v]

        # Plan: segments of nodes with rules, Python steps for the rest.
        plan: list[Segment | Apply] = []
        fallback: list[Apply] = []
        for node in fgraph.toposort():
            rule = self.rules.lookup(node.op)
            ins = [name(v) for v in node.inputs]
            outs = [name(v) for v in node.outputs]
            lines = rule(node, ins, outs, em) if rule is not None else None
            if lines is None:
                plan.append(node)
                fallback.append(node)
                continue
            if not plan or not isinstance(plan[-1], Segment):
                plan.append(Segment(entry=f"graft_segment{len(plan)}"))
            seg = plan[-1]
            assert isinstance(seg, Segment)
            seg.nodes.append(node)
            seg.node_lines.append(list(lines))
        for v in fgraph.outputs:
            name(v)
        if fallback:
            self._fallback(fallback)
        segments = [p for p in plan if isinstance(p, Segment)]
        _wire(segments, plan, fgraph)
        if len(plan) == 1 and segments:
            # One segment computes everything: its parameters are the graph's inputs.
            segments[0].params = list(fgraph.inputs)
        source = self.assemble(segments, em, names)
        key = graph_key(fgraph, salt=self.cache_salt())
        cacheable = key is not None
        if key is None:
            key = hashlib.sha256(source.encode()).hexdigest()
        path = None
        if cacheable:
            from graft.link.diskcache import write_entry

            path = write_entry(self.name, key, self.source_suffix, source)
        t0 = perf_counter()
        fns = self.load(path, source, segments, em) if segments else []
        load_time = perf_counter() - t0
        call = self._driver(fgraph, plan, segments, fns)
        return CompiledGraph(call, fgraph, linker=self, import_time=load_time)

    def native_source(
        self, fgraph: FunctionGraph, entry: str
    ) -> tuple[str, Segment, Emitter] | None:
        """The module source of ``fgraph`` as ONE function ``entry(*inputs) -> outputs``,
        or None when some node has no rule (no Python fallback steps here).

        What a backend uses to compile an inner graph (a loop body, a branch) into a
        function its generated code can call.
        """
        em = Emitter()
        names: dict[Variable, str] = {v: f"v{k}" for k, v in enumerate(fgraph.inputs)}

        def name(v: Variable) -> str:
            if v not in names:
                names[v] = (
                    em.add_global(v.data, "const") if isinstance(v, Constant) else f"v{len(names)}"
                )
            return names[v]

        seg = Segment(entry=entry, params=list(fgraph.inputs), results=list(fgraph.outputs))
        for node in fgraph.toposort():
            rule = self.rules.lookup(node.op)
            ins = [name(v) for v in node.inputs]
            outs = [name(v) for v in node.outputs]
            lines = rule(node, ins, outs, em) if rule is not None else None
            if lines is None:
                return None
            seg.nodes.append(node)
            seg.node_lines.append(list(lines))
        for v in fgraph.outputs:
            name(v)
        return self.assemble([seg], em, names), seg, em

    def _fallback(self, nodes: list[Apply]) -> None:
        from graft.configparser import config

        policy = config.backend_fallback
        ops = sorted({type(n.op).__qualname__ for n in nodes})
        if policy == "raise":
            from graft.link.basic import UnsupportedOpError

            raise UnsupportedOpError(
                f"backend {self.name!r} has no rule for {', '.join(ops)} "
                "(config.backend_fallback='raise'; set it to 'warn' to run them in Python)"
            )
        if policy == "ignore":
            return
        new = [op for op in ops if (self.name, op) not in _WARNED]
        if new:
            _WARNED.update((self.name, op) for op in new)
            warnings.warn(
                f"backend {self.name!r} runs {', '.join(new)} through Python (no compiled rule); "
                "results are right but those nodes are not compiled",
                BackendFallbackWarning,
                stacklevel=4,
            )

    def _driver(
        self,
        fgraph: FunctionGraph,
        plan: list[Segment | Apply],
        segments: list[Segment],
        fns: list[Callable[..., Any]],
    ) -> Callable[..., list[Any]]:
        prep, fin = self.prepare_input, self.finish_output
        identity_in = type(self).prepare_input is CodegenLinker.prepare_input
        identity_out = type(self).finish_output is CodegenLinker.finish_output
        if len(plan) == 1 and segments and all(v in segments[0].results for v in fgraph.outputs):
            (seg,) = segments
            (fn,) = fns
            out_pos = [seg.results.index(v) for v in fgraph.outputs]
            simple = identity_in and identity_out and out_pos == list(range(len(seg.results)))

            def call(*args: Any) -> list[Any]:
                if not identity_in:
                    args = tuple(prep(a) for a in args)
                try:
                    res = fn(*args)
                except Exception as exc:
                    _replay(seg, dict(zip(seg.params, args)), exc)
                    raise
                if simple:
                    return list(res)
                return [fin(res[i]) for i in out_pos]

            return call
        return _general_driver(fgraph, plan, fns, prep, fin, identity_in, identity_out)


_WARNED: set[tuple[str, str]] = set()


def _op_perform() -> Any:
    from graft.graph.op import Op

    return Op.perform


def _wire(segments: list[Segment], plan: list[Segment | Apply], fgraph: FunctionGraph) -> None:
    """Fill each segment's params (values it reads from outside) and results (values read later)."""
    needed_later: set[Variable] = set(fgraph.outputs)
    # Walk backwards: a segment's results are its outputs that later steps or the graph read.
    for step in reversed(plan):
        nodes = step.nodes if isinstance(step, Segment) else [step]
        produced = {o for n in nodes for o in n.outputs}
        if isinstance(step, Segment):
            step.results = [o for n in nodes for o in n.outputs if o in needed_later]
            reads = [v for n in nodes for v in n.inputs]
            step.params = list(
                dict.fromkeys(
                    v for v in reads if v not in produced and not isinstance(v, Constant)
                )
            )
            # A segment also passes through graph outputs it does not compute but returns.
            needed_later -= produced
            needed_later.update(step.params)
        else:
            needed_later -= produced
            needed_later.update(v for v in step.inputs if not isinstance(v, Constant))


def _perform(node: Apply, env: dict[Variable, Any]) -> None:
    """Run ``node``'s own ``perform`` on the values in ``env`` and store its outputs there;
    an error names the node (as on the reference backend)."""
    import numpy as np

    ins = [v.data if isinstance(v, Constant) else env[v] for v in node.inputs]
    storage: list[list[Any]] = [[None] for _ in node.outputs]
    try:
        with np.errstate(all="ignore"):
            node.op.perform(node, ins, storage)
    except Exception as e:
        raise_node_error(e, node, ins)
    for o, st in zip(node.outputs, storage):
        env[o] = st[0]


def perform_segment(seg: Segment) -> Callable[..., tuple[Any, ...]]:
    """A callable that computes ``seg`` with its nodes' own ``perform`` (same signature as
    the compiled segment): what a backend uses for a segment it failed to compile."""

    def run(*args: Any) -> tuple[Any, ...]:
        env: dict[Variable, Any] = dict(zip(seg.params, args))
        for node in seg.nodes:
            _perform(node, env)
        return tuple(env[v] for v in seg.results)

    return run


def _replay(seg: Segment, values: dict[Variable, Any], exc: BaseException) -> None:
    """Run ``seg``'s nodes with their own ``perform`` to name the node that fails.

    Raises that node's error (as the reference backend would); returns when
    every node runs, leaving the caller to re-raise the compiled code's error.
    """
    perform_segment(seg)(*(values[v] for v in seg.params))
    exc.add_note("(graft: the compiled code raised where the Ops' own perform did not)")


def _general_driver(
    fgraph: FunctionGraph,
    plan: list[Segment | Apply],
    fns: list[Callable[..., Any]],
    prep: Callable[[Any], Any],
    fin: Callable[[Any], Any],
    identity_in: bool,
    identity_out: bool,
) -> Callable[..., list[Any]]:
    """Segments and Python fallback steps, in order, over a dict of values."""
    inputs = list(fgraph.inputs)
    outputs = list(fgraph.outputs)
    steps: list[Step] = []
    it = iter(fns)
    for p in plan:
        if isinstance(p, Segment):
            steps.append(("seg", p, next(it)))
        else:
            steps.append(("py", p))

    def call(*args: Any) -> list[Any]:
        env: dict[Variable, Any] = dict(zip(inputs, args))
        for step in steps:
            if step[0] == "seg":
                _, seg, fn = step
                vals = [env[v] for v in seg.params]
                try:
                    res = fn(*(vals if identity_in else [prep(v) for v in vals]))
                except Exception as exc:
                    _replay(seg, dict(zip(seg.params, vals)), exc)
                    raise
                for v, r in zip(seg.results, res):
                    env[v] = r if identity_out else fin(r)
            else:
                _perform(step[1], env)
        return [v.data if isinstance(v, Constant) else env[v] for v in outputs]

    return call


_UNNAMED = 0


def load_python_module(path: Path | None, source: str, name: str | None = None) -> ModuleType:
    """Import generated Python ``source`` as a module (from ``path`` when given, so tools
    that cache by source file, such as numba, can), registered in ``sys.modules``."""
    if name is None:
        if path is None:
            # Nothing identifies this code beyond the call: a fresh module every time.
            global _UNNAMED
            _UNNAMED += 1
            name = f"graft_generated_unnamed{_UNNAMED}"
        else:
            # Two graphs that differ only in constants share their source (constants are
            # globals set after loading) but not their cache entry: name by the entry.
            digest = hashlib.sha256(f"{path}\0{source}".encode()).hexdigest()[:24]
            name = f"graft_generated_{digest}"
    if name in sys.modules:
        return sys.modules[name]
    if path is not None:
        spec = importlib.util.spec_from_file_location(name, path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        try:
            spec.loader.exec_module(module)
        except SyntaxError:
            # A truncated or corrupt entry: rebuild it from the source we hold.
            from graft.link.diskcache import discard

            discard(path)
            module = ModuleType(name)
            exec(compile(source, f"<graft {name}>", "exec"), module.__dict__)
    else:
        module = ModuleType(name)
        exec(compile(source, f"<graft {name}>", "exec"), module.__dict__)
    sys.modules[name] = module
    return module
