"""Batched application of Ops: `Blockwise`, `vectorize` and `vectorize_graph`.

`Blockwise` applies a *core* Op over the leading (batch) dimensions of its
inputs, following a NumPy gufunc signature such as ``"(m,n),(n)->(m)"``:
the trailing dimensions named in the signature go to the core Op, the
leading ones broadcast against each other as in NumPy.

`vectorize_graph` rewrites a graph for batched replacements of some of its
variables. Each node is rebuilt by the rule registered for its Op class
(`register_vectorize_node`): `Elemwise`, `DimShuffle`, `CAReduce`, the shape
ops, products and basic indexing batch natively; any other tensor Op
becomes a `Blockwise`.

Example::

    import graft.tensor as gt

    x = gt.dmatrix("x")
    xs = gt.tensor3("xs")                       # a batch of matrices
    y = gt.exp(x).sum(axis=0)
    ys = gt.vectorize_graph(y, replace={x: xs}) # shape (batch, n)
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any, cast

import numpy as np

from graft.graph.basic import Apply, Constant, Variable, ancestors, io_toposort
from graft.graph.op import Op
from graft.graph.utils import MethodNotDefined
from graft.tensor.basic import _ttype, as_tensor_variable, pad_left, sum_to_shape_of
from graft.tensor.elemwise import CAReduce, DimShuffle, Elemwise, broadcast_static_shape
from graft.tensor.type import TensorType

__all__ = [
    "Blockwise",
    "register_vectorize_node",
    "vectorize",
    "vectorize_graph",
    "vectorize_node",
]

Sig = tuple[tuple[str, ...], ...]

_DIMS = r"\((?:\s*\w+\s*(?:,\s*\w+\s*)*)?\)"
_SIG_RE = re.compile(rf"^\s*{_DIMS}(?:\s*,\s*{_DIMS})*\s*->\s*{_DIMS}(?:\s*,\s*{_DIMS})*\s*$")


def _parse_signature(signature: str) -> tuple[Sig, Sig]:
    """``"(m,n),(n)->(m)"`` as ``((("m","n"), ("n",)), (("m",),))``; ValueError if malformed."""
    if not isinstance(signature, str) or not _SIG_RE.match(signature):
        raise ValueError(
            f"Blockwise: bad gufunc signature {signature!r}; expected e.g. '(m,n),(n)->(m)'"
        )
    ins, outs = signature.split("->")

    def groups(s: str) -> Sig:
        return tuple(
            tuple(d.strip() for d in g.split(",") if d.strip())
            for g in re.findall(r"\(([^)]*)\)", s)
        )

    return groups(ins), groups(outs)


def _format_signature(ins: Sig, outs: Sig) -> str:
    def fmt(sig: Sig) -> str:
        return ",".join("(" + ",".join(g) + ")" for g in sig)

    return f"{fmt(ins)}->{fmt(outs)}"


def _fmt(shape: Sequence[Any]) -> str:
    inner = ", ".join("?" if s is None else str(s) for s in shape)
    return f"({inner},)" if len(shape) == 1 else f"({inner})"


def _safe_signature(node: Apply) -> str:
    """A signature naming every core dimension apart (no size is assumed shared)."""
    ins = tuple(
        tuple(f"i{k}_{d}" for d in range(_ttype(v).ndim)) for k, v in enumerate(node.inputs)
    )
    outs = tuple(
        tuple(f"o{k}_{d}" for d in range(_ttype(v).ndim)) for k, v in enumerate(node.outputs)
    )
    return _format_signature(ins, outs)


class Blockwise(Op):
    """``core_op`` applied over leading batch dimensions, as a NumPy gufunc with ``signature``.

    Each input has the core dimensions its signature entry names (trailing)
    and any number of batch dimensions (leading). Batch dimensions broadcast
    like NumPy's, right-aligned; a dimension broadcasts only where its size
    is statically 1 (as for `Elemwise`: the gradient sums over exactly
    those), anything else is an error at run time that names the Op and the
    shapes. ``signature`` defaults to ``core_op.gufunc_signature``.

    ``perform`` loops over the batch in Python, calling the core Op's
    ``perform``; the gradient is the core Op's gradient graph, vectorized.

    Example::

        from graft.tensor.linalg import MatrixInverse

        inv = Blockwise(MatrixInverse(), "(m,m)->(m,m)")
        ys = inv(gt.tensor3("xs"))      # one inverse per leading index
    """

    __props__ = ("core_op", "signature")

    def __init__(self, core_op: Op, signature: str | None = None, name: str | None = None) -> None:
        if not isinstance(core_op, Op):
            raise TypeError(f"Blockwise: core_op must be an Op, got {type(core_op).__name__}")
        if isinstance(core_op, Blockwise):
            raise TypeError("Blockwise: core_op is already a Blockwise; use it directly")
        if signature is None:
            signature = getattr(core_op, "gufunc_signature", None)
            if signature is None:
                raise TypeError(
                    f"Blockwise: {core_op} has no gufunc_signature; pass signature=, "
                    "e.g. '(m,n),(n)->(m)'"
                )
        self.inputs_sig, self.outputs_sig = _parse_signature(signature)
        self.signature = _format_signature(self.inputs_sig, self.outputs_sig)
        self.core_op = core_op
        self.name = name

    # -- nodes -------------------------------------------------------------

    def _core_node(self, inputs: Sequence[Variable]) -> Apply:
        """A node of the core Op on fresh variables typed like the inputs' core parts."""
        dummies = []
        for v, sig in zip(inputs, self.inputs_sig):
            t = _ttype(v)
            dummies.append(TensorType(t.dtype, t.shape[t.ndim - len(sig) :])())
        try:
            return self.core_op.make_node(*dummies)
        except (TypeError, ValueError) as e:
            raise type(e)(f"{self}: {e}") from None

    def _node_core(self, node: Apply) -> Apply:
        # One core node per combination of input types (rewrites may refine them).
        cache: dict[tuple[Any, ...], Apply] = self.__dict__.setdefault("_core_cache", {})
        key = tuple(v.type for v in node.inputs)
        core = cache.get(key)
        if core is None:
            core = cache[key] = self._core_node(node.inputs)
        return core

    def _batch_ndim(self, inputs: Sequence[Variable]) -> int:
        return max(
            (_ttype(v).ndim - len(sig) for v, sig in zip(inputs, self.inputs_sig)), default=0
        )

    def make_node(self, *inputs: Any) -> Apply:
        if len(inputs) != len(self.inputs_sig):
            raise TypeError(
                f"{self} takes {len(self.inputs_sig)} inputs (signature {self.signature}), "
                f"got {len(inputs)}"
            )
        ins: list[Variable] = []
        for i, (x, sig) in enumerate(zip(inputs, self.inputs_sig)):
            v: Variable = as_tensor_variable(x)
            if not isinstance(v.type, TensorType):
                raise TypeError(f"{self}: input {i} ({v}) is not a tensor")
            if v.type.ndim < len(sig):
                raise TypeError(
                    f"{self}: input {i} ({v}) has {v.type.ndim} dimensions, but the signature "
                    f"{self.signature} gives it {len(sig)} core dimensions"
                )
            ins.append(v)
        sizes: dict[str, int] = {}
        for i, (w, sig) in enumerate(zip(ins, self.inputs_sig)):
            t = _ttype(w)
            for name, s in zip(sig, t.shape[t.ndim - len(sig) :]):
                if s is None:
                    continue
                if sizes.setdefault(name, s) != s:
                    raise ValueError(
                        f"{self}: core dimension {name!r} has size {sizes[name]} in one input "
                        f"and {s} in input {i} ({w}, static shape {_fmt(t.shape)})"
                    )
        core = self._core_node(ins)
        if len(core.outputs) != len(self.outputs_sig):
            raise ValueError(
                f"{self}: the core op has {len(core.outputs)} outputs, the signature "
                f"{self.signature} names {len(self.outputs_sig)}"
            )
        nb = self._batch_ndim(ins)
        batch_shapes = []
        for w, sig in zip(ins, self.inputs_sig):
            t = _ttype(w)
            b = t.shape[: t.ndim - len(sig)]
            batch_shapes.append((1,) * (nb - len(b)) + b)
        batch = broadcast_static_shape(self, batch_shapes) if nb else ()
        outs = []
        for o, sig in zip(core.outputs, self.outputs_sig):
            ot = _ttype(o)
            if ot.ndim != len(sig):
                raise ValueError(
                    f"{self}: core output {o} has {ot.ndim} dimensions, the signature "
                    f"{self.signature} gives it {len(sig)}"
                )
            core_shape = tuple(s if s is not None else sizes.get(n) for n, s in zip(sig, ot.shape))
            outs.append(TensorType(ot.dtype, batch + core_shape)())
        return Apply(self, ins, outs)

    # -- evaluation --------------------------------------------------------

    def _runtime_batch(self, node: Apply, inputs: Sequence[np.ndarray]) -> tuple[int, ...]:
        nb = self._batch_ndim(node.inputs)
        shapes = []
        sizes: dict[str, int] = {}
        for i, (x, sig) in enumerate(zip(inputs, self.inputs_sig)):
            k = x.ndim - len(sig)
            for name, s in zip(sig, x.shape[k:]):
                if sizes.setdefault(name, s) != s:
                    raise ValueError(
                        f"{self}: core dimension {name!r} has size {sizes[name]} in one input "
                        f"and {s} in input {i}; input shapes "
                        f"{', '.join(str(np.shape(a)) for a in inputs)}"
                    )
            shapes.append((1,) * (nb - k) + x.shape[:k])
        out: list[int] = []
        for d in range(nb):
            dims = {s[d] for s in shapes if s[d] != 1}
            if len(dims) > 1:
                raise ValueError(
                    f"{self}: the batch shapes of the inputs cannot be broadcast together "
                    f"(dimension {d} has sizes {sorted(dims)}); input shapes "
                    f"{', '.join(str(np.shape(a)) for a in inputs)}, signature {self.signature}"
                )
            out.append(dims.pop() if dims else 1)
        for i, (s, var, sig) in enumerate(zip(shapes, node.inputs, self.inputs_sig)):
            t = _ttype(var)
            static = (1,) * (nb - (t.ndim - len(sig))) + t.shape[: t.ndim - len(sig)]
            for d in range(nb):
                if s[d] != out[d] and static[d] != 1:
                    raise ValueError(
                        f"{self}: input {i} has batch shape {s}, which broadcasts along "
                        f"dimension {d} to {tuple(out)}, but that dimension is not known to "
                        f"have size 1 (static shape {_fmt(t.shape)}); declare it, e.g. with "
                        "specify_shape"
                    )
        return tuple(out)

    def perform(self, node: Apply, inputs: Sequence[Any], output_storage: list[list[Any]]) -> None:
        core = self._node_core(node)
        arrays = [np.asarray(x) for x in inputs]
        batch = self._runtime_batch(node, arrays)
        nb = len(batch)
        destroyed = {i for ins in getattr(self.core_op, "destroy_map", {}).values() for i in ins}
        dtypes = [_ttype(o).numpy_dtype for o in node.outputs]
        results: list[np.ndarray | None] = [None] * len(node.outputs)
        if 0 in batch:
            shapes = self._empty_core_shapes(core, arrays)
            for k, (shp, dt) in enumerate(zip(shapes, dtypes)):
                output_storage[k][0] = np.empty(batch + shp, dtype=dt)
            return
        for idx in np.ndindex(*batch):
            core_in = []
            for i, (x, sig) in enumerate(zip(arrays, self.inputs_sig)):
                k = x.ndim - len(sig)
                sub = tuple(0 if n == 1 else j for n, j in zip(x.shape[:k], idx[nb - k :]))
                piece = x[(*sub, Ellipsis)]
                core_in.append(piece.copy() if i in destroyed else piece)
            storage: list[list[Any]] = [[None] for _ in core.outputs]
            self.core_op.perform(core, core_in, storage)
            for k, (st, dt) in enumerate(zip(storage, dtypes)):
                r = np.asarray(st[0])
                res = results[k]
                if res is None:
                    res = results[k] = np.empty(batch + r.shape, dtype=dt)
                elif res.shape[nb:] != r.shape:
                    raise ValueError(
                        f"{self}: output {k} of the core op has shape {r.shape} at batch index "
                        f"{idx} but {res.shape[nb:]} before; a batched output must have one "
                        "core shape"
                    )
                res[idx] = r
        for k, res in enumerate(results):
            output_storage[k][0] = res

    def _empty_core_shapes(
        self, core: Apply, arrays: Sequence[np.ndarray]
    ) -> list[tuple[int, ...]]:
        """Core output shapes for an empty batch, where the core op is never run."""
        sizes: dict[str, int] = {}
        core_shapes = []
        for x, sig in zip(arrays, self.inputs_sig):
            shp = x.shape[x.ndim - len(sig) :]
            core_shapes.append(tuple(int(s) for s in shp))
            sizes.update(zip(sig, shp))
        try:
            inferred = self.core_op.infer_shape(None, core, core_shapes)
        except Exception:  # any failure: fall back to the signature
            inferred = None
        out = []
        for k, (o, sig) in enumerate(zip(core.outputs, self.outputs_sig)):
            dims = []
            for d, name in enumerate(sig):
                s: Any = _ttype(o).shape[d]
                if s is None:
                    s = sizes.get(name)
                if s is None and inferred is not None:
                    e = inferred[k][d]
                    if isinstance(e, Constant):
                        e = e.data
                    if isinstance(e, int | np.integer) or (
                        isinstance(e, np.ndarray) and e.ndim == 0
                    ):
                        s = int(e)
                if s is None:
                    raise ValueError(
                        f"{self}: the batch is empty and the size of core dimension {name!r} "
                        f"of output {k} cannot be found without running the core op"
                    )
                dims.append(int(s))
            out.append(tuple(dims))
        return out

    def infer_shape(self, fgraph: Any, node: Apply, input_shapes: list[Any]) -> list[Any]:
        nb = self._batch_ndim(node.inputs)
        static_out = _ttype(node.outputs[0]).shape
        batch: list[Any] = []
        for d in range(nb):
            if static_out[d] is not None:
                batch.append(static_out[d])
                continue
            for v, shp, sig in zip(node.inputs, input_shapes, self.inputs_sig):
                t = _ttype(v)
                k = t.ndim - len(sig)
                j = d - (nb - k)
                if j >= 0 and t.shape[j] != 1:
                    batch.append(shp[j])
                    break
            else:
                batch.append(1)
        sizes: dict[str, Any] = {}
        core_shapes = []
        for v, shp, sig in zip(node.inputs, input_shapes, self.inputs_sig):
            k = _ttype(v).ndim - len(sig)
            core_shapes.append(tuple(shp[k:]))
            for name, s in zip(sig, shp[k:]):
                sizes.setdefault(name, s)
        core = self._node_core(node)
        inferred: list[Any] | None = None
        out = []
        for k, (o, sig) in enumerate(zip(node.outputs, self.outputs_sig)):
            ot = _ttype(o)
            dims: list[Any] = []
            for d, name in enumerate(sig):
                s = ot.shape[nb + d]
                if s is None:
                    s = sizes.get(name)
                if s is None:
                    if inferred is None:
                        inferred = self.core_op.infer_shape(fgraph, core, core_shapes)
                    s = inferred[k][d]
                    # An answer in terms of the core node's own inputs has no meaning here.
                    if isinstance(s, Variable) and any(
                        a in core.inputs or a in core.outputs for a in ancestors([s])
                    ):
                        raise MethodNotDefined(
                            f"{self}: the size of core dimension {name!r} of output {k} "
                            "depends on input values"
                        )
                dims.append(s)
            out.append((*batch, *dims))
        return out

    # -- gradients ---------------------------------------------------------

    def connection_pattern(self, node: Apply) -> list[list[bool]]:
        return self.core_op.connection_pattern(self._node_core(node))

    def L_op(
        self,
        inputs: Sequence[Variable],
        outputs: Sequence[Variable],
        output_grads: Sequence[Variable],
    ) -> list[Variable]:
        core = self._core_node(inputs)
        core_gz = []
        for g, sig in zip(output_grads, self.outputs_sig):
            t = _ttype(g)
            core_gz.append(TensorType(t.dtype, t.shape[t.ndim - len(sig) :])())
        core_grads = self.core_op.L_op(core.inputs, core.outputs, core_gz)
        replace: dict[Variable, Variable] = {}
        replace.update(zip(core.inputs, inputs))
        replace.update(zip(core.outputs, outputs))
        replace.update(zip(core_gz, output_grads))
        out: list[Variable] = []
        for x, g in zip(inputs, core_grads):
            if not isinstance(getattr(g, "type", None), TensorType):
                out.append(g)  # disconnected or undefined: nothing to batch
                continue
            gb = vectorize_graph(g, replace=replace)
            out.append(_fit_batched(gb, x))
        return out

    def __str__(self) -> str:
        if self.name:
            return self.name
        return f"Blockwise{{{self.core_op}, {self.signature}}}"


