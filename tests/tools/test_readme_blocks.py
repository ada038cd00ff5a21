"""Every ```python block of README.md runs on its own, in a fresh namespace.

A block that needs an optional package says so in a comment, ``# needs: dask, distributed``
(import names), or ``# needs: gpu`` (CuPy and a CUDA device); without them it is skipped.
Dask clients a block leaves open are closed after it.
"""
import re
import signal
import threading
from contextlib import contextmanager
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[2] / "README.md"
TIMEOUT_S = 120
_FENCE = re.compile(r"^```python[ \t]*\n(.*?)^```[ \t]*$", re.S | re.M)
_NEEDS = re.compile(r"#\s*needs:\s*([\w.\-]+(?:\s*,\s*[\w.\-]+)*)")


def readme_blocks(text):
    """``(line number of the fence, code)`` for each python block of ``text``."""
    return [(text.count("\n", 0, m.start()) + 1, m.group(1)) for m in _FENCE.finditer(text)]


def needs(code):
    """The names after ``# needs:`` comments in ``code``."""
    return [name.strip() for found in _NEEDS.findall(code) for name in found.split(",")]


BLOCKS = readme_blocks(README.read_text(encoding="utf-8"))


def _require(name):
    if name == "gpu":
        cupy = pytest.importorskip("cupy")
        try:
            count = cupy.cuda.runtime.getDeviceCount()
        except Exception:          # no driver: CuPy raises its own runtime error
            count = 0
        if not count:
            pytest.skip("needs a CUDA device")
    else:
        pytest.importorskip(name)


class BlockTimeout(Exception):
    pass


@contextmanager
def time_limit(seconds):
    """Raise BlockTimeout in the block after ``seconds`` (main thread only: elsewhere, none)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def expire(signum, frame):
        raise BlockTimeout(f"README block ran past {seconds} s")
    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _close_clients(namespace):
    for value in namespace.values():
        if type(value).__module__.startswith("distributed") and hasattr(value, "close"):
            cluster = getattr(value, "cluster", None)
            value.close()
            if cluster is not None:
                cluster.close()


def test_readme_has_python_blocks():
    assert len(BLOCKS) >= 8
    assert all(code.strip() for _, code in BLOCKS)


@pytest.mark.parametrize("line,code", BLOCKS, ids=[f"README.md:{line}" for line, _ in BLOCKS])
def test_readme_block_runs(line, code):
    for name in needs(code):
        _require(name)
    namespace = {"__name__": f"readme_block_{line}"}
    try:
        with time_limit(TIMEOUT_S):
            exec(compile(code, f"README.md:{line}", "exec"), namespace)
    finally:
        _close_clients(namespace)


def test_block_parsing():
    text = ("intro\n```python\nx = 1\n```\n\n```bash\nls\n```\n"
            "```python\n# needs: dask, distributed\ny = 2\n```\n")
    blocks = readme_blocks(text)
    assert blocks == [(2, "x = 1\n"), (9, "# needs: dask, distributed\ny = 2\n")]
    assert needs(blocks[1][1]) == ["dask", "distributed"] and needs(blocks[0][1]) == []


def test_a_failing_block_fails():
    with pytest.raises(NameError):
        test_readme_block_runs(1, "undefined_name + 1\n")
    with pytest.raises(BlockTimeout):
        with time_limit(0.05):
            while True:
                pass
