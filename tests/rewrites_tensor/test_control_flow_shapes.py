"""Scan and OpFromGraph with graft-rewrites-tensor's rewrites: shapes answered without
running the loop or the block, and loop bodies rewritten like any graph."""

from __future__ import annotations

import numpy as np

import graft
import graft.tensor as gt
from graft.compile.builders import OpFromGraph
from graft.compile.mode import Mode
from graft.scan import Scan, scan


def _ops(f):
    return [n.op for n in f.maker.fgraph.toposort()]


def test_scan_shape_without_running_the_loop():
    x = gt.dmatrix("x")
    out, _ = scan(lambda row, acc: acc + row, sequences=x, outputs_info=gt.zeros((3,)))
    f = graft.function([x], out.shape, mode="FAST_RUN")
    np.testing.assert_array_equal(f(np.ones((5, 3))), [5, 3])
    assert not any(isinstance(op, Scan) for op in _ops(f))


def test_scan_body_is_rewritten():
    x = gt.dvector("x")
    out, _ = scan(lambda xt: gt.log(1 + gt.exp(xt)), sequences=x)
    f = graft.function([x], out, mode="FAST_RUN")
    raw = graft.function([x], out, mode=Mode(linker="py", optimizer=None))
    xv = np.array([-3.0, 0.0, 3.0, 30.0])
    np.testing.assert_allclose(f(xv), raw(xv), rtol=1e-10)
    (node,) = [n for n in f.maker.fgraph.toposort() if isinstance(n.op, Scan)]
    assert node.op.info.rewritten
    np.testing.assert_allclose(f(np.array([800.0])), [800.0])  # softplus, not log(1 + inf)


def test_opfromgraph_shape_without_running_the_block():
    x = gt.dmatrix("x")
    op = OpFromGraph([x], [gt.exp(x).T, x.sum(axis=0)])
    a = gt.dmatrix("a")
    o1, o2 = op(a)
    shapes = op.infer_shape(None, o1.owner, [(gt.lscalar("n"), gt.lscalar("m"))])
    assert len(shapes) == 2 and len(shapes[0]) == 2 and len(shapes[1]) == 1
    f = graft.function([a], [o1.shape, o2.shape], mode="FAST_RUN")
    assert not any(isinstance(op, OpFromGraph) for op in _ops(f))
    r1, r2 = f(np.zeros((2, 5)))
    assert tuple(r1) == (5, 2) and tuple(r2) == (5,)
