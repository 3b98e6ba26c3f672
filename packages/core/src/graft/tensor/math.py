"""Elementwise math, reductions and products on tensors (NumPy semantics).

Every scalar op of `graft.scalar` has an `Elemwise` counterpart here under the
same name (``add``, ``exp``, ``sigmoid``, ``gammainc``, ...), with the scalar
op's dtype rule (float-returning ops compute integer inputs in float32 or
float64, see `graft.scalar.type.upgrade_to_float`); other names of one op
(``bitwise_and`` and ``and_``, ``expit`` and ``sigmoid``) are the same
`Elemwise`. ``_dot`` is the matrix/vector product Op; `dot` and `matmul` build
on it. ``graft.tensor`` exports everything in ``__all__``.
"""

from __future__ import annotations

import builtins
import typing
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

import graft.scalar as ps
from graft.gradient.types import grad_undefined
from graft.graph.basic import Apply, Variable
from graft.graph.op import Op
from graft.printing.pretty import FunctionPrinter, OperatorPrinter, pprint
from graft.scalar.basic import ScalarOp
from graft.tensor.basic import _ttype, as_tensor_variable, cast, constant
from graft.tensor.elemwise import CAReduce, DimShuffle, Elemwise
from graft.tensor.type import TensorType

# ---------------------------------------------------------------------------
# Elementwise ops: one Elemwise per scalar op, under the scalar op's name.
# ---------------------------------------------------------------------------

_elemwise_names: list[str] = []
#: Other names of the same ops (``bitwise_and`` is ``and_``, ``expit`` is ``sigmoid``).
_alias_names: list[str] = []
_by_scalar_op: dict[int, Elemwise] = {}
_scalar_ops = [(n, getattr(ps, n)) for n in ps.__all__ if not n.startswith("convert_to")]
_scalar_ops = [(n, o) for n, o in _scalar_ops if isinstance(o, ScalarOp)]
# An op's own name first, so that its other names become the aliases.
for _name, _sop in sorted(_scalar_ops, key=lambda item: item[0] != item[1].name):
    if id(_sop) in _by_scalar_op:
        globals()[_name] = _by_scalar_op[id(_sop)]
        _alias_names.append(_name)
        continue
    globals()[_name] = _by_scalar_op[id(_sop)] = Elemwise(_sop)
    _elemwise_names.append(_name)

if TYPE_CHECKING:
    # The loop above defines these at runtime (``switch`` is redefined below as a
    # function); they are spelled out so that type checkers know them.
    abs_: Elemwise
    add: Elemwise
    and_: Elemwise
    bitwise_and: Elemwise
    bitwise_not: Elemwise
    bitwise_or: Elemwise
    bitwise_xor: Elemwise
    eq: Elemwise
    ge: Elemwise
    gt: Elemwise
    identity: Elemwise
    int_div: Elemwise
    invert: Elemwise
    isinf: Elemwise
    isnan: Elemwise
    le: Elemwise
    lt: Elemwise
    maximum: Elemwise
    minimum: Elemwise
    mod: Elemwise
    mul: Elemwise
    neg: Elemwise
    neq: Elemwise
    or_: Elemwise
    pow: Elemwise
    reciprocal: Elemwise
    second: Elemwise
    sign: Elemwise
    sqr: Elemwise
    sub: Elemwise
    true_div: Elemwise
    xor: Elemwise
    arccos: Elemwise
    arccosh: Elemwise
    arcsin: Elemwise
    arcsinh: Elemwise
    arctan: Elemwise
    arctan2: Elemwise
    arctanh: Elemwise
    cbrt: Elemwise
    ceil: Elemwise
    cos: Elemwise
    cosh: Elemwise
    deg2rad: Elemwise
    erf: Elemwise
    erfc: Elemwise
    erfcinv: Elemwise
    erfcx: Elemwise
    erfinv: Elemwise
    exp: Elemwise
    expit: Elemwise
    exp2: Elemwise
    expm1: Elemwise
    floor: Elemwise
    gamma: Elemwise
    gammainc: Elemwise
    gammainc_grad: Elemwise
    gammaincc: Elemwise
    gammainccinv: Elemwise
    gammaincinv: Elemwise
    gammaln: Elemwise
    hypot: Elemwise
    log: Elemwise
    log1mexp: Elemwise
    log1p: Elemwise
    log1pexp: Elemwise
    log2: Elemwise
    log10: Elemwise
    logaddexp: Elemwise
    polygamma: Elemwise
    psi: Elemwise
    rad2deg: Elemwise
    round_half_away_from_zero: Elemwise
    round_half_to_even: Elemwise
    sigmoid: Elemwise
    sin: Elemwise
    sinh: Elemwise
    softplus: Elemwise
    sqrt: Elemwise
    tan: Elemwise
    tanh: Elemwise
    tri_gamma: Elemwise
    trunc: Elemwise
    xlogx: Elemwise
    xlogy0: Elemwise

