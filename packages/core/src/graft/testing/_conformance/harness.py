"""The conformance harness: run a case's graph on the reference and on a backend, compare.

A `Case` builds a `Graph` (inputs, labelled outputs, a value generator,
optional shared-variable updates, argument aliasing and calls that must
raise). `check_case` compiles it once with the backend and calls it three
times: values A (C-contiguous), values B (non-contiguous, negative-stride
copies), then A again. Every call is checked against the reference backend
``"py"`` with the unrewritten graph: exact dtypes and shapes, values to the
dtype's tolerance with NaN in the same places, arguments left untouched,
shared values after each call, and outputs of an earlier call unchanged by a
later one. Then each error call must raise the reference's kind of exception
with a message naming the Op and the offending shapes.
"""

from __future__ import annotations

import copy
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from graft.graph.basic import Variable

__all__ = ["MAX_OUTPUTS", "Case", "ErrorCall", "Graph", "check_case", "compile_count", "split"]

#: (rtol, atol) per value dtype; `Graph.tolerance` scales both.
_TOLERANCE: dict[str, tuple[float, float]] = {
    "float16": (1e-2, 1e-3),
    "float32": (1e-4, 1e-5),
    "float64": (1e-9, 1e-11),
    "complex64": (1e-4, 1e-5),
    "complex128": (1e-9, 1e-11),
}
_SEEDS = (20240611, 7)
_MAX_PROBLEMS = 12


@dataclass(frozen=True)
class ErrorCall:
    """Arguments that must make the compiled function raise.

    ``shapes`` are the offending input shapes the message must show (as
    Python tuples, the way `graft.link.basic.raise_node_error` writes them);
    ``ops`` are Op class names of which the message must name at least one.
    """

    label: str
    values: Sequence[Any]
    shapes: Sequence[tuple[int, ...]]
    ops: Sequence[str]


@dataclass
class Graph:
    """What a `Case` builds: the graph, its labelled outputs and its argument values.

    ``values(rng)`` returns one value per input. ``alias`` pairs ``(i, j)``
    make argument ``j`` the very array object passed as argument ``i``.
    ``tolerance`` scales the dtype tolerances (ill-conditioned numerics).
    """

    inputs: Sequence[Variable]
    outputs: Sequence[Variable]
    labels: Sequence[str]
    values: Callable[[np.random.Generator], list[Any]]
    updates: Sequence[tuple[Any, Variable]] = ()
    alias: Sequence[tuple[int, int]] = ()
    errors: Sequence[ErrorCall] = ()
    tolerance: float = 1.0

    def __post_init__(self) -> None:
        if len(self.labels) != len(self.outputs):
            raise ValueError(f"{len(self.outputs)} outputs but {len(self.labels)} labels")


@dataclass(frozen=True)
class Case:
    """One battery entry, one compiled function per check.

    ``build()`` makes the `Graph`; ``part`` ``(start, stop)`` selects a
    slice of its outputs (None: all), so that a large graph is checked as
    several functions of moderate size (see `split`). ``graph`` names the
    graph the parts share (built and run on the reference once).
    """

    name: str
    family: str
    build: Callable[[], Graph] = field(repr=False, compare=False)
    doc: str = ""
    graph: str = ""
    part: tuple[int, int] | None = None

    @property
    def key(self) -> str:
        """The name of the graph this case checks (shared by the parts of one graph)."""
        return self.graph or self.name


#: Most outputs per compiled function: compile time of generated code grows
#: faster than linearly with its size, so a big graph is cheaper in parts.
MAX_OUTPUTS = 48
_GRAPHS: dict[str, Graph] = {}


def _graph(case: Case) -> Graph:
    found = _GRAPHS.get(case.key)
    if found is None:
        found = _GRAPHS[case.key] = case.build()
    return found


