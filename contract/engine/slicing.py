"""Sliced contractions: bound every intermediate by a memory limit.

``ct.slice_plan`` keeps one contraction path and picks contracted labels to
cut into segments until every step's output, per slice, fits
``memory_limit`` (elements).  Each slice is the same contraction on views of
the operands; the slices are combined with the semiring's add (``+``,
log-sum-exp, max, min), so the result is exact.  Slicing repeats the work
of every step that lacks a sliced label: :attr:`SlicedPlan.overhead` reports
that FLOP cost.  Slices run one after another on NumPy / CuPy (memory stays
bounded), lazily on Dask operands, or as tasks on a ``dask.distributed``
cluster (``client=``; see :mod:`contract.engine.distributed`).

>>> import numpy as np, contract as ct
>>> a, b = np.ones((4, 64)), np.ones((64, 64))
>>> sp = ct.slice_plan("ij,jk,kl->il", a, b, a.T, memory_limit=16)
>>> sp.sliced, sp.num_slices, sp.largest_intermediate, sp.unsliced_largest_intermediate
(('k',), 16, 16, 256)
>>> float(sp(a, b, a.T)[0, 0])
4096.0
"""
import itertools
from dataclasses import dataclass
from math import ceil, prod
from typing import Tuple

import numpy as np

from contract._util.progress import progress_bar
from contract.backends import backend_for
from contract.engine.bind import bind
from contract.engine.cache import cached_plan
from contract.engine.distributed import run_slices
from contract.engine.operands import to_arrays
from contract.engine.plan import Plan, make_policy
from contract.engine.semirings import get_semiring, is_registered
from contract.errors import ContractError, ShapeError
from contract.grammar import parse
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
        out = []
        for op, axes in zip(operands, self.axes):
            if not axes:
                out.append(op)
                continue
            index = [slice(None)] * op.ndim
            for label, axis in axes:
                index[axis] = slice(*bounds[label])
            out.append(op[tuple(index)])
        return out

    def run(self, backend, operands, bounds):
        """One slice's result (labels in canonical output order)."""
        views = self.views(operands, bounds)
        return self.plan_for([tuple(v.shape) for v in views]).execute(backend, views)


def _canonical(bound):
    """An Equation with one plain axis per bound label (named by the user's names)."""
    names = bound.names
    inputs = tuple(tuple((names[x],) for x in term) for term in bound.terms)
    output = tuple((names[x],) for x in bound.output)
    return Equation(inputs, output, True, True)


def _choose_slices(steps, sizes, contracted, limit):
    """Greedy: halve the segment of the contracted label that costs the fewest FLOPs.

    Returns ``{label: segment length}`` for the sliced labels.
    """
    seg = dict(enumerate(sizes))

    def largest():
        return max((prod(seg[x] for x in s.output) for s in steps), default=0)

    while largest() > limit:
        worst = max(steps, key=lambda s: prod(seg[x] for x in s.output))
        candidates = [x for x in worst.output if x in contracted and seg[x] > 1]
        if not candidates:
            raise ContractError("no contracted label left to slice in step "
                                f"{worst.equation!r}; raise memory_limit")
        best = None
        for x in candidates:
            trial = dict(seg)
            trial[x] = ceil(seg[x] / 2)
            cost = _total_flops(steps, sizes, trial)
            size = prod(trial[y] for y in worst.output)
            if best is None or (cost, size) < best[:2]:
                best = (cost, size, x)
        seg[best[2]] = ceil(seg[best[2]] / 2)
    return {x: s for x, s in seg.items() if s < sizes[x]}


def _total_flops(steps, sizes, seg):
    """FLOPs of all slices together: a step repeats once per slice of labels it lacks."""
    pieces = {x: ceil(sizes[x] / s) for x, s in seg.items() if s < sizes[x]}
    total = 0
    for step in steps:
        held = set().union(*map(set, step.inputs))
        total += step.flops * prod(k for x, k in pieces.items() if x not in held)
    return total


