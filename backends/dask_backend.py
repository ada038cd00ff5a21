"""The Dask backend: plans run as lazy, chunk-aware ``dask.array`` graphs.

``ct.einsum`` and ``ct.plan`` on ``dask.array.Array`` operands return a lazy
Dask array.  The plan's kernels receive :data:`NAMESPACE` as ``xp``: it is
``dask.array`` except for ``matmul`` and ``einsum``, which become one
``blockwise`` task per output block.  Shared (batch and contracted) axes are
aligned first, rechunking only the smaller operand and only where the chunks
differ; each task then runs the NumPy (or CuPy) kernel on whole contracted
panels, so the GEMM reaches the BLAS with no partial sums to add up.  Panels
larger than a few of Dask's ``array.chunk-size`` fall back to partial
products and a tree sum.  Diagonal embedding is assembled block by block
(``da.block``) from strided writes: no item assignment, no identity masks.
Both the threaded scheduler and a ``dask.distributed.Client`` run the result.

>>> import numpy as np, dask.array as da, contract as ct
>>> a = da.ones((4, 6), chunks=2); b = da.ones((6, 3), chunks=(3, 3))
>>> c = ct.einsum("ij,jk->ik", a, b)
>>> type(c).__name__, float(c.sum().compute())
('Array', 72.0)
"""
import itertools
from functools import partial
from math import prod

import dask
import dask.array as da
import numpy as np

from contract.backends import backend_for
from contract.backends.base import ArrayBackend

_PANEL_FACTOR = 4   # concatenate contracted panels up to this many array.chunk-size


def _panel_limit():
    return _PANEL_FACTOR * dask.utils.parse_bytes(dask.config.get("array.chunk-size"))


def _as_dask(x):
    return x if isinstance(x, da.Array) else da.asarray(x)


def align_chunks(arrays, indices):
    """Rechunk so every label has the same chunks in every operand that holds it.

    For each label the chunks of the operand with the most bytes win, so the
    big operand is never moved; an operand is rechunked only where it differs.

    >>> a = da.ones((4, 6), chunks=(2, 3)); b = da.ones((6, 2), chunks=(2, 2))
    >>> [x.chunks for x in align_chunks([a, b], ["ij", "jk"])]
    [((2, 2), (3, 3)), ((3, 3), (2,))]
    """
    arrays = [_as_dask(x) for x in arrays]
    wanted = {}
    for k in sorted(range(len(arrays)), key=lambda k: -arrays[k].nbytes):
        for axis, label in enumerate(indices[k]):
            wanted.setdefault(label, arrays[k].chunks[axis])
    out = []
    for x, index in zip(arrays, indices):
        change = {axis: wanted[label] for axis, label in enumerate(index)
                  if x.chunks[axis] != wanted[label] and x.shape[axis] == sum(wanted[label])}
        out.append(x.rechunk(change) if change else x)
    return out


def _panel_bytes(arrays, indices, out_index):
    """Bytes one task reads when contracted labels are concatenated."""
    total = 0
    for x, index in zip(arrays, indices):
        dims = [x.shape[a] if lab not in out_index else max(x.chunks[a], default=0)
                for a, lab in enumerate(index)]
        total += prod(dims) * x.dtype.itemsize
    return total


def _block_matmul(a, b):
    return a @ b


def matmul(a, b):
    """``a @ b`` for equal-rank operands (batch..., M, K) @ (batch..., K, N).

    >>> a = da.ones((2, 4, 6), chunks=(1, 2, 3)); b = da.ones((2, 6, 3), chunks=(2, 2, 3))
    >>> float(matmul(a, b)[1, 3, 2].compute())
    6.0
    """
    a, b = _as_dask(a), _as_dask(b)
    if a.ndim != b.ndim or a.ndim < 2:
        return da.matmul(a, b)
    batch = "".join(chr(ord("a") + k) for k in range(a.ndim - 2))
    ia, ib, out = batch + "mk", batch + "kn", batch + "mn"
    a, b = align_chunks([a, b], [ia, ib])
    dtype = np.result_type(a.dtype, b.dtype)
    if _panel_bytes([a, b], [ia, ib], out) > _panel_limit():
        return da.matmul(a, b)
    return da.blockwise(_block_matmul, out, a, ia, b, ib, dtype=dtype, concatenate=True)


