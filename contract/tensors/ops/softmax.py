"""Softmax, log-softmax and vector norms: reductions over a dim, written as einsums.

``softmax(x, dim)`` is ``e / s`` with ``e = exp(x)`` and ``s`` the einsum ``ab->a`` of
``e`` (the real sum over ``dim``); ``log_softmax(x, dim)`` is ``x - logsumexp(x, dim)``,
where ``logsumexp`` is the log-semiring einsum ``ab->a``, here ``log(s)``.  The max-shift
that keeps ``exp`` finite (``x - max``, the maxplus einsum ``ab->a``) is needed only where
``exp`` overflows or the slice underflows, so it is applied to those slices alone: a
slice whose ``s`` is not finite, or is below 1 (softmax) or ``sqrt(tiny)`` (log-softmax),
is recomputed shifted.  That keeps torch's values, and its NaN for a slice of all ``-inf``
or holding a NaN.  Softmax keeps its relative precision; log-softmax values carry an
absolute error of a few float32 ulps of 1.0 (the rounding of ``exp`` of an unshifted
logit; torch's shifted formula is exact for the top class): ``log(s)`` is taken in float64
and, once ``|log(s)| >= 8``, subtracted in two float32 parts (``hi + lo``).

Backward: softmax ``y * (g - <g, y>)`` with ``<g, y>`` the einsum ``ab,ab->a``;
log-softmax ``g - exp(y) * sum(g)``.  Norms: ``sum(|x|^p)^(1/p)`` (``p=2``: the einsum
``ab,ab->a`` of ``x`` and ``conj(x)``), ``inf`` / ``-inf`` the maxplus / minplus einsum
of ``|x|``; gradients as torch's (0 where the norm is 0).

>>> import contract as ct
>>> x = ct.tensor([[1., 2., 3.], [1., 1., 1.]], requires_grad=True)
>>> x.softmax(dim=1)
tensor([[0.0900, 0.2447, 0.6652],
        [0.3333, 0.3333, 0.3333]], grad_fn=<SoftmaxBackward0>)
>>> ct.log_softmax(x.detach(), 1)[0]
tensor([-2.4076, -1.4076, -0.4076])
>>> ct.tensor([3., 4.]).norm()
tensor(5.)
"""
import math
import os
import sys
import warnings

import numpy as np

from contract.tensors.core import record
from contract.engine.api import einsum
from contract.errors import ContractError
from contract.tensors.ops.reduce import reduce_dims, reduce_equation
from contract.tensors.core import Tensor, _dim, _xp_of
from contract.tensors.ops.complex import unit_phase
from contract.tensors.dispatch import overridable

_FLOAT16, _FLOAT32, _FLOAT64 = np.dtype("float16"), np.dtype("float32"), np.dtype("float64")
_BUFFERED_ROWS = (256, 8192)   # row lengths for which _along_rows sets NumPy's buffer size
# log_softmax subtracts log(s) in float64 precision (a second float32 pass for the rounding
# of log(s)) only where |log(s)| >= 8: below, that rounding (<= ulp(8) / 2, 4 float32 ulps
# of 1.0) is the size of exp's own, and of torch's rounding of its log(sum(exp(x - max)))
_EXACT_BELOW = 8.0
BLOCK_ELEMENTS = 1 << 19       # elements per block of rows (2 MB of float32; measured best)


