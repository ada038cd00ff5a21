"""Issue 14, class 1: basic indexing down to one element gives a view that shares storage.

NumPy hands back a scalar (a copy) for ``a[0]`` on a 1-d array; a Tensor view must not.
The regression tests pin the cases of the issue; the differential test runs seeded random
programs of basic indexing and in-place updates (with and without autograd) on contract and
on torch and compares every tensor they hold and the gradients.
"""
import numpy as np
import pytest

import contract as ct

CASES = 400          # generated programs per mode (the report counts them)


# -- regressions ---------------------------------------------------------------------
def test_an_in_place_update_of_a_0d_view_reaches_its_base():
    b = ct.zeros(3)
    v = b[0]
    v += 1
    b[1].add_(2)
    assert b.tolist() == [1.0, 2.0, 0.0]


def test_a_chained_in_place_update_of_one_element_is_kept():
    m = ct.zeros(2, 2)
    m[1, 1].mul_(0).add_(7)
    assert m.tolist() == [[0.0, 0.0], [0.0, 7.0]]


def test_a_0d_view_sees_a_later_write_into_its_base():
    b = ct.zeros(3)
    r = b[2]
    b[2] = 9.0
    assert r.item() == 9.0


def test_a_0d_view_is_writable_after_its_base_was_updated():
    b = ct.zeros(3)
    e = b[0]
    b.add_(1)
    e.add_(10)
    assert b.tolist() == [11.0, 1.0, 1.0]


def test_gradients_through_an_updated_0d_view():
    x = ct.tensor([1., 2., 3.], requires_grad=True)
    b = x * 1
    b[0].mul_(3)
    b.sum().backward()
    assert x.grad.tolist() == [3.0, 1.0, 1.0]


# -- differential against torch -----------------------------------------------------
def _basic_index(rng, shape):
    """A random basic index of ``shape``: ints (often all of them), slices, None, ``...``."""
    items = []
    for n in shape:
        pick = rng.random()
        if pick < 0.6:
            items.append(int(rng.integers(-n, n)))
        else:
            start = int(rng.integers(0, n))
            items.append(slice(start, int(rng.integers(start, n + 1)), int(rng.integers(1, 3))))
    if rng.random() < 0.15:
        items.insert(int(rng.integers(0, len(items) + 1)), None)
    if rng.random() < 0.15 and items:
        cut = int(rng.integers(0, len(items)))
        items = items[:cut] + [Ellipsis]
    return items[0] if len(items) == 1 and rng.random() < 0.5 else tuple(items)


def _program(rng):
    """Shape and a list of steps: ('view', index), ('op', which view, kind, value)."""
    shape = tuple(int(n) for n in rng.integers(1, 4, size=int(rng.integers(1, 4))))
    steps = []
    for _ in range(int(rng.integers(1, 6))):
        if rng.random() < 0.5:
            steps.append(("view", _basic_index(rng, shape)))
        else:
            kind = ["add_", "mul_", "iadd", "set", "base_add_", "base_set"][int(rng.integers(6))]
            steps.append(("op", int(rng.integers(0, 8)), kind, float(rng.integers(-3, 4)),
                          _basic_index(rng, shape)))
    return shape, steps


def _run(lib, shape, steps, grad):
    """Run a program with ``lib`` (contract or torch); returns the base, views, gradient."""
    x = lib.arange(float(np.prod(shape))).reshape(shape) + 1
    if grad:
        x.requires_grad_(True)
    base = x * 1
    views = []
    for step in steps:
        if step[0] == "view":
            views.append(base[step[1]])
            continue
        _, which, kind, value, index = step
        if kind.startswith("base") or not views:
            if kind == "base_set":
                base[index] = value
            else:
                base.add_(value)
            continue
        v = views[which % len(views)]
        if kind == "add_":
            v.add_(value)
        elif kind == "mul_":
            v.mul_(value)
        elif kind == "iadd":
            v += value
        else:
            v[...] = value
    gradient = None
    if grad:
        total = (base * (lib.arange(float(base.numel())).reshape(base.shape) + 1)).sum()
        for k, v in enumerate(views):
            total = total + v.sum() * (k + 2)
        total.backward()
        gradient = x.grad.detach().numpy().tolist()
    return (base.detach().numpy().tolist(), [v.detach().numpy().tolist() for v in views],
            gradient)


@pytest.mark.parametrize("grad", [False, True])
def test_views_and_updates_match_torch(grad):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(14001 + grad)
    for case in range(CASES):
        shape, steps = _program(rng)
        assert _run(ct, shape, steps, grad) == _run(torch, shape, steps, grad), (case, shape,
                                                                                 steps)
