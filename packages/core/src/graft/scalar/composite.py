"""`Composite`: a scalar op whose implementation is a graph of other scalar ops.

Elemwise fusion replaces a tree of ``Elemwise`` nodes by one
``Elemwise(Composite(...))``: the Composite holds the scalar graph of the
fused nodes, so the whole tree runs as one node. The reference backend
evaluates it with `Composite.ufunc` (each inner op's ``ufunc`` over whole
arrays, reusing dead temporaries); compiling backends read ``op.inputs``,
``op.outputs`` or ``op.fgraph`` and generate one loop for the whole graph.

Example::

    from graft.scalar import Composite, float64, add, mul, exp
    import numpy as np

    x, y, z = float64("x"), float64("y"), float64("z")
    c = Composite([x, y, z], [add(mul(x, y), exp(z))])
    str(c)                                   # 'Composite{add(mul(i0, i1), exp(i2))}'
    c.ufunc(np.ones(3), np.full(3, 2.0), np.zeros(3))   # array([3., 3., 3.])
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from graft.graph.basic import Constant, Variable, clone_get_equiv, graph_inputs, io_toposort
from graft.scalar.basic import (
    FloatUfunc,
    ScalarOp,
    VariadicUfunc,
    _dtype,
    _finish_grad,
    _grad_float_dtype,
    probe_output_dtypes,
)
from graft.scalar.type import ScalarConstant, ScalarType, get_scalar_type

if TYPE_CHECKING:
    from graft.graph.fg import FunctionGraph

__all__ = ["Composite"]

#: Longest ``str(Composite)`` body before it is cut with "...".
STR_MAX = 120


def _check_graph(inputs: Sequence[Variable], outputs: Sequence[Variable]) -> None:
    for i, v in enumerate(inputs):
        if not isinstance(v, Variable) or not isinstance(v.type, ScalarType):
            raise TypeError(f"Composite input {i} ({v!r}) is not a scalar variable")
        if v.owner is not None or isinstance(v, Constant):
            raise ValueError(
                f"Composite input {i} ({v}) must be an owner-less, non-constant input"
            )
    if len(set(inputs)) != len(inputs):
        raise ValueError("Composite inputs must be distinct variables")
    if not outputs:
        raise ValueError("Composite needs at least one output")
    for j, v in enumerate(outputs):
        if not isinstance(v, Variable) or not isinstance(v.type, ScalarType):
            raise TypeError(f"Composite output {j} ({v!r}) is not a scalar variable")
    known = set(inputs)
    for v in graph_inputs(outputs):
        if v not in known and not isinstance(v, Constant):
            raise ValueError(f"Composite output depends on {v}, which is not one of its inputs")
    for node in io_toposort(inputs, outputs):
        if not isinstance(node.op, ScalarOp):
            raise TypeError(f"Composite inner node {node} does not apply a ScalarOp")


def _const_key(c: Constant) -> Any:
    if isinstance(c, ScalarConstant):
        return ("c", c.signature())
    return ("c", c.type, repr(c.data))


def _const_value(c: Constant) -> Any:
    """The constant as a NumPy scalar of its dtype (strongly typed, as in the tensor graph)."""
    dtype = c.type.numpy_dtype  # type: ignore[attr-defined]
    data = c.data
    if isinstance(data, np.generic) and data.dtype == dtype:
        return data
    return np.asarray(data, dtype=dtype)[()]


def _fmt_const(c: Constant) -> str:
    s = str(_const_value(c))
    return s if len(s) <= 12 else s[:11] + "~"


# ---------------------------------------------------------------------------
# The vectorised evaluator
# ---------------------------------------------------------------------------

#: Callables that allocate a fresh result and accept ``out=`` aliasing one of
#: their inputs exactly (NumPy ufuncs do): only their steps reuse temporaries.
_REUSE_OK: tuple[type, ...] = (np.ufunc, VariadicUfunc)


class _Step:
    """One inner node: ``vals[outs] = fn(*vals[args])``."""

    __slots__ = ("args", "cast", "dtypes", "fn", "outs", "release", "reuse")

    def __init__(
        self,
        fn: Callable[..., Any],
        args: tuple[int, ...],
        outs: tuple[int, ...],
        dtypes: tuple[np.dtype, ...],
        cast: bool,
    ) -> None:
        self.fn, self.args, self.outs, self.dtypes = fn, args, outs, dtypes
        # The op's ufunc may return another dtype than its node declares;
        # Elemwise casts each node's result, so the steps must too.
        self.cast = cast
        # ``out=`` may be a dead temporary of the same shape and dtype.
        # A FloatUfunc only converts integer inputs to new arrays: it allocates
        # and aliases as the ufunc it wraps.
        inner = fn.fn if isinstance(fn, FloatUfunc) else fn
        self.reuse = not cast and len(outs) == 1 and isinstance(inner, _REUSE_OK)
        # Temporaries whose last reader is this step.
        self.release: tuple[int, ...] = ()


class _Program:
    """A flat schedule of an inner graph (for one tuple of input dtypes).

    Slots hold the inputs, then the constants, then every node output.
    """

    def __init__(self, inputs: Sequence[Variable], outputs: Sequence[Variable]) -> None:
        slot: dict[Variable, int] = {v: k for k, v in enumerate(inputs)}
        consts: list[Any] = []
        nodes = io_toposort(inputs, outputs)
        for v in [*(v for n in nodes for v in n.inputs), *outputs]:
            if v not in slot and isinstance(v, Constant):
                slot[v] = len(slot)
                consts.append(_const_value(v))
        self.consts = consts
        self.n_fixed = len(slot)
        steps: list[_Step] = []
        for node in nodes:
            for o in node.outputs:
                slot[o] = len(slot)
            op = node.op
            assert isinstance(op, ScalarOp)
            dtypes = tuple(o.type.numpy_dtype for o in node.outputs)  # type: ignore[attr-defined]
            try:
                natural = probe_output_dtypes(op, [_dtype(v) for v in node.inputs])
                cast = natural != tuple(d.name for d in dtypes)
            except TypeError:
                cast = True
            args = tuple(slot[v] for v in node.inputs)
            outs = tuple(slot[o] for o in node.outputs)
            steps.append(_Step(op.ufunc, args, outs, dtypes, cast))
        self.n_slots = len(slot)
        self.outputs = tuple(slot[v] for v in outputs)
        self.out_dtypes = tuple(v.type.numpy_dtype for v in outputs)  # type: ignore[attr-defined]
        last: dict[int, int] = {}
        for k, st in enumerate(steps):
            for a in st.args:
                if a >= self.n_fixed:
                    last[a] = k
        keep = set(self.outputs)
        rel: dict[int, list[int]] = {}
        for s, k in last.items():
            if s not in keep:
                rel.setdefault(k, []).append(s)
        for k, st in enumerate(steps):
            st.release = tuple(rel.get(k, ()))
        self.steps = steps
        self.flat = [
            (st.fn, st.args, st.outs, st.dtypes, st.cast, st.reuse, st.release) for st in steps
        ]
        # The last step may write straight into a caller's ``out=`` when it
        # makes the only output: nothing reads that buffer afterwards.
        self.direct_out = (
            len(outputs) == 1
            and bool(steps)
            and steps[-1].outs == (self.outputs[0],)
            and steps[-1].reuse
        )

    def run(self, args: Sequence[Any], out: np.ndarray | None = None) -> list[Any]:
        """Evaluate; ``out`` (only with ``direct_out``) may receive the last step's result."""
        shape = _bshape(args)
        vals: list[Any] = [*args, *self.consts]
        vals.extend([None] * (self.n_slots - len(vals)))
        # owned[s]: vals[s] is a temporary this call allocated, big enough to reuse.
        owned = [False] * self.n_slots
        pool: dict[tuple[Any, ...], list[np.ndarray]] = {}
        last = len(self.flat) - 1
        for k, (fn, sargs, outs, dtypes, cast, reuse, release) in enumerate(self.flat):
            a = [vals[s] for s in sargs]
            if reuse:
                # Dead temporaries of this very step may serve as its ``out``:
                # a ufunc handles an output that exactly aliases an input.
                for s in release:
                    if owned[s]:
                        v = vals[s]
                        pool.setdefault((v.shape, v.dtype), []).append(v)
                        owned[s] = False
                    vals[s] = None
                buf = None
                if k == last and out is not None:
                    if out.shape == shape and out.dtype == dtypes[0] and _bshape(a) == shape:
                        buf = out
                elif pool:
                    lst = pool.get((_bshape(a), dtypes[0]))
                    if lst:
                        buf = lst.pop()
                if buf is None:
                    r = fn(*a)
                    owned[outs[0]] = (
                        type(r) is np.ndarray and r.size >= _MIN_REUSE and r.base is None
                    )
                else:
                    r = fn(*a, out=buf)
                    owned[outs[0]] = buf is not out
                vals[outs[0]] = r
                continue
            res = fn(*a)
            for o, r, dt in zip(outs, (res,) if len(outs) == 1 else res, dtypes):
                if cast and (not isinstance(r, np.ndarray | np.generic) or r.dtype != dt):
                    r = np.asarray(r, dtype=dt)
                    if r.ndim == 0:
                        r = r[()]
                vals[o] = r
            for s in release:
                if owned[s]:
                    v = vals[s]
                    pool.setdefault((v.shape, v.dtype), []).append(v)
                    owned[s] = False
                vals[s] = None  # free what nothing reads any more
        res_list: list[Any] = []
        seen: set[int] = set()
        for s, dt in zip(self.outputs, self.out_dtypes):
            r = vals[s]
            if (
                s < self.n_fixed
                or s in seen
                or not isinstance(r, np.ndarray | np.generic)
                or r.dtype != dt
                or r.shape != shape
            ):
                # An input, a constant, a repeated output or a partial shape:
                # a new array of the full broadcast shape (outputs never alias).
                r = np.array(np.broadcast_to(np.asarray(r, dtype=dt), shape))
                if r.ndim == 0:
                    r = r[()]
            seen.add(s)
            res_list.append(r)
        return res_list


