"""Reductions lowered to einsum equations: ``sum mean var std prod``, ``cumsum``.

``t.sum(dim=1)`` on a 3-d tensor writes ``abc->ac`` (cached per
``(ndim, dims)``) and runs the cached plan; ``keepdim`` is a reshape view.
``var`` is two-pass: ``d = x - mean(x)`` then ``abc,abc->b`` over ``d``.

>>> import contract as ct
>>> reduce_equation(3, (1,))
'abc->ac'
>>> ct.tensor([2281.5, 2281.25]).var().item()
0.03125
"""
from functools import lru_cache

import numpy as np

from contract.dtypes import accumulation_dtype, as_dtype, conj
from contract.engine.kernels.real import LETTERS
from contract.errors import ContractError
from contract.tensors.core import Tensor, _dim, _xp_of, record
from contract.tensors.einsum import run_equation
from contract.tensors.ops.arith import sub
from contract.tensors.ops.complex import conj as tensor_conj, real


@lru_cache(maxsize=4096)
def reduce_equation(ndim, dims, operands=1):
    """Einsum text summing axes ``dims`` of ``operands`` same-shaped operands."""
    if ndim > len(LETTERS):
        raise ContractError(f"tensors with {ndim} dimensions are not supported")
    labels = LETTERS[:ndim]
    kept = "".join(c for k, c in enumerate(labels) if k not in dims)
    return ",".join([labels] * operands) + "->" + kept


def _normalize(dims, ndim):
    axes = [_dim(d, ndim) for d in dims]
    for k, axis in enumerate(axes):
        if axis in axes[:k]:
            raise ContractError(f"dim {axis} appears multiple times in the list of dims "
                                f"{tuple(dims)}")
    return tuple(sorted(axes))


@lru_cache(maxsize=4096)
def _dims_cached(dim, ndim):
    if dim is None or dim == () or dim == []:
        return tuple(range(ndim))
    axes = _normalize(dim, ndim) if isinstance(dim, tuple) else (_dim(dim, ndim),)
    return axes if ndim else ()          # a 0-d tensor: dim 0 / -1 name no axis to reduce


def reduce_dims(dim, ndim, axis=None):
    """Sorted non-negative axes from torch's ``dim`` (int, tuple, list, None) or ``axis``."""
    if axis is not None:
        if dim is not None:
            raise ContractError("give dim or axis, not both")
        dim = axis
    if isinstance(dim, list):
        dim = tuple(dim)
    try:
        return _dims_cached(dim, ndim)
    except TypeError:
        raise ContractError(f"dim must be an int, a tuple or list of ints, or None; got "
                            f"{dim!r}") from None


def _kept_shape(shape, dims):
    return tuple(1 if k in dims else n for k, n in enumerate(shape))


def _einsum_reduce(name, input, dims, keepdim, operands=None, dtype=None):
    """Run the reduction equation; ``operands`` default to ``(input,)``."""
    operands = operands or (input,)
    text = reduce_equation(input.ndim, dims, len(operands))
    if dtype is not None:
        dtype = as_dtype(dtype)             # torch: sum(dtype=int32) is int32
        operands = tuple(t.to(dtype) for t in operands)
    out = run_equation(name, text, *operands, dtype=dtype)
    if keepdim:
        out = out.reshape(_kept_shape(input._data.shape, dims))
    return out


def sum(input, dim=None, keepdim=False, *, dtype=None, axis=None):
    """Sum over ``dim`` (int, tuple/list, None): the einsum ``abc->b`` style.

    >>> import contract as ct
    >>> ct.ones(2, 3).sum(dim=1)
    tensor([3., 3.])
    """
    data = input._data
    if dtype is None and data.ndim == 0 and data.dtype.kind in "biu":
        dtype = np.int64            # torch: an int or bool sum is int64, a 0-d one included
    dims = reduce_dims(dim, data.ndim, axis)
    return _einsum_reduce("Sum", input, dims, keepdim, dtype=dtype)


def _count(shape, dims):
    n = 1
    for k in dims:
        n *= shape[k]
    return n


def _scaled(name, t, scale):
    return record(name, t._data * t._data.dtype.type(scale), (t,),
                  lambda g: (g * g.dtype.type(scale),))


def _need_float(name, input):
    if input.dtype.kind not in "fc":
        raise ContractError(f"{name}(): could not infer output dtype. Input dtype must be either "
                            f"a floating point or complex dtype. Got: {input.dtype}")


def _accumulating(input):
    """``(input, dtype to cast the result back to, or None)``: a float16 tensor is reduced in
    float32, its accumulation dtype, so a mean or variance is scaled before it is cast
    (a float16 sum of 3 x 40000. would already be inf)."""
    acc = accumulation_dtype(input.dtype)
    return (input, None) if acc == input.dtype else (input.to(acc), input.dtype)