class SlicedPlan:
    """A contraction cut into slices that each fit a memory limit.

    Build with :func:`slice_plan`; call with operands (``client=`` runs the
    slices on a Dask distributed cluster; ``progress=True`` shows a bar).
    """

    def __init__(self, equation, shapes, memory_limit, optimize="auto", semiring="real",
                 dtype=None, sizes=None):
        if not isinstance(memory_limit, int) or isinstance(memory_limit, bool) \
                or memory_limit < 1:
            raise ContractError(f"memory_limit must be a positive int (elements), "
                                f"got {memory_limit!r}")
        eq = parse(equation) if isinstance(equation, str) else equation
        self.equation = eq.text
        self.shapes = tuple(tuple(s) for s in shapes)
        self.memory_limit = memory_limit
        self._ring = get_semiring(semiring)
        self._dtype = dtype
        self._bound = bound = bind(eq, self.shapes, sizes or {})
        canon = _canonical(bound)
        canon_shapes = [tuple(bound.sizes[x] for x in t) for t in bound.terms]
        self.full_plan = cached_plan(canon, canon_shapes, optimize, self._ring)
        cbound = bind(canon, canon_shapes, {})
        out_size = prod(bound.sizes[x] for x in bound.output)
        if out_size > memory_limit:
            raise ContractError(f"the output alone has {out_size} elements, more than "
                                f"memory_limit={memory_limit}; slicing contracted labels cannot "
                                f"make it fit")
        contracted = set(range(len(cbound.sizes))) - set(cbound.output)
        steps = self.full_plan.steps
        segments = _choose_slices(steps, cbound.sizes, contracted, memory_limit)
        names = cbound.names
        self.segments = {names[x]: s for x, s in segments.items()}
        self.sliced = tuple(names[x] for x in sorted(segments))
        self.pieces = {names[x]: ceil(cbound.sizes[x] / s) for x, s in segments.items()}
        self.num_slices = prod(self.pieces.values())
        self._sizes = {names[x]: cbound.sizes[x] for x in range(len(names))}
        self.unsliced_flops = sum(s.flops for s in steps)
        self.flops = _total_flops(steps, cbound.sizes, {x: s for x, s in segments.items()}) + \
            (self.num_slices - 1) * out_size
        self.overhead = self.flops / max(self.unsliced_flops, 1)
        self.unsliced_largest_intermediate = self.full_plan.largest_intermediate
        axes = tuple(tuple((names[x], k) for k, x in enumerate(term) if x in segments)
                     for term in cbound.terms)
        ring = self._ring.name if is_registered(self._ring) else self._ring
        self.job = SliceJob(canon, self.full_plan.path, ring, axes)
        first = {name: (0, seg) for name, seg in self.segments.items()}
        self.plan = self.job.plan_for([tuple(first.get(names[x], (0, cbound.sizes[x]))[1]
                                             for x in term) for term in cbound.terms])
        self.largest_intermediate = self.plan.largest_intermediate

    def slice_bounds(self):
        """Every slice as ``{label: (start, stop)}``, in a fixed order."""
        ranges = [[(s, min(s + self.segments[name], self._sizes[name]))
                   for s in range(0, self._sizes[name], self.segments[name])]
                  for name in self.sliced]
        return [dict(zip(self.sliced, combo)) for combo in itertools.product(*ranges)]

    def __call__(self, *operands, client=None, progress=None):
        """Evaluate every slice and combine them with the semiring's add."""
        if len(operands) != len(self.shapes):
            raise ContractError(f"this sliced plan takes {len(self.shapes)} operands, "
                                f"got {len(operands)}")
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
        if client is not None:
            total = run_slices(self, ops, client, progress)
        else:
            total = self._run_here(backend, ops, progress)
        return backend.cast(self._finish(backend, total, compute), result)

    def _policy(self, backend, arrays):
        """``(compute, result)`` dtypes: the unsliced plan's dtype policy (one for every path);
        integers that could pass int64 are refused (slices add up in the compute dtype)."""
        full = self.full_plan
        pol = make_policy(tuple(np.dtype(a.dtype) for a in arrays), full._reduces,
                          self._dtype, self._ring, full.terms)
        if pol.guard is not None and pol.guard.exceeded(backend, arrays):
            raise ContractError(f"the integer operands of {self.equation!r} could pass "
                                f"{pol.result} when summed over {full.terms} terms; ct.einsum "
                                f"computes such results exactly, or pass dtype='float64' "
                                f"(rounded) or dtype='{pol.result}' (wrap-around)")
        return pol.compute, pol.result

    def _run_here(self, backend, ops, progress):
        add = self._ring.add(backend.xp)
        total = None
        with progress_bar(self.num_slices, progress, "slices") as advance:
            for bounds in self.slice_bounds():
                part = self.job.run(backend, ops, bounds)
                total = part if total is None else add(total, part)
                advance(1)
        return total

    def _finish(self, backend, out, compute):
        """Diagonal embedding and group merges of the output, as the unsliced plan does."""
        bound = self._bound
        if bound.embeds_diagonal:
            full_shape = tuple(bound.sizes[x] for x in bound.output_full)
            positions = tuple(tuple(k for k, y in enumerate(bound.output_full) if y == x)
                              for x in bound.output)
            out = backend.embed_diagonal(out, full_shape, positions, compute)
        if tuple(out.shape) != bound.final_shape:
            out = out.reshape(bound.final_shape)
        return out

    def __repr__(self):
        return (f"<SlicedPlan {self.equation!r} sliced={list(self.sliced)} "
                f"slices={self.num_slices} overhead={self.overhead:.2f}x>")

    def __str__(self):
        cuts = ", ".join(f"{n} ({self._sizes[n]} -> {self.pieces[n]} x {self.segments[n]})"
                         for n in self.sliced) or "none"
        return "\n".join([
            f"SlicedPlan  {self.equation}   semiring {self._ring.name}",
            f"  memory limit {self.memory_limit} elements; unsliced largest intermediate "
            f"{self.unsliced_largest_intermediate}",
            f"  sliced labels: {cuts}",
            f"  {self.num_slices} slices, largest intermediate per slice "
            f"{self.largest_intermediate} elements",
            f"  flops {self.flops} vs {self.unsliced_flops} unsliced "
            f"(overhead {self.overhead:.3f}x)",
            "  per-slice plan:",
            "    " + str(self.plan).replace("\n", "\n    ")])


