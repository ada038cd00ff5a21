"""Reverse-mode autograd over backend arrays: graph nodes, grad modes and ``backward``.

A differentiable op (in the Tensor stage: ``contract.tensors.core.record``) wraps its
result and, when grad mode is on and a parent requires grad, attaches a :class:`Node`
named like torch's (``f"{name}Backward0"``) holding ``vjp(grad_array)``, which returns a
tuple of gradient arrays (or None) aligned with the parents.  A gradient may have a
broadcast shape: it is summed back to its parent's shape (see :func:`unbroadcast`)
before it is accumulated.

``backward`` visits nodes in topological order, accumulates gradients in a local dict
(not on interior nodes) and only leaves get ``.grad``: a leaf's contributions of one pass
are summed first and added to ``.grad`` once, as torch does (so a second identical pass
gives exactly twice the first).  A second backward through the
same graph without ``retain_graph=True`` raises.  This layer sees tensors only through
their attributes (``_data``, ``grad``, ``grad_fn``, ``requires_grad``, ``_xp``,
``_as_grad``): it imports nothing from the Tensor stage above it.

>>> import contract as ct
>>> x = ct.tensor([1., 2.], requires_grad=True)
>>> backward((x * x).sum()); x.grad
tensor([2., 4.])
"""
import threading

from contract.dtypes import grad_cast
from contract.errors import ContractError
from contract.autograd.versions import LAST_WRITE, check_versions, tick

class _State(threading.local):
    enabled = True


_STATE = _State()


def is_grad_enabled() -> bool:
    """True unless inside :func:`no_grad` (per thread).

    >>> import contract as ct
    >>> ct.is_grad_enabled(), ct.no_grad()(ct.is_grad_enabled)()
    (True, False)
    """
    return _STATE.enabled


def _set_enabled(mode):
    """Set the recording mode of this thread; returns the old one."""
    old = is_grad_enabled()
    _STATE.enabled = bool(mode)
    return old


class _GradMode:
    """``no_grad()`` / ``enable_grad()``: a context manager and a decorator."""

    def __init__(self, mode):
        self.mode = mode
        self.saved = []

    def __enter__(self):
        self.saved.append(_set_enabled(self.mode))
        return self

    def __exit__(self, *exc):
        _set_enabled(self.saved.pop())
        return False

    def __call__(self, fn):
        import functools

        @functools.wraps(fn)
        def wrapped(*args, **kwargs):
            with _GradMode(self.mode):
                return fn(*args, **kwargs)
        return wrapped


def no_grad():
    """Context manager (or decorator) that records no graph.

    >>> import contract as ct
    >>> x = ct.ones(2, requires_grad=True)
    >>> with ct.no_grad():
    ...     y = x * 2
    >>> y.requires_grad
    False
    """
    return _GradMode(False)


def enable_grad():
    """Context manager (or decorator) that turns recording back on.

    >>> import contract as ct
    >>> with ct.no_grad():
    ...     with ct.enable_grad():
    ...         ct.is_grad_enabled()
    True
    """
    return _GradMode(True)


class set_grad_enabled(_GradMode):
    """torch's ``set_grad_enabled(mode)``: takes effect at once when called as a function,
    and as a context manager restores the previous mode on exit.

    >>> import contract as ct
    >>> with ct.set_grad_enabled(False):
    ...     ct.is_grad_enabled()
    False
    >>> ct.is_grad_enabled()
    True
    """

    def __init__(self, mode):
        super().__init__(bool(mode))
        self.saved.append(_set_enabled(self.mode))

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self.saved:
            _set_enabled(self.saved.pop())
        return False


class Node:
    """A recorded op: its torch-like name, parent Tensors and VJP closure."""

    __slots__ = ("_name", "parents", "vjp", "freed", "edges", "t", "retained", "__weakref__")

    def __init__(self, name, parents, vjp):
        self._name = name
        self.parents = parents
        self.vjp = vjp
        self.freed = False
        # where each parent's gradient goes (its grad_fn, the leaf itself, or None), fixed at
        # record time so that a later in-place update of a parent does not re-route it
        self.edges = tuple([_edge(p) for p in parents])
        self.t = tick()         # its time: saved arrays written after it are refused
        self.retained = None    # a weak reference to the tensor that called retain_grad()

    def name(self):
        return self._name

    @property
    def next_functions(self):
        return tuple((e if isinstance(e, Node) else None, 0) for e in self.edges)

    def __repr__(self):
        return f"<{self._name}>"


def _edge(p):
    """The gradient target of parent ``p``: its node, itself (a leaf), or None."""
    if not getattr(p, "requires_grad", False):
        return None
    return p if p.grad_fn is None else p.grad_fn


def unbroadcast(xp, grad, shape):
    """Sum ``grad`` over the axes that broadcasting added to ``shape``.

    >>> import numpy as np
    >>> unbroadcast(np, np.ones((4, 3)), (1, 3))
    array([[4., 4., 4.]])
    """
    shape = tuple(shape)
    if tuple(grad.shape) == shape:
        return grad
    lead = grad.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(
        lead + k for k, n in enumerate(shape) if n == 1 and grad.shape[lead + k] != 1)
    if axes:
        grad = grad.sum(axis=axes, keepdims=True)
    if lead:
        grad = grad.reshape(grad.shape[lead:])
    if tuple(grad.shape) != shape:
        grad = xp.broadcast_to(grad, shape)
    return grad


