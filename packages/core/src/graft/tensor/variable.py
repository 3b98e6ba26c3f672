"""`TensorVariable` and `TensorConstant`: NumPy-style operators and methods on graph variables."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from graft.graph.basic import Constant, Variable


def _m() -> Any:
    # The math module imports this one; import it lazily.
    from graft.tensor import math

    return math


def _b() -> Any:
    from graft.tensor import basic

    return basic


class _tensor_py_operators:
    """Python operators and NumPy-like methods shared by tensor variables and constants."""

    __slots__ = ()

    # -- arithmetic ---------------------------------------------------------
    def __add__(self, other: Any) -> Any:
        return _m().add(self, other)

    def __radd__(self, other: Any) -> Any:
        return _m().add(other, self)

    def __sub__(self, other: Any) -> Any:
        return _m().sub(self, other)

    def __rsub__(self, other: Any) -> Any:
        return _m().sub(other, self)

    def __mul__(self, other: Any) -> Any:
        return _m().mul(self, other)

    def __rmul__(self, other: Any) -> Any:
        return _m().mul(other, self)

    def __truediv__(self, other: Any) -> Any:
        return _m().true_div(self, other)

    def __rtruediv__(self, other: Any) -> Any:
        return _m().true_div(other, self)

    def __floordiv__(self, other: Any) -> Any:
        return _m().int_div(self, other)

    def __rfloordiv__(self, other: Any) -> Any:
        return _m().int_div(other, self)

    def __mod__(self, other: Any) -> Any:
        return _m().mod(self, other)

    def __rmod__(self, other: Any) -> Any:
        return _m().mod(other, self)

    def __pow__(self, other: Any) -> Any:
        return _m().pow(self, other)

    def __rpow__(self, other: Any) -> Any:
        return _m().pow(other, self)

    def __matmul__(self, other: Any) -> Any:
        return _m().matmul(self, other)

    def __rmatmul__(self, other: Any) -> Any:
        return _m().matmul(other, self)

    def __neg__(self) -> Any:
        return _m().neg(self)

    def __pos__(self) -> Any:
        return self

    def __abs__(self) -> Any:
        return _m().abs(self)

    def __invert__(self) -> Any:
        return _m().invert(self)

    def __and__(self, other: Any) -> Any:
        return _m().and_(self, other)

    def __rand__(self, other: Any) -> Any:
        return _m().and_(other, self)

    def __or__(self, other: Any) -> Any:
        return _m().or_(self, other)

    def __ror__(self, other: Any) -> Any:
        return _m().or_(other, self)

    def __xor__(self, other: Any) -> Any:
        return _m().xor(self, other)

    def __rxor__(self, other: Any) -> Any:
        return _m().xor(other, self)

    # -- comparisons (== and != stay identity, so variables remain hashable) --
    def __lt__(self, other: Any) -> Any:
        return _m().lt(self, other)

    def __le__(self, other: Any) -> Any:
        return _m().le(self, other)

    def __gt__(self, other: Any) -> Any:
        return _m().gt(self, other)

    def __ge__(self, other: Any) -> Any:
        return _m().ge(self, other)

    def __bool__(self) -> bool:
        raise TypeError(
            "a symbolic tensor has no truth value; use graft.tensor.switch/where for conditions "
            "or compile and evaluate it first"
        )

    def __len__(self) -> int:
        raise TypeError("len() of a symbolic tensor is unknown; use x.shape[0]")

    def __iter__(self) -> Any:
        n = self.type.shape[0] if self.ndim else None  # type: ignore[attr-defined]
        if n is None:
            raise TypeError(
                "cannot iterate over a tensor whose first dimension is not known statically"
            )
        return (self[i] for i in range(n))

    # -- attributes -----------------------------------------------------------
    @property
    def ndim(self) -> int:
        return self.type.ndim  # type: ignore[attr-defined,no-any-return]

    @property
    def dtype(self) -> str:
        return self.type.dtype  # type: ignore[attr-defined,no-any-return]

    @property
    def broadcastable(self) -> tuple[bool, ...]:
        return self.type.broadcastable  # type: ignore[attr-defined,no-any-return]

    @property
    def shape(self) -> Any:
        from graft.tensor.shape import shape

        return shape(self)

    @property
    def size(self) -> Any:
        return _m().prod(self.shape)

    @property
    def T(self) -> Any:
        return self.transpose()

    # -- shape manipulation ----------------------------------------------------
    def transpose(self, *axes: Any) -> Any:
        if len(axes) == 1 and isinstance(axes[0], Sequence):
            axes = tuple(axes[0])
        return _b().transpose(self, axes or None)

    def dimshuffle(self, *pattern: Any) -> Any:
        if len(pattern) == 1 and isinstance(pattern[0], list | tuple):
            pattern = tuple(pattern[0])
        from graft.tensor.elemwise import DimShuffle

        return DimShuffle(self.ndim, pattern)(self)

    def reshape(self, *shape: Any, ndim: int | None = None) -> Any:
        if len(shape) == 1 and not isinstance(shape[0], int | np.integer):
            shape = shape[0]
        from graft.tensor.shape import reshape

        return reshape(self, shape, ndim=ndim)

    def flatten(self, ndim: int = 1) -> Any:
        from graft.tensor.shape import flatten

        return flatten(self, ndim)

    ravel = flatten

    def squeeze(self, axis: Any = None) -> Any:
        return _b().squeeze(self, axis)

    def astype(self, dtype: Any) -> Any:
        return _b().cast(self, dtype)

    def __getitem__(self, idx: Any) -> Any:
        from graft.tensor.subtensor import getitem

        return getitem(self, idx)

    def copy(self, name: str | None = None) -> Any:
        out = _m().tensor_copy(self)
        out.name = name
        return out

    # -- reductions and friends ---------------------------------------------
    def sum(
        self, axis: Any = None, dtype: Any = None, keepdims: bool = False, acc_dtype: Any = None
    ) -> Any:
        return _m().sum(self, axis=axis, dtype=dtype, keepdims=keepdims)

    def prod(
        self, axis: Any = None, dtype: Any = None, keepdims: bool = False, acc_dtype: Any = None
    ) -> Any:
        return _m().prod(self, axis=axis, dtype=dtype, keepdims=keepdims)

    def mean(
        self, axis: Any = None, dtype: Any = None, keepdims: bool = False, acc_dtype: Any = None
    ) -> Any:
        return _m().mean(self, axis=axis, dtype=dtype, keepdims=keepdims)

    def var(self, axis: Any = None, ddof: int = 0, keepdims: bool = False) -> Any:
        return _m().var(self, axis=axis, ddof=ddof, keepdims=keepdims)

    def std(self, axis: Any = None, ddof: int = 0, keepdims: bool = False) -> Any:
        return _m().std(self, axis=axis, ddof=ddof, keepdims=keepdims)

    def max(self, axis: Any = None, keepdims: bool = False) -> Any:
        return _m().max(self, axis=axis, keepdims=keepdims)

    def min(self, axis: Any = None, keepdims: bool = False) -> Any:
        return _m().min(self, axis=axis, keepdims=keepdims)

    def argmax(self, axis: Any = None, keepdims: bool = False) -> Any:
        return _m().argmax(self, axis=axis, keepdims=keepdims)

    def argmin(self, axis: Any = None, keepdims: bool = False) -> Any:
        return _m().argmin(self, axis=axis, keepdims=keepdims)

    def all(self, axis: Any = None, keepdims: bool = False) -> Any:
        return _m().all(self, axis=axis, keepdims=keepdims)

    def any(self, axis: Any = None, keepdims: bool = False) -> Any:
        return _m().any(self, axis=axis, keepdims=keepdims)

    def dot(self, other: Any) -> Any:
        return _m().dot(self, other)

    def clip(self, a_min: Any, a_max: Any) -> Any:
        return _m().clip(self, a_min, a_max)

    def round(self) -> Any:
        return _m().round(self)

    def cumsum(self, axis: Any = None) -> Any:
        from graft.tensor.extra_ops import cumsum

        return cumsum(self, axis=axis)

    def sort(self, axis: int | None = -1, kind: str | None = None) -> Any:
        """A sorted copy (``graft.tensor.sort``; NumPy's ``ndarray.sort`` sorts in place)."""
        from graft.tensor.sorting import sort

        return sort(self, axis=axis, kind=kind)

    def argsort(self, axis: int | None = -1, kind: str | None = None) -> Any:
        from graft.tensor.sorting import argsort

        return argsort(self, axis=axis, kind=kind)

    def nonzero(self) -> Any:
        from graft.tensor.extra_ops import nonzero

        return nonzero(self)

    def swapaxes(self, axis1: int, axis2: int) -> Any:
        from graft.tensor.axes import swapaxes

        return swapaxes(self, axis1, axis2)

    def diagonal(self, offset: int = 0, axis1: int = 0, axis2: int = 1) -> Any:
        from graft.tensor.triangular import diagonal

        return diagonal(self, offset=offset, axis1=axis1, axis2=axis2)

    def trace(self, offset: int = 0, axis1: int = 0, axis2: int = 1) -> Any:
        from graft.tensor.triangular import trace

        return trace(self, offset=offset, axis1=axis1, axis2=axis2)

    def zeros_like(self, dtype: Any = None) -> Any:
        return _b().zeros_like(self, dtype=dtype)

    def ones_like(self, dtype: Any = None) -> Any:
        return _b().ones_like(self, dtype=dtype)

    def exp(self) -> Any:
        return _m().exp(self)

    def log(self) -> Any:
        return _m().log(self)

    def sqrt(self) -> Any:
        return _m().sqrt(self)


class TensorVariable(_tensor_py_operators, Variable):
    """A symbolic array: a `Variable` whose type is a `TensorType`.

    Example::

        x = graft.tensor.matrix("x")
        y = (x.T @ x).sum(axis=0) / x.shape[0]
    """

    __slots__ = ()


class TensorConstant(_tensor_py_operators, Constant):
    """A tensor with a fixed value (a NumPy array of the type's dtype)."""

    __slots__ = ()

    def signature(self) -> Any:
        data = self.data
        return (self.type, data.dtype.str, data.shape, data.tobytes())

    def equals(self, other: object) -> bool:
        if not isinstance(other, TensorConstant) or other.type != self.type:
            return False
        return bool(np.array_equal(self.data, other.data, equal_nan=self.data.dtype.kind in "fc"))

    def __str__(self) -> str:
        if self.name is not None:
            return self.name
        d = self.data
        if d.ndim == 0:
            return str(d.item()) if d.dtype.kind != "b" else str(bool(d))
        s = np.array2string(d, separator=", ", threshold=6)
        s = " ".join(s.split())
        return s if len(s) <= 40 else s[:20] + "..." + s[-10:]

    @property
    def value(self) -> np.ndarray:
        return self.data
