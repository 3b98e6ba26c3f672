"""The backend protocol: a `Linker` turns a whole `FunctionGraph` into a `CompiledGraph`.

`graft.function` rewrites a graph, then hands it to the linker of the mode's
backend. A backend is a `Linker` subclass registered through the
``graft_register_backends`` plugin hook (see `Linker` for a complete example);
third parties implement it in their own distribution. The helpers here
(`node_error`, `describe_node`) let every backend report runtime failures the
same way.
"""

from __future__ import annotations

import contextlib
import linecache
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, NoReturn

if TYPE_CHECKING:
    from graft.compile.profiling import ProfileStats
    from graft.graph.basic import Apply
    from graft.graph.fg import FunctionGraph
    from graft.graph.op import Op

__all__ = [
    "CompiledGraph",
    "Linker",
    "UnsupportedOpError",
    "describe_node",
    "node_error",
    "raise_node_error",
]


class UnsupportedOpError(NotImplementedError):
    """A backend was asked to compile a graph holding Ops it cannot run."""


class CompiledGraph:
    """What `Linker.compile` returns: a callable plus what profiling needs.

    ``fn(*input_values)`` takes one value per ``fgraph.inputs`` (already
    filtered by their types, in that order) and returns the list of output
    values, one per ``fgraph.outputs``. Calling the `CompiledGraph` itself does
    the same; `graft.function` calls ``fn`` directly to save a Python frame.

    Profiling attributes (all optional for a backend):

    - ``nodes``: the Apply nodes in the order they run;
    - ``node_times``: seconds spent in each of ``nodes``, accumulated over
      calls (``None`` when the backend does not time nodes);
    - ``node_calls``: how many times each node ran (``None``: once per call);
    - ``import_time``: seconds spent importing generated code (part of the
      linker time in profiles).

    Example::

        compiled = ReferenceLinker().compile(fgraph)
        compiled(2.0, 3.0)           # [np.float64(7.0)]
    """

    __slots__ = ("fgraph", "fn", "import_time", "linker", "node_calls", "node_times", "nodes")

    def __init__(
        self,
        fn: Callable[..., list[Any]],
        fgraph: FunctionGraph,
        *,
        nodes: Sequence[Apply] | None = None,
        node_times: list[float] | None = None,
        node_calls: list[int] | None = None,
        import_time: float = 0.0,
        linker: Linker | None = None,
    ) -> None:
        self.fn = fn
        self.fgraph = fgraph
        self.nodes: list[Apply] = list(nodes) if nodes is not None else fgraph.toposort()
        self.node_times = node_times
        self.node_calls = node_calls
        self.import_time = import_time
        self.linker = linker

    def __call__(self, *inputs: Any) -> list[Any]:
        return self.fn(*inputs)

    def __repr__(self) -> str:
        backend = self.linker.name if self.linker is not None else "?"
        return f"<CompiledGraph backend={backend!r} nodes={len(self.nodes)}>"


