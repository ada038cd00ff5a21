"""Plans: an equation bound to shapes, a path, and compiled steps.

A :class:`Plan` is built once (parse, bind, path search, kernel choice) and
called many times; calling it does no parsing, no path search and no string
building.  ``ct.plan`` and ``ct.einsum`` share one cache of plans.

>>> import contract as ct
>>> p = ct.plan("ij,jk,kl->il", (2, 3), (3, 4), (4, 5))
>>> p.path, p.flops
(((0, 1), (0, 1)), 128)
"""
from dataclasses import dataclass, replace
from math import prod
from typing import NamedTuple, Optional, Tuple

import numpy as np

from contract.engine.bind import Bound, bind
from contract.backends.numpy_backend import BACKEND as _NUMPY
from contract.dtypes import as_dtype, policy
from contract.engine.describe import format_numpy_report, format_plan
from contract.engine.kernels.real import LETTERS, MAX_DIMS, reshape_view
from contract.engine.operands import run_plan
from contract.engine.overflow import OBJECT, Guard, exact_result, guard, on_objects
from contract.engine.paths import (PathResult, check_optimize, check_request, find_path,
                                   resolve_memory_limit)
from contract.engine.semirings import get_semiring
from contract.errors import ContractError, ShapeError


class Policy(NamedTuple):
    """The dtype policy of one call: which operands to cast, to what, and the result dtype."""

    casts: Tuple[int, ...]       # operand positions cast to ``compute``
    compute: np.dtype            # accumulation dtype
    result_cast: Optional[np.dtype]   # cast of the result, or None when it is ``compute``
    result: np.dtype
    guard: Optional[Guard] = None     # integer overflow check per call (overflow.py)


def make_policy(dtypes, reduces, dtype, ring, terms) -> Policy:
    """The dtype policy of an einsum over operands of ``dtypes`` in semiring ``ring``
    (``terms``: how many terms one result element gathers; ``dtype``: the ``dtype=`` asked).

    >>> from contract.engine.semirings import get_semiring
    >>> make_policy((np.dtype("int32"),), True, None, get_semiring("log"), 4).result
    dtype('float64')
    """
    compute, result = policy(dtypes, reduces, dtype, ring.integer_add)
    if compute.kind == "c" and ring.ordered:
        raise ContractError(f"semiring {ring.name!r} orders values; complex "
                            f"operands ({', '.join(map(str, dtypes))}) have no order")
    casts = tuple(i for i, d in enumerate(dtypes) if d != compute)
    # numpy's sum widens small ints (int8 -> int64): cast back to a dtype= override
    widened = compute.kind in "biu" and compute.itemsize < 8
    return Policy(casts, compute, None if compute == result and not widened else result,
                  result, guard(ring.int_bound, dtypes, compute, terms, dtype is not None))


class StepTrace(NamedTuple):
    """What autograd keeps of one executed step: its input arrays and its output."""

    inputs: list
    output: object


@dataclass(frozen=True)
class Step:
    """One entry of the path: which operands meet, how, and what comes out.

    A plan's ``steps`` hold one per path entry (``str(plan)`` prints them as a table).

    >>> import contract as ct
    >>> step = ct.plan("ij,jk,kl->il", (2, 3), (3, 4), (4, 5)).steps[0]
    >>> step.operands, step.equation, step.kernel, step.output_shape, step.flops
    ((0, 1), 'ij,jk->ki', 'gemm', (4, 2), 48)
    """

    operands: Tuple[int, ...]            # positions in the working list (opt_einsum linear)
    inputs: Tuple[Tuple[int, ...], ...]  # integer labels of each operand
    output: Tuple[int, ...]              # integer labels of the result, in memory order
    equation: str                        # the step as einsum text (for reading)
    kernel: str                          # gemm, bmm, mul, einsum, sum, transpose, view, ...
    flops: int                           # opt_einsum's cost convention
    output_shape: Tuple[int, ...]

    @property
    def output_size(self) -> int:
        """The number of elements the step produces.

        >>> import contract as ct
        >>> ct.plan("ij,jk,kl->il", (2, 3), (3, 4), (4, 5)).steps[0].output_size
        8
        """
        return prod(self.output_shape)


def _step_flops(terms, out, sizes):
    labels = set().union(*map(set, terms))
    inner = bool(labels - set(out))
    return prod(sizes[x] for x in labels) * (max(1, len(terms) - 1) + inner)


