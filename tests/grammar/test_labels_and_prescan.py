"""Labels from the ecosystem's generators, anonymous axes, and the pre-scan before Lark.

Issue 14 items 20-21: opt_einsum.get_symbol's labels past the letters ('×' is index 75,
'÷' 107) parse in letter mode; a long text Lark would refuse is refused by a regular
expression first, with the same message Lark gives.
"""
import random

import numpy as np
import opt_einsum
import pytest
from lark.exceptions import UnexpectedInput

import contract as ct
from contract.grammar import parse
from contract.grammar import parser as grammar_parser
from contract.grammar.equation import ELLIPSIS


def test_get_symbol_labels_parse_one_character_each():
    # past 5620 get_symbol emits Unicode spaces (U+1680, U+2000..., U+3000 at 12148), which
    # opt_einsum reads as labels too: only ASCII whitespace and the no-break space separate
    symbols = [opt_einsum.get_symbol(i) for i in range(12200)]
    assert "\u1680" in symbols and "\u3000" in symbols
    eq = parse("".join(symbols) + "->" + symbols[75] + symbols[107] + symbols[5620])
    assert eq.inputs[0] == tuple((s,) for s in symbols)
    assert eq.output == (("×",), ("÷",), ("\u1680",)) and not eq.named
    assert parse(eq.text) == eq
    halves = "".join(symbols[:6000]) + "," + "".join(symbols[6000:]) + "->"
    assert [len(term) for term in parse(halves).inputs] == [6000, 6200]


def test_whitespace_is_ascii_whitespace_and_the_no_break_space():
    assert parse("i\xa0j, j\tk -> i k").named
    assert parse("i\u3000j").inputs[0] == (("i",), ("\u3000",), ("j",))


def test_symbols_past_the_letters_contract():
    a, b = np.arange(6.0).reshape(2, 3), np.arange(12.0).reshape(3, 4)
    np.testing.assert_allclose(ct.einsum("×÷,÷«->×«", a, b), a @ b)
    np.testing.assert_allclose(ct.einsum("× ÷, ÷ « -> « ×", a, b), (a @ b).T)   # named mode
    assert parse("a×b ÷ -> ÷").inputs[0] == (("a×b",), ("÷",))                   # a name


@pytest.mark.parametrize("text, column", [("i$j", 2), ("ij;jk", 3), ("i+j", 2), ("ij*jk", 3),
                                          ("i_j", 2), ("i2j", 2), ("i\x00", 2)])
def test_ascii_symbols_and_controls_are_not_labels_in_letter_mode(text, column):
    with pytest.raises(ct.EquationSyntaxError, match=f"column {column}"):
        parse(text)


@pytest.mark.parametrize("text, output, shape", [
    ("b h w -> b 1 h w", (("b",), (), ("h",), ("w",)), (1, 1, 2, 3)),
    ("b h w -> b () h w", (("b",), (), ("h",), ("w",)), (1, 1, 2, 3)),
    ("bhw->b1hw", (("b",), (), ("h",), ("w",)), (1, 1, 2, 3)),
    ("b h w -> (b 1 h) w", (("b", "h"), ("w",)), (2, 3)),
    ("b h w -> 1 1 b h w", ((), (), ("b",), ("h",), ("w",)), (1, 1, 1, 2, 3)),
])
def test_anonymous_axes(text, output, shape):
    assert parse(text).output == output
    x = np.arange(6.0).reshape(1, 2, 3)
    np.testing.assert_array_equal(ct.einsum(text, x), x.reshape(shape))


def test_anonymous_input_axis_must_have_size_one():
    np.testing.assert_array_equal(ct.einsum("b 1 h -> b h", np.ones((2, 1, 3))), np.ones((2, 3)))
    with pytest.raises(ct.ShapeError, match="anonymous axis .* has size 5"):
        ct.einsum("b 1 h -> b h", np.ones((2, 5, 3)))