class Linker:
    """A backend: compiles a whole `FunctionGraph` into a `CompiledGraph`.

    Contract:

    - ``compile(fgraph, *, profile=None)`` gets a rewritten graph and returns a
      `CompiledGraph` whose ``fn(*values)`` takes one already-filtered value
      per ``fgraph.inputs`` and returns the list of ``fgraph.outputs`` values.
      Outputs may be graph inputs or constants. The graph must not be
      modified afterwards.
    - Buffers: an output may share memory with an input or another output
      only as the graph's ``view_map``/``destroy_map`` say; ``graft.function``
      copies exactly those that could alias something the caller or a shared
      variable keeps (`graft.compile.aliasing`). So ``fn`` must return a new
      buffer for every other output on every call: never a buffer it keeps
      and overwrites in a later call. When ``profile`` is not None (a
      `graft.compile.profiling.ProfileStats`), time each node into
      ``node_times`` if the backend can.
    - A runtime error in a node should go through `raise_node_error`, so the
      message names the Op, the input shapes/dtypes and the user's line that
      built the node.
    - ``name`` is the registered backend name; ``required_rewrite_tags`` are
      optdb tags the backend needs (added to every mode's ``include``, and
      run even when the mode does no other rewriting); ``excluded_rewrite_tags``
      are removed from every query (e.g. ``"inplace"`` for a backend without
      in-place updates).
    - ``supports(op)`` says whether the backend can run ``op``;
      `check_supported` turns unsupported nodes into one clear error.
    - Fused ops the tensor rewrites build are part of this contract: a
      ``FAST_RUN`` graph may hold `graft.tensor.fused_reduce.ElemwiseReduce`
      (a reduction fused with its elementwise map). Every backend either runs
      it (natively, or through ``ElemwiseReduce.unfused``, the equivalent
      two-node graph) or lists the tag of the rewrite that builds it,
      ``"reduce_fusion"``, in ``excluded_rewrite_tags``. The conformance kit
      (`graft.testing.backend`) has ElemwiseReduce cases over every axis set.
    - A linker is created with no arguments by the backend registry and may be
      reused for many graphs; keep per-graph state in the closure of ``fn``.

    Example: a complete backend that evaluates add/mul graphs with NumPy
    ufuncs, registered by a plugin::

        # my_backend/linker.py
        import numpy as np
        from graft.link.basic import CompiledGraph, Linker, raise_node_error

        class UfuncLinker(Linker):
            name = "ufunc"
            required_rewrite_tags = ()
            excluded_rewrite_tags = ("inplace",)
            UFUNCS = {"add": np.add, "mul": np.multiply}

            def supports(self, op):
                return getattr(op, "name", None) in self.UFUNCS

            def compile(self, fgraph, *, profile=None):
                self.check_supported(fgraph)
                slot = {v: i for i, v in enumerate(fgraph.inputs)}
                env0 = [None] * len(slot)
                program = []
                for node in fgraph.toposort():
                    for v in node.inputs:
                        if v not in slot:          # a constant
                            slot[v] = len(env0)
                            env0.append(v.data)
                    (out,) = node.outputs
                    slot[out] = len(env0)
                    env0.append(None)
                    program.append((self.UFUNCS[node.op.name], node,
                                    [slot[v] for v in node.inputs], slot[out]))
                for v in fgraph.outputs:
                    if v not in slot:
                        slot[v] = len(env0)
                        env0.append(v.data)
                n_in = len(fgraph.inputs)
                out_slots = [slot[v] for v in fgraph.outputs]

                def fn(*args):
                    env = list(env0)
                    env[:n_in] = args
                    for ufunc, node, ins, out in program:
                        values = [env[i] for i in ins]
                        try:
                            env[out] = ufunc(*values)
                        except Exception as exc:
                            raise_node_error(exc, node, values)
                    return [env[i] for i in out_slots]

                return CompiledGraph(fn, fgraph, linker=self)

        # my_backend/plugin.py (entry point: [project.entry-points.graft] ufunc = "my_backend.plugin")
        GRAFT_PLUGIN_API = "1.0"

        def graft_register_backends(registry):
            registry.register("ufunc", linker="my_backend.linker:UfuncLinker", priority=1)

    ``graft.function(..., mode="UFUNC")`` (or ``Mode(linker="ufunc")``) then
    compiles with it.
    """

    name: ClassVar[str] = ""
    required_rewrite_tags: ClassVar[tuple[str, ...]] = ()
    excluded_rewrite_tags: ClassVar[tuple[str, ...]] = ()

    def supports(self, op: Op) -> bool:
        """Whether this backend can run ``op`` (default: every Op)."""
        return True

    def unsupported_nodes(self, fgraph: FunctionGraph) -> list[Apply]:
        """The nodes of ``fgraph`` whose Op `supports` refuses, in run order."""
        supports = self.supports
        bad = {node for node in fgraph.apply_nodes if not supports(node.op)}
        return [node for node in fgraph.toposort() if node in bad] if bad else []

    def check_supported(self, fgraph: FunctionGraph) -> None:
        """Raise `UnsupportedOpError` naming every unsupported Op and where it was built."""
        bad = self.unsupported_nodes(fgraph)
        if not bad:
            return
        label = self.name or type(self).__name__
        seen: dict[Any, Apply] = {}
        for node in bad:
            seen.setdefault(node.op, node)
        lines = [f"backend {label!r} cannot run {len(seen)} Op(s) of this graph:"]
        for op, node in seen.items():
            lines.append(f"  {op} ({type(op).__module__}.{type(op).__qualname__}), {_where(node)}")
        lines.append("Use another mode (e.g. mode='PY', the reference backend) for this graph.")
        raise UnsupportedOpError("\n".join(lines))

    def compile(
        self, fgraph: FunctionGraph, *, profile: ProfileStats | None = None
    ) -> CompiledGraph:
        """Compile ``fgraph`` (see the class docstring for the contract).

        ``profile`` is the compiled function's `ProfileStats` when it is profiled:
        the result then also records per-node times (``node_times``, ``node_calls``).
        """
        raise NotImplementedError(f"{type(self).__name__}.compile")

    def __repr__(self) -> str:
        return f"<{type(self).__name__} backend={self.name!r}>"


