"""Function profiles: compile phases, calls, rewriter profile, per-Op tables, atexit."""

from __future__ import annotations

import io
import re
import subprocess
import sys
from pathlib import Path

import pytest

import graft.compile.profiling as profiling
from graft.compile import ProfileStats, function
from graft.configparser import change_flags
from graft.scalar import exp, float64, log

SRC = Path(__file__).resolve().parents[2] / "packages" / "core" / "src"

NUM = r"\d+\.\d+e[+-]\d+"
SUMMARY = re.compile(
    r"Function profiling\n"
    r"==================\n"
    r"  Message: (?P<message>.*)\n"
    rf"  Time in (?P<calls>\d+) calls to Function\.__call__: {NUM}s\n"
    rf"  Total compile time: {NUM}s\n"
    r"    Number of Apply nodes: (?P<nodes>\d+)\n"
    rf"    Graft rewriter time: {NUM}s\n"
    rf"       Graft validate time: {NUM}s\n"
    rf"    Graft linker time \(backend '(?P<backend>\w+)'\): {NUM}s\n"
    rf"  Time in all call to graft\.grad\(\) (?P<grad>{NUM})s\n"
)


@pytest.fixture(autouse=True)
def no_atexit_printing():
    before = list(profiling.atexit_profiles)
    yield
    profiling.atexit_profiles[:] = before


def summary(prof: ProfileStats) -> str:
    buf = io.StringIO()
    prof.summary(buf)
    return buf.getvalue()


def graph():
    x, y = float64("x"), float64("y")
    return [x, y], [log(exp(x) * y + 1.0), x * y]


def test_profile_true_fills_the_summary():
    ins, outs = graph()
    f = function(ins, outs, profile=True, name="my_fn")
    for _ in range(3):
        f(1.0, 2.0)
    prof = f.profile
    assert isinstance(prof, ProfileStats)
    assert prof.fct_callcount == 3 and prof.fct_call_time > 0
    assert prof.compile_time >= prof.rewriter_time + prof.linker_time > 0
    text = summary(prof)
    m = SUMMARY.match(text)
    assert m, text
    assert m["message"] == "my_fn" and m["calls"] == "3"
    assert int(m["nodes"]) == len(f.maker.fgraph.apply_nodes) == 5
    assert "Rewriter Profile" not in text
    assert m["backend"] == f.maker.linker.name == "py"
    assert "C code" not in text and "Import time" not in text  # the py backend generates none
    assert profiling.atexit_profiles[-1] is prof  # profile=True prints at exit too


def test_message_defaults_to_the_calling_line():
    ins, outs = graph()
    f = function(ins, outs, profile=True)
    m = SUMMARY.match(summary(f.profile))
    assert m and m["message"].startswith(f"{__file__}:")


def test_no_profile_by_default():
    ins, outs = graph()
    assert function(ins, outs).profile is None
    assert function(ins, outs, profile=False).profile is None


def test_per_op_tables():
    ins, outs = graph()
    f = function(ins, outs, profile=True)
    f(1.0, 2.0)
    text = summary(f.profile)
    for title in ("Class\n-----", "Ops\n---", "Apply\n-----"):
        assert title in text
    assert "<% time> <sum %> <apply time> <time per call> <#call> <#apply> <Class name>" in text
    assert "<#call> <id> <Apply name>" in text
    assert re.search(r"graft\.scalar\.\w+\.Exp", text)
    assert re.search(r"\d+\.\d%\s+\d+\.\d%\s+\d+\.\d+s\s+\S+s\s+1\s+\d+\s+exp", text)
    times = f.profile.apply_times()
    assert len(times) == 5 and all(c == 1 for _, c in times.values())


def test_profile_optimizer_prints_rewriter_profile():
    ins, outs = graph()
    with change_flags(profile=True, profile_optimizer=True):
        f = function(ins, outs)
    assert f.profile is not None
    assert profiling.atexit_profiles[-1] is f.profile  # printed at exit
    f(1.0, 2.0)
    text = summary(f.profile)
    assert SUMMARY.match(text)
    assert "Rewriter Profile\n----------------\n" in text
    assert "SequentialGraphRewriter" in text
    assert text.index("Rewriter Profile") > text.index("Time in all call to graft.grad()")


def test_given_profile_stats_accumulates():
    prof = ProfileStats(message="shared stats")
    x = float64("x")
    f = function([x], x * 2, profile=prof)
    g = function([x], x + 2, profile=prof)
    f(1.0)
    g(1.0)
    assert f.profile is prof and prof.fct_callcount == 2


def test_grad_time_is_printed():
    import graft.gradient.core as gcore

    old = gcore.grad_time
    gcore.grad_time = 1.5
    try:
        assert profiling.grad_time == 1.5
        ins, outs = graph()
        m = SUMMARY.match(summary(function(ins, outs, profile=True).profile))
        assert m and m["grad"] == "1.500000e+00"
    finally:
        gcore.grad_time = old


def test_profiles_print_at_exit():
    # One function asks for a profile, one is compiled under config.profile, one neither.
    code = (
        "from graft.compile import function\n"
        "from graft.configparser import change_flags\n"
        "from graft.scalar import float64\n"
        "x = float64('x')\n"
        "f = function([x], x * 2 + 1, name='asked', profile=True)\n"
        "f(1.0); f(2.0)\n"
        "with change_flags(profile=True):\n"
        "    g = function([x], x - 1, name='by_config')\n"
        "g(1.0)\n"
        "h = function([x], x - 2, name='not_profiled')\n"
        "print(f.profile is not None, g.profile is not None, h.profile is None)\n"
    )
    env = {"PYTHONPATH": str(SRC), "PATH": "/usr/bin:/bin"}
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=False
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["True", "True", "True"]
    found = {m["message"]: m["calls"] for m in SUMMARY.finditer(proc.stderr)}
    assert found == {"asked": "2", "by_config": "1"}, proc.stderr
    assert proc.stderr.index("Message: asked") < proc.stderr.index("Message: by_config")


def test_import_time_is_printed_when_there_is_some():
    prof = ProfileStats(message="gen")
    prof.import_time = 0.25
    text = summary(prof)
    assert "Graft linker time (backend unknown)" in text
    assert "Import time of generated code: 2.500000e-01s" in text


def test_print_atexit_profiles_clears_the_list():
    prof = ProfileStats(message="manual", atexit_print=True)
    assert profiling.atexit_profiles[-1] is prof
    buf = io.StringIO()
    profiling.print_atexit_profiles(buf)
    assert "Message: manual" in buf.getvalue() and prof not in profiling.atexit_profiles
