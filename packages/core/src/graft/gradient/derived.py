"""Built on `grad`: `Lop`, `Rop`, `jacobian`, `hessian` and `subgraph_grad`."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

from graft.gradient.core import (
    _POLICIES,
    _RETURN_DISCONNECTED,
    _add_grads,
    _as_grad_variable,
    _as_list,
    _as_type_family,
    _check_choice,
    _fit_to,
    _grad_any,
    _match_dtype,
    _restore,
    _vjp,
    _zeros_like,
    grad,
)
from graft.gradient.types import (
    _DISCRETE,
    DisconnectedInputError,
    NullTypeGradError,
    _float_x,
    _is_disconnected,
    _is_discrete,
    _is_null,
    disconnected_type,
)
from graft.graph.basic import Variable, ancestors, clone_replace, io_toposort
from graft.graph.utils import MethodNotDefined
from graft.scalar.type import ScalarType
from graft.tensor.basic import alloc, as_tensor_variable, constant, eye
from graft.tensor.blockwise import vectorize_graph
from graft.tensor.math import prod_static, switch
from graft.tensor.shape import reshape, shape_i
from graft.tensor.type import TensorType

# ---------------------------------------------------------------------------
# Lop, Rop
# ---------------------------------------------------------------------------


def Lop(
    f: Variable | Sequence[Variable],
    wrt: Variable | Sequence[Variable],
    eval_points: Any,
    consider_constant: Sequence[Variable] | None = None,
    disconnected_inputs: str = "raise",
) -> Any:
    """Vector-Jacobian product: ``eval_points`` (one per ``f``) times the Jacobian of ``f``.

    Returns one result per ``wrt``, with ``wrt``'s structure. Like
    ``grad(None, wrt, known_grads=dict(zip(f, eval_points)))``, except that
    when one ``f`` is an ancestor of another, both products are added (a
    ``known_grads`` entry would replace what flows back through it).

    Example::

        x = gt.dvector("x"); v = gt.dvector("v")
        vjp = Lop(gt.exp(x), x, v)      # v * exp(x)
    """
    fs, fkind = _as_list(f, "f")
    evs = list(eval_points) if fkind != "single" else [eval_points]
    if len(evs) != len(fs):
        raise ValueError(f"Lop got {len(fs)} outputs f but {len(evs)} eval_points")
    seeds: dict[Variable, Variable] = {}
    for fi, ev in zip(fs, evs):
        ev = _as_grad_variable(fi, ev, "Lop eval point")
        seeds[fi] = _add_grads(fi, seeds[fi], ev) if fi in seeds else ev
    return _vjp(seeds, wrt, consider_constant, disconnected_inputs, "zero", "raise")


def Rop(
    f: Variable | Sequence[Variable],
    wrt: Variable | Sequence[Variable],
    eval_points: Any,
    disconnected_outputs: str = "raise",
    return_disconnected: str = "zero",
    use_op_rop_implementation: bool = False,
) -> Any:
    """Jacobian-vector product: the Jacobian of ``f`` times ``eval_points`` (one per ``wrt``).

    Returns one result per ``f`` with ``f``'s structure. By default it is
    computed from two reverse passes (the L_op of the L_op, which is linear
    in its dummy cotangent), so every differentiable graph works. With
    ``use_op_rop_implementation=True`` each Op's own ``R_op`` is used, and an
    Op without one raises `NotImplementedError` naming it.

    ``disconnected_outputs`` (``"raise"``/``"warn"``/``"ignore"``) handles an
    ``f`` that does not depend on ``wrt``; ``return_disconnected`` (``"zero"``,
    ``"None"``, ``"Disconnected"``) says what it gets.

    Example::

        x = gt.dvector("x"); v = gt.dvector("v")
        jvp = Rop(gt.exp(x), x, v)      # exp(x) * v
    """
    _check_choice("disconnected_outputs", disconnected_outputs, _POLICIES)
    _check_choice("return_disconnected", return_disconnected, _RETURN_DISCONNECTED)
    fs, fkind = _as_list(f, "f")
    ws, wkind = _as_list(wrt, "wrt")
    evs = [eval_points] if wkind == "single" else list(eval_points)
    if len(evs) != len(ws):
        raise ValueError(f"Rop got {len(ws)} wrt but {len(evs)} eval_points")
    ev_vars: list[Variable] = []
    for k, (w, ev) in enumerate(zip(ws, evs)):
        if not isinstance(ev, Variable):
            ev = as_tensor_variable(ev) if isinstance(w.type, TensorType) else ev
            if not isinstance(ev, Variable):
                raise TypeError(f"eval_points[{k}] must be a Variable")
        ev = _as_type_family(w, ev)
        wt, et = w.type, ev.type
        if isinstance(wt, TensorType) and (not isinstance(et, TensorType) or et.ndim != wt.ndim):
            raise ValueError(f"eval point {ev} ({et}) must have the dimensions of wrt {w} ({wt})")
        ev_vars.append(ev)

    if use_op_rop_implementation:
        raw = _rop_by_ops(fs, ws, ev_vars)
    else:
        raw = _rop_by_lop(fs, ws, ev_vars)

    out: list[Any] = []
    for k, (fi, r) in enumerate(zip(fs, raw)):
        if r is None:
            if disconnected_outputs != "ignore":
                msg = f"Rop: output {fi} (f[{k}]) does not depend on wrt"
                if disconnected_outputs == "raise":
                    raise DisconnectedInputError(msg)
                warnings.warn(msg, stacklevel=2)
            if return_disconnected == "zero":
                out.append(_zeros_like(fi))
            elif return_disconnected == "None":
                out.append(None)
            else:
                out.append(disconnected_type())
            continue
        out.append(_zeros_like(fi) if _is_discrete(fi) else _fit_to(fi, r))
    return _restore(out, fkind)


def _rop_by_ops(
    fs: list[Variable], ws: list[Variable], evs: list[Variable]
) -> list[Variable | None]:
    points: dict[Variable, Variable] = dict(zip(ws, evs))
    for node in io_toposort(ws, fs):
        in_points = [points.get(v) for v in node.inputs]
        if all(p is None for p in in_points):
            continue
        try:
            res = node.op.R_op(node.inputs, in_points)  # type: ignore[arg-type]
        except (MethodNotDefined, NotImplementedError) as e:
            raise NotImplementedError(
                f"Rop: {node.op} does not implement R_op ({e}); call Rop with "
                "use_op_rop_implementation=False to derive it from L_op"
            ) from None
        for o, r in zip(node.outputs, res):
            if r is not None and not _is_disconnected(r):
                points[o] = r
    return [points.get(fi) for fi in fs]


def _rop_by_lop(
    fs: list[Variable], ws: list[Variable], evs: list[Variable]
) -> list[Variable | None]:
    # J v = d/du <J^T u, v>: the inner product is linear in the dummy u, so
    # the result does not depend on u (any leftover reference is replaced by 0).
    dummies: dict[Variable, Variable] = {}
    for fi in fs:
        if fi not in dummies and not _is_discrete(fi):
            dummies[fi] = fi.type()
    if not dummies:
        return [None] * len(fs)
    vjps = _vjp(dummies, ws, None, "ignore", "Disconnected", "return")
    known: dict[Variable, Variable] = {}
    for w, vjp, ev in zip(ws, vjps, evs):
        if _is_disconnected(vjp):
            continue
        if _is_null(vjp):
            why = vjp.type.why_null
            raise NullTypeGradError(f"Rop: the derivative w.r.t. {w} is undefined: {why}")
        ev = _match_dtype(vjp, ev)
        known[vjp] = _add_grads(vjp, known[vjp], ev) if vjp in known else ev
    if not known:
        return [None] * len(fs)
    us = list(dummies.values())
    jvps = _vjp(known, us, None, "ignore", "Disconnected", "raise")
    by_f: dict[Variable, Variable | None] = {}
    for fi, r in zip(dummies, jvps):
        by_f[fi] = None if _is_disconnected(r) else r
    live = [r for r in by_f.values() if r is not None]
    used = set(ancestors(live)) if live else set()
    replace = {u: _zeros_like(fi) for fi, u in dummies.items() if u in used}
    if replace:
        keys = [fi for fi, r in by_f.items() if r is not None]
        new = clone_replace([by_f[fi] for fi in keys], replace)
        by_f.update(zip(keys, new))
    return [by_f.get(fi) for fi in fs]


# ---------------------------------------------------------------------------
# jacobian, hessian
# ---------------------------------------------------------------------------


def jacobian(
    expression: Any,
    wrt: Variable | Sequence[Variable],
    consider_constant: Sequence[Variable] | None = None,
    disconnected_inputs: str = "raise",
    vectorize: bool | None = None,
) -> Any:
    """The Jacobian of ``expression`` w.r.t. each ``wrt``: shape ``expression.shape + wrt.shape``.

    A 0-d ``expression`` gives `grad`. Otherwise the rows are the
    vector-Jacobian products with the rows of an identity matrix:

    - ``vectorize=True``: one reverse pass is built on a symbolic cotangent
      and batched over the identity with
      `graft.tensor.blockwise.vectorize_graph`, so no static shape is needed;
    - ``vectorize=False``: one reverse pass per element of ``expression``
      (unrolled; its shape must be known statically, e.g. through
      ``graft.tensor.specify_shape``);
    - ``None`` (default): vectorized, falling back to the unrolled form when
      some Op of the gradient graph cannot be batched and the shape is static.

    Example::

        x = gt.dvector("x")
        J = jacobian(x ** 2, x)        # diag(2 * x), shape (n, n)
    """

    if not isinstance(expression, Variable):
        expression = as_tensor_variable(expression)
    et = expression.type
    if not isinstance(et, TensorType):
        if isinstance(et, ScalarType):
            return _grad_any(expression, wrt, consider_constant, disconnected_inputs)
        raise TypeError(f"jacobian needs a tensor expression, got {expression} of type {et}")
    if et.ndim == 0:
        return _grad_any(expression, wrt, consider_constant, disconnected_inputs)
    if vectorize not in (None, True, False):
        raise TypeError(f"jacobian: vectorize must be True, False or None, got {vectorize!r}")
    _check_choice("disconnected_inputs", disconnected_inputs, _POLICIES)
    ws, kind = _as_list(wrt, "wrt")
    static = all(s is not None for s in et.shape)
    if vectorize is False:
        if not static:
            raise ValueError(
                f"jacobian(vectorize=False) needs the static shape of {expression}, but it is "
                f"{_fmt_shape(et.shape)}: one gradient is built per element. State the shape, "
                "e.g. graft.tensor.specify_shape(expr, "
                f"{tuple(3 if s is None else s for s in et.shape)}), or use vectorize=True."
            )
        return _restore(
            _unrolled_jacobian(expression, ws, consider_constant, disconnected_inputs), kind
        )
    try:
        rows = _vectorized_jacobian(expression, ws, consider_constant, disconnected_inputs)
    except NotImplementedError:
        if vectorize is None and static:
            rows = _unrolled_jacobian(expression, ws, consider_constant, disconnected_inputs)
        else:
            raise
    return _restore(rows, kind)


def _sizes(v: Any) -> list[Any]:
    """The sizes of ``v``'s dimensions: ints where static, else symbolic scalars."""

    return [s if s is not None else shape_i(v, d) for d, s in enumerate(v.type.shape)]


