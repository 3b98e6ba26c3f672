"""`graft.function`: compile a graph into a Python callable.

Pipeline: check the arguments and apply ``givens`` (`collect_graph`) → clone
into a `FunctionGraph` → run the mode's optdb query → hand the graph to the
mode's backend (`Linker.compile`) → wrap the result in a `Function` whose
call path is a precomputed closure.
"""

from __future__ import annotations

import contextlib
import os
import sys
import warnings
from collections.abc import Callable, Sequence
from functools import partial
from time import perf_counter
from types import MethodType
from typing import Any

import numpy as np

from graft._gc import fewer_gc_pauses
from graft.compile.aliasing import plan_copies
from graft.compile.io import In, Out
from graft.compile.mode import Mode, get_mode
from graft.compile.optdb import warn_if_no_tensor_rewrites
from graft.compile.profiling import ProfileStats, atexit_profiles
from graft.compile.rebuild import CollectedGraph, UnusedInputError, collect_graph
from graft.compile.verbose import RewriteReporter
from graft.configparser import config
from graft.graph.basic import Apply, Constant, Variable
from graft.graph.destroyhandler import DestroyHandler
from graft.graph.features import Feature
from graft.graph.fg import FunctionGraph
from graft.graph.sharedvalue import SharedVariable, copy_value
from graft.graph.utils import InconsistencyError, user_frame
from graft.link.basic import CompiledGraph, Linker

__all__ = ["Function", "FunctionMaker", "ProtectInputs", "UnusedInputError", "function"]

_MISSING: Any = object()
_GRAFT_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class ProtectInputs(Feature):
    """Rejects graph changes that would overwrite a protected input or a constant in place.

    Only nodes whose Op has a ``destroy_map`` are tracked, and `validate`
    checks only those imported or rewired since the last successful check, so
    validating after every change costs nothing for graphs without in-place
    Ops and stays linear with them.
    """

    def __init__(
        self, protected: Sequence[Variable] = (), positions: Sequence[int] | None = None
    ) -> None:
        self.protected = set(protected)
        # Positions in the graph's inputs, so that a clone protects the clone's inputs.
        self.positions = None if positions is None else tuple(positions)
        self.destroyers: dict[Apply, None] = {}
        self.unchecked: dict[Apply, None] = {}

    def on_attach(self, fgraph: FunctionGraph) -> None:
        if self.positions is None:
            self.positions = tuple(k for k, v in enumerate(fgraph.inputs) if v in self.protected)
        else:
            self.protected = {fgraph.inputs[k] for k in self.positions}
        for node in fgraph.apply_nodes:
            self.on_import(fgraph, node, "on_attach")

    def on_import(self, fgraph: FunctionGraph, node: Apply, reason: Any) -> None:
        if node.op.destroy_map:
            self.destroyers[node] = None
            self.unchecked[node] = None

    def on_change_input(
        self, fgraph: FunctionGraph, node: Any, i: int, r: Variable, new_r: Variable, reason: Any
    ) -> None:
        if node in self.destroyers:
            self.unchecked[node] = None

    def on_prune(self, fgraph: FunctionGraph, node: Apply, reason: Any) -> None:
        self.destroyers.pop(node, None)
        self.unchecked.pop(node, None)

    def validate(self, fgraph: FunctionGraph) -> None:
        for node in self.unchecked:
            for idxs in node.op.destroy_map.values():
                for i in idxs:
                    v = node.inputs[i]
                    if v in self.protected or isinstance(v, Constant):
                        what = "constant" if isinstance(v, Constant) else "input"
                        raise InconsistencyError(
                            f"{node.op} would overwrite the {what} {v} in place "
                            "(inputs are protected unless In(..., mutable=True))"
                        )
        # Kept on failure: the caller reverts, and the nodes stay to be checked.
        self.unchecked.clear()

    def clone(self) -> ProtectInputs:
        return ProtectInputs(positions=self.positions)

    def __graft_reduce__(self) -> ProtectInputs:
        # Pickled by position: the tracked nodes are found again on attach.
        return self.clone()


