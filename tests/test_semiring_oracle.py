"""A brute-force semiring einsum over the full product space (the tests' oracle).

It reads NumPy einsum text (letters, ``...``, repeated labels, implicit output,
size-1 broadcasting) and shares no code with the library: every operand is
broadcast to the space of all labels, combined, then reduced.
"""
from functools import reduce

import numpy as np

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


RINGS = {
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


# -- the oracle checks itself against hand-written NumPy ----------------------------------
def test_oracle_maxplus_matrix_product():
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(3, 4)), rng.normal(size=(4, 5))
    expected = np.array([[max(a[i, j] + b[j, k] for j in range(4)) for k in range(5)]
                         for i in range(3)])
    np.testing.assert_allclose(brute("ij,jk->ik", [a, b], "maxplus"), expected)


def test_oracle_log_ellipsis_and_diagonal():
    rng = np.random.default_rng(1)
    a = rng.normal(size=(2, 3, 3))
    expected = np.log(np.exp(np.diagonal(a, axis1=1, axis2=2)).sum())
    np.testing.assert_allclose(brute("...ii->", [a], "log"), expected)
    assert expand("...ij,j", [np.empty((2, 3, 4)), np.empty(4)])[1] == "Ai"
