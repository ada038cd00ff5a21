"""The small glue between nn's array code and ``ct.Tensor`` autograd.

``contract.tensors.core`` and ``contract.autograd.graph`` are imported on first use, so the
array-level functions work on NumPy/CuPy arrays without them.

>>> import numpy as np
>>> is_tensor(np.ones(2)), array_of(np.ones(2)).shape
(False, (2,))
"""
from contract.backends import backend_for
from contract.nn.windows import accumulate_windows, crop, pad, window_view
from contract.tensors.core import Tensor, record, wrap

def is_tensor(x) -> bool:
    """True when ``x`` is a ``ct.Tensor``."""
    return isinstance(x, Tensor)


def array_of(x):
    """The backend array behind ``x`` (a Tensor's data, or ``x`` itself)."""
    return x._data if is_tensor(x) else x


def namespace(array):
    """The array namespace (numpy, cupy) of a backend array."""
    return backend_for([array]).xp


def unary(name, data, parent, vjp):
    """A Tensor holding ``data``, recorded with ``vjp(grad) -> (grad_parent,)``."""
    return record(name, data, (parent,), vjp)


def constant(data):
    """A Tensor holding ``data``, outside the graph (e.g. indices)."""
    return wrap(data)


def windows(x, kernel, stride, pairs, dilation, value=0.0):
    """The window view (``lead + out + kernel``) of ``x`` padded by ``pairs`` with ``value``.

    On a Tensor it is differentiable: the gradient adds each window back onto the
    input (overlaps accumulate) and drops the padding.
    """
    data = array_of(x)
    xp = namespace(data)
    padded = pad(xp, data, pairs, value)
    view = window_view(xp, padded, kernel, stride, dilation)
    if not is_tensor(x):
        return view
    spatial = tuple(padded.shape[-len(kernel):])

    def vjp(grad):
        total = accumulate_windows(xp, grad, spatial, kernel, stride, dilation)
        return (crop(total, pairs),)
    return unary("windows", view, x, vjp)


def crop_to(x, sizes):
    """``x`` cut to ``sizes`` on its trailing axes (differentiable)."""
    n = len(sizes)
    extra = tuple((0, have - want) for have, want in zip(x.shape[-n:], sizes))
    if not any(b for _, b in extra):
        return x
    data = array_of(x)
    cut = crop(data, extra)
    if not is_tensor(x):
        return cut
    xp = namespace(data)
    return unary("crop", cut, x, lambda grad: (pad(xp, grad, extra, 0),))
