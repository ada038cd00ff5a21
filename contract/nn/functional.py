"""Pooling, convolution and friends, each lowered to one einsum over a window view.

``import contract.nn.functional as F``.  Every function takes NumPy/CuPy arrays
(returning arrays) or ``ct.Tensor`` (returning Tensors, differentiable).

- ``sum_pool2d`` with stride equal to the kernel is exactly the grouped
  equation ``b c (h p) (w q) -> b c h w`` (odd sizes cropped first, as torch's
  pooling rounds down); other strides sum a strided window view.
- ``conv1d``/``conv2d``/``conv3d`` (see :mod:`contract.nn.conv`) contract the
  weight with the window view of the padded input: ``o c i j, b c i j h w ->
  b o h w``, planned like any einsum, tile by tile (:mod:`contract.nn.conv_tiles`).
  Its backward is einsums too: the windows against the output gradient (weight),
  and each window's gradient added back onto the input (input).

>>> import numpy as np
>>> import contract.nn.functional as F
>>> F.sum_pool2d(np.ones((1, 1, 4, 4)), 2)[0, 0]
array([[4., 4.],
       [4., 4.]])
>>> F.conv2d(np.ones((1, 1, 5, 5)), np.ones((1, 1, 3, 3)))[0, 0]
array([[9., 9., 9.],
       [9., 9., 9.],
       [9., 9., 9.]])
"""
from math import prod

import numpy as np

from contract.dtypes import accumulation_dtype
from contract.engine.api import einsum
from contract.errors import ContractError, ShapeError
from contract.nn import _graph
from contract.nn._graph import array_of, crop_to, is_tensor, namespace, windows
from contract.nn.conv import conv1d, conv2d, conv3d
from contract.nn.activations import dropout, gelu, log_softmax, logsigmoid, softmax, softplus
from contract.nn.losses import (binary_cross_entropy_with_logits, cross_entropy, l1_loss,
                                mse_loss, nll_loss)
from contract.nn.normalization import batch_norm, layer_norm, normalize
from contract.nn.windows import accumulate_windows, as_tuple, crop, pad_pairs
from contract.tensors.dispatch import overridable

_LEAD = ("b", "c")
_SPATIAL = ("h", "w", "d")
_KERNEL = ("p", "q", "r")


# -- pooling ---------------------------------------------------------------------------
def _pool_args(x, n, kernel_size, stride, padding, what):
    _check_rank(x, n, what)
    kernel = as_tuple(kernel_size, n, "kernel_size")
    stride = kernel if stride is None or stride == () or stride == [] else as_tuple(
        stride, n, "stride")
    pairs = pad_pairs(padding, n)
    for (before, after), k in zip(pairs, kernel):
        if max(before, after) > k // 2:
            raise ContractError(f"{what}: padding {padding!r} should be at most half the kernel "
                                f"size {kernel_size!r} (torch's rule)")
    return kernel, stride, pairs


def _check_rank(x, n, what):
    ndim = len(x.shape)
    if ndim not in (n + 1, n + 2):
        raise ShapeError(f"{what} expects a {n + 1}-D (unbatched) or {n + 2}-D (batched) input, "
                         f"got shape {tuple(x.shape)}")


def _terms(ndim, n):
    lead = " ".join(_LEAD[len(_LEAD) - (ndim - n):])
    return lead, _SPATIAL[:n], _KERNEL[:n]


