"""Numba rules of the random variables with scalar support (`graft.tensor.random`).

A draw compiles to: a copy of the input Generator (made in object mode with
`graft.tensor.random.type.copy_generator`, as ``perform`` copies; an
``inplace`` Op draws from its input directly), NumPy's parameter checks,
then one loop over the draw's elements calling the numba ``Generator``
method with that element's parameters (``categorical``: one uniform per
element and an inverse-CDF search of its row, as ``perform`` does). numba's
Generator methods run NumPy's own algorithms on the same bit generator, and
NumPy draws broadcast parameters element by element in C order, so the
compiled draws and the advanced rng equal ``perform``'s, bit for bit.

One documented difference: a NaN shape parameter of ``gamma``, ``beta``,
``invgamma`` or ``t`` gives a NaN draw without touching the bit generator
(numba's samplers would loop forever; NumPy also returns NaN, but its stream
then differs). ``betabinomial``, the vector-valued distributions
(``dirichlet``, ``multinomial``, ``multivariate_normal``) and draws from a
constant Generator (numba cannot embed one in compiled code) run through
``perform``: the rule returns None.

The checks mirror NumPy's: a check on one parameter looks at each of its
elements, a check on several at each element of their broadcast, so the
compiled code raises exactly when ``perform`` does (the base then replays the
node through ``perform`` for NumPy's message).
"""

from __future__ import annotations

from typing import Any

import numba
import numpy as np

from graft.graph.basic import Apply, Constant
from graft.tensor.random import basic as B
from graft.tensor.random.op import RandomVariable
from graft.tensor.random.type import copy_generator
from graft_backend_numba.linker import RULES
from graft_backend_numba.rules._kernels_util import (
    at,
    is_tensor,
    kernel,
    ndim,
    nest,
    np_dtype,
    tup,
    use_np,
)

OWNER = "graft-backend-numba"
Lines = list[str] | None

#: NumPy's largest Poisson mean (``numpy.random``'s ``POISSON_LAM_MAX``).
LAM_MAX = float(np.iinfo(np.int64).max - np.sqrt(np.iinfo(np.int64).max) * 10)
_GENERATOR = numba.typeof(np.random.default_rng(0))


@numba.njit(cache=True)
def _copy_generator(g: Any) -> Any:  # pragma: no cover - compiled
    """An independent copy of the Generator ``g`` (made by Python, in object mode)."""
    with numba.objmode(h=_GENERATOR):
        h = copy_generator(g)
    return h


Check = tuple[str, tuple[int, ...]]
_NONNEG_1: list[Check] = [("{1} < 0", (1,))]
_PROB = "{0} < 0 or {0} > 1 or np.isnan({0})"
_OPEN_PROB = "{0} <= 0 or {0} > 1 or np.isnan({0})"

#: Op class -> (parameter kinds: "f" float64 / "i" int64, checks as (condition, the
#: parameters it reads), the element's draw). ``{g}`` is the generator, ``{k}`` parameter k.
SPECS: dict[type, tuple[str, list[Check], str]] = {
    B.NormalRV: ("ff", _NONNEG_1, "{g}.normal({0}, {1})"),
    B.HalfNormalRV: ("ff", _NONNEG_1, "{0} + {1} * abs({g}.standard_normal())"),
    B.CauchyRV: ("ff", _NONNEG_1, "{0} + {1} * {g}.standard_cauchy()"),
    B.HalfCauchyRV: ("ff", _NONNEG_1, "{0} + {1} * abs({g}.standard_cauchy())"),
    B.StudentTRV: (
        "fff",
        [("{2} < 0", (2,)), ("{0} <= 0", (0,))],
        "np.nan if np.isnan({0}) else {1} + {2} * {g}.standard_t({0})",
    ),
    B.UniformRV: (
        "ff",
        [("not np.isfinite({1} - {0}) or {1} - {0} < 0", (0, 1))],
        "{g}.uniform({0}, {1})",
    ),
    B.BetaRV: (
        "ff",
        [("{0} <= 0", (0,)), ("{1} <= 0", (1,))],
        "np.nan if np.isnan({0}) or np.isnan({1}) else {g}.beta({0}, {1})",
    ),
    B.GammaRV: (
        "ff",
        [("{0} < 0", (0,)), ("{1} < 0", (1,))],
        "np.nan if np.isnan({0}) else {g}.gamma({0}, {1})",
    ),
    B.InvGammaRV: (
        "ff",
        [("{1} < 0", (1,)), ("{0} < 0", (0,))],
        "np.nan if np.isnan({0}) else {1} / {g}.standard_gamma({0})",
    ),
    B.ExponentialRV: ("f", [("{0} < 0", (0,))], "{g}.exponential({0})"),
    B.LogNormalRV: ("ff", _NONNEG_1, "{g}.lognormal({0}, {1})"),
    B.LaplaceRV: ("ff", _NONNEG_1, "{g}.laplace({0}, {1})"),
    B.LogisticRV: ("ff", _NONNEG_1, "{g}.logistic({0}, {1})"),
    B.BernoulliRV: ("f", [(_PROB, (0,))], "{g}.random() < {0}"),
    B.BinomialRV: (
        "if",
        [("{0} < 0", (0,)), (_PROB.replace("{0}", "{1}"), (1,))],
        "{g}.binomial({0}, {1})",
    ),
    B.PoissonRV: (
        "f",
        [("{0} < 0 or np.isnan({0})", (0,)), (f"{{0}} > {LAM_MAX!r}", (0,))],
        "{g}.poisson({0})",
    ),
    B.NegBinomialRV: (
        "ff",
        [
            ("np.isnan({0}) or {0} <= 0", (0,)),
            (_OPEN_PROB.replace("{0}", "{1}"), (1,)),
            (f"(1 - {{1}}) / {{1}} * ({{0}} + 10 * np.sqrt({{0}})) > {LAM_MAX!r}", (0, 1)),
        ],
        "{g}.negative_binomial({0}, {1})",
    ),
    B.GeometricRV: ("f", [(_OPEN_PROB, (0,))], "{g}.geometric({0})"),
}


