"""The compiler's graph IR: a flat list of nodes over values, as a trace records them.

A :class:`Value` is an edge: an argument of the traced function (``"input"``), a
captured Tensor that needs a gradient (``"live"``: read at every call), a constant
(``"const"``: a captured array or Tensor without gradient, a scalar operand, or a
result folded at build time), or the result of a node (``"node"``).  A :class:`Node`
is one op: the real Tensor function and its arguments, with :class:`Ref` in place
of traced tensors, so that any node can be replayed as the eager op it was; a
multilinear node also has a :class:`Spec`, its einsum over its operand values, by
which the fusion pass puts it into a network.

>>> g = Graph()
>>> x = g.add_value((2, 3), "float64", False, "input")
>>> g.values[x].shape, Ref(x) == Ref(x)
((2, 3), True)
"""
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional, Tuple

import numpy as np

RINGS = ("real", "log", "maxplus", "minplus")   # rings a network can have


class Ref:
    """A traced tensor inside a node's argument template: the id of its value."""

    __slots__ = ("id",)

    def __init__(self, value_id):
        self.id = value_id

    def __eq__(self, other):
        return type(other) is Ref and other.id == self.id

    def __hash__(self):
        return hash(("Ref", self.id))

    def __repr__(self):
        return f"%{self.id}"


@dataclass(eq=False)
class Value:
    """One tensor of the program: its metadata and where it comes from."""

    id: int
    shape: Tuple[int, ...]
    dtype: np.dtype
    requires_grad: bool
    kind: str                      # "input", "live", "const" or "node"
    obj: Any = None                # the captured object (live, const)
    node: Optional[int] = None     # the producing node (kind "node")
    base: Optional[int] = None     # the value it is a view of (its storage's root), if any
    name: str = ""                 # how the program listing calls it


@dataclass(frozen=True)
class Spec:
    """A node's multilinear form: ``text`` over ``operands`` in ``ring``.

    ``ring``: ``"real"`` (sums of products), ``"log"`` / ``"maxplus"`` / ``"minplus"``
    (a reduction in that semiring), ``"add"`` (a broadcast sum: the product of those
    semirings) or ``"view"`` (a rearrangement, neutral in every ring).  ``bound``: the
    engine's :class:`~contract.engine.bind.Bound` of ``text`` on the operand shapes.
    ``expand``: the target shape of a broadcast view (its text is None).
    """

    ring: str
    text: Optional[str]
    operands: Tuple[int, ...]
    bound: Any = None                           # the text bound to the operand shapes
    expand: Optional[Tuple[int, ...]] = None


@dataclass(eq=False)
class Node:
    """One recorded op."""

    id: int
    fn: Callable
    name: str
    args: tuple                    # template: Ref for traced tensors
    kwargs: Dict[str, Any]
    outs: Tuple[int, ...]          # values it produces
    template: Any                  # what fn returns, with Ref for each produced Tensor
    spec: Optional[Spec] = None
    grad: bool = True              # grad mode when it was recorded
    epoch: int = 0                 # in-place updates recorded before it
    inplace: bool = False
    line: str = ""                 # where in the traced function
    pure: bool = True              # same arguments, same result (merged, folded): no RNG


@dataclass
class Graph:
    """Values and nodes in the order they were recorded (a topological order)."""

    values: List[Value] = field(default_factory=list)
    nodes: List[Node] = field(default_factory=list)

    def add_value(self, shape, dtype, requires_grad, kind, obj=None, node=None, base=None):
        """A new value; returns its id."""
        value = Value(len(self.values), tuple(shape), np.dtype(dtype), bool(requires_grad),
                      kind, obj, node, base)
        self.values.append(value)
        return value.id

    def add_node(self, **fields):
        """A new node (``fields`` as :class:`Node` has them, without ``id``); returns it."""
        node = Node(len(self.nodes), **fields)
        self.nodes.append(node)
        return node

    def root(self, value_id):
        """The value whose storage ``value_id`` views (itself when it is no view)."""
        seen = 0
        while self.values[value_id].base is not None and seen < len(self.values):
            value_id, seen = self.values[value_id].base, seen + 1
        return value_id


