"""The dtype policy (README: "How it runs", dtype policy): no silent integer overflow.

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
_FLOAT64 = np.dtype(np.float64)
_COMPLEX64 = np.dtype(np.complex64)


# torch's dtype names ("float" is float32, "int" int32, as in torch), also as "torch.<name>"
DTYPES = {name: np.dtype(name) for name in (
    "float16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8", "bool",
    "complex64", "complex128")}
DTYPES.update(half=DTYPES["float16"], double=DTYPES["float64"], long=DTYPES["int64"],
              float=DTYPES["float32"], int=DTYPES["int32"])


def as_dtype(dtype, torch_names=True):
    """A NumPy dtype from a ct/NumPy dtype, a torch name (``"torch.float64"``, ``"long"``), a
    torch dtype, or a Python type (``float`` is float64); None stays None; else ContractError.

    With ``torch_names=False`` (``ct.einsum`` on arrays, which follows NumPy), a bare
    string means what NumPy says (``"float"`` is float64); ``"torch.*"`` / ``"ct.*"`` names
    still map through the torch table.

    >>> as_dtype("torch.float64"), as_dtype("float"), as_dtype(float)
    (dtype('float64'), dtype('float32'), dtype('float64'))
    >>> as_dtype("float", torch_names=False), as_dtype("ct.float32", torch_names=False)
    (dtype('float64'), dtype('float32'))
    """
    if dtype is None:
        return None
    name = dtype if isinstance(dtype, str) else (
        str(dtype) if type(dtype).__module__.startswith("torch") else None)
    if name is not None:
        bare = name.replace("torch.", "").replace("ct.", "")
        if bare in DTYPES and (torch_names or bare != name):
            return DTYPES[bare]
    try:
        return np.dtype(dtype)
    except TypeError:
        raise ContractError(f"{dtype!r} is not a dtype; use ct.float32, ct.int64, ...") from None


def policy(dtypes, reduces: bool, dtype=None, integer_add=True):
    """``(compute_dtype, result_dtype)`` for an einsum over ``dtypes``.

    ``reduces`` is True when the einsum sums a label or multiplies two or
    more operands (so integers could overflow their own width).
    ``integer_add`` is False for a semiring whose add leaves the integers
    (log-sum-exp): integer and bool operands then compute in the default
    float, float64 (as NumPy's ``logaddexp`` and torch's ``logsumexp`` promote).

    >>> policy([np.dtype("int32")], reduces=True, integer_add=False)
    (dtype('float64'), dtype('float64'))
    """
    for i, d in enumerate(dtypes):
        if d is not None and np.dtype(d).kind not in "biufc":
            raise ContractError(f"operand {i} is not numeric: an array of dtype {np.dtype(d)}")
    if dtype is not None:
        result = as_dtype(dtype, torch_names=False)
        _refuse_complex_drop(dtypes, result)
        if not integer_add and result.kind in "biu":
            raise ContractError(f"dtype={result} cannot hold this semiring's results: its add "
                                f"(e.g. log-sum-exp) is not closed on integers; pass a float "
                                f"dtype, or leave dtype=None to promote to float64")
    else:
        try:
            result = np.result_type(*dtypes)
        except TypeError as err:
            raise ContractError(f"operand dtypes {list(map(str, dtypes))} cannot be combined: "
                                f"{err}") from None
        if result.kind in "biu" and not integer_add:
            result = _FLOAT64
        elif reduces and result.kind in "biu" and result != np.dtype(np.uint64):
            result = _INT64
    if result.kind not in "biufc":
        raise ContractError(f"einsum needs numeric operands, got dtype {result}")
    compute = _FLOAT32 if (result == _FLOAT16 and reduces) else result
    return compute, result


def accumulation_dtype(dtype):
    """The dtype a sum of ``dtype`` values accumulates in: float32 for float16, else the
    dtype itself (a wrapper that scales a sum scales it here, then casts).

    >>> accumulation_dtype(np.dtype("float16")), accumulation_dtype(np.dtype("float64"))
    (dtype('float32'), dtype('float64'))
    """
    return _FLOAT32 if np.dtype(dtype) == _FLOAT16 else np.dtype(dtype)


def scalar_dtype(value, dtype):
    """torch's dtype for a Python scalar combined with a tensor of ``dtype`` (a "weak"
    scalar: it takes the tensor's dtype within its category).

    >>> scalar_dtype(2.5, np.dtype("float32")), scalar_dtype(2.5, np.dtype("int64"))
    (dtype('float32'), dtype('float32'))
    """
    kind = dtype.kind
    if isinstance(value, (bool, np.bool_)):
        return dtype
    if isinstance(value, (int, np.integer)):
        return _INT64 if kind == "b" else dtype
    if isinstance(value, (float, np.floating)):
        return dtype if kind in "fc" else _FLOAT32
    if isinstance(value, (complex, np.complexfloating)):
        return dtype if kind == "c" else (np.dtype("complex128") if dtype == np.float64
                                          else _COMPLEX64)
    raise ContractError(f"unsupported operand type {type(value).__name__} for a tensor op")


def _refuse_complex_drop(dtypes, result):
    """NumPy's ``casting='safe'``: a complex operand never computes in a real dtype."""
    if result.kind == "c":
        return
    for i, d in enumerate(dtypes):
        if d is not None and np.dtype(d).kind == "c":
            raise ContractError(f"einsum cannot compute in dtype={result}: operand {i} has dtype "
                                f"{np.dtype(d)}, and casting it would drop the imaginary part "
                                f"(numpy.einsum refuses it too); pass a complex dtype or take "
                                f"the real part first")


def conj(array):
    """The conjugate of a complex array; any other array is returned as it is (no copy).

    >>> import numpy as np
    >>> conj(np.array([1 + 2j]))
    array([1.-2.j])
    >>> a = np.ones(2); conj(a) is a
    True
    """
    return array.conj() if array.dtype.kind == "c" else array


def grad_cast(grad, dtype):
    """``grad`` in a parent's ``dtype``; a complex gradient of a real parent keeps its real part
    (torch's rule for mixed real/complex ops), without NumPy's ComplexWarning.

    >>> import numpy as np
    >>> grad_cast(np.array([1 + 2j]), np.dtype("float64"))
    array([1.])
    """
    if grad.dtype.kind == "c" and dtype.kind != "c":
        grad = grad.real
    return grad.astype(dtype, copy=False)
