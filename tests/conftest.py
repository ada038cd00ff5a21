"""Shared pytest set-up: the tests directory is importable (``from corpus import CORPUS``)."""
import sys
from pathlib import Path

HERE = str(Path(__file__).parent)
if HERE not in sys.path:
    sys.path.insert(0, HERE)