def _raise(what: str) -> str:
    # Messages are fixed text chosen here, never user strings.
    return f"    raise ValueError({what!r})"


@RULES.register(RandomVariable, owner=OWNER)
def random_variable_rule(node: Apply, ins: list[str], outs: list[str], em: Any) -> Lines:
    """A draw of a scalar-support distribution of `SPECS` (see the module docstring)."""
    op: Any = node.op
    if isinstance(node.inputs[0], Constant):  # numba cannot freeze a Generator into code
        return None
    if type(op) is B.CategoricalRV:
        return _categorical(node, ins, outs, em)
    spec = SPECS.get(type(op))
    if spec is None or op.ndim_supp != 0:  # exact classes only: a subclass may draw otherwise
        return None
    params = node.inputs[2:]
    draw = node.outputs[1]
    if not (all(is_tensor(p) for p in params) and is_tensor(draw)):
        return None
    kinds, checks, expr = spec
    use_np(em)
    rng_in, size_in, *p_ins = ins
    g, out = outs
    lines = [f"{g} = {rng_in}" if op.inplace else f"{g} = {kernel(em, _copy_generator)}({rng_in})"]
    vals = [em.fresh("a") for _ in params]
    # Source that converts an element to its parameter value.
    conv = ["np.int64({})" if kind == "i" else "np.float64({})" for kind in kinds]

    def reads(names: list[str], nd: int, idx: list[str]) -> tuple[list[str], list[str]]:
        """Lines setting the multipliers and the value reads of each parameter at ``idx``."""
        pre, got = [], []
        for p, name, cv, v in zip(params, names, conv, vals):
            pnd = ndim(p)
            sub = []
            for k in range(pnd):
                m = em.fresh("m")
                pre.append(f"{m} = 0 if {name}.shape[{k}] == 1 else 1")
                sub.append(f"{idx[nd - pnd + k]} * {m}")
            got.append(f"{v} = {cv.format(at(name, sub))}")
        return pre, got

    # NumPy's checks: one parameter's over its own elements...
    for cond, used in checks:
        if len(used) == 1:
            (k,) = used
            e = em.fresh("e")
            lines += [
                f"for {e} in {p_ins[k]}.flat:",
                f"    {vals[k]} = {conv[k].format(e)}",
                f"    if {cond.format(*vals, g=g)}:",
                "    " + _raise(f"{op.name}: invalid parameter"),
            ]
    # ...and several parameters' over their broadcast (NumPy's rule: size 1 stretches).
    multi = [(c, u) for c, u in checks if len(u) > 1]
    nbp = max((ndim(p) for p in params), default=0)
    if multi:
        bdims = [em.fresh("b") for _ in range(nbp)]
        for d in range(nbp):
            lines.append(f"{bdims[d]} = 1")
            for p, name in zip(params, p_ins):
                k = d - (nbp - ndim(p))
                if k >= 0:
                    lines += [
                        f"if {name}.shape[{k}] != 1:",
                        f"    if {bdims[d]} != 1 and {bdims[d]} != {name}.shape[{k}]:",
                        "    " + _raise(f"{op.name}: shape mismatch"),
                        f"    {bdims[d]} = {name}.shape[{k}]",
                    ]
        idx = [em.fresh("i") for _ in range(nbp)]
        pre, got = reads(p_ins, nbp, idx)
        body = list(got)
        for cond, _ in multi:
            body += [f"if {cond.format(*vals, g=g)}:", _raise(f"{op.name}: invalid parameters")]
        lines += pre + nest(idx, bdims, body)

    # The draw's shape: ``size``, or the parameters' batch shapes under graft's rule
    # (only dimensions of static size 1 stretch).
    nd = ndim(draw)
    dims = [em.fresh("n") for _ in range(nd)]
    if node.inputs[1].type.shape[0]:  # type: ignore[attr-defined]
        lines += [f"{dims[d]} = np.int64({size_in}[{d}])" for d in range(nd)]
        for p, name in zip(params, p_ins):
            off = nd - ndim(p)
            for k in range(ndim(p)):
                lines += [
                    f"if {name}.shape[{k}] != 1 and {name}.shape[{k}] != {dims[off + k]}:",
                    _raise(f"{op.name}: a parameter does not broadcast to size"),
                ]
    else:
        for d in range(nd):
            first = True
            for p, name in zip(params, p_ins):
                k = d - (nd - ndim(p))
                if k < 0 or p.type.shape[k] == 1:  # type: ignore[attr-defined]
                    continue
                if first:
                    lines.append(f"{dims[d]} = np.int64({name}.shape[{k}])")
                    first = False
                else:
                    lines += [
                        f"if {name}.shape[{k}] != {dims[d]}:",
                        _raise(f"{op.name}: the parameters' shapes do not broadcast"),
                    ]
            if first:
                lines.append(f"{dims[d]} = np.int64(1)")
    lines.append(f"{out} = np.empty({tup(dims)}, {np_dtype(draw)})")
    idx = [em.fresh("i") for _ in range(nd)]
    pre, got = reads(p_ins, nd, idx)
    body = [*got, f"{at(out, idx)} = {np_dtype(draw)}({expr.format(*vals, g=g)})"]
    return lines + pre + nest(idx, dims, body)


