"""NumPy-style symbolic tensors: types, variables, and the ops that act on them.

``import graft.tensor as gt`` gives the PyTensor-like namespace: constructors
(``gt.matrix("x")``, ``gt.dvector``...), elementwise math (``gt.exp``,
``gt.sigmoid``...), reductions, products, shape and indexing operations.
"""

from typing import TYPE_CHECKING

from graft.tensor import linalg, nlinalg
from graft.tensor import sharedvar as _sharedvar  # registers shared() for arrays
from graft.tensor.basic import (
    Alloc,
    ARange,
    Eye,
    MakeVector,
    NotScalarConstantError,
    ScalarFromTensor,
    TensorFromScalar,
    alloc,
    arange,
    as_tensor,
    as_tensor_variable,
    cast,
    constant,
    expand_dims,
    eye,
    fill,
    full,
    full_like,
    get_underlying_scalar_constant_value,
    get_vector_length,
    make_vector,
    ones,
    ones_like,
    scalar_from_tensor,
    squeeze,
    tensor_from_scalar,
    transpose,
    zeros,
    zeros_like,
)
from graft.tensor.axes import *
from graft.tensor.blockwise import *
from graft.tensor.contraction import *
from graft.tensor.elemwise import CAReduce, DimShuffle, Elemwise
from graft.tensor.extra_ops import *
from graft.tensor.extra_ops import CumOp, cumprod, cumsum, diff, searchsorted
from graft.tensor.fused_reduce import ElemwiseReduce
from graft.tensor.join import (
    Join,
    Split,
    concatenate,
    join,
    repeat,
    split,
    stack,
    tile,
)
from graft.tensor.math import *
from graft.tensor.math import (
    Argmax,
    Dot,
    MatMul,
    abs,
    all,
    any,
    argmax,
    argmin,
    clip,
    dot,
    matmul,
    max,
    mean,
    min,
    outer,
    prod,
    round,
    std,
    sum,
    switch,
    tensordot,
    var,
    where,
)
from graft.tensor.shape import (
    Reshape,
    Shape,
    Shape_i,
    SpecifyShape,
    flatten,
    reshape,
    shape,
    shape_i,
    specify_shape,
)
from graft.tensor.sorting import *
from graft.tensor.special import LogSoftmax, Softmax, log_softmax, logsumexp, softmax
from graft.tensor.subtensor import (
    AdvancedIncSubtensor,
    AdvancedIncSubtensor1,
    AdvancedSubtensor,
    AdvancedSubtensor1,
    IncSubtensor,
    Subtensor,
    inc_subtensor,
    set_subtensor,
    take,
)
from graft.tensor.triangular import *
from graft.tensor.type import *
from graft.tensor.type import TensorType, matrices, scalars, tensor, vectors
from graft.tensor.variable import TensorConstant, TensorVariable

slinalg = linalg

if TYPE_CHECKING:
    # graft.tensor.math makes its elementwise ops in a loop; named here for type checkers
    from graft.tensor.math import (
        abs_ as abs_,
        add as add,
        and_ as and_,
        arccos as arccos,
        arccosh as arccosh,
        arcsin as arcsin,
        arcsinh as arcsinh,
        arctan as arctan,
        arctan2 as arctan2,
        arctanh as arctanh,
        bitwise_and as bitwise_and,
        bitwise_not as bitwise_not,
        bitwise_or as bitwise_or,
        bitwise_xor as bitwise_xor,
        cbrt as cbrt,
        ceil as ceil,
        cos as cos,
        cosh as cosh,
        deg2rad as deg2rad,
        eq as eq,
        erf as erf,
        erfc as erfc,
        erfcinv as erfcinv,
        erfcx as erfcx,
        erfinv as erfinv,
        exp as exp,
        exp2 as exp2,
        expit as expit,
        expm1 as expm1,
        floor as floor,
        gamma as gamma,
        gammainc as gammainc,
        gammainc_grad as gammainc_grad,
        gammaincc as gammaincc,
        gammainccinv as gammainccinv,
        gammaincinv as gammaincinv,
        gammaln as gammaln,
        ge as ge,
        gt as gt,
        hypot as hypot,
        identity as identity,
        int_div as int_div,
        invert as invert,
        isinf as isinf,
        isnan as isnan,
        le as le,
        log as log,
        log10 as log10,
        log1mexp as log1mexp,
        log1p as log1p,
        log1pexp as log1pexp,
        log2 as log2,
        logaddexp as logaddexp,
        lt as lt,
        maximum as maximum,
        minimum as minimum,
        mod as mod,
        mul as mul,
        neg as neg,
        neq as neq,
        or_ as or_,
        polygamma as polygamma,
        pow as pow,
        psi as psi,
        rad2deg as rad2deg,
        reciprocal as reciprocal,
        round_half_away_from_zero as round_half_away_from_zero,
        round_half_to_even as round_half_to_even,
        second as second,
        sigmoid as sigmoid,
        sign as sign,
        sin as sin,
        sinh as sinh,
        softplus as softplus,
        sqr as sqr,
        sqrt as sqrt,
        sub as sub,
        tan as tan,
        tanh as tanh,
        tri_gamma as tri_gamma,
        true_div as true_div,
        trunc as trunc,
        xlogx as xlogx,
        xlogy0 as xlogy0,
        xor as xor,
    )
from graft.tensor.nlinalg import kron

# The gradient API is also reachable here, as in PyTensor (``gt.grad``); graft.gradient
# builds on graft.tensor, so it is imported on first use.
_GRADIENT_NAMES = frozenset(
    {
        "grad",
        "jacobian",
        "hessian",
        "Lop",
        "Rop",
        "grad_clip",
        "grad_scale",
        "subgraph_grad",
        "consider_constant",
        "zero_grad",
        "disconnected_grad",
    }
)


def __getattr__(name: str) -> object:
    if name == "random":  # graft.tensor.random, imported on first use
        import importlib

        module = importlib.import_module("graft.tensor.random")
        globals()["random"] = module
        return module
    if name in _GRADIENT_NAMES:
        import graft.gradient

        value = getattr(graft.gradient, name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'graft.tensor' has no attribute {name!r}")
