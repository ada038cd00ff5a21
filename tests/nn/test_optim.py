"""ct.optim: SGD, Adam, AdamW over 10 float64 steps, to 1e-12 of torch's updates (when torch
is installed) and of the updates written out below from torch's documented algorithms."""
import math

import numpy as np
import pytest

import contract as ct

STEPS = 10
CONFIGS = [
    ("SGD", dict(lr=0.1)),
    ("SGD", dict(lr=0.1, momentum=0.9)),
    ("SGD", dict(lr=0.1, momentum=0.9, dampening=0.3, weight_decay=0.05)),
    ("SGD", dict(lr=0.1, momentum=0.8, nesterov=True, weight_decay=0.01)),
    ("SGD", dict(lr=0.05, weight_decay=0.1, maximize=True)),
    ("Adam", dict(lr=0.01)),
    ("Adam", dict(lr=0.02, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1)),
    ("Adam", dict(lr=0.01, amsgrad=True, maximize=True)),
    ("AdamW", dict(lr=0.01)),
    ("AdamW", dict(lr=0.01, weight_decay=0.1, amsgrad=True)),
]


def _problem():
    rng = np.random.default_rng(0)
    init = [rng.standard_normal((3, 4)), rng.standard_normal(4)]
    noise = [[rng.standard_normal(a.shape) for a in init] for _ in range(STEPS)]
    return init, noise


def _gradient(param, noise):
    """A gradient that depends on the parameter, so the trajectories can drift apart."""
    return noise + 0.5 * param + 0.1 * param ** 2


def _run_contract(name, kwargs):
    init, noise = _problem()
    params = [ct.nn.Parameter(ct.tensor(a.copy())) for a in init]
    opt = getattr(ct.optim, name)(params, **kwargs)
    for step in range(STEPS):
        opt.zero_grad()
        for p, n in zip(params, noise[step]):
            p.grad = ct.tensor(_gradient(p.detach().numpy(), n))
        opt.step()
    return [p.detach().numpy() for p in params]


def _reference(name, kwargs):
    """torch.optim's algorithms (docs pseudo-code), one parameter at a time, in NumPy."""
    init, noise = _problem()
    out = []
    for k, p in enumerate(init):
        p, state = p.copy(), {}
        for step in range(1, STEPS + 1):
            g = _gradient(p, noise[step - 1][k])
            p = (_sgd if name == "SGD" else _adam)(p, g, step, state, name, **kwargs)
        out.append(p)
    return out


def _sgd(p, g, step, state, name, lr, momentum=0, dampening=0, weight_decay=0, nesterov=False,
         maximize=False):
    g = -g if maximize else g
    g = g + weight_decay * p
    if momentum:
        b = g if step == 1 else momentum * state["b"] + (1 - dampening) * g
        state["b"] = b
        g = g + momentum * b if nesterov else b
    return p - lr * g


def _adam(p, g, step, state, name, lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=None,
          amsgrad=False, maximize=False):
    b1, b2 = betas
    g = -g if maximize else g
    if name == "AdamW":
        p = p * (1 - lr * (0.01 if weight_decay is None else weight_decay))
    elif weight_decay:
        g = g + weight_decay * p
    m = b1 * state.get("m", 0) + (1 - b1) * g
    v = b2 * state.get("v", 0) + (1 - b2) * g * g
    state["m"], state["v"] = m, v
    if amsgrad:
        v = state["vmax"] = np.maximum(state.get("vmax", v), v)
    m_hat, v_hat = m / (1 - b1 ** step), v / (1 - b2 ** step)
    return p - lr * m_hat / (np.sqrt(v_hat) + eps)


@pytest.mark.parametrize("name, kwargs", CONFIGS)
def test_against_the_written_out_update(name, kwargs):
    for got, want in zip(_run_contract(name, kwargs), _reference(name, kwargs)):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name, kwargs", CONFIGS + [
    ("Adam", dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True))])