def _fit_batched(g: Variable, x: Variable) -> Variable:
    """``g`` summed over the batch dimensions ``x`` was broadcast along, and broadcast to ``x``."""
    gs: Any = sum_to_shape_of(g, x)
    gt, xt = _ttype(gs), _ttype(x)
    if any(sg == 1 and sx != 1 for sg, sx in zip(gt.shape, xt.shape)):
        from graft.tensor.math import second

        gs = second(x, gs)
        if gs.type.dtype != gt.dtype:
            from graft.tensor.basic import cast as tcast

            gs = tcast(gs, gt.dtype)
    return cast(Variable, gs)


# ---------------------------------------------------------------------------
# vectorize_graph and the per-Op rules
# ---------------------------------------------------------------------------

#: ``rule(op, node, *new_inputs) -> new outputs`` for nodes with at least one batched input.
VectorizeRule = Callable[..., Sequence[Variable]]
_RULES: dict[type, VectorizeRule] = {}


def register_vectorize_node(*op_classes: type) -> Callable[[VectorizeRule], VectorizeRule]:
    """Register how nodes of ``op_classes`` (and subclasses) are rebuilt for batched inputs.

    The rule gets ``(op, node, *new_inputs)``, where an input is batched
    when it has more dimensions than the node's input (extra leading
    dimensions), and returns the new outputs, each with the batch
    dimensions in front of the node's output dimensions.

    Example::

        @register_vectorize_node(MyOp)
        def _vectorize_my_op(op, node, x):
            return [MyOp(batched=True)(x)]
    """

    def deco(rule: VectorizeRule) -> VectorizeRule:
        for c in op_classes:
            _RULES[c] = rule
        return rule

    return deco


