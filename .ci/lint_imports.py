"""Run import-linter on the package as it installs: ``grammar/`` and ``backends/`` are the
``contract.grammar`` and ``contract.backends`` subpackages (setuptools ``package-dir``),
which an editable install maps without putting them under ``contract/`` on disk, where
import-linter looks.  So the three folders are copied into one ``contract`` tree in a
temporary directory, and ``lint-imports`` runs there (it puts its working directory first on
the path) with the ``[tool.importlinter]`` contracts of this pyproject.toml.

Usage: ``python .ci/lint_imports.py`` (exit status of lint-imports).
"""
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def assemble(target: Path) -> Path:
    """Copy contract/, grammar/ and backends/ into ``target/contract`` as one package."""
    package = target / "contract"
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(ROOT / "contract", package, ignore=ignore)
    for sub in ("grammar", "backends"):
        shutil.copytree(ROOT / sub, package / sub, ignore=ignore)
    return target


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        assemble(Path(tmp))
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(
            [tmp] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]))
        lint = shutil.which("lint-imports") or "lint-imports"
        return subprocess.call([lint, "--no-cache", str(ROOT / "pyproject.toml")],
                               cwd=tmp, env=env)


if __name__ == "__main__":
    sys.exit(main())
