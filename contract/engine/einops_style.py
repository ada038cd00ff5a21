"""einops-style ``rearrange``, ``reduce`` and ``repeat`` as einsums over the one grammar.

An einops pattern is an einsum equation with one operand, read in named mode
(:func:`~contract.grammar.parser.parse_pattern`): ``"b c (h p) (w q) -> b c h w"`` is
the sum-pool einsum itself.  So ``rearrange`` is that einsum with nothing summed (views,
a transpose, group merges), ``reduce`` is it in the reduction's semiring (``sum`` real,
``max`` maxplus, ``min`` minplus, ``logsumexp`` log, any registered semiring by name;
``mean`` the real einsum with a scalar operand ``1/n`` folded in, so the scaling happens
in the accumulation dtype; ``prod`` a view that moves the reduced axes last, the
backend's exact product over them, and the output's groups), and ``repeat`` is the
einsum of the tensor with a ones operand over the new axes, run as a view einsum, the
backend's ``tile`` and the merging einsum (a multiply by ones over a short inner axis is
4x slower than einops' tile).  These run on every operand ``ct.einsum`` takes; the Tensor
layer (``ct.rearrange`` ...) adds torch's gradient rules for max, min and prod.

>>> import numpy as np
>>> x = np.arange(16.).reshape(1, 1, 4, 4)
>>> rearrange(x, "b c (h p) (w q) -> b (c p q) h w", p=2, q=2).shape
(1, 4, 2, 2)
>>> reduce(x, "b c (h p) (w q) -> b c h w", "max", p=2, q=2)[0, 0]
array([[ 5.,  7.],
       [13., 15.]])
>>> repeat(np.array([1, 2]), "w -> h w", h=2)
array([[1, 2],
       [1, 2]])
"""
import operator
from dataclasses import dataclass
from functools import lru_cache
from math import prod
from typing import Optional, Tuple

import numpy as np

from contract.backends import backend_for
from contract.engine.api import einsum
from contract.engine.cache import cached_plan
from contract.engine.operands import run_plan, special_type, to_arrays
from contract.engine.semirings import get_semiring
from contract.errors import ContractError
from contract.grammar import parse_pattern
from contract.grammar.equation import ELLIPSIS, Equation, term_labels

# einops' reduction names and the semiring whose add each one is (mean: real, then 1/n;
# prod has no semiring: a view, then the backend's product)
REDUCTIONS = {"sum": "real", "mean": "real", "max": "maxplus", "min": "minplus",
              "logsumexp": "log", "prod": None}


@dataclass(frozen=True)
class Recipe:
    """A checked pattern: the whole operation as one einsum, and the pieces around it."""

    equation: Equation           # left -> right (repeat: left, new -> right)
    reduced: Tuple[str, ...]     # labels only on the left, '...' when only the left has it
    new: Tuple[str, ...]         # labels only on the right (repeat)
    split: Equation              # reduce: left -> kept labels, then the reduced ones;
                                 # repeat: left -> right's labels, new ones as size-1 axes
    merge: Equation              # split's output -> right (groups merged, anonymous axes)
    kept: int                    # axes of ``split``'s output before the reduced ones, '...' not
    scaled: Optional[Equation]   # left, () -> right: the mean with its 1/n operand


def _check_sides(kind, pattern, left, right):
    for side, term in (("left", left), ("right", right)):
        labels = term_labels(term)
        for label in labels:
            if labels.count(label) > 1:
                raise ContractError(f"{kind}: axis {label!r} appears twice on the {side} of "
                                    f"{pattern!r}; an axis name appears once per side")
    if ELLIPSIS in right and ELLIPSIS not in left:
        raise ContractError(f"{kind}: '...' is on the right of {pattern!r} but not on the left")
    if ELLIPSIS in left and ELLIPSIS not in right and kind != "reduce":
        raise ContractError(f"{kind}: '...' is on the left of {pattern!r} but not on the right")


def _check_labels(kind, pattern, only_left, only_right):
    if kind == "rearrange" and (only_left or only_right):
        where = (f"{', '.join(map(repr, only_left))} only on the left" if only_left else
                 f"{', '.join(map(repr, only_right))} only on the right")
        raise ContractError(f"rearrange: {where} of {pattern!r}; every axis appears on both "
                            f"sides (ct.reduce removes axes, ct.repeat adds them)")
    if kind == "reduce" and only_right:
        raise ContractError(f"reduce: {', '.join(map(repr, only_right))} only on the right of "
                            f"{pattern!r}; a reduction keeps or removes axes (ct.repeat adds "
                            f"them)")
    if kind == "repeat" and only_left:
        raise ContractError(f"repeat: {', '.join(map(repr, only_left))} only on the left of "
                            f"{pattern!r}; repeat keeps every axis (ct.reduce removes them)")


