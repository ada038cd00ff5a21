"""Semirings as data: each one is a record of kernels and facts in a registry.

The planner is the same for every semiring (any pairwise order is valid for a
commutative semiring); only the step kernels, the identities and a few facts
differ, and every fact other code needs is a field of the :class:`Semiring`
record, so a semiring a user registers works in plans, slicing, Dask, argmax
and autograd with no edits elsewhere.  ``real`` is the ordinary (+, *) einsum;
``log``, ``maxplus``, ``minplus`` and ``maxtimes`` are built from
:class:`~contract.engine.kernels.semiring.SemiringOps` by :func:`make_semiring`.

>>> get_semiring("real").zero
0.0
>>> import numpy as np, contract as ct
>>> ct.einsum("ij,jk->ik", np.zeros((2, 3)), np.arange(6.).reshape(3, 2), semiring="maxplus")
array([[4., 5.],
       [4., 5.]])
"""
from dataclasses import dataclass
from functools import partial
from typing import Callable, Optional, Union

import numpy as np

from contract.engine import overflow
from contract.engine.kernels import real as kernels
from contract.engine.kernels import semiring as sk
from contract.errors import ContractError

GRADIENTS = ("sum", "select", "softmax")


def identity_for(zero, dtype):
    """A semiring's ``zero`` as ``dtype`` holds it: integers take their extreme value for
    +-inf, bools ``zero > 0``.

    >>> identity_for(-np.inf, np.int8), identity_for(0.0, np.int8)
    (-128, 0.0)
    """
    dtype = np.dtype(dtype)
    if dtype.kind in "iub" and np.isinf(zero):
        if dtype.kind == "b":
            return zero > 0
        info = np.iinfo(dtype)
        return info.min if zero < 0 else info.max
    return zero


@dataclass(frozen=True)
class Semiring:
    """An (add, multiply) pair: its step compilers, identities and the facts about it.

    ``accumulate`` merges two partial results (slices, Dask blocks): the name of a
    ufunc of the array module (``"add"``, ``"logaddexp"``, ``"maximum"``), a function
    ``(xp, a, b)``, or None (the semiring's own reduction over the two, stacked).  ``gradient`` says how the add differentiates, which
    picks the autograd rule: ``"sum"`` (linear: the einsum VJP), ``"select"`` (max
    or min: the gradient goes to the chosen assignment), ``"softmax"`` (log-sum-exp:
    softmax weights) or None (no rule; give ``vjp``).  ``vjp(plan, arrays, out, grad)``
    overrides it.  ``ordered``: the add compares values (complex operands refused).
    ``writes_into``: ``compile_pair`` takes a fifth argument, the output order of a last
    step, and its kernel then writes into ``out=`` (the real kernels do).
    ``integer_add``: the add stays exact on integers (log-sum-exp does not: integer
    operands are promoted to the default float).
    ``int_bound(maxima, terms)``: a bound on every value the integer kernels must hold, from
    each operand's largest magnitude and the number of terms a result element gathers; past
    int64 the plan runs on exact Python ints (:mod:`contract.engine.overflow`).  None: not
    checked (integer results are then as the kernels compute them).

    >>> import contract as ct
    >>> ring = ct.get_semiring("maxplus")
    >>> ring.name, ring.zero, ring.one, ring.gradient, ring.has_argmax
    ('maxplus', -inf, 0.0, 'select', True)
    """

    name: str
    compile_single: Callable     # (labels, out, sizes=None) -> Kernel
    compile_pair: Callable       # (la, lb, keep, sizes[, want]) -> Kernel
    compile_nary: Callable       # (terms, out) -> Kernel
    zero: float                  # identity of add: fills empty reductions, embeddings
    one: float                   # identity of multiply
    accumulate: Union[str, Callable, None] = None
    gradient: Optional[str] = None
    vjp: Optional[Callable] = None
    ops: Optional[sk.SemiringOps] = None   # reduce / combine data of a blocked semiring
    ordered: bool = False
    integer_add: bool = True
    writes_into: bool = False
    int_bound: Optional[Callable] = None

    def zero_for(self, dtype):
        """``zero`` as ``dtype`` holds it (integers: their extreme value for +-inf).

        >>> import numpy as np, contract as ct
        >>> ring = ct.get_semiring("maxplus")
        >>> ring.zero_for(np.float32), ring.zero_for(np.int32)
        (-inf, -2147483648)
        """
        return identity_for(self.zero, dtype)

    def add(self, xp):
        """The semiring's add as a binary function on arrays of one shape.

        >>> get_semiring("log").add(np)(np.zeros(1), np.zeros(1))
        array([0.69314718])
        """
        if callable(self.accumulate):
            return partial(self.accumulate, xp)
        if self.accumulate is not None:
            return getattr(xp, self.accumulate)

        def stacked(a, b):      # reduce a new leading axis with the semiring's own kernel
            n = a.ndim
            kernel = self.compile_single(tuple(range(n + 1)), tuple(range(1, n + 1)))
            return kernel.fn(xp, xp.stack([a, b]))
        return stacked

    def pair_kernel(self, la, lb, keep, sizes, want=None):
        """The kernel of a pairwise step (``want``: the output order a last step may write
        into ``out=`` in, used when the semiring ``writes_into``).

        Labels are integers; ``sizes[label]`` is its length.

        >>> import numpy as np, contract as ct
        >>> kernel = ct.get_semiring("maxplus").pair_kernel((0, 1), (1, 2), (0, 2), (2, 3, 2))
        >>> kernel.out, kernel.fn(np, np.zeros((2, 3)), np.arange(6.).reshape(3, 2))
        ((0, 2), array([[4., 5.],
               [4., 5.]]))
        """
        if want is not None and self.writes_into:
            return self.compile_pair(la, lb, keep, sizes, want)
        return self.compile_pair(la, lb, keep, sizes)

    @property
    def has_argmax(self) -> bool:
        """Whether the add selects one term (max / min), so ``argmax=True`` applies.

        >>> import contract as ct
        >>> ct.get_semiring("maxplus").has_argmax, ct.get_semiring("log").has_argmax
        (True, False)
        """
        return self.ops is not None and self.ops.select is not None


