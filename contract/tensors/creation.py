"""Tensor creation functions and dtypes (torch names; default float32).

>>> import contract as ct
>>> ct.tensor([1., 2.]).dtype, ct.tensor([1, 2]).dtype, ct.tensor([1.], dtype=float).dtype
(dtype('float32'), dtype('int64'), dtype('float64'))
>>> ct.zeros(2, 3).shape == ct.zeros((2, 3)).shape
True
"""
import operator

import numpy as np

from contract.dtypes import DTYPES, as_dtype  # noqa: F401 (re-exported: ct.creation.as_dtype)
from contract.errors import ContractError
from contract.tensors.core import Tensor, default_dtype, read_data, to_device as _to_device

float16, float32, float64 = np.dtype("float16"), np.dtype("float32"), np.dtype("float64")
int8, int16, int32, int64 = (np.dtype(n) for n in ("int8", "int16", "int32", "int64"))
uint8, complex64, complex128 = np.dtype("uint8"), np.dtype("complex64"), np.dtype("complex128")
bool_ = np.dtype("bool")
half, double, long, cfloat = float16, float64, int64, complex64
_RNG = [np.random.default_rng()]


def _pick(dtype, default):
    """``dtype`` as a NumPy dtype, or ``default`` when None (dtypes are falsy: no ``or``)."""
    return default if dtype is None else as_dtype(dtype)


def tensor(data, dtype=None, requires_grad=False, device=None):
    """A new leaf tensor holding a copy of ``data``.

    >>> tensor([[1., 2.]], requires_grad=True)
    tensor([[1., 2.]], requires_grad=True)
    """
    array = read_data(data)
    if dtype is not None:
        array = array.astype(as_dtype(dtype), copy=False)
    array = _to_device(array, device)
    return _leaf(array, requires_grad)


def _leaf(array, requires_grad):
    t = Tensor._wrap(array)
    if requires_grad:
        t.requires_grad_(True)
    return t


def as_tensor(data, dtype=None, device=None):
    """Like :func:`tensor` but shares memory with a NumPy array when it can.

    >>> import numpy as np, contract as ct
    >>> a = np.zeros(2)
    >>> t = ct.as_tensor(a); a[0] = 1.; t
    tensor([1., 0.], dtype=ct.float64)
    >>> ct.as_tensor([1, 2])
    tensor([1, 2])
    """
    if isinstance(data, Tensor) and dtype is None and device is None:
        return data
    if isinstance(data, np.ndarray) or hasattr(data, "__array_namespace__"):
        array = data if dtype is None else data.astype(as_dtype(dtype), copy=False)
        return _leaf(_to_device(array, device), False)
    return tensor(data, dtype=dtype, device=device)


def from_numpy(array):
    """A tensor sharing memory with ``array``.

    >>> a = np.zeros(2); t = from_numpy(a); a[0] = 5; t
    tensor([5., 0.], dtype=ct.float64)
    """
    if not isinstance(array, np.ndarray):
        raise ContractError(f"from_numpy expects a numpy.ndarray, got {type(array).__name__}")
    return Tensor._wrap(array)


def shape_args(args, name="shape"):
    """Shapes as varargs or one tuple/list: ``(2, 3)`` or ``((2, 3),)``."""
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        args = tuple(args[0])
    try:               # ints and integer scalars only: 2.5 and True are refused, as torch does
        shape = tuple(operator.index(d) for d in args if not isinstance(d, (bool, np.bool_)))
    except TypeError:
        shape = ()
    if len(shape) != len(args):
        raise ContractError(f"{name} must be ints, got {args!r}")
    if any(d < -1 for d in shape):
        raise ContractError(f"{name} {shape} has a negative size")
    return shape


def _sizes(args):
    """A shape for a new tensor: no ``-1`` placeholder, no negative size."""
    shape = shape_args(args)
    if any(d < 0 for d in shape):
        raise ContractError(f"Trying to create tensor with negative dimension: shape {shape}")
    return shape


