"""``argmax=True``: the einsum of a max or min semiring and one optimal assignment.

The plan's pairwise steps run again with tracked kernels that keep back-pointers
(for every label a step reduces, the index it chose); walking them back from the
last step gives, per output element, the chosen value of each contracted label.

>>> import numpy as np, contract as ct
>>> v, idx = ct.einsum("ij->i", np.array([[1., 3.], [4., 2.]]), semiring="maxplus",
...                    argmax=True)
>>> v, idx["j"]
(array([3., 4.]), array([1, 0]))
"""
from functools import lru_cache

import numpy as np

from contract.backends import backend_for
from contract.engine.cache import cached_plan
from contract.engine.kernels import semiring as sk
from contract.engine.operands import special_type, split_arguments, to_arrays, weak_scalar
from contract.engine.overflow import OBJECT, exact_result, on_objects
from contract.engine.semirings import get_semiring
from contract.errors import ContractError


@lru_cache(maxsize=256)
def _tracked_program(plan):
    """Tracked kernels for ``plan``'s path, and the label order of the last result."""
    bound, ops = plan._bound, plan._semiring.ops
    work, program = [tuple(t) for t in bound.terms], []
    for positions in plan.path:
        positions = tuple(sorted(positions))
        terms = [work[p] for p in positions]
        rest = [t for k, t in enumerate(work) if k not in positions]
        keep = set(bound.output).union(*map(set, rest))
        if len(terms) == 1:
            out = tuple(x for x in terms[0] if x in keep)
            kernel = sk.compile_single(ops, terms[0], out, track=True)
        elif len(terms) == 2:
            kernel = sk.compile_pair(ops, terms[0], terms[1], keep, bound.sizes, track=True)
        else:
            out = tuple(dict.fromkeys(x for t in terms for x in t if x in keep))
            kernel = sk.compile_nary(ops, terms, out, track=True,
                                     zero_for=plan._semiring.zero_for)
        program.append((positions, kernel.fn))
        work = rest + [kernel.out]
    return tuple(program), work[0]


def prepare_operands(plan, backend, arrays):
    """Operands as the steps see them: views (groups, squeeze, diagonals), cast."""
    dtypes = tuple(np.dtype(a.dtype) for a in arrays)
    casts, compute, result_cast, result, check = plan._policy(dtypes)
    ops = [backend.prepare(a, p) if not p.is_identity else a
           for a, p in zip(arrays, plan._bound.preps)]
    if check is not None and check.exceeded(backend, arrays):
        casts, compute = range(len(ops)), OBJECT     # exact Python ints (overflow.py)
    return [backend.cast(a, compute) if i in casts else a for i, a in enumerate(ops)], result


def run_tracked(plan, backend, arrays):
    """``(value over bound.output labels, {label: index array}, result dtype)``."""
    return run_tracked_ordered(plan, backend, arrays)[:3]


def run_tracked_ordered(plan, backend, arrays):
    """:func:`run_tracked` and the order its choice follows at ties: the chosen
    assignment is, among the optimal ones, the first in lexicographic order of the
    labels in ``order`` (the last step's labels first; within a step, flattening order).

    >>> import numpy as np, contract as ct
    >>> p = ct.plan("ij,jk->", (2, 2), (2, 2), semiring="maxplus")
    >>> value, chosen, _, order = run_tracked_ordered(p, backend_for([np.zeros(1)]),
    ...                                               [np.zeros((2, 2))] * 2)
    >>> sorted(order) == sorted(chosen), [int(chosen[x]) for x in order]
    (True, [0, 0, 0])
    """
    bound, xp = plan._bound, backend.xp
    ops, result = prepare_operands(plan, backend, arrays)
    shape = tuple(bound.sizes[x] for x in bound.output)
    if plan._empty:
        value = backend.full(shape, plan._semiring.zero_for(result), result)
        chosen = {x: xp.zeros(shape, dtype=np.intp) for x in range(len(bound.sizes))
                  if x not in bound.output}
        return value, chosen, result, tuple(sorted(chosen))
    program, last = _tracked_program(plan)
    if ops and ops[0].dtype == OBJECT:        # exact Python ints (overflow.py)
        program = on_objects(program)
    pointers = []
    for positions, fn in program:
        args = [ops[p] for p in positions]
        ops = [o for k, o in enumerate(ops) if k not in positions]
        value, found = fn(xp, *args)
        ops.append(value)
        pointers.extend(found)
    value = ops[0]
    perm = tuple(last.index(x) for x in bound.output)
    if perm != tuple(range(len(perm))):
        value = value.transpose(perm)
    order = tuple(x for bp in reversed(pointers) for x in bp.chosen)
    return value, backtrack(xp, pointers, bound.output, bound.sizes), result, order


