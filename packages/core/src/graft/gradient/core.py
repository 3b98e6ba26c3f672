"""`grad`: the reverse-mode pass over a graph, and the helpers it shares with `Lop`/`Rop`."""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from time import perf_counter
from typing import Any, overload

import numpy as np

from graft.gradient.types import (
    _CONTINUOUS,
    _DISCRETE,
    DisconnectedInputError,
    NullTypeGradError,
    _dtype,
    _float_x,
    _is_disconnected,
    _is_discrete,
    _is_null,
    disconnected_type,
)
from graft.graph.basic import Apply, Variable, ancestors, io_toposort
from graft.scalar.basic import add as sadd
from graft.scalar.basic import cast as scast
from graft.scalar.type import ScalarType
from graft.scalar.type import constant as sconstant
from graft.tensor import math as tmath
from graft.tensor.basic import (
    alloc,
    as_tensor_variable,
    cast,
    constant,
    fill,
    scalar_from_tensor,
    sum_to_shape_of,
    tensor_from_scalar,
    zeros_like,
)
from graft.tensor.type import TensorType

_POLICIES = ("raise", "warn", "ignore")
_RETURN_DISCONNECTED = ("zero", "None", "Disconnected")


# ---------------------------------------------------------------------------
# Small type-directed helpers (tensor and scalar layers)
# ---------------------------------------------------------------------------


def _zeros_like(v: Variable, dtype: str | None = None) -> Variable:
    """Zeros with the type of ``v`` (or ``dtype``); floatX when ``v`` is discrete and no dtype."""
    if dtype is None:
        dtype = _dtype(v)
        if dtype is None or dtype in _DISCRETE:
            dtype = _float_x()
    if isinstance(v.type, TensorType):
        return zeros_like(v, dtype=dtype)
    if isinstance(v.type, ScalarType):
        return sconstant(0, dtype)
    maker = getattr(v, "zeros_like", None)
    if maker is not None:
        return maker()
    return disconnected_type()


def _static_zeros(v: Variable) -> Variable | None:
    """Zeros like `_zeros_like(v)` built from ``v``'s static shape alone (None if not fully known).

    Such a zero needs no input: a function computing it does not need ``v``.
    """
    vt = v.type
    if not isinstance(vt, TensorType) or any(s is None for s in vt.shape):
        return None
    dtype = _dtype(v)
    if dtype is None or dtype in _DISCRETE:
        dtype = _float_x()
    return alloc(constant(0, dtype=dtype), *(int(s) for s in vt.shape if s is not None))


def _discrete_zero(w: Variable, g: Variable) -> Variable:
    """The gradient w.r.t. a discrete ``w`` whose (connected) gradient graph is ``g``: a zero.

    It is a floatX zero of ``w``'s shape, and it depends on ``w`` only when
    nothing else gives that shape: the static shape when it is fully known,
    else the shape of ``g`` when ``g`` does not depend on ``w`` (a
    ``known_grads`` entry for ``w`` has ``w``'s shape), else ``w`` itself.
    """
    z = _static_zeros(w)
    if z is not None:
        return z
    if isinstance(w.type, TensorType) and isinstance(g.type, TensorType):
        if g.type.ndim == w.type.ndim and w not in set(ancestors([g])):
            return zeros_like(g, dtype=_float_x())
    return _zeros_like(w)


def _ones_seed(cost: Variable) -> Variable:
    """The gradient of the cost w.r.t. itself: 1 (floatX for a discrete cost)."""
    dtype = _dtype(cost)
    if dtype is None or dtype in _DISCRETE:
        dtype = _float_x()
    if isinstance(cost.type, ScalarType):
        return sconstant(1, dtype)
    return constant(1, dtype=dtype)


def _as_type_family(v: Variable, g: Variable) -> Variable:
    """``g`` moved to ``v``'s layer: a 0-d tensor for a scalar variable and vice versa."""
    if isinstance(v.type, TensorType) and isinstance(g.type, ScalarType):
        return tensor_from_scalar(g)
    if isinstance(v.type, ScalarType) and isinstance(g.type, TensorType):
        if g.type.ndim != 0:
            raise ValueError(f"the gradient of the scalar {v} is a {g.type.ndim}-d tensor {g}")

        return scalar_from_tensor(g)
    return g


def _cast(g: Variable, dtype: str) -> Variable:
    if _dtype(g) == dtype:
        return g
    if isinstance(g.type, ScalarType):
        return scast(g, dtype)

    return cast(g, dtype)


