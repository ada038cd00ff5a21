"""Broadcasting of Tensor arithmetic against NumPy's rules, on generated and fixed shapes."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import contract as ct

dims = st.lists(st.sampled_from([1, 2, 3]), min_size=0, max_size=4)


@settings(max_examples=60, deadline=None)
@given(dims, dims)
def test_broadcast_matches_numpy_or_raises_contract_error(sa, sb):
    a = np.arange(1, 1 + int(np.prod(sa))).reshape(sa).astype(np.float64)
    b = np.arange(2, 2 + int(np.prod(sb))).reshape(sb).astype(np.float64)
    try:
        want = a * b - a / b
    except ValueError:
        with pytest.raises(ct.ContractError, match="not broadcastable"):
            ct.tensor(a) * ct.tensor(b)
        return
    got = ct.tensor(a) * ct.tensor(b) - ct.tensor(a) / ct.tensor(b)
    assert got.shape == want.shape
    np.testing.assert_allclose(got.numpy(), want)


@settings(max_examples=30, deadline=None)
@given(dims, dims)
def test_broadcast_gradients_have_operand_shapes(sa, sb):
    try:
        np.broadcast_shapes(tuple(sa), tuple(sb))
    except ValueError:
        return
    a = ct.ones(*sa, dtype=ct.float64, requires_grad=True)
    b = ct.full(tuple(sb), 2.0, dtype=ct.float64, requires_grad=True)
    (a * b + a).sum().backward()
    out = np.broadcast_shapes(tuple(sa), tuple(sb))
    assert a.grad.shape == tuple(sa) and b.grad.shape == tuple(sb)
    n_a = int(np.prod(out)) // max(1, int(np.prod(sa)))
    n_b = int(np.prod(out)) // max(1, int(np.prod(sb)))
    np.testing.assert_allclose(a.grad.numpy(), np.full(sa, 3.0 * n_a))
    np.testing.assert_allclose(b.grad.numpy(), np.full(sb, 1.0 * n_b))


# -- fixed shapes --------------------------------------------------------------------------
@pytest.mark.parametrize("sa,sb", [((2, 3), (2, 3)), ((2, 3), (3,)), ((4, 1), (1, 3)),
                                   ((2, 1, 3), (4, 1)), ((3,), ()), ((0, 3), (1, 3))])
def test_broadcast_arithmetic_matches_numpy(sa, sb):
    rng = np.random.default_rng(2)
    a, b = rng.standard_normal(sa), rng.standard_normal(sb) + 3
    ta, tb = ct.tensor(a), ct.tensor(b)
    for got, want in [(ta + tb, a + b), (ta - tb, a - b), (ta * tb, a * b), (ta / tb, a / b),
                      (ta > tb, a > b), (ta == tb, a == b), (2 * ta, 2 * a), (1 - ta, 1 - a)]:
        assert got.shape == want.shape
        np.testing.assert_allclose(got.numpy(), want.astype(got.numpy().dtype), rtol=1e-6)


def test_not_broadcastable_error_names_both_shapes():
    with pytest.raises(ct.ContractError, match=r"\(2, 3\) and \(4,\)"):
        ct.ones(2, 3) + ct.ones(4)
    with pytest.raises(ct.ContractError, match=r"\(2, 3\) and \(2,\)"):
        ct.ones(2, 3) * ct.ones(2)
