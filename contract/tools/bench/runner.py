"""Run bench cases: warm-up, repeated timing, peak memory, ratios in the same run.

>>> import numpy as np
>>> from contract.tools.bench import Case
>>> case = Case("sum", {"numpy": lambda: np.ones(8).sum()}, baseline="numpy")
>>> rows = run_case("demo", case, repeats=3, min_seconds=1e-4)
>>> rows[0].engine, rows[0].time_ratio
('numpy', 1.0)
"""
import gc
import math
import os
import sys
import time
import tracemalloc
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from statistics import mean, median, stdev
from typing import Callable, List, Optional

from contract.tools.bench import Case, Engine, Target

# A row whose repeats spread more than this (coefficient of variation) is noisy: its
# ratios may be off by as much, so a goal that rests on it reads "noisy", not MET/MISSED
NOISE_CV = 0.10


@dataclass
class Row:
    """One engine on one case: the record behind a table row and a JSON entry."""

    suite: str
    case: str
    engine: str
    baseline: Optional[str]
    path_seconds: Optional[float]
    flops: Optional[int]
    log10_flops: Optional[float]
    largest: Optional[int]
    log2_largest: Optional[float]
    time_min: Optional[float]
    time_median: Optional[float]
    time_max: Optional[float]
    calls_per_repeat: int
    repeats: int
    peak_bytes: Optional[int]
    time_ratio: Optional[float] = None
    flops_ratio: Optional[float] = None
    error: Optional[str] = None
    time_cv: Optional[float] = None        # stdev / mean of the repeats' per-call times
    noisy: bool = False                    # time_cv above the run's noise threshold
    flops_note: Optional[str] = None       # where flops come from, or why unknown
    runs: int = 1                          # fresh processes this row summarises
    time_ratio_range: Optional[List[float]] = None   # [min, max] over those runs
    flops_range: Optional[List[int]] = None          # [min, max] when they differ

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class TargetResult:
    """A :class:`~contract.tools.bench.Target` checked against the rows of its case.

    ``ratio`` is engine / peer (times or FLOPs); ``measured`` the same in the goal's
    terms (a speed for ``kind="speed"``); ``met`` compares the median ratio with the
    limit; ``verdict`` is "MET", "MISSED", "noisy" (a row spread more than the noise
    threshold, or repeated runs disagree) or "n/a"; ``text`` is the report's line.
    """

    suite: str
    case: str
    goal: str
    ratio: Optional[float]
    max_ratio: float
    met: Optional[bool]
    kind: str = "time"
    engine: str = ""
    peer: str = ""
    measured: Optional[float] = None
    verdict: str = "n/a"
    text: str = ""
    ratio_range: Optional[List[float]] = None
    runs_met: Optional[int] = None
    runs: int = 1

    def to_dict(self) -> dict:
        return asdict(self)


# glibc's mallopt parameters (malloc.h)
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3


def steady_allocator(limit: int = 1 << 30) -> bool:
    """Keep freed buffers up to ``limit`` bytes in the heap (glibc only; True if set).

    glibc serves a large ``malloc`` by ``mmap`` until a free of one that size
    raises its dynamic threshold, so whether a 16 MB result costs thousands of
    page faults on every call depends on the process's history: on the dev VM
    the same ``torch`` conv timed 8.5 ms or 25-30 ms from one process to the
    next.  A fixed threshold makes every engine meet the same steady state.
    """
    import ctypes
    import ctypes.util
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name) if name else None
        return bool(libc and libc.mallopt(_M_MMAP_THRESHOLD, limit)
                    and libc.mallopt(_M_TRIM_THRESHOLD, 2 * limit))
    except (OSError, AttributeError):       # not glibc
        return False


# what a thread count is called by the pools a process may start (for fresh processes)
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                    "CONTRACT_NUM_THREADS")


@contextmanager
def pinned_threads(threads: Optional[int]):
    """BLAS and OpenMP pools (threadpoolctl), torch's and contract's own pool limited to
    ``threads`` inside the block; nothing changes when ``threads`` is None.

    Libraries loaded later are not limited: enter this after the cases are built.

    >>> with pinned_threads(1):
    ...     os.environ["CONTRACT_NUM_THREADS"]
    '1'
    """
    if threads is None:
        yield
        return
    from threadpoolctl import threadpool_limits
    torch = sys.modules.get("torch")
    before_torch = torch.get_num_threads() if torch is not None else None
    before_env = os.environ.get("CONTRACT_NUM_THREADS")
    os.environ["CONTRACT_NUM_THREADS"] = str(threads)
    try:
        with threadpool_limits(limits=threads):
            if torch is not None:
                torch.set_num_threads(threads)
            yield
    finally:
        if torch is not None:
            torch.set_num_threads(before_torch)
        if before_env is None:
            os.environ.pop("CONTRACT_NUM_THREADS", None)
        else:
            os.environ["CONTRACT_NUM_THREADS"] = before_env


def calls_per_repeat(fn: Callable, min_seconds: float) -> int:
    """How many calls make one repeat last at least ``min_seconds`` (timeit's autorange)."""
    number = 1
    while True:
        start = time.perf_counter()
        for _ in range(number):
            fn()
        took = time.perf_counter() - start
        if took >= min_seconds or number >= 1 << 20:
            return number
        number = max(number * 2, int(number * min_seconds / max(took, 1e-9) * 1.2))


def time_calls(fn: Callable, repeats: int, min_seconds: float):
    """Per-call seconds of ``repeats`` repeats (after one warm-up call), and calls per repeat."""
    fn()
    number = calls_per_repeat(fn, min_seconds)
    times = []
    enabled = gc.isenabled()
    gc.disable()
    try:
        for _ in range(repeats):
            start = time.perf_counter()
            for _ in range(number):
                fn()
            times.append((time.perf_counter() - start) / number)
    finally:
        if enabled:
            gc.enable()
    return times, number


