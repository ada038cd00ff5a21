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

Each engine's ``flops`` and ``largest`` are those of the path *it* runs (numpy's from
``np.einsum_path``, torch's from the opt_einsum path torch.einsum asks for); ``note``
says which.
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


def path_cost(equation, shapes, path):
    """FLOPs (opt_einsum's convention) and largest intermediate of an explicit ``path``.

    >>> path_cost("ij,jk,kl->il", [(2, 3), (3, 4), (4, 5)], [(0, 1), (0, 1)])
    (128, 10)
    """
    import opt_einsum as oe
    _, info = oe.contract_path(equation, *shapes, shapes=True, optimize=[tuple(s) for s in path])
    return int(info.opt_cost), int(info.largest_intermediate)


def peers_refuse(equation) -> Optional[str]:
    """Why numpy, opt_einsum and torch cannot take ``equation`` (groups, named axes), or None.

    >>> peers_refuse("ij,jk->ik") is None, peers_refuse("b (h p) -> b h")
    (True, 'the equation has groups or named axes, which numpy syntax lacks')
    """
    from contract.grammar import parse
    from contract.grammar.equation import ELLIPSIS
    eq = parse(equation)
    axes = [a for term in eq.inputs + (eq.output,) for a in term if a != ELLIPSIS]
    if eq.named or any(len(a) != 1 for a in axes):
        return "the equation has groups or named axes, which numpy syntax lacks"
    return None


def contract_engine(equation, shapes, arrays, optimize, execute=True, sizes=None) -> Engine:
    """contract: path time = a cold ``build_plan`` (bind, path search, kernels); the run
    is ``ct.einsum`` (cached plan).  Without ``execute``: bind and the path search only
    (a path may pass 64 dimensions in an intermediate, which no kernel could run).
    ``sizes``: lengths of labels only a group fixes.
    """
    import contract as ct
    from contract.engine.bind import bind
    from contract.grammar import parse
    from contract.engine.paths import find_path
    from contract.engine.plan import build_plan
    eq, sizes = parse(equation), dict(sizes or {})
    start = time.perf_counter()
    if not execute:
        bound = bind(eq, tuple(shapes), sizes)
        found = find_path(bound.terms, bound.output, bound.sizes, optimize, None)
        return Engine(None, time.perf_counter() - start, found.flops,
                      found.largest_intermediate, note="its own plan")
    built = build_plan(eq, tuple(shapes), optimize, sizes=sizes)
    took = time.perf_counter() - start

    def run():
        return ct.einsum(equation, *arrays, optimize=optimize, **sizes)
    return Engine(run, took, built.flops, built.largest_intermediate, note="its own plan")


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
    return Engine(run, took, int(info.opt_cost), int(info.largest_intermediate),
                  note="its own contract_path")


def numpy_engine(equation, arrays, optimize) -> Optional[Engine]:
    """numpy.einsum with the path ``np.einsum_path`` finds (greedy, no memory cap) or none;
    its FLOPs and largest intermediate are those of that path."""
    if not _ascii_only(equation) or len(arrays) > 32:
        return None
    shapes = [a.shape for a in arrays]
    if optimize is False:
        flops, largest = path_cost(equation, shapes, [tuple(range(len(arrays)))])
        return Engine(lambda: np.einsum(equation, *arrays, optimize=False), None, flops,
                      largest, note="one step (optimize=False)")
    if optimize not in _NUMPY_OPTIMIZERS:
        optimize = "greedy"
    start = time.perf_counter()
    path, _ = np.einsum_path(equation, *arrays, optimize=(optimize, 2 ** 62))
    took = time.perf_counter() - start
    flops, largest = path_cost(equation, shapes, path[1:])
    return Engine(lambda: np.einsum(equation, *arrays, optimize=path), took, flops, largest,
                  note=f"its np.einsum_path({optimize!r}) path")


def torch_path(equation, shapes):
    """The path ``torch.einsum`` contracts ``equation`` with, and where it comes from.

    torch contracts one or two operands in one step; more follow
    ``torch.backends.opt_einsum`` (opt_einsum's ``contract_path`` with its ``strategy``),
    or go left to right when that is off (torch.einsum's documentation).
    """
    import torch
    import opt_einsum as oe
    n, backend = len(shapes), torch.backends.opt_einsum
    if n <= 2:
        return [tuple(range(n))], "one step (torch.einsum contracts <= 2 operands directly)"
    if not (backend.enabled and backend.is_available()):
        return [(0, 1)] * (n - 1), "left to right (torch.backends.opt_einsum is off)"
    path, _ = oe.contract_path(equation, *shapes, shapes=True, optimize=backend.strategy)
    return path, (f"the opt_einsum {backend.strategy!r} path torch takes "
                  f"(torch.backends.opt_einsum)")


def torch_engine(equation, arrays) -> Optional[Engine]:
    """torch.einsum on tensors sharing the NumPy buffers, with the FLOPs of its path."""
    if not installed("torch") or not _ascii_only(equation):
        return None
    import torch
    tensors = [torch.from_numpy(np.ascontiguousarray(a)) for a in arrays]
    shapes = [a.shape for a in arrays]
    path, note = torch_path(equation, shapes)
    flops, largest = path_cost(equation, shapes, path)
    return Engine(lambda: torch.einsum(equation, *tensors), None, flops, largest,
                  traced_memory=False, note=note)


def cotengra_engine(equation, arrays) -> Optional[Engine]:
    """cotengra.einsum (its own default optimizer) when cotengra is installed."""
    if not installed("cotengra"):
        return None
    import cotengra
    return Engine(lambda: cotengra.einsum(equation, *arrays),
                  note="- : cotengra finds its path inside each call")


def contraction_engines(instance, optimizers: Sequence = ("auto",),
                        peers: Iterable[str] = PEERS, execute: bool = True,
                        dtype="float64", seed: int = 0) -> Dict[str, Engine]:
    """Engines for ``instance`` (anything with ``equation`` and ``shapes``), labelled
    ``contract:<optimizer>``, ``opt_einsum:<optimizer>``, ``numpy.einsum``, ``torch.einsum``,
    ``cotengra``, each with the FLOPs of its own path.  Peers that are not installed or
    cannot take the equation (:func:`peers_refuse`) are left out.
    """
    equation, shapes = instance.equation, tuple(map(tuple, instance.shapes))
    sizes = dict(getattr(instance, "sizes", ()) or ())
    rng = np.random.default_rng(seed)
    arrays = [rng.random(s).astype(dtype) for s in shapes] if execute else []
    peers = tuple(peers) if peers_refuse(equation) is None else ()
    engines: Dict[str, Engine] = {}
    for opt in optimizers:
        engines[f"contract:{opt}"] = contract_engine(equation, shapes, arrays, opt, execute,
                                                     sizes)
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
