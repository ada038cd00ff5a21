"""Run (suite, case) pairs with a progress bar: rich when installed, plain lines otherwise.

Progress goes to stderr so that the table on stdout stays machine-readable.
"""
import sys
from typing import List, Tuple

from contract.tools.bench.runner import NOISE_CV, check_targets, run_case

# torch's OpenMP threads spin for 200 ms after a call (KMP_BLOCKTIME) and OpenBLAS's a
# while too: on 2 cores the next engine ran up to 7x slower (torch's 3x3 conv: 4.2 ms
# after a pause, 7-29 ms right after contract's run)
SETTLE_SECONDS = 0.3


def _measure_all(pairs, args, advance) -> Tuple[List, List]:
    rows, targets = [], []
    for suite, case in pairs:
        settle = getattr(args, "settle", None)
        if settle is None:
            settle = 0.0 if getattr(args, "quick", False) else SETTLE_SECONDS
        found = run_case(suite, case, repeats=args.repeats, min_seconds=args.min_time,
                         memory=not args.no_memory, settle=settle,
                         on_engine=lambda label, c=case: advance(f"{c.name} · {label}"),
                         noise=getattr(args, "noise", None) or NOISE_CV)
        rows += found
        targets += check_targets(suite, case, found)
    advance(None)
    return rows, targets


def progress_runner(pairs, args, use_rich: bool):
    """Measure every case; returns (rows, target results)."""
    total = sum(len(case.engines) for _, case in pairs)
    if use_rich:
        from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TextColumn,
                                   TimeElapsedColumn)
        from rich.console import Console
        columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                   TimeElapsedColumn())
        with Progress(*columns, console=Console(file=sys.stderr), transient=True) as bar:
            task = bar.add_task("bench", total=total)
            state = {"started": False}

            def advance(text):
                if state["started"]:
                    bar.advance(task)
                state["started"] = text is not None
                if text is not None:
                    bar.update(task, description=text[:60])
            return _measure_all(pairs, args, advance)
    done = [0]

    def advance_plain(text):
        if text is None:
            return
        done[0] += 1
        print(f"[{done[0]}/{total}] {text}", file=sys.stderr, flush=True)
    return _measure_all(pairs, args, advance_plain)
