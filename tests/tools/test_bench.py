"""``contract bench``: table parses, JSON schema is stable, FLOPs repeat exactly, plots."""
import argparse
import json

import numpy as np
import pytest

import contract as ct
from contract.tools.bench import Case, Engine, Target, load_suite, suite_names
from contract.tools.bench import generators as gen
from contract.tools.bench.runner import check_targets, run_case
from contract.tools.cli import main

QUICK = ["--repeats", "2", "--min-time", "0.0005", "--plain", "--no-memory"]
ROW_KEYS = {"suite", "case", "engine", "baseline", "path_seconds", "flops", "log10_flops",
            "largest", "log2_largest", "time_min", "time_median", "time_max",
            "calls_per_repeat", "repeats", "peak_bytes", "time_ratio", "flops_ratio", "error",
            "time_cv", "noisy", "flops_note", "runs", "time_ratio_range", "flops_range"}
DOC_KEYS = {"schema", "created", "versions", "machine", "settings", "cases", "rows", "targets"}


def bench(argv, capsys):
    try:
        status = main(["bench"] + argv)
    except SystemExit as done:
        status = done.code
    return (status,) + capsys.readouterr()


def test_builtin_suites_are_discovered():
    names = suite_names()
    assert names[:5] == ["overhead", "gemm", "networks", "reductions", "paths"]
    for name in names[:5]:
        module = load_suite(name)
        assert module.NAME == name and module.DESCRIPTION


def test_equation_table_parses(capsys):
    status, out, _ = bench(["--equation", "ij,jk,kl->il", "--shapes", "4x5", "5x6", "6x3",
                            "--engines", "contract,opt_einsum,numpy"] + QUICK, capsys)
    assert status == 0
    lines = out.splitlines()
    header = lines[1].split()
    assert header[:3] == ["case", "/", "engine"] and header[-1] == "ratio"
    assert lines[3] == "ij,jk,kl->il"
    rows = [line for line in lines[4:7] if line.startswith("  ")]
    engines = {line.split()[0] for line in rows}
    assert engines == {"contract:auto", "opt_einsum:auto", "numpy.einsum"}
    base = next(line for line in rows if "opt_einsum:auto *" in line)
    assert base.split()[-1] == "1.00x"


def test_json_schema_and_flops_repeat_exactly(tmp_path, capsys):
    docs = []
    for k in range(2):
        target = tmp_path / f"run{k}.json"
        status, _, _ = bench(["--generate", "lattice:rows=2,cols=3,bond=2", "--generate",
                              "chain:n=4", "--optimize", "greedy", "dp", "--engines",
                              "contract,opt_einsum", "--json", str(target)] + QUICK, capsys)
        assert status == 0
        docs.append(json.loads(target.read_text()))
    doc = docs[0]
    assert set(doc) == DOC_KEYS and doc["schema"] == "contract-bench/1"
    assert {"python", "numpy", "opt_einsum", "contract"} <= set(doc["versions"])
    assert doc["machine"]["cpu_count"] >= 1
    assert all(set(row) == ROW_KEYS for row in doc["rows"])
    assert len(doc["rows"]) == 2 * 4
    for row in doc["rows"]:
        assert row["time_min"] <= row["time_median"] <= row["time_max"]
        assert row["flops"] > 0 and row["repeats"] == 2
    flops = [[(r["case"], r["engine"], r["flops"], r["largest"]) for r in d["rows"]]
             for d in docs]
    assert flops[0] == flops[1]
    by_engine = {(r["case"], r["engine"]): r["flops"] for r in doc["rows"]}
    for case in {r["case"] for r in doc["rows"]}:
        for opt in ("greedy", "dp"):
            assert by_engine[case, f"contract:{opt}"] == by_engine[case, f"opt_einsum:{opt}"]


def test_plot_is_png(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    target = tmp_path / "bench.png"
    status, _, _ = bench(["--generate", "chain:n=3", "--engines", "contract,numpy",
                          "--plot", str(target)] + QUICK, capsys)
    assert status == 0
    assert target.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_bench_list(capsys):
    status, out, _ = bench(["--list"], capsys)
    assert status == 0 and "paths" in out and "overhead" in out


def test_baseline_must_be_an_engine(capsys):
    status, _, err = bench(["--generate", "chain:n=3", "--baseline", "nobody"] + QUICK, capsys)
    assert status == 2 and "nobody" in err


def test_runner_ratios_targets_and_errors():
    x = np.arange(10.0)

    def broken():
        raise RuntimeError("boom")
    case = Case("demo", {"a": lambda: x.sum(), "b": lambda: x.sum(), "bad": broken,
                         "path": Engine(None, 0.1, 100, 10)},
                baseline="a", targets=[Target("b", "a", 1e9), Target("b", "a", 1e-9),
                                       Target("bad", "a", 2.0)])
    rows = run_case("demo", case, repeats=2, min_seconds=1e-4, memory=True)
    by = {r.engine: r for r in rows}
    assert by["a"].time_ratio == 1.0 and by["b"].time_ratio > 0
    assert by["bad"].error.startswith("RuntimeError") and by["bad"].time_median is None
    assert by["path"].repeats == 0 and by["path"].log10_flops == 2.0
    assert by["a"].peak_bytes is not None
    met = [t.met for t in check_targets("demo", case, rows)]
    assert met == [True, False, None]


@pytest.mark.parametrize("make", [
    lambda: gen.matrix_chain(5, seed=1, dims=(2, 5)),
    lambda: gen.lattice(3, 3, bond=2),
    lambda: gen.tree(9, bond=2, seed=2),
    lambda: gen.random_regular(10, degree=3, bond=2, seed=3),
    lambda: gen.random_hyper(8, bond=(2, 3), seed=4),
])
def test_generators_are_seeded_and_contract_like_numpy(make):
    inst = make()
    assert inst == make()
    arrays = inst.arrays(seed=0)
    expected = np.einsum(inst.equation, *arrays, optimize="greedy")
    np.testing.assert_allclose(ct.einsum(inst.equation, *arrays), expected, rtol=1e-10)


def test_regular_graph_is_regular():
    inst = gen.random_regular(20, degree=3, seed=5)
    assert all(len(shape) == 3 for shape in inst.shapes)
    terms = inst.equation.split("->")[0].split(",")
    assert all(len(set(t)) == 3 for t in terms)


def test_paths_suite_default_never_worse_than_opt_einsum_auto():
    cases = load_suite("paths").cases(argparse.Namespace(quick=True, optimize=["greedy"]))
    assert len(cases) == 6
    for case in cases:
        mine, peer = case.engine("contract:auto"), case.engine("opt_einsum:auto")
        assert mine.run is None and mine.flops <= peer.flops
    assert max(len(c.info["equation"].split(",")) for c in cases) >= 40


def test_quick_suites_build_cases():
    args = argparse.Namespace(quick=True, seed=0)
    for name in ("overhead", "networks"):
        for case in load_suite(name).cases(args):
            assert case.baseline in case.engines
            assert any(label.startswith("contract") for label in case.engines)


def test_steady_allocator_sets_glibc_thresholds_and_the_cli_can_skip_it():
    import platform
    from contract.tools.bench.runner import steady_allocator
    from contract.tools.cli import build_parser
    assert steady_allocator() is (platform.libc_ver()[0] == "glibc")
    assert build_parser().parse_args(["bench", "--malloc-as-is"]).malloc_as_is
    assert not build_parser().parse_args(["bench"]).malloc_as_is
