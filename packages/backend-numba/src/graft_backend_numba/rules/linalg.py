"""Numba rules of the linear-algebra Ops (numba's ``np.linalg``, which calls SciPy's LAPACK).

Native: `Tri` (tril/triu, any rank), `MatrixInverse`, `Det`, `SlogDet`,
`Cholesky`, `Solve` (``assume_a="gen"``), `SolveTriangular`, and on 2-d
inputs `Eigh` (UPLO "L"), `SVD`, `QR` (``mode="reduced"``). The input is cast
to the output dtype first, as each Op's ``perform`` does. A singular or
non-positive-definite matrix raises ``numpy.linalg.LinAlgError``; the base
then replays the node through ``perform``, so the error the user sees is the
reference's own.

Falls back to ``perform``: batched (>2-d) decompositions, `Pinv` (numba's
cut-off for small singular values differs from NumPy's), the ``sym``/``pos``
solves (SciPy's symmetric solvers read one triangle only), other QR modes.
"""

from __future__ import annotations

from typing import Any

from graft.graph.basic import Apply
from graft.tensor.linalg import (
    Cholesky,
    Det,
    MatrixInverse,
    SlogDet,
    Solve,
    SolveTriangular,
    Tri,
)
from graft.tensor.nlinalg import QR, SVD, Eigh
from graft_backend_numba.linker import RULES
from graft_backend_numba.rules import _kernels_linalg as KL
from graft_backend_numba.rules._kernels_ops import _tri3
from graft_backend_numba.rules._kernels_util import (
    all_tensors,
    dtype_of,
    kernel,
    ndim,
    np_dtype,
    op_of,
    tup,
    use_np,
)

OWNER = "graft-backend-numba"
Lines = list[str] | None


def _reg(*classes: type) -> Any:
    return RULES.register(*classes, owner=OWNER)


def _as_out(em: Any, name: str, node: Apply, i: int = 0) -> tuple[str, list[str]]:
    """A C-contiguous copy of input ``i`` in the dtype of output 0 (what ``perform`` computes on)."""
    v = em.fresh("a")
    src = node.inputs[i]
    dt = dtype_of(node.outputs[0])
    if dtype_of(src) == dt:
        return v, [f"{v} = np.ascontiguousarray({name})"]
    return v, [f"{v} = np.ascontiguousarray({name}).astype({np_dtype(dt)})"]


def _float_out(node: Apply) -> bool:
    return all_tensors(node.inputs + node.outputs) and all(
        dtype_of(o) in ("float32", "float64") for o in node.outputs
    )


@_reg(Tri)
def tri_rule(node: Apply, ins: list[str], outs: list[str], em: Any) -> Lines:
    """``np.tril``/``np.triu`` of the last two axes."""
    if not all_tensors(node.inputs + node.outputs):
        return None
    use_np(em)
    x, out = ins[0], outs[0]
    nd = ndim(node.inputs[0])
    lead = [f"{x}.shape[{d}]" for d in range(nd - 2)]
    b, x3 = em.fresh("b"), em.fresh("x3")
    r3 = em.fresh("r3")
    rows, cols = f"{x}.shape[{nd - 2}]", f"{x}.shape[{nd - 1}]"
    return [
        f"{b} = {' * '.join(lead) or '1'}",
        f"{x3} = np.ascontiguousarray({x}).reshape(({b}, {rows}, {cols}))",
        f"{r3} = np.empty({x3}.shape, {np_dtype(node.outputs[0])})",
        f"{kernel(em, _tri3)}({x3}, {int(op_of(node).k)}, {bool(op_of(node).lower)}, {r3})",
        f"{out} = {r3}.reshape({tup([*lead, rows, cols])})",
    ]


def _one_kernel(fn: Any, doc: str) -> Any:
    """A rule calling ``fn`` on the input (in the output dtype), returning every output."""

    def rule(node: Apply, ins: list[str], outs: list[str], em: Any) -> Lines:
        if not _float_out(node):
            return None
        use_np(em)
        a, lines = _as_out(em, ins[0], node)
        return [*lines, f"{', '.join(outs)} = {kernel(em, fn)}({a})"]

    rule.__doc__ = doc
    return rule


for _cls, _fn, _doc in (
    (MatrixInverse, KL._inv, "``np.linalg.inv``."),
    (Det, KL._det, "``np.linalg.det`` as a 0-d array."),
    (SlogDet, KL._slogdet, "``np.linalg.slogdet`` as two 0-d arrays."),
):
    _reg(_cls)(_one_kernel(_fn, _doc))


