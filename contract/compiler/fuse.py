"""Fusion: a traced :class:`~contract.compiler.graph.Graph` becomes networks and barriers.

1. Dead nodes go (in-place updates stay: they have effects), and nodes whose inputs
   are all constants are computed now, once (*constant folding*).
2. **Single-consumer rule.**  A multilinear node whose result feeds exactly one
   multilinear node of a compatible ring (same grad mode, no in-place update between
   them), and is neither returned nor used twice, is *absorbed* into its consumer's
   network.  A node nothing absorbs is a network *root* when it computes (a product,
   a sum, a semiring reduction that absorbed something); a lone rearrangement (a
   transpose, a reshape, an expand) or broadcast sum runs as the eager op it is, so
   views stay views.
3. Each network's axes are labelled by union-find over atoms
   (:mod:`contract.compiler.labels`), giving one einsum over its leaves, planned by the
   engine's one plan cache; a leaf's view recipe (diagonals, splits) is the engine's.
   A network whose labels do not unify (a reshape across incompatible boundaries) is
   split into its nodes.

>>> import contract as ct
>>> from contract.compiler.trace import Tracer
>>> tracer = Tracer("f")
>>> with tracer:
...     a, b, x = (tracer.input(ct.ones(*s)) for s in ((4, 5), (5, 6), (6,)))
...     y = a @ b @ x
>>> steps = partition(tracer.graph, [y._v])
>>> [s.text for s in steps]
['ij,jk,k->i']
"""
from dataclasses import dataclass, field
from typing import Dict, Tuple

import numpy as np

from contract.autograd import no_grad
from contract.backends.numpy_backend import BACKEND as NUMPY
from contract.engine.api import einsum
from contract.engine.cache import cached_plan
from contract.engine.kernels.real import einsum_text
from contract.engine.semirings import get_semiring
from contract.errors import ContractError
from contract.compiler.graph import RINGS, Ref, fill, refs
from contract.compiler.labels import Atoms, Mismatch
from contract.tensors.core import Tensor

LETTERS = "ijklmnopqrstuvwxyz" + "abcdefgh" + "IJKLMNOPQRSTUVWXYZABCDEFGH"
_ABSORBS = {"real": ("real", "view"), "log": ("log", "add", "view"),
            "maxplus": ("maxplus", "add", "view"), "minplus": ("minplus", "add", "view")}


@dataclass
class Network:
    """One fused einsum: its root node, the nodes it absorbed, and its leaves."""

    root: int                          # node id
    members: Tuple[int, ...]           # node ids, root included
    ring: str
    out: int                           # the value it computes
    leaves: Tuple[int, ...] = ()       # value ids, one per operand (a value may repeat)
    text: str = ""
    sizes: Dict[str, int] = field(default_factory=dict)
    plan: object = None

    @property
    def kind(self):
        return "network"


@dataclass
class Barrier:
    """A node replayed as the eager op it is."""

    node: int

    @property
    def kind(self):
        return "barrier"


def _reads(node):
    """Every value a node may read (its spec's operands and its replay arguments)."""
    found = refs(node.args) + refs(node.kwargs)
    if node.spec is not None:
        found += list(node.spec.operands)
    return found


def live_nodes(graph, outputs):
    """Nodes that an output or an in-place update depends on."""
    needed, live = set(outputs), set()
    for node in reversed(graph.nodes):
        if node.inplace or any(v in needed for v in node.outs):
            live.add(node.id)
            needed.update(_reads(node))
    return live


def fold_constants(graph, live):
    """Compute, now, each live node whose inputs are all constants; its results become
    constants.  Returns the ids of the folded nodes."""
    folded = set()
    for node in graph.nodes:
        if node.id not in live or node.inplace or not node.pure:
            continue
        inputs = _reads(node)
        if not inputs or any(graph.values[v].kind != "const" for v in inputs):
            continue
        env = {v: graph.values[v].obj for v in inputs}
        with no_grad():
            result = node.fn(*fill(node.args, env), **fill(node.kwargs, env))
        for vid, tensor in pair_outputs(node.template, result):
            value = graph.values[vid]
            value.kind, value.obj, value.name = "const", tensor, f"c{vid}"
        folded.add(node.id)
    return folded


