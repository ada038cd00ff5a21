"""Plans: attributes, costs against opt_einsum, optimizers, memory limits, the cache, kernels."""
from math import prod

import numpy as np
import opt_einsum
import pytest
from opt_einsum.testing import rand_equation

import contract as ct
from contract.engine import cache as CACHE_MODULE
from contract.engine import operands as OPERANDS_MODULE
from contract.engine import paths as PATHS_MODULE
from contract.engine import plan as PLAN_MODULE
from contract.engine.plan import Step

PLAIN = [
    ("ij,jk->ik", [(2, 3), (3, 4)]),
    ("ij,jk,kl->il", [(2, 3), (3, 4), (4, 5)]),
    ("pi,qj,ijkl,rk,sl->pqrs", [(5, 6)] * 2 + [(6, 6, 6, 6)] + [(5, 6)] * 2),
    ("abc,bcd,cde,def->af", [(3, 4, 5), (4, 5, 6), (5, 6, 3), (6, 3, 2)]),
    ("bij,bjk->bik", [(4, 2, 3), (4, 3, 5)]),
    ("ij,ij->", [(30, 40), (30, 40)]),
    ("i,j,k->ijk", [(3,), (4,), (5,)]),
]


@pytest.mark.parametrize("equation, shapes", PLAIN)
def test_plan_attributes_match_opt_einsum(equation, shapes):
    p = ct.plan(equation, *shapes)
    path, info = opt_einsum.contract_path(equation, *shapes, shapes=True, optimize="auto")
    assert p.path == tuple(tuple(s) for s in path)
    assert isinstance(p.flops, int) and p.flops == int(info.opt_cost)
    assert p.largest_intermediate == int(info.largest_intermediate)
    assert len(p.steps) == len(p.path)
    assert all(isinstance(s, Step) for s in p.steps)
    assert sum(s.flops for s in p.steps) == p.flops
    assert p.largest_intermediate == max(prod(s.output_shape) for s in p.steps)
    assert p.equation == ct.plan(equation, *shapes).equation
    assert p.output_shape == np.einsum(equation, *[np.ones(s) for s in shapes]).shape


def test_step_records_are_named_and_frozen():
    step = ct.plan("ij,jk->ik", (2, 3), (3, 4)).steps[0]
    assert step.operands == (0, 1) and step.kernel == "gemm"
    assert step.output_shape in ((2, 4), (4, 2)) and step.output_size == 8
    assert "->" in step.equation and step.flops == 48
    with pytest.raises(AttributeError):
        step.kernel = "x"


def test_str_plan_is_a_readable_step_table():
    p = ct.plan("ij,jk,kl->il", (2, 3), (3, 4), (4, 5))
    text = str(p)
    assert "ij,jk,kl->il" in text and "gemm" in text and "flops" in text
    assert str(p.flops) in text and str(p.largest_intermediate) in text
    assert len(text.splitlines()) == 4 + len(p.steps)
    assert "Plan" in repr(p) and "steps=2" in repr(p)


def test_plan_is_normalised_text():
    assert ct.plan("ij,jk", (2, 3), (3, 4)).equation == "ij,jk->ik"
    assert ct.plan(" a b , b c ", (2, 3), (3, 4)).equation == "a b, b c -> a c"


@pytest.mark.parametrize("seed", range(12))
def test_default_optimizer_never_worse_than_opt_einsum_auto(seed):
    eq, shapes = rand_equation(6 + seed, 3, n_out=2, d_min=2, d_max=5, seed=seed)
    ours = ct.plan(eq, *shapes)
    _, info = opt_einsum.contract_path(eq, *shapes, shapes=True, optimize="auto")
    assert ours.flops <= int(info.opt_cost)
    arrays = [np.random.default_rng(seed).uniform(-1, 1, s) for s in shapes]
    np.testing.assert_allclose(ours(*arrays), opt_einsum.contract(eq, *arrays), rtol=1e-9,
                               atol=1e-12)


