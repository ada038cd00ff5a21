"""The entry points: :func:`einsum` and :func:`plan`, over one plan cache.

A repeated ``einsum`` call with the same equation, shapes, dtypes and options
finds its Plan in a dict and runs it: no parsing, no path search, no string
building.

>>> import numpy as np, contract as ct
>>> float(ct.einsum("ij,jk->ik", np.ones((2, 3)), np.ones((3, 4))).sum())
24.0
"""
import numpy as np

from contract.errors import ContractError
from contract.equation import Equation
from contract.grammar import parse, parse_sublists
from contract.plan import Plan, build_plan
from contract.backends import backend_for

_NDARRAY = np.ndarray
_CACHE = {}
_CACHE_LIMIT = 8192
_OPERAND_HANDLERS = []   # (type, handler(plan, operands, options) -> result)


def _remember(key, found):
    """Store a plan; the cache is bounded (cleared whole when full: plans are cheap to rebuild)."""
    if len(_CACHE) >= _CACHE_LIMIT:
        _CACHE.clear()
    _CACHE[key] = found


def register_operand_type(kind, handler):
    """Route operands of ``kind`` (e.g. ct.Tensor) to ``handler(plan, operands, options)``."""
    _OPERAND_HANDLERS.append((kind, handler))


def _split_interleaved(args):
    """``(op0, sub0, op1, sub1, ..., [out])`` -> (Equation, operands)."""
    operands, sublists = list(args[0::2]), list(args[1::2])
    output = None
    if len(operands) == len(sublists) + 1:
        output = operands.pop()
    return parse_sublists(sublists, output), operands


def _as_equation(args):
    if not args:
        raise ContractError("einsum needs an equation (or interleaved operands and sublists)")
    if isinstance(args[0], str):
        return parse(args[0]), list(args[1:])
    return _split_interleaved(args)


def _key_part(value):
    """A hashable stand-in for an option value (dicts and paths by content)."""
    try:
        hash(value)
        return value
    except TypeError:
        pass
    try:
        part = (tuple(sorted(value.items())) if isinstance(value, dict)
                else tuple(tuple(step) for step in value))
        hash(part)
        return part
    except TypeError:
        return ("unhashable", id(value))


def _special(operands):
    for kind, handler in _OPERAND_HANDLERS:
        for op in operands:
            if isinstance(op, kind):
                return handler
    return None


def _to_arrays(operands):
    """Convert scalars and nested lists to NumPy; keep other array types."""
    return [_as_array(op, i) for i, op in enumerate(operands)]


def _as_array(op, i):
    """One operand as an array: NumPy-typed arrays (CuPy, Dask, ...) kept, the rest read by
    ``np.asarray`` as np.einsum reads them (np.matrix, lists, scalars, torch tensors)."""
    if isinstance(op, _NDARRAY) and type(op) is not _NDARRAY:
        return np.asarray(op)           # np.matrix, masked arrays: read as np.einsum does
    if hasattr(op, "shape") and hasattr(op, "dtype"):
        try:
            np.dtype(op.dtype)
            return op
        except TypeError:               # not a NumPy dtype (a torch tensor): read it below
            pass
    try:
        array = np.asarray(op)
    except (ValueError, TypeError, RuntimeError) as err:
        raise ContractError(f"operand {i} cannot be read as an array: {err}") from None
    if array.dtype == object:
        raise ContractError(f"operand {i} is not numeric (an object array from {type(op)})")
    return array


def cached_plan(equation, arrays, optimize, semiring, dtype, memory_limit, sizes, key=None):
    """The Plan for these operands, from the cache or freshly built."""
    shapes = tuple(tuple(a.shape) for a in arrays)
    dtypes = tuple(np.dtype(a.dtype) for a in arrays)
    if key is None:
        key = (equation, _key_part(optimize), _key_part(semiring), _key_part(dtype),
               _key_part(memory_limit), _key_part(sizes)) + shapes + dtypes
    found = _CACHE.get(key)
    if found is None:
        eq = parse(equation) if isinstance(equation, str) else equation
        found = build_plan(eq, shapes, dtypes, optimize, semiring, dtype, memory_limit, sizes)
        _remember(key, found)
    return found


def run_plan(plan: Plan, operands, options=None, out=None):
    """Run ``plan`` on any operands: arrays, scalars, lists, or registered types."""
    handler = _special(operands)
    if handler is not None:
        if out is not None:
            raise ContractError("out= takes arrays; with Tensor operands the result is a new "
                                "Tensor (assign it with t[...] = result)")
        return handler(plan, operands, options or {})
    arrays = _to_arrays(operands)
    plan.check_shapes(arrays)
    backend = backend_for(arrays)
    arrays = [backend.asarray(a) if not hasattr(a, "__array_namespace__") and
              not isinstance(a, _NDARRAY) else a for a in arrays]
    dtypes = tuple(np.dtype(a.dtype) for a in arrays)
    return plan.execute(backend, arrays, None if dtypes == plan.dtypes else dtypes, out=out)


