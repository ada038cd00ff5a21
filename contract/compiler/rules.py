"""The multilinear ops and their einsums: each rule takes the op's arguments (traced
tensors among them) and records a node whose :class:`~contract.compiler.graph.Spec` is
the einsum the Tensor op itself writes (``matmul_text``, ``reduce_equation``,
``broadcast_equation``, ``diagonal_equation``, ``tensordot_equation``), or returns
``NotImplemented`` when this call is not multilinear (integers, zero sizes, options
that change the meaning), and then the op is recorded as a barrier.

``RULES`` maps each Tensor function (the object behind both ``t.matmul`` and
``ct.matmul``) to its rule.

>>> reshape_text((6, 4), (2, 12))
('(ij)k->i(jk)', {'i': 2, 'j': 3, 'k': 4})
>>> permute_text((0, 2, 1))
'ijk->ikj'
"""
import numpy as np

from contract.engine.bind import bind
from contract.grammar import parse
from contract.compiler.graph import Spec
from contract.compiler.labels import common_refinement
from contract.tensors.core import Tensor, _dim
from contract.tensors.creation import shape_args
from contract.tensors.ops import arith, linalg, reduce, semiring, shape as shape_ops
from contract.tensors.ops.broadcast import as_operand, broadcast_equation, promote
from contract.tensors.ops.linalg import (diagonal_equation, matmul_text, tensordot_axes,
                                         tensordot_equation)
from contract.tensors.ops.reduce import reduce_dims, reduce_equation
from contract.tensors.ops.shape import reshape_target

LETTERS = "ijklmnopqrstuvwxyzabcdefgh"


def _meta(tr, x):
    return tr.meta(x._v) if hasattr(x, "_tracer") else x


def pair(tr, a, b):
    """``broadcast.pair`` for traced tensors: scalars and arrays become constants, the
    dtypes meet by torch's promotion (a traced cast where one is needed)."""
    if not isinstance(a, Tensor):
        a = _constant(tr, a, b)
    elif not isinstance(b, Tensor):
        b = _constant(tr, b, a)
    if a.dtype != b.dtype:
        common = promote(a.dtype, b.dtype, a.ndim, b.ndim)
        a, b = a.to(common), b.to(common)
    return a, b


def _constant(tr, value, like):
    """``as_operand(value, like)``: a scalar as one shared 0-d constant of its dtype."""
    made = as_operand(value, _meta(tr, like))
    if isinstance(value, (bool, int, float, complex, np.number, np.bool_)):
        return tr.graph.values[tr.scalar(value, made.dtype, made._data)].obj
    return made


def einsum_node(tr, fn, args, ring, text, operands, kwargs=None, sizes=None, base=None):
    """Record ``text`` over ``operands`` as a node of ``ring`` that replays as
    ``fn(*args, **kwargs)``; NotImplemented unless it is one floating dtype, no zero size."""
    ids = [tr.value_of(op) for op in operands]
    values = [tr.graph.values[v] for v in ids]
    dtype = values[0].dtype
    kinds = "fc" if ring in ("real", "view") else "f"
    if dtype.kind not in kinds or any(v.dtype != dtype or 0 in v.shape for v in values):
        return NotImplemented
    bound = bind(parse(text), [v.shape for v in values], sizes or {})
    if bound.embeds_diagonal or 0 in bound.final_shape:
        return NotImplemented
    return tr.multilinear(fn, args, kwargs or {}, Spec(ring, text, tuple(ids), bound),
                          bound.final_shape, dtype, base)


def _view_node(tr, fn, args, kwargs, x, text, sizes=None):
    root = tr.graph.root(tr.value_of(x))
    return einsum_node(tr, fn, args, "view", text, (x,), kwargs, sizes, base=root)


# -- products -----------------------------------------------------------------------
def _matmul(tr, input, other):
    a, b = pair(tr, input, other)
    return einsum_node(tr, linalg.matmul, (a, b), "real",
                       matmul_text(tuple(a.shape), tuple(b.shape)), (a, b))


