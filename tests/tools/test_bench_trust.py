"""``contract bench`` as an instrument: own FLOPs per engine, outputs checked before the
run, one-line errors, verdicts in the goal's terms, noise, threads, fresh-process runs."""
import argparse
import json
import re
import struct

import numpy as np
import opt_einsum as oe
import pytest

import contract as ct
from contract.tools.bench import Case, Engine, Target, load_suite
from contract.tools.bench import runner
from contract.tools.bench.engines import contraction_engines, path_cost, torch_path
from contract.tools.bench.generators import matrix_chain, random_regular
from contract.tools.bench.repeat import combine_targets, _rejudge
from contract.tools.bench.runner import (Row, TargetResult, check_targets, judge,
                                         pinned_threads, run_case)
from contract.tools.cli import main

FAST = ["--repeats", "1", "--min-time", "0.0001", "--plain", "--no-memory", "--settle", "0"]


def run_main(argv, capsys):
    """(exit status, stdout, stderr) of ``contract *argv``."""
    try:
        return (main(argv),) + tuple(capsys.readouterr())
    except SystemExit as done:
        return (done.code,) + tuple(capsys.readouterr())


def _installed(name):
    import importlib.util
    return importlib.util.find_spec(name) is not None


def numpy_report(equation, shapes):
    """numpy's own path and the FLOP count its einsum_path report prints."""
    arrays = [np.empty(s) for s in shapes]
    path, text = np.einsum_path(equation, *arrays, optimize=("greedy", 2 ** 62))
    flops = float(re.search(r"Optimized FLOP count:\s*([0-9.e+]+)", text).group(1))
    return path[1:], flops


# -- each engine's own FLOPs ---------------------------------------------------------

def test_networks_rows_carry_each_engines_own_path_cost(tmp_path, capsys):
    target = tmp_path / "networks.json"
    engines = "contract,opt_einsum,numpy" + (",torch" if _installed("torch") else "")
    status, _, _ = run_main(["bench", "--suite", "networks", "--quick", "--engines", engines,
                             "--json", str(target)] + FAST, capsys)
    assert status == 0
    doc = json.loads(target.read_text())
    info = {c["case"]: c["info"] for c in doc["cases"]}
    checked = set()
    for row in doc["rows"]:
        eq, shapes = info[row["case"]]["equation"], [tuple(s) for s in info[row["case"]]["shapes"]]
        if row["engine"] == "numpy.einsum":
            path, printed = numpy_report(eq, shapes)
            expected = path_cost(eq, shapes, path)
            assert row["flops"] == pytest.approx(printed, rel=1e-3)
        elif row["engine"] == "opt_einsum:auto":
            _, found = oe.contract_path(eq, *shapes, shapes=True, optimize="auto")
            expected = (int(found.opt_cost), int(found.largest_intermediate))
        elif row["engine"] == "torch.einsum":
            torch = pytest.importorskip("torch")
            _, found = oe.contract_path(eq, *shapes, shapes=True,
                                        optimize=torch.backends.opt_einsum.strategy)
            expected = (int(found.opt_cost), int(found.largest_intermediate))
        else:
            plan = ct.plan(eq, *shapes)
            expected = (plan.flops, plan.largest_intermediate)
        assert (row["flops"], row["largest"]) == expected, (row["case"], row["engine"])
        assert row["log10_flops"] == round(np.log10(expected[0]), 4)
        checked.add(row["engine"])
    assert {"numpy.einsum", "opt_einsum:auto", "contract:auto"} <= checked
    # the suite has cases where numpy's greedy path differs from contract's
    by = {(r["case"], r["engine"]): r["flops"] for r in doc["rows"]}
    assert any(by[c, "numpy.einsum"] != by[c, "contract:auto"] for c in info)


