"""Preparing what `graft.function` compiles: inputs, outputs, givens, updates, shared values.

`collect_graph` checks and normalises ``function``'s arguments, applies
``givens``, finds the shared variables the graph uses (they become implicit
inputs), adds their default updates, and checks for missing and unused
inputs. Every error names the variable at fault.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from graft.compile.io import In, Out
from graft.graph.basic import Constant, Variable, ancestors, clone_get_equiv
from graft.graph.sharedvalue import SharedVariable
from graft.graph.utils import MissingInputError, user_frame

__all__ = ["CollectedGraph", "UnusedInputError", "collect_graph"]


class UnusedInputError(ValueError):
    """An input of `graft.function` is not needed to compute its outputs or updates."""


@dataclass
class CollectedGraph:
    """The checked pieces of a `graft.function` call, givens applied.

    ``updates`` pairs each updated thing (an `In` with ``update`` or a
    `SharedVariable`) with its expression; ``shared_inputs`` are the shared
    variables the graph reads, in first-seen order.
    """

    inputs: list[In]
    outputs: list[Out]
    single_output: bool
    shared_inputs: list[SharedVariable] = field(default_factory=list)
    updates: list[tuple[In | SharedVariable, Variable]] = field(default_factory=list)


def _describe(v: Variable) -> str:
    return repr(v.name) if v.name else str(v)


def _as_inputs(inputs: Any) -> list[In]:
    if isinstance(inputs, Variable | In):
        raise TypeError(
            "function() takes its inputs as a list (or tuple), even for a single input: "
            f"function([{inputs}], ...)"
        )
    if not isinstance(inputs, list | tuple):
        raise TypeError(f"function() inputs must be a list of Variables or In, got {inputs!r}")
    ins: list[In] = []
    first_pos: dict[Variable, int] = {}
    for i, item in enumerate(inputs):
        spec = item if isinstance(item, In) else None
        if spec is None:
            if not isinstance(item, Variable):
                raise TypeError(
                    f"function(): input {i} must be a Variable or In, "
                    f"got {type(item).__name__}: {item!r}"
                )
            spec = In(item)
        v = spec.variable
        if isinstance(v, SharedVariable):
            raise TypeError(
                f"function(): input {i} ({_describe(v)}) is a shared variable; shared "
                "variables are fed from their stored value and cannot be explicit inputs. "
                "Drop it from the inputs, or substitute a non-shared variable via `givens`."
            )
        if isinstance(v, Constant):
            raise ValueError(
                f"function(): input {i} ({v}) is a constant; inputs must be free variables"
            )
        if v.owner is not None:
            raise ValueError(
                f"function(): input {i} ({_describe(v)}) is computed by {v.owner.op} "
                f"(node {v.owner}); inputs must be free variables, not results of operations"
            )
        if v in first_pos:
            raise ValueError(
                f"function(): input {_describe(v)} is given twice (positions "
                f"{first_pos[v]} and {i}); each input may appear once"
            )
        first_pos[v] = i
        ins.append(spec)
    return ins


def _as_outputs(outputs: Any) -> tuple[list[Out], bool]:
    if outputs is None:
        return [], False
    single = not isinstance(outputs, list | tuple)
    items = [outputs] if single else list(outputs)
    outs: list[Out] = []
    for j, item in enumerate(items):
        if isinstance(item, Out):
            outs.append(item)
        elif isinstance(item, Variable):
            outs.append(Out(item))
        else:
            where = "the output" if single else f"output {j}"
            raise TypeError(
                f"function(): {where} must be a Variable or Out, got "
                f"{type(item).__name__}: {item!r}"
            )
    return outs, single


def _pairs(arg: Any, what: str) -> list[tuple[Any, Any]]:
    if arg is None:
        return []
    if isinstance(arg, Mapping):
        return list(arg.items())
    if isinstance(arg, set | frozenset):
        raise TypeError(f"function(): {what} must be a dict or a list of pairs, not a set")
    if not isinstance(arg, Iterable):
        raise TypeError(f"function(): {what} must be a dict or a list of pairs, got {arg!r}")
    pairs = []
    for item in arg:
        if not (isinstance(item, tuple | list) and len(item) == 2):
            raise TypeError(
                f"function(): each entry of {what} must be a (key, value) pair, got {item!r}"
            )
        pairs.append((item[0], item[1]))
    return pairs


def _check_givens(givens: Any, strict: bool) -> dict[Variable, Variable]:
    memo: dict[Variable, Variable] = {}
    for old, new in _pairs(givens, "givens"):
        if not isinstance(old, Variable):
            raise TypeError(f"function(): givens keys must be Variables, got {old!r}")
        if old in memo:
            raise ValueError(f"function(): givens replaces {_describe(old)} twice")
        if isinstance(new, Variable) and not strict:
            memo[old] = new
            continue
        try:
            memo[old] = old.type.filter_variable(new, allow_convert=True)
        except (TypeError, ValueError) as e:
            got = f"{new} (type {new.type})" if isinstance(new, Variable) else repr(new)
            raise TypeError(
                f"function(): givens cannot replace {_describe(old)} (type {old.type}) by "
                f"{got}: the types are incompatible ({e})"
            ) from None
    return memo


def _check_update(target: Variable, expr: Any, label: str) -> Variable:
    try:
        return target.type.filter_variable(expr, allow_convert=True)
    except (TypeError, ValueError) as e:
        got = f"type {expr.type}" if isinstance(expr, Variable) else f"value {expr!r}"
        raise TypeError(
            f"function(): the {label} of {_describe(target)} has {got}, but "
            f"{_describe(target)} has type {target.type}; cast the expression to it ({e})"
        ) from None


class _Replacer:
    """Applies ``givens`` to expressions, cloning shared structure once."""

    def __init__(self, givens: dict[Variable, Variable]) -> None:
        self.memo: dict[Any, Any] = dict(givens)
        self.active = bool(givens)

    def __call__(self, exprs: Sequence[Variable]) -> list[Variable]:
        if not self.active:
            return list(exprs)
        memo = self.memo
        leaves = [v for v in ancestors(exprs, blockers=memo) if v.owner is None and v not in memo]
        equiv = clone_get_equiv(leaves, exprs, copy_inputs=False, copy_orphans=False, memo=memo)
        return [equiv[e] for e in exprs]


def collect_graph(
    inputs: Any,
    outputs: Any,
    updates: Any = None,
    givens: Any = None,
    no_default_updates: bool | Sequence[SharedVariable] = False,
    rebuild_strict: bool = True,
    on_unused_input: str | None = None,
) -> CollectedGraph:
    """Check ``function``'s arguments and gather the graph to compile (see the module doc)."""
    ins = _as_inputs(inputs)
    outs, single = _as_outputs(outputs)
    replace = _Replacer(_check_givens(givens, rebuild_strict))

    # Explicit updates: shared variable -> expression of the same type.
    updated: dict[SharedVariable, Variable] = {}
    for target, expr in _pairs(updates, "updates"):
        if not isinstance(target, SharedVariable):
            raise TypeError(
                f"function(): updates keys must be shared variables, got {target!r} "
                f"({type(target).__name__})"
            )
        if target in updated:
            raise ValueError(f"function(): shared variable {_describe(target)} is updated twice")
        updated[target] = _check_update(target, expr, "update")
    stateful = [i for i in ins if i.update is not None]
    exprs: list[Variable] = [_check_update(i.variable, i.update, "update") for i in stateful]
    targets: list[In | SharedVariable] = [*stateful, *updated]
    exprs.extend(updated.values())

    new_outs = replace([o.variable for o in outs])
    exprs = replace(exprs)
    out_specs = [Out(v, o.borrow) for v, o in zip(new_outs, outs)]

    explicit = {i.variable: k for k, i in enumerate(ins)}
    if no_default_updates is True:
        skip_defaults: set[SharedVariable] = set()
        use_defaults = False
    else:
        skip_defaults = set(no_default_updates or ())
        use_defaults = True
    seen: set[Variable] = set()
    shared_inputs: list[SharedVariable] = []
    missing: list[Variable] = []
    roots: list[Variable] = [*new_outs, *exprs]
    stack = list(reversed(roots))
    pending = 0  # exprs[:pending] checked for default updates already
    while True:
        while stack:
            v = stack.pop()
            if v in seen:
                continue
            seen.add(v)
            owner = v.owner
            if owner is not None:
                stack.extend(owner.inputs)
            elif isinstance(v, SharedVariable):
                shared_inputs.append(v)
            elif not isinstance(v, Constant) and v not in explicit:
                missing.append(v)
        # Shared variables met so far may bring default updates (which may read more).
        new_exprs = []
        for s in shared_inputs[pending:]:
            if (
                use_defaults
                and s.default_update is not None
                and s not in updated
                and s not in skip_defaults
            ):
                expr = _check_update(s, s.default_update, "default_update")
                updated[s] = expr
                targets.append(s)
                new_exprs.append(expr)
        pending = len(shared_inputs)
        if not new_exprs:
            break
        new_exprs = replace(new_exprs)
        exprs.extend(new_exprs)
        roots.extend(new_exprs)
        stack.extend(reversed(new_exprs))

    if missing:
        _raise_missing(missing[0], roots, len(new_outs), ins)
    unused = [(k, i) for k, i in enumerate(ins) if i.variable not in seen]
    if unused:
        _unused(unused, on_unused_input)
    return CollectedGraph(ins, out_specs, single, shared_inputs, list(zip(targets, exprs)))


