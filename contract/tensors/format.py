"""Torch-like ``repr`` of a Tensor: ``tensor([1., 2.], requires_grad=True)``.

>>> import contract as ct
>>> ct.tensor([1.5, 2.])
tensor([1.5000, 2.0000])
>>> ct.tensor([1, 2], dtype=ct.int32)
tensor([1, 2], dtype=ct.int32)
"""
import numpy as np

_DEFAULT_DTYPES = ("float32", "int64", "bool", "complex64")


def _body(array):
    """The values as torch prints them (integral floats as ``1.``, else 4 decimals)."""
    prefix = "tensor("
    if array.size == 0:
        return "[]" if array.ndim == 1 else "[]"
    options = {"separator": ", ", "prefix": prefix, "threshold": 1000, "edgeitems": 3}
    if array.dtype.kind in "fc":
        finite = array[np.isfinite(array)]
        integral = finite.size == 0 or bool(np.all(finite == np.round(finite)))
        big = finite.size and float(np.max(np.abs(finite))) >= 1e8
        if not integral and not big:
            options.update(precision=4, floatmode="fixed", suppress_small=True)
        elif big:
            options.update(precision=4, floatmode="fixed")
    return np.array2string(array, **options)


def format_tensor(t, array):
    """``repr(t)`` in torch's layout, from ``array``, the tensor's values on the host."""
    array = np.asarray(array)
    parts = [_body(array)]
    if array.size == 0 and array.shape != (0,):
        parts.append(f"size={tuple(array.shape)}")
    if t.device != "cpu":
        parts.append(f"device='{t.device}'")
    if array.dtype.name not in _DEFAULT_DTYPES:
        parts.append(f"dtype=ct.{array.dtype.name}")
    if t.grad_fn is not None:
        parts.append(f"grad_fn=<{t.grad_fn.name()}>")
    elif t.requires_grad:
        parts.append("requires_grad=True")
    return "tensor(" + ", ".join(parts) + ")"