def _match_dtype(v: Variable, g: Variable) -> Variable:
    """Cast ``g`` to ``v``'s dtype when ``v`` is continuous (discrete variables keep float grads)."""
    g = _as_type_family(v, g)
    dv = _dtype(v)
    if dv in _CONTINUOUS and _dtype(g) is not None and _dtype(g) != dv:
        return _cast(g, dv)
    return g


def _sum_terms(v: Variable, terms: list[Variable]) -> Variable:
    """Sum of the gradient contributions to ``v`` (the first NullType one wins)."""
    for t in terms:
        if _is_null(t):
            return t
    if len(terms) == 1:
        total = _as_type_family(v, terms[0])
    elif isinstance(v.type, ScalarType):
        total = sadd(*[_as_type_family(v, t) for t in terms])
    else:
        add: Any = tmath.add  # generated per scalar op
        total = add(*[_as_type_family(v, t) for t in terms])
    return _match_dtype(v, total)


def _fit_to(w: Variable, g: Variable) -> Variable:
    """``g`` with the dtype and static shape of ``w`` (summing broadcast dimensions)."""
    g = _as_type_family(w, g)
    wt = w.type
    if isinstance(wt, TensorType):
        gt = g.type
        if not isinstance(gt, TensorType):
            raise TypeError(f"the gradient of tensor {w} is {g} of type {gt}")
        if gt.ndim < wt.ndim:
            raise ValueError(
                f"the gradient of {w} ({wt.ndim}-d) has only {gt.ndim} dimensions: {g}"
            )

        return sum_to_shape_of(g, w)
    return _match_dtype(w, g)


def _as_list(x: Any, what: str) -> tuple[list[Variable], str]:
    """``x`` as a list of Variables plus how it came: "single", "list" or "tuple"."""
    if isinstance(x, Variable):
        return [x], "single"
    if isinstance(x, list | tuple):
        for i, v in enumerate(x):
            if not isinstance(v, Variable):
                raise TypeError(f"{what}[{i}] must be a Variable, got {type(v).__name__}: {v!r}")
        return list(x), "list" if isinstance(x, list) else "tuple"
    raise TypeError(f"{what} must be a Variable or a list of Variables, got {type(x).__name__}")


def _restore(values: list[Any], kind: str) -> Any:
    if kind == "single":
        return values[0]
    return values if kind == "list" else tuple(values)


def _check_choice(name: str, value: Any, choices: Sequence[str]) -> None:
    if value not in choices:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, choices))}; got {value!r}")


def _as_grad_variable(var: Variable, g: Any, what: str) -> Variable:
    """Check a user-supplied gradient for ``var`` and bring it to ``var``'s type family."""
    if not isinstance(g, Variable):
        dtype = _dtype(var)
        if dtype is None or dtype in _DISCRETE:
            dtype = _float_x()
        if isinstance(var.type, ScalarType):
            g = sconstant(g, dtype)
        else:
            g = as_tensor_variable(np.asarray(g, dtype=dtype))
    if _is_null(g) or _is_disconnected(g):
        return g
    dg = _dtype(g)
    if dg not in _CONTINUOUS:
        raise TypeError(f"{what} for {var} has dtype {dg}; gradients must be floating point")
    g = _as_type_family(var, g)
    vt, gt = var.type, g.type
    if isinstance(vt, TensorType) and (not isinstance(gt, TensorType) or gt.ndim != vt.ndim):
        raise ValueError(
            f"{what} for {var} must be a {vt.ndim}-d tensor like it, got {g} of type {gt}"
        )
    return _match_dtype(var, g)


# ---------------------------------------------------------------------------
# The backward pass
# ---------------------------------------------------------------------------


