"""Seeded generators of contraction problems: chains, lattices, trees, regular and hyper networks.

Each generator returns an :class:`Instance` (name, equation, shapes); labels are single
Unicode letters (``a..z A..Z`` first, then further letters), so any equation with at
most 52 labels also runs on ``numpy.einsum`` and ``torch.einsum``.

>>> inst = matrix_chain(3, seed=0, dims=(2, 2))
>>> inst.equation, inst.shapes
('ab,bc,cd->ad', ((2, 2), (2, 2), (2, 2)))
>>> lattice(2, 2, bond=3).equation
'ab,ac,bd,cd->'
"""
from dataclasses import dataclass
from typing import Dict, List, Sequence, Tuple

import numpy as np

from contract.errors import ContractError


@dataclass(frozen=True)
class Instance:
    """A contraction problem: equation text, operand shapes, and the sizes of labels
    that only a group fixes (``(("p", 2),)`` for ``b (h p) -> b h``)."""

    name: str
    equation: str
    shapes: Tuple[Tuple[int, ...], ...]
    sizes: Tuple[Tuple[str, int], ...] = ()

    @property
    def num_tensors(self) -> int:
        return len(self.shapes)

    @property
    def num_labels(self) -> int:
        return len(set(self.equation.replace(",", "").replace("->", "")))

    def arrays(self, seed: int = 0, dtype="float64") -> List[np.ndarray]:
        """Random operands (uniform in [0, 1)) of this instance's shapes."""
        rng = np.random.default_rng(seed)
        return [rng.random(s).astype(dtype) for s in self.shapes]


def _letters():
    code = 0xC0
    yield from "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
    while code < 0x30000:
        char = chr(code)
        if char.isalpha():
            yield char
        code += 1


_SYMBOLS: List[str] = []


def symbol(i: int) -> str:
    """The ``i``-th label letter: ``a``..``z``, ``A``..``Z``, then other Unicode letters.

    >>> symbol(0), symbol(51), symbol(52).isalpha()
    ('a', 'Z', True)
    """
    if len(_SYMBOLS) <= i:
        source = _letters()
        _SYMBOLS[:] = [next(source) for _ in range(max(i + 1, 2 * len(_SYMBOLS), 256))]
    return _SYMBOLS[i]


