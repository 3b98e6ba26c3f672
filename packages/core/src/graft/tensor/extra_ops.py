"""NumPy's array helpers as graph ops: cumulative sums/products, differences, sorted
search, ``roll``, ``linspace`` and ``nan_to_num``.

The ops with value-dependent output sizes (``unique``, ``nonzero``,
``bincount``) live in `graft.tensor.extra_ops_set` and are re-exported here.

Example::

    import graft.tensor as gt
    from graft.tensor.extra_ops import cumsum, diff, searchsorted

    x = gt.dmatrix("x")
    cumsum(x, axis=1)          # running sums along each row
    cumsum(x)                  # axis=None: over the flattened array (a vector)
    diff(x, n=2, axis=0)       # second differences down the columns
    roll(x, gt.lscalar("k"), axis=1)
"""

from __future__ import annotations

import typing
from collections.abc import Sequence
from typing import Any

import numpy as np

from graft.gradient.types import disconnected_type
from graft.graph.basic import Apply, Variable
from graft.graph.op import Op
from graft.tensor._helpers import (
    _as_tensor,
    _axis_in_range,
    _check_axis,
    _discrete_grad,
    _is_discrete_dtype,
    _np_dtype,
    _tm,
)
from graft.tensor.basic import arange, cast, constant
from graft.tensor.extra_ops_set import (
    Bincount,
    Nonzero,
    Unique,
    bincount,
    flatnonzero,
    nonzero,
    unique,
)
from graft.tensor.type import TensorType
from graft.tensor.variable import TensorVariable

__all__ = [
    "Bincount",
    "CumOp",
    "Diff",
    "Nonzero",
    "SearchSorted",
    "Unique",
    "bincount",
    "cumprod",
    "cumsum",
    "diff",
    "flatnonzero",
    "linspace",
    "nan_to_num",
    "nonzero",
    "roll",
    "searchsorted",
    "unique",
]


class CumOp(Op):
    """Cumulative sum (``mode="add"``) or product (``mode="mul"``) along ``axis``.

    ``axis=None`` works on the flattened input and gives a vector, like
    ``np.cumsum``. ``reverse=True`` accumulates from the end of the axis
    (used by the gradient of the forward op). The output dtype follows NumPy:
    small integers and bools accumulate in int64, unsigned ones in uint64.

    Example::

        CumOp(axis=0, mode="mul")(gt.dvector("x"))   # np.cumprod(x)
    """

    __props__ = ("axis", "mode", "reverse")

    def __init__(self, axis: int | None = None, mode: str = "add", reverse: bool = False) -> None:
        if mode not in ("add", "mul"):
            raise ValueError(f"CumOp: mode must be 'add' or 'mul', got {mode!r}")
        self.axis = _check_axis(axis, "CumOp")
        self.mode = mode
        self.reverse = bool(reverse)

    def _np(self) -> Any:
        return np.cumsum if self.mode == "add" else np.cumprod

    def make_node(self, x: Any) -> Apply:
        x = _as_tensor(x)
        nd = x.type.ndim
        out_dtype = self._np()(np.zeros(0, dtype=x.type.dtype)).dtype.name
        if self.axis is None:
            known = x.type.shape
            size = int(np.prod(known)) if all(s is not None for s in known) else None
            return Apply(self, [x], [TensorType(out_dtype, (size,))()])
        axis = _axis_in_range(self, self.axis, nd, x)
        if axis != self.axis:
            return CumOp(axis, self.mode, self.reverse).make_node(x)
        return Apply(self, [x], [TensorType(out_dtype, x.type.shape)()])

    def perform(self, node: Apply, inputs: Sequence[Any], output_storage: list[list[Any]]) -> None:
        (x,) = inputs
        dtype = _np_dtype(node)
        axis = self.axis
        if axis is None:
            x = np.ravel(x)
            axis = 0
        f = self._np()
        with np.errstate(all="ignore"):
            if self.reverse:
                out = np.flip(f(np.flip(x, axis), axis=axis, dtype=dtype), axis)
            else:
                out = f(x, axis=axis, dtype=dtype)
        output_storage[0][0] = np.ascontiguousarray(out)

    def infer_shape(self, fgraph: Any, node: Apply, input_shapes: list[Any]) -> list[Any]:
        if self.axis is None:
            from graft.tensor.math import prod_static

            out_type: Any = node.outputs[0].type
            static = out_type.shape[0]
            return [(static if static is not None else prod_static(list(input_shapes[0])),)]
        return [input_shapes[0]]

    def L_op(
        self,
        inputs: Sequence[Any],
        outputs: Sequence[Any],
        output_grads: Sequence[Any],
    ) -> list[Variable]:
        from graft.tensor.shape import reshape, shape, specify_shape

        (x,) = inputs
        (out,) = outputs
        (g,) = output_grads
        if _is_discrete_dtype(x.type.dtype):
            return [_discrete_grad(x)]
        if self.axis is None:
            # Differentiate the flattened computation, then restore x's shape.
            xf = reshape(x, (-1,))
            gx = self._grad_along(0, xf, out, g)
            gx = reshape(gx, shape(x), ndim=x.type.ndim)
            gx = specify_shape(gx, x.type.shape)
        else:
            gx = self._grad_along(self.axis, x, out, g)
        return [cast(gx, x.type.dtype)]

    def _grad_along(self, axis: int, x: Any, out: Any, g: Any) -> Any:
        tm = _tm()
        back_sum = CumOp(axis, "add", not self.reverse)
        if self.mode == "add":
            return back_sum(g)
        # d out_j / d x_i = prod_{k <= j, k != i} x_k (k, j ordered in the scan direction).
        # Before the first zero this is out_j / x_i; at the first zero it is the
        # running product with that zero replaced by 1; after it, 0.
        fwd_sum = CumOp(axis, "add", self.reverse)
        is_zero = tm.eq(x, 0)
        zeros_so_far = fwd_sum(cast(is_zero, "int64"))
        first_zero = tm.and_(is_zero, tm.eq(zeros_so_far, 1))
        x_safe = tm.switch(is_zero, 1, x)
        before = back_sum(g * out) / x_safe
        prod_skip = CumOp(axis, "mul", self.reverse)(tm.switch(first_zero, 1, x))
        at_first = back_sum(g * prod_skip)
        return tm.switch(tm.eq(zeros_so_far, 0), before, tm.switch(first_zero, at_first, 0))

    def __str__(self) -> str:
        name = "cumsum" if self.mode == "add" else "cumprod"
        rev = ",reverse" if self.reverse else ""
        return f"{name}{{axis={self.axis}{rev}}}"


