"""Pickling compiled functions: same process, a fresh process, a spawned multiprocessing pool."""

from __future__ import annotations

import json
import multiprocessing
import pickle
import subprocess
import sys
import types
from pathlib import Path

import numpy as np
import pytest

import graft
import graft.compile.profiling as profiling
import graft.tensor as gt
from graft.compile import In, Mode, Out, function, get_mode
from graft.compile.mode import predefined_modes
from graft.compile.optdb import optdb
from graft.link import ReferenceLinker

ROOT = Path(__file__).resolve().parents[2]


def ops(f: graft.compile.Function) -> list[str]:
    return [str(n.op) for n in f.maker.fgraph.toposort()]


def roundtrip(obj):
    return pickle.loads(pickle.dumps(obj))


@pytest.mark.parametrize("mode", ["FAST_RUN", "FAST_COMPILE", "PY"])
def test_roundtrip_keeps_values_graph_and_mode(mode):
    x = gt.dvector("x")
    y = gt.dscalar("y")
    f = function([x, In(y, value=2.0)], [gt.exp(x) * y + 1, x[1:]], mode=mode, name="f")
    g = roundtrip(f)
    a = np.linspace(-1, 1, 4)
    for got, want in zip(g(a), f(a)):
        np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(g(a, y=3.0)[0], f(a, 3.0)[0])
    assert ops(g) == ops(f) and g.name == "f"
    assert g.maker.mode is get_mode(mode)  # predefined modes come back by name
    assert g.maker.linker.name == f.maker.linker.name
    assert g.maker.copy_indices() == f.maker.copy_indices() == ([1], [])
    assert not np.shares_memory(g(a)[1], a)
    with pytest.raises(TypeError, match="input 0 \\('x'\\)"):
        g(np.array(["a"]))


def test_unpickling_does_not_rewrite(monkeypatch):
    x = gt.dvector("x")
    f = function([x], gt.log(gt.exp(x)) * 2 + x * 2)
    data = pickle.dumps(f)

    def refuse(*args, **kwargs):
        raise AssertionError("rewrites ran while unpickling")

    monkeypatch.setattr(optdb, "query", refuse)
    g = pickle.loads(data)
    assert ops(g) == ops(f)
    np.testing.assert_allclose(g(np.arange(3.0)), f(np.arange(3.0)))


def test_shared_values_updates_and_state():
    a = graft.shared(np.zeros(3), name="a")
    count = graft.shared(np.int64(0), name="count")
    x = gt.dvector("x")
    acc = gt.dvector("acc")
    f = function(
        [x, In(acc, value=np.zeros(3), update=acc + x)],
        a + acc,
        updates={a: a + x, count: count + 1},
    )
    reader = function([], a * 2)
    f(np.ones(3))  # a = 1, acc = 1, count = 1
    f2, reader2 = roundtrip([f, reader])
    # Values and state travelled; the copies are independent of the originals.
    shared2 = {s.name: s for s in f2.get_shared()}
    np.testing.assert_array_equal(shared2["a"].get_value(), np.ones(3))
    assert shared2["count"].get_value() == 1
    np.testing.assert_array_equal(f2(np.ones(3)), np.full(3, 2.0))  # a + acc = 1 + 1
    np.testing.assert_array_equal(a.get_value(), np.ones(3))
    # Functions pickled together share the unpickled variable.
    assert reader2.get_shared()[0] is shared2["a"]
    np.testing.assert_array_equal(reader2(), np.full(3, 4.0))
    assert shared2["count"].get_value() == 2 and count.get_value() == 1
    # Pickled alone, a function gets its own copy.
    (alone,) = roundtrip(reader).get_shared()
    assert alone is not a and alone is not shared2["a"]


def test_other_options_survive():
    x = gt.dvector("x")
    f = function([In(x, borrow=True)], Out(x.T, borrow=True), mode="FAST_COMPILE")
    f.trust_input = True
    g = roundtrip(f)
    a = np.arange(3.0)
    assert g.trust_input and np.shares_memory(g(a), a)
    before = list(profiling.atexit_profiles)
    try:
        h = roundtrip(function([x], x * 2, profile=True, name="prof"))
        h(a)
        assert h.profile is not None and h.profile.message == "prof"
        assert h.profile.fct_callcount == 1
        assert profiling.atexit_profiles[-1] is h.profile  # printed at exit, as the original
    finally:
        profiling.atexit_profiles[:] = before


