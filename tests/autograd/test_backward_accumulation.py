"""Issue 14, class 10: one backward pass sums each leaf's contributions first, then adds the
sum into ``.grad`` once (as torch does), so a second identical pass gives exactly twice the
first.  The differential test builds seeded random graphs that reach the leaves along many
paths, runs two passes, and compares with torch.
"""
import numpy as np
import pytest

import contract as ct

CASES = 300


def test_two_identical_passes_give_exactly_twice_the_first():
    rng = np.random.default_rng(3)
    x = ct.tensor(rng.normal(size=5), requires_grad=True)
    y = sum((x * float(c)).sum() for c in rng.normal(size=7))
    y.backward(retain_graph=True)
    first = x.grad.numpy().copy()
    y.backward()
    assert (x.grad.numpy() == 2 * first).all()


def _graph(rng):
    """Ops as data: each makes a node from earlier nodes (0, 1 are the leaves)."""
    ops = []
    for k in range(int(rng.integers(2, 10))):
        kind = ["mul", "add", "scale", "einsum", "index", "exp"][int(rng.integers(6))]
        a, b = (int(i) for i in rng.integers(0, k + 2, size=2))
        ops.append((kind, a, b, float(rng.normal())))
    picks = [(int(rng.integers(0, len(ops) + 2)), float(rng.normal()))
             for _ in range(int(rng.integers(1, 6)))]
    return ops, picks


def _run(lib, data, ops, picks, passes=2):
    leaves = [lib.tensor(d, requires_grad=True) for d in data]
    nodes = list(leaves)
    for kind, a, b, c in ops:
        x, y = nodes[a], nodes[b]
        if kind == "mul":
            nodes.append(x * y)
        elif kind == "add":
            nodes.append(x + y)
        elif kind == "scale":
            nodes.append(x * c)
        elif kind == "einsum":
            nodes.append(lib.einsum("i,i->i", x, y))
        elif kind == "index":              # views: a rotation, one element scaled
            nodes.append(lib.cat([x[1:] * 0.5, x[:1]]) + x[0] * c)
        else:
            nodes.append((x * 0.1).exp())
    total = sum((nodes[k].sum() * c for k, c in picks), lib.tensor(0., dtype=lib.float64))
    grads = []
    for _ in range(passes):
        total.backward(retain_graph=True)
        grads.append([None if t.grad is None else t.grad.numpy().copy() for t in leaves])
    return grads


def test_random_graphs_accumulate_once_per_pass():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(14014)
    for case in range(CASES):
        ops, picks = _graph(rng)
        data = [rng.normal(size=4), rng.normal(size=4)]
        want, got = _run(torch, data, ops, picks), _run(ct, data, ops, picks)
        where = str((case, ops, picks))
        for first, second, expected in zip(got[0], got[1], want[0]):
            if expected is None:
                assert first is None, where
                continue
            np.testing.assert_allclose(first, expected, rtol=1e-12, atol=1e-12, err_msg=where)
            assert (second == 2 * first).all(), where