def _filled(fill, args, dtype, requires_grad, device, default=float32):
    shape = _sizes(args)
    array = np.full(shape, fill, dtype=_pick(dtype, default))
    return _leaf(_to_device(array, device), requires_grad)


def zeros(*size, dtype=None, requires_grad=False, device=None):
    """Torch-like creation.

    >>> zeros(2)
    tensor([0., 0.])"""
    return _filled(0, size, dtype, requires_grad, device)


def ones(*size, dtype=None, requires_grad=False, device=None):
    """Torch-like creation.

    >>> ones(2, dtype=int64)
    tensor([1, 1])"""
    return _filled(1, size, dtype, requires_grad, device)


def empty(*size, dtype=None, requires_grad=False, device=None):
    """An uninitialised tensor (zeros here).

    >>> import contract as ct
    >>> ct.empty(2, 3).shape
    ct.Size([2, 3])
    """
    return _filled(0, size, dtype, requires_grad, device)


def full(size, fill_value, dtype=None, requires_grad=False, device=None):
    """Torch-like creation.

    >>> full((2,), 7)
    tensor([7, 7])"""
    if not isinstance(fill_value, (bool, int, float, complex, np.number, np.bool_)):
        raise ContractError(f"full(): fill_value must be a number, got "
                            f"{type(fill_value).__name__}")
    default = default_dtype(np.asarray(fill_value))
    return _filled(fill_value, (size,) if isinstance(size, int) else size, dtype,
                   requires_grad, device, default)


def _like(t, fill, dtype, requires_grad, device):
    dtype = _pick(dtype, t.dtype)
    array = t._xp.full(t._data.shape, fill, dtype=dtype)
    return _leaf(_to_device(array, device), requires_grad)


def zeros_like(input, dtype=None, requires_grad=False, device=None):
    """Zeros of ``input``'s shape (and dtype, unless ``dtype`` is given).

    >>> import contract as ct
    >>> ct.zeros_like(ct.tensor([[1, 2]])), ct.zeros_like(ct.tensor([1, 2]), dtype=ct.float32)
    (tensor([[0, 0]]), tensor([0., 0.]))
    """
    return _like(input, 0, dtype, requires_grad, device)


def ones_like(input, dtype=None, requires_grad=False, device=None):
    """Ones of ``input``'s shape (and dtype, unless ``dtype`` is given).

    >>> import contract as ct
    >>> ct.ones_like(ct.zeros(2, 2))
    tensor([[1., 1.],
            [1., 1.]])
    """
    return _like(input, 1, dtype, requires_grad, device)


def empty_like(input, dtype=None, requires_grad=False, device=None):
    """An uninitialised tensor of ``input``'s shape and dtype (zeros here).

    >>> import contract as ct
    >>> ct.empty_like(ct.zeros(2, 3)).shape
    ct.Size([2, 3])
    """
    return _like(input, 0, dtype, requires_grad, device)


def full_like(input, fill_value, dtype=None, requires_grad=False, device=None):
    """``fill_value`` in ``input``'s shape (and dtype, unless ``dtype`` is given).

    >>> import contract as ct
    >>> ct.full_like(ct.zeros(3), 7), ct.full_like(ct.tensor([1, 2]), 2.5)
    (tensor([7., 7., 7.]), tensor([2, 2]))
    """
    return _like(input, fill_value, dtype, requires_grad, device)


def arange(start, end=None, step=1, dtype=None, requires_grad=False, device=None):
    """Torch-like creation.

    >>> arange(3), arange(0, 1, 0.5)
    (tensor([0, 1, 2]), tensor([0.0000, 0.5000]))"""
    if end is None:
        start, end = 0, start
    if step == 0:
        raise ContractError("arange: step must be nonzero")
    floats = any(isinstance(v, float) for v in (start, end, step))
    array = np.arange(start, end, step, dtype=np.float64 if floats else np.int64)
    array = array.astype(_pick(dtype, (float32 if floats else int64)))
    return _leaf(_to_device(array, device), requires_grad)


