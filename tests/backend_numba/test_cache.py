"""The Numba backend's disk cache: a new process loads instead of compiling, concurrent
compiles corrupt nothing, a corrupt entry is rebuilt, the directory is private."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytest.importorskip("numba")

PROGRAM = textwrap.dedent(
    """
    import json, sys, time, warnings
    import numpy as np
    import graft, graft.tensor as gt
    from graft.link.codegen import BackendFallbackWarning
    warnings.simplefilter("error", BackendFallbackWarning)
    x, y = gt.dvector("x"), gt.dvector("y")
    out = gt.exp(x) * y + {const} - gt.tanh(x * y)
    t0 = time.perf_counter()
    f = graft.function([x, y], out, mode="NUMBA")
    value = f(np.arange(3.0), np.ones(3))
    elapsed = time.perf_counter() - t0
    expected = np.exp(np.arange(3.0)) + {const} - np.tanh(np.arange(3.0))
    np.testing.assert_allclose(value, expected)
    print(json.dumps({{"seconds": elapsed}}))
    """
)


def _run(cache: Path, const: float = 1.5, **kw) -> subprocess.Popen:
    env = dict(os.environ, GRAFT_CACHE_DIR=str(cache))
    return subprocess.Popen(
        [sys.executable, "-c", PROGRAM.format(const=const)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **kw,
    )


def _finish(proc: subprocess.Popen) -> str:
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err
    return out


def _entries(cache: Path) -> list[Path]:
    return sorted((cache / "numba").rglob("*.py"))


def _numba_files(cache: Path) -> list[Path]:
    return sorted((cache / "numba").rglob("*.nbi"))


def test_second_process_loads_from_the_cache(tmp_path):
    cache = tmp_path / "cache"
    _finish(_run(cache))
    (entry,) = _entries(cache)
    index = _numba_files(cache)
    assert index, "numba wrote no cache index beside the generated module"
    stamps = {p: p.stat().st_mtime_ns for p in index}
    _finish(_run(cache))
    # Loaded, not recompiled: numba's index files were not rewritten.
    assert {p: p.stat().st_mtime_ns for p in _numba_files(cache)} == stamps
    assert _entries(cache) == [entry]
    assert (cache / "numba").stat().st_mode & 0o077 == 0


def test_concurrent_compiles_of_the_same_and_other_graphs(tmp_path):
    cache = tmp_path / "cache"
    procs = [_run(cache, const=c) for c in (1.5, 1.5, 1.5, 2.5)]
    for p in procs:
        _finish(p)
    assert len(_entries(cache)) == 2
    # Every entry is whole and usable by a later process.
    _finish(_run(cache, const=1.5))
    _finish(_run(cache, const=2.5))


def test_corrupt_entries_are_rebuilt(tmp_path):
    cache = tmp_path / "cache"
    _finish(_run(cache))
    (entry,) = _entries(cache)
    entry.write_text(entry.read_text()[: len(entry.read_text()) // 2])  # truncated source
    for p in _numba_files(cache):
        p.write_bytes(b"\x00garbage")
    for p in sorted((cache / "numba").rglob("*.nbc")):
        p.write_bytes(p.read_bytes()[:10])
    _finish(_run(cache))
    _finish(_run(cache))
