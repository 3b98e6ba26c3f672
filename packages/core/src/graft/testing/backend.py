"""The backend conformance kit: the definition of a correct graft backend.

A backend is correct when every graph of this battery, compiled with it,
gives what the reference backend ``"py"`` gives for the same graph
*unrewritten* (``Mode(linker="py", optimizer=None)``), both for the raw ops
(``optimizer=None``) and after the FAST_RUN rewrites (``optimizer="fast_run"``:
fused ``Composite`` Elemwise nodes, ``ElemwiseReduce`` when
graft-rewrites-tensor is installed, in-place ops). Third-party backends prove
themselves with this kit alone, in their own repository.

Usage: in the backend's repository, one test file; a plain ``pytest`` run
is all it takes::

    # tests/test_conformance.py
    from graft.testing.backend import BackendConformance


    class TestMineConformance(BackendConformance):
        # The name the plugin registers (graft_register_backends), or a Linker instance.
        backend = "mine"
        # Optimizer settings to exercise (this is the default): each is one
        # compiled function per case.
        rewrites = ("fast_run", None)
        # Optional: known gaps, as fnmatch patterns on "<rewrites>/<case>" (the
        # test id), each with the reason. They are strict xfails: once fixed,
        # the test fails until the entry is removed.
        xfail = {"*/linalg-float32": "no float32 LAPACK bindings yet"}

pytest collects ``test_backend_is_usable`` and ``test_conformance[<rewrites>-<case>]``
for every case of `CASES` and every entry of ``rewrites`` (``no_rewrites``
stands for None). A backend that is registered but unavailable skips, with
the registry's reason; an unregistered name fails.

What one case checks (see `check_case`): the graph is compiled once with the
backend and called three times (values A in C-contiguous arrays; values B in
non-contiguous, negative-stride arrays; values A again). Each call must give
exactly the reference's dtypes and shapes, values within the dtype's
tolerance (float64: rtol 1e-9; float32: rtol 1e-4; scaled for long
reductions and linear algebra) with NaN in the same places, leave every
argument untouched (in-place ops only on the backend's own buffers), update
shared variables as the reference does, and leave the arrays returned by
earlier calls unchanged (no state or buffers leaking between calls). Error
calls feed mismatched shapes; the backend must raise the same kind of
exception as the reference (ValueError, IndexError...) with a message that
names the Op and shows the offending input shapes as Python tuples, as
`graft.link.basic.raise_node_error` writes them: never crash, never return
garbage; and the function must still work after such an error.

Coverage: every scalar op that ``graft.scalar`` exports (enumerated, so new
ops are covered), inside Elemwise and inside Composite, on float64, float32,
int64, int8 and bool, on tame values with broadcasting and on edge values
(NaN, ±inf, ±0, subnormals, integer extremes), and on mixed dtypes;
DimShuffle; CAReduce and ElemwiseReduce (sum/prod/max/min/all/any, mean)
over every axis set, with and without keepdims, 0-d to 3-d and zero-size;
argmax/argmin; cumsum/cumprod; softmax/log_softmax/logsumexp;
dot/matmul/outer/tensordot; solve, cholesky, solve_triangular, inv, det,
slogdet, eigh, qr, svd, pinv, norm; basic and advanced Subtensor and
Inc/SetSubtensor (negative and symbolic steps, repeated indices, boolean
masks); Shape, Shape_i, SpecifyShape, Reshape (with -1), Alloc, fill,
MakeVector, Join/concatenate/stack, Split, repeat, tile, arange, eye; casts
between all dtypes; shared-variable updates; outputs that are inputs,
constants or views; one array passed as several inputs.

Cost: a compiling backend pays roughly 0.3-2 s per compiled function, and
more for big ones (code generation and LLVM/C compile time grow faster than
linearly with the size of one function). So the battery batches, within
limits: one graph per op family and dtype with many labelled outputs (all
scalar ops of a dtype in one graph; every axis set of every reduction in
one graph; all the kit's run-time shape errors in one graph, one error call
each), and a graph with more than `MAX_OUTPUTS` (48) outputs is checked as
several parts (cases named ``<graph>-p1``, ``-p2``...), each one compiled
function of at most 48 outputs. That is about 105 compiled functions per
optimizer setting for complete coverage, and a failure still names the
exact output, call and value. The price is that one unsupported Op fails
every part that holds it; ``xfail`` those and read the message for the
list of problems.

Helpers for a backend's own tests: `CASES` (the battery), `check_case`
(run one case, `AssertionError` listing every problem).
"""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from graft.testing._conformance import Case, _cases
from graft.testing._conformance.harness import MAX_OUTPUTS
from graft.testing._conformance.harness import check_case as _check

