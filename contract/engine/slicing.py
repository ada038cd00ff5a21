"""Sliced contractions: bound every array by a memory limit.

``ct.slice_plan`` picks contracted labels to cut into segments, and a path for
the sliced network, so that every step's output, per slice, fits
``memory_limit`` (elements).  Labels and path are chosen by the total cost over
all slices (:mod:`contract.engine.slice_search`): slicing repeats the work of
every step that lacks a sliced label, and :attr:`SlicedPlan.overhead` reports
that cost (sliced FLOPs / unsliced FLOPs).  Each slice is the same contraction
on views of the operands; the slices are combined with the semiring's add
(``+``, log-sum-exp, max, min), so the result is exact.  Slices run one after
another on NumPy / CuPy (memory stays bounded), lazily on Dask operands, or as
tasks on a ``dask.distributed`` cluster (``client=``; see
:mod:`contract.engine.distributed`).  A layer above may register a runner for its
operand type (the Tensor does: sliced results are differentiable, with a sliced
backward).

>>> import numpy as np, contract as ct
>>> x = np.ones((8, 8, 8))                       # a loop of four: intermediates of 8**4
>>> sp = ct.slice_plan("abc,cde,efa,bdf->", x, x, x, x, memory_limit=512)
>>> sp.sliced, sp.num_slices, sp.largest_intermediate, sp.unsliced_largest_intermediate
(('b',), 8, 512, 4096)
>>> float(sp(x, x, x, x))
262144.0
"""
import itertools
from dataclasses import dataclass
from functools import lru_cache, partial
from math import ceil, prod
from typing import Tuple

import numpy as np

from contract._util.progress import progress_bar
from contract.backends import backend_for
from contract.engine.argmax import finish
from contract.engine.bind import bind
from contract.engine.cache import CACHE_SIZE, DERIVED, cached_plan, options, plan_key
from contract.engine.distributed import run_slices
from contract.engine.operands import as_equation, special_type, to_arrays
from contract.engine.paths import check_request, resolve_memory_limit
from contract.engine.plan import Plan, make_policy
from contract.engine.semirings import get_semiring, is_registered
from contract.engine.slice_search import (Slicing, cotengra_optimizer, gradient_slicing,
                                          search_slicing)
from contract.errors import ContractError, ShapeError
from contract.grammar.equation import Equation


@dataclass(frozen=True)
class SliceJob:
    """What one slice needs (picklable: it travels to Dask workers).

    ``axes[i]`` maps each sliced label to its axis in canonical operand ``i``.
    """

    equation: Equation          # canonical: one plain axis per label, no diagonals
    path: Tuple[Tuple[int, ...], ...]
    semiring: object            # a registered name (stable across processes) or a Semiring
    axes: Tuple[Tuple[Tuple[str, int], ...], ...]

    def plan_for(self, shapes) -> Plan:
        """The (cached) plan for one slice's operand shapes."""
        return cached_plan(self.equation, shapes, self.path, self.semiring)

    def views(self, operands, bounds):
        """The operands cut to one slice: ``bounds`` maps label -> (start, stop)."""
        return [op[index] if index is not None else op
                for op, index in zip(operands, self.indices(operands, bounds))]

    def indices(self, operands, bounds):
        """Per operand, the index tuple of its part of the slice (None: all of it)."""
        out = []
        for op, axes in zip(operands, self.axes):
            if not axes:
                out.append(None)
                continue
            index = [slice(None)] * op.ndim
            for label, axis in axes:
                index[axis] = slice(*bounds[label])
            out.append(tuple(index))
        return out

    def run(self, backend, operands, bounds):
        """One slice's result (labels in canonical output order)."""
        views = self.views(operands, bounds)
        return self.plan_for([tuple(v.shape) for v in views]).execute(backend, views)


@dataclass(frozen=True)
class Slices:
    """A slicing made runnable: the job and every slice's bounds, in a fixed order."""

    job: SliceJob
    bounds: Tuple[dict, ...]
    method: str
    flops: int
    largest: int

    def __len__(self):
        return len(self.bounds)


def _canonical(bound):
    """An Equation with one plain axis per bound label (named by the user's names)."""
    names = bound.names
    inputs = tuple(tuple((names[x],) for x in term) for term in bound.terms)
    output = tuple((names[x],) for x in bound.output)
    return Equation(inputs, output, True, True)


