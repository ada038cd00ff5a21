"""``ct.optim``: SGD, Adam and AdamW with torch's update rules, on the parameters' arrays.

An optimizer holds ``param_groups`` (dicts: ``"params"`` plus the hyper-parameters, which
may be changed between steps, e.g. ``group["lr"]``) and per-parameter ``state``
(``momentum_buffer``; ``step``, ``exp_avg``, ``exp_avg_sq``).  ``step()`` updates every
parameter that has a ``.grad`` in place, without recording a graph, with the operations
in torch's order (``torch.optim``'s single-tensor code), so float64 runs match torch's to
rounding.  ``zero_grad()`` clears the gradients (to None by default, as torch).

>>> import contract as ct
>>> w = ct.nn.Parameter(ct.tensor([1.0, -2.0]))
>>> opt = ct.optim.SGD([w], lr=0.1, momentum=0.9)
>>> for _ in range(2):
...     opt.zero_grad()
...     (w * w).sum().backward()      # gradient 2w
...     opt.step()
>>> w
tensor([ 0.4600, -0.9200], requires_grad=True)
"""
import math

from contract.autograd import enable_grad
from contract.errors import ContractError
from contract.tensors.core import Tensor, _xp_of
from contract.autograd.versions import note_write


class Optimizer:
    """Base class: parameter groups, per-parameter state, ``zero_grad``, ``step``.

    Subclasses define ``_update(param, grad, state, group)`` on backend arrays (in place).

    >>> import contract as ct
    >>> class SignSGD(ct.optim.Optimizer):
    ...     def __init__(self, params, lr=0.1):
    ...         super().__init__(params, {"lr": lr})
    ...     def _update(self, param, grad, state, group):
    ...         param -= group["lr"] * (grad > 0) - group["lr"] * (grad < 0)
    >>> w = ct.nn.Parameter(ct.tensor([1.0, 1.0]))
    >>> w.grad = ct.tensor([3.0, -0.5]); SignSGD([w]).step(); w
    tensor([0.9000, 1.1000], requires_grad=True)
    """

    def __init__(self, params, defaults):
        self.defaults = dict(defaults)
        self.state = {}
        self.param_groups = []
        groups = list(params) if not isinstance(params, Tensor) else None
        if groups is None:
            raise ContractError("params argument given to the optimizer should be an iterable "
                                "of Tensors or dicts, but got a Tensor")
        if not groups:
            raise ContractError("optimizer got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    def add_param_group(self, param_group):
        """Add a dict with ``"params"`` (and hyper-parameters overriding the defaults).

        >>> import contract as ct
        >>> a, b = ct.nn.Parameter(ct.ones(1)), ct.nn.Parameter(ct.ones(1))
        >>> opt = ct.optim.SGD([a], lr=0.1)
        >>> opt.add_param_group({"params": [b], "lr": 0.01})
        >>> [g["lr"] for g in opt.param_groups]
        [0.1, 0.01]
        """
        if not isinstance(param_group, dict):
            raise ContractError(f"param_group must be a dict, got {type(param_group).__name__}")
        group = dict(param_group)
        params = group["params"]
        params = [params] if isinstance(params, Tensor) else list(params)
        names = [p[0] for p in params if isinstance(p, tuple)]
        params = [p[1] if isinstance(p, tuple) else p for p in params]
        for p in params:
            if not isinstance(p, Tensor):
                raise ContractError(f"optimizer can only optimize Tensors, but one of the "
                                    f"params is {type(p).__name__}")
            if not p.is_leaf:
                raise ContractError("can't optimize a non-leaf Tensor")
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        if any(id(p) in seen for p in params) or len({id(p) for p in params}) < len(params):
            raise ContractError("some parameters appear in more than one parameter group")
        group["params"] = params
        if names:
            group["param_names"] = names
        for key, value in self.defaults.items():
            group.setdefault(key, value)
        self.param_groups.append(group)

    def zero_grad(self, set_to_none=True):
        """Clear every parameter's ``.grad`` (to None, or to zeros in place).

        >>> import contract as ct
        >>> w = ct.nn.Parameter(ct.ones(2)); w.grad = ct.ones(2)
        >>> opt = ct.optim.SGD([w]); opt.zero_grad(set_to_none=False); w.grad
        tensor([0., 0.])
        """
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                if set_to_none:
                    p.grad = None
                else:
                    p.grad._data[...] = 0

    def step(self, closure=None):
        """Update every parameter that has a gradient; ``closure`` re-evaluates the loss first
        (with gradients on) and its value is returned.

        >>> import contract as ct
        >>> w = ct.nn.Parameter(ct.tensor([2.0]))
        >>> opt = ct.optim.SGD([w], lr=0.25)
        >>> def closure():
        ...     opt.zero_grad(); loss = (w * w).sum(); loss.backward(); return loss
        >>> opt.step(closure), w
        (tensor(4., grad_fn=<SumBackward0>), tensor([1.], requires_grad=True))
        """
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                grad = p.grad._data
                if group.get("maximize", False):
                    grad = -grad
                self._update(p._data, grad, self.state.setdefault(p, {}), group)
                note_write(p._data)
        return loss

    def _update(self, param, grad, state, group):
        raise NotImplementedError(f"{type(self).__name__} does not define _update")

    def __repr__(self):
        lines = [f"{type(self).__name__} ("]
        for k, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {k}")
            lines += [f"    {key}: {value}" for key, value in sorted(group.items())
                      if key not in ("params", "param_names")]
        return "\n".join(lines + [")"])


def _check(condition, message):
    if not condition:
        raise ContractError(message)


class SGD(Optimizer):
    """torch's ``optim.SGD``: ``g += weight_decay * p``; with momentum ``buf = momentum * buf
    + (1 - dampening) * g`` (``buf = g`` the first time) and ``g = buf`` (nesterov:
    ``g + momentum * buf``); then ``p -= lr * g``.

    >>> import contract as ct
    >>> w = ct.nn.Parameter(ct.tensor([1.0]))
    >>> opt = ct.optim.SGD([w], lr=0.5, weight_decay=0.1)
    >>> w.grad = ct.tensor([2.0]); opt.step(); w
    tensor([-0.0500], requires_grad=True)
    """

    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0,
                 nesterov=False, *, maximize=False):
        _check(lr >= 0, f"Invalid learning rate: {lr}")
        _check(momentum >= 0, f"Invalid momentum value: {momentum}")
        _check(weight_decay >= 0, f"Invalid weight_decay value: {weight_decay}")
        _check(not nesterov or (momentum > 0 and dampening == 0),
               "Nesterov momentum requires a momentum and zero dampening")
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening,
                                      weight_decay=weight_decay, nesterov=nesterov,
                                      maximize=maximize))

    def _update(self, param, grad, state, group):
        if group["weight_decay"]:
            grad = grad + group["weight_decay"] * param
        momentum = group["momentum"]
        if momentum:
            buf = state.get("momentum_buffer")
            if buf is None:
                buf = state["momentum_buffer"] = grad.copy()
            else:
                buf *= momentum
                buf += (1 - group["dampening"]) * grad
            grad = grad + momentum * buf if group["nesterov"] else buf
        param -= group["lr"] * grad


