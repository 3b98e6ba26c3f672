"""NumbaLinker's policies: rules for a plugin's own Op, generated code numba cannot
compile (Python fallback with a warning, or an error on request), user strings kept out
of the generated source, and the mode name."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("numba")

from graft_backend_numba.linker import RULES, NumbaLinker

import graft
import graft.tensor as gt
from graft.graph.basic import Apply
from graft.graph.op import Op
from graft.link.basic import UnsupportedOpError
from graft.link.codegen import BackendFallbackWarning


class Triple(Op):
    """3 * x, with a Numba rule registered below (as a plugin would)."""

    __props__ = ()

    def make_node(self, x):
        x = gt.as_tensor_variable(x)
        return Apply(self, [x], [x.type()])

    def perform(self, node, inputs, output_storage):
        output_storage[0][0] = inputs[0] * 3


class Broken(Triple):
    """An Op whose rule emits code numba cannot type."""

    def perform(self, node, inputs, output_storage):
        output_storage[0][0] = inputs[0] + 1


@RULES.register(Triple, owner="tests")
def _triple(node, ins, outs, em):
    return [f"{outs[0]} = {ins[0]} * 3"]


@RULES.register(Broken, owner="tests")
def _broken(node, ins, outs, em):
    thing = em.add_global(object(), "opaque")
    return [f"{outs[0]} = {ins[0]} + 1 if {thing} is None else {ins[0]} + 1"]


def test_a_plugin_rule_compiles_natively():
    x = gt.dvector("x")
    with graft.change_flags(backend_fallback="raise"):
        f = graft.function([x], gt.exp(Triple()(x)), mode="NUMBA")
    np.testing.assert_allclose(f(np.arange(3.0)), np.exp(3 * np.arange(3.0)))
    assert f.maker.linker.name == "numba"


def test_code_numba_cannot_compile_runs_in_python_with_a_warning():
    x = gt.dvector("x")
    with pytest.warns(BackendFallbackWarning, match="could not compile"):
        f = graft.function([x], Broken()(x) * 2, mode="NUMBA")
    np.testing.assert_allclose(f(np.arange(3.0)), (np.arange(3.0) + 1) * 2)
    with (
        graft.change_flags(backend_fallback="raise"),
        pytest.raises(UnsupportedOpError, match="could not compile"),
    ):
        graft.function([x], Broken()(x) * 4, mode="NUMBA")


def test_user_strings_stay_out_of_the_generated_source(tmp_path, monkeypatch):
    monkeypatch.setenv("GRAFT_CACHE_DIR", str(tmp_path))
    evil = "x\nimport os; os.system('echo pwned')  # */"
    x = gt.dvector(evil)
    f = graft.function([x], gt.exp(x) + 1, mode="NUMBA")
    np.testing.assert_allclose(f(np.zeros(2)), [2.0, 2.0])
    (source,) = list((tmp_path / "numba").rglob("*.py"))
    text = source.read_text()
    assert "pwned" not in text and "import os" not in text


def test_backend_is_registered_and_excludes_inplace():
    assert NumbaLinker.name == "numba"
    assert "inplace" in NumbaLinker.excluded_rewrite_tags
    x = gt.dvector("x")
    f = graft.function([x], gt.exp(x * 2) + 1, mode="NUMBA")
    assert f.maker.linker.name == "numba"
    assert not any(node.op.destroy_map for node in f.maker.fgraph.apply_nodes)
    np.testing.assert_allclose(f(np.zeros(2)), [2.0, 2.0])


def test_compiled_function_pickles_and_runs_on_numba_again():
    import pickle

    x = gt.dvector("x")
    f = graft.function([x], gt.exp(x) * 2, mode="NUMBA")
    g = pickle.loads(pickle.dumps(f))
    assert g.maker.linker.name == "numba"
    np.testing.assert_allclose(g(np.array([0.0, 1.0])), f(np.array([0.0, 1.0])))
