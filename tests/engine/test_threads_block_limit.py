"""Issue 14, class 19: per-thread settings under threads.

``ct.block_elements(n)`` is a ``contextvars`` setting: each thread sees its own, whatever
the order threads enter and leave, and work sent to the conv thread pool carries it along.
The stress test runs 8 threads of seeded work at once (nested block limits, semiring
einsums, ``no_grad``, cached plans, convolutions on the thread pool) and checks every
result against one computed alone, and the process-wide state afterwards.
"""
import threading

import numpy as np

import contract as ct
import contract.nn.functional as F
from contract._util import parallel

THREADS = 8
ROUNDS = 12


def test_interleaved_block_limits_do_not_leak_between_threads():
    default = ct.block_limit()
    a_in, b_in, a_out = threading.Event(), threading.Event(), threading.Event()
    seen = {}

    def thread_a():
        with ct.block_elements(1000):
            a_in.set()
            b_in.wait(5)
            seen["a"] = ct.block_limit()
        a_out.set()

    def thread_b():
        a_in.wait(5)
        with ct.block_elements(10):
            b_in.set()
            a_out.wait(5)
            seen["b"] = ct.block_limit()
        seen["b after"] = ct.block_limit()
    threads = [threading.Thread(target=thread_a), threading.Thread(target=thread_b)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert seen == {"a": 1000, "b": 10, "b after": default}
    assert ct.block_limit() == default


def test_the_block_limit_follows_work_onto_the_pool():
    with ct.block_elements(7):
        assert parallel.map_chunks(lambda _: ct.block_limit(), [0, 1, 2, 3]) == [7] * 4


def _work(seed, sync=lambda: None):
    """One thread's seeded work; returns what it computed (checked against a lone run).
    ``sync`` waits for the other threads, so that all of them are inside their own
    ``block_elements`` at once."""
    rng = np.random.default_rng(seed)
    results = []
    for _ in range(ROUNDS):
        limit = int(rng.choice([1, 3, 16, 1000])) + seed
        a, b = rng.normal(size=(3, 5)), rng.normal(size=(5, 4))
        with ct.block_elements(limit):
            sync()
            assert ct.block_limit() == limit
            with ct.block_elements(limit + 1):
                assert ct.block_limit() == limit + 1
            assert ct.block_limit() == limit
            results.append(ct.einsum("ij,jk->ik", a, b, semiring="maxplus"))
        x = ct.tensor(a, requires_grad=True)
        if rng.random() < 0.5:
            with ct.no_grad():
                assert not ct.is_grad_enabled()
                assert not (x * 2).requires_grad
        assert ct.is_grad_enabled() and (x * 2).requires_grad
        results.append(ct.plan("ij,jk->ik", a, b)(a, b))
        image = rng.normal(size=(4, 2, 6, 6))
        results.append(F.conv2d(image, rng.normal(size=(3, 2, 3, 3)), padding=1))
    return results


def test_eight_threads_of_settings_caches_and_pools():
    default = ct.block_limit()
    alone = {seed: _work(seed) for seed in range(THREADS)}
    together, errors = {}, []
    barrier = threading.Barrier(THREADS)

    def run(seed):
        try:
            together[seed] = _work(seed, lambda: barrier.wait(30))
        except BaseException as err:       # reported below, in the main thread
            errors.append(err)
            barrier.abort()
    threads = [threading.Thread(target=run, args=(seed,)) for seed in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    for seed in range(THREADS):
        for got, want in zip(together[seed], alone[seed]):
            np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)
    assert ct.block_limit() == default and ct.is_grad_enabled()
    assert parallel._STATE["depth"] == 0