def slice_plan(equation, *operands_or_shapes, memory_limit, optimize="auto", semiring="real",
               dtype=None, **sizes) -> SlicedPlan:
    """Plan a contraction whose every intermediate, per slice, fits ``memory_limit`` elements.

    A tuple of ints is a shape; anything else an operand (its shape is used).

    >>> import contract as ct
    >>> sp = ct.slice_plan("ab,bc,cd->ad", (4, 100), (100, 100), (100, 4), memory_limit=200)
    >>> sp.largest_intermediate <= 200, sp.overhead >= 1.0
    (True, True)
    """
    shapes = []
    for i, item in enumerate(operands_or_shapes):
        if isinstance(item, tuple) and all(isinstance(d, (int, np.integer)) for d in item):
            shapes.append(tuple(int(d) for d in item))
        elif hasattr(item, "shape"):
            shapes.append(tuple(item.shape))
        else:
            shapes.append(np.shape(item))
    return SlicedPlan(equation, shapes, memory_limit, optimize, semiring, dtype, sizes)


def sliced(equation, *operands, memory_limit, client=None, progress=None, optimize="auto",
           semiring="real", dtype=None, **sizes):
    """Contract in slices that each fit ``memory_limit`` elements, then combine them.

    ``client``: a ``dask.distributed.Client`` to run slices as tasks;
    ``progress``: show a progress bar (``None``: only on a terminal), or a
    callable ``progress(done, total)``.

    >>> import numpy as np, contract as ct
    >>> x = np.arange(12.).reshape(3, 4)
    >>> ct.sliced("ij,jk->ik", x, x.T, memory_limit=9).tolist() == (x @ x.T).tolist()
    True
    """
    sp = slice_plan(equation, *operands, memory_limit=memory_limit, optimize=optimize,
                    semiring=semiring, dtype=dtype, **sizes)
    return sp(*operands, client=client, progress=progress)


__all__ = ["SlicedPlan", "SliceJob", "slice_plan", "sliced"]