def _check(name: str, value, least: int) -> None:
    """ContractError unless the generator option ``name`` is an int >= ``least``."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < least:
        raise ContractError(f"generator option {name}={value!r}: expected an integer >= {least}")


def from_edges(name: str, num_nodes: int, edges: Sequence[Sequence[int]],
               sizes: Sequence[int], output: Sequence[int] = ()) -> Instance:
    """An instance from a (hyper)graph: node = tensor, edge ``k`` = label of size ``sizes[k]``."""
    terms: List[List[int]] = [[] for _ in range(num_nodes)]
    for k, edge in enumerate(edges):
        for node in edge:
            terms[node].append(k)
    equation = ",".join("".join(symbol(k) for k in t) for t in terms) + "->" + "".join(
        symbol(k) for k in output)
    shapes = tuple(tuple(int(sizes[k]) for k in t) for t in terms)
    return Instance(name, equation, shapes)


def matrix_chain(n: int, seed: int = 0, dims: Tuple[int, int] = (100, 500)) -> Instance:
    """``n`` matrices in a chain, random sizes in ``dims`` (inclusive)."""
    _check("n", n, 1)
    _check("seed", seed, 0)
    _check("dims[0]", dims[0], 1)
    _check("dims[1]", dims[1], dims[0])
    rng = np.random.default_rng(seed)
    sizes = rng.integers(dims[0], dims[1] + 1, size=n + 1)
    edges = [(0,)] + [(k - 1, k) for k in range(1, n)] + [(n - 1,)]
    return from_edges(f"chain-{n}", n, edges, sizes, output=(0, n))


def lattice(rows: int, cols: int, bond: int = 4) -> Instance:
    """A closed ``rows`` x ``cols`` square lattice (PEPS norm-like), bond dimension ``bond``."""
    _check("rows", rows, 1)
    _check("cols", cols, 1)
    _check("bond", bond, 1)
    edges = []
    for r in range(rows):
        for c in range(cols):
            node = r * cols + c
            if c + 1 < cols:
                edges.append((node, node + 1))
            if r + 1 < rows:
                edges.append((node, node + cols))
    return from_edges(f"lattice-{rows}x{cols}-d{bond}", rows * cols, edges,
                      [bond] * len(edges))


def tree(n: int, bond: int = 4, seed: int = 0, open_leaves: int = 2) -> Instance:
    """A random tree of ``n`` tensors (each links to an earlier one); a few leaves stay open."""
    _check("n", n, 1)
    _check("bond", bond, 1)
    _check("seed", seed, 0)
    _check("open_leaves", open_leaves, 0)
    rng = np.random.default_rng(seed)
    edges = [(int(rng.integers(0, k)), k) for k in range(1, n)]
    degree = np.bincount(np.array(edges).ravel(), minlength=n) if edges else np.zeros(n, int)
    leaves = [k for k in range(n) if degree[k] <= 1][:open_leaves]
    start = len(edges)
    edges += [(leaf,) for leaf in leaves]
    return from_edges(f"tree-{n}-d{bond}-s{seed}", n, edges, [bond] * len(edges),
                      output=range(start, len(edges)))


def _regular_edges(n, degree, rng, tries=1000):
    for _ in range(tries):
        stubs = rng.permutation(np.repeat(np.arange(n), degree))
        pairs = stubs.reshape(-1, 2)
        if (pairs[:, 0] == pairs[:, 1]).any():
            continue
        unique = {tuple(sorted(p)) for p in pairs.tolist()}
        if len(unique) == len(pairs):
            return sorted(unique)
    raise ContractError(f"no simple {degree}-regular graph on {n} nodes found in {tries} tries")


def random_regular(n: int, degree: int = 3, bond: int = 2, seed: int = 0) -> Instance:
    """A closed random ``degree``-regular network of ``n`` tensors (n * degree must be even)."""
    _check("n", n, 2)
    _check("degree", degree, 1)
    _check("bond", bond, 1)
    _check("seed", seed, 0)
    if n * degree % 2 or degree >= n:
        raise ContractError(f"no {degree}-regular graph on {n} nodes: n * degree must be "
                            f"even and degree < n")
    edges = _regular_edges(n, degree, np.random.default_rng(seed))
    return from_edges(f"regular-{n}-k{degree}-d{bond}-s{seed}", n, edges, [bond] * len(edges))


def random_hyper(n: int, num_labels: int = 0, max_order: int = 4, bond=(2, 3), num_out: int = 2,
                 seed: int = 0) -> Instance:
    """A random hyper network: labels shared by 2..``max_order`` tensors, some kept in the output.

    Every tensor gets at least one label; sizes are drawn from ``bond`` (inclusive).
    """
    _check("n", n, 2)
    _check("num_labels", num_labels, 0)
    _check("max_order", max_order, 2)
    _check("num_out", num_out, 0)
    _check("seed", seed, 0)
    bond = (bond, bond) if isinstance(bond, (int, np.integer)) else tuple(bond)
    _check("bond", bond[0], 1)
    _check("bond", bond[1], bond[0])
    rng = np.random.default_rng(seed)
    num_labels = num_labels or int(1.5 * n)
    edges = []
    for k in range(num_labels):
        order = int(rng.integers(2, max_order + 1))
        first = k % n  # every tensor gets a label
        rest = rng.choice([j for j in range(n) if j != first], size=min(order, n) - 1,
                          replace=False)
        edges.append((first,) + tuple(int(j) for j in rest))
    sizes = rng.integers(bond[0], bond[1] + 1, size=num_labels)
    output = sorted(rng.choice(num_labels, size=min(num_out, num_labels), replace=False).tolist())
    return from_edges(f"hyper-{n}-s{seed}", n, edges, sizes, output=output)


GENERATORS: Dict[str, object] = {
    "chain": matrix_chain, "lattice": lattice, "tree": tree,
    "regular": random_regular, "hyper": random_hyper,
}