def resolve_limit(memory_limit, shapes):
    """``memory_limit`` as elements: an int as it is, ``"max_input"`` (opt_einsum's
    spelling) as the largest operand's size, None as None.

    >>> resolve_limit("max_input", [(2, 3), (4,)]), resolve_limit(7, [])
    (6, 7)
    """
    limit = resolve_memory_limit(memory_limit, shapes)
    check_request(None, 0, limit)
    return limit


def smallest_bound(shapes, bound):
    """The smallest largest-array any slicing can reach: the largest operand, or the
    output, whichever is bigger (with every contracted label cut to one value each step
    holds only output labels).  Returns ``(elements, what)``."""
    sizes = [(prod(s), f"operand {i} ({prod(s)} elements, shape {tuple(s)})")
             for i, s in enumerate(shapes)]
    out = prod(bound.sizes[x] for x in bound.output_full)
    sizes.append((out, f"the output ({out} elements)"))
    return max(sizes, key=lambda item: item[0])


def _check_limit(limit, shapes, bound):
    need, what = smallest_bound(shapes, bound)
    if limit < need:
        raise ContractError(f"memory_limit={limit} elements cannot be met: the smallest "
                            f"bound any slicing reaches is {need} elements, set by {what}")


def _bounds(cuts, sizes):
    """Every slice as ``{label: (start, stop)}`` for ``cuts`` (``{name: segment}``)."""
    names = sorted(cuts)
    ranges = [[(s, min(s + cuts[n], sizes[n])) for s in range(0, sizes[n], cuts[n])]
              for n in names]
    return tuple(dict(zip(names, combo)) for combo in itertools.product(*ranges))


