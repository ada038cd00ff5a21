"""Axis labels of a network: union-find over *atoms*, with refinement.

Every axis of every tensor in a network is a group of atoms (an axis of size 1 is the
empty group ``()``).  A multilinear op unifies atoms: a matmul's contracted axes, a
broadcast product's aligned axes and a trace's two axes become one atom.  A reshape
that splits an axis *refines* an atom into several (``t`` of size 6 becomes ``(t1 t2)``
everywhere it occurs), so splits and merges of axes are groups of atoms, as the
einsum language writes them.  Two sequences of atoms are unified through their
common refinement (a boundary of one must divide the other's sizes: ``(4, 6)`` and
``(6, 4)`` have none, and such a network is not built).

>>> atoms = Atoms()
>>> t, u = atoms.new(6), atoms.new(2)
>>> v = atoms.new(3)
>>> atoms.unify((t,), (u, v))
>>> atoms.resolve((t,)) == atoms.resolve((u, v))
True
>>> common_refinement((6, 4), (2, 12))
((2, 3, 4), [(0, 1), (2,)], [(0,), (1, 2)])
"""


class Mismatch(Exception):
    """Two atom sequences have no common refinement (internal: the network is not built)."""


def common_refinement(a, b):
    """``(sizes, groups_a, groups_b)``: atom sizes refining both shapes (sizes > 1 only;
    an axis of size 1 is the empty group), or None when there is none."""
    sizes, groups = [], ([], [])
    rest = [list(a), list(b)]
    index = [0, 0]
    current = ([], [])
    while True:
        for side in (0, 1):
            while index[side] < len(rest[side]) and rest[side][index[side]] == 1:
                groups[side].append(tuple(current[side]))
                current[side].clear()
                index[side] += 1
        done = [index[s] >= len(rest[s]) for s in (0, 1)]
        if all(done):
            return tuple(sizes), groups[0], groups[1]
        if any(done):
            return None
        x, y = rest[0][index[0]], rest[1][index[1]]
        small = min(x, y)
        if small == 0 or max(x, y) % small:
            return None
        current[0].append(len(sizes))
        current[1].append(len(sizes))
        sizes.append(small)
        for side, have in ((0, x), (1, y)):
            rest[side][index[side]] = have // small


class Atoms:
    """Union-find over atoms (with sizes), where an atom may be refined into several."""

    def __init__(self):
        self.parent, self.size, self.split = [], [], {}

    def new(self, size):
        """A fresh atom of ``size`` (> 1)."""
        self.parent.append(len(self.parent))
        self.size.append(size)
        return len(self.parent) - 1

    def find(self, a):
        parent = self.parent
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    def resolve(self, seq):
        """The unrefined representative atoms of a sequence, in order."""
        out = []
        for a in seq:
            r = self.find(a)
            children = self.split.get(r)
            out.extend(self.resolve(children) if children else (r,))
        return tuple(out)

    def _refine(self, a, first):
        """Split representative ``a`` into atoms of sizes ``first`` and the rest."""
        parts = (self.new(first), self.new(self.size[a] // first))
        self.split[a] = parts
        return parts

    def _union(self, a, b):
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[rb] = ra

    def unify(self, seq_a, seq_b):
        """Make two atom sequences (of equal total size) the same; Mismatch when their
        boundaries do not divide each other."""
        a, b = list(self.resolve(seq_a)), list(self.resolve(seq_b))
        i = j = 0
        while i < len(a) and j < len(b):
            x, y = self.find(a[i]), self.find(b[j])
            if x in self.split:
                a[i:i + 1] = self.resolve((x,))
                continue
            if y in self.split:
                b[j:j + 1] = self.resolve((y,))
                continue
            sx, sy = self.size[x], self.size[y]
            if x == y or sx == sy:
                self._union(x, y)
                i, j = i + 1, j + 1
            elif sx > sy and sx % sy == 0:
                a[i:i + 1] = self._refine(x, sy)
            elif sy > sx and sy % sx == 0:
                b[j:j + 1] = self._refine(y, sx)
            else:
                raise Mismatch(f"atoms of sizes {sx} and {sy} do not divide")
        if i != len(a) or j != len(b):
            raise Mismatch("atom sequences of different total sizes")

    def partition(self, seq, shape):
        """Split the atom sequence ``seq`` (a flattened tensor) into one group per axis of
        ``shape`` (refining atoms that straddle an axis boundary)."""
        flat = list(self.resolve(seq))
        groups, k = [], 0
        for dim in shape:
            group, have = [], 1
            while have < dim:
                if k >= len(flat):
                    raise Mismatch("fewer atoms than the shape holds")
                atom = self.find(flat[k])
                if atom in self.split:
                    flat[k:k + 1] = self.resolve((atom,))
                    continue
                size = self.size[atom]
                if have * size > dim:
                    need = dim // have
                    if dim % have or size % need:
                        raise Mismatch(f"an atom of size {size} straddles an axis of {dim}")
                    flat[k:k + 1] = self._refine(atom, need)
                    continue
                group.append(atom)
                have *= size
                k += 1
            if have != dim:
                raise Mismatch(f"atoms of size {have} do not make an axis of {dim}")
            groups.append(tuple(group))
        if k != len(flat):
            raise Mismatch("more atoms than the shape holds")
        return groups
