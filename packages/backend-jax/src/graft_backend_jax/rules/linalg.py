"""JAX rules of products, ``Blockwise`` and linear algebra.

``Dot``/``MatMul`` run at full float32 precision (``Precision.HIGHEST``: no
TF32 on GPUs), in the output dtype (integer and boolean products as NumPy).
``Blockwise`` applies its core Op's rule under nested ``jax.vmap``\\ s over the
broadcast batch dimensions. The LAPACK-backed Ops use ``jax.numpy.linalg`` /
``jax.scipy.linalg``, reading the triangle graft's Op reads. Where NumPy/SciPy
raise ``LinAlgError`` (a matrix that is not positive definite, a singular
one), JAX returns NaN/inf: a runtime check on finite inputs giving non-finite
results replays the call on the reference backend, which raises.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from graft.graph.basic import Apply
from graft.tensor.blockwise import Blockwise
from graft.tensor.linalg import (
    Cholesky,
    Det,
    MatrixInverse,
    SlogDet,
    Solve,
    SolveTriangular,
)
from graft.tensor.math import Dot, MatMul
from graft.tensor.nlinalg import QR, SVD, Eigh, Pinv
from graft.tensor.type import TensorType
from graft_backend_jax.linker import RULES, runtime_check

OWNER = "graft-backend-jax"
Impl = Callable[..., Sequence[Any]]


def _jax() -> Any:
    import jax

    return jax


def _jnp() -> Any:
    import jax.numpy as jnp

    return jnp


def _reg(*classes: type, supports: Callable[[Any], bool] | None = None, checks: Any = None) -> Any:
    def deco(rule: Any) -> Any:
        if supports is not None:
            rule.supports = supports
        if checks is not None:
            rule.checks = checks
        RULES.register(*classes, rule=rule, owner=OWNER)
        return rule

    return deco


def _dt(v: Any) -> np.dtype[Any]:
    return np.dtype(str(v.type.dtype))


def _product(f_name: str) -> Callable[[Apply], Impl]:
    def rule(node: Any) -> Impl:
        jax, jnp = _jax(), _jnp()
        f = getattr(jnp, f_name)
        dt = _dt(node.outputs[0])
        hi = jax.lax.Precision.HIGHEST

        def run(a: Any, b: Any) -> Sequence[Any]:
            a, b = jnp.asarray(a), jnp.asarray(b)
            if dt.kind == "b":
                i = np.dtype(np.int64)
                return (f(a.astype(i), b.astype(i)) != 0,)
            return (f(a.astype(dt), b.astype(dt), precision=hi),)

        return run

    return rule


_reg(Dot)(_product("dot"))
_reg(MatMul)(_product("matmul"))


# -- Blockwise -------------------------------------------------------------------------------


def _core_node(node: Any) -> Apply:
    op = node.op
    core_in = []
    for v, sig in zip(node.inputs, op.inputs_sig):
        t = v.type
        shape = tuple(t.shape[t.ndim - len(sig) :]) if sig else ()
        core_in.append(TensorType(t.dtype, shape)())
    return op.core_op.make_node(*core_in)


def _blockwise_supported(op: Any) -> bool:
    rule = RULES.lookup(op.core_op)
    if rule is None:
        return False
    check = getattr(rule, "supports", None)
    return check is None or bool(check(op.core_op))


def _blockwise_checks(node: Any) -> bool:
    rule = RULES.lookup(node.op.core_op)
    checks = getattr(rule, "checks", False)
    return bool(checks(_core_node(node)) if callable(checks) else checks)


@_reg(Blockwise, supports=_blockwise_supported, checks=_blockwise_checks)
def blockwise_rule(node: Any) -> Impl:
    """The core Op's rule under one ``jax.vmap`` per broadcast batch dimension."""
    jax, jnp = _jax(), _jnp()
    op = node.op
    core = _core_node(node)
    core_rule = RULES.lookup(op.core_op)
    assert core_rule is not None
    core_impl = core_rule(core)
    core_nd = [len(sig) for sig in op.inputs_sig]
    out_dts = [_dt(o) for o in node.outputs]

    def run(*xs: Any) -> Sequence[Any]:
        arrs = [jnp.asarray(x) for x in xs]
        batches = [tuple(a.shape[: a.ndim - k]) for a, k in zip(arrs, core_nd)]
        try:
            batch = np.broadcast_shapes(*batches)
        except ValueError:
            raise ValueError(f"{op}: batch shapes {batches} do not broadcast") from None
        arrs = [
            jnp.broadcast_to(a, batch + tuple(a.shape[a.ndim - k :]))
            for a, k in zip(arrs, core_nd)
        ]

        def core_fn(*c: Any) -> tuple[Any, ...]:
            return tuple(jnp.asarray(o).astype(dt) for o, dt in zip(core_impl(*c), out_dts))

        f = core_fn
        for _ in batch:
            f = jax.vmap(f)
        return f(*arrs)

    return run


# -- linear algebra --------------------------------------------------------------------------


def _fails(a: Any, *outs: Any) -> Any:
    """Finite input giving a non-finite result: where LAPACK callers raise LinAlgError."""
    jnp = _jnp()
    bad = jnp.zeros((), bool)
    for o in outs:
        bad = bad | ~jnp.all(jnp.isfinite(o))
    return jnp.all(jnp.isfinite(a)) & bad


def _cast_in(node: Any, *xs: Any) -> list[Any]:
    jnp = _jnp()
    dt = _dt(node.outputs[0])
    return [jnp.asarray(x).astype(dt) for x in xs]


