"""The NUTS kernel compiled once per process, for any log-density.

`kernels()` compiles the functions of `graft_ppl.inference.nuts` with numba,
typing the log-density argument as a first-class function
``(float64[::1] x, float64[::1] c) -> (float64, float64[::1])``: the kernel's
machine code does not depend on the model, so it is compiled once and
cached on disk (its source is copied into graft's private cache directory,
where numba keeps the machine code beside it). `as_kernel_fn` turns a
model's compiled graph (an njit dispatcher) or a Python callable into a
function of that type. Without numba, `kernels()` returns the plain Python
functions and `as_kernel_fn` the Python callable.

Example::

    k = kernels()
    fn = as_kernel_fn(dispatcher, py_fn)
    k.nuts_block(fn, c, x, g, lp, ...)
"""

from __future__ import annotations

import hashlib
import importlib.util
import inspect
import threading
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import numpy as np

from graft_ppl.inference import nuts

__all__ = ["HAVE_NUMBA", "as_kernel_fn", "kernels"]

HAVE_NUMBA = importlib.util.find_spec("numba") is not None
_LOCK = threading.Lock()
_KERNELS: list[SimpleNamespace] = []
_FLAGS: dict[str, Any] = {"nogil": True, "error_model": "numpy"}


def _types() -> Any:
    from numba import types

    vec = types.float64[::1]
    mat = types.float64[:, ::1]
    sig = types.Tuple((types.float64, vec))(vec, vec)
    return SimpleNamespace(vec=vec, mat=mat, sig=sig, fn=types.FunctionType(sig), types=types)


def kernels() -> SimpleNamespace:
    """``nuts_block`` and ``find_reasonable_step_size``, compiled (or plain Python)."""
    with _LOCK:
        if _KERNELS:
            return _KERNELS[0]
        if not HAVE_NUMBA:  # pragma: no cover - numba is optional
            k = SimpleNamespace(
                nuts_block=nuts.nuts_block,
                find_reasonable_step_size=nuts.find_reasonable_step_size,
                compiled=False,
            )
        else:
            k = _compile()
        _KERNELS.append(k)
        return k


def _compile() -> SimpleNamespace:
    import numba

    from graft.link.codegen import load_python_module
    from graft.link.diskcache import write_entry

    source = inspect.getsource(nuts)
    digest = hashlib.sha256(f"{numba.__version__}\n{source}".encode()).hexdigest()
    path = write_entry("ppl-nuts", digest, ".py", source)
    module = load_python_module(path, source, name=f"graft_ppl_nuts_{digest[:16]}")
    cache = path is not None
    for name in nuts.HELPERS:
        setattr(module, name, numba.njit(cache=cache, **_FLAGS)(getattr(module, name)))
    t = _types()
    i64, f64, b1 = t.types.int64, t.types.float64, t.types.boolean
    block_sig = (
        t.fn, t.vec, t.vec, t.vec, f64, i64, i64, t.vec, t.vec, t.mat, t.mat, b1, i64, f64,
        b1, f64, t.mat, t.mat,
    )  # fmt: skip
    step_sig = (t.fn, t.vec, t.vec, t.vec, f64, f64, t.vec, t.mat, t.mat, b1, i64)
    return SimpleNamespace(
        nuts_block=numba.njit([block_sig], cache=cache, **_FLAGS)(module.nuts_block),
        find_reasonable_step_size=numba.njit([step_sig], cache=cache, **_FLAGS)(
            module.find_reasonable_step_size
        ),
        compiled=True,
    )


def as_kernel_fn(dispatcher: Any, py_fn: Callable[[np.ndarray, np.ndarray], Any]) -> Any:
    """The log-density as the kernel's function type: a small njit adapter of the graft
    graph's dispatcher (returning ``(float, contiguous gradient)``), or, when there is
    none, an object-mode wrapper of ``py_fn``; ``py_fn`` itself without numba."""
    if not HAVE_NUMBA:  # pragma: no cover
        return py_fn
    import numba

    sig = _types().sig
    if dispatcher is not None:
        d = dispatcher

        def adapter(x, c):  # type: ignore[no-untyped-def]
            lp, g = d(x, c)
            return float(np.asarray(lp).item()), np.ascontiguousarray(g)

        try:
            return numba.njit([sig], **_FLAGS)(adapter)
        except numba.core.errors.NumbaError:
            pass  # a graph numba compiles but not as this signature: call it through Python

    def call(x: np.ndarray, c: np.ndarray) -> tuple[float, np.ndarray]:
        lp, g = py_fn(x, c)
        return float(lp), np.ascontiguousarray(g, dtype=np.float64)

    def wrapper(x, c):  # type: ignore[no-untyped-def]
        with numba.objmode(lp="float64", g="float64[::1]"):
            lp, g = call(x, c)
        return lp, g

    return numba.njit([sig])(wrapper)
