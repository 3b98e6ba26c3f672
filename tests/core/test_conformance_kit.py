"""Tests of the conformance kit itself (graft.testing.backend).

Each deliberately broken toy backend below wraps the reference backend and
breaks one rule; the kit's checks, called as functions, must fail on it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from graft.graph.fg import FunctionGraph
from graft.link.basic import CompiledGraph, Linker
from graft.link.reference import ReferenceLinker
from graft.plugins import Origin, backends
from graft.testing.backend import CASES, BackendConformance, check_case

Fn = Callable[..., list[Any]]


class Wrapping(Linker):
    """The reference backend with ``wrap(fn, fgraph)`` applied to its compiled callable."""

    name = "toy"

    def wrap(self, fn: Fn, fgraph: FunctionGraph) -> Fn:
        return fn

    def compile(self, fgraph: FunctionGraph, *, profile: Any = None) -> CompiledGraph:
        inner = ReferenceLinker().compile(fgraph)
        return CompiledGraph(self.wrap(inner.fn, fgraph), fgraph, linker=self)


def _map_outputs(change: Callable[[Any], Any]) -> Wrapping:
    class MapOutputs(Wrapping):
        def wrap(self, fn: Fn, fgraph: FunctionGraph) -> Fn:
            return lambda *args: [change(o) for o in fn(*args)]

    return MapOutputs()


def _float_kind(o: Any) -> bool:
    return isinstance(o, np.ndarray) and o.dtype.kind == "f"


def wrong_dtype() -> Wrapping:
    """float32 results come back as float64 (same values)."""
    return _map_outputs(
        lambda o: o.astype("float64") if getattr(o, "dtype", None) == "float32" else o
    )


def nan_to_zero() -> Wrapping:
    """NaN results come back as 0."""
    return _map_outputs(lambda o: np.nan_to_num(o, nan=0.0) if _float_kind(o) else o)


def imprecise() -> Wrapping:
    """float64 results off by a relative 1e-6 (fine for float32, not for float64)."""
    return _map_outputs(
        lambda o: o * (1 + 1e-6) + 1e-6 if _float_kind(o) and o.dtype == "float64" else o
    )


def squeezed() -> Wrapping:
    """Size-1 dimensions dropped from the results (keepdims lost)."""
    return _map_outputs(lambda o: np.squeeze(o) if isinstance(o, np.ndarray) else o)


def python_scalars() -> Wrapping:
    """0-d results returned as Python numbers instead of arrays."""
    return _map_outputs(lambda o: o.item() if isinstance(o, np.ndarray) and o.ndim == 0 else o)


class ClobbersInputs(Wrapping):
    """Computes correctly, then writes over its float arguments (an in-place op on a user input)."""

    def wrap(self, fn: Fn, fgraph: FunctionGraph) -> Fn:
        def run(*args: Any) -> list[Any]:
            outs = [np.array(o, copy=True) if isinstance(o, np.ndarray) else o for o in fn(*args)]
            for a in args:
                if isinstance(a, np.ndarray) and a.dtype.kind == "f" and a.size:
                    a[...] = 0
            return outs

        return run


class StaleResults(Wrapping):
    """Keeps the first call's results and returns them on every later call."""

    def wrap(self, fn: Fn, fgraph: FunctionGraph) -> Fn:
        cache: list[list[Any]] = []

        def run(*args: Any) -> list[Any]:
            if not cache:
                cache.append(fn(*args))
            return [np.array(o, copy=True) if isinstance(o, np.ndarray) else o for o in cache[0]]

        return run


