"""`GenericType`, where the compile layer's users import it (defined in `graft.graph.generic`).

Example::

    from graft.compile.generic import generic
"""

from graft.graph.generic import GenericType, generic

__all__ = ["GenericType", "generic"]