def cumsum(x: Any, axis: int | None = None) -> TensorVariable:
    """Cumulative sum along ``axis`` (``np.cumsum``); None flattens first.

    Example::

        cumsum(gt.dmatrix("x"), axis=-1)
    """
    return CumOp(_check_axis(axis, "cumsum"), "add")(_as_tensor(x))


def cumprod(x: Any, axis: int | None = None) -> TensorVariable:
    """Cumulative product along ``axis`` (``np.cumprod``); None flattens first.

    The gradient is exact also where ``x`` has zeros.

    Example::

        cumprod(gt.dvector("x"))
    """
    return CumOp(_check_axis(axis, "cumprod"), "mul")(_as_tensor(x))


class Diff(Op):
    """``np.diff(x, n, axis)``: ``n``-th forward differences along ``axis``.

    With ``transpose=True`` it computes the adjoint linear map instead (the
    gradient of the forward op): it takes the output gradient and the
    original input (for its shape) and returns an array shaped like that input.

    Example::

        Diff(1, 0)(gt.dvector("x"))   # x[1:] - x[:-1]
    """

    __props__ = ("n", "axis", "transpose")

    def __init__(self, n: int = 1, axis: int = -1, transpose: bool = False) -> None:
        if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 0:
            raise ValueError(f"Diff: n must be a non-negative int, got {n!r}")
        ax = _check_axis(axis, "Diff")
        if ax is None:
            raise TypeError("Diff: axis must be an int")
        self.n = int(n)
        self.axis = ax
        self.transpose = bool(transpose)

    def make_node(self, x: Any, like: Any = None) -> Apply:
        x = _as_tensor(x)
        nd = x.type.ndim
        if nd == 0:
            raise ValueError("diff requires an input of at least one dimension")
        axis = _axis_in_range(self, self.axis, nd, x)
        if axis != self.axis:
            return Diff(self.n, axis, self.transpose).make_node(x, like)
        if self.transpose:
            if like is None:
                raise TypeError("Diff(transpose=True) takes the gradient and the original input")
            like = _as_tensor(like)
            if like.type.ndim != nd:
                raise ValueError(
                    f"{self}: gradient and input ranks differ ({nd} vs {like.type.ndim})"
                )
            return Apply(self, [x, like], [TensorType(x.type.dtype, like.type.shape)()])
        if like is not None:
            raise TypeError("Diff takes one input")
        shape = list(x.type.shape)
        if shape[self.axis] is not None:
            shape[self.axis] = max(shape[self.axis] - self.n, 0)
        out_dtype = np.diff(np.zeros(2, dtype=x.type.dtype)).dtype.name
        return Apply(self, [x], [TensorType(out_dtype, shape)()])

    def perform(self, node: Apply, inputs: Sequence[Any], output_storage: list[list[Any]]) -> None:
        dtype = _np_dtype(node)
        if not self.transpose:
            with np.errstate(all="ignore"):
                out = np.diff(inputs[0], n=self.n, axis=self.axis)
            output_storage[0][0] = np.asarray(out, dtype=dtype)
            return
        g, like = inputs
        out = np.zeros(like.shape, dtype=dtype)
        if like.shape[self.axis] > self.n:
            # The adjoint of one difference is -diff of the zero-padded gradient.
            r = np.asarray(g, dtype=dtype)
            for _ in range(self.n):
                pad = [(0, 0)] * r.ndim
                pad[self.axis] = (1, 1)
                r = -np.diff(np.pad(r, pad), axis=self.axis)
            out[...] = r
        output_storage[0][0] = out

    def infer_shape(self, fgraph: Any, node: Apply, input_shapes: list[Any]) -> list[Any]:
        if self.transpose:
            return [input_shapes[1]]
        tm = _tm()
        shp = list(input_shapes[0])
        out_type: Any = node.outputs[0].type
        static = out_type.shape[self.axis]
        if static is not None:
            shp[self.axis] = static
        elif self.n:
            shp[self.axis] = tm.maximum(shp[self.axis] - self.n, 0)
        return [tuple(shp)]

    def L_op(
        self,
        inputs: Sequence[Any],
        outputs: Sequence[Any],
        output_grads: Sequence[Any],
    ) -> list[Variable]:
        (g,) = output_grads
        if self.transpose:
            return [Diff(self.n, self.axis)(g), disconnected_type()]
        (x,) = inputs
        if _is_discrete_dtype(x.type.dtype):
            return [_discrete_grad(x)]
        return [cast(Diff(self.n, self.axis, transpose=True)(g, x), x.type.dtype)]

    def connection_pattern(self, node: Apply) -> list[list[bool]]:
        return [[True], [False]] if self.transpose else [[True]]

    def __str__(self) -> str:
        t = ",T" if self.transpose else ""
        return f"Diff{{n={self.n},axis={self.axis}{t}}}"


