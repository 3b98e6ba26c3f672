"""Log-densities of model graphs: `logp`, `logcdf`, `conditional_logp`, `joint_logp`.

The valued variables' graphs are cloned, the measurable rewrites run on the
clone (`graft_ppl.rewriting`), each valued variable's log-density comes
from the rule of its (possibly derived) Op, and finally every valued
variable is replaced by its value in all the terms. The graphs given are
never modified, and the graphs returned contain no random variables: a term
that still depends on a random variable without a value is an error
(`MissingValueError`), as is a valued variable with no derivable density
(`NotMeasurableError`, which prints the sub-graph).

With ``transforms``, the value given for a transformed variable is its
*unconstrained* value ``u``; the term is ``logp(backward(u)) +
log_jac_det(u)`` and every other term sees ``backward(u)``.

Example::

    import numpy as np
    import graft.tensor as gt
    import graft.tensor.random as gr
    from graft_ppl import joint_logp

    mu = gr.normal(0.0, 5.0)
    tau = gr.halfcauchy(0.0, 5.0)
    y = gr.normal(mu, tau, size=(3,))
    mu_v, log_tau, y_v = gt.dscalar("mu"), gt.dscalar("log_tau"), gt.dvector("y")
    lp = joint_logp({mu: mu_v, tau: log_tau, y: y_v}, transforms="default")
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

import graft.tensor as gt
from graft.graph.basic import Variable, ancestors, clone_replace
from graft_ppl import dists as _dists  # noqa: F401  (registers the distributions' rules)
from graft_ppl.abstract import (
    MeasurableOp,
    MissingValueError,
    NotMeasurableError,
    describe,
    is_measurable,
    measurable_logcdf,
    measurable_logp,
)
from graft_ppl.interventions import Observed, _check_value
from graft_ppl.rewriting import measurable_ir
from graft_ppl.value_transforms import Transform, default_transform

__all__ = ["conditional_logp", "joint_logp", "logcdf", "logp", "value_type"]

Transforms = Mapping[Variable, Transform | None] | Literal["default"] | None


def _single(what: str, rv: Variable, value: Any, logcdf_: bool) -> Variable:
    if not isinstance(rv, Variable):
        raise TypeError(f"{what}: expected a random variable, got {rv!r}")
    v = _check_value(what, rv, value, batch=True)
    fg = measurable_ir([rv])
    (out,) = fg.outputs
    if not is_measurable(out):
        raise NotMeasurableError(
            f"{what}: graft-ppl cannot derive a log-density for this sub-graph:\n{describe(rv)}"
        )
    term = measurable_logcdf(out, v) if logcdf_ else measurable_logp(out, v)
    return term


def logp(rv: Variable, value: Any) -> Variable:
    """The elementwise log-density of ``rv`` at ``value``.

    Random variables among ``rv``'s parents stay in the graph (evaluating
    the result draws them); use `conditional_logp` to give them values.
    ``value`` may have extra leading dimensions: a batch of values.

    Example::

        x = gr.normal(1.0, 2.0, size=(3,))
        logp(x, np.zeros(3)).eval()     # scipy.stats.norm(1, 2).logpdf(0) three times
    """
    return _single("logp", rv, value, False)


def logcdf(rv: Variable, value: Any) -> Variable:
    """``log P(rv <= value)`` elementwise, for the distributions with a log-CDF rule.

    Example::

        logcdf(gr.normal(0.0, 1.0), 0.0).eval()    # log(0.5)
    """
    return _single("logcdf", rv, value, True)


def value_type(rv: Variable, transform: Transform | None = None) -> Any:
    """The type of a value variable for ``rv`` (unconstrained under ``transform``).

    Example::

        w = gr.dirichlet(np.ones(3))
        u = value_type(w, simplex)()      # a float vector of length 2
    """
    return rv.type if transform is None else transform.unconstrained_type(rv.type)


def _check_unconstrained(rv: Variable, value: Any, tr: Transform) -> Variable:
    label = rv.name or str(rv)
    want = value_type(rv, tr)
    try:
        v = gt.as_tensor_variable(value)
    except (TypeError, ValueError) as e:
        raise TypeError(f"conditional_logp: the value for {label} must be a tensor: {e}") from None
    vt: Any = v.type
    if getattr(vt, "ndim", None) != want.ndim or vt.dtype[:5] not in ("float", "int64", "int32"):
        raise ValueError(
            f"conditional_logp: the unconstrained value for {label} ({tr.name} transform) "
            f"must be of type {want}, got {vt}"
        )
    for a, b in zip(want.shape, vt.shape):
        if a is not None and b is not None and a != b:
            raise ValueError(
                f"conditional_logp: the unconstrained value for {label} ({tr.name} transform) "
                f"has shape {vt.shape}, expected {want.shape}"
            )
    return v


def _observed_in(graphs: list[Variable], known: set[Variable]) -> list[Variable]:
    out = []
    for v in ancestors(graphs):
        node = v.owner
        if node is not None and isinstance(node.op, Observed) and v not in known:
            out.append(v)
    return out


def conditional_logp(
    rv_values: Mapping[Variable, Any], transforms: Transforms = None
) -> dict[Variable, Variable]:
    """The log-density term of every valued variable, given the values of the others.

    ``rv_values`` maps random variables (draws, or graphs of draws such as
    ``exp(x)``, ``clip(x, a, b)``, ``switch(i, x, y)``) to their values; an
    `Observed` variable (from `observe`) may map to None, and the observed
    variables in the graphs are included with their data anyway. Returns
    ``{variable: elementwise term}``.

    ``transforms``: None (values on the constrained space), ``"default"``
    (`default_transform` of each draw), or ``{rv: Transform or None}``.

    Example::

        x = gr.normal(0.0, 1.0)
        y = gr.normal(x, 1.0)
        terms = conditional_logp({x: gt.dscalar("x"), y: gt.dscalar("y")})
        terms[y]        # log N(y | x, 1) with x the value of x
    """
    if not isinstance(rv_values, Mapping):
        raise TypeError(f"conditional_logp: expected a dict {{rv: value}}, got {rv_values!r}")
    keys = list(rv_values)
    for k in keys:
        if not isinstance(k, Variable):
            raise TypeError(f"conditional_logp: keys must be random variables, got {k!r}")
    keys += _observed_in(keys, set(keys))
    if transforms is not None and transforms != "default" and not isinstance(transforms, Mapping):
        raise TypeError(
            f"conditional_logp: transforms must be None, 'default' or a dict, got {transforms!r}"
        )
    fg = measurable_ir(keys)
    outs = list(fg.outputs)

    # The value of each valued variable, as seen by the other terms.
    seen: dict[Variable, Variable] = {}
    plans: list[tuple[Variable, Variable, Variable, Transform | None, Any]] = []
    for key, out in zip(keys, outs):
        node = out.owner
        if node is not None and isinstance(node.op, Observed):
            if rv_values.get(key) is not None:
                raise ValueError(
                    f"conditional_logp: {key} is observed; give it no value (None), got "
                    f"{rv_values[key]!r}"
                )
            rv, data = node.inputs
            seen[out] = data
            plans.append((key, rv, data, None, None))
            continue
        if rv_values[key] is None:
            raise MissingValueError(f"conditional_logp: no value given for {key}")
        if not is_measurable(out):
            raise NotMeasurableError(
                "conditional_logp: graft-ppl cannot derive a log-density for this "
                f"sub-graph:\n{describe(key)}"
            )
        tr: Transform | None = None
        if transforms == "default":
            tr = default_transform(node) if node is not None else None
        elif transforms is not None:
            tr = transforms.get(key)  # type: ignore[union-attr]
        if tr is None:
            v = _check_value("conditional_logp", key, rv_values[key])
            seen[out] = v
            plans.append((key, out, v, None, None))
        else:
            u = _check_unconstrained(key, rv_values[key], tr)
            x = tr.backward(u)
            seen[out] = x
            plans.append((key, out, x, tr, u))

    terms: list[Variable] = []
    for _key, var, x, tr, u in plans:
        term = measurable_logp(var, x)
        if tr is not None:
            term = term + tr.log_jac_det(u)
        terms.append(term)
    terms = _substitute(terms, seen)
    for key, term in zip([p[0] for p in plans], terms):
        _check_no_random(key, term)
    return dict(zip([p[0] for p in plans], terms))


def _substitute(terms: list[Variable], seen: dict[Variable, Variable]) -> list[Variable]:
    """Replace every valued variable by its value, also inside the values (a transform's
    bounds may read another valued variable), until none is left."""
    for _ in range(len(seen) + 1):
        if not terms or not any(v in seen for v in ancestors(terms)):
            break
        terms = list(clone_replace(terms, seen))
    return terms


def _check_no_random(key: Variable, term: Variable) -> None:
    from graft.tensor.random import RandomVariable

    for v in ancestors([term]):
        node = v.owner
        if node is None:
            continue
        if isinstance(node.op, RandomVariable | MeasurableOp | Observed):
            base = v
            while base.owner is not None and isinstance(base.owner.op, MeasurableOp | Observed):
                base = next((i for i in base.owner.inputs if i.owner is not None), base)
                if base is v:
                    break
            raise MissingValueError(
                f"the log-density of {key.name or key} depends on the random variable "
                f"{base.name or base} which has no value; give it one in rv_values "
                f"(or fix it with do()):\n{describe(v, depth=3)}"
            )


def joint_logp(
    rv_values: Mapping[Variable, Any], transforms: Transforms = None, sum: bool = True
) -> Any:
    """The joint log-density of the valued variables (a scalar; with ``sum=False`` the
    list of elementwise terms). See `conditional_logp` for the arguments.

    Example::

        mu = gr.normal(0.0, 5.0)
        y = gr.normal(mu, 1.0, size=(2,))
        lp = joint_logp({mu: gt.dscalar("mu"), y: gt.dvector("y")})
    """
    terms = list(conditional_logp(rv_values, transforms).values())
    if not sum:
        return terms
    if not terms:
        raise ValueError("joint_logp: no valued variables")
    total: Any = gt.sum(terms[0])
    for t in terms[1:]:
        total = total + gt.sum(t)
    return total
