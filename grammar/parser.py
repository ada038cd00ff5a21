"""Turn equation text into a frozen :class:`~contract.grammar.equation.Equation`.

One Lark LALR grammar (``einsum.lark``) reads the text; a small builder then
decides letter or named mode, splits names into labels, checks the structure
and fills in numpy's implicit output.  Results are cached by text.

>>> parse("b c (h p) (w q) -> b c h w").named
True
>>> parse("ii->i").inputs
((('i',), ('i',)),)
"""
import re
from functools import lru_cache
from pathlib import Path

from lark import Lark, Token, Transformer
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from contract.grammar.equation import ELLIPSIS, Equation, implicit_output, term_labels
from contract.grammar.explain import missing_output_hint
from contract.errors import ContractError, EquationSyntaxError

_TOKEN_NAMES = {"ARROW": "'->'", "ELLIPSIS": "'...'", "NAME": "a label", "COMMA": "','",
                "LPAR": "'('", "RPAR": "')'", "$END": "the end"}
_DIGITS = "0123456789"


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

# The pre-scan: the language is regular (groups do not nest), so one regular expression
# built from the grammar's NAME terminal tells in C time whether Lark will accept a text,
# and where the longest prefix that could still be completed ends.  Each character has one
# way to match, so neither expression backtracks more than linearly.
_CHAR = _PARSER.get_terminal("NAME").pattern.value[:-1]          # one label character
_SPACE = _PARSER.get_terminal("WS").pattern.value[:-1]           # one whitespace character
_TERM = rf"(?:{_CHAR}|{_SPACE}|\.\.\.|\((?:{_CHAR}|{_SPACE})*\))*"
_VALID = re.compile(rf"{_TERM}(?:,{_TERM})*(?:->{_TERM})?")
_VIABLE = re.compile(rf"{_TERM}(?:,{_TERM})*(?:->{_TERM})?(?:\((?:{_CHAR}|{_SPACE})*)?")
# letter mode without spaces, groups or '...' (generated networks): no parser needed
_LETTER = r"[^\x00-\x40\x5b-\x60\x7b-\xa0\ud800-\udfff]"      # NAME's less digits and '_'
_PLAIN = re.compile(rf"{_LETTER}*(?:,{_LETTER}*)*(?:->{_LETTER}*)?")
_BLANK = re.compile(f"{_SPACE}*")
_WINDOW = 60          # characters of a long equation shown around the caret


def _shown(char: str) -> str:
    """A character as printed in an error: escaped unless printable (tabs, surrogates...)."""
    return char if char.isprintable() else ascii(char)[1:-1]


