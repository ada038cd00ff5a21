"""Issue 14, classes 5, 7, 11 and 16: reductions at their edges follow torch.

- ``std``'s gradient where the spread is 0 is 0, not NaN;
- float16 ``mean`` / ``var`` / ``std`` scale in float32 before the cast (no overflow);
- ``amax`` / ``amin`` give NaN gradients to a slice whose extreme is NaN, ``max()`` / ``min()``
  share it between the NaN elements;
- every reduction takes ``axis=`` for ``dim=``.

The differential test draws seeded tensors (constant slices, NaNs, float16 values near the
top of its range), reductions, dims and keepdim, and compares values and gradients with torch.
"""
import numpy as np
import pytest

import contract as ct

CASES = 500
POOL_CASES = 100
NAN = float("nan")


# -- regressions ---------------------------------------------------------------------
def test_std_gradient_of_a_constant_row_is_zero():
    x = ct.ones(2, 3, requires_grad=True)
    x.std(dim=1).sum().backward()
    assert x.grad.tolist() == [[0.0] * 3] * 2


def test_float16_mean_does_not_overflow():
    assert ct.tensor([40000.] * 3, dtype=ct.float16).mean().item() == 40000.0


def test_float16_var_and_std_do_not_overflow():
    x = ct.tensor([40000., 40000., 40064.], dtype=ct.float16)
    assert x.var().dtype == np.float16
    np.testing.assert_allclose(x.var().item(), np.var([40000., 40000., 40064.], ddof=1),
                               rtol=1e-3)
    np.testing.assert_allclose(x.std().item(), np.std([40000., 40000., 40064.], ddof=1),
                               rtol=1e-3)


def test_amax_gradient_with_a_nan_is_nan():
    x = ct.tensor([1., NAN, 2.], requires_grad=True)
    x.amax().backward()
    assert np.isnan(x.grad.numpy()).all()


def test_max_gradient_with_nans_is_shared_between_them():
    x = ct.tensor([1., NAN, NAN], requires_grad=True)
    x.max().backward()
    assert x.grad.tolist() == [0.0, 0.5, 0.5]


def test_prod_takes_axis():
    assert ct.ones(2, 3).prod(axis=1).tolist() == [1.0, 1.0]


# -- differential against torch -----------------------------------------------------
def _data(rng, shape, dtype):
    x = rng.normal(size=shape)
    if dtype == "float16":
        x = rng.uniform(2e4, 6e4, size=shape) * rng.choice([-1, 1], size=shape)
    if rng.random() < 0.3 and len(shape):                      # a constant slice
        axis = int(rng.integers(len(shape)))
        index = tuple(slice(None) if k != axis else int(rng.integers(shape[k]))
                      for k in range(len(shape)))
        x[index] = x[index].flat[0] if x[index].size else 0
    if rng.random() < 0.25 and x.size:
        x.flat[int(rng.integers(x.size))] = NAN
    if rng.random() < 0.2 and x.size:                           # ties
        x.flat[:] = np.round(x.flat[:])
    return x.astype(dtype)


OPS = ["mean", "var", "std", "amax", "amin", "max", "min", "max_dim", "min_dim", "prod",
       "logsumexp", "sum"]


def _call(lib, t, op, dim, keepdim, correction, by_axis):
    key = "axis" if by_axis else "dim"
    if op in ("max", "min"):
        return getattr(t, op)()
    if op in ("max_dim", "min_dim"):
        return getattr(t, op[:3])(**{key: dim}, keepdim=keepdim)[0]
    if op in ("var", "std"):
        return getattr(t, op)(**{key: dim}, keepdim=keepdim, correction=correction)
    return getattr(t, op)(**{key: dim}, keepdim=keepdim)


def _dim(rng, op, ndim):
    if op in ("prod", "max_dim", "min_dim", "logsumexp") or rng.random() < 0.4:
        return int(rng.integers(-ndim, ndim))
    k = int(rng.integers(1, ndim + 1))
    return tuple(int(d) for d in rng.choice(ndim, size=k, replace=False))


def _run(lib, x, op, dim, keepdim, correction, weights, by_axis=False):
    t = lib.tensor(x, requires_grad=x.dtype != np.float16)
    out = _call(lib, t, op, dim, keepdim, correction, by_axis)
    value = out.detach().float().numpy() if x.dtype == np.float16 else out.detach().numpy()
    if x.dtype == np.float16:
        return value, str(out.dtype).split(".")[-1], None
    (out * lib.tensor(weights.reshape(tuple(out.shape)), dtype=out.dtype)).sum().backward()
    return value, str(out.dtype).split(".")[-1], t.grad.numpy()


@pytest.mark.filterwarnings("ignore::UserWarning", "ignore::RuntimeWarning")
def test_reductions_match_torch_at_their_edges():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(14007)
    for case in range(CASES):
        dtype = ["float32", "float64", "float16"][case % 3]
        shape = tuple(int(n) for n in rng.integers(1, 4, size=int(rng.integers(1, 4))))
        x = _data(rng, shape, dtype)
        op = OPS[int(rng.integers(len(OPS)))]
        if dtype == "float16" and op in ("prod", "logsumexp", "sum"):
            op = "mean"
        dim, keepdim = _dim(rng, op, len(shape)), bool(rng.integers(2))
        correction = int(rng.integers(2))
        size = _call(torch, torch.tensor(x), op, dim, keepdim, correction, False).numel()
        weights = rng.normal(size=size)
        got = _run(ct, x, op, dim, keepdim, correction, weights, by_axis=bool(case % 2))
        want = _run(torch, x, op, dim, keepdim, correction, weights)
        where = str((case, op, shape, dtype, dim, keepdim, correction))
        tol = 1e-3 if dtype == "float16" else (1e-5 if dtype == "float32" else 1e-10)
        assert got[1] == want[1], where
        np.testing.assert_allclose(got[0], want[0], rtol=tol, atol=tol, err_msg=where)
        if want[2] is not None:
            np.testing.assert_allclose(got[2], want[2], rtol=tol, atol=tol, err_msg=where)


def test_float16_avg_pool_does_not_overflow():
    import contract.nn.functional as F
    x = ct.full((1, 1, 4, 4), 30000., dtype=ct.float16)
    out = F.avg_pool2d(x, 2)
    assert out.dtype == np.float16 and out.numpy().tolist() == [[[[30000.0] * 2] * 2]]


def test_float16_avg_pool_matches_torch():
    torch = pytest.importorskip("torch")
    import contract.nn.functional as F
    rng = np.random.default_rng(14008)
    for case in range(POOL_CASES):
        size, kernel = int(rng.integers(2, 6)), int(rng.integers(1, 3))
        padding, stride = int(rng.integers(0, kernel // 2 + 1)), int(rng.integers(1, 3))
        x = (rng.uniform(2e4, 6e4, size=(1, 2, size, size)) *
             rng.choice([-1, 1], size=(1, 2, size, size))).astype(np.float16)
        kwargs = dict(stride=stride, padding=padding, count_include_pad=bool(case % 2))
        if case % 3 == 0:
            kwargs["divisor_override"] = int(rng.integers(1, 5))
        got = F.avg_pool2d(ct.tensor(x), kernel, **kwargs)
        want = torch.nn.functional.avg_pool2d(torch.tensor(x), kernel, **kwargs)
        assert got.dtype == np.float16, case
        np.testing.assert_allclose(got.numpy().astype(float), want.float().numpy(),
                                   rtol=2e-3, err_msg=str((case, size, kernel, kwargs)))