def _display_names(bound: Bound):
    plain = [n for n in bound.names if not n.startswith("...")]
    spare = [c for c in LETTERS[::-1] + "".join(map(chr, range(0x3b1, 0x3ca))) if c not in plain]
    if all(len(n) == 1 for n in plain) and len(bound.names) - len(plain) <= len(spare):
        spare = iter(spare)
        return [n if not n.startswith("...") else next(spare) for n in bound.names], ""
    return [n.replace("...", "…") for n in bound.names], " "


def _step_text(terms, out, names, sep):
    def word(t):
        return sep.join(names[x] for x in t)
    return (", " if sep else ",").join(map(word, terms)) + (" -> " if sep else "->") + word(out)


def _fresh_scalar(kernel):
    """A 0-d operand's own kernel (``"->"``) would hand the operand back: copy it, as
    ``numpy.einsum`` returns a new scalar (writing into the result must not change it)."""
    inner = kernel.fn
    return replace(kernel, fn=lambda xp, a: inner(xp, a).copy())


def _check_dims(labels, where):
    """ShapeError when an array of ``labels`` would pass NumPy's (and CuPy's) dimension limit."""
    if len(labels) > MAX_DIMS:
        raise ShapeError(f"{where()} would make an array of {len(labels)} dimensions; arrays "
                         f"hold at most {MAX_DIMS} (sum labels away earlier, or merge axes)")


def compile_steps(bound: Bound, path, semiring):
    """Kernels and Step records for ``path``, the final label order, and whether the last
    kernel can write into a given array (``out=``)."""
    names, sep = _display_names(bound)
    work = [tuple(t) for t in bound.terms]
    steps, program = [], []
    for positions in path:
        positions = tuple(sorted(positions))
        terms = [work[p] for p in positions]
        rest = [t for k, t in enumerate(work) if k not in positions]
        keep = set(bound.output).union(*map(set, rest))
        if len(terms) == 1:
            kernel = semiring.compile_single(terms[0], tuple(x for x in terms[0] if x in keep),
                                             sizes=bound.sizes)
            if not terms[0]:
                kernel = _fresh_scalar(kernel)
        elif len(terms) == 2:
            want = bound.output if not rest else None     # the last step may write into out=
            kernel = semiring.pair_kernel(terms[0], terms[1], keep, bound.sizes, want)
        else:
            out = tuple(dict.fromkeys(x for t in terms for x in t if x in keep))
            kernel = semiring.compile_nary(terms, out)
        _check_dims(kernel.out,
                    lambda: f"step {len(steps)} ({_step_text(terms, kernel.out, names, sep)})")
        steps.append(Step(positions, tuple(terms), kernel.out,
                          _step_text(terms, kernel.out, names, sep), kernel.name,
                          _step_flops(terms, kernel.out, bound.sizes),
                          tuple(bound.sizes[x] for x in kernel.out)))
        program.append((positions, kernel.fn))
        work = rest + [kernel.out]
    return tuple(steps), tuple(program), work[0], kernel.writes


