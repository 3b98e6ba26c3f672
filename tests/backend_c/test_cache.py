"""The C backend's disk cache and build: a new process loads instead of building, concurrent
builds of one graph write one artifact, a corrupt artifact is rebuilt, the directory is
private, and user strings never reach the C source except escaped in comments."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

from c_helpers import needs_c

pytestmark = needs_c

PROGRAM = textwrap.dedent(
    """
    import json, sys, time, warnings
    import numpy as np
    import graft, graft.tensor as gt
    from graft.link.codegen import BackendFallbackWarning
    warnings.simplefilter("error", BackendFallbackWarning)
    x, y = gt.dvector({name!r}), gt.dvector("y")
    out = gt.exp(x) * y + {const} - gt.tanh(x * y)
    t0 = time.perf_counter()
    f = graft.function([x, y], out, mode="C")
    elapsed = time.perf_counter() - t0
    a, b = np.arange(3.0), np.ones(3)
    np.testing.assert_allclose(f(a, b), np.exp(a) * b + {const} - np.tanh(a * b))
    print(json.dumps({{"seconds": elapsed}}))
    """
)


def _run(cache: Path, const: float = 1.5, name: str = "x") -> subprocess.Popen:
    env = dict(os.environ, GRAFT_CACHE_DIR=str(cache))
    return subprocess.Popen(
        [sys.executable, "-c", PROGRAM.format(const=const, name=name)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _finish(proc: subprocess.Popen) -> dict:
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err
    return json.loads(out.strip().splitlines()[-1])


def _files(cache: Path, suffix: str) -> list[Path]:
    return sorted((cache / "c").rglob(f"*{suffix}"))


def test_second_process_loads_the_built_module(tmp_path):
    cache = tmp_path / "cache"
    _finish(_run(cache))
    (so,) = _files(cache, ".so")
    (src,) = _files(cache, ".c")
    assert so.stem == src.stem
    stamp = so.stat().st_mtime_ns
    _finish(_run(cache))
    assert so.stat().st_mtime_ns == stamp, "the module was built again instead of loaded"
    assert (cache / "c").stat().st_mode & 0o077 == 0
    assert so.parent.stat().st_mode & 0o077 == 0


def test_concurrent_builds_write_one_artifact_per_graph(tmp_path):
    cache = tmp_path / "cache"
    # The case: 8 processes at once, 7 of them on the same graph.
    procs = [_run(cache) for _ in range(7)] + [_run(cache, const=2.5)]
    for p in procs:
        _finish(p)
    assert len(_files(cache, ".so")) == 2
    assert len(_files(cache, ".c")) == 2
    leftovers = [p for p in (cache / "c").rglob(".tmp-*")]
    assert not leftovers, leftovers


def test_a_corrupt_module_is_rebuilt(tmp_path):
    cache = tmp_path / "cache"
    _finish(_run(cache))
    (so,) = _files(cache, ".so")
    so.write_bytes(b"\x7fELF truncated")
    _finish(_run(cache))
    assert so.stat().st_size > 1000
    (so,) = _files(cache, ".so")


def test_a_cache_directory_others_can_write_is_not_used(tmp_path):
    cache = tmp_path / "cache"
    cache.mkdir(mode=0o777)
    cache.chmod(0o777)
    _finish(_run(cache))
    assert not (cache / "c").exists() or not _files(cache, ".so")


def test_user_strings_only_in_escaped_comments(tmp_path):
    cache = tmp_path / "cache"
    evil = '"); system("echo pwned"); /* */ //'
    _finish(_run(cache, name=evil))
    (src,) = _files(cache, ".c")
    text = src.read_text()
    assert "pwned" not in text  # variable names are not part of the source at all
    assert 'system("' not in text
