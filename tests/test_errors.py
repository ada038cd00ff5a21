"""Every bad-input class raises a ContractError subclass whose message names what is wrong."""
import re

import numpy as np
import pytest

import contract as ct

O = np.ones


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
        ct.einsum(text, O((2, 2)))
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
        ct.einsum("ij$", O((2, 2)))
    with pytest.raises(ct.EquationSyntaxError, match="expected .*'\\)'"):
        ct.einsum("(ij", O((2, 2)))


def test_error_hierarchy():
    assert issubclass(ct.ContractError, ValueError)
    assert issubclass(ct.EquationSyntaxError, ct.ContractError)
    assert issubclass(ct.ShapeError, ct.ContractError)


def _raises(kind, pattern, fn):
    with pytest.raises(kind) as info:
        fn()
    assert re.search(pattern, str(info.value)), str(info.value)
    return info.value


BAD_INPUT = [
    # operand counts and ranks
    ("count", ct.ContractError, r"2 input terms but 1 operands",
     lambda: ct.einsum("ij,jk", O((2, 2)))),
    ("too many", ct.ContractError, r"1 input terms but 2 operands",
     lambda: ct.einsum("ij", O((2, 2)), O(2))),
    ("rank", ct.ShapeError, r"operand 0 has 3 dimensions.*2",
     lambda: ct.einsum("ij", O((2, 2, 2)))),
    ("ellipsis rank", ct.ShapeError, r"operand 0 has 1 dimensions.*at least 2",
     lambda: ct.einsum("...ij", O(2))),
    # sizes
    ("size", ct.ShapeError, r"label 'j' has size 3 in operand 0 but size 4 in operand 1",
     lambda: ct.einsum("ij,jk", O((2, 3)), O((4, 2)))),
    ("diag size", ct.ShapeError, r"label 'i'.*size 2.*size 3",
     lambda: ct.einsum("ii", O((2, 3)))),
    ("ellipsis size", ct.ShapeError, r"'\.\.\.' dimension.*size 2.*size 3",
     lambda: ct.einsum("...i,...i", O((2, 4)), O((3, 4)))),
    ("named size", ct.ShapeError, r"label 'chan' has size 3.*size 4",
     lambda: ct.einsum("b chan, chan d", O((2, 3)), O((4, 5)))),
    # labels
    ("output label", ct.ContractError, r"output label 'k'", lambda: ct.einsum("ij->k", O((2, 2)))),
    ("group dup", ct.EquationSyntaxError, r"label 'a' appears twice",
     lambda: ct.einsum("(a a)->a", O(4))),
    # groups and keyword sizes
    ("group infer", ct.ShapeError, r"cannot infer.*h, p.*operand 0.*size 6",
     lambda: ct.einsum("(h p) -> h", O(6))),
    ("group multiple", ct.ShapeError, r"size 7 in operand 0.*\(h p\).*multiple of 2",
     lambda: ct.einsum("(h p) -> h", O(7), p=2)),
    ("group product", ct.ShapeError, r"\(h p\).*operand 0.*size 6.*size 8",
     lambda: ct.einsum("(h p) -> h", O(8), h=2, p=3)),
    ("kw unknown", ct.ContractError, r"label 'z'.*not in the equation",
     lambda: ct.einsum("ij", O((2, 2)), z=2)),
    ("kw negative", ct.ContractError, r"label 'p'.*non-negative int.*-2",
     lambda: ct.einsum("(h p)->h", O(4), p=-2)),
    ("kw float", ct.ContractError, r"label 'p'.*2\.0", lambda: ct.einsum("(h p)->h", O(4), p=2.0)),
    ("kw zero", ct.ShapeError, r"size 4 in operand 0", lambda: ct.einsum("(h p)->h", O(4), p=0)),
    ("kw conflict", ct.ShapeError, r"label 'i' was given size 3 but has size 2 in operand 0",
     lambda: ct.einsum("ij", O((2, 2)), i=3)),
    # options
    ("optimizer name", ct.ContractError, r"unknown optimizer 'nope'.*greedy",
     lambda: ct.einsum("ij", O((2, 2)), optimize="nope")),
    ("optimizer type", ct.ContractError, r"optimize=3",
     lambda: ct.einsum("ij", O((2, 2)), optimize=3)),
    ("path position", ct.ContractError, r"step 0 \(0, 5\)",
     lambda: ct.einsum("ij,jk", O((2, 2)), O((2, 2)), optimize=[(0, 5)])),
    ("path short", ct.ContractError, r"leaves 2 operands",
     lambda: ct.einsum("ij,jk", O((2, 2)), O((2, 2)), optimize=[(0,)])),
    ("path strings", ct.ContractError, r"optimize=",
     lambda: ct.einsum("ij,jk", O((2, 2)), O((2, 2)), optimize=["ab"])),
    ("path zero-size", ct.ContractError, r"step 0 \(0, 5\)",
     lambda: ct.einsum("ij,jk", O((0, 2)), O((2, 2)), optimize=[(0, 5)])),
    ("path zero-size short", ct.ContractError, r"leaves 2 operands",
     lambda: ct.einsum("ij,jk", O((0, 2)), O((2, 2)), optimize=[(0,)])),
    ("path one operand", ct.ContractError, r"step 0 \(0, 1\)",
     lambda: ct.einsum("ij->ji", O((2, 2)), optimize=[(0, 1)])),
    ("memory_limit zero-size", ct.ContractError, r"memory_limit.*-1",
     lambda: ct.einsum("ij,jk", O((0, 2)), O((2, 2)), memory_limit=-1)),
    ("memory_limit", ct.ContractError, r"memory_limit.*-1",
     lambda: ct.einsum("ij,jk", O((2, 2)), O((2, 2)), memory_limit=-1)),
    ("memory_limit list", ct.ContractError, r"memory_limit",
     lambda: ct.einsum("ij,jk", O((2, 2)), O((2, 2)), memory_limit=[])),
    ("memory_limit bool", ct.ContractError, r"memory_limit",
     lambda: ct.einsum("ij,jk", O((2, 2)), O((2, 2)), memory_limit=True)),
    ("size list", ct.ContractError, r"label 'p'.*\[2\]",
     lambda: ct.einsum("(h p)->h", O(4), p=[2])),
    ("semiring", ct.ContractError, r"unknown semiring 'nope'.*real",
     lambda: ct.einsum("ij", O((2, 2)), semiring="nope")),
    ("semiring list", ct.ContractError, r"semiring", lambda: ct.einsum("ij", O((2, 2)),
                                                                       semiring=[1])),
    ("dtype", ct.ContractError, r"'nope' is not a dtype",
     lambda: ct.einsum("ij", O((2, 2)), dtype="nope")),
    ("dtype list", ct.ContractError, r"dtype", lambda: ct.einsum("ij", O((2, 2)), dtype=[1])),
    # operands
    ("ragged", ct.ContractError, r"operand 0 cannot be read",
     lambda: ct.einsum("ij", [[1, 2], [3]])),
    ("None", ct.ContractError, r"operand 0 is not numeric", lambda: ct.einsum("i", None)),
    ("strings", ct.ContractError, r"numeric", lambda: ct.einsum("i", np.array(["a", "b"]))),
    ("objects", ct.ContractError, r"operand 1 is not numeric",
     lambda: ct.einsum("i,i", O(2), [1, {}])),
    # the interleaved form
    ("sublist label", ct.ContractError, r"sublist 0.*'a'", lambda: ct.einsum(O(2), ["a"])),
    ("sublist negative", ct.ContractError, r"sublist 0.*-1", lambda: ct.einsum(O(2), [-1])),
    ("sublist ellipses", ct.ContractError, r"more than one Ellipsis",
     lambda: ct.einsum(O(2), [..., ...])),
    ("sublist output", ct.ContractError, r"output label 's1'", lambda: ct.einsum(O(2), [0], [1])),
    ("no arguments", ct.ContractError, r"needs an equation", lambda: ct.einsum()),
    # plans
    ("plan equation", ct.ContractError, r"must be a str", lambda: ct.plan(3, (3,))),
    ("plan negative", ct.ContractError, r"operand 0.*negative", lambda: ct.plan("ij", (2, -3))),
    ("plan shape", ct.ShapeError, r"operand 0 has shape \(2, 4\)",
     lambda: ct.plan("ij", (2, 3))(O((2, 4)))),
    ("plan count", ct.ContractError, r"takes 1 operands, got 2",
     lambda: ct.plan("ij", (2, 3))(O((2, 3)), O(2))),
    # more than 52 labels in one backend call
    ("52 labels", ct.ShapeError, r"60 distinct labels.*52", lambda: ct.einsum(
        ",".join(chr(0x4E00 + k) for k in range(60)) + "->", *[O(2)] * 60, optimize=False)),
]


@pytest.mark.parametrize("name, kind, pattern, fn", BAD_INPUT, ids=[b[0] for b in BAD_INPUT])
def test_bad_input_raises_a_contract_error_naming_the_problem(name, kind, pattern, fn):
    err = _raises(kind, pattern, fn)
    assert isinstance(err, ct.ContractError)
    assert not isinstance(err, (KeyError, IndexError, TypeError, UnicodeError))
    str(err).encode("utf-8")


@pytest.mark.parametrize("kwargs", [{"argmax": True}, {"argmax": True, "semiring": "log"}])
def test_argmax_with_real_or_log_is_a_contract_error(kwargs):
    with pytest.raises(ct.ContractError):
        ct.einsum("ij->i", O((2, 2)), **kwargs)


def test_errors_from_the_cached_fast_path_too():
    a, b = O((2, 3)), O((3, 4))
    ct.einsum("ij,jk->ik", a, b)
    with pytest.raises(ct.ShapeError):
        ct.einsum("ij,jk->ik", a, O((4, 4)))
    with pytest.raises(ct.ContractError):
        ct.einsum("ij,jk->ik", a)
