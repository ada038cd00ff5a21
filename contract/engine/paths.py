"""Contraction paths from opt_einsum's public API (``contract_path(shapes=True)``).

>>> find_path([(0, 1), (1, 2), (2, 3)], (0, 3), (2, 3, 4, 5), "auto", None).path
((0, 1), (0, 1))
"""
import numbers
import random
import threading
import zlib
from dataclasses import dataclass
from math import prod
from typing import Tuple

import opt_einsum
from opt_einsum.paths import PathOptimizer, get_path_fn

from contract.errors import ContractError

OPTIMIZERS = ("auto", "auto-hq", "optimal", "dp", "greedy", "random-greedy",
              "random-greedy-128", "branch-all", "branch-2", "branch-1", "eager",
              "opportunistic", "dynamic-programming")


@dataclass(frozen=True)
class PathResult:
    """A path in opt_einsum's linear format with its cost (opt_einsum's convention)."""

    path: Tuple[Tuple[int, ...], ...]
    flops: int
    largest_intermediate: int


def check_optimize(optimize):
    """Normalise ``optimize`` (name, PathOptimizer, explicit path, False) or raise."""
    if optimize is False or isinstance(optimize, PathOptimizer) or callable(optimize):
        return optimize
    if optimize is True or optimize is None:
        return "auto"
    if isinstance(optimize, str):
        try:
            get_path_fn(optimize)
        except KeyError:
            raise ContractError(f"unknown optimizer {optimize!r}; choose one of "
                                f"{', '.join(OPTIMIZERS)}, a PathOptimizer, an explicit path "
                                f"or False") from None
        return optimize
    if isinstance(optimize, (list, tuple)) and optimize[:1] in (["einsum_path"], ("einsum_path",)):
        optimize = optimize[1:]         # numpy.einsum_path's path: its header, then the steps
    try:
        return tuple(tuple(int(i) for i in step) for step in optimize)
    except (TypeError, ValueError):
        raise ContractError(f"optimize={optimize!r} is neither an optimizer name, a "
                            f"PathOptimizer, an explicit path (list of tuples) nor False") from None


def _check_explicit(path, n):
    remaining = n
    for k, step in enumerate(path):
        if len(step) < 1 or len(set(step)) != len(step) or min(step) < 0 or max(step) >= remaining:
            raise ContractError(f"explicit path step {k} {step} is invalid: it must name distinct "
                                f"positions among the {remaining} operands left at that point")
        remaining -= len(step) - 1
    if remaining != 1:
        raise ContractError(f"explicit path {list(path)} leaves {remaining} operands; a path "
                            f"must contract all {n} operands into one")


MEMORY_LIMITS = ("max_input",)


def resolve_memory_limit(memory_limit, shapes):
    """``memory_limit`` in elements: None, a positive int, or ``"max_input"`` (the size of
    the largest operand, as numpy and opt_einsum read it); other values are checked by
    :func:`check_request`.

    >>> resolve_memory_limit("max_input", [(2, 3), (3, 4)]), resolve_memory_limit(5, [(2,)])
    (12, 5)
    """
    if not isinstance(memory_limit, str):
        return memory_limit
    if memory_limit not in MEMORY_LIMITS:
        raise ContractError(f"memory_limit must be a positive int (elements), None or "
                            f"'max_input', got {memory_limit!r}")
    return max([prod(shape) for shape in shapes] + [1])


def check_request(optimize, n, memory_limit):
    """Raise ContractError for an explicit path that does not fit ``n`` operands or a bad
    ``memory_limit`` (also where no search runs: one operand, zero-size labels)."""
    if isinstance(optimize, tuple):
        _check_explicit(optimize, n)
    if memory_limit is not None and (not isinstance(memory_limit, numbers.Integral)
                                     or isinstance(memory_limit, bool) or memory_limit < 1):
        raise ContractError(f"memory_limit must be a positive int (elements), None or "
                            f"'max_input', got {memory_limit!r}")


