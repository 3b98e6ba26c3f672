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
from graft.tensor._helpers import (
    _as_tensor,
    _axis_in_range,
    _check_axis,
    _discrete_grad,
    _tm,
    _unary_perform,
)
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
    """Shared by `Softmax` and `LogSoftmax`: checks, dtype, ``perform`` and the discrete gradient.

    A subclass gives `_compute` (NumPy, on the input cast to the output dtype)
    and `_grad` (the gradient for a real input).
    """

    __props__ = ("axis",)

    def __init__(self, axis: int | None = -1) -> None:
        self.axis = _check_axis(axis, type(self).__name__)

    def make_node(self, x: Any) -> Apply:
        x = _as_tensor(x)
        nd = x.type.ndim
        if self.axis is not None:
            axis = _axis_in_range(type(self).__name__, self.axis, nd, x)
            if axis != self.axis:
                # Normalise so that equal computations have equal props.
                return type(self)(axis).make_node(x)
        out_dtype = _float_dtype(x.type.dtype)
        return Apply(self, [x], [TensorType(out_dtype, x.type.shape)()])

    def perform(self, node: Apply, inputs: Sequence[Any], output_storage: list[list[Any]]) -> None:
        _unary_perform(node, inputs, output_storage, self._compute_quietly)

    def _compute_quietly(self, x: np.ndarray) -> np.ndarray:
        with np.errstate(all="ignore"):
            return self._compute(x)

    def _compute(self, x: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def infer_shape(self, fgraph: Any, node: Apply, input_shapes: list[Any]) -> list[Any]:
        return [input_shapes[0]]

    def L_op(
        self,
        inputs: Sequence[Any],
        outputs: Sequence[Any],
        output_grads: Sequence[Any],
    ) -> list[Variable]:
        (x,) = inputs
        (out,) = outputs
        (g,) = output_grads
        if x.type.dtype != out.type.dtype:  # discrete input
            return [_discrete_grad(x)]
        return [cast(self._grad(out, g), x.type.dtype)]

    def _grad(self, out: Any, g: Any) -> Any:
        raise NotImplementedError

    def __str__(self) -> str:
        return f"{type(self).__name__}{{axis={self.axis}}}"


class Softmax(_SoftmaxBase):
    """``exp(x) / sum(exp(x), axis)``: a probability distribution along ``axis`` (None: all).

    Integer inputs give float64. A slice of all ``-inf`` gives ``nan`` (as in
    SciPy), a slice with ``+inf`` entries gives ``nan`` too.

    Example::

        Softmax(axis=1)(gt.dmatrix("x"))   # each row sums to 1
    """

    def _compute(self, x: np.ndarray) -> np.ndarray:
        e = np.exp(_stable_shift(x, self.axis))
        return e / np.sum(e, axis=self.axis, keepdims=True)

    def _grad(self, sm: Any, g: Any) -> Any:
        # J^T g = sm * (g - <g, sm>) along the axis.
        inner = _tm().sum(g * sm, axis=self.axis, keepdims=True)
        return sm * (g - inner)


class LogSoftmax(_SoftmaxBase):
    """``x - logsumexp(x, axis, keepdims=True)``, computed stably (axis None: all elements).

    Integer inputs give float64.

    Example::

        LogSoftmax(axis=-1)(gt.dvector("x"))
    """

    def _compute(self, x: np.ndarray) -> np.ndarray:
        shifted = _stable_shift(x, self.axis)
        return shifted - np.log(np.sum(np.exp(shifted), axis=self.axis, keepdims=True))

    def _grad(self, out: Any, g: Any) -> Any:
        tm = _tm()
        total = tm.sum(g, axis=self.axis, keepdims=True)
        return g - tm.exp(out) * total


def softmax(x: Any, axis: int | None = -1) -> TensorVariable:
    """Softmax of ``x`` along ``axis`` (the last by default; None: over all elements).

    Example::

        p = softmax(gt.dmatrix("logits"), axis=-1)
    """
    x = _as_tensor(x)
    return Softmax(_check_axis(axis))(x)


def log_softmax(x: Any, axis: int | None = -1) -> TensorVariable:
    """Logarithm of `softmax`, without forming the (possibly underflowing) softmax.

    Example::

        nll = -log_softmax(logits, axis=-1)
    """
    x = _as_tensor(x)
    return LogSoftmax(_check_axis(axis))(x)


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
