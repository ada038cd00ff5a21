"""The entry points :func:`einsum` and :func:`plan`, over the one plan cache.

A repeated ``einsum`` call with the same equation, shapes and options finds its
Plan in the cache (:mod:`contract.engine.cache`) and runs it: no parsing, no
path search, no string building.

>>> import numpy as np, contract as ct
>>> float(ct.einsum("ij,jk->ik", np.ones((2, 3)), np.ones((3, 4))).sum())
24.0
"""
import numpy as np

from contract.backends.numpy_backend import BACKEND as _NUMPY
from contract.engine.argmax import einsum_argmax
from contract.engine.cache import cached_plan, lookup
from contract.engine.operands import (as_array, run_plan, special_type,
                                      split_arguments, to_arrays)
from contract.backends import backend_for
from contract.engine.plan import Plan, check_out
from contract.engine.slicing import SlicedPlan, fitting_plan
from contract.errors import ContractError

_NDARRAY = np.ndarray


def einsum(*args, optimize="auto", semiring="real", dtype=None, memory_limit=None,
           argmax=False, **sizes):
    """Evaluate an einsum equation (README: "The equation language", "Semirings and argmax").

    ``out=array`` writes the result into that array, as in ``numpy.einsum`` (same
    shape, a dtype the result casts to safely); an int ``out=`` is the size of a
    label named ``out``.

    >>> import numpy as np, contract as ct
    >>> ct.einsum("ii->i", np.arange(9.).reshape(3, 3))
    array([0., 4., 8.])
    >>> ct.einsum("b (h p) -> b h", np.arange(8.).reshape(2, 4), p=2)
    array([[ 1.,  5.],
           [ 9., 13.]])
    >>> c = np.zeros(2); ct.einsum("ij->i", np.ones((2, 3)), out=c) is c, c
    (True, array([3., 3.]))
    """
    out = None
    if sizes and "out" in sizes and _is_out_array(sizes["out"]):
        out = sizes.pop("out")           # numpy's out= (None: its default), not a label size
        if out is not None and argmax:
            raise ContractError("out= is not supported with argmax=True")
    if (out is None and not sizes and not argmax and args and type(args[0]) is str
            and type(optimize) is str and memory_limit is None):
        found = _cached_call(args, optimize, semiring, dtype, memory_limit)
        if found is not None:
            return found
    return _einsum_slow(args, optimize, semiring, dtype, memory_limit, argmax, sizes, out)


def _cached_call(args, optimize, semiring, dtype, memory_limit):
    """The cached-plan path for NumPy operands, keyed as :func:`~contract.engine.cache.plan_key`
    keys plain options; None when an operand is not a NumPy array (or an option unhashable)."""
    ops = args[1:]
    key = (args[0], optimize, semiring, dtype, memory_limit, None)
    dtypes = ()
    for op in ops:
        if type(op) is not _NDARRAY:
            return None
        key += (op.shape,)
        dtypes += (op.dtype,)
    try:
        found = lookup(key)
    except TypeError:            # an unhashable semiring or dtype: the general path
        return None
    return found.execute(_NUMPY, ops, dtypes)


def _is_out_array(value):
    """Whether an ``out=`` keyword is numpy's output argument (an array or None), not the
    size of a label named ``out`` (an int)."""
    return not isinstance(value, (int, np.integer))


def _einsum_slow(args, optimize, semiring, dtype, memory_limit, argmax, sizes, out=None):
    if argmax:
        return einsum_argmax(args, optimize=optimize, semiring=semiring, dtype=dtype,
                             memory_limit=memory_limit, **sizes)
    equation, operands = split_arguments(args)
    entry = special_type(operands)
    arrays = ([entry.array(op) if isinstance(op, entry.kind) else op for op in operands]
              if entry else to_arrays(operands))
    shapes = [np.shape(a) for a in arrays]
    if memory_limit is None:
        found = cached_plan(equation, shapes, optimize, semiring, dtype, None, sizes)
    else:
        found = fitting_plan(equation, shapes, optimize, semiring, dtype, memory_limit, sizes)
        if isinstance(found, SlicedPlan):
            return _run_sliced(found, arrays if entry is None else operands, out)
    options = {"optimize": optimize, "semiring": semiring, "dtype": dtype}
    return run_plan(found, arrays if entry is None else operands, options, out=out)


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
        if isinstance(item, tuple) and all(isinstance(d, (int, np.integer)) for d in item):
            if any(d < 0 for d in item):
                raise ContractError(f"shape {item} of operand {i} has a negative size")
            shapes.append(tuple(int(d) for d in item))
        else:
            entry = special_type([item])
            array = as_array(entry.array(item) if entry else item, i)
            shapes.append(tuple(array.shape))
            dtypes.append(np.dtype(array.dtype))
    if memory_limit is None:
        found = cached_plan(equation, shapes, optimize, semiring, dtype, None, sizes)
    else:
        found = fitting_plan(equation, shapes, optimize, semiring, dtype, memory_limit, sizes)
        if isinstance(found, SlicedPlan):
            return found
    if len(dtypes) == len(shapes):
        found._policy(tuple(dtypes))     # operands given: refuse a dtype= they cannot take now
    return found
