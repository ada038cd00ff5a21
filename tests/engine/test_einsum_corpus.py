"""The corpus x optimizers against a float64 NumPy oracle; layouts; NaN and inf.

Run one case: ``pytest tests/engine/test_einsum_corpus.py -k "ij,jk->ik"``.
"""
import numpy as np
import pytest

import contract as ct
from oracles import CORPUS, BASIC, DIAGONALS, Case, assert_matches, is_plain

# optimizer -> largest operand count it is run on (path search cost grows fast)
OPTIMIZERS = {"auto": None, "greedy": None, "random-greedy": None, "optimal": 5, "dp": 12,
              "branch-2": 12, "auto-hq": 12, False: 6, "explicit": None}


def explicit_path(n):
    """A valid linear path: always contract the first two operands."""
    return [(0,)] if n == 1 else [(0, 1)] * (n - 1)


def _params():
    for case in CORPUS:
        for name, limit in OPTIMIZERS.items():
            if limit is not None and case.n > limit:
                continue
            if name is False and "wide" in case.tags:
                continue
            yield pytest.param(case, name, id=f"{case.id}-{name}")


def run_case(case: Case, arrays, optimize="auto", **kwargs):
    if optimize == "explicit":
        optimize = explicit_path(case.n)
    return ct.einsum(case.equation, *arrays, optimize=optimize, **dict(case.sizes), **kwargs)


@pytest.mark.parametrize("case, optimize", list(_params()))
def test_corpus_matches_numpy(case, optimize):
    arrays = case.arrays(seed=len(case.equation))
    got = run_case(case, arrays, optimize)
    assert isinstance(got, np.ndarray) or np.isscalar(got)
    assert np.asarray(got).dtype == np.float64
    assert_matches(got, case.expected(arrays))


def test_corpus_is_large_and_varied():
    assert len(CORPUS) >= 150
    assert len({c.equation for c in CORPUS}) >= 140
    assert max(c.n for c in CORPUS) >= 30
    assert any("wide" in c.tags for c in CORPUS)


def test_repeated_call_uses_the_cache_and_still_matches():
    case = BASIC[0]
    arrays = case.arrays()
    first = run_case(case, arrays)
    second = run_case(case, [a * 2 for a in arrays])
    assert_matches(second, case.expected([a * 2 for a in arrays]))
    assert_matches(first, case.expected(arrays))


def _sublists(case: Case):
    """The case in the interleaved form ``op0, sub0, op1, sub1, ..., [out]``."""
    number = {}

    def sub(term):
        out, k = [], 0
        while k < len(term):
            if term.startswith("...", k):
                out.append(Ellipsis)
                k += 3
            else:
                out.append(number.setdefault(term[k], len(number)))
                k += 1
        return out
    text = case.equation
    ins, _, out = text.partition("->")
    subs = [sub(t) for t in ins.split(",")]
    return subs, (sub(out) if "->" in text else None)


@pytest.mark.parametrize("case", [c for c in CORPUS if is_plain(c) and "->" in c.equation],
                         ids=lambda c: c.id)
def test_interleaved_form(case):
    arrays = case.arrays(seed=3)
    subs, out = _sublists(case)
    args = [x for pair in zip(arrays, subs) for x in pair] + ([out] if out is not None else [])
    assert_matches(ct.einsum(*args), case.expected(arrays))


def test_interleaved_implicit_output_sorts_by_integer():
    a, b = np.random.default_rng(0).random((2, 3)), np.random.default_rng(1).random((3, 4))
    assert_matches(ct.einsum(a, [10, 2], b, [2, 1]), np.einsum(a, [10, 2], b, [2, 1]))
    assert ct.einsum(a, [10, 2], b, [2, 1]).shape == (4, 2)


# -- layouts ---------------------------------------------------------------------------------
def _strided(a, kind):
    if a.ndim == 0:
        return a
    if kind == "step":
        big = np.zeros(tuple(2 * d for d in a.shape))
        big[tuple(slice(None, None, 2) for _ in a.shape)] = a
        return big[tuple(slice(None, None, 2) for _ in a.shape)]
    if kind == "transposed":
        return np.ascontiguousarray(a.T).T
    if kind == "fortran":
        return np.asfortranarray(a)
    if kind == "reversed":
        return np.ascontiguousarray(a[(slice(None, None, -1),) * a.ndim])[
            (slice(None, None, -1),) * a.ndim]
    raise ValueError(kind)


