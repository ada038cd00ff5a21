"""softmax / log_softmax / Tensor.norm / ct.linalg.vector_norm (contract/ops_softmax.py).

The first half needs only NumPy (formulas in float64, central differences); the second
compares with torch when it is installed.
"""
import warnings

import numpy as np
import pytest

import contract as ct
import contract.nn.functional as F
from contract.tensors.ops.softmax import along_rows
from contract.testing import gradcheck

INF = float("inf")


def _softmax_ref(x, axis):
    shifted = x - x.max(axis=axis, keepdims=True)
    e = np.exp(shifted)
    return e / e.sum(axis=axis, keepdims=True)


def _log_softmax_ref(x, axis):
    shifted = x - x.max(axis=axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


# -- without torch ------------------------------------------------------------------------
@pytest.mark.parametrize("shape, dim", [((4, 5), 1), ((4, 5), 0), ((2, 3, 4), 1), ((3, 300), -1),
                                        ((6,), 0), ((2, 3, 4), -1)])
def test_values_match_the_shifted_formula(shape, dim):
    x = np.random.default_rng(1).standard_normal(shape) * 4
    axis = dim % len(shape)
    np.testing.assert_allclose(ct.tensor(x).softmax(dim).numpy(), _softmax_ref(x, axis),
                               rtol=1e-13, atol=0)
    np.testing.assert_allclose(ct.tensor(x).log_softmax(dim).numpy(), _log_softmax_ref(x, axis),
                               rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize("row", [[1000., 999., -5.], [-1000., -1001., -1002.], [88., 89., 90.],
                                 [-INF, 0., 1.], [700., 710., 720.]])
def test_rows_that_need_the_max_shift(row):
    """exp overflows or the row underflows: those rows are recomputed shifted."""
    x = np.array([row, [0.5, 1., 2.]])
    for dtype in (np.float32, np.float64):
        got = ct.softmax(ct.tensor(x.astype(dtype)), 1).numpy()
        np.testing.assert_allclose(got, _softmax_ref(x, 1), rtol=2e-6, atol=1e-30)
        got = ct.log_softmax(ct.tensor(x.astype(dtype)), 1).numpy()
        np.testing.assert_allclose(got, _log_softmax_ref(x, 1).astype(dtype), rtol=2e-6,
                                   atol=2e-7)


def test_shift_fixup_on_a_middle_axis():
    x = np.zeros((2, 3, 4))
    x[1, :, 2] = [1000., 990., -1000.]          # one bad slice along dim 1
    got = ct.softmax(ct.tensor(x), 1).numpy()
    np.testing.assert_allclose(got, _softmax_ref(x, 1), rtol=1e-13)
    np.testing.assert_allclose(ct.log_softmax(ct.tensor(x), 1).numpy(), _log_softmax_ref(x, 1),
                               rtol=1e-13)


def test_all_minus_inf_or_nan_rows_give_nan_like_torch():
    x = ct.tensor([[-INF, -INF], [np.nan, 0.], [0., 0.]])
    for fn in (ct.softmax, ct.log_softmax):
        out = fn(x, 1).numpy()
        assert np.isnan(out[:2]).all() and np.isfinite(out[2]).all()


def test_log_softmax_precision_in_float32():
    """exp is taken without the shift where it is safe, so log-probabilities carry an absolute
    error of a few float32 ulps of 1.0 (torch's shifted formula: relative near 0); a large
    log(s) is subtracted in two float32 parts, so large logits add nothing to it."""
    rng = np.random.default_rng(9)
    x = np.concatenate([rng.standard_normal((64, 50)) * 3, rng.standard_normal((64, 50)) * 3 + 60])
    got = ct.log_softmax(ct.tensor(x.astype(np.float32)), 1).numpy()
    exact = _log_softmax_ref(x.astype(np.float32).astype(np.float64), 1)
    bound = 5 * np.spacing(np.maximum(np.abs(exact), 1).astype(np.float32))   # torch: 1.7
    assert (np.abs(got - exact) <= bound).all()
    assert abs(ct.log_softmax(ct.tensor(3.), -1).item()) <= np.spacing(np.float32(1))


@pytest.mark.parametrize("fn", [ct.softmax, ct.log_softmax])
@pytest.mark.parametrize("shape, dim", [((3, 4), 1), ((2, 3, 2), 0), ((5,), 0), ((), 0)])
def test_gradcheck(fn, shape, dim):
    x = ct.tensor(np.random.default_rng(2).standard_normal(shape), requires_grad=True)
    assert gradcheck(lambda a: fn(a, dim) * ct.arange(1., 1. + a.numel()).reshape(shape), (x,))


def test_dtypes_and_errors():
    assert ct.softmax(ct.ones(2, 3), 1).dtype == np.float32
    assert ct.softmax(ct.ones(2, 3, dtype=ct.float16), 1).dtype == np.float16
    assert ct.softmax(ct.ones(2, 3), 1, dtype=ct.float64).dtype == np.float64
    assert ct.tensor([1, 2]).softmax(0, dtype=ct.float32).dtype == np.float32
    with pytest.raises(ct.ContractError, match="floating point"):
        ct.tensor([1, 2]).softmax(0)
    with pytest.raises(ct.ContractError, match="out of range"):
        ct.ones(2, 3).log_softmax(2)


def test_empty_and_zero_dim():
    for shape, dim in (((0, 3), 1), ((3, 0), 1), ((2, 0, 4), 1)):
        x = ct.zeros(shape, requires_grad=True)
        y = ct.softmax(x, dim)
        assert y.shape == shape
        y.sum().backward()
        assert x.grad.shape == shape
    assert ct.softmax(ct.tensor(3.), 0).item() == 1.0
    assert ct.log_softmax(ct.tensor(3., dtype=ct.float64), -1).item() == 0.0


def test_implicit_dim_warns_like_torch_at_the_callers_line():
    for call in (lambda: F.softmax(ct.ones(2, 3)), lambda: ct.log_softmax(ct.ones(2, 3)),
                 lambda: ct.nn.Softmax()(ct.ones(2, 3))):
        with pytest.warns(UserWarning, match="Implicit dimension") as caught:
            out = call()
        assert caught[0].filename == __file__
        assert out.shape == (2, 3)
    with pytest.warns(UserWarning):
        np.testing.assert_allclose(F.softmax(ct.ones(3)).numpy(), [1 / 3] * 3, rtol=1e-6)


def test_grad_fn_names_and_saved_output_version_check():
    x = ct.randn(2, 3, requires_grad=True)
    assert x.softmax(1).grad_fn.name() == "SoftmaxBackward0"
    assert x.log_softmax(1).grad_fn.name() == "LogSoftmaxBackward0"
    y = x.softmax(1) * 1.0
    z = x.softmax(1)
    with ct.no_grad():
        z += 1                                  # softmax saved its output
    with pytest.raises(ct.ContractError, match="modified by an inplace operation"):
        z.sum().backward()
    y.sum().backward()


def test_along_rows_restores_the_buffer_size():
    before = np.getbufsize()
    a = np.ones((3, 1000))
    np.testing.assert_array_equal(along_rows(np.multiply, a, np.arange(3.)[:, None])[:, 5],
                                  [0., 1., 2.])
    assert np.getbufsize() == before


@pytest.mark.parametrize("p", [2, 1, 3, 0.5, INF, -INF, 0])
def test_vector_norm_matches_numpy(p):
    x = np.random.default_rng(3).standard_normal((3, 4))
    for dim, axis in ((None, None), (1, 1), ((0, 1), (0, 1)), (0, 0)):
        got = ct.linalg.vector_norm(ct.tensor(x), p, dim).numpy()
        a = np.abs(x)
        if p == INF:
            want = a.max(axis=axis)
        elif p == -INF:
            want = a.min(axis=axis)
        elif p == 0:
            want = (a != 0).sum(axis=axis).astype(float)
        else:
            want = (a ** p).sum(axis=axis) ** (1 / p)
        np.testing.assert_allclose(got, want, rtol=1e-13)


@pytest.mark.parametrize("p", [2, 1, 3, 1.5])
def test_vector_norm_gradcheck(p):
    x = ct.tensor(np.random.default_rng(4).standard_normal((3, 4)), requires_grad=True)
    assert gradcheck(lambda a: ct.linalg.vector_norm(a, p, dim=1), (x,))


def test_norm_gradient_is_zero_at_zero_and_keepdim():
    x = ct.zeros(2, 3, requires_grad=True)
    ct.linalg.vector_norm(x, dim=1, keepdim=True).sum().backward()
    assert x.grad.tolist() == [[0.] * 3] * 2
    assert ct.ones(2, 3).norm(dim=1, keepdim=True).shape == (2, 1)
    assert ct.tensor([3 + 4j]).norm().dtype == np.float32          # complex -> real


def test_norm_errors():
    with pytest.raises(ct.ContractError, match="floating point or complex"):
        ct.linalg.vector_norm(ct.tensor([1, 2]))
    with pytest.raises(ct.ContractError, match="identity"):
        ct.linalg.vector_norm(ct.zeros(0, 3), INF)
    with pytest.raises(ct.ContractError, match="narrowing"):
        ct.linalg.vector_norm(ct.ones(2, dtype=ct.float64), dtype=ct.float32)
    with pytest.raises(ct.ContractError, match="nuc"):
        ct.ones(2, 2).norm(p="nuc")
    with pytest.raises(ct.ContractError, match="ord must be a number"):
        ct.linalg.vector_norm(ct.ones(2), "two")


# -- against torch -------------------------------------------------------------------------
def _torch():
    return pytest.importorskip("torch")


@pytest.mark.parametrize("fn", ["softmax", "log_softmax"])
@pytest.mark.parametrize("dtype, tol", [(np.float32, 2e-6), (np.float64, 1e-13)])
@pytest.mark.parametrize("shape, dim", [((5, 7), 1), ((5, 7), 0), ((2, 3, 4), 1), ((3, 300), -1),
                                        ((4,), 0), ((), 0), ((0, 3), 1), ((3, 0), 1)])
def test_against_torch(fn, dtype, tol, shape, dim):
    torch = _torch()
    rng = np.random.default_rng(5)
    x = (rng.standard_normal(shape) * 5).astype(dtype)
    g = rng.standard_normal(shape).astype(dtype)
    cx, tx = ct.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    cy, ty = getattr(ct, fn)(cx, dim), getattr(torch, fn)(tx, dim)
    assert cy.dtype == np.dtype(str(ty.dtype).split(".")[1])
    np.testing.assert_allclose(cy.detach().numpy(), ty.detach().numpy(), rtol=tol, atol=tol)
    cy.backward(ct.tensor(g))
    ty.backward(torch.tensor(g))
    np.testing.assert_allclose(cx.grad.numpy(), tx.grad.numpy(), rtol=tol, atol=tol)


@pytest.mark.parametrize("row", [[-INF, -INF, -INF], [-INF, 0., 1.], [INF, 1., 2.],
                                 [np.nan, 1., 2.], [1000., 0., -1000.], [-1e4, -1e4 - 1, 0.]])
def test_special_rows_against_torch(row):
    torch = _torch()
    x = np.array([row, [0., 1., 2.]], np.float32)
    for fn in ("softmax", "log_softmax"):
        np.testing.assert_allclose(getattr(ct, fn)(ct.tensor(x), 1).numpy(),
                                   getattr(torch, fn)(torch.tensor(x), 1).numpy(),
                                   rtol=1e-6, atol=1e-7)


def test_float16_against_torch():
    torch = _torch()
    x = np.random.default_rng(6).standard_normal((4, 9)).astype(np.float16)
    for fn in ("softmax", "log_softmax"):
        got, want = getattr(ct, fn)(ct.tensor(x), 1), getattr(torch, fn)(torch.tensor(x), 1)
        assert got.dtype == np.float16
        np.testing.assert_allclose(got.numpy().astype(float), want.numpy().astype(float),
                                   rtol=2e-3, atol=1e-3)


@pytest.mark.parametrize("p", [2, 1, 3, 0.5, -1, INF, -INF, 0])
@pytest.mark.parametrize("dim, keepdim", [(None, False), (1, True), ((0, 2), False)])
def test_vector_norm_against_torch(p, dim, keepdim):
    torch = _torch()
    x = np.random.default_rng(7).standard_normal((2, 3, 4))
    x[0, 0, 0] = 0.0
    cx, tx = ct.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    cy = ct.linalg.vector_norm(cx, p, dim, keepdim)
    ty = torch.linalg.vector_norm(tx, p, dim, keepdim)
    np.testing.assert_allclose(cy.detach().numpy(), ty.detach().numpy(), rtol=1e-12)
    cy.sum().backward()
    ty.sum().backward()
    if tx.grad is None:
        assert cx.grad is None
    else:
        np.testing.assert_allclose(cx.grad.numpy(), tx.grad.numpy(), rtol=1e-12, atol=1e-14)


def test_complex_and_tensor_norm_against_torch():
    torch = _torch()
    rng = np.random.default_rng(8)
    z = rng.standard_normal((3, 2)) + 1j * rng.standard_normal((3, 2))
    for p in (2, 1, 3):
        cz, tz = ct.tensor(z, requires_grad=True), torch.tensor(z, requires_grad=True)
        ct.linalg.vector_norm(cz, p).backward()
        torch.linalg.vector_norm(tz, p).backward()
        np.testing.assert_allclose(cz.grad.numpy(), tz.grad.numpy(), rtol=1e-12)
    x = rng.standard_normal((2, 3, 4))
    for kw in ({}, {"p": 1, "dim": 1}, {"p": "fro", "dim": (1, 2), "keepdim": True},
               {"p": INF, "dim": -1}):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            want = torch.tensor(x).norm(**kw).numpy()
        np.testing.assert_allclose(ct.tensor(x).norm(**kw).numpy(), want, rtol=1e-12)


def test_row_blocks_and_bad_rows_in_a_later_block(monkeypatch):
    from contract.tensors.ops import softmax as ops_softmax
    monkeypatch.setattr(ops_softmax, "BLOCK_ELEMENTS", 40)          # 2 rows of 16 per block
    x = np.random.default_rng(10).standard_normal((9, 16)) * 3
    x[7] += 1000.0
    x[4] -= 1000.0
    np.testing.assert_allclose(ct.softmax(ct.tensor(x), 1).numpy(), _softmax_ref(x, 1),
                               rtol=1e-13)
    np.testing.assert_allclose(ct.log_softmax(ct.tensor(x), 1).numpy(), _log_softmax_ref(x, 1),
                               rtol=1e-13)
    t = np.arange(9) % 16
    loss = F.cross_entropy(ct.tensor(x), ct.tensor(t), reduction="none").numpy()
    np.testing.assert_allclose(loss, -_log_softmax_ref(x, 1)[np.arange(9), t], rtol=1e-12)
