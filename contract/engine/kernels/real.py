"""Compile plan steps of the real (+, *) semiring into small kernel closures.

A pairwise step is classified by its labels: *batch* (both operands, kept),
*contracted* (both, summed), *left* / *right* (one operand, kept); labels
held by one operand only and not kept are summed first.  A step with a
contracted label is lowered to one ``matmul`` (BLAS) over
(batch, M, K) @ (batch, K, N) views, choosing the axis orders that avoid
copies; a step without one is a broadcast multiply; batched dot products go
to the backend einsum.  Every closure has the signature ``fn(xp, *arrays)``.

>>> import numpy as np
>>> kernel = compile_pair((0, 1), (1, 2), keep={0, 2}, sizes=(2, 3, 4), want=(0, 2))
>>> kernel.name, kernel.out, kernel.copies
('gemm', (0, 2), 0)
>>> kernel.fn(np, np.ones((2, 3)), np.ones((3, 4))).shape
(2, 4)
"""
from dataclasses import dataclass
from math import prod
from typing import Callable, Tuple

import numpy as np

from contract.errors import ShapeError

LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
MAX_DIMS = 64        # the most dimensions a NumPy (or CuPy) array may have


@dataclass(frozen=True)
class Kernel:
    """A compiled step: its kernel name, closure and output label order."""

    name: str
    fn: Callable
    out: Tuple[int, ...]
    copies: int = 0      # elements the kernel must copy to reach BLAS layout (estimate)
    writes: bool = False  # fn takes ``out=``: an array shaped as ``out``'s labels to fill


def reshape_view(xp, a, shape):
    """``a.reshape(shape)`` when that is a view of ``a`` (writes reach ``a``), else None.

    >>> import numpy as np
    >>> a = np.zeros((4, 4))
    >>> reshape_view(np, a[:2], (8,)).shape, reshape_view(np, a[:, :2], (8,))
    ((8,), None)
    """
    if a.flags.c_contiguous:
        return a.reshape(shape)
    view = a.reshape(shape)
    return view if xp.may_share_memory(view, a) else None


def matmul_into(xp, a, b, out, shape):
    """``matmul(a, b)`` (result ``shape``) written into ``out``, itself shaped as a step's
    output labels: straight from BLAS when ``out`` reshapes to ``shape`` as a view whose
    rows are contiguous (NumPy's matmul leaves BLAS for any other output layout), else
    through a temporary."""
    target = reshape_view(xp, out, shape)
    item = out.dtype.itemsize
    if (target is None or target.strides[-1] != item
            or (len(shape) > 1 and target.strides[-2] < shape[-1] * item)):
        out[...] = xp.matmul(a, b).reshape(out.shape)
    else:
        xp.matmul(a, b, out=target)
    return out


def einsum_text(terms, out) -> str:
    """Relabel integer label tuples into a backend einsum string (<= 52 labels)."""
    labels = list(dict.fromkeys(lab for term in terms for lab in term))
    if len(labels) > len(LETTERS):
        raise ShapeError(f"one einsum step would need {len(labels)} distinct labels; the backend "
                         f"einsum takes at most {len(LETTERS)} (use a path optimizer, not "
                         f"optimize=False, so steps stay small)")
    letter = {lab: LETTERS[k] for k, lab in enumerate(labels)}
    return ",".join("".join(letter[x] for x in t) for t in terms) + "->" + "".join(
        letter[x] for x in out)


def _perm(current, wanted):
    perm = tuple(current.index(lab) for lab in wanted)
    return None if perm == tuple(range(len(perm))) else perm


def _sum_first(labels, other, keep):
    """Axes of one operand to sum before the pair step, and the labels left."""
    axes = tuple(k for k, lab in enumerate(labels) if lab not in other and lab not in keep)
    rest = tuple(lab for lab in labels if lab in other or lab in keep)
    return axes, rest


SMALL_AXIS = 8                 # summed axes up to this size are added as strided slices ...
UNROLL_MIN_ELEMENTS = 1 << 14  # ... in operands at least this large (else Python overhead wins)


def compile_single(labels, out, sizes=None) -> Kernel:
    """Sum the labels not in ``out``, then order axes as ``out``.

    With ``sizes``, summed axes of at most ``SMALL_AXIS`` elements are added
    as strided slices (``a[..., 0, ...] + a[..., 1, ...]``): NumPy's ``sum``
    over short, interleaved axes (a 2x2 sum-pool's ``p`` and ``q``) runs a
    tiny inner loop per output element and is many times slower.
    """
    axes, rest = _sum_first(labels, (), set(out))
    perm = _perm(rest, out)
    big_enough = sizes is not None and prod(sizes[x] for x in labels) >= UNROLL_MIN_ELEMENTS
    small = tuple(k for k in axes if big_enough and sizes[labels[k]] <= SMALL_AXIS)
    large = tuple(k for k in axes if k not in small)
    unrolled = _unrolled_sum(small, [sizes[labels[k]] for k in small], large)

    def single(xp, a):
        if large:
            a = _sum(a, large)
        if unrolled is not None:
            a = unrolled(a)
        return a if perm is None else a.transpose(perm)
    return Kernel("sum" if axes else ("transpose" if perm else "view"), single, tuple(out))


