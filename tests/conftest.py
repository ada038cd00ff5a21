"""Shared pytest set-up: the tests directory is importable from every folder (``from oracles
import CORPUS``), and two fixtures that put a NumPy stand-in in place of ``cupy`` (to run the
CuPy code paths on CPU; the stand-ins are in oracles.py)."""
import sys
from pathlib import Path

import pytest

HERE = str(Path(__file__).parent)
if HERE not in sys.path:
    sys.path.insert(0, HERE)

from oracles import (FakeCupyArray, FakeCupyNdarray, fake_cupy_module,  # noqa: E402
                     fake_cupy_ndarray_module, install_fake_cupy)


@pytest.fixture
def fake_cupy(monkeypatch):
    """``cupy`` is a module whose arrays are not ndarrays (the backend's wiring)."""
    yield from install_fake_cupy(monkeypatch, fake_cupy_module(), FakeCupyArray)


@pytest.fixture
def fake_cuda(monkeypatch):
    """``cupy`` is a module whose arrays are ndarray views (Tensors on device "cuda")."""
    yield from install_fake_cupy(monkeypatch, fake_cupy_ndarray_module(), FakeCupyNdarray)
