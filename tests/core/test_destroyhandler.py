"""DestroyHandler: in-place Ops are validated, ordered after their readers, and tracked incrementally."""

from __future__ import annotations

import pickle
import random
import time

import numpy as np
import pytest

import graft.tensor as gt
from graft import scalar
from graft.compile import In, Mode, function
from graft.compile.function_module import ProtectInputs
from graft.compile.generic import generic
from graft.compile.optdb import AddDestroyHandler
from graft.graph.basic import Apply, Constant, Variable, io_toposort
from graft.graph.destroyhandler import DestroyHandler
from graft.graph.features import ReplaceValidate
from graft.graph.fg import FunctionGraph
from graft.graph.op import Op
from graft.graph.utils import InconsistencyError
from graft.tensor.elemwise import Elemwise

# -- tiny ops on NumPy arrays ---------------------------------------------------------


class Pure(Op):
    """``sum(inputs) + bias``, a fresh array."""

    __props__ = ("name", "bias")

    def __init__(self, name: str = "f", bias: float = 0.0) -> None:
        self.name, self.bias = name, bias

    def make_node(self, *inputs):
        return Apply(self, list(inputs), [generic()])

    def perform(self, node, inputs, out):
        out[0][0] = sum(inputs) + self.bias

    def __str__(self) -> str:
        return self.name


class View(Op):
    """A view of its input (``x[...]``)."""

    __props__ = ()
    view_map = {0: [0]}

    def make_node(self, x):
        return Apply(self, [x], [generic()])

    def perform(self, node, inputs, out):
        out[0][0] = inputs[0][...]

    def __str__(self) -> str:
        return "view"


class Inc(Op):
    """``x += 1 + sum(others)`` in place: destroys input 0."""

    __props__ = ("tolerate",)
    destroy_map = {0: [0]}

    def __init__(self, tolerate: bool = False) -> None:
        self.tolerate = tolerate
        self.destroyhandler_tolerate_same = [(0, 1)] if tolerate else []

    def make_node(self, x, *others):
        return Apply(self, [x, *others], [generic()])

    def perform(self, node, inputs, out):
        x = inputs[0]
        x += 1 + sum(inputs[1:])
        out[0][0] = x

    def __str__(self) -> str:
        return "inc!"


f, g, h = Pure("f"), Pure("g", 1.0), Pure("h", 2.0)
view, inc = View(), Inc()


def var(name: str) -> Variable:
    return generic(name)


def make_fg(inputs, outputs, mutable=(), protect=None) -> FunctionGraph:
    fg = FunctionGraph(inputs, outputs, clone=False)
    fg.attach_feature(DestroyHandler(mutable_inputs=mutable))
    fg.attach_feature(ReplaceValidate())
    if protect is not None:
        fg.attach_feature(ProtectInputs(protect))
    return fg


def valid(fg: FunctionGraph) -> bool:
    try:
        fg.validate()
    except InconsistencyError:
        return False
    return True


# -- the rules ----------------------------------------------------------------------


def test_double_destroy_is_rejected():
    x = var("x")
    y = f(x)
    fg = make_fg([x], [g(inc(y), inc(y))])
    with pytest.raises(InconsistencyError, match="destroyed more than once"):
        fg.validate()


def test_double_destroy_through_a_view_is_rejected():
    x = var("x")
    y = f(x)
    fg = make_fg([x], [g(inc(y), inc(view(y)))])
    with pytest.raises(InconsistencyError, match="destroyed more than once"):
        fg.validate()


def test_chained_destroys_are_fine():
    x = var("x")
    y = f(x)
    fg = make_fg([x], [inc(inc(y))])
    fg.validate()


def test_destroying_a_value_needed_later_is_a_cycle():
    x = var("x")
    y = f(x)
    d = inc(y)
    fg = make_fg([x], [g(d, y)])  # g reads y and needs d: it cannot run before inc
    with pytest.raises(InconsistencyError, match="cycle") as e:
        fg.validate()
    assert "inc!" in str(e.value) and "g(" in str(e.value)


