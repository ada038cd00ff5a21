"""Operands as the engine reads them, and operand types that other layers route here.

``ct.einsum`` takes NumPy, CuPy and Dask arrays, Python scalars and nested lists
(read as NumPy, as ``numpy.einsum`` reads them).  A layer above the engine (the
Tensor) registers its operand type with :func:`register_operand_type`: plans
then hand such operands to it, so the engine never imports the layers above.

>>> import numpy as np
>>> [a.shape for a in to_arrays([[1, 2], 3.0])]
[(2,), ()]
"""
from typing import Callable, NamedTuple, Optional

import numpy as np

from contract.backends import backend_for
from contract.dtypes import scalar_dtype
from contract.errors import ContractError
from contract.grammar import parse, parse_sublists
from contract.grammar.equation import Equation
from contract.grammar.parser import count_terms, shorten

_NDARRAY = np.ndarray


class OperandType(NamedTuple):
    """A registered operand type and what runs a plan, or an argmax, on it."""

    kind: type
    array: Callable      # array(operand) -> its backend array
    run: Callable        # run(plan, operands, options) -> result
    argmax: Callable     # argmax(plan, operands, arrays, value, indices) -> (values, indices)
    sliced: Optional[Callable] = None   # sliced(sliced_plan, operands, client, progress)


_OPERAND_TYPES = []


def register_operand_type(kind, array, run, argmax, sliced=None):
    """Route operands of ``kind`` (e.g. ``ct.Tensor``) to ``run`` / ``argmax`` (and sliced
    plans to ``sliced``, which then runs the slices itself)."""
    if any(entry.kind is kind for entry in _OPERAND_TYPES):
        raise ContractError(f"operand type {kind.__name__} is already registered")
    _OPERAND_TYPES.append(OperandType(kind, array, run, argmax, sliced))


def special_type(operands):
    """The registered :class:`OperandType` of the operands, or None; a type registered later
    is asked first, so a subclass registered after its base (a traced Tensor) takes over."""
    for entry in reversed(_OPERAND_TYPES):
        for op in operands:
            if isinstance(op, entry.kind):
                return entry
    return None


def split_arguments(args):
    """``(equation text or Equation, operands)`` from einsum's positional arguments: an
    equation (text or a parsed Equation) then operands, or numpy's interleaved ``op0, sub0,
    op1, sub1, ..., [out]``."""
    if not args:
        raise ContractError("einsum needs an equation (or interleaved operands and sublists)")
    if isinstance(args[0], (str, Equation)):
        return args[0], list(args[1:])
    operands, sublists = list(args[0::2]), list(args[1::2])
    output = None
    if len(operands) == len(sublists) + 1:
        output = operands.pop()
    return parse_sublists(sublists, output), operands


_LONG = 1000       # characters: a text this long is counted before it is parsed


def as_equation(equation, operands=None):
    """An Equation from text (parsed, cached by the grammar) or an Equation.

    With ``operands`` (a count), a long text with another number of terms is refused before
    it is parsed, so it is rejected at once (a short one is parsed first: its syntax errors
    come first).
    """
    if isinstance(equation, Equation):
        return equation
    if operands is not None and isinstance(equation, str) and len(equation) > _LONG:
        terms = count_terms(equation)
        if terms is not None and terms != operands:
            raise ContractError(f"the equation {shorten(equation)!r} has {terms} input terms "
                                f"but {operands} operands were given")
    return parse(equation)


def to_arrays(operands):
    """Convert scalars and nested lists to NumPy; keep other array types."""
    return [as_array(op, i) for i, op in enumerate(operands)]


def as_array(op, i):
    """One operand as an array: NumPy-typed arrays (CuPy, Dask, ...) kept, the rest read by
    ``np.asarray`` as np.einsum reads them (np.matrix, lists, scalars, torch tensors)."""
    if isinstance(op, _NDARRAY) and type(op) is not _NDARRAY:
        op = np.asarray(op)             # np.matrix, masked arrays: read as np.einsum does
    if hasattr(op, "shape") and hasattr(op, "dtype"):
        try:
            kind = np.dtype(op.dtype).kind
        except TypeError:               # not a NumPy dtype (a torch tensor): read it below
            kind = None
        if kind is not None:
            if kind not in _NUMERIC:
                raise ContractError(f"operand {i} is not numeric: an array of dtype {op.dtype}")
            return op
    try:
        array = np.asarray(op)
    except (ValueError, TypeError, RuntimeError) as err:
        raise ContractError(f"operand {i} cannot be read as an array: {err}") from None
    if array.dtype.kind not in _NUMERIC:
        raise ContractError(f"operand {i} is not numeric: {_described(op, array)}")
    return array


_NUMERIC = "biufc"          # bool, ints, floats, complex: what an einsum multiplies and adds


def _described(op, array):
    """What a non-numeric operand is, for an error message."""
    if isinstance(op, str):
        return f"the str {shorten(op, 20)!r}"
    if array.dtype == object:
        return f"an object array from {type(op).__name__}"
    return f"an array of dtype {array.dtype}"


def weak_scalar(value, common):
    """A Python scalar (or nested list) as a NumPy array beside registered operands (Tensors)
    of dtype ``common``: a scalar takes their dtype within its category, as torch's scalars
    do; anything else is read by ``np.asarray``.

    >>> weak_scalar(2.5, np.dtype("float32")).dtype, weak_scalar(2.5, None).dtype
    (dtype('float32'), dtype('float64'))
    """
    if common is None or not isinstance(value, (bool, int, float, complex, np.number)):
        return np.asarray(value)
    try:
        return np.asarray(value, dtype=scalar_dtype(value, common))
    except OverflowError:        # an int too large for that dtype: NumPy promotes
        return np.asarray(value)


def run_plan(plan, operands, options=None, out=None):
    """Run ``plan`` on any operands: arrays, scalars, lists, or registered types."""
    entry = special_type(operands)
    if entry is not None:
        if out is not None:
            raise ContractError("out= takes arrays; with Tensor operands the result is a new "
                                "Tensor (assign it with t[...] = result)")
        return entry.run(plan, operands, options or {})
    arrays = to_arrays(operands)
    plan.check_shapes(arrays)
    return run_arrays(plan, arrays, out)


def run_arrays(plan, arrays, out=None):
    """Run ``plan`` on arrays of the shapes it was built for (read by :func:`to_arrays`):
    on their backend, as that backend's arrays."""
    backend = backend_for(arrays)
    arrays = [backend.asarray(a) if not hasattr(a, "__array_namespace__") and
              not isinstance(a, _NDARRAY) else a for a in arrays]
    return plan.execute(backend, arrays, tuple([a.dtype for a in arrays]), out=out)
