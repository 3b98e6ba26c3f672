"""graft-rewrites-tensor: the optimizing tensor rewrites of graft, as a plugin.

Importing this package registers nothing. graft loads the plugin through its
entry point (group ``graft``) and calls
`graft_rewrites_tensor.plugin.graft_register_rewrites`, which fills
``optdb``'s ``canonicalize``, ``stabilize`` and ``specialize`` databases.
The rewrites live in `graft_rewrites_tensor.canonicalize`,
`graft_rewrites_tensor.stabilize` and `graft_rewrites_tensor.specialize`.

Example::

    import graft, graft.tensor as gt
    x = gt.dvector("x")
    f = graft.function([x], gt.log(gt.sigmoid(x)))   # FAST_RUN: -softplus(-x)
    f([-800.0])                                       # array([-800.])
"""

__version__ = "0.1.0"
__all__ = ["__version__"]
