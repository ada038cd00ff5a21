"""Suite ``reductions``: single-operand sums written as einsum vs ``ndarray.sum``.

Issue 2's goal: ``bchw->c`` on 512x3x64x64 float32 at most 1.1x ``ndarray.sum`` over
the same axes.  ``--quick`` uses a 64-image batch.

>>> import argparse
>>> [c.name for c in cases(argparse.Namespace(quick=True))][0]
'bchw->c 64x3x64x64 f32'
"""
import numpy as np

from contract.tools.bench import Case, Target
from contract.tools.bench.engines import installed

NAME = "reductions"
DESCRIPTION = "einsum reductions (bchw->c, bchw->bc, ij->j, ii->) vs ndarray.sum / trace"


def _case(equation, x, reference, label, tag):
    import contract as ct
    engines = {"contract": lambda: ct.einsum(equation, x), label: lambda: reference(x),
               "numpy.einsum": lambda: np.einsum(equation, x)}
    if installed("torch"):
        import torch
        tensor = torch.from_numpy(x)
        engines["torch.einsum"] = lambda: torch.einsum(equation, tensor)
    shape = "x".join(map(str, x.shape))
    return Case(f"{equation} {shape} {tag}", engines, baseline=label,
                targets=[Target("contract", label, 1.1)])


def cases(args):
    """Batch statistics over (b, h, w), per-image sums, column sums and a trace."""
    batch = 64 if getattr(args, "quick", False) else 512
    rng = np.random.default_rng(getattr(args, "seed", 0))
    images = rng.random((batch, 3, 64, 64), dtype=np.float32)
    matrix = rng.random((2048, 2048))
    return [
        _case("bchw->c", images, lambda x: x.sum(axis=(0, 2, 3)), "ndarray.sum", "f32"),
        _case("bchw->bc", images, lambda x: x.sum(axis=(2, 3)), "ndarray.sum", "f32"),
        _case("ij->j", matrix, lambda x: x.sum(axis=0), "ndarray.sum", "f64"),
        _case("ii->", matrix, np.trace, "numpy.trace", "f64"),
    ]
