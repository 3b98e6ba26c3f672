"""Rewriters: graph rewriters, node rewriters, and the graph rewriters that drive node rewriters.

A *graph rewriter* (`GraphRewriter`) edits a whole `FunctionGraph`. A *node
rewriter* (`NodeRewriter`) looks at one `Apply` node and proposes
replacements for its outputs; `WalkingGraphRewriter` and
`EquilibriumGraphRewriter` apply node rewriters across a graph. Pattern-based
rewriters live in `graft.graph.rewriting.pattern`; profiles print through
`graft.graph.rewriting.profile`.
"""

from __future__ import annotations

import importlib
import sys
import time
import traceback
import warnings
from collections import deque
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Literal, TextIO, TypeAlias, cast

from graft.graph.basic import Apply, Constant, Variable
from graft.graph.features import Feature, NodeFinder, ReplaceValidate
from graft.graph.fg import FunctionGraph
from graft.graph.op import Op
from graft.graph.rewriting.profile import RewriteProfile, print_sequential_profile
from graft.graph.utils import InconsistencyError

DEFAULT_MAX_USE_RATIO = 8.0

#: What `NodeRewriter.transform` returns: False or None (no change), one replacement
#: per output (None for an output without clients), or a dict from replaced
#: variables to replacements (key ``"remove"``: nodes that must disappear).
TransformResult: TypeAlias = (
    Sequence[Variable | None] | dict[Variable | str, Any] | Literal[False] | None
)


class Rewriter:
    """Common base of graph and node rewriters: a name and requirements."""

    name: str | None = None

    def add_requirements(self, fgraph: FunctionGraph) -> None:
        """Attach the features this rewriter needs (e.g. `ReplaceValidate`)."""

    def print_summary(self, stream: TextIO = sys.stdout, level: int = 0, depth: int = -1) -> None:
        name = getattr(self, "name", None)
        print(f"{' ' * level}{type(self).__name__} {name or ''} id={id(self)}", file=stream)

    def __str__(self) -> str:
        return getattr(self, "name", None) or type(self).__name__


class GraphRewriter(Rewriter):
    """Rewrites a whole `FunctionGraph` in place.

    Subclasses implement `apply`; `rewrite` attaches the requirements and calls
    it, returning whatever profile `apply` returns.

    Example::

        class RemoveDoubleNeg(GraphRewriter):
            def add_requirements(self, fgraph):
                fgraph.attach_feature(ReplaceValidate())

            def apply(self, fgraph):
                for node in fgraph.toposort():
                    x = node.inputs[0] if node.op == neg else None
                    if x is not None and x.owner and x.owner.op == neg:
                        fgraph.replace_validate(node.outputs[0], x.owner.inputs[0])
    """

    def apply(self, fgraph: FunctionGraph, *args: Any, **kwargs: Any) -> RewriteProfile:
        raise NotImplementedError(f"{type(self).__name__}.apply")

    def rewrite(self, fgraph: FunctionGraph, *args: Any, **kwargs: Any) -> RewriteProfile:
        """Add requirements to ``fgraph`` and apply this rewriter to it."""
        self.add_requirements(fgraph)
        return self.apply(fgraph, *args, **kwargs)

    def __call__(self, fgraph: FunctionGraph) -> RewriteProfile:
        return self.rewrite(fgraph)

    @classmethod
    def print_profile(cls, stream: TextIO, prof: RewriteProfile, level: int = 0) -> None:
        blanc = "    " * level
        print(f"{blanc}{cls.__name__}", file=stream)
        if prof is not None:
            print(f"{blanc}  profile: {prof!r}", file=stream)


