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
    from contract import parallel
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
