"""The log-semiring VJP walks the traced steps (the log rule on each step's own plan) instead
of running one whole contraction per operand: same gradients, reusable with retain_graph."""
import numpy as np
import pytest

import contract as ct
from contract.autograd import einsum_vjp as vjp_module
from contract.autograd.semiring_vjp import log_vjp

CASES = [
    ("ij,jk,kl,lm,mn,no->io", [(5, 6), (6, 7), (7, 5), (5, 6), (6, 4), (4, 3)], {}),
    ("ti,ij,tj,jk,tk->t", [(4, 5), (5, 6), (4, 6), (6, 3), (4, 3)], {}),
    ("ii,ij,jk->k", [(4, 4), (4, 5), (5, 3)], {}),
    ("b (h p), h k, k->b p", [(2, 6), (3, 4), (4,)], {"p": 2}),
    ("ij,jk,kl->ili", [(3, 4), (4, 5), (5, 2)], {}),
]


def _grads(equation, arrays, sizes, seed, walk):
    tensors = [ct.tensor(a, requires_grad=True) for a in arrays]
    out = ct.einsum(equation, *tensors, semiring="log", **sizes)
    if not walk:        # the whole-plan rule, as the VJP ran before
        plan = ct.plan(equation, *arrays, semiring="log", **sizes)
        return log_vjp(plan, arrays, out.detach().numpy(), seed)
    out.backward(ct.tensor(seed))
    return [t.grad.numpy() for t in tensors]


@pytest.mark.parametrize("equation, shapes, sizes", CASES, ids=[c[0] for c in CASES])
def test_the_step_walk_equals_the_whole_plan_rule(equation, shapes, sizes):
    rng = np.random.default_rng(len(equation))
    arrays = [rng.normal(size=s) for s in shapes]
    out = ct.einsum(equation, *arrays, semiring="log", **sizes)
    seed = rng.uniform(-1, 1, size=out.shape)
    plan = ct.plan(equation, *arrays, semiring="log", **sizes)
    assert len(plan.steps) > 1
    walked = _grads(equation, arrays, sizes, seed, walk=True)
    whole = _grads(equation, arrays, sizes, seed, walk=False)
    for w, h in zip(walked, whole):
        np.testing.assert_allclose(w, h, rtol=1e-11, atol=1e-13)


def test_the_walk_is_taken_and_leaves_the_trace_for_a_second_backward(monkeypatch):
    calls = []
    real_walk = vjp_module.rule_walk
    monkeypatch.setattr(vjp_module, "rule_walk",
                        lambda *a, **k: calls.append(1) or real_walk(*a, **k))
    x = [ct.randn(4, 4, dtype=ct.float64, requires_grad=True) for _ in range(3)]
    out = ct.einsum("ij,jk,kl->", *x, semiring="log")
    out.backward(retain_graph=True)
    first = x[0].grad.numpy().copy()
    out.backward()
    np.testing.assert_allclose(x[0].grad.numpy(), 2 * first, rtol=1e-12)
    assert len(calls) == 2