@lru_cache(maxsize=1024)
def recipe(pattern, kind) -> Recipe:
    """The checked :class:`Recipe` of an einops ``pattern`` for ``kind`` ("rearrange",
    "reduce" or "repeat"); errors are ContractErrors in einsum's style.

    >>> recipe("b (h p) -> b h", "reduce").reduced
    ('p',)
    """
    parsed = parse_pattern(pattern)
    left, right = parsed.inputs[0], parsed.output
    _check_sides(kind, pattern, left, right)
    left_labels, right_labels = term_labels(left), term_labels(right)
    only_left = tuple(x for x in left_labels if x not in right_labels)
    only_right = tuple(x for x in right_labels if x not in left_labels)
    _check_labels(kind, pattern, only_left, only_right)
    reduced = only_left + ((ELLIPSIS,) if ELLIPSIS in left and ELLIPSIS not in right else ())
    new_term = tuple((label,) for label in only_right)
    if kind == "repeat":         # new axes of size 1 where the right side has them
        flat = _flat(right)
        holes = tuple(() if axis != ELLIPSIS and axis[0] in only_right else axis
                      for axis in flat)
        return Recipe(Equation((left, new_term), right, True, True), (), only_right,
                      Equation((left,), holes, True, True),
                      Equation((flat,), right, True, True), 0, None)
    kept = _flat(right)
    return Recipe(
        equation=Equation((left,), right, True, True),
        reduced=reduced, new=only_right,
        split=Equation((left,), kept + tuple(x if x == ELLIPSIS else (x,) for x in reduced),
                       True, True),
        merge=Equation((kept,), right, True, True),
        kept=sum(1 for axis in kept if axis != ELLIPSIS),
        scaled=Equation((left, ()), right, True, True))


def _flat(term):
    """A term's axes one label each (groups split, anonymous axes dropped, '...' kept)."""
    return tuple(ELLIPSIS if axis == ELLIPSIS else (label,) for axis in term
                 for label in ((ELLIPSIS,) if axis == ELLIPSIS else axis))


def failed(kind, pattern, err):
    """``err`` again, its message led by the call it came from."""
    return type(err)(f"{kind}({pattern!r}): {err}")


def stacked(tensor):
    """einops reads a list of arrays as one array stacked on a new first axis."""
    if isinstance(tensor, (list, tuple)):
        if not tensor:
            raise ContractError("an empty list has no array to rearrange")
        arrays = to_arrays(tensor)
        return backend_for(arrays).xp.stack(arrays)
    return tensor


def rearrange(tensor, pattern, **axes_lengths):
    """einops' ``rearrange``: reorder, split (``(h p)`` on the left), merge (on the right),
    add or drop anonymous axes (``1`` or ``()``); the einsum with nothing summed.

    >>> import numpy as np
    >>> rearrange(np.zeros((2, 3, 4)), "b h w -> b 1 (h w)").shape
    (2, 1, 12)
    """
    tensor = stacked(tensor)
    try:
        return einsum(recipe(pattern, "rearrange").equation, tensor, **axes_lengths)
    except ContractError as err:
        raise failed("rearrange", pattern, err) from None


def _array_of(tensor):
    entry = special_type([tensor])
    return entry.array(tensor) if entry else to_arrays([tensor])[0]


def _mean(tensor, found: Recipe, axes_lengths):
    """The sum einsum with a scalar operand ``1/n`` (n: elements reduced into each result),
    scaled in the accumulation dtype (float32 for float16); ints give float64, as numpy's
    mean.  An empty reduction gives nan, as numpy and torch."""
    array = _array_of(tensor)
    dtype = None if array.dtype.kind in "biu" else array.dtype
    plan = cached_plan(found.scaled, [np.shape(array), ()], dtype=dtype, sizes=axes_lengths)
    out = prod(plan.output_shape)
    n = prod(np.shape(array)) // out if out else 1
    scale = backend_for([array]).asarray(np.asarray(1.0 / n if n else 0.0))
    value = run_plan(plan, [tensor, scale])
    return value * np.nan if n == 0 and out else value


def reduce_split(tensor, found: Recipe, axes_lengths, reduce_last):
    """A reduction with no semiring: the view that moves the reduced axes last, then
    ``reduce_last(view, axes)`` over them, then the output's groups and anonymous axes."""
    view = einsum(found.split, tensor, **axes_lengths)
    ndim = len(np.shape(view))
    trailing = ndim - found.kept if ELLIPSIS in found.reduced else len(found.reduced)
    value = reduce_last(view, tuple(range(ndim - trailing, ndim)))
    if found.merge.inputs[0] == found.merge.output:
        return value
    return einsum(found.merge, value)