def _rmatmul(tr, self, other):
    return _matmul(tr, other, self)


def _mm(tr, input, mat2):
    if not (isinstance(input, Tensor) and isinstance(mat2, Tensor)
            and input.ndim == 2 and mat2.ndim == 2):
        return NotImplemented
    return _matmul(tr, input, mat2)


def _bmm(tr, input, mat2):
    if not (isinstance(input, Tensor) and isinstance(mat2, Tensor) and input.ndim == 3
            and mat2.ndim == 3 and input.shape[0] == mat2.shape[0]):
        return NotImplemented
    return _matmul(tr, input, mat2)


def _vectors(tr, input, other, same):
    if not (isinstance(input, Tensor) and isinstance(other, Tensor)
            and input.ndim == 1 and other.ndim == 1):
        return None
    if same and input.shape != other.shape:
        return None
    return pair(tr, input, other)


def _dot(tr, input, other):
    found = _vectors(tr, input, other, True)
    return NotImplemented if found is None else \
        einsum_node(tr, linalg.dot, found, "real", "a,a->", found)


def _outer(tr, input, vec2):
    found = _vectors(tr, input, vec2, False)
    return NotImplemented if found is None else \
        einsum_node(tr, linalg.outer, found, "real", "a,b->ab", found)


def _tensordot(tr, a, b, dims=2):
    if not (isinstance(a, Tensor) and isinstance(b, Tensor)):
        return NotImplemented
    dims_a, dims_b = tensordot_axes(tuple(a.shape), tuple(b.shape), dims)
    a, b = pair(tr, a, b)
    text = tensordot_equation(a.ndim, b.ndim, dims_a, dims_b)
    return einsum_node(tr, linalg.tensordot, (a, b, (list(dims_a), list(dims_b))), "real",
                       text, (a, b))


def _mul(tr, input, other):
    a, b = pair(tr, input, other)
    text, _ = broadcast_equation(tuple(a.shape), tuple(b.shape))
    return einsum_node(tr, arith.mul, (a, b), "real", text, (a, b))


def _rmul(tr, self, other):
    return _mul(tr, other, self)


def _square(tr, input):
    return _mul(tr, input, input)


def _neg(tr, input):
    if input.dtype.kind not in "fc":
        return NotImplemented
    minus = tr.graph.values[tr.scalar(-1, input.dtype)].obj
    text, _ = broadcast_equation(tuple(input.shape), ())
    return einsum_node(tr, arith.neg, (input,), "real", text, (input, minus))


def _add(tr, input, other, alpha=1):
    if alpha != 1:
        return NotImplemented
    a, b = pair(tr, input, other)
    text, _ = broadcast_equation(tuple(a.shape), tuple(b.shape))
    return einsum_node(tr, arith.add, (a, b), "add", text, (a, b))


def _radd(tr, self, other):
    return _add(tr, other, self)


# -- reductions ----------------------------------------------------------------------
def _kept(tr, out, input, dims):
    shape = tuple(1 if k in dims else n for k, n in enumerate(input.shape))
    return out if out is NotImplemented else _reshape(tr, out, shape)


def _sum(tr, input, dim=None, keepdim=False, *, dtype=None, axis=None):
    if dtype is not None or input.dtype.kind not in "fc":
        return NotImplemented
    dims = reduce_dims(dim, input.ndim, axis)
    out = einsum_node(tr, reduce.sum, (input, dims), "real", reduce_equation(input.ndim, dims),
                      (input,))
    return _kept(tr, out, input, dims) if keepdim else out


def _mean(tr, input, dim=None, keepdim=False, *, dtype=None, axis=None):
    if dtype is not None:
        input = input.to(dtype)
    if input.dtype.kind not in "fc":
        return NotImplemented
    dims = reduce_dims(dim, input.ndim, axis)
    count = int(np.prod([input.shape[k] for k in dims], dtype=np.int64))
    total = _sum(tr, input, dims, keepdim)
    if count == 0 or total is NotImplemented:
        return NotImplemented
    scale = tr.graph.values[tr.scalar(1.0 / count, input.dtype)].obj
    return _mul(tr, total, scale)


