"""graft.function: compiling, calling, bad input, givens, modes."""

from __future__ import annotations

import subprocess
import sys
import types
import warnings
from pathlib import Path

import numpy as np
import pytest

from graft.compile import (
    FAST_COMPILE,
    FAST_RUN,
    PY,
    Function,
    In,
    Mode,
    Out,
    UnusedInputError,
    function,
    get_mode,
    optdb,
)
from graft.compile.generic import generic
from graft.compile.mode import predefined_modes
from graft.compile.optdb import MissingRewritesWarning
from graft.compile.rebuild import collect_graph
from graft.configparser import change_flags
from graft.graph.basic import Apply, Constant
from graft.graph.op import Op
from graft.graph.rewriting.basic import graph_rewriter
from graft.graph.rewriting.db import RewriteDatabaseQuery
from graft.graph.type import Type
from graft.graph.utils import InconsistencyError, MissingInputError
from graft.link.reference import ReferenceLinker
from graft.scalar import add, exp, float32, float64, int64, log, mul, true_div

SRC = Path(__file__).resolve().parents[2] / "packages" / "core" / "src"


class Boom(Op):
    __props__ = ()

    def make_node(self, *inputs):
        return Apply(self, list(inputs), [inputs[0].type()])

    def perform(self, node, inputs, output_storage):
        raise ValueError("operands could not be broadcast together")


class Positive(Type):
    """Positive Python floats; refuses others with ValueError (not TypeError)."""

    def filter(self, data, strict=False, allow_downcast=None):
        if not isinstance(data, int | float):
            raise TypeError(f"expected a number, got {data!r}")
        if data <= 0:
            raise ValueError(f"{data!r} is not positive")
        return float(data)

    def __str__(self):
        return "positive"


positive = Positive()


class Twice(Op):
    """2 * x for any number-like value (works on `generic` and `positive`)."""

    __props__ = ()

    def make_node(self, x):
        return Apply(self, [x], [x.type()])

    def perform(self, node, inputs, output_storage):
        output_storage[0][0] = inputs[0] * 2


def nodes(fn: Function) -> int:
    return len(fn.maker.fgraph.apply_nodes)


# -- values ---------------------------------------------------------------------


def test_values_match_python():
    x, y = float64("x"), float64("y")
    f = function([x, y], x * y + 1)
    assert isinstance(f, Function)
    out = f(2.0, 3.0)
    assert out == 7.0 and isinstance(out, np.float64)
    g = function([x, y], [log(exp(x) + y), true_div(x, y)])
    res = g(0.5, 2.0)
    assert isinstance(res, list)
    np.testing.assert_allclose(res, [np.log(np.exp(0.5) + 2.0), 0.25])


def test_single_list_tuple_and_no_outputs():
    x = float64("x")
    assert function([x], x + 1)(1.0) == 2.0
    assert function([x], [x + 1])(1.0) == [2.0]
    assert function([x], (x + 1, x * 3))(2.0) == [3.0, 6.0]
    assert function([x], None, on_unused_input="ignore")(1.0) == []
    assert function([], [])() == []


def test_outputs_that_are_inputs_constants_or_duplicates():
    x = float64("x")
    two = Constant(float64, 2.0)
    f = function([x], [x, two, x + two, x + two])
    assert f(1.0) == [1.0, 2.0, 3.0, 3.0]


def test_returned_values_never_alias_inputs_unless_borrowed():
    a = generic("a")
    value = [1, 2]
    copied = function([a], a)(value)
    assert copied == value and copied is not value
    # Aliasing an input needs both sides to borrow (as in PyTensor).
    assert function([a], Out(a, borrow=True))(value) is not value
    assert function([In(a, borrow=True)], a)(value) is not value
    assert function([In(a, borrow=True)], Out(a, borrow=True))(value) is value
    t = Twice()(a)
    both = function([a], [t, t])([1])
    assert both == [[1, 1], [1, 1]] and both[0] is not both[1]


