"""The `Op` protocol: what an operation computes, its types, shapes and gradients."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from graft.graph.basic import Apply, Variable
from graft.graph.utils import MethodNotDefined, Props, user_frame

if TYPE_CHECKING:
    from graft.graph.fg import FunctionGraph
    from graft.graph.type import Type


class Op(Props):
    """An operation: builds `Apply` nodes and says how to compute them.

    An Op is immutable and compares by ``__props__``. Subclasses implement
    `make_node` (check inputs, derive output types) and `perform` (compute
    with NumPy); optionally `infer_shape`, `L_op`/`grad`, `R_op`,
    `connection_pattern`. ``destroy_map``/``view_map`` declare outputs that
    overwrite or alias inputs (``{output_index: [input_index]}``).

    Example::

        class Double(Op):
            __props__ = ()

            def make_node(self, x):
                x = as_tensor_variable(x)
                return Apply(self, [x], [x.type()])

            def perform(self, node, inputs, output_storage):
                output_storage[0][0] = inputs[0] * 2

            def infer_shape(self, fgraph, node, input_shapes):
                return input_shapes

            def grad(self, inputs, output_grads):
                return [output_grads[0] * 2]
    """

    default_output: ClassVar[int | None] = None
    destroy_map: dict[int, list[int]] = {}
    view_map: dict[int, list[int]] = {}
    itypes: Sequence[Type] | None = None
    otypes: Sequence[Type] | None = None

    def make_node(self, *inputs: Any) -> Apply:
        """Return an `Apply` of this op to ``inputs``; the default uses ``itypes``/``otypes``."""
        if self.itypes is None or self.otypes is None:
            raise NotImplementedError(f"{self} must define make_node or itypes/otypes")
        if len(inputs) != len(self.itypes):
            raise ValueError(f"{self} expects {len(self.itypes)} inputs, got {len(inputs)}")
        checked = []
        for i, (inp, it) in enumerate(zip(inputs, self.itypes)):
            try:
                checked.append(it.filter_variable(inp))
            except TypeError as e:
                raise TypeError(f"input {i} of {self}: {e}") from None
        return Apply(self, checked, [t() for t in self.otypes])

    def __call__(self, *inputs: Any, return_list: bool = False, **kwargs: Any) -> Any:
        """Build a node and return its default output (or all outputs as a list)."""
        node = self.make_node(*inputs, **kwargs)
        # Remember where user code built the node, for runtime error messages.
        node.tag.trace = user_frame()
        outs = node.outputs
        if return_list:
            return list(outs)
        if self.default_output is not None:
            return outs[self.default_output]
        if len(outs) == 1:
            return outs[0]
        return list(outs)

    def perform(self, node: Apply, inputs: Sequence[Any], output_storage: list[list[Any]]) -> None:
        """Compute: read ``inputs`` (values), write ``output_storage[i][0]`` for each output."""
        raise MethodNotDefined(f"{self} has no perform implementation")

    def infer_shape(
        self, fgraph: FunctionGraph | None, node: Apply, input_shapes: list[Any]
    ) -> list[Any]:
        """Return the output shapes (tuples of symbolic scalars) from the input shapes."""
        raise MethodNotDefined(f"{self} has no infer_shape")

    def grad(self, inputs: Sequence[Variable], output_grads: Sequence[Variable]) -> list[Variable]:
        """Symbolic gradients of a scalar cost w.r.t. each input, given the output gradients."""
        raise MethodNotDefined(f"{self} does not define a gradient")

    def L_op(
        self,
        inputs: Sequence[Variable],
        outputs: Sequence[Variable],
        output_grads: Sequence[Variable],
    ) -> list[Variable]:
        """Like `grad`, with the node's outputs also available (defaults to `grad`)."""
        return self.grad(inputs, output_grads)

    def R_op(self, inputs: Sequence[Variable], eval_points: Sequence[Variable]) -> list[Variable]:
        raise MethodNotDefined(f"{self} does not define R_op")

    def connection_pattern(self, node: Apply) -> list[list[bool]]:
        """``pattern[i][j]`` is True when output j depends on input i (default: all)."""
        return [[True] * len(node.outputs) for _ in node.inputs]

    def do_constant_folding(self, fgraph: FunctionGraph | None, node: Apply) -> bool:
        """Whether constant folding may precompute this node when its inputs are constant."""
        return True

    def __repr__(self) -> str:
        return f"<{type(self).__module__}.{type(self).__qualname__} at {id(self):#x}>"
