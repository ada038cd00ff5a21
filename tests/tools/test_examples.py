"""Run every example script and check the values it prints (the seeds' outputs)."""
import re
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def run_example(name):
    done = subprocess.run([sys.executable, str(EXAMPLES / name)], capture_output=True,
                          text=True, timeout=120, cwd=EXAMPLES.parent)
    assert done.returncode == 0, f"{name} failed:\n{done.stdout[-2000:]}\n{done.stderr[-4000:]}"
    return done.stdout


def assert_lines(output, expected):
    lines = [line.rstrip() for line in output.splitlines()]
    for want in expected:
        assert want in lines, f"missing line {want!r} in:\n{output}"


def test_seed_000_sum():
    out = run_example("seed_000_sum.py")
    assert_lines(out, ["z = tensor([2., 3., 4.])", "y = tensor(10.)", "tensor([[11., 12.],",
                       "        [13., 14.]])", "conv_output: (32, 16, 30, 30)",
                       "pooled: (32, 16, 15, 15)", "SumLayer output: (8, 64)",
                       " Per-Image Sums: (512,)", "channels add up to the total: True"])


def test_seed_001_numpy_vs_torch():
    out = run_example("seed_001_numpy_vs_torch.py")
    assert_lines(out, [
        "tensor([0.0000, 1.6667, 3.3333, 5.0000])",
        "(tensor(1.6333), tensor(1.5503), tensor(3.4000), tensor(0.5000))",
        "scaled image: (256, 256, 3)",
        "mean over the batch: (256, 256, 3)",
        "mean over the channels: (5, 256, 256)",
        "tensor([[ 75., 192.],",
        "        [ 48., 108.]])",
        "        [ 48., 108.]], grad_fn=<MulBackward0>)",
    ])
    assert re.search(r"tensor\(\[ 8\.,  9\., 10\., 11\.\], dtype=\w+\.float64\)\)", out)
    assert "tensor([[[ 0,  1,  2,  3]," in out and "[44, 45, 46, 47]]])" in out
    assert re.search(r"max over channels: \(5, 256, 256\) \(5, 256, 256\) \S*int64", out)
    assert re.search(r"matmul 1000x1000: \d+\.\d+ s", out)


def test_seed_002_reductions():
    out = run_example("seed_002_reductions.py")
    assert_lines(out, [
        "tensor(8.)", "9", "1", "True", "tensor(0.)", "tensor(0.8889)", "tensor(1.1667)",
        "tensor([6., 6., 6., 6.])", "tensor([ 4.,  8., 12.])",
        "tensor(4.) tensor(8.) tensor(12.)", "tensor(5.)", "tensor(11)",
        "tensor([1., 0., 0., 2., 0., 3., 3., 0., 4., 0., 0., 5.])",
        "tensor([2, 1, 1, 2])", "tensor([3, 1, 3])", "5.0", "[4.0, 5.0, 6.0]",
        "array([4., 5., 6.], dtype=float32)",
    ])
    flat = " ".join(out.split())
    assert "values=tensor([4., 3., 3., 5.]), indices=tensor([2, 1, 1, 2])" in flat
    assert "values=tensor([2., 3., 5.]), indices=tensor([3, 1, 3])" in flat


def test_seed_003_broadcasting():
    out = run_example("seed_003_broadcasting.py")
    assert_lines(out, [
        "(5, 7, 3)", "(5, 3, 4, 1)", "(4, 1)", "(1, 4)", "True", "(True, False)",
        "view on a non-contiguous tensor: ShapeError", "False", "(6, 4)",
        "ct.Size([2, 1, 3, 4])", "tensor([0, 1, 2, 3, 4])",
        "tensor([ 3.0000,  4.7500,  6.5000,  8.2500, 10.0000])",
        "tensor([-10.,  -5.,   0.,   5.,  10.])", "tensor([-10.])",
        "ct.Size([5, 2, 3])", "tensor([[1.3000, 2.2000, 3.1000]])",
        "tensor([[1, 1],", "        [4, 3]])",
    ])
    assert len(re.findall(r"^not broadcastable: ", out, re.M)) == 2
    assert "tensor([[1, 1, 1],\n        [1, 1, 1],\n        [2, 2, 2]]))" in out
    assert "tensor([[1, 1, 1],\n        [2, 2, 2],\n        [3, 3, 3],\n        [4, 4, 4]])" in out
    assert "-3.4024])" in out


def test_image_batch_stats():
    out = run_example("image_batch_stats.py")
    assert_lines(out, ["einsum agrees: True"])
    stds = [float(v) for v in re.search(r"Per-Channel Std: tensor\(\[(.*)\]\)", out)
            .group(1).split(",")]
    assert all(abs(s - 12 ** -0.5) < 2e-3 for s in stds)
    assert "Normalised mean -0.0000, std 1.0000" in out or "Normalised mean 0.0000, std 1.0000" in out


def test_conv_sumpool():
    out = run_example("conv_sumpool.py")
    assert_lines(out, ["conv_output: (32, 16, 30, 30)", "pooled: (32, 16, 15, 15)",
                       "conv matches numpy: True", "pool matches numpy: True",
                       "sum_pool2d == grouped einsum: True", "filter gradient matches: True"])


def test_train_convnet_loss_falls():
    out = run_example("train_convnet.py")
    first, last = map(float, re.search(r"loss fell from (\S+) to (\S+) in", out).groups())
    assert last < first / 10
    accuracy = float(re.findall(r"accuracy (\S+)", out)[-1])
    assert accuracy > 0.8


@pytest.mark.parametrize("name", ["seed_000_sum.py", "seed_001_numpy_vs_torch.py",
                                  "seed_002_reductions.py", "seed_003_broadcasting.py",
                                  "image_batch_stats.py", "conv_sumpool.py", "train_convnet.py"])
def test_example_exists_and_uses_contract(name):
    text = (EXAMPLES / name).read_text()
    assert "import contract as ct" in text and "import torch" not in text
