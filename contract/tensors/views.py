"""Views and in-place updates: torch's shared-storage semantics, with autograd.

A view (basic indexing, ``view``/``reshape`` when it shares memory, ``permute``
/``transpose``/``T``, ``squeeze``/``unsqueeze``, ``expand``) records how it was
made: ``t._view = ViewOf(root, fn)`` with ``fn(root._data)`` giving the view's
array.  Every view of a root is registered on the root's storage counter.

An in-place update with no gradient tracked writes into the shared array, so
the root and every view see it.  With a gradient tracked, the new value is
computed out of place and bound to the tensor (the graph keeps the old
arrays); when the tensor is a view, the root gets a ``CopySlices`` node
(``root_new = root_old.clone(); root_new[view_region] = view_new``) and a new
array, and every live view of the root is re-derived from it (an
``AsStridedBackward0`` node), as torch regenerates a view's ``grad_fn``.

>>> import contract as ct
>>> x = ct.tensor([1., 2., 3.], requires_grad=True)
>>> b = x * 1
>>> v = b[1:]
>>> v *= 10
>>> b
tensor([ 1., 20., 30.], grad_fn=<CopySlices>)
>>> b.sum().backward(); x.grad
tensor([ 1., 10., 10.])
"""
import weakref

import numpy as np

from contract.autograd import is_grad_enabled
from contract.errors import ContractError
from contract.tensors.core import Tensor, _xp_of, record


class ViewOf:
    """How a view was made: its root Tensor and ``fn`` (root array -> view array)."""

    __slots__ = ("root", "fn", "no_grad")

    def __init__(self, root, fn, no_grad=False):
        self.root, self.fn, self.no_grad = root, fn, no_grad


def mark_view(out, base, fn):
    """Record that ``out`` is ``fn(base)``, a view sharing ``base``'s memory; return ``out``.

    >>> import contract as ct
    >>> b = ct.zeros(2, 3)
    >>> v = mark_view(ct.Tensor._wrap(b._data[0]), b, lambda a: a[0])
    >>> v._view.root is b
    True
    """
    info = base._view
    no_grad = not is_grad_enabled()
    if info is None:
        root, full = base, fn
    else:
        root, full, no_grad = info.root, _compose(info.fn, fn), no_grad or info.no_grad
    out._view = ViewOf(root, full, no_grad)
    views = root._views
    if views is None:
        views = root._views = {}
    elif len(views) >= 64 and len(views) & (len(views) - 1) == 0:
        _live_views(root)           # drop dead entries now and then (at powers of two)
    views[id(out)] = weakref.ref(out)
    return out


def _compose(inner, outer):
    return lambda a: outer(inner(a))


def _live_views(root):
    """The views registered on ``root`` that are still alive (dead entries dropped)."""
    views = root._views or {}
    alive = []
    for key, ref in list(views.items()):
        v = ref()
        if v is None:
            del views[key]
        else:
            alive.append(v)
    return alive


def flat_index(root, fn):
    """For each element of the view ``fn(root)``, its C-order position in ``root``.

    >>> import contract as ct
    >>> flat_index(ct.zeros(2, 3), lambda a: a.T[1:])
    array([[1, 4],
           [2, 5]])
    """
    xp = _xp_of(root._data)
    return fn(xp.arange(root._data.size).reshape(root._data.shape))


def is_basic(idx):
    """True for an index of ints, slices, None and Ellipsis only (a view in torch and NumPy).

    >>> is_basic((0, slice(1, None), None, Ellipsis)), is_basic(([0, 1],))
    (True, False)
    """
    kind = type(idx)
    if kind is int or kind is slice:
        return True
    items = idx if kind is tuple else (idx,)
    return all(i is None or i is Ellipsis or isinstance(i, slice) or
               (isinstance(i, (int, np.integer)) and not isinstance(i, (bool, np.bool_)))
               for i in items)


# -- refusals ----------------------------------------------------------------------------
def check_overlap(array):
    """torch refuses to write into a tensor whose elements share memory (``expand``); a
    read-only array is refused too."""
    if array.size > 1 and any(s == 0 and n > 1 for s, n in zip(array.strides, array.shape)):
        raise ContractError("unsupported operation: more than one element of the written-to "
                            "tensor refers to a single memory location. Please clone() the "
                            "tensor before performing the operation.")
    if not getattr(getattr(array, "flags", None), "writeable", True):
        raise ContractError("the tensor's memory is read-only: clone() it before writing")


