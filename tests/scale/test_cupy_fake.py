"""The CuPy backend's wiring, checked on CPU with a NumPy stand-in posing as ``cupy``.

No GPU is needed: a fake ``cupy`` module (NumPy underneath, its own array type
that is not an ndarray) is put in ``sys.modules`` for the duration of each test, so the
lazy loader, ``backends/cupy_backend.py``, the kernels, the dtype policy and
diagonal embedding all run through the CuPy code path.  What only a GPU can
show (cuBLAS, cuTENSOR, device memory, speed) is in ``tests/scale/test_cupy.py``.
"""
import subprocess
import sys

import numpy as np
import pytest

import contract as ct
import contract.backends as backends
from oracles import FakeCupyArray, conv_loops


def _on_fake(arrays):
    return [FakeCupyArray(np.asarray(a)) for a in arrays]


EQUATIONS = [
    ("ij,jk->ik", [(4, 5), (5, 3)], {}),
    ("bij,bjk->bik", [(2, 3, 4), (2, 4, 5)], {}),
    ("ij,ij->i", [(3, 4), (3, 4)], {}),
    ("ii->i", [(4, 4)], {}),
    ("i->ii", [(4,)], {}),
    ("b (h p) -> b h", [(2, 6)], {"p": 3}),
    ("pi,qj,ijkl,rk,sl->pqrs", [(2, 3), (2, 4), (3, 4, 2, 3), (2, 2), (2, 3)], {}),
]


@pytest.mark.parametrize("equation,shapes,sizes", EQUATIONS, ids=[e[0] for e in EQUATIONS])
def test_cupy_path_matches_numpy(fake_cupy, equation, shapes, sizes):
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal(s) for s in shapes]
    got = ct.einsum(equation, *_on_fake(arrays), **sizes)
    assert backends.backend_for(_on_fake(arrays[:1])).name == "cupy"
    assert isinstance(got, FakeCupyArray)
    np.testing.assert_allclose(np.asarray(got), ct.einsum(equation, *arrays, **sizes),
                               rtol=1e-12)


@pytest.mark.parametrize("dtype", ["int8", "uint8", "bool", "float16", "float32"])
def test_dtype_policy_matches_numpy(fake_cupy, dtype):
    x = (np.arange(60) % 7).astype(dtype)
    for equation in ("i,i->", "i->i"):
        operands = [x, x] if "," in equation else [x]
        got = ct.einsum(equation, *_on_fake(operands))
        expected = ct.einsum(equation, *operands)
        assert isinstance(got, FakeCupyArray) and got.dtype == expected.dtype
        np.testing.assert_array_equal(np.asarray(got), np.asarray(expected))


def test_mixing_numpy_and_cupy_is_an_error(fake_cupy):
    with pytest.raises(ct.ContractError, match="different devices"):
        ct.einsum("i,i->", np.ones(3), FakeCupyArray(np.ones(3)))


def test_sliced_on_the_cupy_path(fake_cupy):
    rng = np.random.default_rng(1)
    arrays = [rng.standard_normal((6, 6, 6)) for _ in range(4)]
    loop = "abc,cde,efa,bdf->"
    got = ct.sliced(loop, *_on_fake(arrays), memory_limit=216)
    assert isinstance(got, FakeCupyArray)
    np.testing.assert_allclose(np.asarray(got), np.einsum(loop, *arrays), rtol=1e-12)


def test_out_and_tiled_conv_on_the_cupy_path(fake_cupy):
    """out= and the tiled conv (scratch buffers, GEMMs into output views, col2im) with
    device arrays whose flags are CuPy's."""
    import contract.nn.functional as F
    rng = np.random.default_rng(2)
    a, b = rng.standard_normal((6, 4)), rng.standard_normal((4, 5))
    out = FakeCupyArray(np.zeros((6, 5)))
    assert ct.einsum("ij,jk->ik", *_on_fake([a, b]), out=out) is out
    np.testing.assert_allclose(np.asarray(out), a @ b, rtol=1e-12)
    x, w = rng.standard_normal((3, 2, 7, 6)), rng.standard_normal((4, 2, 3, 3))
    for stride, padding in [(1, 1), (2, 0)]:
        got = F.conv2d(*_on_fake([x, w]), stride=stride, padding=padding)
        assert isinstance(got, FakeCupyArray)
        np.testing.assert_allclose(np.asarray(got), conv_loops(x, w, None, stride, padding),
                                   atol=1e-10)


def test_import_contract_loads_neither_cupy_nor_dask():
    code = ("import sys, numpy as np, contract as ct; ct.einsum('ij->i', np.ones((2, 2))); "
            "print(sorted(m for m in ('cupy', 'dask', 'distributed', 'torch') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
