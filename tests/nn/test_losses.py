"""Losses (contract/nn/losses.py): cross_entropy, nll_loss, mse_loss, l1_loss,
binary_cross_entropy_with_logits.

First against NumPy formulas and central differences, then against torch when installed
(values and gradients in float64 to 1e-10, float32 to 1e-5, edge cases, errors).
"""
import warnings

import numpy as np
import pytest

import contract as ct
import contract.nn.functional as F
from contract.testing import gradcheck

C = 5


def _log_softmax(x, axis):
    shifted = x - x.max(axis=axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


# -- without torch ---------------------------------------------------------------------------
def test_cross_entropy_indices_formula_with_weight_and_ignore():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((6, C)) * 3
    t = np.array([0, 4, -100, 2, 2, 1])
    w = rng.random(C) + 0.5
    logp = _log_softmax(x, 1)
    valid = t != -100
    per = np.where(valid, -w[np.where(valid, t, 0)] * logp[np.arange(6), np.where(valid, t, 0)], 0)
    got = F.cross_entropy(ct.tensor(x), ct.tensor(t), weight=ct.tensor(w), reduction="none")
    np.testing.assert_allclose(got.numpy(), per, rtol=1e-13)
    got = F.cross_entropy(ct.tensor(x), ct.tensor(t), weight=ct.tensor(w))
    np.testing.assert_allclose(got.item(), per.sum() / w[t[valid]].sum(), rtol=1e-13)


def test_cross_entropy_label_smoothing_formula():
    rng = np.random.default_rng(1)
    x, t, eps = rng.standard_normal((4, C)), np.array([1, 0, 3, 3]), 0.3
    logp = _log_softmax(x, 1)
    smoothed = np.full((4, C), eps / C)
    smoothed[np.arange(4), t] += 1 - eps
    want = -(smoothed * logp).sum(1).mean()
    got = F.cross_entropy(ct.tensor(x), ct.tensor(t), label_smoothing=eps)
    np.testing.assert_allclose(got.item(), want, rtol=1e-13)
    # the same smoothing through probabilities
    onehot = np.eye(C)[t]
    got = F.cross_entropy(ct.tensor(x), ct.tensor(onehot), label_smoothing=eps)
    np.testing.assert_allclose(got.item(), want, rtol=1e-13)


@pytest.mark.parametrize("kwargs", [{}, {"reduction": "sum"}, {"label_smoothing": 0.2},
                                    {"weight": "w", "ignore_index": 1}])
@pytest.mark.parametrize("shape", [(4, C), (2, C, 3), (C,)])
def test_cross_entropy_gradcheck(kwargs, shape):
    rng = np.random.default_rng(2)
    x = ct.tensor(rng.standard_normal(shape), requires_grad=True)
    t = ct.tensor(rng.integers(0, C, () if len(shape) == 1 else (shape[0],) + shape[2:]))
    kw = dict(kwargs)
    if kw.get("weight") == "w":
        kw["weight"] = ct.tensor(rng.random(C) + 0.5)
    assert gradcheck(lambda a: F.cross_entropy(a, t, **kw), (x,))


def test_probability_target_gets_a_gradient():
    rng = np.random.default_rng(3)
    x = ct.tensor(rng.standard_normal((3, C)), requires_grad=True)
    p = ct.tensor(rng.random((3, C)), requires_grad=True)
    assert gradcheck(lambda a, b: F.cross_entropy(a, b, label_smoothing=0.1), (x, p))


def test_all_targets_ignored_gives_nan_and_zero_gradient():
    x = ct.randn(3, C, requires_grad=True)
    t = ct.full((3,), -100, dtype=ct.int64)
    for fn in (F.cross_entropy, F.nll_loss):
        x.grad = None
        loss = fn(x, t)
        assert np.isnan(loss.item())
        loss.backward()
        assert x.grad.tolist() == [[0.0] * C] * 3
        assert fn(x, t, reduction="sum").item() == 0.0


def test_minus_inf_logits():
    x = np.zeros((3, C))
    x[0, 1:] = -np.inf                          # a certain prediction
    x[1, 0] = -np.inf                           # an impossible class, not the target
    x[2] = 1e4                                  # large logits (the shifted path)
    t = ct.tensor([0, 3, 1])
    xt = ct.tensor(x, requires_grad=True)
    loss = F.cross_entropy(xt, t, reduction="none")
    np.testing.assert_allclose(loss.detach().numpy(), [0.0, np.log(C - 1), np.log(C)],
                               rtol=1e-13, atol=4e-12)        # ulp(1e4) = 1.8e-12
    loss.sum().backward()
    assert np.isfinite(xt.grad.numpy()).all() and xt.grad[0].tolist() == [0.0] * C


def test_nll_loss_formula_nd():
    rng = np.random.default_rng(4)
    logp = _log_softmax(rng.standard_normal((2, C, 3)), 1)
    t = rng.integers(0, C, (2, 3))
    got = F.nll_loss(ct.tensor(logp), ct.tensor(t), reduction="none")
    want = -np.take_along_axis(logp, t[:, None], 1)[:, 0]
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-14)


