"""Seeded random Tensor programs (chains of products, reductions, rearrangements, semiring
reductions over broadcast sums, elementwise barriers): compiled results and gradients equal
the eager program's (float64)."""
import numpy as np
import pytest

import contract as ct


def _unary(x, p):
    """One of the unary ops that fit ``x``, chosen by ``p``."""
    n, s = x.ndim, tuple(x.shape)
    found = [lambda: x * 2.5, lambda: -x, lambda: x.exp() * 0.1, lambda: x.relu()]
    if n:
        found += [lambda: x.sum(p % n), lambda: x.mean(-1), lambda: x.unsqueeze(p % (n + 1)),
                  lambda: (x * x).sum(0, keepdim=True) * x]
    if n >= 2:
        found += [lambda: x.T, lambda: x.reshape(-1), lambda: x.logsumexp(0),
                  lambda: x.amax(1), lambda: x @ ct.ones(s[-1], 3, dtype=ct.float64)]
        if s[-1] == s[-2]:
            found += [lambda: x.diagonal(0, -2, -1), lambda: x @ x]
    if n == 2 and s[0] == s[1]:
        found.append(lambda: x.trace().expand(2, 3))
    if n >= 3:
        found += [lambda: x.permute(*reversed(range(n))), lambda: x.sum((0, 1))]
    return found[p % len(found)]()


def _binary(a, b, p):
    found = []
    if a.shape == b.shape:
        found += [lambda: a * b, lambda: a + b, lambda: (a * b).sum(), lambda: a - b]
    if a.ndim and b.ndim and a.shape[-1] == b.shape[0]:
        found.append(lambda: a @ b)
    if a.ndim == 2 and b.ndim == 2 and a.shape[1] == b.shape[0]:
        found += [lambda: (a.unsqueeze(2) + b.unsqueeze(0)).logsumexp(1),
                  lambda: (a.unsqueeze(2) + b.unsqueeze(0)).amax(1)]
    return found[p % len(found)]() if found else a


def _program(steps):
    def fn(*args):
        values = list(args)
        for binary, p, i, j in steps:
            x, y = values[i % len(values)], values[j % len(values)]
            values.append(_binary(x, y, p) if binary else _unary(x, p))
        return values[-1], values[-2]
    return fn


def _random_program(rng, args):
    steps = []
    for _ in range(6):
        steps.append((rng.random() < 0.4, int(rng.integers(100)), int(rng.integers(9)),
                      int(rng.integers(9))))
        try:
            _program(steps)(*args)
        except ct.ContractError:
            steps.pop()
    return _program(steps)


def _gradients(outs, args, seeds):
    for a in args:
        a.grad = None
    parts = [(o * s).sum() for o, s in zip(outs, seeds) if o.requires_grad]
    if not parts:
        return None
    sum(parts).backward()
    return [None if a.grad is None else a.grad.numpy().copy() for a in args]


@pytest.mark.parametrize("seed", range(8))
def test_random_programs_compile_to_the_eager_results(seed):
    rng = np.random.default_rng(seed)
    for _ in range(10):
        n = int(rng.choice([3, 4]))
        shapes = [(n, n), (n, 4), (4, n), (n,)]
        args = [ct.tensor(rng.standard_normal(shapes[rng.integers(4)]), dtype=ct.float64,
                          requires_grad=True) for _ in range(3)]
        fn = _random_program(rng, args)
        want, got = fn(*args), ct.compile(fn)(*args)
        for g, w in zip(got, want):
            assert g.shape == w.shape and g.dtype == w.dtype
            np.testing.assert_allclose(g.detach().numpy(), w.detach().numpy(), rtol=1e-10,
                                       atol=1e-10)
        seeds = [ct.tensor(rng.standard_normal(tuple(w.shape)), dtype=ct.float64) for w in want]
        eager, mine = _gradients(want, args, seeds), _gradients(got, args, seeds)
        for e, m in zip(eager or [], mine or []):
            if e is None:
                assert m is None or not m.any()
            else:
                np.testing.assert_allclose(m, e, rtol=1e-9, atol=1e-9)
