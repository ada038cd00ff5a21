"""Regression tests for Tensor-layer bugs found by code review (torch behaviour as oracle)."""
import numpy as np
import pytest

import contract as ct
from contract.errors import ContractError


# -- 1. clamp promotes like torch and differentiates through tensor bounds -------------
def test_clamp_int_tensor_with_float_bound_promotes_to_float():
    out = ct.tensor([1, 5]).clamp(max=2.5)
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out.numpy(), [1.0, 2.5])


def test_clamp_int_tensor_with_int_bound_stays_int():
    out = ct.tensor([1, 5]).clamp(min=2, max=4)
    assert out.dtype == np.int64
    np.testing.assert_array_equal(out.numpy(), [2, 4])


def test_clamp_tensor_bound_gets_gradient():
    x = ct.tensor([0., 2.], requires_grad=True)
    lo = ct.tensor([1., 1.], requires_grad=True)
    x.clamp(min=lo).sum().backward()
    np.testing.assert_array_equal(lo.grad.numpy(), [1., 0.])
    np.testing.assert_array_equal(x.grad.numpy(), [0., 1.])


def test_clamp_min_above_max_gives_max_and_input_gradient_inside_only():
    x = ct.tensor([-1., 0.5, 3.], requires_grad=True)
    out = x.clamp(min=0., max=1.)
    out.sum().backward()
    np.testing.assert_array_equal(out.detach().numpy(), [0., 0.5, 1.])
    np.testing.assert_array_equal(x.grad.numpy(), [0., 1., 0.])
    np.testing.assert_array_equal(ct.tensor([0., 5.]).clamp(min=3., max=1.).numpy(), [1., 1.])


# -- 2. in-place ops refuse a result dtype that would be truncated ----------------------
def test_inplace_add_float_to_int_tensor_raises():
    t = ct.tensor([1, 2])
    with pytest.raises(ContractError, match="can't be cast"):
        t += 1.5
    np.testing.assert_array_equal(t.numpy(), [1, 2])


def test_inplace_same_kind_updates_are_allowed():
    t = ct.tensor([1., 2.])
    t += ct.tensor([1., 1.], dtype=ct.float64)
    assert t.dtype == np.float32
    np.testing.assert_array_equal(t.numpy(), [2., 3.])
    i = ct.tensor([1, 2])
    i *= 3
    np.testing.assert_array_equal(i.numpy(), [3, 6])


# -- 3. where with two Python scalars ----------------------------------------------------
def test_where_with_two_int_scalars_gives_int64():
    out = ct.where(ct.tensor([True, False]), 1, 0)
    assert out.dtype == np.int64
    np.testing.assert_array_equal(out.numpy(), [1, 0])


def test_where_with_int_and_float_scalars_gives_float32():
    out = ct.where(ct.tensor([True, False]), 1, 0.5)
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out.numpy(), [1., 0.5])


# -- 4. cat / stack promote like torch ---------------------------------------------------
def test_cat_promotes_int_and_float_to_float32():
    out = ct.cat([ct.ones(2), ct.tensor([1, 2])])
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out.numpy(), [1., 1., 1., 2.])


def test_stack_promotes_and_gradient_reaches_float_input():
    a = ct.tensor([1., 2.], requires_grad=True)
    out = ct.stack([ct.tensor([True, False]), a])
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out.detach().numpy(), [[1., 0.], [1., 2.]])
    (out * ct.tensor([[1., 1.], [3., 4.]])).sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), [3., 4.])


# -- 5. a dim named twice is an error, as in torch -------------------------------------
@pytest.mark.parametrize("dims", [(1, 1), [1, -1], (0, 1, 0)])
def test_sum_with_duplicate_dims_raises(dims):
    with pytest.raises(ContractError, match="appears multiple times"):
        ct.ones(2, 3).sum(dims)


