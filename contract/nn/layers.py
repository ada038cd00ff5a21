"""Layers for small conv nets: Conv1d/Conv2d/Conv3d, pooling, ReLU, Flatten, Sequential.

>>> import contract as ct
>>> net = ct.nn.Sequential(ct.nn.Conv2d(3, 4, 3), ct.nn.ReLU(), ct.nn.SumPool2d(2),
...                        ct.nn.Flatten(), ct.nn.Linear(4 * 3 * 3, 2))
>>> net(ct.rand(5, 3, 8, 8)).shape
ct.Size([5, 2])
"""
import math
from collections import OrderedDict

from contract.errors import ContractError
from contract.nn import functional as F
from contract.nn.modules import Module, _uniform
from contract.nn.windows import as_tuple


class _ConvNd(Module):
    _n = 2
    _function = staticmethod(F.conv2d)

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0,
                 dilation=1, groups=1, bias=True):
        super().__init__()
        if in_channels % groups or out_channels % groups:
            raise ContractError(f"in_channels={in_channels} and out_channels={out_channels} "
                                f"must both be divisible by groups={groups}")
        self.kernel_size = as_tuple(kernel_size, self._n, "kernel_size")
        self.in_channels, self.out_channels = in_channels, out_channels
        self.stride = as_tuple(stride, self._n, "stride")          # tuples, as torch keeps them
        self.padding = padding if isinstance(padding, str) else as_tuple(padding, self._n,
                                                                         "padding", 0)
        self.dilation, self.groups = as_tuple(dilation, self._n, "dilation"), groups
        fan_in = in_channels // groups * math.prod(self.kernel_size)
        bound = 1.0 / math.sqrt(fan_in) if fan_in else 0.0
        self.weight = _uniform((out_channels, in_channels // groups) + self.kernel_size, bound)
        self.bias = _uniform((out_channels,), bound) if bias else None

    def extra_repr(self):
        """torch's: the non-default settings after the sizes.

        >>> import contract as ct
        >>> ct.nn.Conv2d(2, 4, 3, padding=1, bias=False)
        Conv2d(2, 4, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1), bias=False)
        """
        text = (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}")
        if self.padding != (0,) * self._n:
            text += f", padding={self.padding}"
        if self.dilation != (1,) * self._n:
            text += f", dilation={self.dilation}"
        if self.groups != 1:
            text += f", groups={self.groups}"
        return text + (", bias=False" if self.bias is None else "")

    def forward(self, x):
        return self._function(x, self.weight, self.bias, self.stride, self.padding,
                              self.dilation, self.groups)


class Conv1d(_ConvNd):
    """1-D convolution layer (torch's Conv1d).

    Input ``b c l`` (or ``c l``); weight ``out, in / groups, kernel``.

    >>> import contract as ct
    >>> conv = ct.nn.Conv1d(2, 4, 3, padding=1)
    >>> conv(ct.rand(8, 2, 10)).shape, tuple(conv.weight.shape)
    (ct.Size([8, 4, 10]), (4, 2, 3))
    """
    _n = 1
    _function = staticmethod(F.conv1d)


class Conv2d(_ConvNd):
    """2-D convolution layer (torch's Conv2d): one einsum over the input's windows.

    >>> import contract as ct
    >>> ct.nn.Conv2d(3, 16, 2, stride=2)(ct.rand(32, 3, 60, 60)).shape
    ct.Size([32, 16, 30, 30])
    """
    _n = 2


class Conv3d(_ConvNd):
    """3-D convolution layer (torch's Conv3d), on volumes ``b c d h w``.

    >>> import contract as ct
    >>> ct.nn.Conv3d(2, 4, 3, padding=1)(ct.rand(1, 2, 5, 5, 5)).shape
    ct.Size([1, 4, 5, 5, 5])
    """
    _n = 3
    _function = staticmethod(F.conv3d)


class _Pool(Module):
    def __init__(self, kernel_size, stride=None, padding=0):
        super().__init__()
        self.kernel_size, self.stride, self.padding = kernel_size, stride, padding

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class SumPool2d(_Pool):
    """Sum over each window: ``b c (h p) (w q) -> b c h w`` when stride == kernel.

    >>> import contract as ct
    >>> ct.nn.SumPool2d(2)(ct.arange(16.).reshape(1, 1, 4, 4))
    tensor([[[[10., 18.],
              [42., 50.]]]])
    """

    def forward(self, x):
        return F.sum_pool2d(x, self.kernel_size, self.stride, self.padding)


class AvgPool2d(_Pool):
    """Mean over each window (torch's AvgPool2d, count_include_pad=True).

    >>> import contract as ct
    >>> ct.nn.AvgPool2d(2)(ct.arange(16.).reshape(1, 1, 4, 4))
    tensor([[[[ 2.5000,  4.5000],
              [10.5000, 12.5000]]]])
    """

    def forward(self, x):
        return F.avg_pool2d(x, self.kernel_size, self.stride, self.padding)


class MaxPool2d(_Pool):
    """Max over each window (torch's MaxPool2d).

    Padding is ``-inf``; the gradient goes to the first maximum of each window.

    >>> import contract as ct
    >>> pool = ct.nn.MaxPool2d(2)
    >>> pool(ct.arange(16.).reshape(1, 1, 4, 4))
    tensor([[[[ 5.,  7.],
              [13., 15.]]]])
    >>> ct.nn.MaxPool2d(3, stride=1, padding=1)(ct.rand(2, 3, 8, 8)).shape
    ct.Size([2, 3, 8, 8])
    """

    def forward(self, x):
        return F.max_pool2d(x, self.kernel_size, self.stride, self.padding)


class ReLU(Module):
    """``max(x, 0)``; ``inplace=True`` clamps the input itself, as torch's does.

    >>> import contract as ct
    >>> ct.nn.ReLU()(ct.tensor([-1., 2.]))
    tensor([0., 2.])
    """

    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = inplace

    def forward(self, x):
        return x.clamp_(min=0) if self.inplace else F.relu(x)

    def extra_repr(self):
        return "inplace=True" if self.inplace else ""


class Flatten(Module):
    """Merge axes ``start_dim..end_dim`` (torch's default: all but the batch axis).

    >>> import contract as ct
    >>> ct.nn.Flatten()(ct.zeros(2, 3, 4)).shape, ct.nn.Flatten(0, 1)(ct.zeros(2, 3, 4)).shape
    (ct.Size([2, 12]), ct.Size([6, 4]))
    """

    def __init__(self, start_dim=1, end_dim=-1):
        super().__init__()
        self.start_dim, self.end_dim = start_dim, end_dim

    def forward(self, x):
        return x.flatten(self.start_dim, self.end_dim)


class Sequential(Module):
    """Modules applied in order; children are named ``"0"``, ``"1"``, ...

    >>> import contract as ct
    >>> len(ct.nn.Sequential(ct.nn.ReLU(), ct.nn.ReLU()))
    2
    """

    def __init__(self, *modules):
        super().__init__()
        if len(modules) == 1 and isinstance(modules[0], OrderedDict):
            items = modules[0].items()
        else:
            items = ((str(k), m) for k, m in enumerate(modules))
        for name, module in items:
            self.add_module(name, module)

    def __len__(self):
        return len(self._modules)

    def __getitem__(self, index):
        return list(self._modules.values())[index]

    def __iter__(self):
        return iter(self._modules.values())

    def forward(self, x):
        for module in self._modules.values():
            x = module(x)
        return x
