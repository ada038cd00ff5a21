"""``ct.testing.gradcheck``: compare autograd with central differences in float64.

Complex inputs are checked in complex128 with torch's convention: for the real
loss ``L = Re <v, f(z)>`` (``v`` a random cotangent, complex for a complex
output), the gradient of ``z = x + iy`` is ``dL/dx + i dL/dy``, each part by
central differences.

>>> import contract as ct
>>> x = ct.tensor([[1., 2.], [3., 4.]], dtype=ct.float64, requires_grad=True)
>>> ct.testing.gradcheck(lambda a: (a * a).sum(dim=1), (x,))
True
>>> z = ct.tensor([1 + 2j, 3 - 1j], requires_grad=True)
>>> ct.testing.gradcheck(lambda a: (a * a.conj()).real + a.abs(), (z,))
True
"""
import numpy as np

from contract.errors import ContractError
from contract.autograd.graph import backward
from contract.tensors.core import Tensor


class GradcheckError(ContractError):
    """Analytic and numerical gradients disagree.

    >>> import contract as ct
    >>> x = ct.tensor([1., 2.], requires_grad=True)
    >>> try:
    ...     ct.testing.gradcheck(lambda a: a.detach() * a, (x,))   # detach() hides a term
    ... except ct.testing.GradcheckError as err:
    ...     print(str(err)[:82])
    gradcheck: output 0, input 0 (shape (2,)): analytic and numerical gradients differ
    """


def _as_tuple(value):
    return value if isinstance(value, (tuple, list)) else (value,)


def _outputs(fn, inputs):
    outs = _as_tuple(fn(*inputs))
    return [o for o in outs if isinstance(o, Tensor) and o.dtype.kind in "fc"]


def _to_float64(inputs):
    converted = []
    for x in inputs:
        if isinstance(x, Tensor) and x.requires_grad:
            wide = np.complex128 if x.dtype.kind == "c" else np.float64
            copy = Tensor._wrap(np.array(x.detach().cpu()._data, dtype=wide))
            converted.append(copy.requires_grad_(True))
        else:
            converted.append(x)
    return converted


def _numerical(fn, inputs, k, eps, out_index, cotangent):
    """d Re<cotangent, out> / d inputs[k] by central differences; for a complex input
    ``dL/dx + i dL/dy`` (torch's convention), the real and imaginary parts stepped apart."""
    x = inputs[k]._data
    steps = (eps, 1j * eps) if x.dtype.kind == "c" else (eps,)
    grad = np.zeros(x.shape, dtype=x.dtype)
    flat, out = x.reshape(-1), grad.reshape(-1)
    for i in range(flat.size):
        old = flat[i]
        for step in steps:
            flat[i] = old + step
            plus = np.vdot(cotangent, np.asarray(_outputs(fn, inputs)[out_index]._data)).real
            flat[i] = old - step
            minus = np.vdot(cotangent, np.asarray(_outputs(fn, inputs)[out_index]._data)).real
            flat[i] = old
            out[i] += (plus - minus) / (2 * eps) * (step / eps)
    return grad


def _analytic(fn, inputs, out_index, cotangent):
    for x in inputs:
        if isinstance(x, Tensor):
            x.grad = None
    out = _outputs(fn, inputs)[out_index]
    if not out.requires_grad:
        return None
    backward(out, Tensor._wrap(cotangent.astype(out.dtype)))
    return [None if not (isinstance(x, Tensor) and x.requires_grad) or x.grad is None
            else np.asarray(x.grad._data) for x in inputs]


def gradcheck(fn, inputs, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True, seed=0):
    """True when autograd's gradients of ``fn(*inputs)`` match central differences.

    Inputs that require grad are copied to float64 (complex ones to
    complex128); each float or complex output is contracted with a random
    cotangent (complex for a complex output) and differentiated with respect
    to every such input; a complex input's gradient is ``dL/dx + i dL/dy``.  Raises :class:`GradcheckError` (or returns False with
    ``raise_exception=False``) naming the input and the largest difference.

    >>> import contract as ct
    >>> x = ct.randn(3, 4, requires_grad=True)
    >>> ct.testing.gradcheck(lambda a: a.softmax(dim=1), (x,))
    True
    >>> ct.testing.gradcheck(lambda a: a.detach() * a, (x,), raise_exception=False)
    False
    """
    inputs = _to_float64(_as_tuple(inputs))
    rng = np.random.default_rng(seed)
    for j, out in enumerate(_outputs(fn, inputs)):
        cot = rng.standard_normal(out.shape)
        if out.dtype.kind == "c":
            cot = cot + 1j * rng.standard_normal(out.shape)
        analytic = _analytic(fn, inputs, j, cot)
        for k, x in enumerate(inputs):
            if not getattr(x, "requires_grad", False):
                continue
            numeric = _numerical(fn, inputs, k, eps, j, cot)
            got = np.zeros_like(numeric) if analytic is None or analytic[k] is None \
                else analytic[k]
            if got.shape != numeric.shape or not np.allclose(got, numeric, rtol=rtol, atol=atol):
                if not raise_exception:
                    return False
                worst = np.max(np.abs(got - numeric)) if got.shape == numeric.shape else "shape"
                raise GradcheckError(
                    f"gradcheck: output {j}, input {k} (shape {tuple(x.shape)}): analytic and "
                    f"numerical gradients differ (max |diff| {worst});\nanalytic:\n{got}\n"
                    f"numerical:\n{numeric}")
    return True


__all__ = ["GradcheckError", "gradcheck"]
