"""``argmax=True``: the returned assignment, plugged back in, scores the returned value; on
Tensors the values are differentiable and the indices are Tensors."""
import numpy as np
import pytest

import contract as ct
from contract.engine.kernels.blocks import block_elements
from contract.testing import gradcheck
from oracles import CORPUS, RINGS, brute, expand, full_space, product_size

MAXMIN = ("maxplus", "minplus", "maxtimes")


def _argmax_case(case):
    text = case.equation
    return (case.oracle is None and product_size(text, case.shapes) <= 20_000
            and 0 not in sum(case.shapes, ()) and "->" in text
            and len(set(text.split("->")[1])) == len(text.split("->")[1]))


CASES = [c for c in CORPUS if _argmax_case(c)]


def check_assignment(text, arrays, semiring, values, indices, sizes=None):
    """Evaluate the full product space at the chosen labels; it must equal ``values``."""
    arrays = [np.asarray(a, dtype=np.float64) for a in arrays]
    terms, out, ell = expand(text, arrays)
    space, labels = full_space(terms, arrays, RINGS[semiring][0])
    names = {c: (f"...{ell.index(c)}" if c in ell else c) for c in labels}
    contracted = [c for c in labels if c not in out]
    assert sorted(indices) == sorted(names[c] for c in contracted)
    grid = np.indices(values.shape, sparse=True) if values.ndim else ()
    where = []
    for c in labels:
        if c in out:
            where.append(grid[out.index(c)])
        else:
            index = indices[names[c]]
            assert index.shape == values.shape and index.dtype.kind == "i"
            where.append(index)
    np.testing.assert_allclose(np.asarray(space)[tuple(where)], values, rtol=1e-12)


@pytest.mark.parametrize("semiring", MAXMIN)
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_corpus_assignment_plugs_back(case, semiring):
    arrays = case.arrays(7)
    if semiring == "maxtimes":
        arrays = [np.abs(a) + 0.01 for a in arrays]
    values, indices = ct.einsum(case.equation, *arrays, semiring=semiring, argmax=True)
    np.testing.assert_allclose(values, brute(case.equation, arrays, semiring), rtol=1e-12)
    check_assignment(case.equation, arrays, semiring, values, indices)


@pytest.mark.parametrize("optimize", ["auto", "greedy", "optimal", "dp", "branch-2", False])
@pytest.mark.parametrize("semiring", MAXMIN)
def test_multi_operand_argmax_every_optimizer(semiring, optimize):
    rng = np.random.default_rng(11)
    text = "ab,bc,cd,de->ae"
    arrays = [rng.uniform(0.1, 1, size=s) for s in ((2, 3), (3, 4), (4, 5), (5, 2))]
    values, indices = ct.einsum(text, *arrays, semiring=semiring, argmax=True,
                                optimize=optimize)
    np.testing.assert_allclose(values, brute(text, arrays, semiring), rtol=1e-12)
    check_assignment(text, arrays, semiring, values, indices)


def test_argmax_with_small_blocks():
    rng = np.random.default_rng(12)
    a, b = rng.normal(size=(6, 9)), rng.normal(size=(9, 4))
    for limit in (1, 2, 5, 40):
        with block_elements(limit):
            for opt in ("auto", False):
                values, indices = ct.einsum("ij,jk->ik", a, b, semiring="maxplus",
                                            argmax=True, optimize=opt)
                check_assignment("ij,jk->ik", [a, b], "maxplus", values, indices)


def test_single_operand_ties_go_to_the_first_row_major_index():
    a = np.array([[[1.0, 3.0], [3.0, 0.0]], [[2.0, 2.0], [2.0, 2.0]]])
    values, indices = ct.einsum("ijk->i", a, semiring="maxplus", argmax=True)
    np.testing.assert_array_equal(values, [3.0, 2.0])
    np.testing.assert_array_equal(indices["j"], [0, 0])
    np.testing.assert_array_equal(indices["k"], [1, 0])
    values, indices = ct.einsum("ij->", np.array([[5.0, 1.0], [1.0, 1.0]]), semiring="minplus",
                                argmax=True)
    assert values == 1.0 and (int(indices["i"]), int(indices["j"])) == (0, 1)