class SlicedPlan:
    """A contraction cut into slices that each fit a memory limit.

    Build with :func:`slice_plan`; call with operands (``client=`` runs the
    slices on a Dask distributed cluster; ``progress=True`` shows a bar).

    >>> import numpy as np, contract as ct
    >>> ops = [np.ones((8, 8, 8))] * 4
    >>> sp = ct.slice_plan("abc,cde,efa,bdf->", *ops, memory_limit=8 ** 3)
    >>> sp.num_slices, sp.largest_intermediate <= 8 ** 3, float(sp(*ops))
    (8, True, 262144.0)
    """

    def __init__(self, equation, shapes, memory_limit, optimize="auto", semiring="real",
                 dtype=None, sizes=None, auto=False):
        eq = as_equation(equation)
        self.equation = eq.text
        self.shapes = tuple(tuple(s) for s in shapes)
        self.memory_limit = limit = resolve_limit(memory_limit, self.shapes)
        if limit is None:
            raise ContractError("slice_plan needs a memory_limit (elements or 'max_input')")
        self.auto = auto
        self._ring = get_semiring(semiring)
        self._dtype = dtype
        self._bound = bound = bind(eq, self.shapes, sizes or {})
        _check_limit(limit, self.shapes, bound)
        canon = _canonical(bound)
        canon_shapes = [tuple(bound.sizes[x] for x in t) for t in bound.terms]
        cbound = bind(canon, canon_shapes, {})
        if optimize == "cotengra":
            optimize = cotengra_optimizer(limit)
        found = _search(cbound, optimize, limit)
        names = cbound.names
        self._sizes = {names[x]: n for x, n in enumerate(cbound.sizes)}
        ring = self._ring.name if is_registered(self._ring) else self._ring
        self._canon, self._cbound = canon, cbound
        self.slices = self._runnable(found.chosen, ring)
        self.fixed = self.slices if found.fixed == found.chosen else \
            self._runnable(found.fixed, ring)
        self.job = self.slices.job
        refine = partial(gradient_slicing, cbound.terms, cbound.output, cbound.sizes, limit=limit)
        self.grad_slices = self._runnable(refine(found.chosen), ring)
        self.grad_fixed = self._runnable(refine(found.fixed), ring)
        cuts = found.chosen.cuts
        self.segments = {names[x]: s for x, s in sorted(cuts.items())}
        self.sliced = tuple(self.segments)
        self.pieces = {n: ceil(self._sizes[n] / s) for n, s in self.segments.items()}
        self.num_slices = len(self.slices)
        out_size = prod(cbound.sizes[x] for x in cbound.output)
        self.unsliced_flops = found.unsliced_flops
        self.unsliced_largest_intermediate = found.unsliced_largest
        self.flops = found.chosen.flops + (self.num_slices - 1) * out_size
        self.fixed_path_flops = found.fixed.flops + (len(self.fixed) - 1) * out_size
        self.overhead = self.flops / max(self.unsliced_flops, 1)
        self.method = found.chosen.method
        first = self.slices.bounds[0]
        self.plan = self.job.plan_for([tuple(first[n][1] - first[n][0] if n in first
                                             else self._sizes[n] for n in (names[x] for x in t))
                                       for t in cbound.terms])
        self.largest_intermediate = self.plan.largest_intermediate
        self.path, self.steps = self.plan.path, self.plan.steps
        self.output_shape = bound.final_shape

    def _runnable(self, slicing: Slicing, ring):
        names, cbound = self._cbound.names, self._cbound
        cuts = {names[x]: s for x, s in slicing.cuts.items()}
        axes = tuple(tuple((names[x], k) for k, x in enumerate(term) if names[x] in cuts)
                     for term in cbound.terms)
        job = SliceJob(self._canon, slicing.path, ring, axes)
        return Slices(job, _bounds(cuts, self._sizes), slicing.method, slicing.flops,
                      slicing.largest)

    def slice_bounds(self):
        """Every slice as ``{label: (start, stop)}``, in a fixed order.

        >>> import contract as ct
        >>> sp = ct.slice_plan("abc,cde,efa,bdf->", *[(4, 4, 4)] * 4, memory_limit=64)
        >>> sp.num_slices, sp.slice_bounds()[:2]
        (4, [{'b': (0, 1)}, {'b': (1, 2)}])
        """
        return list(self.slices.bounds)

    # -- running ------------------------------------------------------------------
    def __call__(self, *operands, client=None, progress=None):
        """Evaluate every slice and combine them with the semiring's add.

        Operands of a type a layer above registered (``ct.Tensor``) go to its runner:
        the result is then a Tensor whose backward runs sliced too.
        """
        if len(operands) != len(self.shapes):
            raise ContractError(f"this sliced plan takes {len(self.shapes)} operands, "
                                f"got {len(operands)}")
        entry = special_type(operands)
        if entry is not None and entry.sliced is not None:
            return entry.sliced(self, operands, client, progress)
        backend, ops, compute, result = self.prepare(operands)
        total = self.run_prepared(backend, ops, client, progress)
        return self.finish(backend, total, compute, result)

    def prepare(self, operands):
        """``(backend, canonical operands, compute dtype, result dtype)``: shapes checked,
        views taken (groups, squeezes, diagonals), cast to the accumulation dtype.  With
        :meth:`run_prepared` and :meth:`finish` it is ``sp(*operands)`` in three steps (the
        Tensor stage runs them around its sliced backward).

        >>> import numpy as np, contract as ct
        >>> sp = ct.slice_plan("ii,ij->j", (3, 3), (3, 2), memory_limit=9)
        >>> backend, ops, compute, result = sp.prepare([np.eye(3), np.ones((3, 2))])
        >>> [o.shape for o in ops], compute
        ([(3,), (3, 2)], dtype('float64'))
        >>> sp.finish(backend, sp.run_prepared(backend, ops), compute, result)
        array([3., 3.])
        """
        arrays = to_arrays(operands)
        for i, (a, shape) in enumerate(zip(arrays, self.shapes)):
            if tuple(a.shape) != shape:
                raise ShapeError(f"operand {i} has shape {tuple(a.shape)} but this sliced plan "
                                 f"was built for {shape}")
        backend = backend_for(arrays)
        arrays = [backend.asarray(a) for a in arrays]
        compute, result = self._policy(backend, arrays)
        ops = [backend.cast(backend.prepare(a, p), compute) if not p.is_identity
               else backend.cast(a, compute) for a, p in zip(arrays, self._bound.preps)]
        return backend, ops, compute, result

    def _policy(self, backend, arrays):
        """``(compute, result)`` dtypes: the unsliced plan's dtype policy (one for every path);
        integers that could pass int64 are refused (slices add up in the compute dtype)."""
        terms, output = self._cbound.terms, self._cbound.output
        labels = set(x for t in terms for x in t)
        reduces = len(terms) > 1 or labels != set(output)
        summed = prod(self._cbound.sizes[x] for x in labels - set(output))
        pol = make_policy(tuple(np.dtype(a.dtype) for a in arrays), reduces, self._dtype,
                          self._ring, summed)
        if pol.guard is not None and pol.guard.exceeded(backend, arrays):
            raise ContractError(f"the integer operands of {self.equation!r} could pass "
                                f"{pol.result} when summed over {summed} terms; ct.einsum "
                                f"computes such results exactly, or pass dtype='float64' "
                                f"(rounded) or dtype='{pol.result}' (wrap-around)")
        return pol.compute, pol.result

    def run_prepared(self, backend, ops, client=None, progress=None):
        """The combined result of every slice, in canonical output order.

        >>> import numpy as np, contract as ct
        >>> sp = ct.slice_plan("ij,jk->", (3, 4), (4, 5), memory_limit=20)
        >>> backend, ops, _, _ = sp.prepare([np.ones((3, 4)), np.ones((4, 5))])
        >>> float(sp.run_prepared(backend, ops))
        60.0
        """
        if client is not None:
            return run_slices(self, ops, client, progress)
        add = self._ring.add(backend.xp)
        total = None
        with progress_bar(self.num_slices, progress, "slices") as advance:
            for bounds in self.slices.bounds:
                part = self.job.run(backend, ops, bounds)
                total = part if total is None else add(total, part)
                advance(1)
        return total

    def finish(self, backend, out, compute, result=None):
        """Diagonal embedding (off the diagonal: the semiring's zero) and group merges of
        the output, as the unsliced plan does; cast to ``result`` when given.

        >>> import numpy as np, contract as ct
        >>> sp = ct.slice_plan("i->ii", (2,), memory_limit=4)
        >>> backend, ops, compute, _ = sp.prepare([np.array([1., 2.])])
        >>> sp.finish(backend, sp.run_prepared(backend, ops), compute)
        array([[1., 0.],
               [0., 2.]])
        """
        out = finish(backend, out, self._bound, self._ring.zero_for(compute), compute)
        return out if result is None else backend.cast(out, result)

    # -- reading ------------------------------------------------------------------
    def __repr__(self):
        return (f"<SlicedPlan {self.equation!r} sliced={list(self.sliced)} "
                f"slices={self.num_slices} overhead={self.overhead:.2f}x>")

    def __str__(self):
        cuts = ", ".join(f"{n} ({self._sizes[n]} -> {self.pieces[n]} x {self.segments[n]})"
                         for n in self.sliced) or "none"
        lines = [f"SlicedPlan  {self.equation}   semiring {self._ring.name}"]
        if self.auto:
            lines.append(f"  sliced automatically: no path keeps every array within "
                         f"memory_limit={self.memory_limit} elements")
        gain = self.fixed_path_flops / max(self.flops, 1)
        lines += [
            f"  memory limit {self.memory_limit} elements; unsliced largest intermediate "
            f"{self.unsliced_largest_intermediate}",
            f"  sliced labels: {cuts}   (chosen by: {self.method})",
            f"  {self.num_slices} slices, largest intermediate per slice "
            f"{self.largest_intermediate} elements",
            f"  flops {self.flops} vs {self.unsliced_flops} unsliced "
            f"(overhead {self.overhead:.3f}x); slicing the unsliced path: "
            f"{self.fixed_path_flops} ({gain:.2f}x this)",
            "  per-slice plan:",
            "    " + str(self.plan).replace("\n", "\n    ")]
        return "\n".join(lines)


