"""Turn equation text into a frozen :class:`~contract.grammar.equation.Equation`.

One Lark LALR grammar (``einsum.lark``) reads the text; a small builder then
decides letter or named mode, splits names into labels, checks the structure
and fills in numpy's implicit output.  Results are cached by text.

>>> parse("b c (h p) (w q) -> b c h w").named
True
>>> parse("ii->i").inputs
((('i',), ('i',)),)
"""
from functools import lru_cache
from pathlib import Path

from lark import Lark, Token, Transformer
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from contract.grammar.equation import ELLIPSIS, Equation, implicit_output, term_labels
from contract.errors import ContractError, EquationSyntaxError

_TOKEN_NAMES = {"ARROW": "'->'", "ELLIPSIS": "'...'", "NAME": "a label", "COMMA": "','",
                "LPAR": "'('", "RPAR": "')'", "$END": "the end"}


class _Terms(Transformer):
    """Builds plain tuples: a term is a list of Token / 'group' tuples."""

    def term(self, items):
        return ("term", items)

    def group(self, names):
        return ("group", names)

    def inputs(self, terms):
        return list(terms)

    def start(self, children):
        inputs = children[0]
        output = children[2] if len(children) == 3 else None
        return inputs, output


_PARSER = Lark((Path(__file__).parent / "einsum.lark").read_text(encoding="utf-8"),
               parser="lalr", transformer=_Terms(), maybe_placeholders=False)


def _shown(char: str) -> str:
    """A character as printed in an error: escaped unless printable (tabs, surrogates...)."""
    return char if char.isprintable() else ascii(char)[1:-1]


def caret(text: str, column: int) -> str:
    """The text (unprintable characters escaped) and a caret line at 1-based ``column``.

    >>> print(caret("ij)", 3))
        ij)
          ^
    """
    shown = [_shown(c) for c in text]
    pad = sum(len(s) for s in shown[:max(column - 1, 0)])
    return f"    {''.join(shown)}\n    {' ' * pad}^"


def _syntax_error(text: str, err: UnexpectedInput) -> EquationSyntaxError:
    # columns count characters of the whole text (Lark's restart after a newline)
    if isinstance(err, UnexpectedToken) and err.token.type != "$END":
        offset = getattr(err.token, "start_pos", None)
    elif isinstance(err, UnexpectedCharacters):
        offset = err.pos_in_stream
    else:
        offset = None
    column = offset + 1 if isinstance(offset, int) and 0 <= offset < len(text) else len(text) + 1
    if isinstance(err, UnexpectedCharacters):
        what = f"unexpected character {text[column - 1]!r}"
        expected = err.allowed or set()
    elif isinstance(err, UnexpectedEOF):
        what, expected = "unexpected end of equation", err.expected or set()
    elif isinstance(err, UnexpectedToken):
        tok = err.token
        what = "unexpected end of equation" if tok.type == "$END" else f"unexpected {tok.value!r}"
        expected = err.expected or set()
    else:
        what, expected = "invalid equation", set()
    names = sorted({_TOKEN_NAMES.get(e, e) for e in expected})
    hint = f"; expected {', '.join(names)}" if names else ""
    return EquationSyntaxError(f"{what} at column {column}{hint}\n{caret(text, column)}")


def _labels_of(token: Token, named: bool, text: str):
    """One name token as labels: itself (named mode) or its letters."""
    if named:
        return [str(token)]
    labels = []
    for offset, char in enumerate(str(token)):
        if not char.isalpha():
            column = token.start_pos + offset + 1
            raise EquationSyntaxError(
                f"{char!r} at column {column} is not a letter; in letter mode every label "
                f"is one letter (write names separated by spaces for named axes)\n"
                f"{caret(text, column)}")
        labels.append(char)
    return labels


