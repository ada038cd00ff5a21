"""Convolutions run tile by tile, so that each tile's window copy (im2col) stays small.

The windows of a convolution's input are a strided view (:func:`window_view`); the
GEMM of the convolution's einsum needs them as a contiguous ``(channel kernel) x
(out)`` matrix, a copy ``prod(kernel)`` times the input (73 MB for a batch of 32
16x64x64 images and a 3x3 kernel), so the work is cut into *tiles*: a block of
output rows of one image, or a few whole images when an image is small, each copy
at most ``TILE_BYTES`` (4 MB, the best of 0.5-64 MB on the dev VM: smaller tiles fit
a core's 2 MB L2, but every tile's Python (its copy and plan call) holds the GIL
that the other pool thread then waits for).  A tile is copied into its thread's scratch buffer and meets the
other operand in the convolution's planned einsum, whose GEMM writes straight into
the tile's block of the output (``out=``).  The images are shared out over
:mod:`contract._util.parallel`'s pool once the whole window copy reaches
``PARALLEL_BYTES``.  Padding is written per image into scratch buffers too (their
zero margins written once), never for the whole batch.

The three passes of a convolution, in einsum text (one image, 2-D, no groups):

- forward: ``o c i j, c i j h w -> o h w`` into ``out[b, :, rows]``;
- weight gradient: ``c i j h w, o h w -> c i j o`` per tile, summed in tile order
  (the same bits whatever the threads' timing); this orientation (the windows as
  BLAS's left operand) runs about 1.4x faster than ``o h w, c i j h w -> o c i j``;
- input gradient: ``o c i j, o h w -> c i j h w`` per tile, each window's gradient
  added back onto the input (col2im: overlaps accumulate).

>>> import numpy as np
>>> geo = Geometry((2,), (1,), ((0, 0),), (1,), 1)
>>> forward(np, np.arange(5.).reshape(1, 1, 5), np.ones((1, 1, 2)), geo)
array([[[1., 3., 5., 7.]]])
"""
from functools import lru_cache
from math import prod
from typing import NamedTuple, Tuple

from contract.dtypes import policy
from contract.engine.api import plan
from contract._util.parallel import map_chunks, parallel_ok, per_thread, spans, workers
from contract.nn.windows import add_windows, output_shape, window_view

TILE_BYTES = 4 << 20        # a tile's window copy (best of 0.5-64 MB on the dev VM)
PARALLEL_BYTES = 8 << 20    # whole-batch window copy from which images go to the pool

_SPATIAL = ("h", "w", "d")
_KERNEL = ("i", "j", "k")


class Geometry(NamedTuple):
    """A convolution's kernel size, stride, padding pairs, dilation and groups."""

    kernel: Tuple[int, ...]
    stride: Tuple[int, ...]
    pairs: Tuple[Tuple[int, int], ...]
    dilation: Tuple[int, ...]
    groups: int


def conv_equation(n: int, groups: int, batched: bool = True) -> str:
    """The einsum text of an n-D convolution: the weight, then the window copy laid out
    (batch, channel, kernel, out), so that the planner's GEMM ``weight (o, c i j) @
    windows (c i j, h w)`` writes ``b o h w`` directly.

    >>> conv_equation(2, 1)
    'o c i j, b c i j h w -> b o h w'
    >>> conv_equation(1, 2, batched=False)
    '(g o) c i, (g c) i h -> (g o) h'
    """
    spatial, kernel, chan, outs = _names(n, groups)
    lead = "b " if batched else ""
    return f"{outs} c {kernel}, {lead}{chan} {kernel} {spatial} -> {lead}{outs} {spatial}"


def weight_grad_equation(n: int, groups: int, batched: bool = True) -> str:
    """The weight gradient's einsum text: the window copy (laid out channel, kernel,
    batch, out) against the output gradient, result ``c kernel o`` (transposed after).

    >>> weight_grad_equation(2, 1, batched=False)
    'c i j h w, o h w -> c i j o'
    """
    spatial, kernel, chan, outs = _names(n, groups)
    lead = "b " if batched else ""
    return f"{chan} {kernel} {lead}{spatial}, {lead}{outs} {spatial} -> c {kernel} {outs}"