abs = Elemwise(ps.abs_)
abs_ = abs
tensor_copy = Elemwise(ps.identity)
# Names under which NumPy users look for things.
where_op = Elemwise(ps.switch)
power = globals()["pow"]
true_divide = globals()["true_div"]
floor_divide = globals()["int_div"]


def switch(cond: Any, ift: Any, iff: Any) -> Any:
    """``ift`` where ``cond`` is true, else ``iff`` (broadcast, NumPy's ``where``)."""
    return where_op(cond, ift, iff)


def where(cond: Any, x: Any = None, y: Any = None) -> Any:
    """``np.where(cond, x, y)``."""
    if x is None or y is None:
        raise TypeError(
            "where(cond) without x and y (nonzero) is not supported; pass both branches"
        )
    return where_op(cond, x, y)


def round(x: Any, mode: str = "half_to_even") -> Any:
    """Round to the nearest integer (ties to even, like NumPy); integers are returned as is."""
    x = as_tensor_variable(x)
    if x.type.numpy_dtype.kind in "biu":
        return x
    if mode == "half_to_even":
        return globals()["round_half_to_even"](x)
    if mode == "half_away_from_zero":
        return globals()["round_half_away_from_zero"](x)
    raise ValueError(f"round mode must be 'half_to_even' or 'half_away_from_zero', got {mode!r}")


def clip(x: Any, a_min: Any, a_max: Any) -> Any:
    """``x`` limited to ``[a_min, a_max]``."""
    return globals()["maximum"](globals()["minimum"](x, a_max), a_min)


square = globals()["sqr"]


# ---------------------------------------------------------------------------
# Reductions
# ---------------------------------------------------------------------------


def _norm_axis(x: Variable, axis: Any) -> tuple[int, ...] | None:
    if axis is None:
        return None
    nd = _ttype(x).ndim
    try:
        axes = (axis,) if isinstance(axis, int | np.integer) else tuple(axis)
    except TypeError:
        axes = (axis,)
    out = []
    for a in axes:
        if not isinstance(a, int | np.integer):
            raise TypeError(f"axis must be None, an int or a sequence of ints, got {axis!r}")
        a = int(a)
        if not -nd <= a < builtins.max(nd, 1):
            raise ValueError(f"axis {a} is out of range for {nd}-d tensor {x}")
        out.append(a % nd if nd else 0)
    if len(set(out)) != len(out):
        raise ValueError(f"repeated axis in {axis}")
    return tuple(sorted(out))


def _keep(x: Variable, out: Any, axis: tuple[int, ...] | None, keepdims: bool) -> Any:
    if not keepdims:
        return out
    nd = _ttype(x).ndim
    axes = range(nd) if axis is None else axis
    order: list[int | str] = []
    j = 0
    for d in range(nd):
        if d in axes:
            order.append("x")
        else:
            order.append(j)
            j += 1
    return DimShuffle(out.type.ndim, order)(out)