class ReusesBuffers(Wrapping):
    """Writes each call's results into the arrays it returned from the previous call."""

    def wrap(self, fn: Fn, fgraph: FunctionGraph) -> Fn:
        previous: list[Any] = []

        def run(*args: Any) -> list[Any]:
            outs = fn(*args)
            if previous:
                for k, (old, new) in enumerate(zip(previous, outs)):
                    same = isinstance(old, np.ndarray) and isinstance(new, np.ndarray)
                    if same and old.shape == new.shape and old.dtype == new.dtype:
                        old[...] = new
                        outs[k] = old
            previous[:] = [
                np.array(o, copy=True) if isinstance(o, np.ndarray) else o for o in outs
            ]
            # hand out the kept buffers themselves
            return [p if isinstance(p, np.ndarray) else o for p, o in zip(previous, outs)]

        return run


class ForgetsUpdates(Wrapping):
    """Returns the old value of each updated shared variable as its new value."""

    def wrap(self, fn: Fn, fgraph: FunctionGraph) -> Fn:
        mapping = dict(getattr(fgraph, "update_mapping", {}) or {})

        def run(*args: Any) -> list[Any]:
            outs = fn(*args)
            for o, i in mapping.items():
                outs[o] = np.array(args[i], copy=True)
            return outs

        return run


class GarbageOnError(Wrapping):
    """Swallows run-time errors and returns empty arrays instead."""

    def wrap(self, fn: Fn, fgraph: FunctionGraph) -> Fn:
        def run(*args: Any) -> list[Any]:
            try:
                return fn(*args)
            except Exception:
                return [np.zeros(0, o.type.dtype) for o in fgraph.outputs]

        return run


class VagueErrors(Wrapping):
    """Raises RuntimeError('failed') for every run-time error."""

    def wrap(self, fn: Fn, fgraph: FunctionGraph) -> Fn:
        def run(*args: Any) -> list[Any]:
            try:
                return fn(*args)
            except Exception:
                raise RuntimeError("failed") from None

        return run


class BareErrors(Wrapping):
    """Re-raises run-time errors with only their first line (no Op, no input shapes)."""

    def wrap(self, fn: Fn, fgraph: FunctionGraph) -> Fn:
        def run(*args: Any) -> list[Any]:
            try:
                return fn(*args)
            except ValueError:
                raise ValueError("operands could not be broadcast") from None
            except IndexError:
                raise IndexError("index out of range") from None

        return run


class NoCholesky(ReferenceLinker):
    """Refuses a whole Op class (the graph then cannot compile)."""

    name = "toy"

    def supports(self, op: Any) -> bool:
        return type(op).__name__ != "Cholesky" and super().supports(op)


class WrongOnContiguity(Wrapping):
    """Right on C-contiguous arguments, wrong (reads the buffer as if contiguous) on others."""

    def wrap(self, fn: Fn, fgraph: FunctionGraph) -> Fn:
        def run(*args: Any) -> list[Any]:
            fixed = []
            for a in args:
                if isinstance(a, np.ndarray) and a.ndim and not a.flags.c_contiguous:
                    base = a.base if a.base is not None else a
                    a = np.asarray(base).reshape(-1)[: a.size].reshape(a.shape)
                fixed.append(a)
            return fn(*fixed)

        return run


def _case(name: str) -> Any:
    """The case ``name``, or the first part of it when the kit split its graph."""
    return next(c for c in CASES if c.name in (name, f"{name}-p1"))


BROKEN = [
    ("wrong dtype", wrong_dtype, "elemwise-float32", "dtype float64, expected float32"),
    ("NaN turned into 0", nan_to_zero, "elemwise-float64", "values differ"),
    ("imprecise float64", imprecise, "products-float64", "values differ"),
    ("keepdims lost", squeezed, "reductions-float64", "shape"),
    ("python scalars", python_scalars, "reductions-int64", "expected a numpy.ndarray"),
    ("clobbers inputs", ClobbersInputs, "inplace", "modified in place"),
    ("stale state", StaleResults, "elemwise-int8", "call 2"),
    ("reused output buffers", ReusesBuffers, "products-float32", "returned by call 1"),
    ("forgotten updates", ForgetsUpdates, "shared-updates", "update of shared variable"),
    ("garbage on shape mismatch", GarbageOnError, "shape-errors", "returned instead of raising"),
    ("vague errors", VagueErrors, "shape-errors", "expected a ValueError"),
    ("errors without Op and shapes", BareErrors, "shape-errors", "does not name the Op"),
    ("an unsupported Op", NoCholesky, "linalg-float64", "compiling failed"),
    ("ignores strides", WrongOnContiguity, "subtensor", "non-contiguous"),
]


