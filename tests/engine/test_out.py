"""``out=``: ct.einsum and Plan write their result into a given array (numpy.einsum's rule).

Every corpus case is run into a fresh array, a non-contiguous view and a transposed
view; the last GEMM writes straight into ``out`` when ``out`` has the kernel's layout
(checked by the memory it reads), else the result is copied in.  Bad ``out`` arrays
raise before anything is written.
"""
import numpy as np
import pytest

import contract as ct
from oracles import CORPUS, GROUPS, assert_matches


def _layouts(shape, dtype):
    """(name, out): a fresh C array, a strided view, a transposed view, all of ``shape``."""
    fresh = np.full(shape, np.nan, dtype)
    if not shape:
        return [("fresh", fresh), ("view", fresh[...])]
    spread = np.full(tuple(2 * d for d in shape), np.nan, dtype)[tuple(slice(None, None, 2)
                                                                       for _ in shape)]
    flipped = np.full(shape[::-1], np.nan, dtype).T
    return [("fresh", fresh), ("strided", spread), ("transposed", flipped)]


@pytest.mark.parametrize("case", [c for c in CORPUS if c.n <= 12], ids=lambda c: c.id)
def test_corpus_into_out_matches_numpy(case):
    arrays = case.arrays(seed=3)
    expected = case.expected(arrays)
    for name, out in _layouts(expected.shape, np.float64):
        got = ct.einsum(case.equation, *arrays, out=out, **dict(case.sizes))
        assert got is out, name
        assert_matches(out, expected)


@pytest.mark.parametrize("case", GROUPS, ids=lambda c: c.id)
def test_plan_call_into_out(case):
    arrays = case.arrays(seed=5)
    p = ct.plan(case.equation, *arrays, **dict(case.sizes))
    out = np.empty(p.output_shape)
    assert p(*arrays, out=out) is out
    assert_matches(out, case.expected(arrays))


def test_gemm_writes_into_out_directly():
    rng = np.random.default_rng(0)
    a, b = rng.random((64, 32)), rng.random((32, 48))
    out = np.zeros((64, 48))
    ct.einsum("ij,jk->ik", a, b, out=out)
    np.testing.assert_allclose(out, a @ b)
    # a row block of a bigger array: rows contiguous, so BLAS writes it in place
    big = np.zeros((3, 64, 100))
    ct.einsum("ij,jk->ik", a, b, out=big[1, :, 10:58])
    np.testing.assert_allclose(big[1, :, 10:58], a @ b)
    assert not big[0].any() and not big[2].any() and not big[1, :, :10].any()


def test_bcast_gemm_and_groups_write_into_out():
    rng = np.random.default_rng(1)
    w, x = rng.random((8, 12)), rng.random((5, 12, 30))
    out = np.empty((5, 8, 30))
    ct.einsum("o k, b k n -> b o n", w, x, out=out)
    np.testing.assert_allclose(out, np.einsum("ok,bkn->bon", w, x))
    g = rng.random((6, 4, 3))                     # (g o) c k with g=2
    y = rng.random((2, 8, 3, 10))                 # b (g c) k n
    out = np.empty((2, 6, 10))
    ct.einsum("(g o) c k, b (g c) k n -> b (g o) n", g, y, out=out, g=2)
    expected = np.einsum("gock,bgckn->bgon", g.reshape(2, 3, 4, 3), y.reshape(2, 2, 4, 3, 10))
    np.testing.assert_allclose(out, expected.reshape(2, 6, 10))


def test_out_with_a_wider_dtype_and_semirings():
    a = np.arange(6, dtype=np.float32).reshape(2, 3)
    out = np.empty(2, np.float64)
    ct.einsum("ij->i", a, out=out)
    np.testing.assert_array_equal(out, [3.0, 12.0])
    out = np.empty((2, 2))
    ct.einsum("ij,kj->ik", a, a, semiring="maxplus", out=out)
    np.testing.assert_array_equal(out, (a[:, None, :] + a[None, :, :]).max(-1))
    ints = np.arange(4, dtype=np.int8).reshape(2, 2)
    out = np.empty((2, 2), np.int64)
    ct.einsum("ij,jk->ik", ints, ints, out=out)
    np.testing.assert_array_equal(out, ints.astype(np.int64) @ ints)


def test_out_overlapping_an_operand_gives_the_oracle():
    rng = np.random.default_rng(2)
    a, b = rng.random((16, 16)), rng.random((16, 16))
    expected = a @ b
    ct.einsum("ij,jk->ik", a, b, out=a)
    np.testing.assert_allclose(a, expected)
    c = rng.random((5, 5))
    expected = c.T.copy()
    ct.einsum("ij->ji", c, out=c)
    np.testing.assert_allclose(c, expected)