def _names(n, groups):
    chan, outs = ("(g c)", "(g o)") if groups > 1 else ("c", "o")
    return " ".join(_SPATIAL[:n]), " ".join(_KERNEL[:n]), chan, outs


def _sizes(groups):
    return {"g": groups} if groups > 1 else {}


# -- margins and tiles ----------------------------------------------------------------------
class Windows:
    """The window views of images ``b0:b1`` of ``x`` padded by ``geo.pairs``.  With
    padding the images are written into the calling thread's own buffer, whose zero
    margins and window view are made once: building a strided view per tile costs
    more than its copy once two threads run (``as_strided`` holds the GIL).

    >>> import numpy as np
    >>> geo = Geometry((2,), (1,), ((1, 0),), (1,), 1)
    >>> Windows(np, np.ones((2, 1, 2)), geo, widest=2)(0, 1)[0, 0].tolist()
    [[0.0, 1.0], [1.0, 1.0]]
    """

    def __init__(self, xp, x, geo, widest):
        n = len(geo.kernel)
        self.x = x
        self.padded = any(a or b for a, b in geo.pairs)

        def view(images):
            return window_view(xp, images, geo.kernel, geo.stride, geo.dilation)
        if not self.padded:
            self.whole = view(x)
            return
        self.inner = (slice(None),) * (x.ndim - n) + tuple(
            slice(a, a + size) for size, (a, _) in zip(x.shape[-n:], geo.pairs))
        shape = tuple(x.shape[1:-n]) + tuple(size + a + b for size, (a, b)
                                             in zip(x.shape[-n:], geo.pairs))

        def made():
            buffer = xp.zeros((max(widest, 1),) + shape, x.dtype)
            return buffer, view(buffer)
        self.made = per_thread(made)

    def __call__(self, b0, b1):
        if not self.padded:
            return self.whole[b0:b1]
        buffer, windows = self.made()
        buffer[:b1 - b0][self.inner] = self.x[b0:b1]
        return windows[:b1 - b0]


