"""Rounding division as torch has it: ``//``, ``%``, ``div(rounding_mode=...)``,
``floor_divide``, ``remainder``, ``fmod``.

Dtypes promote as the other elementwise ops do (an int tensor stays int); an integer
division by zero raises, as torch's does. Gradients follow torch: a rounded quotient has
zero gradient; ``remainder(a, b)`` sends ``g`` to ``a`` and ``-g * floor(a / b)`` to ``b``
(``fmod``: ``trunc`` instead of ``floor``).

>>> import contract as ct
>>> ct.tensor([-7, 7]) // 2
tensor([-4,  3])
>>> ct.tensor([-7., 7.]) % 3
tensor([2., 1.])
>>> ct.div(ct.tensor([-7, 7]), 2, rounding_mode="trunc")
tensor([-3,  3])
"""
from contract.errors import ContractError
from contract.tensors.core import _xp_of
from contract.tensors.ops.broadcast import binary, pair, reduced


def _check(a, b, name):
    for t in (a, b):
        if t.dtype.kind == "c":
            raise ContractError(f"{name} is not supported for complex tensors (dtype {t.dtype})")
    if b.dtype.kind in "biu" and a.dtype.kind in "biu" and bool((b._data == 0).any()):
        raise ContractError(f"{name}: integer division by zero (ZeroDivisionError)")


def _quotient(mode):
    """The rounded quotient of two arrays of one dtype (``"floor"`` or ``"trunc"``)."""
    def fn(x, y):
        xp = _xp_of(x)
        if x.dtype.kind in "biu":
            if mode == "floor":
                return xp.floor_divide(x, y)
            q = xp.floor_divide(xp.abs(x), xp.abs(y))
            return xp.where((x < 0) != (y < 0), -q, q).astype(x.dtype, copy=False)
        q = x / y
        return xp.floor(q) if mode == "floor" else xp.trunc(q)
    return fn


def _zero_vjp(x, y, o, need_x, need_y):
    def vjp(g):
        xp = _xp_of(g)
        return (xp.zeros(x.shape, g.dtype) if need_x else None,
                xp.zeros(y.shape, g.dtype) if need_y else None)
    return vjp


def div_rounded(input, other, rounding_mode):
    """``div(input, other, rounding_mode=...)`` for ``"floor"`` and ``"trunc"``."""
    if rounding_mode not in ("floor", "trunc"):
        raise ContractError(f"div expected rounding_mode to be one of None, 'trunc', or 'floor' "
                            f"but found '{rounding_mode}'")
    a, b = pair(input, other)
    _check(a, b, "div")
    return binary("Div", _quotient(rounding_mode), a, b, _zero_vjp)


def floor_divide(input, other):
    """``input // other``: the quotient rounded down (torch's ``floor_divide``).

    >>> import contract as ct
    >>> ct.floor_divide(ct.tensor([-7, 7]), 2), ct.tensor([7.5]) // 2
    (tensor([-4,  3]), tensor([3.]))
    """
    return div_rounded(input, other, "floor")


def _remainder_op(name, mode, ufunc, example):
    def op(input, other):
        a, b = pair(input, other)
        _check(a, b, name)
        quotient = _quotient(mode)

        def vjp_factory(x, y, o, need_x, need_y):
            def vjp(g):
                grad_y = None
                if need_y:
                    grad_y = -reduced(_xp_of(g), g * quotient(x, y), y.shape)
                return (g if need_x else None), grad_y
            return vjp
        return binary(name.capitalize(), lambda x, y: ufunc(_xp_of(x), x, y), a, b,
                       vjp_factory)
    op.__name__ = name
    op.__doc__ = f"""torch's ``{name}``: ``input - {mode}(input / other) * other``.

    >>> import contract as ct
    {example}"""
    return op


remainder = _remainder_op("remainder", "floor", lambda xp, x, y: xp.remainder(x, y), """\
>>> ct.remainder(ct.tensor([-3, 3]), 2), ct.tensor([-3.5]) % 2   # the divisor's sign
    (tensor([1, 1]), tensor([0.5000]))
    """)
fmod = _remainder_op("fmod", "trunc", lambda xp, x, y: xp.fmod(x, y), """\
>>> ct.fmod(ct.tensor([-3, 3]), 2)                                  # the dividend's sign
    tensor([-1,  1])
    """)


def _reflect(fn):
    return lambda self, other: fn(other, self)


METHODS = {"__floordiv__": floor_divide, "__rfloordiv__": _reflect(floor_divide),
           "__mod__": remainder, "__rmod__": _reflect(remainder),
           "floor_divide": floor_divide, "remainder": remainder, "fmod": fmod}
