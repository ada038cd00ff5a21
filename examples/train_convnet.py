"""Train a small conv net with ct.optim.Adam and nn.CrossEntropyLoss.

conv2d -> batch norm -> relu -> sum_pool2d -> dropout -> linear, on a synthetic task:
noisy 12x12 single-channel images striped horizontally or vertically; the net learns
which.  Every layer is an einsum (the conv over a window view, the sum-pool as
``b c (h p) (w q) -> b c h w``, the linear layer as ``...i, o i -> ...o``, the batch
statistics as ``b c h w -> c``, the loss as a log-semiring ``logsumexp``) and so is every
gradient.  The loop is the torch one: ``zero_grad``, forward, ``backward``, ``step``;
``train()`` / ``eval()`` switch batch norm and dropout; ``state_dict()`` saves the
trained weights as NumPy arrays (``np.savez``) and ``load_state_dict`` restores them.

Run: python examples/train_convnet.py     (a few seconds)
"""
import io
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
    def __init__(self, dropout=0.1):
        super().__init__()
        self.conv = nn.Conv2d(1, 8, kernel_size=3, padding=1)
        self.norm = nn.BatchNorm2d(8)
        self.pool = nn.SumPool2d(4)
        self.drop = nn.Dropout(dropout)
        self.fc = nn.Linear(8 * 3 * 3, 2)

    def forward(self, x):
        x = self.pool(self.norm(self.conv(x)).relu())          # (b, 8, 3, 3)
        return self.fc(self.drop(x.flatten(1)))


def train(net, images, labels, steps, lr=0.01, report=None):
    """Full-batch Adam steps on the cross-entropy; returns the loss before each step."""
    optimizer = ct.optim.Adam(net.parameters(), lr=lr)
    loss_fn = nn.CrossEntropyLoss()
    x, target = ct.as_tensor(images), ct.as_tensor(labels)
    net.train()
    losses = []
    for step in range(steps):
        optimizer.zero_grad()
        loss = loss_fn(net(x), target)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
        if report is not None:
            report(step, losses[-1])
    return losses


def accuracy(net, images, labels):
    """The share of images classified right, in eval mode (running statistics, no dropout)."""
    net.eval()
    with ct.no_grad():
        scores = net(ct.as_tensor(images)).numpy()
    return float(np.mean(scores.argmax(axis=1) == labels))


def main(steps=60, lr=0.01, seed=0):
    ct.manual_seed(seed)
    rng = np.random.default_rng(seed)
    images, labels = make_data(256, rng)
    test_images, test_labels = make_data(256, rng)
    net = ConvNet()
    print(net)
    start = time.perf_counter()

    def report(step, loss):
        if step % 10 == 0 or step == steps - 1:
            print(f"step {step:3d}  loss {loss:.4f}")
    losses = train(net, images, labels, steps, lr, report)
    elapsed = time.perf_counter() - start
    print(f"held-out accuracy {accuracy(net, test_images, test_labels):.3f}")
    buffer = io.BytesIO()
    np.savez(buffer, **net.state_dict())
    buffer.seek(0)
    restored = ConvNet()
    restored.load_state_dict(np.load(buffer))
    print(f"restored from np.savez: accuracy {accuracy(restored, test_images, test_labels):.3f}")
    print(f"loss fell from {losses[0]:.4f} to {losses[-1]:.4f} in {elapsed:.2f} s")
    return losses[0], losses[-1]


if __name__ == "__main__":
    main()
