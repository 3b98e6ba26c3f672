"""`NumbaLinker`: backend ``numba``, whole-graph code generation compiled by ``numba.njit``.

The shared base (`graft.link.codegen.CodegenLinker`) plans the graph into
segments, asks this backend's rules (`graft_backend_numba.rules`) for the
Python source of each node, and writes the module to graft's private disk
cache under the graph's content key. `NumbaLinker.load` imports that file
and jits each segment with ``cache=True``: numba keeps its compiled code
beside the source file, so a new process compiling the same graph loads the
machine code instead of compiling again.

Plugins add rules for their own Ops through ``graft_extend_backend``::

    def graft_extend_backend(backend, name):
        if name == "numba":
            backend.rules.register(MyOp, rule=my_numba_rule, owner="my-plugin")
"""

from __future__ import annotations

import platform
import warnings
from pathlib import Path
from typing import Any, ClassVar

from graft.link.codegen import (
    BackendFallbackWarning,
    CodegenLinker,
    Emitter,
    Segment,
    load_python_module,
    perform_segment,
)
from graft.link.dispatch import RuleTable

__all__ = ["NumbaLinker"]

RULES: RuleTable[Any] = RuleTable("numba")
#: numba.njit flags of every generated function: NumPy's floating-point error model
#: (inf/nan, no ZeroDivisionError), and the GIL released while it runs.
_FLAGS: dict[str, Any] = {"error_model": "numpy", "nogil": True}
_CACHE_LAYOUT = 2


class NumbaLinker(CodegenLinker):
    """Backend ``numba`` (mode ``"NUMBA"``); see the module docstring.

    Example::

        f = graft.function([x, y], x * y + 1, mode="NUMBA")
    """

    name = "numba"
    rules: ClassVar[RuleTable[Any]] = RULES
    # In-place rewrites would make generated loops write into their inputs;
    # the loops allocate their outputs instead.
    excluded_rewrite_tags = ("inplace",)
    # numba's compile time grows faster than a function's size (one function of 264
    # reductions overflowed its compiler), but each function costs ~0.1 s to compile:
    # only large segments become one function per node. Measured (benchmarks/README.md):
    # 81 nodes inline 6.3 s; 301 nodes outlined 46 s.
    outline_after = 60

    def cache_salt(self) -> tuple[str, ...]:
        import numba

        from graft_backend_numba import __version__

        return (
            "numba-backend",
            __version__,
            # Bumped when generated modules change how they are named or laid out: numba's
            # cached code refers to its module by name, so old entries must not be reused.
            f"layout {_CACHE_LAYOUT}",
            f"numba {numba.__version__}",
            f"cpu {platform.machine()}",
        )

    def load(
        self, path: Path | None, source: str, segments: list[Segment], em: Emitter
    ) -> list[Any]:
        import numba

        module = load_python_module(path, source)
        for k, v in em.globals.items():
            setattr(module, k, v)
        for seg in segments:
            for helper in seg.helpers:  # outlined nodes: jitted before the segment calls them
                fn = getattr(module, helper)
                if not isinstance(fn, numba.core.dispatcher.Dispatcher):
                    setattr(module, helper, numba.njit(cache=path is not None, **_FLAGS)(fn))
        return [self._jit(module, seg, path) for seg in segments]

    def _jit(self, module: Any, seg: Segment, path: Path | None) -> Any:
        """The segment's function under numba.njit, compiled now for C-contiguous inputs of
        its parameters' types (other layouts compile on first use).

        Compiling here (inside ``graft.function``) puts the cost where users expect it,
        and a corrupt entry of numba's cache shows here: it is removed and compiled again.
        """
        import numba

        py_fn = getattr(module, seg.entry)
        sig = _signature(seg.params)
        for attempt in range(2):
            fn = numba.njit(cache=path is not None, **_FLAGS)(py_fn)
            if sig is None:
                return fn
            try:
                fn.compile(sig)
                return fn
            except numba.core.errors.NumbaError as exc:
                # Generated code numba cannot compile is a missing rule case: run the
                # segment through the Ops' perform rather than refuse the graph.
                return self._compile_failed(seg, exc)
            except Exception:
                if attempt or path is None or not _purge_numba_cache(path, seg.entry):
                    raise
        raise AssertionError("unreachable")

    def _compile_failed(self, seg: Segment, exc: Exception) -> Any:
        from graft.configparser import config
        from graft.link.basic import UnsupportedOpError

        ops = ", ".join(sorted({str(n.op) for n in seg.nodes}))
        if config.backend_fallback == "raise":
            raise UnsupportedOpError(
                f"backend 'numba' could not compile the code generated for {ops}: {exc}"
            ) from exc
        if config.backend_fallback == "warn":
            warnings.warn(
                f"backend 'numba' could not compile the code generated for {ops}; these "
                f"nodes run through Python ({type(exc).__name__}: {str(exc).splitlines()[0]})",
                BackendFallbackWarning,
                stacklevel=6,
            )
        return perform_segment(seg)


def _signature(params: list[Any]) -> tuple[Any, ...] | None:
    """numba argument types for C-contiguous arrays of ``params``' tensor types, or None."""
    from numba.core import types
    from numba.np.numpy_support import from_dtype

    from graft.tensor.type import TensorType

    out = []
    for v in params:
        t = v.type
        if not isinstance(t, TensorType):
            return None
        try:
            out.append(types.Array(from_dtype(t.numpy_dtype), t.ndim, "C"))
        except Exception:
            return None
    return tuple(out)


def _purge_numba_cache(path: Path, entry: str) -> bool:
    """Remove numba's cache files of ``entry`` in the module at ``path``; whether any existed."""
    import contextlib

    found = False
    for p in (path.parent / "__pycache__").glob(f"{path.stem}.{entry}-*"):
        found = True
        with contextlib.suppress(OSError):
            p.unlink()
    return found


def _register_rules() -> None:
    # Importing the rule modules fills RULES (and nothing else).
    import graft_backend_numba.rules  # noqa: F401


_register_rules()