def pair_outputs(template, result):
    """(value id, tensor) for each Ref of a barrier's template in its result."""
    if type(template) is Ref:
        return [(template.id, result)]
    if isinstance(template, (tuple, list)):
        return [p for t, r in zip(template, result) for p in pair_outputs(t, r)]
    if isinstance(template, dict):
        return [p for k, t in template.items() for p in pair_outputs(t, result[k])]
    return []


def _consumers(graph, nodes):
    """value id -> consumer node ids (one entry per use)."""
    users = {}
    for node in nodes:
        reads = list(node.spec.operands) if node.spec is not None else \
            refs(node.args) + refs(node.kwargs)
        for v in reads:
            users.setdefault(v, []).append(node.id)
    return users


def _assign(graph, nodes, outputs, no_absorb, forced):
    """The single-consumer rule: ``(parent, ring)`` maps (node id -> absorbing node id,
    node id -> ring of its network)."""
    users = _consumers(graph, nodes)
    parent, ring = {}, {}
    for node in reversed(nodes):
        spec = node.spec
        if spec is None or node.id in forced:
            continue
        out = node.outs[0]
        found = users.get(out, [])
        if out not in outputs and len(found) == 1 and node.id not in no_absorb:
            consumer = graph.nodes[found[0]]
            network = ring.get(consumer.id)
            if (network is not None and spec.ring in _ABSORBS[network]
                    and consumer.epoch == node.epoch and consumer.grad == node.grad):
                parent[node.id], ring[node.id] = consumer.id, network
                continue
        if spec.ring in RINGS:
            ring[node.id] = spec.ring
    return parent, ring


def _networks(graph, nodes, parent, ring):
    """The networks (root -> members) the assignment makes."""
    members = {n.id: [n.id] for n in nodes if n.id in ring and n.id not in parent}
    for node in nodes:
        if node.id in parent:
            top = node.id
            while top in parent:
                top = parent[top]
            members[top].append(node.id)
    return members


def partition(graph, outputs, optimize="auto", memory_limit=None):
    """The program's steps (Networks and Barriers, in execution order)."""
    outputs = set(outputs)
    live = live_nodes(graph, outputs)
    folded = fold_constants(graph, live)
    nodes = [n for n in graph.nodes if n.id in live and n.id not in folded]
    no_absorb, forced = set(), set()
    while True:
        parent, ring = _assign(graph, nodes, outputs, no_absorb, forced)
        groups = _networks(graph, nodes, parent, ring)
        lone = {root for root, m in groups.items()
                if len(m) == 1 and graph.nodes[root].spec.ring != "real"}
        if lone - forced:                     # a semiring reduction that absorbed nothing
            forced |= lone
            continue
        built, failed = {}, None
        for root, members in groups.items():
            try:
                built[root] = build_network(graph, root, members, ring[root], optimize,
                                            memory_limit)
            except (Mismatch, ContractError):
                failed = members
                break
        if failed is None:
            break
        if len(failed) == 1:
            forced.add(failed[0])
        no_absorb.update(failed)
    steps = []
    for node in nodes:
        if node.id in built:
            steps.append(built[node.id])
        elif node.id not in parent:
            steps.append(Barrier(node.id))
    return steps


