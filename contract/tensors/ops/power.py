"""``input ** exponent`` (``pow``, ``**``, reflected ``**``) with torch's rules and gradients.

A negative integer power of an integer tensor is refused with torch's message (for a
tensor exponent torch computes ``0``/``1``/``-1`` instead: see README). Gradients:
``g * conj(y x^(y-1))`` and ``g * conj(x^y log x)``, torch's complex convention.

>>> import contract as ct
>>> ct.tensor([2, 3]) ** 2
tensor([4, 9])
>>> 2 ** ct.tensor([1., 3.])
tensor([2., 8.])
"""
import numpy as np

from contract.dtypes import conj
from contract.errors import ContractError
from contract.tensors.core import Tensor, _xp_of as _xp, record
from contract.tensors.ops.broadcast import binary, pair


def pow(input, exponent):
    """``input ** exponent`` (either may be a tensor).

    >>> import contract as ct
    >>> ct.pow(ct.tensor([1., 2., 3.]), 2), ct.pow(2, ct.tensor([0, 1, 3]))
    (tensor([1., 4., 9.]), tensor([1, 2, 8]))
    >>> x = ct.tensor([2.], requires_grad=True)
    >>> (x ** 3).backward(); x.grad
    tensor([12.])
    """
    if (isinstance(exponent, (int, np.integer)) and exponent < 0 and isinstance(input, Tensor)
            and input.dtype.kind in "biu"):
        raise ContractError("Integers to negative integer powers are not allowed.")
    a, b = pair(input, exponent)
    if b._data.ndim == 0 and not isinstance(exponent, Tensor):
        e = exponent
        return record("Pow", _power(a._data, b._data), (a, b),
                      lambda g: (_pow_grad(g, a._data, e), None))
    return binary("Pow", _power, a, b, _pow_vjp)


def _pow_vjp(x, y, o, need_x, need_y):
    """``g * conj(y x^(y-1))`` and ``g * conj(x^y log x)`` (log taken as 0 where it is not
    defined: ``x <= 0`` for real, ``x == 0`` for complex)."""
    def vjp(g):
        xp = _xp(o)
        grad_x = g * conj(y * x ** (y - 1)) if need_x else None
        if not need_y:
            return grad_x, None
        safe = xp.where(x == 0, 1, x) if x.dtype.kind == "c" else xp.where(x > 0, x, 1)
        return grad_x, g * conj(o * xp.log(safe))
    return vjp


def _power(x, y):
    """``x ** y``; NumPy's refusal of negative integer powers becomes a ContractError."""
    try:
        return x ** y
    except ValueError:
        raise ContractError("Integers to negative integer powers are not allowed.") from None


def _pow_grad(g, x, e):
    """``g * e * x ** (e - 1)`` for a scalar exponent, with the common cases cheap."""
    if e == 0:
        return g * 0
    if e == 1:
        return g
    if x.dtype.kind == "c":
        return g * conj(e * x ** (e - 1))
    if e == 2:
        out = g * x
        out *= 2
        return out
    return g * (e * x ** (e - 1))


def _reflect(fn):
    return lambda self, other: fn(other, self)


METHODS = {"__pow__": pow, "__rpow__": _reflect(pow), "pow": pow}