def test_cycle_through_two_destroyers():
    # r_a reads a and needs inc(b); r_b reads b and needs inc(a): each reader must
    # run before the other's destroyer, which needs the other reader first.
    x = var("x")
    a, b = f(x), h(x)
    d1, d2 = inc(a), inc(b)
    r_a, r_b = g(a, d2), g(b, d1)
    fg = make_fg([x], [r_a, r_b])
    with pytest.raises(InconsistencyError, match="cycle"):
        fg.validate()
    fg = make_fg([x], [g(a, d2), g(b)])  # without the second dependency it is fine
    fg.validate()


def test_orderings_make_readers_run_first():
    x = var("x")
    y = f(x)
    r = g(y)
    d = inc(y)
    fg = make_fg([x], [h(d, r)])
    fg.validate()
    assert fg.orderings() == {d.owner: [r.owner]}
    order = fg.toposort()
    assert order.index(r.owner) < order.index(d.owner)
    # and the reference backend runs it right: g sees y before inc overwrites it
    fn = function([x], h(d, r), mode=Mode("py", None), accept_inplace=True)
    xv = np.array([1.0, 2.0])
    # y = x; r = y + 1; d = y + 1 (in place); h = d + r + 2
    np.testing.assert_allclose(fn(xv), (xv + 1) + (xv + 1) + 2)
    np.testing.assert_allclose(xv, [1.0, 2.0])


def test_views_are_tracked_transitively():
    x = var("x")
    y = f(x)
    v1 = view(y)
    v2 = view(v1)
    r = g(v2)  # reads a view of a view of y
    d = inc(y)
    fg = make_fg([x], [h(d, r)])
    fg.validate()
    dh = fg.destroy_handler
    assert dh._root(v2) is y and set(dh._alias_class(y)) == {y, v1, v2}
    assert fg.destroyers(v2) == [d.owner]
    assert set(fg.orderings()[d.owner]) == {v1.owner, v2.owner, r.owner}
    # destroying a view: readers of the root run first too
    y = f(x)
    r = g(y)
    d = inc(view(y))
    fg = make_fg([x], [h(d, r)])
    fg.validate()
    assert r.owner in fg.orderings()[d.owner]


def test_view_of_destroyed_value_used_after_is_a_cycle():
    x = var("x")
    y = f(x)
    d = inc(y)
    fg = make_fg([x], [g(d, view(y))])  # view(y) is read by g after inc destroyed y
    # view(y) itself can run before inc, but g needs d and reads the (stale) view
    with pytest.raises(InconsistencyError):
        fg.validate()


def test_inputs_are_protected_unless_mutable():
    x = var("x")
    fg = make_fg([x], [inc(x)])
    with pytest.raises(InconsistencyError, match="overwrite the input 'x'"):
        fg.validate()
    fg = make_fg([x], [inc(x)], mutable=[x])
    fg.validate()
    # through a view
    fg = make_fg([x], [inc(view(x))])
    with pytest.raises(InconsistencyError, match="through a view"):
        fg.validate()


def test_constants_are_protected():
    c = Constant(generic, np.zeros(2))
    x = var("x")
    fg = make_fg([x], [f(x, inc(view(c)))])
    with pytest.raises(InconsistencyError, match="constant"):
        fg.validate()


def test_protect_inputs_decides_and_reports_direct_overwrites():
    x, w = var("x"), var("w")
    # ProtectInputs (what graft.function attaches) says x is protected, w is not
    fg = make_fg([x, w], [inc(x)], protect=[x])
    with pytest.raises(InconsistencyError, match="would overwrite the input x in place"):
        fg.validate()
    fg = make_fg([x, w], [inc(w)], protect=[x])
    fg.validate()
    # ProtectInputs only sees direct overwrites; the handler adds views
    fg = make_fg([x, w], [inc(view(x))], protect=[x])
    with pytest.raises(InconsistencyError, match="through a view"):
        fg.validate()
    fg = make_fg([x, w], [inc(view(w))], protect=[x])
    fg.validate()


