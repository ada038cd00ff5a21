"""The einsum VJP against central differences on 40+ equations (float64)."""
import numpy as np
import pytest

import contract as ct
from contract.testing import gradcheck
from oracles import operands

CASES = [
    ("ij,jk->ik", [(2, 3), (3, 4)]),
    ("ij,jk", [(2, 3), (3, 2)]),
    ("ij->ji", [(2, 3)]),
    ("ij->", [(2, 3)]),
    ("ij->i", [(2, 3)]),
    ("ij->j", [(2, 3)]),
    ("i,i->", [(4,), (4,)]),
    ("i,j->ij", [(2,), (3,)]),
    ("ij,ij->ij", [(2, 3), (2, 3)]),
    ("ij,j->ij", [(2, 3), (3,)]),
    ("bij,bjk->bik", [(2, 2, 3), (2, 3, 2)]),
    ("ii->i", [(3, 3)]),
    ("ii->", [(3, 3)]),
    ("ii", [(3, 3)]),
    ("iij->ij", [(2, 2, 3)]),
    ("iji->j", [(2, 3, 2)]),
    ("iijj->ij", [(2, 2, 3, 3)]),
    ("iijj->", [(2, 2, 3, 3)]),
    ("ii,i->i", [(3, 3), (3,)]),
    ("i->ii", [(3,)]),
    ("ij->iij", [(2, 3)]),
    ("ij->jii", [(2, 3)]),
    ("...ij,...jk->...ik", [(2, 2, 3), (2, 3, 2)]),
    ("...ij,...jk->...ik", [(2, 1, 2, 3), (3, 3, 2)]),
    ("...i->...", [(2, 3, 4)]),
    ("i...->...", [(2, 3, 4)]),
    ("...ii->...i", [(2, 3, 3)]),
    ("ij,ij->ij", [(1, 3), (4, 3)]),
    ("ij,jk->ik", [(2, 1), (3, 4)]),
    ("ij,ij->", [(4, 1), (1, 3)]),
    ("ijk,jk->i", [(2, 1, 3), (4, 3)]),
    ("ij,jk,kl->il", [(2, 3), (3, 4), (4, 2)]),
    ("ab,bc,cd,de->ae", [(2, 3), (3, 2), (2, 3), (3, 2)]),
    ("ab,bc,cd,de,ef,fg->ag", [(2, 3), (3, 2), (2, 3), (3, 2), (2, 3), (3, 2)]),
    ("ijk,jkl,li->", [(2, 3, 2), (3, 2, 2), (2, 2)]),
    ("ij,jk,ki->", [(2, 3), (3, 4), (4, 2)]),
    ("abc,cd,bd->a", [(2, 3, 4), (4, 2), (3, 2)]),
    ("ij,kl->ijkl", [(2, 2), (2, 3)]),
    ("i,i,i->i", [(3,), (3,), (3,)]),
    ("ij,ij,ij->", [(2, 3), (2, 3), (2, 3)]),
    ("ij,jk->ik", [(0, 3), (3, 2)]),
    ("ij,jk->ik", [(2, 0), (0, 2)]),
    ("ij->i", [(3, 0)]),
    ("b (h p) -> b h", [(2, 6)]),
    ("b h p -> b (h p)", [(2, 3, 2)]),
    ("(i j), j -> i", [(6,), (3,)]),
    ("batch chan -> chan", [(3, 2)]),
    ("ij,jk->ki", [(2, 3), (3, 4)]),
    ("bi,bj->bij", [(2, 3), (2, 2)]),
    ("ijk,ikl->jl", [(2, 2, 3), (2, 3, 2)]),
]


def _inputs(shapes, seed):
    return [ct.tensor(a, dtype=ct.float64, requires_grad=True) for a in operands(shapes, seed)]


@pytest.mark.parametrize("equation,shapes", CASES, ids=[f"{e}|{s}" for e, s in CASES])
def test_einsum_gradients_match_central_differences(equation, shapes):
    sizes = {"p": 2} if "(h p)" in equation else {}
    inputs = _inputs(shapes, len(equation))
    assert gradcheck(lambda *ts: ct.einsum(equation, *ts, **sizes), inputs)


@pytest.mark.parametrize("equation,shapes", CASES[:12], ids=[e for e, _ in CASES[:12]])
def test_einsum_forward_matches_numpy(equation, shapes):
    inputs = _inputs(shapes, 1)
    got = ct.einsum(equation, *inputs)
    want = np.einsum(equation, *[t.detach().numpy() for t in inputs])
    np.testing.assert_allclose(got.detach().numpy(), want, rtol=1e-12, atol=1e-12)


def test_only_operands_that_need_grad_get_one():
    a, b = _inputs([(2, 3), (3, 4)], 3)
    b.requires_grad_(False)
    ct.einsum("ij,jk->ik", a, b).sum().backward()
    assert b.grad is None
    np.testing.assert_allclose(a.grad.numpy(), np.ones((2, 4)) @ b.numpy().T)


def test_mixed_tensor_and_array_operands():
    a = _inputs([(2, 3)], 4)[0]
    w = np.arange(3.0)
    out = ct.einsum("ij,j->i", a, w)
    assert isinstance(out, ct.Tensor)
    out.sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), np.broadcast_to(w, (2, 3)))


def test_plan_called_on_tensors_is_differentiable():
    a, b, c = _inputs([(2, 3), (3, 4), (4, 2)], 5)
    p = ct.plan("ij,jk,kl->il", a, b, c)
    out = p(a, b, c)
    assert out.grad_fn is not None
    out.backward(ct.ones(2, 2, dtype=ct.float64))
    want = np.ones((2, 2)) @ (b.detach().numpy() @ c.detach().numpy()).T
    np.testing.assert_allclose(a.grad.numpy(), want)


def test_integer_operand_in_a_float_einsum_gets_no_gradient():
    a = _inputs([(2, 3)], 6)[0]
    counts = ct.tensor([[1, 2, 3], [4, 5, 6]])
    ct.einsum("ij,ij->", a, counts).backward()
    np.testing.assert_allclose(a.grad.numpy(), counts.numpy())


@pytest.mark.parametrize("optimize", [False, "greedy", "optimal", [(0, 2), (0, 1)]])
def test_gradients_for_every_path_choice(optimize):
    inputs = _inputs([(2, 3), (3, 4), (4, 2)], 7)
    assert gradcheck(lambda *ts: ct.einsum("ij,jk,kl->il", *ts, optimize=optimize), inputs)


def test_float32_and_float16_operands_get_gradients_in_their_dtype():
    a = ct.tensor([[1.0, 2.0], [3.0, 4.0]], dtype=ct.float16, requires_grad=True)
    b = ct.tensor([[1.0, 0.5], [0.25, 2.0]], requires_grad=True)
    ct.einsum("ij,jk->", a, b).backward()
    assert a.grad.dtype == ct.float16 and b.grad.dtype == ct.float32
    np.testing.assert_allclose(a.grad.numpy(), np.ones((2, 2)) @ b.detach().numpy().T)


# -- a broadcast size-1 axis beside a split group ----------------------------------------
def test_gradients_through_a_broadcast_axis_beside_a_split_group():
    rng = np.random.default_rng(1)
    x = ct.tensor(rng.standard_normal((1, 8)), requires_grad=True)
    y = ct.tensor(rng.standard_normal((4,)), requires_grad=True)
    assert ct.testing.gradcheck(lambda a, b: ct.einsum("b (h p), b -> b h", a, b, p=2), (x, y))
