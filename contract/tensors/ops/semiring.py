"""Tensor reductions lowered to semiring einsums: max, min, amax, amin, argmax, argmin,
logsumexp.

``t.amax(dim=1)`` on a 2-d tensor is ``ct.einsum("ab->a", t, semiring="maxplus")``;
``t.max(dim=1)`` / ``argmax(dim)`` over one axis of a real tensor take ``xp.argmax``
and ``take_along_axis`` (the one-step case of einsum ``argmax=True``).  Gradients
follow torch: ``max()`` / ``amax`` split the gradient evenly between ties,
``max(dim)`` sends it to the returned index, ``logsumexp`` uses softmax weights.

>>> import contract as ct
>>> t = ct.tensor([[1., 5.], [4., 2.]])
>>> tensor_max(t, dim=1)
max(values=tensor([5., 4.]), indices=tensor([1, 0]))
>>> tensor_argmax(t)
tensor(1)
"""
from collections import namedtuple
from functools import lru_cache

import numpy as np

from contract.tensors.core import record as _record
from contract.engine.api import einsum
from contract.dtypes import conj
from contract.errors import ContractError
from contract.engine.kernels.real import LETTERS
from contract.tensors.ops.broadcast import binary
from contract.tensors.ops.reduce import reduce_dims
from contract.tensors.core import Tensor, _dim, _xp_of as _xp

MaxResult = namedtuple("max", ["values", "indices"])
MinResult = namedtuple("min", ["values", "indices"])


def _dims(t, dim, axis, name):
    """Reduced axes as a sorted tuple (``None`` or ``()``: all of them).

    The same normaliser as ``sum``/``mean`` (:func:`contract.tensors.ops.reduce.reduce_dims`);
    on a 0-d tensor, ``dim=0`` / ``-1`` reduce nothing, as in torch.
    """
    ndim = t._data.ndim
    dim = axis if axis is not None else dim    # amin/amax default dim=() as in torch
    return tuple(a for a in reduce_dims(dim, ndim) if a < ndim)


@lru_cache(maxsize=4096)
def _equation(ndim, axes):
    if ndim > len(LETTERS):
        raise ContractError(f"reductions take at most {len(LETTERS)} dimensions, got {ndim}")
    letters = LETTERS[:ndim]
    return letters + "->" + "".join(c for k, c in enumerate(letters) if k not in axes)


def _check_nonempty(data, axes, name):
    for a in axes:
        if data.shape[a] == 0:
            raise ContractError(f"{name}(): Expected reduction dim {a} to have non-zero size "
                                f"(tensor shape {tuple(data.shape)})")
    if not axes and data.size == 0 and data.ndim == 0:
        raise ContractError(f"{name}(): the tensor has no elements")


def _keep(xp, array, axes, keepdim):
    return xp.expand_dims(array, axes) if keepdim and axes else array


def _even_split_vjp(xp, x, value, axes, keepdim=False, nan_ties=False):
    """torch's rule for max() / amax: the gradient is shared evenly between ties.

    Where the value is NaN no element equals it: ``amax`` then gives NaN to its whole
    slice (torch's ``grad / count * mask`` with a count of 0); ``max()`` / ``min()`` over
    all elements (``nan_ties``) share it between the NaN elements instead.
    """
    def vjp(grad):
        full = xp.expand_dims(value, axes) if axes else value
        mask = (x == full)
        lost = xp.isnan(full) if x.dtype.kind == "f" else None
        if nan_ties and lost is not None:
            mask = mask | (lost & xp.isnan(x))
        count = mask.sum(axis=axes, keepdims=True) if axes else mask
        g = xp.expand_dims(grad, axes) if axes and not keepdim else grad
        out = xp.where(mask, g / xp.maximum(count, 1), 0)
        if lost is not None and not nan_ties:
            out = xp.where(lost, xp.nan, out)
        return (out.astype(x.dtype, copy=False),)
    return vjp


def _extreme(t, dim, keepdim, axis, semiring, name, nan_ties=False):
    """amax / amin (and max() / min() without dim, ``nan_ties``): values only, ties share
    the gradient."""
    data = t._data
    axes = _dims(t, dim, axis, name)
    if data.size == 0 and (not axes or any(data.shape[a] == 0 for a in axes)):
        raise ContractError(f"{name}(): Expected reduction dim to be specified for input.numel() "
                            f"== 0 (or a non-empty reduction dim); tensor shape "
                            f"{tuple(data.shape)}")
    value = einsum(_equation(data.ndim, axes), data, semiring=semiring)
    value = value.astype(data.dtype, copy=False)      # torch: amax keeps int and bool dtypes
    xp = _xp(data)
    result = _keep(xp, value, axes, keepdim)
    return _record(name.capitalize(), result, (t,),
                   _even_split_vjp(xp, data, value, axes, keepdim, nan_ties))


