"""Interventions on model graphs: `observe` (conditioning) and `do` (graph surgery).

Both return new graphs and leave the given ones untouched.

- ``observe(vars, {rv: data})`` replaces ``rv`` by ``Observed(rv, data)``,
  whose value is ``data``: children of ``rv`` see the data, and
  `conditional_logp`/`joint_logp` add ``log p(rv = data | parents)`` to the
  density of any graph containing it.
- ``do(vars, {rv: value})`` replaces ``rv`` by ``value``: ``rv``'s
  distribution and its parents no longer influence anything downstream.

Example::

    z = gr.normal(0.0, 1.0)
    x = gr.normal(z, 1.0)
    y = gr.normal(x + z, 1.0)
    (y_do,) = do([y], {x: 1.0})            # y ~ N(1 + z, 1): z is still random
    y_obs, x_obs = observe([y, x], {x: 1.0})  # x = 1 observed: informs z
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from graft.graph.basic import Apply, Variable, clone_replace, graph_inputs, io_toposort
from graft.graph.op import Op
from graft.tensor.basic import as_tensor_variable

__all__ = ["Observed", "do", "observe", "observed"]


class Observed(Op):
    """``Observed(rv, data)`` evaluates to ``data`` and marks ``rv`` as observed there."""

    __props__ = ()

    def make_node(self, rv: Any, data: Any) -> Apply:
        rv = as_tensor_variable(rv)
        data = _check_value("observe", rv, data)
        return Apply(self, [rv, data], [rv.type()])

    def perform(self, node: Apply, inputs: Sequence[Any], output_storage: Any) -> None:
        output_storage[0][0] = inputs[1]

    def infer_shape(self, fgraph: Any, node: Apply, input_shapes: Any) -> Any:
        return [input_shapes[1]]

    def do_constant_folding(self, fgraph: Any, node: Apply) -> bool:
        return False

    def __str__(self) -> str:
        return "Observed"


observed = Observed()


def _is_rv(var: Any) -> bool:
    from graft.tensor.random import RandomVariable

    node = getattr(var, "owner", None)
    return node is not None and isinstance(node.op, RandomVariable) and var is node.outputs[1]


def _check_value(what: str, rv: Variable, value: Any, batch: bool = False) -> Variable:
    """``value`` as a tensor of ``rv``'s type; TypeError/ValueError naming both otherwise.

    ``batch``: the value may have extra leading dimensions (a batch of values)."""
    import numpy as np

    label = rv.name or str(rv)
    try:
        v = as_tensor_variable(value)
    except (TypeError, ValueError) as e:
        raise TypeError(f"{what}: the value for {label} must be a numeric tensor: {e}") from None
    rt: Any = rv.type
    vt: Any = v.type
    nd = getattr(vt, "ndim", None)
    if nd is None or (nd < rt.ndim if batch else nd != rt.ndim):
        more = " (or more, for a batch of values)" if batch else ""
        raise ValueError(
            f"{what}: the value for {label} must have {rt.ndim} dimensions{more} like the "
            f"variable (type {rt}), got {getattr(vt, 'ndim', '?')} ({vt})"
        )
    rk, vk = np.dtype(rt.dtype).kind, np.dtype(vt.dtype).kind
    if rk in "iub" and vk not in "iub":
        raise TypeError(
            f"{what}: {label} is discrete ({rt.dtype}); its value must have an integer dtype, "
            f"got {vt.dtype}"
        )
    if rk == "f" and vk not in "iubf":
        raise TypeError(f"{what}: the value for {label} must be real, got {vt.dtype}")
    for d, (a, b) in enumerate(zip(rt.shape, vt.shape[nd - rt.ndim :])):
        if a is not None and b is not None and a != b:
            raise ValueError(
                f"{what}: the value for {label} has shape {vt.shape}, expected {rt.shape} "
                f"(dimension {d} differs)"
            )
    if vt.dtype != rt.dtype:
        from graft.tensor.basic import cast

        v = cast(v, rt.dtype)
    return v


def _replace(
    what: str, model_vars: Sequence[Variable], mapping: Mapping[Variable, Any], build: Any
) -> list[Variable]:
    if isinstance(model_vars, Variable):
        raise TypeError(f"{what}: model_vars must be a list of variables, got one variable")
    outs = list(model_vars)
    values: dict[Variable, Variable] = {}
    for rv, val in mapping.items():
        if not _is_rv(rv):
            raise TypeError(
                f"{what}: {rv} is not a random variable (the draw of a "
                "graft.tensor.random distribution)"
            )
        values[rv] = _check_value(what, rv, val)
    if build is None:  # do: the draws are cut out of the graph
        return list(clone_replace(outs, values))
    # observe: one rebuild in which each observed draw is cloned first (so the Observed
    # node reads the *new* draw and its new parents), then wrapped.
    memo: dict[Variable, Variable] = {}
    for node in io_toposort(graph_inputs(outs), outs):
        new = node.clone_with_new_inputs([memo.get(i, i) for i in node.inputs])
        for old_out, new_out in zip(node.outputs, new.outputs):
            memo[old_out] = build(new_out, values[old_out]) if old_out in values else new_out
    return [memo.get(o, o) for o in outs]


def observe(model_vars: Sequence[Variable], rv_data: Mapping[Variable, Any]) -> list[Variable]:
    """New ``model_vars`` in which each ``rv`` of ``rv_data`` is observed at its data.

    Example::

        mu = gr.normal(0.0, 1.0)
        y = gr.normal(mu, 1.0, size=(3,))
        mu2, y2 = observe([mu, y], {y: np.array([0.1, 0.5, -0.2])})
        joint_logp({mu2: gt.dscalar("mu")})   # includes log p(y = data | mu)
    """
    return _replace("observe", model_vars, rv_data, lambda rv, v: observed(rv, v))


def do(model_vars: Sequence[Variable], rv_values: Mapping[Variable, Any]) -> list[Variable]:
    """New ``model_vars`` in which each ``rv`` of ``rv_values`` is set to its value.

    Example::

        z = gr.normal(0.0, 1.0)
        x = gr.normal(z, 1.0)
        (x_do, z_do) = do([x, z], {x: 2.0})    # x_do is the constant 2
    """
    return _replace("do", model_vars, rv_values, None)
