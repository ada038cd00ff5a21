"""Gradients of semiring einsums, chosen by the Semiring record's ``gradient`` field.

* max / min semirings (``maxplus``, ``minplus``, ``maxtimes``): the output
  gradient goes to the chosen assignment (the argmax back-pointers), times the
  other operands' chosen factors for ``maxtimes``.
* ``log``: the softmax-weighted einsum.  For operand k,
  ``grad_k = exp(x_k + L)`` with ``L`` the log-semiring einsum of the other
  operands and ``log(grad) - out``: a stable einsum in the same pipeline (the
  positive and negative parts of ``grad`` go through it separately).

Each rule has the signature ``vjp(plan, arrays, out, grad) -> list of arrays``
(``arrays`` as given to the plan, gradients shaped like them).

>>> import numpy as np, contract as ct
>>> p = ct.plan("ij->i", (2, 2), semiring="maxplus")
>>> select_vjp(p, [np.array([[1., 3.], [4., 2.]])], None, np.ones(2))[0]
array([[0., 1.],
       [1., 0.]])
"""
from math import prod

import numpy as np

from contract.backends import backend_for
from contract.engine.argmax import prepare_operands, run_tracked
from contract.engine.cache import cached_plan
from contract.grammar.equation import Equation


def output_layout(xp, bound, array):
    """A final-shaped array read back in ``bound.output`` order (diagonals taken)."""
    full_shape = tuple(bound.sizes[x] for x in bound.output_full)
    array = xp.ascontiguousarray(array).reshape(full_shape)
    if not bound.embeds_diagonal:
        return array
    positions = [[k for k, y in enumerate(bound.output_full) if y == x] for x in bound.output]
    strides = tuple(sum(array.strides[p] for p in axes) for axes in positions)
    shape = tuple(bound.sizes[x] for x in bound.output)
    return xp.lib.stride_tricks.as_strided(array, shape=shape, strides=strides).copy()


def label_strides(prep, term, shape):
    """Element stride, in the flat original operand, of each label of its canonical term."""
    split = tuple(prep.split_shape) if prep.split_shape is not None else tuple(shape)
    flat = [prod(split[k + 1:]) for k in range(len(split))]
    axes = [[k] for k in range(len(split)) if k not in prep.squeeze]
    for a, b in prep.diagonals:
        merged = axes[a] + axes[b]
        axes = [g for k, g in enumerate(axes) if k not in (a, b)] + [merged]
    return {lab: sum(flat[k] for k in group) for lab, group in zip(term, axes)}


def _grids(xp, labels, sizes):
    n = len(labels)
    return {x: xp.arange(sizes[x]).reshape(tuple(-1 if q == p else 1 for q in range(n)))
            for p, x in enumerate(labels)}


def select_vjp(plan, arrays, out, grad):
    """max / min semirings: the gradient flows to the chosen assignment only."""
    backend = backend_for(arrays)
    if plan._empty:
        return [backend.xp.zeros(a.shape, dtype=_float(a.dtype)) for a in arrays]
    _, chosen, _ = run_tracked(plan, backend, arrays)
    prepared = None
    if plan._semiring.ops.combine == "multiply":
        prepared, _ = prepare_operands(plan, backend, arrays)
    g = output_layout(backend.xp, plan._bound, grad)
    return scatter_choice(backend, plan._bound, arrays, prepared, chosen, g)


def scatter_choice(backend, bound, arrays, prepared, chosen, g):
    """Send ``g`` (in ``bound.output`` layout) to the assignment ``chosen`` (``{label:
    index array shaped like the output}``) of every operand; with ``prepared`` (the
    operands' canonical views, for a multiplying semiring) times the other operands'
    chosen factors."""
    xp = backend.xp
    grads = [xp.zeros(prod(a.shape), dtype=_float(a.dtype)) for a in arrays]
    shape = tuple(bound.sizes[x] for x in bound.output)
    assign = {**_grids(xp, bound.output, bound.sizes), **chosen}
    factors = None
    if prepared is not None:
        factors = [p[tuple(assign[x] for x in t)] if t else p
                   for p, t in zip(prepared, bound.terms)]
    for k, (a, term) in enumerate(zip(arrays, bound.terms)):
        strides = label_strides(bound.preps[k], term, a.shape)
        flat = sum((assign[x] * strides[x] for x in term), xp.zeros((), dtype=np.intp))
        part = g
        if factors is not None:
            for j, f in enumerate(factors):
                if j != k:
                    part = part * f
        flat, part = xp.broadcast_arrays(flat, xp.broadcast_to(part, shape))
        xp.add.at(grads[k], flat.ravel(), part.ravel().astype(grads[k].dtype, copy=False))
    return [g.reshape(a.shape) for g, a in zip(grads, arrays)]


