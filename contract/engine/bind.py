"""Bind a parsed Equation to operand shapes: the shape-dependent canonical form.

Binding expands ``...`` (right-aligned broadcast), splits input groups,
infers group sizes (from shapes or keywords), squeezes size-1 axes that
broadcast, takes repeated labels as diagonals, and numbers every label.
The result, a :class:`Bound`, holds only integer labels and sizes, which is
what the planner and the executor work on.

>>> from contract.grammar import parse
>>> b = bind(parse("ii,ij->j"), ((3, 3), (3, 4)), {})
>>> b.terms, b.output, b.sizes
(((0,), (0, 1)), (1,), (3, 4))
"""
import operator
from dataclasses import dataclass
from typing import Dict, Optional, Tuple

from contract.grammar.equation import ELLIPSIS, Equation
from contract.grammar.explain import rank_hint
from contract.grammar.parser import shorten
from contract.errors import ContractError, ShapeError
from contract.engine.kernels.real import MAX_DIMS


@dataclass(frozen=True)
class OperandPrep:
    """How one operand is brought to its canonical term (all views)."""

    split_shape: Optional[Tuple[int, ...]]   # reshape that splits groups, or None
    squeeze: Tuple[int, ...]                 # size-1 axes that broadcast away
    diagonals: Tuple[Tuple[int, int], ...]   # (axis1, axis2) pairs, applied in order

    @property
    def is_identity(self) -> bool:
        return self.split_shape is None and not self.squeeze and not self.diagonals


@dataclass(frozen=True)
class Bound:
    """An equation bound to shapes: integer labels, sizes and the view recipes."""

    terms: Tuple[Tuple[int, ...], ...]   # canonical (repeat-free) labels per operand
    preps: Tuple[OperandPrep, ...]
    output: Tuple[int, ...]              # unique output labels, in output order
    output_full: Tuple[int, ...]         # output labels with repeats (diagonal embedding)
    final_shape: Tuple[int, ...]         # after merging output groups
    sizes: Tuple[int, ...]               # size of each canonical label
    names: Tuple[str, ...]               # the user's name of each canonical label

    @property
    def embeds_diagonal(self) -> bool:
        return len(self.output_full) != len(self.output)

def _ellipsis_names(count: int):
    return [f"...{k}" for k in range(count)]


def _expand_terms(eq: Equation, shapes):
    """Replace ``...`` by numbered labels; check each operand's rank."""
    ell_dims, expanded = [], []
    for i, (term, shape) in enumerate(zip(eq.inputs, shapes)):
        fixed = sum(1 for a in term if a != ELLIPSIS)
        if ELLIPSIS in term:
            if len(shape) < fixed:
                raise ShapeError(f"operand {i} has {len(shape)} dimensions but its term "
                                 f"needs at least {fixed}{rank_hint(eq, i, len(shape))}")
            ell_dims.append(len(shape) - fixed)
        elif len(shape) != fixed:
            raise ShapeError(f"operand {i} has {len(shape)} dimensions but its term has {fixed} "
                             f"(shape {tuple(shape)}); use '...' to broadcast extra dimensions"
                             f"{rank_hint(eq, i, len(shape))}")
        else:
            ell_dims.append(0)
    width = max(ell_dims, default=0)
    names = _ellipsis_names(width)
    for term, count in zip(eq.inputs, ell_dims):
        expanded.append(_expand(term, [(n,) for n in names[width - count:]]))
    out = _expand(eq.output, [(n,) for n in names])
    return expanded, out


def _expand(term, ell_axes):
    axes = []
    for axis in term:
        axes.extend(ell_axes if axis == ELLIPSIS else [axis])
    return axes


class _Sizes:
    """Label sizes with size-1 broadcasting and keyword-given sizes."""

    def __init__(self, given):
        self.size: Dict[str, int] = {}
        self.seen: Dict[str, Tuple[int, int]] = {}   # label -> (operand, size) of a witness
        self.given = dict(given)

    def add(self, label, size, operand):
        old = self.size.get(label)
        if old is None or old == size or size == 1:
            if old is None:
                self.size[label], self.seen[label] = size, (operand, size)
            return
        if old == 1:
            self.size[label], self.seen[label] = size, (operand, size)
            return
        where, _ = self.seen[label]
        raise ShapeError(f"label {_show(label)} has size {old} in operand {where} but size "
                         f"{size} in operand {operand}; sizes must match or be 1")


def _show(label):
    return f"'...' dimension {label[3:]}" if label.startswith("...") else repr(label)


def _check_given(sizes: _Sizes, labels):
    for label, size in sizes.given.items():
        if label not in labels:
            raise ContractError(f"a size was given for label {label!r}, which is not in the "
                                f"equation (labels: {', '.join(sorted(labels))})")
        try:
            value = operator.index(size)    # ints and NumPy integers (n = np.int64(2))
        except TypeError:
            value = -1
        if isinstance(size, bool) or value < 0:
            raise ContractError(f"the size of label {label!r} must be a non-negative int, "
                                f"got {size!r}")
        sizes.given[label] = value


