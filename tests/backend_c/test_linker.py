"""The C backend as a whole: registration and availability, the FASTCALL entry point and its
input checks, Python fallback for Ops without a rule, plugin rules, and errors that name
the Op, the shapes and the user's line."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from c_helpers import C_RAW, needs_c

import graft
import graft.tensor as gt
from graft.compile import Mode
from graft.graph.basic import Apply
from graft.graph.op import Op
from graft.link.codegen import BackendFallbackWarning
from graft.plugins import backends


def test_registered_with_a_low_priority_and_mode_c():
    reg = backends()
    assert "c" in reg.names()
    spec = reg.get("c")
    assert spec.priority < reg.get("py").priority  # FAST_RUN keeps the reference backend
    assert spec.linker == "graft_backend_c.linker:CLinker"


def test_availability_names_what_is_missing(monkeypatch):
    from graft_backend_c import toolchain

    monkeypatch.setenv("PATH", "/nonexistent")
    monkeypatch.delenv("CC", raising=False)
    monkeypatch.setattr(toolchain.sysconfig, "get_config_var", lambda name: None)
    with pytest.raises(RuntimeError, match="C compiler"):
        toolchain.check_available()
    monkeypatch.setattr(toolchain.sysconfig, "get_paths", lambda: {"include": "/nonexistent"})
    with pytest.raises(RuntimeError, match=r"C compiler.*Python's headers"):
        toolchain.check_available()


@needs_c
def test_entry_point_is_a_fastcall_builtin_and_checks_its_arguments():
    x, y = gt.dscalar("x"), gt.dscalar("y")
    f = graft.function([x, y], x * y + 1, mode=C_RAW)
    assert float(f(2.0, 3.0)) == 7.0
    from graft_backend_c.linker import CLinker

    from graft.graph.fg import FunctionGraph

    fg = FunctionGraph([x, y], [x * y + 1], clone=True)
    compiled = CLinker().compile(fg)
    out = compiled.fn(np.array(2.0), np.array(3.0))
    assert float(out[0]) == 7.0
    with pytest.raises(TypeError, match="argument 0 must be a float64 array with 0 dim"):
        compiled.fn(np.array([1.0, 2.0]), np.array(3.0))  # wrong rank, checked in C


class _Twice(Op):
    __props__ = ()

    def make_node(self, x):
        x = gt.as_tensor_variable(x)
        return Apply(self, [x], [x.type()])

    def perform(self, node, inputs, output_storage):
        output_storage[0][0] = inputs[0] * 2


@needs_c
def test_an_op_without_a_rule_runs_through_perform_with_one_warning():
    x = gt.dvector("x")
    out = gt.exp(_Twice()(gt.exp(x) + 1)) - 1
    with pytest.warns(BackendFallbackWarning, match="_Twice"):
        f = graft.function([x], out, mode=C_RAW)
    a = np.linspace(-1, 1, 5)
    np.testing.assert_allclose(f(a), np.exp(2 * (np.exp(a) + 1)) - 1)


@needs_c
def test_a_plugin_rule_replaces_the_fallback():
    from graft_backend_c.linker import CLinker

    class _Thrice(_Twice):
        def perform(self, node, inputs, output_storage):
            output_storage[0][0] = inputs[0] * 3

    def thrice(node, ins, outs, em):
        three = em.add_global(np.array(3.0), "three")
        return [
            f"{outs[0]} = PyNumber_Multiply({ins[0]}, {three});",
            f"if (!{outs[0]}) goto fail;",
        ]

    CLinker.rules.register(_Thrice, rule=thrice, owner="test")
    x = gt.dvector("x")
    with warnings.catch_warnings():
        warnings.simplefilter("error", BackendFallbackWarning)
        f = graft.function([x], _Thrice()(x) + 1, mode=C_RAW)
    np.testing.assert_allclose(f(np.arange(3.0)), 3 * np.arange(3.0) + 1)


@needs_c
def test_a_runtime_error_names_the_op_the_shapes_and_the_user_line():
    x, y = gt.dvector("x"), gt.dvector("y")
    out = gt.exp(x) * y  # the line the error must show
    f = graft.function([x, y], out, mode=Mode(linker="c", optimizer="fast_run"))
    with pytest.raises(ValueError) as info:
        f(np.ones(3), np.ones(4))
    msg = str(info.value)
    assert "(3,)" in msg and "(4,)" in msg
    assert "the line the error must show" in msg
    np.testing.assert_allclose(f(np.ones(2), np.ones(2)), np.e * np.ones(2))


@needs_c
def test_outputs_are_new_buffers_and_arguments_are_untouched():
    x = gt.dvector("x")
    f = graft.function([x], [x * 2, x.dimshuffle("x", 0), x], mode=C_RAW)
    a = np.arange(4.0)
    keep = a.copy()
    r1 = f(a)
    r2 = f(a + 1)
    np.testing.assert_array_equal(a, keep)
    np.testing.assert_array_equal(r1[0], 2 * keep)
    assert not np.shares_memory(r1[0], r2[0])


@needs_c
def test_user_strings_in_op_props_reach_the_source_only_escaped(tmp_path, monkeypatch):
    from graft.raise_op import Assert

    monkeypatch.setenv("GRAFT_CACHE_DIR", str(tmp_path))
    evil = '*/ system("echo pwned"); /*'
    x = gt.dvector(evil)
    f = graft.function([x], Assert(evil)(x * 2, gt.all(gt.gt(x, 0))), mode=C_RAW)
    np.testing.assert_array_equal(f(np.ones(2)), [2.0, 2.0])
    with pytest.raises(AssertionError, match="pwned"):
        f(-np.ones(2))
    (src,) = (tmp_path / "c").rglob("*.c")
    text = src.read_text()
    assert 'system("' not in text
    assert "*/ system" not in text


@needs_c
def test_two_functions_of_one_cached_graph_name_their_own_lines():
    def build():
        x, y = gt.dvector("x"), gt.dvector("y")
        return graft.function([x, y], gt.exp(x) * y, mode=C_RAW), x, y

    f1, *_ = build()
    x, y = gt.dvector("x"), gt.dvector("y")
    f2 = graft.function([x, y], gt.exp(x) * y, mode=C_RAW)  # same graph: the cached module
    assert f1.maker.compiled.fn is not f2.maker.compiled.fn
    with pytest.raises(ValueError, match="in build"):
        f1(np.ones(2), np.ones(3))
    with pytest.raises(ValueError, match=r"f2 = graft\.function"):
        f2(np.ones(2), np.ones(3))
