"""The plugin system: registries in process, loading with real installed distributions in
subprocesses (plugin loading happens once per process)."""

from __future__ import annotations

import ast
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import graft
from graft.plugins import ConflictError, Origin, PluginError
from graft.plugins.info import api_mismatch
from graft.plugins.registry import BackendRegistry, OpRegistry, RewriteRegistry

SRC = str(Path(graft.__file__).resolve().parents[1])
FIXTURES = Path(__file__).parent / "plugin_fixtures"
_spec = importlib.util.spec_from_file_location("fakedb", FIXTURES / "fakedb.py")
assert _spec is not None and _spec.loader is not None
_fakedb = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_fakedb)
FakeDB = _fakedb.FakeDB

A = Origin("alpha", "alpha-dist", "1.0")
B = Origin("beta", "beta-dist", "2.0")


# -- helpers -------------------------------------------------------------------------------


def install(site: Path, fixture: str, dist: str, version: str = "1.0", module: str = "") -> None:
    """Install fixture package ``fixture`` into ``site`` as distribution ``dist``."""
    module = module or fixture
    shutil.copytree(FIXTURES / fixture, site / module)
    info = site / f"{dist.replace('-', '_')}-{version}.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: {version}\n")
    (info / "entry_points.txt").write_text(f"[graft]\n{module} = {module}\n")
    files = [p.relative_to(site).as_posix() for p in (site / module).rglob("*.py")]
    files += [f"{info.name}/{n}" for n in ("METADATA", "entry_points.txt", "RECORD")]
    (info / "RECORD").write_text("".join(f"{f},,\n" for f in files))


@pytest.fixture
def site(tmp_path: Path) -> Path:
    """A directory of installed plugin distributions, plus fakedb.py."""
    shutil.copy(FIXTURES / "fakedb.py", tmp_path / "fakedb.py")
    return tmp_path


def run(site: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("GRAFT_")}
    clean["PYTHONPATH"] = os.pathsep.join([str(site), SRC])
    clean.update(env)
    return subprocess.run(
        [sys.executable, *args], env=clean, cwd=site, capture_output=True, text=True, timeout=60
    )


# Loads plugins in a fresh Loader around a FakeDB and prints what happened as JSON.
LOADER = textwrap.dedent(
    """
    import json, sys, warnings
    from fakedb import FakeDB
    from graft.configparser import Config
    from graft.plugins import PluginWarning
    from graft.plugins.manager import Loader

    db, cfg = FakeDB(), Config()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        loader = Loader(db=db, config=cfg)
        loader.ensure_loaded()
    print(json.dumps({
        "plugins": {i.name: [i.status, i.error or i.reason] for i in loader.infos},
        "registered": {i.name: [[b.name for b in i.registered.backends], i.registered.rewrites,
                                [o.__name__ for o in i.registered.ops], i.registered.config]
                       for i in loader.infos},
        # the built-in plugin's core rewrites may not fit a FakeDB; its fate is not tested here
        "warnings": [str(w.message) for w in caught if w.category is PluginWarning
                     and not str(w.message).startswith("graft plugin 'builtin'")],
        "backends": loader.backends.names(),
        "ops": [r.op.__name__ for r in loader.ops.records()],
        "db": db.dump(),
        "flags": [f.name for f in cfg.flags()],
        "records": [[r.plugin, r.db_name, r.name] for r in loader.rewrites.records],
        "modules": sorted(m for m in sys.modules if m.endswith("_plugin") or m.startswith("tiny")),
    }))
    """
)


def load_json(site: Path, **env: str) -> dict:
    proc = run(site, "-c", LOADER, **env)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def cli_json(site: Path, **env: str) -> dict:
    proc = run(site, "-m", "graft", "plugins", "--json", **env)
    assert proc.returncode == 0, proc.stderr
    return {p["name"]: p for p in json.loads(proc.stdout)["plugins"]}


# -- registries, in process ----------------------------------------------------------------


