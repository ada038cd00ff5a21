"""sum/avg/max pooling (1-D and 2-D) and window views against direct NumPy loops."""
import itertools

import numpy as np
import pytest

import contract as ct
import contract.nn.functional as F
from contract.nn.windows import accumulate_windows, pad_pairs, window_view


def _tuple(value, n):
    return (value,) * n if isinstance(value, int) else tuple(value)


def pool_loops(x, kernel, stride=None, padding=0, dilation=1, how="sum",
               count_include_pad=True):
    """One window at a time; padding is 0 (sum/avg) or -inf (max) as torch pads."""
    n = 2 if x.ndim == 4 else 1
    kernel = _tuple(kernel, n)
    stride = kernel if stride is None else _tuple(stride, n)
    padding, dilation = _tuple(padding, n), _tuple(dilation, n)
    fill = -np.inf if how == "max" else 0.0
    xp = np.pad(x.astype(np.float64), [(0, 0), (0, 0)] + [(p, p) for p in padding],
                constant_values=fill)
    valid = np.pad(np.ones(x.shape[2:]), [(p, p) for p in padding])
    sizes = [(xp.shape[2 + a] - dilation[a] * (kernel[a] - 1) - 1) // stride[a] + 1
             for a in range(n)]
    out = np.zeros(x.shape[:2] + tuple(sizes))
    for pos in itertools.product(*map(range, sizes)):
        index = tuple(slice(p * s, p * s + d * (k - 1) + 1, d)
                      for p, s, d, k in zip(pos, stride, dilation, kernel))
        window = xp[(Ellipsis,) + index]
        axes = tuple(range(2, 2 + n))
        if how == "max":
            value = window.max(axis=axes)
        else:
            value = window.sum(axis=axes)
            if how == "avg":
                value = value / (np.prod(kernel) if count_include_pad else valid[index].sum())
        out[(Ellipsis,) + pos] = value
    return out


POOL_CASES = [
    # (shape, kernel, stride, padding)
    ((2, 3, 8, 8), 2, None, 0),
    ((2, 3, 7, 9), 2, None, 0),          # odd sizes: cropped (torch rounds down)
    ((2, 3, 7, 9), 3, None, 0),
    ((1, 2, 9, 7), (2, 3), None, 0),
    ((2, 3, 7, 9), 3, 2, 1),
    ((2, 3, 7, 9), (2, 3), (1, 2), (1, 1)),
    ((2, 3, 7, 9), 3, 1, 1),
    ((1, 1, 5, 5), 3, 1, 0),
    ((2, 2, 6, 6), 2, 1, 0),
    ((2, 2, 6, 5), (3, 2), (3, 1), (1, 0)),
]


@pytest.mark.parametrize("shape,kernel,stride,padding", POOL_CASES)
def test_sum_pool2d_matches_loops(shape, kernel, stride, padding):
    x = np.random.default_rng(1).standard_normal(shape)
    got = F.sum_pool2d(x, kernel, stride, padding)
    want = pool_loops(x, kernel, stride, padding, how="sum")
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("shape,kernel,stride,padding", POOL_CASES)
@pytest.mark.parametrize("count_include_pad", [True, False])
def test_avg_pool2d_matches_loops(shape, kernel, stride, padding, count_include_pad):
    x = np.random.default_rng(2).standard_normal(shape)
    got = F.avg_pool2d(x, kernel, stride, padding, count_include_pad=count_include_pad)
    want = pool_loops(x, kernel, stride, padding, how="avg", count_include_pad=count_include_pad)
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("shape,kernel,stride,padding", POOL_CASES)
@pytest.mark.parametrize("dilation", [1, 2])
def test_max_pool2d_matches_loops(shape, kernel, stride, padding, dilation):
    x = np.random.default_rng(3).standard_normal(shape)
    span = [dilation * (k - 1) + 1 for k in _tuple(kernel, 2)]
    if any(s > size + 2 * p for s, size, p in zip(span, shape[2:], _tuple(padding, 2))):
        pytest.skip("window larger than the padded input")
    got = F.max_pool2d(x, kernel, stride, padding, dilation)
    want = pool_loops(x, kernel, stride, padding, dilation, how="max")
    np.testing.assert_array_equal(got, want)


def test_max_pool2d_return_indices_point_into_the_unpadded_input():
    x = np.random.default_rng(4).standard_normal((2, 3, 7, 9))
    values, indices = F.max_pool2d(x, 3, 2, 1, return_indices=True)
    flat = x.reshape(2, 3, -1)
    picked = np.take_along_axis(flat, indices.reshape(2, 3, -1), axis=-1).reshape(values.shape)
    np.testing.assert_array_equal(picked, values)
    assert indices.dtype == np.int64


