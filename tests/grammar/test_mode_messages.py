"""Errors that explain the letter / named mode rule (issue 17 item 5).

One space switches the whole equation to named mode; when that (or its absence) makes a
label go missing or a term the wrong rank, the message says which mode was chosen, why,
and what to write instead, and what it suggests works.
"""
import re

import numpy as np
import pytest

import contract as ct


def _message(fn):
    with pytest.raises(ct.ContractError) as info:
        fn()
    return str(info.value)


def _suggested(message):
    return re.findall(r"Write '([^']*)' for named axes, or '([^']*)' for one label", message)


def test_one_space_in_the_output_explains_named_mode():
    a, b = np.ones((2, 3)), np.ones((3, 4))
    message = _message(lambda: ct.einsum("ij,jk->i k", a, b))
    assert "output label 'i' does not appear" in message
    assert "named mode because the output term 'i k' has two names" in message
    assert "'ij' is one label" in message
    [(named, letters)] = _suggested(message)
    assert (named, letters) == ("i j, j k -> i k", "ij,jk->ik")
    for text in (named, letters):                      # what it suggests runs
        np.testing.assert_allclose(ct.einsum(text, a, b), a @ b)


@pytest.mark.parametrize("text, words", [
    ("i j,jk->ik", "output label 'ik' does not appear"),
    ("i j,jk->i", "operand 1 has 2 dimensions but its term has 1"),
])
def test_a_space_in_an_input_explains_named_mode(text, words):
    a, b = np.ones((2, 3)), np.ones((3, 4))
    message = _message(lambda: ct.einsum(text, a, b))
    assert words in message
    assert "named mode because input term 0 'i j' has two names" in message
    [(named, letters)] = _suggested(message)
    want = np.einsum(letters, a, b)
    np.testing.assert_allclose(ct.einsum(named, a, b), want)
    np.testing.assert_allclose(ct.einsum(letters, a, b), want)


def test_names_without_a_second_name_explain_letter_mode():
    x = np.arange(3.0)
    message = _message(lambda: ct.einsum("batch, batch ->", x, x))
    assert "operand 0 has 1 dimensions but its term has 5" in message
    assert "letter mode (no term has two names separated by whitespace)" in message
    assert "'batch' is 5 labels" in message
    suggestion = re.search(r"one letter per axis: '([^']*)'", message).group(1)
    assert suggestion == "b,b->"
    assert float(ct.einsum(suggestion, x, x)) == 5.0


def test_several_names_map_to_distinct_letters():
    message = _message(lambda: ct.einsum("row, rank -> row", np.ones(2), np.ones(3)))
    suggestion = re.search(r"one letter per axis: '([^']*)'", message).group(1)
    assert suggestion == "r,a->r"
    assert ct.einsum(suggestion, np.ones(2), np.ones(3)).shape == (2,)


@pytest.mark.parametrize("text, shapes", [
    ("ij,jk->ik", [(2, 3, 4), (3, 4)]),          # a plain rank error: nothing about modes
    ("b c h w -> b", [(2, 3, 4)]),
    ("i j k -> i", [(2, 3)]),
])
def test_no_mode_hint_where_the_mode_is_not_the_cause(text, shapes):
    message = _message(lambda: ct.einsum(text, *[np.ones(s) for s in shapes]))
    assert "mode" not in message, message


def test_sublists_and_patterns_say_nothing_about_modes():
    message = _message(lambda: ct.einsum(np.ones(2), [0], [1]))
    assert "mode" not in message
