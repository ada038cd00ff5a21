"""Thin Tensor delegations to the semiring reductions (owned by ``contract/semiring_ops.py``).

``t.max()``, ``t.amax(dim)``, ``t.argmax()``, ``t.logsumexp(dim)`` ... are
einsums in the max-plus / log semirings; their implementations (and VJPs) live
in ``contract.semiring_ops`` and are imported lazily on first use.

>>> import contract as ct
>>> ct.tensor([1., 3., 2.]).max()     # doctest: +SKIP
tensor(3.)
"""


def _real_only(self, what):
    """Orderings have no meaning on complex numbers: refused as torch does."""
    from contract.errors import ContractError
    for value in ((self,) if not isinstance(self, tuple) else self):
        if getattr(getattr(value, "dtype", None), "kind", "") == "c":
            raise ContractError(f"{what}() does not support complex input "
                                f"(dtype {value.dtype}); compare .abs() or .real instead")


def max(self, dim=None, keepdim=False, *, axis=None, other=None):
    """``max()`` (0-d), ``max(dim)`` -> ``(values, indices)``, ``max(other)``: maximum."""
    from contract.tensor import Tensor
    _real_only(self, "max")
    if other is not None or isinstance(dim, Tensor):
        return maximum(self, dim if other is None else other)
    from contract.semiring_ops import tensor_max
    return tensor_max(self, dim, keepdim, axis)


def min(self, dim=None, keepdim=False, *, axis=None, other=None):
    """``min()`` (0-d), ``min(dim)`` -> ``(values, indices)``, ``min(other)``: minimum."""
    from contract.tensor import Tensor
    _real_only(self, "min")
    if other is not None or isinstance(dim, Tensor):
        return minimum(self, dim if other is None else other)
    from contract.semiring_ops import tensor_min
    return tensor_min(self, dim, keepdim, axis)


def maximum(self, other):
    """``torch.maximum``: elementwise maximum; the gradient goes to the larger side."""
    _real_only((self, other), "maximum")
    from contract.semiring_ops import tensor_maximum
    return tensor_maximum(self, other)


def minimum(self, other):
    """``torch.minimum``: elementwise minimum; the gradient goes to the smaller side."""
    _real_only((self, other), "minimum")
    from contract.semiring_ops import tensor_minimum
    return tensor_minimum(self, other)


def amax(self, dim=(), keepdim=False, *, axis=None):
    _real_only(self, "amax")
    from contract.semiring_ops import tensor_amax
    return tensor_amax(self, dim, keepdim, axis)


def amin(self, dim=(), keepdim=False, *, axis=None):
    _real_only(self, "amin")
    from contract.semiring_ops import tensor_amin
    return tensor_amin(self, dim, keepdim, axis)


def argmax(self, dim=None, keepdim=False, *, axis=None):
    _real_only(self, "argmax")
    from contract.semiring_ops import tensor_argmax
    return tensor_argmax(self, dim, keepdim, axis)


def argmin(self, dim=None, keepdim=False, *, axis=None):
    _real_only(self, "argmin")
    from contract.semiring_ops import tensor_argmin
    return tensor_argmin(self, dim, keepdim, axis)


def logsumexp(self, dim=None, keepdim=False, *, axis=None):
    from contract.semiring_ops import tensor_logsumexp
    return tensor_logsumexp(self, dim, keepdim, axis)


METHODS = {"max": max, "min": min, "amax": amax, "amin": amin, "argmax": argmax,
           "argmin": argmin, "logsumexp": logsumexp, "maximum": maximum, "minimum": minimum}
FUNCTIONS = dict(METHODS)
