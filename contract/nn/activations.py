"""Elementwise activations with torch's formulas and gradients: softplus, log-sigmoid, GELU;
and dropout (a mask drawn from ``ct.manual_seed``'s generator, applied as the broadcast
einsum ``ab,ab->ab``).

GELU needs ``erf``, which NumPy lacks: :func:`erf` is fdlibm's (Sun's ``s_erf.c``, the
one glibc uses) rational approximations, vectorised, accurate to an ulp in float64.

>>> import contract as ct
>>> import contract.nn.functional as F
>>> x = ct.tensor([-1., 0., 30.], requires_grad=True)
>>> F.softplus(x)
tensor([ 0.3133,  0.6931, 30.0000], grad_fn=<SoftplusBackward0>)
>>> F.gelu(x).sum().backward(); x.grad
tensor([-0.0833,  0.5000,  1.0000])
"""
import math

import numpy as np

from contract.tensors.core import record
from contract.errors import ContractError
from contract.tensors.core import Tensor, _xp_of
from contract.tensors.creation import _RNG
from contract.tensors.core import wrap
from contract.tensors.ops.softmax import (implicit_dim, log_softmax as tensor_log_softmax,
                                          softmax as tensor_softmax)
from contract.tensors.dispatch import overridable

_FLOAT32, _FLOAT64 = np.dtype("float32"), np.dtype("float64")

# fdlibm s_erf.c: erf on [0, 0.84375) (pp/qq), [0.84375, 1.25) (pa/qa), erfc on
# [1.25, 1/0.35) (ra/sa) and [1/0.35, 6) (rb/sb); coefficients lowest order first
_ERX = 8.45062911510467529297e-01
_PP = (1.28379167095512558561e-01, -3.25042107247001499370e-01, -2.84817495755985104766e-02,
       -5.77027029648944159157e-03, -2.37630166566501626084e-05)
_QQ = (1.0, 3.97917223959155352819e-01, 6.50222499887672944485e-02, 5.08130628187576562776e-03,
       1.32494738004321644526e-04, -3.96022827877536812320e-06)
_PA = (-2.36211856075265944077e-03, 4.14856118683748331666e-01, -3.72207876035701323847e-01,
       3.18346619901161753674e-01, -1.10894694282396677476e-01, 3.54783043256182359371e-02,
       -2.16637559486879084300e-03)
_QA = (1.0, 1.06420880400844228286e-01, 5.40397917702171048937e-01, 7.18286544141962662868e-02,
       1.26171219808761642112e-01, 1.36370839120290507362e-02, 1.19844998467991074170e-02)
_RA = (-9.86494403484714822705e-03, -6.93858572707181764372e-01, -1.05586262253232909814e+01,
       -6.23753324503260060396e+01, -1.62396669462573470355e+02, -1.84605092906711035994e+02,
       -8.12874355063065934246e+01, -9.81432934416914548592e+00)
_SA = (1.0, 1.96512716674392571292e+01, 1.37657754143519042600e+02, 4.34565877475229228821e+02,
       6.45387271733267880336e+02, 4.29008140027567833386e+02, 1.08635005541779435134e+02,
       6.57024977031928170135e+00, -6.04244152148580987438e-02)
_RB = (-9.86494292470009928597e-03, -7.99283237680523006574e-01, -1.77579549177547519889e+01,
       -1.60636384855821916062e+02, -6.37566443368389627722e+02, -1.02509513161107724954e+03,
       -4.83519191608651397019e+02)
_SB = (1.0, 3.03380607434824582924e+01, 3.25792512996573918826e+02, 1.53672958608443695994e+03,
       3.19985821950859553908e+03, 2.55305040643316442583e+03, 4.74528541206955367215e+02,
       -2.24409524465858183362e+01)


def _poly(coefficients, z):
    out = coefficients[-1]
    for c in coefficients[-2::-1]:
        out = out * z + c
    return out