@pytest.mark.parametrize("kind", ["step", "transposed", "fortran", "reversed"])
@pytest.mark.parametrize("case", BASIC[:40] + DIAGONALS[:12], ids=lambda c: c.id)
def test_noncontiguous_inputs(case, kind):
    arrays = case.arrays(seed=5)
    views = [_strided(a, kind) for a in arrays]
    for a, v in zip(arrays, views):
        np.testing.assert_array_equal(a, v)
    assert_matches(run_case(case, views), case.expected(arrays))


def test_result_does_not_alias_a_transposed_input_wrongly():
    x = np.arange(6.0).reshape(2, 3)
    out = ct.einsum("ij->ji", x)
    np.testing.assert_array_equal(out, x.T)


# -- NaN and inf -----------------------------------------------------------------------------
def test_inf_on_a_diagonal_stays_inf():
    a = np.array([[np.inf, 1.0], [2.0, -np.inf]])
    np.testing.assert_array_equal(ct.einsum("ii->i", a), [np.inf, -np.inf])
    np.testing.assert_array_equal(ct.einsum("ii,i->i", a, np.ones(2)), [np.inf, -np.inf])
    assert ct.einsum("ii->", np.array([[np.inf, 0.0], [0.0, 1.0]])) == np.inf


def test_inf_off_the_diagonal_does_not_leak_into_it():
    a = np.array([[1.0, np.inf], [np.nan, 2.0]])
    np.testing.assert_array_equal(ct.einsum("ii->i", a), [1.0, 2.0])
    np.testing.assert_array_equal(ct.einsum("iij->ij", np.stack([a, a], -1)), [[1, 1], [2, 2]])


def test_diagonal_embedding_of_inf_keeps_zeros_off_diagonal():
    out = ct.einsum("i->ii", np.array([np.inf, 1.0]))
    np.testing.assert_array_equal(out, [[np.inf, 0.0], [0.0, 1.0]])


@pytest.mark.parametrize("equation, shapes", [
    ("ij,jk->ik", ((3, 4), (4, 5))), ("ij,jk,kl->il", ((3, 4), (4, 5), (5, 2))),
    ("i,i->i", ((4,), (4,))), ("ij->j", ((3, 4),)), ("bij,bjk->bik", ((2, 3, 4), (2, 4, 5))),
])
@pytest.mark.parametrize("special", [np.nan, np.inf, -np.inf])
def test_nan_and_inf_propagate_like_numpy(equation, shapes, special):
    rng = np.random.default_rng(0)
    arrays = [rng.uniform(0.5, 1.0, s) for s in shapes]
    arrays[0].flat[1] = special
    expected = np.einsum(equation, *arrays)
    got = ct.einsum(equation, *arrays)
    np.testing.assert_array_equal(np.isnan(got), np.isnan(expected))
    np.testing.assert_array_equal(np.isinf(got), np.isinf(expected))
    finite = np.isfinite(expected)
    np.testing.assert_allclose(got[finite], expected[finite], rtol=1e-12)


# -- operand and option types ----------------------------------------------------------------
@pytest.mark.parametrize("equation, shapes", [
    ("ij->i", [(2, 3)]), ("ij,j->i", [(2, 3), (3,)]), ("ij,jk,kl->", [(2, 3), (3, 4), (4, 2)]),
    ("ij,kl->ijkl", [(2, 3), (2, 2)]), ("ii->i", [(3, 3)]), ("ij,jk->ik", [(2, 3), (3, 4)]),
])
@pytest.mark.filterwarnings("ignore::PendingDeprecationWarning")    # np.matrix
def test_ndarray_subclasses_are_read_as_plain_arrays(equation, shapes):
    rng = np.random.default_rng(7)
    arrays = [rng.random(s) for s in shapes]
    expected = np.einsum(equation, *arrays)
    matrices = [np.asmatrix(a) if a.ndim == 2 else a for a in arrays]
    got = ct.einsum(equation, *matrices)
    assert type(got) is not np.matrix
    assert_matches(got, np.asarray(expected))
    masked = [np.ma.masked_array(a, mask=np.eye(*a.shape, dtype=bool)) if a.ndim == 2 else a
              for a in arrays]
    assert_matches(ct.einsum(equation, *masked), np.asarray(np.einsum(equation, *masked)))


