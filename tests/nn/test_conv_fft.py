"""FFT convolution (contract.nn.fft_conv): forward and gradients against direct sums in
float64, the three algorithms against each other, and torch through F.conv*d."""
import numpy as np
import pytest

import contract as ct
import contract.nn.functional as F
from contract.errors import ContractError
from contract.nn import conv_algo, conv_tiles, fft_conv, winograd
from contract.nn.fft_conv import FFTSpec


def _configs():
    rng = np.random.default_rng(0)
    found = []
    for d in (1, 2, 2, 3):
        kernel = tuple(int(rng.integers(1, 8 if d < 3 else 4)) for _ in range(d))
        dilation = tuple(int(rng.integers(1, 3)) for _ in range(d))
        groups = int(rng.choice([1, 2]))
        pairs = tuple((int(rng.integers(0, 4)), int(rng.integers(0, 4))) for _ in range(d))
        span = [e * (k - 1) + 1 for k, e in zip(kernel, dilation)]
        spatial = tuple(max(int(rng.integers(2, 12 if d < 3 else 7)), s - a - b)
                        for s, (a, b) in zip(span, pairs))
        xs = (int(rng.integers(1, 3)), groups * int(rng.integers(1, 3))) + spatial
        ws = (groups * int(rng.integers(1, 3)), xs[1] // groups) + kernel
        found.append((xs, ws, FFTSpec.of(kernel, pairs, dilation, groups)))
    return found


def _im2col(x, w, spec):
    d = len(spec.kernel)
    geo = conv_tiles.Geometry(spec.kernel, (1,) * d, spec.pairs, spec.dilation, spec.groups)
    return geo, conv_tiles.forward(np, x, w, geo)


@pytest.mark.parametrize("xs,ws,spec", _configs())
def test_fft_matches_im2col_in_float64(xs, ws, spec):
    rng = np.random.default_rng(sum(xs))
    x, w = rng.standard_normal(xs), rng.standard_normal(ws)
    geo, ref = _im2col(x, w, spec)
    scale = max(1, np.abs(ref).max())
    np.testing.assert_allclose(fft_conv.fft_conv(np, x, w, spec), ref, rtol=0, atol=1e-10 * scale)
    grad = rng.standard_normal(ref.shape)
    gx, gw = fft_conv.fft_grads(np, x, grad, w, spec)
    ref_x = conv_tiles.input_grad(np, grad, w, x.shape, geo)
    ref_w = conv_tiles.weight_grad(np, x, grad, geo)
    np.testing.assert_allclose(gx, ref_x, rtol=0, atol=1e-10 * max(1, np.abs(ref_x).max()))
    np.testing.assert_allclose(gw, ref_w, rtol=0, atol=1e-10 * max(1, np.abs(ref_w).max()))


@pytest.mark.parametrize("seed", range(3))
def test_three_algorithms_agree_in_float64(seed):
    rng = np.random.default_rng(50 + seed)
    kernel = ((3, 3), (5, 5), (3, 5))[seed]
    pairs = tuple((int(rng.integers(0, 3)),) * 2 for _ in kernel)
    x, w = rng.standard_normal((2, 4, 12, 11)), rng.standard_normal((6, 2) + kernel)
    geo, ref = _im2col(x, w, FFTSpec.of(kernel, pairs, (1, 1), 2))
    wino = winograd.winograd_conv(np, x, w, winograd.Spec.of(kernel, pairs, 2))
    fft = fft_conv.fft_conv(np, x, w, FFTSpec.of(kernel, pairs, (1, 1), 2))
    for y in (wino, fft):
        np.testing.assert_allclose(y, ref, rtol=0, atol=1e-10 * np.abs(ref).max())


def test_float32_and_float16():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, 3, 20, 20))
    w = rng.standard_normal((4, 3, 7, 7))
    spec = FFTSpec.of((7, 7), ((3, 3), (3, 3)), (1, 1))
    _, ref = _im2col(x, w, spec)
    y32 = fft_conv.fft_conv(np, x.astype(np.float32), w.astype(np.float32), spec)
    assert y32.dtype == np.float32
    assert np.abs(y32 - ref).max() <= 1e-5 * np.abs(ref).max()
    y16 = fft_conv.fft_conv(np, x.astype(np.float16), w.astype(np.float16), spec)
    assert y16.dtype == np.float16
    assert np.abs(y16 - ref).max() <= 1e-2 * np.abs(ref).max()


