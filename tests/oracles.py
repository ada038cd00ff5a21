"""Shared oracles and helpers of the test suite, imported as ``oracles`` by the tests in every
folder (tests/conftest.py puts tests/ on ``sys.path``).  The oracles share no code with
the library.

- The equation corpus: (equation, shapes) cases with a float64 NumPy oracle.  Every
  :class:`Case` names an equation, operand shapes, optional keyword sizes and an oracle.
  With no oracle, ``np.einsum(equation, ...)`` is the oracle; a string oracle is a NumPy
  equation to use instead (named axes, Unicode labels, an ellipsis summed away); a callable
  oracle builds the expected array by hand (groups, diagonal embedding, more than 52 labels).
- :func:`brute`: a semiring einsum over the full product space (every operand broadcast to
  the space of all labels, combined, then reduced).
- :func:`conv_loops`: convolution by its textbook definition, one output element at a time.
- :func:`assert_matches` (a result against the corpus oracle) and :func:`operands` (seeded
  random operands).
- NumPy stand-ins posing as ``cupy`` (to run the CuPy code paths on CPU) and
  :func:`install_fake_cupy`, which puts one in place for a test (the fixtures that use them
  are in tests/conftest.py).

>>> len(CORPUS) >= 150
True
"""
import itertools
import sys
import types
from dataclasses import dataclass, field
from functools import reduce
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


# -- a brute-force semiring einsum over the full product space ---------------------------
# It reads NumPy einsum text (letters, ``...``, repeated labels, implicit output, size-1
# broadcasting): every operand is broadcast to the space of all labels, combined, then reduced.
SPARE = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _logsumexp(a, axes):
    if not axes:
        return a
    if a.size == 0:
        return np.full(np.delete(np.array(a.shape), axes).tolist(), -np.inf)
    shift = np.max(a, axis=axes, keepdims=True)
    shift = np.where(np.isfinite(shift), shift, 0.0)
    with np.errstate(divide="ignore"):
        out = np.log(np.sum(np.exp(a - shift), axis=axes, keepdims=True)) + shift
    return np.squeeze(out, axis=axes)


RINGS = {      # semiring -> (combine, reduce over axes, zero)
    "real": (np.multiply, lambda a, ax: np.sum(a, axis=ax), 0.0),
    "log": (np.add, _logsumexp, -np.inf),
    "maxplus": (np.add, lambda a, ax: np.max(a, axis=ax, initial=-np.inf), -np.inf),
    "minplus": (np.add, lambda a, ax: np.min(a, axis=ax, initial=np.inf), np.inf),
    "maxtimes": (np.multiply, lambda a, ax: np.max(a, axis=ax, initial=0.0), 0.0),
}


def expand(text, arrays):
    """(input terms, output term, ellipsis letters) with '...' replaced and output explicit."""
    ins, arrow, out = text.partition("->")
    terms = ins.split(",") if ins or arrays else []
    spare = [c for c in SPARE if c not in text]
    width = max([a.ndim - len(t.replace("...", "")) for t, a in zip(terms, arrays)
                 if "..." in t], default=0)
    ell = "".join(spare[:width])
    fixed = []
    for t, a in zip(terms, arrays):
        if "..." in t:
            count = a.ndim - len(t.replace("...", ""))
            t = t.replace("...", ell[width - count:])
        fixed.append(t)
    if arrow:
        out = out.replace("...", ell)
    else:
        letters = "".join(fixed)
        once = sorted(c for c in set(letters) if letters.count(c) == 1 and c not in ell)
        out = ell + "".join(once)
    return fixed, out, ell


def full_space(terms, arrays, combine):
    """The combined array over all labels, and the label order of its axes."""
    labels = list(dict.fromkeys("".join(terms)))
    sizes = {}
    for t, a in zip(terms, arrays):
        for c, d in zip(t, a.shape):
            sizes.setdefault(c, []).append(d)
    size = {c: 0 if 0 in ds else max(ds) for c, ds in sizes.items()}
    shape = tuple(size[c] for c in labels)
    parts = []
    for t, a in zip(terms, arrays):
        uniq = "".join(dict.fromkeys(t))
        a = np.einsum(f"{t}->{uniq}", a) if uniq != t else a
        perm = [uniq.index(c) for c in labels if c in uniq]
        a = a.transpose(perm)[tuple(slice(None) if c in uniq else None for c in labels)]
        parts.append(a)
    if not parts:
        return np.zeros(shape), labels
    return np.broadcast_to(reduce(combine, parts), shape), labels


