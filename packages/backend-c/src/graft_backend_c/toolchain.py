"""The C toolchain: finding gcc and the headers, the build flags, building one module.

`check_available` is the backend's availability check: it raises an error
naming what is missing (a C compiler, Python's headers, NumPy's headers), so
``python -m graft plugins`` and skipped tests say why the backend is off.

Flags are fixed and portable (no ``-march=native``): ``-O1`` (the loops that
matter carry ``#pragma omp simd``, which gcc vectorises at ``-O1`` too, calling
libmvec; ``-O2`` costs about 1.5 times the build time for no measured gain), wrapping
signed arithmetic as NumPy's (``-fwrapv``), no ``errno`` from libm (so
``sqrt`` is one instruction; results are unchanged), no floating-point traps
(``-fno-trapping-math``: NaN/inf results are unchanged, but a select such as
``x >= 0 ? r : e * r`` may compute both sides, which lets simd loops with
branches vectorise; NumPy does not trap either), and ``-fopenmp-simd``
so that ``#pragma omp simd`` loops call glibc's vector math (libmvec) where
it exists. ``-ffast-math`` is never used: NaN/inf semantics stay NumPy's.
The compiler's version, these flags, the libmvec level, NumPy's C API
version and Python's ABI tag are part of every cache key (`salt`).

Example::

    from graft_backend_c.toolchain import toolchain

    tc = toolchain()          # found once per process
    tc.cc, tc.flags, tc.mvec  # '/usr/bin/gcc', ('-O1', ...), 'glibc-2.35'
"""

from __future__ import annotations

import functools
import os
import platform
import shutil
import subprocess
import sys
import sysconfig
from dataclasses import dataclass
from pathlib import Path

__all__ = ["BuildError", "Toolchain", "check_available", "toolchain", "vector_math"]

#: Compiler flags of every module (part of the cache key).
FLAGS: tuple[str, ...] = (
    "-O1",
    "-std=gnu11",
    "-fPIC",
    "-shared",
    "-fwrapv",
    "-fno-strict-aliasing",
    "-fno-math-errno",
    "-fno-trapping-math",
    "-fopenmp-simd",
    "-w",
)


class BuildError(RuntimeError):
    """The C compiler failed on a generated module (its message holds the compiler's output)."""


@dataclass(frozen=True)
class Toolchain:
    """What a build needs: the compiler, its version, include dirs, flags, libmvec level."""

    cc: str
    version: str
    includes: tuple[str, ...]
    flags: tuple[str, ...]
    mvec: str  # "" (no vector math), "glibc-2.22" or "glibc-2.35"
    abi: str

    def salt(self) -> tuple[str, ...]:
        """Everything besides the graph that a built module depends on."""
        import numpy as np

        return (
            f"cc {self.version}",
            "flags " + " ".join(self.flags),
            f"mvec {self.mvec or 'none'}",
            f"numpy {np.__version__}",
            f"python {self.abi}",
            f"cpu {platform.machine()}",
        )

    def build(self, source: Path, target: Path) -> None:
        """Compile ``source`` into the shared object ``target`` (written atomically)."""
        tmp = target.with_name(f".tmp-{os.getpid()}-{target.name}")
        libs = ["-lmvec", "-lm"] if self.mvec else ["-lm"]
        cmd = [
            self.cc,
            *self.flags,
            *(f"-I{d}" for d in self.includes),
            str(source),
            "-o",
            str(tmp),
            *libs,
        ]
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            tmp.unlink(missing_ok=True)
            raise BuildError(
                f"backend 'c': {Path(self.cc).name} failed on {source} "
                f"(exit {proc.returncode}):\n{proc.stderr[-4000:]}"
            )
        os.replace(tmp, target)


def _find_cc() -> str | None:
    env = os.environ.get("CC")
    cands = [env.split()[0]] if env else []
    conf = sysconfig.get_config_var("CC")
    if conf:
        cands.append(str(conf).split()[0])
    cands += ["cc", "gcc"]
    for c in cands:
        found = shutil.which(c)
        if found:
            return found
    return None


def _mvec_level() -> str:
    """Which glibc vector-math functions exist: by glibc's version (libmvec ships with it)."""
    if platform.machine() not in ("x86_64", "AMD64"):
        return ""
    try:
        lib, ver = os.confstr("CS_GNU_LIBC_VERSION").split()  # type: ignore[union-attr]
    except (AttributeError, ValueError, OSError):
        return ""  # not glibc
    if lib != "glibc":
        return ""
    major, minor = (int(p) for p in ver.split(".")[:2])
    if (major, minor) >= (2, 35):
        return "glibc-2.35"
    if (major, minor) >= (2, 22):
        return "glibc-2.22"
    return ""


def vector_math() -> str:
    """Which vector math generated loops use: glibc's libmvec, or scalar libm (say so)."""
    level = _mvec_level()
    if level:
        return f"vector math: glibc libmvec ({level})"
    return "vector math: none (no glibc libmvec here; loops call scalar libm: correct, slower)"


def _problems() -> tuple[list[str], dict[str, str]]:
    found: dict[str, str] = {}
    missing: list[str] = []
    cc = _find_cc()
    if cc is None:
        missing.append("a C compiler ($CC, sysconfig's CC, 'cc' or 'gcc' on PATH)")
    else:
        found["cc"] = cc
    pyinc = sysconfig.get_paths().get("include", "")
    if not (pyinc and (Path(pyinc) / "Python.h").is_file()):
        missing.append(f"Python's headers (no Python.h in {pyinc!r}; install python3-dev)")
    else:
        found["pyinc"] = pyinc
    try:
        import numpy as np

        npinc = np.get_include()
        if not (Path(npinc) / "numpy" / "arrayobject.h").is_file():
            missing.append(f"NumPy's headers (no numpy/arrayobject.h in {npinc!r})")
        else:
            found["npinc"] = npinc
    except Exception as exc:  # pragma: no cover - numpy is a dependency
        missing.append(f"NumPy ({exc})")
    return missing, found


def check_available() -> bool:
    """True where modules can be built; otherwise raises `RuntimeError` naming what is missing.

    Example::

        check_available()   # RuntimeError: backend 'c' needs a C compiler (...)
    """
    missing, _ = _problems()
    if missing:
        raise RuntimeError("backend 'c' needs " + " and ".join(missing))
    return True


@functools.cache
def toolchain() -> Toolchain:
    """The toolchain of this process (found once); `RuntimeError` if something is missing."""
    missing, found = _problems()
    if missing:
        raise RuntimeError("backend 'c' needs " + " and ".join(missing))
    cc = found["cc"]
    try:
        proc = subprocess.run([cc, "--version"], capture_output=True, text=True, check=False)
        version = proc.stdout.splitlines()[0].strip() if proc.stdout else cc
    except OSError as exc:
        raise RuntimeError(f"backend 'c': cannot run the C compiler {cc!r}: {exc}") from exc
    abi = sysconfig.get_config_var("SOABI") or f"{sys.implementation.name}-{sys.version_info[:2]}"
    # macOS: Python's symbols are resolved when the module is loaded.
    flags = FLAGS + (("-undefined", "dynamic_lookup") if sys.platform == "darwin" else ())
    return Toolchain(
        cc=cc,
        version=version,
        includes=(found["pyinc"], found["npinc"]),
        flags=flags,
        mvec=_mvec_level(),
        abi=str(abi),
    )