def _reduce(scalar_op: ScalarOp, x: Any, axis: Any, keepdims: bool, dtype: Any = None) -> Any:
    x = as_tensor_variable(x)
    ax = _norm_axis(x, axis)
    if ax == tuple(range(x.type.ndim)):
        ax = None
    out = CAReduce(scalar_op, ax, dtype)(x)
    return _keep(x, out, ax, keepdims)


def sum(
    x: Any, axis: Any = None, dtype: Any = None, keepdims: bool = False, acc_dtype: Any = None
) -> Any:
    """Sum over ``axis`` (all by default); small integers accumulate in int64 like NumPy."""
    return _reduce(ps.add, x, axis, keepdims, dtype)


def prod(
    x: Any,
    axis: Any = None,
    dtype: Any = None,
    keepdims: bool = False,
    acc_dtype: Any = None,
    no_zeros_in_input: bool = False,
) -> Any:
    """Product over ``axis``."""
    return _reduce(ps.mul, x, axis, keepdims, dtype)


def max(x: Any, axis: Any = None, keepdims: bool = False) -> Any:
    """Maximum over ``axis``."""
    return _reduce(ps.maximum, x, axis, keepdims)


def min(x: Any, axis: Any = None, keepdims: bool = False) -> Any:
    """Minimum over ``axis``."""
    return _reduce(ps.minimum, x, axis, keepdims)


def all(x: Any, axis: Any = None, keepdims: bool = False) -> Any:
    """True where all elements along ``axis`` are nonzero."""
    x = as_tensor_variable(x)
    if x.type.dtype != "bool":
        x = globals()["neq"](x, 0)
    return _reduce(ps.and_, x, axis, keepdims)


def any(x: Any, axis: Any = None, keepdims: bool = False) -> Any:
    """True where any element along ``axis`` is nonzero."""
    x = as_tensor_variable(x)
    if x.type.dtype != "bool":
        x = globals()["neq"](x, 0)
    return _reduce(ps.or_, x, axis, keepdims)


def _count(x: Variable, axis: tuple[int, ...] | None) -> Any:
    from graft.tensor.shape import shape_i

    xt = _ttype(x)
    axes = range(xt.ndim) if axis is None else axis
    n: Any = constant(1, dtype="int64")
    static = 1
    dynamic = []
    for a in axes:
        s = xt.shape[a]
        if s is None:
            dynamic.append(shape_i(x, a))
        else:
            static *= s
    n = constant(static, dtype="int64")
    for d in dynamic:
        n = globals()["mul"](n, d)
    return n


def mean(
    x: Any, axis: Any = None, dtype: Any = None, keepdims: bool = False, acc_dtype: Any = None
) -> Any:
    """Arithmetic mean over ``axis`` (float64 for integer inputs, like NumPy)."""
    x = as_tensor_variable(x)
    ax = _norm_axis(x, axis)
    out_dtype = (
        np.dtype(dtype).name
        if dtype is not None
        else np.mean(np.zeros(1, x.type.dtype)).dtype.name
    )
    # Like NumPy, accumulate float16 in float32 so long sums do not overflow.
    acc = "float32" if out_dtype == "float16" else out_dtype
    s = sum(x, axis=ax, dtype=acc if acc.startswith(("float", "complex")) else None)
    res = globals()["true_div"](s, cast(_count(x, ax), out_dtype))
    res = cast(res, out_dtype)
    return _keep(x, res, ax, keepdims)


def var(
    x: Any, axis: Any = None, ddof: int = 0, keepdims: bool = False, corrected: bool = False
) -> Any:
    """Variance over ``axis`` with ``ddof`` delta degrees of freedom."""
    x = as_tensor_variable(x)
    ax = _norm_axis(x, axis)
    if corrected:
        ddof = 1
    m = mean(x, axis=ax, keepdims=True)
    centered = globals()["sub"](x, m)
    sq = globals()["mul"](centered, centered)
    out_dtype = m.type.dtype
    total = sum(sq, axis=ax)
    n = cast(_count(x, ax), out_dtype)
    # NumPy clamps the degrees of freedom at zero (giving inf/nan, never a negative variance).
    denom = globals()["maximum"](globals()["sub"](n, ddof), 0) if ddof else n
    res = globals()["true_div"](total, denom)
    return _keep(x, cast(res, out_dtype), ax, keepdims)


