"""Rewrite databases and optdb: tag queries, nesting, positions, errors, and what the rewriters do."""

from __future__ import annotations

import importlib
import io
import math
import subprocess
import sys
from pathlib import Path

import pytest
from graph_ops import add, mul, neg, num

from graft.compile import optdb as global_optdb
from graft.compile.optdb import AddDestroyHandler, OptimizationDB, make_optdb
from graft.graph.fg import FunctionGraph
from graft.graph.rewriting.basic import (
    GraphRewriter,
    MergeOptimizer,
    SequentialGraphRewriter,
    SequentialNodeRewriter,
    WalkingGraphRewriter,
    node_rewriter,
)
from graft.graph.rewriting.db import (
    EquilibriumDB,
    LocalGroupDB,
    ProxyDB,
    RewriteDatabase,
    RewriteDatabaseQuery,
    SequenceDB,
    TopoDB,
)
from graft.graph.rewriting.equilibrium import EquilibriumGraphRewriter

# graft.compile re-exports the optdb object under the submodule's name, so
# ``import graft.compile.optdb as m`` would give the object: fetch the module.
optdb_module = importlib.import_module("graft.compile.optdb")
SRC = Path(__file__).resolve().parents[2] / "packages" / "core" / "src"


# -- helpers -----------------------------------------------------------------


class Recorder(GraphRewriter):
    """Appends its label to ``log`` when applied."""

    def __init__(self, log: list[str], label: str) -> None:
        self.log = log
        self.label = label

    def apply(self, fgraph):
        self.log.append(self.label)


def make_neg_neg():
    @node_rewriter([neg])
    def local_neg_neg(fgraph, node):
        x = node.inputs[0]
        if x.owner is not None and x.owner.op == neg:
            return [x.owner.inputs[0]]
        return False

    return local_neg_neg


def make_add_self_to_mul():
    @node_rewriter([add])
    def local_add_self(fgraph, node):
        if len(node.inputs) == 2 and node.inputs[0] is node.inputs[1]:
            return [mul(num.make_constant(2.0), node.inputs[0])]
        return False

    return local_add_self


def make_mul_to_add():
    """Undoes `make_add_self_to_mul` (``mul(2, x) -> add(x, x)``)."""

    @node_rewriter([mul])
    def local_mul_two(fgraph, node):
        c, x = node.inputs
        if getattr(c, "data", None) == 2.0:
            return [add(x, x)]
        return False

    return local_mul_two


def graph_neg_neg_add():
    """``neg(neg(add(x, x)))`` as a FunctionGraph."""
    x = num("x")
    return FunctionGraph([x], [neg(neg(add(x, x)))])


def out_ops(fg):
    """The op names along the first-input chain from the output."""
    names, v = [], fg.outputs[0]
    while v.owner is not None:
        names.append(v.owner.op.name)
        v = v.owner.inputs[-1]
    return names


def names_of(rewriter):
    return [getattr(r, "name", None) for r in rewriter.data]


def nested_db():
    """SequenceDB: rec0 (0) -> eq (1: neg_neg, add_self[unsafe]) -> rec2 (2, 'slow')."""
    log: list[str] = []
    top = SequenceDB()
    top.register("rec0", Recorder(log, "rec0"), "fast_run", position=0)
    eq = EquilibriumDB()
    top.register("eq", eq, "fast_run", "eq_db", position=1)
    eq.register("neg_neg", make_neg_neg(), "fast_run", "stable")
    eq.register("add_self", make_add_self_to_mul(), "fast_run", "unsafe")
    top.register("rec2", Recorder(log, "rec2"), "fast_run", "slow", position=2)
    return top, eq, log


# -- RewriteDatabaseQuery ----------------------------------------------------


def test_query_object_refinements_are_new_and_str_is_readable():
    q = RewriteDatabaseQuery(include=["fast_run"])
    q2 = q.including("a").requiring("b").excluding("inplace")
    assert q.include == {"fast_run"} and not q.require and not q.exclude
    assert q2.include == {"fast_run", "a"} and q2.require == {"b"} and q2.exclude == {"inplace"}
    assert str(q2) == (
        "RewriteDatabaseQuery(include=['a', 'fast_run'], require=['b'], exclude=['inplace'])"
    )
    cut = RewriteDatabaseQuery("fast_run", position_cutoff=2, subquery={"eq": q})
    assert cut.include == {"fast_run"}  # a lone str is one tag, not its characters
    assert "position_cutoff=2.0" in str(cut) and "'eq': RewriteDatabaseQuery(" in str(cut)
    assert cut.excluding("x").subquery == {"eq": q} and cut.excluding("x").position_cutoff == 2
    with pytest.raises(TypeError, match="subquery"):
        RewriteDatabaseQuery(["a"], subquery={"eq": ["b"]})
    with pytest.raises(TypeError, match="must be str"):
        RewriteDatabaseQuery([1])


