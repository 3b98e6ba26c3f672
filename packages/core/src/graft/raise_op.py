"""Run-time checks as graph nodes: `CheckAndRaise`, `Assert`, `assert_op`, `check_same_shape`.

A check passes its first input through unchanged and raises when one of its
0-d conditions is false. Rewrites use them to keep a check that a node they
remove used to make: dropping the cancelled ``y`` from ``x * y / y`` must not
drop the requirement that ``x`` and ``y`` have the same shape, so the result
becomes ``check_same_shape(x, y)``, which computes no ``y`` value, only its
size. Checks never fold at compile time (a false constant condition still
raises when the function runs, as the original graph would).

Example::

    import graft
    import graft.tensor as gt
    from graft.raise_op import assert_op

    x = gt.dvector("x")
    y = assert_op(x, gt.all(x > 0))        # x, or AssertionError at run time
    graft.function([x], y)([1.0, -1.0])    # raises AssertionError
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from graft.gradient.types import disconnected_type
from graft.graph.basic import Apply, Variable
from graft.graph.op import Op

__all__ = ["Assert", "CheckAndRaise", "assert_op", "check_same_shape", "shape_checks"]


class CheckAndRaise(Op):
    """``value`` unchanged, or ``exc_type(msg)`` raised when a condition is false.

    Inputs: the value (any type), then 0-d conditions (bool or integer
    tensors). The output is a view of the value; the gradient flows to the
    value only.

    Example::

        CheckAndRaise(ValueError, "sizes differ")(x, gt.eq(x.shape[0], y.shape[0]))
    """

    __props__ = ("exc_type", "msg")
    view_map = {0: [0]}

    def __init__(self, exc_type: type[Exception], msg: str = "") -> None:
        if not (isinstance(exc_type, type) and issubclass(exc_type, Exception)):
            raise TypeError(
                f"CheckAndRaise: exc_type must be an exception class, got {exc_type!r}"
            )
        self.exc_type = exc_type
        self.msg = str(msg)

    def make_node(self, value: Any, *conds: Any) -> Apply:
        from graft.tensor.basic import as_tensor_variable

        if not isinstance(value, Variable):
            value = as_tensor_variable(value)
        checked = []
        for i, c in enumerate(conds):
            c = as_tensor_variable(c)
            ct: Any = c.type
            if ct.ndim != 0 or np.dtype(ct.dtype).kind not in "biu":
                raise TypeError(
                    f"{self}: condition {i} must be a 0-d bool or integer tensor, got {c.type}"
                )
            checked.append(c)
        return Apply(self, [value, *checked], [value.type()])

    def perform(self, node: Apply, inputs: Sequence[Any], output_storage: list[list[Any]]) -> None:
        value, *conds = inputs
        if not all(bool(c) for c in conds):
            raise self.exc_type(self.msg)
        output_storage[0][0] = value

    def do_constant_folding(self, fgraph: Any, node: Apply) -> bool:
        return False

    def infer_shape(self, fgraph: Any, node: Apply, input_shapes: list[Any]) -> list[Any]:
        return [input_shapes[0]]

    def connection_pattern(self, node: Apply) -> list[list[bool]]:
        return [[True]] + [[False]] * (len(node.inputs) - 1)

    def L_op(
        self,
        inputs: Sequence[Variable],
        outputs: Sequence[Variable],
        output_grads: Sequence[Variable],
    ) -> list[Variable]:
        return [output_grads[0], *(disconnected_type() for _ in inputs[1:])]

    def __str__(self) -> str:
        return f"CheckAndRaise{{{self.exc_type.__name__}}}"


class Assert(CheckAndRaise):
    """`CheckAndRaise` raising `AssertionError` (PyTensor's ``Assert``).

    Example::

        Assert("x must be positive")(x, gt.all(x > 0))
    """

    def __init__(self, msg: str = "Assertion failed") -> None:
        super().__init__(AssertionError, msg)

    def __str__(self) -> str:
        return "Assert"


def assert_op(value: Any, *conds: Any, msg: str = "Assertion failed") -> Any:
    """``value``, checked at run time: AssertionError unless every condition holds."""
    return Assert(msg)(value, *conds)


#: The error a failed size check raises: what an Elemwise broadcast mismatch raises.
SHAPE_MISMATCH = CheckAndRaise(
    ValueError, "shape mismatch: operands could not be broadcast together (sizes differ)"
)


def shape_checks(value: Any, *pairs: tuple[Any, Any]) -> Any:
    """``value``, raising ValueError at run time unless each pair of 0-d sizes is equal.

    Pairs whose two sides are the same variable, or equal constants, need no
    check; with none left, ``value`` itself is returned.

    Example::

        shape_checks(x, (x.shape[0], y.shape[0]))
    """
    from graft.graph.basic import Constant
    from graft.tensor.math import eq

    conds = []
    for a, b in pairs:
        if a is b:
            continue
        if isinstance(a, Constant) and isinstance(b, Constant) and a.data == b.data:
            continue
        conds.append(eq(a, b))
    return SHAPE_MISMATCH(value, *conds) if conds else value


def check_same_shape(value: Any, other: Any) -> Any:
    """``value``, raising ValueError at run time unless ``other`` (left-padded
    with size-1 dimensions) has ``value``'s sizes wherever ``other``'s size is
    not statically 1 (graft's broadcasting rule). ``other``'s values are not needed.

    Example::

        check_same_shape(x, y)      # x, with a check that y.shape == x.shape
    """
    from graft.tensor.basic import constant
    from graft.tensor.shape import shape_i

    vt: Any = value.type
    ot: Any = other.type
    pad = vt.ndim - ot.ndim
    if pad < 0:
        raise ValueError(f"check_same_shape: {other} has more dimensions than {value}")
    pairs = []
    for k, so in enumerate(ot.shape):
        sv = vt.shape[pad + k]
        if so == 1 or (so is not None and so == sv):
            continue
        a = constant(so, dtype="int64") if so is not None else shape_i(other, k)
        b = constant(sv, dtype="int64") if sv is not None else shape_i(value, pad + k)
        pairs.append((a, b))
    return shape_checks(value, *pairs)