#: Temporaries smaller than this (elements) are not reused: allocating them is
#: cheaper than tracking them.
_MIN_REUSE = 4096


def _bshape(arrays: Sequence[Any]) -> tuple[int, ...]:
    """The broadcast shape of ``arrays`` (NumPy scalars are 0-d)."""
    first: tuple[int, ...] = ()
    for a in arrays:
        s = a.shape
        if s and s != first:
            if first:
                return tuple(np.broadcast_shapes(*(b.shape for b in arrays)))
            first = s
    return first


class _CompositeUfunc:
    """``Composite.ufunc``: evaluates the inner graph over arrays, like a NumPy ufunc.

    Every output has the broadcast shape of all inputs; several outputs are
    returned as a tuple; ``out=`` (an array, or a tuple of arrays) receives
    the result.
    """

    def __init__(self, op: Composite) -> None:
        self.op = op
        self.nin, self.nout = op.nin, op.nout
        self.__name__ = "composite"
        self._programs: dict[tuple[np.dtype, ...], _Program] = {}

    def program(self, dtypes: tuple[np.dtype, ...]) -> _Program:
        prog = self._programs.get(dtypes)
        if prog is None:
            ins, outs = self.op._retyped([d.name for d in dtypes])
            prog = self._programs[dtypes] = _Program(ins, outs)
        return prog

    def __call__(self, *args: Any, out: Any = None) -> Any:
        if len(args) != self.nin:
            raise TypeError(f"{self.op} takes {self.nin} inputs, got {len(args)}")
        arrs = [a if isinstance(a, np.ndarray | np.generic) else np.asarray(a) for a in args]
        prog = self.program(tuple(a.dtype for a in arrs))
        if out is not None and not isinstance(out, tuple):
            out = (out,)
        direct = out[0] if out is not None and prog.direct_out else None
        res = prog.run(arrs, direct)
        if out is None:
            return res[0] if len(res) == 1 else tuple(res)
        for o, r in zip(out, res):
            if r is not o:
                np.copyto(o, r, casting="unsafe")
        return out[0] if len(out) == 1 else out

    def __repr__(self) -> str:
        return f"<composite ufunc of {self.op}>"