def diff(x: Any, n: int = 1, axis: int = -1) -> TensorVariable:
    """``n``-th discrete difference along ``axis`` (``np.diff``); ``n=0`` returns ``x``.

    Example::

        diff(gt.dvector("x"))   # x[1:] - x[:-1]
    """
    x = _as_tensor(x)
    if n == 0 and isinstance(n, int):
        if x.type.ndim == 0:
            raise ValueError("diff requires an input of at least one dimension")
        return x
    return Diff(n, axis)(x)


class SearchSorted(Op):
    """``np.searchsorted(a, v, side)``: int64 insertion indices of ``v`` into sorted vector ``a``.

    Not differentiable (the output is an index).

    Example::

        SearchSorted("right")(gt.dvector("edges"), gt.dvector("values"))
    """

    __props__ = ("side",)

    def __init__(self, side: str = "left") -> None:
        if side not in ("left", "right"):
            raise ValueError(f"searchsorted: side must be 'left' or 'right', got {side!r}")
        self.side = side

    def make_node(self, a: Any, v: Any) -> Apply:
        a, v = _as_tensor(a), _as_tensor(v)
        if a.type.ndim != 1:
            raise TypeError(f"searchsorted: a must be a vector, got {a.type.ndim}-d {a}")
        for t in (a, v):
            if np.dtype(t.type.dtype).kind == "c":
                raise TypeError(f"searchsorted: complex input {t} is not supported")
        return Apply(self, [a, v], [TensorType("int64", v.type.shape)()])

    def perform(self, node: Apply, inputs: Sequence[Any], output_storage: list[list[Any]]) -> None:
        a, v = inputs
        output_storage[0][0] = np.asarray(
            np.searchsorted(a, v, side="left" if self.side == "left" else "right"), dtype="int64"
        )

    def infer_shape(self, fgraph: Any, node: Apply, input_shapes: list[Any]) -> list[Any]:
        return [input_shapes[1]]

    def L_op(
        self,
        inputs: Sequence[Any],
        outputs: Sequence[Any],
        output_grads: Sequence[Any],
    ) -> list[Variable]:
        return [disconnected_type(), disconnected_type()]

    def connection_pattern(self, node: Apply) -> list[list[bool]]:
        return [[False], [False]]

    def __str__(self) -> str:
        return f"SearchSorted{{{self.side}}}"