# -- one network ---------------------------------------------------------------------
class _Labeller:
    """Walks a network from its root, giving every axis a group of atoms."""

    def __init__(self, graph, members):
        self.graph, self.members = graph, set(members)
        self.atoms = Atoms()
        self.leaves = []           # (value id, term)
        self.free = []             # atoms made by expand: they need a leaf of their own

    def fresh(self, shape, free=False):
        term = tuple((self.atoms.new(d),) if d > 1 else () for d in shape)
        if free:
            self.free.extend(a for axis in term for a in axis)
        return term

    def term(self, vid):
        value = self.graph.values[vid]
        if value.node in self.members:
            return self.node_term(self.graph.nodes[value.node])
        term = self.fresh(value.shape)
        self.leaves.append((vid, term))
        return term

    def node_term(self, node):
        spec = node.spec
        terms = [self.term(v) for v in spec.operands]
        if spec.expand is not None:
            return self._expand(terms[0], self.graph.values[spec.operands[0]].shape,
                                spec.expand)
        bound, labels = spec.bound, {}
        for k, term in enumerate(terms):
            prep = bound.preps[k]
            shape = self.graph.values[spec.operands[k]].shape
            split = prep.split_shape if prep.split_shape is not None else shape
            groups = self.atoms.partition([a for axis in term for a in axis], split)
            axes = [[s] for s in range(len(split)) if s not in prep.squeeze]
            for a, b in prep.diagonals:
                merged = axes[a] + axes[b]
                axes = [g for i, g in enumerate(axes) if i not in (a, b)] + [merged]
            for label, group in zip(bound.terms[k], axes):
                for s in group:
                    if label in labels:
                        self.atoms.unify(labels[label], groups[s])
                    else:
                        labels[label] = groups[s]
        flat = [a for label in bound.output_full for a in labels[label]]
        return tuple(self.atoms.partition(flat, bound.final_shape))

    def _expand(self, term, shape, target):
        lead = len(target) - len(shape)
        axes = []
        for k, d in enumerate(target):
            if k >= lead and shape[k - lead] == d:
                axes.append(term[k - lead])
            else:
                axes.extend(self.fresh((d,), free=True))
        return tuple(axes)


def _names(count):
    if count <= len(LETTERS):
        return list(LETTERS[:count]), ""
    return [f"x{k}" for k in range(count)], " "


def _write(terms, out, atoms):
    """Einsum text of resolved terms, atom names by first appearance, and group sizes."""
    order = {}
    for term in terms + [out]:
        for axis in term:
            for a in axis:
                order.setdefault(a, len(order))
    names, sep = _names(len(order))
    sizes = {}

    def axis_text(axis):
        if len(axis) == 1:
            return names[order[axis[0]]]
        for a in axis:
            sizes[names[order[a]]] = atoms.size[a]
        return "(" + sep.join(names[order[a]] for a in axis) + ")"
    write = [sep.join(axis_text(ax) for ax in t) for t in terms]
    text = (", " if sep else ",").join(write) + (" -> " if sep else "->") + \
        sep.join(axis_text(ax) for ax in out)
    return text, sizes


def build_network(graph, root, members, ring, optimize="auto", memory_limit=None):
    """Label, write and plan the network of ``root`` (Mismatch or ContractError when the
    nodes do not make one einsum)."""
    node = graph.nodes[root]
    labeller = _Labeller(graph, [m for m in members if m != root])
    out = labeller.node_term(node)
    atoms = labeller.atoms
    leaves = [(vid, tuple(atoms.resolve(axis) for axis in term))
              for vid, term in labeller.leaves]
    present = {a for _, term in leaves for axis in term for a in axis}
    dtype = graph.values[node.outs[0]].dtype
    for a in atoms.resolve(labeller.free):
        if a not in present:           # an expanded axis no leaf has: an identity leaf
            one = get_semiring(ring).one
            obj = Tensor._wrap(np.full((atoms.size[a],), one, dtype=dtype))
            vid = graph.add_value((atoms.size[a],), dtype, False, "const", obj=obj)
            graph.values[vid].name = f"c{vid}"
            leaves.append((vid, ((a,),)))
            present.add(a)
    leaves = _merge_scalars(graph, leaves, ring, dtype)
    out = tuple(atoms.resolve(axis) for axis in out)
    text, sizes = _write([t for _, t in leaves], out, atoms)
    ids = tuple(v for v, _ in leaves)
    plan = cached_plan(text, [graph.values[v].shape for v in ids], optimize, ring, None,
                       memory_limit, sizes)
    order = [n.id for n in graph.nodes if n.id in set(members)]
    net = Network(root, tuple(order), ring, node.outs[0], ids, text, sizes, plan)
    return fold_network(graph, net, memory_limit)


