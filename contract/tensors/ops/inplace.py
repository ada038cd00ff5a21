"""In-place Tensor updates (``+=``, ``add_``, ``zero_``, ``t[i] = v``) with torch's rules.

With no gradient tracked the update is written into the tensor's array, so a
base and all its views see it (and the storage's version counter moves).
With a gradient tracked it is computed out of place and bound to the tensor
(see contract/views.py: a view writes into its base through ``CopySlices``).
Refused: a leaf that requires grad (or a view of one) outside ``ct.no_grad()``,
a tensor whose elements share memory (``expand``), a result or value dtype that
cannot be cast (``same_kind``) to the tensor's own.

>>> import contract as ct
>>> t = ct.tensor([1., 2.]); t += 1; t
tensor([2., 3.])
>>> x = ct.tensor([1., 2., 3.], requires_grad=True)
>>> y = x * 2
>>> y[0] = 5
>>> y.sum().backward(); x.grad
tensor([0., 2., 2.])
"""
import numpy as np

from contract.tensors.core import record
from contract.errors import ContractError, ShapeError
from contract.tensors.ops.arith import add, div, mul, sub
from contract.tensors.ops.elementwise import clamp
from contract.tensors.ops.shape import _index
from contract.tensors.core import Tensor, _xp_of
from contract.autograd.versions import note_write
from contract.tensors.views import alias, check_overlap, check_tracked, commit, is_basic, tracked


def _inplace(fn, doc=None):
    """An in-place form of the out-of-place op ``fn(self, other, ...)``, documented by
    ``doc``."""
    def op(self, other, *args, **kwargs):
        recorded = tracked(self, other)
        if recorded:
            check_tracked(self)
        check_overlap(self._data)
        result = fn(alias(self) if recorded else self.detach(),
                    other if recorded or not isinstance(other, Tensor) else other.detach(),
                    *args, **kwargs)
        if not np.can_cast(result.dtype, self.dtype, "same_kind"):
            raise ContractError(f"result type {result.dtype} can't be cast to the desired "
                                f"output type {self.dtype} of an in-place operation")
        if tuple(result.shape) != tuple(self.shape):
            raise ShapeError(f"output with shape {tuple(self.shape)} doesn't match the "
                             f"broadcast shape {tuple(result.shape)}")
        if recorded:
            commit(self, result.to(self.dtype) if result.dtype != self.dtype else result)
        else:
            self._data[...] = result._data
            note_write(self._data)
        return self
    op.__doc__ = doc
    return op


add_ = _inplace(add, """``self += alpha * other`` in place (``other`` broadcasts); returns self.

    >>> import contract as ct
    >>> t = ct.tensor([1., 2.])
    >>> t.add_(1), t.add_(ct.tensor([1., 1.]), alpha=2)
    (tensor([4., 5.]), tensor([4., 5.]))
    """)
sub_ = _inplace(sub, """``self -= alpha * other`` in place; returns ``self``.

    >>> import contract as ct
    >>> ct.tensor([3., 4.]).sub_(1)
    tensor([2., 3.])
    """)
mul_ = _inplace(mul, """``self *= other`` in place; returns ``self``.

    >>> import contract as ct
    >>> w = ct.tensor([1., 2.])
    >>> with ct.no_grad():
    ...     _ = w.mul_(0.5)
    >>> w
    tensor([0.5000, 1.0000])
    """)
div_ = _inplace(div, """``self /= other`` in place; an integer tensor refuses it (true division).

    >>> import contract as ct
    >>> ct.tensor([1., 2.]).div_(4)
    tensor([0.2500, 0.5000])
    >>> ct.tensor([1, 2]).div_(2)
    Traceback (most recent call last):
    ...
    contract.errors.ContractError: result type float32 can't be cast to the desired output type int64 of an in-place operation
    """)


def _zeros(t, _):
    xp = _xp_of(t._data)
    return record("Zero", xp.zeros_like(t._data), (t,), lambda g: (xp.zeros_like(g),))


def zero_(self):
    """Fill with zeros in place (torch's ``zero_``).

    >>> import contract as ct
    >>> ct.ones(2).zero_()
    tensor([0., 0.])
    """
    return _inplace(_zeros)(self, None)


class _Bounds:
    """``clamp_``'s (min, max) as one operand; it requires grad when a bound does."""

    def __init__(self, low, high):
        self.low, self.high = low, high
        self.requires_grad = any(getattr(b, "requires_grad", False) for b in (low, high))

    def detach(self):
        return _Bounds(*(b.detach() if isinstance(b, Tensor) else b
                         for b in (self.low, self.high)))


