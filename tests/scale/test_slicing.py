"""Sliced contractions: limits respected, exact results in every semiring, vs NumPy float64."""
import numpy as np
import pytest

import contract as ct
from contract.backends import backend_for
from contract.engine.kernels.real import Kernel
from contract.engine.semirings import Semiring, get_semiring, register_semiring
from contract._util.progress import progress_bar
from oracles import brute, operands
from sliced_cases import RECIPES

SEMIRINGS = ["real", "log", "maxplus", "minplus", "maxtimes"]


NETWORK = ("abc,cde,efa,bdf->", [(5, 4, 5), (5, 6, 4), (4, 5, 5), (4, 6, 5)])
LIMIT = 120          # the largest operand: a smaller limit is refused


def _operands(shapes, semiring, seed=0):
    if semiring in ("real", "maxtimes"):
        rng = np.random.default_rng(seed)
        return [rng.uniform(0.1, 1.0, s) for s in shapes]
    return operands(shapes, seed)


@pytest.mark.parametrize("semiring", SEMIRINGS)
def test_sliced_matches_unsliced_in_every_semiring(semiring):
    equation, shapes = NETWORK
    arrays = _operands(shapes, semiring)
    sp = ct.slice_plan(equation, *arrays, memory_limit=LIMIT, semiring=semiring)
    assert sp.num_slices > 1
    expected = brute(equation, arrays, semiring)
    np.testing.assert_allclose(sp(*arrays), expected, rtol=1e-10)


def _maxplus_kernel(terms, out):
    labels = list(dict.fromkeys(x for t in terms for x in t))

    def fn(xp, *arrays):
        total = 0.0
        for term, a in zip(terms, arrays):
            perm = [term.index(x) for x in labels if x in term]
            view = a.transpose(perm).reshape([a.shape[term.index(x)] if x in term else 1
                                              for x in labels])
            total = total + view
        axes = tuple(k for k, x in enumerate(labels) if x not in out)
        total = total.max(axis=axes) if axes else total
        kept = [x for x in labels if x in out]
        return total.transpose([kept.index(x) for x in out])
    return Kernel("brute", fn, tuple(out))


def _test_semiring():
    name = "test-brute-maxplus"
    try:
        return get_semiring(name)
    except ct.ContractError:
        return register_semiring(Semiring(
            name,
            compile_single=lambda labels, out: _maxplus_kernel([labels], out),
            compile_pair=lambda la, lb, keep, sizes: _maxplus_kernel(
                [la, lb], tuple(x for x in dict.fromkeys(la + lb) if x in keep)),
            compile_nary=lambda terms, out: _maxplus_kernel(terms, out),
            zero=-np.inf, one=0.0))


def test_an_unknown_semiring_is_combined_with_its_own_reduce():
    ring = _test_semiring()
    equation, shapes = NETWORK
    arrays = _operands(shapes, "maxplus", seed=3)
    sp = ct.slice_plan(equation, *arrays, memory_limit=LIMIT, semiring=ring.name)
    assert sp.num_slices > 1
    expected = brute(equation, arrays, "maxplus")
    np.testing.assert_allclose(sp(*arrays), expected, rtol=1e-12)
    a, b = np.array([1.0, -np.inf, 3.0]), np.array([2.0, -np.inf, -1.0])
    np.testing.assert_array_equal(ring.add(np)(a, b), [2.0, -np.inf, 3.0])


@pytest.mark.parametrize("limit", [1000, 700, 500, 336])
def test_every_step_of_every_slice_fits_the_limit(limit):
    equation = "abc,cde,efa,bdf->"
    shapes = [(7, 6, 7), (7, 8, 6), (6, 7, 7), (6, 8, 7)]
    arrays = _operands(shapes, "real", seed=1)
    sp = ct.slice_plan(equation, *arrays, memory_limit=limit)
    assert sp.unsliced_largest_intermediate > limit
    assert sp.largest_intermediate <= limit
    backend = backend_for(arrays)
    for bounds in sp.slice_bounds():
        views = sp.job.views(arrays, bounds)
        trace = {}
        sp.job.plan_for([v.shape for v in views]).execute(backend, views, trace=trace)
        assert max(out.size for _, out in trace["steps"]) <= limit
    np.testing.assert_allclose(sp(*arrays), np.einsum(equation, *arrays), rtol=1e-10)
    assert sp.overhead >= 1.0 and sp.flops >= sp.unsliced_flops


