"""Losses: cross-entropy, NLL, MSE, L1 and BCE-with-logits, each an einsum over the batch.

- ``mse_loss`` is the einsum ``abc,abc->`` of ``d = input - target`` with itself (times
  ``1/n`` for the mean); ``l1_loss`` the sum einsum of ``|d|``.
- ``cross_entropy`` with class indices is ``logsumexp(x) - x[target]`` per row: the
  log-semiring einsum ``nc->n`` (``log`` of the real sum of ``exp(x)``; the maxplus
  shift only on rows that need it, see :mod:`contract.tensors.ops.softmax`) and a gather.  It is
  one recorded op whose backward is ``softmax(x) * a - onehot * b`` (``a``, ``b`` per
  row), so forward and backward make two passes over the logits, as torch's fused
  kernels do.  Label smoothing adds ``lse * sum(w) - einsum("nc,c->n", x, w)``.
- ``cross_entropy`` with class probabilities is the einsum ``nc,nc,c->n`` of
  ``log_softmax(x)``, the (smoothed) target and the class weights.
- ``nll_loss`` gathers ``-input[n, target[n]]``, weighted; ``binary_cross_entropy_with_logits``
  is ``(1 - t) * x - log_sigmoid(x)`` (``pos_weight`` scales the second term).

``reduction="mean"`` divides by the summed weights of the counted targets (torch's rule),
so a batch whose targets are all ``ignore_index`` gives NaN, as torch's does.

>>> import contract as ct
>>> import contract.nn.functional as F
>>> logits = ct.tensor([[2., 0., 0.], [0., 0., 3.]], requires_grad=True)
>>> loss = F.cross_entropy(logits, ct.tensor([0, 2]))
>>> round(loss.item(), 4)
0.1672
>>> loss.backward(); logits.grad[0]
tensor([-0.1065,  0.0533,  0.0533])
"""
import math
import warnings

import numpy as np

from contract.autograd import is_grad_enabled
from contract.tensors.core import record
from contract.engine.api import einsum
from contract.errors import ContractError, ShapeError
from contract.tensors.ops.reduce import reduce_equation
from contract.tensors.ops.softmax import along_rows, exp_rows, log_softmax
from contract.tensors.core import Tensor, _xp_of
from contract.tensors.core import wrap
from contract.nn.activations import logsigmoid
from contract.tensors.dispatch import overridable

_REDUCTIONS = ("none", "mean", "sum")
_FLOAT16, _FLOAT32, _FLOAT64 = np.dtype("float16"), np.dtype("float32"), np.dtype("float64")


# -- arguments ---------------------------------------------------------------------------
def _reduction(size_average, reduce, reduction):
    """torch's reduction string, from ``reduction`` or the legacy ``size_average``/``reduce``."""
    if size_average is not None or reduce is not None:
        if reduce is False:
            return "none"
        return "sum" if size_average is False else "mean"
    if reduction not in _REDUCTIONS:
        raise ContractError(f"{reduction!r} is not a valid value for reduction (one of "
                            f"'none', 'mean', 'sum')")
    return reduction


def _tensor(value, name, what):
    if isinstance(value, Tensor):
        return value
    if hasattr(value, "shape") and hasattr(value, "dtype"):
        from contract.tensors.creation import as_tensor
        return as_tensor(value)
    raise ContractError(f"{what}(): {name} must be a Tensor, got {type(value).__name__}")


def _float_input(input, what):
    input = _tensor(input, "input", what)
    if input.dtype.kind != "f":
        raise ContractError(f"{what}(): input must be a floating point tensor, got dtype "
                            f"{input.dtype}")
    if input.ndim == 0:
        raise ContractError(f"{what}(): input must have a class dim (at least 1-D), got a 0-d "
                            f"tensor")
    return input


