"""No silent integer overflow: an integer einsum that may pass its result dtype runs exactly.

Each semiring states, as its ``int_bound`` field, a bound on every value its integer kernels
must hold, from the largest magnitude of each operand and the number of terms one result
element gathers (the product of the summed labels' sizes).  For the real semiring that is
``prod(max|operand|) * terms``, and it need only bound the result: int64 arithmetic is exact
modulo 2**64, so a result that fits comes out right even where a partial sum wrapped.  For
max-plus it is ``sum(max|operand|)``, which bounds every partial result too.

:func:`guard` decides once per plan and operand dtypes: no check (floats, an explicit
``dtype=``, or dtype ranges that cannot overflow), or a check per call of the operands'
magnitudes (:meth:`Backend.magnitude`).  Past the bound the plan runs on Python ints (NumPy
object arrays) and :func:`exact_result` returns the result in the result dtype, or raises
``ContractError`` when even the exact result does not fit; ``dtype="int64"`` given
explicitly keeps NumPy's wrap-around.

>>> import numpy as np, contract as ct
>>> a = np.array([2 ** 62, 2 ** 62, -2 ** 62], dtype=np.int64)
>>> int(ct.einsum("i->", a)) == 2 ** 62
True
>>> ct.einsum("i->", a[:2])
Traceback (most recent call last):
...
contract.errors.ContractError: the exact result of 'i->' reaches 9223372036854775808, which int64 cannot hold (it holds -9223372036854775808 to 9223372036854775807); pass dtype='float64' for a rounded result, or dtype='int64' for NumPy's wrap-around
"""
from math import prod
from typing import Callable, NamedTuple, Optional, Tuple

import numpy as np

from contract.errors import ContractError

OBJECT = np.dtype(object)


def real_bound(maxima, terms):
    """Sum of products: ``|result| <= prod(max|operand|) * terms``.

    >>> real_bound([3, 4], 5)
    60
    """
    return prod(maxima) * terms


def plus_bound(maxima, terms):
    """Max (or min) of sums: every partial result is at most ``sum(max|operand|)``.

    >>> plus_bound([3, 4], 5)
    7
    """
    return sum(maxima)


def times_bound(maxima, terms):
    """Max of products: every partial product is at most ``prod(max(max|operand|, 1))``.

    >>> times_bound([0, 4], 5)
    4
    """
    return prod(max(m, 1) for m in maxima)


def _dtype_magnitude(dtype):
    """The largest ``|value|`` a bool or integer dtype holds."""
    if dtype.kind == "b":
        return 1
    info = np.iinfo(dtype)
    return max(info.max, -info.min)


class Guard(NamedTuple):
    """A per-call overflow check: ``int_bound(maxima, terms) > limit`` means run exactly."""

    int_bound: Callable
    terms: int
    limit: int

    def exceeded(self, backend, arrays) -> bool:
        """Whether the operands' magnitudes allow a value past the result dtype."""
        maxima = [backend.magnitude(a) for a in arrays]
        if None in maxima:           # a backend without an exact fallback: int64 as it is
            return False
        return self.int_bound(maxima, self.terms) > self.limit


def guard(int_bound: Optional[Callable], dtypes: Tuple[np.dtype, ...], compute: np.dtype,
          terms: int, explicit: bool) -> Optional[Guard]:
    """The check an integer einsum needs, or None (none can overflow, or none is wanted).

    >>> i8, i64 = np.dtype("int8"), np.dtype("int64")
    >>> guard(real_bound, (i8, i8), i64, 1000, False) is None
    True
    >>> guard(real_bound, (i64, i64), i64, 1000, False).terms
    1000
    """
    if int_bound is None or explicit or compute.kind not in "iu":
        return None
    limit = int(np.iinfo(compute).max)
    if int_bound([_dtype_magnitude(d) for d in dtypes], terms) <= limit:
        return None
    return Guard(int_bound, terms, limit)


def on_objects(program):
    """``program`` (``(positions, kernel)`` pairs) for object arrays: NumPy reduces an object
    array over all its axes to a bare Python int, which the next kernel cannot index, so each
    kernel's result (the first item of a tracked kernel's pair) is made a 0-d array again."""
    def held(fn):
        def run(xp, *arrays, **kwargs):
            out = fn(xp, *arrays, **kwargs)
            if isinstance(out, tuple):
                return (_array(xp, out[0]),) + out[1:]
            return _array(xp, out)
        return run
    return [(positions, held(fn)) for positions, fn in program]


def _array(xp, value):
    return value if hasattr(value, "shape") else xp.asarray(value, dtype=OBJECT)


def exact_result(value, result: np.dtype, equation: str):
    """An exact (object) result in ``result``, or ContractError when it does not fit.

    >>> exact_result(np.array([5, -3], dtype=object), np.dtype("int64"), "i->i")
    array([ 5, -3])
    """
    if value.size:
        low, high = int(value.min()), int(value.max())
        info = np.iinfo(result)
        if low < info.min or high > info.max:
            worst = low if low < info.min else high
            raise ContractError(
                f"the exact result of {equation!r} reaches {worst}, which {result} cannot hold "
                f"(it holds {info.min} to {info.max}); pass dtype='float64' for a rounded "
                f"result, or dtype='{result}' for NumPy's wrap-around")
    return value.astype(result)
