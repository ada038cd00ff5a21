"""ct.nn.Module / Parameter / layers: registration, nesting, zero_grad, training."""
import numpy as np
import pytest

import contract as ct
import contract.nn.functional as F


class SumLayer(ct.nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x):
        return ct.sum(x, dim=1)


class Block(ct.nn.Module):
    def __init__(self):
        super().__init__()
        self.scale = ct.nn.Parameter(ct.ones(3))
        self.inner = ct.nn.Linear(3, 2)
        self.shared = self.inner          # the same module twice: parameters once
        self.not_a_param = ct.ones(3)     # a plain tensor is not registered

    def forward(self, x):
        return self.inner(x * self.scale)


def test_sum_layer_from_the_seed():
    x = ct.randn(8, 32, 64)
    out = SumLayer()(x)
    assert tuple(out.shape) == (8, 64)
    np.testing.assert_allclose(out.numpy(), x.numpy().sum(axis=1), rtol=1e-5)


def test_parameter_is_a_leaf_tensor_that_requires_grad():
    data = ct.zeros(2, 3)
    p = ct.nn.Parameter(data)
    assert isinstance(p, ct.nn.Parameter) and isinstance(p, ct.Tensor)
    assert p.requires_grad and p.is_leaf
    assert not isinstance(data, ct.nn.Parameter)
    assert p.data_ptr() == data.data_ptr()
    assert not ct.nn.Parameter(ct.zeros(1), requires_grad=False).requires_grad


def test_named_parameters_walk_nested_modules_once():
    block = Block()
    names = [name for name, _ in block.named_parameters()]
    assert names == ["scale", "inner.weight", "inner.bias"]
    assert len(list(block.parameters())) == 3
    assert [name for name, _ in block.named_children()] == ["inner", "shared"]
    assert [name for name, _ in block.named_modules()] == ["", "inner"]
    assert list(block.parameters(recurse=False))[0] is block.scale


def test_reassigning_an_attribute_unregisters_it():
    block = Block()
    block.scale = ct.ones(3)
    assert [name for name, _ in block.named_parameters()] == ["inner.weight", "inner.bias"]
    del block.inner
    assert [name for name, _ in block.named_parameters()] == ["shared.weight", "shared.bias"]
    del block.shared
    assert [name for name, _ in block.named_parameters()] == []


def test_module_without_super_init_still_registers():
    class Lazy(ct.nn.Module):
        def __init__(self):
            self.w = ct.nn.Parameter(ct.ones(2))

        def forward(self, x):
            return x * self.w

    assert [name for name, _ in Lazy().named_parameters()] == ["w"]


def test_backward_fills_grads_and_zero_grad_clears_them():
    block = Block()
    block(ct.ones(4, 3)).sum().backward()
    grads = [p.grad for p in block.parameters()]
    assert all(g is not None for g in grads)
    np.testing.assert_allclose(block.inner.bias.grad.numpy(), [4., 4.])
    block.zero_grad(set_to_none=False)
    assert all(float(abs(p.grad).sum()) == 0 for p in block.parameters())
    block.zero_grad()
    assert all(p.grad is None for p in block.parameters())


def test_forward_missing_raises():
    with pytest.raises(NotImplementedError):
        ct.nn.Module()(ct.ones(1))


def test_linear_matches_numpy_and_torch_init_bounds():
    ct.manual_seed(0)
    layer = ct.nn.Linear(16, 4)
    w, b = layer.weight.detach().numpy(), layer.bias.detach().numpy()
    assert np.all(np.abs(w) <= 0.25) and np.all(np.abs(b) <= 0.25) and w.std() > 0.05
    x = np.random.default_rng(0).standard_normal((5, 16)).astype(np.float32)
    np.testing.assert_allclose(layer(ct.tensor(x)).detach().numpy(), x @ w.T + b, rtol=1e-5)
    assert ct.nn.Linear(3, 2, bias=False).bias is None
    assert len(list(ct.nn.Linear(3, 2, bias=False).parameters())) == 1


def test_conv_net_layers_compose_and_train_one_step():
    ct.manual_seed(1)
    net = ct.nn.Sequential(ct.nn.Conv2d(3, 4, 3, padding=1), ct.nn.ReLU(),
                           ct.nn.SumPool2d(2), ct.nn.Flatten(), ct.nn.Linear(4 * 4 * 4, 2))
    assert [n for n, _ in net.named_parameters()] == ["0.weight", "0.bias", "4.weight",
                                                        "4.bias"]
    x, target = ct.rand(6, 3, 8, 8), ct.randn(6, 2)

    def loss_value():
        return ((net(x) - target) ** 2).mean()

    loss = loss_value()
    loss.backward()
    before = float(loss.item())
    with ct.no_grad():
        for p in net.parameters():
            p -= 0.01 * p.grad
    assert float(loss_value().item()) < before


def test_module_repr_and_state_dict():
    net = ct.nn.Sequential(ct.nn.Conv2d(1, 2, 3), ct.nn.ReLU())
    text = repr(net)
    assert text.startswith("Sequential(") and "(0): Conv2d(1, 2" in text and "(1): ReLU()" in text
    assert list(net.state_dict()) == ["0.weight", "0.bias"]
    net.eval()
    assert not net[0].training
    net.register_buffer("running", ct.zeros(2))
    assert [n for n, _ in net.named_buffers()] == ["running"]


def test_register_parameter_rejects_plain_tensors():
    module = ct.nn.Module()
    with pytest.raises(ct.ContractError):
        module.register_parameter("w", ct.ones(2))


def test_pool_layers_match_functional():
    x = ct.rand(2, 3, 6, 6)
    np.testing.assert_allclose(ct.nn.MaxPool2d(2)(x).numpy(), F.max_pool2d(x, 2).numpy())
    np.testing.assert_allclose(ct.nn.AvgPool2d(3, 1, 1)(x).numpy(),
                               F.avg_pool2d(x, 3, 1, 1).numpy())
    conv = ct.nn.Conv1d(3, 2, 3, groups=1)
    assert tuple(conv(ct.rand(2, 3, 10)).shape) == (2, 2, 8)


# -- conv layer settings, ReLU(inplace) ----------------------------------------------------
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