def _batch_of(old: Variable, new: Variable) -> int:
    if isinstance(old.type, TensorType) and isinstance(new.type, TensorType):
        return new.type.ndim - old.type.ndim
    return 0


def vectorize_node(node: Apply, *new_inputs: Variable) -> list[Variable]:
    """The outputs of ``node`` rebuilt on ``new_inputs`` (some with extra leading batch dims).

    Uses the rule registered for the node's Op class (see
    `register_vectorize_node`); Ops without one become a `Blockwise` of
    themselves (their ``gufunc_signature``, or one with every core dimension
    named apart).

    Example::

        x = gt.dvector("x"); xs = gt.dmatrix("xs")
        (ys,) = vectorize_node(gt.exp(x).owner, xs)
    """
    if len(new_inputs) != len(node.inputs):
        raise TypeError(
            f"vectorize_node: {node.op} has {len(node.inputs)} inputs, got {len(new_inputs)}"
        )
    for old, new in zip(node.inputs, new_inputs):
        if isinstance(old.type, TensorType):
            if not isinstance(new.type, TensorType) or new.type.ndim < old.type.ndim:
                raise TypeError(
                    f"vectorize_node: {new} ({new.type}) cannot replace {old} ({old.type}) of "
                    f"{node.op}: expected a tensor with at least {old.type.ndim} dimensions"
                )
            if new.type.dtype != old.type.dtype:
                raise TypeError(
                    f"vectorize_node: {new} has dtype {new.type.dtype}, but {old} of "
                    f"{node.op} has dtype {old.type.dtype}"
                )
        elif new is not old and new.type != old.type:
            raise TypeError(
                f"vectorize_node: {new} ({new.type}) cannot replace {old} ({old.type})"
            )
    if not any(_batch_of(o, n) for o, n in zip(node.inputs, new_inputs)):
        return list(node.op.make_node(*new_inputs).outputs)
    for cls in type(node.op).__mro__:
        rule = _RULES.get(cls)
        if rule is not None:
            return list(rule(node.op, node, *new_inputs))
    return _blockwise_fallback(node.op, node, *new_inputs)