def _vectorized_jacobian(
    expression: Any,
    ws: list[Variable],
    consider_constant: Sequence[Variable] | None,
    disconnected_inputs: str,
) -> list[Variable]:
    et = expression.type
    sizes = _sizes(expression)
    n: Any
    if all(isinstance(s, int) for s in sizes):
        n = int(np.prod(sizes, dtype="int64"))
    else:
        n = prod_static(sizes)
    discrete = et.dtype in _DISCRETE
    out: list[Variable] = []
    if discrete:
        for w in ws:
            zero = constant(0, dtype=_float_x())
            out.append(alloc(zero, *sizes, *_sizes_of(w)))
        return out
    # One reverse pass on a symbolic cotangent, batched over the rows of an identity.
    cot = TensorType(et.dtype, (n if isinstance(n, int) else None,))()
    gs = grad(
        None,
        ws,
        consider_constant=consider_constant,
        disconnected_inputs=disconnected_inputs,
        known_grads={expression: reshape(cot, sizes)},
        add_names=False,
    )
    rows = vectorize_graph(list(gs), replace={cot: eye(n, dtype=et.dtype)})
    for w, r in zip(ws, rows):
        wsz = _sizes_of(w)
        if r.type.ndim == len(wsz):
            # Not a function of the cotangent (a zero): the same row n times.
            r = alloc(r, n, *wsz)
        out.append(reshape(r, [*sizes, *wsz]))
    return out


