"""Gradients of semiring einsums by central differences (inputs away from ties)."""
import numpy as np
import pytest

import contract as ct
from contract.testing import gradcheck

SEMIRINGS = ("log", "maxplus", "minplus", "maxtimes")
EQUATIONS = [
    ("ij,jk->ik", [(3, 4), (4, 5)], {}), ("ij,jk,kl->il", [(2, 3), (3, 4), (4, 2)], {}),
    ("ii,ij->j", [(3, 3), (3, 4)], {}), ("b (h p), h k -> b k p", [(2, 6), (3, 4)], {"p": 2}),
    ("ij,j->i", [(1, 4), (4,)], {}), ("...ij,...jk->...ik", [(2, 3, 4), (4, 2)], {}),
    ("ij,ij->", [(3, 4), (3, 4)], {}), ("ijk->ki", [(2, 3, 4)], {}), ("iij->j", [(2, 2, 3)], {}),
]


@pytest.mark.parametrize("semiring", SEMIRINGS)
@pytest.mark.parametrize("equation,shapes,sizes", EQUATIONS, ids=[e[0] for e in EQUATIONS])
def test_gradcheck(equation, shapes, sizes, semiring):
    rng = np.random.default_rng(len(equation))
    xs = [ct.tensor(rng.uniform(0.5, 2.0, size=s), dtype=ct.float64, requires_grad=True)
          for s in shapes]
    assert gradcheck(lambda *t: ct.einsum(equation, *t, semiring=semiring, **sizes), xs)


def test_maxplus_gradient_goes_to_the_chosen_assignment():
    a = ct.tensor([[1.0, 5.0], [2.0, 0.0]], dtype=ct.float64, requires_grad=True)
    b = ct.tensor([[0.0, 1.0], [3.0, 0.0]], dtype=ct.float64, requires_grad=True)
    ct.einsum("ij,jk->ik", a, b, semiring="maxplus").sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), [[0.0, 2.0], [1.0, 1.0]])
    np.testing.assert_array_equal(b.grad.numpy(), [[0.0, 1.0], [2.0, 1.0]])


def test_log_gradient_is_softmax_and_safe_on_minus_inf():
    x = ct.tensor([[0.0, np.log(3.0)], [-np.inf, -np.inf]], dtype=ct.float64,
                  requires_grad=True)
    ct.einsum("ij->i", x, semiring="log").sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [[0.25, 0.75], [0.0, 0.0]])
