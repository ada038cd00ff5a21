"""Semirings as data: each one is a record of kernels in a registry.

The planner is the same for every semiring (any pairwise order is valid for a
commutative semiring); only the step kernels and the identity used to fill
empty reductions differ.  ``real`` is the ordinary (+, *) einsum; ``log``,
``maxplus``, ``minplus`` and ``maxtimes`` are built from
:class:`~contract.semiring_kernels.SemiringOps` by :func:`make_semiring`.

>>> get_semiring("real").zero
0.0
>>> import numpy as np, contract as ct
>>> ct.einsum("ij,jk->ik", np.zeros((2, 3)), np.arange(6.).reshape(3, 2), semiring="maxplus")
array([[4., 5.],
       [4., 5.]])
"""
from dataclasses import dataclass
from functools import lru_cache, partial
from typing import Callable, Optional

import numpy as np

from contract import kernels
from contract import semiring_kernels as sk
from contract.errors import ContractError


@dataclass(frozen=True)
class Semiring:
    """An (add, multiply) pair, given by its step compilers and identities."""

    name: str
    compile_single: Callable     # (labels, out, sizes=None) -> Kernel
    compile_pair: Callable       # (la, lb, keep, sizes) -> Kernel
    compile_nary: Callable       # (terms, out) -> Kernel
    zero: float                  # identity of add: fills empty reductions, embeddings
    one: float                   # identity of multiply
    vjp: Optional[Callable] = None   # (plan, arrays, out, grad) -> grads; None: real rule
    ops: Optional[sk.SemiringOps] = None   # reduce / combine data of a non-real semiring

    def zero_for(self, dtype):
        """``zero`` as ``dtype`` holds it (integers: their extreme value for +-inf)."""
        dtype = np.dtype(dtype)
        if dtype.kind in "iub" and np.isinf(self.zero):
            if dtype.kind == "b":
                return self.zero > 0
            info = np.iinfo(dtype)
            return info.min if self.zero < 0 else info.max
        return self.zero


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


def make_semiring(ops: sk.SemiringOps, zero, one, vjp=None) -> Semiring:
    """A Semiring whose blocked kernels come from ``ops`` (register it to use it by name).

    >>> from contract.semiring_kernels import SemiringOps, MAXPLUS_OPS
    >>> make_semiring(MAXPLUS_OPS, zero=-np.inf, one=0.0).name
    'maxplus'
    """
    return Semiring(ops.name, partial(sk.compile_single, ops), partial(sk.compile_pair, ops),
                    partial(sk.compile_nary, ops), zero=zero, one=one, vjp=vjp, ops=ops)


def _vjp(kind):
    def vjp(plan, arrays, out, grad):
        from contract import semiring_grad
        return getattr(semiring_grad, kind)(plan, arrays, out, grad)
    vjp.__name__ = f"{kind}_vjp"
    return vjp


REAL = register_semiring(Semiring("real", kernels.compile_single, kernels.compile_pair,
                                  kernels.compile_nary, zero=0.0, one=1.0))
LOG = register_semiring(make_semiring(sk.LOG_OPS, -np.inf, 0.0, _vjp("log_vjp")))
MAXPLUS = register_semiring(make_semiring(sk.MAXPLUS_OPS, -np.inf, 0.0, _vjp("select_vjp")))
MINPLUS = register_semiring(make_semiring(sk.MINPLUS_OPS, np.inf, 0.0, _vjp("select_vjp")))
MAXTIMES = register_semiring(make_semiring(sk.MAXTIMES_OPS, 0.0, 1.0, _vjp("select_vjp")))


# -- argmax: the pairwise steps again, keeping back-pointers ---------------------------
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
            kernel = sk.compile_nary(ops, terms, out, track=True)
        program.append((positions, kernel.fn))
        work = rest + [kernel.out]
    return tuple(program), work[0]


def prepare_operands(plan, backend, arrays):
    """Operands as the steps see them: views (groups, squeeze, diagonals), cast."""
    dtypes = tuple(np.dtype(a.dtype) for a in arrays)
    casts, compute, result_cast, result = plan._policy(dtypes)
    ops = [backend.prepare(a, p) if not p.is_identity else a
           for a, p in zip(arrays, plan._bound.preps)]
    return [backend.cast(a, compute) if i in casts else a for i, a in enumerate(ops)], result


def run_tracked(plan, backend, arrays):
    """``(value over bound.output labels, {label: index array}, result dtype)``."""
    bound, xp = plan._bound, backend.xp
    ops, result = prepare_operands(plan, backend, arrays)
    shape = tuple(bound.sizes[x] for x in bound.output)
    if plan._empty:
        value = backend.full(shape, plan._semiring.zero_for(result), result)
        chosen = {x: xp.zeros(shape, dtype=np.intp) for x in range(len(bound.sizes))
                  if x not in bound.output}
        return value, chosen, result
    program, last = _tracked_program(plan)
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
    return value, backtrack(xp, pointers, bound.output, bound.sizes), result


def backtrack(xp, pointers, out_labels, sizes):
    """Walk back-pointers from the last step: each reduced label's choice per output."""
    shape = tuple(sizes[x] for x in out_labels)
    known = {}
    for p, x in enumerate(out_labels):
        known[x] = xp.arange(sizes[x]).reshape(tuple(-1 if q == p else 1
                                                     for q in range(len(shape))))
    for bp in reversed(pointers):
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
        out = backend.full(full_shape, fill, dtype)
        view = backend.xp.lib.stride_tricks.as_strided(
            out, shape=value.shape,
            strides=tuple(sum(out.strides[p] for p in axes) for axes in positions))
        view[...] = value
        value = out
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
    from contract.einsum import _as_equation, _to_arrays, cached_plan
    from contract.backends import backend_for
    ring = get_semiring(semiring)
    if ring.ops is None or ring.ops.select is None:
        raise ContractError(f"argmax=True needs a max or min semiring (maxplus, minplus, "
                            f"maxtimes); semiring {ring.name!r} has no argmax")
    equation, operands = _as_equation(list(args))
    from_sublists = not isinstance(args[0], str)
    arrays = _to_arrays([getattr(op, "_data", op) for op in operands])
    plan = cached_plan(equation, arrays, optimize, semiring, dtype, memory_limit, sizes)
    plan.check_shapes(arrays)
    backend = backend_for(arrays)
    value, chosen, result = run_tracked(plan, backend, arrays)
    bound = plan._bound
    value = finish(backend, backend.cast(value, result), bound, ring.zero_for(result), result)
    indices = {}
    for label in sorted(chosen):
        index = backend.xp.ascontiguousarray(chosen[label]).astype(np.int64, copy=False)
        name = bound.names[label]
        name = int(name[1:]) if from_sublists else name    # sublist labels are "s<int>"
        indices[name] = finish(backend, index, bound, 0, np.int64)
    from contract.tensor import Tensor
    if any(isinstance(op, Tensor) for op in operands):
        return _as_tensors(plan, ring, operands, arrays, value, indices)
    return value, indices


def _as_tensors(plan, ring, operands, arrays, value, indices):
    """Tensor operands: the values as one graph node whose VJP is the semiring's rule (no
    second contraction), the indices as Tensors without a gradient."""
    from contract.autograd import record
    from contract.tensor import Tensor

    def vjp(grad):
        grads = ring.vjp(plan, arrays, value, grad)
        return tuple(g if isinstance(op, Tensor) else None for g, op in zip(grads, operands))
    values = record("Einsum", value, tuple(operands), vjp)
    return values, {label: Tensor._wrap(index) for label, index in indices.items()}
