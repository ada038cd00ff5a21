"""The einsum VJP: ``ct.einsum`` / ``plan(...)`` on Tensors returns a differentiable Tensor.

The gradient of an einsum is an einsum.  Backward undoes the plan's final
recipe (merge groups -> reshape, diagonal embedding -> diagonal, transpose),
then walks the forward pairwise steps in reverse, reusing the intermediates
recorded by ``plan.execute(..., trace=...)``: for a step ``A, B -> C`` the
gradient of ``A`` is the einsum ``C, B -> A`` (labels that only ``A`` had are
broadcast back).  Branches holding no operand that needs a gradient are
skipped, so all gradients together cost a small constant times the forward.
Finally each operand's view recipe is undone: diagonals become diagonal
embeddings (``ii->i`` => ``i->ii``), squeezed size-1 axes come back (their
gradient was summed by the einsum), split groups are merged, casts undone.

>>> import contract as ct
>>> a = ct.tensor([[1., 2.], [3., 4.]], requires_grad=True)
>>> ct.einsum("ii->", a).backward(); a.grad
tensor([[1., 0.],
        [0., 1.]])
"""
from dataclasses import dataclass
from functools import lru_cache
from typing import Optional, Tuple


from contract.autograd.semiring_vjp import _label_equation, semiring_rule
from contract.dtypes import conj, grad_cast
from contract.engine.api import einsum
from contract.engine.cache import cached_plan
from contract.engine.kernels.real import LETTERS
from contract.errors import ContractError


# -- the VJP ---------------------------------------------------------------------
def einsum_vjp(plan, backend, arrays, trace, out, grad, needs, consume=False):
    """Gradients of each operand of a traced plan run (None where not needed).

    ``consume``: drop each step's record from ``trace`` once its backward is done (the
    sliced backward's traces are used once; a graph node's may be used again).
    """
    xp = backend.xp
    rule = semiring_rule(plan._semiring)
    if rule is not None and _walks_steps(plan, trace):
        compute = trace["last"].dtype
        seed = grad.astype(compute, copy=False)
        canonical = dict(enumerate(rule_walk(plan, backend, trace, seed, needs, rule, consume)))
        return _operand_grads(xp, plan._bound, arrays, needs, canonical, trace, compute)
    if rule is not None:
        return tuple(g if need else None for g, need in zip(rule(plan, arrays, out, grad), needs))
    if not trace:   # an empty (zero-size) plan: every gradient is zero
        return tuple(xp.zeros(a.shape, dtype=a.dtype) if need else None
                     for a, need in zip(arrays, needs))
    bound = plan._bound
    compute = trace["dtype"] if "dtype" in trace else trace["last"].dtype
    # complex: torch's grad_A = einsum(grad_C, conj(B)) = conj(einsum(conj(grad_C), B)), so the
    # walk runs on conj(grad) with the saved operands as they are, and each result is conjugated
    g = conj(_undo_final(xp, bound, plan, grad.astype(compute, copy=False)))
    canonical = _reverse_steps(xp, plan, trace, g, needs, consume)
    return _operand_grads(xp, bound, arrays, needs, canonical, trace, compute)


def _walks_steps(plan, trace):
    """Whether a semiring plan's VJP walks its traced steps (the log rule on each step's own
    plan): a softmax-gradient semiring without a rule of its own, real floats, two or more
    steps recorded.  Otherwise the rule runs on the whole plan."""
    ring = plan._semiring
    return (ring.vjp is None and ring.gradient == "softmax" and len(plan.steps) > 1
            and bool(trace) and trace.get("last") is not None
            and trace["last"].dtype.kind == "f")


def _operand_grads(xp, bound, arrays, needs, canonical, trace, compute):
    """Gradients of the canonical (prepared) operands back in each operand's own shape and
    dtype: diagonals embedded, squeezed axes restored, groups merged, casts undone."""
    grads = []
    for k, (a, need) in enumerate(zip(arrays, needs)):
        if not need:
            grads.append(None)
            continue
        gk = canonical.get(k)
        if gk is None:
            gk = xp.zeros(trace["prepared"][k].shape, dtype=compute)
        gk = _undo_prep(xp, bound.preps[k], a.shape, gk)
        grads.append(grad_cast(conj(gk) if a.dtype.kind == "c" else gk, a.dtype))
    return tuple(grads)


def _undo_final(xp, bound, plan, grad):
    """Bring the output gradient back to the layout of the last step's result."""
    full_shape = tuple(bound.sizes[x] for x in bound.output_full)
    if tuple(grad.shape) != full_shape:
        grad = grad.reshape(full_shape)
    if bound.embeds_diagonal:
        grad = _label_einsum(xp, [bound.output_full], tuple(bound.output), grad)
    last = _last_labels(plan)
    if tuple(last) != tuple(bound.output):
        grad = grad.transpose(tuple(bound.output.index(x) for x in last))
    return grad


def _last_labels(plan):
    return plan.steps[-1].output if plan.steps else plan._bound.terms[0]


@dataclass(frozen=True)
class GradTerm:
    """How one step operand's gradient is computed from the step's output gradient."""

    step: int                    # index of the forward step
    operand: int                 # position of the operand within the step
    target: int                  # id of the operand in the working list
    others: Tuple[int, ...]      # positions (within the step) of the other operands
    text: Optional[str]          # the einsum text, or None when the gradient passes through
    missing: int                 # labels only this operand had (broadcast back)
    perm: Optional[Tuple[int, ...]]   # transpose after adding the missing axes


