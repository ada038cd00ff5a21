"""Suite ``overhead``: the cost of a call whose plan is cached, on tiny operands.

Issue 2's goals: ``ij,jk->ik`` on 4x4 float64 at most 1.5x raw ``numpy.einsum``
(no optimize) and at most 0.2x ``opt_einsum.contract``; three 8x8 operands at most
0.2x ``torch.einsum``.

>>> import argparse
>>> [c.name for c in cases(argparse.Namespace())]
['ij,jk->ik 4x4 f64', 'ij,jk,kl->il 8x8 f64']
"""
import numpy as np

from contract.tools.bench import Case, Target
from contract.tools.bench.engines import installed

NAME = "overhead"
DESCRIPTION = "cached-plan call overhead on 4x4 / 8x8 operands vs numpy, opt_einsum, torch"


def _engines(equation, arrays):
    import contract as ct
    import opt_einsum as oe
    plan = ct.plan(equation, *arrays)
    engines = {
        "contract": lambda: ct.einsum(equation, *arrays),
        "contract plan()": lambda: plan(*arrays),
        "numpy.einsum": lambda: np.einsum(equation, *arrays),
        "numpy.einsum opt": lambda: np.einsum(equation, *arrays, optimize=True),
        "opt_einsum.contract": lambda: oe.contract(equation, *arrays),
    }
    if installed("torch"):
        import torch
        tensors = [torch.from_numpy(a) for a in arrays]
        engines["torch.einsum"] = lambda: torch.einsum(equation, *tensors)
    return engines


def cases(args):
    """Two cases: a 2-operand 4x4 product and a 3-operand 8x8 chain."""
    rng = np.random.default_rng(getattr(args, "seed", 0))
    a, b = rng.random((4, 4)), rng.random((4, 4))
    import contract as ct
    two = Case("ij,jk->ik 4x4 f64", _engines("ij,jk->ik", [a, b]), baseline="numpy.einsum",
               flops=ct.plan("ij,jk->ik", a, b).flops,     # one GEMM for every engine
               targets=[Target("contract", "numpy.einsum", 1.5),
                        Target("contract", "opt_einsum.contract", 0.2)])
    x, y, z = (rng.random((8, 8)) for _ in range(3))
    three = Case("ij,jk,kl->il 8x8 f64", _engines("ij,jk,kl->il", [x, y, z]),
                 baseline="numpy.einsum")      # numpy.einsum runs one 3-operand step
    if "torch.einsum" in three.engines:
        three.targets.append(Target("contract", "torch.einsum", 0.2))
    return [two, three]
