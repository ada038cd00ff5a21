"""Tensor reductions lowered to semiring einsums, against NumPy (float64)."""
import numpy as np
import pytest

import contract as ct
from contract.testing import gradcheck

X = np.random.default_rng(0).normal(size=(3, 4, 5))


@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize("dim", [0, 1, 2, -1])
@pytest.mark.parametrize("name", ["max", "min"])
def test_max_min_with_dim(name, dim, keepdim):
    out = getattr(ct.tensor(X), name)(dim=dim, keepdim=keepdim)
    assert type(out).__name__ == name and out._fields == ("values", "indices")
    np.testing.assert_array_equal(out.values.numpy(), getattr(X, name)(axis=dim,
                                                                       keepdims=keepdim))
    arg = getattr(X, "arg" + name)(axis=dim)
    arg = np.expand_dims(arg, dim) if keepdim else arg
    np.testing.assert_array_equal(out.indices.numpy(), arg)


def test_reductions_without_dim_and_aliases():
    t = ct.tensor(X)
    assert t.max().shape == () and t.max().item() == X.max()
    assert t.min().item() == X.min() and t.argmax().item() == X.argmax()
    assert t.argmin().item() == X.argmin()
    np.testing.assert_array_equal(t.amax(dim=(0, 2)).numpy(), X.max(axis=(0, 2)))
    np.testing.assert_array_equal(t.amin(axis=1).numpy(), X.min(axis=1))
    np.testing.assert_array_equal(ct.max(t, axis=-1).values.numpy(), X.max(-1))
    expected = np.log(np.exp(X).sum(axis=(0, 2)))
    np.testing.assert_allclose(t.logsumexp(dim=(0, 2)).numpy(), expected)


def test_ties_and_nan_follow_torch():
    t = ct.tensor([[2.0, 7.0, 7.0], [np.nan, 1.0, np.nan]], dtype=ct.float64)
    values, indices = t.max(dim=1)
    assert values.numpy()[0] == 7.0 and np.isnan(values.numpy()[1])
    np.testing.assert_array_equal(indices.numpy(), [1, 0])
    np.testing.assert_array_equal(t.argmin(dim=1).numpy(), [0, 0])
    assert np.isnan(t.max().item())


def test_gradients_split_ties_without_dim_and_pick_index_with_dim():
    y = ct.tensor([1.0, 3.0, 3.0], dtype=ct.float64, requires_grad=True)
    y.max().backward()
    np.testing.assert_allclose(y.grad.numpy(), [0.0, 0.5, 0.5])
    y = ct.tensor([1.0, 3.0, 3.0], dtype=ct.float64, requires_grad=True)
    y.max(dim=0).values.backward()
    np.testing.assert_allclose(y.grad.numpy(), [0.0, 1.0, 0.0])


@pytest.mark.parametrize("fn", [lambda t: t.max(dim=1).values, lambda t: t.min(dim=0).values,
                                lambda t: t.amax(dim=(0, 2)), lambda t: t.logsumexp(dim=1),
                                lambda t: t.max(), lambda t: t.amin()])
def test_gradcheck(fn):
    assert gradcheck(fn, [ct.tensor(X, requires_grad=True)])


def test_empty_reductions_raise_where_torch_raises():
    empty = ct.tensor(np.zeros((2, 0)))
    with pytest.raises(ct.ContractError):
        empty.max(dim=1)
    with pytest.raises(ct.ContractError):
        empty.max()
    with pytest.raises(ct.ContractError):
        empty.argmax()
    assert empty.max(dim=0).values.shape == (0,)
    assert np.all(empty.logsumexp(dim=1).numpy() == -np.inf)
