"""`ElemwiseReduce`: a reduction fused with the elementwise map that feeds it.

``ElemwiseReduce(map_op, reduce_op, axis, dtype)(*inputs)`` computes exactly
``CAReduce(reduce_op, axis, dtype)(Elemwise(map_op)(*inputs))``: same output
type, same values, same errors. One node instead of two lets a compiling
backend generate a single loop that never stores the mapped array; the
reference backend evaluates it with the code paths of the two unfused ops
(`Elemwise.perform`, then `CAReduce.perform`), so its numerics are those of
the unfused graph bit for bit, and it costs no more than the two nodes.

It is part of the backend contract (`graft.link.basic.Linker`): every backend
runs it, natively or by evaluating `ElemwiseReduce.unfused` instead, or
excludes the rewrite that builds it (graft-rewrites-tensor tags it
``reduce_fusion``) through its linker's ``excluded_rewrite_tags``.

Example::

    import graft.tensor as gt
    from graft.scalar import add, exp
    from graft.tensor.fused_reduce import ElemwiseReduce

    x = gt.dmatrix("x")
    op = ElemwiseReduce(exp, add, axis=1)
    s = op(x)                     # sum(exp(x), axis=1), one node
    str(op)                       # 'Sum{axis=[1]}{exp}'
    s.type == gt.sum(gt.exp(x), axis=1).type    # True
"""

from __future__ import annotations

import weakref
from collections.abc import Sequence
from typing import Any, ClassVar

from graft.graph.basic import Apply, Variable, clone_replace
from graft.graph.op import Op
from graft.graph.type import Type
from graft.scalar.basic import ScalarOp
from graft.tensor.elemwise import CAReduce, Elemwise
from graft.tensor.type import TensorType

__all__ = ["REDUCE_OPS", "ElemwiseReduce"]

#: Names of the reduce scalar ops `ElemwiseReduce` accepts: those `CAReduce`
#: reduces with a NumPy reduction.
REDUCE_OPS: frozenset[str] = frozenset(CAReduce._NP)


