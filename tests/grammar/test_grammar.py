"""The equation language (README, "The equation language"), form by form, at the parser and
end to end; syntax errors with their column and caret."""
import numpy as np
import pytest

import contract as ct
from contract.grammar.equation import ELLIPSIS, Equation
from contract.grammar import parse, parse_sublists


def labels(term):
    return tuple(axis if axis == ELLIPSIS else "".join(axis) if len(axis) == 1 else axis
                 for axis in term)


def test_letters():
    eq = parse("ij,jk->ik")
    assert eq.inputs == ((("i",), ("j",)), (("j",), ("k",)))
    assert eq.output == (("i",), ("k",))
    assert eq.explicit and not eq.named
    assert eq.text == "ij,jk->ik"


@pytest.mark.parametrize("text, first", [("αβ,βγ->αγ", ("α", "β")), ("中文->文", ("中", "文")),
                                         ("éÉ->É", ("é", "É")), ("ии", ("и", "и")),
                                         ("ΩAb->", ("Ω", "A", "b"))])
def test_any_unicode_letter_is_a_label(text, first):
    assert labels(parse(text).inputs[0]) == first


def test_named_axes_mode():
    eq = parse("batch chan h w -> chan")
    assert eq.named
    assert labels(eq.inputs[0]) == ("batch", "chan", "h", "w")
    assert labels(eq.output) == ("chan",)
    assert eq.text == "batch chan h w -> chan"


def test_named_mode_is_decided_for_the_whole_equation():
    eq = parse("ab c, cd -> ab")       # one term has two names: every name is one label
    assert eq.named and labels(eq.inputs[1]) == ("cd",) and labels(eq.output) == ("ab",)
    eq = parse("ab, bc -> ac")         # no term has two names: letter mode
    assert not eq.named and labels(eq.inputs[0]) == ("a", "b")


@pytest.mark.parametrize("text, expected", [
    ("a1 b2 -> b2", ("a1", "b2")), ("_ b -> b", ("_", "b")), ("x_y z", ("x_y", "z")),
    ("längd bredd -> bredd", ("längd", "bredd")), ("h\tw\n-> w", ("h", "w")),
])
def test_named_identifiers(text, expected):
    assert labels(parse(text).inputs[0]) == expected


def test_spaces_around_tokens():
    assert parse(" ij , jk -> ik ").text == "ij,jk->ik"
    eq = parse(" i j , j k -> i k ")
    assert eq.named and labels(eq.output) == ("i", "k")
    assert parse("... ij->...  ji").output == (ELLIPSIS, ("j",), ("i",))


@pytest.mark.parametrize("text", ["- >", "-> >", "ij- >ik", ". ..", ".. .", "ij-", "ij>"])
def test_arrow_and_ellipsis_are_single_tokens(text):
    with pytest.raises(ct.EquationSyntaxError):
        parse(text)


@pytest.mark.parametrize("text, position", [("...ij->...i", 0), ("i...j->j", 1),
                                            ("ij...->...", 2), ("...->...", 0)])
def test_ellipsis_positions(text, position):
    assert parse(text).inputs[0][position] == ELLIPSIS


def test_implicit_output_is_sorted_like_numpy():
    for text, shape in [("ba", (2, 3)), ("aB", (2, 3)), ("Ba", (2, 3)), ("ij,jk", (2, 2)),
                        ("zAa", (2, 3, 4)), ("...ba", (5, 2, 3))]:
        ops = [np.ones(shape)] * (text.count(",") + 1)
        assert ct.einsum(text, *ops).shape == np.einsum(text, *ops).shape, text
    assert parse("ij,jk").output == (("i",), ("k",)) and not parse("ij,jk").explicit
    assert parse("ii").output == ()
    assert parse("...ij,...jk").output == (ELLIPSIS, ("i",), ("k",))
    assert parse("βα").output == (("α",), ("β",))


def test_diagonal_and_embedding():
    assert parse("ii->i").inputs == ((("i",), ("i",)),)
    assert parse("i->ii").output == (("i",), ("i",))
    np.testing.assert_array_equal(ct.einsum("ii->i", np.arange(9.0).reshape(3, 3)), [0, 4, 8])
    np.testing.assert_array_equal(ct.einsum("i->ii", np.array([1.0, 2.0])), [[1, 0], [0, 2]])


def test_groups():
    eq = parse("b c (h p) (w q) -> b c h w")
    assert eq.inputs[0] == (("b",), ("c",), ("h", "p"), ("w", "q"))
    assert parse("(hp)->h").inputs[0] == (("h", "p"),)     # letter mode: a group of letters
    assert parse("b h w -> b (h w)").output == (("b",), ("h", "w"))
    assert parse("b () h -> b h").inputs[0] == (("b",), (), ("h",))
    assert parse("(batch seq) d -> batch seq d").named
    x = np.arange(24.0).reshape(2, 12)
    np.testing.assert_array_equal(ct.einsum("b (h p) -> b h", x, p=3),
                                  x.reshape(2, 4, 3).sum(-1))
    np.testing.assert_array_equal(ct.einsum("b (h p) -> b h", x, h=4),
                                  x.reshape(2, 4, 3).sum(-1))


