"""Graphs that differ only in their constants share their generated source (constants are
module globals): each must still run with its own constants, in one process and after a
reload from the disk cache."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np

import graft
import graft.tensor as gt

SCRIPT = """
import numpy as np, graft, graft.tensor as gt
x = gt.dvector("x")
fs = [graft.function([x], x + np.array([c, c]), mode="NUMBA") for c in (1.0, 5.0, 1.0)]
print([float(f(np.zeros(2))[0]) for f in fs])
"""


def test_same_source_other_constants_in_one_process():
    x = gt.dvector("x")
    fs = [graft.function([x], x * np.array([c, -c]), mode="NUMBA") for c in (2.0, 3.0)]
    np.testing.assert_array_equal(fs[0](np.ones(2)), [2.0, -2.0])
    np.testing.assert_array_equal(fs[1](np.ones(2)), [3.0, -3.0])


def test_same_source_other_constants_across_processes(tmp_path):
    env = dict(os.environ, GRAFT_CACHE_DIR=str(tmp_path / "cache"))
    for _ in range(2):  # cold cache, then loaded from it
        out = subprocess.run(
            [sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True
        )
        assert out.returncode == 0, out.stderr
        assert out.stdout.strip() == "[1.0, 5.0, 1.0]"
