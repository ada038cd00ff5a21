"""``ct.Tensor``: a torch-like tensor over a backend array, with autograd.

Interface used by other modules: a Tensor keeps its backend array (NumPy now,
CuPy for ``device="cuda"``) in ``t._data``; ``wrap(array, requires_grad=False)``
makes a Tensor from a backend array without copying.  Differentiable ops are
built with :func:`contract.autograd.graph.record`.  Most methods live in
``contract/ops_*.py`` (reductions, elementwise maps, products, shapes) and are
attached to the class at import time; every reduction, broadcast product and
matmul is lowered to an einsum equation text (see the README table).

>>> import contract as ct
>>> x = ct.tensor([[1., 2.], [3., 4.]], requires_grad=True)
>>> x.shape, x.dtype, x.device, x.is_leaf
(ct.Size([2, 2]), dtype('float32'), device(type='cpu'), True)
>>> (x * x).sum()
tensor(30., grad_fn=<SumBackward0>)
"""
import weakref

import numpy as np

from contract.autograd.graph import Node, backward, is_grad_enabled
from contract.backends import backend_for
from contract.errors import ContractError
from contract.tensors.format import format_tensor


class Size(tuple):
    """A shape (a tuple), printed as ``ct.Size([2, 3])`` (torch prints ``torch.Size``).

    >>> import contract as ct
    >>> s = ct.zeros(2, 3).shape
    >>> s, s[1], tuple(s)
    (ct.Size([2, 3]), 3, (2, 3))
    """

    __slots__ = ()

    def __repr__(self):
        return f"ct.Size({list(self)})"

    def numel(self):
        """The number of elements of a tensor of this shape.

        >>> import contract as ct
        >>> ct.Size([2, 3]).numel()
        6
        """
        n = 1
        for d in self:
            n *= d
        return n


class Device(str):
    """``"cpu"`` (NumPy) or ``"cuda"`` (CuPy); equal to its string."""

    @property
    def type(self):
        return str(self).split(":")[0]

    def __repr__(self):
        return f"device(type='{self.type}')"


CPU, CUDA = Device("cpu"), Device("cuda")
_ndarray = np.ndarray
_FLOAT32, _COMPLEX64, _INT64 = np.dtype("float32"), np.dtype("complex64"), np.dtype("int64")


def _xp_of(array):
    """The array module of a backend array (NumPy checked first: the common case)."""
    if type(array) is _ndarray:
        return np
    return backend_for([array]).xp


# -- arrays from data, and between devices ---------------------------------------------
def to_device(array, device):
    """``array`` on ``device`` (``"cpu"``: as it is; ``"cuda"``: a CuPy copy)."""
    if device is None or str(device).startswith("cpu"):
        return array
    if str(device).startswith("cuda"):
        try:
            import cupy
        except ImportError:
            raise ContractError("device 'cuda' needs CuPy (pip install cupy-cuda12x) and a "
                                "GPU; CuPy is not installed here") from None
        return cupy.asarray(array)
    raise ContractError(f"unknown device {device!r}: use 'cpu' or 'cuda'")


def default_dtype(array):
    """torch's dtype for data of ``array``'s kind (float32, complex64, int64)."""
    kind = array.dtype.kind
    if kind == "f":
        return _FLOAT32
    if kind == "c":
        return _COMPLEX64
    if kind in "iu":
        return _INT64
    return array.dtype


def read_data(data):
    """A backend array from data, with the inferred dtype (torch's rules)."""
    if isinstance(data, Tensor):
        return data._data.copy()
    if hasattr(data, "__array_namespace__") or isinstance(data, np.ndarray):
        return data.copy()
    if isinstance(data, (list, tuple)) and any(isinstance(x, Tensor) for x in _flat(data)):
        data = _nested(data)
    try:
        array = np.asarray(data)
    except (ValueError, TypeError) as err:
        raise ContractError(f"cannot build a tensor from {type(data).__name__}: {err}") from None
    if array.dtype == object or array.dtype.kind in "USV":
        raise ContractError(f"cannot build a tensor from {type(data).__name__} data of dtype "
                            f"{array.dtype}")
    if isinstance(data, np.generic):
        return array.copy()
    return array.astype(default_dtype(array))


def _flat(data):
    for x in data:
        if isinstance(x, (list, tuple)):
            yield from _flat(x)
        else:
            yield x


def _nested(data):
    if isinstance(data, Tensor):
        return data.item() if data.ndim == 0 else data.tolist()
    if isinstance(data, (list, tuple)):
        return [_nested(x) for x in data]
    return data


def to_host(array):
    """A NumPy array from a backend array (CuPy arrays are copied to the host)."""
    if isinstance(array, (np.ndarray, np.generic)) and \
            type(array).__module__.split(".")[0] == "numpy":
        return array
    return _xp_of(array).asnumpy(array)




