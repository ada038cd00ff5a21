"""Step kernels for semirings other than ``real``: no BLAS, computed in blocks.

A semiring is described by :class:`SemiringOps` (its reduce, its combine
ufunc, the ufunc that merges two partial reductions, and the arg-selector
that argmax needs).  From it, :func:`compile_single`, :func:`compile_pair` and
:func:`compile_nary` build step kernels with the same ``fn(xp, *arrays)``
signature as the real-semiring kernels.  A contracting pair step puts the
contracted labels last and contiguous, then walks (batch, row, column) blocks
of ``combine(a, b)`` small enough to stay in cache, reducing each block along
its last axis; no block holds more than :func:`block_limit` elements.

With ``track=True`` a kernel returns ``(value, backpointers)``: for every
label it reduces, the index of the chosen element (Viterbi back-pointers).

>>> import numpy as np
>>> k = compile_pair(MAXPLUS_OPS, (0, 1), (1, 2), keep={0, 2}, sizes=(2, 3, 2))
>>> k.fn(np, np.zeros((2, 3)), np.arange(6.).reshape(3, 2))
array([[4., 5.],
       [4., 5.]])
"""
from dataclasses import dataclass
from functools import partial
from itertools import product
from math import prod
from typing import Callable, Optional, Tuple, Union

import numpy as np

from contract.engine.kernels.blocks import _SETTINGS, block_limit
from contract.engine.kernels.real import Kernel, _perm


# -- the semiring operations ----------------------------------------------------------
def _max(xp, a, axes, out=None, scratch=False):
    return a.max(axis=axes) if out is None else a.max(axis=axes, out=out)


def _min(xp, a, axes, out=None, scratch=False):
    return a.min(axis=axes) if out is None else a.min(axis=axes, out=out)


def _logsumexp(xp, a, axes, out=None, scratch=False):
    """Max-shifted log-sum-exp; all ``-inf`` slices give ``-inf`` without warnings.

    ``scratch=True`` lets it overwrite ``a`` (a block buffer) instead of allocating.
    Complex values shift by the largest real part only, so the result's imaginary part
    is ``log``'s principal branch, as ``log(sum(exp(a)))`` gives (torch, NumPy).
    """
    shift = (a.real if a.dtype.kind == "c" else a).max(axis=axes, keepdims=True)
    shift = xp.where(xp.isfinite(shift), shift, 0)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        if scratch:
            a -= shift
            total = xp.exp(a, out=a).sum(axis=axes)
        else:
            total = xp.exp(a - shift).sum(axis=axes)
        result = xp.log(total)
    result += shift.reshape(result.shape)
    if out is None:
        return result
    out[...] = result
    return out


def logaddexp(xp, a, b, out=None):
    """Merge two partial log-sum-exps: ``xp.logaddexp``, and for complex values (which it
    does not take) the stacked :func:`_logsumexp` on the principal branch.

    >>> complex(logaddexp(np, np.array(1 - 3.1j), np.array(0.9 - 4j))).imag > 0
    True
    """
    if a.dtype.kind != "c" and b.dtype.kind != "c":
        return xp.logaddexp(a, b) if out is None else xp.logaddexp(a, b, out=out)
    result = _logsumexp(xp, xp.stack(xp.broadcast_arrays(a, b)), (0,))
    if out is None:
        return result
    out[...] = result
    return out


def merge_fn(ops, xp):
    """The function merging two partial reductions: ``ops.accumulate`` as a ufunc of
    ``xp`` (a name) or a function ``(xp, a, b, out=None)``."""
    acc = ops.accumulate
    return partial(acc, xp) if callable(acc) else getattr(xp, acc)


@dataclass(frozen=True)
class SemiringOps:
    """The operations of a semiring, by which its kernels are built."""

    name: str
    reduce: Callable            # (xp, a, axes, out=None, scratch=False) -> a reduced over axes
    combine: str                # ufunc name of multiply: "add" / "multiply"
    accumulate: Union[str, Callable]   # merges partial reductions: a ufunc name ("maximum")
    #                                    or a function (xp, a, b, out=None)
    select: Optional[str] = None   # "argmax" / "argmin": the semiring can track argmax
    better: Optional[str] = None   # "greater" / "less": strict improvement (first wins)


LOG_OPS = SemiringOps("log", _logsumexp, "add", logaddexp)
MAXPLUS_OPS = SemiringOps("maxplus", _max, "add", "maximum", "argmax", "greater")
MINPLUS_OPS = SemiringOps("minplus", _min, "add", "minimum", "argmin", "less")
MAXTIMES_OPS = SemiringOps("maxtimes", _max, "multiply", "maximum", "argmax", "greater")


