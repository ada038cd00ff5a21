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
import time
import tracemalloc
from dataclasses import asdict, dataclass
from statistics import median
from typing import Callable, List, Optional

from contract.tools.bench import Case, Engine


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

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class TargetResult:
    """A :class:`~contract.tools.bench.Target` checked against the rows of its case."""

    suite: str
    case: str
    goal: str
    ratio: Optional[float]
    max_ratio: float
    met: Optional[bool]

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


def measure(suite: str, case: Case, label: str, repeats: int, min_seconds: float,
            memory: bool) -> Row:
    """Time one engine of a case; an exception becomes the row's ``error``."""
    engine: Engine = case.engine(label)
    flops = engine.flops if engine.flops is not None else case.flops
    times, number, peak, error = [], 0, None, None
    if engine.run is not None:
        try:
            times, number = time_calls(engine.run, repeats, min_seconds)
            if memory and engine.traced_memory:
                peak = peak_memory(engine.run)
        except Exception as err:  # a failing engine must not stop the suite
            error = f"{type(err).__name__}: {err}".splitlines()[0][:200]
    return Row(suite, case.name, label, case.baseline, engine.path_seconds, flops,
               _log(flops, 10), engine.largest, _log(engine.largest, 2),
               min(times) if times else None, median(times) if times else None,
               max(times) if times else None, number, len(times), peak, error=error)


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


def check_targets(suite: str, case: Case, rows: List[Row]) -> List[TargetResult]:
    """Each target of ``case`` with the measured ratio and whether it is met."""
    by_engine = {r.engine: r for r in rows}
    results = []
    for target in case.targets:
        mine, peer = by_engine.get(target.engine), by_engine.get(target.peer)
        ratio = None
        if mine is not None and peer is not None:
            if target.kind == "flops":
                ratio = _ratio(mine.flops, peer.flops)
            else:
                ratio = _ratio(mine.time_median, peer.time_median)
        met = None if ratio is None else ratio <= target.max_ratio * (1 + 1e-12)
        results.append(TargetResult(suite, case.name, target.describe(), ratio,
                                    target.max_ratio, met))
    return results


def run_case(suite: str, case: Case, repeats: int = 7, min_seconds: float = 0.02,
             memory: bool = True, on_engine: Optional[Callable[[str], None]] = None,
             settle: float = 0.0):
    """Measure every engine of ``case`` in turn, each after ``settle`` idle seconds
    (threads the one before left spinning go to sleep); returns the rows with ratios."""
    repeats = case.repeats or repeats
    rows = []
    for label in case.engines:
        if on_engine is not None:
            on_engine(label)
        if settle > 0:
            time.sleep(settle)
        rows.append(measure(suite, case, label, repeats, min_seconds, memory))
    add_ratios(rows)
    return rows