def std(
    x: Any, axis: Any = None, ddof: int = 0, keepdims: bool = False, corrected: bool = False
) -> Any:
    """Standard deviation over ``axis``."""
    return globals()["sqrt"](var(x, axis=axis, ddof=ddof, keepdims=keepdims, corrected=corrected))


class Argmax(Op):
    """Index of the maximum (``op="max"``) or minimum along one axis, or over the flattened array."""

    __props__ = ("axis", "kind")

    def __init__(self, axis: int | None, kind: str = "max") -> None:
        self.axis = axis
        self.kind = kind

    def make_node(self, x: Any) -> Apply:
        x = as_tensor_variable(x)
        if self.axis is None:
            shape: tuple[int | None, ...] = ()
        else:
            if not 0 <= self.axis < x.type.ndim:
                raise ValueError(f"{self}: axis {self.axis} out of range for {x.type.ndim}-d {x}")
            shape = tuple(s for d, s in enumerate(x.type.shape) if d != self.axis)
        return Apply(self, [x], [TensorType("int64", shape)()])

    def perform(self, node: Apply, inputs: Sequence[Any], output_storage: list[list[Any]]) -> None:
        f = np.argmax if self.kind == "max" else np.argmin
        output_storage[0][0] = np.asarray(f(inputs[0], axis=self.axis), dtype="int64")

    def infer_shape(self, fgraph: Any, node: Apply, input_shapes: list[Any]) -> list[Any]:
        if self.axis is None:
            return [()]
        return [tuple(s for d, s in enumerate(input_shapes[0]) if d != self.axis)]

    def L_op(
        self,
        inputs: Sequence[Variable],
        outputs: Sequence[Variable],
        output_grads: Sequence[Variable],
    ) -> list[Variable]:
        return [grad_undefined(self, 0, inputs[0], "argmax/argmin has no gradient")]

    def connection_pattern(self, node: Apply) -> list[list[bool]]:
        return [[False]]

    def __str__(self) -> str:
        return f"Arg{self.kind}{{axis={self.axis}}}"


def _arg(x: Any, axis: Any, keepdims: bool, kind: str) -> Any:
    x = as_tensor_variable(x)
    if axis is None:
        out = Argmax(None, kind)(x)
        if keepdims:
            out = DimShuffle(0, ["x"] * x.type.ndim)(out)
        return out
    if not isinstance(axis, int | np.integer):
        raise TypeError(f"arg{kind} takes a single integer axis or None, got {axis!r}")
    ax = _norm_axis(x, axis)
    assert ax is not None
    out = Argmax(ax[0], kind)(x)
    return _keep(x, out, ax, keepdims)


def argmax(x: Any, axis: Any = None, keepdims: bool = False) -> Any:
    """Indices of the maxima along ``axis`` (of the flattened array when None)."""
    return _arg(x, axis, keepdims, "max")


def argmin(x: Any, axis: Any = None, keepdims: bool = False) -> Any:
    """Indices of the minima along ``axis`` (of the flattened array when None)."""
    return _arg(x, axis, keepdims, "min")