class NodeRewriter(Rewriter):
    """Proposes replacements for the outputs of a single node.

    `transform` returns False (no change), a list with one replacement per
    output (``None`` for an output that has no clients), or a dict mapping
    variables to replacements (key ``"remove"`` may list nodes that must
    disappear). `tracks` returns the ops (instances or classes) the rewriter
    can apply to, or None for all; graph rewriters use it to dispatch.

    Example::

        class LocalDoubleNeg(NodeRewriter):
            def tracks(self):
                return [neg]

            def transform(self, fgraph, node):
                x = node.inputs[0]
                if x.owner and x.owner.op == neg:
                    return [x.owner.inputs[0]]
                return False
    """

    def tracks(self) -> Sequence[Op | type[Op]] | None:
        return None

    def transform(
        self, fgraph: FunctionGraph | None, node: Apply, *args: Any, **kwargs: Any
    ) -> TransformResult:
        raise NotImplementedError(f"{type(self).__name__}.transform")


class FromFunctionNodeRewriter(NodeRewriter):
    """A `NodeRewriter` made from a function ``fn(fgraph, node)`` (see `node_rewriter`)."""

    def __init__(
        self,
        fn: Callable[..., Any],
        tracks: Sequence[Any] | None = None,
        requirements: Sequence[Callable[[FunctionGraph], None]] = (),
        name: str | None = None,
    ) -> None:
        self.fn = fn
        self._tracks = tracks
        self.requirements = tuple(requirements)
        self.name = name or getattr(fn, "__name__", None)
        self.__name__ = self.name or "node_rewriter"
        self.__doc__ = getattr(fn, "__doc__", None)

    def transform(
        self, fgraph: FunctionGraph | None, node: Apply, *args: Any, **kwargs: Any
    ) -> Any:
        return self.fn(fgraph, node, *args, **kwargs)

    def add_requirements(self, fgraph: FunctionGraph) -> None:
        for req in self.requirements:
            req(fgraph)

    def tracks(self) -> Sequence[Any] | None:
        return self._tracks

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.fn(*args, **kwargs)

    def __str__(self) -> str:
        return self.name or "node_rewriter"

    __repr__ = __str__


def node_rewriter(
    tracks: Sequence[Any] | None,
    inplace: bool = False,
    requirements: Sequence[Callable[[FunctionGraph], None]] = (),
) -> Callable[[Callable[..., Any]], FromFunctionNodeRewriter]:
    """Decorator: turn ``fn(fgraph, node)`` into a `NodeRewriter` tracking ``tracks``.

    ``tracks`` is a list of ops or op classes (or None for every node).
    ``inplace=True`` adds the `DestroyHandler` requirement.

    Example::

        @node_rewriter([neg])
        def local_double_neg(fgraph, node):
            x = node.inputs[0]
            if x.owner and x.owner.op == neg:
                return [x.owner.inputs[0]]
            return False
    """
    if tracks is not None:
        if len(tracks) == 0:
            raise ValueError("tracks must be None or a non-empty list of ops or op classes")
        for t in tracks:
            if not (isinstance(t, Op) or (isinstance(t, type) and issubclass(t, Op))):
                raise TypeError(f"tracks must contain Ops or Op subclasses, got {t!r}")
    reqs = list(requirements)
    if inplace:

        def _destroy_handler(fgraph: FunctionGraph) -> None:
            from graft.graph.destroyhandler import DestroyHandler

            fgraph.attach_feature(DestroyHandler())

        reqs.append(_destroy_handler)

    def decorator(fn: Callable[..., Any]) -> FromFunctionNodeRewriter:
        return FromFunctionNodeRewriter(fn, tracks, reqs)

    return decorator


class FromFunctionGraphRewriter(GraphRewriter):
    """A `GraphRewriter` made from a function ``fn(fgraph)`` (see `graph_rewriter`)."""

    def __init__(
        self,
        fn: Callable[[FunctionGraph], Any],
        requirements: Sequence[Callable[[FunctionGraph], None]] = (),
        name: str | None = None,
    ) -> None:
        self.fn = fn
        self.requirements = tuple(requirements)
        self.name = name or getattr(fn, "__name__", None)

    def apply(self, fgraph: FunctionGraph, *args: Any, **kwargs: Any) -> Any:
        return self.fn(fgraph)

    def add_requirements(self, fgraph: FunctionGraph) -> None:
        for req in self.requirements:
            req(fgraph)


