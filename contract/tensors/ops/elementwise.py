"""Elementwise maps (``exp log sqrt abs relu tanh sin cos sigmoid``, each a row of one
VJP table), ``clamp``, ``where`` and comparisons (bool results), as torch has them.

>>> import contract as ct
>>> ct.tensor([1., 4.]).sqrt()
tensor([1., 2.])
"""
import numpy as np

from contract.dtypes import conj
from contract.errors import ContractError
from contract.tensors.core import Tensor, _xp_of as _xp, record
from contract.tensors.creation import tensor
from contract.tensors.ops.broadcast import broadcast_equation, pair
from contract.tensors.ops.complex import unit_phase

_FLOAT32 = np.dtype("float32")


# -- elementwise maps ----------------------------------------------------------------
# -- the VJP table of elementwise maps: op -> (forward, derivative) -------------------
# derivative(xp, x, out, g) is the input gradient; one line per rule.  For complex inputs
# torch's convention is ``g * conj(f'(x))`` (conj is free on real arrays: they pass as they are).
UNARY_RULES = {
    "Exp": (lambda xp, x: xp.exp(x), lambda xp, x, o, g: g * conj(o)),
    "Log": (lambda xp, x: xp.log(x), lambda xp, x, o, g: g / conj(x)),
    "Sqrt": (lambda xp, x: xp.sqrt(x), lambda xp, x, o, g: g / (2 * conj(o))),
    "Abs": (lambda xp, x: xp.abs(x), lambda xp, x, o, g: g * unit_phase(xp, x, o)),
    "Relu": (lambda xp, x: xp.maximum(x, 0), lambda xp, x, o, g: g * (x > 0)),
    "Tanh": (lambda xp, x: xp.tanh(x), lambda xp, x, o, g: g * conj(1 - o * o)),
    "Sin": (lambda xp, x: xp.sin(x), lambda xp, x, o, g: g * conj(xp.cos(x))),
    "Cos": (lambda xp, x: xp.cos(x), lambda xp, x, o, g: -g * conj(xp.sin(x))),
    "Sigmoid": (lambda xp, x: 0.5 * (xp.tanh(0.5 * x) + 1),
                lambda xp, x, o, g: g * conj(o * (1 - o))),
}
_KEEPS_INTEGERS = ("Abs", "Relu")
_REAL_ONLY = ("Relu",)     # torch: clamp is not supported for complex types


def _unary(name, doc):
    """The differentiable map ``name`` from :data:`UNARY_RULES`, documented by ``doc``."""
    if name not in UNARY_RULES:
        raise NotImplementedError(f"no VJP rule for elementwise op {name!r} (rules: "
                                  f"{', '.join(sorted(UNARY_RULES))})")
    forward, derivative = UNARY_RULES[name]

    def op(input):
        x = input._data
        if x.dtype.kind in "biu" and name not in _KEEPS_INTEGERS:
            x = x.astype(_FLOAT32)
        elif x.dtype.kind == "c" and name in _REAL_ONLY:
            raise ContractError(f"{name.lower()} is not supported for complex tensors (dtype "
                                f"{x.dtype})")
        out = forward(_xp(x), x)
        return record(name, out, (input,), lambda g: (derivative(_xp(x), x, out, g),))
    op.__name__ = name.lower()
    op.__doc__ = doc
    return op


exp = _unary("Exp", """``e ** x`` elementwise (differentiable; integers give float32).

    >>> import contract as ct
    >>> ct.exp(ct.tensor([0., 1.]))
    tensor([1.0000, 2.7183])
    """)
log = _unary("Log", """The natural logarithm elementwise (``-inf`` at 0, ``nan`` below, as torch).

    >>> import contract as ct
    >>> ct.log(ct.tensor([1., 100.]))
    tensor([0.0000, 4.6052])
    """)
sqrt = _unary("Sqrt", """The square root elementwise (integers give float32).

    >>> import contract as ct
    >>> ct.sqrt(ct.tensor([4, 9]))
    tensor([2., 3.])
    """)
abs = _unary("Abs", """The absolute value (a complex number's modulus; integers stay integers).

    The gradient at 0 is 0, as torch's.

    >>> import contract as ct
    >>> ct.abs(ct.tensor([-3, 2])), ct.tensor([3 + 4j]).abs()
    (tensor([3, 2]), tensor([5.]))
    """)
