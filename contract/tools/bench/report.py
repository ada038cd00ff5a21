"""Bench output: one table per suite (plain text, 100 columns), goal lines, JSON, markdown.

Each suite's table lists its cases, each on its own line, with one indented row per
engine, so that long case names never wrap.  Columns with nothing to say for a suite
(no timings in ``paths``, no path figures in ``reductions``) are left out.

>>> format_seconds(0.00000123), format_seconds(0.0456), format_seconds(None)
('1.23us', '45.6ms', '-')
"""
import datetime
import json
import os
import platform
import sys
import textwrap
from dataclasses import dataclass
from typing import Callable, Dict, List, Optional

from contract.tools.bench import SCHEMA

EMPTY = ("-", "", "n/a")
OWN_PATH_NOTES = ("its own plan", "its own contract_path")


def format_seconds(value: Optional[float]) -> str:
    """Seconds with a unit, three significant digits."""
    if value is None:
        return "-"
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("us", 1e-6)):
        if value >= scale:
            return f"{value / scale:.3g}{unit}"
    return f"{value / 1e-9:.3g}ns"


def format_bytes(value: Optional[int]) -> str:
    """Bytes with a binary unit, e.g. ``32.0MiB``."""
    if value is None:
        return "n/a"
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{value:.0f}{unit}" if unit == "B" else f"{value:.1f}{unit}"
        value /= 1024
    return f"{value}"


def _number(value, digits=2):
    return "-" if value is None else f"{value:.{digits}f}"


def _flops_text(row) -> str:
    import math
    if row.flops_range and row.flops_range[0] != row.flops_range[1]:
        low, high = (math.log10(v) if v else 0.0 for v in row.flops_range)
        return f"{low:.2f}-{high:.2f}"
    return _number(row.log10_flops)


def ratio(value: float) -> str:
    """A ratio for the table: two decimals, or two digits below 0.1.

    >>> ratio(1.234), ratio(0.000829)
    ('1.23', '0.00083')
    """
    return f"{value:.2f}" if value >= 0.1 else f"{value:.2g}"


def _ratio_text(row) -> str:
    if row.error:
        return "error"
    if row.time_ratio is not None:
        return f"{ratio(row.time_ratio)}x"
    if row.time_median is None and row.flops_ratio is not None:
        return f"{row.flops_ratio:.3g}x flops"
    return "-"


def _range_text(row) -> str:
    if not row.time_ratio_range or row.engine == row.baseline:
        return "-"
    low, high = row.time_ratio_range
    return f"{ratio(low)}-{ratio(high)}x"


def _cv_text(row) -> str:
    if row.time_cv is None:
        return "-"
    return f"{100 * row.time_cv:.0f}%" + ("!" if row.noisy else "")


def _note_text(row) -> str:
    return row.error[:40] if row.error else ""


@dataclass(frozen=True)
class Column:
    """A table column: header, the cell of a row, and what the legend says about it."""

    name: str
    cell: Callable
    legend: str = ""
    left: bool = False


COLUMNS = (
    Column("engine", lambda r: r.engine + (" *" if r.engine == r.baseline else ""),
           "*: the baseline", left=True),
    Column("path", lambda r: format_seconds(r.path_seconds), "path: path-finding time, cold"),
    Column("flops", _flops_text, "flops: log10 FLOPs of the path the engine itself runs"),
    Column("largest", lambda r: _number(r.log2_largest, 1),
           "largest: log2 elements of its largest intermediate"),
    Column("min", lambda r: format_seconds(r.time_min), "min, median, max: seconds per call"),
    Column("median", lambda r: format_seconds(r.time_median)),
    Column("max", lambda r: format_seconds(r.time_max)),
    Column("cv", _cv_text, "cv: coefficient of variation of the repeats (!: noisy)"),
    Column("peak", lambda r: format_bytes(r.peak_bytes) if r.repeats else "-",
           "peak: traced memory of one call"),
    Column("ratio", _ratio_text, "ratio: median / the baseline's median, same process"),
    Column("range", _range_text, "range: lowest and highest ratio over the fresh processes"),
    Column("error", _note_text, "", left=True),
)


def row_cells(row) -> List[str]:
    """The table cells of one Row, in COLUMNS order."""
    return [column.cell(row) for column in COLUMNS]


def _by_case(rows):
    found: Dict[str, list] = {}
    for row in rows:
        found.setdefault(row.case, []).append(row)
    return found


