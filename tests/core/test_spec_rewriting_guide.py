"""The scalar examples of the graph-rewriting guide, run as written (aesara -> graft)."""

from __future__ import annotations

import doctest
import re
import textwrap

import pytest

import graft
from graft.graph.features import ReplaceValidate
from graft.graph.rewriting.basic import GraphRewriter, NodeRewriter
from graft.scalar import add, float64, mul, true_div


class Simplify(GraphRewriter):
    def add_requirements(self, fgraph):
        fgraph.attach_feature(ReplaceValidate())

    def apply(self, fgraph):
        for node in fgraph.toposort():
            if node.op == true_div:
                x, y = node.inputs
                z = node.outputs[0]
                if x.owner and x.owner.op == mul:
                    a, b = x.owner.inputs
                    if y == a:
                        fgraph.replace_validate(z, b)
                    elif y == b:
                        fgraph.replace_validate(z, a)


class LocalSimplify(NodeRewriter):
    def transform(self, fgraph, node):
        if node.op == true_div:
            x, y = node.inputs
            if x.owner and x.owner.op == mul:
                a, b = x.owner.inputs
                if y == a:
                    return [b]
                elif y == b:
                    return [a]
        return False

    def tracks(self):
        return [true_div]


def run_doctest(text: str, globs: dict) -> None:
    """Run ``>>>`` examples with ELLIPSIS, failing the test on any mismatch."""
    parser = doctest.DocTestParser()
    test = parser.get_doctest(textwrap.dedent(text), globs, "guide", None, 0)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    out: list[str] = []
    runner.run(test, out=out.append)
    assert runner.failures == 0, "".join(out)


# The guide's example graph, built as each of its examples starts.
XYZ_GRAPH = """
        >>> x = float64('x')
        >>> y = float64('y')
        >>> z = float64('z')
        >>> a = add(z, mul(true_div(mul(y, x), y), true_div(z, x)))
        >>> e = graft.graph.fg.FunctionGraph([x, y, z], [a])
        >>> e
        FunctionGraph(add(z, mul(true_div(mul(y, x), y), true_div(z, x))))"""


def test_graph_rewriter_simplify():
    simplify = Simplify()
    run_doctest(
        XYZ_GRAPH
        + """
        >>> simplify.rewrite(e)
        >>> e
        FunctionGraph(add(z, mul(x, true_div(z, x))))
        """,
        {**globals(), "simplify": simplify},
    )


def test_merge_then_simplify():
    simplify = Simplify()
    run_doctest(
        """
        >>> x = float64('x')
        >>> y = float64('y')
        >>> z = float64('z')
        >>> a = true_div(mul(add(y, z), x), add(y, z))
        >>> e = graft.graph.fg.FunctionGraph([x, y, z], [a])
        >>> e
        FunctionGraph(true_div(mul(add(y, z), x), add(y, z)))
        >>> simplify.rewrite(e)
        >>> e
        FunctionGraph(true_div(mul(add(y, z), x), add(y, z)))
        >>> from graft.graph.rewriting.basic import MergeOptimizer
        >>> MergeOptimizer().rewrite(e)  # doctest: +ELLIPSIS
        (0, ..., None, None, {}, 1, 0)
        >>> e
        FunctionGraph(true_div(mul(*1 -> add(y, z), x), *1))
        >>> simplify.rewrite(e)
        >>> e
        FunctionGraph(x)
        """,
        {**globals(), "simplify": simplify},
    )


def test_local_simplify_with_walking_rewriter():
    local_simplify = LocalSimplify()
    run_doctest(
        XYZ_GRAPH
        + """
        >>> simplify = graft.graph.rewriting.basic.WalkingGraphRewriter(local_simplify)
        >>> simplify.rewrite(e)
        (<graft.graph.rewriting.basic.WalkingGraphRewriter object at 0x...>, 1, 5, 3, ..., ..., ...)
        >>> e
        FunctionGraph(add(z, mul(x, true_div(z, x))))
        """,
        {**globals(), "local_simplify": local_simplify},
    )