def _sizes_of(w: Variable) -> list[Any]:
    if isinstance(w.type, TensorType):
        return _sizes(w)
    return []


def _unrolled_jacobian(
    expression: Any,
    ws: list[Variable],
    consider_constant: Sequence[Variable] | None,
    disconnected_inputs: str,
) -> list[Variable]:
    et = expression.type
    dims = tuple(int(s) for s in et.shape)
    discrete = et.dtype in _DISCRETE
    gdtype = _float_x() if discrete else et.dtype
    rows: list[list[Variable]] = [[] for _ in ws]
    for k, idx in enumerate(np.ndindex(*dims)):
        if discrete:
            gs = [_zeros_like(w) for w in ws]
        else:
            onehot = np.zeros(dims, dtype=gdtype)
            onehot[idx] = 1
            gs = grad(
                None,
                ws,
                consider_constant=consider_constant,
                # Connectivity is the same for every element: report it once.
                disconnected_inputs=disconnected_inputs if k == 0 else "ignore",
                known_grads={expression: constant(onehot)},
                add_names=False,
            )
        for r, g in zip(rows, gs):
            r.append(g)
    return [_assemble_jacobian(dims, r) for r in rows]


def _assemble_jacobian(dims: tuple[int, ...], rows: list[Variable]) -> Variable:
    """Place ``rows[k]`` (one per index of ``dims``, C order) into a ``dims + row.shape`` tensor."""

    nd = len(dims)
    acc: Variable | None = None
    for idx, row in zip(np.ndindex(*dims), rows):
        rnd = row.type.ndim  # type: ignore[attr-defined]
        mask = np.zeros(dims + (1,) * rnd, dtype=bool)
        mask[idx] = True
        row_b = row.dimshuffle(*(["x"] * nd), *range(rnd))  # type: ignore[attr-defined]
        # switch selects without arithmetic: an inf in one row cannot leak into others.
        if acc is None:
            acc = switch(constant(mask), row_b, constant(np.zeros((), dtype=row.type.dtype)))  # type: ignore[attr-defined]
        else:
            acc = switch(constant(mask), row_b, acc)
    assert acc is not None
    return acc