def max_and_argmax(x: Any, axis: Any = None, keepdims: bool = False) -> tuple[Any, Any]:
    """``(max(x, axis), argmax(x, axis))`` as in PyTensor.

    ``axis`` is None (all), an int or a tuple of ints; over several axes the
    argmax indexes those axes flattened in C order (as ``np.argmax`` of the
    array with the other axes moved first and these merged). The gradient of
    the max goes to the maximal entries; the argmax has none (asking for it
    through the argmax raises).

    Example::

        m, i = max_and_argmax(gt.dmatrix("x"), axis=1)   # shapes (n,), (n,)
    """
    from graft.tensor.shape import reshape, shape_i

    x = as_tensor_variable(x)
    nd = x.type.ndim
    ax = _norm_axis(x, axis)
    if ax is not None and len(ax) == nd:
        ax = None
    mx = max(x, axis=ax, keepdims=keepdims)
    if ax is None:
        return mx, argmax(x, None, keepdims)
    if len(ax) == 1:
        return mx, argmax(x, ax[0], keepdims)
    kept = [d for d in range(nd) if d not in ax]
    moved = x.transpose(kept + list(ax))
    merged = reshape(
        moved, [shape_i(x, d) for d in kept] + [prod_static([shape_i(x, d) for d in ax])]
    )
    am = Argmax(len(kept), "max")(merged)
    return mx, _keep(x, am, ax, keepdims)


# ---------------------------------------------------------------------------
# Products
# ---------------------------------------------------------------------------


class Dot(Op):
    """The product of vectors and matrices (``np.dot`` restricted to 1-d and 2-d inputs).

    ``_dot`` is its instance; `dot` and `matmul` dispatch to it.
    """

    __props__ = ()

    def make_node(self, x: Any, y: Any) -> Apply:
        x, y = as_tensor_variable(x), as_tensor_variable(y)
        if x.type.ndim not in (1, 2) or y.type.ndim not in (1, 2):
            raise TypeError(
                f"Dot takes 1-d or 2-d inputs, got {x.type.ndim}-d {x} and {y.type.ndim}-d {y}"
            )
        kx = x.type.shape[-1]
        ky = y.type.shape[0]
        if kx is not None and ky is not None and kx != ky:
            raise ValueError(
                f"Dot: shapes {x.type.shape} and {y.type.shape} are not aligned ({kx} != {ky})"
            )
        shape = x.type.shape[:-1] + y.type.shape[1:]
        dtype = np.result_type(x.type.numpy_dtype, y.type.numpy_dtype).name
        if dtype == "bool":
            dtype = "bool"
        return Apply(self, [x, y], [TensorType(dtype, shape)()])

    def perform(self, node: Apply, inputs: Sequence[Any], output_storage: list[list[Any]]) -> None:
        x, y = inputs
        output_storage[0][0] = np.asarray(np.dot(x, y), dtype=_ttype(node.outputs[0]).numpy_dtype)

    def infer_shape(self, fgraph: Any, node: Apply, input_shapes: list[Any]) -> list[Any]:
        xs, ys = input_shapes
        return [tuple(xs[:-1]) + tuple(ys[1:])]

    def L_op(
        self,
        inputs: Sequence[Variable],
        outputs: Sequence[Variable],
        output_grads: Sequence[Variable],
    ) -> list[Variable]:
        # Tensor variables or constants: their NumPy-style operators (``*``, ``.T``) apply.
        x, y = typing.cast("Sequence[Any]", inputs)
        (gz,) = typing.cast("Sequence[Any]", output_grads)
        xn, yn = x.type.ndim, y.type.ndim
        if xn == 1 and yn == 1:
            gx, gy = gz * y, gz * x
        elif xn == 1 and yn == 2:
            gx, gy = _dot(y, gz), outer(x, gz)
        elif xn == 2 and yn == 1:
            gx, gy = outer(gz, y), _dot(gz.T, x)
        else:
            gx, gy = _dot(gz, y.T), _dot(x.T, gz)
        return [cast(gx, x.type.dtype), cast(gy, y.type.dtype)]

    def __str__(self) -> str:
        return "dot"


_dot = Dot()


def outer(x: Any, y: Any) -> Any:
    """Outer product of two vectors."""
    x, y = as_tensor_variable(x), as_tensor_variable(y)
    if x.type.ndim != 1:
        x = x.flatten()
    if y.type.ndim != 1:
        y = y.flatten()
    return globals()["mul"](x.dimshuffle(0, "x"), y.dimshuffle("x", 0))