def searchsorted(a: Any, v: Any, side: str = "left") -> TensorVariable:
    """Indices where ``v`` would be inserted into the sorted vector ``a`` to keep it sorted.

    Example::

        searchsorted([1.0, 2.0, 3.0], gt.dvector("v"), side="right")
    """
    return SearchSorted(side)(a, v)


# ---------------------------------------------------------------------------
# Compositions: roll, linspace, nan_to_num (gradients come from their parts)
# ---------------------------------------------------------------------------


def _int_scalar(fn: str, what: str, v: Any) -> Any:
    """``v`` (a Python int or an integer 0-d tensor) as an int, or an int64 0-d tensor."""
    if isinstance(v, int | np.integer) and not isinstance(v, bool):
        return int(v)
    t = _as_tensor(v)
    if t.type.ndim != 0 or np.dtype(t.type.dtype).kind not in "iu":
        raise TypeError(f"{fn}: {what} must be an int or an integer scalar, got {v!r} ({t.type})")
    return cast(t, "int64")


def _roll_axis(x: Any, shift: Any, axis: int) -> Any:
    from graft.tensor.join import concatenate
    from graft.tensor.shape import shape_i

    tm = _tm()
    n = x.type.shape[axis]
    if isinstance(shift, int) and n is not None:
        k: Any = shift % n if n else 0
        if k == 0:
            return x
    else:
        size = shape_i(x, axis)
        k = tm.mod(shift, tm.maximum(size, 1))  # % 0 would fail: an empty axis rolls to itself
    lead = (slice(None),) * axis
    cut = -k if isinstance(k, int) else shape_i(x, axis) - k
    return concatenate([x[lead + (slice(cut, None),)], x[lead + (slice(None, cut),)]], axis=axis)


def roll(x: Any, shift: Any, axis: int | Sequence[int] | None = None) -> TensorVariable:
    """``np.roll``: shift elements along ``axis`` cyclically; ``axis=None`` rolls the flattened array.

    ``shift`` is an int or integer scalar variable, or a sequence of them
    (paired with a sequence of axes, broadcast as in NumPy; shifts along a
    repeated axis add up). Differentiable in ``x``.

    Example::

        roll(gt.dmatrix("m"), gt.lscalar("k"), axis=1)
        roll(gt.dmatrix("m"), (1, -2), axis=(0, 1))
    """
    from graft.tensor.shape import reshape, shape, specify_shape

    x = _as_tensor(x)
    shifts = list(shift) if isinstance(shift, list | tuple) else [shift]
    shifts = [_int_scalar("roll", "shift", s) for s in shifts]
    if axis is None:
        flat = roll(reshape(x, (-1,)), shifts, 0)
        out = reshape(flat, shape(x), ndim=x.type.ndim)
        return typing.cast(TensorVariable, specify_shape(out, x.type.shape))
    axes: list[int] = []
    for a in list(axis) if isinstance(axis, list | tuple) else [axis]:
        ax = _check_axis(a, "roll")
        if ax is None:
            raise TypeError(f"roll: axis must be an int or a sequence of ints, got {axis!r}")
        axes.append(_axis_in_range("roll", ax, x.type.ndim, x))
    if len(shifts) == 1:
        shifts = shifts * len(axes)
    elif len(axes) == 1:
        axes = axes * len(shifts)
    elif len(axes) != len(shifts):
        raise ValueError(
            f"roll: shift {shift!r} and axis {axis!r} have lengths that do not broadcast"
        )
    out = x
    for s, a in zip(shifts, axes):
        out = _roll_axis(out, s, a)
    return typing.cast(TensorVariable, specify_shape(out, x.type.shape))


def _scalar_dtype(v: Any) -> Any:
    # Python numbers stay "weak" for NumPy's result_type (NEP 50), like the values NumPy sees.
    if isinstance(v, int | float | complex) and not isinstance(v, bool):
        return v
    return _as_tensor(v).type.dtype


