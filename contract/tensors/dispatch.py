"""Free functions that a registered Tensor subclass may take over (torch's
``__torch_function__`` idea, for the ``ct.*`` and ``nn.functional`` functions).

A layer above (the compiler's traced tensors) registers its subclass with
:func:`register_override`; while at least one override is active
(:func:`activate`), a function wrapped by :func:`overridable` that receives an
instance of a registered subclass (as an argument, or inside a list or tuple
argument) hands the call to ``type(instance).__contract_function__(fn, args,
kwargs)``.  Otherwise the wrapper costs one list lookup and calls ``fn``.
Tensor methods are not wrapped: a subclass overrides them itself.

>>> def double(t):
...     return t * 2
>>> wrapped = overridable(double)
>>> wrapped(3), wrapped.__wrapped__ is double
(6, True)
"""
import functools

_KINDS = []            # registered subclasses (a tuple of them in _STATE[1])
_STATE = [0, ()]       # [active count, tuple of registered kinds]
ACTIVE = _STATE        # ACTIVE[0]: how many overrides are active (nonzero while tracing)


def register_override(kind):
    """Let instances of ``kind`` (defining ``__contract_function__``) take over calls."""
    if kind not in _KINDS:
        _KINDS.append(kind)
        _STATE[1] = tuple(_KINDS)


def activate(delta):
    """Count one more (``+1``) or one fewer (``-1``) active override (e.g. a running trace)."""
    _STATE[0] += delta


def _claimant(args, kwargs, kinds):
    """The first argument (or list/tuple item, or keyword value) of a registered kind."""
    for value in (*args, *kwargs.values()):
        if isinstance(value, kinds):
            return value
        if isinstance(value, (list, tuple)):
            for item in value:
                if isinstance(item, kinds):
                    return item
    return None


def overridable(fn):
    """``fn`` with the override hook (see the module docstring)."""
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        if _STATE[0]:
            found = _claimant(args, kwargs, _STATE[1])
            if found is not None:
                return type(found).__contract_function__(fn, args, kwargs)
        return fn(*args, **kwargs)
    return wrapper
