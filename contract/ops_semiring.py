"""Thin Tensor delegations to the semiring reductions (owned by ``contract/semiring_ops.py``).

``t.max()``, ``t.amax(dim)``, ``t.argmax()``, ``t.logsumexp(dim)`` ... are
einsums in the max-plus / log semirings; their implementations (and VJPs) live
in ``contract.semiring_ops`` and are imported lazily on first use.

>>> import contract as ct
>>> ct.tensor([1., 3., 2.]).max()     # doctest: +SKIP
tensor(3.)
"""


def max(self, dim=None, keepdim=False, *, axis=None):
    """``max()`` (0-d) or ``max(dim)`` -> ``(values, indices)``; see semiring_ops."""
    from contract.semiring_ops import tensor_max
    return tensor_max(self, dim, keepdim, axis)


def min(self, dim=None, keepdim=False, *, axis=None):
    from contract.semiring_ops import tensor_min
    return tensor_min(self, dim, keepdim, axis)


def amax(self, dim=(), keepdim=False, *, axis=None):
    from contract.semiring_ops import tensor_amax
    return tensor_amax(self, dim, keepdim, axis)


def amin(self, dim=(), keepdim=False, *, axis=None):
    from contract.semiring_ops import tensor_amin
    return tensor_amin(self, dim, keepdim, axis)


def argmax(self, dim=None, keepdim=False, *, axis=None):
    from contract.semiring_ops import tensor_argmax
    return tensor_argmax(self, dim, keepdim, axis)


def argmin(self, dim=None, keepdim=False, *, axis=None):
    from contract.semiring_ops import tensor_argmin
    return tensor_argmin(self, dim, keepdim, axis)


def logsumexp(self, dim=None, keepdim=False, *, axis=None):
    from contract.semiring_ops import tensor_logsumexp
    return tensor_logsumexp(self, dim, keepdim, axis)


METHODS = {"max": max, "min": min, "amax": amax, "amin": amin, "argmax": argmax,
           "argmin": argmin, "logsumexp": logsumexp}
FUNCTIONS = dict(METHODS)