def test_protect_inputs_clone_protects_the_clones_inputs():
    x, w = var("x"), var("w")
    fg = FunctionGraph([x, w], [f(x, w)], clone=False)
    fg.attach_feature(ProtectInputs([x]))
    fg2, equiv = fg.clone_get_equiv()
    (prot,) = [ft for ft in fg2._features if isinstance(ft, ProtectInputs)]
    assert prot.protected == {equiv[x]}
    # an in-place op on the clone's x is rejected, on the clone's w accepted
    fg2.replace(fg2.outputs[0], inc(equiv[x]), import_missing=True)
    with pytest.raises(InconsistencyError, match="would overwrite the input x"):
        fg2.execute_callbacks("validate")
    fg3 = fg.clone()
    fg3.replace(fg3.outputs[0], inc(fg3.inputs[1]), import_missing=True)
    fg3.execute_callbacks("validate")


def test_protect_inputs_checks_destroyers_rewired_after_a_passing_check():
    x, w = var("x"), var("w")
    fg = FunctionGraph([x, w], [f(inc(w), w)], clone=False)
    prot = ProtectInputs([x])
    fg.attach_feature(prot)
    fg.execute_callbacks("validate")
    assert not prot.unchecked  # nothing left to look at until the graph changes
    node = fg.outputs[0].owner.inputs[0].owner  # inc(w)
    fg.change_node_input(node, 0, x)
    assert node in prot.unchecked
    with pytest.raises(InconsistencyError, match="would overwrite the input x"):
        fg.execute_callbacks("validate")
    assert node in prot.unchecked  # still to be checked after a failed validation
    fg.change_node_input(node, 0, w)
    fg.execute_callbacks("validate")
    assert not prot.unchecked


def test_function_rejects_overwriting_a_view_of_an_input():
    x = var("x")
    with pytest.raises(InconsistencyError, match="through a view"):
        function([x], inc(view(x)), accept_inplace=True, mode=Mode("py", "fast_run"))


def test_function_may_overwrite_a_view_of_a_mutable_input():
    x = var("x")
    fn = function([In(x, mutable=True)], inc(view(x)), accept_inplace=True)
    xv = np.zeros(2)
    fn(xv)
    np.testing.assert_array_equal(xv, [1.0, 1.0])


def test_destroyed_outputs_are_rejected():
    x = var("x")
    y = f(x)
    fg = make_fg([x], [inc(y), y])
    with pytest.raises(InconsistencyError, match="graph output 1"):
        fg.validate()
    y = f(x)
    fg = make_fg([x], [inc(y), view(y)])
    with pytest.raises(InconsistencyError, match="graph output 1"):
        fg.validate()
    # the destroyer's own output (and views of it) may be outputs
    y = f(x)
    d = inc(y)
    fg = make_fg([x], [d, view(d)])
    fg.validate()


def test_destroyer_reading_its_target_twice():
    x = var("x")
    y = f(x)
    fg = make_fg([x], [inc(y, view(y))])
    with pytest.raises(InconsistencyError, match="also reads it"):
        fg.validate()
    y = f(x)
    fg = make_fg([x], [inc(y, y)])
    with pytest.raises(InconsistencyError, match="also reads it"):
        fg.validate()
    y = f(x)
    fg = make_fg([x], [Inc(tolerate=True)(y, y)])  # the op says x += x is fine
    fg.validate()


def test_attach_detach_and_already_there():
    x = var("x")
    fg = make_fg([x], [inc(f(x))])
    dh = fg.destroy_handler
    fg.attach_feature(DestroyHandler())  # declined
    assert fg.destroy_handler is dh
    AddDestroyHandler().rewrite(fg)
    assert fg.destroy_handler is dh
    fg.remove_feature(dh)
    assert not hasattr(fg, "destroy_handler") and not hasattr(fg, "destroyers")
    assert fg.orderings() == {}
    fg2 = FunctionGraph([x], [inc(f(x))], clone=False)
    AddDestroyHandler().rewrite(fg2)
    assert isinstance(fg2.destroy_handler, DestroyHandler)
    c = fg2.clone()
    assert isinstance(c.destroy_handler, DestroyHandler) and c.destroy_handler is not dh


def test_added_output_in_a_destroyed_class_is_rejected():
    x = var("x")
    y = f(x)
    fg = make_fg([x], [inc(y)])
    fg.validate()
    fg.add_output(view(y))  # no callback for outputs: the handler notices on validate
    with pytest.raises(InconsistencyError, match="graph output 1"):
        fg.validate()


