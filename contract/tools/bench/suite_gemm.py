"""Suite ``gemm``: GEMM-shaped einsums must reach the BLAS.

Issue 2's goal: ``ij,jk->ik`` on 2048x2048 float64 and float32 at least 0.95x the
speed of ``numpy.matmul`` (time ratio at most 1/0.95).  ``--quick`` uses 512x512.

>>> import argparse
>>> [c.name for c in cases(argparse.Namespace(quick=True))]
['ij,jk->ik 512 f64', 'ij,jk->ik 512 f32', 'bij,bjk->bik 64x128 f32', 'ijk,jkl->il 96 f64']
"""
import numpy as np

from contract.tools.bench import Case, Target
from contract.tools.bench.engines import installed

NAME = "gemm"
DESCRIPTION = "GEMM-shaped einsums (2048x2048 f64/f32, batched, tensordot) vs numpy.matmul"


def _case(name, equation, arrays, reference, label):
    import contract as ct
    engines = {"contract": lambda: ct.einsum(equation, *arrays),
               label: lambda: reference(*arrays),
               "numpy.einsum opt": lambda: np.einsum(equation, *arrays, optimize=True)}
    if installed("torch"):
        import torch
        tensors = [torch.from_numpy(a) for a in arrays]
        engines["torch.einsum"] = lambda: torch.einsum(equation, *tensors)
    return Case(name, engines, baseline=label,
                targets=[Target.speed("contract", label, 0.95)])


def cases(args):
    """Square GEMM in float64 and float32, a batched GEMM and a tensordot-shaped step."""
    n = 512 if getattr(args, "quick", False) else 2048
    rng = np.random.default_rng(getattr(args, "seed", 0))
    found = []
    for dtype, tag in ((np.float64, "f64"), (np.float32, "f32")):
        a, b = rng.random((n, n)).astype(dtype), rng.random((n, n)).astype(dtype)
        found.append(_case(f"ij,jk->ik {n} {tag}", "ij,jk->ik", [a, b], np.matmul,
                           "numpy.matmul"))
    batch = rng.random((64, 128, 128)).astype(np.float32)
    found.append(_case("bij,bjk->bik 64x128 f32", "bij,bjk->bik", [batch, batch], np.matmul,
                       "numpy.matmul"))
    t, m = rng.random((96, 96, 96)), rng.random((96, 96, 96))
    found.append(_case("ijk,jkl->il 96 f64", "ijk,jkl->il", [t, m],
                       lambda x, y: np.tensordot(x, y, axes=([1, 2], [0, 1])),
                       "numpy.tensordot"))
    return found
