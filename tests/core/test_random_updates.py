"""Random state across calls: shared rngs and their default updates, `RandomStream`,
reproducible seeds, and Generators that graphs never advance behind the user's back."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

import graft
import graft.tensor as gt
import graft.tensor.random as gr
from graft.compile import Mode

NO_REWRITES = Mode(optimizer=None)
MODES = [NO_REWRITES, "FAST_COMPILE", "FAST_RUN"]


def test_shared_generator_gives_a_shared_rng_variable():
    gen = np.random.default_rng(1)
    rng = graft.shared(gen, name="rng")
    assert isinstance(rng, gr.RandomGeneratorSharedVariable)
    assert isinstance(rng.type, gr.RandomGeneratorType)
    assert rng.default_update is None
    assert rng.get_value() is not gen  # shared() copies
    x = gr.normal(0.0, 1.0, rng=rng)
    assert rng.default_update is x.owner.outputs[0]


@pytest.mark.parametrize("mode", MODES)
def test_fresh_draws_across_calls_in_numpys_stream(mode):
    gen = np.random.default_rng(42)
    state = gen.bit_generator.state
    rng = graft.shared(gen)
    f = graft.function([], gr.normal(1.0, 2.0, size=(3,), rng=rng), mode=mode)
    a, b = f(), f()
    ref = np.random.default_rng(42)
    # The draws continue NumPy's own stream for that seed.
    np.testing.assert_array_equal(a, ref.normal(1.0, 2.0, 3))
    np.testing.assert_array_equal(b, ref.normal(1.0, 2.0, 3))
    assert gen.bit_generator.state == state  # the user's Generator is untouched
    assert rng.get_value().bit_generator.state == ref.bit_generator.state


@pytest.mark.parametrize("mode", MODES)
def test_borrowed_generator_is_not_advanced_in_place(mode):
    gen = np.random.default_rng(7)
    state = gen.bit_generator.state
    rng = graft.shared(gen, borrow=True)
    f = graft.function([], gr.uniform(size=(2,), rng=rng), mode=mode)
    f()
    f()
    assert gen.bit_generator.state == state
    assert rng.get_value(borrow=True) is not gen


@pytest.mark.parametrize("mode", MODES)
def test_same_seed_same_sequence(mode):
    def sequence(seed):
        rng = graft.shared(np.random.default_rng(seed))
        x = gr.gamma(2.0, scale=3.0, size=(4,), rng=rng)
        k = gr.poisson(5.0, size=(4,), rng=x.owner.outputs[0])
        f = graft.function([], [x, k], mode=mode, updates={rng: k.owner.outputs[0]})
        return [v for _ in range(3) for v in f()]

    s1, s2, s3 = sequence(123), sequence(123), sequence(124)
    for a, b in zip(s1, s2):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(s1[0], s3[0])
    # Chained rngs continue one stream: gamma then poisson, as NumPy would draw them.
    ref = np.random.default_rng(123)
    np.testing.assert_array_equal(s1[0], ref.gamma(2.0, 3.0, 4))
    np.testing.assert_array_equal(s1[1], ref.poisson(5.0, 4))
    np.testing.assert_array_equal(s1[2], ref.gamma(2.0, 3.0, 4))


@pytest.mark.parametrize("mode", MODES)
def test_no_default_updates_keeps_the_state(mode):
    rng = graft.shared(np.random.default_rng(0))
    x = gr.normal(size=(3,), rng=rng)
    f = graft.function([], x, mode=mode, no_default_updates=True)
    np.testing.assert_array_equal(f(), f())
    g = graft.function([], x, mode=mode, no_default_updates=[rng])
    np.testing.assert_array_equal(g(), g())
    h = graft.function([], x, mode=mode)
    assert not np.array_equal(h(), h())


def test_set_value_reseeds():
    rng = graft.shared(np.random.default_rng(0))
    f = graft.function([], gr.normal(size=(2,), rng=rng))
    rng.set_value(np.random.default_rng(9))
    a = f()
    rng.set_value(np.random.default_rng(9))
    np.testing.assert_array_equal(a, f())


@pytest.mark.parametrize("mode", MODES)
def test_next_rng_is_an_output(mode):
    gen = np.random.default_rng(3)
    rng = gt.random.random_generator_type("rng")
    next_rng, x = gr.normal(size=(2,), rng=rng, return_list=True)
    f = graft.function([rng], [next_rng, x], mode=mode)
    new, v = f(gen)
    assert isinstance(new, np.random.Generator) and new is not gen
    ref = np.random.default_rng(3)
    np.testing.assert_array_equal(v, ref.normal(size=2))
    assert new.bit_generator.state == ref.bit_generator.state
    assert gen.bit_generator.state == np.random.default_rng(3).bit_generator.state
    with pytest.raises(TypeError, match=r"numpy\.random\.Generator"):
        f(3)


def test_inplace_op_advances_its_rng():
    gen = np.random.default_rng(5)
    rng = gt.random.random_generator_type("rng")
    op = gr.NormalRV(inplace=True)
    assert op.destroy_map == {0: [0]}
    next_rng, x = op(0.0, 1.0, size=(2,), rng=rng, return_list=True)
    f = graft.function(
        [graft.In(rng, mutable=True)], [next_rng, x], mode=NO_REWRITES, accept_inplace=True
    )
    new, v = f(gen)
    ref = np.random.default_rng(5)
    np.testing.assert_array_equal(v, ref.normal(size=2))
    assert new.bit_generator.state == ref.bit_generator.state


# ---------------------------------------------------------------------------
# RandomStream
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
def test_random_stream_fresh_and_reproducible(mode):
    def run(seed):
        srng = gr.RandomStream(seed)
        x = srng.normal(0.0, 1.0, size=(3,))
        y = srng.normal(0.0, 1.0, size=(3,))
        k = srng.categorical([0.2, 0.3, 0.5], size=(20,))
        f = graft.function([], [x, y, k], mode=mode)
        return f(), f()

    (x1, y1, k1), (x2, y2, _) = run(2024)
    assert not np.array_equal(x1, x2)  # fresh across calls
    assert not np.array_equal(x1, y1)  # independent draws
    assert set(np.unique(k1)) <= {0, 1, 2}
    (a1, b1, c1), (a2, _, _) = run(2024)
    np.testing.assert_array_equal(x1, a1)
    np.testing.assert_array_equal(y1, b1)
    np.testing.assert_array_equal(k1, c1)
    np.testing.assert_array_equal(x2, a2)
    (d1, _, _), _ = run(2025)
    assert not np.array_equal(x1, d1)


def test_random_stream_seed_state_updates_and_gen():
    srng = gr.RandomStream(1)
    x = srng.uniform(size=(4,))
    w = srng.dirichlet(np.ones(3))
    y = srng.gen(gr.exponential, 2.0, size=(2,))
    z = srng.gamma(2.0, rate=0.5)  # a function, not an Op
    assert len(srng.state_updates) == 4
    assert srng.updates() == srng.state_updates
    for rng, upd in srng.state_updates:
        assert isinstance(rng, gr.RandomGeneratorSharedVariable)
        assert rng.default_update is upd
    f = graft.function([], [x, w, y, z])
    first = f()
    f()
    srng.seed(1)
    again = f()
    for a, b in zip(first, again):
        np.testing.assert_array_equal(a, b)
    srng.seed(2)
    assert not np.array_equal(f()[0], first[0])


def test_random_stream_with_seed_sequence_and_custom_ctor():
    made = []

    def ctor(seed):
        made.append(seed)
        return np.random.Generator(np.random.MT19937(seed))

    srng = gr.RandomStream(np.random.SeedSequence(5), rng_ctor=ctor)
    x = srng.normal(size=(2,))
    rng = srng.state_updates[0][0]
    assert isinstance(rng.get_value(borrow=True).bit_generator, np.random.MT19937)
    assert len(made) == 1
    assert graft.function([], x)().shape == (2,)


def test_functions_with_random_state_pickle():
    srng = gr.RandomStream(8)
    x = srng.normal(size=(3,))
    f = graft.function([], x, mode=NO_REWRITES)
    f()
    g = pickle.loads(pickle.dumps(f))
    # The copy carries the state at pickling time and advances on its own.
    np.testing.assert_array_equal(f(), g())


@pytest.mark.parametrize(
    "make",
    [
        lambda: np.random.default_rng(3),
        lambda: np.random.Generator(np.random.MT19937(3)),
        lambda: np.random.Generator(np.random.Philox(3)),
        lambda: np.random.Generator(np.random.SFC64(3)),
        lambda: np.random.Generator(np.random.PCG64DXSM(3)),
    ],
)
def test_copy_generator_is_an_independent_exact_copy(make):
    from graft.tensor.random.type import copy_generator

    gen = make()
    gen.normal(size=5)
    gen.spawn(2)
    dup = copy_generator(gen)
    assert dup is not gen and dup.bit_generator is not gen.bit_generator
    assert type(dup.bit_generator) is type(gen.bit_generator)
    # Same stream, same children (the spawn counter is copied, not shared).
    assert dup.spawn(1)[0].random() == gen.spawn(1)[0].random()
    np.testing.assert_array_equal(dup.normal(size=4), gen.normal(size=4))
    dup.random(10)
    assert not gr.random_generator_type.values_eq(dup, gen)


def test_copy_generator_of_a_state_only_generator():
    from graft.tensor.random.type import copy_generator

    bg = np.random.PCG64()
    bg.state = np.random.PCG64(4).state
    gen = np.random.Generator(bg)
    dup = copy_generator(gen)
    assert dup.random() == gen.random()


def test_reachable_without_importing_the_random_package_first():
    import subprocess
    import sys

    code = (
        "import numpy as np, graft, graft.tensor as gt\n"
        "r = graft.shared(np.random.default_rng(1))\n"
        "print(type(r).__name__, gt.random.normal(0, 1, rng=r).owner.op.name)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["RandomGeneratorSharedVariable", "normal"]
