"""Convolution as one einsum over the window view of the padded input.

``conv2d`` is ``o c i j, c i j b h w -> b o h w``: the weight against the
strided window view (groups: ``(g o) c i j, (g c) i j b h w -> b (g o) h w``),
laid out kernel-first so that the GEMM's im2col copy is cheap, planned by the same
planner as every einsum.  For Tensors the weight gradient is that einsum's VJP
(another einsum) and the input gradient is the VJP into the window view, then
:func:`contract.windows.accumulate_windows` (overlapping windows add up).

>>> import numpy as np
>>> conv1d(np.arange(5.).reshape(1, 1, 5), np.ones((1, 1, 2)))
array([[[1., 3., 5., 7.]]])
"""
from contract.einsum import einsum
from contract.errors import ContractError, ShapeError
from contract.nn._graph import kernel_first, windows
from contract.windows import as_tuple, pad_pairs

_SPATIAL = ("h", "w", "d")
_KERNEL = ("i", "j", "k")


def conv_equation(n: int, groups: int, batched: bool = True) -> str:
    """The einsum text of an n-D convolution: weight first, then the window view
    in kernel-first order (channel, kernel, batch, out), so the GEMM's im2col
    copy runs over contiguous rows.

    >>> conv_equation(2, 1)
    'o c i j, c i j b h w -> b o h w'
    >>> conv_equation(1, 2)
    '(g o) c i, (g c) i b h -> b (g o) h'
    """
    spatial, kernel = " ".join(_SPATIAL[:n]), " ".join(_KERNEL[:n])
    chan, out = ("(g c)", "(g o)") if groups > 1 else ("c", "o")
    lead = "b " if batched else ""
    return f"{out} c {kernel}, {chan} {kernel} {lead}{spatial} -> {lead}{out} {spatial}"


def _padding_pairs(padding, kernel, stride, dilation, what):
    n = len(kernel)
    if isinstance(padding, str):
        if padding == "valid":
            return ((0, 0),) * n
        if padding != "same":
            raise ContractError(f"{what}: padding must be 'valid', 'same' or ints, "
                                f"got {padding!r}")
        if any(s != 1 for s in stride):
            raise ContractError(f"{what}: padding='same' needs stride 1, got stride {stride}")
        totals = [d * (k - 1) for k, d in zip(kernel, dilation)]
        return tuple((t // 2, t - t // 2) for t in totals)
    return pad_pairs(padding, n)


def _check_shapes(x, weight, n, groups, what):
    if len(x.shape) not in (n + 1, n + 2):
        raise ShapeError(f"{what} expects a {n + 1}-D (unbatched) or {n + 2}-D (batched) input, "
                         f"got shape {tuple(x.shape)}")
    if len(weight.shape) != n + 2:
        raise ShapeError(f"{what} expects a {n + 2}-D weight (out, in/groups, kernel...), "
                         f"got shape {tuple(weight.shape)}")
    if not isinstance(groups, int) or groups < 1:
        raise ContractError(f"{what}: groups must be a positive int, got {groups!r}")
    channels = x.shape[-n - 1]
    out_channels, per_group = weight.shape[:2]
    if out_channels % groups:
        raise ShapeError(f"{what}: weight has {out_channels} output channels, not divisible "
                         f"by groups={groups}")
    if channels != per_group * groups:
        raise ShapeError(f"{what}: weight {tuple(weight.shape)} with groups={groups} expects "
                         f"input with {per_group * groups} channels, got {channels} channels "
                         f"(input shape {tuple(x.shape)})")


def _conv(x, weight, bias, n, stride, padding, dilation, groups, what):
    _check_shapes(x, weight, n, groups, what)
    kernel = tuple(weight.shape[2:])
    stride = as_tuple(stride, n, "stride")
    dilation = as_tuple(dilation, n, "dilation")
    pairs = _padding_pairs(padding, kernel, stride, dilation, what)
    batched = len(x.shape) == n + 2
    view = windows(x, kernel, stride, pairs, dilation, order=kernel_first(len(x.shape) + n, n))
    sizes = {"g": groups} if groups > 1 else {}
    out = einsum(conv_equation(n, groups, batched), weight, view, **sizes)
    if bias is not None:
        if tuple(bias.shape) != (weight.shape[0],):
            raise ShapeError(f"{what}: bias must have shape ({weight.shape[0]},), "
                             f"got {tuple(bias.shape)}")
        out = out + bias.reshape((weight.shape[0],) + (1,) * n)
    return out


def conv1d(x, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """1-D convolution (cross-correlation, as torch): ``b c h i, o c i -> b o h``.

    >>> import numpy as np
    >>> conv1d(np.ones((1, 2, 4)), np.ones((3, 2, 2))).shape
    (1, 3, 3)
    """
    return _conv(x, weight, bias, 1, stride, padding, dilation, groups, "conv1d")


def conv2d(x, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """2-D convolution with torch semantics, one einsum over the padded input's windows.

    ``padding`` is an int, a pair, or ``"valid"``/``"same"``.

    >>> import numpy as np
    >>> conv2d(np.ones((2, 3, 6, 6)), np.ones((4, 3, 3, 3)), stride=2, padding=1).shape
    (2, 4, 3, 3)
    """
    return _conv(x, weight, bias, 2, stride, padding, dilation, groups, "conv2d")

