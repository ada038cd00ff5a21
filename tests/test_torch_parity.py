"""Regressions from a differential review of Tensor semantics against PyTorch.

Each test pins one behaviour where contract disagreed with torch's documented one; the
expected values are NumPy (float64) results or known constants, never torch itself.
"""
import numpy as np
import pytest

import contract as ct
from contract.testing import gradcheck


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


def test_integer_tensor_to_a_negative_int_power_is_refused():
    for dtype in (ct.uint8, ct.int64):
        with pytest.raises(ct.ContractError, match="negative integer powers"):
            ct.tensor([1, 2], dtype=dtype) ** -3


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


# -- reductions ---------------------------------------------------------------------
X = np.array([[[1., 3., 3.], [2., 0., 2.]], [[5., 4., 5.], [-1., -1., 0.]]])


def _split_ties(x, axes, pick):
    """NumPy oracle of amax/amin's gradient of ``sum``: ties share evenly."""
    best = pick(x, axis=axes, keepdims=True)
    mask = x == best
    return mask / mask.sum(axis=axes, keepdims=True)


@pytest.mark.parametrize("name, pick", [("amax", np.max), ("amin", np.min)])
@pytest.mark.parametrize("dim", [1, -1, (1, 2), (0, 2)])
def test_amax_amin_keepdim_gradient(name, pick, dim):
    x = ct.tensor(X, requires_grad=True)
    out = getattr(x, name)(dim=dim, keepdim=True)
    axes = tuple(d % 3 for d in ((dim,) if isinstance(dim, int) else dim))
    np.testing.assert_allclose(out.detach().numpy(), pick(X, axis=axes, keepdims=True))
    out.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), _split_ties(X, axes, pick))


def test_amax_keepdim_gradcheck():
    x = ct.tensor(np.random.default_rng(0).standard_normal((3, 4)), dtype=ct.float64,
                  requires_grad=True)
    assert gradcheck(lambda t: t.amax(dim=-1, keepdim=True) * 2, [x])


@pytest.mark.parametrize("dtype", [ct.bool, ct.uint8, ct.int8, ct.int32, ct.int64])
def test_max_min_amax_keep_the_integer_and_bool_dtype(dtype):
    data = np.array([[1, 0, 1], [0, 0, 1]])
    x = ct.tensor(data, dtype=dtype)
    for out, ref in [(x.max(), data.max()), (x.min(), data.min()),
                     (x.amax(1), data.max(1)), (x.amin(dim=0), data.min(0))]:
        assert out.dtype == np.dtype(dtype)
        np.testing.assert_array_equal(out.numpy().astype(np.int64), ref)


@pytest.mark.parametrize("dtype", [ct.bool, ct.uint8, ct.int64, ct.float32])
def test_sum_dtype_argument_is_the_result_dtype(dtype):
    data = np.array([[1, 0, 1], [1, 1, 1]])
    x = ct.tensor(data, dtype=dtype)
    out = x.sum(1, dtype=ct.int32)
    assert out.dtype == np.int32
    np.testing.assert_array_equal(out.numpy(), data.sum(1))
    assert ct.sum(x, dtype=ct.float64).dtype == np.float64


def test_sum_dtype_argument_with_grad():
    x = ct.tensor([[1., 2.], [3., 4.]], requires_grad=True)
    out = x.sum(0, dtype=ct.float64)
    assert out.dtype == np.float64
    out.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.ones((2, 2)))


def test_uint8_prod_and_cumsum_give_int64():
    x = ct.tensor([[200, 2], [3, 4]], dtype=ct.uint8)
    assert x.prod().dtype == np.int64 and x.prod().item() == 4800
    assert x.prod(0).dtype == np.int64
    np.testing.assert_array_equal(x.prod(0).numpy(), [600, 8])
    assert x.cumsum(0).dtype == np.int64
    np.testing.assert_array_equal(x.cumsum(0).numpy(), [[200, 2], [203, 6]])


