"""NumPy-style symbolic tensors: types, variables, and the ops that act on them.

``import graft.tensor as gt`` gives the PyTensor-like namespace: constructors
(``gt.matrix("x")``, ``gt.dvector``...), elementwise math (``gt.exp``,
``gt.sigmoid``...), reductions, products, shape and indexing operations.
"""

from graft.tensor import linalg, nlinalg
from graft.tensor import sharedvar as _sharedvar  # registers shared() for arrays
from graft.tensor.basic import (
    Alloc,
    NotScalarConstantError,
    ScalarFromTensor,
    TensorFromScalar,
    alloc,
    as_tensor,
    as_tensor_variable,
    cast,
    constant,
    expand_dims,
    fill,
    full,
    full_like,
    get_underlying_scalar_constant_value,
    get_vector_length,
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
    ARange,
    Eye,
    Join,
    MakeVector,
    Split,
    arange,
    concatenate,
    eye,
    join,
    make_vector,
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
    if name in _GRADIENT_NAMES:
        import graft.gradient

        value = getattr(graft.gradient, name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'graft.tensor' has no attribute {name!r}")
