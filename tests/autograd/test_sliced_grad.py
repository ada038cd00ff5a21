"""Sliced contractions with gradients: the sliced backward against the unsliced einsum's
gradients (float64, 1e-10 relative) in every semiring, on the bench's lattice and random
networks; ties; the operand view recipes; the memory bound; bad input."""
import tracemalloc

import numpy as np
import pytest

import contract as ct
import contract.autograd.sliced_vjp as sliced_vjp
from sliced_cases import RECIPES
from contract.engine.kernels.semiring import SemiringOps
from contract.engine.plan import Plan
from contract.engine.semirings import get_semiring, make_semiring
from contract.tools.bench.generators import lattice, random_regular

SEMIRINGS = ["real", "log", "maxplus", "minplus", "maxtimes", "sliced-user-maxplus"]
LOOP = "abc,cde,efa,bdf->"


def _max(xp, a, axes, out=None, scratch=False):
    return a.max(axis=axes) if out is None else a.max(axis=axes, out=out)


def _user_ring():
    """A semiring a user registers (max-plus built from its ops, not the built-in record)."""
    name = "sliced-user-maxplus"
    try:
        return get_semiring(name)
    except ct.ContractError:
        ops = SemiringOps(name, _max, "add", "maximum", "argmax", "greater")
        return ct.register_semiring(make_semiring(ops, zero=-np.inf, one=0.0))


def _data(arrays, semiring):
    """Positive operands for (+, *) semirings, log-scale ones for the others."""
    if semiring in ("real", "maxtimes"):
        return arrays
    return [np.log(a) for a in arrays]


def _value_and_grads(equation, arrays, semiring, seed=None, sliced=None, **sizes):
    leaves = [ct.tensor(a, requires_grad=True) for a in arrays]
    if sliced is None:
        out = ct.einsum(equation, *leaves, semiring=semiring, **sizes)
    else:
        out = sliced(*leaves)
    if seed is None:
        seed = np.linspace(0.5, 1.5, out.numel()).reshape(tuple(out.shape))
    out.backward(ct.tensor(seed))
    return [out.detach().numpy()] + [t.grad.numpy() for t in leaves]


def _assert_close(got, expected, rtol=1e-10):
    """Equal to ``rtol`` relative to each array's largest finite magnitude (infinities,
    e.g. a log-semiring's off-diagonal zeros, equal exactly)."""
    for mine, theirs in zip(got, expected):
        assert mine.shape == theirs.shape
        finite = np.isfinite(theirs)
        np.testing.assert_array_equal(mine[~finite], theirs[~finite])
        scale = float(np.max(np.abs(theirs[finite]), initial=1e-300))
        np.testing.assert_allclose(mine[finite], theirs[finite], rtol=0, atol=rtol * scale)


NETWORKS = [lattice(4, 4, bond=3), lattice(3, 5, bond=2), random_regular(12, 3, bond=2, seed=1),
            random_regular(16, 3, bond=3, seed=2)]


@pytest.mark.parametrize("semiring", SEMIRINGS)
@pytest.mark.parametrize("inst", NETWORKS, ids=lambda i: i.name)
@pytest.mark.parametrize("open_label", [False, True], ids=["scalar", "open"])
def test_sliced_gradients_equal_unsliced_ones(inst, semiring, open_label):
    _user_ring()
    equation = inst.equation
    if open_label:                       # keep one label: the backward is its own pass
        equation += equation[0]
    arrays = _data(inst.arrays(seed=3), semiring)
    limit = max(a.size for a in arrays)
    sp = ct.slice_plan(equation, *arrays, memory_limit=limit, semiring=semiring,
                       optimize="greedy")
    assert sp.num_slices > 1
    expected = _value_and_grads(equation, arrays, semiring)
    _assert_close(_value_and_grads(equation, arrays, semiring, sliced=sp), expected)


