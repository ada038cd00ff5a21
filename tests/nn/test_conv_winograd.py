"""Winograd convolution (contract.nn.winograd): transforms, forward and both gradients
against direct sums in float64 (no torch needed) and against torch's F.conv*d."""
import numpy as np
import pytest

import contract as ct
import contract.nn.functional as F
from contract.errors import ContractError
from contract.nn import conv_algo, winograd
from contract.nn.winograd import Spec, transforms


def _direct(x, w, pairs, groups):
    """The convolution as one float64 einsum over a window view (the reference)."""
    d = w.ndim - 2
    x = np.pad(x.astype(np.result_type(x.dtype, np.float64)), ((0, 0), (0, 0)) + tuple(pairs))
    view = np.lib.stride_tricks.sliding_window_view(x, w.shape[2:], axis=tuple(range(2, 2 + d)))
    n, c = x.shape[:2]
    view = view.reshape((n, groups, c // groups) + view.shape[2:])
    wide = w.astype(np.result_type(w.dtype, np.float64))
    wg = wide.reshape((groups, w.shape[0] // groups) + w.shape[1:])
    sp, ks = "hwd"[:d], "ijk"[:d]
    out = np.einsum(f"ngc{sp}{ks},goc{ks}->ngo{sp}", view, wg)
    return out.reshape((n, w.shape[0]) + out.shape[3:])


def _config(rng, d):
    """A random stride-1 configuration: kernel sizes 1/3/5, tiles, padding, groups."""
    kernel = tuple(int(rng.choice([1, 3, 5])) for _ in range(d))
    if all(k == 1 for k in kernel):
        kernel = (3,) + kernel[1:]
    tiles = tuple(int(rng.choice(winograd.TILES[k])) for k in kernel)
    if all(m == 1 for m in tiles):
        tiles = tuple(winograd.TILES[k][-1] for k in kernel)
    groups = int(rng.choice([1, 2]))
    pairs = tuple((int(rng.integers(0, 3)), int(rng.integers(0, 3))) for _ in range(d))
    spatial = tuple(max(int(rng.integers(1, 11 if d < 3 else 7)), k - a - b)
                    for k, (a, b) in zip(kernel, pairs))
    shape_x = (int(rng.integers(1, 3)), groups * int(rng.integers(1, 3))) + spatial
    shape_w = (groups * int(rng.integers(1, 3)), shape_x[1] // groups) + kernel
    return shape_x, shape_w, Spec.of(kernel, pairs, groups, tiles)


@pytest.mark.parametrize("m,r", [(2, 3), (4, 3), (2, 5), (1, 3), (1, 1)])
def test_transforms_compute_the_correlation(m, r):
    t, rng = transforms(m, r), np.random.default_rng(m * 10 + r)
    d, g = rng.standard_normal(m + r - 1), rng.standard_normal(r)
    y = t.AT @ ((t.G @ g) * (t.BT @ d))
    np.testing.assert_allclose(y, [g @ d[i:i + r] for i in range(m)], rtol=0, atol=1e-13)


def test_input_transforms_are_integers_and_f23_is_lavins():
    for m, r in [(2, 3), (4, 3), (2, 5)]:
        bt = transforms(m, r).BT
        assert np.array_equal(bt, np.round(bt)) and np.abs(bt).max() <= 10
    assert np.abs(transforms(2, 3).BT).tolist() == [[1, 0, 1, 0], [0, 1, 1, 0], [0, 1, 1, 0],
                                                    [0, 1, 0, 1]]


@pytest.mark.parametrize("seed", range(12))
def test_forward_and_gradients_match_direct_sums_in_float64(seed, monkeypatch):
    rng = np.random.default_rng(seed)
    shape_x, shape_w, spec = _config(rng, 1 + seed % 3)
    monkeypatch.setattr(winograd, "BLOCK_BYTES", int(rng.choice([256, 1 << 20])))
    x, w = rng.standard_normal(shape_x), rng.standard_normal(shape_w)
    y = winograd.winograd_conv(np, x, w, spec)
    ref = _direct(x, w, spec.pairs, spec.groups)
    np.testing.assert_allclose(y, ref, rtol=0, atol=1e-10 * max(1, np.abs(ref).max()))
    grad = rng.standard_normal(ref.shape)
    gx = winograd.input_grad(np, grad, w, spec)
    gw = winograd.weight_grad(np, x, grad, spec)
    eps_x, eps_w = _numeric_grads(x, w, grad, spec)
    np.testing.assert_allclose(gx, eps_x, rtol=0, atol=1e-10 * max(1, np.abs(eps_x).max()))
    np.testing.assert_allclose(gw, eps_w, rtol=0, atol=1e-10 * max(1, np.abs(eps_w).max()))


def _numeric_grads(x, w, grad, spec):
    """The exact gradients of sum(grad * conv(x, w)): conv is linear, so each is the
    direct sum of grad against unit perturbations (done as adjoint einsums)."""
    d = w.ndim - 2
    pairs = spec.pairs
    xp_ = np.pad(x, ((0, 0), (0, 0)) + tuple(pairs))
    n, c = x.shape[:2]
    g = spec.groups
    view = np.lib.stride_tricks.sliding_window_view(xp_, w.shape[2:], axis=tuple(range(2, 2 + d)))
    view = view.reshape((n, g, c // g) + view.shape[2:])
    gg = grad.reshape((n, g, w.shape[0] // g) + grad.shape[2:])
    sp, ks = "hwd"[:d], "ijk"[:d]
    gw = np.einsum(f"ngc{sp}{ks},ngo{sp}->goc{ks}", view, gg).reshape(w.shape)
    wg = w.reshape((g, w.shape[0] // g) + w.shape[1:])
    windows = np.einsum(f"goc{ks},ngo{sp}->ngc{sp}{ks}", wg, gg)
    total = np.zeros(xp_.shape).reshape((n, g, c // g) + xp_.shape[2:])
    out = grad.shape[2:]
    for offset in np.ndindex(*w.shape[2:]):
        at = tuple(slice(o, o + s) for o, s in zip(offset, out))
        total[(Ellipsis,) + at] += windows[(Ellipsis,) + offset]
    total = total.reshape(xp_.shape)
    inner = tuple(slice(a, a + s) for (a, _), s in zip(pairs, x.shape[2:]))
    return total[(Ellipsis,) + inner], gw


@pytest.mark.parametrize("tiles", [(2, 2), (4, 4), (4, 1), (1, 4), (2, 4)])
def test_float32_error_is_small_against_float64(tiles):
    rng = np.random.default_rng(7)
    x = rng.standard_normal((2, 8, 21, 19)).astype(np.float32)
    w = rng.standard_normal((6, 8, 3, 3)).astype(np.float32)
    spec = Spec.of((3, 3), ((1, 1), (1, 1)), 1, tiles)
    y = winograd.winograd_conv(np, x, w, spec)
    ref = _direct(x, w, spec.pairs, 1)
    assert y.dtype == np.float32
    assert np.abs(y - ref).max() <= 2e-5 * np.abs(ref).max()


def test_float16_runs_in_float32_and_returns_float16():
    x = np.ones((1, 2, 6, 6), np.float16)
    w = np.ones((1, 2, 3, 3), np.float16)
    y = winograd.winograd_conv(np, x, w, Spec.of((3, 3), ((0, 0), (0, 0)), 1, (2, 2)))
    assert y.dtype == np.float16 and np.allclose(y, 18)


def test_complex_inputs():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((1, 2, 7, 7)) + 1j * rng.standard_normal((1, 2, 7, 7))
    w = rng.standard_normal((3, 2, 3, 3)) - 2j * rng.standard_normal((3, 2, 3, 3))
    y = winograd.winograd_conv(np, x, w, Spec.of((3, 3), ((1, 1), (1, 1))))
    np.testing.assert_allclose(y, _direct(x, w, ((1, 1), (1, 1)), 1), atol=1e-10)


def test_empty_batch_and_unknown_tiles():
    spec = Spec.of((3, 3), ((1, 1), (1, 1)))
    assert winograd.winograd_conv(np, np.ones((0, 2, 5, 5)), np.ones((3, 2, 3, 3)),
                                  spec).shape == (0, 3, 5, 5)
    assert winograd.weight_grad(np, np.ones((0, 2, 5, 5)), np.ones((0, 3, 5, 5)),
                                spec).shape == (3, 2, 3, 3)
    with pytest.raises(ContractError, match="F\\(4, 3\\)"):
        Spec.of((5, 5), ((0, 0), (0, 0)), 1, (4, 4))
    with pytest.raises(ContractError, match="at least one axis"):
        Spec.of((3,), ((0, 0),), 1, (1,))


def test_blocks_of_tile_rows_and_the_pool(monkeypatch):
    """Large images split into tile-row blocks; batches go to the pool."""
    monkeypatch.setattr(winograd, "BLOCK_BYTES", 1 << 12)
    monkeypatch.setattr(winograd, "PARALLEL_BYTES", 0)
    rng = np.random.default_rng(5)
    x, w = rng.standard_normal((3, 2, 23, 17)), rng.standard_normal((4, 2, 3, 3))
    spec = Spec.of((3, 3), ((2, 1), (0, 1)), 1, (4, 2))
    assert len(winograd.blocks(3, 6, 1 << 13, False)) == 6
    np.testing.assert_allclose(winograd.winograd_conv(np, x, w, spec),
                               _direct(x, w, spec.pairs, 1), atol=1e-10)


# -- through contract.nn.functional, against torch ---------------------------------------------
try:
    import torch
    import torch.nn.functional as TF
except ImportError:     # the tests above need no torch; those below are skipped
    torch = TF = None


@pytest.fixture
def forced(monkeypatch, tmp_path):
    """Winograd forced (where it applies), a fresh calibration folder; torch needed."""
    if torch is None:
        pytest.skip("torch is not installed")
    monkeypatch.setenv("CONTRACT_CACHE_DIR", str(tmp_path))
    monkeypatch.setenv("CONTRACT_CONV_ALGO", "winograd")
    conv_algo.KERNELS.clear()
    yield
    conv_algo.KERNELS.clear()


CASES = [
    # x shape, w shape, padding, dilation, groups
    ((2, 3, 11, 9), (4, 3, 3, 3), 1, 1, 1),
    ((1, 1, 8, 8), (1, 1, 3, 3), 0, 1, 1),              # batch 1, channel 1
    ((2, 4, 9, 13), (6, 2, 5, 5), 2, 1, 2),             # 5x5, groups
    ((3, 2, 7, 10), (2, 2, 3, 5), (0, 3), 1, 1),         # rectangular, odd padding
    ((2, 2, 9, 9), (3, 2, 3, 3), 2, 2, 1),              # dilation: falls back to im2col
    ((1, 4, 6, 6), (4, 1, 3, 3), 1, 1, 4),              # depthwise
]


@pytest.mark.parametrize("xs,ws,padding,dilation,groups", CASES)
def test_conv2d_values_and_gradients_match_torch(xs, ws, padding, dilation, groups, forced):
    rng = np.random.default_rng(sum(xs) + sum(ws))
    x, w = rng.standard_normal(xs), rng.standard_normal(ws)
    b, g = rng.standard_normal(ws[0]), None
    cx, cw, cb = (ct.tensor(a, requires_grad=True) for a in (x, w, b))
    tx, tw, tb = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
    y = F.conv2d(cx, cw, cb, 1, padding, dilation, groups)
    ty = TF.conv2d(tx, tw, tb, 1, padding, dilation, groups)
    g = rng.standard_normal(ty.shape)
    (y * ct.tensor(g)).sum().backward()
    ty.backward(torch.tensor(g))
    for mine, theirs in ((y, ty), (cx.grad, tx.grad), (cw.grad, tw.grad), (cb.grad, tb.grad)):
        np.testing.assert_allclose(mine.detach().numpy(), theirs.detach().numpy(),
                                   rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("seed", range(4))
def test_random_float32_configurations_match_torch(seed, forced):
    rng = np.random.default_rng(100 + seed)
    shape_x, shape_w, spec = _config(rng, 2)
    pad = tuple(a for a, _ in spec.pairs)          # torch pads both sides alike
    shape_x = shape_x[:2] + tuple(max(s, k - 2 * p) for s, k, p
                                  in zip(shape_x[2:], shape_w[2:], pad))
    x = rng.standard_normal(shape_x).astype(np.float32)
    w = rng.standard_normal(shape_w).astype(np.float32)
    cx, cw = ct.tensor(x, requires_grad=True), ct.tensor(w, requires_grad=True)
    tx, tw = torch.tensor(x, requires_grad=True), torch.tensor(w, requires_grad=True)
    y = F.conv2d(cx, cw, padding=pad, groups=spec.groups)
    ty = TF.conv2d(tx, tw, padding=pad, groups=spec.groups)
    y.sum().backward()
    ty.sum().backward()
    for mine, theirs in ((y, ty), (cx.grad, tx.grad), (cw.grad, tw.grad)):
        theirs = theirs.detach().numpy()
        assert mine.dtype == ct.float32
        assert np.abs(mine.detach().numpy() - theirs).max() <= 1e-4 * max(1, np.abs(theirs).max())


@pytest.mark.parametrize("name,xs,ws", [
    ("conv1d", (2, 3, 17), (4, 3, 3)),
    ("conv3d", (1, 2, 6, 7, 5), (3, 2, 3, 3, 3)),
    ("conv3d", (2, 2, 5, 6, 6), (2, 2, 1, 3, 5)),
])
def test_conv1d_and_conv3d_use_it_too(name, xs, ws, forced):
    fn, tfn = getattr(F, name), getattr(TF, name)
    rng = np.random.default_rng(11)
    x, w = rng.standard_normal(xs), rng.standard_normal(ws)
    choice = conv_algo.choose(xs, ws, (1,) * len(xs[2:]), (1,) * len(xs[2:]),
                              ((1, 1),) * len(xs[2:]), 1, np.dtype(np.float64))
    assert choice.name == "winograd"
    cx, cw = ct.tensor(x, requires_grad=True), ct.tensor(w, requires_grad=True)
    tx, tw = torch.tensor(x, requires_grad=True), torch.tensor(w, requires_grad=True)
    y, ty = fn(cx, cw, padding=1), tfn(tx, tw, padding=1)
    y.sum().backward()
    ty.sum().backward()
    for mine, theirs in ((y, ty), (cx.grad, tx.grad), (cw.grad, tw.grad)):
        np.testing.assert_allclose(mine.detach().numpy(), theirs.detach().numpy(), atol=1e-10)


def test_kernel_transform_is_cached_in_inference(forced, monkeypatch):
    made = []
    real = winograd.kernel_transform
    monkeypatch.setattr(winograd, "kernel_transform", lambda *a: made.append(1) or real(*a))
    x = ct.randn(2, 3, 9, 9)
    w = ct.randn(4, 3, 3, 3, requires_grad=True)
    with ct.no_grad():
        first = F.conv2d(x, w, padding=1)
        again = F.conv2d(x, w, padding=1)
        assert len(made) == 1
        w[0, 0, 0, 0] = 5.0                         # a new weight version
        changed = F.conv2d(x, w, padding=1)
    assert len(made) == 2
    np.testing.assert_array_equal(first.numpy(), again.numpy())
    ref = TF.conv2d(torch.tensor(x.numpy()), torch.tensor(w.detach().numpy()), padding=1)
    np.testing.assert_allclose(changed.numpy(), ref.numpy(), rtol=1e-4, atol=1e-4)
    F.conv2d(x, w, padding=1).sum().backward()     # with grad: not cached
    assert len(made) == 3 and w.grad is not None