def _linspace_end(what: str, v: Any, dtype: str) -> Any:
    if isinstance(v, Variable):
        t = _as_tensor(v)
    else:
        with np.errstate(all="ignore"):
            t = constant(np.asarray(v).astype(dtype))
    if t.type.ndim != 0:
        raise ValueError(f"linspace: {what} must be a scalar (0-d), got {t.type.ndim}-d {v!r}")
    return cast(t, dtype)


def linspace(
    start: Any, stop: Any, num: int = 50, endpoint: bool = True, dtype: Any = None
) -> TensorVariable:
    """``np.linspace``: ``num`` evenly spaced values from ``start`` to ``stop``.

    ``start``/``stop`` are numbers or 0-d tensors; ``num`` is a Python int.
    The values are computed as NumPy does (the same floating-point steps);
    the dtype is NumPy's: float64 for ints and Python numbers, float32 for
    float32 inputs, or ``dtype`` (an integer ``dtype`` rounds down).

    Example::

        linspace(0.0, gt.dscalar("b"), num=5)
    """
    import operator

    from graft.tensor.shape import specify_shape
    from graft.tensor.subtensor import set_subtensor

    tm = _tm()
    if isinstance(num, bool):
        raise TypeError(f"linspace: num must be an int, got {num!r}")
    try:
        num = operator.index(num)
    except TypeError:
        raise TypeError(f"linspace: num must be an int, got {num!r}") from None
    if num < 0:
        raise ValueError(f"linspace: num must be non-negative, got {num}")
    dt = np.result_type(_scalar_dtype(start), _scalar_dtype(stop), 1.0)
    if dt.kind not in "fc":
        dt = np.dtype("float64")
    s, e = (_linspace_end(what, v, dt.name) for what, v in (("start", start), ("stop", stop)))
    div = num - 1 if endpoint else num
    delta = e - s
    y = arange(0, num, 1, dtype=dt.name)
    if div > 0:
        step = delta / constant(div, dtype=dt.name)
        # NumPy divides first when the step underflows to zero.
        y = tm.switch(tm.eq(step, 0), (y / constant(div, dtype=dt.name)) * delta, y * step)
    else:
        y = y * delta
    y = y + s
    if endpoint and num > 1:
        y = set_subtensor(y[-1], e)
    if dtype is not None:
        out_dt = np.dtype(dtype)
        if out_dt.kind in "iu":
            y = tm.floor(y)
        y = cast(y, out_dt.name)
    return typing.cast(TensorVariable, specify_shape(y, (num,)))


def nan_to_num(
    x: Any, nan: float = 0.0, posinf: float | None = None, neginf: float | None = None
) -> TensorVariable:
    """``np.nan_to_num``: NaN to ``nan``, +inf to ``posinf``, -inf to ``neginf``.

    ``posinf``/``neginf`` default to the largest/smallest finite value of
    ``x``'s dtype; the replacements are cast to that dtype (a value too large
    for float32 becomes inf, as in NumPy). Integer and bool inputs are
    returned unchanged. The gradient passes where ``x`` is finite and is
    zero elsewhere. Complex inputs are not supported.

    Example::

        nan_to_num(gt.dvector("x"), nan=-1.0)
    """

    x = _as_tensor(x)
    dtype = np.dtype(x.type.dtype)
    if dtype.kind in "biu":
        return typing.cast(TensorVariable, x)
    if dtype.kind != "f":
        raise TypeError(
            f"nan_to_num: input {x} has dtype {dtype.name}; only real inputs are supported"
        )
    info = np.finfo(dtype)

    def value(what: str, v: Any, default: Any) -> Any:
        v = default if v is None else v
        if isinstance(v, bool) or not isinstance(v, int | float | np.integer | np.floating):
            raise TypeError(f"nan_to_num: {what} must be a real number, got {v!r}")
        with np.errstate(all="ignore"):
            return constant(np.asarray(v, dtype="float64").astype(dtype))

    tm = _tm()
    c_nan = value("nan", nan, 0.0)
    c_pos = value("posinf", posinf, info.max)
    c_neg = value("neginf", neginf, info.min)
    inf_to = tm.switch(tm.gt(x, 0), c_pos, c_neg)
    out = tm.switch(tm.isnan(x), c_nan, tm.switch(tm.isinf(x), inf_to, x))
    return typing.cast(TensorVariable, out)