class MatMul(Op):
    """``np.matmul`` for inputs of rank >= 2, broadcasting the leading (batch) dimensions."""

    __props__ = ()

    def make_node(self, x: Any, y: Any) -> Apply:
        from graft.tensor.elemwise import broadcast_static_shape

        x, y = as_tensor_variable(x), as_tensor_variable(y)
        if x.type.ndim < 2 or y.type.ndim < 2:
            raise TypeError("MatMul takes inputs of rank >= 2; use matmul() for vectors")
        xs, ys = x.type.shape, y.type.shape
        if xs[-1] is not None and ys[-2] is not None and xs[-1] != ys[-2]:
            raise ValueError(f"matmul: shapes {xs} and {ys} are not aligned")
        bx, by = xs[:-2], ys[:-2]
        nb = builtins.max(len(bx), len(by))
        bx = (1,) * (nb - len(bx)) + bx
        by = (1,) * (nb - len(by)) + by
        batch = broadcast_static_shape(self, [bx, by]) if nb else ()
        dtype = np.result_type(x.type.numpy_dtype, y.type.numpy_dtype).name
        return Apply(self, [x, y], [TensorType(dtype, (*batch, xs[-2], ys[-1]))()])

    def perform(self, node: Apply, inputs: Sequence[Any], output_storage: list[list[Any]]) -> None:
        output_storage[0][0] = np.asarray(
            np.matmul(*inputs), dtype=_ttype(node.outputs[0]).numpy_dtype
        )

    def L_op(
        self,
        inputs: Sequence[Variable],
        outputs: Sequence[Variable],
        output_grads: Sequence[Variable],
    ) -> list[Variable]:
        from graft.tensor.basic import sum_to_shape_of

        x, y = inputs
        (gz,) = output_grads
        gx = sum_to_shape_of(_matmul(gz, _swap_last(y)), x)
        gy = sum_to_shape_of(_matmul(_swap_last(x), gz), y)
        return [gx, gy]

    def __str__(self) -> str:
        return "matmul"


def _swap_last(v: Variable) -> Any:
    nd = _ttype(v).ndim
    return DimShuffle(nd, (*range(nd - 2), nd - 1, nd - 2))(v)


_matmul = MatMul()


def matmul(x: Any, y: Any) -> Any:
    """``x @ y`` with NumPy's matmul rules (batched over leading dimensions)."""
    x, y = as_tensor_variable(x), as_tensor_variable(y)
    if x.type.ndim == 0 or y.type.ndim == 0:
        raise TypeError("matmul does not take 0-d inputs; use mul")
    if x.type.ndim <= 2 and y.type.ndim <= 2:
        return _dot(x, y)
    # Vectors become matrices for the batched product, then lose that axis again.
    xx = x.dimshuffle("x", 0) if x.type.ndim == 1 else x
    yy = y.dimshuffle(0, "x") if y.type.ndim == 1 else y
    out = _matmul(xx, yy)
    nd = out.type.ndim
    if y.type.ndim == 1:
        out = out.dimshuffle(*range(nd - 1))
        nd -= 1
    if x.type.ndim == 1:
        out = out.dimshuffle(*range(nd - 2), nd - 1)
    return out


def dot(x: Any, y: Any) -> Any:
    """``np.dot``: products of scalars, vectors, matrices (and matmul for higher ranks)."""
    x, y = as_tensor_variable(x), as_tensor_variable(y)
    if x.type.ndim == 0 or y.type.ndim == 0:
        return globals()["mul"](x, y)
    if x.type.ndim <= 2 and y.type.ndim <= 2:
        return _dot(x, y)
    if y.type.ndim > 2:
        return tensordot(x, y, axes=[[x.type.ndim - 1], [y.type.ndim - 2]])
    return matmul(x, y)


