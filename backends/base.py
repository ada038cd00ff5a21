"""The Backend protocol, and the array-module backend that NumPy and CuPy share.

A backend wraps an array namespace ``xp`` (``numpy``, ``cupy``, ...) and adds
the few operations the executor needs beyond it: preparing an operand view
(split groups, squeeze, diagonals), writing onto a diagonal, zeros, casts.

>>> import numpy as np
>>> from contract.backends.base import ArrayBackend
>>> ArrayBackend(np, "numpy").zeros((2,), np.float64)
array([0., 0.])
"""
from typing import Protocol


class Backend(Protocol):
    """What the executor asks of an array library."""

    name: str
    xp: object

    def asarray(self, x): ...
    def prepare(self, x, prep): ...
    def embed_diagonal(self, values, full_shape, positions, dtype, fill=0): ...
    def zeros(self, shape, dtype): ...
    def full(self, shape, value, dtype): ...
    def cast(self, x, dtype): ...
    def magnitude(self, x): ...


class ArrayBackend:
    """A Backend over a NumPy-compatible module (NumPy itself, CuPy)."""

    def __init__(self, xp, name):
        self.xp = xp
        self.name = name

    def __repr__(self):
        return f"<{self.name} backend>"

    def asarray(self, x):
        return self.xp.asarray(x)

    def prepare(self, x, prep):
        """Apply an OperandPrep: split groups, squeeze size-1 axes, take diagonals."""
        if prep.split_shape is not None:
            x = x.reshape(prep.split_shape)
        if prep.squeeze:
            x = self.xp.squeeze(x, axis=prep.squeeze)
        for a, b in prep.diagonals:
            x = self.xp.diagonal(x, axis1=a, axis2=b)
        return x

    def embed_diagonal(self, values, full_shape, positions, dtype, fill=0):
        """``fill`` (a semiring's zero) in ``full_shape`` with ``values`` written on the
        diagonal.

        ``positions[k]`` lists the axes of the full array that label k of
        ``values`` occupies; the write goes through one strided view.
        """
        out = self.xp.full(full_shape, fill, dtype=dtype)
        strides = tuple(sum(out.strides[p] for p in axes) for axes in positions)
        view = self.xp.lib.stride_tricks.as_strided(out, shape=values.shape, strides=strides)
        view[...] = values
        return out

    def zeros(self, shape, dtype):
        return self.xp.zeros(shape, dtype=dtype)

    def full(self, shape, value, dtype):
        return self.xp.full(shape, value, dtype=dtype)

    def cast(self, x, dtype):
        return x.astype(dtype, copy=False)

    def magnitude(self, x):
        """The largest ``|value|`` of an integer or bool array as a Python int (0 when
        empty), read to bound an integer einsum's results; None where this backend has no
        exact (Python int) fallback to run past int64.

        >>> import numpy as np
        >>> ArrayBackend(np, "numpy").magnitude(np.array([3, -2 ** 63]))
        9223372036854775808
        """
        if not x.size:
            return 0
        if x.size <= 32:             # a few elements: Python's max is faster than two passes
            values = x.ravel().tolist()
            return int(max(max(values), -min(values)))
        if x.dtype.kind == "i":      # |x| read unsigned: |-2**63| is 2**63, not negative
            return int(self.xp.abs(x).view(x.dtype.str.replace("i", "u")).max())
        return int(x.max())
