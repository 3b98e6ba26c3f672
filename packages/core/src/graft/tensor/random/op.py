"""`RandomVariable`: the Op family of random draws (rng, size, *params) -> (next_rng, draw).

A node reads an rng (a ``numpy.random.Generator``), a ``size`` (an int64
vector: the batch shape of the draw, empty for "the broadcast shape of the
parameters") and the distribution's parameters; it returns the advanced rng
and the draw. ``perform`` copies the rng first unless the Op is ``inplace``,
so a graph never advances a Generator it was given: the advanced rng is a
new value, which a shared rng's ``default_update`` stores.

A distribution is a subclass that sets ``name``, ``ndim_supp`` (0 for scalar
draws, 1 for vector-valued ones), ``ndims_params`` (the core rank of each
parameter), ``dtype`` ("floatX" or a fixed dtype), ``param_names`` (for
error messages) and, when its draw is not ``getattr(rng, name)(*params,
size=size)``, ``rng_fn``. Parameters broadcast like graft's Elemwise: only
dimensions of static size 1 broadcast.

Draws have no gradient: `graft.grad` through one raises `NullTypeGradError`
naming the distribution (each input's gradient is ``grad_undefined``).
Nodes are never constant-folded (that would freeze one draw into the graph);
two nodes merge only when they read the same rng, size and parameters, which
give the same draw.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np

from graft.graph.basic import Apply, Constant, Variable
from graft.graph.op import Op
from graft.graph.utils import user_frame
from graft.tensor.basic import as_tensor_variable, constant
from graft.tensor.random.type import (
    RandomGeneratorSharedVariable,
    RandomGeneratorType,
    copy_generator,
    random_generator_type,
)
from graft.tensor.type import TensorType, _norm_dtype

__all__ = ["RandomVariable", "default_rng_variable"]

_INT_DTYPES = frozenset(["int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64"])


def default_rng_variable() -> RandomGeneratorSharedVariable:
    """A new shared rng seeded from the OS (what a draw without ``rng=`` reads)."""
    from graft.graph.sharedvalue import shared

    rng = shared(np.random.default_rng(), borrow=True)
    assert isinstance(rng, RandomGeneratorSharedVariable)
    return rng


class RandomVariable(Op):
    """A random draw; subclasses are the distributions (see the module docstring).

    ``__call__(*params, size=None, rng=None, dtype=None, name=None)`` builds a
    node and returns the draw; ``draw.owner.outputs[0]`` is the advanced rng.
    Without ``rng`` a new shared rng is made; a shared rng with no
    ``default_update`` gets the advanced rng as its default update, so a
    compiled function draws afresh on every call.

    Example::

        class NormalRV(RandomVariable):
            name = "normal"
            ndim_supp = 0
            ndims_params = (0, 0)
            dtype = "floatX"
            param_names = ("mu", "sigma")

        normal = NormalRV()
        x = normal(0.0, 1.0, size=(3,))          # a float vector of 3 draws
        next_rng, x = x.owner.outputs
    """

    __props__: ClassVar[tuple[str, ...]] = (
        "name",
        "ndim_supp",
        "ndims_params",
        "dtype",
        "inplace",
    )
    default_output: ClassVar[int | None] = 1

    name: str = "random_variable"
    ndim_supp: int = 0
    ndims_params: tuple[int, ...] = ()
    dtype: str = "floatX"
    param_names: tuple[str, ...] = ()
    #: Parameters that must be integers (NumPy refuses to cast floats there).
    integer_params: tuple[int, ...] = ()
    #: For ``ndim_supp == 1``: (parameter index, axis) whose size is the support size.
    supp_shape_param: tuple[int, int] = (0, -1)

    def __init__(
        self,
        name: str | None = None,
        ndim_supp: int | None = None,
        ndims_params: Sequence[int] | None = None,
        dtype: str | None = None,
        inplace: bool = False,
    ) -> None:
        self.name = name if name is not None else type(self).name
        self.ndim_supp = int(ndim_supp if ndim_supp is not None else type(self).ndim_supp)
        self.ndims_params = tuple(
            int(n) for n in (ndims_params if ndims_params is not None else type(self).ndims_params)
        )
        d = dtype if dtype is not None else type(self).dtype
        self.dtype = "floatX" if d == "floatX" else _norm_dtype(d)
        self.inplace = bool(inplace)
        if self.inplace:
            self.destroy_map = {0: [0]}
        if self.ndim_supp not in (0, 1):
            raise ValueError(f"{self.name}: ndim_supp must be 0 or 1, got {self.ndim_supp}")

    # -- building ----------------------------------------------------------

    def _params_label(self) -> str:
        names = self.param_names or tuple(f"param{i}" for i in range(len(self.ndims_params)))
        return ", ".join(names)

    def _param_name(self, i: int) -> str:
        return self.param_names[i] if i < len(self.param_names) else f"parameter {i}"

    def out_dtype(self) -> str:
        """The dtype of the draw (``floatX`` resolved now)."""
        return _norm_dtype(self.dtype)

    def _check_params(self, params: Sequence[Any]) -> list[Variable]:
        n = len(self.ndims_params)
        if len(params) != n:
            raise TypeError(
                f"{self.name}: expected {n} parameter{'s' if n != 1 else ''} "
                f"({self._params_label()}), got {len(params)}"
            )
        out: list[Variable] = []
        for i, (p, nd) in enumerate(zip(params, self.ndims_params)):
            what = f"{self.name}: parameter {self._param_name(i)!r}"
            try:
                v = as_tensor_variable(p)
            except (TypeError, ValueError) as e:
                raise TypeError(f"{what} must be a numeric tensor, got {p!r}: {e}") from None
            vt: Any = v.type
            if not isinstance(vt, TensorType):
                raise TypeError(f"{what} must be a tensor, got {v} of type {v.type}")
            if np.dtype(vt.dtype).kind not in "biuf":
                raise TypeError(
                    f"{what} must have a real numeric dtype (bool, int or float), got {vt.dtype}"
                )
            if i in self.integer_params and (
                np.dtype(vt.dtype).kind not in "biu" or vt.dtype == "uint64"
            ):
                raise TypeError(
                    f"{what} must have an integer dtype (int64 at most), got {vt.dtype}"
                )
            if vt.ndim < nd:
                raise ValueError(
                    f"{what} must have at least {nd} dimension{'s' if nd != 1 else ''}, "
                    f"got {vt.ndim} ({v.type})"
                )
            out.append(v)
        return out

    def _check_size(self, size: Any) -> Variable:
        what = f"{self.name}: size"
        if size is None:
            return constant(np.zeros(0, dtype="int64"))
        if isinstance(size, int | np.integer) and not isinstance(size, bool):
            size = (size,)
        if isinstance(size, list | tuple):
            for s in size:
                if isinstance(s, bool) or (
                    not isinstance(s, Variable) and not isinstance(s, int | np.integer)
                ):
                    raise TypeError(f"{what} must be a sequence of integers, got {size!r}")
                if isinstance(s, int | np.integer) and s < 0:
                    raise ValueError(f"{what} entries must be >= 0, got {tuple(size)!r}")
            if not any(isinstance(s, Variable) for s in size):
                return constant(np.asarray(size, dtype="int64").reshape(len(size)))
        try:
            v = as_tensor_variable(size)
        except (TypeError, ValueError) as e:
            raise TypeError(f"{what} must be integers, got {size!r}: {e}") from None
        vt: Any = v.type
        if vt.dtype not in _INT_DTYPES:
            raise TypeError(f"{what} must have an integer dtype, got {vt.dtype} ({size!r})")
        if vt.ndim == 0:
            from graft.tensor.basic import expand_dims

            v = expand_dims(v, 0)
        elif vt.ndim != 1:
            raise ValueError(f"{what} must be a vector (or a scalar), got {vt.ndim}-d {v}")
        if v.type.shape[0] is None:  # type: ignore[attr-defined]
            raise ValueError(f"{what}: the length of {v} must be known statically")
        if vt.dtype != "int64":
            from graft.tensor.basic import cast

            v = cast(v, "int64")
        if isinstance(v, Constant) and np.any(np.asarray(v.data) < 0):
            raise ValueError(f"{what} entries must be >= 0, got {np.asarray(v.data).tolist()}")
        return v

    def _static_size(self, size: Variable) -> tuple[int | None, ...]:
        n = size.type.shape[0]  # type: ignore[attr-defined]
        if isinstance(size, Constant):
            return tuple(int(s) for s in np.asarray(size.data))
        out: list[int | None] = [None] * n
        owner = size.owner
        if owner is not None and type(owner.op).__name__ == "MakeVector":
            for k, e in enumerate(owner.inputs):
                if isinstance(e, Constant):
                    out[k] = int(np.asarray(e.data))
        return tuple(out)

    def _batch_static(self, params: Sequence[Variable]) -> tuple[int | None, ...]:
        """The broadcast batch shape of the parameters (graft's rule); ValueError on a clash."""
        shapes = [
            p.type.shape[: p.type.ndim - nd]  # type: ignore[attr-defined]
            for p, nd in zip(params, self.ndims_params)
        ]
        nb = max((len(s) for s in shapes), default=0)
        out: list[int | None] = []
        for d in range(nb):
            known: int | None = None
            unknown = False
            for s in shapes:
                k = d - (nb - len(s))
                if k < 0 or s[k] == 1:
                    continue
                if s[k] is None:
                    unknown = True
                elif known is not None and s[k] != known:
                    raise ValueError(
                        f"{self.name}: the parameters' shapes do not broadcast "
                        f"({self._shapes_text(params)}): batch dimension {d} has sizes "
                        f"{known} and {s[k]}"
                    )
                else:
                    known = s[k]
            out.append(known if known is not None else (None if unknown else 1))
        return tuple(out)

    def _shapes_text(self, params: Sequence[Variable]) -> str:
        return ", ".join(
            f"{self._param_name(i)}: {tuple(p.type.shape)}"  # type: ignore[attr-defined]
            for i, p in enumerate(params)
        )

    def _supp_static(self, params: Sequence[Variable]) -> tuple[int | None, ...]:
        if self.ndim_supp == 0:
            return ()
        i, axis = self.supp_shape_param
        return (params[i].type.shape[axis],)  # type: ignore[attr-defined]

    def make_node(self, rng: Any, size: Any, *params: Any) -> Apply:
        """Check and convert the inputs; the draw's static shape is known where it can be."""
        if rng is None:
            rng = default_rng_variable()
        elif not isinstance(rng, Variable):
            try:
                rng = random_generator_type.filter_variable(rng)
            except TypeError as e:
                raise TypeError(f"{self.name}: rng {e}") from None
        if not isinstance(rng.type, RandomGeneratorType):
            raise TypeError(
                f"{self.name}: rng must be a random generator variable (e.g. "
                f"graft.shared(np.random.default_rng(seed))), got {rng} of type {rng.type}"
            )
        size_v = self._check_size(size)
        ps = self._check_params(params)
        batch = self._batch_static(ps)
        n_size = size_v.type.shape[0]  # type: ignore[attr-defined]
        if n_size:
            static = self._static_size(size_v)
            self._check_size_fits(static, ps)
            batch = static
        shape = batch + self._supp_static(ps)
        draw = TensorType(self.out_dtype(), shape)()
        return Apply(self, [rng, size_v, *ps], [rng.type(), draw])

    def _check_size_fits(self, size: tuple[int | None, ...], params: Sequence[Variable]) -> None:
        for i, (p, nd) in enumerate(zip(params, self.ndims_params)):
            pshape = p.type.shape[: p.type.ndim - nd]  # type: ignore[attr-defined]
            if len(pshape) > len(size):
                raise ValueError(
                    f"{self.name}: size {size} has fewer dimensions than the batch shape "
                    f"{pshape} of parameter {self._param_name(i)!r}"
                )
            for s, z in zip(reversed(pshape), reversed(size)):
                if s is not None and s != 1 and z is not None and s != z:
                    raise ValueError(
                        f"{self.name}: parameter {self._param_name(i)!r} of batch shape "
                        f"{pshape} does not broadcast to size {size}"
                    )

    def __call__(  # type: ignore[override]
        self,
        *params: Any,
        size: Any = None,
        rng: Any = None,
        dtype: Any = None,
        name: str | None = None,
        return_list: bool = False,
    ) -> Any:
        """Build a draw: ``params`` of the distribution, ``size`` (batch shape), ``rng``."""
        op = self
        if dtype is not None and _norm_dtype(dtype) != self.out_dtype():
            op = copy.copy(self)
            op.__dict__.pop("_props_hash", None)
            op.dtype = _norm_dtype(dtype)
        if rng is None:
            rng = default_rng_variable()
        node = op.make_node(rng, size, *params)
        node.tag.trace = user_frame()
        next_rng, draw = node.outputs
        if name is not None:
            draw.name = name
        rng_in = node.inputs[0]
        if isinstance(rng_in, RandomGeneratorSharedVariable) and rng_in.default_update is None:
            rng_in.default_update = next_rng
        return [next_rng, draw] if return_list else draw

    # -- reading a node ----------------------------------------------------

    def rng_param(self, node: Apply) -> Variable:
        """The rng a draw ``node`` reads."""
        return node.inputs[0]

    def size_param(self, node: Apply) -> Variable:
        """The ``size`` (an int64 vector, empty for the parameters' broadcast shape) of ``node``."""
        return node.inputs[1]

    def dist_params(self, node: Apply) -> list[Variable]:
        """The distribution parameters of a draw ``node``, in the distribution's order."""
        return list(node.inputs[2:])

    # -- computing ---------------------------------------------------------

    def rng_fn(self, rng: np.random.Generator, *args: Any) -> Any:
        """Draw with NumPy: ``args`` are the parameter values, then ``size`` (a tuple: the
        batch shape). The default calls the Generator method named ``self.name``."""
        *params, size = args
        return getattr(rng, self.name)(*params, size=size)

    def batch_shape(self, params: Sequence[np.ndarray]) -> tuple[int, ...]:
        """The batch shape of a draw whose ``size`` is empty: the parameters' batch shapes
        broadcast (only dimensions of size 1 in the parameters' static shape stretch)."""
        shapes = [np.shape(p)[: np.ndim(p) - nd] for p, nd in zip(params, self.ndims_params)]
        nb = max((len(s) for s in shapes), default=0)
        out: list[int] = []
        for d in range(nb):
            size = 1
            for s in shapes:
                k = d - (nb - len(s))
                if k < 0 or s[k] == 1:
                    continue
                if size != 1 and s[k] != size:
                    raise ValueError(
                        f"{self.name}: the parameters' batch shapes {shapes} do not broadcast"
                    )
                size = s[k]
            out.append(size)
        return tuple(out)

    def perform(self, node: Apply, inputs: Sequence[Any], output_storage: list[list[Any]]) -> None:
        rng, size, *params = inputs
        if not self.inplace:
            rng = copy_generator(rng)
        if len(size):
            shape = tuple(int(s) for s in size)
        else:
            shape = self.batch_shape(params)
            # A parameter of static size 1 may not stretch a dimension that another
            # parameter gives at run time: check against the strict rule.
            self._check_runtime_batch(node, params, shape)
        draw = self.rng_fn(rng, *params, shape)
        out_type: Any = node.outputs[1].type
        draw = np.asarray(draw, dtype=out_type.numpy_dtype)
        if out_type.ndim != draw.ndim:
            raise ValueError(
                f"{self.name}: the draw has {draw.ndim} dimensions, expected {out_type.ndim}"
            )
        output_storage[0][0] = rng
        output_storage[1][0] = draw

    def _check_runtime_batch(
        self, node: Apply, params: Sequence[np.ndarray], shape: tuple[int, ...]
    ) -> None:
        for i, (p, v, nd) in enumerate(zip(params, node.inputs[2:], self.ndims_params)):
            pshape = np.shape(p)[: np.ndim(p) - nd]
            static = v.type.shape[: v.type.ndim - nd]  # type: ignore[attr-defined]
            for k, (n, st) in enumerate(zip(reversed(pshape), reversed(static))):
                want = shape[len(shape) - 1 - k]
                if n == 1 and st != 1 and want != 1:
                    raise ValueError(
                        f"{self.name}: parameter {self._param_name(i)!r} has shape "
                        f"{np.shape(p)}, whose size-1 dimension cannot broadcast to {want} "
                        "(only dimensions of static size 1 broadcast; pass size= or give the "
                        "parameter a broadcastable shape)"
                    )

    def infer_shape(self, fgraph: Any, node: Apply, input_shapes: list[Any]) -> list[Any]:
        _, size, *params = node.inputs
        draw_t: Any = node.outputs[1].type
        n_size = size.type.shape[0]  # type: ignore[attr-defined]
        out: list[Any] = []
        if n_size:
            static = self._static_size(size)
            for k in range(n_size):
                out.append(static[k] if static[k] is not None else size[k])  # type: ignore[index]
        else:
            nb = draw_t.ndim - self.ndim_supp
            for d in range(nb):
                if draw_t.shape[d] is not None:
                    out.append(draw_t.shape[d])
                    continue
                entry: Any = None
                for i, (p, nd) in enumerate(zip(params, self.ndims_params)):
                    pt: Any = p.type
                    k = d - (nb - (pt.ndim - nd))
                    if k >= 0 and pt.shape[k] != 1:
                        entry = input_shapes[2 + i][k]
                        break
                out.append(1 if entry is None else entry)
        if self.ndim_supp:
            if draw_t.shape[-1] is not None:
                out.append(draw_t.shape[-1])
            else:
                i, axis = self.supp_shape_param
                out.append(input_shapes[2 + i][axis])
        return [None, tuple(out)]

    def L_op(
        self,
        inputs: Sequence[Variable],
        outputs: Sequence[Variable],
        output_grads: Sequence[Variable],
    ) -> list[Variable]:
        from graft.gradient import grad_undefined

        return [
            grad_undefined(self, k, inp, "random draws have no gradient")
            for k, inp in enumerate(inputs)
        ]

    def do_constant_folding(self, fgraph: Any, node: Apply) -> bool:
        # Folding would freeze one draw into the compiled graph.
        return False

    def __str__(self) -> str:
        return f"{self.name}_rv{{{self.ndim_supp}, {self.ndims_params}, {self.dtype}, {self.inplace}}}"