def caret(text: str, column: int) -> str:
    """The text (unprintable characters escaped) and a caret line at 1-based ``column``;
    a long text is cut to a window around the column.

    >>> print(caret("ij)", 3))
        ij)
          ^
    >>> print(caret("i," * 50 + "i$", 102))
        …i,i,i,i,i,i,i,i,i,i,i,i,i,i,i,i,i,i,i,i,i,i,i,i,i,i,i,i,i,i$
                                                                    ^
    """
    start, end = 0, len(text)
    if len(text) > _WINDOW + 20:
        end = min(len(text), max(column - 1 + _WINDOW // 2, _WINDOW))
        start = max(0, end - _WINDOW)
    shown = [_shown(c) for c in text[start:end]]
    head, tail = ("…" if start else ""), ("…" if end < len(text) else "")
    pad = len(head) + sum(len(s) for s in shown[:max(column - 1 - start, 0)])
    return f"    {head}{''.join(shown)}{tail}\n    {' ' * pad}^"


def shorten(text: str, width: int = _WINDOW) -> str:
    """``text`` for a message: itself, or its start and a count when it is long.

    >>> shorten("ij,jk->ik"), shorten("ab" * 50, 10)
    ('ij,jk->ik', 'ababababab… (100 characters)')
    """
    return text if len(text) <= width else f"{text[:width]}… ({len(text)} characters)"


def _syntax_error(text: str, err: UnexpectedInput, column=None) -> EquationSyntaxError:
    """The error for ``text`` from Lark's ``err``; ``column`` (1-based) when Lark read
    another text (see :func:`_located_error`), else Lark's own position."""
    if column is None:
        # columns count characters of the whole text (Lark's restart after a newline)
        if isinstance(err, UnexpectedToken) and err.token.type != "$END":
            offset = getattr(err.token, "start_pos", None)
        elif isinstance(err, UnexpectedCharacters):
            offset = err.pos_in_stream
        else:
            offset = None
        column = (offset + 1 if isinstance(offset, int) and 0 <= offset < len(text)
                  else len(text) + 1)
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


def _error_offset(err):
    if isinstance(err, UnexpectedToken) and err.token.type != "$END":
        return getattr(err.token, "start_pos", None)
    if isinstance(err, UnexpectedCharacters):
        return err.pos_in_stream
    return None


def _located_error(text: str) -> EquationSyntaxError:
    """The syntax error of a text the pre-scan refused, found without parsing all of it.

    The parser's state where the longest completable prefix ends depends only on whether
    an input term came before, whether ``->`` was seen, and whether the current term and
    an open group hold anything; a few characters recreate that state, and Lark reads them
    followed by the text from the error on.  Should Lark disagree, it reads the whole text.
    """
    stop = _VIABLE.match(text).end()
    prefix = text[:stop]
    arrow = "->" in prefix
    *done, term = re.split(r",|->", prefix)
    before, is_open, group = (term.rpartition("(") if term.rfind("(") > term.rfind(")")
                              else (term, "", ""))
    state = "".join(part for part, present in [
        ("a,", len(done) > int(arrow)), ("a->", arrow), ("a", not _BLANK.fullmatch(before)),
        ("(", is_open), ("a", not _BLANK.fullmatch(group))] if present)
    rest = text[stop:stop + 64]
    try:
        _PARSER.parse(state + rest)
    except UnexpectedInput as err:
        offset = _error_offset(err)
        if offset == len(state) or (offset is None and stop == len(text)):
            return _syntax_error(text, err, stop + 1)
    try:                                   # not expected: let Lark read the whole text
        _PARSER.parse(text)
    except UnexpectedInput as err:
        return _syntax_error(text, err)
    return EquationSyntaxError(f"invalid equation\n{caret(text, stop + 1)}")


def _raw_terms(text: str):
    """Lark's terms of ``text`` after the pre-scan (syntax errors raised from it)."""
    if _VALID.fullmatch(text) is None:
        raise _located_error(text)
    try:
        return _PARSER.parse(text)
    except UnexpectedInput as err:         # the pre-scan and the grammar disagree
        raise _syntax_error(text, err) from None


def _letter_axis(char: str, column: int, text: str):
    """One character of a letter-mode name: a label, or ``()`` for the anonymous axis 1."""
    if char == "1":
        return ()
    if char in _DIGITS or char == "_":
        what = ("a digit other than 1 (1 is an axis of size one)" if char in _DIGITS
                else "'_' (it belongs in names)")
        raise EquationSyntaxError(
            f"{char!r} at column {column} is not a label: in letter mode a label is one "
            f"letter or symbol, not {what}; write names separated by spaces for named axes\n"
            f"{caret(text, column)}")
    return (char,)


def _named_axis(token: Token, text: str):
    """One named-mode name: a label, or ``()`` for the anonymous axis 1."""
    if token == "1":
        return ()
    if token[0] in _DIGITS:
        column = token.start_pos + 1
        if all(c in _DIGITS for c in token):
            raise EquationSyntaxError(
                f"anonymous axis {shorten(str(token), 8)!r} at column {column}: only 1 (or ()) "
                f"may stand for an axis without a name; name a longer axis and give its size "
                f"as a keyword ('h w -> h w c' with c=3)\n{caret(text, column)}")
        raise EquationSyntaxError(f"name {str(token)!r} at column {column} starts with a "
                                  f"digit; a name starts with a letter, a symbol or '_'\n"
                                  f"{caret(text, column)}")
    return (str(token),)


def _axes_of(token: Token, named: bool, text: str):
    """One NAME token as axes: itself (named mode) or one axis per character."""
    if named:
        return [_named_axis(token, text)]
    return [_letter_axis(c, token.start_pos + k + 1, text) for k, c in enumerate(token)]


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
            members = [lab for tok in item[1] for axis in _axes_of(tok, named, text)
                       for lab in axis]
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
            axes.extend(_axes_of(item, named, text))
    return tuple(axes)


def _written(raw):
    """A term as written, for error messages: names, groups as tuples, '...'."""
    return tuple(tuple(map(str, item[1])) if isinstance(item, tuple) else str(item)
                 for item in raw[1])


def _check_output(eq: Equation):
    known = {label for term in eq.inputs for label in term_labels(term)}
    for label in term_labels(eq.output):
        if label not in known:
            raise ContractError(f"output label {label!r} does not appear in any input term"
                                f"{missing_output_hint(eq, label)}")


def _plain(text: str) -> Equation:
    """A letter-mode text without spaces, groups or '...' (checked by the caller)."""
    ins, arrow, out = text.partition("->")
    inputs = tuple(tuple((c,) for c in term) for term in ins.split(","))
    written = tuple((term,) if term else () for term in ins.split(","))
    if not arrow:
        return Equation(inputs, implicit_output(inputs), False, False, written)
    eq = Equation(inputs, tuple((c,) for c in out), True, False,
                  written + (((out,) if out else ()),))
    _check_output(eq)
    return eq


@lru_cache(maxsize=4096)
def parse(text: str, named=None) -> Equation:
    """Parse equation text into an :class:`Equation` (cached).

    ``named``: None reads the mode from the text (named when a term has two names
    separated by whitespace); True reads every whitespace-separated name as one label.

    >>> parse("...ij,...jk->...ik").output
    ('...', ('i',), ('k',))
    >>> parse("b h w -> b 1 h w").output, parse("hw -> hw", named=True).output
    ((('b',), (), ('h',), ('w',)), (('hw',),))
    """
    if not isinstance(text, str):
        raise ContractError(f"an equation must be a str, not {type(text).__name__}")
    if not named and _PLAIN.fullmatch(text):
        return _plain(text)
    eq = _build(text, named)
    if eq.explicit:
        _check_output(eq)
    return eq


def _build(text: str, named) -> Equation:
    """The Equation of a text the pre-scan and Lark accept (the output not yet checked)."""
    raw_inputs, raw_output = _raw_terms(text)
    raw_terms = raw_inputs + ([raw_output] if raw_output else [])
    if named is None:
        named = _is_named(raw_terms)
    inputs = tuple(_build_term(t, named, text, f"input term {i}")
                   for i, t in enumerate(raw_inputs))
    written = tuple(_written(t) for t in raw_terms)
    if raw_output is None:
        return Equation(inputs, implicit_output(inputs), False, bool(named), written)
    output = _build_term(raw_output, named, text, "the output term")
    return Equation(inputs, output, True, bool(named), written)


@lru_cache(maxsize=1024)
def parse_pattern(text: str) -> Equation:
    """An einops pattern ``left -> right`` (``ct.rearrange``, ``ct.reduce``, ``ct.repeat``):
    named mode always, one term on each side; the right side may hold axes the left lacks
    (``ct.repeat`` adds them), which the caller checks.

    >>> eq = parse_pattern("b (h p) -> b h c")
    >>> eq.inputs[0], eq.output
    ((('b',), ('h', 'p')), (('b',), ('h',), ('c',)))
    """
    if not isinstance(text, str):
        raise ContractError(f"a pattern must be a str, not {type(text).__name__}")
    eq = _build(text, True)
    if not eq.explicit:
        raise EquationSyntaxError(f"the pattern {shorten(text)!r} has no '->': write the "
                                  f"input axes, '->', then the output axes ('h w -> w h')")
    if len(eq.inputs) != 1:
        raise EquationSyntaxError(f"the pattern {shorten(text)!r} has {len(eq.inputs)} terms "
                                  f"before '->'; a pattern describes one tensor (no commas)")
    return eq


def count_terms(text: str):
    """How many input terms ``text`` has (its commas before ``->``, plus one), without
    parsing, or None when the pre-scan refuses the text (parsing it says why): a cheap
    check of the operand count before a long equation is parsed.

    >>> count_terms("ij,jk->ik"), count_terms("->"), count_terms("i$,j")
    (2, 1, None)
    """
    if _VALID.fullmatch(text) is None:
        return None
    return text.partition("->")[0].count(",") + 1


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
    eq = Equation(inputs, _sublist_term(output, "the output sublist"), explicit=True, named=True)
    _check_output(eq)
    return eq
