"""conv1d / conv2d against direct NumPy loops (float64 oracle), on arrays."""
import numpy as np
import pytest

import contract as ct
import contract.nn.functional as F
from contract.nn.conv import conv_equation
from oracles import conv_loops


CASES_2D = [
    # (batch, channels, H, W, out, kh, kw, stride, padding, dilation, groups)
    (2, 3, 7, 8, 4, 3, 2, 1, 0, 1, 1),
    (2, 4, 9, 9, 6, 3, 3, 2, 1, 1, 2),
    (1, 6, 10, 7, 6, 2, 3, (2, 1), (1, 0), (2, 1), 3),
    (2, 3, 8, 8, 4, 3, 3, 3, 2, 2, 1),
    (3, 2, 5, 5, 2, 1, 1, 1, 0, 1, 2),
    (2, 3, 6, 6, 4, 2, 2, 2, 0, 1, 1),      # the seed's shape family: k=2, stride 2
    (1, 4, 5, 6, 4, 3, 3, 1, 1, 1, 4),      # depthwise
    (2, 1, 4, 4, 3, 4, 4, 1, 0, 1, 1),      # kernel covers the input: 1x1 output
    (1, 2, 9, 5, 3, 2, 2, (3, 1), (2, 1), (3, 2), 1),
]


@pytest.mark.parametrize("case", CASES_2D)
@pytest.mark.parametrize("with_bias", [False, True])
def test_conv2d_matches_loops(case, with_bias):
    b, c, h, w, o, kh, kw, stride, padding, dilation, groups = case
    rng = np.random.default_rng(hash(case) % 2**32)
    x = rng.standard_normal((b, c, h, w))
    weight = rng.standard_normal((o, c // groups, kh, kw))
    bias = rng.standard_normal(o) if with_bias else None
    got = F.conv2d(x, weight, bias, stride=stride, padding=padding, dilation=dilation,
                   groups=groups)
    want = conv_loops(x, weight, bias, stride, padding, dilation, groups)
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-10)


def test_conv2d_random_sweep():
    rng = np.random.default_rng(7)
    for _ in range(25):
        groups = int(rng.choice([1, 2, 3]))
        c, o = groups * int(rng.integers(1, 3)), groups * int(rng.integers(1, 3))
        kh, kw = map(int, rng.integers(1, 4, size=2))
        stride = tuple(map(int, rng.integers(1, 4, size=2)))
        dilation = tuple(map(int, rng.integers(1, 3, size=2)))
        padding = tuple(map(int, rng.integers(0, 3, size=2)))
        h = dilation[0] * (kh - 1) + 1 + int(rng.integers(0, 5))
        w = dilation[1] * (kw - 1) + 1 + int(rng.integers(0, 5))
        x = rng.standard_normal((2, c, h, w))
        weight = rng.standard_normal((o, c // groups, kh, kw))
        got = F.conv2d(x, weight, stride=stride, padding=padding, dilation=dilation,
                       groups=groups)
        np.testing.assert_allclose(got, conv_loops(x, weight, None, stride, padding, dilation,
                                                   groups), rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("padding", ["same", "valid"])
@pytest.mark.parametrize("kernel", [(3, 3), (4, 3), (2, 2)])
def test_conv2d_string_padding(padding, kernel):
    rng = np.random.default_rng(3)
    x = rng.standard_normal((2, 3, 7, 8))
    weight = rng.standard_normal((4, 3) + kernel)
    got = F.conv2d(x, weight, padding=padding, dilation=2)
    want = conv_loops(x, weight, None, 1, padding, 2, 1)
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-10)
    if padding == "same":
        assert got.shape[2:] == x.shape[2:]


def test_conv2d_unbatched_and_float32():
    rng = np.random.default_rng(4)
    x = rng.standard_normal((3, 6, 6)).astype(np.float32)
    weight = rng.standard_normal((2, 3, 3, 3)).astype(np.float32)
    got = F.conv2d(x, weight, padding=1)
    assert got.shape == (2, 6, 6) and got.dtype == np.float32
    want = conv_loops(x[None].astype(np.float64), weight.astype(np.float64), padding=1)[0]
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("stride,padding,dilation,groups", [(1, 0, 1, 1), (2, 1, 1, 2),
                                                            (3, 2, 2, 1), (1, 1, 3, 4)])
def test_conv1d_matches_loops(stride, padding, dilation, groups):
    rng = np.random.default_rng(5)
    x = rng.standard_normal((2, 4, 13))
    weight = rng.standard_normal((8, 4 // groups, 3))
    bias = rng.standard_normal(8)
    got = F.conv1d(x, weight, bias, stride, padding, dilation, groups)
    np.testing.assert_allclose(got, conv_loops(x, weight, bias, stride, padding, dilation,
                                               groups), rtol=1e-10, atol=1e-10)


def test_conv_is_one_einsum_with_the_documented_equation():
    assert conv_equation(2, 1) == "o c i j, b c i j h w -> b o h w"
    assert conv_equation(2, 3) == "(g o) c i j, b (g c) i j h w -> b (g o) h w"
    rng = np.random.default_rng(6)
    x, weight = rng.standard_normal((2, 3, 6, 6)), rng.standard_normal((4, 3, 2, 2))
    windows = np.lib.stride_tricks.sliding_window_view(x, (2, 2), axis=(2, 3))
    direct = ct.einsum("b c h w i j, o c i j -> b o h w", windows, weight)
    np.testing.assert_allclose(F.conv2d(x, weight), direct, rtol=1e-12)


@pytest.mark.parametrize("x_shape,w_shape,kwargs,error", [
    ((2, 3, 5, 5), (4, 2, 3, 3), {}, ct.ShapeError),                 # channel mismatch
    ((2, 4, 5, 5), (3, 2, 3, 3), {"groups": 2}, ct.ShapeError),      # out not divisible
    ((2, 3, 2, 2), (4, 3, 3, 3), {}, ct.ShapeError),                 # kernel > input
    ((3, 5, 5), (4, 3, 3), {}, ct.ShapeError),                       # 3-D weight
    ((5, 5), (4, 3, 3, 3), {}, ct.ShapeError),                       # 2-D input
    ((2, 3, 5, 5), (4, 3, 3, 3), {"padding": "full"}, ct.ContractError),
    ((2, 3, 5, 5), (4, 3, 3, 3), {"padding": "same", "stride": 2}, ct.ContractError),
    ((2, 3, 5, 5), (4, 3, 3, 3), {"stride": 0}, ct.ContractError),
    ((2, 3, 5, 5), (4, 3, 3, 3), {"padding": -1}, ct.ContractError),
    ((2, 3, 5, 5), (4, 3, 3, 3), {"stride": (1, 2, 3)}, ct.ContractError),
    ((2, 3, 5, 5), (4, 3, 3, 3), {"groups": 0}, ct.ContractError),
])
def test_conv2d_errors(x_shape, w_shape, kwargs, error):
    with pytest.raises(error):
        F.conv2d(np.ones(x_shape), np.ones(w_shape), **kwargs)


def test_conv2d_bias_shape_error():
    with pytest.raises(ct.ShapeError, match="bias"):
        F.conv2d(np.ones((1, 3, 4, 4)), np.ones((2, 3, 3, 3)), bias=np.ones(3))