@pytest.mark.parametrize("semiring", ["real", "log", "maxplus", "maxtimes"])
@pytest.mark.parametrize("equation,shapes,sizes,limit", RECIPES)
def test_view_recipes_differentiate_back(equation, shapes, sizes, limit, semiring):
    rng = np.random.default_rng(7)
    arrays = _data([rng.uniform(0.1, 1.0, s) for s in shapes], semiring)
    sp = ct.slice_plan(equation, *arrays, memory_limit=limit, semiring=semiring, **sizes)
    assert sp.num_slices > 1
    expected = _value_and_grads(equation, arrays, semiring, **sizes)
    _assert_close(_value_and_grads(equation, arrays, semiring, sliced=sp), expected)


@pytest.mark.parametrize("semiring", ["maxplus", "minplus", "maxtimes", "sliced-user-maxplus"])
@pytest.mark.parametrize("values", [1, 3])
def test_ties_break_as_the_unsliced_einsum_breaks_them(semiring, values):
    """Integer data has many optimal assignments; the sliced gradient picks the same one
    (the labels are cut to single values: segments of 1)."""
    _user_ring()
    rng = np.random.default_rng(values)
    arrays = [rng.integers(0, values, (4, 4, 4)).astype(float) + (semiring == "maxtimes")
              for _ in range(4)]
    for equation in (LOOP, "abc,cde,efa,bdf->a"):
        sp = ct.slice_plan(equation, *arrays, memory_limit=64, semiring=semiring)
        assert sp.num_slices > 1 and 1 in sp.segments.values()
        expected = _value_and_grads(equation, arrays, semiring)
        got = _value_and_grads(equation, arrays, semiring, sliced=sp)
        for mine, theirs in zip(got, expected):
            np.testing.assert_array_equal(mine, theirs)


def test_complex_operands():
    rng = np.random.default_rng(8)
    arrays = [rng.standard_normal((4, 4, 4)) + 1j * rng.standard_normal((4, 4, 4))
              for _ in range(4)]
    for equation in (LOOP, "abc,cde,efa,bdf->b"):
        sp = ct.slice_plan(equation, *arrays, memory_limit=64)
        seed = np.ones(()) if equation == LOOP else np.arange(1.0, 5.0) - 2j
        expected = _value_and_grads(equation, arrays, "real", seed=seed)
        _assert_close(_value_and_grads(equation, arrays, "real", seed=seed, sliced=sp),
                      expected)


def test_only_some_operands_need_gradients_and_constants_mix_in():
    rng = np.random.default_rng(9)
    arrays = [rng.uniform(0.1, 1.0, (5, 5, 5)) for _ in range(4)]
    sp = ct.slice_plan(LOOP, *arrays, memory_limit=125)
    x = ct.tensor(arrays[1], requires_grad=True)
    y = ct.tensor(arrays[2])                       # no gradient
    out = sp(arrays[0], x, y, arrays[3])
    out.backward()
    z = ct.tensor(arrays[1], requires_grad=True)
    ct.einsum(LOOP, arrays[0], z, arrays[2], arrays[3]).backward()
    _assert_close([x.grad.numpy()], [z.grad.numpy()])
    assert y.grad is None and out.grad_fn.name() == "SlicedEinsumBackward0"
    with ct.no_grad():
        assert sp(arrays[0], x, y, arrays[3]).grad_fn is None


@pytest.mark.parametrize("semiring", ["real", "log", "maxplus"])
def test_zero_size_labels_give_zero_gradients(semiring):
    x = ct.zeros(4, 0, 4, requires_grad=True)
    y = ct.ones(4, 4, 4, requires_grad=True)
    for equation in (LOOP, "abc,cde,efa,bdf->a"):
        x.grad = y.grad = None
        sp = ct.slice_plan(equation, (4, 0, 4), (4, 4, 4), (4, 4, 4), (0, 4, 4),
                           memory_limit=64, semiring=semiring)
        sp(x, y, y, ct.zeros(0, 4, 4)).sum().backward()
        assert tuple(x.grad.shape) == (4, 0, 4)
        np.testing.assert_array_equal(y.grad.numpy(), np.zeros((4, 4, 4)))


def test_a_second_backward_with_retain_graph_gives_the_same_gradient():
    rng = np.random.default_rng(10)
    x = ct.tensor(rng.uniform(0.1, 1.0, (5, 5, 5)), requires_grad=True)
    sp = ct.slice_plan(LOOP, *[(5, 5, 5)] * 4, memory_limit=125)
    out = sp(x, x, x, x)
    out.backward(retain_graph=True)
    first = x.grad.numpy().copy()
    x.grad = None
    (out * 2).backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * first, rtol=1e-12)