def _topological(root):
    """Nodes reachable from ``root``, each before the nodes it depends on."""
    order, seen = [], set()
    stack = [(root, False)]
    while stack:
        node, done = stack.pop()
        if done:
            order.append(node)
            continue
        if id(node) in seen:
            continue
        seen.add(id(node))
        stack.append((node, True))
        for fn in node.edges:
            if isinstance(fn, Node) and id(fn) not in seen:
                stack.append((fn, False))
    order.reverse()
    return order


def _initial_gradient(tensor, gradient):
    xp = tensor._xp
    if gradient is None:
        if tensor._data.dtype.kind == "c":
            raise ContractError(f"grad can be implicitly created only for real scalar outputs "
                                f"but got {tensor._data.dtype}")
        if tensor._data.size != 1:
            raise ContractError(f"grad can be implicitly created only for scalar outputs; this "
                                f"tensor has shape {tuple(tensor.shape)}: pass gradient=")
        return xp.ones(tensor._data.shape, dtype=tensor._data.dtype)
    data = getattr(gradient, "_data", gradient)
    data = xp.asarray(data, dtype=tensor._data.dtype)
    if tuple(data.shape) != tuple(tensor.shape):
        raise ContractError(f"gradient has shape {tuple(data.shape)} but the tensor has shape "
                            f"{tuple(tensor.shape)}")
    return data


def _accumulate(grads, key, g):
    old = grads.get(key)
    grads[key] = g if old is None else old + g


def backward(tensor, gradient=None, retain_graph=False):
    """Compute gradients of ``tensor`` with respect to the leaves that require grad.

    >>> import contract as ct
    >>> x = ct.tensor([[5., 8.], [4., 6.]], requires_grad=True)
    >>> x.pow(3).sum().backward(); x.grad
    tensor([[ 75., 192.],
            [ 48., 108.]])
    """
    if not tensor.requires_grad:
        raise ContractError("element 0 of tensors does not require grad and does not have a "
                            "grad_fn")
    seed = _initial_gradient(tensor, gradient)
    if tensor.grad_fn is None:
        _to_leaf(tensor, seed)
        return
    nodes = _topological(tensor.grad_fn)
    grads = {id(tensor.grad_fn): seed, _HANDED: {id(seed)}, _LEAVES: {}}
    _walk(nodes, grads, retain_graph)
    handed = grads[_HANDED]
    for leaf, g in grads[_LEAVES].values():    # each leaf's sum of this pass, added once
        _to_leaf(leaf, g, handed)


def _walk(nodes, grads, retain_graph):
    """Run each node's VJP in topological order, its gradient summed first."""
    for node in nodes:
        g = grads.pop(id(node), None)
        if g is None:
            continue
        if node.freed:
            raise ContractError(
                "Trying to backward through the graph a second time (or directly access saved "
                "tensors after they have already been freed). Specify retain_graph=True if you "
                "need to backward through the graph a second time")
        if node.retained is not None:
            _retain(node, g)
        _run_node(node, g, grads)
        if not retain_graph:
            node.freed, node.vjp = True, None    # drop the saved arrays, as torch frees them


def _retain(node, g):
    """``retain_grad()``: the non-leaf tensor computed by ``node`` keeps its gradient."""
    t = node.retained()
    if t is not None and t.grad_fn is node:
        _to_leaf(t, g)


_HANDED = "arrays handed out"   # key in the backward dict: ids of arrays already given away
_LEAVES = "leaf gradients"      # key in the backward dict: {id(leaf): (leaf, summed gradient)}


def _run_node(node, g, grads):
    if node.t < LAST_WRITE[0]:      # something was written in place since it was recorded
        check_versions(node)
    parent_grads = node.vjp(g)
    if len(parent_grads) != len(node.parents):
        raise NotImplementedError(f"{node.name()}: its vjp returned {len(parent_grads)} "
                                  f"gradients for {len(node.parents)} parents")
    for p, edge, pg in zip(node.parents, node.edges, parent_grads):
        if pg is None or edge is None:
            continue
        pg = unbroadcast(p._xp, pg, p._data.shape)
        if pg.dtype != p._data.dtype:
            pg = grad_cast(pg, p._data.dtype)   # a real parent of a complex op: the real part
        if isinstance(edge, Node):
            _accumulate(grads, id(edge), pg)
        else:
            leaves = grads[_LEAVES]
            old = leaves.get(id(edge))
            leaves[id(edge)] = (edge, pg if old is None else old[1] + pg)


def _to_leaf(leaf, g, handed=None):
    """Accumulate into ``leaf.grad``: a writable array no other leaf or node shares.

    A gradient array is used as it is when it is a fresh, writable array not
    handed out before in this backward pass (the common case: a GEMM result);
    views, broadcasts and shared arrays are copied.
    """
    xp = leaf._xp
    if leaf.grad is None:
        fresh = (handed is not None and id(g) not in handed and g.base is None
                 and g.flags.writeable and g.flags.c_contiguous and g.dtype == leaf._data.dtype)
        if fresh:
            handed.add(id(g))
        else:
            g = xp.array(g, dtype=leaf._data.dtype, copy=True)
        leaf.grad = leaf._as_grad(g)
    elif _owned(leaf.grad._data, g, handed):
        leaf.grad._data += g           # torch accumulates into the same .grad tensor
    else:
        leaf.grad = leaf._as_grad(leaf.grad._data + g)


def _owned(old, g, handed):
    """Whether ``.grad``'s array may be added to in place: set before this backward pass
    (so no pending gradient of this pass is the same array), writable, of the same
    shape and dtype as the sum."""
    if handed is None or id(old) in handed or type(old) is not type(g):
        return False
    flags = getattr(old, "flags", None)
    return (flags is not None and flags.writeable and old.base is None
            and old.shape == g.shape and old.dtype == g.dtype)
