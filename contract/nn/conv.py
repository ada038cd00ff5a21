"""Convolution as one einsum over the window view of the padded input.

``conv2d`` is ``o c i j, b c i j h w -> b o h w``: the weight against the
strided window view (groups: ``(g o) c i j, b (g c) i j h w -> b (g o) h w``),
planned by the same planner as every einsum; its GEMM (``weight @ windows``,
broadcast over the batch) writes the ``b o h w`` output directly.  When a whole
batch's window copy would leave the caches (over ``_CHUNK_BYTES``), the same
planned einsum runs on batch chunks (one image: ``o c i j, c i j h w -> o h w``),
written into one output, on :mod:`contract.parallel`'s thread pool when the batch
is large enough to share out.

On Tensors the conv is one graph node.  Its weight gradient is the output
gradient against the windows (``b o h w, c i j b h w -> o c i j``), summed over
the same chunks; its input gradient is, for stride 1, a transposed convolution
(the padded output gradient against the flipped weight, tiled the same way), and
otherwise each chunk's window gradient added back onto the input by
:func:`contract.windows.accumulate_windows` (overlapping windows add up).

>>> import numpy as np
>>> conv1d(np.arange(5.).reshape(1, 1, 5), np.ones((1, 1, 2)))
array([[[1., 3., 5., 7.]]])
"""
from math import prod
from typing import NamedTuple, Tuple

from contract.dtypes import conj
from contract.einsum import einsum
from contract.errors import ContractError, ShapeError
from contract.nn._graph import array_of, is_tensor, kernel_first, namespace
from contract.parallel import parallel_ok, per_thread, run_spans, spans, workers
from contract.windows import (accumulate_windows, as_tuple, crop, output_shape, pad, pad_pairs,
                              window_view)

_SPATIAL = ("h", "w", "d")
_KERNEL = ("i", "j", "k")


def conv_equation(n: int, groups: int, batched: bool = True) -> str:
    """The einsum text of an n-D convolution: weight first, then the window view
    as (batch, channel, kernel, out).  The GEMM's im2col copy then runs over
    whole output rows, and the planner's final step, ``matmul(weight (o, c i j),
    windows (b, c i j, h w))``, writes ``b o h w`` directly (no transpose left).

    >>> conv_equation(2, 1)
    'o c i j, b c i j h w -> b o h w'
    >>> conv_equation(1, 2)
    '(g o) c i, b (g c) i h -> b (g o) h'
    """
    spatial, kernel = " ".join(_SPATIAL[:n]), " ".join(_KERNEL[:n])
    chan, out = ("(g c)", "(g o)") if groups > 1 else ("c", "o")
    lead = "b " if batched else ""
    return f"{out} c {kernel}, {lead}{chan} {kernel} {spatial} -> {lead}{out} {spatial}"