def graph_rewriter(
    fn: Callable[[FunctionGraph], Any] | None = None,
    *,
    requirements: Sequence[Callable[[FunctionGraph], None]] = (),
    name: str | None = None,
) -> Any:
    """Decorator: turn ``fn(fgraph)`` into a `GraphRewriter`."""

    def decorator(f: Callable[[FunctionGraph], Any]) -> FromFunctionGraphRewriter:
        return FromFunctionGraphRewriter(f, requirements, name)

    return decorator(fn) if fn is not None else decorator


# ---------------------------------------------------------------------------
# Sequences
# ---------------------------------------------------------------------------


class SequentialGraphRewriter(GraphRewriter):
    """Applies graph rewriters one after the other.

    Its profile records the time, validate time and node counts of each
    sub-rewriter; `print_profile` prints them sorted by time.
    """

    def __init__(
        self,
        *rewriters: GraphRewriter,
        failure_callback: Callable[..., Any] | None = None,
        name: str | None = None,
    ) -> None:
        if len(rewriters) == 1 and isinstance(rewriters[0], list | tuple):
            rewriters = tuple(rewriters[0])
        self.data = list(rewriters)
        self.failure_callback = failure_callback
        self.name = name

    def add_requirements(self, fgraph: FunctionGraph) -> None:
        # Each sub-rewriter adds its own requirements when its turn comes
        # (`rewrite`), so e.g. the costly DestroyHandler is attached only once
        # the in-place stage is reached, not before the first stage.
        pass

    def apply(self, fgraph: FunctionGraph, *args: Any, **kwargs: Any) -> Any:
        l_t: list[float] = []
        sub_profs: list[Any] = []
        sub_validate: list[float] = []
        nb_nodes: list[tuple[int, int]] = []
        validate_before = getattr(fgraph, "validate_time", 0.0)
        callback_before = fgraph.execute_callbacks_time
        nb_before = len(fgraph.apply_nodes)
        t_start = time.perf_counter()
        for rw in self.data:
            v0 = getattr(fgraph, "validate_time", 0.0)
            n0 = len(fgraph.apply_nodes)
            t0 = time.perf_counter()
            try:
                sub = rw.rewrite(fgraph)
            except Exception as e:
                if self.failure_callback is None:
                    raise
                self.failure_callback(e, self, rw)
                sub = None
            l_t.append(time.perf_counter() - t0)
            sub_profs.append(sub)
            sub_validate.append(getattr(fgraph, "validate_time", 0.0) - v0)
            nb_nodes.append((n0, len(fgraph.apply_nodes)))
        total = time.perf_counter() - t_start
        validate_time = getattr(fgraph, "validate_time", 0.0) - validate_before
        callback_time = fgraph.execute_callbacks_time - callback_before
        return (
            self,
            l_t,
            validate_time,
            callback_time,
            nb_nodes,
            sub_profs,
            sub_validate,
            (nb_before, len(fgraph.apply_nodes)),
            total,
        )

    @classmethod
    def print_profile(cls, stream: TextIO, prof: Any, level: int = 0) -> None:
        print_sequential_profile(stream, prof, level)

    def __str__(self) -> str:
        return self.name or f"SequentialGraphRewriter({', '.join(map(str, self.data))})"


