"""Image-batch statistics (seed 000's summary example): per-channel, per-image and
total sums, each one einsum (``b c h w -> c``, ``b c h w -> b``, ``b c h w ->``),
then the per-channel mean and std used to normalise a batch.

Run: python examples/image_batch_stats.py
"""
import numpy as np

import contract as ct

ct.manual_seed(0)
batch = ct.rand(512, 3, 64, 64)                 # a batch of RGB images in [0, 1)

per_channel = batch.sum(dim=[0, 2, 3])          # b c h w -> c
per_image = batch.sum(dim=[1, 2, 3])            # b c h w -> b
total = batch.sum()                             # b c h w ->
print(f"Per-Channel Sums: {per_channel}")
print(f"Per-Image Sums: shape {tuple(per_image.shape)}, first {per_image[:3]}")
print(f"Total Sum: {total}")

# The same sums written as einsum equations, on the NumPy array behind the batch
pixels = batch.numpy()
print("einsum agrees:", np.allclose(ct.einsum("b c h w -> c", pixels), per_channel.numpy(),
                                    rtol=1e-5))

# Normalisation statistics: mean and std per channel
count = batch.numel() // batch.shape[1]
mean = per_channel / count
std = batch.std(dim=[0, 2, 3])
print(f"Per-Channel Mean: {mean}")              # about 0.5 for uniform pixels
print(f"Per-Channel Std: {std}")                # about 0.2887 = 1/sqrt(12)
normalised = (batch - mean.reshape(1, 3, 1, 1)) / std.reshape(1, 3, 1, 1)
print(f"Normalised mean {float(normalised.mean()):.4f}, std {float(normalised.std()):.4f}")