def _search(cbound, optimize, limit):
    """The slicing search over the canonical network (zero-size labels: nothing to cut)."""
    terms, output, sizes = cbound.terms, cbound.output, cbound.sizes
    n = len(terms)
    if 0 in sizes or n == 1:
        path = ((0,),) if n == 1 else tuple((0, 1) for _ in range(n - 1))
        if isinstance(optimize, (list, tuple)) and n > 1:
            path = tuple(tuple(step) for step in optimize)
        return _Unsliced(path, Slicing(path, (), 0, prod(sizes[x] for x in output), "unsliced"))
    return search_slicing(terms, output, sizes, optimize, limit)


@dataclass(frozen=True)
class _Unsliced:
    unsliced_path: tuple
    chosen: Slicing

    @property
    def fixed(self):
        return self.chosen

    @property
    def unsliced_flops(self):
        return 0

    @property
    def unsliced_largest(self):
        return self.chosen.largest


def fitting_plan(equation, shapes, optimize="auto", semiring="real", dtype=None,
                 memory_limit=None, sizes=None):
    """The plan for these options, or, when no path keeps every array within
    ``memory_limit``, a :class:`SlicedPlan` that does (its ``auto`` is True).  The decision
    is cached under the plan cache's key (cleared with it): a repeated call does one lookup.

    A path that only fits by contracting the rest in one many-operand step (opt_einsum's
    answer to a limit it cannot meet pairwise) does not count as fitting: its cost is
    the product of all sizes.

    >>> p = fitting_plan("abc,cde,efa,bdf->", [(8, 8, 8)] * 4, memory_limit=512)
    >>> type(p).__name__, p.auto, p.largest_intermediate <= 512
    ('SlicedPlan', True, True)
    """
    if memory_limit is None:
        return cached_plan(equation, shapes, optimize, semiring, dtype, None, sizes)
    try:
        key = plan_key(equation, shapes, optimize, semiring, dtype, memory_limit, sizes)
        hash(key)
    except TypeError:            # an unhashable option (an optimizer object): plan afresh
        return _fitting(equation, shapes, optimize, semiring, dtype, memory_limit, sizes)
    return _fitting_cached(key)


