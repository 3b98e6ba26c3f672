"""Products and linear algebra: Dot, matmul, outer, tensordot; solve, cholesky, inv, det..."""

from __future__ import annotations

from typing import Any

import numpy as np

from graft.testing._conformance.harness import Case, Graph
from graft.testing._conformance.values import positive, spd, tame, tensor_module


def _products_graph(dtype: str) -> Graph:
    gt = tensor_module()

    a = gt.tensor(dtype, shape=(None, None), name="a")  # (3, 4)
    b = gt.tensor(dtype, shape=(None, None), name="b")  # (4, 5)
    u = gt.tensor(dtype, shape=(None,), name="u")  # (4,)
    w = gt.tensor(dtype, shape=(None,), name="w")  # (3,)
    t = gt.tensor(dtype, shape=(None, None, None), name="t")  # (2, 3, 4)
    r = gt.tensor(dtype, shape=(None, None, None), name="r")  # (2, 4, 5)
    e0 = gt.tensor(dtype, shape=(None, None), name="e0")  # (3, 0)
    e1 = gt.tensor(dtype, shape=(None, None), name="e1")  # (0, 5)
    f = gt.tensor("float64" if dtype != "float64" else "float32", shape=(None,), name="f")
    pairs: list[tuple[str, Any]] = [
        ("dot(a, b)", gt.dot(a, b)),
        ("dot(a, u)", gt.dot(a, u)),
        ("dot(w, a)", gt.dot(w, a)),
        ("dot(u, u)", gt.dot(u, u)),
        ("dot(b.T, a.T)", gt.dot(b.T, a.T)),
        ("dot(a[:, ::-1], b[::-1])", gt.dot(a[:, ::-1], b[::-1])),
        ("dot(e0, e1) (empty inner)", gt.dot(e0, e1)),
        ("matmul(t, r)", gt.matmul(t, r)),
        ("matmul(t, b)", gt.matmul(t, b)),
        ("matmul(a, u)", gt.matmul(a, u)),
        ("outer(u, w)", gt.outer(u, w)),
        ("tensordot(t, r, axes=[[2], [1]])", gt.tensordot(t, r, axes=[[2], [1]])),
        ("tensordot(t, a, axes=[[1, 2], [0, 1]])", gt.tensordot(t, a, axes=[[1, 2], [0, 1]])),
        ("tensordot(a, b, axes=1)", gt.tensordot(a, b, axes=1)),
        ("tensordot(u, w, axes=0)", gt.tensordot(u, w, axes=0)),
        ("dot(u, f) (mixed dtypes)", gt.dot(u, f)),
        ("dot(a, b) * 2 + 1", gt.dot(a, b) * 2 + 1),
    ]

    def values(rng: np.random.Generator) -> list[Any]:
        return [
            tame(rng, dtype, (3, 4)),
            tame(rng, dtype, (4, 5)),
            tame(rng, dtype, (4,)),
            tame(rng, dtype, (3,)),
            tame(rng, dtype, (2, 3, 4)),
            tame(rng, dtype, (2, 4, 5)),
            np.zeros((3, 0), dtype),
            np.zeros((0, 5), dtype),
            tame(rng, f.type.dtype, (4,)),
        ]

    labels, outs = zip(*pairs)
    return Graph([a, b, u, w, t, r, e0, e1, f], list(outs), list(labels), values, tolerance=10.0)


def _linalg_graph(dtype: str) -> Graph:
    gt = tensor_module()
    from graft.tensor import linalg

    a = gt.tensor(dtype, shape=(None, None), name="a")  # general (4, 4)
    s = gt.tensor(dtype, shape=(None, None), name="s")  # symmetric positive definite
    b = gt.tensor(dtype, shape=(None, None), name="b")  # (4, 2)
    v = gt.tensor(dtype, shape=(None,), name="v")  # (4,)
    m = gt.tensor(dtype, shape=(None, None), name="m")  # rectangular (5, 3)
    low = linalg.cholesky(s)
    q, rr = linalg.qr(m)
    w, vec = linalg.eigh(s)
    sign, logdet = linalg.slogdet(a)
    pairs: list[tuple[str, Any]] = [
        ("solve(a, b)", linalg.solve(a, b)),
        ("solve(a, v)", linalg.solve(a, v)),
        ("solve(s, b, assume_a='pos')", linalg.solve(s, b, assume_a="pos")),
        ("cholesky(s)", low),
        ("cholesky(s, lower=False)", linalg.cholesky(s, lower=False)),
        ("solve_triangular(L, b, lower=True)", linalg.solve_triangular(low, b, lower=True)),
        ("solve_triangular(L.T, v)", linalg.solve_triangular(low.T, v)),
        ("inv(a)", linalg.inv(a)),
        ("inv(a.T)", linalg.inv(a.T)),
        ("det(a)", linalg.det(a)),
        ("slogdet(a)[0]", sign),
        ("slogdet(a)[1]", logdet),
        ("eigvalsh(s)", linalg.eigvalsh(s)),
        # eigenvectors and QR factors are unique up to signs: compare what they rebuild
        ("eigh(s): vec @ diag(w) @ vec.T", gt.dot(vec * w, vec.T)),
        ("qr(m): q @ r", gt.dot(q, rr)),
        ("abs(r) of qr(m)", abs(rr)),
        ("svd(m, compute_uv=False)", linalg.svd(m, compute_uv=False)),
        ("pinv(m)", linalg.pinv(m)),
        ("norm(a)", linalg.norm(a)),
        ("norm(v, ord=1)", linalg.norm(v, ord=1)),
    ]

    def values(rng: np.random.Generator) -> list[Any]:
        gen = tame(rng, "float64", (4, 4)) + 4 * np.eye(4)
        return [
            gen.astype(dtype),
            spd(rng, dtype, 4),
            tame(rng, dtype, (4, 2)),
            positive(rng, dtype, (4,)),
            tame(rng, dtype, (5, 3)),
        ]

    labels, outs = zip(*pairs)
    scale = 10.0 if dtype == "float64" else 30.0
    return Graph([a, s, b, v, m], list(outs), list(labels), values, tolerance=scale)


def cases() -> list[Case]:
    """The product and linear-algebra cases."""
    out = [
        Case(
            f"products-{dt}",
            "products",
            lambda dt=dt: _products_graph(dt),  # type: ignore[misc]
            f"dot/matmul/outer/tensordot on {dt}, transposed, reversed and empty operands",
        )
        for dt in ("float64", "float32", "int64", "int8")
    ]
    out += [
        Case(
            f"linalg-{dt}",
            "linalg",
            lambda dt=dt: _linalg_graph(dt),  # type: ignore[misc]
            f"solve, cholesky, solve_triangular, inv, det, slogdet, eigh, qr, svd, pinv, norm on {dt}",
        )
        for dt in ("float64", "float32")
    ]
    return out
