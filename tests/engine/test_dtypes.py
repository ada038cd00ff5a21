"""The dtype policy (README, "How it runs"): no silent overflow, float16 in float32, promotion,
torch's dtype names."""
import numpy as np
import pytest

import contract as ct

SMALL_INTS = [np.int8, np.int16, np.int32, np.uint8, np.uint16, np.uint32, np.bool_]


def _big(dtype, shape):
    """Values near the top of ``dtype`` so that summing in ``dtype`` would wrap."""
    if dtype is np.bool_:
        return np.ones(shape, dtype=bool)
    return np.full(shape, min(np.iinfo(dtype).max - 1, 100_000), dtype=dtype)


@pytest.mark.parametrize("dtype", SMALL_INTS)
@pytest.mark.parametrize("equation, shapes", [
    ("i->", [(300,)]), ("ij->j", [(300, 2)]), ("ii->", [(300, 300)]),
    ("i,i->", [(300,), (300,)]), ("i,i->i", [(5,), (5,)]), ("ij,jk->ik", [(2, 300), (300, 3)]),
    ("bij,bjk->bik", [(2, 3, 300), (2, 300, 2)]), ("i,j->ij", [(3,), (4,)]),
    ("ij,jk,kl->il", [(2, 30), (30, 30), (30, 2)]),
])
def test_reductions_and_products_accumulate_in_int64(dtype, equation, shapes):
    arrays = [_big(dtype, s) for s in shapes]
    got = ct.einsum(equation, *arrays)
    assert got.dtype == np.int64
    expected = np.einsum(equation, *[a.astype(object) for a in arrays])
    assert np.asarray(got).tolist() == np.asarray(expected).tolist()


@pytest.mark.parametrize("dtype", SMALL_INTS + [np.int64, np.float16, np.float32, np.complex64])
@pytest.mark.parametrize("equation, shape", [
    ("ij->ji", (2, 3)), ("ii->i", (3, 3)), ("...ij->...ji", (4, 2, 3)), ("ij->ij", (2, 3)),
    ("iij->ji", (2, 2, 3)),
])
def test_rearrangements_keep_the_input_dtype(dtype, equation, shape):
    x = _big(dtype, shape) if dtype in SMALL_INTS else np.arange(np.prod(shape)).reshape(
        shape).astype(dtype)
    got = ct.einsum(equation, x)
    assert got.dtype == np.dtype(dtype)
    np.testing.assert_array_equal(got, np.einsum(equation, x))


def test_int64_products_stay_int64():
    a = np.arange(6, dtype=np.int64).reshape(2, 3)
    got = ct.einsum("ij,jk->ik", a, a.T)
    assert got.dtype == np.int64
    np.testing.assert_array_equal(got, a @ a.T)


def test_float16_sum_accumulates_in_float32():
    x = np.ones(10000, dtype=np.float16)
    got = ct.einsum("i->", x)
    assert got.dtype == np.float16
    assert float(got) == 10000.0     # float16 accumulation stops at 2048
    assert np.cumsum(x)[-1] == 2048.0   # what a float16 accumulator would give


@pytest.mark.parametrize("equation, shapes", [
    ("ij,jk->ik", [(3, 3000), (3000, 4)]), ("i,i->", [(5000,), (5000,)]),
    ("bij->b", [(2, 60, 60)]), ("ij,ij->i", [(2, 4000), (2, 4000)]),
    ("ij,jk,kl->il", [(3, 500), (500, 6), (6, 2)]),
])
def test_float16_matches_a_float32_computation(equation, shapes):
    rng = np.random.default_rng(0)
    arrays = [rng.uniform(0.0, 1.0, s).astype(np.float16) for s in shapes]
    got = ct.einsum(equation, *arrays)
    assert got.dtype == np.float16
    reference = np.einsum(equation, *[a.astype(np.float32) for a in arrays]).astype(np.float16)
    np.testing.assert_allclose(got.astype(np.float64), reference.astype(np.float64), rtol=2e-3)


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64, np.int32, np.int8,
                                   np.complex128, np.float16])
def test_dtype_override_sets_the_result_dtype(dtype):
    a = np.arange(12, dtype=np.int64).reshape(3, 4)
    got = ct.einsum("ij,jk->ik", a, a.T, dtype=dtype)
    assert got.dtype == np.dtype(dtype)
    np.testing.assert_array_equal(got, (a @ a.T).astype(dtype))


