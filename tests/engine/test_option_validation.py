"""Issue 14, class 17: option validation never depends on what the plan cache holds.

``True == 1 == 1.0`` hash alike, so a cache keyed on values alone would hand
``memory_limit=True`` the plan of ``memory_limit=1``.  The differential test runs seeded
sequences of calls whose options are such twins, in random orders, and checks that every
call has the outcome it has on an empty cache (the same value, or the same refusal).
"""
import numpy as np
import pytest

import contract as ct
from contract.engine import cache

ROUNDS = 60
A, B = np.arange(6.).reshape(2, 3), np.arange(12.).reshape(3, 4)
X = np.arange(8.).reshape(2, 4)

CALLS = (
    [("memory_limit", v, lambda v: ct.einsum("ij,jk->ik", A, B, memory_limit=v))
     for v in (None, 1, True, 1.0, np.int64(1), 4, 4.0, False, 0, "max_input")] +
    [("plan memory_limit", v,
      lambda v: ct.plan("ij,jk->ik", (2, 3), (3, 4), memory_limit=v)(A, B))
     for v in (1, True, 1.0, 12, 12.0)] +
    [("optimize", v, lambda v: ct.einsum("ij,jk->ik", A, B, optimize=v))
     for v in (False, 0, 0.0, None, True, 1, 1.0, "greedy", [(0, 1)], [(False, True)])] +
    [("size", v, lambda v: ct.einsum("b (h p) -> b h", X, p=v))
     for v in (2, 2.0, True, np.int64(2), 1, 1.0)] +
    [("dtype", v, lambda v: ct.einsum("ij->i", A, dtype=v))
     for v in (None, "float32", np.float32, float, 1, True, 1.0)] +
    [("argmax memory_limit", v, lambda v: ct.einsum("ij,jk->ik", A, B, semiring="maxplus",
                                                    argmax=True, memory_limit=v)[0])
     for v in (1, True, 1.0)] +
    [("sliced", v, lambda v: ct.sliced("ij,jk->ik", A, B, memory_limit=v))
     for v in (8, 8.0, True)]
)


def _outcome(call):
    _, value, fn = call
    try:
        out = fn(value)
    except ct.ContractError as err:
        return ("refused", type(err).__name__)
    return ("ok", np.asarray(out).dtype.str, np.asarray(out).tolist())


def test_memory_limit_true_is_refused_after_memory_limit_1_was_cached():
    cache.clear()
    ct.plan("ij,jk->ik", (2, 3), (3, 4), memory_limit=12)
    with pytest.raises(ct.ContractError, match="memory_limit"):
        ct.plan("ij,jk->ik", (2, 3), (3, 4), memory_limit=True)


def test_a_float_group_size_is_refused_after_the_int_one_was_cached():
    cache.clear()
    ct.einsum("b (h p) -> b h", X, p=2)
    with pytest.raises(ct.ContractError, match="label 'p'"):
        ct.einsum("b (h p) -> b h", X, p=2.0)


def test_outcomes_do_not_depend_on_the_cache():
    fresh = []
    for call in CALLS:
        cache.clear()
        fresh.append(_outcome(call))
    assert {f[0] for f in fresh} == {"ok", "refused"}
    rng = np.random.default_rng(14016)
    for round_ in range(ROUNDS):
        cache.clear()
        for k in rng.permutation(len(CALLS)):
            assert _outcome(CALLS[k]) == fresh[k], (round_, CALLS[k][:2])