@pytest.mark.parametrize("optimize", ["greedy", "optimal", "dp", "branch-2", "branch-all",
                                      "random-greedy", "auto-hq", "eager", "opportunistic"])
def test_named_optimizers_cost_what_opt_einsum_says(optimize):
    eq, shapes = "ab,bc,cd,de,ea->", [(3, 4), (4, 5), (5, 6), (6, 3), (3, 3)]
    p = ct.plan(eq, *shapes, optimize=optimize)
    if optimize != "random-greedy":
        _, info = opt_einsum.contract_path(eq, *shapes, shapes=True, optimize=optimize)
        assert p.flops == int(info.opt_cost)
    arrays = [np.random.default_rng(1).random(s) for s in shapes]
    np.testing.assert_allclose(p(*arrays), np.einsum(eq, *arrays), rtol=1e-12)


def test_explicit_path_is_used_as_given():
    shapes = [(2, 3), (3, 4), (4, 5)]
    p = ct.plan("ij,jk,kl->il", *shapes, optimize=[(1, 2), (0, 1)])
    assert p.path == ((1, 2), (0, 1))
    arrays = [np.random.default_rng(2).random(s) for s in shapes]
    np.testing.assert_allclose(p(*arrays), arrays[0] @ arrays[1] @ arrays[2], rtol=1e-12)
    assert ct.plan("ij,jk,kl->il", *shapes, optimize=[(0, 1, 2)]).path == ((0, 1, 2),)


def test_optimize_false_is_one_step():
    p = ct.plan("ij,jk,kl->il", (2, 3), (3, 4), (4, 5), optimize=False)
    assert len(p.steps) == 1 and p.path == ((0, 1, 2),)


def test_path_optimizer_objects():
    class FirstTwo(opt_einsum.paths.PathOptimizer):
        calls = 0

        def __call__(self, inputs, output, size_dict, memory_limit=None):
            FirstTwo.calls += 1
            return [(0, 1)] * (len(inputs) - 1)
    shapes = [(2, 3), (3, 4), (4, 5), (5, 2)]
    p = ct.plan("ij,jk,kl,lm->im", *shapes, optimize=FirstTwo())
    assert FirstTwo.calls == 1 and p.path == ((0, 1),) * 3
    arrays = [np.random.default_rng(3).random(s) for s in shapes]
    np.testing.assert_allclose(p(*arrays), np.linalg.multi_dot(arrays), rtol=1e-12)
    rg = opt_einsum.RandomGreedy(max_repeats=4)
    q = ct.plan("ij,jk,kl,lm->im", *shapes, optimize=rg)
    np.testing.assert_allclose(q(*arrays), np.linalg.multi_dot(arrays), rtol=1e-12)


def test_memory_limit_caps_intermediates():
    eq = "ab,bc,cd,de->ae"
    shapes = [(2, 50), (50, 50), (50, 50), (50, 2)]
    free = ct.plan(eq, *shapes)
    capped = ct.plan(eq, *shapes, memory_limit=2500)
    for step in capped.steps[:-1]:
        assert step.output_size <= 2500
    assert capped.flops >= free.flops
    arrays = [np.random.default_rng(4).random(s) for s in shapes]
    np.testing.assert_allclose(capped(*arrays), np.linalg.multi_dot(arrays), rtol=1e-10)
    with pytest.raises(ct.ContractError, match="memory_limit=200 .* 2500 elements"):
        ct.plan(eq, *shapes, memory_limit=200)      # below the largest operand


def test_memory_limit_must_be_a_positive_int():
    for bad in (-1, 0, 1.5, "big"):
        with pytest.raises(ct.ContractError, match="memory_limit"):
            ct.plan("ij,jk,kl->il", (2, 3), (3, 4), (4, 5), memory_limit=bad)