relu = _unary("Relu", """``max(x, 0)`` elementwise; the gradient is 1 where ``x > 0``, else 0.

    >>> import contract as ct
    >>> x = ct.tensor([-1., 0., 2.], requires_grad=True)
    >>> y = ct.relu(x); y.sum().backward()
    >>> y, x.grad
    (tensor([0., 0., 2.], grad_fn=<ReluBackward0>), tensor([0., 0., 1.]))
    """)
tanh = _unary("Tanh", """The hyperbolic tangent elementwise.

    >>> import contract as ct
    >>> ct.tanh(ct.tensor([-1., 0., 20.]))
    tensor([-0.7616,  0.0000,  1.0000])
    """)
sin = _unary("Sin", """The sine elementwise (radians).

    >>> import contract as ct
    >>> ct.sin(ct.tensor([0., 1.5707964]))
    tensor([0., 1.])
    """)
cos = _unary("Cos", """The cosine elementwise (radians).

    >>> import contract as ct
    >>> ct.cos(ct.tensor([0., 3.1415927]))
    tensor([ 1., -1.])
    """)
sigmoid = _unary("Sigmoid", """``1 / (1 + exp(-x))``, as ``(tanh(x / 2) + 1) / 2`` (no overflow).

    >>> import contract as ct
    >>> ct.sigmoid(ct.tensor([-100., 0., 2.]))
    tensor([0.0000, 0.5000, 0.8808])
    """)


def clamp(input, min=None, max=None):
    """Clip to ``[min, max]`` (scalars or tensors; promotes like torch: an int tensor with a
    float bound gives float). The gradient flows to the input where it was inside and to a
    tensor bound where the bound was taken; ``min > max`` gives ``max``, as in torch.

    >>> import contract as ct
    >>> ct.tensor([1, 5]).clamp(max=2.5)
    tensor([1.0000, 2.5000])
    """
    if min is None and max is None:
        raise ContractError("clamp needs at least one of min or max")
    if input.dtype.kind == "c":
        raise ContractError(f"clamp is not supported for complex tensors (dtype {input.dtype})")
    out = input
    if min is not None:
        out = where(lt(out, min), min, out)
    if max is not None:
        out = where(gt(out, max), max, out)
    return out


def where(condition, input, other):
    """``input`` where ``condition`` holds, else ``other`` (broadcasting; either may be a
    scalar).  Differentiable in ``input`` and ``other``.

    >>> import contract as ct
    >>> x = ct.tensor([-2., 0.5, 3.])
    >>> ct.where(x > 0, x, 0.), ct.where(x > 1, 1, -1)
    (tensor([0.0000, 0.5000, 3.0000]), tensor([-1, -1,  1]))
    """
    cond = condition._data if isinstance(condition, Tensor) else np.asarray(condition)
    if not isinstance(input, Tensor) and not isinstance(other, Tensor):
        # two scalars: torch's default dtypes
        input = tensor(input, device=getattr(condition, "device", None))
    a, b = pair(input, other)
    _, shape = broadcast_equation(tuple(cond.shape), tuple(a._data.shape))
    broadcast_equation(shape, tuple(b._data.shape))      # ShapeError as torch words it
    xp = _xp(a._data)
    out = xp.where(cond, a._data, b._data)
    zero = xp.zeros((), dtype=out.dtype)
    return record("Where", out, (a, b),
                  lambda g: (xp.where(cond, g, zero), xp.where(cond, zero, g)))


# -- comparisons (bool results, no gradient) -------------------------------------------
def _compare(fn, doc, name=None):
    """A comparison; an ordering (``name`` given) refuses complex tensors, as torch does."""
    def op(input, other):
        a, b = pair(input, other)
        if name is not None and a._data.dtype.kind == "c":
            raise ContractError(f"{name} is not supported for complex tensors (dtype "
                                f"{a._data.dtype})")
        broadcast_equation(a._data.shape, b._data.shape)
        return Tensor._wrap(fn(a._data, b._data))
    op.__doc__ = doc
    return op


eq = _compare(lambda x, y: x == y, """``input == other`` elementwise, broadcasting (a bool tensor).

    >>> import contract as ct
    >>> ct.eq(ct.tensor([1, 2, 3]), ct.tensor([1, 0, 3])), ct.tensor([1., 2.]) == 2
    (tensor([ True, False,  True]), tensor([False,  True]))
    """)