def _padding_pairs(padding, kernel, stride, dilation, what):
    n = len(kernel)
    if isinstance(padding, str):
        if padding == "valid":
            return ((0, 0),) * n
        if padding != "same":
            raise ContractError(f"{what}: padding must be 'valid', 'same' or ints, "
                                f"got {padding!r}")
        if any(s != 1 for s in stride):
            raise ContractError(f"{what}: padding='same' needs stride 1, got stride {stride}")
        totals = [d * (k - 1) for k, d in zip(kernel, dilation)]
        return tuple((t // 2, t - t // 2) for t in totals)
    return pad_pairs(padding, n)


def _check_shapes(x, weight, n, groups, what):
    if len(x.shape) not in (n + 1, n + 2):
        raise ShapeError(f"{what} expects a {n + 1}-D (unbatched) or {n + 2}-D (batched) input, "
                         f"got shape {tuple(x.shape)}")
    if len(weight.shape) != n + 2:
        raise ShapeError(f"{what} expects a {n + 2}-D weight (out, in/groups, kernel...), "
                         f"got shape {tuple(weight.shape)}")
    if not isinstance(groups, int) or groups < 1:
        raise ContractError(f"{what}: groups must be a positive int, got {groups!r}")
    channels = x.shape[-n - 1]
    out_channels, per_group = weight.shape[:2]
    if out_channels % groups:
        raise ShapeError(f"{what}: weight has {out_channels} output channels, not divisible "
                         f"by groups={groups}")
    if channels != per_group * groups:
        raise ShapeError(f"{what}: weight {tuple(weight.shape)} with groups={groups} expects "
                         f"input with {per_group * groups} channels, got {channels} channels "
                         f"(input shape {tuple(x.shape)})")


def _conv(x, weight, bias, n, stride, padding, dilation, groups, what):
    _check_shapes(x, weight, n, groups, what)
    kernel = tuple(weight.shape[2:])
    stride = as_tuple(stride, n, "stride")
    dilation = as_tuple(dilation, n, "dilation")
    pairs = _padding_pairs(padding, kernel, stride, dilation, what)
    out = _conv_node(x, weight, _Geometry(kernel, stride, pairs, dilation, groups))
    if bias is not None:
        if tuple(bias.shape) != (weight.shape[0],):
            raise ShapeError(f"{what}: bias must have shape ({weight.shape[0]},), "
                             f"got {tuple(bias.shape)}")
        out = out + bias.reshape((weight.shape[0],) + (1,) * n)
    return out


# -- batch-tiled execution ---------------------------------------------------------------
# The im2col copy a GEMM makes of the window view is (kernel volume) times the input: for a
# whole batch it leaves the caches (and, for fresh buffers, costs page faults), so the
# planned einsum runs on batch chunks whose window copy stays about this many bytes.  Chunks
# run on contract.parallel's thread pool (BLAS single-threaded meanwhile) once the whole
# batch's window copy reaches _PARALLEL_BYTES: below it the hand-off costs more than it saves.
_CHUNK_BYTES = 4 << 20
_PARALLEL_BYTES = 8 << 20


class _Geometry(NamedTuple):
    kernel: Tuple[int, ...]
    stride: Tuple[int, ...]
    pairs: Tuple[Tuple[int, int], ...]
    dilation: Tuple[int, ...]
    groups: int


def _batch_spans(xp, batch: int, per_image: int):
    """Image spans: each chunk's window copy near ``_CHUNK_BYTES``, and at least one
    chunk per pool thread when the batch is big enough to share out."""
    step = max(1, min(batch, _CHUNK_BYTES // max(per_image, 1)))
    if batch * per_image >= _PARALLEL_BYTES and parallel_ok(xp, batch):
        step = min(step, -(-batch // workers()))
    return spans(batch, step)


def _image_bytes(view) -> int:
    return prod(view.shape[1:]) * view.dtype.itemsize


def _tiled(xp, equations, view, other, sizes, out_shape, order, batched_other=False):
    """Run the planned einsum ``other, view_chunk`` chunk by chunk over the view's batch.

    ``equations`` is the (batched, one image) einsum text; ``order`` puts a
    chunk's axes kernel-first; ``other`` is sliced with the chunk when
    ``batched_other`` (the output gradient).  Results go into one ``out_shape``
    array, or are summed when ``out_shape`` is None.
    """
    def compute(start, stop):
        if stop - start == 1:
            text, part = equations[1], view[start].transpose(_unbatched(order))
            return einsum(text, other[start] if batched_other else other, part, **sizes)
        part = view[start:stop].transpose(order)
        return einsum(equations[0], other[start:stop] if batched_other else other, part,
                      **sizes)
    chunks = _batch_spans(xp, view.shape[0], _image_bytes(view))
    if len(chunks) == 1:
        return einsum(equations[0], other, view.transpose(order), **sizes)
    return run_spans(xp, chunks, compute, out_shape)


def _unbatched(order):
    """``order`` (kernel-first, batch axis 0 included) for one image of the view."""
    return tuple(k - 1 for k in order if k != 0)


def _equations(n, groups):
    """Forward einsum text, batched and for one image."""
    return conv_equation(n, groups, True), conv_equation(n, groups, False)


def _forward(xp, padded, weight, geo):
    """The convolution of an already padded, batched array: (b, o, out...)."""
    if all(s == 1 for s in geo.stride):
        return _flat_forward(xp, padded, weight, geo)
    n = len(geo.kernel)
    view = window_view(xp, padded, geo.kernel, geo.stride, geo.dilation)
    shape = (view.shape[0], weight.shape[0]) + tuple(view.shape[2:2 + n])
    batch_first = (0, 1) + tuple(range(2 + n, 2 + 2 * n)) + tuple(range(2, 2 + n))
    return _tiled(xp, _equations(n, geo.groups), view, weight, _group_sizes(geo), shape,
                  batch_first)


def _flat_windows(xp, padded, geo):
    """Stride 1 on flattened images: the windows ``(b, c, i, j, p)`` of each row-major
    image with taps at ``i*W + j`` (times the dilation), rows ``p`` contiguous, so a
    GEMM's copy runs over whole rows.  Positions ``p`` past an output row's last
    column are wrap-around garbage: the forward drops them, the gradients meet
    zeros there.  Returns the view, the output's spatial shape and the flat row
    strides of the input.
    """
    n = len(geo.kernel)
    spatial, item = tuple(padded.shape[2:]), padded.dtype.itemsize
    out = output_shape(spatial, geo.kernel, geo.stride, geo.dilation)
    rows = tuple(prod(spatial[a + 1:]) for a in range(n))
    length = sum((m - 1) * r for m, r in zip(out, rows)) + 1
    view = xp.lib.stride_tricks.as_strided(
        padded, shape=tuple(padded.shape[:2]) + tuple(geo.kernel) + (length,),
        strides=padded.strides[:2] + tuple(d * r * item for d, r in zip(geo.dilation, rows))
        + (item,), writeable=False)
    return view, out, rows


def _flat_texts(n, groups, forward=True):
    """(chunk, one image) einsum text of the flat forward or weight gradient."""
    chan, outs = ("(g c)", "(g o)") if groups > 1 else ("c", "o")
    kernel = " ".join(_KERNEL[:n])
    if forward:
        return (f"{outs} c {kernel}, b {chan} {kernel} p -> b {outs} p",
                f"{outs} c {kernel}, {chan} {kernel} p -> {outs} p")
    return (f"b {outs} p, {chan} {kernel} b p -> {outs} c {kernel}",
            f"{outs} p, {chan} {kernel} p -> {outs} c {kernel}")


def _flat_forward(xp, padded, weight, geo):
    """Stride-1 convolution over :func:`_flat_windows`, chunk by chunk."""
    n, batch = len(geo.kernel), padded.shape[0]
    view, out, rows = _flat_windows(xp, xp.ascontiguousarray(padded), geo)
    texts, sizes = _flat_texts(n, geo.groups), _group_sizes(geo)

    def compute(start, stop):
        one = stop - start == 1
        part = view[start] if one else view[start:stop]
        value = einsum(texts[one], weight, part, **sizes)
        return xp.lib.stride_tricks.as_strided(
            value, shape=value.shape[:-1] + out,
            strides=value.strides[:-1] + tuple(value.strides[-1] * r for r in rows))
    chunks = _batch_spans(xp, batch, _image_bytes(view))
    result = run_spans(xp, chunks, compute, (batch, weight.shape[0]) + out)
    return xp.ascontiguousarray(result)        # one chunk: its rows still hold the wrap-around


def _flat_weight_grad(xp, padded, grad, geo):
    """Stride-1 weight gradient over :func:`_flat_windows`: the output gradient laid
    into zero-tailed rows of input width meets the windows, summed chunk by chunk
    (each pool thread lays its chunks into its own buffer)."""
    n, batch, out_ch = len(geo.kernel), padded.shape[0], grad.shape[1]
    view, out, rows = _flat_windows(xp, xp.ascontiguousarray(padded), geo)
    texts, sizes = _flat_texts(n, geo.groups, forward=False), _group_sizes(geo)
    order = (1,) + tuple(range(2, 2 + n)) + (0, n + 2)
    chunks = _batch_spans(xp, batch, _image_bytes(view))
    widest, length = max(stop - start for start, stop in chunks), view.shape[-1]

    def make_buffer():
        spread = xp.zeros((max(widest, 1), out_ch, out[0] * rows[0]), dtype=grad.dtype)
        inner = spread.reshape((spread.shape[0], out_ch, out[0]) + tuple(padded.shape[3:]))
        return spread, inner[(Ellipsis,) + tuple(slice(0, m) for m in out[1:])]
    buffer = per_thread(make_buffer)

    def compute(start, stop):
        spread, inner = buffer()
        count = stop - start
        inner[:count] = grad[start:stop]
        if count == 1:
            return einsum(texts[1], spread[0, :, :length], view[start], **sizes)
        return einsum(texts[0], spread[:count, :, :length],
                      view[start:stop].transpose(order), **sizes)
    return run_spans(xp, chunks, compute)


def _group_sizes(geo):
    """The keyword size of the group label, when the convolution is grouped."""
    return {"g": geo.groups} if geo.groups > 1 else {}


def _weight_grad(xp, padded, grad, geo):
    """d(loss)/d(weight): the output gradient against the windows, summed chunk by chunk."""
    if all(s == 1 for s in geo.stride):
        return _flat_weight_grad(xp, padded, grad, geo)
    n = len(geo.kernel)
    view = window_view(xp, padded, geo.kernel, geo.stride, geo.dilation)
    spatial, kernel = " ".join(_SPATIAL[:n]), " ".join(_KERNEL[:n])
    chan, out = ("(g c)", "(g o)") if geo.groups > 1 else ("c", "o")
    texts = (f"b {out} {spatial}, {chan} {kernel} b {spatial} -> {out} c {kernel}",
             f"{out} {spatial}, {chan} {kernel} {spatial} -> {out} c {kernel}")
    return _tiled(xp, texts, view, grad, _group_sizes(geo), None, kernel_first(view.ndim, n),
                  batched_other=True)


def _transposed_weight(xp, weight, groups):
    """The weight of the transposed convolution: in/out channels swapped per group, flipped."""
    out_ch, per_group = weight.shape[:2]
    kernel = tuple(weight.shape[2:])
    grouped = weight.reshape((groups, out_ch // groups, per_group) + kernel).swapaxes(1, 2)
    flip = (slice(None),) * 2 + (slice(None, None, -1),) * len(kernel)
    return xp.ascontiguousarray(grouped.reshape((groups * per_group, out_ch // groups) + kernel)
                                [flip])


def _input_grad(xp, grad, weight, padded_shape, geo):
    """d(loss)/d(padded input).  Stride 1: a transposed convolution (the padded output
    gradient against the flipped weight), itself tiled; otherwise the gradient of each
    chunk's windows (computed kernel-first, so the GEMM writes contiguous rows), added back
    onto the input (overlaps accumulate)."""
    n = len(geo.kernel)
    spatial = tuple(padded_shape[-n:])
    if all(s == 1 for s in geo.stride):
        return _flat_transposed(xp, grad, weight, tuple(padded_shape), geo)
    chan, out = ("(g c)", "(g o)") if geo.groups > 1 else ("c", "o")
    names, kernel = " ".join(_SPATIAL[:n]), " ".join(_KERNEL[:n])
    text = f"{out} c {kernel}, b {out} {names} -> {chan} {kernel} b {names}"
    back = (n + 1, 0) + tuple(range(n + 2, 2 * n + 2)) + tuple(range(1, n + 1))
    per_image = padded_shape[1] * prod(geo.kernel) * prod(grad.shape[2:]) * grad.dtype.itemsize

    def compute(start, stop):         # the chunk's window gradient, added back onto its images
        windows = einsum(text, weight, grad[start:stop], **_group_sizes(geo)).transpose(back)
        return accumulate_windows(xp, windows, spatial, geo.kernel, geo.stride, geo.dilation)
    return run_spans(xp, _batch_spans(xp, grad.shape[0], per_image), compute,
                     tuple(padded_shape))


def _flat_transposed(xp, grad, weight, padded_shape, geo):
    """The stride-1 input gradient as a transposed convolution on flattened images.

    Row-major, a stride-1 convolution is a 1-D one with taps at ``i*W + j``
    (times the dilation).  The output gradient is laid into a zeroed buffer
    of input-row width (the columns past the output's edge stay zero), with
    a zero margin before and after; the windows of that flat buffer,
    ``(o, i, j, p)`` with rows ``p`` contiguous, meet the flipped weight in
    one einsum per chunk, ``c o i j, b o i j p -> b c p``, whose result is the
    gradient of the padded input exactly (taps reaching across a row edge
    land on the zero columns).
    """
    n, batch, out_ch = len(geo.kernel), grad.shape[0], grad.shape[1]
    spatial, out = padded_shape[-n:], tuple(grad.shape[-n:])
    rows = tuple(prod(spatial[a + 1:]) for a in range(n))
    lead = sum(d * (k - 1) * r for k, d, r in zip(geo.kernel, geo.dilation, rows))
    length = lead + prod(spatial)
    chunks = _batch_spans(xp, batch, out_ch * prod(geo.kernel) * prod(spatial)
                          * grad.dtype.itemsize)
    widest = max(max(stop - start for start, stop in chunks), 1)

    def make_buffer():             # the zero-margined flat gradient rows of one thread's chunks
        flat = xp.zeros((widest, out_ch, length), dtype=grad.dtype)
        inner = flat[:, :, lead:lead + out[0] * rows[0]].reshape((widest, out_ch, out[0])
                                                                  + spatial[1:])
        return flat, inner[(Ellipsis,) + tuple(slice(0, m) for m in out[1:])]
    buffer = per_thread(make_buffer)
    chan, outs = ("(g c)", "(g o)") if geo.groups > 1 else ("c", "o")
    kernel = " ".join(_KERNEL[:n])
    texts = (f"{chan} o {kernel}, {outs} {kernel} b p -> b {chan} p",
             f"{chan} o {kernel}, {outs} {kernel} p -> {chan} p")
    order = (1,) + tuple(range(2, 2 + n)) + (0, n + 2)      # kernel-first, as in _forward
    weight = _transposed_weight(xp, weight, geo.groups)

    def compute(start, stop):
        flat, inner = buffer()
        count, item = stop - start, flat.dtype.itemsize
        inner[:count] = grad[start:stop]
        view = xp.lib.stride_tricks.as_strided(
            flat, shape=(count, out_ch) + tuple(geo.kernel) + (prod(spatial),),
            strides=(out_ch * length * item, length * item)
            + tuple(d * r * item for d, r in zip(geo.dilation, rows)) + (item,))
        view = view[0] if count == 1 else view.transpose(order)
        value = einsum(texts[count == 1], weight, view, **_group_sizes(geo))
        return value.reshape((count, padded_shape[1]) + spatial)
    return run_spans(xp, chunks, compute, padded_shape)


def _conv_node(x, weight, geo):
    """Forward on arrays; on Tensors one graph node whose VJP runs the tiled gradients."""
    data, kernel_data = array_of(x), array_of(weight)
    xp = namespace(data)
    n = len(geo.kernel)
    batched = data.ndim == n + 2
    padded = pad(xp, data if batched else data[None], geo.pairs)
    out = _forward(xp, padded, kernel_data, geo)
    out = out if batched else out[0]
    if not (is_tensor(x) or is_tensor(weight)):
        return out

    def vjp(grad):          # complex: conj(VJP(conj(grad))), torch's convention
        grad = conj(grad if batched else grad[None])
        grad_w = grad_x = None
        if getattr(weight, "requires_grad", False):
            grad_w = conj(_weight_grad(xp, padded, grad, geo))
        if getattr(x, "requires_grad", False):
            grad_x = crop(_input_grad(xp, grad, kernel_data, padded.shape, geo), geo.pairs)
            grad_x = conj(grad_x if batched else grad_x[0])
        return grad_x, grad_w
    from contract.autograd import record
    return record("conv", out, (x, weight), vjp)


def conv1d(x, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """1-D convolution (cross-correlation, as torch): ``b c h i, o c i -> b o h``.

    >>> import numpy as np
    >>> conv1d(np.ones((1, 2, 4)), np.ones((3, 2, 2))).shape
    (1, 3, 3)
    """
    return _conv(x, weight, bias, 1, stride, padding, dilation, groups, "conv1d")


def conv2d(x, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """2-D convolution with torch semantics, one einsum over the padded input's windows.

    ``padding`` is an int, a pair, or ``"valid"``/``"same"``.

    >>> import numpy as np
    >>> conv2d(np.ones((2, 3, 6, 6)), np.ones((4, 3, 3, 3)), stride=2, padding=1).shape
    (2, 4, 3, 3)
    """
    return _conv(x, weight, bias, 2, stride, padding, dilation, groups, "conv2d")