def test_std_var_positional_unbiased_and_keepdim():
    data = np.array([[1., 2., 4.], [0., 3., 9.]])
    x = ct.tensor(data, dtype=ct.float64)
    np.testing.assert_allclose(x.std(1, False).numpy(), data.std(1, ddof=0))
    np.testing.assert_allclose(x.var(1, True, True).numpy(), data.var(1, ddof=1, keepdims=True))
    np.testing.assert_allclose(x.var(False).item(), data.var(ddof=0))
    np.testing.assert_allclose(ct.std(x, 0, False).numpy(), data.std(0, ddof=0))
    np.testing.assert_allclose(x.std(dim=1, correction=0).numpy(), data.std(1, ddof=0))


# -- gather -------------------------------------------------------------------------
def test_gather_with_an_index_smaller_than_the_input():
    data = np.arange(12.).reshape(3, 4)
    x = ct.tensor(data, requires_grad=True)
    index = np.array([[3, 0]])                 # (1, 2): smaller than (3, 4) in both dims
    out = x.gather(1, ct.tensor(index))
    assert tuple(out.shape) == (1, 2)
    np.testing.assert_array_equal(out.detach().numpy(), [[3., 0.]])
    out.sum().backward()
    expected = np.zeros((3, 4))
    expected[0, 3] = expected[0, 0] = 1
    np.testing.assert_array_equal(x.grad.numpy(), expected)
    down = x.gather(0, ct.tensor([[2, 1]]))
    np.testing.assert_array_equal(down.detach().numpy(), [[8., 5.]])


@pytest.mark.parametrize("index", [[[-1, 0], [0, 1]], [[4, 0], [0, 1]]])
def test_gather_out_of_range_index_is_refused(index):
    with pytest.raises(ct.ContractError, match="out of bounds"):
        ct.ones(2, 3).gather(1, ct.tensor(index))


def test_gather_index_too_large_or_wrong_rank_is_refused():
    with pytest.raises(ct.ShapeError):
        ct.ones(2, 3).gather(1, ct.tensor([[0]] * 3))
    with pytest.raises(ct.ShapeError):
        ct.ones(2, 3).gather(1, ct.tensor([0, 1]))


# -- autograd mode and creation -------------------------------------------------------
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


def test_randint_high_and_size_positional():
    ct.manual_seed(0)
    out = ct.randint(3, (5,))
    assert tuple(out.shape) == (5,) and out.dtype == np.int64
    assert 0 <= int(out.min()) and int(out.max()) < 3
    assert tuple(ct.randint(1, 4, (2, 2)).shape) == (2, 2)


# -- scalars with alpha, 0-d reductions, degrees of freedom -----------------------------
def test_add_sub_alpha_with_a_scalar_other():
    x = ct.tensor([1., 2.])
    np.testing.assert_array_equal(ct.sub(x, 1, alpha=2).numpy(), [-1., 0.])
    np.testing.assert_array_equal(ct.add(x, 1, alpha=3).numpy(), [4., 5.])
    np.testing.assert_array_equal(x.sub(ct.tensor([1., 1.]), alpha=3).numpy(), [-2., -1.])


@pytest.mark.parametrize("name, expected", [("sum", 3.), ("mean", 3.), ("prod", 3.),
                                            ("amax", 3.), ("logsumexp", 3.), ("cumsum", 3.)])
def test_zero_dim_reductions_take_dim_zero(name, expected):
    t = ct.tensor(3.)
    for dim in (0, -1):
        out = getattr(t, name)(dim)
        assert tuple(out.shape) == ()
        assert out.item() == expected
    with pytest.raises(ct.ContractError):
        getattr(t, name)(1)


def test_zero_dim_std_var_with_dim_are_nan():
    t = ct.tensor(3.)
    assert np.isnan(t.std(0).item()) and np.isnan(t.var(-1).item())


def test_var_with_no_degrees_of_freedom_divides_by_zero():
    assert ct.tensor([1., 2.]).var(correction=3).item() == np.inf      # 0.5 / 0
    assert ct.tensor([1., 2.]).var(correction=2).item() == np.inf
    assert np.isnan(ct.tensor([1., 1.]).var(correction=2).item())      # 0 / 0


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


