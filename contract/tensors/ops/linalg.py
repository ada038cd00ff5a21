"""Products lowered to einsum equations: ``@ matmul mm bmm dot outer tensordot trace diagonal``.

Each wrapper writes an equation (cached per ranks/axes) and runs it through the
cached planner, so ``a @ b`` on matrices is ``ab,bc->ac`` and reaches BLAS.

>>> import contract as ct
>>> matmul_equation(3, 1)
'abc,c->ab'
>>> ct.trace(ct.tensor([[1., 2., 3.], [4., 5., 6.]]))
tensor(6.)
"""
from functools import lru_cache

from contract.tensors.einsum import run_equation
from contract.errors import ContractError, ShapeError
from contract.engine.kernels.real import LETTERS
from contract.tensors.ops.broadcast import pair
from contract.tensors.core import Tensor, _dim


def _run(name, text, *tensors):
    return run_equation(name, text, *tensors)


def _both_tensors(name, a, b):
    for value in (a, b):
        if not isinstance(value, Tensor):
            raise ContractError(f"{name}(): expected Tensor arguments, got "
                                f"{type(value).__name__}")


def _tensors(*values):
    if len(values) == 2:
        return pair(*values)
    return values


@lru_cache(maxsize=1024)
def matmul_equation(na, nb):
    """torch.matmul's rules as an einsum: 1-D operands, batch broadcasting."""
    if na == 0 or nb == 0:
        raise ContractError("both arguments to matmul need to be at least 1D, but they are "
                            f"{na}D and {nb}D")
    if na == 1 and nb == 1:
        return "a,a->"
    batch = LETTERS[:max(na, nb) - 2] if max(na, nb) > 2 else ""
    x, y, z = LETTERS[len(batch):len(batch) + 3]
    if na == 1:
        bb = batch[len(batch) - (nb - 2):]
        return f"{y},{bb}{y}{z}->{bb}{z}"
    if nb == 1:
        ba = batch[len(batch) - (na - 2):]
        return f"{ba}{x}{y},{y}->{ba}{x}"
    ba, bb = batch[len(batch) - (na - 2):], batch[len(batch) - (nb - 2):]
    return f"{ba}{x}{y},{bb}{y}{z}->{batch}{x}{z}"


def matmul_text(sa, sb):
    """The einsum of ``a @ b`` for shapes ``sa``, ``sb``, with torch's shape check.

    >>> matmul_text((2, 3), (3,))
    'ab,b->a'
    """
    text = matmul_equation(len(sa), len(sb))
    k_a = sa[-1]
    k_b = sb[0] if len(sb) == 1 else sb[-2]
    if k_a != k_b:
        shown = "x".join(map(str, sa)), "x".join(map(str, sb))
        raise ShapeError(f"shapes {tuple(sa)} and {tuple(sb)} cannot be multiplied "
                         f"({shown[0]} and {shown[1]}): {k_a} != {k_b}")
    return text


def matmul(input, other):
    """Matrix product with torch's shape rules (``a @ b``).

    ``ij,jk->ik`` for matrices; a 1-D operand is a vector (``ij,j->i``, ``i,i->``); leading
    batch dimensions broadcast (``...ij,...jk->...ik``).

    >>> import contract as ct
    >>> a = ct.tensor([[1., 2.], [3., 4.]])
    >>> ct.matmul(a, ct.tensor([1., 0.])), (a @ a).tolist()
    (tensor([1., 3.]), [[7.0, 10.0], [15.0, 22.0]])
    >>> ct.matmul(ct.ones(5, 1, 2, 3), ct.ones(4, 3, 6)).shape
    ct.Size([5, 4, 2, 6])
    """
    a, b = _tensors(input, other)
    sa, sb = a._data.shape, b._data.shape
    return _run("Mm" if len(sa) == len(sb) == 2 else "Matmul", matmul_text(sa, sb), a, b)


def mm(input, mat2):
    """Product of two matrices.

    >>> import contract as ct
    >>> ct.mm(ct.tensor([[1., 2.]]), ct.tensor([[3.], [4.]]))
    tensor([[11.]])
    """
    if input.ndim != 2 or mat2.ndim != 2:
        raise ShapeError(f"mm expects two matrices, got shapes {tuple(input.shape)} and "
                         f"{tuple(mat2.shape)}")
    return matmul(input, mat2)


def bmm(input, mat2):
    """Batched product of two 3-D tensors with the same batch size.

    >>> import contract as ct
    >>> ct.bmm(ct.ones(8, 2, 3), ct.ones(8, 3, 4)).shape
    ct.Size([8, 2, 4])
    """
    if input.ndim != 3 or mat2.ndim != 3 or input.shape[0] != mat2.shape[0]:
        raise ShapeError(f"bmm expects (b, n, m) and (b, m, p), got {tuple(input.shape)} and "
                         f"{tuple(mat2.shape)}")
    return matmul(input, mat2)


def dot(input, other):
    """Inner product of two 1-D tensors: ``a,a->``.

    >>> import contract as ct
    >>> ct.dot(ct.tensor([1., 2.]), ct.tensor([3., 4.]))
    tensor(11.)
    """
    _both_tensors("dot", input, other)
    if input.ndim != 1 or other.ndim != 1 or input.shape != other.shape:
        raise ShapeError(f"dot expects two 1-D tensors of the same size, got "
                         f"{tuple(input.shape)} and {tuple(other.shape)}")
    return _run("Dot", "a,a->", *pair(input, other))