def walk(obj, leaf):
    """``obj`` with every item that is no tuple, list, dict or named tuple replaced by
    ``leaf(item)`` (the structure of arguments and results).

    >>> walk((1, [2, {"k": 3}]), lambda x: x * 10)
    (10, [20, {'k': 30}])
    """
    kind = type(obj)
    if kind is tuple or kind is list:
        return kind([walk(item, leaf) for item in obj])
    if kind is dict:
        return {key: walk(item, leaf) for key, item in obj.items()}
    if isinstance(obj, tuple) and hasattr(obj, "_fields"):        # a named tuple
        return kind(*[walk(item, leaf) for item in obj])
    return leaf(obj)


def refs(template):
    """The value ids a template refers to, in order (repeats kept).

    >>> refs((Ref(1), [Ref(2), 3], {"k": Ref(1)}))
    [1, 2, 1]
    """
    found = []
    walk(template, lambda x: found.append(x.id) if type(x) is Ref else None)
    return found


def fill(template, env):
    """``template`` with every :class:`Ref` replaced by ``env[ref.id]``.

    >>> fill((Ref(0), [Ref(1), 5]), ["a", "b"])
    ('a', ['b', 5])
    """
    return walk(template, lambda x: env[x.id] if type(x) is Ref else x)


def node_inputs(node):
    """The value ids a node reads (its spec's operands when it has one, else its args)."""
    if node.spec is not None:
        return list(node.spec.operands)
    return refs(node.args) + refs(node.kwargs)


def _key(obj):
    """A hashable stand-in for a node argument (TypeError when there is none)."""
    kind = type(obj)
    if kind is Ref:
        return obj
    if kind is tuple or kind is list:
        return (kind, tuple(_key(item) for item in obj))
    if kind is dict:
        return (dict, tuple(sorted((k, _key(v)) for k, v in obj.items())))
    if hasattr(obj, "shape") and hasattr(obj, "dtype"):
        return ("object", id(obj))               # a constant Tensor or array: itself
    hash(obj)
    return (kind, obj)


def _renamed(template, rename):
    return walk(template, lambda x: Ref(rename.get(x.id, x.id)) if type(x) is Ref else x)


def cse(graph, template):
    """Common subexpressions once: a node that repeats an earlier one (same op, same
    inputs, same arguments, same grad mode) is dropped and its results renamed to the
    earlier node's.  Returns the output template with the renaming applied.  (A trace
    with in-place updates is left as it is: equal expressions may then differ.)

    >>> g = Graph()
    >>> x = g.add_value((2,), "float64", False, "input")
    >>> for k in range(2):
    ...     y = g.add_value((2,), "float64", False, "node")
    ...     _ = g.add_node(fn=abs, name="abs", args=(Ref(x),), kwargs={}, outs=(y,),
    ...                    template=Ref(y))
    >>> cse(g, Ref(y)), len(g.nodes)
    (%1, 1)
    """
    seen, rename, kept = {}, {}, []
    for node in graph.nodes:
        node.args = _renamed(node.args, rename)
        node.kwargs = _renamed(node.kwargs, rename)
        if node.spec is not None:
            ops = tuple(rename.get(v, v) for v in node.spec.operands)
            if ops != node.spec.operands:
                node.spec = Spec(node.spec.ring, node.spec.text, ops, node.spec.bound,
                                 node.spec.expand)
        try:
            key = (node.fn, _key(node.args), _key(node.kwargs), node.grad, node.spec)
        except TypeError:
            key = None
        if node.inplace or not node.pure:
            key = None
        earlier = seen.get(key) if key is not None else None
        if earlier is not None and len(earlier.outs) == len(node.outs):
            rename.update(zip(node.outs, earlier.outs))
            continue
        if key is not None:
            seen[key] = node
        kept.append(node)
    if len(kept) != len(graph.nodes):
        for k, node in enumerate(kept):
            node.id = k
            for v in node.outs:
                graph.values[v].node = k
        graph.nodes[:] = kept
        for value in graph.values:
            if value.id in rename:
                value.node = None
    return _renamed(template, rename)