def _blockwise_fallback(op: Op, node: Apply, *new_inputs: Variable) -> list[Variable]:
    for v in (*node.inputs, *node.outputs):
        if not isinstance(v.type, TensorType):
            raise NotImplementedError(
                f"vectorize: cannot batch {op}: its input or output {v} is not a tensor ({v.type})"
            )
    sig = getattr(op, "gufunc_signature", None) or _safe_signature(node)
    return list(Blockwise(op, sig)(*new_inputs, return_list=True))


def vectorize_graph(outputs: Any, replace: Mapping[Variable, Variable]) -> Any:
    """``outputs`` rebuilt for batched replacements of some of the variables they depend on.

    ``replace`` maps a variable of the graph to its batched version: a
    tensor of the same dtype with extra leading dimensions (the batch).
    Every node between them and ``outputs`` is rebuilt with `vectorize_node`;
    nodes that depend on no replaced variable are kept. Returns a variable or
    a list/tuple, like ``outputs``.

    Example::

        x = gt.dvector("x"); xs = gt.dmatrix("xs")
        y = gt.softmax(x) * x.sum()
        ys = vectorize_graph(y, replace={x: xs})   # row by row
    """
    single = isinstance(outputs, Variable)
    outs = [outputs] if single else list(outputs)
    memo: dict[Variable, Variable] = {}
    for old, new in replace.items():
        if not isinstance(old, Variable) or not isinstance(new, Variable):
            raise TypeError("vectorize_graph: replace must map Variables to Variables")
        if isinstance(old.type, TensorType):
            new = as_tensor_variable(new)
            if not isinstance(new.type, TensorType) or new.type.ndim < old.type.ndim:
                raise TypeError(
                    f"vectorize_graph: {new} ({new.type}) cannot replace {old} ({old.type}): "
                    f"expected at least {old.type.ndim} dimensions"
                )
            if new.type.dtype != old.type.dtype:
                from graft.tensor.basic import cast as tcast

                new = tcast(new, old.type.dtype)
        memo[old] = new
    for node in io_toposort(list(memo), outs):
        new_inputs = [memo.get(v, v) for v in node.inputs]
        if all(n is o for n, o in zip(new_inputs, node.inputs)):
            continue
        memo.update(zip(node.outputs, vectorize_node(node, *new_inputs)))
    res = [memo.get(o, o) for o in outs]
    if single:
        return res[0]
    return res if isinstance(outputs, list) else tuple(res)