def erf(x):
    """The error function of a float array (float64 arithmetic, fdlibm's approximations).

    >>> erf(np.array([0., 0.5, 1., 3., -np.inf])).round(8).tolist()
    [0.0, 0.52049988, 0.84270079, 0.99997791, -1.0]
    """
    xp = _xp_of(x)
    x = x.astype(_FLOAT64)
    a = xp.abs(x)
    with np.errstate(all="ignore"):
        z = x * x
        small = x + x * (_poly(_PP, z) / _poly(_QQ, z))
        s = a - 1.0
        middle = xp.copysign(_ERX + _poly(_PA, s) / _poly(_QA, s), x)
        s = 1.0 / z
        ratio = xp.where(a < 1 / 0.35, _poly(_RA, s) / _poly(_SA, s), _poly(_RB, s) / _poly(_SB, s))
        high = (a.view(np.uint64) & np.uint64(0xFFFFFFFF00000000)).view(_FLOAT64)
        tail = xp.exp(-high * high - 0.5625) * xp.exp((high - a) * (high + a) + ratio) / a
        large = xp.copysign(1.0 - tail, x)
    out = xp.where(a < 0.84375, small, xp.where(a < 1.25, middle, large))
    return xp.where(a >= 6.0, xp.copysign(1.0, x), out)


def _floating(input, what):
    if not isinstance(input, Tensor):
        raise ContractError(f"{what}(): input must be a Tensor, got {type(input).__name__}")
    if input.dtype.kind != "f":
        raise ContractError(f"{what}(): input must be a floating point tensor, got dtype "
                            f"{input.dtype}")
    return input._data


@overridable
def softplus(input, beta=1.0, threshold=20.0):
    """torch's ``F.softplus``: ``log(1 + exp(beta * x)) / beta``, and ``x`` where
    ``beta * x > threshold``; gradient ``sigmoid(beta * x)`` (1 past the threshold).

    >>> import contract as ct
    >>> import contract.nn.functional as F
    >>> F.softplus(ct.tensor([0., 100.]), beta=2)
    tensor([  0.3466, 100.0000])
    """
    x = _floating(input, "softplus")
    xp = _xp_of(x)
    scaled = x * x.dtype.type(beta)
    linear = scaled > threshold
    with np.errstate(over="ignore"):
        z = xp.exp(scaled)
        out = xp.where(linear, x, xp.log1p(z) / x.dtype.type(beta))

    def vjp(g):
        with np.errstate(all="ignore"):
            return (xp.where(linear, g, g * z / (z + 1)),)
    return record("Softplus", out, (input,), vjp)


@overridable
def logsigmoid(input):
    """torch's ``F.logsigmoid``: ``log(sigmoid(x)) = min(x, 0) - log1p(exp(-|x|))`` (stable);
    gradient ``sigmoid(-x)``.

    >>> import contract as ct
    >>> import contract.nn.functional as F
    >>> F.logsigmoid(ct.tensor([-200., 0.]))
    tensor([-200.0000,   -0.6931])
    """
    x = _floating(input, "logsigmoid")
    xp = _xp_of(x)
    e = xp.exp(-xp.abs(x))
    out = xp.minimum(x, 0) - xp.log1p(e)

    def vjp(g):
        below = xp.where(x < 0, 1, e) / (1 + e)       # sigmoid(-x), from exp(-|x|)
        return (g * below.astype(x.dtype, copy=False),)
    return record("LogSigmoid", out, (input,), vjp)


_SQRT_HALF, _INV_SQRT_2PI = math.sqrt(0.5), 1.0 / math.sqrt(2.0 * math.pi)
_TANH_BETA, _TANH_KAPPA = math.sqrt(2.0 / math.pi), 0.044715