def test_plan_from_operands_and_call():
    a, b = np.ones((2, 3)), np.ones((3, 4))
    p = ct.plan("ij,jk->ik", a, b)
    assert p.shapes == ((2, 3), (3, 4))
    np.testing.assert_array_equal(p(a, b), np.full((2, 4), 3.0))


def test_plan_called_with_other_shapes_is_a_shape_error():
    p = ct.plan("ij,jk->ik", (2, 3), (3, 4))
    with pytest.raises(ct.ShapeError, match=r"operand 1 has shape \(3, 5\).*\(3, 4\)"):
        p(np.ones((2, 3)), np.ones((3, 5)))
    with pytest.raises(ct.ShapeError):
        p(np.ones((3, 2)), np.ones((3, 4)))


def test_plan_called_with_wrong_operand_count():
    p = ct.plan("ij,jk->ik", (2, 3), (3, 4))
    with pytest.raises(ct.ContractError, match="2 operands, got 1"):
        p(np.ones((2, 3)))
    with pytest.raises(ct.ContractError, match="2 operands, got 3"):
        p(np.ones((2, 3)), np.ones((3, 4)), np.ones(2))


class _Counter:
    def __init__(self, monkeypatch, module, name):
        self.calls = 0
        real = getattr(module, name)

        def counted(*args, **kwargs):
            self.calls += 1
            return real(*args, **kwargs)
        monkeypatch.setattr(module, name, counted)


@pytest.fixture
def counters(monkeypatch):
    """Counters on build_plan, find_path and parse wherever they are looked up."""
    return {
        "build": [_Counter(monkeypatch, CACHE_MODULE, "build_plan")],
        "path": [_Counter(monkeypatch, m, "find_path") for m in (PATHS_MODULE, PLAN_MODULE)],
        "parse": [_Counter(monkeypatch, OPERANDS_MODULE, "parse")],
    }


def _total(counters, kind):
    return sum(c.calls for c in counters[kind])


@pytest.mark.parametrize("args, kwargs", [
    (("ab,bc,cd->ad", (7, 3), (3, 4), (4, 5)), {}),
    (("ab,bc->ac", (7, 3), (3, 9)), {"optimize": "greedy"}),
    (("b (h p) -> b h", (7, 8)), {"p": 2}),
    (("...ij,...jk->...ik", (7, 2, 3), (3, 4)), {}),
])
def test_second_einsum_call_does_no_parsing_and_no_path_search(counters, args, kwargs):
    equation, shapes = args[0], args[1:]
    arrays = [np.random.default_rng(5).random(s) for s in shapes]
    first = ct.einsum(equation, *arrays, **kwargs)
    assert _total(counters, "build") == 1
    for _ in range(3):
        again = ct.einsum(equation, *arrays, **kwargs)
    np.testing.assert_array_equal(first, again)
    assert _total(counters, "build") == 1
    assert _total(counters, "path") <= 1
    assert _total(counters, "parse") <= 1


def test_new_shapes_replan_new_dtypes_do_not(counters):
    ct.einsum("ij,jk->ik", np.ones((11, 3)), np.ones((3, 4)))
    ct.einsum("ij,jk->ik", np.ones((11, 3)), np.ones((3, 5)))
    assert _total(counters, "build") == 2
    got = ct.einsum("ij,jk->ik", np.ones((11, 3), np.float32), np.ones((3, 5), np.float32))
    assert _total(counters, "build") == 2        # a plan is dtype-independent
    assert got.dtype == np.float32 and got[0, 0] == 3


def test_plan_then_einsum_share_one_cache_entry():
    CACHE_MODULE.clear()
    p = ct.plan("ij,jk,kl->il", (17, 3), (3, 4), (4, 5))
    ct.einsum("ij,jk,kl->il", np.ones((17, 3)), np.ones((3, 4)), np.ones((4, 5)))
    ct.einsum("ij,jk,kl->il", ct.ones(17, 3), ct.ones(3, 4), ct.ones(4, 5))
    assert CACHE_MODULE.size() == 1
    assert CACHE_MODULE.lookup(CACHE_MODULE.plan_key("ij,jk,kl->il",
                                                     [(17, 3), (3, 4), (4, 5)])) is p