def backtrack(xp, pointers, out_labels, sizes):
    """Walk back-pointers from the last step: each reduced label's choice per output."""
    shape = tuple(sizes[x] for x in out_labels)
    known = {}
    for p, x in enumerate(out_labels):
        known[x] = xp.arange(sizes[x]).reshape(tuple(-1 if q == p else 1
                                                     for q in range(len(shape))))
    for bp in reversed(pointers):
        if not bp.chosen:            # a step that reduced nothing (an n-ary outer product)
            continue
        flat = xp.asarray(bp.index[tuple(known[x] for x in bp.given)])
        if len(bp.chosen) == 1:
            known[bp.chosen[0]] = flat
        else:
            for x, coord in zip(bp.chosen, xp.unravel_index(flat, bp.chosen_shape)):
                known[x] = coord
    return {x: xp.broadcast_to(v, shape) for x, v in known.items() if x not in out_labels}


def finish(backend, value, bound, fill, dtype):
    """From bound.output order to the user's output: embed diagonals, merge groups."""
    if bound.embeds_diagonal:
        full_shape = tuple(bound.sizes[x] for x in bound.output_full)
        positions = tuple(tuple(k for k, y in enumerate(bound.output_full) if y == x)
                          for x in bound.output)
        value = backend.embed_diagonal(value, full_shape, positions, dtype, fill)
    if tuple(value.shape) != tuple(bound.final_shape):
        value = value.reshape(bound.final_shape)
    return value


def einsum_argmax(args, optimize="auto", semiring="maxplus", dtype=None, memory_limit=None,
                  **sizes):
    """``(values, indices)``: the einsum and, per contracted label, one optimal choice.

    >>> import numpy as np, contract as ct
    >>> v, idx = ct.einsum("ij->i", np.array([[1., 3.], [4., 2.]]), semiring="maxplus",
    ...                    argmax=True)
    >>> v, idx["j"]
    (array([3., 4.]), array([1, 0]))
    """
    ring = get_semiring(semiring)
    if not ring.has_argmax:
        raise ContractError(f"argmax=True needs a max or min semiring (maxplus, minplus, "
                            f"maxtimes); semiring {ring.name!r} has no argmax")
    equation, operands = split_arguments(list(args))
    from_sublists = not isinstance(args[0], str)
    entry = special_type(operands)
    arrays = [entry.array(op) if entry and isinstance(op, entry.kind) else op
              for op in operands]
    if entry is not None:         # scalars beside Tensors take their dtype, as in torch
        held = [a for op, a in zip(operands, arrays) if isinstance(op, entry.kind)]
        common = np.result_type(*[a.dtype for a in held])
        arrays = [a if hasattr(a, "shape") else weak_scalar(a, common) for a in arrays]
    arrays = to_arrays(arrays)
    plan = cached_plan(equation, [a.shape for a in arrays], optimize, semiring, dtype,
                       memory_limit, sizes)
    plan.check_shapes(arrays)
    backend = backend_for(arrays)
    value, chosen, result = run_tracked(plan, backend, arrays)
    bound = plan._bound
    value = (exact_result(value, result, plan.equation) if value.dtype == OBJECT
             else backend.cast(value, result))
    value = finish(backend, value, bound, ring.zero_for(result), result)
    indices = {}
    for label in sorted(chosen):
        index = backend.xp.ascontiguousarray(chosen[label]).astype(np.int64, copy=False)
        name = bound.names[label]
        if from_sublists and not name.startswith("..."):   # sublist labels are "s<int>"
            name = int(name[1:])
        indices[name] = finish(backend, index, bound, 0, np.int64)
    if entry is not None:
        return entry.argmax(plan, operands, arrays, value, indices)
    return value, indices