def test_features_given_to_the_constructor_and_pickling():
    x = var("x")
    y = f(x)
    r = g(y)
    features = [DestroyHandler(), ReplaceValidate()]
    fg = FunctionGraph([x], [h(inc(y), r)], features=features, clone=False)
    fg.validate()
    assert list(fg.orderings().values()) == [[r.owner]]
    fg2 = pickle.loads(pickle.dumps(fg))
    fg2.validate()
    (d,) = [n for n in fg2.apply_nodes if n.op.destroy_map]
    assert len(fg2.orderings()[d]) == 1 and fg2.destroyers(d.inputs[0]) == [d]
    assert_matches_fresh(fg2)


# -- incremental updates ------------------------------------------------------------


def test_replace_then_revert_keeps_the_bookkeeping():
    x = var("x")
    y = f(x)
    r = g(y)
    out = h(inc(y), r)
    fg = make_fg([x], [out])
    fg.validate()
    dh = fg.destroy_handler
    # making r depend on the destroyer's result closes a cycle: undone
    with pytest.raises(InconsistencyError):
        fg.replace_validate(r, g(y, out.owner.inputs[0]))
    assert r.owner in fg.apply_nodes
    assert_matches_fresh(fg)
    # a harmless replacement goes through
    fg.replace_validate(r, h(y))
    assert_matches_fresh(fg)
    assert dh.stats["cycles"] >= 1


def test_replacing_the_destroyed_value_moves_the_destroyer():
    x = var("x")
    y, z = f(x), g(x)
    d = inc(y)
    fg = make_fg([x], [h(d, z)])
    fg.validate()
    # inc would destroy z, which h also reads while needing inc's result
    with pytest.raises(InconsistencyError, match="cycle"):
        fg.replace_validate(y, z)
    assert d.owner.inputs[0] is y
    assert_matches_fresh(fg)
    z2 = g(x)
    fg2 = make_fg([x], [h(d, z2), Pure("k")(z2)])
    fg2.replace_validate(y, Pure("k")(z2))  # a fresh value: fine
    assert fg2.destroyers(d.owner.inputs[0]) == [d.owner]
    assert_matches_fresh(fg2)


def test_rerooting_a_view():
    x = var("x")
    a, b = f(x), g(x)
    v = view(a)
    d = inc(b)
    r = h(v)
    fg = make_fg([x], [Pure("k")(d, r)])
    fg.validate()
    assert fg.orderings() == {}  # nobody else reads b
    fg.change_node_input(v.owner, 0, b)  # v now views b: r reads b's class
    fg.validate()
    assert set(fg.orderings()[d.owner]) == {v.owner, r.owner}
    assert_matches_fresh(fg)
    # a view moved into the destroyed class, read by a node that needs the destroyer
    a, b = f(x), g(x)
    d = inc(a)
    v = view(b)
    fg = make_fg([x], [h(v, d)])
    fg.validate()
    with pytest.raises(InconsistencyError, match="cycle"):
        fg.replace_validate(b, a)
    assert v.owner.inputs[0] is b
    assert_matches_fresh(fg)


def test_prune_forgets_destroyers():
    x = var("x")
    y = f(x)
    fg = make_fg([x], [g(inc(y), g(y))])
    fg.validate()
    dh = fg.destroy_handler
    fg.replace_validate(fg.outputs[0], g(y))  # inc(y) leaves the graph
    assert dh.destroyed == {} and dh.root_destroyers == {}
    assert fg.orderings() == {}
    assert_matches_fresh(fg)


def fresh_state(fg: FunctionGraph) -> tuple:
    dh = DestroyHandler()
    dh.fgraph = fg
    dh._reset()
    for node in io_toposort(fg.inputs, fg.outputs):
        dh.on_import(fg, node, "test")
    return state_of(dh)


def state_of(dh: DestroyHandler) -> tuple:
    return (
        dict(dh.view_of),
        {k: set(v) for k, v in dh.views.items() if v},
        dict(dh.root),
        {k: dict(v) for k, v in dh.root_destroyers.items()},
        {k: dict(v) for k, v in dh.destroyed.items()},
    )


