"""graft: define, rewrite and compile graphs of tensor operations.

The public surface mirrors Aesara/PyTensor: ``graft.graph`` (the IR),
``graft.graph.rewriting`` (rewriters and databases), ``graft.scalar``,
``graft.tensor``, ``graft.function`` and ``graft.grad``. Plugins are loaded
lazily (see ``graft.plugins``); importing graft loads none of them.
"""

__version__ = "0.1.0"

import graft.graph.basic
import graft.graph.fg
import graft.graph.features
