"""The entry points :func:`einsum` and :func:`plan`, over the one plan cache.

A repeated ``einsum`` call with the same equation, shapes and options finds its
Plan in the cache (:mod:`contract.engine.cache`) and runs it: no parsing, no
path search, no string building.

>>> import numpy as np, contract as ct
>>> float(ct.einsum("ij,jk->ik", np.ones((2, 3)), np.ones((3, 4))).sum())
24.0
"""
import numpy as np

from contract.backends import backend_for
from contract.backends.numpy_backend import BACKEND as _NUMPY
from contract.engine.argmax import einsum_argmax
from contract.engine.cache import lookup
from contract.engine.operands import (as_array, run_arrays, run_plan, special_type,
                                      split_arguments, to_arrays)
from contract.engine.numpy_options import check_casting, copy_into, numpy_keywords, ordered
from contract.engine.plan import Plan, check_out
from contract.engine.slicing import SlicedPlan, fitting_plan
from contract.errors import ContractError
from contract.grammar.equation import Equation

_NDARRAY = np.ndarray
_PLAIN = (str, type(None))
_EQUATIONS = (str, Equation)          # text, or a parsed Equation (ct.rearrange and kin)


def einsum(*args, optimize="auto", semiring="real", dtype=None, memory_limit=None,
           argmax=False, **sizes):
    """Evaluate an einsum equation (README: "The equation language", "Semirings and argmax").

    ``out=array`` writes the result into that array, as in ``numpy.einsum`` (same
    shape, a dtype the result casts to safely); an int ``out=`` is the size of a
    label named ``out``.  numpy's ``order=`` and ``casting=`` are honoured too
    (:mod:`contract.engine.numpy_options`).

    >>> import numpy as np, contract as ct
    >>> ct.einsum("ii->i", np.arange(9.).reshape(3, 3))
    array([0., 4., 8.])
    >>> ct.einsum("b (h p) -> b h", np.arange(8.).reshape(2, 4), p=2)
    array([[ 1.,  5.],
           [ 9., 13.]])
    >>> c = np.zeros(2); ct.einsum("ij->i", np.ones((2, 3)), out=c) is c, c
    (True, array([3., 3.]))
    >>> ct.einsum("ij,jk->ik", np.ones((2, 3)), np.ones((3, 2)), order="F").flags.f_contiguous
    True
    """
    out = order = casting = None
    if sizes:
        out, order, casting = numpy_keywords(sizes)
        if out is not None and argmax:
            raise ContractError("out= is not supported with argmax=True")
    if (out is None and not sizes and not argmax and args and type(args[0]) in _EQUATIONS
            and type(optimize) is str and memory_limit is None and order is None
            and casting is None and type(dtype) in _PLAIN and type(semiring) in _PLAIN):
        found = _cached_call(args, optimize, semiring, dtype)
        if found is not None:
            return found
    return _einsum_slow(args, optimize, semiring, dtype, memory_limit, argmax, sizes, out,
                        order, casting)


def _cached_call(args, optimize, semiring, dtype):
    """The cached-plan path for NumPy operands and plain (str / None) options, keyed as
    :func:`~contract.engine.cache.plan_key` keys them; None when an operand is not a NumPy
    array."""
    ops = args[1:]
    if len(ops) == 2:                    # the common call, keyed without a loop
        a, b = ops
        if type(a) is not _NDARRAY or type(b) is not _NDARRAY:
            return None
        key = (args[0], optimize, semiring, dtype, None, None, a.shape, b.shape)
        dtypes = (a.dtype, b.dtype)
    else:
        key = (args[0], optimize, semiring, dtype, None, None)
        dtypes = ()
        for op in ops:
            if type(op) is not _NDARRAY:
                return None
            key += (op.shape,)
            dtypes += (op.dtype,)
    return lookup(key).execute(_NUMPY, ops, dtypes)


def _einsum_slow(args, optimize, semiring, dtype, memory_limit, argmax, sizes, out=None,
                 order=None, casting=None):
    if argmax:
        if casting is not None:
            _, operands = split_arguments(args)
            check_casting(casting, [np.dtype(a.dtype) for a in to_arrays(operands)], dtype)
        found = einsum_argmax(args, optimize=optimize, semiring=semiring, dtype=dtype,
                              memory_limit=memory_limit, **sizes)
        return (ordered(found[0], order, []), found[1]) if order else found
    equation, operands = split_arguments(args)
    entry = special_type(operands)
    arrays = ([entry.array(op) if isinstance(op, entry.kind) else op for op in operands]
              if entry else to_arrays(operands))
    shapes = [np.shape(a) for a in arrays]
    if casting is not None:
        check_casting(casting, [np.dtype(a.dtype) for a in arrays], dtype)
    found = fitting_plan(equation, shapes, optimize, semiring, dtype, memory_limit, sizes)
    if isinstance(found, SlicedPlan):
        return _run_sliced(found, arrays if entry is None else operands, out)
    if entry is not None:
        if out is not None and casting not in (None, "safe"):
            raise ContractError(f"out must be an array of the operands' kind ({entry.kind.__name__}"
                                f" operands give a new {entry.kind.__name__}), got "
                                f"{type(out).__name__}")
        options = {"optimize": optimize, "semiring": semiring, "dtype": dtype}
        return ordered(run_plan(found, operands, options, out=out), order, arrays)
    if out is None or casting in (None, "safe"):
        value = run_arrays(found, arrays, out)
        return value if out is not None else ordered(value, order, arrays)
    if not isinstance(out, backend_for(arrays).xp.ndarray):
        raise ContractError(f"out must be an array of the operands' kind, got "
                            f"{type(out).__name__}")
    return copy_into(out, run_arrays(found, arrays), casting)


