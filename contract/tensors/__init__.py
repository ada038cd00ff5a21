"""The Tensor stage: ``ct.Tensor`` (a torch-like tensor over a backend array, with autograd),
its creation functions, views, printing, and its operations (``ops/``), every reduction,
broadcast product and matmul written as einsum equation text for the engine.

Importing this package registers the Tensor as an operand type of the engine
(``tensors/einsum.py``) and attaches the ops' methods to the class (``ops/``).

>>> import contract as ct
>>> (ct.ones(2, 3) @ ct.ones(3)).tolist()
[3.0, 3.0]
"""
from contract.tensors import creation, einsum, ops  # noqa: F401  (registration on import)
from contract.tensors.core import Size, Tensor, record, wrap

__all__ = ["Size", "Tensor", "record", "wrap"]
