"""Seed 003 (PyTorch notes: broadcasting, strides, views, stack, permute, meshgrid,
gather, addcmul, cumsum), translated to contract.  Where the notes are wrong,
PyTorch's real behaviour wins (unsqueeze gives (2, 1, 3, 4); stack(dim=-1)).

Run: python examples/seed_003_broadcasting.py
"""
import numpy as np

import contract as ct

ct.manual_seed(0)


def broadcast_shape(x, y):
    """The shape of x + y, or the error message when they are not broadcastable."""
    try:
        return tuple((x + y).shape)
    except ct.ContractError as err:
        return f"not broadcastable: {err}"


# Broadcastable shapes
print(broadcast_shape(ct.empty(5, 7, 3), ct.empty(5, 7, 3)))     # (5, 7, 3)
print(broadcast_shape(ct.empty((0,)), ct.empty(2, 2)))           # not broadcastable
print(broadcast_shape(ct.empty(5, 3, 4, 1), ct.empty(3, 1, 1)))  # (5, 3, 4, 1)
print(broadcast_shape(ct.empty(5, 2, 4, 1), ct.empty(3, 1, 1)))  # not broadcastable

# Contiguous
t = ct.arange(12).reshape(3, 4)
print(t)
print(t.stride())                                  # (4, 1)
t2 = t.transpose(0, 1)
print(t2)
print(t2.stride())                                 # (1, 4)
print(t.data_ptr() == t2.data_ptr())               # True: they share memory
print((t.is_contiguous(), t2.is_contiguous()))     # (True, False)
try:
    t2.view(12)
except ct.ContractError as err:
    print("view on a non-contiguous tensor:", type(err).__name__)
t3 = t2.contiguous()
print(t3)
print(t3.data_ptr() == t2.data_ptr())              # False: contiguous() copied

# Initialization, view, empty, unsqueeze
print(tuple(ct.randn([2, 3, 4]).shape))            # (2, 3, 4)
print(tuple(ct.randn([2, 3, 4]).view(-1, 4).shape))  # (6, 4)
print(ct.empty((2, 3), dtype=ct.int64).shape)      # ct.Size([2, 3]) (values uninitialised)
print(ct.randn([2, 3, 4]).unsqueeze(dim=1).shape)  # ct.Size([2, 1, 3, 4])
rand = ct.randn(3)
print(rand.clone().requires_grad_().requires_grad)  # True
print(ct.arange(start=0, end=5, step=1))           # tensor([0, 1, 2, 3, 4])
print(ct.linspace(3, 10, steps=5))                 # tensor([ 3.0000,  4.7500,  6.5000,  8.2500, 10.0000])
print(ct.linspace(-10, 10, steps=5))               # tensor([-10.,  -5.,   0.,   5.,  10.])
print(ct.linspace(start=-10, end=10, steps=5))     # tensor([-10.,  -5.,   0.,   5.,  10.])
print(ct.linspace(start=-10, end=10, steps=1))     # tensor([-10.])

# Stack
t = ct.tensor([1, 1, 2])
stacked = ct.stack([t, t, t], dim=-1)
print((t.shape, stacked.shape, stacked))           # [[1, 1, 1], [1, 1, 1], [2, 2, 2]]

a = np.array([1, 2, 3, 4])
print(a[:3], a[2:3])                               # [1 2 3] [3]
labels = ct.tensor([1, 2, 3])
print(tuple(labels[:, None].shape))                # (3, 1)

# Permute
x = ct.randn(2, 3, 5)
print(x.size())                                    # ct.Size([2, 3, 5])
print(ct.permute(x, (2, 0, 1)).size())             # ct.Size([5, 2, 3])

# Meshgrid
X = ct.tensor([1, 2, 3, 4])
Y = ct.tensor([4, 5, 6])
X, Y = ct.meshgrid(X, Y, indexing="ij")
print(X)
print(Y)

# Gather: out[i][j] = input[i][index[i][j]] for dim == 1
source = ct.tensor([[1, 2], [3, 4]])
print(ct.gather(source, 1, ct.tensor([[0, 0], [1, 0]])))   # tensor([[1, 1], [4, 3]])

# Arithmetic: out = input + tensor1 * tensor2 * value
t = ct.tensor([[1., 2., 3.]])
t1 = ct.tensor([[1., 1., 1.]])
t2 = ct.tensor([[3., 2., 1.]])
print(ct.addcmul(t, tensor1=t1, tensor2=t2, value=0.1))    # tensor([[1.3000, 2.2000, 3.1000]])

a = ct.tensor([-0.8286, -0.4890, 0.5155, 0.8443, 0.1865, -0.1752, -2.0595, 0.1850, -1.1571,
               -0.4243])
print(ct.cumsum(a, dim=0))
# tensor([-0.8286, -1.3175, -0.8020,  0.0423,  0.2289,  0.0537, -2.0058, -1.8209, -2.9780, -3.4022])
