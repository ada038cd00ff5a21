"""The Tensor's operations, one module per concept; importing this package attaches each
module's ``METHODS`` to :class:`~contract.tensors.core.Tensor` (the ``ct.<fn>`` functions
are the modules' functions, listed in ``contract/__init__.py``).

>>> import contract as ct
>>> ct.ones(2, 3).sum(dim=1)
tensor([3., 3.])
"""
from contract.tensors.core import Tensor
from contract.tensors.ops import (arith, complex, elementwise, inplace, join, linalg, power,
                                  reduce, rounding, semiring, shape, softmax)

MODULES = (arith, power, rounding, complex, elementwise, reduce, semiring, softmax, linalg, shape,
           join, inplace)
for _module in MODULES:
    for _name, _fn in _module.METHODS.items():
        setattr(Tensor, _name, _fn)
