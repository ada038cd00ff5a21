"""The NumPy backend (CPU): the reference executor."""
import numpy

from .base import ArrayBackend

BACKEND = ArrayBackend(numpy, "numpy")
