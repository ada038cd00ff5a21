"""Gradients of conv and pooling on Tensors: central differences (ct.testing.gradcheck)."""
import numpy as np
import pytest

import contract as ct
import contract.nn.functional as F
from contract.testing import gradcheck


def _leaf(shape, seed):
    return ct.tensor(np.random.default_rng(seed).standard_normal(shape), requires_grad=True)


CONV_CASES = [
    # (x shape, w shape, stride, padding, dilation, groups)
    ((2, 3, 5, 6), (4, 3, 3, 2), 1, 0, 1, 1),
    ((1, 4, 7, 7), (6, 2, 3, 3), 2, 1, 1, 2),
    ((2, 2, 8, 6), (2, 2, 2, 2), (3, 2), (2, 1), (2, 1), 1),   # gaps between windows
    ((1, 3, 6, 6), (3, 1, 2, 2), 2, 0, 1, 3),                  # depthwise, disjoint windows
]


@pytest.mark.parametrize("xs,ws,stride,padding,dilation,groups", CONV_CASES)
def test_conv2d_gradients(xs, ws, stride, padding, dilation, groups):
    x, w, b = _leaf(xs, 1), _leaf(ws, 2), _leaf((ws[0],), 3)
    assert gradcheck(lambda x, w, b: F.conv2d(x, w, b, stride, padding, dilation, groups),
                     (x, w, b))


def test_conv1d_gradients():
    x, w = _leaf((2, 2, 9), 4), _leaf((3, 2, 3), 5)
    assert gradcheck(lambda x, w: F.conv1d(x, w, stride=2, padding=1, dilation=2), (x, w))


@pytest.mark.parametrize("fn", [
    lambda x: F.sum_pool2d(x, 2),
    lambda x: F.sum_pool2d(x, 3),                   # 7x6 input: cropped
    lambda x: F.sum_pool2d(x, 3, stride=1, padding=1),
    lambda x: F.avg_pool2d(x, (2, 3), stride=(1, 2), padding=1),
    lambda x: F.avg_pool2d(x, 3, 2, 1, count_include_pad=False),
    lambda x: F.max_pool2d(x, 3, 2, 1),
    lambda x: F.max_pool2d(x, 2, dilation=2),
    lambda x: F.sum_pool1d(x.flatten(2), 3, 2),
    lambda x: F.max_pool1d(x.flatten(2), 3, 2, 1),
])
def test_pooling_gradients(fn):
    assert gradcheck(fn, (_leaf((2, 2, 7, 6), 6),))


def test_conv2d_input_gradient_is_the_window_count_map():
    """A 3x3 all-ones kernel on a 5x5 input: d(sum of outputs)/dx counts windows."""
    x = ct.ones(1, 1, 5, 5, requires_grad=True)
    F.conv2d(x, ct.ones(1, 1, 3, 3)).sum().backward()
    per_axis = np.array([1., 2., 3., 2., 1.])
    np.testing.assert_array_equal(x.grad.numpy()[0, 0], np.outer(per_axis, per_axis))


def test_conv2d_weight_gradient_is_the_window_sum():
    x = ct.arange(25.).reshape(1, 1, 5, 5)
    w = ct.ones(1, 1, 3, 3, requires_grad=True)
    F.conv2d(x, w).sum().backward()
    data = np.arange(25.).reshape(5, 5)
    want = np.array([[data[i:i + 3, j:j + 3].sum() for j in range(3)] for i in range(3)])
    np.testing.assert_allclose(w.grad.numpy()[0, 0], want)


def test_max_pool_gradient_goes_to_the_first_maximum_at_ties():
    x = ct.zeros(1, 1, 2, 4, requires_grad=True)
    F.max_pool2d(x, 2).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy()[0, 0], [[1., 0., 1., 0.], [0., 0., 0., 0.]])


def test_tensor_results_keep_float32_and_shape():
    x = ct.rand(2, 3, 8, 8, requires_grad=True)
    w = ct.rand(4, 3, 3, 3, requires_grad=True)
    y = F.sum_pool2d(F.conv2d(x, w, padding=1).relu(), 2)
    assert isinstance(y, ct.Tensor) and y.dtype == ct.float32 and tuple(y.shape) == (2, 4, 4, 4)
    y.sum().backward()
    assert x.grad.dtype == ct.float32 and tuple(w.grad.shape) == (4, 3, 3, 3)


def test_max_pool_return_indices_on_tensors():
    x = ct.tensor([[[[1., 5.], [3., 2.]]]], requires_grad=True)
    values, indices = F.max_pool2d(x, 2, return_indices=True)
    assert values.item() == 5.0 and indices.item() == 1 and not indices.requires_grad


@pytest.mark.parametrize("stride", [1, 2])
@pytest.mark.parametrize("kinds", ["cc", "cr", "rc"])
def test_complex_conv_gradients_follow_torchs_convention(stride, kinds):
    """z.grad = dL/dx + i dL/dy (conjugated VJPs); a real operand gets a real gradient."""
    rng = np.random.default_rng(31)

    def draw(shape, kind):
        a = rng.standard_normal(shape)
        return a + 1j * rng.standard_normal(shape) if kind == "c" else a
    x = ct.tensor(draw((2, 2, 5, 6), kinds[0]), requires_grad=True)
    w = ct.tensor(draw((3, 2, 3, 2), kinds[1]), requires_grad=True)
    assert gradcheck(lambda x, w: F.conv2d(x, w, stride=stride, padding=1), (x, w))
    (abs(F.conv2d(x, w, stride=stride, padding=1)) ** 2).sum().backward()
    for t, kind in zip((x, w), kinds):
        assert np.iscomplexobj(t.grad.numpy()) == (kind == "c")
