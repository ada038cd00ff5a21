"""Train a tiny conv net (conv2d -> relu -> sum_pool2d -> linear) with plain SGD.

Synthetic task: noisy 12x12 single-channel images striped horizontally or
vertically; the net learns which.  Every layer is an
einsum (the conv over a window view, the sum-pool as ``b c (h p) (w q) -> b c h w``,
the linear layer as ``...i, o i -> ...o``) and so is every gradient.

Run: python examples/train_convnet.py     (a few seconds)
"""
import time

import numpy as np

import contract as ct
import contract.nn as nn


def make_data(count, rng):
    """Striped images; label 0 = horizontal stripes, 1 = vertical stripes (random phase)."""
    labels = rng.integers(0, 2, size=count)
    phase = rng.integers(0, 2, size=(count, 1, 1))
    rows, cols = np.meshgrid(np.arange(12), np.arange(12), indexing="ij")
    along = np.where(labels[:, None, None] == 0, rows, cols)
    stripes = ((along + phase) % 2).astype(np.float64)
    images = stripes + 0.5 * rng.standard_normal((count, 12, 12))
    return images[:, None].astype(np.float32), labels


class ConvNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 8, kernel_size=3, padding=1)
        self.pool = nn.SumPool2d(4)
        self.fc = nn.Linear(8 * 3 * 3, 2)

    def forward(self, x):
        x = self.pool(self.conv(x).relu())          # (b, 8, 3, 3)
        return self.fc(x.flatten(1))


def main(epochs=50, lr=0.005, seed=0):
    ct.manual_seed(seed)
    rng = np.random.default_rng(seed)
    images, labels = make_data(256, rng)
    x = ct.tensor(images)
    target = ct.tensor(np.eye(2, dtype=np.float32)[labels])   # one-hot
    net = ConvNet()
    print(net)
    start = time.perf_counter()
    first = last = None
    for epoch in range(epochs):
        net.zero_grad()
        out = net(x)
        loss = ((out - target) ** 2).mean()
        loss.backward()
        with ct.no_grad():
            for p in net.parameters():
                p -= lr * p.grad
        last = float(loss.item())
        first = last if first is None else first
        if epoch % 10 == 0 or epoch == epochs - 1:
            accuracy = float(np.mean(out.detach().numpy().argmax(axis=1) == labels))
            print(f"epoch {epoch:3d}  loss {last:.4f}  accuracy {accuracy:.3f}")
    print(f"loss fell from {first:.4f} to {last:.4f} in {time.perf_counter() - start:.2f} s")
    return first, last


if __name__ == "__main__":
    main()
