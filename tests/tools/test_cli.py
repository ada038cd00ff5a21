"""The ``contract`` command line: explain and bench output, JSON schema, plots, bad arguments."""
import subprocess
import sys

import pytest

from contract.tools.cli import main, parse_shape

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
QUICK = ["--repeats", "2", "--min-time", "0.0005", "--plain", "--no-memory"]


def run_main(argv, capsys):
    """Run ``main(argv)``; returns (exit status, stdout, stderr)."""
    try:
        status = main(argv)
    except SystemExit as done:
        status = done.code
    out, err = capsys.readouterr()
    return status, out, err


# -- explain -------------------------------------------------------------------

def test_explain_prints_steps_tree_and_totals(capsys):
    status, out, _ = run_main(["explain", "ij,jk,kl->il", "--shapes", "2x3", "3x4", "4x5"],
                              capsys)
    assert status == 0
    table = out.split("\n\n")[0].splitlines()
    assert table[0].startswith("Plan  ij,jk,kl->il")
    steps = [line.split() for line in table[3:-1]]
    assert [s[0] for s in steps] == ["0", "1"]
    assert all("gemm" in s for s in steps)
    assert "contraction tree:" in out and "#0 ij (2, 3)" in out and "└── " in out
    flops = sum(int(line.split()[-3]) for line in table[3:-1])
    assert f"flops {flops} " in out


def test_explain_flops_match_plan(capsys):
    import contract as ct
    status, out, _ = run_main(["explain", "pi,qj,ijkl,rk,sl->pqrs", "--shapes", "5x5", "5x5",
                               "5x5x5x5", "5x5", "5x5", "--optimize", "greedy"], capsys)
    assert status == 0
    plan = ct.plan("pi,qj,ijkl,rk,sl->pqrs", (5, 5), (5, 5), (5,) * 4, (5, 5), (5, 5),
                   optimize="greedy")
    assert f"total {plan.flops} flops" in out
    assert f"largest intermediate {plan.largest_intermediate} elements" in out


def test_explain_tree_plot_is_png(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    target = tmp_path / "tree.png"
    status, _, _ = run_main(["explain", "ij,jk,kl->il", "--shapes", "2x3", "3x4", "4x5",
                             "--plot", str(target)], capsys)
    assert status == 0
    assert target.read_bytes()[:8] == PNG_MAGIC


@pytest.mark.parametrize("argv", [
    ["explain", "ij,jk->ik", "--shapes", "3xq", "4x5"],          # bad shape text
    ["explain", "ij,jk->ik", "--shapes", "3x4", "5x6"],          # sizes disagree
    ["explain", "ij,jk->", "--shapes", "3x4"],                   # operand count
    ["explain", "ij,,->ik", "--shapes", "3x4", "4x5"],           # syntax
    ["explain", "ij,jk->ik", "--shapes", "3x4", "4x5", "--optimize", "fastest"],
    ["explain", "ij,jk->ik"],                                    # --shapes missing
    ["bench", "--suite", "no-such-suite"],
    ["bench", "--repeats", "0"],
    ["bench", "--equation", "ij,jk->ik"],                        # no shapes
    ["bench", "--generate", "blob:n=3"],
    ["frobnicate"],
])
def test_bad_arguments_give_one_line_and_status_2(argv, capsys):
    status, out, err = run_main(argv, capsys)
    assert status == 2
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert "error" in lines[0]


def test_parse_shape():
    assert parse_shape("3x4x5") == (3, 4, 5)
    assert parse_shape("()") == ()
    assert parse_shape("0x2") == (0, 2)


def test_python_dash_m_runs():
    done = subprocess.run([sys.executable, "-m", "contract", "explain", "ij->", "--shapes",
                           "2x2"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0
    assert "sum" in done.stdout


def test_explain_of_a_function_refuses_equation_only_options(capsys):
    for extra in (["--plot", "t.png"], ["--semiring", "maxplus"], ["--size", "p=2"]):
        status = main(["explain", "examples.compiled_programs:chain", "--shapes", "4x4", "4x4",
                       "4"] + extra)
        err = capsys.readouterr().err
        assert status == 2 and extra[0] in err and "compiled program" in err


def test_explain_draws_a_deep_tree_without_recursion():
    import contract as ct
    from contract.tools.explain import format_tree
    n = 1200
    eq = ",".join(f"a{k} a{k + 1}" for k in range(n)) + f" -> a0 a{n}"
    plan = ct.plan(eq, *[(1, 1)] * n, optimize=[(0, 1)] * (n - 1))
    assert len(format_tree(plan).splitlines()) == 2 * n - 1
