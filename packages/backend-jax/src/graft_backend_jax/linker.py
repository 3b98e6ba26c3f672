"""`JaxLinker`: backend ``jax``, a whole rewritten graph as one ``jax.jit`` function.

Each Op class has a rule in `RULES` (a `graft.link.dispatch.RuleTable`): a
rule takes the Apply node and returns a function of the node's input values
(JAX arrays, or NumPy arrays for values known while tracing) that returns the
sequence of its output values. `graph_function` composes the nodes' functions
in topological order into one Python function of the graph's inputs, and the
linker jits it once; JAX retraces it for each new combination of input shapes
and dtypes.

Why not the source-generating `graft.link.codegen.CodegenLinker`: JAX *is* the
code generator. Tracing the composed Python function gives XLA the whole graph
(XLA fuses the elementwise work itself), so generated source, a disk cache of
modules and Python fallback segments would add cost and no speed; an Op
without a rule cannot be split out of a jitted function anyway, so the graph
is refused at compile time with one error listing every such Op.

Static values: JAX needs shapes (reshape targets, ``alloc`` sizes, ``arange``
bounds, slice bounds...) as Python numbers while it traces. A node whose inputs
are all known while tracing (constants, and values computed from input
*shapes*, which are static under ``jax.jit``) is computed right then with the
Op's own ``perform`` when its result is small, so ``x.reshape((x.shape[0] * 2,
-1))`` works; a shape that depends on input *values* raises `StaticValueError`
naming the Op.

float64: the graph is traced and called inside ``jax.enable_x64(True)``, a
context manager local to the call; JAX's global configuration (what the user's
own JAX code sees) is left as it is.

Errors: JAX cannot raise inside a jitted function. Runtime checks (index
bounds, ``CheckAndRaise``/``Assert``, integer powers with negative exponents)
are compiled through ``jax.experimental.checkify``, only into graphs that have
such nodes. When a check fails, or tracing fails (e.g. mismatched shapes), the
call is replayed on the reference backend, which raises the same exception,
naming the Op, the input shapes and the user's line, as every graft backend
does.

Plugins add rules for their own Ops through ``graft_extend_backend``::

    def graft_extend_backend(backend, name):
        if name == "jax":
            import jax.numpy as jnp

            def double_rule(node):
                return lambda x: (2 * x,)

            backend.rules.register(MyDouble, rule=double_rule, owner="my-plugin")
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, NoReturn

import numpy as np

from graft.graph.basic import Constant
from graft.link.basic import CompiledGraph, Linker, UnsupportedOpError
from graft.link.dispatch import RuleTable
from graft.tensor.type import TensorType

if TYPE_CHECKING:
    from graft.graph.basic import Apply, Variable
    from graft.graph.fg import FunctionGraph
    from graft.graph.op import Op

__all__ = [
    "RULES",
    "JaxLinker",
    "JaxRule",
    "StaticValueError",
    "graph_function",
    "runtime_check",
    "static_int",
    "static_ints",
]

#: A rule: ``rule(node)`` returns ``impl``, ``impl(*input_values) -> sequence of outputs``.
#: A rule may carry ``supports(op) -> bool`` (props it cannot express) and
#: ``checks``, True or ``checks(node) -> bool`` (it may emit `runtime_check`\ s).
JaxRule = Callable[["Apply"], Callable[..., Sequence[Any]]]

RULES: RuleTable[Any] = RuleTable("jax")

#: Nodes whose inputs are all known while tracing are computed by their ``perform``
#: when their outputs hold at most this many elements (bigger ones stay in XLA,
#: not pasted into the program as constants).
FOLD_LIMIT = 4096

_CHECKS: contextvars.ContextVar[bool] = contextvars.ContextVar("graft_jax_checks", default=False)
# Set while checkify traces the graph: a data-dependent check can be emitted.
_CHECKIFY: contextvars.ContextVar[bool] = contextvars.ContextVar("graft_jax_ckfy", default=False)


class _NeedsCheckify(Exception):
    """A check turned out data-dependent while tracing a graph compiled without checkify."""


class _CheckFailed(ValueError):
    """A runtime check of a compiled graph failed (and the reference backend did not raise)."""


class StaticValueError(ValueError):
    """A value JAX needs while tracing (a shape, a size, a bound) depends on input data."""


def is_static(value: Any) -> bool:
    """Whether ``value`` is known while tracing (a NumPy value or Python number)."""
    return isinstance(value, np.ndarray | np.generic | int | float | bool)


def static_ints(node: Apply, value: Any, what: str) -> tuple[int, ...]:
    """``value`` (a vector or scalar known while tracing) as Python ints, else `StaticValueError`.

    Example::

        shape = static_ints(node, shp, "the target shape")
    """
    if not is_static(value):
        raise StaticValueError(
            f"backend 'jax': {node.op} needs {what} while tracing, but it is computed from "
            "input values; JAX compiles one program per static shape, so give it as a "
            "constant or compute it from input shapes (e.g. x.shape), or use another mode"
        )
    return tuple(int(v) for v in np.asarray(value).ravel())


def static_int(node: Apply, value: Any, what: str) -> int:
    """One Python int known while tracing (see `static_ints`)."""
    (v,) = static_ints(node, value, what)
    return v


def runtime_check(ok: Any, message: str) -> None:
    """Fail the call when ``ok`` (a boolean scalar) is false, in compiled graphs.

    The compiled function then replays the call on the reference backend for
    the exact error. In `graft_backend_jax.to_jax` callables (no checkify),
    checks are left out.
    """
    if not _CHECKS.get():
        return
    if is_static(ok):
        if not bool(np.all(ok)):
            raise ValueError(message)
        return
    if not _CHECKIFY.get():
        raise _NeedsCheckify(message)
    from jax.experimental import checkify

    checkify.check(ok, message)


def _out_dtype(v: Variable) -> np.dtype[Any]:
    t = v.type
    dt = getattr(t, "numpy_dtype", None)
    return np.dtype(dt if dt is not None else t.dtype)  # type: ignore[attr-defined]


def _fold(node: Apply, values: list[Any]) -> list[Any] | None:
    """The node's outputs from its ``perform`` when small enough, else None."""
    storage: list[list[Any]] = [[None] for _ in node.outputs]
    with np.errstate(all="ignore"):
        node.op.perform(node, values, storage)
    outs = [np.asarray(s[0]) for s in storage]
    if sum(o.size for o in outs) > FOLD_LIMIT:
        return None
    return outs