def _semiring_reduce(tr, fn, ring, input, dim, keepdim, axis, whole=False):
    if input.dtype.kind != "f" or 0 in input.shape:
        return NotImplemented
    dims = tuple(a for a in reduce_dims(axis if axis is not None else dim, input.ndim)
                 if a < input.ndim)
    out = einsum_node(tr, fn, (input,) if whole else (input, dims), ring,
                      reduce_equation(input.ndim, dims), (input,))
    return _kept(tr, out, input, dims) if keepdim else out


def _logsumexp(tr, self, dim=None, keepdim=False, *, axis=None):
    return _semiring_reduce(tr, semiring.logsumexp, "log", self, dim, keepdim, axis)


def _amax(tr, self, dim=(), keepdim=False, *, axis=None):
    return _semiring_reduce(tr, semiring.amax, "maxplus", self, dim, keepdim, axis)


def _amin(tr, self, dim=(), keepdim=False, *, axis=None):
    return _semiring_reduce(tr, semiring.amin, "minplus", self, dim, keepdim, axis)


def _max(tr, self, dim=None, keepdim=False, *, axis=None, other=None):
    if dim is not None or axis is not None or other is not None:
        return NotImplemented
    return _semiring_reduce(tr, semiring.max, "maxplus", self, None, False, None, True)


def _min(tr, self, dim=None, keepdim=False, *, axis=None, other=None):
    if dim is not None or axis is not None or other is not None:
        return NotImplemented
    return _semiring_reduce(tr, semiring.min, "minplus", self, None, False, None, True)


def _trace(tr, input):
    if input.ndim != 2 or input.shape[0] != input.shape[1]:
        return NotImplemented
    return einsum_node(tr, linalg.trace, (input,), "real", "aa->", (input,))


def _diagonal(tr, input, offset=0, dim1=0, dim2=1):
    d1, d2 = _dim(dim1, input.ndim), _dim(dim2, input.ndim)
    if offset != 0 or d1 == d2 or input.shape[d1] != input.shape[d2]:
        return NotImplemented
    return _view_node(tr, linalg.diagonal, (input, 0, d1, d2), {}, input,
                      diagonal_equation(input.ndim, d1, d2))


# -- rearrangements ------------------------------------------------------------------
def permute_text(perm):
    """The einsum of a permutation of axes (``perm[k]`` is the input axis at k)."""
    letters = LETTERS[:len(perm)]
    return letters + "->" + "".join(letters[p] for p in perm)


def _permuted(tr, fn, args, input, perm):
    if sorted(perm) != list(range(input.ndim)) or input.ndim > len(LETTERS):
        return NotImplemented
    return _view_node(tr, fn, args, {}, input, permute_text(perm))


def _permute(tr, input, *dims):
    dims = shape_args(dims, "dims") if dims else ()
    perm = tuple(_dim(d, input.ndim) for d in dims)
    return _permuted(tr, shape_ops.permute, (input, perm), input, perm)


def _transpose(tr, input, dim0, dim1):
    perm = list(range(input.ndim))
    a, b = _dim(dim0, input.ndim), _dim(dim1, input.ndim)
    perm[a], perm[b] = perm[b], perm[a]
    return _permuted(tr, shape_ops.transpose, (input, dim0, dim1), input, tuple(perm))


def _t(tr, input):
    if input.ndim > 2:
        return NotImplemented
    perm = tuple(range(input.ndim - 1, -1, -1))
    return _permuted(tr, shape_ops.t, (input,), input, perm)