def test_keyword_arguments_and_defaults():
    x, y, z = float64("x"), float64("y"), float64("z")
    f = function([x, In(y, value=10.0), In(z, name="zed", value=100.0)], x + y + z)
    assert f(1.0) == 111.0
    assert f(1.0, 2.0) == 103.0
    assert f(1.0, zed=3.0) == 14.0
    assert f(zed=3.0, x=1.0, y=2.0) == 6.0
    with pytest.raises(TypeError, match=r"unexpected keyword argument 'z'.*'x', 'y', 'zed'"):
        f(1.0, z=3.0)


def test_in_update_keeps_state_between_calls():
    x, acc = float64("x"), float64("acc")
    f = function([x, In(acc, value=0.0, update=acc + x)], acc + x)
    assert f(1.0) == 1.0
    assert f(2.0) == 3.0
    assert f(5.0, acc=0.0) == 5.0  # an explicit value is used for this call...
    assert f(1.0) == 6.0  # ...and the state continues from the update
    with pytest.raises(ValueError, match="needs a value"):
        In(acc, update=acc + x)


def test_default_values_are_filtered_at_compile_time():
    n = int64("n")
    with pytest.raises(
        TypeError, match=r"bad default value for input 0 \('n'\), expected type int64"
    ):
        function([In(n, value=1.5)], n)


# -- bad input at call time -------------------------------------------------------


def test_wrong_number_of_arguments():
    x, y = float64("x"), float64("y")
    f = function([x, y], x * y, name="f")
    with pytest.raises(TypeError, match=r"missing 1 required input\(s\): 'y' \(position 1\)"):
        f(1.0)
    with pytest.raises(TypeError, match=r"missing 2 required input\(s\): 'x' .* 'y'"):
        f()
    with pytest.raises(TypeError, match=r"'f' takes 2 input\(s\) \(x, y\) but 3 .*\(1 extra\)"):
        f(1.0, 2.0, 3.0)
    with pytest.raises(TypeError, match="multiple values for input 'x'"):
        f(1.0, 2.0, x=3.0)


def test_unnamed_and_ambiguous_inputs():
    a, b = float64(), float64("b")
    f = function([a, b], a - b)
    assert f(3.0, b=1.0) == 2.0
    with pytest.raises(TypeError, match=r"missing 1 required input.*position 0"):
        f(b=1.0)
    p, q = float64("p"), float64("p")
    g = function([p, q], p - q)
    assert g(3.0, 1.0) == 2.0
    with pytest.raises(TypeError, match="'p' is shared by several inputs"):
        g(p=1.0, q=2.0)


def test_no_silent_downcast():
    n = int64("n")
    f = function([n], n * 2)
    assert f(3) == 6 and f(3.0) == 6  # an integral float fits
    with pytest.raises(TypeError) as info:
        f(1.5)
    msg = str(info.value)
    assert "input 0 ('n')" in msg and "expected type int64" in msg and "1.5" in msg
    with pytest.raises(TypeError, match="expected type int64"):
        f(np.float64(2.0))  # NumPy values must be safely castable
    assert function([n], n * 2, allow_input_downcast=True)(1.5) == 2  # explicitly allowed


def test_float32_inputs_refuse_float64_values():
    v = float32("v")
    f = function([v], v + 1)
    assert f(0.5) == np.float32(1.5) and f(np.float32(0.5)).dtype == np.float32
    with pytest.raises(TypeError, match=r"input 0 \('v'\), expected type float32"):
        f(np.float64(0.5))
    g = function([In(v, allow_downcast=True)], v + 1)
    assert g(np.float64(0.5)) == np.float32(1.5)


def test_strict_inputs():
    x = float64("x")
    f = function([In(x, strict=True)], x + 1)
    assert f(np.float64(1.0)) == 2.0
    with pytest.raises(TypeError, match="strict"):
        f(1.0)


def test_filter_value_error_keeps_its_type():
    p = positive("p")
    f = function([p], Twice()(p))
    assert f(2) == 4.0
    with pytest.raises(ValueError, match=r"input 0 \('p'\), expected type positive: -1 is not"):
        f(-1)
    with pytest.raises(TypeError, match="expected type positive: expected a number"):
        f("a")


