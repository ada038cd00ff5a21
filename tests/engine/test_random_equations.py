"""Seeded random equations (repeated labels, ellipses, size-1 dims) against np.einsum."""
from dataclasses import dataclass
from typing import Tuple

import numpy as np
import pytest

import contract as ct

POOL = "abcdefgh"
OPTIMIZERS = ["auto", "greedy", "dp", False, "optimal", "branch-2", "random-greedy"]


@dataclass(frozen=True)
class RandomCase:
    equation: str
    shapes: Tuple[Tuple[int, ...], ...]
    sums_ellipsis: bool      # explicit output without '...' while inputs have '...' dims

    def oracle(self, arrays):
        if not self.sums_ellipsis:
            return np.einsum(self.equation, *arrays, optimize=False)
        ins, out = self.equation.split("->")
        full = np.einsum(ins + "->..." + out, *arrays, optimize=False)
        return full.sum(axis=tuple(range(full.ndim - len(out))))


def _operand(rng, sizes, ell_shape, with_ellipsis):
    """One term and its shape: labels (maybe repeated), maybe '...', maybe size-1 dims."""
    count = int(rng.integers(0, 5))
    labels = list(rng.choice(list(sizes), size=count, replace=True)) if count else []
    dims = []
    for lab in labels:
        once = labels.count(lab) == 1
        dims.append(1 if once and rng.random() < 0.15 else sizes[lab])
    term = "".join(labels)
    if not with_ellipsis:
        return term, tuple(dims)
    width = int(rng.integers(0, len(ell_shape) + 1))
    ell = [1 if rng.random() < 0.25 else d for d in ell_shape[len(ell_shape) - width:]]
    cut = int(rng.integers(0, len(labels) + 1))
    return term[:cut] + "..." + term[cut:], tuple(dims[:cut]) + tuple(ell) + tuple(dims[cut:])


def random_case(seed) -> RandomCase:
    """A random valid equation and shapes (numpy-compatible unless sums_ellipsis)."""
    rng = np.random.default_rng(seed)
    n_labels = int(rng.integers(1, len(POOL) + 1))
    sizes = {lab: int(rng.choice([1, 2, 3, 4])) for lab in POOL[:n_labels]}
    if rng.random() < 0.03:
        sizes[POOL[0]] = 0
    with_ellipsis = rng.random() < 0.3
    ell_shape = [int(rng.integers(1, 4)) for _ in range(int(rng.integers(0, 3)))]
    terms, shapes = zip(*(_operand(rng, sizes, ell_shape, with_ellipsis)
                          for _ in range(int(rng.integers(1, 5)))))
    text = ",".join(terms)
    if rng.random() < 0.3:
        return RandomCase(text, shapes, False)
    present = sorted({c for t in terms for c in t if c != "."})
    out = "".join(rng.permutation(present)[:int(rng.integers(0, len(present) + 1))])
    ell_out = with_ellipsis and rng.random() < 0.7
    if ell_out:
        cut = int(rng.integers(0, len(out) + 1))
        out = out[:cut] + "..." + out[cut:]
    return RandomCase(f"{text}->{out}", shapes, with_ellipsis and not ell_out)


CASES = [random_case(seed) for seed in range(400)]


def test_the_generator_covers_the_hard_parts():
    eqs = [c.equation for c in CASES]
    assert sum("..." in e for e in eqs) > 60
    assert sum(any(t.count(c) > 1 for t in e.split("->")[0].split(",") for c in POOL)
               for e in eqs) > 60
    assert sum(1 in s for c in CASES for s in c.shapes) > 60
    assert sum(c.sums_ellipsis for c in CASES) > 10
    assert sum("->" not in e for e in eqs) > 60


@pytest.mark.parametrize("seed", range(len(CASES)))
def test_random_equation_matches_numpy(seed):
    case = CASES[seed]
    rng = np.random.default_rng(1000 + seed)
    arrays = [rng.uniform(-1, 1, s) for s in case.shapes]
    expected = case.oracle(arrays)
    got = ct.einsum(case.equation, *arrays, optimize=OPTIMIZERS[seed % len(OPTIMIZERS)])
    assert np.shape(got) == expected.shape, case
    np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-12, err_msg=str(case))


@pytest.mark.parametrize("seed", range(0, len(CASES), 4))
def test_random_equation_on_int8_follows_the_policy(seed):
    case = CASES[seed]
    rng = np.random.default_rng(2000 + seed)
    arrays = [rng.integers(-100, 100, s).astype(np.int8) for s in case.shapes]
    got = ct.einsum(case.equation, *arrays)
    expected = case.oracle([a.astype(np.int64) for a in arrays])
    np.testing.assert_array_equal(got, expected, err_msg=str(case))
    assert got.dtype == (np.int8 if _rearranges(case) else np.int64), case


def _rearranges(case: RandomCase) -> bool:
    """One operand, nothing summed: transpose, diagonal or broadcast only."""
    if len(case.shapes) != 1:
        return False
    ins, arrow, out = case.equation.partition("->")
    letters = [c for c in ins if c in POOL]
    if not arrow:
        out = "".join(c for c in letters if letters.count(c) == 1)
    extra_dims = len(case.shapes[0]) - len(letters)
    return set(letters) <= set(out) and not (case.sums_ellipsis and extra_dims > 0)


@pytest.mark.parametrize("seed", range(0, len(CASES), 5))
def test_random_equation_as_a_reused_plan(seed):
    case = CASES[seed]
    p = ct.plan(case.equation, *case.shapes)
    rng = np.random.default_rng(3000 + seed)
    for _ in range(2):
        arrays = [rng.uniform(-1, 1, s) for s in case.shapes]
        np.testing.assert_allclose(p(*arrays), case.oracle(arrays), rtol=1e-10, atol=1e-12)