def assert_labels_valid(fg: FunctionGraph) -> None:
    dh = fg.destroy_handler
    assert set(dh.level) == fg.apply_nodes
    for node in fg.apply_nodes:
        for inp in node.inputs:
            if inp.owner is not None:
                assert dh.level[inp.owner] < dh.level[node], (inp.owner, node)
    for d, readers in dh.orderings(fg).items():
        for r in readers:
            assert dh.level[r] < dh.level[d], (r, d)


def assert_matches_fresh(fg: FunctionGraph) -> None:
    assert state_of(fg.destroy_handler) == fresh_state(fg)
    fg.check_integrity()


# -- against a brute-force checker, on random edit sequences ------------------------


def brute_valid(fg: FunctionGraph, mutable: set) -> bool:
    """Rules (a)-(e) recomputed from scratch, cycles by a full topological sort."""

    def root(v):
        while v.owner is not None and v.owner.op.view_map:
            (src,) = [v.owner.inputs[i[0]] for o, i in v.owner.op.view_map.items() if o == v.index]
            v = src
        return v

    classes: dict = {}
    for v in fg.variables:
        classes.setdefault(root(v), []).append(v)
    dest: dict = {}
    for node in fg.apply_nodes:
        for idxs in node.op.destroy_map.values():
            for i in idxs:
                dest.setdefault(root(node.inputs[i]), []).append((node, i))
    ords: dict = {}
    for r, ds in dest.items():
        if len(ds) > 1:
            return False
        (node, i) = ds[0]
        if isinstance(r, Constant) or (r.owner is None and r not in mutable):
            return False
        for v in classes[r]:
            for c, j in fg.clients[v]:
                if c == "output":
                    return False
                if c is node:
                    if j != i:
                        return False
                else:
                    ords.setdefault(node, []).append(c)
    try:
        io_toposort(fg.inputs, fg.outputs, ords)
    except ValueError:
        return False
    return True


@pytest.mark.parametrize("seed", range(12))
def test_random_edits_agree_with_brute_force(seed):
    rng = random.Random(seed)
    xs = [var(f"x{i}") for i in range(3)]
    mutable = {xs[0]}
    pool = list(xs)
    for _ in range(25):
        k = rng.random()
        args = rng.sample(pool, min(len(pool), rng.randint(1, 2)))
        if k < 0.2:
            v = view(args[0])
        else:
            v = Pure(rng.choice("fgh"))(*args)
        pool.append(v)
    outs = rng.sample(pool[3:], 3)
    fg = make_fg(xs, outs, mutable=mutable)
    dh = fg.destroy_handler
    accepted = rejected = 0
    for _step in range(60):
        chk = fg.checkpoint()
        # one to three edits, then one validation (several pending changes at once)
        for _ in range(rng.choice((1, 1, 2, 3))):
            random_edit(rng, fg)
        expect = brute_valid(fg, mutable)
        got = valid(fg)
        assert got == expect, (seed, _step, fg)
        if got:
            accepted += 1
            assert_labels_valid(fg)
        else:
            rejected += 1
            fg.revert(chk)
            assert valid(fg)
        assert_matches_fresh(fg)
    assert accepted > 0
    assert dh.stats["validate"] > 0
    RANDOM_TOTALS[0] += accepted
    RANDOM_TOTALS[1] += rejected


RANDOM_TOTALS = [0, 0]


def test_random_edits_exercised_both_outcomes():
    # runs after the parametrized test above (file order)
    assert RANDOM_TOTALS[0] > 0 and RANDOM_TOTALS[1] > 0


def random_edit(rng: random.Random, fg: FunctionGraph) -> None:
    node = rng.choice(sorted(fg.apply_nodes, key=str))
    if rng.random() < 0.5 and not node.op.destroy_map:
        # make it destroy its first input, as an in-place rewrite would
        new = Inc()(*node.inputs).owner
        for o, n in zip(node.outputs, new.outputs):
            fg.replace(o, n)
    else:
        # point one input at another variable that does not depend on the node
        i = rng.randrange(len(node.inputs))
        desc = set(_descendants(fg, node))
        choices = [v for v in fg.variables if v.owner not in desc and v.owner is not node]
        fg.change_node_input(node, i, rng.choice(sorted(choices, key=str)))


