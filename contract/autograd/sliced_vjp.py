"""Gradients of sliced contractions: the backward runs slice by slice too.

A sliced contraction is ``out = add_s out_s`` (the semiring's add over the slices),
so for an operand ``x``: ``d out/dx = sum_s (d out/d out_s) (d out_s/dx)``, where
``d out_s/dx`` touches only slice ``s``'s part of ``x``.  Per slice, the slice's
VJP adds into the operands' gradients; every array it makes is a step of the
slice's plan or a gradient of one, so none is larger than ``memory_limit``.
The factor ``d out/d out_s`` follows the Semiring record's ``gradient`` field:

* ``"sum"`` (real): 1; the slice's VJP is the einsum VJP walking its traced steps;
* ``"softmax"`` (log): ``exp(out_s - out)``: the slice's softmax weights rescaled by
  the global log-sum-exp; the slice's VJP walks its steps with the log rule per step;
* ``"select"`` (max / min): the gradient goes to the overall optimum.  A tracked pass
  over the slices of the unsliced path finds each slice's optimal assignment; per
  output element the best slice wins, ties broken as the unsliced einsum breaks them
  (the first optimal assignment in its back-pointer order); the gradient is then
  scattered to that assignment.

A semiring with its own ``vjp`` gets it per slice, seeded as its ``gradient`` field
says.  A scalar result's gradient (``"sum"``/``"softmax"``) is computed in the same
pass over the slices as the value (``eager``), so the slices run once, not twice.
On a ``dask.distributed`` client the slices' gradients are computed on the workers
and summed in a tree (:func:`contract.engine.distributed.map_groups`).

>>> import numpy as np, contract as ct
>>> x = ct.tensor(np.arange(1., 65.).reshape(4, 4, 4) / 64, requires_grad=True)
>>> sp = ct.slice_plan("abc,cde,efa,bdf->", *[(4, 4, 4)] * 4, memory_limit=64)
>>> y = sp(x, x, x, x); y.backward()
>>> z = ct.tensor(x.detach().numpy(), requires_grad=True)
>>> ct.einsum("abc,cde,efa,bdf->", z, z, z, z).backward()
>>> sp.num_slices > 1, bool(np.allclose(x.grad.numpy(), z.grad.numpy(), rtol=1e-12))
(True, True)
"""
from dataclasses import dataclass
from functools import partial
from typing import Optional, Tuple

import numpy as np

from contract._util.progress import progress_bar
from contract.autograd.einsum_vjp import _undo_prep, einsum_vjp, rule_walk
from contract.autograd.semiring_vjp import (output_layout, scatter_choice,
                                            semiring_rule)
from contract.backends import backend_for
from contract.dtypes import grad_cast
from contract.engine.argmax import run_tracked_ordered
from contract.engine.distributed import group_slices, map_groups, worker_count
from contract.engine.semirings import get_semiring


@dataclass(frozen=True)
class GradSpec:
    """What a slice's backward needs besides the operands (picklable, for workers)."""

    job: object                  # the SliceJob
    semiring: object
    needs: Tuple[bool, ...]
    grad: object = None          # the output gradient, canonical layout (None: eager, 1)
    out: object = None           # the combined result, canonical layout

    @property
    def ring(self):
        return get_semiring(self.semiring)


@dataclass
class SlicedState:
    """What the graph node of a sliced contraction keeps for its backward."""

    plan: object                 # the SlicedPlan
    arrays: list                 # the operands as given (arrays)
    ops: list                    # their canonical views, cast
    needs: Tuple[bool, ...]
    out: object                  # combined result, canonical layout
    client: object = None
    progress: object = None
    unit: Optional[list] = None  # eager: canonical gradients for an output gradient of 1


# -- the forward ------------------------------------------------------------------------
def eager(sp, needs):
    """Whether the gradient is computed with the value: a scalar result and a linear or
    log-sum-exp add (the select semirings' backward is one tracked pass anyway)."""
    ring = sp._ring
    return (ring.vjp is None and ring.gradient in ("sum", "softmax")
            and int(np.prod(sp._bound.final_shape)) == 1 and any(needs))


def sliced_forward(sp, arrays, needs, client=None, progress=None):
    """Run ``sp`` on ``arrays``; ``(result, SlicedState)`` for :func:`sliced_backward`."""
    backend, ops, compute, result = sp.prepare(arrays)
    needs = tuple(bool(n) for n in needs)
    state = SlicedState(sp, list(arrays), ops, needs, None, client, progress)
    if eager(sp, needs):
        spec = GradSpec(sp.grad_slices.job, sp.job.semiring, needs)
        out, state.unit = _run(spec, backend, ops, sp.grad_slices.bounds, client, progress,
                               _eager_group, partial(_eager_combine, spec.semiring))
    else:
        out = sp.run_prepared(backend, ops, client, progress)
    state.out = out
    return sp.finish(backend, out, compute, result), state


