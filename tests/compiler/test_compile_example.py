"""examples/compiled_programs.py runs (small sizes) and prints what the compiler wrote."""
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_compiled_programs_example_prints_the_fused_equations():
    done = subprocess.run([sys.executable, str(ROOT / "examples" / "compiled_programs.py"),
                           "--quick"], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert done.returncode == 0, done.stderr[-3000:]
    lines = done.stdout.splitlines()
    for name, equation in [("a @ b @ x", "ij,jk,k->i"), ("(a @ b).trace()", "ij,ji->"),
                           ("(x * y).sum(1)", "ij,ij->i"),
                           ("logsumexp(a_ij + b_jk, j)", "ij,jk->ik (log)")]:
        assert any(line.startswith(name) and equation in line for line in lines), done.stdout
    assert "mlp: 2 networks ['ij,jk->ik', 'ij,jk->ik']" in done.stdout
    text = (ROOT / "examples" / "compiled_programs.py").read_text()
    assert "import contract as ct" in text and "import torch" not in text
