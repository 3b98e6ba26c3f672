"""graft-rewrites-tensor: the optimizing tensor rewrites of graft, as a plugin.

Importing this package registers nothing. graft loads the plugin through its
entry point (group ``graft``) and calls
`graft_rewrites_tensor.plugin.graft_register_rewrites`, which fills
``optdb``'s ``canonicalize``, ``stabilize`` and ``specialize`` databases and
registers elemwise and reduction fusion (49, 49.1) and the in-place rewrites
(50.x). The rewrites live in `graft_rewrites_tensor.canonicalize` (with
``canonicalize_subtensor`` and ``canonicalize_shape``),
`graft_rewrites_tensor.stabilize`, `graft_rewrites_tensor.specialize`,
`graft_rewrites_tensor.fusion`, `graft_rewrites_tensor.reduce_fusion` and
`graft_rewrites_tensor.inplace`.

Example::

    import graft, graft.tensor as gt
    x = gt.dvector("x")
    f = graft.function([x], gt.log(gt.sigmoid(x)))   # FAST_RUN: -softplus(-x)
    f([-800.0])                                       # array([-800.])
"""

__version__ = "0.1.0"
__all__ = ["__version__"]