@dataclass(frozen=True)
class BackPointer:
    """Where a reduction chose: ``index[given labels]`` is a flat index over ``chosen``."""

    given: Tuple[int, ...]
    chosen: Tuple[int, ...]
    chosen_shape: Tuple[int, ...]
    index: object


def arg_reduce(ops, xp, a, naxes):
    """Reduce the last ``naxes`` axes jointly: ``(values, flat index)``, first index on ties."""
    lead = a.shape[:a.ndim - naxes]
    flat = a.reshape(lead + (-1,))
    index = getattr(flat, ops.select)(axis=-1)
    values = xp.take_along_axis(flat, index[..., None], axis=-1)[..., 0]
    return values, index


def _compile_reduce(ops, labels, out, track):
    """Reduce the labels not in ``out`` (tracked: with a back-pointer); order as ``out``."""
    reduced = tuple(x for x in labels if x not in out)
    rest = tuple(x for x in labels if x in out)
    axes = tuple(labels.index(x) for x in reduced)
    if track and len(reduced) == 1:
        axis = axes[0]

        def tracked_one(xp, a):
            index = getattr(a, ops.select)(axis=axis)
            values = xp.take_along_axis(a, xp.expand_dims(index, axis), axis=axis)
            return values.squeeze(axis), BackPointer(rest, reduced, (a.shape[axis],), index)
        return tracked_one, rest
    if track and reduced:
        to_end = _perm(labels, rest + reduced)

        def tracked(xp, a):
            shape = tuple(a.shape[labels.index(x)] for x in reduced)
            if to_end is not None:
                a = a.transpose(to_end)
            values, index = arg_reduce(ops, xp, a, len(reduced))
            return values, BackPointer(rest, reduced, shape, index)
        return tracked, rest
    if not reduced:
        return None, rest

    def plain(xp, a):
        return ops.reduce(xp, a, axes)
    return plain, rest


def _pre_reduce(reduce, xp, a, track, backpointers):
    """Apply an optional reduction; with ``track``, keep its back-pointer."""
    if reduce is None:
        return a
    a = reduce(xp, a)
    if track:
        a, bp = a
        backpointers.append(bp)
    return a if hasattr(a, "shape") else xp.asarray(a, dtype=object)   # object: a bare int


def compile_single(ops, labels, out, sizes=None, track=False) -> Kernel:
    """Reduce one operand's labels not in ``out`` and order its axes as ``out``.

    ``sizes`` (label sizes) is accepted for the Semiring protocol; unused here.
    """
    reduce, rest = _compile_reduce(ops, tuple(labels), tuple(out), track)
    perm = _perm(rest, tuple(out))

    def single(xp, a):
        bps = []
        a = _pre_reduce(reduce, xp, a, track, bps)
        if perm is not None:
            a = a.transpose(perm)
        return (a, bps) if track else a
    name = "reduce" if reduce is not None else ("transpose" if perm else "view")
    return Kernel(f"{ops.name}-{name}", single, tuple(out))


def _compile_combine(ops, la, lb):
    """No contracted label: broadcast ``combine`` (outer / elementwise products)."""
    out = la + tuple(x for x in lb if x not in la)
    in_b = [x for x in out if x in lb]
    perm_b = _perm(lb, in_b)
    index_a = (Ellipsis,) + (None,) * (len(out) - len(la))
    index_b = tuple(slice(None) if x in lb else None for x in out)

    def combine(xp, a, b):
        if perm_b is not None:
            b = b.transpose(perm_b)
        return getattr(xp, ops.combine)(a[index_a], b[index_b])
    return combine, out