def _parse_text(text):
    ins, out = text.split("->")
    return ins.split(","), out


def einsum(text, *arrays):
    """A backend einsum step (unique labels per term) as one blockwise per output block.

    >>> x = da.ones((4, 6), chunks=2)
    >>> float(einsum("ij,ij->i", x, x)[0].compute())
    6.0
    """
    indices, out = _parse_text(text)
    arrays = align_chunks(arrays, indices)
    dtype = np.result_type(*[x.dtype for x in arrays])
    if _panel_bytes(arrays, indices, out) > _panel_limit():
        return da.einsum(text, *arrays)
    args = [item for pair in zip(arrays, indices) for item in pair]
    return da.blockwise(partial(_block_einsum, text), out, *args, dtype=dtype, concatenate=True)


def _block_einsum(text, *blocks):
    import numpy
    module = type(blocks[0]).__module__.split(".")[0]
    xp = numpy if module == "numpy" else __import__(module)
    return xp.einsum(text, *blocks)


class _Namespace:
    """``dask.array`` with a chunk-aware ``matmul`` and ``einsum`` (the kernels' ``xp``)."""

    matmul = staticmethod(matmul)
    einsum = staticmethod(einsum)

    def __getattr__(self, name):
        return getattr(da, name)

    def __repr__(self):
        return "<contract dask namespace>"


NAMESPACE = _Namespace()


def _embed_block(values, full_shape, positions, dtype, fill):
    return backend_for([values]).embed_diagonal(values, full_shape, positions, dtype, fill)


class DaskBackend(ArrayBackend):
    """A Backend over ``dask.array``: every operation stays lazy."""

    def __init__(self):
        super().__init__(NAMESPACE, "dask")

    def asarray(self, x):
        return _as_dask(x)

    def prepare(self, x, prep):
        return super().prepare(_as_dask(x), prep)

    def zeros(self, shape, dtype):
        return da.zeros(shape, dtype=dtype)

    def full(self, shape, value, dtype):
        return da.full(shape, value, dtype=dtype)

    def cast(self, x, dtype):
        return x.astype(dtype)

    def magnitude(self, x):
        """None: reading a lazy array's extremes would compute it; int64 arithmetic stays."""
        return None

    def embed_diagonal(self, values, full_shape, positions, dtype, fill=0):
        """``fill`` of ``full_shape`` with ``values`` on the diagonal, assembled per block.

        The axes that carry one label share that label's chunks, so a block is
        on the diagonal exactly when those axes have equal block indices; such a
        block is a strided write into a NumPy block, every other block is zeros.

        >>> v = da.arange(4.0, chunks=2)
        >>> float(DaskBackend().embed_diagonal(v, (4, 4), ((0, 1),), np.float64).compute()[3, 3])
        3.0
        """
        values = _as_dask(values).astype(dtype)
        owner = {axis: k for k, axes in enumerate(positions) for axis in axes}
        chunks = [values.chunks[owner[axis]] for axis in range(len(full_shape))]
        grid = {}
        for index in itertools.product(*(range(len(c)) for c in chunks)):
            shape = tuple(c[i] for c, i in zip(chunks, index))
            label_block = [index[axes[0]] for axes in positions]
            if all(index[a] == label_block[k] for k, axes in enumerate(positions) for a in axes):
                block = values.blocks[tuple(label_block)].to_delayed().ravel()[0]
                task = dask.delayed(_embed_block, pure=True)(block, shape, positions, dtype,
                                                             fill)
                grid[index] = da.from_delayed(task, shape, dtype=dtype, meta=values._meta)
            else:
                grid[index] = da.full(shape, fill, dtype=dtype)
        return da.block(_nest(grid, [len(c) for c in chunks]))


def _nest(grid, counts, prefix=()):
    """Nested lists of blocks for ``da.block`` from a dict keyed by block index."""
    if len(prefix) == len(counts):
        return grid[prefix]
    return [_nest(grid, counts, prefix + (i,)) for i in range(counts[len(prefix)])]


BACKEND = DaskBackend()
