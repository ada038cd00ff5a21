"""Winograd's minimal filtering F(m, r) as einsums: a convolution with fewer multiplies.

A stride-1 convolution cut into output tiles of ``m`` (per spatial axis) reads
input tiles of ``m + r - 1`` that overlap by ``r - 1``.  Winograd's algorithm
computes each tile as ``A^T [(G g) * (B^T d)]``: the kernel ``g`` and the tile
``d`` are moved to ``m + r - 1`` "tile positions" by small exact matrices, the
channels are contracted there by one batched GEMM per position, and ``A^T`` brings
the result back.  F(4x4, 3x3) does 36 multiplies per 16 outputs where the direct
convolution does 144: 4x fewer.  In einsum text (2-D, one image block)::

    U = G g G^T        "o c i j, a i, b j -> a b o c"       kernel transform (cached)
    V = B^T d B        "i j c t s, a i, b j -> a b c t s"   input-tile transform
    M = U . V          "a b o c, a b c t s -> a b o t s"    36 GEMMs for F(4, 3)
    Y = A^T M A        "a b o t s, i a, j b -> o t i s j"   output transform

Each transform runs as one pass per spatial axis (``B^T`` then ``B``: two small
GEMMs over long contiguous rows instead of one 36x36 product), every pass a planned
einsum that writes into a thread's scratch buffer; the tiles are gathered from a
strided view (one copy) and the outputs scattered back (one copy per output column
phase, so the copy's inner loop runs along a row of tiles).  Work goes in blocks of
images (or of tile rows of one large image) whose buffers stay in a core's cache, on
:mod:`contract._util.parallel`'s pool.  An axis may stay untransformed (tile 1): its kernel
taps then join the channels in the GEMM's contraction, as in im2col (F(4, 3) on rows
with im2col on columns avoids the strided column gathers and scatters).

The gradients are the same transforms: the input gradient is this convolution of
the output gradient with the flipped, channel-transposed kernel; the weight
gradient transposes the forward (``dU = (A dY A^T) . V^T`` per tile position,
``dg = G^T dU G``).

The matrices come from :func:`transforms`, exact rationals (Toom-Cook points 0,
1, -1, 1/2, -2 and infinity; B^T scaled to integers) rounded once to float64.

>>> import numpy as np
>>> x, w = np.arange(36.).reshape(1, 1, 6, 6), np.ones((1, 1, 3, 3))
>>> y = winograd_conv(np, x, w, Spec.of((3, 3), ((0, 0), (0, 0)), 1, (4, 4)))
>>> y[0, 0, :2].round(9).tolist()
[[63.0, 72.0, 81.0, 90.0], [117.0, 126.0, 135.0, 144.0]]
"""
import threading
from fractions import Fraction
from functools import lru_cache
from itertools import product
from math import prod
from typing import NamedTuple, Tuple

import numpy as np

from contract.engine.api import plan
from contract.errors import ContractError
from contract._util.parallel import map_chunks, parallel_ok, spans, workers
from contract.engine.api import einsum
from contract.dtypes import policy

BLOCK_BYTES = 1 << 20       # a block's largest stage (tiles, V or M): a core's L2 cache
PARALLEL_BYTES = 4 << 20    # whole-batch stage size from which blocks go to the pool

# Toom-Cook points, in the order tiles take them.  0, 1, -1, 1/2, -2 (not Lavin's 0, +-1,
# +-2) give F(4, 3) and F(2, 5) 2.5x smaller float32 errors (Barabasz et al. 2020).
_POINTS = (Fraction(0), Fraction(1), Fraction(-1), Fraction(1, 2), Fraction(-2),
           Fraction(2), Fraction(-1, 2))


class Transform(NamedTuple):
    """F(m, r)'s matrices (float64): ``AT`` (m, n), ``G`` (n, r), ``BT`` (n, n), n = m + r - 1."""

    AT: np.ndarray
    G: np.ndarray
    BT: np.ndarray


@lru_cache(maxsize=None)
def transforms(m: int, r: int) -> Transform:
    """The matrices of F(m, r): output tile m, kernel r, input tile n = m + r - 1.

    ``y = AT @ ((G @ g) * (BT @ d))`` is the correlation ``y[i] = sum_j g[j] d[i + j]``.

    >>> t = transforms(2, 3)
    >>> t.BT.astype(int).tolist()
    [[1, 0, -1, 0], [0, 1, 1, 0], [0, -1, 1, 0], [0, -1, 0, 1]]
    >>> d, g = np.arange(4.), np.array([1., 2., 3.])
    >>> (t.AT @ ((t.G @ g) * (t.BT @ d))).tolist()
    [8.0, 14.0]
    """
    n = m + r - 1
    if m < 1 or r < 1 or n - 1 > len(_POINTS):
        raise ContractError(f"no Winograd transform F({m}, {r}): tiles of at most "
                            f"{len(_POINTS) + 1} points are built")
    points = _POINTS[:n - 1]
    at = [[p ** i for p in points] + [Fraction(int(i == m - 1))] for i in range(m)]
    g = [[p ** j for j in range(r)] for p in points] + [[Fraction(int(j == r - 1))
                                                          for j in range(r)]]
    products = [[at[i][k] * g[k][j] for k in range(n)] for i in range(m) for j in range(r)]
    bt_cols = [_solve(products, [Fraction(int(i + j == col)) for i in range(m)
                                 for j in range(r)]) for col in range(n)]
    bt = [[bt_cols[col][k] for col in range(n)] for k in range(n)]
    for k in range(n):                   # integral B^T rows, the scale moved into G
        scale = _integral_scale(bt[k])
        bt[k] = [v * scale for v in bt[k]]
        g[k] = [v / scale for v in g[k]]
    return Transform(*(np.array([[float(v) for v in row] for row in mat])
                       for mat in (at, g, bt)))