def test_substitution_removal_and_pattern_rewriters():
    from graft.graph.fg import FunctionGraph
    from graft.graph.rewriting.basic import (
        PatternNodeRewriter,
        RemovalNodeRewriter,
        SubstitutionNodeRewriter,
        WalkingGraphRewriter,
    )
    from graft.scalar import identity

    add_to_mul = SubstitutionNodeRewriter(add, mul)
    remove_identity = RemovalNodeRewriter(identity)
    local_simplify_1 = PatternNodeRewriter((true_div, (mul, "x", "y"), "y"), "x")
    local_simplify_2 = PatternNodeRewriter((true_div, (mul, "x", "y"), "x"), "y")

    x, y, z = float64("x"), float64("y"), float64("z")
    e = FunctionGraph([x, y, z], [add(identity(x), y)])
    WalkingGraphRewriter(remove_identity).rewrite(e)
    assert str(e) == "FunctionGraph(add(x, y))"
    WalkingGraphRewriter(add_to_mul).rewrite(e)
    assert str(e) == "FunctionGraph(mul(x, y))"

    e = FunctionGraph([x, y, z], [add(z, mul(true_div(mul(y, x), y), true_div(mul(z, x), z)))])
    # (y * x) / y: "x" binds y and "y" binds x, so only the second pattern applies.
    WalkingGraphRewriter(local_simplify_1).rewrite(e)
    assert str(e) == "FunctionGraph(add(z, mul(true_div(mul(y, x), y), true_div(mul(z, x), z))))"
    WalkingGraphRewriter(local_simplify_2).rewrite(e)
    assert str(e) == "FunctionGraph(add(z, mul(x, x)))"
    e = FunctionGraph([x, y, z], [true_div(mul(x, y), y)])
    WalkingGraphRewriter(local_simplify_1).rewrite(e)
    assert str(e) == "FunctionGraph(x)"


def test_pattern_rewriter_respects_other_clients():
    from graft.graph.fg import FunctionGraph
    from graft.graph.rewriting.basic import PatternNodeRewriter, WalkingGraphRewriter

    x, y = float64("x"), float64("y")
    m = mul(x, y)
    e = FunctionGraph([x, y], [true_div(m, y), m], clone=False)
    rw = PatternNodeRewriter((true_div, (mul, "x", "y"), "y"), "x")
    WalkingGraphRewriter(rw).rewrite(e)
    # mul(x, y) is also an output, so rewriting would not remove it: the match is refused.
    assert str(e) == "FunctionGraph(true_div(*1 -> mul(x, y), y), *1)"
    rw2 = PatternNodeRewriter((true_div, (mul, "x", "y"), "y"), "x", allow_multiple_clients=True)
    WalkingGraphRewriter(rw2).rewrite(e)
    assert str(e) == "FunctionGraph(x, mul(x, y))"


def test_pattern_constraints_and_constants():
    from graft.graph.basic import Constant
    from graft.graph.fg import FunctionGraph
    from graft.graph.rewriting.basic import PatternNodeRewriter, WalkingGraphRewriter
    from graft.scalar import log, log1p

    x = float64("x")
    rw = PatternNodeRewriter((log, (add, 1, "x")), (log1p, "x"))
    e = FunctionGraph([x], [log(add(1.0, x))])
    WalkingGraphRewriter(rw).rewrite(e)
    assert str(e) == "FunctionGraph(log1p(x))"
    e = FunctionGraph([x], [log(add(2.0, x))])
    WalkingGraphRewriter(rw).rewrite(e)
    assert str(e) == "FunctionGraph(log(add(2.0, x)))"

    not_const = {"pattern": "y", "constraint": lambda v: not isinstance(v, Constant)}
    rw = PatternNodeRewriter((mul, "x", not_const), (mul, not_const, "x"))
    e = FunctionGraph([x], [mul(2.0, x)])
    WalkingGraphRewriter(rw).rewrite(e)
    assert str(e) == "FunctionGraph(mul(x, 2.0))"
    e = FunctionGraph([x], [mul(x, 2.0)])
    WalkingGraphRewriter(rw).rewrite(e)
    assert str(e) == "FunctionGraph(mul(x, 2.0))"


