"""Issue 14, classes 3, 4 and 18: the log semiring off the real line, and one dtype policy.

- Integer and bool operands of a semiring whose add is not closed on integers (log) compute
  in the default float (float64 for arrays, float32 for Tensors), on every path.
- Complex log-sum-exp stays on ``log``'s principal branch, blocked or not.
- ``ct.sliced`` applies the same dtype policy as ``ct.einsum``.

Differential tests: seeded equations against ``log(numpy.einsum(exp(...)))`` in float64 /
complex128, and ``ct.sliced`` against ``ct.einsum``.
"""
import numpy as np
import pytest

import contract as ct

CASES = 300
INT_DTYPES = [np.int8, np.int32, np.int64, np.uint8, np.bool_]


def _equation(rng, max_terms=3):
    letters = "abcd"[:int(rng.integers(1, 5))]
    terms = ["".join(rng.choice(list(letters), size=int(rng.integers(1, len(letters) + 1)),
                                replace=False)) for _ in range(int(rng.integers(1, max_terms + 1)))]
    used = sorted(set("".join(terms)))
    out = "".join(x for x in used if rng.random() < 0.5)
    sizes = {x: int(rng.integers(1, 4)) for x in used}
    return terms, out, sizes


def _log_reference(eq, ops):
    with np.errstate(divide="ignore"):
        return np.log(np.einsum(eq, *[np.exp(op.astype(np.result_type(op, np.float64)))
                                      for op in ops]))


# -- regressions ---------------------------------------------------------------------
def test_log_semiring_on_ints_without_a_path_search():
    a = np.ones((2, 2), dtype=np.int64)
    got = ct.einsum("ij,jk,kl->il", a, a, a, semiring="log", optimize=False)
    assert got.dtype == np.float64
    np.testing.assert_allclose(got, np.full((2, 2), 3 + np.log(4)))


def test_log_semiring_on_ints_pairwise():
    a = np.ones((2, 2), dtype=np.int32)
    got = ct.einsum("ij,jk->ik", a, a, semiring="log")
    np.testing.assert_allclose(got, np.full((2, 2), 2 + np.log(2)))


def test_log_semiring_refuses_an_integer_dtype():
    with pytest.raises(ct.ContractError, match="not closed on integers"):
        ct.einsum("ij->i", np.ones((2, 2), dtype=int), semiring="log", dtype="int64")


def test_log_semiring_on_int_tensors_gives_the_default_float():
    t = ct.ones(2, 3, dtype=ct.int64)
    got = ct.einsum("ij->i", t, semiring="log")
    assert got.dtype == np.float32
    np.testing.assert_allclose(got.numpy(), np.full(2, 1 + np.log(3)), rtol=1e-6)


def test_complex_logsumexp_is_on_the_principal_branch():
    got = ct.tensor([1 - 3.1j, 0.9 - 4j]).logsumexp(0).item()
    assert abs(got - (1.5398 + 2.7573j)) < 1e-3


def test_sliced_keeps_the_einsum_dtype():
    a = np.arange(3, dtype=np.int32)
    assert ct.sliced("a->a", a, memory_limit=4).dtype == ct.einsum("a->a", a).dtype == np.int32


# -- differential ----------------------------------------------------------------------
def test_integer_operands_in_the_log_semiring_match_numpy():
    rng = np.random.default_rng(14003)
    for case in range(CASES):
        terms, out, sizes = _equation(rng)
        eq = ",".join(terms) + "->" + out
        dtype = INT_DTYPES[case % len(INT_DTYPES)]
        ops = [rng.integers(0, 3, size=[sizes[x] for x in t]).astype(dtype) for t in terms]
        optimize = [False, "greedy", "optimal"][case % 3]
        with ct.block_elements(int(rng.choice([2, 2 ** 24]))):
            got = ct.einsum(eq, *ops, semiring="log", optimize=optimize)
        assert got.dtype == np.float64, (case, eq)
        np.testing.assert_allclose(got, _log_reference(eq, ops), rtol=1e-12, atol=1e-12,
                                   err_msg=str((case, eq, dtype)))


def test_complex_operands_in_the_log_semiring_match_numpy():
    rng = np.random.default_rng(14004)
    for case in range(CASES):
        terms, out, sizes = _equation(rng)
        eq = ",".join(terms) + "->" + out
        ops = [rng.normal(size=[sizes[x] for x in t]) + 1j * rng.uniform(-4, 4, [sizes[x]
               for x in t]) for t in terms]
        optimize = [False, "greedy"][case % 2]
        with ct.block_elements(int(rng.choice([1, 2, 5, 2 ** 24]))):
            got = np.asarray(ct.einsum(eq, *ops, semiring="log", optimize=optimize))
        expected = _log_reference(eq, ops)
        where = str((case, eq, optimize))
        np.testing.assert_allclose(got.real, expected.real, rtol=1e-10, atol=1e-10,
                                   err_msg=where)
        if len(terms) == 1 and set(terms[0]) - set(out):
            # a reduction is a log-sum-exp: log's principal branch, as NumPy's and torch's
            np.testing.assert_allclose(got.imag, expected.imag, atol=1e-10, err_msg=where)
        else:     # a last step that only adds (the log semiring's product): equal mod 2 pi i
            turn = np.angle(np.exp(1j * (got.imag - expected.imag)))
            np.testing.assert_allclose(turn, 0, atol=1e-9, err_msg=where)


def test_complex_logsumexp_matches_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(14005)
    for case in range(CASES):
        shape = tuple(int(n) for n in rng.integers(1, 4, size=int(rng.integers(1, 4))))
        x = rng.normal(size=shape) + 1j * rng.uniform(-6, 6, size=shape)
        dim = int(rng.integers(-len(shape), len(shape)))
        got = ct.tensor(x).logsumexp(dim).numpy()
        expected = torch.tensor(x).logsumexp(dim).numpy()
        np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-10,
                                   err_msg=str((case, shape, dim)))


def test_sliced_applies_the_einsum_dtype_policy():
    rng = np.random.default_rng(14006)
    for case in range(CASES):
        terms, out, sizes = _equation(rng, max_terms=2)
        eq = ",".join(terms) + "->" + out
        dtype = INT_DTYPES[case % len(INT_DTYPES)]
        ops = [rng.integers(0, 3, size=[sizes[x] for x in t]).astype(dtype) for t in terms]
        semiring = ["real", "log", "maxplus"][case % 3]
        largest = max([int(np.prod([sizes[x] for x in out]))] + [op.size for op in ops])
        limit = max(1, largest) + int(rng.integers(0, 4))      # no smaller limit is valid
        got = ct.sliced(eq, *ops, memory_limit=limit, semiring=semiring)
        expected = ct.einsum(eq, *ops, semiring=semiring)
        assert got.dtype == expected.dtype, (case, eq, dtype, semiring)
        np.testing.assert_allclose(got, expected, rtol=1e-12, err_msg=str((case, eq)))