def test_the_cache_evicts_the_least_recently_used_plan(monkeypatch):
    from functools import lru_cache
    small = lru_cache(maxsize=2)(CACHE_MODULE.lookup.__wrapped__)
    monkeypatch.setattr(CACHE_MODULE, "lookup", small)
    first = CACHE_MODULE.cached_plan("i->", [(2,)])
    CACHE_MODULE.cached_plan("i->", [(3,)])
    assert CACHE_MODULE.cached_plan("i->", [(2,)]) is first       # used again: now newest
    CACHE_MODULE.cached_plan("i->", [(4,)])                       # evicts (3,), not (2,)
    assert CACHE_MODULE.cached_plan("i->", [(2,)]) is first
    assert small.cache_info().currsize == 2


def test_ct_plan_uses_the_cache(counters):
    p = ct.plan("ij,jk,kl->il", (13, 3), (3, 4), (4, 5))
    q = ct.plan("ij,jk,kl->il", (13, 3), (3, 4), (4, 5))
    assert p is q and _total(counters, "build") == 1


@pytest.mark.parametrize("equation, shapes, kernel", [
    ("ij,jk->ik", [(20, 30), (30, 40)], "gemm"),
    ("ij,kj->ik", [(20, 30), (40, 30)], "gemm"),
    ("ji,jk->ik", [(30, 20), (30, 40)], "gemm"),
    ("ij,j->i", [(20, 30), (30,)], "gemm"),
    ("abc,cd->abd", [(5, 6, 7), (7, 8)], "gemm"),
    ("abcd,cdef->abef", [(2, 3, 4, 5), (4, 5, 3, 2)], "gemm"),
    ("bij,bjk->bik", [(8, 20, 30), (8, 30, 40)], "bmm"),
    ("bhqd,bhkd->bhqk", [(2, 3, 8, 16), (2, 3, 8, 16)], "bmm"),
])
def test_gemm_shaped_steps_use_blas_kernels(equation, shapes, kernel):
    p = ct.plan(equation, *shapes)
    assert [s.kernel for s in p.steps] == [kernel]
    arrays = [np.random.default_rng(6).random(s) for s in shapes]
    np.testing.assert_allclose(p(*arrays), np.einsum(equation, *arrays), rtol=1e-12)


def test_every_step_of_a_chain_is_gemm():
    shapes = [(10, 20), (20, 30), (30, 40), (40, 5)]
    assert {s.kernel for s in ct.plan("ab,bc,cd,de->ae", *shapes).steps} == {"gemm"}


@pytest.mark.parametrize("text,shapes", [
    ("ij,bjk->bik", [(40, 50), (3, 50, 60)]),
    ("ji,bjk->bik", [(50, 40), (3, 50, 60)]),           # a transposed weight
    ("ij,bkj->bik", [(40, 50), (3, 60, 50)]),           # contracted axis last in b
    ("o c i j, b c i j h w -> b o h w", [(16, 3, 2, 2), (4, 3, 2, 2, 30, 30)]),   # the conv
    ("ij,bcjk->bcik", [(40, 50), (2, 3, 50, 60)]),      # two outer labels
])
def test_final_gemm_writes_the_output_order_directly(text, shapes):
    """A final step whose output leads with one operand's free labels is a broadcast matmul:
    the result is the requested layout (C-contiguous), equal to NumPy's."""
    rng = np.random.default_rng(3)
    ops = [rng.standard_normal(s) for s in shapes]
    plan = ct.plan(text, *ops)
    assert plan.steps[-1].kernel == "bcast-gemm"
    got = plan(*ops)
    assert got.flags.c_contiguous
    np.testing.assert_allclose(got, np.einsum(text.replace(" ", ""), *ops), rtol=1e-10,
                               atol=1e-10)