def reshape_text(src, dst):
    """The einsum of a reshape from ``src`` to ``dst`` as groups of atoms, and the atoms'
    sizes; None when the two shapes have no common refinement."""
    found = common_refinement(src, dst)
    if found is None or len(found[0]) > len(LETTERS):
        return None
    sizes, groups_src, groups_dst = found

    def term(groups):
        return "".join("".join(LETTERS[a] for a in g) if len(g) == 1 else
                       "(" + "".join(LETTERS[a] for a in g) + ")" for g in groups)
    return term(groups_src) + "->" + term(groups_dst), {LETTERS[a]: s
                                                        for a, s in enumerate(sizes)}


def _reshape(tr, input, shape, fn=None, args=None):
    shape = tuple(shape)
    if tuple(input.shape) == shape and fn is None:
        return input
    found = reshape_text(tuple(input.shape), shape) if 0 not in shape else None
    if found is None:
        return NotImplemented
    fn, args = (shape_ops.reshape, (input, shape)) if fn is None else (fn, args)
    return _view_node(tr, fn, args, {}, input, found[0], found[1])


def _view_or_reshape(fn):
    def rule(tr, input, *shape):
        if len(shape) == 1 and not isinstance(shape[0], (tuple, list, int, np.integer)):
            return NotImplemented            # view(dtype)
        target = reshape_target(shape, int(np.prod(input.shape, dtype=np.int64)))
        return _reshape(tr, input, target, fn, (input, target))
    return rule


def _flatten(tr, input, start_dim=0, end_dim=-1):
    target = shape_ops.flattened_shape(tuple(input.shape), start_dim, end_dim)
    return _reshape(tr, input, target, shape_ops.flatten, (input, start_dim, end_dim))


def _unsqueeze(tr, input, dim):
    d = _dim(dim, input.ndim + 1)
    shape = tuple(input.shape)
    return _reshape(tr, input, shape[:d] + (1,) + shape[d:], shape_ops.unsqueeze, (input, dim))


def _squeeze(tr, input, dim=None):
    target = shape_ops.squeezed_shape(tuple(input.shape), dim)
    return _reshape(tr, input, target, shape_ops.squeeze, (input, dim))


def _expand(tr, input, *sizes):
    sizes = shape_args(sizes)
    lead = len(sizes) - input.ndim
    shape = tuple(input.shape)
    if lead < 0 or any(d == -1 for d in sizes[:lead]):
        return NotImplemented
    target = tuple(shape[k - lead] if d == -1 and k >= lead else d for k, d in enumerate(sizes))
    if any(n != 1 and n != target[k + lead] for k, n in enumerate(shape)) or 0 in target \
            or input.dtype.kind not in "fc":
        return NotImplemented
    x = tr.value_of(input)
    spec = Spec("view", None, (x,), expand=target)
    return tr.multilinear(shape_ops.expand, (input, target), {}, spec, target, input.dtype,
                          tr.graph.root(x))


def _expand_as(tr, input, other):
    return _expand(tr, input, tuple(other.shape))


RULES = {
    linalg.matmul: _matmul, linalg.METHODS["__rmatmul__"]: _rmatmul, linalg.mm: _mm,
    linalg.bmm: _bmm, linalg.dot: _dot, linalg.outer: _outer, linalg.tensordot: _tensordot,
    linalg.trace: _trace, linalg.diagonal: _diagonal,
    arith.mul: _mul, arith.METHODS["__rmul__"]: _rmul, arith.square: _square,
    arith.neg: _neg, arith.add: _add, arith.METHODS["__radd__"]: _radd,
    reduce.sum: _sum, reduce.mean: _mean,
    semiring.logsumexp: _logsumexp, semiring.amax: _amax, semiring.amin: _amin,
    semiring.max: _max, semiring.min: _min,
    shape_ops.permute: _permute, shape_ops.transpose: _transpose, shape_ops.t: _t,
    shape_ops.view: _view_or_reshape(shape_ops.view),
    shape_ops.reshape: _view_or_reshape(shape_ops.reshape), shape_ops.flatten: _flatten,
    shape_ops.unsqueeze: _unsqueeze, shape_ops.squeeze: _squeeze,
    shape_ops.expand: _expand, shape_ops.METHODS["expand_as"]: _expand_as,
}
