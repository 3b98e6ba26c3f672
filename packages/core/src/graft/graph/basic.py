"""The graph IR: `Variable`, `Constant`, `Apply`, and iterative graph walks.

A graph is a bipartite DAG: an `Apply` node applies an `Op` to input
`Variable`\\ s and owns its output `Variable`\\ s. Every walk in this module is
iterative, so graphs of any depth (a 100,000-node chain) can be sorted,
cloned, compared and pickled without touching Python's recursion limit.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Collection, Generator, Iterable, Sequence
from typing import TYPE_CHECKING, Any

# Flat pickling and the slot state of graph objects (pickles name _second, _noop, _new_object).
from graft.graph.pickling import (
    _CONSTANT_SLOTS,
    _all_slots,
    _covered,
    _has_extra_state,
    _new_object,
    _noop,  # noqa: F401  (named by pickles made before the move)
    _Prelude,
    _PreludeEnd,
    _second,
    _SlotState,
)
from graft.graph.utils import Scratchpad

if TYPE_CHECKING:
    from graft.graph.op import Op
    from graft.graph.type import Type


# ---------------------------------------------------------------------------
# Nodes and variables
# ---------------------------------------------------------------------------


CompileFn = Callable[[list["Variable"], "Variable"], Callable[..., Any]]
#: What `Variable.eval` compiles with (``graft.function``, set by ``import graft``:
#: the graph layer imports nothing above it).
_eval_compiler: CompileFn | None = None


def set_eval_compiler(compiler: CompileFn) -> None:
    """Make ``compiler(inputs, output)`` the function `Variable.eval` compiles with.

    Example::

        set_eval_compiler(graft.function)   # what ``import graft`` does
    """
    global _eval_compiler
    _eval_compiler = compiler


class Apply(_SlotState):
    """The application of an `Op` to input variables, producing output variables.

    ``node.inputs`` and ``node.outputs`` are lists of `Variable`; each output
    has ``owner is node`` and ``index`` equal to its position.

    Example::

        node = add.make_node(x, y)
        assert node.outputs[0].owner is node
    """

    __slots__ = ("__weakref__", "_tag", "inputs", "op", "outputs")

    def __init__(self, op: Op, inputs: Sequence[Variable], outputs: Sequence[Variable]) -> None:
        self.op = op
        self.inputs: list[Variable] = []
        self._tag: Scratchpad | None = None
        for i, inp in enumerate(inputs):
            if not isinstance(inp, Variable):
                raise TypeError(
                    f"input {i} of {op} must be a Variable, got {type(inp).__name__}: {inp!r}"
                )
            self.inputs.append(inp)
        self.outputs: list[Variable] = []
        for i, out in enumerate(outputs):
            if not isinstance(out, Variable):
                raise TypeError(f"output {i} of {op} must be a Variable, got {type(out).__name__}")
            if out.owner is None:
                out.owner = self
                out.index = i
            elif out.owner is not self or out.index != i:
                raise ValueError(f"output {i} of {op} already belongs to another Apply node")
            self.outputs.append(out)

    @property
    def tag(self) -> Scratchpad:
        tag = self._tag
        if tag is None:
            tag = self._tag = Scratchpad()
        return tag

    @tag.setter
    def tag(self, value: Scratchpad) -> None:
        self._tag = value

    @property
    def out(self) -> Variable:
        """The default output (see `Op.default_output`)."""
        return self.default_output()

    def default_output(self) -> Variable:
        do = getattr(self.op, "default_output", None)
        if do is None:
            if len(self.outputs) == 1:
                return self.outputs[0]
            raise ValueError(f"{self.op} has {len(self.outputs)} outputs and no default_output")
        return self.outputs[do]

    @property
    def nin(self) -> int:
        return len(self.inputs)

    @property
    def nout(self) -> int:
        return len(self.outputs)

    def get_parents(self) -> list[Variable]:
        return list(self.inputs)

    def clone(self, clone_inner_graph: bool = False) -> Apply:
        """A new node with the same op and inputs and fresh copies of the outputs."""
        cp = Apply.__new__(type(self))
        cp.op = self.op
        cp.inputs = list(self.inputs)
        cp._tag = self._tag.__copy__() if self._tag is not None else None
        cp.outputs = []
        for i, out in enumerate(self.outputs):
            o = out.clone()
            o.owner = cp
            o.index = i
            cp.outputs.append(o)
        return cp

    def clone_with_new_inputs(self, inputs: Sequence[Variable], strict: bool = True) -> Apply:
        """Copy this node onto ``inputs``; with ``strict=False`` the op re-derives output types."""
        if len(inputs) != len(self.inputs):
            raise ValueError(f"{self.op} takes {len(self.inputs)} inputs, clone got {len(inputs)}")
        if strict:
            checked = []
            refined = False
            for i, (new, old) in enumerate(zip(inputs, self.inputs)):
                if new.type != old.type:
                    converted = old.type.convert_variable(new)
                    if converted is None:
                        raise TypeError(
                            f"cannot clone {self.op} with input {i} of type {new.type}; "
                            f"expected {old.type}"
                        )
                    new = converted
                    refined = refined or new.type != old.type
                checked.append(new)
            if refined:
                # A more precise input (e.g. a known static shape) may give more
                # precise outputs: let the op derive them, keeping them compatible.
                remade = self.op.make_node(*checked)
                if len(remade.outputs) == len(self.outputs) and all(
                    o.type.is_super(n.type) for o, n in zip(self.outputs, remade.outputs)
                ):
                    if self._tag is not None:
                        remade.tag.update(self._tag)
                    return remade
            cp = self.clone()
            cp.inputs = checked
            return cp
        new_node = self.op.make_node(*inputs)
        if self._tag is not None:
            new_node.tag.update(self._tag)
        return new_node

    def __str__(self) -> str:
        return f"{self.op}({', '.join(str(i) for i in self.inputs)})"

    __repr__ = __str__

    def __reduce_ex__(self, protocol: Any) -> Any:
        covered = _covered()
        if covered is None or self not in covered:
            return (_second, (_Prelude(self.outputs, io_toposort), self, _PreludeEnd()))
        return (_new_object, (type(self),), self.__getstate__())


class Variable(_SlotState):
    """A typed value in a graph: an input (``owner is None``) or an Apply output.

    Variables compare by identity. ``type`` is a `Type` describing the values
    the variable can take; ``name`` is only for printing.

    Example::

        x = float64("x")
        y = add(x, x)
        assert y.owner.inputs == [x, x] and y.index == 0
    """

    __slots__ = ("__weakref__", "_tag", "index", "name", "owner", "type")

    def __init__(
        self,
        type: Type,
        owner: Apply | None = None,
        index: int | None = None,
        name: str | None = None,
    ) -> None:
        self.type = type
        self.owner = owner
        self.index = index
        if name is not None and not isinstance(name, str):
            raise TypeError(f"variable name must be a str, got {name.__class__.__name__}")
        self.name = name
        self._tag: Scratchpad | None = None

    @property
    def tag(self) -> Scratchpad:
        tag = self._tag
        if tag is None:
            tag = self._tag = Scratchpad()
        return tag

    @tag.setter
    def tag(self, value: Scratchpad) -> None:
        self._tag = value

    def get_parents(self) -> list[Apply]:
        return [self.owner] if self.owner is not None else []

    def clone(self, name: str | None = None) -> Variable:
        """An owner-less copy with the same type, name and tag."""
        cls = type(self)
        cp = object.__new__(cls)
        if _has_extra_state(cls):
            cp.__setstate__(self.__getstate__())
        cp.type = self.type
        cp.owner = None
        cp.index = None
        cp.name = self.name if name is None else name
        tag = self._tag
        cp._tag = None if tag is None else tag.__copy__()
        return cp

    def eval(self, inputs_to_values: dict[Variable, Any] | None = None) -> Any:
        """Compile (cached per input set) and evaluate this variable.

        Example::

            (x + 1).eval({x: np.ones(2)})   # array([2., 2.])
        """
        function = _eval_compiler
        if function is None:
            raise RuntimeError("Variable.eval needs graft.function: import graft first")
        inputs_to_values = inputs_to_values or {}
        key = tuple(inputs_to_values)
        cache = self.tag.__dict__.setdefault("_eval_cache", {})
        fn = cache.get(key)
        if fn is None:
            fn = cache[key] = function(list(key), self)
        return fn(*inputs_to_values.values())

    def __str__(self) -> str:
        if self.name is not None:
            return self.name
        owner = self.owner
        if owner is not None:
            return f"{owner.op}.{self.index}"
        return f"<{self.type}>"

    def __repr__(self) -> str:
        return str(self)

    def __reduce_ex__(self, protocol: Any) -> Any:
        owner = self.owner
        if owner is not None:
            covered = _covered()
            if covered is None or owner not in covered:
                return (_second, (_Prelude((self,), io_toposort), self, _PreludeEnd()))
        return (_new_object, (type(self),), self.__getstate__())


class AtomicVariable(Variable):
    """A variable that can never have an owner (inputs, constants, shared values)."""

    __slots__ = ()


class Constant(AtomicVariable):
    """A variable with a fixed value ``data`` (already filtered by its type).

    Constants merge when their type and ``signature()`` agree.
    """

    __slots__ = ("data",)

    def __init__(self, type: Type, data: Any, name: str | None = None) -> None:
        super().__init__(type, None, None, name)
        self.data = type.filter(data)

    def signature(self) -> Any:
        return (self.type, self.data)

    def equals(self, other: object) -> bool:
        return isinstance(other, Constant) and self.signature() == other.signature()

    def clone(self, name: str | None = None) -> Constant:
        cls = type(self)
        cp = object.__new__(cls)
        if _has_extra_state(cls) and set(_all_slots(cls)) != set(_CONSTANT_SLOTS):
            cp.__setstate__(self.__getstate__())
        cp.type = self.type
        cp.owner = None
        cp.index = None
        cp.name = self.name if name is None else name
        cp.data = self.data
        tag = self._tag
        cp._tag = None if tag is None else tag.__copy__()
        return cp

    def __str__(self) -> str:
        if self.name is not None:
            return self.name
        s = str(self.data)
        return s if len(s) <= 20 else s[:10] + "..." + s[-5:]

    def get_parents(self) -> list[Apply]:
        return []


# ---------------------------------------------------------------------------
# Walks
# ---------------------------------------------------------------------------


def walk(
    nodes: Iterable[Any],
    expand: Callable[[Any], Iterable[Any] | None],
    bfs: bool = True,
    return_children: bool = False,
) -> Generator[Any, None, None]:
    """Yield every node reachable from ``nodes`` through ``expand``, each once."""
    queue = deque(nodes)
    seen: set[int] = set()
    pop = queue.popleft if bfs else queue.pop
    while queue:
        n = pop()
        if id(n) in seen:
            continue
        seen.add(id(n))
        children = expand(n)
        if return_children:
            yield n, children
        else:
            yield n
        if children:
            if bfs:
                queue.extend(children)
            else:
                queue.extend(reversed(list(children)))


def ancestors(
    graphs: Iterable[Variable], blockers: Collection[Variable] | None = None
) -> Generator[Variable, None, None]:
    """Yield every variable that ``graphs`` depend on (themselves included), depth first."""
    stop = set(blockers) if blockers else ()
    stack = list(reversed(list(graphs)))
    seen: set[Variable] = set()
    while stack:
        v = stack.pop()
        if v in seen:
            continue
        seen.add(v)
        yield v
        if v.owner is not None and v not in stop:
            stack.extend(reversed(v.owner.inputs))


def graph_inputs(
    graphs: Iterable[Variable], blockers: Collection[Variable] | None = None
) -> list[Variable]:
    """The owner-less variables (or blockers) that ``graphs`` depend on, in first-seen order."""
    stop = set(blockers) if blockers else set()
    return [v for v in ancestors(graphs, stop) if v.owner is None or v in stop]


def io_toposort(
    inputs: Iterable[Variable],
    outputs: Iterable[Variable],
    orderings: dict[Apply, list[Apply]] | None = None,
    clients: Any = None,
    stop: Collection[Any] | None = None,
) -> list[Apply]:
    """Apply nodes between ``inputs`` and ``outputs`` in a topological order.

    The order is a depth-first post-order that visits each node's inputs from
    first to last, so it is deterministic. ``orderings`` maps a node to extra
    nodes that must come before it (used by `DestroyHandler`). ``stop`` may be
    a set of variables or nodes to treat as already computed (not copied).
    """
    stop_set: Collection[Any] = set(inputs) if stop is None else stop
    if stop is not None:
        extra = list(inputs)
        if extra:
            stop_set = set(stop) | set(extra)
    order: list[Apply] = []
    done: set[Apply] = set()
    expanded: set[Apply] = set()
    for out in outputs:
        root = out.owner
        if root is None or out in stop_set or root in done or root in stop_set:
            continue
        stack = [root]
        while stack:
            n = stack[-1]
            if n in done:
                stack.pop()
                continue
            if n in expanded:
                stack.pop()
                done.add(n)
                order.append(n)
                continue
            expanded.add(n)
            deps = n.inputs
            if orderings:
                before = orderings.get(n)
                if before:
                    for b in reversed(before):
                        if b not in done and b not in stop_set:
                            if b in expanded:
                                raise ValueError("graph contains cycles (orderings)")
                            stack.append(b)
            for inp in reversed(deps):
                o = inp.owner
                if o is not None and o not in done and inp not in stop_set and o not in stop_set:
                    if o in expanded:
                        raise ValueError(f"graph contains a cycle through {o}")
                    stack.append(o)
    return order


def applys_between(ins: Iterable[Variable], outs: Iterable[Variable]) -> list[Apply]:
    """The Apply nodes on paths from ``ins`` to ``outs``, in topological order."""
    return io_toposort(ins, outs)


def vars_between(ins: Iterable[Variable], outs: Iterable[Variable]) -> list[Variable]:
    """Every variable on paths from ``ins`` to ``outs`` (inputs, orphans, intermediates)."""
    ins = list(ins)
    stop = set(ins)
    return list(ancestors(outs, stop))


def orphans_between(ins: Iterable[Variable], outs: Iterable[Variable]) -> list[Variable]:
    """Owner-less variables that ``outs`` need but that are not in ``ins`` (e.g. constants)."""
    ins = list(ins)
    stop = set(ins)
    return [v for v in ancestors(outs, stop) if v.owner is None and v not in stop]


def is_in_ancestors(l_apply: Apply, f_apply: Apply) -> bool:
    """True if ``f_apply`` is an ancestor of ``l_apply``."""
    for v in ancestors(l_apply.inputs):
        if v.owner is f_apply:
            return True
    return False


def list_of_nodes(inputs: Iterable[Variable], outputs: Iterable[Variable]) -> list[Apply]:
    return io_toposort(inputs, outputs)


# ---------------------------------------------------------------------------
# Cloning and comparison
# ---------------------------------------------------------------------------


def clone_get_equiv(
    inputs: Iterable[Variable],
    outputs: Iterable[Variable],
    copy_inputs: bool = True,
    copy_orphans: bool = True,
    memo: dict[Any, Any] | None = None,
    clone_inner_graphs: bool = False,
    **kwargs: Any,
) -> dict[Any, Any]:
    """Clone the graph between ``inputs`` and ``outputs``; return the old→new map.

    The map holds variables and Apply nodes. Entries already in ``memo`` are
    used as given (this is how replacements are threaded through a clone).
    """
    if memo is None:
        memo = {}
    inputs = list(inputs)
    for inp in inputs:
        if inp not in memo:
            memo[inp] = inp.clone() if copy_inputs else inp
    for node in io_toposort((), outputs, stop=memo):
        for inp in node.inputs:
            if inp not in memo:
                # An orphan: a constant or an undeclared owner-less variable.
                memo[inp] = inp.clone() if copy_orphans else inp
        new_inputs = [memo[i] for i in node.inputs]
        if all(n is o or n.type == o.type for n, o in zip(new_inputs, node.inputs)):
            new_node = node.clone()
            new_node.inputs = new_inputs
        else:
            # A replacement changed a type: let the op derive its outputs again.
            new_node = node.clone_with_new_inputs(new_inputs, strict=False)
        memo[node] = new_node
        for old, new in zip(node.outputs, new_node.outputs):
            memo.setdefault(old, new)
    for out in outputs:
        if out not in memo:
            memo[out] = out.clone() if (copy_orphans and out.owner is None) else out
    return memo


def clone(
    inputs: Sequence[Variable],
    outputs: Sequence[Variable],
    copy_inputs: bool = True,
    copy_orphans: bool | None = None,
    clone_inner_graphs: bool = False,
) -> tuple[list[Variable], list[Variable]]:
    """Copy the graph between ``inputs`` and ``outputs``; return ``(new_inputs, new_outputs)``."""
    if copy_orphans is None:
        copy_orphans = copy_inputs
    equiv = clone_get_equiv(inputs, outputs, copy_inputs, copy_orphans)
    return [equiv[i] for i in inputs], [equiv[o] for o in outputs]


def clone_replace(
    output: Any,
    replace: dict[Variable, Variable] | Sequence[tuple[Variable, Variable]] | None = None,
    **rebuild_kwds: Any,
) -> Any:
    """Clone ``output`` (a variable or a list of them) with ``replace`` substituted in.

    Replacements are checked for type compatibility; the rest of the graph is
    rebuilt on top of them, and owner-less inputs are shared, not copied.
    """
    items = list(replace.items()) if isinstance(replace, dict) else list(replace or ())
    memo: dict[Any, Any] = {}
    for old, new in items:
        if not isinstance(old, Variable):
            raise TypeError(f"clone_replace keys must be Variables, got {old!r}")
        new_v = old.type.filter_variable(new, allow_convert=True)
        memo[old] = new_v
    outs = list(output) if isinstance(output, list | tuple) else [output]
    inputs = [v for v in graph_inputs(outs, blockers=memo) if v not in memo]
    equiv = clone_get_equiv(inputs, outs, copy_inputs=False, copy_orphans=False, memo=memo)
    res = [equiv[o] for o in outs]
    return res if isinstance(output, list | tuple) else res[0]


def equal_computations(
    xs: Sequence[Variable],
    ys: Sequence[Variable],
    in_xs: Sequence[Variable] | None = None,
    in_ys: Sequence[Variable] | None = None,
) -> bool:
    """True if ``xs`` and ``ys`` compute the same thing structurally.

    Nodes match when their ops are equal and their inputs match pairwise;
    leaves match when they are the same variable, equal constants, or paired
    through ``in_xs``/``in_ys``.
    """
    if len(xs) != len(ys):
        return False
    in_xs = list(in_xs or [])
    in_ys = list(in_ys or [])
    if len(in_xs) != len(in_ys):
        raise ValueError("in_xs and in_ys must have the same length")
    matched: dict[Variable, Variable] = dict(zip(in_xs, in_ys))
    stack: list[tuple[Variable, Variable]] = list(zip(xs, ys))
    node_seen: dict[Apply, Apply] = {}
    while stack:
        x, y = stack.pop()
        m = matched.get(x)
        if m is not None:
            if m is not y:
                return False
            continue
        if x.type != y.type:
            return False
        if x.owner is None or y.owner is None:
            if x.owner is not None or y.owner is not None:
                return False
            if x is y or (isinstance(x, Constant) and x.equals(y)):
                matched[x] = y
                continue
            if x in in_xs or y in in_ys:
                return False
            return False
        nx, ny = x.owner, y.owner
        if x.index != y.index:
            return False
        prev = node_seen.get(nx)
        if prev is not None:
            if prev is not ny:
                return False
            matched[x] = y
            continue
        if nx.op != ny.op or len(nx.inputs) != len(ny.inputs):
            return False
        node_seen[nx] = ny
        matched[x] = y
        stack.extend(zip(nx.inputs, ny.inputs))
    return True


# ---------------------------------------------------------------------------
# String forms
# ---------------------------------------------------------------------------


def as_string(
    i: Sequence[Variable],
    o: Sequence[Variable],
    leaf_formatter: Callable[[Variable], str] = str,
    node_formatter: Callable[[Apply, list[str]], str] | None = None,
) -> list[str]:
    """Nested-call strings for ``o``; nodes used more than once print as ``*N -> ...`` then ``*N``."""
    stop = set(i)
    # Count uses of each node's outputs within the printed graph.
    uses: dict[Apply, int] = {}
    for out in o:
        if out.owner is not None and out not in stop:
            uses[out.owner] = uses.get(out.owner, 0) + 1
    for app in io_toposort(i, o):
        for inp in app.inputs:
            if inp.owner is not None and inp not in stop:
                uses[inp.owner] = uses.get(inp.owner, 0) + 1
    multi = {n for n, c in uses.items() if c > 1}
    numbers: dict[Apply, int] = {}

    def leaf(v: Variable) -> bool:
        return v.owner is None or v in stop

    if node_formatter is not None:
        return [
            _nested_string(out, leaf, multi, numbers, leaf_formatter, node_formatter) for out in o
        ]

    # Default format, streamed as tokens: nesting strings would copy quadratically.
    results: list[str] = []
    for out in o:
        tokens: list[str] = []
        # Work items: a variable to describe, or a literal token to emit.
        work: list[Variable | str] = [out]
        while work:
            item = work.pop()
            if isinstance(item, str):
                tokens.append(item)
                continue
            if leaf(item):
                tokens.append(leaf_formatter(item))
                continue
            node = item.owner
            assert node is not None
            if node in numbers:
                idxs = f"::{item.index}" if len(node.outputs) > 1 else ""
                tokens.append(f"*{numbers[node]}{idxs}")
                continue
            if node in multi:
                numbers[node] = len(numbers) + 1
                tokens.append(f"*{numbers[node]} -> ")
            tokens.append(f"{node.op}(")
            work.append(")")
            for k in range(len(node.inputs) - 1, -1, -1):
                work.append(node.inputs[k])
                if k:
                    work.append(", ")
        results.append("".join(tokens))
    return results


def _nested_string(
    out: Variable,
    leaf: Callable[[Variable], bool],
    multi: set[Apply],
    numbers: dict[Apply, int],
    leaf_formatter: Callable[[Variable], str],
    node_formatter: Callable[[Apply, list[str]], str],
) -> str:
    """`as_string` for a custom node formatter, which needs its children's strings."""
    if leaf(out):
        return leaf_formatter(out)
    # Frames are [variable, child strings, started]; multi-used nodes print once.
    stack: list[list[Any]] = [[out, [], False]]
    final = ""
    while stack:
        frame = stack[-1]
        var, parts = frame[0], frame[1]
        node = var.owner
        assert node is not None
        if not frame[2]:
            if node in numbers:
                stack.pop()
                idxs = f"::{var.index}" if len(node.outputs) > 1 else ""
                s = f"*{numbers[node]}{idxs}"
                if stack:
                    stack[-1][1].append(s)
                else:
                    final = s
                continue
            frame[2] = True
            if node in multi:
                numbers[node] = len(numbers) + 1
        if len(parts) < len(node.inputs):
            nxt = node.inputs[len(parts)]
            if leaf(nxt):
                parts.append(leaf_formatter(nxt))
            else:
                stack.append([nxt, [], False])
            continue
        stack.pop()
        s = node_formatter(node, parts)
        if node in multi:
            s = f"*{numbers[node]} -> {s}"
        if stack:
            stack[-1][1].append(s)
        else:
            final = s
    return final
