"""The guide's miniKanren example: distributing a dot product over additions, both ways."""

from __future__ import annotations

from etuples import etuple
from kanren import conso, eq, fact, heado, tailo
from kanren.assoccomm import assoc_flatten, associative
from kanren.core import lall
from kanren.graph import mapo
from unification import vars as lvars

import graft
import graft.tensor as gt
from graft.graph.rewriting.basic import EquilibriumGraphRewriter
from graft.graph.rewriting.kanren import KanrenRelationSub
from graft.graph.rewriting.utils import rewrite_graph
from graft.tensor.math import _dot

graft.pprint.assign(_dot, graft.printing.OperatorPrinter("@", -1, "left"))
fact(associative, gt.add)


def dot_distributeo(in_lv, out_lv):
    """A goal for ``A.dot(a + b ...) == A.dot(a) + A.dot(b) ...``."""
    A_lv, add_term_lv, add_cdr_lv, dot_cdr_lv, add_flat_lv = lvars(5)
    return lall(
        eq(in_lv, etuple(_dot, A_lv, add_term_lv)),
        heado(gt.add, add_term_lv),
        assoc_flatten(add_term_lv, add_flat_lv),
        tailo(add_cdr_lv, add_flat_lv),
        conso(gt.add, dot_cdr_lv, out_lv),
        mapo(lambda x, y: conso(_dot, etuple(A_lv, x), y), add_cdr_lv, dot_cdr_lv),
    )


dot_distribute_rewrite = EquilibriumGraphRewriter(
    [KanrenRelationSub(dot_distributeo)], max_use_ratio=10
)
dot_gather_rewrite = EquilibriumGraphRewriter(
    [KanrenRelationSub(lambda x, y: dot_distributeo(y, x))], max_use_ratio=10
)


def test_distribute_simple():
    x_at = gt.vector("x")
    y_at = gt.vector("y")
    A_at = gt.matrix("A")
    test_at = A_at.dot(x_at + y_at)
    assert graft.pprint(test_at) == "(A @ (x + y))"
    res = rewrite_graph(test_at, include=[], custom_rewrite=dot_distribute_rewrite, clone=False)
    assert graft.pprint(res) == "((A @ x) + (A @ y))"


def test_distribute_nested_and_gather_back():
    x_at, y_at, z_at, w_at = (gt.vector(n) for n in "xyzw")
    A_at = gt.matrix("A")
    test_at = A_at.dot((x_at + y_at) + (z_at + w_at))
    assert graft.pprint(test_at) == "(A @ ((x + y) + (z + w)))"
    res = rewrite_graph(test_at, include=[], custom_rewrite=dot_distribute_rewrite, clone=False)
    assert graft.pprint(res) == "(((A @ x) + (A @ y)) + ((A @ z) + (A @ w)))"

    B_at = gt.matrix("B")
    test_at = A_at.dot(x_at + (y_at + B_at.dot(z_at + w_at)))
    assert graft.pprint(test_at) == "(A @ (x + (y + (B @ (z + w)))))"
    res = rewrite_graph(test_at, include=[], custom_rewrite=dot_distribute_rewrite, clone=False)
    assert graft.pprint(res) == "((A @ x) + ((A @ y) + ((A @ (B @ z)) + (A @ (B @ w)))))"
    # clone=False rewrote the inner nodes in place: the guide shows this state of test_at.
    assert graft.pprint(test_at) == "(A @ (x + (y + ((B @ z) + (B @ w)))))"

    rev_res = rewrite_graph(res, include=[], custom_rewrite=dot_gather_rewrite, clone=False)
    assert graft.pprint(rev_res) == "(A @ (x + (y + (B @ (z + w)))))"
