"""Issue 14, classes 2 and 12: ``argmax=True`` agrees with the untracked einsum, whatever
the blocking, NaNs and step shapes; nothing internal leaks.

The differential test draws seeded equations (n-ary steps with nothing summed included),
operands with NaNs and ties, block limits and optimizers, and checks values against a NumPy
reference (the full broadcast product reduced with ``max``/``min``, NaN propagating) and
each returned assignment against the value it claims.
"""
import numpy as np
import pytest

import contract as ct

CASES = 600
RINGS = {"maxplus": (np.add, np.max), "minplus": (np.add, np.min),
         "maxtimes": (np.multiply, np.max)}


# -- regressions ---------------------------------------------------------------------
@pytest.mark.parametrize("ring", ["maxplus", "minplus"])
def test_a_nan_in_a_later_block_is_chosen(ring):
    a = np.array([1., 2., np.nan, 0., np.nan])
    with ct.block_elements(2):
        value, idx = ct.einsum("i,i->", a, np.zeros(5), semiring=ring, argmax=True)
        plain = ct.einsum("i,i->", a, np.zeros(5), semiring=ring)
    assert np.isnan(value) and np.isnan(plain)
    assert int(idx["i"]) == 2


def test_argmax_of_an_nary_step_that_sums_nothing():
    a, b, c = np.arange(2.), np.arange(3.), np.arange(4.)
    value, idx = ct.einsum("a,b,c->abc", a, b, c, semiring="maxplus", optimize=False,
                           argmax=True)
    np.testing.assert_array_equal(value, a[:, None, None] + b[:, None] + c)
    assert idx == {}


def test_max_semiring_gradient_of_an_nary_step_that_sums_nothing():
    xs = [ct.ones(2, requires_grad=True) for _ in range(3)]
    ct.einsum("a,b,c->abc", *xs, semiring="maxplus", optimize=False).sum().backward()
    assert [x.grad.tolist() for x in xs] == [[4.0, 4.0]] * 3


def test_argmax_with_interleaved_sublists_and_an_ellipsis():
    x = np.array([[1., 5., 2.], [7., 0., 3.]])
    value, idx = ct.einsum(x, [Ellipsis, 0], [0], semiring="maxplus", argmax=True)
    np.testing.assert_array_equal(value, [7., 5., 3.])
    np.testing.assert_array_equal(idx["...0"], [1, 0, 1])


# -- differential ----------------------------------------------------------------------
def _equation(rng):
    letters = "abcde"[:int(rng.integers(2, 6))]
    widest = min(3, len(letters))
    terms = ["".join(rng.choice(list(letters), size=int(rng.integers(1, widest + 1)),
                                replace=False)) for _ in range(int(rng.integers(1, 4)))]
    used = sorted(set("".join(terms)))
    out = "".join(x for x in used if rng.random() < 0.4)
    return terms, out


def _operand(rng, shape, ring):
    values = rng.integers(-3, 4, size=shape).astype(float)     # small ints: many ties
    if ring == "maxtimes":
        values = np.abs(values)
    mask = rng.random(shape) < 0.15
    values[mask] = np.nan
    return values


def _reference(terms, out, ops, sizes, ring):
    combine, reduce = RINGS[ring]
    labels = sorted(sizes)
    full = None
    for term, op in zip(terms, ops):
        view = np.einsum(f"{term}->{''.join(x for x in labels if x in term)}", op)
        view = view.reshape([sizes[x] if x in term else 1 for x in labels])
        full = view if full is None else combine(full, view)
    full = np.broadcast_to(full, [sizes[x] for x in labels])
    summed = tuple(k for k, x in enumerate(labels) if x not in out)
    value = reduce(full, axis=summed) if summed else full
    kept = "".join(x for x in labels if x in out)
    return np.einsum(f"{kept}->{out}", value), full, labels


def _check_assignment(value, idx, full, labels, out, sizes):
    grid = np.indices([sizes[x] for x in out]) if out else np.zeros((0,), dtype=int)
    coords = [idx[x] if x not in out else grid[out.index(x)] for x in labels]
    chosen = full[tuple(np.broadcast_to(c, value.shape) for c in coords)]
    np.testing.assert_array_equal(chosen, value)


def test_argmax_matches_the_untracked_einsum_under_any_blocking():
    rng = np.random.default_rng(14002)
    for case in range(CASES):
        terms, out = _equation(rng)
        ring = ["maxplus", "minplus", "maxtimes"][case % 3]
        sizes = {x: int(rng.integers(1, 5)) for x in set("".join(terms))}
        ops = [_operand(rng, [sizes[x] for x in t], ring) for t in terms]
        eq = ",".join(terms) + "->" + out
        expected, full, labels = _reference(terms, out, ops, sizes, ring)
        optimize = [False, "greedy", "optimal"][int(rng.integers(3))]
        with ct.block_elements(int(rng.choice([1, 2, 3, 7, 2 ** 24]))):
            plain = ct.einsum(eq, *ops, semiring=ring, optimize=optimize)
            value, idx = ct.einsum(eq, *ops, semiring=ring, optimize=optimize, argmax=True)
        where = (case, eq, ring, optimize)
        np.testing.assert_array_equal(plain, expected, err_msg=str(where))
        np.testing.assert_array_equal(value, expected, err_msg=str(where))
        assert sorted(idx) == sorted(x for x in labels if x not in out), where
        _check_assignment(value, idx, full, labels, out, sizes)
