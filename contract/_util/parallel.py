"""Independent chunks of one contraction on a thread pool, BLAS single-threaded.

A convolution's per-image GEMMs are skinny (32 x 144 x 4k): OpenBLAS splits one
of them over two threads worse than it runs it on one, and NumPy's window
copies run on one core.  Running whole chunks (copy + GEMM) on a thread pool,
with BLAS limited to one thread meanwhile, uses every core for both: on the
2-core dev VM a 3x3 conv's 32 GEMMs take 9.4 ms instead of 15-20 ms.

The BLAS limit is process-wide (``threadpoolctl``), so it is reference-counted:
the first chunk run in any thread sets it, the last one restores it.  Chunks
run serially when the pool would not help: one chunk, one core, a non-NumPy
array module, a call made from inside a pool worker (no nested pools), or no
``threadpoolctl`` to hold BLAS at one thread (two-thread GEMMs in two pool
threads would oversubscribe the cores).
``CONTRACT_NUM_THREADS=1`` turns the pool off.

>>> map_chunks(lambda span: sum(range(*span)), [(0, 3), (3, 6)])
[3, 12]
"""
import contextvars
import os
import threading
from concurrent.futures import ThreadPoolExecutor, wait
from contextlib import contextmanager
from typing import Callable, List, Sequence, Tuple

_LOCK = threading.Lock()
_STATE = {"depth": 0, "limiter": None, "pool": None, "controller": None}
_LOCAL = threading.local()


def workers() -> int:
    """Threads a chunked contraction may use: ``CONTRACT_NUM_THREADS`` or the usable cores.

    >>> workers() >= 1
    True
    """
    configured = os.environ.get("CONTRACT_NUM_THREADS", "")
    if configured.strip().isdigit():
        return max(1, int(configured))
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:      # not on Linux
        cores = os.cpu_count() or 1
    return max(1, min(cores, 8))


def _controller():
    """threadpoolctl's view of the loaded BLAS libraries (None without threadpoolctl)."""
    if _STATE["controller"] is None:
        try:
            from threadpoolctl import ThreadpoolController
        except ImportError:
            return None
        _STATE["controller"] = ThreadpoolController().select(user_api="blas")
    return _STATE["controller"]


@contextmanager
def single_threaded_blas():
    """BLAS limited to one thread inside the block (reference-counted across threads).

    >>> with single_threaded_blas():
    ...     pass
    """
    with _LOCK:
        if _STATE["depth"] == 0:
            controller = _controller()
            _STATE["limiter"] = controller.limit(limits=1) if controller else None
        _STATE["depth"] += 1
    try:
        yield
    finally:
        with _LOCK:
            _STATE["depth"] -= 1
            if _STATE["depth"] == 0 and _STATE["limiter"] is not None:
                _STATE["limiter"].restore_original_limits()
                _STATE["limiter"] = None


def _pool() -> ThreadPoolExecutor:
    with _LOCK:
        if _STATE["pool"] is None:
            _STATE["pool"] = ThreadPoolExecutor(workers(), thread_name_prefix="contract",
                                                initializer=_mark_worker)
        return _STATE["pool"]


def _mark_worker():
    _LOCAL.worker = True


def _forget_after_fork():
    """A forked child starts over: the parent's pool threads, its lock (perhaps held by a
    thread that does not exist here) and its chunk users are gone, so a BLAS limit they held
    is given back."""
    global _LOCK, _LOCAL
    _LOCK, _LOCAL = threading.Lock(), threading.local()
    limiter = _STATE["limiter"]
    _STATE.update(depth=0, limiter=None, pool=None)
    if limiter is not None:
        try:
            limiter.restore_original_limits()
        except Exception:       # never break the child over a thread-count setting
            pass


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_after_fork)


def parallel_ok(xp, chunks: int) -> bool:
    """Whether ``chunks`` chunks on arrays of module ``xp`` are worth the pool."""
    return (chunks > 1 and workers() > 1 and getattr(xp, "__name__", "") == "numpy"
            and not getattr(_LOCAL, "worker", False) and _controller() is not None)


def map_chunks(fn: Callable, chunks: Sequence, xp=None) -> List:
    """``[fn(c) for c in chunks]``, on the pool (BLAS single-threaded) when it helps.

    ``xp`` is the array module of the chunks' arrays (default NumPy); results
    come back in order; an exception in any chunk is raised here, once the chunks
    already running have finished (the rest are dropped).  Each pool thread takes
    the next chunk as it finishes one (one task per thread, not per chunk: with a
    future per chunk the waiting caller woke for each one and took the GIL from
    the workers, 2-3 ms over a convolution's 32 image chunks).

    >>> map_chunks(len, ["ab", "c"])
    [2, 1]
    """
    import numpy
    if not parallel_ok(xp or numpy, len(chunks)):
        return [fn(chunk) for chunk in chunks]
    results, failed = [None] * len(chunks), []
    order = iter(range(len(chunks)))        # next() on it is atomic under the GIL

    def drain():
        for k in order:
            if failed:
                return
            try:
                results[k] = fn(chunks[k])
            except BaseException as err:    # raised by the caller, below
                failed.append((k, err))
                return
    with single_threaded_blas():
        futures = []
        try:
            for _ in range(min(workers(), len(chunks))):
                # each drain runs in a copy of the caller's context (contextvars such as
                # ct.block_elements follow the work into the pool thread)
                futures.append(_pool().submit(contextvars.copy_context().run, drain))
        except BaseException as err:        # a refused submit: stop the drains started
            failed.append((-1, err))
            raise
        finally:
            wait(futures)                   # none outlives the call or runs unlimited
    if failed:
        raise min(failed, key=lambda f: f[0])[1]
    return results


def per_thread(factory: Callable) -> Callable:
    """A getter of this thread's own ``factory()`` value, made on a thread's first call
    (scratch buffers that chunks running at the same time must not share).

    >>> get = per_thread(list); get() is get()
    True
    """
    made = {}

    def get():
        key = threading.get_ident()
        if key not in made:
            made[key] = factory()
        return made[key]
    return get


def spans(total: int, step: int) -> List[Tuple[int, int]]:
    """``(start, stop)`` pairs covering ``range(total)`` in steps of ``step`` (one empty
    span when ``total`` is 0, so that a zero-size batch still runs once).

    >>> spans(5, 2)
    [(0, 2), (2, 4), (4, 5)]
    >>> spans(0, 3)
    [(0, 0)]
    """
    starts = range(0, total, max(step, 1)) if total else [0]
    return [(start, min(start + step, total)) for start in starts]