def _conform(value: Any, v: Variable) -> Any:
    """``value`` with exactly ``v``'s dtype (rules compute in JAX's promotion; graft's wins)."""
    dt = _out_dtype(v)
    if is_static(value):
        a = np.asarray(value)
        return a if a.dtype == dt else a.astype(dt)
    return value if value.dtype == dt else value.astype(dt)


def _node_checks(node: Apply) -> bool:
    """Whether ``node``'s rule may emit runtime checks (``rule.checks``: a bool or ``f(node)``)."""
    checks = getattr(RULES.lookup(node.op), "checks", False)
    return bool(checks(node) if callable(checks) else checks)


def _build_steps(fgraph: FunctionGraph) -> list[tuple[Apply, Callable[..., Sequence[Any]]]]:
    steps = []
    for node in fgraph.toposort():
        rule = RULES.lookup(node.op)
        if rule is None:  # check_supported ran first; a graph changed since is refused here
            raise UnsupportedOpError(f"backend 'jax' has no rule for {node.op}")
        steps.append((node, rule(node)))
    return steps


def graph_function(
    fgraph: FunctionGraph, *, checks: bool = False
) -> tuple[Callable[..., tuple[Any, ...]], bool]:
    """``(fn, uses_checks)``: ``fn(*inputs)`` computes ``fgraph``'s outputs with JAX.

    ``fn`` is a plain traceable function (jit, vmap, grad it); with ``checks``,
    rules emit `runtime_check`\\ s, which need ``jax.experimental.checkify``
    around ``fn``. ``uses_checks`` says whether any node has checks.
    """
    steps = _build_steps(fgraph)
    uses_checks = any(_node_checks(n) for n, _ in steps)
    inputs = list(fgraph.inputs)
    outputs = list(fgraph.outputs)

    def fn(*args: Any) -> tuple[Any, ...]:
        import jax.numpy as jnp

        if len(args) != len(inputs):
            raise TypeError(f"the graph takes {len(inputs)} inputs, got {len(args)}")
        token = _CHECKS.set(checks)
        try:
            env: dict[Variable, Any] = dict(zip(inputs, args))
            for node, impl in steps:
                ins = [v.data if isinstance(v, Constant) else env[v] for v in node.inputs]
                outs: Sequence[Any] | None = None
                if all(is_static(i) for i in ins):
                    outs = _fold(node, ins)
                if outs is None:
                    outs = impl(*ins)
                for v, val in zip(node.outputs, outs):
                    env[v] = _conform(val, v)
            return tuple(
                jnp.asarray(v.data if isinstance(v, Constant) else env[v], dtype=_out_dtype(v))
                for v in outputs
            )
        finally:
            _CHECKS.reset(token)

    return fn, uses_checks