# -- selection ---------------------------------------------------------------


def test_include_one_require_all_exclude_none():
    db = RewriteDatabase()
    rws = {n: Recorder([], n) for n in "abcd"}
    db.register("a", rws["a"], "fast_run", "stable")
    db.register("b", rws["b"], "fast_run", "inplace")
    db.register("c", rws["c"], "fast_compile", "stable")
    db.register("d", rws["d"], "fast_run", "stable", "gpu")

    def sel(**kw):
        return [r.label for r in db.query(RewriteDatabaseQuery(**kw))]

    assert sel(include=["fast_run"]) == ["a", "b", "d"]  # registration order
    assert sel(include=["fast_run", "fast_compile"]) == ["a", "b", "c", "d"]
    assert sel(include=["fast_run", "fast_compile"], require=["stable"]) == ["a", "c", "d"]
    assert sel(include=["fast_run"], require=["stable", "gpu"]) == ["d"]
    assert sel(include=["fast_run"], exclude=["inplace", "gpu"]) == ["a"]
    assert sel(include=["c"]) == ["c"]  # a name is a tag
    assert sel(include=["nope"]) == []
    assert sel(include=[], require=["stable"]) == []  # include is the starting point


def test_string_tags_plus_minus_ampersand_and_bare():
    db = RewriteDatabase()
    db.register("a", Recorder([], "a"), "fast_run", "stable")
    db.register("b", Recorder([], "b"), "fast_run", "inplace")
    db.register("c", Recorder([], "c"), "fast_compile")
    labels = lambda res: [r.label for r in res]  # noqa: E731
    assert labels(db.query("+fast_run", "-inplace")) == ["a"]
    assert labels(db.query("fast_run", "fast_compile", "-stable")) == ["b", "c"]
    assert labels(db.query("fast_run", "&stable")) == ["a"]
    with pytest.raises(TypeError, match="one RewriteDatabaseQuery or tag strings"):
        db.query(RewriteDatabaseQuery(["fast_run"]), "-inplace")
    with pytest.raises(TypeError, match="must be str"):
        db.query(3)


def test_add_and_remove_tags_change_the_selection():
    db = RewriteDatabase()
    db.register("a", Recorder([], "a"), "fast_run")
    db.add_tags("a", "inplace")
    assert db.query("fast_run", "-inplace") == []
    db.remove_tags("a", "inplace")
    assert len(db.query("fast_run", "-inplace")) == 1
    with pytest.raises(ValueError, match="own name"):
        db.remove_tags("a", "a")
    db.register("b", Recorder([], "b"))
    with pytest.raises(ValueError, match=r"'b'.*another entry's name"):
        db.add_tags("a", "b")
    with pytest.raises(KeyError, match="'zz'"):
        db.add_tags("zz", "x")


def test_nested_sequence_and_equilibrium_select_and_rewrite():
    top, _, log = nested_db()
    rw = top.query(RewriteDatabaseQuery(include=["fast_run"], exclude=["unsafe", "slow"]))
    assert isinstance(rw, SequentialGraphRewriter) and names_of(rw) == ["rec0", "eq"]
    inner = rw.data[1]
    assert isinstance(inner, EquilibriumGraphRewriter) and inner.name == "eq"
    assert [r.name for r in inner.node_rewriters] == ["neg_neg"]
    fg = graph_neg_neg_add()
    rw.rewrite(fg)
    assert log == ["rec0"] and out_ops(fg) == ["add"]

    rw = top.query(RewriteDatabaseQuery(include=["fast_run"]))
    assert names_of(rw) == ["rec0", "eq", "rec2"]
    assert [r.name for r in rw.data[1].node_rewriters] == ["neg_neg", "add_self"]
    fg = graph_neg_neg_add()
    rw.rewrite(fg)
    assert out_ops(fg) == ["mul"] and log == ["rec0", "rec0", "rec2"]


