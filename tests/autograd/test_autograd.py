"""The autograd engine: backward, retain_graph, accumulation, no_grad / set_grad_enabled,
retain_grad, hand-computed values."""
from functools import reduce

import numpy as np
import pytest

import contract as ct
from contract.tensors.core import record


def test_seed_pow3_sum_backward():
    x = ct.tensor([[5.0, 8.0], [4.0, 6.0]], requires_grad=True)
    x.pow(3).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[75, 192], [48, 108]])


def test_grad_accumulates_across_calls_like_torch():
    x = ct.tensor([1.0, 2.0], requires_grad=True)
    (x * 3).sum().backward()
    (x * 3).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [6.0, 6.0])


def test_retain_graph_gives_identical_results_and_second_call_without_it_raises():
    x = ct.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = (x * x).sum()
    y.backward(retain_graph=True)
    first = x.grad.numpy().copy()
    x.grad = None
    y.backward(retain_graph=True)
    np.testing.assert_array_equal(x.grad.numpy(), first)
    y.backward()
    with pytest.raises(ct.ContractError, match="backward through the graph a second time"):
        y.backward()


def test_non_scalar_backward_needs_gradient():
    x = ct.ones(2, 2, requires_grad=True)
    y = x * 2
    with pytest.raises(ct.ContractError, match="scalar outputs"):
        y.backward()
    y.backward(ct.tensor([[1.0, 2.0], [3.0, 4.0]]))
    np.testing.assert_array_equal(x.grad.numpy(), [[2, 4], [6, 8]])


def test_only_leaves_get_grad_and_shared_subexpressions_add_up():
    x = ct.tensor([2.0], requires_grad=True)
    h = x * x
    y = h * h + h
    y.backward()
    assert h.grad is None
    np.testing.assert_allclose(x.grad.numpy(), [4 * 8 + 2 * 2])


def test_no_grad_records_nothing_and_detach_cuts_the_graph():
    x = ct.ones(3, requires_grad=True)
    with ct.no_grad():
        y = (x * 2).sum()
    assert not y.requires_grad and y.grad_fn is None
    z = (x.detach() * 2 + x).sum()
    z.backward()
    np.testing.assert_array_equal(x.grad.numpy(), [1, 1, 1])

    @ct.no_grad()
    def double(t):
        return t * 2
    assert not double(x).requires_grad


def test_backward_on_tensor_without_grad_raises():
    with pytest.raises(ct.ContractError, match="does not require grad"):
        ct.ones(2).sum().backward()


def test_broadcast_gradient_is_reduced_to_operand_shape():
    a = ct.ones(2, 3, requires_grad=True)
    b = ct.ones(1, 3, requires_grad=True)
    c = ct.tensor(2.0, requires_grad=True)
    ((a + b) * c).sum().backward()
    assert b.grad.shape == (1, 3) and c.grad.shape == ()
    np.testing.assert_array_equal(b.grad.numpy(), [[4, 4, 4]])
    assert c.grad.item() == 12.0


def test_grad_fn_names_follow_torch():
    x = ct.ones(2, 2, requires_grad=True)
    assert (x + 1).grad_fn.name() == "AddBackward0"
    assert (x @ x).grad_fn.name() == "MmBackward0"
    assert x.sum().grad_fn.name() == "SumBackward0"
    assert x.mean().grad_fn.name() == "MeanBackward0"
    assert x.exp().grad_fn.name() == "ExpBackward0"
    assert x.t().grad_fn.name() == "PermuteBackward0"


def test_record_with_non_tensor_parent():
    x = ct.tensor([1.0, 2.0], requires_grad=True)
    y = record("Scale", x._data * 4, (x, 4.0), lambda g: (g * 4, None))
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [4, 4])


def test_in_place_update_of_leaf_needs_no_grad():
    w = ct.ones(2, requires_grad=True)
    (w * 3).sum().backward()
    with pytest.raises(ct.ContractError):
        w -= 0.1 * w.grad
    with ct.no_grad():
        w -= 0.5 * w.grad
    np.testing.assert_allclose(w.detach().numpy(), [-0.5, -0.5])
    assert w.is_leaf and w.requires_grad