def test_sum_with_distinct_dims_still_works():
    np.testing.assert_array_equal(ct.ones(2, 3).sum((1, 0)).numpy(), 6.)
    np.testing.assert_array_equal(ct.ones(2, 3).mean([-1]).numpy(), [1., 1.])


# -- 6. comparing with None falls back to Python's identity rules ------------------------
def test_tensor_equals_none_is_false_and_not_equal_is_true():
    x = ct.tensor([1.])
    assert (x == None) is False     # noqa: E711 (the operator itself is under test)
    assert (x != None) is True      # noqa: E711
    assert x in [None, x]


def test_tensor_order_comparison_with_none_raises_type_error():
    with pytest.raises(TypeError):
        ct.tensor([1.]) < None      # noqa: B015


def test_tensor_equals_number_and_list_still_elementwise():
    np.testing.assert_array_equal((ct.tensor([1., 2.]) == 1).numpy(), [True, False])
    np.testing.assert_array_equal((ct.tensor([1., 2.]) != [1., 3.]).numpy(), [False, True])


# -- 7. NumPy's errors do not leak from neg / pow ----------------------------------------
def test_negating_a_bool_tensor_raises_contract_error():
    with pytest.raises(ContractError, match="bool tensor is not supported"):
        -ct.tensor([True])


@pytest.mark.parametrize("exponent", [-1, ct.tensor([-1])])
def test_int_tensor_to_negative_int_power_raises_contract_error(exponent):
    with pytest.raises(ContractError, match="negative integer powers"):
        ct.tensor([2]) ** exponent


def test_int_tensor_to_negative_float_power_is_float():
    np.testing.assert_allclose((ct.tensor([2]) ** -1.0).numpy(), [0.5])


# -- 8. one as_dtype: torch names work everywhere ----------------------------------------
def test_einsum_accepts_torch_dtype_names():
    out = ct.einsum("i->i", np.ones(2, dtype=np.float32), dtype="torch.float64")
    assert out.dtype == np.float64
    assert ct.einsum("i->", np.ones(3), dtype="long").dtype == np.int64


def test_creation_and_dtypes_share_one_as_dtype():
    from contract import dtypes
    from contract.tensors import creation
    assert creation.as_dtype is dtypes.as_dtype
    assert dtypes.as_dtype("float") == np.float32 and dtypes.as_dtype(float) == np.float64
    with pytest.raises(ContractError, match="not a dtype"):
        ct.einsum("i->i", np.ones(2), dtype="nope")


def test_as_dtype_accepts_a_torch_dtype_object():
    torch = pytest.importorskip("torch")
    from contract.dtypes import as_dtype
    assert as_dtype(torch.float64) == np.float64


# -- 9. in-place ops on non-leaf tensors are recorded, as in torch -----------------------
def test_inplace_add_on_non_leaf_keeps_gradient():
    a = ct.tensor([1., 2.], requires_grad=True)
    b = a * 2
    b += 1
    b.sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), [2., 2.])
    np.testing.assert_array_equal(b.detach().numpy(), [3., 5.])


def test_inplace_mul_on_non_leaf_uses_pre_update_values():
    a = ct.tensor([1., 2.], requires_grad=True)
    b = a * a           # d(b)/da = 2a, saved before the update
    b *= a              # b = a**3
    b.sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), [3., 12.])


def test_inplace_with_grad_requiring_other_makes_target_track():
    w = ct.tensor([1., 1.], requires_grad=True)
    t = ct.tensor([5., 6.])
    t.mul_(w)
    assert t.requires_grad and not t.is_leaf
    t.sum().backward()
    np.testing.assert_array_equal(w.grad.numpy(), [5., 6.])


def test_inplace_on_leaf_requiring_grad_still_raises():
    a = ct.tensor([1., 2.], requires_grad=True)
    with pytest.raises(ContractError, match="leaf"):
        a += 1
    with ct.no_grad():
        a += 1
    np.testing.assert_array_equal(a.detach().numpy(), [2., 3.])