class Plan:
    """A compiled contraction: build once with :func:`contract.engine.plan`, call many times.

    >>> import numpy as np, contract as ct
    >>> p = ct.plan("ij,jk,kl->il", (2, 3), (3, 4), (4, 5))
    >>> p
    <Plan 'ij,jk,kl->il' shapes=[(2, 3), (3, 4), (4, 5)] steps=2 flops=128>
    >>> p.path, p.flops, p.largest_intermediate, p.output_shape
    (((0, 1), (0, 1)), 128, 10, (2, 5))
    >>> p(np.ones((2, 3)), np.ones((3, 4)), np.ones((4, 5)))[0]
    array([12., 12., 12., 12., 12.])
    """

    #: ``memory_limit`` it was built with, and the (cached) plan without it when the limit
    #: forced a costlier path (``str(plan)`` says so)
    memory_limit: Optional[int] = None
    unlimited: Optional["Plan"] = None

    def __init__(self, equation, bound: Bound, found: PathResult, shapes, semiring, dtype,
                 optimize):
        self.equation = equation.text
        self.shapes = tuple(shapes)
        self.semiring = semiring.name
        self.optimize = optimize
        self.path = found.path
        self.flops = found.flops
        self._bound = bound
        self._semiring = semiring
        self._dtype = dtype
        self._n = len(shapes)
        self.steps, self._program, last, writes = compile_steps(bound, found.path, semiring)
        self.largest_intermediate = max([s.output_size for s in self.steps], default=0)
        self.output_shape = bound.final_shape
        self._final = _final_recipe(bound, last, semiring)
        self._out_view = _out_view_recipe(bound, last) if writes else None
        labels = set(x for t in bound.terms for x in t)
        self._reduces = self._n > 1 or labels != set(bound.output)
        self.terms = prod(bound.sizes[x] for x in labels - set(bound.output))
        self._policies = {}
        self._last_policy = ((), None)
        self.ran_exact = False           # an integer call ran on Python ints (overflow.py)
        self._empty = 0 in bound.sizes
        self._prepared = tuple(i for i, p in enumerate(bound.preps) if not p.is_identity)

    # -- running -----------------------------------------------------------------
    def __call__(self, *operands, out=None):
        """Run the plan on operands of the shapes it was built for.

        ``out``: an array (of the operands' array type, the result's shape, a dtype
        the result casts to safely) to write the result into; it is returned.

        >>> import numpy as np, contract as ct
        >>> p, c = ct.plan("ij,jk->ik", (2, 3), (3, 4)), np.empty((2, 4))
        >>> p(np.ones((2, 3)), np.ones((3, 4)), out=c) is c, float(c[0, 0])
        (True, 3.0)
        """
        if len(operands) != self._n:
            raise ContractError(f"this plan takes {self._n} operands, got {len(operands)}")
        for op, shape in zip(operands, self.shapes):
            if type(op) is not np.ndarray or op.shape != shape:
                return run_plan(self, operands, out=out)
        return self.execute(_NUMPY, operands, tuple([op.dtype for op in operands]), out=out)

    def _policy(self, dtypes):
        """The dtype policy for operands of ``dtypes`` (a tuple), computed once per tuple."""
        found = self._policies.get(dtypes)
        if found is None:
            found = make_policy(tuple(np.dtype(d) for d in dtypes), self._reduces, self._dtype,
                                self._semiring, self.terms)
            self._policies[dtypes] = found        # keyed as execute() looks it up
        return found

    def check_shapes(self, arrays):
        """Raise ShapeError unless ``arrays`` have the shapes this plan was built for.

        >>> import numpy as np, contract as ct
        >>> p = ct.plan("ij,jk->ik", (2, 3), (3, 4))
        >>> p.check_shapes([np.ones((2, 3)), np.ones((3, 5))])
        Traceback (most recent call last):
            ...
        contract.errors.ShapeError: operand 1 has shape (3, 5) but this plan was built for (3, 4); build a new plan (or call ct.einsum)
        """
        for i, (a, shape) in enumerate(zip(arrays, self.shapes)):
            if tuple(a.shape) != shape:
                raise ShapeError(f"operand {i} has shape {tuple(a.shape)} but this plan was "
                                 f"built for {shape}; build a new plan (or call ct.einsum)")

    def execute(self, backend, arrays, dtypes=None, trace=None, out=None):
        """Run on backend arrays (shapes already checked); returns a backend array.

        ``dtypes``: the operands' dtypes as a tuple (read from ``arrays`` when None).

        With ``trace`` (a dict), records what autograd needs: ``prepared`` (the
        operands after views and casts), ``steps`` (per step: its input arrays
        and output array) and ``last`` (the result before the final recipe).
        With ``out``, the result is written into that array (see ``__call__``).

        >>> import numpy as np, contract as ct
        >>> from contract.backends import backend_for
        >>> p = ct.plan("ij,jk->ik", (2, 3), (3, 4))
        >>> a, b = np.ones((2, 3)), np.ones((3, 4))
        >>> trace = {}
        >>> p.execute(backend_for([a, b]), [a, b], trace=trace)[0], sorted(trace)
        (array([3., 3., 3., 3.]), ['last', 'prepared', 'steps'])
        """
        if dtypes is None:
            dtypes = tuple([a.dtype for a in arrays])
        last = self._last_policy          # (dtypes, Policy) of the latest call: no hashing
        if dtypes == last[0]:
            pol = last[1]
        else:
            pol = self._policy(dtypes)
            self._last_policy = (dtypes, pol)
        casts, compute, result_cast, result, check = pol
        if out is not None:
            check_out(out, self.output_shape, result, backend)
        if self._empty:
            if out is not None:
                out[...] = self._semiring.zero_for(result)
                return out
            return backend.full(self.output_shape, self._semiring.zero_for(result), result)
        ops = list(arrays)
        for i in self._prepared:
            ops[i] = backend.prepare(ops[i], self._bound.preps[i])
        if check is not None and check.exceeded(backend, arrays):
            return self._execute_exact(backend, ops, result, out)
        for i in casts:
            ops[i] = backend.cast(ops[i], compute)
        if trace is not None:
            return self._execute_traced(backend, ops, pol, trace)
        if out is not None:
            return self._execute_into(backend, ops, pol, out, arrays)
        value = _run(backend.xp, ops, self._program)
        if self._final is not None:
            value = self._final(backend, value, compute)
        return value if result_cast is None else backend.cast(value, result_cast)

    def _execute_exact(self, backend, ops, result, out):
        """Run on Python ints (object arrays): an integer result that int64 arithmetic could
        get wrong; returned in ``result`` when it fits (else ContractError)."""
        self.ran_exact = True            # str(plan) says so
        ops = [backend.cast(op, OBJECT) for op in ops]
        value = _run(backend.xp, ops, on_objects(self._program))
        if self._final is not None:
            value = self._final(backend, value, OBJECT)
        value = exact_result(backend.xp.asarray(value), result, self.equation)
        if out is None:
            return value
        out[...] = value
        return out

    def _execute_into(self, backend, ops, pol, out, arrays):
        """Run with the result written into ``out``: the last kernel writes it directly
        when it can (a GEMM into a view of ``out``), else the result is copied in."""
        xp, compute, result_cast = backend.xp, pol.compute, pol.result_cast
        target = None
        if (self._out_view is not None and result_cast is None and out.dtype == compute
                and not any(xp.may_share_memory(out, a) for a in arrays)):
            target = self._out_view(xp, out)
        if target is None:
            value = _run(xp, ops, self._program)
            if self._final is not None:
                value = self._final(backend, value, compute)
            out[...] = value if result_cast is None else backend.cast(value, result_cast)
            return out
        positions, fn = self._program[-1]
        ops = _run(xp, ops, self._program[:-1], whole=True)
        fn(xp, *(ops[p] for p in positions), out=target)
        return out

    def _execute_traced(self, backend, ops, pol, trace):
        compute, result_cast = pol.compute, pol.result_cast
        trace["prepared"] = list(ops)
        trace["steps"] = steps = []
        for positions, fn in self._program:
            args = [ops[p] for p in positions]
            ops = [o for k, o in enumerate(ops) if k not in positions]
            ops.append(fn(backend.xp, *args))
            steps.append(StepTrace(args, ops[-1]))
        trace["last"] = out = ops[0]
        if self._final is not None:
            out = self._final(backend, out, compute)
        return out if result_cast is None else backend.cast(out, result_cast)

    # -- reading -----------------------------------------------------------------
    def __repr__(self):
        return (f"<Plan {self.equation!r} shapes={list(self.shapes)} steps={len(self.steps)} "
                f"flops={self.flops}>")

    def __str__(self):
        return format_plan(self)

    def numpy_report(self) -> str:
        """The report ``numpy.einsum_path`` prints, for this plan's path (``ct.einsum_path``).

        >>> import contract as ct
        >>> print(ct.plan("ij,jk->ik", (2, 3), (3, 4)).numpy_report().splitlines()[0])
          Complete contraction:  ij,jk->ik
        """
        bound = self._bound
        names, sep = _display_names(bound)
        work = [tuple(t) for t in bound.terms]
        rows = []
        for k, step in enumerate(self.steps):
            last = k == len(self.steps) - 1       # numpy's last step writes the output order
            out = bound.output if last else step.output
            work = [t for j, t in enumerate(work) if j not in step.operands] + [out]
            rows.append((len(set().union(*map(set, step.inputs))),
                         _step_text(step.inputs, out, names, sep),
                         _step_text(work, bound.output, names, sep)))
        return format_numpy_report(self, len(bound.sizes), self.naive_flops, rows)

    @property
    def naive_flops(self) -> int:
        """FLOPs of contracting everything in one step (opt_einsum's naive cost).

        >>> import contract as ct
        >>> ct.plan("ij,jk,kl->il", (2, 3), (3, 4), (4, 5)).naive_flops
        360
        """
        bound = self._bound
        return _step_flops(bound.terms, bound.output, bound.sizes) if bound.terms else 0