def test_backend_registry_attribution_availability_and_conflict():
    root = BackendRegistry()
    a, b = root.bind(A), root.bind(B)
    a.register("slow", linker="m:L", priority=1)
    spec = a.register("gone", linker="m:L", priority=50, available="no_such_module_xyz")
    b.register("fast", linker="m:L", priority=10, available=lambda: True)
    b.register("broken", linker="m:L", priority=60, available=lambda: 1 / 0)
    assert (spec.plugin, spec.dist, spec.version) == ("alpha", "alpha-dist", "1.0")
    assert root.names() == ["slow", "gone", "fast", "broken"]
    assert [s.name for s in root.available()] == ["fast", "slow"]
    assert root.best().name == "fast"
    assert "not installed" in root.unavailable_reason("gone")
    assert "ZeroDivisionError" in root.unavailable_reason("broken")
    with pytest.raises(ConflictError) as err:
        b.register("slow", linker="n:L")
    for part in ("'slow'", "'alpha'", "alpha-dist 1.0", "'beta'", "beta-dist 2.0"):
        assert part in str(err.value)
    with pytest.raises(ValueError, match="module:attr"):
        a.register("x", linker="no_colon")
    b.rollback()
    assert root.names() == ["slow", "gone"]
    with pytest.raises(KeyError, match="known backends"):
        root.get("fast")


def test_load_linker_imports_lazily_once(tmp_path, monkeypatch):
    (tmp_path / "lazy_linker_mod.py").write_text("class Linker:\n    pass\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    reg = BackendRegistry(A)
    calls = []
    reg._table.on_first_load = lambda name, cls: calls.append((name, cls.__name__))
    reg.register("lazy", linker="lazy_linker_mod:Linker")
    reg.register("bad", linker="lazy_linker_mod:Nope")
    assert "lazy_linker_mod" not in sys.modules
    cls = reg.load_linker("lazy")
    assert reg.load_linker("lazy") is cls
    assert calls == [("lazy", "Linker")]
    with pytest.raises(ImportError, match=r"backend 'bad' from plugin 'alpha' \(alpha-dist 1.0\)"):
        reg.load_linker("bad")


def test_rewrite_registry_stages_until_commit_and_names_both_sides():
    db = FakeDB()
    db.register("core_rw", object())
    root = RewriteRegistry(db)
    a, b = root.bind(A), root.bind(B)
    sub = FakeDB(())
    a.register("a_db", sub, "fast_run", position=1.7)
    a.register("in_sub", "rw1", "t", db="a_db")  # into a database staged just before
    a.register("c1", "rw2", db="canonicalize", extra=1)
    assert "a_db" not in db  # nothing reaches the database before commit
    a.commit()
    assert db.entries["a_db"][1:] == (("fast_run",), {"position": 1.7})
    assert sub.entries["in_sub"] == ("rw1", ("t",), {})
    assert db["canonicalize"].entries["c1"] == ("rw2", (), {"extra": 1})
    assert a.by_database() == {"optdb": ["a_db"], "a_db": ["in_sub"], "canonicalize": ["c1"]}
    with pytest.raises(ConflictError) as err:
        b.register("c1", "other", db="canonicalize")
    assert "'alpha' (alpha-dist 1.0)" in str(err.value)
    assert "'beta' (beta-dist 2.0)" in str(err.value)
    with pytest.raises(ConflictError, match="outside the plugin system"):
        b.register("core_rw", "other")
    with pytest.raises(PluginError, match=r"no rewrite database 'nope\.x'"):
        b.register("r", "rw", db="nope.x")
    b.register("in_sub2", "rw3", db="a_db")  # nested path through a committed database
    b.commit()
    assert [(r.plugin, r.db_name, r.name) for r in root.records][-1] == ("beta", "a_db", "in_sub2")
    assert a.rollback() == []  # FakeDB has unregister(): everything is removed
    assert "a_db" not in db and "c1" not in db["canonicalize"]


def test_rewrite_commit_failure_removes_what_went_in():
    db = FakeDB()
    view = RewriteRegistry(db).bind(A)

    class Explodes:
        explode = True

    view.register("first", "rw", db="canonicalize")
    view.register("second", Explodes())
    with pytest.raises(RuntimeError, match="refuses 'second'"):
        view.commit()
    assert view.rollback() == []
    assert "first" not in db["canonicalize"] and view.records == []


def test_op_registry_conflict():
    root = OpRegistry()

    class MyOp:
        pass

    root.bind(A).register(MyOp)
    assert root.owner(MyOp) == A
    with pytest.raises(ConflictError, match=r"'alpha'.*'beta'|'beta'.*'alpha'"):
        root.bind(B).register(MyOp)
    with pytest.raises(TypeError):
        root.bind(B).register(MyOp())  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("declared", "ok"),
    [("1.0", True), ("1.1", False), ("2.0", False), ("0.9", False), ("one", False), (1.0, False)],
)
def test_api_version_check(declared, ok):
    msg = api_mismatch(declared)
    assert (msg is None) == ok
    if not ok:
        assert f"graft-core {graft.__version__} provides plugin API 1.0" in msg
        assert repr(declared) in msg or f"requires graft plugin API {declared}," in msg


