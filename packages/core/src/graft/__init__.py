"""graft: define, rewrite and compile graphs of tensor operations.

The public surface mirrors Aesara/PyTensor: ``graft.graph`` (the IR),
``graft.graph.rewriting`` (rewriters and databases), ``graft.scalar``,
``graft.tensor``, ``graft.function``, ``graft.grad``, ``graft.shared``,
``graft.dprint`` and ``graft.pprint``. Plugins are loaded lazily (see
``graft.plugins``); importing graft loads none of them.
"""

__version__ = "0.1.0"

import graft.graph.basic
import graft.graph.features
import graft.graph.fg
import graft.graph.rewriting.basic
import graft.graph.rewriting.utils
import graft.scalar
from graft import printing
from graft.configparser import change_flags, config
from graft.printing import dprint, pprint, pp

__all__ = ["change_flags", "config", "dprint", "pp", "pprint", "printing"]