def test_size_one_broadcast():
    a, b = np.arange(3.0).reshape(1, 3), np.ones((4, 3))
    np.testing.assert_array_equal(ct.einsum("ij,ij->ij", a, b), a * b)
    assert ct.einsum("ij,ij->ij", a, np.ones((0, 3))).shape == (0, 3)


def test_unlimited_distinct_labels():
    names = [f"x{k}" for k in range(200)]
    eq = parse(" ".join(names) + " -> " + " ".join(reversed(names)))
    assert len(eq.labels()) == 200
    cjk = "".join(chr(0x4E00 + k) for k in range(120))
    assert len(parse(cjk).labels()) == 120


def test_equation_is_frozen_hashable_and_parsing_is_cached():
    eq = parse("ij,jk->ik")
    assert isinstance(eq, Equation) and hash(eq) == hash(parse("ij,jk->ik"))
    assert parse("ij,jk->ik") is eq
    with pytest.raises(AttributeError):
        eq.output = ()
    assert parse("ij , jk") == parse("ij,jk")


def test_sublists():
    eq = parse_sublists([[0, 1], [1, 2]], [0, 2])
    assert eq.text == "s0 s1, s1 s2 -> s0 s2" and eq.named
    assert parse_sublists([[Ellipsis, 0]]).output == (ELLIPSIS, ("s0",))
    assert parse_sublists([[10, 2], [2, 1]]).output == (("s1",), ("s10",))
    a, b = np.ones((2, 3)), np.ones((3, 4))
    np.testing.assert_array_equal(ct.einsum(a, [0, 1], b, [1, 2], [0, 2]), a @ b)


def test_text_round_trips():
    for text in ["ij,jk->ik", "...ij->...ji", "ii->i", "i->ii", ",->", "->"]:
        assert parse(parse(text).text) == parse(text)
    for text in ["b c (h p) (w q) -> b c h w", "b h w -> b (h w)", "b () h -> b h"]:
        assert parse(parse(text).text) == parse(text)


# -- syntax errors: the column, a caret under the offending character, what was expected --
# (equation, column of the offending character, words the message must hold)
SYNTAX = [
    ("- >", 1, "'-'"), ("ij->i->j", 6, "'->'"), ("(ij", 4, "end"), ("ij)", 3, "')'"),
    ("...i...", 5, "more than one '...'"), ("i2j", 2, "'2'"), ("i$j", 2, "'$'"),
    ("ij- >ik", 3, "'-'"), ("((i))", 2, "'('"), ("i.j", 2, "'.'"), ("..", 1, "'.'"),
    ("ij,jk->ik,", 10, "','"), ("->->", 3, "'->'"), ("ij\n->i$", 7, "'$'"),
    ("i j k->(i", 10, "end"), ("a b,c 3", 7, "'3'"), ("ij->(i)(", 9, "end"),
    ("\ud800", 1, "'\\ud800'"), ("i\x00j", 2, "'\\x00'"), ("ab,c9d->a", 5, "'9'"),
    ("(i j))", 6, "')'"), ("i,j;k", 4, "';'"), ("ij->ij...k...", 11, "more than one"),
]


@pytest.mark.parametrize("text, column, words", SYNTAX, ids=[repr(s[0]) for s in SYNTAX])
def test_syntax_errors_show_the_column_and_a_caret(text, column, words):
    with pytest.raises(ct.EquationSyntaxError) as info:
        ct.einsum(text, np.ones((2, 2)))
    message = str(info.value)
    message.encode("utf-8")                          # printable: no UnicodeEncodeError
    assert f"column {column}" in message, message
    assert words in message, message
    shown, caret_line = message.splitlines()[-2:]
    assert caret_line.strip() == "^"
    if text.isprintable():
        assert caret_line.index("^") - 4 == column - 1
        assert shown.strip() == text.strip() or shown[4:] == text
    err = info.value      # no Lark exception is chained to it
    assert err.__cause__ is None and (err.__context__ is None or err.__suppress_context__)


def test_syntax_error_says_what_was_expected():
    with pytest.raises(ct.EquationSyntaxError, match="expected .*'->'"):
        ct.einsum("ij$", np.ones((2, 2)))
    with pytest.raises(ct.EquationSyntaxError, match="expected .*'\\)'"):
        ct.einsum("(ij", np.ones((2, 2)))
