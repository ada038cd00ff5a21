"""The shared equation corpus: (equation, shapes) cases with a float64 NumPy oracle.

Every :class:`Case` names an equation, operand shapes, optional keyword sizes
and an oracle.  With no oracle, ``np.einsum(equation, ...)`` is the oracle; a
string oracle is a NumPy equation to use instead (named axes, Unicode labels,
an ellipsis summed away); a callable oracle builds the expected array by hand
(groups, diagonal embedding, more than 52 labels).

>>> len(CORPUS) >= 150
True
"""
from dataclasses import dataclass, field
from typing import Callable, Tuple, Union

import numpy as np
import opt_einsum


@dataclass(frozen=True)
class Case:
    """One corpus entry."""

    equation: str
    shapes: Tuple[Tuple[int, ...], ...]
    oracle: Union[None, str, Callable] = None
    sizes: Tuple[Tuple[str, int], ...] = ()
    tags: Tuple[str, ...] = field(default=())

    @property
    def id(self) -> str:
        shapes = ",".join("x".join(map(str, s)) or "0d" for s in self.shapes)
        return f"{self.equation}|{shapes}"

    @property
    def n(self) -> int:
        return len(self.shapes)

    def arrays(self, seed=0, dtype=np.float64):
        """Seeded random operands of this case's shapes."""
        rng = np.random.default_rng(seed)
        return [rng.uniform(-1.0, 1.0, size=s).astype(dtype) for s in self.shapes]

    def expected(self, arrays):
        """The float64 oracle's answer for ``arrays``."""
        arrays = [np.asarray(a, dtype=np.float64) for a in arrays]
        if callable(self.oracle):
            return np.asarray(self.oracle(*arrays))
        text = self.oracle if isinstance(self.oracle, str) else self.equation
        # numpy's own path search for networks (optimize=False loops over every label at once)
        return np.asarray(np.einsum(text, *arrays, optimize=len(arrays) > 3))


def embed(values, out_shape, positions):
    """Zeros of ``out_shape``, ``values`` written where axes ``positions[k]`` agree.

    >>> embed(np.array([1., 2.]), (2, 2), [(0, 1)]).tolist()
    [[1.0, 0.0], [0.0, 2.0]]
    """
    out = np.zeros(out_shape)
    for index in np.ndindex(*values.shape):
        full = [0] * len(out_shape)
        for value, axes in zip(index, positions):
            for axis in axes:
                full[axis] = value
        out[tuple(full)] = values[index]
    return out


def _opt(eq):
    return lambda *arrays: opt_einsum.contract(eq, *arrays)


def _c(equation, *shapes, oracle=None, tags=(), **sizes):
    return Case(equation, tuple(tuple(s) for s in shapes), oracle, tuple(sorted(sizes.items())),
                tuple(tags))


def _chain(n, size=3, closed=False):
    letters = "abcdefghijklmnopqrstuvwxyz"
    terms = [letters[k] + letters[k + 1] for k in range(n)]
    out = "" if closed else letters[0] + letters[n]
    if closed:
        terms[-1] = letters[n - 1] + letters[0]
    return _c(",".join(terms) + "->" + out, *[(size, size)] * n, tags=("network",))


def _cjk(k):
    return chr(0x4E00 + k)


def _wide_chain(n):
    """A chain of ``n`` matrices with ``n + 1`` CJK labels (> 52 labels when n > 51)."""
    labels = [_cjk(k) for k in range(n + 1)]
    eq = ",".join(labels[k] + labels[k + 1] for k in range(n)) + "->" + labels[0] + labels[n]
    return _c(eq, *[(2, 2)] * n, oracle=_opt(eq), tags=("network", "wide"))


def _symbol_chain(n):
    """A chain of ``n`` matrices labelled by opt_einsum.get_symbol, the labels the ecosystem's
    generators emit (index 75 is '×', 107 is '÷': symbols, not letters)."""
    labels = [opt_einsum.get_symbol(k) for k in range(n + 1)]
    eq = ",".join(labels[k] + labels[k + 1] for k in range(n)) + "->" + labels[0] + labels[n]
    return _c(eq, *[(2, 2)] * n, oracle=_opt(eq), tags=("network", "wide"))