def vectorize(fn_or_op: Any, signature: str | None = None) -> Any:
    """The batched version of a graph function or an Op (like ``numpy.vectorize``).

    For an Op: an `Elemwise` or a `Blockwise` already batches and is
    returned as it is; any other Op becomes ``Blockwise(op, signature)``.
    For a function of tensors: a function that calls it on core inputs
    (``signature`` gives their core dimensions; without one every core is
    0-d, i.e. elementwise) and batches the resulting graph with
    `vectorize_graph`.

    Example::

        def norm(v):
            return gt.sqrt((v ** 2).sum())

        batched_norm = vectorize(norm, "(n)->()")
        batched_norm(gt.dmatrix("m"))     # one norm per row
    """
    if isinstance(fn_or_op, Op):
        if isinstance(fn_or_op, Elemwise | Blockwise):
            return fn_or_op
        return Blockwise(fn_or_op, signature)
    if not callable(fn_or_op):
        raise TypeError(f"vectorize needs an Op or a callable, got {type(fn_or_op).__name__}")
    fn = fn_or_op
    sig = _parse_signature(signature) if signature is not None else None

    def batched(*inputs: Any) -> Any:
        ins = [as_tensor_variable(x) for x in inputs]
        in_sig = sig[0] if sig is not None else ((),) * len(ins)
        if len(in_sig) != len(ins):
            raise TypeError(
                f"vectorize: signature {signature} has {len(in_sig)} inputs, got {len(ins)}"
            )
        core_ins = []
        for i, (v, s) in enumerate(zip(ins, in_sig)):
            t = _ttype(v)
            if t.ndim < len(s):
                raise TypeError(
                    f"vectorize: input {i} ({v}) has {t.ndim} dimensions, the signature "
                    f"{signature} gives it {len(s)} core dimensions"
                )
            core_ins.append(TensorType(t.dtype, t.shape[t.ndim - len(s) :])())
        core_outs = fn(*core_ins)
        single = isinstance(core_outs, Variable)
        outs = [core_outs] if single else list(core_outs)
        if sig is not None:
            if len(outs) != len(sig[1]):
                raise ValueError(
                    f"vectorize: the function returned {len(outs)} outputs, the signature "
                    f"{signature} names {len(sig[1])}"
                )
            for k, (o, s) in enumerate(zip(outs, sig[1])):
                if _ttype(o).ndim != len(s):
                    raise ValueError(
                        f"vectorize: output {k} has {_ttype(o).ndim} dimensions, the "
                        f"signature {signature} gives it {len(s)}"
                    )
        res = vectorize_graph(outs, replace=dict(zip(core_ins, ins)))
        return res[0] if single else res

    return batched


