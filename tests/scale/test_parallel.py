"""contract._util.parallel: chunk maps on the thread pool with BLAS held at one thread."""
import threading
import time

import numpy as np
import pytest

from contract._util import parallel

threadpoolctl = pytest.importorskip("threadpoolctl")


def _blas_threads():
    return [info["num_threads"] for info in threadpoolctl.threadpool_info()
            if info["user_api"] == "blas"]


@pytest.fixture
def two_workers(monkeypatch):
    monkeypatch.setenv("CONTRACT_NUM_THREADS", "2")


def test_workers_follows_the_environment(monkeypatch):
    monkeypatch.setenv("CONTRACT_NUM_THREADS", "3")
    assert parallel.workers() == 3
    monkeypatch.setenv("CONTRACT_NUM_THREADS", "0")
    assert parallel.workers() == 1
    monkeypatch.setenv("CONTRACT_NUM_THREADS", "many")
    assert parallel.workers() >= 1


def test_map_chunks_keeps_order_and_runs_on_pool_threads(two_workers):
    names = parallel.map_chunks(lambda i: (i, threading.current_thread().name), list(range(6)))
    assert [i for i, _ in names] == list(range(6))
    assert all(name.startswith("contract") for _, name in names)


def test_blas_is_single_threaded_inside_and_restored_after(two_workers):
    before = _blas_threads()
    seen = parallel.map_chunks(lambda _: _blas_threads(), [0, 1])
    assert all(threads == [1] * len(before) for threads in seen)
    assert _blas_threads() == before


def test_limit_is_reference_counted(two_workers):
    """Overlapping users: the limit holds until the last one leaves, whichever thread it is."""
    before = _blas_threads()
    with parallel.single_threaded_blas():
        with parallel.single_threaded_blas():
            assert _blas_threads() == [1] * len(before)
        assert _blas_threads() == [1] * len(before)      # the outer user is still inside
        depths = []
        worker = threading.Thread(target=lambda: depths.append(_enter_and_read_depth()))
        worker.start()
        worker.join(5)
        assert depths == [2] and parallel._STATE["depth"] == 1
        assert _blas_threads() == [1] * len(before)
    assert parallel._STATE["depth"] == 0 and _blas_threads() == before


def _enter_and_read_depth():
    with parallel.single_threaded_blas():
        return parallel._STATE["depth"]


def test_an_exception_in_a_chunk_is_raised_and_the_limit_restored(two_workers):
    before = _blas_threads()

    def boom(i):
        if i == 1:
            raise ValueError("chunk 1 failed")
        return i
    with pytest.raises(ValueError, match="chunk 1 failed"):
        parallel.map_chunks(boom, [0, 1, 2])
    assert _blas_threads() == before


def test_nested_maps_run_serially_inside_a_worker(two_workers):
    inner = parallel.map_chunks(
        lambda i: parallel.map_chunks(lambda j: threading.current_thread().name, [0, 1]), [0, 1])
    for names in inner:
        assert len(set(names)) == 1          # the inner chunks stayed on the worker's thread


def test_serial_when_one_thread_or_one_chunk_or_not_numpy(monkeypatch):
    main = threading.current_thread().name
    monkeypatch.setenv("CONTRACT_NUM_THREADS", "1")
    assert parallel.map_chunks(lambda _: threading.current_thread().name, [0, 1]) == [main] * 2
    monkeypatch.setenv("CONTRACT_NUM_THREADS", "2")
    assert parallel.map_chunks(lambda _: threading.current_thread().name, [0]) == [main]
    assert not parallel.parallel_ok(object(), 4)


def test_serial_without_threadpoolctl(two_workers, monkeypatch):
    """No way to hold BLAS at one thread: no pool (it would oversubscribe the cores)."""
    monkeypatch.setattr(parallel, "_controller", lambda: None)
    main = threading.current_thread().name
    assert parallel.map_chunks(lambda _: threading.current_thread().name, [0, 1]) == [main] * 2


def _in_forked_child(check):
    """Run ``check()`` in a forked child; True when it returned True within 30 s."""
    import os
    import time
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            code = 0 if check() else 1
        finally:
            os._exit(code)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status) == 0
        time.sleep(0.05)
    os.kill(pid, 9)
    os.waitpid(pid, 0)
    return False


@pytest.mark.skipif(not hasattr(__import__("os"), "fork"), reason="needs os.fork")
def test_fork_while_another_thread_holds_the_limit(two_workers):
    """The child of a fork made while a chunk map runs elsewhere: the lock and the limit held
    by a thread that the child does not have are released there, and the pool works."""
    before = _blas_threads()
    inside, release = threading.Event(), threading.Event()

    def user():
        with parallel.single_threaded_blas():
            with parallel._LOCK:                 # caught holding the lock too
                inside.set()
                release.wait(10)
    worker = threading.Thread(target=user)
    worker.start()
    inside.wait(5)
    try:
        ok = _in_forked_child(lambda: _blas_threads() == before and parallel.map_chunks(
            lambda i: i * 2, [1, 2, 3]) == [2, 4, 6] and _blas_threads() == before)
    finally:
        release.set()
        worker.join(5)
    assert ok
    assert _blas_threads() == before


def test_a_failed_chunk_leaves_no_chunk_running_after_the_blas_limit_is_given_back(monkeypatch):
    """map_chunks raised as soon as one chunk failed while the others still ran: they went on
    after the call returned, with BLAS already back at its full thread count."""
    monkeypatch.setenv("CONTRACT_NUM_THREADS", "2")
    if not parallel.parallel_ok(np, 2):
        pytest.skip("no thread pool here")
    started, seen = threading.Event(), {}

    def chunk(i):
        if i == 0:
            started.wait(5)          # fail while chunk 1 is running
            raise ValueError("chunk 0 failed")
        started.set()
        time.sleep(0.3)
        seen["threads"] = _blas_threads()
        return i
    with pytest.raises(ValueError, match="chunk 0 failed"):
        parallel.map_chunks(chunk, [0, 1])
    assert "threads" in seen                         # chunk 1 finished before the raise
    assert seen["threads"] == [1] * len(seen["threads"])
    assert parallel._STATE["depth"] == 0
