"""Sliding windows over the trailing (spatial) axes of an array, as strided views.

Pooling and convolution are einsums over a *window view*: for an input of
shape ``lead + spatial`` the view has shape ``lead + out + kernel``, where
element ``[..., o, k]`` is ``x[..., o * stride + k * dilation]``.  The view
copies nothing (``as_strided`` through the backend's ``xp``); the einsum that
contracts it does the work.  The reverse, :func:`accumulate_windows`, adds a
gradient of window shape back onto the input, so overlapping windows sum.

>>> import numpy as np
>>> x = np.arange(5.)
>>> window_view(np, x, kernel=(3,), stride=(1,), dilation=(1,))
array([[0., 1., 2.],
       [1., 2., 3.],
       [2., 3., 4.]])
>>> accumulate_windows(np, np.ones((3, 3)), (5,), (3,), (1,), (1,))
array([1., 2., 3., 2., 1.])
"""
from itertools import product
from typing import Tuple

from contract.errors import ContractError, ShapeError


def as_tuple(value, n: int, name: str, minimum: int = 1) -> Tuple[int, ...]:
    """``value`` (an int or a sequence of ``n`` ints) as a tuple of ``n`` ints.

    >>> as_tuple(2, 2, "stride"), as_tuple((1, 3), 2, "kernel_size")
    ((2, 2), (1, 3))
    """
    items = (value,) * n if isinstance(value, int) else tuple(value) if _is_seq(value) else None
    if items is None or len(items) != n or not all(_is_int(v) for v in items):
        raise ContractError(f"{name} must be an int or a sequence of {n} ints, got {value!r}")
    items = tuple(int(v) for v in items)
    if any(v < minimum for v in items):
        raise ContractError(f"{name} must be at least {minimum}, got {value!r}")
    return items


def _is_seq(value):
    return isinstance(value, (tuple, list))


def _is_int(value):
    return isinstance(value, int) or (hasattr(value, "__index__") and not isinstance(value, bool)
                                      and type(value).__name__.startswith("int"))