def test_subquery_replaces_the_query_for_that_sub_database_only():
    top, _, _ = nested_db()
    q = RewriteDatabaseQuery(["fast_run"], subquery={"eq": RewriteDatabaseQuery(["unsafe"])})
    rw = top.query(q)
    assert names_of(rw) == ["rec0", "eq", "rec2"]
    assert [r.name for r in rw.data[1].node_rewriters] == ["add_self"]
    fg = graph_neg_neg_add()
    rw.rewrite(fg)
    assert out_ops(fg) == ["neg", "neg", "mul"]
    # keyword form of query(): sub-database name -> query
    rw = top.query("fast_run", eq=RewriteDatabaseQuery(["stable"]))
    assert [r.name for r in rw.data[1].node_rewriters] == ["neg_neg"]


def test_a_sub_database_is_selected_by_its_name_or_tags_or_excluded_whole():
    top, eq, _ = nested_db()
    # its name selects it in the parent and, as a tag of every entry, all of its content
    rw = top.query("eq")
    assert names_of(rw) == ["eq"]
    assert [r.name for r in rw.data[0].node_rewriters] == ["neg_neg", "add_self"]
    # a tag of the sub-database selects it; the same query then filters its entries
    rw = top.query("eq_db")
    assert names_of(rw) == ["eq"] and rw.data[0].node_rewriters == []
    assert names_of(top.query("fast_run", "-eq_db")) == ["rec0", "rec2"]
    # registered later: still tagged with the sub-database's name
    eq.register("late", make_neg_neg())
    assert [r.name for r in top.query("eq").data[0].node_rewriters][-1] == "late"
    eq.register("untagged", make_neg_neg(), use_db_name_as_tag=False)
    assert "untagged" not in [r.name for r in top.query("eq").data[0].node_rewriters]


# -- SequenceDB positions ----------------------------------------------------


def test_positions_order_ties_by_name_last_and_cutoff():
    log: list[str] = []
    db = SequenceDB()
    db.register("c", Recorder(log, "c"), "t", position=2)
    db.register("b", Recorder(log, "b"), "t", position=0.5)
    db.register("a", Recorder(log, "a"), "t", position=2)  # same position: by name
    db.register("z", Recorder(log, "z"), "t")  # "last": after the highest so far
    db.register("m", Recorder(log, "m"), "t", position=-1)
    assert db.__position__ == {"c": 2, "b": 0.5, "a": 2, "z": 3, "m": -1}
    rw = db.query("t")
    assert names_of(rw) == ["m", "b", "a", "c", "z"]
    rw.rewrite(graph_neg_neg_add())
    assert log == ["m", "b", "a", "c", "z"]
    assert names_of(db.query(RewriteDatabaseQuery(["t"], position_cutoff=2))) == ["m", "b"]
    assert names_of(db.query(RewriteDatabaseQuery(["t"], position_cutoff=2.5))) == [
        "m",
        "b",
        "a",
        "c",
    ]
    with pytest.raises(TypeError, match="number or 'last'"):
        db.register("bad", Recorder(log, "bad"), position="first")
    with pytest.raises(ValueError, match="NaN"):
        db.register("bad", Recorder(log, "bad"), position=math.nan)
    assert "bad" not in db  # a rejected registration leaves nothing behind


def test_cutoff_and_extra_rewrites_apply_to_the_queried_database_only():
    log: list[str] = []
    top = SequenceDB()
    sub = SequenceDB()
    top.register("sub", sub, "t", position=1)
    sub.register("s5", Recorder(log, "s5"), "t", position=5)
    top.register("late", Recorder(log, "late"), "t", position=10)
    extra = Recorder(log, "extra")
    extra.name = "extra"
    q = RewriteDatabaseQuery(["t"], position_cutoff=3).register((extra, 0.5))
    rw = top.query(q)
    assert names_of(rw) == ["extra", "sub"]
    assert names_of(rw.data[1]) == ["s5"]  # the sub-database's positions are its own
    rw.rewrite(graph_neg_neg_add())
    assert log == ["extra", "s5"]


def test_node_rewriter_in_a_sequence_is_walked_in2out_under_its_name():
    db = SequenceDB()
    db.register("neg_neg", make_neg_neg(), "fast_run", position=1)
    rw = db.query("fast_run")
    (walker,) = rw.data
    assert isinstance(walker, WalkingGraphRewriter) and walker.order == "in_to_out"
    assert walker.name == "neg_neg"
    fg = graph_neg_neg_add()
    rw.rewrite(fg)
    assert out_ops(fg) == ["add"]


