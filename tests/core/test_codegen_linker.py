"""The whole-graph base of compiled backends (`graft.link.codegen`), through a toy backend
that generates Python: segments and Python fallback steps, errors that name the Op,
derived identifiers only, the content-addressed disk cache, the fallback policy."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import graft
import graft.tensor as gt
from graft.compile import Mode
from graft.link.basic import UnsupportedOpError
from graft.link.codegen import (
    BackendFallbackWarning,
    CodegenLinker,
    Emitter,
    comment,
    load_python_module,
)
from graft.link.dispatch import RuleConflictError, RuleTable
from graft.tensor.elemwise import CAReduce, Elemwise


class ToyGen(CodegenLinker):
    """Elemwise and CAReduce as generated calls of the ops' own perform; nothing else."""

    name = "toygen"
    rules: RuleTable = RuleTable("toygen")
    loaded: list[str] = []

    def load(self, path, source, segments, em):
        type(self).loaded.append(source)
        module = load_python_module(path, source)
        for k, v in em.globals.items():
            setattr(module, k, v)
        return [getattr(module, seg.entry) for seg in segments]


def _via_perform(node, ins, outs, em):
    def run(*values):
        storage = [[None] for _ in node.outputs]
        node.op.perform(node, list(values), storage)
        return tuple(s[0] for s in storage)

    f = em.add_global(run, "perform")
    return [f"{', '.join(outs)}, = {f}({', '.join(ins)})"]


ToyGen.rules.register(Elemwise, CAReduce, rule=_via_perform, owner="tests")


@pytest.fixture(autouse=True)
def private_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("GRAFT_CACHE_DIR", str(tmp_path / "cache"))
    ToyGen.loaded.clear()
    return tmp_path / "cache"


def _mode(opt=None):
    return Mode(linker=ToyGen(), optimizer=opt)


def test_whole_graph_is_one_segment_and_agrees():
    x, y = gt.dvector("x"), gt.dvector("y")
    out = [gt.sum(gt.exp(x) * y), x + y]
    f = graft.function([x, y], out, mode=_mode())
    ref = graft.function([x, y], out, mode=Mode(linker="py", optimizer=None))
    a, b = np.arange(3.0), np.ones(3)
    for got, exp in zip(f(a, b), ref(a, b)):
        np.testing.assert_allclose(got, exp)
    (source,) = ToyGen.loaded
    assert source.count("def graft_segment") == 1


def test_nodes_without_a_rule_run_in_python_with_one_warning():
    x = gt.dmatrix("x")
    out = gt.exp(x).T[1:] * 2  # DimShuffle and Subtensor have no toy rule
    ToyGen.loaded.clear()
    with pytest.warns(BackendFallbackWarning, match="DimShuffle"):
        f = graft.function([x], out, mode=_mode())
    v = np.arange(6.0).reshape(2, 3)
    np.testing.assert_allclose(f(v), np.exp(v).T[1:] * 2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        graft.function([x], out, mode=_mode())  # warned once per Op class


def test_fallback_policy_raise():
    x = gt.dmatrix("x")
    with (
        graft.change_flags(backend_fallback="raise"),
        pytest.raises(UnsupportedOpError, match="Subtensor"),
    ):
        graft.function([x], gt.exp(x)[1:], mode=_mode())


def test_runtime_error_names_the_op_and_shapes():
    x, y = gt.dvector("x"), gt.dvector("y")
    f = graft.function([x, y], gt.exp(x) + y, mode=_mode())
    with pytest.raises(ValueError) as info:
        f(np.ones(3), np.ones(4))
    text = str(info.value)
    assert "add" in text and "(3,)" in text and "(4,)" in text


def test_outputs_that_are_inputs_or_constants():
    x = gt.dvector("x")
    f = graft.function([x], [x, gt.constant(np.arange(2.0)), gt.exp(x)], mode=_mode())
    a, c, e = f(np.zeros(2))
    np.testing.assert_array_equal(a, [0.0, 0.0])
    np.testing.assert_array_equal(c, [0.0, 1.0])
    np.testing.assert_array_equal(e, [1.0, 1.0])


def test_user_names_never_enter_the_source():
    evil = 'x"); import os; os.system("echo pwned") #\n'
    x = gt.dvector(evil)
    graft.function([x], gt.exp(x) * 2, mode=_mode())
    (source,) = ToyGen.loaded
    assert "pwned" not in source and "import os" not in source


def test_source_is_cached_by_content_in_a_private_directory(private_cache):
    x = gt.dvector("x")
    graft.function([x], gt.exp(x), mode=_mode())
    files = sorted(p for p in (private_cache / "toygen").rglob("*.py"))
    assert len(files) == 1
    assert (private_cache / "toygen").stat().st_mode & 0o077 == 0
    # The same graph with other names maps to the same entry.
    y = gt.dvector("other_name")
    graft.function([y], gt.exp(y), mode=_mode())
    assert sorted((private_cache / "toygen").rglob("*.py")) == files


def test_unsafe_cache_directory_is_not_used(private_cache):
    private_cache.mkdir(parents=True)
    (private_cache / "toygen").mkdir(mode=0o777)
    (private_cache / "toygen").chmod(0o777)
    x = gt.dvector("x")
    f = graft.function([x], gt.exp(x), mode=_mode())
    np.testing.assert_allclose(f(np.zeros(1)), [1.0])
    assert not list((private_cache / "toygen").rglob("*.py"))


def test_emitter_and_comment():
    em = Emitter()
    a = em.add_global(np.eye(2), "eye")
    assert em.add_global(em.globals[a], "eye") == a
    assert em.fresh("acc") != em.fresh("acc")
    with pytest.raises(ValueError):
        em.fresh("not an identifier")
    em.add_import("import math")
    em.add_import("import math")
    assert em.imports == ["import math"]
    text = comment("a\nb */ c \u00e9" + "z" * 500)
    assert "\n" not in text and "*/" not in text and len(text) <= 120 and text.isascii()


def test_rule_table_lookup_conflicts_and_coverage():
    table: RuleTable = RuleTable("t")
    table.register(Elemwise, rule="elemwise", owner="a")
    with pytest.raises(RuleConflictError, match=r"a.*b"):
        table.register(Elemwise, rule="other", owner="b")

    class MyElemwise(Elemwise):
        pass

    assert table.lookup(MyElemwise) == "elemwise"
    assert table.owner(MyElemwise) == "a"
    covered, missing = table.coverage([Elemwise, CAReduce])
    assert covered == [Elemwise] and missing == [CAReduce]
    table.register(CAReduce, rule="r", owner="b")
    assert CAReduce in table and len(table) == 2
    with pytest.raises(TypeError):
        table.register(int, rule="x")


def test_large_segments_are_outlined_one_function_per_node():
    class Outlined(ToyGen):
        outline_after = 2

    x = gt.dvector("x")
    out = gt.exp(gt.sin(gt.exp(x)) * x) - x  # five Elemwise nodes (no rewriting)
    ToyGen.loaded.clear()
    f = graft.function([x], out, mode=Mode(linker=Outlined(), optimizer=None))
    v = np.array([0.0, 0.5])
    np.testing.assert_allclose(f(v), np.exp(np.sin(np.exp(v)) * v) - v)
    (source,) = ToyGen.loaded
    assert source.count("def graft_segment0_n") == 5
