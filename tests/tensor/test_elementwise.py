"""Elementwise Tensor ops against NumPy and torch's documented behaviour (float64 oracles):
maps, clamp, maximum / minimum, comparisons with None, powers, add / sub with alpha, rounding
division."""
import numpy as np
import pytest

import contract as ct
from contract.testing import gradcheck

RNG = np.random.default_rng(7)


# -- maps ----------------------------------------------------------------------------------
def test_elementwise_maps_match_numpy():
    data = np.array([-2.0, -0.5, 0.0, 0.5, 3.0])
    x = ct.tensor(data)
    np.testing.assert_allclose(x.relu().numpy(), np.maximum(data, 0))
    np.testing.assert_allclose(x.sigmoid().numpy(), 1 / (1 + np.exp(-data)), rtol=1e-6)
    np.testing.assert_allclose(x.tanh().numpy(), np.tanh(data), rtol=1e-6)
    np.testing.assert_allclose(x.clamp(-1, 1).numpy(), np.clip(data, -1, 1))
    np.testing.assert_allclose(x.abs().exp().log().numpy(), np.abs(data), atol=1e-6)
    np.testing.assert_allclose((x ** 2).sqrt().numpy(), np.abs(data), rtol=1e-6)
    np.testing.assert_allclose(ct.where(x > 0, x, 0.0).numpy(), np.where(data > 0, data, 0))
    np.testing.assert_allclose(ct.addcmul(x, x, x, value=0.5).numpy(), data + 0.5 * data * data)


# -- clamp differentiates through tensor bounds --------------------------------------------
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


# -- ct.max(a, b) / ct.min(a, b), ct.maximum / ct.minimum ----------------------------------
@pytest.mark.parametrize("name, numpy_fn", [("maximum", np.maximum), ("minimum", np.minimum)])
def test_maximum_minimum_values_broadcast_and_nan(name, numpy_fn):
    x, y = np.array([[1., 5., np.nan]]), np.array([[3.], [2.]])
    expected = numpy_fn(x, y)
    for out in (getattr(ct, name)(ct.tensor(x), ct.tensor(y)),
                getattr(ct.tensor(x), name)(ct.tensor(y)),
                getattr(ct, name[:3])(ct.tensor(x), ct.tensor(y)),
                getattr(ct.tensor(x), name[:3])(ct.tensor(y))):
        assert isinstance(out, ct.Tensor) and out.shape == (2, 3)
        np.testing.assert_array_equal(out.numpy(), expected)


def test_max_with_tensor_other_keyword_and_promotion():
    out = ct.max(ct.tensor([1, 2], dtype=ct.int32), other=ct.tensor([1.5, 1.]))
    assert out.dtype == ct.float32
    np.testing.assert_array_equal(out.numpy(), np.array([1.5, 2.], np.float32))


@pytest.mark.parametrize("name", ["maximum", "minimum"])
def test_maximum_minimum_gradcheck_away_from_ties(name):
    x = ct.tensor(RNG.normal(size=(3, 4)), requires_grad=True)
    y = ct.tensor(RNG.normal(size=(4,)), requires_grad=True)
    assert gradcheck(getattr(ct, name), (x, y))


@pytest.mark.parametrize("name", ["max", "min"])
def test_max_min_pair_ties_split_the_gradient(name):
    x = ct.tensor([2., 1., 3.], requires_grad=True)
    y = ct.tensor([2., 2., 2.], requires_grad=True)
    getattr(ct, name)(x, y).sum().backward()
    expected_x = np.array([0.5, 0., 1.]) if name == "max" else np.array([0.5, 1., 0.])
    np.testing.assert_array_equal(x.grad.numpy(), expected_x)
    np.testing.assert_array_equal(y.grad.numpy(), 1.0 - expected_x)


# -- comparing with None falls back to Python's identity rules -----------------------------
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


# -- NumPy's errors do not leak from neg / pow ---------------------------------------------
def test_negating_a_bool_tensor_raises_contract_error():
    with pytest.raises(ct.ContractError, match="bool tensor is not supported"):
        -ct.tensor([True])