def test_dtype_override_int8_wraps_like_numpy():
    x = np.full(100, 100, dtype=np.int8)
    got = ct.einsum("i->", x, dtype=np.int8)
    assert got.dtype == np.int8
    assert got == np.einsum("i->", x, dtype=np.int8)


def test_dtype_override_float32_on_float64():
    rng = np.random.default_rng(1)
    a, b = rng.random((4, 5)), rng.random((5, 3))
    got = ct.einsum("ij,jk->ik", a, b, dtype="float32")
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, a @ b, rtol=1e-6)


@pytest.mark.parametrize("d1, d2", [
    (np.float32, np.int64), (np.float32, np.float16), (np.float32, np.float64),
    (np.complex64, np.float64), (np.int32, np.float32), (np.float16, np.int8),
    (np.complex64, np.float32), (np.bool_, np.float32),
])
def test_mixed_dtypes_promote_as_numpy(d1, d2):
    a = np.arange(1, 7).reshape(2, 3).astype(d1)
    b = np.arange(1, 13).reshape(3, 4).astype(d2)
    got = ct.einsum("ij,jk->ik", a, b)
    assert got.dtype == np.result_type(d1, d2)
    np.testing.assert_allclose(got.astype(np.complex128),
                               (a.astype(np.complex128) @ b.astype(np.complex128)), rtol=1e-3)


def test_mixed_small_ints_promote_then_widen():
    a, b = np.full(3, 127, np.int8), np.full(3, 255, np.uint8)
    got = ct.einsum("i,i->", a, b)
    assert got.dtype == np.int64 and got == 3 * 127 * 255


def test_python_scalars_and_nested_lists():
    assert ct.einsum(",i->i", 2.0, [1.0, 2.0, 3.0]).tolist() == [2.0, 4.0, 6.0]
    got = ct.einsum("ij,jk->ik", [[1, 2], [3, 4]], [[1, 0], [0, 1]])
    assert got.tolist() == [[1, 2], [3, 4]]
    assert ct.einsum("ij->ji", [[1, 2], [3, 4]]).tolist() == [[1, 3], [2, 4]]
    assert ct.einsum("i->", [True, True, False]) == 2
    assert ct.einsum(",->", 3, 4) == 12
    assert complex(ct.einsum("i,i->", [1j, 2], [1j, 1])) == complex(1)


def test_scalar_and_float32_promote_as_numpy():
    x = np.ones(3, dtype=np.float32)
    got = ct.einsum(",i->i", 2.0, x)
    assert got.dtype == np.einsum(",i->i", np.asarray(2.0), x).dtype


def test_plan_built_from_shapes_applies_the_policy_at_call_time():
    p = ct.plan("i->", (300,))
    assert p(np.full(300, 120, np.int8)).dtype == np.int64
    assert p(np.full(300, 120, np.int8)) == 300 * 120
    assert p(np.ones(300)).dtype == np.float64
    assert p(np.ones(300, np.float16)) == 300


def test_bad_dtype_is_a_contract_error():
    with pytest.raises(ct.ContractError, match="dtype"):
        ct.einsum("ij->", np.ones((2, 2)), dtype="not-a-dtype")
    with pytest.raises(ct.ContractError, match="numeric"):
        ct.einsum("i->", np.array(["a", "b"]))
    with pytest.raises(ct.ContractError, match="numeric"):
        ct.einsum("i->", np.ones(2), dtype="U3")


# -- one as_dtype: torch names work everywhere ---------------------------------------------
def test_einsum_accepts_torch_dtype_names():
    out = ct.einsum("i->i", np.ones(2, dtype=np.float32), dtype="torch.float64")
    assert out.dtype == np.float64
    assert ct.einsum("i->", np.ones(3), dtype="long").dtype == np.int64


def test_creation_and_dtypes_share_one_as_dtype():
    from contract import dtypes
    from contract.tensors import creation
    assert creation.as_dtype is dtypes.as_dtype
    assert dtypes.as_dtype("float") == np.float32 and dtypes.as_dtype(float) == np.float64
    with pytest.raises(ct.ContractError, match="not a dtype"):
        ct.einsum("i->i", np.ones(2), dtype="nope")


def test_as_dtype_accepts_a_torch_dtype_object():
    torch = pytest.importorskip("torch")
    from contract.dtypes import as_dtype
    assert as_dtype(torch.float64) == np.float64
