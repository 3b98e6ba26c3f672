"""PyMC-style distribution constructors for the `Model` context.

``Normal(name, mu, sigma, *, shape=None, observed=None, transform="default",
model=None)`` and the others draw from the model's stream, name the draw and
register it (free, or observed with ``observed=``). Parameters are named as
in PyMC (``Gamma(alpha, beta)`` with rate ``beta``, ``Exponential(lam)``,
``Poisson(mu)``); ``shape`` defaults to the shape of ``observed``.

Example::

    with Model() as m:
        tau = HalfCauchy("tau", 5.0)
        theta = Normal("theta", 0.0, tau, shape=8)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

import graft.tensor as gt
import graft.tensor.random as gr
from graft.graph.basic import Variable
from graft_ppl.model import modelcontext

__all__ = [
    "Bernoulli",
    "Beta",
    "Binomial",
    "Categorical",
    "Cauchy",
    "Deterministic",
    "Dirichlet",
    "Exponential",
    "Gamma",
    "HalfCauchy",
    "HalfNormal",
    "InverseGamma",
    "Laplace",
    "LogNormal",
    "Logistic",
    "MvNormal",
    "NegativeBinomial",
    "Normal",
    "Poisson",
    "StudentT",
    "Uniform",
]


def _make(
    cls_name: str, build: Callable[..., Any], params: tuple[str, ...], defaults: tuple[Any, ...]
) -> Callable[..., Variable]:
    n_required = len(params) - len(defaults)

    def ctor(name: str, *args: Any, **kwargs: Any) -> Variable:
        shape = kwargs.pop("shape", None)
        observed = kwargs.pop("observed", None)
        transform = kwargs.pop("transform", "default")
        model = modelcontext(kwargs.pop("model", None))
        values = list(args)
        if len(values) > len(params):
            raise TypeError(f"{cls_name}: takes {len(params)} parameters {params}, got {args!r}")
        for p in params[len(values) :]:
            if p in kwargs:
                values.append(kwargs.pop(p))
            elif len(values) >= n_required:
                values.append(defaults[len(values) - n_required])
            else:
                raise TypeError(f"{cls_name} {name!r}: missing parameter {p!r}")
        if kwargs:
            raise TypeError(f"{cls_name} {name!r}: unexpected arguments {sorted(kwargs)}")
        if shape is None and observed is not None:
            shape = np.shape(observed)
            support = 1 if cls_name in ("Dirichlet", "MvNormal", "Multinomial") else 0
            shape = shape[: len(shape) - support]
        if isinstance(shape, int):
            shape = (shape,)
        size = tuple(shape) if shape is not None and len(shape) else None
        rv = model.stream.gen(build, *values, size=size)
        return model.register_rv(rv, name, observed=observed, transform=transform)

    ctor.__name__ = ctor.__qualname__ = cls_name
    ctor.__doc__ = (
        f"``{cls_name}(name, {', '.join(params)}, *, shape=None, observed=None, "
        f"transform='default', model=None)``: a named {cls_name} variable of the current "
        "model."
    )
    return ctor


def _gamma(alpha: Any, beta: Any, **kw: Any) -> Any:
    return gr.gamma(alpha, rate=beta, **kw)


def _exponential(lam: Any, **kw: Any) -> Any:
    return gr.exponential(1.0 / gt.as_tensor_variable(lam), **kw)


def _halfnormal(sigma: Any, **kw: Any) -> Any:
    return gr.halfnormal(0.0, sigma, **kw)


def _halfcauchy(beta: Any, **kw: Any) -> Any:
    return gr.halfcauchy(0.0, beta, **kw)


Normal = _make("Normal", gr.normal, ("mu", "sigma"), (0.0, 1.0))
HalfNormal = _make("HalfNormal", _halfnormal, ("sigma",), (1.0,))
Cauchy = _make("Cauchy", gr.cauchy, ("alpha", "beta"), ())
HalfCauchy = _make("HalfCauchy", _halfcauchy, ("beta",), ())
StudentT = _make("StudentT", gr.t, ("nu", "mu", "sigma"), (0.0, 1.0))
Uniform = _make("Uniform", gr.uniform, ("lower", "upper"), (0.0, 1.0))
Beta = _make("Beta", gr.beta, ("alpha", "beta"), ())
Gamma = _make("Gamma", _gamma, ("alpha", "beta"), ())
InverseGamma = _make("InverseGamma", gr.invgamma, ("alpha", "beta"), ())
Exponential = _make("Exponential", _exponential, ("lam",), ())
LogNormal = _make("LogNormal", gr.lognormal, ("mu", "sigma"), (0.0, 1.0))
Laplace = _make("Laplace", gr.laplace, ("mu", "b"), ())
Logistic = _make("Logistic", gr.logistic, ("mu", "s"), (0.0, 1.0))
Bernoulli = _make("Bernoulli", gr.bernoulli, ("p",), ())
Binomial = _make("Binomial", gr.binomial, ("n", "p"), ())
Poisson = _make("Poisson", gr.poisson, ("mu",), ())
NegativeBinomial = _make("NegativeBinomial", gr.negative_binomial, ("n", "p"), ())
Categorical = _make("Categorical", gr.categorical, ("p",), ())
Dirichlet = _make("Dirichlet", gr.dirichlet, ("a",), ())
MvNormal = _make("MvNormal", gr.multivariate_normal, ("mu", "cov"), ())


def Deterministic(name: str, var: Any, model: Any = None) -> Variable:
    """A named deterministic function of the model's variables.

    Example::

        with Model():
            x = Normal("x")
            y = Deterministic("y", 2 * x)
    """
    return modelcontext(model).add_deterministic(name, var)
