"""The einops-style functions and numpy's ``order=`` on the CuPy path, with the NumPy
stand-in of ``oracles.fake_cupy_module`` posing as ``cupy`` (no GPU needed)."""
import numpy as np
import pytest

import contract as ct
from oracles import FakeCupyArray


@pytest.fixture
def on_device(fake_cupy):
    yield


CASES = [
    (ct.rearrange, ("b c (h p) (w q) -> b (c p q) h w",), {"p": 2, "q": 2}),
    (ct.reduce, ("b c (h p) (w q) -> b c h w", "mean"), {"p": 2, "q": 2}),
    (ct.reduce, ("b c h w -> b 1 c", "max"), {}),
    (ct.reduce, ("b c h w -> c", "prod"), {}),
    (ct.reduce, ("b c h w -> b", "logsumexp"), {}),
    (ct.repeat, ("b c h w -> b c (h k) w j",), {"k": 2, "j": 3}),
]


@pytest.mark.parametrize("fn, args, sizes", CASES, ids=[c[1][0] + str(c[1][1:]) for c in CASES])
def test_einops_functions_stay_on_the_device(on_device, fn, args, sizes):
    x = np.random.default_rng(2).standard_normal((2, 3, 4, 4))
    got = fn(FakeCupyArray(x), *args, **sizes)
    assert isinstance(got, FakeCupyArray)
    np.testing.assert_allclose(np.asarray(got), fn(x, *args, **sizes), rtol=1e-12)


def test_order_on_the_device(on_device):
    a, b = np.ones((3, 4)), np.ones((4, 5))
    got = ct.einsum("ij,jk->ik", FakeCupyArray(a), FakeCupyArray(b), order="F")
    assert isinstance(got, FakeCupyArray) and got.flags.f_contiguous
    np.testing.assert_allclose(np.asarray(got), a @ b)