@_reg(Cholesky)
def cholesky_rule(node: Apply, ins: list[str], outs: list[str], em: Any) -> Lines:
    """The Cholesky factor (``lower`` or upper; ``on_error="nan"`` gives all-NaN)."""
    if not _float_out(node):
        return None
    use_np(em)
    op = op_of(node)
    a, lines = _as_out(em, ins[0], node)
    fn = kernel(em, KL._cholesky)
    return [*lines, f"{outs[0]} = {fn}({a}, {bool(op.lower)}, {op.on_error == 'raise'})"]


def _rhs2(em: Any, b: str, node: Apply) -> tuple[str, list[str], bool]:
    """``b`` in the output dtype as a 2-d array; whether it was a vector."""
    v, lines = _as_out(em, b, node, 1)
    vec = ndim(node.inputs[1]) == 1
    if vec:
        lines.append(f"{v} = {v}.reshape(({v}.shape[0], 1))")
    return v, lines, vec


@_reg(Solve)
def solve_rule(node: Apply, ins: list[str], outs: list[str], em: Any) -> Lines:
    """``solve(a, b)`` for a general square ``a`` (LAPACK gesv, as SciPy's ``assume_a="gen"``)."""
    if not _float_out(node) or op_of(node).assume_a != "gen":
        return None
    use_np(em)
    a, lines = _as_out(em, ins[0], node)
    b, more, vec = _rhs2(em, ins[1], node)
    r = em.fresh("r")
    lines += [*more, f"{r} = {kernel(em, KL._solve)}({a}, {b})"]
    lines.append(
        f"{outs[0]} = np.ascontiguousarray({r}).reshape(({r}.shape[0],))"
        if vec
        else f"{outs[0]} = {r}"
    )
    return lines


@_reg(SolveTriangular)
def solve_triangular_rule(node: Apply, ins: list[str], outs: list[str], em: Any) -> Lines:
    """Forward/back substitution with the lower or upper triangle (``trans``: its transpose)."""
    if not _float_out(node):
        return None
    use_np(em)
    op = op_of(node)
    a, lines = _as_out(em, ins[0], node)
    b, more, vec = _rhs2(em, ins[1], node)
    r = em.fresh("r")
    fn = kernel(em, KL._solve_triangular)
    lines += [
        *more,
        f"{r} = {fn}({a}, {b}, {bool(op.lower)}, {bool(op.trans)}, {bool(op.unit_diagonal)})",
    ]
    lines.append(
        f"{outs[0]} = np.ascontiguousarray({r}).reshape(({r}.shape[0],))"
        if vec
        else f"{outs[0]} = {r}"
    )
    return lines


@_reg(Eigh)
def eigh_rule(node: Apply, ins: list[str], outs: list[str], em: Any) -> Lines:
    """``np.linalg.eigh`` of a 2-d matrix (lower triangle)."""
    if not _float_out(node) or ndim(node.inputs[0]) != 2 or op_of(node).UPLO != "L":
        return None
    use_np(em)
    a, lines = _as_out(em, ins[0], node)
    return [*lines, f"{outs[0]}, {outs[1]} = np.linalg.eigh({a})"]


@_reg(SVD)
def svd_rule(node: Apply, ins: list[str], outs: list[str], em: Any) -> Lines:
    """``np.linalg.svd`` of a 2-d matrix."""
    if not _float_out(node) or ndim(node.inputs[0]) != 2:
        return None
    use_np(em)
    op = op_of(node)
    a, lines = _as_out(em, ins[0], node)
    full = bool(op.full_matrices)
    if op.compute_uv:
        return [*lines, f"{outs[0]}, {outs[1]}, {outs[2]} = np.linalg.svd({a}, {full})"]
    u, vh = em.fresh("u"), em.fresh("vh")
    return [*lines, f"{u}, {outs[0]}, {vh} = np.linalg.svd({a}, False)"]


@_reg(QR)
def qr_rule(node: Apply, ins: list[str], outs: list[str], em: Any) -> Lines:
    """``np.linalg.qr(a, "reduced")`` of a 2-d matrix."""
    if not _float_out(node) or ndim(node.inputs[0]) != 2 or op_of(node).mode != "reduced":
        return None
    use_np(em)
    a, lines = _as_out(em, ins[0], node)
    return [*lines, f"{outs[0]}, {outs[1]} = np.linalg.qr({a})"]