def _wide_outer_sum(n):
    labels = [_cjk(k) for k in range(n)]
    eq = ",".join(labels) + "->" + "".join(labels[:3])
    return _c(eq, *[(2,)] * n, oracle=_opt(eq), tags=("network", "wide"))


def _lattice(rows, cols, size=2):
    """A rows x cols lattice of tensors, bonds between neighbours, closed (scalar)."""
    bonds, label = {}, iter("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
    terms = []
    for r in range(rows):
        for c in range(cols):
            term = ""
            for nb in ((r - 1, c), (r + 1, c), (r, c - 1), (r, c + 1)):
                if 0 <= nb[0] < rows and 0 <= nb[1] < cols:
                    key = frozenset([(r, c), nb])
                    if key not in bonds:
                        bonds[key] = next(label)
                    term += bonds[key]
            terms.append(term)
    return _c(",".join(terms) + "->", *[(size,) * len(t) for t in terms], tags=("network",))


def _random_network(n_ops, n_labels, seed, size=2, n_out=2):
    """A seeded random network: each label in two operands (or one and the output)."""
    rng = np.random.default_rng(seed)
    letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"[:n_labels]
    terms = [set() for _ in range(n_ops)]
    out = letters[:n_out]
    for k, lab in enumerate(letters):
        holders = rng.choice(n_ops, size=1 if k < n_out else 2, replace=False)
        for h in holders:
            terms[h].add(lab)
    for t in terms:
        if not t:
            t.add(letters[n_out])
    text = ",".join("".join(sorted(t)) for t in terms) + "->" + out
    shapes = [(size,) * len(t) for t in terms]
    return _c(text, *shapes, tags=("network",))


def _summed_ellipsis(eq, *shapes):
    """An explicit output without '...': the broadcast axes are summed (numpy refuses)."""
    ins, out = eq.split("->")

    def oracle(*arrays):
        full = np.einsum(ins + "->..." + out, *arrays)
        return full.sum(axis=tuple(range(full.ndim - len(out))))
    return _c(eq, *shapes, oracle=oracle, tags=("ellipsis",))


BASIC = [
    _c("ij,jk->ik", (2, 3), (3, 4)), _c("ij,jk->ki", (2, 3), (3, 4)),
    _c("ij,kj->ik", (2, 3), (4, 3)), _c("ji,jk->ik", (3, 2), (3, 4)),
    _c("ji,kj->ik", (3, 2), (4, 3)), _c("ij,jk", (5, 1), (1, 6)),
    _c("ij,j->i", (3, 4), (4,)), _c("i,ij->j", (3,), (3, 4)), _c("i,i->", (5,), (5,)),
    _c("i,i", (5,), (5,)), _c("ij,ij->", (3, 4), (3, 4)), _c("ij,ji->", (3, 4), (4, 3)),
    _c("bij,bjk->bik", (5, 2, 3), (5, 3, 4)), _c("bij,bjk->bki", (5, 2, 3), (5, 3, 4)),
    _c("bij,bkj->bik", (2, 3, 4), (2, 5, 4)), _c("ibj,jbk->bik", (2, 3, 4), (4, 3, 5)),
    _c("bhqd,bhkd->bhqk", (2, 3, 4, 5), (2, 3, 6, 5)),
    _c("bhqk,bhkd->bqhd", (2, 3, 4, 6), (2, 3, 6, 5)),
    _c("abcd,cdef->abef", (2, 3, 4, 5), (4, 5, 3, 2)), _c("abcd,dcef->fabe", (2, 3, 4, 5), (5, 4, 3, 2)),
    _c("ijk,jil->kl", (2, 3, 4), (3, 2, 5)), _c("bi,bi->b", (4, 7), (4, 7)),
    _c("bij,bj->bi", (3, 4, 5), (3, 5)), _c("bi,bij->bj", (3, 4), (3, 4, 5)),
    _c("ij,ij->ij", (3, 4), (3, 4)), _c("ij,ji->ij", (3, 4), (4, 3)),
    _c("ijk,ijk->ijk", (2, 3, 4), (2, 3, 4)), _c("ij,ij,ij->ij", (3, 4), (3, 4), (3, 4)),
    _c("i,j->ij", (3,), (4,)), _c("i,j,k->ijk", (2,), (3,), (4,)), _c("ij,k->ikj", (2, 3), (4,)),
    _c("i,j->ji", (3,), (4,)), _c("ab,cd->acbd", (2, 3), (4, 5)),
    _c("ij->ji", (3, 4)), _c("ijk->kji", (2, 3, 4)), _c("ijk->jki", (2, 3, 4)),
    _c("ij->ij", (3, 4)), _c("ij->i", (3, 4)), _c("ij->j", (3, 4)), _c("ij->", (3, 4)),
    _c("ijk->j", (2, 3, 4)), _c("bchw->c", (2, 3, 4, 5)), _c("ij", (3, 4)), _c("ji", (3, 4)),
    _c("ijk,kl->ijl", (2, 3, 4), (4, 5)), _c("ijk,il->jkl", (2, 3, 4), (2, 5)),
    _c("ab,bc,cd->ad", (2, 3), (3, 4), (4, 5)), _c("ab,bc,cd", (2, 3), (3, 4), (4, 5)),
    _c("ab,cd,bc->ad", (2, 3), (4, 5), (3, 4)), _c("ij,jk,ki->", (3, 4), (4, 5), (5, 3)),
    _c("ij,jk,kl->il", (20, 2), (2, 30), (30, 3)), _c("ia,ib,ic->abc", (4, 2), (4, 3), (4, 5)),
    _c("pi,qj,ijkl,rk,sl->pqrs", (3, 4), (3, 4), (4, 4, 4, 4), (3, 4), (3, 4)),
    _c("ea,fb,abcd,gc,hd->efgh", (2, 3), (2, 3), (3, 3, 3, 3), (2, 3), (2, 3)),
    _c("ijk,jkl,klm->im", (2, 3, 4), (3, 4, 5), (4, 5, 6)),
    _c("ab,ab,ab,ab->", (2, 3), (2, 3), (2, 3), (2, 3)),
    _c("i,i,i->i", (4,), (4,), (4,)), _c("ij,jk->ijk", (2, 3), (3, 4)),
    _c("ij,jk->jik", (2, 3), (3, 4)), _c("abc,bcd->ad", (2, 3, 4), (3, 4, 5)),
    _c("xyz,zyx->", (2, 3, 4), (4, 3, 2)),
]

DIAGONALS = [
    _c("ii->i", (4, 4)), _c("ii->", (4, 4)), _c("ii", (4, 4)), _c("iij->ij", (3, 3, 4)),
    _c("iji->ij", (3, 4, 3)), _c("jii->ij", (4, 3, 3)), _c("iijj->ij", (3, 3, 4, 4)),
    _c("iijj->", (3, 3, 4, 4)), _c("ijij->ij", (2, 3, 2, 3)), _c("ijji->ji", (2, 3, 3, 2)),
    _c("iii->i", (3, 3, 3)), _c("iii->", (3, 3, 3)), _c("ii,i->i", (3, 3), (3,)),
    _c("ii,jj->ij", (3, 3), (2, 2)), _c("ijj,jk->ik", (2, 3, 3), (3, 4)),
    _c("ii,ij->j", (3, 3), (3, 4)), _c("bii->b", (2, 3, 3)), _c("bii->bi", (2, 3, 3)),
    _c("iij,jkk->ik", (2, 2, 3), (3, 4, 4)), _c("ijk,iij->k", (2, 3, 4), (2, 2, 3)),
    _c("aab,bc->ac", (2, 2, 1), (3, 4)), _c("ii->i", (1, 1)), _c("ii->i", (0, 0)),
]

EMBEDDINGS = [
    _c("i->ii", (3,), oracle=lambda a: np.diag(a)),
    _c("ij->iji", (2, 3), oracle=lambda a: embed(a, (2, 3, 2), [(0, 2), (1,)])),
    _c("i->iii", (2,), oracle=lambda a: embed(a, (2, 2, 2), [(0, 1, 2)])),
    _c("ij->ii", (2, 3), oracle=lambda a: np.diag(a.sum(1))),
    _c("ij->ijj", (2, 3), oracle=lambda a: embed(a, (2, 3, 3), [(0,), (1, 2)])),
    _c("ii->ii", (3, 3), oracle=lambda a: np.diag(np.diag(a))),
    _c("i,j->iij", (2,), (3,), oracle=lambda a, b: embed(np.outer(a, b), (2, 2, 3), [(0, 1), (2,)])),
    _c("ij,jk->iki", (2, 3), (3, 4), oracle=lambda a, b: embed(a @ b, (2, 4, 2), [(0, 2), (1,)])),
    _c("i->ii", (0,), oracle=lambda a: np.zeros((0, 0))),
]

ELLIPSES = [
    _c("...ij,...jk->...ik", (2, 1, 3, 4), (5, 4, 2)), _c("...ij,...jk", (2, 3, 4), (2, 4, 5)),
    _c("...ij->...ji", (2, 3)), _c("...ij->...ji", (5, 2, 3)), _c("i...j->ji...", (2, 5, 6, 3)),
    _c("ij...->...", (2, 3, 5)), _c("ij...,jk...->ik...", (2, 3, 4), (3, 5, 4)),
    _c("...,...->...", (), (3,)), _c("...,...->...", (2, 1), (3,)), _summed_ellipsis("...->", (2, 3)),
    _c("...", (2, 3)), _c("...ii->...i", (2, 3, 3)), _c("...i,...i->...", (1, 3), (2, 1, 3)),
    _c("i...,i...->...", (3, 1), (3, 2)), _c("a...b,b...c->a...c", (2, 4, 3), (3, 4, 5)),
    _c("...i,i->...", (2, 3, 4), (4,)), _summed_ellipsis("b...,b...->b", (2, 3, 4), (2, 3, 4)),
    _c("...ij,...jk->...ik", (3, 4), (4, 5)), _c("i...i->...", (3, 2, 3)),
    _summed_ellipsis("...ij,...jk->ik", (5, 2, 3), (3, 4)),
    _summed_ellipsis("i...->i", (3, 4, 5)), _summed_ellipsis("...i->", (2, 3, 4)),
    _summed_ellipsis("...ij,...j->i", (2, 2, 3, 4), (2, 1, 4)),
]

BROADCAST = [
    _c("ij,ij->ij", (1, 3), (4, 3)), _c("ij,ij->ij", (1, 3), (0, 3)), _c("i,i->i", (1,), (5,)),
    _c("i,i->", (1,), (5,)), _c("ab,ab->a", (1, 4), (3, 1)), _c("ab,ab->", (3, 1), (1, 4)),
    _c("ij,kj->ik", (1, 4), (3, 1)), _c("abc,cd->abd", (2, 1, 3), (3, 1)),
    _c("ab,b->a", (3, 1), (0,)), _c("ab,ab->ab", (1, 1), (0, 3)), _c("a,a->a", (0,), (1,)),
    _c("ij,jk->ik", (2, 1), (4, 3)), _c("bij,bjk->bik", (1, 2, 3), (4, 3, 5)),
    _c("ii,i->i", (1, 1), (3,)),
]

ZERO_SIZE = [
    _c("ij,jk->ik", (2, 0), (0, 4)), _c("ij,jk->ik", (0, 3), (3, 4)), _c("ij->", (0, 3)),
    _c("ij->ji", (0, 3)), _c("ij,jk,kl->il", (2, 0), (0, 4), (4, 5)), _c("i,i->", (0,), (0,)),
    _c("bij,bjk->bik", (0, 2, 3), (0, 3, 4)), _c("...i->...", (0, 3)),
]

ZERO_D = [
    _c("->", ()), _c("", ()), _c(",->", (), ()), _c("i,->i", (3,), ()), _c(",i->i", (), (3,)),
    _c(",", (), ()), _c(",ij,->ji", (), (2, 3), ()),
]

NAMED = [
    _c("batch chan h w -> chan", (2, 3, 4, 5), oracle="bchw->c"),
    _c("row k, k col -> row col", (2, 3), (3, 4), oracle="ik,kj->ij"),
    _c("a1 b2 -> b2", (2, 3), oracle="ab->b"), _c("_ b -> b", (2, 3), oracle="ab->b"),
    _c(" i j , j k -> i k ", (2, 3), (3, 4), oracle="ij,jk->ik"),
    _c("batch i i -> batch i", (2, 3, 3), oracle="bii->bi"),
    _c("... seq d, ... seq -> ... d", (2, 5, 4), (2, 5), oracle="...sd,...s->...d"),
    _c("x y, y z", (2, 3), (3, 4), oracle="xy,yz->xz"),
    _c("längd bredd -> bredd", (2, 3), oracle="ab->b"),
]

UNICODE = [
    _c("αβ,βγ->αγ", (2, 3), (3, 4), oracle="ab,bc->ac"), _c("éè->è", (2, 3), oracle="ab->b"),
    _c("ии->и", (3, 3), oracle="ii->i"), _c("中文,文字", (2, 3), (3, 4), oracle="ab,bc->ac"),
    _c("ΩΩ", (3, 3), oracle="ii"),
]

GROUPS = [
    _c("b c (h p) (w q) -> b c h w", (2, 3, 4, 6), p=2, q=3,
       oracle=lambda x: x.reshape(2, 3, 2, 2, 2, 3).sum((3, 5))),
    _c("b h w -> b (h w)", (2, 3, 4), oracle=lambda x: x.reshape(2, 12)),
    _c("b h w -> b (w h)", (2, 3, 4), oracle=lambda x: x.transpose(0, 2, 1).reshape(2, 12)),
    _c("b h w -> b () h w", (2, 3, 4), oracle=lambda x: x[:, None]),
    _c("b () h -> b h", (2, 1, 3), oracle=lambda x: x[:, 0]),
    _c("(h p) -> h", (6,), p=2, oracle=lambda x: x.reshape(3, 2).sum(1)),
    _c("(h p) -> p h", (6,), h=2, oracle=lambda x: x.reshape(2, 3).T),
    _c("b (h p), h k -> b k p", (2, 6), (3, 4), oracle=lambda x, w: np.einsum(
        "bhp,hk->bkp", x.reshape(2, 3, 2), w)),
    _c("(a b) c -> a (c b)", (6, 4), a=3, oracle=lambda x: x.reshape(3, 2, 4).transpose(
        0, 2, 1).reshape(3, 8)),
    _c("i -> ()", (3,), oracle=lambda x: x.sum().reshape(1)),
    _c("(i j) -> (j i)", (6,), i=2, oracle=lambda x: x.reshape(2, 3).T.reshape(6)),
    _c("b (h p), b (h p) -> b", (2, 6), (2, 6), p=3, oracle=lambda x, y: (x * y).sum(1)),
    _c("b c (h p) (w q) -> b c h w", (1, 2, 0, 4), p=2, q=2, oracle=lambda x: np.zeros((1, 2, 0, 2))),
    # a size-1 axis broadcasts against a label that a group (or a keyword) sizes
    _c("(h p), h -> h p", (6,), (1,), p=2, oracle=lambda x, y: x.reshape(3, 2) * y[0]),
    _c("(h p), h -> h p", (6,), (1,), h=3, oracle=lambda x, y: x.reshape(3, 2) * y[0]),
    _c("(h p), h p -> h", (6,), (1, 2), p=2, oracle=lambda x, y: (x.reshape(3, 2) * y).sum(1)),
]

NETWORKS = [
    _chain(10), _chain(12, closed=True), _chain(20, size=2), _chain(25, size=2, closed=True),
    _lattice(3, 3), _lattice(4, 4), _lattice(2, 5, size=3),
    _random_network(10, 14, seed=1), _random_network(15, 20, seed=2),
    _random_network(20, 26, seed=3), _random_network(30, 40, seed=4),
    _wide_chain(60), _wide_outer_sum(56), _symbol_chain(120),
]

CORPUS = (BASIC + DIAGONALS + EMBEDDINGS + ELLIPSES + BROADCAST + ZERO_SIZE + ZERO_D + NAMED
          + UNICODE + GROUPS + NETWORKS)


def is_plain(case: Case) -> bool:
    """Letter-mode cases that numpy reads as written (candidates for the interleaved form)."""
    return case.oracle is None and " " not in case.equation and "(" not in case.equation