def _sum_pool(x, n, kernel_size, stride, padding, what, dtype=None):
    kernel, stride, pairs = _pool_args(x, n, kernel_size, stride, padding, what)
    lead, spatial, inner = _terms(len(x.shape), n)
    out = " ".join(spatial)
    if stride == kernel and not any(a or b for a, b in pairs):
        counts = tuple(size // k for size, k in zip(x.shape[-n:], kernel))
        if 0 in counts:
            raise ShapeError(f"{what}: input {tuple(x.shape)} is smaller than the kernel "
                             f"{kernel} (output size would be 0)")
        x = crop_to(x, tuple(c * k for c, k in zip(counts, kernel)))
        groups = " ".join(f"({s} {k})" for s, k in zip(spatial, inner))
        return einsum(f"{lead} {groups} -> {lead} {out}", x, dtype=dtype,
                      **dict(zip(inner, kernel)))
    view = windows(x, kernel, stride, pairs, (1,) * n)
    return einsum(f"{lead} {out} {' '.join(inner)} -> {lead} {out}", view, dtype=dtype)


@overridable
def sum_pool1d(x, kernel_size, stride=None, padding=0):
    """Sum over each window of the last axis (``b c (h p) -> b c h`` when stride == kernel).

    >>> import numpy as np
    >>> sum_pool1d(np.arange(5.).reshape(1, 1, 5), 2)
    array([[[1., 5.]]])
    """
    return _sum_pool(x, 1, kernel_size, stride, padding, "sum_pool1d")


@overridable
def sum_pool2d(x, kernel_size, stride=None, padding=0):
    """Sum over each window: ``b c (h p) (w q) -> b c h w`` when stride equals the kernel.

    Sizes that the kernel does not divide are cropped first (torch rounds down).

    >>> import numpy as np
    >>> sum_pool2d(np.arange(16.).reshape(1, 1, 4, 4), 2, stride=1)[0, 0, 0]
    array([10., 14., 18.])
    """
    return _sum_pool(x, 2, kernel_size, stride, padding, "sum_pool2d")


def _avg_pool(x, n, kernel_size, stride, padding, count_include_pad, divisor_override,
              ceil_mode, what):
    if ceil_mode:
        raise ContractError(f"{what}: ceil_mode=True is not supported")
    own = array_of(x).dtype       # float16 sums and scales in float32, then casts back
    wide = accumulation_dtype(own)
    total = _sum_pool(x, n, kernel_size, stride, padding, what,
                      dtype=None if wide == own else wide)
    kernel, stride, pairs = _pool_args(x, n, kernel_size, stride, padding, what)
    if divisor_override is not None:
        if not divisor_override:
            raise ContractError(f"{what}: divisor_override must be non-zero")
        return _cast(total * (1.0 / divisor_override), own)
    if count_include_pad or not any(a or b for a, b in pairs):
        return _cast(total * (1.0 / prod(kernel)), own)
    dtype = array_of(total).dtype
    xp = namespace(array_of(total))
    scales = [xp.asarray(1.0 / _valid_counts(size, k, s, pair), dtype=dtype)
              for size, k, s, pair in zip(x.shape[-n:], kernel, stride, pairs)]
    lead, spatial, _ = _terms(len(total.shape), n)
    text = f"{lead} {' '.join(spatial)}, " + ", ".join(spatial) + f" -> {lead} {' '.join(spatial)}"
    return _cast(einsum(text, total, *scales), own)


def _cast(x, dtype):
    """``x`` (an array or a Tensor) in ``dtype``; unchanged when it is already."""
    if array_of(x).dtype == dtype:
        return x
    return x.to(dtype) if is_tensor(x) else x.astype(dtype)


def _valid_counts(size, kernel, stride, pair):
    """How many elements of each window along one axis are inside the unpadded input."""
    before, after = pair
    out = (size + before + after - kernel) // stride + 1
    start = np.arange(out) * stride - before
    return (np.minimum(start + kernel, size) - np.maximum(start, 0)).astype(np.float64)


@overridable
def avg_pool1d(x, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
    """Mean over each window of the last axis (torch semantics).

    >>> import numpy as np
    >>> avg_pool1d(np.arange(4.).reshape(1, 1, 4), 2)
    array([[[0.5, 2.5]]])
    """
    return _avg_pool(x, 1, kernel_size, stride, padding, count_include_pad, None, ceil_mode,
                     "avg_pool1d")


@overridable
def avg_pool2d(x, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
               divisor_override=None):
    """Mean over each window (torch semantics; padding counts unless count_include_pad=False).

    >>> import numpy as np
    >>> avg_pool2d(np.ones((1, 1, 2, 2)), 2, padding=1, count_include_pad=False)[0, 0]
    array([[1., 1.],
           [1., 1.]])
    """
    return _avg_pool(x, 2, kernel_size, stride, padding, count_include_pad, divisor_override,
                     ceil_mode, "avg_pool2d")


def _max_pool(x, n, kernel_size, stride, padding, dilation, ceil_mode, return_indices, what):
    if ceil_mode:
        raise ContractError(f"{what}: ceil_mode=True is not supported")
    kernel, stride, pairs = _pool_args(x, n, kernel_size, stride, padding, what)
    dilation = as_tuple(dilation, n, "dilation")
    data = array_of(x)
    if data.dtype.kind not in "fiu":
        raise ContractError(f"{what} needs real numbers (float or int), got dtype {data.dtype}")
    lowest = -np.inf if data.dtype.kind == "f" else np.iinfo(data.dtype).min
    view = windows(data, kernel, stride, pairs, dilation, value=lowest)
    xp = namespace(data)
    lead = tuple(view.shape[:-n])
    flat = view.reshape(lead + (prod(kernel),))
    index = flat.argmax(axis=-1)
    values = xp.take_along_axis(flat, index[..., None], axis=-1)[..., 0]
    if is_tensor(x):
        values = _graph.unary(what, values, x, _max_vjp(xp, x.shape, index, kernel, stride,
                                                          pairs, dilation, view.shape))
    if not return_indices:
        return values
    flat_index = _input_index(xp, index, kernel, stride, pairs, dilation, x.shape[-n:])
    return values, (_graph.constant(flat_index) if is_tensor(x) else flat_index)


def _max_vjp(xp, shape, index, kernel, stride, pairs, dilation, view_shape):
    spatial = tuple(size + a + b for size, (a, b) in zip(shape[-len(kernel):], pairs))

    def vjp(grad):
        spread = xp.zeros(tuple(index.shape) + (prod(kernel),), dtype=grad.dtype)
        xp.put_along_axis(spread, index[..., None], grad[..., None], axis=-1)
        total = accumulate_windows(xp, spread.reshape(view_shape), spatial, kernel, stride,
                                   dilation)
        return (crop(total, pairs),)
    return vjp


def _input_index(xp, index, kernel, stride, pairs, dilation, spatial):
    """torch's return_indices: the flat position in the unpadded input's spatial axes."""
    n = len(kernel)
    offsets = xp.unravel_index(index, kernel)
    flat = xp.zeros(index.shape, dtype=xp.int64)
    for axis in range(n):
        out = index.shape[len(index.shape) - n + axis]
        start = xp.arange(out) * stride[axis] - pairs[axis][0]
        start = start.reshape((out,) + (1,) * (n - 1 - axis))
        flat = flat * spatial[axis] + start + offsets[axis] * dilation[axis]
    return flat


@overridable
def max_pool1d(x, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """Max over each window of the last axis; the gradient goes to the first maximum.

    >>> import numpy as np
    >>> max_pool1d(np.array([[[1., 3., 2., 0.]]]), 2)
    array([[[3., 2.]]])
    """
    return _max_pool(x, 1, kernel_size, stride, padding, dilation, ceil_mode, return_indices,
                     "max_pool1d")


@overridable
def max_pool2d(x, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """Max over each window (torch semantics: padding is -inf, gradient to the first maximum).

    >>> import numpy as np
    >>> max_pool2d(np.arange(16.).reshape(1, 1, 4, 4), 2)[0, 0]
    array([[ 5.,  7.],
           [13., 15.]])
    """
    return _max_pool(x, 2, kernel_size, stride, padding, dilation, ceil_mode, return_indices,
                     "max_pool2d")


def relu(x):
    """max(x, 0) elementwise (``Tensor.relu`` for Tensors).

    >>> import numpy as np
    >>> relu(np.array([-1., 2.]))
    array([0., 2.])
    """
    if is_tensor(x):
        return x.relu()
    return namespace(x).maximum(x, 0)


def linear(x, weight, bias=None):
    """``x @ weight.T + bias`` as the einsum ``...i, o i -> ...o``.

    >>> import numpy as np
    >>> linear(np.ones((2, 3)), np.ones((4, 3))).shape
    (2, 4)
    """
    out = einsum("...i,oi->...o", x, weight)
    return out if bias is None else out + bias


__all__ = ["avg_pool1d", "avg_pool2d", "conv1d", "conv2d", "conv3d", "linear", "max_pool1d",
           "max_pool2d", "relu", "sum_pool1d", "sum_pool2d",
           # issue 17: losses, normalisation, activations (contract/nn/losses.py, ...)
           "batch_norm", "binary_cross_entropy_with_logits", "cross_entropy", "dropout", "gelu",
           "l1_loss", "layer_norm", "log_softmax", "logsigmoid", "mse_loss", "nll_loss",
           "normalize", "softmax", "softplus"]