def test_numpy_integers_as_sizes_and_memory_limit():
    x = np.arange(12.0).reshape(2, 6)
    np.testing.assert_array_equal(ct.einsum("b (h p) -> b h", x, p=np.int64(3)),
                                  x.reshape(2, 2, 3).sum(-1))
    a = np.ones((3, 4))
    np.testing.assert_array_equal(ct.einsum("ij,jk->ik", a, a.T, memory_limit=np.int32(100)),
                                  a @ a.T)


def test_numpy_scalars_and_big_endian_operands():
    np.testing.assert_array_equal(ct.einsum(",i->i", np.float32(2), np.ones(3, np.float32)),
                                  [2.0, 2.0, 2.0])
    big = np.arange(6.0).reshape(2, 3).astype(">f8")
    np.testing.assert_array_equal(ct.einsum("ij,kj->ik", big, big), big @ big.T)
    assert ct.einsum("ij->", np.arange(6, dtype=">i4").reshape(2, 3)) == 15


# -- a 0-d operand is never the result; groups beside broadcast axes; foreign array-likes ---
@pytest.mark.parametrize("equation", ["->", "", "...->...", "..."])
@pytest.mark.parametrize("semiring", ["real", "log", "maxplus"])
def test_a_0d_operand_is_not_handed_back_as_the_result(equation, semiring):
    """np.einsum("->", x) returns a new scalar; writing into ct's result must not change x."""
    x = np.array(2.5)
    got = ct.einsum(equation, x, semiring=semiring)
    np.testing.assert_allclose(got, np.einsum(equation, x.astype(np.float64)))
    assert not np.shares_memory(got, x)
    np.asarray(got)[...] = -1.0
    assert x == 2.5


@pytest.mark.parametrize("equation, shapes, sizes, numpy_equation, split", [
    # a batch axis of size 1 broadcasts against another operand in an operand with a group
    ("b (h p), b -> b h", [(1, 8), (4,)], {"p": 2}, "bhp,b->bh", [(1, 4, 2), (4,)]),
    ("b (h p), b -> b h", [(4, 8), (1,)], {"p": 2}, "bhp,b->bh", [(4, 4, 2), (1,)]),
    ("(h p) b, b c -> c h", [(6, 1), (5, 3)], {"h": 3}, "hpb,bc->ch", [(3, 2, 1), (5, 3)]),
    ("a (a b) -> b", [(1, 6)], {"b": 3}, "aab->b", None),
])
def test_a_broadcast_size_1_axis_beside_a_split_group(equation, shapes, sizes, numpy_equation,
                                                      split):
    """The split reshape used the label's broadcast size for the plain size-1 axis too
    (ValueError: cannot reshape array of size 8 into shape (4,4,2))."""
    rng = np.random.default_rng(0)
    ops = [rng.standard_normal(s) for s in shapes]
    if split is None:      # 'a (a b)': a size-1 axis is no diagonal of a's size 2 (issue 14)
        with pytest.raises(ct.ShapeError, match="repeated in operand 0 with sizes 1 and 2"):
            ct.einsum(equation, *ops, **sizes)
        return
    got = ct.einsum(equation, *ops, **sizes)
    expected = np.einsum(numpy_equation, *(o.reshape(s) for o, s in zip(ops, split)))
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)


class _ForeignArray:
    """Stands in for another library's tensor (torch): shape, a non-NumPy dtype, __array__."""

    def __init__(self, data, fail=False):
        self.data, self.shape, self.dtype, self.fail = data, data.shape, object(), fail

    def __array__(self, dtype=None, copy=None):
        if self.fail:
            raise RuntimeError("can't convert a tensor that requires grad")
        return self.data if dtype is None else self.data.astype(dtype)


def test_an_array_like_with_a_foreign_dtype_is_read_as_numpy_einsum_reads_it():
    """ct.einsum(torch_tensor) leaked TypeError: Cannot interpret 'torch.float32' as a data type
    (np.einsum reads the tensor through __array__)."""
    x = np.random.default_rng(4).standard_normal((2, 3))
    got = ct.einsum("ij->i", _ForeignArray(x))
    np.testing.assert_allclose(got, np.einsum("ij->i", x))
    assert ct.plan("ij,jk->ik", _ForeignArray(x), (3, 4)).shapes == ((2, 3), (3, 4))
    with pytest.raises(ct.ContractError, match="operand 1 cannot be read as an array"):
        ct.einsum("ij,ij->", x, _ForeignArray(x, fail=True))