class ElemwiseReduce(Op):
    """``reduce_op`` over ``axis`` of ``map_op`` applied elementwise to broadcast inputs.

    - ``map_op``: a `ScalarOp` with one output (typically a
      `graft.scalar.Composite`), applied as by ``Elemwise(map_op)``: Python
      numbers take the tensors' dtype, lower-rank inputs are padded on the
      left, and only dimensions known to have size 1 broadcast.
    - ``reduce_op``, ``axis``, ``dtype``: as for `CAReduce`; ``reduce_op``
      is one of ``add``, ``mul``, ``maximum``, ``minimum``, ``and_``,
      ``or_``; ``axis`` None reduces every dimension; ``dtype`` None means
      CAReduce's default (small integers sum in int64, and/or give bool).

    The op compares by these four props, so equal fused nodes merge. The
    output type, the values, and the errors for a bad ``axis`` are those of
    the unfused graph, which `unfused` rebuilds (and the gradient
    differentiates).

    Example::

        x, y = gt.dvector("x"), gt.dvector("y")
        c = Composite([a := float64(), b := float64()], [mul(exp(a), b)])
        out = ElemwiseReduce(c, add)(x, y)           # sum(exp(x) * y)
        out.owner.op.unfused(x, y)                   # Sum(Elemwise{Composite{...}}(x, y))
    """

    __props__ = ("map_op", "reduce_op", "axis", "dtype")
    ignores_fp_errors: ClassVar[bool] = True  # through Elemwise and CAReduce (graft._fpe)

    def __init__(
        self,
        map_op: ScalarOp,
        reduce_op: ScalarOp,
        axis: Sequence[int] | int | None = None,
        dtype: Any = None,
    ) -> None:
        if not isinstance(map_op, ScalarOp):
            raise TypeError(f"ElemwiseReduce: map_op must be a ScalarOp, got {map_op!r}")
        if map_op.nout != 1:
            raise TypeError(
                f"ElemwiseReduce: map_op {map_op} has {map_op.nout} outputs; exactly one is "
                "reduced, so it must have one output"
            )
        if not isinstance(reduce_op, ScalarOp) or str(reduce_op) not in REDUCE_OPS:
            raise TypeError(
                f"ElemwiseReduce: reduce_op must be one of the scalar ops {sorted(REDUCE_OPS)}, "
                f"got {reduce_op!r}"
            )
        # CAReduce normalises axis (sorted tuple) and dtype (a name): same props.
        reduce = CAReduce(reduce_op, axis, dtype)
        self.map_op = map_op
        self.reduce_op = reduce_op
        self.axis = reduce.axis
        self.dtype = reduce.dtype
        self._elemwise = Elemwise(map_op)
        self._reduce = reduce
        # Input types -> (Elemwise node, CAReduce node) over placeholders: the
        # unfused nodes whose perform/infer_shape this op runs.
        self._parts: dict[tuple[Type, ...], tuple[Apply, Apply]] = {}
        # id(node) -> (weak ref to node, its parts): perform's lookup, which
        # must cost less than the runner step it saves (hashing types does not).
        self._node_parts: dict[int, tuple[weakref.ref[Apply], tuple[Apply, Apply]]] = {}

    # -- graph ----------------------------------------------------------------

    def make_node(self, *inputs: Any) -> Apply:
        if not inputs:
            raise TypeError(f"{self._who}: needs at least one input")
        try:
            mapped = self._elemwise.make_node(*inputs)
        except (TypeError, ValueError) as e:
            raise type(e)(f"{self._who}: {e}") from None
        ins = mapped.inputs  # converted and padded to one rank, as Elemwise does
        x = mapped.outputs[0]
        if not isinstance(x.type, TensorType):  # pragma: no cover - Elemwise makes tensors
            raise TypeError(f"{self._who}: the mapped value {x} is not a tensor")
        nd = x.type.ndim
        if self.axis is not None:
            for a in self.axis:
                if not -nd <= a < nd:
                    raise ValueError(
                        f"{self._who}: axis {a} is out of range for the {nd}-d result of "
                        f"{self._elemwise} on {', '.join(str(v) for v in ins)}"
                    )
            axis = tuple(sorted(a % nd for a in self.axis)) if nd else ()
            if axis != self.axis:
                # Negative axes: the node carries the normalised op, as CAReduce's does.
                return ElemwiseReduce(self.map_op, self.reduce_op, axis, self.dtype).make_node(
                    *ins
                )
        out_type = self._reduce.make_node(x).outputs[0].type
        return Apply(self, list(ins), [out_type()])

    def unfused(self, *inputs: Any) -> Variable:
        """The same value as two nodes: ``CAReduce(reduce_op, axis, dtype)(Elemwise(map_op)(*inputs))``.

        For backends without an implementation of this op, and for the gradient.

        Example::

            node = out.owner                      # an ElemwiseReduce node
            same = node.op.unfused(*node.inputs)  # same type, same value
        """
        out: Variable = self._reduce(self._elemwise(*inputs))
        return out

    def _unfused_nodes(self, types: tuple[Type, ...]) -> tuple[Apply, Apply]:
        """The unfused (Elemwise, CAReduce) nodes for inputs of ``types`` (cached)."""
        parts = self._parts.get(types)
        if parts is None:
            mapped = self._elemwise.make_node(*(t() for t in types))
            parts = self._parts[types] = (mapped, self._reduce.make_node(mapped.outputs[0]))
        return parts

    def _parts_of(self, node: Apply) -> tuple[Apply, Apply]:
        """`_unfused_nodes` for ``node``'s input types, remembered for ``node`` while it lives."""
        parts = self._unfused_nodes(tuple(v.type for v in node.inputs))
        table, key = self._node_parts, id(node)
        table[key] = (weakref.ref(node, lambda _: table.pop(key, None)), parts)
        return parts

    # -- evaluation -------------------------------------------------------------

    def perform(self, node: Apply, inputs: Sequence[Any], output_storage: list[list[Any]]) -> None:
        hit = self._node_parts.get(id(node))
        parts = hit[1] if hit is not None and hit[0]() is node else self._parts_of(node)
        # The two unfused ops' own code: the mapped array (Composite's
        # vectorised evaluator, broadcast checks) and NumPy's reduction into
        # the output dtype; the array is dropped as soon as it is reduced.
        cell: list[Any] = [None]
        try:
            self._elemwise.perform(parts[0], inputs, [cell])
        except ValueError as e:
            raise ValueError(f"{self._who}: {e}") from None
        self._reduce.perform(parts[1], [cell[0]], output_storage)

    def infer_shape(self, fgraph: Any, node: Apply, input_shapes: list[Any]) -> list[Any]:
        mapped, reduced = self._unfused_nodes(tuple(v.type for v in node.inputs))
        shape = self._elemwise.infer_shape(fgraph, mapped, input_shapes)[0]
        return self._reduce.infer_shape(fgraph, reduced, [shape])

    def L_op(
        self,
        inputs: Sequence[Variable],
        outputs: Sequence[Variable],
        output_grads: Sequence[Variable],
    ) -> list[Variable]:
        """The gradient of the unfused graph (built on placeholders, so a repeated input
        gets one term per position, as the fused node sees it)."""
        from graft.gradient import grad

        holders = [v.type() for v in inputs]
        out = self.unfused(*holders)
        grads = grad(
            None,
            holders,
            known_grads={out: output_grads[0]},
            disconnected_inputs="ignore",
            return_disconnected="Disconnected",
            null_gradients="return",
        )
        res: list[Variable] = clone_replace(list(grads), dict(zip(holders, inputs)))
        return res

    # -- identity and printing --------------------------------------------------

    @property
    def _who(self) -> str:
        # Errors name the class too: str(self) reads like a plain reduction.
        return f"ElemwiseReduce {self}"

    def __reduce__(self) -> Any:
        # Rebuilt from the props: the cached unfused nodes are not state.
        return (ElemwiseReduce, (self.map_op, self.reduce_op, self.axis, self.dtype))

    def __str__(self) -> str:
        return f"{self._reduce}{{{self.map_op}}}"