@pytest.mark.parametrize("optimizer", [None, "fast_run"])
@pytest.mark.parametrize(("what", "make", "case", "message"), BROKEN, ids=[b[0] for b in BROKEN])
def test_broken_backend_fails_the_kit(
    what: str, make: Callable[[], Linker], case: str, message: str, optimizer: Any
) -> None:
    with pytest.raises(AssertionError, match=message):
        check_case(make(), _case(case), optimizer)


def test_a_correct_wrapper_passes() -> None:
    # The toy harness itself is sound: the unbroken wrapper passes what the broken ones fail.
    for name in {b[2] for b in BROKEN}:
        check_case(Wrapping(), _case(name), "fast_run")


def test_every_broken_backend_fails_somewhere_in_the_battery() -> None:
    # Not only on the case chosen above: a run over the battery catches each of them.
    for _, make, _, _ in BROKEN:
        backend = make()
        for case in CASES:
            try:
                check_case(backend, case, None)
            except AssertionError:
                break
        else:
            pytest.fail(f"{type(backend).__name__} passes the whole battery")


def test_check_case_by_name_and_unknown_name() -> None:
    check_case("py", "io-aliasing", None)
    with pytest.raises(KeyError, match="no conformance case 'nope'"):
        check_case("py", "nope")


def test_case_names_are_unique_and_battery_is_small() -> None:
    names = [c.name for c in CASES]
    assert len(set(names)) == len(names)
    assert len(CASES) < 150  # compiled functions per optimizer setting
    # The parts of a split graph cover its outputs once each, in order, none too big.
    from graft.testing._conformance.harness import MAX_OUTPUTS, _graph

    covered: dict[str, list[int]] = {}
    for c in CASES:
        n = len(_graph(c).outputs)
        lo, hi = c.part or (0, n)
        assert 0 < hi - lo <= max(MAX_OUTPUTS, n if c.part is None else 0)
        covered.setdefault(c.key, []).extend(range(lo, hi))
    for key, idx in covered.items():
        assert idx == list(range(len(_graph(_case(key)).outputs))), key
    assert {c.family for c in CASES} >= {
        "elemwise",
        "composite",
        "reductions",
        "products",
        "linalg",
        "indexing",
        "shape",
        "behaviour",
    }


def test_every_scalar_op_is_covered_in_elemwise_and_composite() -> None:
    import graft.scalar as gs
    from graft.scalar.basic import ScalarOp
    from graft.tensor.elemwise import Elemwise
    from graft.testing._conformance.harness import _expected

    ops = {
        getattr(gs, n)
        for n in gs.__all__
        if isinstance(getattr(gs, n), ScalarOp) and not isinstance(getattr(gs, n), gs.Composite)
    }
    plain: set[Any] = set()
    inside: set[Any] = set()
    for case in CASES:
        if case.family not in ("elemwise", "composite"):
            continue
        graph = _expected(case).graph
        for out in graph.outputs:
            op = out.owner.op
            assert isinstance(op, Elemwise)
            if isinstance(op.scalar_op, gs.Composite):
                inside.update(n.op for n in op.scalar_op.fgraph.apply_nodes)
            else:
                plain.add(op.scalar_op)
    assert ops - plain == set()
    assert ops - inside == set()