def test_six_operand_chain_gradients_match_numpy():
    rng = np.random.default_rng(0)
    mats = [rng.standard_normal((4, 4)) for _ in range(6)]
    ts = [ct.tensor(m, requires_grad=True, dtype=ct.float64) for m in mats]
    ct.einsum("ab,bc,cd,de,ef,fg->ag", *ts).sum().backward()
    left = np.ones((4, 4))
    for k in range(6):
        before = reduce(np.matmul, mats[:k], np.eye(4))
        after = reduce(np.matmul, mats[k + 1:], np.eye(4))
        np.testing.assert_allclose(ts[k].grad.numpy(), before.T @ left @ after.T, rtol=1e-10)


def test_gradient_of_float32_stays_float32():
    x = ct.randn(3, 3, requires_grad=True)
    (x @ x).sum().backward()
    assert x.grad.dtype == ct.float32


def test_leaf_gradients_never_share_memory():
    x, y = ct.ones(3, requires_grad=True), ct.ones(3, requires_grad=True)
    (x + y).backward(ct.ones(3))
    assert not np.shares_memory(x.grad.numpy(), y.grad.numpy())
    x.grad.zero_()
    np.testing.assert_array_equal(y.grad.numpy(), [1, 1, 1])
    seed = ct.ones(2, 2)
    w = ct.ones(2, 2, requires_grad=True)
    w.backward(seed)
    assert not np.shares_memory(w.grad.numpy(), seed.numpy())


# -- set_grad_enabled ----------------------------------------------------------------------
def test_set_grad_enabled_as_a_context_manager():
    x = ct.ones(2, requires_grad=True)
    with ct.set_grad_enabled(False):
        assert not ct.is_grad_enabled()
        y = x * 2
    assert ct.is_grad_enabled()
    assert not y.requires_grad
    with ct.no_grad():
        with ct.set_grad_enabled(True):
            assert (x * 2).requires_grad
        assert not ct.is_grad_enabled()
    assert ct.is_grad_enabled()


def test_set_grad_enabled_as_a_function_call():
    try:
        ct.set_grad_enabled(False)
        assert not ct.is_grad_enabled()
        assert not (ct.ones(2, requires_grad=True) * 2).requires_grad
    finally:
        ct.set_grad_enabled(True)
    assert ct.is_grad_enabled()


# -- retain_grad ---------------------------------------------------------------------------
def test_retain_grad_on_a_chain_of_non_leaves():
    a = ct.tensor([1., 2.], requires_grad=True)
    b = a * 2
    b.retain_grad()
    c = b.exp()
    c.retain_grad()
    s = c.sum()
    s.retain_grad()
    s.backward()
    assert s.grad.item() == 1.
    np.testing.assert_array_equal(c.grad.numpy(), [1., 1.])
    np.testing.assert_allclose(b.grad.numpy(), np.exp([2., 4.]))
    assert b.retains_grad and not a.retains_grad
    assert (b * 2).grad is None                   # only the tensors that asked keep it


def test_retain_grad_accumulates_and_sums_fan_out():
    a = ct.tensor([1., 2.], requires_grad=True)
    b = a * 2
    b.retain_grad()
    (b[0] * b[1] + b.sum()).backward(retain_graph=True)   # b = [2, 4]: [b1 + 1, b0 + 1]
    np.testing.assert_array_equal(b.grad.numpy(), [5., 3.])
    (b * 3).sum().backward()
    np.testing.assert_array_equal(b.grad.numpy(), [8., 6.])


def test_retain_grad_refused_without_requires_grad():
    with pytest.raises(ct.ContractError):
        (ct.ones(2) * 2).retain_grad()


# -- accumulation into .grad ---------------------------------------------------------------
def test_grad_accumulates_into_the_same_tensor_across_backward_calls():
    a = ct.tensor([1., 2.], requires_grad=True)
    (a * 3).sum().backward()
    held = a.grad
    (a * a).sum().backward()
    assert held is a.grad                          # torch adds into the existing .grad
    np.testing.assert_array_equal(held.numpy(), [5., 7.])


def test_grad_accumulation_within_one_pass_does_not_touch_shared_arrays():
    a = ct.tensor([1., 2.], requires_grad=True)
    b = ct.tensor([3., 4.], requires_grad=True)
    s = a + b                                      # Add hands the same gradient to both sides
    ((s * 2) + a).sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), [3., 3.])
    np.testing.assert_array_equal(b.grad.numpy(), [2., 2.])
    user = ct.tensor([10., 10.])
    a.grad = user
    (a * 1).sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), [11., 11.])