def test_queries_see_later_registrations_and_unregister():
    db = SequenceDB()
    db.register("a", Recorder([], "a"), "t", position=1)
    first = db.query("t")
    db.register("b", Recorder([], "b"), "t", position=0)
    assert names_of(first) == ["a"] and names_of(db.query("t")) == ["b", "a"]
    db.unregister("b")
    assert names_of(db.query("t")) == ["a"] and "b" not in db.__position__
    db.register("b", Recorder([], "b"), "other", position=5)  # the name is free again
    assert names_of(db.query("other")) == ["b"]
    with pytest.raises(KeyError):
        db.unregister("nope")


# -- registration errors and lookups -----------------------------------------


def test_name_clash_names_the_name_the_database_and_the_existing_entry():
    db = EquilibriumDB()
    SequenceDB().register("canon", db)
    db.register("neg_neg", make_neg_neg(), "fast_run")
    with pytest.raises(ValueError) as err:
        db.register("neg_neg", make_add_self_to_mul())
    msg = str(err.value)
    assert "cannot register FromFunctionNodeRewriter 'local_add_self'" in msg
    assert "'neg_neg' in EquilibriumDB 'canon'" in msg
    assert "as FromFunctionNodeRewriter 'neg_neg' (test_rewriting_db.make_neg_neg." in msg
    with pytest.raises(ValueError, match=r"'fast_run'.*already a tag of 'neg_neg'"):
        db.register("fast_run", make_neg_neg())
    with pytest.raises(ValueError, match="another entry's name"):
        db.register("other", make_neg_neg(), "neg_neg")
    assert db.names() == ["neg_neg"]


def test_register_rejects_wrong_objects_names_and_keywords():
    db = SequenceDB()
    with pytest.raises(TypeError, match=r"cannot store 'f'.*function.*GraphRewriter"):
        db.register("f", lambda fg: None)
    with pytest.raises(TypeError, match="names must be str"):
        db.register(1, Recorder([], "x"))
    with pytest.raises(ValueError, match="non-empty"):
        db.register("", Recorder([], "x"))
    with pytest.raises(TypeError, match="must be str"):
        db.register("x", Recorder([], "x"), 3)
    with pytest.raises(TypeError, match=r"unexpected keyword.*'position'"):
        EquilibriumDB().register("x", make_neg_neg(), position=1)
    with pytest.raises(TypeError, match="NodeRewriter or RewriteDatabase"):
        LocalGroupDB().register("g", Recorder([], "g"))
    assert len(db) == 0


def test_getitem_contains_names_and_iteration():
    db = SequenceDB()
    rw = Recorder([], "x")
    db.register("merge_early", rw, "t", position=0)
    db.register("canon", EquilibriumDB(), "t", position=1)
    assert db["merge_early"] is rw and rw.name == "merge_early"  # registration names it
    assert db["canon"].name == "canon"
    assert "canon" in db and "t" not in db and 3 not in db
    assert db.names() == list(db) == ["merge_early", "canon"] and len(db) == 2
    with pytest.raises(KeyError) as err:
        db["merge_erly"]
    msg = str(err.value)
    assert "'merge_erly'" in msg and "did you mean 'merge_early'" in msg
    assert "known: canon, merge_early" in msg


def test_a_database_registered_twice_needs_a_proxy():
    canon = EquilibriumDB()
    canon.register("neg_neg", make_neg_neg(), "fast_run")
    top = SequenceDB()
    top.register("canonicalize", canon, "fast_run", position=1)
    with pytest.raises(ValueError, match="ProxyDB"):
        top.register("canonicalize_again", canon, "fast_run", position=3)
    proxy = ProxyDB(canon)
    top.register("canonicalize_again", proxy, "fast_run", position=3)
    assert canon.name == "canonicalize" and proxy.name == "canonicalize_again"
    rw = top.query("fast_run")
    assert names_of(rw) == ["canonicalize", "canonicalize"]  # the same db, queried twice
    assert rw.data[0] is not rw.data[1]
    # selecting the proxy by name selects all of the wrapped content
    (only,) = top.query("canonicalize_again").data
    assert [r.name for r in only.node_rewriters] == ["neg_neg"]
    # registering through the proxy reaches the wrapped database
    proxy.register("add_self", make_add_self_to_mul(), "fast_run")
    assert "add_self" in canon and proxy["add_self"] is canon["add_self"]


