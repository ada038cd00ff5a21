"""Issue 14, classes 9 and 13: ``memory_limit`` holds for every optimizer, and no path
search leaks an internal error (opt_einsum's RuntimeError, an OverflowError on huge costs).

The limit bounds the largest array (issue 18): every step's result, the output included.
A limit below the largest operand or the output raises ContractError naming the smallest
bound; a limit no path meets makes ``ct.plan`` slice.  The differential test draws seeded
networks, optimizers and limits, and checks each plan's arrays against the limit and its
result against ``numpy.einsum``.
"""
import numpy as np
import pytest

import contract as ct

CASES = 500
OPTIMIZERS = ["auto", "greedy", "optimal", "dp", "branch-2", "random-greedy", "auto-hq",
              "eager", "branch-all"]


def _largest(plan):
    return max((s.output_size for s in plan.steps), default=0)


# -- regressions ---------------------------------------------------------------------
def test_dp_keeps_the_limit_or_names_the_smallest_bound():
    with pytest.raises(ct.ContractError, match="memory_limit=2 .*smallest bound .* is 4"):
        ct.plan("a,b,a->ab", (2,), (2,), (2,), optimize="dp", memory_limit=2)
    p = ct.plan("a,b,a->ab", (2,), (2,), (2,), optimize="dp", memory_limit=4)
    assert _largest(p) <= 4


def test_dp_with_no_pair_within_the_limit_refuses_or_slices_instead_of_leaking():
    with pytest.raises(ct.ContractError, match="memory_limit=5"):
        ct.plan("ab,bc,cd->ad", (10, 10), (10, 10), (10, 10), optimize="dp", memory_limit=5)
    a = np.random.default_rng(0).random((10, 10, 1))
    got = ct.einsum("abx,bcx,cdx->ad", a, a, a, optimize="dp", memory_limit=100)
    np.testing.assert_allclose(got, a[..., 0] @ a[..., 0] @ a[..., 0])


def test_an_explicit_path_past_the_limit_is_refused():
    with pytest.raises(ct.ContractError, match="memory_limit=5"):
        ct.plan("ab,bc,cd->ad", (10, 10), (10, 10), (10, 10), optimize=[(0, 1), (0, 1)],
                memory_limit=5)


def test_huge_sizes_plan_without_an_overflow():
    chain = ",".join(chr(97 + i) + chr(98 + i) for i in range(9)) + "->aj"
    p = ct.plan(chain, *[(10 ** 110, 10 ** 110)] * 9)
    assert p.flops > 10 ** 300


def test_a_refinement_that_overflows_keeps_the_auto_path():
    from contract.tools.bench.generators import random_regular
    inst = random_regular(20, 3, bond=10 ** 50)      # random-greedy's jitter overflows a float
    p = ct.plan(inst.equation, *inst.shapes)
    assert len(p.steps) == 19


# -- differential ----------------------------------------------------------------------
def _network(rng, most=5):
    labels = "abcdefghij"[:int(rng.integers(2, 2 + most))]
    n = int(rng.integers(2, most + 1))
    terms = ["".join(dict.fromkeys(rng.choice(list(labels), size=int(rng.integers(1, 4)))))
             for _ in range(n)]
    used = sorted(set("".join(terms)))
    out = "".join(x for x in used if rng.random() < 0.3)
    sizes = {x: int(rng.integers(1, 5)) for x in used}
    return ",".join(terms) + "->" + out, [tuple(sizes[x] for x in t) for t in terms]


def test_every_optimizer_keeps_every_limit():
    rng = np.random.default_rng(14012)
    for case in range(CASES):
        eq, shapes = _network(rng)
        optimize = OPTIMIZERS[case % len(OPTIMIZERS)]
        limit = int(rng.choice([1, 2, 3, 4, 8, 16, 64]))
        where = str((case, eq, shapes, optimize, limit))
        out = np.einsum(eq, *[np.zeros(s) for s in shapes]).size
        if limit < max([int(np.prod(s)) for s in shapes] + [out]):
            with pytest.raises(ct.ContractError, match=f"memory_limit={limit} "):
                ct.plan(eq, *shapes, optimize=optimize, memory_limit=limit)
            continue
        p = ct.plan(eq, *shapes, optimize=optimize, memory_limit=limit)
        assert p.largest_intermediate <= limit and _largest(p) <= limit, where
        ops = [rng.normal(size=s) for s in shapes]
        np.testing.assert_allclose(p(*ops), np.einsum(eq, *ops), rtol=1e-10, atol=1e-10,
                                   err_msg=where)


def test_huge_networks_plan_or_refuse_cleanly():
    rng = np.random.default_rng(14013)
    for case in range(CASES // 5):
        eq, shapes = _network(rng, most=12)
        scale = 10 ** int(rng.integers(20, 200))
        shapes = [tuple(d * scale for d in s) for s in shapes]
        optimize = ["auto", "greedy", "auto-hq"][case % 3]
        try:
            p = ct.plan(eq, *shapes, optimize=optimize)
        except ct.ContractError:
            continue
        assert p.flops >= 0
