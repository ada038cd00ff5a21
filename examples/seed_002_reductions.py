"""Seed 002 (deeplizard: ArgMax and reduction ops), translated to contract.

The page lost its tensor literals; they are rebuilt from its printed outputs
(see /work/shared/seeds/README.md).

Run: python examples/seed_002_reductions.py
"""
import contract as ct

# A 3 x 3 rank-2 tensor
t = ct.tensor([
    [0, 1, 0],
    [2, 0, 2],
    [0, 3, 0]
], dtype=ct.float32)

print(t.sum())                            # tensor(8.)
print(t.numel())                          # 9
print(t.sum().numel())                    # 1
print(t.sum().numel() < t.numel())        # True
print(t.prod())                           # tensor(0.)
print(t.mean())                           # tensor(0.8889)
print(t.std())                            # tensor(1.1667)

# Reducing tensors by axes: a 3 x 4 tensor
t = ct.tensor([
    [1, 1, 1, 1],
    [2, 2, 2, 2],
    [3, 3, 3, 3]
], dtype=ct.float32)

print(t.sum(dim=0))                       # tensor([6., 6., 6., 6.])
print(t.sum(dim=1))                       # tensor([ 4.,  8., 12.])
print(t[0], t[1], t[2])
print(t[0] + t[1] + t[2])                 # tensor([6., 6., 6., 6.])
print(t[0].sum(), t[1].sum(), t[2].sum())  # tensor(4.) tensor(8.) tensor(12.)

# Argmax
t = ct.tensor([
    [1, 0, 0, 2],
    [0, 3, 3, 0],
    [4, 0, 0, 5]
], dtype=ct.float32)

print(t.max())                            # tensor(5.)
print(t.argmax())                         # tensor(11)
print(t.flatten())                        # tensor([1., 0., 0., 2., 0., 3., 3., 0., 4., 0., 0., 5.])
print(t.max(dim=0))                       # values=tensor([4., 3., 3., 5.]), indices=tensor([2, 1, 1, 2])
print(t.argmax(dim=0))                    # tensor([2, 1, 1, 2])
print(t.max(dim=1))                       # values=tensor([2., 3., 5.]), indices=tensor([3, 1, 3])
print(t.argmax(dim=1))                    # tensor([3, 1, 3])

# Accessing elements inside tensors
t = ct.tensor([
    [1, 2, 3],
    [4, 5, 6],
    [7, 8, 9]
], dtype=ct.float32)

print(t.mean())                           # tensor(5.)
print(t.mean().item())                    # 5.0
print(t.mean(dim=0).tolist())             # [4.0, 5.0, 6.0]
print(repr(t.mean(dim=0).numpy()))        # array([4., 5., 6.], dtype=float32)
