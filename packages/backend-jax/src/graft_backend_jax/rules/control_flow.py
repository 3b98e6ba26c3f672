"""Control flow under ``jax.jit``: `Scan` as ``lax.scan``, lazy ifelse as ``lax.cond``,
`OpFromGraph` inlined into the traced function.

Inner graphs become traceable functions with `graph_function`. ``lax.scan``
needs the number of steps while tracing: it is static when it comes from
input shapes (the usual case: the length of a sequence) or constants, and a
`StaticValueError` names the Scan otherwise. A loop that draws random numbers
(a random-generator state) has no rule here: the graph is refused with the
list of such Ops.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, cast

from graft.compile.builders import OpFromGraph
from graft.graph.fg import FunctionGraph
from graft.ifelse import IfElse, LazyIfElse
from graft.scan.op import Scan
from graft_backend_jax.linker import (
    _CHECKS,
    RULES,
    _node_checks,
    graph_function,
    static_int,
)


def _inner_checks(*fgraphs: FunctionGraph) -> bool:
    return any(_node_checks(n) for fg in fgraphs for n in fg.toposort())


def _traced(fgraph: FunctionGraph) -> Callable[..., tuple[Any, ...]]:
    """The inner graph as a function, with run-time checks when the outer call has them."""
    fn, _ = graph_function(fgraph, checks=_CHECKS.get())
    return fn


def _scan_supports(op: Any) -> bool:
    s = cast(Scan, op)
    return not any(s.is_opaque_state(k) for k in range(s.info.n_states))


def scan_rule(node: Any) -> Callable[..., Sequence[Any]]:
    op = cast(Scan, node.op)
    info = op.info
    ns, nseq = info.n_states, info.n_seqs

    def impl(n_steps: Any, *outer: Any) -> list[Any]:
        import jax.numpy as jnp
        from jax import lax

        n = static_int(node, n_steps, "the number of steps")
        if n < 0:
            raise ValueError(f"{op}: n_steps must be >= 0, got {n}")
        body = _traced(op.fgraph)
        seqs = outer[:nseq]
        inits = outer[nseq : nseq + ns]
        nonseqs = outer[nseq + ns :]
        for k, s in enumerate(seqs):
            if s.shape[0] < n:
                raise ValueError(f"{op}: sequence {k} has {s.shape[0]} rows, fewer than {n} steps")
        for k, (b, lag) in enumerate(zip(inits, info.lags)):
            if b.shape[0] != lag:
                raise ValueError(f"{op}: the initial value of state {k} must hold {lag} step(s)")

        lags = info.lags

        def step(carry: tuple[Any, ...], xs: tuple[Any, ...]) -> tuple[Any, Any]:
            # A state read one step back is carried as its value; longer lags as a window.
            args = list(xs)
            for c, taps, lag in zip(carry, info.state_taps, lags):
                args.extend([c] if lag == 1 else (c[lag + tap] for tap in taps))
            args.extend(nonseqs)
            res = body(*args)
            new = tuple(
                jnp.asarray(r, c.dtype)
                if lag == 1
                else jnp.concatenate([c[1:], jnp.asarray(r, c.dtype)[None]])
                for c, r, lag in zip(carry, res[:ns], lags)
            )
            return new, tuple(res)

        carry0 = tuple(jnp.asarray(b[0] if lag == 1 else b) for b, lag in zip(inits, lags))
        carry, ys = lax.scan(step, carry0, tuple(s[:n] for s in seqs), length=n)
        out: list[Any] = []
        for k, keep in enumerate(info.keep):
            if keep:
                out.append(ys[k])
            elif k < ns:
                # after 0 steps: the last initial value
                out.append(carry[k] if lags[k] == 1 else carry[k][-1])
            else:
                if n == 0:
                    raise IndexError(f"{op}: output {k} has no last value: the loop ran 0 steps")
                out.append(ys[k][-1])
        return out

    return impl


scan_rule.supports = _scan_supports  # type: ignore[attr-defined]
scan_rule.checks = lambda node: _inner_checks(node.op.fgraph)  # type: ignore[attr-defined]
RULES.register(Scan, rule=scan_rule)


def lazy_ifelse_rule(node: Any) -> Callable[..., Sequence[Any]]:
    op = cast(LazyIfElse, node.op)

    def impl(cond: Any, *ins: Any) -> Sequence[Any]:
        import jax.numpy as jnp
        from jax import lax

        then_fn, else_fn = _traced(op.then_fgraph), _traced(op.else_fgraph)
        then_in, else_in = ins[: op.n_then], ins[op.n_then :]
        dtypes = [o.type.numpy_dtype for o in node.outputs]  # type: ignore[attr-defined]

        def branch(fn: Callable[..., Any], args: Sequence[Any]) -> Callable[[Any], Any]:
            return lambda _: tuple(jnp.asarray(r, d) for r, d in zip(fn(*args), dtypes))

        return lax.cond(
            jnp.asarray(cond) != 0, branch(then_fn, then_in), branch(else_fn, else_in), None
        )

    return impl


lazy_ifelse_rule.checks = lambda node: _inner_checks(node.op.then_fgraph, node.op.else_fgraph)  # type: ignore[attr-defined]
RULES.register(LazyIfElse, rule=lazy_ifelse_rule)


def ifelse_rule(node: Any) -> Callable[..., Sequence[Any]]:
    n = len(node.outputs)

    def impl(cond: Any, *ins: Any) -> Sequence[Any]:
        import jax.numpy as jnp

        c = jnp.asarray(cond) != 0
        return [jnp.where(c, a, b) for a, b in zip(ins[:n], ins[n:])]

    return impl


RULES.register(IfElse, rule=ifelse_rule)


def ofg_rule(node: Any) -> Callable[..., Sequence[Any]]:
    op = cast(OpFromGraph, node.op)

    def impl(*ins: Any) -> Sequence[Any]:
        return _traced(op.fgraph)(*ins)

    return impl


ofg_rule.checks = lambda node: _inner_checks(node.op.fgraph)  # type: ignore[attr-defined]
RULES.register(OpFromGraph, rule=ofg_rule)