def einsum(*args, optimize="auto", semiring="real", dtype=None, memory_limit=None,
           argmax=False, **sizes):
    """Evaluate an einsum equation (see API.md section 1).

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
    if out is None and not sizes and not argmax and args and type(args[0]) is str:
        # the cached-plan path: one dict lookup keyed as _einsum_slow keys its plans (two
        # operands, the common call, keyed without the loop: ~0.4 us of a 1.8 us call)
        try:
            if len(args) == 3 and type(args[1]) is _NDARRAY and type(args[2]) is _NDARRAY:
                a, b = args[1], args[2]
                found = _CACHE.get((args[0], optimize, semiring, dtype, memory_limit, None,
                                    a.shape, b.shape, a.dtype, b.dtype))
            else:
                ops = args[1:]
                key = (args[0], optimize, semiring, dtype, memory_limit, None)
                for op in ops:
                    if type(op) is not _NDARRAY:
                        raise TypeError
                    key += (op.shape,)
                for op in ops:
                    key += (op.dtype,)
                found = _CACHE.get(key)
        except TypeError:            # an unhashable option (a path list) or a non-array
            found = None
        if found is not None:
            return found.execute(_NUMPY, args[1:])
    return _einsum_slow(args, optimize, semiring, dtype, memory_limit, argmax, sizes, out)


def _is_out_array(value):
    """Whether an ``out=`` keyword is numpy's output argument (an array or None), not the
    size of a label named ``out`` (an int)."""
    return not isinstance(value, (int, np.integer))


def _einsum_slow(args, optimize, semiring, dtype, memory_limit, argmax, sizes, out=None):
    if argmax:
        from contract.semiring import einsum_argmax
        return einsum_argmax(args, optimize=optimize, semiring=semiring, dtype=dtype,
                             memory_limit=memory_limit, **sizes)
    if args and isinstance(args[0], str):
        equation, operands = args[0], list(args[1:])
    else:
        equation, operands = _as_equation(args)
    handler = _special(operands)
    arrays = operands if handler else _to_arrays(operands)
    key = None
    if isinstance(equation, str) and not sizes and all(type(a) is _NDARRAY for a in arrays):
        key = (equation, _key_part(optimize), _key_part(semiring), _key_part(dtype),
               _key_part(memory_limit), None) + tuple(
            a.shape for a in arrays) + tuple(a.dtype for a in arrays)
    found = cached_plan(equation, arrays, optimize, semiring, dtype, memory_limit, sizes, key)
    options = {"optimize": optimize, "semiring": semiring, "dtype": dtype}
    return run_plan(found, arrays if handler is None else operands, options, out=out)


def plan(equation, *operands_or_shapes, optimize="auto", semiring="real", dtype=None,
         memory_limit=None, **sizes) -> Plan:
    """Build (or fetch from the cache) the Plan for an equation and shapes.

    A tuple of ints is a shape; anything else is an operand (its shape and dtype).

    >>> import contract as ct
    >>> p = ct.plan("ij,jk->ik", (2, 3), (3, 4))
    >>> p.steps[0].kernel
    'gemm'
    """
    eq = equation if isinstance(equation, Equation) else parse(equation)
    shapes, dtypes = [], []
    for i, item in enumerate(operands_or_shapes):
        if isinstance(item, tuple) and all(isinstance(d, (int, np.integer)) for d in item):
            if any(d < 0 for d in item):
                raise ContractError(f"shape {item} of operand {i} has a negative size")
            shapes.append(tuple(int(d) for d in item))
            dtypes.append(None)
        else:
            arr = _as_array(item, i)
            shapes.append(tuple(arr.shape))
            dtypes.append(np.dtype(arr.dtype))
    if any(d is None for d in dtypes):
        dtypes = None
    key = (eq, _key_part(optimize), _key_part(semiring), _key_part(dtype),
           _key_part(memory_limit),
           _key_part(sizes), tuple(shapes), tuple(dtypes) if dtypes else None)
    found = _CACHE.get(key)
    if found is None:
        found = build_plan(eq, shapes, dtypes, optimize, semiring, dtype, memory_limit, sizes)
        _remember(key, found)
    return found


from contract.backends.numpy_backend import BACKEND as _NUMPY  # noqa: E402
