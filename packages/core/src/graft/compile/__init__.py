"""Compiling graphs into callables: `optdb` (the rewrite database every compile queries).

`function`, `Mode` and the rest of compilation are added here as they land.
"""

from graft.compile.optdb import make_optdb, optdb
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
    "EquilibriumDB",
    "LocalGroupDB",
    "ProxyDB",
    "RewriteDatabase",
    "RewriteDatabaseQuery",
    "SequenceDB",
    "TopoDB",
    "make_optdb",
    "optdb",
]