def _merge_scalars(graph, leaves, ring, dtype):
    """The network's 0-d constant leaves (scales, signs) as one, placed last."""
    scalars = [vid for vid, term in leaves if not term and graph.values[vid].kind == "const"]
    if len(scalars) < 2:
        return leaves
    arrays = [graph.values[v].obj._data for v in scalars]
    with no_grad():
        merged = einsum(",".join([""] * len(arrays)) + "->", *arrays, semiring=ring)
    vid = graph.add_value((), dtype, False, "const", obj=Tensor._wrap(
        np.asarray(merged).astype(dtype, copy=False)))
    graph.values[vid].name = f"c{vid}"
    drop = set(scalars)
    return [(v, t) for v, t in leaves if v not in drop] + [(vid, ())]


# -- constants inside a network (opt_einsum's constants= idea) ------------------------
def fold_network(graph, net, memory_limit=None):
    """Contract, now, the steps of ``net``'s plan whose operands are all constants; the
    rest becomes a network over the variable leaves and those results, planned with the
    remaining steps of the same path."""
    plan = net.plan
    const = [graph.values[v].kind == "const" for v in net.leaves]
    if sum(const) < 2 or not plan.steps:
        return net
    bound, ring = plan._bound, plan._semiring
    work = list(range(len(net.leaves)))          # item ids in the working list
    labels = {k: bound.terms[k] for k in range(len(net.leaves))}
    arrays, rest = {}, []
    for step in plan.steps:
        items = [work[p] for p in step.operands]
        work = [x for k, x in enumerate(work) if k not in step.operands] + [len(labels)]
        labels[len(labels)] = step.output
        if all(x in arrays or (x < len(const) and const[x]) for x in items):
            arrays[len(labels) - 1] = _contract_now(graph, net, bound, ring, items, arrays,
                                                    labels, step.output)
        else:
            rest.append((items, len(labels) - 1))
    if not arrays:
        return net
    return _refolded(graph, net, bound, labels, arrays, rest, memory_limit)


def _contract_now(graph, net, bound, ring, items, arrays, labels, output):
    """One all-constant step, on the constants' canonical views."""
    operands = []
    for x in items:
        if x in arrays:
            operands.append(arrays[x])
        else:
            data = graph.values[net.leaves[x]].obj._data
            prep = bound.preps[x]
            operands.append(data if prep.is_identity else NUMPY.prepare(data, prep))
    text = einsum_text([labels[x] for x in items], output)    # relabelled: any label ids
    with no_grad():
        return einsum(text, *operands, semiring=ring.name)


def _refolded(graph, net, bound, labels, arrays, rest, memory_limit):
    """The network over the leaves no constant step consumed and the folded results."""
    used = {x for items, _ in rest for x in items}
    keep = [k for k in range(len(net.leaves)) if k in used]
    folded = sorted(x for x in arrays if x in used)
    names = bound.names
    terms = [net.text.split("->")[0].split(", " if " " in net.text else ",")[k] for k in keep]
    sep = " " if " " in net.text else ""
    terms += [sep.join(names[lab] for lab in labels[x]) for x in folded]
    text = (", " if sep else ",").join(terms) + (" -> " if sep else "->") + \
        net.text.split("->")[1].strip()
    ids = [net.leaves[k] for k in keep]
    for x in folded:
        vid = graph.add_value(arrays[x].shape, arrays[x].dtype, False, "const",
                              obj=Tensor._wrap(arrays[x]))
        graph.values[vid].name = f"c{vid}"
        ids.append(vid)
    work, path = keep + folded, []
    for items, out in rest:
        path.append(tuple(sorted(work.index(x) for x in items)))
        work = [x for x in work if x not in items] + [out]
    text, sizes = (text, net.sizes) if sep else _reletter(text, net.sizes)
    plan = cached_plan(text, [graph.values[v].shape for v in ids], tuple(path),
                       net.plan.semiring, None, memory_limit, sizes)
    return Network(net.root, net.members, net.ring, net.out, tuple(ids), text, sizes, plan)


def _reletter(text, sizes):
    """A letter-mode equation with its letters renamed in order of first appearance.

    >>> _reletter("ij,jl->il", {})
    ('ij,jk->ik', {})
    """
    names = {}
    for c in text:
        if c.isalpha() and c not in names:
            names[c] = LETTERS[len(names)]
    out = "".join(names.get(c, c) for c in text)
    return out, {names[k]: v for k, v in sizes.items() if k in names}