def _solve(rows, rhs):
    """The exact solution of the consistent system ``rows @ x = rhs`` (Fractions)."""
    n = len(rows[0])
    aug = [list(row) + [b] for row, b in zip(rows, rhs)]
    pivots, r = [], 0
    for col in range(n):
        pick = next((i for i in range(r, len(aug)) if aug[i][col] != 0), None)
        if pick is None:
            continue
        aug[r], aug[pick] = aug[pick], aug[r]
        aug[r] = [v / aug[r][col] for v in aug[r]]
        for i in range(len(aug)):
            if i != r and aug[i][col] != 0:
                f = aug[i][col]
                aug[i] = [a - f * b for a, b in zip(aug[i], aug[r])]
        pivots.append(col)
        r += 1
    if len(pivots) != n or any(row[-1] != 0 for row in aug[r:]):
        raise ContractError("Winograd transform: the Toom-Cook system has no unique solution")
    x = [Fraction(0)] * n
    for i, col in enumerate(pivots):
        x[col] = aug[i][-1]
    return x


def _integral_scale(row):
    """The factor that makes ``row`` integers with no common divisor (sign kept)."""
    from math import gcd, lcm
    nonzero = [v for v in row if v != 0]
    den = lcm(*(v.denominator for v in nonzero)) if nonzero else 1
    num = gcd(*(int(v * den) for v in nonzero)) if nonzero else 1
    return Fraction(den, num or 1)




# -- the shape of one convolution -------------------------------------------------------------
TILES = {1: (1,), 3: (1, 2, 4), 5: (1, 2)}    # output tiles m offered per kernel size r


class Spec(NamedTuple):
    """A stride-1, dilation-1 convolution for Winograd: kernel sizes, padding pairs,
    groups, and the output tile ``m`` per spatial axis (1: no transform on that axis;
    its kernel taps join the GEMM's contraction, as im2col does).

    >>> Spec.of((3, 3), ((1, 1), (1, 1)), 1).tiles
    (4, 4)
    """

    kernel: Tuple[int, ...]
    pairs: Tuple[Tuple[int, int], ...]
    groups: int
    tiles: Tuple[int, ...]

    @classmethod
    def of(cls, kernel, pairs, groups=1, tiles=None):
        """The spec with ``tiles`` (default: the largest tile offered per kernel size)."""
        kernel, pairs = tuple(kernel), tuple(tuple(p) for p in pairs)
        if tiles is None:
            tiles = tuple(TILES[r][-1] if r in TILES else 0 for r in kernel)
        tiles = tuple(tiles)
        if len(tiles) != len(kernel) or any(m not in TILES.get(r, ())
                                            for r, m in zip(kernel, tiles)):
            raise ContractError(f"Winograd: tiles {tiles} do not fit kernel {kernel} "
                                f"(offered: {_offered()})")
        if all(m == 1 for m in tiles):
            raise ContractError("Winograd: at least one axis needs a tile larger than 1")
        return cls(kernel, pairs, int(groups), tiles)


def _offered():
    return ", ".join(f"F({m}, {r})" for r, ms in sorted(TILES.items()) for m in ms if m > 1)


def applies(kernel, stride, dilation) -> bool:
    """Whether Winograd can run a convolution: stride 1, dilation 1, kernel sizes with a
    transform (3 or 5) on some axis and 1, 3 or 5 on the others.

    >>> applies((3, 3), (1, 1), (1, 1)), applies((3, 3), (2, 2), (1, 1))
    (True, False)
    """
    return (all(s == 1 for s in stride) and all(d == 1 for d in dilation)
            and all(k in TILES for k in kernel) and any(len(TILES[k]) > 1 for k in kernel))