class FunctionMaker:
    """Builds, rewrites and links the graph of one `graft.function` call.

    ``inputs`` (explicit `In` specs, then one implicit `In` per shared
    variable read), ``outputs`` (`Out` specs), ``fgraph`` (the rewritten
    graph: explicit inputs, then shared ones; user outputs, then updates),
    ``mode``, ``linker`` and, after `create`, ``compiled``.

    Example::

        maker = FunctionMaker(collect_graph([x], x + 1), get_mode("PY"))
        f = maker.create()
    """

    @fewer_gc_pauses()
    def __init__(
        self,
        collected: CollectedGraph,
        mode: Mode,
        accept_inplace: bool = False,
        allow_input_downcast: bool | None = None,
        profile: ProfileStats | None = None,
        name: str | None = None,
    ) -> None:
        self._set_specs(collected, mode, accept_inplace, allow_input_downcast, profile, name)
        shared = collected.shared_inputs
        explicit = [i.variable for i in collected.inputs]
        position = {v: k for k, v in enumerate([*explicit, *shared])}
        n_out = len(collected.outputs)
        update_mapping: dict[int, int] = {}
        for j, (target, _) in enumerate(collected.updates):
            tv = target.variable if isinstance(target, In) else target
            if tv in position:
                update_mapping[n_out + j] = position[tv]
        fgraph = FunctionGraph(
            [*explicit, *shared],
            [*(o.variable for o in collected.outputs), *(e for _, e in collected.updates)],
            clone=True,
            update_mapping=update_mapping,
        )
        protected = [v for v, spec in zip(fgraph.inputs, self.inputs) if not spec.mutable]
        self.protect = ProtectInputs(protected)
        fgraph.attach_feature(self.protect)
        # After ProtectInputs, so the DestroyHandler sees which inputs are protected.
        self._check_inplace(fgraph, accept_inplace)
        self.fgraph = fgraph
        self.linker: Linker = mode.linker
        self.rewriter = mode.rewriter
        self.rewriter_profile: Any = None
        self.rewrite_time = 0.0
        base = mode.base_query
        if base is not None and "fast_run" in base.include:
            warn_if_no_tensor_rewrites(_user_site())
        if self.rewriter is not None:
            reporter = RewriteReporter() if config.optimizer_verbose else None
            if reporter is not None:
                fgraph.attach_feature(reporter)
            t0 = perf_counter()
            try:
                self.rewriter_profile = self.rewriter.rewrite(fgraph)
            finally:
                self.rewrite_time = perf_counter() - t0
                if reporter is not None:
                    fgraph.remove_feature(reporter)
        ifelse_module = sys.modules.get("graft.ifelse")
        if ifelse_module is not None:
            # In every mode: branch-only work moves into lazily run inner graphs.
            ifelse_module.lower_ifelse(fgraph)
        try:
            # Every feature's check (ProtectInputs, and the DestroyHandler when in-place
            # ops are present), even if no rewrite ran to trigger a validation.
            fgraph.execute_callbacks("validate")
        except InconsistencyError as e:
            raise InconsistencyError(
                f"rewriting with {mode} produced an invalid graph: {e}"
            ) from e
        self.compiled: CompiledGraph | None = None
        self.linker_time = 0.0

    def _set_specs(
        self,
        collected: CollectedGraph,
        mode: Mode,
        accept_inplace: bool,
        allow_input_downcast: bool | None,
        profile: ProfileStats | None,
        name: str | None,
    ) -> None:
        self.collected = collected
        self.mode = mode
        self.accept_inplace = accept_inplace
        self.profile = profile
        self.name = name
        self.allow_input_downcast = allow_input_downcast
        updated_shared = {t for t, _ in collected.updates if isinstance(t, SharedVariable)}
        self.inputs: list[In] = [
            *collected.inputs,
            *(In(s, mutable=s in updated_shared, implicit=True) for s in collected.shared_inputs),
        ]
        self.outputs: list[Out] = collected.outputs

    @classmethod
    def from_rewritten(
        cls,
        collected: CollectedGraph,
        fgraph: FunctionGraph,
        mode: Mode,
        linker: Linker,
        accept_inplace: bool = False,
        allow_input_downcast: bool | None = None,
        profile: ProfileStats | None = None,
        name: str | None = None,
    ) -> FunctionMaker:
        """A maker for ``fgraph``, already rewritten from ``collected`` (no rewriting).

        Used to unpickle a `Function`: ``fgraph``'s inputs and outputs must be
        laid out as `FunctionMaker` builds them (explicit inputs, then shared
        ones; user outputs, then updates).
        """
        self = cls.__new__(cls)
        self._set_specs(collected, mode, accept_inplace, allow_input_downcast, profile, name)
        n_in = len(self.inputs)
        n_out = len(collected.outputs) + len(collected.updates)
        if len(fgraph.inputs) != n_in or len(fgraph.outputs) != n_out:
            raise ValueError(
                f"FunctionMaker.from_rewritten: the graph has {len(fgraph.inputs)} inputs and "
                f"{len(fgraph.outputs)} outputs, expected {n_in} and {n_out}"
            )
        self.fgraph = fgraph
        protect = [f for f in getattr(fgraph, "_features", ()) if isinstance(f, ProtectInputs)]
        if protect:
            self.protect = protect[0]
        else:
            protected = [v for v, spec in zip(fgraph.inputs, self.inputs) if not spec.mutable]
            self.protect = ProtectInputs(protected)
            fgraph.attach_feature(self.protect)
        self.linker = linker
        self.rewriter = None
        self.rewriter_profile = None
        self.rewrite_time = 0.0
        self.compiled = None
        self.linker_time = 0.0
        return self

    @staticmethod
    def _check_inplace(fgraph: FunctionGraph, accept_inplace: bool) -> None:
        destroyers = [n for n in fgraph.apply_nodes if n.op.destroy_map]
        if not destroyers:
            return
        if not accept_inplace:
            raise TypeError(
                f"function(): the graph contains the in-place Op {destroyers[0].op} "
                f"(node {destroyers[0]}); build it with the out-of-place Op, or pass "
                "accept_inplace=True"
            )
        fgraph.attach_feature(DestroyHandler())

    @fewer_gc_pauses()
    def create(self, trust_input: bool = False) -> Function:
        """Link the rewritten graph with the mode's backend and return the `Function`."""
        profile = self.profile
        t0 = perf_counter()
        self.linker.check_supported(self.fgraph)
        compiled = self.linker.compile(self.fgraph, profile=profile)
        self.linker_time = perf_counter() - t0
        self.compiled = compiled
        if profile is not None:
            profile.compiled = compiled
            profile.nb_nodes = len(self.fgraph.apply_nodes)
            profile.rewriter_time += self.rewrite_time
            profile.validate_time += getattr(self.fgraph, "validate_time", 0.0)
            profile.linker_time += self.linker_time
            profile.import_time += compiled.import_time
            profile.rewriter = self.rewriter
            profile.rewriter_profile = self.rewriter_profile
        return Function(self, trust_input=trust_input)

    def copy_indices(self) -> tuple[list[int], list[int]]:
        """Output positions whose values must be copied: (user outputs, updates).

        See `graft.compile.aliasing`: a value is copied when it may share
        memory with a buffer that stays in use after the call (a caller's
        input, a default, a constant, a shared variable the function does not
        update) or with an output taken before it, unless the user asked for
        the aliasing (``Out(..., borrow=True)``, ``In(..., borrow=True)``).
        """
        updated = {t for t, _ in self.collected.updates if isinstance(t, SharedVariable)}
        status = []
        for spec in self.inputs:
            if spec.implicit:
                status.append("free" if spec.variable in updated else "kept")
            else:
                status.append("lent" if spec.borrow and not spec.has_value else "held")
        borrowed = [o.borrow for o in self.outputs]
        n_out = len(self.outputs)
        copies = plan_copies(self.fgraph, status, borrowed)
        return [j for j in copies if j < n_out], [j for j in copies if j >= n_out]


