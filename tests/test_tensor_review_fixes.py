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