def test_regression_losses():
    rng = np.random.default_rng(5)
    a, b, w = rng.standard_normal((3, 4)), rng.standard_normal((3, 4)), rng.random((3, 4))
    ta, tb = ct.tensor(a, requires_grad=True), ct.tensor(b, requires_grad=True)
    np.testing.assert_allclose(F.mse_loss(ta, tb).item(), ((a - b) ** 2).mean(), rtol=1e-14)
    np.testing.assert_allclose(F.l1_loss(ta, tb, reduction="sum").item(), np.abs(a - b).sum())
    np.testing.assert_allclose(F.mse_loss(ta, tb, weight=ct.tensor(w)).item(),
                               (w * (a - b) ** 2).sum() / w.sum(), rtol=1e-14)
    assert gradcheck(lambda p, q: F.mse_loss(p, q) + F.l1_loss(p, q, reduction="none").sum(),
                     (ta, tb))
    assert F.mse_loss(ct.ones(3), ct.ones(3), reduction="none").shape == (3,)
    with pytest.warns(UserWarning, match="different to the input size"):
        F.mse_loss(ct.ones(2, 3), ct.ones(3))


def test_bce_with_logits_is_stable():
    x = ct.tensor([-1000., 1000., 0.], dtype=ct.float64, requires_grad=True)
    t = ct.tensor([0., 1., 0.5], dtype=ct.float64)
    loss = F.binary_cross_entropy_with_logits(x, t, reduction="none")
    np.testing.assert_allclose(loss.detach().numpy(), [0.0, 0.0, np.log(2)], atol=1e-15)
    assert gradcheck(lambda a: F.binary_cross_entropy_with_logits(
        a, t, pos_weight=ct.tensor([2., 1., 3.], dtype=ct.float64)), (ct.tensor(
            [0.3, -1.2, 2.0], dtype=ct.float64, requires_grad=True),))


def test_dtypes():
    x16 = ct.randn(4, C).to(ct.float16)
    assert F.cross_entropy(x16, ct.tensor([0, 1, 2, 3])).dtype == np.float16
    assert F.cross_entropy(ct.randn(4, C), ct.tensor([0, 1, 2, 3])).dtype == np.float32
    assert F.cross_entropy(ct.randn(4, C), ct.tensor([0, 1, 2, 3], dtype=ct.int32)).dtype \
        == np.float32
    assert F.mse_loss(ct.randn(3), ct.randn(3)).dtype == np.float32