def _backprop(
    fixed: dict[Variable, Variable],
    wrt: Sequence[Variable],
    blockers: set[Variable],
    seeds: dict[Variable, Variable] | None = None,
) -> dict[Variable, Variable]:
    """Gradients w.r.t. ``wrt`` given the roots' gradients.

    ``fixed`` maps a variable to its *total* gradient (contributions through
    its clients are ignored, as for ``known_grads``); ``seeds`` maps a
    variable to a gradient *added* to those contributions (as a VJP needs
    when one output is an ancestor of another). Returns ``{w: gradient}`` for
    each connected ``w`` (NullType gradients included); a disconnected ``w``
    is absent. Gradients do not flow through the owners of ``blockers``.
    """
    seeds = seeds or {}
    nodes = io_toposort((), [*fixed, *seeds], stop=blockers)
    wrt_set = set(wrt)

    # Forward pass: the variables that depend on some wrt through connected
    # input→output pairs. Only their owners' L_ops are ever called.
    leads: set[Variable] = set(wrt_set)
    patterns: dict[Apply, list[list[bool]]] = {}
    for node in nodes:
        ins = node.inputs
        lead_idx = [i for i, v in enumerate(ins) if v in leads]
        if not lead_idx:
            continue
        pattern = node.op.connection_pattern(node)
        if len(pattern) != len(ins):
            raise ValueError(
                f"{node.op}.connection_pattern has {len(pattern)} rows for {len(ins)} inputs"
            )
        patterns[node] = pattern
        for j, out in enumerate(node.outputs):
            if out not in blockers and any(pattern[i][j] for i in lead_idx):
                leads.add(out)

    # Backward pass: contributions are summed when the owner of a variable is
    # reached, which is after all of its clients (reverse topological order).
    terms: dict[Variable, list[Variable]] = {}
    totals: dict[Variable, Variable | None] = {}

    def total(v: Variable) -> Variable | None:
        if v in totals:
            return totals[v]
        g: Variable | None
        if v in fixed:
            g = fixed[v]
            terms.pop(v, None)
        else:
            ts = terms.pop(v, None)
            seed = seeds.get(v)
            if seed is not None:
                ts = [seed, *ts] if ts else [seed]
            g = _sum_terms(v, ts) if ts else None
        if g is not None and _is_disconnected(g):
            g = None
        if v in wrt_set:
            totals[v] = g
        return g

    for node in reversed(nodes):
        pat = patterns.get(node)
        if pat is None:
            continue
        outs = node.outputs
        ogs = [None if o in blockers else total(o) for o in outs]
        ins = node.inputs
        needed = [
            i
            for i, v in enumerate(ins)
            if v in leads and any(pat[i][j] and ogs[j] is not None for j in range(len(outs)))
        ]
        if not needed:
            continue
        nulls: dict[int, Variable] = {}
        call_ogs: list[Variable] = []
        for j, (o, g) in enumerate(zip(outs, ogs)):
            if g is None:
                call_ogs.append(_zeros_like(o))
            elif _is_null(g):
                # Inputs connected to an undefined output gradient are undefined too.
                for i in needed:
                    if pat[i][j]:
                        nulls.setdefault(i, g)
                call_ogs.append(_zeros_like(o))
            else:
                call_ogs.append(_match_dtype(o, g))
        input_grads: Sequence[Any] = ()
        if any(i not in nulls for i in needed):
            input_grads = node.op.L_op(ins, outs, call_ogs)
            if not isinstance(input_grads, list | tuple):
                raise TypeError(
                    f"{node.op}.L_op must return a list of gradients, got "
                    f"{type(input_grads).__name__}"
                )
            if len(input_grads) != len(ins):
                raise ValueError(
                    f"{node.op}.L_op returned {len(input_grads)} gradients for {len(ins)} inputs"
                )
        for i in needed:
            gi = nulls.get(i)
            if gi is None:
                gi = _check_input_grad(node, i, input_grads[i])
            if _is_disconnected(gi):
                continue
            terms.setdefault(ins[i], []).append(gi)

    result: dict[Variable, Variable] = {}
    for w in wrt:
        g = total(w)
        if g is not None:
            result[w] = g
    return result


def _check_input_grad(node: Apply, i: int, gi: Any) -> Variable:
    inp = node.inputs[i]
    if gi is None:
        raise TypeError(
            f"{node.op}.L_op returned None for input {i} ({inp}); return a zero gradient, "
            "disconnected_type() or grad_undefined(...) instead"
        )
    if not isinstance(gi, Variable):
        raise TypeError(
            f"{node.op}.L_op returned {type(gi).__name__} {gi!r} for input {i} ({inp}); "
            "gradients must be Variables"
        )
    it, gt = inp.type, gi.type
    if isinstance(it, TensorType) and isinstance(gt, TensorType) and it.ndim != gt.ndim:
        if gt.ndim < it.ndim:
            # A lower-rank gradient (Elemwise gives 0-d zeros for constant or discrete
            # inputs) stands for every element: broadcast it to the input's shape.

            return fill(inp, gi)
        raise ValueError(
            f"{node.op}.L_op returned a {gt.ndim}-d gradient {gi} for the {it.ndim}-d "
            f"input {i} ({inp})"
        )
    return gi