class SequentialNodeRewriter(NodeRewriter):
    """Tries node rewriters in turn; the first that applies wins (or all, in sequence)."""

    def __init__(
        self,
        *rewriters: NodeRewriter,
        apply_all_rewrites: bool = False,
        name: str | None = None,
    ) -> None:
        if len(rewriters) == 1 and isinstance(rewriters[0], list | tuple):
            rewriters = tuple(rewriters[0])
        self.rewriters = list(rewriters)
        self.apply_all_rewrites = apply_all_rewrites
        self.name = name
        self.tracker = OpToRewriterTracker()
        for rw in self.rewriters:
            self.tracker.add_tracker(rw)

    def tracks(self) -> Sequence[Any] | None:
        out: list[Any] = []
        for rw in self.rewriters:
            t = rw.tracks()
            if t is None:
                return None
            out.extend(t)
        return out

    def transform(
        self, fgraph: FunctionGraph | None, node: Apply, *args: Any, **kwargs: Any
    ) -> Any:
        if not self.apply_all_rewrites:
            for rw in self.tracker.get_trackers(node.op):
                repl = rw.transform(fgraph, node)
                if repl:
                    return repl
            return False
        # Chain: keep rewriting the (single-output) result while rewriters apply.
        current: Variable | None = None
        for _ in range(100):  # bounded: rewriters that undo each other must not hang
            target = node if current is None else current.owner
            if target is None or len(target.outputs) != 1:
                break
            for rw in self.tracker.get_trackers(target.op):
                repl = rw.transform(fgraph, target)
                if isinstance(repl, list | tuple) and len(repl) == 1 and repl[0] is not None:
                    current = repl[0]
                    break
            else:
                break
        return [current] if current is not None else False

    def add_requirements(self, fgraph: FunctionGraph) -> None:
        for rw in self.rewriters:
            rw.add_requirements(fgraph)


# ---------------------------------------------------------------------------
# Dispatch
# ---------------------------------------------------------------------------


class OpToRewriterTracker:
    """Finds the node rewriters that apply to an op, by op instance and op class (MRO).

    Lookups are cached per op, so dispatch is one dict access on the hot path.
    """

    def __init__(self) -> None:
        self.tracked_instances: dict[Any, list[NodeRewriter]] = {}
        self.tracked_types: dict[type, list[NodeRewriter]] = {}
        self.untracked: list[NodeRewriter] = []
        self._order: dict[int, int] = {}
        self._cache: dict[Any, list[NodeRewriter]] = {}

    def add_tracker(self, rw: NodeRewriter) -> None:
        self._order.setdefault(id(rw), len(self._order))
        self._cache.clear()
        tracks = rw.tracks()
        if tracks is None:
            self.untracked.append(rw)
            return
        for t in tracks:
            if isinstance(t, type):
                self.tracked_types.setdefault(t, []).append(rw)
            else:
                self.tracked_instances.setdefault(t, []).append(rw)

    def get_trackers(self, op: Any) -> list[NodeRewriter]:
        try:
            return self._cache[op]
        except KeyError:
            pass
        except TypeError:  # unhashable op: no caching
            return self._compute(op)
        res = self._cache[op] = self._compute(op)
        return res

    def _compute(self, op: Any) -> list[NodeRewriter]:
        found: list[NodeRewriter] = []
        try:
            found.extend(self.tracked_instances.get(op, ()))
        except TypeError:
            pass
        for klass in type(op).__mro__:
            found.extend(self.tracked_types.get(klass, ()))
        found.extend(self.untracked)
        uniq = list({id(r): r for r in found}.values())
        uniq.sort(key=lambda r: self._order[id(r)])
        return uniq


# ---------------------------------------------------------------------------
# Applying node rewriters
# ---------------------------------------------------------------------------


def _warn_failure(
    exc: Exception, nav: Any, repl_pairs: Any, node_rewriter: Any, node: Any
) -> None:
    """Default failure callback: a rewriter bug must not break compilation, but must be seen."""
    if isinstance(exc, InconsistencyError):
        return
    warnings.warn(
        f"rewrite {node_rewriter} failed on {node}: {type(exc).__name__}: {exc}\n"
        + "".join(traceback.format_exception(exc)[-3:]),
        RewriteWarning,
        stacklevel=3,
    )