ne = _compare(lambda x, y: x != y, """``input != other`` elementwise, broadcasting (a bool tensor).

    >>> import contract as ct
    >>> ct.ne(ct.tensor([1, 2]), 1)
    tensor([False,  True])
    """)
lt = _compare(lambda x, y: x < y, """``input < other`` elementwise, broadcasting (a bool tensor).

    >>> import contract as ct
    >>> ct.lt(ct.tensor([[1], [2]]), ct.tensor([2, 3]))
    tensor([[ True,  True],
            [False,  True]])
    """, "lt")
le = _compare(lambda x, y: x <= y, """``input <= other`` elementwise, broadcasting (a bool tensor).

    >>> import contract as ct
    >>> ct.le(ct.tensor([1., 2., 3.]), 2)
    tensor([ True,  True, False])
    """, "le")
gt = _compare(lambda x, y: x > y, """``input > other`` elementwise, broadcasting (a bool tensor).

    >>> import contract as ct
    >>> x = ct.tensor([-1., 2., 5.])
    >>> ct.gt(x, 0), x[x > 0]
    (tensor([False,  True,  True]), tensor([2., 5.]))
    """, "gt")
ge = _compare(lambda x, y: x >= y, """``input >= other`` elementwise, broadcasting (a bool tensor).

    >>> import contract as ct
    >>> ct.ge(ct.tensor([1, 2, 3]), ct.tensor([2]))
    tensor([False,  True,  True])
    """, "ge")


def _comparable(value):
    """Whether ``value`` can meet a tensor in a comparison (else Python's fallback applies)."""
    return isinstance(value, (Tensor, bool, int, float, complex, np.number, np.bool_,
                              list, tuple)) or hasattr(value, "__array__")


def _dunder_compare(fn):
    """``fn`` as an operator method: ``t == None`` is False (NotImplemented), as in torch."""
    def op(self, other):
        return fn(self, other) if _comparable(other) else NotImplemented
    return op


def logical_not(input):
    """True where ``input`` is zero (or False), else False.

    >>> import contract as ct
    >>> ct.logical_not(ct.tensor([0, 1, 2])), ct.tensor([True, False]).logical_not()
    (tensor([ True, False, False]), tensor([False,  True]))
    """
    return Tensor._wrap(~input._data.astype(bool))


# -- bitwise operators on integer and bool tensors (no gradient) --------------------------
def _integral(a, symbol):
    if a._data.dtype.kind not in "biu":
        raise ContractError(f"{symbol} is only defined for integer and bool tensors, not "
                            f"dtype {a._data.dtype}")


def _bitwise(fn, symbol):
    """The operator ``symbol`` (``&``, ``|``, ``^``; symmetric, so also its reflection):
    torch's promotion and broadcasting; float and complex tensors are refused, as in torch."""
    def op(self, other):
        if not _comparable(other):
            return NotImplemented
        a, b = pair(self, other)
        _integral(a, symbol)
        broadcast_equation(a._data.shape, b._data.shape)
        return Tensor._wrap(fn(a._data, b._data))
    return op


def _invert(input):
    """``~t``: logical not of a bool tensor, bitwise not of an integer one (torch's)."""
    _integral(input, "~")
    return Tensor._wrap(~input._data)


_AND, _OR, _XOR = (_bitwise(fn, s) for fn, s in (
    (lambda x, y: x & y, "&"), (lambda x, y: x | y, "|"), (lambda x, y: x ^ y, "^")))

METHODS = {
    "__abs__": abs, "__eq__": _dunder_compare(eq), "__ne__": _dunder_compare(ne),
    "__lt__": _dunder_compare(lt), "__le__": _dunder_compare(le),
    "__gt__": _dunder_compare(gt), "__ge__": _dunder_compare(ge), "__invert__": _invert,
    "__and__": _AND, "__rand__": _AND, "__or__": _OR, "__ror__": _OR, "__xor__": _XOR,
    "__rxor__": _XOR,
    "abs": abs, "exp": exp, "log": log, "sqrt": sqrt, "relu": relu, "sigmoid": sigmoid,
    "tanh": tanh, "sin": sin, "cos": cos, "clamp": clamp, "clip": clamp,
    "eq": eq, "ne": ne, "lt": lt, "le": le, "gt": gt, "ge": ge, "logical_not": logical_not,
}
