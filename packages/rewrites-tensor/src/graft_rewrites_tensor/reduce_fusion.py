"""Reduction fusion: ``CAReduce(Elemwise(op)(*xs))`` becomes one ``ElemwiseReduce(op, ...)(*xs)``.

`local_reduce_fusion` (registered in ``optdb`` as ``local_reduce_fusion``,
position 49.1, tags ``fast_run``, ``fusion`` and ``reduce_fusion``) runs
after elemwise fusion (49) and ``merge2`` (49, after fusion by name), and
before ``add_destroy_handler`` (49.5): by then an elementwise tree feeding a
reduction is a single ``Elemwise(Composite)``, which it folds into the
reduction as a `graft.tensor.fused_reduce.ElemwiseReduce`. ``merge3`` (100)
merges equal fused nodes.

It fuses only when

- the reduction is a sum, product, max, min, all or any (`REDUCE_OPS`);
- its input is the only output of an ``Elemwise`` without an in-place
  pattern whose scalar op has one output;
- that output has no other client (no other node and no graph output
  reads it): otherwise the mapped array would be computed twice. (Sizes
  such as ``mean``'s count were already moved to the inputs by the
  canonicalize shape rewrites, so they do not hold fusion back);
- the fused node has exactly the reduction's output type.

The fused node computes the same values as the two nodes, bit for bit, on
the reference backend (see `ElemwiseReduce`). A backend that cannot run
``ElemwiseReduce`` lists ``"reduce_fusion"`` in its linker's
``excluded_rewrite_tags``; ``mode.excluding("reduce_fusion")`` turns it off
for one mode.

Example::

    import graft, graft.tensor as gt

    x, y = gt.dvector("x"), gt.dvector("y")
    f = graft.function([x, y], gt.sum(gt.exp(x) * y))
    [str(n.op) for n in f.maker.fgraph.toposort()]
    # ['Sum{Composite{mul(exp(i0), i1)}}']
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from graft.graph.basic import Apply
from graft.graph.fg import FunctionGraph
from graft.graph.rewriting.basic import node_rewriter
from graft.scalar.basic import ScalarOp
from graft.tensor.elemwise import CAReduce, Elemwise
from graft.tensor.fused_reduce import REDUCE_OPS, ElemwiseReduce

if TYPE_CHECKING:
    from graft.plugins.registry import RewriteRegistry

__all__ = ["REDUCE_OPS", "local_reduce_fusion", "register"]

#: Where `register` puts the rewrite in optdb: after elemwise fusion and
#: merge2 (49), before add_destroy_handler (49.5).
POSITION = 49.1


@node_rewriter([CAReduce])
def local_reduce_fusion(fgraph: FunctionGraph | None, node: Apply) -> Any:
    """``CAReduce(Elemwise(op)(*xs))`` → ``ElemwiseReduce(op, reduce, axis, dtype)(*xs)``.

    Only when the Elemwise output feeds this reduction alone (see the module
    docstring for every condition).

    Example: ``sum(Elemwise{Composite{mul(exp(i0), i1)}}(x, y))`` becomes
    ``Sum{Composite{mul(exp(i0), i1)}}(x, y)``.
    """
    op = node.op
    assert isinstance(op, CAReduce)
    if fgraph is None or str(op.scalar_op) not in REDUCE_OPS:
        return False
    (x,) = node.inputs
    inner = x.owner
    if inner is None or not isinstance(inner.op, Elemwise) or len(inner.outputs) != 1:
        return False
    eop = inner.op
    sop = eop.scalar_op
    if eop.inplace_pattern or not isinstance(sop, ScalarOp) or sop.nout != 1:
        return False
    if len(fgraph.clients.get(x, ())) != 1:
        return False  # the mapped array is needed elsewhere: fusing would compute it twice
    try:
        # make_node, not __call__: the rewriter copies the reduction's trace
        # (the user's line) onto the new node.
        new = ElemwiseReduce(sop, op.scalar_op, op.axis, op.dtype).make_node(*inner.inputs)
    except (TypeError, ValueError):
        return False
    out = new.outputs[0]
    if out.type != node.outputs[0].type:
        return False
    out.name = node.outputs[0].name
    return [out]


def register(registry: RewriteRegistry) -> None:
    """Register `local_reduce_fusion` in ``optdb`` at position 49.1 (after elemwise fusion).

    Example::

        from graft.compile.optdb import make_optdb
        from graft.plugins import RewriteRegistry

        db = make_optdb(load_plugins=False)
        register(RewriteRegistry(db=db))
        db.__position__["local_reduce_fusion"]   # 49.1
    """
    registry.register(
        "local_reduce_fusion",
        local_reduce_fusion,
        "fast_run",
        "fusion",
        "reduce_fusion",
        position=POSITION,
    )
