"""The on-disk cache that compiled backends share: a private directory, atomic writes.

Layout: ``<root>/<backend>/<key[:2]>/<key><suffix>`` where ``key`` is a
`graft.link.cache_key.graph_key`. ``<root>`` is ``$GRAFT_CACHE_DIR``, else
``$XDG_CACHE_HOME/graft``, else ``~/.cache/graft``.

Rules, so that many processes can share the cache safely:

- The directory is private to the user: created with mode 0700, and used only
  when it is owned by the current user and not writable by group or others
  (otherwise `cache_dir` returns None and backends compile without caching).
- Entries are written whole or not at all (a temporary file in the same
  directory, then ``os.replace``); readers never see a partial entry. Two
  processes writing the same entry write the same bytes, so no global lock is
  needed; `entry_lock` is a per-entry lock (``filelock``) for backends whose
  build step is expensive and should run once.
- A reader that finds an entry it cannot use (truncated, corrupt) calls
  `discard` and rebuilds it.

Example::

    from graft.link.diskcache import cache_dir, write_entry

    root = cache_dir("numba")                  # Path or None
    path = write_entry("numba", key, ".py", source_text)
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path

__all__ = ["cache_dir", "cache_root", "discard", "entry_lock", "entry_path", "write_entry"]


def cache_root() -> Path:
    """Where graft's caches live (see the module docstring)."""
    env = os.environ.get("GRAFT_CACHE_DIR")
    if env:
        return Path(env).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return base / "graft"


def _private(path: Path) -> bool:
    """Whether ``path`` is a directory owned by this user that only it can write."""
    try:
        st = path.stat()
    except OSError:
        return False
    if not stat.S_ISDIR(st.st_mode):
        return False
    if hasattr(os, "getuid") and st.st_uid != os.getuid():
        return False
    return not st.st_mode & (stat.S_IWGRP | stat.S_IWOTH)


def cache_dir(backend: str) -> Path | None:
    """The private cache directory of ``backend`` (created), or None when none is usable.

    ``backend`` must be a plain name (letters, digits, ``_``, ``-``).
    """
    if not backend or not all(c.isalnum() or c in "_-" for c in backend):
        raise ValueError(f"cache_dir: backend name {backend!r} is not a plain name")
    root = cache_root()
    path = root / backend
    try:
        root.mkdir(mode=0o700, parents=True, exist_ok=True)
        path.mkdir(mode=0o700, exist_ok=True)
    except OSError:
        return None
    if not (_private(root) and _private(path)):
        return None
    return path


def entry_path(backend: str, key: str, suffix: str) -> Path | None:
    """Where the entry ``key`` of ``backend`` lives (its folder created), or None without a cache."""
    if not key or not all(c in "0123456789abcdef" for c in key):
        raise ValueError(f"entry_path: key must be a lowercase hex digest, got {key!r}")
    base = cache_dir(backend)
    if base is None:
        return None
    folder = base / key[:2]
    try:
        folder.mkdir(mode=0o700, exist_ok=True)
    except OSError:
        return None
    return folder / f"{key}{suffix}"


def write_entry(backend: str, key: str, suffix: str, data: str | bytes) -> Path | None:
    """Write the entry atomically (unless an identical one is there); its path, or None."""
    path = entry_path(backend, key, suffix)
    if path is None:
        return None
    raw = data.encode() if isinstance(data, str) else data
    try:
        if path.read_bytes() == raw:
            return path
    except OSError:
        pass
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=suffix)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(raw)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        return None
    return path


def discard(path: Path) -> None:
    """Remove a corrupt entry (and anything a backend keeps beside it with the same stem)."""
    for p in path.parent.glob(path.stem + "*"):
        with contextlib.suppress(OSError):
            if p.is_dir():
                import shutil

                shutil.rmtree(p)
            else:
                p.unlink()


@contextlib.contextmanager
def entry_lock(path: Path, timeout: float = 600.0) -> Iterator[None]:
    """Hold the per-entry lock of ``path`` (other entries stay free); waits up to ``timeout``.

    Only for expensive builds that should run once across processes; reading
    or writing an entry needs no lock.
    """
    from filelock import FileLock

    with FileLock(str(path) + ".lock", timeout=timeout):
        yield
