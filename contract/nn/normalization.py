"""Normalisation: ``normalize``, ``layer_norm`` and ``batch_norm``, statistics as einsums.

- ``normalize(x, p, dim)`` is ``x / max(vector_norm(x, p, dim), eps)``.
- ``batch_norm`` composes Tensor ops: the mean is the einsum ``ncl->c`` scaled, the
  variance the einsum ``ncl,ncl->c`` of the centred input (two-pass); in training it
  normalises with the batch's biased variance and moves the running statistics (unbiased
  variance) by ``momentum``; in eval it uses the running statistics.
- ``layer_norm`` over the last dims is one recorded op, run over blocks of rows that stay
  in cache (the passes of a 100 MB input would otherwise each go to memory): per block,
  the mean ``ab->a``, the variance ``ab,ab->a`` of the centred rows, ``(x - mean) * rstd *
  weight + bias``.  Its backward per block: ``gb = ab->b`` of ``g``, ``gw = ab,ab->b`` of
  ``(g, xhat)``, and ``gx = rstd * (gw' - mean(gw') - xhat * mean(gw' * xhat))`` with
  ``gw' = g * weight`` (two row einsums ``ab->a`` and ``ab,ab->a``).

>>> import contract as ct
>>> import contract.nn.functional as F
>>> x = ct.tensor([[1., 2., 3.], [2., 2., 2.]])
>>> F.layer_norm(x, (3,))
tensor([[-1.2247,  0.0000,  1.2247],
        [ 0.0000,  0.0000,  0.0000]])
>>> F.normalize(x, dim=1)[0]
tensor([0.2673, 0.5345, 0.8018])
"""
from math import prod

import numpy as np

from contract.tensors.core import record
from contract.engine.api import einsum
from contract.errors import ContractError, ShapeError
from contract.tensors.ops.softmax import along_rows, ones_vector, row_blocks, vector_norm
from contract.tensors.core import Tensor, _xp_of
from contract.autograd.versions import note_write
from contract.tensors.dispatch import overridable

_FLOAT16, _FLOAT32 = np.dtype("float16"), np.dtype("float32")


@overridable
def normalize(input, p=2.0, dim=1, eps=1e-12, out=None):
    """torch's ``F.normalize``: ``input / max(||input||_p, eps)`` along ``dim``.

    >>> import contract as ct
    >>> import contract.nn.functional as F
    >>> F.normalize(ct.tensor([[3., 4.], [0., 0.]]))
    tensor([[0.6000, 0.8000],
            [0.0000, 0.0000]])
    """
    if out is not None:
        raise ContractError("normalize(): out= is not supported; assign the result instead")
    if not isinstance(input, Tensor):
        raise ContractError(f"normalize(): input must be a Tensor, got {type(input).__name__}")
    denominator = vector_norm(input, p, dim, keepdim=True).clamp(min=eps)
    return input / denominator


# -- layer norm -----------------------------------------------------------------------------
def _layer_norm_args(input, normalized_shape, weight, bias):
    if not isinstance(input, Tensor):
        raise ContractError(f"layer_norm(): input must be a Tensor, got {type(input).__name__}")
    if input.dtype.kind != "f":
        raise ContractError(f"layer_norm(): input must be a floating point tensor, got dtype "
                            f"{input.dtype}")
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    if not shape or tuple(input.shape[len(input.shape) - len(shape):]) != shape \
            or len(shape) > input.ndim:
        raise ShapeError(f"layer_norm(): given normalized_shape={list(shape)}, expected input "
                         f"with shape [*, {', '.join(map(str, shape))}], but got input of size "
                         f"{list(input.shape)}")
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and tuple(t.shape) != shape:
            raise ShapeError(f"layer_norm(): {name} must have normalized_shape {list(shape)}, "
                             f"got {list(t.shape)}")
    return shape


def _tiled(vector, rows):
    """``vector`` repeated over ``rows`` rows, contiguous (an elementwise product with it is
    one flat loop; broadcasting a row costs NumPy a loop call per row), or None."""
    if vector is None:
        return None
    xp = _xp_of(vector)
    return xp.ascontiguousarray(xp.broadcast_to(vector, (rows,) + vector.shape))


