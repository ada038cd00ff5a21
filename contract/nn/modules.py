"""``ct.nn.Module``, ``ct.nn.Parameter`` and a few layers, the torch way.

A Module registers the Parameters and sub-Modules assigned to its attributes;
``parameters()`` / ``named_parameters()`` walk nested modules (each Parameter
once); ``zero_grad()`` clears their gradients; ``module(x)`` calls ``forward``.

>>> import contract as ct
>>> class SumLayer(ct.nn.Module):
...     def forward(self, x):
...         return ct.sum(x, dim=1)
>>> SumLayer()(ct.ones(8, 32, 64)).shape
ct.Size([8, 64])
>>> net = ct.nn.Sequential(ct.nn.Linear(3, 4), ct.nn.ReLU(), ct.nn.Linear(4, 1))
>>> [name for name, _ in net.named_parameters()]
['0.weight', '0.bias', '2.weight', '2.bias']
"""
import math
from collections import OrderedDict

from contract.errors import ContractError
from contract.nn import functional as F
from contract.nn._graph import is_tensor
from contract.tensors.core import Tensor
from contract.tensors.creation import as_tensor, rand, tensor as new_tensor

class Parameter(Tensor):
    """A leaf Tensor that a Module registers as trainable (``requires_grad=True``).

    ``Parameter(data)`` shares ``data``'s memory; results of operations on it
    are plain Tensors, as in torch.

    >>> import contract as ct
    >>> p = ct.nn.Parameter(ct.zeros(2))
    >>> p.requires_grad, isinstance(p, ct.nn.Parameter), isinstance(p, ct.Tensor)
    (True, True, True)
    >>> isinstance(p * 2, ct.nn.Parameter)
    False
    """

    __slots__ = ()

    def __new__(cls, data=None, requires_grad=True):
        if data is None:
            data = new_tensor([])
        source = data if is_tensor(data) else as_tensor(data)
        param = cls._wrap(source._data)
        if requires_grad:
            param.requires_grad_(True)
        return param

    def __init__(self, data=None, requires_grad=True):
        """Everything is set up by ``__new__`` (Tensor's own ``__init__`` must not run)."""


def _uniform(shape, bound):
    """A Parameter drawn from U(-bound, bound) with contract's seeded generator."""
    return Parameter((rand(*shape) * (2 * bound) - bound).detach())