def _run(xp, ops, program, whole=False):
    """Run ``program``'s kernels over the working list ``ops``; the result (or, with
    ``whole``, the working list left)."""
    for positions, fn in program:
        if len(positions) == 2:
            i, j = positions
            a, b = ops[i], ops[j]
            del ops[j], ops[i]
            ops.append(fn(xp, a, b))
        elif len(ops) == 1:              # single-operand plans (every reduction)
            ops[0] = fn(xp, ops[0])
        else:
            args = [ops[p] for p in positions]
            ops = [o for k, o in enumerate(ops) if k not in positions] + [fn(xp, *args)]
    return ops if whole else ops[0]


def check_out(out, shape, result, backend):
    """Raise unless ``out`` can take a result of ``shape`` and dtype ``result`` (numpy's
    einsum rules: same shape, a safe cast, writable, the operands' array type)."""
    if backend.name not in ("numpy", "cupy") or not isinstance(out, backend.xp.ndarray):
        raise ContractError(f"out must be a NumPy or CuPy array of the operands' kind "
                            f"({backend.name}), got {type(out).__module__}.{type(out).__name__}")
    if tuple(out.shape) != tuple(shape):
        raise ShapeError(f"out has shape {tuple(out.shape)}, the result has shape {tuple(shape)}")
    if out.dtype.kind not in "biufc":
        raise ContractError(f"out must have a numeric dtype, got {out.dtype}")
    if not np.can_cast(result, out.dtype, "safe"):
        raise ContractError(f"out has dtype {out.dtype}; the result is {result}, which does "
                            f"not cast to it safely")
    if not getattr(out.flags, "writeable", True):     # CuPy arrays have no such flag
        raise ContractError("out is read-only")