def test_trust_input_skips_checks():
    n = int64("n")
    f = function([n], n * 2, trust_input=True)
    assert f.trust_input
    assert f(np.int64(4)) == 8
    assert f(1.5) == 3.0  # not filtered: the caller is trusted
    f.trust_input = False
    with pytest.raises(TypeError, match="expected type int64"):
        f(1.5)
    f.trust_input = True
    assert f(n=np.int64(2)) == 4  # keywords still resolve


def test_runtime_error_names_op_shapes_dtypes_and_line():
    x = float64("x")
    y = Boom()(x + 1)  # built here
    f = function([x], y)
    with pytest.raises(ValueError) as info:
        f(1.0)
    msg = str(info.value)
    assert "operands could not be broadcast together" in msg
    assert "Op: Boom" in msg and "Input shapes: [()]" in msg and "['float64']" in msg
    assert f"{__file__}" in msg and "y = Boom()(x + 1)  # built here" in msg


# -- bad graphs at compile time --------------------------------------------------------


def test_input_checks():
    x, y = float64("x"), float64("y")
    with pytest.raises(TypeError, match="as a list"):
        function(x, x)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"input 0 \(add\.0\) is computed by add"):
        function([x + y], x)
    with pytest.raises(ValueError, match=r"input 0 .* is a constant"):
        function([Constant(float64, 1.0)], x)
    with pytest.raises(ValueError, match=r"input 'x' is given twice \(positions 0 and 1\)"):
        function([x, x], x)
    with pytest.raises(TypeError, match="input 1 must be a Variable or In"):
        function([x, 3.0], x)  # type: ignore[list-item]
    with pytest.raises(TypeError, match="output must be a Variable or Out"):
        function([x], 3.0)  # type: ignore[arg-type]


def test_missing_input_is_named():
    x, y = float64("x"), float64("y")
    with pytest.raises(
        MissingInputError, match=r"output 1 .*depends on 'y' \(type float64\)"
    ) as info:
        function([x], [x * 2, x + y])
    assert info.value.variable is y


def test_unused_inputs_raise_warn_or_ignore():
    x, y = float64("x"), float64("y")
    with pytest.raises(UnusedInputError, match=r"input 1 \('y'\) is not used"):
        function([x, y], x * 2)
    with pytest.warns(UserWarning, match=r"input 1 \('y'\) is not used") as rec:
        f = function([x, y], x * 2, on_unused_input="warn")
    assert rec[0].filename == __file__
    assert f(1.0, 5.0) == 2.0
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        # Without graft-rewrites-tensor the first FAST_RUN compile may say so; not the point here.
        warnings.simplefilter("ignore", MissingRewritesWarning)
        assert function([x, y], x * 2, on_unused_input="ignore")(1.0, 5.0) == 2.0
        with change_flags(on_unused_input="ignore"):
            assert function([x, y], x * 2)(1.0, 5.0) == 2.0
    with pytest.raises(ValueError, match="on_unused_input must be"):
        function([x, y], x, on_unused_input="maybe")


# -- givens ---------------------------------------------------------------------------


def test_givens_replace_before_compiling():
    x, y, z = float64("x"), float64("y"), float64("z")
    f = function([x], x + y, givens={y: x * 2})
    assert f(3.0) == 9.0
    g = function([x, z], [x * y, y], givens=[(y, z + 1)])
    assert g(2.0, 4.0) == [10.0, 5.0]
    h = function([x], x * y, givens={y: 4.0})  # a value becomes a constant
    assert h(2.0) == 8.0
    # the original graph is untouched
    assert function([x, y], x + y)(1.0, 2.0) == 3.0


def test_givens_type_errors():
    x, y = float64("x"), float64("y")
    n = int64("n")
    with pytest.raises(TypeError, match=r"givens cannot replace 'y' \(type float64\) by n"):
        function([x, n], x + y, givens={y: n})
    with pytest.raises(TypeError, match="givens keys must be Variables"):
        function([x], x, givens={"y": x})
    with pytest.raises(TypeError, match="not a set"):
        function([x], x, givens={(y, x)})
    # with rebuild_strict=False the graph is rebuilt for the new type
    f = function([x, n], [x + y, y], givens={y: n}, rebuild_strict=False)
    assert f(1.0, 2) == [3.0, 2]


