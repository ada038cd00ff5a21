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
from collections import OrderedDict, namedtuple

import numpy as np

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


IncompatibleKeys = namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])


def _numpy(value):
    """A state_dict value (array, Tensor, number) as a NumPy array."""
    return value.detach().cpu()._data if is_tensor(value) else np.asarray(value)


def _copy_into(target, array):
    """Write ``array`` into the Tensor ``target`` in place (no gradient; version noted)."""
    from contract.autograd.versions import note_write
    data = target._data
    data[...] = target._xp.asarray(array).astype(data.dtype, copy=False)
    note_write(data)


def _convert(t, dtype, device):
    """Rebind ``t``'s array (and its ``.grad``'s) cast to ``dtype`` (floating ones only) and
    moved to ``device``."""
    cast = dtype if dtype is not None and t.dtype.kind in "fc" else None
    for holder in (t, t.grad):
        if holder is not None and (cast is not None or device is not None):
            holder._data = holder.detach().to(device=device, dtype=cast)._data


def _uniform(shape, bound):
    """A Parameter drawn from U(-bound, bound) with contract's seeded generator."""
    return Parameter((rand(*shape) * (2 * bound) - bound).detach())


class Module:
    """Base class of layers and models: override ``forward``; call the module itself.

    Parameters and modules assigned to attributes are registered (``parameters()``,
    ``state_dict()``, ``to()``, ``train()`` reach them).

    >>> import contract as ct
    >>> class Affine(ct.nn.Module):
    ...     def __init__(self, n):
    ...         super().__init__()
    ...         self.scale = ct.nn.Parameter(ct.ones(n))
    ...         self.shift = ct.nn.Parameter(ct.zeros(n))
    ...     def forward(self, x):
    ...         return x * self.scale + self.shift
    >>> m = Affine(3)
    >>> m(ct.tensor([1., 2., 3.])).sum().backward()
    >>> [(name, p.grad.tolist()) for name, p in m.named_parameters()]
    [('scale', [1.0, 2.0, 3.0]), ('shift', [1.0, 1.0, 1.0])]
    """

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
        """The computation of the module; define it in a subclass and call the module itself.

        >>> import contract as ct
        >>> class Double(ct.nn.Module):
        ...     def forward(self, x):
        ...         return 2 * x
        >>> Double()(ct.tensor([1., 2.]))
        tensor([2., 4.])
        """
        raise NotImplementedError(f"{type(self).__name__} has no forward(); define one")

    def __call__(self, *args, **kwargs):
        return self.forward(*args, **kwargs)

    # -- registration ----------------------------------------------------------------
    def register_parameter(self, name, param):
        """Register ``param`` (a Parameter, or None) under ``name``.

        >>> import contract as ct
        >>> m = ct.nn.Module()
        >>> m.register_parameter("w", ct.nn.Parameter(ct.ones(2))); m.register_parameter("b", None)
        >>> [name for name, _ in m.named_parameters()], m.b is None
        (['w'], True)
        """
        if param is not None and not isinstance(param, Parameter):
            raise ContractError(f"cannot register {type(param).__name__} as parameter "
                                f"{name!r}: wrap it in ct.nn.Parameter")
        setattr(self, name, param)
        if param is None:
            self._registry("_parameters")[name] = None

    def register_buffer(self, name, tensor, persistent=True):
        """Keep ``tensor`` with the module (in ``buffers()``, and in ``state_dict()`` when
        ``persistent``) without training it.

        >>> import contract as ct
        >>> m = ct.nn.Module()
        >>> m.register_buffer("steps", ct.zeros(1)); m.register_buffer("cache", None, False)
        >>> list(m.state_dict()), [name for name, _ in m.named_buffers()]
        (['steps'], ['steps', 'cache'])
        """
        self._registry("_buffers")[name] = tensor
        transient = self.__dict__.setdefault("_non_persistent", set())
        (transient.discard if persistent else transient.add)(name)
        object.__setattr__(self, name, tensor)

    def add_module(self, name, module):
        """Register ``module`` as a child called ``name``.

        >>> import contract as ct
        >>> m = ct.nn.Module()
        >>> m.add_module("head", ct.nn.Linear(2, 1))
        >>> m
        Module(
          (head): Linear(in_features=2, out_features=1, bias=True)
        )
        """
        if module is not None and not isinstance(module, Module):
            raise ContractError(f"{type(module).__name__} is not a Module")
        setattr(self, name, module)

    # -- walking ---------------------------------------------------------------------
    def named_modules(self, prefix="", memo=None):
        """This module and every descendant once, with dotted names.

        >>> import contract as ct
        >>> net = ct.nn.Sequential(ct.nn.Linear(3, 4), ct.nn.ReLU())
        >>> [(name, type(m).__name__) for name, m in net.named_modules()]
        [('', 'Sequential'), ('0', 'Linear'), ('1', 'ReLU')]
        """
        memo = set() if memo is None else memo
        if id(self) in memo:
            return
        memo.add(id(self))
        yield prefix, self
        for name, child in self._registry("_modules").items():
            if child is not None:
                yield from child.named_modules(f"{prefix}.{name}" if prefix else name, memo)

    def modules(self):
        """This module and every descendant, each once (``named_modules`` without the names).

        >>> import contract as ct
        >>> net = ct.nn.Sequential(ct.nn.Linear(3, 4), ct.nn.ReLU(), ct.nn.Linear(4, 1))
        >>> sum(isinstance(m, ct.nn.Linear) for m in net.modules())
        2
        """
        return (m for _, m in self.named_modules())

    def named_children(self):
        """``(name, module)`` for the direct sub-modules only.

        >>> import contract as ct
        >>> net = ct.nn.Sequential(ct.nn.Linear(3, 4), ct.nn.Sequential(ct.nn.ReLU()))
        >>> [(name, type(m).__name__) for name, m in net.named_children()]
        [('0', 'Linear'), ('1', 'Sequential')]
        """
        return ((n, m) for n, m in self._registry("_modules").items() if m is not None)

    def children(self):
        """The direct sub-modules (``named_children`` without the names).

        >>> import contract as ct
        >>> net = ct.nn.Sequential(ct.nn.Linear(3, 4), ct.nn.ReLU())
        >>> [type(m).__name__ for m in net.children()]
        ['Linear', 'ReLU']
        """
        return (m for _, m in self.named_children())

    def named_parameters(self, prefix="", recurse=True):
        """``(dotted_name, Parameter)`` through nested modules; each Parameter once.

        >>> import contract as ct
        >>> net = ct.nn.Sequential(ct.nn.Linear(3, 4), ct.nn.ReLU(), ct.nn.Linear(4, 1))
        >>> [(name, tuple(p.shape)) for name, p in net.named_parameters()]
        [('0.weight', (4, 3)), ('0.bias', (4,)), ('2.weight', (1, 4)), ('2.bias', (1,))]
        """
        seen = set()
        mods = self.named_modules(prefix) if recurse else [(prefix, self)]
        for mod_prefix, module in mods:
            for name, param in module._registry("_parameters").items():
                if param is None or id(param) in seen:
                    continue
                seen.add(id(param))
                yield (f"{mod_prefix}.{name}" if mod_prefix else name), param

    def parameters(self, recurse=True):
        """Every Parameter of this module and (by default) its descendants.

        What an optimizer takes: ``ct.optim.SGD(model.parameters(), lr=0.1)``.

        >>> import contract as ct
        >>> net = ct.nn.Sequential(ct.nn.Linear(3, 4), ct.nn.ReLU(), ct.nn.Linear(4, 1))
        >>> sum(p.numel() for p in net.parameters())
        21
        """
        return (p for _, p in self.named_parameters(recurse=recurse))

    def named_buffers(self, prefix=""):
        """``(dotted_name, tensor)`` for the buffers of this module and its descendants.

        >>> import contract as ct
        >>> [name for name, _ in ct.nn.Sequential(ct.nn.BatchNorm1d(2)).named_buffers()]
        ['0.running_mean', '0.running_var', '0.num_batches_tracked']
        """
        for mod_prefix, module in self.named_modules(prefix):
            for name, buf in module._registry("_buffers").items():
                yield (f"{mod_prefix}.{name}" if mod_prefix else name), buf

    def buffers(self):
        """The buffers of this module and its descendants (``named_buffers`` without names).

        >>> import contract as ct
        >>> [tuple(b.shape) for b in ct.nn.BatchNorm1d(3).buffers()]
        [(3,), (3,), ()]
        """
        return (b for _, b in self.named_buffers())

    def state_dict(self, prefix=""):
        """Parameters and persistent buffers by dotted name, as NumPy arrays (copies), in
        torch's order (each module's parameters, then its buffers, then its children).

        >>> import numpy as np, contract as ct
        >>> state = ct.nn.Linear(2, 1).state_dict()
        >>> list(state), type(state["weight"]).__name__
        (['weight', 'bias'], 'ndarray')
        """
        out = OrderedDict()
        self._save_state(out, prefix)
        return out

    def _state_items(self, prefix):
        """``(dotted name, Tensor)`` for what :meth:`state_dict` saves, shared ones repeated."""
        transient = self.__dict__.get("_non_persistent", ())
        for name, param in self._registry("_parameters").items():
            if param is not None:
                yield prefix + name, param
        for name, buf in self._registry("_buffers").items():
            if buf is not None and name not in transient:
                yield prefix + name, buf
        for name, child in self._registry("_modules").items():
            if child is not None:
                yield from child._state_items(f"{prefix}{name}.")

    def _save_state(self, out, prefix):
        for name, value in self._state_items(prefix):
            out[name] = np.array(_numpy(value), copy=True)

    def load_state_dict(self, state_dict, strict=True):
        """Copy arrays (or Tensors) from ``state_dict`` (a mapping such as :meth:`state_dict`'s or
        ``np.load``'s) into the parameters and buffers; ``strict``: the keys must match.
        Returns torch's ``(missing_keys, unexpected_keys)`` named tuple.

        >>> import numpy as np, contract as ct
        >>> a, b = ct.nn.Linear(2, 1), ct.nn.Linear(2, 1)
        >>> b.load_state_dict(a.state_dict())
        IncompatibleKeys(missing_keys=[], unexpected_keys=[])
        >>> bool((a.weight == b.weight).all())
        True
        """
        targets = OrderedDict(self._state_items(""))
        missing = [k for k in targets if k not in state_dict]
        unexpected = [k for k in state_dict if k not in targets]
        values = {k: _numpy(state_dict[k]) for k in targets if k in state_dict}
        errors = [f"size mismatch for {k}: copying a param with shape {v.shape} from checkpoint, "
                  f"the shape in current model is {tuple(targets[k].shape)}"
                  for k, v in values.items() if v.shape != tuple(targets[k].shape)]
        if strict and missing:
            errors.append(f"Missing key(s) in state_dict: {', '.join(map(repr, missing))}")
        if strict and unexpected:
            errors.append(f"Unexpected key(s) in state_dict: {', '.join(map(repr, unexpected))}")
        if errors:
            raise ContractError(f"Error(s) in loading state_dict for {type(self).__name__}:\n\t"
                                + "\n\t".join(errors))
        for key, value in values.items():
            _copy_into(targets[key], value)
        return IncompatibleKeys(missing, unexpected)

    # -- training --------------------------------------------------------------------
    def zero_grad(self, set_to_none=True):
        """Clear the gradients of all parameters (to None, or to zeros).

        >>> import contract as ct
        >>> layer = ct.nn.Linear(2, 1)
        >>> layer(ct.ones(1, 2)).sum().backward()
        >>> layer.weight.grad
        tensor([[1., 1.]])
        >>> layer.zero_grad(); layer.weight.grad is None
        True
        """
        for param in self.parameters():
            if param.grad is None:
                continue
            if set_to_none:
                param.grad = None
            else:
                param.grad = param.grad * 0

    def train(self, mode=True):
        """Set ``training`` on this module and its descendants (dropout, batch statistics).

        Returns the module.

        >>> import contract as ct
        >>> net = ct.nn.Sequential(ct.nn.Dropout(0.5))
        >>> net.train().training, net.train(False)[0].training
        (True, False)
        """
        for module in self.modules():
            object.__setattr__(module, "training", bool(mode))
        return self

    def eval(self):
        """``train(False)``: dropout off, batch norm on its running statistics.

        >>> import contract as ct
        >>> drop = ct.nn.Dropout(0.5).eval()
        >>> drop.training, drop(ct.ones(3))
        (False, tensor([1., 1., 1.]))
        """
        return self.train(False)

    def to(self, *args, dtype=None, device=None):
        """Cast the floating parameters and buffers to ``dtype`` and/or move every one to
        ``device``, in place (the same Parameter objects, as torch's); returns the module.

        >>> import contract as ct
        >>> ct.nn.Linear(2, 1).to(ct.float64).weight.dtype
        dtype('float64')
        """
        for arg in args:
            if isinstance(arg, str) and arg.split(":")[0] in ("cpu", "cuda"):
                device = arg
            else:
                dtype = arg
        for module in self.modules():
            for registry in ("_parameters", "_buffers"):
                for t in module._registry(registry).values():
                    if is_tensor(t):
                        _convert(t, dtype, device)
        return self

    def double(self):
        """Floating parameters and buffers to float64 (``to(ct.float64)``).

        >>> import contract as ct
        >>> ct.nn.BatchNorm1d(2).double().running_var.dtype
        dtype('float64')
        """
        from contract.tensors.creation import float64
        return self.to(float64)

    def float(self):
        """Floating parameters and buffers to float32 (``to(ct.float32)``).

        >>> import contract as ct
        >>> ct.nn.Linear(2, 1).double().float().bias.dtype
        dtype('float32')
        """
        from contract.tensors.creation import float32
        return self.to(float32)

    def requires_grad_(self, requires_grad=True):
        """Switch gradient tracking of every parameter (to freeze a layer); returns the module.

        >>> import contract as ct
        >>> frozen = ct.nn.Linear(2, 2).requires_grad_(False)
        >>> [p.requires_grad for p in frozen.parameters()]
        [False, False]
        """
        for param in self.parameters():
            param.requires_grad_(requires_grad)
        return self

    # -- reading ---------------------------------------------------------------------
    def extra_repr(self):
        """The text inside ``Name(...)`` in the module's repr; a layer overrides it.

        >>> import contract as ct
        >>> ct.nn.Linear(2, 3).extra_repr(), ct.nn.Module().extra_repr()
        ('in_features=2, out_features=3, bias=True', '')
        """
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
