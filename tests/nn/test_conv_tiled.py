"""The tiled conv path (row blocks of one image, several images per tile, the whole batch,
the thread pool) against direct loops and central differences.  ``TILE_BYTES`` is
shrunk so that small shapes tile."""
import numpy as np
import pytest

import contract as ct
import contract.nn.conv_tiles as tiles
import contract.nn.functional as F
from contract.testing import gradcheck
from contract.nn.windows import output_shape
from oracles import conv_loops

# (x shape, w shape, stride, padding, dilation, groups)
CASES = [
    ((3, 3, 7, 8), (4, 3, 3, 2), 1, 0, 1, 1),          # stride 1: transposed-conv input grad
    ((3, 4, 9, 9), (6, 2, 3, 3), 2, 1, 1, 2),          # strided, grouped
    ((2, 3, 8, 8), (4, 3, 2, 2), 2, 0, 1, 1),          # the seed's family: disjoint windows
    ((3, 2, 9, 7), (3, 2, 2, 3), 1, (2, 1), (2, 1), 1),  # stride 1, dilated, padded
    ((2, 4, 6, 6), (4, 1, 3, 3), 1, 1, 1, 4),          # depthwise, stride 1
    ((2, 2, 9, 6), (2, 2, 2, 2), (3, 2), (2, 1), (2, 1), 1),  # gaps between windows
]

# whole batch in one tile, one output row per tile, two images per tile (the last one short),
# and the batch shared out over contract._util.parallel's thread pool (whole images, single rows)
CHUNKS = ["batch", "rows", "two", "pool", "pool-rows"]


def _two_images(x_shape, w_shape, stride, padding, dilation):
    """TILE_BYTES that holds two images' window copies and a half."""
    n = len(w_shape) - 2
    spatial = [s + 2 * p for s, p in zip(x_shape[2:], np.broadcast_to(padding, n))]
    out = output_shape(spatial, w_shape[2:], np.broadcast_to(stride, n),
                       np.broadcast_to(dilation, n))
    per_image = x_shape[1] * int(np.prod(w_shape[2:])) * int(np.prod(out)) * 8
    return 2 * per_image + per_image // 2


@pytest.fixture
def chunked(monkeypatch):
    def use(setting, x_shape, w_shape, stride=1, padding=0, dilation=1):
        if setting.startswith("pool"):
            monkeypatch.setenv("CONTRACT_NUM_THREADS", "2")
            monkeypatch.setattr(tiles, "PARALLEL_BYTES", 0)
        budget = {"batch": 1 << 30, "rows": 1, "pool-rows": 1}.get(setting)
        if setting == "two":
            budget = _two_images(x_shape, w_shape, stride, padding, dilation)
        if budget is not None:
            monkeypatch.setattr(tiles, "TILE_BYTES", budget)
    return use


@pytest.mark.parametrize("setting", CHUNKS)
@pytest.mark.parametrize("xs,ws,stride,padding,dilation,groups", CASES)
def test_tiled_forward_matches_loops(chunked, setting, xs, ws, stride, padding, dilation,
                                     groups):
    chunked(setting, xs, ws, stride, padding, dilation)
    rng = np.random.default_rng(7)
    x, w, b = rng.standard_normal(xs), rng.standard_normal(ws), rng.standard_normal(ws[0])
    got = F.conv2d(x, w, b, stride, padding, dilation, groups)
    want = conv_loops(x, w, b, stride, padding, dilation, groups)
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("setting", CHUNKS)
@pytest.mark.parametrize("xs,ws,stride,padding,dilation,groups", CASES)
def test_tiled_gradients(chunked, setting, xs, ws, stride, padding, dilation, groups):
    chunked(setting, xs, ws, stride, padding, dilation)
    rng = np.random.default_rng(3)
    x = ct.tensor(rng.standard_normal(xs), requires_grad=True)
    w = ct.tensor(rng.standard_normal(ws), requires_grad=True)
    assert gradcheck(lambda x, w: F.conv2d(x, w, None, stride, padding, dilation, groups),
                     (x, w))


@pytest.mark.parametrize("setting", CHUNKS)
def test_tiled_unbatched_and_only_one_operand_needs_grad(chunked, setting):
    chunked(setting, (1, 2, 6, 5), (3, 2, 3, 3), padding=1)
    rng = np.random.default_rng(5)
    data, kernel = rng.standard_normal((2, 6, 5)), rng.standard_normal((3, 2, 3, 3))
    want = conv_loops(data[None], kernel, padding=1)[0]
    np.testing.assert_allclose(F.conv2d(data, kernel, padding=1), want, atol=1e-10)
    x = ct.tensor(data, requires_grad=True)
    assert gradcheck(lambda x: F.conv2d(x, ct.tensor(kernel), padding=1), (x,))
    w = ct.tensor(kernel, requires_grad=True)
    assert gradcheck(lambda w: F.conv2d(ct.tensor(data), w, padding=1), (w,))
    assert gradcheck(lambda w: F.conv2d(data, w, padding=1), (w,))