@pytest.mark.parametrize("call, match", [
    (lambda: F.cross_entropy(ct.randn(3, C), ct.tensor([0, 1])), "target of shape"),
    (lambda: F.cross_entropy(ct.randn(3, C), ct.tensor([0, 1, C])), "Target 5 is out of bounds"),
    (lambda: F.cross_entropy(ct.randn(3, C), ct.tensor([0, 1, -1])), "out of bounds"),
    (lambda: F.cross_entropy(ct.randn(3, C), ct.tensor([0, 1, 2]), reduction="avg"),
     "not a valid value for reduction"),
    (lambda: F.cross_entropy(ct.randn(3, C), ct.tensor([0, 1, 2]), label_smoothing=1.5),
     "label_smoothing"),
    (lambda: F.cross_entropy(ct.randn(3, C), ct.tensor([0, 1, 2]), weight=ct.ones(3)),
     "weight should be defined for all 5 classes"),
    (lambda: F.cross_entropy(ct.randn(3, C), ct.randn(3)), "integer tensor"),
    (lambda: F.cross_entropy(ct.randn(3, C), ct.ones(3, C), ignore_index=0),
     "ignore_index is not supported"),
    (lambda: F.cross_entropy(ct.tensor([[1, 2]]), ct.tensor([0])), "floating point"),
    (lambda: F.cross_entropy(ct.tensor(1.), ct.tensor(0)), "at least 1-D"),
    (lambda: F.nll_loss(ct.randn(2, C, 3), ct.tensor([[0, 1, 2]])), "target of shape"),
    (lambda: F.binary_cross_entropy_with_logits(ct.randn(3), ct.rand(4)), "must be the same"),
    (lambda: F.mse_loss(ct.randn(3), ct.randn(3), weight=ct.ones(2)), "weight must have"),
])
def test_errors(call, match):
    with pytest.raises(ct.ContractError, match=match):
        call()


# -- against torch ----------------------------------------------------------------------------
def _torch():
    return pytest.importorskip("torch")


def _compare(cfn, tfn, arrays, const=(), tol=1e-10, seed=0):
    """Values and gradients of every float array not in ``const`` (torch refuses gradients
    for class weights and pos_weight)."""
    torch = _torch()
    grad = [a.dtype.kind == "f" and k not in const for k, a in enumerate(arrays)]
    cs = [ct.tensor(a, requires_grad=g) for a, g in zip(arrays, grad)]
    ts = [torch.tensor(a, requires_grad=g) for a, g in zip(arrays, grad)]
    cy, ty = cfn(*cs), tfn(*ts)
    assert tuple(cy.shape) == tuple(ty.shape)
    np.testing.assert_allclose(cy.detach().numpy(), ty.detach().numpy(), rtol=tol, atol=tol)
    if not ty.requires_grad:
        return
    g = np.random.default_rng(seed).standard_normal(tuple(ty.shape)).astype(arrays[0].dtype)
    cy.backward(ct.tensor(g))
    ty.backward(torch.tensor(g))
    for c, t in zip(cs, ts):
        if t.requires_grad:
            np.testing.assert_allclose(c.grad.numpy(), t.grad.numpy(), rtol=tol, atol=tol)


def _case(shape, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape) * 3
    tshape = () if len(shape) == 1 else (shape[0],) + shape[2:]
    t = rng.integers(0, C, tshape)
    ignored = t.copy()
    if ignored.ndim:
        ignored.flat[::3] = -100
    prob = rng.random(shape)
    prob /= prob.sum(axis=0 if len(shape) == 1 else 1, keepdims=True)
    return x, t, ignored, rng.random(C) + 0.5, prob


@pytest.mark.parametrize("shape", [(6, C), (C,), (3, C, 4), (0, C)])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("smoothing", [0.0, 0.2])
def test_cross_entropy_against_torch(shape, reduction, smoothing):
    torch = _torch()
    x, t, ignored, w, prob = _case(shape)
    kw = dict(reduction=reduction, label_smoothing=smoothing)
    for target in (t, ignored):
        _compare(lambda a, b: F.cross_entropy(a, b, **kw),
                 lambda a, b: torch.nn.functional.cross_entropy(a, b, **kw), [x, target])
        _compare(lambda a, b, c: F.cross_entropy(a, b, weight=c, **kw),
                 lambda a, b, c: torch.nn.functional.cross_entropy(a, b, weight=c, **kw),
                 [x, target, w], const=(2,))
    _compare(lambda a, b, c: F.cross_entropy(a, b, weight=c, **kw),
             lambda a, b, c: torch.nn.functional.cross_entropy(a, b, weight=c, **kw),
             [x, prob, w], const=(2,))


