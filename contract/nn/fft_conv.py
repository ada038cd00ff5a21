"""FFT convolution: a pointwise product of spectra, the product an einsum over channels.

A stride-1 convolution of a padded input with a kernel is, per spatial frequency f,
``Y[n, o, f] = sum_c X[n, c, f] conj(W[o, c, f])`` (real signals: correlation is the
product with the conjugate spectrum).  With FFTs of length ``L >= padded input`` on
each axis nothing wraps around, so the first ``out`` values of the inverse transform
are the convolution.  The cost is a few FFTs per image and channel, independent of
the kernel size, against the ``kernel`` multiplies per output of a direct
convolution: it wins for large kernels with many channels.  Gradients are the same
products: ``dX = dY W`` (a convolution) and ``dW = sum_n conj(dY) X``.

Work goes in blocks of images on :mod:`contract._util.parallel`'s pool (NumPy's FFTs and
BLAS release the GIL).  Dilated kernels are spread onto their dilated grid first.
Real floating inputs only; float16 runs in float32.

>>> import numpy as np
>>> x, w = np.arange(8.).reshape(1, 1, 8), np.array([[[1., 0., -1.]]])
>>> fft_conv(np, x, w, FFTSpec.of((3,), ((1, 1),), (1,), 1))[0, 0].round(6).tolist()
[-1.0, -2.0, -2.0, -2.0, -2.0, -2.0, -2.0, 6.0]
"""
from math import prod
from typing import NamedTuple, Tuple

import numpy as np

from contract.engine.api import einsum
from contract.errors import ContractError
from contract._util.parallel import map_chunks, parallel_ok, spans, workers

BLOCK_BYTES = 16 << 20      # a block's spectra (input and output), bounding the memory


class FFTSpec(NamedTuple):
    """A stride-1 convolution for the FFT: kernel sizes, padding pairs, dilation, groups."""

    kernel: Tuple[int, ...]
    pairs: Tuple[Tuple[int, int], ...]
    dilation: Tuple[int, ...]
    groups: int

    @classmethod
    def of(cls, kernel, pairs, dilation, groups=1):
        """The spec from sizes as given (tuples of ints, padding (before, after) pairs)."""
        return cls(tuple(kernel), tuple(tuple(p) for p in pairs), tuple(dilation), int(groups))

    @property
    def span(self):
        """The dilated kernel's extent per axis."""
        return tuple(d * (k - 1) + 1 for k, d in zip(self.kernel, self.dilation))


def applies(stride, dtype) -> bool:
    """Whether the FFT path can run: stride 1 and a real floating (or float16) dtype.

    >>> applies((1, 1), np.dtype(np.float32)), applies((2, 2), np.dtype(np.float32))
    (True, False)
    """
    return all(s == 1 for s in stride) and np.dtype(dtype).kind == "f"


def fast_length(n: int) -> int:
    """The smallest 2^a 3^b 5^c at least ``n`` (a length pocketfft transforms fast).

    >>> fast_length(230), fast_length(64), fast_length(97)
    (240, 64, 100)
    """
    best, p2 = 2 * n, 1
    while p2 < 2 * n:
        p3 = p2
        while p3 < 2 * n:
            p5 = p3
            while p5 < n:
                p5 *= 5
            best = min(best, p5)
            p3 *= 3
        p2 *= 2
    return max(best, 1)


class _Geometry(NamedTuple):
    lengths: Tuple[int, ...]     # FFT length per axis
    out: Tuple[int, ...]         # output extent per axis
    axes: Tuple[int, ...]        # the spatial axes of a (batch, channel, spatial) array


def _geometry(spatial, spec):
    padded = tuple(s + a + b for s, (a, b) in zip(spatial, spec.pairs))
    out = tuple(p - k + 1 for p, k in zip(padded, spec.span))
    if any(o < 1 for o in out):
        raise ContractError(f"FFT convolution: input {spatial} padded by {spec.pairs} is "
                            f"smaller than the kernel span {spec.span}")
    d = len(spatial)
    return _Geometry(tuple(fast_length(p) for p in padded), out, tuple(range(2, 2 + d)))


