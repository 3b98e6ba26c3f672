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
from pathlib import Path
from typing import Any, ClassVar

from graft.link.codegen import CodegenLinker, Emitter, load_python_module
from graft.link.dispatch import RuleTable

__all__ = ["NumbaLinker"]

RULES: RuleTable[Any] = RuleTable("numba")


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

    def cache_salt(self) -> tuple[str, ...]:
        import numba

        from graft_backend_numba import __version__

        return (
            "numba-backend",
            __version__,
            f"numba {numba.__version__}",
            f"cpu {platform.machine()}",
        )

    def load(self, path: Path | None, source: str, entries: list[str], em: Emitter) -> list[Any]:
        import numba

        module = load_python_module(path, source)
        for k, v in em.globals.items():
            setattr(module, k, v)
        return [
            numba.njit(cache=path is not None, error_model="numpy", nogil=True)(getattr(module, e))
            for e in entries
        ]


def _register_rules() -> None:
    # Importing the rule modules fills RULES (and nothing else).
    import graft_backend_numba.rules  # noqa: F401


_register_rules()