@_reg(Cholesky, checks=lambda node: node.op.on_error == "raise")
def cholesky_rule(node: Any) -> Impl:
    """``lax.linalg.cholesky`` of the lower triangle (of ``a.T`` for the upper factor)."""
    jax, jnp = _jax(), _jnp()
    op = node.op

    def run(a: Any) -> Sequence[Any]:
        (a,) = _cast_in(node, a)
        if a.size == 0:
            return (a,)
        src = a if op.lower else a.T
        low = jax.lax.linalg.cholesky(src, symmetrize_input=False)
        out = jnp.tril(low) if op.lower else jnp.tril(low).T
        if op.on_error == "raise":
            runtime_check(~_fails(a, out), "Matrix is not positive definite")
            return (out,)
        return (jnp.where(jnp.all(jnp.isfinite(out)), out, jnp.full_like(a, jnp.nan)),)

    return run


@_reg(Det)
def det_rule(node: Any) -> Impl:
    """``jnp.linalg.det`` (1 for a 0x0 matrix)."""
    jnp = _jnp()

    def run(a: Any) -> Sequence[Any]:
        (a,) = _cast_in(node, a)
        if a.size == 0:
            return (jnp.ones((), a.dtype),)
        return (jnp.linalg.det(a),)

    return run


@_reg(SlogDet)
def slogdet_rule(node: Any) -> Impl:
    """``jnp.linalg.slogdet``: (sign, log|det|)."""
    jnp = _jnp()

    def run(a: Any) -> Sequence[Any]:
        (a,) = _cast_in(node, a)
        if a.size == 0:
            return (jnp.ones((), a.dtype), jnp.zeros((), a.dtype))
        sign, logdet = jnp.linalg.slogdet(a)
        return (sign, logdet)

    return run


@_reg(MatrixInverse, checks=True)
def inv_rule(node: Any) -> Impl:
    """``jnp.linalg.inv``; a singular matrix fails the call (NumPy raises LinAlgError)."""
    jnp = _jnp()

    def run(a: Any) -> Sequence[Any]:
        (a,) = _cast_in(node, a)
        if a.size == 0:
            return (a,)
        out = jnp.linalg.inv(a)
        runtime_check(~_fails(a, out), "Singular matrix")
        return (out,)

    return run


@_reg(Solve, checks=True)
def solve_rule(node: Any) -> Impl:
    """``jax.scipy.linalg.solve`` with the op's ``assume_a`` and ``lower``."""
    jnp = _jnp()
    op = node.op
    import jax.scipy.linalg as jsl

    assume = op.assume_a if op.assume_a in ("gen", "sym", "her", "pos") else "gen"

    def run(a: Any, b: Any) -> Sequence[Any]:
        a, b = _cast_in(node, a, b)
        if b.shape[0] != a.shape[0]:
            raise ValueError(f"{op}: a has shape {a.shape}, b has shape {b.shape}")
        if a.size == 0:
            return (jnp.zeros(b.shape, b.dtype),)
        out = jsl.solve(a, b, assume_a=assume, lower=op.lower)
        runtime_check(~_fails(jnp.concatenate([a.ravel(), b.ravel()]), out), "Singular matrix")
        return (out,)

    return run


@_reg(SolveTriangular)
def solve_triangular_rule(node: Any) -> Impl:
    """``jax.scipy.linalg.solve_triangular`` with the op's flags."""
    jnp = _jnp()
    op = node.op
    import jax.scipy.linalg as jsl

    def run(a: Any, b: Any) -> Sequence[Any]:
        a, b = _cast_in(node, a, b)
        if b.shape[0] != a.shape[0]:
            raise ValueError(f"{op}: a has shape {a.shape}, b has shape {b.shape}")
        if a.size == 0:
            return (jnp.zeros(b.shape, b.dtype),)
        out = jsl.solve_triangular(
            a, b, trans=op.trans, lower=op.lower, unit_diagonal=op.unit_diagonal
        )
        return (out,)

    return run


@_reg(Eigh)
def eigh_rule(node: Any) -> Impl:
    """``jnp.linalg.eigh`` of the ``UPLO`` triangle."""
    jnp = _jnp()
    uplo = node.op.UPLO

    def run(a: Any) -> Sequence[Any]:
        (a,) = _cast_in(node, a)
        w, v = jnp.linalg.eigh(a, UPLO=uplo, symmetrize_input=False)
        return (w, v)

    return run


@_reg(Pinv)
def pinv_rule(node: Any) -> Impl:
    """``jnp.linalg.pinv``."""
    jnp = _jnp()
    herm = node.op.hermitian
    return lambda a: (jnp.linalg.pinv(_cast_in(node, a)[0], hermitian=herm),)


@_reg(QR)
def qr_rule(node: Any) -> Impl:
    """``jnp.linalg.qr`` with the op's mode."""
    jnp = _jnp()
    mode = node.op.mode

    def run(a: Any) -> Sequence[Any]:
        (a,) = _cast_in(node, a)
        out = jnp.linalg.qr(a, mode=mode)
        return (out,) if mode == "r" else tuple(out)

    return run


@_reg(SVD)
def svd_rule(node: Any) -> Impl:
    """``jnp.linalg.svd`` with the op's flags."""
    jnp = _jnp()
    op = node.op

    def run(a: Any) -> Sequence[Any]:
        (a,) = _cast_in(node, a)
        out = jnp.linalg.svd(a, full_matrices=op.full_matrices, compute_uv=op.compute_uv)
        return tuple(out) if op.compute_uv else (out,)

    return run
