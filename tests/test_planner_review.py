"""Regression tests from an adversarial review of the planner and kernels (oracle: np.einsum)."""
import numpy as np
import pytest

import contract as ct


@pytest.mark.parametrize("equation", ["->", "", "...->...", "..."])
@pytest.mark.parametrize("semiring", ["real", "log", "maxplus"])
def test_a_0d_operand_is_not_handed_back_as_the_result(equation, semiring):
    """np.einsum("->", x) returns a new scalar; writing into ct's result must not change x."""
    x = np.array(2.5)
    got = ct.einsum(equation, x, semiring=semiring)
    np.testing.assert_allclose(got, np.einsum(equation, x.astype(np.float64)))
    assert not np.shares_memory(got, x)
    np.asarray(got)[...] = -1.0
    assert x == 2.5


def test_a_failed_chunk_leaves_no_chunk_running_after_the_blas_limit_is_given_back(monkeypatch):
    """map_chunks raised as soon as one chunk failed while the others still ran: they went on
    after the call returned, with BLAS already back at its full thread count."""
    threadpoolctl = pytest.importorskip("threadpoolctl")
    import threading
    import time
    from contract._util import parallel
    monkeypatch.setenv("CONTRACT_NUM_THREADS", "2")
    if not parallel.parallel_ok(np, 2):
        pytest.skip("no thread pool here")

    def blas_threads():
        return [i["num_threads"] for i in threadpoolctl.threadpool_info()
                if i["user_api"] == "blas"]
    started, seen = threading.Event(), {}

    def chunk(i):
        if i == 0:
            started.wait(5)          # fail while chunk 1 is running
            raise ValueError("chunk 0 failed")
        started.set()
        time.sleep(0.3)
        seen["threads"] = blas_threads()
        return i
    with pytest.raises(ValueError, match="chunk 0 failed"):
        parallel.map_chunks(chunk, [0, 1])
    assert "threads" in seen                         # chunk 1 finished before the raise
    assert seen["threads"] == [1] * len(seen["threads"])
    assert parallel._STATE["depth"] == 0


@pytest.mark.parametrize("equation, shapes, sizes, numpy_equation, split", [
    # a batch axis of size 1 broadcasts against another operand in an operand with a group
    ("b (h p), b -> b h", [(1, 8), (4,)], {"p": 2}, "bhp,b->bh", [(1, 4, 2), (4,)]),
    ("b (h p), b -> b h", [(4, 8), (1,)], {"p": 2}, "bhp,b->bh", [(4, 4, 2), (1,)]),
    ("(h p) b, b c -> c h", [(6, 1), (5, 3)], {"h": 3}, "hpb,bc->ch", [(3, 2, 1), (5, 3)]),
    ("a (a b) -> b", [(1, 6)], {"b": 3}, "aab->b", None),
])
def test_a_broadcast_size_1_axis_beside_a_split_group(equation, shapes, sizes, numpy_equation,
                                                      split):
    """The split reshape used the label's broadcast size for the plain size-1 axis too
    (ValueError: cannot reshape array of size 8 into shape (4,4,2))."""
    rng = np.random.default_rng(0)
    ops = [rng.standard_normal(s) for s in shapes]
    if split is None:      # 'a (a b)': a size-1 axis is no diagonal of a's size 2 (issue 14)
        with pytest.raises(ct.ShapeError, match="repeated in operand 0 with sizes 1 and 2"):
            ct.einsum(equation, *ops, **sizes)
        return
    got = ct.einsum(equation, *ops, **sizes)
    expected = np.einsum(numpy_equation, *(o.reshape(s) for o, s in zip(ops, split)))
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)


def test_gradients_through_a_broadcast_axis_beside_a_split_group():
    rng = np.random.default_rng(1)
    x = ct.tensor(rng.standard_normal((1, 8)), requires_grad=True)
    y = ct.tensor(rng.standard_normal((4,)), requires_grad=True)
    assert ct.testing.gradcheck(lambda a, b: ct.einsum("b (h p), b -> b h", a, b, p=2), (x, y))


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


def _names(prefix, count):
    return [f"{prefix}{i}" for i in range(count)]


@pytest.mark.parametrize("case", ["output", "step", "embedding", "split"])
def test_more_than_64_dimensions_is_a_shape_error(case):
    """NumPy arrays hold at most 64 dimensions; an output, a step result, a diagonal
    embedding or a group split past that leaked numpy's IndexError / ValueError."""
    a, b = _names("a", 40), _names("b", 40)
    ones = np.ones((1,) * 40)
    sizes, kwargs = {}, {}
    if case == "output":
        equation, ops = f"{' '.join(a)}, {' '.join(b)} -> {' '.join(a + b)}", [ones, ones]
    elif case == "step":        # the first step keeps 80 labels that the last two need
        c, d = a[:32] + b[:32], a[32:] + b[32:]
        equation = f"{' '.join(a)}, {' '.join(b)}, {' '.join(c)}, {' '.join(d)} ->"
        ops = [ones, ones, np.ones((1,) * 64), np.ones((1,) * 16)]
        kwargs = {"optimize": [(0, 1), (0, 1), (0, 1)]}
    elif case == "embedding":
        equation, ops = f"{' '.join(a[:33])} -> {' '.join(a[:33] + a[:33])}", [np.ones((1,) * 33)]
    else:
        equation, ops = f"({' '.join(a + b)}) -> a0", [np.ones(1)]
        sizes = {name: 1 for name in (a + b)[1:]}
    with pytest.raises(ct.ShapeError, match="64"):
        ct.einsum(equation, *ops, **kwargs, **sizes)


def test_64_dimensions_still_run():
    a = _names("a", 64)
    x = np.random.default_rng(3).standard_normal((1,) * 62 + (2, 3))
    got = ct.einsum(f"{' '.join(a)} -> {' '.join(a[::-1])}", x)
    np.testing.assert_allclose(got, x.transpose(tuple(range(63, -1, -1))))


class _ForeignArray:
    """Stands in for another library's tensor (torch): shape, a non-NumPy dtype, __array__."""

    def __init__(self, data, fail=False):
        self.data, self.shape, self.dtype, self.fail = data, data.shape, object(), fail

    def __array__(self, dtype=None, copy=None):
        if self.fail:
            raise RuntimeError("can't convert a tensor that requires grad")
        return self.data if dtype is None else self.data.astype(dtype)


def test_an_array_like_with_a_foreign_dtype_is_read_as_numpy_einsum_reads_it():
    """ct.einsum(torch_tensor) leaked TypeError: Cannot interpret 'torch.float32' as a data type
    (np.einsum reads the tensor through __array__)."""
    x = np.random.default_rng(4).standard_normal((2, 3))
    got = ct.einsum("ij->i", _ForeignArray(x))
    np.testing.assert_allclose(got, np.einsum("ij->i", x))
    assert ct.plan("ij,jk->ik", _ForeignArray(x), (3, 4)).shapes == ((2, 3), (3, 4))
    with pytest.raises(ct.ContractError, match="operand 1 cannot be read as an array"):
        ct.einsum("ij,ij->", x, _ForeignArray(x, fail=True))