# -- bad input raises ContractError (no AttributeError / ValueError / ZeroDivisionError) --
@pytest.mark.parametrize("call", [
    lambda: ct.ones(4).chunk(0),
    lambda: ct.ones(4).chunk(-1),
    lambda: ct.ones(2, 2).flip([0, 0]),
    lambda: ct.ones(2).type_as(3),
    lambda: ct.cat([np.ones(2)]),
    lambda: ct.stack((1, 2)),
    lambda: ct.dot(ct.ones(3), 2),
    lambda: ct.outer([1., 2.], ct.ones(2)),
    lambda: ct.meshgrid(),
    lambda: ct.meshgrid(ct.ones(2, 2)),
    lambda: ct.linspace(0, 1, -1),
    lambda: ct.eye(-1),
    lambda: ct.eye(2, -3),
    lambda: ct.randn(-1),
    lambda: ct.rand(2, -1),
    lambda: ct.randint(0, 3, (-1,)),
    lambda: ct.full((2,), "a"),
    lambda: ct.zeros(-1),
], ids=["chunk0", "chunk-neg", "flip-dup", "type_as", "cat-ndarray", "stack-ints", "dot-int",
        "outer-list", "meshgrid-empty", "meshgrid-2d", "linspace-neg", "eye-neg", "eye-m-neg",
        "randn-neg", "rand-neg", "randint-neg", "full-str", "zeros-neg"])
def test_bad_input_raises_contract_error(call):
    with pytest.raises(ct.ContractError):
        call()


def test_chunk_and_flip_still_work():
    parts = ct.tensor(np.arange(7.)).chunk(3)
    assert [p.tolist() for p in parts] == [[0., 1., 2.], [3., 4., 5.], [6.]]
    np.testing.assert_array_equal(ct.tensor([[1, 2], [3, 4]]).flip([0, 1]).numpy(),
                                  [[4, 3], [2, 1]])
    x, y = ct.meshgrid(ct.tensor([1, 2]), ct.tensor(5))
    assert tuple(x.shape) == (2, 1) and y.tolist() == [[5], [5]]


# -- retain_grad, mT, clamp_ ---------------------------------------------------------
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


def test_mT_transposes_the_last_two_dims():
    x = ct.tensor(np.arange(24.).reshape(2, 3, 4))
    np.testing.assert_array_equal(x.mT.numpy(), np.swapaxes(np.arange(24.).reshape(2, 3, 4),
                                                            -1, -2))
    with pytest.raises(ct.ContractError):
        ct.ones(3).mT


def test_clamp_in_place():
    t = ct.tensor([-1., 0.5, 2.])
    assert t.clamp_(0, 1) is t
    np.testing.assert_array_equal(t.numpy(), [0., 0.5, 1.])
    base = ct.tensor(np.arange(6.).reshape(2, 3))
    base[1].clamp_(max=4)
    np.testing.assert_array_equal(base.numpy(), [[0., 1., 2.], [3., 4., 4.]])
    x = ct.tensor([-2., 0.5, 3.], requires_grad=True)
    y = x.clone()
    y.clamp_(min=-1)
    (y * y).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0., 1., 6.])
    with pytest.raises(ct.ContractError):
        x.clamp_(0, 1)                            # a leaf that requires grad


# -- all / any, conv layer settings, ReLU(inplace) --------------------------------------
def test_all_any():
    data = np.array([[1., 0.], [2., 3.]])
    x = ct.tensor(data)
    assert x.all().item() is False and x.any().item() is True
    np.testing.assert_array_equal(x.all(1).numpy(), data.all(1))
    np.testing.assert_array_equal(ct.any(x, dim=0, keepdim=True).numpy(),
                                  data.any(0, keepdims=True))
    assert x.all(1).dtype == np.bool_
    assert ct.tensor([1, 0], dtype=ct.uint8).all().dtype == np.uint8
    assert ct.ones(0).all().item() is True and ct.ones(0).any().item() is False
    assert bool((ct.nn.Linear(16, 4).weight.abs() <= 0.25).all())


def test_conv_layer_keeps_settings_as_tuples_and_reprs_them_like_torch():
    conv = ct.nn.Conv2d(3, 2, 3, stride=2, padding=1)
    assert conv.stride == (2, 2) and conv.padding == (1, 1) and conv.dilation == (1, 1)
    assert repr(conv) == "Conv2d(3, 2, kernel_size=(3, 3), stride=(2, 2), padding=(1, 1))"
    grouped = ct.nn.Conv2d(3, 3, 3, groups=3, bias=False, dilation=2)
    assert repr(grouped) == ("Conv2d(3, 3, kernel_size=(3, 3), stride=(1, 1), "
                             "dilation=(2, 2), groups=3, bias=False)")
    assert repr(ct.nn.Conv1d(3, 3, 3, padding="same")) == (
        "Conv1d(3, 3, kernel_size=(3,), stride=(1,), padding=same)")
    assert tuple(conv(ct.ones(1, 3, 6, 6)).shape) == (1, 2, 3, 3)


