"""graft.configparser: declaring, reading, setting and temporarily changing flags."""

from __future__ import annotations

import os
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

import graft
from graft.configparser import Config, OneOf, config, parse_bool
from graft.plugins import ConflictError


@pytest.fixture
def cfg(monkeypatch) -> Config:
    monkeypatch.delenv("GRAFT_FLAGS", raising=False)
    c = Config()
    c.add("profile", "Profile calls.", False)
    c.add("traceback__limit", "Frames kept.", 8, validate=lambda n: n >= -1)
    c.add("floatX", "Float dtype.", "float64", validate=OneOf("float64", "float32"))
    c.add("numba.cache", "Cache kernels.", True, owner="plugin 'numba' (numba-dist 1.0)")
    return c


@pytest.mark.parametrize(
    ("text", "value"),
    [("True", True), ("False", False), ("1", True), ("0", False), (" true ", True), (1, True)],
)
def test_parse_bool(text, value):
    assert parse_bool(text) is value


@pytest.mark.parametrize("text", ["maybe", "", 2, None])
def test_parse_bool_rejects(text):
    with pytest.raises(ValueError, match="expected a boolean"):
        parse_bool(text)


def test_defaults_assignment_and_validation(cfg):
    assert cfg.profile is False and cfg.traceback__limit == 8
    cfg.profile = "1"
    cfg.traceback__limit = "20"
    assert cfg.profile is True and cfg.traceback__limit == 20
    with pytest.raises(ValueError, match="'traceback__limit'"):
        cfg.traceback__limit = -5
    with pytest.raises(ValueError, match="'traceback__limit'"):
        cfg.traceback__limit = 2.5
    with pytest.raises(ValueError, match="one of 'float64', 'float32'"):
        cfg.floatX = "int8"
    assert cfg.traceback__limit == 20 and cfg.floatX == "float64"  # failed sets change nothing


def test_dotted_names_are_sections(cfg):
    assert cfg.numba__cache is True
    assert "numba.cache" in cfg and "numba__cache" in cfg
    setattr(cfg, "numba.cache", False)
    assert cfg.numba__cache is False


def test_unknown_flag_lists_close_matches(cfg):
    with pytest.raises(AttributeError, match="no flag 'profil'; did you mean 'profile'"):
        _ = cfg.profil
    with pytest.raises(AttributeError, match=r"no flag 'nothing_close'$"):
        cfg.nothing_close = 1
    assert not hasattr(cfg, "_private")


def test_graft_flags_read_at_first_access(cfg, monkeypatch):
    monkeypatch.setenv("GRAFT_FLAGS", "profile=True, numba.cache=0,traceback__limit=3")
    assert cfg.profile is True and cfg.numba__cache is False
    monkeypatch.setenv("GRAFT_FLAGS", "traceback__limit=4")
    assert cfg.traceback__limit == 4  # first access of this flag: the current value
    monkeypatch.setenv("GRAFT_FLAGS", "profile=False")
    assert cfg.profile is True  # already read
    assert {f.name: f.source for f in cfg.flags()}["profile"] == "GRAFT_FLAGS"


def test_graft_flags_bad_value_and_unknown_name(cfg, monkeypatch):
    monkeypatch.setenv("GRAFT_FLAGS", "floatX=float8,profyle=1,junk")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(
            ValueError, match=r"'float8' for config flag 'floatX' \(from GRAFT_FLAGS"
        ):
            _ = cfg.floatX
        assert cfg.warn_unknown_env() == ["profyle"]
        cfg.warn_unknown_env()  # once per name
    messages = [str(w.message) for w in caught]
    assert messages == [
        "GRAFT_FLAGS: ignoring 'junk' (expected name=value)",
        "GRAFT_FLAGS sets unknown config flag 'profyle'",
    ]