if TYPE_CHECKING:
    from graft.link.basic import Linker

__all__ = ["CASES", "MAX_OUTPUTS", "BackendConformance", "Case", "check_case"]  # noqa: F822 (CASES: __getattr__)


def check_case(backend: str | Linker, case: Case | str, optimizer: Any = "fast_run") -> None:
    """Run one battery case on ``backend`` with ``optimizer``; `AssertionError` if it fails.

    ``case`` is a `Case` of `CASES` or its name; ``optimizer`` is anything
    `graft.compile.Mode` accepts (``"fast_run"``, None...).

    Example::

        from graft.testing.backend import CASES, check_case

        for case in CASES:
            check_case("py", case, optimizer=None)
    """
    if isinstance(case, str):
        found = [c for c in _cases() if c.name == case]
        if not found:
            names = [c.name for c in _cases()]
            raise KeyError(f"no conformance case {case!r}; cases: {names}")
        case = found[0]
    _check(backend, case, optimizer)


def __getattr__(name: str) -> Any:
    # CASES is built on first use (the graphs are built to split the large ones).
    if name == "CASES":
        return _cases()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _rewrites_id(optimizer: Any) -> str:
    return "no_rewrites" if optimizer is None else str(optimizer)


def _unusable(backend: Any) -> tuple[str, bool] | None:
    """None if ``backend`` can compile here, else (why, whether that is a skip)."""
    from graft.link.basic import Linker
    from graft.plugins import backends

    if isinstance(backend, Linker):
        return None
    if not isinstance(backend, str) or not backend:
        return ("set the class attribute `backend` to a registered backend name", False)
    registry = backends()
    if backend not in registry:
        return (f"backend {backend!r} is not registered; registered: {registry.names()}", False)
    why = registry.unavailable_reason(backend)
    if why is not None:
        return (f"backend {backend!r} is not available here: {why}", True)
    return None


class BackendConformance:
    """Subclass in a test file, naming ``backend``: pytest then runs the whole battery.

    Class attributes: ``backend`` (a registered backend name, or a
    `graft.link.basic.Linker` instance), ``rewrites`` (optimizer settings,
    default ``("fast_run", None)``), ``xfail`` (``{fnmatch pattern on
    "<rewrites>/<case>": reason}``, strict). See the module docstring for a
    complete test file.
    """

    backend: ClassVar[Any] = ""
    rewrites: ClassVar[Sequence[Any]] = ("fast_run", None)
    xfail: ClassVar[Mapping[str, str]] = {}

    def pytest_generate_tests(self, metafunc: Any) -> None:
        """pytest hook: one ``test_conformance`` per (rewrites, case)."""
        if "conformance_case" not in metafunc.fixturenames:
            return
        import pytest

        params = []
        for optimizer in self.rewrites:
            for case in _cases():
                key = f"{_rewrites_id(optimizer)}/{case.name}"
                reasons = [r for pat, r in self.xfail.items() if fnmatch.fnmatchcase(key, pat)]
                marks = [pytest.mark.xfail(strict=True, reason=reasons[0])] if reasons else []
                params.append(
                    pytest.param((optimizer, case), id=key.replace("/", "-"), marks=marks)
                )
        metafunc.parametrize("conformance_case", params)

    def _require_backend(self) -> None:
        problem = _unusable(self.backend)
        if problem is None:
            return
        import pytest

        why, skip = problem
        if skip:
            pytest.skip(why)
        pytest.fail(why)

    def test_backend_is_usable(self) -> None:
        """The backend resolves through the registry to a Linker whose ``name`` is its name."""
        from graft.compile import Mode
        from graft.link.basic import Linker

        self._require_backend()
        linker = Mode(linker=self.backend).linker
        assert isinstance(linker, Linker), f"{self.backend!r} gives {linker!r}, not a Linker"
        if isinstance(self.backend, str):
            assert linker.name == self.backend, (
                f"backend {self.backend!r}: its Linker's name is {linker.name!r}"
            )

    def test_conformance(self, conformance_case: tuple[Any, Case]) -> None:
        """One battery case with one optimizer setting (see `check_case`)."""
        self._require_backend()
        optimizer, case = conformance_case
        _check(self.backend, case, optimizer)
