"""`Elemwise` (a scalar op over broadcast arrays), `DimShuffle` and `CAReduce`."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, ClassVar, cast

import numpy as np

from graft._fpe import quietly
from graft.graph.basic import Apply, Constant, Variable, io_toposort
from graft.graph.op import Op
from graft.scalar.basic import ScalarOp
from graft.scalar.type import ScalarConstant, ScalarType, get_scalar_type
from graft.tensor.basic import _ttype
from graft.tensor.type import TensorType


def _is_weak(x: Any) -> bool:
    return isinstance(x, int | float | complex) and not isinstance(x, np.generic)


def _as_tensor(x: Any) -> Variable:
    from graft.tensor.basic import as_tensor_variable

    return as_tensor_variable(x)


def convert_inputs(inputs: Sequence[Any], group: Sequence[int] | None = None) -> list[Variable]:
    """Tensor variables for ``inputs``; Python numbers take the dtype of the tensors they meet.

    This is NumPy's rule for Python scalars (NEP 50): ``x_float32 * 0.1`` stays
    float32 (the number is rounded to float32), while a value that does not fit
    (``int8_x + 1000``, ``x_float32 * 1e300``) falls back to the number's
    default dtype.
    """
    from graft.tensor.basic import constant

    out: list[Any] = [None if _is_weak(x) else _as_tensor(x) for x in inputs]
    idx = range(len(inputs)) if group is None else group
    strong = [out[i].type.dtype for i in idx if out[i] is not None]
    base = np.result_type(*strong) if strong else None
    for i, x in enumerate(inputs):
        if out[i] is not None:
            continue
        if base is not None and i in idx:
            dt = np.result_type(base, x)
            try:
                with np.errstate(all="ignore"):
                    conv = np.asarray(x, dtype=dt).item()
                # Floats round to the tensor's precision (NumPy's rule: x_float32 * 0.1 is
                # float32); integers must be exact, and a finite number must stay finite.
                if dt.kind in "fc" and not isinstance(x, int):
                    fits = bool(np.isfinite(conv)) or not np.isfinite(x)
                else:
                    fits = conv == x
            except OverflowError:
                fits = False
            if fits:
                out[i] = constant(x, dtype=dt.name)
                continue
        out[i] = constant(x)
    return out


def broadcast_static_shape(
    op: Any, shapes: Sequence[tuple[int | None, ...]]
) -> tuple[int | None, ...]:
    """The static output shape of broadcasting ``shapes`` (equal ranks); a clash is an error naming ``op``."""
    ndim = len(shapes[0])
    out: list[int | None] = []
    for d in range(ndim):
        known = {n for n in (s[d] for s in shapes) if n is not None and n != 1}
        if len(known) > 1:
            raise ValueError(
                f"{op}: shapes {', '.join(_fmt(s) for s in shapes)} cannot be broadcast "
                f"together (dimension {d} has sizes {sorted(known)})"
            )
        if known:
            out.append(known.pop())
        elif all(s[d] == 1 for s in shapes):
            out.append(1)
        else:
            out.append(None)
    return tuple(out)


def _fmt(shape: Sequence[int | None]) -> str:
    return (
        "("
        + ", ".join("?" if s is None else str(s) for s in shape)
        + (",)" if len(shape) == 1 else ")")
    )


class Elemwise(Op):
    """Applies a `ScalarOp` elementwise to arrays, with NumPy broadcasting and dtype rules.

    Inputs of lower rank are padded on the left with broadcastable dimensions.
    ``inplace_pattern`` maps an output index to the input it overwrites.

    Example::

        add = Elemwise(graft.scalar.add)
        z = add(x_matrix, y_vector)   # shape (n, m) + (m,)
    """

    __props__ = ("scalar_op", "inplace_pattern")
    #: perform quiets NumPy FP errors itself, unless the caller did (graft._fpe).
    ignores_fp_errors: ClassVar[bool] = True

    def __init__(
        self,
        scalar_op: ScalarOp,
        inplace_pattern: dict[int, int] | Sequence[tuple[int, int]] | None = None,
        name: str | None = None,
    ) -> None:
        self.scalar_op = scalar_op
        items = (
            inplace_pattern.items()
            if isinstance(inplace_pattern, dict)
            else (inplace_pattern or ())
        )
        self.inplace_pattern = tuple(sorted((int(o), int(i)) for o, i in items))
        self.destroy_map = {o: [i] for o, i in self.inplace_pattern}
        self.name = name
        self.nfunc_spec = None

    @property
    def commutative(self) -> bool:
        """Whether two inputs may be swapped without changing a bit (see `ScalarOp.commutative`)."""
        return bool(getattr(self.scalar_op, "commutative", False)) and not self.inplace_pattern

    def make_node(self, *inputs: Any) -> Apply:
        nin = getattr(self.scalar_op, "nin", -1)
        if nin >= 0 and len(inputs) != nin:
            # NumPy would take an extra argument as ``out=`` and overwrite it.
            raise TypeError(f"{self}: {self.scalar_op} takes {nin} inputs, got {len(inputs)}")
        group = self.scalar_op.weak_group(len(inputs))
        ins = convert_inputs(inputs, group)
        for i, v in enumerate(ins):
            if not isinstance(v.type, TensorType):
                raise TypeError(f"{self}: input {i} ({v}) is not a tensor")
        ndim = max(_ttype(v).ndim for v in ins)
        if any(_ttype(v).ndim != ndim for v in ins):
            from graft.tensor.basic import pad_left

            ins = [pad_left(v, ndim) for v in ins]
        shape = broadcast_static_shape(self, [_ttype(v).shape for v in ins])
        try:
            out_stypes = self.scalar_op.output_types(
                [get_scalar_type(_ttype(v).dtype) for v in ins]
            )
        except TypeError as e:
            raise TypeError(f"{self}: {e}") from None
        outs = [TensorType(t.dtype, shape)() for t in out_stypes]
        for o, i in self.inplace_pattern:
            if outs[o].type != ins[i].type:
                raise TypeError(
                    f"{self}: output {o} has type {outs[o].type} but overwrites input {i} "
                    f"of type {ins[i].type}"
                )
        return Apply(self, ins, outs)

    def _apply_ufunc(self, node: Apply, inputs: Sequence[Any]) -> Any:
        ufunc = self.scalar_op.ufunc
        if self.inplace_pattern and len(node.outputs) == 1:
            _, i = self.inplace_pattern[0]
            return ufunc(*inputs, out=inputs[i])
        return ufunc(*inputs)

    def perform(self, node: Apply, inputs: Sequence[Any], output_storage: list[list[Any]]) -> None:
        res = quietly(self._apply_ufunc, node, inputs)
        if len(node.outputs) == 1:
            res = (res,)
        for store, r, out in zip(output_storage, res, node.outputs):
            dtype = _ttype(out).numpy_dtype
            if type(r) is not np.ndarray or r.dtype != dtype:
                r = np.asarray(r, dtype=dtype)
            store[0] = r
        if len(inputs) > 1:
            shape = output_storage[0][0].shape
            for k, (v, var) in enumerate(zip(inputs, node.inputs)):
                if v.shape != shape:
                    self._check_broadcast(k, v.shape, _ttype(var).shape, shape)

    def _check_broadcast(
        self, k: int, vshape: tuple[int, ...], static: tuple[int | None, ...], out: tuple[int, ...]
    ) -> None:
        # Only dimensions known to have size 1 may broadcast: gradients are
        # summed over exactly those, so anything else would be silently wrong.
        for d, (s, o) in enumerate(zip(vshape, out)):
            if s != o and static[d] != 1:
                raise ValueError(
                    f"{self}: input {k} has shape {vshape}, which broadcasts along dimension {d} "
                    f"to {out}, but that dimension is not known to have size 1 (static shape "
                    f"{_fmt(static)}); declare it, e.g. with shape=(1, ...) or specify_shape"
                )

    def infer_shape(self, fgraph: Any, node: Apply, input_shapes: list[Any]) -> list[Any]:
        out_shape: list[Any] = []
        static = _ttype(node.outputs[0]).shape
        for d, s in enumerate(static):
            if s is not None:
                out_shape.append(s)
                continue
            for inp, shp in zip(node.inputs, input_shapes):
                if _ttype(inp).shape[d] != 1:
                    out_shape.append(shp[d])
                    break
            else:
                out_shape.append(1)
        return [tuple(out_shape)] * len(node.outputs)

    def L_op(
        self,
        inputs: Sequence[Variable],
        outputs: Sequence[Variable],
        output_grads: Sequence[Variable],
    ) -> list[Variable]:
        from graft.tensor.basic import sum_to_shape_of

        s_in = [get_scalar_type(_ttype(v).dtype)() for v in inputs]
        s_out = [get_scalar_type(_ttype(v).dtype)() for v in outputs]
        s_gz = [get_scalar_type(_ttype(g).dtype)() for g in output_grads]
        s_grads = self.scalar_op.L_op(s_in, s_out, s_gz)
        mapping: dict[Variable, Variable] = {}
        mapping.update(zip(s_in, inputs))
        mapping.update(zip(s_out, outputs))
        mapping.update(zip(s_gz, output_grads))
        # NullType (undefined, not implemented) gradients pass through as they are.
        special = {i: g for i, g in enumerate(s_grads) if not isinstance(g.type, ScalarType)}
        scalar = [g for i, g in enumerate(s_grads) if i not in special]
        it = iter(_scalar_graph_to_elemwise(scalar, mapping))
        grads = [special[i] if i in special else next(it) for i in range(len(s_grads))]
        out: list[Variable] = []
        for i, (g, x) in enumerate(zip(grads, inputs)):
            if i in special:
                out.append(g)
                continue
            if _ttype(g).ndim < _ttype(x).ndim or g.owner is None:
                # A constant gradient (e.g. zero): give it the input's shape.
                from graft.tensor.math import second

                g = second(x, g)
            # Sum over the dimensions each input was broadcast along.
            out.append(sum_to_shape_of(g, x))
        return out

    def __str__(self) -> str:
        if self.name:
            return self.name
        tag = (
            ",".join(f"{o}<-{i}" for o, i in self.inplace_pattern) if self.inplace_pattern else ""
        )
        return f"Elemwise{{{self.scalar_op},{'inplace' if tag else 'no_inplace'}}}"


def _scalar_graph_to_elemwise(
    outputs: Sequence[Variable], mapping: dict[Variable, Variable]
) -> list[Variable]:
    """Rebuild scalar expressions over tensors: each scalar node becomes an `Elemwise`."""
    from graft.tensor.basic import constant

    memo = dict(mapping)
    for node in io_toposort(list(mapping), outputs):
        args = []
        for inp in node.inputs:
            if inp in memo:
                args.append(memo[inp])
            elif isinstance(inp, Constant):
                args.append(constant(inp.data, dtype=cast(ScalarType, inp.type).dtype))
            else:
                raise ValueError(f"scalar gradient graph uses an unknown input {inp}")
        # A scalar graph: every node applies a ScalarOp.
        res = Elemwise(cast(ScalarOp, node.op))(*args, return_list=True)
        for o, r in zip(node.outputs, res):
            memo[o] = r
    out = []
    for o in outputs:
        if o in memo:
            out.append(memo[o])
        elif isinstance(o, ScalarConstant | Constant):
            out.append(constant(o.data, dtype=cast(ScalarType, o.type).dtype))
        else:
            raise ValueError(f"scalar gradient {o} is not connected to the op's inputs")
    return out


class DimShuffle(Op):
    """Reorders, adds (``'x'``) and drops (size-1) dimensions: ``x.dimshuffle(1, 'x', 0)``.

    A view of its input (no copy). Dropped dimensions must be known to have size 1.
    """

    __props__ = ("input_ndim", "new_order")
    view_map = {0: [0]}

    def __init__(self, input_ndim: int | Sequence[bool], new_order: Sequence[int | str]) -> None:
        if not isinstance(input_ndim, int):
            input_ndim = len(input_ndim)
        self.input_ndim = input_ndim
        self.new_order = tuple(o if o == "x" else int(o) for o in new_order)
        kept = [o for o in self.new_order if o != "x"]
        for o in kept:
            if not 0 <= int(o) < input_ndim:
                raise ValueError(
                    f"DimShuffle{self.new_order}: axis {o} out of range for {input_ndim} dims"
                )
        if len(set(kept)) != len(kept):
            raise ValueError(f"DimShuffle{self.new_order}: an axis is repeated")
        self.drop = tuple(i for i in range(input_ndim) if i not in kept)
        self.shuffle = tuple(int(o) for o in kept)
        self.augment = tuple(i for i, o in enumerate(self.new_order) if o == "x")
        self.is_transpose = (
            not self.drop and not self.augment and self.shuffle != tuple(range(input_ndim))
        )

    def make_node(self, x: Any) -> Apply:
        x = _as_tensor(x)
        if x.type.ndim != self.input_ndim:
            raise TypeError(f"{self} expects a {self.input_ndim}-d input, got {x.type.ndim}-d {x}")
        for d in self.drop:
            if x.type.shape[d] != 1:
                raise ValueError(
                    f"{self}: cannot drop dimension {d} of {x} (static shape "
                    f"{_fmt(x.type.shape)}): only dimensions of known size 1 can be dropped"
                )
        shape = tuple(1 if o == "x" else x.type.shape[int(o)] for o in self.new_order)
        return Apply(self, [x], [TensorType(x.type.dtype, shape)()])

    def perform(self, node: Apply, inputs: Sequence[Any], output_storage: list[list[Any]]) -> None:
        (x,) = inputs
        res = (
            np.transpose(x, self.shuffle + self.drop)
            if (self.shuffle + self.drop) != tuple(range(x.ndim))
            else x
        )
        shape = tuple(1 if o == "x" else x.shape[int(o)] for o in self.new_order)
        output_storage[0][0] = res.reshape(shape) if res.shape != shape else res

    def infer_shape(self, fgraph: Any, node: Apply, input_shapes: list[Any]) -> list[Any]:
        (ish,) = input_shapes
        return [tuple(1 if o == "x" else ish[int(o)] for o in self.new_order)]

    def L_op(
        self,
        inputs: Sequence[Variable],
        outputs: Sequence[Variable],
        output_grads: Sequence[Variable],
    ) -> list[Variable]:
        (gz,) = output_grads
        # Undo: drop the added axes (summing them is a no-op for size 1), restore order and drops.
        order: list[int | str] = [
            "x" if d in self.drop else self.new_order.index(d) for d in range(self.input_ndim)
        ]
        g = gz
        gzt = _ttype(gz)
        if self.augment and any(gzt.shape[a] != 1 for a in self.augment):
            from graft.tensor.math import sum as tsum

            g = tsum(gz, axis=self.augment, keepdims=True)
        return [DimShuffle(gzt.ndim, order)(g)]

    def __str__(self) -> str:
        if self.is_transpose and self.new_order == tuple(reversed(range(self.input_ndim))):
            return "Transpose"
        return "DimShuffle{" + ",".join(str(o) for o in self.new_order) + "}"


class CAReduce(Op):
    """Reduces ``axis`` (a tuple, or None for all) with an associative scalar op.

    ``dtype`` is the output dtype (NumPy's rule for sums: small integers
    accumulate in int64). ``add``/``mul``/``maximum``/``minimum``/``and_``/``or_``
    use NumPy's reductions; any other binary scalar op reduces with its ufunc.

    Example::

        CAReduce(graft.scalar.maximum, axis=(0,))(x)
    """

    __props__ = ("scalar_op", "axis", "dtype")
    ignores_fp_errors: ClassVar[bool] = True  # see Elemwise

    _NP: ClassVar[dict[str, Callable[..., Any]]] = {
        "add": np.sum,
        "mul": np.prod,
        "maximum": np.max,
        "minimum": np.min,
        "and_": np.all,
        "or_": np.any,
    }

    def __init__(
        self, scalar_op: ScalarOp, axis: Sequence[int] | int | None = None, dtype: Any = None
    ) -> None:
        self.scalar_op = scalar_op
        if isinstance(axis, int | np.integer):
            axis = (int(axis),)
        self.axis = None if axis is None else tuple(sorted(int(a) for a in axis))
        self.dtype = None if dtype is None else np.dtype(dtype).name
        self._np = self._NP.get(str(scalar_op))

    def _out_dtype(self, in_dtype: str) -> str:
        if self.dtype is not None:
            return self.dtype
        name = str(self.scalar_op)
        if name in ("and_", "or_"):
            return "bool"
        if name in ("add", "mul"):
            return np.sum(np.zeros(0, dtype=in_dtype)).dtype.name
        return self.scalar_op.output_types([get_scalar_type(in_dtype)] * 2)[0].dtype

    def make_node(self, x: Any) -> Apply:
        x = _as_tensor(x)
        nd = x.type.ndim
        axis = tuple(range(nd)) if self.axis is None else self.axis
        for a in axis:
            if not -nd <= a < nd:
                raise ValueError(f"{self}: axis {a} is out of range for {nd}-d input {x}")
        axis = tuple(sorted(a % nd for a in axis)) if nd else ()
        if self.axis is not None and axis != self.axis:
            return CAReduce(self.scalar_op, axis, self.dtype).make_node(x)
        shape = tuple(s for d, s in enumerate(x.type.shape) if d not in axis)
        return Apply(self, [x], [TensorType(self._out_dtype(x.type.dtype), shape)()])

    def _reduce(self, x: Any, out_dtype: np.dtype[Any]) -> Any:
        axis = self.axis
        if self._np is not None:
            if self._np in (np.sum, np.prod):
                return self._np(x, axis=axis, dtype=out_dtype)
            return self._np(x, axis=axis)
        res = x
        axes = range(x.ndim) if axis is None else axis
        for a in sorted(axes, reverse=True):
            res = _reduce_with(self.scalar_op.ufunc, res, a)
        return res

    def perform(self, node: Apply, inputs: Sequence[Any], output_storage: list[list[Any]]) -> None:
        (x,) = inputs
        out_dtype = _ttype(node.outputs[0]).numpy_dtype
        res = quietly(self._reduce, x, out_dtype)
        output_storage[0][0] = np.asarray(res, dtype=out_dtype)

    def infer_shape(self, fgraph: Any, node: Apply, input_shapes: list[Any]) -> list[Any]:
        (ish,) = input_shapes
        axis = range(len(ish)) if self.axis is None else self.axis
        return [tuple(s for d, s in enumerate(ish) if d not in axis)]

    def L_op(
        self,
        inputs: Sequence[Variable],
        outputs: Sequence[Variable],
        output_grads: Sequence[Variable],
    ) -> list[Variable]:
        from graft.tensor import math as tm

        (x,) = inputs
        (out,) = outputs
        (gz,) = output_grads
        name = str(self.scalar_op)
        xt = _ttype(x)
        nd = xt.ndim
        axis = tuple(range(nd)) if self.axis is None else self.axis
        if xt.dtype in ("bool",) or xt.dtype.startswith(("int", "uint")):
            from graft.tensor.basic import zeros_like

            return [zeros_like(x, dtype="float64")]
        order: list[int | str] = []
        j = 0
        for d in range(nd):
            if d in axis:
                order.append("x")
            else:
                order.append(j)
                j += 1
        gz_b = DimShuffle(_ttype(gz).ndim, order)(gz)
        out_b = DimShuffle(_ttype(out).ndim, order)(out)
        if name == "add":
            return [tm.second(x, gz_b).astype(xt.dtype)]
        if name in ("maximum", "minimum"):
            return [(gz_b * tm.eq(x, out_b)).astype(xt.dtype)]
        if name == "mul":
            # Exact with zeros: the product of the others is prod/x, or the
            # product of the non-zeros where x is the single zero.
            is_zero = tm.eq(x, 0)
            n_zero = DimShuffle(nd - len(axis), order)(tm.sum(is_zero, axis=axis, dtype="int64"))
            prod_nz = DimShuffle(nd - len(axis), order)(
                tm.prod(tm.switch(is_zero, 1, x), axis=axis)
            )
            safe_x = tm.switch(is_zero, 1, x)
            g = tm.switch(
                tm.eq(n_zero, 0),
                out_b / safe_x,
                tm.switch(tm.and_(tm.eq(n_zero, 1), is_zero), prod_nz, 0),
            )
            return [(gz_b * g).astype(xt.dtype)]
        from graft.graph.utils import MethodNotDefined

        raise MethodNotDefined(f"{self} has no gradient")

    def __str__(self) -> str:
        name = {
            "add": "Sum",
            "mul": "Prod",
            "maximum": "Max",
            "minimum": "Min",
            "and_": "All",
            "or_": "Any",
        }.get(str(self.scalar_op), f"CAReduce{{{self.scalar_op}}}")
        if self.axis is None:
            return name
        return f"{name}{{axis={list(self.axis)}}}"


def _reduce_with(ufunc: Any, x: np.ndarray, axis: int) -> np.ndarray:
    if x.shape[axis] == 0:
        raise ValueError("zero-size array to a reduction with no identity")
    parts = np.moveaxis(x, axis, 0)
    acc = parts[0]
    for p in parts[1:]:
        acc = ufunc(acc, p)
    return np.asarray(acc)
