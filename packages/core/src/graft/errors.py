"""Exceptions and warnings shared by graft's layers (the bottom module: it imports no graft).

The graph layer's errors (`MethodNotDefined`, `InconsistencyError`,
`MissingInputError`), the plugin system's (`PluginError`, `ConflictError`,
`PluginWarning`) and `warn`, which points a warning at the user's code, live
here so that any layer can raise them without importing a layer above it.
Each is also importable from where users met it first (``graft.graph.utils``,
``graft.plugins``).

Example::

    from graft.errors import ConflictError

    try:
        graft.config.add("floatX", "again", "float64")
    except ConflictError as e:
        print(e)   # names both owners of the flag
"""

from __future__ import annotations

import os
import sys
import warnings
from types import FrameType
from typing import Any

_GRAFT_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep


class MethodNotDefined(NotImplementedError):
    """An optional method of an Op or Type was called but is not implemented."""


class InconsistencyError(Exception):
    """A graph change would leave a `FunctionGraph` in an invalid state; it was undone."""


class MissingInputError(ValueError):
    """A graph needs a variable that was not declared as an input."""

    def __init__(self, *args: Any, variable: Any = None) -> None:
        super().__init__(*args)
        self.variable = variable


class PluginError(Exception):
    """A plugin could not be loaded or registered something invalid.

    Raised instead of a :class:`PluginWarning` when ``GRAFT_STRICT_PLUGINS=1``.
    """


class ConflictError(PluginError):
    """Two plugins registered the same thing (backend name, rewrite name in one
    database, Op class, config flag); the message names both sides."""


class PluginWarning(UserWarning):
    """A plugin failed and was skipped; everything else keeps working."""


def warn(message: str, category: type[Warning]) -> None:
    """``warnings.warn`` pointing at the first caller outside the graft package.

    Example::

        warn("flag 'x' is deprecated", DeprecationWarning)
    """
    level = 2
    caller: FrameType | None = sys._getframe(1)
    while caller is not None and caller.f_code.co_filename.startswith(_GRAFT_DIR):
        caller, level = caller.f_back, level + 1
    warnings.warn(message, category, stacklevel=level)
