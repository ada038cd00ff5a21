"""softplus, logsigmoid, gelu (erf), dropout (contract/nn/activations.py) and normalize,
layer_norm, batch_norm (contract/nn/normalization.py): formulas, gradients, torch."""
import math

import numpy as np
import pytest

import contract as ct
import contract.nn.functional as F
from contract.tensors.ops import softmax as ops_softmax
from contract.nn.activations import erf
from contract.testing import gradcheck


# -- without torch ---------------------------------------------------------------------------
def test_erf_to_an_ulp():
    x = np.concatenate([np.linspace(-7, 7, 20001), np.logspace(-300, 1.5, 400),
                        -np.logspace(-300, 1.5, 400)])
    want = np.array([math.erf(v) for v in x])
    got = erf(x)
    assert (np.abs(got - want) <= np.spacing(np.abs(want))).all()
    special = erf(np.array([np.inf, -np.inf, np.nan, 0.0]))
    assert special[:2].tolist() == [1.0, -1.0] and np.isnan(special[2]) and special[3] == 0.0


@pytest.mark.parametrize("fn", [lambda a: F.softplus(a), lambda a: F.softplus(a, 2.0, 3.0),
                                F.logsigmoid, F.gelu, lambda a: F.gelu(a, approximate="tanh")])
def test_activation_gradcheck(fn):
    x = ct.tensor([-30., -2.5, -0.3, 0.0, 0.4, 1.7, 25.], dtype=ct.float64, requires_grad=True)
    assert gradcheck(fn, (x,))


def test_activation_values():
    x = np.array([-3., -0.5, 0., 0.5, 3.])
    np.testing.assert_allclose(F.softplus(ct.tensor(x)).numpy(), np.log1p(np.exp(x)), rtol=1e-6)
    np.testing.assert_allclose(F.logsigmoid(ct.tensor(x, dtype=ct.float64)).numpy(),
                               -np.log1p(np.exp(-x)), rtol=1e-14)
    phi = np.array([0.5 * (1 + math.erf(v / math.sqrt(2))) for v in x])
    np.testing.assert_allclose(F.gelu(ct.tensor(x, dtype=ct.float64)).numpy(), x * phi,
                               rtol=1e-15)
    assert F.gelu(ct.ones(2)).dtype == np.float32
    with pytest.raises(ct.ContractError, match="approximate"):
        F.gelu(ct.ones(2), approximate="fast")
    with pytest.raises(ct.ContractError, match="floating point"):
        F.softplus(ct.tensor([1, 2]))


def test_dropout_is_seeded_scaled_and_off_in_eval():
    ct.manual_seed(7)
    a = F.dropout(ct.ones(1000), p=0.3)
    ct.manual_seed(7)
    b = F.dropout(ct.ones(1000), p=0.3)
    assert a.tolist() == b.tolist()
    kept = a.numpy()[a.numpy() != 0]
    np.testing.assert_allclose(kept, 1 / 0.7, rtol=1e-7)
    assert 0.2 < (a.numpy() == 0).mean() < 0.4
    x = ct.ones(5, requires_grad=True)
    assert F.dropout(x, 0.5, training=False) is x
    F.dropout(x, p=1.0).sum().backward()
    assert x.grad.tolist() == [0.0] * 5
    with pytest.raises(ct.ContractError, match="between 0 and 1"):
        F.dropout(x, p=1.5)
    y = ct.ones(4)
    assert F.dropout(y, 0.5, inplace=True) is y


def test_normalize_and_layer_norm_formulas():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((3, 4))
    got = F.normalize(ct.tensor(x), dim=1).numpy()
    np.testing.assert_allclose(got, x / np.linalg.norm(x, axis=1, keepdims=True), rtol=1e-14)
    x = rng.standard_normal((2, 3, 4)) * 3 + 2
    w, b = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    mean = x.mean(axis=(1, 2), keepdims=True)
    want = (x - mean) / np.sqrt(x.var(axis=(1, 2), keepdims=True) + 1e-5) * w + b
    got = F.layer_norm(ct.tensor(x), (3, 4), ct.tensor(w), ct.tensor(b))
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-12)


