"""``contract bench --repeat-runs K``: the whole run in K fresh processes, then per row the
median of each figure and the range of its ratio over the runs.

One process can be unlucky as a whole (a thread pool oversubscribed, the allocator in a
bad state, another job on the machine): repeats inside it do not show that, fresh
processes do.  A goal's verdict over the runs is the verdict of the median ratio, or
"noisy" when the runs disagree.

>>> from contract.tools.bench.runner import Row
>>> rows = [Row("s", "c", "e", "e", None, 10, 1.0, None, None, 1.0, t, 1.0, 1, 3, None,
...             time_ratio=r) for t, r in ((1.0, 0.9), (2.0, 1.1), (3.0, 1.0))]
>>> one = combine_rows([[r] for r in rows])[0]
>>> one.time_median, one.time_ratio, one.time_ratio_range, one.runs
(2.0, 1.0, [0.9, 1.1], 3)
"""
import json
import os
import subprocess
import sys
import tempfile
from dataclasses import replace
from statistics import median, median_low
from typing import Dict, List, Optional

from contract.errors import ContractError
from contract.tools.bench.runner import THREAD_VARIABLES, Row, TargetResult

# options that the parent keeps to itself
_PARENT_ONLY = {"json": None, "plot": None, "markdown": False, "plain": True,
                "repeat_runs": 1, "handler": None}


_MEDIANS = ("path_seconds", "log10_flops", "log2_largest", "time_median", "time_cv",
            "time_ratio", "flops_ratio")
_COUNTS = ("flops", "largest", "peak_bytes")      # integers: the lower median


def _median(values, middle=median):
    values = [v for v in values if v is not None]
    return middle(values) if values else None


def _span(values):
    values = [v for v in values if v is not None]
    return [min(values), max(values)] if values else None


def combine_rows(runs: List[List[Row]]) -> List[Row]:
    """One Row per (suite, case, engine) over the runs' rows: medians of every figure,
    the range of the time ratio, and of the FLOPs when they differ."""
    groups: Dict[tuple, List[Row]] = {}
    for rows in runs:
        for row in rows:
            groups.setdefault((row.suite, row.case, row.engine), []).append(row)
    found = []
    for group in groups.values():
        numbers = {name: _median([getattr(r, name) for r in group]) for name in _MEDIANS}
        numbers.update({name: _median([getattr(r, name) for r in group], median_low)
                        for name in _COUNTS})
        flops = _span([r.flops for r in group])
        found.append(replace(
            group[0], **numbers,
            time_min=min((r.time_min for r in group if r.time_min is not None), default=None),
            time_max=max((r.time_max for r in group if r.time_max is not None), default=None),
            noisy=any(r.noisy for r in group), runs=len(group),
            error=next((r.error for r in group if r.error), None),
            time_ratio_range=_span([r.time_ratio for r in group]),
            flops_range=flops if flops and flops[0] != flops[1] else None))
    return found


def combine_targets(runs: List[List[TargetResult]], judge) -> List[TargetResult]:
    """One result per goal: the verdict of the median ratio when every run agrees with
    it, else "noisy"; ``judge(result, ratio)`` gives (measured, met, verdict, text)."""
    groups: Dict[tuple, List[TargetResult]] = {}
    for results in runs:
        for t in results:
            groups.setdefault((t.suite, t.case, t.goal, t.engine, t.peer), []).append(t)
    found = []
    for group in groups.values():
        ratio = _median([t.ratio for t in group])
        judged = [t.met for t in group if t.met is not None]
        measured, met, verdict, text = judge(group[0], ratio)
        if met is not None and any(m != met for m in judged):
            verdict = "noisy"
            text = text.rsplit(":", 1)[0] + ": noisy (the runs disagree)"
        found.append(replace(group[0], ratio=ratio, measured=measured, met=met,
                             verdict=verdict, text=text, runs=len(group),
                             ratio_range=_span([t.ratio for t in group]),
                             runs_met=sum(1 for m in judged if m)))
    return found


def _rejudge(result: TargetResult, ratio: Optional[float]):
    from contract.tools.bench import Target
    from contract.tools.bench.runner import judge
    target = Target(result.engine, result.peer, result.max_ratio, result.goal, result.kind)
    return judge(target, ratio, [])


def _child_settings(args) -> dict:
    settings = {k: v for k, v in vars(args).items() if k not in _PARENT_ONLY}
    settings.update({k: v for k, v in _PARENT_ONLY.items() if k != "handler"})
    return settings


def _child_env(args) -> dict:
    env = dict(os.environ)
    if getattr(args, "threads", None):
        env.update({name: str(args.threads) for name in THREAD_VARIABLES})
    return env


ERROR_PREFIX = "contract bench: error: "


def run_child(settings: dict, path: str, env: dict) -> dict:
    """Run one fresh ``contract bench`` process with ``settings``; its JSON document.

    Its progress lines pass through to stderr as they come; a refusal of its (a bad
    engine name, say) becomes this process's own one-line ContractError.
    """
    command = [sys.executable, "-m", "contract.tools.bench.session"]
    child = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE, text=True, env=env)
    child.stdin.write(json.dumps(dict(settings, json=path)))
    child.stdin.close()
    refusal = None
    for line in child.stderr:
        if line.startswith(ERROR_PREFIX):
            refusal = line[len(ERROR_PREFIX):].strip()
        elif not line.startswith("results written to "):     # its own temporary file
            sys.stderr.write(line)
    status = child.wait()
    if status != 0:
        raise ContractError(refusal or f"a fresh bench process failed (exit {status}); its "
                                       f"messages are above")
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


def run_repeated(args, runs: int, say):
    """Run everything ``runs`` times, each in a fresh process; returns (rows, targets,
    case entries, each run's document)."""
    settings, env = _child_settings(args), _child_env(args)
    docs = []
    with tempfile.TemporaryDirectory(prefix="contract-bench-") as folder:
        for k in range(runs):
            docs.append(run_child(settings, os.path.join(folder, f"run{k}.json"), env))
            say(f"run {k + 1} of {runs} (a fresh process) done")
    rows = combine_rows([[Row(**r) for r in doc["rows"]] for doc in docs])
    targets = combine_targets([[TargetResult(**t) for t in doc["targets"]] for doc in docs],
                              _rejudge)
    return rows, targets, docs[0]["cases"], docs
