"""The JAX backend as graft users see it: mode "JAX", dtypes, static values, errors, plugins."""

from __future__ import annotations

import subprocess
import sys

import jax
import numpy as np
import pytest

import graft
import graft.tensor as gt
from graft.link.basic import UnsupportedOpError

JAX = "JAX"


def both(inputs, outputs, *args, **kw):
    """Outputs of the JAX backend and of the reference backend for the same arguments."""
    fj = graft.function(inputs, outputs, mode=JAX, **kw)
    fp = graft.function(inputs, outputs, mode="PY", **kw)
    return fj(*args), fp(*args)


def assert_same(got, want, rtol=1e-12):
    got = got if isinstance(got, list) else [got]
    want = want if isinstance(want, list) else [want]
    assert len(got) == len(want)
    for g, w in zip(got, want):
        g, w = np.asarray(g), np.asarray(w)
        assert g.dtype == w.dtype, (g.dtype, w.dtype)
        assert g.shape == w.shape, (g.shape, w.shape)
        if w.dtype.kind in "fc":
            np.testing.assert_allclose(g, w, rtol=rtol, atol=0, equal_nan=True)
        else:
            np.testing.assert_array_equal(g, w)


def test_plugin_import_does_not_import_jax():
    code = (
        "import sys, graft, graft.plugins as p; p.load(); "
        "import graft.compile; graft.compile.get_mode('JAX'); "
        "print('jax' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False", out.stderr


@pytest.mark.parametrize("dtype", ["float64", "float32", "int64", "int8"])
def test_fused_elemwise_matches_reference(dtype):
    x = gt.tensor(dtype, shape=(None, None), name="x")
    y = gt.tensor(dtype, shape=(None, None), name="y")
    out = [x * y + 1, (x - y) ** 2, gt.maximum(x, y), x // gt.maximum(y, 1)]
    rng = np.random.default_rng(0)
    a = (rng.uniform(-5, 5, (3, 4)) * (1 if dtype.startswith("f") else 3)).astype(dtype)
    b = (rng.uniform(-5, 5, (3, 4)) * (1 if dtype.startswith("f") else 3)).astype(dtype)
    got, want = both([x, y], out, a, b)
    assert_same(got, want, rtol=1e-6 if dtype == "float32" else 1e-12)


def test_float64_without_changing_global_config():
    assert not jax.config.jax_enable_x64
    x = gt.dvector("x")
    f = graft.function([x], gt.exp(x) / 3, mode=JAX)
    v = np.array([1.0, 2.0, 1e-300])
    out = f(v)
    assert out.dtype == np.float64
    np.testing.assert_allclose(out, np.exp(v) / 3, rtol=1e-15)
    assert not jax.config.jax_enable_x64
    assert jax.numpy.ones(2).dtype == np.float32  # the user's own JAX code is unchanged


@pytest.mark.parametrize(
    "shape", [(), (0,), (1,), (5,), (2, 0, 3)], ids=["0d", "empty", "size1", "vec", "empty3d"]
)
def test_shapes_and_reductions(shape):
    x = gt.tensor("float64", shape=(None,) * len(shape), name="x")
    out = [x * 2, x.sum(), (x**2).sum(axis=0) if len(shape) else x.sum(), gt.exp(x).max()]
    a = np.arange(np.prod(shape), dtype="float64").reshape(shape) - 1
    if a.size == 0:
        out = out[:3]
    got, want = both([x], out, a)
    assert_same(got, want)


def test_non_contiguous_inputs():
    x = gt.dmatrix("x")
    a = np.arange(24.0).reshape(4, 6)[::-1, ::2]
    got, want = both([x], [x.T @ x, x[1:, ::-1]], a)
    assert_same(got, want)


def test_nan_inf_edge_values():
    x = gt.dvector("x")
    v = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, 1e308, -1.0])
    got, want = both([x], [gt.log(x), gt.maximum(x, 0), gt.sqrt(x), x.max(), gt.sign(x)], v)
    assert_same(got, want)