def wrap(array, requires_grad=False):
    """A leaf Tensor over a backend ``array`` (no copy).

    >>> import numpy as np
    >>> wrap(np.arange(3.)).tolist()
    [0.0, 1.0, 2.0]
    """
    t = Tensor._wrap(array)
    if requires_grad:
        t.requires_grad_(True)
    return t


class Tensor:
    """An n-dimensional array with autograd; create it with ``ct.tensor`` & co.

    Its array is NumPy (``device="cpu"``) or CuPy (``"cuda"``); ``requires_grad``, ``grad`` and
    ``grad_fn`` are torch's autograd attributes.

    >>> import contract as ct
    >>> w = ct.tensor([[1., 2.], [3., 4.]], requires_grad=True)
    >>> loss = (w @ ct.ones(2)).sum()
    >>> loss.backward(); w.grad
    tensor([[1., 1.],
            [1., 1.]])
    """

    # _view: how this tensor was made as a view of another (contract/views.py), or None;
    # _views: on a tensor that has views, weak references to them (re-derived after a
    # recorded in-place update), or None
    __slots__ = ("_data", "requires_grad", "grad", "grad_fn", "_view", "_views", "__weakref__")
    __array_priority__ = 1000
    __array_ufunc__ = None     # ndarray (op) Tensor defers to the Tensor's reflected operator

    def __init__(self, data, requires_grad=False):
        self._data, self.grad, self.grad_fn = read_data(data), None, None
        self.requires_grad = False
        self._view = self._views = None
        if requires_grad:
            self.requires_grad_(True)

    @classmethod
    def _wrap(cls, array):
        if type(array) is not _ndarray and isinstance(array, np.generic):
            array = np.asarray(array)       # NumPy scalars from full reductions -> 0-d
        t = object.__new__(cls)      # not cls.__new__: subclasses (Parameter) define their own
        t._data, t.grad, t.grad_fn, t.requires_grad = array, None, None, False
        t._view = t._views = None
        return t

    # -- attributes -------------------------------------------------------------
    @property
    def _xp(self):
        return _xp_of(self._data)

    @property
    def shape(self):
        """The size of each dimension, a :class:`Size` (a tuple).

        >>> import contract as ct
        >>> ct.zeros(2, 3).shape
        ct.Size([2, 3])
        """
        return Size(self._data.shape)

    @property
    def dtype(self):
        """The element type (a NumPy dtype; ``ct.float32`` is ``np.dtype("float32")``).

        >>> import contract as ct
        >>> ct.tensor([1, 2]).dtype, ct.tensor([1., 2.]).dtype == ct.float32
        (dtype('int64'), True)
        """
        return self._data.dtype

    @property
    def ndim(self):
        """The number of dimensions (``dim()``).

        >>> import contract as ct
        >>> ct.zeros(2, 3).ndim, ct.tensor(1.).ndim
        (2, 0)
        """
        return self._data.ndim

    @property
    def device(self):
        """``device(type='cpu')`` for a NumPy array, ``device(type='cuda')`` for CuPy.

        >>> import contract as ct
        >>> ct.zeros(2).device, ct.zeros(2).device == "cpu"
        (device(type='cpu'), True)
        """
        return CPU if type(self._data).__module__.split(".")[0] == "numpy" else CUDA

    @property
    def is_leaf(self):
        """True for a tensor that no recorded op made (its ``.grad`` is kept).

        >>> import contract as ct
        >>> x = ct.ones(2, requires_grad=True)
        >>> x.is_leaf, (x * 2).is_leaf
        (True, False)
        """
        return self.grad_fn is None

    @property
    def T(self):
        """All dimensions reversed (a view; the transpose of a matrix).

        >>> import contract as ct
        >>> ct.tensor([[1., 2.], [3., 4.]]).T
        tensor([[1., 3.],
                [2., 4.]])
        """
        return self.permute(*range(self.ndim - 1, -1, -1))

    @property
    def mT(self):
        """The last two dimensions transposed (a view), as torch's ``mT``.

        >>> import contract as ct
        >>> ct.zeros(5, 2, 3).mT.shape
        ct.Size([5, 3, 2])
        """
        if self.ndim < 2:
            raise ContractError(f"tensor.mT is only supported on matrices or batches of "
                                f"matrices. Got {self.ndim}-D tensor.")
        return self.transpose(-2, -1)

    @property
    def data(self):
        """The same values without the graph (``detach()``), as torch's ``.data``.

        >>> import contract as ct
        >>> x = ct.ones(2, requires_grad=True)
        >>> (x * 2).data
        tensor([2., 2.])
        """
        return self.detach()

    def size(self, dim=None):
        """The shape, or the size of dimension ``dim`` (negative counts from the end).

        >>> import contract as ct
        >>> x = ct.zeros(2, 3)
        >>> x.size(), x.size(-1)
        (ct.Size([2, 3]), 3)
        """
        if dim is None:
            return self.shape
        return self._data.shape[_dim(dim, self.ndim)]

    def dim(self):
        """The number of dimensions.

        >>> import contract as ct
        >>> ct.zeros(2, 3, 4).dim()
        3
        """
        return self._data.ndim

    def numel(self):
        """The number of elements.

        >>> import contract as ct
        >>> ct.zeros(2, 3).numel()
        6
        """
        return int(self._data.size)

    def element_size(self):
        """Bytes per element.

        >>> import contract as ct
        >>> ct.zeros(2).element_size(), ct.zeros(2, dtype=ct.float64).element_size()
        (4, 8)
        """
        return self._data.itemsize

    def stride(self, dim=None):
        """Steps in elements (not bytes) between neighbours along each dimension.

        >>> import contract as ct
        >>> x = ct.zeros(2, 3)
        >>> x.stride(), x.t().stride(), x.stride(0)
        ((3, 1), (1, 3), 3)
        """
        size = self._data.itemsize
        strides = tuple(s // size for s in self._data.strides)
        return strides if dim is None else strides[_dim(dim, self.ndim)]

    def is_contiguous(self):
        """True when the elements lie in row-major order without gaps.

        >>> import contract as ct
        >>> x = ct.zeros(2, 3)
        >>> x.is_contiguous(), x.t().is_contiguous(), x.t().contiguous().is_contiguous()
        (True, False, True)
        """
        return bool(self._data.flags.c_contiguous)

    def data_ptr(self):
        """The address of the first element (views of one tensor share memory).

        >>> import contract as ct
        >>> x = ct.zeros(4)
        >>> x.view(2, 2).data_ptr() == x.data_ptr(), x.clone().data_ptr() == x.data_ptr()
        (True, False)
        """
        data = self._data
        if hasattr(data, "__array_interface__"):
            return data.__array_interface__["data"][0]
        return data.data.ptr

    def is_floating_point(self):
        """True for a float dtype (float16, float32, float64).

        >>> import contract as ct
        >>> ct.tensor([1.]).is_floating_point(), ct.tensor([1]).is_floating_point()
        (True, False)
        """
        return self._data.dtype.kind == "f"

    def is_complex(self):
        """True for a complex dtype.

        >>> import contract as ct
        >>> ct.tensor([1j]).is_complex(), ct.tensor([1.]).is_complex()
        (True, False)
        """
        return self._data.dtype.kind == "c"

    # -- autograd ---------------------------------------------------------------
    def requires_grad_(self, requires_grad=True):
        """Start (or stop) recording operations on this leaf for autograd; returns ``self``.

        >>> import contract as ct
        >>> x = ct.zeros(2).requires_grad_()
        >>> x.requires_grad, (x + 1).grad_fn
        (True, <AddBackward0>)
        """
        if requires_grad and self._data.dtype.kind not in "fc":
            raise ContractError(f"only tensors of floating point and complex dtype can require "
                                f"gradients (this one is {self._data.dtype})")
        if self.grad_fn is not None and not requires_grad:
            raise ContractError("you can only change requires_grad flags of leaf variables")
        self.requires_grad = bool(requires_grad)
        return self

    def retain_grad(self):
        """Keep ``.grad`` on this non-leaf tensor in the next backward passes (torch's).

        >>> import contract as ct
        >>> x = ct.ones(2, requires_grad=True); y = x * 3; y.retain_grad()
        >>> (y * y).sum().backward(); y.grad
        tensor([6., 6.])
        """
        if not self.requires_grad:
            raise ContractError("can't retain_grad on Tensor that has requires_grad=False")
        if self.grad_fn is not None:
            self.grad_fn.retained = weakref.ref(self)

    @property
    def retains_grad(self):
        """True when ``retain_grad()`` was called on this non-leaf tensor.

        >>> import contract as ct
        >>> y = ct.ones(2, requires_grad=True) * 3
        >>> y.retains_grad, (y.retain_grad(), y.retains_grad)[1]
        (False, True)
        """
        node = self.grad_fn
        return node is not None and node.retained is not None and node.retained() is self

    def backward(self, gradient=None, retain_graph=False):
        """Accumulate d(self)/d(leaf) into each leaf's ``.grad``.

        >>> import contract as ct
        >>> x = ct.tensor([1., 2.], requires_grad=True)
        >>> (x * x).sum().backward(); x.grad
        tensor([2., 4.])
        """
        backward(self, gradient, retain_graph)

    @staticmethod
    def _as_grad(array):
        """The ``.grad`` Tensor of a gradient array (autograd calls this on leaves)."""
        return Tensor._wrap(array)

    def detach(self):
        """The same array as a new leaf outside the graph (shares memory, no gradient).

        >>> import contract as ct
        >>> x = ct.ones(2, requires_grad=True)
        >>> y = (x * 2).detach()
        >>> y, y.requires_grad
        (tensor([2., 2.]), False)
        """
        return Tensor._wrap(self._data)

    def detach_(self):
        """Cut this tensor from the graph in place (it becomes a leaf); returns ``self``.

        >>> import contract as ct
        >>> y = ct.ones(2, requires_grad=True) * 2
        >>> y.detach_().is_leaf, y.requires_grad
        (True, False)
        """
        self.grad_fn, self.requires_grad = None, False
        return self

    # -- conversions ------------------------------------------------------------
    def item(self):
        """The value of a one-element tensor as a Python number.

        >>> import contract as ct
        >>> ct.tensor([[2.5]]).item(), ct.tensor(3).item()
        (2.5, 3)
        """
        if self._data.size != 1:
            raise ContractError(f"a Tensor with {self._data.size} elements cannot be converted "
                                f"to a Python scalar")
        return self._data.reshape(()).item()

    def tolist(self):
        """The values as (nested) Python lists of numbers.

        >>> import contract as ct
        >>> ct.tensor([[1, 2], [3, 4]]).tolist()
        [[1, 2], [3, 4]]
        """
        return self._data.tolist()

    def numpy(self):
        """The NumPy array under a CPU tensor (shared, not copied); refused when it requires
        grad (``detach()`` first), as in torch.

        >>> import contract as ct
        >>> x = ct.zeros(2)
        >>> a = x.numpy(); a[0] = 5.
        >>> x
        tensor([5., 0.])
        """
        if self.requires_grad:
            raise ContractError("can't call numpy() on a Tensor that requires grad; use "
                                "tensor.detach().numpy() instead")
        if self.device != CPU:
            raise ContractError("can't convert a cuda tensor to numpy; use .cpu() first")
        return self._data

    def __array__(self, dtype=None, copy=None):
        data = self.detach().cpu()._data
        return data if dtype is None else data.astype(dtype)

    def __len__(self):
        if self.ndim == 0:
            raise ContractError("len() of a 0-d tensor")
        return self._data.shape[0]

    def __iter__(self):
        if self.ndim == 0:
            raise ContractError("iteration over a 0-d tensor")
        return (self[i] for i in range(self._data.shape[0]))

    def __bool__(self):
        if self._data.size != 1:
            raise ContractError(f"Boolean value of Tensor with {self._data.size} elements is "
                                f"ambiguous")
        return bool(self.item())

    def __float__(self):
        return float(self.item())

    def __int__(self):
        return int(self.item())

    def __index__(self):
        if self._data.dtype.kind not in "iub":
            raise ContractError("only integer tensors of a single element can be an index")
        return int(self.item())

    def __hash__(self):
        return id(self)

    def __repr__(self):
        return format_tensor(self, to_host(self._data))

    __str__ = __repr__


def _dim(dim, ndim):
    """A non-negative axis from a torch-style (possibly negative) ``dim``."""
    try:
        d = int(dim)
    except (TypeError, ValueError):
        raise ContractError(f"dim must be an int, got {dim!r}") from None
    lo, hi = (-1, 0) if ndim == 0 else (-ndim, ndim - 1)
    if not lo <= d <= hi:
        raise ContractError(f"Dimension out of range (expected to be in range of [{lo}, {hi}], "
                            f"but got {d})")
    return d + max(ndim, 1) if d < 0 else d       # a 0-d tensor: -1 and 0 both name dim 0


def record(name, data, parents, vjp):
    """Wrap ``data`` (a backend array) as a Tensor; attach a graph node when grad mode is on
    and a parent Tensor requires grad.  ``vjp(grad)`` returns a gradient array (or None) per
    parent; a gradient of a broadcast shape is summed back to its parent's shape.

    >>> import contract as ct
    >>> x = ct.tensor([1., 2.], requires_grad=True)
    >>> y = record("Twice", x._data * 2, (x,), lambda g: (g * 2,))
    >>> y.grad_fn
    <TwiceBackward0>
    >>> y.sum().backward(); x.grad
    tensor([2., 2.])
    """
    out = Tensor._wrap(data)
    if is_grad_enabled():
        for p in parents:
            if isinstance(p, Tensor) and p.requires_grad:
                out.grad_fn = Node(name + "Backward0", tuple(parents), vjp)
                out.requires_grad = True
                return out
    return out