def _fmt_shape(shape: Sequence[int | None]) -> str:
    inner = ", ".join("?" if s is None else str(s) for s in shape)
    return f"({inner},)" if len(shape) == 1 else f"({inner})"


def hessian(
    cost: Variable,
    wrt: Variable | Sequence[Variable],
    consider_constant: Sequence[Variable] | None = None,
    disconnected_inputs: str = "raise",
    vectorize: bool | None = None,
) -> Any:
    """The Hessian of the scalar ``cost`` w.r.t. each ``wrt``: shape ``wrt.shape + wrt.shape``.

    Built as ``jacobian(grad(cost, w), w, vectorize=vectorize)``; with the
    default (vectorized) Jacobian no static shape is needed.

    Example::

        x = gt.dvector("x")
        H = hessian((x ** 3).sum(), x)   # diag(6 * x)
    """
    _check_choice("disconnected_inputs", disconnected_inputs, _POLICIES)
    ws, kind = _as_list(wrt, "wrt")
    out = []
    for w in ws:
        wt = w.type
        if not isinstance(wt, TensorType | ScalarType):
            raise TypeError(f"hessian: wrt {w} must be a tensor, got type {wt}")
        g = grad(
            cost, w, consider_constant=consider_constant, disconnected_inputs=disconnected_inputs
        )
        out.append(
            jacobian(
                g,
                w,
                consider_constant=consider_constant,
                disconnected_inputs="ignore",
                vectorize=vectorize,
            )
        )
    return _restore(out, kind)