def _resolve_groups(sizes: _Sizes, groups, tentative):
    """Infer sizes of labels inside groups; groups = [(operand, labels, dim)].

    ``tentative`` labels have size 1 from a plain axis, which broadcasts: a group
    may still fix them; only when nothing else progresses are they taken as 1.
    """
    pending = list(groups)
    while pending:
        progress, rest = False, []
        for operand, labels, dim in pending:
            unknown = [lab for lab in labels if lab not in sizes.size or lab in tentative]
            if len(unknown) > 1:
                rest.append((operand, labels, dim))
                continue
            progress = True
            known = 1
            for lab in labels:
                known *= sizes.size[lab] if lab not in unknown else 1
            if unknown:
                if known == 0 or dim % known:
                    raise ShapeError(f"axis of size {dim} in operand {operand} cannot be split "
                                     f"as ({' '.join(labels)}): {dim} is not a multiple of {known}")
                sizes.size[unknown[0]] = dim // known
                sizes.seen[unknown[0]] = (operand, dim // known)
                tentative.discard(unknown[0])
            elif not labels and dim != 1:
                raise ShapeError(f"the anonymous axis (1 or ()) of operand {operand} has size "
                                 f"{dim}; an anonymous axis has size 1")
            elif known != dim:
                raise ShapeError(f"group ({' '.join(labels)}) in operand {operand} has size "
                                 f"{known} but the axis has size {dim}")
        pending = rest
        if not progress and tentative:
            tentative.clear()         # nothing fixes them: the broadcast sizes of 1 stand
        elif not progress:
            operand, labels, dim = rest[0]
            missing = [lab for lab in labels if lab not in sizes.size]
            raise ShapeError(f"cannot infer the sizes of {', '.join(missing)} in group "
                             f"({' '.join(labels)}) of operand {operand} (size {dim}); "
                             f"give all but one as keywords, e.g. {missing[0]}=2")


def _label_sizes(expanded, shapes, given):
    sizes = _Sizes(given)
    groups = []
    for i, (axes, shape) in enumerate(zip(expanded, shapes)):
        for axis, dim in zip(axes, shape):
            if len(axis) == 1:
                sizes.add(axis[0], dim, i)
            else:
                groups.append((i, axis, dim))
    all_labels = {lab for axes in expanded for axis in axes for lab in axis}
    _check_given(sizes, all_labels)
    for label, size in sizes.given.items():
        if sizes.size.get(label, 1) not in (1, size):
            operand, _ = sizes.seen[label]
            raise ShapeError(f"label {label!r} was given size {size} but has size "
                             f"{sizes.size[label]} in operand {operand}")
        sizes.size[label] = size          # a plain axis of size 1 broadcasts to it
        sizes.seen[label] = ("keywords", size)
    tentative = {lab for lab, n in sizes.size.items() if n == 1 and lab not in sizes.given}
    _resolve_groups(sizes, groups, tentative)
    return sizes.size


def _check_repeats(labels, dims, operand):
    """A label repeated in one operand (a diagonal) needs one size there: a size-1 axis
    broadcasts against other operands, never against its own diagonal partner (numpy and
    torch refuse ``ii->i`` on a (1, 3) operand too)."""
    seen = {}
    for lab, d in zip(labels, dims):
        if seen.setdefault(lab, d) != d:
            raise ShapeError(f"label {_show(lab)} is repeated in operand {operand} with sizes "
                             f"{seen[lab]} and {d}; a diagonal needs equal sizes")


def _prep_operand(axes, shape, size, number, operand):
    """Recipe for one operand: split groups, squeeze broadcast axes, diagonals."""
    split = any(len(axis) != 1 for axis in axes)
    labels = [lab for axis in axes for lab in axis]
    # a plain axis keeps its own length (1 where it broadcasts); a group splits by label sizes
    dims = [d for axis, dim in zip(axes, shape)
            for d in ([dim] if len(axis) == 1 else [size[lab] for lab in axis])]
    if len(set(labels)) != len(labels):
        _check_repeats(labels, dims, operand)
    squeeze = tuple(k for k, (lab, d) in enumerate(zip(labels, dims)) if d == 1 and size[lab] != 1)
    labels = [lab for k, lab in enumerate(labels) if k not in squeeze]
    diagonals = []
    while len(set(labels)) != len(labels):
        first = next(lab for lab in labels if labels.count(lab) > 1)
        a = labels.index(first)
        b = labels.index(first, a + 1)
        diagonals.append((a, b))
        labels = [lab for k, lab in enumerate(labels) if k not in (a, b)] + [first]
    prep = OperandPrep(tuple(dims) if split else None, squeeze, tuple(diagonals))
    return prep, tuple(number[lab] for lab in labels)


def bind(eq: Equation, shapes, given: Dict[str, int]) -> Bound:
    """Bind ``eq`` to operand ``shapes`` (``given``: keyword label sizes)."""
    if len(shapes) != len(eq.inputs):
        raise ContractError(f"the equation {shorten(eq.text)!r} has {len(eq.inputs)} input "
                            f"terms but {len(shapes)} operands were given")
    expanded, out_axes = _expand_terms(eq, shapes)
    size = _label_sizes(expanded, shapes, given)
    number: Dict[str, int] = {}
    for axes in expanded:
        for axis in axes:
            for lab in axis:
                number.setdefault(lab, len(number))
    preps, terms = zip(*(_prep_operand(axes, shape, size, number, i)
                         for i, (axes, shape) in enumerate(zip(expanded, shapes)))
                       ) if shapes else ((), ())
    for i, prep in enumerate(preps):
        if prep.split_shape is not None and len(prep.split_shape) > MAX_DIMS:
            raise ShapeError(f"operand {i} split into its groups would have "
                             f"{len(prep.split_shape)} dimensions; arrays hold at most {MAX_DIMS}")
    out_full = tuple(number[lab] for axis in out_axes for lab in axis)
    final = []
    for axis in out_axes:
        dim = 1
        for lab in axis:
            dim *= size[lab]
        final.append(dim)
    names = tuple(number)
    return Bound(tuple(terms), tuple(preps), tuple(dict.fromkeys(out_full)), out_full,
                 tuple(final), tuple(size[n] for n in names), names)