def _cast_back(out, back):
    return out if back is None else out.to(back)


def mean(input, dim=None, keepdim=False, *, dtype=None, axis=None):
    """Mean over ``dim``: the sum's einsum, scaled by ``1/n`` (float16: in float32).

    >>> import contract as ct
    >>> ct.tensor([[1., 2.], [3., 5.]]).mean(0)
    tensor([2.0000, 3.5000])
    >>> ct.tensor([40000.] * 3, dtype=ct.float16).mean().item()
    40000.0
    """
    if dtype is not None:
        input = input.to(as_dtype(dtype))
    _need_float("mean", input)
    input, back = _accumulating(input)
    dims = reduce_dims(dim, input._data.ndim, axis)
    total = _einsum_reduce("Sum", input, dims, keepdim)
    n = _count(input._data.shape, dims)
    return _cast_back(_scaled("Mean", total, 1.0 / n if n else float("nan")), back)


def _var_args(dim, unbiased, correction):
    """torch's positional ``var(dim, unbiased, keepdim)`` and ``var(unbiased)`` forms."""
    if isinstance(dim, bool) and unbiased is None:
        dim, unbiased = None, dim
    if unbiased is not None:
        correction = 1 if unbiased else 0
    return dim, correction


def var(input, dim=None, unbiased=None, keepdim=False, *, correction=1, axis=None):
    """Variance (two-pass: ``d = x - mean``, then ``abc,abc->b`` over ``d``); torch's
    positional ``var(dim, unbiased, keepdim)`` and ``var(unbiased)`` forms are accepted.

    ``correction=1`` (default) divides by ``n - 1``, ``correction=0`` by ``n``.

    >>> import contract as ct
    >>> x = ct.tensor([[1., 2.], [3., 6.]])
    >>> ct.var(x), x.var(dim=0), x.var(dim=1, correction=0, keepdim=True)
    (tensor(4.6667), tensor([2., 8.]), tensor([[0.2500],
            [2.2500]]))
    """
    dim, correction = _var_args(dim, unbiased, correction)
    _need_float("var", input)
    input, back = _accumulating(input)
    return _cast_back(_variance(input, dim, keepdim, correction, axis), back)


def _variance(input, dim, keepdim, correction, axis):
    dims = reduce_dims(dim, input._data.ndim, axis)
    centred = sub(input, mean(input, dims, keepdim=True))
    if input.dtype.kind == "c":         # torch: |x - mean|^2, a real result
        squares = real(_einsum_reduce("Sum", input, dims, keepdim,
                                      operands=(centred, tensor_conj(centred))))
    else:
        squares = _einsum_reduce("Sum", input, dims, keepdim, operands=(centred, centred))
    n = _count(input._data.shape, dims) - correction
    if n > 0:
        return _scaled("Var", squares, 1.0 / n)
    with np.errstate(invalid="ignore"):                 # torch divides by 0: inf, or nan
        return _scaled("Var", squares, float("inf"))


def std(input, dim=None, unbiased=None, keepdim=False, *, correction=1, axis=None):
    """Standard deviation: the square root of :func:`var` (two-pass).  Where the spread is 0
    the gradient is 0, as torch's (not the ``1 / (2 sqrt 0)`` of a plain square root).

    >>> import contract as ct
    >>> x = ct.ones(2, 3, requires_grad=True)
    >>> x.std(dim=1).sum().backward(); x.grad
    tensor([[0., 0., 0.],
            [0., 0., 0.]])
    """
    dim, correction = _var_args(dim, unbiased, correction)
    _need_float("std", input)
    input, back = _accumulating(input)
    v = _variance(input, dim, keepdim, correction, axis)
    xp = _xp_of(v._data)
    out = xp.sqrt(v._data)

    def vjp(g):
        with np.errstate(divide="ignore", invalid="ignore"):
            return (xp.where(out == 0, 0, g / (2 * out)).astype(out.dtype, copy=False),)
    return _cast_back(record("Std", out, (v,), vjp), back)