@pytest.mark.parametrize("dtype", [ct.uint8, ct.int64])
@pytest.mark.parametrize("exponent", [-1, -3, ct.tensor([-1])])
def test_int_tensor_to_negative_int_power_raises_contract_error(dtype, exponent):
    with pytest.raises(ct.ContractError, match="negative integer powers"):
        ct.tensor([1, 2], dtype=dtype) ** exponent


def test_int_tensor_to_negative_float_power_is_float():
    np.testing.assert_allclose((ct.tensor([2]) ** -1.0).numpy(), [0.5])


# -- add / sub with alpha ------------------------------------------------------------------
def test_add_sub_alpha_with_a_scalar_other():
    x = ct.tensor([1., 2.])
    np.testing.assert_array_equal(ct.sub(x, 1, alpha=2).numpy(), [-1., 0.])
    np.testing.assert_array_equal(ct.add(x, 1, alpha=3).numpy(), [4., 5.])
    np.testing.assert_array_equal(x.sub(ct.tensor([1., 1.]), alpha=3).numpy(), [-2., -1.])


# -- rounding division --------------------------------------------------------------
A_INT, B_INT = np.array([-7, 7, 3, -3, 0]), np.array([2, -2, 3, 5, -4])


def test_floor_divide_and_remainder_integers_follow_python():
    a, b = ct.tensor(A_INT), ct.tensor(B_INT)
    for out, ref in [(a // b, A_INT // B_INT), (a % b, A_INT % B_INT),
                     (a // 2, A_INT // 2), (a % 3, A_INT % 3), (7 // b, 7 // B_INT),
                     (ct.floor_divide(a, b), A_INT // B_INT), (ct.remainder(a, b), A_INT % B_INT)]:
        assert out.dtype == np.int64
        np.testing.assert_array_equal(out.numpy(), ref)


def test_trunc_division_and_fmod_follow_c():
    a, b = ct.tensor(A_INT), ct.tensor(B_INT)
    np.testing.assert_array_equal(ct.div(a, b, rounding_mode="trunc").numpy(),
                                  np.trunc(A_INT / B_INT).astype(np.int64))
    np.testing.assert_array_equal(ct.fmod(a, b).numpy(), np.fmod(A_INT, B_INT))
    np.testing.assert_array_equal(a.div(b, rounding_mode="floor").numpy(), A_INT // B_INT)
    with pytest.raises(ct.ContractError, match="rounding_mode"):
        ct.div(a, b, rounding_mode="round")


def test_rounding_division_of_floats():
    x = np.array([-7.5, 7.5, 2.0])
    t = ct.tensor(x, dtype=ct.float64)
    np.testing.assert_array_equal((t // 2).numpy(), np.floor(x / 2))
    np.testing.assert_array_equal((t % -3).numpy(), np.remainder(x, -3))
    np.testing.assert_array_equal((7.5 % ct.tensor([2., -3.])).numpy(), [1.5, -1.5])
    assert (ct.tensor([1, 2]) // 2.5).dtype == np.float32      # int with a float scalar


def test_integer_division_by_zero_raises():
    with pytest.raises(ct.ContractError, match="division by zero"):
        ct.tensor([1, 2]) // 0
    with pytest.raises(ct.ContractError, match="division by zero"):
        ct.tensor([1, 2]) % ct.tensor([1, 0])


def test_remainder_and_fmod_gradients():
    x = ct.tensor([-7.5, 7.5, 4.2], dtype=ct.float64, requires_grad=True)
    y = ct.tensor([2., -3., 1.3], dtype=ct.float64, requires_grad=True)
    (x % y).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [1., 1., 1.])
    np.testing.assert_allclose(y.grad.numpy(), -np.floor(x.detach().numpy() / y.detach().numpy()))
    assert gradcheck(lambda a, b: ct.fmod(a, b), [x, y])
    assert gradcheck(lambda a, b: ct.remainder(a, b), [x, y])
    x.grad = None
    ct.div(x, y, rounding_mode="floor").sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0., 0., 0.])