def tensor_amax(t, dim=(), keepdim=False, axis=None):
    """``torch.amax``: the maximum over ``dim`` (all dims when empty); ties split the gradient."""
    return _extreme(t, dim, keepdim, axis, "maxplus", "amax")


def tensor_amin(t, dim=(), keepdim=False, axis=None):
    """``torch.amin``: the minimum over ``dim``; ties split the gradient."""
    return _extreme(t, dim, keepdim, axis, "minplus", "amin")


def _select_along(t, d, keepdim, semiring, name):
    """Values and indices along one dim: ``xp.argmax`` / ``xp.argmin`` for real dtypes (first
    index on ties, a NaN wins as in torch), einsum argmax for the rest."""
    data = t._data
    xp = _xp(data)
    if data.ndim == 0:
        return data, xp.zeros((), dtype=np.int64)
    _check_nonempty(data, (d,), name)
    if data.dtype.kind in "biuf" and hasattr(xp, "take_along_axis"):
        index = (xp.argmax if semiring == "maxplus" else xp.argmin)(data, axis=d)
        values = xp.take_along_axis(data, xp.expand_dims(index, d), d).squeeze(d)
        return values, index.astype(np.int64, copy=False)
    values, chosen = einsum(_equation(data.ndim, (d,)), data, semiring=semiring, argmax=True)
    index = chosen[LETTERS[d]]
    return values, index


def _with_indices(t, dim, keepdim, axis, semiring, name, result_type):
    if axis is not None:
        dim = axis
    if dim is None:
        return _extreme(t, None, False, None, semiring, name, nan_ties=True)
    data = t._data
    d = _dim(dim, data.ndim)
    values, index = _select_along(t, d, keepdim, semiring, name)
    xp = _xp(data)
    axes = (d,) if data.ndim else ()

    def vjp(grad):
        g = xp.zeros(data.shape, dtype=data.dtype)
        if not axes:
            return (grad.astype(data.dtype, copy=False),)
        grad = grad if keepdim else xp.expand_dims(grad, d)
        xp.put_along_axis(g, xp.expand_dims(index, d), grad.astype(data.dtype, copy=False), d)
        return (g,)
    out = _record(name.capitalize(), _keep(xp, values, axes, keepdim), (t,), vjp)
    indices = _record("Index", _keep(xp, index, axes, keepdim), (), None)
    return result_type(out, indices)


def tensor_max(t, dim=None, keepdim=False, axis=None):
    """``max()`` -> 0-d tensor; ``max(dim)`` -> ``(values, indices)`` (first index on ties)."""
    return _with_indices(t, dim, keepdim, axis, "maxplus", "max", MaxResult)


def tensor_min(t, dim=None, keepdim=False, axis=None):
    """``min()`` -> 0-d tensor; ``min(dim)`` -> ``(values, indices)``."""
    return _with_indices(t, dim, keepdim, axis, "minplus", "min", MinResult)


def _arg(t, dim, keepdim, axis, semiring, name):
    if axis is not None:
        dim = axis
    data = t._data
    xp = _xp(data)
    if dim is None:
        if data.size == 0:
            raise ContractError(f"{name}(): Expected reduction dim to be specified for "
                                f"input.numel() == 0")
        flat = t._data.reshape(-1)
        _, index = _select_along(_Plain(flat), 0, False, semiring, name)
        if keepdim:
            index = index.reshape((1,) * data.ndim)
        return _record("Index", index, (), None)
    d = _dim(dim, data.ndim)
    _, index = _select_along(t, d, keepdim, semiring, name)
    return _record("Index", _keep(xp, index, (d,) if data.ndim else (), keepdim), (), None)


class _Plain:
    """A stand-in with ``_data`` for arrays that are not Tensors."""

    def __init__(self, data):
        self._data = data


def tensor_argmax(t, dim=None, keepdim=False, axis=None):
    """Index of the maximum (into the flattened tensor without ``dim``); first on ties."""
    return _arg(t, dim, keepdim, axis, "maxplus", "argmax")


