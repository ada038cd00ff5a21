"""Dtype promotion of Tensor ops follows torch's rules where they differ from NumPy's.

Within a category the dimensioned operands decide and a 0-d tensor or a Python scalar does not
widen them; a higher category wins outright; complex keeps the float's precision.  Each test
pins one behaviour where contract disagreed with torch's documented one; the expected values
are NumPy (float64) results or known constants, never torch itself.
"""
import numpy as np
import pytest

import contract as ct


# -- dtype promotion ----------------------------------------------------------------
@pytest.mark.parametrize("da, db, expected", [
    (ct.float64, ct.complex64, np.complex128),     # the float's precision is kept
    (ct.complex64, ct.float64, np.complex128),
    (ct.float32, ct.complex64, np.complex64),
    (ct.float16, ct.complex64, np.complex64),
    (ct.int64, ct.complex64, np.complex64),        # NumPy would say complex128
    (ct.int32, ct.float16, np.float16),            # NumPy would say float64
])
def test_promotion_between_dimensioned_tensors(da, db, expected):
    a, b = ct.ones(3, dtype=da), ct.ones(3, dtype=db)
    assert (a + b).dtype == expected
    assert (a * b).dtype == expected


@pytest.mark.parametrize("dim_dtype, zero_dtype, expected", [
    (ct.float32, ct.complex128, np.complex64),     # torch: toComplexType(float32)
    (ct.float64, ct.complex64, np.complex128),
    (ct.int32, ct.float64, np.float64),            # a higher category wins outright
    (ct.int8, ct.int64, np.int8),                  # same category: the 0-d one does not widen
    (ct.float16, ct.float64, np.float16),
    (ct.bool, ct.int64, np.int64),
])
def test_promotion_with_a_zero_dim_tensor(dim_dtype, zero_dtype, expected):
    a, z = ct.ones(3, dtype=dim_dtype), ct.ones((), dtype=zero_dtype)
    assert (a + z).dtype == expected
    assert (z * a).dtype == expected


def test_int_scalar_out_of_range_for_a_narrow_dtype_wraps_like_torch():
    x = ct.tensor([0, 5, 200], dtype=ct.uint8)
    out = x + (-3)
    assert out.dtype == np.uint8
    np.testing.assert_array_equal(out.numpy(), (np.array([0, 5, 200]) - 3) % 256)
    np.testing.assert_array_equal((x * -3).numpy(), (np.array([0, 5, 200]) * -3) % 256)
    np.testing.assert_allclose((x / -3).numpy(), np.array([0, 5, 200]) / -3, rtol=1e-6)
    with pytest.raises(ct.ContractError):
        x + 2 ** 70                                 # beyond int64: an error, not OverflowError


@pytest.mark.parametrize("a_dtype, b_dtype, expected", [
    (ct.int64, ct.float32, np.float32), (ct.float32, ct.int64, np.float32),
    (ct.float32, ct.float64, np.float64)])
def test_outer_dot_tensordot_promote_like_torch(a_dtype, b_dtype, expected):
    a = ct.tensor([1, 2], dtype=a_dtype)
    b = ct.tensor([3, 4], dtype=b_dtype)
    assert ct.outer(a, b).dtype == expected
    np.testing.assert_allclose(ct.outer(a, b).numpy(), [[3, 4], [6, 8]])
    assert ct.dot(a, b).dtype == expected
    assert ct.dot(a, b).item() == 11
    assert ct.tensordot(a, b, dims=1).dtype == expected


# -- Python scalars and 0-d tensors --------------------------------------------------------
def test_scalar_promotion_follows_torch():
    assert (ct.tensor([1, 2]) * 1.5).dtype == ct.float32
    assert (ct.tensor([1, 2]) / ct.tensor([2, 2])).dtype == ct.float32
    assert (ct.tensor([1.0]) * 2).dtype == ct.float32
    assert (ct.tensor([1, 2]) + 1).dtype == ct.int64
    assert (ct.ones(2) + ct.ones(2, dtype=ct.float64)).dtype == ct.float64


def test_zero_dim_tensors_do_not_widen_within_a_category():
    assert (ct.ones(3) * ct.tensor(2.0, dtype=ct.float64)).dtype == ct.float32
    assert (ct.ones(3, dtype=ct.int32) * ct.ones(3, dtype=ct.int32)).dtype == ct.int32
    assert (ct.ones(3, dtype=ct.int32) + ct.tensor(5)).dtype == ct.int32
    assert (ct.ones(3, dtype=ct.int32) * 2.5).dtype == ct.float32


# -- clamp promotes like torch -------------------------------------------------------------
def test_clamp_int_tensor_with_float_bound_promotes_to_float():
    out = ct.tensor([1, 5]).clamp(max=2.5)
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out.numpy(), [1.0, 2.5])


def test_clamp_int_tensor_with_int_bound_stays_int():
    out = ct.tensor([1, 5]).clamp(min=2, max=4)
    assert out.dtype == np.int64
    np.testing.assert_array_equal(out.numpy(), [2, 4])


# -- where with two Python scalars ---------------------------------------------------------
def test_where_with_two_int_scalars_gives_int64():
    out = ct.where(ct.tensor([True, False]), 1, 0)
    assert out.dtype == np.int64
    np.testing.assert_array_equal(out.numpy(), [1, 0])


def test_where_with_int_and_float_scalars_gives_float32():
    out = ct.where(ct.tensor([True, False]), 1, 0.5)
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out.numpy(), [1., 0.5])


# -- cat / stack promote like torch --------------------------------------------------------
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