def tracked(t, other):
    """True when an in-place update of ``t`` by ``other`` is recorded for autograd."""
    if not is_grad_enabled():
        return False
    if t.requires_grad or getattr(other, "requires_grad", False):
        return True
    return t._view is not None and t._view.root.requires_grad


def check_tracked(t):
    """The refusals of a recorded in-place update of ``t`` (torch's rules)."""
    info = t._view
    if info is None:
        if t.requires_grad and t.grad_fn is None:
            raise ContractError("a leaf Variable that requires grad is being used in an "
                                "in-place operation; wrap the update in ct.no_grad()")
        if t.grad_fn is not None and _aliases_parent(t):
            raise ContractError(f"an in-place update of the output of {t.grad_fn.name()}, "
                                f"which is a view of its input made by an op that does not "
                                f"record how: clone() it first")
        return
    root = info.root
    if root.requires_grad and root.grad_fn is None:
        raise ContractError("a view of a leaf Variable that requires grad is being used in an "
                            "in-place operation; wrap the update in ct.no_grad()")
    if info.no_grad:
        raise ContractError("a view was created in no_grad mode and is being modified "
                            "in-place with grad mode enabled: make the view and update it "
                            "both inside ct.no_grad() or both outside")


def _aliases_parent(t):
    """True when ``t``'s array shares memory with one of its node's parents (a view made by
    an op that did not record it: its base could not be updated)."""
    shares = _xp_of(t._data).may_share_memory
    for p in t.grad_fn.parents:
        data = getattr(p, "_data", None)
        if data is not None and type(data) is type(t._data) and shares(data, t._data):
            return True
    return False


# -- commits -----------------------------------------------------------------------------
def commit(t, new):
    """Bind ``new`` (a Tensor of ``t``'s shape and dtype, with its graph) to ``t``; when
    ``t`` is a view, write it into the root through a ``CopySlices`` node."""
    info = t._view
    if info is None:
        _rebind(t, new._data, new.grad_fn)
        return t
    root = info.root
    xp = _xp(root._data)
    idx = flat_index(root, info.fn).reshape(-1)
    old = alias(root)
    flat = xp.array(root._data, order="C", copy=True).reshape(-1)
    flat[idx] = xp.ravel(new._data)
    shape, view_shape = root._data.shape, new._data.shape

    def vjp(g):
        gf = xp.array(g, order="C", copy=True).reshape(-1)
        g_new = gf[idx].reshape(view_shape)
        gf[idx] = 0
        return gf.reshape(shape), g_new
    out = record("CopySlices", flat.reshape(shape), (old, new), vjp)
    _name(out, "CopySlices")
    _rebind(root, out._data, out.grad_fn)
    return t


def _rebind(t, data, grad_fn):
    """Give ``t`` a new array and node; its views (if it is a root) are re-derived from it."""
    t._data, t.grad_fn, t.requires_grad = data, grad_fn, grad_fn is not None or t.requires_grad
    for v in _live_views(t):
        if v._view is not None and v._view.root is t:
            _rederive(v, t)


def _rederive(v, root):
    """Point view ``v`` at the root's new array, with a node from the root."""
    fn = v._view.fn
    data = fn(root._data)
    if not root.requires_grad:
        v._data = data
        return
    xp = _xp(data)
    idx = flat_index(root, fn).reshape(-1)
    shape, overlap = root._data.shape, any(s == 0 for s in data.strides)

    def vjp(g):
        full = xp.zeros(root_size, dtype=g.dtype)
        if overlap:
            xp.add.at(full, idx, xp.ravel(g))
        else:
            full[idx] = xp.ravel(g)
        return (full.reshape(shape),)
    root_size = root._data.size
    made = record("AsStrided", data, (root,), vjp)
    v._data, v.grad_fn, v.requires_grad = data, made.grad_fn, made.requires_grad


def alias(t):
    """A new Tensor on ``t``'s array and node (its value before an update)."""
    out = Tensor._wrap(t._data)
    out.grad_fn, out.requires_grad = t.grad_fn, t.requires_grad
    return out


def _name(out, name):
    if out.grad_fn is not None:
        out.grad_fn._name = name


def _xp(array):
    return _xp_of(array)
