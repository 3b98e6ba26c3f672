"""`to_jax`: the plain JAX function of a graft graph under vmap, grad, jit and sharding."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import jax
import numpy as np
import pytest
from graft_backend_jax import to_jax

import graft
import graft.tensor as gt
from graft.graph.fg import FunctionGraph


def _model():
    x, w = gt.dmatrix("x"), gt.dvector("w")
    return x, w, gt.tanh(x @ w) * 2 + (w**2).sum()


def test_to_jax_of_a_function_and_of_a_graph_agree_with_graft():
    x, w, out = _model()
    f = graft.function([x, w], out, mode="PY")
    xv = np.arange(12.0).reshape(4, 3) / 10
    wv = np.array([0.5, -1.0, 2.0])
    with jax.enable_x64(True):
        (a,) = to_jax(f)(xv, wv)
        (b,) = to_jax(FunctionGraph([x, w], [out]))(xv, wv)
    np.testing.assert_allclose(np.asarray(a), f(xv, wv), rtol=1e-13)
    np.testing.assert_allclose(np.asarray(b), f(xv, wv), rtol=1e-13)


def test_vmap_over_a_batch_axis_equals_a_loop():
    x, w, out = _model()
    g = to_jax(graft.function([x, w], out, mode="JAX"))
    xs = np.random.default_rng(0).normal(size=(5, 4, 3))
    wv = np.array([0.5, -1.0, 2.0])
    ref = graft.function([x, w], out, mode="PY")
    with jax.enable_x64(True):
        (batched,) = jax.vmap(g, in_axes=(0, None))(xs, wv)
    for k in range(5):
        np.testing.assert_allclose(np.asarray(batched[k]), ref(xs[k], wv), rtol=1e-12)


def test_grad_matches_finite_differences():
    x, w = gt.dvector("x"), gt.dvector("w")
    loss = (gt.softplus(x * w) + gt.sin(w) ** 2).sum()
    g = to_jax(graft.function([x, w], loss, mode="JAX"))
    xv = np.array([0.3, -1.2, 2.0])
    wv = np.array([1.5, 0.2, -0.7])
    with jax.enable_x64(True):
        grad = np.asarray(jax.grad(lambda v: g(xv, v)[0])(wv))
        f = jax.jit(lambda v: g(xv, v)[0])
        eps = 1e-6
        fd = [(float(f(wv + eps * e)) - float(f(wv - eps * e))) / (2 * eps) for e in np.eye(3)]
    np.testing.assert_allclose(grad, fd, rtol=1e-6)
    # graft's own symbolic gradient agrees
    (gw,) = gt.grad(loss, [w])
    np.testing.assert_allclose(grad, graft.function([x, w], gw, mode="PY")(xv, wv), rtol=1e-10)


def test_float64_graph_refuses_to_run_in_32_bits():
    x = gt.dvector("x")
    g = to_jax(graft.function([x], x * 2, mode="JAX"))
    with pytest.raises(TypeError, match="enable_x64"):
        g(np.ones(2))


def test_float32_graph_runs_without_x64():
    x = gt.fvector("x")
    g = to_jax(graft.function([x], gt.exp(x), mode="JAX"))
    (out,) = jax.jit(g)(np.ones(2, "float32"))
    assert out.dtype == np.float32
    np.testing.assert_allclose(np.asarray(out), np.exp(np.ones(2, "float32")), rtol=1e-6)


def test_to_jax_rejects_other_objects():
    with pytest.raises(TypeError, match="to_jax"):
        to_jax(lambda v: v)


_SHARDED = textwrap.dedent(
    """
    import numpy as np, jax
    from jax.sharding import Mesh, NamedSharding, PartitionSpec as P
    import graft, graft.tensor as gt
    from graft_backend_jax import to_jax

    assert len(jax.devices()) == 4, jax.devices()
    x, w = gt.dmatrix("x"), gt.dvector("w")
    out = gt.tanh(x @ w) + gt.exp(x).sum(axis=1)
    f = graft.function([x, w], out, mode="JAX")
    g = jax.jit(to_jax(f))
    xv = np.random.default_rng(1).normal(size=(16, 5))
    wv = np.linspace(-1, 1, 5)
    with jax.enable_x64(True):
        mesh = Mesh(np.array(jax.devices()), ("batch",))
        xs = jax.device_put(xv, NamedSharding(mesh, P("batch")))
        (sharded,) = g(xs, wv)
        assert len(sharded.sharding.device_set) == 4, sharded.sharding
        (single,) = g(xv, wv)
    np.testing.assert_allclose(np.asarray(sharded), np.asarray(single), rtol=1e-13)
    np.testing.assert_allclose(np.asarray(single), f(xv, wv), rtol=1e-13)
    print("ok")
    """
)


def test_sharded_over_four_cpu_devices_equals_single_device():
    env = dict(os.environ, XLA_FLAGS="--xla_force_host_platform_device_count=4")
    env["JAX_PLATFORMS"] = "cpu"
    out = subprocess.run(
        [sys.executable, "-c", _SHARDED], env=env, capture_output=True, text=True, timeout=300
    )
    assert out.returncode == 0 and out.stdout.strip().endswith("ok"), out.stderr[-3000:]


def _has_gpu() -> bool:
    try:
        return bool(jax.devices("gpu"))
    except RuntimeError:
        return False


@pytest.mark.skipif(not _has_gpu(), reason="JAX sees no GPU here")
def test_runs_on_the_gpu_when_jax_sees_one():
    x = gt.dmatrix("x")
    f = graft.function([x], (x @ x.T).sum(axis=0), mode="JAX")
    v = np.random.default_rng(0).normal(size=(64, 32))
    np.testing.assert_allclose(f(v), (v @ v.T).sum(axis=0), rtol=1e-10)
    with jax.enable_x64(True):
        (out,) = jax.jit(to_jax(f))(v)
    assert out.devices().pop().platform == "gpu"
