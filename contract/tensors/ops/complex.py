"""Complex parts with torch's VJPs: ``t.real``, ``t.imag`` (properties), ``t.conj()``.

torch's convention for complex autograd: for a real loss ``L`` of ``z = x + iy``,
``z.grad`` is ``dL/dx + i dL/dy``.  So the gradient through ``real`` is the
output gradient itself, through ``imag`` it is ``1j`` times it, and through
``conj`` its conjugate.  On real tensors ``real`` and ``conj`` return the tensor
itself and ``imag`` raises, as in torch.

>>> import contract as ct
>>> z = ct.tensor([1 + 2j, 3 - 1j], requires_grad=True)
>>> (z.real * 2 + z.imag * 3).sum().backward(); z.grad
tensor([2.+3.j, 2.+3.j])
>>> z.conj()
tensor([1.-2.j, 3.+1.j], grad_fn=<ConjBackward0>)
"""
from contract.tensors.core import record
from contract.errors import ContractError
from contract.tensors.core import Tensor


def _checked(name, input):
    if not isinstance(input, Tensor):
        raise ContractError(f"{name}(): expected a Tensor, got {type(input).__name__}")
    return input._data


def real(input):
    """The real part (a view, as in torch); a real tensor is returned as it is.

    >>> import contract as ct
    >>> ct.real(ct.tensor([1 + 2j]))
    tensor([1.])
    """
    x = _checked("real", input)
    if x.dtype.kind != "c":
        return input
    return record("Real", x.real, (input,), lambda g: (g.astype(x.dtype),))


def imag(input):
    """The imaginary part (a view); real tensors raise, as in torch.

    >>> import contract as ct
    >>> ct.imag(ct.tensor([1 + 2j]))
    tensor([2.])
    """
    x = _checked("imag", input)
    if x.dtype.kind != "c":
        raise ContractError(f"imag is not implemented for tensors with non-complex dtypes "
                            f"(got {x.dtype})")
    return record("Imag", x.imag, (input,), lambda g: ((g * 1j).astype(x.dtype, copy=False),))


def conj(input):
    """The complex conjugate; a real tensor is returned as it is (torch does the same).

    >>> import contract as ct
    >>> ct.conj(ct.tensor([1 + 2j]))
    tensor([1.-2.j])
    """
    x = _checked("conj", input)
    if x.dtype.kind != "c":
        return input
    return record("Conj", x.conj(), (input,), lambda g: (g.conj(),))


def unit_phase(xp, x, magnitude):
    """``x / |x|`` (0 where ``x == 0``), torch's ``sgn``: the VJP factor of ``abs``; for real
    ``x`` it is ``sign(x)``.

    >>> import numpy as np
    >>> unit_phase(np, np.array([3 + 4j, 0j]), np.array([5., 0.]))
    array([0.6+0.8j, 0. +0.j ])
    """
    if x.dtype.kind != "c":
        return xp.sign(x)
    zero = magnitude == 0
    return xp.where(zero, 0, x / xp.where(zero, 1, magnitude))


def resolve_conj(input):
    """The tensor itself: conjugation here is never lazy, so there is nothing to resolve.

    >>> import contract as ct
    >>> ct.tensor([1 + 2j]).conj().resolve_conj()
    tensor([1.-2.j])
    """
    return input


METHODS = {"real": property(real), "imag": property(imag), "conj": conj,
           "resolve_conj": resolve_conj, "conj_physical": conj}