class RewriteWarning(UserWarning):
    """A node rewriter raised; the graph was left unchanged by it."""


class NodeProcessingGraphRewriter(GraphRewriter):
    """A graph rewriter that applies node rewriters to nodes and validates the replacements.

    ``failure_callback(exc, self, repl_pairs, node_rewriter, node)`` handles a
    rewriter that raises; the default warns (`RewriteWarning`) and moves on.
    Pass ``failure_callback=None`` explicitly via `raise_on_failure` to raise.
    """

    def __init__(self, failure_callback: Callable[..., Any] | None = _warn_failure) -> None:
        self.failure_callback = failure_callback

    def add_requirements(self, fgraph: FunctionGraph) -> None:
        fgraph.attach_feature(ReplaceValidate())

    def process_node(
        self,
        fgraph: FunctionGraph,
        node: Apply,
        node_rewriter: NodeRewriter | None = None,
    ) -> bool:
        """Apply one node rewriter to ``node``; return True if the graph changed."""
        rw = node_rewriter if node_rewriter is not None else self.node_rewriter  # type: ignore[attr-defined]
        try:
            replacements = rw.transform(fgraph, node)
        except Exception as e:
            if self.failure_callback is None:
                raise
            self.failure_callback(e, self, [(x, None) for x in node.outputs], rw, node)
            return False
        if replacements is False or replacements is None:
            return False
        old_vars: Sequence[Variable] = node.outputs
        remove: list[Any] = []
        if isinstance(replacements, dict):
            replacements = dict(replacements)
            remove = list(replacements.pop("remove", ()))
            old_vars = cast(list[Variable], list(replacements))  # "remove" popped above
            replacements = list(replacements.values())
        elif not isinstance(replacements, list | tuple):
            raise TypeError(
                f"node rewriter {rw} returned {type(replacements).__name__}; expected False, "
                "a list or a dict of replacements"
            )
        if len(old_vars) != len(replacements):
            raise ValueError(
                f"node rewriter {rw} returned {len(replacements)} replacements for "
                f"{len(old_vars)} outputs of {node}"
            )
        pairs: list[tuple[Variable, Variable]] = []
        for old, new in zip(old_vars, replacements):
            if new is None or new is old:
                continue
            if not isinstance(new, Variable):
                raise TypeError(f"node rewriter {rw} replaced {old} by non-variable {new!r}")
            if old.type != new.type:
                conv = old.type.convert_variable(new)
                if conv is None:
                    exc = TypeError(
                        f"node rewriter {rw} replaced {old} (type {old.type}) by {new} "
                        f"of incompatible type {new.type}"
                    )
                    if self.failure_callback is None:
                        raise exc
                    self.failure_callback(exc, self, pairs, rw, node)
                    return False
                new = conv
            _copy_trace(old, new)
            pairs.append((old, new))
        if not pairs and not remove:
            return False
        try:
            if remove:
                fgraph.replace_all_validate_remove(pairs, remove, reason=rw)
            else:
                fgraph.replace_all_validate(pairs, reason=rw)
        except Exception as e:
            if self.failure_callback is None:
                raise
            self.failure_callback(e, self, pairs, rw, node)
            return False
        return True


def raise_on_failure(exc: Exception, *args: Any) -> None:
    """A failure callback that re-raises (except for rejected inconsistent replacements)."""
    if isinstance(exc, InconsistencyError):
        return
    raise exc


def _copy_trace(old: Variable, new: Variable) -> None:
    # Keep "where was this built" pointing at user code after a rewrite.
    o, n = old.owner, new.owner
    if n is None or o is None or o._tag is None:
        return
    trace = o._tag.__dict__.get("trace")
    if trace is not None and (n._tag is None or "trace" not in n._tag.__dict__):
        n.tag.trace = trace