def _class_weight(weight, classes, dtype, what):
    """The per-class weight as an array of ``dtype`` (no gradient, as torch's), or None."""
    if weight is None:
        return None
    data = _tensor(weight, "weight", what)._data
    if tuple(data.shape) != (classes,):
        raise ShapeError(f"{what}(): weight should be defined for all {classes} classes, got "
                         f"weight of shape {tuple(data.shape)}")
    return data.astype(dtype, copy=False)


def _class_targets(input, target, ignore_index, what):
    """Integer targets checked against the input's shape and class count:
    ``(flat target, flat valid mask, flat target with ignored entries set to 0)``."""
    target = _tensor(target, "target", what)
    if target.dtype.kind not in "iu":
        raise ContractError(f"{what}(): class-index targets must be an integer tensor, got "
                            f"dtype {target.dtype} (probabilities need the input's shape)")
    shape = tuple(input.shape)
    expected = () if len(shape) == 1 else (shape[0],) + shape[2:]
    if tuple(target.shape) != expected:
        raise ShapeError(f"{what}(): expected target of shape {list(expected)} for input of "
                         f"shape {list(shape)}, got target of shape {list(target.shape)}")
    t = target._data.reshape(-1)
    xp = _xp_of(t)
    valid = t != ignore_index
    safe = xp.where(valid, t, 0)
    classes = shape[0] if len(shape) == 1 else shape[1]
    if safe.size and (int(safe.min()) < 0 or int(safe.max()) >= classes):
        bad = safe[(safe < 0) | (safe >= classes)][0]
        raise ContractError(f"{what}(): Target {int(bad)} is out of bounds (classes 0 to "
                            f"{classes - 1}, ignore_index {ignore_index})")
    return t, valid, safe


def _rows(x):
    """A ``(rows, classes)`` view or copy of logits whose class dim is 1 (or 0 when 1-D)."""
    if x.ndim == 1:
        return x[None]
    if x.ndim == 2:
        return x
    return _xp_of(x).moveaxis(x, 1, -1).reshape(-1, x.shape[1])


def _unrows(grad, shape):
    """Undo :func:`_rows` on a gradient."""
    if len(shape) <= 2:
        return grad.reshape(shape)
    moved = grad.reshape((shape[0],) + tuple(shape[2:]) + (shape[1],))
    return _xp_of(grad).moveaxis(moved, -1, 1)


# -- cross-entropy with class indices: one recorded op -------------------------------------
def rows_softmax_lse(x, need_softmax):
    """``(softmax, lse)`` over the rows of a 2-D float array; ``lse`` in float64.

    ``exp(x)`` is summed by the einsum ``ab,b->a`` block by block (``exp_rows``); rows where
    that sum is not in ``[1, inf)`` are redone with the maxplus shift.  ``softmax`` is None
    unless asked for.

    >>> p, lse = rows_softmax_lse(np.array([[0., 0.], [1000., 1000.]]), True)
    >>> p[1].tolist(), lse.round(4).tolist()
    ([0.5, 0.5], [0.6931, 1000.6931])
    """
    xp = _xp_of(x)
    x = xp.ascontiguousarray(x)
    e, s, bad = exp_rows(x, "softmax" if need_softmax else "sums")
    with np.errstate(all="ignore"):
        lse = xp.log(s.astype(_FLOAT64))
        if bad.any():
            rows = x[bad]
            shift = einsum("ab->a", rows, semiring="maxplus")
            shifted = xp.exp(rows - shift[:, None])
            total = einsum("ab->a", shifted)
            lse[bad] = shift + xp.log(total.astype(_FLOAT64))
            if need_softmax:
                e[bad] = shifted / total[:, None]
    return e, lse


def _smoothing_terms(x2, w, valid, lse, smoothing):
    """Label smoothing's per-row term ``-sum_c w_c log p_c``: ``lse * sum(w) - x @ w``."""
    classes = x2.shape[1]
    dot = einsum("nc->n", x2) if w is None else einsum("nc,c->n", x2, w)
    total = classes if w is None else float(einsum("c->", w.astype(_FLOAT64)))
    return valid * (total * lse - dot) * (smoothing / classes), total


