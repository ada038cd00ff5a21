"""Bench output: a text table (rich when installed), a stable JSON document, a plot.

>>> format_seconds(0.00000123), format_seconds(0.0456), format_seconds(None)
('1.23us', '45.6ms', '-')
"""
import datetime
import json
import os
import platform
import sys
from typing import Dict, List, Optional

from contract.tools.bench import SCHEMA

COLUMNS = ("case", "engine", "path", "log10 flops", "log2 largest", "min", "median", "max",
           "peak mem", "ratio")


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


def _ratio_text(row) -> str:
    if row.error:
        return "error"
    if row.time_ratio is not None:
        return f"{row.time_ratio:.2f}x"
    if row.time_median is None and row.flops_ratio is not None:
        return f"{row.flops_ratio:.3g}x flops"
    return "-"


def row_cells(row) -> List[str]:
    """The table cells of one Row, in COLUMNS order."""
    return [row.case, row.engine + (" *" if row.engine == row.baseline else ""),
            format_seconds(row.path_seconds), _number(row.log10_flops), _number(row.log2_largest, 1),
            format_seconds(row.time_min), format_seconds(row.time_median),
            format_seconds(row.time_max), format_bytes(row.peak_bytes) if row.repeats else "-",
            _ratio_text(row)]


def target_lines(targets) -> List[str]:
    """One line per checked target: MET / MISSED / n/a with the measured ratio."""
    lines = []
    for t in targets:
        state = "n/a" if t.met is None else ("MET" if t.met else "MISSED")
        ratio = "-" if t.ratio is None else f"{t.ratio:.3g}x"
        lines.append(f"{state:6} {t.case}: {t.goal}: measured {ratio} (limit {t.max_ratio:.3g}x)")
    return lines


def plain_table(rows) -> str:
    """The rows as an aligned plain-text table (``*`` marks the baseline engine)."""
    cells = [list(COLUMNS)] + [row_cells(r) for r in rows]
    widths = [max(len(c[k]) for c in cells) for k in range(len(COLUMNS))]
    lines = []
    for n, line in enumerate(cells):
        lines.append("  ".join(c.ljust(w) if k < 2 else c.rjust(w)
                               for k, (c, w) in enumerate(zip(line, widths))).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def markdown_table(rows) -> str:
    """The rows as a GitHub markdown table (for the README)."""
    lines = ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    lines += ["| " + " | ".join(c.replace("|", "/") for c in row_cells(r)) + " |" for r in rows]
    return "\n".join(lines)


def print_report(rows, targets, use_rich: bool, file=None) -> None:
    """Print the table and the targets, with rich when asked and installed."""
    file = file or sys.stdout
    if use_rich:
        from rich.console import Console
        from rich.table import Table
        table = Table(title="contract bench (* = baseline; ratio = median / baseline median)")
        for k, name in enumerate(COLUMNS):
            table.add_column(name, justify="left" if k < 2 else "right")
        for r in rows:
            table.add_row(*row_cells(r))
        console = Console(file=file)
        console.print(table)
        for line in target_lines(targets):
            console.print(line, style="green" if line.startswith("MET") else
                          "red" if line.startswith("MISSED") else None, highlight=False)
        return
    print(plain_table(rows), file=file)
    for line in target_lines(targets):
        print(line, file=file)


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


def machine_info() -> Dict[str, object]:
    """Platform, processor and CPU count (and BLAS name when NumPy reports it)."""
    info = {"platform": platform.platform(), "machine": platform.machine(),
            "processor": _cpu_model() or platform.processor() or None,
            "cpu_count": os.cpu_count()}
    try:
        import numpy as np
        config = np.show_config(mode="dicts")
        info["blas"] = config.get("Build Dependencies", {}).get("blas", {}).get("name")
    except (TypeError, AttributeError, ValueError):
        info["blas"] = None
    return info


def document(rows, targets, settings: Dict[str, object], cases=()) -> Dict[str, object]:
    """The JSON document: schema, created, versions, machine, settings, cases, rows, targets.

    ``cases`` is a list of (suite, Case); each gives its name, baseline and ``info``.
    """
    return {"schema": SCHEMA,
            "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
            "versions": _versions(), "machine": machine_info(), "settings": settings,
            "cases": [{"suite": s, "case": c.name, "baseline": c.baseline,
                       "engines": list(c.engines), "info": c.info} for s, c in cases],
            "rows": [r.to_dict() for r in rows], "targets": [t.to_dict() for t in targets]}


def write_json(path: str, rows, targets, settings, cases=()) -> None:
    """Write :func:`document` to ``path`` (indented, stable key order)."""
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(document(rows, targets, settings, cases), handle, indent=2, default=str)
        handle.write("\n")