# -- modes ----------------------------------------------------------------------------


def test_predefined_modes_compile_and_rewrite():
    x, y = float64("x"), float64("y")
    outs = [x * y + 1, x * y + 1]
    plain = function([x, y], outs, mode=Mode("py", optimizer=None))
    assert nodes(plain) == 4
    for mode in ("FAST_RUN", "FAST_COMPILE", "PY", FAST_RUN, "fast_compile", None):
        f = function([x, y], outs, mode=mode)
        assert f(2.0, 3.0) == [7.0, 7.0]
        assert nodes(f) == 2  # merged
    assert get_mode("FAST_COMPILE") is FAST_COMPILE and FAST_COMPILE.backend == "py"
    assert get_mode("PY") is PY
    assert isinstance(FAST_COMPILE.linker, ReferenceLinker)
    assert FAST_COMPILE.query is not None and FAST_COMPILE.query.include == {"fast_compile"}


def test_fast_run_uses_the_best_backend_or_config_linker():
    from graft.plugins import backends

    assert FAST_RUN.backend == backends().best().name
    with change_flags(linker="py"):
        assert FAST_RUN.backend == "py"
    with change_flags(mode="FAST_COMPILE"):
        assert get_mode(None) is FAST_COMPILE


def test_unknown_mode_lists_known_ones():
    x = float64("x")
    with pytest.raises(ValueError, match=r"unknown mode 'FAST'; known modes: .*FAST_COMPILE.*PY"):
        function([x], x, mode="FAST")
    with pytest.raises(TypeError, match="mode must be"):
        get_mode(3)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="unknown optimizer 'fastest'"):
        Mode("py", "fastest")
    with pytest.raises(TypeError, match="linker"):
        Mode(3)  # type: ignore[arg-type]


def test_including_excluding_requiring():
    x, y = float64("x"), float64("y")
    outs = [x * y, x * y]
    no_merge = FAST_RUN.excluding("merge")
    assert no_merge is not FAST_RUN and "merge" in no_merge.query.exclude
    assert nodes(function([x, y], outs, mode=no_merge)) == 2
    assert nodes(function([x, y], outs, mode=no_merge.including("merge1"))) == 2
    only_merge = Mode("py", "fast_run").requiring("merge")
    assert only_merge.query.require == {"merge"}
    assert nodes(function([x, y], outs, mode=only_merge)) == 1
    assert nodes(function([x, y], outs, mode=Mode("py", None).including("merge"))) == 1
    assert Mode("py", None).excluding("merge").rewriter is not None
    assert Mode("py", None).rewriter is None


def test_mode_with_a_query_or_rewriter_object():
    x, y = float64("x"), float64("y")
    calls = []

    @graph_rewriter
    def spy(fgraph):
        calls.append(len(fgraph.apply_nodes))

    f = function([x, y], [x * y, x * y], mode=Mode(ReferenceLinker, spy))
    assert calls == [2] and nodes(f) == 2
    with pytest.raises(TypeError, match="needs a query-based optimizer"):
        Mode("py", spy).including("merge")
    q = RewriteDatabaseQuery(include=["merge"])
    assert nodes(function([x, y], [x * y, x * y], mode=Mode(ReferenceLinker(), q))) == 1


# A backend registered at run time, the way a plugin would, with rewrite tags.
_fake_module = types.ModuleType("graft_test_fake_backend")


class FakeLinker(ReferenceLinker):
    name = "fake"
    required_rewrite_tags = ("fake_required",)
    excluded_rewrite_tags = ("merge",)


_fake_module.FakeLinker = FakeLinker  # type: ignore[attr-defined]


