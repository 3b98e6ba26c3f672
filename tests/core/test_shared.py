"""Shared variables, updates and default updates."""

from __future__ import annotations

import numpy as np
import pytest

from graft.compile import SharedVariable, function, shared, shared_constructor
from graft.compile.generic import GenericType, generic
from graft.compile.sharedvalue import Container, copy_value
from graft.graph.basic import Apply
from graft.graph.op import Op
from graft.scalar import add, float64, int64, mul


class Append(Op):
    """A new list: the input list plus one item (works on `generic` values)."""

    __props__ = ()

    def make_node(self, xs, item):
        return Apply(self, [xs, item], [generic()])

    def perform(self, node, inputs, output_storage):
        output_storage[0][0] = [*inputs[0], inputs[1]]


def counter(value=0, name="count"):
    return SharedVariable(int64, value, name=name)


def test_counter_incremented_per_call():
    count = counter()
    tick = function([], count, updates={count: add(count, 1)})
    assert [tick(), tick(), tick()] == [0, 1, 2]
    assert count.get_value() == 3
    assert isinstance(count.get_value(), np.int64)


def test_updates_see_the_inputs_and_are_written_after_the_call():
    total = SharedVariable(float64, 0.0, name="total")
    x = float64("x")
    acc = function([x], [total, add(total, x)], updates=[(total, add(total, x))])
    assert acc(2.0) == [0.0, 2.0]
    assert acc(3.0) == [2.0, 5.0]
    assert total.get_value() == 5.0


def test_shared_variables_are_implicit_inputs_and_follow_set_value():
    w = SharedVariable(float64, 2.0, name="w")
    x = float64("x")
    f = function([x], mul(w, x))
    assert f.get_shared() == [w]
    assert len(f.maker.inputs) == 2 and f.maker.inputs[1].implicit
    assert f(3.0) == 6.0
    w.set_value(10.0)
    assert f(3.0) == 30.0


def test_two_functions_share_the_state():
    count = counter()
    inc = function([], [], updates={count: add(count, 1)})
    read = function([], count)
    inc()
    inc()
    assert read() == 2


def test_swapping_updates_use_old_values():
    a = SharedVariable(float64, 1.0, name="a")
    b = SharedVariable(float64, 2.0, name="b")
    swap = function([], [], updates={a: b, b: a})
    swap()
    assert (a.get_value(), b.get_value()) == (2.0, 1.0)


def test_update_errors_name_the_variable():
    count = counter()
    x = float64("x")
    with pytest.raises(
        TypeError, match=r"update of 'count' has type float64.*'count' has type int64"
    ):
        function([x], x, updates={count: mul(count, x)})
    with pytest.raises(TypeError, match="updates keys must be shared variables"):
        function([x], x, updates={x: x})
    with pytest.raises(ValueError, match="'count' is updated twice"):
        function([], [], updates=[(count, add(count, 1)), (count, add(count, 2))])
    with pytest.raises(TypeError, match="shared variables are fed from their stored value"):
        function([count], count)
    # a constant value is a fine update
    reset = function([], [], updates={count: 7})
    reset()
    assert count.get_value() == 7


def test_default_update_is_honoured_unless_disabled():
    count = counter()
    count.default_update = add(count, 1)
    read = function([], count)
    assert [read(), read()] == [0, 1]
    assert count.get_value() == 2
    frozen = function([], count, no_default_updates=True)
    assert [frozen(), frozen()] == [2, 2]
    frozen2 = function([], count, no_default_updates=[count])
    assert frozen2() == 2
    # an explicit update wins over the default one
    double = function([], count, updates={count: mul(count, 2)})
    assert double() == 2 and count.get_value() == 4


def test_default_updates_reaching_other_shared_variables():
    step = counter(1, "step")
    pos = counter(0, "pos")
    pos.default_update = add(pos, step)
    step.default_update = add(step, 1)
    move = function([], pos)  # pos's update reads step, whose default update also runs
    assert [move(), move(), move()] == [0, 1, 3]
    assert step.get_value() == 4