@pytest.mark.parametrize("rows, n", [(5, 6), (700, 300)])          # one block, several blocks
def test_layer_norm_gradcheck(rows, n, monkeypatch):
    monkeypatch.setattr(ops_softmax, "BLOCK_ELEMENTS", 4096)
    rng = np.random.default_rng(1)
    x = ct.tensor(rng.standard_normal((rows, n)), requires_grad=True)
    w = ct.tensor(rng.standard_normal(n), requires_grad=True)
    b = ct.tensor(rng.standard_normal(n), requires_grad=True)
    if rows * n > 1000:         # central differences on 210k inputs would be slow: one row
        g = rng.standard_normal((rows, n))
        out = F.layer_norm(x, n, w, b)
        out.backward(ct.tensor(g))
        r = 123
        xr = ct.tensor(x.detach().numpy()[r:r + 1], requires_grad=True)
        wr, br = ct.tensor(w.detach().numpy(), requires_grad=True), ct.tensor(
            b.detach().numpy(), requires_grad=True)
        F.layer_norm(xr, n, wr, br).backward(ct.tensor(g[r:r + 1]))
        np.testing.assert_allclose(x.grad.numpy()[r], xr.grad.numpy()[0], rtol=1e-12)
        assert np.allclose(b.grad.numpy(), g.sum(0))
        return
    assert gradcheck(lambda a, c, d: F.layer_norm(a, n, c, d), (x, w, b))


def test_layer_norm_dtypes_empty_and_errors():
    assert F.layer_norm(ct.randn(2, 3).to(ct.float16), (3,)).dtype == np.float16
    x = ct.zeros(0, 4, requires_grad=True)
    F.layer_norm(x, 4).sum().backward()
    assert x.grad.shape == (0, 4)
    with pytest.raises(ct.ShapeError, match=r"expected input with shape \[\*, 5\]"):
        F.layer_norm(ct.ones(2, 4), (5,))
    with pytest.raises(ct.ShapeError, match="weight must have"):
        F.layer_norm(ct.ones(2, 4), (4,), weight=ct.ones(3))
    with pytest.raises(ct.ContractError, match="floating point"):
        F.layer_norm(ct.tensor([[1, 2]]), (2,))


def test_batch_norm_training_updates_running_stats():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((8, 3, 4)) * 2 + 1
    mean, var = ct.zeros(3, dtype=ct.float64), ct.ones(3, dtype=ct.float64)
    out = F.batch_norm(ct.tensor(x), mean, var, training=True, momentum=0.25)
    m, v = x.mean(axis=(0, 2)), x.var(axis=(0, 2))
    np.testing.assert_allclose(out.numpy(), (x - m[:, None]) / np.sqrt(v[:, None] + 1e-5),
                               rtol=1e-12)
    np.testing.assert_allclose(mean.numpy(), 0.25 * m, rtol=1e-14)
    np.testing.assert_allclose(var.numpy(), 0.75 + 0.25 * v * 32 / 31, rtol=1e-14)
    evaluated = F.batch_norm(ct.tensor(x), mean, var, training=False)
    np.testing.assert_allclose(evaluated.numpy(), (x - mean.numpy()[:, None]) / np.sqrt(
        var.numpy()[:, None] + 1e-5), rtol=1e-12)
    xt = ct.tensor(x, requires_grad=True)
    w = ct.tensor(rng.random(3), requires_grad=True)
    assert gradcheck(lambda a, c: F.batch_norm(a, None, None, c, None, True), (xt, w))


def test_batch_norm_errors():
    with pytest.raises(ct.ContractError, match="more than 1 value per channel"):
        F.batch_norm(ct.ones(1, 3), None, None, training=True)
    with pytest.raises(ct.ShapeError, match="should have 3 elements"):
        F.batch_norm(ct.ones(2, 3), ct.zeros(4), ct.ones(4))
    with pytest.raises(ct.ContractError, match="running_mean and running_var"):
        F.batch_norm(ct.ones(2, 3), None, None, training=False)