def prod(input, dim=None, keepdim=False, *, dtype=None, axis=None):
    """Product over one ``dim`` (or all; ``axis`` is its alias); the gradient is the product
    of the others.

    >>> import contract as ct
    >>> x = ct.tensor([[1., 2.], [3., 4.]], requires_grad=True)
    >>> x.prod(dim=1)
    tensor([ 2., 12.], grad_fn=<ProdBackward0>)
    >>> x.prod().backward(); x.grad
    tensor([[24., 12.],
            [ 8.,  6.]])
    """
    if dtype is not None:
        input = input.to(as_dtype(dtype))
    x = input._data
    dims = reduce_dims(dim, x.ndim, axis)
    out_dtype = np.dtype("int64") if x.dtype.kind in "biu" else x.dtype
    out = x.prod(axis=dims, keepdims=keepdim, dtype=out_dtype)
    whole = dim is None and axis is None
    return record("Prod", out, (input,), lambda g: (_prod_grad(x, dims, keepdim, g, whole),))


def _prod_grad(x, dims, keepdim, g, whole):
    """The product of all other elements (exclusive cumulative products), or ``prod / x``
    where torch takes it: they agree on finite values, and torch's choice decides where a
    NaN or inf is about.  torch divides when no element is 0 (in the whole tensor, for a
    ``dim`` reduction); over all elements (``whole``) two or more zeros give 0.
    """
    xp = _xp_of(x)
    if not x.size:                       # nothing was multiplied: an empty gradient
        return xp.zeros(x.shape, dtype=g.dtype)
    rest = tuple(k for k in range(x.ndim) if k not in dims)
    perm = rest + dims
    moved = x.transpose(perm)
    flat = moved.reshape(moved.shape[:len(rest)] + (-1,))
    ones = xp.ones(flat.shape[:-1] + (1,), dtype=flat.dtype)
    left = xp.cumprod(xp.concatenate([ones, flat[..., :-1]], axis=-1), axis=-1)
    right = xp.cumprod(xp.concatenate([ones, flat[..., ::-1][..., :-1]], axis=-1),
                       axis=-1)[..., ::-1]
    others = left * right
    zeros = (flat == 0).sum(axis=-1, keepdims=True)
    if not whole:
        zeros = zeros.sum()
    if (zeros == 0).any():
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = flat.prod(axis=-1, keepdims=True) / flat
        others = xp.where(zeros == 0, ratio, others)
    if whole:
        others = xp.where(zeros > 1, 0, others)
    if keepdim:
        g = g.reshape(tuple(g.shape[k] for k in rest))
    grad = (conj(others) * g[..., None]).reshape(moved.shape)   # complex: torch's conj
    return grad.transpose(tuple(perm.index(k) for k in range(x.ndim)))


def cumsum(input, dim, *, dtype=None):
    """Cumulative sum along ``dim``; its gradient is the reversed cumsum.

    >>> import contract as ct
    >>> ct.cumsum(ct.tensor([1, 2, 3]), dim=0), ct.ones(2, 3).cumsum(1)[0]
    (tensor([1, 3, 6]), tensor([1., 2., 3.]))
    """
    x = input._data
    d = _dim(dim, x.ndim)
    out_dtype = np.dtype("int64") if x.dtype.kind in "biu" else x.dtype
    if dtype is not None:
        out_dtype = as_dtype(dtype)
    out = x.cumsum(axis=d, dtype=out_dtype).reshape(x.shape)     # a 0-d input stays 0-d

    def vjp(g):
        xp = _xp_of(g)
        return (xp.flip(xp.flip(g, d).cumsum(axis=d), d),)
    return record("Cumsum", out, (input,), vjp)


def _logical(name, doc):
    """torch's ``all`` / ``any`` (``name``): a logical reduction with a bool result (uint8 for
    a uint8 tensor, as torch), documented by ``doc``."""
    def op(input, dim=None, keepdim=False):
        dims = reduce_dims(dim, input._data.ndim)
        flags = input._data.astype(bool, copy=False)
        out = getattr(flags, name)(axis=dims, keepdims=keepdim)
        # torch: uint8 in, uint8 out; bool for every other dtype
        out = out.astype(input.dtype) if input.dtype == np.uint8 else out
        return Tensor._wrap(out)
    op.__name__ = name
    op.__doc__ = doc
    return op


all_ = _logical("all", """True where every element over ``dim`` (default: all) is nonzero.

    >>> import contract as ct
    >>> x = ct.tensor([[1, 0], [2, 3]])
    >>> ct.all(x), x.all(dim=1), (x >= 0).all()
    (tensor(False), tensor([False,  True]), tensor(True))
    """)
any_ = _logical("any", """True where some element over ``dim`` (default: all) is nonzero.

    >>> import contract as ct
    >>> x = ct.tensor([[0., 0.], [0., 1.]])
    >>> ct.any(x), x.any(dim=1, keepdim=True)
    (tensor(True), tensor([[False],
            [ True]]))
    """)


METHODS = {"sum": sum, "mean": mean, "var": var, "std": std, "prod": prod, "cumsum": cumsum,
           "all": all_, "any": any_}