class Function:
    """A compiled graph: call it with input values, get output values.

    Call by position or by input name (``f(1.0, y=2.0)``); inputs with a
    default (``In(x, value=...)``) may be left out. A single output variable
    gives one value, a list of outputs a list. Each value goes through its
    input type's ``filter`` (no silent downcast unless
    ``allow_input_downcast``); failures raise the filter's `TypeError` or
    `ValueError` naming the input and the expected type. After the call,
    updates are written to their shared variables.

    Setting ``trust_input = True`` skips filtering: values must then already
    be of the right types (keywords and defaults still work). A Function is
    not re-entrant: do not call the same one from two threads at once.

    Attributes: ``maker`` (the `FunctionMaker`: ``maker.fgraph``,
    ``maker.inputs``...), ``name``, ``profile`` (a `ProfileStats` or None),
    ``trust_input``.

    Example::

        x, y = float64("x"), float64("y")
        f = function([x, y], x * y + 1, name="f")
        f(2.0, 3.0), f(y=3.0, x=2.0)      # 7.0, 7.0
    """

    def __init__(self, maker: FunctionMaker, trust_input: bool = False) -> None:
        self.maker = maker
        self.name = maker.name
        self.profile = maker.profile
        ins = maker.collected.inputs
        self._n_in = len(ins)
        self._names = [i.name for i in ins]
        by_name: dict[str, int] = {}
        self._ambiguous: set[str] = set()
        for k, nm in enumerate(self._names):
            if nm is None:
                continue
            if nm in by_name:
                self._ambiguous.add(nm)
            else:
                by_name[nm] = k
        self._by_name = by_name
        downcast = maker.allow_input_downcast
        # One callable per input: the bound filter itself when the options are
        # the defaults (the common case), else a partial with them.
        self._checks: list[Callable[[Any], Any]] = []
        self._input_types = [i.variable.type for i in ins]
        for i in ins:
            strict = bool(i.strict)
            down = i.allow_downcast if i.allow_downcast is not None else downcast
            filt = i.variable.type.filter
            if strict or down is not None:
                filt = partial(filt, strict=strict, allow_downcast=down)
            self._checks.append(filt)
        # Defaults live in cells, so an In update can replace them after each call.
        self._defaults: list[list[Any] | None] = [
            [self._filter_default(k, i)] if i.has_value else None for k, i in enumerate(ins)
        ]
        # A mutable input may be overwritten in place: its (stateless) default goes in as a copy.
        self._copy_default = [i.mutable and i.update is None for i in ins]
        self._shared_cells = [s.container.storage for s in maker.collected.shared_inputs]
        n_out = len(maker.outputs)
        targets: list[list[Any]] = []
        for target, _ in maker.collected.updates:
            if isinstance(target, SharedVariable):
                targets.append(target.container.storage)
            else:
                cell = self._defaults[ins.index(target)]
                assert cell is not None
                targets.append(cell)
        self._updates = [(cell, n_out + j) for j, cell in enumerate(targets)]
        user_copies, update_copies = maker.copy_indices()
        self._copies = user_copies + update_copies
        self._n_out = n_out
        self._single = maker.collected.single_output
        self._trust_input = bool(trust_input)
        self._fast = self._make_call()

    # -- building the call path ---------------------------------------------

    def _filter_default(self, k: int, spec: In) -> Any:
        downcast = spec.allow_downcast
        if downcast is None:
            downcast = self.maker.allow_input_downcast
        try:
            return spec.variable.type.filter(spec.value, spec.strict, downcast)
        except Exception as e:
            raise _input_error(e, self._label(), k, spec.name, spec.variable, "default value")  # noqa: B904

    @property
    def trust_input(self) -> bool:
        """Skip argument checks and filtering (values must already be right)."""
        return self._trust_input

    @trust_input.setter
    def trust_input(self, value: bool) -> None:
        self._trust_input = bool(value)
        self._fast = self._make_call()

    def _make_call(self) -> tuple[Any, ...]:
        # Everything __call__ needs, in one tuple: a single attribute load per call.
        compiled = self.maker.compiled
        assert compiled is not None
        post = self._post_process if (self._copies or self._updates) else None
        return (
            self._n_in,
            None if self._trust_input else _checker(self._checks, self._input_types),
            compiled.fn,
            self._shared_cells or None,
            post,
            self._single,
            self.profile,
        )

    def _post_process(self, outs: list[Any]) -> None:
        for j in self._copies:
            outs[j] = copy_value(outs[j])
        if self._updates:
            for cell, j in self._updates:
                cell[0] = outs[j]
            del outs[self._n_out :]

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        n_in, checks, run, shared_cells, post, single, profile = self._fast
        if profile is not None:
            t0 = perf_counter()
        vals: Any = args
        if kwargs or len(args) != n_in:
            vals = self._resolve(args, kwargs)
        if checks is not None:
            try:
                vals = checks(vals)
            except Exception as e:
                raise self._bad_input(vals, e)  # noqa: B904
        if shared_cells is None:
            outs = run(*vals)
        else:
            outs = run(*vals, *[c[0] for c in shared_cells])
        if post is not None:
            post(outs)
        if profile is not None:
            profile.fct_call_time += perf_counter() - t0
            profile.fct_callcount += 1
        if single:
            return outs[0]
        return outs

    # -- slow paths: keyword arguments, defaults, errors ----------------------

    def _label(self) -> str:
        return f"graft function {self.name!r}" if self.name else "graft function"

    def _signature(self) -> str:
        parts = []
        for k, nm in enumerate(self._names):
            label = nm if nm is not None else f"<input {k}>"
            parts.append(f"{label}=..." if self._defaults[k] is not None else label)
        return f"({', '.join(parts)})"

    def _resolve(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> list[Any]:
        n_in = self._n_in
        if len(args) > n_in:
            raise TypeError(
                f"{self._label()} takes {n_in} input(s) {self._signature()} but "
                f"{len(args)} positional arguments were given ({len(args) - n_in} extra)"
            )
        vals: list[Any] = [*args, *([_MISSING] * (n_in - len(args)))]
        for key, value in kwargs.items():
            k = self._by_name.get(key)
            if k is None or key in self._ambiguous:
                if key in self._ambiguous:
                    raise TypeError(
                        f"{self._label()}: input name {key!r} is shared by several inputs; "
                        "pass them by position"
                    )
                valid = ", ".join(repr(n) for n in self._by_name if n not in self._ambiguous)
                raise TypeError(
                    f"{self._label()} got an unexpected keyword argument {key!r}; "
                    f"valid input names: {valid or 'none (pass inputs by position)'}"
                )
            if vals[k] is not _MISSING:
                raise TypeError(f"{self._label()} got multiple values for input {key!r}")
            vals[k] = value
        missing = []
        for k, v in enumerate(vals):
            if v is _MISSING:
                cell = self._defaults[k]
                if cell is None:
                    nm = self._names[k]
                    missing.append(f"{nm!r} (position {k})" if nm else f"position {k}")
                else:
                    vals[k] = copy_value(cell[0]) if self._copy_default[k] else cell[0]
        if missing:
            raise TypeError(
                f"{self._label()} is missing {len(missing)} required input(s): "
                f"{', '.join(missing)}; signature {self._signature()}"
            )
        return vals

    def _bad_input(self, args: Sequence[Any], exc: Exception) -> Exception:
        # Find which input failed (filters are pure, so re-running is safe).
        for k, (check, a) in enumerate(zip(self._checks, args)):
            try:
                check(a)
            except Exception as e:
                spec = self.maker.collected.inputs[k]
                return _input_error(e, self._label(), k, self._names[k], spec.variable, "argument")
        return exc

    # -- pickling ---------------------------------------------------------------

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickle the rewritten graph, the mode, the backend, shared values and defaults.

        Shared variables are pickled with their values; functions pickled
        together (``pickle.dumps([f, g])``) keep sharing them. Unpickling
        links the rewritten graph again with the same backend, without
        rewriting (or, when that backend is not available there, compiles the
        original graph again with the mode, with a warning).
        """
        maker = self.maker
        mode = maker.mode
        if mode._rewriter is not None:
            # A rewriter object is not part of the state: the graph is rewritten already.
            mode = mode.clone(optimizer=None)
        linker: str | Linker = maker.linker
        if not isinstance(mode.provided_linker, Linker) and maker.linker.name:
            linker = maker.linker.name  # a registered backend: found again by name
        profile = self.profile
        state = {
            "version": 1,
            "collected": maker.collected,
            "fgraph": maker.fgraph,
            "mode": mode,
            "linker": linker,
            "accept_inplace": maker.accept_inplace,
            "allow_input_downcast": maker.allow_input_downcast,
            "name": self.name,
            "trust_input": self._trust_input,
            "defaults": [None if c is None else (c[0],) for c in self._defaults],
            "profile": None if profile is None else profile.message,
            "profile_atexit": profile is not None and profile in atexit_profiles,
        }
        return (_unpickle_function, (state,))

    # -- conveniences ---------------------------------------------------------

    def get_shared(self) -> list[SharedVariable]:
        """The shared variables this function reads (its implicit inputs)."""
        return list(self.maker.collected.shared_inputs)

    def __repr__(self) -> str:
        return (
            f"<Function {self.name or ''}{self._signature()} backend={self.maker.linker.name!r}>"
        )


def _user_site() -> tuple[str, int, str] | None:
    """The innermost frame outside graft and the decorators around its entry points."""
    frame: Any = sys._getframe(1)
    while frame is not None:
        fn = frame.f_code.co_filename
        if not fn.startswith(_GRAFT_DIR) and fn != contextlib.__file__:
            return (fn, frame.f_lineno, frame.f_code.co_name)
        frame = frame.f_back
    return None


def _unpickle_function(state: dict[str, Any]) -> Function:
    if state.get("version") != 1:
        raise ValueError(f"cannot unpickle a graft Function of version {state.get('version')!r}")
    collected: CollectedGraph = state["collected"]
    mode: Mode = state["mode"]
    prof = None
    if state["profile"] is not None:
        prof = ProfileStats(message=state["profile"], atexit_print=state["profile_atexit"])
    options = {
        "accept_inplace": state["accept_inplace"],
        "allow_input_downcast": state["allow_input_downcast"],
        "profile": prof,
        "name": state["name"],
    }
    linker = state["linker"]
    maker: FunctionMaker | None = None
    if isinstance(linker, str):
        from graft.compile.mode import _load_linker

        try:
            linker = _load_linker(linker)
        except (ValueError, RuntimeError) as e:
            mode = mode.clone(linker=None)
            warnings.warn(
                f"unpickling graft function {state['name'] or ''}: {e}; compiling its graph "
                f"again with {mode} (backend {mode.backend!r})",
                UserWarning,
                stacklevel=2,
            )
            maker = FunctionMaker(collected, mode, **options)
    if maker is None:
        maker = FunctionMaker.from_rewritten(collected, state["fgraph"], mode, linker, **options)
    fn = maker.create(trust_input=state["trust_input"])
    for cell, saved in zip(fn._defaults, state["defaults"]):
        if cell is not None and saved is not None:
            cell[0] = saved[0]  # the current state of In(..., update=...) inputs
    return fn


def _input_error(
    e: Exception, label: str, k: int, name: str | None, var: Variable, what: str
) -> Exception:
    who = f"input {k} ({name!r})" if name else f"input {k}"
    msg = f"{label}: bad {what} for {who}, expected type {var.type}: {e}"
    new: Exception = TypeError(msg)
    if isinstance(e, TypeError | ValueError):
        try:
            new = type(e)(msg)
        except Exception:
            new = (ValueError if isinstance(e, ValueError) else TypeError)(msg)
        new.__cause__ = None  # the message says it all
    else:
        new.__cause__ = e  # an unexpected failure inside a filter: keep it visible
    new.__suppress_context__ = True
    return new


def function(
    inputs: Sequence[Variable | In],
    outputs: Variable | Out | Sequence[Variable | Out] | None = None,
    mode: str | Mode | None = None,
    updates: Any = None,
    givens: Any = None,
    no_default_updates: bool | Sequence[SharedVariable] = False,
    accept_inplace: bool = False,
    name: str | None = None,
    rebuild_strict: bool = True,
    allow_input_downcast: bool | None = None,
    profile: bool | ProfileStats | None = None,
    on_unused_input: str | None = None,
    trust_input: bool = False,
) -> Function:
    """Compile ``inputs → outputs`` into a callable `Function`.

    - ``inputs``: a list of owner-less, non-constant, distinct Variables or
      `In` specs (names, defaults, update states). Shared variables the graph
      reads are implicit inputs.
    - ``outputs``: a Variable or `Out` (the function returns one value), a
      list/tuple (returns a list) or None (returns ``[]``).
    - ``updates``: ``{shared_var: expression}`` (or pairs), written after each
      call; expressions must have the shared variable's type. Shared
      variables with a ``default_update`` are updated too, unless
      ``no_default_updates`` (True, or a list of shared variables).
    - ``givens``: ``{var: replacement}`` substituted before compiling; with
      ``rebuild_strict`` the types must be compatible.
    - ``mode``: a `Mode` or mode name (default ``config.mode``).
    - ``on_unused_input``: ``"raise"`` (default from ``config``), ``"warn"``
      or ``"ignore"``; ``allow_input_downcast`` permits lossy input
      conversions; ``profile`` (True or a `ProfileStats`; default
      ``config.profile``) records timings in ``f.profile`` (``True`` and
      ``config.profile`` also print them at exit); ``trust_input`` skips
      call checks.

    Example::

        x, y = float64("x"), float64("y")
        f = function([x, y], x * y + 1)
        f(2.0, 3.0)                          # 7.0
        count = SharedVariable(int64, 0, name="count")
        tick = function([], count, updates={count: count + 1})
    """
    t_start = perf_counter()
    # Reading the flag reports a GRAFT_FLAGS value that asks for test values (unsupported).
    config.compute_test_value  # noqa: B018
    prof = _make_profile(profile, name)
    collected = collect_graph(
        inputs,
        outputs,
        updates=updates,
        givens=givens,
        no_default_updates=no_default_updates,
        rebuild_strict=rebuild_strict,
        on_unused_input=on_unused_input,
    )
    maker = FunctionMaker(
        collected,
        get_mode(mode),
        accept_inplace=accept_inplace,
        allow_input_downcast=allow_input_downcast,
        profile=prof,
        name=name,
    )
    fn = maker.create(trust_input=trust_input)
    if prof is not None:
        prof.compile_time += perf_counter() - t_start
    return fn


def _make_profile(profile: bool | ProfileStats | None, name: str | None) -> ProfileStats | None:
    if isinstance(profile, ProfileStats):
        return profile
    if profile is None:
        profile = bool(config.profile)
    if not profile:
        return None
    message = name
    if message is None:
        frame = user_frame()
        message = f"{frame[0]}:{frame[1]}" if frame else "<unknown>"
    # Printed at exit, as PyTensor does (``f.profile.summary()`` prints it on demand).
    return ProfileStats(
        message=message, atexit_print=True, print_rewriter_profile=bool(config.profile_optimizer)
    )


def _checker(checks: list[Callable[[Any], Any]], types: Sequence[Any]) -> Callable[..., list[Any]]:
    """One function that checks every argument: an array already of an input's dtype and
    rank (sizes unknown statically) passes with three attribute tests; anything else goes
    through that input's filter. Generated from a fixed template (indices only), because a
    loop or ``map`` over the filters cost twice as much as the checks themselves.
    """
    from graft.tensor.type import TensorType

    env: dict[str, Any] = {"ndarray": np.ndarray}
    lines = ["def check(vals):"]
    for k, (filt, t) in enumerate(zip(checks, types)):
        env[f"f{k}"] = filt
        plain = isinstance(filt, MethodType) and filt.__func__ is TensorType.filter
        if plain and isinstance(t, TensorType) and all(d is None for d in t.shape):
            env[f"d{k}"] = t.numpy_dtype
            lines.append(f"    v{k} = vals[{k}]")
            lines.append(
                f"    if not (type(v{k}) is ndarray and v{k}.dtype is d{k} "
                f"and v{k}.ndim == {t.ndim}):"
            )
            lines.append(f"        v{k} = f{k}(v{k})")
        else:
            lines.append(f"    v{k} = f{k}(vals[{k}])")
    lines.append(f"    return [{', '.join(f'v{k}' for k in range(len(checks)))}]")
    exec(compile("\n".join(lines), "<graft argument checks>", "exec"), env)
    return env["check"]  # type: ignore[no-any-return]