def test_a_semiring_with_its_own_vjp_gets_it_per_slice():
    """gradient='select' with vjp=: each slice's rule, seeded where that slice wins."""
    from contract.autograd.semiring_vjp import select_vjp
    name = "sliced-own-vjp"
    try:
        ring = get_semiring(name)
    except ct.ContractError:
        ops = SemiringOps(name, _max, "add", "maximum", "argmax", "greater")
        ring = ct.register_semiring(make_semiring(ops, zero=-np.inf, one=0.0, vjp=select_vjp,
                                                  gradient="select"))
    rng = np.random.default_rng(11)
    arrays = [rng.standard_normal((4, 4, 4)) for _ in range(4)]
    sp = ct.slice_plan("abc,cde,efa,bdf->a", *arrays, memory_limit=64, semiring=ring.name)
    expected = _value_and_grads("abc,cde,efa,bdf->a", arrays, "maxplus")
    _assert_close(_value_and_grads("abc,cde,efa,bdf->a", arrays, ring.name, sliced=sp),
                  expected)


def test_no_array_of_the_backward_is_larger_than_the_limit(monkeypatch):
    """Every plan the forward and backward run (slices, gradient einsums, log steps, tracked
    passes) keeps its steps within the limit, and so does each result."""
    seen = []
    execute = Plan.execute

    def watched(self, backend, arrays, *args, **kwargs):
        out = execute(self, backend, arrays, *args, **kwargs)
        seen.append(max(self.largest_intermediate, int(np.prod(np.shape(out)))))
        return out
    tracked = sliced_vjp.run_tracked_ordered

    def watched_tracked(plan, backend, arrays):
        seen.append(plan.largest_intermediate)
        return tracked(plan, backend, arrays)
    monkeypatch.setattr(Plan, "execute", watched)
    monkeypatch.setattr(sliced_vjp, "run_tracked_ordered", watched_tracked)
    rng = np.random.default_rng(12)
    arrays = [rng.uniform(0.1, 1.0, (8, 8, 8)) for _ in range(4)]
    for semiring in ("real", "log", "maxplus"):
        for equation in (LOOP, "abc,cde,efa,bdf->a"):
            data = _data(arrays, semiring)
            sp = ct.slice_plan(equation, *data, memory_limit=512, semiring=semiring)
            assert sp.unsliced_largest_intermediate >= 8 * 512
            seen.clear()
            _value_and_grads(equation, data, semiring, sliced=sp)
            assert seen and max(seen) <= 512


def _memory_network():
    """A random 3-regular network of 12 tensors, bond 8, with a batch label on every tensor:
    its unsliced largest intermediate is 64x its largest operand."""
    base = random_regular(12, 3, bond=8, seed=1)
    equation = ",".join(t + "z" for t in base.equation.split("->")[0].split(",")) + "->"
    rng = np.random.default_rng(0)
    return equation, [rng.uniform(0.0, 1.0, s + (32,)) for s in base.shapes]


def test_peak_memory_of_forward_and_backward_stays_within_three_limits():
    equation, arrays = _memory_network()
    limit = max(a.size for a in arrays)
    sp = ct.slice_plan(equation, *arrays, memory_limit=limit, optimize="greedy")
    assert sp.unsliced_largest_intermediate >= 64 * limit
    leaves = [ct.tensor(a, requires_grad=True) for a in arrays]

    def forward_backward():
        for t in leaves:
            t.grad = None
        sp(*leaves).backward()
    for _ in range(2):           # plans, caches and Python's free lists reach steady state
        forward_backward()       # (no gc.collect() after: it would empty the free lists)
    for t in leaves:
        t.grad = None
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        sp(*leaves).backward()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    gradients = sum(t.grad.numpy().nbytes for t in leaves)
    assert peak - base - gradients <= 3 * limit * 8