class _Updater(Feature):
    """Forwards graph changes to a rewriter's worklist."""

    def __init__(
        self,
        importer: Callable[[Apply], None] | None,
        pruner: Callable[[Apply], None] | None = None,
        chin: Callable[[Any, int, Variable, Variable], None] | None = None,
    ) -> None:
        if importer is not None:
            self.on_import = lambda fgraph, node, reason: importer(node)
        if pruner is not None:
            self.on_prune = lambda fgraph, node, reason: pruner(node)
        if chin is not None:
            self.on_change_input = lambda fgraph, node, i, r, new_r, reason=None: chin(
                node, i, r, new_r
            )

    def clone(self) -> Feature:
        return Feature()


class WalkingGraphRewriter(NodeProcessingGraphRewriter):
    """Applies one node rewriter to every node once, in (``in_to_out``) or against (``out_to_in``) topological order.

    Nodes created by a replacement are queued too. ``rewrite`` returns the
    profile ``(self, nb_applied, nb_nodes_start, nb_nodes_end, io_time,
    loop_time, callback_time)``.
    """

    def __init__(
        self,
        node_rewriter: NodeRewriter,
        order: str = "in_to_out",
        ignore_newtrees: bool = False,
        failure_callback: Callable[..., Any] | None = _warn_failure,
    ) -> None:
        if order not in ("in_to_out", "out_to_in"):
            raise ValueError(f"order must be 'in_to_out' or 'out_to_in', got {order!r}")
        super().__init__(failure_callback)
        self.node_rewriter = node_rewriter
        self.order = order
        self.ignore_newtrees = ignore_newtrees

    def add_requirements(self, fgraph: FunctionGraph) -> None:
        super().add_requirements(fgraph)
        self.node_rewriter.add_requirements(fgraph)

    def apply(self, fgraph: FunctionGraph, start_from: Sequence[Variable] | None = None) -> Any:
        if start_from is None:
            start_from = fgraph.outputs
        callback_before = fgraph.execute_callbacks_time
        nb_nodes_start = len(fgraph.apply_nodes)
        t0 = time.perf_counter()
        from graft.graph.basic import io_toposort

        q: deque[Apply] = deque(io_toposort(fgraph.inputs, start_from))
        io_t = time.perf_counter() - t0
        current: list[Apply | None] = [None]

        def importer(node: Apply) -> None:
            if node is not current[0] and not self.ignore_newtrees:
                q.append(node)

        updater = _Updater(importer)
        fgraph.attach_feature(updater)
        nb = 0
        tracks = self.node_rewriter.tracks()
        tracked = None
        if tracks is not None:
            tracker = OpToRewriterTracker()
            tracker.add_tracker(self.node_rewriter)
            tracked = tracker
        try:
            t0 = time.perf_counter()
            pop = q.pop if self.order == "out_to_in" else q.popleft
            apply_nodes = fgraph.apply_nodes
            while q:
                node = pop()
                if node not in apply_nodes:
                    continue
                if tracked is not None and not tracked.get_trackers(node.op):
                    continue
                current[0] = node
                nb += self.process_node(fgraph, node)
            loop_t = time.perf_counter() - t0
        finally:
            fgraph.remove_feature(updater)
        callback_time = fgraph.execute_callbacks_time - callback_before
        return (self, nb, nb_nodes_start, len(fgraph.apply_nodes), io_t, loop_t, callback_time)

    @classmethod
    def print_profile(cls, stream: TextIO, prof: Any, level: int = 0) -> None:
        blanc = "    " * level
        if prof is None:
            return
        _, nb, n_start, n_end, io_t, loop_t, callback_time = prof[:7]
        print(f"{blanc} WalkingGraphRewriter", file=stream)
        print(f"{blanc}   nb_node (start, end, changed) ({n_start}, {n_end}, {nb})", file=stream)
        print(f"{blanc}   init io_toposort {io_t}", file=stream)
        print(f"{blanc}   loop time {loop_t}", file=stream)
        print(f"{blanc}   callback_time {callback_time}", file=stream)

    def __str__(self) -> str:
        return getattr(self, "name", None) or f"WalkingGraphRewriter({self.node_rewriter})"


