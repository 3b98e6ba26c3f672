"""`OpFromGraph`: a subgraph wrapped as an Op (a typed, reusable, rewritable block).

The Op holds an inner `FunctionGraph` cloned from the user's graph, so the
user's variables are never touched. Shared variables the subgraph reads become
implicit inputs appended after the explicit ones (gradients reach them like
any input); constants stay inside. The Op computes by running the inner graph
(compiled once, with the reference backend and the ``fast_run`` rewrites);
its shapes, gradient (a second `OpFromGraph`, built once) and R-op are derived
from the inner graph. Two OpFromGraphs of the same class, name and options
whose inner graphs compute the same thing compare equal, so merging unites
them. ``inline_ofg`` (``fast_run``/``fast_compile``) expands the nodes of Ops
built with ``inline=True``; ``inline_all_ofg`` (tag ``inline_all_ofg``, not in
any mode by default) expands every one, for a backend that wants to fuse
through them (it lists the tag in its ``required_rewrite_tags``).

Subclass it to give a block its own type, which rewrites can then target::

    class Dense(OpFromGraph):
        pass

    @node_rewriter([Dense])
    def dense_to_gemm(fgraph, node): ...
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from graft.graph.basic import Apply, Constant, Variable, clone_replace, graph_inputs, io_toposort
from graft.graph.fg import FunctionGraph
from graft.graph.op import Op
from graft.graph.rewriting.basic import in2out, node_rewriter
from graft.graph.utils import MethodNotDefined, MissingInputError

if TYPE_CHECKING:
    from graft.graph.rewriting.basic import WalkingGraphRewriter

__all__ = ["OpFromGraph", "inline_all_ofg", "inline_ofg", "inline_op_from_graph"]


def _constant_key(c: Constant) -> tuple[Any, ...]:
    data = c.data
    if isinstance(data, np.ndarray | np.generic):
        arr = np.asarray(data)
        return ("const", c.type, arr.dtype.str, arr.shape, arr.tobytes())
    return ("const", c.type, type(data).__name__, repr(data))


def _graph_key(inputs: Sequence[Variable], outputs: Sequence[Variable]) -> tuple[Any, ...]:
    """A hashable description of what ``outputs`` compute from ``inputs`` (names ignored).

    Nodes are numbered in `io_toposort`'s deterministic order, so two graphs
    built the same way get the same key.
    """
    index: dict[Variable, tuple[Any, ...]] = {v: ("in", k) for k, v in enumerate(inputs)}

    def key(v: Variable) -> tuple[Any, ...]:
        found = index.get(v)
        if found is not None:
            return found
        if isinstance(v, Constant):
            return _constant_key(v)
        raise MissingInputError(f"{v} is not an input of the graph", variable=v)

    items: list[Any] = [tuple(v.type for v in inputs)]
    for n, node in enumerate(io_toposort(inputs, outputs)):
        items.append((node.op, tuple(key(v) for v in node.inputs)))
        for j, o in enumerate(node.outputs):
            index[o] = ("node", n, j)
    items.append(tuple(key(o) for o in outputs))
    return tuple(items)


class _NoStableKey:
    def __repr__(self) -> str:
        return "<no stable key>"


class OpFromGraph(Op):
    """The graph ``inputs → outputs`` as one Op: ``op(*values)`` builds a node of it.

    - ``inputs``: distinct, non-constant Variables (the block's parameters);
      ``outputs``: a Variable or a list of them, computed from ``inputs``,
      constants and shared variables only (another free variable is a
      `MissingInputError` naming it).
    - ``inline``: expand the nodes of this Op into their inner graph during
      rewriting (``inline_ofg``, in ``fast_run`` and ``fast_compile``);
      otherwise the block stays one node that rewrites can match by class or
      ``name``.
    - ``lop_overrides(inputs, outputs, output_grads)`` or
      ``grad_overrides(inputs, output_grads)``: callables that return the
      gradients for every input (the outer node's variables are passed, the
      shared ones included) instead of the gradient derived from the inner
      graph.
    - ``strict``: refuse subgraphs that read shared variables.

    Attributes: ``fgraph`` (the inner `FunctionGraph`), ``inner_inputs``,
    ``inner_outputs``, ``shared_inputs`` (the outer shared variables every
    node gets as extra inputs), ``input_types``, ``output_types``.

    The gradient is a second OpFromGraph (``op.backward_op()``, with the
    same ``inline``) taking ``(*inputs, *output_grads)``; it recomputes what
    it needs of the forward graph.

    Example::

        x, y = gt.dvectors("x", "y")
        op = OpFromGraph([x, y], [x + x * y], name="axpx")
        a, b = gt.dvectors("a", "b")
        f = graft.function([a, b], op(a, b) + 1)
        f([1.0, 2.0], [3.0, 4.0])          # [5., 11.]
    """

    # What the compiled code depends on (for backends' disk-cache keys); equality and
    # hashing also compare the gradient overrides and the captured shared variables.
    __props__ = ("name", "inline", "inner_key")

    def __init__(
        self,
        inputs: Sequence[Variable],
        outputs: Variable | Sequence[Variable],
        inline: bool = False,
        name: str | None = None,
        lop_overrides: Callable[..., Sequence[Variable]] | None = None,
        grad_overrides: Callable[..., Sequence[Variable]] | None = None,
        strict: bool = False,
    ) -> None:
        label = name or type(self).__name__
        if not isinstance(inputs, list | tuple):
            raise TypeError(f"{label}: inputs must be a list of Variables, got {inputs!r}")
        outs: list[Variable] = (
            list(outputs) if isinstance(outputs, list | tuple) else [outputs]  # type: ignore[list-item]
        )
        for what, seq in (("input", inputs), ("output", outs)):
            for k, v in enumerate(seq):
                if not isinstance(v, Variable):
                    raise TypeError(
                        f"{label}: {what} {k} must be a graft Variable, got {type(v).__name__} "
                        f"{v!r}"
                    )
        for k, v in enumerate(inputs):
            if isinstance(v, Constant):
                raise TypeError(
                    f"{label}: input {k} ({v}) is a Constant; constants are captured from the "
                    "graph, only variables can be inputs"
                )
        if len(set(inputs)) != len(inputs):
            dup = next(v for k, v in enumerate(inputs) if v in inputs[:k])
            raise ValueError(f"{label}: input {dup} appears more than once in inputs")
        if lop_overrides is not None and grad_overrides is not None:
            raise ValueError(f"{label}: give lop_overrides or grad_overrides, not both")
        for nm, fn in (("lop_overrides", lop_overrides), ("grad_overrides", grad_overrides)):
            if fn is not None and not callable(fn):
                raise TypeError(f"{label}: {nm} must be a callable, got {fn!r}")
        if name is not None and not isinstance(name, str):
            raise TypeError(f"{label}: name must be a str, got {name!r}")

        from graft.compile.sharedvalue import SharedVariable

        shared: list[Variable] = []
        for v in graph_inputs(outs, blockers=inputs):
            if v in inputs or isinstance(v, Constant) or v in shared:
                continue
            if isinstance(v, SharedVariable):
                if strict:
                    raise ValueError(
                        f"{label}: the graph reads the shared variable {v}, and strict=True "
                        "forbids implicit shared inputs; pass it as an input"
                    )
                shared.append(v)
            else:
                raise MissingInputError(
                    f"{label}: the outputs depend on {v} (type {v.type}), which is neither "
                    "an input nor a constant nor a shared variable; add it to inputs",
                    variable=v,
                )
        explicit = list(inputs)
        fresh = [v.type.make_variable(v.name) for v in [*explicit, *shared]]
        inner_outs = clone_replace(outs, dict(zip([*explicit, *shared], fresh)))
        self.fgraph = FunctionGraph(fresh, inner_outs, clone=False)
        self.shared_inputs = shared
        self.n_explicit = len(explicit)
        self.inline = bool(inline)
        self.name = name
        self.lop_overrides = lop_overrides
        self.grad_overrides = grad_overrides
        self.strict = strict
        self.input_types = [v.type for v in fresh]
        self.output_types = [v.type for v in inner_outs]
        self._key = _graph_key(self.fgraph.inputs, self.fgraph.outputs)

    # -- identity -------------------------------------------------------------

    @property
    def inner_inputs(self) -> list[Variable]:
        return self.fgraph.inputs

    @property
    def inner_outputs(self) -> list[Variable]:
        return self.fgraph.outputs

    @property
    def inner_key(self) -> Any:
        """The inner graph's stable content key (`graft.link.cache_key.graph_key`)."""
        key = self.__dict__.get("_inner_key")
        if key is None:
            from graft.link.cache_key import graph_key

            found = graph_key(self.fgraph)
            # An unserialisable marker keeps a graph without a stable key out of disk caches.
            key = self.__dict__["_inner_key"] = found if found is not None else _NoStableKey()
        return key

    def _identity(self) -> tuple[Any, ...]:
        return (
            type(self),
            self.name,
            self.inline,
            self.lop_overrides,
            self.grad_overrides,
            tuple(self.shared_inputs),  # captured variables compare by identity
            self._key,
        )

    def __eq__(self, other: object) -> bool:
        if self is other:
            return True
        if type(self) is not type(other) or hash(self) != hash(other):
            return False
        return self._identity() == other._identity()  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        h = self.__dict__.get("_props_hash")
        if h is None:
            h = self.__dict__["_props_hash"] = hash(self._identity())
        return h  # type: ignore[no-any-return]

    def __str__(self) -> str:
        return f"{self.name or type(self).__name__}{{inline={self.inline}}}"

    def __getstate__(self) -> dict[str, Any]:
        state = super().__getstate__()
        for k in ("_fn", "_backward", "_backward_args", "_rop", "_pattern", "_inner_key"):
            state.pop(k, None)
        return state

    # -- building -------------------------------------------------------------

    def make_node(self, *inputs: Any) -> Apply:
        n_exp, n_all = self.n_explicit, len(self.input_types)
        if len(inputs) == n_exp:
            inputs = (*inputs, *self.shared_inputs)
        elif len(inputs) != n_all:
            extra = f" (or {n_all} with its shared inputs)" if n_all != n_exp else ""
            raise TypeError(f"{self} takes {n_exp} inputs{extra}, got {len(inputs)}")
        checked: list[Variable] = []
        for k, (x, t) in enumerate(zip(inputs, self.input_types)):
            if not isinstance(x, Variable):
                from graft.tensor.basic import as_tensor_variable
                from graft.tensor.type import TensorType

                if isinstance(t, TensorType):
                    x = as_tensor_variable(x)
            try:
                checked.append(t.filter_variable(x))
            except TypeError as e:
                got = f"{x} of type {x.type}" if isinstance(x, Variable) else repr(x)
                raise TypeError(
                    f"{self}: input {k} ({self.fgraph.inputs[k]}) must have type {t}, got "
                    f"{got}: {e}"
                ) from None
        return Apply(self, checked, [t() for t in self.output_types])

    # -- computing ------------------------------------------------------------

    def _compiled(self) -> Callable[..., Any]:
        fn = self.__dict__.get("_fn")
        if fn is None:
            from graft.compile.function_module import function
            from graft.compile.mode import Mode

            fn = function(
                list(self.fgraph.inputs),
                list(self.fgraph.outputs),
                mode=Mode(linker="py", optimizer="fast_run"),
                on_unused_input="ignore",
                trust_input=True,
                name=self.name or type(self).__name__,
            )
            self.__dict__["_fn"] = fn
        return fn  # type: ignore[no-any-return]

    def perform(self, node: Apply, inputs: Sequence[Any], output_storage: list[list[Any]]) -> None:
        results = self._compiled()(*inputs)
        for cell, value in zip(output_storage, results):
            cell[0] = value

    def infer_shape(
        self, fgraph: FunctionGraph | None, node: Apply, input_shapes: list[Any]
    ) -> list[Any]:
        from graft.tensor.shape import shape_i
        from graft.tensor.type import TensorType

        inner = self.fgraph
        shapes: dict[Variable, Any] = dict(zip(inner.inputs, input_shapes))

        def shape_of(v: Variable) -> Any:
            if v in shapes:
                return shapes[v]
            if not isinstance(v.type, TensorType):
                return None
            if isinstance(v, Constant):
                return tuple(int(s) for s in np.shape(v.data))
            return tuple(shape_i(v, d) for d in range(v.type.ndim))

        for n in io_toposort(inner.inputs, inner.outputs):
            try:
                outs = n.op.infer_shape(None, n, [shape_of(v) for v in n.inputs])
            except (MethodNotDefined, NotImplementedError):
                outs = None
            if outs is not None:
                for o, s in zip(n.outputs, outs):
                    if s is not None:
                        shapes[o] = tuple(s)
        result: list[Any] = []
        for o in inner.outputs:
            s = shape_of(o)
            if s is not None and isinstance(o.type, TensorType):
                s = tuple(st if st is not None else e for st, e in zip(o.type.shape, s))
            result.append(s)
        # Entries are expressions over the inner inputs: substitute the outer ones.
        flat = [e for s in result if s is not None for e in s if isinstance(e, Variable)]
        if flat:
            replace = {i: v for i, v in zip(inner.inputs, node.inputs)}
            new = dict(zip(flat, clone_replace(flat, replace)))
            result = [
                None
                if s is None
                else tuple(new.get(e, e) if isinstance(e, Variable) else e for e in s)
                for s in result
            ]
        return result

    def connection_pattern(self, node: Apply) -> list[list[bool]]:
        return [list(row) for row in self._connections()]

    def _connections(self) -> list[list[bool]]:
        pattern = self.__dict__.get("_pattern")
        if pattern is None:
            inner = self.fgraph
            deps: dict[Variable, int] = {v: 1 << k for k, v in enumerate(inner.inputs)}
            for n in io_toposort(inner.inputs, inner.outputs):
                p = n.op.connection_pattern(n)
                ins = [deps.get(v, 0) for v in n.inputs]
                for j, o in enumerate(n.outputs):
                    mask = 0
                    for i, m in enumerate(ins):
                        if p[i][j]:
                            mask |= m
                    deps[o] = mask
            outs = [deps.get(o, 0) for o in inner.outputs]
            pattern = [[bool(m >> k & 1) for m in outs] for k in range(len(inner.inputs))]
            self.__dict__["_pattern"] = pattern
        return pattern  # type: ignore[no-any-return]

    # -- derivatives ----------------------------------------------------------

    def backward_op(self) -> OpFromGraph:
        """The OpFromGraph computing the input gradients (built once).

        Its inputs are those of ``(*inputs, *output_grads)`` the gradient reads,
        at the positions ``op.backward_args()`` lists.
        """
        bwd = self.__dict__.get("_backward")
        if bwd is not None:
            return bwd  # type: ignore[no-any-return]
        from graft.gradient import Lop
        from graft.gradient.types import _is_discrete

        inner = self.fgraph
        gvars = [o.type.make_variable(f"g_{o.name}" if o.name else None) for o in inner.outputs]
        pairs = [(o, g) for o, g in zip(inner.outputs, gvars) if not _is_discrete(o)]
        # Gradients only for the inputs connected to some output (the others are
        # disconnected, and L_op says so without computing anything).
        wrt = [v for v, row in zip(inner.inputs, self._connections()) if any(row)]
        grads: list[Variable] = []
        if pairs and wrt:
            grads = list(
                Lop(
                    [o for o, _ in pairs], wrt, [g for _, g in pairs], disconnected_inputs="ignore"
                )
            )
        elif wrt:
            from graft.tensor.basic import zeros_like

            grads = [zeros_like(i, dtype="float64") for i in wrt]
        # Only what the gradient reads becomes an input (an input that only reaches the
        # outputs through their values, like y in x * 0 + y, is not needed).
        candidates = [*inner.inputs, *gvars]
        used = set(graph_inputs(list(grads)))
        args = [k for k, v in enumerate(candidates) if v in used]
        bwd = OpFromGraph(
            [candidates[k] for k in args],
            list(grads),
            inline=self.inline,
            name=f"{self.name or type(self).__name__}_grad",
        )
        self.__dict__["_backward"] = bwd
        self.__dict__["_backward_args"] = args
        return bwd

    def backward_args(self) -> list[int]:
        """Positions in ``(*inputs, *output_grads)`` of the `backward_op`'s inputs."""
        self.backward_op()
        return list(self.__dict__["_backward_args"])

    def L_op(
        self,
        inputs: Sequence[Variable],
        outputs: Sequence[Variable],
        output_grads: Sequence[Variable],
    ) -> list[Variable]:
        if self.lop_overrides is not None:
            return self._checked_override(
                self.lop_overrides(inputs, outputs, output_grads), inputs
            )
        if self.grad_overrides is not None:
            return self._checked_override(self.grad_overrides(inputs, output_grads), inputs)
        from graft.gradient.types import disconnected_type

        bwd = self.backward_op()
        given = [*inputs, *output_grads]
        grads = iter(bwd(*[given[k] for k in self.backward_args()], return_list=True))
        return [next(grads) if any(row) else disconnected_type() for row in self._connections()]

    def _checked_override(self, grads: Any, inputs: Sequence[Variable]) -> list[Variable]:
        grads = list(grads) if isinstance(grads, list | tuple) else [grads]
        if len(grads) != len(inputs):
            raise ValueError(
                f"{self}: the gradient override returned {len(grads)} gradients for "
                f"{len(inputs)} inputs (shared inputs included)"
            )
        return grads

    def R_op(self, inputs: Sequence[Variable], eval_points: Sequence[Variable]) -> list[Variable]:
        rop = self.__dict__.get("_rop")
        if rop is None:
            from graft.gradient import Rop

            inner = self.fgraph
            evs = [i.type.make_variable(f"e_{i.name}" if i.name else None) for i in inner.inputs]
            outs = Rop(list(inner.outputs), list(inner.inputs), evs)
            rop = OpFromGraph(
                [*inner.inputs, *evs],
                list(outs),
                inline=self.inline,
                name=f"{self.name or type(self).__name__}_rop",
            )
            self.__dict__["_rop"] = rop
        evals = []
        for i, e in zip(inputs, eval_points):
            if e is None:
                from graft.tensor.basic import zeros_like

                e = zeros_like(i)
            evals.append(e)
        return rop(*inputs, *evals, return_list=True)  # type: ignore[no-any-return]


def inline_op_from_graph(node: Apply) -> list[Variable]:
    """The outputs of ``node`` (an OpFromGraph node) rebuilt from its inner graph.

    Example::

        outs = inline_op_from_graph(y.owner)   # y's computation, expanded
    """
    op = node.op
    if not isinstance(op, OpFromGraph):
        raise TypeError(f"inline_op_from_graph needs an OpFromGraph node, got {node.op}")
    inner = op.fgraph
    return clone_replace(list(inner.outputs), dict(zip(inner.inputs, node.inputs)))  # type: ignore[no-any-return]


@node_rewriter([OpFromGraph])
def inline_ofg(fgraph: FunctionGraph | None, node: Apply) -> Any:
    """Expand the nodes of OpFromGraphs built with ``inline=True``."""
    if not node.op.inline:  # type: ignore[attr-defined]
        return False
    return inline_op_from_graph(node)


@node_rewriter([OpFromGraph])
def inline_all_ofg(fgraph: FunctionGraph | None, node: Apply) -> Any:
    """Expand every OpFromGraph node (for backends that fuse through blocks)."""
    return inline_op_from_graph(node)


def _walker(rw: Any, name: str) -> WalkingGraphRewriter:
    return in2out(rw, name=name)


def register_rewrites(registry: Any) -> None:
    """Register ``inline_ofg`` (``fast_run``, ``fast_compile``) and ``inline_all_ofg``
    (its own tag only) in optdb at position 0.5, through a plugin ``RewriteRegistry``."""
    registry.register(
        "inline_ofg",
        _walker(inline_ofg, "inline_ofg"),
        "fast_run",
        "fast_compile",
        "inline_ofg",
        position=0.5,
    )
    registry.register(
        "inline_all_ofg",
        _walker(inline_all_ofg, "inline_all_ofg"),
        "inline_all_ofg",
        position=0.55,
    )
