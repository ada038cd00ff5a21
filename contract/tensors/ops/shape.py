"""Views, copies, casts and indexing (``view`` ... ``gather chunk flip``; joins: ops_join).

Views share memory with their base as in torch (``transpose`` swaps strides,
``view`` raises on a layout it cannot express without a copy).

>>> import contract as ct
>>> x = ct.arange(6.).view(2, 3)
>>> x.t().stride(), x.t().is_contiguous()
((1, 3), False)
"""
import numpy as np

from contract.tensors.core import record
from contract.tensors.creation import as_dtype, shape_args
from contract.dtypes import grad_cast
from contract.errors import ContractError, ShapeError
from contract.tensors.core import Tensor, _dim, _xp_of, to_device, to_host
from contract.tensors.views import is_basic, mark_view


def reshape_target(shape, size):
    """The shape ``view``/``reshape`` make of ``shape`` (varargs or one tuple, with at most
    one ``-1``) for ``size`` elements; ShapeError when it does not hold them.

    >>> reshape_target((2, -1), 6), reshape_target(((3, 2),), 6)
    ((2, 3), (3, 2))
    """
    shape = shape_args(shape)
    if shape.count(-1) > 1:
        raise ShapeError("only one dimension can be inferred (-1)")
    known = 1
    for d in shape:
        known *= d if d != -1 else 1
    if -1 in shape:
        if known == 0 or size % known:
            raise ShapeError(f"shape {list(shape)} is invalid for input of size {size}")
        shape = tuple(size // known if d == -1 else d for d in shape)
    elif known != size:
        raise ShapeError(f"shape {list(shape)} is invalid for input of size {size}")
    return shape


def _reshaped(input, shape, copy):
    x = input._data
    shape = reshape_target(shape, x.size)
    try:
        out = _reshape(x, shape, copy)
    except (ValueError, AttributeError):
        raise ShapeError("view size is not compatible with input tensor's size and stride (at "
                         "least one dimension spans across two contiguous subspaces). Use "
                         ".reshape(...) instead.") from None
    old = x.shape
    made = record("View" if not copy else "Reshape", out, (input,),
                  lambda g: (g.reshape(old),))
    if not copy or _shares(out, x):
        mark_view(made, input, lambda a: a.reshape(shape))
    return made


def _shares(out, x):
    """True when the backend array ``out`` is a view on ``x``'s memory."""
    base = getattr(out, "base", None)
    return base is not None and (base is x or base is getattr(x, "base", None))


def _reshape(x, shape, copy):
    """``x.reshape(shape)``; without ``copy`` a ValueError where a copy would be needed."""
    try:
        return x.reshape(shape, copy=None if copy else False)
    except TypeError:       # array modules without reshape(copy=): check for a view
        out = x.reshape(shape)
        if not copy and x.size and getattr(out, "base", None) is None:
            raise ValueError("a view is not possible") from None
        return out


def view(input, *shape):
    """A view with a new shape (shares memory; raises where a copy would be needed)."""
    if len(shape) == 1 and not isinstance(shape[0], (tuple, list, int, np.integer)):
        try:     # view(dtype): the same bytes read as another dtype (not differentiable)
            return Tensor._wrap(input._data.view(as_dtype(shape[0])))
        except ValueError as err:
            raise ShapeError(f"view({shape[0]}) of a tensor of shape {tuple(input.shape)} "
                             f"and dtype {input.dtype}: {err}") from None
    return _reshaped(input, shape, copy=False)


def reshape(input, *shape):
    """A view when possible, else a copy."""
    return _reshaped(input, shape, copy=True)


def flatten(input, start_dim=0, end_dim=-1):
    s, e = _dim(start_dim, input.ndim), _dim(end_dim, input.ndim)
    if input.ndim == 0:
        return reshape(input, 1)
    if s > e:
        raise ContractError(f"flatten() has invalid args: start_dim ({start_dim}) cannot come "
                            f"after end_dim ({end_dim})")
    shape = input.shape
    merged = 1
    for n in shape[s:e + 1]:
        merged *= n                     # not -1: a zero-size tensor cannot infer it
    return reshape(input, shape[:s] + (merged,) + shape[e + 1:])


def permute(input, *dims):
    """Reorder axes (a view with permuted strides)."""
    dims = shape_args(dims, "dims") if dims else ()
    perm = tuple(_dim(d, input.ndim) for d in dims)
    if sorted(perm) != list(range(input.ndim)):
        raise ContractError(f"permute: dims {list(dims)} are not a permutation of "
                            f"{input.ndim} axes")
    inverse = tuple(perm.index(k) for k in range(len(perm)))
    made = record("Permute", input._data.transpose(perm), (input,),
                  lambda g: (g.transpose(inverse),))
    return mark_view(made, input, lambda a: a.transpose(perm))


def transpose(input, dim0, dim1):
    """Swap two axes (a view)."""
    perm = list(range(input.ndim))
    a, b = _dim(dim0, input.ndim), _dim(dim1, input.ndim)
    perm[a], perm[b] = perm[b], perm[a]
    return permute(input, perm)


def t(input):
    if input.ndim > 2:
        raise ContractError(f"t() expects a tensor with <= 2 dimensions, got {input.ndim}")
    return permute(input, *range(input.ndim - 1, -1, -1))


def unsqueeze(input, dim):
    d = _dim(dim, input.ndim + 1)
    shape = input.shape[:d] + (1,) + input.shape[d:]
    return _reshaped(input, shape, copy=True)


def squeeze(input, dim=None):
    shape = input.shape
    if dim is None:
        dims = {k for k, n in enumerate(shape) if n == 1}
    else:
        dims = {_dim(d, input.ndim) for d in (dim if isinstance(dim, (tuple, list)) else [dim])}
        dims = {k for k in dims if k < input.ndim and shape[k] == 1}   # 0-d: dim 0 is a no-op
    return _reshaped(input, tuple(n for k, n in enumerate(shape) if k not in dims), copy=True)


def expand(input, *sizes):
    """Broadcast to ``sizes`` (``-1`` keeps a size); a view with zero strides."""
    sizes = shape_args(sizes)
    lead = len(sizes) - input.ndim
    if lead < 0:
        raise ShapeError(f"expand: the number of sizes ({len(sizes)}) must be at least the "
                         f"number of dimensions ({input.ndim})")
    target = tuple(input.shape[k - lead] if d == -1 else d for k, d in enumerate(sizes))
    try:
        out = _xp_of(input._data).broadcast_to(input._data, target)
    except ValueError:
        raise ShapeError(f"the expanded size {list(sizes)} does not fit the tensor's shape "
                         f"{tuple(input.shape)}") from None
    xp = _xp_of(input._data)
    if out.size == input._data.size and not any(s == 0 and n > 1
                                                for s, n in zip(out.strides, out.shape)):
        out = input._data.reshape(target)       # nothing repeats: a writable view, as torch

        def fn(a):
            return a.reshape(target)
    else:
        def fn(a):
            return xp.broadcast_to(a, target)
    made = record("Expand", out, (input,), lambda g: (g,))
    return mark_view(made, input, fn)


def expand_as(input, other):
    return expand(input, other.shape)


def contiguous(input):
    if input.is_contiguous():
        return input
    return record("Clone", _xp_of(input._data).ascontiguousarray(input._data), (input,),
                  lambda g: (g,))


def clone(input):
    return record("Clone", input._data.copy(), (input,), lambda g: (g,))


def to(input, *args, dtype=None, device=None, copy=False):
    """``to(dtype)``, ``to(device)``, ``to(device, dtype)`` (differentiable casts)."""
    for arg in args:
        if isinstance(arg, Tensor):
            dtype, device = arg.dtype, arg.device
        elif isinstance(arg, str) and arg.split(":")[0] in ("cpu", "cuda"):
            device = arg
        else:
            dtype = arg
    out = input
    if device is not None and str(device).split(":")[0] != input.device:
        out = _move(out, str(device))
    if dtype is not None and as_dtype(dtype) != out.dtype:
        old = out.dtype
        new = as_dtype(dtype)
        out = record("To", out._data.astype(new), (out,), lambda g: (grad_cast(g, old),))
        if new.kind not in "fc":
            out.grad_fn, out.requires_grad = None, False
    elif copy and out is input:
        out = clone(input)
    return out


def _move(input, device):
    """Copy between NumPy ("cpu") and CuPy ("cuda"); the gradient moves back."""
    if device.startswith("cuda"):
        data = to_device(input._data, device)
        return record("ToCopy", data, (input,), lambda g: (to_host(g),))
    return record("ToCopy", to_host(input._data), (input,), lambda g: (to_device(g, "cuda"),))


def _caster(dtype):
    return lambda input: to(input, dtype)


def _index(value):
    if isinstance(value, Tensor):
        return value._data
    if isinstance(value, tuple) or _sequence_as_tuple(value):
        return tuple(_index(v) for v in value)
    return value


def _sequence_as_tuple(value):
    """torch's (NumPy's legacy) rule: a short list holding a Tensor, a sequence, a slice,
    ``...`` or ``None`` indexes like a tuple: ``t[[rows, cols]]`` is ``t[rows, cols]``."""
    return isinstance(value, list) and len(value) < 32 and any(
        isinstance(v, (Tensor, list, tuple, slice)) or v is None or v is Ellipsis
        for v in value)


def _as_view_index(idx):
    """A basic index that gives a view even where it selects one element: NumPy hands back
    a scalar (a copy) for ``a[0]`` on a 1-d array, but a 0-d view for ``a[0, ...]``.

    >>> _as_view_index(1), _as_view_index((0, Ellipsis))
    ((1, Ellipsis), (0, Ellipsis))
    """
    items = idx if type(idx) is tuple else (idx,)
    return items if any(i is Ellipsis for i in items) else items + (Ellipsis,)


def getitem(input, index):
    """Basic (view), integer-array and boolean-mask indexing, differentiable."""
    x = input._data
    idx = _index(index)
    basic = is_basic(idx)
    if basic:
        idx = _as_view_index(idx)
    try:
        out = x[idx]
    except IndexError as err:
        raise ShapeError(f"index {index!r} is out of range for shape {tuple(x.shape)}: "
                         f"{err}") from None
    except (TypeError, ValueError) as err:
        raise ContractError(f"invalid index {index!r}: {err}") from None

    shape = x.shape      # the vjp keeps the shape only: x is not saved for backward

    def vjp(g):
        xp = _xp_of(g)
        full = xp.zeros(shape, dtype=g.dtype)
        if basic:                    # distinct elements: a plain write (no ufunc.at)
            full[idx] = g
        else:                        # repeated integer indices accumulate
            xp.add.at(full, idx, g)
        return (full,)
    made = record("Index", out, (input,), vjp)
    if basic:
        mark_view(made, input, lambda a: a[idx])
    return made


def gather(input, dim, index):
    """``out[i][j] = input[index[i][j]][j]`` style selection along ``dim``; a 0-d input or
    index is read as 1-d of size 1, as torch reads it.

    >>> import contract as ct
    >>> ct.tensor(5.).gather(0, ct.tensor([0, 0]))
    tensor([5., 5.])
    """
    d = _dim(dim, input.ndim)
    idx = index._data if isinstance(index, Tensor) else np.asarray(index)
    if input.ndim == 0 or idx.ndim == 0:
        flat = gather(reshape(input, -1) if input.ndim == 0 else input, d,
                      Tensor._wrap(idx.reshape(-1) if idx.ndim == 0 else idx))
        return reshape(flat, idx.shape)
    xp = _xp_of(input._data)
    if idx.size == 0 and idx.dtype.kind in "iu":     # torch checks no shape for an empty index
        data = input._data
        return record("Gather", xp.zeros(idx.shape, dtype=data.dtype), (input,),
                      lambda g: (xp.zeros(data.shape, dtype=g.dtype),))
    _check_gather_index(input, d, idx)
    region = tuple(slice(0, n) if k != d else slice(None) for k, n in enumerate(idx.shape))
    try:
        out = xp.take_along_axis(input._data[region], idx, axis=d)
    except (IndexError, ValueError) as err:
        raise ShapeError(f"gather: index of shape {tuple(idx.shape)} does not fit input of "
                         f"shape {tuple(input.shape)} along dim {dim}: {err}") from None

    def vjp(g):
        full = xp.zeros(input._data.shape, dtype=g.dtype)
        grid = list(xp.indices(idx.shape, sparse=True))
        grid[d] = idx
        xp.add.at(full, tuple(grid), g)
        return (full,)
    return record("Gather", out, (input,), vjp)


def _check_gather_index(input, d, idx):
    """torch's rules: an int64-like index of the input's rank, no larger than the input
    outside ``d``, with entries in ``[0, size)`` (no wrap-around of negative ones)."""
    shape = tuple(input.shape)
    if idx.dtype.kind not in "iu":
        raise ContractError(f"gather(): Expected dtype int64 for index, got {idx.dtype}")
    if idx.ndim != len(shape) or any(n > shape[k] for k, n in enumerate(idx.shape) if k != d):
        raise ShapeError(f"gather: index of shape {tuple(idx.shape)} does not fit input of "
                         f"shape {shape} along dim {d} (same rank, and no larger outside dim)")
    if idx.size and (int(idx.min()) < 0 or int(idx.max()) >= shape[d]):
        bad = int(idx.min()) if int(idx.min()) < 0 else int(idx.max())
        raise ContractError(f"gather: index {bad} is out of bounds for dimension {d} with "
                            f"size {shape[d]}")


def _tensor_arg(value, name, k=None):
    """``value`` if it is a Tensor, else torch's complaint as a ContractError."""
    if not isinstance(value, Tensor):
        where = "" if k is None else f" as element {k} of the sequence"
        raise ContractError(f"{name}: expected a Tensor{where}, got {type(value).__name__}")
    return value


def chunk(input, chunks, dim=0):
    """Split into ``chunks`` views along ``dim`` (the last may be smaller), as torch does."""
    if not isinstance(chunks, int) or chunks <= 0:
        raise ContractError(f"chunk expects `chunks` to be greater than 0, got: {chunks}")
    if input.ndim == 0:
        raise ContractError("chunk expects at least a 1-dimensional tensor")
    d = _dim(dim, input.ndim)
    size = input.shape[d]
    step = -(-size // chunks)
    starts = range(0, size, step) if size else [0] * chunks    # torch: `chunks` empty pieces
    return tuple(getitem(input, (slice(None),) * d + (slice(k, k + step),)) for k in starts)


def flip(input, dims):
    dims = tuple(_dim(d, input.ndim) for d in (dims if isinstance(dims, (list, tuple))
                                               else [dims]))
    if len(set(dims)) != len(dims):
        raise ContractError(f"flip: dim appears multiple times in the list of dims {dims}")
    dims = tuple(d for d in dims if d < input.ndim)     # 0-d: dim 0 names no axis
    xp = _xp_of(input._data)
    return record("Flip", xp.flip(input._data, dims).copy(), (input,),
                  lambda g: (xp.flip(g, dims),))


METHODS = {
    "view": view, "reshape": reshape, "flatten": flatten, "permute": permute,
    "transpose": transpose, "t": t, "unsqueeze": unsqueeze, "squeeze": squeeze,
    "expand": expand, "expand_as": expand_as, "contiguous": contiguous, "clone": clone,
    "to": to, "cpu": lambda self: to(self, "cpu"), "cuda": lambda self: to(self, "cuda"),
    "float": _caster("float32"), "double": _caster("float64"), "long": _caster("int64"),
    "int": _caster("int32"), "half": _caster("float16"), "bool": _caster("bool"),
    "type_as": lambda self, other: to(self, _tensor_arg(other, "type_as").dtype),
    "__getitem__": getitem, "gather": gather, "chunk": chunk,
    "flip": flip, "swapaxes": transpose,
}