def einsum_path(*args, optimize="greedy", memory_limit=None, **sizes):
    """``numpy.einsum_path``: the ``(path, report)`` pair for the plan ``ct.einsum`` would
    run, the path in numpy's form (``["einsum_path", (0, 1), ...]``, which ``optimize=``
    of ``ct.einsum`` and ``numpy.einsum`` take back).

    ``optimize``: any of ``ct.einsum``'s, ``True`` (``"greedy"``) or numpy's
    ``(name, memory_limit)`` pair.

    >>> import numpy as np, contract as ct
    >>> a, b, c = np.ones((2, 3)), np.ones((3, 4)), np.ones((4, 5))
    >>> path, report = ct.einsum_path("ij,jk,kl->il", a, b, c)
    >>> path
    ['einsum_path', (1, 2), (0, 1)]
    >>> print(report.splitlines()[0])
      Complete contraction:  ij,jk,kl->il
    >>> ct.einsum("ij,jk,kl->il", a, b, c, optimize=path).shape
    (2, 5)
    """
    if optimize is True:
        optimize = "greedy"
    if (isinstance(optimize, (tuple, list)) and len(optimize) == 2
            and isinstance(optimize[0], str) and optimize[0] != "einsum_path"):
        optimize, memory_limit = optimize[0], int(optimize[1])
    equation, operands = split_arguments(args)
    found = plan(equation, *[_operand_or_array(op, i) for i, op in enumerate(operands)],
                 optimize=optimize, memory_limit=memory_limit, **sizes)
    return ["einsum_path"] + [tuple(step) for step in found.path], found.numpy_report()


def _operand_or_array(op, i):
    """An operand for :func:`plan`: a registered type or an array (a tuple operand, which
    ``plan`` would read as a shape, becomes an array as numpy reads it)."""
    return op if special_type([op]) else as_array(op, i)


def _check_not_a_shape(item, i):
    """Refuse what looks like a mistyped shape (``"3x4"``, ``(3, 4.0)``) instead of reading
    it as an array."""
    if isinstance(item, str):
        raise ContractError(f"operand {i} of ct.plan is the str {item!r}; give a shape as a "
                            f"tuple of ints, e.g. (3, 4), or an array")
    if isinstance(item, tuple) and item and all(isinstance(d, (int, float, np.number))
                                                 for d in item):
        bad = next(d for d in item if isinstance(d, bool) or not isinstance(d, (int, np.integer)))
        raise ContractError(f"shape {item} of operand {i} has a size that is not an int "
                            f"({bad!r}); a tuple of numbers is a shape (pass np.array(...) "
                            f"for an array operand)")


def _run_sliced(sliced_plan, operands, out):
    """An automatically sliced einsum (no path fits ``memory_limit``)."""
    result = sliced_plan(*operands)
    if out is None:
        return result
    if special_type(operands) is not None:
        raise ContractError("out= takes arrays; with Tensor operands the result is a new "
                            "Tensor (assign it with t[...] = result)")
    dtype = np.result_type(result)
    check_out(out, sliced_plan.output_shape, dtype, _NUMPY if isinstance(out, _NDARRAY)
              else backend_for([out]))
    out[...] = result
    return out


def plan(equation, *operands_or_shapes, optimize="auto", semiring="real", dtype=None,
         memory_limit=None, **sizes) -> Plan:
    """Build (or fetch from the cache) the Plan for an equation and shapes.

    A tuple of ints is a shape; anything else is an operand (its shape is used).
    ``memory_limit`` (elements, or ``"max_input"``) bounds every array: when no path
    fits it, the result is a :class:`~contract.engine.slicing.SlicedPlan` (called the
    same way; its text says it was sliced automatically).

    >>> import contract as ct
    >>> p = ct.plan("ij,jk->ik", (2, 3), (3, 4))
    >>> p.steps[0].kernel
    'gemm'
    """
    shapes, dtypes = [], []
    for i, item in enumerate(operands_or_shapes):
        if isinstance(item, tuple) and all(isinstance(d, (int, np.integer))
                                           and not isinstance(d, bool) for d in item):
            if any(d < 0 for d in item):
                raise ContractError(f"shape {item} of operand {i} has a negative size")
            shapes.append(tuple(int(d) for d in item))
        else:
            _check_not_a_shape(item, i)
            entry = special_type([item])
            array = as_array(entry.array(item) if entry else item, i)
            shapes.append(tuple(array.shape))
            dtypes.append(np.dtype(array.dtype))
    found = fitting_plan(equation, shapes, optimize, semiring, dtype, memory_limit, sizes)
    if isinstance(found, SlicedPlan):
        return found
    if len(dtypes) == len(shapes):
        found._policy(tuple(dtypes))     # operands given: refuse a dtype= they cannot take now
    return found
