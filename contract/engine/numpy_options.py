"""numpy.einsum's keywords beside the equation: ``out=``, ``order=`` and ``casting=``.

A keyword named like a label is a label size when its value is an int (``ct.einsum("b
(h p) -> b h", x, p=2)``); ``out``, ``order`` and ``casting`` with any other value are
numpy's options.  ``casting`` follows numpy's rules for the operands (to ``dtype=`` or
their common dtype) and for ``out``; when it is not given, ``dtype=`` casts as it always
has (numpy's default would be ``"safe"``).  ``order`` lays out the result ("C", "F", "A":
"F" when every operand is Fortran-ordered, "K": as computed).

>>> import numpy as np
>>> numpy_keywords({"out": None, "order": "F", "p": 2})
(None, 'F', None)
>>> ordered(np.ones((2, 3)), "F", []).flags.f_contiguous
True
"""
import numpy as np

from contract.errors import ContractError

CASTINGS = ("no", "equiv", "safe", "same_kind", "unsafe")
ORDERS = ("C", "F", "A", "K")


def numpy_keywords(sizes):
    """Pop numpy's ``out``, ``order`` and ``casting`` from the keywords (an int there is the
    size of a label with that name); returns ``(out, order, casting)``, None when absent."""
    found = []
    for name in ("out", "order", "casting"):
        value = sizes.get(name)
        if name in sizes and not isinstance(value, (int, np.integer)):
            found.append(sizes.pop(name))
        else:
            found.append(None)
    order, casting = found[1:]
    if order is not None and order not in ORDERS:
        raise ContractError(f"order must be one of 'C', 'F', 'A' or 'K', got {order!r}")
    if casting is not None and casting not in CASTINGS:
        raise ContractError(f"casting must be one of {', '.join(map(repr, CASTINGS))}, "
                            f"got {casting!r}")
    return tuple(found)


def check_casting(casting, dtypes, dtype):
    """Raise unless every operand dtype casts to ``dtype`` (or, when None, to the operands'
    common dtype) under numpy's ``casting`` rule."""
    try:
        target = np.dtype(dtype) if dtype is not None else np.result_type(*dtypes)
    except TypeError:
        return                        # the dtype policy explains what does not combine
    for i, have in enumerate(dtypes):
        if not np.can_cast(have, target, casting):
            raise ContractError(f"operand {i} has dtype {np.dtype(have)}, which does not cast "
                                f"to {target} under casting={casting!r}")


def copy_into(out, value, casting):
    """Write ``value`` into ``out`` under numpy's ``casting`` rule (the caller checked the
    array type); returns ``out``."""
    if tuple(out.shape) != tuple(value.shape):
        raise ContractError(f"out has shape {tuple(out.shape)}, the result has shape "
                            f"{tuple(value.shape)}")
    if not np.can_cast(value.dtype, out.dtype, casting):
        raise ContractError(f"out has dtype {out.dtype}; the result is {value.dtype}, which "
                            f"does not cast to it under casting={casting!r}")
    out[...] = value
    return out


def ordered(value, order, arrays):
    """``value`` in memory ``order`` (NumPy and CuPy arrays; a Tensor result is made
    contiguous for "C" and "A"; Dask arrays have no memory order and are kept)."""
    if order in (None, "K"):
        return value
    flags = [getattr(a, "flags", None) for a in arrays]
    if order == "A":
        order = "F" if flags and all(f is not None and f.f_contiguous for f in flags) else "C"
    layout = getattr(value, "flags", None)
    if layout is not None and hasattr(value, "copy"):
        done = layout.c_contiguous if order == "C" else layout.f_contiguous
        return value if done else value.copy(order=order)
    if hasattr(value, "contiguous"):           # a Tensor: row-major only, as in torch
        if order == "F":
            raise ContractError("order='F' lays out arrays; a Tensor result is row-major "
                                "(take .numpy() and np.asfortranarray for Fortran order)")
        return value.contiguous()
    return value
