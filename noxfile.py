"""Developer sessions for the graft monorepo.

Each package's tests run in their own environment holding only that package
and what it declares, so a missing dependency shows up as a failure here.
"""

from __future__ import annotations

import os
from pathlib import Path

import nox

ROOT = Path(__file__).parent
nox.options.default_venv_backend = "uv|virtualenv"
nox.options.reuse_existing_virtualenvs = True
nox.options.sessions = ["lint", "typecheck", "tests"]

# package folder -> (distribution path, tests folder); plugins depend on core.
PACKAGES: dict[str, tuple[list[str], str]] = {
    "core": (["packages/core"], "tests/core"),
    "rewrites-tensor": (["packages/core", "packages/rewrites-tensor"], "tests/rewrites_tensor"),
    # The backends are tested on FAST_RUN graphs too (fused Composites, ElemwiseReduce).
    "backend-numba": (
        ["packages/core", "packages/rewrites-tensor", "packages/backend-numba"],
        "tests/backend_numba",
    ),
    "backend-c": (
        ["packages/core", "packages/rewrites-tensor", "packages/backend-c"],
        "tests/backend_c",
    ),
    "backend-jax": (
        ["packages/core", "packages/rewrites-tensor", "packages/backend-jax"],
        "tests/backend_jax",
    ),
    # The probabilistic layer: models and densities, then inference on the Numba backend.
    "ppl": (["packages/core", "packages/rewrites-tensor", "packages/ppl-demo"], "tests/ppl"),
    "ppl-inference": (
        [
            "packages/core",
            "packages/rewrites-tensor",
            "packages/backend-numba",
            "packages/ppl-demo",
        ],
        "tests/ppl_inference",
    ),
    # The conformance kit, for every installed backend (the reference one included).
    "conformance": (
        [
            "packages/core",
            "packages/rewrites-tensor",
            "packages/backend-numba",
            "packages/backend-c",
        ],
        "tests/conformance",
    ),
}
TEST_DEPS = ["pytest>=8", "hypothesis>=6.100", "pytest-benchmark>=4", "pytest-xdist>=3"]
EDITABLE = {"packages/backend-numba"}
#: Sessions whose time is mostly compiling (numba, gcc, XLA): one worker per CPU.
PARALLEL = {"backend-numba", "backend-jax", "conformance"}


@nox.session(name="tests")
@nox.parametrize("package", list(PACKAGES))
def tests(session: nox.Session, package: str) -> None:
    """Run one package's tests against an install of just that package."""
    dists, folder = PACKAGES[package]
    session.install(*TEST_DEPS)
    # The Numba backend is installed in place: its kernels' numba caches then live in one
    # folder that every session (and pytest worker) shares, instead of one per venv.
    session.install(*(arg for d in dists for arg in (("-e", d) if d in EDITABLE else (d,))))
    # Run from the tests folder so the source tree is not importable by accident.
    workers = ["-n", "auto"] if package in PARALLEL else []
    env = {}
    if package == "conformance":
        # A cold Numba cache compiles each case's graph (~2-5 s): CI runs the Numba kit on
        # FAST_RUN graphs, while tests/backend_numba compiles the raw (unrewritten) Ops.
        # `GRAFT_CONFORMANCE_REWRITES= nox -s "tests(package='conformance')"` runs all.
        env["GRAFT_CONFORMANCE_REWRITES"] = os.environ.get(
            "GRAFT_CONFORMANCE_REWRITES", "numba=fast_run"
        )
    session.run(
        "python", "-m", "pytest", str(ROOT / folder), "-q", *workers, *session.posargs, env=env
    )


@nox.session
def lint(session: nox.Session) -> None:
    """ruff: lint and formatting."""
    session.install("ruff>=0.6")
    session.run("ruff", "check", "packages", "tests", "benchmarks", "examples", "noxfile.py")
    session.run(
        "ruff", "format", "--check", "packages", "tests", "benchmarks", "examples", "noxfile.py"
    )


@nox.session
def typecheck(session: nox.Session) -> None:
    """mypy (check_untyped_defs) on graft-core and graft-rewrites-tensor."""
    session.install("mypy>=1.10", "numpy")
    session.install("packages/core", "packages/rewrites-tensor")
    session.run(
        "mypy", "packages/core/src/graft", "packages/rewrites-tensor/src/graft_rewrites_tensor"
    )


@nox.session
def demo(session: nox.Session) -> None:
    """Run the guided demo (core plus the tensor rewrite plugin)."""
    session.install("packages/core", "packages/rewrites-tensor")
    session.run("python", str(ROOT / "examples" / "demo.py"))


@nox.session
def bench(session: nox.Session) -> None:
    """Every benchmark in benchmarks/; arguments go to fastrun_rewrite.py.

    ``nox -s bench -- --compare-pytensor`` also times PyTensor on the FAST_RUN graphs.
    """
    session.install("packages/core", "packages/rewrites-tensor")
    if "--compare-pytensor" in session.posargs:
        session.install("pytensor")
    bench_dir = ROOT / "benchmarks"
    session.run("python", str(bench_dir / "rewrite_scaling.py"))
    session.run("python", str(bench_dir / "call_overhead.py"))
    session.run("python", str(bench_dir / "reduce_fusion.py"))
    session.run("python", str(bench_dir / "build_grad.py"))
    session.run("python", str(bench_dir / "fastrun_rewrite.py"), *session.posargs)