# -- array kernels ----------------------------------------------------------------------
def along_rows(ufunc, a, column, out=None):
    """``ufunc(a, column, out=out)`` for a ``column`` that broadcasts along ``a``'s last axis.

    NumPy's buffered iterator copies a broadcast column into its buffer element by
    element when one buffer (8192 elements by default) spans several rows: 2.5-3x
    slower than a scalar operand on rows of 1024 (measured, NumPy 2.4).  With a buffer
    of exactly one row nothing is copied, so the buffer size is the row length for the
    call (``np.setbufsize`` is local to the thread and context).

    >>> along_rows(np.subtract, np.ones((2, 300)), np.array([[1.], [2.]]))[:, 0]
    array([ 0., -1.])
    """
    n = a.shape[-1] if a.ndim else 0
    if (type(a) is np.ndarray and a.ndim >= 2 and _BUFFERED_ROWS[0] <= n < _BUFFERED_ROWS[1]
            and column.shape[-1] == 1 and a.strides[-1] == a.itemsize):
        old = np.setbufsize(-(-n // 16) * 16)
        try:
            return ufunc(a, column, out=out)
        finally:
            np.setbufsize(old)
    return ufunc(a, column, out=out)


def sum_along(axis, *arrays):
    """The einsum summing the product of ``arrays`` over ``axis``, the axis kept (size 1).

    >>> sum_along(1, np.ones((2, 3)), np.full((2, 3), 2.))
    array([[6.],
           [6.]])
    """
    a = arrays[0]
    if len(arrays) == 1 and axis == a.ndim - 1 and a.ndim > 1 and a.dtype.kind == "f" \
            and a.flags.c_contiguous:
        n = a.shape[-1]
        total = einsum("ab,b->a", a.reshape(-1, n), ones_vector(_xp_of(a), n, a.dtype))
        return total.reshape(a.shape[:-1] + (1,))
    total = einsum(reduce_equation(a.ndim, (axis,), len(arrays)), *arrays)
    return _xp_of(total).expand_dims(total, axis)


_ONES = {}


def ones_vector(xp, n, dtype):
    """A cached read-only vector of ``n`` ones: a row sum as the einsum ``ab,b->a`` is a GEMV,
    3x faster than NumPy's pairwise row sum on 1024-wide float32 rows (measured).

    >>> ones_vector(np, 3, np.float32)
    array([1., 1., 1.], dtype=float32)
    """
    key = (xp.__name__, n, np.dtype(dtype))
    found = _ONES.get(key)
    if found is None:
        if len(_ONES) > 64:
            _ONES.clear()
        found = _ONES[key] = xp.ones(n, dtype)
        if hasattr(found, "flags") and xp is np:
            found.flags.writeable = False
    return found


def _shifted(x, out, bad, axis, log):
    """Recompute the slices of ``out`` flagged by ``bad`` with the max-shift (maxplus einsum)."""
    xp = _xp_of(x)
    where = xp.nonzero(xp.squeeze(bad, axis))
    rows = xp.moveaxis(x, axis, -1)[where]                   # (k, n) copies of those slices
    shift = einsum("ab->a", rows, semiring="maxplus")[:, None]
    centred = rows - shift
    e = xp.exp(centred)
    s = einsum("ab->a", e)[:, None]
    xp.moveaxis(out, axis, -1)[where] = centred - xp.log(s) if log else e / s


def row_blocks(rows, n):
    """Slices of about :data:`BLOCK_ELEMENTS` elements of ``rows`` rows of ``n``: the passes
    over one block (``exp``, the row sums, the scaling) find it in cache.

    >>> row_blocks(5, BLOCK_ELEMENTS // 2)
    [slice(0, 2, None), slice(2, 4, None), slice(4, 5, None)]
    """
    step = max(1, BLOCK_ELEMENTS // max(n, 1))
    return [slice(k, min(k + step, rows)) for k in range(0, rows, step)]


def exp_rows(x2, mode):
    """``exp`` of a C-contiguous 2-D float array and its row sums ``s`` (the einsum ``ab,b->a``),
    block by block; ``mode`` finishes each block: ``"softmax"`` (``e / s``), ``"log_softmax"``
    (``x - log s``) or ``"sums"`` (nothing kept).  Returns ``(out or None, s, bad)``, ``bad``
    flagging rows whose ``s`` is not finite or below the mode's floor (redo them shifted).

    >>> out, s, bad = exp_rows(np.array([[0., np.log(3.)], [-800., -800.]]), "softmax")
    >>> out[0].round(6).tolist(), s.tolist(), bad.tolist()
    ([0.25, 0.75], [4.0, 0.0], [False, True])
    """
    xp = _xp_of(x2)
    rows, n = x2.shape
    blocks = row_blocks(rows, n)
    out = xp.empty_like(x2) if mode != "sums" else xp.empty_like(x2[blocks[0]])
    s = xp.empty(rows, x2.dtype)
    ones = ones_vector(xp, n, x2.dtype)
    floor = 1.0 if mode == "softmax" else math.sqrt(np.finfo(x2.dtype).tiny)
    with np.errstate(all="ignore"):
        for block in blocks:
            xb = x2[block]
            o = out[block] if mode != "sums" else out[:xb.shape[0]]
            xp.exp(xb, out=o)
            sb = s[block] = einsum("ab,b->a", o, ones)
            if mode == "softmax":
                along_rows(xp.multiply, o, (1 / sb)[:, None], o)
            elif mode == "log_softmax":
                _subtract_log(xp, xb, sb, o)
    bad = ~((s >= floor) & (s < np.inf))
    return (out if mode != "sums" else None), s, bad


def _subtract_log(xp, x, s, out):
    """``out = x - log(s)`` per row, ``log(s)`` taken in float64 and subtracted in two float32
    parts where its rounding would be larger than exp's (``|log s| >= 8``)."""
    total = xp.log(s.astype(_FLOAT64))[:, None]
    high = total.astype(x.dtype)
    along_rows(xp.subtract, x, high, out)
    if x.dtype != _FLOAT64:
        finite = xp.isfinite(high)
        if finite.any() and float(xp.abs(high[finite]).max()) >= _EXACT_BELOW:
            along_rows(xp.subtract, out, (total - high).astype(x.dtype), out)


def _softmax_forward(x, axis, log):
    """softmax / log_softmax over ``axis``: row blocks when ``axis`` is the last of a C-contiguous
    array, else whole-array passes; slices flagged bad are redone shifted."""
    xp = _xp_of(x)
    if x.size == 0:
        return xp.exp(x)
    if x.ndim == 1:
        return _softmax_forward(x[None], 1, log)[0]
    mode = "log_softmax" if log else "softmax"
    if axis == x.ndim - 1 and x.flags.c_contiguous:
        x2 = x.reshape(-1, x.shape[-1])
        out, _, bad = exp_rows(x2, mode)
        if bad.any():
            with np.errstate(all="ignore"):
                _shifted(x2, out, bad[:, None], 1, log)
        return out.reshape(x.shape)
    with np.errstate(all="ignore"):
        out = xp.exp(x)
        s = sum_along(axis, out)
        floor = math.sqrt(np.finfo(x.dtype).tiny) if log else 1.0
        bad = ~((s >= floor) & (s < np.inf))
        if log:
            total = xp.log(s.astype(_FLOAT64))
            xp.subtract(x, total.astype(x.dtype), out=out)
            if x.dtype != _FLOAT64:
                xp.subtract(out, (total - total.astype(x.dtype)).astype(x.dtype), out=out)
        else:
            out *= 1 / s
        if bad.any():
            _shifted(x, out, bad, axis, log)
    return out


def softmax_array(x, axis):
    """``exp(x) / sum(exp(x))`` over ``axis`` of a float array (see the module docstring).

    >>> softmax_array(np.array([[0., np.log(3.)], [1000., 1000.]]), 1)
    array([[0.25, 0.75],
           [0.5 , 0.5 ]])
    """
    return _softmax_forward(x, axis, log=False)


def log_softmax_array(x, axis):
    """``x - log(sum(exp(x)))`` over ``axis`` of a float array (see the module docstring).

    >>> log_softmax_array(np.array([[0., 0.], [-1000., -1000.]]), 1)
    array([[-0.69314718, -0.69314718],
           [-0.69314718, -0.69314718]])
    """
    return _softmax_forward(x, axis, log=True)


def _softmax_vjp(y, axis, g):
    """The input gradient of ``y = softmax(x)``: ``y * (g - <g, y>)``, ``<g, y>`` an einsum."""
    if y.size == 0:
        return _xp_of(y).zeros_like(y)
    gx = along_rows(_xp_of(y).subtract, g, sum_along(axis, g, y))
    gx *= y
    return gx


def _log_softmax_vjp(y, axis, g):
    """The input gradient of ``y = log_softmax(x)``: ``g - exp(y) * sum(g)``."""
    xp = _xp_of(y)
    if y.size == 0:
        return xp.zeros_like(y)
    p = xp.exp(y)
    along_rows(xp.multiply, p, sum_along(axis, g), p)
    return xp.subtract(g, p, out=p)


# -- Tensor ops --------------------------------------------------------------------------
def _caller_level():
    """The ``stacklevel`` of the first frame outside the contract package (wrappers such as
    the compiler's dispatch or ``Module.__call__`` add frames of their own)."""
    package = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    frame, level = sys._getframe(2), 2          # the caller of implicit_dim's caller
    while frame is not None and os.path.abspath(frame.f_code.co_filename).startswith(package):
        frame, level = frame.f_back, level + 1
    return level


def implicit_dim(input, name):
    """torch's deprecated choice of ``dim`` when none is given (0 for 0-, 1- and 3-d), with
    its warning pointed at the line that called into contract (where torch's ``_stacklevel``
    points by default; torch's ``_get_softmax_dim``).

    >>> import warnings, contract as ct
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     implicit_dim(ct.ones(2, 3), "softmax")
    1
    """
    warnings.warn(f"Implicit dimension choice for {name} has been deprecated. Change the call "
                  f"to include dim=X as an argument.", UserWarning,
                  stacklevel=_caller_level())
    return 0 if getattr(input, "ndim", 0) in (0, 1, 3) else 1


def _softmax_like(name, input, dim, dtype, forward, backward):
    """Run ``forward(array, axis)`` and record ``backward(y, axis, g)``; float16 runs in float32."""
    if not isinstance(input, Tensor):
        raise ContractError(f"{name}(): input must be a Tensor, got {type(input).__name__}")
    if dtype is not None:
        input = input.to(dtype)
    if input.dtype.kind != "f":
        raise ContractError(f"{name}(): expected a floating point tensor, got dtype "
                            f"{input.dtype} (pass dtype=ct.float32 to cast it)")
    data = input._data
    axis = _dim(dim, data.ndim)
    work = data.astype(_FLOAT32) if data.dtype == _FLOAT16 else data
    work = work.reshape(1) if data.ndim == 0 else work
    y = forward(work, axis)
    out = y.astype(data.dtype).reshape(data.shape) if y.dtype != data.dtype or not data.ndim \
        else y

    def vjp(g):
        grad = backward(y, axis, g.astype(y.dtype, copy=False).reshape(y.shape))
        return (grad.astype(data.dtype, copy=False).reshape(data.shape),)
    return record(name.capitalize().replace("_s", "S"), out, (input,), vjp)


@overridable
def softmax(input, dim=None, dtype=None):
    """torch's ``softmax(input, dim, dtype=None)``: ``exp(x) / sum(exp(x))`` along ``dim``.

    >>> import contract as ct
    >>> ct.softmax(ct.tensor([0., 0., -float("inf")]), 0)
    tensor([0.5000, 0.5000, 0.0000])
    """
    if dim is None:
        dim = implicit_dim(input, "softmax")
    return _softmax_like("softmax", input, dim, dtype, softmax_array, _softmax_vjp)


@overridable
def log_softmax(input, dim=None, dtype=None):
    """torch's ``log_softmax(input, dim, dtype=None)``: ``x - logsumexp(x, dim)`` (log semiring).

    >>> import contract as ct
    >>> ct.log_softmax(ct.tensor([1000., 1000.]), 0)
    tensor([-0.6931, -0.6931])
    """
    if dim is None:
        dim = implicit_dim(input, "log_softmax")
    return _softmax_like("log_softmax", input, dim, dtype, log_softmax_array,
                         _log_softmax_vjp)


# -- norms -------------------------------------------------------------------------------
def _magnitudes(xp, x):
    return xp.abs(x) if x.dtype.kind in "fc" else x


def _p_norm(input, p, axes, keepdim):
    """``sum(|x|^p)^(1/p)`` over ``axes`` for a finite, non-zero ``p``, with torch's gradient."""
    x = input._data
    xp = _xp_of(x)
    eq = reduce_equation(x.ndim, axes, 2 if p == 2 else 1)
    with np.errstate(all="ignore"):
        if p == 2:
            total = einsum(eq, x, x.conj()).real if x.dtype.kind == "c" else einsum(eq, x, x)
            value = xp.sqrt(total)
        else:
            a = xp.abs(x)
            total = einsum(eq, a if p == 1 else a ** p)
            value = total if p == 1 else total ** (1.0 / p)
    kept = tuple(1 if k in axes else n for k, n in enumerate(x.shape))
    out = value.reshape(kept) if keepdim else value

    def vjp(g):
        norm, g = value.reshape(kept), g.reshape(kept)
        with np.errstate(all="ignore"):
            if p == 1:
                return (_phase(xp, x) * g,)
            if p < 1:
                scale = xp.where(x == 0, 0, xp.abs(x) ** (p - 1)) * _phase(xp, x)
                return (scale * (g * norm ** (1 - p)),)
            factor = xp.where(norm == 0, 0, g / norm ** (p - 1))
            scale = x if p == 2 else x * xp.abs(x) ** (p - 2)
            return (scale * factor,)
    return record("LinalgVectorNorm", out, (input,), vjp)


def _phase(xp, x):
    return unit_phase(xp, x, xp.abs(x))


@overridable
def vector_norm(x, ord=2, dim=None, keepdim=False, *, dtype=None):
    """torch's ``linalg.vector_norm``: ``sum(|x|^ord)^(1/ord)`` over ``dim`` (all when None);
    ``ord`` is any number, ``inf`` / ``-inf`` (max / min of ``|x|``) or 0 (non-zero count).

    >>> import contract as ct
    >>> x = ct.tensor([[3., -4.], [0., 0.]], requires_grad=True)
    >>> ct.linalg.vector_norm(x, dim=1)
    tensor([5., 0.], grad_fn=<LinalgVectorNormBackward0>)
    >>> ct.linalg.vector_norm(x, ord=float("inf")).item(), ct.linalg.vector_norm(x, 1).item()
    (4.0, 7.0)
    """
    if not isinstance(x, Tensor):
        raise ContractError(f"linalg.vector_norm(): x must be a Tensor, got {type(x).__name__}")
    if dtype is not None:
        from contract.tensors.creation import as_dtype
        if not np.can_cast(x.dtype, as_dtype(dtype), "safe"):
            raise ContractError(f"linalg.vector_norm(): the dtype of the input ({x.dtype}) "
                                f"should be convertible without narrowing to dtype= "
                                f"({as_dtype(dtype)})")
        x = x.to(dtype)
    if x.dtype.kind not in "fc":
        raise ContractError(f"linalg.vector_norm(): expected a floating point or complex tensor "
                            f"as input, got dtype {x.dtype}")
    try:
        p = float(ord)
    except (TypeError, ValueError):
        raise ContractError(f"linalg.vector_norm(): ord must be a number, got {ord!r}") from None
    axes = reduce_dims(dim, x.ndim)
    if math.isinf(p):
        if any(x.shape[k] == 0 for k in axes):
            raise ContractError(f"linalg.vector_norm cannot compute the {ord} norm on an empty "
                                f"tensor (shape {tuple(x.shape)}) because the operation does "
                                f"not have an identity")
        magnitude = x.abs()
        return magnitude.amax(axes, keepdim) if p > 0 else magnitude.amin(axes, keepdim)
    if p == 0:
        count = (x != 0).sum(axes, keepdim)._data.astype(np.finfo(x.dtype).dtype)
        return record("LinalgVectorNorm", count, (x,), lambda g: (None,))   # torch: no grad
    return _p_norm(x, p, axes, keepdim)


def norm(input, p="fro", dim=None, keepdim=False, dtype=None):
    """torch's ``Tensor.norm``: a vector norm over ``dim`` (``"fro"`` is the 2-norm).

    >>> import contract as ct
    >>> ct.tensor([[1., 2.], [2., 4.]]).norm(dim=0)
    tensor([2.2361, 4.4721])
    """
    if isinstance(p, str):
        if p != "fro":
            raise ContractError(f"norm(): p={p!r} is not supported (a number or 'fro'; the "
                                f"nuclear norm needs an SVD)")
        if dim is not None and not isinstance(dim, int) and len(dim) > 2:
            raise ContractError(f"norm(): p='fro' takes at most 2 dims, got dim={dim!r}")
        p = 2
    return vector_norm(input, p, dim, keepdim, dtype=dtype)


METHODS = {"softmax": softmax, "log_softmax": log_softmax, "norm": norm}