def _unrolled_sum(axes, extents, large):
    """Sum ``axes`` (short ones) by adding slices, innermost axis first."""
    if not axes:
        return None
    # positions after the large axes were summed away, last axis first (contiguous reads)
    shifted = sorted(((k - sum(1 for x in large if x < k), n) for k, n in zip(axes, extents)),
                     reverse=True)

    def unrolled(a):
        for pos, n in shifted:    # descending positions: earlier ones do not move
            index = [slice(None)] * a.ndim
            index[pos] = 0
            total = a[tuple(index)]
            for i in range(1, n):
                index[pos] = i
                total = total + a[tuple(index)]
            a = total
        return a
    return unrolled


def _pre(axes):
    if not axes:
        return None
    return lambda a: _sum(a, axes)


def _sum(a, axes):
    """``a.sum(axis=axes)``, a 0-d array where NumPy gives an object array's bare Python int
    (the exact integer path of contract/engine/overflow.py)."""
    total = a.sum(axis=axes)
    return total if hasattr(total, "shape") else np.asarray(total, dtype=object)


def compile_pair(la, lb, keep, sizes, want=None) -> Kernel:
    """Compile one pairwise step; ``keep`` holds labels needed after it.

    Both operand orders are compiled and the one that copies fewer elements
    wins; on a tie, the order whose result is already ``want`` (the final
    output order, if given), then the larger operand first: its free axes
    stay leading, so the labels it is contracted over next rotate to the
    front and later steps read it as a transposed view (opt_einsum's layout).
    """
    kernel = _compile_pair(la, lb, keep, sizes, want)
    swapped = _compile_pair(lb, la, keep, sizes, want)
    size_a, size_b = prod(sizes[x] for x in la), prod(sizes[x] for x in lb)
    first = (kernel.copies, want is not None and kernel.out != tuple(want), size_a < size_b)
    second = (swapped.copies, want is not None and swapped.out != tuple(want), size_b < size_a)
    if second >= first:
        return kernel
    inner = swapped.fn
    return Kernel(swapped.name, lambda xp, a, b, **out: inner(xp, b, a, **out), swapped.out,
                  swapped.copies, swapped.writes)


def _compile_pair(la, lb, keep, sizes, want=None) -> Kernel:
    sum_a, la = _sum_first(la, lb, keep)
    sum_b, lb = _sum_first(lb, la, keep)
    contracted = [lab for lab in la if lab in lb and lab not in keep]
    if not contracted:
        kernel = _compile_mul(la, lb)
    else:
        kernel = _compile_matmul(la, lb, keep, sizes, contracted)
        direct = _broadcast_matmul(la, lb, want, sizes, contracted)
        if direct is not None and direct.copies <= kernel.copies:
            kernel = direct
    pa, pb = _pre(sum_a), _pre(sum_b)
    if pa is None and pb is None:
        return kernel
    inner = kernel.fn

    def summed_first(xp, a, b, **out):
        return inner(xp, a if pa is None else pa(a), b if pb is None else pb(b), **out)
    return Kernel(kernel.name, summed_first, kernel.out, kernel.copies, kernel.writes)


def _compile_mul(la, lb) -> Kernel:
    """No contracted label: a broadcast multiply (outer / Hadamard products)."""
    out = la + tuple(lab for lab in lb if lab not in la)
    in_b = [lab for lab in out if lab in lb]
    perm_b = _perm(lb, in_b)
    index_a = (Ellipsis,) + (None,) * (len(out) - len(la))
    index_b = tuple(slice(None) if lab in lb else None for lab in out)
    pad_a = len(out) != len(la)
    pad_b = len(in_b) != len(out)

    def mul(xp, a, b, out=None):
        if pad_a:
            a = a[index_a]
        if perm_b is not None:
            b = b.transpose(perm_b)
        if pad_b:
            b = b[index_b]
        return a * b if out is None else xp.multiply(a, b, out=out)
    return Kernel("mul", mul, out, writes=True)


def _choose(labels, first, second):
    """Pick the candidate axis order equal to ``labels`` (no copy), else ``first``.

    When neither is a view, prefer the one that keeps the operand's innermost
    axis last: the copy before the GEMM then reads whole rows instead of
    gathering short runs (a 4x difference on im2col-shaped operands).
    """
    labels, first, second = tuple(labels), tuple(first), tuple(second)
    if first == labels:
        return first, False
    if second == labels:
        return second, True
    if labels and second[-1:] == labels[-1:] != first[-1:]:
        return second, True
    return first, False