def _out_view_recipe(bound: Bound, last):
    """How to see ``out`` as the last kernel's output (labels ``last``): a view through
    the final recipe's merge and transpose, or None (a diagonal embedding, or a layout
    that only a copy reaches: the result is then copied in)."""
    if bound.embeds_diagonal:
        return None
    full_shape = tuple(bound.sizes[x] for x in bound.output_full)
    inverse = tuple(bound.output.index(x) for x in last)
    inverse = None if inverse == tuple(range(len(inverse))) else inverse

    def view(xp, out):
        full = out if tuple(out.shape) == full_shape else reshape_view(xp, out, full_shape)
        if full is None or inverse is None:
            return full
        return full.transpose(inverse)
    return view


def _final_recipe(bound: Bound, last, semiring=None):
    """Transpose to output order, embed diagonals (off-diagonal: the semiring's zero),
    merge output groups."""
    perm = tuple(last.index(x) for x in bound.output)
    perm = None if perm == tuple(range(len(perm))) else perm
    embed = bound.embeds_diagonal
    full_shape = tuple(bound.sizes[x] for x in bound.output_full)
    positions = tuple(tuple(k for k, y in enumerate(bound.output_full) if y == x)
                      for x in bound.output)
    merge = bound.final_shape != full_shape
    if perm is None and not embed and not merge:
        return None

    def final(backend, out, dtype):
        if perm is not None:
            out = out.transpose(perm)
        if embed:
            fill = 0 if semiring is None else semiring.zero_for(dtype)
            out = backend.embed_diagonal(out, full_shape, positions, dtype, fill)
        if merge:
            out = out.reshape(bound.final_shape)
        return out
    return final


def build_plan(equation, shapes, optimize="auto", semiring="real", dtype=None,
               memory_limit=None, sizes=None) -> Plan:
    """Bind, search a path and compile (no cache: ``ct.plan`` and
    :func:`contract.engine.cache.cached_plan` keep the plans)."""
    ring = get_semiring(semiring)
    optimize = check_optimize(optimize)
    memory_limit = resolve_memory_limit(memory_limit, shapes)
    bound = bind(equation, shapes, sizes or {})
    _check_dims(bound.output_full, lambda: "the output")
    if 0 in bound.sizes or len(bound.terms) == 1:
        n = len(bound.terms)
        path = ((0,),) if n == 1 else tuple((0, 1) for _ in range(n - 1))
        check_request(optimize, n, memory_limit)
        if isinstance(optimize, tuple) and n > 1:
            path = optimize
        flops = 0 if 0 in bound.sizes else _step_flops(bound.terms, bound.output, bound.sizes)
        found = PathResult(path, flops, 0)
    else:
        found = find_path(bound.terms, bound.output, bound.sizes, optimize, memory_limit)
    if dtype is not None:
        dtype = as_dtype(dtype, torch_names=False)
    plan = Plan(equation, bound, found, shapes, ring, dtype, optimize)
    plan.memory_limit = memory_limit      # the plan cache sets .unlimited when it is cheaper
    return plan