def output_shape(spatial, kernel, stride, dilation, what="input"):
    """Spatial shape of the windows over an (already padded) input: torch's floor rule.

    >>> output_shape((5, 5), (3, 3), (1, 1), (1, 1))
    (3, 3)
    """
    out = []
    for axis, (size, k, s, d) in enumerate(zip(spatial, kernel, stride, dilation)):
        span = d * (k - 1) + 1
        if size < span:
            raise ShapeError(f"{what}: spatial axis {axis} has size {size} (after padding), "
                             f"smaller than the window span {span} (kernel {k}, dilation {d})")
        out.append((size - span) // s + 1)
    return tuple(out)


def pad_pairs(padding, n: int, name: str = "padding"):
    """Padding as ``n`` (before, after) pairs, from an int, ``n`` ints or ``n`` pairs.

    >>> pad_pairs(1, 2), pad_pairs(((0, 1), (2, 2)), 2)
    (((1, 1), (1, 1)), ((0, 1), (2, 2)))
    """
    if _is_seq(padding) and padding and all(_is_seq(p) for p in padding):
        if len(padding) != n:
            raise ContractError(f"{name} needs {n} (before, after) pairs, got {padding!r}")
        return tuple(as_tuple(p, 2, name, minimum=0) for p in padding)
    return tuple((p, p) for p in as_tuple(padding, n, name, minimum=0))


def pad(xp, x, pairs, value=0.0):
    """``x`` with ``pairs[d] = (before, after)`` elements of ``value`` around spatial axis d.

    >>> import numpy as np
    >>> pad(np, np.ones((1, 2)), ((1, 1),))
    array([[0., 1., 1., 0.]])
    """
    if not any(a or b for a, b in pairs):
        return x
    n = len(pairs)
    spatial = tuple(x.shape[-n:])
    shape = tuple(x.shape[:-n]) + tuple(size + a + b for size, (a, b) in zip(spatial, pairs))
    out = xp.full(shape, value, dtype=x.dtype)
    inner = tuple(slice(a, a + size) for size, (a, _) in zip(spatial, pairs))
    out[(Ellipsis,) + inner] = x
    return out


def crop(x, pairs):
    """The inverse of :func:`pad`: drop ``(before, after)`` elements around each spatial axis."""
    if not any(a or b for a, b in pairs):
        return x
    n = len(pairs)
    return x[(Ellipsis,) + tuple(slice(a, size - b)
                                 for size, (a, b) in zip(x.shape[-n:], pairs))]


def window_view(xp, x, kernel, stride, dilation, groups=1):
    """A strided view of shape ``lead + out + kernel`` (no copy; read-only on NumPy,
    CuPy's ``as_strided`` has no ``writeable``).

    With ``groups > 1`` the axis before the spatial axes (channels) is split
    into ``(groups, channels // groups)``.

    >>> import numpy as np
    >>> window_view(np, np.arange(6.).reshape(1, 6), (2,), (2,), (1,)).tolist()
    [[[0.0, 1.0], [2.0, 3.0], [4.0, 5.0]]]
    """
    n = len(kernel)
    spatial = tuple(x.shape[-n:])
    out = output_shape(spatial, kernel, stride, dilation)
    lead_shape, lead_strides = tuple(x.shape[:-n]), tuple(x.strides[:-n])
    if groups > 1:
        channels, channel_stride = lead_shape[-1], lead_strides[-1]
        lead_shape = lead_shape[:-1] + (groups, channels // groups)
        lead_strides = lead_strides[:-1] + (channel_stride * (channels // groups), channel_stride)
    steps = tuple(x.strides[-n:])
    shape = lead_shape + out + tuple(kernel)
    strides = (lead_strides + tuple(st * s for st, s in zip(steps, stride))
               + tuple(st * d for st, d in zip(steps, dilation)))
    if getattr(xp, "__name__", "") == "numpy":
        return xp.lib.stride_tricks.as_strided(x, shape=shape, strides=strides, writeable=False)
    return xp.lib.stride_tricks.as_strided(x, shape=shape, strides=strides)  # CuPy: no flag


def accumulate_windows(xp, grad, spatial, kernel, stride, dilation):
    """Add a gradient shaped ``lead + out + kernel`` back onto ``lead + spatial``.

    Overlapping windows accumulate: one strided add per kernel offset.

    >>> import numpy as np
    >>> accumulate_windows(np, np.ones((3, 3, 3, 3)), (5, 5), (3, 3), (1, 1), (1, 1))[0]
    array([1., 2., 3., 2., 1.])
    """
    n = len(kernel)
    lead = tuple(grad.shape[:-2 * n])
    total = xp.zeros(lead + tuple(spatial), dtype=grad.dtype)
    first = tuple(range(grad.ndim - n, grad.ndim)) + tuple(range(grad.ndim - 2 * n,
                                                                   grad.ndim - n))
    add_windows(total, grad.transpose(tuple(range(len(lead))) + first), kernel, stride,
                dilation)
    return total


def add_windows(target, grad, kernel, stride, dilation, first_row=0):
    """Add a gradient shaped ``lead + kernel + out`` (windows of output rows from
    ``first_row`` on) onto ``target`` (``lead + spatial``), in place.

    One strided add per kernel offset; where windows cannot overlap (stride at least
    the window span) an assignment, so ``target`` must hold zeros there.

    >>> import numpy as np
    >>> total = np.zeros(5)
    >>> add_windows(total, np.ones((3, 2)), (3,), (1,), (1,), first_row=1); total
    array([0., 1., 2., 2., 1.])
    """
    n = len(kernel)
    out = tuple(grad.shape[-n:])
    disjoint = all(s >= d * (k - 1) + 1 for k, s, d in zip(kernel, stride, dilation))
    starts = (first_row * stride[0],) + (0,) * (n - 1)
    for offset in product(*(range(k) for k in kernel)):
        at = tuple(slice(b + o * d, b + o * d + s * (m - 1) + 1, s)
                   for b, o, d, s, m in zip(starts, offset, dilation, stride, out))
        piece = grad[(Ellipsis,) + offset + (slice(None),) * n]
        if disjoint:
            target[(Ellipsis,) + at] = piece
        else:
            target[(Ellipsis,) + at] += piece