# -- the backward -----------------------------------------------------------------------
def sliced_backward(state, grad):
    """The operands' gradients (None where not needed) for the output gradient ``grad``."""
    sp = state.plan
    backend = backend_for([state.out])
    xp, ring = backend.xp, sp._ring
    g = output_layout(xp, sp._bound, grad).astype(state.out.dtype, copy=False)
    if state.unit is not None:       # eager: scaled in place (a second backward recomputes)
        canonical, state.unit = state.unit, None
        for u in canonical:
            if u is not None:
                u *= g.reshape(())
    elif ring.vjp is None and ring.gradient == "select":
        return _select_backward(state, backend, g)
    else:
        if ring.vjp is None and ring.gradient not in ("sum", "softmax"):
            semiring_rule(ring)          # raises NotImplementedError naming the semiring
        spec = GradSpec(sp.grad_slices.job, sp.job.semiring, state.needs, g, state.out)
        canonical = _run(spec, backend, state.ops, sp.grad_slices.bounds, state.client,
                         state.progress, _grad_group, _add_grads)
    return _to_operands(xp, sp, state, canonical)


def _to_operands(xp, sp, state, canonical):
    grads = []
    for k, (a, need) in enumerate(zip(state.arrays, state.needs)):
        if not need:
            grads.append(None)
            continue
        gk = canonical[k]
        if gk is None:
            gk = xp.zeros(state.ops[k].shape, dtype=state.out.dtype)
        gk = _undo_prep(xp, sp._bound.preps[k], a.shape, gk)
        grads.append(grad_cast(gk, a.dtype) if a.dtype.kind in "fc" else gk)
    return tuple(grads)


def _run(spec, backend, ops, bounds, client, progress, group_fn, combine):
    """``group_fn(spec, bounds, *ops)`` over all slices: here (one group), or grouped on
    the workers with a tree of ``combine`` tasks."""
    if client is None:
        with progress_bar(len(bounds), progress, "slices") as advance:
            return group_fn(spec, bounds, *ops, advance=advance)
    groups = group_slices(list(bounds), worker_count(client))
    return map_groups(client, partial(group_fn, spec), combine, groups, ops, progress)


def _accumulate(spec, ops, acc, bounds, parts):
    """Add one slice's view gradients into full canonical accumulators."""
    indices = spec.job.indices(ops, bounds)
    for k, part in enumerate(parts):
        if part is None:
            continue
        if acc[k] is None:
            acc[k] = np.zeros(ops[k].shape, dtype=part.dtype) if isinstance(
                part, np.ndarray) else backend_for([part]).xp.zeros(ops[k].shape, part.dtype)
        if indices[k] is None:
            acc[k] += part
        else:
            acc[k][indices[k]] += part
    return acc


def _slice_vjp(spec, backend, views, seed_of):
    """One slice: run its plan traced, seed its VJP with ``seed_of(slice result)``;
    ``(slice result, view gradients)``."""
    ring = spec.ring
    plan = spec.job.plan_for([tuple(v.shape) for v in views])
    trace = {}
    value = plan.execute(backend, views, trace=trace)
    seed = seed_of(value)
    if ring.vjp is not None:
        parts = ring.vjp(plan, views, value, seed)
        return value, [p if need else None for p, need in zip(parts, spec.needs)]
    if not trace:                               # a zero-size slice
        return value, [None] * len(views)
    if ring.gradient == "sum":      # the einsum VJP needs the steps' inputs, not outputs
        trace["steps"] = [record._replace(output=None) for record in trace["steps"]]
        return value, list(einsum_vjp(plan, backend, views, trace, None, seed, spec.needs,
                                      consume=True))
    return value, rule_walk(plan, backend, trace, seed, spec.needs, semiring_rule(ring),
                            consume=True)


def _seed(spec, xp, value):
    """The output gradient of one slice: ``grad`` times ``d out / d out_s``."""
    if spec.ring.gradient == "softmax":
        return spec.grad * _weight(xp, value, spec.out)
    return spec.grad


def _grad_group(spec, bounds_list, *ops, advance=None):
    """Canonical gradients of several slices (a list, None where not needed)."""
    backend = backend_for(ops)
    acc = [None] * len(ops)
    claimed = None
    for bounds in bounds_list:
        views = spec.job.views(ops, bounds)
        if spec.ring.gradient == "select":      # a semiring's own vjp: the first optimum
            value = spec.job.run(backend, ops, bounds)
            wins = (value == spec.out) if claimed is None else (value == spec.out) & ~claimed
            claimed = wins if claimed is None else claimed | wins
            _, parts = _slice_vjp(spec, backend, views, lambda v: spec.grad * wins)
        else:
            _, parts = _slice_vjp(spec, backend, views, partial(_seed, spec, backend.xp))
        _accumulate(spec, ops, acc, bounds, parts)
        if advance is not None:
            advance(1)
    return acc