def _ln_forward(x, w, b, eps, out):
    """Normalise the rows of 2-D ``x`` into ``out`` block by block; return (mean, rstd).

    Per block: the mean as the einsum ``ab,b->a`` with ones (a GEMV), ``x - mean``, the
    variance as ``ab,ab->a`` of that with itself, then ``* rstd * weight + bias``."""
    xp = _xp_of(x)
    rows, n = x.shape
    mean = xp.empty((rows, 1), x.dtype)
    rstd = xp.empty((rows, 1), x.dtype)
    inv_n, ones = x.dtype.type(1.0 / n), ones_vector(xp, n, x.dtype)
    blocks = row_blocks(rows, n)
    wt, bt = (_tiled(v, blocks[0].stop - blocks[0].start) for v in (w, b))
    for block in blocks:
        c, o = x[block], out[block]
        k = c.shape[0]
        mu = einsum("ab,b->a", c, ones)[:, None] * inv_n
        along_rows(xp.subtract, c, mu, o)
        var = einsum("ab,ab->a", o, o)[:, None] * inv_n
        r = 1 / xp.sqrt(var + x.dtype.type(eps))
        along_rows(xp.multiply, o, r, o)
        if wt is not None:
            o *= wt[:k]
        if bt is not None:
            o += bt[:k]
        mean[block], rstd[block] = mu, r
    return mean, rstd


def _ln_backward(x, w, mean, rstd, g, need):
    """``(gx, gw, gb)`` of layer_norm's rows, block by block (None where not needed).

    With ``xc = x - mean``, ``P = g * xc``: ``gb = ab,a->b`` of ``(g, ones)``, ``gw = ab,a->b``
    of ``(P, rstd)``, and ``gx = rstd * (g*w - m1) - xc * (rstd^3 * m2)`` where ``m1``, ``m2``
    are the GEMVs ``ab,b->a`` of ``g`` and ``P`` with ``w`` over ``n``."""
    xp = _xp_of(x)
    rows, n = x.shape
    gx = xp.empty_like(x) if need[0] else None
    gw = xp.zeros(n, x.dtype) if need[1] else None
    gb = xp.zeros(n, x.dtype) if need[2] else None
    inv_n = x.dtype.type(1.0 / n)
    blocks = row_blocks(rows, n)
    size = blocks[0].stop - blocks[0].start
    wt = _tiled(w, size)
    w = ones_vector(xp, n, x.dtype) if w is None else w
    ones = ones_vector(xp, size, x.dtype)
    centred, product = xp.empty((size, n), x.dtype), xp.empty((size, n), x.dtype)
    for block in blocks:
        gc, r = g[block], rstd[block]
        k = gc.shape[0]
        xc = along_rows(xp.subtract, x[block], mean[block], centred[:k])
        p = xp.multiply(gc, xc, out=product[:k])
        if gb is not None:
            gb += einsum("ab,a->b", gc, ones[:k])
        if gw is not None:
            gw += einsum("ab,a->b", p, r[:, 0])
        if gx is None:
            continue
        m1 = einsum("ab,b->a", gc, w)[:, None] * inv_n
        m2 = einsum("ab,b->a", p, w)[:, None] * inv_n
        o = gx[block]
        if wt is not None:
            xp.multiply(gc, wt[:k], out=o)
            along_rows(xp.multiply, o, r, o)
        else:
            along_rows(xp.multiply, gc, r, o)
        o -= along_rows(xp.multiply, xc, r * r * r * m2, p)
        along_rows(xp.subtract, o, r * m1, o)
    return gx, gw, gb