@lru_cache(maxsize=CACHE_SIZE)
def _fitting_cached(key):
    return _fitting(*options(key))


DERIVED.append(_fitting_cached)


def _fitting(equation, shapes, optimize, semiring, dtype, memory_limit, sizes):
    limit = resolve_limit(memory_limit, shapes)
    free = cached_plan(equation, shapes, optimize, semiring, dtype, None, sizes)
    _check_limit(limit, shapes, free._bound)
    if free.largest_intermediate <= limit:
        return free
    try:
        found = cached_plan(equation, shapes, optimize, semiring, dtype, limit, sizes)
    except ContractError:        # a planner that refuses a path breaking the limit
        found = None
    if found is not None and found.largest_intermediate <= limit and (
            optimize is False or all(len(s.operands) <= 2 for s in found.steps)):
        return found
    return SlicedPlan(equation, shapes, limit, optimize, semiring, dtype, sizes, auto=True)


def slice_plan(equation, *operands_or_shapes, memory_limit, optimize="auto", semiring="real",
               dtype=None, **sizes) -> SlicedPlan:
    """Plan a contraction whose every intermediate, per slice, fits ``memory_limit`` elements.

    A tuple of ints is a shape; anything else an operand (its shape is used).
    ``memory_limit``: elements, or ``"max_input"`` (the largest operand's size).
    ``optimize``: as for ``ct.einsum``; also ``"cotengra"`` (cotengra's hyper-optimizer
    slicing to the limit, when cotengra is installed) or a cotengra ``HyperOptimizer``
    (its ``slicing_opts`` are honoured).

    >>> import contract as ct
    >>> sp = ct.slice_plan("abc,cde,efa,bdf->", *[(10, 10, 10)] * 4, memory_limit=1000)
    >>> sp.largest_intermediate <= 1000, sp.overhead >= 1.0, sp.num_slices
    (True, True, 10)
    """
    shapes = []
    for i, item in enumerate(operands_or_shapes):
        if isinstance(item, tuple) and all(isinstance(d, (int, np.integer)) for d in item):
            shapes.append(tuple(int(d) for d in item))
        elif hasattr(item, "shape"):
            shapes.append(tuple(int(d) for d in item.shape))
        else:
            shapes.append(np.shape(item))
    return SlicedPlan(equation, shapes, memory_limit, optimize, semiring, dtype, sizes)


def sliced(equation, *operands, memory_limit, client=None, progress=None, optimize="auto",
           semiring="real", dtype=None, **sizes):
    """Contract in slices that each fit ``memory_limit`` elements, then combine them.

    ``client``: a ``dask.distributed.Client`` to run slices as tasks;
    ``progress``: show a progress bar (``None``: only on a terminal), or a
    callable ``progress(done, total)``.  ``ct.Tensor`` operands give a Tensor whose
    backward runs sliced too (README: "Memory-bounded contractions with gradients").

    >>> import numpy as np, contract as ct
    >>> x = np.arange(8.).reshape(2, 2, 2)
    >>> float(ct.sliced("abc,cde,efa,bdf->", x, x, x, x, memory_limit=8))
    14924.0
    """
    sp = slice_plan(equation, *operands, memory_limit=memory_limit, optimize=optimize,
                    semiring=semiring, dtype=dtype, **sizes)
    return sp(*operands, client=client, progress=progress)


__all__ = ["SlicedPlan", "SliceJob", "Slices", "fitting_plan", "resolve_limit", "slice_plan",
           "sliced"]
