"""``&``, ``|``, ``^`` and ``~`` on integer and bool tensors, as torch has them (masks)."""
import numpy as np
import pytest

import contract as ct

OPS = [lambda a, b: a & b, lambda a, b: a | b, lambda a, b: a ^ b]
CASES = [  # (left, right) as (values, dtype name) or a Python scalar
    (([True, False, True], "bool"), ([True, True, False], "bool")),
    (([3, 5, -6], "int64"), ([1], "int64")),
    (([1, 2], "uint8"), ([4, 7], "int32")),
    (([[True], [False]], "bool"), ([1, 0, 3], "int64")),
    (([3, 5], "int32"), 1),
    (([True, False], "bool"), True),
    (2, ([3, 5], "int16")),
]


def _make(lib, value):
    if isinstance(value, tuple):
        data, dtype = value
        return lib.tensor(data, dtype=getattr(lib, dtype))
    return value


@pytest.mark.parametrize("op", OPS, ids=["and", "or", "xor"])
@pytest.mark.parametrize("left,right", CASES)
def test_bitwise_matches_torch(op, left, right):
    torch = pytest.importorskip("torch")
    ours = op(_make(ct, left), _make(ct, right))
    theirs = op(_make(torch, left), _make(torch, right))
    assert isinstance(ours, ct.Tensor)
    assert str(ours.dtype) == str(theirs.dtype).replace("torch.", "")
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


@pytest.mark.parametrize("dtype", ["bool", "int64", "uint8", "int8"])
def test_invert_matches_torch(dtype):
    torch = pytest.importorskip("torch")
    data = [True, False] if dtype == "bool" else [0, 1, 5, 100]
    ours = ~ct.tensor(data, dtype=getattr(ct, dtype))
    theirs = ~torch.tensor(data, dtype=getattr(torch, dtype))
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    assert str(ours.dtype) == str(theirs.dtype).replace("torch.", "")


def test_masks_combine():
    x = ct.tensor([-2., 0.5, 3., 0.2])
    inside = (x > 0) & (x < 1)
    assert inside.tolist() == [False, True, False, True]
    assert ((x < 0) | (x > 1)).tolist() == [True, False, True, False]
    assert (~inside).tolist() == [True, False, True, False]
    assert (~ct.tensor([1, 2])).tolist() == [-2, -3]        # bitwise on integers, as torch


@pytest.mark.parametrize("make", [
    lambda: ct.tensor([1.]) & ct.tensor([1.]),
    lambda: ct.tensor([1]) | 1.5,
    lambda: ct.tensor([1j]) ^ ct.tensor([1j]),
    lambda: ~ct.tensor([1.5]),
])
def test_float_and_complex_are_refused(make):
    with pytest.raises(ct.ContractError, match="integer and bool"):
        make()


def test_shapes_must_broadcast():
    with pytest.raises(ct.ShapeError, match="not broadcastable"):
        ct.tensor([True, False]) & ct.tensor([True, False, True])


def test_other_operands_fall_back_to_python():
    with pytest.raises(TypeError):
        ct.tensor([1]) & "x"
    assert (ct.tensor([True, True]) & np.array([False, True])).tolist() == [False, True]
    assert (np.array([False, True]) | ct.tensor([True, False])).tolist() == [True, True]