def test_max_pool2d_integer_input_pads_with_the_lowest_integer():
    x = -np.arange(16, dtype=np.int32).reshape(1, 1, 4, 4) - 5
    got = F.max_pool2d(x, 3, 2, 1)
    assert got.dtype == np.int32
    np.testing.assert_array_equal(got, pool_loops(x, 3, 2, 1, how="max").astype(np.int32))


@pytest.mark.parametrize("kernel,stride,padding", [(2, None, 0), (3, None, 0), (3, 2, 1),
                                                   (4, 1, 2)])
def test_pool1d_matches_loops(kernel, stride, padding):
    x = np.random.default_rng(5).standard_normal((2, 3, 11))
    np.testing.assert_allclose(F.sum_pool1d(x, kernel, stride, padding),
                               pool_loops(x, kernel, stride, padding, how="sum"), rtol=1e-12)
    np.testing.assert_allclose(F.avg_pool1d(x, kernel, stride, padding),
                               pool_loops(x, kernel, stride, padding, how="avg"), rtol=1e-12)
    np.testing.assert_array_equal(F.max_pool1d(x, kernel, stride, padding),
                                  pool_loops(x, kernel, stride, padding, how="max"))


def test_sum_pool2d_stride_equal_kernel_is_the_grouped_equation():
    x = np.random.default_rng(6).standard_normal((2, 3, 9, 7)).astype(np.float32)
    grouped = ct.einsum("b c (h p) (w q) -> b c h w", x[:, :, :8, :6], p=2, q=2)
    got = F.sum_pool2d(x, 2)
    assert got.dtype == np.float32
    np.testing.assert_array_equal(got, grouped)


def test_pooling_unbatched_input():
    x = np.random.default_rng(7).standard_normal((3, 6, 6))
    np.testing.assert_allclose(F.sum_pool2d(x, 2), pool_loops(x[None], 2)[0])
    np.testing.assert_allclose(F.avg_pool2d(x, 3, 1, 1), pool_loops(x[None], 3, 1, 1, how="avg")[0])


def test_window_count_map():
    """Each input position is counted once per window that covers it."""
    counts = accumulate_windows(np, np.ones((3, 3, 3, 3)), (5, 5), (3, 3), (1, 1), (1, 1))
    per_axis = np.array([1., 2., 3., 2., 1.])
    np.testing.assert_array_equal(counts, np.outer(per_axis, per_axis))


def test_window_view_is_a_view_and_read_only():
    x = np.arange(20.).reshape(4, 5)
    view = window_view(np, x, (2, 3), (1, 1), (1, 1))
    assert view.shape == (3, 3, 2, 3) and np.shares_memory(view, x)
    np.testing.assert_array_equal(view[1, 2], x[1:3, 2:5])
    with pytest.raises(ValueError):
        view[0, 0, 0, 0] = 1.0


def test_accumulate_windows_is_the_adjoint_of_the_window_view():
    rng = np.random.default_rng(8)
    x = rng.standard_normal((2, 9, 8))
    for kernel, stride, dilation in [((3, 2), (1, 2), (1, 1)), ((2, 3), (2, 1), (2, 2)),
                                     ((2, 2), (2, 2), (1, 1))]:
        view = window_view(np, x, kernel, stride, dilation)
        g = rng.standard_normal(view.shape)
        back = accumulate_windows(np, g, x.shape[1:], kernel, stride, dilation)
        assert np.isclose(np.sum(view * g), np.sum(x * back))


@pytest.mark.parametrize("call", [
    lambda: F.sum_pool2d(np.ones((1, 1, 4, 4)), 2, padding=2),      # padding > kernel / 2
    lambda: F.sum_pool2d(np.ones((1, 1, 4, 4)), 0),
    lambda: F.sum_pool2d(np.ones((4, 4)), 2),
    lambda: F.avg_pool2d(np.ones((1, 1, 4, 4)), 2, ceil_mode=True),
    lambda: F.max_pool2d(np.ones((1, 1, 4, 4)), "2"),
    lambda: F.sum_pool2d(np.ones((1, 1, 4, 4)), (2, 2, 2)),
])
def test_pool_argument_errors(call):
    with pytest.raises(ct.ContractError):
        call()


def test_pool_larger_than_input_is_a_shape_error():
    with pytest.raises(ct.ShapeError):
        F.sum_pool2d(np.ones((1, 1, 3, 3)), 4)
    with pytest.raises(ct.ShapeError):
        F.sum_pool2d(np.ones((1, 1, 3, 3)), 4, stride=1)
    assert pad_pairs(1, 2) == ((1, 1), (1, 1))