def test_change_flags_restores_after_errors_and_as_decorator(cfg):
    cfg.traceback__limit = 5
    with pytest.raises(RuntimeError), cfg.change_flags(profile=True, traceback__limit=1):
        assert cfg.profile is True and cfg.traceback__limit == 1
        raise RuntimeError
    assert cfg.profile is False and cfg.traceback__limit == 5

    change = cfg.change_flags({"numba.cache": False})

    @change
    def depth(n):
        assert cfg.numba__cache is False
        return n if n == 0 else depth(n - 1)  # re-entering the same decorator

    assert depth(3) == 0 and cfg.numba__cache is True
    with cfg.change_flags(traceback__limit=2), cfg.change_flags(traceback__limit=3):
        assert cfg.traceback__limit == 3
    assert cfg.traceback__limit == 5


def test_change_flags_checks_everything_before_changing_anything(cfg):
    with pytest.raises(ValueError, match="floatX"):
        cfg.change_flags(profile=True, floatX="bad")
    with pytest.raises(AttributeError, match="no flag 'nope'"):
        cfg.change_flags(nope=1)
    assert cfg.profile is False


def test_change_flags_restores_unread_flag_to_environment(cfg, monkeypatch):
    monkeypatch.setenv("GRAFT_FLAGS", "traceback__limit=11")
    with cfg.change_flags(traceback__limit=1):
        assert cfg.traceback__limit == 1
    assert cfg.traceback__limit == 11


def test_owners_duplicates_and_plugin_view(cfg):
    view = cfg.owned_by("plugin 'good' (good-dist 1.0)")
    view.add("good__level", "Level.", 1, convert=int)
    assert view.good__level == 1 and cfg.good__level == 1
    view.good__level = "2"
    assert cfg.good__level == 2
    owners = {f.name: f.owner for f in cfg.flags()}
    assert owners["good__level"] == "plugin 'good' (good-dist 1.0)"
    assert owners["profile"] == "graft-core"
    with pytest.raises(ConflictError) as err:
        cfg.owned_by("plugin 'other' (other-dist 3.0)").add("numba__cache", "Again.", False)
    assert "plugin 'other' (other-dist 3.0)" in str(err.value)
    assert "plugin 'numba' (numba-dist 1.0)" in str(err.value)
    view.rollback()
    assert "good__level" not in cfg


def test_add_rejects_bad_declarations(cfg):
    for name in ("_hidden", "flags", "add", "not valid"):
        with pytest.raises(ValueError, match="invalid config flag name"):
            cfg.add(name, "doc", 1)
    with pytest.raises(ValueError, match="the default"):
        cfg.add("level", "doc", 7, validate=lambda v: v < 3)
    assert "level" not in cfg


def test_core_flags_are_predefined():
    defaults = {f.name: f.default for f in config.flags()}
    assert {
        "profile": False,
        "profile_optimizer": False,
        "mode": "FAST_RUN",
        "linker": "auto",
        "compute_test_value": "off",
        "optimizer_verbose": False,
        "on_unused_input": "raise",
        "floatX": "float64",
    }.items() <= defaults.items()
    # A flag nothing read is gone (nodes keep one user frame, whatever the limit).
    assert "traceback__limit" not in config


def test_every_core_flag_is_read_somewhere():
    src = Path(graft.__file__).resolve().parent
    text = "\n".join(p.read_text() for p in src.rglob("*.py") if p.name != "configparser.py")
    core = [f.name for f in config.flags() if f.owner == "graft-core"]
    unread = [n for n in core if f"config.{n}" not in text]
    assert not unread, unread


def test_compute_test_value_is_refused_with_an_explanation():
    assert config.compute_test_value == "off"
    with pytest.raises(ValueError, match=r"does not compute test values.*only 'off'"):
        config.compute_test_value = "raise"
    with pytest.raises(ValueError, match="compute_test_value"):
        config.change_flags(compute_test_value="warn")
    assert config.compute_test_value == "off"