def test_generated_problems_report_own_flops_too():
    inst = random_regular(12, degree=3, bond=3, seed=2)
    engines = contraction_engines(inst, ("greedy",))
    path, printed = numpy_report(inst.equation, inst.shapes)
    assert (engines["numpy.einsum"].flops, engines["numpy.einsum"].largest) == \
        path_cost(inst.equation, inst.shapes, path)
    assert engines["numpy.einsum"].flops == pytest.approx(printed, rel=1e-3)
    assert "einsum_path" in engines["numpy.einsum"].note
    _, greedy = oe.contract_path(inst.equation, *inst.shapes, shapes=True, optimize="greedy")
    assert engines["opt_einsum:greedy"].flops == int(greedy.opt_cost)


def test_torch_path_follows_its_opt_einsum_setting(monkeypatch):
    torch = pytest.importorskip("torch")
    inst = matrix_chain(5, seed=3, dims=(2, 9))
    path, note = torch_path(inst.equation, inst.shapes)
    expected, _ = oe.contract_path(inst.equation, *inst.shapes, shapes=True,
                                   optimize=torch.backends.opt_einsum.strategy)
    assert [tuple(s) for s in path] == [tuple(s) for s in expected] and "opt_einsum" in note
    monkeypatch.setattr(torch.backends.opt_einsum, "enabled", False)
    path, note = torch_path(inst.equation, inst.shapes)
    assert path == [(0, 1)] * 4 and "left to right" in note
    assert torch_path("ij,jk->ik", [(2, 3), (3, 4)])[0] == [(0, 1)]


def test_rows_never_take_the_cases_flops():
    case = Case("c", {"a": lambda: None, "b": Engine(lambda: None, flops=40, largest=4)},
                baseline="a", flops=1000)
    rows = {r.engine: r for r in run_case("s", case, repeats=2, min_seconds=1e-5)}
    assert rows["a"].flops is None and rows["b"].flops == 40


# -- outputs, engines and suites: one line, exit 2, before any work -----------------------

def _bad_outputs(tmp):
    missing = str(tmp / "missing" / "out.json")
    return [
        ["bench", "--generate", "chain:n=3", "--json", missing],
        ["bench", "--generate", "chain:n=3", "--json", str(tmp)],
        ["bench", "--generate", "chain:n=3", "--plot", str(tmp / "missing" / "p.png")],
        ["bench", "--generate", "chain:n=3", "--plot", str(tmp / "p.unknownext")],
        ["bench", "--generate", "chain:n=3", "--plot", str(tmp) + "/"],
        ["bench", "--generate", "chain:n=3", "--plot", str(tmp / "noextension")],
        ["explain", "ij,jk->ik", "--shapes", "2x3", "3x4", "--plot", str(tmp / "no" / "t.png")],
        ["explain", "ij,jk->ik", "--shapes", "2x3", "3x4", "--plot", str(tmp / "t.unknownext")],
    ]


BAD_INPUTS = [
    ["bench", "--generate", "chain:n=3", "--engines", "nosuch"],
    ["bench", "--generate", "chain:n=3", "--engines", ","],
    ["bench", "--suite", ""],
    ["bench", "--suite", "gemm,"],
    ["bench", "--generate", "chain:n=0"],
    ["bench", "--generate", "chain:n=-1"],
    ["bench", "--generate", "chain:n=2,seed=-1"],
    ["bench", "--generate", "hyper:n=3,max_order=0"],
    ["bench", "--generate", "hyper:n=3,num_out=-1"],
    ["bench", "--generate", "lattice:rows=0"],
    ["bench", "--generate", "regular:n=5,degree=3"],
    ["bench", "--size", "p=2", "--generate", "chain:n=3"],
    ["bench", "--repeat-runs", "0"],
    ["bench", "--threads", "0"],
    ["bench", "--noise", "-1"],
]


def _one_line_error(status, err):
    lines = [line for line in err.splitlines() if line.strip()]
    assert status == 2, err
    assert len(lines) == 1 and "error" in lines[0] and "Traceback" not in err, err
    return lines[0]


def test_bad_output_paths_fail_in_one_line_before_the_run(tmp_path, capsys):
    for argv in _bad_outputs(tmp_path):
        status, out, err = run_main(argv + FAST[-4:] if argv[0] == "bench" else argv, capsys)
        line = _one_line_error(status, err)
        assert "--json" in line or "--plot" in line
        assert out == ""                       # nothing ran, nothing printed
    assert sorted(p.name for p in tmp_path.iterdir()) == []