# -- against torch ----------------------------------------------------------------------------
def _torch():
    return pytest.importorskip("torch")


def _compare(cfn, tfn, arrays, tol=1e-12):
    torch = _torch()
    cs = [ct.tensor(a, requires_grad=True) for a in arrays]
    ts = [torch.tensor(a, requires_grad=True) for a in arrays]
    cy, ty = cfn(*cs), tfn(*ts)
    np.testing.assert_allclose(cy.detach().numpy(), ty.detach().numpy(), rtol=tol, atol=tol)
    g = np.random.default_rng(3).standard_normal(tuple(ty.shape)).astype(arrays[0].dtype)
    cy.backward(ct.tensor(g))
    ty.backward(torch.tensor(g))
    for c, t in zip(cs, ts):
        np.testing.assert_allclose(c.grad.numpy(), t.grad.numpy(), rtol=tol, atol=tol)


@pytest.mark.parametrize("name, kwargs", [("softplus", {}), ("softplus", {"beta": 2, "threshold": 5}),
                                          ("softplus", {"beta": 0.5}), ("logsigmoid", {}),
                                          ("gelu", {}), ("gelu", {"approximate": "tanh"})])
@pytest.mark.parametrize("dtype, tol", [(np.float64, 1e-12), (np.float32, 1e-5)])
def test_activations_against_torch(name, kwargs, dtype, tol):
    torch = _torch()
    x = (np.random.default_rng(4).standard_normal((4, 6)) * 4).astype(dtype)
    x[0, :3] = [30, -30, 0]
    _compare(lambda a: getattr(F, name)(a, **kwargs),
             lambda a: getattr(torch.nn.functional, name)(a, **kwargs), [x], tol)


@pytest.mark.parametrize("p", [2, 1, 3, float("inf")])
@pytest.mark.parametrize("dim", [1, 0, -1])
def test_normalize_against_torch(p, dim):
    torch = _torch()
    x = np.random.default_rng(5).standard_normal((4, 5))
    x[1] = 0.0
    _compare(lambda a: F.normalize(a, p, dim), lambda a: torch.nn.functional.normalize(a, p, dim),
             [x])


@pytest.mark.parametrize("shape, normalized", [((4, 6), (6,)), ((2, 3, 4), (3, 4)),
                                               ((3, 2, 300), (300,)), ((5,), (5,))])
def test_layer_norm_against_torch(shape, normalized):
    torch = _torch()
    rng = np.random.default_rng(6)
    x = rng.standard_normal(shape) * 2 + 1
    w, b = rng.standard_normal(normalized), rng.standard_normal(normalized)
    tf = torch.nn.functional
    _compare(lambda a, c, d: F.layer_norm(a, normalized, c, d),
             lambda a, c, d: tf.layer_norm(a, normalized, c, d), [x, w, b])
    _compare(lambda a: F.layer_norm(a, normalized, eps=1e-3),
             lambda a: tf.layer_norm(a, normalized, eps=1e-3), [x.astype(np.float32)], 1e-5)


@pytest.mark.parametrize("shape", [(6, 3), (4, 3, 5), (2, 3, 4, 4)])
@pytest.mark.parametrize("training", [True, False])
def test_batch_norm_against_torch(shape, training):
    torch = _torch()
    rng = np.random.default_rng(7)
    x = rng.standard_normal(shape) * 2 + 1
    w, b = rng.standard_normal(3), rng.standard_normal(3)
    rm, rv = rng.standard_normal(3), rng.random(3) + 0.5
    crm, crv, trm, trv = ct.tensor(rm), ct.tensor(rv), torch.tensor(rm), torch.tensor(rv)
    _compare(lambda a, c, d: F.batch_norm(a, crm, crv, c, d, training, 0.3),
             lambda a, c, d: torch.nn.functional.batch_norm(a, trm, trv, c, d, training, 0.3),
             [x, w, b])
    np.testing.assert_allclose(crm.numpy(), trm.numpy(), rtol=1e-14)
    np.testing.assert_allclose(crv.numpy(), trv.numpy(), rtol=1e-14)
