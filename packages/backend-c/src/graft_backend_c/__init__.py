"""graft-backend-c: compiles a whole rewritten graft graph into one C extension module.

Use it with ``graft.function(..., mode="C")``. The plugin module
(`graft_backend_c.plugin`) only registers a descriptor; the compiler is looked
for when the backend is first used.
"""

__version__ = "0.1.0"
