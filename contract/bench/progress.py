"""Run (suite, case) pairs with a progress bar: rich when installed, plain lines otherwise.

Progress goes to stderr so that the table on stdout stays machine-readable.
"""
import sys
from typing import List, Tuple

from contract.bench.runner import check_targets, run_case


def _measure_all(pairs, args, advance) -> Tuple[List, List]:
    rows, targets = [], []
    for suite, case in pairs:
        found = run_case(suite, case, repeats=args.repeats, min_seconds=args.min_time,
                         memory=not args.no_memory,
                         on_engine=lambda label, c=case: advance(f"{c.name} · {label}"))
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
