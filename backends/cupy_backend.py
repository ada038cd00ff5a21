"""The CuPy backend (NVIDIA GPU): the same plans, kernels and dtype policy as NumPy.

Loaded only when an operand is a ``cupy.ndarray`` (never at ``import
contract``).  The kernels receive ``cupy`` as ``xp``: GEMM-shaped steps call
``cupy.matmul`` (cuBLAS), other steps ``cupy.einsum`` (cuTENSOR when CuPy has
it enabled, e.g. ``CUPY_ACCELERATORS=cub,cutensor``), reductions ``.sum``.
Diagonals are ``cupy.diagonal`` views and a diagonal embedding writes through
one ``cupy.lib.stride_tricks.as_strided`` view, exactly as on NumPy.  The dtype
policy is decided from NumPy dtypes before any kernel runs, so result dtypes
and values equal NumPy's (int8 sums accumulate in int64; float16 in float32).

>>> import cupy, numpy as np, contract as ct                       # doctest: +SKIP
>>> ct.einsum("ij,jk->ik", cupy.ones((2, 3)), cupy.ones((3, 2)))   # doctest: +SKIP
array([[3., 3.],
       [3., 3.]])
"""
import cupy

from .base import ArrayBackend


class CupyBackend(ArrayBackend):
    """A Backend over CuPy (``xp`` may be swapped for a stand-in in CPU-only tests)."""

    def __init__(self, xp=cupy):
        super().__init__(xp, "cupy")

    def asarray(self, x):
        """Scalars and nested lists go to the current device; CuPy arrays stay put."""
        return self.xp.asarray(x)

    def cast(self, x, dtype):
        if x.dtype == dtype:
            return x
        return x.astype(dtype)

    def magnitude(self, x):
        """None: CuPy has no object arrays, so integer einsums keep int64 arithmetic."""
        return None


BACKEND = CupyBackend()
