"""``ct.rearrange``, ``ct.reduce``, ``ct.repeat``: einops' functions on the einsum grammar.

The work is the engine's (:mod:`contract.engine.einops_style`): each call is an einsum
(real or semiring) over the pattern, so on Tensors it is differentiable through the
einsum VJP; ``repeat`` broadcasts with ``expand`` (its gradient is the sum einsum).
For Tensors this module adds torch's rules where a reduction has its own:
``max`` / ``min`` share the gradient evenly between ties (``amax`` / ``amin``), ``prod``
sends each element the product of the others (exact with zeros), and ``mean`` of an
integer tensor raises as torch does.  A list of tensors is stacked on a new first axis,
as einops does.

>>> import contract as ct
>>> x = ct.arange(16.).reshape(1, 1, 4, 4).requires_grad_()
>>> y = ct.reduce(x, "b c (h p) (w q) -> b c h w", "max", p=2, q=2)
>>> y.sum().backward(); x.grad[0, 0]
tensor([[0., 0., 0., 0.],
        [0., 1., 0., 1.],
        [0., 0., 0., 0.],
        [0., 1., 0., 1.]])
"""
from contract.engine import einops_style as engine
from contract.errors import ContractError
from contract.tensors.core import Tensor
from contract.tensors.ops.join import stack
from contract.tensors.ops.reduce import _need_float, prod
from contract.tensors.ops.semiring import tensor_amax, tensor_amin
from contract.tensors.ops.shape import contiguous, expand

# reductions whose Tensor gradient follows torch's own rule rather than the semiring's
_TORCH_RULES = {"max": tensor_amax, "min": tensor_amin, "prod": prod}


def _stacked(tensor):
    if isinstance(tensor, (list, tuple)) and any(isinstance(t, Tensor) for t in tensor):
        return stack(list(tensor))
    return tensor


def rearrange(tensor, pattern, **axes_lengths):
    """einops' ``rearrange`` on a Tensor or an array: reorder, split ``(h p)``, merge,
    add or drop anonymous axes ``1`` / ``()``; nothing is summed.

    >>> import contract as ct
    >>> ct.rearrange(ct.zeros(2, 3, 4, 6), "b c (h p) (w q) -> b (c p q) h w", p=2, q=2).shape
    ct.Size([2, 12, 2, 3])
    """
    return engine.rearrange(_stacked(tensor), pattern, **axes_lengths)


def reduce(tensor, pattern, reduction, **axes_lengths):
    """einops' ``reduce``: the axes only on the left are reduced by ``reduction``: "sum",
    "mean", "max", "min", "prod", "logsumexp", or a registered semiring's name.

    >>> import contract as ct
    >>> ct.reduce(ct.tensor([[1., 2.], [3., 4.]]), "b h -> b", "mean")
    tensor([1.5000, 3.5000])
    """
    tensor = _stacked(tensor)
    rule = _TORCH_RULES.get(reduction) if isinstance(reduction, str) else None
    if not isinstance(tensor, Tensor) or (rule is None and reduction != "mean"):
        return engine.reduce(tensor, pattern, reduction, **axes_lengths)
    if rule is None:
        _need_float("mean", tensor)
        return engine.reduce(tensor, pattern, reduction, **axes_lengths)
    try:
        found = engine.recipe(pattern, "reduce")
        return engine.reduce_split(tensor, found, axes_lengths,
                                   lambda view, axes: rule(view, axes) if axes else view)
    except ContractError as err:
        raise engine.failed("reduce", pattern, err) from None


def repeat(tensor, pattern, **axes_lengths):
    """einops' ``repeat``: the axes only on the right are new, sized by keywords.

    >>> import contract as ct
    >>> ct.repeat(ct.tensor([1., 2.]), "w -> w c", c=2)
    tensor([[1., 1.],
            [2., 2.]])
    """
    tensor = _stacked(tensor)
    if not isinstance(tensor, Tensor):
        return engine.repeat(tensor, pattern, **axes_lengths)
    try:
        return engine.spread(tensor, engine.recipe(pattern, "repeat"), axes_lengths,
                             lambda t, shape: expand(t, shape), contiguous)
    except ContractError as err:
        raise engine.failed("repeat", pattern, err) from None