@pytest.mark.parametrize("text, words", [
    ("a b -> a 3", "anonymous axis '3'"), ("a b -> a 12", "anonymous axis '12'"),
    ("2x y -> y", "starts with a digit"), ("ab,c9d->a", "digit other than 1"),
])
def test_other_numbers_are_refused_with_a_caret(text, words):
    with pytest.raises(ct.EquationSyntaxError, match=words) as info:
        parse(text)
    assert info.value.args[0].splitlines()[-1].strip() == "^"


# the pre-scan and Lark must agree on every text: validity, column and message
_ALPHABET = list("ij k,.->()\t$1_×\u3000\xa0")


def _lark(text):
    try:
        grammar_parser._PARSER.parse(text)
        return None
    except UnexpectedInput as err:
        return str(grammar_parser._syntax_error(text, err))


def test_prescan_agrees_with_lark_on_random_texts():
    rng = random.Random(14)
    tried = refused = 0
    for _ in range(4000):
        text = "".join(rng.choice(_ALPHABET) for _ in range(rng.randint(0, 12)))
        want = _lark(text)
        valid = grammar_parser._VALID.fullmatch(text) is not None
        assert valid == (want is None), text
        if want is not None:
            assert str(grammar_parser._located_error(text)) == want, text
            refused += 1
        tried += 1
    assert refused > 1000 and tried == 4000


@pytest.mark.parametrize("tail", ["$", ")", "(", "->->", "- >", ".", "(...)", "(i,", "((i"])
@pytest.mark.parametrize("head", ["i,", "i j,", "(i j) k,", "i->", "... i "])
def test_a_long_prefix_gives_the_message_of_a_short_one(head, tail):
    short = "k," + head + tail
    long = "k," * 20000 + head + tail
    want, got = _lark(short), str(grammar_parser._located_error(long))
    assert want is not None
    column = int(want.split("column ")[1].split(";")[0].split("\n")[0])
    assert f"column {column + len(long) - len(short)}" in got
    assert want.split(" at column")[0] == got.split(" at column")[0]
    assert want.split("\n")[0].partition(";")[2] == got.split("\n")[0].partition(";")[2]


@pytest.mark.parametrize("text", [
    "i," * 40000 + "+", "(ab)" * 20000 + "+", "...," * 20000 + "$", "a " * 40000 + "-",
    "(" + "a " * 40000, "." * 80000,
])
def test_long_garbage_is_refused_with_a_short_message(text):
    with pytest.raises(ct.EquationSyntaxError) as info:
        ct.einsum(text, np.ones(2))
    message = str(info.value)
    assert len(message) < 400, len(message)
    shown, caret = message.splitlines()[-2:]
    assert "…" in shown and caret.strip() == "^"


def test_a_long_equation_with_the_wrong_operand_count_is_refused_before_parsing(monkeypatch):
    text = "a b," * 30000 + "a b -> a"
    monkeypatch.setattr(grammar_parser, "_build", None)        # parsing would fail loudly
    with pytest.raises(ct.ContractError, match="has 30001 input terms but 2 operands"):
        ct.einsum(text, np.ones((2, 2)), np.ones((2, 2)))


def test_plain_letter_equations_skip_the_parser(monkeypatch):
    monkeypatch.setattr(grammar_parser, "_build", None)
    eq = grammar_parser.parse.__wrapped__("ab,bc×,×->ac")
    assert eq.inputs == ((("a",), ("b",)), (("b",), ("c",), ("×",)), (("×",),))
    assert eq.output == (("a",), ("c",))
    with pytest.raises(ct.ContractError, match="output label 'z'"):
        grammar_parser.parse.__wrapped__("ab->z")
    assert grammar_parser.parse.__wrapped__("ba,c").output == (("a",), ("b",), ("c",))


def test_ellipsis_and_groups_still_parse():
    assert parse("...a->a").inputs[0][0] == ELLIPSIS
    assert parse("(ab)1->ab").inputs[0] == (("a", "b"), ())
