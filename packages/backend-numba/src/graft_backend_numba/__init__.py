"""graft-backend-numba: compiles a whole rewritten graft graph into Numba functions.

Use it with ``graft.function(..., mode="NUMBA")``. The plugin module
(`graft_backend_numba.plugin`) only registers a descriptor; numba is imported
when the backend is first used.
"""

__version__ = "0.1.0"