def _descendants(fg: FunctionGraph, node: Apply) -> list[Apply]:
    out, stack, seen = [], [node], {node}
    while stack:
        n = stack.pop()
        out.append(n)
        for o in n.outputs:
            for c, _ in fg.clients.get(o, ()):
                if c != "output" and c not in seen:
                    seen.add(c)
                    stack.append(c)
    return out


# -- tensor Elemwise in-place ops ------------------------------------------------------


def test_tensor_elemwise_inplace_validation_and_values():
    x = gt.dvector("x")
    y = gt.exp(x)
    log_ip = Elemwise(scalar.log, {0: 0})
    z = log_ip(y)
    w = y * 2.0
    fg = make_fg([x], [z, w])
    fg.validate()
    assert fg.orderings()[z.owner] == [w.owner]
    fn = function([x], [z, w], accept_inplace=True, mode=Mode("py", None))
    xv = np.array([0.5, 1.0])
    zv, wv = fn(xv)
    np.testing.assert_allclose(zv, xv)
    np.testing.assert_allclose(wv, 2 * np.exp(xv))
    np.testing.assert_array_equal(xv, [0.5, 1.0])
    # the destroyed value as an output: rejected, graph unchanged
    with pytest.raises(InconsistencyError, match="graph output 1"):
        fg.replace_validate(fg.outputs[1], y)
    assert fg.outputs[1] is w
    # an in-place op on the user's input: rejected by ProtectInputs
    with pytest.raises(InconsistencyError, match="overwrite the input x"):
        function([x], log_ip(x), accept_inplace=True)


def test_can_destroy_agrees_with_validate():
    x = gt.dvector("x")
    y = gt.exp(x)
    a = gt.log(y)  # may overwrite y only after b has read it
    b = gt.sin(y)
    c = gt.cos(a + y)  # reads y after a: a cannot overwrite y
    fg = make_fg([x], [b, c])
    dh = fg.destroy_handler
    assert not dh.can_destroy(y.owner, 0)  # y's input is the protected x
    assert "protected" in dh.destroy_obstacle(y.owner, [0])
    assert not dh.can_destroy(a.owner, 0)
    assert "depends on" in dh.destroy_obstacle(a.owner, [0])
    assert dh.can_destroy(b.owner, 0)
    for node, expect in ((a.owner, False), (b.owner, True)):
        new = Elemwise(node.op.scalar_op, {0: 0})(*node.inputs)
        try:
            fg.replace_all_validate([(node.outputs[0], new)])
            ok = True
        except InconsistencyError:
            ok = False
        assert ok is expect
    assert not dh.can_destroy(c.owner.inputs[0].owner, 1)  # b destroys y now
    assert "already destroyed" in dh.destroy_obstacle(c.owner.inputs[0].owner, [1])


def test_validation_is_incremental_on_long_chains():
    # 2000 in-place replacements on a chain with a reader beside each value:
    # linear work overall (a full recheck per step would be quadratic).
    x = gt.dvector("x")
    v = gt.exp(x)
    outs = []
    n = 2000
    for _ in range(n):
        nxt = gt.exp(v)
        outs.append(gt.sum(v))  # another reader of v, at the same depth
        v = nxt
    fg = make_fg([x], [v, *outs])
    dh = fg.destroy_handler
    t0 = time.perf_counter()
    done = 0
    for node in list(fg.toposort()):
        if isinstance(node.op, Elemwise) and node.inputs[0] is not x:
            if dh.can_destroy(node, 0):
                new = Elemwise(node.op.scalar_op, {0: 0})(*node.inputs)
                fg.replace_all_validate([(node.outputs[0], new)])
                done += 1
    elapsed = time.perf_counter() - t0
    assert done == n
    assert dh.stats["raised"] < 20 * n  # levels move locally, not along the chain
    assert_labels_valid(fg)
    assert elapsed < 20.0
