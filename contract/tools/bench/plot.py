"""``contract bench --plot FILE.png``: median time and FLOPs per case, one marker per engine.

matplotlib is imported lazily (the ``bench`` extra) and drawn with the Agg backend.
"""
from typing import List

from contract.errors import ContractError


def _pyplot():
    try:
        import matplotlib
    except ImportError:
        raise ContractError("--plot needs matplotlib: pip install 'contract[bench]'") from None
    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt
    return plt


def _series(rows, cases, value):
    """{engine: ([case index], [value])} for rows where ``value(row)`` is known."""
    found = {}
    for row in rows:
        y = value(row)
        if y:
            xs, ys = found.setdefault(row.engine, ([], []))
            xs.append(cases.index(row.case))
            ys.append(y)
    return found


def _panel(axis, series, ylabel, title):
    markers = "os^Dv<>pPX*h"
    for k, (engine, (xs, ys)) in enumerate(sorted(series.items())):
        axis.plot(xs, ys, marker=markers[k % len(markers)], linestyle="", label=engine, alpha=0.8)
    axis.set_yscale("log")
    axis.set_ylabel(ylabel)
    axis.set_title(title)
    axis.grid(True, which="both", alpha=0.3)


def plot_rows(rows: List, path: str, title: str = "contract bench") -> None:
    """Write a two-panel PNG: time per case (log) and FLOPs per case (log).

    The left panel shows the median execution time, or the path-finding time for
    rows that were not executed (the ``paths`` suite).
    """
    plt = _pyplot()
    cases = list(dict.fromkeys(r.case for r in rows))
    timed = any(r.time_median for r in rows)
    times = _series(rows, cases, (lambda r: r.time_median) if timed else (lambda r: r.path_seconds))
    flops = _series(rows, cases, lambda r: r.flops)
    width = max(10.0, 0.5 * len(cases) + 8)
    figure, (left, right) = plt.subplots(1, 2, figsize=(width, 5.5), constrained_layout=True)
    _panel(left, times, "median time per call [s]" if timed else "path-finding time [s]",
           "execution time" if timed else "path search time")
    _panel(right, flops, "FLOPs (opt_einsum convention)", "contraction cost")
    for axis in (left, right):
        axis.set_xticks(range(len(cases)))
        axis.set_xticklabels(cases, rotation=60, ha="right", fontsize=7)
        axis.set_xlabel("case")
    handles, labels = left.get_legend_handles_labels()
    if not handles:
        handles, labels = right.get_legend_handles_labels()
    figure.legend(handles, labels, loc="outside right upper", fontsize=8, title="engine")
    figure.suptitle(title[:120], fontsize=9)
    figure.savefig(path, dpi=110)
    plt.close(figure)