def tiles(batch, image_bytes, rows, parallel):
    """``[((b0, b1), [(r0, r1), ...]), ...]``: image spans, each with its blocks of
    output rows, every tile's copy at most ``TILE_BYTES`` (one row at least); at least
    one span per pool thread when ``parallel``.

    >>> tiles(4, 3 * TILE_BYTES, 10, False)[0]
    ((0, 1), [(0, 4), (4, 8), (8, 10)])
    >>> tiles(4, 1 << 10, 10, True)
    [((0, 2), [(0, 10)]), ((2, 4), [(0, 10)])]
    """
    if batch == 0:
        return []
    if image_bytes > TILE_BYTES and rows > 1:
        blocks = min(rows, -(-image_bytes // TILE_BYTES))
        return [((b, b + 1), spans(rows, -(-rows // blocks))) for b in range(batch)]
    step = max(1, min(batch, TILE_BYTES // max(image_bytes, 1)))
    if parallel:
        step = min(step, -(-batch // workers()))
    return [(span, [(0, rows)]) for span in spans(batch, step)]


class _Layout(NamedTuple):
    """How one pass cuts its batch: on the pool or not, the tiles, the widest image span."""

    pooled: bool
    found: list
    widest: int


def _layout(xp, batch, per_image, rows):
    """The pool decision (a whole-batch window copy of at least ``PARALLEL_BYTES``:
    below it the hand-off costs more than it saves) and the tiles."""
    pooled = batch * per_image >= PARALLEL_BYTES and parallel_ok(xp, batch)
    found = tiles(batch, per_image, rows, pooled)
    return _Layout(pooled, found, max((b1 - b0 for (b0, b1), _ in found), default=1))


def _part(a, b0, b1, r0, r1):
    """Output rows ``r0:r1`` of images ``b0:b1`` of ``a``; one image without its batch axis
    (tiles of one image use the unbatched equations)."""
    return a[b0:b1, :, r0:r1] if b1 - b0 > 1 else a[b0, :, r0:r1]


def _in_order(parts):
    """The sum of ``parts`` in list order (the same bits whatever the threads' timing)."""
    total = None
    for part in parts:
        total = part if total is None else total + part
    return total


def _run(xp, work, found, pooled):
    """``work`` over the image spans of ``found``, on the pool when ``pooled``."""
    if pooled and len(found) > 1:
        return map_chunks(work, found, xp)
    return [work(task) for task in found]


class _Copies:
    """Each thread's window copies: ``tile(view, r0, r1)`` copies output rows ``r0:r1``
    of a batch of window views into the thread's buffer, laid out ``batch_first``
    (b, c, kernel, out) or channel first (c, kernel, b, out); the batch axis is dropped
    for one image."""

    def __init__(self, xp, n, most, dtype, batch_first):
        self.xp, self.n, self.batch_first = xp, n, batch_first
        self.buffer = per_thread(lambda: xp.empty(max(most, 1), dtype))

    def tile(self, view, r0, r1):
        n = self.n
        view = view[:, :, r0:r1]
        kernel, out = tuple(range(2 + n, 2 + 2 * n)), tuple(range(2, 2 + n))
        if view.shape[0] == 1:
            view, order = view[0], (0,) + tuple(k - 1 for k in kernel + out)
        else:
            order = (0, 1) + kernel + out if self.batch_first else (1,) + kernel + (0,) + out
        shape = tuple(view.shape[k] for k in order)
        cols = self.buffer()[:prod(shape)].reshape(shape)
        self.xp.copyto(cols, view.transpose(order))
        return cols


def _windowed(xp, x, geo, out_spatial, batch_first):
    """The layout, window source and copy buffers of a pass over the windows of ``x``."""
    per_image = _copy_bytes(x.shape, geo.kernel, x.dtype, out_spatial)
    layout = _layout(xp, x.shape[0], per_image, out_spatial[0])
    copies = _Copies(xp, len(geo.kernel), layout.widest * per_image // x.dtype.itemsize,
                     x.dtype, batch_first)
    return layout, Windows(xp, x, geo, layout.widest), copies


def _copy_bytes(shape, kernel, dtype, out_spatial):
    """Bytes of one image's window copy: channels x kernel x output positions."""
    return shape[1] * prod(kernel) * prod(out_spatial) * dtype.itemsize


def input_grad_equation(n: int, groups: int, batched: bool = True) -> str:
    """The input gradient's einsum text: the weight against the output gradient, result
    each window's gradient laid out (batch, channel, kernel, out) for col2im.

    >>> input_grad_equation(2, 1, batched=False)
    'o c i j, o h w -> c i j h w'
    """
    spatial, kernel, chan, outs = _names(n, groups)
    lead = "b " if batched else ""
    return f"{outs} c {kernel}, {lead}{outs} {spatial} -> {lead}{chan} {kernel} {spatial}"


_EQUATIONS = {"forward": conv_equation, "weight": weight_grad_equation,
              "input": input_grad_equation}


@lru_cache(maxsize=256)
def _plans(kind, n, groups):
    """The (one image, batched) plan memos of a pass, kept across calls (no equation text
    built per call)."""
    return tuple(_Planned(_EQUATIONS[kind](n, groups, batched), groups)
                 for batched in (False, True))


class _Planned:
    """Plans of one equation, memoised by operand shapes and dtypes (tiles differ only
    at edges)."""

    def __init__(self, text, groups):
        self.text, self.sizes, self.found = text, _sizes(groups), {}

    def __call__(self, *operands, out=None):
        key = tuple((op.shape, op.dtype) for op in operands)
        found = self.found.get(key)
        if found is None and len(self.found) >= 64:
            self.found.clear()
        if found is None:
            found = self.found[key] = plan(self.text, *operands, **self.sizes)
        return found(*operands, out=out)


# -- the passes -----------------------------------------------------------------------------
def forward(xp, x, weight, geo):
    """The convolution of batched ``x`` (unpadded), ``(b, o, out...)``."""
    n, batch = len(geo.kernel), x.shape[0]
    spatial = tuple(s + a + b for s, (a, b) in zip(x.shape[-n:], geo.pairs))
    out_spatial = output_shape(spatial, geo.kernel, geo.stride, geo.dilation)
    out = xp.empty((batch, weight.shape[0]) + out_spatial,
                   policy((x.dtype, weight.dtype), True)[1])
    layout, source, copies = _windowed(xp, x, geo, out_spatial, batch_first=True)
    plans = _plans("forward", n, geo.groups)

    def work(task):
        (b0, b1), rows = task
        windows = source(b0, b1)
        for r0, r1 in rows:
            plans[b1 - b0 > 1](weight, copies.tile(windows, r0, r1),
                               out=_part(out, b0, b1, r0, r1))
    _run(xp, work, layout.found, layout.pooled)
    return out


def weight_grad(xp, x, grad, geo):
    """d(loss)/d(weight) of the convolution of ``x`` (unpadded), given the output's."""
    layout, source, copies = _windowed(xp, x, geo, tuple(grad.shape[2:]), batch_first=False)
    plans = _plans("weight", len(geo.kernel), geo.groups)

    def work(task):
        (b0, b1), rows = task
        windows = source(b0, b1)
        return _in_order(plans[b1 - b0 > 1](copies.tile(windows, r0, r1),
                                            _part(grad, b0, b1, r0, r1)) for r0, r1 in rows)
    total = _in_order(_run(xp, work, layout.found, layout.pooled))
    if total is None:                                   # an empty batch
        return xp.zeros((grad.shape[1], x.shape[1] // geo.groups) + tuple(geo.kernel),
                        policy((x.dtype, grad.dtype), True)[1])
    return xp.ascontiguousarray(xp.moveaxis(total, -1, 0))


def input_grad(xp, grad, weight, x_shape, geo):
    """d(loss)/d(x) (unpadded ``x_shape``) of the convolution, given the output's: per
    tile, the window gradient ``o c i j, o h w -> c i j h w`` (written by its GEMM into
    the thread's buffer), added back onto the tile's images (col2im).  On the dev VM
    this ran 1.4x faster than the stride-1 transposed convolution, whose window copy
    is (output channels / input channels) times larger."""
    n, batch = len(geo.kernel), x_shape[0]
    out_spatial = tuple(grad.shape[2:])
    dtype = policy((grad.dtype, weight.dtype), True)[1]
    per_image = _copy_bytes(x_shape, geo.kernel, dtype, out_spatial)
    layout = _layout(xp, batch, per_image, out_spatial[0])
    widest, padded = layout.widest, any(a or b for a, b in geo.pairs)
    spatial = tuple(s + a + b for s, (a, b) in zip(x_shape[-n:], geo.pairs))
    inner = (Ellipsis,) + tuple(slice(a, a + s) for s, (a, _) in zip(x_shape[-n:], geo.pairs))
    images = per_thread(lambda: xp.empty((widest,) + tuple(x_shape[1:-n]) + spatial, dtype))
    cols = per_thread(lambda: xp.empty(widest * per_image // dtype.itemsize, dtype))
    plans = _plans("input", n, geo.groups)
    out = xp.empty(tuple(x_shape), dtype)

    def work(task):
        (b0, b1), rows = task
        count = b1 - b0
        target = images()[:count] if padded else out[b0:b1]
        target[...] = 0
        for r0, r1 in rows:
            shape = ((count,) if count > 1 else ()) + (x_shape[1],) + tuple(geo.kernel) + (
                r1 - r0,) + out_spatial[1:]
            window = cols()[:prod(shape)].reshape(shape)
            plans[count > 1](weight, _part(grad, b0, b1, r0, r1), out=window)
            add_windows(target if count > 1 else target[0], window, geo.kernel, geo.stride,
                        geo.dilation, first_row=r0)
        if padded:
            out[b0:b1] = target[inner]
    _run(xp, work, layout.found, layout.pooled)
    return out