# ---------------------------------------------------------------------------
# grad
# ---------------------------------------------------------------------------


@overload
def grad(
    cost: Variable | None,
    wrt: Variable,
    consider_constant: Sequence[Variable] | None = None,
    disconnected_inputs: str = "raise",
    add_names: bool = True,
    known_grads: Mapping[Variable, Any] | None = None,
    return_disconnected: str = "zero",
    null_gradients: str = "raise",
) -> Variable: ...


@overload
def grad(
    cost: Variable | None,
    wrt: list[Variable],
    consider_constant: Sequence[Variable] | None = None,
    disconnected_inputs: str = "raise",
    add_names: bool = True,
    known_grads: Mapping[Variable, Any] | None = None,
    return_disconnected: str = "zero",
    null_gradients: str = "raise",
) -> list[Variable]: ...


@overload
def grad(
    cost: Variable | None,
    wrt: tuple[Variable, ...],
    consider_constant: Sequence[Variable] | None = None,
    disconnected_inputs: str = "raise",
    add_names: bool = True,
    known_grads: Mapping[Variable, Any] | None = None,
    return_disconnected: str = "zero",
    null_gradients: str = "raise",
) -> tuple[Variable, ...]: ...


def grad(
    cost: Variable | None,
    wrt: Variable | Sequence[Variable],
    consider_constant: Sequence[Variable] | None = None,
    disconnected_inputs: str = "raise",
    add_names: bool = True,
    known_grads: Mapping[Variable, Any] | None = None,
    return_disconnected: str = "zero",
    null_gradients: str = "raise",
) -> Any:
    """Symbolic gradient of a scalar ``cost`` with respect to ``wrt``.

    - ``cost``: a 0-d tensor (or a graft.scalar variable); may be None when
      ``known_grads`` is given.
    - ``wrt``: a variable, or a list/tuple of them; the result has the same
      structure. Each gradient has the dtype and static shape of its ``wrt``;
      integer/bool ``wrt`` get zero gradients (of floatX). Such a zero is
      built without ``wrt`` where possible: from its static shape, or from
      the shape of its gradient graph (e.g. its ``known_grads`` entry), so
      ``grad(None, x_int, known_grads={x_int: g})`` needs only ``g``.
    - ``consider_constant``: variables treated as constants (gradients do not
      flow through their owners).
    - ``disconnected_inputs``: ``"raise"`` (`DisconnectedInputError`),
      ``"warn"`` or ``"ignore"`` when a ``wrt`` does not influence the cost;
      ``return_disconnected`` then picks the result for it: ``"zero"``
      (zeros like ``wrt``), ``"None"`` or ``"Disconnected"`` (a
      `DisconnectedType` variable).
    - ``known_grads``: ``{variable: its total gradient}``; these are used as
      given (contributions through the variable's clients are not added) and
      propagated further.
    - ``null_gradients``: ``"raise"`` (`NullTypeGradError` naming the Op and
      the reason) or ``"return"`` (return the `NullType` variable) when an
      undefined gradient reaches a ``wrt``.
    - ``add_names``: name gradients ``(d<cost>/d<wrt>)`` when both are named.

    Example::

        x = gt.dvector("x"); w = gt.dvector("w")
        cost = gt.sum(gt.exp(x * w))
        gx, gw = grad(cost, [x, w])
    """
    t0 = perf_counter()
    try:
        return _grad(
            cost,
            wrt,
            consider_constant,
            disconnected_inputs,
            add_names,
            known_grads,
            return_disconnected,
            null_gradients,
        )
    finally:
        _add_grad_time(perf_counter() - t0)


def _grad_any(*args: Any, **kwargs: Any) -> Any:
    """`grad` for callers whose ``wrt`` structure is only known at run time."""
    return grad(*args, **kwargs)


#: Seconds spent in all calls to `grad` (function profiles print it).
grad_time: float = 0.0


def _add_grad_time(seconds: float) -> None:
    global grad_time
    grad_time += seconds


