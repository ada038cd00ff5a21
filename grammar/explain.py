"""Why an equation is in letter or named mode, and what to write instead (for error messages).

The mode rule (README "The equation language"): an equation is in named mode when some
term or group holds two names separated by whitespace; otherwise every character of a
name is a label.  One space thus changes how every other term reads.  When an output
label is missing or a term has the wrong rank and the other mode would have read it as
meant, the error message names the mode, the term that chose it, and both spellings.

>>> import numpy as np, contract as ct
>>> try:
...     ct.einsum("ij,jk->i k", np.ones((2, 3)), np.ones((3, 4)))
... except ct.ContractError as err:
...     print(err)
output label 'i' does not appear in any input term; the equation is in named mode because \
the output term 'i k' has two names separated by whitespace, so each whitespace-separated \
name is one label ('ij' is one label). Write 'i j, j k -> i k' for named axes, or \
'ij,jk->ik' for one label per letter
>>> try:
...     ct.einsum("batch, batch ->", np.ones(2), np.ones(2))
... except ct.ContractError as err:
...     print(err)
operand 0 has 1 dimensions but its term has 5 (shape (2,)); use '...' to broadcast extra \
dimensions; the equation is in letter mode (no term has two names separated by \
whitespace), so each character is one label ('batch' is 5 labels). Named mode needs a \
term with two names separated by whitespace; with one axis per term write one letter per \
axis: 'b,b->'
"""
from string import ascii_letters

from contract.grammar.equation import ELLIPSIS


def _names(items):
    return [item for item in items if isinstance(item, str) and item != ELLIPSIS]


def _two_names(items):
    """Whether a term (or group) as written holds two names in a row."""
    return (any(isinstance(a, str) and isinstance(b, str) and ELLIPSIS not in (a, b)
                for a, b in zip(items, items[1:]))
            or any(isinstance(item, tuple) and len(item) > 1 for item in items))


def _where(eq, k):
    return "the output term" if k == len(eq.inputs) else f"input term {k}"


def _term_text(items, sep):
    return sep.join("(" + sep.join(item) + ")" if isinstance(item, tuple) else item
                    for item in items)


def _spelled(eq, named):
    """The equation as written, with names split into letters (``named``) or spaces dropped."""
    terms = []
    for items in eq.written:
        if named and not _two_names(items):
            items = [" ".join(item) if isinstance(item, str) and item != ELLIPSIS else item
                     for item in items]
        terms.append(_term_text(items, " " if named else ""))
    sep, arrow = (", ", " -> ") if named else (",", "->")
    text = sep.join(terms[:len(eq.inputs)])
    return text + arrow + terms[-1] if len(terms) > len(eq.inputs) else text


def mode_reason(eq) -> str:
    """Which mode ``eq`` was read in, and why (a clause for an error message)."""
    if eq.named:
        k = next((k for k, items in enumerate(eq.written) if _two_names(items)), None)
        where = "" if k is None else (
            f" because {_where(eq, k)} {_term_text(eq.written[k], ' ')!r} has two names "
            f"separated by whitespace")
        return (f"the equation is in named mode{where}, so each whitespace-separated name is "
                f"one label")
    return ("the equation is in letter mode (no term has two names separated by whitespace), "
            "so each character is one label")


def missing_output_hint(eq, label) -> str:
    """A suffix for "output label ... does not appear" when letter mode would have found it."""
    if not (eq.named and eq.written and len(eq.written) > len(eq.inputs)):
        return ""
    letters = {c for items in eq.written[:len(eq.inputs)] for name in _names(items)
               for c in name}
    wanted = {c for name in _names(eq.written[-1]) for c in name}
    for items in eq.written[-1]:
        wanted.update(c for name in (items if isinstance(items, tuple) else ()) for c in name)
    if not wanted <= letters:
        return ""
    merged = label if len(label) > 1 else next(
        name for items in eq.written[:len(eq.inputs)] for name in _names(items)
        if label in name)
    return (f"; {mode_reason(eq)} ({merged!r} is one label). Write {_spelled(eq, True)!r} "
            f"for named axes, or {_spelled(eq, False)!r} for one label per letter")


def _one_letter_each(eq):
    """The equation with each name of several characters replaced by one letter."""
    used = {name for items in eq.written for name in _names(items) if len(name) == 1}
    letter = {}
    for items in eq.written:
        for name in _names(items):
            if len(name) > 1 and name not in letter:
                pick = name[0] if name[0] not in used else next(
                    c for c in ascii_letters if c not in used)
                letter[name] = pick
                used.add(pick)
    terms = ["".join(letter.get(item, item) if isinstance(item, str) else
                     "(" + "".join(letter.get(n, n) for n in item) + ")" for item in items)
             for items in eq.written]
    text = ",".join(terms[:len(eq.inputs)])
    return text + "->" + terms[-1] if len(terms) > len(eq.inputs) else text


def rank_hint(eq, operand, ndim) -> str:
    """A suffix for "operand k has n dimensions but its term has m" when the other mode would
    have read the term with ``ndim`` axes."""
    if not eq.written or operand >= len(eq.inputs):
        return ""
    items = eq.written[operand]
    if ELLIPSIS in items:
        return ""
    names = _names(items)
    groups = len(items) - len(names)
    if eq.named and groups + sum(len(n) for n in names) == ndim and any(len(n) > 1
                                                                        for n in names):
        long = next(n for n in names if len(n) > 1)
        return (f"; {mode_reason(eq)} ({long!r} is one label). Write {_spelled(eq, True)!r} "
                f"for named axes, or {_spelled(eq, False)!r} for one label per letter")
    if not eq.named and groups + len(names) == ndim and any(len(n) > 1 for n in names):
        long = next(n for n in names if len(n) > 1)
        return (f"; {mode_reason(eq)} ({long!r} is {len(long)} labels). Named mode needs a "
                f"term with two names separated by whitespace; with one axis per term write "
                f"one letter per axis: {_one_letter_each(eq)!r}")
    return ""