def _kept_columns(cells):
    """Indices of the columns that hold something in at least one row (engine always)."""
    return [k for k in range(len(COLUMNS))
            if k == 0 or any(line[k] not in EMPTY for line in cells)]


def _case_line(name: str, entry: Optional[dict]) -> List[str]:
    import math
    head = name
    if entry and entry.get("flops"):
        head += f"   (the problem: log10 flops {math.log10(entry['flops']):.2f})"
    lines = [head]
    if entry and entry.get("note"):
        lines += textwrap.wrap(f"note: {entry['note']}", 98, initial_indent="  ",
                               subsequent_indent="    ")
    return lines


WIDTH = 100              # no table line is longer


def suite_table(rows, entries: Optional[Dict[str, dict]] = None) -> str:
    """One suite's rows as a plain-text table: a line per case, an indented row per engine;
    columns two spaces apart, one where two would pass :data:`WIDTH`.

    >>> from contract.tools.bench.runner import Row
    >>> row = Row("s", "ij,jk->ik 4x4", "numpy", "numpy", None, 128, 2.107, None, None,
    ...           1.5e-6, 2.5e-6, 3.5e-6, 1000, 5, None, time_ratio=1.0, time_cv=0.02)
    >>> print(suite_table([row]))
    case / engine  flops    min  median    max  cv  ratio
    -----------------------------------------------------
    ij,jk->ik 4x4
      numpy *       2.11  1.5us   2.5us  3.5us  2%  1.00x
    """
    entries = entries or {}
    cells = [row_cells(r) for r in rows]
    keep = _kept_columns(cells)
    header = ["case / engine"] + [COLUMNS[k].name for k in keep[1:]]
    widths = [max([len(header[0]) - 2] + [len(c[0]) for c in cells])]
    widths += [max([len(COLUMNS[k].name)] + [len(c[k]) for c in cells]) for k in keep[1:]]
    gap = "  " if sum(widths) + 2 * len(widths) <= WIDTH else " "

    def line(values, first_pad):
        out = [values[0].ljust(widths[0] + first_pad)]
        for k, (value, width) in enumerate(zip(values[1:], widths[1:]), start=1):
            out.append(value.ljust(width) if COLUMNS[keep[k]].left else value.rjust(width))
        return (out[0] + "  " + gap.join(out[1:])).rstrip()
    lines = [line(header, 2), "-" * len(line(header, 2))]
    for case, group in _by_case(rows).items():
        lines += _case_line(case, entries.get(case))
        for row in group:
            lines.append("  " + line([row_cells(row)[k] for k in keep], 0))
    return "\n".join(lines)


def legend(rows) -> str:
    """What the kept columns mean, wrapped at 96 columns."""
    cells = [row_cells(r) for r in rows]
    parts = [COLUMNS[k].legend for k in _kept_columns(cells) if COLUMNS[k].legend]
    return "\n".join(textwrap.wrap("; ".join(parts), 96))


def flops_notes(rows) -> List[str]:
    """Where each peer's FLOPs come from (or why they are unknown), once per engine."""
    seen = {}
    for row in rows:
        if row.flops_note and row.flops_note not in OWN_PATH_NOTES:
            seen.setdefault(row.engine, row.flops_note)
    return textwrap.wrap("flops of " + "; ".join(f"{e}: {n}" for e, n in seen.items()), 96,
                         subsequent_indent="  ") if seen else []


def target_lines(targets) -> List[str]:
    """One line per checked goal (wrapped at 100 columns), in the goal's own terms,
    ending in its verdict."""
    lines = []
    for t in targets:
        text = t.text or f"{t.goal}: {t.verdict}"
        if t.runs > 1 and t.runs_met is not None:
            low, high = t.ratio_range or (None, None)
            spread = "" if low is None else f"ratio {low:.3g}-{high:.3g}x, "
            text += f" [{spread}met in {t.runs_met} of {t.runs} runs]"
        lines.append("\n".join(textwrap.wrap(f"{t.case}: {text}", 98,
                                              subsequent_indent="    ")))
    return lines


def _suites(rows, targets):
    names = list(dict.fromkeys([r.suite for r in rows] + [t.suite for t in targets]))
    return [(n, [r for r in rows if r.suite == n], [t for t in targets if t.suite == n])
            for n in names]


