"""Layers for training: LayerNorm, BatchNorm1d/2d, Dropout, Softmax and the loss modules.

Each wraps its ``contract.nn.functional`` function (torch's constructor arguments,
Parameters and buffers, so ``state_dict()`` has torch's keys); BatchNorm and Dropout
follow the module's ``train()`` / ``eval()`` mode.

>>> import contract as ct
>>> import contract.nn as nn
>>> net = nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Dropout(0.1),
...                     nn.Linear(8, 3))
>>> loss = nn.CrossEntropyLoss()(net(ct.randn(16, 4)), ct.randint(0, 3, (16,)))
>>> loss.backward()
>>> list(net.state_dict())[2:7]
['1.weight', '1.bias', '1.running_mean', '1.running_var', '1.num_batches_tracked']
"""
from contract.errors import ContractError
from contract.nn import functional as F
from contract.nn.modules import Module, Parameter
from contract.tensors.creation import full


def _filled(shape, value, dtype):
    return Parameter(full(tuple(shape), value, dtype=dtype))


class LayerNorm(Module):
    """torch's ``nn.LayerNorm``: normalise over the trailing ``normalized_shape`` dims, then
    ``* weight + bias`` (ones and zeros at first; ``elementwise_affine=False``: none).

    >>> import contract as ct
    >>> ln = ct.nn.LayerNorm(3)
    >>> ln(ct.tensor([[1., 2., 3.]]))
    tensor([[-1.2247,  0.0000,  1.2247]], grad_fn=<NativeLayerNormBackward0>)
    """

    def __init__(self, normalized_shape, eps=1e-5, elementwise_affine=True, bias=True,
                 device=None, dtype=None):
        super().__init__()
        shape = (normalized_shape,) if isinstance(normalized_shape, int) else normalized_shape
        self.normalized_shape = tuple(int(n) for n in shape)
        self.eps, self.elementwise_affine = eps, elementwise_affine
        if elementwise_affine:
            self.weight = _filled(self.normalized_shape, 1.0, dtype)
            self.register_parameter("bias", _filled(self.normalized_shape, 0.0, dtype)
                                    if bias else None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)

    def forward(self, input):
        """``F.layer_norm`` with this module's shape, weight, bias and eps.

        >>> import contract as ct
        >>> ct.nn.LayerNorm(2, elementwise_affine=False).forward(ct.tensor([[0., 4.]]))
        tensor([[-1.0000,  1.0000]])
        """
        return F.layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self):
        """torch's: ``(8,), eps=1e-05, elementwise_affine=True``.

        >>> import contract as ct
        >>> ct.nn.LayerNorm((2, 3)).extra_repr()
        '(2, 3), eps=1e-05, elementwise_affine=True'
        """
        return (f"{self.normalized_shape}, eps={self.eps}, "
                f"elementwise_affine={self.elementwise_affine}")


class _BatchNorm(Module):
    """Shared by BatchNorm1d/2d: Parameters ``weight``, ``bias``; buffers ``running_mean``,
    ``running_var``, ``num_batches_tracked``; ``momentum=None`` is a cumulative average."""

    _dims = ()

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True,
                 track_running_stats=True, device=None, dtype=None, *, bias=True):
        super().__init__()
        from contract.tensors.creation import ones, tensor, zeros
        self.num_features, self.eps, self.momentum = num_features, eps, momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        self.register_parameter("weight", _filled((num_features,), 1.0, dtype) if affine
                                else None)
        self.register_parameter("bias", _filled((num_features,), 0.0, dtype)
                                if affine and bias else None)
        if track_running_stats:
            self.register_buffer("running_mean", zeros(num_features, dtype=dtype))
            self.register_buffer("running_var", ones(num_features, dtype=dtype))
            from contract.tensors.creation import int64
            self.register_buffer("num_batches_tracked", tensor(0, dtype=int64))
        else:
            for name in ("running_mean", "running_var", "num_batches_tracked"):
                self.register_buffer(name, None)

    def reset_running_stats(self):
        """Running mean 0, variance 1, no batches seen.

        >>> import contract as ct
        >>> bn = ct.nn.BatchNorm1d(1); _ = bn(ct.tensor([[1.], [3.]])); bn.reset_running_stats()
        >>> bn.running_mean, bn.num_batches_tracked
        (tensor([0.]), tensor(0))
        """
        if self.track_running_stats:
            self.running_mean._data[...] = 0
            self.running_var._data[...] = 1
            self.num_batches_tracked._data[...] = 0

    def forward(self, input):
        """``F.batch_norm`` with batch statistics in training (moving the running ones by
        ``momentum``, or their cumulative average when it is None), running ones in eval.

        >>> import contract as ct
        >>> ct.nn.BatchNorm1d(1, affine=False).forward(ct.tensor([[1.], [3.]]))
        tensor([[-1.0000],
                [ 1.0000]])
        """
        if input.ndim not in self._dims:
            raise ContractError(f"{type(self).__name__}: expected "
                                f"{' or '.join(f'{d}D' for d in self._dims)} input (got "
                                f"{input.ndim}D input)")
        factor = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats:
            self.num_batches_tracked._data += 1
            if self.momentum is None:
                factor = 1.0 / float(self.num_batches_tracked.item())
        batch_stats = self.training or self.running_mean is None
        keep = not self.training or self.track_running_stats
        return F.batch_norm(input, self.running_mean if keep else None,
                            self.running_var if keep else None, self.weight, self.bias,
                            batch_stats, factor, self.eps)

    def extra_repr(self):
        """torch's: ``3, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True``.

        >>> import contract as ct
        >>> ct.nn.BatchNorm2d(3, momentum=None).extra_repr()
        '3, eps=1e-05, momentum=None, affine=True, track_running_stats=True'
        """
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
                f"affine={self.affine}, track_running_stats={self.track_running_stats}")