def _product(view, axes):
    """The backend's product over ``axes`` (exact with zeros and signs); float16
    accumulates in float32, as every einsum does."""
    if view.dtype == np.float16:
        return view.prod(axis=axes, dtype=np.float32).astype(np.float16)
    return view.prod(axis=axes)


def semiring_of(reduction):
    """The semiring whose add is ``reduction`` (an einops name or a registered semiring)."""
    name = REDUCTIONS.get(reduction, reduction) if isinstance(reduction, str) else None
    try:
        return get_semiring(name)
    except ContractError:
        raise ContractError(f"unknown reduction {reduction!r}; choose one of "
                            f"{', '.join(REDUCTIONS)} or a registered semiring's name") from None


def reduce(tensor, pattern, reduction, **axes_lengths):
    """einops' ``reduce``: the axes only on the left are reduced by ``reduction`` ("sum",
    "mean", "max", "min", "prod", "logsumexp", or a registered semiring's name).

    >>> import numpy as np
    >>> reduce(np.arange(6.).reshape(2, 3), "b h -> b", "mean")
    array([1., 4.])
    >>> reduce(np.array([[-2., 3.], [0., 5.]]), "b h -> h 1", "prod")
    array([[-0.],
           [15.]])
    """
    tensor = stacked(tensor)
    try:
        found = recipe(pattern, "reduce")
        if reduction == "mean":
            return _mean(tensor, found, axes_lengths)
        if reduction == "prod":
            return reduce_split(tensor, found, axes_lengths, _product)
        ring = semiring_of(reduction)
        value = einsum(found.equation, tensor, semiring=ring.name, **axes_lengths)
        array = None if special_type([tensor]) else to_arrays([tensor])[0]
        if ring.has_argmax and array is not None and value.dtype != array.dtype:
            value = value.astype(array.dtype)       # a max or min is one of the inputs
        return value
    except ContractError as err:
        raise failed("reduce", pattern, err) from None


def repeat(tensor, pattern, **axes_lengths):
    """einops' ``repeat``: axes only on the right are new, of the sizes given as keywords.

    It is the einsum of the tensor and a ones operand holding the new axes (``"h w, c ->
    h w c"``), run as einops runs it: an einsum that lays the tensor out as the right side
    with size-1 axes for the new ones (a view), those repeated to their sizes (the
    backend's ``tile``), then the einsum that merges the right side's groups (a view of the
    tiled array); the result is a new contiguous array.

    >>> import numpy as np
    >>> repeat(np.array([[1, 2]]), "h w -> (h c) w", c=2)
    array([[1, 2],
           [1, 2]])
    """
    tensor = stacked(tensor)
    try:
        return spread(tensor, recipe(pattern, "repeat"), axes_lengths, _tile, _contiguous)
    except ContractError as err:
        raise failed("repeat", pattern, err) from None


def spread(tensor, found: Recipe, axes_lengths, broadcast, contiguous):
    """:func:`repeat`'s steps; ``broadcast(x, shape)`` and ``contiguous(x)`` are the array
    type's own (the Tensor layer passes differentiable ones)."""
    missing = [name for name in found.new if name not in axes_lengths]
    if missing:
        raise ContractError(f"new axis {missing[0]!r} needs its size as a keyword, e.g. "
                            f"{missing[0]}=3")
    sizes = {name: _size(name, axes_lengths[name]) for name in found.new}
    given = {name: size for name, size in axes_lengths.items() if name not in sizes}
    view = einsum(found.split, tensor, **given)
    flat, have = found.merge.inputs[0], tuple(np.shape(view))
    extra = len(have) - sum(1 for axis in flat if axis != ELLIPSIS)
    shape, k = [], 0
    for axis in flat:
        width = extra if axis == ELLIPSIS else 1
        shape += have[k:k + width] if axis == ELLIPSIS or axis[0] not in sizes else [
            sizes[axis[0]]]
        k += width
    value = broadcast(view, tuple(shape))
    if found.merge.inputs[0] != found.merge.output:
        value = einsum(found.merge, value)
    return contiguous(value)


def _tile(array, shape):
    """``array`` repeated along its size-1 axes to ``shape``: the backend's ``tile`` (a
    contiguous copy in block copies, as einops does it)."""
    reps = tuple(n if have == 1 else 1 for have, n in zip(np.shape(array), shape))
    return backend_for([array]).xp.tile(array, reps)


def _contiguous(array):
    """A new C-ordered array where ``array`` is a (broadcast) view; Dask arrays are kept."""
    if getattr(array, "flags", None) is None:
        return array
    return backend_for([array]).xp.ascontiguousarray(array)


def _size(name, value):
    try:
        size = operator.index(value)
    except TypeError:
        size = -1
    if isinstance(value, bool) or size < 0:
        raise ContractError(f"the size of axis {name!r} must be a non-negative int, got "
                            f"{value!r}")
    return size