def brute(text, arrays, semiring):
    """The semiring einsum of NumPy einsum ``text`` by brute force."""
    combine, reducer, zero = RINGS[semiring]
    arrays = [np.asarray(a, dtype=np.float64) for a in arrays]
    terms, out, _ = expand(text, arrays)
    space, labels = full_space(terms, arrays, combine)
    uniq = "".join(dict.fromkeys(out))
    axes = tuple(k for k, c in enumerate(labels) if c not in uniq)
    value = reducer(np.asarray(space), axes)
    kept = [c for c in labels if c in uniq]
    value = np.asarray(value).transpose([kept.index(c) for c in uniq])
    if uniq == out:
        return value
    size = dict(zip(uniq, value.shape))
    result = np.full(tuple(size[c] for c in out), zero)
    for index in np.ndindex(*value.shape):
        result[tuple(index[uniq.index(c)] for c in out)] = value[index]
    return result


def product_size(text, shapes):
    """Elements of the full product space (to keep brute force small)."""
    arrays = [np.empty(s) for s in shapes]
    terms, _, _ = expand(text, arrays)
    size = {}
    for t, a in zip(terms, arrays):
        for c, d in zip(t, a.shape):
            size[c] = max(size.get(c, 1), d)
    return int(np.prod(list(size.values()) or [1]))


# -- convolution by its definition --------------------------------------------------------
def _pairs(value, n):
    return (value,) * n if isinstance(value, int) else tuple(value)


def conv_loops(x, w, b=None, stride=1, padding=0, dilation=1, groups=1):
    """The textbook definition: one output element at a time (torch's cross-correlation)."""
    n = w.ndim - 2
    stride, dilation = _pairs(stride, n), _pairs(dilation, n)
    if isinstance(padding, str):
        total = [d * (k - 1) for k, d in zip(w.shape[2:], dilation)]
        pads = [(0, 0)] * n if padding == "valid" else [(t // 2, t - t // 2) for t in total]
    else:
        pads = [(p, p) for p in _pairs(padding, n)]
    xp = np.pad(x.astype(np.float64), [(0, 0), (0, 0)] + pads)
    batch, out_ch, per_group = x.shape[0], w.shape[0], w.shape[1]
    out_sizes = [(xp.shape[2 + a] - dilation[a] * (w.shape[2 + a] - 1) - 1) // stride[a] + 1
                 for a in range(n)]
    out = np.zeros((batch, out_ch, *out_sizes))
    per_out = out_ch // groups
    for bi, o in itertools.product(range(batch), range(out_ch)):
        g = o // per_out
        chans = xp[bi, g * per_group:(g + 1) * per_group]
        for pos in itertools.product(*map(range, out_sizes)):
            index = tuple(slice(p * s, p * s + d * (k - 1) + 1, d)
                          for p, s, d, k in zip(pos, stride, dilation, w.shape[2:]))
            out[(bi, o) + pos] = np.sum(chans[(slice(None),) + index] * w[o])
    if b is not None:
        out += b.reshape((-1,) + (1,) * n)
    return out


# -- comparisons and operands -------------------------------------------------------------
def assert_matches(got, expected):
    """``got`` equals the float64 oracle's ``expected``: same shape, values to 1e-9."""
    got = np.asarray(got)
    assert got.shape == expected.shape, f"shape {got.shape} != oracle {expected.shape}"
    scale = max(1.0, float(np.abs(expected).max())) if expected.size else 1.0
    np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-12 * scale)


def operands(shapes, seed=0):
    """Seeded standard-normal float64 arrays of ``shapes``."""
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(s) for s in shapes]


# -- NumPy stand-ins posing as ``cupy`` ---------------------------------------------------
# FakeCupyArray is not an ndarray (every operation goes through NumPy, flags are CuPy's): it
# checks the backend's wiring.  FakeCupyNdarray is an ndarray subclass that the backend
# registry takes for a cupy array: it checks that Tensors keep their arrays on the device.
def _unwrap(x):
    if isinstance(x, FakeCupyArray):
        return x._a
    if isinstance(x, (list, tuple)):
        return type(x)(_unwrap(v) for v in x)
    return x


