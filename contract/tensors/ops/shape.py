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
    """A view with a new shape (shares memory; raises where a copy would be needed).

    One size may be ``-1`` (inferred).  ``view(dtype)`` reads the same bytes as another dtype.

    >>> import contract as ct
    >>> x = ct.arange(6)
    >>> v = x.view(2, 3); v[0, 0] = 100; x[:3]
    tensor([100,   1,   2])
    >>> x.view(-1, 2).shape
    ct.Size([3, 2])
    """
    if len(shape) == 1 and not isinstance(shape[0], (tuple, list, int, np.integer)):
        try:     # view(dtype): the same bytes read as another dtype (not differentiable)
            return Tensor._wrap(input._data.view(as_dtype(shape[0])))
        except ValueError as err:
            raise ShapeError(f"view({shape[0]}) of a tensor of shape {tuple(input.shape)} "
                             f"and dtype {input.dtype}: {err}") from None
    return _reshaped(input, shape, copy=False)


def reshape(input, *shape):
    """A view when possible, else a copy.

    >>> import contract as ct
    >>> ct.reshape(ct.arange(6), (3, -1))
    tensor([[0, 1],
            [2, 3],
            [4, 5]])
    >>> ct.arange(6).reshape(2, 3).t().reshape(6)       # not a view here: a copy
    tensor([0, 3, 1, 4, 2, 5])
    """
    return _reshaped(input, shape, copy=True)


def flatten(input, start_dim=0, end_dim=-1):
    """Merge dimensions ``start_dim`` to ``end_dim`` into one (a view when possible).

    >>> import contract as ct
    >>> x = ct.zeros(2, 3, 4)
    >>> ct.flatten(x).shape, x.flatten(1).shape, x.flatten(0, 1).shape
    (ct.Size([24]), ct.Size([2, 12]), ct.Size([6, 4]))
    """
    return reshape(input, flattened_shape(tuple(input.shape), start_dim, end_dim))


def flattened_shape(shape, start_dim, end_dim):
    """The shape ``flatten(start_dim, end_dim)`` gives (a 0-d shape becomes ``(1,)``).

    >>> flattened_shape((2, 3, 4), 1, -1), flattened_shape((), 0, -1)
    ((2, 12), (1,))
    """
    s, e = _dim(start_dim, len(shape)), _dim(end_dim, len(shape))
    if not shape:
        return (1,)
    if s > e:
        raise ContractError(f"flatten() has invalid args: start_dim ({start_dim}) cannot come "
                            f"after end_dim ({end_dim})")
    merged = 1
    for n in shape[s:e + 1]:
        merged *= n                     # not -1: a zero-size tensor cannot infer it
    return shape[:s] + (merged,) + shape[e + 1:]


def permute(input, *dims):
    """Reorder axes (a view with permuted strides).

    >>> import contract as ct
    >>> x = ct.zeros(2, 3, 4)
    >>> ct.permute(x, (2, 0, 1)).shape, x.permute(1, 0, 2).shape
    (ct.Size([4, 2, 3]), ct.Size([3, 2, 4]))
    """
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
    """Swap two axes (a view).

    >>> import contract as ct
    >>> x = ct.tensor([[1, 2, 3]])
    >>> ct.transpose(x, 0, 1), ct.zeros(2, 3, 4).transpose(-1, 0).shape
    (tensor([[1],
            [2],
            [3]]), ct.Size([4, 3, 2]))
    """
    perm = list(range(input.ndim))
    a, b = _dim(dim0, input.ndim), _dim(dim1, input.ndim)
    perm[a], perm[b] = perm[b], perm[a]
    return permute(input, perm)


def t(input):
    """The transpose of a matrix (a view); 0-d and 1-d tensors come back as they are.

    >>> import contract as ct
    >>> ct.t(ct.tensor([[1, 2], [3, 4]])), ct.tensor([1, 2]).t()
    (tensor([[1, 3],
            [2, 4]]), tensor([1, 2]))
    """
    if input.ndim > 2:
        raise ContractError(f"t() expects a tensor with <= 2 dimensions, got {input.ndim}")
    return permute(input, *range(input.ndim - 1, -1, -1))


def unsqueeze(input, dim):
    """A new axis of size 1 at ``dim`` (negative counts from the end of the result).

    >>> import contract as ct
    >>> x = ct.tensor([1., 2.])
    >>> ct.unsqueeze(x, 0), x.unsqueeze(-1).shape
    (tensor([[1., 2.]]), ct.Size([2, 1]))
    """
    d = _dim(dim, input.ndim + 1)
    shape = input.shape[:d] + (1,) + input.shape[d:]
    return _reshaped(input, shape, copy=True)


def squeeze(input, dim=None):
    """Drop axes of size 1 (all of them, or those in ``dim`` that have size 1).

    >>> import contract as ct
    >>> x = ct.zeros(1, 3, 1)
    >>> ct.squeeze(x).shape, x.squeeze(0).shape, x.squeeze(1).shape
    (ct.Size([3]), ct.Size([3, 1]), ct.Size([1, 3, 1]))
    """
    return _reshaped(input, squeezed_shape(tuple(input.shape), dim), copy=True)


def squeezed_shape(shape, dim=None):
    """The shape ``squeeze(dim)`` gives: size-1 axes dropped (those of ``dim``, or all).

    >>> squeezed_shape((1, 3, 1)), squeezed_shape((1, 3, 1), 1), squeezed_shape((), 0)
    ((3,), (1, 3, 1), ())
    """
    if dim is None:
        dims = {k for k, n in enumerate(shape) if n == 1}
    else:
        dims = {_dim(d, len(shape)) for d in (dim if isinstance(dim, (tuple, list)) else [dim])}
        dims = {k for k in dims if k < len(shape) and shape[k] == 1}   # 0-d: dim 0 is a no-op
    return tuple(n for k, n in enumerate(shape) if k not in dims)


