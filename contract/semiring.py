"""Semirings as data: each one is a record of kernels in a registry.

The planner is the same for every semiring (any pairwise order is valid for a
commutative semiring); only the step kernels and the identity used to fill
empty reductions differ.  ``real`` is the ordinary (+, *) einsum.

>>> get_semiring("real").zero
0.0
"""
from dataclasses import dataclass
from typing import Callable, Optional

from contract import kernels
from contract.errors import ContractError


@dataclass(frozen=True)
class Semiring:
    """An (add, multiply) pair, given by its step compilers and identities."""

    name: str
    compile_single: Callable     # (labels, out) -> Kernel
    compile_pair: Callable       # (la, lb, keep, sizes) -> Kernel
    compile_nary: Callable       # (terms, out) -> Kernel
    zero: float                  # identity of add: fills empty reductions, embeddings
    one: float                   # identity of multiply
    vjp: Optional[Callable] = None   # (plan, arrays, out, grad) -> grads; None: real rule


_REGISTRY = {}


def register_semiring(semiring: Semiring) -> Semiring:
    """Add a semiring to the registry; a name can be registered once."""
    if semiring.name in _REGISTRY:
        raise ContractError(f"semiring {semiring.name!r} is already registered "
                            f"(registered: {', '.join(sorted(_REGISTRY))})")
    _REGISTRY[semiring.name] = semiring
    return semiring


def get_semiring(name) -> Semiring:
    """The registered semiring called ``name`` (or ``name`` itself if a Semiring)."""
    if isinstance(name, Semiring):
        return name
    try:
        return _REGISTRY[name]
    except (KeyError, TypeError):
        raise ContractError(f"unknown semiring {name!r}; registered semirings: "
                            f"{', '.join(sorted(_REGISTRY))}") from None


REAL = register_semiring(Semiring("real", kernels.compile_single, kernels.compile_pair,
                                  kernels.compile_nary, zero=0.0, one=1.0))
