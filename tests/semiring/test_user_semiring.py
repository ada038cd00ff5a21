"""A semiring a user registers is data like the built-in ones: plans, argmax, slicing, Dask
arrays and autograd use it with no edits elsewhere (every fact is a field of its record)."""
import numpy as np
import pytest

import contract as ct
from contract.engine.kernels.semiring import SemiringOps
from contract.engine.semirings import get_semiring, make_semiring

NAME = "user-tropical"
EQUATION = "ij,jk,kl->il"


def _max(xp, a, axes, out=None, scratch=False):
    return a.max(axis=axes) if out is None else a.max(axis=axes, out=out)


def _ring():
    try:
        return get_semiring(NAME)
    except ct.ContractError:
        ops = SemiringOps(NAME, _max, "add", "maximum", "argmax", "greater")
        return ct.register_semiring(make_semiring(ops, zero=-np.inf, one=0.0))


def _operands(seed=0):
    rng = np.random.default_rng(seed)
    return rng.random((4, 5)), rng.random((5, 6)), rng.random((6, 3))


def _reference(a, b, c):
    """Max-plus by brute force: max over j, k of a[i, j] + b[j, k] + c[k, l]."""
    total = a[:, :, None, None] + b[None, :, :, None] + c[None, None, :, :]
    return total.max(axis=(1, 2))


def test_the_record_carries_its_facts():
    ring = _ring()
    assert (ring.gradient, ring.accumulate, ring.ordered, ring.has_argmax) == (
        "select", "maximum", True, True)


def test_plans_and_argmax():
    _ring()
    ops = _operands()
    np.testing.assert_allclose(ct.einsum(EQUATION, *ops, semiring=NAME), _reference(*ops))
    values, index = ct.einsum(EQUATION, *ops, semiring=NAME, argmax=True)
    a, b, c = ops
    i, l = np.indices(values.shape)
    picked = a[i, index["j"]] + b[index["j"], index["k"]] + c[index["k"], l]
    np.testing.assert_allclose(picked, values)


def test_slicing_combines_slices_with_its_add():
    _ring()
    rng = np.random.default_rng(1)
    ops = [rng.random((4, 4, 4)) for _ in range(4)]
    loop = "abc,cde,efa,bdf->"          # its intermediates outgrow the operands
    sp = ct.slice_plan(loop, *ops, memory_limit=64, semiring=NAME)
    assert sp.num_slices > 1
    np.testing.assert_allclose(sp(*ops), ct.einsum(loop, *ops, semiring="maxplus"))


def test_dask_arrays():
    da = pytest.importorskip("dask.array")
    ops = _operands(2)
    _ring()
    lazy = ct.einsum(EQUATION, *(da.from_array(x, chunks=2) for x in ops), semiring=NAME)
    np.testing.assert_allclose(lazy.compute(), _reference(*ops))


def test_autograd_sends_the_gradient_to_the_chosen_terms():
    _ring()
    a, b, _ = _operands(3)
    grads = []
    for semiring in (NAME, "maxplus"):
        x, y = ct.tensor(a, requires_grad=True), ct.tensor(b, requires_grad=True)
        ct.einsum("ij,jk->ik", x, y, semiring=semiring).sum().backward()
        grads.append((x.grad.numpy(), y.grad.numpy()))
    for mine, builtin in zip(*grads):
        np.testing.assert_array_equal(mine, builtin)
    assert grads[0][0].sum() == a.shape[0] * b.shape[1]     # one unit per output element


def test_a_semiring_without_a_gradient_rule_says_so():
    ops = SemiringOps("user-nograd", _max, "add", "maximum")
    ring = make_semiring(ops, zero=-np.inf, one=0.0)
    assert ring.gradient is None
    x = ct.tensor([[1., 2.]], requires_grad=True)
    out = ct.einsum("ij->i", x, semiring=ring)
    with pytest.raises(NotImplementedError, match="no gradient rule"):
        out.sum().backward()


def test_registering_twice_or_a_bad_gradient_is_refused():
    _ring()
    with pytest.raises(ct.ContractError, match="already registered"):
        ct.register_semiring(_ring())
    bad = make_semiring(SemiringOps("user-bad", _max, "add", "maximum"), -np.inf, 0.0,
                        gradient="nope")
    with pytest.raises(ct.ContractError, match="gradient must be one of"):
        ct.register_semiring(bad)
    with pytest.raises(ct.ContractError, match="Semiring record"):
        ct.register_semiring("foo")


def test_a_callable_accumulate_works_in_n_ary_steps_and_slices():
    """The running reduction of an n-ary step starts from the record's zero, not from a
    table of ufunc names (a callable accumulate has none)."""
    ops = SemiringOps("user-callable-acc", _max, "add", lambda xp, a, b: xp.maximum(a, b))
    ring = make_semiring(ops, zero=-np.inf, one=0.0)
    a, b, c = _operands(4)
    got = ct.einsum(EQUATION, a, b, c, semiring=ring, optimize=[(0, 1, 2)])
    np.testing.assert_allclose(got, _reference(a, b, c))
    ints = [np.arange(6).reshape(2, 3), np.arange(12).reshape(3, 4), np.ones((4, 2), int)]
    got = ct.einsum(EQUATION, *ints, semiring=ring, optimize=[(0, 1, 2)])
    np.testing.assert_array_equal(got, _reference(*ints))