def _add_grads(a, b):
    return [x if y is None else y if x is None else x + y for x, y in zip(a, b)]


# -- eager: a scalar result's value and unit gradient in one pass -------------------------
def _eager_group(spec, bounds_list, *ops, advance=None):
    """``(value, canonical gradients for an output gradient of 1)`` over several slices,
    accumulated in place; log: the gradients so far rescaled online to the running
    log-sum-exp (each slice's softmax weights end up relative to the global one)."""
    backend = backend_for(ops)
    xp = backend.xp
    log = spec.ring.gradient == "softmax"
    value, acc = None, [None] * len(ops)
    for bounds in bounds_list:
        views = spec.job.views(ops, bounds)
        part, parts = _slice_vjp(spec, backend, views, xp.ones_like)
        if value is None:
            value = part
        elif log:
            total = xp.logaddexp(value, part)
            old, new = _weight(xp, value, total), _weight(xp, part, total)
            for a in acc:
                if a is not None:
                    a *= old
            parts = [None if p is None else p * new for p in parts]
            value = total
        else:
            value = value + part
        _accumulate(spec, ops, acc, bounds, parts)
        if advance is not None:
            advance(1)
    return value, acc


def _weight(xp, part, total):
    """``exp(part - total)``, 0 where ``part`` is -inf (a slice that adds nothing)."""
    with np.errstate(invalid="ignore", over="ignore"):
        return xp.where(xp.isneginf(part), 0.0, xp.exp(part - total))


def _eager_combine(semiring, a, b):
    """Two ``(value, unit gradients)`` pairs as one (log: rescaled to their log-sum-exp)."""
    (va, ga), (vb, gb) = a, b
    if get_semiring(semiring).gradient == "sum":
        return va + vb, _add_grads(ga, gb)
    xp = backend_for([va]).xp
    value = xp.logaddexp(va, vb)
    wa, wb = _weight(xp, va, value), _weight(xp, vb, value)
    scaled = [None if x is None else x * wa for x in ga], \
        [None if y is None else y * wb for y in gb]
    return value, _add_grads(*scaled)


# -- max / min: the gradient to the overall optimum ------------------------------------
def _select_backward(state, backend, g):
    sp = state.plan
    if 0 in sp._cbound.sizes:            # nothing was chosen: every gradient is zero
        return _to_operands(backend.xp, sp, state, [None] * len(state.ops))
    fixed = sp.grad_fixed
    spec = GradSpec(fixed.job, fixed.job.semiring, state.needs)
    best = _run(spec, backend, state.ops, fixed.bounds, state.client, state.progress,
                _best_group, _better)
    _, chosen, _ = best
    names, bound = sp._cbound.names, sp._bound
    index = {n: x for x, n in enumerate(bound.names)}
    chosen = {index[names[x]]: c for x, c in chosen.items()}
    prepared = state.ops if sp._ring.ops.combine == "multiply" else None
    grads = scatter_choice(backend, bound, state.arrays, prepared, chosen, g)
    return tuple(gk if need else None for gk, need in zip(grads, state.needs))


def _best_group(spec, bounds_list, *ops, advance=None):
    """``(value, {label: global index}, order)``: per output element the best assignment
    over several slices."""
    backend = backend_for(ops)
    best = None
    names = None
    for bounds in bounds_list:
        views = spec.job.views(ops, bounds)
        plan = spec.job.plan_for([tuple(v.shape) for v in views])
        value, chosen, _, order = run_tracked_ordered(plan, backend, views)
        names = plan._bound.names
        chosen = {x: c + bounds[names[x]][0] if names[x] in bounds else c
                  for x, c in chosen.items()}
        found = (value, chosen, (spec.semiring, order))
        best = found if best is None else _better(best, found)
        if advance is not None:
            advance(1)
    return best


def _better(a, b):
    """Per output element, ``b``'s choice where its value is strictly better, or equal
    and its assignment comes first in the tie order; else ``a``'s."""
    (va, ca, (semiring, order)), (vb, cb, _) = a, b
    xp = backend_for([va]).xp
    take = getattr(xp, get_semiring(semiring).ops.better)(vb, va)
    undecided = vb == va
    for x in order:
        take = take | (undecided & (cb[x] < ca[x]))
        undecided = undecided & (cb[x] == ca[x])
    value = xp.where(take, vb, va)
    chosen = {x: xp.where(take, cb[x], ca[x]) for x in ca}
    return value, chosen, (semiring, order)
