"""Broadcasting arithmetic, elementwise maps and comparisons (differentiable like torch).

A broadcast product ``a * b`` is the einsum its shapes write (``ab,b->ab``);
``+ - /`` use the same broadcast equation with a different combine; both are
checked by one cached helper that raises a ContractError naming the shapes.

>>> import contract as ct
>>> a = ct.tensor([[1., 2.], [3., 4.]], requires_grad=True)
>>> (a * ct.tensor([10., 100.])).sum().backward(); a.grad
tensor([[ 10., 100.],
        [ 10., 100.]])
>>> ct.ones(2, 3) + ct.ones(4)
Traceback (most recent call last):
...
contract.errors.ShapeError: shapes (2, 3) and (4,) are not broadcastable: the size of tensor a (3) must match the size of tensor b (4) at non-singleton dimension 1
"""
from functools import lru_cache

import numpy as np

from contract.autograd import record
from contract.autograd_einsum import run_equation
from contract.dtypes import conj
from contract.ops_complex import METHODS as _COMPLEX_METHODS, FUNCTIONS as _COMPLEX_FUNCTIONS
from contract.ops_complex import unit_phase
from contract.errors import ContractError, ShapeError
from contract.kernels import LETTERS
from contract.tensor import Tensor, _xp_of

_FLOAT32, _INT64, _COMPLEX64 = np.dtype("float32"), np.dtype("int64"), np.dtype("complex64")


# -- operands and broadcasting -----------------------------------------------------
def _scalar_dtype(value, dtype):
    """torch's dtype for a Python scalar combined with a tensor of ``dtype``."""
    kind = dtype.kind
    if isinstance(value, (bool, np.bool_)):
        return dtype
    if isinstance(value, (int, np.integer)):
        return _INT64 if kind == "b" else dtype
    if isinstance(value, (float, np.floating)):
        return dtype if kind in "fc" else _FLOAT32
    if isinstance(value, (complex, np.complexfloating)):
        return dtype if kind == "c" else (np.dtype("complex128") if dtype == np.float64
                                          else _COMPLEX64)
    raise ContractError(f"unsupported operand type {type(value).__name__} for a tensor op")


def as_operand(value, like):
    """A Tensor for ``value`` (a Tensor, a scalar or array-like) next to Tensor ``like``."""
    if isinstance(value, Tensor):
        return value
    xp = like._xp
    if isinstance(value, (bool, int, float, complex, np.number, np.bool_)):
        dtype = _scalar_dtype(value, like.dtype)
        try:
            return Tensor._wrap(xp.asarray(value, dtype=dtype))
        except OverflowError:            # torch wraps an int scalar into a narrow int dtype
            try:
                return Tensor._wrap(xp.asarray(value).astype(dtype))
            except OverflowError:
                raise ContractError(f"value {value} cannot be converted to {dtype} without "
                                    f"overflow") from None
    from contract.creation import tensor
    return tensor(value, device=like.device)


@lru_cache(maxsize=4096)
def broadcast_equation(shape_a, shape_b):
    """``(equation, output shape)`` of the broadcast of two shapes, e.g. ``ab,b->ab``."""
    n = max(len(shape_a), len(shape_b))
    if n > len(LETTERS):
        raise ShapeError(f"tensors with {n} dimensions are not supported")
    out = []
    for k in range(n):
        da = shape_a[k - n + len(shape_a)] if k - n + len(shape_a) >= 0 else 1
        db = shape_b[k - n + len(shape_b)] if k - n + len(shape_b) >= 0 else 1
        if da != db and 1 not in (da, db):
            raise ShapeError(f"shapes {tuple(shape_a)} and {tuple(shape_b)} are not "
                             f"broadcastable: the size of tensor a ({da}) must match the size of "
                             f"tensor b ({db}) at non-singleton dimension {k}")
        out.append(db if da == 1 else da)
    labels = LETTERS[:n]
    text = f"{labels[n - len(shape_a):]},{labels[n - len(shape_b):]}->{labels}"
    return text, tuple(out)


_CATEGORY = {"b": 0, "u": 1, "i": 1, "f": 2, "c": 3}


