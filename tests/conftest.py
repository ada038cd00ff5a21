"""Shared pytest set-up: the tests directory is importable (``from corpus import CORPUS``),
and a helper that installs a NumPy stand-in for ``cupy`` (to run the CuPy code paths on CPU)."""
import sys
from pathlib import Path

HERE = str(Path(__file__).parent)
if HERE not in sys.path:
    sys.path.insert(0, HERE)


def install_fake_cupy(monkeypatch, module, array_type):
    """Put ``module`` in place of ``cupy`` for one test; yields it, then forgets the backend.

    Use from a fixture: ``yield from install_fake_cupy(monkeypatch, _fake_cupy(), FakeArray)``.
    """
    import contract.backends as backends
    monkeypatch.setitem(sys.modules, "cupy", module)
    monkeypatch.delitem(sys.modules, "contract.backends.cupy_backend", raising=False)
    yield module
    backends._BY_TYPE.pop(array_type, None)
    sys.modules.pop("contract.backends.cupy_backend", None)
