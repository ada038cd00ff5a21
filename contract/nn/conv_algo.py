"""Which algorithm runs a convolution: im2col, Winograd or FFT, by a calibrated cost model.

Every algorithm is einsums; they differ in how much work and memory traffic they
need for a given call shape:

- **im2col** (:mod:`contract.nn.conv_tiles`): any stride, dilation, groups, dtype;
  ``prod(kernel)`` multiplies per output and input channel, in big GEMMs.
- **winograd** (:mod:`contract.nn.winograd`): stride 1, dilation 1, kernels of 3 or 5
  (1 on some axes); 2.25x-4x fewer multiplies, but small GEMMs and memory passes for
  the transforms.  Per axis a tile of 4 or 2, or 1 (the axis stays im2col).
- **fft** (:mod:`contract.nn.fft_conv`): stride 1, real floats; cost independent of
  the kernel size, so it wins for large kernels with many channels.

The model (:func:`estimate`) prices each candidate as GEMM FLOPs at a rate that
depends on the GEMM's inner size, elements moved by copies and small transform passes,
FFT work, and a fixed cost per call and per block.  Those rates are measured once per
machine by a short timing (about 0.1 s, single-threaded; :func:`calibrate`) and kept
in ``$CONTRACT_CACHE_DIR`` (default ``$XDG_CACHE_HOME/contract`` or ``~/.cache/contract``)
as ``conv_cost.json``.  ``CONTRACT_CONV_ALGO=im2col|winograd|fft`` forces an algorithm
where it applies (elsewhere im2col runs).  float16 never gets F(4, 3) tiles (their
rounding error is near float16's resolution), and F(4, 3) in float16 is refused.

In inference (no gradient needed for the weight) Winograd's kernel transform is
cached per weight: keyed by the weight array, reused while its values are unchanged.

>>> choose((32, 16, 64, 64), (32, 16, 3, 3), (1, 1), (1, 1), ((1, 1), (1, 1)), 1,
...        np.dtype(np.float32), rates=EXAMPLE_RATES).name
'winograd'
>>> choose((1, 1, 5, 5), (1, 1, 3, 3), (1, 1), (1, 1), ((0, 0), (0, 0)), 1,
...        np.dtype(np.float64), rates=EXAMPLE_RATES).name
'im2col'
"""
import json
import os
import platform
import threading
import time
from functools import lru_cache
from itertools import product
from math import log2, prod
from typing import NamedTuple, Optional

import numpy as np

from contract.errors import ContractError
from contract.nn import fft_conv, winograd
from contract.nn.windows import as_tuple, output_shape, pad_pairs
from contract._util.parallel import single_threaded_blas
from contract.engine.api import einsum
from contract.engine.api import plan
from contract.nn import conv_tiles
from contract.dtypes import policy

ALGORITHMS = ("im2col", "winograd", "fft")
CACHE_NAME = "conv_cost.json"
CALIBRATION_VERSION = 1
MIN_SECONDS = 5e-4      # below this much im2col work the others' fixed costs never pay
WEIGHT_GRAD_MARGIN = 1.25   # the model prices Winograd's weight gradient 15-40% low (its
                            # blocks hold four scratch buffers, not two): it must win by this

# Rates of the 2-core development VM (seconds per unit), for examples and as a fallback.
EXAMPLE_RATES = {"gemm_k16": 1.2e-11, "gemm_k64": 1.05e-11, "gemm_k256": 1.0e-11,
                 "copy": 1.5e-10, "gather": 4.5e-10, "pass": 2.3e-10,
                 "fft": 1.5e-10, "spectral": 3.0e-10, "call": 7.0e-6,
                 "im2col_call": 4.5e-5, "winograd_call": 1.8e-4, "fft_call": 1.6e-4}


class Choice(NamedTuple):
    """The algorithm picked for a call, its spec (Winograd or FFT), and the model's
    estimate of its time in seconds."""

    name: str
    spec: object = None
    seconds: float = 0.0


# -- the model --------------------------------------------------------------------------------
def _gemm_rate(rates, k):
    """Seconds per GEMM FLOP for inner size ``k``, interpolated in log k between 16 and 256."""
    points = ((16, rates["gemm_k16"]), (64, rates["gemm_k64"]), (256, rates["gemm_k256"]))
    if k <= 16:
        return points[0][1] * (16 / max(k, 1)) ** 0.5
    for (k0, r0), (k1, r1) in zip(points, points[1:]):
        if k <= k1:
            f = (log2(k) - log2(k0)) / (log2(k1) - log2(k0))
            return r0 + f * (r1 - r0)
    return points[-1][1]