def test_no_slicing_needed_gives_one_slice():
    a = np.ones((3, 4))
    sp = ct.slice_plan("ij,jk->ik", a, a.T, memory_limit=10 ** 6)
    assert sp.sliced == () and sp.num_slices == 1 and sp.overhead == 1.0
    np.testing.assert_allclose(sp(a, a.T), a @ a.T)


@pytest.mark.parametrize("equation,shapes,sizes,limit", RECIPES)
def test_views_and_output_recipes(equation, shapes, sizes, limit):
    arrays = _operands(shapes, "real", seed=2)
    expected = ct.einsum(equation, *arrays, **sizes)
    sp = ct.slice_plan(equation, *arrays, memory_limit=limit, **sizes)
    assert sp.num_slices > 1 and sp.largest_intermediate <= limit
    got = sp(*arrays)
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected, rtol=1e-10)


def test_integer_operands_accumulate_in_int64():
    x = np.full((8, 8, 8), 100, dtype=np.int8)
    sp = ct.slice_plan(NETWORK[0], x, x, x, x, memory_limit=512)
    got = sp(x, x, x, x)
    assert sp.num_slices > 1 and got.dtype == np.int64
    np.testing.assert_array_equal(got, 8 ** 6 * 100 ** 4)


def test_float16_accumulates_in_float32():
    x = np.full((16, 16, 16), 0.1, dtype=np.float16)
    sp = ct.slice_plan(NETWORK[0], x, x, x, x, memory_limit=4096)
    got = sp(x, x, x, x)
    assert sp.num_slices > 1 and got.dtype == np.float16
    wide = x.astype(np.float64)
    np.testing.assert_allclose(got.astype(np.float64), np.einsum(NETWORK[0], *[wide] * 4),
                               rtol=2e-3)


def test_sliced_dask_operands_stay_lazy():
    da = pytest.importorskip("dask.array")
    arrays = _operands(NETWORK[1], "real", seed=4)
    lazy = ct.sliced(NETWORK[0], *[da.from_array(a, chunks=3) for a in arrays],
                     memory_limit=LIMIT)
    assert isinstance(lazy, da.Array)
    np.testing.assert_allclose(lazy.compute(), np.einsum(NETWORK[0], *arrays), rtol=1e-10)


def test_errors_name_the_problem():
    a = np.ones((10, 10))
    with pytest.raises(ct.ContractError, match="memory_limit=50 .* 100 elements"):
        ct.slice_plan("ij,jk->ik", a, a, memory_limit=50)
    with pytest.raises(ct.ContractError, match="memory_limit must be a positive int"):
        ct.slice_plan("ij,jk->ik", a, a, memory_limit=0)
    sp = ct.slice_plan("ij,jk->ik", a, a, memory_limit=100)
    with pytest.raises(ct.ShapeError, match="operand 1 has shape"):
        sp(a, np.ones((10, 9)))
    with pytest.raises(ct.ContractError, match="takes 2 operands"):
        sp(a)


def test_progress_callback_counts_every_slice():
    arrays = _operands(NETWORK[1], "real")
    seen = []
    sp = ct.slice_plan(NETWORK[0], *arrays, memory_limit=LIMIT)
    sp(*arrays, progress=lambda done, total: seen.append((done, total)))
    assert seen[-1] == (sp.num_slices, sp.num_slices) and len(seen) == sp.num_slices
    with progress_bar(2, False) as advance:
        advance(1)


def test_str_reports_the_slicing():
    sp = ct.slice_plan(NETWORK[0], *NETWORK[1], memory_limit=LIMIT)
    text = str(sp)
    assert "sliced labels" in text and "overhead" in text and "per-slice plan" in text
    assert repr(sp).startswith("<SlicedPlan")


@pytest.mark.parametrize("semiring", ["real", "maxplus"])
def test_a_repeated_output_label_embeds_on_dask_too(semiring):
    """The output's diagonal embedding goes through the backend (fill: the semiring's zero),
    so a Dask operand works as a NumPy one does."""
    da = pytest.importorskip("dask.array")
    x = np.array([1.0, 2.0])
    sp = ct.slice_plan("i->ii", (2,), memory_limit=4, semiring=semiring)
    expected = np.asarray(sp(x))
    np.testing.assert_array_equal(np.asarray(sp(da.from_array(x, chunks=1)).compute()),
                                  expected)
    zero = 0.0 if semiring == "real" else -np.inf
    assert expected[0, 1] == zero and expected[1, 1] == 2.0