def test_refusals_and_lengths():
    assert fft_conv.fast_length(1) == 1 and fft_conv.fast_length(121) == 125
    assert not fft_conv.applies((1,), np.dtype(np.complex128))
    assert not fft_conv.applies((1,), np.dtype(np.int64))
    with pytest.raises(ContractError, match="real floating"):
        fft_conv.fft_conv(np, np.ones((1, 1, 5), complex), np.ones((1, 1, 3)),
                          FFTSpec.of((3,), ((0, 0),), (1,)))
    with pytest.raises(ContractError, match="smaller than the kernel"):
        fft_conv.fft_conv(np, np.ones((1, 1, 2)), np.ones((1, 1, 3)),
                          FFTSpec.of((3,), ((0, 0),), (1,)))


def test_blocks_on_the_pool(monkeypatch):
    monkeypatch.setattr(fft_conv, "BLOCK_BYTES", 1 << 10)
    rng = np.random.default_rng(2)
    x, w = rng.standard_normal((5, 2, 9, 9)), rng.standard_normal((3, 2, 4, 4))
    spec = FFTSpec.of((4, 4), ((1, 2), (2, 1)), (1, 1))
    geo, ref = _im2col(x, w, spec)
    np.testing.assert_allclose(fft_conv.fft_conv(np, x, w, spec), ref, atol=1e-10)
    grad = rng.standard_normal(ref.shape)
    _, gw = fft_conv.fft_grads(np, x, grad, w, spec, need_x=False)
    np.testing.assert_allclose(gw, conv_tiles.weight_grad(np, x, grad, geo), atol=1e-10)


try:
    import torch
    import torch.nn.functional as TF
except ImportError:     # the tests above need no torch; those below are skipped
    torch = TF = None
needs_torch = pytest.mark.skipif(torch is None, reason="torch is not installed")


@needs_torch
@pytest.mark.parametrize("name,xs,ws,padding,dilation,groups", [
    ("conv2d", (2, 3, 16, 15), (4, 3, 7, 7), 3, 1, 1),
    ("conv2d", (1, 4, 14, 14), (4, 2, 5, 3), (2, 0), 2, 2),
    ("conv2d", (1, 1, 9, 9), (1, 1, 11, 11), 5, 1, 1),     # kernel > input
    ("conv1d", (2, 2, 30), (3, 2, 9), 4, 1, 1),
    ("conv3d", (1, 2, 6, 7, 8), (2, 2, 3, 3, 3), 1, 1, 1),
])
def test_values_and_gradients_match_torch(name, xs, ws, padding, dilation, groups,
                                          monkeypatch, tmp_path):
    fn, tfn = getattr(F, name), getattr(TF, name)
    monkeypatch.setenv("CONTRACT_CACHE_DIR", str(tmp_path))
    monkeypatch.setenv("CONTRACT_CONV_ALGO", "fft")
    rng = np.random.default_rng(sum(xs))
    x, w = rng.standard_normal(xs), rng.standard_normal(ws)
    cx, cw = ct.tensor(x, requires_grad=True), ct.tensor(w, requires_grad=True)
    tx, tw = torch.tensor(x, requires_grad=True), torch.tensor(w, requires_grad=True)
    y = fn(cx, cw, padding=padding, dilation=dilation, groups=groups)
    ty = tfn(tx, tw, padding=padding, dilation=dilation, groups=groups)
    g = rng.standard_normal(ty.shape)
    (y * ct.tensor(g)).sum().backward()
    ty.backward(torch.tensor(g))
    for mine, theirs in ((y, ty), (cx.grad, tx.grad), (cw.grad, tw.grad)):
        np.testing.assert_allclose(mine.detach().numpy(), theirs.detach().numpy(),
                                   rtol=1e-10, atol=1e-10)


@needs_torch
def test_forced_fft_falls_back_where_it_does_not_apply(monkeypatch, tmp_path):
    monkeypatch.setenv("CONTRACT_CACHE_DIR", str(tmp_path))
    monkeypatch.setenv("CONTRACT_CONV_ALGO", "fft")
    x, w = np.arange(2 * 36.).reshape(1, 2, 6, 6), np.ones((3, 2, 2, 2))
    assert conv_algo.choose(x.shape, w.shape, (2, 2), (1, 1), ((0, 0), (0, 0)), 1,
                            x.dtype).name == "im2col"
    ref = TF.conv2d(torch.tensor(x), torch.tensor(w), stride=2).numpy()
    np.testing.assert_array_equal(F.conv2d(x, w, stride=2), ref)
    xi, wi = x.astype(np.int64), w.astype(np.int64)
    np.testing.assert_array_equal(F.conv2d(xi, wi, padding=1),
                                  TF.conv2d(torch.tensor(xi), torch.tensor(wi), padding=1))