# ---------------------------------------------------------------------------
# Runtime errors
# ---------------------------------------------------------------------------


def _frames(node: Apply) -> list[tuple[str, int, str]]:
    """The user frames recorded in ``node.tag.trace``, outermost first.

    ``trace`` is one ``(file, line, function)`` tuple, or a list of them.
    """
    trace = getattr(node.tag, "trace", None) if node._tag is not None else None
    if not trace:
        return []
    if isinstance(trace, tuple) and len(trace) == 3 and isinstance(trace[1], int):
        return [trace]
    return [tuple(f) for f in trace if isinstance(f, tuple | list) and len(f) >= 3]


def _where(node: Apply) -> str:
    frames = _frames(node)
    if not frames:
        return "built by a rewrite or without a recorded user line"
    filename, lineno, func = frames[-1][:3]
    return f'created at File "{filename}", line {lineno}, in {func}'


def _shape(v: Any) -> Any:
    shape = getattr(v, "shape", ())
    return tuple(shape) if isinstance(shape, list | tuple) else shape


def _dtype(v: Any) -> str:
    dtype = getattr(v, "dtype", None)
    return str(dtype) if dtype is not None else type(v).__name__


def describe_node(node: Apply, input_values: Sequence[Any] | None = None) -> str:
    """Lines naming ``node``'s Op, its input shapes and dtypes, and its user code line."""
    lines = [f"Apply node that caused the error: {node}", f"  Op: {node.op}"]
    if input_values is not None:
        lines.append(f"  Input shapes: {[_shape(v) for v in input_values]}")
        lines.append(f"  Input dtypes: {[_dtype(v) for v in input_values]}")
    else:
        lines.append(f"  Input types: {[str(v.type) for v in node.inputs]}")
    frames = _frames(node)
    if frames:
        lines.append("  Node created at:")
        for filename, lineno, func in (f[:3] for f in frames):
            lines.append(f'    File "{filename}", line {lineno}, in {func}')
            src = linecache.getline(filename, lineno).strip()
            if src:
                lines.append(f"      {src}")
    else:
        lines.append("  Node created by a rewrite or without a recorded user line.")
    return "\n".join(lines)


def node_error(exc: BaseException, node: Apply, input_values: Sequence[Any] | None) -> Exception:
    """``exc`` re-made with `describe_node` appended to its message.

    The new exception has ``exc``'s type when that type can be built from one
    message (and shows it) and then stands in for ``exc`` (same cause, context
    hidden); otherwise it is a `RuntimeError` whose ``__cause__`` is ``exc``.
    """
    msg = f"{exc}\n{describe_node(node, input_values)}"
    new: Exception | None = None
    cls = type(exc)
    if issubclass(cls, Exception) and cls is not KeyError:
        try:
            cand = cls(msg)
            if str(cand) == msg:
                new = cand
        except Exception:
            new = None
    if new is None:
        new = RuntimeError(f"{type(exc).__name__}: {msg}")
        new.__cause__ = exc
        return new
    with contextlib.suppress(AttributeError, TypeError):
        new.__dict__.update(getattr(exc, "__dict__", {}))  # e.g. errno, custom fields
    new.__cause__ = exc.__cause__
    new.__suppress_context__ = True
    return new


def raise_node_error(
    exc: BaseException, node: Apply, input_values: Sequence[Any] | None
) -> NoReturn:
    """Raise `node_error` (call it from an ``except`` block inside a backend's ``fn``)."""
    raise node_error(exc, node, input_values).with_traceback(exc.__traceback__)
