"""The architecture is checked, not hoped for: import-linter's layer contracts pass, a
deliberately upward import (also one written inside a function) breaks them, no two
modules import each other (directly or around a cycle), optional packages stay off the
``import contract`` path, and pyproject's package list names every package folder."""
import subprocess
import sys

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / ".ci"))
import lint_imports  # noqa: E402

pytest.importorskip("importlinter")
grimp = pytest.importorskip("grimp")
tomllib = pytest.importorskip("tomllib")


def _lint(tmp_path, patch=None):
    tree = lint_imports.assemble(tmp_path)
    if patch is not None:
        path, text = patch
        with open(tree / path, "a") as f:
            f.write(text)
    config = str(ROOT / "pyproject.toml")
    return subprocess.run(["lint-imports", "--no-cache", config], cwd=tree,
                          env={"PYTHONPATH": str(tree), "PATH": _path()},
                          capture_output=True, text=True)


def _path():
    import os
    return os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])


def test_the_layer_contracts_are_kept(tmp_path):
    done = _lint(tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 broken" in done.stdout


@pytest.mark.parametrize("where, text", [
    ("contract/engine/plan.py", "\nfrom contract.tensors.core import Tensor  # noqa\n"),
    ("contract/engine/bind.py",
     "\n\ndef _sneaky():\n    from contract.autograd import graph  # noqa\n    return graph\n"),
    ("contract/grammar/parser.py", "\nimport contract.backends  # noqa\n"),
])
def test_an_upward_import_breaks_them(tmp_path, where, text):
    done = _lint(tmp_path, (where, text))
    assert done.returncode != 0 and "BROKEN" in done.stdout


CYCLES = """
import grimp
graph = grimp.build_graph("contract")
order, low, stack, on, cycles = {}, {}, [], set(), []

def visit(v):
    order[v] = low[v] = len(order); stack.append(v); on.add(v)
    for w in graph.find_modules_directly_imported_by(v):
        if w not in order:
            visit(w); low[v] = min(low[v], low[w])
        elif w in on:
            low[v] = min(low[v], order[w])
    if low[v] == order[v]:
        part = []
        while True:
            w = stack.pop(); on.discard(w); part.append(w)
            if w == v:
                break
        if len(part) > 1:
            cycles.append(sorted(part))

for m in sorted(graph.modules):
    if m not in order:
        visit(m)
print(len(graph.modules), cycles)
"""


def test_no_import_cycles_between_modules(tmp_path):
    tree = lint_imports.assemble(tmp_path)
    done = subprocess.run([sys.executable, "-c", CYCLES], cwd=tree,
                          env={"PYTHONPATH": str(tree)}, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    count, cycles = done.stdout.split(" ", 1)
    assert int(count) > 50 and cycles.strip() == "[]", cycles


def test_optional_packages_stay_off_the_import_path():
    code = ("import sys, contract; print(sorted(m for m in ('cupy', 'dask', 'distributed', "
            "'rich', 'matplotlib', 'torch', 'einops', 'cotengra') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.stdout.strip() == "[]", done.stdout + done.stderr


def test_pyproject_lists_every_package_folder():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    listed = set(config["packages"])
    found = {"contract." + ".".join(p.relative_to(ROOT / "contract").parent.parts)
             for p in (ROOT / "contract").rglob("__init__.py")}
    found = {name.rstrip(".") for name in found}
    found |= {"contract.grammar", "contract.backends"}
    assert listed == found
    assert config["package-dir"] == {"contract.grammar": "grammar",
                                     "contract.backends": "backends"}
