"""Softmax-family ops: `Softmax`, `LogSoftmax`, and the `logsumexp` expression.

All three are numerically stable: they subtract the maximum along the
reduced axis before exponentiating, so large inputs do not overflow and very
negative ones do not all underflow to zero. ``sigmoid`` and ``softplus`` are
elementwise and live in `graft.tensor.math`.

Example::

    import graft.tensor as gt
    from graft.tensor.special import log_softmax, logsumexp, softmax

    x = gt.dmatrix("x")
    p = softmax(x, axis=-1)            # rows sum to 1
    lp = log_softmax(x, axis=-1)       # == x - logsumexp(x, axis=-1, keepdims=True)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from graft.graph.basic import Apply, Variable
from graft.graph.op import Op
from graft.tensor._helpers import _as_tensor, _np_dtype, _tm
from graft.tensor.basic import cast
from graft.tensor.type import TensorType
from graft.tensor.variable import TensorVariable

__all__ = ["LogSoftmax", "Softmax", "log_softmax", "logsumexp", "softmax"]


def _float_dtype(dtype: str) -> str:
    """The dtype a softmax-like result has for an input of ``dtype``."""
    kind = np.dtype(dtype).kind
    if kind == "f":
        return dtype
    if kind in "biu":
        # Integers carry no precision hint: compute in float64 (NumPy's exp of
        # int8 would be float16, far too coarse for probabilities).
        return "float64"
    raise TypeError(f"softmax-like ops take real inputs, got dtype {dtype}")


def _stable_shift(x: np.ndarray, axis: int | None) -> np.ndarray:
    """``x - max(x)`` along ``axis``; a row whose max is not finite is left unshifted."""
    m = np.max(x, axis=axis, keepdims=True)
    # An all -inf row would give -inf - -inf = nan; shifting by 0 keeps it -inf.
    m = np.where(np.isfinite(m), m, 0)
    return x - m


class _SoftmaxBase(Op):
    __props__ = ("axis",)

    def __init__(self, axis: int | None = -1) -> None:
        if axis is not None and (isinstance(axis, bool) or not isinstance(axis, int | np.integer)):
            raise TypeError(f"{type(self).__name__}: axis must be an int or None, got {axis!r}")
        self.axis = None if axis is None else int(axis)

    def make_node(self, x: Any) -> Apply:
        x = _as_tensor(x)
        nd = x.type.ndim
        if self.axis is not None:
            if not -nd <= self.axis < nd:
                raise ValueError(
                    f"{type(self).__name__}: axis {self.axis} is out of range for {nd}-d input {x}"
                )
            if self.axis < 0:
                # Normalise so that equal computations have equal props.
                return type(self)(self.axis % nd).make_node(x)
        out_dtype = _float_dtype(x.type.dtype)
        return Apply(self, [x], [TensorType(out_dtype, x.type.shape)()])

    def infer_shape(self, fgraph: Any, node: Apply, input_shapes: list[Any]) -> list[Any]:
        return [input_shapes[0]]

    def __str__(self) -> str:
        return f"{type(self).__name__}{{axis={self.axis}}}"


class Softmax(_SoftmaxBase):
    """``exp(x) / sum(exp(x), axis)``: a probability distribution along ``axis`` (None: all).

    Integer inputs give float64. A slice of all ``-inf`` gives ``nan`` (as in
    SciPy), a slice with ``+inf`` entries gives ``nan`` too.

    Example::

        Softmax(axis=1)(gt.dmatrix("x"))   # each row sums to 1
    """

    def perform(self, node: Apply, inputs: Sequence[Any], output_storage: list[list[Any]]) -> None:
        (x,) = inputs
        dtype = _np_dtype(node)
        x = np.asarray(x, dtype=dtype)
        if x.size == 0:
            output_storage[0][0] = x.copy()
            return
        with np.errstate(all="ignore"):
            e = np.exp(_stable_shift(x, self.axis))
            out = e / np.sum(e, axis=self.axis, keepdims=True)
        output_storage[0][0] = np.asarray(out, dtype=dtype)

    def L_op(
        self,
        inputs: Sequence[Any],
        outputs: Sequence[Any],
        output_grads: Sequence[Any],
    ) -> list[Variable]:
        tm = _tm()
        (x,) = inputs
        (sm,) = outputs
        (g,) = output_grads
        if x.type.dtype != sm.type.dtype:  # discrete input
            from graft.tensor.basic import zeros_like

            return [zeros_like(x, dtype="float64")]
        # J^T g = sm * (g - <g, sm>) along the axis.
        inner = tm.sum(g * sm, axis=self.axis, keepdims=True)
        return [cast(sm * (g - inner), x.type.dtype)]


class LogSoftmax(_SoftmaxBase):
    """``x - logsumexp(x, axis, keepdims=True)``, computed stably (axis None: all elements).

    Integer inputs give float64.

    Example::

        LogSoftmax(axis=-1)(gt.dvector("x"))
    """

    def perform(self, node: Apply, inputs: Sequence[Any], output_storage: list[list[Any]]) -> None:
        (x,) = inputs
        dtype = _np_dtype(node)
        x = np.asarray(x, dtype=dtype)
        if x.size == 0:
            output_storage[0][0] = x.copy()
            return
        with np.errstate(all="ignore"):
            shifted = _stable_shift(x, self.axis)
            out = shifted - np.log(np.sum(np.exp(shifted), axis=self.axis, keepdims=True))
        output_storage[0][0] = np.asarray(out, dtype=dtype)

    def L_op(
        self,
        inputs: Sequence[Any],
        outputs: Sequence[Any],
        output_grads: Sequence[Any],
    ) -> list[Variable]:
        tm = _tm()
        (x,) = inputs
        (out,) = outputs
        (g,) = output_grads
        if x.type.dtype != out.type.dtype:
            from graft.tensor.basic import zeros_like

            return [zeros_like(x, dtype="float64")]
        total = tm.sum(g, axis=self.axis, keepdims=True)
        return [cast(g - tm.exp(out) * total, x.type.dtype)]


def _axis_arg(x: Any, axis: Any) -> int | None:
    if axis is None:
        return None
    if isinstance(axis, bool) or not isinstance(axis, int | np.integer):
        raise TypeError(f"axis must be an int or None, got {axis!r}")
    return int(axis)


def softmax(x: Any, axis: int | None = -1) -> TensorVariable:
    """Softmax of ``x`` along ``axis`` (the last by default; None: over all elements).

    Example::

        p = softmax(gt.dmatrix("logits"), axis=-1)
    """
    x = _as_tensor(x)
    return Softmax(_axis_arg(x, axis))(x)


def log_softmax(x: Any, axis: int | None = -1) -> TensorVariable:
    """Logarithm of `softmax`, without forming the (possibly underflowing) softmax.

    Example::

        nll = -log_softmax(logits, axis=-1)
    """
    x = _as_tensor(x)
    return LogSoftmax(_axis_arg(x, axis))(x)


def logsumexp(x: Any, axis: Any = None, keepdims: bool = False) -> TensorVariable:
    """``log(sum(exp(x), axis))`` as ``m + log(sum(exp(x - m)))`` with ``m = max(x, axis)``.

    ``axis`` is None (all), an int or a tuple of ints. A slice of all ``-inf``
    gives ``-inf``; integer inputs are computed in float64. Built from
    elementwise ops and reductions, so rewrites and backends see through it;
    like ``max``, reducing an empty axis is an error.

    Example::

        logsumexp(gt.dmatrix("x"), axis=1)   # shape (n,)
    """
    tm = _tm()
    x = _as_tensor(x)
    dt = _float_dtype(x.type.dtype)
    if x.type.dtype != dt:
        x = cast(x, dt)
    m = tm.max(x, axis=axis, keepdims=True)
    # Where the max is +-inf, shift by 0 instead (avoids inf - inf = nan).
    m_safe = tm.switch(tm.isinf(m), 0, m)
    s = tm.sum(tm.exp(x - m_safe), axis=axis, keepdims=True)
    out = tm.log(s) + m_safe
    if not keepdims:
        ax = tm._norm_axis(x, axis)
        nd = x.type.ndim
        keep = [d for d in range(nd) if ax is not None and d not in ax]
        from graft.tensor.elemwise import DimShuffle

        out = DimShuffle(nd, keep)(out)
    return out
