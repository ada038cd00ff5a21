"""Suite ``conv``: sum-pool and conv2d as einsums vs NumPy and torch CPU.

Issue 5's goals, ratios measured in one run:

- ``sum_pool2d(k=2)`` on 32x16x128x128 float32 at most 1.0x NumPy's
  reshape-and-sum (``x.reshape(b, c, h/2, 2, w/2, 2).sum(axis=(3, 5))``);
- ``conv2d`` on the seed's shapes (32x3x60x60 input, 16x3x2x2 weight, stride 2):
  forward at most 1.0x torch CPU ``F.conv2d``; forward + backward (Tensors,
  gradients of input and weight) at most 1.5x torch's.  Without torch the conv
  cases compare with NumPy's ``sliding_window_view`` + ``tensordot`` only (no goal).

Issue 19's goals (the algorithm each call gets is :mod:`contract.nn.conv_algo`'s
choice, shown in the case name):

- 3x3 stride 1, 32x16x64x64 * 32x16x3x3: forward at most 0.8x torch, forward +
  backward at most 1.0x;
- a ResNet layer, 8x64x56x56 * 64x64x3x3 padding 1: forward at most 0.9x torch;
- 7x7 and 11x11 kernels (64 outputs, "same" padding) on 8x3x224x224: forward at
  most 1.0x torch.

``--quick`` shrinks the batches to 4, 2 and 1.

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


def _algorithm(x, weight, stride, padding):
    """The algorithm contract picks for a call (``im2col``, ``winograd 4x1``, ``fft``)."""
    from contract.nn import conv_algo
    from contract.nn.conv_tiles import Geometry
    from contract.nn.windows import pad_pairs
    geo = Geometry(weight.shape[2:], (stride,) * 2, pad_pairs(padding, 2), (1, 1), 1)
    choice = conv_algo.pick(np, x, weight, geo)
    if choice is None:
        return "im2col"
    tiles = getattr(choice.spec, "tiles", None)
    return choice.name + (" " + "x".join(map(str, tiles)) if tiles else "")


def _conv_cases(x, weight, stride, padding=0, fwd_goal=1.0, both_goal=1.5, backward=True):
    import contract as ct
    import contract.nn.functional as F
    shape = f"{'x'.join(map(str, x.shape))} * {'x'.join(map(str, weight.shape))} s{stride}"
    shape += (f" p{padding}" if padding else "") + f" [{_algorithm(x, weight, stride, padding)}]"
    forward = {"contract": lambda: F.conv2d(x, weight, stride=stride, padding=padding)}
    if padding == 0:
        forward["numpy window+tensordot"] = lambda: _numpy_conv(x, weight, stride)
    tx, tw = ct.tensor(x, requires_grad=True), ct.tensor(weight, requires_grad=True)

    def contract_backward():
        F.conv2d(tx, tw, stride=stride, padding=padding).sum().backward()
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
                return TF.conv2d(px, pw, stride=stride, padding=padding)

        def torch_backward():
            TF.conv2d(gx, gw, stride=stride, padding=padding).sum().backward()
            gx.grad = gw.grad = None
        forward["torch F.conv2d"] = torch_forward
        both["torch F.conv2d"] = torch_backward
        baseline = "torch F.conv2d"
        targets_fwd = [Target("contract", baseline, fwd_goal)]
        targets_both = [Target("contract", baseline, both_goal)]
    if "numpy window+tensordot" not in forward and baseline != "torch F.conv2d":
        baseline = "contract"
    found = [Case(f"conv2d fwd {shape}", forward, baseline=baseline, targets=targets_fwd)]
    if backward:
        found.append(Case(f"conv2d fwd+bwd {shape}", both, targets=targets_both,
                          baseline=baseline if installed("torch") else "contract"))
    return found


def cases(args):
    """The sum-pool case, forward and forward+backward for the seed conv and the 3x3
    conv, then the forward of a ResNet layer and of 7x7 and 11x11 kernels."""
    quick = getattr(args, "quick", False)
    batch, small, big = (4, 2, 1) if quick else (32, 8, 8)
    rng = np.random.default_rng(getattr(args, "seed", 0))
    images = rng.random((batch, 16, 128, 128), dtype=np.float32)
    found = [_sum_pool_case(images)]
    for x_shape, w_shape, stride, padding, goals, backward in [
            ((batch, 3, 60, 60), (16, 3, 2, 2), 2, 0, (1.0, 1.5), True),
            ((batch, 16, 64, 64), (32, 16, 3, 3), 1, 0, (0.8, 1.0), True),
            ((small, 64, 56, 56), (64, 64, 3, 3), 1, 1, (0.9, None), False),
            ((big, 3, 224, 224), (64, 3, 7, 7), 1, 3, (1.0, None), False),
            ((big, 3, 224, 224), (64, 3, 11, 11), 1, 5, (1.0, None), False)]:
        x = rng.random(x_shape, dtype=np.float32)
        weight = rng.standard_normal(w_shape).astype(np.float32)
        found += _conv_cases(x, weight, stride, padding, *goals, backward=backward)
    return found
