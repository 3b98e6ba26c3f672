"""The plural constructors (``vectors``, ``dmatrices``...) take PyTensor's arguments."""

from __future__ import annotations

import pytest

import graft.tensor as gt

PLURALS = [
    ("scalars", 0, None),
    ("vectors", 1, None),
    ("matrices", 2, None),
    ("tensor3s", 3, None),
    ("dvectors", 1, "float64"),
    ("fmatrices", 2, "float32"),
    ("lscalars", 0, "int64"),
    ("ivectors", 1, "int32"),
]


@pytest.mark.parametrize("name,ndim,dtype", PLURALS)
@pytest.mark.parametrize(
    "args,names",
    [
        (("x", "y"), ["x", "y"]),
        (("xy",), ["x", "y"]),
        (("abc",), ["a", "b", "c"]),
        ((["a", "bb"],), ["a", "bb"]),
        (("x,y,z",), ["x", "y", "z"]),
        (("a", "b", "c", "d"), ["a", "b", "c", "d"]),
    ],
)
def test_names(name, ndim, dtype, args, names):
    made = getattr(gt, name)(*args)
    assert isinstance(made, list)
    assert [v.name for v in made] == names
    assert all(v.type.ndim == ndim for v in made)
    if dtype is not None:
        assert all(v.type.dtype == dtype for v in made)
    assert len({id(v) for v in made}) == len(made)


@pytest.mark.parametrize("name,ndim,dtype", PLURALS)
def test_one_name_gives_one_variable(name, ndim, dtype):
    v = getattr(gt, name)("x")
    assert not isinstance(v, list)
    assert v.name == "x" and v.type.ndim == ndim


@pytest.mark.parametrize("name,ndim,dtype", PLURALS)
def test_count(name, ndim, dtype):
    made = getattr(gt, name)(3)
    assert len(made) == 3 and all(v.name is None and v.type.ndim == ndim for v in made)


def test_untyped_plurals_take_a_dtype():
    x, y = gt.matrices("x", "y", dtype="float32")
    assert x.type.dtype == y.type.dtype == "float32"


@pytest.mark.parametrize("bad", [(1.5,), (None,), ("x", 2), ()])
def test_bad_arguments_raise(bad):
    with pytest.raises(TypeError, match="names"):
        gt.vectors(*bad)