@pytest.mark.parametrize("shape", [(6, C), (C,), (2, C, 3, 2)])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_nll_loss_against_torch(shape, reduction):
    torch = _torch()
    x, t, ignored, w, _ = _case(shape, 1)
    logp = _log_softmax(x, 0 if len(shape) == 1 else 1)
    for target in (t, ignored):
        _compare(lambda a, b, c: F.nll_loss(a, b, weight=c, reduction=reduction),
                 lambda a, b, c: torch.nn.functional.nll_loss(a, b, weight=c,
                                                              reduction=reduction),
                 [logp, target, w], const=(2,))


def test_cross_entropy_float32_and_edge_cases_against_torch():
    torch = _torch()
    x, t, ignored, w, _ = _case((64, C), 2)
    _compare(lambda a, b: F.cross_entropy(a, b), lambda a, b: torch.nn.functional.cross_entropy(
        a, b), [x.astype(np.float32), t], tol=1e-5)
    all_ignored = np.full(4, -7)
    for reduction in ("mean", "sum", "none"):
        _compare(lambda a, b: F.cross_entropy(a, b, ignore_index=-7, reduction=reduction),
                 lambda a, b: torch.nn.functional.cross_entropy(a, b, ignore_index=-7,
                                                                reduction=reduction),
                 [x[:4], all_ignored])
    special = x[:4].copy()
    special[0, 1], special[1, :] = -np.inf, -np.inf
    special[1, 2], special[2] = 0.0, 1000.0
    _compare(lambda a, b: F.cross_entropy(a, b, label_smoothing=0.1),
             lambda a, b: torch.nn.functional.cross_entropy(a, b, label_smoothing=0.1),
             [special, np.array([0, 2, 3, 4])])


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_regression_and_bce_against_torch(reduction):
    torch = _torch()
    tf = torch.nn.functional
    rng = np.random.default_rng(3)
    a, b, w = rng.standard_normal((3, 4)), rng.standard_normal((3, 4)), rng.random((3, 4))
    for name in ("mse_loss", "l1_loss"):
        _compare(lambda p, q: getattr(F, name)(p, q, reduction=reduction),
                 lambda p, q: getattr(tf, name)(p, q, reduction=reduction), [a, b])
        _compare(lambda p, q, r: getattr(F, name)(p, q, reduction=reduction, weight=r),
                 lambda p, q, r: getattr(tf, name)(p, q, reduction=reduction, weight=r),
                 [a, b, w])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            _compare(lambda p, q: getattr(F, name)(p, q, reduction=reduction),
                     lambda p, q: getattr(tf, name)(p, q, reduction=reduction), [a, b[0]])
    x, y, pw = a * 5, rng.random((3, 4)), rng.random(4) + 0.5
    x[0, :2] = [50.0, -50.0]
    _compare(lambda p, q: F.binary_cross_entropy_with_logits(p, q, reduction=reduction),
             lambda p, q: tf.binary_cross_entropy_with_logits(p, q, reduction=reduction), [x, y])
    _compare(lambda p, q, r, s: F.binary_cross_entropy_with_logits(
        p, q, weight=r, pos_weight=s, reduction=reduction),
        lambda p, q, r, s: tf.binary_cross_entropy_with_logits(
            p, q, weight=r, pos_weight=s, reduction=reduction), [x, y, w, pw], const=(2, 3))


def test_legacy_size_average_and_reduce_against_torch():
    torch = _torch()
    x, t, *_ = _case((4, C), 4)
    for size_average, reduce in ((False, None), (None, False), (True, True)):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            want = torch.nn.functional.cross_entropy(torch.tensor(x), torch.tensor(t),
                                                     size_average=size_average, reduce=reduce)
        got = F.cross_entropy(ct.tensor(x), ct.tensor(t), size_average=size_average,
                              reduce=reduce)
        np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-12)
