"""Regression tests for the semiring / Tensor review fixes (argmax on Tensors, sublist
labels, elementwise maximum / minimum, the one-axis max / argmax fast path)."""
import numpy as np
import pytest

import contract as ct
from contract.testing import gradcheck

RNG = np.random.default_rng(7)
A = RNG.normal(size=(3, 4))      # distinct values: no ties
B = RNG.normal(size=(4, 5))


# -- 1. einsum(..., argmax=True) on Tensors returns Tensors ------------------------
def test_argmax_on_tensors_returns_differentiable_values_and_index_tensors():
    a = ct.tensor(A, requires_grad=True)
    values, indices = ct.einsum("ij,jk->ik", a, ct.tensor(B), semiring="maxplus", argmax=True)
    assert isinstance(values, ct.Tensor) and values.requires_grad
    assert isinstance(indices["j"], ct.Tensor) and not indices["j"].requires_grad
    expected = (A[:, :, None] + B[None]).max(axis=1)
    np.testing.assert_allclose(values.detach().numpy(), expected)
    np.testing.assert_array_equal(indices["j"].numpy(),
                                  (A[:, :, None] + B[None]).argmax(axis=1))
    values.sum().backward()
    counts = np.zeros_like(A)
    for i in range(3):
        for j in (A[:, :, None] + B[None]).argmax(axis=1)[i]:
            counts[i, j] += 1
    np.testing.assert_allclose(a.grad.numpy(), counts)


def test_argmax_on_tensors_gradcheck():
    def values(a, b):
        return ct.einsum("ij,jk->ik", a, b, semiring="maxplus", argmax=True)[0]
    assert gradcheck(values, (ct.tensor(A, requires_grad=True),
                              ct.tensor(B, requires_grad=True)))


def test_argmax_mixed_tensor_and_array_operands():
    values, indices = ct.einsum("ij->i", ct.tensor(A), semiring="minplus", argmax=True)
    assert isinstance(values, ct.Tensor) and isinstance(indices["j"], ct.Tensor)
    np.testing.assert_array_equal(indices["j"].numpy(), A.argmin(axis=1))


# -- 4. interleaved sublists: indices keyed by the user's int labels -----------------
def test_argmax_interleaved_sublists_keys_are_ints():
    values, indices = ct.einsum(A, [0, 1], [0], semiring="maxplus", argmax=True)
    assert list(indices) == [1]
    np.testing.assert_array_equal(indices[1], A.argmax(axis=1))
    np.testing.assert_allclose(values, A.max(axis=1))
    _, indices = ct.einsum(A, [3, 7], B, [7, 5], [3, 5], semiring="maxplus", argmax=True)
    assert list(indices) == [7]


def test_argmax_string_equation_keeps_string_names():
    _, indices = ct.einsum("s0 s1 -> s0", A, semiring="maxplus", argmax=True)
    assert list(indices) == ["s1"]
