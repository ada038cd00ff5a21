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


def _series(rows, cases, value, spread=None):
    """{engine: ([case index], [value], [(low, high)])} for rows where ``value(row)`` is
    known; ``spread(row)`` gives the whiskers (min and max time), or None."""
    found = {}
    for row in rows:
        y = value(row)
        if y:
            xs, ys, bars = found.setdefault(row.engine, ([], [], []))
            xs.append(cases.index(row.case))
            ys.append(y)
            low, high = spread(row) if spread else (None, None)
            bars.append((y - low if low else 0.0, high - y if high else 0.0))
    return found


def _panel(axis, series, ylabel, title):
    markers = "os^Dv<>pPX*h"
    for k, (engine, (xs, ys, bars)) in enumerate(sorted(series.items())):
        whiskers = list(zip(*bars)) if any(any(b) for b in bars) else None
        axis.errorbar(xs, ys, yerr=whiskers, marker=markers[k % len(markers)], linestyle="",
                      label=engine, alpha=0.8, capsize=2, elinewidth=0.8)
    axis.set_yscale("log")
    axis.set_ylabel(ylabel)
    axis.set_title(title)
    axis.grid(True, which="both", alpha=0.3)


def plot_rows(rows: List, path: str, title: str = "contract bench") -> None:
    """Write a two-panel image: time per case (log) and FLOPs per case (log).

    The left panel shows the median execution time with whiskers from the fastest to
    the slowest repeat, or the path-finding time for rows that were not executed (the
    ``paths`` suite); the right one the FLOPs of each engine's own path.
    """
    plt = _pyplot()
    cases = list(dict.fromkeys(r.case for r in rows))
    timed = any(r.time_median for r in rows)
    if timed:
        times = _series(rows, cases, lambda r: r.time_median, lambda r: (r.time_min, r.time_max))
    else:
        times = _series(rows, cases, lambda r: r.path_seconds)
    flops = _series(rows, cases, lambda r: r.flops)
    width = max(10.0, 0.5 * len(cases) + 8)
    figure, (left, right) = plt.subplots(1, 2, figsize=(width, 5.5), constrained_layout=True)
    _panel(left, times, "median time per call [s], whiskers min-max" if timed
           else "path-finding time [s]",
           "execution time" if timed else "path search time")
    _panel(right, flops, "FLOPs of the engine's own path (opt_einsum convention)",
           "contraction cost")
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