_REGISTRY = {}


def register_semiring(semiring: Semiring) -> Semiring:
    """Add a semiring to the registry; a name can be registered once.

    >>> from contract.engine.kernels.semiring import SemiringOps
    >>> ops = SemiringOps("doc_maxplus", lambda xp, a, axes, out=None, scratch=False:
    ...                   a.max(axis=axes), "add", "maximum", "argmax", "greater")
    >>> register_semiring(make_semiring(ops, zero=-np.inf, one=0.0)).gradient
    'select'
    """
    if not isinstance(semiring, Semiring):
        raise ContractError(f"register_semiring takes a Semiring record (see make_semiring), "
                            f"got {type(semiring).__name__}")
    if semiring.name in _REGISTRY:
        raise ContractError(f"semiring {semiring.name!r} is already registered "
                            f"(registered: {', '.join(sorted(_REGISTRY))})")
    if semiring.gradient is not None and semiring.gradient not in GRADIENTS:
        raise ContractError(f"semiring {semiring.name!r}: gradient must be one of "
                            f"{', '.join(GRADIENTS)} or None, got {semiring.gradient!r}")
    _REGISTRY[semiring.name] = semiring
    return semiring


def get_semiring(name) -> Semiring:
    """The registered semiring called ``name`` (or ``name`` itself if a Semiring).

    >>> import contract as ct
    >>> ct.get_semiring("log").zero, ct.get_semiring("minplus").zero
    (-inf, inf)
    """
    if isinstance(name, Semiring):
        return name
    try:
        return _REGISTRY[name]
    except (KeyError, TypeError):
        raise ContractError(f"unknown semiring {name!r}; registered semirings: "
                            f"{', '.join(sorted(_REGISTRY))}") from None


def is_registered(ring: Semiring) -> bool:
    """Whether ``ring`` is the registered semiring of its name (so the name can travel)."""
    return _REGISTRY.get(ring.name) is ring


def make_semiring(ops: sk.SemiringOps, zero, one, vjp=None, gradient=None,
                  integer_add=True, int_bound=None) -> Semiring:
    """A Semiring whose blocked kernels come from ``ops`` (register it to use it by name).

    ``gradient`` defaults to ``"select"`` for a semiring that can track its argmax.

    >>> from contract.engine.kernels.semiring import MAXPLUS_OPS
    >>> make_semiring(MAXPLUS_OPS, zero=-np.inf, one=0.0).name
    'maxplus'
    """
    if gradient is None and ops.select is not None:
        gradient = "select"
    zero_for = partial(identity_for, zero)
    return Semiring(ops.name, partial(sk.compile_single, ops), partial(sk.compile_pair, ops),
                    partial(sk.compile_nary, ops, zero_for=zero_for), zero=zero, one=one,
                    accumulate=ops.accumulate, gradient=gradient, vjp=vjp, ops=ops,
                    ordered=ops.select is not None, integer_add=integer_add,
                    int_bound=int_bound)


REAL = register_semiring(Semiring("real", kernels.compile_single, kernels.compile_pair,
                                  kernels.compile_nary, zero=0.0, one=1.0, accumulate="add",
                                  gradient="sum", writes_into=True,
                                  int_bound=overflow.real_bound))
LOG = register_semiring(make_semiring(sk.LOG_OPS, -np.inf, 0.0, gradient="softmax",
                                      integer_add=False))
MAXPLUS = register_semiring(make_semiring(sk.MAXPLUS_OPS, -np.inf, 0.0,
                                          int_bound=overflow.plus_bound))
MINPLUS = register_semiring(make_semiring(sk.MINPLUS_OPS, np.inf, 0.0,
                                          int_bound=overflow.plus_bound))
MAXTIMES = register_semiring(make_semiring(sk.MAXTIMES_OPS, 0.0, 1.0,
                                           int_bound=overflow.times_bound))