def _ce_indices(input, target, weight, ignore_index, reduction, smoothing):
    data = input._data
    x = data.astype(_FLOAT32) if data.dtype == _FLOAT16 else data
    x2 = _rows(x)
    _, valid, safe = _class_targets(input, target, ignore_index, "cross_entropy")
    w = _class_weight(weight, x2.shape[1], x.dtype, "cross_entropy")
    xp = _xp_of(x2)
    wt = valid.astype(_FLOAT64) if w is None else xp.where(valid, w[safe], 0).astype(_FLOAT64)
    need = is_grad_enabled() and input.requires_grad
    p, lse = rows_softmax_lse(x2, need) if x2.size else (x2.copy(), xp.zeros(x2.shape[0]))
    picked = xp.take_along_axis(x2, safe[:, None], axis=1)[:, 0]
    with np.errstate(all="ignore"):
        loss = wt * (lse - picked) * (1 - smoothing)
        total = 0.0
        if smoothing:
            smooth, total = _smoothing_terms(x2, w, valid, lse, smoothing)
            loss += smooth
        value, scale = _reduced(loss, wt, reduction, target.shape)
    out = value.astype(data.dtype)
    row_weight = (1 - smoothing) * wt + (smoothing / x2.shape[1]) * total * valid

    def vjp(g):
        coef = (g.astype(_FLOAT64).reshape(-1) if reduction == "none" else
                xp.full(x2.shape[0], float(g) * scale))
        grad = along_rows(xp.multiply, p, (coef * row_weight).astype(p.dtype)[:, None])
        grad[xp.arange(x2.shape[0]), safe] -= (coef * wt * (1 - smoothing)).astype(p.dtype)
        if smoothing:
            ones = xp.ones(x2.shape[1], p.dtype) if w is None else w
            grad -= einsum("n,c->nc", (coef * valid * smoothing / x2.shape[1]).astype(
                p.dtype), ones)
        return (_unrows(grad, data.shape).astype(data.dtype, copy=False),)
    return record("NllLoss", out, (input,), vjp)


def _reduced(loss, weights, reduction, shape):
    """``(value, d value / d loss_i)`` of a per-row float64 loss under ``reduction``."""
    if reduction == "none":
        return loss.reshape(tuple(shape)), 1.0
    total = einsum("n->", loss)
    if reduction == "sum":
        return total, 1.0
    denominator = float(einsum("n->", weights))
    with np.errstate(all="ignore"):
        # torch: nothing counted (all ignore_index) gives NaN, and a zero gradient
        return total / np.float64(denominator), (1.0 / denominator if denominator else 0.0)


# -- cross-entropy with probabilities, NLL: compositions -------------------------------------
def _probability_equation(ndim, weighted):
    """``nc...,nc...[,c]->n...``: the per-sample sum over classes (``c,c->`` when 1-D)."""
    if ndim == 1:
        return "c,c,c->" if weighted else "c,c->"
    return "nc...,nc...,c->n..." if weighted else "nc...,nc...->n..."


def _ce_probabilities(input, target, weight, ignore_index, reduction, smoothing):
    if target.dtype.kind != "f":
        raise ContractError(f"cross_entropy(): expected a floating point target for class "
                            f"probabilities (same shape as input), got dtype {target.dtype}")
    if ignore_index >= 0:
        raise ContractError("cross_entropy(): ignore_index is not supported for floating point "
                            "(probability) targets")
    axis = 0 if input.ndim == 1 else 1
    classes = input.shape[axis]
    logp = log_softmax(input, axis)
    if smoothing:
        target = target * (1 - smoothing) + smoothing / classes
    w = _class_weight(weight, classes, logp.dtype, "cross_entropy")
    operands = (logp, target) + (() if w is None else (w,))
    per_sample = -einsum(_probability_equation(input.ndim, w is not None), *operands)
    if reduction == "none":
        return per_sample
    total = per_sample.sum()
    if reduction == "sum":
        return total
    count = input.numel() // classes if classes else 0
    with np.errstate(all="ignore"):
        return total / count if count else total * math.nan


