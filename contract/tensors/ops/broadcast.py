"""Operands of elementwise ops: scalars beside tensors, torch's dtype promotion, and the
broadcast einsum two shapes write (``ab,b->ab``), checked once and cached.

>>> broadcast_equation((2, 3), (3,))
('ab,b->ab', (2, 3))
>>> import contract as ct
>>> ct.ones(2, 3) + ct.ones(4)
Traceback (most recent call last):
...
contract.errors.ShapeError: shapes (2, 3) and (4,) are not broadcastable: the size of tensor a (3) must match the size of tensor b (4) at non-singleton dimension 1
"""
from functools import lru_cache

import numpy as np

from contract.autograd import unbroadcast
from contract.dtypes import scalar_dtype
from contract.engine.kernels.real import LETTERS
from contract.errors import ContractError, ShapeError
from contract.tensors.core import Tensor, record
from contract.tensors.creation import tensor

def as_operand(value, like):
    """A Tensor for ``value`` (a Tensor, a scalar or array-like) next to Tensor ``like``."""
    if isinstance(value, Tensor):
        return value
    xp = like._xp
    if isinstance(value, (bool, int, float, complex, np.number, np.bool_)):
        dtype = scalar_dtype(value, like.dtype)
        try:
            return Tensor._wrap(xp.asarray(value, dtype=dtype))
        except OverflowError:            # torch wraps an int scalar into a narrow int dtype
            try:
                return Tensor._wrap(xp.asarray(value).astype(dtype))
            except OverflowError:
                raise ContractError(f"value {value} cannot be converted to {dtype} without "
                                    f"overflow") from None
    return tensor(value, device=like.device)


@lru_cache(maxsize=4096)
def broadcast_equation(shape_a, shape_b):
    """``(equation, output shape)`` of the broadcast of two shapes, e.g. ``ab,b->ab``."""
    n = max(len(shape_a), len(shape_b))
    if n > len(LETTERS):
        raise ShapeError(f"tensors with {n} dimensions are not supported")
    out = []
    for k in range(n):
        da = shape_a[k - n + len(shape_a)] if k - n + len(shape_a) >= 0 else 1
        db = shape_b[k - n + len(shape_b)] if k - n + len(shape_b) >= 0 else 1
        if da != db and 1 not in (da, db):
            raise ShapeError(f"shapes {tuple(shape_a)} and {tuple(shape_b)} are not "
                             f"broadcastable: the size of tensor a ({da}) must match the size of "
                             f"tensor b ({db}) at non-singleton dimension {k}")
        out.append(db if da == 1 else da)
    labels = LETTERS[:n]
    text = f"{labels[n - len(shape_a):]},{labels[n - len(shape_b):]}->{labels}"
    return text, tuple(out)


_CATEGORY = {"b": 0, "u": 1, "i": 1, "f": 2, "c": 3}


def promote(da, db, ndim_a=1, ndim_b=1):
    """torch's promotion: a higher category (bool < int < float < complex) wins outright;
    within one category a 0-d tensor beside a dimensioned one does not widen it; a float
    beside a complex keeps its precision (float64 with complex64 gives complex128)."""
    if da == db:
        return da
    ca, cb = _CATEGORY.get(da.kind, 4), _CATEGORY.get(db.kind, 4)
    if (ndim_a == 0) != (ndim_b == 0):
        (high, ch), (low, cl) = ((db, cb), (da, ca)) if ndim_a == 0 else ((da, ca), (db, cb))
        if ch >= cl:
            return high
        return np.result_type(high, np.complex64) if (ch, cl) == (2, 3) else low
    if ca != cb and {ca, cb} != {2, 3}:
        return da if ca > cb else db
    return np.result_type(da, db)


def pair(a, b):
    """Two Tensors of one dtype (torch's promotion) from tensors and scalars."""
    if not isinstance(a, Tensor):
        a = as_operand(a, b)
    elif not isinstance(b, Tensor):
        b = as_operand(b, a)
    if type(a._data) is not type(b._data) and a.device != b.device:
        raise ContractError(f"expected all tensors to be on the same device, but found "
                            f"{a.device} and {b.device}")
    if a._data.dtype != b._data.dtype:
        common = promote(a._data.dtype, b._data.dtype, a._data.ndim, b._data.ndim)
        a, b = a.to(common), b.to(common)
    return a, b


def binary(name, fn, a, b, vjp_factory):
    """Apply ``fn`` to the data; ``vjp_factory(x, y, out, need_x, need_y)`` builds the VJP."""
    a, b = pair(a, b)
    broadcast_equation(a._data.shape, b._data.shape)
    out = fn(a._data, b._data)
    if not (a.requires_grad or b.requires_grad):
        return record(name, out, (), None)
    return record(name, out, (a, b), vjp_factory(a._data, b._data, out, a.requires_grad,
                                                 b.requires_grad))


def reduced(xp, g, shape):
    """``g`` summed to ``shape`` first, so later elementwise work is on the small array."""
    return unbroadcast(xp, g, shape)