def test_custom_modes_and_linkers():
    x = gt.dvector("x")
    mode = Mode(ReferenceLinker(allow_gc=False), "fast_compile").excluding("merge")
    g = roundtrip(function([x], x + x, mode=mode))
    assert isinstance(g.maker.linker, ReferenceLinker) and not g.maker.linker.allow_gc
    assert g.maker.mode.base_query is not None and "merge" in g.maker.mode.base_query.exclude
    np.testing.assert_array_equal(g(np.ones(2)), [2.0, 2.0])
    # A mode given a rewriter object pickles without it (the graph is rewritten already).
    from graft.graph.rewriting.basic import MergeOptimizer

    f = function([x], [x + 1, x + 1], mode=Mode("py", MergeOptimizer()))
    g = roundtrip(f)
    assert g.maker.mode.provided_optimizer is None
    assert ops(g) == ops(f) and g.maker.fgraph.outputs[0] is g.maker.fgraph.outputs[1]
    np.testing.assert_array_equal(g(np.ones(2))[1], [2.0, 2.0])


_fake_module = types.ModuleType("graft_test_pickle_backend")


class PickleLinker(ReferenceLinker):
    name = "picklefake"


_fake_module.PickleLinker = PickleLinker  # type: ignore[attr-defined]


def test_missing_backend_recompiles_with_a_warning():
    from graft.plugins import Origin, backends

    sys.modules[_fake_module.__name__] = _fake_module
    view = backends().bind(Origin("pickle_plugin", "pickle-dist", "1.0"))
    view.register("picklefake", linker="graft_test_pickle_backend:PickleLinker", priority=-5)
    try:
        x = gt.dvector("x")
        f = function([x], x * 3, mode="PICKLEFAKE")
        assert f.maker.linker.name == "picklefake"
        data = pickle.dumps(f)
        assert roundtrip(f).maker.linker.name == "picklefake"
    finally:
        view.rollback()
        predefined_modes.pop("PICKLEFAKE", None)
        sys.modules.pop(_fake_module.__name__, None)
    with pytest.warns(
        UserWarning, match="unknown backend 'picklefake'.*compiling its graph again"
    ):
        g = pickle.loads(data)
    assert g.maker.linker.name != "picklefake"
    np.testing.assert_array_equal(g(np.ones(2)), [3.0, 3.0])


def test_deep_graphs_pickle():
    x = gt.dscalar("x")
    y = x
    for k in range(1500):
        y = y * 1.5 if k % 2 else y - 1.0
    f = function([x], y, mode="FAST_COMPILE")
    assert roundtrip(f)(0.5) == f(0.5)


def _make_pickled(tmp_path: Path) -> tuple[Path, np.ndarray, list[float]]:
    a = graft.shared(np.arange(3.0), name="a")
    x = gt.dvector("x")
    f = function([x], (gt.exp(x) + a).sum(), updates={a: a + 1})
    args = np.linspace(0, 1, 3)
    want = [float(np.sum(np.exp(args) + np.arange(3.0) + k)) for k in range(2)]
    path = tmp_path / "f.pkl"
    path.write_bytes(pickle.dumps(f))
    return path, args, want


def test_unpickle_in_a_fresh_process(tmp_path):
    path, args, want = _make_pickled(tmp_path)
    code = (
        "import json, pickle, sys\n"
        "f = pickle.load(open(sys.argv[1], 'rb'))\n"
        "x = json.loads(sys.argv[2])\n"
        "print(json.dumps([float(f(x)), float(f(x))]))\n"
        "assert 'graft.compile.optdb' in sys.modules\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code, str(path), json.dumps(args.tolist())],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    assert proc.returncode == 0, proc.stderr
    np.testing.assert_allclose(json.loads(proc.stdout), want)


def test_map_over_a_spawned_pool():
    x = gt.dvector("x")
    f = function([x], gt.exp(x).sum() * 2)
    inputs = [np.full(3, float(k)) for k in range(4)]
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(2) as pool:
        got = pool.map(f, inputs)
    np.testing.assert_allclose(got, [f(v) for v in inputs])