class Module:
    """Base class of layers and models: override ``forward``; call the module itself."""

    def __init__(self):
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_modules", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "training", True)

    def _registry(self, name):
        if "_parameters" not in self.__dict__:
            Module.__init__(self)
        return self.__dict__[name]

    def __setattr__(self, name, value):
        params, modules = self._registry("_parameters"), self._registry("_modules")
        params.pop(name, None)
        modules.pop(name, None)
        if isinstance(value, Parameter):
            params[name] = value
        elif isinstance(value, Module):
            modules[name] = value
        elif name in self._registry("_buffers"):
            self._buffers[name] = value
        object.__setattr__(self, name, value)

    def __delattr__(self, name):
        for registry in ("_parameters", "_modules", "_buffers"):
            self._registry(registry).pop(name, None)
        object.__delattr__(self, name)

    # -- running ---------------------------------------------------------------------
    def forward(self, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__} has no forward(); define one")

    def __call__(self, *args, **kwargs):
        return self.forward(*args, **kwargs)

    # -- registration ----------------------------------------------------------------
    def register_parameter(self, name, param):
        """Register ``param`` (a Parameter, or None) under ``name``."""
        if param is not None and not isinstance(param, Parameter):
            raise ContractError(f"cannot register {type(param).__name__} as parameter "
                                f"{name!r}: wrap it in ct.nn.Parameter")
        setattr(self, name, param)
        if param is None:
            self._registry("_parameters")[name] = None

    def register_buffer(self, name, tensor, persistent=True):
        """Keep ``tensor`` with the module (in ``buffers()``) without training it."""
        self._registry("_buffers")[name] = tensor
        object.__setattr__(self, name, tensor)

    def add_module(self, name, module):
        """Register ``module`` as a child called ``name``."""
        if module is not None and not isinstance(module, Module):
            raise ContractError(f"{type(module).__name__} is not a Module")
        setattr(self, name, module)

    # -- walking ---------------------------------------------------------------------
    def named_modules(self, prefix="", memo=None):
        """This module and every descendant once, with dotted names."""
        memo = set() if memo is None else memo
        if id(self) in memo:
            return
        memo.add(id(self))
        yield prefix, self
        for name, child in self._registry("_modules").items():
            if child is not None:
                yield from child.named_modules(f"{prefix}.{name}" if prefix else name, memo)

    def modules(self):
        return (m for _, m in self.named_modules())

    def named_children(self):
        return ((n, m) for n, m in self._registry("_modules").items() if m is not None)

    def children(self):
        return (m for _, m in self.named_children())

    def named_parameters(self, prefix="", recurse=True):
        """``(dotted_name, Parameter)`` through nested modules; each Parameter once."""
        seen = set()
        mods = self.named_modules(prefix) if recurse else [(prefix, self)]
        for mod_prefix, module in mods:
            for name, param in module._registry("_parameters").items():
                if param is None or id(param) in seen:
                    continue
                seen.add(id(param))
                yield (f"{mod_prefix}.{name}" if mod_prefix else name), param

    def parameters(self, recurse=True):
        """Every Parameter of this module and (by default) its descendants."""
        return (p for _, p in self.named_parameters(recurse=recurse))

    def named_buffers(self, prefix=""):
        for mod_prefix, module in self.named_modules(prefix):
            for name, buf in module._registry("_buffers").items():
                yield (f"{mod_prefix}.{name}" if mod_prefix else name), buf

    def buffers(self):
        return (b for _, b in self.named_buffers())

    def state_dict(self):
        """Parameters and buffers by dotted name (detached Tensors)."""
        items = list(self.named_parameters()) + list(self.named_buffers())
        return OrderedDict((name, t.detach() if is_tensor(t) else t) for name, t in items)

    # -- training --------------------------------------------------------------------
    def zero_grad(self, set_to_none=True):
        """Clear the gradients of all parameters (to None, or to zeros)."""
        for param in self.parameters():
            if param.grad is None:
                continue
            if set_to_none:
                param.grad = None
            else:
                param.grad = param.grad * 0

    def train(self, mode=True):
        for module in self.modules():
            object.__setattr__(module, "training", bool(mode))
        return self

    def eval(self):
        return self.train(False)

    def requires_grad_(self, requires_grad=True):
        for param in self.parameters():
            param.requires_grad_(requires_grad)
        return self

    # -- reading ---------------------------------------------------------------------
    def extra_repr(self):
        return ""

    def __repr__(self):
        lines = [f"({name}): " + repr(child).replace("\n", "\n  ")
                 for name, child in self.named_children()]
        head = f"{type(self).__name__}({self.extra_repr()}"
        if not lines:
            return head + ")"
        return head + "\n  " + "\n  ".join(lines) + "\n)"


class Linear(Module):
    """``y = x @ weight.T + bias``; torch's default U(-1/sqrt(in), 1/sqrt(in)) init.

    >>> import contract as ct
    >>> ct.nn.Linear(3, 2)(ct.ones(5, 3)).shape
    ct.Size([5, 2])
    """

    def __init__(self, in_features, out_features, bias=True):
        super().__init__()
        self.in_features, self.out_features = in_features, out_features
        bound = 1.0 / math.sqrt(in_features) if in_features else 0.0
        self.weight = _uniform((out_features, in_features), bound)
        self.bias = _uniform((out_features,), bound) if bias else None

    def forward(self, x):
        return F.linear(x, self.weight, self.bias)

    def extra_repr(self):
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}")