@pytest.fixture
def fake_backend():
    from graft.plugins import Origin, backends

    sys.modules[_fake_module.__name__] = _fake_module
    view = backends().bind(Origin("fake_plugin", "fake-dist", "1.0"))
    view.register("fake", linker="graft_test_fake_backend:FakeLinker", priority=-5)
    seen: list[int] = []

    @graph_rewriter
    def fake_marker(fgraph):
        seen.append(len(fgraph.apply_nodes))

    optdb.register("test_fake_marker", fake_marker, "fake_required", position=0.25)
    try:
        yield seen
    finally:
        optdb.unregister("test_fake_marker")
        view.rollback()
        predefined_modes.pop("FAKE", None)
        sys.modules.pop(_fake_module.__name__, None)


def test_backend_modes_and_rewrite_tags(fake_backend):
    x, y = float64("x"), float64("y")
    mode = get_mode("FAKE")
    assert mode.name == "FAKE" and mode.backend == "fake"
    import graft.compile.mode as mode_module

    assert mode_module.FAKE is mode  # type: ignore[attr-defined]
    q = mode.query
    assert q is not None and {"fast_run", "fake_required"} <= q.include and "merge" in q.exclude
    f = function([x, y], [x * y, x * y], mode="FAKE")
    assert f(2.0, 3.0) == [6.0, 6.0]
    assert fake_backend == [2] and nodes(f) == 2  # required rewrite ran, merge excluded
    # required rewrites run even without an optimizer
    function([x], x + 1, mode=Mode("fake", optimizer=None))
    assert fake_backend == [2, 1]
    function([x], x + 1, mode="PY")  # other backends do not run it
    assert fake_backend == [2, 1]
    with pytest.raises(ValueError, match=r"known modes: .*FAKE"):
        get_mode("NOPE")


def test_unknown_or_unavailable_backend():
    from graft.plugins import Origin, backends

    x = float64("x")
    with pytest.raises(ValueError, match="unknown backend 'nosuch'"):
        function([x], x, mode=Mode("nosuch"))
    view = backends().bind(Origin("p", "p-dist", "1.0"))
    view.register("offline", linker="x:Y", available="graft_no_such_module_xyz")
    try:
        with pytest.raises(RuntimeError, match=r"backend 'offline' .* is not available"):
            function([x], x, mode=Mode("offline"))
    finally:
        view.rollback()


def test_importing_compile_loads_no_plugin():
    code = (
        "import sys, graft, graft.compile, graft.compile.mode, graft.link\n"
        "import graft.plugins.manager as m\n"
        "assert m._loader is None, 'plugins loaded at import'\n"
        "assert 'pluggy' not in sys.modules and 'importlib.metadata' not in sys.modules\n"
        "from graft.compile import function\n"
        "from graft.scalar import float64\n"
        "x = float64('x')\n"
        "print(function([x], x * 2)(2.0))\n"
    )
    env = {"PYTHONPATH": str(SRC), "PATH": "/usr/bin:/bin"}
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=False
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "4.0"


def test_collect_graph_order_and_long_chains():
    x = float64("x")
    col = collect_graph([x], [x * 2])
    assert [i.variable for i in col.inputs] == [x] and not col.single_output
    e = x
    for _ in range(5000):
        e = add(mul(e, 1.0), 1.0)
    f = function([x], e, mode="FAST_COMPILE")
    assert f(0.0) == 5000.0


# -- in-place Ops ------------------------------------------------------------------


class IncInplace(Op):
    """x += 1, overwriting its input."""

    __props__ = ()
    destroy_map = {0: [0]}

    def make_node(self, x):
        return Apply(self, [x], [x.type()])

    def perform(self, node, inputs, output_storage):
        x = inputs[0]
        x += 1
        output_storage[0][0] = x


def test_inplace_ops_need_accept_inplace_and_mutable_inputs():
    a = generic("a")
    with pytest.raises(TypeError, match=r"in-place Op IncInplace .*accept_inplace=True"):
        function([a], IncInplace()(a))
    with pytest.raises(InconsistencyError, match="would overwrite the input a in place"):
        function([a], IncInplace()(a), accept_inplace=True)
    c = Constant(generic, np.zeros(2))
    with pytest.raises(InconsistencyError, match="would overwrite the constant"):
        function([], IncInplace()(c), accept_inplace=True, mode=Mode("py", None))
    f = function([In(a, mutable=True)], IncInplace()(a), accept_inplace=True)
    arr = np.zeros(2)
    out = f(arr)
    np.testing.assert_array_equal(arr, [1.0, 1.0])  # the caller allowed it
    np.testing.assert_array_equal(out, [1.0, 1.0])
    assert out is not arr  # the output aliases an input: copied unless borrowed