@pytest.mark.parametrize("argv", BAD_INPUTS, ids=lambda a: " ".join(a)[:60])
def test_bad_inputs_fail_in_one_line(argv, capsys):
    _one_line_error(*run_main(argv, capsys)[::2])


def test_sizes_past_a_float_are_planned_with_exact_integer_costs(capsys):
    argv = (["explain", "ij,jk,kl,lm,mn,no,op,pq,qr,rs->is", "--shapes"]
            + [f"{10 ** 110}x{10 ** 110}"] * 10)
    status, out, err = run_main(argv, capsys)
    assert status == 0 and "Traceback" not in err
    assert "flops 18" in out and "(log10 331.26)" in out      # 9 GEMMs of (10**110)^3, 2 each


def test_a_limit_below_the_operands_names_the_smallest_bound_in_one_line(capsys):
    """memory_limit bounds the largest array: below an operand no plan or slicing meets it."""
    status, out, err = run_main(["explain", "ij,jk,kl->il", "--shapes", "9x9", "9x9", "9x9",
                                 "--optimize", "dp", "--memory-limit", "1"], capsys)
    line = _one_line_error(status, err)
    assert "memory_limit=1" in line and "smallest bound" in line and "81 elements" in line


def test_unknown_engine_lists_the_valid_ones(capsys):
    status, _, err = run_main(["bench", "--generate", "chain:n=3", "--engines", "contract,nope"]
                              + FAST, capsys)
    line = _one_line_error(status, err)
    assert "nope" in line and "contract:auto" in line and "opt_einsum:auto" in line


def test_json_is_written_before_a_failing_plot(tmp_path, capsys, monkeypatch):
    pytest.importorskip("matplotlib")
    from contract.tools.bench import plot

    def broken(*args, **kwargs):
        raise RuntimeError("no display")
    monkeypatch.setattr(plot, "plot_rows", broken)
    saved = tmp_path / "run.json"
    status, out, err = run_main(["bench", "--generate", "chain:n=3", "--engines", "contract",
                                 "--json", str(saved), "--plot", str(tmp_path / "p.png")]
                                + FAST, capsys)
    assert status == 2 and "no display" in err and str(saved) in err
    assert json.loads(saved.read_text())["rows"][0]["engine"] == "contract:auto"
    assert "chain-3" in out


# -- sizes -------------------------------------------------------------------------------

def test_bench_takes_group_sizes_from_the_command_line_and_files(tmp_path, capsys):
    saved = tmp_path / "groups.json"
    problems = tmp_path / "problems.json"
    problems.write_text(json.dumps([{"name": "pool", "equation": "b (h p) -> b h",
                                     "shapes": [[3, 12]], "sizes": {"p": 4}}]))
    status, out, _ = run_main(["bench", "--equation", "b (h p) (w q) -> b h w", "--shapes",
                               "2x6x8", "--size", "p=3", "--size", "q=2", "--file",
                               str(problems), "--json", str(saved)] + FAST, capsys)
    assert status == 0
    doc = json.loads(saved.read_text())
    rows = {r["case"]: r for r in doc["rows"]}
    assert set(rows) == {"b (h p) (w q) -> b h w", "pool"}
    assert rows["pool"]["flops"] == ct.plan("b (h p) -> b h", (3, 12), p=4).flops
    assert all(r["engine"] == "contract:auto" and r["time_median"] for r in rows.values())
    assert "numpy, opt_einsum and torch left out" in out
    assert {c["case"]: c["info"]["sizes"] for c in doc["cases"]}["pool"] == {"p": 4}


def test_file_sizes_must_be_a_mapping(tmp_path, capsys):
    problems = tmp_path / "bad.json"
    problems.write_text(json.dumps({"equation": "b (h p) -> b h", "shapes": [[3, 12]],
                                    "sizes": [4]}))
    line = _one_line_error(*run_main(["bench", "--file", str(problems)] + FAST, capsys)[::2])
    assert "sizes" in line


# -- verdicts, noise ---------------------------------------------------------------------