def im2col_seconds(rates, x_shape, w_shape, out, stride, groups):
    """The im2col model: the window copy (a gather once strided) and the GEMMs."""
    n, c = x_shape[:2]
    o, per_group = w_shape[:2]
    taps, positions = prod(w_shape[2:]), n * prod(out)
    flops = 2.0 * o * per_group * taps * positions
    copy = c * taps * positions * (rates["copy"] if all(s == 1 for s in stride)
                                   else rates["gather"])
    return rates["im2col_call"] + copy + flops * _gemm_rate(rates, per_group * taps)


def winograd_seconds(rates, x_shape, w_shape, spec, weight_grad=False):
    """The Winograd model: gather, transform passes, im2col of untransformed axes, the
    GEMMs per tile position, the passes back, the scatter, and a fixed cost per block.
    With ``weight_grad``: the weight gradient's pass instead (the same input side, the
    output gradient's tiles through ``A``, GEMMs that contract the tiles)."""
    lay = winograd.Layout.of(tuple(x_shape), w_shape[0], spec)
    n, c, o = x_shape[0], lay.channels, lay.outs
    a, m = prod(lay.a), prod(spec.tiles[k] for k in lay.wino)
    tiles = n * prod(lay.counts)
    grid = n * prod(lay.grid(lay.counts[0]))
    strided = rates["gather"] if (len(spec.kernel) - 1) in lay.wino else rates["copy"]
    moved = a * c * grid * strided + m * o * tiles * strided
    if tuple(x_shape[2:]) != lay.padded:
        moved += n * c * prod(lay.padded) * rates["copy"]
    passes = len(lay.wino) * a * c * grid
    for k in range(len(lay.a)):
        shrunk = prod(spec.tiles[lay.wino[i]] for i in range(k + 1)) * prod(lay.a[k + 1:])
        grown = prod(lay.a[:k + 1]) * prod(spec.tiles[lay.wino[i]]
                                             for i in range(k + 1, len(lay.a)))
        passes += (grown if weight_grad else shrunk) * o * tiles
    moved += passes * rates["pass"]
    if lay.direct:
        moved += a * c * lay.taps() * tiles * rates["copy"]
    per_group = c // spec.groups * lay.taps()
    flops = 2.0 * a * o * per_group * tiles
    per_image = winograd._stage_size(lay, 1, lay.counts[0]) * 4
    count = max(1, -(-n * per_image // winograd.BLOCK_BYTES))
    calls = count * (2 * len(lay.wino) + 3 + m)
    gemm = _gemm_rate(rates, tiles / count if weight_grad else per_group)
    return rates["winograd_call"] + calls * rates["call"] + moved + flops * gemm


def fft_seconds(rates, x_shape, w_shape, spec):
    """The FFT model: transforms of inputs, outputs and kernels, and the product."""
    fft, product_ops = fft_conv.fft_flops(x_shape[0], x_shape[1], w_shape[0], x_shape[2:], spec)
    return rates["fft_call"] + fft * rates["fft"] + product_ops * rates["spectral"]


def candidates(kernel, dtype):
    """The Winograd tile choices for ``kernel``: per axis the offered tiles (float16:
    at most 2), every combination with some axis transformed.

    >>> candidates((3, 3), np.dtype(np.float32))[:3]
    [(1, 2), (1, 4), (2, 1)]
    """
    limit = 2 if np.dtype(dtype).itemsize <= 2 else 8
    per_axis = [[m for m in winograd.TILES[r] if m <= limit] for r in kernel]
    return [t for t in product(*per_axis) if any(m > 1 for m in t)]


def choose(x_shape, w_shape, stride, dilation, pairs, groups, dtype, rates=None,
           forced=None, priced=True):
    """The cheapest applicable algorithm for a call (``x_shape`` batched), or the one
    ``forced`` (default: ``$CONTRACT_CONV_ALGO``) where it applies.  With ``priced=False``
    the candidates (unpriced) instead."""
    forced = os.environ.get("CONTRACT_CONV_ALGO", "") if forced is None else forced
    if forced and forced not in ALGORITHMS:
        raise ContractError(f"CONTRACT_CONV_ALGO must be one of {', '.join(ALGORITHMS)}, "
                            f"got {forced!r}")
    dtype, kernel = np.dtype(dtype), tuple(w_shape[2:])
    out = _output(x_shape, kernel, stride, dilation, pairs)
    found = []
    if not (forced == "im2col" or dtype.kind not in "fc" or 0 in x_shape or min(out) < 1):
        if winograd.applies(kernel, stride, dilation):
            found += [Choice("winograd", winograd.Spec.of(kernel, pairs, groups, tiles))
                      for tiles in candidates(kernel, dtype)]
        if fft_conv.applies(stride, dtype):
            found.append(Choice("fft", fft_conv.FFTSpec.of(kernel, pairs, dilation, groups)))
        found = [c for c in found if c.name == forced] if forced else found
    if not (forced and found):
        found.append(Choice("im2col"))
    if not priced:
        return found
    if len(found) == 1:
        return found[0]
    if forced:
        return _priced(found, x_shape, w_shape, rates)[0]
    priced = _priced(found, x_shape, w_shape, rates, stride, out, groups)
    floor = next(c for c in priced if c.name == "im2col")
    return floor if floor.seconds < MIN_SECONDS else priced[0]


def _priced(found, x_shape, w_shape, rates, stride=None, out=None, groups=1):
    """``found`` with their estimates, cheapest first."""
    rates = rates or current_rates()
    priced = []
    for c in found:
        if c.name == "winograd":
            seconds = winograd_seconds(rates, x_shape, w_shape, c.spec)
        elif c.name == "fft":
            seconds = fft_seconds(rates, x_shape, w_shape, c.spec)
        else:
            seconds = im2col_seconds(rates, x_shape, w_shape, out, stride, groups)
        priced.append(c._replace(seconds=seconds))
    return sorted(priced, key=lambda c: c.seconds)


def estimate(x_shape, w_shape, stride=1, padding=0, dilation=1, groups=1,
             dtype=np.float32, rates=None):
    """The model's seconds per algorithm (and Winograd tile choice) for a call, cheapest
    first: ``[(name, spec, seconds), ...]``.

    >>> [c.name for c in estimate((1, 1, 5, 5), (1, 1, 3, 3), rates=EXAMPLE_RATES)][:1]
    ['im2col']
    """
    d = len(w_shape) - 2
    stride, dilation = as_tuple(stride, d, "stride"), as_tuple(dilation, d, "dilation")
    pairs = pad_pairs(padding, d)
    found = choose(x_shape, w_shape, stride, dilation, pairs, groups, dtype, forced="",
                   priced=False)
    out = _output(x_shape, tuple(w_shape[2:]), stride, dilation, pairs)
    return _priced(found, x_shape, w_shape, rates, stride, out, groups)


def _output(x_shape, kernel, stride, dilation, pairs):
    """The output's spatial shape (torch's floor rule over the padded input), or zeros
    where the window does not fit (then only im2col, which says why, applies)."""
    padded = tuple(s + a + b for s, (a, b) in zip(x_shape[2:], pairs))
    if any(n < d * (k - 1) + 1 for n, k, d in zip(padded, kernel, dilation)):
        return (0,) * len(kernel)
    return output_shape(padded, kernel, stride, dilation)


# -- calibration ------------------------------------------------------------------------------
_RATES = {}
_LOCK = threading.Lock()


def cache_dir() -> str:
    """Where the calibration is kept: ``$CONTRACT_CACHE_DIR``, else ``$XDG_CACHE_HOME/contract``,
    else ``~/.cache/contract``.

    >>> cache_dir().endswith("contract") or "CONTRACT_CACHE_DIR" in os.environ
    True
    """
    found = os.environ.get("CONTRACT_CACHE_DIR")
    if found:
        return found
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "contract")


@lru_cache(maxsize=1)
def machine_key() -> str:
    """What the calibration depends on: CPU model, core count, NumPy and its BLAS."""
    try:
        blas = np.show_config(mode="dicts")["Build Dependencies"]["blas"]["name"]
    except Exception:           # older NumPy, or no such entry
        blas = "?"
    return "|".join([platform.machine(), _cpu_model(), str(os.cpu_count()), np.__version__,
                     str(blas), f"v{CALIBRATION_VERSION}"])


def _cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "?"


def current_rates() -> dict:
    """This machine's rates: from memory, else from the disk cache, else measured now
    (and written to the cache when its folder is writable)."""
    key = machine_key()
    found = _RATES.get(key)
    if found is not None:
        return found
    with _LOCK:
        if key not in _RATES:
            _RATES[key] = _load(key) or _store(key, calibrate())
        return _RATES[key]


def _load(key):
    path = os.path.join(cache_dir(), CACHE_NAME)
    try:
        with open(path) as f:
            found = json.load(f).get(key)
    except (OSError, ValueError, AttributeError):
        return None
    if isinstance(found, dict) and set(EXAMPLE_RATES) <= set(found):
        return {k: float(found[k]) for k in EXAMPLE_RATES}
    return None


def _store(key, rates):
    folder = cache_dir()
    path = os.path.join(folder, CACHE_NAME)
    try:
        os.makedirs(folder, exist_ok=True)
        try:
            with open(path) as f:
                kept = json.load(f)
        except (OSError, ValueError):
            kept = {}
        kept = kept if isinstance(kept, dict) else {}
        kept[key] = rates
        scratch = f"{path}.{os.getpid()}.tmp"
        with open(scratch, "w") as f:
            json.dump(kept, f, indent=1, sort_keys=True)
        os.replace(scratch, path)
    except OSError:             # a read-only home: keep the rates in memory only
        pass
    return rates


def _best(fn, repeats=3):
    """The fastest of ``repeats`` timed calls of ``fn`` (after one warm-up), in seconds."""
    fn()
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def calibrate() -> dict:
    """Measure this machine's rates (single-threaded BLAS, about 0.1 s)."""
    rng = np.random.default_rng(0)
    rates = {}
    with single_threaded_blas():
        for k in (16, 64, 256):         # a batch of GEMMs as a block runs them
            a = rng.random((6, 32, k), dtype=np.float32)
            b = rng.random((6, k, 1024), dtype=np.float32)
            c = np.empty((6, 32, 1024), np.float32)
            rates[f"gemm_k{k}"] = _best(lambda: np.matmul(a, b, out=c)) / (2.0 * c.size * k)
        _calibrate_memory(rng, rates)
        _calibrate_calls(rng, rates)
    return rates


def _calibrate_memory(rng, rates):
    """Copy, strided gather, transform pass, FFT and spectral product rates."""
    x = rng.random((16, 66, 66), dtype=np.float32)
    rows = np.empty((16, 64, 66), np.float32)
    rates["copy"] = _best(lambda: np.copyto(rows, x[:, 1:65])) / rows.size
    view = np.lib.stride_tricks.as_strided(x, (6, 6, 16, 16, 16),
                                           tuple(s * 4 for s in (66, 1, 66 * 66, 4 * 66, 4)))
    tiles = np.empty(view.shape, np.float32)
    rates["gather"] = _best(lambda: np.copyto(tiles, view)) / tiles.size
    mat, flat = rng.random((6, 6), dtype=np.float32), tiles.reshape(6, -1)
    done = np.empty_like(flat)
    rates["pass"] = _best(lambda: np.matmul(mat, flat, out=done)) / done.size
    planes = rng.random((16, 64, 64), dtype=np.float32)
    rates["fft"] = _best(lambda: np.fft.rfft2(planes)) / (16 * 5.0 * 4096 * 12 / 2)
    spec_x = rng.random((2, 1, 8, 2048)).astype(np.complex64)
    spec_w = rng.random((1, 8, 8, 2048)).astype(np.complex64)
    rates["spectral"] = _best(lambda: einsum("n g c f, g o c f -> n g o f", spec_x, spec_w)
                              ) / (8.0 * 2 * 8 * 8 * 2048)


def _calibrate_calls(rng, rates):
    """Fixed costs: a planned call, and a tiny convolution per algorithm."""
    one = np.ones((1, 1), np.float32)
    tiny = plan("a i, i q -> a q", one, one)
    rates["call"] = _best(lambda: tiny(one, one, out=np.empty((1, 1), np.float32)), 20)
    x, w = rng.random((1, 1, 8, 8), dtype=np.float32), rng.random((1, 1, 3, 3), dtype=np.float32)
    pairs = ((1, 1), (1, 1))
    geo = conv_tiles.Geometry((3, 3), (1, 1), pairs, (1, 1), 1)
    rates["im2col_call"] = _best(lambda: conv_tiles.forward(np, x, w, geo), 10)
    spec = winograd.Spec.of((3, 3), pairs, 1, (2, 2))
    rates["winograd_call"] = _best(lambda: winograd.winograd_conv(np, x, w, spec), 10)
    spec = fft_conv.FFTSpec.of((3, 3), pairs, (1, 1), 1)
    rates["fft_call"] = _best(lambda: fft_conv.fft_conv(np, x, w, spec), 10)


# -- running the chosen algorithm ---------------------------------------------------------------
class _KernelCache:
    """Winograd kernel transforms of weights that need no gradient, reused while the
    weight's values are unchanged (checked by comparing with a kept copy: cheaper than
    the transform, and safe against any in-place write)."""

    def __init__(self, size=16):
        self.size, self.found, self.lock = size, {}, threading.Lock()

    def get(self, xp, weight, spec, dtype):
        key = (id(weight), tuple(weight.shape), str(weight.dtype), spec, str(dtype))
        with self.lock:
            entry = self.found.get(key)
        if entry is not None and entry[0]() is weight and bool(xp.array_equal(entry[1], weight)):
            return entry[2]
        u = winograd.kernel_transform(xp, weight, spec, dtype)
        import weakref
        try:
            ref = weakref.ref(weight)
        except TypeError:       # an array type without weak references: not cached
            return u
        with self.lock:
            if len(self.found) >= self.size:
                self.found.pop(next(iter(self.found)))
            self.found[key] = (ref, weight.copy(), u)
        return u

    def clear(self):
        with self.lock:
            self.found.clear()


KERNELS = _KernelCache()


def _compute_dtype(*dtypes):
    return np.dtype(policy(tuple(dtypes), True)[0])


def forward(xp, x, weight, choice, cached=False):
    """The convolution of batched ``x`` by ``choice`` (not im2col); with ``cached``,
    Winograd reuses the weight's kernel transform (:data:`KERNELS`).

    >>> c = Choice("winograd", winograd.Spec.of((3,), ((1, 1),)))
    >>> forward(np, np.ones((1, 1, 4)), np.ones((1, 1, 3)), c).round(9).tolist()
    [[[2.0, 3.0, 3.0, 2.0]]]
    """
    if choice.name == "fft":
        return fft_conv.fft_conv(xp, x, weight, choice.spec)
    u = None
    if cached:
        u = KERNELS.get(xp, weight, choice.spec, _compute_dtype(x.dtype, weight.dtype))
    return winograd.winograd_conv(xp, x, weight, choice.spec, u)


def input_grad(xp, grad, weight, x, geo):
    """d(loss)/d(x) of the convolution (``geo``: its Geometry), by the algorithm picked for
    that pass (:func:`pick_input_grad`): im2col's col2im, or Winograd / FFT.

    >>> from contract.nn.conv_tiles import Geometry
    >>> geo = Geometry((3,), (1,), ((1, 1),), (1,), 1)
    >>> input_grad(np, np.ones((1, 1, 4)), np.ones((1, 1, 3)), np.ones((1, 1, 4)),
    ...            geo).round(9).tolist()
    [[[2.0, 3.0, 3.0, 2.0]]]
    """
    choice = pick_input_grad(xp, grad, weight, geo)
    if choice is None:
        return conv_tiles.input_grad(xp, grad, weight, tuple(x.shape), geo)
    if choice.name == "fft":
        return fft_conv.fft_grads(xp, x, grad, weight, choice.spec, need_w=False)[0]
    return winograd.input_grad(xp, grad, weight, choice.spec)


def weight_grad(xp, x, grad, weight, geo):
    """d(loss)/d(weight) of the convolution, by the algorithm picked for that pass
    (:func:`pick_weight_grad`).

    >>> from contract.nn.conv_tiles import Geometry
    >>> geo = Geometry((3,), (1,), ((1, 1),), (1,), 1)
    >>> weight_grad(np, np.ones((1, 1, 4)), np.ones((1, 1, 4)), np.ones((1, 1, 3)),
    ...             geo).round(9).tolist()
    [[[3.0, 4.0, 3.0]]]
    """
    choice = pick_weight_grad(xp, x, grad, weight, geo)
    if choice is None:
        return conv_tiles.weight_grad(xp, x, grad, geo)
    if choice.name == "fft":
        return fft_conv.fft_grads(xp, x, grad, weight, choice.spec, need_x=False)[1]
    return winograd.weight_grad(xp, x, grad, choice.spec)


def pick(xp, x, weight, geo) -> Optional[Choice]:
    """The algorithm for the forward of a call of :mod:`contract.nn.conv` (``geo``: its
    Geometry), or None for im2col.  The model picks on NumPy; other array types run
    im2col unless ``CONTRACT_CONV_ALGO`` forces an algorithm.  Choices are memoised per
    call shape (pricing takes ~0.5 ms).

    >>> from contract.nn.conv_tiles import Geometry
    >>> geo = Geometry((2, 2), (2, 2), ((0, 0), (0, 0)), (1, 1), 1)
    >>> pick(np, np.ones((1, 1, 6, 6)), np.ones((1, 1, 2, 2)), geo) is None   # stride 2
    True
    """
    def made(forced, dtype):
        return choose(tuple(x.shape), tuple(weight.shape), geo.stride, geo.dilation,
                      geo.pairs, geo.groups, dtype, forced=forced)
    return _memo("forward", xp, x, weight, geo, made)


def pick_input_grad(xp, grad, weight, geo) -> Optional[Choice]:
    """The algorithm for d(loss)/d(x): priced as the convolution it is (the output
    gradient with the flipped kernel, channels swapped, padding ``r - 1 - p``); the
    returned spec keeps the forward's padding (:func:`winograd.input_grad` derives it)."""
    def made(forced, dtype):
        outs, per_group = weight.shape[:2]
        flipped = (per_group * geo.groups, outs // geo.groups) + tuple(weight.shape[2:])
        pairs = tuple((max(r - 1 - a, 0), max(r - 1 - b, 0))
                      for r, (a, b) in zip(weight.shape[2:], geo.pairs))
        found = choose(tuple(grad.shape), flipped, geo.stride, geo.dilation, pairs, geo.groups,
                       dtype, forced=forced)
        if found.name == "winograd":
            return found._replace(spec=found.spec._replace(pairs=geo.pairs))
        if found.name == "fft":
            return found._replace(spec=fft_conv.FFTSpec.of(geo.kernel, geo.pairs, geo.dilation,
                                                           geo.groups))
        return found
    return _memo("input", xp, grad, weight, geo, made)


def pick_weight_grad(xp, x, grad, weight, geo) -> Optional[Choice]:
    """The algorithm for d(loss)/d(weight): Winograd tiles priced for that pass (its GEMMs
    contract the tiles), against im2col and the FFT."""
    def made(forced, dtype):
        forward = choose(tuple(x.shape), tuple(weight.shape), geo.stride, geo.dilation,
                         geo.pairs, geo.groups, dtype, forced=forced, priced=False)
        if len(forward) == 1:
            return forward[0]
        rates, priced = current_rates(), []
        for c in forward:
            if c.name == "winograd":
                c = c._replace(seconds=winograd_seconds(rates, x.shape, weight.shape, c.spec,
                                                        weight_grad=True))
            elif c.name == "fft":
                c = c._replace(seconds=fft_seconds(rates, x.shape, weight.shape, c.spec))
            else:
                out = tuple(grad.shape[2:])
                c = c._replace(seconds=im2col_seconds(rates, x.shape, weight.shape, out,
                                                      geo.stride, geo.groups))
            priced.append(c)
        best = min(priced, key=lambda c: c.seconds)
        floor = next((c for c in priced if c.name == "im2col"), None)
        if floor is not None and (floor.seconds < MIN_SECONDS
                                  or best.seconds * WEIGHT_GRAD_MARGIN > floor.seconds):
            return floor
        return best
    return _memo("weight", xp, x, weight, geo, made)


def _memo(kind, xp, x, weight, geo, made):
    forced = os.environ.get("CONTRACT_CONV_ALGO", "")
    if not forced and getattr(xp, "__name__", "") != "numpy":
        return None
    key = (kind, tuple(x.shape), tuple(weight.shape), x.dtype.str, weight.dtype.str, geo,
           forced)
    found = _PICKED.get(key)
    if found is None:
        found = made(forced, _compute_dtype(x.dtype, weight.dtype))
        if len(_PICKED) >= 512:
            _PICKED.clear()
        _PICKED[key] = found
    return None if found.name == "im2col" else found


_PICKED = {}        # choices by pass and call shape
