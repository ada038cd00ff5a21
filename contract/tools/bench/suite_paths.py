"""Suite ``paths``: path optimizers compared on 20 generated networks of 20..200 tensors.

No contraction is executed: each row gives the path-finding time, log10 FLOPs and
log2 largest intermediate.  Goal (issue 6): the default optimizer's FLOPs are never
worse than opt_einsum's ``auto``; the whole suite finishes within 2 minutes on 2 cores.

>>> import argparse
>>> insts = instances(argparse.Namespace(quick=True))
>>> len(insts), min(i.num_tensors for i in insts) >= 20
(6, True)
"""
import numpy as np

from contract.tools.bench import Case, Target
from contract.tools.bench.engines import contraction_engines
from contract.tools.bench.generators import lattice, random_hyper, random_regular, tree

NAME = "paths"
DESCRIPTION = "path optimizers on 20 generated networks of 20..200 tensors (no execution)"
DEFAULT_OPTIMIZERS = ("auto", "greedy", "random-greedy")


def _make(kind, n, seed):
    if kind == "regular":
        return random_regular(n if n % 2 == 0 else n + 1, degree=3, bond=2, seed=seed)
    if kind == "lattice":
        rows = max(2, int(round(np.sqrt(n / 2))))
        return lattice(rows, max(2, round(n / rows)), bond=2)
    if kind == "tree":
        return tree(n, bond=3, seed=seed)
    return random_hyper(n, max_order=3, bond=(2, 2), seed=seed)


def instances(args):
    """20 instances (6 with ``--quick``), sizes spread over 20..200, four network kinds."""
    count = 6 if getattr(args, "quick", False) else 20
    seed = getattr(args, "seed", 0)
    kinds = ("regular", "lattice", "tree", "hyper")
    sizes = np.linspace(20, 200 if count == 20 else 60, count).round().astype(int)
    return [_make(kinds[k % 4], int(n), seed + k) for k, n in enumerate(sizes)]


def cases(args):
    """Per instance: contract and opt_einsum with each optimizer, path only."""
    optimizers = tuple(getattr(args, "optimize", None) or DEFAULT_OPTIMIZERS)
    if "auto" not in optimizers:
        optimizers = ("auto",) + optimizers
    found = []
    for inst in instances(args):
        engines = contraction_engines(inst, optimizers, peers=("opt_einsum",), execute=False)
        found.append(Case(f"{inst.name} ({inst.num_tensors} tensors)", engines,
                          baseline="opt_einsum:auto",
                          targets=[Target("contract:auto", "opt_einsum:auto", 1.0,
                                          "contract default FLOPs <= opt_einsum auto",
                                          kind="flops")],
                          info={"equation": inst.equation}))
    return found
