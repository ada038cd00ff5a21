"""Joins: ``cat`` (``concat``, ``concatenate``), ``stack`` and ``meshgrid``, differentiable.

>>> import contract as ct
>>> ct.stack([ct.ones(2), ct.zeros(2)]).shape, ct.cat([ct.ones(2), ct.ones(3)]).shape
(ct.Size([2, 2]), ct.Size([5]))
"""
import numpy as np

from contract.tensors.core import record
from contract.errors import ContractError, ShapeError
from contract.tensors.ops.broadcast import promote
from contract.tensors.ops.shape import _tensor_arg, expand, reshape, transpose, unsqueeze
from contract.tensors.core import _dim, _xp_of


def cat(tensors, dim=0):
    """Join along an existing axis (differentiable).

    Shapes must match outside ``dim``; dtypes promote as torch's.

    >>> import contract as ct
    >>> a = ct.tensor([[1., 2.], [3., 4.]])
    >>> ct.cat([a, ct.zeros(1, 2)]), ct.cat([a, a], dim=1).shape
    (tensor([[1., 2.],
            [3., 4.],
            [0., 0.]]), ct.Size([2, 4]))
    """
    tensors = [_tensor_arg(t, "cat", k) for k, t in enumerate(tensors)]
    if not tensors:
        raise ContractError("cat expects a non-empty sequence of tensors")
    d = _dim(dim, tensors[0].ndim)
    common = tensors[0].dtype
    for t in tensors[1:]:
        common = promote(common, t.dtype)
    tensors = [t if t.dtype == common else t.to(common) for t in tensors]
    xp = _xp_of(tensors[0]._data)
    try:
        out = xp.concatenate([t._data for t in tensors], axis=d)
    except ValueError as err:
        raise ShapeError(f"cat: shapes {[tuple(t.shape) for t in tensors]} do not match "
                         f"outside dim {dim}: {err}") from None
    bounds = np.cumsum([0] + [t.shape[d] for t in tensors])

    def vjp(g):
        index = [slice(None)] * g.ndim
        parts = []
        for lo, hi in zip(bounds[:-1], bounds[1:]):
            index[d] = slice(int(lo), int(hi))
            parts.append(g[tuple(index)])
        return tuple(parts)
    return record("Cat", out, tuple(tensors), vjp)


def stack(tensors, dim=0):
    """Join along a new axis (differentiable).

    >>> import contract as ct
    >>> a, b = ct.tensor([1., 2.]), ct.tensor([3., 4.])
    >>> ct.stack([a, b]), ct.stack([a, b], dim=1).shape
    (tensor([[1., 2.],
            [3., 4.]]), ct.Size([2, 2]))
    """
    tensors = [_tensor_arg(t, "stack", k) for k, t in enumerate(tensors)]
    if not tensors:
        raise ContractError("stack expects a non-empty sequence of tensors")
    shapes = {tuple(t.shape) for t in tensors}
    if len(shapes) != 1:
        raise ShapeError(f"stack expects each tensor to be equal size, got "
                         f"{[tuple(t.shape) for t in tensors]}")
    d = _dim(dim, tensors[0].ndim + 1)
    return cat([unsqueeze(t, d) for t in tensors], d)


def meshgrid(*tensors, indexing="ij"):
    """Coordinate grids (differentiable), ``indexing`` "ij" (default) or "xy".

    >>> import contract as ct
    >>> rows, cols = ct.meshgrid(ct.arange(2), ct.arange(3))
    >>> rows
    tensor([[0, 0, 0],
            [1, 1, 1]])
    >>> cols
    tensor([[0, 1, 2],
            [0, 1, 2]])
    """
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    if indexing not in ("ij", "xy"):
        raise ContractError(f"meshgrid: indexing must be 'ij' or 'xy', got {indexing!r}")
    ts = [_tensor_arg(t, "meshgrid", k) for k, t in enumerate(tensors)]
    if not ts or any(t.ndim > 1 for t in ts):
        raise ContractError(f"meshgrid expects a non-empty list of 0-d or 1-d tensors, got "
                            f"shapes {[tuple(t.shape) for t in ts]}")
    shape = tuple(t.numel() for t in ts)
    grids = []
    for k, t in enumerate(ts):
        view_shape = [1] * len(ts)
        view_shape[k] = -1
        grids.append(expand(reshape(t, view_shape), shape))
    if indexing == "xy" and len(grids) >= 2:
        grids = [transpose(g, 0, 1) for g in grids]
    return tuple(grids)


METHODS = {}