def _float(dtype):
    dtype = np.dtype(dtype)
    return dtype if dtype.kind in "fc" else np.dtype(np.float64)


def _label_equation(terms, out):
    def term(t):
        return tuple((f"l{x}",) for x in t)
    return Equation(tuple(term(t) for t in terms), term(out), True, True)


def log_vjp(plan, arrays, out, grad):
    """``log`` semiring: grad_k = sum over the rest of grad * exp(sum of operands - out)."""
    backend = backend_for(arrays)
    xp, bound = backend.xp, plan._bound
    if plan._empty:
        return [xp.zeros(a.shape, dtype=_float(a.dtype)) for a in arrays]
    prepared, _ = prepare_operands(plan, backend, arrays)
    total = output_layout(xp, bound, out)
    g = output_layout(xp, bound, grad).astype(total.dtype, copy=False)
    weights = []
    with np.errstate(divide="ignore", invalid="ignore"):
        for part in (g, -g):
            w = xp.log(xp.maximum(part, 0)) - total
            weights.append(xp.where(xp.isneginf(total) | (part <= 0), -xp.inf, w))
    signs = (1.0, -1.0) if bool((g < 0).any()) else (1.0,)
    grads = []
    for k, a in enumerate(arrays):
        term = bound.terms[k]
        others = [t for j, t in enumerate(bound.terms) if j != k] + [bound.output]
        seen = set().union(*map(set, others))
        kept = tuple(x for x in term if x in seen)
        equation = _label_equation(others, kept)
        ops = [p for j, p in enumerate(prepared) if j != k]
        found = cached_plan(equation, [tuple(a.shape) for a in ops + [weights[0]]],
                            semiring=plan._semiring)
        index = tuple(slice(None) if x in kept else None for x in term)
        gk = 0
        for sign, w in zip(signs, weights):
            logged = found.execute(backend, ops + [w])[index]
            with np.errstate(invalid="ignore"):
                gk = gk + sign * xp.exp(prepared[k] + logged)
        gk = xp.broadcast_to(xp.nan_to_num(gk, nan=0.0), prepared[k].shape)
        grads.append(_to_operand(xp, bound.preps[k], term, a, gk))
    return grads


def _to_operand(xp, prep, term, a, gk):
    """A canonical-term gradient written back into the operand's own shape."""
    if prep.is_identity:
        return gk.astype(_float(a.dtype), copy=False)
    strides = label_strides(prep, term, a.shape)
    grids = _grids(xp, term, dict(zip(term, gk.shape)))
    flat = sum((grids[x] * strides[x] for x in term), xp.zeros((), dtype=np.intp))
    flat = xp.broadcast_to(flat, gk.shape)
    result = xp.zeros(prod(a.shape), dtype=_float(a.dtype))
    result[flat.ravel()] = gk.ravel()
    return result.reshape(a.shape)


RULES = {"select": select_vjp, "softmax": log_vjp}


def semiring_rule(ring):
    """The VJP rule ``(plan, arrays, out, grad) -> grads`` of a semiring, or None for the
    (+, *) einsum (``gradient="sum"``: its VJP walks the traced steps instead).

    >>> from contract.engine.semirings import get_semiring
    >>> semiring_rule(get_semiring("maxplus")).__name__, semiring_rule(get_semiring("real"))
    ('select_vjp', None)
    """
    if ring.vjp is not None:
        return ring.vjp
    if ring.gradient == "sum":
        return None
    if ring.gradient not in RULES:
        raise NotImplementedError(f"semiring {ring.name!r} has no gradient rule (its gradient "
                                  f"field is {ring.gradient!r}); register it with vjp= or "
                                  f"gradient= one of {', '.join(sorted(RULES))}")
    return RULES[ring.gradient]