def split(cases: Sequence[Case], size: int = MAX_OUTPUTS) -> list[Case]:
    """Each case whose graph has more than ``size`` outputs, as parts of at most ``size``.

    Builds the graphs (cached). Graphs with updates or error calls stay whole.
    """
    out: list[Case] = []
    for case in cases:
        graph = _graph(case)
        n = len(graph.outputs)
        parts = -(-n // size)
        if parts <= 1 or graph.updates or graph.errors:
            out.append(case)
            continue
        bounds = [n * k // parts for k in range(parts + 1)]
        for k in range(parts):
            out.append(
                Case(
                    f"{case.name}-p{k + 1}",
                    case.family,
                    case.build,
                    f"{case.doc} (outputs {bounds[k]}-{bounds[k + 1] - 1} of {n})",
                    graph=case.key,
                    part=(bounds[k], bounds[k + 1]),
                )
            )
    return out


# ---------------------------------------------------------------------------
# Reference results (computed once per case and cached)
# ---------------------------------------------------------------------------


@dataclass
class _Expected:
    graph: Graph
    calls: list[list[Any]]
    outputs: list[list[Any]]
    shared: list[list[Any]]
    initial_shared: list[Any]
    errors: list[BaseException]


_EXPECTED: dict[str, _Expected] = {}
_COMPILED: list[int] = [0]


def compile_count() -> int:
    """How many functions `check_case` has compiled with the backend under test so far."""
    return _COMPILED[0]


def _copy(v: Any) -> Any:
    if isinstance(v, np.ndarray):
        return v.copy()
    return copy.deepcopy(v)


def _strided(a: Any) -> Any:
    """The same values in a non-contiguous, negative-stride array (other values unchanged)."""
    if not isinstance(a, np.ndarray) or a.ndim == 0 or a.size == 0:
        return _copy(a)
    big = [2 * n for n in a.shape]
    if a.ndim == 1:
        view = np.empty(big, a.dtype)[::-2]
    else:
        index = (slice(None, None, -2),) + (slice(None),) * (a.ndim - 2) + (slice(None, None, 2),)
        view = np.empty([big[0], *a.shape[1:-1], big[-1]], a.dtype)[index]
    view[...] = a
    return view


def _arguments(pristine: Sequence[Any], strided: bool, alias: Sequence[tuple[int, int]]) -> list:
    args = [_strided(v) if strided else _copy(v) for v in pristine]
    for i, j in alias:
        args[j] = args[i]
    return args


def _targets(graph: Graph) -> list[Any]:
    return [t for t, _ in graph.updates]


def _compile(graph: Graph, mode: Any, sel: Sequence[int] | None = None) -> Any:
    from graft.compile import function

    outputs = graph.outputs if sel is None else [graph.outputs[i] for i in sel]
    return function(
        list(graph.inputs),
        list(outputs),
        mode=mode,
        updates=list(graph.updates) or None,
        on_unused_input="ignore",
    )


def _reset(graph: Graph, values: Sequence[Any]) -> None:
    for t, v in zip(_targets(graph), values):
        t.set_value(_copy(v), borrow=True)


def _expected(case: Case) -> _Expected:
    found = _EXPECTED.get(case.key)
    if found is not None:
        return found
    from graft.compile import Mode

    graph = _graph(case)
    initial = [t.get_value(borrow=False) for t in _targets(graph)]
    a = graph.values(np.random.default_rng(_SEEDS[0]))
    b = graph.values(np.random.default_rng(_SEEDS[1]))
    calls = [a, b, a]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        f = _compile(graph, Mode(linker="py", optimizer=None))
        outputs, shared = [], []
        for k, vals in enumerate(calls):
            args = _arguments(vals, False, graph.alias)
            try:
                res = f(*args)
            except Exception as e:
                raise AssertionError(
                    f"conformance case {case.key}: the reference backend 'py' failed on call "
                    f"{k + 1}: {type(e).__name__}: {e}"
                ) from e
            outputs.append([_copy(r) for r in res])
            shared.append([t.get_value(borrow=False) for t in _targets(graph)])
        errors: list[BaseException] = []
        for err in graph.errors:
            try:
                f(*_arguments(err.values, False, ()))
            except Exception as e:
                errors.append(e)
            else:
                raise AssertionError(
                    f"conformance case {case.key}: error call {err.label!r} does not raise "
                    "on the reference backend 'py'"
                )
    _reset(graph, initial)
    found = _Expected(graph, calls, outputs, shared, initial, errors)
    _EXPECTED[case.key] = found
    return found


# ---------------------------------------------------------------------------
# Comparing
# ---------------------------------------------------------------------------


def _tolerance(dtype: np.dtype, scale: float) -> tuple[float, float]:
    rtol, atol = _TOLERANCE.get(dtype.name, (0.0, 0.0))
    return rtol * scale, atol * scale


def _describe_mismatch(got: np.ndarray, want: np.ndarray, bad: np.ndarray) -> str:
    n = int(np.count_nonzero(bad))
    idx = tuple(int(i) for i in np.argwhere(bad)[0]) if bad.ndim else ()
    return (
        f"{n} of {want.size} values differ; first at index {idx}: got {got[idx]!r}, "
        f"expected {want[idx]!r}"
    )


def _compare(got: Any, want: Any, scale: float) -> str | None:
    """None if ``got`` matches the reference value ``want``, else what is wrong."""
    if isinstance(want, np.ndarray):
        if not isinstance(got, np.ndarray):
            return f"returned a {type(got).__name__}, expected a numpy.ndarray of {want.dtype}"
        if got.dtype != want.dtype:
            return f"dtype {got.dtype}, expected {want.dtype}"
        if got.shape != want.shape:
            return f"shape {got.shape}, expected {want.shape}"
        if want.dtype.kind in "fc":
            rtol, atol = _tolerance(want.dtype, scale)
            with np.errstate(all="ignore"):
                ok = np.isclose(got, want, rtol=rtol, atol=atol, equal_nan=True)
            if not ok.all():
                return _describe_mismatch(got, want, ~ok)
            return None
        if want.dtype.kind in "biu":
            bad = got != want
            if np.any(bad):
                return _describe_mismatch(got, want, np.asarray(bad))
            return None
        return None if np.array_equal(got, want) else f"got {got!r}, expected {want!r}"
    if type(got) is not type(want):
        return f"returned a {type(got).__name__}, expected a {type(want).__name__}"
    if isinstance(want, np.generic):
        return _compare(np.asarray(got), np.asarray(want), scale)
    try:
        same = bool(got == want)
    except Exception:
        same = False
    return None if same else f"got {got!r}, expected {want!r}"


def _identical(a: Any, b: Any) -> bool:
    """Bit-for-bit equality (NaN equal to NaN) of a value and its snapshot."""
    if isinstance(b, np.ndarray):
        return (
            isinstance(a, np.ndarray)
            and a.dtype == b.dtype
            and a.shape == b.shape
            and np.array_equal(a, b, equal_nan=b.dtype.kind in "fc")
        )
    try:
        return bool(a == b)
    except Exception:
        return a is b


# ---------------------------------------------------------------------------
# The check
# ---------------------------------------------------------------------------


def _builtin_kind(exc: BaseException) -> type[BaseException]:
    """The first built-in exception class in ``exc``'s MRO (ValueError, IndexError...)."""
    for cls in type(exc).__mro__:
        if cls.__module__ == "builtins":
            return cls
    return Exception


def _label(graph: Graph, sel: Sequence[int], j: int) -> str:
    """What the ``j``-th compared value is: output ``sel[j]``, or a shared update after those."""
    if j < len(sel):
        return f"output {sel[j]} ({graph.labels[sel[j]]})"
    target = _targets(graph)[j - len(sel)]
    return f"update of shared variable {target}"


def _check_error(backend_fn: Any, err: ErrorCall, ref: BaseException) -> str | None:
    args = _arguments(err.values, False, ())
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            backend_fn(*args)
    except Exception as exc:
        kind = _builtin_kind(ref)
        msg = str(exc)
        if not isinstance(exc, kind):
            return (
                f"raised {type(exc).__name__} ({msg.splitlines()[0] if msg else ''}), "
                f"expected a {kind.__name__} as the reference raises"
            )
        if not any(op.lower() in msg.lower() for op in err.ops):
            return f"the message does not name the Op (one of {list(err.ops)}): {msg!r}"
        missing = [s for s in err.shapes if str(tuple(s)) not in msg]
        if missing:
            return f"the message does not show the input shapes {missing}: {msg!r}"
        return None
    except BaseException as exc:  # e.g. SystemExit from a crashing extension
        return f"raised {type(exc).__name__}, which is not an Exception"
    return f"returned instead of raising (the reference raises {type(ref).__name__}: {ref})"


def check_case(backend: Any, case: Case, optimizer: Any = "fast_run") -> None:
    """Compile ``case`` with ``backend`` and ``optimizer``; `AssertionError` lists what is wrong.

    ``backend`` is a registered backend name (or a `graft.link.basic.Linker`);
    ``optimizer`` is what `graft.compile.Mode` accepts (``"fast_run"``, None...).
    The reference results come from ``Mode(linker="py", optimizer=None)``.
    """
    from graft.compile import Mode

    exp = _expected(case)
    graph = exp.graph
    where = (
        f"backend {getattr(backend, 'name', backend)!r}, optimizer={optimizer!r}, case {case.name}"
    )
    sel = list(range(*(case.part or (0, len(graph.outputs)))))
    _reset(graph, exp.initial_shared)
    mode = Mode(linker=backend, optimizer=optimizer)
    _COMPILED[0] += 1
    try:
        fn = _compile(graph, mode, sel)
    except Exception as e:
        raise AssertionError(f"{where}: compiling failed: {type(e).__name__}: {e}") from e
    problems: list[str] = []
    earlier: list[tuple[int, list[Any], list[Any]]] = []
    targets = _targets(graph)
    try:
        for k, pristine in enumerate(exp.calls):
            call = f"call {k + 1}" + (" (non-contiguous arguments)" if k == 1 else "")
            args = _arguments(pristine, k == 1, graph.alias)
            snapshot = [_copy(a) for a in args]
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")  # values are checked, not FP warnings
                    outs = fn(*args)
            except Exception as e:
                raise AssertionError(f"{where}: {call} raised {type(e).__name__}: {e}") from e
            if not isinstance(outs, list) or len(outs) != len(sel):
                problems.append(f"{call}: returned {outs!r}, expected {len(sel)} outputs")
                break
            for i, (a, s) in enumerate(zip(args, snapshot)):
                if not _identical(a, s):
                    problems.append(
                        f"{call}: argument {i} ({graph.inputs[i]}) was modified in place"
                    )
            got = [*outs, *(t.get_value(borrow=True) for t in targets)]
            want = [*(exp.outputs[k][i] for i in sel), *exp.shared[k]]
            for j, (g, w) in enumerate(zip(got, want)):
                why = _compare(g, w, graph.tolerance)
                if why is not None:
                    problems.append(f"{call}: {_label(graph, sel, j)}: {why}")
            for k0, old, snap in earlier:
                for j, (o, s) in enumerate(zip(old, snap)):
                    if not _identical(o, s):
                        problems.append(
                            f"{call}: changed {_label(graph, sel, j)} returned by call {k0 + 1} "
                            "(results must not share memory with later calls)"
                        )
            earlier.append((k, outs, [_copy(o) for o in outs]))
        for err, ref in zip(graph.errors, exp.errors):
            why = _check_error(fn, err, ref)
            if why is not None:
                problems.append(f"error call {err.label!r}: {why}")
        if graph.errors and not graph.updates:
            # A failed call must leave the function usable: values A once more.
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    outs = fn(*_arguments(exp.calls[0], False, graph.alias))
            except Exception as e:
                problems.append(f"call after the error calls raised {type(e).__name__}: {e}")
            else:
                for j, (g, i) in enumerate(zip(outs, sel)):
                    why = _compare(g, exp.outputs[0][i], graph.tolerance)
                    if why is not None:
                        label = _label(graph, sel, j)
                        problems.append(f"call after the error calls: {label}: {why}")
    finally:
        _reset(graph, exp.initial_shared)
    if problems:
        shown = problems[:_MAX_PROBLEMS]
        more = len(problems) - len(shown)
        tail = [f"... and {more} more"] if more else []
        raise AssertionError("\n  ".join([f"{where}:", *shown, *tail]))