# Refining the default path: seeded random-greedy trials, as many as the path's cost
# justifies (about the time the unrefined path would take to run), never more than this.
REFINE_ABOVE_TENSORS = 8          # opt_einsum's 'auto' is exhaustive or branch-and-bound below
REFINE_MAX_TRIALS = 64
_FLOPS_PER_SECOND = 2e9           # a rough CPU rate: the budget's scale, not a measurement
_TRIAL_SECONDS_PER_TENSOR = 1e-4  # roughly what one greedy trial costs per tensor


def refine_trials(n_tensors: int, flops: int) -> int:
    """How many random-greedy trials the default optimizer spends (0: keep 'auto').

    Deterministic (from the network size and the 'auto' path's cost only), and the
    trials are :class:`Seeded`, so a plan is the same in every process.

    >>> refine_trials(5, 10 ** 12), refine_trials(30, 10 ** 5), refine_trials(30, 10 ** 12)
    (0, 0, 64)
    """
    if n_tensors <= REFINE_ABOVE_TENSORS:
        return 0
    budget = min(flops, 10 ** 30) / _FLOPS_PER_SECOND     # a huge cost: no float overflow
    trials = int(budget / (n_tensors * _TRIAL_SECONDS_PER_TENSOR))
    return min(trials, REFINE_MAX_TRIALS) if trials >= 2 else 0


class Seeded(PathOptimizer):
    """An opt_einsum optimizer run so that its path is the same in every process.

    opt_einsum's greedy search visits sets of labels, whose order follows the hashes of
    their strings and so ``PYTHONHASHSEED``: its random-greedy trials drew their noise in
    that order (a 30-tensor network planned to 1.8M-3.2M FLOPs from one process to the
    next).  Here the labels become small integers (whose hashes are fixed), inserted in
    sorted order, and Python's ``random`` is seeded from the equation and sizes for the
    search, then handed back to the caller in the state it had.

    >>> import opt_einsum
    >>> found = Seeded(opt_einsum.RandomGreedy(max_repeats=4))(
    ...     [set("ab"), set("bc"), set("cd")], set("ad"), dict(a=2, b=3, c=4, d=5))
    >>> [tuple(sorted(s)) for s in found]
    [(0, 1), (0, 1)]
    """

    _lock = threading.Lock()          # the search owns the global ``random`` state

    def __init__(self, inner):
        self.inner = inner

    def __call__(self, inputs, output, size_dict, memory_limit=None):
        number = {label: k for k, label in enumerate(sorted(size_dict))}
        ints = [frozenset(sorted(number[x] for x in term)) for term in inputs]
        out = frozenset(sorted(number[x] for x in output))
        sizes = {number[x]: size_dict[x] for x in sorted(size_dict)}
        seed = zlib.crc32(repr(([sorted(t) for t in ints], sorted(out),
                                sorted(sizes.items()))).encode())
        with self._lock:
            state = random.getstate()
            random.seed(seed)
            try:
                return self.inner(ints, out, sizes, memory_limit)
            finally:
                random.setstate(state)


def seeded(optimize):
    """``optimize`` wrapped in :class:`Seeded` when it searches (a name or a PathOptimizer)."""
    if isinstance(optimize, str):
        return Seeded(get_path_fn(optimize))
    if isinstance(optimize, PathOptimizer) and not isinstance(optimize, Seeded):
        return Seeded(optimize)
    return optimize


def _search(text, shapes, optimize, memory_limit, optional=False):
    """opt_einsum's path, or None where the optimizer found none within ``memory_limit``
    (``"dp"`` raises RuntimeError then) or, for an ``optional`` search (the refinement),
    where it failed on costs too large for a float (random-greedy's jitter)."""
    try:
        path, info = opt_einsum.contract_path(text, *shapes, shapes=True,
                                              optimize=seeded(optimize),
                                              memory_limit=memory_limit)
    except RuntimeError as err:
        if memory_limit is None and not optional:
            raise ContractError(f"path search failed for {text!r}: {err}") from None
        return None
    except (ValueError, KeyError, IndexError, TypeError, OverflowError) as err:
        if optional and isinstance(err, OverflowError):
            return None
        raise ContractError(f"path search failed for {text!r}: {err}") from None
    return PathResult(tuple(tuple(s) for s in path), int(info.opt_cost),
                      int(info.largest_intermediate))