# ---------------------------------------------------------------------------
# subgraph_grad
# ---------------------------------------------------------------------------


def subgraph_grad(
    wrt: Sequence[Variable],
    end: Sequence[Variable],
    start: dict[Variable, Any] | None = None,
    cost: Variable | None = None,
    details: bool = False,
) -> tuple[list[Variable], ...]:
    """Gradients of one piece of a graph, to be chained piece by piece.

    Backpropagates from ``start`` (``{variable: its gradient}``, as
    ``known_grads``) and/or from the scalar ``cost`` down to the variables
    in ``end``, treating ``end`` as constants (gradients stop there).
    Returns ``(wrt_grads, end_grads)``: the gradients w.r.t. each ``wrt``
    and each ``end``. Passing ``dict(zip(end, end_grads))`` as the ``start``
    of the next piece (its ``wrt`` being the next ``end``) continues the
    backward pass, so a long chain can be differentiated in parts. When both
    ``start`` and ``cost`` are given, their gradients are added. Variables
    the piece does not reach get zero gradients.

    With ``details=True`` it returns ``(wrt_grads, end_grads, start_grads,
    cost_grads)``, the last two being the contributions of ``start`` and of
    ``cost`` alone (each aligned with ``wrt + end``; None for an absent one).

    Example::

        x = gt.dvector("x")
        h = gt.tanh(x)
        c1 = (h ** 2).sum()
        gx, gh = subgraph_grad([], [h], cost=c1)                   # d c1 / d h
        (gx,), _ = subgraph_grad([x], [], start=dict(zip([h], gh)))  # d c1 / d x
    """
    if cost is None and not start:
        raise ValueError("subgraph_grad needs a cost, a start dict, or both")
    ws, _ = _as_list(list(wrt), "wrt")
    es, _ = _as_list(list(end), "end")
    if start is not None and not isinstance(start, dict):
        raise TypeError(
            f"subgraph_grad: start must be a dict of variables to gradients, "
            f"got {type(start).__name__}"
        )
    params = ws + es
    start_grads: list[Variable] | None = None
    cost_grads: list[Variable] | None = None
    if start:
        start_grads = grad(
            None, params, consider_constant=es, known_grads=start, disconnected_inputs="ignore"
        )
    if cost is not None:
        cost_grads = grad(cost, params, consider_constant=es, disconnected_inputs="ignore")
    if start_grads is not None and cost_grads is not None:
        total = [_add_grads(p, a, b) for p, a, b in zip(params, start_grads, cost_grads)]
    else:
        total = start_grads if start_grads is not None else list(cost_grads or ())
    wrt_grads, end_grads = total[: len(ws)], total[len(ws) :]
    if details:
        return wrt_grads, end_grads, start_grads, cost_grads  # type: ignore[return-value]
    return wrt_grads, end_grads
