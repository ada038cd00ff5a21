"""The one plan cache: every Plan of ``ct.einsum``, ``ct.plan``, the Tensor ops and autograd.

A plan depends on the equation, the operand shapes and the options (optimizer,
semiring, result dtype, memory limit, group sizes), not on the operand dtypes
(the dtype policy is applied per call).  :func:`plan_key` turns those into one
hashable key; :func:`lookup` finds the plan or builds it.  The cache is bounded
and evicts the least recently used plan (``functools.lru_cache``).

Option values enter the key with their type where Python would confuse them
(``True == 1 == 1.0``): ``memory_limit=True`` is not the cached plan of
``memory_limit=1``.

>>> import contract as ct
>>> p = ct.plan("ij,jk->ik", (2, 3), (3, 4))
>>> lookup(plan_key("ij,jk->ik", ((2, 3), (3, 4)))) is p
True
"""
from functools import lru_cache

from contract.engine.operands import as_equation
from contract.engine.plan import build_plan

CACHE_SIZE = 8192
_PLAIN = (str, type(None))


def _part(value):
    """A hashable, type-faithful stand-in for an option value (the values of a dict of group
    sizes keep their types too: ``p=2.0`` is not the cached plan of ``p=2``; a path's steps
    are read by ``int()`` either way).

    >>> _part({"p": 2}) == _part({"p": 2.0}), _part(True) == _part(1)
    (False, False)
    """
    if type(value) in _PLAIN:
        return value
    if isinstance(value, dict):
        return (dict, tuple(sorted((k, (type(v), v)) for k, v in value.items()))
                ) if value else None
    if isinstance(value, (list, tuple)):
        return (tuple, tuple(tuple(step) if isinstance(step, (list, tuple)) else step
                             for step in value))
    return (type(value), value)


option_part = _part      # for keys written inline by the callers on a hot path


def _value(part):
    """The option value back from :func:`_part` (lists come back as tuples)."""
    if type(part) is tuple and len(part) == 2 and isinstance(part[0], type):
        kind, value = part
        return {k: v for k, (_, v) in value} if kind is dict else value
    return part


def plan_key(equation, shapes, optimize="auto", semiring="real", dtype=None,
             memory_limit=None, sizes=None):
    """The cache key: ``(equation, optimize, semiring, dtype, memory_limit, sizes, *shapes)``.

    The cached-call path of ``ct.einsum`` writes the same tuple inline when every option
    is a string or None (then each part is the value itself).

    >>> plan_key("i->", ((3,),))
    ('i->', 'auto', 'real', None, None, None, (3,))
    """
    return (equation, _part(optimize), _part(semiring), _part(dtype), _part(memory_limit),
            _part(sizes) if sizes else None) + tuple(tuple(s) for s in shapes)


def options(key):
    """``(equation, shapes, optimize, semiring, dtype, memory_limit, sizes)`` back from a
    key of :func:`plan_key`."""
    equation, optimize, semiring, dtype, memory_limit, sizes = map(_value, key[:6])
    return equation, key[6:], optimize, semiring, dtype, memory_limit, sizes


@lru_cache(maxsize=CACHE_SIZE)
def lookup(key):
    """The Plan for ``key`` (from :func:`plan_key`), built on a miss.  A plan under a
    ``memory_limit`` knows the unlimited plan (the cached one) when that is cheaper, so
    ``str(plan)`` can say what the limit cost."""
    equation, shapes, optimize, semiring, dtype, memory_limit, sizes = options(key)
    plan = build_plan(as_equation(equation, len(shapes)), shapes, optimize, semiring, dtype,
                      memory_limit, sizes)
    if memory_limit is not None and not (isinstance(optimize, tuple) or optimize is False):
        free = lookup(key[:4] + (None,) + key[5:])
        plan.unlimited = free if free.flops < plan.flops else None
    return plan


def cached_plan(equation, shapes, optimize="auto", semiring="real", dtype=None,
                memory_limit=None, sizes=None):
    """The Plan for an equation (text or Equation) and operand shapes, cached.

    >>> cached_plan("ij->j", [(2, 3)]).output_shape
    (3,)
    """
    try:
        key = plan_key(equation, shapes, optimize, semiring, dtype, memory_limit, sizes)
        hash(key)
    except TypeError:            # an unhashable option (an optimizer object): plan afresh
        return build_plan(as_equation(equation, len(shapes)), shapes, optimize, semiring,
                          dtype, memory_limit, sizes)
    return lookup(key)


DERIVED = []      # caches of things derived from plans, keyed by plan_key (cleared with it)


def clear():
    """Forget every cached plan (and what was derived from them)."""
    lookup.cache_clear()
    for derived in DERIVED:
        derived.cache_clear()


def size() -> int:
    """How many plans the cache holds.

    >>> import contract as ct
    >>> clear(); _ = ct.plan("ab->", (2, 2)); size()
    1
    """
    return lookup.cache_info().currsize