# -- EquilibriumDB -----------------------------------------------------------


def test_equilibrium_final_cleanup_and_max_use_ratio(monkeypatch):
    import graft.graph.rewriting.db as dbmod

    eq = EquilibriumDB(ignore_newtrees=False, tracks_on_change_inputs=True)
    SequenceDB().register("canon", eq)
    neg_neg, add_self = make_neg_neg(), make_add_self_to_mul()
    fold = make_neg_neg()
    eq.register("neg_neg", neg_neg, "fast_run")
    eq.register("add_self", add_self, "fast_run", final_rewriter=True)
    eq.register("fold", fold, "fast_run", cleanup=True)
    rw = eq.query("fast_run")
    assert rw.name == "canon"
    assert rw.node_rewriters == [neg_neg]
    assert rw.final_rewriters == [add_self] and rw.cleanup_rewriters == [fold]
    assert rw.ignore_newtrees is False and rw.tracks_on_change_inputs is True
    assert rw.max_use_ratio == 8
    monkeypatch.setattr(dbmod, "DEFAULT_MAX_USE_RATIO", 3.0)
    assert eq.query("fast_run").max_use_ratio == 3.0
    eq.max_use_ratio = 20
    assert eq.query("fast_run").max_use_ratio == 20
    fg = graph_neg_neg_add()
    rw.rewrite(fg)
    assert out_ops(fg) == ["mul"]
    with pytest.raises(ValueError, match="both"):
        eq.register("x", make_neg_neg(), final_rewriter=True, cleanup=True)
    with pytest.raises(TypeError, match="final rewriter 'x' must be a NodeRewriter"):
        eq.register("x", Recorder([], "x"), final_rewriter=True)
    out = io.StringIO()
    eq.print_summary(out)
    assert "add_self" in out.getvalue() and "[final]" in out.getvalue()


def test_equilibrium_stops_rewriters_that_undo_each_other():
    eq = EquilibriumDB()
    eq.register("add_self", make_add_self_to_mul(), "t")
    eq.register("mul_two", make_mul_to_add(), "t")
    eq.max_use_ratio = 2
    with pytest.warns(RuntimeWarning, match="max_use_ratio"):
        eq.query("t").rewrite(graph_neg_neg_add())


# -- LocalGroupDB, TopoDB ----------------------------------------------------


def test_local_group_is_one_node_rewriter_in_position_order():
    group = LocalGroupDB()
    neg_neg, add_self = make_neg_neg(), make_add_self_to_mul()
    group.register("add_self", add_self, "fast_run", position=2)
    group.register("neg_neg", neg_neg, "fast_run", "stable", position=1)
    rw = group.query("fast_run")
    assert isinstance(rw, SequentialNodeRewriter) and rw.rewriters == [neg_neg, add_self]
    assert group.query("stable").rewriters == [neg_neg]
    eq = EquilibriumDB()
    eq.register("group", group, "fast_run")
    fg = graph_neg_neg_add()
    eq.query("fast_run").rewrite(fg)
    assert out_ops(fg) == ["mul"]


def test_topo_db_walks_a_group_in_the_given_order():
    group = LocalGroupDB()
    topo = TopoDB(group, order="out_to_in")
    topo.register("neg_neg", make_neg_neg(), "fast_run")  # goes to the group
    assert "neg_neg" in group
    top = SequenceDB()
    top.register("walk", topo, "fast_run", position=1)
    assert group.name == "walk"  # an unnamed db takes the TopoDB's name
    rw = top.query("fast_run")
    (walker,) = rw.data
    assert isinstance(walker, WalkingGraphRewriter)
    assert walker.order == "out_to_in" and walker.name == "walk"
    fg = graph_neg_neg_add()
    rw.rewrite(fg)
    assert out_ops(fg) == ["add"]
    assert top.query("walk").data[0].node_rewriter.rewriters[0].name == "neg_neg"
    with pytest.raises(ValueError, match="order"):
        TopoDB(group, order="sideways")
    with pytest.raises(TypeError, match="node rewriter"):
        TopoDB(SequenceDB()).query("t")


# -- optdb -------------------------------------------------------------------


SKELETON = [
    ("merge1", 0),
    ("canonicalize", 1),
    ("stabilize", 1.5),
    ("specialize", 2),
    ("merge2", 49),
    ("add_destroy_handler", 49.5),
    ("merge3", 100),
]