# -- loading real distributions, in subprocesses -------------------------------------------


def _imported(importtime_stderr: str) -> set[str]:
    names = set()
    for line in importtime_stderr.splitlines():
        if line.startswith("import time:") and line.count("|") == 2:
            names.add(line.rsplit("|", 1)[1].strip())
    return names


def test_import_graft_imports_no_plugin_machinery(site):
    baseline = _imported(run(site, "-X", "importtime", "-c", "pass").stderr)
    for code in ("import graft", "import graft.plugins, graft.configparser"):
        proc = run(site, "-X", "importtime", "-c", code)
        assert proc.returncode == 0, proc.stderr
        new = _imported(proc.stderr) - baseline
        assert "graft" in new
        banned = ("importlib.metadata", "pluggy", "numba", "jax")
        assert not [n for n in new if any(n == b or n.startswith(b + ".") for b in banned)]
    proc = run(site, "-X", "importtime", "-c", "import graft.plugins; graft.plugins.load()")
    assert {"pluggy", "importlib.metadata"} <= _imported(proc.stderr)  # the parse sees them


def test_working_plugin_lazy_backend_config_and_listing(site):
    install(site, "good_plugin", "good-dist", "1.0")
    script = textwrap.dedent(
        """
        import sys, graft.plugins
        from graft.configparser import config
        level = config.good__level  # a plugin's flag: loads plugins on first access
        reg = graft.plugins.backends()
        assert "good_plugin.linker" not in sys.modules
        assert reg.best().name == "good", reg.available()
        cls = reg.load_linker("good"); reg.load_linker("good")
        import good_plugin
        info = {i.name: i for i in graft.plugins.plugins()}["good_plugin"]
        print(level, cls.__name__, good_plugin.EXTENDED, info.status)
        print([f.owner for f in config.flags() if f.name == "good__level"])
        """
    )
    proc = run(site, "-c", script, GRAFT_FLAGS="good__level=2")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0] == "2 GoodLinker [('good', 'GoodLinker')] active"
    assert lines[1] == "[\"plugin 'good_plugin' (good-dist 1.0)\"]"

    good = cli_json(site)["good_plugin"]
    assert (good["status"], good["dist"], good["version"], good["api"]) == (
        "active",
        "good-dist",
        "1.0",
        "1.0",
    )
    assert [(b["name"], b["priority"], b["available"]) for b in good["backends"]] == [
        ("good", 7, True),
        ("good_missing", 99, False),
    ]
    assert good["config"] == ["good__level"]
    assert good["ops"] == ["good_plugin.DoubleOp"]
    text = run(site, "-m", "graft", "plugins").stdout
    assert "good_plugin  good-dist 1.0  active" in text
    assert "backends: good (priority 7), good_missing (priority 99, unavailable:" in text
    assert "ops: good_plugin.DoubleOp" in text and "config: good__level" in text
    assert run(site, "-m", "graft", "--help").returncode == 0