@overridable
def cross_entropy(input, target, weight=None, size_average=None, ignore_index=-100,
                  reduce=None, reduction="mean", label_smoothing=0.0):
    """torch's ``F.cross_entropy``: ``-log softmax(input)[target]`` (class indices, ``ignore_index``)
    or ``-sum(target * log softmax(input))`` (probabilities, same shape as ``input``); the class
    dim is 1 (0 for a 1-D input); ``weight`` per class; ``label_smoothing`` in ``[0, 1]``.

    >>> import contract as ct
    >>> import contract.nn.functional as F
    >>> x = ct.tensor([[1., 2., 3.], [1., 1., 1.]])
    >>> F.cross_entropy(x, ct.tensor([2, -100]))            # the second row is ignored
    tensor(0.4076)
    >>> F.cross_entropy(x, ct.tensor([[0., 0., 1.], [1., 0., 0.]]), reduction="none")
    tensor([0.4076, 1.0986])
    """
    reduction = _reduction(size_average, reduce, reduction)
    input = _float_input(input, "cross_entropy")
    target = _tensor(target, "target", "cross_entropy")
    if not 0.0 <= label_smoothing <= 1.0:
        raise ContractError(f"cross_entropy(): label_smoothing must be between 0.0 and 1.0, got "
                            f"{label_smoothing}")
    if tuple(target.shape) == tuple(input.shape):
        return _ce_probabilities(input, target, weight, ignore_index, reduction,
                                 float(label_smoothing))
    return _ce_indices(input, target, weight, ignore_index, reduction, float(label_smoothing))


@overridable
def nll_loss(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None,
             reduction="mean"):
    """torch's ``F.nll_loss``: ``-input[n, target[n]]`` weighted by ``weight[target[n]]``;
    targets equal to ``ignore_index`` count for nothing (``"mean"`` divides by the weights of
    the rest).

    >>> import contract as ct
    >>> import contract.nn.functional as F
    >>> logp = ct.tensor([[-0.5, -1.0], [-2.0, -0.1]])
    >>> F.nll_loss(logp, ct.tensor([0, 1]), weight=ct.tensor([1., 3.]))
    tensor(0.2000)
    """
    reduction = _reduction(size_average, reduce, reduction)
    input = _float_input(input, "nll_loss")
    t, valid, safe = _class_targets(input, target, ignore_index, "nll_loss")
    axis = 0 if input.ndim == 1 else 1
    w = _class_weight(weight, input.shape[axis], input.dtype, "nll_loss")
    xp = _xp_of(t)
    weights = (valid if w is None else xp.where(valid, w[safe], 0)).astype(input.dtype)
    index_shape = (1,) if input.ndim == 1 else (input.shape[0], 1) + tuple(input.shape[2:])
    picked = input.gather(axis, safe.reshape(index_shape)).squeeze(axis)
    shape = tuple(picked.shape)
    loss = -(picked * wrap(weights.reshape(shape)))
    if reduction == "none":
        return loss
    total = loss.sum()
    if reduction == "sum":
        return total
    return _mean_over(total, float(einsum("n->", weights.astype(_FLOAT64))))


def _mean_over(total, count):
    """``total / count``; a zero ``count`` gives NaN with a zero gradient, as torch's losses."""
    with np.errstate(all="ignore"):
        value = total._data / total._data.dtype.type(count)
    scale = 1.0 / count if count else 0.0
    return record("Div", value, (total,), lambda g: (g * g.dtype.type(scale),))


