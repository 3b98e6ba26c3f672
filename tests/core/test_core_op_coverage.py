"""graft-core declares its Ops (``graft_register_ops``), and a rule-based backend's
coverage of them is listed by ``python -m graft plugins``."""

from __future__ import annotations

import graft.plugins
from graft.graph.op import Op
from graft.link.codegen import CodegenLinker
from graft.link.coverage import core_op_classes, coverage
from graft.link.dispatch import RuleTable
from graft.plugins.cli import _coverage
from graft.raise_op import CheckAndRaise
from graft.scalar.basic import ScalarOp
from graft.tensor.elemwise import Elemwise
from graft.tensor.math import Dot


def test_core_op_classes_are_concrete_graph_ops():
    classes = core_op_classes()
    assert Elemwise in classes and Dot in classes and CheckAndRaise in classes
    for cls in classes:
        assert issubclass(cls, Op) and not issubclass(cls, ScalarOp)
        assert cls.perform is not Op.perform
        assert cls.__module__.startswith("graft.")
    assert len(classes) == len(set(classes)) >= 50


def test_builtin_plugin_declares_every_core_op():
    graft.plugins.load()
    declared = {r.op for r in graft.plugins.ops() if r.dist == "graft-core"}
    assert declared == set(core_op_classes())


def test_coverage_of_a_rule_based_backend():
    class Partial(CodegenLinker):
        name = "partial"
        rules: RuleTable = RuleTable("partial")

    Partial.rules.register(Elemwise, rule=lambda *a: None)
    native, fallback = coverage(Partial, core_op_classes())
    assert native == [Elemwise]
    assert Dot in fallback and len(native) + len(fallback) == len(core_op_classes())

    class NoRules:
        pass

    assert coverage(NoRules, [Dot]) == ([Dot], [])


def test_listing_has_no_coverage_for_backends_without_rules():
    graft.plugins.load()
    assert _coverage("py") is None