def test_integer_division_by_zero_is_zero_as_numpy():
    x, y = gt.lvector("x"), gt.lvector("y")
    a, b = np.array([7, -7, 0, 5]), np.array([0, 2, 0, -3])
    got, want = both([x, y], [x // y, x % y], a, b)
    assert_same(got, want)


def test_shape_arithmetic_is_static():
    x = gt.dmatrix("x")
    out = x.reshape((x.shape[0] * x.shape[1],))[: x.shape[1]]
    got, want = both([x], out, np.arange(6.0).reshape(2, 3))
    assert_same(got, want)


def test_scalar_input_as_slice_bound_compiles_per_value():
    x, k = gt.dvector("x"), gt.lscalar("k")
    f = graft.function([x, k], x[:k] * 2, mode=JAX)
    v = np.arange(5.0)
    for n in (1, 3, 5, 3):
        np.testing.assert_array_equal(f(v, n), v[:n] * 2)


def test_shape_from_data_raises_static_value_error():
    from graft_backend_jax.linker import StaticValueError

    x = gt.dvector("x")
    n = gt.cast(x.sum(), "int64")
    f = graft.function([x], gt.zeros((n,)) + 1.0, mode=JAX)
    with pytest.raises(StaticValueError, match="Alloc"):
        f(np.array([1.0, 2.0]))


def test_unsupported_ops_listed_in_one_error_at_compile_time():
    x = gt.lvector("x")
    with pytest.raises(UnsupportedOpError) as info:
        graft.function([x], [gt.nonzero(x)[0], gt.unique(x)], mode=JAX)
    msg = str(info.value)
    assert "Nonzero" in msg and "Unique" in msg and "2 Op(s)" in msg


def test_index_out_of_bounds_raises_like_reference():
    x, i = gt.dvector("x"), gt.lscalar("i")
    f = graft.function([x, i], x[i] * 2, mode=JAX)
    assert f(np.arange(3.0), -1) == 4.0
    with pytest.raises(IndexError, match="Subtensor"):
        f(np.arange(3.0), 3)
    assert f(np.arange(3.0), 1) == 2.0  # still usable after the error


def test_advanced_index_out_of_bounds_raises():
    x, idx = gt.dvector("x"), gt.lvector("idx")
    f = graft.function([x, idx], x[idx], mode=JAX)
    np.testing.assert_array_equal(f(np.arange(4.0), np.array([3, -4, 0])), [3.0, 0.0, 0.0])
    with pytest.raises(IndexError):
        f(np.arange(4.0), np.array([0, 4]))


def test_check_and_raise_raises_its_exception():
    from graft.raise_op import CheckAndRaise

    x = gt.dvector("x")
    checked = CheckAndRaise(ValueError, "x must be positive")(x, gt.all(x > 0))
    f = graft.function([x], checked * 2, mode=JAX)
    np.testing.assert_array_equal(f(np.array([1.0, 2.0])), [2.0, 4.0])
    with pytest.raises(ValueError, match="x must be positive"):
        f(np.array([1.0, -2.0]))


def test_shape_mismatch_names_op_and_shapes():
    x, y = gt.dvector("x"), gt.dvector("y")
    f = graft.function([x, y], x + y, mode=JAX)
    with pytest.raises(ValueError) as info:
        f(np.ones(3), np.ones(4))
    assert "(3,)" in str(info.value) and "(4,)" in str(info.value)


def test_cholesky_of_non_positive_definite_raises():
    a = gt.dmatrix("a")
    f = graft.function([a], gt.linalg.cholesky(a), mode=JAX)
    good = np.array([[4.0, 1.0], [1.0, 3.0]])
    np.testing.assert_allclose(f(good), np.linalg.cholesky(good), rtol=1e-12)
    with pytest.raises(np.linalg.LinAlgError):
        f(np.array([[1.0, 2.0], [2.0, 1.0]]))


def test_rules_extendable_by_plugins():
    from graft_backend_jax.linker import JaxLinker

    from graft.graph.basic import Apply
    from graft.graph.op import Op

    class Triple(Op):
        __props__ = ()

        def make_node(self, x):
            x = gt.as_tensor_variable(x)
            return Apply(self, [x], [x.type()])

        def perform(self, node, inputs, out):
            out[0][0] = inputs[0] * 3

    x = gt.dvector("x")
    assert not JaxLinker().supports(Triple())
    # A class local to this test: its rule stays registered, unused, after it.
    JaxLinker.rules.register(Triple, rule=lambda node: lambda v: (v * 3,), owner="test")
    f = graft.function([x], Triple()(x) + 1, mode=JAX)
    np.testing.assert_array_equal(f(np.array([1.0, 2.0])), [4.0, 7.0])


def test_shared_variable_updates_and_writable_outputs():
    s = graft.shared(np.zeros(3), name="s")
    x = gt.dvector("x")
    f = graft.function([x], s * 2, updates=[(s, s + x)], mode=JAX)
    f(np.ones(3))
    out = f(np.ones(3))
    np.testing.assert_array_equal(out, [2.0, 2.0, 2.0])
    np.testing.assert_array_equal(s.get_value(), [2.0, 2.0, 2.0])
    assert s.get_value(borrow=True).flags.writeable