def report_text(rows, targets, cases=(), runs: int = 1) -> List[tuple]:
    """(text, verdict or None) lines of the whole report: per suite a title, the table,
    flops notes, the legend and the goal lines."""
    entries = {(c["suite"], c["case"]): c for c in cases}
    out = []
    for name, srows, stargets in _suites(rows, targets):
        title = f"suite {name}"
        if runs > 1:
            title += f": medians over {runs} fresh processes"
        out.append((title, None))
        if srows:
            mine = {case: e for (s, case), e in entries.items() if s == name}
            out += [(line, None) for line in suite_table(srows, mine).splitlines()]
            out += [(line, None) for line in flops_notes(srows)]
            out += [(line, None) for line in legend(srows).splitlines()]
        if stargets:
            out.append(("goals:", None))
        for t, line in zip(stargets, target_lines(stargets)):
            out += [("  " + part, t.verdict) for part in line.splitlines()]
        out.append(("", None))
    return out


_STYLE = {"MET": "green", "MISSED": "red", "noisy": "yellow"}


def print_report(rows, targets, use_rich: bool, file=None, cases=(), runs: int = 1) -> None:
    """Print every suite's table and goals (goal lines coloured with rich when asked)."""
    file = file or sys.stdout
    lines = report_text(rows, targets, cases, runs)
    if use_rich:
        from rich.console import Console
        console = Console(file=file, highlight=False, soft_wrap=True)
        for text, verdict in lines:
            console.print(text, style=_STYLE.get(verdict), markup=False)
        return
    for text, _ in lines:
        print(text, file=file)


def markdown_table(rows, columns=None) -> str:
    """The rows as GitHub markdown tables, one per suite (for the README); ``columns``:
    the names of the columns to keep (when they hold something), default all."""
    blocks = []
    for name, srows, _ in _suites(rows, []):
        cells = [row_cells(r) for r in srows]
        keep = [k for k in _kept_columns(cells)
                if columns is None or k == 0 or COLUMNS[k].name in columns]
        lines = ["| case | " + " | ".join(COLUMNS[k].name for k in keep) + " |",
                 "|---|" + "---|" * len(keep)]
        last = None
        for row, line in zip(srows, cells):
            case = row.case if row.case != last else ""
            last = row.case
            lines.append("| " + " | ".join(c.replace("|", "/")
                                            for c in [case] + [line[k] for k in keep]) + " |")
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


def _versions() -> Dict[str, Optional[str]]:
    from importlib import metadata
    found = {"python": platform.python_version()}
    for name in ("contract", "numpy", "opt_einsum", "torch", "cotengra", "einsum_benchmark"):
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = None
    return found


def _cpu_model() -> Optional[str]:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        return None
    return None


def thread_pools() -> List[dict]:
    """The thread pools loaded now (BLAS, OpenMP) and their thread counts (threadpoolctl)."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return []
    keys = ("user_api", "internal_api", "num_threads", "version")
    return [{k: pool.get(k) for k in keys} for pool in threadpool_info()]


def machine_info(pools=None) -> Dict[str, object]:
    """Platform, processor, CPU count, BLAS name and the thread pools with their sizes
    (``pools``: as :func:`thread_pools` saw them during the run; else now)."""
    info = {"platform": platform.platform(), "machine": platform.machine(),
            "processor": _cpu_model() or platform.processor() or None,
            "cpu_count": os.cpu_count(),
            "threadpools": thread_pools() if pools is None else pools}
    try:
        import numpy as np
        config = np.show_config(mode="dicts")
        info["blas"] = config.get("Build Dependencies", {}).get("blas", {}).get("name")
    except (TypeError, AttributeError, ValueError):
        info["blas"] = None
    return info


def case_entry(suite: str, case) -> Dict[str, object]:
    """A case as the JSON document lists it: name, baseline, engines, flops, info, note."""
    return {"suite": suite, "case": case.name, "baseline": case.baseline,
            "engines": list(case.engines), "flops": case.flops, "info": case.info,
            "note": case.info.get("note")}


def document(rows, targets, settings: Dict[str, object], cases=(), runs=None, pools=None):
    """The JSON document: schema, created, versions, machine, settings, cases, rows,
    targets (and ``runs``, each run's own document, when the suite ran several times).

    ``cases`` holds :func:`case_entry` dicts; ``pools`` the thread pools during the run.
    """
    doc = {"schema": SCHEMA,
           "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
           "versions": _versions(), "machine": machine_info(pools),
           "settings": settings,
           "cases": list(cases), "rows": [r.to_dict() for r in rows],
           "targets": [t.to_dict() for t in targets]}
    if runs is not None:
        doc["runs"] = runs
    return doc


def write_json(path: str, doc) -> None:
    """Write a :func:`document` to ``path`` (indented, stable key order)."""
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(doc, handle, indent=2, default=str)
        handle.write("\n")