class Layout(NamedTuple):
    """Sizes of one call.  ``counts``: tiles per axis (outputs on an axis without a
    transform); ``padded``: the padded input extent the tiles read."""

    spec: Spec
    wino: Tuple[int, ...]       # axes with a transform
    direct: Tuple[int, ...]     # axes whose kernel taps are contracted (im2col)
    counts: Tuple[int, ...]
    padded: Tuple[int, ...]
    out: Tuple[int, ...]
    channels: int
    outs: int

    @classmethod
    def of(cls, x_shape, outs, spec):
        d = len(spec.kernel)
        spatial = tuple(x_shape[-d:])
        out = tuple(s + a + b - r + 1 for s, (a, b), r in zip(spatial, spec.pairs, spec.kernel))
        counts = tuple(-(-o // m) for o, m in zip(out, spec.tiles))
        padded = tuple(m * t + r - 1 for m, t, r in zip(spec.tiles, counts, spec.kernel))
        wino = tuple(k for k in range(d) if spec.tiles[k] > 1)
        direct = tuple(k for k in range(d) if spec.tiles[k] == 1)
        return cls(spec, wino, direct, counts, padded, out, x_shape[1], outs)

    @property
    def a(self):
        """The input tile (m + r - 1) of each transformed axis."""
        return tuple(self.spec.tiles[k] + self.spec.kernel[k] - 1 for k in self.wino)

    def grid(self, rows):
        """Per axis, the positions a block of ``rows`` (along axis 0) gathers: tiles on a
        transformed axis, padded input positions on the others."""
        ext = (rows,) + self.counts[1:]
        return tuple(e if k in self.wino else e + self.spec.kernel[k] - 1
                     for k, e in enumerate(ext))

    def taps(self):
        """The kernel taps contracted by the GEMM besides channels (axes without a transform)."""
        return prod(self.spec.kernel[k] for k in self.direct)


def _strided(xp, x, shape, steps, writeable=False):
    """A view of ``x`` with ``shape`` and strides ``steps`` (in elements)."""
    strides = tuple(s * x.itemsize for s in steps)
    if getattr(xp, "__name__", "") == "numpy":
        return xp.lib.stride_tricks.as_strided(x, shape=shape, strides=strides,
                                               writeable=writeable)
    return xp.lib.stride_tricks.as_strided(x, shape=shape, strides=strides)


def _steps(x):
    return tuple(s // x.itemsize for s in x.strides)


def tile_view(xp, src, lay):
    """The tiles of ``src`` (batch, channels, padded spatial), no copy: shape ``a +
    (channels, batch) + grid``; on a transformed axis ``[.., i, .., t]`` reads
    ``m t + i``, on the others ``[.., y]`` reads ``y``.

    >>> lay = Layout.of((1, 1, 6), 1, Spec.of((3,), ((0, 0),), 1, (2,)))
    >>> tile_view(np, np.arange(6.).reshape(1, 1, 6), lay)[:, 0, 0].T.tolist()
    [[0.0, 1.0, 2.0, 3.0], [2.0, 3.0, 4.0, 5.0]]
    """
    steps, d = _steps(src), len(lay.spec.kernel)
    spatial = steps[-d:]
    grid = tuple(c if k in lay.wino else lay.padded[k] for k, c in enumerate(lay.counts))
    shape = lay.a + (src.shape[1], src.shape[0]) + grid
    walk = tuple(m * s for m, s in zip(lay.spec.tiles, spatial))
    return _strided(xp, src, shape, tuple(spatial[k] for k in lay.wino)
                    + (steps[1], steps[0]) + walk)


def out_view(xp, dst, lay, writeable=True):
    """The output tiles of ``dst`` (batch, outs, spatial), writable: shape ``m (transformed
    axes) + (outs, batch) + counts``.  Tiles past the edge of ``dst`` are in the view's
    shape but must not be touched (see :func:`_pieces`)."""
    steps, d = _steps(dst), len(lay.spec.kernel)
    spatial = steps[-d:]
    shape = tuple(lay.spec.tiles[k] for k in lay.wino) + (dst.shape[1], dst.shape[0]) + lay.counts
    walk = tuple(m * s for m, s in zip(lay.spec.tiles, spatial))
    return _strided(xp, dst, shape, tuple(spatial[k] for k in lay.wino)
                    + (steps[1], steps[0]) + walk, writeable=writeable)


def _pieces(lay, t0, t1):
    """Index tuples into a block's output tiles (``m.. + (O, nb) + counts``) that cover
    exactly the outputs inside the image: a ragged last tile keeps only its first
    ``out - m (count - 1)`` phases.  The last axis's phases are taken one at a time
    when it is transformed, so that a copy's inner loop runs along a row of tiles.

    >>> lay = Layout.of((1, 1, 5, 5), 1, Spec.of((3, 3), ((0, 0), (0, 0)), 1, (2, 2)))
    >>> len(_pieces(lay, 0, 2)), _pieces(lay, 0, 2)[0][:2]
    (4, (slice(0, 1, None), 0))
    """
    return _pieces_of(lay, t1 - t0, t1 == lay.counts[0])


@lru_cache(maxsize=256)
def _pieces_of(lay, rows, edge):
    spec, d = lay.spec, len(lay.spec.kernel)
    ranges = [[((), slice(None))] for _ in range(d)]
    for k in lay.wino:
        m, count = spec.tiles[k], rows if k == 0 else lay.counts[k]
        rem = lay.out[k] - m * (lay.counts[k] - 1) if (edge or k > 0) else m
        cut = slice(0, count - 1)
        if k == d - 1:
            ranges[k] = [((j,), slice(None) if j < rem else cut) for j in range(m)]
        else:
            ranges[k] = [((slice(0, rem),), slice(None))] + (
                [((slice(rem, m),), cut)] if rem < m else [])
        ranges[k] = [(p, s) for p, s in ranges[k] if s.stop is None or s.stop > 0]
    found = []
    for combo in product(*ranges):
        phases = sum((p for p, _ in combo), ())
        found.append(phases + (slice(None), slice(None)) + tuple(s for _, s in combo))
    return tuple(found)


class _Views(NamedTuple):
    """One block shape's views into a thread's two scratch buffers."""

    tiles: object       # the gathered input tiles
    ins: tuple          # (plan, matrix, source, target) per transformed axis
    im2col: tuple       # (window view, copy) on axes without a transform, or ()
    gemm: tuple         # (plan, V, M) per tile position and group
    outs: tuple         # (plan, matrix, source, target) back to outputs
    z: object           # output tiles, ``m.. + (O, nb) + counts``


def _pass_views(xp, cur, spare, mats, lead, rest):
    """The passes applying ``mats[k]`` (out_k, in_k) along the k-th leading axis."""
    found, done = [], ()
    for k, mat in enumerate(mats):
        p, (n_out, n_in) = prod(done), mat.shape
        q = prod(lead[k + 1:]) * rest
        wide = xp.broadcast_to(mat, (p, n_out, n_in))
        src = cur[:p * n_in * q].reshape(p, n_in, q)
        dst = spare[:p * n_out * q].reshape(p, n_out, q)
        found.append((plan("p a i, p i q -> p a q", wide, src), wide, src, dst))
        cur, spare, done = spare, cur, done + (n_out,)
    return tuple(found), cur, spare


def _im2col_views(xp, cur, spare, lay, nb, grid, ext):
    """V1 (in ``cur``: ``a + (C, nb) + grid``) seen with each untransformed axis split
    into (tap, output) and the taps moved next to the channels, and its copy."""
    shape1 = lay.a + (lay.channels, nb) + grid
    steps = tuple(prod(shape1[i + 1:]) for i in range(len(shape1)))
    n_lead, d = len(lay.a), len(grid)
    axis = {k: n_lead + 2 + k for k in range(d)}
    shape = shape1[:n_lead + 1] + tuple(lay.spec.kernel[k] for k in lay.direct) + (nb,) + ext
    strides = (steps[:n_lead + 1] + tuple(steps[axis[k]] for k in lay.direct)
               + (steps[n_lead + 1],) + tuple(steps[axis[k]] for k in range(d)))
    view = _strided(xp, cur[:prod(shape1)], shape, strides)
    return view, spare[:prod(shape)].reshape(shape)


def input_views(xp, lay, nb, rows, cur, spare, bt):
    """A block's input side: the gathered tiles, the passes of ``B^T`` and the im2col of
    the untransformed axes; returns (tiles, passes, im2col, V as (positions, C x taps,
    n), the buffer holding V, the other)."""
    grid = lay.grid(rows)
    ext = (rows,) + lay.counts[1:]
    shape = lay.a + (lay.channels, nb) + grid
    tiles = cur[:prod(shape)].reshape(shape)
    ins, cur, spare = _pass_views(xp, cur, spare, bt, lay.a, lay.channels * nb * prod(grid))
    im2col = ()
    if lay.direct:
        im2col = _im2col_views(xp, cur, spare, lay, nb, grid, ext)
        cur, spare = spare, cur
    n, positions = nb * prod(ext), prod(lay.a) * lay.spec.groups
    v = cur[:positions * lay.channels * lay.taps() * n // lay.spec.groups].reshape(
        positions, -1, n)
    return tiles, ins, im2col, v, cur, spare


def output_views(xp, lay, nb, rows, cur, spare, mats):
    """A block's output side from ``cur`` (``a + (O, n)``): the passes of ``mats``
    (``A^T`` per transformed axis) and the output tiles ``m.. + (O, nb) + counts``."""
    ext = (rows,) + lay.counts[1:]
    outs, cur, spare = _pass_views(xp, cur, spare, mats, lay.a, lay.outs * nb * prod(ext))
    ms = tuple(mat.shape[0] for mat in mats)
    return outs, cur[:prod(ms) * lay.outs * nb * prod(ext)].reshape(
        ms + (lay.outs, nb) + ext), cur, spare


def block_views(xp, lay, nb, rows, buffers, mats, u):
    """The views and plans of a forward block of ``nb`` images and ``rows`` along axis 0."""
    (bt, at), (one, two) = mats, buffers
    tiles, ins, im2col, v, cur, spare = input_views(xp, lay, nb, rows, one, two, bt)
    m = spare[:u.shape[0] * u.shape[1] * v.shape[2]].reshape(u.shape[:2] + v.shape[2:])
    gemm = (plan("x o c, x c r -> x o r", u, v), v, m)
    outs, z, _, _ = output_views(xp, lay, nb, rows, spare, cur, at)
    return _Views(tiles, ins, im2col, gemm, outs, z)


# -- scratch kept per thread -------------------------------------------------------------------
KEEP_BYTES = 32 << 20       # scratch a thread keeps between calls (views and plans with it)
_LOCAL = threading.local()


class _Space(NamedTuple):
    buffers: tuple
    views: dict


def workspace(xp, dtype, count, size) -> _Space:
    """This thread's ``count`` flat scratch buffers of at least ``size`` elements, with a
    dict for views made over them (emptied when the buffers are replaced).  Kept for the
    next call when they fit in ``KEEP_BYTES``, so a repeated call builds no views or
    plans."""
    spaces = _LOCAL.__dict__.setdefault("spaces", {})
    key = (getattr(xp, "__name__", ""), np.dtype(dtype).str, count)
    found = spaces.get(key)
    if found is None or found.buffers[0].size < size:
        found = _Space(tuple(xp.empty(size, dtype) for _ in range(count)), {})
        if count * size * np.dtype(dtype).itemsize <= KEEP_BYTES:
            spaces[key] = found
    if len(found.views) > 64:
        found.views.clear()
    return found


def padded_buffer(xp, lay, widest, dtype):
    """This thread's zero-margined input buffer for ``lay`` (widest x channels x padded),
    and its tile view: the margins stay zero since only the interior is ever written."""
    kept = _LOCAL.__dict__.setdefault("padded", {})
    key = (getattr(xp, "__name__", ""), lay, widest, np.dtype(dtype).str)
    found = kept.get(key)
    if found is None:
        buffer = xp.zeros((widest, lay.channels) + lay.padded, dtype)
        found = (buffer, tile_view(xp, buffer, lay))
        if buffer.nbytes <= KEEP_BYTES:
            if len(kept) >= 4:
                kept.pop(next(iter(kept)))
            kept[key] = found
    return found


# -- running a convolution --------------------------------------------------------------------
def blocks(batch, rows, per_image, parallel):
    """``[((b0, b1), (t0, t1)), ...]``: image spans, or spans of axis-0 tiles of one image
    when an image's scratch passes ``BLOCK_BYTES``; one block per pool thread at least
    when ``parallel``.

    >>> blocks(4, 16, BLOCK_BYTES // 2, False)
    [((0, 2), (0, 16)), ((2, 4), (0, 16))]
    >>> blocks(1, 16, 3 * BLOCK_BYTES, False)
    [((0, 1), (0, 6)), ((0, 1), (6, 12)), ((0, 1), (12, 16))]
    """
    if per_image > BLOCK_BYTES and rows > 1:
        pieces = min(rows, -(-per_image // BLOCK_BYTES))
        step = -(-rows // pieces)
        return [((b, b + 1), span) for b in range(batch) for span in spans(rows, step)]
    step = max(1, min(batch, BLOCK_BYTES // max(per_image, 1)))
    if parallel:
        step = min(step, -(-batch // workers()))
    return [(span, (0, rows)) for span in spans(batch, step)]


def _stage_size(lay, nb, rows):
    """Elements of a block's largest stage (tiles, V, M)."""
    grid, ext = lay.grid(rows), (rows,) + lay.counts[1:]
    a = prod(lay.a)
    return max(a * lay.channels * nb * prod(grid),
               a * max(lay.channels * lay.taps(), lay.outs) * nb * prod(ext))


def _blocking(xp, x, lay, dtype):
    """``(blocks, pooled, largest stage, Source)``: the image / tile-row blocks a pass walks
    (on the thread pool when the batch is large enough), its largest stage in elements, and
    the tile gatherer sized for the widest block."""
    per_image = _stage_size(lay, 1, lay.counts[0]) * dtype.itemsize
    pooled = x.shape[0] * per_image >= PARALLEL_BYTES
    found = blocks(x.shape[0], lay.counts[0], per_image, pooled)
    widest = max(b1 - b0 for (b0, b1), _ in found)
    rows = max(t1 - t0 for _, (t0, t1) in found)
    return (found, pooled and parallel_ok(xp, len(found)), _stage_size(lay, widest, rows),
            Source(xp, x, lay, widest, dtype))


class Tiled:
    """A Winograd convolution over blocks of ``x``: per block, gather the input tiles,
    transform them axis by axis, one GEMM per tile position (and group), transform
    back, scatter into ``out``."""

    def __init__(self, xp, x, u, lay, out):
        self.xp, self.x, self.u, self.lay, self.out = xp, x, u, lay, out
        spec, dtype = lay.spec, u.dtype
        bt, at, _ = _matrices(spec.tiles, spec.kernel, dtype)
        self.mats = (tuple(xp.asarray(bt[k]) for k in lay.wino),
                     tuple(xp.asarray(at[k]) for k in lay.wino))
        self.found, self.pooled, self.most, self.source = _blocking(xp, x, lay, dtype)
        self.target = out_view(xp, out, lay)

    def views(self, nb, rows):
        """This thread's views for a block shape (made once per thread, layout and shape)."""
        space = workspace(self.xp, self.u.dtype, 2, self.most)
        key = ("forward", self.lay, nb, rows, self.u.shape)
        found = space.views.get(key)
        if found is None:
            found = space.views[key] = block_views(self.xp, self.lay, nb, rows,
                                                   space.buffers, self.mats, self.u)
        return found

    def run(self):
        """Every block, on the pool when it pays; returns ``out``."""
        if self.pooled:
            map_chunks(self.block, self.found, self.xp)
        else:
            for block in self.found:
                self.block(block)
        return self.out

    def block(self, block):
        """One block: images ``b0:b1``, tiles ``t0:t1`` along the first spatial axis."""
        xp = self.xp
        (b0, b1), (t0, t1) = block
        views = self.views(b1 - b0, t1 - t0)
        _gather(xp, views.tiles, self.source(b0, b1, t0, t1), len(self.lay.wino) + 2)
        for run, mat, src, dst in views.ins:
            run(mat, src, out=dst)
        if views.im2col:
            xp.copyto(views.im2col[1], views.im2col[0])
        run, v, m = views.gemm
        run(self.u, v, out=m)
        for run, mat, src, dst in views.outs:
            run(mat, src, out=dst)
        n_lead = len(self.lay.wino) + 1
        target = self.target[(slice(None),) * n_lead + (slice(b0, b1), slice(t0, t1))]
        for piece in _pieces(self.lay, t0, t1):
            xp.copyto(target[piece], views.z[piece])


def _gather(xp, tiles, parts, axis):
    """Copy a block's input tiles from their sources: ``[(span along ``axis``, view)]``."""
    for span, view in parts:
        xp.copyto(tiles[(slice(None),) * axis + (span,)], view)


class Source:
    """``source(b0, b1, t0, t1)``: a block's input tiles as ``[(tile span, view), ...]``
    covering its tiles along axis 0: views of the input itself where the tiles lie inside
    it (all of them when it needs no padding), else of the thread's padded buffer (zero
    margins made once; only the rows those tiles read are copied in)."""

    def __init__(self, xp, x, lay, widest, dtype):
        spec = lay.spec
        self.x, self.lay = x, lay
        self.made = lambda: padded_buffer(xp, lay, widest, dtype)
        self.inside, self.whole = (0, 0), None
        if x.dtype != dtype or tuple(x.shape[3:]) != lay.padded[1:] or any(
                a or b for a, b in spec.pairs[1:]):
            return
        if tuple(x.shape[2:]) == lay.padded:
            self.inside, self.whole = (0, lay.counts[0]), tile_view(xp, x, lay)
        elif 0 in lay.wino:             # the tiles that read no padding, from x itself
            m, a, before = spec.tiles[0], lay.a[0], spec.pairs[0][0]
            first = -(-before // m)
            last = max(first, min(lay.counts[0], (x.shape[2] + before - a) // m + 1))
            part = lay._replace(counts=(last - first,) + lay.counts[1:])
            self.inside = (first, last)
            self.whole = tile_view(xp, x[:, :, m * first - before:], part)

    def __call__(self, b0, b1, t0, t1):
        lead = (slice(None),) * (len(self.lay.wino) + 1)
        if 0 not in self.lay.wino:      # windows of rows along axis 0, not tiles
            if self.whole is None:
                return [(slice(None), self._padded(b0, b1, t0, t1, lead))]
            span = slice(t0, t1 + self.lay.spec.kernel[0] - 1)
            return [(slice(None), self.whole[lead + (slice(b0, b1), span)])]
        first, last = self.inside
        inner = (max(t0, first), min(t1, last))
        parts = []
        if inner[1] > inner[0]:
            view = self.whole[lead + (slice(b0, b1), slice(inner[0] - first, inner[1] - first))]
            parts.append((slice(inner[0] - t0, inner[1] - t0), view))
        for lo, hi in ((t0, min(t1, first)), (max(t0, last), t1)):     # the edges
            if hi > lo:
                parts.append((slice(lo - t0, hi - t0), self._padded(b0, b1, lo, hi, lead)))
        return parts

    def _padded(self, b0, b1, t0, t1, lead):
        """Tiles ``t0:t1`` from the padded buffer, the rows they read copied in."""
        spec, lay = self.lay.spec, self.lay
        m, r = spec.tiles[0], spec.kernel[0]
        span = slice(t0, t1) if 0 in lay.wino else slice(t0, t1 + r - 1)
        lo, hi = m * t0, m * (t1 - 1) + (m if 0 in lay.wino else 1) + r - 1
        buffer, view = self.made()
        before, size = spec.pairs[0][0], self.x.shape[2]
        first, last = max(lo - before, 0), min(hi - before, size)
        inner = tuple(slice(a, a + s) for (a, _), s in zip(spec.pairs[1:], self.x.shape[3:]))
        if last > first:
            buffer[(slice(0, b1 - b0), slice(None), slice(first + before, last + before))
                   + inner] = self.x[b0:b1, :, first:last]
        return view[lead + (slice(0, b1 - b0), span)]


# -- the kernel transform and the passes --------------------------------------------------------
_KERNEL_LABELS = "ijklmn"
_TILE_LABELS = "abdefh"


@lru_cache(maxsize=64)
def _matrices(tiles, kernel, dtype):
    """Per axis: ``BT`` (n, n) and ``AT`` (m, n) in ``dtype``, ``G`` (n, r) in float64."""
    found = [transforms(m, r) for m, r in zip(tiles, kernel)]
    return (tuple(t.BT.astype(dtype) for t in found), tuple(t.AT.astype(dtype) for t in found),
            tuple(t.G for t in found))


def kernel_transform(xp, weight, spec, dtype):
    """U = G g G^T on the transformed axes (``"g o c i j, a i, b j -> a b g o c"``), the
    other axes' taps kept after the channels; computed in float64 (G holds 1/6,
    1/24...) and rounded once to ``dtype``.  Shape: (tile positions x groups, outputs
    per group, inputs per group x taps).  The transformed kernel axes are moved to the
    front once, then each is one planned pass ``"p a i, p i q -> p a q"``.

    >>> u = kernel_transform(np, np.ones((2, 1, 3, 3)), Spec.of((3, 3), ((0, 0),) * 2),
    ...                      np.float32)
    >>> u.shape, u.dtype
    ((36, 2, 1), dtype('float32'))
    """
    d, groups = len(spec.kernel), spec.groups
    outs, per_group = weight.shape[:2]
    wino = [k for k in range(d) if spec.tiles[k] > 1]
    direct = [k for k in range(d) if spec.tiles[k] == 1]
    wide = np.result_type(weight.dtype, np.float64)
    grid = weight.reshape((outs, per_group) + tuple(spec.kernel)).astype(wide, copy=False)
    front = xp.ascontiguousarray(grid.transpose([2 + k for k in wino] + [0, 1]
                                                + [2 + k for k in direct]))
    gs = _matrices(spec.tiles, spec.kernel, np.dtype(dtype))[2]
    u = _lead_passes(xp, front, [xp.asarray(gs[k]) for k in wino])
    a = prod(spec.tiles[k] + spec.kernel[k] - 1 for k in wino)
    return xp.ascontiguousarray(
        u.reshape(a * groups, outs // groups, -1).astype(dtype, copy=False))


def _lead_passes(xp, array, mats):
    """``mats[k]`` (out, in) applied along the k-th leading axis of ``array``, one planned
    einsum each (small arrays: kernels and their gradients)."""
    done = ()
    for k, mat in enumerate(mats):
        p, rest = prod(done), array.shape[len(done) + 1:]
        wide = xp.broadcast_to(mat.astype(array.dtype, copy=False), (p,) + mat.shape)
        array = einsum("p a i, p i q -> p a q", wide, array.reshape(p, mat.shape[1], -1))
        done += (mat.shape[0],)
        array = array.reshape(done + rest)
    return array


def winograd_conv(xp, x, weight, spec, u=None):
    """The convolution of batched ``x`` (unpadded; stride 1) with ``weight`` (out, in /
    groups, kernel...) by Winograd per ``spec``; ``u``: the kernel transform
    (:func:`kernel_transform`), made here when not given.

    >>> y = winograd_conv(np, np.ones((1, 1, 5)), np.ones((1, 1, 3)), Spec.of((3,), ((1, 1),)))
    >>> y.round(12).tolist()
    [[[2.0, 3.0, 3.0, 3.0, 2.0]]]
    """
    compute, result = policy((x.dtype, weight.dtype), True)
    lay = Layout.of(tuple(x.shape), weight.shape[0], spec)
    out = xp.empty((x.shape[0], weight.shape[0]) + lay.out, result)
    if out.size == 0:
        return out
    if u is None:
        u = kernel_transform(xp, weight, spec, np.dtype(compute))
    return Tiled(xp, x, u, lay, out).run()


# -- gradients ----------------------------------------------------------------------------------
def input_grad(xp, grad, weight, spec):
    """d(loss)/d(x) of the convolution, given the output's: the same Winograd convolution
    of the output gradient with the flipped kernel, channels swapped per group, padded
    by ``r - 1 - p`` (a negative pad crops the gradient instead).

    >>> g = input_grad(np, np.ones((1, 1, 3)), np.array([[[1., 2., 3.]]]),
    ...                Spec.of((3,), ((0, 0),)))
    >>> g.round(12).tolist()
    [[[1.0, 3.0, 6.0, 5.0, 3.0]]]
    """
    d, groups = len(spec.kernel), spec.groups
    outs, per_group = weight.shape[:2]
    flipped = weight.reshape((groups, outs // groups, per_group) + tuple(spec.kernel))[
        (Ellipsis,) + (slice(None, None, -1),) * d]
    flipped = flipped.swapaxes(1, 2).reshape((groups * per_group, outs // groups)
                                             + tuple(spec.kernel))
    pairs, cut = [], []
    for (before, after), r, size in zip(spec.pairs, spec.kernel, grad.shape[2:]):
        before, after = r - 1 - before, r - 1 - after
        cut.append(slice(max(-before, 0), size - max(-after, 0)))
        pairs.append((max(before, 0), max(after, 0)))
    cropped = grad[(slice(None), slice(None)) + tuple(cut)]
    return winograd_conv(xp, cropped, flipped, spec._replace(pairs=tuple(pairs)))


def weight_grad(xp, x, grad, spec):
    """d(loss)/d(weight) of the convolution of ``x`` (unpadded), given the output's: per
    block ``dU = (A dY A^T) . V^T`` per tile position (one GEMM each, summed in block
    order), then ``dg = G^T dU G``.

    >>> g = weight_grad(np, np.arange(5.).reshape(1, 1, 5), np.ones((1, 1, 3)),
    ...                 Spec.of((3,), ((0, 0),)))
    >>> g.round(12).tolist()
    [[[3.0, 6.0, 9.0]]]
    """
    compute, result = policy((x.dtype, grad.dtype), True)
    lay = Layout.of(tuple(x.shape), grad.shape[1], spec)
    groups, taps = spec.groups, lay.taps()
    shape = (prod(lay.a) * groups, lay.outs // groups, lay.channels // groups * taps)
    if x.shape[0] == 0:
        total = xp.zeros(shape, compute)
    else:
        total = WeightGrad(xp, x, grad, lay, np.dtype(compute)).run(shape)
    return _untransform(xp, total, lay, grad.shape[1], x.shape[1] // groups).astype(
        result, copy=False)


def _untransform(xp, total, lay, outs, per_group):
    """``G^T dU G`` on the transformed axes (float64), as a weight (out, in / groups, kernel)."""
    spec, d = lay.spec, len(lay.spec.kernel)
    grid = total.reshape(lay.a + (outs, per_group) + tuple(spec.kernel[k] for k in lay.direct))
    gs = _matrices(spec.tiles, spec.kernel, np.dtype(np.float64))[2]
    wide = grid.astype(np.result_type(grid.dtype, np.float64), copy=False)
    back = _lead_passes(xp, wide, [xp.asarray(np.ascontiguousarray(gs[k].T)) for k in lay.wino])
    n = len(lay.wino)
    where = {k: i for i, k in enumerate(lay.wino)}
    where.update({k: n + 2 + i for i, k in enumerate(lay.direct)})
    return back.transpose((n, n + 1) + tuple(where[k] for k in range(d)))


class WeightGrad:
    """The weight gradient over blocks: per block the input side of the forward (V) and
    the output gradient's tiles through ``A`` (dM), met by one GEMM per tile position."""

    def __init__(self, xp, x, grad, lay, dtype):
        self.xp, self.x, self.lay = xp, x, lay
        spec = lay.spec
        bt, at, _ = _matrices(spec.tiles, spec.kernel, dtype)
        self.bt = tuple(xp.asarray(bt[k]) for k in lay.wino)
        self.a = tuple(xp.asarray(np.ascontiguousarray(at[k].T)) for k in lay.wino)
        self.found, self.pooled, self.most, self.source = _blocking(xp, x, lay, dtype)
        self.dtype = dtype
        self.grad = out_view(xp, grad, lay, writeable=False)
        self.ragged = any(lay.out[k] != spec.tiles[k] * lay.counts[k] for k in lay.wino)

    def views(self, nb, rows):
        """This thread's views for a block shape: the input side in two buffers, the
        output gradient's side in the other two, and the GEMM's plan."""
        space = workspace(self.xp, self.dtype, 4, self.most)
        found = space.views.get(("weight", self.lay, nb, rows))
        if found is None:
            xp, lay = self.xp, self.lay
            one, two, three, four = space.buffers
            tiles, ins, im2col, v, _, _ = input_views(xp, lay, nb, rows, one, two, self.bt)
            ms = tuple(lay.spec.tiles[k] for k in lay.wino)
            ext = (rows,) + lay.counts[1:]
            z = three[:prod(ms) * lay.outs * nb * prod(ext)].reshape(ms + (lay.outs, nb) + ext)
            grads, dm, _ = _pass_views(xp, three, four, self.a, ms, lay.outs * v.shape[2])
            dm = dm[:v.shape[0] * lay.outs // lay.spec.groups * v.shape[2]].reshape(
                v.shape[0], -1, v.shape[2])
            gemm = plan("x o r, x c r -> x o c", dm, v)
            found = space.views["weight", self.lay, nb, rows] = (tiles, ins, im2col, v, z,
                                                                 grads, dm, gemm)
        return found

    def run(self, shape):
        """The summed dU of every block (in block order), shape (positions, out, in x taps)."""
        parts = (map_chunks(self.block, self.found, self.xp) if self.pooled
                 else [self.block(b) for b in self.found])
        total = parts[0]
        for part in parts[1:]:
            total = total + part
        return total

    def block(self, block):
        """dU of one block."""
        xp = self.xp
        (b0, b1), (t0, t1) = block
        tiles, ins, im2col, v, z, grads, dm, gemm = self.views(b1 - b0, t1 - t0)
        _gather(xp, tiles, self.source(b0, b1, t0, t1), len(self.lay.wino) + 2)
        for run, mat, src, dst in ins:
            run(mat, src, out=dst)
        if im2col:
            xp.copyto(im2col[1], im2col[0])
        if self.ragged:
            z[...] = 0
        n_lead = len(self.lay.wino) + 1
        source = self.grad[(slice(None),) * n_lead + (slice(b0, b1), slice(t0, t1))]
        for piece in _pieces(self.lay, t0, t1):
            xp.copyto(z[piece], source[piece])
        for run, mat, src, dst in grads:
            run(mat, src, out=dst)
        return gemm(dm, v)
