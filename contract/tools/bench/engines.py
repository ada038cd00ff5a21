"""Engines for one contraction: contract (per optimizer), numpy, opt_einsum, torch, cotengra.

Each engine's path is found once, cold (that time is its ``path_seconds``), and the
timed callable then runs warm: contract from its plan cache, opt_einsum from a
``ContractExpression``, numpy with the path it found, torch with its own cache.

>>> from contract.tools.bench.generators import matrix_chain
>>> engines = contraction_engines(matrix_chain(3, dims=(2, 3)), optimizers=("greedy",),
...                               peers=("opt_einsum",))
>>> sorted(engines)
['contract:greedy', 'opt_einsum:greedy']
>>> engines["contract:greedy"].flops == engines["opt_einsum:greedy"].flops
True
"""
import importlib.util
import time
from typing import Dict, Iterable, Optional, Sequence

import numpy as np

from contract.tools.bench import Engine

PEERS = ("numpy", "opt_einsum", "torch", "cotengra")
_NUMPY_OPTIMIZERS = {"greedy", "optimal"}


def installed(module: str) -> bool:
    """True when ``module`` can be imported (without importing it)."""
    return importlib.util.find_spec(module) is not None


def _ascii_only(equation: str) -> bool:
    return all(c.isascii() for c in equation)


def contract_engine(equation, shapes, arrays, optimize, execute=True) -> Engine:
    """contract: path time = a cold ``build_plan`` (bind, path search, kernels); the run
    is ``ct.einsum`` (cached plan).  Without ``execute``: bind and the path search only
    (a path may pass 64 dimensions in an intermediate, which no kernel could run).
    """
    import contract as ct
    from contract.engine.bind import bind
    from contract.grammar import parse
    from contract.engine.paths import find_path
    from contract.engine.plan import build_plan
    eq = parse(equation)
    start = time.perf_counter()
    if not execute:
        bound = bind(eq, tuple(shapes), {})
        found = find_path(bound.terms, bound.output, bound.sizes, optimize, None)
        return Engine(None, time.perf_counter() - start, found.flops,
                      found.largest_intermediate)
    built = build_plan(eq, tuple(shapes), optimize)
    took = time.perf_counter() - start

    def run():
        return ct.einsum(equation, *arrays, optimize=optimize)
    return Engine(run, took, built.flops, built.largest_intermediate)


def opt_einsum_engine(equation, shapes, arrays, optimize, execute=True) -> Engine:
    """opt_einsum: path time = ``contract_path``; the run is a warm ``ContractExpression``."""
    import opt_einsum as oe
    start = time.perf_counter()
    path, info = oe.contract_path(equation, *shapes, shapes=True, optimize=optimize)
    took = time.perf_counter() - start
    run = None
    if execute:
        expr = oe.contract_expression(equation, *shapes, optimize=path)

        def run():
            return expr(*arrays)
    return Engine(run, took, int(info.opt_cost), int(info.largest_intermediate))


def numpy_engine(equation, arrays, optimize) -> Optional[Engine]:
    """numpy.einsum with the path ``np.einsum_path`` finds (greedy, no memory cap) or none."""
    if not _ascii_only(equation) or len(arrays) > 32:
        return None
    if optimize is False:
        return Engine(lambda: np.einsum(equation, *arrays, optimize=False))
    if optimize not in _NUMPY_OPTIMIZERS:
        optimize = "greedy"
    start = time.perf_counter()
    path, _ = np.einsum_path(equation, *arrays, optimize=(optimize, 2 ** 62))
    took = time.perf_counter() - start
    return Engine(lambda: np.einsum(equation, *arrays, optimize=path), took)


def torch_engine(equation, arrays) -> Optional[Engine]:
    """torch.einsum on tensors sharing the NumPy buffers (torch plans with opt_einsum)."""
    if not installed("torch") or not _ascii_only(equation):
        return None
    import torch
    tensors = [torch.from_numpy(np.ascontiguousarray(a)) for a in arrays]
    return Engine(lambda: torch.einsum(equation, *tensors), traced_memory=False)


def cotengra_engine(equation, arrays) -> Optional[Engine]:
    """cotengra.einsum (its own default optimizer) when cotengra is installed."""
    if not installed("cotengra"):
        return None
    import cotengra
    return Engine(lambda: cotengra.einsum(equation, *arrays))


def contraction_engines(instance, optimizers: Sequence = ("auto",),
                        peers: Iterable[str] = PEERS, execute: bool = True,
                        dtype="float64", seed: int = 0) -> Dict[str, Engine]:
    """Engines for ``instance`` (anything with ``equation`` and ``shapes``), labelled
    ``contract:<optimizer>``, ``opt_einsum:<optimizer>``, ``numpy.einsum``, ``torch.einsum``,
    ``cotengra``.  Peers that are not installed or cannot take the equation are left out.
    """
    equation, shapes = instance.equation, tuple(map(tuple, instance.shapes))
    rng = np.random.default_rng(seed)
    arrays = [rng.random(s).astype(dtype) for s in shapes] if execute else []
    peers = tuple(peers)
    engines: Dict[str, Engine] = {}
    for opt in optimizers:
        engines[f"contract:{opt}"] = contract_engine(equation, shapes, arrays, opt, execute)
    if "opt_einsum" in peers:
        for opt in optimizers:
            if opt is not False:
                engines[f"opt_einsum:{opt}"] = opt_einsum_engine(equation, shapes, arrays, opt,
                                                                 execute)
    if not execute:
        return engines
    extra = {"numpy": lambda: numpy_engine(equation, arrays, optimizers[0]),
             "torch": lambda: torch_engine(equation, arrays),
             "cotengra": lambda: cotengra_engine(equation, arrays)}
    names = {"numpy": "numpy.einsum", "torch": "torch.einsum", "cotengra": "cotengra"}
    for peer, make in extra.items():
        if peer in peers:
            found = make()
            if found is not None:
                engines[names[peer]] = found
    return engines