def in2out(
    *node_rewriters: NodeRewriter, name: str | None = None, **kwargs: Any
) -> WalkingGraphRewriter:
    """Walk from inputs to outputs applying ``node_rewriters`` (grouped if several)."""
    rw: NodeRewriter = (
        node_rewriters[0] if len(node_rewriters) == 1 else SequentialNodeRewriter(*node_rewriters)
    )
    w = WalkingGraphRewriter(rw, order="in_to_out", **kwargs)
    if name:
        w.name = name
    return w


def out2in(
    *node_rewriters: NodeRewriter, name: str | None = None, **kwargs: Any
) -> WalkingGraphRewriter:
    """Walk from outputs to inputs applying ``node_rewriters`` (grouped if several)."""
    rw: NodeRewriter = (
        node_rewriters[0] if len(node_rewriters) == 1 else SequentialNodeRewriter(*node_rewriters)
    )
    w = WalkingGraphRewriter(rw, order="out_to_in", **kwargs)
    if name:
        w.name = name
    return w


class OpKeyGraphRewriter(NodeProcessingGraphRewriter):
    """Applies a node rewriter to the nodes of the op it tracks (found through `NodeFinder`)."""

    def __init__(
        self,
        node_rewriter: NodeRewriter,
        failure_callback: Callable[..., Any] | None = _warn_failure,
    ) -> None:
        tracks = node_rewriter.tracks()
        if not tracks or len(tracks) != 1 or isinstance(tracks[0], type):
            raise TypeError("OpKeyGraphRewriter needs a node rewriter that tracks one op instance")
        super().__init__(failure_callback)
        self.node_rewriter = node_rewriter
        self.op_key = tracks[0]

    def add_requirements(self, fgraph: FunctionGraph) -> None:
        super().add_requirements(fgraph)
        fgraph.attach_feature(NodeFinder())
        self.node_rewriter.add_requirements(fgraph)

    def apply(self, fgraph: FunctionGraph) -> Any:
        nb = 0
        for node in fgraph.get_nodes(self.op_key):
            if node in fgraph.apply_nodes:
                nb += self.process_node(fgraph, node)
        return (self, nb)


# ---------------------------------------------------------------------------
# Merging
# ---------------------------------------------------------------------------


def _constant_key(c: Constant) -> Any:
    sig = c.signature()
    try:
        hash(sig)
        return sig
    except TypeError:
        data = c.data
        import numpy as np

        arr = np.asarray(data)
        return (c.type, arr.dtype.str, arr.shape, arr.tobytes())


