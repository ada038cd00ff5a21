"""Interleaved A/B timing of a ``contract bench`` suite in process CPU time.

``contract bench`` times each engine in turn by the wall clock; on a shared machine whose
cores other jobs keep busy, the ratios of engines measured a few seconds apart then move
by 2x.  This script takes the same cases, runs their engines in turn within every round
(so each round sees the same load) and times them by ``time.process_time`` (CPU time of
this process: time spent waiting for a core is not counted).  Per case it prints each
engine's minimum / median per call and, per goal, the ratio of minima and the median of
the per-round ratios.  Run it with BLAS on one thread.

    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 \\
        python examples/benchmarks/cpu_time_ab.py compile [--quick]
"""
import argparse
import sys
import time

import numpy as np

from contract.tools.bench import load_suite


def calls_per_round(fn, budget=0.01):
    """How many calls make a round of about ``budget`` CPU seconds."""
    fn()
    start = time.process_time()
    fn()
    return max(1, int(budget / max(time.process_time() - start, 1e-7)))


def measure(case, rounds):
    """Per engine, the CPU seconds per call of each round (engines interleaved)."""
    engines = {label: case.engine(label).run for label in case.engines}
    calls = {label: calls_per_round(fn) for label, fn in engines.items()}
    times = {label: [] for label in engines}
    for _ in range(rounds):
        for label, fn in engines.items():
            start = time.process_time()
            for _ in range(calls[label]):
                fn()
            times[label].append((time.process_time() - start) / calls[label])
    return {label: np.array(t) for label, t in times.items()}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("suite")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args(argv)
    for case in load_suite(args.suite).cases(argparse.Namespace(quick=args.quick, seed=0)):
        times = measure(case, args.rounds)
        print(case.name, "  ".join(f"{label} {t.min() * 1e3:.3f}/{np.median(t) * 1e3:.3f}ms"
                                   for label, t in times.items()))
        for target in case.targets:
            mine, peer = times[target.engine], times[target.peer]
            print(f"    {target.describe()}: ratio of minima {mine.min() / peer.min():.3f}, "
                  f"median of round ratios {np.median(mine / peer):.3f}")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