def tensor_argmin(t, dim=None, keepdim=False, axis=None):
    """Index of the minimum (into the flattened tensor without ``dim``); first on ties."""
    return _arg(t, dim, keepdim, axis, "minplus", "argmin")


def _select_pair_vjp(x, y, out, need_x, need_y):
    """torch's rule for maximum / minimum: the gradient goes to the winning side, ties
    split it evenly."""
    def vjp(grad):
        xp = _xp(grad)
        on_x, on_y = (x == out), (y == out)
        share = xp.where(on_x & on_y, 0.5, 1.0).astype(grad.dtype, copy=False)
        gx = xp.where(on_x, grad * share, 0).astype(x.dtype, copy=False) if need_x else None
        gy = xp.where(on_y, grad * share, 0).astype(y.dtype, copy=False) if need_y else None
        return gx, gy
    return vjp


def _select_pair(name, ufunc, input, other):
    """An elementwise ``xp.<ufunc>`` of two broadcast operands, torch's selection gradient."""
    return binary(name, lambda x, y: getattr(_xp(x), ufunc)(x, y), input, other,
                   _select_pair_vjp)


def tensor_maximum(input, other):
    """``torch.maximum``: the elementwise maximum (broadcast, NaN propagates).

    >>> import contract as ct
    >>> tensor_maximum(ct.tensor([1., 5.]), ct.tensor([3., 2.]))
    tensor([3., 5.])
    """
    return _select_pair("Maximum", "maximum", input, other)


def tensor_minimum(input, other):
    """``torch.minimum``: the elementwise minimum (broadcast, NaN propagates).

    >>> import contract as ct
    >>> tensor_minimum(ct.tensor([1., 5.]), ct.tensor([3., 2.]))
    tensor([1., 2.])
    """
    return _select_pair("Minimum", "minimum", input, other)


def tensor_logsumexp(t, dim=None, keepdim=False, axis=None):
    """``log(sum(exp(t)))`` over ``dim`` in the log semiring (stable); softmax gradient."""
    data = t._data
    if data.dtype.kind not in "fc":
        data = data.astype(np.float32)
    axes = _dims(t, dim, axis, "logsumexp")
    value = einsum(_equation(data.ndim, axes), data, semiring="log")
    xp = _xp(data)

    def vjp(grad):
        full = xp.expand_dims(value, axes) if axes else value
        g = xp.expand_dims(grad, axes) if axes and not keepdim else grad
        with np.errstate(invalid="ignore"):   # an all -inf slice (real part): weight 0
            weight = xp.where(xp.isneginf(full.real), 0.0, xp.exp(data - full))
        return ((g * conj(weight)).astype(data.dtype, copy=False),)   # complex: torch's conj
    return _record("Logsumexp", _keep(xp, value, axes, keepdim), (t,), vjp)


# -- the Tensor methods and ct. functions -------------------------------------------
def _real_only(self, what):
    """Orderings have no meaning on complex numbers: refused as torch does."""
    for value in ((self,) if not isinstance(self, tuple) else self):
        if getattr(getattr(value, "dtype", None), "kind", "") == "c":
            raise ContractError(f"{what}() does not support complex input "
                                f"(dtype {value.dtype}); compare .abs() or .real instead")


def max(self, dim=None, keepdim=False, *, axis=None, other=None):
    """``max()`` (0-d), ``max(dim)`` -> ``(values, indices)``, ``max(other)``: maximum.

    ``max()`` is the ``maxplus`` einsum ``ab->``; ties share its gradient.  ``max(dim)``
    sends the gradient to the returned index (the first maximum).

    >>> import contract as ct
    >>> x = ct.tensor([[1., 5., 5.], [4., 2., 0.]])
    >>> ct.max(x), x.max(dim=1).indices
    (tensor(5.), tensor([1, 0]))
    >>> values, indices = x.max(dim=0, keepdim=True)
    >>> values, indices
    (tensor([[4., 5., 5.]]), tensor([[1, 0, 0]]))
    """
    _real_only(self, "max")
    if other is not None or isinstance(dim, Tensor):
        return maximum(self, dim if other is None else other)
    return tensor_max(self, dim, keepdim, axis)


