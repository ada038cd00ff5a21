"""Tensor operands of the engine: ``ct.einsum`` / ``plan(...)`` on Tensors gives a Tensor.

The Tensor registers itself as an operand type of the engine
(:func:`~contract.engine.operands.register_operand_type`): a plan run on Tensors
executes on their arrays (traced when a gradient is needed) and records one
graph node whose VJP is the einsum VJP of :mod:`contract.autograd.einsum_vjp`
(or the semiring's rule).  Tensor ops write their equation text and call
:func:`run_equation`.

>>> import contract as ct
>>> a = ct.tensor([[1., 2.], [3., 4.]], requires_grad=True)
>>> ct.einsum("ij->", a).backward(); a.grad
tensor([[1., 1.],
        [1., 1.]])
"""
import numpy as np

from contract.autograd.einsum_vjp import einsum_vjp
from contract.autograd import is_grad_enabled
from contract.autograd.semiring_vjp import semiring_rule
from contract.autograd.sliced_vjp import sliced_backward, sliced_forward
from contract.backends import backend_for
from contract.backends.numpy_backend import BACKEND as _NUMPY
from contract.engine.cache import lookup, option_part
from contract.engine.operands import register_operand_type, weak_scalar
from contract.tensors.core import Tensor, record


def einsum_tensors(plan, operands, name="Einsum"):
    """Run ``plan`` on Tensor (or array/scalar) operands; record the VJP.

    A Python scalar beside Tensors takes their dtype within its category, as torch's
    scalars do (``2.5`` beside float32 is float32); integer Tensors in a semiring whose add
    leaves the integers (log) compute in the Tensor default float, float32.

    >>> import contract as ct
    >>> ct.einsum("i,->i", ct.ones(2), 2.5).dtype, ct.einsum("i->", ct.ones(2, dtype=ct.int64),
    ...                                                      semiring="log").dtype
    (dtype('float32'), dtype('float32'))
    """
    arrays = [op._data if isinstance(op, Tensor) else op for op in operands]
    held = [a for a in arrays if hasattr(a, "shape")]
    backend = backend_for(held or [np.zeros(())])
    common = np.result_type(*[a.dtype for a in held]) if held else None
    arrays = [a if hasattr(a, "shape") else backend.asarray(weak_scalar(a, common)) for a in arrays]
    if not plan._semiring.integer_add and all(a.dtype.kind in "biu" for a in arrays):
        arrays = [backend.cast(a, _FLOAT32) for a in arrays]
    plan.check_shapes(arrays)
    return _recorded(plan, operands, arrays, backend, tuple([a.dtype for a in arrays]), name)


def _recorded(plan, operands, arrays, backend, dtypes, name):
    """Execute (traced when a gradient is needed) and wrap the result."""
    needs = [isinstance(op, Tensor) and op.requires_grad for op in operands]
    if not (True in needs and is_grad_enabled()):
        return record(name, plan.execute(backend, arrays, dtypes), (), None)
    trace = {}
    out = plan.execute(backend, arrays, dtypes, trace=trace)
    ring = plan._semiring
    walks_steps = ring.vjp is None and ring.gradient == "sum"     # the (+, *) einsum VJP
    saved = _forget_result(trace) if walks_steps else out

    def vjp(grad):
        return einsum_vjp(plan, backend, arrays, trace, saved, grad, needs)
    return record(name, out, tuple(operands), vjp)


def _forget_result(trace):
    """Drop the result from a real einsum's trace (its VJP needs only the step inputs), so an
    in-place write into the result does not count as modifying a saved tensor (torch's
    ``a * b`` saves ``a`` and ``b``, not the product). Returns None, the saved output."""
    last = trace.pop("last", None)
    if last is not None:
        trace["dtype"] = last.dtype
    steps = trace.get("steps")
    if steps:
        steps[-1] = steps[-1]._replace(output=None)
    return None


def _run(plan, operands, options):
    return einsum_tensors(plan, operands)


def _argmax(plan, operands, arrays, value, indices):
    """``argmax=True`` on Tensors: the values as one graph node whose VJP is the semiring's
    rule (no second contraction), the indices as Tensors without a gradient."""
    def vjp(grad):
        grads = semiring_rule(plan._semiring)(plan, arrays, value, grad)
        return tuple(g if isinstance(op, Tensor) else None for g, op in zip(grads, operands))
    values = record("Einsum", value, tuple(operands), vjp)
    return values, {label: Tensor._wrap(index) for label, index in indices.items()}


def _sliced(sliced_plan, operands, client, progress):
    """A sliced plan on Tensors: a Tensor whose backward runs sliced too (same client)."""
    arrays = [op._data if isinstance(op, Tensor) else op for op in operands]
    needs = [isinstance(op, Tensor) and op.requires_grad for op in operands]
    if not (True in needs and is_grad_enabled()):
        return record("SlicedEinsum", sliced_plan(*arrays, client=client, progress=progress),
                      (), None)
    value, state = sliced_forward(sliced_plan, arrays, needs, client, progress)

    def vjp(grad):
        return sliced_backward(state, grad)
    return record("SlicedEinsum", value, tuple(operands), vjp)


register_operand_type(Tensor, lambda t: t._data, _run, _argmax, _sliced)
_NDARRAY = np.ndarray
_FLOAT32 = np.dtype(np.float32)


def run_equation(name, equation, *tensors, dtype=None):
    """``ct.einsum(equation, *tensors, dtype=dtype)`` through the plan cache, as op ``name``.

    Tensor ops call this with default options, so their plans are looked up in the one
    plan cache by the key :func:`~contract.engine.cache.plan_key` writes for them; the
    shapes in the key make the shape check unnecessary.
    """
    key = (equation, "auto", "real", None if dtype is None else option_part(dtype), None, None)
    for t in tensors:
        key += (t._data.shape,)
    return run_plan_tensors(lookup(key), tensors, name)


def run_plan_tensors(plan, tensors, name="Einsum"):
    """Run ``plan`` (built for these shapes) on Tensors as one recorded op ``name``: the
    compiler's network steps, without a cache lookup or a shape check on NumPy arrays.

    >>> import contract as ct
    >>> p = ct.plan("ij,j->i", (2, 3), (3,))
    >>> run_plan_tensors(p, [ct.ones(2, 3), ct.ones(3)]).tolist()
    [3.0, 3.0]
    """
    arrays = [t._data for t in tensors]
    for a in arrays:
        if type(a) is not _NDARRAY:
            return einsum_tensors(plan, tensors, name)
    return _recorded(plan, tensors, arrays, _NUMPY, tuple([a.dtype for a in arrays]), name)