def test_goal_lines_state_the_measured_quantity_in_the_goals_terms():
    speed = Target.speed("contract", "numpy.matmul", 0.95)
    assert judge(speed, 1 / 0.93, [])[3] == \
        "contract speed 0.93x of numpy.matmul; goal >= 0.95x: MISSED"
    assert judge(speed, 1 / 1.02, [])[2] == "MET"
    legacy = Target("contract", "numpy.matmul", 1 / 0.95, "speed >= 0.95x numpy.matmul")
    assert legacy.kind == "speed" and judge(legacy, 1.0, [])[3].startswith("contract speed 1x")
    assert judge(Target("c", "p", 2.0, kind="flops"), 0.5, [])[3] == \
        "c FLOPs 0.5x of p; goal <= 2x: MET"
    with pytest.raises(ct.ContractError):
        Target("c", "p", 1.0, kind="fast")


def _row(engine, median_time, cv, noisy):
    return Row("s", "case", engine, "p", None, None, None, None, None, median_time,
               median_time, median_time, 1, 5, None, time_cv=cv, noisy=noisy)


def test_a_noisy_row_makes_its_goals_verdict_noisy():
    case = Case("case", {"c": lambda: None, "p": lambda: None}, baseline="p",
                targets=[Target("c", "p", 1.5)])
    quiet = check_targets("s", case, [_row("c", 1.0, 0.01, False), _row("p", 1.0, 0.02, False)])
    loud = check_targets("s", case, [_row("c", 1.0, 0.3, True), _row("p", 1.0, 0.02, False)])
    assert quiet[0].verdict == "MET" and quiet[0].met
    assert loud[0].verdict == "noisy" and loud[0].met and "c cv 30%" in loud[0].text


def test_spread_is_measured_and_flagged():
    state = {"calls": 0}

    def jumpy():
        import time
        state["calls"] += 1
        time.sleep(0.004 if state["calls"] % 2 else 0)
    rows = run_case("s", Case("c", {"jumpy": jumpy}), repeats=6, min_seconds=1e-9, noise=0.1)
    assert rows[0].calls_per_repeat == 1 and rows[0].time_cv > 0.5 and rows[0].noisy


def test_repeated_runs_that_disagree_are_noisy():
    def result(ratio):
        return TargetResult("s", "c", "goal", ratio, 1.0, ratio <= 1.0, "time", "a", "b")
    agree = combine_targets([[result(0.9)], [result(0.8)], [result(0.95)]], _rejudge)[0]
    split = combine_targets([[result(0.9)], [result(1.2)], [result(0.95)]], _rejudge)[0]
    assert agree.verdict == "MET" and agree.ratio == 0.9 and agree.ratio_range == [0.8, 0.95]
    assert split.verdict == "noisy" and split.runs_met == 2 and split.runs == 3


def test_path_only_engines_do_not_wait(monkeypatch):
    slept = []
    monkeypatch.setattr(runner.time, "sleep", slept.append)
    case = Case("c", {"path": Engine(None, 0.1, 10, 2), "timed": lambda: None})
    run_case("s", case, repeats=1, min_seconds=1e-5, settle=0.3)
    assert slept == [0.3]


def test_threads_are_pinned_and_restored():
    threadpoolctl = pytest.importorskip("threadpoolctl")
    before = {p["internal_api"]: p["num_threads"] for p in threadpoolctl.threadpool_info()}
    with pinned_threads(1):
        assert all(p["num_threads"] == 1 for p in threadpoolctl.threadpool_info())
    after = {p["internal_api"]: p["num_threads"] for p in threadpoolctl.threadpool_info()}
    assert after == before


# -- fresh processes -----------------------------------------------------------------------