def test_rewrites_attributed_per_database(site):
    install(site, "good_plugin", "good-dist")
    out = load_json(site, GOOD_PLUGIN_REWRITES="fake")
    assert out["plugins"]["good_plugin"] == ["active", None]
    assert out["db"]["good_db"] == {"good_rw": [["fast_run", "good"], {}]}
    assert out["db"]["canonicalize"]["good_canon"] == [[], {}]
    assert out["registered"]["good_plugin"][1] == {
        "optdb": ["good_db"],
        "good_db": ["good_rw"],
        "canonicalize": ["good_canon"],
    }
    assert ["good_plugin", "good_db", "good_rw"] in out["records"]


def test_rewrite_into_real_optdb_is_listed(site):
    pytest.importorskip("graft.compile.optdb")
    pytest.importorskip("graft.graph.rewriting.basic")
    install(site, "rewrite_plugin", "rewrite-dist")
    plugin = cli_json(site)["rewrite_plugin"]
    assert plugin["status"] == "active", plugin["error"]
    assert plugin["rewrites"] == {"optdb": ["rewrite_plugin_noop"]}
    assert "rewrites: optdb 1" in run(site, "-m", "graft", "plugins").stdout


def test_broken_import_warns_once_and_strict_raises(site):
    install(site, "broken_plugin", "broken-dist", "2.0")
    install(site, "tiny_plugin", "tiny-dist", module="tiny_ok")
    out = load_json(site)
    assert out["plugins"]["tiny_ok"] == ["active", None]
    assert out["plugins"]["broken_plugin"][0] == "failed"
    (warning,) = out["warnings"]
    for part in ("broken-dist 2.0", "ModuleNotFoundError", "nonexistent_module_for_graft_tests"):
        assert part in warning
    assert "broken_plugin/__init__.py:3" in warning  # the plugin's own line

    strict = "import graft.plugins as p\ntry:\n    p.load()\nexcept p.PluginError as e:\n    print('raised', e)\n"
    proc = run(site, "-c", strict, GRAFT_STRICT_PLUGINS="1")
    assert proc.stdout.startswith("raised graft plugin 'broken_plugin' (broken-dist 2.0)")
    assert "PluginWarning" not in proc.stderr
    cli = run(site, "-m", "graft", "plugins", GRAFT_STRICT_PLUGINS="1")
    assert cli.returncode == 1 and "broken_plugin  broken-dist 2.0  failed:" in cli.stdout


def test_incompatible_api_names_both_versions(site):
    install(site, "future_plugin", "future-dist", "3.1")
    out = load_json(site)
    status, error = out["plugins"]["future_plugin"]
    assert status == "failed"
    assert error == (
        f"requires graft plugin API 2.0, but graft-core {graft.__version__} provides plugin API 1.0"
    )
    assert out["warnings"] == [
        f"graft plugin 'future_plugin' (future-dist 3.1) failed and was skipped: {error}"
    ]
    assert "future" not in out["backends"]


def test_hook_that_raises_is_rolled_back(site):
    install(site, "raising_plugin", "raising-dist")
    install(site, "good_plugin", "good-dist")
    out = load_json(site)
    status, error = out["plugins"]["raising_plugin"]
    assert status == "failed"
    assert error.startswith("graft_register_rewrites failed: RuntimeError: boom")
    assert "raising_plugin/__init__.py:" in error
    assert out["registered"]["raising_plugin"] == [[], {}, [], []]
    assert "raising" not in out["backends"] and "raising__flag" not in out["flags"]
    assert "RaisingOp" not in out["ops"] and "raising_rw" not in out["db"]["canonicalize"]
    assert len(out["warnings"]) == 1
    assert out["plugins"]["good_plugin"] == ["active", None] and "good" in out["backends"]


def test_conflicts_between_plugins_name_both(site):
    install(site, "alpha_plugin", "alpha-dist", "1.0")
    install(site, "beta_plugin", "beta-dist", "2.0")
    install(site, "gamma_plugin", "gamma-dist", "3.0")
    out = load_json(site)
    assert out["plugins"]["alpha_plugin"] == ["active", None]
    assert out["registered"]["alpha_plugin"][0] == ["fast"]  # a hook marked with @hookimpl
    beta, gamma = out["plugins"]["beta_plugin"], out["plugins"]["gamma_plugin"]
    assert beta[0] == gamma[0] == "failed"
    assert "rewrite 'shared_rw' in canonicalize" in beta[1]
    assert (
        "'beta_plugin' (beta-dist 2.0)" in beta[1] and "'alpha_plugin' (alpha-dist 1.0)" in beta[1]
    )
    assert "backend 'fast'" in gamma[1]
    assert (
        "'gamma_plugin' (gamma-dist 3.0)" in gamma[1]
        and "'alpha_plugin' (alpha-dist 1.0)" in gamma[1]
    )
    assert out["records"].count(["alpha_plugin", "canonicalize", "shared_rw"]) == 1