def min(self, dim=None, keepdim=False, *, axis=None, other=None):
    """``min()`` (0-d), ``min(dim)`` -> ``(values, indices)``, ``min(other)``: minimum.

    >>> import contract as ct
    >>> x = ct.tensor([[1., 5.], [4., 0.]])
    >>> ct.min(x), x.min(dim=1), x.min(ct.tensor(2.))
    (tensor(0.), min(values=tensor([1., 0.]), indices=tensor([0, 1])), tensor([[1., 2.],
            [2., 0.]]))
    """
    _real_only(self, "min")
    if other is not None or isinstance(dim, Tensor):
        return minimum(self, dim if other is None else other)
    return tensor_min(self, dim, keepdim, axis)


def maximum(self, other):
    """``torch.maximum``: elementwise maximum; the gradient goes to the larger side.

    >>> import contract as ct
    >>> ct.maximum(ct.tensor([1., 5.]), ct.tensor([3., 2.]))
    tensor([3., 5.])
    """
    _real_only((self, other), "maximum")
    return tensor_maximum(self, other)


def minimum(self, other):
    """``torch.minimum``: elementwise minimum; the gradient goes to the smaller side.

    >>> import contract as ct
    >>> ct.minimum(ct.tensor([1., 5.]), 2.)
    tensor([1., 2.])
    """
    _real_only((self, other), "minimum")
    return tensor_minimum(self, other)


def amax(self, dim=(), keepdim=False, *, axis=None):
    """The maximum over ``dim`` (all dims by default), no indices: the ``maxplus`` einsum.

    Ties share the gradient evenly, as torch's.

    >>> import contract as ct
    >>> x = ct.tensor([[1., 5., 5.], [4., 2., 0.]], requires_grad=True)
    >>> ct.amax(x, dim=1)
    tensor([5., 4.], grad_fn=<AmaxBackward0>)
    >>> x.amax().backward(); x.grad
    tensor([[0.0000, 0.5000, 0.5000],
            [0.0000, 0.0000, 0.0000]])
    """
    _real_only(self, "amax")
    return tensor_amax(self, dim, keepdim, axis)


def amin(self, dim=(), keepdim=False, *, axis=None):
    """The minimum over ``dim`` (all dims by default), no indices: the ``minplus`` einsum.

    >>> import contract as ct
    >>> ct.amin(ct.tensor([[1., 5.], [4., 0.]]), dim=0), ct.tensor([3, 1, 2]).amin()
    (tensor([1., 0.]), tensor(1))
    """
    _real_only(self, "amin")
    return tensor_amin(self, dim, keepdim, axis)


def argmax(self, dim=None, keepdim=False, *, axis=None):
    """The index of the maximum along ``dim``; without ``dim``, into the flattened tensor.

    Ties go to the first index, as torch's.

    >>> import contract as ct
    >>> x = ct.tensor([[1., 5., 5.], [4., 2., 0.]])
    >>> ct.argmax(x), x.argmax(dim=1), x.argmax(dim=0, keepdim=True)
    (tensor(1), tensor([1, 0]), tensor([[1, 0, 0]]))
    """
    _real_only(self, "argmax")
    return tensor_argmax(self, dim, keepdim, axis)


def argmin(self, dim=None, keepdim=False, *, axis=None):
    """The index of the minimum along ``dim``; without ``dim``, into the flattened tensor.

    >>> import contract as ct
    >>> x = ct.tensor([[1., 5.], [4., 0.]])
    >>> ct.argmin(x), x.argmin(dim=1)
    (tensor(3), tensor([0, 1]))
    """
    _real_only(self, "argmin")
    return tensor_argmin(self, dim, keepdim, axis)


def logsumexp(self, dim=None, keepdim=False, *, axis=None):
    """``log(sum(exp(x)))`` over ``dim``: the ``log`` semiring einsum (max-shifted, no overflow).

    Its gradient is the softmax over ``dim``.

    >>> import contract as ct
    >>> x = ct.tensor([[0., 0.], [1000., 1000.]], requires_grad=True)
    >>> ct.logsumexp(x, dim=1)
    tensor([   0.6931, 1000.6932], grad_fn=<LogsumexpBackward0>)
    >>> x.logsumexp(dim=1).sum().backward(); x.grad
    tensor([[0.5000, 0.5000],
            [0.5000, 0.5000]])
    """
    return tensor_logsumexp(self, dim, keepdim, axis)


METHODS = {"max": max, "min": min, "amax": amax, "amin": amin, "argmax": argmax,
           "argmin": argmin, "logsumexp": logsumexp, "maximum": maximum, "minimum": minimum}
