"""A compiled program on "cuda" Tensors keeps every array on the device: its constants
(scales, captured arrays, identity leaves) are moved there once, at build time.  Run on CPU
with a NumPy stand-in posing as ``cupy`` (real GPUs: tests/test_cupy.py)."""
import types

import numpy as np
import pytest

import contract as ct
from conftest import install_fake_cupy


class DeviceArray(np.ndarray):
    """What the backend registry takes for a cupy.ndarray."""


DeviceArray.__module__ = "cupy"


class _Module(types.ModuleType):
    """``cupy`` as NumPy whose new arrays are DeviceArrays."""

    ndarray = DeviceArray

    def __getattr__(self, name):
        found = getattr(np, name)
        if isinstance(found, type) or not callable(found):
            return found
        return lambda *args, **kwargs: _on_device(found(*args, **kwargs))

    @staticmethod
    def asnumpy(array):
        return np.asarray(array).view(np.ndarray)


def _on_device(out):
    return out.view(DeviceArray) if type(out) is np.ndarray else out


@pytest.fixture
def device(monkeypatch):
    yield from install_fake_cupy(monkeypatch, _Module("cupy"), DeviceArray)


def test_a_compiled_program_stays_on_the_device(device):
    captured = np.arange(12.).reshape(4, 3)

    def fn(a, b):
        return ((a @ b).relu() @ captured * 0.5).sum(0), b.sum(0).expand(2, 4).sum()
    a = ct.tensor(np.ones((2, 3)), device="cuda", requires_grad=True)
    b = ct.tensor(np.linspace(-1, 1, 12).reshape(3, 4), device="cuda")
    compiled = ct.compile(fn)
    for got, want in zip(compiled(a, b), fn(a, b)):
        assert isinstance(got._data, DeviceArray)
        np.testing.assert_allclose(np.asarray(got._data), np.asarray(want._data), rtol=1e-12)
    grads = []
    for f in (compiled, fn):
        a.grad = None
        f(a, b)[0].sum().backward()
        grads.append(np.asarray(a.grad._data))
    np.testing.assert_allclose(grads[0], grads[1], rtol=1e-12)