def _raise_missing(var: Variable, roots: list[Variable], n_out: int, ins: list[In]) -> None:
    where = "the graph"
    for j, root in enumerate(roots):
        if any(a is var for a in ancestors([root])):
            where = f"output {j} ({root})" if j < n_out else f"the update {root}"
            break
    names = ", ".join(_describe(i.variable) for i in ins) or "none"
    raise MissingInputError(
        f"function(): {where} depends on {_describe(var)} (type {var.type}), which is not "
        f"among the inputs ({names}). Add it to the inputs, replace it through `givens`, "
        "or make it a shared variable.",
        variable=var,
    )


def _unused(unused: list[tuple[int, In]], on_unused_input: str | None) -> None:
    if on_unused_input is None:
        from graft.configparser import config

        on_unused_input = config.on_unused_input
    if on_unused_input == "ignore":
        return
    if on_unused_input not in ("raise", "warn"):
        raise ValueError(
            f"on_unused_input must be 'raise', 'warn' or 'ignore', got {on_unused_input!r}"
        )
    for k, spec in unused:
        msg = (
            f"function(): input {k} ({_describe(spec.variable)}) is not used to compute the "
            "outputs or updates; pass on_unused_input='warn' or 'ignore' to allow it"
        )
        if on_unused_input == "raise":
            raise UnusedInputError(msg)
        frame = user_frame()
        warnings.warn_explicit(
            msg,
            UserWarning,
            frame[0] if frame else "graft",
            frame[1] if frame else 0,
        )