def _blocks(nb, m, n, k, target, limit):
    """Block sizes (batch, rows, columns, contracted) for a pair step."""
    if m * n * k <= target:
        return max(1, min(nb, target // max(1, m * n * k))), m, n, k
    if n * k <= target:
        return 1, max(1, target // max(1, n * k)), n, k
    if k <= target:
        return 1, 1, max(1, target // max(1, k)), k
    return 1, 1, 1, min(k, limit)


def _contiguous(xp, a):
    to = getattr(xp, "ascontiguousarray", None)
    return a if to is None else to(a)


def _pair_layout(la, lb, keep, sizes):
    batch = [x for x in la if x in lb and x in keep]
    contracted = [x for x in la if x in lb and x not in keep]
    left = [x for x in la if x not in lb]
    right = [x for x in lb if x not in la]
    dims = [prod(sizes[x] for x in g) for g in (batch, left, right, contracted)]
    return batch, left, right, contracted, dims


def _compile_contract(ops, la, lb, keep, sizes, track):
    """Contracting pair step: blocks of combine(a, b) reduced along the last axis."""
    batch, left, right, contracted, (nb, m, n, k) = _pair_layout(la, lb, keep, sizes)
    perm_a, perm_b = _perm(la, batch + left + contracted), _perm(lb, batch + right + contracted)
    out = tuple(batch + left + right)
    out_shape = tuple(sizes[x] for x in out)
    chosen_shape = tuple(sizes[x] for x in contracted)
    bp_proto = BackPointer(out, tuple(contracted), chosen_shape, None)

    def contract(xp, a, b):
        if perm_a is not None:
            a = a.transpose(perm_a)
        if perm_b is not None:
            b = b.transpose(perm_b)
        a = _contiguous(xp, a).reshape(nb, m, 1, k)
        b = _contiguous(xp, b).reshape(nb, 1, n, k)
        limit = block_limit()
        sb, sm, sn, sk = _blocks(nb, m, n, k, min(limit, _SETTINGS["cache"]), limit)
        dtype = xp.result_type(a, b)
        value = xp.empty((nb, m, n), dtype=dtype)
        index = xp.empty((nb, m, n), dtype=np.intp) if track else None
        buf = xp.empty((sb, sm, sn, sk), dtype=dtype)
        combine = getattr(xp, ops.combine)
        for b0, i0, j0 in product(range(0, nb, sb), range(0, m, sm), range(0, n, sn)):
            rows = (slice(b0, b0 + sb), slice(i0, i0 + sm), slice(j0, j0 + sn))
            _reduce_block(ops, xp, a, b, rows, k, sk, buf, combine, value, index)
        value = value.reshape(out_shape)
        if not track:
            return value
        return value, [BackPointer(bp_proto.given, bp_proto.chosen, chosen_shape,
                                   index.reshape(out_shape))]
    return contract, out


def _reduce_block(ops, xp, a, b, rows, k, sk, buf, combine, value, index):
    """One (batch, rows, columns) block, over the contracted axis in chunks of ``sk``."""
    bs, rs, cs = rows
    for k0 in range(0, k, sk):
        part_a = a[bs, rs, :, k0:k0 + sk]
        part_b = b[bs, :, cs, k0:k0 + sk]
        shape = tuple(max(p, q) for p, q in zip(part_a.shape, part_b.shape))
        block = buf[tuple(slice(0, s) for s in shape)]
        combine(part_a, part_b, out=block)
        target = value[rows]
        if index is None:
            if k0 == 0:
                ops.reduce(xp, block, (3,), out=target, scratch=True)
            else:
                part = ops.reduce(xp, block, (3,), scratch=True)
                merge_fn(ops, xp)(target, part, out=target)
            continue
        best, where = arg_reduce(ops, xp, block, 1)
        if k0 == 0:
            target[...], index[rows] = best, where
        else:
            wins = _improves(ops, xp, best, target)
            target[...] = xp.where(wins, best, target)
            index[rows] = xp.where(wins, where + k0, index[rows])


def compile_pair(ops, la, lb, keep, sizes, track=False) -> Kernel:
    """Compile a pairwise step; labels of one operand only and not kept are reduced first."""
    la, lb = tuple(la), tuple(lb)
    pre_a, ra = _compile_reduce(ops, la, tuple(x for x in la if x in lb or x in keep), track)
    pre_b, rb = _compile_reduce(ops, lb, tuple(x for x in lb if x in la or x in keep), track)
    if any(x in rb and x not in keep for x in ra):
        main, out = _compile_contract(ops, ra, rb, keep, sizes, track)
        name = "blocked"
    else:
        main, out = _compile_combine(ops, ra, rb)
        name = "combine"

    def pair(xp, a, b):
        bps = []
        a = _pre_reduce(pre_a, xp, a, track, bps)
        b = _pre_reduce(pre_b, xp, b, track, bps)
        result = main(xp, a, b)
        if track and name == "blocked":
            result, more = result
            bps = bps + more     # backtracking walks the list in reverse: main step first
        return (result, bps) if track else result
    return Kernel(f"{ops.name}-{name}", pair, out)


def compile_nary(ops, terms, out, sizes=None, track=False, zero_for=None) -> Kernel:
    """Three or more operands in one step: blocked broadcasting over all labels.
    ``zero_for(dtype)``: the semiring's zero as ``dtype`` holds it (the Semiring record's
    ``zero_for``), which starts the running reduction."""
    terms = tuple(tuple(t) for t in terms)
    out = tuple(out)
    reduced = tuple(dict.fromkeys(x for t in terms for x in t if x not in out))
    space = out + reduced
    views = tuple((_perm(t, tuple(x for x in space if x in t)),
                   tuple(slice(None) if x in t else None for x in space)) for t in terms)

    def nary(xp, *arrays):
        dims = {}
        for t, arr in zip(terms, arrays):
            dims.update(zip(t, arr.shape))
        full = [arr.transpose(p) if p is not None else arr for arr, (p, _) in zip(arrays, views)]
        full = [arr[index] for arr, (_, index) in zip(full, views)]
        return _nary_blocks(ops, xp, full, [dims[x] for x in space], len(out), track,
                            reduced, out, zero_for)
    return Kernel(f"{ops.name}-nary", nary, out)


def _nary_blocks(ops, xp, full, shape, n_out, track, reduced, out, zero_for):
    """Walk blocks of the full product space: loop the leading axes, chunk one axis."""
    limit = block_limit()
    split, tail = len(shape), 1
    while split > 0 and tail * shape[split - 1] <= limit:
        split -= 1
        tail *= shape[split]
    chunk = 1 if split == 0 else max(1, limit // tail)
    dtype = xp.result_type(*full)
    value = xp.full(tuple(shape[:n_out]), zero_for(dtype), dtype=dtype)
    index = xp.zeros(tuple(shape[:n_out]), dtype=np.intp) if track else None
    loops = [range(s) for s in shape[:max(0, split - 1)]]
    last = range(0, shape[split - 1], chunk) if split > 0 else [None]
    combine = getattr(xp, ops.combine)
    for head in product(*loops):
        for c0 in last:
            sel = [slice(h, h + 1) for h in head]
            if c0 is not None:
                sel.append(slice(c0, c0 + chunk))
            block = None
            for arr in full:
                part = arr[tuple(s if arr.shape[d] != 1 else slice(None)
                                 for d, s in enumerate(sel))]
                block = part if block is None else combine(block, part)
            block = xp.broadcast_to(block, tuple(
                len(range(shape[d])[s]) if d < len(sel) else shape[d]
                for d, s in enumerate(sel + [slice(None)] * (len(shape) - len(sel)))))
            _nary_merge(ops, xp, block, sel, shape, n_out, value, index, split <= n_out)
    if not track:
        return value
    return value, [BackPointer(out, reduced, tuple(shape[n_out:]), index)]


def _nary_merge(ops, xp, block, sel, shape, n_out, value, index, disjoint):
    """Fold one block's reduction into the output (and its flat argument index).

    ``disjoint``: blocks never share an output element, so results are assigned.
    """
    out_sel = tuple(sel[:n_out]) + (Ellipsis,)   # a view even when the output is 0-d
    red = tuple(range(n_out, len(shape)))
    target = value[out_sel]
    if index is None:
        part = ops.reduce(xp, block, red) if red else block
        if disjoint:
            target[...] = part
        else:
            merge_fn(ops, xp)(target, part, out=target)
        return
    best, where = arg_reduce(ops, xp, block, len(red))
    starts = [s.start for s in sel[n_out:]] + [0] * (len(shape) - len(sel))
    local = block.shape[n_out:]
    if red:
        coords = xp.unravel_index(where, local)
        where = xp.ravel_multi_index(tuple(c + s for c, s in zip(coords, starts)),
                                     tuple(shape[n_out:]))
    if disjoint:
        target[...], index[out_sel] = best, where
        return
    wins = _improves(ops, xp, best, target)
    target[...] = xp.where(wins, best, target)
    index[out_sel] = xp.where(wins, where, index[out_sel])


def _improves(ops, xp, best, target):
    """Where a later block's ``best`` replaces the running ``target``: a strict improvement
    (the first index wins ties), or a NaN where none was yet, as ``argmax`` over the whole
    axis would choose the first NaN (and the untracked reduction propagates it)."""
    wins = getattr(xp, ops.better)(best, target)
    if best.dtype.kind in "fc":
        wins |= xp.isnan(best) & ~xp.isnan(target)
    return wins