def expand(input, *sizes):
    """Broadcast to ``sizes`` (``-1`` keeps a size); a view with zero strides.

    >>> import contract as ct
    >>> x = ct.tensor([[1.], [2.]])
    >>> x.expand(2, 3), x.expand(4, -1, 3).shape
    (tensor([[1., 1., 1.],
            [2., 2., 2.]]), ct.Size([4, 2, 3]))
    """
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
    """``expand(other.shape)``: broadcast to another tensor's shape (a view).

    >>> import contract as ct
    >>> ct.tensor([[1.], [2.]]).expand_as(ct.zeros(2, 3))
    tensor([[1., 1., 1.],
            [2., 2., 2.]])
    """
    return expand(input, other.shape)


def contiguous(input):
    """The tensor itself when its elements are in row-major order, else a row-major copy.

    >>> import contract as ct
    >>> x = ct.zeros(2, 3).t()
    >>> x.is_contiguous(), x.contiguous().is_contiguous(), x.contiguous().shape
    (False, True, ct.Size([3, 2]))
    """
    if input.is_contiguous():
        return input
    return record("Clone", _xp_of(input._data).ascontiguousarray(input._data), (input,),
                  lambda g: (g,))


def clone(input):
    """A copy with its own memory (differentiable: the gradient passes through).

    >>> import contract as ct
    >>> x = ct.tensor([1., 2.])
    >>> y = ct.clone(x); y[0] = 5.; x
    tensor([1., 2.])
    """
    return record("Clone", input._data.copy(), (input,), lambda g: (g,))


def to(input, *args, dtype=None, device=None, copy=False):
    """``to(dtype)``, ``to(device)``, ``to(device, dtype)`` (differentiable casts).

    A cast to a non-float dtype ends the graph, as torch's.

    >>> import contract as ct
    >>> x = ct.tensor([1.5, 2.5], requires_grad=True)
    >>> x.to(ct.float64), x.to("cpu") is x, x.to(ct.int64)
    (tensor([1.5000, 2.5000], dtype=ct.float64, grad_fn=<ToBackward0>), True, tensor([1, 2]))
    """
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


def _caster(dtype, doc):
    def cast(input):
        return to(input, dtype)
    cast.__doc__ = doc
    return cast


float_ = _caster("float32", """``to(ct.float32)`` (differentiable; a no-op when it is already).

    >>> import contract as ct
    >>> ct.tensor([1, 2]).float()
    tensor([1., 2.])
    """)
double = _caster("float64", """``to(ct.float64)`` (differentiable), e.g. for gradient checks.

    >>> import contract as ct
    >>> ct.tensor([1.5]).double()
    tensor([1.5000], dtype=ct.float64)
    """)
long = _caster("int64", """``to(ct.int64)``: floats are truncated toward zero.

    >>> import contract as ct
    >>> ct.tensor([1.7, -1.7]).long()
    tensor([ 1, -1])
    """)
int_ = _caster("int32", """``to(ct.int32)``: floats are truncated toward zero.

    >>> import contract as ct
    >>> ct.tensor([2.9]).int()
    tensor([2], dtype=ct.int32)
    """)
half = _caster("float16", """``to(ct.float16)`` (reductions of it accumulate in float32).

    >>> import contract as ct
    >>> ct.tensor([1., 2.]).half().sum()
    tensor(3., dtype=ct.float16)
    """)
bool_ = _caster("bool", """``to(ct.bool)``: nonzero is True.

    >>> import contract as ct
    >>> ct.tensor([0., 2., -1.]).bool()
    tensor([False,  True,  True])
    """)


def type_as(input, other):
    """``input`` cast to ``other``'s dtype (differentiable).

    >>> import contract as ct
    >>> ct.tensor([1, 2]).type_as(ct.zeros(1, dtype=ct.float64))
    tensor([1., 2.], dtype=ct.float64)
    """
    return to(input, _tensor_arg(other, "type_as").dtype)


def cpu(input):
    """The tensor on the CPU (a NumPy array): itself when it is there, else a copy.

    >>> import contract as ct
    >>> x = ct.ones(2)
    >>> x.cpu() is x
    True
    """
    return to(input, "cpu")


def cuda(input):
    """A copy on the GPU (a CuPy array); gradients flow back to the CPU tensor.

    >>> import contract as ct
    >>> try:                               # with CuPy and a GPU
    ...     y = ct.ones(2).cuda()
    ... except ct.ContractError:           # no CuPy here: the error says how to get it
    ...     y = ct.ones(2)
    >>> y.cpu()
    tensor([1., 1.])
    """
    return to(input, "cuda")


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
    """Split into ``chunks`` views along ``dim`` (the last may be smaller), as torch does.

    >>> import contract as ct
    >>> ct.chunk(ct.arange(5), 2), ct.zeros(4, 6).chunk(3, dim=1)[0].shape
    ((tensor([0, 1, 2]), tensor([3, 4])), ct.Size([4, 2]))
    """
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
    """Reverse the order of elements along ``dims`` (a copy, as torch's).

    >>> import contract as ct
    >>> x = ct.tensor([[1, 2, 3], [4, 5, 6]])
    >>> ct.flip(x, 1), x.flip((0, 1))[0]
    (tensor([[3, 2, 1],
            [6, 5, 4]]), tensor([6, 5, 4]))
    """
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
    "to": to, "cpu": cpu, "cuda": cuda, "float": float_, "double": double, "long": long,
    "int": int_, "half": half, "bool": bool_, "type_as": type_as,
    "__getitem__": getitem, "gather": gather, "chunk": chunk,
    "flip": flip, "swapaxes": transpose,
}