def _grad(
    cost: Variable | None,
    wrt: Any,
    consider_constant: Sequence[Variable] | None,
    disconnected_inputs: str,
    add_names: bool,
    known_grads: Mapping[Variable, Any] | None,
    return_disconnected: str,
    null_gradients: str,
    seeds: dict[Variable, Variable] | None = None,
) -> Any:
    _check_choice("disconnected_inputs", disconnected_inputs, _POLICIES)
    _check_choice("return_disconnected", return_disconnected, _RETURN_DISCONNECTED)
    _check_choice("null_gradients", null_gradients, ("raise", "return"))
    wrt_list, kind = _as_list(wrt, "wrt")
    known = dict(known_grads) if known_grads else {}
    if cost is None and not known and not seeds:
        raise ValueError("grad needs a cost, or known_grads when cost is None")

    fixed: dict[Variable, Variable] = {}
    if cost is not None:
        if not isinstance(cost, Variable):
            raise TypeError(f"cost must be a graph Variable, got {type(cost).__name__}: {cost!r}")
        ct = cost.type
        if isinstance(ct, TensorType):
            if ct.ndim != 0:
                raise TypeError(
                    f"cost must be a scalar (0-d tensor), but {cost} has {ct.ndim} dimensions "
                    f"(type {ct}); reduce it first, e.g. with .sum()"
                )
        elif not isinstance(ct, ScalarType):
            raise TypeError(f"cost must be a 0-d tensor or a scalar, got {cost} of type {ct}")
        if cost not in known:
            fixed[cost] = _ones_seed(cost)
    for var, g in known.items():
        if not isinstance(var, Variable):
            raise TypeError(f"known_grads keys must be Variables, got {type(var).__name__}")
        fixed[var] = _as_grad_variable(var, g, "known_grads entry")

    blockers: set[Variable] = set()
    if isinstance(consider_constant, Variable):
        raise TypeError("consider_constant must be a list of Variables, not a single Variable")
    for i, c in enumerate(consider_constant or ()):
        if not isinstance(c, Variable):
            raise TypeError(f"consider_constant[{i}] must be a Variable, got {type(c).__name__}")
        blockers.add(c)

    totals = _backprop(fixed, wrt_list, blockers, seeds)

    cost_name = cost.name if cost is not None else None
    given = {id(g) for g in (*fixed.values(), *(seeds or {}).values())}
    out: list[Any] = []
    for k, w in enumerate(wrt_list):
        g = totals.get(w)
        if g is None:
            if disconnected_inputs != "ignore":
                where = "" if kind == "single" else f" (wrt[{k}])"
                msg = (
                    f"grad: the cost does not depend on {w}{where}: it is not in the cost's "
                    "graph or reaches it only through non-differentiable operations. Pass "
                    "disconnected_inputs='ignore' or 'warn' to accept that."
                )
                if disconnected_inputs == "raise":
                    raise DisconnectedInputError(msg)
                warnings.warn(msg, stacklevel=3)
            if return_disconnected == "zero":
                z = _static_zeros(w)
                out.append(z if z is not None else _zeros_like(w))
            elif return_disconnected == "None":
                out.append(None)
            else:
                out.append(disconnected_type())
            continue
        if _is_null(g):
            if null_gradients == "raise":
                why = g.type.why_null  # type: ignore[attr-defined]
                raise NullTypeGradError(f"grad: the gradient w.r.t. {w} is undefined: {why}")
            out.append(g)
            continue
        if _is_discrete(w):
            g = _discrete_zero(w, g)
        else:
            g = _fit_to(w, g)
        if (
            add_names
            and cost_name is not None
            and w.name is not None
            and g.name is None
            and g.owner is not None
            and id(g) not in given
        ):
            g.name = f"(d{cost_name}/d{w.name})"
        out.append(g)
    return _restore(out, kind)


def _add_grads(v: Variable, a: Variable, b: Variable) -> Variable:
    return _sum_terms(v, [a, b])


def _vjp(
    seeds: dict[Variable, Variable],
    wrt: Any,
    consider_constant: Sequence[Variable] | None,
    disconnected_inputs: str,
    return_disconnected: str,
    null_gradients: str,
) -> Any:
    """Sum of the seeds' vector-Jacobian products w.r.t. ``wrt`` (timed like `grad`)."""
    t0 = perf_counter()
    try:
        return _grad(
            None,
            wrt,
            consider_constant,
            disconnected_inputs,
            False,
            None,
            return_disconnected,
            null_gradients,
            seeds=seeds,
        )
    finally:
        _add_grad_time(perf_counter() - t0)
