"""Issue 14, class 6: a label repeated in one operand (a diagonal) needs one size there.

A size-1 axis broadcasts against other operands, never against its own diagonal partner:
``"ii->i"`` on a (1, 3) operand is refused, as numpy and torch refuse it.  The differential
test draws seeded equations with repeated labels and size-1 axes and compares every outcome
with ``numpy.einsum`` (both refuse, or both give the same values).
"""
import numpy as np
import pytest

import contract as ct

CASES = 1500


def test_a_diagonal_of_a_size_1_axis_and_a_longer_one_is_refused():
    x = np.arange(3.).reshape(1, 3)
    with pytest.raises(ct.ShapeError, match="label 'i' is repeated in operand 0 with sizes 1 "
                                            "and 3"):
        ct.einsum("ii->i", x)
    with pytest.raises(ct.ShapeError, match="repeated in operand 0"):
        ct.einsum("ii->", x)


def test_a_size_1_diagonal_still_broadcasts_against_another_operand():
    got = ct.einsum("ii,i->i", np.full((1, 1), 2.), np.arange(3.))
    np.testing.assert_array_equal(got, [0., 2., 4.])


def _case(rng):
    letters = "abc"[:int(rng.integers(1, 4))]
    terms = ["".join(rng.choice(list(letters), size=int(rng.integers(1, 4))))
             for _ in range(int(rng.integers(1, 4)))]
    used = sorted(set("".join(terms)))
    out = "".join(x for x in used if rng.random() < 0.5)
    sizes = {x: int(rng.integers(1, 4)) for x in used}
    shapes = [tuple(1 if rng.random() < 0.3 else sizes[x] for x in t) for t in terms]
    return ",".join(terms) + "->" + out, shapes


def test_repeated_labels_and_size_1_axes_match_numpy():
    rng = np.random.default_rng(14009)
    refused = 0
    for case in range(CASES):
        eq, shapes = _case(rng)
        ops = [rng.normal(size=s) for s in shapes]
        try:
            expected = np.einsum(eq, *ops)
        except ValueError:
            refused += 1
            with pytest.raises(ct.ContractError):
                ct.einsum(eq, *ops)
            continue
        got = ct.einsum(eq, *ops, optimize=["auto", False][case % 2])
        np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12,
                                   err_msg=str((case, eq, shapes)))
    assert 0 < refused < CASES          # both kinds of case were drawn
