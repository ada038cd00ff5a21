"""Suite ``networks``: multi-operand contractions, warm, against opt_einsum with the same optimizer.

Issue 2's goal: total time at most 0.8x ``opt_einsum`` (a warm ``ContractExpression``
built with the same optimizer).  Instances: ``pi,qj,ijkl,rk,sl->pqrs`` (n=30), matrix
chains, a 4x4 lattice and random 3-regular networks of 30 tensors (seeded).

>>> import argparse
>>> len(instances(argparse.Namespace(quick=True)))
5
"""
from contract.tools.bench import Case, Target
from contract.tools.bench.engines import contraction_engines
from contract.tools.bench.generators import Instance, lattice, matrix_chain, random_regular

NAME = "networks"
DESCRIPTION = "multi-operand networks (basis change, chains, lattice, random regular) warm"


def instances(args):
    """The instances of this suite (smaller with ``--quick``)."""
    quick = getattr(args, "quick", False)
    seed = getattr(args, "seed", 0)
    n = 10 if quick else 30
    basis = Instance(f"pi,qj,ijkl,rk,sl->pqrs n={n}", "pi,qj,ijkl,rk,sl->pqrs",
                     ((n, n),) * 2 + ((n,) * 4,) + ((n, n),) * 2)
    dims = (10, 50) if quick else (100, 500)
    return [basis,
            matrix_chain(6, seed=seed, dims=dims),
            matrix_chain(12, seed=seed + 1, dims=dims),
            lattice(4, 4, bond=4 if quick else 8),
            random_regular(30, degree=3, bond=2 if quick else 4, seed=seed)]


def cases(args):
    """One case per instance: contract and opt_einsum per optimizer, numpy, torch, each
    with the FLOPs of its own path."""
    optimizers = tuple(getattr(args, "optimize", None) or ("auto",))
    found = []
    for inst in instances(args):
        engines = contraction_engines(inst, optimizers, seed=getattr(args, "seed", 0))
        targets = [Target(f"contract:{o}", f"opt_einsum:{o}", 0.8) for o in optimizers]
        found.append(Case(inst.name, engines, baseline=f"opt_einsum:{optimizers[0]}",
                          targets=targets,
                          info={"equation": inst.equation, "shapes": inst.shapes}))
    return found
