"""Dask operands: lazy results, chunk alignment, every kind of step, vs NumPy (float64)."""
import numpy as np
import pytest

da = pytest.importorskip("dask.array", reason="dask is not installed (extra 'distributed')")
import dask  # noqa: E402

import contract as ct  # noqa: E402
from contract.backends.dask_backend import align_chunks, einsum as dask_einsum, matmul  # noqa: E402
from oracles import operands  # noqa: E402

# (equation, shapes, keyword sizes)
CORPUS = [
    ("ij,jk->ik", [(7, 9), (9, 5)], {}),
    ("ij,jk,kl->il", [(6, 8), (8, 5), (5, 7)], {}),
    ("bij,bjk->bik", [(3, 4, 6), (3, 6, 5)], {}),
    ("abc,cd->abd", [(4, 3, 6), (6, 5)], {}),
    ("abcd,cdef->abef", [(3, 4, 5, 2), (5, 2, 4, 3)], {}),
    ("ij,ij->i", [(6, 8), (6, 8)], {}),
    ("i,j->ij", [(5,), (7,)], {}),
    ("ij,j->ij", [(6, 4), (4,)], {}),
    ("ijk->", [(4, 5, 6)], {}),
    ("ijk->kji", [(4, 5, 6)], {}),
    ("ii->i", [(6, 6)], {}),
    ("iij->j", [(5, 5, 4)], {}),
    ("ii,ij->j", [(5, 5), (5, 3)], {}),
    ("i->ii", [(6,)], {}),
    ("ij->iji", [(4, 3)], {}),
    ("...ij,...jk->...ik", [(2, 3, 4, 5), (3, 5, 2)], {}),
    ("b (h p) -> b h", [(4, 12)], {"p": 3}),
    ("b h w -> b (h w)", [(3, 4, 5)], {}),
    ("pi,qj,ijkl,rk,sl->pqrs", [(3, 4), (3, 5), (4, 5, 6, 2), (3, 6), (3, 2)], {}),
    ("ij,ij->ij", [(1, 5), (6, 5)], {}),
    ("ab,bc,cd,de->ae", [(5, 9), (9, 8), (8, 7), (7, 6)], {}),
]


def _chunked(arrays, seed):
    """Dask operands with different, mismatched chunking per operand."""
    rng = np.random.default_rng(seed + 100)
    return [da.from_array(a, chunks=tuple(int(rng.integers(1, max(d, 1) + 1)) for d in a.shape))
            if a.ndim else da.from_array(a) for a in arrays]


def _oracle(equation, arrays, sizes):
    return ct.einsum(equation, *arrays, **sizes)


@pytest.mark.parametrize("equation,shapes,sizes", CORPUS, ids=[c[0] for c in CORPUS])
def test_corpus_matches_numpy(equation, shapes, sizes):
    arrays = operands(shapes, seed=len(equation))
    expected = _oracle(equation, arrays, sizes)
    got = ct.einsum(equation, *_chunked(arrays, seed=len(equation)), **sizes)
    assert isinstance(got, da.Array)
    computed = got.compute(scheduler="threads")
    assert computed.shape == expected.shape
    np.testing.assert_allclose(computed, expected, rtol=1e-10, atol=1e-10)


def test_diagonal_embedding_has_no_nan_from_inf():
    v = np.array([1.0, np.inf, 3.0, 4.0])
    got = ct.einsum("i->ii", da.from_array(v, chunks=3)).compute()
    expected = np.diag(v)
    np.testing.assert_array_equal(got, expected)


def test_plan_runs_on_dask_and_numpy():
    a, b = operands([(8, 6), (6, 4)], seed=1)
    p = ct.plan("ij,jk->ik", a, b)
    lazy = p(da.from_array(a, chunks=(3, 2)), da.from_array(b, chunks=(4, 4)))
    assert isinstance(lazy, da.Array)
    np.testing.assert_allclose(lazy.compute(), a @ b, rtol=1e-12)
    np.testing.assert_allclose(p(a, b), a @ b, rtol=1e-12)


def test_mixed_numpy_and_dask_operands():
    a, b = operands([(5, 6), (6, 3)], seed=2)
    got = ct.einsum("ij,jk->ik", da.from_array(a, chunks=2), b)
    assert isinstance(got, da.Array)
    np.testing.assert_allclose(got.compute(), a @ b, rtol=1e-12)


def test_integer_dtype_policy_is_numpy_policy():
    x = np.arange(-64, 64, dtype=np.int8)
    got = ct.einsum("i,i->", da.from_array(x, chunks=16), da.from_array(x, chunks=32))
    expected = ct.einsum("i,i->", x, x)
    assert got.dtype == expected.dtype == np.int64
    assert int(got.compute()) == int(expected) == int((x.astype(np.int64) ** 2).sum())


def test_float16_result_dtype():
    x = np.linspace(0, 1, 40).astype(np.float16).reshape(5, 8)
    got = ct.einsum("ij->i", da.from_array(x, chunks=3))
    assert got.dtype == np.float16
    np.testing.assert_allclose(got.compute(), ct.einsum("ij->i", x), rtol=1e-3)


def test_align_chunks_moves_only_the_smaller_operand():
    big = da.ones((40, 30), chunks=(10, 15))
    small = da.ones((30, 5), chunks=(7, 5))
    a, b = align_chunks([big, small], ["ij", "jk"])
    assert a is big                                   # the big operand is never rechunked
    assert b.chunks == ((15, 15), (5,))


def test_matmul_is_one_task_layer_per_output_block():
    a = da.ones((8, 12), chunks=(4, 3))
    b = da.ones((12, 6), chunks=(5, 3))
    c = matmul(a, b)
    assert c.chunks == ((4, 4), (3, 3))
    np.testing.assert_allclose(c.compute(), np.full((8, 6), 12.0))


def test_large_panels_fall_back_to_partial_sums():
    a = da.ones((6, 40), chunks=(3, 10))
    b = da.ones((40, 4), chunks=(10, 2))
    with dask.config.set({"array.chunk-size": "100B"}):
        c = matmul(a, b)
        d = dask_einsum("ij,ij->i", a, a)
    np.testing.assert_allclose(c.compute(), np.full((6, 4), 40.0))
    np.testing.assert_allclose(d.compute(), np.full(6, 40.0))


def test_empty_operand():
    a = da.zeros((0, 3), chunks=1)
    got = ct.einsum("ij->j", a)
    np.testing.assert_array_equal(got.compute(), np.zeros(3))


@pytest.mark.parametrize("semiring", ["log", "maxplus", "minplus", "maxtimes"])
def test_semiring_plans_on_dask(semiring):
    try:
        ct.get_semiring(semiring)
    except ct.ContractError:
        pytest.skip(f"semiring {semiring!r} is not registered yet")
    rng = np.random.default_rng(5)
    arrays = [rng.uniform(0.1, 1.0, s) for s in [(5, 7), (7, 6), (6, 4)]]
    expected = ct.einsum("ij,jk,kl->il", *arrays, semiring=semiring)
    got = ct.einsum("ij,jk,kl->il", *_chunked(arrays, seed=5), semiring=semiring)
    assert isinstance(got, da.Array)
    np.testing.assert_allclose(got.compute(), expected, rtol=1e-12)