def _compute_dtype(*dtypes):
    dtype = np.result_type(*dtypes)
    if dtype.kind != "f":
        raise ContractError(f"FFT convolution needs real floating inputs, got {dtype}")
    return np.dtype(np.float32) if dtype.itemsize < 4 else dtype


def _spectrum(xp, x, geo, pairs):
    """rfftn of ``x`` (batch, channels, spatial) zero-padded by ``pairs`` to the lengths."""
    padded = xp.zeros(x.shape[:2] + geo.lengths, x.dtype)
    padded[(slice(None), slice(None)) + tuple(slice(a, a + s) for (a, _), s
                                              in zip(pairs, x.shape[2:]))] = x
    return xp.fft.rfftn(padded, axes=geo.axes)


def _kernel_spectrum(xp, weight, geo, spec, dtype):
    """rfftn of the weight spread onto its dilated grid, zero-padded to the lengths."""
    grid = xp.zeros(weight.shape[:2] + geo.lengths, dtype)
    grid[(slice(None), slice(None)) + tuple(slice(0, s, d) for s, d
                                            in zip(spec.span, spec.dilation))] = weight
    return xp.fft.rfftn(grid, axes=geo.axes)


def _grouped(spectrum, groups):
    """(batch, channels, freq...) as (batch, groups, channels per group, frequencies)."""
    return spectrum.reshape(spectrum.shape[0], groups, spectrum.shape[1] // groups, -1)


def _blocks(xp, batch, per_image):
    """Image spans of at most ``BLOCK_BYTES`` of spectra each, and whether to pool them."""
    step = max(1, min(batch, BLOCK_BYTES // max(per_image, 1)))
    if batch * per_image >= 2 * BLOCK_BYTES or batch > 1:
        step = min(step, -(-batch // workers()))
    found = spans(batch, step)
    return found, parallel_ok(xp, len(found))


def _map(xp, fn, found, pooled):
    return map_chunks(fn, found, xp) if pooled else [fn(span) for span in found]


def fft_conv(xp, x, weight, spec):
    """The convolution of batched ``x`` (unpadded, stride 1) with ``weight`` (out, in /
    groups, kernel...) through spectra: ``"n g c f, g o c f -> n g o f"`` per block.

    >>> y = fft_conv(np, np.ones((1, 2, 4)), np.ones((3, 2, 2)), FFTSpec.of((2,), ((0, 0),), (1,)))
    >>> y.shape, float(y[0, 0, 0].round(9))
    ((1, 3, 3), 4.0)
    """
    dtype = _compute_dtype(x.dtype, weight.dtype)
    result = np.result_type(x.dtype, weight.dtype)
    geo = _geometry(tuple(x.shape[2:]), spec)
    outs, groups = weight.shape[0], spec.groups
    out = xp.empty((x.shape[0], outs) + geo.out, result)
    if out.size == 0:
        return out
    kernel = _kernel_spectrum(xp, weight, geo, spec, dtype)
    kernel = xp.conj(kernel.reshape(groups, outs // groups, weight.shape[1], -1))
    freqs = kernel.shape[-1]
    crop = (Ellipsis,) + tuple(slice(0, o) for o in geo.out)

    def block(span):
        b0, b1 = span
        spec_x = _grouped(_spectrum(xp, x[b0:b1].astype(dtype, copy=False), geo, spec.pairs),
                          groups)
        product = einsum("n g c f, g o c f -> n g o f", spec_x, kernel)
        full = product.reshape((b1 - b0, outs) + _half(geo.lengths))
        out[b0:b1] = xp.fft.irfftn(full, s=geo.lengths, axes=geo.axes)[crop]
    per_image = (x.shape[1] + outs) * freqs * 2 * dtype.itemsize
    found, pooled = _blocks(xp, x.shape[0], per_image)
    _map(xp, block, found, pooled)
    return out


def _half(lengths):
    """The rfftn output shape of real arrays of ``lengths``."""
    return tuple(lengths[:-1]) + (lengths[-1] // 2 + 1,)


def fft_grads(xp, x, grad, weight, spec, need_x=True, need_w=True):
    """(d(loss)/d(x), d(loss)/d(weight)) of the FFT convolution given the output's:
    ``dX = dY W`` (``"n g o f, g o c f -> n g c f"``) cropped to the input, and
    ``dW = sum_n conj(dY) X`` (``"n g o f, n g c f -> g o c f"``) summed in block order,
    cut to the kernel's dilated taps.  ``None`` for a gradient not asked for.

    >>> gx, gw = fft_grads(np, np.arange(5.).reshape(1, 1, 5), np.ones((1, 1, 3)),
    ...                    np.array([[[1., 2., 3.]]]), FFTSpec.of((3,), ((0, 0),), (1,)))
    >>> gx.round(9).tolist(), gw.round(9).tolist()
    ([[[1.0, 3.0, 6.0, 5.0, 3.0]]], [[[3.0, 6.0, 9.0]]])
    """
    dtype = _compute_dtype(x.dtype, grad.dtype, weight.dtype)
    geo = _geometry(tuple(x.shape[2:]), spec)
    outs, groups, per_group = weight.shape[0], spec.groups, weight.shape[1]
    kernel = _kernel_spectrum(xp, weight, geo, spec, dtype).reshape(
        groups, outs // groups, per_group, -1)
    grad_x = xp.empty(x.shape, np.result_type(grad.dtype, weight.dtype)) if need_x else None
    inner = (Ellipsis,) + tuple(slice(a, a + s) for (a, _), s in zip(spec.pairs, x.shape[2:]))
    zero = tuple((0, 0) for _ in spec.pairs)

    def block(span):
        b0, b1 = span
        spec_g = _grouped(_spectrum(xp, grad[b0:b1].astype(dtype, copy=False), geo, zero),
                          groups)
        part = None
        if need_x:
            back = einsum("n g o f, g o c f -> n g c f", spec_g, kernel)
            full = back.reshape((b1 - b0, x.shape[1]) + _half(geo.lengths))
            grad_x[b0:b1] = xp.fft.irfftn(full, s=geo.lengths, axes=geo.axes)[inner]
        if need_w:
            spec_x = _grouped(_spectrum(xp, x[b0:b1].astype(dtype, copy=False), geo,
                                        spec.pairs), groups)
            part = einsum("n g o f, n g c f -> g o c f", xp.conj(spec_g), spec_x)
        return part
    per_image = (x.shape[1] + outs) * kernel.shape[-1] * 4 * dtype.itemsize
    found, pooled = _blocks(xp, x.shape[0], per_image)
    parts = _map(xp, block, found, pooled) if x.shape[0] else []
    grad_w = None
    if need_w:
        grad_w = _weight_from(xp, parts, weight, geo, spec, dtype, grad.dtype)
    return grad_x, grad_w


def _weight_from(xp, parts, weight, geo, spec, dtype, grad_dtype):
    """The weight gradient from the summed spectra: inverse FFT, the dilated taps."""
    result = np.result_type(grad_dtype, weight.dtype)
    if not parts:
        return xp.zeros(weight.shape, result)
    total = parts[0]
    for part in parts[1:]:
        total = total + part
    full = total.reshape(weight.shape[:2] + _half(geo.lengths))
    taps = (slice(None), slice(None)) + tuple(slice(0, s, d) for s, d
                                              in zip(spec.span, spec.dilation))
    return xp.fft.irfftn(full, s=geo.lengths, axes=geo.axes)[taps].astype(result)


def fft_flops(batch, channels, outs, spatial, spec) -> Tuple[float, float]:
    """(FFT work, product multiply-adds) of one forward: the FFT term counts
    ``5 L log2 L`` per transformed plane; the product term complex MACs (x 8 real ops).

    >>> f, p = fft_flops(1, 1, 1, (8,), FFTSpec.of((3,), ((1, 1),), (1,)))
    >>> bool(p > 0 and f > 0)
    True
    """
    geo = _geometry(tuple(spatial), spec)
    size = prod(geo.lengths)
    planes = batch * (channels + outs) + outs * channels // spec.groups
    fft = planes * 5.0 * size * max(np.log2(size), 1.0) / 2
    freqs = prod(_half(geo.lengths))
    return fft, 8.0 * batch * outs * channels // spec.groups * freqs
