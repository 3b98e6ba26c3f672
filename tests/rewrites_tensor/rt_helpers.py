"""Helpers for the graft-rewrites-tensor tests: compile with and without rewrites, compare."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from importlib.metadata import PackageNotFoundError, distribution
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import graft
from graft.compile import Mode
from graft.graph.basic import Apply, Variable

NO_REWRITES = Mode(optimizer=None)
#: FAST_RUN's canonicalize/stabilize/specialize stages without the later fusion and in-place
#: stages, whose Composite and in-place ops would hide the ops these tests look for.
REWRITE_SETS = Mode(optimizer="fast_run").excluding("fusion", "inplace")

#: Test-module marks: a rewrite that raises, or rewrites that undo each other, fail the test.
STRICT_WARNINGS = [
    pytest.mark.filterwarnings("error::graft.graph.rewriting.basic.RewriteWarning"),
    pytest.mark.filterwarnings("error:EquilibriumGraphRewriter:RuntimeWarning"),
]

PLUGIN_SRC = Path(__file__).resolve().parents[2] / "packages" / "rewrites-tensor" / "src"
DIST = "graft-rewrites-tensor"
#: Where conftest put a stand-in distribution record (None: the package is installed).
FAKE_SITE: Path | None = None


def write_dist_info(site: Path, version: str = "0.1.0") -> Path:
    """Write a minimal installed-distribution record of graft-rewrites-tensor into ``site``."""
    info = site / f"graft_rewrites_tensor-{version}.dist-info"
    info.mkdir(parents=True, exist_ok=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {DIST}\nVersion: {version}\n")
    (info / "entry_points.txt").write_text(
        "[graft]\nrewrites-tensor = graft_rewrites_tensor.plugin\n"
    )
    (info / "RECORD").write_text("")
    return info


def is_installed() -> bool:
    """Whether graft-rewrites-tensor has distribution metadata on ``sys.path``."""
    try:
        distribution(DIST)
    except PackageNotFoundError:
        return False
    return True


#: (rtol, atol) per result dtype: reassociation and different formulas round differently.
TOLERANCE = {
    "float64": (1e-9, 1e-12),
    "float32": (2e-5, 1e-6),
    "float16": (5e-3, 5e-3),
}

FLOAT_VALUES = [0.0, -0.0, 1.0, -1.0, 0.5, -0.5, 2.0, -3.0, 1e-3, -1e-3, 4.5, -6.0, 1e4, -3e4]
INT_VALUES = [0, 1, -1, 2, -2, 3, -5, 7, 12, -12, 100, -100, 10**6, -(10**6)]


def compile_pair(inputs: Sequence[Variable], out: Variable) -> tuple[Any, Any]:
    """``(function rewritten by REWRITE_SETS, function without rewrites)`` of the same graph."""
    fast = graft.function(inputs, out, mode=REWRITE_SETS, on_unused_input="ignore")
    ref = graft.function(inputs, out, mode=NO_REWRITES, on_unused_input="ignore")
    return fast, ref


def graph_nodes(f: Any) -> list[Apply]:
    """The nodes of a compiled function's rewritten graph."""
    return list(f.maker.fgraph.toposort())


def uses(f: Any, op: Any) -> bool:
    """Whether the rewritten graph of ``f`` applies ``op`` (an Op instance, or an Op class)."""
    for node in graph_nodes(f):
        if isinstance(op, type):
            if isinstance(node.op, op):
                return True
        elif node.op == op:
            return True
    return False


def assert_agree(ref: Any, new: Any, *, scale: float = 1.0) -> None:
    """``new`` equals ``ref`` to the dtype's tolerance wherever ``ref`` is finite, and is finite there.

    ``scale`` multiplies the absolute tolerance (the magnitude of the values
    the computation went through).
    """
    ref, new = np.asarray(ref), np.asarray(new)
    assert new.dtype == ref.dtype, (new.dtype, ref.dtype)
    assert new.shape == ref.shape, (new.shape, ref.shape)
    if ref.dtype.kind not in "fc":
        np.testing.assert_array_equal(new, ref)
        return
    finite = np.isfinite(ref)
    assert np.all(np.isfinite(new[finite])), (
        f"rewritten result not finite where original is: {new} vs {ref}"
    )
    rtol, atol = TOLERANCE[ref.dtype.name]
    np.testing.assert_allclose(new[finite], ref[finite], rtol=rtol, atol=atol * max(scale, 1.0))


def sample(
    dtype: str, values: Iterable[float] | None = None, n_random: int = 12, seed: int = 0
) -> np.ndarray:
    """Test inputs of ``dtype``: the given (or default) special values plus random ones."""
    rng = np.random.default_rng(seed)
    if np.dtype(dtype).kind == "f":
        base = list(FLOAT_VALUES if values is None else values)
        extra = rng.normal(0.0, 3.0, n_random)
    else:
        base = [v for v in (INT_VALUES if values is None else values) if float(v).is_integer()]
        extra = rng.integers(-20, 20, n_random)
    return np.concatenate([np.asarray(base, dtype="float64"), extra]).astype(dtype)


def check_rewrite(
    build: Callable[..., Variable],
    *,
    present: Sequence[Any] = (),
    absent: Sequence[Any] = (),
    dtypes: Sequence[str] = ("float64", "float32", "int64"),
    values: Iterable[float] | None = None,
    n_inputs: int = 1,
    structure_dtypes: Sequence[str] | None = None,
) -> None:
    """Build ``build(*vector inputs)`` per dtype; check the rewritten graph and its values.

    The rewritten graph must use every op of ``present`` and none of
    ``absent`` (checked for ``structure_dtypes``, default: all ``dtypes``),
    and agree with the unrewritten graph on `sample` inputs.
    """
    vals = None if values is None else list(values)
    for dtype in dtypes:
        ins = [graft.tensor.vector(f"x{i}", dtype=dtype) for i in range(n_inputs)]
        out = build(*ins)
        fast, ref = compile_pair(ins, out)
        if structure_dtypes is None or dtype in structure_dtypes:
            for op in present:
                assert uses(fast, op), f"{dtype}: expected {op} in {graph_nodes(fast)}"
            for op in absent:
                assert not uses(fast, op), f"{dtype}: {op} left in {graph_nodes(fast)}"
        data = [sample(dtype, vals, seed=i) for i in range(n_inputs)]
        r, n = ref(*data), fast(*data)
        flat = np.abs(np.concatenate(data).astype("float64"))
        assert_agree(r, n, scale=float(np.max(flat[np.isfinite(flat)], initial=1.0)))
