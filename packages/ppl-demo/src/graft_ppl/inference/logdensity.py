"""What the samplers see of a model: one flat unconstrained vector and compiled functions.

`LogDensity` holds, for a `graft_ppl.Model` (or a plain ``logp_dlogp(x)``
callable), the compiled ``(logp, grad)`` of the flat vector ``x`` of the
sampled variables given the vector ``c`` of the variables updated by Gibbs
steps (constrained values; empty when there are none), as

- ``py_fn(x, c) -> (float, ndarray)``, callable from Python, and
- ``jit_fn``, the function the compiled NUTS kernel calls
  (`graft_ppl.inference.kernel.as_kernel_fn`): an adapter of the njit
  dispatcher of the compiled graft graph (Numba backend), or a wrapper
  calling ``py_fn`` in object mode when numba cannot compile the graph as a
  whole;

plus ``constrained(x, c)``: the posterior variables (constrained free
variables, then deterministics) by name, and the observed data.

Example::

    ld = LogDensity.from_model(model)
    lp, g = ld.py_fn(np.zeros(ld.ndim), ld.empty_c)
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

import graft.tensor as gt
from graft.compile import function
from graft.gradient import grad
from graft.graph.basic import Variable, ancestors, clone_replace
from graft.tensor.type import TensorType
from graft_ppl.joint import joint_logp
from graft_ppl.model import Model, best_mode

__all__ = ["LogDensity", "check_model", "constrained_values", "flat_layout", "fmatrix", "fvector"]

Layout = list[tuple[str, tuple[int, ...], int, int]]


def fvector(name: str) -> Any:
    """A float64 vector input variable."""
    return TensorType("float64", (None,))(name=name)


def fmatrix(name: str) -> Any:
    """A float64 matrix input variable."""
    return TensorType("float64", (None, None))(name=name)


def _static_shape(what: str, v: Variable) -> tuple[int, ...]:
    shape = v.type.shape  # type: ignore[attr-defined]
    if any(s is None for s in shape):
        raise ValueError(
            f"{what}: the shape of {v.name} is not known statically ({shape}); give the "
            "variable shape=... (the flat vector layout needs it)"
        )
    return tuple(int(s) for s in shape)


def flat_layout(what: str, values: Sequence[Variable], flat: Any) -> tuple[dict, Layout, int]:
    """Pieces of the flat vector ``flat`` standing for ``values`` (in order): a replacement
    dict ``{value: piece}``, the layout ``[(name, shape, start, stop)]`` and the length."""
    reps: dict[Variable, Any] = {}
    layout: Layout = []
    start = 0
    for v in values:
        shape = _static_shape(what, v)
        n = int(np.prod(shape))
        piece = gt.reshape(flat[start : start + n], shape) if shape else flat[start]
        reps[v] = gt.cast(piece, v.type.dtype)  # type: ignore[attr-defined]
        layout.append((str(v.name), shape, start, start + n))
        start += n
    return reps, layout, start


def check_model(what: str, model: Model, gibbs: Sequence[Variable] = ()) -> None:
    """Refuse what the samplers cannot handle, naming the variable: NaN/inf in observed
    data, and discrete free variables that no Gibbs step updates."""
    for rv, data in model.rvs_to_data.items():
        try:
            arr = np.asarray(data.eval())
        except Exception:  # data given as a graph of inputs: checked when evaluated
            continue
        if arr.dtype.kind == "f" and not np.all(np.isfinite(arr)):
            bad = int(np.size(arr) - np.count_nonzero(np.isfinite(arr)))
            raise ValueError(
                f"{what}: the observed data of {rv.name!r} contains {bad} NaN/inf value(s); "
                "drop or impute them (graft-ppl does not sample through missing data)"
            )
    for rv in model.free_rvs:
        kind = np.dtype(rv.type.dtype).kind  # type: ignore[attr-defined]
        if kind in "iub" and rv not in gibbs:
            raise TypeError(
                f"{what}: the free variable {rv.name!r} is discrete ({rv.type.dtype}); "  # type: ignore[attr-defined]
                "gradient-based samplers need continuous variables and no Gibbs step "
                "(conjugate update) was found for it: observe it, marginalise it out, or "
                "give it a continuous distribution"
            )


def constrained_values(model: Model, values: dict[Variable, Any]) -> dict[Variable, Any]:
    """Every free variable and deterministic of ``model`` as graphs of ``values``
    (``{free rv: constrained value graph}``), observed variables read as their data."""
    subst: dict[Variable, Any] = dict(values)
    subst.update(model.rvs_to_data)
    targets = list(model.free_rvs) + list(model.deterministics)
    outs = [subst.get(v, v) for v in targets]
    rvs = set(model.free_rvs) | set(model.observed_rvs)
    # Substitute until no random variable is left (transforms may read other variables).
    for _ in range(len(rvs) + 1):
        if not any(a in rvs for a in ancestors(outs)):
            break
        outs = list(clone_replace(outs, subst))
    return dict(zip(targets, outs))


def _jit_of(fn: Any, py_fn: Callable[..., Any]) -> Any:
    """The kernel's log-density function: the compiled graft graph's njit dispatcher when
    the Numba backend compiles it as a whole, else a wrapper of ``py_fn``."""
    from graft_ppl.inference.kernel import HAVE_NUMBA, as_kernel_fn

    dispatcher = None
    if HAVE_NUMBA and fn is not None:
        try:
            from graft_backend_numba.inner import compile_inner

            dispatcher = compile_inner(fn.maker.fgraph)
        except ImportError:
            pass
    return as_kernel_fn(dispatcher, py_fn)


class LogDensity:
    """The compiled log-density of a model's sampled variables; see the module docstring."""

    def __init__(
        self,
        ndim: int,
        py_fn: Callable[[np.ndarray, np.ndarray], tuple[float, np.ndarray]],
        jit_fn: Any,
        layout: Layout,
        initial: np.ndarray,
        constrained: Callable[[np.ndarray, np.ndarray], dict[str, np.ndarray]],
        observed: dict[str, np.ndarray],
        model: Model | None = None,
        c_layout: Layout | None = None,
        graft_fn: Any = None,
    ) -> None:
        self.ndim = ndim
        self.py_fn = py_fn
        self._jit_fn = jit_fn
        self.layout = layout
        self.initial = initial
        self.constrained = constrained
        self.observed = observed
        self.model = model
        self.c_layout = c_layout or []
        self.graft_fn = graft_fn
        #: Names of the sampled variables (the model's names, not the value variables').
        self.var_names = [name for name, *_ in layout]
        self.empty_c = np.zeros(sum(b - a for _, _, a, b in self.c_layout))
        #: (x, c, logp graph) for models: what Laplace and ADVI differentiate further.
        self.graph: tuple[Variable, Variable, Variable] | None = None
        #: Free variables and deterministics as graphs of (x, c), for models.
        self.rv_graphs: dict[Variable, Any] = {}

    @property
    def jit_fn(self) -> Any:
        """The kernel's log-density function, built on first use (Laplace and ADVI do
        not need it)."""
        if self._jit_fn is None:
            self._jit_fn = _jit_of(self.graft_fn, self.py_fn)
        return self._jit_fn

    # -- constructors ----------------------------------------------------------

    @classmethod
    def from_callable(cls, fn: Callable[[np.ndarray], Any], initial_point: Any) -> LogDensity:
        """A density given as ``fn(x) -> (logp, grad)`` of a flat float vector."""
        if initial_point is None:
            raise TypeError(
                "sample: a logp_dlogp callable needs initial_point= (a float vector: its "
                "length is the dimension)"
            )
        x0 = np.asarray(initial_point, dtype=np.float64)
        if x0.ndim != 1 or x0.size == 0:
            raise ValueError(
                f"sample: initial_point must be a non-empty float vector, got shape {x0.shape}"
            )
        lp0, g0 = fn(x0.copy())
        g0 = np.asarray(g0, dtype=np.float64)
        if g0.shape != x0.shape:
            raise ValueError(
                f"sample: the logp_dlogp callable returned a gradient of shape {g0.shape} at the "
                f"initial point; expected {x0.shape}"
            )

        lock = threading.Lock()  # chains run in threads; the callable may keep state

        def py_fn(x: np.ndarray, c: np.ndarray) -> tuple[float, np.ndarray]:
            with lock:
                lp, g = fn(x)
            return float(lp), np.array(g, dtype=np.float64)

        n = x0.size
        return cls(
            n,
            py_fn,
            None,
            [("x", (n,), 0, n)],
            x0,
            lambda x, c: {"x": np.array(x)},
            {},
        )

    @classmethod
    def from_model(
        cls,
        model: Model,
        gibbs: Sequence[Variable] = (),
        mode: str | None = None,
        what: str = "sample",
    ) -> LogDensity:
        """The model's density: free variables other than ``gibbs`` on their unconstrained
        space in ``x``, the ``gibbs`` variables' constrained values in ``c``."""
        if not isinstance(model, Model):
            raise TypeError(f"{what}: expected a graft_ppl.Model, got {type(model).__name__}")
        check_model(what, model, gibbs)
        sampled = [rv for rv in model.free_rvs if rv not in gibbs]
        x = fvector("x")
        c = fvector("c")
        nuts_values = [model.rvs_to_values[rv] for rv in sampled]
        gibbs_values = [
            gt.as_tensor_variable(rv).type(name=str(rv.name))
            for rv in gibbs  # constrained
        ]
        reps, layout, n = flat_layout(what, nuts_values, x)
        c_reps, c_layout, _ = flat_layout(what, gibbs_values, c)
        rv_values: dict[Variable, Any] = {rv: model.rvs_to_values[rv] for rv in sampled}
        rv_values.update(zip(gibbs, gibbs_values))
        rv_values.update(model.rvs_to_data)
        transforms = {
            rv: tr
            for rv, tr in model.rvs_to_transforms.items()
            if tr is not None and rv in sampled
        }
        lp = clone_replace(joint_logp(rv_values, transforms=transforms), {**reps, **c_reps})
        dlp = grad(lp, x) if n else gt.zeros((0,))
        mode = mode or best_mode()
        fn = function([x, c], [lp, dlp], mode=mode, on_unused_input="ignore")

        lock = threading.Lock()  # a graft Function is not re-entrant across threads

        def py_fn(xv: np.ndarray, cv: np.ndarray) -> tuple[float, np.ndarray]:
            with lock:
                lpv, gv = fn(xv, cv)
                return float(lpv), np.array(gv, dtype=np.float64)

        # The constrained values: backward transforms of the sampled ones, c for Gibbs.
        cvals: dict[Variable, Any] = {}
        for rv in sampled:
            tr = model.rvs_to_transforms[rv]
            v = model.rvs_to_values[rv]
            cvals[rv] = v if tr is None else tr.backward(v)
        cvals.update(zip(gibbs, gibbs_values))
        graphs = constrained_values(model, cvals)
        names = [str(v.name) for v in graphs]
        outs = [
            clone_replace(gt.as_tensor_variable(g), {**reps, **c_reps}) for g in graphs.values()
        ]
        rv_graphs = dict(zip(graphs, outs))
        post_fn = function([x, c], outs, mode=mode, on_unused_input="ignore")

        def constrained(xv: np.ndarray, cv: np.ndarray) -> dict[str, np.ndarray]:
            with lock:
                return {k: np.array(o) for k, o in zip(names, post_fn(xv, cv))}

        observed = {str(rv.name): np.asarray(d.eval()) for rv, d in model.rvs_to_data.items()}
        initial = np.zeros(n)
        ld = cls(n, py_fn, None, layout, initial, constrained, observed, model, c_layout, fn)
        ld.graph = (x, c, lp)
        ld.var_names = [str(rv.name) for rv in sampled]
        ld.rv_graphs = rv_graphs
        return ld
