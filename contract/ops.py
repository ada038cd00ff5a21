"""The ``ct.<fn>`` functions for Tensors, collected from the ``ops_*`` modules.

>>> import contract as ct
>>> ct.sum(ct.ones(2, 3), dim=1)
tensor([3., 3.])
"""
from contract import (ops_elementwise, ops_join, ops_linalg, ops_reduce,  # noqa: F401
                      ops_semiring, ops_shape, ops_softmax)


def _public(module):
    return {name: fn for name, fn in module.FUNCTIONS.items() if not name.startswith("_")}


FUNCTIONS = {}
for _module in (ops_elementwise, ops_join, ops_linalg, ops_reduce, ops_shape, ops_semiring,
                ops_softmax):
    FUNCTIONS.update(_public(_module))