def test_small_final_gemms_stay_one_gemm_and_a_view():
    """Below BROADCAST_MIN_FLOPS per matrix one big GEMM plus a transposed view is kept."""
    from contract.engine.kernels.real import BROADCAST_MIN_FLOPS, compile_pair
    small = compile_pair((0, 1), (2, 1, 3), keep={0, 2, 3}, sizes=(4, 4, 100, 4),
                         want=(2, 0, 3))
    assert 4 * 4 * 4 < BROADCAST_MIN_FLOPS and small.out != (2, 0, 3)
    big = compile_pair((0, 1), (2, 1, 3), keep={0, 2, 3}, sizes=(64, 64, 3, 64),
                       want=(2, 0, 3))
    assert big.out == (2, 0, 3) and big.copies == 0 and big.name == "bcast-gemm"


def test_a_plain_gemm_is_not_split_into_matrix_vector_products():
    """``o k, k p -> o p`` read with the operands swapped fits the broadcast form with
    ``o`` as its batch and one column per product: it must stay one GEMM."""
    from contract.engine.kernels.real import compile_pair
    kernel = compile_pair((0, 1), (1, 2), keep={0, 2}, sizes=(32, 144, 3966), want=(0, 2))
    assert kernel.name == "gemm" and kernel.out == (0, 2)
    plan = ct.plan("o c i j, c i j p -> o p", (32, 16, 3, 3), (16, 3, 3, 3966))
    assert [step.kernel for step in plan.steps] == ["gemm"]


# -- the step table names '...' dimensions even when spare letters run out ----------------
def test_many_single_letter_labels_beside_ellipsis_dimensions_plan_and_print():
    """The step table names '...' dimensions with spare letters; when they ran out,
    a StopIteration escaped from ct.einsum."""
    import string
    greek = "".join(map(chr, range(0x3b1, 0x3ca)))
    first, second = string.ascii_letters[:40], string.ascii_letters[40:] + greek[:6]
    rng = np.random.default_rng(2)
    a = rng.standard_normal((1,) * 40 + (1, 2) + (1,) * 18)
    b = rng.standard_normal((1, 2) + (1,) * 18 + (1,) * len(second))
    equation = first + "...,..." + second + "->..."
    got = ct.einsum(equation, a, b)
    expected = a.reshape(a.shape[40:]) * b.reshape(b.shape[:20])
    np.testing.assert_allclose(got, expected, rtol=1e-12)
    assert "…" in str(ct.plan(equation, a, b))


def test_einsum_and_plan_with_a_dtype_object_share_one_cache_entry():
    CACHE_MODULE.clear()
    a = np.ones((3, 19))
    ct.einsum("ij->j", a, dtype=np.float32)
    ct.plan("ij->j", a, dtype=np.float32)
    ct.einsum("ij->j", ct.tensor(a), dtype=np.float32)
    assert CACHE_MODULE.size() == 1


def test_a_memory_limited_call_decides_once_and_searches_each_path_once(monkeypatch):
    from contract.engine import slicing
    CACHE_MODULE.clear()
    decided, searched = [], []
    real_fitting, real_find = slicing._fitting, PLAN_MODULE.find_path
    monkeypatch.setattr(slicing, "_fitting", lambda *a: decided.append(1) or real_fitting(*a))
    monkeypatch.setattr(PLAN_MODULE, "find_path",
                        lambda *a, **k: searched.append(a[4]) or real_find(*a, **k))
    eq, shapes = "bc,c,ac,ac,ad->bd", [(3, 13), (13,), (13, 13), (13, 13), (13, 13)]
    arrays = [np.ones(s) for s in shapes]
    for _ in range(3):
        ct.einsum(eq, *arrays, memory_limit=169)
    assert len(decided) == 1
    assert sorted(searched, key=str) == [169, None]       # the limited and the free path
    assert ct.plan(eq, *shapes, memory_limit=169).unlimited is ct.plan(eq, *shapes)
