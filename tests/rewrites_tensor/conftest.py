"""Make graft-rewrites-tensor discoverable as a plugin when it is not installed.

The nox session installs the package, so its entry point is real. Run from a
checkout (``PYTHONPATH=packages/core/src:packages/rewrites-tensor/src``), the
package is importable but has no metadata: a minimal ``.dist-info`` with the
same entry point is written to a temporary directory on ``sys.path`` before
any test loads graft's plugins.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

import rt_helpers


def pytest_configure(config: object) -> None:
    try:
        import graft_rewrites_tensor  # noqa: F401
    except ImportError:
        sys.path.insert(0, str(rt_helpers.PLUGIN_SRC))
    if not rt_helpers.is_installed():
        site = Path(tempfile.mkdtemp(prefix="graft-rt-dist-"))
        rt_helpers.write_dist_info(site)
        sys.path.append(str(site))
        rt_helpers.FAKE_SITE = site


def pytest_unconfigure(config: object) -> None:
    if rt_helpers.FAKE_SITE is not None:
        shutil.rmtree(rt_helpers.FAKE_SITE, ignore_errors=True)
