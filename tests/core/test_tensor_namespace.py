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


@pytest.mark.parametrize("name", "ARange Eye MakeVector arange eye make_vector".split())
def test_constructor_ops_are_in_tensor_basic(name):
    import graft.tensor.basic

    assert getattr(graft.tensor.basic, name) is getattr(gt, name)


def test_tensor_basic_unknown_name_raises_attribute_error():
    import graft.tensor.basic

    with pytest.raises(AttributeError, match="no_such_name"):
        graft.tensor.basic.no_such_name  # noqa: B018


@pytest.mark.parametrize(
    ("where", "name"),
    [
        ("graft.compile.sharedvalue", "SharedVariable"),
        ("graft.compile.sharedvalue", "shared"),
        ("graft.compile.generic", "generic"),
        ("graft.graph.utils", "InconsistencyError"),
        ("graft.graph.utils", "MissingInputError"),
        ("graft.plugins.errors", "ConflictError"),
        ("graft.graph.rewriting.basic", "PatternNodeRewriter"),
        ("graft.graph.rewriting.basic", "EquilibriumGraphRewriter"),
    ],
)
def test_moved_names_stay_importable_where_they_were(where, name):
    import importlib

    homes = {
        "SharedVariable": "graft.graph.sharedvalue",
        "shared": "graft.graph.sharedvalue",
        "generic": "graft.graph.generic",
        "InconsistencyError": "graft.errors",
        "MissingInputError": "graft.errors",
        "ConflictError": "graft.errors",
        "PatternNodeRewriter": "graft.graph.rewriting.pattern",
        "EquilibriumGraphRewriter": "graft.graph.rewriting.equilibrium",
    }
    home = importlib.import_module(homes[name])
    assert getattr(importlib.import_module(where), name) is getattr(home, name)


def test_shared_arrays_work_without_importing_the_compile_layer_first():
    import subprocess
    import sys

    code = (
        "import sys, numpy as np, graft.tensor as gt\n"
        "assert 'graft.compile' not in sys.modules\n"
        "from graft.graph.sharedvalue import shared\n"
        "w = shared(np.arange(3.0), name='w')\n"
        "assert isinstance(w, gt.sharedvar.TensorSharedVariable), type(w)\n"
        "print((w * 2).eval())\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["[0.", "2.", "4.]"]


def test_eval_and_rewrite_graph_use_the_compile_layer_handed_down_by_import_graft():
    from graft.graph.rewriting.utils import default_database, rewrite_graph

    x = gt.dvector("x")
    np.testing.assert_array_equal((x * 2).eval({x: np.array([1.0, -2.0])}), [2.0, -4.0])
    assert default_database() is graft.compile.optdb
    out = rewrite_graph(gt.exp(gt.log(x)) * 1, include=("canonicalize",))
    v = np.array([0.5, 3.0])
    np.testing.assert_allclose(out.eval({x: v}), np.exp(np.log(v)))
