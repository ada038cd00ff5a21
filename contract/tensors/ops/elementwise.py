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


def _unary(name):
    """The differentiable map ``name`` from :data:`UNARY_RULES`."""
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
    op.__doc__ = f"Elementwise {name.lower()} (differentiable; rule in UNARY_RULES)."
    return op


exp, log, sqrt, abs, relu = (_unary(n) for n in ("Exp", "Log", "Sqrt", "Abs", "Relu"))
tanh, sin, cos, sigmoid = (_unary(n) for n in ("Tanh", "Sin", "Cos", "Sigmoid"))


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
    """``input`` where ``condition`` holds, else ``other`` (broadcasting)."""
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
def _compare(fn, name=None):
    """A comparison; an ordering (``name`` given) refuses complex tensors, as torch does."""
    def op(input, other):
        a, b = pair(input, other)
        if name is not None and a._data.dtype.kind == "c":
            raise ContractError(f"{name} is not supported for complex tensors (dtype "
                                f"{a._data.dtype})")
        broadcast_equation(a._data.shape, b._data.shape)
        return Tensor._wrap(fn(a._data, b._data))
    return op


eq = _compare(lambda x, y: x == y)
ne = _compare(lambda x, y: x != y)
lt = _compare(lambda x, y: x < y, "lt")
le = _compare(lambda x, y: x <= y, "le")
gt = _compare(lambda x, y: x > y, "gt")
ge = _compare(lambda x, y: x >= y, "ge")


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