def test_selection_by_environment(site):
    for mod in ("tiny_a", "tiny_b", "tiny_c"):
        install(site, "tiny_plugin", mod.replace("_", "-") + "-dist", module=mod)

    def statuses(**env):
        out = load_json(site, **env)
        return {k: v for k, v in out["plugins"].items() if k.startswith("tiny")}, out

    got, out = statuses()
    assert {k: s for k, (s, _) in got.items()} == dict.fromkeys(
        ["tiny_a", "tiny_b", "tiny_c"], "active"
    )

    got, out = statuses(GRAFT_DISABLE_PLUGIN_AUTOLOAD="1")
    assert got == {} and out["plugins"]["builtin"][0] == "active" and out["modules"] == []

    got, out = statuses(GRAFT_PLUGINS="tiny_a, tiny-c-dist,nothing_like_it")
    assert got["tiny_b"] == ["disabled", "not listed in GRAFT_PLUGINS"]
    assert got["tiny_a"][0] == got["tiny_c"][0] == "active"
    assert "tiny_b" not in out["modules"]  # a disabled plugin is not even imported
    assert out["warnings"] == [
        "GRAFT_PLUGINS names 'nothing_like_it', which matches no installed plugin"
    ]

    got, out = statuses(GRAFT_DISABLED_PLUGINS="tiny-b-dist", GRAFT_PLUGINS="tiny_b,tiny_c")
    assert got["tiny_b"] == ["disabled", "listed in GRAFT_DISABLED_PLUGINS"]
    assert got["tiny_a"][0] == "disabled" and got["tiny_c"][0] == "active"
    assert out["backends"][-1] == "tiny_c"

    listing = run(site, "-m", "graft", "plugins", GRAFT_DISABLED_PLUGINS="tiny_a").stdout
    assert "tiny_a  tiny-a-dist 1.0  disabled: listed in GRAFT_DISABLED_PLUGINS" in listing


def test_bad_hooks_are_reported_not_ignored(site):
    install(site, "typo_plugin", "typo-dist")
    install(site, "reentrant_plugin", "reentrant-dist")
    out = load_json(site)
    status, error = out["plugins"]["typo_plugin"]
    assert status == "failed" and "unknown hook 'graft_register_backend'" in error
    assert out["plugins"]["reentrant_plugin"] == ["active", None]

    script = "import graft.plugins as p, reentrant_plugin as r\np.load()\nprint(r.SEEN)\nprint(p.backends().names())"
    proc = run(site, "-c", script)
    assert proc.returncode == 0, proc.stderr
    # during the load the hook saw what had been registered so far, without recursing
    # (other backend plugins installed in the environment may come before it)
    seen, names = (ast.literal_eval(line) for line in proc.stdout.strip().splitlines())
    assert len(seen) == 1 and "py" in seen[0] and "reentrant" not in seen[0]
    assert names == [*seen[0], "reentrant"]


def test_extend_backend_failure_is_isolated(site):
    install(site, "good_plugin", "good-dist")
    install(site, "extfail_plugin", "extfail-dist", "0.3")
    script = textwrap.dedent(
        """
        import warnings, graft.plugins as p, good_plugin
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            p.backends().load_linker("good")
        info = {i.name: i for i in p.plugins()}["extfail_plugin"]
        print([str(w.message) for w in caught])
        print(good_plugin.EXTENDED, info.status, len(info.issues))
        """
    )
    proc = run(site, "-c", script)
    assert proc.returncode == 0, proc.stderr
    warned, rest = proc.stdout.splitlines()
    assert "extfail-dist 0.3" in warned and "ValueError: cannot extend GoodLinker" in warned
    assert rest == "[('good', 'GoodLinker')] active 1"
    proc = run(site, "-c", script, GRAFT_STRICT_PLUGINS="1")
    assert "PluginError" in proc.stderr and "cannot extend GoodLinker" in proc.stderr