@overridable
def gelu(input, approximate="none"):
    """torch's ``F.gelu``: ``x * Phi(x)`` with ``Phi`` the normal CDF ``(1 + erf(x / sqrt 2)) / 2``,
    or ``approximate="tanh"``: ``x / 2 * (1 + tanh(sqrt(2 / pi) * (x + 0.044715 x^3)))``.

    >>> import contract as ct
    >>> import contract.nn.functional as F
    >>> F.gelu(ct.tensor([-1., 1.])), F.gelu(ct.tensor([1.]), approximate="tanh")
    (tensor([-0.1587,  0.8413]), tensor([0.8412]))
    """
    x = _floating(input, "gelu")
    if approximate not in ("none", "tanh"):
        raise ContractError(f"gelu(): approximate must be 'none' or 'tanh', got {approximate!r}")
    xp = _xp_of(x)
    if approximate == "tanh":
        inner = xp.tanh(_TANH_BETA * (x + _TANH_KAPPA * x * x * x))
        out = 0.5 * x * (1 + inner)

        def vjp(g):
            slope = _TANH_BETA * (1 + 3 * _TANH_KAPPA * x * x)
            return ((g * (0.5 * (1 + inner) + 0.5 * x * (1 - inner * inner) * slope)).astype(
                x.dtype, copy=False),)
    else:
        cdf = (0.5 * (1 + erf(x * _SQRT_HALF))).astype(x.dtype)
        out = x * cdf

        def vjp(g):
            density = (xp.exp(-0.5 * x * x) * _INV_SQRT_2PI).astype(x.dtype, copy=False)
            return (g * (cdf + x * density),)
    return record("Gelu", out.astype(x.dtype, copy=False), (input,), vjp)


@overridable
def dropout(input, p=0.5, training=True, inplace=False):
    """torch's ``F.dropout``: zero each element with probability ``p`` and scale the rest by
    ``1 / (1 - p)`` (training only); the mask comes from ``ct.manual_seed``'s generator.

    >>> import contract as ct
    >>> import contract.nn.functional as F
    >>> _ = ct.manual_seed(0)
    >>> F.dropout(ct.ones(8), p=0.5)
    tensor([2., 0., 0., 0., 2., 2., 2., 2.])
    >>> F.dropout(ct.ones(2), p=0.5, training=False)
    tensor([1., 1.])
    """
    if not 0.0 <= p <= 1.0:
        raise ContractError(f"dropout probability has to be between 0 and 1, but got {p}")
    if not isinstance(input, Tensor):
        raise ContractError(f"dropout(): input must be a Tensor, got {type(input).__name__}")
    if not training or p == 0.0:
        return input
    xp = _xp_of(input._data)
    keep = _RNG[0].random(tuple(input.shape)) >= p
    scale = 0.0 if p == 1.0 else 1.0 / (1.0 - p)
    mask = wrap(xp.asarray(keep * scale, dtype=input.dtype))
    return input.mul_(mask) if inplace else input * mask


@overridable
def softmax(input, dim=None, _stacklevel=3, dtype=None):
    """torch's ``F.softmax``: ``exp(x) / sum(exp(x))`` along ``dim`` (see ``ct.softmax``).
    ``_stacklevel`` is accepted as torch has it; the implicit-``dim`` warning always points
    at the first line outside contract.

    >>> import contract as ct
    >>> import contract.nn.functional as F
    >>> F.softmax(ct.tensor([[1., 1.], [0., 0.]]), dim=0)
    tensor([[0.7311, 0.7311],
            [0.2689, 0.2689]])
    """
    if dim is None:
        dim = implicit_dim(input, "softmax")
    return tensor_softmax(input, dim, dtype)


@overridable
def log_softmax(input, dim=None, _stacklevel=3, dtype=None):
    """torch's ``F.log_softmax``: ``x - logsumexp(x, dim)`` (see ``ct.log_softmax``).

    >>> import contract as ct
    >>> import contract.nn.functional as F
    >>> F.log_softmax(ct.tensor([0., 0.]), dim=0)
    tensor([-0.6931, -0.6931])
    """
    if dim is None:
        dim = implicit_dim(input, "log_softmax")
    return tensor_log_softmax(input, dim, dtype)


__all__ = ["dropout", "gelu", "log_softmax", "logsigmoid", "softmax", "softplus"]
