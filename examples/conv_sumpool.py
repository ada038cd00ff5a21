"""Seed 000's pipeline: conv2d on a batch of images, then a 2x2 sum-pool.

Both are einsums: the conv is ``o c i j, c i j b h w -> b o h w`` over a strided
window view of the images, the sum-pool is ``b c (h p) (w q) -> b c h w``.
Both are differentiable; the printed checks compare with direct NumPy.

Run: python examples/conv_sumpool.py
"""
import numpy as np

import contract as ct
import contract.nn.functional as F

ct.manual_seed(0)
filters = ct.randn(16, 3, 2, 2, requires_grad=True)   # convolution filters
images = ct.rand(32, 3, 60, 60)                        # batch of 32 RGB 60x60 images

conv_output = F.conv2d(images, filters, stride=2)      # feature maps
pooled = F.sum_pool2d(conv_output, kernel_size=2)      # sum pool
print("conv_output:", tuple(conv_output.shape))        # (32, 16, 30, 30)
print("pooled:", tuple(pooled.shape))                  # (32, 16, 15, 15)

# Check against NumPy: stride-2 2x2 windows do not overlap, so the conv is a reshape
x, w = images.numpy(), filters.detach().numpy()
patches = x.reshape(32, 3, 30, 2, 30, 2)
conv_numpy = np.einsum("bchiwj,ocij->bohw", patches, w)
pool_numpy = conv_numpy.reshape(32, 16, 15, 2, 15, 2).sum(axis=(3, 5))
print("conv matches numpy:", np.allclose(conv_output.detach().numpy(), conv_numpy, atol=1e-4))
print("pool matches numpy:", np.allclose(pooled.detach().numpy(), pool_numpy, atol=1e-3))

# The sum-pool is exactly the grouped einsum
grouped = ct.einsum("b c (h p) (w q) -> b c h w", conv_output, p=2, q=2)
print("sum_pool2d == grouped einsum:", np.array_equal(grouped.detach().numpy(),
                                                      pooled.detach().numpy()))

# Gradients flow back through the pool and the conv to the filters
pooled.sum().backward()
want = x.reshape(32, 3, 30, 2, 30, 2).sum(axis=(0, 2, 4))   # each filter tap sees its pixels
print("filter gradient shape:", tuple(filters.grad.shape))
print("filter gradient matches:", np.allclose(filters.grad.numpy(), np.broadcast_to(want, (16, 3, 2, 2)),
                                              rtol=1e-4))
print(ct.plan("o c i j, c i j b h w -> b o h w", (16, 3, 2, 2), (3, 2, 2, 32, 30, 30)))
