"""graft._gc: the young-generation GC threshold is raised while compiling, then restored."""

from __future__ import annotations

import gc

import pytest

import graft
import graft.tensor as gt
from graft._gc import COMPILE_GC_THRESHOLD, fewer_gc_pauses


@pytest.fixture
def restore_gc():
    old, enabled = gc.get_threshold(), gc.isenabled()
    yield
    gc.set_threshold(*old)
    if enabled:
        gc.enable()


def test_threshold_raised_inside_and_restored_after(restore_gc):
    gc.set_threshold(700, 10, 10)
    with fewer_gc_pauses():
        assert gc.get_threshold() == (COMPILE_GC_THRESHOLD, 10, 10)
        with fewer_gc_pauses():  # nested: unchanged
            assert gc.get_threshold() == (COMPILE_GC_THRESHOLD, 10, 10)
        assert gc.get_threshold() == (COMPILE_GC_THRESHOLD, 10, 10)
    assert gc.get_threshold() == (700, 10, 10)


def test_restored_when_the_block_raises(restore_gc):
    gc.set_threshold(700, 10, 10)
    with pytest.raises(ValueError, match="boom"), fewer_gc_pauses():
        raise ValueError("boom")
    assert gc.get_threshold() == (700, 10, 10)


def test_user_settings_left_alone(restore_gc):
    gc.set_threshold(10**6, 5, 5)  # already higher
    with fewer_gc_pauses():
        assert gc.get_threshold() == (10**6, 5, 5)
    gc.set_threshold(700, 10, 10)
    gc.disable()
    with fewer_gc_pauses():
        assert gc.get_threshold() == (700, 10, 10)
    assert not gc.isenabled()


def test_function_compiles_with_fewer_pauses_and_restores(restore_gc, monkeypatch):
    gc.set_threshold(700, 10, 10)
    seen = []
    from graft.compile import function_module

    real_init = function_module.FunctionGraph.__init__

    def spy(self, *args, **kwargs):
        seen.append(gc.get_threshold()[0])
        real_init(self, *args, **kwargs)

    monkeypatch.setattr(function_module.FunctionGraph, "__init__", spy)
    x = gt.dvector("x")
    f = graft.function([x], x * 2)
    assert seen and seen[0] == COMPILE_GC_THRESHOLD
    assert gc.get_threshold() == (700, 10, 10)
    assert list(f([1.0, 2.0])) == [2.0, 4.0]