def test_fast_run_exercises_fusion_and_inplace() -> None:
    import graft
    from graft.compile import Mode
    from graft.scalar import Composite
    from graft.testing._conformance.harness import _expected

    pytest.importorskip("graft_rewrites_tensor")
    seen: set[str] = set()
    for name in ("composite-float64", "reductions-float64", "inplace", "inc_subtensor"):
        g = _expected(_case(name)).graph
        f = graft.function(
            list(g.inputs), list(g.outputs), mode=Mode("py", "fast_run"), on_unused_input="ignore"
        )
        for node in f.maker.fgraph.apply_nodes:
            op = node.op
            kind = type(op).__name__
            if isinstance(getattr(op, "scalar_op", None), Composite):
                kind += "{Composite}"
            seen.add(kind + ("[inplace]" if op.destroy_map else ""))
    assert {"Elemwise{Composite}", "ElemwiseReduce", "Elemwise{Composite}[inplace]"} <= seen
    assert any(k.endswith("IncSubtensor1[inplace]") or k == "IncSubtensor[inplace]" for k in seen)


class _Metafunc:
    fixturenames = ("conformance_case",)

    def __init__(self) -> None:
        self.params: list[Any] = []

    def parametrize(self, name: str, params: list[Any]) -> None:
        self.params = params


def test_generated_parameters_and_xfail_patterns() -> None:
    class Mine(BackendConformance):
        backend = "py"
        rewrites = ("fast_run", None, "fast_compile")
        xfail = {"no_rewrites/linalg-*": "no LAPACK"}

    meta = _Metafunc()
    Mine().pytest_generate_tests(meta)
    ids = [p.id for p in meta.params]
    assert len(ids) == 3 * len(CASES) == len(set(ids))
    assert "fast_run-elemwise-float64-p1" in ids and "no_rewrites-shape-errors" in ids
    marked = {p.id for p in meta.params if p.marks}
    assert marked == {"no_rewrites-linalg-float64", "no_rewrites-linalg-float32"}
    (mark,) = next(p for p in meta.params if p.marks).marks
    assert mark.kwargs == {"strict": True, "reason": "no LAPACK"}


@pytest.fixture
def runtime_backends() -> Any:
    view = backends().bind(Origin("conformance-kit-test", "conformance-kit-test", "0"))
    view.register("kitref", linker="graft.link.reference:ReferenceLinker")
    view.register(
        "kitgone", linker="graft.link.reference:ReferenceLinker", available=lambda: False
    )
    yield view
    view.rollback()


def test_unavailable_backend_skips_and_unknown_fails(runtime_backends: Any) -> None:
    class Gone(BackendConformance):
        backend = "kitgone"

    class Unknown(BackendConformance):
        backend = "no_such_backend"

    class Unset(BackendConformance):
        pass

    with pytest.raises(pytest.skip.Exception, match="not available here"):
        Gone().test_backend_is_usable()
    with pytest.raises(pytest.fail.Exception, match="not registered"):
        Unknown().test_conformance((None, _case("io-aliasing")))
    with pytest.raises(pytest.fail.Exception, match="set the class attribute"):
        Unset().test_backend_is_usable()


def test_linker_name_must_match_the_registered_name(runtime_backends: Any) -> None:
    class Misnamed(BackendConformance):
        backend = "kitref"  # registered with a linker whose name is "py"

    with pytest.raises(AssertionError, match="Linker's name is 'py'"):
        Misnamed().test_backend_is_usable()
    Misnamed().test_conformance(("fast_run", _case("io-aliasing")))  # the values are right


class BrokenAfterError(Wrapping):
    """Right until a run-time error; after one, every call returns zeros."""

    def wrap(self, fn: Fn, fgraph: FunctionGraph) -> Fn:
        failed: list[bool] = []

        def run(*args: Any) -> list[Any]:
            if failed:
                return [np.zeros_like(o) if isinstance(o, np.ndarray) else o for o in fn(*args)]
            try:
                return fn(*args)
            except Exception:
                failed.append(True)
                raise

        return run


def test_state_corrupted_by_an_error_fails_the_kit() -> None:
    with pytest.raises(AssertionError, match="call after the error calls"):
        check_case(BrokenAfterError(), _case("shape-errors"), None)