_SUBNORMAL = (
    "XLA on CPU flushes subnormal floats to zero; the battery's edge values include "
    "subnormals (e.g. log(5e-324) gives -inf, ceil(5e-324) gives 0)"
)
_POLYGAMMA = (
    "polygamma(n, x) at the battery's edge values (orders n huge, infinite or subnormal; "
    "x at poles or integer extremes) differs from SciPy, whose results there come from "
    "its internal overflows (jax.scipy.special.polygamma takes integer orders)"
)
_DATA_MASK = (
    "x[mask] with a mask computed from input data has a data-dependent shape, which a "
    "jitted JAX function cannot have (StaticValueError); such graphs need another mode"
)


class JaxLinker(Linker):
    """Backend ``jax`` (mode ``"JAX"``); see the module docstring.

    Example::

        f = graft.function([x, y], x * y + 1, mode="JAX")
    """

    name = "jax"
    rules: ClassVar[RuleTable[Any]] = RULES
    # XLA owns the buffers: in-place graft Ops would only hide copies from it.
    excluded_rewrite_tags = ("inplace",)

    #: Where this backend differs from the reference on `graft.testing.backend`'s battery
    #: (fnmatch patterns on "<rewrites>/<case>", as ``BackendConformance.xfail`` takes).
    #: Each part listed fails only on the reasons given; everything else in it matches.
    conformance_xfail: ClassVar[dict[str, str]] = {
        "*/elemwise-float64-p[1234]": _SUBNORMAL,
        "*/composite-float64-p[1234]": _SUBNORMAL,
        "*/elemwise-float32-p2": _SUBNORMAL,
        "*/composite-float32-p2": _SUBNORMAL,
        "*/elemwise-float32-p4": _POLYGAMMA,
        "*/composite-float32-p4": _POLYGAMMA,
        "*/elemwise-int64-p4": _POLYGAMMA,
        "*/composite-int64-p5": _POLYGAMMA,
        "*/elemwise-int8-p4": _POLYGAMMA,
        "*/composite-int8-p5": _POLYGAMMA,
        "*/subtensor-p[12]": _DATA_MASK,
    }

    def supports(self, op: Op) -> bool:
        rule = RULES.lookup(op)
        if rule is None:
            return False
        check = getattr(rule, "supports", None)
        return True if check is None else bool(check(op))

    def compile(self, fgraph: FunctionGraph, *, profile: Any = None) -> CompiledGraph:
        import jax

        self.check_supported(fgraph)
        body, uses_checks = graph_function(fgraph, checks=True)
        scalar_out = [not isinstance(v.type, TensorType) for v in fgraph.outputs]
        replay: list[Any] = []
        x64 = jax.enable_x64
        x64_on = jax.config.read

        def on_error(args: tuple[Any, ...], exc: Exception) -> NoReturn:
            # The reference backend raises the error graft defines for these values.
            if not replay:
                from graft.link.reference import ReferenceLinker

                replay.append(ReferenceLinker().compile(fgraph))
            with np.errstate(all="ignore"):
                replay[0](*args)
            if isinstance(exc, _CheckFailed | StaticValueError):
                raise exc
            raise RuntimeError(
                "backend 'jax' failed where the reference backend did not: "
                f"{type(exc).__name__}: {exc}"
            ) from exc

        static = static_inputs(fgraph)

        def build(checked: bool) -> Callable[..., Any]:
            make = _jit_maker(body, checked)
            if static:
                return _specialising_runner(body, make, static, len(fgraph.inputs))
            jitted = make(body)

            def run(*args: Any) -> Any:
                if x64_on("jax_enable_x64"):  # the context costs ~6 us a call: only when needed
                    return jitted(*args)
                with x64(True):
                    return jitted(*args)

            return run

        # Checks are found at compile time where the graph shows them; one that only
        # turns out data-dependent while tracing switches the graph to checkify.
        runner = [build(uses_checks)]

        def run(*args: Any) -> Any:
            try:
                return runner[0](*args)
            except _NeedsCheckify:
                runner[0] = build(True)
                return runner[0](*args)

        # Writable NumPy arrays, as every graft backend returns (JAX's buffers are read-only).
        asarray = np.array

        def fn(*args: Any) -> list[Any]:
            try:
                outs = run(*args)
            except Exception as exc:
                on_error(args, exc)
            res = [asarray(o) for o in outs]
            if True in scalar_out:
                res = [r[()] if s else r for r, s in zip(res, scalar_out)]
            return res

        return CompiledGraph(fn, fgraph, linker=self)