def _categorical(node: Apply, ins: list[str], outs: list[str], em: Any) -> Lines:
    """``categorical(p)``: per element one uniform, then the count of cumulative sums of
    its ``p`` row at or below it (``perform``'s inverse CDF, in the same order)."""
    op: Any = node.op
    p, draw = node.inputs[2], node.outputs[1]
    if not (is_tensor(p) and is_tensor(draw)):
        return None
    use_np(em)
    rng_in, size_in, p_in = ins
    g, out = outs
    pnd, nd = ndim(p), ndim(draw)
    e, kk, u, acc, c, j = (em.fresh(h) for h in ("e", "k", "u", "acc", "c", "j"))
    copy = f"{kernel(em, _copy_generator)}({rng_in})"
    lines = [
        f"{g} = {rng_in}" if op.inplace else f"{g} = {copy}",
        f"for {e} in {p_in}.flat:",
        f"    if np.float64({e}) < 0 or np.float64({e}) > 1 or np.isnan(np.float64({e})):",
        "    " + _raise("categorical: p must be in [0, 1]"),
        f"{kk} = {p_in}.shape[{pnd - 1}]",
        f"if {kk} == 0:",
        _raise("categorical: p must have at least one category"),
    ]
    dims = [em.fresh("n") for _ in range(nd)]
    off = nd - (pnd - 1)
    if node.inputs[1].type.shape[0]:  # type: ignore[attr-defined]
        lines += [f"{dims[d]} = np.int64({size_in}[{d}])" for d in range(nd)]
        for k in range(pnd - 1):
            lines += [
                f"if {p_in}.shape[{k}] != 1 and {p_in}.shape[{k}] != {dims[off + k]}:",
                _raise("categorical: p does not broadcast to size"),
            ]
    else:
        lines += [f"{dims[d]} = np.int64({p_in}.shape[{d}])" for d in range(nd)]
    lines.append(f"{out} = np.empty({tup(dims)}, {np_dtype(draw)})")
    idx = [em.fresh("i") for _ in range(nd)]
    sub = []
    for k in range(pnd - 1):
        m = em.fresh("m")
        lines.append(f"{m} = 0 if {p_in}.shape[{k}] == 1 else 1")
        sub.append(f"{idx[off + k]} * {m}")
    body = [
        f"{u} = {g}.random()",
        f"{acc} = 0.0",
        f"{c} = 0",
        f"for {j} in range({kk}):",
        f"    {acc} += np.float64({at(p_in, [*sub, j])})",
        f"    if {acc} <= {u}:",
        f"        {c} += 1",
        f"{at(out, idx)} = {np_dtype(draw)}(min({c}, {kk} - 1))",
    ]
    return lines + nest(idx, dims, body)