# -- regression and binary losses ------------------------------------------------------------
def _pointwise(what, input, target, weight, reduction, power):
    """``weight * |input - target|^power`` reduced: the einsum ``...,...->`` (``power=2``: of the
    difference with itself; ``power=1``: of ``|d|``), over ``sum(weight)`` or ``n`` for the mean."""
    input, target = _tensor(input, "input", what), _tensor(target, "target", what)
    if tuple(target.shape) != tuple(input.shape):
        warnings.warn(f"Using a target size ({tuple(target.shape)}) that is different to the "
                      f"input size ({tuple(input.shape)}). This will likely lead to incorrect "
                      f"results due to broadcasting. Please ensure they have the same size.",
                      UserWarning, stacklevel=3)
    diff = input - target
    factors = (diff, diff) if power == 2 else (diff.abs(),)
    if weight is not None:
        weight = _tensor(weight, "weight", what)
        if tuple(weight.shape) != tuple(input.shape):
            raise ShapeError(f"{what}(): weight must have the input's shape {tuple(input.shape)},"
                             f" got {tuple(weight.shape)}")
        factors += (weight,)
    summed = () if reduction == "none" else tuple(range(diff.ndim))
    total = einsum(reduce_equation(diff.ndim, summed, len(factors)), *factors)   # cached text
    if reduction == "none":
        return total
    if reduction == "sum":
        return total
    with np.errstate(all="ignore"):
        return total / (weight.sum() if weight is not None else float(diff.numel()))


@overridable
def mse_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    """torch's ``F.mse_loss``: the mean (or sum) of ``(input - target)^2``, the einsum
    ``ab,ab->`` of the difference with itself; ``weight`` (input's shape) weights each term.

    >>> import contract as ct
    >>> import contract.nn.functional as F
    >>> F.mse_loss(ct.tensor([1., 2., 3.]), ct.tensor([1., 0., 0.]))
    tensor(4.3333)
    """
    return _pointwise("mse_loss", input, target, weight,
                      _reduction(size_average, reduce, reduction), 2)


@overridable
def l1_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    """torch's ``F.l1_loss``: the mean (or sum) of ``|input - target|``.

    >>> import contract as ct
    >>> import contract.nn.functional as F
    >>> F.l1_loss(ct.tensor([1., 2., 3.]), ct.tensor([1., 0., 0.]), reduction="sum")
    tensor(5.)
    """
    return _pointwise("l1_loss", input, target, weight,
                      _reduction(size_average, reduce, reduction), 1)


@overridable
def binary_cross_entropy_with_logits(input, target, weight=None, size_average=None, reduce=None,
                                     reduction="mean", pos_weight=None):
    """torch's ``F.binary_cross_entropy_with_logits``: ``(1 - t) * x - log_sigmoid(x)`` per
    element (``pos_weight`` multiplies ``log_sigmoid(x)`` by ``1 + (pos_weight - 1) * t``),
    times ``weight``, reduced.

    >>> import contract as ct
    >>> import contract.nn.functional as F
    >>> F.binary_cross_entropy_with_logits(ct.tensor([0., 2.]), ct.tensor([1., 0.]))
    tensor(1.4100)
    """
    reduction = _reduction(size_average, reduce, reduction)
    input = _float_input(input, "binary_cross_entropy_with_logits")
    target = _tensor(target, "target", "binary_cross_entropy_with_logits")
    if tuple(target.shape) != tuple(input.shape):
        raise ShapeError(f"binary_cross_entropy_with_logits(): target size "
                         f"{tuple(target.shape)} must be the same as input size "
                         f"{tuple(input.shape)}")
    log_sig = logsigmoid(input)
    if pos_weight is not None:
        pos_weight = _tensor(pos_weight, "pos_weight", "binary_cross_entropy_with_logits")
        log_sig = log_sig * ((pos_weight - 1) * target + 1)
    loss = (1 - target) * input - log_sig
    if weight is not None:
        loss = loss * _tensor(weight, "weight", "binary_cross_entropy_with_logits")
    if reduction == "none":
        return loss
    return loss.sum() if reduction == "sum" else loss.mean()


__all__ = ["binary_cross_entropy_with_logits", "cross_entropy", "l1_loss", "mse_loss",
           "nll_loss"]