def _jit_maker(
    body: Callable[..., Any], uses_checks: bool
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """``make(f)``: ``f`` jitted; with checks, functionalised by checkify, failures raised."""
    import jax

    if not uses_checks:
        return jax.jit

    from jax.experimental import checkify

    def make(f: Callable[..., Any]) -> Callable[..., Any]:
        def traced(*args: Any) -> Any:
            token = _CHECKIFY.set(True)
            try:
                return f(*args)
            finally:
                _CHECKIFY.reset(token)

        jitted = jax.jit(checkify.checkify(traced, errors=checkify.user_checks))

        def call(*args: Any) -> Any:
            err, outs = jitted(*args)
            msg = err.get()
            if msg is not None:
                raise _CheckFailed(msg)
            return outs

        return call

    return make


#: Compiled specialisations kept per graph with static inputs (then the cache restarts).
MAX_SPECIALISATIONS = 64


def _specialising_runner(
    body: Callable[..., Any],
    make: Callable[[Callable[..., Any]], Callable[..., Any]],
    static: list[int],
    n_inputs: int,
) -> Callable[..., Any]:
    """``run(*args)``: one jitted function per distinct value of the static inputs."""
    import jax

    x64 = jax.enable_x64
    dynamic = [i for i in range(n_inputs) if i not in static]
    cache: dict[tuple[Any, ...], Callable[..., Any]] = {}

    def specialise(values: dict[int, np.ndarray]) -> Callable[..., Any]:
        def f(*dyn: Any) -> Any:
            full: list[Any] = [None] * n_inputs
            for i, v in zip(dynamic, dyn):
                full[i] = v
            for i, v in values.items():
                full[i] = v
            return body(*full)

        return make(f)

    def run(*args: Any) -> Any:
        vals = {i: np.asarray(args[i]) for i in static}
        key = tuple((v.dtype.str, v.shape, v.tobytes()) for v in vals.values())
        jitted = cache.get(key)
        if jitted is None:
            if len(cache) >= MAX_SPECIALISATIONS:
                cache.clear()
            jitted = cache[key] = specialise({i: v.copy() for i, v in vals.items()})
        with x64(True):
            return jitted(*[args[i] for i in dynamic])

    return run


def depends_on_data(variables: Sequence[Variable]) -> bool:
    """Whether any of ``variables`` is computed from input *values* (not only from input
    shapes and constants, which are known while tracing)."""
    from graft.tensor.shape import Shape, Shape_i

    todo = list(variables)
    seen: set[Variable] = set()
    while todo:
        v = todo.pop()
        if v in seen or isinstance(v, Constant):
            continue
        seen.add(v)
        if v.owner is None:
            return True
        if not isinstance(v.owner.op, Shape | Shape_i):
            todo.extend(v.owner.inputs)
    return False


def static_inputs(fgraph: FunctionGraph) -> list[int]:
    """Positions of the graph inputs JAX needs as Python values while tracing.

    Rules name the inputs they need static (``rule.static_inputs(node)``: reshape
    targets, sizes, bounds); walking back from those, through everything but
    `Shape`/`Shape_i` (static under jit) and constants, every 0-d graph input
    and every integer or boolean vector reached is static: the function is
    compiled once per distinct value of those inputs. Other inputs reached stay
    traced, and the rule raises `StaticValueError`.
    """
    from graft.tensor.shape import Shape, Shape_i

    todo: list[Variable] = []
    for node in fgraph.apply_nodes:
        get = getattr(RULES.lookup(node.op), "static_inputs", None)
        if get is not None:
            todo.extend(node.inputs[i] for i in get(node))
    seen: set[Variable] = set()
    found: set[Variable] = set()
    while todo:
        v = todo.pop()
        if v in seen or isinstance(v, Constant):
            continue
        seen.add(v)
        owner = v.owner
        if owner is None:
            t = v.type
            nd = getattr(t, "ndim", 0)
            if nd == 0 or (nd == 1 and np.dtype(str(t.dtype)).kind in "biu"):  # type: ignore[attr-defined]
                found.add(v)
        elif not isinstance(owner.op, Shape | Shape_i):
            todo.extend(owner.inputs)
    return [i for i, v in enumerate(fgraph.inputs) if v in found]


def _register_rules() -> None:
    # Importing the rule modules fills RULES (and nothing else).
    import graft_backend_jax.rules  # noqa: F401


_register_rules()