class Adam(Optimizer):
    """torch's ``optim.Adam``: ``m = b1 m + (1 - b1) g``, ``v = b2 v + (1 - b2) g^2``,
    ``p -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)``; ``weight_decay`` adds
    ``wd * p`` to ``g`` (``decoupled_weight_decay=True``: AdamW's ``p *= 1 - lr * wd``);
    ``amsgrad`` uses the running maximum of ``v``.

    >>> import contract as ct
    >>> w = ct.nn.Parameter(ct.tensor([1.0, -1.0]))
    >>> opt = ct.optim.Adam([w], lr=0.1)
    >>> w.grad = ct.tensor([3.0, -0.5]); opt.step(); w        # the first step is lr * sign(g)
    tensor([ 0.9000, -0.9000], requires_grad=True)
    """

    _decoupled = False

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 amsgrad=False, *, maximize=False, decoupled_weight_decay=None):
        _check(lr >= 0, f"Invalid learning rate: {lr}")
        _check(eps >= 0, f"Invalid epsilon value: {eps}")
        for k, beta in enumerate(betas):
            _check(0 <= beta < 1, f"Invalid beta parameter at index {k}: {beta}")
        _check(weight_decay >= 0, f"Invalid weight_decay value: {weight_decay}")
        decoupled = self._decoupled if decoupled_weight_decay is None else decoupled_weight_decay
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps,
                                      weight_decay=weight_decay, amsgrad=amsgrad,
                                      maximize=maximize, decoupled_weight_decay=decoupled))

    def _update(self, param, grad, state, group):
        beta1, beta2 = group["betas"]
        lr, wd = group["lr"], group["weight_decay"]
        xp = _xp_of(param)
        if not state:
            state.update(step=0, exp_avg=xp.zeros_like(param), exp_avg_sq=xp.zeros_like(param))
            if group["amsgrad"]:
                state["max_exp_avg_sq"] = xp.zeros_like(param)
        state["step"] += 1
        if wd and group["decoupled_weight_decay"]:
            param *= 1 - lr * wd
        elif wd:
            grad = grad + wd * param
        exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
        exp_avg += (grad - exp_avg) * (1 - beta1)              # torch's lerp_
        exp_avg_sq *= beta2
        exp_avg_sq += (1 - beta2) * (grad * grad.conj())
        step = state["step"]
        step_size = lr / (1 - beta1 ** step)
        correction = math.sqrt(1 - beta2 ** step)
        second = exp_avg_sq
        if group["amsgrad"]:
            second = xp.maximum(state["max_exp_avg_sq"], exp_avg_sq, out=state["max_exp_avg_sq"])
        denominator = xp.sqrt(second) / correction + group["eps"]
        param -= step_size * (exp_avg / denominator)


class AdamW(Adam):
    """torch's ``optim.AdamW``: Adam with decoupled weight decay, ``p *= 1 - lr * wd`` before
    the update (``weight_decay=0.01`` by default).

    >>> import contract as ct
    >>> w = ct.nn.Parameter(ct.tensor([1.0]))
    >>> opt = ct.optim.AdamW([w], lr=0.1, weight_decay=0.5)
    >>> w.grad = ct.tensor([0.0]); opt.step(); w              # decay only: 1 * (1 - 0.05)
    tensor([0.9500], requires_grad=True)
    """

    _decoupled = True

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2,
                 amsgrad=False, *, maximize=False):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, maximize=maximize)


__all__ = ["SGD", "Adam", "AdamW", "Optimizer"]