def linspace(start, end, steps, dtype=None, requires_grad=False, device=None):
    """Torch-like creation.

    >>> linspace(0, 1, 3)
    tensor([0.0000, 0.5000, 1.0000])"""
    if int(steps) < 0:
        raise ContractError(f"linspace: number of steps must be non-negative, got {steps}")
    array = np.linspace(start, end, int(steps)).astype(_pick(dtype, float32))
    return _leaf(_to_device(array, device), requires_grad)


def eye(n, m=None, dtype=None, requires_grad=False, device=None):
    """Torch-like creation.

    >>> eye(2)
    tensor([[1., 0.],
            [0., 1.]])"""
    if int(n) < 0 or (m is not None and int(m) < 0):
        raise ContractError(f"eye: n and m must be non-negative, got n={n}, m={m}")
    array = np.eye(int(n), None if m is None else int(m), dtype=_pick(dtype, float32))
    return _leaf(_to_device(array, device), requires_grad)


def manual_seed(seed):
    """Seed the generator used by :func:`rand` and :func:`randn`.

    Returns the new generator (a ``numpy.random.Generator``).

    >>> import contract as ct
    >>> _ = ct.manual_seed(0); a = ct.randn(3)
    >>> _ = ct.manual_seed(0); bool((ct.randn(3) == a).all())
    True
    """
    _RNG[0] = np.random.default_rng(int(seed))
    return _RNG[0]


def rand(*size, dtype=None, requires_grad=False, device=None):
    """Uniform [0, 1) samples (float32 by default).

    >>> import contract as ct
    >>> x = ct.rand(2, 3)
    >>> x.shape, x.dtype, bool(((x >= 0) & (x < 1)).all())
    (ct.Size([2, 3]), dtype('float32'), True)
    """
    array = _RNG[0].random(_sizes(size)).astype(_pick(dtype, float32))
    return _leaf(_to_device(array, device), requires_grad)


def randn(*size, dtype=None, requires_grad=False, device=None):
    """Standard normal samples (float32 by default).

    >>> import contract as ct
    >>> w = ct.randn(3, 4, dtype=ct.float64, requires_grad=True)
    >>> w.shape, w.dtype, w.requires_grad
    (ct.Size([3, 4]), dtype('float64'), True)
    """
    array = _RNG[0].standard_normal(_sizes(size)).astype(_pick(dtype, float32))
    return _leaf(_to_device(array, device), requires_grad)


def randint(low, high=None, size=(), dtype=None, device=None):
    """Integers in [low, high) (int64 by default).

    >>> import contract as ct
    >>> k = ct.randint(0, 10, (2, 5))
    >>> k.shape, k.dtype, bool(((k >= 0) & (k < 10)).all())
    (ct.Size([2, 5]), dtype('int64'), True)
    >>> ct.randint(3, (4,)).shape          # torch's randint(high, size)
    ct.Size([4])
    """
    if isinstance(high, (tuple, list)) and size == ():
        high, size = None, high          # torch's randint(high, size)
    if high is None:
        low, high = 0, low
    low, high = _bounds(low, high)
    array = _RNG[0].integers(low, high, _sizes((size,))).astype(_pick(dtype, int64))
    return _leaf(_to_device(array, device), False)


def _bounds(low, high):
    """randint's ``[low, high)`` as ints within int64, ``low < high`` (torch's checks)."""
    try:
        low, high = operator.index(low), operator.index(high)
    except TypeError:
        raise ContractError(f"randint: low and high must be ints, got {low!r} and "
                            f"{high!r}") from None
    if low >= high:
        raise ContractError(f"randint: expects 'low' to be less than 'high', but got "
                            f"low={low} >= high={high}")
    if low < -2 ** 63 or high > 2 ** 63:
        raise ContractError(f"randint: [{low}, {high}) does not fit int64")
    return low, high


def randperm(n, dtype=None, device=None):
    """A random permutation of ``range(n)``.

    >>> import contract as ct
    >>> sorted(ct.randperm(5).tolist())
    [0, 1, 2, 3, 4]
    """
    array = _RNG[0].permutation(_sizes((n,))[0]).astype(_pick(dtype, int64))
    return _leaf(_to_device(array, device), False)
