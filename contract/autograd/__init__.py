"""Reverse-mode autograd over backend arrays: the graph, grad modes, ``backward``, and the
VJPs of einsums in every semiring (the gradient of an einsum is an einsum).

>>> import contract as ct
>>> with ct.no_grad():
...     ct.is_grad_enabled()
False
"""
from contract.autograd.graph import (Node, backward, enable_grad, is_grad_enabled, no_grad,
                                     set_grad_enabled, unbroadcast)

__all__ = ["Node", "backward", "enable_grad", "is_grad_enabled", "no_grad", "set_grad_enabled",
           "unbroadcast"]