def test_compute_test_value_from_graft_flags_fails_at_compile_time():
    env = {k: v for k, v in os.environ.items() if not k.startswith("GRAFT_")}
    env.update(
        PYTHONPATH=str(Path(graft.__file__).resolve().parents[1]),
        GRAFT_FLAGS="compute_test_value=warn",
        GRAFT_DISABLE_PLUGIN_AUTOLOAD="1",
    )
    code = (
        "from graft.compile import function\n"
        "from graft.scalar import float64\n"
        "x = float64('x')\n"
        "try:\n"
        "    function([x], x + 1)\n"
        "except ValueError as e:\n"
        "    print('refused:', e)\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    assert "refused:" in proc.stdout and "(from GRAFT_FLAGS)" in proc.stdout


def test_optimizer_verbose_prints_each_applied_rewrite(capsys):
    from graft.graph.basic import Constant
    from graft.scalar import add, float64, mul

    x = float64("x")
    two, three = Constant(float64, 2.0), Constant(float64, 3.0)

    def outputs():
        return [mul(x, add(two, three)), mul(x, add(two, three))]

    graft.function([x], outputs(), mode="FAST_RUN")
    assert capsys.readouterr().out == ""  # off by default
    with config.change_flags(optimizer_verbose=True):
        f = graft.function([x], outputs(), mode="FAST_RUN")
    lines = capsys.readouterr().out.splitlines()
    # The rewrite's name, the node it replaced and what replaced it (core's rewrites only
    # here: the tensor rewrites may not be installed).
    assert "rewrite constant_folding: add(2.0, 3.0) -> 5.0" in lines
    assert "rewrite MergeOptimizer: mul(x, add.0) -> mul(x, add.0)" in lines
    assert all(line.startswith("rewrite ") and " -> " in line for line in lines), lines
    assert f(2.0) == [10.0, 10.0]
    # Nothing is printed once compiled, and the graph keeps no reporter.
    f(1.0)
    assert capsys.readouterr().out == ""
    assert not any(type(ft).__name__ == "RewriteReporter" for ft in f.maker.fgraph._features)


def test_rewrite_reporter_names_and_reverts():
    import io

    import graft.tensor as gt
    from graft.compile.verbose import RewriteReporter, rewrite_name
    from graft.graph.fg import FunctionGraph

    class Named:
        name = "my_rewrite"

    assert rewrite_name(None) == "<unnamed rewrite>"
    assert rewrite_name("merge") == "merge"
    assert rewrite_name(Named()) == "my_rewrite"
    assert rewrite_name(object()) == "object"
    x = gt.dvector("x")
    y = gt.exp(x)
    fg = FunctionGraph([x], [y * 2, y + 1], clone=False)
    buf = io.StringIO()
    rep = RewriteReporter(buf)
    fg.attach_feature(rep)
    z = gt.exp2(x) if hasattr(gt, "exp2") else gt.sqrt(x)
    fg.replace(y, z, reason=Named())  # two clients rewired: one line
    fg.replace(z, y, reason=("Revert", Named()))
    lines = buf.getvalue().splitlines()
    assert len(lines) == 2 and rep.count == 1
    assert lines[0] == f"rewrite my_rewrite: {y.owner} -> {z.owner}"
    assert lines[1] == f"rewrite my_rewrite reverted: {y.owner} -> {z.owner}"


def test_graft_flags_in_a_fresh_process():
    src = str(Path(graft.__file__).resolve().parents[1])
    env = {k: v for k, v in os.environ.items() if not k.startswith("GRAFT_")}
    env.update(
        PYTHONPATH=src,
        GRAFT_FLAGS="profile=True,floatX=float32,on_unused_input=warn",
        GRAFT_DISABLE_PLUGIN_AUTOLOAD="1",
    )
    code = (
        "from graft.configparser import config as c, change_flags\n"
        "print(c.profile, c.floatX, c.on_unused_input)\n"
        "with change_flags(profile=False): print(c.profile)\n"
        "print(c.profile)\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["True", "float32", "warn", "False", "True"]