def largest_intermediate(terms, out, sizes, path) -> int:
    """Elements of the largest array ``path`` makes before its last step (the result
    itself is not an intermediate: ``memory_limit`` bounds the others, as opt_einsum's
    optimizers read it).

    >>> largest_intermediate([(0,), (1,), (0,)], (0, 1), (2, 2), ((0, 1), (0, 1)))
    4
    >>> largest_intermediate([(0,), (1,), (0,)], (0, 1), (2, 2), ((0, 2), (0, 1)))
    2
    """
    work, largest = [tuple(t) for t in terms], 0
    for k, step in enumerate(path):
        rest = [t for i, t in enumerate(work) if i not in step]
        keep = set(out).union(*map(set, rest))
        made = tuple(dict.fromkeys(x for i in sorted(step) for x in work[i] if x in keep))
        if k < len(path) - 1:
            largest = max(largest, prod(sizes[x] for x in made))
        work = rest + [made]
    return largest


def _within_limit(found, terms, out, sizes, search, explicit, memory_limit):
    """``found`` if its intermediates fit ``memory_limit``; else a path re-planned by
    opt_einsum's greedy search under the limit (which ends, where pairs do not fit, in one
    step over the rest); a ContractError names the limit where neither fits."""
    size = None if found is None else largest_intermediate(terms, out, sizes, found.path)
    if memory_limit is None or (size is not None and size <= memory_limit):
        return found
    if explicit:
        raise ContractError(f"the explicit path makes an intermediate of {size} elements, "
                            f"more than memory_limit={memory_limit}; pass a path within the "
                            f"limit or an optimizer name")
    replanned = search("greedy")
    best = None if replanned is None else largest_intermediate(terms, out, sizes,
                                                               replanned.path)
    if best is not None and best <= memory_limit:
        return replanned
    raise ContractError(f"no contraction path keeps its intermediates within "
                        f"memory_limit={memory_limit} elements; the smallest largest "
                        f"intermediate found is {best if best is not None else size} elements")


def find_path(terms, out, sizes, optimize, memory_limit) -> PathResult:
    """The contraction path for integer-labelled ``terms`` -> ``out``.

    ``"auto"`` (the default) is opt_einsum's ``auto``, refined for networks of
    more than 8 tensors by seeded random-greedy trials (:func:`refine_trials`);
    the cheaper path wins, so it is never worse than opt_einsum's ``auto``.
    """
    symbol = opt_einsum.get_symbol
    text = ",".join("".join(symbol(x) for x in t) for t in terms) + "->" + "".join(
        symbol(x) for x in out)
    shapes = [tuple(sizes[x] for x in t) for t in terms]
    check_request(optimize, len(terms), memory_limit)
    explicit = isinstance(optimize, tuple)
    if explicit:
        optimize = [tuple(s) for s in optimize]
    found = _search(text, shapes, optimize, memory_limit)
    trials = refine_trials(len(terms), found.flops) if optimize == "auto" and found else 0
    if trials:     # random-greedy ignores memory_limit: its path must fit to be taken
        refined = _search(text, shapes, opt_einsum.RandomGreedy(max_repeats=trials),
                          memory_limit, optional=True)
        if refined is not None and refined.flops < found.flops and (
                memory_limit is None or
                largest_intermediate(terms, out, sizes, refined.path) <= memory_limit):
            found = refined
    return _within_limit(found, terms, out, sizes,
                         lambda name: _search(text, shapes, name, memory_limit), explicit,
                         memory_limit)