def outer(input, vec2):
    """Outer product of two 1-D tensors: ``a,b->ab``.

    >>> import contract as ct
    >>> ct.outer(ct.tensor([1., 2.]), ct.tensor([1., 10., 100.]))
    tensor([[  1.,  10., 100.],
            [  2.,  20., 200.]])
    """
    _both_tensors("outer", input, vec2)
    if input.ndim != 1 or vec2.ndim != 1:
        raise ShapeError(f"outer expects 1-D tensors, got {tuple(input.shape)} and "
                         f"{tuple(vec2.shape)}")
    a, b = pair(input, vec2)          # torch's promotion (int with float32 is float32)
    return _run("Outer", "a,b->ab", a, b)


@lru_cache(maxsize=1024)
def tensordot_equation(na, nb, dims_a, dims_b):
    """Einsum contracting ``dims_a`` of a with ``dims_b`` of b (pairwise)."""
    la = list(LETTERS[:na])
    lb = list(LETTERS[na:na + nb])
    for i, j in zip(dims_a, dims_b):
        lb[j] = la[i]
    out = [c for k, c in enumerate(la) if k not in dims_a]
    out += [c for k, c in enumerate(lb) if k not in dims_b]
    return "".join(la) + "," + "".join(lb) + "->" + "".join(out)


def tensordot_axes(shape_a, shape_b, dims):
    """The contracted axes ``(dims_a, dims_b)`` of ``tensordot(a, b, dims)`` (checked).

    >>> tensordot_axes((2, 3, 4), (3, 4, 5), 2), tensordot_axes((2, 3), (3, 2), ([0], [1]))
    (((1, 2), (0, 1)), ((0,), (1,)))
    """
    na, nb = len(shape_a), len(shape_b)
    if isinstance(dims, int):
        if dims < 0 or dims > min(na, nb):
            raise ContractError(f"tensordot: dims={dims} out of range for ranks {na}, {nb}")
        dims_a, dims_b = tuple(range(na - dims, na)), tuple(range(dims))
    else:
        try:
            dims_a, dims_b = (tuple(_dim(d, n) for d in (ds if isinstance(ds, (list, tuple))
                                                         else [ds]))
                              for ds, n in zip(dims, (na, nb)))
        except (TypeError, ValueError):
            raise ContractError(f"tensordot: dims must be an int or a pair of lists, got "
                                f"{dims!r}") from None
    if len(dims_a) != len(dims_b):
        raise ContractError(f"tensordot: both dims lists need the same length: {dims!r}")
    for i, j in zip(dims_a, dims_b):
        if shape_a[i] != shape_b[j]:
            raise ShapeError(f"tensordot: contracted dimension {i} of a (size {shape_a[i]}) and "
                             f"{j} of b (size {shape_b[j]}) differ")
    return dims_a, dims_b


def tensordot(a, b, dims=2):
    """``tensordot(a, b, dims)``: ``dims`` an int or a pair of lists.

    An int ``n`` contracts the last ``n`` axes of ``a`` with the first ``n`` of ``b``.

    >>> import contract as ct
    >>> ct.tensordot(ct.ones(2, 3, 4), ct.ones(3, 4, 5)).shape
    ct.Size([2, 5])
    >>> ct.tensordot(ct.ones(3, 2), ct.ones(3, 4), dims=([0], [0]))[0]
    tensor([3., 3., 3., 3.])
    """
    dims_a, dims_b = tensordot_axes(tuple(a.shape), tuple(b.shape), dims)
    return _run("Tensordot", tensordot_equation(a.ndim, b.ndim, dims_a, dims_b), *pair(a, b))


@lru_cache(maxsize=1024)
def diagonal_equation(ndim, dim1, dim2):
    """``ii->i`` generalised: the diagonal of axes dim1, dim2 goes last."""
    labels = list(LETTERS[:ndim])
    labels[dim2] = labels[dim1]
    rest = "".join(c for k, c in enumerate(labels) if k not in (dim1, dim2))
    return "".join(labels) + "->" + rest + labels[dim1]


def diagonal(input, offset=0, dim1=0, dim2=1):
    """The diagonal (with ``offset``) of axes ``dim1``, ``dim2``, appended last.

    A view, as torch's: ``ii->i`` of a matrix; ``offset > 0`` is above the main diagonal.

    >>> import contract as ct
    >>> a = ct.tensor([[1., 2.], [3., 4.]])
    >>> ct.diagonal(a), a.diagonal(offset=1), ct.ones(5, 2, 2).diagonal(dim1=1, dim2=2).shape
    (tensor([1., 4.]), tensor([2.]), ct.Size([5, 2]))
    """
    d1, d2 = _dim(dim1, input.ndim), _dim(dim2, input.ndim)
    if d1 == d2:
        raise ContractError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    n1, n2 = input.shape[d1], input.shape[d2]
    start1, start2 = (0, offset) if offset >= 0 else (-offset, 0)
    length = max(0, min(n1 - start1, n2 - start2))
    index = [slice(None)] * input.ndim
    index[d1] = slice(start1, start1 + length)
    index[d2] = slice(start2, start2 + length)
    square = input if (length, length) == (n1, n2) else input[tuple(index)]
    return _run("Diagonal", diagonal_equation(input.ndim, d1, d2), square)


def trace(input):
    """Sum of the main diagonal of a matrix (non-square allowed): ``ii->``.

    >>> import contract as ct
    >>> ct.trace(ct.arange(6.).reshape(2, 3))
    tensor(4.)
    """
    if input.ndim != 2:
        raise ShapeError(f"trace expects a matrix, got shape {tuple(input.shape)}")
    k = min(input.shape)
    square = input if input.shape[0] == input.shape[1] else input[:k, :k]
    return _run("Trace", "aa->", square)


def _rmatmul(self, other):
    return matmul(other, self)


METHODS = {"__matmul__": matmul, "__rmatmul__": _rmatmul, "matmul": matmul, "mm": mm,
           "bmm": bmm, "dot": dot, "outer": outer, "diagonal": diagonal, "trace": trace}
