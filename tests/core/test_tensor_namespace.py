"""The everyday PyTensor names are reachable where PyTensor users look for them."""

from __future__ import annotations

import numpy as np
import pytest

import graft
import graft.gradient
import graft.tensor as gt

TENSOR_NAMES = """
einsum vectorize Blockwise sort argsort unique linspace diag diagonal trace tril triu
tril_indices triu_indices roll moveaxis swapaxes broadcast_to shape_padleft shape_padright
nonzero bincount kron batched_dot nan_to_num max_and_argmax bitwise_and bitwise_or
bitwise_xor bitwise_not invert gammainc gammaincc xlogx xlogy0 expit log1pexp
grad jacobian hessian Lop Rop grad_clip grad_scale subgraph_grad consider_constant
vectors matrices scalars dvectors
""".split()
LINALG_NAMES = "eigh svd qr norm pinv kron inv det cholesky solve".split()


@pytest.mark.parametrize("name", TENSOR_NAMES)
def test_tensor_name(name):
    assert callable(getattr(gt, name))


@pytest.mark.parametrize("name", LINALG_NAMES)
def test_linalg_name(name):
    assert callable(getattr(gt.linalg, name))


@pytest.mark.parametrize("name", "grad jacobian hessian Lop Rop".split())
def test_gradient_names_are_one_object(name):
    assert getattr(gt, name) is getattr(graft.gradient, name) is getattr(graft, name)


def test_unknown_name_raises_attribute_error():
    with pytest.raises(AttributeError, match="no_such_name"):
        gt.no_such_name  # noqa: B018


def test_tensor_grad_computes():
    x = gt.dvector("x")
    f = graft.function([x], gt.grad(gt.sum(gt.sin(x)), x))
    np.testing.assert_allclose(f(np.array([0.0, 1.0])), np.cos([0.0, 1.0]))
