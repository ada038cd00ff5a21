"""In-place Tensor updates (``+=``, ``add_``, ...) with torch's rules.

An update is refused on a leaf that requires grad (outside ``ct.no_grad()``),
recorded by rebinding when a gradient is tracked (the graph keeps the old
values), and otherwise written into the tensor's array; a result dtype that
cannot be cast to the tensor's own is refused, as in torch.

>>> import contract as ct
>>> t = ct.tensor([1., 2.]); t += 1; t
tensor([2., 3.])
"""
import numpy as np

from contract.errors import ContractError, ShapeError
from contract.ops_elementwise import add, div, mul, sub
from contract.tensor import Tensor


def _inplace(fn):
    """An in-place update, torch's rules: refused on a leaf that requires grad; recorded by
    rebinding when a gradient is tracked (the graph keeps the old values); else written into
    ``self._data``. A result dtype that can't be cast to ``self.dtype`` is refused."""
    def op(self, other, *args, **kwargs):
        from contract.autograd import is_grad_enabled
        tracked = is_grad_enabled() and (self.requires_grad or getattr(other, "requires_grad",
                                                                         False))
        if tracked and self.requires_grad and self.is_leaf:
            raise ContractError("a leaf Variable that requires grad is being used in an "
                                "in-place operation; wrap the update in ct.no_grad()")
        result = fn(_alias(self) if tracked else self.detach(),
                    other if tracked or not isinstance(other, Tensor) else other.detach(),
                    *args, **kwargs)
        if not np.can_cast(result.dtype, self.dtype, "same_kind"):
            raise ContractError(f"result type {result.dtype} can't be cast to the desired "
                                f"output type {self.dtype} of an in-place operation")
        if tuple(result.shape) != tuple(self.shape):
            raise ShapeError(f"output with shape {tuple(self.shape)} doesn't match the "
                             f"broadcast shape {tuple(result.shape)}")
        if tracked:
            result = result.to(self.dtype) if result.dtype != self.dtype else result
            self._data, self.grad_fn, self.requires_grad = result._data, result.grad_fn, True
        else:
            self._data[...] = result._data
        return self
    return op


def _alias(tensor):
    """A new Tensor object on ``tensor``'s data and graph node (the pre-update value)."""
    alias = Tensor._wrap(tensor._data)
    alias.grad_fn, alias.requires_grad = tensor.grad_fn, tensor.requires_grad
    return alias



METHODS = {
    "__iadd__": _inplace(add), "__isub__": _inplace(sub), "__imul__": _inplace(mul),
    "__itruediv__": _inplace(div), "add_": _inplace(add), "sub_": _inplace(sub),
    "mul_": _inplace(mul), "div_": _inplace(div),
}
