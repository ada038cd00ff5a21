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


# -- 2. ct.max(a, b) / ct.min(a, b), ct.maximum / ct.minimum -------------------------
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


# -- 3. one-axis max / argmax fast path keeps torch's semantics ----------------------
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int32, np.int64, np.uint8,
                                   np.bool_])
@pytest.mark.parametrize("name", ["max", "min"])
def test_one_axis_select_matches_numpy_for_every_real_dtype(name, dtype):
    x = (RNG.integers(0, 3, size=(4, 5, 6))).astype(dtype)       # many ties
    t = ct.tensor(x)
    for d in (0, 1, 2, -1):
        out = getattr(t, name)(d)
        np.testing.assert_array_equal(out.values.numpy(), getattr(x, name)(axis=d))
        first = getattr(x, "arg" + name)(axis=d)                 # numpy: first on ties
        np.testing.assert_array_equal(out.indices.numpy(), first)
        assert out.values.dtype == t.dtype and out.indices.dtype == ct.int64
        arg = getattr(t, "arg" + name)(d, keepdim=True)
        np.testing.assert_array_equal(arg.numpy(), np.expand_dims(first, d))
        assert arg.dtype == ct.int64


@pytest.mark.parametrize("name", ["max", "min", "argmax", "argmin"])
def test_one_axis_select_nan_wins_at_its_first_index(name):
    x = np.array([[1., np.nan, 3., np.nan], [4., 2., 5., 0.]])
    out = getattr(ct.tensor(x), name)(1)
    index = out if name.startswith("arg") else out.indices
    np.testing.assert_array_equal(index.numpy(), [1, getattr(np, name if name.startswith("arg")
                                                             else "arg" + name)(x[1])])
    if not name.startswith("arg"):
        assert np.isnan(out.values.numpy()[0])


def test_one_axis_select_gradient_goes_to_the_returned_index():
    x = ct.tensor([[1., 3., 3.], [5., 0., 5.]], requires_grad=True)
    values, indices = x.max(1, keepdim=True)
    (values * ct.tensor([[2.], [7.]])).sum().backward()
    np.testing.assert_array_equal(indices.numpy(), [[1], [0]])
    np.testing.assert_array_equal(x.grad.numpy(), [[0., 2., 0.], [7., 0., 0.]])
