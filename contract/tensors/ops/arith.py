"""Broadcasting arithmetic: ``+ - * /``, negation, ``addcmul`` / ``addcdiv``.

A broadcast product ``a * b`` is the einsum its shapes write (``ab,b->ab``);
``+ - /`` use the same broadcast check with a different combine.  Powers are in
:mod:`contract.tensors.ops.power`, rounding division in
:mod:`contract.tensors.ops.rounding`.

>>> import contract as ct
>>> a = ct.tensor([[1., 2.], [3., 4.]], requires_grad=True)
>>> (a * ct.tensor([10., 100.])).sum().backward(); a.grad
tensor([[ 10., 100.],
        [ 10., 100.]])
"""
import numpy as np

from contract.dtypes import conj
from contract.errors import ContractError
from contract.tensors.core import Tensor, _xp_of as _xp, record
from contract.tensors.einsum import run_equation
from contract.tensors.ops.broadcast import binary, broadcast_equation, pair, reduced
from contract.tensors.ops.rounding import div_rounded

_FLOAT32 = np.dtype("float32")


def mul(input, other):
    """``input * other``: the broadcast einsum ``ab,b->ab``.

    >>> import contract as ct
    >>> ct.mul(ct.tensor([1., 2.]), ct.tensor([[10.], [20.]]))
    tensor([[10., 20.],
            [20., 40.]])
    """
    a, b = pair(input, other)
    text, _ = broadcast_equation(a._data.shape, b._data.shape)
    if a.dtype.kind == "b" and b.dtype.kind == "b":
        return record("Mul", a._data & b._data, (), None)
    keep = a.dtype if a.dtype.kind in "iu" else None    # torch: int32 * int32 is int32
    return run_equation("Mul", text, a, b, dtype=keep)


def add(input, other, alpha=1):
    """``input + alpha * other`` with broadcasting.

    >>> import contract as ct
    >>> x = ct.tensor([1., 2.])
    >>> ct.add(x, 1), x.add(x, alpha=10)
    (tensor([2., 3.]), tensor([11., 22.]))
    """
    if alpha != 1:
        other = mul(other, alpha) if isinstance(other, Tensor) else other * alpha
    return binary("Add", lambda x, y: x + y, input, other,
                   lambda x, y, o, nx, ny: lambda g: (g if nx else None, g if ny else None))


def sub(input, other, alpha=1):
    """``input - alpha * other`` with broadcasting.

    >>> import contract as ct
    >>> ct.sub(ct.tensor([5., 5.]), ct.tensor([1., 2.]), alpha=2)
    tensor([3., 1.])
    """
    if alpha != 1:
        other = mul(other, alpha) if isinstance(other, Tensor) else other * alpha
    return binary("Sub", lambda x, y: x - y, input, other, lambda x, y, o, nx, ny: lambda g: (
        g if nx else None, -reduced(_xp(g), g, y.shape) if ny else None))


def _float_pair(a, b):
    if isinstance(a, (int, np.integer)) and not isinstance(a, bool):
        a = float(a)                     # true division: an int scalar is not cast first
    if isinstance(b, (int, np.integer)) and not isinstance(b, bool):
        b = float(b)
    a, b = pair(a, b)
    if a.dtype.kind in "biu" and b.dtype.kind in "biu":
        a, b = a.to(_FLOAT32), b.to(_FLOAT32)
    return a, b


def div(input, other, *, rounding_mode=None):
    """``input / other`` (true division; integers give float32 as in torch);
    ``rounding_mode="floor"`` / ``"trunc"`` round the quotient (``contract.tensors.ops.rounding``).

    >>> import contract as ct
    >>> ct.div(ct.tensor([1, 2]), 2), ct.div(ct.tensor([-7., 7.]), 2, rounding_mode="floor")
    (tensor([0.5000, 1.0000]), tensor([-4.,  3.]))
    """
    if rounding_mode is not None:
        return div_rounded(input, other, rounding_mode)
    a, b = _float_pair(input, other)
    return binary("Div", lambda x, y: x / y, a, b, _div_vjp)


def _div_vjp(x, y, o, need_x, need_y):
    def vjp(g):
        gy = g / conj(y)                     # complex: torch's conjugated rule
        grad_y = None
        if need_y:
            grad_y = gy * conj(o)
            grad_y = reduced(_xp(g), grad_y, y.shape)
            grad_y = -grad_y
        return (gy if need_x else None), grad_y
    return vjp


def neg(input):
    """``-input`` (bool tensors refuse it, as in torch).

    >>> import contract as ct
    >>> ct.neg(ct.tensor([1., -2.]))
    tensor([-1.,  2.])
    """
    if input.dtype.kind == "b":
        raise ContractError("Negation, the `-` operator, on a bool tensor is not supported. If "
                            "you are trying to invert a mask, use the `~` or `logical_not()` "
                            "operator instead.")
    return record("Neg", -input._data, (input,), lambda g: (-g,))


def square(input):
    """``input * input`` elementwise (differentiable; integers stay integers).

    >>> import contract as ct
    >>> ct.square(ct.tensor([3, -2])), ct.tensor([0.5]).square()
    (tensor([9, 4]), tensor([0.2500]))
    """
    return mul(input, input)


def addcmul(input, tensor1, tensor2, value=1):
    """``input + value * tensor1 * tensor2``.

    >>> import contract as ct
    >>> ct.addcmul(ct.ones(2), ct.tensor([1., 2.]), ct.tensor([3., 4.]), value=0.5)
    tensor([2.5000, 5.0000])
    """
    prod = mul(tensor1, tensor2)
    return add(input, prod if value == 1 else mul(prod, value))


def addcdiv(input, tensor1, tensor2, value=1):
    """``input + value * tensor1 / tensor2``.

    >>> import contract as ct
    >>> ct.addcdiv(ct.ones(2), ct.tensor([1., 2.]), ct.tensor([4., 4.]), value=2)
    tensor([1.5000, 2.0000])
    """
    quot = div(tensor1, tensor2)
    return add(input, quot if value == 1 else mul(quot, value))


def _reflect(fn):
    return lambda self, other: fn(other, self)


METHODS = {
    "__add__": add, "__radd__": _reflect(add), "__sub__": sub, "__rsub__": _reflect(sub),
    "__mul__": mul, "__rmul__": _reflect(mul), "__truediv__": div,
    "__rtruediv__": _reflect(div), "__neg__": neg,
    "add": add, "sub": sub, "mul": mul, "div": div, "neg": neg, "square": square,
    "addcmul": addcmul, "addcdiv": addcdiv,
}
