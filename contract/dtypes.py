"""The dtype policy of API.md section 5: no silent integer overflow.

An einsum on integer or bool inputs that sums over a label or multiplies two
or more operands accumulates in int64; float16 accumulates in float32 and is
returned as float16; otherwise dtypes promote as NumPy promotes.

>>> import numpy as np
>>> policy([np.dtype("int8")], reduces=True, dtype=None)
(dtype('int64'), dtype('int64'))
>>> policy([np.dtype("float16")], reduces=True, dtype=None)
(dtype('float32'), dtype('float16'))
"""
import numpy as np

from contract.errors import ContractError

_INT64 = np.dtype(np.int64)
_FLOAT32 = np.dtype(np.float32)
_FLOAT16 = np.dtype(np.float16)


def as_dtype(dtype) -> np.dtype:
    """A NumPy dtype from anything NumPy accepts, or a ContractError."""
    try:
        return np.dtype(dtype)
    except TypeError:
        raise ContractError(f"{dtype!r} is not a dtype") from None


def policy(dtypes, reduces: bool, dtype=None):
    """``(compute_dtype, result_dtype)`` for an einsum over ``dtypes``.

    ``reduces`` is True when the einsum sums a label or multiplies two or
    more operands (so integers could overflow their own width).
    """
    if dtype is not None:
        result = as_dtype(dtype)
    else:
        try:
            result = np.result_type(*dtypes)
        except TypeError as err:
            raise ContractError(f"operand dtypes {list(map(str, dtypes))} cannot be combined: "
                                f"{err}") from None
        if reduces and result.kind in "biu" and result != np.dtype(np.uint64):
            result = _INT64
    if result.kind not in "biufc":
        raise ContractError(f"einsum needs numeric operands, got dtype {result}")
    compute = _FLOAT32 if (result == _FLOAT16 and reduces) else result
    return compute, result
