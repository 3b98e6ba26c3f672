"""`FunctionGraph`: a graph with fixed inputs and outputs that rewriters edit in place."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any, Literal

from graft.graph.basic import (
    Apply,
    Constant,
    Variable,
    as_string,
    clone_get_equiv,
    graph_inputs,
    io_toposort,
)
from graft.graph.pickling import _Prelude, _PreludeEnd
from graft.graph.utils import MissingInputError

if TYPE_CHECKING:
    from graft.graph.destroyhandler import DestroyHandler

ClientType = tuple[Apply | Literal["output"], int]


class ClientList(list):
    """The ``(node, input_index)`` pairs using a variable; removal is O(1).

    Entries are unique, and their order carries no meaning: removing one moves
    the last entry into its place, so a variable with many users (a weight
    shared by thousands of nodes) does not make rewriting quadratic.
    """

    __slots__ = ("_pos",)

    def __init__(self) -> None:
        super().__init__()
        self._pos: dict[Any, int] = {}

    def append(self, client: Any) -> None:
        self._pos[client] = len(self)
        super().append(client)

    def remove(self, client: Any) -> None:
        idx = self._pos.pop(client)
        last = super().pop()
        if idx < len(self):
            self[idx] = last
            self._pos[last] = idx

    def __contains__(self, client: object) -> bool:
        return client in self._pos


_CALLBACKS = ("on_import", "on_prune", "on_change_input", "validate", "on_detach", "orderings")


class FunctionGraph:
    """A mutable graph from ``inputs`` to ``outputs``, with client lists and features.

    Rewriters change a FunctionGraph through `replace`, `replace_all` and
    `change_node_input`; every change is announced to the attached features
    (``on_import``, ``on_prune``, ``on_change_input``), which is how
    validation, undo (`History`) and the rewriters' worklists stay in sync.
    ``clients[v]`` lists ``(node, i)`` pairs meaning ``node.inputs[i] is v``;
    a graph output ``j`` appears as the client ``("output", j)``.

    Example::

        x, y = float64("x"), float64("y")
        fg = FunctionGraph([x, y], [add(x, mul(x, y))])
        fg.replace(fg.outputs[0].owner.inputs[1], y)
        print(fg)  # FunctionGraph(add(x, y))
    """

    if TYPE_CHECKING:
        # What features add while attached (History, Validator, ReplaceValidate,
        # DestroyHandler, NodeFinder); declared for type checkers only.
        checkpoint: Callable[[], int]
        revert: Callable[[int], None]
        validate: Callable[[], bool]
        consistent: Callable[[], bool]
        validate_time: float
        replace_validate: Callable[..., None]
        replace_all_validate: Callable[..., int]
        replace_all_validate_remove: Callable[..., int]
        destroy_handler: DestroyHandler
        destroyers: Callable[[Variable], list[Apply]]
        get_nodes: Callable[[Any], list[Apply]]

    def __init__(
        self,
        inputs: Sequence[Variable] | None = None,
        outputs: Sequence[Variable] | None = None,
        features: Iterable[Any] | None = None,
        clone: bool = True,
        update_mapping: dict[int, int] | None = None,
        **clone_kwds: Any,
    ) -> None:
        if outputs is None:
            raise ValueError("FunctionGraph needs its outputs")
        outputs = list(outputs)
        for i, o in enumerate(outputs):
            if not isinstance(o, Variable):
                raise TypeError(f"output {i} must be a Variable, got {type(o).__name__}")
        if inputs is None:
            inputs = [v for v in graph_inputs(outputs) if not isinstance(v, Constant)]
        inputs = list(inputs)
        if clone:
            memo = clone_get_equiv(inputs, outputs, **clone_kwds)
            inputs = [memo[i] for i in inputs]
            outputs = [memo[o] for o in outputs]
        self._features: list[Any] = []
        self._callbacks: dict[str, list[Any]] = {name: [] for name in _CALLBACKS}
        self.execute_callbacks_time = 0.0
        self.execute_callbacks_times: dict[Any, float] = {}
        self.apply_nodes: set[Apply] = set()
        self.variables: set[Variable] = set()
        self.inputs: list[Variable] = []
        self._input_set: set[Variable] = set()  # membership tests on large input lists
        self.outputs: list[Variable] = []
        self.clients: dict[Variable, ClientList] = {}
        self.update_mapping = update_mapping
        self.profile: Any = None
        self._toposort_cache: list[Apply] | None = None
        for inp in inputs:
            self.add_input(inp, check=False)
        for f in features or ():
            self.attach_feature(f)
        for out in outputs:
            self.add_output(out, reason="init")

    # -- building ---------------------------------------------------------

    def add_input(self, var: Variable, check: bool = True) -> None:
        """Declare ``var`` as a graph input."""
        if check and var in self._input_set:
            return
        if var.owner is not None:
            raise ValueError(
                f"input {var} is computed by {var.owner.op}; inputs must be owner-less"
            )
        self.inputs.append(var)
        self._input_set.add(var)
        self.setup_var(var)
        self.variables.add(var)

    def add_output(
        self, var: Variable, reason: str | None = None, import_missing: bool = False
    ) -> None:
        """Append ``var`` to the outputs (importing what it needs)."""
        self.outputs.append(var)
        self.import_var(var, reason=reason, import_missing=import_missing)
        self.clients[var].append(("output", len(self.outputs) - 1))

    def setup_var(self, var: Variable) -> None:
        if var not in self.clients:
            self.clients[var] = ClientList()

    def get_clients(self, var: Variable) -> list[ClientType]:
        return self.clients[var]

    def add_client(self, var: Variable, new_client: ClientType) -> None:
        self.clients[var].append(new_client)

    def import_var(
        self, var: Variable, reason: str | None = None, import_missing: bool = False
    ) -> None:
        """Make ``var`` (and everything it needs) part of the graph."""
        if var in self.variables:
            return
        if var.owner is not None:
            self.import_node(var.owner, reason=reason, import_missing=import_missing)
            return
        if not isinstance(var, Variable):
            raise TypeError(f"{var!r} is not a Variable")
        if not isinstance(var, Constant) and var not in self._input_set:
            if import_missing:
                self.add_input(var)
            else:
                raise MissingInputError(
                    f"{var} is needed by the graph but is not one of its inputs "
                    f"({', '.join(str(i) for i in self.inputs) or 'none'})",
                    variable=var,
                )
        self.setup_var(var)
        self.variables.add(var)

    def import_node(
        self,
        apply_node: Apply,
        check: bool = True,
        reason: str | None = None,
        import_missing: bool = False,
    ) -> None:
        """Add ``apply_node`` and any of its ancestors not yet in the graph."""
        if apply_node in self.apply_nodes:
            return
        new_nodes = io_toposort((), apply_node.outputs, stop=self.variables)
        variables = self.variables
        clients = self.clients
        if check:
            inputs = self._input_set
            for node in new_nodes:
                for inp in node.inputs:
                    if (
                        inp.owner is None
                        and inp not in variables
                        and not isinstance(inp, Constant)
                    ):
                        if import_missing:
                            self.add_input(inp)
                        elif inp not in inputs:
                            raise MissingInputError(
                                f"{inp} (input {node.inputs.index(inp)} of {node.op}) is needed by "
                                f"the graph but is not one of its inputs",
                                variable=inp,
                            )
        self._toposort_cache = None
        on_import = self._callbacks["on_import"]
        for node in new_nodes:
            self.apply_nodes.add(node)
            for out in node.outputs:
                if out not in clients:
                    clients[out] = ClientList()
                variables.add(out)
            for i, inp in enumerate(node.inputs):
                if inp not in variables:
                    if inp not in clients:
                        clients[inp] = ClientList()
                    variables.add(inp)
                clients[inp].append((node, i))
            if on_import:
                self.execute_callbacks("on_import", node, reason)

    # -- editing ----------------------------------------------------------

    def remove_client(
        self,
        var: Variable,
        client_to_remove: ClientType,
        reason: str | None = None,
        remove_if_empty: bool = False,
    ) -> None:
        """Drop one client of ``var``; prune whatever becomes unused."""
        stack = [(var, client_to_remove)]
        clients = self.clients
        while stack:
            v, client = stack.pop()
            lst = clients[v]
            lst.remove(client)
            if lst:
                continue
            node = v.owner
            if node is None:
                if v not in self._input_set:
                    self.variables.discard(v)
                    del clients[v]
                continue
            if node not in self.apply_nodes:
                continue
            if any(clients.get(o) for o in node.outputs):
                continue
            self.apply_nodes.discard(node)
            self._toposort_cache = None
            for o in node.outputs:
                self.variables.discard(o)
                clients.pop(o, None)
            if self._callbacks["on_prune"]:
                self.execute_callbacks("on_prune", node, reason)
            for i, inp in enumerate(node.inputs):
                stack.append((inp, (node, i)))

    def change_node_input(
        self,
        node: Apply | Literal["output"],
        i: int,
        new_var: Variable,
        reason: str | None = None,
        import_missing: bool = False,
        check: bool = True,
    ) -> None:
        """Make input ``i`` of ``node`` (or output ``i`` when node is "output") be ``new_var``."""
        r = self.outputs[i] if node == "output" else node.inputs[i]
        if check and not r.type.is_super(new_var.type):
            where = f"output {i}" if node == "output" else f"input {i} of {node.op}"
            raise TypeError(
                f"cannot replace {where} ({r}, type {r.type}) by {new_var} "
                f"of incompatible type {new_var.type}"
            )
        if r is new_var:
            return
        # Import first: if new_var needs a missing input, the graph is left untouched.
        self.import_var(new_var, reason=reason, import_missing=import_missing)
        if node == "output":
            self.outputs[i] = new_var
        else:
            node.inputs[i] = new_var
        self.clients[new_var].append((node, i))
        self.remove_client(r, (node, i), reason=reason)
        self._toposort_cache = None
        if self._callbacks["on_change_input"]:
            self.execute_callbacks("on_change_input", node, i, r, new_var, reason=reason)

    def replace(
        self,
        var: Variable,
        new_var: Variable,
        reason: str | None = None,
        verbose: bool | None = None,
        import_missing: bool = False,
    ) -> None:
        """Make every user of ``var`` use ``new_var`` instead."""
        if verbose:
            print(f"rewriting: rewrite {reason} replaces {var} of {var.owner} with {new_var}")
        if new_var.type != var.type:
            conv = var.type.convert_variable(new_var)
            if conv is None:
                raise TypeError(
                    f"cannot replace {var} (type {var.type}) by {new_var} "
                    f"(type {new_var.type}){f' in {reason}' if reason else ''}: "
                    "the types are incompatible"
                )
            new_var = conv
        if var not in self.clients:
            return
        for node, i in reversed(list(self.clients[var])):
            self.change_node_input(
                node, i, new_var, reason=reason, import_missing=import_missing, check=False
            )

    def replace_all(self, pairs: Iterable[tuple[Variable, Variable]], **kwargs: Any) -> None:
        """`replace` each ``(var, new_var)`` pair in order."""
        for var, new_var in pairs:
            self.replace(var, new_var, **kwargs)

    def remove_node(self, node: Apply, reason: str | None = None) -> None:
        """Remove ``node`` and every node that uses its outputs, directly or not.

        Raises `ValueError` if a graph output depends on ``node``.
        """
        doomed: list[Apply] = []
        seen: set[Apply] = set()
        stack = [node]
        while stack:
            n = stack.pop()
            if n in seen:
                continue
            seen.add(n)
            doomed.append(n)
            for out in n.outputs:
                for client, i in self.clients.get(out, ()):
                    if client == "output":
                        raise ValueError(f"cannot remove {node}: graph output {i} depends on it")
                    stack.append(client)
        # Detach users before what they use, so pruning never revisits a doomed node.
        order = {n: k for k, n in enumerate(self.toposort())}
        doomed.sort(key=lambda n: order.get(n, -1), reverse=True)
        for n in doomed:
            if n not in self.apply_nodes:
                continue
            self.apply_nodes.discard(n)
            self._toposort_cache = None
            for o in n.outputs:
                self.variables.discard(o)
                self.clients.pop(o, None)
            if self._callbacks["on_prune"]:
                self.execute_callbacks("on_prune", n, reason)
            for j, inp in enumerate(n.inputs):
                if inp in self.clients and (n, j) in self.clients[inp]:
                    self.remove_client(inp, (n, j), reason=reason)

    # -- features ---------------------------------------------------------

    def attach_feature(self, feature: Any) -> None:
        """Attach a feature; it gets ``on_attach(fgraph)`` and then every change callback."""
        if feature in self._features:
            return
        attach = getattr(feature, "on_attach", None)
        if attach is not None:
            from graft.graph.features import AlreadyThere

            try:
                attach(self)
            except AlreadyThere:
                return
        self.execute_callbacks_times.setdefault(feature, 0.0)
        self._features.append(feature)
        self._refresh_callbacks()

    def remove_feature(self, feature: Any) -> None:
        """Detach a feature (calls its ``on_detach``)."""
        try:
            self._features.remove(feature)
        except ValueError:
            return
        self._refresh_callbacks()
        detach = getattr(feature, "on_detach", None)
        if detach is not None:
            detach(self)

    def _refresh_callbacks(self) -> None:
        for name in _CALLBACKS:
            self._callbacks[name] = [
                getattr(f, name) for f in self._features if getattr(f, name, None) is not None
            ]

    def execute_callbacks(self, name: str, *args: Any, **kwargs: Any) -> None:
        """Call ``feature.<name>(self, *args)`` on every feature that has it."""
        t0 = time.perf_counter()
        fns = self._callbacks.get(name)
        if fns is None:
            fns = [getattr(f, name) for f in self._features if hasattr(f, name)]
        for fn in fns:
            fn(self, *args, **kwargs)
        self.execute_callbacks_time += time.perf_counter() - t0

    def collect_callbacks(self, name: str, *args: Any) -> dict[Any, Any]:
        """Call ``feature.<name>(self, *args)`` on each feature; map feature → result."""
        return {f: getattr(f, name)(self, *args) for f in self._features if hasattr(f, name)}

    # -- queries ----------------------------------------------------------

    def toposort(self) -> list[Apply]:
        """The graph's nodes in a topological order (cached until the graph changes)."""
        if len(self.apply_nodes) < 2:
            return list(self.apply_nodes)
        if self._toposort_cache is None or any(True for _ in self._callbacks["orderings"]):
            self._toposort_cache = io_toposort(self.inputs, self.outputs, self.orderings())
        return list(self._toposort_cache)

    def orderings(self) -> dict[Apply, list[Apply]]:
        """Extra node orderings required by features (``node -> nodes that must run first``)."""
        fns = self._callbacks["orderings"]
        if not fns:
            return {}
        ords: dict[Apply, list[Apply]] = {}
        for fn in fns:
            for node, prereqs in fn(self).items():
                ords.setdefault(node, [])
                ords[node].extend(p for p in prereqs if p not in ords[node])
        return ords

    def check_integrity(self) -> None:
        """Verify that clients, nodes and variables agree; raise `Exception` naming the problem."""
        nodes = set(io_toposort(self.inputs, self.outputs))
        if nodes != self.apply_nodes:
            raise Exception(
                f"apply_nodes out of sync: {len(nodes - self.apply_nodes)} missing, "
                f"{len(self.apply_nodes - nodes)} extra"
            )
        for node in nodes:
            for i, inp in enumerate(node.inputs):
                if inp not in self.variables:
                    raise Exception(f"input {i} of {node} ({inp}) is not in variables")
                if (node, i) not in self.clients[inp]:
                    raise Exception(f"{inp} does not list ({node}, {i}) among its clients")
            for out in node.outputs:
                if out not in self.variables:
                    raise Exception(f"output {out} of {node} is not in variables")
        for var in self.variables:
            if var.owner is None and var not in self._input_set and not isinstance(var, Constant):
                raise Exception(f"{var} is an undeclared input")
            for client, i in self.clients[var]:
                if client == "output":
                    if self.outputs[i] is not var:
                        raise Exception(f"{var} claims to be output {i}")
                else:
                    assert isinstance(client, Apply)
                    if client not in nodes:
                        raise Exception(f"client {client} of {var} is not in the graph")
                    if client.inputs[i] is not var:
                        raise Exception(f"client ({client}, {i}) of {var} does not use it")

    def __contains__(self, item: object) -> bool:
        if isinstance(item, Apply):
            return item in self.apply_nodes
        if isinstance(item, Variable):
            return item in self.variables
        raise TypeError(f"expected a Variable or Apply, got {type(item).__name__}")

    # -- copies -----------------------------------------------------------

    def clone(self, check_integrity: bool = True) -> FunctionGraph:
        """A copy of the graph (with copies of its features)."""
        return self.clone_get_equiv(check_integrity)[0]

    def clone_get_equiv(
        self, check_integrity: bool = True, attach_feature: bool = True
    ) -> tuple[FunctionGraph, dict[Any, Any]]:
        """A copy of the graph and the map from this graph's variables/nodes to the copy's."""
        equiv = clone_get_equiv(self.inputs, self.outputs)
        e = FunctionGraph(
            [equiv[i] for i in self.inputs],
            [equiv[o] for o in self.outputs],
            clone=False,
            update_mapping=self.update_mapping,
        )
        if check_integrity:
            e.check_integrity()
        if attach_feature:
            for feature in self._features:
                e.attach_feature(feature.clone() if hasattr(feature, "clone") else type(feature)())
        return e, equiv

    def __reduce_ex__(self, protocol: Any) -> Any:
        # Features are re-created from their class (they rebuild state on attach).
        features = []
        for f in self._features:
            reducer = getattr(f, "__graft_reduce__", None)
            features.append(reducer() if reducer else f)
        return (
            _rebuild_fgraph,
            (
                _Prelude(self.outputs, io_toposort),
                list(self.inputs),
                list(self.outputs),
                features,
                self.update_mapping,
                _PreludeEnd(),
            ),
        )

    def __str__(self) -> str:
        return "FunctionGraph({})".format(", ".join(as_string(self.inputs, self.outputs)))

    def __repr__(self) -> str:
        return self.__str__()


def _rebuild_fgraph(
    prelude: Any,
    inputs: list[Variable],
    outputs: list[Variable],
    features: list[Any],
    update_mapping: Any,
    end: Any = None,
) -> FunctionGraph:
    return FunctionGraph(inputs, outputs, features, clone=False, update_mapping=update_mapping)