def promote(da, db, ndim_a=1, ndim_b=1):
    """torch's promotion: a higher category (bool < int < float < complex) wins outright;
    within one category a 0-d tensor beside a dimensioned one does not widen it; a float
    beside a complex keeps its precision (float64 with complex64 gives complex128)."""
    if da == db:
        return da
    ca, cb = _CATEGORY.get(da.kind, 4), _CATEGORY.get(db.kind, 4)
    if (ndim_a == 0) != (ndim_b == 0):
        (high, ch), (low, cl) = ((db, cb), (da, ca)) if ndim_a == 0 else ((da, ca), (db, cb))
        if ch >= cl:
            return high
        return np.result_type(high, np.complex64) if (ch, cl) == (2, 3) else low
    if ca != cb and {ca, cb} != {2, 3}:
        return da if ca > cb else db
    return np.result_type(da, db)


def _pair(a, b):
    """Two Tensors of one dtype (torch's promotion) from tensors and scalars."""
    if not isinstance(a, Tensor):
        a = as_operand(a, b)
    elif not isinstance(b, Tensor):
        b = as_operand(b, a)
    if type(a._data) is not type(b._data) and a.device != b.device:
        raise ContractError(f"expected all tensors to be on the same device, but found "
                            f"{a.device} and {b.device}")
    if a._data.dtype != b._data.dtype:
        common = promote(a._data.dtype, b._data.dtype, a._data.ndim, b._data.ndim)
        a, b = a.to(common), b.to(common)
    return a, b


def _binary(name, fn, a, b, vjp_factory):
    """Apply ``fn`` to the data; ``vjp_factory(x, y, out, need_x, need_y)`` builds the VJP."""
    a, b = _pair(a, b)
    broadcast_equation(a._data.shape, b._data.shape)
    out = fn(a._data, b._data)
    if not (a.requires_grad or b.requires_grad):
        return record(name, out, (), None)
    return record(name, out, (a, b), vjp_factory(a._data, b._data, out, a.requires_grad,
                                                 b.requires_grad))


def _reduced(xp, g, shape):
    """``g`` summed to ``shape`` first, so later elementwise work is on the small array."""
    from contract.autograd import unbroadcast
    return unbroadcast(xp, g, shape)


# -- arithmetic -------------------------------------------------------------------
def mul(input, other):
    """``input * other``: the broadcast einsum ``ab,b->ab``."""
    a, b = _pair(input, other)
    text, _ = broadcast_equation(a._data.shape, b._data.shape)
    if a.dtype.kind == "b" and b.dtype.kind == "b":
        return record("Mul", a._data & b._data, (), None)
    keep = a.dtype if a.dtype.kind in "iu" else None    # torch: int32 * int32 is int32
    return run_equation("Mul", text, a, b, dtype=keep)


def add(input, other, alpha=1):
    """``input + alpha * other`` with broadcasting."""
    if alpha != 1:
        other = mul(other, alpha) if isinstance(other, Tensor) else other * alpha
    return _binary("Add", lambda x, y: x + y, input, other,
                   lambda x, y, o, nx, ny: lambda g: (g if nx else None, g if ny else None))


def sub(input, other, alpha=1):
    """``input - alpha * other`` with broadcasting."""
    if alpha != 1:
        other = mul(other, alpha) if isinstance(other, Tensor) else other * alpha
    return _binary("Sub", lambda x, y: x - y, input, other, lambda x, y, o, nx, ny: lambda g: (
        g if nx else None, -_reduced(_xp(g), g, y.shape) if ny else None))


def _float_pair(a, b):
    if isinstance(a, (int, np.integer)) and not isinstance(a, bool):
        a = float(a)                     # true division: an int scalar is not cast first
    if isinstance(b, (int, np.integer)) and not isinstance(b, bool):
        b = float(b)
    a, b = _pair(a, b)
    if a.dtype.kind in "biu" and b.dtype.kind in "biu":
        a, b = a.to(_FLOAT32), b.to(_FLOAT32)
    return a, b