def test_tiled_output_is_contiguous_float32(monkeypatch):
    monkeypatch.setattr(tiles, "TILE_BYTES", 1)
    rng = np.random.default_rng(2)
    x = rng.random((3, 2, 6, 6), dtype=np.float32)
    w = rng.random((4, 2, 3, 3), dtype=np.float32)
    out = F.conv2d(x, w)
    assert out.flags.c_contiguous and out.dtype == np.float32
    np.testing.assert_allclose(out, conv_loops(x, w), rtol=1e-5)
    tx, tw = ct.tensor(x, requires_grad=True), ct.tensor(w, requires_grad=True)
    F.conv2d(tx, tw).sum().backward()
    assert tx.grad.dtype == ct.float32 and tw.grad.dtype == ct.float32
    assert tx.grad.shape == (3, 2, 6, 6) and tw.grad.shape == (4, 2, 3, 3)


@pytest.mark.parametrize("images", [1, 2, 3])
def test_stride1_input_gradient_in_chunks_of_images(monkeypatch, images):
    """The col2im input gradient, ``images`` per tile of a batch of 3 (its window
    gradient: 4 input channels x 6 taps x the 6x5 output)."""
    x_shape, w_shape = (3, 4, 6, 7), (6, 2, 2, 3)          # groups=2, dilation (2, 1)
    per_image = x_shape[1] * 6 * 6 * 5 * 8
    monkeypatch.setattr(tiles, "TILE_BYTES", images * per_image + per_image // 2)
    rng = np.random.default_rng(11)
    x = ct.tensor(rng.standard_normal(x_shape), requires_grad=True)
    w = ct.tensor(rng.standard_normal(w_shape), requires_grad=True)
    assert gradcheck(lambda x, w: F.conv2d(x, w, padding=(1, 0), dilation=(2, 1), groups=2),
                     (x, w))


def test_conv1d_stride1_dilated_gradients():
    rng = np.random.default_rng(12)
    x = ct.tensor(rng.standard_normal((2, 3, 11)), requires_grad=True)
    w = ct.tensor(rng.standard_normal((4, 3, 3)), requires_grad=True)
    assert gradcheck(lambda x, w: F.conv1d(x, w, padding=2, dilation=3), (x, w))


@pytest.mark.parametrize("stride", [1, 2])
@pytest.mark.parametrize("setting", CHUNKS)
def test_zero_size_batch_gives_empty_output_and_gradients(chunked, setting, stride):
    """A batch of 0 images (torch allows it): an empty output and empty/zero gradients."""
    chunked(setting, (1, 3, 8, 8), (4, 3, 3, 3), stride, 1)
    out = F.conv2d(np.ones((0, 3, 8, 8)), np.ones((4, 3, 3, 3)), stride=stride, padding=1)
    assert out.shape == (0, 4, 8 // stride, 8 // stride)
    x = ct.tensor(np.ones((0, 3, 8, 8)), requires_grad=True)
    w = ct.tensor(np.ones((4, 3, 3, 3)), requires_grad=True)
    F.conv2d(x, w, stride=stride, padding=1).sum().backward()
    assert x.grad.shape == (0, 3, 8, 8)
    assert w.grad.shape == (4, 3, 3, 3) and not np.any(w.grad.numpy())


def test_pooled_float32_conv_matches_serial(monkeypatch):
    """The thread-pool path gives the same float32 values and gradients as the serial one."""
    rng = np.random.default_rng(21)
    x = rng.random((5, 3, 12, 12), dtype=np.float32)
    w = rng.random((4, 3, 3, 3), dtype=np.float32)

    def run():
        tx, tw = ct.tensor(x, requires_grad=True), ct.tensor(w, requires_grad=True)
        out = F.conv2d(tx, tw, padding=1)
        (out * out).sum().backward()
        return out.detach().numpy(), tx.grad.numpy(), tw.grad.numpy()
    monkeypatch.setenv("CONTRACT_NUM_THREADS", "1")
    serial = run()
    monkeypatch.setenv("CONTRACT_NUM_THREADS", "2")
    monkeypatch.setattr(tiles, "PARALLEL_BYTES", 0)
    for got, want in zip(run(), serial):
        np.testing.assert_allclose(got, want, rtol=1e-5)


CASES_3D = [
    ((2, 2, 4, 5, 4), (3, 2, 2, 3, 2), 1, 0, 1, 1),
    ((2, 4, 5, 5, 6), (4, 2, 3, 2, 2), (2, 1, 2), (1, 0, 1), (1, 2, 1), 2),
]


@pytest.mark.parametrize("setting", ["batch", "rows", "pool-rows"])
@pytest.mark.parametrize("xs,ws,stride,padding,dilation,groups", CASES_3D)
def test_conv3d_matches_loops_and_central_differences(chunked, setting, xs, ws, stride,
                                                      padding, dilation, groups):
    chunked(setting, xs, ws, stride, padding, dilation)
    rng = np.random.default_rng(9)
    x, w, b = rng.standard_normal(xs), rng.standard_normal(ws), rng.standard_normal(ws[0])
    got = F.conv3d(x, w, b, stride, padding, dilation, groups)
    np.testing.assert_allclose(got, conv_loops(x, w, b, stride, padding, dilation, groups),
                               rtol=1e-10, atol=1e-10)
    tx, tw = ct.tensor(x, requires_grad=True), ct.tensor(w, requires_grad=True)
    assert gradcheck(lambda x, w: F.conv3d(x, w, None, stride, padding, dilation, groups),
                     (tx, tw))


def test_conv3d_layer_and_errors():
    layer = ct.nn.Conv3d(2, 3, (2, 3, 1), padding=(1, 0, 0), bias=False)
    assert "bias=False" in repr(layer) and layer(ct.rand(4, 2, 3, 4, 5)).shape == (4, 3, 4, 2, 5)
    with pytest.raises(ct.ShapeError, match="4-D .unbatched. or 5-D"):
        F.conv3d(np.ones((2, 3, 4)), np.ones((1, 3, 1, 1, 1)))


@pytest.mark.parametrize("setting", ["batch", "rows"])
def test_dtypes_layouts_and_empty_channels(chunked, setting):
    """float16 computes in float32 and returns float16; ints accumulate in int64; complex
    and mixed float32/float64 promote; non-contiguous inputs; zero in/out channels."""
    chunked(setting, (3, 2, 7, 6), (4, 2, 3, 3), 1, 1)
    rng = np.random.default_rng(13)
    x, w = rng.standard_normal((3, 2, 7, 6)), rng.standard_normal((4, 2, 3, 3))
    want = conv_loops(x, w, padding=1)
    half = F.conv2d(x.astype(np.float16), w.astype(np.float16), padding=1)
    assert half.dtype == np.float16
    np.testing.assert_allclose(half, want, rtol=2e-2, atol=2e-2)
    ints = F.conv2d(np.arange(3 * 2 * 42, dtype=np.int32).reshape(3, 2, 7, 6) * 10 ** 6,
                    np.full((4, 2, 3, 3), 300, np.int32), padding=1)
    assert ints.dtype == np.int64
    np.testing.assert_array_equal(ints, conv_loops(
        np.arange(3 * 2 * 42).reshape(3, 2, 7, 6) * 10 ** 6, np.full((4, 2, 3, 3), 300),
        padding=1).astype(np.int64))
    z = x + 1j * rng.standard_normal(x.shape)
    np.testing.assert_allclose(F.conv2d(z, w, padding=1),
                               conv_loops(z.real, w, padding=1)
                               + 1j * conv_loops(z.imag, w, padding=1), atol=1e-10)
    mixed = F.conv2d(x.astype(np.float32), w, padding=1)
    assert mixed.dtype == np.float64
    np.testing.assert_allclose(mixed, conv_loops(x.astype(np.float32), w, padding=1),
                               atol=1e-12)
    flipped = np.ascontiguousarray(x.transpose(0, 1, 3, 2)).transpose(0, 1, 3, 2)
    np.testing.assert_allclose(F.conv2d(flipped[:, ::-1][:, ::-1], w, padding=1), want,
                               atol=1e-10)
    assert F.conv2d(x, np.ones((0, 2, 3, 3)), padding=1).shape == (3, 0, 7, 6)
    empty = F.conv2d(np.ones((3, 0, 7, 6)), np.ones((4, 0, 3, 3)), padding=1)
    assert empty.shape == (3, 4, 7, 6) and not empty.any()
    tx = ct.tensor(np.ones((3, 0, 7, 6)), requires_grad=True)
    tw = ct.tensor(np.ones((4, 0, 3, 3)), requires_grad=True)
    F.conv2d(tx, tw, padding=1).sum().backward()
    assert tx.grad.shape == (3, 0, 7, 6) and tw.grad.shape == (4, 0, 3, 3)


def test_zero_size_kernel_and_list_inputs():
    with pytest.raises(ct.ShapeError, match="kernel size should be greater than zero"):
        F.conv2d(np.ones((2, 3, 5, 5)), np.ones((4, 3, 0, 3)))
    got = F.conv2d(np.ones((1, 1, 3, 3)).tolist(), np.ones((1, 1, 2, 2)).tolist())
    np.testing.assert_array_equal(got, np.full((1, 1, 2, 2), 4.0))
    with pytest.raises(ct.ContractError, match="numeric"):
        F.conv1d([["a", "b"]], np.ones((1, 1, 1)))