def _clamped(t, bounds):
    return clamp(t, bounds.low, bounds.high)


def clamp_(self, min=None, max=None):
    """Clamp in place (torch's ``clamp_``).

    >>> import contract as ct
    >>> ct.tensor([-1., 0.5, 2.]).clamp_(0, 1)
    tensor([0.0000, 0.5000, 1.0000])
    """
    bounds = _Bounds(min, max)
    return _inplace(_clamped)(self, bounds if bounds.requires_grad else bounds.detach())


# -- item assignment -----------------------------------------------------------------
def _value_dtype(value):
    if isinstance(value, Tensor) or hasattr(value, "__cuda_array_interface__"):
        return value.dtype
    try:
        return np.asarray(value).dtype
    except (TypeError, ValueError) as err:
        raise ContractError(f"cannot assign a {type(value).__name__}: {err}") from None


def setitem(input, index, value):
    """``input[index] = value`` (basic, integer-array and boolean-mask indices; a scalar or a
    Tensor that broadcasts to the indexed region), differentiable as torch's.

    >>> import contract as ct
    >>> t = ct.zeros(2, 3)
    >>> t[:, [0, 2]] = ct.tensor([1., 2.]); t[t == 0] = -1; t
    tensor([[ 1., -1.,  2.],
            [ 1., -1.,  2.]])
    """
    idx = _index(index)
    vdtype = _value_dtype(value)
    if not np.can_cast(vdtype, input.dtype, "same_kind"):
        raise ContractError(f"cannot assign a value of dtype {vdtype} into a tensor of dtype "
                            f"{input.dtype} (only same-kind casts are allowed)")
    recorded = tracked(input, value)
    if recorded:
        check_tracked(input)
    _region(input, idx, index)
    check_overlap(input._data)        # expand() views are read-only (torch refuses them)
    if recorded:
        commit(input, _index_put(alias(input), idx, index, value))
        return
    _assign(input._data, idx, index, value._data if isinstance(value, Tensor) else value)
    note_write(input._data)


def _region(input, idx, index):
    """``input._data[idx]`` (to check the index and the written region's layout)."""
    try:
        return input._data[idx]
    except IndexError as err:
        raise ShapeError(f"index {index!r} is out of range for shape {tuple(input.shape)}: "
                         f"{err}") from None
    except (TypeError, ValueError) as err:
        raise ContractError(f"invalid index {index!r}: {err}") from None


def _assign(data, idx, index, value):
    try:
        data[idx] = value
    except IndexError as err:
        raise ShapeError(f"index {index!r} is out of range for shape {tuple(data.shape)}: "
                         f"{err}") from None
    except (TypeError, ValueError) as err:
        raise ContractError(f"cannot assign {type(value).__name__} at index {index!r}: "
                            f"{err}") from None


def _index_put(old, idx, index, value):
    """``old`` with ``old[idx] = value``, recorded: the old value's gradient has the written
    slots zeroed, the value's is the gradient at those slots (torch's index_put_, no
    accumulate: a slot written twice sends its gradient to both writes)."""
    x = old._data
    v = value._data if isinstance(value, Tensor) else value
    out = x.copy()
    _assign(out, idx, index, v)
    vshape = tuple(getattr(v, "shape", ()))
    parents = (old, value) if isinstance(value, Tensor) else (old,)

    def vjp(g):
        g_old = g.copy()
        g_old[idx] = 0
        if len(parents) == 1:
            return (g_old,)
        g_v = g[idx]
        if g_v.ndim < len(vshape):      # a value with extra leading size-1 axes
            g_v = g_v.reshape((1,) * (len(vshape) - g_v.ndim) + tuple(g_v.shape))
        return g_old, g_v
    made = record("IndexPut", out, parents, vjp)
    if is_basic(idx) and made.grad_fn is not None:
        made.grad_fn._name = "CopySlices"
    return made


METHODS = {
    "__iadd__": _inplace(add), "__isub__": _inplace(sub), "__imul__": _inplace(mul),
    "__itruediv__": _inplace(div), "add_": add_, "sub_": sub_, "mul_": mul_, "div_": div_,
    "zero_": zero_, "__setitem__": setitem,
    "clamp_": clamp_, "clip_": clamp_,
}