def _wrap(value):
    if isinstance(value, (np.ndarray, np.generic)):
        return FakeCupyArray(np.asarray(value))
    if isinstance(value, tuple):
        return tuple(_wrap(v) for v in value)
    return value


def _through(fn):
    return lambda *args, **kwargs: _wrap(fn(*_unwrap(args),
                                            **{k: _unwrap(v) for k, v in kwargs.items()}))


class FakeCupyArray:
    """A device-array stand-in: not an ndarray, every operation goes through NumPy."""

    __array_ufunc__ = None          # NumPy scalars defer to our reflected operators

    def __init__(self, array):
        self._a = array

    def __getattr__(self, name):
        attr = getattr(self._a, name)
        return _through(attr) if callable(attr) else attr

    def __getitem__(self, index):
        return _wrap(self._a[_unwrap(index)])

    def __setitem__(self, index, value):
        self._a[_unwrap(index)] = _unwrap(value)

    def __array__(self, dtype=None, copy=None):
        return np.asarray(self._a, dtype=dtype)

    @property
    def flags(self):                # CuPy's flags: these three only (no ``writeable``)
        flags = self._a.flags
        return types.SimpleNamespace(c_contiguous=flags.c_contiguous,
                                     f_contiguous=flags.f_contiguous, owndata=flags.owndata)


for _name in ("add", "sub", "mul", "truediv", "pow", "radd", "rsub", "rmul", "rtruediv",
              "rpow", "neg", "lt", "le", "gt", "ge", "eq", "ne"):
    setattr(FakeCupyArray, f"__{_name}__", (lambda n: lambda self, *o: _through(
        getattr(np.ndarray, f"__{n}__"))(self, *o))(_name))
FakeCupyArray.__module__ = "cupy"


def fake_cupy_module():
    """A ``cupy`` module whose arrays are :class:`FakeCupyArray` (NumPy underneath)."""
    module = types.ModuleType("cupy")
    module.ndarray = FakeCupyArray

    def passthrough(name):
        target = getattr(np, name)
        return _through(target) if callable(target) and not isinstance(target, type) else target
    module.__getattr__ = passthrough
    module.asnumpy = lambda x: np.asarray(_unwrap(x))
    strided = _through(np.lib.stride_tricks.as_strided)
    module.lib = types.SimpleNamespace(stride_tricks=types.SimpleNamespace(   # CuPy's signature
        as_strided=lambda x, shape=None, strides=None: strided(x, shape=shape, strides=strides)))
    return module


class FakeCupyNdarray(np.ndarray):
    """Looks like a cupy.ndarray to the backend registry."""


FakeCupyNdarray.__module__ = "cupy"


def _as_device(value):
    if isinstance(value, np.ndarray) and not isinstance(value, FakeCupyNdarray):
        return value.view(FakeCupyNdarray)
    return value


def fake_cupy_ndarray_module():
    """A ``cupy`` module whose arrays are :class:`FakeCupyNdarray` views."""
    module = types.ModuleType("cupy")
    module.ndarray = FakeCupyNdarray

    def passthrough(name):
        target = getattr(np, name)
        if not callable(target) or isinstance(target, type):
            return target
        return lambda *args, **kwargs: _as_device(target(*args, **kwargs))
    module.__getattr__ = passthrough
    module.asnumpy = lambda x: np.asarray(x).view(np.ndarray)
    module.lib = types.SimpleNamespace(stride_tricks=types.SimpleNamespace(
        as_strided=lambda x, shape=None, strides=None: np.lib.stride_tricks.as_strided(
            x, shape=shape, strides=strides, subok=True)))      # CuPy's signature exactly
    return module


def install_fake_cupy(monkeypatch, module, array_type):
    """Put ``module`` in place of ``cupy`` for one test; yields it, then forgets the backend.

    Use from a fixture (tests/conftest.py has two):
    ``yield from install_fake_cupy(monkeypatch, fake_cupy_module(), FakeCupyArray)``.
    """
    import contract.backends as backends      # the one helper here that uses the library
    monkeypatch.setitem(sys.modules, "cupy", module)
    monkeypatch.delitem(sys.modules, "contract.backends.cupy_backend", raising=False)
    yield module
    backends._BY_TYPE.pop(array_type, None)
    sys.modules.pop("contract.backends.cupy_backend", None)