def test_optdb_skeleton_positions_and_tags():
    db = make_optdb(load_plugins=False)
    assert [(n, db.__position__[n]) for n in db.names()] == SKELETON
    assert isinstance(db["merge1"], MergeOptimizer)
    assert isinstance(db["add_destroy_handler"], AddDestroyHandler)
    for name in ("canonicalize", "stabilize", "specialize"):
        assert isinstance(db[name], EquilibriumDB) and db[name].name == name
    assert [r.name for r in db.query("merge").data] == ["merge1", "merge2", "merge3"]
    assert names_of(db.query("canonicalize_db")) == ["canonicalize"]
    assert names_of(db.query("specialize_db")) == ["specialize"]
    assert isinstance(global_optdb, OptimizationDB)
    assert optdb_module.canonicalize is global_optdb["canonicalize"]
    assert optdb_module.stabilize is global_optdb["stabilize"]
    assert optdb_module.specialize is global_optdb["specialize"]
    out = io.StringIO()
    db.print_summary(out)
    text = out.getvalue()
    assert "49.5" in text and "add_destroy_handler" in text and "EquilibriumDB 'stabilize'" in text


def test_spec_examples_fast_run_fast_compile_no_inplace():
    db = make_optdb(load_plugins=False)
    fast_run = db.query(RewriteDatabaseQuery(include=["fast_run"]))
    assert isinstance(fast_run, SequentialGraphRewriter) and fast_run.name == "optdb"
    assert names_of(fast_run) == [n for n, _ in SKELETON]
    fast_compile = db.query(RewriteDatabaseQuery(include=["fast_compile"]))
    assert names_of(fast_compile) == ["merge1", "canonicalize"]
    no_inplace = db.query(RewriteDatabaseQuery(include=["fast_run"], exclude=["inplace"]))
    assert "add_destroy_handler" not in names_of(no_inplace)
    assert names_of(no_inplace) == [n for n, _ in SKELETON if n != "add_destroy_handler"]


def test_spec_example_register_simplify_and_compile_a_graph():
    db = make_optdb(load_plugins=False)
    log: list[str] = []
    simplify = Recorder(log, "simplify")
    db.register("simplify", simplify, "fast_run", position=0.5)
    db["canonicalize"].register("neg_neg", make_neg_neg(), "fast_run", "fast_compile")
    rw = db.query(RewriteDatabaseQuery(include=["fast_run"]))
    assert names_of(rw)[:3] == ["merge1", "simplify", "canonicalize"]
    x = num("x")
    a, b = add(x, x), add(x, x)  # merged by merge1
    fg = FunctionGraph([x], [neg(neg(mul(a, b)))])
    rw.rewrite(fg)
    assert log == ["simplify"]
    (out,) = fg.outputs
    assert out.owner.op == mul and out.owner.inputs[0] is out.owner.inputs[1]
    assert len(fg.apply_nodes) == 2
    assert "simplify" not in global_optdb  # the global optdb is untouched


def test_optdb_query_loads_plugins_once_without_recursion(monkeypatch):
    import graft.plugins

    db = make_optdb()
    calls = []

    def fake_ensure_loaded():
        calls.append(1)
        db.query("fast_run")  # a plugin querying while plugins load

    monkeypatch.setattr(graft.plugins, "ensure_loaded", fake_ensure_loaded)
    assert names_of(db.query("fast_compile")) == ["merge1", "canonicalize"]
    assert calls == [1]
    db.query(RewriteDatabaseQuery(["fast_run"]))
    assert calls == [1, 1]  # every query asks (ensure_loaded is cheap once loaded)
    make_optdb(load_plugins=False).query("fast_run")
    assert calls == [1, 1]


def test_add_destroy_handler_attaches_exactly_one():
    from graft.graph.destroyhandler import DestroyHandler

    fg = graph_neg_neg_add()
    AddDestroyHandler().rewrite(fg)
    AddDestroyHandler().rewrite(fg)
    handlers = [f for f in fg._features if isinstance(f, DestroyHandler)]
    assert len(handlers) == 1


def test_importing_graft_compile_loads_no_plugin_machinery():
    code = (
        "import sys, graft.compile\n"
        "bad = [m for m in ('pluggy', 'importlib.metadata') if m in sys.modules]\n"
        "assert not bad, bad\n"
    )
    env = {"PYTHONPATH": str(SRC), "PATH": "/usr/bin:/bin"}
    subprocess.run([sys.executable, "-c", code], check=True, env=env)