# -- rules -----------------------------------------------------------------


def _pad_batch(v: Variable, b: int, core_nd: int) -> Variable:
    """``v`` (``core_nd`` core dims after its own batch dims) with ``b`` batch dims."""
    return pad_left(v, b + core_nd)


@register_vectorize_node(Elemwise)
def _vectorize_elemwise(op: Elemwise, node: Apply, *ins: Variable) -> list[Variable]:
    # Every input of an Elemwise node has the output's rank: left padding aligns the batch.
    if op.inplace_pattern:
        op = Elemwise(op.scalar_op)
    return list(op(*ins, return_list=True))


@register_vectorize_node(DimShuffle)
def _vectorize_dimshuffle(op: DimShuffle, node: Apply, x: Variable) -> list[Variable]:
    b = _batch_of(node.inputs[0], x)
    order = [*range(b), *(o if o == "x" else int(o) + b for o in op.new_order)]
    return [DimShuffle(op.input_ndim + b, order)(x)]


@register_vectorize_node(CAReduce)
def _vectorize_careduce(op: CAReduce, node: Apply, x: Variable) -> list[Variable]:
    if type(op) is not CAReduce:
        return _blockwise_fallback(op, node, x)
    b = _batch_of(node.inputs[0], x)
    nd = _ttype(node.inputs[0]).ndim
    axis = range(nd) if op.axis is None else op.axis
    return [CAReduce(op.scalar_op, tuple(a + b for a in axis), op.dtype)(x)]


