"""Training layers (contract/nn/training.py), Module state and modes, and
examples/train_convnet.py against the same script in torch."""
import importlib.util
import io
from pathlib import Path

import numpy as np
import pytest

import contract as ct
import contract.nn as nn

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "train_convnet.py"


def _example():
    spec = importlib.util.spec_from_file_location("train_convnet_example", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _net():
    return nn.Sequential(nn.Conv2d(1, 4, 3), nn.BatchNorm2d(4), nn.ReLU(), nn.Flatten(),
                         nn.Dropout(0.2), nn.Linear(4 * 4 * 4, 8), nn.LayerNorm(8),
                         nn.Linear(8, 3), nn.Softmax(dim=1))


# -- modules and Module state -------------------------------------------------------------------
def test_train_eval_switch_every_submodule():
    net = _net()
    assert all(m.training for m in net.modules())
    assert net.eval() is net and not any(m.training for m in net.modules())
    net.train()
    assert all(m.training for m in net.modules())


def test_dropout_and_batch_norm_follow_the_mode():
    ct.manual_seed(0)
    drop = nn.Dropout(0.5)
    x = ct.ones(200)
    assert (drop(x).numpy() == 0).any()
    assert drop.eval()(x) is x
    bn = nn.BatchNorm1d(3, momentum=None)                       # cumulative average
    batches = [ct.randn(10, 3) * 2 + 1 for _ in range(3)]
    for b in batches:
        bn(b)
    means = np.mean([b.numpy().mean(0) for b in batches], axis=0)
    np.testing.assert_allclose(bn.running_mean.numpy(), means, rtol=1e-5)
    assert bn.num_batches_tracked.item() == 3
    bn.eval()
    before = bn.running_mean.numpy().copy()
    out = bn(batches[0])
    assert (bn.running_mean.numpy() == before).all() and bn.num_batches_tracked.item() == 3
    want = (batches[0].numpy() - before) / np.sqrt(bn.running_var.numpy() + 1e-5)
    np.testing.assert_allclose(out.detach().numpy(), want, rtol=1e-5)
    with pytest.raises(ct.ContractError, match="expected 2D or 3D input"):
        bn(ct.ones(2, 3, 4, 5))
    with pytest.raises(ct.ContractError, match="expected 4D input"):
        nn.BatchNorm2d(3)(ct.ones(2, 3))


def test_named_parameters_zero_grad_and_state_dict_keys():
    net = _net()
    names = [n for n, _ in net.named_parameters()]
    assert names == ["0.weight", "0.bias", "1.weight", "1.bias", "5.weight", "5.bias",
                     "6.weight", "6.bias", "7.weight", "7.bias"]
    net(ct.randn(5, 1, 6, 6)).sum().backward()
    assert all(p.grad is not None for p in net.parameters())
    net.zero_grad()
    assert all(p.grad is None for p in net.parameters())
    state = net.state_dict()
    assert list(state)[:7] == ["0.weight", "0.bias", "1.weight", "1.bias", "1.running_mean",
                               "1.running_var", "1.num_batches_tracked"]
    assert all(type(v) is np.ndarray for v in state.values())
    state["0.weight"][...] = 0                                  # a copy, not the parameter
    assert net[0].weight.abs().sum().item() > 0


def test_state_dict_round_trip_through_np_savez():
    ct.manual_seed(1)
    source, target = _net(), _net()
    source(ct.randn(6, 1, 6, 6))                                # moves the running statistics
    buffer = io.BytesIO()
    np.savez(buffer, **source.state_dict())
    buffer.seek(0)
    result = target.load_state_dict(np.load(buffer))
    assert result.missing_keys == [] and result.unexpected_keys == []
    for (name, a), (_, b) in zip(source.state_dict().items(), target.state_dict().items()):
        np.testing.assert_array_equal(a, b, err_msg=name)
    x = ct.randn(4, 1, 6, 6)
    source.eval(), target.eval()
    np.testing.assert_array_equal(source(x).detach().numpy(), target(x).detach().numpy())


def test_load_state_dict_checks_keys_and_shapes():
    net = nn.Linear(3, 2)
    state = net.state_dict()
    with pytest.raises(ct.ContractError, match="size mismatch for weight"):
        net.load_state_dict({"weight": np.zeros((3, 3)), "bias": np.zeros(2)})
    with pytest.raises(ct.ContractError, match="Missing key.*'bias'"):
        net.load_state_dict({"weight": state["weight"]})
    with pytest.raises(ct.ContractError, match="Unexpected key.*'extra'"):
        net.load_state_dict(dict(state, extra=np.zeros(1)))
    result = net.load_state_dict({"weight": np.ones((2, 3)), "extra": 1}, strict=False)
    assert result.missing_keys == ["bias"] and result.unexpected_keys == ["extra"]
    assert net.weight.tolist() == [[1.0] * 3] * 2 and net.weight.dtype == np.float32


def test_non_persistent_buffers_and_dtype_conversion():
    module = nn.Module()
    module.register_buffer("kept", ct.ones(2))
    module.register_buffer("scratch", ct.zeros(2), persistent=False)
    assert list(module.state_dict()) == ["kept"]
    assert [n for n, _ in module.named_buffers()] == ["kept", "scratch"]
    net = nn.Sequential(nn.Linear(2, 2), nn.BatchNorm1d(2)).double()
    assert {v.dtype.name for v in net.state_dict().values()} == {"float64", "int64"}


def test_loss_modules_and_repr():
    x, t = ct.randn(4, 3, requires_grad=True), ct.tensor([0, 2, 1, 2])
    weight = ct.tensor([1., 2., 3.])
    loss = nn.CrossEntropyLoss(weight=weight, label_smoothing=0.1)
    expected = nn.functional.cross_entropy(x, t, weight=weight, label_smoothing=0.1)
    assert loss(x, t).item() == expected.item()
    assert list(loss.state_dict()) == ["weight"] and list(nn.CrossEntropyLoss().state_dict()) == []
    assert nn.MSELoss(reduction="none")(x, x * 0).shape == (4, 3)
    assert repr(nn.LayerNorm(8)) == "LayerNorm((8,), eps=1e-05, elementwise_affine=True)"
    assert repr(nn.BatchNorm1d(3)) == ("BatchNorm1d(3, eps=1e-05, momentum=0.1, affine=True, "
                                       "track_running_stats=True)")
    assert repr(nn.Dropout(0.3)) == "Dropout(p=0.3, inplace=False)"
    assert repr(nn.Softmax(1)) == "Softmax(dim=1)"
    with pytest.raises(ct.ContractError, match="between 0 and 1"):
        nn.Dropout(2.0)
    with pytest.raises(ct.ContractError, match="reduction"):
        nn.MSELoss(reduction="max")


def test_layer_norm_without_affine_and_batch_norm_without_tracking():
    assert list(nn.LayerNorm(4, elementwise_affine=False).state_dict()) == []
    assert list(nn.LayerNorm(4, bias=False).state_dict()) == ["weight"]
    bn = nn.BatchNorm1d(2, affine=False, track_running_stats=False)
    assert list(bn.state_dict()) == []
    out = bn.eval()(ct.tensor([[1., 2.], [3., 6.]]))          # batch statistics even in eval
    np.testing.assert_allclose(out.numpy(), [[-1, -1], [1, 1]], rtol=1e-4)


# -- against torch -------------------------------------------------------------------------------
def _torch():
    return pytest.importorskip("torch")


def test_layers_and_state_dict_keys_against_torch():
    torch = _torch()
    tnn = torch.nn
    ct.manual_seed(2)
    net = _net().double()
    twin = tnn.Sequential(tnn.Conv2d(1, 4, 3), tnn.BatchNorm2d(4), tnn.ReLU(), tnn.Flatten(),
                          tnn.Dropout(0.2), tnn.Linear(4 * 4 * 4, 8), tnn.LayerNorm(8),
                          tnn.Linear(8, 3), tnn.Softmax(dim=1)).double()
    assert list(net.state_dict()) == list(twin.state_dict())
    twin.load_state_dict({k: torch.from_numpy(v) for k, v in net.state_dict().items()})
    net.eval(), twin.eval()                                     # no dropout: same values
    x = np.random.default_rng(3).standard_normal((5, 1, 6, 6))
    np.testing.assert_allclose(net(ct.tensor(x)).detach().numpy(),
                               twin(torch.tensor(x)).detach().numpy(), rtol=1e-12)
    net[4].p = twin[4].p = 0.0
    net.train(), twin.train()
    for _ in range(2):                                          # batch statistics, running ones
        net(ct.tensor(x)), twin(torch.tensor(x))
    for k, v in twin.state_dict().items():
        np.testing.assert_allclose(net.state_dict()[k], v.numpy(), rtol=1e-12, err_msg=k)


class _TorchConvNet:
    """examples/train_convnet.py's ConvNet in torch (SumPool2d is avg_pool2d * 16)."""

    def __new__(cls, torch):
        tnn = torch.nn

        class TorchConvNet(tnn.Module):
            def __init__(self):
                super().__init__()
                self.conv = tnn.Conv2d(1, 8, kernel_size=3, padding=1)
                self.norm = tnn.BatchNorm2d(8)
                self.pool = tnn.AvgPool2d(4)
                self.drop = tnn.Dropout(0.0)
                self.fc = tnn.Linear(8 * 3 * 3, 2)

            def forward(self, x):
                x = self.pool(self.norm(self.conv(x)).relu()) * 16.0
                return self.fc(self.drop(x.flatten(1)))
        return TorchConvNet()


def test_train_convnet_example_matches_torch_for_five_steps():
    torch = _torch()
    example = _example()
    ct.manual_seed(0)
    images, labels = example.make_data(64, np.random.default_rng(0))
    images = images.astype(np.float64)
    net = example.ConvNet(dropout=0.0).double()
    twin = _TorchConvNet(torch).double()
    twin.load_state_dict({k: torch.from_numpy(v) for k, v in net.state_dict().items()})
    losses = example.train(net, images, labels, steps=5, lr=0.01)
    optimizer = torch.optim.Adam(twin.parameters(), lr=0.01)
    loss_fn = torch.nn.CrossEntropyLoss()
    x, target = torch.from_numpy(images), torch.from_numpy(labels)
    twin_losses = []
    for _ in range(5):
        optimizer.zero_grad()
        loss = loss_fn(twin(x), target)
        loss.backward()
        optimizer.step()
        twin_losses.append(loss.item())
    np.testing.assert_allclose(losses, twin_losses, rtol=0, atol=1e-9)    # the goal: 1e-6
    assert losses[-1] < losses[0]
    for k, v in twin.state_dict().items():
        # BatchNorm cancels the conv bias: Adam turns its ~1e-17 gradients into lr-sized
        # steps, so it (and the running mean it shifts) agrees only to ~1e-8
        tol = 1e-6 if k in ("conv.bias", "norm.running_mean") else 1e-12
        np.testing.assert_allclose(net.state_dict()[k], v.numpy(), rtol=0, atol=tol, err_msg=k)
