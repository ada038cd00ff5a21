"""``ct.linalg``: torch's ``torch.linalg`` names that this library has (vector norms).

>>> import contract as ct
>>> ct.linalg.vector_norm(ct.tensor([[1., -2.], [2., 0.]]), ord=1, dim=0)
tensor([3., 2.])
"""
from contract.tensors.ops.softmax import vector_norm

__all__ = ["vector_norm"]