@register_vectorize_node(Blockwise)
def _vectorize_blockwise(op: Blockwise, node: Apply, *ins: Variable) -> list[Variable]:
    return list(op(*ins, return_list=True))


def _register_tensor_rules() -> None:
    # Imported here: these modules import graft.tensor.elemwise, as this one does.
    from graft.tensor import basic, math, subtensor
    from graft.tensor.shape import Reshape, Shape, Shape_i, SpecifyShape, reshape, shape_i
    from graft.tensor.shape import shape as shape_of
    from graft.tensor.subtensor_index import FULL

    @register_vectorize_node(Shape)
    def _shape(op: Op, node: Apply, x: Variable) -> list[Variable]:
        b = _batch_of(node.inputs[0], x)
        return [cast(Any, shape_of(x))[b:]]

    @register_vectorize_node(Shape_i)
    def _shape_i(op: Any, node: Apply, x: Variable) -> list[Variable]:
        return [Shape_i(op.i + _batch_of(node.inputs[0], x))(x)]

    @register_vectorize_node(SpecifyShape)
    def _specify_shape(op: Any, node: Apply, x: Variable) -> list[Variable]:
        b = _batch_of(node.inputs[0], x)
        return [SpecifyShape((None,) * b + op.shape)(x)]

    @register_vectorize_node(Reshape)
    def _reshape(op: Any, node: Apply, x: Variable, shp: Variable) -> list[Variable]:
        if _batch_of(node.inputs[1], shp):
            return _blockwise_fallback(op, node, x, shp)
        b = _batch_of(node.inputs[0], x)
        sv: Any = shp
        entries = [shape_i(x, d) for d in range(b)] + [sv[k] for k in range(op.ndim)]
        return [reshape(x, entries)]

    @register_vectorize_node(basic.Alloc)
    def _alloc(op: Op, node: Apply, value: Variable, *shp: Variable) -> list[Variable]:
        if any(_batch_of(o, n) for o, n in zip(node.inputs[1:], shp)):
            return _blockwise_fallback(op, node, value, *shp)
        b = _batch_of(node.inputs[0], value)
        vnd = _ttype(node.inputs[0]).ndim
        order = [*range(b), *(["x"] * (len(shp) - vnd)), *range(b, b + vnd)]
        v = DimShuffle(b + vnd, order)(value)
        sizes = [shape_i(value, d) for d in range(b)]
        return [basic.alloc(v, *sizes, *shp)]

    @register_vectorize_node(subtensor.Subtensor)
    def _subtensor(op: Any, node: Apply, x: Variable, *idx: Variable) -> list[Variable]:
        if any(_batch_of(o, n) for o, n in zip(node.inputs[1:], idx)):
            return _blockwise_fallback(op, node, x, *idx)
        b = _batch_of(node.inputs[0], x)
        return [subtensor.Subtensor((FULL,) * b + tuple(op.idx_list))(x, *idx)]

    @register_vectorize_node(math.MatMul)
    def _matmul(op: Op, node: Apply, x: Variable, y: Variable) -> list[Variable]:
        return [op(x, y)]

    @register_vectorize_node(math.Dot)
    def _dot(op: Op, node: Apply, x: Variable, y: Variable) -> list[Variable]:
        xn, yn = _ttype(node.inputs[0]).ndim, _ttype(node.inputs[1]).ndim
        bx, by = _batch_of(node.inputs[0], x), _batch_of(node.inputs[1], y)
        xv: Any = x
        yv: Any = y
        # Vectors become matrices, so that matmul's batch broadcasting applies.
        if xn == 1:
            xv = DimShuffle(bx + 1, [*range(bx), "x", bx])(xv)
        if yn == 1:
            yv = DimShuffle(by + 1, [*range(by), by, "x"])(yv)
        b = max(bx, by)
        out: Any = math.MatMul()(_pad_batch(xv, b, 2), _pad_batch(yv, b, 2))
        keep: list[int] = list(range(b))
        if xn == 2:
            keep.append(b)
        if yn == 2:
            keep.append(b + 1)
        if len(keep) != b + 2:
            out = DimShuffle(b + 2, keep)(out)
        return [out]


_register_tensor_rules()
