"""Semiring einsums against brute force over the full product space.

Every corpus equation NumPy can read (letters, ``...``, diagonals, implicit output,
size-1 broadcasting, zero sizes, 0-d) runs in every semiring; groups, named axes
and diagonal embeddings have their own cases; multi-operand equations run with
every optimizer.
"""
import warnings

import numpy as np
import pytest

import contract as ct
from contract.engine.kernels.blocks import block_elements
from oracles import CORPUS, GROUPS, brute, expand, product_size

SEMIRINGS = ("log", "maxplus", "minplus", "maxtimes")
OPTIMIZERS = ("auto", "greedy", "optimal", "dp", "branch-2", "random-greedy", "auto-hq", False)


def _readable(case):
    return not callable(case.oracle) and product_size(case.oracle or case.equation,
                                                      case.shapes) <= 50_000


CASES = [c for c in CORPUS if _readable(c)]


def _operands(case, semiring, seed=0):
    arrays = case.arrays(seed)
    return [np.abs(a) for a in arrays] if semiring == "maxtimes" else arrays


def test_corpus_is_large_enough():
    assert len(CASES) >= 50


@pytest.mark.parametrize("semiring", SEMIRINGS)
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_corpus_matches_brute_force(case, semiring):
    arrays = _operands(case, semiring)
    expected = brute(case.oracle or case.equation, arrays, semiring)
    got = ct.einsum(case.equation, *arrays, semiring=semiring, **dict(case.sizes))
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)


MULTI = ["ab,bc,cd,de->ae", "ab,bc,ca->", "ij,jk,kl,li->i", "ia,ib,ic,id->abcd",
         "abc,bcd,cde,ea->bd", "ij,jk,k,kl->il", "...ij,jk,...k->...i", "ab,bc,cd,de,ef->"]


