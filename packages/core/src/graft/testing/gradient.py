"""`verify_grad`: check a symbolic gradient against central finite differences.

Example::

    import numpy as np
    import graft.tensor as gt
    from graft.testing import verify_grad

    verify_grad(lambda x: gt.exp(x) * x, [np.array([0.1, 0.5, 2.0])])
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

__all__ = ["GradientError", "numeric_grad", "verify_grad"]

#: Finite-difference steps by input dtype.
_EPS = {"float64": 1e-7, "float32": 3e-3, "float16": 1e-1}
#: Default absolute and relative tolerances by dtype (the loosest involved wins).
_TOL = {"float64": 1e-4, "float32": 1e-2, "float16": 5e-2}


class GradientError(ValueError):
    """The symbolic gradient of input ``arg`` disagrees with finite differences.

    Attributes: ``arg`` (input index), ``err_pos`` (index into that input),
    ``shape``, ``val1`` (symbolic value), ``val2`` (numeric value),
    ``abs_err``, ``rel_err``, ``abs_tol``, ``rel_tol``.

    Example::

        try:
            verify_grad(f, [x0])
        except GradientError as e:
            print(e.arg, e.abs_err, e.rel_err)
    """

    def __init__(
        self,
        arg: int,
        err_pos: tuple[int, ...],
        shape: tuple[int, ...],
        val1: float,
        val2: float,
        abs_err: float,
        rel_err: float,
        abs_tol: float,
        rel_tol: float,
    ) -> None:
        self.arg = arg
        self.err_pos = err_pos
        self.shape = shape
        self.val1 = val1
        self.val2 = val2
        self.abs_err = abs_err
        self.rel_err = rel_err
        self.abs_tol = abs_tol
        self.rel_tol = rel_tol
        super().__init__(
            f"verify_grad: the gradient w.r.t. input {arg} (shape {shape}) disagrees with "
            f"finite differences at index {err_pos}: symbolic {val1!r}, numeric {val2!r}; "
            f"abs error {abs_err:.3g} (tolerance {abs_tol:g}), rel error "
            f"{rel_err:.3g} (tolerance {rel_tol:g})"
        )


def numeric_grad(
    f: Callable[..., Any],
    pt: Sequence[np.ndarray],
    eps: float | Sequence[float | None] | None = None,
) -> list[np.ndarray]:
    """Central finite-difference gradient of the scalar function ``f(*pt)`` (float64 arrays).

    Each element is moved by ``±eps`` in its own dtype (``eps`` may be one
    step per input; default by dtype: 1e-7 for float64, 3e-3 for float32)
    and the difference is divided by the step actually taken after rounding.

    Example::

        numeric_grad(lambda x: (x ** 2).sum(), [np.array([1.0, 2.0])])  # [array([2., 4.])]
    """
    points = [np.array(p, copy=True) for p in pt]
    steps = list(eps) if isinstance(eps, Sequence) else [eps] * len(points)
    grads = []
    for p, step in zip(points, steps):
        if step is None:
            step = _EPS.get(p.dtype.name, 1e-7)
        g = np.zeros(p.shape, dtype="float64")
        flat = p.reshape(-1)  # a view: writing it perturbs the point passed to f
        for k in range(flat.size):
            orig = flat[k]
            flat[k] = orig + step
            up = float(flat[k])
            f_up = float(np.asarray(f(*points)))
            flat[k] = orig - step
            down = float(flat[k])
            f_down = float(np.asarray(f(*points)))
            flat[k] = orig
            g.flat[k] = (f_up - f_down) / (up - down)
        grads.append(g)
    return grads


def _as_rng(rng: Any) -> Any:
    if rng is None:
        return np.random.default_rng(0)
    if isinstance(rng, int | np.integer):
        return np.random.default_rng(int(rng))
    if isinstance(rng, np.random.Generator | np.random.RandomState):
        return rng
    raise TypeError(f"rng must be a numpy Generator, RandomState, int seed or None; got {rng!r}")


def verify_grad(
    fun: Callable[..., Any],
    pt: Any,
    n_tests: int = 2,
    rng: Any = None,
    eps: float | None = None,
    out_type: str | None = None,
    abs_tol: float | None = None,
    rel_tol: float | None = None,
    mode: Any = None,
    cast_to_output_type: bool = False,
    no_debug_ref: bool = True,
) -> None:
    """Check ``graft.grad`` of ``fun`` at the point ``pt`` against finite differences.

    ``fun`` takes one symbolic tensor per array in ``pt`` (built with the
    arrays' dtypes, ranks and size-1 dimensions) and returns one tensor. The
    output is projected onto a random direction (``rng``) to make a scalar
    cost; its symbolic gradient (compiled with `graft.function` in ``mode``)
    must match central differences (step ``eps``) within ``abs_tol`` *or*
    ``rel_tol`` at every element, for ``n_tests`` random directions.
    Otherwise `GradientError` names the input, the position and the errors.

    Defaults by dtype: ``eps`` 1e-7 (float64) / 3e-3 (float32), the larger of
    the input's and the output's (a float32 output cannot resolve a 1e-7
    step); tolerances 1e-4 (float64) / 1e-2 (float32), the loosest of the
    inputs and output.

    ``out_type`` is the dtype of the random projection (default float64, or
    the output's dtype with ``cast_to_output_type``, which also casts the
    cost to it). ``no_debug_ref`` is accepted for compatibility.

    Example::

        verify_grad(lambda a, b: gt.dot(a, b), [np.ones((2, 3)), np.ones(3)])
    """
    from graft.gradient import grad
    from graft.tensor.basic import as_tensor_variable, cast, constant
    from graft.tensor.math import sum as tsum
    from graft.tensor.type import TensorType

    del no_debug_ref
    if not callable(fun):
        raise TypeError(f"verify_grad: fun must be callable, got {type(fun).__name__}")
    raw = list(pt) if isinstance(pt, list | tuple) else [pt]
    points = [np.array(p) for p in raw]
    for i, p in enumerate(points):
        if p.dtype.kind != "f":
            raise TypeError(
                f"verify_grad: input {i} has dtype {p.dtype}; only floating-point inputs "
                "can be checked with finite differences"
            )
    gen = _as_rng(rng)
    inputs = [
        TensorType(p.dtype, tuple(1 if s == 1 else None for s in p.shape))(f"input_{i}")
        for i, p in enumerate(points)
    ]
    out = fun(*inputs)
    if isinstance(out, list | tuple):
        raise TypeError(
            "verify_grad: fun returned a list; it must return a single tensor (check each "
            "output separately)"
        )
    out = as_tensor_variable(out)
    out_dtype: str = out.dtype
    if not out_dtype.startswith("float"):
        raise TypeError(f"verify_grad: fun's output {out} has non-float dtype {out_dtype}")

    dtypes = [p.dtype.name for p in points] + [out_dtype]
    if abs_tol is None:
        abs_tol = max(_TOL.get(d, _TOL["float64"]) for d in dtypes)
    if rel_tol is None:
        rel_tol = max(_TOL.get(d, _TOL["float64"]) for d in dtypes)

    steps: list[float | None] = [
        eps if eps is not None else max(_EPS.get(p.dtype.name, 1e-7), _EPS.get(out_dtype, 1e-7))
        for p in points
    ]
    from graft.compile import function

    out_fn = function(inputs, out, mode=mode, on_unused_input="ignore")
    out_shape = np.shape(out_fn(*points))
    proj_dtype = out_type or (out_dtype if cast_to_output_type else "float64")
    for _ in range(n_tests):
        # Shifted away from 0 so that no element of the output is ignored.
        proj = np.asarray(gen.random(out_shape) + 0.5).astype(proj_dtype)
        cost = tsum(constant(proj) * out)
        if cast_to_output_type:
            cost = cast(cost, out_dtype)
        cost_fn = function(inputs, cost, mode=mode, on_unused_input="ignore")
        sym = grad(cost, inputs, disconnected_inputs="ignore")
        grad_fn = function(inputs, sym, mode=mode, on_unused_input="ignore")
        analytic = grad_fn(*points)
        numeric = numeric_grad(cost_fn, points, steps)
        for i, (a, n) in enumerate(zip(analytic, numeric)):
            _compare(i, np.asarray(a, dtype="float64"), n, abs_tol, rel_tol)


def _compare(i: int, a: np.ndarray, n: np.ndarray, abs_tol: float, rel_tol: float) -> None:
    if a.shape != n.shape:
        raise ValueError(
            f"verify_grad: the symbolic gradient w.r.t. input {i} has shape {a.shape}, "
            f"expected {n.shape}"
        )
    if a.size == 0:
        return
    with np.errstate(all="ignore"):
        abs_err = np.abs(a - n)
        rel_err = abs_err / np.maximum(np.abs(a) + np.abs(n), 1e-8)
        scaled = np.minimum(abs_err / abs_tol, rel_err / rel_tol)
    scaled = np.where(np.isnan(scaled), np.inf, scaled)
    k = int(np.argmax(scaled))
    if scaled.flat[k] > 1:
        pos = tuple(int(j) for j in np.unravel_index(k, a.shape))
        raise GradientError(
            i,
            pos,
            a.shape,
            float(a.flat[k]),
            float(n.flat[k]),
            float(abs_err.flat[k]),
            float(rel_err.flat[k]),
            abs_tol,
            rel_tol,
        )
