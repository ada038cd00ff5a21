"""Suite ``conv``: sum-pool and conv2d as einsums vs NumPy and torch CPU.

Issue 5's goals, ratios measured in one run:

- ``sum_pool2d(k=2)`` on 32x16x128x128 float32 at most 1.0x NumPy's
  reshape-and-sum (``x.reshape(b, c, h/2, 2, w/2, 2).sum(axis=(3, 5))``);
- ``conv2d`` on the seed's shapes (32x3x60x60 input, 16x3x2x2 weight, stride 2)
  and on 32x16x64x64 with 32x16x3x3: forward at most 1.0x torch CPU
  ``F.conv2d``; forward + backward (Tensors, gradients of input and weight) at
  most 1.5x torch's.  Without torch the conv cases compare with NumPy's
  ``sliding_window_view`` + ``tensordot`` only (no goal).

``--quick`` shrinks the batch to 4.

>>> import argparse
>>> [c.name for c in cases(argparse.Namespace(quick=True))][0]
'sum_pool2d k=2 4x16x128x128 f32'
"""
import numpy as np

from contract.tools.bench import Case, Target
from contract.tools.bench.engines import installed

NAME = "conv"
DESCRIPTION = "sum_pool2d and conv2d (forward, forward+backward) vs NumPy and torch CPU"


def _sum_pool_case(x):
    import contract.nn.functional as F
    b, c, h, w = x.shape
    engines = {"contract": lambda: F.sum_pool2d(x, 2),
               "numpy reshape+sum": lambda: x.reshape(b, c, h // 2, 2, w // 2, 2).sum(axis=(3, 5))}
    if installed("torch"):
        import torch
        tensor = torch.from_numpy(x)
        engines["torch avg_pool2d*4"] = lambda: torch.nn.functional.avg_pool2d(tensor, 2) * 4
    shape = "x".join(map(str, x.shape))
    return Case(f"sum_pool2d k=2 {shape} f32", engines, baseline="numpy reshape+sum",
                targets=[Target("contract", "numpy reshape+sum", 1.0)])


def _numpy_conv(x, weight, stride):
    kh, kw = weight.shape[2:]
    view = np.lib.stride_tricks.sliding_window_view(x, (kh, kw), axis=(2, 3))
    view = view[:, :, ::stride, ::stride]
    return np.tensordot(view, weight, axes=([1, 4, 5], [1, 2, 3])).transpose(0, 3, 1, 2)


def _conv_cases(x, weight, stride):
    import contract as ct
    import contract.nn.functional as F
    shape = f"{'x'.join(map(str, x.shape))} * {'x'.join(map(str, weight.shape))} s{stride}"
    forward = {"contract": lambda: F.conv2d(x, weight, stride=stride),
               "numpy window+tensordot": lambda: _numpy_conv(x, weight, stride)}
    tx, tw = ct.tensor(x, requires_grad=True), ct.tensor(weight, requires_grad=True)

    def contract_backward():
        F.conv2d(tx, tw, stride=stride).sum().backward()
        tx.grad = tw.grad = None
    both = {"contract": contract_backward}
    baseline, targets_fwd, targets_both = "numpy window+tensordot", [], []
    if installed("torch"):
        import torch
        import torch.nn.functional as TF
        px, pw = torch.from_numpy(x), torch.from_numpy(weight)
        gx, gw = px.clone().requires_grad_(), pw.clone().requires_grad_()

        def torch_forward():
            with torch.no_grad():
                return TF.conv2d(px, pw, stride=stride)

        def torch_backward():
            TF.conv2d(gx, gw, stride=stride).sum().backward()
            gx.grad = gw.grad = None
        forward["torch F.conv2d"] = torch_forward
        both["torch F.conv2d"] = torch_backward
        baseline = "torch F.conv2d"
        targets_fwd = [Target("contract", baseline, 1.0)]
        targets_both = [Target("contract", baseline, 1.5)]
    return [Case(f"conv2d fwd {shape}", forward, baseline=baseline, targets=targets_fwd),
            Case(f"conv2d fwd+bwd {shape}", both,
                 baseline=baseline if installed("torch") else "contract", targets=targets_both)]


def cases(args):
    """The sum-pool case, then forward and forward+backward for the two conv shapes."""
    batch = 4 if getattr(args, "quick", False) else 32
    rng = np.random.default_rng(getattr(args, "seed", 0))
    images = rng.random((batch, 16, 128, 128), dtype=np.float32)
    found = [_sum_pool_case(images)]
    for x_shape, w_shape, stride in [((batch, 3, 60, 60), (16, 3, 2, 2), 2),
                                     ((batch, 16, 64, 64), (32, 16, 3, 3), 1)]:
        x = rng.random(x_shape, dtype=np.float32)
        weight = rng.standard_normal(w_shape).astype(np.float32)
        found += _conv_cases(x, weight, stride)
    return found
