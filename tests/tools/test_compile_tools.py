"""The compiler on the command line and in the bench: ``contract explain module:function``
prints the compiled program; the ``compile`` suite's cases build and run (quick sizes)."""
import argparse
from pathlib import Path

import pytest

from contract.tools.bench import load_suite
from contract.tools.cli import main

ROOT = Path(__file__).resolve().parents[2]


def _explain(argv, capsys, monkeypatch):
    monkeypatch.chdir(ROOT)
    status = main(["explain"] + argv)
    return (status,) + capsys.readouterr()


def test_explain_prints_the_program_of_a_function(capsys, monkeypatch):
    status, out, _ = _explain(["examples.compiled_programs:chain", "--shapes", "30x40",
                               "40x50", "50"], capsys, monkeypatch)
    assert status == 0
    assert "program chain: 1 network, 0 barrier ops" in out
    assert "network ij,jk,k->i (%0 a, %1 b, %2 x)" in out and "Plan  ij,jk,k->i" in out
    status, out, _ = _explain(["examples.compiled_programs:mlp", "--shapes", "8x5", "5x6",
                               "6", "6x3", "--optimize", "greedy"], capsys, monkeypatch)
    assert status == 0 and out.count("Plan ") == 2 and "= relu(" in out
    assert "optimize 'greedy'" in out


@pytest.mark.parametrize("ref, message", [
    ("examples.no_such_module:f", "cannot import module"),
    ("examples.compiled_programs:nothing", "has no attribute"),
    ("examples.compiled_programs:sys", "not a function"),
])
def test_explain_reports_a_bad_function_in_one_line(ref, message, capsys, monkeypatch):
    status, out, err = _explain([ref, "--shapes", "3x3"], capsys, monkeypatch)
    assert status == 2 and message in err and err.count("\n") == 1


def test_the_compile_suite_builds_and_runs(monkeypatch):
    monkeypatch.syspath_prepend(str(ROOT))
    suite = load_suite("compile")
    found = suite.cases(argparse.Namespace(quick=True, seed=0))
    names = [c.name for c in found]
    assert names[:5] == ["a @ b @ x 128 f64", "(a @ b).trace() 128 f64",
                         "(x * y).sum(1) 512x128 f64", "logsumexp(a_ij + b_jk, j) 48 f64",
                         "replay a @ b @ c 8x8 f64"]
    assert any(n.startswith("mlp fwd+bwd") for n in names)
    for case in found:
        for label in case.engines:
            case.engine(label).run()
        for target in case.targets:
            assert target.engine in case.engines and target.peer in case.engines
    assert found[0].info["equation"] == "ij,jk,k->i"
