"""Seed 000 (torch.sum guide), translated to contract: sums, broadcasting a sum back,
conv2d -> sum-pool, a SumLayer module and image-batch statistics.

Run: python examples/seed_000_sum.py
"""
import contract as ct
import contract.nn as nn
import contract.nn.functional as F

ct.manual_seed(0)

# Broadcasting behaviour
x = ct.tensor([1., 2., 3.])  # Vector
y = ct.tensor(1.)            # Scalar
z = x + y                    # Broadcast addition
print("z =", z)              # tensor([2., 3., 4.])

x = ct.tensor([[1., 2.],
               [3., 4.]])
y = x.sum()                  # Scalar: tensor(10.)
print("y =", y)
result = x + y               # Broadcast summation
print(result)                # tensor([[11., 12.], [13., 14.]])

# Integration into neural network layers: conv2d, then a 2x2 sum-pool
filters = ct.randn(16, 3, 2, 2)          # Convolution filters
images = ct.rand(32, 3, 60, 60)          # Batch of 32 RGB 60x60 images
conv_output = F.conv2d(images, filters, stride=2)   # Feature maps
pooled = F.sum_pool2d(conv_output, kernel_size=2)   # Sum pool: b c (h p) (w q) -> b c h w
print("conv_output:", tuple(conv_output.shape))     # (32, 16, 30, 30)
print("pooled:", tuple(pooled.shape))               # (32, 16, 15, 15)


# A custom sum layer
class SumLayer(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x):
        return ct.sum(x, dim=1)  # Sums over the channel axis


layer = SumLayer()
input = ct.randn(8, 32, 64)      # Batchsize x Channels x Time
output = layer(input)
print("SumLayer output:", tuple(output.shape))      # (8, 64)

# Summary by example: image batch statistics (`is` is a keyword: renamed `im_sums`)
batch = ct.rand(512, 3, 64, 64)      # Batch of RGB images
ps = batch.sum(dim=[0, 2, 3])        # Per-channel pixel sums
im_sums = batch.sum(dim=[1, 2, 3])   # Per-image sums
ts = batch.sum()                     # Overall pixel sum
print(f"Per-Channel Sums: {ps}\n Per-Image Sums: {tuple(im_sums.shape)}\n Total Sum: {ts}")
print("channels add up to the total:",
      abs(float(ps.sum()) - float(ts)) / float(ts) < 1e-5)