def test_relu_inplace():
    x = ct.tensor([-1., 2.])
    assert ct.nn.ReLU(inplace=True)(x) is x
    np.testing.assert_array_equal(x.numpy(), [0., 2.])
    assert repr(ct.nn.ReLU(inplace=True)) == "ReLU(inplace=True)"
    y = ct.tensor([-1., 2.])
    np.testing.assert_array_equal(ct.nn.ReLU()(y).numpy(), [0., 2.])
    np.testing.assert_array_equal(y.numpy(), [-1., 2.])


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


@pytest.mark.parametrize("make", [lambda a: a * 2, lambda a: a * ct.ones(2, 3),
                                  lambda a: a.sum(0), lambda a: a @ ct.ones(3, 2),
                                  lambda a: ct.einsum("ij,jk,kl->il", a, ct.ones(3, 3),
                                                      ct.ones(3, 2))],
                         ids=["mul-scalar", "mul", "sum", "matmul", "einsum-chain"])
def test_writing_into_a_product_does_not_trip_the_version_check(make):
    a = ct.ones(2, 3, requires_grad=True)
    x = make(a)                  # torch saves the operands of a product, not the product
    x.detach().zero_()
    x.sum().backward()
    fresh = ct.ones(2, 3, requires_grad=True)
    make(fresh).sum().backward()                 # the same gradient as with no write at all
    np.testing.assert_array_equal(a.grad.numpy(), fresh.grad.numpy())


def test_writing_into_a_saved_result_still_raises():
    a = ct.ones(2, 3, requires_grad=True)
    for x in (a.exp(), a.amax(0)):               # both saved by their backward, as in torch
        x.detach().zero_()
        with pytest.raises(ct.ContractError, match="modified by an inplace operation"):
            x.sum().backward()


# -- indexing: torch's sequence-as-tuple rule, empty in-place regions ------------------
M = np.arange(12.).reshape(3, 4)


def test_a_list_of_index_lists_indexes_like_a_tuple():
    x = ct.tensor(M, requires_grad=True)
    out = x[[[0, 1], [2, 2]]]                    # torch: x[[0, 1], [2, 2]]
    np.testing.assert_array_equal(out.detach().numpy(), M[[0, 1], [2, 2]])
    out.sum().backward()
    expected = np.zeros((3, 4))
    expected[0, 2] = expected[1, 2] = 1
    np.testing.assert_array_equal(x.grad.numpy(), expected)
    assert x[[ct.tensor(0), ct.tensor(2)]].item() == M[0, 2]
    assert tuple(x[[slice(None), None]].shape) == (3, 1, 4)
    np.testing.assert_array_equal(x[[0, 2]].detach().numpy(), M[[0, 2]])     # plain list


def test_setitem_with_a_list_of_index_lists():
    y = ct.tensor(M)
    y[[[0, 1], [2, 2]]] = -1.
    expected = M.copy()
    expected[[0, 1], [2, 2]] = -1
    np.testing.assert_array_equal(y.numpy(), expected)


@pytest.mark.parametrize("index", [[], ct.tensor([False, False, False]), ct.tensor(False)],
                         ids=["empty-list", "all-false-mask", "0d-false"])
def test_in_place_update_of_an_empty_region(index):
    x = ct.tensor(M)
    x[index] += 1                                # nothing selected: nothing changes
    np.testing.assert_array_equal(x.numpy(), M)


@pytest.mark.parametrize("dtype", [ct.bool, ct.uint8, ct.int8, ct.int32])
def test_sum_of_a_zero_dim_int_or_bool_tensor_is_int64(dtype):
    x = ct.tensor(1, dtype=dtype)
    for out in (x.sum(), x.sum(0), ct.sum(x, dim=-1, keepdim=True)):
        assert out.dtype == np.int64 and out.item() == 1
    assert ct.tensor(1.5, dtype=ct.float16).sum().dtype == np.float16
