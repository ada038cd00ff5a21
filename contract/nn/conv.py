"""Convolution as one einsum over the window view of the padded input.

``conv2d`` is ``o c i j, b c i j h w -> b o h w``: the weight against the strided
window view (groups: ``(g o) c i j, b (g c) i j h w -> b (g o) h w``), planned by
the same planner as every einsum, run tile by tile (:mod:`contract.nn.conv_tiles`:
each tile's window copy stays in cache and its GEMM writes into the output).

Stride-1 calls may run as Winograd or FFT instead (:mod:`contract.nn.conv_algo` picks per
call and per pass by a calibrated cost model; ``CONTRACT_CONV_ALGO`` forces one).

On Tensors the conv is one graph node.  Its weight gradient is the windows
against the output gradient (``c i j h w, o h w -> c i j o``), summed over the
tiles; its input gradient is, for stride 1, a transposed convolution (the output
gradient, zero-margined, against the flipped weight), and otherwise each image's
window gradient added back onto the input (overlapping windows add up).

>>> import numpy as np
>>> conv1d(np.arange(5.).reshape(1, 1, 5), np.ones((1, 1, 2)))
array([[[1., 3., 5., 7.]]])
"""
import numpy as np

from contract.dtypes import conj
from contract.errors import ContractError, ShapeError
from contract.nn import conv_algo
from contract.nn._graph import array_of, is_tensor, namespace
from contract.autograd import is_grad_enabled
from contract.nn.conv_tiles import Geometry, conv_equation, forward
from contract.nn.windows import as_tuple, pad_pairs
from contract.tensors.core import record
from contract.tensors.dispatch import overridable

__all__ = ["conv1d", "conv2d", "conv3d", "conv_equation"]


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


def _as_operand(value, name, what):
    """A Tensor or backend array as it is; nested lists read as NumPy (as einsum reads them)."""
    if is_tensor(value) or (hasattr(value, "shape") and hasattr(value, "dtype")):
        return value
    try:
        array = np.asarray(value)
    except (TypeError, ValueError) as err:
        raise ContractError(f"{what}: {name} cannot be read as an array: {err}") from None
    if array.dtype.kind not in "biufc":
        raise ContractError(f"{what}: {name} must be numeric, got {type(value).__name__} "
                            f"of dtype {array.dtype}")
    return array


def _conv(x, weight, bias, n, stride, padding, dilation, groups, what):
    x, weight = _as_operand(x, "input", what), _as_operand(weight, "weight", what)
    _check_shapes(x, weight, n, groups, what)
    kernel = tuple(weight.shape[2:])
    if 0 in kernel:
        raise ShapeError(f"{what}: kernel size should be greater than zero, got weight shape "
                         f"{tuple(weight.shape)}")
    stride = as_tuple(stride, n, "stride")
    dilation = as_tuple(dilation, n, "dilation")
    pairs = _padding_pairs(padding, kernel, stride, dilation, what)
    out = _conv_node(x, weight, Geometry(kernel, stride, pairs, dilation, groups))
    if bias is not None:
        if tuple(bias.shape) != (weight.shape[0],):
            raise ShapeError(f"{what}: bias must have shape ({weight.shape[0]},), "
                             f"got {tuple(bias.shape)}")
        out = out + bias.reshape((weight.shape[0],) + (1,) * n)
    return out


def _conv_node(x, weight, geo):
    """Forward on arrays; on Tensors one graph node whose VJP runs the tiled gradients."""
    data, kernel_data = array_of(x), array_of(weight)
    xp = namespace(data)
    batched = data.ndim == len(geo.kernel) + 2
    images = data if batched else data[None]
    algo = conv_algo.pick(xp, images, kernel_data, geo)
    if algo is None:
        out = forward(xp, images, kernel_data, geo)
    else:
        out = conv_algo.forward(xp, images, kernel_data, algo, cached=not _needs_grad(weight))
    out = out if batched else out[0]
    if not (is_tensor(x) or is_tensor(weight)):
        return out

    def vjp(grad):          # complex: conj(VJP(conj(grad))), torch's convention
        grad = conj(grad if batched else grad[None])
        grad_w = grad_x = None
        if getattr(weight, "requires_grad", False):
            grad_w = conj(conv_algo.weight_grad(xp, images, grad, kernel_data, geo))
        if getattr(x, "requires_grad", False):
            grad_x = conj(conv_algo.input_grad(xp, grad, kernel_data, images, geo))
            grad_x = grad_x if batched else grad_x[0]
        return grad_x, grad_w
    return record("conv", out, (x, weight), vjp)


def _needs_grad(weight):
    """Whether a gradient may be asked of ``weight`` (else its kernel transform is cached)."""
    if not getattr(weight, "requires_grad", False):
        return False
    return is_grad_enabled()


@overridable
def conv1d(x, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """1-D convolution (cross-correlation, as torch): ``b c h i, o c i -> b o h``.

    >>> import numpy as np
    >>> conv1d(np.ones((1, 2, 4)), np.ones((3, 2, 2))).shape
    (1, 3, 3)
    """
    return _conv(x, weight, bias, 1, stride, padding, dilation, groups, "conv1d")


@overridable
def conv2d(x, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """2-D convolution with torch semantics, one einsum over the padded input's windows.

    ``padding`` is an int, a pair, or ``"valid"``/``"same"``.

    >>> import numpy as np
    >>> conv2d(np.ones((2, 3, 6, 6)), np.ones((4, 3, 3, 3)), stride=2, padding=1).shape
    (2, 4, 3, 3)
    """
    return _conv(x, weight, bias, 2, stride, padding, dilation, groups, "conv2d")



@overridable
def conv3d(x, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """3-D convolution with torch semantics (volumes ``b c d h w``).

    >>> import numpy as np
    >>> conv3d(np.ones((1, 2, 4, 4, 4)), np.ones((3, 2, 2, 2, 2))).shape
    (1, 3, 3, 3, 3)
    """
    return _conv(x, weight, bias, 3, stride, padding, dilation, groups, "conv3d")