def test_against_torch(name, kwargs):
    torch = pytest.importorskip("torch")
    init, noise = _problem()
    params = [torch.nn.Parameter(torch.tensor(a.copy())) for a in init]
    opt = getattr(torch.optim, name)(params, **kwargs)
    for step in range(STEPS):
        opt.zero_grad()
        for p, n in zip(params, noise[step]):
            p.grad = torch.tensor(_gradient(p.detach().numpy(), n))
        opt.step()
    for got, want in zip(_run_contract(name, kwargs), params):
        np.testing.assert_allclose(got, want.detach().numpy(), rtol=1e-12, atol=1e-12)


def test_param_groups_closure_and_zero_grad():
    a = ct.nn.Parameter(ct.tensor([1.0, 2.0], dtype=ct.float64))
    b = ct.nn.Parameter(ct.tensor([3.0], dtype=ct.float64))
    c = ct.nn.Parameter(ct.tensor([5.0], dtype=ct.float64))      # no gradient: not moved
    opt = ct.optim.SGD([{"params": [a]}, {"params": [b, c], "lr": 0.5}], lr=0.1)

    def closure():
        opt.zero_grad()
        loss = (a * a).sum() + (b * b).sum()
        loss.backward()
        return loss
    assert math.isclose(opt.step(closure).item(), 14.0)
    assert a.tolist() == [0.8, 1.6] and b.tolist() == [0.0] and c.tolist() == [5.0]
    opt.param_groups[0]["lr"] = 0.0                           # hyper-parameters are live
    opt.step(closure)
    assert a.tolist() == [0.8, 1.6]
    opt.zero_grad(set_to_none=False)
    assert a.grad.tolist() == [0.0, 0.0]
    opt.zero_grad()
    assert a.grad is None
    named = ct.optim.Adam(ct.nn.Linear(2, 1).named_parameters())
    assert named.param_groups[0]["param_names"] == ["weight", "bias"]


def test_step_notes_the_in_place_write():
    """A graph that saved a parameter refuses to run backward after the step (torch's check)."""
    w = ct.nn.Parameter(ct.ones(2))
    x = ct.ones(2, requires_grad=True)
    loss = (w * x).sum()
    w.grad = ct.ones(2)
    ct.optim.SGD([w], lr=0.1).step()
    with pytest.raises(ct.ContractError, match="modified by an inplace operation"):
        loss.backward()


@pytest.mark.parametrize("make, match", [
    (lambda p: ct.optim.SGD(p, lr=-1), "Invalid learning rate"),
    (lambda p: ct.optim.SGD(p, momentum=-0.1), "Invalid momentum"),
    (lambda p: ct.optim.SGD(p, nesterov=True), "Nesterov momentum requires"),
    (lambda p: ct.optim.SGD(p, weight_decay=-1), "Invalid weight_decay"),
    (lambda p: ct.optim.Adam(p, betas=(1.0, 0.9)), "Invalid beta parameter at index 0"),
    (lambda p: ct.optim.Adam(p, eps=-1), "Invalid epsilon"),
    (lambda p: ct.optim.Adam([]), "empty parameter list"),
    (lambda p: ct.optim.Adam(p[0]), "iterable of Tensors"),
    (lambda p: ct.optim.Adam(p + p), "more than one parameter group"),
    (lambda p: ct.optim.Adam([p[0] * 2]), "non-leaf"),
    (lambda p: ct.optim.Adam([1.0]), "can only optimize Tensors"),
])
def test_errors(make, match):
    params = [ct.nn.Parameter(ct.ones(2))]
    with pytest.raises(ct.ContractError, match=match):
        make(params)


def test_repr():
    text = repr(ct.optim.Adam([ct.nn.Parameter(ct.ones(1))], lr=0.5))
    assert text.startswith("Adam (") and "lr: 0.5" in text and "Parameter Group 0" in text