def test_repeat_runs_gives_medians_and_ranges_over_fresh_processes(tmp_path, capsys):
    saved = tmp_path / "runs.json"
    status, out, err = run_main(["bench", "--generate", "chain:n=4", "--engines",
                                 "contract,opt_einsum", "--repeat-runs", "2", "--threads", "1",
                                 "--json", str(saved)] + FAST, capsys)
    assert status == 0, err
    doc = json.loads(saved.read_text())
    assert len(doc["runs"]) == 2
    assert all(r["runs"] == 2 and len(r["time_ratio_range"]) == 2 for r in doc["rows"])
    for row in doc["rows"]:
        medians = sorted(run["rows"][k]["time_median"] for run in doc["runs"]
                         for k, r in enumerate(run["rows"]) if r["engine"] == row["engine"])
        assert row["time_median"] == pytest.approx(sum(medians) / 2)
        assert row["flops_range"] is None        # every process planned the same path
    pools = doc["runs"][0]["machine"]["threadpools"]
    assert pools and all(p["num_threads"] == 1 for p in pools)
    assert "medians over 2 fresh processes" in out and "range" in out


# -- tables --------------------------------------------------------------------------------

def test_tables_fit_100_columns_and_drop_empty_columns(capsys):
    status, out, _ = run_main(["bench", "--suite", "networks,paths,reductions", "--quick",
                               "--engines", "contract,opt_einsum,numpy,ndarray"] + FAST, capsys)
    assert status == 0
    suites = {block.splitlines()[0]: block for block in out.split("\n\n") if block.strip()}
    for title, block in suites.items():
        table = block.split("goals:")[0].splitlines()
        assert all(len(line) <= 100 for line in table), title
    networks = load_suite("networks").instances(argparse.Namespace(quick=True))
    lines = suites["suite networks"].splitlines()
    assert all(inst.name in lines for inst in networks)       # each case name on one line
    header = {name: block.splitlines()[1].split() for name, block in suites.items()}
    assert "median" not in header["suite paths"] and "flops" in header["suite paths"]
    assert "flops" not in header["suite reductions"] and "median" in header["suite reductions"]


def test_version_and_default_suite_are_announced(capsys):
    status, out, _ = run_main(["--version"], capsys)
    assert status == 0 and out.strip() == f"contract {ct.__version__}"
    status, _, err = run_main(["bench", "--engines", "contract"] + FAST, capsys)
    assert status == 0 and "no --suite given: running suite overhead" in err


# -- explain -------------------------------------------------------------------------------

def test_a_memory_limit_that_forces_a_costlier_path_says_so(capsys):
    eq, shapes = "bc,c,ac,ac,ad->bd", [(3, 13), (13,), (13, 13), (13, 13), (13, 13)]
    free = ct.plan(eq, *shapes)
    limited = ct.plan(eq, *shapes, memory_limit=169)    # the largest operand: a valid limit
    assert limited.flops > free.flops and limited.unlimited.flops == free.flops
    assert f"instead of {free.flops} without the limit" in str(limited)
    assert "ct.slice_plan" in str(limited) and "forced" not in str(free)
    status, out, _ = run_main(["explain", eq, "--shapes", "3x13", "13", "13x13", "13x13",
                               "13x13", "--memory-limit", "169"], capsys)
    assert status == 0 and "forced a costlier path" in out and "ct.slice_plan" in out
    assert "forced" not in str(ct.plan(eq, *shapes, memory_limit=10 ** 6))


def _png_size(path):
    return struct.unpack(">II", path.read_bytes()[16:24])


def test_tree_plots_stay_within_a_screen(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    inst = random_regular(200, degree=3, bond=2, seed=1)
    target = tmp_path / "tree.png"
    from contract.tools.explain import plot_tree
    plot_tree(ct.plan(inst.equation, *inst.shapes), str(target))
    width, height = _png_size(target)
    assert width <= 2500 and 400 <= height <= 1400
    svg = tmp_path / "tree.svg"
    status, _, _ = run_main(["explain", "ij,jk,kl->il", "--shapes", "2x3", "3x4", "4x5",
                             "--plot", str(svg)], capsys)
    assert status == 0 and svg.read_text().lstrip().startswith("<?xml")


def test_a_refusal_in_a_fresh_process_is_one_line_here(capsys):
    status, _, err = run_main(["bench", "--generate", "chain:n=3", "--engines", "nosuch",
                               "--repeat-runs", "2"] + FAST, capsys)
    assert "nosuch" in _one_line_error(status, err)