def _compile_matmul(la, lb, keep, sizes, contracted) -> Kernel:
    size_a = prod(sizes[x] for x in la)
    size_b = prod(sizes[x] for x in lb)
    major = la if size_a >= size_b else lb
    batch = [x for x in major if x in la and x in lb and x in keep]
    contracted = [x for x in major if x in contracted]
    left = [x for x in la if x not in lb]
    right = [x for x in lb if x not in la]
    m, k, n = (prod(sizes[x] for x in group) for group in (left, contracted, right))
    out = tuple(batch + left + right)
    if batch and m == 1 and n == 1 and len(set(la) | set(lb)) <= len(LETTERS):
        text = einsum_text((la, lb), out)
        return Kernel("einsum", lambda xp, a, b: xp.einsum(text, a, b), out)
    order_a, trans_a = _choose(la, batch + left + contracted, batch + contracted + left)
    order_b, trans_b = _choose(lb, batch + contracted + right, batch + right + contracted)
    lead = (prod(sizes[x] for x in batch),) if batch else ()
    shape_a = lead + ((k, m) if trans_a else (m, k))
    shape_b = lead + ((n, k) if trans_b else (k, n))
    perm_a, perm_b = _perm(la, order_a), _perm(lb, order_b)
    out_shape = tuple(sizes[x] for x in out)
    matrix_shape = lead + (m, n)
    # reshape only where an axis group holds several labels (else the view is already right)
    single = len(batch) <= 1 and len(contracted) == 1
    flat_a = not (single and len(left) == 1)
    flat_b = not (single and len(right) == 1)
    flat_out = not (len(batch) <= 1 and len(left) == 1 and len(right) == 1)

    def gemm(xp, a, b, out=None):
        if perm_a is not None:
            a = a.transpose(perm_a)
        if perm_b is not None:
            b = b.transpose(perm_b)
        if flat_a:
            a = a.reshape(shape_a)
        if flat_b:
            b = b.reshape(shape_b)
        if trans_a:
            a = a.swapaxes(-1, -2)
        if trans_b:
            b = b.swapaxes(-1, -2)
        if out is not None:
            return matmul_into(xp, a, b, out, matrix_shape)
        c = xp.matmul(a, b)
        return c.reshape(out_shape) if flat_out else c
    # a transposed operand that must also be flattened is copied by reshape
    copies = (size_a if perm_a is not None and flat_a else 0) + (
        size_b if perm_b is not None and flat_b else 0)
    return Kernel("bmm" if batch else "gemm", gemm, out, copies, writes=True)


BROADCAST_MIN_FLOPS = 1 << 16   # per-matrix work below which one big GEMM + a view is faster
BROADCAST_MIN_SIDE = 8          # ... and rows/columns below which each product is a GEMV


def _broadcast_matmul(la, lb, want, sizes, contracted):
    """The final step written straight in the output order ``want``.

    When ``want`` leads with free labels of ``b`` (``outer``), then ``a``'s
    free labels, then ``b``'s other free ones (``b o h w`` from ``o k`` and
    ``b k h w``), ``matmul(a (m, k), b (outer, k, n))`` broadcasts ``a`` over
    ``outer`` and its result is already ``want``: no transposed view left for
    the caller to copy.  None when ``want`` is not of that form, a label is
    batched, or each matrix is too small or too thin (a GEMV) for a BLAS call
    of its own.
    """
    if want is None or any(x in lb and x not in contracted for x in la):
        return None
    left = [x for x in la if x not in contracted]
    right = [x for x in lb if x not in contracted]
    want = list(want)
    cut = next((i for i, x in enumerate(want) if x not in right), len(want))
    outer, middle, rest = want[:cut], want[cut:cut + len(left)], want[cut + len(left):]
    if (not outer or not left or sorted(middle) != sorted(left)
            or sorted(outer + rest) != sorted(right)):
        return None
    m, k, n, count = (prod(sizes[x] for x in g) for g in (left, contracted, rest, outer))
    if min(m, n) < BROADCAST_MIN_SIDE or m * k * n < BROADCAST_MIN_FLOPS:
        return None     # matrix-vector products, or too little work per BLAS call
    order_a, trans_a = _choose(la, middle + contracted, contracted + middle)
    order_b, trans_b = _choose(lb, outer + contracted + rest, outer + rest + contracted)
    perm_a, perm_b = _perm(la, order_a), _perm(lb, order_b)
    shape_a, shape_b = ((k, m) if trans_a else (m, k)), (count,) + ((n, k) if trans_b else (k, n))
    out_shape = tuple(sizes[x] for x in want)

    def direct(xp, a, b, out=None):
        a = (a if perm_a is None else a.transpose(perm_a)).reshape(shape_a)
        b = (b if perm_b is None else b.transpose(perm_b)).reshape(shape_b)
        a, b = a.T if trans_a else a, b.swapaxes(-1, -2) if trans_b else b
        if out is not None:
            return matmul_into(xp, a, b, out, (count, m, n))
        return xp.matmul(a, b).reshape(out_shape)
    copies = (prod(sizes[x] for x in la) if perm_a is not None else 0) + (
        prod(sizes[x] for x in lb) if perm_b is not None else 0)
    return Kernel("bcast-gemm", direct, tuple(want), copies, writes=True)


def compile_nary(terms, out) -> Kernel:
    """A step over three or more operands at once: one backend einsum call."""
    text = einsum_text(terms, out)
    return Kernel("einsum", lambda xp, *arrays: xp.einsum(text, *arrays), tuple(out))
