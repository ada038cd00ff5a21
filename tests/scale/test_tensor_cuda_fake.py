"""Tensors on device "cuda", run on CPU through a NumPy stand-in posing as ``cupy``.

Checks that the Tensor, its ops and autograd keep arrays on the device's array
module (no NumPy-only paths).  Real GPU runs are for ``tests/scale/test_cupy.py``.
"""
import numpy as np
import pytest

import contract as ct
from oracles import FakeCupyNdarray


def test_cuda_tensor_ops_and_gradients_stay_on_the_device(fake_cuda):
    data = np.array([[1.0, 2.0], [3.0, 4.0]])
    x = ct.tensor(data, device="cuda", requires_grad=True)
    assert x.device == "cuda" and isinstance(x._data, FakeCupyNdarray)
    y = ((x @ x) * 2 + x.exp()).sum(dim=0).mean()
    assert isinstance(y._data, FakeCupyNdarray)
    y.backward()
    assert isinstance(x.grad._data, FakeCupyNdarray)
    ones = np.full((2, 2), 0.5)
    want = 2 * (ones @ data.T + data.T @ ones) + np.exp(data) * ones
    np.testing.assert_allclose(np.asarray(x.grad._data), want)
    assert "device='cuda'" in repr(x)


def test_moving_between_devices_is_differentiable(fake_cuda):
    x = ct.tensor([1.0, 2.0], requires_grad=True)
    on_gpu = x.cuda()
    assert on_gpu.device == "cuda"
    back = (on_gpu * 3).cpu()
    assert back.device == "cpu" and type(back._data) is np.ndarray
    back.sum().backward()
    assert type(x.grad._data) is np.ndarray
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 3.0])
    with pytest.raises(ct.ContractError):
        on_gpu.detach().numpy()


def test_mixing_devices_is_a_contract_error(fake_cuda):
    a = ct.ones(2, device="cuda")
    with pytest.raises(ct.ContractError, match="different devices"):
        ct.einsum("i,i->", a, ct.ones(2))
    with pytest.raises(ct.ContractError, match="same device"):
        a + ct.ones(2)
    assert (a + 1).device == "cuda"


def test_pooling_and_convolutions_with_gradients_on_the_device(fake_cuda):
    """Window views through CuPy's ``as_strided`` (no ``writeable``), the tiled conv and
    pools, forward and backward, equal the CPU run and stay on the device."""
    import contract.nn.functional as F
    rng = np.random.default_rng(8)
    x, w = rng.standard_normal((2, 4, 7, 6)), rng.standard_normal((4, 2, 3, 3))
    w3 = rng.standard_normal((2, 4, 2, 2, 2))
    ops = [lambda t, k, k3: F.conv2d(t, k, stride=2, padding=1, groups=2),
           lambda t, k, k3: F.conv2d(t, k, padding=(1, 0), dilation=(1, 2), groups=2),
           lambda t, k, k3: F.conv3d(t[:, None], k3[:, :1], padding=1),
           lambda t, k, k3: F.max_pool2d(t, 2), lambda t, k, k3: F.avg_pool2d(t, 3, 2, 1),
           lambda t, k, k3: F.sum_pool2d(t, 2)]
    for op in ops:
        runs = []
        for device in ("cpu", "cuda"):
            ts = [ct.tensor(a, device=device, requires_grad=True) for a in (x, w, w3)]
            out = op(*ts)
            (out * out).sum().backward()
            if device == "cuda":
                assert isinstance(out._data, FakeCupyNdarray)
                assert isinstance(ts[0].grad._data, FakeCupyNdarray)
            runs.append([np.asarray(out.detach()._data)] + [
                np.asarray(t.grad._data) for t in ts if t.grad is not None])
        for cpu, gpu in zip(*runs):
            np.testing.assert_allclose(gpu, cpu, rtol=1e-10, atol=1e-12)