def div(input, other, *, rounding_mode=None):
    """``input / other`` (true division; integers give float32 as in torch);
    ``rounding_mode="floor"`` / ``"trunc"`` round the quotient (``contract.ops_rounding``)."""
    if rounding_mode is not None:
        from contract.ops_rounding import div_rounded
        return div_rounded(input, other, rounding_mode)
    a, b = _float_pair(input, other)
    return _binary("Div", lambda x, y: x / y, a, b, _div_vjp)


def _div_vjp(x, y, o, need_x, need_y):
    def vjp(g):
        gy = g / conj(y)                     # complex: torch's conjugated rule
        grad_y = None
        if need_y:
            grad_y = gy * conj(o)
            grad_y = _reduced(_xp(g), grad_y, y.shape)
            grad_y = -grad_y
        return (gy if need_x else None), grad_y
    return vjp


def _xp(array):
    return _xp_of(array)


def neg(input):
    """``-input`` (bool tensors refuse it, as in torch)."""
    if input.dtype.kind == "b":
        raise ContractError("Negation, the `-` operator, on a bool tensor is not supported. If "
                            "you are trying to invert a mask, use the `~` or `logical_not()` "
                            "operator instead.")
    return record("Neg", -input._data, (input,), lambda g: (-g,))


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


def square(input):
    return mul(input, input)


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
        from contract.creation import tensor     # two scalars: torch's default dtypes
        input = tensor(input, device=getattr(condition, "device", None))
    a, b = _pair(input, other)
    xp = _xp(a._data)
    out = xp.where(cond, a._data, b._data)
    zero = xp.zeros((), dtype=out.dtype)
    return record("Where", out, (a, b),
                  lambda g: (xp.where(cond, g, zero), xp.where(cond, zero, g)))


def addcmul(input, tensor1, tensor2, value=1):
    """``input + value * tensor1 * tensor2``."""
    prod = mul(tensor1, tensor2)
    return add(input, prod if value == 1 else mul(prod, value))


def addcdiv(input, tensor1, tensor2, value=1):
    """``input + value * tensor1 / tensor2``."""
    quot = div(tensor1, tensor2)
    return add(input, quot if value == 1 else mul(quot, value))


# -- comparisons (bool results, no gradient) -------------------------------------------
def _compare(fn, name=None):
    """A comparison; an ordering (``name`` given) refuses complex tensors, as torch does."""
    def op(input, other):
        a, b = _pair(input, other)
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


def _reflect(fn):
    return lambda self, other: fn(other, self)


METHODS = {
    "__add__": add, "__radd__": _reflect(add), "__sub__": sub, "__rsub__": _reflect(sub),
    "__mul__": mul, "__rmul__": _reflect(mul), "__truediv__": div,
    "__rtruediv__": _reflect(div),
    "__neg__": neg, "__abs__": abs, "__eq__": _dunder_compare(eq), "__ne__": _dunder_compare(ne),
    "__lt__": _dunder_compare(lt), "__le__": _dunder_compare(le),
    "__gt__": _dunder_compare(gt), "__ge__": _dunder_compare(ge), "__invert__": logical_not,
    "add": add, "sub": sub, "mul": mul, "div": div, "neg": neg, "abs": abs,
    "exp": exp, "log": log, "sqrt": sqrt, "relu": relu, "sigmoid": sigmoid, "tanh": tanh,
    "sin": sin, "cos": cos, "square": square, "clamp": clamp, "clip": clamp,
    "eq": eq, "ne": ne, "lt": lt, "le": le, "gt": gt, "ge": ge, "addcmul": addcmul,
    "addcdiv": addcdiv, "logical_not": logical_not, **_COMPLEX_METHODS,
}
FUNCTIONS = dict(METHODS, where=where, multiply=mul, subtract=sub, divide=div,
                 true_divide=div, negative=neg, **_COMPLEX_FUNCTIONS)

from contract.ops_rounding import METHODS as _ROUNDING  # noqa: E402  (it imports div from here)
from contract.ops_power import METHODS as _POWER  # noqa: E402  (it imports _pair from here)
for _more in (_ROUNDING, _POWER):
    METHODS.update(_more)
    FUNCTIONS.update(_more)