# -- FAST_RUN without tensor rewrites ------------------------------------------------------


def test_tensor_rewrites_registered_ignores_core_rewrites():
    from graft.compile.optdb import make_optdb, tensor_rewrites_registered
    from graft.graph.rewriting.basic import MergeOptimizer

    db = make_optdb(load_plugins=False)
    core = [("canonicalize", "constant_folding")]
    assert not tensor_rewrites_registered(db, core=[])  # the skeleton alone
    db["canonicalize"].register("constant_folding", MergeOptimizer(), "fast_run")
    assert not tensor_rewrites_registered(db, core=core)
    assert tensor_rewrites_registered(db, core=[])  # someone else's rewrite counts
    db["stabilize"].register("local_mine", MergeOptimizer(), "fast_run")
    assert tensor_rewrites_registered(db, core=core)
    top = make_optdb(load_plugins=False)
    top.register("my_fusion", MergeOptimizer(), "fast_run", position=49.2)
    assert tensor_rewrites_registered(top, core=[])


@pytest.fixture
def fresh_rewrite_check(monkeypatch):
    import importlib

    # Not `import graft.compile.optdb as ...`: graft.compile.optdb is also the database.
    optdb_module = importlib.import_module("graft.compile.optdb")
    monkeypatch.setattr(optdb_module, "_fast_run_checked", [None])
    return optdb_module


def test_fast_run_without_tensor_rewrites_warns_once(fresh_rewrite_check, monkeypatch):
    from graft.compile import function
    from graft.compile.optdb import MissingRewritesWarning
    from graft.scalar import float64

    monkeypatch.setattr(fresh_rewrite_check, "tensor_rewrites_registered", lambda: False)
    x = float64("x")
    function([x], x + 1, mode="FAST_COMPILE")  # no fast_run rewrites asked: not checked
    assert fresh_rewrite_check._fast_run_checked == [None]
    with pytest.warns(MissingRewritesWarning, match=r"pip install graft-rewrites-tensor") as rec:
        f = function([x], x + 1, mode="FAST_RUN")
    assert [w.filename for w in rec] == [__file__]  # points at the user's line
    assert issubclass(MissingRewritesWarning, UserWarning) and f(1.0) == 2.0
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        function([x], x + 2, mode="FAST_RUN")  # once per process


def test_no_warning_when_tensor_rewrites_are_there(fresh_rewrite_check):
    import warnings

    from graft.compile import function
    from graft.compile.optdb import tensor_rewrites_registered
    from graft.plugins import plugins
    from graft.scalar import float64

    if not any(i.dist == "graft-rewrites-tensor" and i.status == "active" for i in plugins()):
        pytest.skip("graft-rewrites-tensor is not installed (or is disabled)")
    assert tensor_rewrites_registered()
    x = float64("x")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        function([x], x + 1, mode="FAST_RUN")


def test_fast_run_warning_in_a_process_without_tensor_rewrites(site):
    script = textwrap.dedent(
        """
        import warnings
        from graft.compile import function
        from graft.compile.optdb import MissingRewritesWarning
        from graft.scalar import float64
        x = float64("x")
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            function([x], x * 2, mode="FAST_COMPILE")
            function([x], x + 1)
            function([x], x + 2, mode="FAST_RUN")
        hits = [w for w in caught if w.category is MissingRewritesWarning]
        print(len(hits), hits[0].lineno if hits else None)
        print(hits[0].message if hits else "")
        """
    )
    # Only graft-core's own plugin: any other installed plugin's rewrites would count.
    proc = run(site, "-c", script, GRAFT_DISABLE_PLUGIN_AUTOLOAD="1")
    assert proc.returncode == 0, proc.stderr
    count, message = proc.stdout.split("\n", 1)
    assert count == "1 10"  # one warning, at the first FAST_RUN compile's line
    assert "graft-rewrites-tensor" in message and "FAST_RUN" in message