@pytest.mark.parametrize("optimize", OPTIMIZERS, ids=str)
@pytest.mark.parametrize("equation", MULTI)
@pytest.mark.parametrize("semiring", SEMIRINGS)
def test_multi_operand_every_optimizer(equation, semiring, optimize):
    rng = np.random.default_rng(len(equation))
    dims = dict(zip("abcdefijkl", (2, 3, 4, 2, 3, 2, 3, 4, 2, 3)))
    terms = equation.split("->")[0].split(",")
    shapes = [(2,) * (t.count(".") // 3) + tuple(dims[c] for c in t.replace("...", ""))
              for t in terms]
    arrays = [rng.uniform(0.1, 1.0, size=s) for s in shapes]
    expected = brute(equation, arrays, semiring)
    got = ct.einsum(equation, *arrays, semiring=semiring, optimize=optimize)
    np.testing.assert_allclose(got, expected, rtol=1e-12)


def test_explicit_path_is_followed():
    rng = np.random.default_rng(3)
    arrays = [rng.normal(size=(3, 4)), rng.normal(size=(4, 5)), rng.normal(size=(5, 2))]
    plan = ct.plan("ab,bc,cd->ad", *arrays, semiring="maxplus", optimize=[(1, 2), (0, 1)])
    assert plan.path == ((1, 2), (0, 1))
    np.testing.assert_allclose(plan(*arrays), brute("ab,bc,cd->ad", arrays, "maxplus"))


@pytest.mark.parametrize("semiring", SEMIRINGS)
@pytest.mark.parametrize("case", [g for g in GROUPS if 0 not in sum(g.shapes, ())],
                         ids=lambda c: c.id)
def test_groups(case, semiring):
    arrays = _operands(case, semiring, seed=1)
    sizes = dict(case.sizes)
    # the group oracles are real-semiring sums; rebuild them through the split equation
    got = ct.einsum(case.equation, *arrays, semiring=semiring, **sizes)
    split = ct.plan(case.equation, *arrays, **sizes)
    assert got.shape == split.output_shape
    if "(h p) (w q)" in case.equation:
        x = arrays[0].reshape(2, 3, 2, 2, 2, 3)
        np.testing.assert_allclose(got, brute("bchpwq->bchw", [x], semiring), rtol=1e-12)
    if case.equation == "b (h p), h k -> b k p":
        x = arrays[0].reshape(2, 3, 2)
        expected = brute("bhp,hk->bkp", [x, arrays[1]], semiring)
        np.testing.assert_allclose(got, expected, rtol=1e-12)


@pytest.mark.parametrize("semiring", SEMIRINGS)
def test_diagonal_embedding_fills_with_semiring_zero(semiring):
    a = np.array([[0.5, 0.25, 1.0], [0.75, 0.1, 0.2]])
    got = ct.einsum("ij->iji", a, semiring=semiring)
    expected = brute("ij->iji", [a], semiring)
    np.testing.assert_array_equal(got, expected)
    zero = ct.get_semiring(semiring).zero
    assert got[0, 0, 1] == zero


@pytest.mark.parametrize("semiring", SEMIRINGS)
def test_blocks_smaller_than_a_row_give_the_same_result(semiring):
    rng = np.random.default_rng(5)
    a, b = rng.uniform(0.1, 1, size=(7, 13)), rng.uniform(0.1, 1, size=(13, 5))
    c = rng.uniform(0.1, 1, size=(5, 3))
    expected = brute("ij,jk,kl->il", [a, b, c], semiring)
    for limit in (1, 4, 9, 64):
        with block_elements(limit):
            got = ct.einsum("ij,jk,kl->il", a, b, c, semiring=semiring)
            one_step = ct.einsum("ij,jk,kl->il", a, b, c, semiring=semiring, optimize=False)
        np.testing.assert_allclose(got, expected, rtol=1e-12)
        np.testing.assert_allclose(one_step, expected, rtol=1e-12)


def test_blocks_bound_peak_memory():
    import tracemalloc
    rng = np.random.default_rng(6)
    a, b = rng.normal(size=(128, 128)), rng.normal(size=(128, 128))
    tracemalloc.start()
    with block_elements(2 ** 12):
        ct.einsum("ij,jk->ik", a, b, semiring="maxplus")
        ct.einsum("ij,jk->ik", a, b, semiring="log", optimize=False)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    unblocked = 128 ** 3 * 8
    assert peak < unblocked // 8


def test_log_semiring_is_stable():
    a = np.array([[1000.0, 1000.0], [-1000.0, -np.inf]])
    b = np.array([[0.0, -np.inf], [0.0, -np.inf]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = ct.einsum("ij,jk->ik", a, b, semiring="log")
        one = ct.einsum("ij,jk->ik", a, b, semiring="log", optimize=False)
        row = ct.einsum("ij->i", np.full((2, 3), -np.inf), semiring="log")
    expected = np.array([[1000.0 + np.log(2.0), -np.inf], [-1000.0, -np.inf]])
    np.testing.assert_allclose(got, expected)
    np.testing.assert_allclose(one, expected)
    np.testing.assert_array_equal(row, [-np.inf, -np.inf])


def test_log_semiring_propagates_nan_and_inf():
    got = ct.einsum("ij->i", np.array([[np.nan, 0.0], [np.inf, 1.0]]), semiring="log")
    assert np.isnan(got[0]) and got[1] == np.inf


def test_float32_stays_float32():
    a = np.ones((3, 4), np.float32)
    assert ct.einsum("ij,jk->ik", a, a.T, semiring="maxplus").dtype == np.float32


def test_integer_maxplus():
    a = np.array([[1, 5], [3, 2]], dtype=np.int32)
    got = ct.einsum("ij,jk->ik", a, a, semiring="maxplus")
    np.testing.assert_array_equal(got, brute("ij,jk->ik", [a, a], "maxplus"))
    empty = ct.einsum("ij->i", np.zeros((2, 0), np.int64), semiring="maxplus")
    np.testing.assert_array_equal(empty, [np.iinfo(np.int64).min] * 2)


def test_registry_refuses_duplicates_and_lists_names():
    with pytest.raises(ct.ContractError, match="maxplus"):
        ct.register_semiring(ct.get_semiring("maxplus"))
    with pytest.raises(ct.ContractError, match="minplus"):
        ct.einsum("ij->i", np.ones((2, 2)), semiring="tropical")


def test_user_semiring_from_ops():
    from contract.engine.semirings import make_semiring
    from contract.engine.kernels.semiring import SemiringOps, _min
    ops = SemiringOps("mintimes_test", _min, "multiply", "minimum", "argmin", "less")
    ring = make_semiring(ops, zero=np.inf, one=1.0)
    a = np.array([[1.0, 2.0], [3.0, 0.5]])
    got = ct.einsum("ij,jk->ik", a, a, semiring=ring)
    expected = (a[:, :, None] * a[None]).min(axis=1)
    np.testing.assert_allclose(got, expected)


def test_plan_text_names_the_semiring_kernels():
    text = str(ct.plan("ij,jk,kl->il", (2, 3), (3, 4), (4, 5), semiring="log"))
    assert "semiring log" in text and "log-blocked" in text


# -- the brute-force oracle (oracles.brute) checks itself against hand-written NumPy -------
def test_oracle_maxplus_matrix_product():
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(3, 4)), rng.normal(size=(4, 5))
    expected = np.array([[max(a[i, j] + b[j, k] for j in range(4)) for k in range(5)]
                         for i in range(3)])
    np.testing.assert_allclose(brute("ij,jk->ik", [a, b], "maxplus"), expected)


def test_oracle_log_ellipsis_and_diagonal():
    rng = np.random.default_rng(1)
    a = rng.normal(size=(2, 3, 3))
    expected = np.log(np.exp(np.diagonal(a, axis1=1, axis2=2)).sum())
    np.testing.assert_allclose(brute("...ii->", [a], "log"), expected)
    assert expand("...ij,j", [np.empty((2, 3, 4)), np.empty(4)])[1] == "Ai"
