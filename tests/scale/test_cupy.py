"""CuPy on a real GPU: the corpus, the dtype policy, semirings, slicing and Tensors vs NumPy.

Skips (with the reason) when CuPy is not installed or no CUDA GPU is visible.
"""
import numpy as np
import pytest

from oracles import CORPUS

try:
    import cupy
    _GPUS = cupy.cuda.runtime.getDeviceCount()
    _WHY = "" if _GPUS else "CuPy sees no CUDA GPU"
except ImportError:
    cupy, _WHY = None, "CuPy is not installed (pip install 'contract[gpu]')"
except Exception as err:      # CUDA driver / runtime missing: cupy raises its own errors
    cupy, _WHY = None, f"CuPy cannot reach a GPU: {type(err).__name__}: {err}"

if _WHY:
    pytest.skip(_WHY, allow_module_level=True)

import contract as ct  # noqa: E402


def _gpu(arrays):
    return [cupy.asarray(a) for a in arrays]


@pytest.mark.parametrize("case", CORPUS, ids=[c.id for c in CORPUS])
def test_corpus_on_gpu_matches_numpy(case):
    arrays = case.arrays(seed=0)
    got = ct.einsum(case.equation, *_gpu(arrays), **dict(case.sizes))
    assert isinstance(got, cupy.ndarray)
    np.testing.assert_allclose(cupy.asnumpy(got), case.expected(arrays), rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("dtype", ["int8", "uint8", "int16", "int32", "bool", "float16",
                                   "float32", "complex64"])
@pytest.mark.parametrize("equation", ["i,i->", "ij->j", "ij,jk->ik", "ij->ji", "ii->i"])
def test_dtype_policy_is_numpy_policy(dtype, equation):
    rng = np.random.default_rng(0)
    shapes = {"i,i->": [(50,), (50,)], "ij->j": [(6, 6)], "ij,jk->ik": [(6, 6), (6, 6)],
              "ij->ji": [(6, 6)], "ii->i": [(6, 6)]}[equation]
    arrays = [(rng.integers(0, 120, s) if dtype != "bool" else rng.integers(0, 2, s))
              .astype(dtype) for s in shapes]
    expected = ct.einsum(equation, *arrays)
    got = ct.einsum(equation, *_gpu(arrays))
    assert got.dtype == expected.dtype
    np.testing.assert_allclose(cupy.asnumpy(got).astype(np.float64),
                               np.asarray(expected).astype(np.float64), rtol=1e-3)


def test_gemm_and_plan_reuse():
    a, b = np.random.default_rng(1).random((2, 64, 64)).astype(np.float32)
    p = ct.plan("ij,jk->ik", a, b)
    got = p(*_gpu([a, b]))
    assert isinstance(got, cupy.ndarray) and p.steps[0].kernel == "gemm"
    np.testing.assert_allclose(cupy.asnumpy(got), a @ b, rtol=1e-5)


def test_diagonal_keeps_inf():
    x = np.diag([1.0, np.inf, 3.0])
    got = ct.einsum("ii->i", cupy.asarray(x))
    np.testing.assert_array_equal(cupy.asnumpy(got), [1.0, np.inf, 3.0])
    np.testing.assert_array_equal(cupy.asnumpy(ct.einsum("i->ii", got)), x)


def test_mixing_devices_is_an_error():
    with pytest.raises(ct.ContractError, match="different devices"):
        ct.einsum("i,i->", np.ones(3), cupy.ones(3))


@pytest.mark.parametrize("semiring", ["log", "maxplus", "minplus", "maxtimes"])
def test_semirings_on_gpu(semiring):
    arrays = [np.random.default_rng(2).uniform(0.1, 1, s) for s in [(5, 7), (7, 6), (6, 4)]]
    expected = ct.einsum("ij,jk,kl->il", *arrays, semiring=semiring)
    got = ct.einsum("ij,jk,kl->il", *_gpu(arrays), semiring=semiring)
    np.testing.assert_allclose(cupy.asnumpy(got), expected, rtol=1e-10)
    values, index = ct.einsum("ij,jk->ik", *_gpu(arrays[:2]), semiring="maxplus", argmax=True)
    assert isinstance(values, cupy.ndarray)
    assert all(isinstance(v, cupy.ndarray) for v in index.values())


def test_sliced_on_gpu():
    arrays = [np.random.default_rng(3).standard_normal(s) for s in
              [(7, 6, 7), (7, 8, 6), (6, 7, 7), (6, 8, 7)]]
    got = ct.sliced("abc,cde,efa,bdf->", *_gpu(arrays), memory_limit=30)
    assert isinstance(got, cupy.ndarray)
    np.testing.assert_allclose(cupy.asnumpy(got), np.einsum("abc,cde,efa,bdf->", *arrays),
                               rtol=1e-10)


# --- Tensors on the GPU (contract/tensor.py) ---------------------------------------------

def test_tensor_devices_and_transfers():
    t = ct.tensor([[1.0, 2.0], [3.0, 4.0]], device="cuda")
    assert str(t.device).startswith("cuda")
    assert str(t.cpu().device) == "cpu" and str(t.cpu().cuda().device).startswith("cuda")
    assert str(ct.ones(2).to("cuda").device).startswith("cuda")
    np.testing.assert_array_equal(t.cpu().numpy(), [[1.0, 2.0], [3.0, 4.0]])
    with pytest.raises(ct.ContractError):
        t.numpy()
    with pytest.raises(ct.ContractError):
        t + ct.ones(2, 2)


def _grads(device):
    rng = np.random.default_rng(4)
    x = ct.tensor(rng.standard_normal((3, 4)), dtype=ct.float64, device=device,
                  requires_grad=True)
    w = ct.tensor(rng.standard_normal((4, 5)), dtype=ct.float64, device=device,
                  requires_grad=True)
    y = ((x @ w).relu().sum(dim=1) + ct.einsum("ij,jk->i", x, w).exp().log()).mean()
    y.backward()
    return [t.grad.cpu().numpy() for t in (x, w)], y.cpu().item()


def test_autograd_on_gpu_matches_cpu():
    cpu_grads, cpu_value = _grads("cpu")
    gpu_grads, gpu_value = _grads("cuda")
    assert abs(cpu_value - gpu_value) < 1e-10
    for c, g in zip(cpu_grads, gpu_grads):
        np.testing.assert_allclose(g, c, rtol=1e-10)


def test_reductions_pooling_conv_on_gpu():
    import contract.nn.functional as F
    x = np.random.default_rng(5).standard_normal((2, 3, 8, 8))
    w = np.random.default_rng(6).standard_normal((4, 3, 3, 3))
    for fn in (lambda t, k: F.avg_pool2d(t, 2), lambda t, k: F.max_pool2d(t, 2),
               lambda t, k: F.conv2d(t, k, padding=1), lambda t, k: t.amax(dim=(2, 3)),
               lambda t, k: t.logsumexp(1), lambda t, k: t.std(dim=0)):
        on_cpu = fn(ct.tensor(x), ct.tensor(w)).numpy()
        on_gpu = fn(ct.tensor(x, device="cuda"), ct.tensor(w, device="cuda")).cpu().numpy()
        np.testing.assert_allclose(on_gpu, on_cpu, rtol=1e-5, atol=1e-6)


def test_out_on_gpu_writes_in_place():
    rng = np.random.default_rng(6)
    a, b = rng.standard_normal((64, 32)), rng.standard_normal((32, 48))
    out = cupy.zeros((3, 64, 100))
    ct.einsum("ij,jk->ik", *_gpu([a, b]), out=out[1, :, 10:58])
    np.testing.assert_allclose(cupy.asnumpy(out[1, :, 10:58]), a @ b, rtol=1e-12)
    assert not bool(out[0].any()) and not bool(out[1, :, :10].any())
    with pytest.raises(ct.ContractError, match="NumPy or CuPy"):
        ct.einsum("ij,jk->ik", *_gpu([a, b]), out=np.empty((64, 48)))


def test_conv3d_and_strided_conv_gradients_on_gpu():
    import contract.nn.functional as F
    rng = np.random.default_rng(7)
    x, w = rng.standard_normal((2, 4, 5, 6, 5)), rng.standard_normal((4, 2, 3, 2, 2))
    results = []
    for device in ("cpu", "cuda"):
        tx = ct.tensor(x, device=device, requires_grad=True)
        tw = ct.tensor(w, device=device, requires_grad=True)
        out = F.conv3d(tx, tw, stride=(2, 1, 2), padding=1, groups=2)
        (out * out).sum().backward()
        results.append([t.detach().cpu().numpy() for t in (out, tx.grad, tw.grad)])
    for cpu, gpu in zip(*results):
        np.testing.assert_allclose(gpu, cpu, rtol=1e-10, atol=1e-10)