@dataclass(frozen=True)
class BackwardProgram:
    """A plan's backward for one pattern of operands needing gradients (built once)."""

    final: int                                        # id of the plan's result
    steps: Tuple[Tuple[int, Tuple[GradTerm, ...]], ...]   # (output id, terms), reversed


@lru_cache(maxsize=4096)
def backward_program(plan, needs):
    """Reverse the plan's steps, keeping only operands on a path to a needed gradient."""
    n = len(needs)
    ids, wants, records = list(range(n)), dict(enumerate(needs)), []
    for step in plan.steps:
        inputs = [ids[p] for p in step.operands]
        ids = [x for k, x in enumerate(ids) if k not in step.operands] + [len(wants)]
        records.append((inputs, len(wants)))
        wants[len(wants)] = any(wants[i] for i in inputs)
    steps = []
    for index in range(len(records) - 1, -1, -1):
        inputs, out_id = records[index]
        if wants[out_id]:
            terms = tuple(_grad_term(plan.steps[index], index, k, i)
                          for k, i in enumerate(inputs) if wants[i])
            steps.append((out_id, terms))
    return BackwardProgram(ids[0], tuple(steps))


def _grad_term(step, index, k, target):
    labels = step.inputs[k]
    others = tuple(j for j in range(len(step.inputs)) if j != k)
    terms = (tuple(step.output),) + tuple(tuple(step.inputs[j]) for j in others)
    have = set().union(*map(set, terms))
    present = tuple(x for x in labels if x in have)
    text = None if (not others and terms[0] == present) else _text(terms, present)
    order = present + tuple(x for x in labels if x not in have)
    perm = tuple(order.index(x) for x in labels)
    return GradTerm(index, k, target, others, text, len(labels) - len(present),
                    None if perm == tuple(range(len(perm))) else perm)


def _reverse_steps(xp, plan, trace, grad, needs, consume=False):
    """Walk the steps backwards; returns {operand index: gradient of its canonical view}."""
    program = backward_program(plan, tuple(needs))
    grads = {program.final: grad}
    records = trace["steps"]
    for out_id, terms in program.steps:
        g = grads.pop(out_id)
        args = records[terms[0].step][0]
        if consume:
            records[terms[0].step] = None
        for term in terms:
            result = g if term.text is None else einsum(term.text, g,
                                                        *[args[j] for j in term.others])
            if term.missing:
                result = result.reshape(result.shape + (1,) * term.missing)
                if term.perm is not None:
                    result = result.transpose(term.perm)
                result = xp.broadcast_to(result, args[term.operand].shape)
            grads[term.target] = result
    n = len(needs)
    return {i: g for i, g in grads.items() if i < n}


def _label_einsum(xp, terms, out, *arrays):
    """An einsum over integer-labelled terms, through the plan cache."""
    if len(arrays) == 1 and tuple(terms[0]) == tuple(out):
        return arrays[0]
    return einsum(_text(tuple(map(tuple, terms)), tuple(out)), *arrays)


@lru_cache(maxsize=4096)
def _text(terms, out):
    labels = list(dict.fromkeys(x for t in terms + (out,) for x in t))
    if len(labels) > len(LETTERS):
        raise ContractError(f"a gradient step needs {len(labels)} distinct labels; at most "
                            f"{len(LETTERS)} are supported in one backward step")
    letter = {x: LETTERS[k] for k, x in enumerate(labels)}
    return ",".join("".join(letter[x] for x in t) for t in terms) + "->" + "".join(
        letter[x] for x in out)


def _undo_prep(xp, prep, shape, g):
    """Invert an OperandPrep: diagonal embeddings, unsqueeze, merge groups."""
    if prep.diagonals:
        current, original = _diagonal_labels(len(g.shape) + len(prep.diagonals), prep.diagonals)
        g = _label_einsum(xp, [current], original, g)
    if prep.squeeze:
        full = list(g.shape)
        for axis in prep.squeeze:
            full.insert(axis, 1)
        g = g.reshape(full)
    if tuple(g.shape) != tuple(shape):
        g = g.reshape(shape)
    return g


@lru_cache(maxsize=1024)
def _diagonal_labels(ndim, diagonals):
    """Labels of a view after ``diagonals`` (current) and of the array before (original)."""
    original = list(range(ndim))
    current = list(original)
    for a, b in diagonals:
        keep, gone = current[a], current[b]
        original = [keep if x == gone else x for x in original]
        current = [x for k, x in enumerate(current) if k not in (a, b)] + [keep]
    return tuple(current), tuple(original)


def rule_walk(plan, backend, trace, seed, needs, rule, consume=False):
    """A traced plan's VJP, step by step in reverse: each step's gradient by ``rule`` on
    the step's own plan (so no array is larger than the steps' own, and each step costs
    about two of its own contractions, where ``rule`` on the whole plan runs one whole
    contraction per operand).  Returns the gradients of the plan's (canonical) operands,
    None where not needed; ``consume`` drops each step's record once used."""
    xp = backend.xp
    program = backward_program(plan, tuple(needs))
    grads = {program.final: _undo_final(xp, plan._bound, plan, seed)}
    records = trace["steps"]
    for out_id, terms in program.steps:
        g = grads.pop(out_id)
        index = terms[0].step
        step, record = plan.steps[index], records[index]
        if consume:
            records[index] = None
        step_plan = cached_plan(_label_equation(step.inputs, step.output),
                                [tuple(a.shape) for a in record.inputs],
                                semiring=plan._semiring)
        parts = rule(step_plan, record.inputs, record.output, g)
        for term in terms:
            grads[term.target] = parts[term.operand]
    return [grads.get(k) if need else None for k, need in enumerate(needs)]
