"""Seed 001 (NumPy vs Torch), translated to contract: creation, broadcasting,
reductions over axes, max with indices, autograd of x.pow(3).sum(), matmul timing.

Run: python examples/seed_001_numpy_vs_torch.py
"""
import time

import numpy as np

import contract as ct

ct.manual_seed(0)

# NumPy vs contract: same creation and the same broadcasting rules
n = np.linspace(0, 5, 4)
t = ct.linspace(0, 5, 4)
print(t)                                   # tensor([0.0000, 1.6667, 3.3333, 5.0000])

n = np.arange(48).reshape(3, 4, 4)
t = ct.arange(48).reshape(3, 4, 4)
print(t)

a = np.ones((6, 5))
b = np.arange(5).reshape((1, 5))
print(a + b)

# Scale each colour channel of an image by a different amount
image = ct.randn((256, 256, 3))
scale = ct.tensor([0.5, 1.5, 1])
scaled = image * scale
print("scaled image:", tuple(scaled.shape))          # (256, 256, 3)

# Operations across dimensions
t = ct.tensor([0.5, 1, 3.4])
print((ct.mean(t), ct.std(t), ct.max(t), ct.min(t)))
# (tensor(1.6333), tensor(1.5503), tensor(3.4000), tensor(0.5000))

t = ct.arange(20, dtype=float).reshape(5, 4)
print((t, ct.mean(t, axis=0)))                       # tensor([ 8.,  9., 10., 11.], dtype=...)

t = ct.randn(5, 256, 256, 3)
print("mean over the batch:", tuple(ct.mean(t, axis=0).shape))      # (256, 256, 3)
print("mean over the channels:", tuple(ct.mean(t, axis=-1).shape))  # (5, 256, 256)

values, indices = ct.max(t, axis=-1)
print("max over channels:", tuple(values.shape), tuple(indices.shape), indices.dtype)

# Autograd: y = sum x^3 has gradient 3 x^2
x = ct.tensor([[5., 8.], [4., 6.]], requires_grad=True)
y = x.pow(3).sum()
gradient = y.backward()
print(x.grad)                             # tensor([[ 75., 192.], [ 48., 108.]])
print(3 * x ** 2)

# Matrix multiplication timing
A = ct.randn((1000, 1000))
B = ct.randn((1000, 1000))
t1 = time.perf_counter()
ct.matmul(A, B)
t2 = time.perf_counter()
print(f"matmul 1000x1000: {t2 - t1:.4f} s")