@overridable
def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):
    """torch's ``F.layer_norm``: ``(x - mean) / sqrt(var + eps) * weight + bias`` over the last
    ``len(normalized_shape)`` dims (biased variance), differentiable in all three.

    >>> import contract as ct
    >>> import contract.nn.functional as F
    >>> x = ct.tensor([[0., 4.]], requires_grad=True)
    >>> w = ct.tensor([1., 2.], requires_grad=True)
    >>> y = F.layer_norm(x, 2, w); y
    tensor([[-1.0000,  2.0000]], grad_fn=<NativeLayerNormBackward0>)
    >>> y.sum().backward(); w.grad
    tensor([-1.0000,  1.0000])
    """
    shape = _layer_norm_args(input, normalized_shape, weight, bias)
    data = input._data
    x = data.astype(_FLOAT32) if data.dtype == _FLOAT16 else data
    n = prod(shape)
    x2 = _xp_of(x).ascontiguousarray(x).reshape(-1, n)
    w = None if weight is None else weight._data.astype(x.dtype, copy=False).reshape(n)
    b = None if bias is None else bias._data.astype(x.dtype, copy=False).reshape(n)
    out = _xp_of(x).empty_like(x2)
    mean, rstd = _ln_forward(x2, w, b, eps, out) if x2.size else (None, None)
    parents = (input, weight, bias)
    need = tuple(isinstance(t, Tensor) and t.requires_grad for t in parents)

    def vjp(g):
        if not x2.size:
            return tuple(_xp_of(t._data).zeros_like(t._data) if t is not None else None
                         for t in parents)
        grads = _ln_backward(x2, w, mean, rstd, g.astype(x.dtype, copy=False).reshape(x2.shape),
                             need)
        return tuple(None if gr is None else gr.reshape(t.shape).astype(t.dtype, copy=False)
                     for gr, t in zip(grads, parents))
    result = out.reshape(data.shape).astype(data.dtype, copy=False)
    return record("NativeLayerNorm", result, parents, vjp)


# -- batch norm -------------------------------------------------------------------------------
def _channel_view(t, ndim):
    """A per-channel tensor shaped ``(1, C, 1, ...)`` to broadcast against ``ndim``-d input."""
    return t.reshape((1, -1) + (1,) * (ndim - 2))


def _update_running(running, value, momentum):
    """``running = (1 - momentum) * running + momentum * value``, in place, no gradient."""
    data = running._data
    data *= data.dtype.type(1 - momentum)
    data += (value * momentum).astype(data.dtype, copy=False)
    note_write(data)


@overridable
def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False,
               momentum=0.1, eps=1e-5):
    """torch's ``F.batch_norm`` over input ``(N, C, ...)``: per channel ``(x - mean) /
    sqrt(var + eps) * weight + bias``; training uses the batch's statistics (and moves the
    running ones by ``momentum``, the variance unbiased), eval the running ones.

    >>> import contract as ct
    >>> import contract.nn.functional as F
    >>> x = ct.tensor([[1., 10.], [3., 30.]])
    >>> mean, var = ct.zeros(2), ct.ones(2)
    >>> F.batch_norm(x, mean, var, training=True)
    tensor([[-1.0000, -1.0000],
            [ 1.0000,  1.0000]])
    >>> mean, var
    (tensor([0.2000, 2.0000]), tensor([ 1.1000, 20.9000]))
    """
    if not isinstance(input, Tensor) or input.ndim < 2:
        raise ShapeError(f"batch_norm(): expected an input of at least 2 dims (N, C, ...), got "
                         f"{list(getattr(input, 'shape', ()))}")
    channels = input.shape[1]
    for name, t in (("running_mean", running_mean), ("running_var", running_var),
                    ("weight", weight), ("bias", bias)):
        if t is not None and tuple(t.shape) != (channels,):
            raise ShapeError(f"batch_norm(): {name} should have {channels} elements (the "
                             f"channels of input {list(input.shape)}), got {list(t.shape)}")
    dims = (0,) + tuple(range(2, input.ndim))
    count = input.numel() // channels if channels else 0
    if training:
        if count <= 1:
            raise ContractError(f"batch_norm(): expected more than 1 value per channel when "
                                f"training, got input size {list(input.shape)}")
        mean = input.mean(dims, keepdim=True)
        centred = input - mean
        var = (centred * centred).mean(dims, keepdim=True)      # biased: one more pass, not two
        if running_mean is not None:
            _update_running(running_mean, mean.detach()._data.reshape(channels), momentum)
        if running_var is not None:
            unbiased = var.detach()._data.reshape(channels) * (count / (count - 1))
            _update_running(running_var, unbiased, momentum)
    else:
        if running_mean is None or running_var is None:
            raise ContractError("batch_norm(): running_mean and running_var are needed when "
                                "training=False")
        centred = input - _channel_view(running_mean, input.ndim)
        var = _channel_view(running_var, input.ndim)
    out = centred / (var + eps).sqrt()
    if weight is not None:
        out = out * _channel_view(weight, input.ndim)
    if bias is not None:
        out = out + _channel_view(bias, input.ndim)
    return out


__all__ = ["batch_norm", "layer_norm", "normalize"]