def peak_memory(fn: Callable) -> int:
    """Peak bytes traced by tracemalloc during one call (NumPy reports its buffers)."""
    gc.collect()
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
        fn()
        return max(0, tracemalloc.get_traced_memory()[1] - base)
    finally:
        tracemalloc.stop()


def _log(value, base):
    return round(math.log(value, base), 4) if value else None


def spread(times) -> Optional[float]:
    """Coefficient of variation (sample stdev / mean) of ``times``; None below 2 values.

    >>> spread([1.0, 1.0]), round(spread([0.9, 1.0, 1.1]), 3)
    (0.0, 0.1)
    """
    if len(times) < 2 or mean(times) <= 0:
        return None
    return stdev(times) / mean(times)


def measure(suite: str, case: Case, label: str, repeats: int, min_seconds: float,
            memory: bool, noise: float = NOISE_CV) -> Row:
    """Time one engine of a case; an exception becomes the row's ``error``.  FLOPs and
    largest intermediate are the engine's own (never the case's)."""
    engine: Engine = case.engine(label)
    times, number, peak, error = [], 0, None, None
    if engine.run is not None:
        try:
            times, number = time_calls(engine.run, repeats, min_seconds)
            if memory and engine.traced_memory:
                peak = peak_memory(engine.run)
        except Exception as err:  # a failing engine must not stop the suite
            error = f"{type(err).__name__}: {err}".splitlines()[0][:200]
    cv = spread(times)
    return Row(suite, case.name, label, case.baseline, engine.path_seconds, engine.flops,
               _log(engine.flops, 10), engine.largest, _log(engine.largest, 2),
               min(times) if times else None, median(times) if times else None,
               max(times) if times else None, number, len(times), peak, error=error,
               time_cv=cv, noisy=cv is not None and cv > noise, flops_note=engine.note)


def _ratio(a, b):
    return a / b if a is not None and b else None


def add_ratios(rows: List[Row]) -> None:
    """Fill ``time_ratio`` and ``flops_ratio`` against the case's baseline row."""
    by_engine = {r.engine: r for r in rows}
    for row in rows:
        base = by_engine.get(row.baseline)
        if base is not None:
            row.time_ratio = _ratio(row.time_median, base.time_median)
            row.flops_ratio = _ratio(row.flops, base.flops)


def judge(target: Target, ratio: Optional[float], noisy_rows: List[str]):
    """(measured, met, verdict, text) of ``target`` at ``ratio`` (engine / peer).

    >>> judge(Target.speed("contract", "numpy.matmul", 0.95), 1 / 0.93, [])[3]
    'contract speed 0.93x of numpy.matmul; goal >= 0.95x: MISSED'
    >>> judge(Target("contract", "numpy.einsum", 1.5), 1.2, ["numpy.einsum cv 14%"])[3]
    'contract time 1.2x of numpy.einsum; goal <= 1.5x: noisy (numpy.einsum cv 14%)'
    """
    if ratio is None:
        return None, None, "n/a", (f"{target.engine} vs {target.peer}: not measured; "
                                   f"goal {target.describe()}: n/a")
    met = ratio <= target.max_ratio * (1 + 1e-12)
    if target.kind == "speed":
        measured = 1 / ratio if ratio else math.inf
        said = (f"{target.engine} speed {measured:.3g}x of {target.peer}; "
                f"goal >= {1 / target.max_ratio:.3g}x")
    else:
        measured = ratio
        what = "FLOPs" if target.kind == "flops" else "time"
        said = (f"{target.engine} {what} {ratio:.3g}x of {target.peer}; "
                f"goal <= {target.max_ratio:.3g}x")
    verdict = "noisy" if noisy_rows else ("MET" if met else "MISSED")
    why = f" ({', '.join(noisy_rows)})" if noisy_rows else ""
    return measured, met, verdict, f"{said}: {verdict}{why}"


def check_targets(suite: str, case: Case, rows: List[Row]) -> List[TargetResult]:
    """Each target of ``case`` with the measured ratio, in the goal's terms, and a
    verdict: MET / MISSED, or noisy when a timed row it rests on spread too much."""
    by_engine = {r.engine: r for r in rows}
    results = []
    for target in case.targets:
        mine, peer = by_engine.get(target.engine), by_engine.get(target.peer)
        ratio, noisy = None, []
        if mine is not None and peer is not None:
            if target.kind == "flops":
                ratio = _ratio(mine.flops, peer.flops)
            else:
                ratio = _ratio(mine.time_median, peer.time_median)
                noisy = [f"{r.engine} cv {r.time_cv:.0%}" for r in (mine, peer) if r.noisy]
        measured, met, verdict, text = judge(target, ratio, noisy)
        results.append(TargetResult(suite, case.name, target.describe(), ratio,
                                    target.max_ratio, met, target.kind, target.engine,
                                    target.peer, measured, verdict, text))
    return results


def run_case(suite: str, case: Case, repeats: int = 7, min_seconds: float = 0.02,
             memory: bool = True, on_engine: Optional[Callable[[str], None]] = None,
             settle: float = 0.0, noise: float = NOISE_CV):
    """Measure every engine of ``case`` in turn, each timed one after ``settle`` idle
    seconds (threads the one before left spinning go to sleep; path-only engines run no
    kernels and do not wait); returns the rows with ratios."""
    repeats = case.repeats or repeats
    rows = []
    for label in case.engines:
        if on_engine is not None:
            on_engine(label)
        if settle > 0 and case.engine(label).run is not None:
            time.sleep(settle)
        rows.append(measure(suite, case, label, repeats, min_seconds, memory, noise))
    add_ratios(rows)
    return rows