def test_auto_slicing_in_einsum_is_differentiable_and_says_so():
    rng = np.random.default_rng(13)
    arrays = [rng.uniform(0.1, 1.0, (8, 8, 8)) for _ in range(4)]
    plan = ct.plan(LOOP, *arrays, memory_limit=512)
    assert "sliced automatically" in str(plan) and plan.largest_intermediate <= 512
    assert ct.plan(LOOP, *arrays, memory_limit=512) is plan          # kept for reuse
    expected = _value_and_grads(LOOP, arrays, "real", seed=np.ones(()))
    leaves = [ct.tensor(a, requires_grad=True) for a in arrays]
    out = ct.einsum(LOOP, *leaves, memory_limit=512)
    out.backward()
    _assert_close([out.detach().numpy()] + [t.grad.numpy() for t in leaves], expected)
    np.testing.assert_allclose(ct.einsum(LOOP, *arrays, memory_limit="max_input"),
                               np.einsum(LOOP, *arrays), rtol=1e-12)
    c = np.zeros(())
    assert ct.einsum(LOOP, *arrays, memory_limit=512, out=c) is c
    np.testing.assert_allclose(c, np.einsum(LOOP, *arrays), rtol=1e-12)
    fits = ct.plan(LOOP, *arrays, memory_limit=4096)       # a path fits: a plain plan
    assert isinstance(fits, Plan)


def test_limits_that_cannot_be_met_name_the_smallest_bound():
    x = np.ones((8, 8, 8))
    with pytest.raises(ct.ContractError, match=r"memory_limit=100 .* 512 elements.*operand 0"):
        ct.slice_plan(LOOP, x, x, x, x, memory_limit=100)
    with pytest.raises(ct.ContractError, match=r"memory_limit=100 .* 512 elements"):
        ct.einsum(LOOP, x, x, x, x, memory_limit=100)
    with pytest.raises(ct.ContractError, match=r"memory_limit=50 .* 64 elements.*output"):
        ct.slice_plan("ij,jk->ik", (8, 2), (2, 8), memory_limit=50)
    with pytest.raises(ct.ContractError, match="'max_input'"):
        ct.slice_plan(LOOP, x, x, x, x, memory_limit="max")
    assert ct.slice_plan(LOOP, x, x, x, x, memory_limit="max_input").memory_limit == 512


def test_the_path_is_searched_again_for_the_sliced_network():
    """Never more FLOPs than slicing the unsliced path; fewer on the 4x4 lattice and the
    30-tensor random regular network."""
    for inst, limit in ((lattice(4, 4, bond=4), 256), (random_regular(30, 3, bond=2), 32)):
        sp = ct.slice_plan(inst.equation, *inst.shapes, memory_limit=limit, optimize="greedy")
        assert sp.largest_intermediate <= limit < sp.unsliced_largest_intermediate
        assert sp.flops < sp.fixed_path_flops
        assert "slicing the unsliced path" in str(sp)
    rng = np.random.default_rng(14)
    for seed in range(6):
        inst = random_regular(10 + 2 * seed, 3, bond=int(rng.integers(2, 4)), seed=seed)
        limit = max(int(np.prod(s)) for s in inst.shapes) * 2
        sp = ct.slice_plan(inst.equation, *inst.shapes, memory_limit=limit)
        assert sp.flops <= sp.fixed_path_flops and sp.largest_intermediate <= limit


def test_cotengra_is_an_optional_optimizer():
    ctg = pytest.importorskip("cotengra")
    inst = lattice(4, 4, bond=4)
    sp = ct.slice_plan(inst.equation, *inst.shapes, memory_limit=256, optimize="cotengra")
    assert sp.largest_intermediate <= 256 and sp.method == "cotengra"
    opt = ctg.HyperOptimizer(max_repeats=8, slicing_opts={"target_size": 64}, progbar=False,
                             parallel=False)
    honoured = ct.slice_plan(inst.equation, *inst.shapes, memory_limit=256, optimize=opt)
    assert honoured.largest_intermediate <= 64          # cotengra's target, below the limit
    arrays = inst.arrays(seed=1)
    np.testing.assert_allclose(honoured(*arrays), ct.einsum(inst.equation, *arrays),
                               rtol=1e-10)
