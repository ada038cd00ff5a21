"""The parsed, shape-independent form of an einsum equation.

An :class:`Equation` is frozen and hashable: a tuple of input terms and an
output term.  A term is a tuple of axes; an axis is either :data:`ELLIPSIS`
or a tuple of labels (one label for a plain axis, several for a group
``(h p)``, none for ``()`` which is an axis of size one).

>>> from contract.grammar import parse
>>> eq = parse("ij,jk")
>>> eq.output, eq.text
((('i',), ('k',)), 'ij,jk->ik')
"""
from dataclasses import dataclass, field
from typing import Tuple, Union

ELLIPSIS = "..."
Axis = Union[str, Tuple[str, ...]]
Term = Tuple[Axis, ...]


@dataclass(frozen=True)
class Equation:
    """A parsed einsum equation (see the grammar in ``grammar/einsum.lark``)."""

    inputs: Tuple[Term, ...]
    output: Term
    explicit: bool
    named: bool
    # each term as written (names, groups as tuples of names, '...'), the output last when
    # explicit: what error messages quote (see grammar/explain.py); not part of equality
    written: Tuple[tuple, ...] = field(default=(), compare=False, repr=False)

    @property
    def text(self) -> str:
        """The normalised equation text (always with an explicit output)."""
        sep, arrow = (", ", " -> ") if self.named else (",", "->")
        ins = sep.join(format_term(t, self.named) for t in self.inputs)
        return ins + arrow + format_term(self.output, self.named)

    def labels(self):
        """Every label of the inputs, in order of first appearance."""
        seen = {}
        for term in self.inputs:
            for label in term_labels(term):
                seen.setdefault(label, None)
        return tuple(seen)

    def __str__(self) -> str:
        return self.text


def term_labels(term: Term):
    """The labels of a term in order, groups flattened, ``...`` left out."""
    return [label for axis in term if axis != ELLIPSIS for label in axis]


def format_term(term: Term, named: bool) -> str:
    """Write one term back as text in letter or named mode."""
    sep = " " if named else ""
    parts = []
    for axis in term:
        if axis == ELLIPSIS:
            parts.append(ELLIPSIS)
        elif len(axis) == 1:
            parts.append(axis[0])
        else:
            parts.append("(" + sep.join(axis) + ")")
    return sep.join(parts)


def implicit_output(inputs) -> Term:
    """numpy's implicit output: ``...`` then the labels seen once, sorted."""
    counts = {}
    for term in inputs:
        for label in term_labels(term):
            counts[label] = counts.get(label, 0) + 1
    once = sorted(label for label, n in counts.items() if n == 1)
    lead = (ELLIPSIS,) if any(ELLIPSIS in t for t in inputs) else ()
    return lead + tuple((label,) for label in once)