# -- with tensors -------------------------------------------------------------------


def test_tensor_bad_input_and_runtime_errors():
    gt = pytest.importorskip("graft.tensor")
    x, y = gt.dmatrix("x"), gt.dvector("y")
    s = (x + y).sum(axis=0)  # the line the error names
    f = function([x, y], s)
    np.testing.assert_allclose(f(np.ones((2, 3)), np.arange(3.0)), [2.0, 4.0, 6.0])
    with pytest.raises(ValueError) as info:
        f(np.ones((2, 3)), np.arange(4.0))
    msg = str(info.value)
    assert "(2, 3)" in msg and "(1, 4)" in msg and "float64" in msg
    assert "s = (x + y).sum(axis=0)  # the line the error names" in msg
    with pytest.raises(TypeError, match=r"input 0 \('x'\), expected type .*float64.*2-d"):
        f(np.ones(3), np.arange(3.0))
    v = gt.fvector("v")
    g = function([v], v * 2)
    with pytest.raises(TypeError, match=r"input 0 \('v'\), expected type .*float32"):
        g(np.ones(3))
    h = function([v], v * 2, allow_input_downcast=True)
    assert h(np.ones(3)).dtype == np.float32


def test_tensor_views_of_inputs_are_copied_unless_borrowed():
    gt = pytest.importorskip("graft.tensor")
    x = gt.dmatrix("x")
    a = np.ones((2, 3))
    assert not np.shares_memory(function([x], x.T)(a), a)
    assert not np.shares_memory(function([x], Out(x.T, borrow=True))(a), a)
    assert np.shares_memory(function([In(x, borrow=True)], Out(x.T, borrow=True))(a), a)


@pytest.mark.parametrize("downcast", [None, True])
@pytest.mark.parametrize(
    "value", [np.array(["a"]), "abc", np.array([b"a"]), np.array(["1.5"])], ids=repr
)
def test_non_numeric_arguments_name_the_input_and_the_expected_type(value, downcast):
    gt = pytest.importorskip("graft.tensor")
    x = gt.dvector("x")
    f = function([x], x + 1, allow_input_downcast=downcast, name="f")
    with pytest.raises(TypeError) as info:
        f(value)
    msg = str(info.value)
    assert msg.startswith("graft function 'f': bad argument for input 0 ('x')"), msg
    assert "float64" in msg and ("string" in msg or "bytes" in msg), msg
    assert "allow_input_downcast" not in msg  # no hint that would not help
    with pytest.raises(TypeError, match=r"input 0 \('x'\)"):
        f(x=value)


def test_reshape_and_shape_errors_print_plain_integers():
    gt = pytest.importorskip("graft.tensor")
    x = gt.dvector("x")
    n = gt.lscalar("n")
    f = function([x, n], x.reshape((n, np.int64(2))))
    with pytest.raises(ValueError) as info:
        f(np.zeros(3), np.int64(2))
    first, *rest = str(info.value).splitlines()
    assert first.startswith("cannot reshape array of shape (3,) into (2, 2)")
    assert "np.int64" not in first and any("Op: Reshape" in line for line in rest)
    with pytest.raises(ValueError) as info:
        gt.specify_shape(x, (np.int64(3),)).reshape((np.int64(2), np.int64(2)))
    assert "into (2, 2)" in str(info.value) and "np.int64" not in str(info.value)
    from graft.compile import shared

    counter = shared(np.int64(0), name="counter")
    with pytest.raises(TypeError) as info:
        counter.set_value(np.float64(2.5))
    assert "2.5 (float64)" in str(info.value) and "np.float64" not in str(info.value)
