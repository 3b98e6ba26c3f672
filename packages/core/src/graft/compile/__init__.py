"""Compiling graphs into callables: `optdb` (the rewrite database every compile queries).

`function` compiles a graph into a `Function`; `Mode` picks the rewrites and
the backend; `shared` values persist between calls; `In`/`Out` set per-input
and per-output options; `ProfileStats` holds compile and call timings.
"""

from graft.compile.function_module import Function, FunctionMaker, function
from graft.compile.io import In, Out
from graft.compile.mode import FAST_COMPILE, FAST_RUN, PY, Mode, get_default_mode, get_mode
from graft.compile.optdb import MissingRewritesWarning, make_optdb, optdb
from graft.compile.profiling import ProfileStats
from graft.compile.rebuild import UnusedInputError
from graft.graph.sharedvalue import SharedVariable, shared, shared_constructor
from graft.graph.rewriting.db import (
    EquilibriumDB,
    LocalGroupDB,
    ProxyDB,
    RewriteDatabase,
    RewriteDatabaseQuery,
    SequenceDB,
    TopoDB,
)

__all__ = [
    "FAST_COMPILE",
    "FAST_RUN",
    "PY",
    "EquilibriumDB",
    "Function",
    "FunctionMaker",
    "In",
    "LocalGroupDB",
    "MissingRewritesWarning",
    "Mode",
    "Out",
    "ProfileStats",
    "ProxyDB",
    "RewriteDatabase",
    "RewriteDatabaseQuery",
    "SequenceDB",
    "SharedVariable",
    "TopoDB",
    "UnusedInputError",
    "function",
    "get_default_mode",
    "get_mode",
    "make_optdb",
    "optdb",
    "shared",
    "shared_constructor",
]