class BatchNorm1d(_BatchNorm):
    """torch's ``nn.BatchNorm1d`` on ``(N, C)`` or ``(N, C, L)``: batch statistics in
    ``train()`` mode (running ones updated), running statistics in ``eval()`` mode.

    >>> import contract as ct
    >>> bn = ct.nn.BatchNorm1d(2)
    >>> bn(ct.tensor([[1., 10.], [3., 30.]]))
    tensor([[-1.0000, -1.0000],
            [ 1.0000,  1.0000]], grad_fn=<AddBackward0>)
    >>> bn.running_mean, bn.eval()(ct.tensor([[0.2, 2.]]))
    (tensor([0.2000, 2.0000]), tensor([[0., 0.]], grad_fn=<AddBackward0>))
    """

    _dims = (2, 3)


class BatchNorm2d(_BatchNorm):
    """torch's ``nn.BatchNorm2d`` on ``(N, C, H, W)``: statistics per channel.

    >>> import contract as ct
    >>> ct.nn.BatchNorm2d(3)(ct.randn(4, 3, 5, 5)).shape
    ct.Size([4, 3, 5, 5])
    """

    _dims = (4,)


class Dropout(Module):
    """torch's ``nn.Dropout``: ``F.dropout`` while training, the identity in ``eval()`` mode.

    >>> import contract as ct
    >>> drop = ct.nn.Dropout(0.5).eval()
    >>> drop(ct.ones(3))
    tensor([1., 1., 1.])
    """

    def __init__(self, p=0.5, inplace=False):
        super().__init__()
        if not 0.0 <= p <= 1.0:
            raise ContractError(f"dropout probability has to be between 0 and 1, but got {p}")
        self.p, self.inplace = p, inplace

    def forward(self, input):
        """``F.dropout(input, p, training=self.training, inplace)``.

        >>> import contract as ct
        >>> ct.nn.Dropout(1.0).forward(ct.ones(2))
        tensor([0., 0.])
        """
        return F.dropout(input, self.p, self.training, self.inplace)

    def extra_repr(self):
        """torch's: ``p=0.5, inplace=False``.

        >>> import contract as ct
        >>> ct.nn.Dropout().extra_repr()
        'p=0.5, inplace=False'
        """
        return f"p={self.p}, inplace={self.inplace}"


class Softmax(Module):
    """torch's ``nn.Softmax(dim)``.

    >>> import contract as ct
    >>> ct.nn.Softmax(dim=1)(ct.tensor([[0., 0.]]))
    tensor([[0.5000, 0.5000]])
    """

    def __init__(self, dim=None):
        super().__init__()
        self.dim = dim

    def forward(self, input):
        """``F.softmax(input, self.dim)``.

        >>> import contract as ct
        >>> ct.nn.Softmax(0).forward(ct.tensor([0., 0.]))
        tensor([0.5000, 0.5000])
        """
        return F.softmax(input, self.dim)

    def extra_repr(self):
        """torch's: ``dim=1``.

        >>> import contract as ct
        >>> ct.nn.Softmax(dim=1).extra_repr()
        'dim=1'
        """
        return f"dim={self.dim}"


class CrossEntropyLoss(Module):
    """torch's ``nn.CrossEntropyLoss``: ``F.cross_entropy`` with the arguments given here
    (``weight`` is kept as a buffer, as torch keeps it).

    >>> import contract as ct
    >>> ct.nn.CrossEntropyLoss(label_smoothing=0.1)(ct.tensor([[0., 0.]]), ct.tensor([1]))
    tensor(0.6931)
    """

    def __init__(self, weight=None, size_average=None, ignore_index=-100, reduce=None,
                 reduction="mean", label_smoothing=0.0):
        super().__init__()
        from contract.nn.losses import _reduction
        self.register_buffer("weight", weight)
        self.ignore_index, self.label_smoothing = ignore_index, label_smoothing
        self.reduction = _reduction(size_average, reduce, reduction)

    def forward(self, input, target):
        """``F.cross_entropy(input, target, ...)`` with this module's settings.

        >>> import contract as ct
        >>> ct.nn.CrossEntropyLoss(reduction="sum").forward(ct.zeros(2, 4), ct.tensor([0, 3]))
        tensor(2.7726)
        """
        return F.cross_entropy(input, target, weight=self.weight, ignore_index=self.ignore_index,
                               reduction=self.reduction, label_smoothing=self.label_smoothing)


class MSELoss(Module):
    """torch's ``nn.MSELoss``: ``F.mse_loss`` with the reduction given here.

    >>> import contract as ct
    >>> ct.nn.MSELoss(reduction="sum")(ct.tensor([1., 2.]), ct.tensor([0., 0.]))
    tensor(5.)
    """

    def __init__(self, size_average=None, reduce=None, reduction="mean"):
        super().__init__()
        from contract.nn.losses import _reduction
        self.reduction = _reduction(size_average, reduce, reduction)

    def forward(self, input, target):
        """``F.mse_loss(input, target, reduction=self.reduction)``.

        >>> import contract as ct
        >>> ct.nn.MSELoss().forward(ct.tensor([1., 3.]), ct.tensor([0., 0.]))
        tensor(5.)
        """
        return F.mse_loss(input, target, reduction=self.reduction)


__all__ = ["BatchNorm1d", "BatchNorm2d", "CrossEntropyLoss", "Dropout", "LayerNorm", "MSELoss",
           "Softmax"]