def test_zero_size_zero_d_diagonal_embedding():
    out = np.full((0, 3), 7.0)
    ct.einsum("ij,jk->ik", np.ones((0, 2)), np.ones((2, 3)), out=out)
    assert out.shape == (0, 3)
    out = np.full((2, 3), 7.0)
    ct.einsum("ij,jk->ik", np.ones((2, 0)), np.ones((0, 3)), out=out)
    np.testing.assert_array_equal(out, 0.0)
    scalar = np.empty(())
    ct.einsum("i,i->", np.arange(3.0), np.arange(3.0), out=scalar)
    assert float(scalar) == 5.0
    out = np.full((3, 3), 7.0)
    ct.einsum("i->ii", np.arange(3.0), out=out)
    np.testing.assert_array_equal(out, np.diag(np.arange(3.0)))


def test_a_label_named_out_still_takes_its_size():
    x = np.arange(6.0).reshape(1, 6)
    got = ct.einsum("b (h out) -> b h", x, out=3)
    np.testing.assert_array_equal(got, [[3.0, 12.0]])


@pytest.mark.parametrize("bad, error, words", [
    (np.empty((3, 3)), ct.ShapeError, "shape (3, 3)"),
    (np.empty((2, 4), np.float32), ct.ContractError, "float32"),
    (np.empty((2, 4), np.int64), ct.ContractError, "int64"),
    ([[0.0] * 4] * 2, ct.ContractError, "list"),
])
def test_bad_out_raises_and_writes_nothing(bad, error, words):
    a, b = np.ones((2, 3)), np.ones((3, 4))
    before = np.array(bad, copy=True)
    with pytest.raises(error, match=words.replace("(", r"\(").replace(")", r"\)")):
        ct.einsum("ij,jk->ik", a, b, out=bad)
    np.testing.assert_array_equal(np.asarray(bad), before)


def test_read_only_out_and_tensor_operands_are_refused():
    out = np.zeros((2, 4))
    out.setflags(write=False)
    with pytest.raises(ct.ContractError, match="read-only"):
        ct.einsum("ij,jk->ik", np.ones((2, 3)), np.ones((3, 4)), out=out)
    with pytest.raises(ct.ContractError, match="Tensor"):
        ct.einsum("ij,jk->ik", ct.ones(2, 3), ct.ones(3, 4), out=np.empty((2, 4)))
    with pytest.raises(ct.ContractError, match="argmax"):
        ct.einsum("ij->i", np.ones((2, 3)), semiring="maxplus", argmax=True, out=np.empty(2))
    p = ct.plan("ij,jk->ik", (2, 3), (3, 4))
    with pytest.raises(ct.ShapeError):
        p(np.ones((2, 3)), np.ones((3, 4)), out=np.empty(8))


def _peak_bytes(fn):
    import tracemalloc
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("equation, shapes, out_shape", [
    ("ij,jk->ik", [(256, 256), (256, 256)], (256, 256)),
    ("o k, b k n -> b o n", [(64, 32), (4, 32, 256)], (4, 64, 256)),
    ("ij,jk->ki", [(256, 256), (256, 256)], (256, 256)),
])
def test_direct_writes_allocate_no_result(equation, shapes, out_shape):
    """The GEMM writes into ``out``: no result-sized temporary (NumPy reports to tracemalloc)."""
    arrays = [np.random.default_rng(4).random(s) for s in shapes]
    out = np.empty(out_shape)
    ct.einsum(equation, *arrays, out=out)                 # plan built, cached
    result_bytes = out.nbytes
    assert _peak_bytes(lambda: ct.einsum(equation, *arrays, out=out)) < result_bytes / 4
    np.testing.assert_allclose(out, np.einsum(equation.replace(" ", ""), *arrays))
    spread = np.empty(out_shape[:-1] + (2 * out_shape[-1],))[..., ::2]  # not BLAS-writable
    assert _peak_bytes(lambda: ct.einsum(equation, *arrays, out=spread)) >= result_bytes
    np.testing.assert_allclose(spread, out)


def test_out_none_is_numpys_default_and_dtype_casts_before_out():
    a = np.ones((2, 3))
    np.testing.assert_array_equal(ct.einsum("ij->i", a, out=None), [3.0, 3.0])
    np.testing.assert_array_equal(ct.einsum("ij->i", a, out=None, optimize="greedy"), [3.0, 3.0])
    x = np.full(3, 100, np.int8)
    wide = np.zeros((), np.int64)
    ct.einsum("i->", x, dtype=np.int8, out=wide)
    assert int(wide) == int(ct.einsum("i->", x, dtype=np.int8)) == 44      # int8 wraps first
    f = np.random.default_rng(8).random((2, 3000))
    wider = np.zeros(2, np.float32)
    ct.einsum("ij->i", f, dtype=np.float16, out=wider)
    np.testing.assert_array_equal(wider, ct.einsum("ij->i", f, dtype=np.float16))


@pytest.mark.parametrize("kind", ["U64", "S8", object])
def test_non_numeric_out_is_refused(kind):
    out = np.zeros(2, kind)
    with pytest.raises(ct.ContractError, match="numeric"):
        ct.einsum("ij->i", np.ones((2, 3)), out=out)