def _is_named(raw_terms) -> bool:
    """Named mode: some term or group holds two names in a row."""
    def two_names(items):
        return any(isinstance(a, Token) and a.type == "NAME" and isinstance(b, Token)
                   and b.type == "NAME" for a, b in zip(items, items[1:]))
    for _, items in raw_terms:
        if two_names(items) or any(isinstance(i, tuple) and two_names(i[1]) for i in items):
            return True
    return False


def _build_term(raw, named, text, where):
    axes, ellipses = [], 0
    for item in raw[1]:
        if isinstance(item, tuple):  # a group
            members = [lab for tok in item[1] for lab in _labels_of(tok, named, text)]
            if len(set(members)) != len(members):
                dup = next(m for m in members if members.count(m) > 1)
                raise EquationSyntaxError(f"label {dup!r} appears twice in one group of {where}")
            axes.append(tuple(members))
        elif item.type == "ELLIPSIS":
            ellipses += 1
            if ellipses > 1:
                raise EquationSyntaxError(
                    f"{where} has more than one '...' (at column {item.start_pos + 1})\n"
                    f"{caret(text, item.start_pos + 1)}")
            axes.append(ELLIPSIS)
        else:
            axes.extend((label,) for label in _labels_of(item, named, text))
    return tuple(axes)


def _check_output(inputs, output):
    known = {label for term in inputs for label in term_labels(term)}
    for label in term_labels(output):
        if label not in known:
            raise ContractError(f"output label {label!r} does not appear in any input term")


@lru_cache(maxsize=4096)
def parse(text: str) -> Equation:
    """Parse equation text into an :class:`Equation` (cached).

    >>> parse("...ij,...jk->...ik").output
    ('...', ('i',), ('k',))
    """
    if not isinstance(text, str):
        raise ContractError(f"an equation must be a str, not {type(text).__name__}")
    try:
        raw_inputs, raw_output = _PARSER.parse(text)
    except UnexpectedInput as err:
        raise _syntax_error(text, err) from None
    named = _is_named(raw_inputs + ([raw_output] if raw_output else []))
    inputs = tuple(_build_term(t, named, text, f"input term {i}")
                   for i, t in enumerate(raw_inputs))
    if raw_output is None:
        return Equation(inputs, implicit_output(inputs), explicit=False, named=named)
    output = _build_term(raw_output, named, text, "the output term")
    _check_output(inputs, output)
    return Equation(inputs, output, explicit=True, named=named)


def _sublist_term(sublist, where):
    axes = []
    try:
        items = list(sublist)
    except TypeError:
        raise ContractError(f"{where} must be a list of ints or Ellipsis, not {sublist!r}") from None
    for item in items:
        if item is Ellipsis:
            if ELLIPSIS in axes:
                raise ContractError(f"{where} has more than one Ellipsis")
            axes.append(ELLIPSIS)
        elif isinstance(item, int) and not isinstance(item, bool) and item >= 0:
            axes.append((f"s{item}",))
        else:
            raise ContractError(f"{where}: sublist labels are non-negative ints or Ellipsis, "
                                f"got {item!r}")
    return tuple(axes)


def parse_sublists(sublists, output=None) -> Equation:
    """The interleaved form ``einsum(a, [0, 1], b, [1, 2], [0, 2])`` as an Equation.

    Labels become named labels ``s0, s1, ...``; an implicit output is sorted by
    the integer value, as numpy does.

    >>> parse_sublists([[0, 1], [1, 2]]).text
    's0 s1, s1 s2 -> s0 s2'
    """
    inputs = tuple(_sublist_term(s, f"sublist {i}") for i, s in enumerate(sublists))
    if output is None:
        implicit = implicit_output(inputs)
        labels = sorted((a for a in implicit if a != ELLIPSIS), key=lambda a: int(a[0][1:]))
        lead = implicit[:1] if implicit[:1] == (ELLIPSIS,) else ()
        return Equation(inputs, lead + tuple(labels), explicit=False, named=True)
    out = _sublist_term(output, "the output sublist")
    _check_output(inputs, out)
    return Equation(inputs, out, explicit=True, named=True)
