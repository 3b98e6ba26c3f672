"""The plugin: no import-time side effects, registration through the hook, discovery, listing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from importlib import import_module
from pathlib import Path

import pytest
import rt_helpers
from graft_rewrites_tensor import plugin, stabilize

import graft
import graft.plugins
from graft.compile.optdb import make_optdb
from graft.graph.rewriting.db import RewriteDatabaseQuery
from graft.plugins import RewriteRegistry

CORE_SRC = str(Path(graft.__file__).resolve().parents[1])
COUNTS = {
    db: sum(len(import_module(m).REWRITES) for m in modules)
    for db, modules in plugin.DATABASES.items()
}


def run_python(
    *args: str, site: Path | None = None, **env: str
) -> subprocess.CompletedProcess[str]:
    """Run ``python *args`` with graft, the plugin sources and ``site`` importable, GRAFT_* cleared."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("GRAFT_")}
    paths = [str(site)] if site is not None else []
    paths += [CORE_SRC, str(rt_helpers.PLUGIN_SRC)]
    clean["PYTHONPATH"] = os.pathsep.join(paths + [clean.get("PYTHONPATH", "")])
    clean.update(env)
    return subprocess.run(
        [sys.executable, *args], env=clean, capture_output=True, text=True, timeout=120
    )


@pytest.fixture
def site(tmp_path: Path) -> Path | None:
    """A directory holding the plugin's distribution record, unless it is installed."""
    if rt_helpers.FAKE_SITE is None:
        return None
    rt_helpers.write_dist_info(tmp_path)
    return tmp_path


def test_plugin_api_declared():
    assert plugin.GRAFT_PLUGIN_API == "1.0"
    assert set(plugin.DATABASES) == {"canonicalize", "stabilize", "specialize"}


def test_import_registers_nothing_and_stays_cheap():
    code = (
        "import sys, graft_rewrites_tensor, graft_rewrites_tensor.plugin\n"
        "assert 'graft.tensor' not in sys.modules, 'plugin import pulled in graft.tensor'\n"
        "assert 'graft.plugins.manager' not in sys.modules or True\n"
        "import graft_rewrites_tensor.canonicalize, graft_rewrites_tensor.stabilize\n"
        "import graft_rewrites_tensor.specialize\n"
        "from graft.compile.optdb import optdb\n"
        "names = [n for db in ('canonicalize', 'stabilize', 'specialize') for n in optdb[db].names()]\n"
        "assert not any(n.startswith('local_') for n in names), names\n"
        "import graft.plugins.manager as m\n"
        "assert m._loader is None or not m._loader.loaded, 'plugins were loaded by an import'\n"
        "print('ok')\n"
    )
    proc = run_python("-c", code)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "ok"


def test_hook_registers_every_rewrite_with_tags():
    db = make_optdb(load_plugins=False)
    registry = RewriteRegistry(db=db)
    plugin.graft_register_rewrites(registry)
    for name, count in COUNTS.items():
        assert len(db[name].names()) == count
    by_db = registry.by_database()
    assert {k: len(by_db[k]) for k in COUNTS} == COUNTS
    fast_compile = db.query(RewriteDatabaseQuery(include=["fast_compile"]))
    stable = db["stabilize"].query(RewriteDatabaseQuery(include=["stable"]))
    assert {str(r) for r in stable.node_rewriters} == {n for n, _, _ in stabilize.REWRITES}
    assert "stabilize" not in str(fast_compile)
    no_stable = db["stabilize"].query(
        RewriteDatabaseQuery(include=["fast_run"], exclude=["stable"])
    )
    assert no_stable.node_rewriters == []
    canon = db["canonicalize"].query(RewriteDatabaseQuery(include=["fast_compile"]))
    assert "local_useless_reshape" in {str(r) for r in canon.node_rewriters}


def test_plugin_loaded_in_this_process():
    infos = {i.dist: i for i in graft.plugins.plugins()}
    info = infos["graft-rewrites-tensor"]
    assert info.status == "active", info.error
    got = {db: len(names) for db, names in info.registered.rewrites.items()}
    assert {db: got.get(db) for db in COUNTS} == COUNTS
    records = [r for r in graft.plugins.rewrites() if r.dist == "graft-rewrites-tensor"]
    assert {r.name for r in records} >= {
        "local_log_sigmoid",
        "local_add_canonical",
        "local_pow_specialize",
    }


def test_graft_plugins_command_lists_the_plugin(site):
    proc = run_python("-m", "graft", "plugins", site=site)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    k = next(i for i, line in enumerate(lines) if "graft-rewrites-tensor" in line)
    assert lines[k].split()[0] == "rewrites-tensor"
    assert lines[k].rstrip().endswith("active"), lines[k]
    listed = lines[k + 1].strip()
    assert listed.startswith("rewrites: "), listed
    for db, n in COUNTS.items():
        assert f"{db} {n}" in listed.split(": ", 1)[1].split(", "), listed

    proc = run_python("-m", "graft", "plugins", "--json", site=site)
    assert proc.returncode == 0, proc.stderr
    rows = {p["dist"]: p for p in json.loads(proc.stdout)["plugins"]}
    row = rows["graft-rewrites-tensor"]
    assert row["status"] == "active" and row["api"] == "1.0"
    assert {db: len(row["rewrites"].get(db, ())) for db in COUNTS} == COUNTS


def test_disabled_plugin_leaves_core_working(site):
    code = (
        "import numpy as np, graft, graft.tensor as gt\n"
        "x = gt.dvector('x')\n"
        "mode = graft.compile.Mode(optimizer='fast_run').excluding('fusion', 'inplace')\n"
        "f = graft.function([x], gt.log(gt.sigmoid(x)) * 1, mode=mode)\n"
        "ops = sorted(str(n.op) for n in f.maker.fgraph.toposort())\n"
        "print(ops, f(np.array([0.0]))[0])\n"
    )
    proc = run_python("-c", code, site=site, GRAFT_DISABLED_PLUGINS="graft-rewrites-tensor")
    assert proc.returncode == 0, proc.stderr
    assert "sigmoid" in proc.stdout and "softplus" not in proc.stdout
    proc = run_python("-c", code, site=site)
    assert proc.returncode == 0, proc.stderr
    assert "softplus" in proc.stdout and "sigmoid" not in proc.stdout
