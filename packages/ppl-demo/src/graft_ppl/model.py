"""A thin modelling front end: a `Model` context with named random variables.

Inside ``with Model() as m:``, the distribution constructors of
`graft_ppl.distributions` (``Normal("mu", 0, 5)``, ...) draw a random
variable from the model's seeded stream, name it and register it, with its
data if ``observed=`` is given. Free variables get a value variable on the
unconstrained space (`default_transform` unless ``transform=`` says
otherwise). The graph API stays the real interface: `Model.logp` is
`joint_logp` of the registered variables.

Example::

    import numpy as np
    from graft_ppl import Model
    from graft_ppl.distributions import HalfNormal, Normal

    with Model(seed=1) as m:
        mu = Normal("mu", 0.0, 5.0)
        sigma = HalfNormal("sigma", 1.0)
        Normal("y", mu, sigma, observed=np.array([0.3, -0.1, 0.8]))

    m.logp()                          # a scalar graph of m.value_vars
    f = m.logp_dlogp_function()
    f(np.zeros(f.ndim))               # (log-density, gradient) at mu = 0, log(sigma) = 0
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

import graft.tensor as gt
from graft.compile import function
from graft.gradient import grad
from graft.graph.basic import Constant, Variable, clone_replace
from graft.tensor.random import RandomStream
from graft_ppl.interventions import _check_value, do
from graft_ppl.joint import joint_logp, value_type
from graft_ppl.value_transforms import Transform, default_transform

__all__ = ["LogpDlogpFunction", "Model", "best_mode", "modelcontext"]

_STACK = threading.local()


def _stack() -> list[Model]:
    if not hasattr(_STACK, "models"):
        _STACK.models = []
    return _STACK.models  # type: ignore[no-any-return]


def modelcontext(model: Model | None = None) -> Model:
    """``model`` if given, else the innermost ``with Model():`` (TypeError outside one)."""
    if model is not None:
        return model
    stack = _stack()
    if not stack:
        raise TypeError(
            "no model on the context stack: create random variables inside `with Model():` "
            "(or pass model=...)"
        )
    return stack[-1]


def best_mode() -> str:
    """``"NUMBA"`` when graft-backend-numba is installed, else ``"FAST_RUN"``."""
    from importlib.util import find_spec

    return "NUMBA" if find_spec("graft_backend_numba") is not None else "FAST_RUN"


class Model:
    """Named random variables, their value variables, transforms and observed data.

    ``seed`` seeds the stream the variables draw from (forward sampling with
    `graft.function` on the variables is reproducible).
    """

    def __init__(self, seed: int | None = None) -> None:
        self.stream = RandomStream(seed)
        self.named_vars: dict[str, Variable] = {}
        self.free_rvs: list[Variable] = []
        self.observed_rvs: list[Variable] = []
        self.deterministics: list[Variable] = []
        self.rvs_to_values: dict[Variable, Variable] = {}
        self.rvs_to_transforms: dict[Variable, Transform | None] = {}
        self.rvs_to_data: dict[Variable, Variable] = {}

    # -- context -------------------------------------------------------------

    def __enter__(self) -> Model:
        _stack().append(self)
        return self

    def __exit__(self, *exc: Any) -> None:
        _stack().pop()

    # -- registration --------------------------------------------------------

    def _check_name(self, name: str) -> None:
        if not isinstance(name, str) or not name:
            raise TypeError(f"Model: a variable name must be a non-empty string, got {name!r}")
        if name in self.named_vars:
            raise ValueError(f"Model: a variable named {name!r} exists already")

    def register_rv(
        self,
        rv: Variable,
        name: str,
        observed: Any = None,
        transform: Transform | str | None = "default",
    ) -> Variable:
        """Name ``rv`` and register it as free (with a value variable) or observed."""
        self._check_name(name)
        rv.name = name
        self.named_vars[name] = rv
        if observed is not None:
            if isinstance(observed, Constant):
                observed = observed.data  # e.g. data carried over by `do`
            data = observed if isinstance(observed, Variable) else np.asarray(observed)
            kind = np.dtype(rv.type.dtype).kind  # type: ignore[attr-defined]
            if (
                isinstance(data, np.ndarray)
                and kind in "iu"
                and data.dtype.kind == "f"
                and np.all(data == np.round(data))
            ):
                data = data.astype(rv.type.dtype)  # type: ignore[attr-defined]
            self.rvs_to_data[rv] = _check_value(f"Model: observed data of {name!r}", rv, data)
            self.observed_rvs.append(rv)
            return rv
        if transform == "default":
            assert rv.owner is not None
            tr = default_transform(rv.owner)
        elif transform is None or isinstance(transform, Transform):
            tr = transform
        else:
            raise TypeError(
                f"Model: transform of {name!r} must be 'default', None or a Transform, "
                f"got {transform!r}"
            )
        vname = name if tr is None else f"{name}_{tr.name}__"
        value = value_type(rv, tr)(name=vname)
        self.free_rvs.append(rv)
        self.rvs_to_values[rv] = value
        self.rvs_to_transforms[rv] = tr
        return rv

    def add_deterministic(self, name: str, var: Any) -> Variable:
        """Name and register a deterministic function of the variables."""
        self._check_name(name)
        v = gt.as_tensor_variable(var)
        v.name = name
        self.named_vars[name] = v
        self.deterministics.append(v)
        return v

    def __getitem__(self, name: str) -> Variable:
        return self.named_vars[name]

    @property
    def value_vars(self) -> list[Variable]:
        """The value variables of the free variables (unconstrained), in creation order."""
        return [self.rvs_to_values[rv] for rv in self.free_rvs]

    # -- densities -------------------------------------------------------------

    def logp(self, sum: bool = True) -> Any:
        """The joint log-density of the free variables' (unconstrained) values and the
        observed data, Jacobians included (``sum=False``: the list of terms)."""
        rv_values: dict[Variable, Any] = dict(self.rvs_to_values)
        rv_values.update(self.rvs_to_data)
        transforms = {rv: tr for rv, tr in self.rvs_to_transforms.items() if tr is not None}
        if not rv_values:
            raise ValueError("Model.logp: the model has no random variables")
        return joint_logp(rv_values, transforms=transforms, sum=sum)

    def compile_logp(self, mode: str | None = None) -> Any:
        """A compiled function of `value_vars` (in order) returning the joint log-density."""
        return function(self.value_vars, self.logp(), mode=mode or best_mode())

    def initial_point(self) -> dict[str, np.ndarray]:
        """Zeros on the unconstrained space, by value-variable name."""
        return {v.name: np.zeros(self._static_shape(v)) for v in self.value_vars}  # type: ignore[misc]

    def _static_shape(self, v: Variable) -> tuple[int, ...]:
        shape = v.type.shape  # type: ignore[attr-defined]
        if any(s is None for s in shape):
            raise ValueError(
                f"Model: the shape of {v.name} is not known statically ({shape}); give the "
                "variable shape=... (the flat vector layout needs it)"
            )
        return tuple(int(s) for s in shape)

    def logp_dlogp_function(self, mode: str | None = None) -> LogpDlogpFunction:
        """``f(x) -> (logp, dlogp)`` of the flat unconstrained vector ``x`` (the value
        variables raveled and concatenated in order), compiled on `best_mode`."""
        x: Any = gt.tensor("float64", shape=(None,), name="x")
        reps: dict[Variable, Any] = {}
        layout: list[tuple[str, tuple[int, ...], int, int]] = []
        start = 0
        for v in self.value_vars:
            shape = self._static_shape(v)
            n = int(np.prod(shape))
            piece = gt.reshape(x[start : start + n], shape) if shape else x[start]
            reps[v] = gt.cast(piece, v.type.dtype)  # type: ignore[attr-defined]
            layout.append((str(v.name), shape, start, start + n))
            start += n
        lp = clone_replace(self.logp(), reps)
        dlp = grad(lp, x)
        fn = function([x], [lp, dlp], mode=mode or best_mode())
        return LogpDlogpFunction(fn, layout, start)

    # -- interventions ---------------------------------------------------------

    def do(self, values: Mapping[str | Variable, Any]) -> Model:
        """A new model in which the named variables are fixed to ``values`` (graph surgery:
        they are no longer random, and their parents no longer influence anything)."""
        fixed = {self._lookup(k): v for k, v in values.items()}
        keep = [rv for rv in self.named_vars.values()]
        new_vars = do(keep, fixed)
        out = Model()
        out.stream = self.stream
        for old, new in zip(keep, new_vars):
            name = str(old.name)
            if old in fixed:
                continue
            if old in self.rvs_to_data:
                out.register_rv(new, name, observed=self.rvs_to_data[old])
            elif old in self.rvs_to_values:
                out.register_rv(new, name, transform=self.rvs_to_transforms[old])
            else:
                out.add_deterministic(name, new)
        return out

    def _lookup(self, key: str | Variable) -> Variable:
        if isinstance(key, str):
            if key not in self.named_vars:
                raise KeyError(f"Model: no variable named {key!r}")
            return self.named_vars[key]
        return key


class LogpDlogpFunction:
    """``f(x) -> (logp, dlogp)`` of the flat unconstrained vector; ``ndim`` is its length,
    ``unravel(x)`` splits it into the value variables by name."""

    def __init__(
        self,
        fn: Callable[..., Any],
        layout: Sequence[tuple[str, tuple[int, ...], int, int]],
        n: int,
    ) -> None:
        self.fn = fn
        self.layout = list(layout)
        self.ndim = n

    def __call__(self, x: Any) -> tuple[float, np.ndarray]:
        x = np.asarray(x, dtype="float64")
        if x.shape != (self.ndim,):
            raise ValueError(
                f"logp_dlogp_function: expected a float vector of length {self.ndim}, "
                f"got shape {x.shape}"
            )
        lp, g = self.fn(x)
        return float(lp), np.asarray(g)

    def unravel(self, x: Any) -> dict[str, np.ndarray]:
        """The value variables' values in ``x``, by name."""
        x = np.asarray(x)
        return {name: x[a:b].reshape(shape) for name, shape, a, b in self.layout}