def tensordot(a: Any, b: Any, axes: Any = 2) -> Any:
    """``np.tensordot`` via transpose, reshape and a matrix product."""
    from graft.tensor.shape import reshape, shape_i

    a, b = as_tensor_variable(a), as_tensor_variable(b)
    if isinstance(axes, int):
        ax_a = list(range(a.type.ndim - axes, a.type.ndim))
        ax_b = list(range(axes))
    else:
        ax_a = [int(i) % a.type.ndim for i in np.atleast_1d(axes[0])]
        ax_b = [int(i) % b.type.ndim for i in np.atleast_1d(axes[1])]
    if len(ax_a) != len(ax_b):
        raise ValueError("tensordot: axes lists must have the same length")
    free_a = [d for d in range(a.type.ndim) if d not in ax_a]
    free_b = [d for d in range(b.type.ndim) if d not in ax_b]
    at = a.transpose(free_a + ax_a) if (free_a + ax_a) != list(range(a.type.ndim)) else a
    bt = b.transpose(ax_b + free_b) if (ax_b + free_b) != list(range(b.type.ndim)) else b
    k = prod_static([shape_i(a, d) for d in ax_a])
    m = prod_static([shape_i(a, d) for d in free_a])
    n = prod_static([shape_i(b, d) for d in free_b])
    a2 = reshape(at, (m, k))
    b2 = reshape(bt, (k, n))
    out = _dot(a2, b2)
    return reshape(out, [shape_i(a, d) for d in free_a] + [shape_i(b, d) for d in free_b])


def prod_static(dims: Sequence[Any]) -> Any:
    out: Any = constant(1, dtype="int64")
    for d in dims:
        out = globals()["mul"](out, d)
    return out


__all__ = [
    *_elemwise_names,
    *_alias_names,
    "Argmax",
    "Dot",
    "MatMul",
    "abs",
    "all",
    "any",
    "argmax",
    "argmin",
    "clip",
    "dot",
    "floor_divide",
    "matmul",
    "max",
    "max_and_argmax",
    "mean",
    "min",
    "outer",
    "power",
    "prod",
    "prod_static",
    "round",
    "square",
    "std",
    "sum",
    "tensor_copy",
    "tensordot",
    "true_divide",
    "var",
    "where",
    "where_op",
]


# pprint: show elementwise ops through their scalar op's printer.
def _register_printers() -> None:
    class ElemwisePrinter(FunctionPrinter):
        def process(self, output: Variable, pstate: Any) -> str:
            node = output.owner
            assert node is not None and isinstance(node.op, Elemwise)
            sp = pprint._by_op.get(node.op.scalar_op)
            if sp is not None:
                return sp.process(output, pstate)
            args = [pstate.pprinter.process(i, pstate) for i in node.inputs]
            return f"{node.op.scalar_op}({', '.join(args)})"

    class DimShufflePrinter(FunctionPrinter):
        def process(self, output: Variable, pstate: Any) -> str:
            node = output.owner
            assert node is not None
            op = node.op
            assert isinstance(op, DimShuffle)
            inner = pstate.pprinter.process(node.inputs[0], pstate)
            n = op.input_ndim
            k = len(op.new_order) - n
            # Broadcast padding is implicit in the math: print the operand itself.
            if k >= 0 and op.new_order == ("x",) * k + tuple(range(n)):
                return inner
            if op.new_order == tuple(reversed(range(n))):
                return f"{inner}.T"
            return f"DimShuffle{{{','.join(str(o) for o in op.new_order)}}}({inner})"

    pprint.assign(
        lambda pstate, r: r.owner is not None and isinstance(r.owner.op, Elemwise),
        ElemwisePrinter(),
    )
    pprint.assign(DimShuffle, DimShufflePrinter())
    pprint.assign(_dot, OperatorPrinter("@", -1, "left"))
    pprint.assign(_matmul, OperatorPrinter("@", -1, "left"))


_register_printers()