def test_nothing_contracted_gives_empty_dict():
    a = np.arange(6.0).reshape(2, 3)
    values, indices = ct.einsum("ij->ji", a, semiring="maxplus", argmax=True)
    np.testing.assert_array_equal(values, a.T)
    assert indices == {}


def test_named_and_grouped_labels_keep_their_names():
    rng = np.random.default_rng(13)
    x = rng.normal(size=(2, 6))
    values, indices = ct.einsum("b (h p) -> b h", x, p=3, semiring="maxplus", argmax=True)
    np.testing.assert_allclose(values, x.reshape(2, 2, 3).max(-1))
    np.testing.assert_array_equal(indices["p"], x.reshape(2, 2, 3).argmax(-1))
    values, indices = ct.einsum("row k, k col -> row col", x.T, x, semiring="maxplus",
                                argmax=True)
    assert list(indices) == ["k"]


@pytest.mark.parametrize("semiring", ["real", "log"])
def test_argmax_needs_a_max_or_min_semiring(semiring):
    with pytest.raises(ct.ContractError, match="argmax"):
        ct.einsum("ij->i", np.ones((2, 2)), semiring=semiring, argmax=True)


def test_zero_size_contraction():
    values, indices = ct.einsum("ij,jk->ik", np.ones((2, 0)), np.ones((0, 3)),
                                semiring="maxplus", argmax=True)
    assert values.shape == (2, 3) and np.all(values == -np.inf)
    assert indices["j"].shape == (2, 3)


# -- einsum(..., argmax=True) on Tensors returns Tensors -----------------------------------
RNG = np.random.default_rng(7)
A = RNG.normal(size=(3, 4))      # distinct values: no ties
B = RNG.normal(size=(4, 5))


def test_argmax_on_tensors_returns_differentiable_values_and_index_tensors():
    a = ct.tensor(A, requires_grad=True)
    values, indices = ct.einsum("ij,jk->ik", a, ct.tensor(B), semiring="maxplus", argmax=True)
    assert isinstance(values, ct.Tensor) and values.requires_grad
    assert isinstance(indices["j"], ct.Tensor) and not indices["j"].requires_grad
    expected = (A[:, :, None] + B[None]).max(axis=1)
    np.testing.assert_allclose(values.detach().numpy(), expected)
    np.testing.assert_array_equal(indices["j"].numpy(),
                                  (A[:, :, None] + B[None]).argmax(axis=1))
    values.sum().backward()
    counts = np.zeros_like(A)
    for i in range(3):
        for j in (A[:, :, None] + B[None]).argmax(axis=1)[i]:
            counts[i, j] += 1
    np.testing.assert_allclose(a.grad.numpy(), counts)


def test_argmax_on_tensors_gradcheck():
    def values(a, b):
        return ct.einsum("ij,jk->ik", a, b, semiring="maxplus", argmax=True)[0]
    assert gradcheck(values, (ct.tensor(A, requires_grad=True),
                              ct.tensor(B, requires_grad=True)))


def test_argmax_mixed_tensor_and_array_operands():
    values, indices = ct.einsum("ij->i", ct.tensor(A), semiring="minplus", argmax=True)
    assert isinstance(values, ct.Tensor) and isinstance(indices["j"], ct.Tensor)
    np.testing.assert_array_equal(indices["j"].numpy(), A.argmin(axis=1))


# -- interleaved sublists: indices keyed by the user's int labels --------------------------
def test_argmax_interleaved_sublists_keys_are_ints():
    values, indices = ct.einsum(A, [0, 1], [0], semiring="maxplus", argmax=True)
    assert list(indices) == [1]
    np.testing.assert_array_equal(indices[1], A.argmax(axis=1))
    np.testing.assert_allclose(values, A.max(axis=1))
    _, indices = ct.einsum(A, [3, 7], B, [7, 5], [3, 5], semiring="maxplus", argmax=True)
    assert list(indices) == [7]


def test_argmax_string_equation_keeps_string_names():
    _, indices = ct.einsum("s0 s1 -> s0", A, semiring="maxplus", argmax=True)
    assert list(indices) == ["s1"]
