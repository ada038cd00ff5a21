"""Storage versions: torch's check that a tensor saved for backward was not modified in place.

Recording costs one clock tick per graph node (``node.t``).  An in-place write
into an array (``note_write``) logs the tick on the array's storage, the
memory owner at the end of its ``.base`` chain, so a write through any view
or alias counts for all of them, as torch's per-storage version counter does.
Backward checks a node only when some write happened after it was recorded:
it then refuses the node if its VJP closure holds an array on a storage
written since (the tensors it saved), with torch's message.  A node that saved
nothing from the written tensor (``a + b``, ``a[[0, 1]]``) still runs.

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
import bisect
import functools
import itertools
import weakref

from contract.errors import ContractError

_CLOCK = itertools.count(1)
tick = _CLOCK.__next__          # the time of a new node (or write)
LAST_WRITE = [0]                # the time of the latest in-place write (read by backward)
_WRITES = {}                    # id(storage owner) -> _Log
_KEEP = 64                      # write times kept per storage (older ones are counted)


class _Log:
    """The in-place writes into one storage: a weak reference to it and their times."""

    __slots__ = ("ref", "times", "dropped")

    def __init__(self, owner):
        self.ref = weakref.ref(owner)
        self.times, self.dropped = [], 0

    def version_at(self, t):
        """How many writes happened before time ``t`` (torch's version number then)."""
        return self.dropped + bisect.bisect_left(self.times, t)


def _owner(array):
    """The array that owns ``array``'s memory (the end of its ``.base`` chain)."""
    base = getattr(array, "base", None)
    while base is not None and hasattr(base, "shape"):
        array, base = base, getattr(base, "base", None)
    return array


def note_write(array):
    """Log an in-place write into ``array`` (any view of a storage)."""
    owner = _owner(array)
    log = _WRITES.get(id(owner))
    if log is None or log.ref() is not owner:
        if len(_WRITES) > 4096:
            _purge()
        try:
            log = _WRITES[id(owner)] = _Log(owner)
        except TypeError:       # an array type without weak references: not tracked
            return
    now = tick()
    log.times.append(now)
    if len(log.times) > _KEEP:
        log.dropped += len(log.times) - _KEEP // 2
        del log.times[:len(log.times) - _KEEP // 2]
    LAST_WRITE[0] = now


def _purge():
    for key, log in list(_WRITES.items()):
        if log.ref() is None:
            del _WRITES[key]


def check_versions(node):
    """Raise torch's error when an array that ``node`` saved was written since it was made."""
    for array in _arrays_in(node.vjp, 4, set()):
        owner = _owner(array)
        log = _WRITES.get(id(owner))
        if log is None or log.ref() is not owner or log.times[-1] < node.t:
            continue
        raise ContractError(
            f"one of the variables needed for gradient computation has been modified by an "
            f"inplace operation: [{array.dtype} {tuple(array.shape)}] is at version "
            f"{log.dropped + len(log.times)}; expected version {log.version_at(node.t)} instead")


def _arrays_in(obj, depth, seen):
    """The arrays reachable from ``obj`` through closures, partials, containers and Tensors."""
    if depth < 0 or id(obj) in seen:
        return
    seen.add(id(obj))
    if hasattr(obj, "__array_interface__") or hasattr(obj, "__cuda_array_interface__"):
        if hasattr(obj, "base"):                               # not a NumPy scalar
            yield obj
    elif hasattr(obj, "_view"):                                # a Tensor
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