def test_unify_reify_and_cons():
    from cons import cons
    from etuples import etuple
    from etuples.core import ExpressionTuple
    from unification import reify, unify, var

    import graft.graph.rewriting.unify

    def pretty(obj):
        # The guide shows IPython's display: etuples as e(...), other objects by repr.
        if isinstance(obj, ExpressionTuple):
            return f"e({', '.join(pretty(a) for a in obj)})"
        if isinstance(obj, dict):
            return "{" + ", ".join(f"{pretty(k)}: {pretty(v)}" for k, v in obj.items()) + "}"
        return repr(obj)

    x, y, z = float64("x"), float64("y"), float64("z")
    y_lv = var()
    assert re.fullmatch(r"~_\d+", repr(y_lv))
    s = unify(add(x, y), etuple(add, x, y_lv))
    assert s == {y_lv: y}
    assert repr(s) == f"{{{y_lv!r}: y}}"
    res = reify(etuple(add, y_lv, y_lv), s)
    assert re.fullmatch(r"e\(<graft\.scalar\.basic\.Add at 0x[0-9a-f]+>, y, y\)", pretty(res))
    assert repr(res.evaled_obj) == "add.0"
    assert graft.dprint(res.evaled_obj, file="str") == "add [id A] ''\n |y [id B]\n |y [id B]\n"

    op_lv, args_lv = var(), var()
    s = unify(cons(op_lv, args_lv), add(x, y))
    assert s[op_lv] == add and pretty(s[args_lv]) == "e(x, y)"
    s = unify(cons(op_lv, args_lv), add(x, y, z))
    assert s[op_lv] == add and pretty(s[args_lv]) == "e(x, y, z)"
    assert re.fullmatch(
        r"\{~_\d+: <graft\.scalar\.basic\.Add at 0x[0-9a-f]+>, ~_\d+: e\(x, y, z\)\}", pretty(s)
    )
    res = reify(cons(mul, args_lv), s)
    assert re.fullmatch(r"e\(<graft\.scalar\.basic\.Mul at 0x[0-9a-f]+>, x, y, z\)", pretty(res))
    assert graft.dprint(res.evaled_obj, file="str") == (
        "mul [id A] ''\n |x [id B]\n |y [id C]\n |z [id D]\n"
    )
    assert unify(add(x, y), etuple(mul, x, y_lv)) is False
    assert unify(x, etuple(add, x, y_lv)) is False


def test_dprint_prints_to_stdout_and_returns_none(capsys):
    x, y = float64("x"), float64("y")
    assert graft.dprint(mul(add(x, y), x)) is None
    assert capsys.readouterr().out == (
        "mul [id A] ''\n |add [id B] ''\n | |x [id C]\n | |y [id D]\n |x [id C]\n"
    )


def test_optdb_examples():
    from graft.compile import optdb
    from graft.graph.rewriting.basic import SequentialGraphRewriter
    from graft.graph.rewriting.db import RewriteDatabaseQuery

    fast_run = optdb.query(RewriteDatabaseQuery(include=["fast_run"]))
    fast_compile = optdb.query(RewriteDatabaseQuery(include=["fast_compile"]))
    fast_run_no_inplace = optdb.query(
        RewriteDatabaseQuery(include=["fast_run"], exclude=["inplace"])
    )
    for rw in (fast_run, fast_compile, fast_run_no_inplace):
        assert isinstance(rw, SequentialGraphRewriter)

    def names(seq):
        return [getattr(r, "name", None) for r in seq.data]

    assert "add_destroy_handler" in names(fast_run)
    assert "add_destroy_handler" not in names(fast_run_no_inplace)
    assert "specialize" in names(fast_run) and "specialize" not in names(fast_compile)


@pytest.mark.parametrize("n", [3])
def test_merge_is_one_pass_over_shared_constants(n):
    from graft.graph.fg import FunctionGraph
    from graft.graph.rewriting.basic import MergeOptimizer

    x = float64("x")
    outs = [mul(add(x, 1.0), add(x, 1.0)) for _ in range(n)]
    e = FunctionGraph([x], outs)
    prof = MergeOptimizer().rewrite(e)
    assert len(e.apply_nodes) == 2
    assert prof[5] >= 1 and prof[6] >= 1
    assert str(e) == "FunctionGraph(*1 -> mul(*2 -> add(x, 1.0), *2), *1, *1)"