# ---------------------------------------------------------------------------
# Composite
# ---------------------------------------------------------------------------


class Composite(ScalarOp):
    """A `ScalarOp` defined by an inner graph of scalar ops from ``inputs`` to ``outputs``.

    The graph is cloned, so the op owns it (``clone=False`` adopts it as it
    is, for a graph built only for this op): ``op.inputs``, ``op.outputs`` and
    ``op.fgraph``, a `FunctionGraph` over them built on first use, are to be
    read and not changed. Composites with structurally equal inner graphs
    (same ops, same wiring, same constants, same input dtypes) are equal and
    hash alike, so `MergeOptimizer` merges equal fused nodes. ``nin`` and
    ``nout`` come from the graph; output types are those of the inner
    outputs, re-derived when the op is applied to other input dtypes. The
    gradient differentiates the inner graph with the inner ops' ``L_op``.

    Example::

        x, y = float32("x"), float32("y")
        e = exp(x)
        c = Composite([x, y], [e, add(e, y)])    # two outputs
        c.nout                                   # 2
        str(c)                                   # 'Composite{exp(i0), add(o0, i1)}'
        gt_op = Elemwise(c)                      # fused elementwise over tensors
    """

    __props__: ClassVar[tuple[str, ...]] = ("graph_key",)
    grad_complex_ok: ClassVar[bool] = True

    def __init__(
        self, inputs: Sequence[Variable], outputs: Sequence[Variable], *, clone: bool = True
    ) -> None:
        inputs, outputs = list(inputs), list(outputs)
        _check_graph(inputs, outputs)
        if clone:
            equiv = clone_get_equiv(inputs, outputs, copy_inputs=True, copy_orphans=True)
            inputs, outputs = [equiv[v] for v in inputs], [equiv[v] for v in outputs]
        self.inputs: list[Variable] = inputs
        self.outputs: list[Variable] = outputs
        self.nin = len(self.inputs)  # type: ignore[misc]
        self.nout = len(self.outputs)  # type: ignore[misc]
        self.name = "Composite"
        self._in_dtypes = tuple(_dtype(v) for v in self.inputs)
        self._out_types = [v.type for v in self.outputs]
        self._typed: dict[tuple[str, ...], tuple[list[Variable], list[Variable]]] = {}
        self._fgraph: FunctionGraph | None = None
        self._ufunc: _CompositeUfunc | None = None
        self._pattern: list[list[bool]] | None = None
        self.graph_key, self._text = self._describe()

    # -- identity and printing ---------------------------------------------

    def _describe(self) -> tuple[tuple[Any, ...], str]:
        """A hashable key equal for equal graphs, and the printed form of the graph.

        Inputs print as ``i0, i1, ...``; a value used more than once prints
        once and is then named: ``o<j>`` for output j, ``t<k>`` for a shared
        intermediate (defined in front: ``t0=mul(i0, i1); add(t0, exp(t0))``).
        """
        nodes = io_toposort(self.inputs, self.outputs)
        uses: dict[Variable, int] = {}
        for v in [*(v for n in nodes for v in n.inputs), *self.outputs]:
            uses[v] = uses.get(v, 0) + 1
        out_index: dict[Variable, int] = {}
        for j, v in enumerate(self.outputs):
            out_index.setdefault(v, j)
        ref: dict[Variable, Any] = {v: k for k, v in enumerate(self.inputs)}
        short: dict[Variable, str] = {v: f"i{k}" for k, v in enumerate(self.inputs)}
        full: dict[Variable, str] = {}
        temps: list[str] = []

        def leaf(v: Variable) -> tuple[Any, str]:
            if v in ref:
                return ref[v], short[v]
            assert isinstance(v, Constant)
            return _const_key(v), _fmt_const(v)

        key_nodes: list[Any] = []
        for node in nodes:
            args = [leaf(v) for v in node.inputs]
            key_nodes.append((node.op, tuple(a[0] for a in args)))
            call = f"{node.op}({', '.join(a[1] for a in args)})"
            if len(call) > STR_MAX:
                call = call[:STR_MAX] + "..."  # only the start is ever shown
            for k, o in enumerate(node.outputs):
                ref[o] = len(ref)
                s = call if len(node.outputs) == 1 else f"{call}[{k}]"
                if uses.get(o, 0) <= 1:
                    short[o] = s
                elif o in out_index:
                    full[o], short[o] = s, f"o{out_index[o]}"
                else:
                    short[o] = f"t{len(temps)}"
                    temps.append(f"{short[o]}={s}")
        outs = []
        for j, v in enumerate(self.outputs):
            outs.append(full[v] if v in full and out_index[v] == j else leaf(v)[1])
        body = "; ".join([*temps, ", ".join(outs)])
        key = (self._in_dtypes, tuple(key_nodes), tuple(leaf(v)[0] for v in self.outputs))
        return key, body

    def __str__(self) -> str:
        body = self._text
        if len(body) > STR_MAX:
            body = body[: STR_MAX - 3] + "..."
        return f"Composite{{{body}}}"

    def __reduce__(self) -> Any:
        # Rebuilt from the inner graph: the cached evaluators hold closures.
        return (Composite, (self.inputs, self.outputs))

    # -- graph views ---------------------------------------------------------

    @property
    def fgraph(self) -> FunctionGraph:
        """A `FunctionGraph` over ``op.inputs``/``op.outputs`` (not a copy: do not modify it)."""
        if self._fgraph is None:
            from graft.graph.fg import FunctionGraph

            self._fgraph = FunctionGraph(self.inputs, self.outputs, clone=False)
        return self._fgraph

    def _retyped(self, dtypes: Sequence[str]) -> tuple[list[Variable], list[Variable]]:
        """The inner graph rebuilt on inputs of ``dtypes`` (the op's own graph if they match)."""
        key = tuple(dtypes)
        if key == self._in_dtypes:
            return self.inputs, self.outputs
        got = self._typed.get(key)
        if got is None:
            new_ins: list[Variable] = [get_scalar_type(d)() for d in key]
            memo: dict[Any, Any] = dict(zip(self.inputs, new_ins))
            try:
                equiv = clone_get_equiv(
                    self.inputs, self.outputs, copy_inputs=False, copy_orphans=False, memo=memo
                )
            except TypeError as e:
                raise TypeError(f"{self} is not defined for inputs of dtype {key}: {e}") from None
            got = self._typed[key] = (new_ins, [equiv[v] for v in self.outputs])
        return got

    # -- ScalarOp interface -------------------------------------------------------

    @property
    def ufunc(self) -> Callable[..., Any]:
        """Evaluates the inner graph over arrays (see `_CompositeUfunc`); cached on the op."""
        if self._ufunc is None:
            self._ufunc = _CompositeUfunc(self)
        return self._ufunc

    def make_ufunc(self) -> Callable[..., Any]:
        return _CompositeUfunc(self)

    def output_types(self, input_types: Sequence[ScalarType]) -> list[ScalarType]:
        if len(input_types) != self.nin:
            raise TypeError(f"{self} takes {self.nin} inputs, got {len(input_types)}")
        dtypes = tuple(t.dtype for t in input_types)
        if dtypes == self._in_dtypes:
            return list(self._out_types)  # type: ignore[arg-type]
        _, outs = self._retyped(dtypes)
        return [v.type for v in outs]  # type: ignore[misc]

    def connection_pattern(self, node: Any) -> list[list[bool]]:
        """``pattern[i][j]``: whether inner output j depends on input i."""
        if self._pattern is None:
            deps: dict[Variable, int] = {v: 1 << k for k, v in enumerate(self.inputs)}
            for n in io_toposort(self.inputs, self.outputs):
                m = 0
                for v in n.inputs:
                    m |= deps.get(v, 0)
                for o in n.outputs:
                    deps[o] = m
            masks = [deps.get(o, 0) for o in self.outputs]
            self._pattern = [[bool(m >> i & 1) for m in masks] for i in range(self.nin)]
        return [list(row) for row in self._pattern]

    def L_op(
        self,
        inputs: Sequence[Variable],
        outputs: Sequence[Variable],
        output_grads: Sequence[Variable],
    ) -> list[Variable]:
        """Reverse-mode through the inner graph, rebuilt on ``inputs``."""
        from graft.scalar.basic import add

        memo: dict[Any, Any] = dict(zip(self.inputs, inputs))
        equiv = clone_get_equiv(
            self.inputs, self.outputs, copy_inputs=False, copy_orphans=False, memo=memo
        )
        inner_outs = [equiv[v] for v in self.outputs]
        # Where a node makes an op output, let its L_op use the real output.
        real: dict[Variable, Variable] = {}
        for o, r in zip(inner_outs, outputs):
            if o.owner is not None and o.type == r.type:
                real.setdefault(o, r)
        terms: dict[Variable, list[Variable]] = {}
        for o, g in zip(inner_outs, output_grads):
            terms.setdefault(o, []).append(g)
        nodes = io_toposort(list(inputs), inner_outs)
        for node in reversed(nodes):
            gz: list[Variable | None] = []
            for o in node.outputs:
                ts = terms.pop(o, None)
                gz.append(None if not ts else _sum(ts, add))
            if all(g is None for g in gz):
                continue
            call_gz = [g if g is not None else _zero_of(o) for g, o in zip(gz, node.outputs)]
            outs = [real.get(o, o) for o in node.outputs]
            igs = node.op.L_op(node.inputs, outs, call_gz)
            for v, g in zip(node.inputs, igs):
                if isinstance(v, Constant) or g is None:
                    continue
                terms.setdefault(v, []).append(g)
        fdtype = _grad_float_dtype([_dtype(o) for o in outputs])
        res: list[Variable] = []
        for x in inputs:
            ts = terms.get(x)
            res.append(_finish_grad(x, _sum(ts, add) if ts else None, fdtype))
        return res


def _sum(terms: list[Variable], add: Any) -> Variable:
    for t in terms:
        if not isinstance(t.type, ScalarType):  # e.g. an undefined (NullType) gradient
            return t
    return terms[0] if len(terms) == 1 else add(*terms)


def _zero_of(v: Variable) -> Variable:
    from graft.scalar.type import constant

    return constant(0, _dtype(v))