def test_givens_apply_to_updates():
    count = counter()
    n = int64("n")
    f = function([n], [], updates={count: add(count, 1)}, givens={count: n})
    f(10)
    assert count.get_value() == 11


def test_get_and_set_value_copy_unless_borrowed():
    data = [1, 2]
    s = shared(data, name="xs")
    assert s.type is generic and s.name == "xs"
    assert s.get_value() == [1, 2] and s.get_value() is not data  # shared() copied it
    data.append(3)
    assert s.get_value() == [1, 2]
    inner = s.get_value(borrow=True)
    assert inner is s.get_value(borrow=True) and s.get_value() is not inner
    new = [9]
    s.set_value(new)
    new.append(10)
    assert s.get_value() == [9]
    s.set_value(new, borrow=True)
    assert s.get_value(borrow=True) is new
    arr = np.arange(3.0)
    sa = shared(arr, borrow=True)
    assert sa.get_value(borrow=True) is arr and sa.get_value() is not arr


def test_set_value_is_filtered_and_names_the_variable():
    count = counter()
    count.set_value(5)
    assert count.get_value() == 5 and isinstance(count.get_value(), np.int64)
    with pytest.raises(TypeError, match=r"shared variable 'count' of type int64.*not an integer"):
        count.set_value(1.5)
    assert count.get_value() == 5
    strict = SharedVariable(float64, np.float64(1.0), strict=True, name="s")
    with pytest.raises(TypeError, match="shared variable 's'"):
        strict.set_value(2.0)


def test_generic_shared_values_in_graphs():
    log = shared([], name="log")
    x = generic("x")
    push = function([x], log, updates={log: Append()(log, x)})
    assert push("a") == []
    assert push("b") == ["a"]
    assert log.get_value() == ["a", "b"]


def test_returned_shared_values_are_copies():
    log = shared([1], name="log")
    f = function([], log)
    out = f()
    out.append(2)
    assert log.get_value() == [1]


def test_constructors_newest_first_and_removal():
    calls = []

    @shared_constructor
    def int_ctor(value, name=None, strict=False, allow_downcast=None, **kwargs):
        calls.append("int")
        if not isinstance(value, int | np.integer) or kwargs:
            raise TypeError("not an int")
        return SharedVariable(int64, value, strict, allow_downcast, name=name)

    @shared_constructor
    def float_ctor(value, name=None, strict=False, allow_downcast=None, **kwargs):
        calls.append("float")
        if not isinstance(value, float):
            raise TypeError("not a float")
        return SharedVariable(float64, value, strict, allow_downcast, name=name)

    try:
        assert shared(3).type == int64 and calls == ["float", "int"]
        assert shared(2.5, name="h").type == float64
        assert shared("text").type is generic
        with pytest.raises(
            TypeError, match=r"no shared variable constructor accepts 'text'.*shape"
        ):
            shared("text", shape=(2,))
    finally:
        shared_constructor(int_ctor, remove=True)
        shared_constructor(float_ctor, remove=True)
    assert shared(3).type != int64  # removed (a tensor constructor may take it now)
    with pytest.raises(TypeError, match="takes a value, not a graph Variable"):
        shared(int64("v"))


def test_shared_variable_details():
    c = Container(int64, 3, name="c")
    c.value = 4
    assert c.storage == [4] and "Container c int64" in repr(c)
    v = SharedVariable(int64, 0, container=c, name="v")
    assert v.get_value() == 4 and v.value == 4
    with pytest.raises(TypeError, match="container type"):
        SharedVariable(float64, 0, container=c)
    clone = v.clone()
    assert clone.container is v.container and clone is not v
    assert str(v) == "v" and str(SharedVariable(generic, None)) == "<shared generic>"
    assert GenericType() == generic and generic.is_valid_value(object())
    assert copy_value(np.float64(1.0)) == 1.0
    arr = np.zeros(2)
    assert copy_value(arr) is not arr
