"""Version counters: torch's check that a tensor saved for backward was not modified in place.

Tensors on one storage (a base, its views, ``detach()``) share one counter
(``t._vbox``, made when first needed); a write into the storage bumps it.
Each graph node remembers, at record time, the counters of its parents and of
its output; backward refuses a node whose counter has moved when its VJP
closure holds an array on that storage (the tensors it saved), with torch's
message.  A node that saved nothing from that tensor (``a + b``) still runs.

>>> import contract as ct
>>> w = ct.ones(2, requires_grad=True)
>>> a = ct.ones(2)
>>> y = (a * w).sum()
>>> a += 1                      # a was saved by the product, for w's gradient
>>> y.backward()
Traceback (most recent call last):
...
contract.errors.ContractError: one of the variables needed for gradient computation has been modified by an inplace operation: [float32 (2,)] is at version 1; expected version 0 instead
"""
import functools
import weakref

from contract.errors import ContractError


class Version:
    """One storage's in-place write count, a weak reference to its array and its views."""

    __slots__ = ("n", "ref", "views")

    def __init__(self, array):
        self.n = 0
        try:
            self.ref = weakref.ref(array)
        except TypeError:        # an array type without weak references: nothing to compare
            self.ref = None
        self.views = None        # a WeakSet of the views of this storage, made on demand


def version_of(tensor):
    """The counter of ``tensor``'s storage (made on first use)."""
    box = tensor._vbox
    if box is None:
        box = tensor._vbox = Version(tensor._data)
    return box


def bump(tensor):
    """Count one in-place write into ``tensor``'s storage."""
    version_of(tensor).n += 1


def saved_versions(parents, out):
    """``((counter, count), ...)`` for the Tensor parents and the output of a new node."""
    boxes = [version_of(p) for p in parents if hasattr(p, "_vbox")]
    boxes.append(version_of(out))
    return tuple((box, box.n) for box in boxes)


def check_versions(node):
    """Raise torch's error when a storage that ``node`` saved was written since it was made."""
    for box, n in node.versions:
        if box.n == n:
            continue
        array = box.ref() if box.ref is not None else None
        if array is None or not _holds(node.vjp, array):
            continue
        raise ContractError(
            f"one of the variables needed for gradient computation has been modified by an "
            f"inplace operation: [{array.dtype} {tuple(array.shape)}] is at version {box.n}; "
            f"expected version {n} instead")


def _holds(vjp, array):
    """True when the closure of ``vjp`` keeps an array that may share memory with ``array``."""
    from contract.tensor import _xp_of
    shares = _xp_of(array).may_share_memory
    return any(shares(a, array) for a in _arrays_in(vjp, 4, set())
               if type(a) is type(array))


def _arrays_in(obj, depth, seen):
    """The arrays reachable from ``obj`` through closures, partials, containers and Tensors."""
    if depth < 0 or id(obj) in seen:
        return
    seen.add(id(obj))
    if hasattr(obj, "__array_interface__") or hasattr(obj, "__cuda_array_interface__"):
        yield obj
    elif hasattr(obj, "_vbox"):                                # a Tensor
        yield obj._data
    elif isinstance(obj, (tuple, list, set, frozenset)):
        for item in obj:
            yield from _arrays_in(item, depth - 1, seen)
    elif isinstance(obj, dict):
        for item in obj.values():
            yield from _arrays_in(item, depth - 1, seen)
    elif isinstance(obj, functools.partial):
        yield from _arrays_in((obj.func, obj.args, obj.keywords or {}), depth - 1, seen)
    elif callable(obj):
        for cell in getattr(obj, "__closure__", None) or ():
            try:
                content = cell.cell_contents
            except ValueError:      # an empty cell
                continue
            yield from _arrays_in(content, depth - 1, seen)
