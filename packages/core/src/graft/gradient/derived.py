"""Products with Jacobians built on `grad`: `Lop`, `Rop`, `jacobian`, `hessian`."""

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
            from graft.tensor.basic import as_tensor_variable

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
            why = vjp.type.why_null  # type: ignore[attr-defined]
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
) -> Any:
    """The Jacobian of ``expression`` w.r.t. each ``wrt``: shape ``expression.shape + wrt.shape``.

    A 0-d ``expression`` gives `grad`. Otherwise one reverse pass is built per
    element of ``expression``, so its shape must be known statically (there
    is no symbolic loop); use ``graft.tensor.specify_shape`` to state it.

    Example::

        x = gt.dvector("x", shape=(3,))
        J = jacobian(x ** 2, x)        # diag(2 * x), shape (3, 3)
    """
    from graft.tensor.basic import as_tensor_variable, constant

    if not isinstance(expression, Variable):
        expression = as_tensor_variable(expression)
    et = expression.type
    if not isinstance(et, TensorType):
        if isinstance(et, ScalarType):
            return _grad_any(expression, wrt, consider_constant, disconnected_inputs)
        raise TypeError(f"jacobian needs a tensor expression, got {expression} of type {et}")
    if et.ndim == 0:
        return _grad_any(expression, wrt, consider_constant, disconnected_inputs)
    shape = et.shape
    if any(s is None for s in shape):
        raise ValueError(
            f"jacobian needs the static shape of {expression}, but it is "
            f"{_fmt_shape(shape)}: one gradient is built per element and graft has no "
            "symbolic loop. State the shape, e.g. "
            f"graft.tensor.specify_shape(expr, {tuple(3 if s is None else s for s in shape)})."
        )
    _check_choice("disconnected_inputs", disconnected_inputs, _POLICIES)
    ws, kind = _as_list(wrt, "wrt")
    dims = tuple(int(s) for s in shape)  # type: ignore[arg-type]
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
    return _restore([_assemble_jacobian(dims, r) for r in rows], kind)


def _assemble_jacobian(dims: tuple[int, ...], rows: list[Variable]) -> Variable:
    """Place ``rows[k]`` (one per index of ``dims``, C order) into a ``dims + row.shape`` tensor."""
    from graft.tensor.basic import constant
    from graft.tensor.math import switch

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
) -> Any:
    """The Hessian of the scalar ``cost`` w.r.t. each ``wrt``: shape ``wrt.shape + wrt.shape``.

    Built as ``jacobian(grad(cost, w), w)``, so each ``wrt`` needs a static
    shape.

    Example::

        x = gt.dvector("x", shape=(2,))
        H = hessian((x ** 3).sum(), x)   # diag(6 * x)
    """
    _check_choice("disconnected_inputs", disconnected_inputs, _POLICIES)
    ws, kind = _as_list(wrt, "wrt")
    out = []
    for w in ws:
        wt = w.type
        if not isinstance(wt, TensorType | ScalarType):
            raise TypeError(f"hessian: wrt {w} must be a tensor, got type {wt}")
        if isinstance(wt, TensorType) and any(s is None for s in wt.shape):
            raise ValueError(
                f"hessian needs the static shape of {w}, but it is {_fmt_shape(wt.shape)}; "
                "declare it (e.g. gt.vector('x', shape=(3,))) or use graft.tensor.specify_shape"
            )
        g = grad(
            cost, w, consider_constant=consider_constant, disconnected_inputs=disconnected_inputs
        )
        out.append(
            jacobian(g, w, consider_constant=consider_constant, disconnected_inputs="ignore")
        )
    return _restore(out, kind)
