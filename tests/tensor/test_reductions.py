"""Tensor reductions against NumPy (float64) and torch's documented behaviour: max / min /
amax / amin (lowered to semiring einsums), sum / mean / var / std / prod, all / any, the dtypes
of their results, 0-d inputs."""
import numpy as np
import pytest

import contract as ct
from contract.testing import gradcheck

X = np.random.default_rng(0).normal(size=(3, 4, 5))


# -- max / min with and without dim: semiring einsums ------------------------------------
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


# -- sum, mean, var, std, prod, cumsum -----------------------------------------------------
@pytest.mark.parametrize("dim", [None, 0, 1, -1, (0, 2), [1, 2], (-1, 0)])
@pytest.mark.parametrize("keepdim", [False, True])
def test_sum_and_mean_match_numpy(dim, keepdim):
    data = np.random.default_rng(0).standard_normal((3, 4, 5))
    x = ct.tensor(data)
    axis = tuple(dim) if isinstance(dim, list) else dim
    np.testing.assert_allclose(x.sum(dim=dim, keepdim=keepdim).numpy(),
                               data.sum(axis=axis, keepdims=keepdim))
    np.testing.assert_allclose(x.mean(dim, keepdim=keepdim).numpy(),
                               data.mean(axis=axis, keepdims=keepdim))
    np.testing.assert_allclose(ct.sum(x, axis=dim).numpy(), data.sum(axis=axis))


@pytest.mark.parametrize("dim", [None, 0, (1, 2)])
@pytest.mark.parametrize("correction", [0, 1])
def test_var_std_prod_match_numpy(dim, correction):
    data = np.random.default_rng(1).standard_normal((3, 4, 5))
    x = ct.tensor(data)
    np.testing.assert_allclose(x.var(dim, correction=correction).numpy(),
                               data.var(axis=dim, ddof=correction))
    np.testing.assert_allclose(x.std(dim=dim, correction=correction).numpy(),
                               data.std(axis=dim, ddof=correction))
    np.testing.assert_allclose(x.prod().numpy(), data.prod())
    np.testing.assert_allclose(x.cumsum(1).numpy(), data.cumsum(1))


def test_two_pass_variance_in_float32():
    x = ct.tensor([2281.5, 2281.25])
    assert x.var().item() == 0.03125 and x.var().dtype == ct.float32
    assert x.std().item() == pytest.approx(0.03125 ** 0.5)


def test_integer_sums_give_int64_and_mean_of_ints_raises():
    assert ct.tensor([1, 2], dtype=ct.int8).sum().dtype == ct.int64
    assert ct.tensor([127, 127], dtype=ct.int8).sum().item() == 254
    assert ct.tensor([True, True, False]).sum().item() == 2
    with pytest.raises(ct.ContractError):
        ct.tensor([1, 2]).mean()
    with pytest.raises(ct.ContractError):
        ct.tensor([1, 2]).std()


def test_reductions_lower_to_cached_einsum_plans():
    from contract.engine import cache
    from contract.tensors.ops.linalg import matmul_equation
    from contract.tensors.ops.reduce import reduce_equation
    assert reduce_equation(4, (0, 2, 3)) == "abcd->b"
    assert matmul_equation(2, 2) == "ab,bc->ac"
    x = ct.ones(29, 3)
    before = cache.lookup.cache_info()
    assert x.sum(1).tolist() == [3.0] * 29
    after = cache.lookup.cache_info()
    assert after.misses == before.misses + 1                  # planned once, as "ab->a"
    assert cache.cached_plan("ab->a", [(29, 3)]).equation == "ab->a"
    x.sum(1)
    x.detach().requires_grad_().sum(1)                           # the traced path: same plan
    assert cache.lookup.cache_info().misses == after.misses


def test_full_reductions_hold_zero_d_arrays():
    s = ct.ones(2, 2).sum()
    assert isinstance(s._data, np.ndarray) and s.shape == ()
    s.zero_()
    assert s.item() == 0.0 and repr(ct.ones(3).dot(ct.ones(3))) == "tensor(3.)"


# -- a dim named twice is an error, as in torch --------------------------------------------
@pytest.mark.parametrize("dims", [(1, 1), [1, -1], (0, 1, 0)])
def test_sum_with_duplicate_dims_raises(dims):
    with pytest.raises(ct.ContractError, match="appears multiple times"):
        ct.ones(2, 3).sum(dims)


def test_sum_with_distinct_dims_still_works():
    np.testing.assert_array_equal(ct.ones(2, 3).sum((1, 0)).numpy(), 6.)
    np.testing.assert_array_equal(ct.ones(2, 3).mean([-1]).numpy(), [1., 1.])


# -- amax / amin ties, dtypes of reductions, positional arguments --------------------------
X_TIES = np.array([[[1., 3., 3.], [2., 0., 2.]], [[5., 4., 5.], [-1., -1., 0.]]])


def _split_ties(x, axes, pick):
    """NumPy oracle of amax/amin's gradient of ``sum``: ties share evenly."""
    best = pick(x, axis=axes, keepdims=True)
    mask = x == best
    return mask / mask.sum(axis=axes, keepdims=True)


@pytest.mark.parametrize("name, pick", [("amax", np.max), ("amin", np.min)])
@pytest.mark.parametrize("dim", [1, -1, (1, 2), (0, 2)])
def test_amax_amin_keepdim_gradient(name, pick, dim):
    x = ct.tensor(X_TIES, requires_grad=True)
    out = getattr(x, name)(dim=dim, keepdim=True)
    axes = tuple(d % 3 for d in ((dim,) if isinstance(dim, int) else dim))
    np.testing.assert_allclose(out.detach().numpy(), pick(X_TIES, axis=axes, keepdims=True))
    out.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), _split_ties(X_TIES, axes, pick))


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


# -- 0-d reductions, degrees of freedom ----------------------------------------------------
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


@pytest.mark.parametrize("dtype", [ct.bool, ct.uint8, ct.int8, ct.int32])
def test_sum_of_a_zero_dim_int_or_bool_tensor_is_int64(dtype):
    x = ct.tensor(1, dtype=dtype)
    for out in (x.sum(), x.sum(0), ct.sum(x, dim=-1, keepdim=True)):
        assert out.dtype == np.int64 and out.item() == 1
    assert ct.tensor(1.5, dtype=ct.float16).sum().dtype == np.float16


# -- all / any -----------------------------------------------------------------------------
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


# -- one-axis max / argmax fast path keeps torch's semantics -------------------------------
RNG = np.random.default_rng(7)


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