class MergeOptimizer(GraphRewriter):
    """Merges equal constants and nodes that apply equal ops to the same inputs.

    One pass in topological order with a hash table keyed by ``(op, inputs)``:
    once a node's inputs are canonical, an equal earlier node is found in O(1).
    An op with a true ``commutative`` attribute applied to two inputs is keyed
    by the unordered pair, so ``x * y`` and ``y * x`` merge.
    ``rewrite`` returns ``(nb_fail, replace_time, validate_time, callback_time,
    callbacks_time, nb_merged, nb_constant)``; the validate and callback times
    are None unless ``fgraph.profile`` is set.
    """

    def add_requirements(self, fgraph: FunctionGraph) -> None:
        fgraph.attach_feature(ReplaceValidate())

    def apply(self, fgraph: FunctionGraph) -> Any:
        nb_fail = 0
        nb_merged = 0
        nb_atomic = 0
        validate_before = getattr(fgraph, "validate_time", 0.0)
        callback_before = fgraph.execute_callbacks_time
        t0 = time.perf_counter()
        # Constants first, so nodes over equal constants hash alike.
        canon: dict[Any, Constant] = {}
        for var in [v for v in fgraph.variables if isinstance(v, Constant)]:
            key = _constant_key(var)
            first = canon.setdefault(key, var)
            if first is not var and var in fgraph.clients:
                try:
                    fgraph.replace_all_validate([(var, first)], reason="MergeOptimizer")
                    nb_atomic += 1
                except InconsistencyError:
                    nb_fail += 1
        seen: dict[tuple[Any, ...], Apply] = {}
        apply_nodes = fgraph.apply_nodes
        for node in fgraph.toposort():
            if node not in apply_nodes:
                continue
            ins = node.inputs
            if len(ins) == 2 and getattr(node.op, "commutative", False):
                # op(a, b) and op(b, a) are one computation: key by the pair in a fixed order.
                ins = sorted(ins, key=id)
            try:
                key = (node.op, *ins)
                other = seen.setdefault(key, node)
            except TypeError:  # unhashable op
                continue
            if other is node or node.op.destroy_map:
                continue
            pairs = list(zip(node.outputs, other.outputs))
            try:
                fgraph.replace_all_validate(pairs, reason="MergeOptimizer")
                nb_merged += 1
            except InconsistencyError:
                nb_fail += 1
        replace_time = time.perf_counter() - t0
        if fgraph.profile:
            validate_time: float | None = getattr(fgraph, "validate_time", 0.0) - validate_before
            callback_time: float | None = fgraph.execute_callbacks_time - callback_before
        else:
            validate_time = callback_time = None
        return (nb_fail, replace_time, validate_time, callback_time, {}, nb_merged, nb_atomic)

    @classmethod
    def print_profile(cls, stream: TextIO, prof: Any, level: int = 0) -> None:
        nb_fail, replace_time, validate_time, callback_time, _, nb_merged, nb_atomic = prof
        blanc = "    " * level
        print(f"{blanc} MergeOptimizer", file=stream)
        print(
            f"{blanc}   nb fail={nb_fail:5d} merged={nb_merged:5d} constant={nb_atomic:5d}",
            file=stream,
        )
        print(
            f"{blanc}   time replace={replace_time:2.2f} validate={validate_time or 0:2.2f} "
            f"callback={callback_time or 0:2.2f}",
            file=stream,
        )


# The equilibrium and pattern rewriters build on the classes above, in modules of
# their own; they are importable from here too (where PyTensor users look), loaded on first use.
if TYPE_CHECKING:
    from graft.graph.rewriting.equilibrium import EquilibriumGraphRewriter
    from graft.graph.rewriting.pattern import (
        PatternNodeRewriter,
        RemovalNodeRewriter,
        SubstitutionNodeRewriter,
    )

_LATER = {
    "EquilibriumGraphRewriter": "graft.graph.rewriting.equilibrium",
    "PatternNodeRewriter": "graft.graph.rewriting.pattern",
    "RemovalNodeRewriter": "graft.graph.rewriting.pattern",
    "SubstitutionNodeRewriter": "graft.graph.rewriting.pattern",
}


def __getattr__(name: str) -> object:
    module = _LATER.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


__all__ = [
    "EquilibriumGraphRewriter",
    "FromFunctionGraphRewriter",
    "FromFunctionNodeRewriter",
    "GraphRewriter",
    "MergeOptimizer",
    "NodeProcessingGraphRewriter",
    "NodeRewriter",
    "OpKeyGraphRewriter",
    "OpToRewriterTracker",
    "PatternNodeRewriter",
    "RemovalNodeRewriter",
    "RewriteWarning",
    "Rewriter",
    "SequentialGraphRewriter",
    "SequentialNodeRewriter",
    "SubstitutionNodeRewriter",
    "WalkingGraphRewriter",
    "graph_rewriter",
    "in2out",
    "node_rewriter",
    "out2in",
    "raise_on_failure",
]
