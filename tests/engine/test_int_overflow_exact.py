"""Issue 14, class 8: no silent int64 overflow.

When ``prod(max|operand|) x terms`` (the real semiring; ``sum(max|operand|)`` for max-plus)
can pass int64, the plan runs on Python ints: the result is exact when it fits int64, and a
ContractError otherwise; ``dtype="int64"`` keeps NumPy's wrap-around.  The differential test
draws seeded equations and operands whose bound lies near 2**63 and compares with
``numpy.einsum`` on Python ints (object arrays), which is exact.
"""
import numpy as np
import pytest

import contract as ct

CASES = 400
LIMIT = 2 ** 63 - 1


# -- regressions ---------------------------------------------------------------------
def test_a_sum_past_int64_is_refused_not_wrapped():
    x = np.full((2, 2), 2 ** 62, dtype=np.int64)
    with pytest.raises(ct.ContractError, match="int64 cannot hold"):
        ct.einsum("ij->", x)


def test_a_gemm_past_int64_is_refused_not_wrapped():
    a = np.full((1, 4), 2 ** 31, dtype=np.int64)
    with pytest.raises(ct.ContractError, match="18446744073709551616"):
        ct.einsum("ij,jk->ik", a, a.T)


def test_a_result_that_fits_is_exact_though_the_bound_does_not():
    a = np.array([2 ** 62, 2 ** 62, -2 ** 62 + 5], dtype=np.int64)
    got = ct.einsum("i->", a)
    assert got.dtype == np.int64 and int(got) == 2 ** 62 + 5


def test_an_explicit_int64_keeps_numpy_wrap_around():
    x = np.full((2, 2), 2 ** 62, dtype=np.int64)
    assert int(ct.einsum("ij->", x, dtype="int64")) == int(np.einsum("ij->", x))


def test_max_plus_past_int64_is_exact():
    # -2**62 + (-2**62 - 1) wraps to 2**63 - 1 in int64 and would win the max
    a = np.array([[-2 ** 62, 5]]), np.array([-2 ** 62 - 1, 0])
    assert ct.einsum("ij,j->i", *a, semiring="maxplus").tolist() == [5]


def test_the_plan_says_when_it_ran_exactly_or_wraps():
    p = ct.plan("ij,jk->ik", (2, 3), (3, 4))
    assert "exactly" not in str(p) and "wrap" not in str(p)
    big = np.array([[2 ** 31, 2 ** 31, -2 ** 31]] * 2, dtype=np.int64)   # bound 3 * 2**62
    assert p(big, np.full((3, 4), 2 ** 31, dtype=np.int64))[0, 0] == 2 ** 62
    assert "ran exactly (Python ints)" in str(p)
    wrapped = ct.plan("ij,jk->ik", (2, 3), (3, 4), dtype="int64")
    assert "integers wrap around past int64 (dtype=int64)" in str(wrapped)


# -- differential ----------------------------------------------------------------------
def _case(rng):
    letters = "abcd"[:int(rng.integers(1, 5))]
    terms = ["".join(rng.choice(list(letters), size=int(rng.integers(1, len(letters) + 1)),
                                replace=False)) for _ in range(int(rng.integers(1, 4)))]
    used = sorted(set("".join(terms)))
    out = "".join(x for x in used if rng.random() < 0.5)
    sizes = {x: int(rng.integers(1, 4)) for x in used}
    return terms, out, sizes


def _operands(rng, terms, sizes, terms_count, ring):
    """Operands whose largest magnitudes put the semiring's bound near 2**63."""
    target = LIMIT * float(rng.choice([0.3, 0.9, 1.1, 3.0]))
    n = len(terms)
    each = (target / terms_count) ** (1 / n) if ring == "real" else target / n
    ops = []
    for t in terms:
        shape = [sizes[x] for x in t]
        top = min(max(1, int(each)), LIMIT)
        op = np.array(rng.integers(-top, top + 1, size=shape, dtype=np.int64), dtype=object)
        op.flat[int(rng.integers(op.size))] = top * int(rng.choice([-1, 1]))   # reach the top
        ops.append(op.astype(np.int64))
    return ops


def _exact(eq, terms, out, ops, sizes, ring):
    objs = [op.astype(object) for op in ops]
    if ring == "real":
        return np.einsum(eq, *objs)
    labels = sorted(sizes)
    total = None
    for t, op in zip(terms, objs):
        view = np.einsum(f"{t}->{''.join(x for x in labels if x in t)}", op)
        view = view.reshape([sizes[x] if x in t else 1 for x in labels])
        total = view if total is None else total + view
    total = np.broadcast_to(total, [sizes[x] for x in labels])
    summed = tuple(k for k, x in enumerate(labels) if x not in out)
    value = total.max(axis=summed) if summed else total
    return np.einsum(f"{''.join(x for x in labels if x in out)}->{out}", value)


def test_integer_einsums_near_the_int64_bound_are_exact_or_refused():
    rng = np.random.default_rng(14010)
    kinds = {"exact": 0, "refused": 0}
    for case in range(CASES):
        terms, out, sizes = _case(rng)
        ring = ["real", "maxplus"][case % 2]
        eq = ",".join(terms) + "->" + out
        count = int(np.prod([sizes[x] for x in sizes if x not in out]))
        ops = _operands(rng, terms, sizes, count, ring)
        exact = np.asarray(_exact(eq, terms, out, ops, sizes, ring), dtype=object)
        fits = all(-LIMIT - 1 <= int(v) <= LIMIT for v in exact.flat)
        where = str((case, eq, ring))
        if len(terms) == 1 and set(terms[0]) == set(out):
            continue                  # a rearrangement: nothing to overflow
        if not fits:
            kinds["refused"] += 1
            with pytest.raises(ct.ContractError, match="cannot hold"):
                ct.einsum(eq, *ops, semiring=ring)
            continue
        kinds["exact"] += 1
        got = ct.einsum(eq, *ops, semiring=ring, optimize=["auto", False][case % 3 == 0])
        assert got.dtype == np.int64, where
        assert np.asarray(got).astype(object).tolist() == exact.tolist(), where
    assert min(kinds.values()) > CASES // 10, kinds      # both outcomes were drawn


def test_an_explicit_int64_matches_numpy_wrap_around():
    rng = np.random.default_rng(14011)
    for case in range(CASES // 4):
        terms, out, sizes = _case(rng)
        eq = ",".join(terms) + "->" + out
        count = int(np.prod([sizes[x] for x in sizes if x not in out]))
        ops = _operands(rng, terms, sizes, count, "real")
        got = ct.einsum(eq, *ops, dtype="int64")
        np.testing.assert_array_equal(got, np.einsum(eq, *ops), err_msg=str((case, eq)))
